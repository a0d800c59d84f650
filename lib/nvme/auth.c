/*
 * In-band authentication, host side (DH-HMAC-CHAP; NVMe Base Specification "Authentication",
 * TP 8006): the transport of one transaction of lib/auth's host engine over Fabrics
 * Authentication Send / Receive commands on one queue, and the controller options behind it.
 *
 * A transaction (struct nvme_auth) runs in one of two modes:
 * - Connect: the Connect response of a queue (admin or I/O) set AUTHREQ.ATR. The queue stays
 *   CONNECTING (conn_state NVME_CONN_AUTH; submissions wait) and the commands use the queue's
 *   reserved request, as the Connect did, bypassing the wire window. The queue counts as
 *   connected only when the transaction succeeded; any failure fails the connect (the
 *   attach, the I/O queue pair allocation, or the reconnect attempt) with -EACCES.
 * - Re-authentication (nvtcp_ctrlr_reauthenticate()): on the live admin queue, with ordinary
 *   driver requests among the application's admin commands; the outcome is reported to the
 *   caller's callback from the next admin poll.
 *
 * Steps, one function each: auth_step() asks the engine what comes next and issues it
 * (auth_send(): Negotiate, Reply, Success2 or Failure2; auth_recv(): Challenge, Success1 or
 * Failure1); auth_cmd_done() takes the completion and calls auth_step() again. Every command
 * is bounded by the admin command timeout (its own deadline, checked by the connect machine or
 * the admin poll). The engine checks transaction IDs, sequence numbers, lengths and the
 * responses; here only the transport is checked (command status, transfer length).
 *
 * The transaction ends with its connection: nvme_qpair_close_sock() calls
 * nvme_auth_qpair_closed() before the commands on the wire complete, so their completions find
 * no transaction (their CID no longer matches) and are ignored.
 *
 * Secrets never reach a log line or a failure reason: only names of hashes, groups, steps and
 * reason codes do.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "nvme_internal.h"
#include "nvtcp/nvmf_spec.h"

struct nvme_auth {
	struct nvtcp_qpair *qp;
	/* Ended (failed or cancelled) while a command was outstanding: the buffer may still be
	 * written by the transport, so the transaction stays on the queue pair until that command
	 * completes or the connection closes, and does nothing more. */
	bool cancelled;
	const char *last_sent;  /* name of the last message sent ("negotiate", "reply"...) */
	struct nvtcp_auth_host *eng;
	bool reauth;            /* on the live admin queue (nvtcp_ctrlr_reauthenticate()) */
	bool cmd_pending;       /* an Authentication Send/Receive is outstanding */
	bool cmd_recv;          /* ... and it is a Receive */
	bool submit_wait;       /* re-authentication: no free request yet, try again */
	uint16_t cid;           /* its CID (a completion for another CID is not ours) */
	uint16_t t_id;
	uint32_t rcvd;          /* Receive: bytes the controller transferred */
	uint32_t send_len;      /* Send: message length */
	uint64_t deadline;      /* of the outstanding command */
	const char *step;       /* what the outstanding command carries, for messages */
	uint8_t *buf;           /* NVTCP_AUTH_MSG_MAX_LEN bytes: the message of the command */
	/* nvtcp_ctrlr_reauthenticate_ext() with secrets of its own: the engine points at these
	 * copies (wiped with the transaction) instead of the controller's. */
	struct nvtcp_auth_secret own_key;
	struct nvtcp_auth_secret own_ctrl_key;
};

/* ---- Sequence numbers and transaction IDs -------------------------------------------------- */

/*
 * S2 of bidirectional transactions comes from one counter per process, as the specification
 * recommends (a sequence number is not reused for a while by the same host), started at a
 * random value. Zero means "no S2" on the wire and is skipped.
 */
static _Atomic uint32_t g_seqnum;

static uint32_t
next_seqnum(void)
{
	uint32_t cur = atomic_load_explicit(&g_seqnum, memory_order_relaxed);
	uint32_t next;

	if (cur == 0) {
		uint32_t seed = 0;

		if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1) {
			seed = (uint32_t)nvme_ticks();
		}
		seed &= 0x7FFFFFFFu;
		/* Only the first caller seeds; the others use what it stored. */
		(void)atomic_compare_exchange_strong(&g_seqnum, &cur, seed != 0 ? seed : 1);
	}
	do {
		next = atomic_fetch_add_explicit(&g_seqnum, 1, memory_order_relaxed) + 1;
	} while (next == 0);
	return next;
}

