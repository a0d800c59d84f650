/*
 * Host side of one DH-HMAC-CHAP transaction: Negotiate -> Challenge -> Reply -> Success1
 * [-> Success2], or a Failure2 in place of the next host message when the controller's
 * message is wrong, or the end after a Failure1.
 *
 * The DH work and both responses are computed when the Challenge arrives, so that the
 * shared secret and the transformed keys live only inside that step and are wiped there;
 * what stays in the transaction (R1, C2, the expected R2, the public value) is not secret
 * enough to matter after the transaction, but is wiped on free all the same.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth_internal.h"
#include "nvtcp/log.h"

enum host_state {
	HOST_NEGOTIATE, /* send Negotiate */
	HOST_CHALLENGE, /* receive Challenge */
	HOST_REPLY,     /* send Reply */
	HOST_SUCCESS1,  /* receive Success1 */
	HOST_SUCCESS2,  /* send Success2 */
	HOST_FAILURE2,  /* send Failure2 */
	HOST_DONE,
	HOST_FAILED,
};

struct nvtcp_auth_host {
	struct nvtcp_auth_host_params p;
	enum host_state state;
	uint8_t hash_id;
	uint8_t hl;
	uint8_t dhgroup_id;
	bool bidirectional;
	uint8_t explanation;
	bool by_controller;
	const char *step;
	uint32_t s1;
	uint8_t r1[NVTCP_AUTH_KEY_MAX_LEN];
	uint8_t c2[NVTCP_AUTH_KEY_MAX_LEN];
	uint8_t r2[NVTCP_AUTH_KEY_MAX_LEN];
	uint16_t publen;
	uint8_t pub[NVTCP_AUTH_DH_MAX_LEN];
};

int
nvtcp_auth_host_create(const struct nvtcp_auth_host_params *params, struct nvtcp_auth_host **hostp)
{
	struct nvtcp_auth_host *host;

	if (hostp == NULL) {
		return -EINVAL;
	}
	*hostp = NULL;
	if (params == NULL || params->hostnqn == NULL || params->subnqn == NULL ||
	    params->host_secret == NULL || !auth_secret_ok(params->host_secret) ||
	    (params->ctrl_secret != NULL &&
	     (!auth_secret_ok(params->ctrl_secret) || params->seqnum == 0)) ||
	    (params->hash_mask & ~NVTCP_AUTH_HASH_ALL) != 0 ||
	    (params->dhgroup_mask & ~NVTCP_AUTH_DHGROUP_ALL) != 0) {
		return -EINVAL;
	}
	host = calloc(1, sizeof(*host));
	if (host == NULL) {
		return -ENOMEM;
	}
	host->p = *params;
	if (host->p.hash_mask == 0) {
		host->p.hash_mask = NVTCP_AUTH_HASH_ALL;
	}
	if (host->p.dhgroup_mask == 0) {
		host->p.dhgroup_mask = NVTCP_AUTH_DHGROUP_ALL;
	}
	host->state = HOST_NEGOTIATE;
	host->step = "negotiate";
	*hostp = host;
	return 0;
}

enum nvtcp_auth_next
nvtcp_auth_host_next(const struct nvtcp_auth_host *host)
{
	switch (host->state) {
	case HOST_NEGOTIATE:
	case HOST_REPLY:
	case HOST_SUCCESS2:
	case HOST_FAILURE2:
		return NVTCP_AUTH_NEXT_SEND;
	case HOST_CHALLENGE:
	case HOST_SUCCESS1:
		return NVTCP_AUTH_NEXT_RECV;
	case HOST_DONE:
		return NVTCP_AUTH_NEXT_DONE;
	default:
		return NVTCP_AUTH_NEXT_FAILED;
	}
}

