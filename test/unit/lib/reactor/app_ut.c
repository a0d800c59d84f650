/*
 * Unit tests of lib/reactor/app.c: option parsing (good values, bad values named in the error,
 * --help, application options passed through), and start/stop with real signals, each start in
 * its own child process (the environment starts once per process).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/app.h"
#include "nvtcp/reactor.h"
#include "nvtcp/util.h"

#include "ut.h"

#define CHILD_TIMEOUT_S 60

/* ---- Running the parser with stdout/stderr captured -------------------------------------- */

struct app_ctx {
	int x_count;
	const char *y_value;
	const char *long_value;
	bool flag;
	int last_ch;
};

enum { OPT_APP_LONG = 300, OPT_APP_FLAG };

static const struct option g_app_long[] = {
	{"queue-depth", required_argument, NULL, OPT_APP_LONG},
	{"flag", no_argument, NULL, OPT_APP_FLAG},
	{"why", required_argument, NULL, 'y'},
	{NULL, 0, NULL, 0},
};

static int
app_parse(int ch, const char *arg, void *vctx)
{
	struct app_ctx *ctx = vctx;

	ctx->last_ch = ch;
	switch (ch) {
	case 'x':
		ctx->x_count++;
		return 0;
	case 'y':
		if (strcmp(arg, "bad") == 0) {
			return -EINVAL;
		}
		ctx->y_value = arg;
		return 0;
	case OPT_APP_LONG:
		ctx->long_value = arg;
		return strcmp(arg, "0") == 0 ? -ERANGE : 0;
	case OPT_APP_FLAG:
		ctx->flag = true;
		return 0;
	default:
		return -EINVAL;
	}
}

static void
app_usage(void)
{
	printf("  -x                 more x\n");
}

static char g_out[8192];
static char g_err[8192];

static void
read_all(int fd, char *buf, size_t len)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Parse argv (NULL-terminated) into opts; captures what the parser prints. */
static int
parse(struct nvtcp_app_opts *opts, struct app_ctx *ctx, const char *app_getopt,
      const char **args)
{
	char *argv[32];
	int argc = 0, rc;
	char pout[] = "/tmp/app_ut_out_XXXXXX", perr[] = "/tmp/app_ut_err_XXXXXX";
	int fout = mkstemp(pout), ferr = mkstemp(perr);
	int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);

	CU_ASSERT_FATAL(fout >= 0 && ferr >= 0 && saved_out >= 0 && saved_err >= 0);
	unlink(pout);
	unlink(perr);
	argv[argc++] = (char *)"app_ut";
	for (; *args != NULL; args++) {
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	nvtcp_app_opts_init(opts, "app_ut");
	memset(ctx, 0, sizeof(*ctx));

	fflush(stdout);
	fflush(stderr);
	dup2(fout, STDOUT_FILENO);
	dup2(ferr, STDERR_FILENO);
	rc = nvtcp_app_parse_args(argc, argv, opts, app_getopt, g_app_long, app_parse, app_usage,
				  ctx);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	read_all(fout, g_out, sizeof(g_out));
	read_all(ferr, g_err, sizeof(g_err));
	return rc;
}

#define ARGS(...) ((const char *[]){__VA_ARGS__, NULL})

static void
test_defaults(void)
{
	struct nvtcp_app_opts opts;
	struct app_ctx ctx;

	memset(&opts, 0x5a, sizeof(opts));
	nvtcp_app_opts_init(&opts, "t");
	CU_ASSERT_STRING_EQUAL(opts.name, "t");
	CU_ASSERT_PTR_NULL(opts.core_mask);
	CU_ASSERT_EQUAL(opts.mem_size_mb, 0);
	CU_ASSERT_EQUAL(opts.huge, NVTCP_ENV_HUGE_AUTO);
	CU_ASSERT_PTR_NULL(opts.file_prefix);
	CU_ASSERT_EQUAL(opts.log_level, nvtcp_log_get_level());
	CU_ASSERT_PTR_NULL(opts.shutdown_cb);
	CU_ASSERT_PTR_NULL(opts.usr1_cb);
	/* No arguments at all. */
	CU_ASSERT_EQUAL(parse(&opts, &ctx, NULL, (const char *[]){NULL}), 0);
	CU_ASSERT_STRING_EQUAL(g_err, "");
}

