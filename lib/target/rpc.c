/*
 * The target's JSON-RPC methods (include/nvtcp/target_rpc.h), on the management reactor.
 *
 * Parameters are parsed with the configuration file's helpers (config.c), so that a namespace,
 * a size or a UUID means the same in both; errors read "<method>: <param path>: <why>". Every
 * method validates everything first and then makes one library call, which itself either
 * succeeds or leaves the target as it was: a failed call changes nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uuid/uuid.h>

#include <json-c/json.h>

#include "nvtcp/jsonrpc.h"
#include "nvtcp/target_rpc.h"
#include "nvtcp/version.h"
#include "target_internal.h"

#define RPC_ERRLEN 384

/* Parameter parsing state of one call. */
struct rpc {
	struct nvtcp_jsonrpc_request *req;
	struct nvtcp_tgt *tgt;
	struct tgt_cfg c;
	char err[RPC_ERRLEN];
};

static void
rpc_init(struct rpc *r, struct nvtcp_jsonrpc_request *req, void *ctx)
{
	r->req = req;
	r->tgt = ctx;
	r->err[0] = '\0';
	r->c.file = nvtcp_jsonrpc_request_method(req);
	r->c.err = r->err;
	r->c.errlen = sizeof(r->err);
}

/* Answer the -32602 error that the helpers wrote into r->err. */
static void
rpc_invalid(struct rpc *r)
{
	nvtcp_jsonrpc_send_error(r->req, NVTCP_JSONRPC_INVALID_PARAMS, "%s", r->err);
}

/* A library call failed with \p rc and \p why: -EINVAL is a parameter error, the rest keep
 * their errno code (as SPDK's methods report state errors). */
static void
rpc_fail(struct rpc *r, int rc, const char *why)
{
	nvtcp_jsonrpc_send_error(r->req, rc == -EINVAL ? NVTCP_JSONRPC_INVALID_PARAMS : rc,
				 "%s: %s", r->c.file, why[0] != '\0' ? why : strerror(-rc));
}

/*
 * The params must be an object with only \p keys (absent params = an empty object when
 * \p optional). Returns false after answering the error.
 */
static bool
rpc_params(struct rpc *r, struct json_object *params, const char *const *keys, bool optional)
{
	if (params == NULL) {
		if (optional) {
			return true;
		}
		tgt_cfg_err(&r->c, "params", "missing (an object is required)");
		rpc_invalid(r);
		return false;
	}
	if (!json_object_is_type(params, json_type_object)) {
		tgt_cfg_err(&r->c, "params", "must be an object");
		rpc_invalid(r);
		return false;
	}
	if (tgt_cfg_check_keys(&r->c, "", params, keys) != 0) {
		rpc_invalid(r);
		return false;
	}
	return true;
}

/* A required string member (at JSON path parent.key). */
static int
rpc_req_str(struct rpc *r, const char *parent, struct json_object *obj, const char *key,
	    const char **out)
{
	char p[TGT_CFG_PATH_LEN];

	*out = NULL;
	if (obj != NULL && tgt_cfg_get_str(&r->c, parent, obj, key, out) != 0) {
		return -EINVAL;
	}
	if (*out == NULL) {
		tgt_cfg_jpath_key(p, parent, key);
		return tgt_cfg_err(&r->c, p, "missing");
	}
	return 0;
}

/* The "nqn" of an existing subsystem; the discovery one only where \p discovery_ok (its
 * hosts: the PSKs for discovery over TLS). */
static struct tgt_subsys *
rpc_subsys_ext(struct rpc *r, struct json_object *params, bool discovery_ok)
{
	struct tgt_subsys *s;
	const char *nqn;

	if (rpc_req_str(r, "", params, "nqn", &nqn) != 0) {
		rpc_invalid(r);
		return NULL;
	}
	s = tgt_subsys_find(r->tgt, nqn);
	if (s == NULL || s->removing) {
		nvtcp_jsonrpc_send_error(r->req, -ENOENT, "%s: nqn: no subsystem %s", r->c.file,
					 nqn);
		return NULL;
	}
	if (s->discovery && !discovery_ok) {
		nvtcp_jsonrpc_send_error(r->req, NVTCP_JSONRPC_INVALID_PARAMS,
					 "%s: nqn: not for the discovery subsystem", r->c.file);
		return NULL;
	}
	return s;
}

/* The "nqn" of an existing NVM subsystem (not the discovery one). */
static struct tgt_subsys *
rpc_subsys(struct rpc *r, struct json_object *params)
{
	return rpc_subsys_ext(r, params, false);
}

static void
obj_add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

static void
obj_add_u64(struct json_object *o, const char *key, uint64_t val)
{
	json_object_object_add(o, key, json_object_new_uint64(val));
}

/* A reactor's core, -1 for one outside the launcher (SPDK's "lcore"). */
static struct json_object *
lcore_json(uint32_t core)
{
	return json_object_new_int64(core == NVTCP_ENV_CORE_NONE ? -1 : (int64_t)core);
}

/* ---- spdk_get_version, framework_get_reactors ------------------------------------------- */

static const char *const g_no_keys[] = {NULL};

static void
rpc_get_version(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	struct json_object *res, *f;
	struct rpc r;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_no_keys, true)) {
		return;
	}
	res = json_object_new_object();
	f = json_object_new_object();
	obj_add_str(res, "version", "nvtcp v" NVTCP_VERSION_STRING);
	json_object_object_add(f, "major", json_object_new_int(NVTCP_VERSION_MAJOR));
	json_object_object_add(f, "minor", json_object_new_int(NVTCP_VERSION_MINOR));
	json_object_object_add(f, "patch", json_object_new_int(NVTCP_VERSION_PATCH));
	obj_add_str(f, "suffix", NVTCP_VERSION_SUFFIX);
	json_object_object_add(res, "fields", f);
	nvtcp_jsonrpc_send_result(req, res);
}

