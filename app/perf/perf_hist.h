/*
 * A log-linear histogram of tick counts, cheap enough to stay on for every I/O.
 *
 * Values are split into ranges by the position of their highest set bit; each range holds
 * PERF_HIST_SUB equal-width buckets. Ranges 0 and 1 cover 0..2*SUB-1 one value per bucket; each
 * later range doubles the width of its buckets, so the relative width of a bucket is at most
 * 1/SUB (0.8% with SUB = 128) whatever the magnitude. This is the layout spdk_nvme_perf uses, so
 * percentiles computed from it are directly comparable.
 *
 * Tallying is a count-leading-zeros, two shifts and an increment: no allocation, no sorting.
 */
#ifndef NVTCP_PERF_HIST_H
#define NVTCP_PERF_HIST_H

#include <stdint.h>

#define PERF_HIST_SUB_BITS 7
#define PERF_HIST_SUB (1u << PERF_HIST_SUB_BITS)
/** Ranges: 0, 1, then one per bit position above SUB_BITS. */
#define PERF_HIST_RANGES (64 - PERF_HIST_SUB_BITS + 1)
#define PERF_HIST_BUCKETS (PERF_HIST_RANGES * PERF_HIST_SUB)

struct perf_hist {
	uint64_t bucket[PERF_HIST_BUCKETS];
};

/** Bucket index of a value. */
static inline uint32_t
perf_hist_index(uint64_t v)
{
	uint32_t range, shift;

	if (v < (2ull << PERF_HIST_SUB_BITS)) {
		/* Ranges 0 and 1: one value per bucket, index = the value itself. */
		return (uint32_t)v;
	}
	/* Highest set bit b >= SUB_BITS + 1: range b - SUB_BITS + 1, bucket width 2^(range-1). */
	range = (uint32_t)(63 - __builtin_clzll(v)) - PERF_HIST_SUB_BITS + 1;
	shift = range - 1;
	return (range << PERF_HIST_SUB_BITS) | (uint32_t)((v >> shift) & (PERF_HIST_SUB - 1));
}

/** Count one value. */
static inline void
perf_hist_tally(struct perf_hist *h, uint64_t v)
{
	h->bucket[perf_hist_index(v)]++;
}

/** First value of bucket \p idx. */
uint64_t perf_hist_bucket_start(uint32_t idx);

/** One past the last value of bucket \p idx (saturates at UINT64_MAX). */
uint64_t perf_hist_bucket_end(uint32_t idx);

/** Zero every bucket. */
void perf_hist_reset(struct perf_hist *h);

/** Add \p src into \p dst. */
void perf_hist_merge(struct perf_hist *dst, const struct perf_hist *src);

/** Number of values counted. */
uint64_t perf_hist_total(const struct perf_hist *h);

/**
 * Called for each bucket in increasing order: [start, end) its values, \p count in it, \p total
 * in the histogram, \p so_far counted up to and including this bucket.
 */
typedef void (*perf_hist_fn)(void *ctx, uint64_t start, uint64_t end, uint64_t count,
			     uint64_t total, uint64_t so_far);

/** Visit every bucket (empty ones included: callers skip them). */
void perf_hist_iterate(const struct perf_hist *h, perf_hist_fn fn, void *ctx);

/**
 * The value below which a fraction \p p (0 < p <= 1) of the counted values lie, given as the
 * end of the first bucket where the cumulative fraction reaches \p p (the upper bound of the
 * bucket, as spdk_nvme_perf reports it).
 *
 * \return The bound, or 0 for an empty histogram.
 */
uint64_t perf_hist_percentile(const struct perf_hist *h, double p);

#endif /* NVTCP_PERF_HIST_H */
