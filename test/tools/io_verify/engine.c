/*
 * io_verify's workload engine: keeps every I/O slot of every queue pair busy with random reads
 * and writes (plus the optional sequential prefill and final verification), polls all queue
 * pairs through one poll group, and checks every block that is read against the shadow.
 *
 * Everything runs on one thread: completion callbacks run inside
 * nvtcp_poll_group_process_completions(), and submission happens between polls.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nvtcp/util.h"

#include "io_verify.h"

/* Consecutive polls that completed nothing before the loop naps (a tool, not a benchmark:
 * leave the CPU to the target when the target is slow, e.g. under emulation). */
#define IDLE_POLLS_BEFORE_NAP 256
#define NAP_NS 20000
/* How long to wait for outstanding I/Os after the run stops early. */
#define DRAIN_TIMEOUT_MS 60000
#define PROGRESS_INTERVAL_MS 5000
#define MAX_ERROR_REPORTS 20
/* The admin queue is polled this often: keep-alives (KATO/2), AERs and controller recovery
 * advance only there. */
#define ADMIN_POLL_MS 10

enum iv_phase {
	PH_PREFILL,
	PH_RANDOM,
	PH_FINAL,
};

static const char *const g_phase_names[] = {
	[PH_PREFILL] = "prefill",
	[PH_RANDOM] = "random",
	[PH_FINAL] = "final verification",
};

struct engine {
	struct iv_run *run;
	enum iv_phase phase;
	/* I/Os submitted in the current phase (random phase: bounded by num_ios). */
	uint64_t issued;
	uint64_t completed;
	uint32_t inflight;
	uint32_t error_reports;
	bool failed;
};

/* One run per process: the completion callbacks find their engine here. */
static struct engine g_eng;

uint64_t
iv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* xorshift64*: the workload's choices (sizes, offsets, operations). */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, n) (n > 0); the modulo bias is irrelevant here. */
static uint64_t
rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

/* splitmix64: the data pattern, a pure function of its state. */
static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t
block_key(const struct iv_run *run, const struct iv_ns *ns, uint64_t lba, uint64_t stamp)
{
	uint64_t k = run->opts.seed ^ ((uint64_t)ns->nsid << 48) ^ (lba * 0xD6E8FEB86659FD93ull) ^
		     (stamp * 0xA0761D6478BD642Full);

	return splitmix(&k);
}

static void
fill_block(const struct iv_run *run, const struct iv_ns *ns, uint8_t *blk, uint64_t lba,
	   uint64_t stamp)
{
	struct iv_block_hdr hdr = {
		.magic = IV_MAGIC, .nsid = ns->nsid, .lba = lba, .stamp = stamp,
		.seed = run->opts.seed,
	};
	uint64_t state = block_key(run, ns, lba, stamp);

	memcpy(blk, &hdr, sizeof(hdr));
	for (uint32_t off = sizeof(hdr); off < ns->block_size; off += 8) {
		uint64_t w = splitmix(&state);

		memcpy(blk + off, &w, 8);
	}
}

void
iv_fill(const struct iv_run *run, const struct iv_ns *ns, uint8_t *buf, uint64_t lba,
	uint32_t nblocks, uint64_t stamp)
{
	for (uint32_t i = 0; i < nblocks; i++) {
		fill_block(run, ns, buf + (size_t)i * ns->block_size, lba + i, stamp);
	}
}

/* Offset of the first byte that differs from the expected block, or -1 when it matches. */
static int64_t
check_block(const struct iv_run *run, const struct iv_ns *ns, const uint8_t *blk, uint64_t lba,
	    uint64_t stamp, uint8_t *expected_byte)
{
	struct iv_block_hdr hdr = {
		.magic = IV_MAGIC, .nsid = ns->nsid, .lba = lba, .stamp = stamp,
		.seed = run->opts.seed,
	};
	uint64_t state = block_key(run, ns, lba, stamp);
	const uint8_t *h = (const uint8_t *)&hdr;

	for (uint32_t i = 0; i < sizeof(hdr); i++) {
		if (blk[i] != h[i]) {
			*expected_byte = h[i];
			return i;
		}
	}
	for (uint32_t off = sizeof(hdr); off < ns->block_size; off += 8) {
		uint64_t w = splitmix(&state);

		if (memcmp(blk + off, &w, 8) != 0) {
			const uint8_t *e = (const uint8_t *)&w;

			for (uint32_t j = 0; j < 8; j++) {
				if (blk[off + j] != e[j]) {
					*expected_byte = e[j];
					return off + j;
				}
			}
		}
	}
	return -1;
}

