/*
 * Unit tests of lib/sock/sock_send.c: queued scatter/gather sends, partial writes, in-order
 * completion exactly once, fatal errors, close with queued requests, and what completion
 * callbacks may do (queue more, flush, close). Over loopback and through the fake socket.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fake_sock.h"
#include "sock_ut_common.h"
#include "ut.h"

/* ---- Completion records ------------------------------------------------------------------ */

struct rec {
	int calls;
	int status;
	int order;
	/* Stream offset just past the request's last byte, and the socket, to check that the
	 * request completes only once all of it has left. */
	uint64_t end;
	struct nvtcp_sock *sock;
	/* What the callback does besides recording. */
	void (*action)(struct rec *r);
	void *action_arg;
};

static int g_order;
static int g_early; /* callbacks that ran before their last byte left */

static void
rec_cb(void *arg, int status)
{
	struct rec *r = arg;
	struct nvtcp_sock_stats st;

	r->calls++;
	r->status = status;
	r->order = g_order++;
	if (status == 0 && r->sock != NULL) {
		nvtcp_sock_get_stats(r->sock, &st);
		if (st.bytes_sent < r->end) {
			g_early++;
		}
	}
	if (r->action != NULL) {
		r->action(r);
	}
}

/* ---- A large stream of many requests ---------------------------------------------------- */

struct stream {
	size_t total;
	uint8_t *arena;    /* the bytes, in arena order */
	uint8_t *expected; /* the bytes in stream (iovec) order */
	int nreqs;
	struct nvtcp_sock_request *reqs;
	struct iovec *iovs;
	struct rec *recs;
	int niovs;
};

/*
 * \p total bytes in \p nreqs requests of 1..max_iov iovecs each (some empty), the iovecs pointing
 * at pieces of an arena in shuffled order, so that only a correct gather reproduces the stream.
 */
