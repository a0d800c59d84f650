/*
 * host_io: the host driver's recovery under real faults, for test/functional/host_*.sh.
 *
 * One controller; one thread per I/O queue pair, each owning its queue pair (submits and polls
 * it, and so reconnects it, inside its own poll) and a region of its own of the namespace; the
 * main thread polls the admin queue. Every thread keeps QD commands in flight: writes stamp each
 * block (LBA, a per-block sequence number, the run's seed), reads check the stamp of the last
 * write that completed successfully. A command that completes with an error is submitted again
 * (the same bytes) until it succeeds or the controller has failed for good; meanwhile its block
 * is held, so no read sees a block whose content is in doubt.
 *
 * Checked, and printed on the "host_io: result" line:
 *   - no data mismatch;
 *   - every command completes exactly once (a second completion of a slot is counted), none is
 *     lost (submitted = completed ok + completed with error once drained), the drain ends;
 *   - every queue pair's requests are back (nothing outstanding) at the end;
 *   - the expectations of the options: final controller state, reconnects, I/O resumed.
 * Exit status 0 when all hold, 1 otherwise, 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/log.h"
#include "nvtcp/nvme.h"

#define MAX_QPAIRS 16
#define MAX_QD 256
#define STAMP_MAGIC 0x6e76746370696fULL /* "nvtcpio" */
#define SEQ_NONE 0

struct stamp {
	uint64_t magic;
	uint64_t lba;
	uint64_t seq;
	uint64_t seed;
};

struct worker;

struct slot {
	struct worker *w;
	uint8_t *buf;
	uint64_t block;      /* index in the worker's region */
	uint64_t seq;        /* write: the stamp it writes */
	bool is_write;
	bool busy;           /* holds its block (a command, or a retry pending) */
	bool inflight;       /* submitted, not completed */
	bool retry;          /* resubmit the same command */
	uint64_t retry_at;   /* not before (a path error: the path is down, do not spin) */
	uint32_t retries;
};

struct worker {
	int idx;
	pthread_t thread;
	struct nvtcp_qpair *qp;
	uint64_t first_lba;  /* of the region */
	uint64_t nblocks;    /* I/Os in the region */
	uint64_t *expected;  /* per block: seq of the last successful write, SEQ_NONE */
	uint8_t *held;       /* per block: a slot holds it */
	uint64_t next_seq;
	uint64_t rng;
	struct slot slots[MAX_QD];
	/* Counters (the worker's thread; read by main after join). */
	uint64_t submitted, ok, errors, retries, mismatches, doubles, gave_up, submit_enxio;
	/* After the stop, errors are still retried until then (ns; 0: not stopped yet), so an
	 * error in the drain is retried and verified like any other. */
	uint64_t retry_until;
	uint64_t path_errors, aborted_errors;
	uint16_t seen_status[8];  /* statuses already printed once */
	uint32_t nseen;
	uint64_t last_ok_ns;
	bool qp_failed;
	bool drained;
	bool joined;
	char first_mismatch[200];
};

static struct {
	struct nvtcp_trid trid;
	uint32_t qd, nqp, io_size, seconds;
	uint64_t region;
	int32_t ctrl_loss, fast_fail;
	int64_t reconnect_delay, io_timeout, admin_timeout, kato;
	bool hdgst, ddgst;
	const char *expect_state;
	int64_t min_reconnects;
	double resume_within;
	uint64_t seed;
	bool quiet;
	const char *psk_path;
} g_opt = {
	.qd = 32, .nqp = 4, .io_size = 4096, .seconds = 10, .region = 0, .ctrl_loss = 600,
	.fast_fail = -1, .reconnect_delay = -1, .io_timeout = -1, .admin_timeout = -1, .kato = -1,
	.min_reconnects = -1, .resume_within = 0,
};

static struct nvtcp_ctrlr *g_ctrlr;
static struct nvtcp_ns *g_ns;
static uint32_t g_bs;
static atomic_bool g_stop;
static atomic_bool g_ctrlr_failed;
static uint64_t g_t0;
static struct worker g_workers[MAX_QPAIRS];

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double
since_start(void)
{
	return (double)(now_ns() - g_t0) / 1e9;
}