/* ---- Options ------------------------------------------------------------------------------ */

static int
load_secret(const char *option, const char *text, struct nvtcp_auth_secret *secret)
{
	char err[256];
	int rc;

	err[0] = '\0';
	rc = nvtcp_auth_secret_load(text, secret, err, sizeof(err));
	if (rc != 0) {
		/* lib/auth's reasons never contain the secret; a path is named by them. */
		NVTCP_ERRLOG("%s: %s\n", option, err[0] ? err : strerror(-rc));
		nvtcp_auth_secret_wipe(secret);
	}
	return rc;
}

int
nvme_auth_ctrlr_init(struct nvtcp_ctrlr *c)
{
	const char *key = c->opts.dhchap_secret, *ctrl_key = c->opts.dhchap_ctrl_secret;
	int rc;

	/* The options only borrowed the caller's strings: the secrets live in the controller. */
	c->opts.dhchap_secret = NULL;
	c->opts.dhchap_ctrl_secret = NULL;
	atomic_init(&c->auth_tid, 0);
	if ((c->opts.dhchap_hash_mask & ~NVTCP_AUTH_HASH_ALL) != 0) {
		NVTCP_ERRLOG("attach: dhchap_hash_mask 0x%x: unknown hash bits (valid: 0x%x)\n",
			     c->opts.dhchap_hash_mask, NVTCP_AUTH_HASH_ALL);
		return -EINVAL;
	}
	if ((c->opts.dhchap_dhgroup_mask & ~NVTCP_AUTH_DHGROUP_ALL) != 0) {
		NVTCP_ERRLOG("attach: dhchap_dhgroup_mask 0x%x: unknown DH group bits (valid: "
			     "0x%x)\n", c->opts.dhchap_dhgroup_mask, NVTCP_AUTH_DHGROUP_ALL);
		return -EINVAL;
	}
	if (key == NULL) {
		if (ctrl_key != NULL) {
			NVTCP_ERRLOG("attach: dhchap_ctrl_secret needs dhchap_secret (bidirectional "
				     "authentication also authenticates the host)\n");
			return -EINVAL;
		}
		return 0;
	}
	rc = load_secret("attach: dhchap_secret", key, &c->dhchap_key);
	if (rc != 0) {
		return rc;
	}
	if (ctrl_key != NULL) {
		rc = load_secret("attach: dhchap_ctrl_secret", ctrl_key, &c->dhchap_ctrl_key);
		if (rc != 0) {
			nvtcp_auth_secret_wipe(&c->dhchap_key);
			return rc;
		}
		c->dhchap_bidir = true;
	}
	c->dhchap = true;
	return 0;
}

void
nvme_auth_ctrlr_fini(struct nvtcp_ctrlr *c)
{
	nvtcp_auth_secret_wipe(&c->dhchap_key);
	nvtcp_auth_secret_wipe(&c->dhchap_ctrl_key);
	c->dhchap = false;
	c->dhchap_bidir = false;
}

/* ---- Transactions ------------------------------------------------------------------------- */

static const char *
hostnqn_of(const struct nvtcp_ctrlr *c)
{
	return c->trid.hostnqn[0] ? c->trid.hostnqn : c->opts.host.hostnqn;
}

static void
auth_free(struct nvme_auth *a)
{
	if (a == NULL) {
		return;
	}
	nvtcp_auth_host_free(a->eng);
	if (a->buf != NULL) {
		OPENSSL_cleanse(a->buf, NVTCP_AUTH_MSG_MAX_LEN);
		free(a->buf);
	}
	nvtcp_auth_secret_wipe(&a->own_key);
	nvtcp_auth_secret_wipe(&a->own_ctrl_key);
	free(a);
}

/*
 * \p key / \p ctrl_key: secrets for this transaction only (moved into it, the caller's
 * copies wiped), or NULL for the controller's.
 */
static struct nvme_auth *
auth_create(struct nvtcp_qpair *qp, bool reauth, struct nvtcp_auth_secret *key,
	    struct nvtcp_auth_secret *ctrl_key, int *rc)
{
	struct nvtcp_ctrlr *c = qp->ctrlr;
	struct nvtcp_auth_host_params p;
	struct nvme_auth *a;