static void
rpc_get_reactors(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	struct json_object *res, *arr;
	struct rpc r;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_no_keys, true)) {
		return;
	}
	res = json_object_new_object();
	arr = json_object_new_array();
	obj_add_u64(res, "tick_rate", nvtcp_env_get_ticks_hz());
	for (uint32_t i = 0; i < r.tgt->npgs; i++) {
		struct json_object *o = json_object_new_object();
		struct nvtcp_tgt_reactor_stats s;
		struct nvtcp_reactor_stats rs;

		nvtcp_tgt_get_reactor_stats(r.tgt, i, &s);
		nvtcp_reactor_get_stats(r.tgt->pgs[i].reactor, &rs);
		json_object_object_add(o, "lcore", lcore_json(s.core));
		obj_add_u64(o, "busy", rs.busy_ticks);
		obj_add_u64(o, "idle", rs.idle_ticks);
		obj_add_u64(o, "iterations", rs.iterations);
		obj_add_u64(o, "msgs", rs.msgs);
		obj_add_u64(o, "poller_runs", rs.poller_runs);
		obj_add_u64(o, "connections", s.connections);
		obj_add_u64(o, "accepted", s.accepted);
		json_object_array_add(arr, o);
	}
	json_object_object_add(res, "reactors", arr);
	nvtcp_jsonrpc_send_result(req, res);
}

/* ---- nvmf_get_subsystems ------------------------------------------------------------------ */

static struct json_object *
listener_json(const struct tgt_listener *l)
{
	struct json_object *o = json_object_new_object();
	char port[16];

	snprintf(port, sizeof(port), "%u", l->sock != NULL ? l->bound_port : 0);
	obj_add_str(o, "trtype", "TCP");
	obj_add_str(o, "adrfam", l->adrfam == NVTCP_NVMF_ADRFAM_IPV6 ? "IPv6" : "IPv4");
	obj_add_str(o, "traddr", l->addr);
	obj_add_str(o, "trsvcid", l->sock != NULL ? port : l->port);
	obj_add_str(o, "secure_channel", nvtcp_tgt_secure_channel_str(l->secure));
	return o;
}

static void
hex16(char *dst, const uint8_t *b)
{
	for (int i = 0; i < 16; i++) {
		snprintf(dst + 2 * i, 3, "%02X", b[i]);
	}
}

/* The registered name, so that uring and custom backends are reported and saved as loaded. */
static const char *
backend_str(const struct tgt_ns *ns)
{
	return ns->bdev != NULL && ns->bdev->ops != NULL ? ns->bdev->ops->name : "unknown";
}

static struct json_object *
subsys_json(struct nvtcp_tgt *tgt, const struct tgt_subsys *s)
{
	struct json_object *o = json_object_new_object(), *la, *ha, *na;
	const struct tgt_listener *l;
	const struct tgt_host *h;

	obj_add_str(o, "nqn", s->nqn);
	obj_add_str(o, "subtype", s->discovery ? "Discovery" : "NVMe");
	la = json_object_new_array();
	TAILQ_FOREACH(l, &tgt->listeners, link) {
		if (s->discovery || tgt_subsys_listener_allowed(tgt, s, l->portid)) {
			struct json_object *lo = listener_json(l);
			const struct tgt_subsys_listener *sl = s->discovery ? NULL :
							       tgt_ana_subsys_listener(s, l);

			if (sl != NULL) {
				tgt_ana_listener_json(s, sl, lo);
			}
			json_object_array_add(la, lo);
		}
	}
	json_object_object_add(o, "listen_addresses", la);
	json_object_object_add(o, "allow_any_host", json_object_new_boolean(s->allow_any));
	ha = json_object_new_array();
	TAILQ_FOREACH(h, &s->hosts, link) {
		struct json_object *ho = json_object_new_object();

		obj_add_str(ho, "nqn", h->nqn);
		if (h->has_psk) {
			/* Where the key came from, never the key. */
			obj_add_str(ho, "psk", h->psk_path != NULL ? h->psk_path : "(set by API)");
		}
		tgt_auth_host_info_json(h, ho);
		json_object_array_add(ha, ho);
	}
	json_object_object_add(o, "hosts", ha);
	if (s->discovery) {
		return o;
	}
	obj_add_str(o, "serial_number", s->sn);
	obj_add_str(o, "model_number", s->mn);
	obj_add_u64(o, "max_namespaces", s->max_ns);
	na = json_object_new_array();
	for (uint32_t nsid = 1; nsid <= s->max_ns; nsid++) {
		const struct tgt_ns *ns = tgt_subsys_ns(s, nsid);
		struct json_object *no;
		char uuid[40], nguid[33];
		const char *name;

		if (ns == NULL) {
			continue;
		}
		no = json_object_new_object();
		uuid_unparse_lower(ns->uuid, uuid);
		hex16(nguid, ns->nguid);
		name = ns->path != NULL ? ns->path : backend_str(ns);
		obj_add_u64(no, "nsid", nsid);
		obj_add_str(no, "bdev_name", name);
		obj_add_str(no, "name", name);
		obj_add_str(no, "uuid", uuid);
		obj_add_str(no, "nguid", nguid);
		obj_add_u64(no, "anagrpid", ns->anagrpid);
		obj_add_str(no, "backend", backend_str(ns));
		obj_add_u64(no, "size", ns->num_blocks << ns->block_shift);
		obj_add_u64(no, "block_size", ns->block_size);
		json_object_array_add(na, no);
	}
	json_object_object_add(o, "namespaces", na);
	return o;
}

static const char *const g_get_subsys_keys[] = {"nqn", NULL};

