/*
 * Unit tests of lib/nvme/io_qpair.c: queue IDs 1..N in order, the Connect of I/O queues
 * (controller ID, SQSIZE, KATO 0), options, background connect with commands submitted
 * before it completes, freeing with commands outstanding, controller failure seen by I/O
 * queue pairs, counters.
 */
#include "nvme_ut.h"

static void
test_qids_in_order(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qp[5];
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	for (int i = 0; i < 4; i++) {
		const struct nvtcp_nvmf_connect_cmd *cc;
		const struct nvtcp_nvmf_connect_data *cd;

		qp[i] = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
		CU_ASSERT_PTR_NOT_NULL_FATAL(qp[i]);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(nvtcp_qpair_get_id(qp[i]), i + 1);
		CU_ASSERT(nvtcp_qpair_is_connected(qp[i]));
		CU_ASSERT_PTR_EQUAL(nvtcp_qpair_get_ctrlr(qp[i]), c);
		cc = (const void *)&fake_ctrlr_last(fc, NVTCP_NVME_OPC_FABRICS,
						    NVTCP_NVMF_FCTYPE_CONNECT)->cmd;
		CU_ASSERT_EQUAL(cc->qid, i + 1);
		CU_ASSERT_EQUAL(cc->sqsize, 127);
		CU_ASSERT_EQUAL(cc->kato, 0);
		CU_ASSERT_EQUAL(cc->flags, 0x40);
		cd = fake_ctrlr_connect_data(fc, (uint16_t)(i + 1));
		CU_ASSERT_EQUAL(cd->cntlid, 7);
		CU_ASSERT_STRING_EQUAL(cd->subnqn, UT_SUBNQN);
	}
	qp[4] = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NULL(qp[4]);
	CU_ASSERT_EQUAL(rc, -ENOSPC);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp[1]), 0);
	qp[1] = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp[1]);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_id(qp[1]), 2);
	/* Detach frees the remaining queue pairs too. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp[0]), 0);
	ut_teardown(fc, c);
}

static void
test_opts(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_io_qpair_opts o;
	struct nvtcp_qpair *qp;
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	cfg.cap = (cfg.cap & ~0xFFFFull) | 63; /* MQES 63: 64 entries at most */
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	nvtcp_ctrlr_get_default_io_qpair_opts(c, &o);
	CU_ASSERT_EQUAL(o.io_queue_size, 64);
	CU_ASSERT_EQUAL(o.io_queue_requests, 128);
	CU_ASSERT_EQUAL(o.full_policy, NVTCP_QPAIR_FULL_EAGAIN);
	CU_ASSERT_FALSE(o.async_connect);
	o.io_queue_size = 65;
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_alloc_io_qpair(c, &o, &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);
	o.io_queue_size = 1;
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_alloc_io_qpair(c, &o, &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);
	o.io_queue_size = 16;
	o.io_queue_requests = 0;
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_alloc_io_qpair(c, &o, &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);
	o.io_queue_requests = 16;
	qp = nvtcp_ctrlr_alloc_io_qpair(c, &o, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_connect_cmd *)
			 &fake_ctrlr_last(fc, NVTCP_NVME_OPC_FABRICS,
					  NVTCP_NVMF_FCTYPE_CONNECT)->cmd)->sqsize, 15);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(c->adminq), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	ut_teardown(fc, c);
}

