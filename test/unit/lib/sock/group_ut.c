/*
 * Unit tests of lib/sock/group.c: many sockets in one group, callbacks only where data is,
 * removal and close from inside callbacks, peer hang-ups, pending sends flushed by the poll,
 * one-socket groups, cold (low-rate) sockets and fake sockets (no descriptor) in groups.
 *
 * The generic behaviour is tested on both group implementations (suites "group_posix" and
 * "group_uring": the same tests, with the process default switched by the suite's init);
 * the one-socket and cold-socket shortcuts are epoll's alone and run on posix only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fake_sock.h"
#include "sock_ut_common.h"
#include "ut.h"

#define NCONN 64

struct conn {
	int id;
	struct nvtcp_sock *client;
	struct nvtcp_sock *server;
	/* What the server side's callback saw. */
	int calls;
	int eagain;
	int error;
	size_t got;
	uint8_t buf[4096];
	/* Optional extra behaviour of the callback. */
	void (*action)(struct conn *c, struct nvtcp_sock_group *group);
	void *action_arg;
};

static struct conn g_conns[NCONN];

/* NCONN loopback connections through one listener. */
static void
conns_create(int n, const struct nvtcp_sock_opts *opts)
{
	struct nvtcp_sock *lsock;
	char port[8];
	uint16_t lport;
	int rc;

	memset(g_conns, 0, sizeof(g_conns));
	lsock = nvtcp_sock_listen("127.0.0.1", "0", opts, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lsock);
	CU_ASSERT_EQUAL_FATAL(nvtcp_sock_getaddr(lsock, NULL, &lport, NULL, NULL, 0), 0);
	snprintf(port, sizeof(port), "%u", lport);
	for (int i = 0; i < n; i++) {
		g_conns[i].id = i;
		g_conns[i].client = nvtcp_sock_connect_async("127.0.0.1", port, opts, &rc);
		CU_ASSERT_PTR_NOT_NULL_FATAL(g_conns[i].client);
		g_conns[i].server = ut_accept(lsock, &rc);
		CU_ASSERT_PTR_NOT_NULL_FATAL(g_conns[i].server);
		CU_ASSERT_EQUAL_FATAL(ut_connect_wait(g_conns[i].client), 0);
	}
	nvtcp_sock_close(&lsock);
}

static void
conns_destroy(int n)
{
	for (int i = 0; i < n; i++) {
		nvtcp_sock_close(&g_conns[i].client);
		nvtcp_sock_close(&g_conns[i].server);
	}
}

/* The readable callback: read everything there is, as an owner would. */
static void
conn_cb(void *arg, struct nvtcp_sock_group *group, struct nvtcp_sock *sock)
{
	struct conn *c = arg;
	ssize_t n;

	c->calls++;
	CU_ASSERT_PTR_EQUAL(sock, c->server);
	for (;;) {
		struct iovec iov = {.iov_base = c->buf + c->got,
				    .iov_len = sizeof(c->buf) - c->got};

		if (iov.iov_len == 0) {
			break;
		}
		n = nvtcp_sock_readv(sock, &iov, 1);
		if (n > 0) {
			c->got += (size_t)n;
			continue;
		}
		if (n == -EAGAIN) {
			c->eagain++;
		} else {
			c->error = (int)n;
		}
		break;
	}
	if (c->action != NULL) {
		c->action(c, group);
	}
}

static int
add_conn(struct nvtcp_sock_group *group, int i)
{
	return nvtcp_sock_group_add(group, g_conns[i].server, conn_cb, &g_conns[i]);
}

static void
send_to(struct nvtcp_sock *sock, const void *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1};

	nvtcp_sock_writev_async(sock, &req);
	CU_ASSERT_EQUAL(ut_flush_all(sock), (ssize_t)len);
}

/* Wait (bounded) until the kernel has \p sock's data: makes "ready" deterministic. */
static void
wait_ready(struct nvtcp_sock *sock)
{
	CU_ASSERT_TRUE(ut_wait_readable(sock, UT_WAIT_MS));
}

static size_t
conn_len(int id)
{
	return 1000 + (size_t)id * 37;
}

