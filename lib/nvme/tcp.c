/*
 * The NVMe/TCP PDU engine of a host queue pair, on top of lib/tcp's framing.
 *
 * Receive: one batched read per poll (nvtcp_sock_recv_rxbuf), with the rest of the current
 * C2HData payload read straight into the command's buffer; lib/tcp parses as many PDUs as the
 * bytes hold, in any fragmentation, and calls rx_header()/rx_payload() below, which validate
 * every type-specific field against the command it names. A field that is wrong makes us send
 * an H2CTermReq with the Fatal Error Status and FEI below, then the queue pair fails.
 *
 *   CapsuleResp, C2HData, R2T for a CID that is not outstanding    FES 0x01, FEI of the CID
 *   any PDU but ICResp first; a second ICResp                      FES 0x02
 *   C2HData for a command without controller-to-host data          FES 0x02
 *   R2T for a command that is not an R2T write (read, in-capsule)  FES 0x02
 *   C2HData DATAO not the next expected offset                     FES 0x01, FEI 12
 *   C2HData beyond the command's transfer length                   FES 0x04
 *   C2HData SUCCESS before all data has arrived                    FES 0x01, FEI 1 (flags)
 *   R2T R2TL 0                                                     FES 0x01, FEI 16
 *   R2T R2TO not the next offset (R2Ts cover the data in order)    FES 0x01, FEI 12
 *   R2T beyond the transfer length                                 FES 0x04
 *   more R2Ts active for a command than MAXR2T + 1                 FES 0x05
 *   generic header fields, header digest (lib/tcp)                 FES 0x01 / 0x03
 * FEI is the byte offset of the field for FES 0x01 and 0x06, and 0 otherwise (reserved).
 *
 * Decisions for a CapsuleResp that arrives before the data is complete:
 * - C2H data missing (a "short read"): the command completes with Transient Transport Error
 *   (DNR clear) instead of a success the data does not back; the queue pair lives.
 * - H2C data still queued for sending: the command completes with the controller's status
 *   only once our PDUs for it have left the socket (they reference the caller's buffer), and
 *   no further H2CData is generated for it. Success for a write whose data was never all
 *   requested is reported as Transient Transport Error.
 * A data digest error concerns only its command, once the controller has completed it: a Read
 * is sent again (ddgst_retry()), anything else, or a Read that keeps failing, completes with
 * Transient Transport Error (DNR clear).
 *
 * Send: PDUs are queued on the socket (nvtcp_sock_writev_async); the poll or the poll group
 * flushes once. H2CData PDUs come from a per-queue-pair pool; R2T data waits on h2c_wait when
 * the pool is empty and resumes as PDUs are sent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nvme_internal.h"

/* ---- Send --------------------------------------------------------------------------------- */

static void
note_send_status(struct nvtcp_qpair *qp, int status)
{
	if (status == 0) {
		qp->stats.pdus_sent++;
	} else if (status != -ECANCELED && qp->sock_error == 0) {
		/* The socket failed: the next poll fails the queue pair (not from inside the
		 * socket's flush). */
		qp->sock_error = status;
	}
}

static void
capsule_sent(void *cb_arg, int status)
{
	struct nvme_tx_pdu *t = cb_arg;
	struct nvtcp_qpair *qp = t->qpair;
	struct nvme_request *req = t->req;

	note_send_status(qp, status);
	req->pending_sends--;
	nvme_req_sends_done(qp, req);
}

static void
ctl_sent(void *cb_arg, int status)
{
	struct nvme_tx_pdu *t = cb_arg;

	note_send_status(t->qpair, status);
}

