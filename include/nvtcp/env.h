/**
 * @file
 * The environment: cores, DMA-safe memory, object pools, lockless rings and time.
 *
 * This is the only component that talks to DPDK; everything above it uses these calls.
 * Call nvtcp_env_init() once per process before anything else that allocates from the
 * environment, and nvtcp_env_fini() at the end.
 */
#ifndef NVTCP_ENV_H
#define NVTCP_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Any NUMA node. */
#define NVTCP_ENV_NUMA_ANY (-1)
/** Returned by nvtcp_env_get_core() on a thread that is not an environment core. */
#define NVTCP_ENV_CORE_NONE UINT32_MAX

/** Hugepage policy. */
enum nvtcp_env_huge {
	/** Hugepages when enough are free, otherwise plain memory with a warning (default). */
	NVTCP_ENV_HUGE_AUTO = 0,
	/** Hugepages or fail. */
	NVTCP_ENV_HUGE_REQUIRE,
	/** Never hugepages. */
	NVTCP_ENV_HUGE_OFF,
};

/** Options of nvtcp_env_init(). Initialise with nvtcp_env_opts_init(). */
struct nvtcp_env_opts {
	/** Process name used in DPDK's file prefix and logs. Default "nvtcp". */
	const char *name;
	/**
	 * Hexadecimal core mask ("0x3" or "3"); NULL for the default (core_list, else the first
	 * core this process may run on, normally core 0). Every core must exist and be in the
	 * process's CPU affinity.
	 */
	const char *core_mask;
	/** Core list ("0-1,3"); used when core_mask is NULL. Default NULL. */
	const char *core_list;
	/** Core that runs the calling (main) thread; -1 = the first core of the mask. */
	int main_core;
	/**
	 * Memory to reserve up front, in MiB; 0 (default) = grow on demand. With hugepages the
	 * reservation is taken at start-up, so later allocations never fault.
	 */
	size_t mem_size_mb;
	/** Hugepage policy. Default NVTCP_ENV_HUGE_AUTO. */
	enum nvtcp_env_huge huge;
	/**
	 * DPDK runtime file prefix. NULL (default) = no shared runtime files at all (DPDK
	 * in-memory mode), so that any number of processes can run side by side.
	 */
	const char *file_prefix;
	/** Let DPDK print its own informational messages (default false: errors only). */
	bool verbose;
};

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options to initialise.
 */
void nvtcp_env_opts_init(struct nvtcp_env_opts *opts);

/**
 * Initialise the environment: DPDK EAL on the given cores, memory, NUMA information.
 *
 * With NVTCP_ENV_HUGE_AUTO it checks that enough hugepages are free (mem_size_mb, or 256 MiB
 * when that is 0) and otherwise falls back to plain memory, logging a warning that names the
 * reason. The calling thread becomes the main core and is pinned to it. Logs one NOTICE line
 * with the cores and the memory mode; DPDK's own messages go through nvtcp's logger (errors
 * only, unless opts->verbose).
 *
 * DPDK can start only once per process: a second call, even after nvtcp_env_fini(), fails.
 *
 * \param opts Options, or NULL for defaults.
 * \return 0, or a negative errno: -EALREADY (already initialised, or initialised and finished
 *         before), -EINVAL (bad core mask or list, main core not in it, bad option), -ENOMEM
 *         (NVTCP_ENV_HUGE_REQUIRE without enough hugepages), or DPDK's error.
 */
int nvtcp_env_init(const struct nvtcp_env_opts *opts);

/**
 * Release the environment. Every pool, ring and DMA buffer must have been freed, and every core
 * launched with nvtcp_env_core_launch() must have returned.
 */
void nvtcp_env_fini(void);

/**
 * Whether nvtcp_env_init() has succeeded and nvtcp_env_fini() not been called since.
 */
bool nvtcp_env_is_initialized(void);

/**
 * Whether the environment runs on hugepages (false after the fall-back to plain memory).
 */
bool nvtcp_env_hugepages(void);

/* ---- DMA-safe memory ---------------------------------------------------------------------- */

/**
 * Allocate zeroed, pinned, DMA-safe memory.
 *
 * \param size Bytes.
 * \param align Alignment, a power of two (0 = cache line).
 * \param numa_node NUMA node, or NVTCP_ENV_NUMA_ANY.
 * \return The memory, or NULL.
 */
