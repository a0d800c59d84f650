/*
 * Controller side of one DH-HMAC-CHAP transaction: the host's Negotiate, our Challenge, the
 * host's Reply, our Success1 [, the host's Success2], or our Failure1 in place of the next
 * answer when the host's message is wrong (or a Failure2 from the host ends it).
 *
 * Negotiation: of the host's offer, the strongest hash (SHA-512 > SHA-384 > SHA-256) and the
 * strongest DH group (ffdhe8192 > ... > ffdhe2048 > null) that the configured masks allow.
 * The masks are how an administrator trades strength for connect time (an ffdhe8192
 * exchange costs tens of milliseconds of CPU per queue on each side); Linux nvmet instead
 * uses its single configured hash and group when the host offers them.
 *
 * Explanations follow Linux nvmet where it has one: a message of the wrong kind or out of
 * order is an "incorrect protocol message", a wrong transaction id or any malformed field an
 * "incorrect payload", a hash or group outside the offer/masks "not usable", a response that
 * does not match "authentication failed", as is bidirectional authentication asked of a
 * controller without a controller secret.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth_internal.h"
#include "nvtcp/log.h"

enum ctrl_state {
	CTRL_NEGOTIATE, /* wait for Negotiate */
	CTRL_CHALLENGE, /* answer Challenge */
	CTRL_REPLY,     /* wait for Reply */
	CTRL_SUCCESS1,  /* answer Success1 */
	CTRL_SUCCESS2,  /* wait for Success2 */
	CTRL_FAILURE1,  /* answer Failure1 */
	CTRL_DONE,
	CTRL_FAILED,
};

struct nvtcp_auth_ctrl {
	struct nvtcp_auth_ctrl_params p;
	enum ctrl_state state;
	uint16_t t_id;
	uint8_t hash_id;
	uint8_t hl;
	uint8_t dhgroup_id;
	bool bidirectional;
	uint8_t explanation;
	bool by_host;
	const char *step;
	struct nvtcp_auth_dh *dh;
	uint16_t publen;
	uint8_t c1[NVTCP_AUTH_KEY_MAX_LEN];
	uint8_t r2[NVTCP_AUTH_KEY_MAX_LEN];
	uint8_t pub[NVTCP_AUTH_DH_MAX_LEN];
};

int
nvtcp_auth_ctrl_create(const struct nvtcp_auth_ctrl_params *params, struct nvtcp_auth_ctrl **ctrlp)
{
	struct nvtcp_auth_ctrl *ctrl;

	if (ctrlp == NULL) {
		return -EINVAL;
	}
	*ctrlp = NULL;
	if (params == NULL || params->hostnqn == NULL || params->subnqn == NULL ||
	    params->host_secret == NULL || !auth_secret_ok(params->host_secret) ||
	    (params->ctrl_secret != NULL && !auth_secret_ok(params->ctrl_secret)) ||
	    params->seqnum == 0 || (params->hash_mask & ~NVTCP_AUTH_HASH_ALL) != 0 ||
	    (params->dhgroup_mask & ~NVTCP_AUTH_DHGROUP_ALL) != 0) {
		return -EINVAL;
	}
	ctrl = calloc(1, sizeof(*ctrl));
	if (ctrl == NULL) {
		return -ENOMEM;
	}
	ctrl->p = *params;
	if (ctrl->p.hash_mask == 0) {
		ctrl->p.hash_mask = NVTCP_AUTH_HASH_ALL;
	}
	if (ctrl->p.dhgroup_mask == 0) {
		ctrl->p.dhgroup_mask = NVTCP_AUTH_DHGROUP_ALL;
	}
	ctrl->state = CTRL_NEGOTIATE;
	ctrl->step = "negotiate";
	*ctrlp = ctrl;
	return 0;
}

