/*
 * NVMe/TCP receive state machine.
 *
 * The state names what the next bytes of the stream are (CH, PSH, PAD, PAYLOAD, DDGST); the
 * position inside the PDU is one counter, offset, so the state cannot disagree with the bytes:
 * each state ends at a fixed offset (8, hdr_end, data_off, data_off + data_len, + 4).
 *
 * Header bytes are copied into rx->h (at most 152 bytes per PDU): headers may straddle reads,
 * and a copy that small costs less than tracking fragments. Data is copied only when it was read
 * into the rxbuf before its destination was known; otherwise the owner reads it in place
 * (nvtcp_tcp_rx_direct_iov()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nvtcp/log.h"
#include "nvtcp/util.h"
#include "tcp_internal.h"

/* What a state function tells the loop in nvtcp_tcp_rx_process(). */
enum rx_step {
	RX_NEXT,   /* progress made or state changed: run the loop again */
	RX_MORE,   /* the input is exhausted: return 0 */
	RX_RETURN, /* return *rc */
};

static const char *
role_str(enum nvtcp_tcp_role role)
{
	return role == NVTCP_TCP_ROLE_HOST ? "host" : "controller";
}

void
nvtcp_tcp_rx_opts_init(struct nvtcp_tcp_rx_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->role = NVTCP_TCP_ROLE_HOST;
	opts->max_data_len = NVTCP_TCP_RX_MAX_DATA_DEFAULT;
}

/* Back to a PDU boundary. The header and data fields of the PDU just finished stay readable
 * (payload callbacks use them) until the next common header is parsed. */
static void
rx_next_pdu(struct nvtcp_tcp_rx *rx)
{
	rx->state = NVTCP_TCP_RX_STATE_CH;
	rx->offset = 0;
}

void
nvtcp_tcp_rx_reset(struct nvtcp_tcp_rx *rx)
{
	memset(&rx->h, 0, sizeof(rx->h));
	rx_next_pdu(rx);
	rx->hdr_end = 0;
	rx->hdr_rcvd = 0;
	rx->data_off = 0;
	rx->data_len = 0;
	rx->plen = 0;
	rx->hdgst = false;
	rx->ddgst = false;
	rx->dest = NVTCP_TCP_RX_DEST_NONE;
	rx->iovcnt = 0;
	rx->iov_idx = 0;
	rx->iov_off = 0;
	rx->err.fes = 0;
	rx->err.fei = 0;
	rx->err_len = 0;
	rx->err_msg[0] = '\0';
	nvtcp_tcp_params_init(&rx->params);
}

int
nvtcp_tcp_rx_init(struct nvtcp_tcp_rx *rx, const struct nvtcp_tcp_rx_opts *opts)
{
	if (rx == NULL || opts == NULL || opts->header_cb == NULL || opts->payload_cb == NULL ||
	    opts->max_data_len == 0 ||
	    (opts->role != NVTCP_TCP_ROLE_HOST && opts->role != NVTCP_TCP_ROLE_CTRLR)) {
		return -EINVAL;
	}
	memset(rx, 0, sizeof(*rx));
	rx->role = opts->role;
	rx->max_data_len = opts->max_data_len;
	rx->header_cb = opts->header_cb;
	rx->payload_cb = opts->payload_cb;
	rx->cb_ctx = opts->cb_ctx;
	snprintf(rx->name, sizeof(rx->name), "%s", opts->name != NULL ? opts->name : "nvme-tcp");
	nvtcp_tcp_rx_reset(rx);
	return 0;
}

int
nvtcp_tcp_rx_set_params(struct nvtcp_tcp_rx *rx, const struct nvtcp_tcp_params *params)
{
	if (nvtcp_tcp_params_check(params) != 0) {
		return -EINVAL;
	}
	rx->params = *params;
	return 0;
}

