/*
 * Command timeouts and Aborts.
 *
 * Each queue pair keeps its commands on the wire oldest first, with the tick they were sent
 * (struct nvme_request.submit_tick). A poll looks at the head only: one comparison when
 * nothing is due. A command past its timeout (io_timeout_ms, admin_timeout_ms) is handled
 * once, then its timer restarts (it moves to the tail with a new tick, so the list stays
 * sorted and the next poll does not see it again):
 *   - the timeout callback chooses, or by default:
 *   - first time: Abort it (admin Abort with SQID and CID);
 *   - still not completed one timeout later, or the Abort failed or timed out itself: reset
 *     the controller.
 * Keep-alives (their own KATO rule) and Asynchronous Event Requests (outstanding by design)
 * are never timed out here.
 *
 * Aborts go on the admin queue, which belongs to the admin thread, while I/O timeouts are seen
 * by the I/O threads: those post (qid, cid, association) into a small lock-free slot array
 * and the admin thread sends them on its next poll, at most ACL + 1 at a time. No slot free:
 * the controller is reset instead (so many stuck commands mean it is not healthy).
 */
#include <errno.h>
#include <string.h>

#include "nvme_internal.h"

static int
abort_post(struct nvtcp_ctrlr *c, uint32_t gen, uint16_t qid, uint16_t cid)
{
	for (uint32_t i = 0; i < NVME_ABORT_SLOTS; i++) {
		struct nvme_abort_slot *s = &c->abort_slots[i];
		uint32_t exp = NVME_ABORT_SLOT_FREE;

		if (atomic_compare_exchange_strong_explicit(&s->state, &exp, NVME_ABORT_SLOT_CLAIMED,
							    memory_order_acquire,
							    memory_order_relaxed)) {
			s->qid = qid;
			s->cid = cid;
			s->gen = gen;
			atomic_store_explicit(&s->state, NVME_ABORT_SLOT_READY, memory_order_release);
			atomic_fetch_add_explicit(&c->abort_posted, 1, memory_order_release);
			return 0;
		}
	}
	return -EBUSY;
}

static uint32_t
abort_limit(const struct nvtcp_ctrlr *c)
{
	/* ACL is 0's based: the controller accepts ACL + 1 Aborts at once. */
	return NVTCP_MIN((uint32_t)c->cdata->acl + 1, NVME_ABORT_SLOTS);
}

static void
abort_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvme_abort_ctx *ctx = cb_arg;
	struct nvtcp_ctrlr *c = ctx->ctrlr;

	ctx->used = false;
	c->aborts_outstanding--;
	if (c->detach_state != NVME_DETACH_NONE || c->reset_state != NVME_RESET_NONE ||
	    atomic_load(&c->state) != NVTCP_CTRLR_STATE_LIVE) {
		return; /* completed by a lost connection */
	}
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		c->stats.aborts_failed++;
		nvme_ctrlr_start_reset(c, false, -EIO, "Abort of cid %u on queue %u failed: %s "
				       "(SCT 0x%x, SC 0x%02x)", ctx->cid, ctx->qid,
				       nvtcp_nvme_status_str(cpl->status),
				       nvtcp_nvme_status_sct(cpl->status),
				       nvtcp_nvme_status_sc(cpl->status));
		return;
	}
	if (cpl->cdw0 & NVTCP_NVME_ABORT_CDW0_NOT_ABORTED) {
		/* Perhaps it completed meanwhile; if not, its next timeout resets. */
		NVTCP_NOTICELOG("controller " NVME_CTRLR_FMT ": Abort of cid %u on queue %u: not "
				"aborted\n", NVME_CTRLR_ARGS(c), ctx->cid, ctx->qid);
	} else {
		NVTCP_NOTICELOG("controller " NVME_CTRLR_FMT ": cid %u on queue %u aborted\n",
				NVME_CTRLR_ARGS(c), ctx->cid, ctx->qid);
	}
}