enum nvtcp_auth_next
nvtcp_auth_ctrl_next(const struct nvtcp_auth_ctrl *ctrl)
{
	switch (ctrl->state) {
	case CTRL_CHALLENGE:
	case CTRL_SUCCESS1:
	case CTRL_FAILURE1:
		return NVTCP_AUTH_NEXT_SEND;
	case CTRL_NEGOTIATE:
	case CTRL_REPLY:
	case CTRL_SUCCESS2:
		return NVTCP_AUTH_NEXT_RECV;
	case CTRL_DONE:
		return NVTCP_AUTH_NEXT_DONE;
	default:
		return NVTCP_AUTH_NEXT_FAILED;
	}
}

/* The host's message is wrong: answer the next Receive with a Failure1. */
static int
fail1(struct nvtcp_auth_ctrl *ctrl, uint8_t explanation)
{
	ctrl->explanation = explanation;
	ctrl->by_host = false;
	ctrl->state = CTRL_FAILURE1;
	nvtcp_auth_dh_free(ctrl->dh);
	ctrl->dh = NULL;
	return 0;
}

static void
restart(struct nvtcp_auth_ctrl *ctrl)
{
	struct nvtcp_auth_ctrl_params p = ctrl->p;

	nvtcp_auth_dh_free(ctrl->dh);
	OPENSSL_cleanse(ctrl, sizeof(*ctrl));
	ctrl->p = p;
	ctrl->state = CTRL_NEGOTIATE;
	ctrl->step = "negotiate";
}

static bool
offered(const uint8_t *ids, uint8_t n, uint8_t id)
{
	for (uint8_t i = 0; i < n; i++) {
		if (ids[i] == id) {
			return true;
		}
	}
	return false;
}

