/*
 * Unit tests of lib/sock/sock_uring.c, the io_uring group: what the generic group tests
 * (group_ut.c, run on both implementations) cannot see -- the choice of implementation,
 * level-triggered callbacks on top of multishot poll, idle sockets, sends of many sockets
 * batched in one submission with exact partial sends, a socket closed by another one's
 * completion callback in the same batch, send errors, and slot reuse after removal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nvtcp/util.h"
#include "sock_ut_common.h"
#include "ut.h"

#define NSOCK 8

struct peer {
	struct nvtcp_sock *client;
	struct nvtcp_sock *server;
	int calls;
	int eagain;
	int error;
	/* Most bytes one callback reads (0: until -EAGAIN). */
	size_t read_max;
	size_t got;
	uint8_t buf[8192];
};

static struct peer g_peers[NSOCK];

static void
peers_create(int n, const struct nvtcp_sock_opts *opts)
{
	memset(g_peers, 0, sizeof(g_peers));
	for (int i = 0; i < n; i++) {
		CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", opts, &g_peers[i].client,
					      &g_peers[i].server, NULL), 0);
	}
}

static void
peers_destroy(int n)
{
	for (int i = 0; i < n; i++) {
		nvtcp_sock_close(&g_peers[i].client);
		nvtcp_sock_close(&g_peers[i].server);
	}
}

static void
peer_cb(void *arg, struct nvtcp_sock_group *group, struct nvtcp_sock *sock)
{
	struct peer *p = arg;
	size_t budget = p->read_max != 0 ? p->read_max : sizeof(p->buf);

	(void)group;
	p->calls++;
	while (budget > 0 && p->got < sizeof(p->buf)) {
		size_t want = NVTCP_MIN(budget, sizeof(p->buf) - p->got);
		struct iovec iov = {.iov_base = p->buf + p->got, .iov_len = want};
		ssize_t n = nvtcp_sock_readv(sock, &iov, 1);

		if (n > 0) {
			p->got += (size_t)n;
			budget -= (size_t)n;
			continue;
		}
		if (n == -EAGAIN) {
			p->eagain++;
		} else {
			p->error = (int)n;
		}
		break;
	}
}

static struct nvtcp_sock_group *
uring_group(void)
{
	struct nvtcp_sock_group *group = nvtcp_sock_group_create_impl(NVTCP_SOCK_IMPL_URING);

	CU_ASSERT_PTR_NOT_NULL(group);
	if (group != NULL) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_get_impl(group), NVTCP_SOCK_IMPL_URING);
	}
	return group;
}

/* Poll until \p cond holds or UT_WAIT_MS passed. */
#define POLL_UNTIL(group, cond)                                                               \
	do {                                                                                   \
		uint64_t end_ = ut_now_ms() + UT_WAIT_MS;                                      \
		while (!(cond) && ut_now_ms() < end_) {                                        \
			CU_ASSERT(nvtcp_sock_group_poll((group), 0) >= 0);                     \
		}                                                                              \
	} while (0)

