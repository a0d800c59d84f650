/*
 * bad_target: command line, listener, loop, exit status.
 *
 * One process runs one case on one port. It prints "bad_target: ready: ..." once listening,
 * one line per connection and per command the case spoils ("TRIGGERED"), and a summary on
 * exit. Exit status: 0 when the case triggered (or for --case none), 3 when it never did,
 * 1 on errors, 2 for a bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bad_target.h"
#include "nvtcp/log.h"
#include "nvtcp/util.h"

struct bt_target g_bt;

static volatile sig_atomic_t g_stop;

enum {
	OPT_LISTEN = 0x100,
	OPT_CASE,
	OPT_AFTER,
	OPT_QID,
	OPT_REPEAT,
	OPT_LIST,
	OPT_SUBNQN,
	OPT_NS_SIZE,
	OPT_BLOCK_SIZE,
	OPT_MAXH2CDATA,
	OPT_C2H_CHUNK,
	OPT_R2T_CHUNK,
	OPT_INCAPSULE,
	OPT_MDTS,
	OPT_MQES,
	OPT_MAX_IO_QUEUES,
	OPT_NO_HDGST,
	OPT_NO_DDGST,
	OPT_CPDA,
	OPT_TIMEOUT,
	OPT_EXIT_WHEN_IDLE,
	OPT_HELP,
};

static const struct option g_opts[] = {
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"case", required_argument, NULL, OPT_CASE},
	{"after", required_argument, NULL, OPT_AFTER},
	{"qid", required_argument, NULL, OPT_QID},
	{"repeat", no_argument, NULL, OPT_REPEAT},
	{"list", no_argument, NULL, OPT_LIST},
	{"subnqn", required_argument, NULL, OPT_SUBNQN},
	{"ns-size", required_argument, NULL, OPT_NS_SIZE},
	{"block-size", required_argument, NULL, OPT_BLOCK_SIZE},
	{"maxh2cdata", required_argument, NULL, OPT_MAXH2CDATA},
	{"c2h-chunk", required_argument, NULL, OPT_C2H_CHUNK},
	{"r2t-chunk", required_argument, NULL, OPT_R2T_CHUNK},
	{"incapsule", required_argument, NULL, OPT_INCAPSULE},
	{"mdts", required_argument, NULL, OPT_MDTS},
	{"mqes", required_argument, NULL, OPT_MQES},
	{"max-io-queues", required_argument, NULL, OPT_MAX_IO_QUEUES},
	{"no-hdgst", no_argument, NULL, OPT_NO_HDGST},
	{"no-ddgst", no_argument, NULL, OPT_NO_DDGST},
	{"cpda", required_argument, NULL, OPT_CPDA},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"exit-when-idle", required_argument, NULL, OPT_EXIT_WHEN_IDLE},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

static void
usage(void)
{
	printf("bad_target: an NVMe/TCP controller that misbehaves on purpose\n\n"
	       "  --listen HOST:PORT      where to listen (default 127.0.0.1:0, any free port)\n"
	       "  --case NAME             the misbehaviour (--list prints them; default none)\n"
	       "  --after N               let N eligible events pass first (commands of the\n"
	       "                          case's kind; connections for ICReq cases)\n"
	       "  --qid N                 only commands on queue N (0 = admin)\n"
	       "  --repeat                act on every eligible event after --after, not once\n"
	       "  --list                  print the cases and exit\n"
	       "Controller:\n"
	       "  --subnqn NQN            NVM subsystem NQN (default nqn.2016-06.io.nvtcp:bad-target)\n"
	       "  --ns-size SIZE          RAM namespace size (default 64M)\n"
	       "  --block-size 512|4096   (default 512)\n"
	       "  --maxh2cdata N          MAXH2CDATA (default 128k)\n"
	       "  --c2h-chunk N           bytes per C2HData at most (default 32k)\n"
	       "  --r2t-chunk N           bytes per R2T at most (default 64k)\n"
	       "  --incapsule N           I/O in-capsule data size (IOCCSZ; default 8192)\n"
	       "  --mdts N                MDTS (default 8: 1 MiB)\n"
	       "  --mqes N                CAP.MQES, 0's based (default 127)\n"
	       "  --max-io-queues N       (default 8)\n"
	       "  --no-hdgst, --no-ddgst  refuse digests the host asks for\n"
	       "  --cpda N                CPDA (default 0)\n"
	       "Run:\n"
	       "  --timeout S             exit after S seconds (default: never)\n"
	       "  --exit-when-idle MS     exit once the case triggered (for none: once a host\n"
	       "                          came) and no connection was open for MS ms\n"
	       "Exit status: 0 triggered (or --case none), 3 never triggered, 1 error, 2 usage.\n");
}

static int
parse_u64(const char *arg, uint64_t max, uint64_t *v)
{
	return nvtcp_parse_u64(arg, max, v);
}

static int
parse_hostport(const char *str)
{
	const char *colon = strrchr(str, ':');
	const char *h = str;
	size_t hl;

	if (colon == NULL || colon[1] == '\0') {
		return -EINVAL;
	}
	hl = (size_t)(colon - str);
	if (str[0] == '[' && hl >= 2 && str[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(g_bt.listen_host) || strlen(colon + 1) >= sizeof(g_bt.listen_port)) {
		return -EINVAL;
	}
	memcpy(g_bt.listen_host, h, hl);
	g_bt.listen_host[hl] = '\0';
	strcpy(g_bt.listen_port, colon + 1);
	return 0;
}

static int
parse_args(int argc, char **argv, uint64_t *timeout_s, uint64_t *idle_ms)
{
	uint64_t v;
	int ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "h", g_opts, NULL)) != -1) {
		switch (ch) {
		case OPT_LISTEN:
			rc = parse_hostport(optarg);
			break;
		case OPT_CASE:
			g_bt.case_id = bt_case_find(optarg);
			if (g_bt.case_id == BT_CASE_COUNT) {
				fprintf(stderr, "bad_target: unknown case '%s' (see --list)\n", optarg);
				return -EINVAL;
			}
			break;
		case OPT_AFTER:
			rc = parse_u64(optarg, UINT64_MAX, &g_bt.after);
			break;
		case OPT_QID:
			rc = parse_u64(optarg, 65535, &v);
			g_bt.qid = (int)v;
			break;
		case OPT_REPEAT:
			g_bt.repeat = true;
			break;
		case OPT_LIST:
			bt_case_list();
			return 1;
		case OPT_SUBNQN:
			if (strlen(optarg) == 0 || strlen(optarg) > NVTCP_NVMF_NQN_MAX_LEN) {
				rc = -EINVAL;
			} else {
				snprintf(g_bt.subnqn, sizeof(g_bt.subnqn), "%s", optarg);
			}
			break;
		case OPT_NS_SIZE:
			rc = nvtcp_parse_size(optarg, &v);
			if (rc == 0 && (v < 4096 || v > (4ull << 30))) {
				rc = -ERANGE;
			}
			g_bt.ns_blocks = v;
			break;
		case OPT_BLOCK_SIZE:
			rc = parse_u64(optarg, 4096, &v);
			if (rc == 0 && v != 512 && v != 4096) {
				rc = -EINVAL;
			}
			g_bt.block_shift = v == 4096 ? 12 : 9;
			break;
		case OPT_MAXH2CDATA:
			rc = nvtcp_parse_size(optarg, &v);
			if (rc == 0 && (v < 4096 || v % 4 != 0 || v > (16u << 20))) {
				rc = -EINVAL;
			}
			g_bt.maxh2cdata = (uint32_t)v;
			break;
		case OPT_C2H_CHUNK:
		case OPT_R2T_CHUNK:
			rc = nvtcp_parse_size(optarg, &v);
			if (rc == 0 && (v < 4 || v % 4 != 0 || v > (16u << 20))) {
				rc = -EINVAL;
			}
			*(ch == OPT_C2H_CHUNK ? &g_bt.c2h_chunk : &g_bt.r2t_chunk) = (uint32_t)v;
			break;
		case OPT_INCAPSULE:
			rc = nvtcp_parse_size(optarg, &v);
			if (rc == 0 && (v % 16 != 0 || v > (1u << 20))) {
				rc = -EINVAL;
			}
			g_bt.io_incapsule = (uint32_t)v;
			break;
		case OPT_MDTS:
			rc = parse_u64(optarg, 255, &v);
			g_bt.mdts = (uint8_t)v;
			break;
		case OPT_MQES:
			rc = parse_u64(optarg, 65535, &v);
			if (rc == 0 && v == 0) {
				rc = -EINVAL; /* that is the mqes_zero case */
			}
			g_bt.mqes = (uint16_t)v;
			break;
		case OPT_MAX_IO_QUEUES:
			rc = parse_u64(optarg, 65535, &v);
			if (rc == 0 && v == 0) {
				rc = -EINVAL;
			}
			g_bt.max_io_queues = (uint32_t)v;
			break;
		case OPT_NO_HDGST:
			g_bt.allow_hdgst = false;
			break;
		case OPT_NO_DDGST:
			g_bt.allow_ddgst = false;
			break;
		case OPT_CPDA:
			rc = parse_u64(optarg, NVTCP_TCP_PDA_MAX, &v);
			g_bt.cpda = (uint8_t)v;
			break;
		case OPT_TIMEOUT:
			rc = parse_u64(optarg, 86400, timeout_s);
			break;
		case OPT_EXIT_WHEN_IDLE:
			rc = parse_u64(optarg, 3600000, idle_ms);
			break;
		case OPT_HELP:
		case 'h':
			usage();
			return 1;
		default:
			fprintf(stderr, "bad_target: unknown option (see --help)\n");
			return -EINVAL;
		}
		if (rc != 0) {
			fprintf(stderr, "bad_target: %s: invalid value '%s'\n", argv[optind - 1],
				optarg != NULL ? optarg : "");
			return rc;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bad_target: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static void
on_signal(int signo)
{
	(void)signo;
	g_stop = 1;
}

static void
defaults(void)
{
	memset(&g_bt, 0, sizeof(g_bt));
	snprintf(g_bt.listen_host, sizeof(g_bt.listen_host), "127.0.0.1");
	snprintf(g_bt.listen_port, sizeof(g_bt.listen_port), "0");
	snprintf(g_bt.subnqn, sizeof(g_bt.subnqn), "nqn.2016-06.io.nvtcp:bad-target");
	g_bt.ns_blocks = 64ull << 20; /* bytes for now; blocks after parsing */
	g_bt.block_shift = 9;
	g_bt.maxh2cdata = 128 * 1024;
	g_bt.c2h_chunk = 32 * 1024;
	g_bt.r2t_chunk = 64 * 1024;
	g_bt.io_incapsule = 8192;
	g_bt.mdts = 8;
	g_bt.mqes = 127;
	g_bt.max_io_queues = 8;
	g_bt.allow_hdgst = true;
	g_bt.allow_ddgst = true;
	g_bt.qid = -1;
}

int
main(int argc, char **argv)
{
	struct nvtcp_sock *lsock;
	struct nvtcp_sock_opts so;
	struct sigaction sa;
	struct timespec idle = {.tv_sec = 0, .tv_nsec = 50000};
	uint64_t timeout_s = 0, idle_ms = 0, start, last_busy, deadline;
	unsigned int idle_iters = 0;
	bool ok;
	int rc;

	defaults();
	rc = parse_args(argc, argv, &timeout_s, &idle_ms);
	if (rc != 0) {
		return rc > 0 ? 0 : 2;
	}
	g_bt.ns_blocks >>= g_bt.block_shift;
	g_bt.ns = calloc(g_bt.ns_blocks, (size_t)1 << g_bt.block_shift);
	if (g_bt.ns == NULL) {
		fprintf(stderr, "bad_target: cannot allocate the namespace\n");
		return 1;
	}
	/* lib/tcp and lib/sock log protocol errors; the host's errors are ours to print. */
	nvtcp_log_set_level(NVTCP_LOG_WARN);

	nvtcp_sock_opts_init(&so);
	lsock = nvtcp_sock_listen(g_bt.listen_host, g_bt.listen_port, &so, &rc);
	if (lsock == NULL) {
		fprintf(stderr, "bad_target: cannot listen on %s:%s: %s\n", g_bt.listen_host,
			g_bt.listen_port, strerror(-rc));
		return 1;
	}
	nvtcp_sock_getaddr(lsock, NULL, &g_bt.port, NULL, NULL, 64);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	printf("bad_target: ready: listening on %s:%u subnqn=%s case=%s after=%llu qid=%d\n",
	       g_bt.listen_host, g_bt.port, g_bt.subnqn, bt_case_get(g_bt.case_id)->name,
	       (unsigned long long)g_bt.after, g_bt.qid);
	fflush(stdout);

	start = last_busy = bt_now_us();
	deadline = timeout_s > 0 ? start + timeout_s * 1000000 : UINT64_MAX;
	while (!g_stop) {
		bool progress = false;
		uint64_t now;

		for (int i = 0; i < 8; i++) {
			struct nvtcp_sock *s = nvtcp_sock_accept(lsock, &rc);

			if (s == NULL) {
				break;
			}
			if (bt_conn_create(s) != 0) {
				nvtcp_sock_close(&s);
			}
			progress = true;
		}
		progress |= bt_conns_poll();
		now = bt_now_us();
		if (bt_conns_count() > 0) {
			last_busy = now;
		}
		if (now >= deadline) {
			printf("bad_target: timeout after %llu s\n", (unsigned long long)timeout_s);
			break;
		}
		/* Idle exit: once the case has acted (or, for the reference case, once a host
		 * came and went). */
		if (idle_ms > 0 && (g_bt.triggered > 0 || (g_bt.case_id == BT_CASE_NONE &&
							 g_bt.conns_total > 0)) &&
		    now - last_busy >= idle_ms * 1000) {
			break;
		}
		if (progress) {
			idle_iters = 0;
		} else if (++idle_iters > 64) {
			nanosleep(&idle, NULL);
		}
	}

	bt_conns_close_all();
	nvtcp_sock_close(&lsock);
	ok = g_bt.case_id == BT_CASE_NONE || g_bt.triggered > 0;
	printf("bad_target: summary: case=%s triggered=%llu connections=%llu commands=%llu "
	       "host_errors=%llu\n", bt_case_get(g_bt.case_id)->name,
	       (unsigned long long)g_bt.triggered, (unsigned long long)g_bt.conns_total,
	       (unsigned long long)g_bt.cmds_total, (unsigned long long)g_bt.errors_from_host);
	if (!ok) {
		printf("bad_target: the case never triggered\n");
	}
	fflush(stdout);
	free(g_bt.ns);
	return ok ? 0 : 3;
}