static int
process_negotiate(struct nvtcp_auth_ctrl *ctrl, const uint8_t *buf, size_t len)
{
	const struct nvtcp_auth_negotiate *n = (const struct nvtcp_auth_negotiate *)buf;
	const struct nvtcp_auth_dhchap_desc *d = NULL;
	size_t i;
	int rc;

	if (len < sizeof(*n)) {
		NVTCP_ERRLOG("qid %u: AUTH_Negotiate: %zu bytes, shorter than its 8-byte header",
			     ctrl->p.qid, len);
		return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	/* The transaction is the host's from here on, even if this message is refused. */
	ctrl->t_id = auth_get_le16((const uint8_t *)&n->hdr.t_id);
	if (n->sc_c != 0) {
		NVTCP_ERRLOG("qid %u: AUTH_Negotiate: secure channel concatenation %u is not "
			     "supported", ctrl->p.qid, n->sc_c);
		return fail1(ctrl, NVTCP_AUTH_FAIL_CONCAT_MISMATCH);
	}
	if (n->napd == 0 || sizeof(*n) + (size_t)n->napd * sizeof(*d) > len) {
		NVTCP_ERRLOG("qid %u: AUTH_Negotiate: napd %u does not fit the %zu bytes "
			     "received", ctrl->p.qid, n->napd, len);
		return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	for (i = 0; i < n->napd; i++) {
		if (n->desc[i].authid == NVTCP_AUTH_PROTOCOL_DHCHAP) {
			d = &n->desc[i];
			break;
		}
	}
	if (d == NULL) {
		NVTCP_ERRLOG("qid %u: AUTH_Negotiate: none of the %u descriptors is DH-HMAC-CHAP "
			     "(first authid %u)", ctrl->p.qid, n->napd, n->desc[0].authid);
		return fail1(ctrl, NVTCP_AUTH_FAIL_PROTOCOL_UNUSABLE);
	}
	if (d->halen > NVTCP_AUTH_DESC_IDS || d->dhlen > NVTCP_AUTH_DESC_IDS) {
		NVTCP_ERRLOG("qid %u: AUTH_Negotiate: halen %u / dhlen %u over %u", ctrl->p.qid,
			     d->halen, d->dhlen, NVTCP_AUTH_DESC_IDS);
		return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	for (i = 0; i < sizeof(g_auth_hash_pref); i++) {
		if ((ctrl->p.hash_mask & NVTCP_AUTH_HASH_BIT(g_auth_hash_pref[i])) &&
		    offered(d->hash_ids, d->halen, g_auth_hash_pref[i])) {
			ctrl->hash_id = g_auth_hash_pref[i];
			break;
		}
	}
	if (ctrl->hash_id == 0) {
		NVTCP_ERRLOG("qid %u: AUTH_Negotiate: none of the %u hash ids offered (first %u) "
			     "is allowed (mask 0x%x)", ctrl->p.qid, d->halen,
			     d->halen > 0 ? d->hash_ids[0] : 0, ctrl->p.hash_mask);
		return fail1(ctrl, NVTCP_AUTH_FAIL_HASH_UNUSABLE);
	}
	for (i = 0; i < sizeof(g_auth_dh_pref); i++) {
		if ((ctrl->p.dhgroup_mask & NVTCP_AUTH_DHGROUP_BIT(g_auth_dh_pref[i])) &&
		    offered(d->dhgroup_ids, d->dhlen, g_auth_dh_pref[i])) {
			break;
		}
	}
	if (i == sizeof(g_auth_dh_pref)) {
		NVTCP_ERRLOG("qid %u: AUTH_Negotiate: none of the %u DH group ids offered "
			     "(first %u) is allowed (mask 0x%x)", ctrl->p.qid, d->dhlen,
			     d->dhlen > 0 ? d->dhgroup_ids[0] : 0, ctrl->p.dhgroup_mask);
		return fail1(ctrl, NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE);
	}
	ctrl->dhgroup_id = g_auth_dh_pref[i];
	ctrl->hl = (uint8_t)nvtcp_auth_hash_len(ctrl->hash_id);
	if (RAND_bytes(ctrl->c1, ctrl->hl) != 1) {
		NVTCP_ERRLOG("qid %u: AUTH_Negotiate: no random challenge", ctrl->p.qid);
		return fail1(ctrl, NVTCP_AUTH_FAIL_FAILED);
	}
	if (ctrl->dhgroup_id != NVTCP_AUTH_DHGROUP_NULL) {
		ctrl->publen = (uint16_t)nvtcp_auth_dhgroup_len(ctrl->dhgroup_id);
		rc = nvtcp_auth_dh_create(ctrl->dhgroup_id, &ctrl->dh, ctrl->pub, ctrl->publen);
		if (rc != 0) {
			NVTCP_ERRLOG("qid %u: AUTH_Negotiate: cannot create a %s key pair (%d)",
				     ctrl->p.qid, nvtcp_auth_dhgroup_name(ctrl->dhgroup_id), rc);
			return fail1(ctrl, NVTCP_AUTH_FAIL_FAILED);
		}
	}
	ctrl->state = CTRL_CHALLENGE;
	ctrl->step = "challenge";
	return 0;
}

/* Derive, check R1 and prepare R2. Everything secret stays in this frame. */
static int
check_reply(struct nvtcp_auth_ctrl *ctrl, const struct nvtcp_auth_reply *r, uint16_t dhvlen)
{
	uint8_t key[NVTCP_AUTH_KEY_MAX_LEN], chal[NVTCP_AUTH_KEY_MAX_LEN];
	uint8_t r1[NVTCP_AUTH_KEY_MAX_LEN];
	uint8_t shared[NVTCP_AUTH_DH_MAX_LEN];
	uint8_t explanation = NVTCP_AUTH_FAIL_FAILED;
	size_t keylen = 0, slen = 0;
	uint32_t s2 = auth_get_le32((const uint8_t *)&r->seqnum);
	int rc = 0;

	if (ctrl->dh != NULL) {
		slen = dhvlen;
		rc = nvtcp_auth_dh_derive(ctrl->dh, r->rval + 2u * r->hl, dhvlen, shared, slen);
		nvtcp_auth_dh_free(ctrl->dh);
		ctrl->dh = NULL;
		if (rc != 0) {
			NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP reply: the host's %s public value is "
				     "invalid (0, 1, p-1 or out of range)", ctrl->p.qid,
				     nvtcp_auth_dhgroup_name(ctrl->dhgroup_id));
			explanation = NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD;
			goto out;
		}
	}
	rc = nvtcp_auth_augment(ctrl->hash_id, shared, slen, ctrl->c1, ctrl->hl, chal);
	if (rc == 0) {
		rc = nvtcp_auth_secret_transform(ctrl->p.host_secret, ctrl->p.hostnqn, key,
						 &keylen);
	}
	if (rc == 0) {
		rc = nvtcp_auth_host_response(ctrl->hash_id, key, keylen, chal, ctrl->hl,
					      ctrl->p.seqnum, ctrl->t_id, 0, ctrl->p.hostnqn,
					      ctrl->p.subnqn, r1);
	}
	if (rc != 0) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP reply: computing the response failed (%d)",
			     ctrl->p.qid, rc);
		goto out;
	}
	if (CRYPTO_memcmp(r1, r->rval, ctrl->hl) != 0) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP reply: host %s: response does not match: "
			     "wrong host secret", ctrl->p.qid, ctrl->p.hostnqn);
		rc = -EACCES;
		goto out;
	}
	/* Linux: S2 = 0 with cvalid carries C2 for a secure channel, not bidirectional
	 * authentication. */
	ctrl->bidirectional = (r->cvalid & 1) && s2 != 0;
	if (ctrl->bidirectional) {
		if (ctrl->p.ctrl_secret == NULL) {
			NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP reply: host %s asks for bidirectional "
				     "authentication but no controller secret is configured",
				     ctrl->p.qid, ctrl->p.hostnqn);
			rc = -EACCES;
			goto out;
		}
		rc = nvtcp_auth_augment(ctrl->hash_id, shared, slen, r->rval + r->hl, ctrl->hl,
					chal);
		if (rc == 0) {
			rc = nvtcp_auth_secret_transform(ctrl->p.ctrl_secret, ctrl->p.subnqn, key,
							 &keylen);
		}
		if (rc == 0) {
			rc = nvtcp_auth_ctrl_response(ctrl->hash_id, key, keylen, chal, ctrl->hl,
						      s2, ctrl->t_id, 0, ctrl->p.subnqn,
						      ctrl->p.hostnqn, ctrl->r2);
		}
		if (rc != 0) {
			NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP reply: computing the controller "
				     "response failed (%d)", ctrl->p.qid, rc);
		}
	}
