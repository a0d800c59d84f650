/*
 * One NVMe/TCP connection on the target side: the PDU engine.
 *
 * Receive: lib/tcp's state machine does the framing (common header checks, digests, data
 * placement); the callbacks here check each PDU against the connection state (ICReq first
 * and once, CapsuleCmd and H2CData only after it) and against the command it belongs to
 * (transfer tag, CID, offsets, lengths, LAST_PDU). One batched read per poll: whatever is
 * buffered is processed, one readv() fills the buffer (and the payload being received, in
 * place), and that is processed too.
 *
 * Send: every PDU is queued on the socket and leaves with the group's one flush per poll.
 * A request owns two PDUs: pdu_ctl (R2T, then the CapsuleResp) and pdu_data (C2HData).
 *
 * Life: a connection is freed only when it is closed, every request has been released (a
 * request executing in a backend finishes first) and no message points at it any more
 * (conn->refs).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target_internal.h"

/* Spare requests beyond the queue size: an error response for a host that overfills its
 * queue, and one more while the first response is still being sent. */
#define CONN_SPARE_REQS 2
/* A connection that sent a C2HTermReq is closed this long after at the latest. */
#define CONN_TERM_LINGER_MS 1000

static void conn_maybe_free(struct tgt_conn *conn);

static const char *
conn_name(const struct tgt_conn *conn)
{
	return conn->peer;
}

/* ---- Requests ---------------------------------------------------------------------------- */

static void
reqs_init(struct tgt_conn *conn, struct tgt_req *reqs, struct tgt_req **stack, uint32_t n,
	  bool boot)
{
	for (uint32_t i = 0; i < n; i++) {
		struct tgt_req *req = &reqs[i];

		memset(req, 0, offsetof(struct tgt_req, pdu_ctl));
		req->conn = conn;
		req->idx = (uint16_t)i;
		req->boot = boot;
		nvtcp_tcp_pdu_init(&req->pdu_ctl, NVTCP_TCP_PDU_CAPSULE_RESP);
		nvtcp_tcp_pdu_init(&req->pdu_data, NVTCP_TCP_PDU_C2H_DATA);
		/* Pop order: lowest index first. */
		stack[n - 1 - i] = req;
	}
}

int
tgt_conn_alloc_reqs(struct tgt_conn *conn, uint32_t qsize)
{
	uint32_t n = qsize + CONN_SPARE_REQS;
	struct tgt_req *reqs;
	struct tgt_req **stack;

	if (n - 1 > TGT_TTAG_IDX_MASK) {
		return -EINVAL;
	}
	if (posix_memalign((void **)&reqs, 64, n * sizeof(*reqs)) != 0) {
		return -ENOMEM;
	}
	stack = calloc(n, sizeof(*stack));
	if (stack == NULL) {
		free(reqs);
		free(stack);
		return -ENOMEM;
	}
	reqs_init(conn, reqs, stack, n, false);
	/* Requests of the bootstrap array still in flight (the Connect) finish normally and
	 * are not returned to the new free list. */
	conn->reqs = reqs;
	conn->nreqs = n;
	conn->free_reqs = stack;
	conn->nfree = n;
	conn->qsize = qsize;
	return 0;
}

void
tgt_req_put_bufs(struct tgt_req *req)
{
	struct tgt_pg *pg = req->conn->pg;

	uint32_t n = req->nbufs + req->cmp_nbufs;

	if (req->nbufs > 0) {
		tgt_bufpool_put(&pg->bufs, req->bufs, req->nbufs);
		req->nbufs = 0;
	}
	if (req->cmp_nbufs > 0) {
		tgt_bufpool_put(&pg->bufs, req->cmp_bufs, req->cmp_nbufs);
		req->cmp_nbufs = 0;
	}
	req->conn->bufs_held -= n;
	/* Bootstrap requests (the Connect) ran before the connection had a host. */
	if (!req->boot && req->conn->host != NULL) {
		req->conn->host->bufs_held -= n;
	}
}

void
tgt_req_release(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;

	if (req->state == TGT_REQ_NEED_BUF) {
		TAILQ_REMOVE(&conn->pg->buf_wait, req, link);
	}
	tgt_req_put_bufs(req);
	if (req->ns != NULL) {
		req->ns->inflight[conn->pg->idx].n--;
		req->ns = NULL;
	}
	if (req->cid_marked) {
		conn->cid_map[req->cmd.cid / 64] &= ~(1ull << (req->cmd.cid % 64));
		req->cid_marked = false;
	}
	req->state = TGT_REQ_FREE;
	req->iovcnt = 0;
	req->data_kind = TGT_DATA_NONE;
	req->sends = 0;
	req->pdu_ctl_busy = false;
	req->pdu_data_busy = false;
	conn->outstanding--;
	if (req->boot && conn->reqs != conn->boot_reqs) {
		/* The bootstrap array was replaced at Connect: nothing to return it to. */
	} else {
		conn->free_reqs[conn->nfree++] = req;
	}
	if (conn->rx_req == req) {
		conn->rx_req = NULL;
	}
	if (conn->state == TGT_CONN_CLOSING) {
		conn_maybe_free(conn);
	}
}

/* ---- Sending ------------------------------------------------------------------------------ */

static void req_data_sent(void *arg, int status);
static void req_ctl_sent(void *arg, int status);

static void
conn_queue(struct tgt_conn *conn, struct nvtcp_tcp_tx_pdu *pdu, nvtcp_sock_req_cb cb, void *arg)
{
	pdu->sock_req.cb = cb;
	pdu->sock_req.cb_arg = arg;
	nvtcp_sock_writev_async(conn->sock, &pdu->sock_req);
}

