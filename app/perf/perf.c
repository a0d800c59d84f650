/*
 * nvtcp_perf: measure NVMe/TCP I/O performance, as spdk_nvme_perf does, with the same options
 * and output, plus machine-readable results, a progress line, data verification and a rate
 * limit. Without -r it starts an embedded target in the same process and measures against it
 * over loopback TCP.
 *
 * Every core of the mask runs a reactor (the application framework). The main core's reactor
 * runs the set-up and tear-down state machine below, and polls the admin queues; every worker
 * core (all cores of the mask, except the embedded target's when there are several) runs its
 * own I/O loop (perf_worker.c). Work crosses cores only as reactor messages, so each queue pair
 * has exactly one owner at a time:
 *
 *   main: attach controllers -> allocate and connect queue pairs (polled until connected)
 *     -> worker: prepare (tasks, DMA buffers, poll group) -> main: all ready, common start tick
 *     -> worker: run, drain -> main: all done: report -> worker: clean up
 *     -> main: free queue pairs, detach controllers, stop the embedded target, exit.
 *
 * Nothing on the main reactor blocks (attach, connect and detach are polled), so the embedded
 * target can share the core when the mask has one core.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/app.h"
#include "nvtcp/env.h"
#include "nvtcp/nvmf_spec.h"
#include "nvtcp/reactor.h"
#include "nvtcp/sock.h"
#include "nvtcp/util.h"

#include "perf.h"

/* Bound of the queue pair connection wait, as spdk_nvme_perf. */
#define PERF_QPAIR_CONNECT_TIMEOUT_S 10
/* Delay between "go" and the common start tick, so that every worker starts together. */
#define PERF_START_DELAY_US 20000
/* Most I/O queues asked of a controller. */
#define PERF_MAX_IO_QUEUES 1024

struct perf_app g_perf;

enum main_state {
	ST_INIT = 0,
	ST_TGT,
	ST_ATTACH,
	ST_QPAIRS,
	ST_PREPARE,
	ST_RUN,
	ST_CLEANUP,
	ST_DETACH,
	ST_STOP,
};

static enum main_state g_state;
static struct nvtcp_reactor *g_main_reactor;
static struct nvtcp_poller *g_setup_poller;
static struct nvtcp_poller *g_admin_poller;
static struct nvtcp_poller *g_progress_poller;
static struct nvtcp_poller *g_reauth_poller;
/* Connect cost: when the attach began, when every controller was attached (admin queue
 * connected, authenticated when asked, controller initialised), when every I/O queue pair was
 * connected. */
static uint64_t g_attach_tsc, g_attached_tsc, g_qpairs_tsc;
/* --reauth-interval: re-authentications started, succeeded, failed (the rest were in progress
 * when the run ended: cancelled at detach). */
static uint64_t g_reauth_started, g_reauth_ok, g_reauth_failed;
static uint32_t g_replies;
static uint64_t g_deadline;
static uint32_t g_tgt_core = NVTCP_ENV_CORE_NONE;

static void teardown(void);
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PERF_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	g_perf.rc = 1;
}

static int
send_to(uint32_t core, nvtcp_msg_fn fn, void *arg)
{
	struct nvtcp_reactor *r = nvtcp_reactor_get(core);

	return r != NULL ? nvtcp_reactor_send_msg(r, fn, arg) : -ENODEV;
}

static void
send_main(nvtcp_msg_fn fn, void *arg)
{
	/* The main reactor's ring is 64 Ki messages deep and gets a handful: failure would be a
	 * bug, and losing the message would hang the run, so say so loudly. */
	if (nvtcp_reactor_send_msg(g_main_reactor, fn, arg) != 0) {
		fprintf(stderr, "%s: cannot message the main core\n", PERF_NAME);
		abort();
	}
}

static void
unregister(struct nvtcp_poller **p)
{
	if (*p != NULL) {
		nvtcp_poller_unregister(p);
	}
}

/* ---- Admin queues ------------------------------------------------------------------------- */

static int
admin_poll(void *arg)
{
	int busy = NVTCP_POLLER_IDLE;

	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		struct perf_ctrlr *pc = &g_perf.ctrlrs[i];
		int32_t rc;

		/* Once the workers are being prepared (the admin poller is registered then), a
		 * multipath path's admin queue belongs to the worker that drives the path. */
		if (!pc->ready || pc->failed || (pc->mpath && g_admin_poller != NULL)) {
			continue;
		}
		rc = nvtcp_ctrlr_process_admin_completions(pc->ctrlr);
		if (rc > 0) {
			busy = NVTCP_POLLER_BUSY;
		} else if (rc < 0) {
			pc->failed = true;
			fail("controller %s failed: %s", pc->name,
			     nvtcp_ctrlr_get_failure_reason(pc->ctrlr));
			atomic_store(&g_perf.exit, true);
		}
	}
	return busy;
}

/* ---- Re-authentication (--reauth-interval) ------------------------------------------------ */

static void
reauth_done(void *cb_arg, struct nvtcp_ctrlr *ctrlr, int rc)
{
	struct perf_ctrlr *pc = cb_arg;
	struct nvtcp_auth_result res;

	if (rc == -ECANCELED) {
		return; /* detached at the end of the run */
	}
	if (rc == 0 && nvtcp_ctrlr_get_auth_status(ctrlr, &res)) {
		g_reauth_ok++;
		return;
	}
	g_reauth_failed++;
	fprintf(stderr, "Re-authentication of %s failed: %s\n", pc->name,
		rc == 0 ? "not authenticated" : strerror(-rc));
	g_perf.rc = 1;
}