static void
stream_init(struct stream *s, size_t total, int nreqs, int max_iov, uint32_t seed)
{
	size_t piece_cnt, off = 0, stream_off = 0;
	size_t *piece_off, *piece_len;
	int *perm;
	int iov = 0;

	memset(s, 0, sizeof(*s));
	s->total = total;
	s->nreqs = nreqs;
	s->arena = malloc(total);
	s->expected = malloc(total);
	s->reqs = calloc((size_t)nreqs, sizeof(*s->reqs));
	s->recs = calloc((size_t)nreqs, sizeof(*s->recs));
	piece_cnt = (size_t)nreqs * (size_t)max_iov;
	s->iovs = calloc(piece_cnt, sizeof(*s->iovs));
	piece_off = calloc(piece_cnt, sizeof(size_t));
	piece_len = calloc(piece_cnt, sizeof(size_t));
	perm = calloc(piece_cnt, sizeof(int));
	CU_ASSERT_FATAL(s->arena && s->expected && s->reqs && s->recs && s->iovs && piece_off &&
			piece_len && perm);
	ut_fill(s->arena, total, seed);
	srand(seed);

	/* Cut the arena into pieces; every eleventh piece is empty. */
	for (size_t i = 0; i < piece_cnt; i++) {
		size_t left = total - off, len;

		if (i == piece_cnt - 1) {
			len = left;
		} else if (i % 11 == 5) {
			len = 0;
		} else {
			size_t avg = left / (piece_cnt - i);

			len = avg == 0 ? (left > 0) : (size_t)rand() % (2 * avg) + 1;
			if (len > left) {
				len = left;
			}
		}
		piece_off[i] = off;
		piece_len[i] = len;
		off += len;
		perm[i] = (int)i;
	}
	for (size_t i = piece_cnt - 1; i > 0; i--) {
		size_t j = (size_t)rand() % (i + 1);
		int t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	/* Hand the shuffled pieces out to requests of varying iovec counts. */
	for (int r = 0; r < nreqs; r++) {
		int cnt = r == nreqs - 1 ? (int)piece_cnt - iov : 1 + rand() % (2 * max_iov - 1);

		if (cnt > (int)piece_cnt - iov - (nreqs - 1 - r)) {
			cnt = (int)piece_cnt - iov - (nreqs - 1 - r);
		}
		s->reqs[r].iov = &s->iovs[iov];
		s->reqs[r].iovcnt = cnt;
		s->reqs[r].cb = rec_cb;
		s->reqs[r].cb_arg = &s->recs[r];
		for (int k = 0; k < cnt; k++, iov++) {
			size_t p = (size_t)perm[iov];

			s->iovs[iov].iov_base = s->arena + piece_off[p];
			s->iovs[iov].iov_len = piece_len[p];
			memcpy(s->expected + stream_off, s->arena + piece_off[p], piece_len[p]);
			stream_off += piece_len[p];
		}
		s->recs[r].end = stream_off;
	}
	s->niovs = iov;
	CU_ASSERT_EQUAL(stream_off, total);
	free(piece_off);
	free(piece_len);
	free(perm);
}

static void
stream_queue(struct stream *s, struct nvtcp_sock *sock)
{
	for (int r = 0; r < s->nreqs; r++) {
		s->recs[r].sock = sock;
		nvtcp_sock_writev_async(sock, &s->reqs[r]);
	}
}

/* Every request completed exactly once with \p status, in queue order. */
static void
stream_check_done(struct stream *s, int status)
{
	int bad = 0;

	for (int r = 0; r < s->nreqs; r++) {
		if (s->recs[r].calls != 1 || s->recs[r].status != status ||
		    (r > 0 && s->recs[r].order <= s->recs[r - 1].order)) {
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void
stream_free(struct stream *s)
{
	free(s->arena);
	free(s->expected);
	free(s->reqs);
	free(s->recs);
	free(s->iovs);
}

static void
test_large_sg_send(void)
{
	struct nvtcp_sock *client, *server;
	struct nvtcp_sock_opts opts;
	struct nvtcp_sock_stats st;
	struct stream s;
	uint8_t *got;
	size_t received = 0;
	uint64_t end;
	int flushes = 0;

	stream_init(&s, 8u << 20, 400, 8, 7);
	/* Far more iovecs than one sendmsg() takes. */
	CU_ASSERT(s.niovs > 2 * IOV_MAX);
	got = malloc(s.total);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);

	/* Small buffers on both ends force many partial writes. */
	nvtcp_sock_opts_init(&opts);
	opts.sndbuf = 16384;
	opts.rcvbuf = 16384;
	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", &opts, &client, &server, NULL), 0);

	g_order = 0;
	g_early = 0;
	stream_queue(&s, client);
	end = ut_now_ms() + 20000;
	while (received < s.total && ut_now_ms() < end) {
		ssize_t rc = nvtcp_sock_flush(client);
		struct iovec iov;

		CU_ASSERT(rc >= 0);
		if (rc < 0) {
			break;
		}
		flushes++;
		do {
			iov.iov_base = got + received;
			iov.iov_len = s.total - received < 65536 ? s.total - received : 65536;
			rc = iov.iov_len > 0 ? nvtcp_sock_readv(server, &iov, 1) : -EAGAIN;
			if (rc > 0) {
				received += (size_t)rc;
			}
		} while (rc > 0);
		CU_ASSERT(rc == -EAGAIN);
		if (rc != -EAGAIN) {
			break;
		}
	}
	CU_ASSERT_EQUAL(received, s.total);
	CU_ASSERT_EQUAL(memcmp(got, s.expected, s.total), 0);
	CU_ASSERT_FALSE(nvtcp_sock_has_pending_sends(client));
	stream_check_done(&s, 0);
	CU_ASSERT_EQUAL(g_early, 0);

	nvtcp_sock_get_stats(client, &st);
	CU_ASSERT_EQUAL(st.bytes_sent, s.total);
	CU_ASSERT(st.partial_sends > 0);
	CU_ASSERT(st.send_calls <= (uint64_t)flushes);
	nvtcp_sock_get_stats(server, &st);
	CU_ASSERT_EQUAL(st.bytes_recv, s.total);

	nvtcp_sock_close(&client);
	nvtcp_sock_close(&server);
	free(got);
	stream_free(&s);
}

/* The same through the fake socket with a tx limit: each flush takes at most the limit. */
static void
fake_stream(size_t limit, size_t total, int nreqs, int max_iov)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	struct nvtcp_sock_stats st;
	struct stream s;
	const uint8_t *data;
	size_t len = 0, prev = 0;
	int guard = 0, bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	stream_init(&s, total, nreqs, max_iov, (uint32_t)limit);
	fake_sock_set_tx_limit(fake, limit);
	g_order = 0;
	g_early = 0;
	stream_queue(&s, sock);
	while (nvtcp_sock_has_pending_sends(sock) && guard++ < 10000000) {
		ssize_t rc = nvtcp_sock_flush(sock);

		CU_ASSERT_FATAL(rc >= 0 && (size_t)rc <= limit);
		fake_sock_tx_data(fake, &len);
		CU_ASSERT_FATAL(len == prev + (size_t)rc);
		prev = len;
		/* A request has completed exactly when all its bytes are in the capture. */
		for (int r = 0; r < s.nreqs; r++) {
			if ((s.recs[r].calls == 1) != (s.recs[r].end <= len)) {
				bad++;
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	data = fake_sock_tx_data(fake, &len);
	CU_ASSERT_EQUAL(len, s.total);
	CU_ASSERT(len == s.total && memcmp(data, s.expected, s.total) == 0);
	stream_check_done(&s, 0);
	CU_ASSERT_EQUAL(g_early, 0);
	CU_ASSERT(fake_sock_max_send_iovcnt(fake) <= IOV_MAX);
	nvtcp_sock_get_stats(sock, &st);
	CU_ASSERT_EQUAL(st.bytes_sent, s.total);
	CU_ASSERT_EQUAL(st.send_calls, fake_sock_send_calls(fake));
	fake_sock_tx_consume(fake, len);
	fake_sock_tx_data(fake, &len);
	CU_ASSERT_EQUAL(len, 0);
	fake_sock_destroy(&fake);
	stream_free(&s);
}

static void
test_fake_partial(void)
{
	/* A byte at a time, odd sizes, and large enough to hit IOV_MAX in one flush. */
	fake_stream(1, 3000, 20, 4);
	fake_stream(7, 50000, 100, 6);
	fake_stream(4096, 1u << 20, 300, 8);
	fake_stream(FAKE_SOCK_UNLIMITED, 1u << 20, 600, 8);
}

/* One request of more than IOV_MAX iovecs resumes inside itself across flushes. */
static void
test_fake_huge_request(void)
{
	enum { N = 3 * IOV_MAX + 17 };
	static struct iovec iov[N];
	static uint8_t bytes[N];
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	struct nvtcp_sock_request req = {.iov = iov, .iovcnt = N, .cb = rec_cb};
	struct rec rec = {0};
	const uint8_t *data;
	size_t len;
	int flushes = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	ut_fill(bytes, sizeof(bytes), 99);
	for (int i = 0; i < N; i++) {
		iov[i].iov_base = &bytes[i];
		iov[i].iov_len = 1;
	}
	req.cb_arg = &rec;
	nvtcp_sock_writev_async(sock, &req);
	while (nvtcp_sock_has_pending_sends(sock) && flushes < 100) {
		ssize_t rc = nvtcp_sock_flush(sock);

		CU_ASSERT(rc > 0 && rc <= IOV_MAX);
		flushes++;
	}
	CU_ASSERT_EQUAL(flushes, 4);
	CU_ASSERT_EQUAL(fake_sock_max_send_iovcnt(fake), IOV_MAX);
	CU_ASSERT_EQUAL(rec.calls, 1);
	CU_ASSERT_EQUAL(rec.status, 0);
	data = fake_sock_tx_data(fake, &len);
	CU_ASSERT_EQUAL(len, (size_t)N);
	CU_ASSERT(len == N && memcmp(data, bytes, N) == 0);
	fake_sock_destroy(&fake);
}

/* Empty requests complete in order, without a system call when nothing else is queued. */
static void
test_empty_requests(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t byte = 0x5a;
	struct iovec one = {.iov_base = &byte, .iov_len = 1};
	struct iovec zero = {.iov_base = NULL, .iov_len = 0};
	struct rec recs[4] = {0};
	struct nvtcp_sock_request reqs[4] = {
		{.iov = NULL, .iovcnt = 0, .cb = rec_cb, .cb_arg = &recs[0]},
		{.iov = &zero, .iovcnt = 1, .cb = rec_cb, .cb_arg = &recs[1]},
		{.iov = &one, .iovcnt = 1, .cb = rec_cb, .cb_arg = &recs[2]},
		{.iov = &zero, .iovcnt = 1, .cb = NULL},
	};

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	g_order = 0;
	CU_ASSERT_EQUAL(nvtcp_sock_flush(sock), 0); /* nothing queued */
	nvtcp_sock_writev_async(sock, &reqs[0]);
	nvtcp_sock_writev_async(sock, &reqs[1]);
	CU_ASSERT_EQUAL(nvtcp_sock_flush(sock), 0);
	CU_ASSERT_EQUAL(fake_sock_send_calls(fake), 0);
	CU_ASSERT_EQUAL(recs[0].calls, 1);
	CU_ASSERT_EQUAL(recs[1].calls, 1);
	CU_ASSERT_FALSE(nvtcp_sock_has_pending_sends(sock));

	/* Behind a request that cannot leave yet, an empty one waits its turn. */
	fake_sock_set_tx_limit(fake, 0);
	nvtcp_sock_writev_async(sock, &reqs[2]);
	nvtcp_sock_writev_async(sock, &reqs[3]);
	CU_ASSERT_EQUAL(nvtcp_sock_flush(sock), 0);
	CU_ASSERT_EQUAL(recs[2].calls, 0);
	CU_ASSERT_TRUE(nvtcp_sock_has_pending_sends(sock));
	fake_sock_set_tx_limit(fake, FAKE_SOCK_UNLIMITED);
	CU_ASSERT_EQUAL(nvtcp_sock_flush(sock), 1);
	CU_ASSERT_EQUAL(recs[2].calls, 1);
	CU_ASSERT_EQUAL(recs[2].status, 0);
	CU_ASSERT_FALSE(nvtcp_sock_has_pending_sends(sock));
	fake_sock_destroy(&fake);
}

/* ---- Errors --------------------------------------------------------------------------------- */

static void
test_fatal_error_posix(void)
{
	struct nvtcp_sock *client, *server;
	struct nvtcp_sock_stats st;
	struct stream s;
	struct stream s2;

	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &client, &server, NULL), 0);
	stream_init(&s, 100000, 10, 4, 3);
	g_order = 0;
	stream_queue(&s, client);
	/* Our own shutdown makes the next send fail with EPIPE -- and must not raise SIGPIPE
	 * (a test binary killed by it fails). */
	CU_ASSERT_EQUAL_FATAL(shutdown(client->fd, SHUT_WR), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_flush(client), -EPIPE);
	stream_check_done(&s, -EPIPE);
	CU_ASSERT_FALSE(nvtcp_sock_has_pending_sends(client));

	/* Later requests fail with the same error, without another system call. */
	nvtcp_sock_get_stats(client, &st);
	stream_init(&s2, 1000, 3, 2, 4);
	stream_queue(&s2, client);
	CU_ASSERT_EQUAL(nvtcp_sock_flush(client), -EPIPE);
	stream_check_done(&s2, -EPIPE);
	{
		struct nvtcp_sock_stats st2;

		nvtcp_sock_get_stats(client, &st2);
		CU_ASSERT_EQUAL(st2.send_calls, st.send_calls);
	}
	nvtcp_sock_close(&client);
	nvtcp_sock_close(&server);
	/* Closing completes nothing twice. */
	stream_check_done(&s, -EPIPE);
	stream_check_done(&s2, -EPIPE);
	stream_free(&s);
	stream_free(&s2);
}

static void
requeue_action(struct rec *r)
{
	/* Queue one more request on the failing socket: it fails too, exactly once. */
	if (r->action_arg != NULL) {
		struct nvtcp_sock_request *extra = r->action_arg;

		r->action_arg = NULL;
		nvtcp_sock_writev_async(r->sock, extra);
	}
}

static void
test_fatal_error_fake(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t buf[64];
	struct iovec iov[3] = {
		{.iov_base = buf, .iov_len = 16},
		{.iov_base = buf + 16, .iov_len = 16},
		{.iov_base = buf + 32, .iov_len = 32},
	};
	struct rec recs[4] = {0};
	struct nvtcp_sock_request reqs[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	for (int i = 0; i < 4; i++) {
		reqs[i] = (struct nvtcp_sock_request){.iov = &iov[i % 3], .iovcnt = 1, .cb = rec_cb,
						      .cb_arg = &recs[i]};
		recs[i].sock = sock;
	}
	recs[1].action = requeue_action;
	recs[1].action_arg = &reqs[3];
	g_order = 0;
	nvtcp_sock_writev_async(sock, &reqs[0]);
	nvtcp_sock_writev_async(sock, &reqs[1]);
	nvtcp_sock_writev_async(sock, &reqs[2]);
	/* First request half sent, then the connection dies. */
	fake_sock_set_tx_limit(fake, 10);
	CU_ASSERT_EQUAL(nvtcp_sock_flush(sock), 10);
	CU_ASSERT_EQUAL(recs[0].calls, 0);
	fake_sock_fail_next(fake, -ECONNRESET);
	CU_ASSERT_EQUAL(nvtcp_sock_flush(sock), -ECONNRESET);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(recs[i].calls, 1);
		CU_ASSERT_EQUAL(recs[i].status, -ECONNRESET);
	}
	CU_ASSERT(recs[0].order < recs[1].order && recs[1].order < recs[2].order &&
		  recs[2].order < recs[3].order);
	CU_ASSERT_EQUAL(fake_sock_send_calls(fake), 2);
	CU_ASSERT_FALSE(nvtcp_sock_has_pending_sends(sock));
	fake_sock_destroy(&fake);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(recs[i].calls, 1);
	}
}

/* ---- Close ---------------------------------------------------------------------------------- */

static void
test_close_cancels_posix(void)
{
	struct nvtcp_sock *client, *server;
	struct nvtcp_sock_opts opts;
	struct stream s;
	int done = 0, canceled = 0, other = 0;

	nvtcp_sock_opts_init(&opts);
	opts.sndbuf = 16384;
	opts.rcvbuf = 16384;
	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", &opts, &client, &server, NULL), 0);
	stream_init(&s, 4u << 20, 64, 4, 11);
	g_order = 0;
	stream_queue(&s, client);
	/* Fill the kernel buffers: some requests leave, the first one left stops half-way. */
	for (int i = 0; i < 4; i++) {
		CU_ASSERT(nvtcp_sock_flush(client) >= 0);
	}
	CU_ASSERT_TRUE(nvtcp_sock_has_pending_sends(client));
	nvtcp_sock_close(&client);
	CU_ASSERT_PTR_NULL(client);
	for (int r = 0; r < s.nreqs; r++) {
		CU_ASSERT_EQUAL(s.recs[r].calls, 1);
		if (s.recs[r].status == 0) {
			done++;
			/* Completions are in order: no success after a cancellation. */
			CU_ASSERT_EQUAL(canceled, 0);
		} else if (s.recs[r].status == -ECANCELED) {
			canceled++;
		} else {
			other++;
		}
	}
	CU_ASSERT(canceled > 0);
	CU_ASSERT_EQUAL(other, 0);
	CU_ASSERT_EQUAL(done + canceled, s.nreqs);
	nvtcp_sock_close(&server);
	stream_free(&s);
}

static void
test_close_cancels_fake(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	struct stream s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	stream_init(&s, 5000, 5, 3, 5);
	g_order = 0;
	stream_queue(&s, sock);
	nvtcp_sock_close(&sock);
	CU_ASSERT_TRUE(fake_sock_is_closed(fake));
	CU_ASSERT_PTR_NULL(fake_sock_get_sock(fake));
	stream_check_done(&s, -ECANCELED);
	CU_ASSERT_EQUAL(fake_sock_send_calls(fake), 0);
	fake_sock_destroy(&fake);
	stream_check_done(&s, -ECANCELED);
	stream_free(&s);
}

/* ---- What callbacks may do ------------------------------------------------------------------ */

struct reentry {
	struct nvtcp_sock_request extra;
	struct rec extra_rec;
	ssize_t nested_flush;
	bool do_close;
};

static void
queue_and_flush_action(struct rec *r)
{
	struct reentry *re = r->action_arg;

	nvtcp_sock_writev_async(r->sock, &re->extra);
	/* A nested flush of the same socket sends nothing: it would complete the new request
	 * before the older ones whose callbacks have not run yet. */
	re->nested_flush = nvtcp_sock_flush(r->sock);
	if (re->do_close) {
		struct nvtcp_sock *sock = r->sock;

		nvtcp_sock_close(&sock);
		/* A second close (of another copy of the handle) is harmless. */
		sock = r->sock;
		nvtcp_sock_close(&sock);
	}
}

static void
test_callback_queues_more(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t bytes[40];
	struct iovec iov[4];
	struct rec recs[3] = {0};
	struct nvtcp_sock_request reqs[3];
	struct reentry re = {0};
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	for (int i = 0; i < 40; i++) {
		bytes[i] = (uint8_t)i;
	}
	for (int i = 0; i < 4; i++) {
		iov[i].iov_base = bytes + 10 * i;
		iov[i].iov_len = 10;
	}
	for (int i = 0; i < 3; i++) {
		reqs[i] = (struct nvtcp_sock_request){.iov = &iov[i], .iovcnt = 1, .cb = rec_cb,
						      .cb_arg = &recs[i]};
		recs[i].sock = sock;
	}
	re.extra = (struct nvtcp_sock_request){.iov = &iov[3], .iovcnt = 1, .cb = rec_cb,
					       .cb_arg = &re.extra_rec};
	re.extra_rec.sock = sock;
	re.nested_flush = -1;
	recs[0].action = queue_and_flush_action;
	recs[0].action_arg = &re;

	g_order = 0;
	for (int i = 0; i < 3; i++) {
		nvtcp_sock_writev_async(sock, &reqs[i]);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_flush(sock), 30);
	CU_ASSERT_EQUAL(re.nested_flush, 0);
	CU_ASSERT_EQUAL(fake_sock_send_calls(fake), 1);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(recs[i].calls, 1);
		CU_ASSERT_EQUAL(recs[i].order, i);
	}
	CU_ASSERT_EQUAL(re.extra_rec.calls, 0);
	CU_ASSERT_TRUE(nvtcp_sock_has_pending_sends(sock));
	fake_sock_tx_data(fake, &len);
	CU_ASSERT_EQUAL(len, 30);
	/* The next flush sends it. */
	CU_ASSERT_EQUAL(nvtcp_sock_flush(sock), 10);
	CU_ASSERT_EQUAL(re.extra_rec.calls, 1);
	CU_ASSERT_EQUAL(re.extra_rec.status, 0);
	CU_ASSERT_EQUAL(re.extra_rec.order, 3);
	CU_ASSERT(memcmp(fake_sock_tx_data(fake, &len), bytes, 40) == 0 && len == 40);
	fake_sock_destroy(&fake);
}

/*
 * A callback closes the socket in the middle of a flush's completions: the requests that left
 * still complete with 0, in order; the one that stopped half-way, those behind it and the one
 * the callback queued complete with -ECANCELED; everything exactly once, and the memory stays
 * valid until the flush is done (AddressSanitizer checks that in the SAN build).
 */
static void
test_callback_closes(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t bytes[50];
	struct iovec iov[5];
	struct rec recs[5] = {0};
	struct nvtcp_sock_request reqs[5];
	struct reentry re = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	for (int i = 0; i < 5; i++) {
		iov[i].iov_base = bytes + 10 * i;
		iov[i].iov_len = 10;
		reqs[i] = (struct nvtcp_sock_request){.iov = &iov[i], .iovcnt = 1, .cb = rec_cb,
						      .cb_arg = &recs[i]};
		recs[i].sock = NULL;
	}
	re.extra = (struct nvtcp_sock_request){.iov = &iov[0], .iovcnt = 1, .cb = rec_cb,
					       .cb_arg = &re.extra_rec};
	re.do_close = true;
	recs[0].sock = sock;
	recs[0].action = queue_and_flush_action;
	recs[0].action_arg = &re;

	g_order = 0;
	for (int i = 0; i < 5; i++) {
		nvtcp_sock_writev_async(sock, &reqs[i]);
	}
	/* 35 bytes leave: requests 0..2 whole, request 3 half. */
	fake_sock_set_tx_limit(fake, 35);
	CU_ASSERT_EQUAL(nvtcp_sock_flush(sock), 35);
	CU_ASSERT_TRUE(fake_sock_is_closed(fake));
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(recs[i].calls, 1);
	}
	CU_ASSERT_EQUAL(re.extra_rec.calls, 1);
	CU_ASSERT_EQUAL(re.extra_rec.status, -ECANCELED);
	CU_ASSERT_EQUAL(recs[0].status, 0);
	CU_ASSERT_EQUAL(recs[1].status, 0);
	CU_ASSERT_EQUAL(recs[2].status, 0);
	CU_ASSERT_EQUAL(recs[3].status, -ECANCELED);
	CU_ASSERT_EQUAL(recs[4].status, -ECANCELED);
	fake_sock_destroy(&fake);
}

