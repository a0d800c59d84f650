/*
 * nvtcp_discover: read the discovery log of an NVMe/TCP discovery controller and print it the
 * way "nvme discover" does (or as JSON), then follow the referrals it lists.
 *
 * The log of the controller named by -r is read with nvtcp_ctrlr_get_discovery_log() on a
 * controller attached here, so that a failed attach keeps its precise reason (refused, timeout,
 * Connect status...). Referrals are followed with nvtcp_discover(), which visits each address
 * once and bounds the depth; their entries are printed after the main log.
 *
 * Defaults: subnqn is the discovery NQN and trsvcid 8009; when nothing listens on 8009
 * (connection refused) and no port was given, port 4420 is tried, as many targets (the Linux
 * kernel target among them) serve discovery on their I/O port.
 *
 * With --connect-all, every NVM subsystem of the main log (or only --subnqn) is then connected
 * through every one of its entries and grouped into one multipath namespace (lib/mpath,
 * connect_all.c), and the namespace is printed with its paths and their ANA states.
 *
 * On failure exactly one line on stderr gives the reason; exit 1 (2 for a usage error).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "connect_all.h"
#include "nvtcp/fabrics.h"
#include "nvtcp/log.h"
#include "tool.h"
#include "nvtcp/nvme.h"
#include "nvtcp/util.h"

#define TOOL "nvtcp_discover"
#define DEFAULT_TIMEOUT_S 30
#define MAX_ENTRIES 1024
#define MAX_RESTARTS 10

enum {
	OPT_JSON = 256,
	OPT_HOSTNQN,
	OPT_NO_REFERRALS,
	OPT_TLS,
	OPT_PSK,
	OPT_DHCHAP_SECRET,
	OPT_DHCHAP_CTRL_SECRET,
	OPT_CONNECT_ALL,
	OPT_SUBNQN,
	OPT_NSID,
};

struct tool_opts {
	const char *trid;
	const char *hostnqn;
	bool json;
	bool hdgst;
	bool ddgst;
	bool tls;
	const char *psk_path;
	const char *dhchap_secret;
	const char *dhchap_ctrl_secret;
	bool follow_referrals;
	bool connect_all;
	const char *subnqn;
	uint32_t nsid;
	bool log_set;
	enum nvtcp_log_level log_level;
	unsigned int timeout_s;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " TOOL " -r TRID [options]\n"
		"\n"
		"Read the discovery log of an NVMe/TCP discovery controller and print its entries\n"
		"like 'nvme discover'; referrals are followed and their entries printed too.\n"
		"\n"
		"  -r, --trid TRID        discovery service (required), e.g. 'traddr:10.0.0.1'\n"
		"                         subnqn defaults to " NVTCP_DISCOVERY_NQN ",\n"
		"                         trsvcid to 8009 (then 4420 if 8009 refuses the connection)\n"
		"      --json             print one JSON document instead of text\n"
		"      --no-referrals     do not follow referrals\n"
		"      --connect-all      then connect to every entry of each NVM subsystem of the\n"
		"                         log and group them into one multipath namespace (lib/mpath):\n"
		"                         print it with its paths, controller IDs and ANA states;\n"
		"                         exit 1 when an entry is not connected or not grouped\n"
		"                         (a different namespace behind it)\n"
		"      --subnqn NQN       with --connect-all: only this subsystem\n"
		"      --nsid N           with --connect-all: the namespace to group (default 1)\n"
		"  -H, --hdgst            ask for header digests\n"
		"  -I, --ddgst            ask for data digests\n"
		"      --tls              require TLS 1.3 with a PSK (needs --psk; no plaintext)\n"
		"      --psk FILE         PSK file (interchange format, mode 0600); implies --tls;\n"
		"                         also used for referrals\n"
		"      --dhchap-secret S  DH-HMAC-CHAP host secret, used when a discovery controller\n"
		"                         asks for in-band authentication: 'DHHC-1:..' or a file\n"
		"                         holding it (mode 0600); also used for referrals\n"
		"      --dhchap-ctrl-secret S\n"
		"                         controller secret, same forms: bidirectional\n"
		"                         authentication (needs --dhchap-secret)\n"
		"      --hostnqn NQN      host NQN to present (default: /etc/nvme/hostnqn, else generated)\n"
		"  -t, --timeout SEC      bound for the attach and the log read (default %d)\n"
		"  -L, --log-level LEVEL  show the library's log at this level on stderr\n"
		"                         (error, warn, notice, info, debug; default: quiet)\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 success, 1 failure (one line on stderr says why), 2 usage error.\n"
		"Entries show the target's own view of its addresses (as nvme discover does).\n",
		DEFAULT_TIMEOUT_S);
}

static void
parse_args(int argc, char **argv, struct tool_opts *o)
{
	static const struct option longopts[] = {
		{"trid", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, OPT_JSON},
		{"no-referrals", no_argument, NULL, OPT_NO_REFERRALS},
		{"connect-all", no_argument, NULL, OPT_CONNECT_ALL},
		{"subnqn", required_argument, NULL, OPT_SUBNQN},
		{"nsid", required_argument, NULL, OPT_NSID},
		{"hdgst", no_argument, NULL, 'H'},
		{"ddgst", no_argument, NULL, 'I'},
		{"hostnqn", required_argument, NULL, OPT_HOSTNQN},
		{"tls", no_argument, NULL, OPT_TLS},
		{"dhchap-secret", required_argument, NULL, OPT_DHCHAP_SECRET},
		{"dhchap-ctrl-secret", required_argument, NULL, OPT_DHCHAP_CTRL_SECRET},
		{"psk", required_argument, NULL, OPT_PSK},
		{"timeout", required_argument, NULL, 't'},
		{"log-level", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char why[256];
	uint64_t v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->timeout_s = DEFAULT_TIMEOUT_S;
	o->follow_referrals = true;
	o->nsid = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":r:HIt:L:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (o->trid != NULL) {
				tool_usage_error("-r: only one transport ID is accepted");
			}
			o->trid = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_CONNECT_ALL:
			o->connect_all = true;
			break;
		case OPT_SUBNQN:
			if (optarg[0] == '\0' || strlen(optarg) > NVTCP_NQN_MAX_LEN) {
				tool_usage_error("--subnqn: '%s' is not an NQN (1..%d characters)",
						 optarg, NVTCP_NQN_MAX_LEN);
			}
			o->subnqn = optarg;
			break;
		case OPT_NSID: {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(optarg, &end, 0);
			if (errno != 0 || end == optarg || *end != '\0' || n == 0 || n >= 0xFFFFFFFFull) {
				tool_usage_error("--nsid: '%s' is not a namespace ID (1..4294967294)",
						 optarg);
			}
			o->nsid = (uint32_t)n;
			break;
		}
		case OPT_NO_REFERRALS:
			o->follow_referrals = false;
			break;
		case 'H':
			o->hdgst = true;
			break;
		case 'I':
			o->ddgst = true;
			break;
		case OPT_TLS:
			o->tls = true;
			break;
		case OPT_PSK:
			tool_check_psk_file("--psk", optarg);
			o->psk_path = optarg;
			o->tls = true;
			break;
		case OPT_DHCHAP_SECRET:
			tool_check_dhchap_secret("--dhchap-secret", optarg);
			o->dhchap_secret = optarg;
			break;
		case OPT_DHCHAP_CTRL_SECRET:
			tool_check_dhchap_secret("--dhchap-ctrl-secret", optarg);
			o->dhchap_ctrl_secret = optarg;
			break;
		case OPT_HOSTNQN:
			if (!nvtcp_nqn_valid(optarg, why, sizeof(why))) {
				tool_usage_error("--hostnqn: %s", why);
			}
			o->hostnqn = optarg;
			break;
		case 't':
			if (nvtcp_parse_u64(optarg, 3600, &v) != 0 || v == 0) {
				tool_usage_error("-t/--timeout: '%s' is not a number of seconds (1..3600)",
					    optarg);
			}
			o->timeout_s = (unsigned int)v;
			break;
		case 'L':
			if (nvtcp_log_parse_level(optarg, &o->log_level) != 0) {
				tool_usage_error("-L/--log-level: unknown level '%s' (error, warn, notice, "
					    "info, debug)", optarg);
			}
			o->log_set = true;
			break;
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
	if (o->trid == NULL) {
		tool_usage_error("-r TRID is required");
	}
	if ((o->subnqn != NULL || o->nsid != 1) && !o->connect_all) {
		tool_usage_error("--subnqn and --nsid go with --connect-all");
	}
	if (o->tls && o->psk_path == NULL) {
		tool_usage_error("--tls: needs --psk FILE (TLS uses a pre-shared key)");
	}
	if (o->dhchap_ctrl_secret != NULL && o->dhchap_secret == NULL) {
		tool_usage_error("--dhchap-ctrl-secret: needs --dhchap-secret (bidirectional "
				 "authentication authenticates the host too)");
	}
}

/* Attach to the discovery controller, bounded; on failure *why holds the reason. */
static struct nvtcp_ctrlr *
attach(const struct nvtcp_trid *trid, const struct nvtcp_ctrlr_opts *copts,
       unsigned int timeout_s, int *rcp, char *why, size_t whylen)
{
	struct nvtcp_ctrlr *ctrlr = NULL;
	uint64_t deadline;
	int rc;

	tool_last_log_err[0] = '\0';
	rc = nvtcp_ctrlr_attach_async(trid, copts, &ctrlr);
	if (rc != 0) {
		snprintf(why, whylen, "%s", tool_attach_reason(NULL, rc));
		*rcp = rc;
		return NULL;
	}
	deadline = tool_now_ms() + (uint64_t)timeout_s * 1000;
	while ((rc = nvtcp_ctrlr_attach_poll(ctrlr)) == -EAGAIN) {
		if (tool_now_ms() > deadline) {
			break;
		}
	}
	if (rc == -EAGAIN) {
		rc = -ETIMEDOUT;
		snprintf(why, whylen, "timed out after %u s", timeout_s);
	} else if (rc != 0) {
		snprintf(why, whylen, "%s", tool_attach_reason(ctrlr, rc));
	}
	if (rc != 0) {
		nvtcp_ctrlr_detach(ctrlr);
		*rcp = rc;
		return NULL;
	}
	*rcp = 0;
	return ctrlr;
}

