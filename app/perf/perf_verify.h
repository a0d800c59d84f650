/*
 * Data verification for nvtcp_perf --verify.
 *
 * Every block a verifying run writes carries a stamp: a header (magic, run seed, namespace ID,
 * LBA, write sequence number) and a body derived from the same values, so that a block from
 * another LBA, another write, another run (seed) or with any corrupted byte is caught.
 *
 * The expected content must always be defined, so I/Os in flight never overlap: the namespace's
 * I/O slots are partitioned between the workers (contexts) that use it, and within a context a
 * slot is locked from submission to completion. Each context remembers, per slot, the sequence
 * number of the last write that completed successfully (0: not written in this run, so a read
 * of it cannot be checked; PERF_VERIFY_SEQ_UNKNOWN: a write failed and was not retried to
 * success, so the content is undefined).
 */
#ifndef NVTCP_PERF_VERIFY_H
#define NVTCP_PERF_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PERF_VERIFY_MAGIC 0x5054564eu /* "NVTP" */
#define PERF_VERIFY_SEQ_NONE 0u
#define PERF_VERIFY_SEQ_UNKNOWN UINT32_MAX
/** Bytes of a block taken by the stamp header. */
#define PERF_VERIFY_HDR_SIZE 32u
/** Most I/O slots tracked per context (64 Mi: 256 MiB of expected stamps). */
#define PERF_VERIFY_MAX_SLOTS (1ull << 26)

/** What a mismatching block held, against what it should have. */
struct perf_verify_mismatch {
	uint64_t lba;                   /**< the block that failed */
	uint32_t byte_offset;           /**< first differing byte within the block */
	bool header_ok;                 /**< header matched: the body differs */
	uint32_t exp_seq;
	uint32_t exp_seed;
	uint32_t got_magic;
	uint32_t got_seed;
	uint32_t got_nsid;
	uint32_t got_seq;
	uint64_t got_lba;
	uint64_t exp_word;              /**< body: expected and found 8 bytes at byte_offset */
	uint64_t got_word;
};

/**
 * Write the stamps of \p nblocks blocks starting at \p slba into \p buf.
 *
 * \param buf Buffer of nblocks * block_size bytes (8-byte aligned).
 * \param block_size Bytes per block (a multiple of 8, at least PERF_VERIFY_HDR_SIZE).
 */
void perf_verify_fill(void *buf, uint32_t block_size, uint32_t nblocks, uint64_t slba,
		      uint32_t nsid, uint32_t seq, uint32_t seed);

/**
 * Check the stamps of \p nblocks blocks read from \p slba against the write \p seq.
 *
 * \param mm Filled with the first mismatch.
 * \return 0 when every block matches, or the number of mismatching blocks.
 */
uint32_t perf_verify_check(const void *buf, uint32_t block_size, uint32_t nblocks, uint64_t slba,
			   uint32_t nsid, uint32_t seq, uint32_t seed,
			   struct perf_verify_mismatch *mm);

/** Format a mismatch as one line (without a newline). */
void perf_verify_format(const struct perf_verify_mismatch *mm, uint32_t nsid, char *buf,
			size_t len);

/**
 * Part \p k of \p parts of \p n slots: [*first, *first + *count). The parts cover the slots
 * exactly, and differ in size by at most one.
 */
void perf_verify_partition(uint64_t n, uint32_t k, uint32_t parts, uint64_t *first,
			   uint64_t *count);

/** Per-context verification state. */
struct perf_verify_ctx {
	bool enabled;
	uint32_t nsid;
	uint32_t seed;
	uint64_t first;                 /**< first slot (I/O index in the namespace) */
	uint64_t count;                 /**< slots */
	uint32_t *expected;             /**< per slot: sequence of the last good write */
	uint64_t *busy;                 /**< per slot: in flight */
	uint32_t next_seq;
	/* counters */
	uint64_t reads_checked;
	uint64_t reads_unwritten;       /**< slot never written in this run: not checked */
	uint64_t reads_unknown;         /**< slot's last write failed: not checked */
	uint64_t writes_ok;
	uint64_t mismatches;            /**< blocks */
	uint64_t retries;               /**< errored I/Os submitted again */
	uint64_t gave_up;               /**< errored I/Os not retried to success */
	uint32_t printed;
};

/**
 * Allocate the state for \p count slots starting at slot \p first.
 *
 * \return 0, -EINVAL (count 0 or above PERF_VERIFY_MAX_SLOTS) or -ENOMEM.
 */
int perf_verify_ctx_init(struct perf_verify_ctx *v, uint64_t first, uint64_t count, uint32_t nsid,
			 uint32_t seed);

void perf_verify_ctx_fini(struct perf_verify_ctx *v);

/**
 * Lock a free slot, searching upwards (with wrap) from \p hint, an offset within the region.
 *
 * \return The slot's offset within the region, or UINT64_MAX when every slot is busy.
 */
uint64_t perf_verify_lock(struct perf_verify_ctx *v, uint64_t hint);

/** Unlock a slot (offset within the region). */
static inline void
perf_verify_unlock(struct perf_verify_ctx *v, uint64_t off)
{
	v->busy[off >> 6] &= ~(1ull << (off & 63));
}

/** Whether a slot (offset within the region) is locked. */
static inline bool
perf_verify_locked(const struct perf_verify_ctx *v, uint64_t off)
{
	return (v->busy[off >> 6] >> (off & 63)) & 1;
}

/** The next write sequence number (never NONE or UNKNOWN). */
static inline uint32_t
perf_verify_next_seq(struct perf_verify_ctx *v)
{
	uint32_t s = v->next_seq++;

	if (s == PERF_VERIFY_SEQ_NONE || s == PERF_VERIFY_SEQ_UNKNOWN) {
		s = 1;
		v->next_seq = 2;
	}
	return s;
}

#endif /* NVTCP_PERF_VERIFY_H */