out:
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(chal, sizeof(chal));
	OPENSSL_cleanse(r1, sizeof(r1));
	if (rc != 0) {
		return fail1(ctrl, explanation);
	}
	ctrl->state = CTRL_SUCCESS1;
	ctrl->step = "success1";
	return 0;
}

static int
process_reply(struct nvtcp_auth_ctrl *ctrl, const uint8_t *buf, size_t len)
{
	const struct nvtcp_auth_reply *r = (const struct nvtcp_auth_reply *)buf;
	uint16_t dhvlen;

	if (len < sizeof(*r)) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP reply: %zu bytes, shorter than its 16-byte "
			     "header", ctrl->p.qid, len);
		return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	dhvlen = auth_get_le16((const uint8_t *)&r->dhvlen);
	if (r->hl != ctrl->hl) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP reply: hl %u, negotiated %u", ctrl->p.qid,
			     r->hl, ctrl->hl);
		return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	if (dhvlen != ctrl->publen) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP reply: dhvlen %u, %s needs %u", ctrl->p.qid,
			     dhvlen, nvtcp_auth_dhgroup_name(ctrl->dhgroup_id), ctrl->publen);
		return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	if (sizeof(*r) + 2u * r->hl + dhvlen > len) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP reply: 2 x hl %u + dhvlen %u exceed the %zu "
			     "bytes received", ctrl->p.qid, r->hl, dhvlen, len);
		return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	return check_reply(ctrl, r, dhvlen);
}

