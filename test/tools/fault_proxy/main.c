/*
 * fault_proxy: command line, environment, loop and summary.
 *
 * The proxy runs an embedded reactor on its main thread (nvtcp_reactor_create() and its own
 * loop) rather than the launcher: a test tool sharing a small machine with the host and the
 * target under test must not spin a core, so the loop sleeps briefly after idle iterations
 * (unless --busy-poll), and the main thread is unpinned after start-up (unless --pin).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault_proxy.h"
#include "nvtcp/app.h"
#include "nvtcp/env.h"
#include "nvtcp/reactor.h"
#include "nvtcp/util.h"

/* Idle iterations before the loop starts to sleep, and how long it sleeps. */
#define IDLE_SPIN_ITERS 64
#define IDLE_SLEEP_NS 50000

enum {
	OPT_LISTEN = 0x1000,
	OPT_CONNECT,
	OPT_SEED,
	OPT_GLOBAL,
	OPT_ONLY_AFTER_BYTES,
	OPT_MAX_FAULTS,
	OPT_MAX_CONNS,
	OPT_BUFFER_SIZE,
	OPT_RESET_EVERY,
	OPT_RESET_AFTER_BYTES,
	OPT_RESET_HOW,
	OPT_FLIP_EVERY_BYTES,
	OPT_FLIP_WHERE,
	OPT_FLIP_PDU,
	OPT_STALL,
	OPT_STALL_EVERY,
	OPT_DELAY_US,
	OPT_SPLIT,
	OPT_COALESCE,
	OPT_JSON,
	OPT_LOG,
	OPT_QUIET,
	OPT_BUSY_POLL,
	OPT_PIN,
	OPT_TLS,
};

static const struct option g_long[] = {
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"connect", required_argument, NULL, OPT_CONNECT},
	{"seed", required_argument, NULL, OPT_SEED},
	{"global", no_argument, NULL, OPT_GLOBAL},
	{"tls", no_argument, NULL, OPT_TLS},
	{"only-after-bytes", required_argument, NULL, OPT_ONLY_AFTER_BYTES},
	{"max-faults", required_argument, NULL, OPT_MAX_FAULTS},
	{"max-conns", required_argument, NULL, OPT_MAX_CONNS},
	{"buffer-size", required_argument, NULL, OPT_BUFFER_SIZE},
	{"reset-every", required_argument, NULL, OPT_RESET_EVERY},
	{"reset-after-bytes", required_argument, NULL, OPT_RESET_AFTER_BYTES},
	{"reset-how", required_argument, NULL, OPT_RESET_HOW},
	{"flip-every-bytes", required_argument, NULL, OPT_FLIP_EVERY_BYTES},
	{"flip-where", required_argument, NULL, OPT_FLIP_WHERE},
	{"flip-pdu", required_argument, NULL, OPT_FLIP_PDU},
	{"stall", required_argument, NULL, OPT_STALL},
	{"stall-every", required_argument, NULL, OPT_STALL_EVERY},
	{"delay-us", required_argument, NULL, OPT_DELAY_US},
	{"split", required_argument, NULL, OPT_SPLIT},
	{"coalesce", required_argument, NULL, OPT_COALESCE},
	{"json", required_argument, NULL, OPT_JSON},
	{"log", required_argument, NULL, OPT_LOG},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"busy-poll", no_argument, NULL, OPT_BUSY_POLL},
	{"pin", no_argument, NULL, OPT_PIN},
	{NULL, 0, NULL, 0},
};

struct args {
	struct fp_config cfg;
	bool listen_set;
	bool connect_set;
	bool seed_set;
	bool pin;
};

static volatile sig_atomic_t g_stop;
/* Link changes asked by SIGUSR1 (down) and SIGUSR2 (blackhole); applied by the loop. */
static volatile sig_atomic_t g_usr1;
static volatile sig_atomic_t g_usr2;

