/*
 * Unit tests of lib/nvme/ns.c: the namespace scan (active list, paginated above 1024 IDs,
 * the fallback without CNS 02h, descriptors only from NVMe 1.3), the getters and iteration.
 */
#include "nvme_ut.h"

static void
test_getters(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_ns *ns;
	const uint8_t *uuid;

	fake_ctrlr_cfg_init(&cfg);
	cfg.ns_uuid = true;
	cfg.lbads = 12;
	cfg.ns_blocks = 256;
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	ns = nvtcp_ctrlr_get_ns(c, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
	CU_ASSERT_EQUAL(nvtcp_ns_get_id(ns), 2);
	CU_ASSERT_PTR_EQUAL(nvtcp_ns_get_ctrlr(ns), c);
	CU_ASSERT_EQUAL(nvtcp_ns_get_sector_size(ns), 4096);
	CU_ASSERT_EQUAL(nvtcp_ns_get_num_sectors(ns), 256);
	CU_ASSERT_EQUAL(nvtcp_ns_get_size(ns), 256 * 4096);
	CU_ASSERT_EQUAL(nvtcp_ns_get_md_size(ns), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_get_max_io_xfer_size(ns), 1024 * 1024);
	CU_ASSERT_EQUAL(nvtcp_ns_get_data(ns)->nsze, 256);
	CU_ASSERT_EQUAL(nvtcp_ns_get_nguid(ns)[0], 2);
	CU_ASSERT_EQUAL(nvtcp_ns_get_nguid(ns)[15], 2);
	uuid = nvtcp_ns_get_uuid(ns);
	CU_ASSERT_PTR_NOT_NULL_FATAL(uuid);
	CU_ASSERT_EQUAL(uuid[0], 2);
	CU_ASSERT_EQUAL(uuid[1], 0xA5);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_ns(c, 3));
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_ns(c, 0));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_first_active_ns(c), 1);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_next_active_ns(c, 1), 2);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_next_active_ns(c, 2), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_next_active_ns(c, UINT32_MAX), 0);
	ut_teardown(fc, c);
}

static void
test_pagination(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	uint32_t lists = 0, n = 0, nsid;

	fake_ctrlr_cfg_init(&cfg);
	cfg.num_ns = 1500;
	cfg.ns_first = 3;
	cfg.cdata.nn = 2000;
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 1500);
	for (uint32_t i = 0; i < fake_ctrlr_num_cmds(fc); i++) {
		const struct fake_cmd_record *r = fake_ctrlr_cmd(fc, i);

		if (r->cmd.opc == NVTCP_NVME_OPC_IDENTIFY &&
		    r->cmd.cdw10 == NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST) {
			/* Page 1 from 0, page 2 after the last ID of page 1 (3 + 1023). */
			CU_ASSERT_EQUAL(r->cmd.nsid, lists == 0 ? 0 : 1026);
			lists++;
		}
	}
	CU_ASSERT_EQUAL(lists, 2);
	for (nsid = nvtcp_ctrlr_get_first_active_ns(c); nsid != 0;
	     nsid = nvtcp_ctrlr_get_next_active_ns(c, nsid)) {
		CU_ASSERT_EQUAL(nsid, 3 + n);
		n++;
	}
	CU_ASSERT_EQUAL(n, 1500);
	CU_ASSERT_PTR_NOT_NULL(nvtcp_ctrlr_get_ns(c, 1502));
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_ns(c, 1503));
	ut_teardown(fc, c);
}

