/*
 * Unit tests of lib/nvme/ctrlr.c: controller bring-up driven through the fake socket by the
 * scripted fake controller (the exact command sequence and values, and each failure with its
 * errno and reason), keep-alive timing and timeout, detach with shutdown, discovery
 * controllers.
 */
#include "nvme_ut.h"

static uint8_t
fctype_of(const struct fake_cmd_record *r)
{
	return nvtcp_nvmf_cmd_fctype(&r->cmd);
}

static void
test_attach_sequence(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	const struct fake_cmd_record *r;
	const struct nvtcp_nvmf_connect_cmd *cc;
	const struct nvtcp_nvmf_connect_data *cd;
	uint32_t i = 0;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(c), NVTCP_CTRLR_STATE_LIVE);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_cntlid(c), 7);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_cap(c), cfg.cap);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_vs(c), NVTCP_NVME_VS(1, 3, 0));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_io_queues(c), 4);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 2);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_max_xfer_size(c), 1024 * 1024);
	CU_ASSERT_FALSE(nvtcp_ctrlr_is_discovery(c));
	CU_ASSERT_STRING_EQUAL(nvtcp_ctrlr_get_failure_reason(c), "");
	CU_ASSERT_EQUAL(memcmp(nvtcp_ctrlr_get_data(c)->sn, "FAKE0001", 8), 0);

	/* Connect on the admin queue: SQSIZE 31, KATO 5000, dynamic controller ID. */
	r = fake_ctrlr_cmd(fc, i++);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->cmd.opc, NVTCP_NVME_OPC_FABRICS);
	CU_ASSERT_EQUAL(fctype_of(r), NVTCP_NVMF_FCTYPE_CONNECT);
	CU_ASSERT_EQUAL(r->cmd.flags, 0x40);
	CU_ASSERT_EQUAL(r->data_len, 1024);
	CU_ASSERT_EQUAL(r->cmd.dptr.sgl1.id, 0x01);
	cc = (const void *)&r->cmd;
	CU_ASSERT_EQUAL(cc->qid, 0);
	CU_ASSERT_EQUAL(cc->sqsize, 31);
	CU_ASSERT_EQUAL(cc->kato, 5000);
	cd = fake_ctrlr_connect_data(fc, 0);
	CU_ASSERT_EQUAL(cd->cntlid, 0xFFFF);
	CU_ASSERT_STRING_EQUAL(cd->subnqn, UT_SUBNQN);
	CU_ASSERT_STRING_EQUAL(cd->hostnqn,
			       "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555");
	CU_ASSERT_EQUAL(cd->hostid[0], 0x11);
	CU_ASSERT_EQUAL(cd->hostid[15], 0x11);

	/* Property Get CAP (8 bytes), VS, Property Set CC = 0x00460001, Get CSTS. */
	r = fake_ctrlr_cmd(fc, i++);
	CU_ASSERT_EQUAL(fctype_of(r), NVTCP_NVMF_FCTYPE_PROPERTY_GET);
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_prop_get_cmd *)&r->cmd)->ofst, NVTCP_NVME_PROP_CAP);
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_prop_get_cmd *)&r->cmd)->attrib, 1);
	CU_ASSERT_EQUAL(r->cmd.flags, 0x40);
	r = fake_ctrlr_cmd(fc, i++);
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_prop_get_cmd *)&r->cmd)->ofst, NVTCP_NVME_PROP_VS);
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_prop_get_cmd *)&r->cmd)->attrib, 0);
	r = fake_ctrlr_cmd(fc, i++);
	CU_ASSERT_EQUAL(fctype_of(r), NVTCP_NVMF_FCTYPE_PROPERTY_SET);
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_prop_set_cmd *)&r->cmd)->ofst, NVTCP_NVME_PROP_CC);
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_prop_set_cmd *)&r->cmd)->value, 0x00460001);
	CU_ASSERT_EQUAL(fake_ctrlr_cc(fc), 0x00460001);
	r = fake_ctrlr_cmd(fc, i++);
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_prop_get_cmd *)&r->cmd)->ofst,
			NVTCP_NVME_PROP_CSTS);

	/* Identify Controller, Number of Queues (4 asked, 0's based), AEC, namespace scan. */
	r = fake_ctrlr_cmd(fc, i++);
	CU_ASSERT_EQUAL(r->cmd.opc, NVTCP_NVME_OPC_IDENTIFY);
	CU_ASSERT_EQUAL(r->cmd.cdw10, 1);
	CU_ASSERT_EQUAL(r->cmd.dptr.sgl1.id, 0x5A);
	CU_ASSERT_EQUAL(r->cmd.dptr.sgl1.length, 4096);
	r = fake_ctrlr_cmd(fc, i++);
	CU_ASSERT_EQUAL(r->cmd.opc, NVTCP_NVME_OPC_SET_FEATURES);
	CU_ASSERT_EQUAL(r->cmd.cdw10, NVTCP_NVME_FEAT_NUMBER_OF_QUEUES);
	CU_ASSERT_EQUAL(r->cmd.cdw11, 0x00030003);
	r = fake_ctrlr_cmd(fc, i++);
	CU_ASSERT_EQUAL(r->cmd.opc, NVTCP_NVME_OPC_SET_FEATURES);
	CU_ASSERT_EQUAL(r->cmd.cdw10, NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION);
	CU_ASSERT_EQUAL(r->cmd.cdw11, NVTCP_NVME_OAES_NS_ATTRIBUTE_NOTICES);
	r = fake_ctrlr_cmd(fc, i++);
	CU_ASSERT_EQUAL(r->cmd.opc, NVTCP_NVME_OPC_IDENTIFY);
	CU_ASSERT_EQUAL(r->cmd.cdw10, NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST);
	CU_ASSERT_EQUAL(r->cmd.nsid, 0);
	for (uint32_t ns = 1; ns <= 2; ns++) {
		r = fake_ctrlr_cmd(fc, i++);
		CU_ASSERT_EQUAL(r->cmd.cdw10, NVTCP_NVME_IDENTIFY_NS);
		CU_ASSERT_EQUAL(r->cmd.nsid, ns);
		r = fake_ctrlr_cmd(fc, i++);
		CU_ASSERT_EQUAL(r->cmd.cdw10, NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST);
		CU_ASSERT_EQUAL(r->cmd.nsid, ns);
	}
	/* AERL 3: four AERs outstanding. */
	ut_rounds(fc, c, NULL, 5);
	for (int k = 0; k < 4; k++) {
		r = fake_ctrlr_cmd(fc, i++);
		CU_ASSERT_FATAL(r != NULL);
		CU_ASSERT_EQUAL(r->cmd.opc, NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST);
	}
	CU_ASSERT_EQUAL(fake_ctrlr_held_aers(fc), 4);
	/* Every command used SGLs (PSDT 01b). */
	for (uint32_t k = 0; k < fake_ctrlr_num_cmds(fc); k++) {
		CU_ASSERT_EQUAL(fake_ctrlr_cmd(fc, k)->cmd.flags, 0x40);
	}
	ut_teardown(fc, c);
}