static void
test_many_sockets(void)
{
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	uint8_t data[4096], expect[4096];
	uint64_t end;
	int i, rc, done, total_cb = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	conns_create(NCONN, NULL);
	for (i = 0; i < NCONN; i++) {
		CU_ASSERT_EQUAL(add_conn(group, i), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), NCONN);

	/* Idle: no callbacks at all. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);

	/* Every third connection gets its own bytes. */
	for (i = 0; i < NCONN; i += 3) {
		ut_fill(data, conn_len(i), (uint32_t)i + 1);
		send_to(g_conns[i].client, data, conn_len(i));
	}
	end = ut_now_ms() + UT_WAIT_MS;
	do {
		rc = nvtcp_sock_group_poll(group, 0);
		CU_ASSERT(rc >= 0);
		total_cb += rc;
		done = 0;
		for (i = 0; i < NCONN; i += 3) {
			done += g_conns[i].got == conn_len(i);
		}
	} while (done < (NCONN + 2) / 3 && ut_now_ms() < end);
	CU_ASSERT_EQUAL(done, (NCONN + 2) / 3);

	for (i = 0; i < NCONN; i++) {
		if (i % 3 == 0) {
			ut_fill(expect, conn_len(i), (uint32_t)i + 1);
			CU_ASSERT_EQUAL(g_conns[i].got, conn_len(i));
			CU_ASSERT_EQUAL(memcmp(g_conns[i].buf, expect, conn_len(i)), 0);
			CU_ASSERT(g_conns[i].calls >= 1);
		} else {
			/* Callbacks only for sockets with data. */
			CU_ASSERT_EQUAL(g_conns[i].calls, 0);
		}
		CU_ASSERT_EQUAL(g_conns[i].error, 0);
	}
	/* All read: level-triggered epoll has nothing more to say. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);

	/* max_events bounds the callbacks of one poll. */
	for (i = 0; i < NCONN; i++) {
		g_conns[i].got = 0;
		g_conns[i].calls = 0;
		send_to(g_conns[i].client, "x", 1);
	}
	for (i = 0; i < NCONN; i++) {
		wait_ready(g_conns[i].server);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 8), 8);
	end = ut_now_ms() + UT_WAIT_MS;
	do {
		rc = nvtcp_sock_group_poll(group, 8);
		CU_ASSERT(rc >= 0 && rc <= 8);
		done = 0;
		for (i = 0; i < NCONN; i++) {
			done += g_conns[i].got == 1;
		}
	} while (done < NCONN && ut_now_ms() < end);
	CU_ASSERT_EQUAL(done, NCONN);
	for (i = 0; i < NCONN; i++) {
		CU_ASSERT_EQUAL(g_conns[i].calls, 1);
	}

	/* Closing a member takes it out of its group. */
	nvtcp_sock_close(&g_conns[0].server);
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), NCONN - 1);
	for (i = 1; i < NCONN; i++) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[i].server), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	CU_ASSERT_PTR_NULL(group);
	conns_destroy(NCONN);
}

/* ---- Removal and close from inside callbacks -------------------------------------------- */

#define NREM 6

static void
remove_others_action(struct conn *c, struct nvtcp_sock_group *group)
{
	int *first = c->action_arg;

	if (*first >= 0) {
		return;
	}
	*first = c->id;
	/* The first callback of the poll removes every other socket with data, closing every
	 * second one (and the close frees it): none of their events may be delivered now. */
	for (int i = 0; i < NREM; i++) {
		if (i == c->id) {
			continue;
		}
		if (i % 2 == 0) {
			nvtcp_sock_close(&g_conns[i].server);
		} else {
			CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[i].server), 0);
			CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[i].server), -ENOENT);
		}
	}
}

static void
close_self_action(struct conn *c, struct nvtcp_sock_group *group)
{
	nvtcp_sock_close(&c->server);
}

