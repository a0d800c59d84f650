/*
 * Unit tests of lib/fabrics/nqn.c: NQN validation against the NVMe Base grammar, the UUID text
 * helpers and the error-message helper.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nvtcp/fabrics.h"

#include "fabrics/fabrics_internal.h"
#include "ut.h"

static void
expect_valid(const char *nqn)
{
	char err[256] = "";

	if (!nvtcp_nqn_valid(nqn, err, sizeof(err))) {
		fprintf(stderr, "\n'%s' rejected: %s\n", nqn, err);
		CU_FAIL("valid NQN rejected");
	}
}

static void
expect_invalid(const char *nqn, const char *needle)
{
	char err[256] = "";

	if (nvtcp_nqn_valid(nqn, err, sizeof(err))) {
		fprintf(stderr, "\n'%s' accepted\n", nqn ? nqn : "(null)");
		CU_FAIL("invalid NQN accepted");
		return;
	}
	CU_ASSERT(err[0] != '\0');
	if (needle != NULL && strstr(err, needle) == NULL) {
		fprintf(stderr, "\nmessage '%s' lacks '%s'\n", err, needle);
		CU_FAIL("message does not give the reason");
	}
}

static void
test_valid(void)
{
	char nqn[NVTCP_NQN_MAX_LEN + 1];

	expect_valid(NVTCP_DISCOVERY_NQN);
	expect_valid("nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
	expect_valid("nqn.2014-08.org.nvmexpress:uuid:F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6");
	expect_valid("nqn.2016-06.io.spdk:cnode1");
	expect_valid("nqn.2024-01.io.test:kernel-target");
	expect_valid("nqn.2014-08.com.example");
	expect_valid("nqn.1999-12.c0m.ex-ample.a1:x");
	expect_valid("nqn.2014-08.com.example:nvme:nvm-subsystem-sn-d78432");
	expect_valid("nqn.2014-08.com.example:with space and symbols !#$%_");
	/* UTF-8 in the user string (two-, three- and four-byte sequences). */
	expect_valid("nqn.2014-08.com.example:\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80");

	/* Exactly 223 bytes is the limit. */
	memcpy(nqn, "nqn.2014-08.com.example:", 24);
	memset(nqn + 24, 'x', NVTCP_NQN_MAX_LEN - 24);
	nqn[NVTCP_NQN_MAX_LEN] = '\0';
	CU_ASSERT_EQUAL(strlen(nqn), 223);
	expect_valid(nqn);

	/* No error buffer is fine. */
	CU_ASSERT(nvtcp_nqn_valid("nqn.2016-06.io.spdk:cnode1", NULL, 0));
}