static void
test_common_good(void)
{
	struct nvtcp_app_opts opts;
	struct app_ctx ctx;

	CU_ASSERT_EQUAL(parse(&opts, &ctx, NULL, ARGS("-m", "0x3", "-s", "512", "--no-huge",
						     "--file-prefix", "pfx", "-L", "debug")), 0);
	CU_ASSERT_STRING_EQUAL(opts.core_mask, "0x3");
	CU_ASSERT_EQUAL(opts.mem_size_mb, 512);
	CU_ASSERT_EQUAL(opts.huge, NVTCP_ENV_HUGE_OFF);
	CU_ASSERT_STRING_EQUAL(opts.file_prefix, "pfx");
	CU_ASSERT_EQUAL(opts.log_level, NVTCP_LOG_DEBUG);
	CU_ASSERT_STRING_EQUAL(g_err, "");

	CU_ASSERT_EQUAL(parse(&opts, &ctx, NULL, ARGS("--cpumask=ff", "--mem-size=2G", "--huge",
						     "--log-level", "WARN")), 0);
	CU_ASSERT_STRING_EQUAL(opts.core_mask, "ff");
	CU_ASSERT_EQUAL(opts.mem_size_mb, 2048);
	CU_ASSERT_EQUAL(opts.huge, NVTCP_ENV_HUGE_REQUIRE);
	CU_ASSERT_EQUAL(opts.log_level, NVTCP_LOG_WARN);

	/* Sizes: a suffix is honoured and rounded up to whole MiB. */
	CU_ASSERT_EQUAL(parse(&opts, &ctx, NULL, ARGS("-s", "1500k")), 0);
	CU_ASSERT_EQUAL(opts.mem_size_mb, 2);
	CU_ASSERT_EQUAL(parse(&opts, &ctx, NULL, ARGS("-s", "256MiB")), 0);
	CU_ASSERT_EQUAL(opts.mem_size_mb, 256);
	CU_ASSERT_EQUAL(parse(&opts, &ctx, NULL, ARGS("-s", "0")), 0);
	CU_ASSERT_EQUAL(opts.mem_size_mb, 0);
	CU_ASSERT_EQUAL(parse(&opts, &ctx, NULL, ARGS("-s1T")), 0);
	CU_ASSERT_EQUAL(opts.mem_size_mb, 1024 * 1024);
}

/* Each bad value fails with a one-line message that names the option. */
static void
expect_error(const char **args, const char *needle1, const char *needle2)
{
	struct nvtcp_app_opts opts;
	struct app_ctx ctx;
	int rc = parse(&opts, &ctx, "xy:", args);
	char *nl = strchr(g_err, '\n');

	CU_ASSERT(rc < 0);
	CU_ASSERT(strstr(g_err, needle1) != NULL);
	if (needle2 != NULL) {
		CU_ASSERT(strstr(g_err, needle2) != NULL);
	}
	CU_ASSERT(nl != NULL && nl[1] == '\0');
	if (rc >= 0 || strstr(g_err, needle1) == NULL) {
		fprintf(stderr, "\n  for '%s': rc %d, message: %s", args[0], rc, g_err);
	}
}

static void
test_common_bad(void)
{
	expect_error(ARGS("-m", "0xZZ"), "-m", "0xZZ");
	expect_error(ARGS("--cpumask", "0x0"), "--cpumask", "0x0");
	expect_error(ARGS("-m", ""), "-m", "invalid core mask");
	expect_error(ARGS("-s", "lots"), "-s", "lots");
	expect_error(ARGS("--mem-size", "-5"), "--mem-size", "-5");
	expect_error(ARGS("-s", "2000000"), "-s", "too large");
	expect_error(ARGS("-s", "4P"), "-s", "4P");
	expect_error(ARGS("-L", "chatty"), "-L", "chatty");
	expect_error(ARGS("--log-level=x"), "--log-level", NULL);
	expect_error(ARGS("--file-prefix", "a/b"), "--file-prefix", "a/b");
	expect_error(ARGS("--file-prefix="), "--file-prefix", NULL);
	/* Unknown options, missing values, stray arguments. */
	expect_error(ARGS("-q"), "unknown option '-q'", NULL);
	expect_error(ARGS("--bogus"), "unknown option '--bogus'", NULL);
	expect_error(ARGS("--bogus=1"), "unknown option '--bogus'", NULL);
	expect_error(ARGS("--no-huge=1"), "'--no-huge' takes no value", NULL);
	expect_error(ARGS("-m"), "'-m' needs a value", NULL);
	expect_error(ARGS("--cpumask"), "'--cpumask' needs a value", NULL);
	expect_error(ARGS("-y"), "'-y' needs a value", NULL);
	expect_error(ARGS("stray"), "unexpected argument 'stray'", NULL);
	expect_error(ARGS("-m", "0x1", "extra"), "unexpected argument 'extra'", NULL);
	/* Application options rejected by the application's parser are named too. */
	expect_error(ARGS("-y", "bad"), "-y", "'bad'");
	expect_error(ARGS("--why=bad"), "--why", "'bad'");
	expect_error(ARGS("--queue-depth", "0"), "--queue-depth", "'0'");
}