static void
test_remove_in_callback(void)
{
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	int first = -1, i, rc, calls;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	conns_create(NREM, NULL);
	for (i = 0; i < NREM; i++) {
		g_conns[i].action = remove_others_action;
		g_conns[i].action_arg = &first;
		CU_ASSERT_EQUAL(add_conn(group, i), 0);
		send_to(g_conns[i].client, "abc", 3);
	}
	for (i = 0; i < NREM; i++) {
		wait_ready(g_conns[i].server);
	}
	rc = nvtcp_sock_group_poll(group, 0);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT(first >= 0 && first < NREM);
	calls = 0;
	for (i = 0; i < NREM; i++) {
		calls += g_conns[i].calls;
	}
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), 1);

	/* The removed (not closed) ones can join again and get their data. */
	for (i = 0; i < NREM; i++) {
		g_conns[i].action = NULL;
		if (i != first && i % 2 == 1) {
			CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, g_conns[i].server, conn_cb,
							     &g_conns[i]), 0);
		}
	}
	rc = nvtcp_sock_group_poll(group, 0);
	CU_ASSERT(rc >= 1);
	for (i = 0; i < NREM; i++) {
		if (i != first && i % 2 == 1) {
			CU_ASSERT_EQUAL(g_conns[i].calls, 1);
			CU_ASSERT_EQUAL(g_conns[i].got, 3);
		} else if (i != first) {
			CU_ASSERT_EQUAL(g_conns[i].calls, 0);
			CU_ASSERT_PTR_NULL(g_conns[i].server);
		}
	}

	/* A socket that closes itself in its callback is never called again. */
	g_conns[first].action = close_self_action;
	g_conns[first].calls = 0;
	send_to(g_conns[first].client, "z", 1);
	wait_ready(g_conns[first].server);
	for (i = 0; i < 5; i++) {
		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	}
	CU_ASSERT_EQUAL(g_conns[first].calls, 1);
	CU_ASSERT_PTR_NULL(g_conns[first].server);

	for (i = 0; i < NREM; i++) {
		if (g_conns[i].server != NULL) {
			CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[i].server), 0);
		}
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	conns_destroy(NREM);
}

/* ---- Hang-ups ----------------------------------------------------------------------------- */

static void
close_on_error_action(struct conn *c, struct nvtcp_sock_group *group)
{
	if (c->error != 0) {
		nvtcp_sock_close(&c->server);
	}
}

static void
test_peer_hangup(void)
{
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	uint64_t end;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	conns_create(3, NULL);
	for (int i = 0; i < 3; i++) {
		g_conns[i].action = close_on_error_action;
		CU_ASSERT_EQUAL(add_conn(group, i), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);

	/* 0: orderly close with a last word; 1: reset; 2: stays. */
	send_to(g_conns[0].client, "bye", 3);
	nvtcp_sock_close(&g_conns[0].client);
	CU_ASSERT_EQUAL(setsockopt(g_conns[1].client->fd, SOL_SOCKET, SO_LINGER, &lg,
				   sizeof(lg)), 0);
	nvtcp_sock_close(&g_conns[1].client);

	end = ut_now_ms() + UT_WAIT_MS;
	while ((g_conns[0].server != NULL || g_conns[1].server != NULL) && ut_now_ms() < end) {
		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	}
	CU_ASSERT_EQUAL(g_conns[0].got, 3);
	CU_ASSERT_EQUAL(g_conns[0].error, -ECONNRESET);
	CU_ASSERT_EQUAL(g_conns[1].error, -ECONNRESET);
	CU_ASSERT_PTR_NULL(g_conns[0].server);
	CU_ASSERT_PTR_NULL(g_conns[1].server);
	CU_ASSERT_EQUAL(g_conns[2].calls, 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), 1);

	/* A one-socket group sees the hang-up too. */
	g_conns[2].action = close_on_error_action;
	nvtcp_sock_close(&g_conns[2].client);
	end = ut_now_ms() + UT_WAIT_MS;
	while (g_conns[2].server != NULL && ut_now_ms() < end) {
		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	}
	CU_ASSERT_EQUAL(g_conns[2].error, -ECONNRESET);
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	conns_destroy(3);
}

/* ---- Pending sends -------------------------------------------------------------------------- */

struct sent {
	int calls;
	int status;
	/* A callback may queue on another socket of the group: the next poll sends it. */
	struct nvtcp_sock *chain_sock;
	struct nvtcp_sock_request *chain_req;
};

