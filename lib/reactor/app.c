/*
 * Application framework: common options, start-up, signals and stop.
 *
 * Signal handlers only bump atomic counters (lock-free atomics are async-signal-safe); a timed
 * poller on the main reactor turns them into the application's callbacks, so that the callbacks
 * run on a reactor like any other code and may do anything a reactor may do.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/app.h"
#include "nvtcp/reactor.h"
#include "nvtcp/util.h"

/* How often the main reactor looks at the signal flags. */
#define APP_SIGNAL_POLL_US 1000
#define APP_FILE_PREFIX_MAX 64
/* -s above this is surely a typo (1 TiB). */
#define APP_MEM_MAX_MB ((uint64_t)1 << 20)

/* Values of the long-only common options: outside the range of characters an application
 * would use for its own options. */
enum {
	OPT_NO_HUGE = 0x7fff0001,
	OPT_HUGE,
	OPT_FILE_PREFIX,
};

#define COMMON_SHORT "m:s:L:h"

static const struct option g_common_long[] = {
	{"cpumask", required_argument, NULL, 'm'},
	{"mem-size", required_argument, NULL, 's'},
	{"no-huge", no_argument, NULL, OPT_NO_HUGE},
	{"huge", no_argument, NULL, OPT_HUGE},
	{"file-prefix", required_argument, NULL, OPT_FILE_PREFIX},
	{"log-level", required_argument, NULL, 'L'},
	{"help", no_argument, NULL, 'h'},
};

static atomic_int g_sig_shutdown;
static atomic_int g_sig_usr1;
static atomic_int g_sig_last;
static atomic_int g_app_rc;
static atomic_bool g_app_running;
static bool g_shutdown_started;
static struct nvtcp_app_opts g_app_opts;
static void (*g_start_fn)(void *ctx);
static void *g_start_ctx;

void
nvtcp_app_opts_init(struct nvtcp_app_opts *opts, const char *name)
{
	memset(opts, 0, sizeof(*opts));
	opts->name = name;
	opts->huge = NVTCP_ENV_HUGE_AUTO;
	/* NOTICE unless NVTCP_LOG_LEVEL says otherwise. */
	opts->log_level = nvtcp_log_get_level();
}

/* ---- Options ----------------------------------------------------------------------------- */

static void
usage_print(const struct nvtcp_app_opts *opts, void (*usage)(void))
{
	printf("Usage: %s [options]\n\n", opts->name);
	printf("Common options:\n"
	       "  -m, --cpumask <mask>      cores, as a hexadecimal mask (e.g. 0x3; default core 0)\n"
	       "  -s, --mem-size <size>     memory to reserve: MiB, or with a suffix (512, 2G);\n"
	       "                            default: allocated on demand\n"
	       "      --huge                require hugepages\n"
	       "      --no-huge             never use hugepages (default: use them when enough\n"
	       "                            are free)\n"
	       "      --file-prefix <name>  DPDK runtime file prefix (default: none, in-memory)\n"
	       "  -L, --log-level <level>   error, warn, notice, info or debug (default notice)\n"
	       "  -h, --help                show this help\n");
	if (usage != NULL) {
		printf("\n%s options:\n", opts->name);
		usage();
	}
	fflush(stdout);
}

static bool
core_mask_valid(const char *mask)
{
	const char *p = mask;
	bool nonzero = false;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
	}
	if (*p == '\0') {
		return false;
	}
	for (; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		      (*p >= 'A' && *p <= 'F'))) {
			return false;
		}
		nonzero |= *p != '0';
	}
	return nonzero;
}

/* "512" is MiB; "512M", "2G", "1048576k" carry their unit. */
static int
mem_size_parse(const char *arg, size_t *mb)
{
	bool plain = arg[0] != '\0' && strspn(arg, "0123456789") == strlen(arg);
	uint64_t v;
	int rc;

	if (plain) {
		rc = nvtcp_parse_u64(arg, APP_MEM_MAX_MB, &v);
	} else {
		rc = nvtcp_parse_size(arg, &v);
		if (rc == 0) {
			/* Round up: "-s 1500k" must not become 1 MiB. */
			v = v / (1 << 20) + (v % (1 << 20) != 0);
			rc = v > APP_MEM_MAX_MB ? -ERANGE : 0;
		}
	}
	if (rc == 0) {
		*mb = (size_t)v;
	}
	return rc;
}

/* How to name the option in a message: "--long" when given that way, else "-c". */
static void
opt_name(char *buf, size_t len, const struct option *longopts, int longidx, int ch)
{
	if (longidx >= 0) {
		snprintf(buf, len, "--%s", longopts[longidx].name);
	} else if (ch > 0 && ch < 256) {
		snprintf(buf, len, "-%c", ch);
	} else {
		snprintf(buf, len, "option %d", ch);
	}
}