int
nvtcp_auth_ctrl_process(struct nvtcp_auth_ctrl *ctrl, const uint8_t *buf, size_t len)
{
	const struct nvtcp_auth_hdr *h = (const struct nvtcp_auth_hdr *)buf;
	uint8_t expect;

	if (ctrl == NULL || buf == NULL || len < sizeof(*h) ||
	    (h->auth_type != NVTCP_AUTH_TYPE_COMMON && h->auth_type != NVTCP_AUTH_TYPE_DHCHAP)) {
		/* Not an authentication message at all: the command fails, the transaction
		 * stays where it is. */
		return -EINVAL;
	}
	if (ctrl->state == CTRL_FAILED) {
		return -EINVAL;
	}
	/* A Failure2 is taken even after a unidirectional Success1: the host found something
	 * wrong there (hl, transaction id) and the queue must not count as authenticated. */
	if (h->auth_type == NVTCP_AUTH_TYPE_COMMON && h->auth_id == NVTCP_AUTH_ID_FAILURE2) {
		uint8_t reason;

		ctrl->by_host = true;
		ctrl->explanation = auth_peer_failure(buf, len, &reason);
		ctrl->state = CTRL_FAILED;
		nvtcp_auth_dh_free(ctrl->dh);
		ctrl->dh = NULL;
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP %s: host %s gave up: %s (reason %u, "
			     "explanation %u)", ctrl->p.qid, ctrl->step, ctrl->p.hostnqn,
			     nvtcp_auth_failure_name(ctrl->explanation), reason, ctrl->explanation);
		return 0;
	}
	if (ctrl->state == CTRL_DONE) {
		return -EINVAL;
	}
	if (h->auth_type == NVTCP_AUTH_TYPE_COMMON && h->auth_id == NVTCP_AUTH_ID_NEGOTIATE &&
	    ctrl->state != CTRL_NEGOTIATE) {
		/* A host may start over (Linux nvmet restarts the same way): everything of the
		 * abandoned attempt is dropped and wiped. */
		NVTCP_INFOLOG("qid %u: AUTH_Negotiate in step %s: transaction restarted",
			      ctrl->p.qid, ctrl->step);
		restart(ctrl);
	}
	if (ctrl->state == CTRL_NEGOTIATE) {
		if (h->auth_type != NVTCP_AUTH_TYPE_COMMON || h->auth_id != NVTCP_AUTH_ID_NEGOTIATE) {
			NVTCP_ERRLOG("qid %u: AUTH_Negotiate expected, got message type %u id "
				     "0x%02x", ctrl->p.qid, h->auth_type, h->auth_id);
			ctrl->t_id = auth_get_le16((const uint8_t *)&h->t_id);
			return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_MESSAGE);
		}
		return process_negotiate(ctrl, buf, len);
	}
	expect = ctrl->state == CTRL_SUCCESS2 ? NVTCP_AUTH_ID_SUCCESS2 : NVTCP_AUTH_ID_REPLY;
	if (ctrl->state == CTRL_FAILURE1 || ctrl->state == CTRL_CHALLENGE ||
	    ctrl->state == CTRL_SUCCESS1 || h->auth_type != NVTCP_AUTH_TYPE_DHCHAP ||
	    h->auth_id != expect) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP %s: got message type %u id 0x%02x out of "
			     "order", ctrl->p.qid, ctrl->step, h->auth_type, h->auth_id);
		return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_MESSAGE);
	}
	if (!auth_t_id_ok(ctrl->p.qid, ctrl->step, h, ctrl->t_id)) {
		return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	if (ctrl->state == CTRL_REPLY) {
		return process_reply(ctrl, buf, len);
	}
	if (len < sizeof(struct nvtcp_auth_success2)) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP success2: %zu bytes, shorter than 16",
			     ctrl->p.qid, len);
		return fail1(ctrl, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	ctrl->state = CTRL_DONE;
	return 0;
}

