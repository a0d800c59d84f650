/*
 * Unit tests of nvtcp_perf's command line (app/perf/perf_opts.c): spdk_nvme_perf compatible
 * options are understood, and every bad value is an error that names the option.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ut.h"

#include "perf_opts.c"
#include "perf_mpath_group.c"

static struct perf_opts g_o;
static char g_err[512];

/* Parse a NULL-terminated list of arguments (argv[0] is added). */
static int
parse(const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	const char *a;

	argv[argc++] = (char *)"nvtcp_perf";
	va_start(ap, first);
	for (a = first; a != NULL && argc < 63; a = va_arg(ap, const char *)) {
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	return perf_opts_parse(&g_o, argc, argv, g_err, sizeof(g_err));
}

#define BASE "-q", "32", "-o", "4096", "-w", "randread", "-t", "10"

static bool
err_has(const char *s)
{
	return strstr(g_err, s) != NULL;
}

static void
test_basic(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(BASE, NULL), 0);
	CU_ASSERT_EQUAL(g_o.queue_depth, 32);
	CU_ASSERT_EQUAL(g_o.io_size, 4096);
	CU_ASSERT_TRUE(g_o.random);
	CU_ASSERT_EQUAL(g_o.rwmixread, 100);
	CU_ASSERT_EQUAL(g_o.time_s, 10);
	CU_ASSERT_EQUAL(g_o.qpairs_per_ns, 1);
	CU_ASSERT_EQUAL(g_o.keepalive_ms, PERF_DEFAULT_KATO_MS);
	CU_ASSERT_EQUAL(g_o.num_trids, 0);
	CU_ASSERT_EQUAL(g_o.latency_level, 0);
	CU_ASSERT_EQUAL(g_o.progress, -1);
	CU_ASSERT_FALSE(g_o.verify);
	CU_ASSERT_STRING_EQUAL(perf_workload_base(&g_o), "read");

	/* Sizes with suffixes, as spdk_parse_capacity() takes them. */
	CU_ASSERT_EQUAL_FATAL(parse("-q", "128", "-o", "128k", "-w", "write", "-t", "1", NULL), 0);
	CU_ASSERT_EQUAL(g_o.io_size, 131072);
	CU_ASSERT_FALSE(g_o.random);
	CU_ASSERT_EQUAL(g_o.rwmixread, 0);

	/* Long names. */
	CU_ASSERT_EQUAL_FATAL(parse("--io-depth", "4", "--io-size", "512", "--io-pattern", "rw",
				    "--rwmixread", "70", "--time", "2", "--warmup-time", "1",
				    "--num-qpairs", "2", "--enable-tcp-hdgst",
				    "--enable-tcp-ddgst", "--keepalive", "0", NULL), 0);
	CU_ASSERT_EQUAL(g_o.rwmixread, 70);
	CU_ASSERT_TRUE(g_o.mix_specified);
	CU_ASSERT_EQUAL(g_o.warmup_s, 1);
	CU_ASSERT_EQUAL(g_o.qpairs_per_ns, 2);
	CU_ASSERT_TRUE(g_o.hdgst);
	CU_ASSERT_TRUE(g_o.ddgst);
	CU_ASSERT_EQUAL(g_o.keepalive_ms, 0);
}

static void
test_latency_levels(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(BASE, "-L", NULL), 0);
	CU_ASSERT_EQUAL(g_o.latency_level, 1);
	CU_ASSERT_EQUAL_FATAL(parse(BASE, "-LL", NULL), 0);
	CU_ASSERT_EQUAL(g_o.latency_level, 2);
	CU_ASSERT_EQUAL_FATAL(parse(BASE, "--enable-sw-latency-tracking", "-L", NULL), 0);
	CU_ASSERT_EQUAL(g_o.latency_level, 2);
}

