/*
 * What the two DH-HMAC-CHAP transaction engines (dhchap_host.c, dhchap_ctrl.c) share: the
 * preference order of hashes and DH groups, the check of a configured secret, the common
 * header of every message (NVMe Base Specification, "AUTH_Send/AUTH_Receive message
 * header"), the transaction-id check and the Failure1/Failure2 messages.
 */
#include <errno.h>

#include "auth_internal.h"
#include "nvtcp/log.h"

/* Strongest first: the host offers in this order, the controller picks in it. */
const uint8_t g_auth_hash_pref[AUTH_NHASH] = {NVTCP_AUTH_HASH_SHA512, NVTCP_AUTH_HASH_SHA384,
					      NVTCP_AUTH_HASH_SHA256};
const uint8_t g_auth_dh_pref[AUTH_NDHGROUP] = {
	NVTCP_AUTH_DHGROUP_8192, NVTCP_AUTH_DHGROUP_6144, NVTCP_AUTH_DHGROUP_4096,
	NVTCP_AUTH_DHGROUP_3072, NVTCP_AUTH_DHGROUP_2048, NVTCP_AUTH_DHGROUP_NULL};

bool
auth_secret_ok(const struct nvtcp_auth_secret *s)
{
	return (s->len == 32 || s->len == 48 || s->len == 64) &&
	       s->hash <= NVTCP_AUTH_HASH_SHA512 &&
	       (s->hash == 0 || nvtcp_auth_hash_len(s->hash) == s->len);
}

void
auth_put_hdr(uint8_t *buf, uint8_t type, uint8_t id, uint16_t t_id)
{
	struct nvtcp_auth_hdr *h = (struct nvtcp_auth_hdr *)buf;

	h->auth_type = type;
	h->auth_id = id;
	h->reserved2 = 0;
	auth_put_le16((uint8_t *)&h->t_id, t_id);
}

bool
auth_t_id_ok(uint16_t qid, const char *step, const struct nvtcp_auth_hdr *h, uint16_t expected)
{
	uint16_t t_id = auth_get_le16((const uint8_t *)&h->t_id);

	if (t_id != expected) {
		NVTCP_ERRLOG("qid %u: DH-HMAC-CHAP %s: transaction id %u, expected %u", qid, step,
			     t_id, expected);
		return false;
	}
	return true;
}

int
auth_build_failure(uint8_t *buf, size_t cap, uint8_t id, uint16_t t_id, uint8_t explanation)
{
	struct nvtcp_auth_failure *f = (struct nvtcp_auth_failure *)buf;

	if (cap < sizeof(*f)) {
		return -ENOSPC;
	}
	auth_put_hdr(buf, NVTCP_AUTH_TYPE_COMMON, id, t_id);
	f->reason = NVTCP_AUTH_FAILURE_REASON_FAILED;
	f->explanation = explanation;
	return (int)sizeof(*f);
}

uint8_t
auth_peer_failure(const uint8_t *buf, size_t len, uint8_t *reason)
{
	const struct nvtcp_auth_failure *f = (const struct nvtcp_auth_failure *)buf;

	/* A short Failure still ends the transaction; its fields read as 0. */
	*reason = len >= sizeof(*f) ? f->reason : 0;
	return len >= sizeof(*f) ? f->explanation : 0;
}
