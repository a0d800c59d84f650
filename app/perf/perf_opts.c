/*
 * nvtcp_perf command line: spdk_nvme_perf's options (same letters, same long names, same
 * meaning) for everything that applies to NVMe/TCP, plus nvtcp_perf's own long options.
 *
 * Parsing is strict where spdk_nvme_perf is lenient: every bad value is an error that names the
 * option and the value, and options that cannot apply to nvtcp (PCIe, RDMA, metadata, ...) are
 * refused with the reason rather than silently ignored, except a few that only tune SPDK's own
 * environment and change nothing about the measurement: those are accepted with a warning.
 *
 * This file prints nothing: errors go to the caller's buffer, so it can be unit-tested.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nvtcp/tls.h"
#include "nvtcp/util.h"

#include "perf.h"

/* Long-only options, outside the range of option characters. */
enum {
	OPT_TRANSPORT_STATS = 257,
	OPT_IOVA_MODE,
	OPT_IO_QUEUE_SIZE,
	OPT_USE_EVERY_CORE,
	OPT_NO_HUGE,
	OPT_LOG_LEVEL,
	OPT_HELP_FULL_LONG,
	OPT_SPDK_ONLY,                  /* SPDK options with no nvtcp meaning: refused */
	OPT_JSON = 300,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_SEED,
	OPT_RATE,
	OPT_POLL,
	OPT_SOCK_IMPL,
	OPT_TGT_NS_SIZE,
	OPT_TGT_BLOCK_SIZE,
	OPT_TGT_BACKEND,
	OPT_HUGE,
	OPT_PREFILL,
	OPT_IO_TIMEOUT,
	OPT_ADMIN_TIMEOUT,
	OPT_RECONNECT_DELAY,
	OPT_CTRL_LOSS_TMO,
	OPT_FAST_IO_FAIL_TMO,
	OPT_TCP_USER_TIMEOUT,
	OPT_TLS,
	OPT_PSK,
	OPT_PSK_PATH,
	OPT_DHCHAP_SECRET,
	OPT_DHCHAP_CTRL_SECRET,
	OPT_REAUTH_INTERVAL,
	OPT_REAUTH_SECRET,
	OPT_MULTIPATH_POLICY,
};

#define SHORT_OPTS ":a:b:c:d:e:ghi:lmo:q:r:k:s:t:vw:y:z:A:C:DEF:GHILM:NO:P:Q:RS:T:U:VZ:"

static const struct option g_long_opts[] = {
	{"warmup-time", required_argument, NULL, 'a'},
	{"allowed-pci-addr", required_argument, NULL, 'b'},
	{"core-mask", required_argument, NULL, 'c'},
	{"number-ios", required_argument, NULL, 'd'},
	{"metadata", required_argument, NULL, 'e'},
	{"mem-single-seg", no_argument, NULL, 'g'},
	{"help", no_argument, NULL, 'h'},
	{"shmem-grp-id", required_argument, NULL, 'i'},
	{"enable-ssd-latency-tracking", no_argument, NULL, 'l'},
	{"cpu-usage", no_argument, NULL, 'm'},
	{"io-size", required_argument, NULL, 'o'},
	{"io-depth", required_argument, NULL, 'q'},
	{"transport", required_argument, NULL, 'r'},
	{"keepalive", required_argument, NULL, 'k'},
	{"hugemem-size", required_argument, NULL, 's'},
	{"time", required_argument, NULL, 't'},
	{"help-full", no_argument, NULL, 'v'},
	{"io-pattern", required_argument, NULL, 'w'},
	{"tpoint-group-mask", required_argument, NULL, 'y'},
	{"disable-zcopy", required_argument, NULL, 'z'},
	{"buffer-alignment", required_argument, NULL, 'A'},
	{"max-completion-per-poll", required_argument, NULL, 'C'},
	{"disable-sq-cmb", no_argument, NULL, 'D'},
	{"enable-interrupt", no_argument, NULL, 'E'},
	{"zipf", required_argument, NULL, 'F'},
	{"enable-debug", no_argument, NULL, 'G'},
	{"enable-tcp-hdgst", no_argument, NULL, 'H'},
	{"enable-tcp-ddgst", no_argument, NULL, 'I'},
	{"enable-sw-latency-tracking", no_argument, NULL, 'L'},
	{"rwmixread", required_argument, NULL, 'M'},
	{"no-shst-notification", no_argument, NULL, 'N'},
	{"io-unit-size", required_argument, NULL, 'O'},
	{"num-qpairs", required_argument, NULL, 'P'},
	{"continue-on-error", required_argument, NULL, 'Q'},
	{"enable-uring", no_argument, NULL, 'R'},
	{"default-sock-impl", required_argument, NULL, 'S'},
	{"logflag", required_argument, NULL, 'T'},
	{"num-unused-qpairs", required_argument, NULL, 'U'},
	{"verify", no_argument, NULL, 'V'},
	{"enable-zcopy", required_argument, NULL, 'Z'},
	{"transport-stats", no_argument, NULL, OPT_TRANSPORT_STATS},
	{"iova-mode", required_argument, NULL, OPT_IOVA_MODE},
	{"io-queue-size", required_argument, NULL, OPT_IO_QUEUE_SIZE},
	{"use-every-core", no_argument, NULL, OPT_USE_EVERY_CORE},
	{"no-huge", no_argument, NULL, OPT_NO_HUGE},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	/* SPDK options that have no meaning for nvtcp (refused with the reason). */
	{"disable-ktls", no_argument, NULL, OPT_SPDK_ONLY},
	{"enable-ktls", no_argument, NULL, OPT_SPDK_ONLY},
	{"tls-version", required_argument, NULL, OPT_SPDK_ONLY},
	{"psk-identity", required_argument, NULL, OPT_SPDK_ONLY},
	/* SPDK's names take a key file: so do ours (or the "DHHC-1:..." text). */
	{"dhchap-key", required_argument, NULL, OPT_DHCHAP_SECRET},
	{"dhchap-ctrlr-key", required_argument, NULL, OPT_DHCHAP_CTRL_SECRET},
	{"zerocopy-threshold", required_argument, NULL, OPT_SPDK_ONLY},
	{"zerocopy-threshold-sock-impl", required_argument, NULL, OPT_SPDK_ONLY},
	{"transport-tos", required_argument, NULL, OPT_SPDK_ONLY},
	{"rdma-srq-size", required_argument, NULL, OPT_SPDK_ONLY},
	{"vfio-vf-token", required_argument, NULL, OPT_SPDK_ONLY},
	{"enforce-numa", no_argument, NULL, OPT_SPDK_ONLY},
	{"env-context", required_argument, NULL, OPT_SPDK_ONLY},
	/* nvtcp_perf's own */
	{"json", required_argument, NULL, OPT_JSON},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"seed", required_argument, NULL, OPT_SEED},
	{"rate", required_argument, NULL, OPT_RATE},
	{"poll", required_argument, NULL, OPT_POLL},
	{"sock-impl", required_argument, NULL, OPT_SOCK_IMPL},
	{"tgt-ns-size", required_argument, NULL, OPT_TGT_NS_SIZE},
	{"tgt-block-size", required_argument, NULL, OPT_TGT_BLOCK_SIZE},
	{"tgt-backend", required_argument, NULL, OPT_TGT_BACKEND},
	{"huge", no_argument, NULL, OPT_HUGE},
	{"prefill", no_argument, NULL, OPT_PREFILL},
	{"io-timeout", required_argument, NULL, OPT_IO_TIMEOUT},
	{"admin-timeout", required_argument, NULL, OPT_ADMIN_TIMEOUT},
	{"reconnect-delay", required_argument, NULL, OPT_RECONNECT_DELAY},
	{"ctrl-loss-tmo", required_argument, NULL, OPT_CTRL_LOSS_TMO},
	{"fast-io-fail-tmo", required_argument, NULL, OPT_FAST_IO_FAIL_TMO},
	{"tcp-user-timeout", required_argument, NULL, OPT_TCP_USER_TIMEOUT},
	{"tls", no_argument, NULL, OPT_TLS},
	{"psk", required_argument, NULL, OPT_PSK},
	{"psk-path", required_argument, NULL, OPT_PSK_PATH},
	{"dhchap-secret", required_argument, NULL, OPT_DHCHAP_SECRET},
	{"dhchap-ctrl-secret", required_argument, NULL, OPT_DHCHAP_CTRL_SECRET},
	{"reauth-interval", required_argument, NULL, OPT_REAUTH_INTERVAL},
	{"reauth-dhchap-secret", required_argument, NULL, OPT_REAUTH_SECRET},
	{"multipath-policy", required_argument, NULL, OPT_MULTIPATH_POLICY},
	{NULL, 0, NULL, 0},
};

