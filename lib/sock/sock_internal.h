/*
 * Internals of lib/sock, shared by its source files, by alternative socket implementations
 * (the fake socket of the unit tests; io_uring later) and by the unit tests.
 *
 * A struct nvtcp_sock is generic: the send queue, group membership, statistics and the
 * life cycle live here, while the actual I/O goes through an ops table. The posix
 * implementation (sock.c) is the default; nvtcp_sock_create_ops() builds a socket on any other.
 *
 * Life cycle and re-entrancy. Completion callbacks of send requests run from
 * nvtcp_sock_flush() (or the group poll), from a failed flush and from nvtcp_sock_close().
 * Inside such a callback the owner may:
 *   - queue more requests on the same socket (they are sent by a later flush, never by the
 *     flush that is running, so completions stay in order);
 *   - close the socket: the queued requests complete with -ECANCELED, the remaining callbacks
 *     of requests that already left still run with status 0, and the memory is freed only
 *     when the running flush returns (a reference count, "refs", defers the free);
 *   - remove the socket from its group, close or remove other sockets.
 * A nested nvtcp_sock_flush() of the same socket from inside one of its callbacks returns 0
 * and sends nothing: sending from there could complete a later request before an earlier one.
 */
#ifndef NVTCP_SOCK_INTERNAL_H
#define NVTCP_SOCK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "nvtcp/sock.h"

/** Where a socket is in its life. */
enum nvtcp_sock_state {
	/** Non-blocking connect in flight (see nvtcp_sock_connect_poll()). */
	NVTCP_SOCK_STATE_CONNECTING,
	/** Connected (also every socket of an alternative implementation by default). */
	NVTCP_SOCK_STATE_CONNECTED,
	/** Listening (accepts). */
	NVTCP_SOCK_STATE_LISTENING,
	/** The connect failed or timed out; connect_error says why. */
	NVTCP_SOCK_STATE_FAILED,
};

/**
 * An implementation of the socket I/O. Every function receives the generic socket; the
 * implementation keeps its own state in sock->ctx (and sock->fd when it has a descriptor).
 */
struct nvtcp_sock_ops {
	/** Name, for logs. */
	const char *name;
	/**
	 * Whether sock->fd is a descriptor that epoll can watch. A group calls the callback of a
	 * socket without one on every poll (the callback tolerates -EAGAIN anyway).
	 */
	bool has_fd;
	/**
	 * Read into \p iov (iovcnt > 0). Returns bytes (> 0), -EAGAIN when nothing is there,
	 * -ECONNRESET when the peer closed or reset the connection, or another negative errno.
	 */
	ssize_t (*readv)(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt);
	/**
	 * Send from \p iov (0 < iovcnt <= IOV_MAX) without blocking and without raising SIGPIPE.
	 * Returns the bytes taken (0 when none could be taken now, e.g. EAGAIN), or a negative
	 * errno when the connection is unusable.
	 */
	ssize_t (*writev)(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt);
	/**
	 * Fill the local and/or the peer address (either pointer may be NULL). Returns 0 or a
	 * negative errno.
	 */
	int (*getaddr)(struct nvtcp_sock *sock, struct sockaddr_storage *local,
		       struct sockaddr_storage *peer);
	/** Release the implementation's resources (the descriptor). Called once. */
	void (*close)(struct nvtcp_sock *sock);
	/**
	 * sock->fd is a plain TCP socket carrying the byte stream itself (no record layer): an
	 * io_uring group may send from it with IORING_OP_SENDMSG instead of calling writev.
	 * Other implementations (TLS) are flushed through writev even in an io_uring group.
	 */
	bool ring_send;
};

TAILQ_HEAD(nvtcp_sock_req_list, nvtcp_sock_request);
TAILQ_HEAD(nvtcp_sock_list, nvtcp_sock);

struct nvtcp_sock {
	/* Fields of the hot path first. */
	const struct nvtcp_sock_ops *ops;
	/** Implementation context. */
	void *ctx;
	/** Descriptor, or -1 when the implementation has none. */
	int fd;
	/** Sticky fatal send error (negative errno), 0 while sending works. */
	int send_error;
	/** Send requests not yet completed, in order; the first may be partly sent. */
	struct nvtcp_sock_req_list queued;
	/** Set while completion callbacks of this socket run: a nested flush sends nothing. */
	bool flushing;
	/** nvtcp_sock_close() was called; the memory goes when refs drops to 0. */
	bool closed;
	/** References that keep the memory alive across callbacks (see the file comment). */
	int refs;

	/* Group membership (group.c). */
	struct nvtcp_sock_group *group;
	nvtcp_sock_cb cb;
	void *cb_arg;
	/** In the group's list of fd sockets or of sockets without a descriptor. */
	TAILQ_ENTRY(nvtcp_sock) group_link;
	/** In a list of sockets with queued sends; pending_head says which (NULL: none). */
	TAILQ_ENTRY(nvtcp_sock) pending_link;
	struct nvtcp_sock_list *pending_head;
	/** Low-rate socket: found by the group's periodic epoll_wait only (group.c). */
	bool cold;
	/**
	 * In a list of sockets whose implementation holds received data that epoll cannot see
	 * (TLS plaintext already decrypted); rx_head says which (NULL: none). See
	 * nvtcp_sock_group_rx_ready().
	 */
	TAILQ_ENTRY(nvtcp_sock) rx_link;
	struct nvtcp_sock_list *rx_head;
	/*
	 * io_uring group (sock_uring.c): the socket's slot in the ring's table, and whether a
	 * readiness completion came since a read last returned -EAGAIN or short (the generic read clears
	 * it, so that the ring group calls a socket's callback as long as it may be readable:
	 * the level-triggered behaviour of epoll, on top of edge-like multishot poll events).
	 */
	uint32_t ring_idx;
	bool ring_ready;
	TAILQ_ENTRY(nvtcp_sock) ready_link;
	struct nvtcp_sock_list *ready_head;

