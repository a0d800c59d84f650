/*
 * NVMe in-band authentication (DH-HMAC-CHAP) on the target: a host's secrets and allowed
 * algorithms, the Authentication Send / Receive commands of each queue driven by lib/auth's
 * controller engine, the gate that refuses everything else until the queue has authenticated,
 * and the per-step timeout.
 *
 * What the specification and Linux nvmet (6.12) agree on, and this follows:
 * - A Connect response sets AUTHREQ.ATR for a host with a key; every queue (admin and I/O)
 *   authenticates on its own.
 * - Until then, commands other than Authentication Send/Receive and Disconnect fail with the
 *   Fabrics status Authentication Required (SCT 1h, SC 91h) with DNR; that includes the
 *   Property Get/Set of the controller's initialisation, so CC.EN cannot be set.
 * - A Receive returns the whole allocation length (the message, then zeroes), as nvmet does.
 * - After a Failure1 has been returned, or a Failure2 received, the queue is closed (nvmet
 *   tears the controller down too); the admin queue's close ends its controller.
 * - AUTH_Negotiate on an authenticated queue starts a new transaction (re-authentication);
 *   the queue stays usable meanwhile and is closed if that transaction fails.
 * The controller has no way in the specification to start a transaction itself: it can only
 * ask for one in the Connect response (ATR). Re-authentication is always host-initiated.
 *
 * The DH work runs on the queue's reactor inside the command: the number of queues in a
 * first transaction is bounded per listener and per source address (limits.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "target_internal.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

/* ---- Algorithm lists ---------------------------------------------------------------------- */

int
nvtcp_tgt_dhchap_mask_parse(const char *list, bool dhgroups, uint32_t *mask, char *err,
			    size_t errlen)
{
	const char *what = dhgroups ? "DH group" : "hash";
	const char *p = list;
	uint32_t m = 0;

	*mask = 0;
	if (list == NULL || list[0] == '\0') {
		ERR("empty %s list", what);
		return -EINVAL;
	}
	while (true) {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		char name[32];
		int id;

		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
			n--;
		}
		if (n == 0 || n >= sizeof(name)) {
			ERR("%s list '%s': %s entry", what, list, n == 0 ? "empty" : "unknown");
			return -EINVAL;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		id = dhgroups ? nvtcp_auth_dhgroup_from_name(name) : nvtcp_auth_hash_from_name(name);
		if (id < 0) {
			ERR("unknown %s '%s' (%s)", what, name,
			    dhgroups ? "null, ffdhe2048, ffdhe3072, ffdhe4096, ffdhe6144, ffdhe8192" :
			    "sha256, sha384, sha512");
			return -EINVAL;
		}
		m |= 1u << id;
		if (end == NULL) {
			break;
		}
		p = end + 1;
	}
	*mask = m;
	return 0;
}

int
nvtcp_tgt_dhchap_mask_format(uint32_t mask, bool dhgroups, char *out, size_t outlen)
{
	size_t off = 0;

	if (outlen == 0) {
		return -ENOSPC;
	}
	out[0] = '\0';
	for (uint8_t id = 0; id < 32; id++) {
		const char *name;
		int n;

		if (!(mask & (1u << id))) {
			continue;
		}
		name = dhgroups ? nvtcp_auth_dhgroup_name(id) : nvtcp_auth_hash_name(id);
		if (name == NULL) {
			continue;
		}
		n = snprintf(out + off, outlen - off, "%s%s", off > 0 ? "," : "", name);
		if (n < 0 || (size_t)n >= outlen - off) {
			return -ENOSPC;
		}
		off += (size_t)n;
	}
	return 0;
}

/* ---- Host configuration (M) --------------------------------------------------------------- */

static bool
secret_is_text(const char *s)
{
	return strncmp(s, "DHHC-1:", 7) == 0;
}

void
tgt_auth_host_clear(struct tgt_host *h)
{
	nvtcp_auth_secret_wipe(&h->dhchap_key);
	nvtcp_auth_secret_wipe(&h->dhchap_ctrl_key);
	free(h->dhchap_key_path);
	free(h->dhchap_ctrl_key_path);
	h->dhchap_key_path = NULL;
	h->dhchap_ctrl_key_path = NULL;
	h->has_dhchap = false;
	h->has_dhchap_ctrl = false;
	h->dhchap_hashes = 0;
	h->dhchap_dhgroups = 0;
}