static void
test_help(void)
{
	struct nvtcp_app_opts opts;
	struct app_ctx ctx;

	CU_ASSERT_EQUAL(parse(&opts, &ctx, "x", ARGS("-h")), 1);
	CU_ASSERT(strstr(g_out, "Usage: app_ut") != NULL);
	CU_ASSERT(strstr(g_out, "--cpumask") != NULL);
	CU_ASSERT(strstr(g_out, "--no-huge") != NULL);
	/* The application's own usage follows the common options. */
	CU_ASSERT(strstr(g_out, "more x") != NULL);
	CU_ASSERT_STRING_EQUAL(g_err, "");
	CU_ASSERT_EQUAL(parse(&opts, &ctx, "x", ARGS("-m", "0x1", "--help", "-s", "bad")), 1);
}

static void
test_app_options(void)
{
	struct nvtcp_app_opts opts;
	struct app_ctx ctx;

	CU_ASSERT_EQUAL(parse(&opts, &ctx, "xy:", ARGS("-x", "-m", "0x1", "-xx", "-y", "val",
						       "--queue-depth", "32", "--flag")), 0);
	CU_ASSERT_EQUAL(ctx.x_count, 3);
	CU_ASSERT_STRING_EQUAL(ctx.y_value, "val");
	CU_ASSERT_STRING_EQUAL(ctx.long_value, "32");
	CU_ASSERT(ctx.flag);
	CU_ASSERT_STRING_EQUAL(opts.core_mask, "0x1");
	/* A long alias of a short application option arrives as the short one. */
	CU_ASSERT_EQUAL(parse(&opts, &ctx, "xy:", ARGS("--why", "w")), 0);
	CU_ASSERT_EQUAL(ctx.last_ch, 'y');
	CU_ASSERT_STRING_EQUAL(ctx.y_value, "w");
	/* Parsing twice in one process starts afresh. */
	CU_ASSERT_EQUAL(parse(&opts, &ctx, "xy:", ARGS("-x")), 0);
	CU_ASSERT_EQUAL(ctx.x_count, 1);
}

static void
test_app_option_conflicts(void)
{
	struct nvtcp_app_opts opts;
	struct app_ctx ctx;

	/* An application that reuses -m is told so (a programming error, not a user one). */
	CU_ASSERT_EQUAL(parse(&opts, &ctx, "m:", ARGS("-m", "1")), -EINVAL);
	CU_ASSERT(strstr(g_err, "-m conflicts") != NULL);
	/* Without a parser, application options are an error, not silently ignored. */
	nvtcp_app_opts_init(&opts, "app_ut");
	{
		char *argv[] = {(char *)"app_ut", (char *)"-x", NULL};
		int saved = dup(STDERR_FILENO);
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, STDERR_FILENO);
		CU_ASSERT_EQUAL(nvtcp_app_parse_args(2, argv, &opts, "x", NULL, NULL, NULL, NULL),
				-EINVAL);
		dup2(saved, STDERR_FILENO);
		close(saved);
		close(devnull);
	}
}

/* ---- Start, signals, stop (in child processes) ------------------------------------------ */