static void
rpc_get_subsystems(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	const struct tgt_subsys *s;
	const char *nqn = NULL;
	struct json_object *arr;
	struct rpc r;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_get_subsys_keys, true)) {
		return;
	}
	if (params != NULL && tgt_cfg_get_str(&r.c, "", params, "nqn", &nqn) != 0) {
		rpc_invalid(&r);
		return;
	}
	if (nqn != NULL) {
		s = tgt_subsys_find(r.tgt, nqn);
		if (s == NULL || s->removing) {
			nvtcp_jsonrpc_send_error(req, -ENOENT, "%s: nqn: no subsystem %s", r.c.file,
						 nqn);
			return;
		}
		arr = json_object_new_array();
		json_object_array_add(arr, subsys_json(r.tgt, s));
		nvtcp_jsonrpc_send_result(req, arr);
		return;
	}
	arr = json_object_new_array();
	json_object_array_add(arr, subsys_json(r.tgt, r.tgt->disc));
	TAILQ_FOREACH(s, &r.tgt->subsystems, link) {
		json_object_array_add(arr, subsys_json(r.tgt, s));
	}
	nvtcp_jsonrpc_send_result(req, arr);
}

/* ---- nvmf_create_subsystem / nvmf_delete_subsystem ---------------------------------------- */

static const char *const g_create_keys[] = {
	"nqn", "serial_number", "model_number", "allow_any_host", "max_namespaces", NULL};

static void
rpc_create_subsystem(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	struct nvtcp_tgt_subsys_opts so;
	const char *nqn;
	char why[256] = "";
	struct rpc r;
	int rc;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_create_keys, false)) {
		return;
	}
	nvtcp_tgt_subsys_opts_init(&so);
	/* SPDK's default: only listed hosts unless allow_any_host says otherwise. */
	so.allow_any_host = false;
	rc = rpc_req_str(&r, "", params, "nqn", &nqn);
	rc = rc ?: tgt_cfg_get_str(&r.c, "", params, "serial_number", &so.serial);
	rc = rc ?: tgt_cfg_get_str(&r.c, "", params, "model_number", &so.model);
	rc = rc ?: tgt_cfg_get_bool(&r.c, "", params, "allow_any_host", &so.allow_any_host);
	rc = rc ?: tgt_cfg_get_u32(&r.c, "", params, "max_namespaces", false, 1, 1024,
				   &so.max_namespaces);
	if (rc != 0) {
		rpc_invalid(&r);
		return;
	}
	rc = nvtcp_tgt_add_subsys(r.tgt, nqn, &so, why, sizeof(why));
	if (rc != 0) {
		rpc_fail(&r, rc, why);
		return;
	}
	nvtcp_jsonrpc_send_result(req, NULL);
}

static void
delete_done(void *cb_arg, int status)
{
	struct nvtcp_jsonrpc_request *req = cb_arg;

	if (status != 0) {
		nvtcp_jsonrpc_send_error(req, status, "nvmf_delete_subsystem: %s",
					 strerror(-status));
		return;
	}
	nvtcp_jsonrpc_send_result(req, NULL);
}

static const char *const g_nqn_keys[] = {"nqn", NULL};

static void
rpc_delete_subsystem(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	struct tgt_subsys *s;
	struct rpc r;
	int rc;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_nqn_keys, false) || (s = rpc_subsys(&r, params)) == NULL) {
		return;
	}
	/* The answer waits until its controllers are gone and their I/O has finished. */
	rc = nvtcp_tgt_remove_subsys_async(r.tgt, s->nqn, delete_done, req);
	if (rc != 0) {
		rpc_fail(&r, rc, "");
	}
}

/* ---- Namespaces ----------------------------------------------------------------------------- */

static const char *const g_add_ns_keys[] = {"nqn", "namespace", NULL};

static void
rpc_add_ns(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	struct nvtcp_tgt_ns_opts no;
	struct json_object *ns;
	struct tgt_subsys *s;
	char why[256] = "";
	uint32_t nsid = 0;
	struct rpc r;
	int rc;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_add_ns_keys, false)) {
		return;
	}
	if (!json_object_object_get_ex(params, "namespace", &ns)) {
		tgt_cfg_err(&r.c, "namespace", "missing");
		rpc_invalid(&r);
		return;
	}
	if (tgt_cfg_parse_ns(&r.c, "namespace", ns, &no) != 0) {
		rpc_invalid(&r);
		return;
	}
	s = rpc_subsys(&r, params);
	if (s == NULL) {
		return;
	}
	if (no.nsid > s->max_ns) {
		tgt_cfg_err(&r.c, "namespace.nsid", "%u is above max_namespaces %u of %s", no.nsid,
			    s->max_ns, s->nqn);
		rpc_invalid(&r);
		return;
	}
	rc = nvtcp_tgt_add_ns(r.tgt, s->nqn, &no, &nsid, why, sizeof(why));
	if (rc != 0) {
		rpc_fail(&r, rc, why);
		return;
	}
	nvtcp_jsonrpc_send_result(req, json_object_new_int64(nsid));
}

static const char *const g_remove_ns_keys[] = {"nqn", "nsid", NULL};

static void
rpc_remove_ns(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	struct json_object *v;
	struct tgt_subsys *s;
	uint64_t nsid;
	struct rpc r;
	int rc;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_remove_ns_keys, false)) {
		return;
	}
	if (!json_object_object_get_ex(params, "nsid", &v)) {
		tgt_cfg_err(&r.c, "nsid", "missing");
		rpc_invalid(&r);
		return;
	}
	if (tgt_cfg_get_u64(&r.c, "nsid", v, false, 1, UINT32_MAX, &nsid) != 0) {
		rpc_invalid(&r);
		return;
	}
	s = rpc_subsys(&r, params);
	if (s == NULL) {
		return;
	}
	rc = nvtcp_tgt_remove_ns(r.tgt, s->nqn, (uint32_t)nsid);
	if (rc == -ENOENT) {
		nvtcp_jsonrpc_send_error(req, rc, "%s: nsid: %s has no namespace %" PRIu64,
					 r.c.file, s->nqn, nsid);
		return;
	}
	if (rc != 0) {
		rpc_fail(&r, rc, "");
		return;
	}
	nvtcp_jsonrpc_send_result(req, NULL);
}

