/*
 * Internals shared by the files of lib/tcp.
 */
#ifndef NVTCP_TCP_INTERNAL_H
#define NVTCP_TCP_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "nvtcp/crc32c.h"
#include "nvtcp/tcp_pdu.h"

/* Digests are stored little-endian; the wire structures already require a little-endian host,
 * so a byte copy is the conversion. memcpy because digests sit at unaligned offsets. */
static inline uint32_t
tcp_get_le32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
tcp_put_le32(void *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * Finish a data digest: the data is digested as if padded with zeros to a multiple of 4 bytes
 * (NVMe/TCP; SPDK does the same; data lengths are multiples of 4 in practice anyway).
 */
static inline uint32_t
tcp_ddgst_finish(uint32_t crc, uint64_t data_len)
{
	static const uint8_t zeros[3];
	uint32_t rem = (uint32_t)(data_len & 3);

	if (rem != 0) {
		crc = nvtcp_crc32c_update(crc, zeros, 4 - rem);
	}
	return nvtcp_crc32c_finish(crc);
}

/* Data alignment in bytes must be a multiple of 4 in 4..128. */
static inline int
tcp_pda_valid(uint32_t align)
{
	return align >= 4 && align <= NVTCP_TCP_PDA_ALIGN_MAX && (align % 4) == 0;
}

#endif /* NVTCP_TCP_INTERNAL_H */
