/*
 * mpath_io: verified I/O through one multipath namespace (lib/mpath), for
 * test/functional/host_multipath.sh.
 *
 *   mpath_io -r TRID [-r TRID ...] [-q QD] [-t SECONDS] [-p POLICY] [--ctrl-loss-tmo S]
 *            [--reconnect-delay MS] [--blocks N] [--expect-all-paths] [--failover-times]
 *            [--kato MS]
 *   mpath_io --discover TRID --subnqn NQN [same options]
 *
 * With --discover, nvtcp_mpath_connect_all() finds and connects the paths instead of -r.
 * One thread: it attaches every -r, gives each controller one I/O queue pair, builds the
 * multipath namespace over them and keeps QD I/Os in flight for SECONDS, polling only the
 * multipath namespace (which polls the queue pairs and the admin queues). Each slot owns its own
 * blocks (block % QD == slot): writes stamp the block (LBA, sequence number, seed), reads check
 * the stamp of the last successful write. Printed every second: per-path counters and state.
 * The last line: "mpath_io: result ..." with ios, errors, mismatches, doubles, lost and each
 * path's I/Os. Exit 0 when errors, mismatches, doubles and lost are all 0 (and, with
 * --expect-all-paths, every path carried I/O), 1 otherwise, 2 for a usage error.
 *
 * Failover time (--failover-times): after each poll the per-path I/O counters are read; when
 * I/O starts completing on a path other than the one that carried it so far, and I/Os failed
 * on that previous path since it took over (its failovers counter moved), the gap between the
 * last successful completion on the failed path and the first completion on the new one is a
 * failover: printed at once ("mpath_io: failover N path A -> B gap_us=G", for a driving
 * script to pair with the fault it injected) and summed up at the end (p50/p99/max). A switch
 * without failed I/Os (an ANA change) is counted apart. Meant for active-passive, where one
 * path carries everything; the gap includes detecting the failure (at once for a reset
 * connection, the keep-alive timeout for a silent one).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/log.h"
#include "nvtcp/multipath.h"
#include "nvtcp/nvme.h"
#include "nvtcp/util.h"

#define MAX_PATHS 8
#define MAX_QD 256
#define STAMP_MAGIC 0x6e7674636d70ULL

struct stamp {
	uint64_t magic;
	uint64_t lba;
	uint64_t seq;
	uint64_t seed;
};

struct slot {
	uint8_t *buf;
	uint64_t lba;
	uint64_t seq;
	uint32_t idx;
	bool is_write;
	bool inflight;
};

static struct {
	struct nvtcp_trid trids[MAX_PATHS];
	uint32_t num_trids;
	uint32_t qd;
	uint32_t time_s;
	enum nvtcp_mpath_policy policy;
	int32_t ctrl_loss_tmo_s;
	uint32_t reconnect_delay_ms;
	uint64_t blocks;
	bool expect_all_paths;
	bool failover_times;
	uint32_t kato_ms;
	bool use_disc;
	struct nvtcp_trid disc;
	const char *subnqn;
} g_opt = { .qd = 32, .time_s = 30, .ctrl_loss_tmo_s = 60, .reconnect_delay_ms = 1000,
	    .blocks = 8192, .kato_ms = 2000 };

#define MAX_FAILOVERS 4096

/* Failover tracking (--failover-times). */
static struct {
	uint64_t ios[MAX_PATHS];       /* per-path successful I/Os at the last poll */
	uint64_t fails[MAX_PATHS];     /* per-path failovers counter at the last poll */
	uint64_t last_ok_us[MAX_PATHS]; /* when the path's ios last moved */
	uint64_t fails_at_start;       /* the active path's failovers when it took over */
	int active;                    /* path carrying I/O, -1 before the first */
	uint64_t gaps_us[MAX_FAILOVERS];
	uint32_t num_gaps;
	uint64_t switches;             /* switches without failed I/Os */
} g_fo = { .active = -1 };

static struct nvtcp_mpath_ns *g_mns;
static struct nvtcp_mpath_set *g_set;
static struct slot g_slots[MAX_QD];
static uint64_t *g_expect;      /* last seq written successfully per block (0 = none) */
static uint32_t g_bs;
static uint64_t g_seed, g_rng, g_seq;
static uint64_t g_ios, g_errors, g_mismatches, g_doubles, g_inflight;
static volatile sig_atomic_t g_stop;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* After a poll: note which path completed I/O, and whether the carrier changed after I/Os
 * failed on the old one. */
