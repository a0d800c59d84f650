/*
 * Unit tests of lib/sock/sock_recv.c: readv, the receive buffer (compaction, direct placement
 * plus buffer in one readv), -EAGAIN, peer close and reset, and the fake socket's chunking.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fake_sock.h"
#include "sock_ut_common.h"
#include "ut.h"

static void
seq(uint8_t *buf, size_t len, uint8_t first)
{
	for (size_t i = 0; i < len; i++) {
		buf[i] = (uint8_t)(first + i);
	}
}

static void
test_rxbuf_compaction(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t storage[64], in[100], expect[40];
	struct nvtcp_sock_rxbuf rb = {.buf = storage, .size = sizeof(storage)};

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	seq(in, sizeof(in), 0);

	fake_sock_push_rx(fake, in, 60);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, NULL, 0, NULL), 60);
	CU_ASSERT_EQUAL(rb.head, 0);
	CU_ASSERT_EQUAL(rb.tail, 60);
	CU_ASSERT_EQUAL(memcmp(storage, in, 60), 0);

	/* Consume 50; 4 bytes free is short: the 10 unconsumed ones move to the front. */
	rb.head = 50;
	fake_sock_push_rx(fake, in + 60, 30);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, NULL, 0, NULL), 30);
	CU_ASSERT_EQUAL(rb.head, 0);
	CU_ASSERT_EQUAL(rb.tail, 40);
	seq(expect, sizeof(expect), 50);
	CU_ASSERT_EQUAL(memcmp(storage, expect, 40), 0);

	/* Plenty of room (24 of 64 free is short, 34 is not): no copy. */
	rb.head = 10;
	rb.tail = 30;
	fake_sock_push_rx(fake, in, 5);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, NULL, 0, NULL), 5);
	CU_ASSERT_EQUAL(rb.head, 10);
	CU_ASSERT_EQUAL(rb.tail, 35);
	CU_ASSERT_EQUAL(memcmp(storage + 30, in, 5), 0);

	/* All consumed: start over at 0 without moving anything. */
	rb.head = 35;
	fake_sock_push_rx(fake, in, 64);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, NULL, 0, NULL), 64);
	CU_ASSERT_EQUAL(rb.head, 0);
	CU_ASSERT_EQUAL(rb.tail, 64);
	CU_ASSERT_EQUAL(memcmp(storage, in, 64), 0);

	/* Full and nothing consumed: no room, no read. */
	{
		uint64_t calls = fake_sock_read_calls(fake);

		fake_sock_push_rx(fake, in, 1);
		CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, NULL, 0, NULL), -ENOBUFS);
		CU_ASSERT_EQUAL(fake_sock_read_calls(fake), calls);
		CU_ASSERT_EQUAL(fake_sock_rx_pending(fake), 1);
	}
	fake_sock_destroy(&fake);
}

static void
test_direct_plus_rxbuf(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t storage[128], in[100], d1[10], d2[20];
	struct nvtcp_sock_rxbuf rb = {.buf = storage, .size = sizeof(storage)};
	struct iovec direct[3] = {
		{.iov_base = d1, .iov_len = sizeof(d1)},
		{.iov_base = NULL, .iov_len = 0},
		{.iov_base = d2, .iov_len = sizeof(d2)},
	};
	struct nvtcp_sock_stats st;
	size_t dbytes = 12345;
	uint64_t calls;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	seq(in, sizeof(in), 0);

	/* One read fills the direct iovecs, then the buffer. */
	fake_sock_push_rx(fake, in, 100);
	calls = fake_sock_read_calls(fake);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, direct, 3, &dbytes), 100);
	CU_ASSERT_EQUAL(fake_sock_read_calls(fake), calls + 1);
	CU_ASSERT_EQUAL(dbytes, 30);
	CU_ASSERT_EQUAL(memcmp(d1, in, 10), 0);
	CU_ASSERT_EQUAL(memcmp(d2, in + 10, 20), 0);
	CU_ASSERT_EQUAL(rb.head, 0);
	CU_ASSERT_EQUAL(rb.tail, 70);
	CU_ASSERT_EQUAL(memcmp(storage, in + 30, 70), 0);

	/* Fewer bytes than the direct iovecs want: the buffer is untouched. */
	memset(d1, 0, sizeof(d1));
	memset(d2, 0, sizeof(d2));
	fake_sock_push_rx(fake, in, 15);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, direct, 3, &dbytes), 15);
	CU_ASSERT_EQUAL(dbytes, 15);
	CU_ASSERT_EQUAL(memcmp(d1, in, 10), 0);
	CU_ASSERT_EQUAL(memcmp(d2, in + 10, 5), 0);
	CU_ASSERT_EQUAL(rb.tail, 70);

	/* Nothing there: -EAGAIN, and direct_bytes says 0. */
	dbytes = 77;
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, direct, 3, &dbytes), -EAGAIN);
	CU_ASSERT_EQUAL(dbytes, 0);

	/* A full buffer still receives into the direct iovecs. */
	rb.head = 0;
	rb.tail = rb.size;
	fake_sock_push_rx(fake, in, 50);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, direct, 3, &dbytes), 30);
	CU_ASSERT_EQUAL(dbytes, 30);
	CU_ASSERT_EQUAL(fake_sock_rx_pending(fake), 20);

	nvtcp_sock_get_stats(sock, &st);
	CU_ASSERT_EQUAL(st.recv_calls, fake_sock_read_calls(fake));
	CU_ASSERT_EQUAL(st.bytes_recv, 100 + 15 + 30);
	fake_sock_destroy(&fake);
}

