/*
 * Unit tests of nvtcp_perf's rate limiter (app/perf/perf_rate.h), on a simulated clock.
 */
#include <stdint.h>

#include "ut.h"

#include "perf_rate.h"

#define HZ 2600000000ull

/* Offer an I/O every \p step ticks from \p from to \p to; count the ones let through. */
static uint64_t
run(struct perf_rate *r, uint64_t from, uint64_t to, uint64_t step)
{
	uint64_t n = 0;

	for (uint64_t t = from; t < to; t += step) {
		while (perf_rate_take(r, t)) {
			n++;
		}
	}
	return n;
}

static void
test_steady_rate(void)
{
	uint64_t rates[] = {1, 999, 20000, 123457, 1000000};

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct perf_rate r;
		uint64_t n;

		perf_rate_init(&r, HZ, rates[i], 10000, 1000);
		/* Polled every microsecond for 2 s: exactly rate * 2 (plus the first token). */
		n = run(&r, 1000, 1000 + 2 * HZ, HZ / 1000000);
		CU_ASSERT(n >= rates[i] * 2 && n <= rates[i] * 2 + 1);
	}
}

/* A rate that does not divide the tick rate does not drift over a long run. */
static void
test_no_drift(void)
{
	struct perf_rate r;
	uint64_t n;

	perf_rate_init(&r, 3000000007ull, 7777, 10000, 0);
	n = run(&r, 0, 3000000007ull * 100, 3000000007ull / 10000);
	CU_ASSERT(n >= 777700 && n <= 777701);
}

/* A stall shorter than the window is caught up; longer, only the window is. */
static void
test_stall(void)
{
	struct perf_rate r;
	uint64_t n;

	/* 100000/s = one per 10 us; window 10 ms = 1000 I/Os. */
	perf_rate_init(&r, HZ, 100000, 10000, 0);
	CU_ASSERT_TRUE(perf_rate_take(&r, 0));
	CU_ASSERT_FALSE(perf_rate_take(&r, 0));
	/* 5 ms later: 500 due at once. */
	n = run(&r, HZ / 200, HZ / 200 + 1, 1);
	CU_ASSERT(n >= 499 && n <= 501);
	/* Then 1 s of nothing: at most the window (1000 + 1) at once. */
	n = run(&r, HZ / 200 + HZ, HZ / 200 + HZ + 1, 1);
	CU_ASSERT(n >= 1000 && n <= 1001);
	/* And the steady rate afterwards. */
	n = run(&r, HZ / 200 + HZ + 1, HZ / 200 + 2 * HZ, HZ / 100000);
	CU_ASSERT(n >= 99990 && n <= 100010);
}

/* A tiny window still lets one I/O through per interval. */
static void
test_tiny_window(void)
{
	struct perf_rate r;

	perf_rate_init(&r, HZ, 1000, 0, 0);
	CU_ASSERT_EQUAL(r.window, r.interval);
	CU_ASSERT_TRUE(perf_rate_take(&r, 0));
	CU_ASSERT_FALSE(perf_rate_take(&r, HZ / 2000));
	CU_ASSERT_TRUE(perf_rate_take(&r, HZ / 1000));
	CU_ASSERT_FALSE(perf_rate_take(&r, HZ / 1000));
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("perf_rate", NULL, NULL);

	CU_ADD_TEST(s, test_steady_rate);
	CU_ADD_TEST(s, test_no_drift);
	CU_ADD_TEST(s, test_stall);
	CU_ADD_TEST(s, test_tiny_window);
}

NVTCP_UT_MAIN(add_tests)
