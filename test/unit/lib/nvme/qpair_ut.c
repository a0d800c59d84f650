/*
 * Unit tests of lib/nvme/qpair.c: the wire window (queue size - 1 on the wire, the rest in the
 * software queue), -EAGAIN versus queueing when requests run out, transfers split into child
 * requests (MDTS) that complete once with the first error, and the failure path that
 * completes every outstanding, queued and deferred command exactly once.
 */
#include "nvme_ut.h"

struct env {
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qp;
	struct fake_conn *conn;
	struct nvtcp_ns *ns;
};

static void
env_setup(struct env *e, struct fake_ctrlr_cfg *cfg, uint32_t qsize, uint32_t nreq,
	  enum nvtcp_qpair_full_policy policy, bool manual)
{
	struct nvtcp_io_qpair_opts qo;
	int rc;

	memset(e, 0, sizeof(*e));
	e->fc = fake_ctrlr_create(cfg);
	e->c = ut_attach_default(e->fc);
	nvtcp_ctrlr_get_default_io_qpair_opts(e->c, &qo);
	qo.io_queue_size = qsize;
	qo.io_queue_requests = nreq;
	qo.full_policy = policy;
	e->qp = nvtcp_ctrlr_alloc_io_qpair(e->c, &qo, &rc);
	CU_ASSERT_FATAL(e->qp != NULL);
	e->conn = fake_ctrlr_conn(e->fc, 1);
	fake_conn_set_manual(e->conn, manual);
	e->ns = nvtcp_ctrlr_get_ns(e->c, 1);
}

static void
env_teardown(struct env *e)
{
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(e->qp), 0);
	ut_teardown(e->fc, e->c);
}

static int
pop_all(struct env *e, struct fake_cmd_record *recs, int max)
{
	int n = 0;

	for (int i = 0; i < 5; i++) {
		(void)nvtcp_qpair_process_completions(e->qp, 0);
		fake_ctrlr_poll(e->fc);
		while (n < max && fake_conn_pop_cmd(e->conn, &recs[n], NULL, 0)) {
			n++;
		}
	}
	return n;
}

static void
test_wire_window_and_eagain(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct fake_cmd_record recs[16];
	struct ut_cpl u = {0};
	struct nvtcp_qpair_stats st;
	uint8_t buf[512];
	int n;

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, 4, 6, NVTCP_QPAIR_FULL_EAGAIN, true);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &u, 0), 0);
	}
	/* Every request in use: -EAGAIN, and nothing was taken. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &u, 0), -EAGAIN);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp), 6);
	/* A queue of 4 entries holds 3 commands: the rest wait in software. */
	n = pop_all(&e, recs, 16);
	CU_ASSERT_EQUAL(n, 3);
	/* A success without the read's data: the command fails (Transient Transport Error), and
	 * its wire slot goes to the oldest waiting command. */
	fake_conn_send_rsp(e.conn, recs[0].cmd.cid, 0, 0);
	n = pop_all(&e, recs + 3, 13);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR);
	nvtcp_qpair_get_stats(e.qp, &st);
	CU_ASSERT_EQUAL(st.submitted, 6);
	CU_ASSERT_EQUAL(st.completed, 1);
	CU_ASSERT_EQUAL(st.errors, 1);
	CU_ASSERT_EQUAL(st.queued, 0);
	env_teardown(&e);
}

/* A completion with data, for a read of one block. */
static void
complete_read(struct env *e, uint16_t cid, const uint8_t *data)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	h.ch.flags = NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS;
	h.c2h_data.cccid = cid;
	fake_conn_send_pdu(e->conn, &h, data, 512);
}