static void
test_impl_select(void)
{
	struct nvtcp_sock_group *group;
	enum nvtcp_sock_impl impl;

	CU_ASSERT_EQUAL(nvtcp_sock_impl_parse("posix", &impl), 0);
	CU_ASSERT_EQUAL(impl, NVTCP_SOCK_IMPL_POSIX);
	CU_ASSERT_EQUAL(nvtcp_sock_impl_parse("uring", &impl), 0);
	CU_ASSERT_EQUAL(impl, NVTCP_SOCK_IMPL_URING);
	CU_ASSERT_EQUAL(nvtcp_sock_impl_parse("URING", &impl), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_sock_impl_parse("", &impl), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_sock_impl_parse(NULL, &impl), -EINVAL);
	CU_ASSERT_STRING_EQUAL(nvtcp_sock_impl_name(NVTCP_SOCK_IMPL_POSIX), "posix");
	CU_ASSERT_STRING_EQUAL(nvtcp_sock_impl_name(NVTCP_SOCK_IMPL_URING), "uring");
	CU_ASSERT_STRING_EQUAL(nvtcp_sock_impl_name(NVTCP_SOCK_IMPL_DEFAULT), "default");

	/* The environment decides while nothing was set; a bad name fails creation, naming it. */
	nvtcp_sock_set_default_impl(NVTCP_SOCK_IMPL_DEFAULT);
	unsetenv("NVTCP_SOCK_IMPL");
	CU_ASSERT_EQUAL(nvtcp_sock_get_default_impl(), NVTCP_SOCK_IMPL_POSIX);
	setenv("NVTCP_SOCK_IMPL", "uring", 1);
	CU_ASSERT_EQUAL(nvtcp_sock_get_default_impl(), NVTCP_SOCK_IMPL_URING);
	group = nvtcp_sock_group_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	CU_ASSERT_EQUAL(nvtcp_sock_group_get_impl(group), NVTCP_SOCK_IMPL_URING);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	setenv("NVTCP_SOCK_IMPL", "epoll", 1);
	CU_ASSERT_EQUAL(nvtcp_sock_get_default_impl(), -EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_sock_group_create());
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* What the process sets wins over the environment. */
	nvtcp_sock_set_default_impl(NVTCP_SOCK_IMPL_POSIX);
	group = nvtcp_sock_group_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	CU_ASSERT_EQUAL(nvtcp_sock_group_get_impl(group), NVTCP_SOCK_IMPL_POSIX);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_sock_group_create_impl((enum nvtcp_sock_impl)7));
	CU_ASSERT_EQUAL(errno, EINVAL);
	nvtcp_sock_set_default_impl(NVTCP_SOCK_IMPL_DEFAULT);
	unsetenv("NVTCP_SOCK_IMPL");
}

/* Idle sockets get no callback; a callback that leaves data unread is called again on the
 * next polls without new data (level-triggered, as epoll) until its read says -EAGAIN. */
static void
test_idle_and_level(void)
{
	struct nvtcp_sock_group *group = uring_group();
	uint8_t msg[3000];
	uint64_t syscalls;
	int calls;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	peers_create(NSOCK, NULL);
	for (int i = 0; i < NSOCK; i++) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, g_peers[i].server, peer_cb,
						     &g_peers[i]), 0);
	}
	/* The first poll arms the sockets' polls; then idle polls make no system call at all. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	syscalls = nvtcp_sock_group_get_syscalls(group);
	CU_ASSERT(syscalls >= 1);
	for (int i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_get_syscalls(group), syscalls);
	for (int i = 0; i < NSOCK; i++) {
		CU_ASSERT_EQUAL(g_peers[i].calls, 0);
	}

	ut_fill(msg, sizeof(msg), 3);
	g_peers[3].read_max = 1000;
	{
		struct iovec iov = {.iov_base = msg, .iov_len = sizeof(msg)};
		struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1};

		nvtcp_sock_writev_async(g_peers[3].client, &req);
		CU_ASSERT_EQUAL(ut_flush_all(g_peers[3].client), (ssize_t)sizeof(msg));
	}
	CU_ASSERT_TRUE(ut_wait_readable(g_peers[3].server, UT_WAIT_MS));
	POLL_UNTIL(group, g_peers[3].got == sizeof(msg));
	CU_ASSERT_EQUAL(g_peers[3].got, sizeof(msg));
	CU_ASSERT_EQUAL(memcmp(g_peers[3].buf, msg, sizeof(msg)), 0);
	/* Three reads of 1000 bytes, in at least three callbacks. */
	CU_ASSERT(g_peers[3].calls >= 3);
	/* Drained: one more callback at most (the one whose read says -EAGAIN), then none. */
	for (int i = 0; i < 3; i++) {
		(void)nvtcp_sock_group_poll(group, 0);
	}
	calls = g_peers[3].calls;
	CU_ASSERT(g_peers[3].eagain >= 1);
	for (int i = 0; i < 50; i++) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	}
	CU_ASSERT_EQUAL(g_peers[3].calls, calls);
	for (int i = 0; i < NSOCK; i++) {
		if (i != 3) {
			CU_ASSERT_EQUAL(g_peers[i].calls, 0);
		}
	}

	/* max_events bounds the callbacks of one poll; the others come next time. */
	for (int i = 0; i < NSOCK; i++) {
		uint8_t b = (uint8_t)i;
		struct iovec iov = {.iov_base = &b, .iov_len = 1};
		struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1};

		g_peers[i].read_max = 0;
		g_peers[i].calls = 0;
		g_peers[i].got = 0;
		nvtcp_sock_writev_async(g_peers[i].client, &req);
		CU_ASSERT_EQUAL(ut_flush_all(g_peers[i].client), 1);
		CU_ASSERT_TRUE(ut_wait_readable(g_peers[i].server, UT_WAIT_MS));
	}
	{
		uint64_t end = ut_now_ms() + UT_WAIT_MS;
		size_t total = 0;

		while (total < NSOCK && ut_now_ms() < end) {
			int n = nvtcp_sock_group_poll(group, 2);

			CU_ASSERT(n >= 0 && n <= 2);
			total = 0;
			for (int i = 0; i < NSOCK; i++) {
				total += g_peers[i].got;
			}
		}
		CU_ASSERT_EQUAL(total, NSOCK);
	}
	for (int i = 0; i < NSOCK; i++) {
		CU_ASSERT_EQUAL(g_peers[i].buf[0], (uint8_t)i);
		CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_peers[i].server), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	peers_destroy(NSOCK);
}