/* Load one secret; \p field names it in errors (never the secret). */
static int
load_secret(const char *hostnqn, const char *field, const char *src,
	    struct nvtcp_auth_secret *key, char **path, char *err, size_t errlen)
{
	char why[192];
	int rc;

	rc = nvtcp_auth_secret_load(src, key, why, sizeof(why));
	if (rc != 0) {
		nvtcp_auth_secret_wipe(key);
		if (rc == -EINVAL || rc == -EPERM) {
			ERR("host %s: %s: %s", hostnqn, field, why);
		} else {
			/* A text secret never gets here: only a file can fail with an errno. */
			ERR("host %s: %s file %s: %s", hostnqn, field, src, strerror(-rc));
		}
		return rc;
	}
	if (!secret_is_text(src)) {
		*path = strdup(src);
		if (*path == NULL) {
			nvtcp_auth_secret_wipe(key);
			ERR("out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

int
tgt_auth_host_set(struct tgt_host *h, const struct nvtcp_tgt_host_opts *opts, char *err,
		  size_t errlen)
{
	int rc;

	if (opts == NULL || (opts->dhchap_key == NULL && opts->dhchap_ctrl_key == NULL &&
			     opts->dhchap_hashes == 0 && opts->dhchap_dhgroups == 0)) {
		return 0;
	}
	if (opts->dhchap_key == NULL) {
		ERR("host %s: %s needs dhchap_key", h->nqn,
		    opts->dhchap_ctrl_key != NULL ? "dhchap_ctrl_key" :
		    opts->dhchap_hashes != 0 ? "dhchap_hashes" : "dhchap_dhgroups");
		return -EINVAL;
	}
	if (opts->dhchap_hashes & ~NVTCP_AUTH_HASH_ALL) {
		ERR("host %s: dhchap_hashes 0x%x: unknown hash bits (valid 0x%x)", h->nqn,
		    opts->dhchap_hashes, NVTCP_AUTH_HASH_ALL);
		return -EINVAL;
	}
	if (opts->dhchap_dhgroups & ~NVTCP_AUTH_DHGROUP_ALL) {
		ERR("host %s: dhchap_dhgroups 0x%x: unknown DH group bits (valid 0x%x)", h->nqn,
		    opts->dhchap_dhgroups, NVTCP_AUTH_DHGROUP_ALL);
		return -EINVAL;
	}
	rc = load_secret(h->nqn, "dhchap_key", opts->dhchap_key, &h->dhchap_key,
			 &h->dhchap_key_path, err, errlen);
	if (rc != 0) {
		return rc;
	}
	if (opts->dhchap_ctrl_key != NULL) {
		rc = load_secret(h->nqn, "dhchap_ctrl_key", opts->dhchap_ctrl_key,
				 &h->dhchap_ctrl_key, &h->dhchap_ctrl_key_path, err, errlen);
		if (rc != 0) {
			tgt_auth_host_clear(h);
			return rc;
		}
		h->has_dhchap_ctrl = true;
	}
	h->has_dhchap = true;
	h->dhchap_hashes = opts->dhchap_hashes;
	h->dhchap_dhgroups = opts->dhchap_dhgroups;
	return 0;
}

int
tgt_auth_host_replace(struct tgt_host *h, const struct nvtcp_tgt_host_opts *opts, char *err,
		      size_t errlen)
{
	struct tgt_host n;
	int rc;

	if (opts == NULL || opts->dhchap_key == NULL) {
		ERR("host %s: dhchap_key: missing (a host's keys are replaced, not cleared: "
		    "remove_host and add_host it to drop authentication)", h->nqn);
		return -EINVAL;
	}
	/* Load into a scratch entry: a bad file or mask leaves the host as it was. */
	memset(&n, 0, sizeof(n));
	snprintf(n.nqn, sizeof(n.nqn), "%s", h->nqn);
	rc = tgt_auth_host_set(&n, opts, err, errlen);
	if (rc != 0) {
		OPENSSL_cleanse(&n, sizeof(n));
		return rc;
	}
	if (opts->dhchap_hashes == 0) {
		n.dhchap_hashes = h->dhchap_hashes;
	}
	if (opts->dhchap_dhgroups == 0) {
		n.dhchap_dhgroups = h->dhchap_dhgroups;
	}
	tgt_auth_host_clear(h);
	h->has_dhchap = n.has_dhchap;
	h->has_dhchap_ctrl = n.has_dhchap_ctrl;
	h->dhchap_key = n.dhchap_key;
	h->dhchap_ctrl_key = n.dhchap_ctrl_key;
	h->dhchap_key_path = n.dhchap_key_path;
	h->dhchap_ctrl_key_path = n.dhchap_ctrl_key_path;
	h->dhchap_hashes = n.dhchap_hashes;
	h->dhchap_dhgroups = n.dhchap_dhgroups;
	OPENSSL_cleanse(&n, sizeof(n));
	return 0;
}

const struct tgt_host *
tgt_subsys_host_find(const struct tgt_subsys *s, const char *hostnqn)
{
	const struct tgt_host *h;

	TAILQ_FOREACH(h, &s->hosts, link) {
		if (strcmp(h->nqn, hostnqn) == 0) {
			return h;
		}
	}
	return NULL;
}

struct tgt_auth_keys *
tgt_auth_keys_get(const struct tgt_host *h)
{
	struct tgt_auth_keys *k = calloc(1, sizeof(*k));

	if (k == NULL) {
		return NULL;
	}
	k->host = h->dhchap_key;
	k->has_ctrl = h->has_dhchap_ctrl;
	if (k->has_ctrl) {
		k->ctrl = h->dhchap_ctrl_key;
	}
	k->hashes = h->dhchap_hashes;
	k->dhgroups = h->dhchap_dhgroups;
	return k;
}

void
tgt_auth_keys_free(struct tgt_auth_keys *k)
{
	if (k == NULL) {
		return;
	}
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* ---- Queues (pg) -------------------------------------------------------------------------- */

static uint64_t
auth_timeout_ticks(const struct tgt_conn *conn)
{
	return (uint64_t)conn->tgt->opts.auth_timeout_ms * nvtcp_env_get_ticks_hz() / 1000;
}

int
tgt_auth_conn_start(struct tgt_conn *conn, struct tgt_auth_keys *keys, const char *subnqn,
		    bool charged)
{
	struct tgt_auth *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		tgt_auth_keys_free(keys);
		return -ENOMEM;
	}
	a->keys = *keys;
	tgt_auth_keys_free(keys);
	snprintf(a->subnqn, sizeof(a->subnqn), "%s", subnqn);
	/* S1 starts at a random point so that transactions of different queues and targets do
	 * not repeat each other's values (the specification wants it unique per transaction). */
	if (RAND_bytes((unsigned char *)&a->seqnum, sizeof(a->seqnum)) != 1) {
		a->seqnum = (uint32_t)nvtcp_env_get_ticks();
	}
	a->charged = charged;
	a->deadline = nvtcp_env_get_ticks() + auth_timeout_ticks(conn);
	a->wait = "AUTH_Negotiate";
	conn->auth = a;
	return 0;
}

void
tgt_auth_conn_free(struct tgt_conn *conn)
{
	struct tgt_auth *a = conn->auth;

	if (a == NULL) {
		return;
	}
	nvtcp_auth_ctrl_free(a->tx);
	tgt_auth_keys_free(a->pending);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
	conn->auth = NULL;
}

/* Take \p k as the queue's keys, wiping the ones it replaces. */
static void
auth_keys_install(struct tgt_auth *a, struct tgt_auth_keys *k)
{
	OPENSSL_cleanse(&a->keys, sizeof(a->keys));
	a->keys = *k;
	tgt_auth_keys_free(k);
}

void
tgt_auth_conn_rekey(struct tgt_conn *conn, struct tgt_auth_keys *keys)
{
	struct tgt_auth *a = conn->auth;

	/* A queue admitted without authentication (the host had no key at its Connect) stays
	 * as it was: nothing in the protocol lets the controller demand a transaction now. */
	if (a == NULL) {
		tgt_auth_keys_free(keys);
		return;
	}
	if (a->tx == NULL) {
		auth_keys_install(a, keys);
		return;
	}
	/* The engine points at a->keys: swapping them mid-transaction would mix two keys in
	 * one exchange. The newest pending set wins. */
	tgt_auth_keys_free(a->pending);
	a->pending = keys;
}

/* The first transaction is over (either way): its slot goes back to M. */
static void
auth_release_slot(struct tgt_conn *conn)
{
	struct tgt_auth *a = conn->auth;

	if (a->charged) {
		a->charged = false;
		tgt_send_msg(conn->tgt->mgmt, tgt_lease_auth_done_msg, conn->lease);
	}
}

uint16_t
tgt_auth_expect(struct tgt_req *req, int64_t *exp, uint8_t *xfer)
{
	const struct nvtcp_nvmf_auth_cmd *ac = (const void *)&req->cmd;
	struct tgt_conn *conn = req->conn;
	bool send = ac->fctype == NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND;
	const char *name = send ? "Authentication Send" : "Authentication Receive";
	uint32_t max = send ? NVTCP_AUTH_MSG_MAX_LEN : conn->tgt->opts.buf_size;

	if (conn->auth == NULL) {
		NVTCP_ERRLOG("%s: qid %u: %s, but host %s has no DH-HMAC-CHAP key on this "
			     "subsystem\n", conn->peer, conn->qid, name,
			     tgt_hostnqn_str(conn->hostnqn));
		return nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true);
	}
	if (ac->secp != NVTCP_AUTH_SECP || ac->spsp0 != NVTCP_AUTH_SPSP0 ||
	    ac->spsp1 != NVTCP_AUTH_SPSP1) {
		NVTCP_ERRLOG("%s: qid %u: %s with SECP 0x%02x SPSP0 0x%02x SPSP1 0x%02x (want "
			     "0x%02x/0x%02x/0x%02x)\n", conn->peer, conn->qid, name, ac->secp,
			     ac->spsp0, ac->spsp1, NVTCP_AUTH_SECP, NVTCP_AUTH_SPSP0,
			     NVTCP_AUTH_SPSP1);
		return nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true);
	}
	if (ac->len == 0 || ac->len > max) {
		NVTCP_ERRLOG("%s: qid %u: %s with %s %u (1..%u)\n", conn->peer, conn->qid, name,
			     send ? "TL" : "AL", ac->len, max);
		return nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true);
	}
	*exp = ac->len;
	*xfer = send ? NVTCP_NVME_DATA_HOST_TO_CTRLR : NVTCP_NVME_DATA_CTRLR_TO_HOST;
	return 0;
}

/* Start a transaction (the first, or a re-authentication), replacing any unfinished one. */
static int
auth_begin(struct tgt_conn *conn)
{
	struct tgt_auth *a = conn->auth;
	struct nvtcp_auth_ctrl_params p;

	nvtcp_auth_ctrl_free(a->tx);
	a->tx = NULL;
	if (a->pending != NULL) {
		auth_keys_install(a, a->pending);
		a->pending = NULL;
	}
	if (++a->seqnum == 0) {
		a->seqnum = 1;
	}
	memset(&p, 0, sizeof(p));
	p.hostnqn = conn->hostnqn;
	p.subnqn = a->subnqn;
	p.host_secret = &a->keys.host;
	p.ctrl_secret = a->keys.has_ctrl ? &a->keys.ctrl : NULL;
	p.hash_mask = a->keys.hashes;
	p.dhgroup_mask = a->keys.dhgroups;
	p.seqnum = a->seqnum;
	a->transactions++;
	if (a->authenticated) {
		NVTCP_NOTICELOG("host %s (%s): controller %u qid %u: re-authentication requested\n",
				tgt_hostnqn_str(conn->hostnqn), conn->peer, conn->cntlid, conn->qid);
	}
	return nvtcp_auth_ctrl_create(&p, &a->tx);
}

/* Where the transaction stands after a message in or out: arm the step timer, or finish. */
static void
auth_advance(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct tgt_auth *a = conn->auth;
	const char *step = "?";
	bool by_host = false;
	uint8_t exp;

	switch (nvtcp_auth_ctrl_next(a->tx)) {
	case NVTCP_AUTH_NEXT_SEND:
		a->deadline = nvtcp_env_get_ticks() + auth_timeout_ticks(conn);
		a->wait = "Authentication Receive";
		return;
	case NVTCP_AUTH_NEXT_RECV:
		a->deadline = nvtcp_env_get_ticks() + auth_timeout_ticks(conn);
		a->wait = "Authentication Send";
		return;
	case NVTCP_AUTH_NEXT_DONE:
		nvtcp_auth_ctrl_result(a->tx, &a->result);
		nvtcp_auth_ctrl_free(a->tx);
		a->tx = NULL;
		a->deadline = 0;
		a->wait = NULL;
		a->authenticated = true;
		auth_release_slot(conn);
		NVTCP_NOTICELOG("host %s (%s): controller %u qid %u authenticated: %s, %s, %s\n",
				tgt_hostnqn_str(conn->hostnqn), conn->peer, conn->cntlid, conn->qid,
				nvtcp_auth_hash_name(a->result.hash_id) ?: "?",
				nvtcp_auth_dhgroup_name(a->result.dhgroup_id) ?: "?",
				a->result.bidirectional ? "bidirectional" : "unidirectional");
		return;
	case NVTCP_AUTH_NEXT_FAILED:
	default:
		break;
	}
	exp = nvtcp_auth_ctrl_failure(a->tx, &by_host, &step);
	NVTCP_ERRLOG("authentication failed: host %s (%s), qid %u, step %s, reason %s (%s)\n",
		     tgt_hostnqn_str(conn->hostnqn), conn->peer, conn->qid, step != NULL ? step : "?",
		     nvtcp_auth_failure_name(exp),
		     by_host ? "the host's AUTH_Failure2" : "AUTH_Failure1 sent");
	nvtcp_auth_ctrl_free(a->tx);
	a->tx = NULL;
	a->deadline = 0;
	auth_release_slot(conn);
	/* The queue is refused from here on: it closes once this response is out. */
	req->close_after = true;
	req->close_why = "authentication failed";
}

void
tgt_auth_send(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct tgt_auth *a = conn->auth;
	uint8_t msg[NVTCP_AUTH_MSG_MAX_LEN];
	size_t len = req->xfer_len;
	const struct nvtcp_auth_hdr *hdr = (const void *)msg;
	uint8_t type, id;
	int rc;

	nvtcp_iov_to_buf(req->iov, req->iovcnt, 0, msg, len);
	type = len >= sizeof(*hdr) ? hdr->auth_type : 0;
	id = len >= sizeof(*hdr) ? hdr->auth_id : 0;
	/* A message that is not a Negotiate while no transaction runs still goes to the
	 * engine, which answers it with a Failure1 (incorrect protocol message). */
	if (a->tx == NULL || (len >= sizeof(*hdr) && type == NVTCP_AUTH_TYPE_COMMON &&
			      id == NVTCP_AUTH_ID_NEGOTIATE)) {
		rc = auth_begin(conn);
		if (rc != 0) {
			NVTCP_ERRLOG("%s: qid %u: cannot start an authentication transaction: %s\n",
				     conn->peer, conn->qid, strerror(-rc));
			OPENSSL_cleanse(msg, len);
			tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR, false);
			return;
		}
	}
	rc = nvtcp_auth_ctrl_process(a->tx, msg, len);
	OPENSSL_cleanse(msg, len);
	if (rc != 0) {
		NVTCP_ERRLOG("%s: qid %u: Authentication Send of %zu bytes (type 0x%02x id 0x%02x) "
			     "is no message of this step\n", conn->peer, conn->qid, len, type, id);
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD,
					true);
		return;
	}
	auth_advance(req);
	tgt_req_complete(req);
}

