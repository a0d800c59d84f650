/*
 * The embedded target: with no -r, nvtcp_perf serves itself. The target is created by the
 * reactor of its core (so that core is both its management and its only data reactor, and
 * every connection, accept included, is polled there, away from the I/O workers), with one
 * subsystem, one RAM (or null) namespace, and a listener on 127.0.0.1 on a free port.
 *
 * All target calls run on the target's core; results come back to the main reactor as
 * messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "nvtcp/reactor.h"
#include "nvtcp/target.h"
#include "nvtcp/util.h"

#include "perf.h"

#define PERF_TGT_ADDR "127.0.0.1"
#define PERF_TGT_SERIAL "NVTCPPERF0000000001"
#define PERF_TGT_MODEL "nvtcp_perf embedded target"

static struct nvtcp_tgt *g_tgt;
static void (*g_start_done)(int rc);
static void (*g_stop_done)(void);
static int g_start_rc;
static char g_err[512];

static void
to_main(nvtcp_msg_fn fn)
{
	struct nvtcp_reactor *r = nvtcp_reactor_get(g_perf.main_core);

	if (r == NULL || nvtcp_reactor_send_msg(r, fn, NULL) != 0) {
		fprintf(stderr, "%s: embedded target: cannot message the main core\n", PERF_NAME);
		abort();
	}
}

static void
start_done_main(void *arg)
{
	if (g_start_rc != 0) {
		fprintf(stderr, "%s: embedded target: %s\n", PERF_NAME, g_err);
	} else {
		g_perf.tgt.enabled = true;
	}
	g_start_done(g_start_rc);
}

static void
tgt_started(void *cb_arg, int status)
{
	uint16_t port = 0;

	if (status == 0) {
		port = nvtcp_tgt_listener_port(g_tgt, 0);
		if (port == 0) {
			status = -EADDRNOTAVAIL;
			snprintf(g_err, sizeof(g_err), "started, but its listener on %s is not open",
				 PERF_TGT_ADDR);
		}
	} else {
		snprintf(g_err, sizeof(g_err), "start failed: %s", strerror(-status));
	}
	g_perf.tgt.port = port;
	g_start_rc = status;
	to_main(start_done_main);
}

static uint32_t
pow2_at_least(uint64_t v)
{
	uint32_t p = 4096;

	while (p < v && p < (4u << 20)) {
		p <<= 1;
	}
	return p;
}

static void
create_msg(void *arg)
{
	const struct perf_opts *o = &g_perf.opts;
	struct nvtcp_tgt_opts topts;
	struct nvtcp_tgt_subsys_opts sopts;
	struct nvtcp_tgt_ns_opts nopts;
	uint32_t qd_per_qp = (o->queue_depth + o->qpairs_per_ns - 1) / o->qpairs_per_ns;
	uint64_t inflight;
	int rc;

	g_perf.tgt.tid = (int)gettid();
	nvtcp_tgt_opts_init(&topts);
	topts.cores[0] = g_perf.tgt.core;
	topts.num_cores = 1;
	/* The target must not be what limits the host's queue depth or transfer size. */
	topts.max_queue_depth = NVTCP_MIN(NVTCP_MAX(topts.max_queue_depth, qd_per_qp + 1), 4096u);
	if (o->io_size > topts.max_io_size) {
		topts.max_io_size = pow2_at_least(o->io_size);
		topts.max_r2t_len = topts.max_io_size;
		topts.max_c2h_len = topts.max_io_size;
	}
	/* Write data in flight needs buffers: -q per worker, each I/O one transfer. */
	inflight = (uint64_t)o->queue_depth * g_perf.num_workers * o->io_size;
	topts.buf_count = (uint32_t)NVTCP_MIN(NVTCP_MAX((uint64_t)topts.buf_count,
							inflight / topts.buf_size + 64), 65536ull);
	if (topts.buf_count < topts.max_io_size / topts.buf_size) {
		topts.buf_count = topts.max_io_size / topts.buf_size;
	}
	/* One PDU fewer per read: the host copes, and it is what SPDK's target does. */
	topts.c2h_success = NVTCP_TGT_C2H_SUCCESS_ALWAYS;
	topts.default_model = PERF_TGT_MODEL;

	errno = 0;
	g_tgt = nvtcp_tgt_create(&topts, g_err, sizeof(g_err));
	if (g_tgt == NULL) {
		g_start_rc = errno != 0 ? -errno : -EINVAL;
		to_main(start_done_main);
		return;
	}
	nvtcp_tgt_subsys_opts_init(&sopts);
	sopts.serial = PERF_TGT_SERIAL;
	sopts.model = PERF_TGT_MODEL;
	rc = nvtcp_tgt_add_subsys(g_tgt, PERF_TGT_NQN, &sopts, g_err, sizeof(g_err));
	if (rc == 0) {
		nvtcp_tgt_ns_opts_init(&nopts);
		nopts.nsid = 1;
		nopts.backend = o->tgt_backend == PERF_TGT_NULL ? NVTCP_TGT_BACKEND_NULL
								 : NVTCP_TGT_BACKEND_MALLOC;
		nopts.size = o->tgt_ns_size;
		nopts.block_size = o->tgt_block_size;
		rc = nvtcp_tgt_add_ns(g_tgt, PERF_TGT_NQN, &nopts, NULL, g_err, sizeof(g_err));
		if (rc == -ENOMEM) {
			snprintf(g_err, sizeof(g_err), "no memory for a %" PRIu64 " MiB namespace "
				 "(lower --tgt-ns-size or raise -s)", o->tgt_ns_size >> 20);
		}
	}
	if (rc == 0) {
		rc = nvtcp_tgt_add_listener(g_tgt, PERF_TGT_ADDR, "0", g_err, sizeof(g_err));
	}
	if (rc == 0) {
		rc = nvtcp_tgt_start(g_tgt, tgt_started, NULL);
		if (rc != 0) {
			snprintf(g_err, sizeof(g_err), "start failed: %s", strerror(-rc));
		}
	}
	if (rc != 0) {
		g_start_rc = rc;
		to_main(start_done_main);
	}
}

