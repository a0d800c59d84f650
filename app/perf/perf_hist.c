/*
 * Log-linear latency histogram: bucket bounds, iteration and percentiles. The tally itself is
 * inline in perf_hist.h because it runs once per I/O.
 */
#include <string.h>

#include "perf_hist.h"

uint64_t
perf_hist_bucket_start(uint32_t idx)
{
	uint32_t range = idx >> PERF_HIST_SUB_BITS;
	uint64_t sub = idx & (PERF_HIST_SUB - 1);

	if (range == 0) {
		return sub;
	}
	/* Range r starts at 2^(r + SUB_BITS - 1) and has buckets 2^(r-1) wide. */
	return (1ull << (range + PERF_HIST_SUB_BITS - 1)) + (sub << (range - 1));
}

uint64_t
perf_hist_bucket_end(uint32_t idx)
{
	uint32_t range = idx >> PERF_HIST_SUB_BITS;
	uint64_t start = perf_hist_bucket_start(idx);
	uint64_t width = range == 0 ? 1 : 1ull << (range - 1);

	/* The very last bucket ends at 2^64, which does not fit. */
	return start > UINT64_MAX - width ? UINT64_MAX : start + width;
}

void
perf_hist_reset(struct perf_hist *h)
{
	memset(h->bucket, 0, sizeof(h->bucket));
}

void
perf_hist_merge(struct perf_hist *dst, const struct perf_hist *src)
{
	for (uint32_t i = 0; i < PERF_HIST_BUCKETS; i++) {
		dst->bucket[i] += src->bucket[i];
	}
}

uint64_t
perf_hist_total(const struct perf_hist *h)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < PERF_HIST_BUCKETS; i++) {
		total += h->bucket[i];
	}
	return total;
}

void
perf_hist_iterate(const struct perf_hist *h, perf_hist_fn fn, void *ctx)
{
	uint64_t total = perf_hist_total(h), so_far = 0;

	for (uint32_t i = 0; i < PERF_HIST_BUCKETS; i++) {
		so_far += h->bucket[i];
		fn(ctx, perf_hist_bucket_start(i), perf_hist_bucket_end(i), h->bucket[i], total,
		   so_far);
	}
}

uint64_t
perf_hist_percentile(const struct perf_hist *h, double p)
{
	uint64_t total = perf_hist_total(h), so_far = 0;

	if (total == 0) {
		return 0;
	}
	for (uint32_t i = 0; i < PERF_HIST_BUCKETS; i++) {
		if (h->bucket[i] == 0) {
			continue;
		}
		so_far += h->bucket[i];
		if ((double)so_far / (double)total >= p) {
			return perf_hist_bucket_end(i);
		}
	}
	/* p above 1 (or rounding at 1.0): the last non-empty bucket. */
	for (uint32_t i = PERF_HIST_BUCKETS; i-- > 0;) {
		if (h->bucket[i] != 0) {
			return perf_hist_bucket_end(i);
		}
	}
	return 0;
}
