/*
 * nvtcp_identify: attach to an NVMe/TCP controller and print what Identify says about it and
 * about each of its namespaces, readably (as spdk_nvme_identify / "nvme id-ctrl" do) or as one
 * JSON document.
 *
 * The tool is synchronous: it attaches with the asynchronous calls (so that a failure keeps its
 * reason, see nvtcp_ctrlr_get_failure_reason()) and then submits one admin command at a time,
 * polling the admin queue until it completes. Every wait is bounded by -t.
 *
 * On failure the tool prints exactly one line on stderr giving the reason, and exits 1 (2 for a
 * usage error). The driver's own log lines are kept off stderr unless -L asks for them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvtcp/fabrics.h"
#include "nvtcp/log.h"
#include "tool.h"
#include "nvtcp/nvme.h"
#include "nvtcp/util.h"

#include "identify.h"

#define TOOL "nvtcp_identify"
/* Most namespaces listed (the list is paged 1024 at a time). */
#define MAX_NAMESPACES 65536
#define DEFAULT_TIMEOUT_S 30

enum {
	OPT_JSON = 256,
	OPT_HOSTNQN,
	OPT_TLS,
	OPT_PSK,
	OPT_DHCHAP_SECRET,
	OPT_DHCHAP_CTRL_SECRET,
};

struct tool_opts {
	const char *trid;
	const char *hostnqn;
	bool raw;
	bool json;
	bool hdgst;
	bool ddgst;
	bool tls;
	const char *psk_path;
	const char *dhchap_secret;
	const char *dhchap_ctrl_secret;
	bool log_set;
	enum nvtcp_log_level log_level;
	unsigned int timeout_s;
};

/*
 * A command's completion lands here. It is static, not on the stack, because a command that
 * times out completes later (when the controller is detached) and must not write into a stack
 * frame that is gone.
 */
static struct {
	bool done;
	struct nvtcp_nvme_cpl cpl;
} g_wait;

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " TOOL " -r TRID [options]\n"
		"\n"
		"Attach to an NVMe/TCP controller and print Identify Controller, the controller\n"
		"properties, and Identify Namespace plus identification descriptors (CNS 0 and 3) of\n"
		"every active namespace.\n"
		"\n"
		"  -r, --trid TRID        transport ID (required), e.g.\n"
		"                         'trtype:tcp traddr:127.0.0.1 trsvcid:4420 subnqn:nqn...'\n"
		"                         (trsvcid defaults to 4420, subnqn to the discovery NQN)\n"
		"  -x, --hex              add hex dumps of the raw Identify data\n"
		"      --json             print one JSON document instead of text\n"
		"  -H, --hdgst            ask for header digests\n"
		"  -I, --ddgst            ask for data digests\n"
		"      --tls              require TLS 1.3 with a PSK (needs --psk; no plaintext)\n"
		"      --psk FILE         PSK file (interchange format, mode 0600); implies --tls\n"
		"      --dhchap-secret S  DH-HMAC-CHAP host secret for in-band authentication:\n"
		"                         'DHHC-1:..' or a file holding it (mode 0600)\n"
		"      --dhchap-ctrl-secret S\n"
		"                         controller secret, same forms: bidirectional\n"
		"                         authentication (needs --dhchap-secret)\n"
		"      --hostnqn NQN      host NQN to present (default: /etc/nvme/hostnqn, else generated)\n"
		"  -t, --timeout SEC      bound for the attach and for each command (default %d)\n"
		"  -L, --log-level LEVEL  show the library's log at this level on stderr\n"
		"                         (error, warn, notice, info, debug; default: quiet)\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 success, 1 failure (one line on stderr says why), 2 usage error.\n"
		"Environment: NVTCP_ETC_NVME replaces /etc/nvme when looking for hostnqn/hostid.\n",
		DEFAULT_TIMEOUT_S);
}