/* ---- Sends ----------------------------------------------------------------------------------- */

#define NREQ 64
#define REQ_LEN (64 * 1024)

struct sender {
	struct nvtcp_sock_request req[NREQ];
	struct iovec iov[NREQ][2];
	uint8_t *data;
	int done;
	int bad_order;
	int status;
	/* On a completion: close this socket (another one of the same batch). */
	struct nvtcp_sock **close_other;
};

struct sreq_arg {
	struct sender *s;
	int idx;
};

static struct sreq_arg g_args[NSOCK][NREQ];

static void
sreq_cb(void *arg, int status)
{
	struct sreq_arg *a = arg;
	struct sender *s = a->s;

	if (a->idx != s->done) {
		s->bad_order++;
	}
	s->done++;
	if (status != 0 && s->status == 0) {
		s->status = status;
	}
	if (s->close_other != NULL) {
		nvtcp_sock_close(s->close_other);
		s->close_other = NULL;
	}
}

/* Queue NREQ requests of two iovecs each (a 24-byte "header" and the rest) on \p sock. */
static void
sender_queue(struct sender *s, int id, struct nvtcp_sock *sock)
{
	s->data = malloc((size_t)NREQ * REQ_LEN);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->data);
	ut_fill(s->data, (size_t)NREQ * REQ_LEN, (uint32_t)id + 100);
	for (int r = 0; r < NREQ; r++) {
		uint8_t *p = s->data + (size_t)r * REQ_LEN;

		s->iov[r][0].iov_base = p;
		s->iov[r][0].iov_len = 24;
		s->iov[r][1].iov_base = p + 24;
		s->iov[r][1].iov_len = REQ_LEN - 24;
		g_args[id][r].s = s;
		g_args[id][r].idx = r;
		s->req[r].iov = s->iov[r];
		s->req[r].iovcnt = 2;
		s->req[r].cb = sreq_cb;
		s->req[r].cb_arg = &g_args[id][r];
		nvtcp_sock_writev_async(sock, &s->req[r]);
	}
}

static void
nop_cb(void *arg, struct nvtcp_sock_group *group, struct nvtcp_sock *sock)
{
	(void)arg;
	(void)group;
	(void)sock;
}

/* Several sockets send 4 MiB each through the group with small send buffers: every poll sends
 * all of them with one submission, most sends are partial, and each receiver gets its bytes
 * exactly, in order, while every request completes once, in order, with status 0. */
