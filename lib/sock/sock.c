/*
 * Socket life cycle and the posix implementation: address parsing, non-blocking connect with
 * a deadline, listen, accept, options, close, addresses and statistics.
 *
 * Nothing here runs on the I/O path except the posix readv/writev ops, which are one system
 * call each.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/log.h"
#include "nvtcp/util.h"
#include "sock_internal.h"

/* ---- Generic socket ----------------------------------------------------------------------- */

void
nvtcp_sock_opts_init(struct nvtcp_sock_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->nodelay = true;
	opts->connect_timeout_ms = 10000;
	opts->backlog = 512;
}

struct nvtcp_sock *
nvtcp_sock_create_ops(const struct nvtcp_sock_ops *ops, void *ctx)
{
	struct nvtcp_sock *sock = calloc(1, sizeof(*sock));

	if (sock == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	sock->ops = ops;
	sock->ctx = ctx;
	sock->fd = -1;
	sock->ring_idx = UINT32_MAX;
	sock->state = NVTCP_SOCK_STATE_CONNECTED;
	TAILQ_INIT(&sock->queued);
	nvtcp_sock_opts_init(&sock->opts);
	snprintf(sock->name, sizeof(sock->name), "%s", ops->name != NULL ? ops->name : "sock");
	return sock;
}

void
nvtcp_sock_release(struct nvtcp_sock *sock)
{
	assert(sock->refs > 0);
	if (--sock->refs > 0 || !sock->closed) {
		return;
	}
	if (!TAILQ_EMPTY(&sock->queued)) {
		/* Callbacks queued requests on the closed socket: they complete exactly once
		 * too. nvtcp_sock_complete_all() holds a reference and comes back here. */
		nvtcp_sock_complete_all(sock, -ECANCELED);
		return;
	}
	free(sock);
}

void
nvtcp_sock_close(struct nvtcp_sock **psock)
{
	struct nvtcp_sock *sock;

	if (psock == NULL || *psock == NULL) {
		return;
	}
	sock = *psock;
	*psock = NULL;
	if (sock->closed) {
		/* Closed again from a callback of its own close or flush: already done. */
		return;
	}
	sock->closed = true;
	nvtcp_sock_hold(sock);
	if (sock->group != NULL) {
		nvtcp_sock_group_remove(sock->group, sock);
	}
	nvtcp_sock_complete_all(sock, -ECANCELED);
	sock->ops->close(sock);
	sock->fd = -1;
	nvtcp_sock_release(sock);
}

void
nvtcp_sock_get_stats(const struct nvtcp_sock *sock, struct nvtcp_sock_stats *stats)
{
	*stats = sock->stats;
}

static int
format_addr(const struct sockaddr_storage *ss, char *addr, uint16_t *port, size_t len)
{
	socklen_t salen;
	int rc;

	switch (ss->ss_family) {
	case AF_INET:
		salen = sizeof(struct sockaddr_in);
		if (port != NULL) {
			*port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
		}
		break;
	case AF_INET6:
		salen = sizeof(struct sockaddr_in6);
		if (port != NULL) {
			*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
		}
		break;
	default:
		return -EAFNOSUPPORT;
	}
	if (addr == NULL) {
		return 0;
	}
	if (len == 0) {
		return -ENOSPC;
	}
	rc = getnameinfo((const struct sockaddr *)ss, salen, addr, len, NULL, 0, NI_NUMERICHOST);
	if (rc == EAI_OVERFLOW) {
		return -ENOSPC;
	}
	if (rc != 0) {
		return rc == EAI_SYSTEM ? -errno : -EINVAL;
	}
	return 0;
}

int
nvtcp_sock_getaddr(struct nvtcp_sock *sock, char *laddr, uint16_t *lport, char *raddr,
		   uint16_t *rport, size_t len)
{
	struct sockaddr_storage local, peer;
	bool want_local = laddr != NULL || lport != NULL;
	bool want_peer = raddr != NULL || rport != NULL;
	int rc;

	if (sock == NULL || sock->closed) {
		return -EBADF;
	}
	memset(&local, 0, sizeof(local));
	memset(&peer, 0, sizeof(peer));
	rc = sock->ops->getaddr(sock, want_local ? &local : NULL, want_peer ? &peer : NULL);
	if (rc != 0) {
		return rc;
	}
	if (want_local) {
		rc = format_addr(&local, laddr, lport, len);
		if (rc != 0) {
			return rc;
		}
	}
	if (want_peer) {
		rc = format_addr(&peer, raddr, rport, len);
	}
	return rc;
}

/* ---- Posix implementation ----------------------------------------------------------------- */

static ssize_t
posix_readv(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt)
{
	ssize_t n = readv(sock->fd, iov, iovcnt);

	if (nvtcp_likely(n > 0)) {
		return n;
	}
	if (n == 0) {
		/* 0 is end of stream, unless the caller asked for nothing at all. */
		return nvtcp_sock_iov_len(iov, iovcnt) == 0 ? -EINVAL : -ECONNRESET;
	}
	switch (errno) {
	case EAGAIN:
	case EINTR:
		return -EAGAIN;
	case EPIPE:
		return -ECONNRESET;
	default:
		return -errno;
	}
}

static ssize_t
posix_writev(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = {
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = (size_t)iovcnt,
	};
	ssize_t n;

	n = sendmsg(sock->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n >= 0) {
		return n;
	}
	if (errno == EAGAIN || errno == EINTR) {
		return 0;
	}
	return -errno;
}

static int
posix_getaddr(struct nvtcp_sock *sock, struct sockaddr_storage *local,
	      struct sockaddr_storage *peer)
{
	socklen_t len;

	if (local != NULL) {
		len = sizeof(*local);
		if (getsockname(sock->fd, (struct sockaddr *)local, &len) != 0) {
			return -errno;
		}
	}
	if (peer != NULL) {
		len = sizeof(*peer);
		if (getpeername(sock->fd, (struct sockaddr *)peer, &len) != 0) {
			return -errno;
		}
	}
	return 0;
}

static void
posix_close(struct nvtcp_sock *sock)
{
	if (sock->fd >= 0) {
		close(sock->fd);
		sock->fd = -1;
	}
}

static const struct nvtcp_sock_ops g_posix_ops = {
	.name = "posix",
	.has_fd = true,
	.readv = posix_readv,
	.writev = posix_writev,
	.getaddr = posix_getaddr,
	.close = posix_close,
	.ring_send = true,
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Strictly a decimal port: digits only, no sign, at most 65535. */
static int
parse_port(const char *svc, bool allow_zero, uint16_t *port)
{
	unsigned long val = 0;
	size_t i;

	if (svc == NULL || svc[0] == '\0') {
		return -EINVAL;
	}
	for (i = 0; svc[i] != '\0'; i++) {
		if (!isdigit((unsigned char)svc[i]) || i >= 5) {
			return -EINVAL;
		}
		val = val * 10 + (unsigned long)(svc[i] - '0');
	}
	if (val > 65535 || (val == 0 && !allow_zero)) {
		return -EINVAL;
	}
	*port = (uint16_t)val;
	return 0;
}

static int
gai_to_errno(int rc)
{
	switch (rc) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
	case EAI_FAIL:
		return -EHOSTUNREACH;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_FAMILY:
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		return -EAFNOSUPPORT;
	case EAI_SYSTEM:
		return errno != 0 ? -errno : -EIO;
	default:
		return -EINVAL;
	}
}

/*
 * Whether a would-be host name is really a number: a legacy IPv4 form that inet_aton()
 * accepts ("0x7f.0.0.1", "2130706433") and getaddrinfo() would silently turn into an
 * address, or a name whose last label is all digits, which no host name has (RFC 1123).
 */
static bool
numeric_like(const char *host)
{
	struct in_addr in;
	const char *label = strrchr(host, '.');

	if (inet_aton(host, &in) != 0) {
		return true;
	}
	label = label != NULL ? label + 1 : host;
	if (*label == '\0') {
		return false;
	}
	for (; *label != '\0'; label++) {
		if (!isdigit((unsigned char)*label)) {
			return false;
		}
	}
	return true;
}

/* RFC 1123 host name: dot-separated labels of 1..63 letters, digits, '-' (not at either end)
 * or '_' (seen in practice), at most 253 characters, optionally ending in a dot, and not a
 * number. */
static bool
valid_hostname(const char *host)
{
	size_t len = strlen(host), label = 0;

	if (len == 0 || len > 254 || (len == 254 && host[253] != '.') || numeric_like(host)) {
		return false;
	}
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)host[i];

		if (c == '.' || c == '\0') {
			if (label == 0) {
				/* Empty label: only the root after a final dot. */
				if (!(c == '\0' && i > 0)) {
					return false;
				}
			} else if (host[i - 1] == '-' || label > 63) {
				return false;
			}
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_') {
			return false;
		}
		if (label == 0 && c == '-') {
			return false;
		}
		label++;
	}
	return true;
}

