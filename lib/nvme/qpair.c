/*
 * Queue pairs: preallocated requests indexed by CID (index and generation), the wire window,
 * the software queue, split commands (parents and children), the deferred ring of the QUEUE
 * full-policy, and the failure paths that complete everything exactly once: a recoverable
 * disconnect (what was on the wire completes, what was not sent waits for the reconnect) and
 * the final failure (everything completes).
 *
 * Nothing here allocates after nvme_qpair_create() and nothing locks: a queue pair belongs to
 * one thread. User callbacks run only from completion paths (receive, send completions,
 * failure), never from inside a submission call, so a submitter never re-enters itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"

static inline bool
req_reserved(const struct nvtcp_qpair *qp, const struct nvme_request *req)
{
	return req->idx >= qp->num_reqs - qp->num_reserved;
}

static void *
zalloc_aligned(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, size) != 0) {
		return NULL;
	}
	memset(p, 0, size);
	return p;
}

struct nvtcp_qpair *
nvme_qpair_create(struct nvtcp_ctrlr *ctrlr, const struct nvme_qpair_cfg *cfg)
{
	struct nvtcp_qpair *qp;
	uint32_t total = cfg->num_reqs + cfg->num_reserved;
	uint32_t i;

	if (cfg->queue_size < 2 || cfg->queue_size - 1 <= cfg->wire_reserved ||
	    cfg->num_reqs == 0 || total > UINT16_MAX) {
		return NULL;
	}
	qp = zalloc_aligned(sizeof(*qp));
	if (qp == NULL) {
		return NULL;
	}
	qp->ctrlr = ctrlr;
	qp->qid = cfg->qid;
	qp->state = NVME_QPAIR_DISCONNECTED;
	/* The association it joins, as published (an I/O queue pair is created while the
	 * controller is LIVE; events from now on reach it through event_gen). */
	qp->seen_event_gen = atomic_load_explicit(&ctrlr->event_gen, memory_order_acquire);
	qp->assoc_gen = atomic_load_explicit(&ctrlr->assoc_gen, memory_order_acquire);
	qp->proven_gen = cfg->qid == 0 ? qp->assoc_gen : 0;
	qp->cntlid = (uint16_t)atomic_load_explicit(&ctrlr->pub_cntlid, memory_order_relaxed);
	atomic_init(&qp->reset_ack, atomic_load_explicit(&ctrlr->reset_id, memory_order_relaxed));
	qp->tmo_ticks = cfg->qid == 0 ? 0 : ctrlr->io_tmo_ticks;
	qp->queue_size = cfg->queue_size;
	/* A queue of N entries holds N - 1 commands; the keep-alive has a slot of its own. The
	 * Connect's reserved request needs none: nothing else is on the wire before it. */
	qp->max_wire = cfg->queue_size - 1 - cfg->wire_reserved;
	qp->num_reqs = total;
	qp->num_reserved = cfg->num_reserved;
	qp->cid_shift = 1;
	while ((1u << qp->cid_shift) < total) {
		qp->cid_shift++;
	}
	qp->cid_mask = (uint16_t)((1u << qp->cid_shift) - 1);
	qp->policy = (uint8_t)cfg->policy;
	qp->async_connect = cfg->async_connect;
	qp->max_r2t = ctrlr->opts.max_r2t;
	qp->max_xfer = ctrlr->max_xfer;
	qp->incapsule_max = cfg->qid == 0 ? NVTCP_TCP_ADMIN_INCAPSULE_MAX : ctrlr->io_incapsule;
	TAILQ_INIT(&qp->free_reqs);
	TAILQ_INIT(&qp->queued);
	TAILQ_INIT(&qp->wire);
	TAILQ_INIT(&qp->h2c_wait);
	TAILQ_INIT(&qp->free_parents);
	TAILQ_INIT(&qp->split_wait);
	SLIST_INIT(&qp->free_h2c);
	snprintf(qp->name, sizeof(qp->name), "%.40s:%.8s qid %u", ctrlr->trid.traddr,
		 ctrlr->trid.trsvcid, cfg->qid);

	qp->reqs = zalloc_aligned(sizeof(*qp->reqs) * total);
	qp->num_parents = cfg->num_parents;
	qp->parents = zalloc_aligned(sizeof(*qp->parents) * NVTCP_MAX(cfg->num_parents, 1u));
	/* H2CData PDUs: one per wire slot keeps every R2T of a full queue moving. */
	qp->num_h2c_pdus = NVTCP_MAX(cfg->queue_size, 4u);
	qp->h2c_pdus = zalloc_aligned(sizeof(*qp->h2c_pdus) * qp->num_h2c_pdus);
	qp->rb.buf = malloc(NVME_RXBUF_SIZE);
	qp->rb.size = NVME_RXBUF_SIZE;
	qp->rb.after_direct = NVTCP_SOCK_RXBUF_AFTER_DIRECT;
	qp->connect_data = zalloc_aligned(sizeof(*qp->connect_data));
	if (cfg->policy == NVTCP_QPAIR_FULL_QUEUE) {
		qp->def_cap = cfg->num_reqs;
		qp->deferred = zalloc_aligned(sizeof(*qp->deferred) * qp->def_cap);
	}
	if (cfg->dsm) {
		qp->dsm_mem = zalloc_aligned(NVME_DSM_BUFS * NVME_DSM_BUF_SIZE);
		qp->dsm_free_mask = (uint32_t)((1ull << NVME_DSM_BUFS) - 1);
	}
	if (qp->reqs == NULL || qp->parents == NULL || qp->h2c_pdus == NULL || qp->rb.buf == NULL ||
	    qp->connect_data == NULL || (cfg->policy == NVTCP_QPAIR_FULL_QUEUE && !qp->deferred) ||
	    (cfg->dsm && qp->dsm_mem == NULL)) {
		nvme_qpair_destroy(qp);
		return NULL;
	}
	for (i = 0; i < total; i++) {
		struct nvme_request *req = &qp->reqs[i];

		req->idx = (uint16_t)i;
		req->cid = (uint16_t)i;
		req->state = NVME_REQ_FREE;
		req->dsm_buf = -1;
		req->cap.qpair = qp;
		req->cap.req = req;
		if (i < cfg->num_reqs) {
			TAILQ_INSERT_TAIL(&qp->free_reqs, req, link);
			qp->nfree++;
		}
	}
	for (i = 0; i < cfg->num_parents; i++) {
		TAILQ_INSERT_TAIL(&qp->free_parents, &qp->parents[i], link);
	}
	for (i = 0; i < qp->num_h2c_pdus; i++) {
		qp->h2c_pdus[i].qpair = qp;
		SLIST_INSERT_HEAD(&qp->free_h2c, &qp->h2c_pdus[i], link);
	}
	qp->ctl_pdu.qpair = qp;
	qp->term_pdu.qpair = qp;
	return qp;
}