static uint64_t
rnd(struct worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ULL;
}

static uint64_t
rss_kb(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %" SCNu64, &kb) == 1) {
			break;
		}
	}
	fclose(f);
	return kb;
}

/* ---- Stamps ------------------------------------------------------------------------------- */

static void
stamp_fill(struct slot *s)
{
	struct worker *w = s->w;
	uint64_t lba = w->first_lba + s->block * (g_opt.io_size / g_bs);

	for (uint32_t off = 0; off < g_opt.io_size; off += g_bs) {
		struct stamp *st = (struct stamp *)(s->buf + off);

		st->magic = STAMP_MAGIC;
		st->lba = lba + off / g_bs;
		st->seq = s->seq;
		st->seed = g_opt.seed;
		/* The rest of the block: derived from the stamp, so that a torn block shows. */
		for (uint32_t i = sizeof(*st); i < g_bs; i++) {
			s->buf[off + i] = (uint8_t)(st->lba * 31 + st->seq * 7 + i);
		}
	}
}

static void
stamp_check(struct slot *s, uint64_t want_seq)
{
	struct worker *w = s->w;
	uint64_t lba = w->first_lba + s->block * (g_opt.io_size / g_bs);

	for (uint32_t off = 0; off < g_opt.io_size; off += g_bs) {
		const struct stamp *st = (const struct stamp *)(s->buf + off);
		bool bad = st->magic != STAMP_MAGIC || st->lba != lba + off / g_bs ||
			   st->seq != want_seq || st->seed != g_opt.seed;

		for (uint32_t i = sizeof(*st); !bad && i < g_bs; i++) {
			bad = s->buf[off + i] != (uint8_t)(st->lba * 31 + st->seq * 7 + i);
		}
		if (bad) {
			w->mismatches++;
			if (w->first_mismatch[0] == '\0') {
				snprintf(w->first_mismatch, sizeof(w->first_mismatch),
					 "LBA %" PRIu64 ": expected seq %" PRIu64 ", found magic %#"
					 PRIx64 " lba %" PRIu64 " seq %" PRIu64, lba + off / g_bs,
					 want_seq, st->magic, st->lba, st->seq);
			}
			return;
		}
	}
}

/* ---- I/O ---------------------------------------------------------------------------------- */

static void io_done(void *arg, const struct nvtcp_nvme_cpl *cpl);

static int
slot_submit(struct slot *s)
{
	struct worker *w = s->w;
	uint64_t lba = w->first_lba + s->block * (g_opt.io_size / g_bs);
	uint32_t n = g_opt.io_size / g_bs;
	int rc;

	if (s->is_write) {
		rc = nvtcp_ns_cmd_write(g_ns, w->qp, s->buf, lba, n, io_done, s, 0);
	} else {
		rc = nvtcp_ns_cmd_read(g_ns, w->qp, s->buf, lba, n, io_done, s, 0);
	}
	if (rc == 0) {
		s->inflight = true;
		s->retry = false;
		w->submitted++;
	}
	return rc;
}

/* Give a slot a new command: a random block nobody holds, read or write. */
static bool
slot_new(struct slot *s)
{
	struct worker *w = s->w;

	for (int tries = 0; tries < 64; tries++) {
		uint64_t b = rnd(w) % w->nblocks;

		if (!w->held[b]) {
			w->held[b] = 1;
			s->block = b;
			s->busy = true;
			s->retries = 0;
			s->is_write = rnd(w) & 1;
			if (s->is_write) {
				s->seq = ++w->next_seq;
				stamp_fill(s);
			}
			return true;
		}
	}
	return false;
}

static void
slot_release(struct slot *s)
{
	s->w->held[s->block] = 0;
	s->busy = false;
}