/* after_direct caps what the buffer takes behind direct iovecs that want at least that much,
 * and only then. */
static void
test_after_direct(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t storage[128], in[100], d[10];
	struct nvtcp_sock_rxbuf rb = {.buf = storage, .size = sizeof(storage), .after_direct = 8};
	struct iovec direct = {.iov_base = d, .iov_len = sizeof(d)};
	size_t dbytes;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	seq(in, sizeof(in), 0);
	fake_sock_push_rx(fake, in, 100);
	/* 10 direct (>= 8) + at most 8 into the buffer; the rest stays in the socket. */
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, &direct, 1, &dbytes), 18);
	CU_ASSERT_EQUAL(dbytes, 10);
	CU_ASSERT_EQUAL(rb.tail, 8);
	CU_ASSERT_EQUAL(memcmp(d, in, 10), 0);
	CU_ASSERT_EQUAL(memcmp(storage, in + 10, 8), 0);
	CU_ASSERT_EQUAL(fake_sock_rx_pending(fake), 82);
	/* Behind a small remainder (4 < 8) nothing is capped. */
	direct.iov_len = 4;
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, &direct, 1, &dbytes), 82);
	CU_ASSERT_EQUAL(dbytes, 4);
	CU_ASSERT_EQUAL(rb.tail, 86);
	CU_ASSERT_EQUAL(memcmp(d, in + 18, 4), 0);
	CU_ASSERT_EQUAL(memcmp(storage + 8, in + 22, 78), 0);
	/* Without direct iovecs the whole free space is offered. */
	fake_sock_push_rx(fake, in, 30);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, NULL, 0, NULL), 30);
	CU_ASSERT_EQUAL(rb.tail, 116);
	fake_sock_destroy(&fake);
}

static void
test_invalid_args(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t storage[16], d[4];
	struct nvtcp_sock_rxbuf rb = {.buf = storage, .size = sizeof(storage)};
	struct iovec iov = {.iov_base = d, .iov_len = sizeof(d)};

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	CU_ASSERT_EQUAL(nvtcp_sock_readv(sock, &iov, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_sock_readv(sock, &iov, -1), -EINVAL);
	rb.head = 5;
	rb.tail = 4;
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, NULL, 0, NULL), -EINVAL);
	rb.head = 0;
	rb.tail = 17;
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, NULL, 0, NULL), -EINVAL);
	rb.tail = 0;
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, &iov, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, NULL, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, &rb, &iov, -1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(sock, NULL, NULL, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(fake_sock_read_calls(fake), 0);
	fake_sock_destroy(&fake);
}

static void
test_fake_chunking(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t storage[32], in[1000], out[1000];
	struct nvtcp_sock_rxbuf rb = {.buf = storage, .size = sizeof(storage)};
	size_t got = 0;
	int reads = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	ut_fill(in, sizeof(in), 5);

	/* A byte at a time. */
	fake_sock_set_rx_chunk(fake, 1);
	fake_sock_push_rx(fake, in, 10);
	for (int i = 0; i < 10; i++) {
		struct iovec iov = {.iov_base = out + i, .iov_len = 100};

		CU_ASSERT_EQUAL(nvtcp_sock_readv(sock, &iov, 1), 1);
	}
	CU_ASSERT_EQUAL(memcmp(out, in, 10), 0);
	CU_ASSERT_EQUAL(fake_sock_read_calls(fake), 10);

	/* Chunks of 3 through a small buffer that the consumer drains 7 bytes at a time:
	 * compaction keeps the stream intact. */
	fake_sock_set_rx_chunk(fake, 3);
	fake_sock_push_rx(fake, in, sizeof(in));
	while (got < sizeof(in) && reads < 10000) {
		ssize_t n = nvtcp_sock_recv_rxbuf(sock, &rb, NULL, 0, NULL);
		size_t take;

		reads++;
		CU_ASSERT(n == -EAGAIN || (n > 0 && n <= 3));
		take = rb.tail - rb.head < 7 ? rb.tail - rb.head : 7;
		memcpy(out + got, rb.buf + rb.head, take);
		rb.head += take;
		got += take;
		if (n == -EAGAIN && rb.head == rb.tail) {
			break;
		}
	}
	CU_ASSERT_EQUAL(got, sizeof(in));
	CU_ASSERT_EQUAL(memcmp(out, in, sizeof(in)), 0);

	/* An orderly close after the queued bytes, and an injected error. */
	fake_sock_set_rx_chunk(fake, FAKE_SOCK_UNLIMITED);
	fake_sock_push_rx(fake, in, 4);
	fake_sock_rx_close(fake);
	fake_sock_fail_next_read(fake, -ETIMEDOUT);
	{
		struct iovec iov = {.iov_base = out, .iov_len = sizeof(out)};

		CU_ASSERT_EQUAL(nvtcp_sock_readv(sock, &iov, 1), -ETIMEDOUT);
		CU_ASSERT_EQUAL(nvtcp_sock_readv(sock, &iov, 1), 4);
		CU_ASSERT_EQUAL(nvtcp_sock_readv(sock, &iov, 1), -ECONNRESET);
		CU_ASSERT_EQUAL(nvtcp_sock_readv(sock, &iov, 1), -ECONNRESET);
	}
	fake_sock_destroy(&fake);
}