void
nvme_qpair_destroy(struct nvtcp_qpair *qp)
{
	if (qp == NULL) {
		return;
	}
	nvme_qpair_close_sock(qp);
	free(qp->reqs);
	free(qp->parents);
	free(qp->h2c_pdus);
	free(qp->rb.buf);
	free(qp->connect_data);
	free(qp->deferred);
	free(qp->dsm_mem);
	free(qp);
}

void
nvme_qpair_close_sock(struct nvtcp_qpair *qp)
{
	struct nvtcp_sock_stats st;

	if (qp->sock != NULL) {
		nvtcp_sock_get_stats(qp->sock, &st);
		qp->old_send_calls += st.send_calls;
		qp->old_recv_calls += st.recv_calls;
		/* Send callbacks run from here with -ECANCELED (see nvme_tcp_*_sent). */
		nvtcp_sock_close(&qp->sock);
		qp->rb.head = qp->rb.tail = 0;
	}
	/* After the close: no queued send references an authentication message any more. An
	 * authentication transaction ends with its connection (and so does its result). */
	nvme_auth_qpair_closed(qp);
}

int
nvme_dsm_buf_get(struct nvtcp_qpair *qp)
{
	int idx;

	if (qp->dsm_free_mask == 0) {
		return -1;
	}
	idx = __builtin_ctz(qp->dsm_free_mask);
	qp->dsm_free_mask &= ~(1u << idx);
	return idx;
}

void
nvme_dsm_buf_put(struct nvtcp_qpair *qp, int idx)
{
	if (idx >= 0) {
		qp->dsm_free_mask |= 1u << idx;
	}
}

struct nvme_request *
nvme_req_alloc(struct nvtcp_qpair *qp)
{
	struct nvme_request *req = TAILQ_FIRST(&qp->free_reqs);

	if (nvtcp_unlikely(req == NULL)) {
		return NULL;
	}
	TAILQ_REMOVE(&qp->free_reqs, req, link);
	qp->nfree--;
	return req;
}

static void
req_put(struct nvtcp_qpair *qp, struct nvme_request *req)
{
	nvme_dsm_buf_put(qp, req->dsm_buf);
	req->dsm_buf = -1;
	req->state = NVME_REQ_FREE;
	req->parent = NULL;
	req->cb = NULL;
	if (!req_reserved(qp, req)) {
		TAILQ_INSERT_HEAD(&qp->free_reqs, req, link);
		qp->nfree++;
	}
}

void
nvme_req_release(struct nvtcp_qpair *qp, struct nvme_request *req)
{
	req_put(qp, req);
}

