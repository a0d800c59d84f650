/*
 * nvtcp_tgt: the stand-alone NVMe/TCP target.
 *
 *   nvtcp_tgt -m 0x3 --listen 127.0.0.1:4420 --subsys nqn.2024-01.io.nvtcp:demo --ns malloc:1G
 *   nvtcp_tgt --config target.json
 *
 * Prints "nvtcp_tgt: ready" on stdout once every listener and the RPC socket are open (scripts
 * wait for that line), per-reactor statistics on SIGUSR1 and at exit, and stops cleanly on
 * SIGINT/SIGTERM. The JSON-RPC control plane (doc/target.md) listens on --rpc-socket.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/app.h"
#include "nvtcp/env.h"
#include "nvtcp/fabrics.h"
#include "nvtcp/jsonrpc.h"
#include "nvtcp/log.h"
#include "nvtcp/reactor.h"
#include "nvtcp/sock.h"
#include "nvtcp/target.h"
#include "nvtcp/target_bdev.h"
#include "nvtcp/target_rpc.h"
#include "nvtcp/util.h"

#define PROG "nvtcp_tgt"
#define DEFAULT_RPC_SOCKET "/var/tmp/nvtcp.sock"
#define MAX_ITEMS 64

enum {
	OPT_LISTEN = 0x100,
	OPT_SUBSYS,
	OPT_NS,
	OPT_ALLOW_HOST,
	OPT_SERIAL,
	OPT_MODEL,
	OPT_DISCOVERY_PORT,
	OPT_DIGESTS,
	OPT_IN_CAPSULE,
	OPT_MAX_QD,
	OPT_MAX_IO_SIZE,
	OPT_MAX_IO_QUEUES,
	OPT_C2H_SUCCESS,
	OPT_CONFIG,
	OPT_MAX_CONNS_PER_HOST,
	OPT_MAX_CONNS_PER_ADDR,
	OPT_RPC_SOCKET,
	OPT_SOCK_IMPL,
	OPT_SECURE_CHANNEL,
	OPT_PSK,
	OPT_DHCHAP_KEY,
	OPT_DHCHAP_CTRL_KEY,
	OPT_DHCHAP_HASHES,
	OPT_DHCHAP_DHGROUPS,
	OPT_ANA_STATE,
};

static const struct option g_long[] = {
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"subsys", required_argument, NULL, OPT_SUBSYS},
	{"ns", required_argument, NULL, OPT_NS},
	{"allow-host", required_argument, NULL, OPT_ALLOW_HOST},
	{"serial", required_argument, NULL, OPT_SERIAL},
	{"model", required_argument, NULL, OPT_MODEL},
	{"discovery-port", required_argument, NULL, OPT_DISCOVERY_PORT},
	{"digests", required_argument, NULL, OPT_DIGESTS},
	{"in-capsule", required_argument, NULL, OPT_IN_CAPSULE},
	{"max-queue-depth", required_argument, NULL, OPT_MAX_QD},
	{"max-io-size", required_argument, NULL, OPT_MAX_IO_SIZE},
	{"max-io-queues", required_argument, NULL, OPT_MAX_IO_QUEUES},
	{"c2h-success", required_argument, NULL, OPT_C2H_SUCCESS},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"max-connections-per-host", required_argument, NULL, OPT_MAX_CONNS_PER_HOST},
	{"max-connections-per-addr", required_argument, NULL, OPT_MAX_CONNS_PER_ADDR},
	{"rpc-socket", required_argument, NULL, OPT_RPC_SOCKET},
	{"sock-impl", required_argument, NULL, OPT_SOCK_IMPL},
	{"secure-channel", required_argument, NULL, OPT_SECURE_CHANNEL},
	{"ana-state", required_argument, NULL, OPT_ANA_STATE},
	{"psk", required_argument, NULL, OPT_PSK},
	{"dhchap-key", required_argument, NULL, OPT_DHCHAP_KEY},
	{"dhchap-ctrl-key", required_argument, NULL, OPT_DHCHAP_CTRL_KEY},
	{"dhchap-hashes", required_argument, NULL, OPT_DHCHAP_HASHES},
	{"dhchap-dhgroups", required_argument, NULL, OPT_DHCHAP_DHGROUPS},
	{NULL, 0, NULL, 0},
};

struct app_ns {
	const char *spec;
	struct nvtcp_tgt_ns_opts opts;
	char path[4096];
	char backend[32];
};

struct app_subsys {
	const char *nqn;
	const char *serial;
	const char *model;
	const char *hosts[MAX_ITEMS];
	const char *host_psk[MAX_ITEMS];
	/* DH-HMAC-CHAP of each host: secrets (text or file) and algorithm lists. */
	const char *host_dhchap[MAX_ITEMS][4];
	uint32_t nhosts;
	struct app_ns ns[MAX_ITEMS];
	uint32_t nns;
};