/* ---- Listeners ------------------------------------------------------------------------------ */

static const char *const g_listener_keys[] = {"nqn", "listen_address", "secure_channel",
					      "ana_state", NULL};
static const char *const g_laddr_keys[] = {"trtype", "adrfam", "traddr", "trsvcid",
					   "secure_channel", NULL};

/* Parse listen_address into addr and a decimal port. */
static int
rpc_listen_address(struct rpc *r, struct json_object *params, const char **addr, char *port,
		   size_t portlen)
{
	const char *q = "listen_address", *trtype, *adrfam = NULL, *svc = NULL;
	struct json_object *la, *v;
	unsigned char buf[sizeof(struct in6_addr)];
	uint64_t p;
	int rc;

	if (!json_object_object_get_ex(params, q, &la)) {
		return tgt_cfg_err(&r->c, q, "missing");
	}
	rc = tgt_cfg_check_keys(&r->c, q, la, g_laddr_keys);
	rc = rc ?: rpc_req_str(r, q, la, "trtype", &trtype);
	rc = rc ?: tgt_cfg_get_str(&r->c, q, la, "adrfam", &adrfam);
	rc = rc ?: rpc_req_str(r, q, la, "traddr", addr);
	if (rc != 0) {
		return rc;
	}
	if (strcasecmp(trtype, "tcp") != 0) {
		return tgt_cfg_err(&r->c, "listen_address.trtype", "'%s': only TCP is served",
				   trtype);
	}
	if (inet_pton(AF_INET, *addr, buf) == 1) {
		if (adrfam != NULL && strcasecmp(adrfam, "ipv4") != 0) {
			return tgt_cfg_err(&r->c, "listen_address.adrfam",
					   "'%s' does not match the IPv4 traddr %s", adrfam, *addr);
		}
	} else if (inet_pton(AF_INET6, *addr, buf) == 1) {
		if (adrfam != NULL && strcasecmp(adrfam, "ipv6") != 0) {
			return tgt_cfg_err(&r->c, "listen_address.adrfam",
					   "'%s' does not match the IPv6 traddr %s", adrfam, *addr);
		}
	} else {
		return tgt_cfg_err(&r->c, "listen_address.traddr",
				   "'%s' is not a numeric IPv4 or IPv6 address", *addr);
	}
	if (!json_object_object_get_ex(la, "trsvcid", &v)) {
		return tgt_cfg_err(&r->c, "listen_address.trsvcid", "missing");
	}
	if (json_object_is_type(v, json_type_string)) {
		svc = json_object_get_string(v);
		if (nvtcp_parse_u64(svc, 65535, &p) != 0 || p == 0) {
			return tgt_cfg_err(&r->c, "listen_address.trsvcid",
					   "'%s' is not a port number 1..65535", svc);
		}
	} else if (tgt_cfg_get_u64(&r->c, "listen_address.trsvcid", v, false, 1, 65535, &p) != 0) {
		return -EINVAL;
	}
	snprintf(port, portlen, "%" PRIu64, p);
	return 0;
}

static void
rpc_listener(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx, bool add)
{
	const char *addr;
	char port[16], why[512] = "";
	struct tgt_subsys *s;
	struct rpc r;
	int rc;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_listener_keys, false)) {
		return;
	}
	if (rpc_listen_address(&r, params, &addr, port, sizeof(port)) != 0) {
		rpc_invalid(&r);
		return;
	}
	s = rpc_subsys(&r, params);
	if (s == NULL) {
		return;
	}
	if (add) {
		struct nvtcp_tgt_listener_opts lo;
		struct json_object *la = NULL;

		/* SPDK puts a bool "secure_channel" at the top level; nvtcp also takes the mode
		 * name there or in listen_address. */
		nvtcp_tgt_listener_opts_init(&lo);
		(void)json_object_object_get_ex(params, "listen_address", &la);
		if (tgt_cfg_get_secure(&r.c, "", params, "secure_channel", &lo.secure_channel) != 0 ||
		    tgt_cfg_get_secure(&r.c, "listen_address", la, "secure_channel",
				       &lo.secure_channel) != 0 ||
		    tgt_cfg_get_ana_state(&r.c, "", params, "ana_state", &lo.ana_state) != 0) {
			rpc_invalid(&r);
			return;
		}
		rc = nvtcp_tgt_subsys_add_listener_ext(r.tgt, s->nqn, addr, port, &lo, why,
						       sizeof(why));
	} else {
		rc = nvtcp_tgt_subsys_remove_listener(r.tgt, s->nqn, addr, port);
		if (rc == -ENOENT) {
			snprintf(why, sizeof(why), "listen_address: %s does not listen on %s:%s "
				 "(a global listener is not the subsystem's)", s->nqn, addr, port);
		}
	}
	if (rc != 0) {
		rpc_fail(&r, rc, why);
		return;
	}
	nvtcp_jsonrpc_send_result(req, NULL);
}

static const char *const g_ana_keys[] = {"nqn", "listen_address", "ana_state", "anagrpid", NULL};