/* ---- Over loopback ------------------------------------------------------------------------ */

static void
send_bytes(struct nvtcp_sock *sock, const void *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1};

	nvtcp_sock_writev_async(sock, &req);
	CU_ASSERT_EQUAL(ut_flush_all(sock), (ssize_t)len);
}

static void
test_posix_recv(void)
{
	struct nvtcp_sock *client, *server;
	uint8_t in[100], storage[256], d[30], zero;
	struct nvtcp_sock_rxbuf rb = {.buf = storage, .size = sizeof(storage)};
	struct iovec direct = {.iov_base = d, .iov_len = sizeof(d)};
	struct iovec empty = {.iov_base = &zero, .iov_len = 0};
	size_t dtotal = 0, dbytes;
	uint64_t end = ut_now_ms() + UT_WAIT_MS;
	ssize_t n;

	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &client, &server, NULL), 0);
	seq(in, sizeof(in), 0);

	/* Nothing sent yet. */
	CU_ASSERT_EQUAL(nvtcp_sock_recv_rxbuf(server, &rb, &direct, 1, &dbytes), -EAGAIN);
	CU_ASSERT_EQUAL(nvtcp_sock_readv(server, &direct, 1), -EAGAIN);
	/* Asking for nothing is a caller bug, not an end of stream. */
	CU_ASSERT_EQUAL(nvtcp_sock_readv(server, &empty, 1), -EINVAL);

	send_bytes(client, in, sizeof(in));
	/* Direct placement of the first 30 bytes, the rest into the buffer. */
	while (dtotal + rb.tail < sizeof(in) && ut_now_ms() < end) {
		struct iovec rest = {.iov_base = d + dtotal, .iov_len = sizeof(d) - dtotal};

		ut_wait_readable(server, 10);
		n = nvtcp_sock_recv_rxbuf(server, &rb, &rest, rest.iov_len > 0 ? 1 : 0, &dbytes);
		CU_ASSERT(n > 0 || n == -EAGAIN);
		if (n > 0) {
			dtotal += dbytes;
		}
	}
	CU_ASSERT_EQUAL(dtotal, 30);
	CU_ASSERT_EQUAL(rb.tail, 70);
	CU_ASSERT_EQUAL(memcmp(d, in, 30), 0);
	CU_ASSERT_EQUAL(memcmp(storage, in + 30, 70), 0);

	/* An orderly close: the bytes still come, then -ECONNRESET, and again. */
	send_bytes(client, in, 10);
	nvtcp_sock_close(&client);
	rb.head = rb.tail = 0;
	end = ut_now_ms() + UT_WAIT_MS;
	do {
		ut_wait_readable(server, 10);
		n = nvtcp_sock_recv_rxbuf(server, &rb, NULL, 0, NULL);
	} while ((n > 0 || n == -EAGAIN) && ut_now_ms() < end);
	CU_ASSERT_EQUAL(n, -ECONNRESET);
	CU_ASSERT_EQUAL(rb.tail, 10);
	CU_ASSERT_EQUAL(memcmp(storage, in, 10), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_readv(server, &direct, 1), -ECONNRESET);
	nvtcp_sock_close(&server);
}

static void
test_posix_reset(void)
{
	struct nvtcp_sock *client, *server;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	uint8_t buf[16];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	uint64_t end = ut_now_ms() + UT_WAIT_MS;
	ssize_t n;

	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &client, &server, NULL), 0);
	/* Linger 0: close sends a reset. */
	CU_ASSERT_EQUAL(setsockopt(client->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	nvtcp_sock_close(&client);
	do {
		ut_wait_readable(server, 10);
		n = nvtcp_sock_readv(server, &iov, 1);
	} while (n == -EAGAIN && ut_now_ms() < end);
	CU_ASSERT_EQUAL(n, -ECONNRESET);
	nvtcp_sock_close(&server);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("sock_recv", NULL, NULL);

	CU_ADD_TEST(s, test_rxbuf_compaction);
	CU_ADD_TEST(s, test_direct_plus_rxbuf);
	CU_ADD_TEST(s, test_after_direct);
	CU_ADD_TEST(s, test_invalid_args);
	CU_ADD_TEST(s, test_fake_chunking);
	CU_ADD_TEST(s, test_posix_recv);
	CU_ADD_TEST(s, test_posix_reset);
}

NVTCP_UT_MAIN(add_tests)