int
nvme_tcp_send_capsule(struct nvtcp_qpair *qp, struct nvme_request *req)
{
	struct nvme_tx_pdu *t = &req->cap;
	int rc;

	nvtcp_tcp_pdu_init(&t->pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
	t->pdu.hdr.cmd.ccsqe = req->cmd;
	rc = nvtcp_tcp_pdu_finish(&t->pdu, &qp->params, req->incapsule ? req->iov : NULL,
				  req->incapsule ? req->iovcnt : 0);
	if (nvtcp_unlikely(rc != 0)) {
		return rc;
	}
	t->pdu.sock_req.cb = capsule_sent;
	t->pdu.sock_req.cb_arg = t;
	req->pending_sends++;
	nvtcp_sock_writev_async(qp->sock, &t->pdu.sock_req);
	return 0;
}

int
nvme_tcp_send_icreq(struct nvtcp_qpair *qp)
{
	struct nvme_tx_pdu *t = &qp->ctl_pdu;
	int rc;

	nvtcp_tcp_pdu_init(&t->pdu, NVTCP_TCP_PDU_IC_REQ);
	rc = nvtcp_tcp_icreq_build(&t->pdu.hdr.icreq, &qp->ic_opts);
	if (rc == 0) {
		rc = nvtcp_tcp_pdu_finish(&t->pdu, &qp->params, NULL, 0);
	}
	if (rc != 0) {
		return rc;
	}
	t->req = NULL;
	t->pdu.sock_req.cb = ctl_sent;
	t->pdu.sock_req.cb_arg = t;
	nvtcp_sock_writev_async(qp->sock, &t->pdu.sock_req);
	return 0;
}

static void
h2c_sent(void *cb_arg, int status)
{
	struct nvme_tx_pdu *t = cb_arg;
	struct nvtcp_qpair *qp = t->qpair;
	struct nvme_request *req = t->req;
	struct nvme_r2t *r = &req->r2t[t->r2t_idx];

	note_send_status(qp, status);
	r->inflight--;
	req->pending_sends--;
	/* R2Ts retire in order: their PDUs are queued in order. */
	while (req->r2t_count > 0) {
		struct nvme_r2t *h = &req->r2t[req->r2t_head];

		if (h->queued != h->len || h->inflight != 0) {
			break;
		}
		req->r2t_head = (uint8_t)((req->r2t_head + 1) % NVME_MAX_R2T);
		req->r2t_count--;
	}
	t->req = NULL;
	SLIST_INSERT_HEAD(&qp->free_h2c, t, link);
	nvme_req_sends_done(qp, req);
	if (status == 0) {
		nvme_tcp_h2c_pump(qp);
	}
}

/* The oldest R2T of \p req with data not yet put into PDUs, or NULL. */
static struct nvme_r2t *
req_next_r2t(struct nvme_request *req, uint8_t *idx)
{
	for (uint8_t i = 0; i < req->r2t_count; i++) {
		uint8_t k = (uint8_t)((req->r2t_head + i) % NVME_MAX_R2T);

		if (req->r2t[k].queued < req->r2t[k].len) {
			*idx = k;
			return &req->r2t[k];
		}
	}
	return NULL;
}

void
nvme_tcp_h2c_pump(struct nvtcp_qpair *qp)
{
	struct nvme_request *req;

	while ((req = TAILQ_FIRST(&qp->h2c_wait)) != NULL && qp->sock != NULL) {
		struct iovec iov[NVTCP_MAX_IOVCNT];
		struct nvtcp_tcp_h2c_data *h;
		struct nvme_tx_pdu *t;
		struct nvme_r2t *r;
		uint32_t chunk, off;
		uint8_t idx = 0;
		int n, rc;

		r = req_next_r2t(req, &idx);
		if (r == NULL || req->stop_h2c) {
			TAILQ_REMOVE(&qp->h2c_wait, req, h2c_link);
			req->h2c_waiting = false;
			continue;
		}
		t = SLIST_FIRST(&qp->free_h2c);
		if (t == NULL) {
			return; /* resumes when a PDU has been sent */
		}
		SLIST_REMOVE_HEAD(&qp->free_h2c, link);
		chunk = NVTCP_MIN(qp->params.maxh2cdata, r->len - r->queued);
		off = r->off + r->queued;
		nvtcp_tcp_pdu_init(&t->pdu, NVTCP_TCP_PDU_H2C_DATA);
		h = &t->pdu.hdr.h2c_data;
		h->cccid = req->cid;
		h->ttag = r->ttag;
		h->datao = off;
		t->last = r->queued + chunk == r->len;
		if (t->last) {
			/* LAST_PDU closes the data of one R2T. */
			h->ch.flags |= NVTCP_TCP_FLAG_LAST_PDU;
		}
		n = nvtcp_iov_slice(req->iov, req->iovcnt, off, chunk, iov, NVTCP_MAX_IOVCNT);
		rc = n < 0 ? n : nvtcp_tcp_pdu_finish(&t->pdu, &qp->params, iov, n);
		if (nvtcp_unlikely(rc != 0)) {
			SLIST_INSERT_HEAD(&qp->free_h2c, t, link);
			nvme_qpair_fail(qp, -EIO, "cannot build H2CData for cid %u (offset %u, %u "
					"bytes): %s", req->cid, off, chunk, strerror(-rc));
			return;
		}
		t->req = req;
		t->r2t_idx = idx;
		t->pdu.sock_req.cb = h2c_sent;
		t->pdu.sock_req.cb_arg = t;
		r->queued += chunk;
		r->inflight++;
		req->pending_sends++;
		nvtcp_sock_writev_async(qp->sock, &t->pdu.sock_req);
	}
}

/* ---- Receive ------------------------------------------------------------------------------ */

/* A field of a received PDU is wrong: log it with the queue and the values, record the reason,
 * and put the receiver in its error state (the TermReq is sent after the callback). */
static int __attribute__((format(printf, 5, 6)))
proto_err(struct nvtcp_qpair *qp, struct nvtcp_tcp_rx *rx, uint16_t fes, uint32_t fei,
	  const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	NVME_QP_ERRLOG(qp, "protocol error: %s: FES 0x%02x (%s), FEI %u\n", msg, fes,
		       nvtcp_tcp_fes_str(fes), fei);
	qp->pend_rc = -EPROTO;
	snprintf(qp->pend_reason, sizeof(qp->pend_reason), "protocol error: %s", msg);
	return nvtcp_tcp_rx_fail(rx, fes, fei);
}

/* End the connection from a callback without a TermReq (the peer terminated it, or we do not
 * accept what it negotiated). */
static int __attribute__((format(printf, 3, 4)))
rx_abort(struct nvtcp_qpair *qp, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(qp->pend_reason, sizeof(qp->pend_reason), fmt, ap);
	va_end(ap);
	qp->pend_rc = rc;
	return -ECONNABORTED;
}

/* After completions ran user and driver callbacks: stop when the queue pair is gone or the
 * caller's completion budget is used up. */
static int
rx_after_completion(struct nvtcp_qpair *qp)
{
	/* A callback dropped the connection (failure, reset, freed). */
	if (nvtcp_unlikely(!nvme_qpair_is_up(qp))) {
		qp->pend_rc = 0;
		return -ECONNABORTED;
	}
	if (qp->poll_max != 0 && qp->poll_done >= qp->poll_max) {
		return NVTCP_TCP_RX_STOP;
	}
	return 0;
}

static struct nvme_request *
lookup_cid(struct nvtcp_qpair *qp, uint16_t cid)
{
	struct nvme_request *req;
	uint32_t idx = cid & qp->cid_mask;

	if (nvtcp_unlikely(idx >= qp->num_reqs)) {
		return NULL;
	}
	req = &qp->reqs[idx];
	/* The whole CID must match: a completion for an earlier use of the slot is refused. */
	return nvtcp_likely(req->state == NVME_REQ_WIRE && req->cid == cid) ? req : NULL;
}

static void
hex_dump(const uint8_t *p, uint32_t len, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < len && o + 3 < size; i++) {
		o += (size_t)snprintf(out + o, size - o, "%02x", p[i]);
	}
}

