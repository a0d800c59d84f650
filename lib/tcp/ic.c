/*
 * Connection initialization: building, validating and negotiating ICReq and ICResp.
 */
#include <errno.h>
#include <string.h>

#include "nvtcp/log.h"
#include "tcp_internal.h"

void
nvtcp_tcp_ic_opts_init(struct nvtcp_tcp_ic_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->hdgst = false;
	opts->ddgst = false;
	opts->pda = 0;
	opts->maxr2t = 0;
	opts->maxh2cdata = NVTCP_TCP_MAXH2CDATA_DEFAULT;
}

static int
ic_fail(struct nvtcp_tcp_error *err, uint16_t fes, uint32_t fei)
{
	if (err != NULL) {
		err->fes = fes;
		err->fei = fei;
	}
	return -EPROTO;
}

/* The common header of an IC PDU: fixed type, hlen and plen, and never a digest. */
static int
ic_check_ch(const struct nvtcp_tcp_ch *ch, uint8_t type, struct nvtcp_tcp_error *err)
{
	const char *name = nvtcp_tcp_pdu_type_str(type);

	if (ch->pdu_type != type) {
		NVTCP_ERRLOG("%s: PDU type 0x%02x is not %s\n", name, ch->pdu_type, name);
		return ic_fail(err, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
			       offsetof(struct nvtcp_tcp_ch, pdu_type));
	}
	if (ch->flags & (NVTCP_TCP_FLAG_HDGSTF | NVTCP_TCP_FLAG_DDGSTF)) {
		NVTCP_ERRLOG("%s: flags 0x%02x announce a digest\n", name, ch->flags);
		return ic_fail(err, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
			       offsetof(struct nvtcp_tcp_ch, flags));
	}
	if (ch->hlen != NVTCP_TCP_IC_REQ_HLEN) {
		NVTCP_ERRLOG("%s: hlen %u, expected %u\n", name, ch->hlen, NVTCP_TCP_IC_REQ_HLEN);
		return ic_fail(err, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
			       offsetof(struct nvtcp_tcp_ch, hlen));
	}
	if (ch->plen != NVTCP_TCP_IC_REQ_HLEN) {
		NVTCP_ERRLOG("%s: plen %u, expected %u\n", name, ch->plen, NVTCP_TCP_IC_REQ_HLEN);
		return ic_fail(err, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
			       offsetof(struct nvtcp_tcp_ch, plen));
	}
	return 0;
}

static bool
ic_opts_valid(const struct nvtcp_tcp_ic_opts *opts, bool ctrlr)
{
	if (opts == NULL || opts->pda > NVTCP_TCP_PDA_MAX) {
		return false;
	}
	if (ctrlr && (opts->maxh2cdata < NVTCP_TCP_MAXH2CDATA_MIN || (opts->maxh2cdata % 4) != 0)) {
		return false;
	}
	return true;
}

int
nvtcp_tcp_icreq_build(struct nvtcp_tcp_icreq *icreq, const struct nvtcp_tcp_ic_opts *opts)
{
	if (!ic_opts_valid(opts, false)) {
		return -EINVAL;
	}
	memset(icreq, 0, sizeof(*icreq));
	icreq->ch.pdu_type = NVTCP_TCP_PDU_IC_REQ;
	icreq->ch.hlen = NVTCP_TCP_IC_REQ_HLEN;
	icreq->ch.plen = NVTCP_TCP_IC_REQ_HLEN;
	icreq->pfv = NVTCP_TCP_PFV_1_0;
	icreq->hpda = opts->pda;
	icreq->dgst = (opts->hdgst ? NVTCP_TCP_IC_DGST_HDGST : 0) |
		      (opts->ddgst ? NVTCP_TCP_IC_DGST_DDGST : 0);
	icreq->maxr2t = opts->maxr2t;
	return 0;
}

int
nvtcp_tcp_icreq_check(const struct nvtcp_tcp_icreq *icreq, struct nvtcp_tcp_error *err)
{
	int rc = ic_check_ch(&icreq->ch, NVTCP_TCP_PDU_IC_REQ, err);

	if (rc != 0) {
		return rc;
	}
	if (icreq->pfv != NVTCP_TCP_PFV_1_0) {
		NVTCP_ERRLOG("ICReq: PDU format version %u not supported\n", icreq->pfv);
		return ic_fail(err, NVTCP_TCP_FES_UNSUPPORTED_PARAMETER,
			       offsetof(struct nvtcp_tcp_icreq, pfv));
	}
	if (icreq->hpda > NVTCP_TCP_PDA_MAX) {
		NVTCP_ERRLOG("ICReq: HPDA %u out of range 0..%u\n", icreq->hpda, NVTCP_TCP_PDA_MAX);
		return ic_fail(err, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
			       offsetof(struct nvtcp_tcp_icreq, hpda));
	}
	/* DGST bits 7:2 are reserved: ignored, as a receiver must. */
	return 0;
}

int
nvtcp_tcp_icreq_accept(const struct nvtcp_tcp_icreq *icreq, const struct nvtcp_tcp_ic_opts *opts,
		       struct nvtcp_tcp_icresp *icresp, struct nvtcp_tcp_params *params,
		       struct nvtcp_tcp_error *err)
{
	bool hdgst, ddgst;
	int rc;