int
nvme_req_setup(struct nvtcp_qpair *qp, struct nvme_request *req, const struct nvtcp_nvme_cmd *cmd,
	       const struct iovec *iov, int iovcnt, uint32_t len, nvtcp_cmd_cb cb, void *cb_arg)
{
	enum nvtcp_nvme_data_xfer xfer;
	uint32_t limit;
	int n = 0;

	req->cmd = *cmd;
	/* A new generation for this use of the request (its index stays in the low bits). */
	if (qp->cid_shift < 16) {
		uint16_t gen = (uint16_t)((req->cid >> qp->cid_shift) + 1);

		req->cid = (uint16_t)((gen << qp->cid_shift) | req->idx);
	}
	req->cmd.cid = req->cid;
	/* Every command over fabrics uses SGLs (PSDT 01b), Fabrics commands included. */
	req->cmd.flags = (uint8_t)((cmd->flags & NVTCP_NVME_CMD_FLAGS_FUSE_MASK) |
				   NVTCP_NVME_CMD_FLAGS_PSDT_SGL);
	xfer = len == 0 ? NVTCP_NVME_DATA_NONE : nvtcp_nvme_cmd_data_xfer(&req->cmd);
	if (len > 0 && (xfer == NVTCP_NVME_DATA_NONE || xfer == NVTCP_NVME_DATA_BIDIRECTIONAL)) {
		return -EINVAL;
	}
	if (len > 0) {
		n = nvtcp_iov_slice(iov, iovcnt, 0, len, req->iov, NVTCP_MAX_IOVCNT);
		if (n < 0) {
			return -EINVAL;
		}
	}
	req->iovcnt = n;
	req->xfer = (uint8_t)xfer;
	req->len = len;
	/* Fabrics commands may carry 8 KiB in the capsule on any queue; others use the queue's
	 * in-capsule size (admin 8 KiB, I/O IOCCSZ * 16 - 64). */
	limit = cmd->opc == NVTCP_NVME_OPC_FABRICS ? NVTCP_TCP_ADMIN_INCAPSULE_MAX :
		qp->incapsule_max;
	req->incapsule = xfer == NVTCP_NVME_DATA_HOST_TO_CTRLR && len <= limit;
	if (req->incapsule) {
		nvtcp_nvme_sgl_set_incapsule(&req->cmd.dptr.sgl1, 0, len);
	} else {
		nvtcp_nvme_sgl_set_transport(&req->cmd.dptr.sgl1, len);
	}
	req->ddgst_error = false;
	req->ddgst_retries = 0;
	req->stop_h2c = false;
	req->h2c_waiting = false;
	req->internal = false;
	req->abort_sent = false;
	req->ns = NULL;
	req->pending_sends = 0;
	req->c2h_rcvd = 0;
	req->r2t_next = 0;
	req->r2t_head = 0;
	req->r2t_count = 0;
	req->parent = NULL;
	req->c2h_len_out = NULL;
	req->cb = cb;
	req->cb_arg = cb_arg;
	return 0;
}

static void
req_to_wire(struct nvtcp_qpair *qp, struct nvme_request *req)
{
	int rc;

	req->state = NVME_REQ_WIRE;
	TAILQ_INSERT_TAIL(&qp->wire, req, link);
	if (!req_reserved(qp, req)) {
		qp->wire_count++;
	}
	req->submit_tick = nvme_ticks();
	rc = nvme_tcp_send_capsule(qp, req);
	if (nvtcp_unlikely(rc != 0)) {
		/* Only a driver bug gets here (the request was validated): do not send a bad
		 * capsule; the queue pair cannot continue in a known state. */
		nvme_qpair_fail(qp, -EIO, "cannot build the capsule of cid %u: %s", req->cid,
				strerror(-rc));
	}
}

/*
 * Whether a controller-level event (reset, failure) is pending for an I/O queue pair: the
 * connection may belong to an association that is going away, so nothing new goes on it until
 * the next poll has handled the event. One relaxed load of a read-mostly line.
 */
static inline bool
event_pending(const struct nvtcp_qpair *qp)
{
	return !nvme_qpair_is_admin(qp) &&
	       nvtcp_unlikely(atomic_load_explicit(&qp->ctrlr->event_gen, memory_order_relaxed) !=
			      qp->seen_event_gen);
}

void
nvme_req_submit(struct nvtcp_qpair *qp, struct nvme_request *req, bool bypass)
{
	if (bypass || (qp->state == NVME_QPAIR_CONNECTED && qp->wire_count < qp->max_wire &&
		       TAILQ_EMPTY(&qp->queued) && !event_pending(qp))) {
		req_to_wire(qp, req);
		return;
	}
	req->state = NVME_REQ_QUEUED;
	TAILQ_INSERT_TAIL(&qp->queued, req, link);
}

/* ---- Split commands ----------------------------------------------------------------------- */

static void parent_issue(struct nvtcp_qpair *qp, struct nvme_parent *p, bool submitting);
static void req_finish(struct nvtcp_qpair *qp, struct nvme_request *req,
		       const struct nvtcp_nvme_cpl *cpl);