static int
handle_c2h_term(struct nvtcp_qpair *qp, struct nvtcp_tcp_rx *rx)
{
	const struct nvtcp_tcp_term_req *t = &nvtcp_tcp_rx_hdr(rx)->term_req;
	char hex[2 * NVTCP_TCP_TERM_REQ_DATA_MAX + 1];
	const uint8_t *data;
	uint32_t len;

	data = nvtcp_tcp_rx_term_data(rx, &len);
	hex_dump(data, len, hex, sizeof(hex));
	NVME_QP_ERRLOG(qp, "received C2HTermReq: FES 0x%02x (%s), FEI %u (0x%x); offending header "
		       "(%u bytes): %s\n", t->fes, nvtcp_tcp_fes_str(t->fes), t->fei, t->fei, len,
		       len > 0 ? hex : "(none)");
	return rx_abort(qp, -ECONNABORTED, "controller terminated the connection: C2HTermReq "
			"FES 0x%02x (%s), FEI %u", t->fes, nvtcp_tcp_fes_str(t->fes), t->fei);
}

static int
handle_icresp(struct nvtcp_qpair *qp, struct nvtcp_tcp_rx *rx)
{
	const struct nvtcp_tcp_icresp *icr = &nvtcp_tcp_rx_hdr(rx)->icresp;
	struct nvtcp_tcp_params p;
	struct nvtcp_tcp_error err;
	int rc;

	rc = nvtcp_tcp_icresp_accept(icr, &qp->ic_opts, &p, &err);
	if (rc != 0) {
		return proto_err(qp, rx, err.fes, err.fei, "invalid ICResp (PFV %u, CPDA %u, DGST "
				 "0x%02x, MAXH2CDATA %u)", icr->pfv, icr->cpda, icr->dgst,
				 icr->maxh2cdata);
	}
	/* A digest the user asked for and the controller declined: do not silently run
	 * without the protection asked for (as the Linux host). */
	if ((qp->ic_opts.hdgst && !p.hdgst) || (qp->ic_opts.ddgst && !p.ddgst)) {
		NVME_QP_ERRLOG(qp, "ICResp: the controller declined %s digests (DGST 0x%02x)\n",
			       qp->ic_opts.hdgst && !p.hdgst ? "header" : "data", icr->dgst);
		return rx_abort(qp, -EPROTO, "the controller declined %s digests",
				qp->ic_opts.hdgst && !p.hdgst ? "header" : "data");
	}
	rc = nvtcp_tcp_rx_set_params(rx, &p);
	if (rc != 0) {
		return proto_err(qp, rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				 offsetof(struct nvtcp_tcp_icresp, maxh2cdata), "unusable ICResp");
	}
	qp->params = p;
	qp->ic_done = true;
	NVME_QP_DEBUGLOG(qp, "ICResp: CPDA %u, hdgst %d, ddgst %d, MAXH2CDATA %u\n", icr->cpda,
			 p.hdgst, p.ddgst, p.maxh2cdata);
	nvme_qpair_connect_icresp_done(qp);
	return !nvme_qpair_is_up(qp) ? rx_after_completion(qp) : 0;
}

