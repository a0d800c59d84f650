/*
 * Unit tests of lib/fabrics/discovery_log.c: log headers and entries built byte by byte as they
 * arrive on the wire (1024-byte records), a multi-entry log, malformed records, address
 * overrides and the printing helpers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nvtcp/fabrics.h"
#include "nvtcp/nvmf_spec.h"

#include "ut.h"

#define KNQN "nqn.2024-01.io.test:kernel-target"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xFF;
	p[1] = v >> 8;
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

/*
 * Build one 1024-byte entry at the offsets of the NVMe over Fabrics specification; \p pad is the
 * byte that fills the string fields after the text (' ' or '\0').
 */
static void
make_entry(uint8_t *rec, uint8_t trtype, uint8_t adrfam, uint8_t subtype, uint8_t treq,
	   uint16_t portid, const char *trsvcid, const char *subnqn, const char *traddr,
	   uint8_t sectype, char pad)
{
	memset(rec, 0, 1024);
	rec[0] = trtype;
	rec[1] = adrfam;
	rec[2] = subtype;
	rec[3] = treq;
	put16(rec + 4, portid);
	put16(rec + 6, 0xFFFF);  /* cntlid */
	put16(rec + 8, 32);      /* asqsz */
	put16(rec + 10, 0x0003); /* eflags */
	memset(rec + 32, pad, 32);
	memcpy(rec + 32, trsvcid, strlen(trsvcid));
	memset(rec + 256, pad, 256);
	memcpy(rec + 256, subnqn, strlen(subnqn));
	memset(rec + 512, pad, 256);
	memcpy(rec + 512, traddr, strlen(traddr));
	rec[768] = sectype;
}

static const struct nvtcp_nvmf_disc_log_entry *
as_entry(const uint8_t *rec)
{
	return (const struct nvtcp_nvmf_disc_log_entry *)rec;
}

static void
test_entry_fields(void)
{
	uint8_t rec[1024];
	struct nvtcp_discovery_entry e;

	make_entry(rec, 3, 1, 2, 0x06, 0x1234, "4420", KNQN, "10.0.2.15", 0, ' ');
	CU_ASSERT_EQUAL(nvtcp_discovery_entry_parse(as_entry(rec), &e), 0);
	CU_ASSERT_EQUAL(e.trtype, 3);
	CU_ASSERT_EQUAL(e.adrfam, 1);
	CU_ASSERT_EQUAL(e.subtype, NVTCP_NVMF_SUBTYPE_NVME);
	CU_ASSERT_EQUAL(e.treq, 0x06);
	CU_ASSERT_EQUAL(e.portid, 0x1234);
	CU_ASSERT_EQUAL(e.cntlid, 0xFFFF);
	CU_ASSERT_EQUAL(e.asqsz, 32);
	CU_ASSERT_EQUAL(e.eflags, 3);
	CU_ASSERT_EQUAL(e.sectype, 0);
	CU_ASSERT_EQUAL(e.trid.trtype, NVTCP_TRTYPE_TCP);
	CU_ASSERT_EQUAL(e.trid.adrfam, NVTCP_ADRFAM_IPV4);
	/* Space padding trimmed. */
	CU_ASSERT_STRING_EQUAL(e.trid.trsvcid, "4420");
	CU_ASSERT_STRING_EQUAL(e.trid.subnqn, KNQN);
	CU_ASSERT_STRING_EQUAL(e.trid.traddr, "10.0.2.15");
	CU_ASSERT_STRING_EQUAL(e.trid.hostnqn, "");

	/* NUL padding, IPv6, TLS. */
	make_entry(rec, 3, 2, 3, 0x01, 7, "8009", NVTCP_DISCOVERY_NQN, "fe80::1", 2, '\0');
	CU_ASSERT_EQUAL(nvtcp_discovery_entry_parse(as_entry(rec), &e), 0);
	CU_ASSERT_EQUAL(e.trid.adrfam, NVTCP_ADRFAM_IPV6);
	CU_ASSERT_EQUAL(e.subtype, NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT);
	CU_ASSERT_EQUAL(e.sectype, 2);
	CU_ASSERT_EQUAL(e.portid, 7);
	CU_ASSERT_STRING_EQUAL(e.trid.trsvcid, "8009");
	CU_ASSERT_STRING_EQUAL(e.trid.subnqn, NVTCP_DISCOVERY_NQN);
	CU_ASSERT_STRING_EQUAL(e.trid.traddr, "fe80::1");

	/* Spaces then NULs; garbage after the first NUL is not part of the text. */
	make_entry(rec, 3, 1, 2, 0, 1, "4420  ", KNQN, "1.2.3.4", 0, '\0');
	rec[512 + 200] = 0x01;
	CU_ASSERT_EQUAL(nvtcp_discovery_entry_parse(as_entry(rec), &e), 0);
	CU_ASSERT_STRING_EQUAL(e.trid.trsvcid, "4420");
	CU_ASSERT_STRING_EQUAL(e.trid.traddr, "1.2.3.4");
}