void
tgt_auth_recv(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct tgt_auth *a = conn->auth;
	uint8_t msg[NVTCP_AUTH_MSG_MAX_LEN];
	size_t cap = NVTCP_MIN((size_t)req->xfer_len, sizeof(msg));
	size_t off;
	int n;

	if (a->tx == NULL) {
		NVTCP_ERRLOG("%s: qid %u: Authentication Receive without a transaction in "
			     "progress\n", conn->peer, conn->qid);
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
					NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR, true);
		return;
	}
	n = nvtcp_auth_ctrl_build(a->tx, msg, cap);
	if (n < 0) {
		NVTCP_ERRLOG("%s: qid %u: Authentication Receive with AL %u: %s\n", conn->peer,
			     conn->qid, req->xfer_len,
			     n == -ENOSPC ? "too small for the message due" : "no message is due");
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
					n == -ENOSPC ? NVTCP_NVME_SC_INVALID_FIELD :
					NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR, true);
		return;
	}
	/* The whole allocation length goes back: the message, then zeroes (as nvmet). */
	off = nvtcp_iov_from_buf(req->iov, req->iovcnt, 0, msg, (size_t)n);
	OPENSSL_cleanse(msg, (size_t)n);
	for (int i = 0; i < req->iovcnt; i++) {
		size_t l = req->iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		memset((uint8_t *)req->iov[i].iov_base + off, 0, l - off);
		off = 0;
	}
	auth_advance(req);
	tgt_req_complete(req);
}