static void
parent_complete(struct nvtcp_qpair *qp, struct nvme_parent *p)
{
	struct nvtcp_nvme_cpl cpl = p->cpl;
	nvtcp_cmd_cb cb = p->d.cb;
	void *cb_arg = p->d.cb_arg;
	bool internal = p->d.internal;

	if (p->waiting) {
		TAILQ_REMOVE(&qp->split_wait, p, link);
		p->waiting = false;
	}
	p->in_use = false;
	TAILQ_INSERT_HEAD(&qp->free_parents, p, link);
	if (!internal) {
		qp->stats.completed++;
		if (nvtcp_nvme_cpl_is_error(&cpl)) {
			qp->stats.errors++;
		}
	}
	if (cb != NULL) {
		cb(cb_arg, &cpl);
	}
}

static void
parent_child_done(struct nvtcp_qpair *qp, struct nvme_parent *p, const struct nvtcp_nvme_cpl *cpl)
{
	bool err = nvtcp_nvme_cpl_is_error(cpl);

	p->children--;
	if (err && !nvtcp_nvme_cpl_is_error(&p->cpl)) {
		/* The first error is what the caller sees; issuing more would only waste time. */
		p->cpl = *cpl;
		p->stop = true;
	} else if (!err && !nvtcp_nvme_cpl_is_error(&p->cpl)) {
		p->cpl = *cpl;
	}
	if (p->children == 0 && (p->issued == p->total || p->stop)) {
		parent_complete(qp, p);
	}
}

/* Build the next child of a split command into \p cmd; returns its data range. */
static uint64_t
parent_next_child(struct nvme_parent *p, struct nvtcp_nvme_cmd *cmd, uint64_t *off,
		  uint64_t *units)
{
	const struct nvme_io_desc *d = &p->d;

	*cmd = d->cmd;
	if (d->kind == NVME_DESC_LBA) {
		uint64_t n = NVTCP_MIN((uint64_t)d->max_blocks, p->total - p->issued);

		nvtcp_nvme_rw_set(cmd, d->lba + p->issued, (uint32_t)n,
				  d->cmd.cdw12 & ~NVTCP_NVME_RW_CDW12_NLB_MASK);
		*off = p->issued * d->block_size;
		*units = n;
		return n * d->block_size;
	} else {
		uint64_t n = NVTCP_MIN((uint64_t)d->max_chunk, p->total - p->issued);
		uint32_t keep = d->cmd.cdw10 & ((NVTCP_NVME_GET_LOG_CDW10_LSP_MASK <<
						 NVTCP_NVME_GET_LOG_CDW10_LSP_SHIFT) |
						NVTCP_NVME_GET_LOG_CDW10_RAE);

		nvtcp_nvme_get_log_page_set(cmd, (uint8_t)(d->cmd.cdw10 & 0xFF), false, n,
					    d->log_offset + p->issued);
		cmd->cdw10 |= keep;
		*off = p->issued;
		*units = n;
		return n;
	}
}

static void
parent_stop(struct nvtcp_qpair *qp, struct nvme_parent *p, uint16_t status)
{
	p->stop = true;
	if (!nvtcp_nvme_cpl_is_error(&p->cpl)) {
		nvme_cpl_host(&p->cpl, qp->qid, 0, status);
	}
}

/* \p submitting: called from the application's submission (its namespace was just checked,
 * and no callback may run from there). */
static void
parent_issue(struct nvtcp_qpair *qp, struct nvme_parent *p, bool submitting)
{
	while (p->issued < p->total && !p->stop) {
		struct nvtcp_nvme_cmd cmd;
		struct nvme_request *req;
		uint64_t off, units, len;
		uint16_t st;
		int rc;

		if (qp->state == NVME_QPAIR_FAILED) {
			parent_stop(qp, p, NVME_STATUS_ABORTED_SQ_DELETION);
			break;
		}
		/* Its namespace went away or changed while the rest waited (a reconnect). */
		st = submitting ? 0 : nvme_ns_blocked_status(p->d.ns);
		if (nvtcp_unlikely(st != 0)) {
			parent_stop(qp, p, st);
			break;
		}
		req = nvme_req_alloc(qp);
		if (req == NULL) {
			if (!p->waiting) {
				TAILQ_INSERT_TAIL(&qp->split_wait, p, link);
				p->waiting = true;
			}
			return;
		}
		len = parent_next_child(p, &cmd, &off, &units);
		{
			struct iovec iov[NVTCP_MAX_IOVCNT];
			int n = 0;

			if (len > 0) {
				n = nvtcp_iov_slice(p->d.iov, p->d.iovcnt, off, len, iov,
						    NVTCP_MAX_IOVCNT);
			}
			rc = n < 0 ? n : nvme_req_setup(qp, req, &cmd, iov, n, (uint32_t)len, NULL,
							 NULL);
		}
		if (rc != 0) {
			/* Validated at submission: a failure here is a driver bug. */
			NVME_QP_ERRLOG(qp, "cannot build a child command: %s\n", strerror(-rc));
			req_put(qp, req);
			p->stop = true;
			if (!nvtcp_nvme_cpl_is_error(&p->cpl)) {
				nvme_cpl_host(&p->cpl, qp->qid, 0,
					      nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC,
								NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR,
								true));
			}
			break;
		}
		req->parent = p;
		req->internal = p->d.internal;
		req->ns = p->d.ns;
		p->children++;
		p->issued += units;
		nvme_req_submit(qp, req, false);
	}
	if (p->waiting) {
		TAILQ_REMOVE(&qp->split_wait, p, link);
		p->waiting = false;
	}
	if (p->children == 0) {
		parent_complete(qp, p);
	}
}