static void
test_entry_unknown_values_kept(void)
{
	uint8_t rec[1024];
	struct nvtcp_discovery_entry e;

	/* RDMA over InfiniBand: not ours, but not an error; TSAS is not a TCP SECTYPE. */
	make_entry(rec, 1, 3, 2, 0, 1, "4420", KNQN, "192.168.0.1", 0x05, ' ');
	CU_ASSERT_EQUAL(nvtcp_discovery_entry_parse(as_entry(rec), &e), 0);
	CU_ASSERT_EQUAL(e.trtype, 1);
	CU_ASSERT_EQUAL(e.adrfam, 3);
	CU_ASSERT_EQUAL(e.sectype, 0);
	CU_ASSERT_EQUAL(e.trid.trtype, NVTCP_TRTYPE_TCP);
	CU_ASSERT_EQUAL(e.trid.adrfam, NVTCP_ADRFAM_IPV4);

	/* Values nobody defines. */
	make_entry(rec, 0x42, 0x77, 0x99, 0xFF, 1, "1", KNQN, "x", 0, ' ');
	CU_ASSERT_EQUAL(nvtcp_discovery_entry_parse(as_entry(rec), &e), 0);
	CU_ASSERT_EQUAL(e.trtype, 0x42);
	CU_ASSERT_EQUAL(e.adrfam, 0x77);
	CU_ASSERT_EQUAL(e.subtype, 0x99);
	CU_ASSERT_STRING_EQUAL(nvtcp_trtype_str(e.trtype), "unrecognized");
	CU_ASSERT_STRING_EQUAL(nvtcp_adrfam_str(e.adrfam), "unrecognized");
	CU_ASSERT_STRING_EQUAL(nvtcp_subtype_str(e.subtype), "unrecognized");
	CU_ASSERT_STRING_EQUAL(nvtcp_treq_secure_channel_str(e.treq), "reserved");
}

static void
expect_bad(const uint8_t *rec)
{
	struct nvtcp_discovery_entry e, before;

	memset(&e, 0x6B, sizeof(e));
	before = e;
	CU_ASSERT_EQUAL(nvtcp_discovery_entry_parse(as_entry(rec), &e), -EINVAL);
	/* The output is untouched on failure. */
	CU_ASSERT(memcmp(&e, &before, sizeof(e)) == 0);
}

static void
test_entry_bad(void)
{
	uint8_t rec[1024];

	/* Non-printable bytes in each string field. */
	make_entry(rec, 3, 1, 2, 0, 1, "44\x07" "0", KNQN, "1.2.3.4", 0, ' ');
	expect_bad(rec);
	make_entry(rec, 3, 1, 2, 0, 1, "4420", "nqn.2024-01.io.test:\x1b[2J", "1.2.3.4", 0, ' ');
	expect_bad(rec);
	make_entry(rec, 3, 1, 2, 0, 1, "4420", KNQN, "1.2.3.4\xff", 0, ' ');
	expect_bad(rec);
	make_entry(rec, 3, 1, 2, 0, 1, "4420", KNQN, "1.2.\t3.4", 0, ' ');
	expect_bad(rec);

	/* A trsvcid that fills its 32-byte field leaves no room for the terminator. */
	make_entry(rec, 3, 1, 2, 0, 1, "", KNQN, "1.2.3.4", 0, ' ');
	memset(rec + 32, '9', 32);
	expect_bad(rec);
	/* A traddr that fills all 256 bytes. */
	make_entry(rec, 3, 1, 2, 0, 1, "4420", KNQN, "", 0, ' ');
	memset(rec + 512, 'a', 256);
	expect_bad(rec);
	/* A subnqn longer than an NQN may be (224 bytes). */
	make_entry(rec, 3, 1, 2, 0, 1, "4420", "", "1.2.3.4", 0, ' ');
	memset(rec + 256, 'n', 224);
	expect_bad(rec);
	/* 223 bytes is fine. */
	rec[256 + 223] = ' ';
	{
		struct nvtcp_discovery_entry e;

		CU_ASSERT_EQUAL(nvtcp_discovery_entry_parse(as_entry(rec), &e), 0);
		CU_ASSERT_EQUAL(strlen(e.trid.subnqn), 223);
	}

	CU_ASSERT_EQUAL(nvtcp_discovery_entry_parse(NULL, NULL), -EINVAL);
}