static int
reauth_poll(void *arg)
{
	(void)arg;
	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		struct perf_ctrlr *pc = &g_perf.ctrlrs[i];
		int rc;

		/* A multipath path's admin queue is polled by its worker, not here. */
		if (!pc->ready || pc->failed || pc->mpath || !pc->authenticated) {
			continue;
		}
		rc = nvtcp_ctrlr_reauthenticate_ext(pc->ctrlr, g_perf.opts.reauth_secret, NULL,
						    reauth_done, pc);
		if (rc == 0) {
			g_reauth_started++;
		} else if (rc != -EBUSY && rc != -EAGAIN) {
			/* -EBUSY: the last one is still running; -EAGAIN: reconnecting. */
			g_reauth_failed++;
			fprintf(stderr, "Re-authentication of %s not started: %s\n", pc->name,
				strerror(-rc));
			g_perf.rc = 1;
		}
	}
	return NVTCP_POLLER_BUSY;
}

/* ---- Tear-down ---------------------------------------------------------------------------- */

static void
stopped(void)
{
	g_state = ST_STOP;
	nvtcp_app_stop(g_perf.rc);
}

static int
detach_poll(void *arg)
{
	uint32_t left = 0;

	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		struct perf_ctrlr *pc = &g_perf.ctrlrs[i];

		if (!pc->detaching) {
			continue;
		}
		if (nvtcp_ctrlr_detach_poll(pc->ctrlr) == -EAGAIN) {
			left++;
		} else {
			pc->detaching = false;
			pc->ctrlr = NULL;
		}
	}
	if (left > 0) {
		return NVTCP_POLLER_BUSY;
	}
	unregister(&g_setup_poller);
	if (perf_tgt_running()) {
		perf_tgt_stop(stopped);
	} else {
		stopped();
	}
	return NVTCP_POLLER_BUSY;
}

static void
free_qpairs_and_detach(void)
{
	unregister(&g_reauth_poller);
	unregister(&g_admin_poller);
	unregister(&g_setup_poller);
	for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
		struct perf_ns_ctx *c = &g_perf.ctxs[i];

		for (uint32_t q = 0; q < c->num_qpairs; q++) {
			if (c->qpairs[q] != NULL) {
				nvtcp_ctrlr_free_io_qpair(c->qpairs[q]);
				c->qpairs[q] = NULL;
			}
		}
	}
	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		struct perf_ctrlr *pc = &g_perf.ctrlrs[i];

		for (uint32_t q = 0; q < pc->num_unused; q++) {
			if (pc->unused_qpairs[q] != NULL) {
				nvtcp_ctrlr_free_io_qpair(pc->unused_qpairs[q]);
				pc->unused_qpairs[q] = NULL;
			}
		}
		if (pc->ctrlr != NULL && nvtcp_ctrlr_detach_async(pc->ctrlr) == 0) {
			pc->detaching = true;
		}
	}
	g_state = ST_DETACH;
	g_setup_poller = nvtcp_poller_register(detach_poll, NULL, 0);
	if (g_setup_poller == NULL) {
		fail("cannot register the detach poller");
		stopped();
	}
}

static void
worker_cleaned_msg(void *arg)
{
	if (--g_replies == 0) {
		free_qpairs_and_detach();
	}
}

static void
worker_cleanup_msg(void *arg)
{
	perf_worker_cleanup(arg);
	send_main(worker_cleaned_msg, arg);
}

/* Everything after the run (or after a failed set-up): give the queue pairs back, free. */
static void
teardown(void)
{
	unregister(&g_progress_poller);
	unregister(&g_setup_poller);
	g_state = ST_CLEANUP;
	g_replies = g_perf.num_workers;
	if (g_replies == 0) {
		free_qpairs_and_detach();
		return;
	}
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		if (send_to(g_perf.workers[i].core, worker_cleanup_msg, &g_perf.workers[i]) != 0) {
			/* Cannot happen with a running launcher; do it here rather than hang. */
			perf_worker_cleanup(&g_perf.workers[i]);
			g_replies--;
		}
	}
	if (g_replies == 0) {
		free_qpairs_and_detach();
	}
}

/* ---- The run ------------------------------------------------------------------------------ */

static void
report(void)
{
	uint64_t submitted = 0, completed = 0, errors = 0, mismatches = 0, gave_up = 0, left = 0;

	perf_report_progress_end();
	perf_report_print(stdout);
	perf_mpath_report(stdout);
	if (g_perf.opts.transport_stats) {
		perf_report_transport_stats(stdout);
	}
	if (g_perf.opts.cpu_usage) {
		perf_report_cpu(stdout);
	}
	for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
		struct perf_ns_ctx *c = &g_perf.ctxs[i];

		submitted += c->stats.io_submitted;
		completed += atomic_load(&c->stats.io_completed);
		errors += c->stats.io_errors;
		mismatches += c->verify.mismatches;
		gave_up += c->verify.gave_up;
		left += c->end_tasks_busy + c->end_drv_outstanding;
		if (c->status != 0) {
			g_perf.rc = 1;
		}
	}
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		if (g_perf.workers[i].status != 0) {
			g_perf.rc = 1;
		}
	}
	if (g_perf.opts.verify || errors != 0 || submitted != completed || left != 0) {
		perf_report_verify(stdout);
	}
	if (g_perf.opts.reauth_interval_s != 0) {
		printf("Re-authentications: %" PRIu64 " started, %" PRIu64 " succeeded, %" PRIu64
		       " failed, %" PRIu64 " in progress at the end\n", g_reauth_started, g_reauth_ok,
		       g_reauth_failed,
		       g_reauth_started - g_reauth_ok - g_reauth_failed);
	}
	if (submitted != completed) {
		fail("I/O accounting does not add up: %" PRIu64 " submitted, %" PRIu64
		     " completed", submitted, completed);
	}
	if (left != 0) {
		fail("%" PRIu64 " I/Os or driver requests were not back at the end of the run", left);
	}
	if (mismatches != 0 || gave_up != 0) {
		g_perf.rc = 1;
	}
	fflush(stdout);
	if (g_perf.opts.json_path != NULL && perf_json_write(g_perf.opts.json_path) != 0) {
		g_perf.rc = 1;
	}
}