int
nvtcp_tcp_rx_fail(struct nvtcp_tcp_rx *rx, uint16_t fes, uint32_t fei)
{
	uint32_t len = rx->hdr_rcvd;

	rx->state = NVTCP_TCP_RX_STATE_ERROR;
	rx->err_msg[0] = '\0';
	rx->err.fes = fes;
	rx->err.fei = fei;
	/* The TermReq carries the offending header: what we have of it, without its digest or
	 * a received TermReq's error data, and at most 128 bytes (rx_take_bad_hdr() completes
	 * it for errors in the common header). */
	if (len >= NVTCP_TCP_CH_LEN && rx->h.hdr.ch.hlen >= NVTCP_TCP_CH_LEN &&
	    len > rx->h.hdr.ch.hlen) {
		len = rx->h.hdr.ch.hlen;
	}
	rx->err_len = NVTCP_MIN(len, (uint32_t)NVTCP_TCP_TERM_REQ_DATA_MAX);
	return -EPROTO;
}

/* Log a framing error naming the field and its value, and enter the ERROR state. */
static int __attribute__((format(printf, 4, 5)))
rx_error(struct nvtcp_tcp_rx *rx, uint16_t fes, uint32_t fei, const char *fmt, ...)
{
	char msg[192];
	va_list ap;
	size_t n;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	NVTCP_ERRLOG("%s: received %s (type 0x%02x): %s: FES 0x%02x (%s), FEI %u\n", rx->name,
		     nvtcp_tcp_pdu_type_str(rx->h.hdr.ch.pdu_type), rx->h.hdr.ch.pdu_type, msg, fes,
		     nvtcp_tcp_fes_str(fes), fei);
	rc = nvtcp_tcp_rx_fail(rx, fes, fei);
	/* Our own messages are short; a longer one is cut, still naming the rule first. */
	n = strnlen(msg, sizeof(rx->err_msg) - 1);
	memcpy(rx->err_msg, msg, n);
	rx->err_msg[n] = '\0';
	return rc;
}

static size_t
rb_avail(const struct nvtcp_sock_rxbuf *rb)
{
	return rb != NULL && rb->tail > rb->head ? rb->tail - rb->head : 0;
}

/* Copy header bytes from the rxbuf into rx->h up to PDU offset \p end (<= the area size). */
static void
rx_take_hdr(struct nvtcp_tcp_rx *rx, struct nvtcp_sock_rxbuf *rb, uint32_t end)
{
	size_t n = NVTCP_MIN((size_t)(end - rx->offset), rb_avail(rb));

	if (n > 0) {
		memcpy(rx->h.raw + rx->offset, rb->buf + rb->head, n);
		rb->head += n;
		rx->offset += (uint32_t)n;
	}
	rx->hdr_rcvd = rx->offset;
}

/* A common header was refused: the TermReq carries the whole header the peer sent, as it does
 * for errors found later, so read the rest of it (up to its HLEN and the TermReq's 128 bytes).
 * Only what has already arrived: waiting for more from a peer that is already wrong could
 * stall the connection. The stream is not parsed further, so the bytes are free to take. */
static void
rx_take_bad_hdr(struct nvtcp_tcp_rx *rx, struct nvtcp_sock_rxbuf *rb)
{
	uint32_t hlen = NVTCP_MAX((uint32_t)rx->h.hdr.ch.hlen, (uint32_t)NVTCP_TCP_CH_LEN);
	uint32_t want = NVTCP_MIN(hlen, (uint32_t)NVTCP_TCP_TERM_REQ_DATA_MAX);

	rx_take_hdr(rx, rb, want);
	rx->err_len = rx->hdr_rcvd;
}