static void
io_done(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct slot *s = arg;
	struct worker *w = s->w;

	if (!s->inflight) {
		w->doubles++;
		return;
	}
	s->inflight = false;
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		w->errors++;
		if (nvtcp_nvme_cpl_is_path_error(cpl)) {
			w->path_errors++;
		} else if (nvtcp_nvme_status_sct(cpl->status) == NVTCP_NVME_SCT_GENERIC &&
			   nvtcp_nvme_status_sc(cpl->status) == NVTCP_NVME_SC_ABORTED_SQ_DELETION) {
			w->aborted_errors++;
		}
		bool seen = false;

		for (uint32_t i = 0; i < w->nseen; i++) {
			seen = seen || w->seen_status[i] == (cpl->status & 0xFFFE);
		}
		if (!seen && w->nseen < 8) {
			w->seen_status[w->nseen++] = cpl->status & 0xFFFE;
		}
		/* Each kind of error once per queue pair (quiet: not at all). */
		if (!g_opt.quiet && !seen) {
			fprintf(stderr, "host_io: [%.3f] qp %d: %s completed with SCT %u SC 0x%02x%s "
				"(%s)\n", since_start(), w->idx, s->is_write ? "write" : "read",
				nvtcp_nvme_status_sct(cpl->status), nvtcp_nvme_status_sc(cpl->status),
				nvtcp_nvme_status_dnr(cpl->status) ? " DNR" : "",
				nvtcp_nvme_cpl_is_retryable(cpl) ? "retryable" : "not retryable");
		}
		if (s->is_write) {
			/* It may or may not have been written: the block is in doubt until a write
			 * of it succeeds, so the same write goes again. */
			w->expected[s->block] = UINT64_MAX;
		}
		if (nvtcp_nvme_cpl_is_retryable(cpl) && !atomic_load(&g_ctrlr_failed) &&
		    (w->retry_until == 0 || now_ns() < w->retry_until)) {
			s->retry = true;
			s->retry_at = nvtcp_nvme_cpl_is_path_error(cpl) ? now_ns() + 10000000ull : 0;
			s->retries++;
			w->retries++;
			return;
		}
		if (s->is_write || nvtcp_nvme_cpl_is_retryable(cpl)) {
			w->gave_up++;
		}
		slot_release(s);
		return;
	}
	w->ok++;
	w->last_ok_ns = now_ns();
	if (s->is_write) {
		w->expected[s->block] = s->seq;
	} else if (w->expected[s->block] != SEQ_NONE && w->expected[s->block] != UINT64_MAX) {
		/* (In doubt: a write of it gave up at the end of the run; nothing to compare.) */
		stamp_check(s, w->expected[s->block]);
	}
	slot_release(s);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t drain_deadline = 0;

	while (true) {
		bool stop = atomic_load(&g_stop);
		bool idle = true;
		int32_t rc = nvtcp_qpair_process_completions(w->qp, 0);

		if (rc < 0) {
			w->qp_failed = true;
		}
		for (uint32_t i = 0; i < g_opt.qd; i++) {
			struct slot *s = &w->slots[i];

			if (s->inflight) {
				idle = false;
				continue;
			}
			if (!s->busy) {
				if (stop || w->qp_failed || !slot_new(s)) {
					continue;
				}
			} else if (!s->retry || (s->retry_at != 0 && now_ns() < s->retry_at)) {
				continue;
			}
			if (w->qp_failed) {
				/* Failed for good: what waited to be retried gives up. */
				if (s->is_write) {
					w->gave_up++;
				}
				slot_release(s);
				continue;
			}
			rc = slot_submit(s);
			if (rc == 0) {
				idle = false;
			} else if (rc == -EAGAIN) {
				s->retry = true; /* no request free: next poll */
				idle = false;
			} else {
				if (rc == -ENXIO) {
					w->submit_enxio++;
					w->qp_failed = true;
				}
				if (s->is_write) {
					w->gave_up++;
				}
				slot_release(s);
			}
		}
		if (stop) {
			if (drain_deadline == 0) {
				/* Longer than any wait of the driver: a hang shows as not drained. */
				drain_deadline = now_ns() + 120ull * 1000000000ull;
				/* Retries go on for a while: reconnects take a fraction of it. */
				w->retry_until = now_ns() + 30ull * 1000000000ull;
			}
			if (idle) {
				w->drained = true;
				break;
			}
			if (now_ns() > drain_deadline) {
				break;
			}
		}
		if (rc == 0 && idle) {
			usleep(50);
		}
	}
	return NULL;
}