static int
build_challenge(struct nvtcp_auth_ctrl *ctrl, uint8_t *buf, size_t cap)
{
	struct nvtcp_auth_challenge *c = (struct nvtcp_auth_challenge *)buf;
	size_t len = sizeof(*c) + ctrl->hl + ctrl->publen;

	if (cap < len) {
		return -ENOSPC;
	}
	memset(buf, 0, sizeof(*c));
	auth_put_hdr(buf, NVTCP_AUTH_TYPE_DHCHAP, NVTCP_AUTH_ID_CHALLENGE, ctrl->t_id);
	c->hl = ctrl->hl;
	c->hash_id = ctrl->hash_id;
	c->dhgroup_id = ctrl->dhgroup_id;
	auth_put_le16((uint8_t *)&c->dhvlen, ctrl->publen);
	auth_put_le32((uint8_t *)&c->seqnum, ctrl->p.seqnum);
	memcpy(c->cval, ctrl->c1, ctrl->hl);
	memcpy(c->cval + ctrl->hl, ctrl->pub, ctrl->publen);
	ctrl->state = CTRL_REPLY;
	ctrl->step = "reply";
	return (int)len;
}

static int
build_success1(struct nvtcp_auth_ctrl *ctrl, uint8_t *buf, size_t cap)
{
	struct nvtcp_auth_success1 *s = (struct nvtcp_auth_success1 *)buf;
	size_t len = sizeof(*s) + (ctrl->bidirectional ? ctrl->hl : 0);

	if (cap < len) {
		return -ENOSPC;
	}
	memset(buf, 0, len);
	auth_put_hdr(buf, NVTCP_AUTH_TYPE_DHCHAP, NVTCP_AUTH_ID_SUCCESS1, ctrl->t_id);
	s->hl = ctrl->hl;
	if (ctrl->bidirectional) {
		s->rvalid = 1;
		memcpy(s->rval, ctrl->r2, ctrl->hl);
		ctrl->state = CTRL_SUCCESS2;
		ctrl->step = "success2";
	} else {
		ctrl->state = CTRL_DONE;
	}
	return (int)len;
}

int
nvtcp_auth_ctrl_build(struct nvtcp_auth_ctrl *ctrl, uint8_t *buf, size_t cap)
{
	int rc;

	if (ctrl == NULL || buf == NULL) {
		return -EINVAL;
	}
	switch (ctrl->state) {
	case CTRL_CHALLENGE:
		return build_challenge(ctrl, buf, cap);
	case CTRL_SUCCESS1:
		return build_success1(ctrl, buf, cap);
	case CTRL_FAILURE1:
		rc = auth_build_failure(buf, cap, NVTCP_AUTH_ID_FAILURE1, ctrl->t_id,
					ctrl->explanation);
		if (rc > 0) {
			ctrl->state = CTRL_FAILED;
		}
		return rc;
	default:
		return -EINVAL;
	}
}

void
nvtcp_auth_ctrl_result(const struct nvtcp_auth_ctrl *ctrl, struct nvtcp_auth_result *res)
{
	memset(res, 0, sizeof(*res));
	if (ctrl->state != CTRL_DONE) {
		return;
	}
	res->hash_id = ctrl->hash_id;
	res->dhgroup_id = ctrl->dhgroup_id;
	res->bidirectional = ctrl->bidirectional;
}

uint8_t
nvtcp_auth_ctrl_failure(const struct nvtcp_auth_ctrl *ctrl, bool *by_host, const char **step)
{
	if (by_host != NULL) {
		*by_host = ctrl->by_host;
	}
	if (step != NULL) {
		*step = ctrl->step;
	}
	return ctrl->explanation;
}

void
nvtcp_auth_ctrl_free(struct nvtcp_auth_ctrl *ctrl)
{
	if (ctrl == NULL) {
		return;
	}
	nvtcp_auth_dh_free(ctrl->dh);
	OPENSSL_cleanse(ctrl, sizeof(ctrl[0]));
	free(ctrl);
}
