/*
 * The JSON configuration of a target (json-c): options, listeners, subsystems with their
 * hosts and namespaces. See doc/target.md for the format.
 *
 * The whole document is checked before anything is applied, and every error names the key
 * and its path in the document ("$.subsystems[0].namespaces[1].block_size"), or for a syntax
 * error the line and column.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include <json-c/json.h>

#include "target_internal.h"

#define CFG_MAX_FILE (16u * 1024 * 1024)
#define CFG_PATH_LEN TGT_CFG_PATH_LEN

int
tgt_cfg_err(struct tgt_cfg *c, const char *jpath, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err != NULL && c->errlen > 0) {
		snprintf(c->err, c->errlen, "%s: %s: %s", c->file, jpath, msg);
	}
	return -EINVAL;
}

void
tgt_cfg_jpath_key(char *dst, const char *parent, const char *key)
{
	/* A truncated path still names the place; the check keeps the compiler content. An
	 * empty parent (RPC params) names the key alone. */
	if (snprintf(dst, CFG_PATH_LEN, "%s%s%s", parent, parent[0] != '\0' ? "." : "", key) >=
	    CFG_PATH_LEN) {
		dst[CFG_PATH_LEN - 1] = '\0';
	}
}

void
tgt_cfg_jpath_idx(char *dst, const char *parent, size_t i)
{
	if (snprintf(dst, CFG_PATH_LEN, "%s[%zu]", parent, i) >= CFG_PATH_LEN) {
		dst[CFG_PATH_LEN - 1] = '\0';
	}
}

/* Every key of \p obj must be one of \p keys (NULL-terminated). */
int
tgt_cfg_check_keys(struct tgt_cfg *c, const char *jpath, struct json_object *obj, const char *const *keys)
{
	if (!json_object_is_type(obj, json_type_object)) {
		return tgt_cfg_err(c, jpath, "must be an object");
	}
	json_object_object_foreach(obj, key, val) {
		bool known = false;

		(void)val;
		for (size_t i = 0; keys[i] != NULL; i++) {
			known |= strcmp(keys[i], key) == 0;
		}
		if (!known) {
			char p[CFG_PATH_LEN];

			tgt_cfg_jpath_key(p, jpath, key);
			return tgt_cfg_err(c, p, "unknown key");
		}
	}
	return 0;
}

/* An unsigned number, or a size string ("16K", "1G") when \p size. */
int
tgt_cfg_get_u64(struct tgt_cfg *c, const char *jpath, struct json_object *v, bool size, uint64_t min,
	uint64_t max, uint64_t *out)
{
	uint64_t x;

	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		if (i < 0) {
			return tgt_cfg_err(c, jpath, "must not be negative");
		}
		x = (uint64_t)i;
	} else if (size && json_object_is_type(v, json_type_string)) {
		if (nvtcp_parse_size(json_object_get_string(v), &x) != 0) {
			return tgt_cfg_err(c, jpath, "'%s' is not a size (e.g. 4096, \"64K\", \"1G\")",
				       json_object_get_string(v));
		}
	} else {
		return tgt_cfg_err(c, jpath, "must be %s", size ? "a number or a size string" :
			       "a number");
	}
	if (x < min || x > max) {
		return tgt_cfg_err(c, jpath, "%llu is not in %llu..%llu", (unsigned long long)x,
			       (unsigned long long)min, (unsigned long long)max);
	}
	*out = x;
	return 0;
}

int
tgt_cfg_get_u32(struct tgt_cfg *c, const char *parent, struct json_object *obj, const char *key, bool size,
	uint64_t min, uint64_t max, uint32_t *out)
{
	struct json_object *v;
	char p[CFG_PATH_LEN];
	uint64_t x;
	int rc;

	if (!json_object_object_get_ex(obj, key, &v)) {
		return 0;
	}
	tgt_cfg_jpath_key(p, parent, key);
	rc = tgt_cfg_get_u64(c, p, v, size, min, max, &x);
	if (rc == 0) {
		*out = (uint32_t)x;
	}
	return rc;
}

int
tgt_cfg_get_bool(struct tgt_cfg *c, const char *parent, struct json_object *obj, const char *key, bool *out)
{
	struct json_object *v;
	char p[CFG_PATH_LEN];

	if (!json_object_object_get_ex(obj, key, &v)) {
		return 0;
	}
	if (!json_object_is_type(v, json_type_boolean)) {
		tgt_cfg_jpath_key(p, parent, key);
		return tgt_cfg_err(c, p, "must be true or false");
	}
	*out = json_object_get_boolean(v);
	return 0;
}

/* A string member; *out stays as it was when absent. */
int
tgt_cfg_get_str(struct tgt_cfg *c, const char *parent, struct json_object *obj, const char *key,
	const char **out)
{
	struct json_object *v;
	char p[CFG_PATH_LEN];

	if (!json_object_object_get_ex(obj, key, &v)) {
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		tgt_cfg_jpath_key(p, parent, key);
		return tgt_cfg_err(c, p, "must be a string");
	}
	*out = json_object_get_string(v);
	return 0;
}