	if (!ic_opts_valid(opts, true)) {
		return -EINVAL;
	}
	rc = nvtcp_tcp_icreq_check(icreq, err);
	if (rc != 0) {
		return rc;
	}
	hdgst = (icreq->dgst & NVTCP_TCP_IC_DGST_HDGST) && opts->hdgst;
	ddgst = (icreq->dgst & NVTCP_TCP_IC_DGST_DDGST) && opts->ddgst;

	memset(icresp, 0, sizeof(*icresp));
	icresp->ch.pdu_type = NVTCP_TCP_PDU_IC_RESP;
	icresp->ch.hlen = NVTCP_TCP_IC_RESP_HLEN;
	icresp->ch.plen = NVTCP_TCP_IC_RESP_HLEN;
	icresp->pfv = NVTCP_TCP_PFV_1_0;
	icresp->cpda = opts->pda;
	icresp->dgst = (hdgst ? NVTCP_TCP_IC_DGST_HDGST : 0) | (ddgst ? NVTCP_TCP_IC_DGST_DDGST : 0);
	icresp->maxh2cdata = opts->maxh2cdata;

	params->hdgst = hdgst;
	params->ddgst = ddgst;
	params->rx_pda = nvtcp_tcp_pda_to_align(opts->pda);
	params->tx_pda = nvtcp_tcp_pda_to_align(icreq->hpda);
	params->maxh2cdata = opts->maxh2cdata;
	params->maxr2t = icreq->maxr2t;
	NVTCP_DEBUGLOG("ICReq accepted: hpda %u cpda %u hdgst %d ddgst %d maxr2t %u maxh2cdata %u\n",
		       icreq->hpda, opts->pda, hdgst, ddgst, icreq->maxr2t, opts->maxh2cdata);
	return 0;
}

int
nvtcp_tcp_icresp_check(const struct nvtcp_tcp_icresp *icresp, struct nvtcp_tcp_error *err)
{
	int rc = ic_check_ch(&icresp->ch, NVTCP_TCP_PDU_IC_RESP, err);

	if (rc != 0) {
		return rc;
	}
	if (icresp->pfv != NVTCP_TCP_PFV_1_0) {
		NVTCP_ERRLOG("ICResp: PDU format version %u not supported\n", icresp->pfv);
		return ic_fail(err, NVTCP_TCP_FES_UNSUPPORTED_PARAMETER,
			       offsetof(struct nvtcp_tcp_icresp, pfv));
	}
	if (icresp->cpda > NVTCP_TCP_PDA_MAX) {
		NVTCP_ERRLOG("ICResp: CPDA %u out of range 0..%u\n", icresp->cpda, NVTCP_TCP_PDA_MAX);
		return ic_fail(err, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
			       offsetof(struct nvtcp_tcp_icresp, cpda));
	}
	if (icresp->maxh2cdata < NVTCP_TCP_MAXH2CDATA_MIN || (icresp->maxh2cdata % 4) != 0) {
		NVTCP_ERRLOG("ICResp: MAXH2CDATA %u is below %u or not a multiple of 4\n",
			     icresp->maxh2cdata, NVTCP_TCP_MAXH2CDATA_MIN);
		return ic_fail(err, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
			       offsetof(struct nvtcp_tcp_icresp, maxh2cdata));
	}
	return 0;
}

int
nvtcp_tcp_icresp_accept(const struct nvtcp_tcp_icresp *icresp,
			const struct nvtcp_tcp_ic_opts *opts, struct nvtcp_tcp_params *params,
			struct nvtcp_tcp_error *err)
{
	int rc;

	if (!ic_opts_valid(opts, false)) {
		return -EINVAL;
	}
	rc = nvtcp_tcp_icresp_check(icresp, err);
	if (rc != 0) {
		return rc;
	}
	/* A controller may decline a digest but must not impose one the host did not ask for. */
	if (((icresp->dgst & NVTCP_TCP_IC_DGST_HDGST) && !opts->hdgst) ||
	    ((icresp->dgst & NVTCP_TCP_IC_DGST_DDGST) && !opts->ddgst)) {
		NVTCP_ERRLOG("ICResp: DGST 0x%02x enables a digest the host did not request "
			     "(hdgst %d ddgst %d)\n", icresp->dgst, opts->hdgst, opts->ddgst);
		return ic_fail(err, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
			       offsetof(struct nvtcp_tcp_icresp, dgst));
	}
	params->hdgst = (icresp->dgst & NVTCP_TCP_IC_DGST_HDGST) != 0;
	params->ddgst = (icresp->dgst & NVTCP_TCP_IC_DGST_DDGST) != 0;
	params->rx_pda = nvtcp_tcp_pda_to_align(opts->pda);
	params->tx_pda = nvtcp_tcp_pda_to_align(icresp->cpda);
	params->maxh2cdata = icresp->maxh2cdata;
	params->maxr2t = opts->maxr2t;
	NVTCP_DEBUGLOG("ICResp accepted: cpda %u hdgst %d ddgst %d maxh2cdata %u\n", icresp->cpda,
		       params->hdgst, params->ddgst, icresp->maxh2cdata);
	return 0;
}
