/*
 * Unit tests of lib/nvme/reset.c, controller recovery, against the scripted fake controller
 * with the test clock: every transport failure completes each outstanding command exactly once
 * with a retryable status; the controller reconnects (first attempt at once, then every
 * reconnect_delay, counted and logged "attempt X of Y"); commands submitted meanwhile wait and
 * go out on the new connection; ctrl_loss_tmo and fast_io_fail; a keep-alive miss; an I/O
 * queue pair's failure resetting the whole association; namespaces and controller identity
 * re-validated; explicit resets; detach during recovery and under load.
 */
#include "nvme_ut.h"

struct env {
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qp[2];
	int nqp;
	struct nvtcp_ns *ns;
};

static enum nvtcp_ctrlr_state g_states[64];
static int g_nstates;

static void
state_cb(void *arg, struct nvtcp_ctrlr *c, enum nvtcp_ctrlr_state s)
{
	if (g_nstates < 64) {
		g_states[g_nstates++] = s;
	}
}

static bool
saw_state(enum nvtcp_ctrlr_state s)
{
	for (int i = 0; i < g_nstates; i++) {
		if (g_states[i] == s) {
			return true;
		}
	}
	return false;
}

static void
env_setup(struct env *e, struct fake_ctrlr_cfg *cfg, struct nvtcp_ctrlr_opts *opts, int nqp,
	  const struct nvtcp_io_qpair_opts *qo)
{
	struct nvtcp_ctrlr_opts o;
	int rc;

	memset(e, 0, sizeof(*e));
	e->fc = fake_ctrlr_create(cfg);
	if (opts == NULL) {
		ut_opts_recovery(&o);
		opts = &o;
	}
	opts->state_cb = state_cb;
	g_nstates = 0;
	CU_ASSERT_FATAL(ut_attach(e->fc, opts, UT_SUBNQN, &e->c) == 0);
	for (int i = 0; i < nqp; i++) {
		e->qp[i] = nvtcp_ctrlr_alloc_io_qpair(e->c, qo, &rc);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e->qp[i]);
	}
	e->nqp = nqp;
	e->ns = nvtcp_ctrlr_get_ns(e->c, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->ns);
}

static void
env_teardown(struct env *e)
{
	for (int i = 0; i < e->nqp; i++) {
		if (e->qp[i] != NULL) {
			CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(e->qp[i]), 0);
		}
	}
	ut_teardown(e->fc, e->c);
	ut_log_stop();
}

/* One round: every I/O queue pair, the admin queue, the fake. */
static void
pump(struct env *e, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < e->nqp; i++) {
			if (e->qp[i] != NULL) {
				(void)nvtcp_qpair_process_completions(e->qp[i], 0);
			}
		}
		(void)nvtcp_ctrlr_process_admin_completions(e->c);
		fake_ctrlr_poll(e->fc);
	}
}

#define RUN_UNTIL(e, cond)                                                                     \
	do {                                                                                   \
		for (int _i = 0; _i < UT_MAX_ITERS && !(cond); _i++) {                          \
			pump((e), 1);                                                          \
		}                                                                              \
	} while (0)

static bool
all_connected(struct env *e)
{
	for (int i = 0; i < e->nqp; i++) {
		if (!nvtcp_qpair_is_connected(e->qp[i])) {
			return false;
		}
	}
	return nvtcp_ctrlr_get_state(e->c) == NVTCP_CTRLR_STATE_LIVE;
}

/* Write \p seed's pattern to blocks [lba, lba + n) and read it back on queue pair \p q. */
static void
check_io(struct env *e, int q, uint64_t lba, uint32_t n, uint32_t seed)
{
	static uint8_t wbuf[64 * 512], rbuf[64 * 512];
	struct ut_cpl w = {0}, r = {0};

	ut_fill(wbuf, n * 512, seed);
	memset(rbuf, 0, n * 512);
	CU_ASSERT_EQUAL_FATAL(nvtcp_ns_cmd_write(e->ns, e->qp[q], wbuf, lba, n, ut_cpl_cb, &w, 0),
			      0);
	RUN_UNTIL(e, w.count == 1);
	CU_ASSERT_EQUAL(w.count, 1);
	CU_ASSERT_EQUAL(w.errors, 0);
	CU_ASSERT_EQUAL_FATAL(nvtcp_ns_cmd_read(e->ns, e->qp[q], rbuf, lba, n, ut_cpl_cb, &r, 0),
			      0);
	RUN_UNTIL(e, r.count == 1);
	CU_ASSERT_EQUAL(r.count, 1);
	CU_ASSERT_EQUAL(r.errors, 0);
	CU_ASSERT_EQUAL(memcmp(wbuf, rbuf, n * 512), 0);
}

