/*
 * Unit tests of lib/nvme/timeout.c: command timeouts on the test clock. An I/O command past
 * io_timeout_ms is aborted (Abort with its SQID and CID, sent by the admin thread); if it is
 * aborted it completes with the controller's status; if not (Linux nvmet never aborts), or the
 * Abort fails or times out, the controller is reset and the command completes once, retryable.
 * The timeout callback's actions; admin command timeouts; keep-alives and AERs never timed
 * out; timeouts off; more stuck commands than Abort slots.
 */
#include "nvme_ut.h"

struct env {
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qp;
	struct fake_conn *conn;   /* the I/O connection, manual: commands are held */
	struct nvtcp_ns *ns;
};

static void
env_setup(struct env *e, struct fake_ctrlr_cfg *cfg, struct nvtcp_ctrlr_opts *o)
{
	int rc;

	memset(e, 0, sizeof(*e));
	e->fc = fake_ctrlr_create(cfg);
	CU_ASSERT_FATAL(ut_attach(e->fc, o, UT_SUBNQN, &e->c) == 0);
	e->qp = nvtcp_ctrlr_alloc_io_qpair(e->c, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->qp);
	e->conn = ut_conn_of(e->fc, 1);
	fake_conn_set_manual(e->conn, true);
	e->ns = nvtcp_ctrlr_get_ns(e->c, 1);
	ut_log_start();
}

static void
env_teardown(struct env *e)
{
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(e->qp), 0);
	ut_teardown(e->fc, e->c);
	ut_log_stop();
}

/* Run until the controller has reconnected \p n times and the queue pair is back. */
static void
wait_reconnected(struct env *e, uint64_t n)
{
	struct nvtcp_ctrlr_stats cs;

	for (int i = 0; i < UT_MAX_ITERS; i++) {
		nvtcp_ctrlr_get_stats(e->c, &cs);
		if (cs.reconnects >= n && nvtcp_qpair_is_connected(e->qp)) {
			return;
		}
		ut_rounds(e->fc, e->c, e->qp, 1);
	}
	CU_FAIL("no reconnect");
}

static void
opts(struct nvtcp_ctrlr_opts *o, uint32_t io_ms, uint32_t admin_ms)
{
	ut_opts_recovery(o);
	o->io_timeout_ms = io_ms;
	o->admin_timeout_ms = admin_ms;
}

/* The Abort the admin queue sent last: its SQID and CID. */
static bool
last_abort(struct env *e, uint16_t *sqid, uint16_t *cid)
{
	const struct fake_cmd_record *r = fake_ctrlr_last(e->fc, NVTCP_NVME_OPC_ABORT, -1);

	if (r == NULL) {
		return false;
	}
	*sqid = r->cmd.cdw10 & 0xFFFF;
	*cid = r->cmd.cdw10 >> 16;
	return true;
}

/* Submit a read the controller holds; returns its CID. */
static uint16_t
held_read(struct env *e, void *buf, uint64_t lba, struct ut_cpl *u)
{
	struct fake_cmd_record rec;

	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e->ns, e->qp, buf, lba, 1, ut_cpl_cb, u, 0), 0);
	for (int i = 0; i < 20; i++) {
		ut_rounds(e->fc, e->c, e->qp, 1);
		if (fake_conn_pop_cmd(e->conn, &rec, NULL, 0)) {
			return rec.cmd.cid;
		}
	}
	CU_FAIL("the read was not sent");
	return 0;
}

static void
test_abort_succeeds(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_qpair_stats qs;
	struct nvtcp_ctrlr_stats cs;
	struct env e;
	struct ut_cpl u = {0};
	uint8_t buf[512];
	uint16_t cid, sqid, acid;

	fake_ctrlr_cfg_init(&cfg);
	cfg.abort_succeeds = true;
	opts(&o, 1000, 60000);
	env_setup(&e, &cfg, &o);
	cid = held_read(&e, buf, 0, &u);
	ut_clock_advance_ms(999);
	ut_rounds(e.fc, e.c, e.qp, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 0);
	ut_clock_advance_ms(2);
	/* The I/O thread sees it and posts the Abort; the admin thread sends it. */
	CU_ASSERT(nvtcp_qpair_process_completions(e.qp, 0) >= 0);
	nvtcp_qpair_get_stats(e.qp, &qs);
	CU_ASSERT_EQUAL(qs.timeouts, 1);
	CU_ASSERT_EQUAL(qs.aborts, 1);
	CU_ASSERT(ut_log_has("timed out: no completion within 1000 ms"));
	UT_RUN_UNTIL(e.fc, e.c, e.qp, u.count == 1);
	CU_ASSERT_FATAL(last_abort(&e, &sqid, &acid));
	CU_ASSERT_EQUAL(sqid, 1);
	CU_ASSERT_EQUAL(acid, cid);
	/* Aborted: it completes once with the controller's status; no reset. */
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_LIVE);
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.aborts_sent, 1);
	CU_ASSERT_EQUAL(cs.resets, 0);
	ut_clock_advance_ms(5000);
	ut_rounds(e.fc, e.c, e.qp, 5);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 1);
	env_teardown(&e);
}