static void
test_batched_partial_sends(void)
{
	struct nvtcp_sock_group *group = uring_group();
	static struct sender senders[4];
	struct nvtcp_sock_opts opts;
	const size_t total = (size_t)NREQ * REQ_LEN;
	uint8_t *rx[4];
	size_t got[4] = {0};
	uint64_t end;
	bool all;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	nvtcp_sock_opts_init(&opts);
	opts.sndbuf = 32 * 1024;
	opts.rcvbuf = 32 * 1024;
	peers_create(4, &opts);
	memset(senders, 0, sizeof(senders));
	for (int i = 0; i < 4; i++) {
		rx[i] = malloc(total);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx[i]);
		CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, g_peers[i].server, nop_cb, NULL), 0);
		sender_queue(&senders[i], i, g_peers[i].server);
	}
	end = ut_now_ms() + 4 * UT_WAIT_MS;
	do {
		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
		all = true;
		for (int i = 0; i < 4; i++) {
			while (got[i] < total) {
				struct iovec iov = {.iov_base = rx[i] + got[i],
						    .iov_len = total - got[i]};
				ssize_t n = nvtcp_sock_readv(g_peers[i].client, &iov, 1);

				if (n <= 0) {
					CU_ASSERT_EQUAL(n, -EAGAIN);
					break;
				}
				got[i] += (size_t)n;
			}
			all = all && got[i] == total && senders[i].done == NREQ;
		}
	} while (!all && ut_now_ms() < end);

	for (int i = 0; i < 4; i++) {
		struct nvtcp_sock_stats st;

		CU_ASSERT_EQUAL(got[i], total);
		CU_ASSERT_EQUAL(memcmp(rx[i], senders[i].data, total), 0);
		CU_ASSERT_EQUAL(senders[i].done, NREQ);
		CU_ASSERT_EQUAL(senders[i].bad_order, 0);
		CU_ASSERT_EQUAL(senders[i].status, 0);
		CU_ASSERT_FALSE(nvtcp_sock_has_pending_sends(g_peers[i].server));
		nvtcp_sock_get_stats(g_peers[i].server, &st);
		CU_ASSERT_EQUAL(st.bytes_sent, total);
		CU_ASSERT(st.partial_sends > 0);
		/* Every send went through the ring, none as a sendmsg() of its own. */
		CU_ASSERT(st.ring_sends > 1);
		CU_ASSERT_EQUAL(st.send_calls, 0);
		CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_peers[i].server), 0);
		free(rx[i]);
		free(senders[i].data);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	peers_destroy(4);
}

/* In one batch, the completion callback of socket 0 closes socket 1, whose send went with the
 * same submission: socket 1's request completes exactly once and nothing touches it after. */
static void
test_close_in_batch(void)
{
	struct nvtcp_sock_group *group = uring_group();
	static struct sender senders[2];
	uint8_t a[100], b[100];
	struct iovec ia = {.iov_base = a, .iov_len = sizeof(a)};
	struct iovec ib = {.iov_base = b, .iov_len = sizeof(b)};

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	peers_create(2, NULL);
	memset(senders, 0, sizeof(senders));
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, g_peers[i].server, nop_cb, NULL), 0);
		g_args[i][0].s = &senders[i];
		g_args[i][0].idx = 0;
		senders[i].req[0].iov = i == 0 ? &ia : &ib;
		senders[i].req[0].iovcnt = 1;
		senders[i].req[0].cb = sreq_cb;
		senders[i].req[0].cb_arg = &g_args[i][0];
	}
	senders[0].close_other = &g_peers[1].server;
	nvtcp_sock_writev_async(g_peers[0].server, &senders[0].req[0]);
	nvtcp_sock_writev_async(g_peers[1].server, &senders[1].req[0]);
	CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	CU_ASSERT_EQUAL(senders[0].done, 1);
	CU_ASSERT_EQUAL(senders[0].status, 0);
	CU_ASSERT_EQUAL(senders[1].done, 1);
	CU_ASSERT_PTR_NULL(g_peers[1].server);
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), 1);
	/* Socket 0's bytes arrived; the group goes on working. */
	CU_ASSERT_EQUAL(ut_read_all(g_peers[0].client, b, sizeof(a)), (ssize_t)sizeof(a));
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_peers[0].server), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	peers_destroy(2);
}

/* A peer that reset the connection: the queued requests fail with the error, the callback of
 * the readable socket sees it, and a request queued later fails without another send. */