static void
parse_args(int argc, char **argv, struct tool_opts *o)
{
	static const struct option longopts[] = {
		{"trid", required_argument, NULL, 'r'},
		{"hex", no_argument, NULL, 'x'},
		{"json", no_argument, NULL, OPT_JSON},
		{"hdgst", no_argument, NULL, 'H'},
		{"ddgst", no_argument, NULL, 'I'},
		{"hostnqn", required_argument, NULL, OPT_HOSTNQN},
		{"tls", no_argument, NULL, OPT_TLS},
		{"psk", required_argument, NULL, OPT_PSK},
		{"dhchap-secret", required_argument, NULL, OPT_DHCHAP_SECRET},
		{"dhchap-ctrl-secret", required_argument, NULL, OPT_DHCHAP_CTRL_SECRET},
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
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":r:xHIt:L:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (o->trid != NULL) {
				tool_usage_error("-r: only one transport ID is accepted");
			}
			o->trid = optarg;
			break;
		case 'x':
			o->raw = true;
			break;
		case OPT_JSON:
			o->json = true;
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
	if (o->tls && o->psk_path == NULL) {
		tool_usage_error("--tls: needs --psk FILE (TLS uses a pre-shared key)");
	}
	if (o->dhchap_ctrl_secret != NULL && o->dhchap_secret == NULL) {
		tool_usage_error("--dhchap-ctrl-secret: needs --dhchap-secret (bidirectional "
				 "authentication authenticates the host too)");
	}
}

static void
wait_cb(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	g_wait.cpl = *cpl;
	g_wait.done = true;
}

/*
 * Poll the admin queue until the command submitted with wait_cb completes, the controller
 * fails, or the timeout passes. \p what names the command in the message.
 */
static int
admin_wait(struct nvtcp_ctrlr *ctrlr, unsigned int timeout_s, const char *what, char *err,
	   size_t errlen)
{
	uint64_t deadline = tool_now_ms() + (uint64_t)timeout_s * 1000;
	int32_t rc;

	while (!g_wait.done) {
		rc = nvtcp_ctrlr_process_admin_completions(ctrlr);
		if (rc < 0 && !g_wait.done) {
			snprintf(err, errlen, "%s: controller failed: %s", what,
				 tool_attach_reason(ctrlr, rc));
			return rc;
		}
		if (!g_wait.done && tool_now_ms() > deadline) {
			snprintf(err, errlen, "%s: no completion within %u s (timeout)", what,
				 timeout_s);
			return -ETIMEDOUT;
		}
	}
	if (nvtcp_nvme_cpl_is_error(&g_wait.cpl)) {
		uint16_t st = g_wait.cpl.status;

		snprintf(err, errlen, "%s failed: %s (SCT 0x%x, SC 0x%02x)", what,
			 nvtcp_nvme_status_str(st), nvtcp_nvme_status_sct(st),
			 nvtcp_nvme_status_sc(st));
		return -EIO;
	}
	return 0;
}

static int
identify_sync(struct nvtcp_ctrlr *ctrlr, unsigned int timeout_s, uint8_t cns, uint32_t nsid,
	      void *buf, const char *what, char *err, size_t errlen)
{
	int rc;

	memset(&g_wait, 0, sizeof(g_wait));
	rc = nvtcp_ctrlr_cmd_identify(ctrlr, cns, 0, nsid, buf, NVTCP_NVME_IDENTIFY_DATA_SIZE,
				      wait_cb, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot submit: %s", what, strerror(-rc));
		return rc;
	}
	return admin_wait(ctrlr, timeout_s, what, err, errlen);
}