/* ---- Submission --------------------------------------------------------------------------- */

static bool
desc_needs_split(const struct nvme_io_desc *d)
{
	if (d->kind == NVME_DESC_LBA) {
		return d->nlb > d->max_blocks;
	}
	if (d->kind == NVME_DESC_LOG) {
		return d->len > d->max_chunk;
	}
	return false;
}

/* Submit now, or -EAGAIN when no request (or parent) is free. */
static int
desc_try_submit(struct nvtcp_qpair *qp, const struct nvme_io_desc *d)
{
	struct nvme_request *req;
	struct nvme_parent *p;
	int rc;

	if (!desc_needs_split(d)) {
		struct nvtcp_nvme_cmd cmd = d->cmd;

		req = nvme_req_alloc(qp);
		if (req == NULL) {
			return -EAGAIN;
		}
		if (d->kind == NVME_DESC_LBA) {
			nvtcp_nvme_rw_set(&cmd, d->lba, d->nlb,
					  d->cmd.cdw12 & ~NVTCP_NVME_RW_CDW12_NLB_MASK);
		} else if (d->kind == NVME_DESC_LOG) {
			uint32_t keep = d->cmd.cdw10 & ((NVTCP_NVME_GET_LOG_CDW10_LSP_MASK <<
							 NVTCP_NVME_GET_LOG_CDW10_LSP_SHIFT) |
							NVTCP_NVME_GET_LOG_CDW10_RAE);

			nvtcp_nvme_get_log_page_set(&cmd, (uint8_t)(d->cmd.cdw10 & 0xFF), false,
						    d->len, d->log_offset);
			cmd.cdw10 |= keep;
		}
		rc = nvme_req_setup(qp, req, &cmd, d->iov, d->iovcnt, (uint32_t)d->len, d->cb,
				    d->cb_arg);
		if (rc != 0) {
			req_put(qp, req);
			return rc;
		}
		req->internal = d->internal;
		req->dsm_buf = d->dsm_buf;
		req->ns = d->ns;
		nvme_req_submit(qp, req, false);
		return 0;
	}

	p = TAILQ_FIRST(&qp->free_parents);
	if (p == NULL) {
		return -EAGAIN;
	}
	TAILQ_REMOVE(&qp->free_parents, p, link);
	p->d = *d;
	p->in_use = true;
	p->issued = 0;
	p->total = d->kind == NVME_DESC_LBA ? d->nlb : d->len;
	p->children = 0;
	p->stop = false;
	p->waiting = false;
	memset(&p->cpl, 0, sizeof(p->cpl));
	p->cpl.sqid = qp->qid;
	parent_issue(qp, p, true);
	return 0;
}

static void
deferred_push(struct nvtcp_qpair *qp, const struct nvme_io_desc *d)
{
	uint32_t idx = (qp->def_head + qp->def_count) % qp->def_cap;

	qp->deferred[idx] = *d;
	qp->def_count++;
}

int
nvme_qpair_submit_desc(struct nvtcp_qpair *qp, const struct nvme_io_desc *d)
{
	int rc;

	/* While the queue pair reconnects (RESETTING, CONNECTING) commands are accepted: they
	 * wait for the new connection, each holding a preallocated request. */
	if (nvtcp_unlikely(qp->state == NVME_QPAIR_FAILED ||
			   qp->state == NVME_QPAIR_DISCONNECTED)) {
		return -ENXIO;
	}
	if (!d->internal) {
		qp->stats.submitted++;
	}
	/* Deferred commands go first: a new one must not overtake them. */
	if (qp->def_count == 0) {
		rc = desc_try_submit(qp, d);
		if (nvtcp_likely(rc != -EAGAIN)) {
			goto out;
		}
	}
	if (qp->policy != NVTCP_QPAIR_FULL_QUEUE || qp->def_count == qp->def_cap) {
		rc = -EAGAIN;
		goto out;
	}
	deferred_push(qp, d);
	qp->stats.queued++;
	rc = 0;
out:
	if (rc != 0 && !d->internal) {
		qp->stats.submitted--;
	}
	return rc;
}