static struct {
	bool done;
	struct nvtcp_nvme_cpl cpl;
} g_wait;

static void
wait_cb(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	g_wait.cpl = *cpl;
	g_wait.done = true;
}

/*
 * The generation counter, for the "Generation counter" line: read from the log header (the
 * entries come from nvtcp_ctrlr_get_discovery_log(), which checks consistency itself).
 */
static int
read_header(struct nvtcp_ctrlr *ctrlr, unsigned int timeout_s, uint64_t *genctr,
	    uint64_t *numrec)
{
	struct nvtcp_nvmf_disc_log_hdr *hdr;
	uint64_t deadline = tool_now_ms() + (uint64_t)timeout_s * 1000;
	int rc;

	hdr = aligned_alloc(4096, 4096);
	if (hdr == NULL) {
		return -ENOMEM;
	}
	memset(&g_wait, 0, sizeof(g_wait));
	rc = nvtcp_ctrlr_cmd_get_log_page(ctrlr, NVTCP_NVME_LOG_DISCOVERY, 0, hdr, sizeof(*hdr), 0,
					  wait_cb, NULL);
	while (rc == 0 && !g_wait.done) {
		if (nvtcp_ctrlr_process_admin_completions(ctrlr) < 0 && !g_wait.done) {
			rc = -ENXIO;
		} else if (!g_wait.done && tool_now_ms() > deadline) {
			rc = -ETIMEDOUT;
		}
	}
	if (rc == 0 && nvtcp_nvme_cpl_is_error(&g_wait.cpl)) {
		rc = -EIO;
	}
	if (rc == 0) {
		*genctr = hdr->genctr;
		*numrec = hdr->numrec;
	}
	/* After a timeout the command may still complete into hdr: keep it (a small leak on a
	 * failure path, instead of a write into freed memory). */
	if (rc != -ETIMEDOUT) {
		free(hdr);
	}
	return rc;
}