static void
test_software_queue_order(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct fake_cmd_record recs[16];
	struct ut_cpl u[6];
	uint8_t buf[6][512], data[512];
	int n;

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, 4, 6, NVTCP_QPAIR_FULL_EAGAIN, true);
	memset(u, 0, sizeof(u));
	ut_fill(data, sizeof(data), 2);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf[i], (uint64_t)i, 1, ut_cpl_cb, &u[i],
						  0), 0);
	}
	n = pop_all(&e, recs, 16);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvtcp_nvme_rw_slba(&recs[i].cmd), (uint64_t)i);
	}
	/* Each completion lets the oldest waiting command onto the wire, in order. */
	complete_read(&e, recs[1].cmd.cid, data);
	n += pop_all(&e, recs + n, 16 - n);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(nvtcp_nvme_rw_slba(&recs[3].cmd), 3);
	complete_read(&e, recs[0].cmd.cid, data);
	complete_read(&e, recs[2].cmd.cid, data);
	n += pop_all(&e, recs + n, 16 - n);
	CU_ASSERT_EQUAL_FATAL(n, 6);
	CU_ASSERT_EQUAL(nvtcp_nvme_rw_slba(&recs[4].cmd), 4);
	CU_ASSERT_EQUAL(nvtcp_nvme_rw_slba(&recs[5].cmd), 5);
	for (int i = 3; i < 6; i++) {
		complete_read(&e, recs[i].cmd.cid, data);
	}
	(void)pop_all(&e, recs, 0);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(u[i].count, 1);
		CU_ASSERT_EQUAL(u[i].errors, 0);
		CU_ASSERT_EQUAL(memcmp(buf[i], data, 512), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp), 0);
	env_teardown(&e);
}

static void
test_queue_policy(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct ut_cpl u = {0};
	struct nvtcp_qpair_stats st;
	uint8_t *store;
	static uint8_t buf[12][512];

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, 4, 6, NVTCP_QPAIR_FULL_QUEUE, false);
	store = fake_ctrlr_ns_data(e.fc, 1);
	for (int i = 0; i < 12; i++) {
		ut_fill(store + i * 512, 512, (uint32_t)i);
	}
	/* 6 requests, then 6 deferred submissions (the ring holds io_queue_requests). */
	for (int i = 0; i < 12; i++) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf[i], (uint64_t)i, 1, ut_cpl_cb, &u,
						  0), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf[0], 0, 1, ut_cpl_cb, &u, 0), -EAGAIN);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp), 12);
	nvtcp_qpair_get_stats(e.qp, &st);
	CU_ASSERT_EQUAL(st.queued, 6);
	CU_ASSERT_EQUAL(st.submitted, 12);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 12);
	CU_ASSERT_EQUAL(u.count, 12);
	CU_ASSERT_EQUAL(u.errors, 0);
	for (int i = 0; i < 12; i++) {
		CU_ASSERT_EQUAL(memcmp(buf[i], store + i * 512, 512), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp), 0);
	env_teardown(&e);
}

static void
test_split_mdts(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct ut_cpl u = {0};
	static uint8_t data[65536], buf[65536];
	uint32_t writes;

	fake_ctrlr_cfg_init(&cfg);
	cfg.cdata.mdts = 1; /* 2 pages of 4 KiB */
	env_setup(&e, &cfg, 8, 4, NVTCP_QPAIR_FULL_EAGAIN, false);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_max_xfer_size(e.c), 8192);
	CU_ASSERT_EQUAL(nvtcp_ns_get_max_io_xfer_size(e.ns), 8192);
	ut_fill(data, sizeof(data), 21);
	/* 128 blocks (64 KiB) = 8 children of 8 KiB, through only 4 requests. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, data, 10, 128, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp), 1);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 1);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	writes = fake_ctrlr_count(e.fc, 1, NVTCP_NVME_OPC_WRITE, -1);
	CU_ASSERT_EQUAL(writes, 8);
	for (uint32_t i = 0; i < fake_ctrlr_num_cmds(e.fc); i++) {
		const struct fake_cmd_record *r = fake_ctrlr_cmd(e.fc, i);

		if (r->qid == 1 && r->cmd.opc == NVTCP_NVME_OPC_WRITE) {
			CU_ASSERT_EQUAL(nvtcp_nvme_rw_nlb(&r->cmd), 16);
			CU_ASSERT_EQUAL((nvtcp_nvme_rw_slba(&r->cmd) - 10) % 16, 0);
		}
	}
	CU_ASSERT_EQUAL(memcmp(fake_ctrlr_ns_data(e.fc, 1) + 10 * 512, data, sizeof(data)), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 10, 128, ut_cpl_cb, &u, 0), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 2);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(buf, data, sizeof(data)), 0);
	env_teardown(&e);
}

static void
test_split_first_error(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct fake_cmd_record recs[16];
	struct ut_cpl u = {0};
	static uint8_t buf[8 * 8192];
	int n;

	fake_ctrlr_cfg_init(&cfg);
	cfg.cdata.mdts = 1;
	env_setup(&e, &cfg, 4, 8, NVTCP_QPAIR_FULL_EAGAIN, true);
	/* 8 children; 3 go on the wire, 5 wait in the software queue. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, buf, 0, 128, ut_cpl_cb, &u, 0), 0);
	n = pop_all(&e, recs, 16);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	/* The second child fails; the others succeed. The parent completes once, after every
	 * child that was issued, with the first error. */
	fake_conn_send_rsp(e.conn, recs[1].cmd.cid, nvtcp_nvme_status(2, 0x80, true), 0);
	fake_conn_send_rsp(e.conn, recs[0].cmd.cid, 0, 0);
	n += pop_all(&e, recs + n, 16 - n);
	CU_ASSERT_EQUAL(u.count, 0);
	for (int i = 2; i < n; i++) {
		fake_conn_send_rsp(e.conn, recs[i].cmd.cid, 0, 0);
	}
	for (int k = 0; k < 10 && u.count == 0; k++) {
		int m = pop_all(&e, recs + n, 16 - n);

		for (int i = n; i < n + m; i++) {
			fake_conn_send_rsp(e.conn, recs[i].cmd.cid, 0, 0);
		}
		n += m;
	}
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sct(&u.cpl), 2);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), 0x80);
	CU_ASSERT(nvtcp_nvme_status_dnr(u.cpl.status));
	/* Children already queued were sent; none beyond them. */
	CU_ASSERT(n <= 8);
	(void)pop_all(&e, recs, 0);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp), 0);
	env_teardown(&e);
}