/* Generic checks of the common header; sets up the per-PDU fields. */
static int
rx_check_ch(struct nvtcp_tcp_rx *rx)
{
	const struct nvtcp_tcp_ch *ch = &rx->h.hdr.ch;
	const struct nvtcp_tcp_params *p = &rx->params;
	uint8_t type = ch->pdu_type;
	uint8_t flags = ch->flags;
	uint32_t plen = ch->plen;
	uint32_t pdo = ch->pdo;
	uint32_t hlen, hdr_end, dd;

	rx->plen = plen;
	rx->data_off = 0;
	rx->data_len = 0;
	rx->hdgst = false;
	rx->ddgst = false;
	rx->dest = NVTCP_TCP_RX_DEST_NONE;
	rx->iovcnt = 0;
	rx->iov_idx = 0;
	rx->iov_off = 0;
	rx->discard_crc = NVTCP_CRC32C_INIT;

	if (!nvtcp_tcp_pdu_type_valid(type) ||
	    nvtcp_tcp_pdu_from_host(type) != (rx->role == NVTCP_TCP_ROLE_CTRLR)) {
		return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				offsetof(struct nvtcp_tcp_ch, pdu_type),
				"PDU type 0x%02x cannot be received by a %s", type, role_str(rx->role));
	}
	hlen = nvtcp_tcp_pdu_hlen(type);
	if (ch->hlen != hlen) {
		return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				offsetof(struct nvtcp_tcp_ch, hlen), "hlen %u, expected %u", ch->hlen,
				hlen);
	}
	if (!nvtcp_tcp_pdu_may_hdgst(type)) {
		if (flags & (NVTCP_TCP_FLAG_HDGSTF | NVTCP_TCP_FLAG_DDGSTF)) {
			return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					offsetof(struct nvtcp_tcp_ch, flags),
					"flags 0x%02x announce a digest, which this type never carries",
					flags);
		}
	} else {
		if (!!(flags & NVTCP_TCP_FLAG_HDGSTF) != p->hdgst) {
			return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					offsetof(struct nvtcp_tcp_ch, flags),
					"flags 0x%02x: HDGSTF %s but header digests are %s", flags,
					(flags & NVTCP_TCP_FLAG_HDGSTF) ? "set" : "clear",
					p->hdgst ? "enabled" : "disabled");
		}
		if ((flags & NVTCP_TCP_FLAG_DDGSTF) && !p->ddgst) {
			return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					offsetof(struct nvtcp_tcp_ch, flags),
					"flags 0x%02x: DDGSTF set but data digests are disabled", flags);
		}
	}
	if (type == NVTCP_TCP_PDU_C2H_DATA && (flags & NVTCP_TCP_FLAG_SUCCESS) &&
	    !(flags & NVTCP_TCP_FLAG_LAST_PDU)) {
		/* SUCCESS stands for the CapsuleResp, which follows only the last PDU. */
		return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				offsetof(struct nvtcp_tcp_ch, flags),
				"C2HData SUCCESS without LAST_PDU (flags 0x%02x)", flags);
	}
	rx->hdgst = nvtcp_tcp_pdu_may_hdgst(type) && (flags & NVTCP_TCP_FLAG_HDGSTF);
	hdr_end = hlen + (rx->hdgst ? NVTCP_TCP_DIGEST_LEN : 0);
	rx->hdr_end = hdr_end;

	switch (type) {
	case NVTCP_TCP_PDU_H2C_TERM_REQ:
	case NVTCP_TCP_PDU_C2H_TERM_REQ:
		/* The error data (copied header) is read with the header: it is small and the
		 * owner wants it whole. */
		if (plen < hlen || plen > NVTCP_TCP_TERM_REQ_PLEN_MAX) {
			return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					offsetof(struct nvtcp_tcp_ch, plen), "plen %u outside %u..%u",
					plen, hlen, NVTCP_TCP_TERM_REQ_PLEN_MAX);
		}
		rx->hdr_end = plen;
		return 0;
	case NVTCP_TCP_PDU_IC_REQ:
	case NVTCP_TCP_PDU_IC_RESP:
		if (plen != hlen) {
			return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					offsetof(struct nvtcp_tcp_ch, plen), "plen %u, expected %u",
					plen, hlen);
		}
		return 0;
	default:
		break;
	}

	/* pdo is reserved in PDUs that cannot carry data, and 0 in a CapsuleCmd without data. */
	if (!nvtcp_tcp_pdu_may_data(type) || pdo == 0) {
		if (nvtcp_tcp_pdu_needs_data(type)) {
			return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					offsetof(struct nvtcp_tcp_ch, pdo),
					"pdo 0, but this type always carries data");
		}
		if (flags & NVTCP_TCP_FLAG_DDGSTF) {
			return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					offsetof(struct nvtcp_tcp_ch, flags),
					"flags 0x%02x: DDGSTF set on a PDU without data", flags);
		}
		if (plen != hdr_end) {
			return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					offsetof(struct nvtcp_tcp_ch, plen), "plen %u, expected %u",
					plen, hdr_end);
		}
		return 0;
	}

	if (p->ddgst && !(flags & NVTCP_TCP_FLAG_DDGSTF)) {
		return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				offsetof(struct nvtcp_tcp_ch, flags),
				"flags 0x%02x: DDGSTF clear but data digests are enabled", flags);
	}
	dd = (flags & NVTCP_TCP_FLAG_DDGSTF) ? NVTCP_TCP_DIGEST_LEN : 0;
	if (pdo < hdr_end || (pdo % p->rx_pda) != 0) {
		return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				offsetof(struct nvtcp_tcp_ch, pdo),
				"pdo %u: must be >= %u (header and digest) and a multiple of %u", pdo,
				hdr_end, p->rx_pda);
	}
	if (pdo >= plen) {
		return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				offsetof(struct nvtcp_tcp_ch, pdo), "pdo %u not within plen %u", pdo,
				plen);
	}
	if (plen - pdo <= dd) {
		return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				offsetof(struct nvtcp_tcp_ch, plen),
				"plen %u leaves no data after pdo %u and the data digest", plen, pdo);
	}
	/* An H2CData too long for MAXH2CDATA breaks the data transfer limit, whatever our
	 * receive limit: say so (as rx_check_psh() does for DATAL), not "bad PLEN". */
	if (type == NVTCP_TCP_PDU_H2C_DATA && plen - pdo - dd > p->maxh2cdata) {
		return rx_error(rx, NVTCP_TCP_FES_DATA_LIMIT_EXCEEDED,
				offsetof(struct nvtcp_tcp_h2c_data, datal),
				"plen %u: %u data bytes exceed MAXH2CDATA %u", plen,
				plen - pdo - dd, p->maxh2cdata);
	}
	if (plen - pdo - dd > rx->max_data_len) {
		return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				offsetof(struct nvtcp_tcp_ch, plen),
				"plen %u: %u data bytes exceed the limit of %u", plen, plen - pdo - dd,
				rx->max_data_len);
	}
	rx->ddgst = dd != 0;
	rx->data_off = pdo;
	rx->data_len = plen - pdo - dd;
	return 0;
}