static void
eflags_str(uint16_t eflags, char *buf, size_t len)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} names[] = {
		{NVTCP_NVMF_EFLAGS_DUPRETINFO, "duplicate discovery information"},
		{NVTCP_NVMF_EFLAGS_EPCSD, "explicit discovery connections"},
		{NVTCP_NVMF_EFLAGS_NCC, "no cdc connectivity"},
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NVTCP_COUNTOF(names); i++) {
		if (eflags & names[i].bit) {
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						names[i].name);
			eflags &= (uint16_t)~names[i].bit;
		}
	}
	if (eflags != 0) {
		snprintf(buf + off, len - off, "%sunknown 0x%04x", off ? ", " : "", eflags);
	} else if (off == 0) {
		snprintf(buf, len, "none");
	}
}

static const char *
sectype_str(uint8_t sectype)
{
	switch (sectype) {
	case NVTCP_NVMF_TCP_SECTYPE_NONE: return "none";
	case NVTCP_NVMF_TCP_SECTYPE_TLS12: return "tls1.2";
	case NVTCP_NVMF_TCP_SECTYPE_TLS13: return "tls1.3";
	default: return "unrecognized";
	}
}

static void
treq_str(uint8_t treq, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", nvtcp_treq_secure_channel_str(treq),
		 (treq & NVTCP_NVMF_TREQ_DISABLE_SQ_FLOW_CONTROL) ?
		 ", sq flow control disable supported" : "");
}