/* ---- Admin thread (main) ------------------------------------------------------------------ */

static const char *
state_name(enum nvtcp_ctrlr_state s)
{
	switch (s) {
	case NVTCP_CTRLR_STATE_CONNECTING: return "connecting";
	case NVTCP_CTRLR_STATE_LIVE: return "live";
	case NVTCP_CTRLR_STATE_RESETTING: return "resetting";
	case NVTCP_CTRLR_STATE_FAILED: return "failed";
	default: return "deleting";
	}
}

static void
state_cb(void *arg, struct nvtcp_ctrlr *c, enum nvtcp_ctrlr_state s)
{
	printf("host_io: [%.3f] controller %s\n", since_start(), state_name(s));
	fflush(stdout);
	if (s == NVTCP_CTRLR_STATE_FAILED) {
		atomic_store(&g_ctrlr_failed, true);
	}
}

static void
ns_event_cb(void *arg, struct nvtcp_ctrlr *c, uint32_t nsid, enum nvtcp_ns_event ev)
{
	static const char *names[] = {"added", "removed", "resized", "changed"};

	printf("host_io: [%.3f] namespace %u %s\n", since_start(), nsid, names[ev]);
	fflush(stdout);
}

static void
sig_stop(int sig)
{
	atomic_store(&g_stop, true);
}

static void
usage(void)
{
	fprintf(stderr,
		"Usage: host_io -r TRID [options]\n"
		"  -r TRID                  'traddr:A trsvcid:P subnqn:NQN'\n"
		"  -P N                     queue pairs, one thread each (default 4, max 16)\n"
		"  -q N                     commands in flight per queue pair (default 32)\n"
		"  -o BYTES                 I/O size (default 4096)\n"
		"  -t S                     run time (default 10)\n"
		"  --region N               I/Os per queue pair's region (default: namespace / P)\n"
		"  -H, -I                   header / data digests\n"
		"  --ctrl-loss-tmo S        (default 600)  --reconnect-delay MS  --fast-io-fail S\n"
		"  --io-timeout MS  --admin-timeout MS  --kato MS   (default: the driver's)\n"
		"  --expect-state live|failed   final controller state required\n"
		"  --min-reconnects N       controller reconnects required\n"
		"  --resume-within S        with live: a command succeeded in the last S seconds\n"
		"  --psk FILE               TLS 1.3 with this PSK file (host NQN: the TRID's)\n"
		"  --seed N  --quiet\n");
}

