/**
 * @file
 * Reactors: one polling loop per thread, pollers, and lockless messages between threads.
 *
 * A reactor belongs to the thread that created it (or that the launcher started it on); only
 * that thread polls it, registers pollers on it and touches what it owns. Other threads reach
 * it only through nvtcp_reactor_send_msg(), which is the one way work crosses threads.
 *
 * Two ways to use reactors:
 * - the launcher (nvtcp_reactors_start() or nvtcp_app_start()): one pinned reactor thread per
 *   core of the environment's mask, each looping until nvtcp_reactors_stop();
 * - embedding: an application thread calls nvtcp_reactor_create() and then
 *   nvtcp_reactor_poll() from its own loop.
 */
#ifndef NVTCP_REACTOR_H
#define NVTCP_REACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nvtcp_reactor;
struct nvtcp_poller;

/** A message: runs on the reactor it was sent to. */
typedef void (*nvtcp_msg_fn)(void *arg);

/** What a poller returns. */
enum nvtcp_poller_status {
	/** Did nothing: counts as idle time. */
	NVTCP_POLLER_IDLE = 0,
	/** Did work: counts as busy time. */
	NVTCP_POLLER_BUSY = 1,
};

/** A poller: called every iteration (period 0) or every period. Returns nvtcp_poller_status. */
typedef int (*nvtcp_poller_fn)(void *arg);

/** Statistics of one reactor, all since it was created. */
struct nvtcp_reactor_stats {
	/** Ticks spent in iterations where some poller or message did work. */
	uint64_t busy_ticks;
	/** Ticks spent in iterations that did nothing. */
	uint64_t idle_ticks;
	/** Loop iterations. */
	uint64_t iterations;
	/** Messages executed. */
	uint64_t msgs;
	/** Poller calls. */
	uint64_t poller_runs;
};

/** Options of nvtcp_reactor_create(). Initialise with nvtcp_reactor_opts_init(). */
struct nvtcp_reactor_opts {
	/** Capacity of the message ring (default 65536); senders get -ENOMEM when it is full. */
	size_t msg_ring_size;
	/** Messages executed per iteration at most (default 64), so pollers are not starved. */
	uint32_t msg_batch;
};

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options.
 */
void nvtcp_reactor_opts_init(struct nvtcp_reactor_opts *opts);

/**
 * Create a reactor owned by the calling thread and make it the thread's current reactor.
 * Requires nvtcp_env_init(). The thread may be any thread (an environment core or not).
 *
 * \param opts Options, or NULL for defaults.
 * \return The reactor, or NULL (errno set: EEXIST when the thread already has one, EINVAL
 *         without the environment or for bad options, ENOMEM).
 */
struct nvtcp_reactor *nvtcp_reactor_create(const struct nvtcp_reactor_opts *opts);

/**
 * Destroy a reactor created by nvtcp_reactor_create(), on its own thread. Pending messages are
 * executed first; remaining pollers are unregistered.
 *
 * \param reactor Reactor.
 */
void nvtcp_reactor_destroy(struct nvtcp_reactor *reactor);

/**
 * Run one iteration: pending messages (up to the batch), then every active poller, then the
 * timed pollers that are due. Never blocks. Called only by the owning thread. A timed poller's
 * next run is due one period after the start of its previous run.
 *
 * \param reactor Reactor.
 * \return Number of messages and pollers that did work (0 = an idle iteration).
 */
int nvtcp_reactor_poll(struct nvtcp_reactor *reactor);

/**
 * Send a message: \p fn(\p arg) will run on \p reactor's thread. Callable from any thread,
 * including threads that are not reactors. Lock-free.
 *
 * \param reactor Destination.
 * \param fn Function.
 * \param arg Argument.
 * \return 0, or -ENOMEM when the destination's ring is full.
 */
int nvtcp_reactor_send_msg(struct nvtcp_reactor *reactor, nvtcp_msg_fn fn, void *arg);

/**
 * The calling thread's reactor.
 *
 * \return The reactor, or NULL when the thread has none.
 */
struct nvtcp_reactor *nvtcp_reactor_get_current(void);

/**
 * The launcher's reactor on a core. Valid from the first message of nvtcp_reactors_start()
 * (every reactor exists before any thread starts) until it returns.
 *
 * \param core Core id.
 * \return The reactor, or NULL when the launcher has no reactor there.
 */
struct nvtcp_reactor *nvtcp_reactor_get(uint32_t core);

/**
 * The core a reactor runs on.
 *
 * \param reactor Reactor.
 * \return Core id (NVTCP_ENV_CORE_NONE for a reactor on a thread that is not an environment core).
 */
uint32_t nvtcp_reactor_get_core(const struct nvtcp_reactor *reactor);

/**
 * Copy a reactor's statistics. Exact on the owning thread between iterations; a consistent-enough
 * snapshot elsewhere. Messages are counted per batch, so a message that reads the statistics
 * does not see the batch it belongs to.
 *
 * \param reactor Reactor.
 * \param stats Filled in.
 */
void nvtcp_reactor_get_stats(const struct nvtcp_reactor *reactor, struct nvtcp_reactor_stats *stats);

/**
 * Register a poller on the calling thread's reactor. A poller registered from inside a poller
 * first runs in the same or the next iteration.
 *
 * \param fn Function.
 * \param arg Argument.
 * \param period_us 0 = every iteration; otherwise at most once per period.
 * \return The poller, or NULL (no current reactor, or out of memory).
 */
struct nvtcp_poller *nvtcp_poller_register(nvtcp_poller_fn fn, void *arg, uint64_t period_us);

/**
 * Unregister a poller of the calling thread's reactor and set \p *poller to NULL. Safe from
 * inside any poller, including the poller itself. NULL is ignored.
 *
 * \param poller Poller handle.
 */
void nvtcp_poller_unregister(struct nvtcp_poller **poller);

/* ---- Launcher ----------------------------------------------------------------------------- */

/**
 * Start one reactor per core of the environment, each on its pinned thread, run
 * \p start_fn(\p arg) on the main core's reactor, and loop until nvtcp_reactors_stop(). The
 * calling thread must be the environment's main thread; it runs the main core's reactor.
 *
 * On stop every reactor executes the messages queued to it before its thread returns. Messages
 * sent during that drain to a reactor whose thread has already returned are executed after all
 * threads are joined, by the main thread with that reactor as its current reactor, so that none
 * is lost. Pollers still registered are then dropped and the reactors freed. The launcher can
 * be started again after it returns.
 *
 * \param start_fn First message of the main reactor (may be NULL).
 * \param arg Its argument.
 * \return 0 when stopped normally, or a negative errno when the reactors could not start:
 *         -EINVAL (no environment, or not the main thread), -EEXIST (the main thread already
 *         has its own reactor), -EBUSY (already running), -ENOMEM.
 */
int nvtcp_reactors_start(nvtcp_msg_fn start_fn, void *arg);

/**
 * Ask every launched reactor to stop after its current iteration. Callable from any thread.
 * Reactors execute their pending messages before they exit. A stop requested before
 * nvtcp_reactors_start() is forgotten by it.
 */
void nvtcp_reactors_stop(void);

/**
 * Whether the launched reactors have been asked to stop.
 */
bool nvtcp_reactors_stopping(void);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_REACTOR_H */