/*
 * Resolve an address and port. Numeric addresses never cause a lookup: an IPv6 literal (with or
 * without brackets, optionally with a %scope) and a dotted IPv4 address must parse, or the
 * address is invalid. Anything else must look like a host name before it is looked up, so that
 * garbage gets -EINVAL at once rather than a slow, failing DNS query.
 */
static int
resolve(const char *addr, const char *svc, bool passive, struct addrinfo **res)
{
	char host[NI_MAXHOST];
	char port_str[8];
	struct addrinfo hints;
	size_t len;
	uint16_t port;
	bool v6 = false, v4 = true;
	int rc;

	rc = parse_port(svc, passive, &port);
	if (rc != 0) {
		NVTCP_ERRLOG("invalid port '%s' (a number in 1..65535%s)\n", svc ? svc : "(null)",
			     passive ? ", or 0" : "");
		return rc;
	}
	if (addr == NULL || addr[0] == '\0') {
		NVTCP_ERRLOG("missing address\n");
		return -EINVAL;
	}
	len = strlen(addr);
	if (addr[0] == '[') {
		if (len < 3 || addr[len - 1] != ']' || len - 2 >= sizeof(host)) {
			NVTCP_ERRLOG("invalid address '%s'\n", addr);
			return -EINVAL;
		}
		memcpy(host, addr + 1, len - 2);
		host[len - 2] = '\0';
		if (strchr(host, ':') == NULL) {
			/* Brackets only enclose IPv6 literals. */
			NVTCP_ERRLOG("invalid address '%s': brackets need an IPv6 address\n", addr);
			return -EINVAL;
		}
	} else {
		if (len >= sizeof(host)) {
			NVTCP_ERRLOG("invalid address: %zu characters\n", len);
			return -EINVAL;
		}
		memcpy(host, addr, len + 1);
	}

	for (const char *p = host; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ':') {
			v6 = true;
		}
		if (!isdigit(c) && c != '.') {
			v4 = false;
		}
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	if (v6) {
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else if (v4) {
		struct in_addr in;

		/* inet_pton, unlike getaddrinfo, refuses the legacy forms "1.2.3" and "0x7f.1". */
		if (inet_pton(AF_INET, host, &in) != 1) {
			NVTCP_ERRLOG("invalid IPv4 address '%s'\n", addr);
			return -EINVAL;
		}
		hints.ai_family = AF_INET;
		hints.ai_flags |= AI_NUMERICHOST;
	} else if (valid_hostname(host)) {
		hints.ai_family = AF_UNSPEC;
	} else {
		NVTCP_ERRLOG("invalid address '%s'\n", addr);
		return -EINVAL;
	}

	snprintf(port_str, sizeof(port_str), "%u", port);
	rc = getaddrinfo(host, port_str, &hints, res);
	if (rc != 0) {
		int err = (hints.ai_flags & AI_NUMERICHOST) ? -EINVAL : gai_to_errno(rc);

		NVTCP_ERRLOG("cannot resolve '%s' port %s: %s\n", addr, port_str,
			     gai_strerror(rc));
		return err;
	}
	return 0;
}

static int
validate_opts(const struct nvtcp_sock_opts *opts)
{
	if (opts->sndbuf < 0) {
		NVTCP_ERRLOG("invalid socket option sndbuf=%d\n", opts->sndbuf);
		return -EINVAL;
	}
	if (opts->rcvbuf < 0) {
		NVTCP_ERRLOG("invalid socket option rcvbuf=%d\n", opts->rcvbuf);
		return -EINVAL;
	}
	if (opts->busy_poll_us > INT_MAX) {
		NVTCP_ERRLOG("invalid socket option busy_poll_us=%u\n", opts->busy_poll_us);
		return -EINVAL;
	}
	if (opts->user_timeout_ms > INT_MAX) {
		NVTCP_ERRLOG("invalid socket option user_timeout_ms=%u\n", opts->user_timeout_ms);
		return -EINVAL;
	}
	if (opts->backlog < 0) {
		NVTCP_ERRLOG("invalid socket option backlog=%d\n", opts->backlog);
		return -EINVAL;
	}
	return 0;
}

static int
set_int(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) != 0) {
		int err = -errno;

		NVTCP_ERRLOG("setsockopt(%s=%d) failed: %s\n", what, val, strerror(-err));
		return err;
	}
	return 0;
}