static int
load_doc(struct tgt_cfg *c, const char *path, struct json_object **doc)
{
	struct json_tokener *tok;
	FILE *f;
	char *buf;
	long size;
	int rc = 0;

	f = fopen(path, "r");
	if (f == NULL) {
		rc = -errno;
		if (c->err != NULL) {
			snprintf(c->err, c->errlen, "%s: %s", path, strerror(-rc));
		}
		return rc;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || size > (long)CFG_MAX_FILE ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		if (c->err != NULL) {
			snprintf(c->err, c->errlen, "%s: cannot read (or larger than 16 MiB)", path);
		}
		return -EINVAL;
	}
	buf = malloc((size_t)size + 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		fclose(f);
		if (c->err != NULL) {
			snprintf(c->err, c->errlen, "%s: cannot read", path);
		}
		return -EIO;
	}
	fclose(f);
	buf[size] = '\0';
	tok = json_tokener_new();
	if (tok == NULL) {
		free(buf);
		return -ENOMEM;
	}
	*doc = json_tokener_parse_ex(tok, buf, (int)size);
	if (*doc == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		size_t end = json_tokener_get_parse_end(tok);
		int line = 1, col = 1;
		enum json_tokener_error e = json_tokener_get_error(tok);

		for (size_t i = 0; i < end && i < (size_t)size; i++) {
			if (buf[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		if (c->err != NULL) {
			snprintf(c->err, c->errlen, "%s:%d:%d: JSON syntax error: %s", path, line, col,
				 e == json_tokener_success ? "incomplete document" :
				 json_tokener_error_desc(e));
		}
		json_object_put(*doc);
		*doc = NULL;
		rc = -EINVAL;
	} else {
		size_t end = json_tokener_get_parse_end(tok);

		if (buf[end + strspn(buf + end, " \t\r\n")] != '\0') {
			if (c->err != NULL) {
				snprintf(c->err, c->errlen, "%s: text after the JSON document", path);
			}
			json_object_put(*doc);
			*doc = NULL;
			rc = -EINVAL;
		} else if (!json_object_is_type(*doc, json_type_object)) {
			rc = tgt_cfg_err(c, "$", "the document must be an object");
			json_object_put(*doc);
			*doc = NULL;
		}
	}
	json_tokener_free(tok);
	free(buf);
	return rc;
}

static const char *const g_top_keys[] = {"options", "listeners", "subsystems", NULL};
static const char *const g_opt_keys[] = {
	"max_queue_depth", "max_admin_queue_depth", "max_io_queues", "in_capsule_data_size",
	"max_io_size", "maxh2cdata", "max_r2t_len", "max_c2h_len", "digests", "cpda",
	"c2h_success", "kato_max_ms", "discovery_kato_ms", "connect_timeout_ms", "max_connections",
	"max_connections_per_addr", "max_connections_per_host", "max_io_queues_per_host",
	"max_queue_entries_per_host", "max_connections_per_subsys", "max_auth_per_listener",
	"max_auth_per_addr", "auth_timeout_ms", "host_buf_share",
	"buf_size", "buf_count", "rxbuf_size", "cores", "default_model", "sock_impl", NULL};

static int
parse_opts(struct tgt_cfg *c, struct json_object *o, struct nvtcp_tgt_opts *opts)
{
	const char *p = "$.options";
	const char *s = NULL;
	struct json_object *v;
	char q[CFG_PATH_LEN];
	bool bad = false;
	uint32_t cpda = opts->cpda;
	int rc;

	rc = tgt_cfg_check_keys(c, p, o, g_opt_keys);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_queue_depth", false, 2, 4096, &opts->max_queue_depth);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_admin_queue_depth", false, 32, 4096,
			   &opts->max_admin_queue_depth);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_io_queues", false, 1, 1024, &opts->max_io_queues);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "in_capsule_data_size", true, 8192, 131072,
			   &opts->in_capsule_data_size);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_io_size", true, 4096, 4u << 20, &opts->max_io_size);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "maxh2cdata", true, 4096, 16u << 20, &opts->maxh2cdata);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_r2t_len", true, 0, 16u << 20, &opts->max_r2t_len);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_c2h_len", true, 0, 16u << 20, &opts->max_c2h_len);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "cpda", false, 0, NVTCP_TCP_PDA_MAX, &cpda);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "kato_max_ms", false, 0, UINT32_MAX, &opts->kato_max_ms);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "discovery_kato_ms", false, 0, UINT32_MAX,
			   &opts->discovery_kato_ms);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "connect_timeout_ms", false, 0, UINT32_MAX,
			   &opts->connect_timeout_ms);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_connections", false, 1, 1u << 20, &opts->max_connections);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_connections_per_addr", false, 0, 1u << 20,
			   &opts->max_connections_per_addr);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_connections_per_host", false, 0, 1u << 20,
			   &opts->max_connections_per_host);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_io_queues_per_host", false, 0, 1u << 20,
			   &opts->max_io_queues_per_host);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_queue_entries_per_host", false, 0, UINT32_MAX,
			   &opts->max_queue_entries_per_host);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_connections_per_subsys", false, 0, 1u << 20,
			   &opts->max_connections_per_subsys);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_auth_per_listener", false, 0, 1u << 20,
			   &opts->max_auth_per_listener);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "max_auth_per_addr", false, 0, 1u << 20,
			   &opts->max_auth_per_addr);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "auth_timeout_ms", false, 100, 3600u * 1000,
			   &opts->auth_timeout_ms);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "host_buf_share", false, 1, 100, &opts->host_buf_share);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "buf_size", true, 16384, 1u << 20, &opts->buf_size);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "buf_count", false, 1, 1u << 20, &opts->buf_count);
	rc = rc ?: tgt_cfg_get_u32(c, p, o, "rxbuf_size", true, 8192, 16u << 20, &opts->rxbuf_size);
	rc = rc ?: tgt_cfg_get_str(c, p, o, "default_model", &opts->default_model);
	if (rc != 0) {
		return rc;
	}
	opts->cpda = (uint8_t)cpda;
	rc = tgt_cfg_get_str(c, p, o, "digests", &s);
	if (rc == 0 && s != NULL) {
		opts->hdgst = strcmp(s, "hdgst") == 0 || strcmp(s, "both") == 0;
		opts->ddgst = strcmp(s, "ddgst") == 0 || strcmp(s, "both") == 0;
		if (!opts->hdgst && !opts->ddgst && strcmp(s, "none") != 0) {
			tgt_cfg_jpath_key(q, p, "digests");
			return tgt_cfg_err(c, q, "'%s' is not none, hdgst, ddgst or both", s);
		}
	}
	s = NULL;
	rc = rc ?: tgt_cfg_get_str(c, p, o, "c2h_success", &s);
	if (rc == 0 && s != NULL) {
		if (strcmp(s, "off") == 0) {
			opts->c2h_success = NVTCP_TGT_C2H_SUCCESS_OFF;
		} else if (strcmp(s, "sqflow") == 0) {
			opts->c2h_success = NVTCP_TGT_C2H_SUCCESS_SQFLOW_DISABLED;
		} else if (strcmp(s, "always") == 0) {
			opts->c2h_success = NVTCP_TGT_C2H_SUCCESS_ALWAYS;
		} else {
			tgt_cfg_jpath_key(q, p, "c2h_success");
			return tgt_cfg_err(c, q, "'%s' is not off, sqflow or always", s);
		}
	}
	s = NULL;
	rc = rc ?: tgt_cfg_get_str(c, p, o, "sock_impl", &s);
	if (rc == 0 && s != NULL) {
		enum nvtcp_sock_impl impl;

		if (nvtcp_sock_impl_parse(s, &impl) != 0) {
			tgt_cfg_jpath_key(q, p, "sock_impl");
			return tgt_cfg_err(c, q, "'%.32s' is not posix or uring", s);
		}
		opts->sock_impl = (int)impl;
	}
	if (rc == 0 && json_object_object_get_ex(o, "cores", &v)) {
		tgt_cfg_jpath_key(q, p, "cores");
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0 ||
		    json_object_array_length(v) > NVTCP_TGT_MAX_REACTORS) {
			return tgt_cfg_err(c, q, "must be an array of 1..%d core numbers",
				       NVTCP_TGT_MAX_REACTORS);
		}
		opts->num_cores = 0;
		for (size_t i = 0; i < json_object_array_length(v) && !bad; i++) {
			char e[CFG_PATH_LEN];
			uint64_t core;

			tgt_cfg_jpath_idx(e, q, i);
			rc = tgt_cfg_get_u64(c, e, json_object_array_get_idx(v, i), false, 0, 1023, &core);
			bad = rc != 0;
			opts->cores[opts->num_cores++] = (uint32_t)core;
		}
	}
	if (rc == 0) {
		char why[256];

		rc = nvtcp_tgt_opts_check(opts, why, sizeof(why));
		if (rc != 0) {
			return tgt_cfg_err(c, p, "%s", why);
		}
	}
	return rc;
}