static void
test_hdr(void)
{
	uint8_t hdr[1024];
	uint64_t numrec = 0, genctr = 0;
	const struct nvtcp_nvmf_disc_log_hdr *h = (const void *)hdr;

	memset(hdr, 0, sizeof(hdr));
	put64(hdr, 0x0102030405060708ull);
	put64(hdr + 8, 3);
	CU_ASSERT_EQUAL(nvtcp_discovery_log_hdr_parse(h, 1024, &numrec, &genctr), 0);
	CU_ASSERT_EQUAL(numrec, 3);
	CU_ASSERT_EQUAL(genctr, 0x0102030405060708ull);
	CU_ASSERT_EQUAL(nvtcp_discovery_log_hdr_parse(h, 3, &numrec, &genctr), 0);

	/* More records than the caller accepts: -E2BIG, the count still reported. */
	numrec = 0;
	CU_ASSERT_EQUAL(nvtcp_discovery_log_hdr_parse(h, 2, &numrec, &genctr), -E2BIG);
	CU_ASSERT_EQUAL(numrec, 3);
	put64(hdr + 8, UINT64_MAX);
	CU_ASSERT_EQUAL(nvtcp_discovery_log_hdr_parse(h, 1024, &numrec, &genctr), -E2BIG);

	/* Unknown record format. */
	put64(hdr + 8, 1);
	put16(hdr + 16, 1);
	CU_ASSERT_EQUAL(nvtcp_discovery_log_hdr_parse(h, 1024, &numrec, &genctr), -EINVAL);

	/* Empty log. */
	put16(hdr + 16, 0);
	put64(hdr + 8, 0);
	CU_ASSERT_EQUAL(nvtcp_discovery_log_hdr_parse(h, 0, &numrec, &genctr), 0);
	CU_ASSERT_EQUAL(numrec, 0);
	CU_ASSERT_EQUAL(nvtcp_discovery_log_hdr_parse(NULL, 1, &numrec, &genctr), -EINVAL);
}

static void
test_multi_entry_log(void)
{
	/* What the Linux 6.1 target returns: the current discovery subsystem, then the NVM
	 * subsystem, plus a referral. */
	static uint8_t log[1024 * 4];
	struct nvtcp_discovery_entry e[3];
	uint64_t numrec, genctr;

	memset(log, 0, sizeof(log));
	put64(log, 7);
	put64(log + 8, 3);
	make_entry(log + 1024, 3, 1, 3, 0x02, 1, "4420", NVTCP_DISCOVERY_NQN, "10.0.2.15", 0,
		   ' ');
	make_entry(log + 2048, 3, 1, 2, 0x02, 1, "4420", KNQN, "10.0.2.15", 0, ' ');
	make_entry(log + 3072, 3, 1, 1, 0x00, 2, "8009", NVTCP_DISCOVERY_NQN, "10.9.9.9", 0, ' ');

	CU_ASSERT_EQUAL(nvtcp_discovery_log_hdr_parse((const void *)log, 1024, &numrec, &genctr),
			0);
	CU_ASSERT_EQUAL_FATAL(numrec, 3);
	CU_ASSERT_EQUAL(genctr, 7);
	for (uint64_t i = 0; i < numrec; i++) {
		CU_ASSERT_EQUAL(nvtcp_discovery_entry_parse(as_entry(log + 1024 * (i + 1)), &e[i]),
				0);
	}
	CU_ASSERT_EQUAL(e[0].subtype, NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT);
	CU_ASSERT_STRING_EQUAL(e[1].trid.subnqn, KNQN);
	CU_ASSERT_STRING_EQUAL(e[1].trid.trsvcid, "4420");
	CU_ASSERT_EQUAL(e[2].subtype, NVTCP_NVMF_SUBTYPE_DISCOVERY_REFERRAL);
	CU_ASSERT_STRING_EQUAL(e[2].trid.traddr, "10.9.9.9");
	CU_ASSERT_STRING_EQUAL(e[2].trid.trsvcid, "8009");
	CU_ASSERT_STRING_EQUAL(nvtcp_subtype_str(e[0].subtype), "current discovery subsystem");
	CU_ASSERT_STRING_EQUAL(nvtcp_subtype_str(e[1].subtype), "nvme subsystem");
	CU_ASSERT_STRING_EQUAL(nvtcp_subtype_str(e[2].subtype), "discovery subsystem referral");
	CU_ASSERT_STRING_EQUAL(nvtcp_treq_secure_channel_str(e[1].treq), "not required");
}