static int
parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{"region", 1, 0, 1}, {"ctrl-loss-tmo", 1, 0, 2}, {"reconnect-delay", 1, 0, 3},
		{"fast-io-fail", 1, 0, 4}, {"io-timeout", 1, 0, 5}, {"admin-timeout", 1, 0, 6},
		{"kato", 1, 0, 7}, {"expect-state", 1, 0, 8}, {"min-reconnects", 1, 0, 9},
		{"resume-within", 1, 0, 10}, {"seed", 1, 0, 11}, {"quiet", 0, 0, 12},
		{"psk", 1, 0, 13}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	char err[128];
	int c;
	bool have_trid = false;

	nvtcp_trid_init(&g_opt.trid);
	g_opt.seed = (uint64_t)now_ns();
	while ((c = getopt_long(argc, argv, "r:P:q:o:t:HIh", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (nvtcp_trid_parse(&g_opt.trid, optarg, err, sizeof(err)) != 0) {
				fprintf(stderr, "host_io: -r: %s\n", err);
				return -1;
			}
			have_trid = true;
			break;
		case 'P': g_opt.nqp = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': g_opt.qd = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'o': g_opt.io_size = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': g_opt.seconds = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'H': g_opt.hdgst = true; break;
		case 'I': g_opt.ddgst = true; break;
		case 1: g_opt.region = strtoull(optarg, NULL, 0); break;
		case 2: g_opt.ctrl_loss = (int32_t)strtol(optarg, NULL, 0); break;
		case 3: g_opt.reconnect_delay = strtol(optarg, NULL, 0); break;
		case 4: g_opt.fast_fail = (int32_t)strtol(optarg, NULL, 0); break;
		case 5: g_opt.io_timeout = strtol(optarg, NULL, 0); break;
		case 6: g_opt.admin_timeout = strtol(optarg, NULL, 0); break;
		case 7: g_opt.kato = strtol(optarg, NULL, 0); break;
		case 8: g_opt.expect_state = optarg; break;
		case 9: g_opt.min_reconnects = strtol(optarg, NULL, 0); break;
		case 10: g_opt.resume_within = strtod(optarg, NULL); break;
		case 11: g_opt.seed = strtoull(optarg, NULL, 0); break;
		case 12: g_opt.quiet = true; break;
		case 13: g_opt.psk_path = optarg; break;
		default:
			usage();
			return -1;
		}
	}
	if (!have_trid || g_opt.nqp == 0 || g_opt.nqp > MAX_QPAIRS || g_opt.qd == 0 ||
	    g_opt.qd > MAX_QD || g_opt.io_size == 0 || g_opt.seconds == 0 ||
	    (g_opt.expect_state != NULL && strcmp(g_opt.expect_state, "live") != 0 &&
	     strcmp(g_opt.expect_state, "failed") != 0)) {
		usage();
		return -1;
	}
	return 0;
}

