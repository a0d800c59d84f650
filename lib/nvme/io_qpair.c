/*
 * I/O queue pairs: queue ID allocation (lock-free, from any thread), allocation with a
 * synchronous or background connect, release, the reaction to controller-level events (the
 * I/O side of recovery), and the per-queue-pair getters and counters.
 *
 * Recovery, I/O side. An I/O queue pair belongs to its thread, so the admin thread never
 * touches it: it publishes events (ctrlr->state, ->assoc_gen, ->pub_cntlid, ->io_fast_fail,
 * then ctrlr->event_gen with release), and each queue pair acts on them inside its own poll
 * (nvme_io_qpair_ctrlr_event(), after an acquire load of event_gen):
 *   RESETTING        drop the connection (wire commands complete with Aborted - SQ Deletion;
 *                    unsent ones wait) and acknowledge (reset_ack = reset_id);
 *   LIVE, new assoc  drop the old connection if still up, connect again with the new
 *                    controller ID; unsent commands go out once connected;
 *   FAILED           fail for good (unsent: Host Path Error, DNR set);
 *   io_fast_fail     fail unsent commands (Host Path Error, DNR clear), now and at every
 *                    poll until reconnected.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"

static int
qid_alloc(struct nvtcp_ctrlr *c)
{
	for (uint32_t w = 0; w < c->qid_words; w++) {
		uint64_t cur = atomic_load(&c->qid_bits[w]);

		while (cur != UINT64_MAX) {
			int bit = __builtin_ctzll(~cur);
			uint32_t qid = w * 64 + (uint32_t)bit + 1;

			if (qid > c->num_io_queues) {
				break;
			}
			if (atomic_compare_exchange_weak(&c->qid_bits[w], &cur,
							 cur | (1ull << bit))) {
				return (int)qid;
			}
		}
	}
	return -ENOSPC;
}

static void
qid_free(struct nvtcp_ctrlr *c, uint16_t qid)
{
	uint32_t b = (uint32_t)qid - 1;

	atomic_fetch_and(&c->qid_bits[b / 64], ~(1ull << (b % 64)));
}

void
nvtcp_ctrlr_get_default_io_qpair_opts(const struct nvtcp_ctrlr *c,
				      struct nvtcp_io_qpair_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->io_queue_size = c->opts.io_queue_size;
	if (c->io_queue_size_max != 0 && opts->io_queue_size > c->io_queue_size_max) {
		opts->io_queue_size = c->io_queue_size_max;
	}
	opts->io_queue_requests = opts->io_queue_size * 2;
	opts->full_policy = NVTCP_QPAIR_FULL_EAGAIN;
	opts->async_connect = false;
}

void
nvme_io_qpair_release(struct nvtcp_ctrlr *c, struct nvtcp_qpair *qp)
{
	pthread_mutex_lock(&c->qpairs_lock);
	TAILQ_REMOVE(&c->qpairs, qp, ctrlr_link);
	pthread_mutex_unlock(&c->qpairs_lock);
	qid_free(c, qp->qid);
	nvme_qpair_destroy(qp);
}

struct nvtcp_qpair *
nvtcp_ctrlr_alloc_io_qpair(struct nvtcp_ctrlr *c, const struct nvtcp_io_qpair_opts *opts,
			   int *rc)
{
	struct nvtcp_io_qpair_opts o;
	struct nvme_qpair_cfg cfg;
	struct nvtcp_qpair *qp;
	int r, qid;

	if (rc == NULL) {
		return NULL;
	}
	if (c == NULL) {
		*rc = -EINVAL;
		return NULL;
	}
	if (c->discovery || !c->attached) {
		*rc = -ENXIO;
		return NULL;
	}
	switch (atomic_load(&c->state)) {
	case NVTCP_CTRLR_STATE_LIVE:
		break;
	case NVTCP_CTRLR_STATE_RESETTING:
		*rc = -EAGAIN;
		return NULL;
	default:
		*rc = -ENXIO;
		return NULL;
	}
	if (opts != NULL) {
		o = *opts;
	} else {
		nvtcp_ctrlr_get_default_io_qpair_opts(c, &o);
	}
	if (o.io_queue_size < 2 || o.io_queue_size > c->io_queue_size_max ||
	    o.io_queue_requests == 0 || o.io_queue_requests > UINT16_MAX - 1 ||
	    (o.full_policy != NVTCP_QPAIR_FULL_EAGAIN && o.full_policy != NVTCP_QPAIR_FULL_QUEUE)) {
		NVTCP_ERRLOG("alloc I/O queue pair: invalid options (queue size %u, at most %u; "
			     "requests %u)\n", o.io_queue_size, c->io_queue_size_max,
			     o.io_queue_requests);
		*rc = -EINVAL;
		return NULL;
	}
	qid = qid_alloc(c);
	if (qid < 0) {
		*rc = -ENOSPC;
		return NULL;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.qid = (uint16_t)qid;
	cfg.queue_size = o.io_queue_size;
	cfg.num_reqs = o.io_queue_requests;
	cfg.num_reserved = 1;
	cfg.wire_reserved = 0;
	cfg.num_parents = NVTCP_MAX(o.io_queue_requests / 4, 4u);
	cfg.policy = o.full_policy;
	cfg.dsm = true;
	cfg.async_connect = o.async_connect;
	qp = nvme_qpair_create(c, &cfg);
	if (qp == NULL) {
		qid_free(c, (uint16_t)qid);
		*rc = -ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&c->qpairs_lock);
	TAILQ_INSERT_TAIL(&c->qpairs, qp, ctrlr_link);
	pthread_mutex_unlock(&c->qpairs_lock);

	r = nvme_qpair_connect_start(qp);
	if (r == 0 && !o.async_connect) {
		/* Bounded by the connect, ICResp and command deadlines of the machine. */
		while (qp->state == NVME_QPAIR_CONNECTING) {
			if (nvme_qpair_poll(qp, 0, true) == 0 && qp->state == NVME_QPAIR_CONNECTING) {
				nvme_sync_pause();
			}
		}
		r = qp->state == NVME_QPAIR_CONNECTED ? 0 : (qp->fail_rc != 0 ? qp->fail_rc : -EIO);
		if (r != 0 && qp->state == NVME_QPAIR_RESETTING) {
			r = -EAGAIN; /* the controller started resetting meanwhile */
		}
	}
	if (r != 0) {
		NVTCP_ERRLOG("I/O queue pair %d of %s:%s: %s\n", qid, c->trid.traddr,
			     c->trid.trsvcid, qp->fail_reason);
		nvme_io_qpair_release(c, qp);
		*rc = r;
		return NULL;
	}
	*rc = 0;
	return qp;
}

