/*
 * Unit tests of lib/nvme/discovery.c: consistent discovery log reads (header, entries,
 * header again; a generation change in the middle starts over; bounded restarts; too many
 * entries; large logs in chunks) and nvtcp_discover() with referrals.
 */
#include "nvme_ut.h"

static uint8_t g_log[64 * 1024];
static uint32_t g_reads, g_hdr_reads;
static int g_mode;

static void
log_build(uint64_t genctr, uint32_t nvm, const char *referral)
{
	struct nvtcp_nvmf_disc_log_hdr *h = (void *)g_log;
	uint32_t n = 0;

	memset(g_log, 0, sizeof(g_log));
	for (uint32_t i = 0; i < nvm + (referral ? 1 : 0); i++) {
		struct nvtcp_nvmf_disc_log_entry *e = (void *)(g_log + 1024 + 1024 * i);
		bool ref = i == nvm;

		e->trtype = NVTCP_NVMF_TRTYPE_TCP;
		e->adrfam = NVTCP_NVMF_ADRFAM_IPV4;
		e->subtype = ref ? NVTCP_NVMF_SUBTYPE_DISCOVERY_REFERRAL : NVTCP_NVMF_SUBTYPE_NVME;
		e->portid = (uint16_t)i;
		e->cntlid = 0xFFFF;
		e->asqsz = 32;
		nvtcp_strcpy_pad(e->trsvcid, sizeof(e->trsvcid), ref ? "8009" : "4420", ' ');
		if (ref) {
			nvtcp_strcpy_pad(e->subnqn, sizeof(e->subnqn), NVTCP_DISCOVERY_NQN, 0);
			nvtcp_strcpy_pad(e->traddr, sizeof(e->traddr), referral, ' ');
		} else {
			char nqn[64], addr[32];

			snprintf(nqn, sizeof(nqn), "nqn.2024-01.io.test:sub%u", i);
			snprintf(addr, sizeof(addr), "10.0.0.%u", i + 1);
			nvtcp_strcpy_pad(e->subnqn, sizeof(e->subnqn), nqn, 0);
			nvtcp_strcpy_pad(e->traddr, sizeof(e->traddr), addr, ' ');
		}
		n++;
	}
	h->genctr = genctr;
	h->numrec = n;
	h->recfmt = 0;
}

static void
on_read(struct fake_ctrlr *fc, uint64_t off, uint32_t len, void *arg)
{
	struct nvtcp_nvmf_disc_log_hdr *h = (void *)g_log;

	g_reads++;
	if (off == 0) {
		g_hdr_reads++;
	}
	switch (g_mode) {
	case 1:
		/* While the first attempt reads its entries, a subsystem is added. */
		if (off >= 1024 && g_hdr_reads == 1) {
			log_build(h->genctr + 1, 3, NULL);
		}
		break;
	case 2:
		/* The log changes all the time. */
		h->genctr++;
		break;
	case 3:
		/* The second discovery service (visited through the referral) has its own log. */
		if (g_hdr_reads == 3 && off == 0) {
			log_build(7, 1, "127.0.0.1");
			{
				/* ... plus a referral beyond the depth limit. */
				struct nvtcp_nvmf_disc_log_entry *e = (void *)(g_log + 1024 * 3);

				memcpy(e, g_log + 1024 * 2, 1024);
				nvtcp_strcpy_pad(e->traddr, sizeof(e->traddr), "127.0.0.3", ' ');
				((struct nvtcp_nvmf_disc_log_hdr *)g_log)->numrec = 3;
			}
		}
		break;
	default:
		break;
	}
}

static struct fake_ctrlr *
disc_fake(uint8_t mdts)
{
	struct fake_ctrlr_cfg cfg;

	fake_ctrlr_cfg_init(&cfg);
	cfg.cdata.cntrltype = NVTCP_NVME_CNTRLTYPE_DISCOVERY;
	cfg.cdata.mdts = mdts;
	cfg.disc_log = g_log;
	cfg.disc_log_len = sizeof(g_log);
	cfg.on_disc_read = on_read;
	g_reads = g_hdr_reads = 0;
	return fake_ctrlr_create(&cfg);
}

static struct nvtcp_ctrlr *
disc_attach(struct fake_ctrlr *fc)
{
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;

	ut_opts(&o);
	CU_ASSERT_FATAL(ut_attach(fc, &o, NVTCP_DISCOVERY_NQN, &c) == 0);
	return c;
}