static int
attach_fail(struct fake_ctrlr_cfg *cfg, struct nvtcp_ctrlr_opts *opts, char *reason, size_t len)
{
	struct fake_ctrlr *fc = fake_ctrlr_create(cfg);
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	int rc;

	if (opts == NULL) {
		ut_opts(&o);
		opts = &o;
	}
	rc = ut_attach(fc, opts, UT_SUBNQN, &c);
	if (c != NULL) {
		snprintf(reason, len, "%s", nvtcp_ctrlr_get_failure_reason(c));
		if (rc != 0) {
			CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(c), NVTCP_CTRLR_STATE_FAILED);
			/* The failed attach must report the same again. */
			CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_poll(c), rc);
		}
	}
	ut_teardown(fc, c);
	return rc;
}

static void
test_attach_connect_refused(void)
{
	struct fake_ctrlr_cfg cfg;
	char reason[256];

	/* 0x4182 in the Linux notation: SCT 1, SC 0x82, DNR; IPO 256 in the data: subnqn. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.connect_status = nvtcp_nvme_status(1, 0x82, true);
	cfg.connect_cdw0 = nvtcp_nvmf_connect_rsp_invalid(true, 256);
	CU_ASSERT_EQUAL(attach_fail(&cfg, NULL, reason, sizeof(reason)), -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "subsystem NQN not found"));

	/* 0x4184: host not allowed. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.connect_status = nvtcp_nvme_status(1, 0x84, true);
	cfg.connect_cdw0 = nvtcp_nvmf_connect_rsp_invalid(true, 512);
	CU_ASSERT_EQUAL(attach_fail(&cfg, NULL, reason, sizeof(reason)), -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "host not allowed"));

	/* Invalid SQSIZE: -EINVAL naming the field. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.connect_status = nvtcp_nvme_status(1, 0x82, true);
	cfg.connect_cdw0 = nvtcp_nvmf_connect_rsp_invalid(false, 44);
	CU_ASSERT_EQUAL(attach_fail(&cfg, NULL, reason, sizeof(reason)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "SQSIZE"));

	/* Controller busy. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.connect_status = nvtcp_nvme_status(1, 0x81, false);
	CU_ASSERT_EQUAL(attach_fail(&cfg, NULL, reason, sizeof(reason)), -EBUSY);

	/* In-band authentication asked for (ATR) without a secret configured. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.connect_authreq = 0x2;
	CU_ASSERT_EQUAL(attach_fail(&cfg, NULL, reason, sizeof(reason)), -ENOKEY);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "requires in-band authentication"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "no DH-HMAC-CHAP secret"));

	/* Secure channel concatenation (ASCR): not supported, whatever is configured. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.connect_authreq = 0x6;
	CU_ASSERT_EQUAL(attach_fail(&cfg, NULL, reason, sizeof(reason)), -EOPNOTSUPP);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "secure channel concatenation"));
}

static void
test_attach_cfs(void)
{
	struct fake_ctrlr_cfg cfg;
	char reason[256];

	fake_ctrlr_cfg_init(&cfg);
	cfg.cfs_on_enable = true;
	CU_ASSERT_EQUAL(attach_fail(&cfg, NULL, reason, sizeof(reason)), -EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "CSTS.CFS"));
}

static void
test_attach_rdy_timeout(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_trid t;
	uint32_t csts_reads;
	int rc = -EAGAIN, i;

	fake_ctrlr_cfg_init(&cfg);
	cfg.rdy_never = true;
	/* CAP.TO = 2: 1 s. */
	cfg.cap = (cfg.cap & ~(0xFFull << 24)) | (2ull << 24);
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	ut_trid(&t, UT_SUBNQN);
	CU_ASSERT_FATAL(nvtcp_ctrlr_attach_async(&t, &o, &c) == 0);
	for (i = 0; i < 10000 && rc == -EAGAIN; i++) {
		rc = nvtcp_ctrlr_attach_poll(c);
		fake_ctrlr_poll(fc);
		ut_clock_advance_ms(1);
	}
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	/* It gave up after about CAP.TO, not before. */
	CU_ASSERT(i >= 990 && i < 1100);
	csts_reads = fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_FABRICS, NVTCP_NVMF_FCTYPE_PROPERTY_GET);
	CU_ASSERT(csts_reads > 10);
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(c), "CSTS.RDY"));
	/* Never enabled: no shutdown on detach, and the detach is clean. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_detach(c), 0);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_FABRICS,
					 NVTCP_NVMF_FCTYPE_PROPERTY_SET), 1);
	fake_ctrlr_destroy(fc);
}

static void
test_attach_rdy_delay(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;

	fake_ctrlr_cfg_init(&cfg);
	cfg.rdy_delay = 3;
	fc = fake_ctrlr_create(&cfg);
	c = NULL;
	{
		struct nvtcp_ctrlr_opts o;
		struct nvtcp_trid t;
		int rc = -EAGAIN;

		ut_opts(&o);
		ut_trid(&t, UT_SUBNQN);
		CU_ASSERT_FATAL(nvtcp_ctrlr_attach_async(&t, &o, &c) == 0);
		for (int i = 0; i < 1000 && rc == -EAGAIN; i++) {
			rc = nvtcp_ctrlr_attach_poll(c);
			fake_ctrlr_poll(fc);
			ut_clock_advance_ms(1);
		}
		CU_ASSERT_EQUAL(rc, 0);
	}
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_FABRICS,
					 NVTCP_NVMF_FCTYPE_PROPERTY_GET), 2 + 4);
	ut_teardown(fc, c);
}

static void
test_attach_transport_failures(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_trid t;
	char reason[256];
	int rc = -EAGAIN;

	fake_ctrlr_cfg_init(&cfg);
	cfg.refuse_connect = true;
	CU_ASSERT_EQUAL(attach_fail(&cfg, NULL, reason, sizeof(reason)), -ECONNREFUSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "TCP connect"));

	/* No ICResp: bounded by icresp_timeout_ms. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.no_icresp = true;
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.icresp_timeout_ms = 200;
	ut_trid(&t, UT_SUBNQN);
	CU_ASSERT_FATAL(nvtcp_ctrlr_attach_async(&t, &o, &c) == 0);
	for (int i = 0; i < 1000 && rc == -EAGAIN; i++) {
		rc = nvtcp_ctrlr_attach_poll(c);
		fake_ctrlr_poll(fc);
		ut_clock_advance_ms(1);
	}
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(c), "ICResp"));
	ut_teardown(fc, c);

	/* The controller closes the connection during bring-up. */
	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = NULL;
	CU_ASSERT_FATAL(nvtcp_ctrlr_attach_async(&t, &o, &c) == 0);
	(void)nvtcp_ctrlr_attach_poll(c);
	fake_sock_rx_close(fake_conn_sock(fake_ctrlr_conn(fc, 0)));
	rc = -EAGAIN;
	for (int i = 0; i < 100 && rc == -EAGAIN; i++) {
		rc = nvtcp_ctrlr_attach_poll(c);
	}
	CU_ASSERT_EQUAL(rc, -ECONNRESET);
	ut_teardown(fc, c);
}