/*
 * The controller completed a command whose C2H data failed its digest. The specification lets
 * the host treat that as a transport error; a Read (idempotent) is therefore sent again, as the
 * Linux host's retry of a data transfer error does, up to NVME_DDGST_RETRIES times, and only
 * then completes with Transient Transport Error. Other commands (a log page read may clear
 * what it reports) complete with it at once. \return true when the command was sent again.
 */
static bool
ddgst_retry(struct nvtcp_qpair *qp, struct nvme_request *req)
{
	const struct nvtcp_nvme_cmd *cmd = &req->cmd;
	bool read = cmd->opc == NVTCP_NVME_OPC_READ && !nvme_qpair_is_admin(qp);

	if (read && req->ddgst_retries < NVME_DDGST_RETRIES && req->pending_sends == 0) {
		req->ddgst_retries++;
		qp->stats.ddgst_retries++;
		NVME_QP_WARNLOG(qp, "cid %u (Read, nsid %u, LBA %" PRIu64 ", %u blocks): "
				"data digest mismatch: sending the command again (retry %u of "
				"%u)\n", cmd->cid, cmd->nsid, nvtcp_nvme_rw_slba(cmd),
				nvtcp_nvme_rw_nlb(cmd), req->ddgst_retries, NVME_DDGST_RETRIES);
		nvme_req_resend(qp, req);
		return true;
	}
	if (read) {
		NVME_QP_ERRLOG(qp, "cid %u (Read, nsid %u, LBA %" PRIu64 ", %u blocks): "
			       "data digest mismatch after %u retries: completing it with "
			       "Transient Transport Error\n", cmd->cid, cmd->nsid,
			       nvtcp_nvme_rw_slba(cmd), nvtcp_nvme_rw_nlb(cmd), req->ddgst_retries);
	} else {
		NVME_QP_ERRLOG(qp, "cid %u (opcode 0x%02x): data digest mismatch: completing it "
			       "with Transient Transport Error\n", cmd->cid, cmd->opc);
	}
	return false;
}

static int
handle_rsp(struct nvtcp_qpair *qp, struct nvtcp_tcp_rx *rx)
{
	struct nvtcp_nvme_cpl cpl = nvtcp_tcp_rx_hdr(rx)->rsp.rccqe;
	struct nvme_request *req = lookup_cid(qp, cpl.cid);

	if (nvtcp_unlikely(req == NULL)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				 offsetof(struct nvtcp_tcp_rsp, rccqe) +
				 offsetof(struct nvtcp_nvme_cpl, cid),
				 "CapsuleResp for CID %u, which is not outstanding", cpl.cid);
	}
	if (!nvtcp_nvme_cpl_is_error(&cpl)) {
		if (nvtcp_unlikely(req->xfer == NVTCP_NVME_DATA_CTRLR_TO_HOST &&
				   req->c2h_rcvd != req->len) && req->c2h_len_out != NULL) {
			/* Authentication Receive: the message may be shorter than AL. */
			*req->c2h_len_out = req->c2h_rcvd;
			if (nvtcp_unlikely(req->ddgst_error)) {
				cpl.status = NVME_STATUS_TRANSIENT_TRANSPORT;
			}
		} else if (nvtcp_unlikely(req->xfer == NVTCP_NVME_DATA_CTRLR_TO_HOST &&
					  req->c2h_rcvd != req->len)) {
			NVME_QP_ERRLOG(qp, "cid %u (opcode 0x%02x) completed successfully with %u of "
				       "%u data bytes received: failing it\n", req->cid,
				       req->cmd.opc, req->c2h_rcvd, req->len);
			cpl.status = NVME_STATUS_TRANSIENT_TRANSPORT;
		} else if (nvtcp_unlikely(req->xfer == NVTCP_NVME_DATA_HOST_TO_CTRLR &&
					  !req->incapsule && req->r2t_next != req->len)) {
			NVME_QP_ERRLOG(qp, "cid %u (opcode 0x%02x) completed successfully with %u of "
				       "%u data bytes requested: failing it\n", req->cid,
				       req->cmd.opc, req->r2t_next, req->len);
			cpl.status = NVME_STATUS_TRANSIENT_TRANSPORT;
		} else if (nvtcp_unlikely(req->ddgst_error)) {
			if (ddgst_retry(qp, req)) {
				return rx_after_completion(qp);
			}
			cpl.status = NVME_STATUS_TRANSIENT_TRANSPORT;
		}
	}
	nvme_req_complete(qp, req, &cpl);
	return rx_after_completion(qp);
}

