/*
 * io_verify: data-verification workload for the interop and functional tests.
 *
 *   io_verify -r 'traddr:127.0.0.1 trsvcid:4420 subnqn:nqn...' -q 4 -d 8 -n 2000 \
 *             --min-size 512 --max-size 1M --read-pct 50 --prefill
 *
 * Attaches to each controller given with -r (repeatable), uses every active namespace of each,
 * opens -q I/O queue pairs per controller, puts them all in one poll group, and keeps -d I/Os
 * in flight on each: mixed random reads and writes of --min-size..--max-size bytes inside the
 * first --region bytes of every namespace. Every read is checked block by block against the
 * shadow of what was written (see io_verify.h); --prefill writes the region first so that every
 * block read is checked; the final pass reads the whole region back (disable with
 * --no-final-verify).
 *
 * Exit 0 only when every I/O completed successfully and every block read matched; the totals
 * are printed either way. Exit 1 on any error or mismatch, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvtcp/env.h"
#include "nvtcp/fabrics.h"
#include "nvtcp/log.h"
#include "tool.h"
#include "nvtcp/nvme.h"
#include "nvtcp/util.h"

#include "io_verify.h"

#define DEFAULT_REGION (64ull << 20)

enum {
	OPT_MIN_SIZE = 256,
	OPT_MAX_SIZE,
	OPT_READ_PCT,
	OPT_SEED,
	OPT_REGION,
	OPT_PREFILL,
	OPT_NO_FINAL,
	OPT_TIME_LIMIT,
	OPT_HOSTNQN,
	OPT_SIZE_DIST,
	OPT_SELFTEST,
};

static volatile int g_stop;
static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " IV_TOOL " -r TRID [-r TRID ...] [options]\n"
		"\n"
		"Mixed random reads and writes on every namespace of each controller, every block\n"
		"read verified against what was written.\n"
		"\n"
		"  -r, --trid TRID        controller (repeatable, up to %d); all its active namespaces\n"
		"                         are used\n"
		"  -q, --qpairs N         I/O queue pairs per controller, one poll group (default 2)\n"
		"  -d, --depth N          I/Os in flight per queue pair (default 8)\n"
		"  -n, --ios N            random I/Os to complete (default 10000)\n"
		"      --min-size SIZE    smallest I/O, e.g. 512, 4k (default 512)\n"
		"      --max-size SIZE    largest I/O, at most 1M (default 128k); both multiples of\n"
		"                         every namespace's block size, at least 512 bytes\n"
		"      --size-dist D      log (each power-of-two size band equally likely, default)\n"
		"                         or uniform\n"
		"      --read-pct P       percentage of reads, 0..100 (default 50)\n"
		"      --region SIZE      bytes used at the start of each namespace (default 64M,\n"
		"                         or the namespace size when smaller)\n"
		"      --prefill          write the whole region first, so every read is verified\n"
		"      --no-final-verify  skip the final read-back of the whole region\n"
		"  -H, --hdgst            header digests\n"
		"  -I, --ddgst            data digests\n"
		"      --seed N           seed of the workload and the data (default: from the clock;\n"
		"                         printed, so a run can be repeated)\n"
		"      --time-limit SEC   fail when the run takes longer (default 600, 0 = none)\n"
		"      --hostnqn NQN      host NQN to present\n"
		"  -L, --log-level LEVEL  library log level on stderr (default: errors kept quiet)\n"
		"  -v, --verbose          print phases and progress\n"
		"      --self-test        check the data checker itself (no I/O) and exit\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 all I/Os succeeded and verified, 1 error or mismatch, 2 usage error.\n",
		IV_MAX_CTRLRS);
}

static uint64_t
parse_num(const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (nvtcp_parse_u64(arg, max, &v) != 0 || v < min) {
		tool_usage_error("%s: '%s' is not a number in %" PRIu64 "..%" PRIu64, opt, arg, min, max);
	}
	return v;
}

static uint64_t
parse_sz(const char *opt, const char *arg)
{
	uint64_t v;

	if (nvtcp_parse_size(arg, &v) != 0) {
		tool_usage_error("%s: '%s' is not a size (e.g. 512, 4k, 1M)", opt, arg);
	}
	return v;
}

static void
parse_args(int argc, char **argv, struct iv_opts *o)
{
	static const struct option longopts[] = {
		{"trid", required_argument, NULL, 'r'},
		{"qpairs", required_argument, NULL, 'q'},
		{"depth", required_argument, NULL, 'd'},
		{"ios", required_argument, NULL, 'n'},
		{"min-size", required_argument, NULL, OPT_MIN_SIZE},
		{"max-size", required_argument, NULL, OPT_MAX_SIZE},
		{"size-dist", required_argument, NULL, OPT_SIZE_DIST},
		{"read-pct", required_argument, NULL, OPT_READ_PCT},
		{"region", required_argument, NULL, OPT_REGION},
		{"prefill", no_argument, NULL, OPT_PREFILL},
		{"no-final-verify", no_argument, NULL, OPT_NO_FINAL},
		{"hdgst", no_argument, NULL, 'H'},
		{"ddgst", no_argument, NULL, 'I'},
		{"seed", required_argument, NULL, OPT_SEED},
		{"time-limit", required_argument, NULL, OPT_TIME_LIMIT},
		{"hostnqn", required_argument, NULL, OPT_HOSTNQN},
		{"log-level", required_argument, NULL, 'L'},
		{"verbose", no_argument, NULL, 'v'},
		{"self-test", no_argument, NULL, OPT_SELFTEST},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum nvtcp_log_level level;
	struct timespec ts;
	bool seed_given = false;
	char why[256];
	uint64_t v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->qpairs = 2;
	o->depth = 8;
	o->num_ios = 10000;
	o->min_size = 512;
	o->max_size = 128 * 1024;
	o->read_pct = 50;
	o->region = DEFAULT_REGION;
	o->final_verify = true;
	o->time_limit_s = 600;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":r:q:d:n:HIL:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (o->num_trids == IV_MAX_CTRLRS) {
				tool_usage_error("-r: at most %d controllers", IV_MAX_CTRLRS);
			}
			o->trids[o->num_trids++] = optarg;
			break;
		case 'q':
			o->qpairs = (uint32_t)parse_num("-q/--qpairs", optarg, 1, 64);
			break;
		case 'd':
			o->depth = (uint32_t)parse_num("-d/--depth", optarg, 1, 1024);
			break;
		case 'n':
			o->num_ios = parse_num("-n/--ios", optarg, 1, UINT64_MAX / 2);
			break;
		case OPT_MIN_SIZE:
			v = parse_sz("--min-size", optarg);
			if (v < IV_MIN_IO || v > IV_MAX_IO) {
				tool_usage_error("--min-size: %s is outside 512..1M", optarg);
			}
			o->min_size = (uint32_t)v;
			break;
		case OPT_MAX_SIZE:
			v = parse_sz("--max-size", optarg);
			if (v < IV_MIN_IO || v > IV_MAX_IO) {
				tool_usage_error("--max-size: %s is outside 512..1M", optarg);
			}
			o->max_size = (uint32_t)v;
			break;
		case OPT_SIZE_DIST:
			if (strcmp(optarg, "log") == 0) {
				o->size_dist = IV_SIZE_LOG;
			} else if (strcmp(optarg, "uniform") == 0) {
				o->size_dist = IV_SIZE_UNIFORM;
			} else {
				tool_usage_error("--size-dist: '%s' is neither log nor uniform", optarg);
			}
			break;
		case OPT_READ_PCT:
			o->read_pct = (uint32_t)parse_num("--read-pct", optarg, 0, 100);
			break;
		case OPT_REGION:
			o->region = parse_sz("--region", optarg);
			if (o->region == 0) {
				tool_usage_error("--region: must not be 0");
			}
			o->region_given = true;
			break;
		case OPT_PREFILL:
			o->prefill = true;
			break;
		case OPT_NO_FINAL:
			o->final_verify = false;
			break;
		case 'H':
			o->hdgst = true;
			break;
		case 'I':
			o->ddgst = true;
			break;
		case OPT_SEED:
			o->seed = parse_num("--seed", optarg, 0, UINT64_MAX);
			seed_given = true;
			break;
		case OPT_TIME_LIMIT:
			o->time_limit_s = (uint32_t)parse_num("--time-limit", optarg, 0, 86400);
			break;
		case OPT_HOSTNQN:
			if (!nvtcp_nqn_valid(optarg, why, sizeof(why))) {
				tool_usage_error("--hostnqn: %s", why);
			}
			o->hostnqn = optarg;
			break;
		case 'L':
			if (nvtcp_log_parse_level(optarg, &level) != 0) {
				tool_usage_error("-L/--log-level: unknown level '%s' (error, warn, notice, "
					    "info, debug)", optarg);
			}
			o->log_level = (int)level;
			o->log_set = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_SELFTEST:
			exit(iv_selftest());
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			if (optopt > 0 && optopt < 256) {
				tool_usage_error("option -%c needs a value", optopt);
			}
			tool_usage_error("option %s needs a value", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 256) {
				tool_usage_error("unknown option '-%c'", optopt);
			}
			tool_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		tool_usage_error("unexpected argument '%s'", argv[optind]);
	}
	if (o->num_trids == 0) {
		tool_usage_error("-r TRID is required");
	}
	if (o->min_size > o->max_size) {
		tool_usage_error("--min-size %u is larger than --max-size %u", o->min_size, o->max_size);
	}
	if (!seed_given) {
		clock_gettime(CLOCK_REALTIME, &ts);
		o->seed = ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec;
	}
}

static int
attach_one(struct iv_run *run, struct iv_ctrlr *c, const char *trid_text)
{
	const struct iv_opts *o = &run->opts;
	struct nvtcp_ctrlr_opts copts;
	struct nvtcp_trid trid;
	char err[256];
	uint64_t deadline;
	int rc;

	nvtcp_trid_init(&trid);
	if (nvtcp_trid_parse(&trid, trid_text, err, sizeof(err)) != 0) {
		tool_usage_error("-r '%s': %s", trid_text, err);
	}
	if (trid.traddr[0] == '\0' || trid.subnqn[0] == '\0') {
		tool_usage_error("-r '%s': traddr and subnqn are required", trid_text);
	}
	if (o->hostnqn != NULL) {
		snprintf(trid.hostnqn, sizeof(trid.hostnqn), "%s", o->hostnqn);
	}
	nvtcp_trid_format(&trid, c->trid, sizeof(c->trid));

	nvtcp_ctrlr_opts_init(&copts);
	copts.hdgst = o->hdgst;
	copts.ddgst = o->ddgst;
	copts.num_io_queues = o->qpairs;
	if (copts.io_queue_size < o->depth + 1) {
		copts.io_queue_size = o->depth + 1;
	}
	tool_last_log_err[0] = '\0';
	rc = nvtcp_ctrlr_attach_async(&trid, &copts, &c->ctrlr);
	if (rc != 0) {
		fprintf(stderr, IV_TOOL ": cannot attach to %s: %s\n", c->trid,
			tool_attach_reason(NULL, rc));
		c->ctrlr = NULL;
		return rc;
	}
	deadline = iv_now_ms() + 60000;
	while ((rc = nvtcp_ctrlr_attach_poll(c->ctrlr)) == -EAGAIN && iv_now_ms() < deadline) {
	}
	if (rc != 0) {
		fprintf(stderr, IV_TOOL ": cannot attach to %s: %s\n", c->trid,
			rc == -EAGAIN ? "timed out after 60 s" : tool_attach_reason(c->ctrlr, rc));
		nvtcp_ctrlr_detach(c->ctrlr);
		c->ctrlr = NULL;
		return rc == -EAGAIN ? -ETIMEDOUT : rc;
	}
	if (o->hdgst != nvtcp_ctrlr_hdgst_enabled(c->ctrlr) ||
	    o->ddgst != nvtcp_ctrlr_ddgst_enabled(c->ctrlr)) {
		fprintf(stderr, IV_TOOL ": %s: digests asked header %s data %s, granted header %s "
			"data %s\n", c->trid, o->hdgst ? "on" : "off", o->ddgst ? "on" : "off",
			nvtcp_ctrlr_hdgst_enabled(c->ctrlr) ? "on" : "off",
			nvtcp_ctrlr_ddgst_enabled(c->ctrlr) ? "on" : "off");
		return -EPROTO;
	}
	return 0;
}

/* Namespaces of a controller, their limits and shadows. */
static int
setup_namespaces(struct iv_run *run, struct iv_ctrlr *c)
{
	const struct iv_opts *o = &run->opts;
	uint32_t n = nvtcp_ctrlr_get_num_active_ns(c->ctrlr), i = 0;

	if (n == 0) {
		fprintf(stderr, IV_TOOL ": %s has no active namespace\n", c->trid);
		return -ENODEV;
	}
	c->ns = calloc(n, sizeof(*c->ns));
	if (c->ns == NULL) {
		return -ENOMEM;
	}
	for (uint32_t nsid = nvtcp_ctrlr_get_first_active_ns(c->ctrlr); nsid != 0 && i < n;
	     nsid = nvtcp_ctrlr_get_next_active_ns(c->ctrlr, nsid)) {
		struct iv_ns *ns = &c->ns[i];
		uint64_t size, region;

		ns->ns = nvtcp_ctrlr_get_ns(c->ctrlr, nsid);
		if (ns->ns == NULL) {
			continue;
		}
		ns->ctrlr = c;
		ns->nsid = nsid;
		ns->block_size = nvtcp_ns_get_sector_size(ns->ns);
		size = nvtcp_ns_get_size(ns->ns);
		if (ns->block_size < 512 || ns->block_size > IV_MAX_IO ||
		    !NVTCP_IS_POWER_OF_2(ns->block_size)) {
			fprintf(stderr, IV_TOOL ": %s nsid %u: unsupported block size %u\n", c->trid,
				nsid, ns->block_size);
			return -EINVAL;
		}
		if (nvtcp_ns_get_md_size(ns->ns) != 0) {
			fprintf(stderr, IV_TOOL ": %s nsid %u: namespaces with metadata are not "
				"supported\n", c->trid, nsid);
			return -EINVAL;
		}
		if (o->min_size % ns->block_size != 0 || o->max_size % ns->block_size != 0) {
			tool_usage_error("--min-size %u / --max-size %u must be multiples of the %u-byte "
				    "blocks of %s nsid %u", o->min_size, o->max_size,
				    ns->block_size, c->trid, nsid);
		}
		region = o->region;
		if (region > size) {
			if (o->region_given) {
				tool_usage_error("--region %" PRIu64 " is larger than %s nsid %u (%" PRIu64
					    " bytes)", o->region, c->trid, nsid, size);
			}
			region = size;
		}
		if (region % ns->block_size != 0) {
			tool_usage_error("--region %" PRIu64 " is not a multiple of the %u-byte blocks of "
				    "%s nsid %u", region, ns->block_size, c->trid, nsid);
		}
		if (region < o->max_size) {
			tool_usage_error("--region %" PRIu64 " of %s nsid %u is smaller than --max-size %u",
				    region, c->trid, nsid, o->max_size);
		}
		ns->region_blocks = region / ns->block_size;
		ns->min_blocks = o->min_size / ns->block_size;
		ns->max_blocks = o->max_size / ns->block_size;
		ns->stamp = calloc(ns->region_blocks, sizeof(*ns->stamp));
		if (ns->stamp == NULL) {
			return -ENOMEM;
		}
		i++;
	}
	c->num_ns = i;
	return 0;
}

