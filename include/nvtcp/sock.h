/**
 * @file
 * Non-blocking TCP sockets for polled I/O.
 *
 * Threading: a socket belongs to one thread at a time (the reactor or poll-group owner); none
 * of these calls lock. A socket is always non-blocking; reads and writes never wait.
 *
 * Sending: callers queue requests (iovec lists describing whole PDUs, never copied) with
 * nvtcp_sock_writev_async(); nvtcp_sock_flush() -- or the group poll, once per iteration --
 * sends as much as the kernel takes with one sendmsg() of up to IOV_MAX iovecs. A request's
 * callback runs only when all its bytes have left, or with an error when the socket fails.
 *
 * Receiving: nvtcp_sock_readv() reads straight into caller iovecs; struct nvtcp_sock_rxbuf and
 * nvtcp_sock_recv_rxbuf() combine a receive buffer for headers and small payloads with direct
 * placement of large payloads in one readv().
 *
 * Callbacks: a send request's callback may queue more requests on the same socket (a later
 * flush sends them), close the socket, or remove sockets from groups. A readable callback may
 * read, send, close its socket or others, and remove sockets from the group; it must not poll
 * or destroy its own group (-EBUSY).
 */
#ifndef NVTCP_SOCK_H
#define NVTCP_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nvtcp_sock;
struct nvtcp_sock_group;

/** Options of connect and listen. Initialise with nvtcp_sock_opts_init(). */
struct nvtcp_sock_opts {
	/** SO_SNDBUF in bytes; 0 (default) = the kernel's auto-tuning. */
	int sndbuf;
	/** SO_RCVBUF in bytes; 0 (default) = the kernel's auto-tuning. */
	int rcvbuf;
	/** TCP_NODELAY (default true). */
	bool nodelay;
	/** SO_BUSY_POLL in microseconds; 0 (default) = off. */
	uint32_t busy_poll_us;
	/** Connect timeout in ms for nvtcp_sock_connect*() (default 10000; 0 = none). */
	uint32_t connect_timeout_ms;
	/** TCP_USER_TIMEOUT in ms; 0 (default) = the kernel's. */
	uint32_t user_timeout_ms;
	/** listen() backlog (default 512). */
	int backlog;
};

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options.
 */
void nvtcp_sock_opts_init(struct nvtcp_sock_opts *opts);

/**
 * Start a non-blocking connect. \p addr is a numeric IPv4 or IPv6 address or a host name
 * (resolved with a blocking lookup); \p svc a port number. IPv6 literals may come with or
 * without brackets ("[::1]", "::1"); numeric addresses are never looked up, and one that does
 * not parse is -EINVAL. Of a host name's addresses, the first one whose connect starts is used.
 *
 * \param addr Address.
 * \param svc Port.
 * \param opts Options, or NULL for defaults.
 * \param rc Set to 0 or a negative errno.
 * \return The socket (connecting), or NULL.
 */
struct nvtcp_sock *nvtcp_sock_connect_async(const char *addr, const char *svc,
					    const struct nvtcp_sock_opts *opts, int *rc);

/**
 * Check on a connect started with nvtcp_sock_connect_async(). Never blocks.
 *
 * \param sock Socket.
 * \return 0 when connected, -EINPROGRESS while pending, -ETIMEDOUT once the connect timeout
 *         has passed, or the connect's negative errno (e.g. -ECONNREFUSED).
 */
int nvtcp_sock_connect_poll(struct nvtcp_sock *sock);

/**
 * Connect and wait (up to the connect timeout) for the result. For tools and set-up code.
 * A host name's addresses are tried in turn while they are refused or unreachable, all within
 * the one timeout.
 *
 * \param addr Address.
 * \param svc Port.
 * \param opts Options, or NULL for defaults.
 * \param rc Set to 0 or a negative errno (-ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH, -EINVAL...).
 * \return The connected socket, or NULL.
 */
struct nvtcp_sock *nvtcp_sock_connect(const char *addr, const char *svc,
				      const struct nvtcp_sock_opts *opts, int *rc);

/**
 * Listen on an address and port (SO_REUSEADDR). "0" as port picks a free one
 * (see nvtcp_sock_getaddr()).
 *
 * \param addr Address ("0.0.0.0", "::", "127.0.0.1"...).
 * \param svc Port.
 * \param opts Options, or NULL for defaults; they also apply to accepted sockets.
 * \param rc Set to 0 or a negative errno (-EADDRINUSE...).
 * \return The listening socket, or NULL.
 */
struct nvtcp_sock *nvtcp_sock_listen(const char *addr, const char *svc,
				     const struct nvtcp_sock_opts *opts, int *rc);

