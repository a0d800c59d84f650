/*
 * fault_proxy: the PDU-boundary tracker.
 *
 * Follows one direction of an NVMe/TCP connection from its first byte (or, with --tls, of a
 * TLS connection: then the units are TLS records, their 5-byte header and their body, as the
 * PDUs inside cannot be seen): it reads each 8-byte
 * common header, derives the PDU's layout (header, header digest, padding, data, data digest)
 * the way a receiver frames it, and classifies every byte that passes. It looks only at the
 * common header, which is enough to know every boundary; it does not judge whether a PDU is
 * valid for the connection's state (that is the receivers' job, and the point of the tests).
 *
 * The tracker always sees the bytes as their sender wrote them: the proxy feeds it before it
 * flips anything, so a fault that breaks the framing for the receiver never confuses the
 * tracker. Only a sender that itself breaks the framing (plen smaller than the header...) makes
 * it lose track; from then on every byte is FP_REGION_UNKNOWN.
 */
#include <errno.h>
#include <string.h>

#include "fault_proxy.h"
#include "nvtcp/nvme_tcp_spec.h"
#include "nvtcp/util.h"

static uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static void
region_set(struct fp_pdu_layout *l, enum fp_region r, uint32_t start, uint32_t end)
{
	l->start[r] = start;
	l->len[r] = end - start;
}

int
fp_pdu_layout(const uint8_t ch[8], struct fp_pdu_layout *l)
{
	uint8_t type = ch[0], flags = ch[1], hlen = ch[2], pdo = ch[3];
	uint32_t plen = get_le32(ch + 4);
	uint32_t hdr_end, dd;

	memset(l, 0, sizeof(*l));
	if (plen < NVTCP_TCP_CH_LEN || hlen < NVTCP_TCP_CH_LEN || hlen > plen) {
		return -EPROTO;
	}
	region_set(l, FP_REGION_CH, 0, NVTCP_TCP_CH_LEN);
	if (type == NVTCP_TCP_PDU_H2C_TERM_REQ || type == NVTCP_TCP_PDU_C2H_TERM_REQ) {
		/* The error data (a copy of the offending header) is part of the header. */
		region_set(l, FP_REGION_PSH, NVTCP_TCP_CH_LEN, plen);
		return 0;
	}
	region_set(l, FP_REGION_PSH, NVTCP_TCP_CH_LEN, hlen);
	hdr_end = hlen;
	if (flags & NVTCP_TCP_FLAG_HDGSTF) {
		if (plen - hlen < NVTCP_TCP_DIGEST_LEN) {
			return -EPROTO;
		}
		hdr_end = hlen + NVTCP_TCP_DIGEST_LEN;
		region_set(l, FP_REGION_HDGST, hlen, hdr_end);
	}
	if (pdo == 0) {
		/* No data: whatever plen adds beyond the header is junk a receiver rejects; it
		 * still occupies the stream, so it is framed (as padding). */
		region_set(l, FP_REGION_PAD, hdr_end, plen);
		return 0;
	}
	if (pdo < hdr_end || pdo > plen) {
		return -EPROTO;
	}
	dd = (flags & NVTCP_TCP_FLAG_DDGSTF) ? NVTCP_TCP_DIGEST_LEN : 0;
	if (plen - pdo < dd) {
		return -EPROTO;
	}
	region_set(l, FP_REGION_PAD, hdr_end, pdo);
	region_set(l, FP_REGION_DATA, pdo, plen - dd);
	region_set(l, FP_REGION_DDGST, plen - dd, plen);
	return 0;
}

int
fp_tls_layout(const uint8_t hdr[FP_TLS_HDR_LEN], struct fp_pdu_layout *l, uint32_t *rlen)
{
	uint32_t len = ((uint32_t)hdr[3] << 8) | hdr[4];

	memset(l, 0, sizeof(*l));
	if (hdr[0] < FP_TLS_CHANGE_CIPHER_SPEC || hdr[0] > FP_TLS_APPLICATION_DATA ||
	    hdr[1] != 3 || len > (1u << 14) + 256) {
		return -EPROTO;
	}
	region_set(l, FP_REGION_CH, 0, FP_TLS_HDR_LEN);
	region_set(l, FP_REGION_DATA, FP_TLS_HDR_LEN, FP_TLS_HDR_LEN + len);
	*rlen = FP_TLS_HDR_LEN + len;
	return 0;
}

const char *
fp_tls_type_str(int type)
{
	switch (type) {
	case FP_TLS_CHANGE_CIPHER_SPEC: return "change_cipher_spec";
	case FP_TLS_ALERT: return "alert";
	case FP_TLS_HANDSHAKE: return "handshake";
	case FP_TLS_APPLICATION_DATA: return "application_data";
	default: return "tls-unknown";
	}
}