static void
assert_aborted_retryable(const struct ut_cpl *u)
{
	CU_ASSERT_EQUAL(ut_sct(&u->cpl), NVTCP_NVME_SCT_GENERIC);
	CU_ASSERT_EQUAL(ut_sc(&u->cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_FALSE(nvtcp_nvme_status_dnr(u->cpl.status));
	CU_ASSERT(nvtcp_nvme_cpl_is_retryable(&u->cpl));
	CU_ASSERT(nvtcp_nvme_cpl_is_transport_error(&u->cpl));
	CU_ASSERT_FALSE(nvtcp_nvme_cpl_is_path_error(&u->cpl));
}

/* ---- Admin connection lost ---------------------------------------------------------------- */

static void
test_admin_loss_reconnects(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_stats cs;
	struct nvtcp_qpair_stats qs;
	struct env e;
	struct ut_cpl u = {0}, adm = {0};
	uint8_t buf[4096], id[4096];
	int32_t rc;

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, NULL, 1, NULL);
	ut_log_start();
	check_io(&e, 0, 0, 8, 1);
	/* A read held by the controller, and an admin command outstanding. */
	fake_conn_set_manual(ut_conn_of(e.fc, 1), true);
	fake_conn_set_manual(ut_conn_of(e.fc, 0), true);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf, 0, 8, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_identify(e.c, 1, 0, 0, id, sizeof(id), ut_cpl_cb, &adm),
			0);
	ut_rounds(e.fc, e.c, e.qp[0], 2);
	CU_ASSERT_EQUAL(u.count, 0);
	/* The next association gets another controller ID: the I/O Connect must carry it. */
	fake_ctrlr_get_cfg(e.fc)->cntlid = 9;

	fake_sock_rx_close(fake_conn_sock(ut_conn_of(e.fc, 0)));
	rc = nvtcp_ctrlr_process_admin_completions(e.c);
	CU_ASSERT(rc >= 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT_EQUAL(g_states[g_nstates - 1], NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(e.c), "closed"));
	/* The admin command completed once, retryable; the application's admin commands wait
	 * for LIVE (-EAGAIN), I/O queue pairs cannot be allocated meanwhile. */
	CU_ASSERT_EQUAL(adm.count, 1);
	assert_aborted_retryable(&adm);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_identify(e.c, 1, 0, 0, id, sizeof(id), ut_cpl_cb, &adm),
			-EAGAIN);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_alloc_io_qpair(e.c, NULL, &rc));
	CU_ASSERT_EQUAL(rc, -EAGAIN);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reset(e.c), -EBUSY);

	/* The I/O queue pair learns it on its next poll: its read completes once, retryable. */
	CU_ASSERT_EQUAL(u.count, 0);
	CU_ASSERT(nvtcp_qpair_process_completions(e.qp[0], 0) >= 0);
	CU_ASSERT_EQUAL(u.count, 1);
	assert_aborted_retryable(&u);
	CU_ASSERT_FALSE(nvtcp_qpair_is_connected(e.qp[0]));
	CU_ASSERT_FALSE(nvtcp_qpair_is_failed(e.qp[0]));

	/* First attempt at once; the queue pair reconnects in its own poll. */
	RUN_UNTIL(&e, all_connected(&e));
	CU_ASSERT(all_connected(&e));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_cntlid(e.c), 9);
	CU_ASSERT_EQUAL(fake_ctrlr_connect_data(e.fc, 1)->cntlid, 9);
	CU_ASSERT_EQUAL(fake_ctrlr_num_assocs(e.fc), 2);
	CU_ASSERT_EQUAL(g_states[g_nstates - 1], NVTCP_CTRLR_STATE_LIVE);
	CU_ASSERT_STRING_EQUAL(nvtcp_ctrlr_get_failure_reason(e.c), "");
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.resets, 1);
	CU_ASSERT_EQUAL(cs.reconnect_attempts, 1);
	CU_ASSERT_EQUAL(cs.reconnects, 1);
	nvtcp_qpair_get_stats(e.qp[0], &qs);
	CU_ASSERT_EQUAL(qs.reconnects, 1);
	CU_ASSERT_EQUAL(qs.disconnects, 1);
	CU_ASSERT(ut_log_has("reconnect attempt 1 of 60"));
	CU_ASSERT(ut_log_has("reconnected (attempt 1 of 60"));
	/* Bring-up ran again on the new association: enable, AERs re-armed. */
	CU_ASSERT_EQUAL(fake_ctrlr_cc(e.fc), 0x00460001);
	RUN_UNTIL(&e, fake_ctrlr_held_aers(e.fc) == 4);
	CU_ASSERT_EQUAL(fake_ctrlr_held_aers(e.fc), 4);
	/* I/O works, and nothing completed twice. */
	check_io(&e, 0, 16, 8, 2);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(adm.count, 1);
	env_teardown(&e);
}

/* ---- Attempts, delay, give-up ------------------------------------------------------------- */

static void
test_reconnect_delay_and_queued_io(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr_stats cs;
	struct env e;
	static uint8_t wbuf[8 * 512], rbuf[8 * 512];
	struct ut_cpl w = {0}, r = {0};

	fake_ctrlr_cfg_init(&cfg);
	ut_opts_recovery(&o);
	o.reconnect_delay_ms = 10000;
	env_setup(&e, &cfg, &o, 1, NULL);
	ut_log_start();
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 5);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.reconnect_attempts, 1);
	CU_ASSERT(ut_log_has("reconnect attempt 1 of 60 failed"));
	CU_ASSERT(ut_log_has("next in 10000 ms"));
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(e.c), "attempt 1 failed"));

	/* I/O submitted meanwhile waits (it holds a request) ... */
	ut_fill(wbuf, sizeof(wbuf), 7);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp[0], wbuf, 100, 8, ut_cpl_cb, &w, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp[0]), 1);
	ut_clock_advance_ms(9999);
	pump(&e, 5);
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.reconnect_attempts, 1);
	CU_ASSERT_EQUAL(w.count, 0);
	ut_clock_advance_ms(2);
	pump(&e, 5);
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.reconnect_attempts, 2);
	CU_ASSERT(ut_log_has("reconnect attempt 2 of 60"));

	/* ... and goes out on the new connection once the controller is back. */
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = false;
	ut_clock_advance_ms(10001);
	RUN_UNTIL(&e, w.count == 1);
	CU_ASSERT_EQUAL(w.count, 1);
	CU_ASSERT_EQUAL(w.errors, 0);
	CU_ASSERT(all_connected(&e));
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.reconnect_attempts, 3);
	CU_ASSERT_EQUAL(cs.reconnects, 1);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], rbuf, 100, 8, ut_cpl_cb, &r, 0), 0);
	RUN_UNTIL(&e, r.count == 1);
	CU_ASSERT_EQUAL(memcmp(wbuf, rbuf, sizeof(wbuf)), 0);
	CU_ASSERT_EQUAL(w.count, 1);
	env_teardown(&e);
}

static void
test_queued_io_bounded(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_io_qpair_opts qo;
	struct env e;
	static uint8_t buf[8][512];
	struct ut_cpl u = {0};

	/* Four requests: four commands wait through the reconnect, the fifth is refused. */
	fake_ctrlr_cfg_init(&cfg);
	memset(&qo, 0, sizeof(qo));
	qo.io_queue_size = 8;
	qo.io_queue_requests = 4;
	qo.full_policy = NVTCP_QPAIR_FULL_EAGAIN;
	env_setup(&e, &cfg, NULL, 1, &qo);
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 3);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf[i], i, 1, ut_cpl_cb, &u, 0), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf[4], 4, 1, ut_cpl_cb, &u, 0), -EAGAIN);
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = false;
	ut_clock_advance_ms(10001);
	RUN_UNTIL(&e, u.count == 4);
	CU_ASSERT_EQUAL(u.count, 4);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp[0]), 0);
	env_teardown(&e);
}