int
nvtcp_ctrlr_free_io_qpair(struct nvtcp_qpair *qp)
{
	if (qp == NULL || nvme_qpair_is_admin(qp)) {
		return -EINVAL;
	}
	if (qp->group != NULL || qp->in_poll) {
		return -EBUSY;
	}
	qp->quiet_fail = true;
	nvme_qpair_fail(qp, -ENXIO, "queue pair freed");
	nvme_io_qpair_release(qp->ctrlr, qp);
	return 0;
}

/* ---- Queue pair information --------------------------------------------------------------- */

uint16_t
nvtcp_qpair_get_id(const struct nvtcp_qpair *qp)
{
	return qp->qid;
}

struct nvtcp_ctrlr *
nvtcp_qpair_get_ctrlr(const struct nvtcp_qpair *qp)
{
	return qp->ctrlr;
}

bool
nvtcp_qpair_is_connected(const struct nvtcp_qpair *qp)
{
	return qp->state == NVME_QPAIR_CONNECTED;
}

int
nvtcp_qpair_fail_unsent(struct nvtcp_qpair *qp)
{
	uint64_t before;

	if (qp->state == NVME_QPAIR_FAILED) {
		return -ENXIO;
	}
	if (qp->state != NVME_QPAIR_RESETTING) {
		return -EBUSY;
	}
	before = qp->stats.completed;
	nvme_qpair_fail_unsent(qp, NVME_STATUS_HOST_PATH_ERROR(false));
	return (int)(qp->stats.completed - before);
}

bool
nvtcp_qpair_is_failed(const struct nvtcp_qpair *qp)
{
	return qp->state == NVME_QPAIR_FAILED;
}

/* ---- Recovery, I/O side ------------------------------------------------------------------- */

void
nvme_qpair_connected(struct nvtcp_qpair *qp)
{
	if (!nvme_qpair_is_admin(qp)) {
		if (qp->ever_connected) {
			qp->stats.reconnects++;
			NVME_QP_NOTICELOG(qp, "reconnected (controller ID %u)\n", qp->cntlid);
		}
		qp->ever_connected = true;
	}
	/* Commands submitted while connecting, or kept through the reconnect, go out now (those
	 * whose namespace went away meanwhile fail instead). */
	nvme_qpair_resume(qp);
}