/* SPDK's nvmf_subsystem_listener_set_ana_state: everything is checked before anything changes. */
static void
rpc_set_ana_state(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	enum nvtcp_tgt_ana_state st = NVTCP_TGT_ANA_OPTIMIZED;
	struct json_object *v;
	const char *addr;
	char port[16], why[512] = "";
	uint32_t grp = 0;
	struct tgt_subsys *s;
	struct rpc r;
	int rc;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_ana_keys, false)) {
		return;
	}
	if (rpc_listen_address(&r, params, &addr, port, sizeof(port)) != 0) {
		rpc_invalid(&r);
		return;
	}
	if (!json_object_object_get_ex(params, "ana_state", &v)) {
		tgt_cfg_err(&r.c, "ana_state", "missing");
		rpc_invalid(&r);
		return;
	}
	if (tgt_cfg_get_ana_state(&r.c, "", params, "ana_state", &st) != 0 ||
	    tgt_cfg_get_u32(&r.c, "", params, "anagrpid", false, 1, UINT32_MAX, &grp) != 0) {
		rpc_invalid(&r);
		return;
	}
	s = rpc_subsys(&r, params);
	if (s == NULL) {
		return;
	}
	rc = nvtcp_tgt_subsys_listener_set_ana_state(r.tgt, s->nqn, addr, port, st, grp, why,
						     sizeof(why));
	if (rc != 0) {
		rpc_fail(&r, rc == -ENOENT ? -EINVAL : rc, why);
		return;
	}
	nvtcp_jsonrpc_send_result(req, NULL);
}

static void
rpc_add_listener(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	rpc_listener(req, params, ctx, true);
}

static void
rpc_remove_listener(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	rpc_listener(req, params, ctx, false);
}

/* ---- Hosts ---------------------------------------------------------------------------------- */

static const char *const g_host_keys[] = {
	"nqn", "host", "psk", "dhchap_key", "dhchap_ctrlr_key", "dhchap_hashes", "dhchap_dhgroups",
	NULL};

/*
 * The start of every per-host method: the parameters against \p keys, "host" a valid NQN,
 * the subsystem by "nqn". Returns the subsystem, or NULL when the error is already sent.
 */
static struct tgt_subsys *
rpc_host_begin(struct rpc *r, struct json_object *params, const char *const *keys,
	       const char **host)
{
	char check[128];

	if (!rpc_params(r, params, keys, false)) {
		return NULL;
	}
	if (rpc_req_str(r, "", params, "host", host) != 0) {
		rpc_invalid(r);
		return NULL;
	}
	if (!nvtcp_nqn_valid(*host, check, sizeof(check))) {
		tgt_cfg_err(&r->c, "host", "'%s': %s", *host, check);
		rpc_invalid(r);
		return NULL;
	}
	return rpc_subsys_ext(r, params, true);
}

static void
rpc_host(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx, bool add)
{
	const char *host;
	char why[512] = "";
	struct tgt_subsys *s;
	struct rpc r;
	int rc;

	rpc_init(&r, req, ctx);
	s = rpc_host_begin(&r, params, g_host_keys, &host);
	if (s == NULL) {
		return;
	}
	if (add) {
		struct tgt_cfg_host ch = {.nqn = host};

		/* "psk": a key file (SPDK 24.01); tgt_cfg_add_host refuses an inline key. */
		if (tgt_cfg_get_str(&r.c, "", params, "psk", &ch.psk) != 0 ||
		    tgt_auth_rpc_host_params(&r.c, params, &ch) != 0) {
			rpc_invalid(&r);
			return;
		}
		rc = tgt_cfg_add_host(r.tgt, s->nqn, &ch, why, sizeof(why));
	} else {
		rc = nvtcp_tgt_subsys_remove_host(r.tgt, s->nqn, host);
		if (rc == -ENOENT) {
			snprintf(why, sizeof(why), "host: %s is not allowed on %s", host, s->nqn);
		}
	}
	if (rc != 0) {
		rpc_fail(&r, rc, why);
		return;
	}
	nvtcp_jsonrpc_send_result(req, NULL);
}

static void
rpc_add_host(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	rpc_host(req, params, ctx, true);
}

static void
rpc_remove_host(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	rpc_host(req, params, ctx, false);
}

/* SPDK's nvmf_subsystem_set_keys (key rotation); the secrets are file paths, as for add_host. */
static const char *const g_set_keys_keys[] = {
	"nqn", "host", "dhchap_key", "dhchap_ctrlr_key", "dhchap_hashes", "dhchap_dhgroups", NULL};

static void
rpc_set_keys(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	struct nvtcp_tgt_host_opts ho;
	struct tgt_cfg_host ch = {0};
	const char *host;
	char why[512] = "";
	struct tgt_subsys *s;
	struct rpc r;
	int rc;

	rpc_init(&r, req, ctx);
	s = rpc_host_begin(&r, params, g_set_keys_keys, &host);
	if (s == NULL) {
		return;
	}
	/* Paths only: tgt_auth_rpc_host_params refuses a secret as text without echoing it. */
	if (tgt_auth_rpc_host_params(&r.c, params, &ch) != 0) {
		rpc_invalid(&r);
		return;
	}
	if (ch.dhchap_key == NULL) {
		tgt_cfg_err(&r.c, "dhchap_key", "missing: the path of the host's new secret file "
			    "(mode 0600)");
		rpc_invalid(&r);
		return;
	}
	nvtcp_tgt_host_opts_init(&ho);
	ho.dhchap_key = ch.dhchap_key;
	ho.dhchap_ctrl_key = ch.dhchap_ctrl_key;
	ho.dhchap_hashes = ch.dhchap_hashes;
	ho.dhchap_dhgroups = ch.dhchap_dhgroups;
	rc = nvtcp_tgt_subsys_set_host_keys(r.tgt, s->nqn, host, &ho, why, sizeof(why));
	if (rc != 0) {
		rpc_fail(&r, rc, why);
		return;
	}
	nvtcp_jsonrpc_send_result(req, NULL);
}

static const char *const g_allow_keys[] = {"nqn", "allow_any_host", NULL};