static int
handle_c2h_hdr(struct nvtcp_qpair *qp, struct nvtcp_tcp_rx *rx)
{
	const struct nvtcp_tcp_c2h_data *h = &nvtcp_tcp_rx_hdr(rx)->c2h_data;
	struct nvme_request *req = lookup_cid(qp, h->cccid);
	uint32_t datao = h->datao, datal = h->datal;
	int rc;

	if (nvtcp_unlikely(req == NULL)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				 offsetof(struct nvtcp_tcp_c2h_data, cccid),
				 "C2HData for CID %u, which is not outstanding", h->cccid);
	}
	if (nvtcp_unlikely(req->xfer != NVTCP_NVME_DATA_CTRLR_TO_HOST)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0,
				 "C2HData for CID %u (opcode 0x%02x), which transfers no data to "
				 "the host", h->cccid, req->cmd.opc);
	}
	if (nvtcp_unlikely(datao != req->c2h_rcvd)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				 offsetof(struct nvtcp_tcp_c2h_data, datao),
				 "C2HData for CID %u: DATAO %u, expected %u", h->cccid, datao,
				 req->c2h_rcvd);
	}
	if (nvtcp_unlikely((uint64_t)datao + datal > req->len)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_DATA_OUT_OF_RANGE, 0,
				 "C2HData for CID %u: DATAO %u + DATAL %u beyond the transfer "
				 "length %u", h->cccid, datao, datal, req->len);
	}
	if (nvtcp_unlikely((h->ch.flags & NVTCP_TCP_FLAG_SUCCESS) && datao + datal != req->len &&
			   req->c2h_len_out == NULL)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				 offsetof(struct nvtcp_tcp_ch, flags),
				 "C2HData for CID %u: SUCCESS flag with %u of %u bytes", h->cccid,
				 datao + datal, req->len);
	}
	/* LAST_PDU marks the last C2HData of the command's transfer; on an earlier one the
	 * controller and we disagree about where the data ends. (A last PDU without the flag
	 * is tolerated: the CapsuleResp that follows completes the command.) */
	if (nvtcp_unlikely((h->ch.flags & NVTCP_TCP_FLAG_LAST_PDU) && datao + datal != req->len &&
			   req->c2h_len_out == NULL)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				 offsetof(struct nvtcp_tcp_ch, flags),
				 "C2HData for CID %u: LAST_PDU flag with %u of %u bytes", h->cccid,
				 datao + datal, req->len);
	}
	rc = nvtcp_tcp_rx_set_payload_at(rx, req->iov, req->iovcnt, datao);
	if (nvtcp_unlikely(rc != 0)) {
		return rx_abort(qp, -EIO, "cannot place C2HData of CID %u: %s", h->cccid,
				strerror(-rc));
	}
	return 0;
}