bool
tgt_auth_check_timeout(struct tgt_conn *conn, uint64_t now)
{
	struct tgt_auth *a = conn->auth;

	if (conn->state != TGT_CONN_LIVE || a->deadline == 0 || now <= a->deadline) {
		return false;
	}
	NVTCP_ERRLOG("authentication failed: host %s (%s), qid %u, step %s, reason timed out "
		     "(nothing within %u ms)\n", tgt_hostnqn_str(conn->hostnqn), conn->peer,
		     conn->qid, a->wait != NULL ? a->wait : "?", conn->tgt->opts.auth_timeout_ms);
	a->deadline = 0;
	tgt_conn_close(conn, "authentication timed out waiting for %s",
		       a->wait != NULL ? a->wait : "?");
	return true;
}

/* ---- JSON (configuration file and RPC) ---------------------------------------------------- */

/* An algorithm list: an array of names or one comma-separated string. */
static int
cfg_get_mask(struct tgt_cfg *c, const char *parent, struct json_object *obj, const char *key,
	     bool dhgroups, uint32_t *mask)
{
	struct json_object *v;
	char p[TGT_CFG_PATH_LEN], why[160];
	uint32_t m = 0;

	if (!json_object_object_get_ex(obj, key, &v)) {
		return 0;
	}
	tgt_cfg_jpath_key(p, parent, key);
	if (json_object_is_type(v, json_type_string)) {
		if (nvtcp_tgt_dhchap_mask_parse(json_object_get_string(v), dhgroups, mask, why,
						sizeof(why)) != 0) {
			return tgt_cfg_err(c, p, "%s", why);
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0) {
		return tgt_cfg_err(c, p, "must be a non-empty array of names or a comma-separated "
				   "string");
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		char q[TGT_CFG_PATH_LEN];
		uint32_t one;

		tgt_cfg_jpath_idx(q, p, i);
		if (!json_object_is_type(e, json_type_string)) {
			return tgt_cfg_err(c, q, "must be a string");
		}
		if (nvtcp_tgt_dhchap_mask_parse(json_object_get_string(e), dhgroups, &one, why,
						sizeof(why)) != 0) {
			return tgt_cfg_err(c, q, "%s", why);
		}
		m |= one;
	}
	*mask = m;
	return 0;
}

int
tgt_cfg_get_dhchap(struct tgt_cfg *c, const char *parent, struct json_object *obj,
		   struct tgt_cfg_host *h)
{
	int rc;

	rc = tgt_cfg_get_str(c, parent, obj, "dhchap_key", &h->dhchap_key);
	rc = rc ?: tgt_cfg_get_str(c, parent, obj, "dhchap_ctrl_key", &h->dhchap_ctrl_key);
	rc = rc ?: cfg_get_mask(c, parent, obj, "dhchap_hashes", false, &h->dhchap_hashes);
	rc = rc ?: cfg_get_mask(c, parent, obj, "dhchap_dhgroups", true, &h->dhchap_dhgroups);
	return rc;
}

/* save_config: a secret given as a file is saved as its path; one given as text is not
 * saved at all, and the marker makes loading that configuration fail, naming the field,
 * instead of admitting the host without authentication. */
void
tgt_cfg_dhchap_json(const struct tgt_host *h, struct json_object *o)
{
	char list[128];

	if (!h->has_dhchap) {
		return;
	}
	json_object_object_add(o, "dhchap_key", json_object_new_string(
		h->dhchap_key_path != NULL ? h->dhchap_key_path : TGT_CFG_SECRET_NOT_SAVED));
	if (h->has_dhchap_ctrl) {
		json_object_object_add(o, "dhchap_ctrl_key", json_object_new_string(
			h->dhchap_ctrl_key_path != NULL ? h->dhchap_ctrl_key_path :
			TGT_CFG_SECRET_NOT_SAVED));
	}
	if (h->dhchap_hashes != 0 &&
	    nvtcp_tgt_dhchap_mask_format(h->dhchap_hashes, false, list, sizeof(list)) == 0) {
		json_object_object_add(o, "dhchap_hashes", json_object_new_string(list));
	}
	if (h->dhchap_dhgroups != 0 &&
	    nvtcp_tgt_dhchap_mask_format(h->dhchap_dhgroups, true, list, sizeof(list)) == 0) {
		json_object_object_add(o, "dhchap_dhgroups", json_object_new_string(list));
	}
}

/*
 * nvmf_subsystem_add_host: SPDK's parameter names "dhchap_key" and "dhchap_ctrlr_key", but
 * where SPDK takes the name of a keyring key, these take the path of a secret file (mode
 * 0600). A secret as text is refused here: an RPC request travels through the control
 * socket and the client's command line, and save_config could not write it back.
 */
int
tgt_auth_rpc_host_params(struct tgt_cfg *c, struct json_object *params, struct tgt_cfg_host *h)
{
	const char *ctrl = NULL;
	int rc;

	rc = tgt_cfg_get_str(c, "", params, "dhchap_key", &h->dhchap_key);
	rc = rc ?: tgt_cfg_get_str(c, "", params, "dhchap_ctrlr_key", &ctrl);
	rc = rc ?: cfg_get_mask(c, "", params, "dhchap_hashes", false, &h->dhchap_hashes);
	rc = rc ?: cfg_get_mask(c, "", params, "dhchap_dhgroups", true, &h->dhchap_dhgroups);
	if (rc != 0) {
		return rc;
	}
	h->dhchap_ctrl_key = ctrl;
	if (h->dhchap_key != NULL && secret_is_text(h->dhchap_key)) {
		return tgt_cfg_err(c, "dhchap_key", "secrets are not taken as text over RPC: give "
				   "the path of a file (mode 0600) that holds it");
	}
	if (ctrl != NULL && secret_is_text(ctrl)) {
		return tgt_cfg_err(c, "dhchap_ctrlr_key", "secrets are not taken as text over RPC: "
				   "give the path of a file (mode 0600) that holds it");
	}
	return 0;
}

/* nvmf_get_subsystems: what a host must do, and where its keys came from; never a key. */
void
tgt_auth_host_info_json(const struct tgt_host *h, struct json_object *o)
{
	char list[128];

	if (!h->has_dhchap) {
		return;
	}
	json_object_object_add(o, "dhchap_key", json_object_new_string(
		h->dhchap_key_path != NULL ? h->dhchap_key_path : "(set inline)"));
	if (h->has_dhchap_ctrl) {
		json_object_object_add(o, "dhchap_ctrlr_key", json_object_new_string(
			h->dhchap_ctrl_key_path != NULL ? h->dhchap_ctrl_key_path :
			"(set inline)"));
	}
	if (nvtcp_tgt_dhchap_mask_format(h->dhchap_hashes ?: NVTCP_AUTH_HASH_ALL, false, list,
					 sizeof(list)) == 0) {
		json_object_object_add(o, "dhchap_hashes", json_object_new_string(list));
	}
	if (nvtcp_tgt_dhchap_mask_format(h->dhchap_dhgroups ?: NVTCP_AUTH_DHGROUP_ALL, true,
					 list, sizeof(list)) == 0) {
		json_object_object_add(o, "dhchap_dhgroups", json_object_new_string(list));
	}
}

/* nvmf_get_stats: a queue's authentication ("dhchap" object of a qpair; SPDK reports an
 * "auth" object with state/digest/dhgroup in nvmf_subsystem_get_qpairs). */
void
tgt_auth_qpair_json(const struct nvtcp_tgt_conn_stats *cs, struct json_object *q)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "state", json_object_new_string(cs->authenticated ?
								  "completed" : "in_progress"));
	if (cs->authenticated) {
		json_object_object_add(a, "digest", json_object_new_string(
			nvtcp_auth_hash_name(cs->auth_hash) ?: "?"));
		json_object_object_add(a, "dhgroup", json_object_new_string(
			nvtcp_auth_dhgroup_name(cs->auth_dhgroup) ?: "?"));
		json_object_object_add(a, "bidirectional",
				       json_object_new_boolean(cs->auth_bidirectional));
	}
	json_object_object_add(q, "auth", a);
}