/* "-q (--io-depth)" for short options that have a long name, "--json" for long-only ones. */
static void
opt_label(int ch, char *buf, size_t len)
{
	const char *lname = NULL;

	for (const struct option *lo = g_long_opts; lo->name != NULL; lo++) {
		if (lo->val == ch) {
			lname = lo->name;
			break;
		}
	}
	if (ch > 0 && ch < 256 && lname != NULL) {
		snprintf(buf, len, "-%c (--%s)", ch, lname);
	} else if (ch > 0 && ch < 256) {
		snprintf(buf, len, "-%c", ch);
	} else {
		snprintf(buf, len, "--%s", lname != NULL ? lname : "?");
	}
}

/* A non-negative decimal integer, as spdk_strtol(..., 10) takes it, at most \p max. */
static int
parse_uint(const char *arg, uint64_t max, uint64_t *val)
{
	if (arg[0] == '\0' || !isdigit((unsigned char)arg[0])) {
		return -EINVAL;
	}
	return nvtcp_parse_u64(arg, max, val);
}

/* A count or size with an optional binary suffix ("4k", "128K", "1M"), as SPDK's
 * spdk_parse_capacity() takes -o, -q, -d, -O, -A. */
static int
parse_capacity(const char *arg, uint64_t max, uint64_t *val)
{
	uint64_t v;
	int rc;

	if (arg[0] == '\0' || !isdigit((unsigned char)arg[0])) {
		return -EINVAL;
	}
	rc = nvtcp_parse_size(arg, &v);
	if (rc != 0) {
		return rc;
	}
	if (v > max) {
		return -ERANGE;
	}
	*val = v;
	return 0;
}

/* "512" is MiB (as -s in spdk_nvme_perf); "512M" or "2G" carry their unit. */
static int
parse_mem_mb(const char *arg, size_t *mb)
{
	uint64_t v;
	int rc;

	if (arg[0] != '\0' && strspn(arg, "0123456789") == strlen(arg)) {
		rc = nvtcp_parse_u64(arg, 1u << 20, &v);
	} else {
		rc = parse_capacity(arg, UINT64_MAX, &v);
		if (rc == 0) {
			v = v / (1u << 20) + (v % (1u << 20) != 0);
			rc = v > (1u << 20) ? -ERANGE : 0;
		}
	}
	if (rc == 0) {
		*mb = (size_t)v;
	}
	return rc;
}

/* -c: a hexadecimal mask ("0x3", "3") or SPDK's list form ("[0-1,3]"). */
static int
parse_core_mask(struct perf_opts *o, const char *arg)
{
	static char list[128];
	const char *p = arg;
	size_t len = strlen(arg);
	bool nonzero = false;

	if (len >= 2 && arg[0] == '[' && arg[len - 1] == ']') {
		if (len - 2 == 0 || len - 2 >= sizeof(list) ||
		    strspn(arg + 1, "0123456789,-") != len - 2) {
			return -EINVAL;
		}
		memcpy(list, arg + 1, len - 2);
		list[len - 2] = '\0';
		o->core_list = list;
		o->core_mask = NULL;
		return 0;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
	}
	if (*p == '\0' || strspn(p, "0123456789abcdefABCDEF") != strlen(p)) {
		return -EINVAL;
	}
	for (; *p != '\0'; p++) {
		nonzero |= *p != '0';
	}
	if (!nonzero) {
		return -EINVAL;
	}
	o->core_mask = arg;
	o->core_list = NULL;
	return 0;
}

