/*
 * Unit tests of lib/sock/sock.c: connect (async and blocking), listen, accept, IPv4 and IPv6,
 * errors, options, addresses, close and stats. Everything runs over loopback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_sock.h"
#include "sock_ut_common.h"
#include "ut.h"

static int
getsockopt_int(int fd, int level, int name)
{
	int val = -1;
	socklen_t len = sizeof(val);

	if (getsockopt(fd, level, name, &val, &len) != 0) {
		return -errno;
	}
	return val;
}

static bool
fcntl_flags_ok(int fd)
{
	return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

static void
test_opts_init(void)
{
	struct nvtcp_sock_opts opts;

	memset(&opts, 0xa5, sizeof(opts));
	nvtcp_sock_opts_init(&opts);
	CU_ASSERT_EQUAL(opts.sndbuf, 0);
	CU_ASSERT_EQUAL(opts.rcvbuf, 0);
	CU_ASSERT_TRUE(opts.nodelay);
	CU_ASSERT_EQUAL(opts.busy_poll_us, 0);
	CU_ASSERT_EQUAL(opts.connect_timeout_ms, 10000);
	CU_ASSERT_EQUAL(opts.user_timeout_ms, 0);
	CU_ASSERT_EQUAL(opts.backlog, 512);
}

/* Both directions: client -> server with writev_async/flush, server -> client likewise. */
static void
exchange(struct nvtcp_sock *a, struct nvtcp_sock *b, uint32_t seed)
{
	uint8_t out[3000], in[3000];
	struct iovec iov[3] = {
		{.iov_base = out, .iov_len = 1000},
		{.iov_base = out + 1000, .iov_len = 0},
		{.iov_base = out + 1000, .iov_len = 2000},
	};
	struct nvtcp_sock_request req = {.iov = iov, .iovcnt = 3};

	ut_fill(out, sizeof(out), seed);
	nvtcp_sock_writev_async(a, &req);
	CU_ASSERT_TRUE(nvtcp_sock_has_pending_sends(a));
	CU_ASSERT_EQUAL(ut_flush_all(a), 3000);
	CU_ASSERT_FALSE(nvtcp_sock_has_pending_sends(a));
	memset(in, 0, sizeof(in));
	CU_ASSERT_EQUAL(ut_read_all(b, in, sizeof(in)), (ssize_t)sizeof(in));
	CU_ASSERT_EQUAL(memcmp(in, out, sizeof(in)), 0);
}

static void
loopback(const char *laddr, const char *caddr, const char *expect_addr)
{
	struct nvtcp_sock *client, *server, *lsock;
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	uint16_t lport = 0, rport = 0, listen_port = 0, cport = 0;
	struct nvtcp_sock_stats st;
	int rc;

	rc = ut_pair(laddr, caddr, NULL, &client, &server, &lsock);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(nvtcp_sock_connect_poll(client), 0);
	/* A listener is not something to connect. */
	CU_ASSERT_EQUAL(nvtcp_sock_connect_poll(lsock), -EINVAL);

	exchange(client, server, 1);
	exchange(server, client, 2);

	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(lsock, la, &listen_port, NULL, NULL, sizeof(la)), 0);
	CU_ASSERT_STRING_EQUAL(la, expect_addr);
	CU_ASSERT_NOT_EQUAL(listen_port, 0);

	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(client, la, &cport, ra, &rport, sizeof(la)), 0);
	CU_ASSERT_STRING_EQUAL(la, expect_addr);
	CU_ASSERT_STRING_EQUAL(ra, expect_addr);
	CU_ASSERT_EQUAL(rport, listen_port);
	CU_ASSERT_NOT_EQUAL(cport, 0);

	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(server, la, &lport, ra, &rport, sizeof(la)), 0);
	CU_ASSERT_STRING_EQUAL(la, expect_addr);
	CU_ASSERT_EQUAL(lport, listen_port);
	CU_ASSERT_STRING_EQUAL(ra, expect_addr);
	CU_ASSERT_EQUAL(rport, cport);

	nvtcp_sock_get_stats(client, &st);
	CU_ASSERT_EQUAL(st.bytes_sent, 3000);
	CU_ASSERT_EQUAL(st.bytes_recv, 3000);
	CU_ASSERT(st.send_calls >= 1);
	CU_ASSERT(st.recv_calls >= 1);

	nvtcp_sock_close(&client);
	CU_ASSERT_PTR_NULL(client);
	nvtcp_sock_close(&server);
	nvtcp_sock_close(&lsock);
}