/* ---- Listeners and subsystems ------------------------------------------------------------- */

struct cfg_listener {
	const char *addr;
	char port[16];
	struct nvtcp_tgt_listener_opts opts;
	struct json_object *ana_groups; /* in the document; checked (ana.c) */
};

struct cfg_ns {
	struct nvtcp_tgt_ns_opts opts;
};

struct cfg_subsys {
	const char *nqn;
	struct nvtcp_tgt_subsys_opts opts;
	struct tgt_cfg_host *hosts;
	size_t nhosts;
	struct cfg_ns *ns;
	size_t nns;
	struct cfg_listener *listeners;
	size_t nlisteners;
	/* The discovery NQN: hosts (with PSKs) only. */
	bool discovery;
};

struct cfg_doc {
	struct cfg_listener *listeners;
	size_t nlisteners;
	struct cfg_subsys *subsys;
	size_t nsubsys;
};

static const char *const g_listener_keys[] = {"address", "port", "secure_channel", "ana_state",
					      "ana_groups", NULL};
static const char *const g_host_keys[] = {
	"nqn", "psk", "psk_unsaved", "dhchap_key", "dhchap_ctrl_key", "dhchap_hashes",
	"dhchap_dhgroups", NULL};
static const char *const g_subsys_keys[] = {
	"nqn", "serial", "model", "allow_any_host", "hosts", "max_namespaces", "namespaces",
	"listeners", NULL};
static const char *const g_ns_keys[] = {
	"nsid", "backend", "size", "block_size", "path", "bdev_name", "workers", "create", "uuid",
	"nguid", "anagrpid", NULL};

