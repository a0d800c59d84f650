/*
 * io_verify: a data-verification workload on the nvtcp host API (see io_verify.c for the
 * options). Shared declarations of io_verify.c (set-up, report) and engine.c (the workload).
 *
 * Every written block carries a header (magic, NSID, LBA, write stamp, seed) followed by a
 * pattern derived from the same values. An in-memory shadow keeps, for each block of the region
 * under test, the stamp of the last write that completed successfully (0: unknown content), so
 * that every read can be checked block by block. In-flight I/Os never overlap (each holds a lock
 * on its LBA range), so the expected content of every block is always defined.
 */
#ifndef IO_VERIFY_H
#define IO_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "nvtcp/nvme.h"

#define IV_TOOL "io_verify"
/* Block header magic, "NVTV" little-endian. */
#define IV_MAGIC 0x5654564Eu
#define IV_MAX_CTRLRS 16
#define IV_MIN_IO 512u
#define IV_MAX_IO (1024u * 1024u)
/* Mismatches described in detail (the rest are counted). */
#define IV_MAX_MISMATCH_REPORTS 20

/** The header at the start of every written block (32 bytes, little-endian). */
struct iv_block_hdr {
	uint32_t magic;
	uint32_t nsid;
	uint64_t lba;
	uint64_t stamp;
	uint64_t seed;
};

struct iv_ctrlr;
struct iv_qpair;

/** A namespace under test. */
struct iv_ns {
	struct nvtcp_ns *ns;
	struct iv_ctrlr *ctrlr;
	uint32_t nsid;
	uint32_t block_size;
	/** Blocks [0, region_blocks) are used. */
	uint64_t region_blocks;
	/** I/O size limits in blocks. */
	uint32_t min_blocks;
	uint32_t max_blocks;
	/** Per block: stamp of the last successful write, 0 = content unknown. */
	uint64_t *stamp;
	/** In-flight I/Os on this namespace (their LBA ranges are locked). */
	struct iv_io *inflight;
	/** Next block of the sequential phases (prefill, final verification). */
	uint64_t seq_cursor;
};

/** One I/O slot of a queue pair (depth slots per queue pair). */
struct iv_io {
	struct iv_qpair *qp;
	struct iv_ns *ns;
	bool busy;
	bool is_write;
	uint64_t lba;
	uint32_t nblocks;
	uint64_t stamp;
	uint8_t *buf;
	/* Range-lock list of the namespace. */
	struct iv_io *lock_next;
	struct iv_io *lock_prev;
};

struct iv_qpair {
	struct nvtcp_qpair *qpair;
	struct iv_ctrlr *ctrlr;
	struct iv_io *ios;
	uint32_t inflight;
};

struct iv_ctrlr {
	struct nvtcp_ctrlr *ctrlr;
	char trid[1024];
	struct iv_ns *ns;
	uint32_t num_ns;
	struct iv_qpair *qpairs;
	uint32_t num_qpairs;
};

enum iv_size_dist {
	IV_SIZE_LOG = 0,
	IV_SIZE_UNIFORM,
};

/** Options (see usage in io_verify.c). */
struct iv_opts {
	const char *trids[IV_MAX_CTRLRS];
	uint32_t num_trids;
	uint32_t qpairs;
	uint32_t depth;
	uint64_t num_ios;
	uint32_t min_size;
	uint32_t max_size;
	enum iv_size_dist size_dist;
	uint32_t read_pct;
	bool hdgst;
	bool ddgst;
	uint64_t seed;
	uint64_t region;
	bool region_given;
	bool prefill;
	bool final_verify;
	uint32_t time_limit_s;
	const char *hostnqn;
	bool log_set;
	int log_level;
	bool verbose;
};

/** Counters of a run. */
struct iv_stats {
	uint64_t reads;
	uint64_t writes;
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t errors;
	uint64_t mismatched_blocks;
	uint64_t verified_blocks;
	uint64_t unverified_blocks;
	uint64_t prefill_ios;
	uint64_t final_ios;
};

/** The whole run. */
struct iv_run {
	struct iv_opts opts;
	struct iv_ctrlr ctrlrs[IV_MAX_CTRLRS];
	uint32_t num_ctrlrs;
	struct nvtcp_poll_group *group;
	struct iv_stats stats;
	uint64_t rng;
	uint64_t next_stamp;
	uint32_t mismatch_reports;
	/** Set by SIGINT/SIGTERM. */
	volatile int *stop;
	/** Why the run failed early ("" = it did not). */
	char abort_reason[1536];
};

/**
 * Run the phases: prefill (optional), the random mixed workload, the final verification
 * (optional). Returns 0 when every I/O completed; data mismatches are counted in run->stats.
 */
int iv_engine_run(struct iv_run *run);

/** Fill \p buf (nblocks blocks of \p ns) with the content of a write with \p stamp. */
void iv_fill(const struct iv_run *run, const struct iv_ns *ns, uint8_t *buf, uint64_t lba,
	     uint32_t nblocks, uint64_t stamp);

/**
 * Check the checker: blocks filled and verified, single corrupted bytes found at their offset,
 * wrong LBA/stamp/NSID/seed detected. Returns 0 when it works.
 */
int iv_selftest(void);

/** Monotonic milliseconds. */
uint64_t iv_now_ms(void);

#endif /* IO_VERIFY_H */