static void
sent_cb(void *arg, int status)
{
	struct sent *s = arg;

	s->calls++;
	s->status = status;
	if (s->chain_sock != NULL) {
		nvtcp_sock_writev_async(s->chain_sock, s->chain_req);
		s->chain_sock = NULL;
	}
}

static void
test_pending_flush(void)
{
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	struct nvtcp_sock_opts opts;
	static uint8_t big[1 << 20], got[1 << 20];
	uint8_t small[100], small_got[100];
	struct iovec big_iov = {.iov_base = big, .iov_len = sizeof(big)};
	struct iovec small_iov = {.iov_base = small, .iov_len = sizeof(small)};
	struct sent big_sent = {0}, small_sent = {0}, chained_sent = {0};
	struct nvtcp_sock_request big_req = {.iov = &big_iov, .iovcnt = 1, .cb = sent_cb,
					     .cb_arg = &big_sent};
	struct nvtcp_sock_request small_req = {.iov = &small_iov, .iovcnt = 1, .cb = sent_cb,
					       .cb_arg = &small_sent};
	struct nvtcp_sock_request chained_req = {.iov = &small_iov, .iovcnt = 1, .cb = sent_cb,
						 .cb_arg = &chained_sent};
	size_t received = 0;
	uint64_t end;
	int polls = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	nvtcp_sock_opts_init(&opts);
	opts.sndbuf = 16384;
	opts.rcvbuf = 16384;
	conns_create(3, &opts);
	ut_fill(big, sizeof(big), 8);
	ut_fill(small, sizeof(small), 9);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(add_conn(group, i), 0);
	}

	/* Queued on a member: the poll sends it, no flush call needed. Its completion queues
	 * a request on another member, which the next poll sends. */
	small_sent.chain_sock = g_conns[1].server;
	small_sent.chain_req = &chained_req;
	nvtcp_sock_writev_async(g_conns[0].server, &small_req);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(small_sent.calls, 1);
	CU_ASSERT_EQUAL(small_sent.status, 0);
	CU_ASSERT_FALSE(nvtcp_sock_has_pending_sends(g_conns[0].server));
	CU_ASSERT_EQUAL(ut_read_all(g_conns[0].client, small_got, sizeof(small_got)), 100);
	CU_ASSERT_EQUAL(memcmp(small_got, small, 100), 0);
	CU_ASSERT_EQUAL(chained_sent.calls, 0);
	CU_ASSERT_TRUE(nvtcp_sock_has_pending_sends(g_conns[1].server));
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(chained_sent.calls, 1);
	CU_ASSERT_EQUAL(ut_read_all(g_conns[1].client, small_got, sizeof(small_got)), 100);
	CU_ASSERT_EQUAL(memcmp(small_got, small, 100), 0);

	/* 1 MiB through small buffers: it stays pending across polls until all of it left. */
	nvtcp_sock_writev_async(g_conns[2].server, &big_req);
	end = ut_now_ms() + UT_WAIT_MS * 2;
	while (received < sizeof(big) && ut_now_ms() < end) {
		ssize_t n;

		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
		polls++;
		do {
			struct iovec iov = {.iov_base = got + received,
					    .iov_len = sizeof(got) - received};

			n = iov.iov_len > 0 ? nvtcp_sock_readv(g_conns[2].client, &iov, 1) :
			    -EAGAIN;
			if (n > 0) {
				received += (size_t)n;
			}
		} while (n > 0);
	}
	/* The last bytes left in the last poll at the latest. */
	if (big_sent.calls == 0) {
		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	}
	CU_ASSERT_EQUAL(received, sizeof(big));
	CU_ASSERT_EQUAL(memcmp(got, big, sizeof(big)), 0);
	CU_ASSERT_EQUAL(big_sent.calls, 1);
	CU_ASSERT_EQUAL(big_sent.status, 0);
	CU_ASSERT(polls > 1);

	/* A removed socket is no longer flushed by the group; close cancels what it had. */
	small_sent.calls = 0;
	nvtcp_sock_writev_async(g_conns[0].server, &small_req);
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[0].server), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(small_sent.calls, 0);
	CU_ASSERT_TRUE(nvtcp_sock_has_pending_sends(g_conns[0].server));
	/* Joining again with queued sends: the group flushes them. */
	CU_ASSERT_EQUAL(add_conn(group, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(small_sent.calls, 1);
	CU_ASSERT_EQUAL(small_sent.status, 0);

	/* Queued, then closed before any poll: cancelled once, and the group forgets it. */
	small_sent.calls = 0;
	nvtcp_sock_writev_async(g_conns[0].server, &small_req);
	nvtcp_sock_close(&g_conns[0].server);
	CU_ASSERT_EQUAL(small_sent.calls, 1);
	CU_ASSERT_EQUAL(small_sent.status, -ECANCELED);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(small_sent.calls, 1);

	for (int i = 1; i < 3; i++) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[i].server), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	conns_destroy(3);
}