	a = calloc(1, sizeof(*a));
	if (a == NULL || posix_memalign((void **)&a->buf, 64, NVTCP_AUTH_MSG_MAX_LEN) != 0) {
		free(a);
		if (key != NULL) {
			nvtcp_auth_secret_wipe(key);
		}
		if (ctrl_key != NULL) {
			nvtcp_auth_secret_wipe(ctrl_key);
		}
		*rc = -ENOMEM;
		return NULL;
	}
	a->qp = qp;
	a->reauth = reauth;
	a->t_id = (uint16_t)atomic_fetch_add_explicit(&c->auth_tid, 1, memory_order_relaxed);
	memset(&p, 0, sizeof(p));
	p.hostnqn = hostnqn_of(c);
	p.subnqn = c->trid.subnqn;
	p.host_secret = &c->dhchap_key;
	p.ctrl_secret = c->dhchap_bidir ? &c->dhchap_ctrl_key : NULL;
	if (key != NULL) {
		a->own_key = *key;
		nvtcp_auth_secret_wipe(key);
		p.host_secret = &a->own_key;
	}
	if (ctrl_key != NULL) {
		a->own_ctrl_key = *ctrl_key;
		nvtcp_auth_secret_wipe(ctrl_key);
		p.ctrl_secret = &a->own_ctrl_key;
	}
	p.hash_mask = c->opts.dhchap_hash_mask;
	p.dhgroup_mask = c->opts.dhchap_dhgroup_mask;
	p.t_id = a->t_id;
	p.seqnum = next_seqnum();
	p.qid = qp->qid;
	*rc = nvtcp_auth_host_create(&p, &a->eng);
	if (*rc != 0) {
		a->eng = NULL;
		auth_free(a);
		return NULL;
	}
	return a;
}

/* Build an Authentication Send (message in a->buf, \p len bytes) or Receive command. */
static void
auth_build_cmd(struct nvtcp_nvme_cmd *cmd, bool recv, uint32_t len)
{
	struct nvtcp_nvmf_auth_cmd ac;

	memset(&ac, 0, sizeof(ac));
	ac.opc = NVTCP_NVME_OPC_FABRICS;
	ac.fctype = recv ? NVTCP_NVMF_FCTYPE_AUTHENTICATION_RECV :
		    NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND;
	ac.secp = NVTCP_AUTH_SECP;
	ac.spsp0 = NVTCP_AUTH_SPSP0;
	ac.spsp1 = NVTCP_AUTH_SPSP1;
	ac.len = len; /* TL (Send) or AL (Receive) */
	memcpy(cmd, &ac, sizeof(*cmd));
}