int
perf_trid_entry_parse(struct perf_trid_entry *e, const char *str, char *err, size_t errlen)
{
	char rest[1024], tok[512], why[256];
	const char *p = str;
	size_t used = 0;
	bool have_ns = false;

	memset(e, 0, sizeof(*e));
	e->text = str;
	nvtcp_trid_init(&e->trid);
	rest[0] = '\0';
	/* Take out "ns:N" / "ns=N" (a whole key, not a substring of another value); the other
	 * keys, hostnqn included, are nvtcp_trid_parse()'s. */
	while (*p != '\0') {
		size_t sp = strspn(p, " \t\n"), n;

		p += sp;
		n = strcspn(p, " \t\n");
		if (n == 0) {
			break;
		}
		if (n >= sizeof(tok)) {
			nvtcp_errf(err, errlen, "'%.40s...' is too long", p);
			return -EINVAL;
		}
		memcpy(tok, p, n);
		tok[n] = '\0';
		p += n;
		if ((strncasecmp(tok, "ns:", 3) == 0 || strncasecmp(tok, "ns=", 3) == 0)) {
			uint64_t nsid;

			if (have_ns) {
				nvtcp_errf(err, errlen, "ns: given twice");
				return -EINVAL;
			}
			if (nvtcp_parse_u64(tok + 3, 0xFFFFFFFEu, &nsid) != 0 || nsid == 0) {
				nvtcp_errf(err, errlen, "ns: '%s' is not a namespace ID (1..4294967294)",
					   tok + 3);
				return -EINVAL;
			}
			e->nsid = (uint32_t)nsid;
			have_ns = true;
			continue;
		}
		if (used + n + 2 > sizeof(rest)) {
			nvtcp_errf(err, errlen, "transport ID is too long");
			return -EINVAL;
		}
		used += (size_t)snprintf(rest + used, sizeof(rest) - used, "%s%s",
					 used > 0 ? " " : "", tok);
	}
	if (used == 0) {
		nvtcp_errf(err, errlen, "empty transport ID");
		return -EINVAL;
	}
	if (nvtcp_trid_parse(&e->trid, rest, why, sizeof(why)) != 0) {
		nvtcp_errf(err, errlen, "%s", why);
		return -EINVAL;
	}
	if (e->trid.traddr[0] == '\0') {
		nvtcp_errf(err, errlen, "traddr: missing (e.g. 'trtype:tcp traddr:127.0.0.1 "
			   "trsvcid:4420 subnqn:nqn...')");
		return -EINVAL;
	}
	return 0;
}

/* "0-1,3" to a hexadecimal mask string, since the application framework takes masks. */
int
perf_core_list_to_mask(const char *list, char *buf, size_t len)
{
	uint64_t words[16] = {0};
	const char *p = list;
	size_t n = 0;
	int top = -1;

	while (*p != '\0') {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b;

		if (end == p) {
			return -EINVAL;
		}
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			b = strtoul(p, &end, 10);
			if (end == p) {
				return -EINVAL;
			}
			p = end;
		}
		if (a > b || b >= 64 * NVTCP_COUNTOF(words)) {
			return -EINVAL;
		}
		for (unsigned long c = a; c <= b; c++) {
			words[c / 64] |= 1ull << (c % 64);
			top = NVTCP_MAX(top, (int)(c / 64));
		}
		if (*p == ',') {
			p++;
		} else if (*p != '\0') {
			return -EINVAL;
		}
	}
	if (top < 0) {
		return -EINVAL;
	}
	n = (size_t)snprintf(buf, len, "0x%" PRIx64, words[top]);
	for (int i = top - 1; i >= 0 && n < len; i--) {
		n += (size_t)snprintf(buf + n, len - n, "%016" PRIx64, words[i]);
	}
	return n < len ? 0 : -ENOSPC;
}

const char *
perf_workload_base(const struct perf_opts *o)
{
	const char *w = o->workload != NULL ? o->workload : "";

	return strncmp(w, "rand", 4) == 0 ? w + 4 : w;
}

static void
opts_defaults(struct perf_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rwmixread = -1;
	o->qpairs_per_ns = 1;
	o->mpath_policy = -1;
	o->keepalive_ms = PERF_DEFAULT_KATO_MS;
	o->quiet_count = 1;
	o->buf_align = 0x200;
	o->huge = NVTCP_ENV_HUGE_AUTO;
	o->log_level = NVTCP_LOG_ERROR;
	o->progress = -1;
	o->tgt_block_size = 512;
	o->tgt_backend = PERF_TGT_MALLOC;
	o->io_timeout_ms = PERF_OPT_DRIVER_DEFAULT;
	o->admin_timeout_ms = PERF_OPT_DRIVER_DEFAULT;
	o->reconnect_delay_ms = PERF_OPT_DRIVER_DEFAULT;
	o->ctrl_loss_tmo_s = PERF_OPT_DRIVER_DEFAULT;
	o->fast_io_fail_tmo_s = PERF_OPT_DRIVER_DEFAULT;
	o->tcp_user_timeout_ms = PERF_OPT_DRIVER_DEFAULT;
}

/* A recovery setting: 0..max, or -1 as well when \p minus_one says what it means. */
static int
parse_recovery(const char *arg, uint64_t max, const char *minus_one, int64_t *out)
{
	uint64_t v;

	if (minus_one != NULL && strcmp(arg, "-1") == 0) {
		*out = -1;
		return 0;
	}
	if (parse_uint(arg, max, &v) != 0) {
		return -EINVAL;
	}
	*out = (int64_t)v;
	return 0;
}

/* Options that only tune SPDK's environment, accepted so that spdk_nvme_perf command lines run
 * unchanged: return true when \p ch is one of them. */
static bool
harmless_spdk_opt(int ch)
{
	return ch == 'g' || ch == 'i' || ch == OPT_IOVA_MODE || ch == 'N' || ch == 'D';
}

static const char *
unsupported_reason(int ch)
{
	switch (ch) {
	case 'b': return "PCIe devices are not supported: nvtcp is an NVMe/TCP host";
	case 'e': return "metadata and protection information are not supported";
	case 'l': return "Intel SSD latency tracking pages are not supported; use -L";
	case 'y': return "trace points are not supported; use --json for per-I/O counters";
	case 'E': return "interrupt mode is not supported: nvtcp polls";
	case 'F': return "the zipf distribution is not supported yet";
	case 'R': return "io_uring/AIO kernel devices are not supported";
	case 'T': return "log flags are not supported; use --log-level debug";
	case 'Z': return "zero-copy send is not supported by nvtcp's sockets";
	case OPT_SPDK_ONLY: return "this SPDK option (TLS tuning, RDMA, SR-IOV, NUMA "
				   "enforcement, env context) is not supported by nvtcp_perf";
	default: return NULL;
	}
}