static void
report_mismatch(struct iv_run *run, const struct iv_ns *ns, const uint8_t *blk, uint64_t lba,
		uint64_t stamp, int64_t off, uint8_t expected_byte)
{
	struct iv_block_hdr found;

	run->stats.mismatched_blocks++;
	if (run->mismatch_reports >= IV_MAX_MISMATCH_REPORTS) {
		return;
	}
	run->mismatch_reports++;
	memcpy(&found, blk, sizeof(found));
	printf("MISMATCH %s nsid %u lba %" PRIu64 ": expected the data of write stamp %" PRIu64
	       " (seed 0x%" PRIx64 "); found header magic 0x%08x nsid %u lba %" PRIu64
	       " stamp %" PRIu64 " seed 0x%" PRIx64 "; first difference at byte %" PRId64
	       ": expected 0x%02x, found 0x%02x\n",
	       ns->ctrlr->trid, ns->nsid, lba, stamp, run->opts.seed, found.magic, found.nsid,
	       found.lba, found.stamp, found.seed, off, expected_byte, blk[off]);
	fflush(stdout);
}

static bool
range_free(const struct iv_ns *ns, uint64_t lba, uint32_t n)
{
	for (const struct iv_io *io = ns->inflight; io != NULL; io = io->lock_next) {
		if (lba < io->lba + io->nblocks && io->lba < lba + n) {
			return false;
		}
	}
	return true;
}

static void
range_lock(struct iv_io *io)
{
	struct iv_ns *ns = io->ns;

	io->lock_prev = NULL;
	io->lock_next = ns->inflight;
	if (ns->inflight != NULL) {
		ns->inflight->lock_prev = io;
	}
	ns->inflight = io;
}

static void
range_unlock(struct iv_io *io)
{
	if (io->lock_prev != NULL) {
		io->lock_prev->lock_next = io->lock_next;
	} else {
		io->ns->inflight = io->lock_next;
	}
	if (io->lock_next != NULL) {
		io->lock_next->lock_prev = io->lock_prev;
	}
	io->lock_next = io->lock_prev = NULL;
}

static void
io_error(struct engine *e, const struct iv_io *io, const struct nvtcp_nvme_cpl *cpl)
{
	e->run->stats.errors++;
	if (e->error_reports++ >= MAX_ERROR_REPORTS) {
		return;
	}
	printf("I/O ERROR %s nsid %u %s lba %" PRIu64 " blocks %u: %s (SCT 0x%x, SC 0x%02x%s)\n",
	       io->ns->ctrlr->trid, io->ns->nsid, io->is_write ? "write" : "read", io->lba,
	       io->nblocks, nvtcp_nvme_status_str(cpl->status), nvtcp_nvme_status_sct(cpl->status),
	       nvtcp_nvme_status_sc(cpl->status),
	       nvtcp_nvme_status_dnr(cpl->status) ? ", DNR" : "");
	fflush(stdout);
}

static void
io_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct iv_io *io = cb_arg;
	struct engine *e = &g_eng;
	struct iv_run *run = e->run;
	struct iv_ns *ns = io->ns;
	uint64_t bytes = (uint64_t)io->nblocks * ns->block_size;

	if (!io->busy) {
		/* A second completion for the same command would break "exactly once". */
		printf("DRIVER BUG: completion for an idle slot (nsid %u lba %" PRIu64 ")\n",
		       ns->nsid, io->lba);
		run->stats.errors++;
		return;
	}
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		io_error(e, io, cpl);
		if (io->is_write) {
			/* The blocks may hold old or new data, or a mix: stop checking them. */
			for (uint32_t i = 0; i < io->nblocks; i++) {
				ns->stamp[io->lba + i] = 0;
			}
		}
	} else if (io->is_write) {
		for (uint32_t i = 0; i < io->nblocks; i++) {
			ns->stamp[io->lba + i] = io->stamp;
		}
		run->stats.writes++;
		run->stats.bytes_written += bytes;
	} else {
		for (uint32_t i = 0; i < io->nblocks; i++) {
			uint64_t stamp = ns->stamp[io->lba + i];
			const uint8_t *blk = io->buf + (size_t)i * ns->block_size;
			uint8_t expected_byte = 0;
			int64_t off;

			if (stamp == 0) {
				run->stats.unverified_blocks++;
				continue;
			}
			off = check_block(run, ns, blk, io->lba + i, stamp, &expected_byte);
			if (off >= 0) {
				report_mismatch(run, ns, blk, io->lba + i, stamp, off, expected_byte);
			} else {
				run->stats.verified_blocks++;
			}
		}
		run->stats.reads++;
		run->stats.bytes_read += bytes;
	}
	if (e->phase == PH_PREFILL) {
		run->stats.prefill_ios++;
	} else if (e->phase == PH_FINAL) {
		run->stats.final_ios++;
	}
	range_unlock(io);
	io->busy = false;
	io->qp->inflight--;
	e->inflight--;
	e->completed++;
}

