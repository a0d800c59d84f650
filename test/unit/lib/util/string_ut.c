/*
 * Unit tests of lib/util/string.c: strict number and size parsing, fixed-width fields.
 */
#include <errno.h>
#include <string.h>

#include "nvtcp/util.h"

#include "ut.h"

static void
test_parse_u64_good(void)
{
	uint64_t v = 12345;

	CU_ASSERT_EQUAL(nvtcp_parse_u64("0", UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("42", UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, 42);
	/* A leading zero is decimal, not octal. */
	CU_ASSERT_EQUAL(nvtcp_parse_u64("010", UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, 10);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("0x1F", UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, 31);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("0XfF", UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, 255);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("0xffffffffffffffff", UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	/* Exactly max is accepted. */
	CU_ASSERT_EQUAL(nvtcp_parse_u64("65535", 65535, &v), 0);
	CU_ASSERT_EQUAL(v, 65535);
}

static void
test_parse_u64_bad(void)
{
	uint64_t v = 777;

	CU_ASSERT_EQUAL(nvtcp_parse_u64(NULL, UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("-1", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("+1", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64(" 1", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("1 ", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("12a", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("0x", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("0xg", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("x10", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("1.5", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("4k", UINT64_MAX, &v), -EINVAL);
	/* One past 2^64 - 1, in decimal and hex. */
	CU_ASSERT_EQUAL(nvtcp_parse_u64("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("0x10000000000000000", UINT64_MAX, &v), -ERANGE);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("99999999999999999999999", UINT64_MAX, &v), -ERANGE);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("65536", 65535, &v), -ERANGE);
	CU_ASSERT_EQUAL(nvtcp_parse_u64("1", 0, &v), -ERANGE);
	/* Failures leave the output alone. */
	CU_ASSERT_EQUAL(v, 777);
}

static void
test_parse_size(void)
{
	uint64_t b = 0;

	CU_ASSERT_EQUAL(nvtcp_parse_size("512", &b), 0);
	CU_ASSERT_EQUAL(b, 512);
	CU_ASSERT_EQUAL(nvtcp_parse_size("512B", &b), 0);
	CU_ASSERT_EQUAL(b, 512);
	CU_ASSERT_EQUAL(nvtcp_parse_size("4k", &b), 0);
	CU_ASSERT_EQUAL(b, 4096);
	CU_ASSERT_EQUAL(nvtcp_parse_size("4K", &b), 0);
	CU_ASSERT_EQUAL(b, 4096);
	CU_ASSERT_EQUAL(nvtcp_parse_size("4KB", &b), 0);
	CU_ASSERT_EQUAL(b, 4096);
	CU_ASSERT_EQUAL(nvtcp_parse_size("4kib", &b), 0);
	CU_ASSERT_EQUAL(b, 4096);
	CU_ASSERT_EQUAL(nvtcp_parse_size("1M", &b), 0);
	CU_ASSERT_EQUAL(b, 1ull << 20);
	CU_ASSERT_EQUAL(nvtcp_parse_size("1MiB", &b), 0);
	CU_ASSERT_EQUAL(b, 1ull << 20);
	CU_ASSERT_EQUAL(nvtcp_parse_size("3g", &b), 0);
	CU_ASSERT_EQUAL(b, 3ull << 30);
	CU_ASSERT_EQUAL(nvtcp_parse_size("2T", &b), 0);
	CU_ASSERT_EQUAL(b, 2ull << 40);
	CU_ASSERT_EQUAL(nvtcp_parse_size("0", &b), 0);
	CU_ASSERT_EQUAL(b, 0);
	CU_ASSERT_EQUAL(nvtcp_parse_size("0x10k", &b), 0);
	CU_ASSERT_EQUAL(b, 16 * 1024);
	/* In hex, B is a digit. */
	CU_ASSERT_EQUAL(nvtcp_parse_size("0x1B", &b), 0);
	CU_ASSERT_EQUAL(b, 27);
	/* The largest that fits with each suffix. */
	CU_ASSERT_EQUAL(nvtcp_parse_size("16777215T", &b), 0);
	CU_ASSERT_EQUAL(b, 16777215ull << 40);
}

static void
test_parse_size_bad(void)
{
	uint64_t b = 99;

	CU_ASSERT_EQUAL(nvtcp_parse_size(NULL, &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("k", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("-4k", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("+4k", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("4 k", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("4kk", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("4kiB2", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("4ki", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("4P", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("1.5G", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("4BB", &b), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_parse_size("16777216T", &b), -ERANGE);
	CU_ASSERT_EQUAL(nvtcp_parse_size("17179869184G", &b), -ERANGE);
	CU_ASSERT_EQUAL(nvtcp_parse_size("18446744073709551616", &b), -ERANGE);
	CU_ASSERT_EQUAL(b, 99);
}

static void
test_strcpy_pad(void)
{
	char field[8];

	CU_ASSERT_EQUAL(nvtcp_strcpy_pad(field, sizeof(field), "abc", ' '), 0);
	CU_ASSERT_EQUAL(memcmp(field, "abc     ", 8), 0);
	CU_ASSERT_EQUAL(nvtcp_strcpy_pad(field, sizeof(field), "nqn", 0), 0);
	CU_ASSERT_EQUAL(memcmp(field, "nqn\0\0\0\0\0", 8), 0);
	/* Exactly full: no terminator, no error. */
	CU_ASSERT_EQUAL(nvtcp_strcpy_pad(field, sizeof(field), "12345678", ' '), 0);
	CU_ASSERT_EQUAL(memcmp(field, "12345678", 8), 0);
	CU_ASSERT_EQUAL(nvtcp_strcpy_pad(field, sizeof(field), "", '#'), 0);
	CU_ASSERT_EQUAL(memcmp(field, "########", 8), 0);
	/* Too long: filled with the prefix, error reported. */
	CU_ASSERT_EQUAL(nvtcp_strcpy_pad(field, sizeof(field), "123456789", ' '), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(memcmp(field, "12345678", 8), 0);
}

static void
test_str_from_field(void)
{
	char out[17];

	CU_ASSERT_EQUAL(nvtcp_str_from_field(out, "SN123   ", 8), 5);
	CU_ASSERT_STRING_EQUAL(out, "SN123");
	CU_ASSERT_EQUAL(nvtcp_str_from_field(out, "nqn.x\0\0\0", 8), 5);
	CU_ASSERT_STRING_EQUAL(out, "nqn.x");
	/* Full field, no terminator in the source. */
	CU_ASSERT_EQUAL(nvtcp_str_from_field(out, "ABCDEFGH", 8), 8);
	CU_ASSERT_STRING_EQUAL(out, "ABCDEFGH");
	/* Internal spaces stay, trailing ones go. */
	CU_ASSERT_EQUAL(nvtcp_str_from_field(out, "a b  ", 5), 3);
	CU_ASSERT_STRING_EQUAL(out, "a b");
	CU_ASSERT_EQUAL(nvtcp_str_from_field(out, "        ", 8), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	/* Unprintable bytes from the wire are neutralised. */
	CU_ASSERT_EQUAL(nvtcp_str_from_field(out, "a\x1b[2J\x7f\xff", 7), 7);
	CU_ASSERT_STRING_EQUAL(out, "a.[2J..");
	CU_ASSERT_EQUAL(nvtcp_str_from_field(out, "x", 0), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
}

static void
test_errf(void)
{
	char err[8];

	nvtcp_errf(err, sizeof(err), "%s %d", "field", 42);
	CU_ASSERT_STRING_EQUAL(err, "field 4");
	memset(err, 'x', sizeof(err));
	nvtcp_errf(err, 0, "nothing");
	CU_ASSERT_EQUAL(err[0], 'x');
	nvtcp_errf(NULL, 16, "nothing");
	nvtcp_errf(err, 1, "cut");
	CU_ASSERT_EQUAL(err[0], '\0');
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("string", NULL, NULL);

	CU_ADD_TEST(s, test_parse_u64_good);
	CU_ADD_TEST(s, test_parse_u64_bad);
	CU_ADD_TEST(s, test_parse_size);
	CU_ADD_TEST(s, test_parse_size_bad);
	CU_ADD_TEST(s, test_strcpy_pad);
	CU_ADD_TEST(s, test_str_from_field);
	CU_ADD_TEST(s, test_errf);
}

NVTCP_UT_MAIN(add_tests)