static void
failover_track(void)
{
	uint32_t i, n = NVTCP_MIN(nvtcp_mpath_ns_get_num_paths(g_mns), MAX_PATHS);
	uint64_t now = now_us(), ios[MAX_PATHS];

	for (i = 0; i < n; i++) {
		struct nvtcp_mpath_path_stats ps;

		nvtcp_mpath_ns_get_path_stats(g_mns, i, &ps);
		g_fo.fails[i] = ps.failovers;
		ios[i] = ps.ios;
	}
	for (i = 0; i < n; i++) {
		if (ios[i] == g_fo.ios[i]) {
			continue;
		}
		g_fo.ios[i] = ios[i];
		if (g_fo.active >= 0 && (uint32_t)g_fo.active != i) {
			int old = g_fo.active;

			if (g_fo.fails[old] != g_fo.fails_at_start) {
				uint64_t gap = now - g_fo.last_ok_us[old];

				if (g_fo.num_gaps < MAX_FAILOVERS) {
					g_fo.gaps_us[g_fo.num_gaps] = gap;
				}
				g_fo.num_gaps++;
				printf("mpath_io: failover %u path %d -> %u gap_us=%" PRIu64 "\n",
				       g_fo.num_gaps, old, i, gap);
				fflush(stdout);
			} else {
				g_fo.switches++;
			}
		}
		if (g_fo.active != (int)i) {
			g_fo.active = (int)i;
			g_fo.fails_at_start = g_fo.fails[i];
		}
		g_fo.last_ok_us[i] = now;
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
failover_summary(void)
{
	uint32_t n = NVTCP_MIN(g_fo.num_gaps, MAX_FAILOVERS);

	if (n == 0) {
		printf("mpath_io: failovers=0 switches=%" PRIu64 "\n", g_fo.switches);
		return;
	}
	qsort(g_fo.gaps_us, n, sizeof(g_fo.gaps_us[0]), cmp_u64);
	/* Nearest rank: the smallest sample with at least p% of the samples at or below it. */
	printf("mpath_io: failovers=%u switches=%" PRIu64 " gap_us p50=%" PRIu64 " p99=%" PRIu64
	       " min=%" PRIu64 " max=%" PRIu64 "\n", n, g_fo.switches,
	       g_fo.gaps_us[(n * 50 + 99) / 100 - 1], g_fo.gaps_us[(n * 99 + 99) / 100 - 1],
	       g_fo.gaps_us[0], g_fo.gaps_us[n - 1]);
}

static uint64_t
rnd(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return g_rng;
}

static void io_done(void *arg, const struct nvtcp_nvme_cpl *cpl);

static int
slot_start(struct slot *s)
{
	uint64_t per_slot = g_opt.blocks / g_opt.qd;
	struct stamp st;
	int rc;

	s->lba = (rnd() % per_slot) * g_opt.qd + s->idx;
	s->is_write = g_expect[s->lba] == 0 || (rnd() & 1);
	if (s->is_write) {
		s->seq = ++g_seq;
		st = (struct stamp){STAMP_MAGIC, s->lba, s->seq, g_seed};
		memset(s->buf, (int)(s->seq & 0xFF), g_bs);
		memcpy(s->buf, &st, sizeof(st));
		rc = nvtcp_mpath_ns_write(g_mns, s->buf, s->lba, 1, io_done, s, 0);
	} else {
		memset(s->buf, 0xA5, sizeof(st));
		rc = nvtcp_mpath_ns_read(g_mns, s->buf, s->lba, 1, io_done, s, 0);
	}
	if (rc == 0) {
		s->inflight = true;
		g_inflight++;
	}
	return rc;
}

static void
io_done(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct slot *s = arg;
	struct stamp st;

	if (!s->inflight) {
		g_doubles++;
		return;
	}
	s->inflight = false;
	g_inflight--;
	g_ios++;
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		g_errors++;
		fprintf(stderr, "mpath_io: %s lba %" PRIu64 " failed: %s\n",
			s->is_write ? "write" : "read", s->lba, nvtcp_nvme_status_str(cpl->status));
		/* The block's content is in doubt now: never check it again. */
		g_expect[s->lba] = UINT64_MAX;
		return;
	}
	if (s->is_write) {
		if (g_expect[s->lba] != UINT64_MAX) {
			g_expect[s->lba] = s->seq;
		}
		return;
	}
	if (g_expect[s->lba] == UINT64_MAX) {
		return;
	}
	memcpy(&st, s->buf, sizeof(st));
	if (st.magic != STAMP_MAGIC || st.lba != s->lba || st.seq != g_expect[s->lba] ||
	    st.seed != g_seed) {
		g_mismatches++;
		fprintf(stderr, "mpath_io: MISMATCH lba %" PRIu64 ": magic %" PRIx64 " lba %" PRIu64
			" seq %" PRIu64 " (want %" PRIu64 ")\n", s->lba, st.magic, st.lba, st.seq,
			g_expect[s->lba]);
	}
}

static void
print_paths(const char *tag)
{
	uint32_t i, n = nvtcp_mpath_ns_get_num_paths(g_mns);

	printf("%s", tag);
	for (i = 0; i < n; i++) {
		struct nvtcp_mpath_path_stats ps;
		const struct nvtcp_trid *t = nvtcp_ctrlr_get_trid(nvtcp_mpath_ns_get_path_ctrlr(g_mns,
										i));

		nvtcp_mpath_ns_get_path_stats(g_mns, i, &ps);
		printf(" | path%u %s:%s ana=%s conn=%d ios=%" PRIu64 " bytes=%" PRIu64 " errors=%"
		       PRIu64 " failovers=%" PRIu64 " qd=%u", i, t->traddr, t->trsvcid,
		       nvtcp_mpath_ana_state_str(ps.ana_state), ps.connected, ps.ios, ps.bytes,
		       ps.errors, ps.failovers, ps.outstanding);
	}
	printf("\n");
	fflush(stdout);
}

static void
sig_stop(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int
parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{"ctrl-loss-tmo", required_argument, NULL, 'L'},
		{"reconnect-delay", required_argument, NULL, 'D'},
		{"blocks", required_argument, NULL, 'B'},
		{"expect-all-paths", no_argument, NULL, 'E'},
		{"failover-times", no_argument, NULL, 'F'},
		{"kato", required_argument, NULL, 'K'},
		{"discover", required_argument, NULL, 'd'},
		{"subnqn", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	char err[256];
	int c;

	while ((c = getopt_long(argc, argv, "r:q:t:p:", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (g_opt.num_trids == MAX_PATHS) {
				fprintf(stderr, "mpath_io: -r: %d paths at most\n", MAX_PATHS);
				return -1;
			}
			nvtcp_trid_init(&g_opt.trids[g_opt.num_trids]);
			if (nvtcp_trid_parse(&g_opt.trids[g_opt.num_trids], optarg, err,
					     sizeof(err)) != 0) {
				fprintf(stderr, "mpath_io: -r '%s': %s\n", optarg, err);
				return -1;
			}
			g_opt.num_trids++;
			break;
		case 'q':
			g_opt.qd = (uint32_t)strtoul(optarg, NULL, 0);
			if (g_opt.qd == 0 || g_opt.qd > MAX_QD) {
				fprintf(stderr, "mpath_io: -q '%s': 1..%d\n", optarg, MAX_QD);
				return -1;
			}
			break;
		case 't':
			g_opt.time_s = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			if (nvtcp_mpath_policy_parse(optarg, &g_opt.policy) != 0) {
				fprintf(stderr, "mpath_io: -p '%s': active-passive, round-robin or "
					"queue-depth\n", optarg);
				return -1;
			}
			break;
		case 'L':
			g_opt.ctrl_loss_tmo_s = (int32_t)strtol(optarg, NULL, 0);
			break;
		case 'D':
			g_opt.reconnect_delay_ms = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'B':
			g_opt.blocks = strtoull(optarg, NULL, 0);
			break;
		case 'E':
			g_opt.expect_all_paths = true;
			break;
		case 'F':
			g_opt.failover_times = true;
			break;
		case 'K':
			g_opt.kato_ms = (uint32_t)strtoul(optarg, NULL, 0);
			if (g_opt.kato_ms == 0) {
				fprintf(stderr, "mpath_io: --kato '%s': milliseconds above 0\n",
					optarg);
				return -1;
			}
			break;
		case 'd':
			nvtcp_trid_init(&g_opt.disc);
			if (nvtcp_trid_parse(&g_opt.disc, optarg, err, sizeof(err)) != 0) {
				fprintf(stderr, "mpath_io: --discover '%s': %s\n", optarg, err);
				return -1;
			}
			g_opt.use_disc = true;
			break;
		case 'n':
			g_opt.subnqn = optarg;
			break;
		default:
			return -1;
		}
	}
	if (g_opt.use_disc != (g_opt.subnqn != NULL) || (g_opt.use_disc && g_opt.num_trids > 0)) {
		fprintf(stderr, "mpath_io: --discover needs --subnqn, and no -r\n");
		return -1;
	}
	if (g_opt.num_trids == 0 && !g_opt.use_disc) {
		fprintf(stderr, "mpath_io: at least one -r (or --discover) is required\n");
		return -1;
	}
	if (g_opt.blocks < g_opt.qd) {
		fprintf(stderr, "mpath_io: --blocks %" PRIu64 " is below -q %u\n", g_opt.blocks,
			g_opt.qd);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct nvtcp_ctrlr *ctrlrs[MAX_PATHS] = {0};
	struct nvtcp_qpair *qpairs[MAX_PATHS] = {0};
	struct nvtcp_mpath_ns_opts mo;
	struct nvtcp_ctrlr_opts co;
	struct nvtcp_mpath_ns_stats ms;
	uint64_t start, end, next_print, drain_end, lost = 0;
	uint32_t i, idle_paths = 0;
	char err[512];
	int rc, status = 0;

	if (parse(argc, argv) != 0) {
		return 2;
	}
	signal(SIGINT, sig_stop);
	signal(SIGTERM, sig_stop);
	nvtcp_ctrlr_opts_init(&co);
	co.ctrl_loss_tmo_s = g_opt.ctrl_loss_tmo_s;
	co.reconnect_delay_ms = g_opt.reconnect_delay_ms;
	co.kato_ms = g_opt.kato_ms;
	nvtcp_mpath_ns_opts_init(&mo);
	mo.policy = g_opt.policy;
	mo.max_ios = g_opt.qd;
	if (g_opt.use_disc) {
		/* Discovery-driven: every entry of the subsystem becomes a path. */
		rc = nvtcp_mpath_connect_all(&g_opt.disc, g_opt.subnqn, 1, &co, &mo, &g_set, err,
					     sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "mpath_io: %s\n", err);
			return 1;
		}
		g_mns = nvtcp_mpath_set_get_ns(g_set);
	} else if (nvtcp_mpath_ns_create(&mo, &g_mns) != 0) {
		fprintf(stderr, "mpath_io: cannot create the multipath namespace\n");
		return 1;
	}
	for (i = 0; i < g_opt.num_trids; i++) {
		ctrlrs[i] = nvtcp_ctrlr_attach_ext(&g_opt.trids[i], &co, &rc, err, sizeof(err));
		if (ctrlrs[i] == NULL) {
			fprintf(stderr, "mpath_io: attach %s:%s: %s\n", g_opt.trids[i].traddr,
				g_opt.trids[i].trsvcid, err);
			status = 1;
			goto out;
		}
		qpairs[i] = nvtcp_ctrlr_alloc_io_qpair(ctrlrs[i], NULL, &rc);
		if (qpairs[i] == NULL) {
			fprintf(stderr, "mpath_io: I/O queue pair of %s:%s: %s\n",
				g_opt.trids[i].traddr, g_opt.trids[i].trsvcid, strerror(-rc));
			status = 1;
			goto out;
		}
		rc = nvtcp_mpath_ns_add_path(g_mns, ctrlrs[i], 1, qpairs[i], err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "mpath_io: path %s:%s refused: %s\n", g_opt.trids[i].traddr,
				g_opt.trids[i].trsvcid, err);
			status = 1;
			goto out;
		}
	}
	g_bs = nvtcp_mpath_ns_get_sector_size(g_mns);
	if (g_opt.blocks > nvtcp_mpath_ns_get_num_sectors(g_mns)) {
		g_opt.blocks = nvtcp_mpath_ns_get_num_sectors(g_mns);
	}
	g_expect = calloc(g_opt.blocks, sizeof(*g_expect));
	if (g_expect == NULL) {
		status = 1;
		goto out;
	}
	g_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	g_rng = g_seed | 1;
	for (i = 0; i < g_opt.qd; i++) {
		g_slots[i].idx = i;
		g_slots[i].buf = aligned_alloc(4096, (g_bs + 4095) & ~4095u);
		if (g_slots[i].buf == NULL) {
			status = 1;
			goto out;
		}
	}
	printf("mpath_io: %u paths, policy %s, QD %u, %u s, block %u\n",
	       nvtcp_mpath_ns_get_num_paths(g_mns), nvtcp_mpath_policy_str(g_opt.policy), g_opt.qd,
	       g_opt.time_s, g_bs);
	start = now_ms();
	end = start + (uint64_t)g_opt.time_s * 1000;
	next_print = start + 1000;
	while (!g_stop && now_ms() < end) {
		for (i = 0; i < g_opt.qd; i++) {
			if (!g_slots[i].inflight) {
				(void)slot_start(&g_slots[i]); /* -EAGAIN: next round */
			}
		}
		if (nvtcp_mpath_ns_process_completions(g_mns, 0) == -ENXIO) {
			fprintf(stderr, "mpath_io: every path failed for good\n");
			break;
		}
		if (g_opt.failover_times) {
			failover_track();
		}
		if (now_ms() >= next_print) {
			char tag[32];

			snprintf(tag, sizeof(tag), "t=%" PRIu64, (now_ms() - start) / 1000);
			print_paths(tag);
			next_print += 1000;
		}
	}
	/* Drain: everything in flight completes once (bounded by the hold timeout). */
	drain_end = now_ms() + (uint64_t)(g_opt.ctrl_loss_tmo_s > 0 ? g_opt.ctrl_loss_tmo_s : 60) *
		    1000 + 10000;
	while (g_inflight > 0 && now_ms() < drain_end) {
		if (nvtcp_mpath_ns_process_completions(g_mns, 0) == -ENXIO) {
			break;
		}
	}
	lost = g_inflight;
	print_paths("final");
	if (g_opt.failover_times) {
		failover_summary();
	}
	nvtcp_mpath_ns_get_stats(g_mns, &ms);
	for (i = 0; i < nvtcp_mpath_ns_get_num_paths(g_mns); i++) {
		struct nvtcp_mpath_path_stats ps;

		nvtcp_mpath_ns_get_path_stats(g_mns, i, &ps);
		idle_paths += ps.ios == 0;
	}
	printf("mpath_io: result ios=%" PRIu64 " errors=%" PRIu64 " mismatches=%" PRIu64
	       " doubles=%" PRIu64 " lost=%" PRIu64 " retries=%" PRIu64 " held=%" PRIu64
	       " ana_log_reads=%" PRIu64 " idle_paths=%u\n", g_ios, g_errors, g_mismatches,
	       g_doubles, lost, ms.retries, ms.held, ms.ana_log_reads, idle_paths);
	if (g_errors || g_mismatches || g_doubles || lost || g_ios == 0 ||
	    (g_opt.expect_all_paths && idle_paths > 0)) {
		status = 1;
	}
out:
	/* An ANA log read started by a reconnect just before the end keeps the namespace busy
	 * until it completes: keep polling for it (bounded). */
	drain_end = now_ms() + 5000;
	for (;;) {
		rc = g_set != NULL ? nvtcp_mpath_set_free(g_set) :
		     g_mns != NULL ? nvtcp_mpath_ns_destroy(g_mns) : 0;
		if (rc != -EBUSY || now_ms() >= drain_end) {
			break;
		}
		(void)nvtcp_mpath_ns_process_completions(g_mns, 0);
	}
	if (rc != 0) {
		fprintf(stderr, "mpath_io: multipath namespace still busy at exit\n");
		status = 1;
	}
	for (i = 0; i < MAX_PATHS; i++) {
		if (qpairs[i] != NULL) {
			nvtcp_ctrlr_free_io_qpair(qpairs[i]);
		}
		if (ctrlrs[i] != NULL) {
			nvtcp_ctrlr_detach(ctrlrs[i]);
		}
	}
	for (i = 0; i < MAX_QD; i++) {
		free(g_slots[i].buf);
	}
	free(g_expect);
	return status;
}