static void
rpc_allow_any_host(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	struct tgt_subsys *s;
	struct json_object *v;
	struct rpc r;
	bool allow;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_allow_keys, false)) {
		return;
	}
	if (!json_object_object_get_ex(params, "allow_any_host", &v)) {
		tgt_cfg_err(&r.c, "allow_any_host", "missing");
		rpc_invalid(&r);
		return;
	}
	if (tgt_cfg_get_bool(&r.c, "", params, "allow_any_host", &allow) != 0) {
		rpc_invalid(&r);
		return;
	}
	s = rpc_subsys(&r, params);
	if (s == NULL) {
		return;
	}
	nvtcp_tgt_subsys_set_allow_any_host(r.tgt, s->nqn, allow);
	nvtcp_jsonrpc_send_result(req, NULL);
}

/* ---- nvmf_get_stats ------------------------------------------------------------------------- */

/* The I/O counters of a poll group or a connection; new counters go here. */
static void
io_stats_json(struct json_object *o, const struct nvtcp_tgt_io_stats *io)
{
	obj_add_u64(o, "cmds", io->cmds);
	obj_add_u64(o, "read_cmds", io->read_cmds);
	obj_add_u64(o, "write_cmds", io->write_cmds);
	obj_add_u64(o, "admin_cmds", io->admin_cmds);
	obj_add_u64(o, "bytes_read", io->bytes_read);
	obj_add_u64(o, "bytes_written", io->bytes_written);
	obj_add_u64(o, "errors", io->errors);
	obj_add_u64(o, "ddgst_errors", io->ddgst_errors);
	obj_add_u64(o, "protocol_errors", io->protocol_errors);
	obj_add_u64(o, "buf_waits", io->buf_waits);
	obj_add_u64(o, "host_buf_waits", io->host_buf_waits);
}

static struct json_object *
usage_json(const struct nvtcp_tgt_usage *u, uint32_t n, const char *key, bool queues)
{
	struct json_object *a = json_object_new_array();

	for (uint32_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		obj_add_str(o, key, u[i].key);
		obj_add_u64(o, "connections", u[i].connections);
		if (queues) {
			obj_add_u64(o, "io_queues", u[i].io_queues);
			obj_add_u64(o, "queue_entries", u[i].queue_entries);
		} else {
			obj_add_u64(o, "authentications", u[i].authentications);
		}
		obj_add_u64(o, "refusals", u[i].refusals);
		json_object_array_add(a, o);
	}
	return a;
}

/* The resource limits: each limit's value and refusals, and who holds what now. */
static struct json_object *
limits_json(const struct nvtcp_tgt *tgt)
{
	const struct nvtcp_tgt_opts *op = &tgt->opts;
	const uint32_t value[NVTCP_TGT_LIMIT_COUNT] = {
		[NVTCP_TGT_LIMIT_CONNECTIONS] = op->max_connections,
		[NVTCP_TGT_LIMIT_CONNECTIONS_PER_ADDR] = op->max_connections_per_addr,
		[NVTCP_TGT_LIMIT_CONNECTIONS_PER_HOST] = op->max_connections_per_host,
		[NVTCP_TGT_LIMIT_IO_QUEUES_PER_HOST] = op->max_io_queues_per_host,
		[NVTCP_TGT_LIMIT_QUEUE_ENTRIES_PER_HOST] = op->max_queue_entries_per_host,
		[NVTCP_TGT_LIMIT_CONNECTIONS_PER_SUBSYS] = op->max_connections_per_subsys,
		[NVTCP_TGT_LIMIT_AUTH_PER_LISTENER] = op->max_auth_per_listener,
		[NVTCP_TGT_LIMIT_AUTH_PER_ADDR] = op->max_auth_per_addr,
	};
	struct nvtcp_tgt_limit_stats *ls = NULL;
	struct json_object *o, *la;

	if (nvtcp_tgt_get_limit_stats(tgt, &ls) != 0) {
		return NULL;
	}
	o = json_object_new_object();
	la = json_object_new_object();
	for (int i = 0; i < NVTCP_TGT_LIMIT_COUNT; i++) {
		struct json_object *l = json_object_new_object();

		obj_add_u64(l, "value", value[i]);
		obj_add_u64(l, "refusals", ls->refusals[i]);
		json_object_object_add(la, nvtcp_tgt_limit_name(i), l);
	}
	json_object_object_add(o, "limits", la);
	obj_add_u64(o, "host_buf_share", op->host_buf_share);
	obj_add_u64(o, "host_buf_waits", ls->host_buf_waits);
	obj_add_u64(o, "connections", ls->connections);
	json_object_object_add(o, "hosts", usage_json(ls->hosts, ls->num_hosts, "hostnqn", true));
	json_object_object_add(o, "addresses", usage_json(ls->addrs, ls->num_addrs, "address",
							  false));
	json_object_object_add(o, "subsystems", usage_json(ls->subsys, ls->num_subsys, "nqn",
							   true));
	nvtcp_tgt_limit_stats_free(ls);
	return o;
}

struct stats_req {
	struct nvtcp_jsonrpc_request *req;
	struct nvtcp_tgt *tgt;
};

