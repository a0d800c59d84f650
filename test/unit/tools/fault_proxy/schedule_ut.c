/*
 * Unit tests of test/tools/fault_proxy/schedule.c: the parsing of fault schedules and the
 * seeded random generator the proxy draws every decision from.
 */
#include <errno.h>
#include <string.h>

#include "schedule.c"

#include "ut.h"

static void
test_parse_range(void)
{
	struct fp_range r;

	CU_ASSERT_EQUAL(fp_parse_range("5", false, &r), 0);
	CU_ASSERT(r.lo == 5 && r.hi == 5);
	CU_ASSERT_EQUAL(fp_parse_range("2000-5000", false, &r), 0);
	CU_ASSERT(r.lo == 2000 && r.hi == 5000);
	CU_ASSERT_EQUAL(fp_parse_range("0-0", false, &r), 0);
	CU_ASSERT(r.lo == 0 && r.hi == 0);
	CU_ASSERT_EQUAL(fp_parse_range("4M", true, &r), 0);
	CU_ASSERT(r.lo == 4u << 20 && r.hi == 4u << 20);
	CU_ASSERT_EQUAL(fp_parse_range("1k-8k", true, &r), 0);
	CU_ASSERT(r.lo == 1024 && r.hi == 8192);
	CU_ASSERT_EQUAL(fp_parse_range("0x10", false, &r), 0);
	CU_ASSERT_EQUAL(r.lo, 16);

	CU_ASSERT_EQUAL(fp_parse_range("", false, &r), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_range("5-3", false, &r), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_range("a", false, &r), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_range("-5", false, &r), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_range("5-", false, &r), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_range("1-2-3", false, &r), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_range("4M", false, &r), -EINVAL);
	CU_ASSERT_NOT_EQUAL(fp_parse_range("99999999999999999999", false, &r), 0);
	CU_ASSERT_EQUAL(fp_parse_range(NULL, false, &r), -EINVAL);
	/* Longer than any sane value: rejected, not truncated. */
	CU_ASSERT_EQUAL(fp_parse_range("1-111111111111111111111111111111"
				       "111111111111111111111111111111111111", false, &r), -EINVAL);
}

static void
test_parse_prob(void)
{
	uint32_t ppm = 7;

	CU_ASSERT_EQUAL(fp_parse_prob("0.05", &ppm), 0);
	CU_ASSERT_EQUAL(ppm, 50000);
	CU_ASSERT_EQUAL(fp_parse_prob("5%", &ppm), 0);
	CU_ASSERT_EQUAL(ppm, 50000);
	CU_ASSERT_EQUAL(fp_parse_prob("1", &ppm), 0);
	CU_ASSERT_EQUAL(ppm, FP_PPM);
	CU_ASSERT_EQUAL(fp_parse_prob("0", &ppm), 0);
	CU_ASSERT_EQUAL(ppm, 0);
	CU_ASSERT_EQUAL(fp_parse_prob("100%", &ppm), 0);
	CU_ASSERT_EQUAL(ppm, FP_PPM);
	CU_ASSERT_EQUAL(fp_parse_prob(".5", &ppm), 0);
	CU_ASSERT_EQUAL(ppm, 500000);
	CU_ASSERT_EQUAL(fp_parse_prob("50.5%", &ppm), 0);
	CU_ASSERT_EQUAL(ppm, 505000);
	CU_ASSERT_EQUAL(fp_parse_prob("0.000001", &ppm), 0);
	CU_ASSERT_EQUAL(ppm, 1);

	CU_ASSERT_EQUAL(fp_parse_prob("1.5", &ppm), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_prob("101%", &ppm), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_prob("", &ppm), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_prob("%", &ppm), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_prob(".", &ppm), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_prob("-0.1", &ppm), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_prob("0.1x", &ppm), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_prob("1e-3", &ppm), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_prob("99999999999999", &ppm), -EINVAL);
}