static void
test_not_aborted_then_reset(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr_stats cs;
	struct env e;
	struct ut_cpl u = {0}, v = {0};
	uint8_t buf[512];

	/* Linux nvmet answers every Abort "not aborted". */
	fake_ctrlr_cfg_init(&cfg);
	opts(&o, 1000, 60000);
	env_setup(&e, &cfg, &o);
	(void)held_read(&e, buf, 0, &u);
	ut_clock_advance_ms(1001);
	ut_rounds(e.fc, e.c, e.qp, 5);
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 1);
	CU_ASSERT(ut_log_has("not aborted"));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_LIVE);
	CU_ASSERT_EQUAL(u.count, 0);
	/* One more timeout: reset; the command completes once, retryable. */
	ut_clock_advance_ms(1001);
	CU_ASSERT(nvtcp_qpair_process_completions(e.qp, 0) >= 0);
	CU_ASSERT(ut_log_has("after its Abort"));
	(void)nvtcp_ctrlr_process_admin_completions(e.c);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT(ut_log_has("has a command that timed out and could not be aborted"));
	wait_reconnected(&e, 1);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT(nvtcp_nvme_cpl_is_retryable(&u.cpl));
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.resets, 1);
	CU_ASSERT_EQUAL(cs.io_reset_requests, 1);
	CU_ASSERT_EQUAL(cs.reconnects, 1);
	/* The new connection serves I/O. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &v, 0), 0);
	UT_RUN_UNTIL(e.fc, e.c, e.qp, v.count == 1);
	CU_ASSERT_EQUAL(v.count, 1);
	CU_ASSERT_EQUAL(v.errors, 0);
	CU_ASSERT_EQUAL(u.count, 1);
	env_teardown(&e);
}

static void
test_abort_refused_resets(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr_stats cs;
	struct env e;
	struct ut_cpl u = {0};
	uint8_t buf[512];

	fake_ctrlr_cfg_init(&cfg);
	cfg.abort_status = nvtcp_nvme_status(1, NVTCP_NVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED, true);
	opts(&o, 1000, 60000);
	env_setup(&e, &cfg, &o);
	(void)held_read(&e, buf, 0, &u);
	ut_clock_advance_ms(1001);
	ut_rounds(e.fc, e.c, e.qp, 4);
	CU_ASSERT(ut_log_has("Abort of cid"));
	CU_ASSERT(ut_log_has("failed: "));
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.aborts_failed, 1);
	CU_ASSERT(cs.resets == 1);
	wait_reconnected(&e, 1);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	env_teardown(&e);
}

static void
test_abort_times_out(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct env e;
	struct ut_cpl u = {0};
	uint8_t buf[512];

	fake_ctrlr_cfg_init(&cfg);
	cfg.abort_hold = true;
	opts(&o, 1000, 3000);
	env_setup(&e, &cfg, &o);
	(void)held_read(&e, buf, 0, &u);
	ut_clock_advance_ms(1001);
	ut_rounds(e.fc, e.c, e.qp, 4);
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 1);
	/* The read's second timeout comes first (1 s): reset. */
	ut_clock_advance_ms(1001);
	ut_rounds(e.fc, e.c, e.qp, 2);
	CU_ASSERT(ut_log_has("after its Abort"));
	wait_reconnected(&e, 1);
	CU_ASSERT_EQUAL(u.count, 1);
	env_teardown(&e);

	/* When the I/O thread does not get there first, the Abort's own admin timeout
	 * resets. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.abort_hold = true;
	opts(&o, 1000, 3000);
	env_setup(&e, &cfg, &o);
	memset(&u, 0, sizeof(u));
	(void)held_read(&e, buf, 0, &u);
	ut_clock_advance_ms(1001);
	ut_rounds(e.fc, NULL, e.qp, 1);
	/* Only the admin queue is polled from now on. */
	ut_rounds(e.fc, e.c, NULL, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 1);
	ut_clock_advance_ms(3001);
	ut_rounds(e.fc, e.c, NULL, 1);
	CU_ASSERT(ut_log_has("(opcode 0x08) timed out"));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT_EQUAL(u.count, 0);
	wait_reconnected(&e, 1);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	env_teardown(&e);
}

/* ---- The timeout callback ----------------------------------------------------------------- */

static struct {
	enum nvtcp_timeout_action action;
	int calls;
	struct nvtcp_qpair *qpair;
	uint16_t cid;
} g_tmo;