struct app {
	const char *listen[MAX_ITEMS];
	const char *listen_secure[MAX_ITEMS];
	const char *listen_ana[MAX_ITEMS];
	uint32_t nlisten;
	struct app_subsys subsys[MAX_ITEMS];
	uint32_t nsubsys;
	const char *discovery_port;
	const char *digests;
	const char *in_capsule;
	const char *max_qd;
	const char *max_io_size;
	const char *max_io_queues;
	const char *max_conns_per_host;
	const char *max_conns_per_addr;
	const char *c2h_success;
	const char *config;
	const char *rpc_socket;
	const char *sock_impl;
	struct nvtcp_jsonrpc_server *rpc;
	/* Which option was out of order (it is reported after parsing, by name). */
	const char *order_error;
	struct nvtcp_tgt_opts opts;
	struct nvtcp_tgt *tgt;
	int exit_code;
};

static void
usage(void)
{
	printf("Target options:\n"
	       "  --listen ADDR:PORT      listen there (repeatable; IPv6 as [::1]:4420)\n"
	       "  --subsys NQN            add an NVM subsystem (repeatable)\n"
	       "  --ns SPEC               namespace of the last --subsys (repeatable):\n"
	       "                          malloc:SIZE[:BLOCKSIZE], null:SIZE[:BLOCKSIZE],\n"
	       "                          file:PATH[:BLOCKSIZE], uring:PATH[:BLOCKSIZE]\n"
	       "                          (BLOCKSIZE 512 or 4096)\n"
	       "  --secure-channel MODE   TLS of the last --listen: none (default), optional,\n"
	       "                          required (TLS 1.3 with PSKs, see doc/security.md)\n"
	       "  --ana-state STATE       ANA state of the last --listen: optimized, non_optimized,\n"
	       "                          inaccessible, persistent_loss, change; makes it every\n"
	       "                          --subsys's own listener (see doc/multipath.md)\n"
	       "  --allow-host NQN        allow only these hosts on the last --subsys\n"
	       "  --psk FILE              TLS PSK of the last --allow-host (mode 0600); with\n"
	       "                          --subsys " NVTCP_DISCOVERY_NQN ":\n"
	       "                          the key a host discovers with over TLS\n"
	       "  --dhchap-key SECRET|FILE  the last --allow-host must authenticate in band\n"
	       "                          (DH-HMAC-CHAP) with this DHHC-1 secret (a file, mode\n"
	       "                          0600, keeps it out of the process list)\n"
	       "  --dhchap-ctrl-key SECRET|FILE  controller secret: bidirectional authentication\n"
	       "  --dhchap-hashes LIST    hashes the host may use (sha256,sha384,sha512; default all)\n"
	       "  --dhchap-dhgroups LIST  DH groups (null,ffdhe2048,...,ffdhe8192; default all)\n"
	       "  --serial SN, --model MN serial and model number of the last --subsys\n"
	       "  --discovery-port PORT   also listen on PORT (e.g. 8009) for discovery\n"
	       "  --digests MODE          digests the target grants: none, hdgst, ddgst, both\n"
	       "                          (default both: whatever the host asks for)\n"
	       "  --in-capsule SIZE       in-capsule data of I/O commands (default 16K)\n"
	       "  --max-queue-depth N     largest I/O queue (default 128)\n"
	       "  --max-io-size SIZE      largest transfer, MDTS (default 1M)\n"
	       "  --max-io-queues N       I/O queues per controller (default 64)\n"
	       "  --c2h-success MODE      off, sqflow (default) or always\n"
	       "  --max-connections-per-host N  queues of one host NQN (default 256; 0 = no limit)\n"
	       "  --max-connections-per-addr N  connections of one source address (default 256)\n"
	       "                          (other limits: JSON options, see doc/target.md)\n"
	       "  --config FILE           JSON configuration (see doc/target.md)\n"
	       "  --rpc-socket PATH       JSON-RPC control socket (default " DEFAULT_RPC_SOCKET
	       ";\n"
	       "                          'none' disables it)\n"
	       "  --sock-impl IMPL        socket groups on posix (epoll, default) or uring\n"
	       "                          (io_uring); default $NVTCP_SOCK_IMPL, else posix\n"
	       "Prints '" PROG ": ready' on stdout once listening; SIGUSR1 prints statistics.\n");
}