static void
test_loopback_ipv4(void)
{
	loopback("127.0.0.1", "127.0.0.1", "127.0.0.1");
}

static bool
have_ipv6_loopback(void)
{
	struct nvtcp_sock *lsock;
	int rc;

	lsock = nvtcp_sock_listen("::1", "0", NULL, &rc);
	if (lsock == NULL) {
		printf("\n    NOTICE: no IPv6 loopback (::1) on this machine (%s): IPv6 tests "
		       "skipped\n", strerror(-rc));
		return false;
	}
	nvtcp_sock_close(&lsock);
	return true;
}

static void
test_loopback_ipv6(void)
{
	if (!have_ipv6_loopback()) {
		return;
	}
	loopback("::1", "::1", "::1");
	/* Brackets on either side. */
	loopback("[::1]", "[::1]", "::1");
	loopback("::1", "[::1]", "::1");
}

static void
test_blocking_connect(void)
{
	struct nvtcp_sock *lsock, *client, *server;
	struct nvtcp_sock_opts opts;
	char port[8];
	uint16_t lport;
	int rc;

	lsock = nvtcp_sock_listen("127.0.0.1", "0", NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lsock);
	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(lsock, NULL, &lport, NULL, NULL, 0), 0);
	snprintf(port, sizeof(port), "%u", lport);

	nvtcp_sock_opts_init(&opts);
	opts.connect_timeout_ms = 0; /* no deadline: waits for the kernel's answer */
	client = nvtcp_sock_connect("127.0.0.1", port, &opts, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(client);
	CU_ASSERT_EQUAL(client->state, NVTCP_SOCK_STATE_CONNECTED);
	server = ut_accept(lsock, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(server);
	exchange(client, server, 3);

	/* Nothing pending: accept does not block. */
	CU_ASSERT_PTR_NULL(nvtcp_sock_accept(lsock, &rc));
	CU_ASSERT_EQUAL(rc, -EAGAIN);
	/* Accept on a socket that does not listen. */
	CU_ASSERT_PTR_NULL(nvtcp_sock_accept(client, &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);

	nvtcp_sock_close(&client);
	nvtcp_sock_close(&server);

	/* A host name (from /etc/hosts: no network lookup). Whether "localhost" also names ::1
	 * depends on the machine: the blocking connect goes on to the next address when one
	 * is refused. */
	client = nvtcp_sock_connect("localhost", port, NULL, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(client);
	server = ut_accept(lsock, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(server);
	exchange(server, client, 4);
	nvtcp_sock_close(&client);
	nvtcp_sock_close(&server);
	nvtcp_sock_close(&lsock);
}

/* A port that was just free: listen on port 0, note the port, close. */
static uint16_t
free_port(const char *addr)
{
	struct nvtcp_sock *lsock;
	uint16_t port = 0;
	int rc;

	lsock = nvtcp_sock_listen(addr, "0", NULL, &rc);
	if (lsock != NULL) {
		nvtcp_sock_getaddr(lsock, NULL, &port, NULL, NULL, 0);
		nvtcp_sock_close(&lsock);
	}
	return port;
}

static void
test_refused(void)
{
	struct nvtcp_sock *sock;
	char port[8];
	uint16_t p = free_port("127.0.0.1");
	uint64_t start;
	int rc;

	CU_ASSERT_NOT_EQUAL_FATAL(p, 0);
	snprintf(port, sizeof(port), "%u", p);

	start = ut_now_ms();
	sock = nvtcp_sock_connect("127.0.0.1", port, NULL, &rc);
	CU_ASSERT_PTR_NULL(sock);
	CU_ASSERT_EQUAL(rc, -ECONNREFUSED);
	CU_ASSERT(ut_now_ms() - start < UT_WAIT_MS);

	/* The async form reports the same through connect_poll, and keeps reporting it. */
	sock = nvtcp_sock_connect_async("127.0.0.1", port, NULL, &rc);
	if (sock == NULL) {
		/* The kernel may refuse at once on loopback. */
		CU_ASSERT_EQUAL(rc, -ECONNREFUSED);
	} else {
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(ut_connect_wait(sock), -ECONNREFUSED);
		CU_ASSERT_EQUAL(nvtcp_sock_connect_poll(sock), -ECONNREFUSED);
		nvtcp_sock_close(&sock);
	}

	if (have_ipv6_loopback()) {
		p = free_port("::1");
		CU_ASSERT_NOT_EQUAL_FATAL(p, 0);
		snprintf(port, sizeof(port), "%u", p);
		sock = nvtcp_sock_connect("[::1]", port, NULL, &rc);
		CU_ASSERT_PTR_NULL(sock);
		CU_ASSERT_EQUAL(rc, -ECONNREFUSED);
	}
}

/*
 * A listener with backlog 0 whose accept queue is full drops further SYNs, so a connect to it
 * stays pending until our deadline. The first connections may still be queued (how many the
 * kernel takes at backlog 0 is its business), so connect until one times out.
 */
static void
test_connect_timeout(void)
{
	struct nvtcp_sock *lsock, *fillers[8] = {NULL}, *sock;
	struct nvtcp_sock_opts opts;
	char port[8];
	uint16_t lport;
	uint64_t start, elapsed = 0;
	int rc, i, timed_out = 0;

	nvtcp_sock_opts_init(&opts);
	opts.backlog = 0;
	lsock = nvtcp_sock_listen("127.0.0.1", "0", &opts, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lsock);
	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(lsock, NULL, &lport, NULL, NULL, 0), 0);
	snprintf(port, sizeof(port), "%u", lport);

	nvtcp_sock_opts_init(&opts);
	opts.connect_timeout_ms = 300;
	for (i = 0; i < 8; i++) {
		start = ut_now_ms();
		fillers[i] = nvtcp_sock_connect("127.0.0.1", port, &opts, &rc);
		elapsed = ut_now_ms() - start;
		if (fillers[i] == NULL) {
			CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
			timed_out = rc == -ETIMEDOUT;
			break;
		}
	}
	CU_ASSERT_TRUE(timed_out);
	/* Within the bound: not before the timeout, and not much after it. */
	CU_ASSERT(elapsed >= 290);
	CU_ASSERT(elapsed < 3000);

	/* The same through the async interface: pending, then timed out, and it stays so. */
	opts.connect_timeout_ms = 200;
	start = ut_now_ms();
	sock = nvtcp_sock_connect_async("127.0.0.1", port, &opts, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	CU_ASSERT_EQUAL(nvtcp_sock_connect_poll(sock), -EINPROGRESS);
	rc = ut_connect_wait(sock);
	elapsed = ut_now_ms() - start;
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	CU_ASSERT(elapsed >= 190);
	CU_ASSERT(elapsed < 3000);
	CU_ASSERT_EQUAL(nvtcp_sock_connect_poll(sock), -ETIMEDOUT);
	CU_ASSERT_EQUAL(sock->state, NVTCP_SOCK_STATE_FAILED);
	nvtcp_sock_close(&sock);

	for (i = 0; i < 8; i++) {
		nvtcp_sock_close(&fillers[i]);
	}
	nvtcp_sock_close(&lsock);
}

static void
test_bad_address(void)
{
	static const char *const bad_addrs[] = {
		"", "256.1.1.1", "1.2.3", "1.2.3.4.5", "0x7f.0.0.1", "::1::2", "[::1", "::1]",
		"[127.0.0.1]", "[]", "foo bar", "host!name", "fe80::zz", "2130706433",
		"example.123", "a..b.",
	};
	static const char *const bad_ports[] = {"", "abc", "65536", "-1", "+80", "80x", "123456",
						"0"};
	struct nvtcp_sock_opts opts;
	struct nvtcp_sock *sock;
	uint64_t start = ut_now_ms();
	int rc;

	for (size_t i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
		rc = 0;
		sock = nvtcp_sock_connect(bad_addrs[i], "4420", NULL, &rc);
		CU_ASSERT_PTR_NULL(sock);
		if (rc != -EINVAL) {
			printf("\n    connect to address '%s' gave %d\n", bad_addrs[i], rc);
		}
		CU_ASSERT_EQUAL(rc, -EINVAL);
		nvtcp_sock_close(&sock);
		rc = 0;
		sock = nvtcp_sock_listen(bad_addrs[i], "0", NULL, &rc);
		CU_ASSERT_PTR_NULL(sock);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		nvtcp_sock_close(&sock);
	}
	for (size_t i = 0; i < sizeof(bad_ports) / sizeof(bad_ports[0]); i++) {
		rc = 0;
		sock = nvtcp_sock_connect_async("127.0.0.1", bad_ports[i], NULL, &rc);
		CU_ASSERT_PTR_NULL(sock);
		CU_ASSERT_EQUAL(rc, -EINVAL);
	}
	rc = 0;
	CU_ASSERT_PTR_NULL(nvtcp_sock_connect(NULL, "4420", NULL, &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);
	rc = 0;
	CU_ASSERT_PTR_NULL(nvtcp_sock_connect("127.0.0.1", NULL, NULL, &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);

	/* Invalid options name the field and fail before any socket exists. */
	nvtcp_sock_opts_init(&opts);
	opts.sndbuf = -1;
	CU_ASSERT_PTR_NULL(nvtcp_sock_connect("127.0.0.1", "4420", &opts, &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);
	nvtcp_sock_opts_init(&opts);
	opts.backlog = -5;
	CU_ASSERT_PTR_NULL(nvtcp_sock_listen("127.0.0.1", "0", &opts, &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);
	nvtcp_sock_opts_init(&opts);
	opts.user_timeout_ms = 0x80000000u;
	CU_ASSERT_PTR_NULL(nvtcp_sock_listen("127.0.0.1", "0", &opts, &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);

	/* No lookups happened: all of this is immediate. */
	CU_ASSERT(ut_now_ms() - start < 1000);
}

static void
test_addr_in_use(void)
{
	struct nvtcp_sock *a, *b;
	char port[8];
	uint16_t p;
	int rc;

	a = nvtcp_sock_listen("127.0.0.1", "0", NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(a, NULL, &p, NULL, NULL, 0), 0);
	snprintf(port, sizeof(port), "%u", p);
	b = nvtcp_sock_listen("127.0.0.1", port, NULL, &rc);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_EQUAL(rc, -EADDRINUSE);
	nvtcp_sock_close(&a);

	/* SO_REUSEADDR: the port can be listened on again at once. */
	a = nvtcp_sock_listen("127.0.0.1", port, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_EQUAL(rc, 0);
	nvtcp_sock_close(&a);
}

static void
test_getaddr(void)
{
	struct nvtcp_sock *client, *server, *lsock;
	char small[4], buf[INET6_ADDRSTRLEN];
	uint16_t port;
	struct fake_sock *fake;
	struct nvtcp_sock *fsock;

	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &client, &server, &lsock), 0);
	/* Buffer too small for "127.0.0.1". */
	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(client, small, NULL, NULL, NULL, sizeof(small)),
			-ENOSPC);
	/* Only the ports. */
	port = 0;
	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(client, NULL, NULL, NULL, &port, 0), 0);
	CU_ASSERT_NOT_EQUAL(port, 0);
	/* A listener has no peer. */
	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(lsock, NULL, NULL, buf, NULL, sizeof(buf)), -ENOTCONN);
	nvtcp_sock_close(&client);
	nvtcp_sock_close(&server);
	nvtcp_sock_close(&lsock);

	/* Through an alternative implementation. */
	fsock = fake_sock_create(&fake);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fsock);
	CU_ASSERT_EQUAL(fake_sock_set_addrs(fake, "::1", 4420, "10.0.0.2", 34567), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(fsock, buf, &port, NULL, NULL, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "::1");
	CU_ASSERT_EQUAL(port, 4420);
	CU_ASSERT_EQUAL(nvtcp_sock_getaddr(fsock, NULL, NULL, buf, &port, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "10.0.0.2");
	CU_ASSERT_EQUAL(port, 34567);
	CU_ASSERT_EQUAL(fake_sock_set_addrs(fake, "nonsense", 1, "::1", 2), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_sock_connect_poll(fsock), 0);
	fake_sock_destroy(&fake);
	CU_ASSERT_PTR_NULL(fake);
}

static void
check_opts(struct nvtcp_sock *sock, bool root)
{
	CU_ASSERT_EQUAL(getsockopt_int(sock->fd, IPPROTO_TCP, TCP_NODELAY), 1);
	/* Linux doubles the value for its bookkeeping. */
	CU_ASSERT(getsockopt_int(sock->fd, SOL_SOCKET, SO_SNDBUF) >= 65536);
	CU_ASSERT(getsockopt_int(sock->fd, SOL_SOCKET, SO_RCVBUF) >= 65536);
	CU_ASSERT(getsockopt_int(sock->fd, SOL_SOCKET, SO_SNDBUF) <= 2 * 65536);
	CU_ASSERT(getsockopt_int(sock->fd, SOL_SOCKET, SO_RCVBUF) <= 2 * 65536);
	CU_ASSERT_EQUAL(getsockopt_int(sock->fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 5000);
	if (root) {
		/* Without CAP_NET_ADMIN the option is skipped with a warning. */
		CU_ASSERT_EQUAL(getsockopt_int(sock->fd, SOL_SOCKET, SO_BUSY_POLL), 50);
	}
}

static void
test_options(void)
{
	struct nvtcp_sock *client, *server, *lsock;
	struct nvtcp_sock_opts opts;
	bool root = geteuid() == 0;
	int rc;

	nvtcp_sock_opts_init(&opts);
	opts.sndbuf = 65536;
	opts.rcvbuf = 65536;
	opts.busy_poll_us = 50;
	opts.user_timeout_ms = 5000;
	rc = ut_pair("127.0.0.1", "127.0.0.1", &opts, &client, &server, &lsock);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	check_opts(client, root);
	/* The accepted socket got the listener's options. */
	check_opts(server, root);
	nvtcp_sock_close(&client);
	nvtcp_sock_close(&server);
	nvtcp_sock_close(&lsock);

	/* Defaults: TCP_NODELAY on, no user timeout, no busy polling. */
	rc = ut_pair("127.0.0.1", "127.0.0.1", NULL, &client, &server, &lsock);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(getsockopt_int(client->fd, IPPROTO_TCP, TCP_NODELAY), 1);
	CU_ASSERT_EQUAL(getsockopt_int(server->fd, IPPROTO_TCP, TCP_NODELAY), 1);
	CU_ASSERT_EQUAL(getsockopt_int(client->fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
	CU_ASSERT_EQUAL(getsockopt_int(client->fd, SOL_SOCKET, SO_BUSY_POLL), 0);
	/* Every socket is non-blocking and close-on-exec. */
	CU_ASSERT(fcntl_flags_ok(client->fd));
	CU_ASSERT(fcntl_flags_ok(server->fd));
	CU_ASSERT(fcntl_flags_ok(lsock->fd));
	nvtcp_sock_close(&client);
	nvtcp_sock_close(&server);
	nvtcp_sock_close(&lsock);

	nvtcp_sock_opts_init(&opts);
	opts.nodelay = false;
	rc = ut_pair("127.0.0.1", "127.0.0.1", &opts, &client, &server, &lsock);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(getsockopt_int(client->fd, IPPROTO_TCP, TCP_NODELAY), 0);
	CU_ASSERT_EQUAL(getsockopt_int(server->fd, IPPROTO_TCP, TCP_NODELAY), 0);
	nvtcp_sock_close(&client);
	nvtcp_sock_close(&server);
	nvtcp_sock_close(&lsock);
}

static void
test_close(void)
{
	struct nvtcp_sock *sock = NULL;

	/* NULL handles are ignored. */
	nvtcp_sock_close(NULL);
	nvtcp_sock_close(&sock);
	CU_ASSERT_PTR_NULL(sock);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("sock", NULL, NULL);

	CU_ADD_TEST(s, test_opts_init);
	CU_ADD_TEST(s, test_loopback_ipv4);
	CU_ADD_TEST(s, test_loopback_ipv6);
	CU_ADD_TEST(s, test_blocking_connect);
	CU_ADD_TEST(s, test_refused);
	CU_ADD_TEST(s, test_connect_timeout);
	CU_ADD_TEST(s, test_bad_address);
	CU_ADD_TEST(s, test_addr_in_use);
	CU_ADD_TEST(s, test_getaddr);
	CU_ADD_TEST(s, test_options);
	CU_ADD_TEST(s, test_close);
}

NVTCP_UT_MAIN(add_tests)