static void
req_send_resp(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct nvtcp_tcp_tx_pdu *pdu = &req->pdu_ctl;
	int rc;

	nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_CAPSULE_RESP);
	pdu->hdr.rsp.rccqe = req->cpl;
	rc = nvtcp_tcp_pdu_finish(pdu, &conn->params, NULL, 0);
	if (nvtcp_unlikely(rc != 0)) {
		NVTCP_ERRLOG("%s: cannot build a CapsuleResp: %s\n", conn_name(conn), strerror(-rc));
		tgt_conn_close(conn, "internal error building a response");
		return;
	}
	req->resp_queued = true;
	req->pdu_ctl_busy = true;
	req->sends++;
	conn_queue(conn, pdu, req_ctl_sent, req);
}

static void
req_send_c2h(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct nvtcp_tcp_tx_pdu *pdu = &req->pdu_data;
	struct iovec iov[TGT_REQ_IOV_MAX];
	uint32_t off = req->c2h_sent;
	uint32_t len = NVTCP_MIN(conn->tgt->opts.max_c2h_len, req->xfer_len - off);
	bool last;
	int n, rc;

	n = nvtcp_iov_slice(req->iov, req->iovcnt, off, len, iov, TGT_REQ_IOV_MAX);
	if (nvtcp_unlikely(n < 0)) {
		NVTCP_ERRLOG("%s: C2HData of %u bytes at %u: bad data layout\n", conn_name(conn),
			     len, off);
		tgt_conn_close(conn, "internal error building C2HData");
		return;
	}
	last = off + len == req->xfer_len;
	nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_C2H_DATA);
	pdu->hdr.c2h_data.cccid = req->cmd.cid;
	pdu->hdr.c2h_data.datao = off;
	if (last) {
		pdu->hdr.ch.flags = NVTCP_TCP_FLAG_LAST_PDU |
				    (req->use_success ? NVTCP_TCP_FLAG_SUCCESS : 0);
	}
	rc = nvtcp_tcp_pdu_finish(pdu, &conn->params, iov, n);
	if (nvtcp_unlikely(rc != 0)) {
		NVTCP_ERRLOG("%s: cannot build C2HData: %s\n", conn_name(conn), strerror(-rc));
		tgt_conn_close(conn, "internal error building C2HData");
		return;
	}
	req->c2h_sent += len;
	req->pdu_data_busy = true;
	req->sends++;
	conn_queue(conn, pdu, req_data_sent, req);
	if (last && !req->use_success && !req->pdu_ctl_busy) {
		req_send_resp(req);
	}
}

static void
req_sent_common(struct tgt_req *req, int status)
{
	struct tgt_conn *conn = req->conn;

	req->sends--;
	conn->pg->work++;
	if (nvtcp_unlikely(status != 0)) {
		/* The socket failed or was closed: the connection is going away. */
		if (conn->state != TGT_CONN_CLOSING && !conn->term_sent) {
			tgt_conn_close(conn, "send failed: %s", strerror(-status));
		}
		if (req->sends == 0 && req->state != TGT_REQ_EXEC && req->state != TGT_REQ_FREE) {
			tgt_req_release(req);
		}
		return;
	}
	if (req->state == TGT_REQ_TX && req->sends == 0) {
		bool close_after = req->close_after;
		const char *close_why = req->close_why;

		if (req->c2h_sent < req->xfer_len && req->xfer == NVTCP_NVME_DATA_CTRLR_TO_HOST &&
		    req->data_kind != TGT_DATA_NONE && !nvtcp_nvme_status_is_error(req->cpl.status)) {
			/* More C2HData to come. */
			req_send_c2h(req);
			return;
		}
		if (!req->resp_queued && !req->use_success) {
			req_send_resp(req);
			return;
		}
		tgt_req_release(req);
		if (close_after) {
			tgt_conn_close(conn, "%s", close_why != NULL ? close_why :
				       "host disconnected the queue (Fabrics Disconnect)");
		}
	}
}

static void
req_data_sent(void *arg, int status)
{
	struct tgt_req *req = arg;

	req->pdu_data_busy = false;
	req_sent_common(req, status);
}

static void
req_ctl_sent(void *arg, int status)
{
	struct tgt_req *req = arg;

	req->pdu_ctl_busy = false;
	if (status == 0 && req->state == TGT_REQ_R2T) {
		req->sends--;
		tgt_req_send_r2ts(req);
		return;
	}
	req_sent_common(req, status);
}

void
tgt_req_send_r2ts(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	uint32_t max_len = conn->tgt->opts.max_r2t_len;
	struct nvtcp_tcp_tx_pdu *pdu = &req->pdu_ctl;
	int rc;

	/* One R2T per flush (pdu_ctl is busy until it leaves), as many outstanding as the host
	 * accepts (MAXR2T + 1). */
	if (req->pdu_ctl_busy || req->r2t_sent >= req->xfer_len ||
	    req->r2t_outstanding > conn->params.maxr2t) {
		return;
	}
	nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_R2T);
	pdu->hdr.r2t.cccid = req->cmd.cid;
	pdu->hdr.r2t.ttag = (uint16_t)(req->idx |
				       ((req->r2t_seq & 0x7u) << TGT_TTAG_IDX_BITS));
	pdu->hdr.r2t.r2to = req->r2t_sent;
	pdu->hdr.r2t.r2tl = NVTCP_MIN(max_len, req->xfer_len - req->r2t_sent);
	rc = nvtcp_tcp_pdu_finish(pdu, &conn->params, NULL, 0);
	if (nvtcp_unlikely(rc != 0)) {
		tgt_conn_close(conn, "internal error building an R2T");
		return;
	}
	req->r2t_sent += pdu->hdr.r2t.r2tl;
	req->r2t_seq++;
	req->r2t_outstanding++;
	req->state = TGT_REQ_R2T;
	req->pdu_ctl_busy = true;
	req->sends++;
	conn_queue(conn, pdu, req_ctl_sent, req);
}