static void
test_split_commands_across_reconnect(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_io_qpair_opts qo;
	struct env e;
	static uint8_t wbuf[65536], rbuf[65536];
	struct ut_cpl u = {0}, w = {0}, r = {0};

	/* MDTS 1: 8 KiB per command, so 64 KiB is split in 8 children; 4 requests: half of them
	 * wait for a request. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.cdata.mdts = 1;
	memset(&qo, 0, sizeof(qo));
	qo.io_queue_size = 8;
	qo.io_queue_requests = 4;
	env_setup(&e, &cfg, NULL, 1, &qo);
	fake_conn_set_manual(ut_conn_of(e.fc, 1), true);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], rbuf, 0, 128, ut_cpl_cb, &u, 0), 0);
	ut_rounds(e.fc, NULL, e.qp[0], 2);
	/* The connection goes with 4 children on the wire: the command completes once. */
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 2);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp[0]), 0);
	/* A split write submitted while resetting is sent whole after the reconnect. */
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	pump(&e, 3);
	ut_fill(wbuf, sizeof(wbuf), 77);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp[0], wbuf, 256, 128, ut_cpl_cb, &w, 0), 0);
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = false;
	ut_clock_advance_ms(10001);
	RUN_UNTIL(&e, w.count == 1);
	CU_ASSERT_EQUAL(w.count, 1);
	CU_ASSERT_EQUAL(w.errors, 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], rbuf, 256, 128, ut_cpl_cb, &r, 0), 0);
	RUN_UNTIL(&e, r.count == 1);
	CU_ASSERT_EQUAL(r.errors, 0);
	CU_ASSERT_EQUAL(memcmp(wbuf, rbuf, sizeof(wbuf)), 0);
	CU_ASSERT_EQUAL(u.count, 1);
	env_teardown(&e);
}

static void
test_ctrl_loss_tmo_expiry(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr_stats cs;
	struct env e;
	uint8_t buf[512];
	struct ut_cpl u = {0}, u2 = {0};
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	ut_opts_recovery(&o);
	o.ctrl_loss_tmo_s = 30;
	o.reconnect_delay_ms = 10000;
	env_setup(&e, &cfg, &o, 1, NULL);
	ut_log_start();
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 3);
	CU_ASSERT(ut_log_has("reconnect attempt 1 of 3 failed"));
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf, 0, 1, ut_cpl_cb, &u, 0), 0);
	ut_clock_advance_ms(10001);
	pump(&e, 3);
	CU_ASSERT(ut_log_has("reconnect attempt 2 of 3 failed"));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT_EQUAL(u.count, 0);
	ut_clock_advance_ms(10001);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_process_admin_completions(e.c), -ENXIO);
	CU_ASSERT(ut_log_has("reconnect attempt 3 of 3 failed"));
	CU_ASSERT(ut_log_has("gave up reconnecting after 3 attempts"));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_FAILED);
	CU_ASSERT_EQUAL(g_states[g_nstates - 1], NVTCP_CTRLR_STATE_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(e.c), "ctrl_loss_tmo"));
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.reconnect_attempts, 3);
	CU_ASSERT_EQUAL(cs.reconnects, 0);
	/* The waiting read fails for good: path error, DNR set; the queue pair is failed. */
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp[0], 0), -ENXIO);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sct(&u.cpl), NVTCP_NVME_SCT_PATH);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_HOST_PATH_ERROR);
	CU_ASSERT(nvtcp_nvme_status_dnr(u.cpl.status));
	CU_ASSERT_FALSE(nvtcp_nvme_cpl_is_retryable(&u.cpl));
	CU_ASSERT(nvtcp_nvme_cpl_is_path_error(&u.cpl));
	CU_ASSERT(nvtcp_qpair_is_failed(e.qp[0]));
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf, 0, 1, ut_cpl_cb, &u2, 0), -ENXIO);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_alloc_io_qpair(e.c, NULL, &rc));
	CU_ASSERT_EQUAL(rc, -ENXIO);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reset(e.c), -ENXIO);
	/* Even when the target comes back: FAILED is for good. */
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = false;
	ut_clock_advance_ms(60000);
	pump(&e, 5);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_FAILED);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(u2.count, 0);
	env_teardown(&e);
}

static void
test_unlimited_and_disabled(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct env e;
	struct ut_cpl u = {0};
	uint8_t buf[512];

	/* -1: never give up, "unlimited" in the log. */
	fake_ctrlr_cfg_init(&cfg);
	ut_opts_recovery(&o);
	o.ctrl_loss_tmo_s = -1;
	o.reconnect_delay_ms = 1000;
	env_setup(&e, &cfg, &o, 1, NULL);
	ut_log_start();
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	fake_ctrlr_drop_all(e.fc);
	for (int i = 0; i < 100; i++) {
		ut_clock_advance_ms(1001);
		pump(&e, 2);
	}
	CU_ASSERT(ut_log_has("reconnect attempt 100 of unlimited"));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = false;
	ut_clock_advance_ms(1001);
	RUN_UNTIL(&e, all_connected(&e));
	CU_ASSERT(all_connected(&e));
	env_teardown(&e);

	/* 0: no reconnect; the controller fails at the first loss, the I/O with it. */
	fake_ctrlr_cfg_init(&cfg);
	ut_opts_recovery(&o);
	o.ctrl_loss_tmo_s = 0;
	env_setup(&e, &cfg, &o, 1, NULL);
	ut_log_start();
	fake_conn_set_manual(ut_conn_of(e.fc, 1), true);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf, 0, 1, ut_cpl_cb, &u, 0), 0);
	ut_rounds(e.fc, NULL, e.qp[0], 2);
	fake_sock_rx_close(fake_conn_sock(ut_conn_of(e.fc, 0)));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_process_admin_completions(e.c), -ENXIO);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_FAILED);
	CU_ASSERT(ut_log_has("reconnect disabled: ctrl_loss_tmo_s 0"));
	CU_ASSERT_FALSE(saw_state(NVTCP_CTRLR_STATE_RESETTING));
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp[0], 0), -ENXIO);
	CU_ASSERT_EQUAL(u.count, 1);
	assert_aborted_retryable(&u);
	env_teardown(&e);
}