/* A completion callback that closes another socket whose sends the same poll would flush. */
struct close_other {
	struct nvtcp_sock **victim;
	int calls;
	int status;
};

static void
close_other_cb(void *arg, int status)
{
	struct close_other *co = arg;

	co->calls++;
	co->status = status;
	nvtcp_sock_close(co->victim);
}

static void
test_close_during_flush(void)
{
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	uint8_t byte = 7;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct close_other co[2];
	struct nvtcp_sock_request reqs[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	conns_create(2, NULL);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(add_conn(group, i), 0);
		co[i].victim = &g_conns[1 - i].server;
		co[i].calls = 0;
		reqs[i] = (struct nvtcp_sock_request){.iov = &iov, .iovcnt = 1,
						      .cb = close_other_cb, .cb_arg = &co[i]};
	}
	/* Whichever flushes first closes the other, which the same poll was about to flush:
	 * the other's request is cancelled, and its callback in turn closes the first socket,
	 * in the middle of that socket's own flush. Each request completes exactly once. */
	nvtcp_sock_writev_async(g_conns[0].server, &reqs[0]);
	nvtcp_sock_writev_async(g_conns[1].server, &reqs[1]);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(co[0].calls, 1);
	CU_ASSERT_EQUAL(co[1].calls, 1);
	CU_ASSERT((co[0].status == 0 && co[1].status == -ECANCELED) ||
		  (co[1].status == 0 && co[0].status == -ECANCELED));
	CU_ASSERT_PTR_NULL(g_conns[0].server);
	CU_ASSERT_PTR_NULL(g_conns[1].server);
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	for (int i = 0; i < 2; i++) {
		if (g_conns[i].server != NULL) {
			CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[i].server), 0);
		}
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	conns_destroy(2);
}

/* ---- One-socket groups and fake sockets ------------------------------------------------------ */

static void
test_one_socket(void)
{
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	uint8_t msg[5] = "hello";

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	conns_create(2, NULL);
	CU_ASSERT_EQUAL(add_conn(group, 0), 0);

	/* Alone in its group, a socket is called on every poll; idle reads say -EAGAIN. */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	}
	CU_ASSERT_EQUAL(g_conns[0].calls, 3);
	CU_ASSERT_EQUAL(g_conns[0].eagain, 3);
	send_to(g_conns[0].client, msg, sizeof(msg));
	wait_ready(g_conns[0].server);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(g_conns[0].got, sizeof(msg));
	CU_ASSERT_EQUAL(memcmp(g_conns[0].buf, msg, sizeof(msg)), 0);

	/* With a second socket, epoll decides again. */
	CU_ASSERT_EQUAL(add_conn(group, 1), 0);
	g_conns[0].calls = 0;
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(g_conns[0].calls, 0);
	CU_ASSERT_EQUAL(g_conns[1].calls, 0);
	send_to(g_conns[1].client, msg, sizeof(msg));
	wait_ready(g_conns[1].server);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(g_conns[1].calls, 1);
	CU_ASSERT_EQUAL(g_conns[1].got, sizeof(msg));
	CU_ASSERT_EQUAL(g_conns[0].calls, 0);

	/* And back to one. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[0].server), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(g_conns[1].calls, 2);
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[1].server), 0);
	/* Empty: nothing to call. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	conns_destroy(2);
}

/* Cold sockets: one hot socket is called on every poll without epoll; the cold ones are found
 * only by the periodic epoll_wait(), and their data is never lost, only delayed. */