/* Blocks for a random I/O on \p ns: log-uniform (small sizes as likely as large ranges of
 * sizes) or uniform between the limits. */
static uint32_t
pick_blocks(struct iv_run *run, const struct iv_ns *ns)
{
	uint32_t lo = ns->min_blocks, hi = ns->max_blocks;

	if (lo >= hi) {
		return lo;
	}
	if (run->opts.size_dist == IV_SIZE_UNIFORM) {
		return lo + (uint32_t)rng_below(&run->rng, (uint64_t)hi - lo + 1);
	}
	/* Pick a power-of-two band between lo and hi, then a size inside it. */
	{
		uint32_t bands = 0, band, blo, bhi;

		while (((uint64_t)lo << bands) < hi) {
			bands++;
		}
		band = (uint32_t)rng_below(&run->rng, (uint64_t)bands + 1);
		blo = lo << band > hi ? hi : lo << band;
		bhi = band == bands ? hi : (blo << 1) - 1;
		if (bhi > hi) {
			bhi = hi;
		}
		return blo + (uint32_t)rng_below(&run->rng, (uint64_t)bhi - blo + 1);
	}
}

/*
 * Choose the next I/O for a free slot. Returns false when there is nothing to do now (phase
 * exhausted, or every try overlapped an in-flight range).
 */
static bool
plan_io(struct engine *e, struct iv_io *io)
{
	struct iv_run *run = e->run;
	struct iv_ctrlr *c = io->qp->ctrlr;

	if (e->phase == PH_RANDOM) {
		if (e->issued >= run->opts.num_ios) {
			return false;
		}
		for (int attempt = 0; attempt < 8; attempt++) {
			struct iv_ns *ns = &c->ns[rng_below(&run->rng, c->num_ns)];
			uint32_t n = pick_blocks(run, ns);
			uint64_t lba = rng_below(&run->rng, ns->region_blocks - n + 1);

			if (range_free(ns, lba, n)) {
				io->ns = ns;
				io->lba = lba;
				io->nblocks = n;
				io->is_write = rng_below(&run->rng, 100) >= run->opts.read_pct;
				return true;
			}
		}
		return false;
	}
	/* Sequential phases: the next chunk of the first namespace not finished yet. */
	for (uint32_t i = 0; i < c->num_ns; i++) {
		struct iv_ns *ns = &c->ns[i];
		uint64_t left = ns->region_blocks - ns->seq_cursor;

		if (left == 0) {
			continue;
		}
		io->ns = ns;
		io->lba = ns->seq_cursor;
		io->nblocks = (uint32_t)(left < ns->max_blocks ? left : ns->max_blocks);
		io->is_write = e->phase == PH_PREFILL;
		ns->seq_cursor += io->nblocks;
		return true;
	}
	return false;
}

/* Submit the planned I/O. Returns 0, -EAGAIN (try again later) or a fatal negative errno. */
static int
submit(struct engine *e, struct iv_io *io)
{
	struct iv_run *run = e->run;
	struct iv_ns *ns = io->ns;
	int rc;

	/* Lock and count first: a driver may complete a command from inside the submit call. */
	range_lock(io);
	io->busy = true;
	io->qp->inflight++;
	e->inflight++;
	if (io->is_write) {
		io->stamp = run->next_stamp++;
		iv_fill(run, ns, io->buf, io->lba, io->nblocks, io->stamp);
		rc = nvtcp_ns_cmd_write(ns->ns, io->qp->qpair, io->buf, io->lba, io->nblocks,
					io_done, io, 0);
	} else {
		rc = nvtcp_ns_cmd_read(ns->ns, io->qp->qpair, io->buf, io->lba, io->nblocks,
				       io_done, io, 0);
	}
	if (rc == 0) {
		return 0;
	}
	range_unlock(io);
	io->busy = false;
	io->qp->inflight--;
	e->inflight--;
	if (rc == -EAGAIN) {
		if (e->phase != PH_RANDOM) {
			/* Give the chunk back to the sequential cursor. */
			ns->seq_cursor = io->lba;
		}
		return -EAGAIN;
	}
	snprintf(run->abort_reason, sizeof(run->abort_reason),
		 "%s nsid %u: %s submission failed: %s", ns->ctrlr->trid, ns->nsid,
		 io->is_write ? "write" : "read", strerror(-rc));
	return rc;
}