/* A "listeners" array (top level or of a subsystem) at JSON path \p p. */
static int
parse_listeners(struct tgt_cfg *c, const char *p, struct json_object *arr,
		struct cfg_listener **out, size_t *count)
{
	if (!json_object_is_type(arr, json_type_array)) {
		return tgt_cfg_err(c, p, "must be an array");
	}
	*count = json_object_array_length(arr);
	*out = calloc(*count + 1, sizeof(**out));
	if (*out == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < *count; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		struct cfg_listener *l = &(*out)[i];
		char q[CFG_PATH_LEN], k[CFG_PATH_LEN];
		uint64_t port;
		int rc;

		tgt_cfg_jpath_idx(q, p, i);
		rc = tgt_cfg_check_keys(c, q, o, g_listener_keys);
		rc = rc ?: tgt_cfg_get_str(c, q, o, "address", &l->addr);
		if (rc != 0) {
			return rc;
		}
		if (l->addr == NULL) {
			tgt_cfg_jpath_key(k, q, "address");
			return tgt_cfg_err(c, k, "missing");
		}
		tgt_cfg_jpath_key(k, q, "port");
		if (!json_object_object_get_ex(o, "port", &v)) {
			return tgt_cfg_err(c, k, "missing");
		}
		if (json_object_is_type(v, json_type_string)) {
			if (nvtcp_parse_u64(json_object_get_string(v), 65535, &port) != 0) {
				return tgt_cfg_err(c, k, "'%s' is not a port number 0..65535",
					       json_object_get_string(v));
			}
		} else if (tgt_cfg_get_u64(c, k, v, false, 0, 65535, &port) != 0) {
			return -EINVAL;
		}
		snprintf(l->port, sizeof(l->port), "%llu", (unsigned long long)port);
		nvtcp_tgt_listener_opts_init(&l->opts);
		rc = tgt_cfg_get_secure(c, q, o, "secure_channel", &l->opts.secure_channel);
		rc = rc ?: tgt_cfg_get_ana_state(c, q, o, "ana_state", &l->opts.ana_state);
		if (rc == 0 && json_object_object_get_ex(o, "ana_groups", &l->ana_groups)) {
			tgt_cfg_jpath_key(k, q, "ana_groups");
			rc = tgt_ana_cfg_check(c, k, l->ana_groups);
		}
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

int
tgt_cfg_get_secure(struct tgt_cfg *c, const char *parent, struct json_object *obj,
		   const char *key, enum nvtcp_tgt_secure_channel *out)
{
	struct json_object *v;
	char k[CFG_PATH_LEN];

	if (!json_object_object_get_ex(obj, key, &v)) {
		return 0;
	}
	tgt_cfg_jpath_key(k, parent, key);
	/* SPDK's form is a bool: true = TLS only. */
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v) ? NVTCP_TGT_SECURE_REQUIRED :
		       NVTCP_TGT_SECURE_NONE;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string) ||
	    nvtcp_tgt_secure_channel_parse(json_object_get_string(v), out) != 0) {
		return tgt_cfg_err(c, k, "'%s' is not none, optional, required, true or false",
				   json_object_is_type(v, json_type_string) ?
				   json_object_get_string(v) : json_object_to_json_string(v));
	}
	return 0;
}

int
tgt_cfg_add_host(struct nvtcp_tgt *tgt, const char *subnqn, const struct tgt_cfg_host *h,
		 char *err, size_t errlen)
{
	const char *hostnqn = h->nqn;
	const char *psk = h->psk;
	struct nvtcp_tgt_host_opts ho;

	nvtcp_tgt_host_opts_init(&ho);
	if ((h->dhchap_key != NULL && strcmp(h->dhchap_key, TGT_CFG_SECRET_NOT_SAVED) == 0) ||
	    (h->dhchap_ctrl_key != NULL &&
	     strcmp(h->dhchap_ctrl_key, TGT_CFG_SECRET_NOT_SAVED) == 0)) {
		snprintf(err, errlen, "host %s: %s: the secret was given inline and save_config "
			 "does not write secrets; put it in a file (mode 0600) and give its path",
			 hostnqn, h->dhchap_key != NULL &&
			 strcmp(h->dhchap_key, TGT_CFG_SECRET_NOT_SAVED) == 0 ?
			 "dhchap_key" : "dhchap_ctrl_key");
		return -EINVAL;
	}
	/* As for PSKs (main's policy): a secret written into a configuration escapes the
	 * mode-0600 rule and could not be saved again; configuration names secret files. */
	if ((h->dhchap_key != NULL && strncmp(h->dhchap_key, "DHHC-1:", 7) == 0) ||
	    (h->dhchap_ctrl_key != NULL && strncmp(h->dhchap_ctrl_key, "DHHC-1:", 7) == 0)) {
		snprintf(err, errlen, "host %s: %s: an inline secret is refused: put it in a file "
			 "of mode 0600 and give that file's path", hostnqn,
			 h->dhchap_key != NULL && strncmp(h->dhchap_key, "DHHC-1:", 7) == 0 ?
			 "dhchap_key" : "dhchap_ctrl_key");
		return -EINVAL;
	}
	ho.dhchap_key = h->dhchap_key;
	ho.dhchap_ctrl_key = h->dhchap_ctrl_key;
	ho.dhchap_hashes = h->dhchap_hashes;
	ho.dhchap_dhgroups = h->dhchap_dhgroups;
	if (psk != NULL && strncmp(psk, "NVMeTLSkey-1:", 13) == 0) {
		/* A key written into a config file or an RPC request escapes the mode-0600 rule
		 * and could only be saved again by writing it out (which save_config never does):
		 * configuration names key files, as SPDK's keyring does. The key is not echoed. */
		snprintf(err, errlen, "host %s: psk: an inline key is refused: put it in a key "
			 "file of mode 0600 and give that file's path", hostnqn);
		return -EINVAL;
	}
	ho.psk_path = psk;
	return nvtcp_tgt_subsys_add_host_ext(tgt, subnqn, hostnqn, &ho, err, errlen);
}

