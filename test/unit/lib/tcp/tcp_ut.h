/*
 * Test helpers of lib/tcp: an encoder of NVMe/TCP PDUs written from the specification,
 * independent of lib/tcp/tx.c, so that receive tests do not trust the code under test and send
 * tests have hand-computed bytes to compare with. Digests use nvtcp_crc32c().
 */
#ifndef NVTCP_TCP_UT_H
#define NVTCP_TCP_UT_H

#include <string.h>

#include "nvtcp/crc32c.h"
#include "nvtcp/nvme_tcp_spec.h"

/* Store a 32-bit value little-endian, byte by byte (not relying on the host order). */
static inline void
ut_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* CRC32C of data zero-padded to a multiple of 4 bytes (the NVMe/TCP data digest). */
static inline uint32_t
ut_ddgst(const void *data, uint32_t len)
{
	static const uint8_t zeros[3];
	uint32_t crc = nvtcp_crc32c_update(NVTCP_CRC32C_INIT, data, len);

	if (len % 4 != 0) {
		crc = nvtcp_crc32c_update(crc, zeros, 4 - len % 4);
	}
	return nvtcp_crc32c_finish(crc);
}

/*
 * Encode a PDU into \p out: \p hdr holds the type, extra flags (LAST_PDU, SUCCESS) and the
 * type-specific fields; hlen, HDGSTF/DDGSTF, pdo, plen and DATAL are computed here. Data starts
 * at hlen (+ 4 with a header digest) rounded up to \p align. Returns the PDU length.
 */
static inline uint32_t
ut_build_pdu(uint8_t *out, const union nvtcp_tcp_pdu_hdr *hdr, const void *data, uint32_t data_len,
	     bool hdgst, bool ddgst, uint32_t align)
{
	uint8_t type = hdr->ch.pdu_type;
	uint32_t hlen = nvtcp_tcp_pdu_hlen(type);
	bool hd = hdgst && nvtcp_tcp_pdu_may_hdgst(type);
	bool dd = ddgst && data_len > 0;
	uint32_t hend = hlen + (hd ? 4 : 0);
	uint32_t pdo = data_len > 0 ? (hend + align - 1) / align * align : 0;
	uint32_t plen = data_len > 0 ? pdo + data_len + (dd ? 4 : 0) : hend;

	memcpy(out, hdr, hlen);
	out[1] = (uint8_t)((hdr->ch.flags & ~3u) | (hd ? 1 : 0) | (dd ? 2 : 0));
	out[2] = (uint8_t)hlen;
	out[3] = (uint8_t)pdo;
	ut_le32(out + 4, plen);
	if (type == NVTCP_TCP_PDU_H2C_DATA || type == NVTCP_TCP_PDU_C2H_DATA) {
		ut_le32(out + 16, data_len);
	}
	if (hd) {
		ut_le32(out + hlen, nvtcp_crc32c(out, hlen));
	}
	if (data_len > 0) {
		memset(out + hend, 0, pdo - hend);
		memcpy(out + pdo, data, data_len);
		if (dd) {
			ut_le32(out + pdo + data_len, ut_ddgst(data, data_len));
		}
	}
	return plen;
}

/* Encode a TermReq carrying \p len bytes of a rejected header. */
static inline uint32_t
ut_build_term_req(uint8_t *out, uint8_t type, uint16_t fes, uint32_t fei, const void *bad,
		  uint32_t len)
{
	memset(out, 0, 24);
	out[0] = type;
	out[2] = 24;
	ut_le32(out + 4, 24 + len);
	out[8] = (uint8_t)fes;
	out[9] = (uint8_t)(fes >> 8);
	ut_le32(out + 10, fei);
	if (len > 0) {
		memcpy(out + 24, bad, len);
	}
	return 24 + len;
}

/* A header with only the type (and flags) set. */
static inline union nvtcp_tcp_pdu_hdr
ut_hdr(uint8_t type, uint8_t flags)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = type;
	h.ch.flags = flags;
	return h;
}

#endif /* NVTCP_TCP_UT_H */
