/*
 * Unit tests of lib/fabrics/trid.c: SPDK-style transport ID strings, address family inference,
 * every error naming its key, formatting and round trips.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nvtcp/fabrics.h"

#include "fabrics/fabrics_internal.h"
#include "ut.h"

#define KNQN "nqn.2024-01.io.test:kernel-target"
#define UNQN "nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"

static void
test_init(void)
{
	struct nvtcp_trid t;

	memset(&t, 0xA5, sizeof(t));
	nvtcp_trid_init(&t);
	CU_ASSERT_EQUAL(t.trtype, NVTCP_TRTYPE_TCP);
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV4);
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "4420");
	CU_ASSERT_STRING_EQUAL(t.traddr, "");
	CU_ASSERT_STRING_EQUAL(t.subnqn, "");
	CU_ASSERT_STRING_EQUAL(t.hostnqn, "");
}

static void
test_parse_spdk_string(void)
{
	struct nvtcp_trid t;
	char err[256] = "";

	nvtcp_trid_init(&t);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "trtype:tcp adrfam:IPv4 traddr:192.168.1.2 "
					 "trsvcid:4421 subnqn:nqn.2016-06.io.spdk:cnode1",
					 err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(t.trtype, NVTCP_TRTYPE_TCP);
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV4);
	CU_ASSERT_STRING_EQUAL(t.traddr, "192.168.1.2");
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "4421");
	CU_ASSERT_STRING_EQUAL(t.subnqn, "nqn.2016-06.io.spdk:cnode1");
	CU_ASSERT_STRING_EQUAL(t.hostnqn, "");

	/* Upper-case keys and values, '=' separators, tabs and newlines, a host NQN. */
	nvtcp_trid_init(&t);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "  TRTYPE=TCP\tAdrFam=ipv4\n TrAddr=10.0.0.1   "
					 "SUBNQN:" KNQN " hostNQN=" UNQN "  ", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(t.traddr, "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "4420");
	CU_ASSERT_STRING_EQUAL(t.subnqn, KNQN);
	CU_ASSERT_STRING_EQUAL(t.hostnqn, UNQN);

	/* An empty string changes nothing. */
	nvtcp_trid_init(&t);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, " \t ", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "4420");
}

static void
test_parse_colons_in_values(void)
{
	struct nvtcp_trid t;
	char err[256];

	/* Split at the first ':' only: an IPv6 address and a UUID NQN survive intact. */
	nvtcp_trid_init(&t);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "traddr:fe80::1:2 subnqn:" UNQN, err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(t.traddr, "fe80::1:2");
	CU_ASSERT_STRING_EQUAL(t.subnqn, UNQN);
	/* adrfam inferred from the address. */
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV6);

	/* '=' before the first ':' is the separator. */
	nvtcp_trid_init(&t);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "traddr=::1", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(t.traddr, "::1");
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV6);

	/* Brackets are accepted around an IPv6 address. */
	nvtcp_trid_init(&t);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "traddr:[2001:db8::5]", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(t.traddr, "2001:db8::5");
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV6);

	/* A zone index. */
	nvtcp_trid_init(&t);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "traddr:fe80::1%eth0", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(t.traddr, "fe80::1%eth0");
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV6);

	/* Explicit adrfam that agrees. */
	nvtcp_trid_init(&t);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "adrfam:ipv6 traddr:::1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV6);
}

static void
test_parse_keeps_presets(void)
{
	struct nvtcp_trid t;
	char err[256];

	nvtcp_trid_init(&t);
	snprintf(t.subnqn, sizeof(t.subnqn), "%s", NVTCP_DISCOVERY_NQN);
	snprintf(t.trsvcid, sizeof(t.trsvcid), "%s", NVTCP_DISCOVERY_PORT);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "traddr:127.0.0.1", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(t.subnqn, NVTCP_DISCOVERY_NQN);
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "8009");
	CU_ASSERT_STRING_EQUAL(t.traddr, "127.0.0.1");

	/* A host name keeps the preset family (it may resolve to either). */
	nvtcp_trid_init(&t);
	t.adrfam = NVTCP_ADRFAM_IPV6;
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "traddr:storage-1.example.com", err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV6);
	CU_ASSERT_STRING_EQUAL(t.traddr, "storage-1.example.com");

	/* IPv4 address resets an IPv6 preset when adrfam is not given. */
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "traddr:10.1.2.3", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(t.adrfam, NVTCP_ADRFAM_IPV4);

	/* Port in decimal, leading text normalised. */
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "trsvcid:65535", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "65535");
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "trsvcid:1", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "1");
}

