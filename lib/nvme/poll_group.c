/*
 * Poll groups: many queue pairs polled by one thread with one epoll wait per poll (a
 * nvtcp_sock_group), one batched read per readable queue pair and one batched write per queue
 * pair with queued PDUs (the socket group flushes once at the end of its poll).
 *
 * Per poll, every queue pair of the group gets its cheap housekeeping (connect progress,
 * controller events, deferred send errors): a few loads per queue pair, no system call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"

struct nvtcp_poll_group {
	struct nvtcp_sock_group *sg;
	TAILQ_HEAD(, nvtcp_qpair) qpairs;
	uint32_t count;
	bool polling;
	struct nvtcp_poll_group_stats stats;
	/* Counters of queue pairs that left the group. */
	uint64_t gone_send;
	uint64_t gone_recv;
	uint64_t gone_queued;
};

static void
group_sock_cb(void *cb_arg, struct nvtcp_sock_group *sg, struct nvtcp_sock *sock)
{
	struct nvtcp_qpair *qp = cb_arg;

	if (qp->state == NVME_QPAIR_CONNECTED ||
	    (qp->state == NVME_QPAIR_CONNECTING && qp->conn_state >= NVME_CONN_ICRESP)) {
		nvme_tcp_rx_poll(qp);
	}
}

struct nvtcp_poll_group *
nvtcp_poll_group_create(void)
{
	struct nvtcp_poll_group *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		return NULL;
	}
	g->sg = nvtcp_sock_group_create();
	if (g->sg == NULL) {
		free(g);
		return NULL;
	}
	TAILQ_INIT(&g->qpairs);
	return g;
}

int
nvme_poll_group_sock_add(struct nvtcp_qpair *qp)
{
	return nvtcp_sock_group_add(qp->group->sg, qp->sock, group_sock_cb, qp);
}

int
nvtcp_poll_group_add(struct nvtcp_poll_group *g, struct nvtcp_qpair *qp)
{
	struct nvtcp_qpair_stats st;
	int rc;

	if (g == NULL || qp == NULL || nvme_qpair_is_admin(qp)) {
		return -EINVAL;
	}
	if (qp->group != NULL || g->polling || qp->in_poll) {
		return -EBUSY;
	}
	qp->group = g;
	if (qp->sock != NULL) {
		rc = nvme_poll_group_sock_add(qp);
		if (rc != 0) {
			qp->group = NULL;
			return rc;
		}
	}
	nvtcp_qpair_get_stats(qp, &st);
	qp->group_base_send = st.send_calls;
	qp->group_base_recv = st.recv_calls;
	qp->group_base_queued = st.queued;
	TAILQ_INSERT_TAIL(&g->qpairs, qp, group_link);
	g->count++;
	return 0;
}

int
nvtcp_poll_group_remove(struct nvtcp_poll_group *g, struct nvtcp_qpair *qp)
{
	struct nvtcp_qpair_stats st;

	if (g == NULL || qp == NULL || qp->group != g) {
		return -ENOENT;
	}
	if (g->polling) {
		return -EBUSY;
	}
	if (qp->sock != NULL) {
		(void)nvtcp_sock_group_remove(g->sg, qp->sock);
	}
	nvtcp_qpair_get_stats(qp, &st);
	g->gone_send += st.send_calls - qp->group_base_send;
	g->gone_recv += st.recv_calls - qp->group_base_recv;
	g->gone_queued += st.queued - qp->group_base_queued;
	TAILQ_REMOVE(&g->qpairs, qp, group_link);
	g->count--;
	qp->group = NULL;
	return 0;
}

int64_t
nvtcp_poll_group_process_completions(struct nvtcp_poll_group *g, uint32_t max_per_qpair)
{
	struct nvtcp_qpair *qp;
	int64_t total = 0;
	uint64_t syscalls;
	int rc;

	if (g == NULL) {
		return -EINVAL;
	}
	if (g->polling) {
		return -EBUSY;
	}
	g->polling = true;
	g->stats.polls++;
	TAILQ_FOREACH(qp, &g->qpairs, group_link) {
		qp->in_poll = true;
		qp->poll_max = max_per_qpair;
		qp->poll_done = 0;
		qp->stats.polls++;
		nvme_qpair_housekeeping(qp);
		if (qp->state == NVME_QPAIR_CONNECTED) {
			nvme_tcp_rx_leftover(qp);
		}
	}
	/* One epoll_wait (or, on io_uring, at most one io_uring_enter for the readiness and one
	 * for all sends), the reads of the readable queue pairs, one flush each. A posix group
	 * of one socket skips the epoll_wait (lib/sock). */
	syscalls = nvtcp_sock_group_get_syscalls(g->sg);
	rc = nvtcp_sock_group_poll(g->sg, 0);
	g->stats.epoll_calls += nvtcp_sock_group_get_syscalls(g->sg) - syscalls;
	TAILQ_FOREACH(qp, &g->qpairs, group_link) {
		if (nvtcp_unlikely(qp->sock_error != 0) && nvme_qpair_is_up(qp)) {
			nvme_qpair_fail(qp, qp->sock_error, "send failed: %s",
					strerror(-qp->sock_error));
		}
		nvme_qpair_poll_timeouts(qp);
		total += qp->poll_done;
		if (qp->poll_done == 0) {
			qp->stats.idle_polls++;
		}
		qp->poll_max = 0;
		qp->in_poll = false;
	}
	g->polling = false;
	g->stats.completions += (uint64_t)total;
	if (total == 0) {
		g->stats.idle_polls++;
	}
	return rc < 0 ? rc : total;
}

void
nvtcp_poll_group_get_stats(const struct nvtcp_poll_group *g, struct nvtcp_poll_group_stats *stats)
{
	const struct nvtcp_qpair *qp;

	*stats = g->stats;
	stats->send_calls = g->gone_send;
	stats->recv_calls = g->gone_recv;
	stats->queued = g->gone_queued;
	TAILQ_FOREACH(qp, &g->qpairs, group_link) {
		struct nvtcp_qpair_stats st;

		nvtcp_qpair_get_stats(qp, &st);
		stats->send_calls += st.send_calls - qp->group_base_send;
		stats->recv_calls += st.recv_calls - qp->group_base_recv;
		stats->queued += st.queued - qp->group_base_queued;
	}
}

int
nvtcp_poll_group_destroy(struct nvtcp_poll_group *g)
{
	if (g == NULL) {
		return 0;
	}
	if (g->count > 0 || g->polling) {
		return -EBUSY;
	}
	(void)nvtcp_sock_group_destroy(&g->sg);
	free(g);
	return 0;
}