static int
common_opt(struct nvtcp_app_opts *opts, int ch, const char *arg, const char *name,
	   const char *prog)
{
	enum nvtcp_log_level level;
	int rc;

	switch (ch) {
	case 'm':
		if (!core_mask_valid(arg)) {
			fprintf(stderr, "%s: %s: invalid core mask '%s' (expected hexadecimal, "
				"e.g. 0x3)\n", prog, name, arg);
			return -EINVAL;
		}
		opts->core_mask = arg;
		return 0;
	case 's':
		rc = mem_size_parse(arg, &opts->mem_size_mb);
		if (rc != 0) {
			fprintf(stderr, "%s: %s: invalid memory size '%s' (%s; MiB, or with a K/M/G/T "
				"suffix, at most 1T)\n", prog, name, arg,
				rc == -ERANGE ? "too large" : "not a size");
		}
		return rc;
	case 'L':
		if (nvtcp_log_parse_level(arg, &level) != 0) {
			fprintf(stderr, "%s: %s: invalid log level '%s' (error, warn, notice, info "
				"or debug)\n", prog, name, arg);
			return -EINVAL;
		}
		opts->log_level = level;
		return 0;
	case OPT_NO_HUGE:
		opts->huge = NVTCP_ENV_HUGE_OFF;
		return 0;
	case OPT_HUGE:
		opts->huge = NVTCP_ENV_HUGE_REQUIRE;
		return 0;
	case OPT_FILE_PREFIX:
		if (arg[0] == '\0' || strlen(arg) > APP_FILE_PREFIX_MAX || strchr(arg, '/')) {
			fprintf(stderr, "%s: %s: invalid file prefix '%s' (1 to %d characters, no "
				"'/')\n", prog, name, arg, APP_FILE_PREFIX_MAX);
			return -EINVAL;
		}
		opts->file_prefix = arg;
		return 0;
	default:
		return 1;
	}
}