int
tgt_cfg_parse_hex16(const char *s, uint8_t out[16])
{
	char clean[33];
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '-') {
			continue;
		}
		if (n == 32 || !((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
				 (*s >= 'A' && *s <= 'F'))) {
			return -EINVAL;
		}
		clean[n++] = *s;
	}
	if (n != 32) {
		return -EINVAL;
	}
	for (size_t i = 0; i < 16; i++) {
		char b[3] = {clean[2 * i], clean[2 * i + 1], '\0'};

		out[i] = (uint8_t)strtoul(b, NULL, 16);
	}
	return 0;
}

int
tgt_cfg_parse_ns(struct tgt_cfg *c, const char *q, struct json_object *o, struct nvtcp_tgt_ns_opts *n)
{
	const char *backend = "malloc", *uuid = NULL, *nguid = NULL, *bdev_name = NULL;
	struct json_object *v;
	char k[CFG_PATH_LEN];
	const struct nvtcp_tgt_bdev_ops *ops;
	uint64_t size = 0;
	bool has_path;
	int rc;

	nvtcp_tgt_ns_opts_init(n);
	rc = tgt_cfg_check_keys(c, q, o, g_ns_keys);
	rc = rc ?: tgt_cfg_get_u32(c, q, o, "nsid", false, 1, 1024, &n->nsid);
	rc = rc ?: tgt_cfg_get_str(c, q, o, "backend", &backend);
	rc = rc ?: tgt_cfg_get_u32(c, q, o, "block_size", false, 512, 4096, &n->block_size);
	rc = rc ?: tgt_cfg_get_str(c, q, o, "path", &n->path);
	rc = rc ?: tgt_cfg_get_str(c, q, o, "bdev_name", &bdev_name);
	rc = rc ?: tgt_cfg_get_u32(c, q, o, "workers", false, 1, 16, &n->file_workers);
	rc = rc ?: tgt_cfg_get_bool(c, q, o, "create", &n->file_create);
	rc = rc ?: tgt_cfg_get_str(c, q, o, "uuid", &uuid);
	rc = rc ?: tgt_cfg_get_str(c, q, o, "nguid", &nguid);
	rc = rc ?: tgt_cfg_get_u32(c, q, o, "anagrpid", false, 1, 1024, &n->anagrpid);
	if (rc != 0) {
		return rc;
	}
	if (bdev_name != NULL) {
		/* SPDK's name for what a file namespace is backed by. */
		if (n->path != NULL) {
			tgt_cfg_jpath_key(k, q, "bdev_name");
			return tgt_cfg_err(c, k, "give path or bdev_name, not both");
		}
		n->path = bdev_name;
	}
	ops = nvtcp_tgt_bdev_find(backend);
	if (ops == NULL) {
		char names[128];

		tgt_cfg_jpath_key(k, q, "backend");
		return tgt_cfg_err(c, k, "'%s' is not a backend (registered: %s)", backend,
			       nvtcp_tgt_bdev_names(names, sizeof(names)));
	}
	if (nvtcp_tgt_backend_parse(backend, &n->backend) != 0) {
		n->backend_name = backend;
	}
	if (n->block_size != 512 && n->block_size != 4096) {
		tgt_cfg_jpath_key(k, q, "block_size");
		return tgt_cfg_err(c, k, "must be 512 or 4096");
	}
	has_path = ops->takes_path;
	tgt_cfg_jpath_key(k, q, "size");
	if (json_object_object_get_ex(o, "size", &v)) {
		if (tgt_cfg_get_u64(c, k, v, true, 1, UINT64_MAX, &size) != 0) {
			return -EINVAL;
		}
		if (size % n->block_size != 0) {
			return tgt_cfg_err(c, k, "%llu is not a multiple of the block size %u",
				       (unsigned long long)size, n->block_size);
		}
	} else if (!has_path) {
		return tgt_cfg_err(c, k, "missing (required by the %s backend)", backend);
	}
	n->size = size;
	if (has_path && n->path == NULL) {
		tgt_cfg_jpath_key(k, q, "path");
		return tgt_cfg_err(c, k, "missing (required by the %s backend)", backend);
	}
	if (json_object_object_get_ex(o, "workers", NULL) && ops != &tgt_bdev_file_ops) {
		tgt_cfg_jpath_key(k, q, "workers");
		return tgt_cfg_err(c, k, "only the file backend has worker threads");
	}
	if (!has_path && n->path != NULL) {
		tgt_cfg_jpath_key(k, q, "path");
		return tgt_cfg_err(c, k, "the %s backend takes no path", backend);
	}
	if (uuid != NULL && uuid_parse(uuid, n->uuid) != 0) {
		tgt_cfg_jpath_key(k, q, "uuid");
		return tgt_cfg_err(c, k, "'%s' is not a UUID", uuid);
	}
	if (nguid != NULL && tgt_cfg_parse_hex16(nguid, n->nguid) != 0) {
		tgt_cfg_jpath_key(k, q, "nguid");
		return tgt_cfg_err(c, k, "'%s' is not 32 hexadecimal digits", nguid);
	}
	return 0;
}