void
nvme_qpair_resume(struct nvtcp_qpair *qp)
{
	if (qp->in_resume) {
		return;
	}
	qp->in_resume = true;
	if (qp->state == NVME_QPAIR_CONNECTED && !event_pending(qp)) {
		while (qp->wire_count < qp->max_wire && !TAILQ_EMPTY(&qp->queued) &&
		       qp->state == NVME_QPAIR_CONNECTED) {
			struct nvme_request *req = TAILQ_FIRST(&qp->queued);
			uint16_t st;

			TAILQ_REMOVE(&qp->queued, req, link);
			/* A command that waited through a reconnect whose namespace went away or
			 * changed meanwhile must not reach what is now behind that NSID. */
			st = nvme_ns_blocked_status(req->ns);
			if (nvtcp_unlikely(st != 0)) {
				struct nvtcp_nvme_cpl cpl;

				nvme_cpl_host(&cpl, qp->qid, req->cid, st);
				req_finish(qp, req, &cpl);
				continue;
			}
			req_to_wire(qp, req);
		}
	}
	while (qp->state != NVME_QPAIR_FAILED && qp->nfree > 0 && !TAILQ_EMPTY(&qp->split_wait)) {
		struct nvme_parent *p = TAILQ_FIRST(&qp->split_wait);

		parent_issue(qp, p, false);
		if (TAILQ_FIRST(&qp->split_wait) == p) {
			break; /* no progress */
		}
	}
	while (qp->state != NVME_QPAIR_FAILED && qp->def_count > 0 &&
	       TAILQ_EMPTY(&qp->split_wait)) {
		struct nvme_io_desc *d = &qp->deferred[qp->def_head];
		uint16_t st = nvme_ns_blocked_status(d->ns);
		int rc = st != 0 ? -ENXIO : desc_try_submit(qp, d);

		if (rc == -EAGAIN) {
			break;
		}
		qp->def_head = (qp->def_head + 1) % qp->def_cap;
		qp->def_count--;
		if (rc != 0) {
			struct nvtcp_nvme_cpl cpl;

			/* Its namespace went away; anything else was validated when it was
			 * deferred, so it is not expected; it still completes exactly once. */
			nvme_cpl_host(&cpl, qp->qid, 0,
				      st != 0 ? st :
				      nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC,
							NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR, true));
			nvme_dsm_buf_put(qp, d->dsm_buf);
			qp->stats.completed++;
			qp->stats.errors++;
			if (d->cb != NULL) {
				d->cb(d->cb_arg, &cpl);
			}
		}
	}
	qp->in_resume = false;
}

/* ---- Completion --------------------------------------------------------------------------- */

static void
req_finish(struct nvtcp_qpair *qp, struct nvme_request *req, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_nvme_cpl c = *cpl;
	nvtcp_cmd_cb cb = req->cb;
	void *cb_arg = req->cb_arg;
	struct nvme_parent *parent = req->parent;
	bool internal = req->internal;

	if (req->h2c_waiting) {
		TAILQ_REMOVE(&qp->h2c_wait, req, h2c_link);
		req->h2c_waiting = false;
	}
	/* The first success on an association proves it (reset.c): one compare per command. */
	if (nvtcp_unlikely(qp->proven_gen != qp->assoc_gen) && !nvtcp_nvme_cpl_is_error(&c)) {
		qp->proven_gen = qp->assoc_gen;
		atomic_store_explicit(&qp->ctrlr->proven_gen, qp->assoc_gen, memory_order_relaxed);
	}
	/* Free first: the callback may submit and should find this slot. */
	req_put(qp, req);
	nvme_qpair_resume(qp);
	if (parent != NULL) {
		parent_child_done(qp, parent, &c);
		return;
	}
	if (!internal) {
		qp->stats.completed++;
		if (nvtcp_nvme_cpl_is_error(&c)) {
			qp->stats.errors++;
		}
	}
	if (cb != NULL) {
		cb(cb_arg, &c);
	}
}

void
nvme_req_complete(struct nvtcp_qpair *qp, struct nvme_request *req,
		  const struct nvtcp_nvme_cpl *cpl)
{
	TAILQ_REMOVE(&qp->wire, req, link);
	if (!req_reserved(qp, req)) {
		qp->wire_count--;
	}
	qp->poll_done++;
	if (req->pending_sends > 0) {
		/* Our PDUs still reference its buffers: the caller gets them back only once
		 * those have left. The controller is done with the CID: no more H2CData. */
		req->state = NVME_REQ_DRAINING;
		req->cpl = *cpl;
		req->stop_h2c = true;
		if (req->h2c_waiting) {
			TAILQ_REMOVE(&qp->h2c_wait, req, h2c_link);
			req->h2c_waiting = false;
		}
		nvme_qpair_resume(qp);
		return;
	}
	req_finish(qp, req, cpl);
}