/* An application option that shadows a common one is a bug in the application. */
static int
app_opts_check(const char *prog, const char *app_getopt, const struct option *app_long,
	       size_t napp_long)
{
	for (const char *p = app_getopt; p != NULL && *p != '\0'; p++) {
		if (*p != ':' && strchr(COMMON_SHORT, *p) != NULL) {
			fprintf(stderr, "%s: application option -%c conflicts with a common option\n",
				prog, *p);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < napp_long; i++) {
		for (size_t j = 0; j < NVTCP_COUNTOF(g_common_long); j++) {
			if (strcmp(app_long[i].name, g_common_long[j].name) == 0) {
				fprintf(stderr, "%s: application option --%s conflicts with a common "
					"option\n", prog, app_long[i].name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int
nvtcp_app_parse_args(int argc, char **argv, struct nvtcp_app_opts *opts, const char *app_getopt,
		     const struct option *app_long, nvtcp_app_parse_fn parse,
		     void (*usage)(void), void *ctx)
{
	size_t napp_long = 0, ncommon = NVTCP_COUNTOF(g_common_long);
	struct option *longopts = NULL;
	char *shortopts = NULL;
	const char *prog;
	char name[80];
	int ch, longidx, rc = 0;

	if (opts->name == NULL) {
		opts->name = argc > 0 && argv[0] != NULL ? argv[0] : "nvtcp";
	}
	prog = opts->name;
	if (app_getopt != NULL) {
		/* Our own flags lead the combined string; drop the application's. */
		app_getopt += strspn(app_getopt, ":+-");
	}
	while (app_long != NULL && app_long[napp_long].name != NULL) {
		napp_long++;
	}
	rc = app_opts_check(prog, app_getopt, app_long, napp_long);
	if (rc != 0) {
		return rc;
	}
	longopts = calloc(ncommon + napp_long + 1, sizeof(*longopts));
	if (asprintf(&shortopts, ":" COMMON_SHORT "%s", app_getopt ? app_getopt : "") < 0) {
		shortopts = NULL;
	}
	if (longopts == NULL || shortopts == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(longopts, g_common_long, sizeof(g_common_long));
	if (napp_long > 0) {
		memcpy(longopts + ncommon, app_long, napp_long * sizeof(*longopts));
	}

	/* optind = 0 makes glibc start afresh, so the parser can run more than once. */
	optind = 0;
	opterr = 0;
	for (;;) {
		longidx = -1;
		ch = getopt_long(argc, argv, shortopts, longopts, &longidx);
		if (ch == -1) {
			break;
		}
		if (ch == '?') {
			const char *bad = argv[optind - 1];

			if (strncmp(bad, "--", 2) == 0 && optopt != 0) {
				/* A known long option given "=value" that takes none. */
				fprintf(stderr, "%s: option '%.*s' takes no value\n", prog,
					(int)strcspn(bad, "="), bad);
			} else if (strncmp(bad, "--", 2) == 0) {
				fprintf(stderr, "%s: unknown option '%.*s' (see --help)\n", prog,
					(int)strcspn(bad, "="), bad);
			} else {
				fprintf(stderr, "%s: unknown option '-%c' (see --help)\n", prog, optopt);
			}
			rc = -EINVAL;
			goto out;
		}
		if (ch == ':') {
			fprintf(stderr, "%s: option '%s' needs a value\n", prog, argv[optind - 1]);
			rc = -EINVAL;
			goto out;
		}
		opt_name(name, sizeof(name), longopts, longidx, ch);
		if (ch == 'h') {
			usage_print(opts, usage);
			rc = 1;
			goto out;
		}
		rc = common_opt(opts, ch, optarg, name, prog);
		if (rc <= 0) {
			if (rc < 0) {
				goto out;
			}
			continue;
		}
		if (parse == NULL) {
			fprintf(stderr, "%s: option %s is not handled\n", prog, name);
			rc = -EINVAL;
			goto out;
		}
		rc = parse(ch, optarg, ctx);
		if (rc < 0) {
			if (optarg != NULL) {
				fprintf(stderr, "%s: %s: invalid value '%s'\n", prog, name, optarg);
			} else {
				fprintf(stderr, "%s: %s: rejected\n", prog, name);
			}
			goto out;
		}
		rc = 0;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
		rc = -EINVAL;
	}
out:
	free(longopts);
	free(shortopts);
	return rc;
}

/* ---- Start and stop ---------------------------------------------------------------------- */

static void
sig_handler(int signo)
{
	atomic_store(&g_sig_last, signo);
	if (signo == SIGUSR1) {
		atomic_fetch_add(&g_sig_usr1, 1);
	} else {
		atomic_fetch_add(&g_sig_shutdown, 1);
	}
}

static int
sig_poll(void *arg)
{
	int busy = NVTCP_POLLER_IDLE;

	if (atomic_exchange(&g_sig_usr1, 0) > 0) {
		busy = NVTCP_POLLER_BUSY;
		if (g_app_opts.usr1_cb != NULL) {
			g_app_opts.usr1_cb(g_app_opts.ctx);
		}
	}
	if (atomic_exchange(&g_sig_shutdown, 0) > 0) {
		int signo = atomic_load(&g_sig_last);

		busy = NVTCP_POLLER_BUSY;
		if (g_shutdown_started) {
			NVTCP_WARNLOG("%s again during shutdown: stopping at once",
				      strsignal(signo));
			nvtcp_app_stop(-EINTR);
		} else if (g_app_opts.shutdown_cb != NULL) {
			g_shutdown_started = true;
			NVTCP_NOTICELOG("%s: shutting down", strsignal(signo));
			g_app_opts.shutdown_cb(g_app_opts.ctx);
		} else {
			g_shutdown_started = true;
			NVTCP_NOTICELOG("%s: stopping", strsignal(signo));
			nvtcp_app_stop(0);
		}
	}
	return busy;
}

static void
app_start_msg(void *arg)
{
	struct nvtcp_poller *poller = nvtcp_poller_register(sig_poll, NULL, APP_SIGNAL_POLL_US);

	/* The poller lives until the launcher frees the main reactor. */
	if (poller == NULL) {
		NVTCP_ERRLOG("cannot register the signal poller");
		nvtcp_app_stop(-ENOMEM);
		return;
	}
	g_start_fn(g_start_ctx);
}

int
nvtcp_app_start(const struct nvtcp_app_opts *opts, void (*start_fn)(void *ctx), void *ctx)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGUSR1, SIGPIPE};
	struct sigaction old[NVTCP_COUNTOF(sigs)];
	struct nvtcp_env_opts env_opts;
	int rc;

	if (opts == NULL || start_fn == NULL) {
		return -EINVAL;
	}
	if (atomic_exchange(&g_app_running, true)) {
		return -EBUSY;
	}
	g_app_opts = *opts;
	g_start_fn = start_fn;
	g_start_ctx = ctx;
	g_shutdown_started = false;
	atomic_store(&g_app_rc, 0);
	atomic_store(&g_sig_shutdown, 0);
	atomic_store(&g_sig_usr1, 0);
	nvtcp_log_set_level(opts->log_level);

	nvtcp_env_opts_init(&env_opts);
	if (opts->name != NULL) {
		env_opts.name = opts->name;
	}
	env_opts.core_mask = opts->core_mask;
	env_opts.mem_size_mb = opts->mem_size_mb;
	env_opts.huge = opts->huge;
	env_opts.file_prefix = opts->file_prefix;
	rc = nvtcp_env_init(&env_opts);
	if (rc != 0) {
		atomic_store(&g_app_running, false);
		return rc;
	}

	for (size_t i = 0; i < NVTCP_COUNTOF(sigs); i++) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		/* A peer that closes its socket must not kill us: writes get EPIPE instead. */
		sa.sa_handler = sigs[i] == SIGPIPE ? SIG_IGN : sig_handler;
		sigaction(sigs[i], &sa, &old[i]);
	}

	rc = nvtcp_reactors_start(app_start_msg, NULL);

	for (size_t i = 0; i < NVTCP_COUNTOF(sigs); i++) {
		sigaction(sigs[i], &old[i], NULL);
	}
	nvtcp_env_fini();
	atomic_store(&g_app_running, false);
	return rc != 0 ? rc : atomic_load(&g_app_rc);
}

void
nvtcp_app_stop(int rc)
{
	atomic_store(&g_app_rc, rc);
	nvtcp_reactors_stop();
}