void
fp_track_init(struct fp_track *t)
{
	memset(t, 0, sizeof(*t));
}

void
fp_track_init_tls(struct fp_track *t)
{
	memset(t, 0, sizeof(*t));
	t->tls = true;
}

/* Bytes of the header that frames the next unit: a PDU's common header or a TLS record's. */
static uint32_t
hdr_len(const struct fp_track *t)
{
	return t->tls ? FP_TLS_HDR_LEN : NVTCP_TCP_CH_LEN;
}

int
fp_track_pdu_type(const struct fp_track *t)
{
	if (t->lost || t->pdu_off < hdr_len(t)) {
		return -1;
	}
	return t->ch[0];
}

/* The region of the current PDU that contains pdu_off (the header is complete). */
static enum fp_region
region_at(const struct fp_track *t, uint32_t *end)
{
	for (int r = FP_REGION_PSH; r < FP_REGION_UNKNOWN; r++) {
		uint32_t s = t->layout.start[r], e = s + t->layout.len[r];

		if (t->layout.len[r] != 0 && t->pdu_off >= s && t->pdu_off < e) {
			*end = e;
			return (enum fp_region)r;
		}
	}
	/* Unreachable: the regions cover [8, plen) without gaps. */
	*end = t->plen;
	return FP_REGION_UNKNOWN;
}

size_t
fp_track_step(struct fp_track *t, const uint8_t *buf, size_t len, struct fp_span *span)
{
	uint32_t n, end;

	memset(span, 0, sizeof(*span));
	span->stream_off = t->stream_off;
	span->pdu_type = -1;
	if (t->lost) {
		span->len = (uint32_t)NVTCP_MIN(len, (size_t)UINT32_MAX);
		span->region = FP_REGION_UNKNOWN;
		span->pdu_index = t->pdu_index;
		t->stream_off += span->len;
		return span->len;
	}
	if (t->pdu_off == 0) {
		t->pdu_start = t->stream_off;
		t->pdu_index++;
	}
	span->pdu_index = t->pdu_index - 1;
	span->pdu_off = t->pdu_off;

	if (t->pdu_off < hdr_len(t)) {
		int rc;

		n = (uint32_t)NVTCP_MIN(len, (size_t)(hdr_len(t) - t->pdu_off));
		memcpy(t->ch + t->pdu_off, buf, n);
		t->pdu_off += n;
		t->stream_off += n;
		span->len = n;
		span->region = FP_REGION_CH;
		if (t->pdu_off < hdr_len(t)) {
			return n;
		}
		rc = t->tls ? fp_tls_layout(t->ch, &t->layout, &t->plen) :
		     fp_pdu_layout(t->ch, &t->layout);
		if (rc != 0) {
			t->lost = true;
			t->lost_at = t->stream_off;
			return n;
		}
		if (!t->tls) {
			t->plen = get_le32(t->ch + 4);
		}
		t->pdus_by_type[t->ch[0] & 15]++;
		span->ch_done = true;
		span->pdu_type = t->ch[0];
		if (t->plen == hdr_len(t)) {
			span->pdu_end = true;
			t->pdu_off = 0;
		}
		return n;
	}

	span->region = region_at(t, &end);
	span->pdu_type = t->ch[0];
	n = (uint32_t)NVTCP_MIN(len, (size_t)(end - t->pdu_off));
	t->pdu_off += n;
	t->stream_off += n;
	span->len = n;
	if (t->pdu_off == t->plen) {
		span->pdu_end = true;
		t->pdu_off = 0;
	}
	return n;
}

int
fp_flip_pick(const struct fp_pdu_layout *l, unsigned int where, uint32_t min_off,
	     struct fp_rng *rng, uint32_t *off, enum fp_region *region)
{
	uint64_t total = 0, k;

	for (int r = 0; r < FP_REGION_UNKNOWN; r++) {
		uint32_t s = NVTCP_MAX(l->start[r], min_off), e = l->start[r] + l->len[r];

		if ((where & (1u << r)) && l->len[r] != 0 && e > s) {
			total += e - s;
		}
	}
	if (total == 0) {
		return -ENOENT;
	}
	k = fp_rng_below(rng, total);
	for (int r = 0; r < FP_REGION_UNKNOWN; r++) {
		uint32_t s = NVTCP_MAX(l->start[r], min_off), e = l->start[r] + l->len[r];

		if (!(where & (1u << r)) || l->len[r] == 0 || e <= s) {
			continue;
		}
		if (k < e - s) {
			*off = s + (uint32_t)k;
			*region = (enum fp_region)r;
			return 0;
		}
		k -= e - s;
	}
	return -ENOENT; /* unreachable: k < total */
}
