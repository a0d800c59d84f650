/*
 * Internals of lib/auth shared by its files, the unit tests and the fuzz harnesses.
 */
#ifndef NVTCP_AUTH_INTERNAL_H
#define NVTCP_AUTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nvtcp/util.h"
#include "nvtcp/auth.h"

/** "DHHC-1:" */
#define AUTH_SECRET_PREFIX "DHHC-1:"
#define AUTH_SECRET_PREFIX_LEN (sizeof(AUTH_SECRET_PREFIX) - 1)

/** One piece of an HMAC input. */
struct auth_part {
	const void *buf;
	size_t len;
};


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