/**
 * Accept one pending connection. Never blocks.
 *
 * \param lsock Listening socket.
 * \param rc Set to 0, -EAGAIN when none is pending, or another negative errno.
 * \return The new socket, or NULL.
 */
struct nvtcp_sock *nvtcp_sock_accept(struct nvtcp_sock *lsock, int *rc);

/**
 * Close a socket: remove it from its group, fail its queued send requests with -ECANCELED,
 * close the descriptor and free it. Sets \p *sock to NULL; NULL is ignored.
 *
 * \param sock Socket handle.
 */
void nvtcp_sock_close(struct nvtcp_sock **sock);

/**
 * Addresses of a socket, as numeric strings.
 *
 * \param sock Socket.
 * \param laddr Local address (may be NULL), \p len bytes.
 * \param lport Local port (may be NULL).
 * \param raddr Remote address (may be NULL), \p len bytes.
 * \param rport Remote port (may be NULL).
 * \param len Size of each address buffer (INET6_ADDRSTRLEN suffices).
 * \return 0 or a negative errno (-ENOTCONN for the remote address of a socket that is not
 *         connected, -ENOSPC when \p len is too small).
 */
int nvtcp_sock_getaddr(struct nvtcp_sock *sock, char *laddr, uint16_t *lport, char *raddr,
		       uint16_t *rport, size_t len);

/* ---- Receive ------------------------------------------------------------------------------ */

/**
 * Read into an iovec list with one readv().
 *
 * \param sock Socket.
 * \param iov iovecs.
 * \param iovcnt Number of iovecs.
 * \return Bytes read (> 0), -EAGAIN when nothing is there, -ECONNRESET when the peer closed
 *         the connection, or another negative errno.
 */
ssize_t nvtcp_sock_readv(struct nvtcp_sock *sock, struct iovec *iov, int iovcnt);

/**
 * A linear receive buffer: bytes [head, tail) are received and not yet consumed.
 * The owner consumes by advancing head; nvtcp_sock_recv_rxbuf() compacts and refills.
 */
struct nvtcp_sock_rxbuf {
	/** Storage. */
	uint8_t *buf;
	/** Capacity of buf. */
	size_t size;
	/** First unconsumed byte. */
	size_t head;
	/** End of received bytes. */
	size_t tail;
	/**
	 * When the direct iovecs want at least this many bytes, at most this many bytes of free
	 * space are offered behind them (0: no cap). A large payload being placed directly is
	 * usually followed by more of its kind: capping what the buffer takes behind it keeps
	 * most of the next payload out of the buffer (from where it would be copied) so that it
	 * is read in place once its header is parsed. Behind a small remainder nothing is
	 * capped, so that bursts of small PDUs still arrive in one read.
	 * NVTCP_SOCK_RXBUF_AFTER_DIRECT is a good value for PDU streams.
	 */
	size_t after_direct;
};

/** Suggested nvtcp_sock_rxbuf.after_direct: a few headers and a small payload. */
#define NVTCP_SOCK_RXBUF_AFTER_DIRECT 8192

/**
 * Receive with one readv(): first into \p direct (the remainder of a payload whose final place
 * is known, so it is copied only once), then into the free space of \p rb.
 *
 * \param sock Socket.
 * \param rb Receive buffer (compacted first when less than half of it is free: the unconsumed
 *           bytes move to its start). Behind direct iovecs that want at least
 *           rb->after_direct bytes (when set), it takes at most that many.
 * \param direct iovecs for direct placement (may be NULL).
 * \param ndirect Number of them.
 * \param direct_bytes Set to the bytes that landed in \p direct (may be NULL when ndirect is 0).
 * \return Total bytes received (> 0), -EAGAIN, -ECONNRESET, -ENOBUFS when \p rb is full and
 *         no direct iovec has room, or another negative errno.
 */
ssize_t nvtcp_sock_recv_rxbuf(struct nvtcp_sock *sock, struct nvtcp_sock_rxbuf *rb,
			      const struct iovec *direct, int ndirect, size_t *direct_bytes);

/* ---- Send --------------------------------------------------------------------------------- */

/** Called when all bytes of a send request have left (status 0) or it failed (-errno). */
typedef void (*nvtcp_sock_req_cb)(void *cb_arg, int status);

/**
 * A queued send. The caller owns it and its iovecs until the callback runs; the data is never
 * copied by nvtcp.
 */