static void
io_reconnect(struct nvtcp_qpair *qp, uint32_t assoc)
{
	struct nvtcp_ctrlr *c = qp->ctrlr;
	/* Published with the association (acquire on event_gen and assoc_gen). */
	uint32_t nq = atomic_load_explicit(&c->pub_num_io_queues, memory_order_relaxed);
	int rc;

	qp->assoc_gen = assoc;
	qp->cntlid = (uint16_t)atomic_load_explicit(&c->pub_cntlid, memory_order_relaxed);
	if (qp->qid > nq) {
		nvme_qpair_fail_final(qp, NVME_STATUS_HOST_PATH_ERROR(true), -ENXIO,
				      "the controller grants %u I/O queues after the reconnect: "
				      "queue ID %u is gone", nq, qp->qid);
		return;
	}
	NVME_QP_INFOLOG(qp, "reconnecting to controller ID %u\n", qp->cntlid);
	rc = nvme_qpair_connect_start(qp);
	if (rc != 0 && qp->state == NVME_QPAIR_CONNECTING) {
		nvme_qpair_fail(qp, rc, "reconnect failed: %s", strerror(-rc));
	}
}

void
nvme_io_qpair_ctrlr_event(struct nvtcp_qpair *qp, uint32_t gen)
{
	struct nvtcp_ctrlr *c = qp->ctrlr;
	int state = atomic_load_explicit(&c->state, memory_order_acquire);
	uint32_t assoc;

	qp->seen_event_gen = gen;
	if (qp->state == NVME_QPAIR_FAILED) {
		return;
	}
	switch (state) {
	case NVTCP_CTRLR_STATE_FAILED:
		nvme_qpair_fail_final(qp, NVME_STATUS_HOST_PATH_ERROR(true), -ENXIO,
				      "the controller failed");
		return;
	case NVTCP_CTRLR_STATE_RESETTING:
		if (nvme_qpair_is_up(qp)) {
			NVME_QP_INFOLOG(qp, "controller resetting: dropping the connection\n");
			nvme_qpair_disconnect(qp, -ECONNRESET, "the controller is resetting");
		}
		/* The admin thread waits (bounded) for this before it reconnects. */
		atomic_store_explicit(&qp->reset_ack,
				      atomic_load_explicit(&c->reset_id, memory_order_relaxed),
				      memory_order_release);
		break;
	case NVTCP_CTRLR_STATE_LIVE:
		assoc = atomic_load_explicit(&c->assoc_gen, memory_order_acquire);
		if (assoc != qp->assoc_gen) {
			if (nvme_qpair_is_up(qp)) {
				/* Reset and re-established between two polls of this thread. */
				nvme_qpair_disconnect(qp, -ECONNRESET,
						      "the controller was re-established");
			}
			atomic_store_explicit(&qp->reset_ack,
					      atomic_load_explicit(&c->reset_id,
								   memory_order_relaxed),
					      memory_order_release);
			io_reconnect(qp, assoc);
		}
		break;
	default:
		/* CONNECTING cannot happen after attach; DELETING: detach frees the queue pairs
		 * (their threads have stopped using them). */
		break;
	}
	if (qp->state == NVME_QPAIR_RESETTING &&
	    atomic_load_explicit(&c->io_fast_fail, memory_order_relaxed)) {
		nvme_qpair_fail_unsent(qp, NVME_STATUS_HOST_PATH_ERROR(false));
	}
}

uint32_t
nvtcp_qpair_get_num_outstanding(const struct nvtcp_qpair *qp)
{
	uint32_t parents_out = 0;
	uint32_t n = qp->num_reqs - qp->num_reserved - qp->nfree;

	/* Children count once through their parent; a parent holds no request. */
	for (uint32_t i = 0; i < qp->num_parents; i++) {
		const struct nvme_parent *p = &qp->parents[i];

		if (p->in_use) {
			parents_out++;
			n -= p->children;
		}
	}
	return n + parents_out + qp->def_count;
}

void
nvtcp_qpair_get_stats(const struct nvtcp_qpair *qp, struct nvtcp_qpair_stats *stats)
{
	*stats = qp->stats;
	stats->send_calls = qp->old_send_calls;
	stats->recv_calls = qp->old_recv_calls;
	if (qp->sock != NULL) {
		struct nvtcp_sock_stats st;

		nvtcp_sock_get_stats(qp->sock, &st);
		stats->send_calls += st.send_calls;
		stats->recv_calls += st.recv_calls;
	}
	stats->pdus_received = nvtcp_tcp_rx_stats(&qp->rx)->pdus;
}

int32_t
nvtcp_qpair_process_completions(struct nvtcp_qpair *qp, uint32_t max)
{
	if (nvtcp_unlikely(qp == NULL)) {
		return -EINVAL;
	}
	return nvme_qpair_poll(qp, max, true);
}

const char *
nvtcp_qpair_get_tls_cipher(const struct nvtcp_qpair *qp)
{
	return qp->tls_cipher[0] ? qp->tls_cipher : NULL;
}