static void
test_attach_sync_and_args(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c;
	struct nvtcp_trid t;
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	ut_trid(&t, UT_SUBNQN);
	c = nvtcp_ctrlr_attach(&t, &o, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(c), NVTCP_CTRLR_STATE_LIVE);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_detach(c), 0);
	/* A second detach of the same object is not possible (it is freed); a second
	 * detach_async on a live one says -EALREADY. */
	fake_ctrlr_destroy(fc);

	fake_ctrlr_cfg_init(&cfg);
	cfg.connect_status = nvtcp_nvme_status(1, 0x84, true);
	fc = fake_ctrlr_create(&cfg);
	c = nvtcp_ctrlr_attach(&t, &o, &rc);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(rc, -EACCES);
	fake_ctrlr_destroy(fc);

	/* Bad arguments. */
	c = NULL;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(NULL, &o, &c), -EINVAL);
	ut_trid(&t, "not an nqn");
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -EINVAL);
	CU_ASSERT_PTR_NULL(c);
	ut_trid(&t, UT_SUBNQN);
	o.max_r2t = 0;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -EINVAL);
	ut_opts(&o);
	o.admin_queue_size = 2;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -EINVAL);
	ut_opts(&o);
	o.tcp_user_timeout_ms = 0x80000000u;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -EINVAL);
	ut_opts(&o);
	o.host.hostnqn[0] = '\0';
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -EINVAL);
	t.traddr[0] = '\0';
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -EINVAL);
}