static void
print_entries(const struct nvtcp_discovery_entry *e, size_t count)
{
	char treq[96], eflags[160];

	for (size_t i = 0; i < count; i++) {
		treq_str(e[i].treq, treq, sizeof(treq));
		eflags_str(e[i].eflags, eflags, sizeof(eflags));
		printf("=====Discovery Log Entry %zu======\n", i);
		printf("trtype:  %s\n", nvtcp_trtype_str(e[i].trtype));
		printf("adrfam:  %s\n", e[i].trid.traddr[0] ? nvtcp_adrfam_str(e[i].adrfam) : "");
		printf("subtype: %s\n", nvtcp_subtype_str(e[i].subtype));
		printf("treq:    %s\n", treq);
		printf("portid:  %u\n", e[i].portid);
		printf("trsvcid: %s\n", e[i].trid.trsvcid);
		printf("subnqn:  %s\n", e[i].trid.subnqn);
		printf("traddr:  %s\n", e[i].trid.traddr);
		printf("eflags:  %s\n", eflags);
		if (e[i].trtype == NVTCP_NVMF_TRTYPE_TCP) {
			printf("sectype: %s\n", sectype_str(e[i].sectype));
		}
	}
}

static struct json_object *
json_entries(const struct nvtcp_discovery_entry *e, size_t count)
{
	struct json_object *arr = json_object_new_array();
	char treq[96], eflags[160];

	for (size_t i = 0; i < count; i++) {
		struct json_object *j = json_object_new_object();

		treq_str(e[i].treq, treq, sizeof(treq));
		eflags_str(e[i].eflags, eflags, sizeof(eflags));
		json_object_object_add(j, "trtype", json_object_new_string(
					       nvtcp_trtype_str(e[i].trtype)));
		json_object_object_add(j, "adrfam", json_object_new_string(
					       nvtcp_adrfam_str(e[i].adrfam)));
		json_object_object_add(j, "subtype", json_object_new_string(
					       nvtcp_subtype_str(e[i].subtype)));
		json_object_object_add(j, "treq", json_object_new_string(treq));
		json_object_object_add(j, "portid", json_object_new_int(e[i].portid));
		json_object_object_add(j, "trsvcid", json_object_new_string(e[i].trid.trsvcid));
		json_object_object_add(j, "subnqn", json_object_new_string(e[i].trid.subnqn));
		json_object_object_add(j, "traddr", json_object_new_string(e[i].trid.traddr));
		json_object_object_add(j, "eflags", json_object_new_string(eflags));
		json_object_object_add(j, "cntlid", json_object_new_int(e[i].cntlid));
		json_object_object_add(j, "asqsz", json_object_new_int(e[i].asqsz));
		if (e[i].trtype == NVTCP_NVMF_TRTYPE_TCP) {
			json_object_object_add(j, "sectype", json_object_new_string(
						       sectype_str(e[i].sectype)));
		}
		json_object_array_add(arr, j);
	}
	return arr;
}

/* Follow the referrals of the main log; each result (entries or error) is printed. */
static void
follow_referrals(const struct nvtcp_discovery_entry *e, size_t count,
		 const struct nvtcp_ctrlr_opts *copts, const struct tool_opts *o,
		 struct json_object *jroot)
{
	struct json_object *jrefs = NULL;
	struct nvtcp_discover_opts dopts;