void
tgt_req_complete(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct tgt_stats *ps = &conn->pg->stats, *cs = &conn->stats;
	bool err = nvtcp_nvme_status_is_error(req->cpl.status);

	if (nvtcp_unlikely(conn->state == TGT_CONN_CLOSING || conn->term_sent)) {
		tgt_req_release(req);
		return;
	}
	req->state = TGT_REQ_TX;
	req->cpl.cid = req->cmd.cid;
	req->cpl.sqid = conn->qid;
	req->cpl.sqhd = conn->sqflow_disabled ? 0 : conn->sqhd;

	TGT_STAT_ADD(cs->io.cmds, 1);
	TGT_STAT_ADD(ps->io.cmds, 1);
	if (nvtcp_unlikely(err)) {
		NVTCP_INFOLOG("%s: qid %u cid %u opcode 0x%02x cdw10 0x%08x nsid %u: status 0x%04x "
			      "(%s)\n", conn->peer, conn->qid, req->cmd.cid, req->cmd.opc,
			      req->cmd.cdw10, req->cmd.nsid, req->cpl.status,
			      nvtcp_nvme_cmd_sc_str(req->cmd.opc,
						    nvtcp_nvme_status_sct(req->cpl.status),
						    nvtcp_nvme_status_sc(req->cpl.status)));
		TGT_STAT_ADD(cs->io.errors, 1);
		TGT_STAT_ADD(ps->io.errors, 1);
		if (conn->qid == 0 && conn->ctrlr != NULL) {
			tgt_ctrlr_add_error(conn->ctrlr, req);
		}
	} else if (conn->qid > 0 && req->cmd.opc == NVTCP_NVME_OPC_READ) {
		TGT_STAT_ADD(cs->io.read_cmds, 1);
		TGT_STAT_ADD(ps->io.read_cmds, 1);
		TGT_STAT_ADD(cs->io.bytes_read, req->xfer_len);
		TGT_STAT_ADD(ps->io.bytes_read, req->xfer_len);
	} else if (conn->qid > 0 && req->cmd.opc == NVTCP_NVME_OPC_WRITE) {
		TGT_STAT_ADD(cs->io.write_cmds, 1);
		TGT_STAT_ADD(ps->io.write_cmds, 1);
		TGT_STAT_ADD(cs->io.bytes_written, req->xfer_len);
		TGT_STAT_ADD(ps->io.bytes_written, req->xfer_len);
	} else if (conn->qid == 0 || req->cmd.opc == NVTCP_NVME_OPC_FABRICS) {
		TGT_STAT_ADD(cs->io.admin_cmds, 1);
		TGT_STAT_ADD(ps->io.admin_cmds, 1);
	}

	if (!err && req->xfer == NVTCP_NVME_DATA_CTRLR_TO_HOST && req->xfer_len > 0 &&
	    req->data_kind != TGT_DATA_NONE) {
		req->use_success = conn->c2h_success && req->cpl.cdw0 == 0 && req->cpl.cdw1 == 0;
		req->c2h_sent = 0;
		req_send_c2h(req);
		return;
	}
	req->use_success = false;
	if (req->pdu_ctl_busy) {
		/* The last R2T has not left yet (it will have before the host can answer it,
		 * so this happens only to a command that failed early): respond after it. */
		return;
	}
	req_send_resp(req);
}

void
tgt_req_complete_status(struct tgt_req *req, uint8_t sct, uint8_t sc, bool dnr)
{
	tgt_req_set_status(req, sct, sc, dnr);
	tgt_req_complete(req);
}

/* ---- Buffers --------------------------------------------------------------------------- */

bool
tgt_req_get_bufs(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct tgt_bufpool *bp = &conn->pg->bufs;
	struct tgt_pg_host *host = req->boot ? NULL : conn->host;
	uint32_t size = bp->size;
	uint32_t n = (req->xfer_len + size - 1) / size;
	uint32_t cmp = 0;

	if (req->cmd.opc == NVTCP_NVME_OPC_COMPARE && conn->qid > 0 && req->ns != NULL &&
	    tgt_bdev_read_ptr(req->ns->bdev, 0, 0) == NULL) {
		cmp = n;
	}
	/*
	 * In-capsule data sits in the receive stream in front of everything else of its
	 * connection, including the H2CData that other requests wait for: it may use the last
	 * buffers (the reserve) and ignores the per-connection and per-host caps, so that it can
	 * always be placed eventually. Everything else leaves the reserve alone.
	 */
	if (n == 0 || n + cmp > TGT_REQ_IOV_MAX * 2) {
		return n == 0;
	}
	if (!req->incapsule && host != NULL &&
	    host->bufs_held + n + cmp > conn->pg->host_buf_cap) {
		/* Count a command once, not at every retry of the wait list. */
		if (req->state != TGT_REQ_NEED_BUF) {
			TGT_STAT_ADD(conn->stats.io.host_buf_waits, 1);
			TGT_STAT_ADD(conn->pg->stats.io.host_buf_waits, 1);
		}
		return false;
	}
	if ((!req->incapsule && (conn->bufs_held + n + cmp > conn->pg->conn_buf_cap ||
				 bp->nfree < n + cmp + conn->pg->buf_reserve)) ||
	    !tgt_bufpool_get(bp, req->bufs, n)) {
		return false;
	}
	if (cmp > 0 && !tgt_bufpool_get(bp, req->cmp_bufs, cmp)) {
		tgt_bufpool_put(bp, req->bufs, n);
		return false;
	}
	req->nbufs = n;
	req->cmp_nbufs = cmp;
	conn->bufs_held += n + cmp;
	if (host != NULL) {
		host->bufs_held += n + cmp;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = NVTCP_MIN(size, req->xfer_len - i * size);

		req->iov[i].iov_base = req->bufs[i];
		req->iov[i].iov_len = len;
		if (i < cmp) {
			req->cmp_iov[i].iov_base = req->cmp_bufs[i];
			req->cmp_iov[i].iov_len = len;
		}
	}
	req->iovcnt = (int)n;
	req->data_kind = TGT_DATA_BUFS;
	return true;
}