static int
setup_workers(void)
{
	uint64_t ios = nvtcp_ns_get_size(g_ns) / g_opt.io_size;
	uint64_t per = ios / g_opt.nqp;

	if (g_opt.region != 0 && g_opt.region < per) {
		per = g_opt.region;
	}
	if (per < g_opt.qd * 2) {
		fprintf(stderr, "host_io: namespace too small for %u x %u I/Os\n", g_opt.nqp,
			g_opt.qd);
		return -1;
	}
	for (uint32_t i = 0; i < g_opt.nqp; i++) {
		struct worker *w = &g_workers[i];
		int rc;

		w->idx = (int)i;
		w->first_lba = (uint64_t)i * per * (g_opt.io_size / g_bs);
		w->nblocks = per;
		w->expected = calloc(per, sizeof(*w->expected));
		w->held = calloc(per, 1);
		w->rng = g_opt.seed * 2654435761u + i + 1;
		/* -EAGAIN: the controller is resetting (faults start at once): wait for it. */
		for (uint64_t deadline = now_ns() + 120ull * 1000000000ull;;) {
			w->qp = nvtcp_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &rc);
			if (w->qp != NULL || rc != -EAGAIN || now_ns() > deadline) {
				break;
			}
			(void)nvtcp_ctrlr_process_admin_completions(g_ctrlr);
			usleep(1000);
		}
		if (w->expected == NULL || w->held == NULL || w->qp == NULL) {
			fprintf(stderr, "host_io: queue pair %u: %s\n", i, strerror(-rc));
			return -1;
		}
		for (uint32_t k = 0; k < g_opt.qd; k++) {
			w->slots[k].w = w;
			if (posix_memalign((void **)&w->slots[k].buf, 4096, g_opt.io_size) != 0) {
				return -1;
			}
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr_stats cs;
	uint64_t end, rss_mid = 0, rss_end;
	uint64_t sub = 0, ok = 0, errs = 0, retries = 0, mism = 0, dbl = 0, gave = 0, enxio = 0;
	uint64_t qreconn = 0, outstanding = 0, last_ok = 0, perr = 0, aerr = 0, qfailed = 0;
	bool drained = true, pass = true;
	char reason[256];
	int rc;

	if (parse(argc, argv) != 0) {
		return 2;
	}
	signal(SIGINT, sig_stop);
	signal(SIGTERM, sig_stop);
	g_t0 = now_ns();
	nvtcp_ctrlr_opts_init(&o);
	o.num_io_queues = g_opt.nqp;
	o.hdgst = g_opt.hdgst;
	o.ddgst = g_opt.ddgst;
	o.psk_path = g_opt.psk_path;
	o.ctrl_loss_tmo_s = g_opt.ctrl_loss;
	o.fast_io_fail_tmo_s = g_opt.fast_fail;
	if (g_opt.reconnect_delay >= 0) {
		o.reconnect_delay_ms = (uint32_t)g_opt.reconnect_delay;
	}
	if (g_opt.io_timeout >= 0) {
		o.io_timeout_ms = (uint32_t)g_opt.io_timeout;
	}
	if (g_opt.admin_timeout >= 0) {
		o.admin_timeout_ms = (uint32_t)g_opt.admin_timeout;
	}
	if (g_opt.kato >= 0) {
		o.kato_ms = (uint32_t)g_opt.kato;
	}
	o.state_cb = state_cb;
	g_ctrlr = nvtcp_ctrlr_attach_ext(&g_opt.trid, &o, &rc, reason, sizeof(reason));
	if (g_ctrlr == NULL) {
		fprintf(stderr, "host_io: attach failed: %s (%s)\n", reason, strerror(-rc));
		return 1;
	}
	nvtcp_ctrlr_register_ns_event_callback(g_ctrlr, ns_event_cb, NULL);
	g_ns = nvtcp_ctrlr_get_ns(g_ctrlr, nvtcp_ctrlr_get_first_active_ns(g_ctrlr));
	if (g_ns == NULL || g_opt.io_size % nvtcp_ns_get_sector_size(g_ns) != 0) {
		fprintf(stderr, "host_io: no usable namespace\n");
		nvtcp_ctrlr_detach(g_ctrlr);
		return 1;
	}
	g_bs = nvtcp_ns_get_sector_size(g_ns);
	if (setup_workers() != 0) {
		nvtcp_ctrlr_detach(g_ctrlr);
		return 1;
	}
	printf("host_io: [%.3f] running: %u queue pairs x QD %u, %u-byte I/O, %u s, seed %#" PRIx64
	       "\n", since_start(), g_opt.nqp, g_opt.qd, g_opt.io_size, g_opt.seconds, g_opt.seed);
	fflush(stdout);
	for (uint32_t i = 0; i < g_opt.nqp; i++) {
		pthread_create(&g_workers[i].thread, NULL, worker_main, &g_workers[i]);
	}
	end = now_ns() + (uint64_t)g_opt.seconds * 1000000000ull;
	while (!atomic_load(&g_stop) && now_ns() < end) {
		/* The admin thread: keep-alive, recovery, aborts of timed-out I/O. */
		(void)nvtcp_ctrlr_process_admin_completions(g_ctrlr);
		if (rss_mid == 0 && now_ns() > end - (uint64_t)g_opt.seconds * 750000000ull) {
			rss_mid = rss_kb();
		}
		usleep(200);
	}
	atomic_store(&g_stop, true);
	/* Keep polling the admin queue while the workers drain (a reset may be under way). */
	for (uint32_t joined = 0; joined < g_opt.nqp;) {
		for (uint32_t i = 0; i < g_opt.nqp; i++) {
			if (!g_workers[i].joined && pthread_tryjoin_np(g_workers[i].thread, NULL) == 0) {
				g_workers[i].joined = true;
				joined++;
			}
		}
		(void)nvtcp_ctrlr_process_admin_completions(g_ctrlr);
		usleep(200);
	}
	rss_end = rss_kb();
	for (uint32_t i = 0; i < g_opt.nqp; i++) {
		struct worker *w = &g_workers[i];
		struct nvtcp_qpair_stats st;

		nvtcp_qpair_get_stats(w->qp, &st);
		sub += w->submitted;
		ok += w->ok;
		errs += w->errors;
		retries += w->retries;
		mism += w->mismatches;
		dbl += w->doubles;
		gave += w->gave_up;
		enxio += w->submit_enxio;
		perr += w->path_errors;
		qfailed += w->qp_failed;
		aerr += w->aborted_errors;
		qreconn += st.reconnects;
		outstanding += nvtcp_qpair_get_num_outstanding(w->qp);
		drained = drained && w->drained;
		last_ok = w->last_ok_ns > last_ok ? w->last_ok_ns : last_ok;
		if (w->first_mismatch[0] != '\0') {
			printf("host_io: mismatch on queue pair %u: %s\n", i, w->first_mismatch);
		}
	}
	nvtcp_ctrlr_get_stats(g_ctrlr, &cs);
	printf("host_io: result submitted=%" PRIu64 " ok=%" PRIu64 " errors=%" PRIu64
	       " aborted_errors=%" PRIu64 " path_errors=%" PRIu64 " retries=%"
	       PRIu64 " gave_up=%" PRIu64 " submit_enxio=%" PRIu64 " mismatches=%" PRIu64
	       " double=%" PRIu64 " lost=%" PRId64 " drained=%d outstanding=%" PRIu64
	       " qpairs_failed=%" PRIu64
	       " resets=%" PRIu64 " reconnect_attempts=%" PRIu64 " reconnects=%" PRIu64
	       " qpair_reconnects=%" PRIu64 " ka_timeouts=%" PRIu64 " aborts=%" PRIu64
	       " final_state=%s last_ok_age=%.3f rss_mid_kb=%" PRIu64 " rss_end_kb=%" PRIu64 "\n",
	       sub, ok, errs, aerr, perr, retries, gave, enxio, mism, dbl,
	       (int64_t)(sub - ok - errs), drained, outstanding, qfailed, cs.resets,
	       cs.reconnect_attempts, cs.reconnects, qreconn,
	       cs.keep_alive_timeouts, cs.aborts_sent, state_name(nvtcp_ctrlr_get_state(g_ctrlr)),
	       last_ok ? (double)(now_ns() - last_ok) / 1e9 : -1.0, rss_mid, rss_end);
	if (mism != 0 || dbl != 0 || sub != ok + errs || !drained || outstanding != 0) {
		printf("host_io: FAIL: data or completion accounting\n");
		pass = false;
	}
	if (g_opt.expect_state != NULL &&
	    strcmp(g_opt.expect_state, state_name(nvtcp_ctrlr_get_state(g_ctrlr))) != 0) {
		printf("host_io: FAIL: controller is %s, expected %s (%s)\n",
		       state_name(nvtcp_ctrlr_get_state(g_ctrlr)), g_opt.expect_state,
		       nvtcp_ctrlr_get_failure_reason(g_ctrlr));
		pass = false;
	}
	if (g_opt.min_reconnects >= 0 && cs.reconnects < (uint64_t)g_opt.min_reconnects) {
		printf("host_io: FAIL: %" PRIu64 " reconnects, expected at least %" PRId64 "\n",
		       cs.reconnects, g_opt.min_reconnects);
		pass = false;
	}
	if (g_opt.resume_within > 0 &&
	    (last_ok == 0 || (double)(now_ns() - last_ok) / 1e9 > g_opt.resume_within + 1.0)) {
		printf("host_io: FAIL: no I/O succeeded in the last %.1f s\n", g_opt.resume_within);
		pass = false;
	}
	for (uint32_t i = 0; i < g_opt.nqp; i++) {
		(void)nvtcp_ctrlr_free_io_qpair(g_workers[i].qp);
		for (uint32_t k = 0; k < g_opt.qd; k++) {
			free(g_workers[i].slots[k].buf);
		}
		free(g_workers[i].expected);
		free(g_workers[i].held);
	}
	rc = nvtcp_ctrlr_detach(g_ctrlr);
	printf("host_io: detach %s; %s\n", rc == 0 ? "clean" : strerror(-rc),
	       pass ? "PASS" : "FAIL");
	return pass ? 0 : 1;
}
