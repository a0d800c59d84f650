/*
 * Reactors: one polling loop per thread.
 *
 * Messages travel through an MP_SC ring of 16-byte {fn, arg} elements copied by value, so
 * sending allocates nothing and takes no lock. Pollers come in two kinds:
 * - active pollers (period 0), a list walked every iteration;
 * - timed pollers, a binary min-heap on the next due tick, so an iteration that has nothing
 *   due costs one comparison however many timed pollers exist.
 *
 * Unregistering is safe from inside any poller: while the reactor walks its active list,
 * unregistered active pollers are only marked and are unlinked after the walk; a timed poller
 * is out of the heap while it runs, so the loop frees it on return if it unregistered itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"
#include "nvtcp/reactor.h"
#include "nvtcp/util.h"

#include "reactor_internal.h"

#define REACTOR_MSG_RING_DEFAULT 65536
#define REACTOR_MSG_BATCH_DEFAULT 64
/* Messages dequeued per ring access. */
#define REACTOR_MSG_CHUNK 32
#define HEAP_NONE UINT32_MAX

struct reactor_msg {
	nvtcp_msg_fn fn;
	void *arg;
};
_Static_assert(sizeof(struct reactor_msg) == 16, "a message is two pointers");

struct nvtcp_poller {
	nvtcp_poller_fn fn;
	void *arg;
	struct nvtcp_reactor *reactor;
	/* 0 for an active poller. */
	uint64_t period_ticks;
	uint64_t next_tick;
	/* Position in the timed heap, HEAP_NONE while out of it (running). */
	uint32_t heap_idx;
	bool unregistered;
	TAILQ_ENTRY(nvtcp_poller) link;
};

struct nvtcp_reactor {
	/* Touched by other threads (senders): kept on its own line. */
	struct nvtcp_ring *msgs __attribute__((aligned(64)));

	uint32_t core __attribute__((aligned(64)));
	uint32_t msg_batch;
	TAILQ_HEAD(, nvtcp_poller) active;
	struct nvtcp_poller **timed;
	uint32_t ntimed;
	uint32_t timed_cap;
	/* The timed poller being called, if any (it is out of the heap meanwhile). */
	struct nvtcp_poller *running_timed;
	/* Walking the active list: unregistration of active pollers is deferred. */
	bool in_poll;
	uint32_t dead_active;
	/* Written only by the owner, read by anyone (nvtcp_reactor_get_stats()). */
	struct nvtcp_reactor_stats stats;
};

static __thread struct nvtcp_reactor *t_current;

/* Single-writer counters that other threads may read: relaxed atomics cost a plain mov. */
#define STAT_ADD(r, field, v)                                                                  \
	__atomic_store_n(&(r)->stats.field, (r)->stats.field + (v), __ATOMIC_RELAXED)

void
nvtcp_reactor_opts_init(struct nvtcp_reactor_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->msg_ring_size = REACTOR_MSG_RING_DEFAULT;
	opts->msg_batch = REACTOR_MSG_BATCH_DEFAULT;
}

/* ---- Timed-poller heap ------------------------------------------------------------------ */

static void
heap_set(struct nvtcp_reactor *r, uint32_t i, struct nvtcp_poller *p)
{
	r->timed[i] = p;
	p->heap_idx = i;
}

static void
heap_sift_up(struct nvtcp_reactor *r, uint32_t i)
{
	struct nvtcp_poller *p = r->timed[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (r->timed[parent]->next_tick <= p->next_tick) {
			break;
		}
		heap_set(r, i, r->timed[parent]);
		i = parent;
	}
	heap_set(r, i, p);
}

static void
heap_sift_down(struct nvtcp_reactor *r, uint32_t i)
{
	struct nvtcp_poller *p = r->timed[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= r->ntimed) {
			break;
		}
		if (child + 1 < r->ntimed &&
		    r->timed[child + 1]->next_tick < r->timed[child]->next_tick) {
			child++;
		}
		if (p->next_tick <= r->timed[child]->next_tick) {
			break;
		}
		heap_set(r, i, r->timed[child]);
		i = child;
	}
	heap_set(r, i, p);
}