static void
test_keep_alive(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.kato_ms = 1000;
	CU_ASSERT_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c) == 0);
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_connect_cmd *)
			 &fake_ctrlr_cmd(fc, 0)->cmd)->kato, 1000);
	ut_rounds(fc, c, NULL, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_KEEP_ALIVE, -1), 0);
	/* KATO / 2 after enable. */
	ut_clock_advance_ms(499);
	ut_rounds(fc, c, NULL, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_KEEP_ALIVE, -1), 0);
	ut_clock_advance_ms(2);
	ut_rounds(fc, c, NULL, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_KEEP_ALIVE, -1), 1);
	ut_clock_advance_ms(250);
	ut_rounds(fc, c, NULL, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_KEEP_ALIVE, -1), 1);
	ut_clock_advance_ms(251);
	ut_rounds(fc, c, NULL, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_KEEP_ALIVE, -1), 2);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(c), NVTCP_CTRLR_STATE_LIVE);
	ut_teardown(fc, c);
}

static void
test_keep_alive_timeout(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct ut_cpl u = {0};
	uint8_t buf[4096];

	fake_ctrlr_cfg_init(&cfg);
	cfg.ka_no_response = true;
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.kato_ms = 1000;
	CU_ASSERT_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c) == 0);
	ut_clock_advance_ms(501);
	ut_rounds(fc, c, NULL, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_KEEP_ALIVE, -1), 1);
	/* An admin command outstanding when the controller fails completes once, aborted. */
	fake_conn_set_manual(fake_ctrlr_conn(fc, 0), true);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_identify(c, 1, 0, 0, buf, sizeof(buf), ut_cpl_cb, &u), 0);
	ut_rounds(fc, c, NULL, 3);
	CU_ASSERT_EQUAL(u.count, 0);
	ut_clock_advance_ms(1001);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_process_admin_completions(c), -ENXIO);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(c), NVTCP_CTRLR_STATE_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(c), "keep-alive"));
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_FALSE(nvtcp_nvme_status_dnr(u.cpl.status));
	/* Commands are refused now. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_identify(c, 1, 0, 0, buf, sizeof(buf), ut_cpl_cb, &u),
			-ENXIO);
	ut_rounds(fc, c, NULL, 3);
	CU_ASSERT_EQUAL(u.count, 1);
	ut_teardown(fc, c);
}

static void
test_detach_shutdown(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	const struct fake_cmd_record *r;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_detach(c), 0);
	/* CC.SHN = 01b, with the rest of CC kept. */
	r = fake_ctrlr_last(fc, NVTCP_NVME_OPC_FABRICS, NVTCP_NVMF_FCTYPE_PROPERTY_SET);
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_prop_set_cmd *)&r->cmd)->value, 0x00464001);
	CU_ASSERT_EQUAL(nvtcp_nvme_csts_shst(fake_ctrlr_csts(fc)), 2);
	CU_ASSERT(fake_sock_is_closed(fake_conn_sock(fake_ctrlr_conn(fc, 0))));
	fake_ctrlr_destroy(fc);

	/* The shutdown never completes: bounded, reported, everything freed anyway. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.shst_never = true;
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_detach_async(c), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_detach_async(c), -EALREADY);
	{
		int rc = -EAGAIN, i;

		for (i = 0; i < 20000 && rc == -EAGAIN; i++) {
			rc = nvtcp_ctrlr_detach_poll(c);
			fake_ctrlr_poll(fc);
			ut_clock_advance_ms(1);
		}
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT(i >= 4990 && i < 5100); /* the 5 s minimum */
	}
	fake_ctrlr_destroy(fc);
}