static void
stats_conns_done(void *cb_arg, struct nvtcp_tgt_conn_stats_list *list)
{
	struct stats_req *sr = cb_arg;
	struct nvtcp_tgt *tgt = sr->tgt;
	struct json_object *res = json_object_new_object(), *pgs = json_object_new_array();

	obj_add_u64(res, "tick_rate", nvtcp_env_get_ticks_hz());
	for (uint32_t i = 0; i < tgt->npgs; i++) {
		struct json_object *o = json_object_new_object(), *qa = json_object_new_array();
		struct nvtcp_tgt_reactor_stats s;
		char name[32];

		nvtcp_tgt_get_reactor_stats(tgt, i, &s);
		snprintf(name, sizeof(name), "nvtcp_poll_group_%03u", i);
		obj_add_str(o, "name", name);
		json_object_object_add(o, "lcore", lcore_json(s.core));
		obj_add_u64(o, "connections", s.connections);
		obj_add_u64(o, "accepted", s.accepted);
		obj_add_u64(o, "bufs_free", s.bufs_free);
		obj_add_u64(o, "bufs_total", s.bufs_total);
		io_stats_json(o, &s.io);
		for (uint32_t c = 0; list != NULL && c < list->count; c++) {
			const struct nvtcp_tgt_conn_stats *cs = &list->conns[c];
			struct json_object *q;

			if (cs->reactor != i) {
				continue;
			}
			q = json_object_new_object();
			obj_add_str(q, "peer", cs->peer);
			obj_add_str(q, "hostnqn", cs->hostnqn);
			obj_add_str(q, "subnqn", cs->subnqn);
			obj_add_u64(q, "cntlid", cs->cntlid);
			obj_add_u64(q, "qid", cs->qid);
			json_object_object_add(q, "hdgst", json_object_new_boolean(cs->hdgst));
			if (cs->auth_required) {
				tgt_auth_qpair_json(cs, q);
			}
			json_object_object_add(q, "ddgst", json_object_new_boolean(cs->ddgst));
			io_stats_json(q, &cs->io);
			json_object_array_add(qa, q);
		}
		json_object_object_add(o, "qpairs", qa);
		json_object_array_add(pgs, o);
	}
	json_object_object_add(res, "poll_groups", pgs);
	json_object_object_add(res, "resource_limits", limits_json(tgt));
	nvtcp_tgt_conn_stats_free(list);
	nvtcp_jsonrpc_send_result(sr->req, res);
	free(sr);
}

static void
rpc_get_stats(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	struct stats_req *sr;
	struct rpc r;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_no_keys, true)) {
		return;
	}
	sr = calloc(1, sizeof(*sr));
	if (sr == NULL) {
		nvtcp_jsonrpc_send_error(req, -ENOMEM, "%s: out of memory", r.c.file);
		return;
	}
	sr->req = req;
	sr->tgt = r.tgt;
	if (!r.tgt->started || nvtcp_tgt_get_conn_stats(r.tgt, stats_conns_done, sr) != 0) {
		/* Not started (or no memory for the walk): the poll groups without qpairs. */
		stats_conns_done(sr, NULL);
	}
}

/* ---- save_config ---------------------------------------------------------------------------- */

static struct json_object *
opts_json(const struct nvtcp_tgt_opts *o)
{
	static const char *const c2h[] = {"off", "sqflow", "always"};
	struct json_object *j = json_object_new_object();

	obj_add_u64(j, "max_queue_depth", o->max_queue_depth);
	obj_add_u64(j, "max_admin_queue_depth", o->max_admin_queue_depth);
	obj_add_u64(j, "max_io_queues", o->max_io_queues);
	obj_add_u64(j, "in_capsule_data_size", o->in_capsule_data_size);
	obj_add_u64(j, "max_io_size", o->max_io_size);
	obj_add_u64(j, "maxh2cdata", o->maxh2cdata);
	obj_add_u64(j, "max_r2t_len", o->max_r2t_len);
	obj_add_u64(j, "max_c2h_len", o->max_c2h_len);
	obj_add_str(j, "digests", o->hdgst && o->ddgst ? "both" : o->hdgst ? "hdgst" :
		    o->ddgst ? "ddgst" : "none");
	obj_add_u64(j, "cpda", o->cpda);
	obj_add_str(j, "c2h_success", c2h[o->c2h_success <= NVTCP_TGT_C2H_SUCCESS_ALWAYS ?
					  o->c2h_success : 1]);
	obj_add_u64(j, "kato_max_ms", o->kato_max_ms);
	obj_add_u64(j, "discovery_kato_ms", o->discovery_kato_ms);
	obj_add_u64(j, "connect_timeout_ms", o->connect_timeout_ms);
	obj_add_u64(j, "max_connections", o->max_connections);
	obj_add_u64(j, "max_auth_per_listener", o->max_auth_per_listener);
	obj_add_u64(j, "max_auth_per_addr", o->max_auth_per_addr);
	obj_add_u64(j, "auth_timeout_ms", o->auth_timeout_ms);
	obj_add_u64(j, "buf_size", o->buf_size);
	obj_add_u64(j, "buf_count", o->buf_count);
	obj_add_u64(j, "rxbuf_size", o->rxbuf_size);
	if (o->num_cores > 0) {
		struct json_object *cores = json_object_new_array();

		for (uint32_t i = 0; i < o->num_cores; i++) {
			json_object_array_add(cores, json_object_new_int64(o->cores[i]));
		}
		json_object_object_add(j, "cores", cores);
	}
	obj_add_str(j, "default_model", o->default_model);
	return j;
}

static struct json_object *
cfg_listener_json(const struct tgt_listener *l)
{
	struct json_object *o = json_object_new_object();

	obj_add_str(o, "address", l->addr);
	/* The bound port, so that a listener on "0" comes back where hosts know it. */
	obj_add_u64(o, "port", l->sock != NULL ? l->bound_port : strtoul(l->port, NULL, 10));
	if (l->secure != NVTCP_TGT_SECURE_NONE) {
		obj_add_str(o, "secure_channel", nvtcp_tgt_secure_channel_str(l->secure));
	}
	return o;
}

static struct json_object *
cfg_hosts_json(const struct tgt_subsys *s)
{
	struct json_object *a = json_object_new_array(), *ho;
	const struct tgt_host *h;

	TAILQ_FOREACH(h, &s->hosts, link) {
		if (!h->has_psk && !h->has_dhchap) {
			json_object_array_add(a, json_object_new_string(h->nqn));
			continue;
		}
		ho = json_object_new_object();
		obj_add_str(ho, "nqn", h->nqn);
		if (h->psk_path != NULL) {
			obj_add_str(ho, "psk", h->psk_path);
		} else if (h->has_psk) {
			/* A key handed over as a value (the C API) has no file to name, and
			 * save_config never writes key material: the entry says so, and loading it
			 * fails naming the host instead of allowing it without its key. */
			json_object_object_add(ho, "psk_unsaved", json_object_new_boolean(true));
		}
		/* DH-HMAC-CHAP: key file paths (or the not-saved mark) and the allowed lists. */
		tgt_cfg_dhchap_json(h, ho);
		json_object_array_add(a, ho);
	}
	return a;
}