static int
heap_reserve(struct nvtcp_reactor *r)
{
	struct nvtcp_poller **timed;
	uint32_t cap;

	/* Keep one slot beyond the new poller: a running timed poller is out of the heap, and
	 * whatever it registers meanwhile must not take the slot it goes back into. */
	if (r->ntimed + 2 <= r->timed_cap) {
		return 0;
	}
	cap = r->timed_cap ? r->timed_cap * 2 : 16;
	timed = realloc(r->timed, cap * sizeof(*timed));
	if (timed == NULL) {
		return -ENOMEM;
	}
	r->timed = timed;
	r->timed_cap = cap;
	return 0;
}

/* The caller has reserved room (heap_reserve()). */
static void
heap_push(struct nvtcp_reactor *r, struct nvtcp_poller *p)
{
	uint32_t i = r->ntimed++;

	heap_set(r, i, p);
	heap_sift_up(r, i);
}

static void
heap_remove(struct nvtcp_reactor *r, struct nvtcp_poller *p)
{
	uint32_t i = p->heap_idx;
	struct nvtcp_poller *last;

	p->heap_idx = HEAP_NONE;
	last = r->timed[--r->ntimed];
	if (i == r->ntimed) {
		return;
	}
	heap_set(r, i, last);
	/* The moved element may belong above or below its new place. */
	if (i > 0 && r->timed[(i - 1) / 2]->next_tick > last->next_tick) {
		heap_sift_up(r, i);
	} else {
		heap_sift_down(r, i);
	}
}

/* ---- Reactors ---------------------------------------------------------------------------- */