static void auth_cmd_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl);
static void auth_step(struct nvme_auth *a);
static void auth_fail(struct nvme_auth *a, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Put the prepared command on the wire: the reserved request while connecting, a free one on a
 * live admin queue. Returns 0, -EAGAIN (re-authentication: no free request now; the admin
 * poll retries until the step deadline) or another negative errno.
 */
static int
auth_submit(struct nvme_auth *a)
{
	struct nvtcp_qpair *qp = a->qp;
	struct nvtcp_nvme_cmd cmd;
	struct nvme_request *req;
	struct iovec iov;
	uint32_t len = a->cmd_recv ? NVTCP_AUTH_MSG_MAX_LEN : a->send_len;
	int rc;

	if (a->reauth) {
		req = nvme_req_alloc(qp);
		if (req == NULL) {
			a->submit_wait = true;
			return -EAGAIN;
		}
	} else {
		/* The Connect's request, free again since its completion. */
		req = &qp->reqs[qp->num_reqs - 1];
	}
	a->submit_wait = false;
	auth_build_cmd(&cmd, a->cmd_recv, len);
	iov.iov_base = a->buf;
	iov.iov_len = len;
	rc = nvme_req_setup(qp, req, &cmd, &iov, 1, len, auth_cmd_done, qp);
	if (rc != 0) {
		nvme_req_release(qp, req);
		return rc;
	}
	req->internal = true;
	if (a->cmd_recv) {
		a->rcvd = len;
		req->c2h_len_out = &a->rcvd;
	}
	a->cid = req->cid;
	a->cmd_pending = true;
	nvme_req_submit(qp, req, !a->reauth);
	return 0;
}

static void
auth_issue(struct nvme_auth *a, bool recv, const char *step)
{
	uint64_t tmo = nvme_ctrlr_cmd_timeout_ticks(a->qp->ctrlr);
	int rc;

	a->cmd_recv = recv;
	a->step = step;
	a->deadline = nvme_ticks() + tmo;
	if (a->qp->auth == a && !a->reauth) {
		a->qp->deadline = a->deadline;
	}
	rc = auth_submit(a);
	if (rc != 0 && rc != -EAGAIN) {
		auth_fail(a, rc, "cannot submit Authentication %s: %s", recv ? "Receive" :
			       "Send", strerror(-rc));
	}
}

/* Free \p a now when nothing of the transport can reference its buffer any more, else leave
 * it cancelled on its queue pair (freed by the completion, or when the connection closes). */
static void
auth_retire(struct nvme_auth *a)
{
	struct nvtcp_qpair *qp = a->qp;

	if (a->cmd_pending && qp->sock != NULL) {
		a->cancelled = true;
		return;
	}
	if (qp->auth == a) {
		qp->auth = NULL;
	}
	auth_free(a);
}

static void
reauth_end(struct nvtcp_ctrlr *c, int rc)
{
	if (!c->reauth_busy || c->reauth_report) {
		return;
	}
	c->reauth_report = true;
	c->reauth_rc = rc;
}

/* Fail the connect of \p qp. When the attach or a synchronous queue pair allocation reports the
 * reason (as an error, once), the queue pair's own failure line is only informational. */
static void __attribute__((format(printf, 3, 4)))
connect_fail(struct nvtcp_qpair *qp, int rc, const char *fmt, ...)
{
	char msg[sizeof(qp->fail_reason)];
	bool quiet = qp->quiet_fail;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (nvme_qpair_is_admin(qp) ? !qp->ctrlr->attached :
	    !qp->ever_connected && !qp->async_connect) {
		qp->quiet_fail = true;
	}
	nvme_qpair_connect_fail(qp, rc, "%s", msg);
	qp->quiet_fail = quiet;
}

/*
 * The transaction failed: the connect fails (the attach, the I/O queue pair, or the reconnect
 * attempt, which reports it) or the re-authentication is reported failed. The reason is
 * logged once, by whoever reports it.
 */
static void
auth_fail(struct nvme_auth *a, int rc, const char *fmt, ...)
{
	struct nvtcp_qpair *qp = a->qp;
	struct nvtcp_ctrlr *c = qp->ctrlr;
	char msg[sizeof(qp->fail_reason)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (a->reauth) {
		NVTCP_ERRLOG("controller " NVME_CTRLR_FMT ": re-authentication failed: %s\n",
			     NVME_CTRLR_ARGS(c), msg);
		reauth_end(c, rc);
		auth_retire(a);
		return;
	}
	/* Closing the connection frees the transaction (nvme_auth_qpair_closed()). */
	a->cancelled = true;
	connect_fail(qp, rc, "%s", msg);
	if (qp->auth == a) {
		auth_retire(a);
	}
}

/* The engine ended the transaction with a failure: say which reason, where, and who. */
static void
auth_failed(struct nvme_auth *a)
{
	bool by_ctrlr = false;
	const char *step = NULL;
	uint8_t exp = nvtcp_auth_host_failure(a->eng, &by_ctrlr, &step);

	auth_fail(a, -EACCES, "authentication failed: %s (qid %u, step %s, %s)",
		  nvtcp_auth_failure_name(exp), a->qp->qid, step != NULL ? step : a->step,
		  by_ctrlr ? "reported by the controller" : "detected by the host");
}

static void
auth_done(struct nvme_auth *a)
{
	struct nvtcp_qpair *qp = a->qp;
	struct nvtcp_ctrlr *c = qp->ctrlr;
	struct nvtcp_auth_result res;
	const char *hash, *group;
	bool reauth;

	memset(&res, 0, sizeof(res));
	nvtcp_auth_host_result(a->eng, &res);
	qp->authenticated = true;
	qp->auth_result = res;
	hash = nvtcp_auth_hash_name(res.hash_id);
	group = nvtcp_auth_dhgroup_name(res.dhgroup_id);
	if (nvme_qpair_is_admin(qp)) {
		NVME_QP_NOTICELOG(qp, "%sauthenticated: DH-HMAC-CHAP, hash %s, DH group %s, %s "
				  "(transaction %u)\n", a->reauth ? "re-" : "", hash ? hash : "?",
				  group ? group : "?", res.bidirectional ? "bidirectional" :
				  "unidirectional", a->t_id);
	} else {
		NVME_QP_INFOLOG(qp, "authenticated: DH-HMAC-CHAP, hash %s, DH group %s, %s "
				"(transaction %u)\n", hash ? hash : "?", group ? group : "?",
				res.bidirectional ? "bidirectional" : "unidirectional", a->t_id);
	}
	reauth = a->reauth;
	qp->auth = NULL;
	auth_free(a);
	if (reauth) {
		reauth_end(c, 0);
	} else {
		nvme_qpair_connect_finish(qp);
	}
}

static const char *
msg_name(uint8_t auth_id)
{
	switch (auth_id) {
	case NVTCP_AUTH_ID_NEGOTIATE: return "negotiate";
	case NVTCP_AUTH_ID_CHALLENGE: return "challenge";
	case NVTCP_AUTH_ID_REPLY: return "reply";
	case NVTCP_AUTH_ID_SUCCESS1: return "success1";
	case NVTCP_AUTH_ID_SUCCESS2: return "success2";
	case NVTCP_AUTH_ID_FAILURE2: return "failure2";
	case NVTCP_AUTH_ID_FAILURE1: return "failure1";
	default: return "unknown";
	}
}

/* Send the message the engine builds next (Negotiate, Reply, Success2 or Failure2). */
static void
auth_send(struct nvme_auth *a)
{
	int len = nvtcp_auth_host_build(a->eng, a->buf, NVTCP_AUTH_MSG_MAX_LEN);

	if (len < (int)sizeof(struct nvtcp_auth_hdr)) {
		auth_fail(a, len < 0 ? len : -EIO, "authentication failed: cannot build the message "
			  "after %s: %s (qid %u)", a->last_sent ? a->last_sent : "the Connect",
			  strerror(len < 0 ? -len : EIO), a->qp->qid);
		return;
	}
	a->send_len = (uint32_t)len;
	a->last_sent = msg_name(a->buf[1]);
	auth_issue(a, false, a->last_sent);
}

/* Receive what the controller answers (Challenge after Negotiate, else Success1), or its
 * Failure1. */
static void
auth_recv(struct nvme_auth *a)
{
	bool first = a->last_sent != NULL && strcmp(a->last_sent, "negotiate") == 0;

	/* Zeroed: nothing of an earlier message can pass for part of a short one. */
	memset(a->buf, 0, NVTCP_AUTH_MSG_MAX_LEN);
	auth_issue(a, true, first ? "challenge" : "success1");
}

static void
auth_step(struct nvme_auth *a)
{
	switch (nvtcp_auth_host_next(a->eng)) {
	case NVTCP_AUTH_NEXT_SEND:
		auth_send(a);
		return;
	case NVTCP_AUTH_NEXT_RECV:
		auth_recv(a);
		return;
	case NVTCP_AUTH_NEXT_DONE:
		auth_done(a);
		return;
	case NVTCP_AUTH_NEXT_FAILED:
	default:
		auth_failed(a);
		return;
	}
}

static void
auth_cmd_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_qpair *qp = cb_arg;
	struct nvme_auth *a = qp->auth;
	uint16_t st = cpl->status;

	if (a == NULL || !a->cmd_pending || cpl->cid != a->cid) {
		return; /* a transaction that ended (the connection closed meanwhile) */
	}
	a->cmd_pending = false;
	if (a->cancelled) {
		auth_retire(a);
		return;
	}
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		/* A Failure2 the controller did not take changes nothing: the host's own
		 * reason is the one to report. */
		if (nvtcp_auth_host_next(a->eng) == NVTCP_AUTH_NEXT_FAILED) {
			auth_failed(a);
			return;
		}
		auth_fail(a, -EACCES, "authentication failed: Authentication %s (%s) failed: %s "
			  "(SCT 0x%x, SC 0x%02x) (qid %u, step %s)", a->cmd_recv ? "Receive" :
			  "Send", a->step, nvtcp_nvme_status_str(st), nvtcp_nvme_status_sct(st),
			  nvtcp_nvme_status_sc(st), qp->qid, a->step);
		return;
	}
	if (a->cmd_recv) {
		/* A bad message is the engine's to judge: it answers with a Failure2 or ends
		 * the transaction, which the next step shows. */
		(void)nvtcp_auth_host_process(a->eng, a->buf, a->rcvd);
	}
	auth_step(a);
}

