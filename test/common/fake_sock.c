/*
 * The fake socket of the unit tests (see fake_sock.h): an nvtcp_sock_ops implementation over
 * memory buffers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_sock.h"
#include "sock/sock_internal.h"

struct fake_buf {
	uint8_t *data;
	size_t off; /* first byte not consumed */
	size_t len; /* end of the bytes */
	size_t cap;
};

struct fake_sock {
	struct nvtcp_sock *sock;
	bool closed;

	struct fake_buf rx;
	size_t rx_chunk;
	bool rx_closed;
	int rx_fail_next;
	uint64_t read_calls;

	struct fake_buf tx;
	size_t tx_limit;
	int tx_fail_next;
	uint64_t send_calls;
	int max_send_iovcnt;

	struct sockaddr_storage local;
	struct sockaddr_storage peer;
};

static void
buf_append(struct fake_buf *b, const void *data, size_t len)
{
	if (len == 0) {
		return;
	}
	if (b->off > 0 && b->off == b->len) {
		b->off = 0;
		b->len = 0;
	}
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + len) {
			cap *= 2;
		}
		b->data = realloc(b->data, cap);
		if (b->data == NULL) {
			fprintf(stderr, "fake_sock: out of memory\n");
			abort();
		}
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static ssize_t
fake_readv(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt)
{
	struct fake_sock *fake = sock->ctx;
	size_t avail, n, done = 0;

	fake->read_calls++;
	if (fake->rx_fail_next != 0) {
		int err = fake->rx_fail_next;

		fake->rx_fail_next = 0;
		return err;
	}
	avail = fake->rx.len - fake->rx.off;
	if (avail == 0) {
		return fake->rx_closed ? -ECONNRESET : -EAGAIN;
	}
	n = avail < fake->rx_chunk ? avail : fake->rx_chunk;
	for (int i = 0; i < iovcnt && done < n; i++) {
		size_t c = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;

		memcpy(iov[i].iov_base, fake->rx.data + fake->rx.off + done, c);
		done += c;
	}
	if (done == 0) {
		return -EINVAL;
	}
	fake->rx.off += done;
	return (ssize_t)done;
}

static ssize_t
fake_writev(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt)
{
	struct fake_sock *fake = sock->ctx;
	size_t done = 0;

	fake->send_calls++;
	if (iovcnt > fake->max_send_iovcnt) {
		fake->max_send_iovcnt = iovcnt;
	}
	if (fake->tx_fail_next != 0) {
		int err = fake->tx_fail_next;

		fake->tx_fail_next = 0;
		return err;
	}
	for (int i = 0; i < iovcnt && done < fake->tx_limit; i++) {
		size_t c = iov[i].iov_len < fake->tx_limit - done ? iov[i].iov_len :
			   fake->tx_limit - done;

		buf_append(&fake->tx, iov[i].iov_base, c);
		done += c;
	}
	return (ssize_t)done;
}

static int
fake_getaddr(struct nvtcp_sock *sock, struct sockaddr_storage *local,
	     struct sockaddr_storage *peer)
{
	struct fake_sock *fake = sock->ctx;

	if (local != NULL) {
		*local = fake->local;
	}
	if (peer != NULL) {
		*peer = fake->peer;
	}
	return 0;
}

static void
fake_close(struct nvtcp_sock *sock)
{
	struct fake_sock *fake = sock->ctx;

	fake->closed = true;
	fake->sock = NULL;
}

static const struct nvtcp_sock_ops g_fake_ops = {
	.name = "fake",
	.has_fd = false,
	.readv = fake_readv,
	.writev = fake_writev,
	.getaddr = fake_getaddr,
	.close = fake_close,
};

static int
make_addr(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

struct nvtcp_sock *
fake_sock_create(struct fake_sock **pfake)
{
	struct fake_sock *fake = calloc(1, sizeof(*fake));

	if (fake == NULL) {
		return NULL;
	}
	fake->sock = nvtcp_sock_create_ops(&g_fake_ops, fake);
	if (fake->sock == NULL) {
		free(fake);
		return NULL;
	}
	fake->rx_chunk = FAKE_SOCK_UNLIMITED;
	fake->tx_limit = FAKE_SOCK_UNLIMITED;
	fake_sock_set_addrs(fake, "127.0.0.1", 4420, "127.0.0.1", 50000);
	*pfake = fake;
	return fake->sock;
}

void
fake_sock_destroy(struct fake_sock **pfake)
{
	struct fake_sock *fake;

	if (pfake == NULL || *pfake == NULL) {
		return;
	}
	fake = *pfake;
	if (fake->sock != NULL) {
		struct nvtcp_sock *sock = fake->sock;

		nvtcp_sock_close(&sock);
	}
	free(fake->rx.data);
	free(fake->tx.data);
	free(fake);
	*pfake = NULL;
}

struct nvtcp_sock *
fake_sock_get_sock(struct fake_sock *fake)
{
	return fake->sock;
}

bool
fake_sock_is_closed(const struct fake_sock *fake)
{
	return fake->closed;
}

void
fake_sock_push_rx(struct fake_sock *fake, const void *data, size_t len)
{
	buf_append(&fake->rx, data, len);
}

void
fake_sock_set_rx_chunk(struct fake_sock *fake, size_t n)
{
	fake->rx_chunk = n == 0 ? FAKE_SOCK_UNLIMITED : n;
}

void
fake_sock_rx_close(struct fake_sock *fake)
{
	fake->rx_closed = true;
}

void
fake_sock_fail_next_read(struct fake_sock *fake, int err)
{
	fake->rx_fail_next = err;
}

size_t
fake_sock_rx_pending(const struct fake_sock *fake)
{
	return fake->rx.len - fake->rx.off;
}

const uint8_t *
fake_sock_tx_data(const struct fake_sock *fake, size_t *len)
{
	*len = fake->tx.len - fake->tx.off;
	return fake->tx.data != NULL ? fake->tx.data + fake->tx.off : (const uint8_t *)"";
}

void
fake_sock_tx_consume(struct fake_sock *fake, size_t n)
{
	size_t avail = fake->tx.len - fake->tx.off;

	fake->tx.off += n < avail ? n : avail;
	if (fake->tx.off == fake->tx.len) {
		fake->tx.off = 0;
		fake->tx.len = 0;
	}
}

void
fake_sock_set_tx_limit(struct fake_sock *fake, size_t n)
{
	fake->tx_limit = n;
}

void
fake_sock_fail_next(struct fake_sock *fake, int err)
{
	fake->tx_fail_next = err;
}

uint64_t
fake_sock_read_calls(const struct fake_sock *fake)
{
	return fake->read_calls;
}

uint64_t
fake_sock_send_calls(const struct fake_sock *fake)
{
	return fake->send_calls;
}

int
fake_sock_max_send_iovcnt(const struct fake_sock *fake)
{
	return fake->max_send_iovcnt;
}

int
fake_sock_set_addrs(struct fake_sock *fake, const char *laddr, uint16_t lport, const char *raddr,
		    uint16_t rport)
{
	struct sockaddr_storage local, peer;

	if (make_addr(&local, laddr, lport) != 0 || make_addr(&peer, raddr, rport) != 0) {
		return -EINVAL;
	}
	fake->local = local;
	fake->peer = peer;
	return 0;
}