/* Checks that need the whole header: the header digest, and DATAL of data PDUs. */
static int
rx_check_psh(struct nvtcp_tcp_rx *rx)
{
	const union nvtcp_tcp_pdu_hdr *hdr = &rx->h.hdr;
	uint8_t type = hdr->ch.pdu_type;
	uint32_t datal;

	if (rx->hdgst) {
		uint32_t got = tcp_get_le32(rx->h.raw + hdr->ch.hlen);
		uint32_t exp = nvtcp_crc32c(rx->h.raw, hdr->ch.hlen);

		if (got != exp) {
			return rx_error(rx, NVTCP_TCP_FES_HDGST_ERROR, 0,
					"header digest 0x%08x, computed 0x%08x", got, exp);
		}
	}
	if (type != NVTCP_TCP_PDU_H2C_DATA && type != NVTCP_TCP_PDU_C2H_DATA) {
		return 0;
	}
	/* H2CData and C2HData share the layout of cccid, datao and datal. */
	datal = hdr->h2c_data.datal;
	if (datal != rx->data_len) {
		return rx_error(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				offsetof(struct nvtcp_tcp_h2c_data, datal),
				"datal %u, but plen %u and pdo %u hold %u data bytes", datal, rx->plen,
				rx->data_off, rx->data_len);
	}
	if (type == NVTCP_TCP_PDU_H2C_DATA && datal > rx->params.maxh2cdata) {
		return rx_error(rx, NVTCP_TCP_FES_DATA_LIMIT_EXCEEDED,
				offsetof(struct nvtcp_tcp_h2c_data, datal),
				"datal %u exceeds MAXH2CDATA %u", datal, rx->params.maxh2cdata);
	}
	return 0;
}