static void
test_fast_io_fail(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct env e;
	uint8_t buf[4][512];
	struct ut_cpl u = {0}, u2 = {0};

	fake_ctrlr_cfg_init(&cfg);
	ut_opts_recovery(&o);
	o.fast_io_fail_tmo_s = 5;
	o.reconnect_delay_ms = 2000;
	env_setup(&e, &cfg, &o, 1, NULL);
	ut_log_start();
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 3);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf[0], 0, 1, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf[1], 1, 1, ut_cpl_cb, &u, 0), 0);
	ut_clock_advance_ms(4900);
	pump(&e, 3);
	CU_ASSERT_EQUAL(u.count, 0);
	ut_clock_advance_ms(200);
	pump(&e, 3);
	CU_ASSERT(ut_log_has("fast_io_fail_tmo (5 s) expired"));
	/* The waiting commands fail with a path error that may be retried later. */
	CU_ASSERT_EQUAL(u.count, 2);
	CU_ASSERT_EQUAL(ut_sct(&u.cpl), NVTCP_NVME_SCT_PATH);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_HOST_PATH_ERROR);
	CU_ASSERT_FALSE(nvtcp_nvme_status_dnr(u.cpl.status));
	CU_ASSERT(nvtcp_nvme_cpl_is_retryable(&u.cpl));
	/* New I/O is accepted and fails at the next poll, while the path stays down. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf[2], 2, 1, ut_cpl_cb, &u2, 0), 0);
	CU_ASSERT(nvtcp_qpair_process_completions(e.qp[0], 0) >= 0);
	CU_ASSERT_EQUAL(u2.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u2.cpl), NVTCP_NVME_SC_HOST_PATH_ERROR);
	/* Back: I/O works again, without fast-fail. */
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = false;
	ut_clock_advance_ms(2001);
	RUN_UNTIL(&e, all_connected(&e));
	CU_ASSERT(all_connected(&e));
	check_io(&e, 0, 8, 4, 3);
	CU_ASSERT_EQUAL(u.count, 2);
	CU_ASSERT_EQUAL(u2.count, 1);
	env_teardown(&e);
}

/* nvtcp_qpair_fail_unsent(): the commands waiting for a reconnect complete at once with a
 * retryable path error; refused while connected; the queue pair reconnects as usual. */
static void
test_fail_unsent(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct env e;
	uint8_t buf[4][512];
	struct ut_cpl u = {0};

	fake_ctrlr_cfg_init(&cfg);
	ut_opts_recovery(&o);
	o.reconnect_delay_ms = 2000;
	env_setup(&e, &cfg, &o, 1, NULL);
	CU_ASSERT_EQUAL(nvtcp_qpair_fail_unsent(e.qp[0]), -EBUSY);
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 3);
	CU_ASSERT_FALSE(nvtcp_qpair_is_connected(e.qp[0]));
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf[0], 0, 1, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf[1], 1, 1, ut_cpl_cb, &u, 0), 0);
	pump(&e, 3);
	CU_ASSERT_EQUAL(u.count, 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_fail_unsent(e.qp[0]), 2);
	CU_ASSERT_EQUAL(u.count, 2);
	CU_ASSERT_EQUAL(ut_sct(&u.cpl), NVTCP_NVME_SCT_PATH);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_HOST_PATH_ERROR);
	CU_ASSERT_FALSE(nvtcp_nvme_status_dnr(u.cpl.status));
	CU_ASSERT_EQUAL(nvtcp_qpair_fail_unsent(e.qp[0]), 0);
	/* Back: I/O works again. */
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = false;
	ut_clock_advance_ms(2001);
	RUN_UNTIL(&e, all_connected(&e));
	CU_ASSERT(all_connected(&e));
	check_io(&e, 0, 8, 4, 3);
	CU_ASSERT_EQUAL(u.count, 2);
	env_teardown(&e);
}

/* ---- Transport failures of an I/O queue pair ---------------------------------------------- */

enum io_fault {
	FAULT_CLOSED,
	FAULT_READ_TIMEOUT,
	FAULT_SEND_ERROR,
	FAULT_TERM_REQ,
	FAULT_HDGST,
	FAULT_PROTOCOL,
};

static void
inject(struct env *e, struct fake_conn *conn, enum io_fault f, uint16_t cid)
{
	struct fake_sock *fs = fake_conn_sock(conn);

	switch (f) {
	case FAULT_CLOSED:
		fake_sock_rx_close(fs);
		break;
	case FAULT_READ_TIMEOUT:
		/* What a TCP user timeout (or retransmission give-up) looks like. */
		fake_sock_fail_next_read(fs, -ETIMEDOUT);
		break;
	case FAULT_SEND_ERROR:
		fake_sock_fail_next(fs, -EPIPE);
		break;
	case FAULT_TERM_REQ: {
		uint8_t t[24 + 24];

		memset(t, 0, sizeof(t));
		t[0] = NVTCP_TCP_PDU_C2H_TERM_REQ;
		t[2] = 24;
		t[4] = sizeof(t);
		t[8] = NVTCP_TCP_FES_PDU_SEQUENCE_ERROR;
		fake_conn_send_raw(conn, t, sizeof(t));
		break;
	}
	case FAULT_HDGST: {
		struct nvtcp_tcp_tx_pdu pdu;
		uint8_t bytes[28];

		nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_RESP);
		pdu.hdr.rsp.rccqe.cid = cid;
		CU_ASSERT_FATAL(nvtcp_tcp_pdu_finish(&pdu, fake_conn_params(conn), NULL, 0) == 0);
		memcpy(bytes, pdu.raw, sizeof(bytes));
		bytes[25] ^= 0x01;
		fake_conn_send_raw(conn, bytes, sizeof(bytes));
		break;
	}
	case FAULT_PROTOCOL:
		/* A completion for a command that is not outstanding. */
		fake_conn_send_rsp(conn, (uint16_t)(cid + 100), 0, 0);
		break;
	}
	(void)e;
}