static void
test_cold_sockets(void)
{
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	uint8_t msg[5] = "hello";
	int polls;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	conns_create(3, NULL);
	CU_ASSERT_EQUAL(nvtcp_sock_group_set_cold(group, g_conns[0].server, true), -ENOENT);
	CU_ASSERT_EQUAL(nvtcp_sock_group_set_cold(NULL, g_conns[0].server, true), -ENOENT);
	CU_ASSERT_EQUAL(add_conn(group, 0), 0);
	CU_ASSERT_EQUAL(add_conn(group, 1), 0);
	CU_ASSERT_EQUAL(add_conn(group, 2), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_set_cold(group, g_conns[0].server, true), 0);
	/* Idempotent. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_set_cold(group, g_conns[0].server, true), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_set_cold(group, g_conns[2].server, true), 0);

	/* Conn 1 is the only hot one: called directly on every poll, idle or not. */
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	}
	CU_ASSERT_EQUAL(g_conns[1].calls, 5);
	CU_ASSERT_EQUAL(g_conns[1].eagain, 5);
	CU_ASSERT_EQUAL(g_conns[0].calls, 0);

	/* Data for a cold socket waits for the periodic epoll_wait(), at most the period. */
	send_to(g_conns[0].client, msg, sizeof(msg));
	wait_ready(g_conns[0].server);
	for (polls = 1; polls <= NVTCP_SOCK_GROUP_COLD_PERIOD && g_conns[0].calls == 0; polls++) {
		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	}
	CU_ASSERT_EQUAL(g_conns[0].calls, 1);
	CU_ASSERT_EQUAL(g_conns[0].got, sizeof(msg));
	CU_ASSERT(polls > 1);
	/* Cold conn 2 had nothing: epoll did not call it. */
	CU_ASSERT_EQUAL(g_conns[2].calls, 0);

	/* Two hot sockets: epoll on every poll again, the cold one included. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_set_cold(group, g_conns[0].server, false), 0);
	g_conns[1].calls = 0;
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(g_conns[1].calls, 0);
	send_to(g_conns[2].client, msg, sizeof(msg));
	wait_ready(g_conns[2].server);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(g_conns[2].calls, 1);

	/* Only cold sockets: no call at all between the periodic epoll_wait()s. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[1].server), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_set_cold(group, g_conns[0].server, true), 0);
	g_conns[0].calls = 0;
	send_to(g_conns[0].client, msg, sizeof(msg));
	wait_ready(g_conns[0].server);
	for (polls = 1; polls <= NVTCP_SOCK_GROUP_COLD_PERIOD && g_conns[0].calls == 0; polls++) {
		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	}
	CU_ASSERT_EQUAL(g_conns[0].calls, 1);
	CU_ASSERT_EQUAL(g_conns[0].got, 2 * sizeof(msg));

	/* Removal forgets the mark: re-added, the socket is hot and alone, so called directly. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[0].server), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[2].server), 0);
	CU_ASSERT_EQUAL(add_conn(group, 0), 0);
	g_conns[0].calls = 0;
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(g_conns[0].calls, 1);
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[0].server), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	conns_destroy(3);
}

struct fake_owner {
	struct fake_sock *fake;
	struct nvtcp_sock *sock;
	int calls;
	size_t got;
	uint8_t buf[64];
	int error;
	bool remove_self;
	struct nvtcp_sock *remove_other;
};

static void
fake_cb(void *arg, struct nvtcp_sock_group *group, struct nvtcp_sock *sock)
{
	struct fake_owner *o = arg;
	struct iovec iov = {.iov_base = o->buf + o->got, .iov_len = sizeof(o->buf) - o->got};
	ssize_t n;

	o->calls++;
	CU_ASSERT_PTR_EQUAL(sock, o->sock);
	n = nvtcp_sock_readv(sock, &iov, 1);
	if (n > 0) {
		o->got += (size_t)n;
	} else if (n != -EAGAIN) {
		o->error = (int)n;
	}
	if (o->remove_other != NULL) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, o->remove_other), 0);
		o->remove_other = NULL;
	}
	if (o->remove_self) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, sock), 0);
	}
}

static void
test_fake_in_group(void)
{
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	struct fake_owner f1 = {0}, f2 = {0};
	uint8_t out[10] = "0123456789";
	struct iovec iov = {.iov_base = out, .iov_len = sizeof(out)};
	struct sent sent = {0};
	struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1, .cb = sent_cb, .cb_arg = &sent};
	const uint8_t *tx;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	f1.sock = fake_sock_create(&f1.fake);
	f2.sock = fake_sock_create(&f2.fake);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f1.sock);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f2.sock);
	conns_create(2, NULL);
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, f1.sock, fake_cb, &f1), 0);
	CU_ASSERT_EQUAL(add_conn(group, 0), 0);
	CU_ASSERT_EQUAL(add_conn(group, 1), 0);

	/* No descriptor: called on every poll; the real sockets only with data. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(f1.calls, 2);
	CU_ASSERT_EQUAL(g_conns[0].calls + g_conns[1].calls, 0);
	fake_sock_push_rx(f1.fake, "abc", 3);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(f1.got, 3);

	/* Its queued sends are flushed by the poll, partial sends included. */
	fake_sock_set_tx_limit(f1.fake, 4);
	nvtcp_sock_writev_async(f1.sock, &req);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(sent.calls, 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(sent.calls, 1);
	CU_ASSERT_EQUAL(sent.status, 0);
	tx = fake_sock_tx_data(f1.fake, &len);
	CU_ASSERT(len == 10 && memcmp(tx, out, 10) == 0);
	CU_ASSERT_EQUAL(fake_sock_send_calls(f1.fake), 3);

	/* A second fake; the first one's callback removes it before its turn. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, f2.sock, fake_cb, &f2), 0);
	f1.remove_other = f2.sock;
	f1.calls = 0;
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(f1.calls, 1);
	CU_ASSERT_EQUAL(f2.calls, 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), 3);

	/* Peer close reaches the owner of a fake socket in a group. */
	fake_sock_rx_close(f1.fake);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(f1.error, -ECONNRESET);

	/* Removing itself from inside its callback. */
	f1.remove_self = true;
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(group), 2);

	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, g_conns[i].server), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	fake_sock_destroy(&f1.fake);
	fake_sock_destroy(&f2.fake);
	conns_destroy(2);
}