static void
test_no_cns2_and_old_version(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;

	/* CNS 02h refused: every ID up to NN is identified; the inactive ones (zero data)
	 * are not listed. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.no_cns2 = true;
	cfg.cdata.nn = 6;
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 2);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_IDENTIFY, -1), 1 + 1 + 6 + 6);
	ut_teardown(fc, c);

	/* NVMe 1.2: no descriptor list. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.vs = NVTCP_NVME_VS(1, 2, 0);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 2);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_IDENTIFY, -1), 1 + 1 + 2);
	CU_ASSERT_PTR_NULL(nvtcp_ns_get_uuid(nvtcp_ctrlr_get_ns(c, 1)));
	ut_teardown(fc, c);
}

static void
test_unusable_namespace(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;

	/* An LBA data size the driver cannot use (2^8 bytes) is not listed as active. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.lbads = 8;
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 0);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_ns(c, 1));
	ut_teardown(fc, c);
}

static uint32_t g_events[4];

static void
ns_event_cb(void *arg, struct nvtcp_ctrlr *c, uint32_t nsid, enum nvtcp_ns_event ev)
{
	g_events[ev]++;
}

static void
rescan(struct fake_ctrlr *fc, struct nvtcp_ctrlr *c)
{
	uint32_t gen = c->scan_gen;

	ut_rounds(fc, c, NULL, 5); /* the AERs reach the controller */
	CU_ASSERT(fake_ctrlr_aen(fc, nvtcp_nvme_aer_cdw0(NVTCP_NVME_AER_TYPE_NOTICE,
							 NVTCP_NVME_AER_NOTICE_NS_ATTR_CHANGED,
							 NVTCP_NVME_LOG_CHANGED_NS_LIST)));
	/* Bounded: a scan of 4096 namespaces is ~8200 commands. */
	for (int i = 0; i < 40000 && (c->scan_gen == gen || c->scan_state != NVME_SCAN_DONE); i++) {
		ut_rounds(fc, c, NULL, 1);
	}
	ut_rounds(fc, c, NULL, 5);
}

static void
test_namespace_bounds(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;

	/* NN says 4 billion, the active list names 5000: the first 4096 are kept. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.num_ns = 5000;
	cfg.cdata.nn = 0xFFFFFFFF;
	fc = fake_ctrlr_create(&cfg);
	ut_log_start();
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), NVME_MAX_NAMESPACES);
	CU_ASSERT(ut_log_has("more than 4096 active namespaces"));
	memset(g_events, 0, sizeof(g_events));
	nvtcp_ctrlr_register_ns_event_callback(c, ns_event_cb, NULL);
	/* A target that renumbers everything at each event cannot make the controller keep
	 * namespace objects without bound (I/O threads may hold the old ones, so they stay). */
	fake_ctrlr_get_cfg(fc)->ns_first = 10001;
	rescan(fc, c);
	CU_ASSERT_EQUAL(c->num_ns, 2 * NVME_MAX_NAMESPACES);
	CU_ASSERT_EQUAL(g_events[NVTCP_NS_EVENT_REMOVED], NVME_MAX_NAMESPACES);
	CU_ASSERT_EQUAL(g_events[NVTCP_NS_EVENT_ADDED], NVME_MAX_NAMESPACES);
	fake_ctrlr_get_cfg(fc)->ns_first = 20001;
	ut_log_start();
	rescan(fc, c);
	CU_ASSERT_EQUAL(c->num_ns, NVME_MAX_NS_OBJECTS);
	CU_ASSERT(ut_log_has("namespace 20001 ignored"));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(c), NVTCP_CTRLR_STATE_LIVE);
	ut_log_stop();
	ut_teardown(fc, c);
}

static void
test_events_on_rescan(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_ns *ns1;

	/* An announced resize is applied; a new NGUID under the same ID is another namespace. */
	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	memset(g_events, 0, sizeof(g_events));
	nvtcp_ctrlr_register_ns_event_callback(c, ns_event_cb, NULL);
	ns1 = nvtcp_ctrlr_get_ns(c, 1);
	fake_ctrlr_set_ns_blocks(fc, 1, 1024);
	rescan(fc, c);
	CU_ASSERT_EQUAL(g_events[NVTCP_NS_EVENT_RESIZED], 1);
	CU_ASSERT_EQUAL(nvtcp_ns_get_num_sectors(ns1), 1024);
	CU_ASSERT_PTR_EQUAL(nvtcp_ctrlr_get_ns(c, 1), ns1);
	fake_ctrlr_set_ns_nguid(fc, 2, 0x42);
	rescan(fc, c);
	CU_ASSERT_EQUAL(g_events[NVTCP_NS_EVENT_CHANGED], 1);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_ns(c, 2));
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_num_active_ns(c), 1);
	ut_teardown(fc, c);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("ns", NULL, NULL);

	CU_ADD_TEST(s, test_namespace_bounds);
	CU_ADD_TEST(s, test_events_on_rescan);
	CU_ADD_TEST(s, test_getters);
	CU_ADD_TEST(s, test_pagination);
	CU_ADD_TEST(s, test_no_cns2_and_old_version);
	CU_ADD_TEST(s, test_unusable_namespace);
}

NVTCP_UT_MAIN(add_tests)
