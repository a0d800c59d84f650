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

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("ns", NULL, NULL);

	CU_ADD_TEST(s, test_getters);
	CU_ADD_TEST(s, test_pagination);
	CU_ADD_TEST(s, test_no_cns2_and_old_version);
	CU_ADD_TEST(s, test_unusable_namespace);
}

NVTCP_UT_MAIN(add_tests)