struct nvtcp_sock_request {
	/** iovecs describing the bytes to send, in order. */
	struct iovec *iov;
	/** Number of iovecs. */
	int iovcnt;
	/** Completion callback (may be NULL). */
	nvtcp_sock_req_cb cb;
	/** Its argument. */
	void *cb_arg;
	/* Private to lib/sock. */
	size_t offset;
	TAILQ_ENTRY(nvtcp_sock_request) link;
};

/**
 * Queue a request. It is sent by the next nvtcp_sock_flush() or group poll.
 *
 * \param sock Socket.
 * \param req Request with iov, iovcnt, cb and cb_arg set.
 */
void nvtcp_sock_writev_async(struct nvtcp_sock *sock, struct nvtcp_sock_request *req);

/**
 * Send queued requests with one sendmsg() (up to IOV_MAX iovecs). Requests whose last byte
 * left complete with status 0; a partly sent request keeps its place and resumes exactly where
 * it stopped. On a fatal error every queued request completes with the error, and so does
 * every request queued later (without another system call).
 *
 * Called from a completion callback of the same socket, it returns 0 and sends nothing:
 * requests queued there go with the next flush, so that completions stay in order.
 *
 * \param sock Socket.
 * \return Bytes sent (0 when the kernel took nothing, or nothing was queued), or a negative
 *         errno (the connection is unusable).
 */
ssize_t nvtcp_sock_flush(struct nvtcp_sock *sock);

/**
 * Whether send requests are queued.
 *
 * \param sock Socket.
 */
bool nvtcp_sock_has_pending_sends(const struct nvtcp_sock *sock);

/**
 * Counters of one socket since it was created.
 */
struct nvtcp_sock_stats {
	uint64_t send_calls;   /**< sendmsg() calls (system calls) */
	uint64_t recv_calls;   /**< readv() calls */
	uint64_t bytes_sent;   /**< bytes taken by the kernel */
	uint64_t bytes_recv;   /**< bytes received */
	uint64_t partial_sends; /**< sends that did not take all queued bytes */
	/** Sends made as io_uring entries by an io_uring group (no system call of their own:
	 *  they leave with the group's io_uring_enter(), see nvtcp_sock_group_get_syscalls()). */
	uint64_t ring_sends;
};

/**
 * Copy a socket's counters.
 *
 * \param sock Socket.
 * \param stats Filled in.
 */
void nvtcp_sock_get_stats(const struct nvtcp_sock *sock, struct nvtcp_sock_stats *stats);

/* ---- Groups ------------------------------------------------------------------------------- */

/**
 * How a socket group does its I/O.
 *
 * - posix: one epoll_wait() per poll, one readv() per read and one sendmsg() per flushed
 *   socket.
 * - uring: one io_uring per group. Each socket has a multishot poll armed once, so that an idle
 *   socket costs nothing per poll and finding readable sockets costs no system call unless
 *   something arrived; the sends of all sockets flushed by a poll leave with one
 *   io_uring_enter(); reads are still one readv() each, straight into the caller's buffers.
 */
enum nvtcp_sock_impl {
	/** The process default (nvtcp_sock_set_default_impl(), else $NVTCP_SOCK_IMPL, else posix). */
	NVTCP_SOCK_IMPL_DEFAULT = 0,
	NVTCP_SOCK_IMPL_POSIX,
	NVTCP_SOCK_IMPL_URING,
};

/**
 * Parse an implementation name ("posix", "uring").
 *
 * \param name Name.
 * \param impl Set on success.
 * \return 0, or -EINVAL for an unknown name.
 */
int nvtcp_sock_impl_parse(const char *name, enum nvtcp_sock_impl *impl);

/**
 * Name of an implementation ("posix", "uring"; "default" for NVTCP_SOCK_IMPL_DEFAULT).
 */
const char *nvtcp_sock_impl_name(enum nvtcp_sock_impl impl);

/**
 * Set the process default used by groups created with NVTCP_SOCK_IMPL_DEFAULT (and by
 * nvtcp_sock_group_create()). Call before creating groups, from one thread.
 *
 * \param impl Implementation; NVTCP_SOCK_IMPL_DEFAULT goes back to $NVTCP_SOCK_IMPL / posix.
 */
void nvtcp_sock_set_default_impl(enum nvtcp_sock_impl impl);

/**
 * The process default: what nvtcp_sock_set_default_impl() set, else the environment variable
 * NVTCP_SOCK_IMPL ("posix" or "uring"), else posix.
 *
 * \return NVTCP_SOCK_IMPL_POSIX or NVTCP_SOCK_IMPL_URING; -EINVAL (as an int) when
 *         NVTCP_SOCK_IMPL holds an unknown name (logged, naming the variable).
 */
