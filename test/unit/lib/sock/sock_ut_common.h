/*
 * Helpers shared by the lib/sock unit tests: loopback connection pairs and bounded waits.
 * Every wait here is bounded; a test that runs into a bound fails instead of hanging.
 */
#ifndef SOCK_UT_COMMON_H
#define SOCK_UT_COMMON_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nvtcp/sock.h"
#include "sock/sock_internal.h"

/** Generous bound of every wait in these tests. */
#define UT_WAIT_MS 5000

static inline uint64_t
ut_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/** Wait up to \p ms for \p sock's descriptor to be readable. */
static inline bool
ut_wait_readable(struct nvtcp_sock *sock, int ms)
{
	struct pollfd pfd = {.fd = sock->fd, .events = POLLIN};

	return poll(&pfd, 1, ms) == 1;
}

/** Accept one connection, waiting up to UT_WAIT_MS. */
static inline struct nvtcp_sock *
ut_accept(struct nvtcp_sock *lsock, int *rc)
{
	uint64_t end = ut_now_ms() + UT_WAIT_MS;
	struct nvtcp_sock *sock;

	do {
		sock = nvtcp_sock_accept(lsock, rc);
		if (sock != NULL || *rc != -EAGAIN) {
			return sock;
		}
		ut_wait_readable(lsock, 10);
	} while (ut_now_ms() < end);
	return NULL;
}

/** Wait up to UT_WAIT_MS for an async connect; returns its result. */
static inline int
ut_connect_wait(struct nvtcp_sock *sock)
{
	uint64_t end = ut_now_ms() + UT_WAIT_MS;
	int rc;

	while ((rc = nvtcp_sock_connect_poll(sock)) == -EINPROGRESS && ut_now_ms() < end) {
		struct pollfd pfd = {.fd = sock->fd, .events = POLLOUT};

		poll(&pfd, 1, 10);
	}
	return rc;
}

/**
 * A connected pair over loopback: listen on \p addr port 0, connect, accept.
 *
 * \param laddr Listen address ("127.0.0.1", "::1").
 * \param caddr Connect address ("127.0.0.1", "[::1]"...).
 * \param lsockp Set to the listener if not NULL (else it is closed).
 * \return 0 or the first error.
 */
static inline int
ut_pair(const char *laddr, const char *caddr, const struct nvtcp_sock_opts *opts,
	struct nvtcp_sock **client, struct nvtcp_sock **server, struct nvtcp_sock **lsockp)
{
	struct nvtcp_sock *lsock;
	char port[8];
	uint16_t lport = 0;
	int rc;

	*client = NULL;
	*server = NULL;
	lsock = nvtcp_sock_listen(laddr, "0", opts, &rc);
	if (lsock == NULL) {
		return rc;
	}
	rc = nvtcp_sock_getaddr(lsock, NULL, &lport, NULL, NULL, 0);
	if (rc != 0) {
		goto out;
	}
	snprintf(port, sizeof(port), "%u", lport);
	*client = nvtcp_sock_connect_async(caddr, port, opts, &rc);
	if (*client == NULL) {
		goto out;
	}
	*server = ut_accept(lsock, &rc);
	if (*server == NULL) {
		if (rc == 0) {
			rc = -ETIMEDOUT;
		}
		goto out;
	}
	rc = ut_connect_wait(*client);
out:
	if (rc != 0) {
		nvtcp_sock_close(client);
		nvtcp_sock_close(server);
	}
	if (lsockp != NULL && rc == 0) {
		*lsockp = lsock;
	} else {
		nvtcp_sock_close(&lsock);
	}
	return rc;
}

/** Read exactly \p len bytes into \p buf within UT_WAIT_MS; returns bytes read or an error. */
static inline ssize_t
ut_read_all(struct nvtcp_sock *sock, void *buf, size_t len)
{
	uint64_t end = ut_now_ms() + UT_WAIT_MS;
	size_t got = 0;

	while (got < len) {
		struct iovec iov = {.iov_base = (uint8_t *)buf + got, .iov_len = len - got};
		ssize_t n = nvtcp_sock_readv(sock, &iov, 1);

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n != -EAGAIN) {
			return n;
		}
		if (ut_now_ms() >= end) {
			break;
		}
		ut_wait_readable(sock, 10);
	}
	return (ssize_t)got;
}

/** Flush until nothing is queued, within UT_WAIT_MS; returns the last flush result. */
static inline ssize_t
ut_flush_all(struct nvtcp_sock *sock)
{
	uint64_t end = ut_now_ms() + UT_WAIT_MS;
	ssize_t rc = 0;

	while (nvtcp_sock_has_pending_sends(sock) && ut_now_ms() < end) {
		rc = nvtcp_sock_flush(sock);
		if (rc < 0) {
			return rc;
		}
		if (rc == 0) {
			struct pollfd pfd = {.fd = sock->fd, .events = POLLOUT};

			poll(&pfd, 1, 10);
		}
	}
	return nvtcp_sock_has_pending_sends(sock) ? -ETIMEDOUT : rc;
}

/** A deterministic byte pattern (xorshift), different per seed. */
static inline void
ut_fill(void *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

#endif /* SOCK_UT_COMMON_H */