static int
parse_opt(int ch, const char *arg, void *ctx)
{
	struct app *a = ctx;
	struct app_subsys *s = a->nsubsys > 0 ? &a->subsys[a->nsubsys - 1] : NULL;

	switch (ch) {
	case OPT_LISTEN:
		if (a->nlisten == MAX_ITEMS) {
			return -E2BIG;
		}
		a->listen[a->nlisten++] = arg;
		return 0;
	case OPT_SECURE_CHANNEL:
		if (a->nlisten == 0) {
			a->order_error = "--secure-channel";
			return 0;
		}
		a->listen_secure[a->nlisten - 1] = arg;
		return 0;
	case OPT_ANA_STATE:
		if (a->nlisten == 0) {
			a->order_error = "--ana-state";
			return 0;
		}
		a->listen_ana[a->nlisten - 1] = arg;
		return 0;
	case OPT_PSK:
		if (s == NULL || s->nhosts == 0) {
			a->order_error = "--psk";
			return 0;
		}
		s->host_psk[s->nhosts - 1] = arg;
		return 0;
	case OPT_DHCHAP_KEY:
	case OPT_DHCHAP_CTRL_KEY:
	case OPT_DHCHAP_HASHES:
	case OPT_DHCHAP_DHGROUPS:
		if (s == NULL || s->nhosts == 0) {
			a->order_error = ch == OPT_DHCHAP_KEY ? "--dhchap-key" :
					 ch == OPT_DHCHAP_CTRL_KEY ? "--dhchap-ctrl-key" :
					 ch == OPT_DHCHAP_HASHES ? "--dhchap-hashes" :
					 "--dhchap-dhgroups";
			return 0;
		}
		s->host_dhchap[s->nhosts - 1][ch - OPT_DHCHAP_KEY] = arg;
		return 0;
	case OPT_SUBSYS:
		if (a->nsubsys == MAX_ITEMS) {
			return -E2BIG;
		}
		a->subsys[a->nsubsys++].nqn = arg;
		return 0;
	case OPT_NS:
	case OPT_ALLOW_HOST:
	case OPT_SERIAL:
	case OPT_MODEL:
		if (s == NULL) {
			a->order_error = ch == OPT_NS ? "--ns" : ch == OPT_ALLOW_HOST ? "--allow-host" :
					 ch == OPT_SERIAL ? "--serial" : "--model";
			return 0;
		}
		if (ch == OPT_NS) {
			if (s->nns == MAX_ITEMS) {
				return -E2BIG;
			}
			s->ns[s->nns++].spec = arg;
		} else if (ch == OPT_ALLOW_HOST) {
			if (s->nhosts == MAX_ITEMS) {
				return -E2BIG;
			}
			s->hosts[s->nhosts++] = arg;
		} else if (ch == OPT_SERIAL) {
			s->serial = arg;
		} else {
			s->model = arg;
		}
		return 0;
	case OPT_DISCOVERY_PORT: a->discovery_port = arg; return 0;
	case OPT_DIGESTS: a->digests = arg; return 0;
	case OPT_IN_CAPSULE: a->in_capsule = arg; return 0;
	case OPT_MAX_QD: a->max_qd = arg; return 0;
	case OPT_MAX_IO_SIZE: a->max_io_size = arg; return 0;
	case OPT_MAX_IO_QUEUES: a->max_io_queues = arg; return 0;
	case OPT_C2H_SUCCESS: a->c2h_success = arg; return 0;
	case OPT_CONFIG: a->config = arg; return 0;
	case OPT_MAX_CONNS_PER_HOST: a->max_conns_per_host = arg; return 0;
	case OPT_MAX_CONNS_PER_ADDR: a->max_conns_per_addr = arg; return 0;
	case OPT_RPC_SOCKET: a->rpc_socket = arg; return 0;
	case OPT_SOCK_IMPL: a->sock_impl = arg; return 0;
	default:
		return -EINVAL;
	}
}