static void
usage(void)
{
	printf("fault_proxy: a fault-injecting TCP proxy for NVMe/TCP tests\n\n"
	       "  --listen HOST:PORT          where to accept (port 0: any; the ready line says)\n"
	       "  --connect HOST:PORT         where to forward each connection\n"
	       "  --seed N                    seed of every random decision (default: time)\n"
	       "  --global                    one schedule for all connections (timers drop or\n"
	       "                              stall every connection at once); default: one each\n"
	       "  --tls                       the connections carry TLS: follow TLS records (the\n"
	       "                              PDUs inside are not visible); flips aim at the\n"
	       "                              bodies (ch: headers) of application_data records;\n"
	       "                              stalls fall on record boundaries\n"
	       "  --only-after-bytes N        no drop/flip/stall on a connection before N bytes\n"
	       "                              passed it (both directions); shaping always applies\n"
	       "  --max-faults N              stop injecting after N faults (default: no limit)\n"
	       "  --max-conns N               connections at once (default 256; more are reset)\n"
	       "  --buffer-size N             buffer per direction (default 256k): a destination\n"
	       "                              that does not drain stops the reading of its source\n"
	       "Faults (DIR: @h2c, @c2h or @both, default both; ranges A-B are random in range):\n"
	       "  --reset-every MS[-MS]       drop a connection after this time (each connection\n"
	       "                              once; with --global: all, repeatedly)\n"
	       "  --reset-after-bytes N[-N]   drop a connection after N bytes (both directions)\n"
	       "  --reset-how rst|fin|mixed   RST (SO_LINGER 0, default), FIN, or either\n"
	       "  --flip-every-bytes N[-N][DIR]  flip one bit every ~N bytes of a direction\n"
	       "                              (N alone: random in N/2..3N/2)\n"
	       "  --flip-where LIST           target: ch,psh,hdr,hdgst,pad,data,ddgst,digest,any\n"
	       "                              (default any)\n"
	       "  --flip-pdu LIST             only in these PDU types (C2HData,R2T,... or 0x07)\n"
	       "  --stall P:MS[-MS][DIR]      at each PDU boundary, with probability P (0.01,\n"
	       "                              1%%), stop forwarding that direction for MS ms\n"
	       "  --stall-every A[-B]:MS[-MS][DIR]  stall for MS ms every A..B ms\n"
	       "Shaping:\n"
	       "  --delay-us US[-US][DIR]     hold each chunk read for US microseconds\n"
	       "  --split MIN-MAX[DIR]        forward in chunks of MIN..MAX bytes, one send each\n"
	       "  --coalesce BYTES[:MS][DIR]  forward in batches of BYTES, or after MS ms (2)\n"
	       "Output:\n"
	       "  --log FILE                  fault and connection lines (default stdout)\n"
	       "  --json FILE                 write the summary as JSON on exit\n"
	       "  --quiet                     no per-fault lines (the summary still prints)\n"
	       "  --busy-poll                 never sleep when idle\n"
	       "  --pin                       keep the main thread pinned to its core\n"
	       "Prints \"fault_proxy: ready ...\" once listening; SIGINT/SIGTERM print the summary\n"
	       "and exit 0.\n"
	       "On demand: SIGUSR1 takes the link down (every connection reset with RST at once,\n"
	       "new ones reset on accept) or back up; SIGUSR2 blackholes it (nothing read, sent or\n"
	       "accepted; the peers see silence) or back up. Each change prints\n"
	       "\"fault_proxy: link OLD -> NEW\" to the log.\n");
}

static int
parse_dir_spec(const char *arg, char *buf, size_t len, unsigned int *dirs)
{
	if (strlen(arg) >= len) {
		return -EINVAL;
	}
	strcpy(buf, arg);
	return fp_split_dir(buf, dirs);
}

