/*
 * I/O queue pairs: queue ID allocation (lock-free, from any thread), allocation with a
 * synchronous or background connect, release, and the per-queue-pair getters and counters.
 */
#include <errno.h>
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
	if (atomic_load(&c->state) != NVTCP_CTRLR_STATE_LIVE || c->discovery) {
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