/* Run after any callback: its verdict, or an error it recorded with nvtcp_tcp_rx_fail(). */
static enum rx_step
rx_after_cb(struct nvtcp_tcp_rx *rx, int cb_rc, int *rc)
{
	if (cb_rc != 0) {
		/* The owner may have freed rx: do not touch it. */
		*rc = cb_rc;
		return RX_RETURN;
	}
	if (rx->state == NVTCP_TCP_RX_STATE_ERROR) {
		*rc = -EPROTO;
		return RX_RETURN;
	}
	return RX_NEXT;
}

static enum rx_step
rx_state_ch(struct nvtcp_tcp_rx *rx, struct nvtcp_sock_rxbuf *rb, int *rc)
{
	rx_take_hdr(rx, rb, NVTCP_TCP_CH_LEN);
	if (rx->offset < NVTCP_TCP_CH_LEN) {
		return RX_MORE;
	}
	if (rx_check_ch(rx) != 0) {
		rx_take_bad_hdr(rx, rb);
		*rc = -EPROTO;
		return RX_RETURN;
	}
	rx->state = NVTCP_TCP_RX_STATE_PSH;
	return RX_NEXT;
}

static enum rx_step
rx_state_psh(struct nvtcp_tcp_rx *rx, struct nvtcp_sock_rxbuf *rb, int *rc)
{
	enum rx_step step;

	rx_take_hdr(rx, rb, rx->hdr_end);
	if (rx->offset < rx->hdr_end) {
		return RX_MORE;
	}
	if (rx_check_psh(rx) != 0) {
		*rc = -EPROTO;
		return RX_RETURN;
	}
	if (rx->data_len > 0) {
		rx->state = rx->data_off > rx->hdr_end ? NVTCP_TCP_RX_STATE_PAD :
			    NVTCP_TCP_RX_STATE_PAYLOAD;
	} else {
		/* The PDU is complete: the owner may act on it and we are at a boundary. */
		rx_next_pdu(rx);
		rx->stats.pdus++;
	}
	step = rx_after_cb(rx, rx->header_cb(rx->cb_ctx, rx), rc);
	if (step == RX_NEXT && rx->data_len > 0 && rx->state != NVTCP_TCP_RX_STATE_CH &&
	    rx->dest == NVTCP_TCP_RX_DEST_NONE) {
		*rc = NVTCP_TCP_RX_WAIT;
		return RX_RETURN;
	}
	return step;
}

static enum rx_step
rx_state_pad(struct nvtcp_tcp_rx *rx, struct nvtcp_sock_rxbuf *rb, int *rc)
{
	size_t n;

	if (rx->dest == NVTCP_TCP_RX_DEST_NONE) {
		*rc = NVTCP_TCP_RX_WAIT;
		return RX_RETURN;
	}
	n = NVTCP_MIN((size_t)(rx->data_off - rx->offset), rb_avail(rb));
	if (n > 0) {
		rb->head += n;
		rx->offset += (uint32_t)n;
	}
	if (rx->offset < rx->data_off) {
		return RX_MORE;
	}
	rx->state = NVTCP_TCP_RX_STATE_PAYLOAD;
	return RX_NEXT;
}

/* Move the destination cursor by n bytes, copying from src when it is not NULL. */
static void
rx_iov_advance(struct nvtcp_tcp_rx *rx, const uint8_t *src, size_t n)
{
	while (n > 0 && rx->iov_idx < rx->iovcnt) {
		struct iovec *v = &rx->iov[rx->iov_idx];
		size_t take = NVTCP_MIN(v->iov_len - rx->iov_off, n);

		if (src != NULL) {
			memcpy((uint8_t *)v->iov_base + rx->iov_off, src, take);
			src += take;
		}
		n -= take;
		rx->iov_off += take;
		if (rx->iov_off == v->iov_len) {
			rx->iov_idx++;
			rx->iov_off = 0;
		}
	}
}

