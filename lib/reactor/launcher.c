/*
 * The launcher: one reactor per core of the environment, each on its pinned thread.
 *
 * Start-up: every reactor is created on the main thread before any worker thread is launched,
 * so nvtcp_reactor_get() is valid for every core from the first message on, and a message sent
 * to a worker before its thread runs simply waits in its ring.
 *
 * Stop: nvtcp_reactors_stop() raises a flag that every loop reads once per iteration. Each
 * reactor then executes the messages already queued for it and its thread returns. Messages
 * sent during those drains to a reactor whose thread has already returned are executed after
 * all threads are joined, by the main thread on the destination's behalf (with the destination
 * as its current reactor), so none is lost.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"
#include "nvtcp/reactor.h"

#include "reactor_internal.h"

/* Rounds of the final drain across all reactors before giving up on a message storm. */
#define LAUNCHER_DRAIN_ROUNDS 64

/* Indexed by core; published before the workers start, withdrawn after they are joined. */
static struct nvtcp_reactor **_Atomic g_reactors;
static _Atomic uint32_t g_nslots;
static atomic_bool g_stop;
static atomic_bool g_running;

struct nvtcp_reactor *
nvtcp_reactor_get(uint32_t core)
{
	struct nvtcp_reactor **rs = atomic_load_explicit(&g_reactors, memory_order_acquire);

	if (rs == NULL || core >= atomic_load_explicit(&g_nslots, memory_order_relaxed)) {
		return NULL;
	}
	return rs[core];
}

void
nvtcp_reactors_stop(void)
{
	atomic_store_explicit(&g_stop, true, memory_order_release);
}

bool
nvtcp_reactors_stopping(void)
{
	return atomic_load_explicit(&g_stop, memory_order_acquire);
}

static void
reactor_loop(struct nvtcp_reactor *r)
{
	while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
		nvtcp_reactor_poll(r);
	}
	reactor_drain(r);
}

static int
worker_main(void *arg)
{
	struct nvtcp_reactor *r = arg;

	reactor_set_current(r);
	reactor_loop(r);
	reactor_set_current(NULL);
	return 0;
}

/* After every thread has returned: execute what is still queued anywhere. */
static void
drain_all(struct nvtcp_reactor **rs, uint32_t nslots)
{
	for (int round = 0; round < LAUNCHER_DRAIN_ROUNDS; round++) {
		uint64_t n = 0;

		for (uint32_t c = 0; c < nslots; c++) {
			if (rs[c] != NULL) {
				reactor_set_current(rs[c]);
				n += reactor_drain(rs[c]);
			}
		}
		reactor_set_current(NULL);
		if (n == 0) {
			return;
		}
	}
	NVTCP_WARNLOG("reactors still exchanging messages after %d rounds at stop",
		      LAUNCHER_DRAIN_ROUNDS);
}

int
nvtcp_reactors_start(nvtcp_msg_fn start_fn, void *arg)
{
	struct nvtcp_reactor **rs;
	uint32_t core, main_core, nslots = 0;
	int rc = 0;

	if (!nvtcp_env_is_initialized()) {
		NVTCP_ERRLOG("the reactors need the environment (nvtcp_env_init())");
		return -EINVAL;
	}
	main_core = nvtcp_env_get_main_core();
	if (nvtcp_env_get_core() != main_core) {
		NVTCP_ERRLOG("the reactors must be started from the environment's main thread");
		return -EINVAL;
	}
	if (nvtcp_reactor_get_current() != NULL) {
		NVTCP_ERRLOG("the main thread already has a reactor");
		return -EEXIST;
	}
	if (atomic_exchange(&g_running, true)) {
		return -EBUSY;
	}
	NVTCP_ENV_FOREACH_CORE(core) {
		nslots = core + 1;
	}
	rs = calloc(nslots, sizeof(*rs));
	if (rs == NULL) {
		atomic_store(&g_running, false);
		return -ENOMEM;
	}
	NVTCP_ENV_FOREACH_CORE(core) {
		rs[core] = reactor_alloc(NULL, core);
		if (rs[core] == NULL) {
			rc = -errno;
			NVTCP_ERRLOG("cannot create the reactor of core %u: %s", core,
				     strerror(errno));
			goto out;
		}
	}
	atomic_store(&g_stop, false);
	atomic_store_explicit(&g_nslots, nslots, memory_order_relaxed);
	atomic_store_explicit(&g_reactors, rs, memory_order_release);

	NVTCP_ENV_FOREACH_CORE(core) {
		if (core == main_core) {
			continue;
		}
		rc = nvtcp_env_core_launch(core, worker_main, rs[core]);
		if (rc != 0) {
			NVTCP_ERRLOG("cannot start the reactor thread of core %u: %s", core,
				     strerror(-rc));
			break;
		}
	}
	if (rc == 0 && start_fn != NULL) {
		/* The ring is empty, so this cannot fail. */
		nvtcp_reactor_send_msg(rs[main_core], start_fn, arg);
	}
	if (rc == 0) {
		reactor_set_current(rs[main_core]);
		reactor_loop(rs[main_core]);
		reactor_set_current(NULL);
	} else {
		nvtcp_reactors_stop();
	}
	/* A core that was never launched is idle: waiting on it returns at once. */
	NVTCP_ENV_FOREACH_CORE(core) {
		if (core != main_core) {
			nvtcp_env_core_wait(core);
		}
	}
	drain_all(rs, nslots);

	atomic_store_explicit(&g_reactors, NULL, memory_order_release);
	atomic_store_explicit(&g_nslots, 0, memory_order_relaxed);
out:
	for (uint32_t c = 0; c < nslots; c++) {
		if (rs[c] != NULL) {
			reactor_free(rs[c]);
		}
	}
	free(rs);
	atomic_store(&g_running, false);
	return rc;
}