/* Parse \p str and expect -EINVAL, an unchanged trid, and a message containing every needle. */
static void
expect_error(const char *str, const char *needle1, const char *needle2)
{
	struct nvtcp_trid t, before;
	char err[256];
	int rc;

	nvtcp_trid_init(&t);
	snprintf(t.traddr, sizeof(t.traddr), "1.2.3.4");
	before = t;
	err[0] = '\0';
	rc = nvtcp_trid_parse(&t, str, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT(memcmp(&t, &before, sizeof(t)) == 0);
	CU_ASSERT(strchr(err, '\n') == NULL);
	if (strstr(err, needle1) == NULL || (needle2 != NULL && strstr(err, needle2) == NULL)) {
		fprintf(stderr, "\n'%s': message '%s' lacks '%s'/'%s'\n", str, err, needle1,
			needle2 ? needle2 : "");
		CU_FAIL("error message does not name the key or value");
	}
}

static void
test_parse_errors_name_the_key(void)
{
	char longaddr[400], longnqn[300], buf[600];

	expect_error("foo:bar", "unknown key 'foo'", NULL);
	expect_error("traddr:1.2.3.4 Bogus=1", "unknown key 'Bogus'", NULL);
	expect_error("ns:1", "'ns'", "not supported");
	expect_error("hostaddr:1.1.1.1", "'hostaddr'", "not supported");
	expect_error("trtype:rdma", "trtype 'rdma'", "not supported");
	expect_error("trtype:PCIe", "trtype 'PCIe'", "not supported");
	expect_error("trtype:udp", "trtype 'udp'", "unknown");
	expect_error("adrfam:ib", "adrfam 'ib'", "not supported");
	expect_error("adrfam:ipv5", "adrfam 'ipv5'", "unknown");
	expect_error("traddr:300.1.2.3", "traddr '300.1.2.3'", "IPv4");
	expect_error("traddr:1::2::3", "traddr '1::2::3'", "IPv6");
	expect_error("traddr:bad!host", "traddr 'bad!host'", NULL);
	expect_error("traddr:-host", "traddr '-host'", NULL);
	expect_error("traddr:a..b", "traddr 'a..b'", NULL);
	expect_error("trsvcid:0", "trsvcid '0'", "1..65535");
	expect_error("trsvcid:65536", "trsvcid '65536'", "1..65535");
	expect_error("trsvcid:http", "trsvcid 'http'", NULL);
	expect_error("trsvcid:-1", "trsvcid '-1'", NULL);
	expect_error("trsvcid:0x1144", "trsvcid '0x1144'", NULL);
	expect_error("trsvcid:04420", "trsvcid '04420'", NULL);
	expect_error("subnqn:foo", "subnqn", "nqn.");
	expect_error("subnqn:nqn.2014-13.com.x:y", "subnqn", "month");
	expect_error("hostnqn:nqn.2014-08.org.nvmexpress:uuid:1234", "hostnqn", "UUID");
	expect_error("traddr:", "'traddr' has no value", NULL);
	expect_error("traddr", "'traddr' is not a key:value", NULL);
	expect_error(":1.2.3.4", "no key", NULL);
	expect_error("traddr:1.1.1.1 traddr:2.2.2.2", "'traddr' is given twice", NULL);
	expect_error("TRADDR:1.1.1.1 traddr:2.2.2.2", "'traddr' is given twice", NULL);
	expect_error("adrfam:ipv4 traddr:::1", "adrfam", "::1");
	expect_error("adrfam:ipv6 traddr:10.0.0.1", "adrfam", "10.0.0.1");
	/* adrfam alone that contradicts the preset address. */
	expect_error("adrfam:ipv6", "adrfam", "1.2.3.4");

	/* Over-long values name the key and the limit. */
	memset(longaddr, 'a', 300);
	longaddr[300] = '\0';
	snprintf(buf, sizeof(buf), "traddr:%s", longaddr);
	expect_error(buf, "traddr", "255");
	memcpy(longnqn, "nqn.2014-08.com.example:", 24);
	memset(longnqn + 24, 'x', 200);
	longnqn[224] = '\0';
	snprintf(buf, sizeof(buf), "subnqn:%s", longnqn);
	expect_error(buf, "subnqn", "223");
	snprintf(buf, sizeof(buf), "hostnqn:%s", longnqn);
	expect_error(buf, "hostnqn", "223");
	snprintf(buf, sizeof(buf), "trsvcid:%s", longaddr);
	expect_error(buf, "trsvcid", NULL);
	snprintf(buf, sizeof(buf), "%s:1", longaddr);
	expect_error(buf, "unknown key", NULL);
}

static void
test_parse_args(void)
{
	struct nvtcp_trid t;
	char err[8];

	nvtcp_trid_init(&t);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(NULL, "traddr:1.1.1.1", NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, NULL, NULL, 0), -EINVAL);
	/* No message buffer: the error is logged instead. */
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "foo:1", NULL, 0), -EINVAL);
	/* A small buffer gets a truncated, terminated message. */
	memset(err, 'z', sizeof(err));
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "foo:1", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(strlen(err), sizeof(err) - 1);
}