static void
test_send_error(void)
{
	struct nvtcp_sock_group *group = uring_group();
	static struct sender s1, s2;
	static uint8_t big[256 * 1024];
	struct iovec iov = {.iov_base = big, .iov_len = sizeof(big)};
	struct nvtcp_sock_stats st;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	uint64_t calls, end;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	peers_create(1, NULL);
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, g_peers[0].server, peer_cb, &g_peers[0]), 0);
	/* Linger 0: the close sends a reset. */
	CU_ASSERT_EQUAL(setsockopt(g_peers[0].client->fd, SOL_SOCKET, SO_LINGER, &lg,
				   sizeof(lg)), 0);
	nvtcp_sock_close(&g_peers[0].client);
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	g_args[0][0].s = &s1;
	g_args[0][0].idx = 0;
	s1.req[0] = (struct nvtcp_sock_request){.iov = &iov, .iovcnt = 1, .cb = sreq_cb,
						 .cb_arg = &g_args[0][0]};
	end = ut_now_ms() + UT_WAIT_MS;
	/* Until a send fails (the first ones may still be taken before the reset is seen). */
	while (s1.status == 0 && ut_now_ms() < end) {
		if (!nvtcp_sock_has_pending_sends(g_peers[0].server)) {
			s1.done = 0;
			nvtcp_sock_writev_async(g_peers[0].server, &s1.req[0]);
		}
		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	}
	CU_ASSERT(s1.status < 0);
	CU_ASSERT_EQUAL(s1.done, 1);
	CU_ASSERT(g_peers[0].error < 0);
	nvtcp_sock_get_stats(g_peers[0].server, &st);
	calls = st.send_calls;
	g_args[0][1].s = &s2;
	g_args[0][1].idx = 0;
	s2.req[0] = (struct nvtcp_sock_request){.iov = &iov, .iovcnt = 1, .cb = sreq_cb,
						 .cb_arg = &g_args[0][1]};
	nvtcp_sock_writev_async(g_peers[0].server, &s2.req[0]);
	CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	CU_ASSERT_EQUAL(s2.done, 1);
	CU_ASSERT_EQUAL(s2.status, s1.status);
	nvtcp_sock_get_stats(g_peers[0].server, &st);
	CU_ASSERT_EQUAL(st.send_calls, calls);
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_peers[0].server), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	peers_destroy(1);
}

/* A removed socket's slot goes to the next socket added: completions still in flight for the
 * old one (its cancelled poll, its new data) never call the new one's callback. */
static void
test_slot_reuse(void)
{
	struct nvtcp_sock_group *group = uring_group();
	uint8_t b = 7;
	struct iovec iov = {.iov_base = &b, .iov_len = 1};
	struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1};

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	peers_create(2, NULL);
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, g_peers[0].server, peer_cb, &g_peers[0]), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	/* Data for socket 0, then it leaves before the group sees it. */
	nvtcp_sock_writev_async(g_peers[0].client, &req);
	CU_ASSERT_EQUAL(ut_flush_all(g_peers[0].client), 1);
	CU_ASSERT_TRUE(ut_wait_readable(g_peers[0].server, UT_WAIT_MS));
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_peers[0].server), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, g_peers[1].server, peer_cb, &g_peers[1]), 0);
	/* The only slot there was. */
	CU_ASSERT_EQUAL(g_peers[0].server->ring_idx, UINT32_MAX);
	CU_ASSERT_EQUAL(g_peers[1].server->ring_idx, 0);
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	}
	CU_ASSERT_EQUAL(g_peers[0].calls, 0);
	CU_ASSERT_EQUAL(g_peers[1].calls, 0);
	/* Socket 0 back in: its data (which came while it was out) is found. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, g_peers[0].server, peer_cb, &g_peers[0]), 0);
	POLL_UNTIL(group, g_peers[0].got == 1);
	CU_ASSERT_EQUAL(g_peers[0].got, 1);
	CU_ASSERT_EQUAL(g_peers[0].buf[0], 7);
	CU_ASSERT_EQUAL(g_peers[1].calls, 0);
	/* Closing a member socket takes it out of the group. */
	nvtcp_sock_close(&g_peers[0].server);
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), 1);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), -EBUSY);
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_peers[1].server), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	peers_destroy(2);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("sock_uring", NULL, NULL);

	CU_ADD_TEST(s, test_impl_select);
	CU_ADD_TEST(s, test_idle_and_level);
	CU_ADD_TEST(s, test_batched_partial_sends);
	CU_ADD_TEST(s, test_close_in_batch);
	CU_ADD_TEST(s, test_send_error);
	CU_ADD_TEST(s, test_slot_reuse);
}

NVTCP_UT_MAIN(add_tests)
