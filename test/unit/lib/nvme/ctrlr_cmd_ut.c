/*
 * Unit tests of lib/nvme/ctrlr_cmd.c: Identify, Get Log Page with offsets and splitting,
 * Get/Set Features, Abort, raw admin commands, keep-alive on its reserved request, and
 * asynchronous events (user callback, re-arm, changed namespace list and rescan).
 */
#include "nvme_ut.h"

static void
test_identify(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct ut_cpl u = {0};
	static uint8_t buf[4096];
	const struct fake_cmd_record *r;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_identify(c, NVTCP_NVME_IDENTIFY_NS, 0, 2, buf, 4096,
						 ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(((struct nvtcp_nvme_ns_data *)buf)->nsze, 2048);
	r = fake_ctrlr_last(fc, NVTCP_NVME_OPC_IDENTIFY, -1);
	CU_ASSERT_EQUAL(r->cmd.nsid, 2);
	CU_ASSERT_EQUAL(r->cmd.cdw10, 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_identify(c, NVTCP_NVME_IDENTIFY_CTRLR, 5, 0, buf, 4096,
						 ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 2);
	r = fake_ctrlr_last(fc, NVTCP_NVME_OPC_IDENTIFY, -1);
	CU_ASSERT_EQUAL(r->cmd.cdw10, 0x00050001);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_identify(c, 1, 0, 0, buf, 100, ut_cpl_cb, &u), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_identify(c, 1, 0, 0, NULL, 4096, ut_cpl_cb, &u), -EINVAL);
	ut_teardown(fc, c);
}

static void
test_get_log_page_split(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct ut_cpl u = {0};
	static uint8_t buf[16384];
	uint32_t seen = 0, before;

	fake_ctrlr_cfg_init(&cfg);
	cfg.cdata.mdts = 1; /* 8 KiB */
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	before = fake_ctrlr_num_cmds(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_get_log_page(c, NVTCP_NVME_LOG_HEALTH_INFORMATION,
						     NVTCP_NVME_NSID_ALL, buf, sizeof(buf), 4096,
						     ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 1);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	for (uint32_t i = before; i < fake_ctrlr_num_cmds(fc); i++) {
		const struct fake_cmd_record *r = fake_ctrlr_cmd(fc, i);

		if (r->cmd.opc != NVTCP_NVME_OPC_GET_LOG_PAGE) {
			continue;
		}
		/* 8 KiB each: NUMDL 2047 (0's based dwords), NUMDU 0; LPOL advances. */
		CU_ASSERT_EQUAL(r->cmd.cdw10, 0x07FF0002u);
		CU_ASSERT_EQUAL(r->cmd.cdw11, 0);
		CU_ASSERT_EQUAL(r->cmd.cdw12, 4096 + seen * 8192);
		CU_ASSERT_EQUAL(r->cmd.cdw13, 0);
		CU_ASSERT_EQUAL(r->cmd.nsid, NVTCP_NVME_NSID_ALL);
		seen++;
	}
	CU_ASSERT_EQUAL(seen, 2);
	/* Large offsets reach LPOU. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_get_log_page(c, 0xC0, 0, buf, 4, 0x100000004ull, ut_cpl_cb,
						     &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 2);
	CU_ASSERT_EQUAL(fake_ctrlr_last(fc, NVTCP_NVME_OPC_GET_LOG_PAGE, -1)->cmd.cdw12, 4);
	CU_ASSERT_EQUAL(fake_ctrlr_last(fc, NVTCP_NVME_OPC_GET_LOG_PAGE, -1)->cmd.cdw13, 1);
	CU_ASSERT_EQUAL(fake_ctrlr_last(fc, NVTCP_NVME_OPC_GET_LOG_PAGE, -1)->cmd.cdw10, 0xC0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_get_log_page(c, 2, 0, buf, 6, 0, ut_cpl_cb, &u), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_get_log_page(c, 2, 0, buf, 8, 2, ut_cpl_cb, &u), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_get_log_page(c, 2, 0, buf, 0, 0, ut_cpl_cb, &u), -EINVAL);
	ut_teardown(fc, c);
}

static void
test_features_abort_raw(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qp;
	struct ut_cpl u = {0};
	struct nvtcp_nvme_cmd cmd;
	const struct fake_cmd_record *r;
	static uint8_t buf[4096];
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_get_feature(c, NVTCP_NVME_FEAT_ARBITRATION, 0, NULL, 0,
						    ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 1);
	CU_ASSERT_EQUAL(u.cpl.cdw0, 0x1234);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_set_feature(c, NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE, 1, 9,
						    NULL, 0, ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 2);
	r = fake_ctrlr_last(fc, NVTCP_NVME_OPC_SET_FEATURES, -1);
	CU_ASSERT_EQUAL(r->cmd.cdw10, NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE);
	CU_ASSERT_EQUAL(r->cmd.cdw11, 1);
	CU_ASSERT_EQUAL(r->cmd.cdw12, 9);
	/* Set Features with data: in the capsule on the admin queue (8 KiB at most). */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_set_feature(c, NVTCP_NVME_FEAT_HOST_IDENTIFIER, 0, 0, buf,
						    16, ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 3);
	r = fake_ctrlr_last(fc, NVTCP_NVME_OPC_SET_FEATURES, -1);
	CU_ASSERT_EQUAL(r->data_len, 16);
	CU_ASSERT_EQUAL(r->cmd.dptr.sgl1.id, 0x01);
	/* Get Features with data comes back in C2HData. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_get_feature(c, NVTCP_NVME_FEAT_HOST_IDENTIFIER, 0, buf, 16,
						    ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 4);
	CU_ASSERT_EQUAL(u.errors, 0);

	qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_abort(c, qp, 0x55, ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 5);
	r = fake_ctrlr_last(fc, NVTCP_NVME_OPC_ABORT, -1);
	CU_ASSERT_EQUAL(r->cmd.cdw10, 0x00550001);
	CU_ASSERT_EQUAL(u.cpl.cdw0 & 1, 1);

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.cdw10 = 1;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_admin_raw(c, &cmd, buf, 4096, ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 6);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(((struct nvtcp_nvme_ctrlr_data *)buf)->sn, "FAKE0001", 8), 0);
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_admin_raw(c, &cmd, NULL, 0, ut_cpl_cb, &u), -EINVAL);
	cmd.opc = NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_admin_raw(c, &cmd, NULL, 0, ut_cpl_cb, &u), -EINVAL);
	cmd.opc = NVTCP_NVME_OPC_KEEP_ALIVE;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_admin_raw(c, &cmd, buf, 16, ut_cpl_cb, &u), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_admin_raw(c, &cmd, NULL, 0, ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(fc, c, NULL, u.count == 7);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_admin_raw(c, NULL, NULL, 0, ut_cpl_cb, &u), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	ut_teardown(fc, c);
}

static int g_aer_count;
static uint32_t g_aer_cdw0;

static void
aer_cb(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	g_aer_count++;
	g_aer_cdw0 = cpl->cdw0;
}

static void
test_aer_ns_change(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_ns *ns2;
	uint32_t changed[1] = {2};
	const struct fake_cmd_record *r;
	uint32_t lists;

	fake_ctrlr_cfg_init(&cfg);
	cfg.num_ns = 3;
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	nvtcp_ctrlr_register_aer_callback(c, aer_cb, NULL);
	ut_rounds(fc, c, NULL, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_held_aers(fc), 4);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 3);
	ns2 = nvtcp_ctrlr_get_ns(c, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns2);
	lists = fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_IDENTIFY, -1);

	/* Namespace 2 goes away: Namespace Attribute Changed. */
	fake_ctrlr_set_ns_active(fc, 2, false);
	fake_ctrlr_set_changed_ns(fc, changed, 1);
	g_aer_count = 0;
	CU_ASSERT(fake_ctrlr_aen(fc, nvtcp_nvme_aer_cdw0(NVTCP_NVME_AER_TYPE_NOTICE,
							 NVTCP_NVME_AER_NOTICE_NS_ATTR_CHANGED,
							 NVTCP_NVME_LOG_CHANGED_NS_LIST)));
	ut_rounds(fc, c, NULL, 20);
	CU_ASSERT_EQUAL(g_aer_count, 1);
	CU_ASSERT_EQUAL(nvtcp_nvme_aer_info(g_aer_cdw0), NVTCP_NVME_AER_NOTICE_NS_ATTR_CHANGED);
	/* The changed list was read with RAE clear, the namespaces rescanned, the AER re-armed. */
	r = fake_ctrlr_last(fc, NVTCP_NVME_OPC_GET_LOG_PAGE, -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(nvtcp_nvme_get_log_page_lid(&r->cmd), NVTCP_NVME_LOG_CHANGED_NS_LIST);
	CU_ASSERT_EQUAL(r->cmd.cdw10 & NVTCP_NVME_GET_LOG_CDW10_RAE, 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_get_log_page_len(&r->cmd), 4096);
	CU_ASSERT(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_IDENTIFY, -1) > lists);
	CU_ASSERT_EQUAL(fake_ctrlr_held_aers(fc), 4);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 2);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_ns(c, 2));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_first_active_ns(c), 1);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_next_active_ns(c, 1), 3);
	/* The struct stays valid for I/O threads holding it; I/O to it is refused. */
	{
		int rc;
		struct nvtcp_qpair *qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
		uint8_t buf[512];

		CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(ns2, qp, buf, 0, 1, ut_cpl_cb, NULL, 0), -ENXIO);
		CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	}
	/* It comes back. */
	fake_ctrlr_set_ns_active(fc, 2, true);
	CU_ASSERT(fake_ctrlr_aen(fc, nvtcp_nvme_aer_cdw0(NVTCP_NVME_AER_TYPE_NOTICE,
							 NVTCP_NVME_AER_NOTICE_NS_ATTR_CHANGED,
							 NVTCP_NVME_LOG_CHANGED_NS_LIST)));
	ut_rounds(fc, c, NULL, 20);
	CU_ASSERT_EQUAL(g_aer_count, 2);
	CU_ASSERT_PTR_EQUAL(nvtcp_ctrlr_get_ns(c, 2), ns2);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 3);

	/* Another event type: the callback runs, the named log page is read, re-armed. */
	CU_ASSERT(fake_ctrlr_aen(fc, nvtcp_nvme_aer_cdw0(NVTCP_NVME_AER_TYPE_SMART, 1,
							 NVTCP_NVME_LOG_HEALTH_INFORMATION)));
	ut_rounds(fc, c, NULL, 10);
	CU_ASSERT_EQUAL(g_aer_count, 3);
	r = fake_ctrlr_last(fc, NVTCP_NVME_OPC_GET_LOG_PAGE, -1);
	CU_ASSERT_EQUAL(nvtcp_nvme_get_log_page_lid(&r->cmd), NVTCP_NVME_LOG_HEALTH_INFORMATION);
	CU_ASSERT_EQUAL(fake_ctrlr_held_aers(fc), 4);
	/* Detach completes the held AERs internally; the user callback is not called. */
	ut_teardown(fc, c);
	CU_ASSERT_EQUAL(g_aer_count, 3);
}