static int
setup_qpairs(struct iv_run *run, struct iv_ctrlr *c)
{
	const struct iv_opts *o = &run->opts;
	struct nvtcp_io_qpair_opts qopts;
	int rc;

	c->qpairs = calloc(o->qpairs, sizeof(*c->qpairs));
	if (c->qpairs == NULL) {
		return -ENOMEM;
	}
	nvtcp_ctrlr_get_default_io_qpair_opts(c->ctrlr, &qopts);
	if (qopts.io_queue_size < o->depth + 1) {
		qopts.io_queue_size = o->depth + 1;
	}
	for (uint32_t q = 0; q < o->qpairs; q++) {
		struct iv_qpair *qp = &c->qpairs[q];

		qp->ctrlr = c;
		qp->ios = calloc(o->depth, sizeof(*qp->ios));
		if (qp->ios == NULL) {
			return -ENOMEM;
		}
		for (uint32_t s = 0; s < o->depth; s++) {
			qp->ios[s].qp = qp;
			qp->ios[s].buf = aligned_alloc(4096, o->max_size);
			if (qp->ios[s].buf == NULL) {
				return -ENOMEM;
			}
		}
		tool_last_log_err[0] = '\0';
		qp->qpair = nvtcp_ctrlr_alloc_io_qpair(c->ctrlr, &qopts, &rc);
		if (qp->qpair == NULL) {
			fprintf(stderr, IV_TOOL ": %s: I/O queue pair %u of %u: %s\n", c->trid, q + 1,
				o->qpairs, tool_attach_reason(NULL, rc));
			return rc != 0 ? rc : -EIO;
		}
		c->num_qpairs++;
		rc = nvtcp_poll_group_add(run->group, qp->qpair);
		if (rc != 0) {
			fprintf(stderr, IV_TOOL ": %s: poll group: %s\n", c->trid, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void
teardown(struct iv_run *run)
{
	for (uint32_t i = 0; i < run->num_ctrlrs; i++) {
		struct iv_ctrlr *c = &run->ctrlrs[i];

		for (uint32_t q = 0; q < c->num_qpairs; q++) {
			if (run->group != NULL) {
				nvtcp_poll_group_remove(run->group, c->qpairs[q].qpair);
			}
			nvtcp_ctrlr_free_io_qpair(c->qpairs[q].qpair);
		}
		if (c->ctrlr != NULL) {
			nvtcp_ctrlr_detach(c->ctrlr);
		}
		/* Buffers last: nothing can complete into them once the queue pairs are gone. */
		for (uint32_t q = 0; c->qpairs != NULL && q < run->opts.qpairs; q++) {
			for (uint32_t s = 0; c->qpairs[q].ios != NULL && s < run->opts.depth; s++) {
				free(c->qpairs[q].ios[s].buf);
			}
			free(c->qpairs[q].ios);
		}
		free(c->qpairs);
		for (uint32_t n = 0; c->ns != NULL && n < c->num_ns; n++) {
			free(c->ns[n].stamp);
		}
		free(c->ns);
	}
	if (run->group != NULL) {
		nvtcp_poll_group_destroy(run->group);
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void
report(const struct iv_run *run, double elapsed)
{
	const struct iv_stats *s = &run->stats;
	uint64_t ios = s->reads + s->writes;
	struct nvtcp_poll_group_stats gs;

	printf("\nio_verify results (seed %" PRIu64 ")\n", run->opts.seed);
	printf("  I/Os completed:       %" PRIu64 " (%" PRIu64 " reads, %" PRIu64 " writes; "
	       "prefill %" PRIu64 ", random %" PRIu64 ", final verification %" PRIu64 ")\n",
	       ios, s->reads, s->writes, s->prefill_ios,
	       ios - s->prefill_ios - s->final_ios, s->final_ios);
	printf("  bytes:                %" PRIu64 " read, %" PRIu64 " written\n", s->bytes_read,
	       s->bytes_written);
	printf("  blocks verified:      %" PRIu64 " (%" PRIu64 " read before any write, not "
	       "checked)\n", s->verified_blocks, s->unverified_blocks);
	printf("  errors:               %" PRIu64 "\n", s->errors);
	printf("  mismatched blocks:    %" PRIu64 "\n", s->mismatched_blocks);
	printf("  elapsed:              %.2f s (%.0f IOPS, %.1f MiB/s)\n", elapsed,
	       elapsed > 0 ? (double)ios / elapsed : 0.0,
	       elapsed > 0 ? (double)(s->bytes_read + s->bytes_written) / elapsed / 1048576.0 :
	       0.0);
	if (run->group != NULL) {
		nvtcp_poll_group_get_stats(run->group, &gs);
		printf("  poll group:           %" PRIu64 " polls (%" PRIu64 " idle), %" PRIu64
		       " completions, %" PRIu64 " recv calls, %" PRIu64 " send calls\n", gs.polls,
		       gs.idle_polls, gs.completions, gs.recv_calls, gs.send_calls);
	}
}

int
main(int argc, char **argv)
{
	static struct iv_run run;
	struct nvtcp_env_opts eopts;
	struct sigaction sa;
	uint64_t start, end;
	int rc, status = 1;

	tool_name = IV_TOOL;

	parse_args(argc, argv, &run.opts);
	run.stop = &g_stop;
	run.rng = run.opts.seed ^ 0x9E3779B97F4A7C15ull;
	if (run.rng == 0) {
		run.rng = 1;
	}
	if (run.opts.log_set) {
		nvtcp_log_set_level((enum nvtcp_log_level)run.opts.log_level);
	} else {
		nvtcp_log_set_level(NVTCP_LOG_ERROR);
		nvtcp_log_set_callback(tool_quiet_log);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	nvtcp_env_opts_init(&eopts);
	eopts.name = IV_TOOL;
	rc = nvtcp_env_init(&eopts);
	if (rc != 0) {
		fprintf(stderr, IV_TOOL ": cannot initialise the environment: %s\n",
			tool_attach_reason(NULL, rc));
		return 1;
	}
	run.group = nvtcp_poll_group_create();
	if (run.group == NULL) {
		fprintf(stderr, IV_TOOL ": cannot create a poll group\n");
		goto out;
	}
	for (uint32_t i = 0; i < run.opts.num_trids; i++) {
		struct iv_ctrlr *c = &run.ctrlrs[i];

		run.num_ctrlrs++;
		if (attach_one(&run, c, run.opts.trids[i]) != 0 ||
		    setup_namespaces(&run, c) != 0 || setup_qpairs(&run, c) != 0) {
			goto out;
		}
		printf("%s: %u namespace%s, %u queue pairs x depth %u, header digest %s, data "
		       "digest %s\n", c->trid, c->num_ns, c->num_ns == 1 ? "" : "s", c->num_qpairs,
		       run.opts.depth, nvtcp_ctrlr_hdgst_enabled(c->ctrlr) ? "on" : "off",
		       nvtcp_ctrlr_ddgst_enabled(c->ctrlr) ? "on" : "off");
		for (uint32_t n = 0; n < c->num_ns; n++) {
			printf("  nsid %u: %u-byte blocks, region %" PRIu64 " blocks (%" PRIu64
			       " MiB)\n", c->ns[n].nsid, c->ns[n].block_size, c->ns[n].region_blocks,
			       c->ns[n].region_blocks * c->ns[n].block_size >> 20);
		}
	}
	printf("workload: %" PRIu64 " random I/Os, %u..%u bytes (%s), %u%% reads, seed %" PRIu64
	       "%s%s\n", run.opts.num_ios, run.opts.min_size, run.opts.max_size,
	       run.opts.size_dist == IV_SIZE_LOG ? "log" : "uniform", run.opts.read_pct,
	       run.opts.seed, run.opts.prefill ? ", prefill" : "",
	       run.opts.final_verify ? ", final verification" : "");
	fflush(stdout);

	start = iv_now_ms();
	rc = iv_engine_run(&run);
	end = iv_now_ms();
	report(&run, (double)(end - start) / 1000.0);
	if (rc != 0) {
		fprintf(stderr, IV_TOOL ": FAILED: %s\n", run.abort_reason);
	} else if (run.stats.errors != 0 || run.stats.mismatched_blocks != 0) {
		fprintf(stderr, IV_TOOL ": FAILED: %" PRIu64 " I/O errors, %" PRIu64
			" mismatched blocks\n", run.stats.errors, run.stats.mismatched_blocks);
	} else {
		printf("io_verify: PASSED\n");
		status = 0;
	}
out:
	teardown(&run);
	nvtcp_env_fini();
	return status;
}