static void
transport_failure_test(enum io_fault f, const char *logged)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr_stats cs;
	struct fake_cmd_record rec;
	struct fake_conn *conn;
	struct env e;
	static uint8_t rbuf[3][4096], wbuf[32768];
	struct ut_cpl u[4];
	uint16_t first_cid = 0;

	memset(u, 0, sizeof(u));
	fake_ctrlr_cfg_init(&cfg);
	ut_opts_recovery(&o);
	o.hdgst = f == FAULT_HDGST;
	env_setup(&e, &cfg, &o, 1, NULL);
	ut_log_start();
	conn = ut_conn_of(e.fc, 1);
	fake_conn_set_manual(conn, true);
	/* Reads, and a write larger than the capsule (its data goes by R2T), all held. */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], rbuf[i], i * 8, 8, ut_cpl_cb, &u[i],
						  0), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp[0], wbuf, 64, 64, ut_cpl_cb, &u[3], 0), 0);
	ut_rounds(e.fc, NULL, e.qp[0], 3);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_FATAL(fake_conn_pop_cmd(conn, &rec, NULL, 0));
		if (i == 0) {
			first_cid = rec.cmd.cid;
		}
	}
	inject(&e, conn, f, first_cid);
	if (f == FAULT_SEND_ERROR) {
		/* A send must happen for the error to show: one more command. */
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], rbuf[0], 0, 1, ut_cpl_cb, &u[0], 0),
				0);
	}
	CU_ASSERT(nvtcp_qpair_process_completions(e.qp[0], 0) >= 0);
	/* Each command completed exactly once, retryable; the queue pair waits to reconnect. */
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(u[i].count, f == FAULT_SEND_ERROR && i == 0 ? 2 : 1);
		assert_aborted_retryable(&u[i]);
	}
	CU_ASSERT(ut_log_has(logged));
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp[0]), 0);
	CU_ASSERT_EQUAL(e.qp[0]->nfree, e.qp[0]->num_reqs - e.qp[0]->num_reserved);
	CU_ASSERT_FALSE(nvtcp_qpair_is_failed(e.qp[0]));
	/* It asked for a reset of the whole association, as Linux does. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_LIVE);
	(void)nvtcp_ctrlr_process_admin_completions(e.c);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	RUN_UNTIL(&e, all_connected(&e));
	CU_ASSERT(all_connected(&e));
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.io_reset_requests, 1);
	CU_ASSERT_EQUAL(cs.reconnects, 1);
	CU_ASSERT_EQUAL(fake_ctrlr_num_assocs(e.fc), 2);
	check_io(&e, 0, 200, 8, 9);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(u[i].count, f == FAULT_SEND_ERROR && i == 0 ? 2 : 1);
	}
	env_teardown(&e);
}

static void
test_transport_failures(void)
{
	transport_failure_test(FAULT_CLOSED, "connection closed by the controller");
	transport_failure_test(FAULT_READ_TIMEOUT, "receive failed: Connection timed out");
	transport_failure_test(FAULT_SEND_ERROR, "send failed");
	transport_failure_test(FAULT_TERM_REQ, "C2HTermReq");
	transport_failure_test(FAULT_HDGST, "Header Digest Error");
	transport_failure_test(FAULT_PROTOCOL, "not outstanding");
}

static void
test_io_connect_refused_backs_off(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct env e;
	uint32_t assocs;

	/* The admin queue reconnects, every I/O Connect is refused: the failures continue the
	 * same recovery (delayed, counted), and ctrl_loss_tmo ends it. */
	fake_ctrlr_cfg_init(&cfg);
	ut_opts_recovery(&o);
	o.ctrl_loss_tmo_s = 30;
	o.reconnect_delay_ms = 10000;
	env_setup(&e, &cfg, &o, 1, NULL);
	ut_log_start();
	fake_ctrlr_get_cfg(e.fc)->io_connect_status = nvtcp_nvme_status(1, 0x81, false);
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 50);
	/* Re-established at once, and once more at once after the first refusal (a failure
	 * during a reconnect is forgiven once); the second refusal makes the next attempt wait:
	 * no hot loop. */
	assocs = fake_ctrlr_num_assocs(e.fc);
	CU_ASSERT_EQUAL(assocs, 3);
	CU_ASSERT(ut_log_has("failed again soon after reconnecting"));
	pump(&e, 200);
	CU_ASSERT_EQUAL(fake_ctrlr_num_assocs(e.fc), assocs);
	for (int i = 0; i < 5; i++) {
		ut_clock_advance_ms(10001);
		pump(&e, 50);
	}
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_FAILED);
	CU_ASSERT(fake_ctrlr_num_assocs(e.fc) <= 5);
	CU_ASSERT(nvtcp_qpair_is_failed(e.qp[0]));
	env_teardown(&e);
}

static void
test_flapping_with_io_reconnects_at_once(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_stats cs;
	struct env e;

	/* The connection drops every few hundred milliseconds, but every association carries
	 * I/O: each failure is a new recovery whose first attempt is immediate (no
	 * reconnect_delay, no ctrl_loss_tmo accumulating). */
	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, NULL, 1, NULL);
	ut_log_start();
	for (int i = 0; i < 10; i++) {
		check_io(&e, 0, (uint64_t)i * 8, 8, 20 + i);
		ut_clock_advance_ms(300);
		fake_ctrlr_drop_all(e.fc);
		pump(&e, 3);
		CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
		RUN_UNTIL(&e, all_connected(&e));
		CU_ASSERT(all_connected(&e));
	}
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.resets, 10);
	CU_ASSERT_EQUAL(cs.reconnects, 10);
	CU_ASSERT_EQUAL(cs.reconnect_attempts, 10);
	CU_ASSERT_FALSE(ut_log_has("failed again soon"));
	env_teardown(&e);
}

/* ---- Keep-alive --------------------------------------------------------------------------- */