void
nvme_req_resend(struct nvtcp_qpair *qp, struct nvme_request *req)
{
	TAILQ_REMOVE(&qp->wire, req, link);
	if (!req_reserved(qp, req)) {
		qp->wire_count--;
	}
	/* A new CID generation: anything still arriving for the first attempt is refused. */
	if (qp->cid_shift < 16) {
		uint16_t gen = (uint16_t)((req->cid >> qp->cid_shift) + 1);

		req->cid = (uint16_t)((gen << qp->cid_shift) | req->idx);
	}
	req->cmd.cid = req->cid;
	req->ddgst_error = false;
	req->abort_sent = false;
	req->c2h_rcvd = 0;
	nvme_req_submit(qp, req, false);
}

void
nvme_req_sends_done(struct nvtcp_qpair *qp, struct nvme_request *req)
{
	if (req->state == NVME_REQ_DRAINING && req->pending_sends == 0) {
		struct nvtcp_nvme_cpl cpl = req->cpl;

		req_finish(qp, req, &cpl);
	}
}

/* ---- Failure ------------------------------------------------------------------------------ */

/* Complete what is on the wire (oldest first) and anything still draining, after the socket
 * closed (its queued sends completed with -ECANCELED and released their hold on buffers). */
static void
complete_wire(struct nvtcp_qpair *qp)
{
	struct nvtcp_nvme_cpl cpl;
	struct nvme_request *req;

	while ((req = TAILQ_FIRST(&qp->wire)) != NULL) {
		nvme_cpl_host(&cpl, qp->qid, req->cid, NVME_STATUS_ABORTED_SQ_DELETION);
		nvme_req_complete(qp, req, &cpl);
	}
	/* A request can only still be DRAINING if the socket is gone and a send completion
	 * was lost, which lib/sock does not do; check anyway: nothing may be left behind. */
	for (uint32_t i = 0; i < qp->num_reqs; i++) {
		req = &qp->reqs[i];
		if (req->state == NVME_REQ_DRAINING) {
			req->pending_sends = 0;
			nvme_req_sends_done(qp, req);
		}
	}
}

/*
 * Complete queued requests (\p only_stopped: only children of split commands that failed).
 * The matching requests are moved to a list of their own first: a callback that submits
 * again adds to the queue, and must not be completed (and resubmit, and...) by this call.
 */
static void
complete_queued(struct nvtcp_qpair *qp, uint16_t status, bool only_stopped)
{
	struct nvme_req_list take;
	struct nvtcp_nvme_cpl cpl;
	struct nvme_request *req, *tmp;

	TAILQ_INIT(&take);
	TAILQ_FOREACH_SAFE(req, &qp->queued, link, tmp) {
		if (only_stopped && (req->parent == NULL || !req->parent->stop)) {
			continue;
		}
		TAILQ_REMOVE(&qp->queued, req, link);
		TAILQ_INSERT_TAIL(&take, req, link);
	}
	while ((req = TAILQ_FIRST(&take)) != NULL) {
		TAILQ_REMOVE(&take, req, link);
		nvme_cpl_host(&cpl, qp->qid, req->cid, status);
		req_finish(qp, req, &cpl);
	}
}

/* Split commands waiting for requests; \p only_stopped and the private list as above. */
static void
complete_split_wait(struct nvtcp_qpair *qp, uint16_t status, bool only_stopped)
{
	struct nvme_parent_list take;
	struct nvme_parent *p, *tmp;

	TAILQ_INIT(&take);
	TAILQ_FOREACH_SAFE(p, &qp->split_wait, link, tmp) {
		if (only_stopped && !p->stop) {
			continue;
		}
		TAILQ_REMOVE(&qp->split_wait, p, link);
		p->waiting = false;
		TAILQ_INSERT_TAIL(&take, p, link);
	}
	while ((p = TAILQ_FIRST(&take)) != NULL) {
		TAILQ_REMOVE(&take, p, link);
		parent_stop(qp, p, status);
		if (p->children == 0) {
			parent_complete(qp, p);
		}
	}
}

/* The deferred ring: only the entries present at the call (callbacks may defer new ones). */
static void
complete_deferred(struct nvtcp_qpair *qp, uint16_t status)
{
	struct nvtcp_nvme_cpl cpl;
	uint32_t n = qp->def_count;

	while (n-- > 0 && qp->def_count > 0) {
		struct nvme_io_desc *d = &qp->deferred[qp->def_head];
		nvtcp_cmd_cb cb = d->cb;
		void *cb_arg = d->cb_arg;

		qp->def_head = (qp->def_head + 1) % qp->def_cap;
		qp->def_count--;
		nvme_dsm_buf_put(qp, d->dsm_buf);
		nvme_cpl_host(&cpl, qp->qid, 0, status);
		qp->stats.completed++;
		qp->stats.errors++;
		if (cb != NULL) {
			cb(cb_arg, &cpl);
		}
	}
}