static void
conn_unblock_rx(struct tgt_conn *conn)
{
	if (conn->on_rx_wait) {
		TAILQ_REMOVE(&conn->pg->rx_wait, conn, wait_link);
		conn->on_rx_wait = false;
	}
	conn->rx_blocked = false;
}

void
tgt_pg_retry_waiters(struct tgt_pg *pg)
{
	struct tgt_conn *conn;
	struct tgt_req *req;

	/* Connections first: a blocked receive stream holds up every command behind it. */
	while ((conn = TAILQ_FIRST(&pg->rx_wait)) != NULL) {
		req = conn->rx_req;
		if (req == NULL || req->state != TGT_REQ_RX_ICD) {
			conn_unblock_rx(conn);
			continue;
		}
		if (!tgt_req_get_bufs(req)) {
			break;
		}
		if (nvtcp_tcp_rx_set_payload(&conn->rx, req->iov, req->iovcnt) != 0) {
			conn_unblock_rx(conn);
			tgt_conn_close(conn, "internal error placing in-capsule data");
			continue;
		}
		conn_unblock_rx(conn);
		tgt_conn_process(conn);
	}
	/* In order, but a connection at its cap does not hold up the others. */
	for (req = TAILQ_FIRST(&pg->buf_wait); req != NULL && pg->bufs.nfree > 0;) {
		struct tgt_req *next = TAILQ_NEXT(req, link);

		if (tgt_req_get_bufs(req)) {
			TAILQ_REMOVE(&pg->buf_wait, req, link);
			req->state = TGT_REQ_NEW;
			tgt_req_bufs_ready(req);
			/* The list may have changed under the callbacks: start over. */
			next = TAILQ_FIRST(&pg->buf_wait);
		}
		req = next;
	}
}

/* ---- Termination and close --------------------------------------------------------------- */

static void
term_sent(void *arg, int status)
{
	struct tgt_conn *conn = arg;

	conn->ctl_pdu_busy = false;
	tgt_conn_close(conn, "%s", conn->close_reason[0] ? conn->close_reason :
		       "protocol error (C2HTermReq sent)");
}

static void
conn_send_term(struct tgt_conn *conn, const char *why)
{
	TGT_STAT_ADD(conn->stats.io.protocol_errors, 1);
	TGT_STAT_ADD(conn->pg->stats.io.protocol_errors, 1);
	snprintf(conn->close_reason, sizeof(conn->close_reason), "%s", why);
	conn->term_sent = true;
	if (conn->ctl_pdu_busy) {
		/* The ICResp has not left: no room for a TermReq; just close. */
		tgt_conn_close(conn, "%s", why);
		return;
	}
	conn->ctl_pdu_busy = true;
	conn_queue(conn, &conn->ctl_pdu, term_sent, conn);
}

void
tgt_conn_fatal(struct tgt_conn *conn, uint16_t fes, uint32_t fei, const void *hdr,
	       size_t hdr_len)
{
	char why[96];

	if (conn->term_sent || conn->state == TGT_CONN_CLOSING) {
		return;
	}
	snprintf(why, sizeof(why), "protocol error: C2HTermReq FES 0x%02x (%s) FEI %u", fes,
		 nvtcp_tcp_fes_str(fes), fei);
	nvtcp_tcp_pdu_term_req(&conn->ctl_pdu, NVTCP_TCP_PDU_C2H_TERM_REQ, fes, fei, hdr,
			       hdr_len);
	conn_send_term(conn, why);
}

static void
conn_fatal_from_rx(struct tgt_conn *conn)
{
	const struct nvtcp_tcp_error *e = nvtcp_tcp_rx_error(&conn->rx);
	char why[96];

	if (conn->term_sent || conn->state == TGT_CONN_CLOSING) {
		return;
	}
	snprintf(why, sizeof(why), "protocol error: C2HTermReq FES 0x%02x (%s) FEI %u", e->fes,
		 nvtcp_tcp_fes_str(e->fes), e->fei);
	if (nvtcp_tcp_pdu_term_req_from_rx(&conn->ctl_pdu, &conn->rx) != 0) {
		tgt_conn_close(conn, "%s", why);
		return;
	}
	conn_send_term(conn, why);
}

static void
conn_free(struct tgt_conn *conn)
{
	struct tgt_pg *pg = conn->pg;
	struct nvtcp_tgt *tgt = conn->tgt;

	TAILQ_REMOVE(&pg->conns, conn, link);
	tgt_auth_conn_free(conn);
	if (conn->reqs != conn->boot_reqs) {
		free(conn->reqs);
		free(conn->free_reqs);
	}
	if (conn->host != NULL) {
		tgt_pg_host_put(pg, conn->host);
	}
	/* M drops tgt->nconns once it has taken the lease back. */
	tgt_send_msg(tgt->mgmt, tgt_lease_release_msg, conn->lease);
	free(conn->cid_map);
	free(conn->rb.buf);
	free(conn);
	__atomic_fetch_sub(&pg->nconns, 1, __ATOMIC_RELAXED);
}

/* A closed I/O queue lets go of its controller once none of its commands executes any more:
 * a Controller Level Reset reports CSTS.RDY 0 only after that, so no command of the old queue
 * can still change the namespace when the host connects the queue again. */
static void
conn_maybe_release(struct tgt_conn *conn)
{
	if (conn->registered && !conn->release_sent && conn->outstanding == 0) {
		conn->release_sent = true;
		tgt_ctrlr_ioq_release(conn);
	}
}