static int
build_negotiate(struct nvtcp_auth_host *host, uint8_t *buf, size_t cap)
{
	struct nvtcp_auth_negotiate *n = (struct nvtcp_auth_negotiate *)buf;
	struct nvtcp_auth_dhchap_desc *d;
	size_t len = sizeof(*n) + sizeof(*d);

	if (cap < len) {
		return -ENOSPC;
	}
	memset(buf, 0, len);
	auth_put_hdr(buf, NVTCP_AUTH_TYPE_COMMON, NVTCP_AUTH_ID_NEGOTIATE, host->p.t_id);
	n->sc_c = 0;
	n->napd = 1;
	d = &n->desc[0];
	d->authid = NVTCP_AUTH_PROTOCOL_DHCHAP;
	for (size_t i = 0; i < sizeof(g_auth_hash_pref); i++) {
		if (host->p.hash_mask & NVTCP_AUTH_HASH_BIT(g_auth_hash_pref[i])) {
			d->hash_ids[d->halen++] = g_auth_hash_pref[i];
		}
	}
	for (size_t i = 0; i < sizeof(g_auth_dh_pref); i++) {
		if (host->p.dhgroup_mask & NVTCP_AUTH_DHGROUP_BIT(g_auth_dh_pref[i])) {
			d->dhgroup_ids[d->dhlen++] = g_auth_dh_pref[i];
		}
	}
	host->state = HOST_CHALLENGE;
	host->step = "challenge";
	return (int)len;
}

static int
build_reply(struct nvtcp_auth_host *host, uint8_t *buf, size_t cap)
{
	struct nvtcp_auth_reply *r = (struct nvtcp_auth_reply *)buf;
	size_t len = sizeof(*r) + 2u * host->hl + host->publen;

	if (cap < len) {
		return -ENOSPC;
	}
	memset(buf, 0, len);
	auth_put_hdr(buf, NVTCP_AUTH_TYPE_DHCHAP, NVTCP_AUTH_ID_REPLY, host->p.t_id);
	r->hl = host->hl;
	r->cvalid = host->bidirectional ? 1 : 0;
	auth_put_le16((uint8_t *)&r->dhvlen, host->publen);
	auth_put_le32((uint8_t *)&r->seqnum, host->bidirectional ? host->p.seqnum : 0);
	memcpy(r->rval, host->r1, host->hl);
	if (host->bidirectional) {
		memcpy(r->rval + host->hl, host->c2, host->hl);
	}
	memcpy(r->rval + 2u * host->hl, host->pub, host->publen);
	host->state = HOST_SUCCESS1;
	host->step = "success1";
	return (int)len;
}

static int
build_failure2(struct nvtcp_auth_host *host, uint8_t *buf, size_t cap)
{
	int rc = auth_build_failure(buf, cap, NVTCP_AUTH_ID_FAILURE2, host->p.t_id,
				    host->explanation);

	if (rc > 0) {
		host->state = HOST_FAILED;
	}
	return rc;
}

int
nvtcp_auth_host_build(struct nvtcp_auth_host *host, uint8_t *buf, size_t cap)
{
	if (host == NULL || buf == NULL) {
		return -EINVAL;
	}
	switch (host->state) {
	case HOST_NEGOTIATE:
		return build_negotiate(host, buf, cap);
	case HOST_REPLY:
		return build_reply(host, buf, cap);
	case HOST_SUCCESS2:
		if (cap < sizeof(struct nvtcp_auth_success2)) {
			return -ENOSPC;
		}
		memset(buf, 0, sizeof(struct nvtcp_auth_success2));
		auth_put_hdr(buf, NVTCP_AUTH_TYPE_DHCHAP, NVTCP_AUTH_ID_SUCCESS2, host->p.t_id);
		host->state = HOST_DONE;
		return (int)sizeof(struct nvtcp_auth_success2);
	case HOST_FAILURE2:
		return build_failure2(host, buf, cap);
	default:
		return -EINVAL;
	}
}

/* The controller's message is wrong: answer with a Failure2. */
static int
fail2(struct nvtcp_auth_host *host, uint8_t explanation)
{
	host->explanation = explanation;
	host->by_controller = false;
	host->state = HOST_FAILURE2;
	return -EINVAL;
}