static void
test_split_dir(void)
{
	char buf[32];
	unsigned int dirs = 0;

	strcpy(buf, "4M@c2h");
	CU_ASSERT_EQUAL(fp_split_dir(buf, &dirs), 0);
	CU_ASSERT_STRING_EQUAL(buf, "4M");
	CU_ASSERT_EQUAL(dirs, FP_DIR_C2H);
	strcpy(buf, "1-2@H2C");
	CU_ASSERT_EQUAL(fp_split_dir(buf, &dirs), 0);
	CU_ASSERT_STRING_EQUAL(buf, "1-2");
	CU_ASSERT_EQUAL(dirs, FP_DIR_H2C);
	strcpy(buf, "0.1:5@both");
	CU_ASSERT_EQUAL(fp_split_dir(buf, &dirs), 0);
	CU_ASSERT_EQUAL(dirs, FP_DIR_BOTH);
	strcpy(buf, "4M");
	CU_ASSERT_EQUAL(fp_split_dir(buf, &dirs), 0);
	CU_ASSERT_STRING_EQUAL(buf, "4M");
	CU_ASSERT_EQUAL(dirs, FP_DIR_BOTH);
	strcpy(buf, "4M@up");
	CU_ASSERT_EQUAL(fp_split_dir(buf, &dirs), -EINVAL);
	strcpy(buf, "4M@");
	CU_ASSERT_EQUAL(fp_split_dir(buf, &dirs), -EINVAL);
}

static void
test_parse_stall(void)
{
	struct fp_stall_spec s;

	CU_ASSERT_EQUAL(fp_parse_stall("0.01:100", &s), 0);
	CU_ASSERT_EQUAL(s.ppm, 10000);
	CU_ASSERT(s.ms.lo == 100 && s.ms.hi == 100);
	CU_ASSERT_EQUAL(fp_parse_stall("5%:10-50", &s), 0);
	CU_ASSERT_EQUAL(s.ppm, 50000);
	CU_ASSERT(s.ms.lo == 10 && s.ms.hi == 50);
	CU_ASSERT_EQUAL(fp_parse_stall("0.01", &s), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_stall(":5", &s), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_stall("2:5", &s), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_stall("0.5:", &s), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_stall("0.5:9-1", &s), -EINVAL);

	CU_ASSERT_EQUAL(fp_parse_stall_every("1000-2000:50", &s), 0);
	CU_ASSERT(s.every.lo == 1000 && s.every.hi == 2000 && s.ms.lo == 50 && s.ms.hi == 50);
	CU_ASSERT_EQUAL(fp_parse_stall_every("300:5-9", &s), 0);
	CU_ASSERT(s.every.lo == 300 && s.ms.lo == 5 && s.ms.hi == 9);
	CU_ASSERT_EQUAL(fp_parse_stall_every("0:5", &s), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_stall_every("100", &s), -EINVAL);
}

static void
test_parse_coalesce(void)
{
	struct fp_coalesce_spec c;

	CU_ASSERT_EQUAL(fp_parse_coalesce("64k", &c), 0);
	CU_ASSERT(c.bytes == 65536 && c.ms == 2);
	CU_ASSERT_EQUAL(fp_parse_coalesce("1M:10", &c), 0);
	CU_ASSERT(c.bytes == 1u << 20 && c.ms == 10);
	CU_ASSERT_EQUAL(fp_parse_coalesce("0", &c), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_coalesce("x:1", &c), -EINVAL);
	CU_ASSERT_NOT_EQUAL(fp_parse_coalesce("1k:99999999", &c), 0);
}