static enum rx_step
rx_payload_done(struct nvtcp_tcp_rx *rx, bool ddgst_ok, int *rc)
{
	rx_next_pdu(rx);
	rx->stats.pdus++;
	return rx_after_cb(rx, rx->payload_cb(rx->cb_ctx, rx, ddgst_ok), rc);
}

static enum rx_step
rx_state_payload(struct nvtcp_tcp_rx *rx, struct nvtcp_sock_rxbuf *rb, int *rc)
{
	uint32_t remaining = rx->data_off + rx->data_len - rx->offset;
	const uint8_t *src;
	size_t n;

	if (rx->dest == NVTCP_TCP_RX_DEST_NONE) {
		*rc = NVTCP_TCP_RX_WAIT;
		return RX_RETURN;
	}
	if (remaining == 0) {
		if (rx->ddgst) {
			rx->state = NVTCP_TCP_RX_STATE_DDGST;
			return RX_NEXT;
		}
		return rx_payload_done(rx, true, rc);
	}
	n = NVTCP_MIN((size_t)remaining, rb_avail(rb));
	if (n == 0) {
		return RX_MORE;
	}
	src = rb->buf + rb->head;
	if (rx->dest == NVTCP_TCP_RX_DEST_DISCARD) {
		if (rx->ddgst) {
			rx->discard_crc = nvtcp_crc32c_update(rx->discard_crc, src, n);
		}
		rx->stats.discarded_bytes += n;
	} else {
		rx_iov_advance(rx, src, n);
		rx->stats.copied_bytes += n;
	}
	rb->head += n;
	rx->offset += (uint32_t)n;
	return RX_NEXT;
}

static enum rx_step
rx_state_ddgst(struct nvtcp_tcp_rx *rx, struct nvtcp_sock_rxbuf *rb, int *rc)
{
	uint32_t start = rx->data_off + rx->data_len;
	size_t n = NVTCP_MIN((size_t)(start + NVTCP_TCP_DIGEST_LEN - rx->offset), rb_avail(rb));
	uint32_t crc, exp, got;
	bool ok;

	if (n > 0) {
		memcpy(rx->ddgst_buf + (rx->offset - start), rb->buf + rb->head, n);
		rb->head += n;
		rx->offset += (uint32_t)n;
	}
	if (rx->offset < start + NVTCP_TCP_DIGEST_LEN) {
		return RX_MORE;
	}
	/* Digest the destination after the data landed: it covers direct placement too. */
	if (rx->dest == NVTCP_TCP_RX_DEST_DISCARD) {
		crc = rx->discard_crc;
	} else {
		crc = nvtcp_crc32c_update_iov(NVTCP_CRC32C_INIT, rx->iov, rx->iovcnt, 0, rx->data_len);
	}
	exp = tcp_ddgst_finish(crc, rx->data_len);
	got = tcp_get_le32(rx->ddgst_buf);
	ok = got == exp;
	if (!ok) {
		rx->stats.ddgst_errors++;
		NVTCP_ERRLOG("%s: received %s: data digest 0x%08x, computed 0x%08x over %u bytes\n",
			     rx->name, nvtcp_tcp_pdu_type_str(rx->h.hdr.ch.pdu_type), got, exp,
			     rx->data_len);
	}
	return rx_payload_done(rx, ok, rc);
}

int
nvtcp_tcp_rx_process(struct nvtcp_tcp_rx *rx, struct nvtcp_sock_rxbuf *rb)
{
	int rc = 0;

	for (;;) {
		enum rx_step step;

		switch (rx->state) {
		case NVTCP_TCP_RX_STATE_CH:
			step = rx_state_ch(rx, rb, &rc);
			break;
		case NVTCP_TCP_RX_STATE_PSH:
			step = rx_state_psh(rx, rb, &rc);
			break;
		case NVTCP_TCP_RX_STATE_PAD:
			step = rx_state_pad(rx, rb, &rc);
			break;
		case NVTCP_TCP_RX_STATE_PAYLOAD:
			step = rx_state_payload(rx, rb, &rc);
			break;
		case NVTCP_TCP_RX_STATE_DDGST:
			step = rx_state_ddgst(rx, rb, &rc);
			break;
		case NVTCP_TCP_RX_STATE_ERROR:
		default:
			return -EPROTO;
		}
		if (step == RX_MORE) {
			return 0;
		}
		if (step == RX_RETURN) {
			return rc;
		}
	}
}