/* Options are applied before connect/listen: the buffer sizes decide the window scale. */
static int
apply_opts(int fd, const struct nvtcp_sock_opts *opts)
{
	int rc;

	if (opts->nodelay) {
		rc = set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
		if (rc != 0) {
			return rc;
		}
	}
	if (opts->sndbuf > 0) {
		rc = set_int(fd, SOL_SOCKET, SO_SNDBUF, opts->sndbuf, "SO_SNDBUF");
		if (rc != 0) {
			return rc;
		}
	}
	if (opts->rcvbuf > 0) {
		rc = set_int(fd, SOL_SOCKET, SO_RCVBUF, opts->rcvbuf, "SO_RCVBUF");
		if (rc != 0) {
			return rc;
		}
	}
	if (opts->busy_poll_us > 0) {
		int val = (int)opts->busy_poll_us;

		/* Raising SO_BUSY_POLL needs CAP_NET_ADMIN; busy polling only lowers latency,
		 * so without the capability the socket still works and we only warn. */
		if (setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &val, sizeof(val)) != 0) {
			if (errno != EPERM) {
				rc = -errno;
				NVTCP_ERRLOG("setsockopt(SO_BUSY_POLL=%d) failed: %s\n", val,
					     strerror(errno));
				return rc;
			}
			NVTCP_WARNLOG("SO_BUSY_POLL=%d not permitted (needs CAP_NET_ADMIN); "
				      "continuing without busy polling\n", val);
		}
	}
	if (opts->user_timeout_ms > 0) {
		rc = set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, (int)opts->user_timeout_ms,
			     "TCP_USER_TIMEOUT");
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