int nvtcp_sock_get_default_impl(void);

/** Called from nvtcp_sock_group_poll() when a socket may be readable, or has failed. */
typedef void (*nvtcp_sock_cb)(void *cb_arg, struct nvtcp_sock_group *group, struct nvtcp_sock *sock);

/**
 * Create a group: one epoll instance polling many sockets with one system call.
 *
 * \return The group, or NULL (errno set).
 */
struct nvtcp_sock_group *nvtcp_sock_group_create(void);

/**
 * Create a group on a given implementation (see enum nvtcp_sock_impl).
 *
 * \param impl Implementation, or NVTCP_SOCK_IMPL_DEFAULT.
 * \return The group, or NULL (errno set: EINVAL for a bad name in NVTCP_SOCK_IMPL, or why
 *         io_uring could not be set up).
 */
struct nvtcp_sock_group *nvtcp_sock_group_create_impl(enum nvtcp_sock_impl impl);

/**
 * System calls a group made itself since it was created: epoll_wait() (posix) or
 * io_uring_enter() (uring). The sockets' own reads and sendmsg() calls are in their stats.
 *
 * \param group Group.
 */
uint64_t nvtcp_sock_group_get_syscalls(const struct nvtcp_sock_group *group);

/**
 * Implementation of a group (NVTCP_SOCK_IMPL_POSIX or NVTCP_SOCK_IMPL_URING).
 */
enum nvtcp_sock_impl nvtcp_sock_group_get_impl(const struct nvtcp_sock_group *group);

/**
 * Add a socket to a group. A socket is in at most one group.
 *
 * \param group Group.
 * \param sock Socket.
 * \param cb Called when the socket may be readable (it must tolerate -EAGAIN from a read).
 * \param cb_arg Its argument.
 * \return 0 or a negative errno (-EBUSY when the socket is already in a group, -EINVAL without
 *         a callback).
 */
int nvtcp_sock_group_add(struct nvtcp_sock_group *group, struct nvtcp_sock *sock,
			 nvtcp_sock_cb cb, void *cb_arg);

/**
 * Remove a socket from its group (also safe from inside a callback of that group).
 *
 * \param group Group.
 * \param sock Socket.
 * \return 0, or -ENOENT when the socket is not in the group.
 */
int nvtcp_sock_group_remove(struct nvtcp_sock_group *group, struct nvtcp_sock *sock);

/**
 * One poll: one epoll_wait() with no timeout, the callbacks of the sockets that have events
 * (at most \p max_events), then one flush of every socket with queued sends.
 *
 * A socket removed or closed by a callback gets no callback afterwards, in this poll or later.
 * When only one socket with a descriptor is in the group, the poll skips epoll_wait() and
 * calls its callback every time (one system call less per I/O at queue depth 1); sockets
 * without a descriptor (other implementations) are called every time as well.
 *
 * \param group Group.
 * \param max_events Upper bound of sockets handled (0 = default 128; at most 1024).
 * \return Number of callbacks made, or a negative errno (-EBUSY when called from one of the
 *         group's own callbacks).
 */
int nvtcp_sock_group_poll(struct nvtcp_sock_group *group, int max_events);

/**
 * Destroy an empty group. Sets \p *group to NULL.
 *
 * \param group Group handle.
 * \return 0, or -EBUSY when sockets are still in it (or it is being polled).
 */
int nvtcp_sock_group_destroy(struct nvtcp_sock_group **group);

/**
 * Mark a member socket as low-rate (cold) or not. A group whose descriptor-backed sockets are
 * at most one hot socket plus cold ones calls the hot socket's callback directly on every poll
 * (no epoll_wait()), and asks epoll about all of them only every
 * NVTCP_SOCK_GROUP_COLD_PERIOD polls. Meant for connections with rare traffic beside a busy
 * one, such as an NVMe admin queue (keep-alives) beside its I/O queue: a cold socket's data
 * waits at most that many polls, and the busy one saves a system call per poll.
 *
 * \param group The socket's group.
 * \param sock Member socket.
 * \param cold true: low-rate; false: polled as usual.
 * \return 0, or -ENOENT when \p sock is not in \p group.
 */
int nvtcp_sock_group_set_cold(struct nvtcp_sock_group *group, struct nvtcp_sock *sock, bool cold);

/** Polls between two epoll_wait() calls of a group of one hot socket and cold ones. */
#define NVTCP_SOCK_GROUP_COLD_PERIOD 64

/**
 * Number of sockets in a group.
 */
size_t nvtcp_sock_group_count(const struct nvtcp_sock_group *group);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_SOCK_H */