static void
test_keep_alive_miss_resets(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr_stats cs;
	struct env e;

	fake_ctrlr_cfg_init(&cfg);
	ut_opts_recovery(&o);
	o.kato_ms = 1000;
	env_setup(&e, &cfg, &o, 1, NULL);
	ut_log_start();
	fake_ctrlr_get_cfg(e.fc)->ka_no_response = true;
	ut_clock_advance_ms(501);
	pump(&e, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_count(e.fc, 0, NVTCP_NVME_OPC_KEEP_ALIVE, -1), 1);
	ut_clock_advance_ms(1001);
	fake_ctrlr_get_cfg(e.fc)->ka_no_response = false;
	(void)nvtcp_ctrlr_process_admin_completions(e.c);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT(ut_log_has("keep-alive timed out: no response within 1000 ms"));
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.keep_alive_timeouts, 1);
	RUN_UNTIL(&e, all_connected(&e));
	CU_ASSERT(all_connected(&e));
	/* Keep-alive runs again on the new association. */
	ut_clock_advance_ms(501);
	pump(&e, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_count(e.fc, 0, NVTCP_NVME_OPC_KEEP_ALIVE, -1), 2);
	ut_clock_advance_ms(501);
	pump(&e, 3);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_LIVE);

	/* A keep-alive answered with an error (the controller's timer expired): reset too
	 * (long after the last reconnect: a new recovery, first attempt at once). */
	fake_ctrlr_get_cfg(e.fc)->ka_status = nvtcp_nvme_status(0, NVTCP_NVME_SC_KEEP_ALIVE_EXPIRED,
								 true);
	ut_clock_advance_ms(10001);
	g_nstates = 0;
	pump(&e, 2);
	CU_ASSERT(ut_log_has("keep-alive failed"));
	CU_ASSERT(saw_state(NVTCP_CTRLR_STATE_RESETTING));
	fake_ctrlr_get_cfg(e.fc)->ka_status = 0;
	RUN_UNTIL(&e, all_connected(&e));
	CU_ASSERT(all_connected(&e));
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.reconnects, 2);
	env_teardown(&e);
}

/* ---- Re-validation ------------------------------------------------------------------------ */

static uint32_t g_ev[8][2];
static int g_nev;

static void
ns_event_cb(void *arg, struct nvtcp_ctrlr *c, uint32_t nsid, enum nvtcp_ns_event ev)
{
	if (g_nev < 8) {
		g_ev[g_nev][0] = nsid;
		g_ev[g_nev][1] = ev;
		g_nev++;
	}
}

static bool
had_event(uint32_t nsid, enum nvtcp_ns_event ev)
{
	for (int i = 0; i < g_nev; i++) {
		if (g_ev[i][0] == nsid && g_ev[i][1] == (uint32_t)ev) {
			return true;
		}
	}
	return false;
}

static void
test_namespaces_revalidated(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct nvtcp_ns *ns2, *ns3;
	uint8_t buf[4][512];
	struct ut_cpl u1 = {0}, u2 = {0}, u3 = {0}, u4 = {0};

	fake_ctrlr_cfg_init(&cfg);
	cfg.num_ns = 4;
	env_setup(&e, &cfg, NULL, 1, NULL);
	ut_log_start();
	g_nev = 0;
	nvtcp_ctrlr_register_ns_event_callback(e.c, ns_event_cb, NULL);
	ns2 = nvtcp_ctrlr_get_ns(e.c, 2);
	ns3 = nvtcp_ctrlr_get_ns(e.c, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns3);
	/* While the controller is away: namespace 1 shrinks, 2 disappears, 3 becomes another
	 * namespace (new NGUID), 4 is unchanged. */
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 3);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf[0], 0, 1, ut_cpl_cb, &u1, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(ns2, e.qp[0], buf[1], 0, 1, ut_cpl_cb, &u2, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(ns3, e.qp[0], buf[2], 0, 1, ut_cpl_cb, &u3, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(e.c, 4), e.qp[0], buf[3], 0, 1,
					  ut_cpl_cb, &u4, 0), 0);
	fake_ctrlr_set_ns_blocks(e.fc, 1, 1024);
	fake_ctrlr_set_ns_active(e.fc, 2, false);
	fake_ctrlr_set_ns_nguid(e.fc, 3, 0x77);
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = false;
	ut_clock_advance_ms(10001);
	RUN_UNTIL(&e, u4.count == 1);
	CU_ASSERT(all_connected(&e));
	/* Reported, logged; their waiting I/O never reached the new data. */
	CU_ASSERT(had_event(1, NVTCP_NS_EVENT_CHANGED));
	CU_ASSERT(had_event(2, NVTCP_NS_EVENT_REMOVED));
	CU_ASSERT(had_event(3, NVTCP_NS_EVENT_CHANGED));
	CU_ASSERT_EQUAL(g_nev, 3);
	CU_ASSERT(ut_log_has("namespace 1 changed across the reconnect: size changed from 2048 to "
			     "1024 blocks"));
	CU_ASSERT(ut_log_has("namespace 2 is gone"));
	CU_ASSERT(ut_log_has("namespace 3 changed across the reconnect: identifiers changed"));
	CU_ASSERT_EQUAL(u1.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u1.cpl), NVTCP_NVME_SC_NAMESPACE_NOT_READY);
	CU_ASSERT(nvtcp_nvme_status_dnr(u1.cpl.status));
	CU_ASSERT_EQUAL(u2.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u2.cpl), NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT);
	CU_ASSERT(nvtcp_nvme_status_dnr(u2.cpl.status));
	CU_ASSERT_EQUAL(u3.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u3.cpl), NVTCP_NVME_SC_NAMESPACE_NOT_READY);
	CU_ASSERT_EQUAL(u4.count, 1);
	CU_ASSERT_EQUAL(u4.errors, 0);
	/* Only the reads of namespace 4 reached the controller after the reconnect. */
	CU_ASSERT_EQUAL(fake_ctrlr_count(e.fc, 1, NVTCP_NVME_OPC_WRITE, -1), 0);
	/* New I/O to them is refused; namespace 4 works. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf[0], 0, 1, ut_cpl_cb, &u1, 0), -ENXIO);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(ns3, e.qp[0], buf[0], 0, 1, ut_cpl_cb, &u1, 0), -ENXIO);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_ns(e.c, 1));
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_ns(e.c, 2));
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_ns(e.c, 3));
	CU_ASSERT_PTR_NOT_NULL(nvtcp_ctrlr_get_ns(e.c, 4));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(e.c), 1);
	/* A changed namespace stays changed, even when a later scan finds it as it was. */
	fake_ctrlr_set_ns_blocks(e.fc, 1, 0);
	fake_ctrlr_set_ns_active(e.fc, 2, true);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reset(e.c), 0);
	RUN_UNTIL(&e, all_connected(&e) && nvtcp_ctrlr_get_num_active_ns(e.c) == 2);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_ns(e.c, 1));
	CU_ASSERT_PTR_NOT_NULL(nvtcp_ctrlr_get_ns(e.c, 2));
	CU_ASSERT(had_event(2, NVTCP_NS_EVENT_ADDED));
	e.ns = ns2;
	check_io(&e, 0, 0, 2, 4);
	env_teardown(&e);
}