static void
worker_done_msg(void *arg)
{
	if (--g_replies > 0) {
		return;
	}
	report();
	teardown();
}

void
perf_worker_finished(struct perf_worker *w)
{
	send_main(worker_done_msg, w);
}

static void
worker_go_msg(void *arg)
{
	struct perf_worker *w = arg;

	if (perf_worker_start(w) != 0) {
		fprintf(stderr, "%s: %s\n", PERF_NAME, w->err);
		w->status = 1;
		perf_worker_finished(w);
	}
}

static int
progress_poll(void *arg)
{
	perf_report_progress();
	return NVTCP_POLLER_BUSY;
}

static void
go(void)
{
	uint64_t start = nvtcp_env_get_ticks() + g_perf.hz * PERF_START_DELAY_US / 1000000;

	g_state = ST_RUN;
	printf("Initialization complete. Launching workers.\n");
	fflush(stdout);
	g_replies = g_perf.num_workers;
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		g_perf.workers[i].start_tsc = start;
	}
	if (g_perf.progress) {
		g_progress_poller = nvtcp_poller_register(progress_poll, NULL, 1000000);
	}
	if (g_perf.opts.reauth_interval_s != 0) {
		g_reauth_poller = nvtcp_poller_register(reauth_poll, NULL,
							(uint64_t)g_perf.opts.reauth_interval_s *
							1000000);
		if (g_reauth_poller == NULL) {
			fail("cannot register the re-authentication poller");
		}
	}
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		if (send_to(g_perf.workers[i].core, worker_go_msg, &g_perf.workers[i]) != 0) {
			fail("cannot start the worker on core %u", g_perf.workers[i].core);
			g_perf.workers[i].status = 1;
			g_replies--;
		}
	}
	if (g_replies == 0) {
		report();
		teardown();
	}
}

static uint64_t g_prefill_start;

static void
worker_prefilled_msg(void *arg)
{
	struct perf_worker *w = arg;

	if (w->status != 0) {
		g_perf.rc = 1;
	}
	if (--g_replies > 0) {
		return;
	}
	if (g_perf.rc != 0 || atomic_load(&g_perf.exit)) {
		teardown();
		return;
	}
	printf("Prefill done in %.1f s.\n",
	       (double)(nvtcp_env_get_ticks() - g_prefill_start) / (double)g_perf.hz);
	go();
}

void
perf_worker_prefilled(struct perf_worker *w)
{
	send_main(worker_prefilled_msg, w);
}

static void
worker_prefill_msg(void *arg)
{
	struct perf_worker *w = arg;

	if (perf_worker_prefill(w) != 0) {
		fprintf(stderr, "%s: %s\n", PERF_NAME, w->err);
		w->status = 1;
		perf_worker_prefilled(w);
	}
}

/* --prefill: every worker writes its verified regions once before the run. */
static void
prefill(void)
{
	uint64_t slots = 0;

	for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
		slots += g_perf.ctxs[i].verify.count;
	}
	printf("Prefilling %" PRIu64 " I/O-sized blocks for verification.\n", slots);
	fflush(stdout);
	g_prefill_start = nvtcp_env_get_ticks();
	g_replies = g_perf.num_workers;
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		if (send_to(g_perf.workers[i].core, worker_prefill_msg, &g_perf.workers[i]) != 0) {
			fail("cannot reach core %u", g_perf.workers[i].core);
			g_replies--;
		}
	}
	if (g_replies == 0) {
		teardown();
	}
}

static void
worker_ready_msg(void *arg)
{
	struct perf_worker *w = arg;

	if (w->status != 0) {
		fail("%s", w->err[0] != '\0' ? w->err : "a worker could not be prepared");
	}
	if (--g_replies > 0) {
		return;
	}
	if (g_perf.rc != 0 || atomic_load(&g_perf.exit)) {
		teardown();
		return;
	}
	if (g_perf.opts.prefill) {
		prefill();
		return;
	}
	go();
}

static void
worker_prepare_msg(void *arg)
{
	struct perf_worker *w = arg;

	w->status = perf_worker_prepare(w) != 0 ? 1 : 0;
	send_main(worker_ready_msg, w);
}

static void
prepare_workers(void)
{
	g_state = ST_PREPARE;
	g_replies = g_perf.num_workers;
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		if (send_to(g_perf.workers[i].core, worker_prepare_msg, &g_perf.workers[i]) != 0) {
			fail("cannot reach core %u", g_perf.workers[i].core);
			g_replies--;
		}
	}
	if (g_replies == 0) {
		teardown();
	}
}

/* ---- Queue pairs -------------------------------------------------------------------------- */