/* ---- Connect ------------------------------------------------------------------------------ */

int
nvme_auth_connect_start(struct nvtcp_qpair *qp, uint16_t authreq)
{
	struct nvtcp_ctrlr *c = qp->ctrlr;
	struct nvme_auth *a;
	int rc;

	if (authreq & (NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ASCR >> 16)) {
		connect_fail(qp, -EOPNOTSUPP, "the controller requires secure channel "
			     "concatenation (AUTHREQ 0x%04x, ASCR), which nvtcp does not support",
			     authreq);
		return -EOPNOTSUPP;
	}
	if (!(authreq & (NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR >> 16))) {
		if (c->dhchap && nvme_qpair_is_admin(qp)) {
			/* As Linux: the secret is for controllers that ask; this one does not. */
			NVME_QP_INFOLOG(qp, "a DH-HMAC-CHAP secret is configured but the controller "
					"does not ask for authentication: connected without it\n");
		}
		return 1;
	}
	if (!c->dhchap) {
		connect_fail(qp, -ENOKEY, "the controller requires in-band authentication "
			     "(AUTHREQ 0x%04x, ATR) but no DH-HMAC-CHAP secret is configured "
			     "(dhchap_secret, --dhchap-secret)", authreq);
		return -ENOKEY;
	}
	a = auth_create(qp, false, NULL, NULL, &rc);
	if (a == NULL) {
		connect_fail(qp, rc, "cannot start the authentication transaction: %s",
			     strerror(-rc));
		return rc;
	}
	qp->auth = a;
	qp->conn_state = NVME_CONN_AUTH;
	NVME_QP_DEBUGLOG(qp, "AUTHREQ 0x%04x: authenticating (transaction %u)\n", authreq,
			 a->t_id);
	auth_step(a);
	if (qp->conn_state == NVME_CONN_FAILED || qp->state != NVME_QPAIR_CONNECTING) {
		return qp->fail_rc != 0 ? qp->fail_rc : -EACCES;
	}
	return 0;
}

