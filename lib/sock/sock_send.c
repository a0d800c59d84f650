/*
 * The send path: queued requests, never copied, leave with one sendmsg() per flush.
 *
 * This runs once per socket per poll at millions of PDUs per second, so it allocates nothing
 * and touches each queued iovec once to gather it and once more (only for requests that
 * completed or the one that stopped half-way) to advance.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>

#include "nvtcp/util.h"
#include "sock_internal.h"

void
nvtcp_sock_writev_async(struct nvtcp_sock *sock, struct nvtcp_sock_request *req)
{
	assert(sock != NULL && req != NULL);
	req->offset = 0;
	TAILQ_INSERT_TAIL(&sock->queued, req, link);
	if (sock->group != NULL && sock->pending_head == NULL) {
		nvtcp_sock_group_pending_add(sock);
	}
}

bool
nvtcp_sock_has_pending_sends(const struct nvtcp_sock *sock)
{
	return !TAILQ_EMPTY(&sock->queued);
}

void
nvtcp_sock_complete_all(struct nvtcp_sock *sock, int status)
{
	struct nvtcp_sock_request *req;
	bool flushing = sock->flushing;

	nvtcp_sock_hold(sock);
	sock->flushing = true;
	/* Take from the head each time: a callback may queue a request (completed by this
	 * same loop) or close the socket (whose own loop empties the queue first). */
	while ((req = TAILQ_FIRST(&sock->queued)) != NULL) {
		TAILQ_REMOVE(&sock->queued, req, link);
		if (req->cb != NULL) {
			req->cb(req->cb_arg, status);
		}
	}
	sock->flushing = flushing;
	if (sock->pending_head != NULL) {
		nvtcp_sock_group_pending_del(sock);
	}
	nvtcp_sock_release(sock);
}

/* Bytes of a request not sent yet. */
static inline size_t
req_left(const struct nvtcp_sock_request *req)
{
	return nvtcp_sock_iov_len(req->iov, req->iovcnt) - req->offset;
}

/*
 * The three steps of a flush -- gather, send, advance -- are separate so that the io_uring
 * group (sock_uring.c) can gather many sockets, send them all with one io_uring_enter() and
 * then advance each one by its result, with exactly the accounting of nvtcp_sock_flush().
 * Both steps are forced inline: the posix flush compiles to what it was before the split.
 */

/* Gather the queued bytes (the first request has at least one queued): start inside the
 * partly sent first request, skip empty iovecs. Returns the number of iovecs. */
static inline __attribute__((always_inline)) int
flush_gather(struct nvtcp_sock *sock, struct iovec *iovs, int maxiov, size_t *poffered)
{
	struct nvtcp_sock_request *req = TAILQ_FIRST(&sock->queued);
	size_t skip = req->offset, offered = 0;
	int iovcnt = 0;

	for (; req != NULL && iovcnt < maxiov; req = TAILQ_NEXT(req, link)) {
		for (int i = 0; i < req->iovcnt && iovcnt < maxiov; i++) {
			size_t len = req->iov[i].iov_len;

			if (skip >= len) {
				skip -= len;
				continue;
			}
			iovs[iovcnt].iov_base = (uint8_t *)req->iov[i].iov_base + skip;
			iovs[iovcnt].iov_len = len - skip;
			offered += len - skip;
			skip = 0;
			iovcnt++;
		}
	}
	*poffered = offered;
	return iovcnt;
}

/* Account for a send of \p offered bytes that took \p n (sent: a send was made at all), then
 * advance the queue and run the callbacks of the requests that completed. */
static inline __attribute__((always_inline)) ssize_t
flush_finish(struct nvtcp_sock *sock, ssize_t n, size_t offered, bool sent, bool ring)
{
	struct nvtcp_sock_req_list done;
	struct nvtcp_sock_request *req;
	size_t left;

	if (sent) {
		if (ring) {
			sock->stats.ring_sends++;
		} else {
			sock->stats.send_calls++;
		}
		if (nvtcp_unlikely(n < 0)) {
			/* The connection is unusable: every request fails once, and so does every
			 * later one, without another system call. */
			sock->send_error = (int)n;
			nvtcp_sock_complete_all(sock, (int)n);
			return n;
		}
		sock->stats.bytes_sent += (uint64_t)n;
		if ((size_t)n < offered) {
			sock->stats.partial_sends++;
		}
	}

	/* Advance by exactly the bytes the kernel took. Completed requests move to a local list
	 * before any callback runs, so callbacks may queue, close or remove freely. A request
	 * with nothing left (including an empty one) completes when it reaches the head. */
	TAILQ_INIT(&done);
	left = (size_t)n;
	while ((req = TAILQ_FIRST(&sock->queued)) != NULL) {
		size_t rem = req_left(req);

		if (rem > left) {
			req->offset += left;
			left = 0;
			break;
		}
		left -= rem;
		TAILQ_REMOVE(&sock->queued, req, link);
		TAILQ_INSERT_TAIL(&done, req, link);
	}
	assert(left == 0);

	if (TAILQ_EMPTY(&sock->queued)) {
		if (sock->pending_head != NULL) {
			nvtcp_sock_group_pending_del(sock);
		}
	} else if (sock->group != NULL && sock->pending_head == NULL) {
		nvtcp_sock_group_pending_add(sock);
	}

	if (!TAILQ_EMPTY(&done)) {
		nvtcp_sock_hold(sock);
		sock->flushing = true;
		while ((req = TAILQ_FIRST(&done)) != NULL) {
			TAILQ_REMOVE(&done, req, link);
			if (req->cb != NULL) {
				req->cb(req->cb_arg, 0);
			}
		}
		sock->flushing = false;
		nvtcp_sock_release(sock);
	}
	return n;
}

ssize_t
nvtcp_sock_flush(struct nvtcp_sock *sock)
{
	struct iovec iovs[IOV_MAX];
	size_t offered;
	ssize_t n = 0;
	int iovcnt;

	if (TAILQ_EMPTY(&sock->queued)) {
		return 0;
	}
	if (nvtcp_unlikely(sock->flushing)) {
		/* Called from a completion callback of this very socket (directly, or through a
		 * group poll made there), or while the io_uring group has a send of it in flight:
		 * the running flush completes in order, later requests go next time -- so the
		 * socket must stay on its group's pending list. */
		if (sock->group != NULL && sock->pending_head == NULL) {
			nvtcp_sock_group_pending_add(sock);
		}
		return 0;
	}
	if (nvtcp_unlikely(sock->closed)) {
		/* Only reachable from a callback that holds the closed socket. */
		nvtcp_sock_complete_all(sock, -ECANCELED);
		return -ENOTCONN;
	}
	if (nvtcp_unlikely(sock->send_error != 0)) {
		n = sock->send_error;
		nvtcp_sock_complete_all(sock, (int)n);
		return n;
	}

	iovcnt = flush_gather(sock, iovs, IOV_MAX, &offered);
	if (iovcnt > 0) {
		n = sock->ops->writev(sock, iovs, iovcnt);
	}
	return flush_finish(sock, n, offered, iovcnt > 0, false);
}

int
nvtcp_sock_flush_begin(struct nvtcp_sock *sock, struct iovec *iovs, int maxiov, size_t *offered)
{
	if (TAILQ_EMPTY(&sock->queued) || sock->flushing || sock->closed || sock->send_error != 0) {
		return -1;
	}
	return flush_gather(sock, iovs, maxiov, offered);
}

ssize_t
nvtcp_sock_flush_end(struct nvtcp_sock *sock, ssize_t n, size_t offered, bool sent)
{
	return flush_finish(sock, n, offered, sent, true);
}