static void
test_parse_where_types(void)
{
	unsigned int w = 0;
	uint32_t t = 0;

	CU_ASSERT_EQUAL(fp_parse_where("hdr", &w), 0);
	CU_ASSERT_EQUAL(w, FP_WHERE_CH | FP_WHERE_PSH);
	CU_ASSERT_EQUAL(fp_parse_where("data,ddgst", &w), 0);
	CU_ASSERT_EQUAL(w, FP_WHERE_DATA | FP_WHERE_DDGST);
	CU_ASSERT_EQUAL(fp_parse_where("digest", &w), 0);
	CU_ASSERT_EQUAL(w, FP_WHERE_HDGST | FP_WHERE_DDGST);
	CU_ASSERT_EQUAL(fp_parse_where("ANY", &w), 0);
	CU_ASSERT_EQUAL(w, FP_WHERE_ANY);
	CU_ASSERT(w & (1u << FP_REGION_UNKNOWN));
	CU_ASSERT_EQUAL(fp_parse_where("bogus", &w), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_where("", &w), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_where("data,,pad", &w), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_where("data,", &w), -EINVAL);

	CU_ASSERT_EQUAL(fp_parse_pdu_types("C2HData,r2t", &t), 0);
	CU_ASSERT_EQUAL(t, (1u << 7) | (1u << 9));
	CU_ASSERT_EQUAL(fp_parse_pdu_types("0x05", &t), 0);
	CU_ASSERT_EQUAL(t, 1u << 5);
	CU_ASSERT_EQUAL(fp_parse_pdu_types("icreq,ICResp,CapsuleCmd,capsuleresp,h2cdata", &t), 0);
	CU_ASSERT_EQUAL(t, 0x73u);
	CU_ASSERT_EQUAL(fp_parse_pdu_types("0x08", &t), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_pdu_types("300", &t), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_pdu_types("C2H", &t), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_pdu_types("", &t), -EINVAL);
}

static void
test_parse_hostport(void)
{
	char host[64], port[8], tiny[4];

	CU_ASSERT_EQUAL(fp_parse_hostport("127.0.0.1:4420", host, sizeof(host), port, sizeof(port)), 0);
	CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(port, "4420");
	CU_ASSERT_EQUAL(fp_parse_hostport("[::1]:4421", host, sizeof(host), port, sizeof(port)), 0);
	CU_ASSERT_STRING_EQUAL(host, "::1");
	CU_ASSERT_STRING_EQUAL(port, "4421");
	CU_ASSERT_EQUAL(fp_parse_hostport("localhost:0", host, sizeof(host), port, sizeof(port)), 0);
	CU_ASSERT_STRING_EQUAL(host, "localhost");
	CU_ASSERT_STRING_EQUAL(port, "0");

	CU_ASSERT_EQUAL(fp_parse_hostport("::1:4420", host, sizeof(host), port, sizeof(port)), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_hostport("host", host, sizeof(host), port, sizeof(port)), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_hostport(":4420", host, sizeof(host), port, sizeof(port)), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_hostport("h:", host, sizeof(host), port, sizeof(port)), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_hostport("h:65536", host, sizeof(host), port, sizeof(port)), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_hostport("h:http", host, sizeof(host), port, sizeof(port)), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_hostport("[::1]4420", host, sizeof(host), port, sizeof(port)), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_hostport("[::1:4420", host, sizeof(host), port, sizeof(port)), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_hostport("[]:4420", host, sizeof(host), port, sizeof(port)), -EINVAL);
	CU_ASSERT_EQUAL(fp_parse_hostport("abcdef:1", tiny, sizeof(tiny), port, sizeof(port)),
			-ENAMETOOLONG);
	CU_ASSERT_EQUAL(fp_parse_hostport(NULL, host, sizeof(host), port, sizeof(port)), -EINVAL);
}

static void
test_parse_reset_how(void)
{
	enum fp_reset_how how;

	CU_ASSERT_EQUAL(fp_parse_reset_how("rst", &how), 0);
	CU_ASSERT_EQUAL(how, FP_RESET_RST);
	CU_ASSERT_EQUAL(fp_parse_reset_how("FIN", &how), 0);
	CU_ASSERT_EQUAL(how, FP_RESET_FIN);
	CU_ASSERT_EQUAL(fp_parse_reset_how("mixed", &how), 0);
	CU_ASSERT_EQUAL(how, FP_RESET_MIXED);
	CU_ASSERT_EQUAL(fp_parse_reset_how("close", &how), -EINVAL);
}