/* "malloc:1G", "null:64M:4096", "file:/path[:4096]", "uring:/dev/loop0[:4096]". */
static int
parse_ns_spec(struct app_ns *ns)
{
	const char *spec = ns->spec, *colon = strchr(spec, ':'), *last;
	struct nvtcp_tgt_ns_opts *o = &ns->opts;
	const struct nvtcp_tgt_bdev_ops *ops;
	char kind[32], rest[4096];
	uint64_t v;

	nvtcp_tgt_ns_opts_init(o);
	if (colon == NULL || (size_t)(colon - spec) >= sizeof(kind) ||
	    strlen(colon + 1) >= sizeof(rest) || colon[1] == '\0') {
		return -EINVAL;
	}
	memcpy(kind, spec, (size_t)(colon - spec));
	kind[colon - spec] = '\0';
	snprintf(rest, sizeof(rest), "%s", colon + 1);
	/* Any registered backend; the built-in ones also by their enum (memory estimate). */
	ops = nvtcp_tgt_bdev_find(kind);
	if (ops == NULL) {
		return -EINVAL;
	}
	if (nvtcp_tgt_backend_parse(kind, &o->backend) != 0) {
		snprintf(ns->backend, sizeof(ns->backend), "%s", kind);
		o->backend_name = ns->backend;
	}
	last = strrchr(rest, ':');
	if (last != NULL && (strcmp(last + 1, "512") == 0 || strcmp(last + 1, "4096") == 0)) {
		o->block_size = (uint32_t)atoi(last + 1);
		rest[last - rest] = '\0';
	} else if (last != NULL && !ops->takes_path) {
		return -EINVAL;
	}
	if (ops->takes_path) {
		snprintf(ns->path, sizeof(ns->path), "%s", rest);
		o->path = ns->path;
		return 0;
	}
	if (nvtcp_parse_size(rest, &v) != 0 || v == 0 || v % o->block_size != 0) {
		return -EINVAL;
	}
	o->size = v;
	return 0;
}

/* "127.0.0.1:4420", "[::1]:4420". */
static int
split_addr(const char *s, char *addr, size_t alen, char *port, size_t plen)
{
	const char *colon;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >= alen) {
			return -EINVAL;
		}
		memcpy(addr, s + 1, (size_t)(end - s - 1));
		addr[end - s - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= alen || strchr(s, ':') != colon) {
			return -EINVAL;
		}
		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = '\0';
	}
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= plen) {
		return -EINVAL;
	}
	snprintf(port, plen, "%s", colon + 1);
	return 0;
}