static struct json_object *
cfg_subsys_json(const struct tgt_subsys *s)
{
	struct json_object *o = json_object_new_object(), *a;
	const struct tgt_subsys_listener *sl;

	obj_add_str(o, "nqn", s->nqn);
	obj_add_str(o, "serial", s->sn);
	obj_add_str(o, "model", s->mn);
	json_object_object_add(o, "allow_any_host", json_object_new_boolean(s->allow_any));
	obj_add_u64(o, "max_namespaces", s->max_ns);
	json_object_object_add(o, "hosts", cfg_hosts_json(s));
	a = json_object_new_array();
	TAILQ_FOREACH(sl, &s->listeners, link) {
		struct json_object *lo = cfg_listener_json(sl->l);
		bool all_optimized = true;

		for (uint32_t g = 0; g < s->max_ns; g++) {
			all_optimized &= sl->ana[g] == NVTCP_NVME_ANA_OPTIMIZED;
		}
		if (!all_optimized) {
			tgt_ana_listener_json(s, sl, lo);
		}
		json_object_array_add(a, lo);
	}
	json_object_object_add(o, "listeners", a);
	a = json_object_new_array();
	for (uint32_t nsid = 1; nsid <= s->max_ns; nsid++) {
		const struct tgt_ns *ns = tgt_subsys_ns(s, nsid);
		struct json_object *no;
		char uuid[40], nguid[33];

		if (ns == NULL) {
			continue;
		}
		no = json_object_new_object();
		uuid_unparse_lower(ns->uuid, uuid);
		hex16(nguid, ns->nguid);
		obj_add_u64(no, "nsid", nsid);
		obj_add_str(no, "backend", backend_str(ns));
		obj_add_u64(no, "size", ns->num_blocks << ns->block_shift);
		obj_add_u64(no, "block_size", ns->block_size);
		if (ns->path != NULL) {
			obj_add_str(no, "path", ns->path);
		}
		if (ns->backend == NVTCP_TGT_BACKEND_FILE) {
			obj_add_u64(no, "workers", ns->file_workers);
		}
		obj_add_str(no, "uuid", uuid);
		obj_add_str(no, "nguid", nguid);
		if (ns->anagrpid != nsid) {
			obj_add_u64(no, "anagrpid", ns->anagrpid);
		}
		json_object_array_add(a, no);
	}
	json_object_object_add(o, "namespaces", a);
	return o;
}

static void
rpc_save_config(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	struct json_object *doc, *a;
	const struct tgt_listener *l;
	const struct tgt_subsys *s;
	struct rpc r;

	rpc_init(&r, req, ctx);
	if (!rpc_params(&r, params, g_no_keys, true)) {
		return;
	}
	doc = json_object_new_object();
	json_object_object_add(doc, "options", opts_json(&r.tgt->opts));
	a = json_object_new_array();
	TAILQ_FOREACH(l, &r.tgt->listeners, link) {
		if (l->global) {
			json_object_array_add(a, cfg_listener_json(l));
		}
	}
	json_object_object_add(doc, "listeners", a);
	a = json_object_new_array();
	if (!TAILQ_EMPTY(&r.tgt->disc->hosts)) {
		/* Only its hosts: the rest of the discovery subsystem is not configurable. */
		struct json_object *o = json_object_new_object();

		obj_add_str(o, "nqn", r.tgt->disc->nqn);
		json_object_object_add(o, "hosts", cfg_hosts_json(r.tgt->disc));
		json_object_array_add(a, o);
	}
	TAILQ_FOREACH(s, &r.tgt->subsystems, link) {
		json_object_array_add(a, cfg_subsys_json(s));
	}
	json_object_object_add(doc, "subsystems", a);
	nvtcp_jsonrpc_send_result(req, doc);
}

/* ---- Registration --------------------------------------------------------------------------- */

int
nvtcp_tgt_rpc_register(struct nvtcp_tgt *tgt, struct nvtcp_jsonrpc_server *srv)
{
	static const struct {
		const char *name;
		nvtcp_jsonrpc_handler_fn fn;
	} methods[] = {
		{"spdk_get_version", rpc_get_version},
		{"framework_get_reactors", rpc_get_reactors},
		{"nvmf_get_subsystems", rpc_get_subsystems},
		{"nvmf_create_subsystem", rpc_create_subsystem},
		{"nvmf_delete_subsystem", rpc_delete_subsystem},
		{"nvmf_subsystem_add_ns", rpc_add_ns},
		{"nvmf_subsystem_remove_ns", rpc_remove_ns},
		{"nvmf_subsystem_add_listener", rpc_add_listener},
		{"nvmf_subsystem_remove_listener", rpc_remove_listener},
		{"nvmf_subsystem_listener_set_ana_state", rpc_set_ana_state},
		{"nvmf_subsystem_add_host", rpc_add_host},
		{"nvmf_subsystem_remove_host", rpc_remove_host},
		{"nvmf_subsystem_set_keys", rpc_set_keys},
		{"nvmf_subsystem_allow_any_host", rpc_allow_any_host},
		{"nvmf_get_stats", rpc_get_stats},
		{"save_config", rpc_save_config},
	};

	for (size_t i = 0; i < NVTCP_COUNTOF(methods); i++) {
		int rc = nvtcp_jsonrpc_register(srv, methods[i].name, methods[i].fn, tgt);

		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}