int
perf_tgt_start(uint32_t core, void (*done)(int rc))
{
	struct nvtcp_reactor *r = nvtcp_reactor_get(core);

	g_start_done = done;
	g_perf.tgt.core = core;
	snprintf(g_perf.tgt.addr, sizeof(g_perf.tgt.addr), "%s", PERF_TGT_ADDR);
	g_perf.tgt.ns_size = g_perf.opts.tgt_ns_size;
	g_perf.tgt.block_size = g_perf.opts.tgt_block_size;
	g_perf.tgt.backend = g_perf.opts.tgt_backend == PERF_TGT_NULL ? "null" : "RAM";
	if (r == NULL || nvtcp_reactor_send_msg(r, create_msg, NULL) != 0) {
		fprintf(stderr, "%s: embedded target: cannot reach core %u\n", PERF_NAME, core);
		return -ENODEV;
	}
	return 0;
}

bool
perf_tgt_running(void)
{
	return g_tgt != NULL;
}

static void
stop_done_main(void *arg)
{
	g_stop_done();
}

static void
tgt_destroyed(void *cb_arg)
{
	g_tgt = NULL;
	to_main(stop_done_main);
}

static void
destroy_msg(void *arg)
{
	nvtcp_tgt_destroy(g_tgt, tgt_destroyed, NULL);
}

void
perf_tgt_stop(void (*done)(void))
{
	g_stop_done = done;
	if (g_tgt == NULL || nvtcp_reactor_send_msg(nvtcp_reactor_get(g_perf.tgt.core),
						     destroy_msg, NULL) != 0) {
		done();
	}
}

struct json_object *
perf_tgt_json(void)
{
	struct json_object *arr;
	uint32_t n;

	if (g_tgt == NULL) {
		return NULL;
	}
	arr = json_object_new_array();
	n = nvtcp_tgt_num_reactors(g_tgt);
	for (uint32_t i = 0; i < n; i++) {
		struct nvtcp_tgt_reactor_stats st;
		struct json_object *r;

		if (nvtcp_tgt_get_reactor_stats(g_tgt, i, &st) != 0) {
			continue;
		}
		r = json_object_new_object();
		json_object_object_add(r, "core", json_object_new_uint64(st.core));
		json_object_object_add(r, "connections", json_object_new_uint64(st.connections));
		json_object_object_add(r, "accepted", json_object_new_uint64(st.accepted));
		json_object_object_add(r, "bufs_free", json_object_new_uint64(st.bufs_free));
		json_object_object_add(r, "bufs_total", json_object_new_uint64(st.bufs_total));
		json_object_object_add(r, "cmds", json_object_new_uint64(st.io.cmds));
		json_object_object_add(r, "read_cmds", json_object_new_uint64(st.io.read_cmds));
		json_object_object_add(r, "write_cmds", json_object_new_uint64(st.io.write_cmds));
		json_object_object_add(r, "bytes_read", json_object_new_uint64(st.io.bytes_read));
		json_object_object_add(r, "bytes_written",
				       json_object_new_uint64(st.io.bytes_written));
		json_object_object_add(r, "errors", json_object_new_uint64(st.io.errors));
		json_object_object_add(r, "buf_waits", json_object_new_uint64(st.io.buf_waits));
		json_object_array_add(arr, r);
	}
	return arr;
}