/* Requests queued by -ECANCELED callbacks during close are cancelled too, once each. */
static void
requeue_on_cancel_action(struct rec *r)
{
	struct reentry *re = r->action_arg;

	if (r->status == -ECANCELED && re->extra_rec.calls == 0) {
		nvtcp_sock_writev_async(r->sock, &re->extra);
	}
}

static void
test_cancel_callback_requeues(void)
{
	struct fake_sock *fake;
	struct nvtcp_sock *sock = fake_sock_create(&fake);
	uint8_t byte = 1;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct rec rec = {0};
	struct reentry re = {0};
	struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1, .cb = rec_cb, .cb_arg = &rec};

	CU_ASSERT_PTR_NOT_NULL_FATAL(sock);
	re.extra = (struct nvtcp_sock_request){.iov = &iov, .iovcnt = 1, .cb = rec_cb,
					       .cb_arg = &re.extra_rec};
	rec.sock = sock;
	rec.action = requeue_on_cancel_action;
	rec.action_arg = &re;
	nvtcp_sock_writev_async(sock, &req);
	nvtcp_sock_close(&sock);
	CU_ASSERT_EQUAL(rec.calls, 1);
	CU_ASSERT_EQUAL(rec.status, -ECANCELED);
	CU_ASSERT_EQUAL(re.extra_rec.calls, 1);
	CU_ASSERT_EQUAL(re.extra_rec.status, -ECANCELED);
	fake_sock_destroy(&fake);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("sock_send", NULL, NULL);

	CU_ADD_TEST(s, test_large_sg_send);
	CU_ADD_TEST(s, test_fake_partial);
	CU_ADD_TEST(s, test_fake_huge_request);
	CU_ADD_TEST(s, test_empty_requests);
	CU_ADD_TEST(s, test_fatal_error_posix);
	CU_ADD_TEST(s, test_fatal_error_fake);
	CU_ADD_TEST(s, test_close_cancels_posix);
	CU_ADD_TEST(s, test_close_cancels_fake);
	CU_ADD_TEST(s, test_callback_queues_more);
	CU_ADD_TEST(s, test_callback_closes);
	CU_ADD_TEST(s, test_cancel_callback_requeues);
}

NVTCP_UT_MAIN(add_tests)