/* A numeric option: parsed, stored, and checked at once so that the message names it. */
static int
u32_opt(const char *name, const char *val, bool size, uint32_t *out,
	const struct nvtcp_tgt_opts *opts)
{
	char err[256];
	uint64_t v;
	int rc = size ? nvtcp_parse_size(val, &v) : nvtcp_parse_u64(val, UINT32_MAX, &v);

	if (rc != 0 || v > UINT32_MAX) {
		fprintf(stderr, PROG ": %s: '%s' is not a %s\n", name, val,
			size ? "size (e.g. 16K)" : "number");
		return -EINVAL;
	}
	*out = (uint32_t)v;
	if (nvtcp_tgt_opts_check(opts, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", name, err);
		return -EINVAL;
	}
	return 0;
}

/* Everything that can be checked before the environment starts, with one line per error. */
static int
check_args(struct app *a, uint64_t *dma_bytes)
{
	struct nvtcp_tgt_opts *o = &a->opts;
	char err[512];
	int rc;

	if (a->rpc_socket == NULL) {
		a->rpc_socket = DEFAULT_RPC_SOCKET;
	}
	if (strcmp(a->rpc_socket, "none") != 0 && (a->rpc_socket[0] == '\0' ||
						     strlen(a->rpc_socket) > 107)) {
		fprintf(stderr, PROG ": --rpc-socket: '%s' must be 1..107 characters (or none)\n",
			a->rpc_socket);
		return -EINVAL;
	}
	if (a->order_error != NULL) {
		bool host = strncmp(a->order_error, "--psk", 5) == 0 ||
			    strncmp(a->order_error, "--dhchap", 8) == 0;

		fprintf(stderr, PROG ": %s: applies to the last %s, and none was given before "
			"it\n", a->order_error, host ? "--allow-host" : "--subsys");
		return -EINVAL;
	}
	nvtcp_tgt_opts_init(o);
	*dma_bytes = 0;
	if (a->config != NULL) {
		rc = nvtcp_tgt_config_load_opts(a->config, o, err, sizeof(err));
		if (rc == 0) {
			rc = nvtcp_tgt_config_dma_bytes(a->config, dma_bytes, err, sizeof(err));
		}
		if (rc != 0) {
			fprintf(stderr, PROG ": --config: %s\n", err);
			return rc;
		}
	}
	if (a->digests != NULL) {
		if (strcmp(a->digests, "none") != 0 && strcmp(a->digests, "hdgst") != 0 &&
		    strcmp(a->digests, "ddgst") != 0 && strcmp(a->digests, "both") != 0) {
			fprintf(stderr, PROG ": --digests: '%s' is not none, hdgst, ddgst or both\n",
				a->digests);
			return -EINVAL;
		}
		o->hdgst = strcmp(a->digests, "hdgst") == 0 || strcmp(a->digests, "both") == 0;
		o->ddgst = strcmp(a->digests, "ddgst") == 0 || strcmp(a->digests, "both") == 0;
	}
	if (a->sock_impl != NULL) {
		enum nvtcp_sock_impl impl;

		if (nvtcp_sock_impl_parse(a->sock_impl, &impl) != 0) {
			fprintf(stderr, PROG ": --sock-impl: '%s' is not posix or uring\n",
				a->sock_impl);
			return -EINVAL;
		}
		o->sock_impl = (int)impl;
	} else if (o->sock_impl == NVTCP_SOCK_IMPL_DEFAULT && nvtcp_sock_get_default_impl() < 0) {
		/* Said here, rather than as a reactor that cannot create its socket group. */
		fprintf(stderr, PROG ": NVTCP_SOCK_IMPL: not posix or uring\n");
		return -EINVAL;
	}
	if (a->c2h_success != NULL) {
		if (strcmp(a->c2h_success, "off") == 0) {
			o->c2h_success = NVTCP_TGT_C2H_SUCCESS_OFF;
		} else if (strcmp(a->c2h_success, "sqflow") == 0) {
			o->c2h_success = NVTCP_TGT_C2H_SUCCESS_SQFLOW_DISABLED;
		} else if (strcmp(a->c2h_success, "always") == 0) {
			o->c2h_success = NVTCP_TGT_C2H_SUCCESS_ALWAYS;
		} else {
			fprintf(stderr, PROG ": --c2h-success: '%s' is not off, sqflow or always\n",
				a->c2h_success);
			return -EINVAL;
		}
	}
	if ((a->in_capsule && u32_opt("--in-capsule", a->in_capsule, true,
				      &o->in_capsule_data_size, o)) ||
	    (a->max_qd && u32_opt("--max-queue-depth", a->max_qd, false, &o->max_queue_depth, o)) ||
	    (a->max_io_size && u32_opt("--max-io-size", a->max_io_size, true, &o->max_io_size,
				       o)) ||
	    (a->max_io_queues && u32_opt("--max-io-queues", a->max_io_queues, false,
					 &o->max_io_queues, o)) ||
	    (a->max_conns_per_host && u32_opt("--max-connections-per-host", a->max_conns_per_host,
					      false, &o->max_connections_per_host, o)) ||
	    (a->max_conns_per_addr && u32_opt("--max-connections-per-addr", a->max_conns_per_addr,
					      false, &o->max_connections_per_addr, o))) {
		return -EINVAL;
	}
	rc = nvtcp_tgt_opts_check(o, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return rc;
	}
	for (uint32_t i = 0; i < a->nlisten; i++) {
		char addr[256], port[32];

		if (split_addr(a->listen[i], addr, sizeof(addr), port, sizeof(port)) != 0) {
			fprintf(stderr, PROG ": --listen: '%s' is not ADDR:PORT\n", a->listen[i]);
			return -EINVAL;
		}
		if (a->listen_secure[i] != NULL) {
			enum nvtcp_tgt_secure_channel m;

			if (nvtcp_tgt_secure_channel_parse(a->listen_secure[i], &m) != 0) {
				fprintf(stderr, PROG ": --secure-channel: '%s' is not none, optional "
					"or required\n", a->listen_secure[i]);
				return -EINVAL;
			}
		}
		if (a->listen_ana[i] != NULL) {
			enum nvtcp_tgt_ana_state st;

			if (nvtcp_tgt_ana_state_parse(a->listen_ana[i], &st) != 0) {
				fprintf(stderr, PROG ": --ana-state: '%s' is not optimized, "
					"non_optimized, inaccessible, persistent_loss or change\n",
					a->listen_ana[i]);
				return -EINVAL;
			}
			if (a->nsubsys == 0) {
				fprintf(stderr, PROG ": --ana-state: needs a --subsys (ANA states "
					"belong to a subsystem's listeners)\n");
				return -EINVAL;
			}
		}
	}
	if (a->discovery_port != NULL) {
		uint64_t p;

		if (nvtcp_parse_u64(a->discovery_port, 65535, &p) != 0 || p == 0) {
			fprintf(stderr, PROG ": --discovery-port: '%s' is not a port 1..65535\n",
				a->discovery_port);
			return -EINVAL;
		}
	}
	for (uint32_t i = 0; i < a->nsubsys; i++) {
		struct app_subsys *s = &a->subsys[i];

		if (!nvtcp_nqn_valid(s->nqn, err, sizeof(err))) {
			fprintf(stderr, PROG ": --subsys: '%s': %s\n", s->nqn, err);
			return -EINVAL;
		}
		/* The discovery NQN names the existing discovery subsystem: only hosts with
		 * the PSKs they discover with over TLS. */
		if (strcmp(s->nqn, NVTCP_DISCOVERY_NQN) == 0) {
			if (s->nns > 0 || s->serial != NULL || s->model != NULL) {
				fprintf(stderr, PROG ": --subsys %s: the discovery subsystem takes "
					"only --allow-host NQN --psk FILE\n", s->nqn);
				return -EINVAL;
			}
			for (uint32_t h = 0; h < s->nhosts; h++) {
				if (s->host_psk[h] == NULL) {
					fprintf(stderr, PROG ": --allow-host %s: on the discovery "
						"subsystem a host needs --psk FILE\n", s->hosts[h]);
					return -EINVAL;
				}
			}
		}
		for (uint32_t h = 0; h < s->nhosts; h++) {
			if (!nvtcp_nqn_valid(s->hosts[h], err, sizeof(err))) {
				fprintf(stderr, PROG ": --allow-host: '%s': %s\n", s->hosts[h], err);
				return -EINVAL;
			}
		}
		for (uint32_t n = 0; n < s->nns; n++) {
			if (parse_ns_spec(&s->ns[n]) != 0) {
				char names[128];

				fprintf(stderr, PROG ": --ns: '%s' is not BACKEND:SIZE[:512|4096] "
					"(malloc, null) or BACKEND:PATH[:512|4096] (file, uring), "
					"SIZE a multiple of the block size; backends: %s\n",
					s->ns[n].spec, nvtcp_tgt_bdev_names(names, sizeof(names)));
				return -EINVAL;
			}
			if (s->ns[n].opts.backend_name != NULL) {
				continue;
			}
			if (s->ns[n].opts.backend == NVTCP_TGT_BACKEND_MALLOC) {
				*dma_bytes += s->ns[n].opts.size;
			} else if (s->ns[n].opts.backend == NVTCP_TGT_BACKEND_NULL) {
				*dma_bytes += o->max_io_size;
			}
		}
	}
	/* With the RPC socket, listeners may come later (nvmf_subsystem_add_listener). */
	if (a->nlisten == 0 && a->config == NULL && strcmp(a->rpc_socket, "none") == 0) {
		fprintf(stderr, PROG ": nothing to listen on: give --listen ADDR:PORT, --config or "
			"--rpc-socket\n");
		return -EINVAL;
	}
	return 0;
}

static int
configure(struct app *a)
{
	char err[512];
	int rc;

	if (a->config != NULL) {
		rc = nvtcp_tgt_config_load(a->tgt, a->config, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, PROG ": --config: %s\n", err);
			return rc;
		}
	}
	for (uint32_t i = 0; i < a->nsubsys; i++) {
		struct app_subsys *s = &a->subsys[i];
		struct nvtcp_tgt_subsys_opts so;

		nvtcp_tgt_subsys_opts_init(&so);
		so.serial = s->serial;
		so.model = s->model;
		so.allow_any_host = s->nhosts == 0;
		rc = strcmp(s->nqn, NVTCP_DISCOVERY_NQN) == 0 ? 0 :
		     nvtcp_tgt_add_subsys(a->tgt, s->nqn, &so, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, PROG ": --subsys: %s\n", err);
			return rc;
		}
		for (uint32_t h = 0; h < s->nhosts; h++) {
			struct nvtcp_tgt_host_opts ho;

			nvtcp_tgt_host_opts_init(&ho);
			ho.psk_path = s->host_psk[h];
			ho.dhchap_key = s->host_dhchap[h][0];
			ho.dhchap_ctrl_key = s->host_dhchap[h][1];
			for (int k = 2; k < 4; k++) {
				if (s->host_dhchap[h][k] != NULL &&
				    nvtcp_tgt_dhchap_mask_parse(s->host_dhchap[h][k], k == 3,
								k == 2 ? &ho.dhchap_hashes :
								&ho.dhchap_dhgroups, err,
								sizeof(err)) != 0) {
					fprintf(stderr, PROG ": --dhchap-%s: %s\n",
						k == 2 ? "hashes" : "dhgroups", err);
					return -EINVAL;
				}
			}
			rc = nvtcp_tgt_subsys_add_host_ext(a->tgt, s->nqn, s->hosts[h], &ho, err,
							   sizeof(err));
			if (rc != 0) {
				fprintf(stderr, PROG ": --allow-host: %s\n", err);
				return rc;
			}
		}
		for (uint32_t n = 0; n < s->nns; n++) {
			rc = nvtcp_tgt_add_ns(a->tgt, s->nqn, &s->ns[n].opts, NULL, err, sizeof(err));
			if (rc != 0) {
				fprintf(stderr, PROG ": --ns %s: %s\n", s->ns[n].spec, err);
				return rc;
			}
		}
	}
	for (uint32_t i = 0; i < a->nlisten; i++) {
		char addr[256], port[32];

		struct nvtcp_tgt_listener_opts lo;

		nvtcp_tgt_listener_opts_init(&lo);
		if (a->listen_secure[i] != NULL) {
			(void)nvtcp_tgt_secure_channel_parse(a->listen_secure[i], &lo.secure_channel);
		}
		split_addr(a->listen[i], addr, sizeof(addr), port, sizeof(port));
		if (a->listen_ana[i] != NULL) {
			/* ANA states are per subsystem listener: this one is each subsystem's. */
			(void)nvtcp_tgt_ana_state_parse(a->listen_ana[i], &lo.ana_state);
			for (uint32_t n = 0; n < a->nsubsys; n++) {
				rc = nvtcp_tgt_subsys_add_listener_ext(a->tgt, a->subsys[n].nqn, addr,
								       port, &lo, err, sizeof(err));
				if (rc != 0) {
					fprintf(stderr, PROG ": --listen %s --ana-state %s: %s\n",
						a->listen[i], a->listen_ana[i], err);
					return rc;
				}
			}
		} else {
			rc = nvtcp_tgt_add_listener_ext(a->tgt, addr, port, &lo, err, sizeof(err));
		}
		if (rc != 0) {
			fprintf(stderr, PROG ": --listen: %s\n", err);
			return rc;
		}
		if (a->discovery_port != NULL && i == 0 && strcmp(port, a->discovery_port) != 0) {
			rc = nvtcp_tgt_add_listener(a->tgt, addr, a->discovery_port, err,
						    sizeof(err));
			if (rc != 0) {
				fprintf(stderr, PROG ": --discovery-port: %s\n", err);
				return rc;
			}
		}
	}
	return 0;
}