static int
handle_r2t(struct nvtcp_qpair *qp, struct nvtcp_tcp_rx *rx)
{
	const struct nvtcp_tcp_r2t *h = &nvtcp_tcp_rx_hdr(rx)->r2t;
	struct nvme_request *req = lookup_cid(qp, h->cccid);
	struct nvme_r2t *r;
	uint8_t idx;

	if (nvtcp_unlikely(req == NULL)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				 offsetof(struct nvtcp_tcp_r2t, cccid),
				 "R2T for CID %u, which is not outstanding", h->cccid);
	}
	if (nvtcp_unlikely(req->xfer != NVTCP_NVME_DATA_HOST_TO_CTRLR || req->incapsule)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0,
				 "R2T for CID %u (opcode 0x%02x), which has %s", h->cccid,
				 req->cmd.opc, req->incapsule ? "its data in the capsule" :
				 "no data for the controller");
	}
	if (nvtcp_unlikely(h->r2tl == 0)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				 offsetof(struct nvtcp_tcp_r2t, r2tl), "R2T for CID %u: R2TL 0",
				 h->cccid);
	}
	if (nvtcp_unlikely(h->r2to != req->r2t_next)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				 offsetof(struct nvtcp_tcp_r2t, r2to),
				 "R2T for CID %u: R2TO %u, expected %u", h->cccid, h->r2to,
				 req->r2t_next);
	}
	if (nvtcp_unlikely((uint64_t)h->r2to + h->r2tl > req->len)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_DATA_OUT_OF_RANGE, 0,
				 "R2T for CID %u: R2TO %u + R2TL %u beyond the transfer length %u",
				 h->cccid, h->r2to, h->r2tl, req->len);
	}
	if (nvtcp_unlikely(req->r2t_count >= qp->max_r2t)) {
		return proto_err(qp, rx, NVTCP_TCP_FES_R2T_LIMIT_EXCEEDED, 0,
				 "R2T for CID %u: %u R2Ts already active, MAXR2T + 1 is %u",
				 h->cccid, req->r2t_count, qp->max_r2t);
	}
	idx = (uint8_t)((req->r2t_head + req->r2t_count) % NVME_MAX_R2T);
	r = &req->r2t[idx];
	r->ttag = h->ttag;
	r->off = h->r2to;
	r->len = h->r2tl;
	r->queued = 0;
	r->inflight = 0;
	req->r2t_count++;
	req->r2t_next += h->r2tl;
	if (!req->h2c_waiting) {
		TAILQ_INSERT_TAIL(&qp->h2c_wait, req, h2c_link);
		req->h2c_waiting = true;
	}
	nvme_tcp_h2c_pump(qp);
	return !nvme_qpair_is_up(qp) ? rx_after_completion(qp) : 0;
}

static int
rx_header(void *ctx, struct nvtcp_tcp_rx *rx)
{
	struct nvtcp_qpair *qp = ctx;
	uint8_t type = nvtcp_tcp_rx_pdu_type(rx);

	if (nvtcp_unlikely(type == NVTCP_TCP_PDU_C2H_TERM_REQ)) {
		return handle_c2h_term(qp, rx);
	}
	if (nvtcp_unlikely(!qp->ic_done)) {
		if (type != NVTCP_TCP_PDU_IC_RESP) {
			return proto_err(qp, rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0,
					 "%s (type 0x%02x) before the ICResp",
					 nvtcp_tcp_pdu_type_str(type), type);
		}
		return handle_icresp(qp, rx);
	}
	switch (type) {
	case NVTCP_TCP_PDU_CAPSULE_RESP:
		return handle_rsp(qp, rx);
	case NVTCP_TCP_PDU_C2H_DATA:
		return handle_c2h_hdr(qp, rx);
	case NVTCP_TCP_PDU_R2T:
		return handle_r2t(qp, rx);
	default:
		/* ICResp again; lib/tcp already refused the types a host never receives. */
		return proto_err(qp, rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0,
				 "%s (type 0x%02x) after the connection was initialized",
				 nvtcp_tcp_pdu_type_str(type), type);
	}
}

static int
rx_payload(void *ctx, struct nvtcp_tcp_rx *rx, bool ddgst_ok)
{
	struct nvtcp_qpair *qp = ctx;
	const struct nvtcp_tcp_c2h_data *h = &nvtcp_tcp_rx_hdr(rx)->c2h_data;
	struct nvme_request *req;

	if (nvtcp_unlikely(h->ch.pdu_type != NVTCP_TCP_PDU_C2H_DATA)) {
		return 0;
	}
	/* Validated by the header callback, and nothing can have completed it since. */
	req = &qp->reqs[h->cccid & qp->cid_mask];
	req->c2h_rcvd += h->datal;
	if (nvtcp_unlikely(!ddgst_ok)) {
		NVME_QP_ERRLOG(qp, "data digest mismatch in C2HData of cid %u (opcode 0x%02x, "
			       "DATAO %u, DATAL %u)\n", h->cccid, req->cmd.opc, h->datao, h->datal);
		req->ddgst_error = true;
	}
	if (h->ch.flags & NVTCP_TCP_FLAG_SUCCESS) {
		struct nvtcp_nvme_cpl cpl;

		/* SUCCESS replaces the CapsuleResp (checked: all data is in, or what an
		 * Authentication Receive's message needed). */
		if (nvtcp_unlikely(req->c2h_len_out != NULL)) {
			*req->c2h_len_out = req->c2h_rcvd;
		}
		if (nvtcp_unlikely(req->ddgst_error) && ddgst_retry(qp, req)) {
			return rx_after_completion(qp);
		}
		nvme_cpl_host(&cpl, qp->qid, req->cid,
			      req->ddgst_error ? NVME_STATUS_TRANSIENT_TRANSPORT : 0);
		nvme_req_complete(qp, req, &cpl);
		return rx_after_completion(qp);
	}
	return 0;
}