void *nvtcp_dma_zmalloc(size_t size, size_t align, int numa_node);

/**
 * Free memory from nvtcp_dma_zmalloc(). NULL is ignored.
 *
 * \param buf Memory.
 */
void nvtcp_dma_free(void *buf);

/* ---- Object pools ------------------------------------------------------------------------- */

struct nvtcp_mempool;

/** Default per-core cache size of a pool. */
#define NVTCP_MEMPOOL_CACHE_DEFAULT 256

/**
 * Create a pool of \p count fixed-size objects in DMA-safe memory. Each environment core keeps
 * a private cache of up to \p cache_size objects, so get and put are lock-free and usually do
 * not touch the shared pool. Threads that are not environment cores use the shared pool only.
 *
 * \param name Unique name (at most 25 characters), or NULL for a generated one.
 * \param count Number of objects.
 * \param elt_size Size of each object; objects are cache-line aligned.
 * \param cache_size Per-core cache (0 = none, at most 512); reduced to count * 2 / 3 when larger,
 *        so that caches cannot hold most of a small pool.
 * \param numa_node NUMA node, or NVTCP_ENV_NUMA_ANY.
 * \return The pool, or NULL (errno set).
 */
struct nvtcp_mempool *nvtcp_mempool_create(const char *name, size_t count, size_t elt_size,
					   size_t cache_size, int numa_node);

/**
 * Free a pool. Every object should have been put back; a pool freed with objects still out is
 * logged as a leak.
 *
 * \param mp Pool, or NULL.
 */
void nvtcp_mempool_free(struct nvtcp_mempool *mp);

/**
 * Take one object.
 *
 * \param mp Pool.
 * \return The object, or NULL when the pool is empty.
 */
void *nvtcp_mempool_get(struct nvtcp_mempool *mp);

/**
 * Take \p count objects, all or none (0 objects always succeeds).
 *
 * \param mp Pool.
 * \param objs Filled with the objects.
 * \param count Number wanted.
 * \return 0, or -ENOMEM when fewer than \p count are available.
 */
int nvtcp_mempool_get_bulk(struct nvtcp_mempool *mp, void **objs, size_t count);

/**
 * Return one object.
 *
 * \param mp Pool.
 * \param obj Object taken from this pool.
 */
void nvtcp_mempool_put(struct nvtcp_mempool *mp, void *obj);

/**
 * Return \p count objects.
 *
 * \param mp Pool.
 * \param objs Objects taken from this pool.
 * \param count Number of objects.
 */
void nvtcp_mempool_put_bulk(struct nvtcp_mempool *mp, void **objs, size_t count);

/**
 * Number of objects available (in the shared pool and the per-core caches). Not exact while
 * other threads are using the pool.
 *
 * \param mp Pool.
 * \return Objects available.
 */
size_t nvtcp_mempool_count(const struct nvtcp_mempool *mp);

/**
 * Number of objects the pool was created with.
 *
 * \param mp Pool.
 * \return The capacity.
 */
size_t nvtcp_mempool_capacity(const struct nvtcp_mempool *mp);

/* ---- Lockless rings ----------------------------------------------------------------------- */

struct nvtcp_ring;

/** Producer/consumer model of a ring. */
enum nvtcp_ring_type {
	/** One producer thread, one consumer thread. */
	NVTCP_RING_SP_SC,
	/** Any number of producer threads, one consumer thread (e.g. a reactor's messages). */
	NVTCP_RING_MP_SC,
	/** Any number of producers and consumers. */
	NVTCP_RING_MP_MC,
};

/**
 * Create a ring of fixed-size elements (copied in and out by value).
 *
 * Threads on a multi-producer (or multi-consumer) side should not share a CPU with each other:
 * as with any DPDK ring, a thread preempted in the middle of an enqueue makes the other
 * producers spin until it runs again. Reactors on their own cores satisfy this.
 *
 * \param type Producer/consumer model.
 * \param count Number of elements it holds, exactly (the memory is rounded up to a power of
 *        two).
 * \param elt_size Size of an element: a multiple of 4 bytes, e.g. sizeof(void *).
 * \param numa_node NUMA node, or NVTCP_ENV_NUMA_ANY.
 * \return The ring, or NULL (errno set).
 */