static void
test_log_read(void)
{
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_discovery_entry *ents = NULL;
	size_t n = 0;

	g_mode = 0;
	log_build(5, 2, NULL);
	fc = disc_fake(0);
	c = disc_attach(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_discovery_log(c, 1024, 10, &ents, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(g_hdr_reads, 2);
	CU_ASSERT_EQUAL(g_reads, 3);
	CU_ASSERT_STRING_EQUAL(ents[0].trid.subnqn, "nqn.2024-01.io.test:sub0");
	CU_ASSERT_STRING_EQUAL(ents[1].trid.traddr, "10.0.0.2");
	CU_ASSERT_STRING_EQUAL(ents[1].trid.trsvcid, "4420");
	CU_ASSERT_EQUAL(ents[1].subtype, NVTCP_NVMF_SUBTYPE_NVME);
	free(ents);
	/* An empty log. */
	log_build(6, 0, NULL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_discovery_log(c, 1024, 10, &ents, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(ents);
	/* Too many entries. */
	log_build(7, 5, NULL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_discovery_log(c, 4, 10, &ents, &n), -E2BIG);
	CU_ASSERT_PTR_NULL(ents);
	/* An absurd NUMREC is refused even when the caller accepts anything: no 4 TiB buffer. */
	((struct nvtcp_nvmf_disc_log_hdr *)g_log)->numrec = 1ull << 32;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_discovery_log(c, UINT32_MAX, 10, &ents, &n), -E2BIG);
	((struct nvtcp_nvmf_disc_log_hdr *)g_log)->numrec = NVME_DISC_MAX_ENTRIES + 1;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_discovery_log(c, UINT32_MAX, 10, &ents, &n), -E2BIG);
	CU_ASSERT_PTR_NULL(ents);
	/* The generation counter of the consistent read. */
	{
		uint64_t gen = 0;

		log_build(42, 2, NULL);
		CU_ASSERT_EQUAL(nvtcp_ctrlr_get_discovery_log_ext(c, 1024, 10, &ents, &n, &gen), 0);
		CU_ASSERT_EQUAL(gen, 42);
		CU_ASSERT_EQUAL(n, 2);
		free(ents);
	}
	ut_teardown(fc, c);
}

static void
test_generation_change(void)
{
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_discovery_entry *ents = NULL;
	size_t n = 0;

	g_mode = 1;
	log_build(1, 2, NULL);
	fc = disc_fake(0);
	c = disc_attach(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_discovery_log(c, 1024, 10, &ents, &n), 0);
	/* Read twice: the first attempt saw generation 1, then 2. */
	CU_ASSERT_EQUAL(g_hdr_reads, 4);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_STRING_EQUAL(ents[2].trid.subnqn, "nqn.2024-01.io.test:sub2");
	free(ents);

	/* A log that never holds still: -EAGAIN after the restarts. */
	g_mode = 2;
	g_hdr_reads = 0;
	log_build(1, 1, NULL);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_discovery_log(c, 1024, 3, &ents, &n), -EAGAIN);
	CU_ASSERT_EQUAL(g_hdr_reads, 8);
	CU_ASSERT_PTR_NULL(ents);
	ut_teardown(fc, c);
	g_mode = 0;
}

static void
test_large_log_in_chunks(void)
{
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_discovery_entry *ents = NULL;
	size_t n = 0;
	uint32_t before;

	g_mode = 0;
	log_build(3, 20, NULL);
	fc = disc_fake(1); /* 8 KiB per command */
	c = disc_attach(fc);
	before = fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_GET_LOG_PAGE, -1);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_discovery_log(c, 1024, 10, &ents, &n), 0);
	CU_ASSERT_EQUAL(n, 20);
	/* Header, 20 KiB of entries in 8 + 8 + 4 KiB, header. */
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_GET_LOG_PAGE, -1) - before, 5);
	CU_ASSERT_EQUAL(fake_ctrlr_last(fc, NVTCP_NVME_OPC_GET_LOG_PAGE, -1)->cmd.cdw12, 0);
	CU_ASSERT_STRING_EQUAL(ents[19].trid.traddr, "10.0.0.20");
	free(ents);
	ut_teardown(fc, c);
}

static void
test_not_discovery(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_discovery_entry *ents;
	size_t n;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_discovery_log(c, 1024, 10, &ents, &n), -ENXIO);
	ut_teardown(fc, c);
}

static void
test_discover_referrals(void)
{
	struct fake_ctrlr *fc;
	struct nvtcp_discover_opts o;
	struct nvtcp_discovery_entry *ents = NULL;
	struct nvtcp_trid t;
	size_t n = 0;

	g_mode = 3;
	log_build(1, 2, "127.0.0.2");
	fc = disc_fake(0);
	nvtcp_discover_opts_init(&o);
	snprintf(o.ctrlr.host.hostnqn, sizeof(o.ctrlr.host.hostnqn),
		 "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555");
	o.max_referral_depth = 1;
	nvtcp_trid_init(&t);
	snprintf(t.traddr, sizeof(t.traddr), "127.0.0.1");
	t.trsvcid[0] = '\0';
	CU_ASSERT_EQUAL(nvtcp_discover(&t, &o, &ents, &n), 0);
	/* Two NVM entries from the first service, one from the referral; the referral back to
	 * the first is not followed again, the one to .3 is too deep. */
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_FABRICS, NVTCP_NVMF_FCTYPE_CONNECT), 2);
	CU_ASSERT_STRING_EQUAL(fake_ctrlr_connect_data(fc, 0)->subnqn, NVTCP_DISCOVERY_NQN);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(ents[i].subtype, NVTCP_NVMF_SUBTYPE_NVME);
	}
	free(ents);
	fake_ctrlr_destroy(fc);

	/* The first service cannot be reached: its error. */
	g_mode = 0;
	fc = disc_fake(0);
	fake_ctrlr_get_cfg(fc)->refuse_connect = true;
	CU_ASSERT_EQUAL(nvtcp_discover(&t, &o, &ents, &n), -ECONNREFUSED);
	fake_ctrlr_destroy(fc);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("discovery", NULL, NULL);

	CU_ADD_TEST(s, test_log_read);
	CU_ADD_TEST(s, test_generation_change);
	CU_ADD_TEST(s, test_large_log_in_chunks);
	CU_ADD_TEST(s, test_not_discovery);
	CU_ADD_TEST(s, test_discover_referrals);
}

NVTCP_UT_MAIN(add_tests)