/* The DH exchange and both responses. Everything secret stays in this frame. */
static int
compute(struct nvtcp_auth_host *host, const uint8_t *c1, const uint8_t *ctrl_pub,
	size_t ctrl_publen)
{
	uint8_t key[NVTCP_AUTH_KEY_MAX_LEN], chal[NVTCP_AUTH_KEY_MAX_LEN];
	uint8_t shared[NVTCP_AUTH_DH_MAX_LEN];
	struct nvtcp_auth_dh *dh = NULL;
	size_t keylen = 0, slen = 0;
	int rc;

	if (host->dhgroup_id != NVTCP_AUTH_DHGROUP_NULL) {
		slen = ctrl_publen;
		rc = nvtcp_auth_dh_create(host->dhgroup_id, &dh, host->pub, slen);
		if (rc != 0) {
			NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP: cannot create a %s key pair (%d)",
				     host->p.qid, nvtcp_auth_dhgroup_name(host->dhgroup_id), rc);
			return fail2(host, NVTCP_AUTH_FAIL_FAILED);
		}
		host->publen = (uint16_t)slen;
		rc = nvtcp_auth_dh_derive(dh, ctrl_pub, ctrl_publen, shared, slen);
		nvtcp_auth_dh_free(dh);
		if (rc != 0) {
			NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP challenge: the controller's %s public "
				     "value is invalid (0, 1, p-1 or out of range)", host->p.qid,
				     nvtcp_auth_dhgroup_name(host->dhgroup_id));
			OPENSSL_cleanse(shared, sizeof(shared));
			return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
		}
	}
	rc = nvtcp_auth_augment(host->hash_id, shared, slen, c1, host->hl, chal);
	if (rc == 0) {
		rc = nvtcp_auth_secret_transform(host->p.host_secret, host->p.hostnqn, key, &keylen);
	}
	if (rc == 0) {
		rc = nvtcp_auth_host_response(host->hash_id, key, keylen, chal, host->hl, host->s1,
					      host->p.t_id, 0, host->p.hostnqn, host->p.subnqn,
					      host->r1);
	}
	if (rc == 0 && host->bidirectional) {
		if (RAND_bytes(host->c2, host->hl) != 1) {
			rc = -EIO;
		}
		if (rc == 0) {
			rc = nvtcp_auth_augment(host->hash_id, shared, slen, host->c2, host->hl,
						chal);
		}
		if (rc == 0) {
			rc = nvtcp_auth_secret_transform(host->p.ctrl_secret, host->p.subnqn, key,
							 &keylen);
		}
		if (rc == 0) {
			rc = nvtcp_auth_ctrl_response(host->hash_id, key, keylen, chal, host->hl,
						      host->p.seqnum, host->p.t_id, 0,
						      host->p.subnqn, host->p.hostnqn, host->r2);
		}
	}
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(chal, sizeof(chal));
	if (rc != 0) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP: computing the response failed (%d)",
			     host->p.qid, rc);
		return fail2(host, NVTCP_AUTH_FAIL_FAILED);
	}
	host->state = HOST_REPLY;
	host->step = "reply";
	return 0;
}

static int
process_challenge(struct nvtcp_auth_host *host, const uint8_t *buf, size_t len)
{
	const struct nvtcp_auth_challenge *c = (const struct nvtcp_auth_challenge *)buf;
	uint16_t dhvlen;
	int glen;

	if (len < sizeof(*c)) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP challenge: %zu bytes, shorter than its "
			     "16-byte header", host->p.qid, len);
		return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	dhvlen = auth_get_le16((const uint8_t *)&c->dhvlen);
	if (nvtcp_auth_hash_len(c->hash_id) == 0 ||
	    !(host->p.hash_mask & NVTCP_AUTH_HASH_BIT(c->hash_id))) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP challenge: hash id %u was not offered",
			     host->p.qid, c->hash_id);
		return fail2(host, NVTCP_AUTH_FAIL_HASH_UNUSABLE);
	}
	glen = nvtcp_auth_dhgroup_len(c->dhgroup_id);
	if (glen < 0 || !(host->p.dhgroup_mask & NVTCP_AUTH_DHGROUP_BIT(c->dhgroup_id))) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP challenge: DH group id %u was not offered",
			     host->p.qid, c->dhgroup_id);
		return fail2(host, NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE);
	}
	if (c->hl != nvtcp_auth_hash_len(c->hash_id)) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP challenge: hl %u, %s needs %zu", host->p.qid,
			     c->hl, nvtcp_auth_hash_name(c->hash_id),
			     nvtcp_auth_hash_len(c->hash_id));
		return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	if (dhvlen != (uint16_t)glen) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP challenge: dhvlen %u, %s needs %d", host->p.qid,
			     dhvlen, nvtcp_auth_dhgroup_name(c->dhgroup_id), glen);
		return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	if (sizeof(*c) + (size_t)c->hl + dhvlen > len) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP challenge: hl %u + dhvlen %u exceed the %zu "
			     "bytes received", host->p.qid, c->hl, dhvlen, len);
		return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	host->hash_id = c->hash_id;
	host->hl = c->hl;
	host->dhgroup_id = c->dhgroup_id;
	host->s1 = auth_get_le32((const uint8_t *)&c->seqnum);
	host->bidirectional = host->p.ctrl_secret != NULL;
	return compute(host, c->cval, c->cval + c->hl, dhvlen);
}