static void
conn_maybe_free(struct tgt_conn *conn)
{
	if (conn->state == TGT_CONN_CLOSING) {
		conn_maybe_release(conn);
	}
	if (conn->state == TGT_CONN_CLOSING && conn->outstanding == 0 && conn->refs == 0 &&
	    conn->sock == NULL) {
		conn_free(conn);
	}
}

void
tgt_conn_put(struct tgt_conn *conn)
{
	conn->refs--;
	conn_maybe_free(conn);
}

void
tgt_conn_close(struct tgt_conn *conn, const char *fmt, ...)
{
	char reason[128];
	va_list ap;

	if (conn->state == TGT_CONN_CLOSING) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);

	if (conn->state == TGT_CONN_LIVE) {
		NVTCP_NOTICELOG("host %s (%s) disconnected from %s, controller %u queue %u: %s\n",
				tgt_hostnqn_str(conn->hostnqn), conn->peer, conn->subsys != NULL ? conn->subsys->nqn : "?",
				conn->cntlid, conn->qid, reason);
	} else {
		NVTCP_INFOLOG("connection %s closed before Connect completed: %s\n", conn->peer,
			      reason);
	}
	conn->refs++;
	conn->state = TGT_CONN_CLOSING;
	conn_unblock_rx(conn);
	/* Sends still queued complete with -ECANCELED: their requests are released. */
	nvtcp_sock_close(&conn->sock);

	for (uint32_t i = 0; i < conn->nreqs; i++) {
		struct tgt_req *req = &conn->reqs[i];

		switch (req->state) {
		case TGT_REQ_NEW:
		case TGT_REQ_NEED_BUF:
		case TGT_REQ_RX_ICD:
		case TGT_REQ_R2T:
		case TGT_REQ_TX:
			if (req->sends == 0) {
				tgt_req_release(req);
			}
			break;
		default:
			/* EXEC: released when the backend or the message comes back.
			 * AER: released by the controller below. */
			break;
		}
	}
	if (conn->ctrlr != NULL && conn->qid == 0) {
		tgt_ctrlr_admin_conn_closed(conn->ctrlr, reason);
	} else {
		conn_maybe_release(conn);
	}
	tgt_conn_put(conn);
}

/* ---- Receive callbacks ----------------------------------------------------------------- */

static void
icresp_sent(void *arg, int status)
{
	struct tgt_conn *conn = arg;

	conn->ctl_pdu_busy = false;
	if (status != 0 && conn->state != TGT_CONN_CLOSING) {
		tgt_conn_close(conn, "sending ICResp failed: %s", strerror(-status));
	}
}

static int
conn_icreq(struct tgt_conn *conn)
{
	const struct nvtcp_tcp_icreq *icreq = &nvtcp_tcp_rx_hdr(&conn->rx)->icreq;
	struct nvtcp_tgt_opts *o = &conn->tgt->opts;
	struct nvtcp_tcp_ic_opts ic;
	struct nvtcp_tcp_icresp icresp;
	struct nvtcp_tcp_params params, pre;
	struct nvtcp_tcp_error err = {0};
	int rc;

	if (conn->state != TGT_CONN_IC_WAIT) {
		NVTCP_ERRLOG("%s: second ICReq\n", conn_name(conn));
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	}
	nvtcp_tcp_ic_opts_init(&ic);
	ic.hdgst = o->hdgst;
	ic.ddgst = o->ddgst;
	ic.pda = o->cpda;
	ic.maxh2cdata = o->maxh2cdata;
	rc = nvtcp_tcp_icreq_accept(icreq, &ic, &icresp, &params, &err);
	if (rc != 0) {
		NVTCP_ERRLOG("%s: ICReq rejected (pfv %u hpda %u dgst 0x%x maxr2t %u)\n",
			     conn_name(conn), icreq->pfv, icreq->hpda, icreq->dgst, icreq->maxr2t);
		if (rc == -EPROTO) {
			return nvtcp_tcp_rx_fail(&conn->rx, err.fes, err.fei);
		}
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 0);
	}
	if (nvtcp_tcp_rx_set_params(&conn->rx, &params) != 0) {
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 10);
	}
	conn->params = params;
	conn->state = TGT_CONN_CONNECT_WAIT;
	nvtcp_tcp_params_init(&pre);
	nvtcp_tcp_pdu_init(&conn->ctl_pdu, NVTCP_TCP_PDU_IC_RESP);
	memcpy(conn->ctl_pdu.raw, &icresp, sizeof(icresp));
	if (nvtcp_tcp_pdu_finish(&conn->ctl_pdu, &pre, NULL, 0) != 0) {
		tgt_conn_close(conn, "internal error building ICResp");
		return NVTCP_TCP_RX_STOP;
	}
	conn->ctl_pdu_busy = true;
	conn_queue(conn, &conn->ctl_pdu, icresp_sent, conn);
	NVTCP_DEBUGLOG("%s: ICReq: hpda %u, digests %s%s, maxr2t %u\n", conn_name(conn),
		       icreq->hpda, params.hdgst ? "H" : "-", params.ddgst ? "D" : "-",
		       params.maxr2t);
	return 0;
}

