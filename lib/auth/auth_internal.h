/*
 * Internals of lib/auth shared by its files, the unit tests and the fuzz harnesses.
 */
#ifndef NVTCP_AUTH_INTERNAL_H
#define NVTCP_AUTH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nvtcp/util.h"
#include "nvtcp/auth.h"
#include "nvtcp/nvmf_auth_spec.h"

/** "DHHC-1:" */
#define AUTH_SECRET_PREFIX "DHHC-1:"
#define AUTH_SECRET_PREFIX_LEN (sizeof(AUTH_SECRET_PREFIX) - 1)

/** One piece of an HMAC input. */
struct auth_part {
	const void *buf;
	size_t len;
};


/** Hashes and DH groups, strongest first (dhchap_common.c). */
#define AUTH_NHASH 3
#define AUTH_NDHGROUP 6
extern const uint8_t g_auth_hash_pref[AUTH_NHASH];
extern const uint8_t g_auth_dh_pref[AUTH_NDHGROUP];

/** A configured secret is usable: 32, 48 or 64 bytes, and its hash's length when
 * transformed. */
bool auth_secret_ok(const struct nvtcp_auth_secret *s);

/** Write the common header of an authentication message. */
void auth_put_hdr(uint8_t *buf, uint8_t type, uint8_t id, uint16_t t_id);

/** Whether the message's transaction id is \p expected; logs (qid, step, both ids) when not. */
bool auth_t_id_ok(uint16_t qid, const char *step, const struct nvtcp_auth_hdr *h,
		  uint16_t expected);

/**
 * Build a Failure1 or Failure2 (\p id) with reason "failed" and \p explanation.
 * \return its length, or -ENOSPC.
 */
int auth_build_failure(uint8_t *buf, size_t cap, uint8_t id, uint16_t t_id, uint8_t explanation);

/** The explanation (returned) and reason of a received Failure1/Failure2 of \p len bytes. */
uint8_t auth_peer_failure(const uint8_t *buf, size_t len, uint8_t *reason);

/**
 * HMAC-H over the concatenation of \p parts with H the hash \p hash_id; \p out receives
 * nvtcp_auth_hash_len(hash_id) bytes. \return 0 or -EINVAL / -EIO.
 */
int nvtcp_auth_hmac(uint8_t hash_id, const uint8_t *key, size_t keylen,
		    const struct auth_part *parts, size_t nparts, uint8_t *out);

/** Plain digest H(buf) into \p out. \return 0 or -EINVAL / -EIO. */
int nvtcp_auth_digest(uint8_t hash_id, const uint8_t *buf, size_t len, uint8_t *out);

static inline void
auth_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
auth_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static inline uint16_t
auth_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
auth_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif /* NVTCP_AUTH_INTERNAL_H */