static int
parse_opt(int ch, const char *arg, void *ctx)
{
	struct args *a = ctx;
	struct fp_config *cfg = &a->cfg;
	char buf[128];
	uint64_t v;
	int rc;

	switch (ch) {
	case OPT_LISTEN:
		a->listen_set = true;
		return fp_parse_hostport(arg, cfg->listen_host, sizeof(cfg->listen_host),
					 cfg->listen_port, sizeof(cfg->listen_port));
	case OPT_CONNECT:
		a->connect_set = true;
		return fp_parse_hostport(arg, cfg->connect_host, sizeof(cfg->connect_host),
					 cfg->connect_port, sizeof(cfg->connect_port));
	case OPT_SEED:
		a->seed_set = true;
		return nvtcp_parse_u64(arg, UINT64_MAX, &cfg->seed);
	case OPT_GLOBAL:
		cfg->global = true;
		return 0;
	case OPT_TLS:
		cfg->tls = true;
		return 0;
	case OPT_ONLY_AFTER_BYTES:
		return nvtcp_parse_size(arg, &cfg->only_after_bytes);
	case OPT_MAX_FAULTS:
		return nvtcp_parse_u64(arg, UINT64_MAX, &cfg->max_faults);
	case OPT_MAX_CONNS:
		rc = nvtcp_parse_u64(arg, 65536, &v);
		if (rc == 0 && v == 0) {
			rc = -EINVAL;
		}
		cfg->max_conns = (uint32_t)v;
		return rc;
	case OPT_BUFFER_SIZE:
		rc = nvtcp_parse_size(arg, &cfg->buffer_size);
		if (rc == 0 && (cfg->buffer_size < 4096 || cfg->buffer_size > (64u << 20))) {
			rc = -ERANGE;
		}
		return rc;
	case OPT_RESET_EVERY:
		cfg->reset_every_set = true;
		return fp_parse_range(arg, false, &cfg->reset_every_ms);
	case OPT_RESET_AFTER_BYTES:
		cfg->reset_bytes_set = true;
		rc = fp_parse_range(arg, true, &cfg->reset_bytes);
		return rc == 0 && cfg->reset_bytes.lo == 0 ? -EINVAL : rc;
	case OPT_RESET_HOW:
		return fp_parse_reset_how(arg, &cfg->reset_how);
	case OPT_FLIP_EVERY_BYTES:
		cfg->flip_set = true;
		rc = parse_dir_spec(arg, buf, sizeof(buf), &cfg->flip_dirs);
		if (rc == 0) {
			rc = fp_parse_range(buf, true, &cfg->flip_every);
		}
		return rc == 0 && cfg->flip_every.hi == 0 ? -EINVAL : rc;
	case OPT_FLIP_WHERE:
		return fp_parse_where(arg, &cfg->flip_where);
	case OPT_FLIP_PDU:
		return fp_parse_pdu_types(arg, &cfg->flip_types);
	case OPT_STALL:
		cfg->stall_set = true;
		rc = parse_dir_spec(arg, buf, sizeof(buf), &cfg->stall_dirs);
		return rc == 0 ? fp_parse_stall(buf, &cfg->stall) : rc;
	case OPT_STALL_EVERY:
		cfg->stall_every_set = true;
		rc = parse_dir_spec(arg, buf, sizeof(buf), &cfg->stall_every_dirs);
		return rc == 0 ? fp_parse_stall_every(buf, &cfg->stall_every) : rc;
	case OPT_DELAY_US:
		cfg->delay_set = true;
		rc = parse_dir_spec(arg, buf, sizeof(buf), &cfg->delay_dirs);
		return rc == 0 ? fp_parse_range(buf, false, &cfg->delay_us) : rc;
	case OPT_SPLIT:
		cfg->split_set = true;
		rc = parse_dir_spec(arg, buf, sizeof(buf), &cfg->split_dirs);
		if (rc == 0) {
			rc = fp_parse_range(buf, true, &cfg->split);
		}
		return rc == 0 && cfg->split.lo == 0 ? -EINVAL : rc;
	case OPT_COALESCE:
		cfg->coalesce_set = true;
		rc = parse_dir_spec(arg, buf, sizeof(buf), &cfg->coalesce_dirs);
		return rc == 0 ? fp_parse_coalesce(buf, &cfg->coalesce) : rc;
	case OPT_JSON:
		cfg->json_path = arg;
		return 0;
	case OPT_LOG:
		cfg->log_path = arg;
		return 0;
	case OPT_QUIET:
		cfg->quiet = true;
		return 0;
	case OPT_BUSY_POLL:
		cfg->busy_poll = true;
		return 0;
	case OPT_PIN:
		a->pin = true;
		return 0;
	default:
		return -EINVAL;
	}
}

static void
on_signal(int signo)
{
	if (signo == SIGUSR1) {
		g_usr1++;
	} else if (signo == SIGUSR2) {
		g_usr2++;
	} else {
		g_stop = 1;
	}
}