static int
conn_h2c_header(struct tgt_conn *conn)
{
	const struct nvtcp_tcp_h2c_data *h = &nvtcp_tcp_rx_hdr(&conn->rx)->h2c_data;
	uint32_t idx = h->ttag & TGT_TTAG_IDX_MASK;
	uint32_t r2t_len = conn->tgt->opts.max_r2t_len;
	struct tgt_req *req;
	uint32_t k, start, end;
	uint16_t ttag;
	bool last;
	int rc;

	if (idx >= conn->nreqs || conn->reqs[idx].state != TGT_REQ_R2T) {
		NVTCP_ERRLOG("%s: H2CData with ttag 0x%04x: no R2T outstanding with that tag\n",
			     conn_name(conn), h->ttag);
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					 offsetof(struct nvtcp_tcp_h2c_data, ttag));
	}
	req = &conn->reqs[idx];
	k = req->h2c_next / r2t_len;
	ttag = (uint16_t)(req->idx | ((k & 0x7u) << TGT_TTAG_IDX_BITS));
	if (h->ttag != ttag) {
		NVTCP_ERRLOG("%s: H2CData ttag 0x%04x, expected 0x%04x\n", conn_name(conn), h->ttag,
			     ttag);
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					 offsetof(struct nvtcp_tcp_h2c_data, ttag));
	}
	if (h->cccid != req->cmd.cid) {
		NVTCP_ERRLOG("%s: H2CData cccid %u, but ttag 0x%04x belongs to cid %u\n",
			     conn_name(conn), h->cccid, h->ttag, req->cmd.cid);
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					 offsetof(struct nvtcp_tcp_h2c_data, cccid));
	}
	start = k * r2t_len;
	end = NVTCP_MIN(start + r2t_len, req->xfer_len);
	if (h->datao < start || h->datao >= end || h->datal > end - h->datao) {
		NVTCP_ERRLOG("%s: H2CData cid %u datao %u datal %u outside the R2T [%u, %u)\n",
			     conn_name(conn), req->cmd.cid, h->datao, h->datal, start, end);
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_DATA_OUT_OF_RANGE,
					 offsetof(struct nvtcp_tcp_h2c_data, datao));
	}
	if (h->datao != req->h2c_next) {
		NVTCP_ERRLOG("%s: H2CData cid %u datao %u, expected %u\n", conn_name(conn),
			     req->cmd.cid, h->datao, req->h2c_next);
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					 offsetof(struct nvtcp_tcp_h2c_data, datao));
	}
	last = (h->ch.flags & NVTCP_TCP_FLAG_LAST_PDU) != 0;
	if (last != (h->datao + h->datal == end)) {
		NVTCP_ERRLOG("%s: H2CData cid %u datao %u datal %u: LAST_PDU %s, R2T ends at %u\n",
			     conn_name(conn), req->cmd.cid, h->datao, h->datal,
			     last ? "set" : "clear", end);
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
					 offsetof(struct nvtcp_tcp_ch, flags));
	}
	if (req->data_kind == TGT_DATA_DISCARD) {
		rc = nvtcp_tcp_rx_discard_payload(&conn->rx);
	} else {
		rc = nvtcp_tcp_rx_set_payload_at(&conn->rx, req->iov, req->iovcnt, h->datao);
	}
	if (rc != 0) {
		NVTCP_ERRLOG("%s: cannot place H2CData: %s\n", conn_name(conn), strerror(-rc));
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_DATA_OUT_OF_RANGE,
					 offsetof(struct nvtcp_tcp_h2c_data, datao));
	}
	conn->rx_req = req;
	return 0;
}

static int
conn_h2c_payload(struct tgt_conn *conn, bool ddgst_ok)
{
	const struct nvtcp_tcp_h2c_data *h = &nvtcp_tcp_rx_hdr(&conn->rx)->h2c_data;
	struct tgt_req *req = conn->rx_req;
	uint32_t r2t_len = conn->tgt->opts.max_r2t_len;

	conn->rx_req = NULL;
	if (req == NULL) {
		return 0;
	}
	if (!ddgst_ok) {
		req->ddgst_error = true;
		TGT_STAT_ADD(conn->stats.io.ddgst_errors, 1);
		TGT_STAT_ADD(conn->pg->stats.io.ddgst_errors, 1);
	}
	req->h2c_next = h->datao + h->datal;
	if (req->h2c_next % r2t_len == 0 || req->h2c_next == req->xfer_len) {
		req->r2t_outstanding--;
	}
	if (req->h2c_next == req->xfer_len) {
		req->state = TGT_REQ_EXEC;
		if (req->ddgst_error) {
			/* The data is not committed: the host may retry. */
			tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR, false);
		} else {
			tgt_req_execute(req);
		}
	} else {
		tgt_req_send_r2ts(req);
	}
	return 0;
}