int
nvme_tcp_conn_init(struct nvtcp_qpair *qp)
{
	struct nvtcp_ctrlr *ctrlr = qp->ctrlr;
	struct nvtcp_tcp_rx_opts o;
	int rc;

	if (qp->rx.header_cb == NULL) {
		nvtcp_tcp_rx_opts_init(&o);
		o.role = NVTCP_TCP_ROLE_HOST;
		/* No command transfers more than this, so no C2HData may carry more. */
		o.max_data_len = NVME_DRIVER_MAX_XFER;
		o.header_cb = rx_header;
		o.payload_cb = rx_payload;
		o.cb_ctx = qp;
		o.name = qp->name;
		rc = nvtcp_tcp_rx_init(&qp->rx, &o);
		if (rc != 0) {
			return rc;
		}
	} else {
		nvtcp_tcp_rx_reset(&qp->rx);
	}
	nvtcp_tcp_params_init(&qp->params);
	nvtcp_tcp_ic_opts_init(&qp->ic_opts);
	qp->ic_opts.hdgst = ctrlr->opts.hdgst;
	qp->ic_opts.ddgst = ctrlr->opts.ddgst;
	qp->ic_opts.pda = ctrlr->opts.hpda;
	qp->ic_opts.maxr2t = qp->max_r2t - 1;
	qp->ic_done = false;
	qp->rb.head = qp->rb.tail = 0;
	qp->pend_rc = 0;
	qp->pend_reason[0] = '\0';
	return 0;
}

/* Act on what nvtcp_tcp_rx_process() returned. */
static void
rx_result(struct nvtcp_qpair *qp, int rc)
{
	if (rc == 0 || rc == NVTCP_TCP_RX_STOP || !nvme_qpair_is_up(qp)) {
		return;
	}
	if (nvtcp_tcp_rx_state(&qp->rx) == NVTCP_TCP_RX_STATE_ERROR) {
		const struct nvtcp_tcp_error *err = nvtcp_tcp_rx_error(&qp->rx);
		struct nvme_tx_pdu *t = &qp->term_pdu;

		/* Best effort: queue the TermReq behind whatever is partly sent and flush once;
		 * the connection is closed right after, as the specification requires. */
		if (nvtcp_tcp_pdu_term_req_from_rx(&t->pdu, &qp->rx) == 0 && qp->sock != NULL) {
			t->req = NULL;
			t->pdu.sock_req.cb = NULL;
			t->pdu.sock_req.cb_arg = NULL;
			nvtcp_sock_writev_async(qp->sock, &t->pdu.sock_req);
			(void)nvtcp_sock_flush(qp->sock);
		}
		if (qp->pend_reason[0] == '\0') {
			/* Found by lib/tcp's generic checks: name the rule, as they logged it. */
			const char *msg = nvtcp_tcp_rx_error_msg(&qp->rx);

			snprintf(qp->pend_reason, sizeof(qp->pend_reason),
				 "protocol error: invalid %s header%s%s",
				 nvtcp_tcp_pdu_type_str(nvtcp_tcp_rx_pdu_type(&qp->rx)),
				 msg[0] != '\0' ? ": " : "", msg);
		}
		nvme_qpair_fail(qp, -EPROTO, "%s; sent H2CTermReq FES 0x%02x (%s), FEI %u",
				qp->pend_reason, err->fes, nvtcp_tcp_fes_str(err->fes), err->fei);
		return;
	}
	if (rc == NVTCP_TCP_RX_WAIT) {
		nvme_qpair_fail(qp, -EIO, "receive stalled: no destination for a PDU's data");
		return;
	}
	nvme_qpair_fail(qp, qp->pend_rc != 0 ? qp->pend_rc : rc, "%s",
			qp->pend_reason[0] ? qp->pend_reason : "receive failed");
}

void
nvme_tcp_rx_leftover(struct nvtcp_qpair *qp)
{
	if (qp->sock != NULL && qp->rb.head != qp->rb.tail) {
		rx_result(qp, nvtcp_tcp_rx_process(&qp->rx, &qp->rb));
	}
}

