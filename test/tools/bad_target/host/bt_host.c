/*
 * bt_host: a small host-side test driver on the nvtcp host API, for the misbehaving-target and
 * fault-injection tests.
 *
 * It attaches, allocates one I/O queue pair, and keeps QD reads and writes in flight on the
 * first namespace while polling the admin queue on every iteration (so keep-alives go out and
 * keep-alive failures are seen), for --seconds or --ios. Writes carry a pattern that names the
 * block and the write; reads of blocks written earlier are checked. Every controller state
 * change is printed ("bt_host: state ..."), so a test can see a reset and a recovery.
 *
 * Unlike a benchmark it is bounded everywhere: --deadline ends the run even when commands
 * never complete (the host's own command timeouts may not exist yet); that is reported as a
 * hang, with its own exit status.
 *
 * Exit status: 0 every I/O succeeded and verified; 1 an error (one "bt_host: error: ..." line
 * says which); 2 usage; 3 commands still outstanding at the deadline (a hang).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"
#include "nvtcp/nvme.h"
#include "nvtcp/util.h"

#define BH_MAX_QD 64
#define BH_MAX_IO (128 * 1024)

struct bh_io {
	bool busy;
	bool write;
	uint64_t lba;
	uint32_t nblk;
	uint64_t seq;
	uint8_t *buf;
};

struct bh {
	/* Options. */
	struct nvtcp_trid trid;
	bool hdgst, ddgst;
	uint32_t kato_ms, io_timeout_ms, admin_timeout_ms;
	uint32_t qd, min_size, max_size;
	uint64_t ios;           /* 0: by time */
	uint32_t seconds;
	uint32_t deadline_s;
	uint64_t region;
	/* State. */
	struct nvtcp_ctrlr *ctrlr;
	struct nvtcp_qpair *qp;
	struct nvtcp_ns *ns;
	uint32_t bs;
	uint64_t nblocks;
	uint64_t *written;      /* per block: sequence of the last write that completed, 0 none */
	struct bh_io io[BH_MAX_QD];
	uint64_t next_seq, done, errors, mismatches, submitted;
	uint64_t rng;
	unsigned int resets, recoveries;
	enum nvtcp_ctrlr_state last_state;
	char first_error[256];
};

static struct bh g;
static volatile sig_atomic_t g_stop;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
rnd(void)
{
	g.rng ^= g.rng << 13;
	g.rng ^= g.rng >> 7;
	g.rng ^= g.rng << 17;
	return g.rng;
}

static const char *
state_str(enum nvtcp_ctrlr_state s)
{
	switch (s) {
	case NVTCP_CTRLR_STATE_CONNECTING: return "connecting";
	case NVTCP_CTRLR_STATE_LIVE: return "live";
	case NVTCP_CTRLR_STATE_RESETTING: return "resetting";
	case NVTCP_CTRLR_STATE_FAILED: return "failed";
	case NVTCP_CTRLR_STATE_DELETING: return "deleting";
	default: return "?";
	}
}

static void
on_state(void *arg, struct nvtcp_ctrlr *ctrlr, enum nvtcp_ctrlr_state state)
{
	(void)arg;
	(void)ctrlr;
	printf("bt_host: state %s -> %s\n", state_str(g.last_state), state_str(state));
	fflush(stdout);
	if (state == NVTCP_CTRLR_STATE_RESETTING) {
		g.resets++;
	} else if (state == NVTCP_CTRLR_STATE_LIVE && g.last_state == NVTCP_CTRLR_STATE_RESETTING) {
		g.recoveries++;
	}
	g.last_state = state;
}

static void __attribute__((format(printf, 1, 2)))
note_error(const char *fmt, ...)
{
	va_list ap;

	g.errors++;
	if (g.first_error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(g.first_error, sizeof(g.first_error), fmt, ap);
		va_end(ap);
	}
}

/* A block's pattern: every 8-byte word carries the block number and the write's sequence. */
static void
fill(uint8_t *buf, uint64_t lba, uint32_t nblk, uint64_t seq)
{
	for (uint32_t b = 0; b < nblk; b++) {
		uint64_t *w = (uint64_t *)(buf + (size_t)b * g.bs);

		for (uint32_t i = 0; i < g.bs / 8; i++) {
			w[i] = ((lba + b) << 20) ^ (seq << 1) ^ i;
		}
	}
}