	nvtcp_discover_opts_init(&dopts);
	dopts.ctrlr = *copts;
	dopts.max_entries = MAX_ENTRIES;
	dopts.max_restarts = MAX_RESTARTS;
	for (size_t i = 0; i < count; i++) {
		struct nvtcp_discovery_entry *sub = NULL;
		struct nvtcp_trid rtrid;
		char rstr[1024];
		size_t n = 0;
		int rc;

		if (e[i].subtype != NVTCP_NVMF_SUBTYPE_DISCOVERY_REFERRAL) {
			continue;
		}
		nvtcp_discovery_entry_to_trid(&e[i], NULL, NULL, &rtrid);
		if (rtrid.subnqn[0] == '\0') {
			snprintf(rtrid.subnqn, sizeof(rtrid.subnqn), "%s", NVTCP_DISCOVERY_NQN);
		}
		nvtcp_trid_format(&rtrid, rstr, sizeof(rstr));
		tool_last_log_err[0] = '\0';
		rc = nvtcp_discover(&rtrid, &dopts, &sub, &n);
		if (o->json) {
			struct json_object *j = json_object_new_object();

			if (jrefs == NULL) {
				jrefs = json_object_new_array();
				json_object_object_add(jroot, "referrals", jrefs);
			}
			json_object_object_add(j, "transport_id", json_object_new_string(rstr));
			if (rc == 0) {
				json_object_object_add(j, "records", json_entries(sub, n));
			} else {
				json_object_object_add(j, "error",
						       json_object_new_string(tool_attach_reason(NULL, rc)));
			}
			json_object_array_add(jrefs, j);
		} else if (rc == 0) {
			printf("\nReferral %s: %zu record%s\n", rstr, n, n == 1 ? "" : "s");
			print_entries(sub, n);
		} else {
			/* The main log was read; an unreachable referral is reported, not fatal. */
			printf("\nReferral %s: not reachable: %s\n", rstr, tool_attach_reason(NULL, rc));
			tool_fail_line("warning: referral %s: %s", rstr, tool_attach_reason(NULL, rc));
		}
		free(sub);
	}
}