/* Fill every free slot. Returns the number submitted, or a negative errno (fatal). */
static int
submit_all(struct engine *e)
{
	struct iv_run *run = e->run;
	int submitted = 0;

	for (uint32_t c = 0; c < run->num_ctrlrs; c++) {
		struct iv_ctrlr *ctrlr = &run->ctrlrs[c];

		for (uint32_t q = 0; q < ctrlr->num_qpairs; q++) {
			struct iv_qpair *qp = &ctrlr->qpairs[q];

			for (uint32_t s = 0; s < run->opts.depth; s++) {
				struct iv_io *io = &qp->ios[s];
				int rc;

				if (io->busy || !plan_io(e, io)) {
					continue;
				}
				rc = submit(e, io);
				if (rc == -EAGAIN) {
					/* This queue pair is full: on to the next one. */
					break;
				}
				if (rc != 0) {
					return rc;
				}
				e->issued++;
				submitted++;
			}
		}
	}
	return submitted;
}

static bool
phase_done(const struct engine *e)
{
	const struct iv_run *run = e->run;

	if (e->inflight != 0) {
		return false;
	}
	if (e->phase == PH_RANDOM) {
		return e->issued >= run->opts.num_ios;
	}
	for (uint32_t c = 0; c < run->num_ctrlrs; c++) {
		for (uint32_t i = 0; i < run->ctrlrs[c].num_ns; i++) {
			const struct iv_ns *ns = &run->ctrlrs[c].ns[i];

			if (ns->seq_cursor < ns->region_blocks) {
				return false;
			}
		}
	}
	return true;
}

static void
nap(void)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = NAP_NS};

	nanosleep(&ts, NULL);
}

/* Poll every controller's admin queue (at most every ADMIN_POLL_MS). A controller that has
 * failed for good is reported; its I/O fails through the queue pairs. */
static int
poll_admin(struct iv_run *run, uint64_t now, uint64_t *next)
{
	if (now < *next) {
		return 0;
	}
	*next = now + ADMIN_POLL_MS;
	for (uint32_t c = 0; c < run->num_ctrlrs; c++) {
		int32_t rc = nvtcp_ctrlr_process_admin_completions(run->ctrlrs[c].ctrlr);

		if (rc < 0) {
			snprintf(run->abort_reason, sizeof(run->abort_reason),
				 "controller %s failed: %s", run->ctrlrs[c].trid,
				 nvtcp_ctrlr_get_failure_reason(run->ctrlrs[c].ctrlr));
			return -1;
		}
	}
	return 0;
}

/* After an early stop: wait (bounded) for what is outstanding, so buffers are not freed
 * under the driver and every I/O is accounted for. */
static void
drain(struct engine *e)
{
	uint64_t deadline = iv_now_ms() + DRAIN_TIMEOUT_MS, next_admin = 0;

	while (e->inflight > 0 && iv_now_ms() < deadline) {
		int64_t rc = nvtcp_poll_group_process_completions(e->run->group, 0);

		(void)poll_admin(e->run, iv_now_ms(), &next_admin);

		if (rc < 0) {
			break;
		}
		if (rc == 0) {
			nap();
		}
	}
	if (e->inflight > 0) {
		printf("%u I/Os still outstanding after %d s: they are failed by the queue pair "
		       "teardown\n", e->inflight, DRAIN_TIMEOUT_MS / 1000);
	}
}