static void
io_done(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct bh_io *io = arg;

	io->busy = false;
	g.done++;
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		note_error("%s lba %" PRIu64 " blocks %u: %s (SCT 0x%x, SC 0x%02x)",
			   io->write ? "write" : "read", io->lba, io->nblk,
			   nvtcp_nvme_sc_str(nvtcp_nvme_status_sct(cpl->status),
					     nvtcp_nvme_status_sc(cpl->status)),
			   nvtcp_nvme_status_sct(cpl->status), nvtcp_nvme_status_sc(cpl->status));
		return;
	}
	if (io->write) {
		for (uint32_t b = 0; b < io->nblk; b++) {
			g.written[io->lba + b] = io->seq;
		}
		return;
	}
	for (uint32_t b = 0; b < io->nblk; b++) {
		uint64_t seq = g.written[io->lba + b];
		const uint64_t *w = (const uint64_t *)(io->buf + (size_t)b * g.bs);

		/* Blocks never written, or with a write of them in flight, are not checked. */
		if (seq == 0 || seq == UINT64_MAX) {
			continue;
		}
		if (w[0] != (((io->lba + b) << 20) ^ (seq << 1))) {
			g.mismatches++;
			note_error("data mismatch at lba %" PRIu64 " (write #%" PRIu64 ")", io->lba + b,
				   seq);
			return;
		}
	}
}

static void
submit(struct bh_io *io)
{
	uint32_t max_blk = g.max_size / g.bs, min_blk = g.min_size / g.bs;
	int rc;

	io->nblk = min_blk + (uint32_t)(rnd() % (max_blk - min_blk + 1));
	io->lba = rnd() % (g.region / g.bs - io->nblk + 1);
	io->write = rnd() & 1;
	/* Two I/Os in flight on one block would make its content undefined: skip overlaps. */
	for (int i = 0; i < BH_MAX_QD; i++) {
		struct bh_io *o = &g.io[i];

		if (o != io && o->busy && io->lba < o->lba + o->nblk && o->lba < io->lba + io->nblk) {
			return;
		}
	}
	if (io->write) {
		io->seq = ++g.next_seq;
		fill(io->buf, io->lba, io->nblk, io->seq);
		rc = nvtcp_ns_cmd_write(g.ns, g.qp, io->buf, io->lba, io->nblk, io_done, io, 0);
	} else {
		rc = nvtcp_ns_cmd_read(g.ns, g.qp, io->buf, io->lba, io->nblk, io_done, io, 0);
	}
	if (rc == 0) {
		io->busy = true;
		g.submitted++;
		if (io->write) {
			/* Until it completes, the block's content is unknown to reads. */
			for (uint32_t b = 0; b < io->nblk; b++) {
				g.written[io->lba + b] = UINT64_MAX;
			}
		}
	} else if (rc != -EAGAIN) {
		note_error("submit failed: %s", strerror(-rc));
	}
}

static void
usage(void)
{
	printf("Usage: bt_host -r TRID [options]\n"
	       "  -r TRID              controller\n"
	       "  -H, -I               header / data digests\n"
	       "  --kato MS            keep-alive timeout (default 5000)\n"
	       "  --io-timeout MS      I/O command timeout (default 5000)\n"
	       "  --admin-timeout MS   admin command timeout (default 5000)\n"
	       "  -q N                 queue depth (default 8, at most 64)\n"
	       "  --min-size, --max-size SIZE  I/O sizes (default 4k..64k)\n"
	       "  --region SIZE        bytes of the namespace used (default 8M)\n"
	       "  -n N                 I/Os to complete (default: run --seconds)\n"
	       "  --seconds S          run time (default 5)\n"
	       "  --deadline S         give up, reporting a hang, after S s (default 30)\n"
	       "Exit: 0 ok, 1 error, 2 usage, 3 commands outstanding at the deadline.\n");
}