/* A signal toggles between UP and its state (DOWN or BLACKHOLE). */
static void
link_toggle(struct fp_proxy *proxy, enum fp_link *cur, enum fp_link to)
{
	*cur = *cur == to ? FP_LINK_UP : to;
	fp_proxy_set_link(proxy, *cur);
}

static void
config_print(const struct fp_config *cfg, FILE *out)
{
	fprintf(out, "fault_proxy: seed=%llu scope=%s only_after_bytes=%llu max_faults=%llu "
		"buffer=%llu%s", (unsigned long long)cfg->seed, cfg->global ? "global" : "connection",
		(unsigned long long)cfg->only_after_bytes, (unsigned long long)cfg->max_faults,
		(unsigned long long)cfg->buffer_size, cfg->tls ? " tls" : "");
	if (cfg->reset_every_set) {
		fprintf(out, " reset_every_ms=%llu-%llu", (unsigned long long)cfg->reset_every_ms.lo,
			(unsigned long long)cfg->reset_every_ms.hi);
	}
	if (cfg->reset_bytes_set) {
		fprintf(out, " reset_after_bytes=%llu-%llu", (unsigned long long)cfg->reset_bytes.lo,
			(unsigned long long)cfg->reset_bytes.hi);
	}
	if (cfg->flip_set) {
		fprintf(out, " flip_every=%llu-%llu flip_dirs=0x%x flip_where=0x%x flip_types=0x%x",
			(unsigned long long)cfg->flip_every.lo, (unsigned long long)cfg->flip_every.hi,
			cfg->flip_dirs, cfg->flip_where, cfg->flip_types);
	}
	if (cfg->stall_set) {
		fprintf(out, " stall_ppm=%u stall_ms=%llu-%llu", cfg->stall.ppm,
			(unsigned long long)cfg->stall.ms.lo, (unsigned long long)cfg->stall.ms.hi);
	}
	if (cfg->stall_every_set) {
		fprintf(out, " stall_every_ms=%llu-%llu stall_ms=%llu-%llu",
			(unsigned long long)cfg->stall_every.every.lo,
			(unsigned long long)cfg->stall_every.every.hi,
			(unsigned long long)cfg->stall_every.ms.lo,
			(unsigned long long)cfg->stall_every.ms.hi);
	}
	if (cfg->delay_set) {
		fprintf(out, " delay_us=%llu-%llu", (unsigned long long)cfg->delay_us.lo,
			(unsigned long long)cfg->delay_us.hi);
	}
	if (cfg->split_set) {
		fprintf(out, " split=%llu-%llu", (unsigned long long)cfg->split.lo,
			(unsigned long long)cfg->split.hi);
	}
	if (cfg->coalesce_set) {
		fprintf(out, " coalesce=%llu:%llu", (unsigned long long)cfg->coalesce.bytes,
			(unsigned long long)cfg->coalesce.ms);
	}
	fputc('\n', out);
}

/* After start-up the environment has pinned this thread to one core; a proxy that mostly
 * sleeps should run wherever the kernel finds room, not compete with the code under test. */
static void
unpin(const cpu_set_t *orig)
{
	if (sched_setaffinity(0, sizeof(*orig), orig) != 0) {
		fprintf(stderr, "fault_proxy: warning: cannot restore the CPU affinity: %s\n",
			strerror(errno));
	}
}