static struct nvtcp_sock *
posix_create(int fd, enum nvtcp_sock_state state, const struct nvtcp_sock_opts *opts,
	     const char *addr, const char *svc)
{
	struct nvtcp_sock *sock = nvtcp_sock_create_ops(&g_posix_ops, NULL);

	if (sock == NULL) {
		return NULL;
	}
	sock->fd = fd;
	sock->state = state;
	sock->opts = *opts;
	if (addr != NULL) {
		bool bracket = strchr(addr, ':') != NULL && addr[0] != '[';

		snprintf(sock->name, sizeof(sock->name), "%s%.48s%s:%s", bracket ? "[" : "", addr,
			 bracket ? "]" : "", svc);
	}
	return sock;
}

/*
 * Start a non-blocking connect to the addresses from \p ai on, trying the next one when a
 * connect fails at once (e.g. no route for IPv6). Sets \p *next to the address after the one
 * in flight, so that a caller that waits can go on with it when this one fails later.
 */
static struct nvtcp_sock *
connect_start(const struct addrinfo *ai, const struct addrinfo **next,
	      const struct nvtcp_sock_opts *opts, uint64_t deadline_ns, const char *addr,
	      const char *svc, int *rc)
{
	enum nvtcp_sock_state state = NVTCP_SOCK_STATE_CONNECTING;
	struct nvtcp_sock *sock;
	int fd = -1, err = -EHOSTUNREACH;

	for (; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		err = apply_opts(fd, opts);
		if (err != 0) {
			/* Not specific to the address: give up. */
			close(fd);
			fd = -1;
			ai = NULL;
			break;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			state = NVTCP_SOCK_STATE_CONNECTED;
			break;
		}
		if (errno == EINPROGRESS) {
			break;
		}
		err = -errno;
		close(fd);
		fd = -1;
	}
	*next = ai != NULL ? ai->ai_next : NULL;
	if (fd < 0) {
		NVTCP_INFOLOG("connect to %s port %s failed: %s\n", addr, svc, strerror(-err));
		*rc = err;
		return NULL;
	}
	sock = posix_create(fd, state, opts, addr, svc);
	if (sock == NULL) {
		close(fd);
		*rc = -ENOMEM;
		return NULL;
	}
	sock->connect_deadline_ns = deadline_ns;
	*rc = 0;
	return sock;
}