void
nvme_tcp_rx_poll(struct nvtcp_qpair *qp)
{
	struct iovec iov[NVTCP_TCP_PDU_MAX_DATA_IOV];
	size_t direct = 0;
	ssize_t r;
	int rc, n;

	if (nvtcp_unlikely(qp->sock == NULL) ||
	    (qp->poll_max != 0 && qp->poll_done >= qp->poll_max)) {
		return;
	}
	/* Bytes left over from a poll that stopped at its completion budget. */
	rc = nvtcp_tcp_rx_process(&qp->rx, &qp->rb);
	if (rc != 0) {
		rx_result(qp, rc);
		return;
	}
	n = nvtcp_tcp_rx_direct_iov(&qp->rx, iov, (int)NVTCP_COUNTOF(iov));
	r = nvtcp_sock_recv_rxbuf(qp->sock, &qp->rb, n > 0 ? iov : NULL, n, &direct);
	if (r == -EAGAIN) {
		return;
	}
	if (r < 0) {
		/* A TLS record that failed its check, or a controller gone mid-record. */
		const char *tls_why = r == -EPROTO && nvme_tls()->error != NULL ?
				      nvme_tls()->error(qp->sock) : NULL;

		if (tls_why != NULL) {
			nvme_qpair_fail(qp, -EPROTO, "TLS: %s", tls_why);
			return;
		}
		/* -ETIMEDOUT here is the kernel giving up on the peer (TCP user timeout or
		 * retransmissions): a transport failure like any other. */
		nvme_qpair_fail(qp, r == -ECONNRESET ? -ECONNRESET : (int)r, "%s%s",
				r == -ECONNRESET ? "connection closed by the controller" :
				"receive failed: ", r == -ECONNRESET ? "" : strerror((int)-r));
		return;
	}
	if (direct > 0) {
		(void)nvtcp_tcp_rx_direct_done(&qp->rx, direct);
	}
	rx_result(qp, nvtcp_tcp_rx_process(&qp->rx, &qp->rb));
}

void
nvme_qpair_housekeeping(struct nvtcp_qpair *qp)
{
	struct nvtcp_ctrlr *ctrlr = qp->ctrlr;

	if (!nvme_qpair_is_admin(qp)) {
		/* Controller-level events (reset, re-established, failed, fast-fail) reach the I/O
		 * threads through one load of a read-mostly counter per poll. */
		uint32_t gen = atomic_load_explicit(&ctrlr->event_gen, memory_order_acquire);

		if (nvtcp_unlikely(gen != qp->seen_event_gen)) {
			nvme_io_qpair_ctrlr_event(qp, gen);
		}
		if (nvtcp_unlikely(qp->state == NVME_QPAIR_RESETTING) &&
		    atomic_load_explicit(&ctrlr->io_fast_fail, memory_order_relaxed)) {
			/* Submitted since the last poll, while the path is known to be down. */
			nvme_qpair_fail_unsent(qp, NVME_STATUS_HOST_PATH_ERROR(false));
		}
	}
	if (nvtcp_unlikely(qp->sock_error != 0) && nvme_qpair_is_up(qp)) {
		nvme_qpair_fail(qp, qp->sock_error, "send failed: %s", strerror(-qp->sock_error));
	}
	if (qp->state == NVME_QPAIR_CONNECTING) {
		(void)nvme_qpair_connect_poll(qp);
	}
}

int32_t
nvme_qpair_poll(struct nvtcp_qpair *qp, uint32_t max, bool flush)
{
	uint32_t done;

	if (nvtcp_unlikely(qp->in_poll)) {
		return 0; /* from a completion callback of this queue pair */
	}
	qp->in_poll = true;
	qp->poll_max = max;
	qp->poll_done = 0;
	qp->stats.polls++;
	nvme_qpair_housekeeping(qp);
	if (nvtcp_likely(qp->state == NVME_QPAIR_CONNECTED) ||
	    (qp->state == NVME_QPAIR_CONNECTING && qp->conn_state >= NVME_CONN_ICRESP)) {
		nvme_tcp_rx_poll(qp);
	}
	if (flush && qp->sock != NULL && nvtcp_sock_has_pending_sends(qp->sock)) {
		ssize_t r = nvtcp_sock_flush(qp->sock);

		if (r < 0) {
			nvme_qpair_fail(qp, (int)r, "send failed: %s", strerror((int)-r));
		}
	}
	if (nvtcp_unlikely(qp->sock_error != 0) && nvme_qpair_is_up(qp)) {
		nvme_qpair_fail(qp, qp->sock_error, "send failed: %s", strerror(-qp->sock_error));
	}
	/* After the receive: a completion that has just arrived is not a timeout. */
	nvme_qpair_poll_timeouts(qp);
	done = qp->poll_done;
	qp->poll_max = 0;
	qp->in_poll = false;
	if (done == 0) {
		qp->stats.idle_polls++;
	}
	if (nvtcp_unlikely(qp->state == NVME_QPAIR_FAILED)) {
		return -ENXIO;
	}
	return (int32_t)done;
}