static int
qpairs_poll(void *arg)
{
	uint32_t waiting = 0;

	admin_poll(NULL);
	for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
		struct perf_ns_ctx *c = &g_perf.ctxs[i];

		for (uint32_t q = 0; q < c->num_qpairs; q++) {
			if (nvtcp_qpair_is_connected(c->qpairs[q])) {
				continue;
			}
			if (nvtcp_qpair_process_completions(c->qpairs[q], 0) < 0) {
				fail("queue pair %u of %s failed to connect",
				     nvtcp_qpair_get_id(c->qpairs[q]), c->ns->name);
				unregister(&g_setup_poller);
				teardown();
				return NVTCP_POLLER_BUSY;
			}
			waiting += !nvtcp_qpair_is_connected(c->qpairs[q]);
		}
	}
	if (atomic_load(&g_perf.exit)) {
		unregister(&g_setup_poller);
		teardown();
		return NVTCP_POLLER_BUSY;
	}
	if (waiting > 0) {
		if (nvtcp_env_get_ticks() > g_deadline) {
			fail("%u queue pairs did not connect within %d s", waiting,
			     PERF_QPAIR_CONNECT_TIMEOUT_S);
			unregister(&g_setup_poller);
			teardown();
		}
		return NVTCP_POLLER_BUSY;
	}
	unregister(&g_setup_poller);
	g_qpairs_tsc = nvtcp_env_get_ticks();
	{
		uint32_t n = 0;

		for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
			n += g_perf.ctxs[i].num_qpairs;
		}
		printf("Connect time: %.3f ms (%u controller(s) attached in %.3f ms, then %u I/O "
		       "queue pair(s) in %.3f ms)\n",
		       (double)(g_qpairs_tsc - g_attach_tsc) * 1000.0 / (double)g_perf.hz,
		       g_perf.num_ctrlrs,
		       (double)(g_attached_tsc - g_attach_tsc) * 1000.0 / (double)g_perf.hz, n,
		       (double)(g_qpairs_tsc - g_attached_tsc) * 1000.0 / (double)g_perf.hz);
		fflush(stdout);
	}
	g_admin_poller = nvtcp_poller_register(admin_poll, NULL, 10000);
	if (g_admin_poller == NULL) {
		fail("cannot register the admin poller");
		teardown();
		return NVTCP_POLLER_BUSY;
	}
	prepare_workers();
	return NVTCP_POLLER_BUSY;
}

static void
alloc_qpairs(void)
{
	const struct perf_opts *o = &g_perf.opts;

	g_state = ST_QPAIRS;
	for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
		struct perf_ns_ctx *c = &g_perf.ctxs[i];
		struct perf_ns *ns = c->ns;
		struct nvtcp_io_qpair_opts qo;

		nvtcp_ctrlr_get_default_io_qpair_opts(ns->ctrlr->ctrlr, &qo);
		qo.io_queue_size = ns->qpair_size;
		qo.io_queue_requests = NVTCP_MAX(qo.io_queue_requests, ns->qpair_requests);
		qo.full_policy = NVTCP_QPAIR_FULL_QUEUE;
		qo.async_connect = true;
		for (uint32_t q = 0; q < c->num_qpairs; q++) {
			int rc = 0;

			/* A multipath namespace has one queue pair per path, on that path. */
			c->qpairs[q] = nvtcp_ctrlr_alloc_io_qpair(ns->num_paths != 0 ?
								  ns->paths[q]->ctrlr :
								  ns->ctrlr->ctrlr, &qo, &rc);
			if (c->qpairs[q] == NULL) {
				fail("cannot allocate I/O queue pair %u of %s: %s%s", q + 1, ns->name,
				     strerror(-rc), rc == -ENOSPC ? " (the controller has no queue "
				     "left: lower -P, -U or the number of cores)" : "");
				teardown();
				return;
			}
		}
	}
	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		struct perf_ctrlr *pc = &g_perf.ctrlrs[i];

		if (o->unused_qpairs == 0) {
			continue;
		}
		pc->unused_qpairs = calloc(o->unused_qpairs, sizeof(*pc->unused_qpairs));
		if (pc->unused_qpairs == NULL) {
			fail("out of memory");
			teardown();
			return;
		}
		pc->num_unused = o->unused_qpairs;
		for (uint32_t q = 0; q < o->unused_qpairs; q++) {
			int rc = 0;

			pc->unused_qpairs[q] = nvtcp_ctrlr_alloc_io_qpair(pc->ctrlr, NULL, &rc);
			if (pc->unused_qpairs[q] == NULL) {
				fail("cannot allocate unused queue pair %u of %s: %s", q + 1, pc->name,
				     strerror(-rc));
				teardown();
				return;
			}
		}
	}
	g_deadline = nvtcp_env_get_ticks() + PERF_QPAIR_CONNECT_TIMEOUT_S * g_perf.hz;
	g_setup_poller = nvtcp_poller_register(qpairs_poll, NULL, 0);
	if (g_setup_poller == NULL) {
		fail("cannot register the set-up poller");
		teardown();
	}
}

/* ---- Namespaces and workers --------------------------------------------------------------- */