int
main(int argc, char **argv)
{
	struct nvtcp_ctrlr_opts copts;
	struct nvtcp_ctrlr *ctrlr;
	struct nvtcp_discovery_entry *entries = NULL;
	struct json_object *jroot = NULL;
	struct nvtcp_trid trid;
	struct tool_opts o;
	char trid_str[1024], why[512], terr[256];
	uint64_t genctr = 0, numrec = 0;
	size_t count = 0;
	bool port_given;
	int rc, status = 1;

	tool_name = TOOL;

	parse_args(argc, argv, &o);
	if (o.log_set) {
		nvtcp_log_set_level(o.log_level);
	} else {
		nvtcp_log_set_level(NVTCP_LOG_ERROR);
		nvtcp_log_set_callback(tool_quiet_log);
	}

	nvtcp_trid_init(&trid);
	trid.trsvcid[0] = '\0';
	snprintf(trid.subnqn, sizeof(trid.subnqn), "%s", NVTCP_DISCOVERY_NQN);
	if (nvtcp_trid_parse(&trid, o.trid, terr, sizeof(terr)) != 0) {
		tool_usage_error("-r: %s", terr);
	}
	if (trid.traddr[0] == '\0') {
		tool_usage_error("-r: traddr is required");
	}
	port_given = trid.trsvcid[0] != '\0';
	if (!port_given) {
		snprintf(trid.trsvcid, sizeof(trid.trsvcid), "%s", NVTCP_DISCOVERY_PORT);
	}
	if (o.hostnqn != NULL) {
		snprintf(trid.hostnqn, sizeof(trid.hostnqn), "%s", o.hostnqn);
	}

	/* No DPDK environment: the driver needs no DMA memory for a few admin commands and
	 * keeps time with CLOCK_MONOTONIC without it, so the tool starts in milliseconds, needs
	 * no hugepages and runs under valgrind. */
	nvtcp_ctrlr_opts_init(&copts);
	copts.hdgst = o.hdgst;
	copts.ddgst = o.ddgst;
	copts.tls = o.tls;
	copts.psk_path = o.psk_path;
	copts.dhchap_secret = o.dhchap_secret;
	copts.dhchap_ctrl_secret = o.dhchap_ctrl_secret;
	/* A discovery controller is not kept: no keep-alive (as the Linux host). */
	copts.kato_ms = 0;
	/* The driver's own step timeouts fire a little before the tool's overall bound, so a
	 * single stuck step is reported with the driver's precise reason. */
	copts.connect_timeout_ms = NVTCP_MIN(copts.connect_timeout_ms, tool_step_timeout_ms(o.timeout_s));
	copts.icresp_timeout_ms = NVTCP_MIN(copts.icresp_timeout_ms, tool_step_timeout_ms(o.timeout_s));

	nvtcp_trid_format(&trid, trid_str, sizeof(trid_str));
	ctrlr = attach(&trid, &copts, o.timeout_s, &rc, why, sizeof(why));
	if (ctrlr == NULL && rc == -ECONNREFUSED && !port_given) {
		fprintf(stderr, TOOL ": nothing listens on %s port %s (connection refused); "
			"trying port %s\n", trid.traddr, NVTCP_DISCOVERY_PORT, NVTCP_IO_PORT);
		snprintf(trid.trsvcid, sizeof(trid.trsvcid), "%s", NVTCP_IO_PORT);
		nvtcp_trid_format(&trid, trid_str, sizeof(trid_str));
		ctrlr = attach(&trid, &copts, o.timeout_s, &rc, why, sizeof(why));
	}
	if (ctrlr == NULL) {
		tool_fail_line("cannot attach to %s: %s", trid_str, why);
		goto out_free;
	}
	if (!nvtcp_ctrlr_is_discovery(ctrlr)) {
		tool_fail_line("%s is not a discovery controller (subnqn %s)", trid_str, trid.subnqn);
		goto out_detach;
	}

	for (int attempt = 0;; attempt++) {
		free(entries);
		entries = NULL;
		rc = nvtcp_ctrlr_get_discovery_log(ctrlr, MAX_ENTRIES, MAX_RESTARTS, &entries,
						   &count);
		if (rc != 0) {
			tool_fail_line("%s: cannot read the discovery log: %s", trid_str,
				  tool_attach_reason(ctrlr, rc));
			goto out_detach;
		}
		rc = read_header(ctrlr, o.timeout_s, &genctr, &numrec);
		if (rc != 0) {
			tool_fail_line("%s: cannot read the discovery log header: %s", trid_str,
				  tool_attach_reason(ctrlr, rc));
			goto out_detach;
		}
		/* The log changed between the two reads: read it again (bounded). */
		if (numrec == count || attempt == MAX_RESTARTS) {
			break;
		}
	}

	if (o.json) {
		jroot = json_object_new_object();
		json_object_object_add(jroot, "transport_id", json_object_new_string(trid_str));
		json_object_object_add(jroot, "genctr", json_object_new_uint64(genctr));
		json_object_object_add(jroot, "numrec", json_object_new_uint64(count));
		json_object_object_add(jroot, "records", json_entries(entries, count));
	} else {
		printf("\nDiscovery Log Number of Records %zu, Generation counter %" PRIu64 "\n",
		       count, genctr);
		print_entries(entries, count);
	}
	/* The main controller is no longer needed while referrals are visited. */
	nvtcp_ctrlr_detach(ctrlr);
	ctrlr = NULL;
	if (o.follow_referrals) {
		follow_referrals(entries, count, &copts, &o, jroot);
	}
	if (o.connect_all) {
		struct nvtcp_ctrlr_opts io_opts, defaults;

		/* Same identity, security and bounds; the I/O controllers keep the default
		 * keep-alive (the discovery controller has none) while they are inspected. */
		nvtcp_ctrlr_opts_init(&defaults);
		io_opts = copts;
		io_opts.kato_ms = defaults.kato_ms;
		if (discover_connect_all(&trid, entries, count, o.subnqn, o.nsid, &io_opts,
					 jroot) != 0) {
			if (jroot != NULL) {
				json_object_put(jroot);
			}
			goto out_free;
		}
	}
	if (jroot != NULL) {
		printf("%s\n", json_object_to_json_string_ext(jroot, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(jroot);
	}
	fflush(stdout);
	status = 0;

out_detach:
	if (ctrlr != NULL) {
		nvtcp_ctrlr_detach(ctrlr);
	}
out_free:
	free(entries);
	return status;
}