static enum nvtcp_timeout_action
timeout_cb(void *arg, struct nvtcp_ctrlr *c, struct nvtcp_qpair *qp, uint16_t cid)
{
	g_tmo.calls++;
	g_tmo.qpair = qp;
	g_tmo.cid = cid;
	return g_tmo.action;
}

static void
test_timeout_callback(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct env e;
	struct ut_cpl u = {0};
	uint8_t buf[512];
	uint16_t cid;

	/* NONE: keep waiting; the callback comes again one timeout later. */
	fake_ctrlr_cfg_init(&cfg);
	opts(&o, 1000, 60000);
	env_setup(&e, &cfg, &o);
	memset(&g_tmo, 0, sizeof(g_tmo));
	g_tmo.action = NVTCP_TIMEOUT_ACTION_NONE;
	nvtcp_ctrlr_register_timeout_callback(e.c, timeout_cb, NULL);
	cid = held_read(&e, buf, 0, &u);
	ut_clock_advance_ms(1001);
	ut_rounds(e.fc, e.c, e.qp, 3);
	CU_ASSERT_EQUAL(g_tmo.calls, 1);
	CU_ASSERT_PTR_EQUAL(g_tmo.qpair, e.qp);
	CU_ASSERT_EQUAL(g_tmo.cid, cid);
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 0);
	ut_clock_advance_ms(500);
	ut_rounds(e.fc, e.c, e.qp, 3);
	CU_ASSERT_EQUAL(g_tmo.calls, 1);
	ut_clock_advance_ms(501);
	ut_rounds(e.fc, e.c, e.qp, 3);
	CU_ASSERT_EQUAL(g_tmo.calls, 2);
	/* ABORT: an Abort for it. */
	g_tmo.action = NVTCP_TIMEOUT_ACTION_ABORT;
	ut_clock_advance_ms(1001);
	ut_rounds(e.fc, e.c, e.qp, 3);
	CU_ASSERT_EQUAL(g_tmo.calls, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 1);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_LIVE);
	/* RESET: at once. */
	g_tmo.action = NVTCP_TIMEOUT_ACTION_RESET;
	ut_clock_advance_ms(1001);
	(void)nvtcp_qpair_process_completions(e.qp, 0);
	CU_ASSERT_EQUAL(g_tmo.calls, 4);
	(void)nvtcp_ctrlr_process_admin_completions(e.c);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	wait_reconnected(&e, 1);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 1);
	env_teardown(&e);
}

static void
test_admin_timeout(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr_stats cs;
	struct fake_cmd_record rec;
	struct fake_conn *aconn;
	struct env e;
	struct ut_cpl u = {0};
	uint8_t id[4096];
	uint16_t cid = 0, sqid, acid;

	fake_ctrlr_cfg_init(&cfg);
	opts(&o, 30000, 2000);
	o.kato_ms = 0;
	env_setup(&e, &cfg, &o);
	memset(&g_tmo, 0, sizeof(g_tmo));
	g_tmo.action = NVTCP_TIMEOUT_ACTION_DEFAULT;
	nvtcp_ctrlr_register_timeout_callback(e.c, timeout_cb, NULL);
	aconn = ut_conn_of(e.fc, 0);
	fake_conn_set_manual(aconn, true);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_identify(e.c, 1, 0, 0, id, sizeof(id), ut_cpl_cb, &u), 0);
	ut_rounds(e.fc, e.c, NULL, 2);
	while (fake_conn_pop_cmd(aconn, &rec, NULL, 0)) {
		if (rec.cmd.opc == NVTCP_NVME_OPC_IDENTIFY) {
			cid = rec.cmd.cid;
		}
	}
	ut_clock_advance_ms(2001);
	ut_rounds(e.fc, e.c, NULL, 2);
	/* The callback sees the admin queue as NULL; by default, an Abort (SQID 0). */
	CU_ASSERT_EQUAL(g_tmo.calls, 1);
	CU_ASSERT_PTR_NULL(g_tmo.qpair);
	CU_ASSERT_EQUAL(g_tmo.cid, cid);
	CU_ASSERT_FATAL(last_abort(&e, &sqid, &acid));
	CU_ASSERT_EQUAL(sqid, 0);
	CU_ASSERT_EQUAL(acid, cid);
	nvtcp_ctrlr_get_stats(e.c, &cs);
	CU_ASSERT_EQUAL(cs.admin_timeouts, 1);
	/* Neither answers: reset; the Identify completes once, retryable. */
	ut_clock_advance_ms(2001);
	ut_rounds(e.fc, e.c, NULL, 1);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	wait_reconnected(&e, 1);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_LIVE);
	CU_ASSERT_EQUAL(u.count, 1);
	env_teardown(&e);
}