static int
conn_rx_header(void *ctx, struct nvtcp_tcp_rx *rx)
{
	struct tgt_conn *conn = ctx;
	const union nvtcp_tcp_pdu_hdr *hdr = nvtcp_tcp_rx_hdr(rx);
	uint8_t type = nvtcp_tcp_rx_pdu_type(rx);

	if (type == NVTCP_TCP_PDU_IC_REQ) {
		return conn_icreq(conn);
	}
	if (type == NVTCP_TCP_PDU_H2C_TERM_REQ) {
		uint32_t len;
		const uint8_t *data = nvtcp_tcp_rx_term_data(rx, &len);

		NVTCP_ERRLOG("%s: H2CTermReq from the host: FES 0x%02x (%s) FEI %u, %u bytes of "
			     "our PDU (type 0x%02x)\n", conn_name(conn), hdr->term_req.fes,
			     nvtcp_tcp_fes_str(hdr->term_req.fes), hdr->term_req.fei, len,
			     len > 0 ? data[0] : 0);
		tgt_conn_close(conn, "host sent H2CTermReq FES 0x%02x", hdr->term_req.fes);
		return NVTCP_TCP_RX_STOP;
	}
	if (conn->state == TGT_CONN_IC_WAIT) {
		NVTCP_ERRLOG("%s: %s before ICReq\n", conn_name(conn),
			     nvtcp_tcp_pdu_type_str(type));
		return nvtcp_tcp_rx_fail(rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	}
	if (type == NVTCP_TCP_PDU_CAPSULE_CMD) {
		int rc = tgt_req_cmd_header(conn);

		return rc == 0 && (conn->state == TGT_CONN_CLOSING || conn->term_sent) ?
		       NVTCP_TCP_RX_STOP : rc;
	}
	if (type == NVTCP_TCP_PDU_H2C_DATA) {
		return conn_h2c_header(conn);
	}
	NVTCP_ERRLOG("%s: unexpected %s\n", conn_name(conn), nvtcp_tcp_pdu_type_str(type));
	return nvtcp_tcp_rx_fail(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 0);
}

static int
conn_rx_payload(void *ctx, struct nvtcp_tcp_rx *rx, bool ddgst_ok)
{
	struct tgt_conn *conn = ctx;
	int rc;

	if (conn->state == TGT_CONN_CLOSING || conn->term_sent) {
		return NVTCP_TCP_RX_STOP;
	}
	if (nvtcp_tcp_rx_pdu_type(rx) == NVTCP_TCP_PDU_CAPSULE_CMD) {
		rc = tgt_req_cmd_payload(conn, ddgst_ok);
	} else {
		rc = conn_h2c_payload(conn, ddgst_ok);
	}
	return rc == 0 && (conn->state == TGT_CONN_CLOSING || conn->term_sent) ?
	       NVTCP_TCP_RX_STOP : rc;
}

/* ---- Secure channel (before IC_WAIT on a TLS listener) ------------------------------------ */

/*
 * TGT_CONN_TLS_DETECT: peek at the first bytes. A ClientHello starts the TLS server; a
 * plaintext ICReq is served as usual on an optional listener and refused on a required one
 * (closed: the ICReq cannot be answered over a channel the listener does not allow, and a
 * C2HTermReq would be plaintext too). Returns true when the connection moved on.
 */
static bool
conn_tls_detect(struct tgt_conn *conn)
{
	struct nvtcp_tls_server_opts so;
	char why[160] = "";
	int rc;

	rc = nvtcp_sock_tls_detect(conn->sock);
	if (rc == -EAGAIN) {
		return false;
	}
	if (rc < 0) {
		NVTCP_ERRLOG("%s: TLS: cannot read the first bytes: %s\n", conn_name(conn),
			     strerror(-rc));
		tgt_conn_close(conn, "receive failed before TLS");
		return false;
	}
	if (rc == 0) {
		if (conn->secure == NVTCP_TGT_SECURE_REQUIRED) {
			NVTCP_ERRLOG("%s: plaintext connection on a TLS-only listener: closed\n",
				     conn_name(conn));
			tgt_conn_close(conn, "plaintext connection on a TLS-only listener");
			return false;
		}
		conn->state = TGT_CONN_IC_WAIT;
		return true;
	}
	nvtcp_tls_server_opts_init(&so);
	so.lookup = tgt_psk_lookup;
	so.ctx = conn->tgt;
	if (conn->tgt->opts.connect_timeout_ms != 0) {
		so.handshake_timeout_ms = conn->tgt->opts.connect_timeout_ms;
	}
	rc = nvtcp_sock_tls_server(conn->sock, &so, why, sizeof(why));
	if (rc != 0) {
		NVTCP_ERRLOG("%s: TLS handshake failed: %s\n", conn_name(conn),
			     why[0] != '\0' ? why : strerror(-rc));
		tgt_conn_close(conn, "TLS setup failed");
		return false;
	}
	conn->state = TGT_CONN_TLS_HANDSHAKE;
	return true;
}

/* TGT_CONN_TLS_HANDSHAKE: drive the handshake; true once it is done. */
static bool
conn_tls_handshake(struct tgt_conn *conn)
{
	char why[160] = "";
	int rc;

	rc = nvtcp_sock_tls_handshake_poll(conn->sock, why, sizeof(why));
	if (rc == 0) {
		return false;
	}
	if (rc < 0) {
		/* The reason names the failure (unknown identity, TLS 1.2 only, alert, ...),
		 * never a key. */
		NVTCP_ERRLOG("%s: TLS handshake failed: %s\n", conn_name(conn),
			     why[0] != '\0' ? why : strerror(-rc));
		tgt_conn_close(conn, "TLS handshake failed");
		return false;
	}
	conn->tls = true;
	conn->state = TGT_CONN_IC_WAIT;
	NVTCP_INFOLOG("%s: TLS established (%s, identity %s)\n", conn_name(conn),
		      nvtcp_sock_tls_cipher(conn->sock) ?: "?",
		      nvtcp_sock_tls_identity(conn->sock) ?: "?");
	return true;
}

/* ---- Processing -------------------------------------------------------------------------- */

void
tgt_conn_process(struct tgt_conn *conn)
{
	struct iovec iov[NVTCP_TCP_PDU_MAX_DATA_IOV];

	if (conn->state == TGT_CONN_CLOSING || conn->term_sent || conn->rx_blocked) {
		return;
	}
	/* The secure channel comes first; records that arrived with the end of the handshake
	 * are read below at once (the socket may not signal them again). */
	if (conn->state == TGT_CONN_TLS_DETECT && !conn_tls_detect(conn)) {
		return;
	}
	if (conn->state == TGT_CONN_TLS_HANDSHAKE && !conn_tls_handshake(conn)) {
		return;
	}
	conn->refs++;
	for (int round = 0; round < 2; round++) {
		size_t direct = 0;
		ssize_t r;
		int rc, n;

		rc = nvtcp_tcp_rx_process(&conn->rx, &conn->rb);
		if (nvtcp_unlikely(rc != 0)) {
			if (rc == NVTCP_TCP_RX_WAIT && conn->state != TGT_CONN_CLOSING &&
			    !conn->term_sent) {
				/* In-capsule data whose buffers the pool could not give. */
				conn->rx_blocked = true;
				if (!conn->on_rx_wait) {
					TAILQ_INSERT_TAIL(&conn->pg->rx_wait, conn, wait_link);
					conn->on_rx_wait = true;
				}
				TGT_STAT_ADD(conn->stats.io.buf_waits, 1);
				TGT_STAT_ADD(conn->pg->stats.io.buf_waits, 1);
			} else if (rc == -EPROTO &&
				   nvtcp_tcp_rx_state(&conn->rx) == NVTCP_TCP_RX_STATE_ERROR) {
				conn_fatal_from_rx(conn);
			}
			break;
		}
		if (round == 1 || conn->state == TGT_CONN_CLOSING || conn->term_sent) {
			break;
		}
		n = nvtcp_tcp_rx_direct_iov(&conn->rx, iov, NVTCP_COUNTOF(iov));
		r = nvtcp_sock_recv_rxbuf(conn->sock, &conn->rb, iov, n, &direct);
		if (r <= 0) {
			if (r == -EAGAIN || r == 0) {
				break;
			}
			if (r == -ECONNRESET) {
				tgt_conn_close(conn, "host closed the connection");
			} else if (r == -EPROTO && conn->tls) {
				/* A forged or corrupted record, or a peer gone mid-record. */
				const char *why = nvtcp_sock_tls_error(conn->sock);

				why = why != NULL ? why : "record layer error";
				NVTCP_ERRLOG("%s: TLS connection of host %s (controller %u queue %u) "
					     "failed: %s\n", conn_name(conn),
					     tgt_hostnqn_str(conn->hostnqn), conn->cntlid, conn->qid,
					     why);
				tgt_conn_close(conn, "TLS: %s", why);
			} else {
				tgt_conn_close(conn, "receive failed: %s", strerror((int)-r));
			}
			break;
		}
		nvtcp_tcp_rx_direct_done(&conn->rx, direct);
		conn->pg->work++;
	}
	tgt_conn_put(conn);
}

static void
conn_sock_cb(void *cb_arg, struct nvtcp_sock_group *group, struct nvtcp_sock *sock)
{
	tgt_conn_process(cb_arg);
}

struct tgt_conn *
tgt_conn_create(struct tgt_pg *pg, struct nvtcp_sock *sock, struct tgt_lease *lease)
{
	struct nvtcp_tgt *tgt = pg->tgt;
	struct nvtcp_tcp_rx_opts ro;
	struct tgt_conn *conn;
	uint16_t rport = 0;
	char raddr[64] = "?";
	int rc;

	if (posix_memalign((void **)&conn, 64, sizeof(*conn)) != 0) {
		conn = NULL;
		goto fail;
	}
	memset(conn, 0, sizeof(*conn));
	conn->lease = lease;
	conn->portid = lease != NULL ? lease->portid : 0;
	conn->secure = lease != NULL ? lease->secure : NVTCP_TGT_SECURE_NONE;
	conn->state = conn->secure != NVTCP_TGT_SECURE_NONE ? TGT_CONN_TLS_DETECT :
		      TGT_CONN_IC_WAIT;
	conn->rb.buf = malloc(tgt->opts.rxbuf_size);
	conn->cid_map = calloc(65536 / 64, sizeof(uint64_t));
	if (conn->rb.buf == NULL || conn->cid_map == NULL) {
		goto fail;
	}
	conn->rb.size = tgt->opts.rxbuf_size;
	conn->rb.after_direct = NVTCP_SOCK_RXBUF_AFTER_DIRECT;
	conn->tgt = tgt;
	conn->pg = pg;
	conn->sock = sock;
	conn->id = ++pg->conn_seq;
	conn->max_icd = TGT_ADMIN_ICD;
	conn->qsize = 1;
	conn->accept_tick = nvtcp_env_get_ticks();
	nvtcp_tcp_params_init(&conn->params);
	conn->reqs = conn->boot_reqs;
	conn->nreqs = NVTCP_COUNTOF(conn->boot_reqs);
	conn->free_reqs = conn->boot_free;
	conn->nfree = conn->nreqs;
	reqs_init(conn, conn->boot_reqs, conn->boot_free, conn->nreqs, true);

	nvtcp_sock_getaddr(sock, conn->local_addr, &conn->local_port, raddr, &rport,
			   sizeof(raddr));
	snprintf(conn->peer, sizeof(conn->peer), "%s:%u", raddr, rport);

	nvtcp_tcp_rx_opts_init(&ro);
	ro.role = NVTCP_TCP_ROLE_CTRLR;
	ro.max_data_len = NVTCP_MAX(NVTCP_MAX(tgt->opts.maxh2cdata, tgt->opts.in_capsule_data_size),
				    (uint32_t)TGT_ADMIN_ICD);
	ro.header_cb = conn_rx_header;
	ro.payload_cb = conn_rx_payload;
	ro.cb_ctx = conn;
	ro.name = conn->peer;
	rc = nvtcp_tcp_rx_init(&conn->rx, &ro);
	if (rc != 0) {
		goto fail;
	}
	rc = nvtcp_sock_group_add(pg->group, sock, conn_sock_cb, conn);
	if (rc != 0) {
		NVTCP_ERRLOG("%s: cannot add the socket to the group: %s\n", conn->peer,
			     strerror(-rc));
		goto fail;
	}
	TAILQ_INSERT_TAIL(&pg->conns, conn, link);
	NVTCP_INFOLOG("connection from %s on reactor %u\n", conn->peer, pg->idx);
	return conn;
fail:
	NVTCP_ERRLOG("connection on reactor %u: cannot set it up (out of memory?)\n", pg->idx);
	if (conn != NULL) {
		free(conn->rb.buf);
		free(conn->cid_map);
		free(conn);
	}
	nvtcp_sock_close(&sock);
	__atomic_fetch_sub(&pg->nconns, 1, __ATOMIC_RELAXED);
	tgt_send_msg(tgt->mgmt, tgt_lease_release_msg, lease);
	return NULL;
}