/*
 * The owner flushes a grouped socket itself, and a completion callback queues another request
 * and polls the group: that poll cannot send from inside the flush, but the socket must stay
 * pending so that the next poll sends the request.
 */
struct poll_in_cb {
	struct nvtcp_sock_group *group;
	struct nvtcp_sock *sock;
	struct nvtcp_sock_request *next;
	int calls;
	int poll_rc;
};

static void
poll_in_cb(void *arg, int status)
{
	struct poll_in_cb *p = arg;

	p->calls++;
	if (p->next != NULL) {
		nvtcp_sock_writev_async(p->sock, p->next);
		p->next = NULL;
		p->poll_rc = nvtcp_sock_group_poll(p->group, 0);
	}
}

static void
noop_cb(void *arg, struct nvtcp_sock_group *group, struct nvtcp_sock *sock)
{
}

static void
test_poll_from_send_callback(void)
{
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t bytes[8] = "abcdefgh";
	struct iovec iov[2] = {
		{.iov_base = bytes, .iov_len = 4},
		{.iov_base = bytes + 4, .iov_len = 4},
	};
	struct poll_in_cb first = {0}, second = {0};
	struct nvtcp_sock_request r1 = {.iov = &iov[0], .iovcnt = 1, .cb = poll_in_cb,
					.cb_arg = &first};
	struct nvtcp_sock_request r2 = {.iov = &iov[1], .iovcnt = 1, .cb = poll_in_cb,
					.cb_arg = &second};
	const uint8_t *tx;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, sock, noop_cb, NULL), 0);
	first = (struct poll_in_cb){.group = group, .sock = sock, .next = &r2, .poll_rc = -1};
	nvtcp_sock_writev_async(sock, &r1);
	CU_ASSERT_EQUAL(nvtcp_sock_flush(sock), 4);
	CU_ASSERT_EQUAL(first.calls, 1);
	CU_ASSERT_EQUAL(first.poll_rc, 1);
	CU_ASSERT_EQUAL(second.calls, 0);
	CU_ASSERT_TRUE(nvtcp_sock_has_pending_sends(sock));
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(group, 0), 1);
	CU_ASSERT_EQUAL(second.calls, 1);
	tx = fake_sock_tx_data(fake, &len);
	CU_ASSERT(len == 8 && memcmp(tx, bytes, 8) == 0);
	nvtcp_sock_close(&sock);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
	fake_sock_destroy(&fake);
}