static int
register_ns(struct perf_ctrlr *pc, struct nvtcp_ns *ns)
{
	const struct perf_opts *o = &g_perf.opts;
	struct perf_ns *e = &g_perf.nss[g_perf.num_nss];
	uint32_t max_xfer, entries, qd_per_qp, mqes;
	uint64_t cap;

	e->ctrlr = pc;
	e->ns = ns;
	e->nsid = nvtcp_ns_get_id(ns);
	e->block_size = nvtcp_ns_get_sector_size(ns);
	e->num_blocks = nvtcp_ns_get_num_sectors(ns);
	snprintf(e->name, sizeof(e->name), "%s NSID %u", pc->name, e->nsid);
	if (e->block_size == 0 || o->io_size % e->block_size != 0) {
		fail("-o (--io-size) %u is not a multiple of the block size %u of %s", o->io_size,
		     e->block_size, e->name);
		return -EINVAL;
	}
	if (nvtcp_ns_get_md_size(ns) != 0) {
		fail("%s has %u bytes of metadata per block, which nvtcp_perf does not support",
		     e->name, nvtcp_ns_get_md_size(ns));
		return -EINVAL;
	}
	e->io_blocks = o->io_size / e->block_size;
	e->size_in_ios = e->num_blocks / e->io_blocks;
	if (e->size_in_ios == 0) {
		fail("%s (%" PRIu64 " bytes) is smaller than -o (--io-size) %u", e->name,
		     nvtcp_ns_get_size(ns), o->io_size);
		return -EINVAL;
	}
	/* Queue size: enough for this queue pair's share of -q (a queue of N entries holds N-1
	 * commands), within the controller's limit; split transfers need more requests. */
	max_xfer = nvtcp_ns_get_max_io_xfer_size(ns);
	entries = max_xfer != 0 ? (o->io_size - 1) / max_xfer + 1 : 1;
	qd_per_qp = (o->queue_depth + o->qpairs_per_ns - 1) / o->qpairs_per_ns;
	cap = nvtcp_ctrlr_get_cap(pc->ctrlr);
	mqes = nvtcp_nvme_cap_mqes(cap) + 1;
	if (o->io_queue_size != 0) {
		e->qpair_size = NVTCP_MIN(o->io_queue_size, mqes);
	} else {
		struct nvtcp_io_qpair_opts qo;

		nvtcp_ctrlr_get_default_io_qpair_opts(pc->ctrlr, &qo);
		e->qpair_size = NVTCP_MIN(NVTCP_MAX(qo.io_queue_size, qd_per_qp * entries + 1), mqes);
	}
	if ((uint64_t)qd_per_qp * entries > e->qpair_size - 1) {
		printf("Controller IO queue size %u, less than required.\n", e->qpair_size);
		printf("Consider using lower queue depth or smaller IO size, because IO requests may "
		       "be queued at the NVMe driver.\n");
	}
	e->qpair_requests = qd_per_qp * (entries + (entries > 1 ? 1 : 0)) + 16;
	g_perf.num_nss++;
	return 0;
}

static int
register_namespaces(void)
{
	uint32_t total = 0;

	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		total += nvtcp_ctrlr_get_num_active_ns(g_perf.ctrlrs[i].ctrlr);
	}
	g_perf.nss = calloc(total > 0 ? total : 1, sizeof(*g_perf.nss));
	if (g_perf.nss == NULL) {
		fail("out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		struct perf_ctrlr *pc = &g_perf.ctrlrs[i];

		if (pc->nsid != 0) {
			struct nvtcp_ns *ns = nvtcp_ctrlr_get_ns(pc->ctrlr, pc->nsid);

			if (ns == NULL) {
				fail("%s: namespace %u (ns:%u in -r) does not exist or is not active",
				     pc->name, pc->nsid, pc->nsid);
				return -ENOENT;
			}
			if (register_ns(pc, ns) != 0) {
				return -EINVAL;
			}
			continue;
		}
		for (uint32_t nsid = nvtcp_ctrlr_get_first_active_ns(pc->ctrlr); nsid != 0;
		     nsid = nvtcp_ctrlr_get_next_active_ns(pc->ctrlr, nsid)) {
			struct nvtcp_ns *ns = nvtcp_ctrlr_get_ns(pc->ctrlr, nsid);

			if (ns != NULL && g_perf.num_nss < total && register_ns(pc, ns) != 0) {
				return -EINVAL;
			}
		}
	}
	if (g_perf.num_nss == 0) {
		fail("No active namespaces found");
		return -ENOENT;
	}
	return 0;
}

static int
add_ctx(struct perf_ns *ns, struct perf_worker *w)
{
	struct perf_ns_ctx *c = &g_perf.ctxs[g_perf.num_ctxs++];

	c->ns = ns;
	c->worker = w;
	c->index = ns->num_ctxs++;
	c->num_qpairs = ns->num_paths != 0 ? ns->num_paths : g_perf.opts.qpairs_per_ns;
	c->qpairs = calloc(c->num_qpairs, sizeof(*c->qpairs));
	if (c->qpairs == NULL) {
		return -ENOMEM;
	}
	w->ctxs[w->num_ctxs++] = c;
	printf("Associating %s with lcore %u\n", ns->name, w->core);
	if (g_perf.opts.number_ios_pct != 0) {
		printf("number_ios for namespace %s set to %" PRIu64 " (%u%% of namespace size)\n",
		       ns->name, ns->size_in_ios * g_perf.opts.number_ios_pct / 100,
		       g_perf.opts.number_ios_pct);
	}
	return 0;
}

/* As spdk_nvme_perf: namespaces and workers are paired round robin until both lists have been
 * covered (so each worker gets at least one namespace and each namespace at least one
 * worker); with --use-every-core every worker drives every namespace. */