static void
test_async_connect(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_io_qpair_opts o;
	struct nvtcp_qpair *qp;
	struct ut_cpl u = {0};
	uint8_t buf[2][512];
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	ut_fill(fake_ctrlr_ns_data(fc, 1), 1024, 77);
	nvtcp_ctrlr_get_default_io_qpair_opts(c, &o);
	o.async_connect = true;
	qp = nvtcp_ctrlr_alloc_io_qpair(c, &o, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	CU_ASSERT_FALSE(nvtcp_qpair_is_connected(qp));
	/* Commands submitted before the connection is up wait for it. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp, buf[0], 0, 1, ut_cpl_cb, &u,
					  0), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp, buf[1], 1, 1, ut_cpl_cb, &u,
					  0), 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(qp), 2);
	UT_RUN_UNTIL(fc, NULL, qp, u.count == 2);
	CU_ASSERT(nvtcp_qpair_is_connected(qp));
	CU_ASSERT_EQUAL(u.count, 2);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(buf, fake_ctrlr_ns_data(fc, 1), 1024), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);

	/* A background connect that fails completes what was queued, once. */
	fake_ctrlr_get_cfg(fc)->no_icresp = true;
	qp = nvtcp_ctrlr_alloc_io_qpair(c, &o, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	u.count = 0;
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp, buf[0], 0, 1, ut_cpl_cb, &u,
					  0), 0);
	for (int i = 0; i < 100 && u.count == 0; i++) {
		(void)nvtcp_qpair_process_completions(qp, 0);
		fake_ctrlr_poll(fc);
		ut_clock_advance_ms(200);
	}
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(qp, 0), -ENXIO);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	ut_teardown(fc, c);
}

static void
test_free_with_outstanding(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qp;
	struct ut_cpl u = {0};
	uint8_t buf[512];
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	fake_conn_set_manual(fake_ctrlr_conn(fc, 1), true);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp, buf, 0, 1, ut_cpl_cb,
						  &u, 0), 0);
	}
	ut_rounds(fc, NULL, qp, 3);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	CU_ASSERT_EQUAL(u.count, 3);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_FALSE(nvtcp_nvme_status_dnr(u.cpl.status));
	ut_teardown(fc, c);
}

static void
test_controller_failure_reaches_io(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qp;
	struct ut_cpl u = {0};
	uint8_t buf[512];
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	fake_conn_set_manual(fake_ctrlr_conn(fc, 1), true);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp, buf, 0, 1, ut_cpl_cb, &u,
					  0), 0);
	ut_rounds(fc, NULL, qp, 2);
	/* The admin connection drops: the controller fails, and the I/O queue pair learns it on
	 * its next poll through the shared generation counter. */
	fake_sock_rx_close(fake_conn_sock(fake_ctrlr_conn(fc, 0)));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_process_admin_completions(c), -ENXIO);
	CU_ASSERT_EQUAL(u.count, 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(qp, 0), -ENXIO);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_FALSE(nvtcp_qpair_is_connected(qp));
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc));
	CU_ASSERT_EQUAL(rc, -ENXIO);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	ut_teardown(fc, c);
}

static void
test_stats(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qp;
	struct nvtcp_qpair_stats st;
	struct ut_cpl u = {0};
	uint8_t buf[512];
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp, buf, 0, 1, ut_cpl_cb, &u,
					  0), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp, buf, 4096, 1, ut_cpl_cb, &u,
					  0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp, buf, 2047, 1, ut_cpl_cb, &u,
					  0), 0);
	UT_RUN_UNTIL(fc, NULL, qp, u.count == 2);
	nvtcp_qpair_get_stats(qp, &st);
	CU_ASSERT_EQUAL(st.submitted, 2);
	CU_ASSERT_EQUAL(st.completed, 2);
	CU_ASSERT_EQUAL(st.errors, 0);
	/* ICReq, Connect, two reads sent; ICResp, Connect response, 2 x (C2HData + resp). */
	CU_ASSERT_EQUAL(st.pdus_sent, 4);
	CU_ASSERT_EQUAL(st.pdus_received, 6);
	CU_ASSERT(st.send_calls >= 2);
	CU_ASSERT(st.recv_calls >= 2);
	CU_ASSERT(st.polls >= st.idle_polls);
	CU_ASSERT(st.polls > 0);
	CU_ASSERT_EQUAL(st.reconnects, 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	ut_teardown(fc, c);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("io_qpair", NULL, NULL);

	CU_ADD_TEST(s, test_qids_in_order);
	CU_ADD_TEST(s, test_opts);
	CU_ADD_TEST(s, test_async_connect);
	CU_ADD_TEST(s, test_free_with_outstanding);
	CU_ADD_TEST(s, test_controller_failure_reaches_io);
	CU_ADD_TEST(s, test_stats);
}

NVTCP_UT_MAIN(add_tests)