/* ---- API errors ------------------------------------------------------------------------------ */

struct nested {
	int poll_rc;
	int destroy_rc;
	struct nvtcp_sock_group **group;
};

static void
nested_cb(void *arg, struct nvtcp_sock_group *group, struct nvtcp_sock *sock)
{
	struct nested *n = arg;

	n->poll_rc = nvtcp_sock_group_poll(group, 0);
	n->destroy_rc = nvtcp_sock_group_destroy(n->group);
}

static void
test_api_errors(void)
{
	struct nvtcp_sock_group *g1 = nvtcp_sock_group_create();
	struct nvtcp_sock_group *g2 = nvtcp_sock_group_create();
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	struct nested n = {.poll_rc = 1, .destroy_rc = 1, .group = &g1};

	CU_ASSERT_PTR_NOT_NULL_FATAL(g1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(g1, sock, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(g1, sock), -ENOENT);
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(g1, sock, nested_cb, &n), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(g1, sock, nested_cb, &n), -EBUSY);
	CU_ASSERT_EQUAL(nvtcp_sock_group_add(g2, sock, nested_cb, &n), -EBUSY);
	CU_ASSERT_EQUAL(nvtcp_sock_group_remove(g2, sock), -ENOENT);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&g1), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(g1);

	/* Polling or destroying the group from its own callback is refused. */
	CU_ASSERT_EQUAL(nvtcp_sock_group_poll(g1, 0), 1);
	CU_ASSERT_EQUAL(n.poll_rc, -EBUSY);
	CU_ASSERT_EQUAL(n.destroy_rc, -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(g1);

	/* Closing a member removes it; then the group can go. */
	nvtcp_sock_close(&sock);
	CU_ASSERT_EQUAL(nvtcp_sock_group_count(g1), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&g1), 0);
	CU_ASSERT_PTR_NULL(g1);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&g2), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&g2), 0); /* NULL handle */
	fake_sock_destroy(&fake);
}

static int
suite_posix(void)
{
	nvtcp_sock_set_default_impl(NVTCP_SOCK_IMPL_POSIX);
	return 0;
}

static int
suite_uring(void)
{
	nvtcp_sock_set_default_impl(NVTCP_SOCK_IMPL_URING);
	return 0;
}

static int
suite_done(void)
{
	nvtcp_sock_set_default_impl(NVTCP_SOCK_IMPL_DEFAULT);
	return 0;
}

/* The tests that hold for every implementation. */
static void
add_generic(CU_pSuite s)
{
	CU_ADD_TEST(s, test_many_sockets);
	CU_ADD_TEST(s, test_remove_in_callback);
	CU_ADD_TEST(s, test_peer_hangup);
	CU_ADD_TEST(s, test_pending_flush);
	CU_ADD_TEST(s, test_close_during_flush);
	CU_ADD_TEST(s, test_fake_in_group);
	CU_ADD_TEST(s, test_poll_from_send_callback);
	CU_ADD_TEST(s, test_api_errors);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("group_posix", suite_posix, suite_done);

	add_generic(s);
	/* epoll's shortcuts: skipped epoll_wait() for one hot socket, periodic cold polls. */
	CU_ADD_TEST(s, test_one_socket);
	CU_ADD_TEST(s, test_cold_sockets);
	s = CU_add_suite("group_uring", suite_uring, suite_done);
	add_generic(s);
}

NVTCP_UT_MAIN(add_tests)