static int
parse_one(struct perf_opts *o, int ch, const char *arg, const char *label, char *err,
	  size_t errlen)
{
	uint64_t v;
	int rc;

	switch (ch) {
	case 'q':
		if (parse_capacity(arg, UINT64_MAX, &v) != 0 || v == 0 || v > PERF_MAX_QUEUE_DEPTH) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid queue depth (1..%u)", label, arg,
				   PERF_MAX_QUEUE_DEPTH);
			return -EINVAL;
		}
		o->queue_depth = (uint32_t)v;
		return 0;
	case 'o':
		if (parse_capacity(arg, UINT64_MAX, &v) != 0 || v == 0 || v > PERF_MAX_IO_SIZE) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid I/O size (bytes, e.g. 4096 or "
				   "4k; at most %u MiB)", label, arg, PERF_MAX_IO_SIZE >> 20);
			return -EINVAL;
		}
		if (v % 512 != 0) {
			nvtcp_errf(err, errlen, "%s: %" PRIu64 " is not a multiple of the block size "
				   "(512 or 4096 bytes)", label, v);
			return -EINVAL;
		}
		o->io_size = (uint32_t)v;
		return 0;
	case 'w':
		if (strcmp(arg, "read") != 0 && strcmp(arg, "write") != 0 &&
		    strcmp(arg, "randread") != 0 && strcmp(arg, "randwrite") != 0 &&
		    strcmp(arg, "rw") != 0 && strcmp(arg, "randrw") != 0) {
			nvtcp_errf(err, errlen, "%s: unknown workload '%s' (read, write, randread, "
				   "randwrite, rw, randrw)", label, arg);
			return -EINVAL;
		}
		o->workload = arg;
		return 0;
	case 'M':
		if (parse_uint(arg, UINT64_MAX, &v) != 0 || v > 100) {
			nvtcp_errf(err, errlen, "%s: '%s' is out of range (the read percentage, 0..100)",
				   label, arg);
			return -EINVAL;
		}
		o->rwmixread = (int)v;
		o->mix_specified = true;
		return 0;
	case 't':
	case 'a':
		if (parse_uint(arg, UINT64_MAX, &v) != 0 || v > PERF_MAX_TIME_S ||
		    (ch == 't' && v == 0)) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid number of seconds (%d..%d)",
				   label, arg, ch == 't' ? 1 : 0, PERF_MAX_TIME_S);
			return -EINVAL;
		}
		if (ch == 't') {
			o->time_s = (uint32_t)v;
		} else {
			o->warmup_s = (uint32_t)v;
		}
		return 0;
	case 'c':
		if (parse_core_mask(o, arg) != 0) {
			nvtcp_errf(err, errlen, "%s: invalid core mask '%s' (hexadecimal such as 0x3, or a "
				   "list such as [0-1,3])", label, arg);
			return -EINVAL;
		}
		return 0;
	case 'r':
		if (o->num_trids == PERF_MAX_TRIDS) {
			nvtcp_errf(err, errlen, "%s: at most %d transport IDs", label, PERF_MAX_TRIDS);
			return -EINVAL;
		}
		{
			char why[300];

			if (perf_trid_entry_parse(&o->trids[o->num_trids], arg, why,
						  sizeof(why)) != 0) {
				nvtcp_errf(err, errlen, "%s: invalid transport ID '%s': %s", label, arg,
					   why);
				return -EINVAL;
			}
		}
		o->num_trids++;
		return 0;
	case 'P':
		if (parse_uint(arg, UINT64_MAX, &v) != 0 || v == 0 || v > PERF_MAX_QPAIRS_PER_NS) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid number of queue pairs (1..%d)",
				   label, arg, PERF_MAX_QPAIRS_PER_NS);
			return -EINVAL;
		}
		o->qpairs_per_ns = (uint32_t)v;
		return 0;
	case 'U':
		if (parse_uint(arg, UINT64_MAX, &v) != 0 || v > PERF_MAX_UNUSED_QPAIRS) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid number of queue pairs (0..%d)",
				   label, arg, PERF_MAX_UNUSED_QPAIRS);
			return -EINVAL;
		}
		o->unused_qpairs = (uint32_t)v;
		return 0;
	case 'L':
		o->latency_level++;
		return 0;
	case 'H':
		o->hdgst = true;
		return 0;
	case 'I':
		o->ddgst = true;
		return 0;
	case 'k':
		if (parse_uint(arg, 3600000, &v) != 0) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid keep-alive timeout (ms, "
				   "0..3600000)", label, arg);
			return -EINVAL;
		}
		o->keepalive_ms = (uint32_t)v;
		return 0;
	case 's':
		rc = parse_mem_mb(arg, &o->mem_size_mb);
		if (rc != 0 || o->mem_size_mb == 0) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid memory size (MiB, or with a "
				   "K/M/G suffix; 1 MiB..1 TiB)", label, arg);
			return -EINVAL;
		}
		return 0;
	case OPT_NO_HUGE:
		o->huge = NVTCP_ENV_HUGE_OFF;
		return 0;
	case OPT_HUGE:
		o->huge = NVTCP_ENV_HUGE_REQUIRE;
		return 0;
	case 'd':
		if (strchr(arg, '%') != NULL) {
			size_t n = strlen(arg);

			if (n < 2 || arg[n - 1] != '%' || strspn(arg, "0123456789") != n - 1) {
				nvtcp_errf(err, errlen, "%s: '%s' is not a percentage (e.g. 50%%)", label,
					   arg);
				return -EINVAL;
			}
			{
				char num[24];

				if (n - 1 >= sizeof(num)) {
					nvtcp_errf(err, errlen, "%s: '%s' is too large", label, arg);
					return -EINVAL;
				}
				memcpy(num, arg, n - 1);
				num[n - 1] = '\0';
				if (nvtcp_parse_u64(num, 100000, &v) != 0 || v == 0) {
					nvtcp_errf(err, errlen, "%s: '%s' is not a valid percentage of the "
						   "namespace (1%%..100000%%)", label, arg);
					return -EINVAL;
				}
			}
			o->number_ios_pct = (uint32_t)v;
			o->number_ios = 0;
			return 0;
		}
		if (parse_capacity(arg, UINT64_MAX, &v) != 0) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a number of I/Os", label, arg);
			return -EINVAL;
		}
		o->number_ios = v;
		o->number_ios_pct = 0;
		return 0;
	case 'Q':
		if (parse_uint(arg, UINT32_MAX, &v) != 0 || v == 0) {
			nvtcp_errf(err, errlen, "%s: '%s' is not valid (log every N-th error, N >= 1)",
				   label, arg);
			return -EINVAL;
		}
		o->continue_on_error = true;
		o->quiet_count = (uint32_t)v;
		return 0;
	case 'C':
		if (parse_uint(arg, UINT32_MAX, &v) != 0) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a number of completions (0 = no limit)",
				   label, arg);
			return -EINVAL;
		}
		o->max_completions = (uint32_t)v;
		return 0;
	case OPT_IO_QUEUE_SIZE:
		if (parse_capacity(arg, UINT64_MAX, &v) != 0 || v < 2 || v > 65536) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid queue size (2..65536)", label,
				   arg);
			return -EINVAL;
		}
		o->io_queue_size = (uint32_t)v;
		return 0;
	case 'O':
		if (parse_capacity(arg, UINT64_MAX, &v) != 0 || v == 0 || v % 4 != 0 ||
		    v > PERF_MAX_IO_SIZE) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid I/O unit size (a non-zero "
				   "multiple of 4 bytes)", label, arg);
			return -EINVAL;
		}
		o->io_unit_size = (uint32_t)v;
		return 0;
	case 'A':
		if (parse_capacity(arg, UINT64_MAX, &v) != 0 || !NVTCP_IS_POWER_OF_2(v) ||
		    v < 64 || v > (1u << 21)) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid alignment (a power of 2, "
				   "64..2097152)", label, arg);
			return -EINVAL;
		}
		o->buf_align = (uint32_t)v;
		return 0;
	case OPT_USE_EVERY_CORE:
		o->use_every_core = true;
		return 0;
	case OPT_TRANSPORT_STATS:
		o->transport_stats = true;
		return 0;
	case 'm':
		o->cpu_usage = true;
		return 0;
	case 'G':
		o->log_level = NVTCP_LOG_DEBUG;
		o->log_level_set = true;
		return 0;
	case OPT_LOG_LEVEL:
		/* SPDK spells it "warning"; nvtcp's logger "warn". */
		if (strcasecmp(arg, "warning") == 0) {
			o->log_level = NVTCP_LOG_WARN;
		} else if (nvtcp_log_parse_level(arg, &o->log_level) != 0) {
			nvtcp_errf(err, errlen, "%s: unknown log level '%s' (error, warning, notice, info, "
				   "debug)", label, arg);
			return -EINVAL;
		}
		o->log_level_set = true;
		return 0;
	case 'S':
		/* As SPDK's: "ssl" is its TLS socket implementation, "posix" plain TCP. */
		if (strcmp(arg, "ssl") == 0) {
			o->tls = true;
		} else if (strcmp(arg, "posix") != 0) {
			nvtcp_errf(err, errlen, "%s: socket implementation '%s' is not available (nvtcp "
				   "has its own polled sockets; 'posix' = TCP, 'ssl' = TLS)", label, arg);
			return -EINVAL;
		}
		return 0;
	case OPT_TLS:
		o->tls = true;
		return 0;
	case OPT_PSK:
	case OPT_PSK_PATH: {
		struct nvtcp_tls_psk psk;
		char why[512];

		/* Checked now so a bad key names the option before any connection. */
		why[0] = '\0';
		rc = nvtcp_tls_psk_load_file(arg, &psk, why, sizeof(why));
		nvtcp_tls_psk_wipe(&psk);
		if (rc != 0) {
			if (why[0] != '\0') {
				nvtcp_errf(err, errlen, "%s: %s", label, why); /* it names the file */
			} else {
				nvtcp_errf(err, errlen, "%s %s: %s", label, arg, strerror(-rc));
			}
			return -EINVAL;
		}
		o->psk_path = arg;
		o->tls = true;
		return 0;
	}
	case OPT_REAUTH_INTERVAL:
		if (parse_uint(arg, UINT64_MAX, &v) != 0 || v == 0 || v > PERF_MAX_TIME_S) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid number of seconds (1..%d)", label,
			     arg, PERF_MAX_TIME_S);
			return -EINVAL;
		}
		o->reauth_interval_s = (uint32_t)v;
		return 0;
	case OPT_DHCHAP_SECRET:
	case OPT_DHCHAP_CTRL_SECRET:
	case OPT_REAUTH_SECRET: {
		struct nvtcp_auth_secret secret;
		char why[512];

		/* Checked now so a bad secret names the option before any connection; the
		 * reason names a file, never the secret, and neither does this message. */
		why[0] = '\0';
		rc = nvtcp_auth_secret_load(arg, &secret, why, sizeof(why));
		nvtcp_auth_secret_wipe(&secret);
		if (rc != 0) {
			nvtcp_errf(err, errlen, "%s: %s", label, why[0] != '\0' ? why : strerror(-rc));
			return -EINVAL;
		}
		if (ch == OPT_DHCHAP_SECRET) {
			o->dhchap_secret = arg;
		} else if (ch == OPT_REAUTH_SECRET) {
			o->reauth_secret = arg;
		} else {
			o->dhchap_ctrl_secret = arg;
		}
		return 0;
	}
	case 'z':
		/* Zero-copy send is never used, so disabling it is a no-op. */
		return 0;
	case 'V':
		o->verify = true;
		return 0;
	case OPT_PREFILL:
		o->prefill = true;
		return 0;

	case OPT_JSON:
		if (arg[0] == '\0') {
			nvtcp_errf(err, errlen, "%s: empty file name", label);
			return -EINVAL;
		}
		o->json_path = arg;
		return 0;
	case OPT_PROGRESS:
		o->progress = 1;
		return 0;
	case OPT_NO_PROGRESS:
		o->progress = 0;
		return 0;
	case OPT_SEED:
		if (nvtcp_parse_u64(arg, UINT32_MAX, &v) != 0) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a 32-bit number", label, arg);
			return -EINVAL;
		}
		o->verify_seed = (uint32_t)v;
		o->seed_set = true;
		return 0;
	case OPT_IO_TIMEOUT:
	case OPT_ADMIN_TIMEOUT:
	case OPT_TCP_USER_TIMEOUT:
	case OPT_RECONNECT_DELAY: {
		int64_t *dst = ch == OPT_IO_TIMEOUT ? &o->io_timeout_ms :
			       ch == OPT_ADMIN_TIMEOUT ? &o->admin_timeout_ms :
			       ch == OPT_TCP_USER_TIMEOUT ? &o->tcp_user_timeout_ms :
			       &o->reconnect_delay_ms;

		if (parse_recovery(arg, 3600000, NULL, dst) != 0) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid time (ms, 0..3600000%s)", label,
				   arg, ch == OPT_RECONNECT_DELAY ? "" : "; 0 = off");
			return -EINVAL;
		}
		return 0;
	}
	case OPT_CTRL_LOSS_TMO:
	case OPT_FAST_IO_FAIL_TMO: {
		int64_t *dst = ch == OPT_CTRL_LOSS_TMO ? &o->ctrl_loss_tmo_s : &o->fast_io_fail_tmo_s;

		if (parse_recovery(arg, 31536000, "", dst) != 0) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid time (s, 0..31536000, or -1 = %s)",
				   label, arg, ch == OPT_CTRL_LOSS_TMO ? "reconnect forever" : "off");
			return -EINVAL;
		}
		return 0;
	}
	case OPT_RATE:
		if (parse_capacity(arg, 1000000000ull, &v) != 0 || v == 0) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid rate (I/Os per second, 1..1G; "
				   "leave --rate out for no limit)", label, arg);
			return -EINVAL;
		}
		o->rate_iops = v;
		return 0;
	case OPT_MULTIPATH_POLICY:
		if (perf_mpath_policy_parse(arg, &o->mpath_policy) != 0) {
			nvtcp_errf(err, errlen, "%s: unknown policy '%s' (active-passive, round-robin, "
				   "queue-depth)", label, arg);
			return -EINVAL;
		}
		return 0;
	case OPT_POLL:
		if (strcmp(arg, "auto") == 0) {
			o->poll_mode = PERF_POLL_AUTO;
		} else if (strcmp(arg, "group") == 0) {
			o->poll_mode = PERF_POLL_GROUP;
		} else if (strcmp(arg, "qpair") == 0) {
			o->poll_mode = PERF_POLL_QPAIR;
		} else {
			nvtcp_errf(err, errlen, "%s: unknown mode '%s' (auto, group, qpair)", label, arg);
			return -EINVAL;
		}
		return 0;
	case OPT_SOCK_IMPL: {
		enum nvtcp_sock_impl impl;

		if (nvtcp_sock_impl_parse(arg, &impl) != 0) {
			nvtcp_errf(err, errlen, "%s: unknown implementation '%s' (posix, uring)", label,
			     arg);
			return -EINVAL;
		}
		o->sock_impl = (int)impl;
		return 0;
	}
	case OPT_TGT_NS_SIZE:
		if (parse_capacity(arg, 1ull << 40, &v) != 0 || v < (1u << 20)) {
			nvtcp_errf(err, errlen, "%s: '%s' is not a valid size (1M..1T, e.g. 256M)", label,
				   arg);
			return -EINVAL;
		}
		o->tgt_ns_size = v;
		return 0;
	case OPT_TGT_BLOCK_SIZE:
		if (strcmp(arg, "512") != 0 && strcmp(arg, "4096") != 0) {
			nvtcp_errf(err, errlen, "%s: '%s' is not 512 or 4096", label, arg);
			return -EINVAL;
		}
		o->tgt_block_size = (uint32_t)atoi(arg);
		return 0;
	case OPT_TGT_BACKEND:
		if (strcmp(arg, "malloc") == 0) {
			o->tgt_backend = PERF_TGT_MALLOC;
		} else if (strcmp(arg, "null") == 0) {
			o->tgt_backend = PERF_TGT_NULL;
		} else {
			nvtcp_errf(err, errlen, "%s: unknown backend '%s' (malloc, null)", label, arg);
			return -EINVAL;
		}
		return 0;
	default:
		break;
	}
	if (harmless_spdk_opt(ch)) {
		return 0;
	}
	if (unsupported_reason(ch) != NULL) {
		nvtcp_errf(err, errlen, "%s: not supported: %s", label, unsupported_reason(ch));
		return -EINVAL;
	}
	nvtcp_errf(err, errlen, "%s: not handled", label);
	return -EINVAL;
}