static void
destroyed(void *arg)
{
	struct app *a = arg;

	a->tgt = NULL;
	nvtcp_app_stop(a->exit_code);
}

static void
shutdown_cb(void *ctx)
{
	struct app *a = ctx;

	/* The RPC handlers use the target: the server goes first. */
	nvtcp_jsonrpc_server_destroy(a->rpc);
	a->rpc = NULL;
	if (a->tgt == NULL) {
		nvtcp_app_stop(a->exit_code);
		return;
	}
	nvtcp_tgt_log_stats(a->tgt);
	nvtcp_tgt_destroy(a->tgt, destroyed, a);
}

static void
usr1_cb(void *ctx)
{
	struct app *a = ctx;

	if (a->tgt != NULL) {
		nvtcp_tgt_log_stats(a->tgt);
	}
}

static void
started(void *arg, int status)
{
	struct app *a = arg;

	if (status != 0) {
		fprintf(stderr, PROG ": cannot start: %s\n", strerror(-status));
		a->exit_code = 1;
		nvtcp_tgt_destroy(a->tgt, destroyed, a);
		return;
	}
	for (uint32_t i = 0;; i++) {
		uint16_t port = nvtcp_tgt_listener_port(a->tgt, i);

		if (port == 0) {
			break;
		}
		printf(PROG ": listening on port %u\n", port);
		if (nvtcp_tgt_listener_secure_channel(a->tgt, i) != NVTCP_TGT_SECURE_NONE) {
			printf(PROG ": port %u: secure channel %s (TLS 1.3, PSK)\n", port,
			       nvtcp_tgt_secure_channel_str(
				       nvtcp_tgt_listener_secure_channel(a->tgt, i)));
		}
	}
	if (strcmp(a->rpc_socket, "none") != 0) {
		char err[256] = "";

		a->rpc = nvtcp_jsonrpc_server_create(a->rpc_socket, NULL, err, sizeof(err));
		if (a->rpc == NULL || nvtcp_tgt_rpc_register(a->tgt, a->rpc) != 0) {
			fprintf(stderr, PROG ": --rpc-socket %s: %s\n", a->rpc_socket,
				err[0] != '\0' ? err : "cannot register the methods");
			nvtcp_jsonrpc_server_destroy(a->rpc);
			a->rpc = NULL;
			a->exit_code = 1;
			nvtcp_tgt_destroy(a->tgt, destroyed, a);
			return;
		}
		printf(PROG ": rpc socket %s\n", a->rpc_socket);
	}
	printf(PROG ": ready\n");
	fflush(stdout);
}