/* The active namespace list (CNS 2), paged 1024 IDs at a time. */
static int
list_namespaces(struct nvtcp_ctrlr *ctrlr, unsigned int timeout_s, uint32_t **out,
		uint32_t *count, char *err, size_t errlen)
{
	uint32_t *ids = NULL, *page, n = 0, start = 0;
	int rc = 0;

	page = aligned_alloc(4096, NVTCP_NVME_IDENTIFY_DATA_SIZE);
	if (page == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (;;) {
		uint32_t i;

		memset(page, 0, NVTCP_NVME_IDENTIFY_DATA_SIZE);
		rc = identify_sync(ctrlr, timeout_s, NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST, start, page,
				   "Identify active namespace list (CNS 2)", err, errlen);
		if (rc != 0) {
			break;
		}
		for (i = 0; i < NVTCP_NVME_IDENTIFY_NS_LIST_MAX && page[i] != 0; i++) {
			uint32_t *grown;

			/* The list is increasing and above the start: anything else is malformed. */
			if (page[i] <= start || page[i] == NVTCP_NVME_NSID_ALL) {
				snprintf(err, errlen, "Identify active namespace list: NSID %u out of "
					 "order after %u", page[i], start);
				rc = -EPROTO;
				break;
			}
			if (n == MAX_NAMESPACES) {
				snprintf(err, errlen, "more than %d active namespaces", MAX_NAMESPACES);
				rc = -E2BIG;
				break;
			}
			grown = realloc(ids, (n + 1) * sizeof(*ids));
			if (grown == NULL) {
				snprintf(err, errlen, "out of memory");
				rc = -ENOMEM;
				break;
			}
			ids = grown;
			ids[n++] = page[i];
			start = page[i];
		}
		if (rc != 0 || i < NVTCP_NVME_IDENTIFY_NS_LIST_MAX) {
			break;
		}
	}
	free(page);
	if (rc != 0) {
		free(ids);
		return rc;
	}
	*out = ids;
	*count = n;
	return 0;
}

static int
gather(struct nvtcp_ctrlr *ctrlr, const struct tool_opts *o, struct id_report *r, char *err,
       size_t errlen)
{
	uint32_t *ids = NULL, n = 0;
	void *buf;
	int rc;

	buf = aligned_alloc(4096, NVTCP_NVME_IDENTIFY_DATA_SIZE);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memset(buf, 0, NVTCP_NVME_IDENTIFY_DATA_SIZE);
	rc = identify_sync(ctrlr, o->timeout_s, NVTCP_NVME_IDENTIFY_CTRLR, 0, buf,
			   "Identify Controller (CNS 1)", err, errlen);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	memcpy(&r->cdata, buf, sizeof(r->cdata));
	r->have_cdata = true;
	free(buf);
	r->cap = nvtcp_ctrlr_get_cap(ctrlr);
	r->vs = nvtcp_ctrlr_get_vs(ctrlr);
	r->cntlid = nvtcp_ctrlr_get_cntlid(ctrlr);
	r->discovery = nvtcp_ctrlr_is_discovery(ctrlr);
	r->hdgst = nvtcp_ctrlr_hdgst_enabled(ctrlr);
	r->ddgst = nvtcp_ctrlr_ddgst_enabled(ctrlr);
	r->tls_cipher = nvtcp_ctrlr_get_tls_cipher(ctrlr);
	r->authenticated = nvtcp_ctrlr_get_auth_status(ctrlr, &r->auth);
	r->max_xfer = nvtcp_ctrlr_get_max_xfer_size(ctrlr);
	r->num_io_queues = nvtcp_ctrlr_get_num_io_queues(ctrlr);
	if (r->discovery) {
		return 0;
	}

	rc = list_namespaces(ctrlr, o->timeout_s, &ids, &n, r->ns_list_err,
			     sizeof(r->ns_list_err));
	if (rc != 0) {
		snprintf(err, errlen, "%s", r->ns_list_err);
		return rc;
	}
	r->ns = calloc(n > 0 ? n : 1, sizeof(*r->ns));
	if (r->ns == NULL) {
		free(ids);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->num_ns = n;
	for (uint32_t i = 0; i < n; i++) {
		struct id_ns *ns = &r->ns[i];
		char what[64];

		ns->nsid = ids[i];
		snprintf(what, sizeof(what), "Identify Namespace %u (CNS 0)", ns->nsid);
		rc = identify_sync(ctrlr, o->timeout_s, NVTCP_NVME_IDENTIFY_NS, ns->nsid, &ns->data,
				   what, ns->data_err, sizeof(ns->data_err));
		ns->data_ok = rc == 0;
		if (rc == -ETIMEDOUT || (rc != 0 && rc != -EIO)) {
			/* The controller is gone or stuck: stop here. */
			snprintf(err, errlen, "%s", ns->data_err);
			free(ids);
			return rc;
		}
		if (rc != 0 && err[0] == '\0') {
			snprintf(err, errlen, "%s", ns->data_err);
		}
		snprintf(what, sizeof(what), "Identify NS descriptors %u (CNS 3)", ns->nsid);
		rc = identify_sync(ctrlr, o->timeout_s, NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST,
				   ns->nsid, ns->descs, what, ns->descs_err, sizeof(ns->descs_err));
		ns->descs_ok = rc == 0;
		if (rc == -ETIMEDOUT || (rc != 0 && rc != -EIO)) {
			snprintf(err, errlen, "%s", ns->descs_err);
			free(ids);
			return rc;
		}
		/* CNS 3 is optional before NVMe 1.3: its absence is reported, not a failure. */
	}
	free(ids);
	return 0;
}

int
main(int argc, char **argv)
{
	struct nvtcp_ctrlr_opts copts;
	struct nvtcp_ctrlr *ctrlr = NULL;
	struct tool_opts o;
	struct nvtcp_trid trid;
	struct id_report *r = NULL;
	struct out out;
	char trid_str[1024], err[512] = "", terr[256];
	uint64_t deadline;
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
	snprintf(trid.subnqn, sizeof(trid.subnqn), "%s", NVTCP_DISCOVERY_NQN);
	if (nvtcp_trid_parse(&trid, o.trid, terr, sizeof(terr)) != 0) {
		tool_usage_error("-r: %s", terr);
	}
	if (trid.traddr[0] == '\0') {
		tool_usage_error("-r: traddr is required");
	}
	if (o.hostnqn != NULL) {
		snprintf(trid.hostnqn, sizeof(trid.hostnqn), "%s", o.hostnqn);
	}
	nvtcp_trid_format(&trid, trid_str, sizeof(trid_str));

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
	copts.num_io_queues = 1;
	/* The driver's own step timeouts fire a little before the tool's overall bound, so a
	 * single stuck step is reported with the driver's precise reason. */
	copts.connect_timeout_ms = NVTCP_MIN(copts.connect_timeout_ms, tool_step_timeout_ms(o.timeout_s));
	copts.icresp_timeout_ms = NVTCP_MIN(copts.icresp_timeout_ms, tool_step_timeout_ms(o.timeout_s));

	rc = nvtcp_ctrlr_attach_async(&trid, &copts, &ctrlr);
	if (rc != 0) {
		tool_fail_line("cannot attach to %s: %s", trid_str, tool_attach_reason(NULL, rc));
		goto out_free;
	}
	deadline = tool_now_ms() + (uint64_t)o.timeout_s * 1000;
	while ((rc = nvtcp_ctrlr_attach_poll(ctrlr)) == -EAGAIN) {
		if (tool_now_ms() > deadline) {
			break;
		}
	}
	if (rc == -EAGAIN) {
		tool_fail_line("cannot attach to %s: timed out after %u s", trid_str, o.timeout_s);
		goto out_detach;
	}
	if (rc != 0) {
		tool_fail_line("cannot attach to %s: %s", trid_str, tool_attach_reason(ctrlr, rc));
		goto out_detach;
	}

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		tool_fail_line("out of memory");
		goto out_detach;
	}
	r->trid = trid_str;
	r->raw = o.raw;
	r->hostnqn = trid.hostnqn[0] != '\0' ? trid.hostnqn :
		     nvtcp_ctrlr_get_opts(ctrlr)->host.hostnqn;
	rc = gather(ctrlr, &o, r, err, sizeof(err));
	if (!r->have_cdata) {
		/* Nothing to show. */
		tool_fail_line("%s: %s", trid_str, err);
		goto out_detach;
	}
	if (out_init(&out, o.json) != 0) {
		tool_fail_line("out of memory");
		goto out_detach;
	}
	id_print(&out, r);
	out_finish(&out);
	if (rc != 0 || err[0] != '\0') {
		tool_fail_line("%s: %s", trid_str, err);
	} else {
		status = 0;
	}

out_detach:
	/* The report is complete; a failed shutdown does not change what was read. */
	nvtcp_ctrlr_detach(ctrlr);
out_free:
	if (r != NULL) {
		free(r->ns);
		free(r);
	}
	return status;
}