/* Checks that need every option. */
static int
opts_check(struct perf_opts *o, char *err, size_t errlen)
{
	const char *base;

	if (o->queue_depth == 0) {
		nvtcp_errf(err, errlen, "missing -q (--io-depth) operand");
		return -EINVAL;
	}
	if (o->io_size == 0) {
		nvtcp_errf(err, errlen, "missing -o (--io-size) operand");
		return -EINVAL;
	}
	if (o->workload == NULL) {
		nvtcp_errf(err, errlen, "missing -w (--io-pattern) operand");
		return -EINVAL;
	}
	if (o->time_s == 0) {
		nvtcp_errf(err, errlen, "missing -t (--time) operand");
		return -EINVAL;
	}
	o->random = strncmp(o->workload, "rand", 4) == 0;
	base = perf_workload_base(o);
	if (strcmp(base, "read") == 0 || strcmp(base, "write") == 0) {
		/* -M is ignored with a pure workload, as spdk_nvme_perf does (main warns). */
		o->rwmixread = strcmp(base, "read") == 0 ? 100 : 0;
	} else if (!o->mix_specified) {
		nvtcp_errf(err, errlen, "-M (--rwmixread): must be given (0..100) with -w %s",
			   o->workload);
		return -EINVAL;
	}
	if ((o->number_ios != 0 || o->number_ios_pct != 0) && o->warmup_s != 0) {
		nvtcp_errf(err, errlen, "-d (--number-ios) with -a (--warmup-time) is not supported");
		return -EINVAL;
	}
	if (o->number_ios != 0 && o->number_ios < o->queue_depth) {
		nvtcp_errf(err, errlen, "-d (--number-ios) %" PRIu64 " is less than -q (--io-depth) %u",
			   o->number_ios, o->queue_depth);
		return -EINVAL;
	}
	if (o->io_unit_size != 0) {
		if (o->io_unit_size > o->io_size) {
			o->io_unit_size = o->io_size;
		}
		if ((o->io_size + o->io_unit_size - 1) / o->io_unit_size > NVTCP_MAX_IOVCNT) {
			nvtcp_errf(err, errlen, "-O (--io-unit-size) %u splits -o %u into more than %d "
				   "vectors", o->io_unit_size, o->io_size, NVTCP_MAX_IOVCNT);
			return -EINVAL;
		}
	}
	if (o->num_trids > 0 && (o->tgt_ns_size != 0 || o->tgt_block_size != 512 ||
				 o->tgt_backend != PERF_TGT_MALLOC)) {
		nvtcp_errf(err, errlen, "--tgt-ns-size/--tgt-block-size/--tgt-backend: only for the "
			   "embedded target (without -r)");
		return -EINVAL;
	}
	if (o->tls && o->psk_path == NULL) {
		nvtcp_errf(err, errlen, "--tls / -S ssl: needs --psk FILE (or --psk-path FILE): TLS uses "
			   "a pre-shared key");
		return -EINVAL;
	}
	if (o->dhchap_ctrl_secret != NULL && o->dhchap_secret == NULL) {
		nvtcp_errf(err, errlen, "--dhchap-ctrl-secret: needs --dhchap-secret (bidirectional "
			   "authentication authenticates the host too)");
		return -EINVAL;
	}
	if ((o->reauth_interval_s != 0 || o->reauth_secret != NULL) && o->dhchap_secret == NULL) {
		nvtcp_errf(err, errlen, "%s: needs --dhchap-secret (only an authenticated controller "
		     "re-authenticates)", o->reauth_interval_s != 0 ? "--reauth-interval" :
		     "--reauth-dhchap-secret");
		return -EINVAL;
	}
	if (o->reauth_secret != NULL && o->reauth_interval_s == 0) {
		nvtcp_errf(err, errlen, "--reauth-dhchap-secret: needs --reauth-interval SEC");
		return -EINVAL;
	}
	if (o->dhchap_secret != NULL && o->num_trids == 0) {
		nvtcp_errf(err, errlen, "--dhchap-secret: only with -r (the embedded target does not "
			   "authenticate)");
		return -EINVAL;
	}
	if (o->tls && o->num_trids == 0) {
		nvtcp_errf(err, errlen, "--tls / --psk: only with -r (the embedded target has no TLS "
			   "listener)");
		return -EINVAL;
	}
	if (o->mpath_policy >= 0 && o->num_trids == 0) {
		nvtcp_errf(err, errlen, "--multipath-policy: only with -r (the paths are the -r "
			   "controllers of one subsystem)");
		return -EINVAL;
	}
	if (o->mpath_policy >= 0 && (o->qpairs_per_ns != 1 || o->use_every_core)) {
		nvtcp_errf(err, errlen, "--multipath-policy: one queue pair per path and one worker per "
			   "multipath namespace: -P must be 1 and --use-every-core is not allowed");
		return -EINVAL;
	}
	if (o->prefill && !o->verify) {
		nvtcp_errf(err, errlen, "--prefill: only with -V (--verify)");
		return -EINVAL;
	}
	if (o->verify && o->num_trids == 0 && o->tgt_backend == PERF_TGT_NULL) {
		nvtcp_errf(err, errlen, "-V (--verify): the null backend keeps no data; use "
			   "--tgt-backend malloc");
		return -EINVAL;
	}
	return 0;
}