static void
test_missing_required(void)
{
	CU_ASSERT_EQUAL(parse("-o", "4096", "-w", "read", "-t", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-q (--io-depth)"));
	CU_ASSERT_EQUAL(parse("-q", "1", "-w", "read", "-t", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-o (--io-size)"));
	CU_ASSERT_EQUAL(parse("-q", "1", "-o", "4096", "-t", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-w (--io-pattern)"));
	CU_ASSERT_EQUAL(parse("-q", "1", "-o", "4096", "-w", "read", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-t (--time)"));
}

static void
test_bad_values_named(void)
{
	CU_ASSERT_EQUAL(parse("-q", "0", "-o", "4096", "-w", "read", "-t", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-q (--io-depth)") && err_has("'0'"));
	CU_ASSERT_EQUAL(parse("-q", "-1", "-o", "4096", "-w", "read", "-t", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-q (--io-depth)") && err_has("'-1'"));
	CU_ASSERT_EQUAL(parse("-q", "abc", "-o", "4096", "-w", "read", "-t", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-q (--io-depth)"));
	CU_ASSERT_EQUAL(parse("-q", "65537", "-o", "4096", "-w", "read", "-t", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-q (--io-depth)"));

	CU_ASSERT_EQUAL(parse("-q", "1", "-o", "1000", "-w", "read", "-t", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-o (--io-size)") && err_has("multiple of the block size"));
	CU_ASSERT_EQUAL(parse("-q", "1", "-o", "0", "-w", "read", "-t", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-o (--io-size)"));

	CU_ASSERT_EQUAL(parse("-q", "1", "-o", "4096", "-w", "randomread", "-t", "1", NULL),
			-EINVAL);
	CU_ASSERT_TRUE(err_has("-w (--io-pattern)") && err_has("unknown workload 'randomread'"));

	CU_ASSERT_EQUAL(parse("-q", "1", "-o", "4096", "-w", "rw", "-M", "101", "-t", "1", NULL),
			-EINVAL);
	CU_ASSERT_TRUE(err_has("-M (--rwmixread)") && err_has("out of range"));
	CU_ASSERT_EQUAL(parse("-q", "1", "-o", "4096", "-w", "rw", "-M", "-5", "-t", "1", NULL),
			-EINVAL);
	CU_ASSERT_TRUE(err_has("-M (--rwmixread)"));
	CU_ASSERT_EQUAL(parse("-q", "1", "-o", "4096", "-w", "randrw", "-t", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-M (--rwmixread)") && err_has("must be given"));

	CU_ASSERT_EQUAL(parse("-q", "1", "-o", "4096", "-w", "read", "-t", "0", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-t (--time)"));
	CU_ASSERT_EQUAL(parse(BASE, "-a", "x", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-a (--warmup-time)"));
	CU_ASSERT_EQUAL(parse(BASE, "-P", "0", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-P (--num-qpairs)"));
	CU_ASSERT_EQUAL(parse(BASE, "-k", "10s", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-k (--keepalive)"));
	CU_ASSERT_EQUAL(parse(BASE, "-c", "0x0", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-c (--core-mask)"));
	CU_ASSERT_EQUAL(parse(BASE, "-c", "zz", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-c (--core-mask)"));
	CU_ASSERT_EQUAL(parse(BASE, "-s", "0", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-s (--hugemem-size)"));
	CU_ASSERT_EQUAL(parse(BASE, "-Q", "0", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-Q (--continue-on-error)"));
	CU_ASSERT_EQUAL(parse(BASE, "-A", "100", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-A (--buffer-alignment)"));
	CU_ASSERT_EQUAL(parse(BASE, "-O", "6", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-O (--io-unit-size)"));
	CU_ASSERT_EQUAL(parse(BASE, "-O", "32", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-O (--io-unit-size)") && err_has("vectors"));
	CU_ASSERT_EQUAL(parse(BASE, "--rate", "0", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--rate"));
	CU_ASSERT_EQUAL(parse(BASE, "--io-queue-size", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--io-queue-size"));
	CU_ASSERT_EQUAL(parse(BASE, "--log-level", "loud", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--log-level") && err_has("loud"));
	CU_ASSERT_EQUAL(parse(BASE, "--poll", "sometimes", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--poll"));
	CU_ASSERT_EQUAL(parse(BASE, "--tgt-block-size", "1024", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--tgt-block-size"));
	CU_ASSERT_EQUAL(parse(BASE, "-d", "1x%", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-d (--number-ios)"));
	CU_ASSERT_EQUAL(parse(BASE, "-d", "10", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-d (--number-ios)") && err_has("-q (--io-depth)"));
	CU_ASSERT_EQUAL(parse(BASE, "-d", "100", "-a", "1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-d (--number-ios)") && err_has("-a (--warmup-time)"));
}

static void
test_trids(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(BASE, "-r",
				    "trtype:TCP adrfam:IPv4 traddr:10.0.0.1 trsvcid:4421 "
				    "subnqn:nqn.2016-06.io.spdk:cnode1 ns:3", "-r",
				    "trtype=tcp traddr=10.0.0.2 hostnqn:nqn.2014-08.org.example:h",
				    NULL), 0);
	CU_ASSERT_EQUAL(g_o.num_trids, 2);
	CU_ASSERT_STRING_EQUAL(g_o.trids[0].trid.traddr, "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(g_o.trids[0].trid.trsvcid, "4421");
	CU_ASSERT_STRING_EQUAL(g_o.trids[0].trid.subnqn, "nqn.2016-06.io.spdk:cnode1");
	CU_ASSERT_EQUAL(g_o.trids[0].nsid, 3);
	CU_ASSERT_STRING_EQUAL(g_o.trids[1].trid.traddr, "10.0.0.2");
	CU_ASSERT_STRING_EQUAL(g_o.trids[1].trid.trsvcid, "4420");
	CU_ASSERT_STRING_EQUAL(g_o.trids[1].trid.hostnqn, "nqn.2014-08.org.example:h");
	CU_ASSERT_EQUAL(g_o.trids[1].nsid, 0);

	/* "ns:" inside another value is not the ns key. */
	CU_ASSERT_EQUAL_FATAL(parse(BASE, "-r", "traddr:10.0.0.1 subnqn:nqn.2016-06.io.x:ns:5",
				    NULL), 0);
	CU_ASSERT_EQUAL(g_o.trids[0].nsid, 0);
	CU_ASSERT_STRING_EQUAL(g_o.trids[0].trid.subnqn, "nqn.2016-06.io.x:ns:5");

	CU_ASSERT_EQUAL(parse(BASE, "-r", "traddr:10.0.0.1 ns:0", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-r (--transport)") && err_has("ns:"));
	CU_ASSERT_EQUAL(parse(BASE, "-r", "traddr:10.0.0.1 ns:1 ns:2", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("ns:"));
	CU_ASSERT_EQUAL(parse(BASE, "-r", "trtype:RDMA traddr:10.0.0.1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-r (--transport)") && err_has("trtype"));
	CU_ASSERT_EQUAL(parse(BASE, "-r", "traddr:10.0.0.1 colour:blue", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-r (--transport)") && err_has("colour"));
	CU_ASSERT_EQUAL(parse(BASE, "-r", "trtype:tcp trsvcid:4420", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("traddr"));
	CU_ASSERT_EQUAL(parse(BASE, "-r", "", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-r (--transport)"));

	/* The embedded target's options need the embedded target. */
	CU_ASSERT_EQUAL(parse(BASE, "-r", "traddr:10.0.0.1", "--tgt-ns-size", "64M", NULL),
			-EINVAL);
	CU_ASSERT_TRUE(err_has("--tgt-ns-size"));
}

static void
test_ours(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(BASE, "--json", "/tmp/x.json", "--progress", "-V", "--seed",
				    "0x1234", "--rate", "100k", "--poll", "group", "--tgt-ns-size",
				    "64M", "--tgt-block-size", "4096", "--tgt-backend", "malloc",
				    NULL), 0);
	CU_ASSERT_STRING_EQUAL(g_o.json_path, "/tmp/x.json");
	CU_ASSERT_EQUAL(g_o.progress, 1);
	CU_ASSERT_TRUE(g_o.verify);
	CU_ASSERT_TRUE(g_o.seed_set);
	CU_ASSERT_EQUAL(g_o.verify_seed, 0x1234);
	CU_ASSERT_EQUAL(g_o.rate_iops, 100 * 1024);
	CU_ASSERT_EQUAL(g_o.poll_mode, PERF_POLL_GROUP);
	CU_ASSERT_EQUAL(g_o.tgt_ns_size, 64ull << 20);
	CU_ASSERT_EQUAL(g_o.tgt_block_size, 4096);

	CU_ASSERT_EQUAL_FATAL(parse(BASE, "--no-progress", "--verify", NULL), 0);
	CU_ASSERT_EQUAL(g_o.progress, 0);
	CU_ASSERT_TRUE(g_o.verify);

	CU_ASSERT_EQUAL_FATAL(parse(BASE, "-V", "--prefill", NULL), 0);
	CU_ASSERT_TRUE(g_o.prefill);
	CU_ASSERT_EQUAL(parse(BASE, "--prefill", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--prefill") && err_has("-V (--verify)"));

	CU_ASSERT_EQUAL(parse(BASE, "-V", "--tgt-backend", "null", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-V (--verify)") && err_has("null"));
}

/* Recovery settings: unset means the driver's defaults; -1 only where it means something. */
static void
test_recovery_opts(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(BASE, NULL), 0);
	CU_ASSERT_EQUAL(g_o.io_timeout_ms, PERF_OPT_DRIVER_DEFAULT);
	CU_ASSERT_EQUAL(g_o.ctrl_loss_tmo_s, PERF_OPT_DRIVER_DEFAULT);
	CU_ASSERT_EQUAL(g_o.tcp_user_timeout_ms, PERF_OPT_DRIVER_DEFAULT);

	CU_ASSERT_EQUAL_FATAL(parse(BASE, "--io-timeout", "0", "--admin-timeout", "5000",
				    "--reconnect-delay", "250", "--ctrl-loss-tmo", "-1",
				    "--fast-io-fail-tmo", "3", "--tcp-user-timeout", "7000", NULL), 0);
	CU_ASSERT_EQUAL(g_o.io_timeout_ms, 0);
	CU_ASSERT_EQUAL(g_o.admin_timeout_ms, 5000);
	CU_ASSERT_EQUAL(g_o.reconnect_delay_ms, 250);
	CU_ASSERT_EQUAL(g_o.ctrl_loss_tmo_s, -1);
	CU_ASSERT_EQUAL(g_o.fast_io_fail_tmo_s, 3);
	CU_ASSERT_EQUAL(g_o.tcp_user_timeout_ms, 7000);

	CU_ASSERT_EQUAL(parse(BASE, "--io-timeout", "-1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--io-timeout") && err_has("'-1'"));
	CU_ASSERT_EQUAL(parse(BASE, "--reconnect-delay", "3600001", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--reconnect-delay"));
	CU_ASSERT_EQUAL(parse(BASE, "--ctrl-loss-tmo", "-2", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--ctrl-loss-tmo") && err_has("reconnect forever"));
	CU_ASSERT_EQUAL(parse(BASE, "--fast-io-fail-tmo", "soon", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--fast-io-fail-tmo") && err_has("'soon'"));
	CU_ASSERT_EQUAL(parse(BASE, "--tcp-user-timeout", "", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--tcp-user-timeout"));
}

static void
test_spdk_compat(void)
{
	/* Accepted: environment tuning that changes nothing measured. */
	CU_ASSERT_EQUAL_FATAL(parse(BASE, "-g", "-i", "3", "--iova-mode", "va", "-N", "-D", "-z",
				    "posix", "-S", "posix", "-m", "--transport-stats",
				    "--use-every-core", "-C", "16", "-U", "2", "-O", "4096",
				    "-A", "4096", "--io-queue-size", "256", "-Q", "100", "-G",
				    NULL), 0);
	CU_ASSERT_TRUE(g_o.cpu_usage);
	CU_ASSERT_TRUE(g_o.transport_stats);
	CU_ASSERT_TRUE(g_o.use_every_core);
	CU_ASSERT_EQUAL(g_o.max_completions, 16);
	CU_ASSERT_EQUAL(g_o.unused_qpairs, 2);
	CU_ASSERT_EQUAL(g_o.io_unit_size, 4096);
	CU_ASSERT_EQUAL(g_o.buf_align, 4096);
	CU_ASSERT_EQUAL(g_o.io_queue_size, 256);
	CU_ASSERT_TRUE(g_o.continue_on_error);
	CU_ASSERT_EQUAL(g_o.quiet_count, 100);
	CU_ASSERT_EQUAL(g_o.log_level, NVTCP_LOG_DEBUG);

	CU_ASSERT_EQUAL_FATAL(parse(BASE, "-c", "[0-1,3]", "-s", "2G", "-d", "50%",
				    "--log-level", "warning", "--no-huge", NULL), 0);
	CU_ASSERT_STRING_EQUAL(g_o.core_list, "0-1,3");
	CU_ASSERT_PTR_NULL(g_o.core_mask);
	CU_ASSERT_EQUAL(g_o.mem_size_mb, 2048);
	CU_ASSERT_EQUAL(g_o.number_ios_pct, 50);
	CU_ASSERT_EQUAL(g_o.log_level, NVTCP_LOG_WARN);
	CU_ASSERT_EQUAL(g_o.huge, NVTCP_ENV_HUGE_OFF);

	/* Refused with the reason. */
	CU_ASSERT_EQUAL(parse(BASE, "-e", "PRACT=1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-e (--metadata)") && err_has("not supported"));
	CU_ASSERT_EQUAL(parse(BASE, "-b", "0000:01:00.0", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-b (--allowed-pci-addr)") && err_has("PCIe"));
	CU_ASSERT_EQUAL(parse(BASE, "--psk-identity", "x", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--psk-identity") && err_has("not supported"));
	CU_ASSERT_EQUAL(parse(BASE, "-S", "uring", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-S (--default-sock-impl)") && err_has("uring"));
}

/* TLS: -S ssl / --tls need a PSK; a PSK file is checked while parsing, naming the option. */
static void
test_tls_opts(void)
{
	/* 32 bytes "00112233445566778899aabbccddeeff" with their CRC-32. */
	static const char key[] = "NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:";
	char path[] = "/tmp/perf_opts_ut_psk.XXXXXX";
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, key, strlen(key)) == (ssize_t)strlen(key));
	close(fd);
	CU_ASSERT_FATAL(chmod(path, 0600) == 0);

#define R "-r", "traddr:127.0.0.1 subnqn:nqn.2016-06.io.spdk:cnode1"
	CU_ASSERT_EQUAL(parse(BASE, R, "-S", "ssl", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-S ssl") && err_has("--psk"));
	CU_ASSERT_EQUAL(parse(BASE, R, "--tls", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--tls") && err_has("--psk"));
	CU_ASSERT_EQUAL(parse(BASE, R, "-S", "ssl", "--psk-path", path, NULL), 0);
	CU_ASSERT_TRUE(g_o.tls);
	CU_ASSERT_STRING_EQUAL(g_o.psk_path, path);
	CU_ASSERT_EQUAL(parse(BASE, R, "--psk", path, NULL), 0);
	CU_ASSERT_TRUE(g_o.tls);
	CU_ASSERT_EQUAL(parse(BASE, R, "-S", "posix", NULL), 0);
	CU_ASSERT_FALSE(g_o.tls);
	CU_ASSERT_PTR_NULL(g_o.psk_path);
	/* Without -r: the embedded target has no TLS listener. */
	CU_ASSERT_EQUAL(parse(BASE, "--psk", path, NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("only with -r"));
	/* A key file others can read is refused, naming the option and the file. */
	CU_ASSERT_FATAL(chmod(path, 0644) == 0);
	CU_ASSERT_EQUAL(parse(BASE, R, "--psk", path, NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--psk") && err_has(path));
	unlink(path);
	CU_ASSERT_EQUAL(parse(BASE, R, "--psk-path", "/nonexistent/psk", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--psk-path") && err_has("/nonexistent/psk"));
#undef R
}

static void
test_getopt_errors(void)
{
	CU_ASSERT_EQUAL(parse(BASE, "--frobnicate", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("unknown option '--frobnicate'"));
	CU_ASSERT_EQUAL(parse(BASE, "-j", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("unknown option '-j'"));
	CU_ASSERT_EQUAL(parse(BASE, "-q", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-q (--io-depth)") && err_has("needs a value"));
	CU_ASSERT_EQUAL(parse(BASE, "--json", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--json") && err_has("needs a value"));
	CU_ASSERT_EQUAL(parse(BASE, "--verify=yes", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--verify") && err_has("takes no value"));
	CU_ASSERT_EQUAL(parse(BASE, "/dev/nvme0n1", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("/dev/nvme0n1"));

	CU_ASSERT_EQUAL(parse("-h", NULL), PERF_OPTS_HELP);
	CU_ASSERT_TRUE(g_o.help);
	CU_ASSERT_EQUAL(parse("--help-full", NULL), PERF_OPTS_HELP);
	CU_ASSERT_TRUE(g_o.help_full);
	CU_ASSERT_EQUAL(parse("-v", NULL), PERF_OPTS_HELP);
}

static void
test_usage_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_FATAL(f != NULL);
	perf_usage_full(f);
	fclose(f);
	/* Every option a user may pass is documented in the full help. */
	for (const struct option *lo = g_long_opts; lo->name != NULL; lo++) {
		char name[80];

		if (lo->val == OPT_SPDK_ONLY) {
			continue;
		}
		snprintf(name, sizeof(name), "--%s", lo->name);
		if (strstr(buf, name) == NULL && !(lo->val < 256 && strchr("giDN", lo->val))) {
			fprintf(stderr, "undocumented: %s\n", name);
			CU_FAIL("an option is missing from --help-full");
		}
	}
	free(buf);
}

static void
test_core_list(void)
{
	char buf[300];

	CU_ASSERT_EQUAL(perf_core_list_to_mask("0", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "0x1");
	CU_ASSERT_EQUAL(perf_core_list_to_mask("0-1,3", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "0xb");
	CU_ASSERT_EQUAL(perf_core_list_to_mask("63", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "0x8000000000000000");
	/* Above 64 cores the higher words lead and the lower ones are zero-padded. */
	CU_ASSERT_EQUAL(perf_core_list_to_mask("0,64", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "0x10000000000000001");
	CU_ASSERT_EQUAL(perf_core_list_to_mask("2-1", buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(perf_core_list_to_mask("1,", buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(perf_core_list_to_mask("", buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(perf_core_list_to_mask("1-", buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(perf_core_list_to_mask("a", buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(perf_core_list_to_mask("1024", buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(perf_core_list_to_mask("0", buf, 3), -ENOSPC);
}

#define R_A "trtype:tcp traddr:10.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1"
#define R_B "trtype:tcp traddr:10.0.0.2 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1"

static void
test_multipath_opts(void)
{
	int pol = -1;

	CU_ASSERT_EQUAL_FATAL(parse(BASE, "-r", R_A, NULL), 0);
	CU_ASSERT_EQUAL(g_o.mpath_policy, -1);
	CU_ASSERT_EQUAL_FATAL(parse(BASE, "-r", R_A, "-r", R_B, "--multipath-policy",
				    "round-robin", NULL), 0);
	CU_ASSERT_EQUAL(g_o.mpath_policy, NVTCP_MPATH_POLICY_ROUND_ROBIN);
	CU_ASSERT_EQUAL(g_o.num_trids, 2);
	CU_ASSERT_EQUAL(parse(BASE, "-r", R_A, "--multipath-policy", "queue_depth", NULL), 0);
	CU_ASSERT_EQUAL(g_o.mpath_policy, NVTCP_MPATH_POLICY_QUEUE_DEPTH);
	CU_ASSERT_EQUAL(parse(BASE, "-r", R_A, "--multipath-policy", "active-passive", NULL), 0);
	CU_ASSERT_EQUAL(g_o.mpath_policy, NVTCP_MPATH_POLICY_ACTIVE_PASSIVE);
	/* Refusals name the option and the reason. */
	CU_ASSERT_EQUAL(parse(BASE, "-r", R_A, "--multipath-policy", "fastest", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--multipath-policy") && err_has("fastest"));
	CU_ASSERT_EQUAL(parse(BASE, "--multipath-policy", "round-robin", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("only with -r"));
	CU_ASSERT_EQUAL(parse(BASE, "-r", R_A, "-P", "2", "--multipath-policy", "round-robin",
			      NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("-P must be 1"));
	CU_ASSERT_EQUAL(parse(BASE, "-r", R_A, "--use-every-core", "--multipath-policy",
			      "round-robin", NULL), -EINVAL);
	CU_ASSERT_TRUE(err_has("--use-every-core"));
	CU_ASSERT_EQUAL(perf_mpath_policy_parse("", &pol), -EINVAL);
	CU_ASSERT_EQUAL(perf_mpath_policy_parse("round-robin-x", &pol), -EINVAL);
	CU_ASSERT_EQUAL(perf_mpath_policy_parse("Round-Robin", &pol), -EINVAL);
	CU_ASSERT_EQUAL(perf_mpath_policy_parse("0123456789012345678901234567890123", &pol),
			-EINVAL);
}

static void
test_multipath_group(void)
{
	/* Same NQN and NSID group, in order of first appearance; another NSID of the same
	 * subsystem or another subsystem is a group of its own. */
	const char *nqn[] = {"nqn.a", "nqn.b", "nqn.a", "nqn.a", "nqn.b", "nqn.ab"};
	const uint32_t nsid[] = {1, 1, 1, 2, 1, 1};
	uint32_t g[6];

	CU_ASSERT_EQUAL(perf_mpath_group(nqn, nsid, 6, g), 4);
	CU_ASSERT_EQUAL(g[0], 0);
	CU_ASSERT_EQUAL(g[1], 1);
	CU_ASSERT_EQUAL(g[2], 0);
	CU_ASSERT_EQUAL(g[3], 2);
	CU_ASSERT_EQUAL(g[4], 1);
	CU_ASSERT_EQUAL(g[5], 3);
	CU_ASSERT_EQUAL(perf_mpath_group(nqn, nsid, 1, g), 1);
	CU_ASSERT_EQUAL(g[0], 0);
	CU_ASSERT_EQUAL(perf_mpath_group(nqn, nsid, 0, g), 0);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("perf_opts", NULL, NULL);

	CU_ADD_TEST(s, test_basic);
	CU_ADD_TEST(s, test_latency_levels);
	CU_ADD_TEST(s, test_missing_required);
	CU_ADD_TEST(s, test_bad_values_named);
	CU_ADD_TEST(s, test_trids);
	CU_ADD_TEST(s, test_ours);
	CU_ADD_TEST(s, test_recovery_opts);
	CU_ADD_TEST(s, test_spdk_compat);
	CU_ADD_TEST(s, test_tls_opts);
	CU_ADD_TEST(s, test_getopt_errors);
	CU_ADD_TEST(s, test_usage_text);
	CU_ADD_TEST(s, test_core_list);
	CU_ADD_TEST(s, test_multipath_opts);
	CU_ADD_TEST(s, test_multipath_group);
}

NVTCP_UT_MAIN(add_tests)