int
nvme_auth_connect_poll(struct nvtcp_qpair *qp)
{
	struct nvme_auth *a = qp->auth;

	if (a == NULL || a->cancelled) {
		return -EAGAIN; /* ending: the failure path moves the state on */
	}
	if (nvme_ticks() > a->deadline) {
		auth_fail(a, -ETIMEDOUT, "authentication failed: timed out waiting for the "
			  "Authentication %s (%s) to complete (%llu ms) (qid %u, step %s)",
			  a->cmd_recv ? "Receive" : "Send", a->step,
			  (unsigned long long)nvme_ticks_to_ms(nvme_ctrlr_cmd_timeout_ticks(qp->ctrlr)),
			  qp->qid, a->step);
		return -ETIMEDOUT;
	}
	return -EAGAIN;
}

void
nvme_auth_qpair_closed(struct nvtcp_qpair *qp)
{
	struct nvme_auth *a = qp->auth;

	qp->authenticated = false;
	if (a == NULL) {
		return;
	}
	qp->auth = NULL;
	if (a->reauth && !a->cancelled) {
		reauth_end(qp->ctrlr, -ECONNRESET);
	}
	auth_free(a);
}

/* ---- Re-authentication -------------------------------------------------------------------- */

int
nvtcp_ctrlr_reauthenticate(struct nvtcp_ctrlr *c, nvtcp_ctrlr_auth_cb cb, void *cb_arg)
{
	return nvtcp_ctrlr_reauthenticate_ext(c, NULL, NULL, cb, cb_arg);
}