int
perf_opts_parse(struct perf_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	char label[64];
	int ch, rc;

	opts_defaults(o);
	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	optind = 0;
	opterr = 0;
	for (;;) {
		int longidx = -1;

		ch = getopt_long(argc, argv, SHORT_OPTS, g_long_opts, &longidx);
		if (ch == -1) {
			break;
		}
		if (ch == '?') {
			const char *bad = argv[optind - 1];

			if (strncmp(bad, "--", 2) == 0 && optopt != 0) {
				nvtcp_errf(err, errlen, "option '%.*s' takes no value",
					   (int)strcspn(bad, "="), bad);
			} else if (strncmp(bad, "--", 2) == 0) {
				nvtcp_errf(err, errlen, "unknown option '%.*s' (see --help-full)",
					   (int)strcspn(bad, "="), bad);
			} else {
				nvtcp_errf(err, errlen, "unknown option '-%c' (see --help-full)", optopt);
			}
			return -EINVAL;
		}
		if (ch == ':') {
			opt_label(optopt, label, sizeof(label));
			if (optopt == 0) {
				snprintf(label, sizeof(label), "%s", argv[optind - 1]);
			}
			nvtcp_errf(err, errlen, "option %s needs a value", label);
			return -EINVAL;
		}
		if (ch == 'h') {
			o->help = true;
			return PERF_OPTS_HELP;
		}
		if (ch == 'v') {
			o->help_full = true;
			return PERF_OPTS_HELP;
		}
		if (ch >= 256 && longidx >= 0) {
			/* Several long options share a value: name the one given. */
			snprintf(label, sizeof(label), "--%s", g_long_opts[longidx].name);
		} else {
			opt_label(ch, label, sizeof(label));
		}
		rc = parse_one(o, ch, optarg, label, err, errlen);
		if (rc != 0) {
			return rc;
		}
	}
	if (optind < argc) {
		nvtcp_errf(err, errlen, "unexpected argument '%s' (kernel block devices are not "
			   "supported; see --help-full)", argv[optind]);
		return -EINVAL;
	}
	return opts_check(o, err, errlen);
}