static int
associate_workers(void)
{
	uint32_t n, count;

	n = g_perf.opts.use_every_core ? g_perf.num_nss * g_perf.num_workers
				       : NVTCP_MAX(g_perf.num_nss, g_perf.num_workers);
	g_perf.ctxs = calloc(n, sizeof(*g_perf.ctxs));
	if (g_perf.ctxs == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		g_perf.workers[i].ctxs = calloc(n, sizeof(struct perf_ns_ctx *));
		if (g_perf.workers[i].ctxs == NULL) {
			return -ENOMEM;
		}
	}
	if (g_perf.opts.use_every_core) {
		for (uint32_t w = 0; w < g_perf.num_workers; w++) {
			for (uint32_t i = 0; i < g_perf.num_nss; i++) {
				if (add_ctx(&g_perf.nss[i], &g_perf.workers[w]) != 0) {
					return -ENOMEM;
				}
			}
		}
		return 0;
	}
	count = n;
	for (uint32_t i = 0; i < count; i++) {
		if (add_ctx(&g_perf.nss[i % g_perf.num_nss],
			    &g_perf.workers[i % g_perf.num_workers]) != 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

/* ---- Attach ------------------------------------------------------------------------------- */

static int
attach_poll(void *arg)
{
	uint32_t pending = 0;

	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		struct perf_ctrlr *pc = &g_perf.ctrlrs[i];
		int rc;

		if (pc->ready || pc->failed) {
			continue;
		}
		rc = nvtcp_ctrlr_attach_poll(pc->ctrlr);
		if (rc == -EAGAIN) {
			pending++;
		} else if (rc == 0) {
			const char *cipher = nvtcp_ctrlr_get_tls_cipher(pc->ctrlr);

			pc->ready = true;
			snprintf(pc->tls_cipher, sizeof(pc->tls_cipher), "%s",
				 cipher != NULL ? cipher : "");
			pc->authenticated = nvtcp_ctrlr_get_auth_status(pc->ctrlr, &pc->auth);
			if (pc->authenticated) {
				const char *h = nvtcp_auth_hash_name(pc->auth.hash_id);
				const char *g = nvtcp_auth_dhgroup_name(pc->auth.dhgroup_id);

				printf("Authenticated to %s: DH-HMAC-CHAP %s %s %s\n", pc->name,
				       h != NULL ? h : "?", g != NULL ? g : "?",
				       pc->auth.bidirectional ? "bidirectional" : "unidirectional");
			}
			if (cipher != NULL) {
				printf("Attached to NVMeoF Controller at %s over TLS (%s)\n",
				       pc->name, cipher);
			} else {
				printf("Attached to NVMeoF Controller at %s\n", pc->name);
			}
		} else {
			pc->failed = true;
			fail("cannot attach to %s: %s", pc->name,
			     nvtcp_ctrlr_get_failure_reason(pc->ctrlr)[0] != '\0'
			     ? nvtcp_ctrlr_get_failure_reason(pc->ctrlr) : strerror(-rc));
		}
	}
	if (pending > 0 && !atomic_load(&g_perf.exit)) {
		return NVTCP_POLLER_BUSY;
	}
	g_attached_tsc = nvtcp_env_get_ticks();
	unregister(&g_setup_poller);
	fflush(stdout);
	if (g_perf.rc != 0 || atomic_load(&g_perf.exit)) {
		teardown();
		return NVTCP_POLLER_BUSY;
	}
	if (register_namespaces() != 0 || perf_mpath_fold() != 0 || associate_workers() != 0 ||
	    perf_mpath_check_workers() != 0) {
		if (g_perf.rc == 0) {
			fail("out of memory");
		}
		teardown();
		return NVTCP_POLLER_BUSY;
	}
	alloc_qpairs();
	return NVTCP_POLLER_BUSY;
}

static int
add_ctrlr(const struct nvtcp_trid *trid, uint32_t nsid)
{
	struct perf_ctrlr *pc;
	void *p;

	p = realloc(g_perf.ctrlrs, (g_perf.num_ctrlrs + 1) * sizeof(*g_perf.ctrlrs));
	if (p == NULL) {
		return -ENOMEM;
	}
	g_perf.ctrlrs = p;
	pc = &g_perf.ctrlrs[g_perf.num_ctrlrs++];
	memset(pc, 0, sizeof(*pc));
	pc->trid = *trid;
	pc->nsid = nsid;
	snprintf(pc->name, sizeof(pc->name), "TCP (addr:%s subnqn:%s)", trid->traddr, trid->subnqn);
	return 0;
}

/* A -r without subnqn (or with the discovery NQN) means every NVM subsystem the discovery
 * service at that address lists, as spdk_nvme_perf does. */
static int
discover_into(const struct perf_trid_entry *e)
{
	struct nvtcp_discover_opts dopts;
	struct nvtcp_discovery_entry *entries = NULL;
	struct nvtcp_trid dtrid = e->trid;
	size_t count = 0, used = 0;
	int rc;

	if (dtrid.subnqn[0] == '\0') {
		snprintf(dtrid.subnqn, sizeof(dtrid.subnqn), "%s", NVTCP_DISCOVERY_NQN);
	}
	nvtcp_discover_opts_init(&dopts);
	dopts.ctrlr.hdgst = g_perf.opts.hdgst;
	dopts.ctrlr.ddgst = g_perf.opts.ddgst;
	dopts.ctrlr.tls = g_perf.opts.tls;
	dopts.ctrlr.psk_path = g_perf.opts.psk_path;
	dopts.ctrlr.dhchap_secret = g_perf.opts.dhchap_secret;
	dopts.ctrlr.dhchap_ctrl_secret = g_perf.opts.dhchap_ctrl_secret;
	rc = nvtcp_discover(&dtrid, &dopts, &entries, &count);
	if (rc != 0) {
		fail("discovery at %s:%s failed: %s (give subnqn: in -r to skip discovery)",
		     dtrid.traddr, dtrid.trsvcid, strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < count; i++) {
		struct nvtcp_trid t;

		if (entries[i].subtype != NVTCP_NVMF_SUBTYPE_NVME ||
		    entries[i].trtype != NVTCP_TRTYPE_TCP) {
			continue;
		}
		nvtcp_discovery_entry_to_trid(&entries[i], NULL, NULL, &t);
		snprintf(t.hostnqn, sizeof(t.hostnqn), "%s", e->trid.hostnqn);
		rc = add_ctrlr(&t, e->nsid);
		if (rc != 0) {
			free(entries);
			return rc;
		}
		used++;
	}
	free(entries);
	if (used == 0) {
		fail("the discovery service at %s:%s lists no NVMe/TCP subsystem", dtrid.traddr,
		     dtrid.trsvcid);
		return -ENOENT;
	}
	return 0;
}

static void
begin_attach(void)
{
	const struct perf_opts *o = &g_perf.opts;
	uint32_t queues;

	g_state = ST_ATTACH;
	g_attach_tsc = nvtcp_env_get_ticks();
	printf("Initializing NVMe Controllers\n");
	fflush(stdout);
	for (uint32_t i = 0; i < o->num_trids; i++) {
		const struct perf_trid_entry *e = &o->trids[i];
		int rc;

		if (e->trid.subnqn[0] == '\0' || strcmp(e->trid.subnqn, NVTCP_DISCOVERY_NQN) == 0) {
			rc = discover_into(e);
		} else {
			rc = add_ctrlr(&e->trid, e->nsid);
			if (rc != 0) {
				fail("out of memory");
			}
		}
		if (rc != 0) {
			teardown();
			return;
		}
	}
	/* Enough I/O queues for every worker's queue pairs of a few namespaces; the controller
	 * grants what it can and allocation says so when that is too few. */
	queues = g_perf.num_workers * o->qpairs_per_ns * 16 + o->unused_qpairs;
	queues = NVTCP_MIN(queues, (uint32_t)PERF_MAX_IO_QUEUES);
	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		struct perf_ctrlr *pc = &g_perf.ctrlrs[i];
		struct nvtcp_ctrlr_opts co;
		int rc;

		nvtcp_ctrlr_opts_init(&co);
		co.hdgst = o->hdgst;
		co.ddgst = o->ddgst;
		co.tls = o->tls;
		co.psk_path = o->psk_path;
		co.dhchap_secret = o->dhchap_secret;
		co.dhchap_ctrl_secret = o->dhchap_ctrl_secret;
		co.kato_ms = o->keepalive_ms;
		if (o->io_timeout_ms != PERF_OPT_DRIVER_DEFAULT) {
			co.io_timeout_ms = (uint32_t)o->io_timeout_ms;
		}
		if (o->admin_timeout_ms != PERF_OPT_DRIVER_DEFAULT) {
			co.admin_timeout_ms = (uint32_t)o->admin_timeout_ms;
		}
		if (o->reconnect_delay_ms != PERF_OPT_DRIVER_DEFAULT) {
			co.reconnect_delay_ms = (uint32_t)o->reconnect_delay_ms;
		}
		if (o->ctrl_loss_tmo_s != PERF_OPT_DRIVER_DEFAULT) {
			co.ctrl_loss_tmo_s = (int32_t)o->ctrl_loss_tmo_s;
		}
		if (o->fast_io_fail_tmo_s != PERF_OPT_DRIVER_DEFAULT) {
			co.fast_io_fail_tmo_s = (int32_t)o->fast_io_fail_tmo_s;
		}
		if (o->tcp_user_timeout_ms != PERF_OPT_DRIVER_DEFAULT) {
			co.tcp_user_timeout_ms = (uint32_t)o->tcp_user_timeout_ms;
		}
		co.num_io_queues = NVTCP_MAX(co.num_io_queues, queues);
		if (o->io_queue_size != 0) {
			co.io_queue_size = o->io_queue_size;
		}
		rc = nvtcp_ctrlr_attach_async(&pc->trid, &co, &pc->ctrlr);
		if (rc != 0) {
			pc->failed = true;
			pc->ctrlr = NULL;
			fail("cannot attach to %s: %s", pc->name, strerror(-rc));
			teardown();
			return;
		}
	}
	g_setup_poller = nvtcp_poller_register(attach_poll, NULL, 0);
	if (g_setup_poller == NULL) {
		fail("cannot register the attach poller");
		teardown();
	}
}

/* ---- Start -------------------------------------------------------------------------------- */

static void
tgt_started(int rc)
{
	struct perf_trid_entry *e = &g_perf.opts.trids[0];

	if (rc != 0 || atomic_load(&g_perf.exit)) {
		/* perf_tgt.c printed why. */
		g_perf.rc = 1;
		teardown();
		return;
	}
	memset(e, 0, sizeof(*e));
	nvtcp_trid_init(&e->trid);
	snprintf(e->trid.traddr, sizeof(e->trid.traddr), "%s", g_perf.tgt.addr);
	snprintf(e->trid.trsvcid, sizeof(e->trid.trsvcid), "%u", g_perf.tgt.port);
	snprintf(e->trid.subnqn, sizeof(e->trid.subnqn), "%s", PERF_TGT_NQN);
	e->text = "embedded target";
	g_perf.opts.num_trids = 1;
	printf("Embedded NVMe/TCP target (no -r given): core %u, %s namespace of %" PRIu64
	       " MiB with %u-byte blocks, listening on %s:%u, subnqn %s\n", g_perf.tgt.core,
	       g_perf.tgt.backend, g_perf.tgt.ns_size >> 20, g_perf.tgt.block_size,
	       g_perf.tgt.addr, g_perf.tgt.port, PERF_TGT_NQN);
	fflush(stdout);
	begin_attach();
}

static int
setup_workers(void)
{
	uint32_t core, ncores = nvtcp_env_get_core_count(), n = 0;

	g_perf.workers = calloc(ncores, sizeof(*g_perf.workers));
	if (g_perf.workers == NULL) {
		return -ENOMEM;
	}
	NVTCP_ENV_FOREACH_CORE(core) {
		if (core == g_tgt_core && ncores > 1) {
			continue;
		}
		g_perf.workers[n].core = core;
		g_perf.workers[n].reactor = nvtcp_reactor_get(core);
		n++;
	}
	g_perf.num_workers = n;
	return 0;
}

static void
perf_start(void *ctx)
{
	uint32_t core, last = NVTCP_ENV_CORE_NONE;

	g_main_reactor = nvtcp_reactor_get_current();
	g_perf.hz = nvtcp_env_get_ticks_hz();
	g_perf.main_core = nvtcp_env_get_main_core();
	NVTCP_ENV_FOREACH_CORE(core) {
		last = core;
	}
	if (g_perf.opts.num_trids == 0) {
		/* The embedded target takes the last core; with one core it shares it. */
		g_tgt_core = last;
	}
	if (setup_workers() != 0) {
		fail("out of memory");
		nvtcp_app_stop(1);
		return;
	}
	if (!nvtcp_env_hugepages()) {
		fprintf(stderr, "%s: note: running without hugepages (plain memory); results may be "
			"lower (run scripts/setup.sh as root to reserve hugepages)\n", PERF_NAME);
	}
	if (g_perf.opts.num_trids == 0) {
		g_state = ST_TGT;
		if (perf_tgt_start(g_tgt_core, tgt_started) != 0) {
			g_perf.rc = 1;
			nvtcp_app_stop(1);
		}
		return;
	}
	begin_attach();
}

static void
perf_shutdown(void *ctx)
{
	/* The run stops, drains and reports as at its normal end. */
	atomic_store(&g_perf.exit, true);
	if (g_state < ST_RUN) {
		/* Nothing was measured: the set-up poller (or the target start-up callback) sees
		 * the flag and tears down. */
		fprintf(stderr, "%s: interrupted before the run started\n", PERF_NAME);
		g_perf.rc = 1;
	}
}

/* ---- main --------------------------------------------------------------------------------- */

static void
free_all(void)
{
	for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
		free(g_perf.ctxs[i].qpairs);
		free(g_perf.ctxs[i].hist);
		perf_verify_ctx_fini(&g_perf.ctxs[i].verify);
	}
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		free(g_perf.workers[i].ctxs);
	}
	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		free(g_perf.ctrlrs[i].unused_qpairs);
	}
	for (uint32_t i = 0; g_perf.nss != NULL && i < g_perf.num_nss; i++) {
		free(g_perf.nss[i].paths);
		free(g_perf.nss[i].path_stats);
	}
	free(g_perf.ctxs);
	free(g_perf.workers);
	free(g_perf.nss);
	free(g_perf.ctrlrs);
}