static void
test_discovery_controller(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_ctrlr_opts o;

	fake_ctrlr_cfg_init(&cfg);
	cfg.cdata.cntrltype = NVTCP_NVME_CNTRLTYPE_DISCOVERY;
	/* Admin-only command set. */
	cfg.cap = (cfg.cap & ~(0xFFull << 37)) | (1ull << (37 + 7));
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	CU_ASSERT_FATAL(ut_attach(fc, &o, NVTCP_NVMF_DISCOVERY_NQN, &c) == 0);
	CU_ASSERT(nvtcp_ctrlr_is_discovery(c));
	CU_ASSERT_EQUAL(((const struct nvtcp_nvmf_connect_cmd *)
			 &fake_ctrlr_cmd(fc, 0)->cmd)->kato, 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_cc_css(fake_ctrlr_cc(fc)), 7);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, -1, NVTCP_NVME_OPC_SET_FEATURES, -1), 0);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, -1, NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST, -1), 0);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, -1, NVTCP_NVME_OPC_IDENTIFY, -1), 1);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 0);
	{
		int rc;

		CU_ASSERT_PTR_NULL(nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc));
		CU_ASSERT_EQUAL(rc, -ENXIO);
	}
	ut_teardown(fc, c);
}

static enum nvtcp_ctrlr_state g_states[8];
static int g_nstates;

static void
state_cb(void *arg, struct nvtcp_ctrlr *c, enum nvtcp_ctrlr_state s)
{
	if (g_nstates < 8) {
		g_states[g_nstates++] = s;
	}
}