static void
test_aer_and_keep_alive_never_time_out(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct env e;

	fake_ctrlr_cfg_init(&cfg);
	opts(&o, 1000, 1000);
	env_setup(&e, &cfg, &o);
	CU_ASSERT_EQUAL(fake_ctrlr_held_aers(e.fc), 4);
	for (int i = 0; i < 40; i++) {
		ut_clock_advance_ms(600);
		ut_rounds(e.fc, e.c, e.qp, 2);
	}
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_LIVE);
	CU_ASSERT_EQUAL(fake_ctrlr_held_aers(e.fc), 4);
	CU_ASSERT(fake_ctrlr_count(e.fc, 0, NVTCP_NVME_OPC_KEEP_ALIVE, -1) >= 7);
	env_teardown(&e);
}

static void
test_timeouts_off(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct env e;
	struct ut_cpl u = {0};
	uint8_t buf[512];

	fake_ctrlr_cfg_init(&cfg);
	opts(&o, 0, 0);
	env_setup(&e, &cfg, &o);
	(void)held_read(&e, buf, 0, &u);
	for (int i = 0; i < 20; i++) {
		ut_clock_advance_ms(60000);
		ut_rounds(e.fc, e.c, e.qp, 2);
	}
	CU_ASSERT_EQUAL(u.count, 0);
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_LIVE);
	env_teardown(&e);
	CU_ASSERT_EQUAL(u.count, 1);
}

static void
test_many_stuck_commands(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct env e;
	static uint8_t buf[24][512];
	struct ut_cpl u = {0};

	/* ACL 0: one Abort at a time; 16 slots; 24 stuck commands: reset. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.cdata.acl = 0;
	opts(&o, 1000, 60000);
	env_setup(&e, &cfg, &o);
	for (int i = 0; i < 24; i++) {
		(void)held_read(&e, buf[i], i, &u);
	}
	ut_clock_advance_ms(1001);
	(void)nvtcp_qpair_process_completions(e.qp, 0);
	CU_ASSERT_EQUAL(e.qp->stats.timeouts, 24);
	(void)nvtcp_ctrlr_process_admin_completions(e.c);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_RESETTING);
	wait_reconnected(&e, 1);
	CU_ASSERT_EQUAL(u.count, 24);
	CU_ASSERT_EQUAL(u.errors, 24);
	/* No Abort slot is left behind. */
	CU_ASSERT_EQUAL(atomic_load(&e.c->abort_posted), 0);
	env_teardown(&e);
}

static void
test_poll_group_timeouts(void)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_poll_group *g;
	struct env e;
	struct fake_cmd_record rec;
	struct ut_cpl u = {0};
	uint8_t buf[512];

	/* A queue pair polled through a group is checked the same way. */
	fake_ctrlr_cfg_init(&cfg);
	opts(&o, 1000, 60000);
	env_setup(&e, &cfg, &o);
	g = nvtcp_poll_group_create();
	CU_ASSERT_FATAL(g != NULL);
	CU_ASSERT_EQUAL(nvtcp_poll_group_add(g, e.qp), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &u, 0), 0);
	for (int i = 0; i < 10 && !fake_conn_pop_cmd(e.conn, &rec, NULL, 0); i++) {
		(void)nvtcp_poll_group_process_completions(g, 0);
		fake_ctrlr_poll(e.fc);
	}
	ut_clock_advance_ms(999);
	(void)nvtcp_poll_group_process_completions(g, 0);
	CU_ASSERT_EQUAL(e.qp->stats.timeouts, 0);
	ut_clock_advance_ms(2);
	(void)nvtcp_poll_group_process_completions(g, 0);
	CU_ASSERT_EQUAL(e.qp->stats.timeouts, 1);
	ut_rounds(e.fc, e.c, NULL, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_num_aborts(e.fc), 1);
	CU_ASSERT_EQUAL(nvtcp_poll_group_remove(g, e.qp), 0);
	CU_ASSERT_EQUAL(nvtcp_poll_group_destroy(g), 0);
	env_teardown(&e);
	CU_ASSERT_EQUAL(u.count, 1);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("timeout", NULL, NULL);

	CU_ADD_TEST(s, test_abort_succeeds);
	CU_ADD_TEST(s, test_not_aborted_then_reset);
	CU_ADD_TEST(s, test_abort_refused_resets);
	CU_ADD_TEST(s, test_abort_times_out);
	CU_ADD_TEST(s, test_timeout_callback);
	CU_ADD_TEST(s, test_admin_timeout);
	CU_ADD_TEST(s, test_aer_and_keep_alive_never_time_out);
	CU_ADD_TEST(s, test_timeouts_off);
	CU_ADD_TEST(s, test_many_stuck_commands);
	CU_ADD_TEST(s, test_poll_group_timeouts);
}

NVTCP_UT_MAIN(add_tests)