static int
parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{"kato", required_argument, NULL, 'k'},
		{"io-timeout", required_argument, NULL, 'T'},
		{"admin-timeout", required_argument, NULL, 'A'},
		{"min-size", required_argument, NULL, 'm'},
		{"max-size", required_argument, NULL, 'M'},
		{"region", required_argument, NULL, 'R'},
		{"seconds", required_argument, NULL, 's'},
		{"deadline", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char err[256];
	uint64_t v;
	int ch;

	nvtcp_trid_init(&g.trid);
	g.kato_ms = 5000;
	g.io_timeout_ms = 5000;
	g.admin_timeout_ms = 5000;
	g.qd = 8;
	g.min_size = 4096;
	g.max_size = 64 * 1024;
	g.region = 8 << 20;
	g.seconds = 5;
	g.deadline_s = 30;
	while ((ch = getopt_long(argc, argv, "r:HIq:n:h", lo, NULL)) != -1) {
		int rc = 0;

		switch (ch) {
		case 'r':
			rc = nvtcp_trid_parse(&g.trid, optarg, err, sizeof(err));
			if (rc != 0) {
				fprintf(stderr, "bt_host: -r: %s\n", err);
				return -EINVAL;
			}
			break;
		case 'H': g.hdgst = true; break;
		case 'I': g.ddgst = true; break;
		case 'k': rc = nvtcp_parse_u64(optarg, 600000, &v); g.kato_ms = (uint32_t)v; break;
		case 'T': rc = nvtcp_parse_u64(optarg, 600000, &v); g.io_timeout_ms = (uint32_t)v; break;
		case 'A': rc = nvtcp_parse_u64(optarg, 600000, &v); g.admin_timeout_ms = (uint32_t)v; break;
		case 'q': rc = nvtcp_parse_u64(optarg, BH_MAX_QD, &v); g.qd = (uint32_t)v; break;
		case 'm': rc = nvtcp_parse_size(optarg, &v); g.min_size = (uint32_t)v; break;
		case 'M': rc = nvtcp_parse_size(optarg, &v); g.max_size = (uint32_t)v; break;
		case 'R': rc = nvtcp_parse_size(optarg, &g.region); break;
		case 'n': rc = nvtcp_parse_u64(optarg, UINT64_MAX, &g.ios); break;
		case 's': rc = nvtcp_parse_u64(optarg, 86400, &v); g.seconds = (uint32_t)v; break;
		case 'D': rc = nvtcp_parse_u64(optarg, 86400, &v); g.deadline_s = (uint32_t)v; break;
		case 'h': usage(); exit(0);
		default: return -EINVAL;
		}
		if (rc != 0) {
			fprintf(stderr, "bt_host: invalid value '%s'\n", optarg);
			return -EINVAL;
		}
	}
	if (g.trid.traddr[0] == '\0' || g.qd == 0 || g.min_size < 512 || g.min_size > g.max_size ||
	    g.max_size > BH_MAX_IO || optind != argc) {
		usage();
		return -EINVAL;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int
attach(uint64_t deadline)
{
	struct nvtcp_ctrlr_opts opts;
	int rc;

	nvtcp_ctrlr_opts_init(&opts);
	opts.hdgst = g.hdgst;
	opts.ddgst = g.ddgst;
	opts.kato_ms = g.kato_ms;
	opts.io_timeout_ms = g.io_timeout_ms;
	opts.admin_timeout_ms = g.admin_timeout_ms;
	opts.num_io_queues = 1;
	/* Recovery, where it exists, must fit the deadline. */
	opts.reconnect_delay_ms = 500;
	opts.ctrl_loss_tmo_s = 5;
	opts.state_cb = on_state;
	rc = nvtcp_ctrlr_attach_async(&g.trid, &opts, &g.ctrlr);
	if (rc != 0) {
		printf("bt_host: error: attach: %s\n", strerror(-rc));
		return rc;
	}
	while ((rc = nvtcp_ctrlr_attach_poll(g.ctrlr)) == -EAGAIN) {
		if (now_ms() > deadline || g_stop) {
			printf("bt_host: error: attach did not finish by the deadline\n");
			return -ETIMEDOUT;
		}
	}
	if (rc != 0) {
		printf("bt_host: error: attach failed: %s\n", nvtcp_ctrlr_get_failure_reason(g.ctrlr));
		return rc;
	}
	return 0;
}

static int
setup(void)
{
	uint32_t nsid = nvtcp_ctrlr_get_first_active_ns(g.ctrlr);
	int rc;

	g.ns = nsid != 0 ? nvtcp_ctrlr_get_ns(g.ctrlr, nsid) : NULL;
	if (g.ns == NULL) {
		printf("bt_host: error: no active namespace\n");
		return -ENODEV;
	}
	g.bs = nvtcp_ns_get_sector_size(g.ns);
	g.nblocks = nvtcp_ns_get_num_sectors(g.ns);
	if (g.bs == 0 || g.bs > g.min_size || g.min_size % g.bs || g.max_size % g.bs) {
		printf("bt_host: error: block size %u does not suit I/O sizes %u..%u\n", g.bs,
		       g.min_size, g.max_size);
		return -EINVAL;
	}
	g.region = NVTCP_MIN(g.region, g.nblocks * g.bs);
	if (g.region < g.max_size) {
		printf("bt_host: error: namespace of %" PRIu64 " blocks is too small\n", g.nblocks);
		return -EINVAL;
	}
	g.written = calloc(g.region / g.bs, sizeof(*g.written));
	if (g.written == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < g.qd; i++) {
		g.io[i].buf = nvtcp_dma_zmalloc(g.max_size, 4096, NVTCP_ENV_NUMA_ANY);
		if (g.io[i].buf == NULL) {
			return -ENOMEM;
		}
	}
	g.qp = nvtcp_ctrlr_alloc_io_qpair(g.ctrlr, NULL, &rc);
	if (g.qp == NULL) {
		printf("bt_host: error: I/O queue pair: %s (%s)\n", strerror(-rc),
		       nvtcp_ctrlr_get_failure_reason(g.ctrlr));
		return rc;
	}
	return 0;
}

static uint32_t
busy_count(void)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < g.qd; i++) {
		n += g.io[i].busy;
	}
	return n;
}