	struct nvtcp_sock_stats stats;

	/* Set-up (sock.c). */
	enum nvtcp_sock_state state;
	/** Why the connect failed (negative errno), in state FAILED. */
	int connect_error;
	/** CLOCK_MONOTONIC deadline of the connect in ns; 0 = none. */
	uint64_t connect_deadline_ns;
	/** Options; a listener hands them to the sockets it accepts. */
	struct nvtcp_sock_opts opts;
	/** "address:port" the socket connects to or listens on, for logs. */
	char name[72];
};

/**
 * Create a socket driven by \p ops (state CONNECTED, default options, fd -1).
 *
 * \param ops Implementation; must outlive the socket.
 * \param ctx Implementation context (sock->ctx).
 * \return The socket, or NULL (errno ENOMEM).
 */
struct nvtcp_sock *nvtcp_sock_create_ops(const struct nvtcp_sock_ops *ops, void *ctx);

/** Take a reference that keeps \p sock's memory alive even if it is closed meanwhile. */
static inline void
nvtcp_sock_hold(struct nvtcp_sock *sock)
{
	sock->refs++;
}

/**
 * Drop a reference. The last reference of a closed socket completes what callbacks queued
 * after the close (-ECANCELED) and frees it; \p sock must not be used afterwards.
 */
void nvtcp_sock_release(struct nvtcp_sock *sock);

/**
 * Complete every queued request with \p status, in order, including requests that the
 * callbacks queue meanwhile. (sock_send.c)
 */
void nvtcp_sock_complete_all(struct nvtcp_sock *sock, int status);

/** Put a socket with queued sends on its group's pending list. (group.c) */
void nvtcp_sock_group_pending_add(struct nvtcp_sock *sock);

/**
 * Have the group call \p sock's callback on its next poll even without an epoll event: the
 * implementation buffered received data (TLS records decrypted ahead of the reader) that the
 * descriptor no longer signals. Once per mark; a socket without a group is ignored. (group.c)
 */
void nvtcp_sock_group_rx_ready(struct nvtcp_sock *sock);

/** Take a socket off whatever pending list it is on. (group.c) */
void nvtcp_sock_group_pending_del(struct nvtcp_sock *sock);

/**
 * First step of a flush made by a group that sends many sockets at once (sock_uring.c):
 * gather up to \p maxiov iovecs of the queued bytes into \p iovs, without sending. Returns the
 * number of iovecs (0 when only empty requests are queued), or -1 when the socket must be
 * flushed with nvtcp_sock_flush() instead (nothing queued, closed, failed or in a callback).
 * Until nvtcp_sock_flush_end() the caller keeps sock->flushing set, so that nothing else sends
 * from the socket meanwhile. (sock_send.c)
 */
int nvtcp_sock_flush_begin(struct nvtcp_sock *sock, struct iovec *iovs, int maxiov,
			   size_t *offered);

/**
 * Last step of such a flush: account for the send's result \p n (bytes taken, or a negative
 * errno; \p sent false when no send was made because only empty requests were queued),
 * advance the queue and run the completed requests' callbacks, exactly as nvtcp_sock_flush()
 * (the send counts in stats.ring_sends, not send_calls). Returns \p n.
 */
ssize_t nvtcp_sock_flush_end(struct nvtcp_sock *sock, ssize_t n, size_t offered, bool sent);

/* ---- io_uring group (sock_uring.c) ---- */

struct nvtcp_sock_uring;

/** Create a ring for a group. Returns NULL with errno set (io_uring unavailable...). */
struct nvtcp_sock_uring *nvtcp_sock_uring_create(void);

/** io_uring_enter() calls made by the ring. */
uint64_t nvtcp_sock_uring_enters(const struct nvtcp_sock_uring *u);

/** Destroy a ring whose sockets have all been removed. */
void nvtcp_sock_uring_destroy(struct nvtcp_sock_uring *u);

/** Watch a socket with a descriptor (multishot poll). Returns 0 or a negative errno. */
int nvtcp_sock_uring_add(struct nvtcp_sock_uring *u, struct nvtcp_sock *sock);

/** Stop watching a socket; no callback runs for it afterwards. */
void nvtcp_sock_uring_remove(struct nvtcp_sock_uring *u, struct nvtcp_sock *sock);

/**
 * Reap completions and call the callbacks of the sockets that may be readable (at most
 * \p max_events). Returns the number of callbacks or a negative errno.
 */
int nvtcp_sock_uring_poll(struct nvtcp_sock_group *group, struct nvtcp_sock_uring *u,
			  int max_events);

/**
 * Flush every socket of \p batch (a snapshot of the group's pending list, emptied here): the
 * sends of all of them go with one io_uring_enter() per round of up to the ring's batch size.
 */
void nvtcp_sock_uring_flush(struct nvtcp_sock_uring *u, struct nvtcp_sock_list *batch);

/** Total length of an iovec list. */
static inline size_t
nvtcp_sock_iov_len(const struct iovec *iov, int iovcnt)
{
	size_t len = 0;

	for (int i = 0; i < iovcnt; i++) {
		len += iov[i].iov_len;
	}
	return len;
}

#endif /* NVTCP_SOCK_INTERNAL_H */