static int
parse_subsys(struct tgt_cfg *c, const char *q, struct json_object *o, struct cfg_subsys *s)
{
	struct json_object *v;
	char k[CFG_PATH_LEN], why[128];
	int rc;

	nvtcp_tgt_subsys_opts_init(&s->opts);
	rc = tgt_cfg_check_keys(c, q, o, g_subsys_keys);
	rc = rc ?: tgt_cfg_get_str(c, q, o, "nqn", &s->nqn);
	rc = rc ?: tgt_cfg_get_str(c, q, o, "serial", &s->opts.serial);
	rc = rc ?: tgt_cfg_get_str(c, q, o, "model", &s->opts.model);
	rc = rc ?: tgt_cfg_get_bool(c, q, o, "allow_any_host", &s->opts.allow_any_host);
	rc = rc ?: tgt_cfg_get_u32(c, q, o, "max_namespaces", false, 1, 1024, &s->opts.max_namespaces);
	if (rc != 0) {
		return rc;
	}
	tgt_cfg_jpath_key(k, q, "nqn");
	if (s->nqn == NULL) {
		return tgt_cfg_err(c, k, "missing");
	}
	if (!nvtcp_nqn_valid(s->nqn, why, sizeof(why))) {
		return tgt_cfg_err(c, k, "'%s': %s", s->nqn, why);
	}
	if (strcmp(s->nqn, NVTCP_DISCOVERY_NQN) == 0) {
		/* The discovery subsystem exists already; an entry for it only gives hosts the
		 * PSKs with which they discover through TLS listeners. */
		static const char *const only[] = {"nqn", "hosts", NULL};

		json_object_object_foreach(o, key, val) {
			bool known = false;

			(void)val;
			for (size_t i = 0; only[i] != NULL; i++) {
				known |= strcmp(only[i], key) == 0;
			}
			if (!known) {
				tgt_cfg_jpath_key(k, q, key);
				return tgt_cfg_err(c, k, "not for the discovery subsystem (it takes "
						   "only hosts with a psk)");
			}
		}
		s->discovery = true;
	}
	if (json_object_object_get_ex(o, "hosts", &v)) {
		tgt_cfg_jpath_key(k, q, "hosts");
		if (!json_object_is_type(v, json_type_array)) {
			return tgt_cfg_err(c, k, "must be an array of host NQNs or {nqn, psk} objects");
		}
		s->nhosts = json_object_array_length(v);
		s->hosts = calloc(s->nhosts + 1, sizeof(*s->hosts));
		if (s->hosts == NULL) {
			return -ENOMEM;
		}
		for (size_t i = 0; i < s->nhosts; i++) {
			struct json_object *h = json_object_array_get_idx(v, i);
			char e[CFG_PATH_LEN];

			tgt_cfg_jpath_idx(e, k, i);
			if (json_object_is_type(h, json_type_object)) {
				char f[CFG_PATH_LEN];

				rc = tgt_cfg_check_keys(c, e, h, g_host_keys);
				rc = rc ?: tgt_cfg_get_str(c, e, h, "nqn", &s->hosts[i].nqn);
				rc = rc ?: tgt_cfg_get_str(c, e, h, "psk", &s->hosts[i].psk);
				rc = rc ?: tgt_cfg_get_dhchap(c, e, h, &s->hosts[i]);
				if (rc != 0) {
					return rc;
				}
				if (json_object_object_get_ex(h, "psk_unsaved", NULL)) {
					/* save_config's mark for a key given as a value. */
					tgt_cfg_jpath_key(f, e, "psk_unsaved");
					return tgt_cfg_err(c, f, "the PSK of host %s was given as a "
							   "value and is not saved: give \"psk\": "
							   "a key file",
							   s->hosts[i].nqn != NULL ? s->hosts[i].nqn :
							   "?");
				}
				tgt_cfg_jpath_key(f, e, "nqn");
				if (s->hosts[i].nqn == NULL) {
					return tgt_cfg_err(c, f, "missing");
				}
				if (!nvtcp_nqn_valid(s->hosts[i].nqn, why, sizeof(why))) {
					return tgt_cfg_err(c, f, "'%s': %s", s->hosts[i].nqn, why);
				}
				continue;
			}
			if (!json_object_is_type(h, json_type_string)) {
				return tgt_cfg_err(c, e, "must be a host NQN or an {nqn, psk} object");
			}
			s->hosts[i].nqn = json_object_get_string(h);
			if (!nvtcp_nqn_valid(s->hosts[i].nqn, why, sizeof(why))) {
				return tgt_cfg_err(c, e, "'%s': %s", s->hosts[i].nqn, why);
			}
		}
	}
	if (json_object_object_get_ex(o, "listeners", &v)) {
		tgt_cfg_jpath_key(k, q, "listeners");
		rc = parse_listeners(c, k, v, &s->listeners, &s->nlisteners);
		for (size_t i = 0; rc == 0 && i < s->nlisteners; i++) {
			if (strcmp(s->listeners[i].port, "0") == 0) {
				char e[CFG_PATH_LEN], f[CFG_PATH_LEN];

				tgt_cfg_jpath_idx(e, k, i);
				tgt_cfg_jpath_key(f, e, "port");
				rc = tgt_cfg_err(c, f, "0 is not allowed for a subsystem's listener");
			}
		}
		if (rc != 0) {
			return rc;
		}
	}
	if (json_object_object_get_ex(o, "namespaces", &v)) {
		tgt_cfg_jpath_key(k, q, "namespaces");
		if (!json_object_is_type(v, json_type_array)) {
			return tgt_cfg_err(c, k, "must be an array");
		}
		s->nns = json_object_array_length(v);
		s->ns = calloc(s->nns + 1, sizeof(*s->ns));
		if (s->ns == NULL) {
			return -ENOMEM;
		}
		for (size_t i = 0; i < s->nns; i++) {
			char e[CFG_PATH_LEN], f[CFG_PATH_LEN];

			tgt_cfg_jpath_idx(e, k, i);
			rc = tgt_cfg_parse_ns(c, e, json_object_array_get_idx(v, i), &s->ns[i].opts);
			if (rc != 0) {
				return rc;
			}
			if (s->ns[i].opts.nsid > s->opts.max_namespaces) {
				tgt_cfg_jpath_key(f, e, "nsid");
				return tgt_cfg_err(c, f, "%u is above max_namespaces %u",
					       s->ns[i].opts.nsid, s->opts.max_namespaces);
			}
			for (size_t j = 0; j < i; j++) {
				if (s->ns[i].opts.nsid != 0 && s->ns[j].opts.nsid == s->ns[i].opts.nsid) {
					tgt_cfg_jpath_key(f, e, "nsid");
					return tgt_cfg_err(c, f, "%u is used twice", s->ns[i].opts.nsid);
				}
			}
		}
	}
	return 0;
}