struct nvtcp_reactor *
reactor_alloc(const struct nvtcp_reactor_opts *user_opts, uint32_t core)
{
	struct nvtcp_reactor_opts opts;
	struct nvtcp_reactor *r;
	int node;

	if (user_opts == NULL) {
		nvtcp_reactor_opts_init(&opts);
	} else {
		opts = *user_opts;
	}
	if (!nvtcp_env_is_initialized()) {
		NVTCP_ERRLOG("a reactor needs the environment (nvtcp_env_init())");
		errno = EINVAL;
		return NULL;
	}
	if (opts.msg_ring_size == 0 || opts.msg_ring_size > (1u << 30) || opts.msg_batch == 0) {
		NVTCP_ERRLOG("invalid reactor options: msg_ring_size %zu, msg_batch %u",
			     opts.msg_ring_size, opts.msg_batch);
		errno = EINVAL;
		return NULL;
	}
	r = aligned_alloc(64, NVTCP_ALIGN_UP(sizeof(*r), 64));
	if (r == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->core = core;
	r->msg_batch = opts.msg_batch;
	TAILQ_INIT(&r->active);
	node = core != NVTCP_ENV_CORE_NONE ? nvtcp_env_get_numa_node(core) : NVTCP_ENV_NUMA_ANY;
	r->msgs = nvtcp_ring_create(NVTCP_RING_MP_SC, opts.msg_ring_size,
				    sizeof(struct reactor_msg), node);
	if (r->msgs == NULL) {
		int err = errno;

		free(r);
		errno = err;
		return NULL;
	}
	return r;
}

void
reactor_set_current(struct nvtcp_reactor *reactor)
{
	t_current = reactor;
}

struct nvtcp_reactor *
nvtcp_reactor_create(const struct nvtcp_reactor_opts *opts)
{
	struct nvtcp_reactor *r;

	if (t_current != NULL) {
		errno = EEXIST;
		return NULL;
	}
	r = reactor_alloc(opts, nvtcp_env_get_core());
	if (r != NULL) {
		t_current = r;
	}
	return r;
}

static uint32_t
msgs_run(struct nvtcp_reactor *r, uint32_t max)
{
	struct reactor_msg batch[REACTOR_MSG_CHUNK];
	uint32_t done = 0;

	while (done < max) {
		uint32_t want = NVTCP_MIN(max - done, (uint32_t)REACTOR_MSG_CHUNK);
		uint32_t n = (uint32_t)nvtcp_ring_dequeue(r->msgs, batch, want);

		for (uint32_t i = 0; i < n; i++) {
			batch[i].fn(batch[i].arg);
		}
		done += n;
		if (n < want) {
			break;
		}
	}
	if (done > 0) {
		STAT_ADD(r, msgs, done);
	}
	return done;
}

uint64_t
reactor_drain(struct nvtcp_reactor *r)
{
	/* A message may send more messages to this reactor; stop after many ring-fulls so that
	 * one that re-sends itself forever cannot hang a stop. */
	uint64_t limit = 16 * (uint64_t)NVTCP_MAX(nvtcp_ring_count(r->msgs), 65536);
	uint64_t total = 0;
	uint32_t n;

	do {
		n = msgs_run(r, REACTOR_MSG_CHUNK * 8);
		total += n;
	} while (n > 0 && total < limit);
	if (n > 0) {
		NVTCP_WARNLOG("reactor on core %u still receiving messages after %" PRIu64
			      " at stop; %zu left unexecuted", r->core, total,
			      nvtcp_ring_count(r->msgs));
	}
	return total;
}

static void
active_sweep(struct nvtcp_reactor *r)
{
	struct nvtcp_poller *p, *tmp;

	for (p = TAILQ_FIRST(&r->active); p != NULL && r->dead_active > 0; p = tmp) {
		tmp = TAILQ_NEXT(p, link);
		if (p->unregistered) {
			TAILQ_REMOVE(&r->active, p, link);
			free(p);
			r->dead_active--;
		}
	}
}

int
nvtcp_reactor_poll(struct nvtcp_reactor *r)
{
	uint64_t start = nvtcp_env_get_ticks();
	uint64_t runs = 0, end;
	struct nvtcp_poller *p;
	int work;

	work = (int)msgs_run(r, r->msg_batch);

	r->in_poll = true;
	TAILQ_FOREACH(p, &r->active, link) {
		if (nvtcp_unlikely(p->unregistered)) {
			continue;
		}
		runs++;
		if (p->fn(p->arg) > 0) {
			work++;
		}
	}
	r->in_poll = false;
	if (nvtcp_unlikely(r->dead_active > 0)) {
		active_sweep(r);
	}

	if (r->ntimed > 0 && r->timed[0]->next_tick <= start) {
		uint64_t now = nvtcp_env_get_ticks();

		while (r->ntimed > 0 && r->timed[0]->next_tick <= now) {
			p = r->timed[0];
			heap_remove(r, p);
			r->running_timed = p;
			/* "At most once per period": the next run counts from this one's start
			 * (not from the loop's start, which may be a few pollers earlier). */
			p->next_tick = nvtcp_env_get_ticks() + p->period_ticks;
			runs++;
			if (p->fn(p->arg) > 0) {
				work++;
			}
			r->running_timed = NULL;
			if (p->unregistered) {
				free(p);
			} else {
				/* heap_reserve() kept a slot for p while it was out. */
				heap_push(r, p);
			}
		}
	}

	end = nvtcp_env_get_ticks();
	if (work > 0) {
		STAT_ADD(r, busy_ticks, end - start);
	} else {
		STAT_ADD(r, idle_ticks, end - start);
	}
	STAT_ADD(r, iterations, 1);
	STAT_ADD(r, poller_runs, runs);
	return work;
}

int
nvtcp_reactor_send_msg(struct nvtcp_reactor *reactor, nvtcp_msg_fn fn, void *arg)
{
	struct reactor_msg m = {.fn = fn, .arg = arg};

	return nvtcp_ring_enqueue(reactor->msgs, &m, 1) == 1 ? 0 : -ENOMEM;
}

struct nvtcp_reactor *
nvtcp_reactor_get_current(void)
{
	return t_current;
}

uint32_t
nvtcp_reactor_get_core(const struct nvtcp_reactor *reactor)
{
	return reactor->core;
}

void
nvtcp_reactor_get_stats(const struct nvtcp_reactor *r, struct nvtcp_reactor_stats *stats)
{
	stats->busy_ticks = __atomic_load_n(&r->stats.busy_ticks, __ATOMIC_RELAXED);
	stats->idle_ticks = __atomic_load_n(&r->stats.idle_ticks, __ATOMIC_RELAXED);
	stats->iterations = __atomic_load_n(&r->stats.iterations, __ATOMIC_RELAXED);
	stats->msgs = __atomic_load_n(&r->stats.msgs, __ATOMIC_RELAXED);
	stats->poller_runs = __atomic_load_n(&r->stats.poller_runs, __ATOMIC_RELAXED);
}

void
reactor_free(struct nvtcp_reactor *r)
{
	struct nvtcp_poller *p;
	uint32_t left = r->ntimed;

	while ((p = TAILQ_FIRST(&r->active)) != NULL) {
		TAILQ_REMOVE(&r->active, p, link);
		if (!p->unregistered) {
			left++;
		}
		free(p);
	}
	for (uint32_t i = 0; i < r->ntimed; i++) {
		free(r->timed[i]);
	}
	if (left > 0) {
		NVTCP_DEBUGLOG("reactor on core %u freed with %u poller(s) registered", r->core,
			       left);
	}
	free(r->timed);
	nvtcp_ring_free(r->msgs);
	if (t_current == r) {
		t_current = NULL;
	}
	free(r);
}

void
nvtcp_reactor_destroy(struct nvtcp_reactor *reactor)
{
	if (reactor == NULL) {
		return;
	}
	reactor_drain(reactor);
	reactor_free(reactor);
}

/* ---- Pollers ----------------------------------------------------------------------------- */

struct nvtcp_poller *
nvtcp_poller_register(nvtcp_poller_fn fn, void *arg, uint64_t period_us)
{
	struct nvtcp_reactor *r = t_current;
	struct nvtcp_poller *p;

	if (r == NULL || fn == NULL) {
		NVTCP_ERRLOG("%s", r == NULL ? "a poller needs a reactor on the calling thread"
				 : "a poller needs a function");
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return NULL;
	}
	p->fn = fn;
	p->arg = arg;
	p->reactor = r;
	p->heap_idx = HEAP_NONE;
	if (period_us == 0) {
		TAILQ_INSERT_TAIL(&r->active, p, link);
		return p;
	}
	if (heap_reserve(r) != 0) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	/* 128-bit product: periods of hours at GHz rates overflow 64 bits. */
	p->period_ticks = (uint64_t)((unsigned __int128)period_us * nvtcp_env_get_ticks_hz() /
				     1000000u);
	if (p->period_ticks == 0) {
		p->period_ticks = 1;
	}
	p->next_tick = nvtcp_env_get_ticks() + p->period_ticks;
	heap_push(r, p);
	return p;
}

void
nvtcp_poller_unregister(struct nvtcp_poller **poller)
{
	struct nvtcp_poller *p = *poller;
	struct nvtcp_reactor *r;

	if (p == NULL) {
		return;
	}
	*poller = NULL;
	if (p->unregistered) {
		return;
	}
	r = p->reactor;
	p->unregistered = true;
	if (p->period_ticks == 0) {
		if (r->in_poll) {
			/* The walk may be standing on p or about to step to it. */
			r->dead_active++;
			return;
		}
		TAILQ_REMOVE(&r->active, p, link);
		free(p);
		return;
	}
	if (p == r->running_timed) {
		/* Freed by the loop when the call returns. */
		return;
	}
	heap_remove(r, p);
	free(p);
}