/* Options and address of a connect; the deadline counts from here. */
static int
connect_prepare(const char *addr, const char *svc, const struct nvtcp_sock_opts **opts,
		struct nvtcp_sock_opts *defaults, struct addrinfo **res, uint64_t *deadline_ns)
{
	int err;

	if (*opts == NULL) {
		nvtcp_sock_opts_init(defaults);
		*opts = defaults;
	}
	*deadline_ns = 0;
	if ((*opts)->connect_timeout_ms > 0) {
		*deadline_ns = now_ns() + (uint64_t)(*opts)->connect_timeout_ms * 1000000ull;
	}
	err = validate_opts(*opts);
	if (err != 0) {
		return err;
	}
	return resolve(addr, svc, false, res);
}

struct nvtcp_sock *
nvtcp_sock_connect_async(const char *addr, const char *svc, const struct nvtcp_sock_opts *opts,
			 int *rc)
{
	struct nvtcp_sock_opts defaults;
	const struct addrinfo *next;
	struct addrinfo *res = NULL;
	struct nvtcp_sock *sock;
	uint64_t deadline_ns;

	/* A connect that fails later (refused, timed out) is reported by
	 * nvtcp_sock_connect_poll(); it does not move on to another address of a host name. */
	*rc = connect_prepare(addr, svc, &opts, &defaults, &res, &deadline_ns);
	if (*rc != 0) {
		return NULL;
	}
	sock = connect_start(res, &next, opts, deadline_ns, addr, svc, rc);
	freeaddrinfo(res);
	return sock;
}

static int
connect_fail(struct nvtcp_sock *sock, int err)
{
	sock->state = NVTCP_SOCK_STATE_FAILED;
	sock->connect_error = err;
	if (err == -ETIMEDOUT) {
		/* Abort the attempt, so that a late SYN-ACK cannot connect a socket that its
		 * owner has already given up on (AF_UNSPEC disconnects a TCP socket). */
		struct sockaddr sa = {.sa_family = AF_UNSPEC};

		(void)connect(sock->fd, &sa, sizeof(sa));
	}
	NVTCP_INFOLOG("connect to %s failed: %s\n", sock->name, strerror(-err));
	return err;
}

int
nvtcp_sock_connect_poll(struct nvtcp_sock *sock)
{
	struct pollfd pfd;
	int n;

	switch (sock->state) {
	case NVTCP_SOCK_STATE_CONNECTED:
		return 0;
	case NVTCP_SOCK_STATE_FAILED:
		return sock->connect_error;
	case NVTCP_SOCK_STATE_LISTENING:
		return -EINVAL;
	case NVTCP_SOCK_STATE_CONNECTING:
		break;
	}

	/* A zero-timeout poll: one system call, never waits. */
	pfd.fd = sock->fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	n = poll(&pfd, 1, 0);
	if (n < 0 && errno != EINTR) {
		return connect_fail(sock, -errno);
	}
	if (n > 0) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if (getsockopt(sock->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) {
			soerr = errno;
		}
		if (soerr != 0) {
			return connect_fail(sock, -soerr);
		}
		if (pfd.revents & (POLLERR | POLLHUP)) {
			return connect_fail(sock, -ECONNRESET);
		}
		if (pfd.revents & POLLOUT) {
			sock->state = NVTCP_SOCK_STATE_CONNECTED;
			return 0;
		}
	}
	if (sock->connect_deadline_ns != 0 && now_ns() >= sock->connect_deadline_ns) {
		return connect_fail(sock, -ETIMEDOUT);
	}
	return -EINPROGRESS;
}