static void
doc_free(struct cfg_doc *d)
{
	for (size_t i = 0; i < d->nsubsys; i++) {
		free(d->subsys[i].hosts);
		free(d->subsys[i].ns);
		free(d->subsys[i].listeners);
	}
	free(d->subsys);
	free(d->listeners);
}

static int
parse_doc(struct tgt_cfg *c, struct json_object *doc, struct cfg_doc *d,
	  struct nvtcp_tgt_opts *opts)
{
	struct json_object *v;
	int rc;

	rc = tgt_cfg_check_keys(c, "$", doc, g_top_keys);
	if (rc == 0 && json_object_object_get_ex(doc, "options", &v)) {
		rc = parse_opts(c, v, opts);
	}
	if (rc == 0 && json_object_object_get_ex(doc, "listeners", &v)) {
		rc = parse_listeners(c, "$.listeners", v, &d->listeners, &d->nlisteners);
		for (size_t i = 0; rc == 0 && i < d->nlisteners; i++) {
			if (d->listeners[i].ana_groups != NULL) {
				char e[CFG_PATH_LEN], f[CFG_PATH_LEN];

				tgt_cfg_jpath_idx(e, "$.listeners", i);
				tgt_cfg_jpath_key(f, e, "ana_groups");
				rc = tgt_cfg_err(c, f, "only a subsystem's own listener has ANA "
						 "states");
			}
		}
	}
	if (rc == 0 && json_object_object_get_ex(doc, "subsystems", &v)) {
		if (!json_object_is_type(v, json_type_array)) {
			return tgt_cfg_err(c, "$.subsystems", "must be an array");
		}
		d->nsubsys = json_object_array_length(v);
		d->subsys = calloc(d->nsubsys + 1, sizeof(*d->subsys));
		if (d->subsys == NULL) {
			return -ENOMEM;
		}
		for (size_t i = 0; i < d->nsubsys && rc == 0; i++) {
			char q[CFG_PATH_LEN];

			tgt_cfg_jpath_idx(q, "$.subsystems", i);
			rc = parse_subsys(c, q, json_object_array_get_idx(v, i), &d->subsys[i]);
			for (size_t j = 0; rc == 0 && j < i; j++) {
				if (strcmp(d->subsys[i].nqn, d->subsys[j].nqn) == 0) {
					char k[CFG_PATH_LEN];

					tgt_cfg_jpath_key(k, q, "nqn");
					rc = tgt_cfg_err(c, k, "%s is used twice", d->subsys[i].nqn);
				}
			}
		}
	}
	return rc;
}