static void
test_state_cb_and_admin_loss(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.state_cb = state_cb;
	g_nstates = 0;
	CU_ASSERT_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c) == 0);
	CU_ASSERT_EQUAL(g_nstates, 1);
	CU_ASSERT_EQUAL(g_states[0], NVTCP_CTRLR_STATE_LIVE);
	/* The admin connection goes away: FAILED with a reason; the AERs complete once each
	 * (internally: no user callback was registered). */
	fake_sock_rx_close(fake_conn_sock(fake_ctrlr_conn(fc, 0)));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_process_admin_completions(c), -ENXIO);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(c), NVTCP_CTRLR_STATE_FAILED);
	CU_ASSERT_EQUAL(g_states[g_nstates - 1], NVTCP_CTRLR_STATE_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(c), "closed"));
	/* Detach of a failed controller: no shutdown possible, reported as such. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_detach(c), 0);
	CU_ASSERT_EQUAL(g_states[g_nstates - 1], NVTCP_CTRLR_STATE_DELETING);
	fake_ctrlr_destroy(fc);
}

static void
test_absurd_advertised_values(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_io_qpair_opts qo;
	struct nvtcp_qpair *qp;
	static uint8_t buf[64 * 1024];
	struct ut_cpl u = {0};
	int rc;

	/* Every limit a controller advertises at its maximum: nothing the host allocates or
	 * loops over follows it unbounded. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.maxh2cdata = 0xFFFFFFFC;
	cfg.cap = 0xFFFFull | (0xFFull << 24) | (1ull << 37);  /* MQES 65535, TO 127.5 s */
	cfg.cdata.mdts = 0xFF;
	cfg.cdata.ioccsz = 0xFFFFFFFF;
	cfg.cdata.aerl = 0xFF;
	cfg.cdata.acl = 0xFF;
	cfg.cdata.kas = 0xFFFF;
	cfg.cdata.nn = 0xFFFFFFFF;
	cfg.cdata.rtd3e = 0xFFFFFFFF;
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_max_xfer_size(c), 1024 * 1024);
	CU_ASSERT_EQUAL(c->io_incapsule, 1024 * 1024);
	CU_ASSERT_EQUAL(c->aer_target, NVME_MAX_AERS);
	ut_rounds(fc, c, NULL, 5);
	CU_ASSERT_EQUAL(fake_ctrlr_held_aers(fc), NVME_MAX_AERS);
	/* Queue sizes come from the options, capped by MQES, never from MQES alone. */
	nvtcp_ctrlr_get_default_io_qpair_opts(c, &qo);
	CU_ASSERT_EQUAL(qo.io_queue_size, 128);
	qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	/* A 64 KiB write goes in the capsule (the in-capsule size is capped at 1 MiB). */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(nvtcp_ctrlr_get_ns(c, 1), qp, buf, 0, 128, ut_cpl_cb,
					   &u, 0), 0);
	UT_RUN_UNTIL(fc, c, qp, u.count == 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(fake_ctrlr_last(fc, NVTCP_NVME_OPC_WRITE, -1)->data_len, 64 * 1024);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	/* RTD3E of 71 minutes: the shutdown wait is still capped (60 s). */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_detach(c), 0);
	fake_ctrlr_destroy(fc);

	/* MQES 0 (a one-entry queue, invalid): no I/O queue pair can be made, cleanly. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.cap &= ~0xFFFFull;
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);
	ut_teardown(fc, c);
}

static void
test_attach_ext_reason(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c;
	struct nvtcp_trid t;
	char reason[128];
	int rc = 0;

	fake_ctrlr_cfg_init(&cfg);
	cfg.connect_status = nvtcp_nvme_status(1, 0x82, true);
	cfg.connect_cdw0 = nvtcp_nvmf_connect_rsp_invalid(true, 256);
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	ut_trid(&t, UT_SUBNQN);
	c = nvtcp_ctrlr_attach_ext(&t, &o, &rc, reason, sizeof(reason));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(rc, -EACCES);
	CU_ASSERT_STRING_EQUAL(reason, "Connect refused: subsystem NQN not found");
	/* A short buffer gets a truncated, terminated reason; NULL is allowed. */
	c = nvtcp_ctrlr_attach_ext(&t, &o, &rc, reason, 8);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(reason, "Connect");
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_attach_ext(&t, &o, NULL, NULL, 0));
	fake_ctrlr_get_cfg(fc)->connect_status = 0;
	c = nvtcp_ctrlr_attach_ext(&t, &o, &rc, reason, sizeof(reason));
	CU_ASSERT_PTR_NOT_NULL(c);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(reason, "");
	ut_teardown(fc, c);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("ctrlr", NULL, NULL);

	CU_ADD_TEST(s, test_absurd_advertised_values);
	CU_ADD_TEST(s, test_attach_ext_reason);
	CU_ADD_TEST(s, test_attach_sequence);
	CU_ADD_TEST(s, test_attach_connect_refused);
	CU_ADD_TEST(s, test_attach_cfs);
	CU_ADD_TEST(s, test_attach_rdy_timeout);
	CU_ADD_TEST(s, test_attach_rdy_delay);
	CU_ADD_TEST(s, test_attach_transport_failures);
	CU_ADD_TEST(s, test_attach_sync_and_args);
	CU_ADD_TEST(s, test_keep_alive);
	CU_ADD_TEST(s, test_keep_alive_timeout);
	CU_ADD_TEST(s, test_detach_shutdown);
	CU_ADD_TEST(s, test_discovery_controller);
	CU_ADD_TEST(s, test_state_cb_and_admin_loss);
}

NVTCP_UT_MAIN(add_tests)