void
perf_usage_basic(FILE *f)
{
	fprintf(f,
		PERF_NAME " - NVMe/TCP performance testing tool (spdk_nvme_perf compatible)\n\n"
		"ESSENTIAL OPTIONS:\n"
		"  -q, --io-depth <val>     Queue depth per namespace and core (required)\n"
		"  -o, --io-size <val>      I/O size in bytes, e.g. 4096 or 4k (required)\n"
		"  -w, --io-pattern <type>  read, write, randread, randwrite, rw, randrw (required)\n"
		"  -t, --time <sec>         Test duration in seconds (required)\n"
		"  -r, --transport <fmt>    Target transport ID; without -r an embedded target is\n"
		"                           started in this process (loopback, RAM namespace)\n"
		"  -c, --core-mask <mask>   CPU core mask (default: 0x1)\n"
		"\n"
		"EXAMPLES:\n"
		"  Embedded target: " PERF_NAME " -q 32 -o 4k -w randread -t 10 -c 0x3\n"
		"  NVMe/TCP:        " PERF_NAME " -q 64 -o 4k -w randread -t 60 -r 'trtype:TCP "
		"adrfam:IPv4 traddr:192.168.1.100 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1'\n"
		"\n"
		"For every option: " PERF_NAME " --help-full (or -v); documentation: doc/perf.md\n");
}