int
main(int argc, char **argv)
{
	struct perf_opts *o = &g_perf.opts;
	struct nvtcp_app_opts app;
	char err[512];
	int rc;

	rc = perf_opts_parse(o, argc, argv, err, sizeof(err));
	if (rc == PERF_OPTS_HELP) {
		if (o->help_full) {
			perf_usage_full(stdout);
		} else {
			perf_usage_basic(stdout);
		}
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", PERF_NAME, err);
		return 2;
	}
	if (o->verify && !o->prefill && o->rwmixread != 0) {
		fprintf(stderr, "%s: note: --verify checks reads of blocks written in this run; "
			"add --prefill to write every block first, so that every read is checked\n",
			PERF_NAME);
	}
	if (o->mix_specified && strcmp(perf_workload_base(o), "rw") != 0) {
		fprintf(stderr, "Ignoring -M (--rwmixread) option... Please use -M option only when "
			"using rw or randrw.\n");
	}
	if (!o->seed_set && getrandom(&o->verify_seed, sizeof(o->verify_seed), 0) !=
	    (ssize_t)sizeof(o->verify_seed)) {
		o->verify_seed = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	}
	g_perf.progress_tty = isatty(STDERR_FILENO);
	g_perf.progress = o->progress == 1 || (o->progress == -1 && g_perf.progress_tty);
	g_perf.wall_start = (uint64_t)time(NULL);

	nvtcp_app_opts_init(&app, PERF_NAME);
	app.core_mask = o->core_mask != NULL ? o->core_mask : "0x1";
	if (o->core_list != NULL) {
		if (perf_core_list_to_mask(o->core_list, g_perf.core_mask_str,
				      sizeof(g_perf.core_mask_str)) != 0) {
			fprintf(stderr, "%s: -c (--core-mask): invalid core list '[%s]'\n", PERF_NAME,
				o->core_list);
			return 2;
		}
		app.core_mask = g_perf.core_mask_str;
	} else {
		snprintf(g_perf.core_mask_str, sizeof(g_perf.core_mask_str), "%s", app.core_mask);
	}
	app.mem_size_mb = o->mem_size_mb;
	if (o->num_trids == 0) {
		if (o->tgt_ns_size == 0) {
			uint64_t sz = PERF_DEFAULT_TGT_NS_SIZE;

			/* Half of an explicit -s, so that buffers and pools fit beside it. */
			if (o->mem_size_mb != 0 && ((uint64_t)o->mem_size_mb << 20) / 2 < sz) {
				sz = NVTCP_MAX(((uint64_t)o->mem_size_mb << 20) / 2, 1ull << 20);
				sz &= ~((1ull << 20) - 1);
			}
			o->tgt_ns_size = sz;
		}
		if (app.mem_size_mb == 0) {
			/* Reserve what the embedded run needs up front, so that the hugepage
			 * check at start-up counts it (else memory grows on demand). */
			app.mem_size_mb = (size_t)(o->tgt_ns_size >> 20) + 256;
		}
	}
	app.huge = o->huge;
	app.log_level = o->log_level_set ? o->log_level : NVTCP_LOG_WARN;
	if (o->sock_impl != NVTCP_SOCK_IMPL_DEFAULT) {
		nvtcp_sock_set_default_impl((enum nvtcp_sock_impl)o->sock_impl);
	} else if (nvtcp_sock_get_default_impl() < 0) {
		fprintf(stderr, "%s: NVTCP_SOCK_IMPL: not posix or uring\n", PERF_NAME);
		free_all();
		return 1;
	}
	app.shutdown_cb = perf_shutdown;

	rc = nvtcp_app_start(&app, perf_start, NULL);
	free_all();
	if (rc == -EINTR) {
		fprintf(stderr, "%s: stopped at once by a second signal\n", PERF_NAME);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "%s: cannot start: %s (core mask %s)\n", PERF_NAME, strerror(-rc),
			app.core_mask);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "%s: errors occurred\n", argv[0]);
		return 1;
	}
	return 0;
}