/* Send an Abort (admin thread). -EAGAIN: at the limit or no admin request free now. */
static int
abort_submit(struct nvtcp_ctrlr *c, uint16_t qid, uint16_t cid)
{
	struct nvme_abort_ctx *ctx = NULL;
	struct nvtcp_nvme_cmd cmd;
	int rc;

	if (c->aborts_outstanding >= abort_limit(c)) {
		return -EAGAIN;
	}
	for (uint32_t i = 0; i < NVME_ABORT_SLOTS; i++) {
		if (!c->abort_ctx[i].used) {
			ctx = &c->abort_ctx[i];
			break;
		}
	}
	if (ctx == NULL) {
		return -EAGAIN;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_ABORT;
	cmd.cdw10 = NVTCP_NVME_ABORT_CDW10(qid, cid);
	rc = nvme_admin_submit(c, &cmd, NULL, 0, abort_done, ctx);
	if (rc != 0) {
		return rc;
	}
	ctx->used = true;
	ctx->qid = qid;
	ctx->cid = cid;
	c->aborts_outstanding++;
	c->stats.aborts_sent++;
	NVTCP_NOTICELOG("controller " NVME_CTRLR_FMT ": aborting cid %u on queue %u\n",
			NVME_CTRLR_ARGS(c), cid, qid);
	return 0;
}

void
nvme_ctrlr_send_posted_aborts(struct nvtcp_ctrlr *c)
{
	uint32_t gen;

	if (nvtcp_likely(atomic_load_explicit(&c->abort_posted, memory_order_acquire) == 0)) {
		return;
	}
	gen = atomic_load_explicit(&c->assoc_gen, memory_order_relaxed);
	for (uint32_t i = 0; i < NVME_ABORT_SLOTS; i++) {
		struct nvme_abort_slot *s = &c->abort_slots[i];
		int rc = 0;

		if (atomic_load_explicit(&s->state, memory_order_acquire) != NVME_ABORT_SLOT_READY) {
			continue;
		}
		if (s->gen == gen) {
			rc = abort_submit(c, s->qid, s->cid);
			if (rc == -EAGAIN) {
				break; /* the next poll tries again */
			}
		}
		/* Sent, or about a connection that is gone (nothing to abort). */
		atomic_store_explicit(&s->state, NVME_ABORT_SLOT_FREE, memory_order_release);
		atomic_fetch_sub_explicit(&c->abort_posted, 1, memory_order_relaxed);
		if (rc != 0) {
			c->stats.aborts_failed++;
			nvme_ctrlr_start_reset(c, false, rc, "cannot send an Abort for cid %u on queue "
					       "%u: %s", s->cid, s->qid, strerror(-rc));
			return;
		}
	}
}

void
nvme_ctrlr_aborts_reset(struct nvtcp_ctrlr *c)
{
	for (uint32_t i = 0; i < NVME_ABORT_SLOTS; i++) {
		struct nvme_abort_slot *s = &c->abort_slots[i];
		uint32_t exp = NVME_ABORT_SLOT_READY;

		if (atomic_compare_exchange_strong_explicit(&s->state, &exp, NVME_ABORT_SLOT_FREE,
							    memory_order_acq_rel,
							    memory_order_relaxed)) {
			atomic_fetch_sub_explicit(&c->abort_posted, 1, memory_order_relaxed);
		}
	}
}

static bool
never_times_out(const struct nvtcp_qpair *qp, const struct nvme_request *req)
{
	return nvme_qpair_is_admin(qp) && (req->cmd.opc == NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST ||
					   req->cmd.opc == NVTCP_NVME_OPC_KEEP_ALIVE);
}

static void
handle_timeout(struct nvtcp_qpair *qp, struct nvme_request *req, uint64_t now, uint64_t tmo)
{
	struct nvtcp_ctrlr *c = qp->ctrlr;
	bool admin = nvme_qpair_is_admin(qp);
	enum nvtcp_timeout_action action = NVTCP_TIMEOUT_ACTION_DEFAULT;
	bool was_aborted = req->abort_sent;
	uint16_t cid = req->cid;
	uint8_t opc = req->cmd.opc;

	NVME_QP_WARNLOG(qp, "cid %u (opcode 0x%02x) timed out: no completion within %llu ms%s\n",
			cid, opc, (unsigned long long)nvme_ticks_to_ms(tmo),
			was_aborted ? " after its Abort" : "");
	if (admin) {
		c->stats.admin_timeouts++;
	} else {
		qp->stats.timeouts++;
	}
	/* The timer restarts before anything else happens to it. */
	TAILQ_REMOVE(&qp->wire, req, link);
	TAILQ_INSERT_TAIL(&qp->wire, req, link);
	req->submit_tick = now;
	if (c->timeout_cb != NULL) {
		action = c->timeout_cb(c->timeout_cb_arg, c, admin ? NULL : qp, cid);
	}
	if (action == NVTCP_TIMEOUT_ACTION_DEFAULT) {
		/* An Abort that times out is not aborted in turn. */
		action = was_aborted || (admin && opc == NVTCP_NVME_OPC_ABORT) ?
			 NVTCP_TIMEOUT_ACTION_RESET : NVTCP_TIMEOUT_ACTION_ABORT;
	}
	switch (action) {
	case NVTCP_TIMEOUT_ACTION_ABORT:
		req->abort_sent = true;
		if (admin) {
			if (abort_submit(c, 0, cid) != 0) {
				nvme_ctrlr_start_reset(c, false, -ETIMEDOUT, "admin command cid %u "
						       "(opcode 0x%02x) timed out and cannot be "
						       "aborted now", cid, opc);
			}
		} else {
			qp->stats.aborts++;
			if (abort_post(c, qp->assoc_gen, qp->qid, cid) != 0) {
				nvme_ctrlr_request_reset(c, qp->assoc_gen, qp->qid,
							 NVME_RESET_WHY_IO_TIMEOUT);
			}
		}
		break;
	case NVTCP_TIMEOUT_ACTION_RESET:
		if (admin) {
			nvme_ctrlr_start_reset(c, false, -ETIMEDOUT, "admin command cid %u (opcode "
					       "0x%02x) timed out%s", cid, opc,
					       was_aborted ? " after its Abort" : "");
		} else {
			nvme_ctrlr_request_reset(c, qp->assoc_gen, qp->qid,
						 NVME_RESET_WHY_IO_TIMEOUT);
		}
		break;
	default:
		break; /* NONE: keep waiting */
	}
}

void
nvme_qpair_check_timeouts(struct nvtcp_qpair *qp, uint64_t now)
{
	bool admin = nvme_qpair_is_admin(qp);
	uint64_t tmo = admin ? qp->ctrlr->admin_tmo_ticks : qp->tmo_ticks;
	struct nvme_request *req = TAILQ_FIRST(&qp->wire), *next;
	uint32_t n = qp->num_reqs;

	if (tmo == 0) {
		return;
	}
	/* Bounded by the requests: a handled one goes to the tail with a fresh tick and is not
	 * due again in this call. */
	while (req != NULL && n-- > 0) {
		next = TAILQ_NEXT(req, link);
		if (never_times_out(qp, req)) {
			req = next;
			continue;
		}
		if (nvtcp_likely(!nvme_req_timed_out(req, now, tmo))) {
			return; /* the oldest is not due: nothing after it is */
		}
		handle_timeout(qp, req, now, tmo);
		if (qp->state != NVME_QPAIR_CONNECTED) {
			return; /* a reset dropped the connection */
		}
		req = next;
	}
}

void
nvtcp_ctrlr_register_timeout_callback(struct nvtcp_ctrlr *c, nvtcp_timeout_cb cb, void *cb_arg)
{
	c->timeout_cb = cb;
	c->timeout_cb_arg = cb_arg;
}