static int
run(uint64_t deadline)
{
	uint64_t end = now_ms() + (uint64_t)g.seconds * 1000;
	bool submitting = true;
	int32_t rc;

	for (;;) {
		uint64_t t = now_ms();

		if (submitting && (g_stop || (g.ios > 0 ? g.submitted >= g.ios : t >= end) ||
				   g.errors > 0)) {
			submitting = false;
		}
		if (!submitting && busy_count() == 0) {
			return 0;
		}
		if (t > deadline) {
			printf("bt_host: error: hang: %u commands still outstanding at the deadline "
			       "(%u s)\n", busy_count(), g.deadline_s);
			return -ETIMEDOUT;
		}
		for (uint32_t i = 0; submitting && i < g.qd; i++) {
			if (!g.io[i].busy) {
				submit(&g.io[i]);
			}
		}
		rc = nvtcp_ctrlr_process_admin_completions(g.ctrlr);
		if (rc < 0 && submitting) {
			printf("bt_host: error: controller failed: %s\n",
			       nvtcp_ctrlr_get_failure_reason(g.ctrlr));
			note_error("controller failed: %s", nvtcp_ctrlr_get_failure_reason(g.ctrlr));
			submitting = false;
		}
		rc = nvtcp_qpair_process_completions(g.qp, 0);
		if (rc < 0) {
			/* Said on its own line: the first I/O error is usually only the abort
			 * that the failure caused. */
			printf("bt_host: error: I/O queue pair failed: %s%s%s\n", strerror(-rc),
			       nvtcp_ctrlr_get_failure_reason(g.ctrlr)[0] != '\0' ? "; controller: " : "",
			       nvtcp_ctrlr_get_failure_reason(g.ctrlr));
			note_error("I/O queue pair failed: %s", strerror(-rc));
			/* Its commands complete (with an error) when it is freed. */
			return 0;
		}
	}
}

int
main(int argc, char **argv)
{
	struct nvtcp_env_opts eo;
	struct sigaction sa;
	uint64_t deadline;
	int rc, status;

	if (parse(argc, argv) != 0) {
		return 2;
	}
	g.rng = 0x9E3779B97F4A7C15ull;
	g.last_state = NVTCP_CTRLR_STATE_CONNECTING;
	/* Warnings too: a host that recovers says what it recovers from at that level. */
	nvtcp_log_set_level(NVTCP_LOG_WARN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	nvtcp_env_opts_init(&eo);
	eo.name = "bt_host";
	eo.huge = NVTCP_ENV_HUGE_OFF;
	rc = nvtcp_env_init(&eo);
	if (rc != 0) {
		printf("bt_host: error: environment: %s\n", strerror(-rc));
		return 1;
	}
	deadline = now_ms() + (uint64_t)g.deadline_s * 1000;
	rc = attach(deadline);
	if (rc == 0) {
		rc = setup();
	}
	if (rc == 0) {
		rc = run(deadline);
	}
	status = rc == -ETIMEDOUT && g.ctrlr != NULL && g.qp != NULL ? 3 :
		 rc != 0 || g.errors > 0 ? 1 : 0;
	if (g.qp != NULL) {
		nvtcp_ctrlr_free_io_qpair(g.qp);
	}
	if (g.ctrlr != NULL) {
		nvtcp_ctrlr_detach(g.ctrlr);
	}
	if (g.errors > 0) {
		printf("bt_host: error: %s\n", g.first_error);
	}
	printf("bt_host: %s: %" PRIu64 " I/Os completed, %" PRIu64 " errors, %" PRIu64
	       " mismatches, %u resets, %u recoveries\n", status == 0 ? "ok" : "FAILED", g.done,
	       g.errors, g.mismatches, g.resets, g.recoveries);
	for (uint32_t i = 0; i < g.qd; i++) {
		nvtcp_dma_free(g.io[i].buf);
	}
	free(g.written);
	nvtcp_env_fini();
	return status;
}