int
nvtcp_ctrlr_reauthenticate_ext(struct nvtcp_ctrlr *c, const char *dhchap_secret,
			       const char *dhchap_ctrl_secret, nvtcp_ctrlr_auth_cb cb, void *cb_arg)
{
	struct nvtcp_auth_secret key, ctrl_key;
	struct nvtcp_qpair *aq;
	struct nvme_auth *a;
	int rc;

	if (c == NULL || cb == NULL) {
		return -EINVAL;
	}
	switch (atomic_load(&c->state)) {
	case NVTCP_CTRLR_STATE_LIVE:
		break;
	case NVTCP_CTRLR_STATE_CONNECTING:
	case NVTCP_CTRLR_STATE_RESETTING:
		return -EAGAIN;
	default:
		return -ENXIO;
	}
	if (c->detach_state != NVME_DETACH_NONE) {
		return -ENXIO;
	}
	if (!c->dhchap) {
		return -ENOKEY;
	}
	aq = c->adminq;
	if (c->reauth_busy || aq->auth != NULL) {
		return -EBUSY;
	}
	if (aq->state != NVME_QPAIR_CONNECTED) {
		return -EAGAIN;
	}
	memset(&key, 0, sizeof(key));
	memset(&ctrl_key, 0, sizeof(ctrl_key));
	if (dhchap_secret != NULL) {
		rc = load_secret("re-authentication: dhchap_secret", dhchap_secret, &key);
		if (rc != 0) {
			return rc;
		}
	}
	if (dhchap_ctrl_secret != NULL) {
		rc = load_secret("re-authentication: dhchap_ctrl_secret", dhchap_ctrl_secret,
				 &ctrl_key);
		if (rc != 0) {
			nvtcp_auth_secret_wipe(&key);
			return rc;
		}
	}
	a = auth_create(aq, true, dhchap_secret != NULL ? &key : NULL,
			dhchap_ctrl_secret != NULL ? &ctrl_key : NULL, &rc);
	if (a == NULL) {
		return rc;
	}
	c->reauth_busy = true;
	c->reauth_report = false;
	c->reauth_rc = 0;
	c->reauth_cb = cb;
	c->reauth_cb_arg = cb_arg;
	aq->auth = a;
	NVME_QP_INFOLOG(aq, "re-authenticating (transaction %u)\n", a->t_id);
	/* Whatever happens is reported by the next admin poll, never from inside this call. */
	auth_step(a);
	return 0;
}

void
nvme_auth_ctrlr_poll(struct nvtcp_ctrlr *c)
{
	struct nvme_auth *a = c->adminq != NULL ? c->adminq->auth : NULL;

	if (a != NULL && a->reauth && !a->cancelled) {
		if (a->submit_wait) {
			(void)auth_submit(a);
		}
		if (nvme_ticks() > a->deadline) {
			unsigned long long ms = (unsigned long long)nvme_ticks_to_ms(
				nvme_ctrlr_cmd_timeout_ticks(c));

			auth_fail(a, -ETIMEDOUT, "timed out waiting for the Authentication %s (%s) "
				  "to complete (%llu ms) (qid 0, step %s)", a->cmd_recv ? "Receive" :
				  "Send", a->step, ms, a->step);
			/* The controller's view of the association is unknown now: start over (the
			 * reconnect authenticates again). */
			nvme_ctrlr_start_reset(c, false, -ETIMEDOUT, "re-authentication: no answer "
					       "within %llu ms", ms);
		}
	}
	if (c->reauth_report) {
		nvtcp_ctrlr_auth_cb cb = c->reauth_cb;
		void *arg = c->reauth_cb_arg;
		int rc = c->reauth_rc;

		c->reauth_report = false;
		c->reauth_busy = false;
		c->reauth_cb = NULL;
		if (cb != NULL) {
			cb(arg, c, rc);
		}
	}
}

void
nvme_auth_ctrlr_cancel(struct nvtcp_ctrlr *c)
{
	struct nvme_auth *a = c->adminq != NULL ? c->adminq->auth : NULL;
	nvtcp_ctrlr_auth_cb cb = c->reauth_cb;
	void *arg = c->reauth_cb_arg;
	int rc;

	if (!c->reauth_busy) {
		return;
	}
	rc = c->reauth_report ? c->reauth_rc : -ECANCELED;
	if (a != NULL && a->reauth) {
		auth_retire(a);
	}
	c->reauth_report = false;
	c->reauth_busy = false;
	c->reauth_cb = NULL;
	if (cb != NULL) {
		cb(arg, c, rc);
	}
}

bool
nvtcp_ctrlr_get_auth_status(const struct nvtcp_ctrlr *c, struct nvtcp_auth_result *res)
{
	bool ok = c != NULL && c->adminq != NULL && c->adminq->authenticated;

	if (res != NULL) {
		if (ok) {
			*res = c->adminq->auth_result;
		} else {
			memset(res, 0, sizeof(*res));
		}
	}
	return ok;
}
