/*
 * Unit tests of nvtcp_perf's latency histogram (app/perf/perf_hist.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ut.h"

#include "perf_hist.c"

static struct perf_hist *
hist_new(void)
{
	struct perf_hist *h = calloc(1, sizeof(*h));

	CU_ASSERT_FATAL(h != NULL);
	return h;
}

/* Every value lands in a bucket whose [start, end) holds it. */
static void
test_bucket_contains_value(void)
{
	uint64_t vals[] = {0, 1, 2, 127, 128, 129, 255, 256, 257, 511, 512, 1000, 4095, 4096,
			   123456, 1ull << 32, (1ull << 32) + 12345, 1ull << 62, (1ull << 63) - 1,
			   1ull << 63, UINT64_MAX - 1, UINT64_MAX};

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint32_t idx = perf_hist_index(vals[i]);

		CU_ASSERT(idx < PERF_HIST_BUCKETS);
		CU_ASSERT(perf_hist_bucket_start(idx) <= vals[i]);
		if (perf_hist_bucket_end(idx) != UINT64_MAX) {
			CU_ASSERT(vals[i] < perf_hist_bucket_end(idx));
		}
	}
	/* A pseudo-random sweep over every magnitude. */
	uint64_t x = 88172645463325252ull;

	for (int i = 0; i < 100000; i++) {
		uint64_t v;
		uint32_t idx;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x >> (x % 64);
		idx = perf_hist_index(v);
		CU_ASSERT_FATAL(idx < PERF_HIST_BUCKETS);
		CU_ASSERT_FATAL(perf_hist_bucket_start(idx) <= v);
		CU_ASSERT_FATAL(perf_hist_bucket_end(idx) == UINT64_MAX ||
				v < perf_hist_bucket_end(idx));
	}
}

/* Buckets tile the number line: each ends where the next starts, and the first starts at 0. */
static void
test_buckets_contiguous(void)
{
	CU_ASSERT_EQUAL(perf_hist_bucket_start(0), 0);
	for (uint32_t i = 0; i + 1 < PERF_HIST_BUCKETS; i++) {
		CU_ASSERT_EQUAL_FATAL(perf_hist_bucket_end(i), perf_hist_bucket_start(i + 1));
		CU_ASSERT_FATAL(perf_hist_bucket_start(i) < perf_hist_bucket_end(i));
	}
	CU_ASSERT_EQUAL(perf_hist_bucket_end(PERF_HIST_BUCKETS - 1), UINT64_MAX);
}

/* Small values are exact; larger ones have a relative bucket width of at most 1/128. */
static void
test_resolution(void)
{
	for (uint64_t v = 0; v < 256; v++) {
		uint32_t idx = perf_hist_index(v);

		CU_ASSERT_EQUAL(perf_hist_bucket_start(idx), v);
		CU_ASSERT_EQUAL(perf_hist_bucket_end(idx), v + 1);
	}
	for (uint32_t i = 256; i < PERF_HIST_BUCKETS - 1; i++) {
		uint64_t s = perf_hist_bucket_start(i), e = perf_hist_bucket_end(i);

		CU_ASSERT_FATAL((double)(e - s) / (double)s <= 1.0 / 128 + 1e-12);
	}
}

static void
test_percentiles(void)
{
	struct perf_hist *h = hist_new();
	uint64_t p50, p99, p100;

	CU_ASSERT_EQUAL(perf_hist_percentile(h, 0.5), 0);
	CU_ASSERT_EQUAL(perf_hist_total(h), 0);
	for (uint64_t v = 1; v <= 100000; v++) {
		perf_hist_tally(h, v);
	}
	CU_ASSERT_EQUAL(perf_hist_total(h), 100000);
	p50 = perf_hist_percentile(h, 0.50);
	p99 = perf_hist_percentile(h, 0.99);
	p100 = perf_hist_percentile(h, 1.0);
	/* The bound is the end of the bucket: within one bucket width above the exact value. */
	CU_ASSERT(p50 >= 50000 && p50 <= 50000 + 50000 / 128 + 1);
	CU_ASSERT(p99 >= 99000 && p99 <= 99000 + 99000 / 128 + 1);
	CU_ASSERT_EQUAL(p100, perf_hist_bucket_end(perf_hist_index(100000)));
	/* Above 1 (rounding): still the last non-empty bucket. */
	CU_ASSERT_EQUAL(perf_hist_percentile(h, 1.5), p100);
	free(h);
}

/* A bimodal distribution: percentiles land in the right mode. */
static void
test_percentiles_bimodal(void)
{
	struct perf_hist *h = hist_new();

	for (int i = 0; i < 900; i++) {
		perf_hist_tally(h, 100);
	}
	for (int i = 0; i < 100; i++) {
		perf_hist_tally(h, 1000000);
	}
	CU_ASSERT_EQUAL(perf_hist_percentile(h, 0.50), 101);
	CU_ASSERT_EQUAL(perf_hist_percentile(h, 0.90), 101);
	CU_ASSERT(perf_hist_percentile(h, 0.901) > 1000000);
	CU_ASSERT(perf_hist_percentile(h, 0.901) <= 1000000 + 1000000 / 128 + 1);
	free(h);
}

struct iter_ctx {
	uint64_t calls;
	uint64_t sum;
	uint64_t last_so_far;
	uint64_t total;
	uint64_t prev_end;
	int bad;
};

static void
iter_fn(void *arg, uint64_t start, uint64_t end, uint64_t count, uint64_t total, uint64_t so_far)
{
	struct iter_ctx *c = arg;

	if (c->calls > 0 && start != c->prev_end) {
		c->bad++;
	}
	c->prev_end = end;
	c->calls++;
	c->sum += count;
	if (so_far < c->last_so_far) {
		c->bad++;
	}
	c->last_so_far = so_far;
	c->total = total;
}

static void
test_iterate_merge_reset(void)
{
	struct perf_hist *a = hist_new(), *b = hist_new();
	struct iter_ctx ic;

	perf_hist_tally(a, 5);
	perf_hist_tally(a, 5000);
	perf_hist_tally(b, 5);
	perf_hist_tally(b, 1ull << 40);
	perf_hist_merge(a, b);
	CU_ASSERT_EQUAL(perf_hist_total(a), 4);
	CU_ASSERT_EQUAL(a->bucket[perf_hist_index(5)], 2);

	memset(&ic, 0, sizeof(ic));
	perf_hist_iterate(a, iter_fn, &ic);
	CU_ASSERT_EQUAL(ic.calls, PERF_HIST_BUCKETS);
	CU_ASSERT_EQUAL(ic.sum, 4);
	CU_ASSERT_EQUAL(ic.last_so_far, 4);
	CU_ASSERT_EQUAL(ic.total, 4);
	CU_ASSERT_EQUAL(ic.bad, 0);

	perf_hist_reset(a);
	CU_ASSERT_EQUAL(perf_hist_total(a), 0);
	CU_ASSERT_EQUAL(perf_hist_percentile(a, 0.99), 0);
	free(a);
	free(b);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("perf_hist", NULL, NULL);

	CU_ADD_TEST(s, test_bucket_contains_value);
	CU_ADD_TEST(s, test_buckets_contiguous);
	CU_ADD_TEST(s, test_resolution);
	CU_ADD_TEST(s, test_percentiles);
	CU_ADD_TEST(s, test_percentiles_bimodal);
	CU_ADD_TEST(s, test_iterate_merge_reset);
}

NVTCP_UT_MAIN(add_tests)