void
nvme_qpair_disconnect(struct nvtcp_qpair *qp, int rc, const char *reason)
{
	bool admin = nvme_qpair_is_admin(qp);

	if (qp->in_fail || qp->state == NVME_QPAIR_FAILED) {
		return;
	}
	qp->in_fail = true;
	/* First, so that a callback below that submits again finds the command queued for
	 * the next connection instead of sent on this one. */
	qp->state = NVME_QPAIR_RESETTING;
	qp->conn_state = NVME_CONN_IDLE;
	qp->fail_rc = rc;
	snprintf(qp->fail_reason, sizeof(qp->fail_reason), "%s", reason);
	qp->stats.disconnects++;
	nvme_qpair_close_sock(qp);
	complete_wire(qp);
	if (admin) {
		/* Bring-up and the application reissue admin commands themselves. */
		complete_queued(qp, NVME_STATUS_ABORTED_SQ_DELETION, false);
		complete_split_wait(qp, NVME_STATUS_ABORTED_SQ_DELETION, false);
	} else {
		/* The rest of a split command whose part on the wire failed is not sent. */
		complete_queued(qp, NVME_STATUS_ABORTED_SQ_DELETION, true);
		complete_split_wait(qp, NVME_STATUS_ABORTED_SQ_DELETION, true);
	}
	qp->in_fail = false;
}

void
nvme_qpair_fail_unsent(struct nvtcp_qpair *qp, uint16_t status)
{
	if (qp->in_fail) {
		return;
	}
	qp->in_fail = true;
	complete_queued(qp, status, false);
	complete_split_wait(qp, status, false);
	complete_deferred(qp, status);
	qp->in_fail = false;
}

static void __attribute__((format(printf, 4, 0)))
fail_final_v(struct nvtcp_qpair *qp, uint16_t unsent_status, int rc, const char *fmt, va_list ap)
{
	if (qp->state == NVME_QPAIR_FAILED || qp->in_fail) {
		return;
	}
	qp->in_fail = true;
	qp->state = NVME_QPAIR_FAILED;
	/* Holds no connection from now on: a reset never waits for it. */
	atomic_store_explicit(&qp->reset_ack, UINT32_MAX, memory_order_release);
	if (qp->conn_state != NVME_CONN_DONE) {
		qp->conn_state = NVME_CONN_FAILED;
	}
	qp->fail_rc = rc;
	vsnprintf(qp->fail_reason, sizeof(qp->fail_reason), fmt, ap);
	if (qp->quiet_fail) {
		NVME_QP_INFOLOG(qp, "closing: %s\n", qp->fail_reason);
	} else {
		NVME_QP_ERRLOG(qp, "queue pair failed: %s\n", qp->fail_reason);
	}

	/* The socket first: its queued sends complete (with -ECANCELED) and release their hold
	 * on request buffers, so that every request below can be given back. */
	nvme_qpair_close_sock(qp);
	/* Oldest first: on the wire, then waiting for a slot, then waiting for a request. */
	complete_wire(qp);
	complete_queued(qp, unsent_status, false);
	complete_split_wait(qp, unsent_status, false);
	complete_deferred(qp, unsent_status);
	qp->in_fail = false;
}

void
nvme_qpair_fail_final(struct nvtcp_qpair *qp, uint16_t unsent_status, int rc, const char *fmt,
		      ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_final_v(qp, unsent_status, rc, fmt, ap);
	va_end(ap);
}

void
nvme_qpair_fail(struct nvtcp_qpair *qp, int rc, const char *fmt, ...)
{
	struct nvtcp_ctrlr *c = qp->ctrlr;
	char reason[sizeof(qp->fail_reason)];
	va_list ap;

	if (qp->in_fail || !nvme_qpair_is_up(qp)) {
		return; /* already down: the first failure is the one reported */
	}
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (nvme_qpair_can_recover(qp)) {
		uint32_t gen = qp->assoc_gen;

		NVME_QP_ERRLOG(qp, "connection failed: %s\n", reason);
		nvme_qpair_disconnect(qp, rc, reason);
		if (nvme_qpair_is_admin(qp)) {
			nvme_ctrlr_adminq_failed(c);
		} else {
			/* As the Linux host: the whole association is re-established. */
			nvme_ctrlr_request_reset(c, gen, qp->qid, NVME_RESET_WHY_IO_FAILED);
		}
		return;
	}
	nvme_qpair_fail_final(qp, NVME_STATUS_ABORTED_SQ_DELETION, rc, "%s", reason);
	if (nvme_qpair_is_admin(qp)) {
		nvme_ctrlr_adminq_failed(c);
	} else if (qp->ever_connected && !qp->quiet_fail) {
		/* Reconnect disabled: the controller goes too (it fails at once, as Linux
		 * removes it), so that every queue pair reports the loss. */
		nvme_ctrlr_request_reset(c, qp->assoc_gen, qp->qid, NVME_RESET_WHY_IO_FAILED);
	}
}