static void
test_keep_alive_with_full_queue(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct ut_cpl u = {0};
	static uint8_t buf[64][4096];
	int accepted = 0;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.kato_ms = 1000;
	CU_ASSERT_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c) == 0);
	ut_rounds(fc, c, NULL, 2);
	/* The controller stops answering commands; the admin queue fills up. */
	fake_conn_set_manual(fake_ctrlr_conn(fc, 0), true);
	for (int i = 0; i < 64; i++) {
		if (nvtcp_ctrlr_cmd_identify(c, 1, 0, 0, buf[i], 4096, ut_cpl_cb, &u) == 0) {
			accepted++;
		}
	}
	CU_ASSERT(accepted >= 32);
	ut_rounds(fc, c, NULL, 3);
	/* The keep-alive still goes out, on its reserved request and wire slot. */
	ut_clock_advance_ms(501);
	ut_rounds(fc, c, NULL, 3);
	{
		struct fake_cmd_record rec;
		int ka = 0, total = 0;

		while (fake_conn_pop_cmd(fake_ctrlr_conn(fc, 0), &rec, NULL, 0)) {
			total++;
			ka += rec.cmd.opc == NVTCP_NVME_OPC_KEEP_ALIVE;
		}
		CU_ASSERT_EQUAL(ka, 1);
		/* 32 entries: 31 commands on the wire (the 4 AERs included), one of them the
		 * keep-alive's. */
		CU_ASSERT_EQUAL(total + (int)fake_ctrlr_held_aers(fc), 31);
	}
	ut_teardown(fc, c);
	CU_ASSERT_EQUAL(u.count, accepted);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("ctrlr_cmd", NULL, NULL);

	CU_ADD_TEST(s, test_identify);
	CU_ADD_TEST(s, test_get_log_page_split);
	CU_ADD_TEST(s, test_features_abort_raw);
	CU_ADD_TEST(s, test_aer_ns_change);
	CU_ADD_TEST(s, test_keep_alive_with_full_queue);
}

NVTCP_UT_MAIN(add_tests)