static int
run_phase(struct engine *e, enum iv_phase phase, uint64_t deadline)
{
	struct iv_run *run = e->run;
	uint64_t next_progress = iv_now_ms() + PROGRESS_INTERVAL_MS, next_admin = 0;
	uint32_t idle = 0;

	e->phase = phase;
	e->issued = 0;
	e->completed = 0;
	for (uint32_t c = 0; c < run->num_ctrlrs; c++) {
		for (uint32_t i = 0; i < run->ctrlrs[c].num_ns; i++) {
			run->ctrlrs[c].ns[i].seq_cursor = 0;
		}
	}
	if (run->opts.verbose) {
		printf("phase: %s\n", g_phase_names[phase]);
		fflush(stdout);
	}
	for (;;) {
		int64_t polled;
		int submitted;
		uint64_t now;

		if (*run->stop) {
			snprintf(run->abort_reason, sizeof(run->abort_reason), "interrupted");
			break;
		}
		now = iv_now_ms();
		if (deadline != 0 && now > deadline) {
			snprintf(run->abort_reason, sizeof(run->abort_reason),
				 "time limit of %u s reached in the %s phase (%" PRIu64 " of its I/Os "
				 "completed)", run->opts.time_limit_s, g_phase_names[phase],
				 e->completed);
			break;
		}
		if (poll_admin(run, now, &next_admin) != 0) {
			break;
		}
		if (run->opts.verbose && now >= next_progress) {
			printf("  %s: %" PRIu64 " submitted, %" PRIu64 " completed, %u in flight\n",
			       g_phase_names[phase], e->issued, e->completed, e->inflight);
			fflush(stdout);
			next_progress = now + PROGRESS_INTERVAL_MS;
		}
		submitted = submit_all(e);
		if (submitted < 0) {
			break;
		}
		if (phase_done(e)) {
			return 0;
		}
		polled = nvtcp_poll_group_process_completions(run->group, 0);
		if (polled < 0) {
			snprintf(run->abort_reason, sizeof(run->abort_reason),
				 "polling the queue pairs failed: %s", strerror((int)-polled));
			break;
		}
		if (polled == 0 && submitted == 0) {
			if (++idle >= IDLE_POLLS_BEFORE_NAP) {
				nap();
			}
		} else {
			idle = 0;
		}
	}
	e->failed = true;
	drain(e);
	return -1;
}

int
iv_selftest(void)
{
	static uint8_t buf[4 * 4096];
	struct iv_run run;
	struct iv_ctrlr c;
	struct iv_ns ns;
	int failures = 0;

	memset(&run, 0, sizeof(run));
	memset(&c, 0, sizeof(c));
	memset(&ns, 0, sizeof(ns));
	run.opts.seed = 0x1234;
	ns.ctrlr = &c;
	ns.nsid = 3;
	for (uint32_t bs = 512; bs <= 4096; bs *= 8) {
		static const uint32_t offsets[] = {0, 5, 8, 16, 24, 31, 32, 100, 511};
		uint8_t exp = 0;

		ns.block_size = bs;
		iv_fill(&run, &ns, buf, 1000, 4, 77);
		for (uint32_t i = 0; i < 4; i++) {
			/* Intact blocks match; the same data checked as another LBA, stamp or
			 * namespace does not. */
			failures += check_block(&run, &ns, buf + i * bs, 1000 + i, 77, &exp) != -1;
			failures += check_block(&run, &ns, buf + i * bs, 1001 + i, 77, &exp) == -1;
			failures += check_block(&run, &ns, buf + i * bs, 1000 + i, 78, &exp) == -1;
		}
		ns.nsid = 4;
		failures += check_block(&run, &ns, buf, 1000, 77, &exp) == -1;
		ns.nsid = 3;
		/* Every single flipped byte is found, at its offset. */
		for (size_t k = 0; k < NVTCP_COUNTOF(offsets); k++) {
			uint8_t *blk = buf + 2 * bs;

			blk[offsets[k]] ^= 0x40;
			failures += check_block(&run, &ns, blk, 1002, 77, &exp) != offsets[k];
			blk[offsets[k]] ^= 0x40;
		}
		buf[3 * bs + bs - 1] ^= 1;
		failures += check_block(&run, &ns, buf + 3 * bs, 1003, 77, &exp) != bs - 1;
		/* A different seed gives different data. */
		run.opts.seed = 0x1235;
		failures += check_block(&run, &ns, buf, 1000, 77, &exp) == -1;
		run.opts.seed = 0x1234;
	}
	printf("io_verify self-test: %s\n", failures == 0 ? "PASSED" : "FAILED");
	return failures == 0 ? 0 : 1;
}

int
iv_engine_run(struct iv_run *run)
{
	uint64_t deadline = run->opts.time_limit_s != 0 ?
			    iv_now_ms() + (uint64_t)run->opts.time_limit_s * 1000 : 0;

	memset(&g_eng, 0, sizeof(g_eng));
	g_eng.run = run;
	run->next_stamp = 1;
	if (run->opts.prefill && run_phase(&g_eng, PH_PREFILL, deadline) != 0) {
		return -1;
	}
	if (run_phase(&g_eng, PH_RANDOM, deadline) != 0) {
		return -1;
	}
	if (run->opts.final_verify && run_phase(&g_eng, PH_FINAL, deadline) != 0) {
		return -1;
	}
	return 0;
}