static void
test_to_trid(void)
{
	uint8_t rec[1024];
	struct nvtcp_discovery_entry e;
	struct nvtcp_trid t;
	char longaddr[400];

	make_entry(rec, 3, 1, 2, 0, 1, "4420", KNQN, "10.0.2.15", 0, ' ');
	CU_ASSERT_EQUAL(nvtcp_discovery_entry_parse(as_entry(rec), &e), 0);

	nvtcp_discovery_entry_to_trid(&e, NULL, NULL, &t);
	CU_ASSERT_STRING_EQUAL(t.traddr, "10.0.2.15");
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "4420");
	CU_ASSERT_STRING_EQUAL(t.subnqn, KNQN);
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV4);

	/* The target's own view (10.0.2.15) replaced by the forwarded address. */
	nvtcp_discovery_entry_to_trid(&e, "127.0.0.1", "4430", &t);
	CU_ASSERT_STRING_EQUAL(t.traddr, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "4430");
	CU_ASSERT_STRING_EQUAL(t.subnqn, KNQN);

	/* The family follows a numeric override. */
	nvtcp_discovery_entry_to_trid(&e, "::1", NULL, &t);
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV6);
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "4420");
	/* A host name keeps the entry's family. */
	nvtcp_discovery_entry_to_trid(&e, "localhost", NULL, &t);
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV4);
	CU_ASSERT_STRING_EQUAL(t.traddr, "localhost");

	/* Over-long overrides are cut to the field and stay terminated. */
	memset(longaddr, 'h', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	nvtcp_discovery_entry_to_trid(&e, longaddr, longaddr, &t);
	CU_ASSERT_EQUAL(strlen(t.traddr), NVTCP_TRADDR_MAX_LEN);
	CU_ASSERT_EQUAL(strlen(t.trsvcid), NVTCP_TRSVCID_MAX_LEN);
}

static void
test_strings(void)
{
	CU_ASSERT_STRING_EQUAL(nvtcp_trtype_str(3), "tcp");
	CU_ASSERT_STRING_EQUAL(nvtcp_trtype_str(1), "rdma");
	CU_ASSERT_STRING_EQUAL(nvtcp_trtype_str(2), "fc");
	CU_ASSERT_STRING_EQUAL(nvtcp_trtype_str(254), "loop");
	CU_ASSERT_STRING_EQUAL(nvtcp_adrfam_str(1), "ipv4");
	CU_ASSERT_STRING_EQUAL(nvtcp_adrfam_str(2), "ipv6");
	CU_ASSERT_STRING_EQUAL(nvtcp_adrfam_str(3), "infiniband");
	CU_ASSERT_STRING_EQUAL(nvtcp_adrfam_str(4), "fibre-channel");
	CU_ASSERT_STRING_EQUAL(nvtcp_adrfam_str(0), "pci");
	CU_ASSERT_STRING_EQUAL(nvtcp_treq_secure_channel_str(0), "not specified");
	CU_ASSERT_STRING_EQUAL(nvtcp_treq_secure_channel_str(1), "required");
	CU_ASSERT_STRING_EQUAL(nvtcp_treq_secure_channel_str(2), "not required");
	/* Only bits 1:0 are the secure channel requirement. */
	CU_ASSERT_STRING_EQUAL(nvtcp_treq_secure_channel_str(0x05), "required");
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("discovery_log", NULL, NULL);

	CU_ADD_TEST(s, test_entry_fields);
	CU_ADD_TEST(s, test_entry_unknown_values_kept);
	CU_ADD_TEST(s, test_entry_bad);
	CU_ADD_TEST(s, test_hdr);
	CU_ADD_TEST(s, test_multi_entry_log);
	CU_ADD_TEST(s, test_to_trid);
	CU_ADD_TEST(s, test_strings);
}

NVTCP_UT_MAIN(add_tests)