static void
test_scan_error_keeps_namespaces(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_stats cs;
	struct env e;

	/* An Identify Namespace that fails for a transport reason during the reconnect's scan
	 * says nothing about the namespace: the attempt fails and is retried; the namespace is
	 * never reported gone and its I/O never fails for it. */
	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, NULL, 1, NULL);
	ut_log_start();
	g_nev = 0;
	nvtcp_ctrlr_register_ns_event_callback(e.c, ns_event_cb, NULL);
	fake_ctrlr_get_cfg(e.fc)->ns_identify_errors = 1;
	fake_ctrlr_drop_all(e.fc);
	RUN_UNTIL(&e, ut_log_has("reconnect attempt 1 of 60 failed"));
	CU_ASSERT(ut_log_has("reconnect attempt 1 of 60 failed: namespace scan failed"));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT_PTR_NOT_NULL(nvtcp_ctrlr_get_ns(e.c, 1));
	ut_clock_advance_ms(10001);
	RUN_UNTIL(&e, all_connected(&e));
	CU_ASSERT(all_connected(&e));
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.reconnect_attempts, 2);
	CU_ASSERT_EQUAL(g_nev, 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(e.c), 2);
	check_io(&e, 0, 0, 8, 11);
	env_teardown(&e);
}

static void
test_controller_identity_checked(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct nvtcp_nvme_ctrlr_data *d;

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, NULL, 1, NULL);
	ut_log_start();
	/* Another controller answers at the address: never used, retried until it is ours. */
	d = &fake_ctrlr_get_cfg(e.fc)->cdata;
	nvtcp_strcpy_pad(d->sn, sizeof(d->sn), "OTHER0001", ' ');
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 10);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT(ut_log_has("a different controller answered: serial number 'OTHER0001', was "
			     "'FAKE0001'"));
	CU_ASSERT_EQUAL(fake_ctrlr_count(e.fc, 0, NVTCP_NVME_OPC_SET_FEATURES, -1), 2);
	nvtcp_strcpy_pad(d->sn, sizeof(d->sn), "FAKE0001", ' ');
	/* A smaller MDTS would not fit the commands built for the old one. */
	d->mdts = 1;
	ut_clock_advance_ms(10001);
	pump(&e, 10);
	CU_ASSERT(ut_log_has("MDTS 1"));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	d->mdts = 0;
	nvtcp_strcpy_pad(d->subnqn, sizeof(d->subnqn), "nqn.2024-01.io.test:other", 0);
	ut_clock_advance_ms(10001);
	pump(&e, 10);
	CU_ASSERT(ut_log_has("a different subsystem answered"));
	nvtcp_strcpy_pad(d->subnqn, sizeof(d->subnqn), UT_SUBNQN, 0);
	ut_clock_advance_ms(10001);
	RUN_UNTIL(&e, all_connected(&e));
	CU_ASSERT(all_connected(&e));
	check_io(&e, 0, 0, 8, 5);
	env_teardown(&e);
}

static void
test_fewer_queues_after_reconnect(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	uint8_t buf[512];
	struct ut_cpl u = {0};

	/* The controller grants one I/O queue after the reconnect: queue pair 2 fails for good
	 * (its waiting command with a path error, DNR set), queue pair 1 carries on. */
	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, NULL, 2, NULL);
	ut_log_start();
	fake_ctrlr_get_cfg(e.fc)->nq_granted = 1;
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 3);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[1], buf, 0, 1, ut_cpl_cb, &u, 0), 0);
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = false;
	ut_clock_advance_ms(10001);
	RUN_UNTIL(&e, nvtcp_qpair_is_connected(e.qp[0]) && nvtcp_qpair_is_failed(e.qp[1]));
	CU_ASSERT(nvtcp_qpair_is_connected(e.qp[0]));
	CU_ASSERT(nvtcp_qpair_is_failed(e.qp[1]));
	CU_ASSERT(ut_log_has("grants 1 I/O queues after the reconnect"));
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_HOST_PATH_ERROR);
	CU_ASSERT(nvtcp_nvme_status_dnr(u.cpl.status));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_io_queues(e.c), 1);
	check_io(&e, 0, 0, 8, 12);
	env_teardown(&e);
}

/* ---- Explicit reset ----------------------------------------------------------------------- */