/* Wait with poll(2) until the connect is decided or its deadline has passed. */
static int
connect_wait(struct nvtcp_sock *sock)
{
	int err;

	while ((err = nvtcp_sock_connect_poll(sock)) == -EINPROGRESS) {
		struct pollfd pfd = {.fd = sock->fd, .events = POLLOUT};
		int wait_ms = -1;

		if (sock->connect_deadline_ns != 0) {
			uint64_t now = now_ns();
			uint64_t left = sock->connect_deadline_ns > now ?
					sock->connect_deadline_ns - now : 0;

			/* Round up, so that the deadline has passed when poll() returns. */
			wait_ms = (int)((left + 999999) / 1000000);
		}
		(void)poll(&pfd, 1, wait_ms);
	}
	return err;
}

struct nvtcp_sock *
nvtcp_sock_connect(const char *addr, const char *svc, const struct nvtcp_sock_opts *opts,
		   int *rc)
{
	struct nvtcp_sock_opts defaults;
	const struct addrinfo *ai, *next;
	struct addrinfo *res = NULL;
	struct nvtcp_sock *sock = NULL;
	uint64_t deadline_ns;
	int err;

	err = connect_prepare(addr, svc, &opts, &defaults, &res, &deadline_ns);
	if (err != 0) {
		*rc = err;
		return NULL;
	}
	/* A host name may have several addresses ("localhost": ::1 and 127.0.0.1): go on with
	 * the next one when one is refused or unreachable, all within the one deadline. */
	for (ai = res; ai != NULL; ai = next) {
		sock = connect_start(ai, &next, opts, deadline_ns, addr, svc, &err);
		if (sock == NULL) {
			break;
		}
		err = connect_wait(sock);
		if (err == 0) {
			break;
		}
		nvtcp_sock_close(&sock);
		if (err == -ETIMEDOUT) {
			break;
		}
	}
	freeaddrinfo(res);
	*rc = err;
	return sock;
}

struct nvtcp_sock *
nvtcp_sock_listen(const char *addr, const char *svc, const struct nvtcp_sock_opts *opts, int *rc)
{
	struct nvtcp_sock_opts defaults;
	struct addrinfo *res = NULL, *ai;
	struct nvtcp_sock *sock;
	int fd = -1, err;

	if (opts == NULL) {
		nvtcp_sock_opts_init(&defaults);
		opts = &defaults;
	}
	err = validate_opts(opts);
	if (err == 0) {
		err = resolve(addr, svc, true, &res);
	}
	if (err != 0) {
		*rc = err;
		return NULL;
	}

	err = -EADDRNOTAVAIL;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		err = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
		if (err == 0) {
			/* Set on the listener, the buffer sizes are inherited by accepted
			 * sockets before their handshake completes. */
			err = apply_opts(fd, opts);
		}
		if (err == 0 && bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			err = -errno;
		}
		if (err == 0 && listen(fd, opts->backlog) != 0) {
			err = -errno;
		}
		if (err == 0) {
			break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		NVTCP_ERRLOG("cannot listen on %s port %s: %s\n", addr, svc, strerror(-err));
		*rc = err;
		return NULL;
	}
	sock = posix_create(fd, NVTCP_SOCK_STATE_LISTENING, opts, addr, svc);
	if (sock == NULL) {
		close(fd);
		*rc = -ENOMEM;
		return NULL;
	}
	*rc = 0;
	return sock;
}

struct nvtcp_sock *
nvtcp_sock_accept(struct nvtcp_sock *lsock, int *rc)
{
	struct nvtcp_sock *sock;
	int fd, err;

	if (lsock == NULL || lsock->state != NVTCP_SOCK_STATE_LISTENING || lsock->closed) {
		*rc = -EINVAL;
		return NULL;
	}
	fd = accept4(lsock->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		*rc = (errno == EAGAIN || errno == EINTR) ? -EAGAIN : -errno;
		return NULL;
	}
	/* Linux does not hand every option of the listener down (TCP_USER_TIMEOUT,
	 * SO_BUSY_POLL): set them all again. */
	err = apply_opts(fd, &lsock->opts);
	if (err != 0) {
		close(fd);
		*rc = err;
		return NULL;
	}
	sock = posix_create(fd, NVTCP_SOCK_STATE_CONNECTED, &lsock->opts, NULL, NULL);
	if (sock == NULL) {
		close(fd);
		*rc = -ENOMEM;
		return NULL;
	}
	snprintf(sock->name, sizeof(sock->name), "accepted@%.56s", lsock->name);
	*rc = 0;
	return sock;
}