static void
test_rng_reproducible(void)
{
	struct fp_rng a, b, c;
	bool differ = false;

	fp_rng_seed(&a, 42, 1);
	fp_rng_seed(&b, 42, 1);
	fp_rng_seed(&c, 42, 2);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = fp_rng_next(&a), y = fp_rng_next(&b), z = fp_rng_next(&c);

		CU_ASSERT_EQUAL_FATAL(x, y);
		differ |= x != z;
	}
	/* Another stream of the same seed is another sequence. */
	CU_ASSERT(differ);
	fp_rng_seed(&a, 43, 1);
	fp_rng_seed(&b, 42, 1);
	CU_ASSERT_NOT_EQUAL(fp_rng_next(&a), fp_rng_next(&b));
}

static void
test_rng_ranges(void)
{
	struct fp_rng r;
	struct fp_range range = {.lo = 10, .hi = 13};
	bool seen[4] = {false};
	unsigned int hits = 0;

	fp_rng_seed(&r, 7, 0);
	CU_ASSERT_EQUAL(fp_rng_below(&r, 0), 0);
	CU_ASSERT_EQUAL(fp_rng_below(&r, 1), 0);
	for (int i = 0; i < 1000; i++) {
		uint64_t v = fp_rng_range(&r, &range);

		CU_ASSERT_FATAL(v >= 10 && v <= 13);
		seen[v - 10] = true;
		CU_ASSERT_FATAL(fp_rng_below(&r, 3) < 3);
	}
	CU_ASSERT(seen[0] && seen[1] && seen[2] && seen[3]);
	range.lo = range.hi = 99;
	CU_ASSERT_EQUAL(fp_rng_range(&r, &range), 99);
	range.lo = 0;
	range.hi = UINT64_MAX;
	(void)fp_rng_range(&r, &range); /* the full range must not overflow */

	for (int i = 0; i < 1000; i++) {
		CU_ASSERT_FATAL(!fp_rng_chance(&r, 0));
		CU_ASSERT_FATAL(fp_rng_chance(&r, FP_PPM));
	}
	for (int i = 0; i < 10000; i++) {
		hits += fp_rng_chance(&r, FP_PPM / 2);
	}
	/* Half, give or take 5 standard deviations (50). */
	CU_ASSERT(hits > 4750 && hits < 5250);
}

static void
test_rng_every(void)
{
	struct fp_rng r;
	struct fp_range one = {.lo = 1000, .hi = 1000}, two = {.lo = 5, .hi = 6};
	struct fp_range zero = {.lo = 0, .hi = 0}, small = {.lo = 1, .hi = 1};
	uint64_t min = UINT64_MAX, max = 0;

	fp_rng_seed(&r, 1, 0);
	for (int i = 0; i < 5000; i++) {
		uint64_t v = fp_rng_every(&r, &one);

		min = NVTCP_MIN(min, v);
		max = NVTCP_MAX(max, v);
		CU_ASSERT_FATAL(v >= 500 && v <= 1500);
		v = fp_rng_every(&r, &two);
		CU_ASSERT_FATAL(v == 5 || v == 6);
		/* Never 0: a countdown of 0 would fire on every byte. */
		CU_ASSERT_FATAL(fp_rng_every(&r, &zero) == 1);
		CU_ASSERT_FATAL(fp_rng_every(&r, &small) >= 1);
	}
	/* Spread over the whole window, not a lattice. */
	CU_ASSERT(min < 600 && max > 1400);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("fault_proxy_schedule", NULL, NULL);

	CU_ADD_TEST(s, test_parse_range);
	CU_ADD_TEST(s, test_parse_prob);
	CU_ADD_TEST(s, test_split_dir);
	CU_ADD_TEST(s, test_parse_stall);
	CU_ADD_TEST(s, test_parse_coalesce);
	CU_ADD_TEST(s, test_parse_where_types);
	CU_ADD_TEST(s, test_parse_hostport);
	CU_ADD_TEST(s, test_parse_reset_how);
	CU_ADD_TEST(s, test_rng_reproducible);
	CU_ADD_TEST(s, test_rng_ranges);
	CU_ADD_TEST(s, test_rng_every);
}

NVTCP_UT_MAIN(add_tests)