static void
test_explicit_reset(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct env e;
	struct ut_cpl u = {0};
	uint8_t buf[512];

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, NULL, 2, NULL);
	ut_log_start();
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reset(NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reset(e.c), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reset(e.c), -EBUSY);
	CU_ASSERT(ut_log_has("resetting (requested): reset requested by the application"));
	/* I/O submitted during the reset goes out after it, on both queue pairs. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[1], buf, 0, 1, ut_cpl_cb, &u, 0), 0);
	RUN_UNTIL(&e, all_connected(&e) && u.count == 1);
	CU_ASSERT(all_connected(&e));
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(fake_ctrlr_num_assocs(e.fc), 2);
	check_io(&e, 0, 0, 8, 6);
	check_io(&e, 1, 8, 8, 7);
	env_teardown(&e);

	/* With reconnect disabled, one attempt; when it fails, the controller fails. */
	fake_ctrlr_cfg_init(&cfg);
	ut_opts_recovery(&o);
	o.ctrl_loss_tmo_s = 0;
	env_setup(&e, &cfg, &o, 1, NULL);
	ut_log_start();
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reset(e.c), 0);
	pump(&e, 5);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_FAILED);
	CU_ASSERT(ut_log_has("reconnect attempt 1 of 1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(e.c), "reset failed"));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reset(e.c), -ENXIO);
	env_teardown(&e);
}

/* ---- Poll groups -------------------------------------------------------------------------- */

static void
test_poll_group_reconnect(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_poll_group *g;
	struct env e;
	uint8_t buf[2][512];
	struct ut_cpl u = {0};

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, NULL, 2, NULL);
	g = nvtcp_poll_group_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(nvtcp_poll_group_add(g, e.qp[0]), 0);
	CU_ASSERT_EQUAL(nvtcp_poll_group_add(g, e.qp[1]), 0);
	fake_ctrlr_drop_all(e.fc);
	(void)nvtcp_poll_group_process_completions(g, 0);
	CU_ASSERT_FALSE(nvtcp_qpair_is_connected(e.qp[0]));
	CU_ASSERT_FALSE(nvtcp_qpair_is_connected(e.qp[1]));
	/* Only the group is polled: its members drop and reconnect inside its poll. */
	for (int i = 0; i < UT_MAX_ITERS && !all_connected(&e); i++) {
		(void)nvtcp_poll_group_process_completions(g, 0);
		(void)nvtcp_ctrlr_process_admin_completions(e.c);
		fake_ctrlr_poll(e.fc);
	}
	CU_ASSERT(all_connected(&e));
	for (int q = 0; q < 2; q++) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[q], buf[q], 0, 1, ut_cpl_cb, &u, 0), 0);
	}
	for (int i = 0; i < UT_MAX_ITERS && u.count < 2; i++) {
		(void)nvtcp_poll_group_process_completions(g, 0);
		fake_ctrlr_poll(e.fc);
	}
	CU_ASSERT_EQUAL(u.count, 2);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(nvtcp_poll_group_remove(g, e.qp[0]), 0);
	CU_ASSERT_EQUAL(nvtcp_poll_group_remove(g, e.qp[1]), 0);
	CU_ASSERT_EQUAL(nvtcp_poll_group_destroy(g), 0);
	env_teardown(&e);
}

/* ---- Detach ------------------------------------------------------------------------------- */

static void
test_detach_while_resetting(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	uint8_t buf[8][512];
	struct ut_cpl u = {0};

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, NULL, 2, NULL);
	fake_ctrlr_get_cfg(e.fc)->refuse_connect = true;
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 3);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[i % 2], buf[i], i, 1, ut_cpl_cb, &u, 0),
				0);
	}
	/* Detach frees the queue pairs: each waiting command completes once. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_detach(e.c), 0);
	CU_ASSERT_EQUAL(u.count, 8);
	CU_ASSERT_EQUAL(u.errors, 8);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	fake_ctrlr_destroy(e.fc);

	/* Detach in the middle of a reconnect attempt (the admin connect under way). */
	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, NULL, 1, NULL);
	fake_ctrlr_get_cfg(e.fc)->no_icresp = true;
	fake_ctrlr_drop_all(e.fc);
	pump(&e, 5);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT_EQUAL(e.c->reset_state, NVME_RESET_CONNECT);
	memset(&u, 0, sizeof(u));
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp[0], buf[0], 0, 1, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_detach(e.c), 0);
	CU_ASSERT_EQUAL(u.count, 1);
	fake_ctrlr_destroy(e.fc);
}

static void
test_detach_under_load(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	static uint8_t buf[2][64][4096];
	struct ut_cpl u = {0};
	int n = 0;

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, NULL, 2, NULL);
	/* Queue pair 0's commands are held by the controller; queue pair 1's are being served
	 * (some completed, some on the wire, some queued for a wire slot). */
	fake_conn_set_manual(ut_conn_of(e.fc, 1), true);
	for (int q = 0; q < 2; q++) {
		for (int i = 0; i < 64; i++) {
			int rc = i % 2 ? nvtcp_ns_cmd_write(e.ns, e.qp[q], buf[q][i], i * 8, 8,
							    ut_cpl_cb, &u, 0) :
				 nvtcp_ns_cmd_read(e.ns, e.qp[q], buf[q][i], i * 8, 8, ut_cpl_cb,
						   &u, 0);

			CU_ASSERT_EQUAL(rc, 0);
			n++;
		}
	}
	ut_rounds(e.fc, e.c, e.qp[1], 3);
	ut_rounds(e.fc, NULL, e.qp[0], 3);
	CU_ASSERT(u.count < n);
	{
		int rc = nvtcp_ctrlr_detach(e.c);

		CU_ASSERT_EQUAL(rc, 0);
		if (rc != 0) {
			fprintf(stderr, "detach: %d\n", rc);
		}
	}
	CU_ASSERT_EQUAL(u.count, n);
	fake_ctrlr_destroy(e.fc);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("reset", NULL, NULL);

	CU_ADD_TEST(s, test_admin_loss_reconnects);
	CU_ADD_TEST(s, test_reconnect_delay_and_queued_io);
	CU_ADD_TEST(s, test_queued_io_bounded);
	CU_ADD_TEST(s, test_split_commands_across_reconnect);
	CU_ADD_TEST(s, test_ctrl_loss_tmo_expiry);
	CU_ADD_TEST(s, test_unlimited_and_disabled);
	CU_ADD_TEST(s, test_fast_io_fail);
	CU_ADD_TEST(s, test_fail_unsent);
	CU_ADD_TEST(s, test_transport_failures);
	CU_ADD_TEST(s, test_io_connect_refused_backs_off);
	CU_ADD_TEST(s, test_flapping_with_io_reconnects_at_once);
	CU_ADD_TEST(s, test_keep_alive_miss_resets);
	CU_ADD_TEST(s, test_namespaces_revalidated);
	CU_ADD_TEST(s, test_scan_error_keeps_namespaces);
	CU_ADD_TEST(s, test_controller_identity_checked);
	CU_ADD_TEST(s, test_fewer_queues_after_reconnect);
	CU_ADD_TEST(s, test_explicit_reset);
	CU_ADD_TEST(s, test_poll_group_reconnect);
	CU_ADD_TEST(s, test_detach_while_resetting);
	CU_ADD_TEST(s, test_detach_under_load);
}

NVTCP_UT_MAIN(add_tests)
