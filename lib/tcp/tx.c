/*
 * NVMe/TCP PDU construction: common header, padding, digests and the iovec list of a PDU.
 */
#include <errno.h>
#include <string.h>

#include "nvtcp/util.h"
#include "tcp_internal.h"

void
nvtcp_tcp_pdu_init(struct nvtcp_tcp_tx_pdu *pdu, uint8_t type)
{
	memset(pdu->raw, 0, sizeof(pdu->raw));
	pdu->hdr.ch.pdu_type = type;
	pdu->hdr.ch.hlen = nvtcp_tcp_pdu_hlen(type);
	pdu->hdr_area_len = 0;
	pdu->data_len = 0;
	pdu->iovcnt = 0;
}

static void
pdu_set_sock_req(struct nvtcp_tcp_tx_pdu *pdu, int iovcnt)
{
	pdu->iovcnt = iovcnt;
	pdu->sock_req.iov = pdu->iov;
	pdu->sock_req.iovcnt = iovcnt;
}

int
nvtcp_tcp_pdu_finish(struct nvtcp_tcp_tx_pdu *pdu, const struct nvtcp_tcp_params *params,
		     const struct iovec *data_iov, int data_iovcnt)
{
	struct nvtcp_tcp_ch *ch = &pdu->hdr.ch;
	uint8_t type = ch->pdu_type;
	uint32_t hlen = nvtcp_tcp_pdu_hlen(type);
	uint32_t hdr_end, pdo, plen, align;
	uint64_t data_len = 0;
	bool hd, dd;
	int ndata = 0;

	if (hlen == 0 || type == NVTCP_TCP_PDU_H2C_TERM_REQ || type == NVTCP_TCP_PDU_C2H_TERM_REQ ||
	    params == NULL || nvtcp_tcp_params_check(params) != 0 || data_iovcnt < 0 ||
	    (data_iovcnt > 0 && data_iov == NULL)) {
		return -EINVAL;
	}
	for (int i = 0; i < data_iovcnt; i++) {
		if (data_iov[i].iov_len == 0) {
			continue;
		}
		if (ndata == NVTCP_TCP_PDU_MAX_DATA_IOV) {
			return -E2BIG;
		}
		ndata++;
		data_len += data_iov[i].iov_len;
	}
	if ((data_len > 0 && !nvtcp_tcp_pdu_may_data(type)) ||
	    (data_len == 0 && nvtcp_tcp_pdu_needs_data(type))) {
		return -EINVAL;
	}
	/* plen is 32 bits and also counts header, padding and digest. */
	if (data_len > UINT32_MAX - NVTCP_TCP_PDU_HDR_AREA_LEN - NVTCP_TCP_DIGEST_LEN) {
		return -EMSGSIZE;
	}

	hd = params->hdgst && nvtcp_tcp_pdu_may_hdgst(type);
	dd = params->ddgst && data_len > 0;
	hdr_end = hlen + (hd ? NVTCP_TCP_DIGEST_LEN : 0);
	if (data_len > 0) {
		/* tx_pda need not be a power of two ((pda + 1) * 4). */
		align = params->tx_pda;
		pdo = (hdr_end + align - 1) / align * align;
		memset(pdu->raw + hdr_end, 0, pdo - hdr_end);
		plen = pdo + (uint32_t)data_len + (dd ? NVTCP_TCP_DIGEST_LEN : 0);
	} else {
		pdo = 0;
		plen = hdr_end;
	}

	ch->hlen = (uint8_t)hlen;
	ch->flags = (uint8_t)((ch->flags & ~(NVTCP_TCP_FLAG_HDGSTF | NVTCP_TCP_FLAG_DDGSTF)) |
			      (hd ? NVTCP_TCP_FLAG_HDGSTF : 0) | (dd ? NVTCP_TCP_FLAG_DDGSTF : 0));
	ch->pdo = (uint8_t)pdo;
	ch->plen = plen;
	if (type == NVTCP_TCP_PDU_H2C_DATA || type == NVTCP_TCP_PDU_C2H_DATA) {
		/* Same offset in both. */
		pdu->hdr.h2c_data.datal = (uint32_t)data_len;
	}
	/* The header digest covers the final header, so it comes last. */
	if (hd) {
		tcp_put_le32(pdu->raw + hlen, nvtcp_crc32c(pdu->raw, hlen));
	}

	pdu->hdr_area_len = data_len > 0 ? pdo : hdr_end;
	pdu->data_len = (uint32_t)data_len;
	pdu->iov[0].iov_base = pdu->raw;
	pdu->iov[0].iov_len = pdu->hdr_area_len;
	ndata = 1;
	for (int i = 0; i < data_iovcnt; i++) {
		if (data_iov[i].iov_len != 0) {
			pdu->iov[ndata++] = data_iov[i];
		}
	}
	if (dd) {
		uint32_t crc = nvtcp_crc32c_update_iov(NVTCP_CRC32C_INIT, data_iov, data_iovcnt, 0,
						       (size_t)data_len);

		tcp_put_le32(pdu->ddgst, tcp_ddgst_finish(crc, data_len));
		pdu->iov[ndata].iov_base = pdu->ddgst;
		pdu->iov[ndata].iov_len = NVTCP_TCP_DIGEST_LEN;
		ndata++;
	}
	pdu_set_sock_req(pdu, ndata);
	return 0;
}

int
nvtcp_tcp_pdu_term_req(struct nvtcp_tcp_tx_pdu *pdu, uint8_t type, uint16_t fes, uint32_t fei,
		       const void *hdr, size_t hdr_len)
{
	uint32_t len = (uint32_t)NVTCP_MIN(hdr_len, (size_t)NVTCP_TCP_TERM_REQ_DATA_MAX);

	if ((type != NVTCP_TCP_PDU_H2C_TERM_REQ && type != NVTCP_TCP_PDU_C2H_TERM_REQ) ||
	    (hdr_len > 0 && hdr == NULL)) {
		return -EINVAL;
	}
	/* memmove first: the offending header may live anywhere, even in this PDU. */
	if (len > 0) {
		memmove(pdu->raw + NVTCP_TCP_TERM_REQ_HLEN, hdr, len);
	}
	memset(pdu->raw, 0, NVTCP_TCP_TERM_REQ_HLEN);
	pdu->hdr.ch.pdu_type = type;
	pdu->hdr.ch.hlen = NVTCP_TCP_TERM_REQ_HLEN;
	pdu->hdr.ch.plen = NVTCP_TCP_TERM_REQ_HLEN + len;
	pdu->hdr.term_req.fes = fes;
	pdu->hdr.term_req.fei = fei;
	pdu->hdr_area_len = NVTCP_TCP_TERM_REQ_HLEN + len;
	pdu->data_len = 0;
	pdu->iov[0].iov_base = pdu->raw;
	pdu->iov[0].iov_len = pdu->hdr_area_len;
	pdu_set_sock_req(pdu, 1);
	return 0;
}

int
nvtcp_tcp_pdu_term_req_from_rx(struct nvtcp_tcp_tx_pdu *pdu, const struct nvtcp_tcp_rx *rx)
{
	if (rx->state != NVTCP_TCP_RX_STATE_ERROR || rx->err.fes == 0) {
		return -EINVAL;
	}
	return nvtcp_tcp_pdu_term_req(pdu,
				      rx->role == NVTCP_TCP_ROLE_HOST ? NVTCP_TCP_PDU_H2C_TERM_REQ :
				      NVTCP_TCP_PDU_C2H_TERM_REQ,
				      rx->err.fes, rx->err.fei, rx->h.raw, rx->err_len);
}