/* A data PDU whose header was delivered and whose data has no destination yet. */
static bool
rx_awaits_dest(const struct nvtcp_tcp_rx *rx)
{
	return (rx->state == NVTCP_TCP_RX_STATE_PAD || rx->state == NVTCP_TCP_RX_STATE_PAYLOAD) &&
	       rx->data_len > 0 && rx->dest == NVTCP_TCP_RX_DEST_NONE;
}

static void
rx_set_dest_iov(struct nvtcp_tcp_rx *rx, int iovcnt)
{
	rx->iovcnt = iovcnt;
	rx->iov_idx = 0;
	rx->iov_off = 0;
	rx->dest = NVTCP_TCP_RX_DEST_IOV;
}

int
nvtcp_tcp_rx_set_payload(struct nvtcp_tcp_rx *rx, const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	int n = 0;

	if (!rx_awaits_dest(rx) || iovcnt < 0 || (iovcnt > 0 && iov == NULL)) {
		return -EINVAL;
	}
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0) {
			continue;
		}
		if (n == NVTCP_TCP_PDU_MAX_DATA_IOV) {
			return -E2BIG;
		}
		rx->iov[n++] = iov[i];
		total += iov[i].iov_len;
	}
	if (total != rx->data_len) {
		NVTCP_ERRLOG("%s: payload destination of %zu bytes for %u data bytes\n", rx->name,
			     total, rx->data_len);
		return -EINVAL;
	}
	rx_set_dest_iov(rx, n);
	return 0;
}

int
nvtcp_tcp_rx_set_payload_at(struct nvtcp_tcp_rx *rx, const struct iovec *iov, int iovcnt,
			    size_t offset)
{
	int n;

	if (!rx_awaits_dest(rx) || iovcnt < 0 || (iovcnt > 0 && iov == NULL)) {
		return -EINVAL;
	}
	n = nvtcp_iov_slice(iov, iovcnt, offset, rx->data_len, rx->iov, NVTCP_TCP_PDU_MAX_DATA_IOV);
	if (n < 0) {
		return n == -ENOBUFS ? -E2BIG : n;
	}
	rx_set_dest_iov(rx, n);
	return 0;
}

int
nvtcp_tcp_rx_discard_payload(struct nvtcp_tcp_rx *rx)
{
	if (!rx_awaits_dest(rx)) {
		return -EINVAL;
	}
	rx->discard_crc = NVTCP_CRC32C_INIT;
	rx->dest = NVTCP_TCP_RX_DEST_DISCARD;
	return 0;
}

int
nvtcp_tcp_rx_direct_iov(const struct nvtcp_tcp_rx *rx, struct iovec *iov, int max)
{
	int n = 0;

	if (rx->state != NVTCP_TCP_RX_STATE_PAYLOAD || rx->dest != NVTCP_TCP_RX_DEST_IOV ||
	    rx->offset >= rx->data_off + rx->data_len) {
		return 0;
	}
	for (int i = rx->iov_idx; i < rx->iovcnt && n < max; i++) {
		size_t skip = i == rx->iov_idx ? rx->iov_off : 0;

		iov[n].iov_base = (uint8_t *)rx->iov[i].iov_base + skip;
		iov[n].iov_len = rx->iov[i].iov_len - skip;
		n++;
	}
	return n;
}

int
nvtcp_tcp_rx_direct_done(struct nvtcp_tcp_rx *rx, size_t n)
{
	if (n == 0) {
		return 0;
	}
	if (rx->state != NVTCP_TCP_RX_STATE_PAYLOAD || rx->dest != NVTCP_TCP_RX_DEST_IOV ||
	    n > (size_t)(rx->data_off + rx->data_len - rx->offset)) {
		return -EINVAL;
	}
	rx_iov_advance(rx, NULL, n);
	rx->offset += (uint32_t)n;
	rx->stats.direct_bytes += n;
	return 0;
}