struct resubmit {
	struct env *e;
	int count;
	uint8_t buf[512];
};

static void
resubmit_cb(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct resubmit *r = arg;

	r->count++;
	/* Polling the same queue pair from its own callback does nothing. */
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(r->e->qp, 0), 0);
	if (r->count < 5) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(r->e->ns, r->e->qp, r->buf, 0, 1, resubmit_cb, r,
						  0), 0);
	}
}

static void
test_resubmit_from_callback(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct resubmit r = {.e = &e};

	fake_ctrlr_cfg_init(&cfg);
	/* One request only: the callback must find the one that just completed free. */
	env_setup(&e, &cfg, 2, 1, NVTCP_QPAIR_FULL_EAGAIN, false);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, r.buf, 0, 1, resubmit_cb, &r, 0), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, r.count == 5);
	CU_ASSERT_EQUAL(r.count, 5);
	env_teardown(&e);
}

static void
test_fail_completes_everything_once(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct fake_cmd_record recs[16];
	struct ut_cpl wire = {0}, split = {0}, deferred = {0};
	static uint8_t buf[65536];
	int n;

	fake_ctrlr_cfg_init(&cfg);
	cfg.cdata.mdts = 1;
	env_setup(&e, &cfg, 4, 4, NVTCP_QPAIR_FULL_QUEUE, true);
	/* Two single commands (on the wire), a split one (children on the wire, in the
	 * software queue and not yet issued), then deferred submissions. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &wire, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &wire, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, buf, 0, 128, ut_cpl_cb, &split, 0), 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &deferred, 0), 0);
	}
	n = pop_all(&e, recs, 16);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp), 6);
	fake_sock_rx_close(fake_conn_sock(e.conn));
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), -ENXIO);
	CU_ASSERT_EQUAL(wire.count, 2);
	CU_ASSERT_EQUAL(split.count, 1);
	CU_ASSERT_EQUAL(deferred.count, 3);
	CU_ASSERT_EQUAL(ut_sc(&wire.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(ut_sc(&split.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(ut_sc(&deferred.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_FALSE(nvtcp_nvme_status_dnr(split.cpl.status));
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp), 0);
	for (int i = 0; i < 5; i++) {
		(void)nvtcp_qpair_process_completions(e.qp, 0);
	}
	CU_ASSERT_EQUAL(wire.count + split.count + deferred.count, 6);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &wire, 0), -ENXIO);
	env_teardown(&e);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("qpair", NULL, NULL);

	CU_ADD_TEST(s, test_wire_window_and_eagain);
	CU_ADD_TEST(s, test_software_queue_order);
	CU_ADD_TEST(s, test_queue_policy);
	CU_ADD_TEST(s, test_split_mdts);
	CU_ADD_TEST(s, test_split_first_error);
	CU_ADD_TEST(s, test_resubmit_from_callback);
	CU_ADD_TEST(s, test_fail_completes_everything_once);
}

NVTCP_UT_MAIN(add_tests)