static void
start(void *ctx)
{
	struct app *a = ctx;
	char err[512];
	int rc;

	a->tgt = nvtcp_tgt_create(&a->opts, err, sizeof(err));
	if (a->tgt == NULL) {
		fprintf(stderr, PROG ": %s\n", err);
		nvtcp_app_stop(1);
		return;
	}
	rc = configure(a);
	if (rc == 0) {
		rc = nvtcp_tgt_start(a->tgt, started, a);
	}
	if (rc != 0) {
		a->exit_code = 1;
		nvtcp_tgt_destroy(a->tgt, destroyed, a);
	}
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct nvtcp_app_opts opts;
	uint64_t dma = 0, need_mb;
	int rc;

	nvtcp_app_opts_init(&opts, PROG);
	opts.shutdown_cb = shutdown_cb;
	opts.usr1_cb = usr1_cb;
	opts.ctx = &a;
	rc = nvtcp_app_parse_args(argc, argv, &opts, NULL, g_long, parse_opt, usage, &a);
	if (rc != 0) {
		return rc > 0 ? 0 : 1;
	}
	if (check_args(&a, &dma) != 0) {
		return 1;
	}
	/* Enough DMA memory for the namespaces, every reactor's buffers and some room, unless
	 * the user chose a size (-s). */
	if (opts.mem_size_mb == 0) {
		uint32_t ncores = 0;

		/* The core count is not known before the environment starts: count the mask. */
		if (opts.core_mask != NULL) {
			uint64_t m = strtoull(opts.core_mask, NULL, 16);

			ncores = (uint32_t)__builtin_popcountll(m);
		}
		need_mb = (dma >> 20) + (uint64_t)NVTCP_MAX(ncores, 1u) *
			  (((uint64_t)a.opts.buf_count * a.opts.buf_size) >> 20) + 256;
		opts.mem_size_mb = need_mb;
	} else if (opts.mem_size_mb < (dma >> 20)) {
		fprintf(stderr, PROG ": -s %zu MiB is less than the %" PRIu64 " MiB the namespaces "
			"need\n", opts.mem_size_mb, dma >> 20);
		return 1;
	}
	rc = nvtcp_app_start(&opts, start, &a);
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", strerror(-rc));
		return 1;
	}
	return rc == 0 ? a.exit_code : 1;
}
