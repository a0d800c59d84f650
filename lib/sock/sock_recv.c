/*
 * The receive path: one readv() per call, into caller iovecs and/or the free tail of a
 * receive buffer, so that a payload whose destination is known is copied only once (by the
 * kernel) while headers and small payloads land in the buffer.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "nvtcp/util.h"
#include "sock_internal.h"

/* Stats are counted here, not in the implementations, so that every one has them. */
static inline ssize_t
sock_readv(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt)
{
	ssize_t n = sock->ops->readv(sock, iov, iovcnt);

	sock->stats.recv_calls++;
	if (nvtcp_likely(n > 0)) {
		sock->stats.bytes_recv += (uint64_t)n;
		/* io_uring group: a short read of a plain TCP socket drained it (what arrives
		 * later, or waited in the socket's backlog, wakes its poll), so the next poll need
		 * not call it just to read -EAGAIN. Not for TLS: its short plaintext read says
		 * nothing about the ciphertext still in the socket. Posix never sets ring_ready. */
		if (sock->ring_ready && sock->ops->ring_send &&
		    (size_t)n < nvtcp_sock_iov_len(iov, iovcnt)) {
			sock->ring_ready = false;
		}
	} else if (n == -EAGAIN) {
		/* Drained: an io_uring group calls the callback again only after the next
		 * readiness completion (sock_uring.c). A plain store; posix ignores it. */
		sock->ring_ready = false;
	}
	return n;
}

ssize_t
nvtcp_sock_readv(struct nvtcp_sock *sock, struct iovec *iov, int iovcnt)
{
	if (nvtcp_unlikely(iovcnt <= 0 || iovcnt > IOV_MAX || sock->closed)) {
		return sock->closed ? -EBADF : -EINVAL;
	}
	return sock_readv(sock, iov, iovcnt);
}

/*
 * Compact when less than half of the buffer is free and something was consumed: the move
 * costs the unconsumed bytes (usually a partial header), and doing it only when space runs
 * short keeps the common case (a buffer with plenty of room) free of copies.
 */
static inline void
rxbuf_compact(struct nvtcp_sock_rxbuf *rb)
{
	size_t used = rb->tail - rb->head;

	if (used == 0) {
		/* Empty: restart at the beginning, nothing to move. */
		rb->head = 0;
		rb->tail = 0;
		return;
	}
	if (rb->head > 0 && rb->size - rb->tail < rb->size / 2) {
		memmove(rb->buf, rb->buf + rb->head, used);
		rb->head = 0;
		rb->tail = used;
	}
}

ssize_t
nvtcp_sock_recv_rxbuf(struct nvtcp_sock *sock, struct nvtcp_sock_rxbuf *rb,
		      const struct iovec *direct, int ndirect, size_t *direct_bytes)
{
	struct iovec iovs[IOV_MAX];
	size_t direct_len = 0, room;
	ssize_t n;
	int iovcnt = 0;

	if (nvtcp_unlikely(rb == NULL || rb->head > rb->tail || rb->tail > rb->size ||
			   ndirect < 0 || ndirect >= IOV_MAX ||
			   (ndirect > 0 && (direct == NULL || direct_bytes == NULL)))) {
		return -EINVAL;
	}
	if (nvtcp_unlikely(sock->closed)) {
		return -EBADF;
	}
	if (direct_bytes != NULL) {
		*direct_bytes = 0;
	}

	for (int i = 0; i < ndirect; i++) {
		if (direct[i].iov_len == 0) {
			continue;
		}
		iovs[iovcnt++] = direct[i];
		direct_len += direct[i].iov_len;
	}
	rxbuf_compact(rb);
	room = rb->size - rb->tail;
	/* Only behind a large payload: behind the tail of a small one the next PDUs are small
	 * too, and capping would split a burst of them over many reads. */
	if (rb->after_direct != 0 && direct_len >= rb->after_direct && room > rb->after_direct) {
		room = rb->after_direct;
	}
	if (room > 0) {
		iovs[iovcnt].iov_base = rb->buf + rb->tail;
		iovs[iovcnt].iov_len = room;
		iovcnt++;
	}
	if (nvtcp_unlikely(iovcnt == 0)) {
		/* The buffer is full of unconsumed bytes and nothing else was offered. */
		return -ENOBUFS;
	}

	n = sock_readv(sock, iovs, iovcnt);
	if (n <= 0) {
		return n;
	}
	if ((size_t)n <= direct_len) {
		if (direct_bytes != NULL) {
			*direct_bytes = (size_t)n;
		}
	} else {
		if (direct_bytes != NULL) {
			*direct_bytes = direct_len;
		}
		rb->tail += (size_t)n - direct_len;
	}
	return n;
}