static void
test_format(void)
{
	struct nvtcp_trid t, u;
	char buf[1024], err[256];
	int n;

	nvtcp_trid_init(&t);
	n = nvtcp_trid_format(&t, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "trtype:tcp adrfam:ipv4 trsvcid:4420");
	CU_ASSERT_EQUAL(n, (int)strlen(buf));

	CU_ASSERT_EQUAL(nvtcp_trid_parse(&t, "traddr:fe80::2 trsvcid:8009 subnqn:" KNQN
					 " hostnqn:" UNQN, err, sizeof(err)), 0);
	n = nvtcp_trid_format(&t, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "trtype:tcp adrfam:ipv6 traddr:fe80::2 trsvcid:8009 "
			       "subnqn:" KNQN " hostnqn:" UNQN);
	CU_ASSERT_EQUAL(n, (int)strlen(buf));

	/* Round trip: what format prints, parse reads back identically. */
	memset(&u, 0, sizeof(u));
	nvtcp_trid_init(&u);
	CU_ASSERT_EQUAL(nvtcp_trid_parse(&u, buf, err, sizeof(err)), 0);
	CU_ASSERT(memcmp(&t, &u, sizeof(t)) == 0);

	/* Exactly enough room, then one byte short. */
	CU_ASSERT_EQUAL(nvtcp_trid_format(&t, buf, (size_t)n + 1), n);
	CU_ASSERT_EQUAL(nvtcp_trid_format(&t, buf, (size_t)n), -ENOSPC);
	CU_ASSERT_EQUAL(nvtcp_trid_format(&t, buf, 10), -ENOSPC);
	CU_ASSERT_EQUAL(nvtcp_trid_format(&t, NULL, 0), -ENOSPC);
	CU_ASSERT_EQUAL(nvtcp_trid_format(NULL, buf, sizeof(buf)), -EINVAL);
}

static void
test_addr_classify(void)
{
	const char *why;

	CU_ASSERT_EQUAL(fabrics_addr_classify("127.0.0.1", &why), FABRICS_ADDR_IPV4);
	CU_ASSERT_EQUAL(fabrics_addr_classify("::", &why), FABRICS_ADDR_IPV6);
	CU_ASSERT_EQUAL(fabrics_addr_classify("::ffff:10.0.0.1", &why), FABRICS_ADDR_IPV6);
	CU_ASSERT_EQUAL(fabrics_addr_classify("localhost", &why), FABRICS_ADDR_HOSTNAME);
	CU_ASSERT_EQUAL(fabrics_addr_classify("host.example.com.", &why), FABRICS_ADDR_HOSTNAME);
	CU_ASSERT_EQUAL(fabrics_addr_classify("my_host", &why), FABRICS_ADDR_HOSTNAME);
	CU_ASSERT_EQUAL(fabrics_addr_classify("", &why), FABRICS_ADDR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(fabrics_addr_classify("10.1", &why), FABRICS_ADDR_INVALID);
	CU_ASSERT_EQUAL(fabrics_addr_classify("fe80::1%", &why), FABRICS_ADDR_INVALID);
	CU_ASSERT_EQUAL(fabrics_addr_classify(".", &why), FABRICS_ADDR_INVALID);
	CU_ASSERT_EQUAL(fabrics_addr_classify("host-", &why), FABRICS_ADDR_INVALID);
	CU_ASSERT_EQUAL(fabrics_addr_classify("a b", &why), FABRICS_ADDR_INVALID);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("trid", NULL, NULL);

	CU_ADD_TEST(s, test_init);
	CU_ADD_TEST(s, test_parse_spdk_string);
	CU_ADD_TEST(s, test_parse_colons_in_values);
	CU_ADD_TEST(s, test_parse_keeps_presets);
	CU_ADD_TEST(s, test_parse_errors_name_the_key);
	CU_ADD_TEST(s, test_parse_args);
	CU_ADD_TEST(s, test_format);
	CU_ADD_TEST(s, test_addr_classify);
}

NVTCP_UT_MAIN(add_tests)