static int
process_success1(struct nvtcp_auth_host *host, const uint8_t *buf, size_t len)
{
	const struct nvtcp_auth_success1 *s = (const struct nvtcp_auth_success1 *)buf;

	if (len < sizeof(*s)) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP success1: %zu bytes, shorter than its "
			     "16-byte header", host->p.qid, len);
		return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	if (s->hl != host->hl) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP success1: hl %u, negotiated %u", host->p.qid,
			     s->hl, host->hl);
		return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	if (!host->bidirectional) {
		/* Nothing to check; an R2 we did not ask for is ignored (as Linux does). */
		host->state = HOST_DONE;
		return 0;
	}
	if (!(s->rvalid & 1)) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP success1: bidirectional authentication asked "
			     "but the controller sent no response (rvalid 0)", host->p.qid);
		return fail2(host, NVTCP_AUTH_FAIL_FAILED);
	}
	if (sizeof(*s) + (size_t)s->hl > len) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP success1: hl %u exceeds the %zu bytes "
			     "received", host->p.qid, s->hl, len);
		return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	if (CRYPTO_memcmp(s->rval, host->r2, host->hl) != 0) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP success1: the controller's response does not "
			     "match: wrong controller secret", host->p.qid);
		return fail2(host, NVTCP_AUTH_FAIL_FAILED);
	}
	host->state = HOST_SUCCESS2;
	host->step = "success2";
	return 0;
}

int
nvtcp_auth_host_process(struct nvtcp_auth_host *host, const uint8_t *buf, size_t len)
{
	const struct nvtcp_auth_hdr *h = (const struct nvtcp_auth_hdr *)buf;
	uint8_t expect;

	if (host == NULL) {
		return -EINVAL;
	}
	if (host->state != HOST_CHALLENGE && host->state != HOST_SUCCESS1) {
		/* Not waiting for a message: the caller's mistake, the state stays. */
		return -EINVAL;
	}
	if (buf == NULL || len < sizeof(*h)) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP %s: %zu bytes, shorter than a message header",
			     host->p.qid, host->step, len);
		return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	}
	if (h->auth_type == NVTCP_AUTH_TYPE_COMMON && h->auth_id == NVTCP_AUTH_ID_FAILURE1) {
		uint8_t reason;

		host->by_controller = true;
		host->state = HOST_FAILED;
		host->explanation = auth_peer_failure(buf, len, &reason);
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP %s: the controller refused: %s (reason %u, "
			     "explanation %u)", host->p.qid, host->step,
			     nvtcp_auth_failure_name(host->explanation), reason, host->explanation);
		return 0;
	}
	expect = host->state == HOST_CHALLENGE ? NVTCP_AUTH_ID_CHALLENGE : NVTCP_AUTH_ID_SUCCESS1;
	if (h->auth_type != NVTCP_AUTH_TYPE_DHCHAP || h->auth_id != expect) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP %s: got message type %u id 0x%02x, expected "
			     "type 1 id 0x%02x", host->p.qid, host->step, h->auth_type, h->auth_id,
			     expect);
		return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_MESSAGE);
	}
	if (!auth_t_id_ok(host->p.qid, host->step, h, host->p.t_id)) {
		return fail2(host, NVTCP_AUTH_FAIL_INCORRECT_MESSAGE);
	}
	if (host->state == HOST_CHALLENGE) {
		return process_challenge(host, buf, len);
	}
	return process_success1(host, buf, len);
}

void
nvtcp_auth_host_result(const struct nvtcp_auth_host *host, struct nvtcp_auth_result *res)
{
	memset(res, 0, sizeof(*res));
	if (host->state != HOST_DONE) {
		return;
	}
	res->hash_id = host->hash_id;
	res->dhgroup_id = host->dhgroup_id;
	res->bidirectional = host->bidirectional;
}

uint8_t
nvtcp_auth_host_failure(const struct nvtcp_auth_host *host, bool *by_controller,
			const char **step)
{
	if (by_controller != NULL) {
		*by_controller = host->by_controller;
	}
	if (step != NULL) {
		*step = host->step;
	}
	return host->explanation;
}

void
nvtcp_auth_host_free(struct nvtcp_auth_host *host)
{
	if (host == NULL) {
		return;
	}
	OPENSSL_cleanse(host, sizeof(*host));
	free(host);
}