static void
test_invalid(void)
{
	char nqn[400];

	expect_invalid(NULL, NULL);
	expect_invalid("", "empty");
	memcpy(nqn, "nqn.2014-08.com.example:", 24);
	memset(nqn + 24, 'x', 200);
	nqn[224] = '\0';
	expect_invalid(nqn, "224 bytes");
	memset(nqn + 24, 'x', 300);
	nqn[324] = '\0';
	expect_invalid(nqn, "more than 223");

	expect_invalid("iqn.2014-08.com.example:x", "nqn.");
	expect_invalid("NQN.2014-08.com.example:x", "nqn.");
	expect_invalid("nqn.", "date code");
	expect_invalid("nqn.14-08.com.example:x", "date code");
	expect_invalid("nqn.2014/08.com.example:x", "date code");
	expect_invalid("nqn.2014-8.com.example:x", "date code");
	expect_invalid("nqn.2014-08com.example:x", "date code");
	expect_invalid("nqn.2014-13.com.example:x", "month");
	expect_invalid("nqn.2014-00.com.example:x", "month");
	expect_invalid("nqn.2014-08.:x", "no domain");
	expect_invalid("nqn.2014-08.", "no domain");
	expect_invalid("nqn.2014-08.1com.example:x", "start with a letter");
	expect_invalid("nqn.2014-08.com.-example:x", "start with a letter");
	expect_invalid("nqn.2014-08.com.example-:x", "end with a letter or digit");
	expect_invalid("nqn.2014-08.com..example:x", "empty label");
	expect_invalid("nqn.2014-08.com.example.:x", "empty label");
	expect_invalid("nqn.2014-08.com.ex_ample:x", "only letters");
	memcpy(nqn, "nqn.2014-08.com.", 16);
	memset(nqn + 16, 'a', 64);
	memcpy(nqn + 80, ":x", 3);
	expect_invalid(nqn, "longer than 63");
	expect_invalid("nqn.2014-08.com.example:", "nothing follows");
	expect_invalid("nqn.2014-08.com.example:a\x01" "b", "control character");
	expect_invalid("nqn.2014-08.com.example:a\x7f", "control character");
	expect_invalid("nqn.2014-08.com.example:\xff", "UTF-8");
	expect_invalid("nqn.2014-08.com.example:\xc3", "UTF-8");
	expect_invalid("nqn.2014-08.com.example:\xc0\xaf", "UTF-8");       /* overlong '/' */
	expect_invalid("nqn.2014-08.com.example:\xed\xa0\x80", "UTF-8");   /* surrogate */
	expect_invalid("nqn.2014-08.com.example:\xf4\x90\x80\x80", "UTF-8"); /* > U+10FFFF */

	/* The UUID form must carry exactly one well-formed UUID. */
	expect_invalid("nqn.2014-08.org.nvmexpress:uuid:", "UUID");
	expect_invalid("nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf",
		       "UUID");
	expect_invalid("nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf60",
		       "UUID");
	expect_invalid("nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765_00a0c91e6bf6",
		       "UUID");
	expect_invalid("nqn.2014-08.org.nvmexpress:uuid:g81d4fae-7dec-11d0-a765-00a0c91e6bf6",
		       "UUID");
	/* Near-misses of the discovery NQN are checked by the generic grammar. */
	expect_valid("nqn.2014-08.org.nvmexpress.discovery2");
	expect_invalid("nqn.2014-08.org.nvmexpress.discovery.", "empty label");
}

static void
test_uuid_helpers(void)
{
	static const uint8_t ref[16] = {0xf8, 0x1d, 0x4f, 0xae, 0x7d, 0xec, 0x11, 0xd0,
					0xa7, 0x65, 0x00, 0xa0, 0xc9, 0x1e, 0x6b, 0xf6};
	const char *text = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
	uint8_t u[16];
	char out[FABRICS_UUID_STR_LEN + 1];

	CU_ASSERT_EQUAL(fabrics_uuid_parse(text, strlen(text), u), 0);
	CU_ASSERT(memcmp(u, ref, 16) == 0);
	fabrics_uuid_format(u, out);
	CU_ASSERT_STRING_EQUAL(out, text);
	CU_ASSERT_EQUAL(fabrics_uuid_parse("F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6", 36, u), 0);
	CU_ASSERT(memcmp(u, ref, 16) == 0);

	memset(u, 0x55, sizeof(u));
	CU_ASSERT_EQUAL(fabrics_uuid_parse(text, 35, u), -EINVAL);
	CU_ASSERT_EQUAL(fabrics_uuid_parse("f81d4fae7dec-11d0-a765-00a0c91e6bf6-", 36, u), -EINVAL);
	CU_ASSERT_EQUAL(fabrics_uuid_parse("f81d4fae-7dec-11d0-a765-00a0c91e6bfz", 36, u), -EINVAL);
	CU_ASSERT_EQUAL(fabrics_uuid_parse(NULL, 36, u), -EINVAL);
	/* Failures leave the output alone. */
	CU_ASSERT_EQUAL(u[0], 0x55);
	CU_ASSERT_EQUAL(u[15], 0x55);
}

static void
test_errf(void)
{
	char err[6];

	nvtcp_errf(NULL, 10, "x %d", 1);
	nvtcp_errf(err, 0, "untouched");
	memset(err, 'q', sizeof(err));
	nvtcp_errf(err, sizeof(err), "abcdefgh");
	CU_ASSERT_STRING_EQUAL(err, "abcde");
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("nqn", NULL, NULL);

	CU_ADD_TEST(s, test_valid);
	CU_ADD_TEST(s, test_invalid);
	CU_ADD_TEST(s, test_uuid_helpers);
	CU_ADD_TEST(s, test_errf);
}

NVTCP_UT_MAIN(add_tests)