static int
run_child(int (*fn)(void *), void *arg)
{
	struct timespec start, now;
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		return -1;
	}
	if (pid == 0) {
		_exit(fn(arg));
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (r < 0 || now.tv_sec - start.tv_sec > CHILD_TIMEOUT_S) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(10000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct sig_state {
	atomic_int usr1;
	atomic_int shutdown;
	int started_on_core;
	bool had_reactor;
	bool workers;
};

static struct sig_state g_sig;

static void
on_usr1(void *ctx)
{
	atomic_fetch_add(&g_sig.usr1, 1);
	/* Now the shutdown signal. */
	kill(getpid(), SIGTERM);
}

static void
on_shutdown(void *ctx)
{
	atomic_fetch_add(&g_sig.shutdown, 1);
	if (atomic_load(&g_sig.usr1) == 1 && nvtcp_env_get_core() == 0) {
		nvtcp_app_stop(42);
	} else {
		nvtcp_app_stop(99);
	}
}

static void
sig_start(void *ctx)
{
	g_sig.started_on_core = (int)nvtcp_env_get_core();
	g_sig.had_reactor = nvtcp_reactor_get_current() == nvtcp_reactor_get(0);
	g_sig.workers = nvtcp_reactor_get(1) != NULL;
	/* A broken pipe must not kill the application. */
	kill(getpid(), SIGPIPE);
	kill(getpid(), SIGUSR1);
}

static int
child_signals(void *arg)
{
	struct nvtcp_app_opts opts;
	int rc;

	nvtcp_app_opts_init(&opts, "app_ut");
	opts.core_mask = "0x3";
	opts.mem_size_mb = 64;
	opts.huge = NVTCP_ENV_HUGE_OFF;
	opts.shutdown_cb = on_shutdown;
	opts.usr1_cb = on_usr1;
	rc = nvtcp_app_start(&opts, sig_start, NULL);
	if (rc != 42 || atomic_load(&g_sig.usr1) != 1 || atomic_load(&g_sig.shutdown) != 1 ||
	    g_sig.started_on_core != 0 || !g_sig.had_reactor || !g_sig.workers ||
	    nvtcp_env_is_initialized()) {
		fprintf(stderr, "rc %d usr1 %d shutdown %d core %d reactor %d workers %d\n", rc,
			atomic_load(&g_sig.usr1), atomic_load(&g_sig.shutdown),
			g_sig.started_on_core, g_sig.had_reactor, g_sig.workers);
		return 1;
	}
	return 0;
}

static void
test_start_signals(void)
{
	CU_ASSERT_EQUAL(run_child(child_signals, NULL), 0);
}

static void
int_start(void *ctx)
{
	kill(getpid(), SIGINT);
}

/* No shutdown callback: SIGINT stops with status 0. */
static int
child_default_shutdown(void *arg)
{
	struct nvtcp_app_opts opts;

	nvtcp_app_opts_init(&opts, "app_ut");
	opts.mem_size_mb = 64;
	opts.huge = NVTCP_ENV_HUGE_OFF;
	return nvtcp_app_start(&opts, int_start, NULL) == 0 ? 0 : 1;
}

static void
test_default_shutdown(void)
{
	CU_ASSERT_EQUAL(run_child(child_default_shutdown, NULL), 0);
}

static void
stuck_shutdown(void *ctx)
{
	/* Never stops by itself; a second signal must force the stop. */
	atomic_fetch_add(&g_sig.shutdown, 1);
	kill(getpid(), SIGINT);
}

static int
child_second_signal(void *arg)
{
	struct nvtcp_app_opts opts;
	int rc;

	nvtcp_app_opts_init(&opts, "app_ut");
	opts.mem_size_mb = 64;
	opts.huge = NVTCP_ENV_HUGE_OFF;
	opts.shutdown_cb = stuck_shutdown;
	rc = nvtcp_app_start(&opts, int_start, NULL);
	return rc == -EINTR && atomic_load(&g_sig.shutdown) == 1 ? 0 : 1;
}

static void
test_second_signal_forces_stop(void)
{
	CU_ASSERT_EQUAL(run_child(child_second_signal, NULL), 0);
}

static void
stop_start(void *ctx)
{
	nvtcp_app_stop(*(int *)ctx);
}

static int
child_stop_status(void *arg)
{
	struct nvtcp_app_opts opts;
	int status = -123;

	nvtcp_app_opts_init(&opts, "app_ut");
	opts.mem_size_mb = 64;
	opts.huge = NVTCP_ENV_HUGE_OFF;
	return nvtcp_app_start(&opts, stop_start, &status) == -123 ? 0 : 1;
}

static void
test_stop_status(void)
{
	CU_ASSERT_EQUAL(run_child(child_stop_status, NULL), 0);
}

static void
test_start_bad_mask(void)
{
	struct nvtcp_app_opts opts;

	/* Fails in validation, before DPDK starts, so it can run in this process. */
	nvtcp_app_opts_init(&opts, "app_ut");
	opts.core_mask = "0x10000";
	opts.huge = NVTCP_ENV_HUGE_OFF;
	CU_ASSERT_EQUAL(nvtcp_app_start(&opts, stop_start, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_app_start(NULL, stop_start, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_app_start(&opts, NULL, NULL), -EINVAL);
	CU_ASSERT_FALSE(nvtcp_env_is_initialized());
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("app", NULL, NULL);

	CU_ADD_TEST(s, test_defaults);
	CU_ADD_TEST(s, test_common_good);
	CU_ADD_TEST(s, test_common_bad);
	CU_ADD_TEST(s, test_help);
	CU_ADD_TEST(s, test_app_options);
	CU_ADD_TEST(s, test_app_option_conflicts);
	CU_ADD_TEST(s, test_start_bad_mask);
	CU_ADD_TEST(s, test_start_signals);
	CU_ADD_TEST(s, test_default_shutdown);
	CU_ADD_TEST(s, test_second_signal_forces_stop);
	CU_ADD_TEST(s, test_stop_status);
}

NVTCP_UT_MAIN(add_tests)