static int
run(struct args *a, FILE *log)
{
	struct nvtcp_reactor *reactor;
	struct fp_proxy *proxy = NULL;
	struct sigaction sa;
	struct timespec idle = {.tv_sec = 0, .tv_nsec = IDLE_SLEEP_NS};
	unsigned int idle_iters = 0;
	sig_atomic_t usr1_seen = 0, usr2_seen = 0;
	enum fp_link link_state = FP_LINK_UP;
	int rc;

	reactor = nvtcp_reactor_create(NULL);
	if (reactor == NULL) {
		fprintf(stderr, "fault_proxy: cannot create the reactor: %s\n", strerror(errno));
		return -errno;
	}
	rc = fp_proxy_create(&a->cfg, log, &proxy);
	if (rc != 0) {
		fprintf(stderr, "fault_proxy: cannot listen on %s:%s: %s\n", a->cfg.listen_host,
			a->cfg.listen_port, strerror(-rc));
		nvtcp_reactor_destroy(reactor);
		return rc;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	config_print(&a->cfg, log);
	/* The ready marker goes to stdout in any case: scripts wait for it. */
	printf("fault_proxy: ready: listening on %s:%u -> %s:%s seed=%llu\n", a->cfg.listen_host,
	       fp_proxy_port(proxy), a->cfg.connect_host, a->cfg.connect_port,
	       (unsigned long long)a->cfg.seed);
	fflush(stdout);

	while (!g_stop) {
		while (usr1_seen != g_usr1) {
			usr1_seen++;
			link_toggle(proxy, &link_state, FP_LINK_DOWN);
		}
		while (usr2_seen != g_usr2) {
			usr2_seen++;
			link_toggle(proxy, &link_state, FP_LINK_BLACKHOLE);
		}
		if (nvtcp_reactor_poll(reactor) > 0 || a->cfg.busy_poll) {
			idle_iters = 0;
			continue;
		}
		if (++idle_iters > IDLE_SPIN_ITERS) {
			nanosleep(&idle, NULL);
		}
	}

	fp_proxy_close_all(proxy);
	fp_proxy_print_summary(proxy, log);
	if (log != stdout) {
		fp_proxy_print_summary(proxy, stdout);
	}
	rc = 0;
	if (a->cfg.json_path != NULL) {
		rc = fp_proxy_write_json(proxy, a->cfg.json_path);
		if (rc != 0) {
			fprintf(stderr, "fault_proxy: cannot write %s\n", a->cfg.json_path);
		}
	}
	fp_proxy_destroy(proxy);
	nvtcp_reactor_destroy(reactor);
	return rc;
}

int
main(int argc, char **argv)
{
	struct nvtcp_app_opts app;
	struct nvtcp_env_opts env;
	struct args a;
	cpu_set_t orig;
	FILE *log = stdout;
	int rc;

	memset(&a, 0, sizeof(a));
	a.cfg.max_conns = 256;
	a.cfg.buffer_size = 256 * 1024;
	a.cfg.reset_how = FP_RESET_RST;
	a.cfg.flip_where = FP_WHERE_ANY;
	nvtcp_app_opts_init(&app, "fault_proxy");
	/* The proxy needs no DMA memory: no hugepages unless asked (--huge). */
	app.huge = NVTCP_ENV_HUGE_OFF;
	rc = nvtcp_app_parse_args(argc, argv, &app, NULL, g_long, parse_opt, usage, &a);
	if (rc != 0) {
		return rc > 0 ? 0 : 2;
	}
	if (!a.listen_set || !a.connect_set) {
		fprintf(stderr, "fault_proxy: --listen and --connect are required (see --help)\n");
		return 2;
	}
	if (a.cfg.tls && a.cfg.flip_types != 0) {
		fprintf(stderr, "fault_proxy: --flip-pdu: PDU types are not visible inside TLS "
			"(--tls flips application_data records)\n");
		return 2;
	}
	if (!a.seed_set) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		a.cfg.seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^
			     ((uint64_t)getpid() << 32);
	}
	if (a.cfg.log_path != NULL) {
		log = fopen(a.cfg.log_path, "w");
		if (log == NULL) {
			fprintf(stderr, "fault_proxy: cannot open %s: %s\n", a.cfg.log_path,
				strerror(errno));
			return 2;
		}
	}
	nvtcp_log_set_level(app.log_level);
	if (sched_getaffinity(0, sizeof(orig), &orig) != 0) {
		CPU_ZERO(&orig);
	}
	nvtcp_env_opts_init(&env);
	env.name = "fault_proxy";
	env.core_mask = app.core_mask;
	env.mem_size_mb = app.mem_size_mb;
	env.huge = app.huge;
	env.file_prefix = app.file_prefix;
	rc = nvtcp_env_init(&env);
	if (rc != 0) {
		fprintf(stderr, "fault_proxy: cannot start the environment: %s\n", strerror(-rc));
		return 1;
	}
	if (!a.pin && CPU_COUNT(&orig) > 0) {
		unpin(&orig);
	}
	rc = run(&a, log);
	nvtcp_env_fini();
	if (log != stdout) {
		fclose(log);
	}
	return rc == 0 ? 0 : 1;
}