void
perf_usage_full(FILE *f)
{
	fprintf(f,
		PERF_NAME " options\n\n"
		"==== BASIC OPTIONS ====\n\n"
		"\t-q, --io-depth <val> io depth (per namespace and core)\n"
		"\t-o, --io-size <val> io size in bytes (a multiple of the block size)\n"
		"\t-w, --io-pattern <pattern> io pattern type, must be one of\n"
		"\t\t(read, write, randread, randwrite, rw, randrw)\n"
		"\t-M, --rwmixread <0-100> rwmixread (100 for reads, 0 for writes)\n"
		"\t-t, --time <sec> time in seconds\n"
		"\t-a, --warmup-time <sec> warmup time in seconds\n"
		"\t-c, --core-mask <mask> core mask for I/O submission/completion.\n"
		"\t\t(default: 1; hexadecimal, or a list such as [0-1,3])\n"
		"\t[-r, --transport <fmt> Transport ID for NVMe/TCP]\n"
		"\t\tFormat: 'key:value [key:value] ...'\n"
		"\t\tKeys:\n"
		"\t\t trtype      Transport type (tcp)\n"
		"\t\t adrfam      Address family (IPv4, IPv6)\n"
		"\t\t traddr      Transport address (e.g. 192.168.100.8)\n"
		"\t\t trsvcid     Transport service identifier (default 4420)\n"
		"\t\t subnqn      Subsystem NQN (default: discover every subsystem at traddr)\n"
		"\t\t ns          NVMe namespace ID (all active namespaces are used by default)\n"
		"\t\t hostnqn     Host NQN\n"
		"\t\tExample: -r 'trtype:TCP adrfam:IPv4 traddr:192.168.100.8 trsvcid:4420'\n"
		"\t\tNote: can be specified multiple times to test multiple disks/targets.\n"
		"\t\tWithout -r, an embedded target runs in this process on the last core of\n"
		"\t\tthe mask (RAM namespace, loopback TCP).\n"
		"\n"
		"==== ADVANCED OPTIONS ====\n\n"
		"\t--use-every-core for each namespace, I/Os are submitted from all cores\n"
		"\t--io-queue-size <val> size of NVMe IO queue. Default: enough for -q, within "
		"the controller's maximum\n"
		"\t-O, --io-unit-size io unit size in bytes (4-byte aligned). default: same as io "
		"size\n"
		"\t-P, --num-qpairs <val> number of io queues per namespace. default: 1\n"
		"\t-U, --num-unused-qpairs <val> number of unused io queues per controller. "
		"default: 0\n"
		"\t-A, --buffer-alignment IO buffer alignment. Must be power of 2 and not less than "
		"64\n"
		"\t-s, --hugemem-size <MB> memory size in MB (hugepages when available).\n"
		"\t-C, --max-completion-per-poll <val> max completions per poll\n"
		"\t\t(default: 0 - unlimited)\n"
		"\t-d, --number-ios <val> number of I/O to perform per thread on each namespace. "
		"Note: this is additional exit criteria.\n"
		"\t\t(default: 0 - unlimited)\n"
		"\t\tYou may also specify an integer percent of the namespace size as <N>%% (e.g. "
		"-d 50%% for 50%% of the namespace size)\n"
		"\t--no-huge, run without hugepages (plain memory)\n"
		"\t--huge, require hugepages\n"
		"\t-g, -i, -D, -N, --iova-mode: accepted for compatibility, no effect\n"
		"\n"
		"==== TCP OPTIONS ====\n\n"
		"\t-S, --default-sock-impl <impl> 'posix' (TCP, default) or 'ssl' (TLS 1.3,\n"
		"\t\twith a PSK)\n"
		"\t--psk <file>, --psk-path <file> PSK in the interchange format (mode 0600);\n"
		"\t\timplies TLS on every connection (never a plaintext fallback)\n"
		"\t--tls require TLS (needs --psk)\n"
		"\t--dhchap-secret <S>, --dhchap-key <S> DH-HMAC-CHAP host secret for in-band\n"
		"\t\tauthentication: 'DHHC-1:..' or a file holding it (mode 0600); used on\n"
		"\t\tevery queue of a controller that asks for authentication\n"
		"\t--dhchap-ctrl-secret <S>, --dhchap-ctrlr-key <S> controller secret, same\n"
		"\t\tforms: bidirectional authentication (needs --dhchap-secret)\n"
		"\t--reauth-interval <sec> re-authenticate every controller's admin queue every\n"
		"\t\t<sec> seconds during the run (DH-HMAC-CHAP, needs --dhchap-secret); a\n"
		"\t\tfailure fails the run\n"
		"\t--reauth-dhchap-secret <S> use this host secret for the re-authentications\n"
		"\t\t(checks a rotated key; the configured one stays for reconnects)\n"
		"\t-z, --disable-zcopy <impl> accepted (zero-copy send is never used)\n"
		"\t-k, --keepalive <ms> keep alive timeout period in millisecond (default %u)\n"
		"\t-H, --enable-tcp-hdgst enable header digest for TCP transport, default: "
		"disabled\n"
		"\t-I, --enable-tcp-ddgst enable data digest for TCP transport, default: disabled\n"
		"\n"
		"==== LOGGING ====\n\n"
		"\t--log-level <level>   set log level (error, warning, notice, info, debug)\n"
		"\t-L, --enable-sw-latency-tracking enable latency tracking via sw, default: "
		"disabled\n"
		"\t\t-L for latency summary, -LL for detailed histogram\n"
		"\t-Q, --continue-on-error <val> Do not stop on error. Log I/O errors every N times "
		"(default: 1)\n"
		"\t-m, --cpu-usage display real-time overall cpu usage on used cores\n"
		"\t-G, --enable-debug enable debug logging (same as --log-level debug)\n"
		"\t--transport-stats dump transport statistics\n"
		"\n"
		"==== NVTCP_PERF OPTIONS ====\n\n"
		"\t--json <file> write every figure, the options and the environment as JSON\n"
		"\t--progress, --no-progress one line per second on stderr (IOPS, MiB/s, average\n"
		"\t\tlatency); default: on when stderr is a terminal\n"
		"\t-V, --verify stamp every written block (LBA, write sequence, seed) and check\n"
		"\t\tevery read; mismatches fail the run; errored I/Os are retried and verified\n"
		"\t--seed <n> verification seed (default: random, printed)\n"
		"\t--prefill with -V: write every verified block once before the run, so that\n"
		"\t\tevery read is checked (else reads of blocks not yet written are not)\n"
		"\t--rate <iops> limit the total rate (token bucket per core), for latency at load\n"
		"\t--io-timeout <ms>, --admin-timeout <ms> command timeouts (0 = off; driver\n"
		"\t\tdefaults 30000 and 60000)\n"
		"\t--reconnect-delay <ms> between reconnect attempts (default 10000)\n"
		"\t--ctrl-loss-tmo <s> give up reconnecting after this (-1 = never; default 600)\n"
		"\t--fast-io-fail-tmo <s> fail I/O waiting for a reconnect after this (-1 = off,\n"
		"\t\tthe default)\n"
		"\t--tcp-user-timeout <ms> TCP_USER_TIMEOUT of every connection (0 = the kernel's)\n"
		"\t--poll <mode> auto (default), group (poll groups), qpair (poll queue pairs)\n"
		"\t--sock-impl <impl> socket groups on posix (epoll) or uring (io_uring; implies\n"
		"\t\t--poll group); default $NVTCP_SOCK_IMPL, else posix\n"
		"\t--multipath-policy <p> the -r controllers of one subsystem are paths of one\n"
		"\t\tnamespace (ANA, failover): round-robin, active-passive, queue-depth\n"
		"\t--tgt-ns-size <size> embedded target: RAM namespace size (default 256M)\n"
		"\t--tgt-block-size <n> embedded target: 512 (default) or 4096\n"
		"\t--tgt-backend <b> embedded target: malloc (default) or null (no data kept)\n"
		"\n"
		"==== SPDK OPTIONS REFUSED (with the reason) ====\n\n"
		"\t-b, --allowed-pci-addr; -e, --metadata; -l, --enable-ssd-latency-tracking;\n"
		"\t-y, --tpoint-group-mask; -E, --enable-interrupt; -F, --zipf; -R, --enable-uring;\n"
		"\t-T, --logflag; -Z, --enable-zcopy; the TLS, DH-HMAC-CHAP and RDMA options\n"
		"\n"
		"\t-h, --help basic usage; -v, --help-full this text\n"
		"\n"
		"Exit status: 0 success; 1 I/O errors, verification mismatches or a failure; 2 a "
		"usage error.\n",
		PERF_DEFAULT_KATO_MS);
}