struct nvtcp_ring *nvtcp_ring_create(enum nvtcp_ring_type type, size_t count, size_t elt_size,
				     int numa_node);

/**
 * Free a ring; elements still in it are dropped.
 *
 * \param ring Ring, or NULL.
 */
void nvtcp_ring_free(struct nvtcp_ring *ring);

/**
 * Enqueue up to \p count elements (as many as fit).
 *
 * \param ring Ring.
 * \param elts Array of \p count elements of the ring's element size.
 * \param count Number of elements.
 * \return Number enqueued.
 */
size_t nvtcp_ring_enqueue(struct nvtcp_ring *ring, const void *elts, size_t count);

/**
 * Dequeue up to \p count elements.
 *
 * \param ring Ring.
 * \param elts Array with room for \p count elements.
 * \param count Maximum number.
 * \return Number dequeued.
 */
size_t nvtcp_ring_dequeue(struct nvtcp_ring *ring, void *elts, size_t count);

/**
 * Number of elements in the ring.
 *
 * \param ring Ring.
 * \return Element count.
 */
size_t nvtcp_ring_count(const struct nvtcp_ring *ring);

/* ---- Time --------------------------------------------------------------------------------- */

/**
 * A cheap, monotonic tick counter (the TSC). Valid after nvtcp_env_init().
 *
 * \return Current ticks.
 */
uint64_t nvtcp_env_get_ticks(void);

/**
 * Ticks per second of nvtcp_env_get_ticks().
 *
 * \return The tick rate.
 */
uint64_t nvtcp_env_get_ticks_hz(void);

/**
 * Busy-wait for \p us microseconds (for start-up code only, never the I/O path).
 *
 * \param us Microseconds.
 */
void nvtcp_env_delay_us(uint32_t us);

/* ---- Cores -------------------------------------------------------------------------------- */

/**
 * The environment core of the calling thread.
 *
 * \return Core id, or NVTCP_ENV_CORE_NONE on a thread the environment did not start.
 */
uint32_t nvtcp_env_get_core(void);

/**
 * Number of cores in the mask (0 before nvtcp_env_init()).
 */
uint32_t nvtcp_env_get_core_count(void);

/**
 * The main core (the one that called nvtcp_env_init()); NVTCP_ENV_CORE_NONE before.
 */
uint32_t nvtcp_env_get_main_core(void);

/**
 * First core of the mask, for iteration with nvtcp_env_get_next_core().
 *
 * \return Core id, or NVTCP_ENV_CORE_NONE.
 */
uint32_t nvtcp_env_get_first_core(void);

/**
 * Next core of the mask after \p core.
 *
 * \param core A core of the mask.
 * \return Core id, or NVTCP_ENV_CORE_NONE after the last.
 */
uint32_t nvtcp_env_get_next_core(uint32_t core);

#define NVTCP_ENV_FOREACH_CORE(core)                                                           \
	for ((core) = nvtcp_env_get_first_core(); (core) != NVTCP_ENV_CORE_NONE;                \
	     (core) = nvtcp_env_get_next_core(core))

/**
 * NUMA node of a core (from libnuma).
 *
 * \param core Core id.
 * \return Node, or 0 when NUMA is not available.
 */
int nvtcp_env_get_numa_node(uint32_t core);

/**
 * Run \p fn(\p arg) on a pinned thread of core \p core (not the main core). The core must be idle.
 *
 * \param core Core of the mask, other than the main core.
 * \param fn Function; its return value is collected by nvtcp_env_core_wait().
 * \param arg Argument.
 * \return 0, -EBUSY (the core still runs a function) or -EINVAL (not a worker core of the mask,
 *         or no function).
 */
int nvtcp_env_core_launch(uint32_t core, int (*fn)(void *arg), void *arg);

/**
 * Wait until the function launched on \p core returns (at once when none was launched).
 *
 * \param core Core id.
 * \return The function's return value, or -EINVAL when \p core is not a worker core.
 */
int nvtcp_env_core_wait(uint32_t core);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_ENV_H */