int
nvtcp_tgt_config_load_opts(const char *path, struct nvtcp_tgt_opts *opts, char *err,
			   size_t errlen)
{
	struct tgt_cfg c = {.file = path, .err = err, .errlen = errlen};
	struct nvtcp_tgt_opts tmp = *opts;
	struct json_object *doc = NULL;
	struct cfg_doc d = {0};
	int rc;

	rc = load_doc(&c, path, &doc);
	if (rc == 0) {
		rc = parse_doc(&c, doc, &d, &tmp);
	}
	if (rc == 0) {
		/* The model string lives in the document, which goes now: keep a copy. */
		static char model[NVTCP_TGT_MN_MAX_LEN + 1];

		if (tmp.default_model != opts->default_model) {
			snprintf(model, sizeof(model), "%s", tmp.default_model);
			tmp.default_model = model;
		}
		*opts = tmp;
	}
	doc_free(&d);
	json_object_put(doc);
	return rc;
}

int
nvtcp_tgt_config_load(struct nvtcp_tgt *tgt, const char *path, char *err, size_t errlen)
{
	struct tgt_cfg c = {.file = path, .err = err, .errlen = errlen};
	struct nvtcp_tgt_opts opts;
	struct json_object *doc = NULL;
	struct cfg_doc d = {0};
	char why[256];
	int rc;

	nvtcp_tgt_opts_init(&opts);
	rc = load_doc(&c, path, &doc);
	if (rc == 0) {
		rc = parse_doc(&c, doc, &d, &opts);
	}
	/* Checked; now applied, in document order. */
	for (size_t i = 0; rc == 0 && i < d.nsubsys; i++) {
		struct cfg_subsys *s = &d.subsys[i];
		char q[CFG_PATH_LEN];

		tgt_cfg_jpath_idx(q, "$.subsystems", i);
		rc = s->discovery ? 0 : nvtcp_tgt_add_subsys(tgt, s->nqn, &s->opts, why, sizeof(why));
		if (rc != 0) {
			tgt_cfg_err(&c, q, "%s", why);
			break;
		}
		for (size_t h = 0; rc == 0 && h < s->nhosts; h++) {
			rc = tgt_cfg_add_host(tgt, s->nqn, &s->hosts[h], why, sizeof(why));
			if (rc != 0) {
				char k[CFG_PATH_LEN], e[CFG_PATH_LEN];

				tgt_cfg_jpath_key(k, q, "hosts");
				tgt_cfg_jpath_idx(e, k, h);
				tgt_cfg_err(&c, e, "%s", why);
			}
		}
		for (size_t n = 0; rc == 0 && n < s->nns; n++) {
			rc = nvtcp_tgt_add_ns(tgt, s->nqn, &s->ns[n].opts, NULL, why, sizeof(why));
			if (rc != 0) {
				char k[CFG_PATH_LEN], e[CFG_PATH_LEN];

				tgt_cfg_jpath_key(k, q, "namespaces");
				tgt_cfg_jpath_idx(e, k, n);
				tgt_cfg_err(&c, e, "%s", why);
			}
		}
		for (size_t n = 0; rc == 0 && n < s->nlisteners; n++) {
			rc = nvtcp_tgt_subsys_add_listener_ext(tgt, s->nqn, s->listeners[n].addr,
							       s->listeners[n].port,
							       &s->listeners[n].opts, why,
							       sizeof(why));
			rc = rc ?: tgt_ana_cfg_apply(tgt, s->nqn, s->listeners[n].addr,
						     s->listeners[n].port,
						     s->listeners[n].ana_groups, why, sizeof(why));
			if (rc != 0) {
				char k[CFG_PATH_LEN], e[CFG_PATH_LEN];

				tgt_cfg_jpath_key(k, q, "listeners");
				tgt_cfg_jpath_idx(e, k, n);
				tgt_cfg_err(&c, e, "%s", why);
			}
		}
	}
	for (size_t i = 0; rc == 0 && i < d.nlisteners; i++) {
		rc = nvtcp_tgt_add_listener_ext(tgt, d.listeners[i].addr, d.listeners[i].port,
						&d.listeners[i].opts, why, sizeof(why));
		if (rc != 0) {
			char q[CFG_PATH_LEN];

			tgt_cfg_jpath_idx(q, "$.listeners", i);
			tgt_cfg_err(&c, q, "%s", why);
		}
	}
	doc_free(&d);
	json_object_put(doc);
	return rc;
}

int
nvtcp_tgt_config_dma_bytes(const char *path, uint64_t *bytes, char *err, size_t errlen)
{
	struct tgt_cfg c = {.file = path, .err = err, .errlen = errlen};
	struct nvtcp_tgt_opts opts;
	struct json_object *doc = NULL;
	struct cfg_doc d = {0};
	uint64_t total = 0;
	int rc;

	nvtcp_tgt_opts_init(&opts);
	rc = load_doc(&c, path, &doc);
	if (rc == 0) {
		rc = parse_doc(&c, doc, &d, &opts);
	}
	for (size_t i = 0; rc == 0 && i < d.nsubsys; i++) {
		for (size_t n = 0; n < d.subsys[i].nns; n++) {
			const struct nvtcp_tgt_ns_opts *o = &d.subsys[i].ns[n].opts;

			if (o->backend_name != NULL) {
				continue;
			}
			if (o->backend == NVTCP_TGT_BACKEND_MALLOC) {
				total += o->size;
			} else if (o->backend == NVTCP_TGT_BACKEND_NULL) {
				total += opts.max_io_size;
			}
		}
	}
	*bytes = total;
	doc_free(&d);
	json_object_put(doc);
	return rc;
}
