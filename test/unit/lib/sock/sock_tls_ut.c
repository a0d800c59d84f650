/*
 * Unit tests of lib/sock/sock_tls.c: real TLS 1.3 PSK handshakes between nvtcp client and
 * server sockets over loopback (non-blocking, polled alternately), data both ways with partial
 * sends, and every handshake failure with its reason: wrong PSK, unknown identity, a TLS
 * 1.2-only client (OpenSSL used directly), garbage instead of a ClientHello, a stalled peer, a
 * peer that closes mid-record. With a tap under one end: a batch of records leaves in one
 * send and arrives with a few reads, small requests share a record, partial sends and a full
 * send buffer (WANT_WRITE) report only what left and lose or repeat nothing, and data that
 * arrived with the handshake's last message reaches a grouped owner.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "nvtcp/tls.h"
#include "nvtcp/util.h"
#include "sock_ut_common.h"
#include "ut.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define SUBNQN "nqn.2016-06.io.nvtcp:tls-ut"
#define KEY32_01 "NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:"
#define KEY48_02                                                                               \
	"NVMeTLSkey-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"
/* KEY32_01 with one key byte changed (and a matching CRC). */
#define KEY32_OTHER "NVMeTLSkey-1:01:MTAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmbaIZJh:"

/* The server's key table: one host. */
struct ut_keys {
	const char *identity;
	const char *key;
	int lookups;
};

static int
ut_lookup(void *ctx, const char *identity, size_t identity_len, struct nvtcp_tls_psk *key)
{
	struct ut_keys *keys = ctx;

	keys->lookups++;
	if (strlen(keys->identity) != identity_len ||
	    memcmp(keys->identity, identity, identity_len) != 0) {
		return -ENOENT;
	}
	return nvtcp_tls_psk_parse(keys->key, key, NULL, 0) == 0 ? 0 : -ENOENT;
}

struct ut_hs {
	int crc, src;
	char cerr[320], serr[320];
};

/* Poll both handshakes alternately until both ended (or UT_WAIT_MS). */
static void
ut_handshake(struct nvtcp_sock *c, struct nvtcp_sock *s, struct ut_hs *hs)
{
	uint64_t end = ut_now_ms() + UT_WAIT_MS;

	hs->crc = 0;
	hs->src = 0;
	hs->cerr[0] = hs->serr[0] = '\0';
	while (ut_now_ms() < end) {
		if (hs->crc == 0) {
			hs->crc = nvtcp_sock_tls_handshake_poll(c, hs->cerr, sizeof(hs->cerr));
		}
		if (hs->src == 0) {
			hs->src = nvtcp_sock_tls_handshake_poll(s, hs->serr, sizeof(hs->serr));
		}
		if (hs->crc != 0 && hs->src != 0) {
			return;
		}
		usleep(200);
	}
}

static int
ut_tls_pair(const char *ckey, const char *skey, const char *sidentity, struct nvtcp_sock **c,
	    struct nvtcp_sock **s, const struct nvtcp_sock_opts *sopts, struct ut_keys *keys)
{
	struct nvtcp_tls_client_opts copts;
	struct nvtcp_tls_server_opts so;
	struct nvtcp_tls_psk psk;
	char err[320];
	int rc;

	rc = ut_pair("127.0.0.1", "127.0.0.1", sopts, c, s, NULL);
	if (rc != 0) {
		return rc;
	}
	CU_ASSERT_EQUAL_FATAL(nvtcp_tls_psk_parse(ckey, &psk, NULL, 0), 0);
	nvtcp_tls_client_opts_init(&copts);
	copts.psk = &psk;
	copts.hostnqn = HOSTNQN;
	copts.subnqn = SUBNQN;
	rc = nvtcp_sock_tls_client(*c, &copts, err, sizeof(err));
	nvtcp_tls_psk_wipe(&psk);
	if (rc != 0) {
		return rc;
	}
	keys->identity = sidentity;
	keys->key = skey;
	keys->lookups = 0;
	nvtcp_tls_server_opts_init(&so);
	so.lookup = ut_lookup;
	so.ctx = keys;
	return nvtcp_sock_tls_server(*s, &so, err, sizeof(err));
}

static void
ut_close2(struct nvtcp_sock **c, struct nvtcp_sock **s)
{
	nvtcp_sock_close(c);
	nvtcp_sock_close(s);
}

static void
test_handshake_ok(void)
{
	struct nvtcp_sock *c, *s;
	struct ut_keys keys;
	struct ut_hs hs;
	char buf[64];

	for (int i = 0; i < 2; i++) {
		const char *key = i == 0 ? KEY32_01 : KEY48_02;
		const char *id = i == 0 ? "NVMe0R01 " HOSTNQN " " SUBNQN :
				 "NVMe0R02 " HOSTNQN " " SUBNQN;
		const char *suite = i == 0 ? "TLS_AES_128_GCM_SHA256" : "TLS_AES_256_GCM_SHA384";

		CU_ASSERT_EQUAL_FATAL(ut_tls_pair(key, key, id, &c, &s, NULL, &keys), 0);
		CU_ASSERT(nvtcp_sock_is_tls(c));
		CU_ASSERT(nvtcp_sock_is_tls(s));
		CU_ASSERT_PTR_NULL(nvtcp_sock_tls_cipher(c));
		ut_handshake(c, s, &hs);
		CU_ASSERT_EQUAL(hs.crc, 1);
		CU_ASSERT_EQUAL(hs.src, 1);
		CU_ASSERT_EQUAL(keys.lookups, 1);
		CU_ASSERT_STRING_EQUAL(nvtcp_sock_tls_cipher(c), suite);
		CU_ASSERT_STRING_EQUAL(nvtcp_sock_tls_cipher(s), suite);
		CU_ASSERT_STRING_EQUAL(nvtcp_sock_tls_identity(s), id);
		CU_ASSERT_PTR_NULL(nvtcp_sock_tls_identity(c));
		/* Polling again after success stays successful. */
		CU_ASSERT_EQUAL(nvtcp_sock_tls_handshake_poll(c, NULL, 0), 1);
		/* Converting twice is refused. */
		CU_ASSERT_EQUAL(nvtcp_sock_tls_client(c, &(struct nvtcp_tls_client_opts){
			.psk = &(struct nvtcp_tls_psk){.len = 32}, .hostnqn = "a", .subnqn = "b"},
			NULL, 0), -EALREADY);

		/* A small message each way. */
		struct iovec iov = {.iov_base = "hello", .iov_len = 5};
		struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1};

		nvtcp_sock_writev_async(c, &req);
		CU_ASSERT(ut_flush_all(c) >= 0);
		CU_ASSERT_EQUAL(ut_read_all(s, buf, 5), 5);
		CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
		iov.iov_base = "world!";
		iov.iov_len = 6;
		nvtcp_sock_writev_async(s, &req);
		CU_ASSERT(ut_flush_all(s) >= 0);
		CU_ASSERT_EQUAL(ut_read_all(c, buf, 6), 6);
		CU_ASSERT_EQUAL(memcmp(buf, "world!", 6), 0);
		/* Nothing more: -EAGAIN. */
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		CU_ASSERT_EQUAL(nvtcp_sock_readv(c, &iov, 1), -EAGAIN);
		/* Statistics count plaintext bytes. */
		struct nvtcp_sock_stats st;

		nvtcp_sock_get_stats(c, &st);
		CU_ASSERT_EQUAL(st.bytes_sent, 5);
		CU_ASSERT_EQUAL(st.bytes_recv, 6);
		ut_close2(&c, &s);
	}
}

struct ut_req {
	struct nvtcp_sock_request req;
	struct iovec iov[3];
	int done;
	int status;
};

static void
ut_req_done(void *arg, int status)
{
	struct ut_req *r = arg;

	r->done++;
	r->status = status;
}

static void
test_bulk_partial(void)
{
	/* Many requests of mixed sizes (small headers and large data) through a small send
	 * buffer: both directions at once, the reader polled alternately with the flusher. */
	enum { NREQ = 200 };
	struct nvtcp_sock_opts opts;
	struct nvtcp_sock *c, *s;
	struct ut_keys keys;
	struct ut_hs hs;
	struct ut_req *reqs = calloc(NREQ, sizeof(*reqs));
	struct nvtcp_sock_stats st;
	size_t total = 0, got = 0, off = 0;
	uint8_t *out, *in;
	uint64_t end;

	CU_ASSERT_PTR_NOT_NULL_FATAL(reqs);
	nvtcp_sock_opts_init(&opts);
	opts.sndbuf = 4096;
	opts.rcvbuf = 4096;
	CU_ASSERT_EQUAL_FATAL(ut_tls_pair(KEY32_01, KEY32_01, "NVMe0R01 " HOSTNQN " " SUBNQN, &c,
					  &s, &opts, &keys), 0);
	ut_handshake(c, s, &hs);
	CU_ASSERT_EQUAL_FATAL(hs.crc, 1);
	CU_ASSERT_EQUAL_FATAL(hs.src, 1);

	for (int i = 0; i < NREQ; i++) {
		total += 8 + (size_t)(i % 7 == 0 ? 131072 : (i * 37) % 5000) + 4;
	}
	out = malloc(total);
	in = malloc(total);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	ut_fill(out, total, 7);
	for (int i = 0; i < NREQ; i++) {
		size_t mid = (size_t)(i % 7 == 0 ? 131072 : (i * 37) % 5000);
		struct ut_req *r = &reqs[i];

		r->iov[0] = (struct iovec){out + off, 8};
		r->iov[1] = (struct iovec){out + off + 8, mid};
		r->iov[2] = (struct iovec){out + off + 8 + mid, 4};
		off += 12 + mid;
		r->req = (struct nvtcp_sock_request){.iov = r->iov, .iovcnt = 3, .cb = ut_req_done,
						     .cb_arg = r};
		nvtcp_sock_writev_async(c, &r->req);
	}
	end = ut_now_ms() + 4 * UT_WAIT_MS;
	while ((got < total || nvtcp_sock_has_pending_sends(c)) && ut_now_ms() < end) {
		ssize_t n = nvtcp_sock_flush(c);
		struct iovec iov = {.iov_base = in + got, .iov_len = total - got};

		CU_ASSERT(n >= 0);
		if (n < 0) {
			break;
		}
		if (got < total) {
			/* Read in odd-sized pieces, to split records. */
			if (iov.iov_len > 3001) {
				iov.iov_len = 3001;
			}
			n = nvtcp_sock_readv(s, &iov, 1);
			if (n > 0) {
				got += (size_t)n;
			} else {
				CU_ASSERT_EQUAL(n, -EAGAIN);
				if (n != -EAGAIN) {
					break;
				}
			}
		}
	}
	CU_ASSERT_EQUAL(got, total);
	CU_ASSERT_EQUAL(memcmp(in, out, total), 0);
	/* The small send buffer did make sends partial (the WANT_WRITE retry path ran). */
	nvtcp_sock_get_stats(c, &st);
	CU_ASSERT(st.partial_sends > 0);
	CU_ASSERT_EQUAL(st.bytes_sent, total);
	for (int i = 0; i < NREQ; i++) {
		CU_ASSERT_EQUAL(reqs[i].done, 1);
		CU_ASSERT_EQUAL(reqs[i].status, 0);
	}
	/* The other direction, one large request. */
	memset(reqs, 0, sizeof(*reqs));
	reqs[0].iov[0] = (struct iovec){out, total};
	reqs[0].req = (struct nvtcp_sock_request){.iov = reqs[0].iov, .iovcnt = 1,
						  .cb = ut_req_done, .cb_arg = &reqs[0]};
	nvtcp_sock_writev_async(s, &reqs[0].req);
	got = 0;
	end = ut_now_ms() + 4 * UT_WAIT_MS;
	while ((got < total || nvtcp_sock_has_pending_sends(s)) && ut_now_ms() < end) {
		struct iovec iov = {.iov_base = in + got, .iov_len = total - got};
		ssize_t n = nvtcp_sock_flush(s);

		CU_ASSERT(n >= 0);
		n = nvtcp_sock_readv(c, &iov, 1);
		if (n > 0) {
			got += (size_t)n;
		}
	}
	CU_ASSERT_EQUAL(got, total);
	CU_ASSERT_EQUAL(memcmp(in, out, total), 0);
	CU_ASSERT_EQUAL(reqs[0].done, 1);
	ut_close2(&c, &s);
	free(in);
	free(out);
	free(reqs);
}

static void
test_wrong_psk(void)
{
	struct nvtcp_sock *c, *s;
	struct ut_keys keys;
	struct ut_hs hs;
	struct iovec iov = {.iov_base = (char[8]){0}, .iov_len = 8};

	CU_ASSERT_EQUAL_FATAL(ut_tls_pair(KEY32_01, KEY32_OTHER, "NVMe0R01 " HOSTNQN " " SUBNQN,
					  &c, &s, NULL, &keys), 0);
	ut_handshake(c, s, &hs);
	CU_ASSERT_EQUAL(hs.src, -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs.serr, "wrong PSK"));
	CU_ASSERT(hs.crc < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs.cerr, "wrong PSK?"));
	/* The failed socket refuses I/O. */
	CU_ASSERT(nvtcp_sock_readv(s, &iov, 1) < 0 && nvtcp_sock_readv(s, &iov, 1) != -EAGAIN);
	/* The reason stays. */
	CU_ASSERT_EQUAL(nvtcp_sock_tls_handshake_poll(s, hs.serr, sizeof(hs.serr)), -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs.serr, "wrong PSK"));
	ut_close2(&c, &s);
}

static void
test_unknown_identity(void)
{
	struct nvtcp_sock *c, *s;
	struct ut_keys keys;
	struct ut_hs hs;

	CU_ASSERT_EQUAL_FATAL(ut_tls_pair(KEY32_01, KEY32_01, "NVMe0R01 " HOSTNQN " other-subsys",
					  &c, &s, NULL, &keys), 0);
	ut_handshake(c, s, &hs);
	CU_ASSERT_EQUAL(hs.src, -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs.serr, "unknown PSK identity 'NVMe0R01 " HOSTNQN));
	CU_ASSERT(hs.crc < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs.cerr, "peer refused the handshake"));
	CU_ASSERT_PTR_NULL(nvtcp_sock_tls_identity(s));
	ut_close2(&c, &s);

	/* A 48-byte key on the client for an identity the server has with a 32-byte key. */
	CU_ASSERT_EQUAL_FATAL(ut_tls_pair(KEY48_02, KEY32_01, "NVMe0R02 " HOSTNQN " " SUBNQN,
					  &c, &s, NULL, &keys), 0);
	ut_handshake(c, s, &hs);
	CU_ASSERT_EQUAL(hs.src, -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs.serr, "asks for a 48-byte key"));
	CU_ASSERT(hs.crc < 0);
	ut_close2(&c, &s);
}

static void
test_tls12_client(void)
{
	struct nvtcp_tls_server_opts so;
	struct nvtcp_sock *c, *s;
	struct ut_keys keys = {.identity = "x", .key = KEY32_01};
	char err[320] = "";
	SSL_CTX *ctx;
	SSL *ssl;
	int rc = 0;
	uint64_t end;

	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &c, &s, NULL), 0);
	nvtcp_tls_server_opts_init(&so);
	so.lookup = ut_lookup;
	so.ctx = &keys;
	CU_ASSERT_EQUAL_FATAL(nvtcp_sock_tls_server(s, &so, err, sizeof(err)), 0);
	ctx = SSL_CTX_new(TLS_client_method());
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, c->fd);
	end = ut_now_ms() + UT_WAIT_MS;
	while (rc == 0 && ut_now_ms() < end) {
		SSL_connect(ssl);
		rc = nvtcp_sock_tls_handshake_poll(s, err, sizeof(err));
		usleep(200);
	}
	CU_ASSERT_EQUAL(rc, -EPROTONOSUPPORT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "peer offered only TLS 1.2 or older"));
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	ut_close2(&c, &s);

	/* A TLS 1.3 client without a PSK (it expects a certificate). */
	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &c, &s, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(nvtcp_sock_tls_server(s, &so, err, sizeof(err)), 0);
	ctx = SSL_CTX_new(TLS_client_method());
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, c->fd);
	rc = 0;
	end = ut_now_ms() + UT_WAIT_MS;
	while (rc == 0 && ut_now_ms() < end) {
		SSL_connect(ssl);
		rc = nvtcp_sock_tls_handshake_poll(s, err, sizeof(err));
		usleep(200);
	}
	CU_ASSERT_EQUAL(rc, -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "client offered no PSK"));
	CU_ASSERT_EQUAL(keys.lookups, 0);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	ut_close2(&c, &s);
}

static void
test_garbage_and_detect(void)
{
	struct nvtcp_tls_server_opts so;
	struct nvtcp_sock *c, *s;
	struct ut_keys keys = {.identity = "x", .key = KEY32_01};
	char err[320] = "";
	uint8_t icreq[8] = {0x00, 0x00, 128, 0, 128, 0, 0, 0};
	int rc = 0;
	uint64_t end;

	/* Plaintext ICReq: detect says 0 and consumes nothing; as TLS it is refused. */
	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &c, &s, NULL), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_tls_detect(s), -EAGAIN);
	CU_ASSERT_EQUAL(send(c->fd, icreq, sizeof(icreq), 0), (ssize_t)sizeof(icreq));
	CU_ASSERT(ut_wait_readable(s, UT_WAIT_MS));
	CU_ASSERT_EQUAL(nvtcp_sock_tls_detect(s), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_tls_detect(s), 0);
	nvtcp_tls_server_opts_init(&so);
	so.lookup = ut_lookup;
	so.ctx = &keys;
	CU_ASSERT_EQUAL_FATAL(nvtcp_sock_tls_server(s, &so, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_tls_detect(s), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_sock_tls_handshake_poll(s, err, sizeof(err)), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a TLS ClientHello (first byte 0x00"));
	ut_close2(&c, &s);

	/* Text instead of a ClientHello. */
	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &c, &s, NULL), 0);
	CU_ASSERT_EQUAL(send(c->fd, "GET / HTTP/1.0\r\n\r\n", 18, 0), 18);
	CU_ASSERT(ut_wait_readable(s, UT_WAIT_MS));
	CU_ASSERT_EQUAL(nvtcp_sock_tls_detect(s), -EPROTO);
	CU_ASSERT_EQUAL_FATAL(nvtcp_sock_tls_server(s, &so, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nvtcp_sock_tls_handshake_poll(s, err, sizeof(err)), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a TLS ClientHello (first byte 0x47)"));
	ut_close2(&c, &s);

	/* A handshake record header followed by garbage. */
	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &c, &s, NULL), 0);
	CU_ASSERT_EQUAL(send(c->fd, "\x16\x03\x01\x00\x05garbage", 12, 0), 12);
	CU_ASSERT(ut_wait_readable(s, UT_WAIT_MS));
	CU_ASSERT_EQUAL(nvtcp_sock_tls_detect(s), 1);
	CU_ASSERT_EQUAL_FATAL(nvtcp_sock_tls_server(s, &so, err, sizeof(err)), 0);
	end = ut_now_ms() + UT_WAIT_MS;
	while ((rc = nvtcp_sock_tls_handshake_poll(s, err, sizeof(err))) == 0 &&
	       ut_now_ms() < end) {
		usleep(200);
	}
	CU_ASSERT(rc < 0);
	CU_ASSERT(err[0] != '\0');
	ut_close2(&c, &s);

	/* A peer that closes before sending anything. */
	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &c, &s, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(nvtcp_sock_tls_server(s, &so, err, sizeof(err)), 0);
	nvtcp_sock_close(&c);
	CU_ASSERT(ut_wait_readable(s, UT_WAIT_MS));
	CU_ASSERT_EQUAL(nvtcp_sock_tls_handshake_poll(s, err, sizeof(err)), -ECONNRESET);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "peer closed"));
	nvtcp_sock_close(&s);
}

static void
test_stall_timeout(void)
{
	struct nvtcp_tls_server_opts so;
	struct nvtcp_tls_client_opts copts;
	struct nvtcp_tls_psk psk;
	struct nvtcp_sock *c, *s;
	struct ut_keys keys = {.identity = "x", .key = KEY32_01};
	char err[320] = "";
	uint64_t start, end;
	int rc;

	/* Server waits for a ClientHello that never comes. */
	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &c, &s, NULL), 0);
	nvtcp_tls_server_opts_init(&so);
	so.lookup = ut_lookup;
	so.ctx = &keys;
	so.handshake_timeout_ms = 200;
	CU_ASSERT_EQUAL_FATAL(nvtcp_sock_tls_server(s, &so, err, sizeof(err)), 0);
	start = ut_now_ms();
	end = start + UT_WAIT_MS;
	while ((rc = nvtcp_sock_tls_handshake_poll(s, err, sizeof(err))) == 0 &&
	       ut_now_ms() < end) {
		usleep(1000);
	}
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	CU_ASSERT(ut_now_ms() - start >= 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "timed out after 200 ms"));
	ut_close2(&c, &s);

	/* Client waits for a ServerHello that never comes (the peer is plain TCP). */
	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &c, &s, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(nvtcp_tls_psk_parse(KEY32_01, &psk, NULL, 0), 0);
	nvtcp_tls_client_opts_init(&copts);
	copts.psk = &psk;
	copts.hostnqn = HOSTNQN;
	copts.subnqn = SUBNQN;
	copts.handshake_timeout_ms = 200;
	CU_ASSERT_EQUAL_FATAL(nvtcp_sock_tls_client(c, &copts, err, sizeof(err)), 0);
	end = ut_now_ms() + UT_WAIT_MS;
	while ((rc = nvtcp_sock_tls_handshake_poll(c, err, sizeof(err))) == 0 &&
	       ut_now_ms() < end) {
		usleep(1000);
	}
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	/* The plain peer got a ClientHello. */
	CU_ASSERT_EQUAL(nvtcp_sock_tls_detect(s), 1);
	ut_close2(&c, &s);
}

static void
test_close_mid_record(void)
{
	struct nvtcp_sock *c, *s;
	struct ut_keys keys;
	struct ut_hs hs;
	uint8_t buf[64];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	ssize_t n = -EAGAIN;
	uint64_t end;

	CU_ASSERT_EQUAL_FATAL(ut_tls_pair(KEY32_01, KEY32_01, "NVMe0R01 " HOSTNQN " " SUBNQN, &c,
					  &s, NULL, &keys), 0);
	ut_handshake(c, s, &hs);
	CU_ASSERT_EQUAL_FATAL(hs.crc, 1);
	CU_ASSERT_EQUAL_FATAL(hs.src, 1);
	/* Half an application data record under TLS's back, then close. */
	CU_ASSERT_EQUAL(send(c->fd, "\x17\x03\x03\x00\x40" "0123456789", 15, 0), 15);
	shutdown(c->fd, SHUT_WR);
	end = ut_now_ms() + UT_WAIT_MS;
	while ((n = nvtcp_sock_readv(s, &iov, 1)) == -EAGAIN && ut_now_ms() < end) {
		ut_wait_readable(s, 10);
	}
	/* Not a plain close: the owner gets -EPROTO and the reason to log. */
	CU_ASSERT_EQUAL(n, -EPROTO);
	CU_ASSERT_EQUAL(nvtcp_sock_readv(s, &iov, 1), -EPROTO);
	CU_ASSERT(nvtcp_sock_tls_error(s) != NULL &&
		  strcmp(nvtcp_sock_tls_error(s), "peer closed the connection mid-record") == 0);
	ut_close2(&c, &s);

	/* A close without close_notify between records (as Linux and SPDK hosts close): a
	 * plain close, no error to log. */
	CU_ASSERT_EQUAL_FATAL(ut_tls_pair(KEY32_01, KEY32_01, "NVMe0R01 " HOSTNQN " " SUBNQN, &c,
					  &s, NULL, &keys), 0);
	ut_handshake(c, s, &hs);
	CU_ASSERT_EQUAL_FATAL(hs.src, 1);
	shutdown(c->fd, SHUT_WR);
	end = ut_now_ms() + UT_WAIT_MS;
	while ((n = nvtcp_sock_readv(s, &iov, 1)) == -EAGAIN && ut_now_ms() < end) {
		ut_wait_readable(s, 10);
	}
	CU_ASSERT_EQUAL(n, -ECONNRESET);
	CU_ASSERT(nvtcp_sock_tls_error(s) == NULL);
	ut_close2(&c, &s);

	/* A forged record (right framing, wrong tag) fails the connection: -EPROTO, sticky. */
	CU_ASSERT_EQUAL_FATAL(ut_tls_pair(KEY32_01, KEY32_01, "NVMe0R01 " HOSTNQN " " SUBNQN, &c,
					  &s, NULL, &keys), 0);
	ut_handshake(c, s, &hs);
	CU_ASSERT_EQUAL_FATAL(hs.src, 1);
	{
		uint8_t rec[5 + 32] = {0x17, 0x03, 0x03, 0x00, 0x20};

		ut_fill(rec + 5, 32, 9);
		CU_ASSERT_EQUAL(send(c->fd, rec, sizeof(rec), 0), (ssize_t)sizeof(rec));
	}
	end = ut_now_ms() + UT_WAIT_MS;
	while ((n = nvtcp_sock_readv(s, &iov, 1)) == -EAGAIN && ut_now_ms() < end) {
		ut_wait_readable(s, 10);
	}
	CU_ASSERT_EQUAL(n, -EPROTO);
	CU_ASSERT_EQUAL(nvtcp_sock_readv(s, &iov, 1), -EPROTO);
	/* OpenSSL's reason for the failed AEAD check, for the log. */
	CU_ASSERT(nvtcp_sock_tls_error(s) != NULL &&
		  strstr(nvtcp_sock_tls_error(s), "mid-record") == NULL);
	ut_close2(&c, &s);

	/* A clean close (close_notify) also reads as -ECONNRESET after the data. */
	CU_ASSERT_EQUAL_FATAL(ut_tls_pair(KEY32_01, KEY32_01, "NVMe0R01 " HOSTNQN " " SUBNQN, &c,
					  &s, NULL, &keys), 0);
	ut_handshake(c, s, &hs);
	CU_ASSERT_EQUAL_FATAL(hs.src, 1);
	{
		struct iovec d = {.iov_base = "bye", .iov_len = 3};
		struct nvtcp_sock_request req = {.iov = &d, .iovcnt = 1};

		nvtcp_sock_writev_async(c, &req);
		CU_ASSERT(ut_flush_all(c) >= 0);
	}
	nvtcp_sock_close(&c);
	CU_ASSERT_EQUAL(ut_read_all(s, buf, 3), 3);
	CU_ASSERT_EQUAL(memcmp(buf, "bye", 3), 0);
	end = ut_now_ms() + UT_WAIT_MS;
	while ((n = nvtcp_sock_readv(s, &iov, 1)) == -EAGAIN && ut_now_ms() < end) {
		ut_wait_readable(s, 10);
	}
	CU_ASSERT_EQUAL(n, -ECONNRESET);
	nvtcp_sock_close(&s);
}

struct ut_reader {
	uint8_t buf[400];
	size_t got;
	int calls;
};

/* Reads 10 bytes per call: leaves decrypted plaintext inside OpenSSL. */
static void
ut_group_cb(void *arg, struct nvtcp_sock_group *group, struct nvtcp_sock *sock)
{
	struct ut_reader *r = arg;
	struct iovec iov = {.iov_base = r->buf + r->got, .iov_len = 10};
	ssize_t n;

	r->calls++;
	if (r->got + 10 > sizeof(r->buf)) {
		return;
	}
	n = nvtcp_sock_readv(sock, &iov, 1);
	if (n > 0) {
		r->got += (size_t)n;
	}
}

static void
test_group_buffered(void)
{
	/* Two TLS sockets in a group (so it uses epoll): data already decrypted inside OpenSSL
	 * must still reach the owner, although the descriptor has nothing more to report. */
	struct nvtcp_sock *c[2], *s[2];
	struct ut_reader rd[2];
	struct ut_keys keys[2];
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	uint8_t out[200];
	struct ut_hs hs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	memset(rd, 0, sizeof(rd));
	ut_fill(out, sizeof(out), 3);
	for (int i = 0; i < 2; i++) {
		struct iovec iov = {.iov_base = out, .iov_len = sizeof(out)};
		struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1};

		CU_ASSERT_EQUAL_FATAL(ut_tls_pair(KEY32_01, KEY32_01,
						  "NVMe0R01 " HOSTNQN " " SUBNQN, &c[i], &s[i],
						  NULL, &keys[i]), 0);
		ut_handshake(c[i], s[i], &hs);
		CU_ASSERT_EQUAL_FATAL(hs.src, 1);
		CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, s[i], ut_group_cb, &rd[i]), 0);
		nvtcp_sock_writev_async(c[i], &req);
		CU_ASSERT(ut_flush_all(c[i]) >= 0);
	}
	usleep(20000);
	for (int k = 0; k < 200 && (rd[0].got < sizeof(out) || rd[1].got < sizeof(out)); k++) {
		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	}
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(rd[i].got, sizeof(out));
		CU_ASSERT_EQUAL(memcmp(rd[i].buf, out, sizeof(out)), 0);
		/* A socket that leaves the group while marked is forgotten by it. */
		CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, s[i]), 0);
		ut_close2(&c[i], &s[i]);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
}

/* ---- Batching: the TLS socket's I/O seen from below ---------------------------------------- */

/*
 * A tap between the TLS layer and the posix ops of one socket (as the fake socket of the other
 * suites, but over a real descriptor, which TLS needs): counts the calls and bytes that reach
 * the descriptor and can cap what one send takes (0 = nothing, as a full kernel buffer).
 */
struct ut_tap {
	const struct nvtcp_sock_ops *posix;
	struct nvtcp_sock_ops ops;
	size_t tx_limit;
	uint64_t send_calls, sent, recv_calls, recv_data_calls;
};

static struct ut_tap g_tap;

static ssize_t
tap_writev(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt)
{
	struct iovec cut[1];
	ssize_t n;

	g_tap.send_calls++;
	if (g_tap.tx_limit == 0) {
		return 0;
	}
	if (nvtcp_sock_iov_len(iov, iovcnt) > g_tap.tx_limit) {
		/* The TLS layer sends one contiguous buffer at a time. */
		CU_ASSERT_EQUAL(iovcnt, 1);
		cut[0] = (struct iovec){iov[0].iov_base, g_tap.tx_limit};
		iov = cut;
		iovcnt = 1;
	}
	n = g_tap.posix->writev(sock, iov, iovcnt);
	if (n > 0) {
		g_tap.sent += (uint64_t)n;
	}
	return n;
}

static ssize_t
tap_readv(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt)
{
	ssize_t n = g_tap.posix->readv(sock, iov, iovcnt);

	g_tap.recv_calls++;
	g_tap.recv_data_calls += n > 0;
	return n;
}

/* Put the tap under \p sock (before it becomes TLS). */
static void
ut_tap_install(struct nvtcp_sock *sock)
{
	memset(&g_tap, 0, sizeof(g_tap));
	g_tap.posix = sock->ops;
	g_tap.ops = *sock->ops;
	g_tap.ops.writev = tap_writev;
	g_tap.ops.readv = tap_readv;
	g_tap.tx_limit = SIZE_MAX;
	sock->ops = &g_tap.ops;
}

/* A TLS pair with the tap under the client (tap_client) or the server, handshake done. */
static void
ut_tap_pair(bool tap_client, struct nvtcp_sock **c, struct nvtcp_sock **s, struct ut_keys *keys)
{
	struct nvtcp_sock_opts opts;
	struct ut_hs hs;

	nvtcp_sock_opts_init(&opts);
	/* Room for a whole batch in the kernel, so that one send can take it. */
	opts.sndbuf = 1 << 20;
	opts.rcvbuf = 1 << 20;
	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", &opts, c, s, NULL), 0);
	ut_tap_install(tap_client ? *c : *s);
	{
		struct nvtcp_tls_client_opts copts;
		struct nvtcp_tls_server_opts so;
		struct nvtcp_tls_psk psk;

		CU_ASSERT_EQUAL_FATAL(nvtcp_tls_psk_parse(KEY32_01, &psk, NULL, 0), 0);
		nvtcp_tls_client_opts_init(&copts);
		copts.psk = &psk;
		copts.hostnqn = HOSTNQN;
		copts.subnqn = SUBNQN;
		CU_ASSERT_EQUAL_FATAL(nvtcp_sock_tls_client(*c, &copts, NULL, 0), 0);
		nvtcp_tls_psk_wipe(&psk);
		keys->identity = "NVMe0R01 " HOSTNQN " " SUBNQN;
		keys->key = KEY32_01;
		nvtcp_tls_server_opts_init(&so);
		so.lookup = ut_lookup;
		so.ctx = keys;
		CU_ASSERT_EQUAL_FATAL(nvtcp_sock_tls_server(*s, &so, NULL, 0), 0);
	}
	ut_handshake(*c, *s, &hs);
	CU_ASSERT_EQUAL_FATAL(hs.crc, 1);
	CU_ASSERT_EQUAL_FATAL(hs.src, 1);
}

/* Read whatever the server can decrypt now into in + *got (up to max). */
static void
ut_drain(struct nvtcp_sock *s, uint8_t *in, size_t *got, size_t max)
{
	for (int k = 0; k < 100 && *got < max; k++) {
		struct iovec iov = {.iov_base = in + *got, .iov_len = max - *got};
		ssize_t n = nvtcp_sock_readv(s, &iov, 1);

		if (n <= 0) {
			CU_ASSERT_EQUAL(n, -EAGAIN);
			if (!ut_wait_readable(s, 20)) {
				break;
			}
			continue;
		}
		*got += (size_t)n;
	}
}

static void
test_batch_one_send(void)
{
	/* A poll's batch of 32 C2H-like PDUs (header, 4 KiB, digest): all its records leave in
	 * one send, and the peer fetches them with a couple of reads, not two per record. */
	enum { NREQ = 32, SZ = 24 + 4096 + 4 };
	struct nvtcp_sock *c, *s;
	struct ut_keys keys;
	struct ut_req reqs[NREQ];
	static uint8_t out[NREQ * SZ], in[NREQ * SZ];
	size_t got = 0, records = (sizeof(out) + 16383) / 16384;
	ssize_t n;

	ut_tap_pair(true, &c, &s, &keys);
	ut_fill(out, sizeof(out), 11);
	memset(reqs, 0, sizeof(reqs));
	for (int i = 0; i < NREQ; i++) {
		uint8_t *p = out + (size_t)i * SZ;

		reqs[i].iov[0] = (struct iovec){p, 24};
		reqs[i].iov[1] = (struct iovec){p + 24, 4096};
		reqs[i].iov[2] = (struct iovec){p + 24 + 4096, 4};
		reqs[i].req = (struct nvtcp_sock_request){.iov = reqs[i].iov, .iovcnt = 3,
							  .cb = ut_req_done, .cb_arg = &reqs[i]};
		nvtcp_sock_writev_async(c, &reqs[i].req);
	}
	g_tap.send_calls = 0;
	g_tap.sent = 0;
	n = nvtcp_sock_flush(c);
	CU_ASSERT_EQUAL(n, (ssize_t)sizeof(out));
	CU_ASSERT_EQUAL(g_tap.send_calls, 1);
	/* Full 16 KiB records, 22 bytes of TLS 1.3 overhead each (header, type, tag). */
	CU_ASSERT_EQUAL(g_tap.sent, sizeof(out) + 22 * records);
	for (int i = 0; i < NREQ; i++) {
		CU_ASSERT_EQUAL(reqs[i].done, 1);
		CU_ASSERT_EQUAL(reqs[i].status, 0);
	}
	ut_drain(s, in, &got, sizeof(in));
	CU_ASSERT_EQUAL(got, sizeof(out));
	CU_ASSERT_EQUAL(memcmp(in, out, sizeof(out)), 0);
	ut_close2(&c, &s);

	/* The receiving side: the same batch already in the kernel is fetched with read-ahead,
	 * a few large reads for all its records, and no read after the one that came back short
	 * (the socket was empty). */
	ut_tap_pair(false, &c, &s, &keys);
	for (int i = 0; i < NREQ; i++) {
		reqs[i].done = 0;
		nvtcp_sock_writev_async(c, &reqs[i].req);
	}
	CU_ASSERT(ut_flush_all(c) >= 0);
	usleep(20000);
	g_tap.recv_calls = 0;
	got = 0;
	memset(in, 0, sizeof(in));
	ut_drain(s, in, &got, sizeof(in));
	CU_ASSERT_EQUAL(got, sizeof(out));
	CU_ASSERT_EQUAL(memcmp(in, out, sizeof(out)), 0);
	/* 133 KiB of records through a 128 KiB read-ahead buffer: 2 reads (4 allow for the
	 * kernel splitting). Two reads per record would be 18. */
	CU_ASSERT(g_tap.recv_calls >= 2 && g_tap.recv_calls <= 4);
	ut_close2(&c, &s);
}

static void
test_small_coalesced(void)
{
	/* 200 capsule-sized requests (72 bytes) become one record and one send. */
	enum { NREQ = 200, SZ = 72 };
	struct nvtcp_sock *c, *s;
	struct ut_keys keys;
	static struct ut_req reqs[NREQ];
	static uint8_t out[NREQ * SZ], in[NREQ * SZ];
	size_t got = 0;

	ut_tap_pair(true, &c, &s, &keys);
	ut_fill(out, sizeof(out), 12);
	memset(reqs, 0, sizeof(reqs));
	for (int i = 0; i < NREQ; i++) {
		reqs[i].iov[0] = (struct iovec){out + (size_t)i * SZ, SZ};
		reqs[i].req = (struct nvtcp_sock_request){.iov = reqs[i].iov, .iovcnt = 1,
							  .cb = ut_req_done, .cb_arg = &reqs[i]};
		nvtcp_sock_writev_async(c, &reqs[i].req);
	}
	g_tap.send_calls = 0;
	g_tap.sent = 0;
	CU_ASSERT_EQUAL(nvtcp_sock_flush(c), (ssize_t)sizeof(out));
	CU_ASSERT_EQUAL(g_tap.send_calls, 1);
	CU_ASSERT_EQUAL(g_tap.sent, sizeof(out) + 22);
	ut_drain(s, in, &got, sizeof(in));
	CU_ASSERT_EQUAL(got, sizeof(out));
	CU_ASSERT_EQUAL(memcmp(in, out, sizeof(out)), 0);
	for (int i = 0; i < NREQ; i++) {
		CU_ASSERT_EQUAL(reqs[i].done, 1);
	}
	ut_close2(&c, &s);
}

static void
test_partial_want_write(void)
{
	/* 600 KiB in 4 KiB requests against a kernel that takes nothing, then odd pieces:
	 * the send buffer fills (OpenSSL's WANT_WRITE, retried with the same length), nothing
	 * is reported before its record left whole (what is reported, the peer can always
	 * decrypt), nothing is encrypted twice, every request completes once, in order. */
	enum { NREQ = 150, SZ = 4096 };
	static const size_t limits[] = {0, 0, 1000, 0, 7, 16405, 0, 16406, 65536, 3, 200000};
	struct nvtcp_sock *c, *s;
	struct ut_keys keys;
	static struct ut_req reqs[NREQ];
	static uint8_t out[NREQ * SZ], in[NREQ * SZ];
	size_t got = 0, reported = 0, completed;
	uint64_t end;
	int order_ok = 1;

	ut_tap_pair(true, &c, &s, &keys);
	ut_fill(out, sizeof(out), 13);
	memset(reqs, 0, sizeof(reqs));
	for (int i = 0; i < NREQ; i++) {
		reqs[i].iov[0] = (struct iovec){out + (size_t)i * SZ, SZ};
		reqs[i].req = (struct nvtcp_sock_request){.iov = reqs[i].iov, .iovcnt = 1,
							  .cb = ut_req_done, .cb_arg = &reqs[i]};
		nvtcp_sock_writev_async(c, &reqs[i].req);
	}
	g_tap.sent = 0;
	for (size_t k = 0; k < NVTCP_COUNTOF(limits); k++) {
		ssize_t n;

		g_tap.tx_limit = limits[k];
		n = nvtcp_sock_flush(c);
		CU_ASSERT(n >= 0);
		reported += n > 0 ? (size_t)n : 0;
		if (limits[k] == 0) {
			CU_ASSERT_EQUAL(n, 0);
		}
		/* Bytes reported are in whole records in the kernel: the peer gets them all. */
		ut_drain(s, in, &got, sizeof(in));
		CU_ASSERT(got >= reported);
		completed = 0;
		for (int i = 0; i < NREQ; i++) {
			completed += reqs[i].done == 1 ? SZ : 0;
			if (i > 0 && reqs[i].done && !reqs[i - 1].done) {
				order_ok = 0;
			}
		}
		CU_ASSERT_EQUAL(completed, reported);
	}
	CU_ASSERT(order_ok);
	g_tap.tx_limit = SIZE_MAX;
	CU_ASSERT(ut_flush_all(c) >= 0);
	end = ut_now_ms() + UT_WAIT_MS;
	while (got < sizeof(in) && ut_now_ms() < end) {
		ut_drain(s, in, &got, sizeof(in));
	}
	CU_ASSERT_EQUAL(got, sizeof(out));
	CU_ASSERT_EQUAL(memcmp(in, out, sizeof(out)), 0);
	/* Each 4 KiB-aligned 16 KiB of plaintext is one record: no byte was encrypted twice. */
	CU_ASSERT_EQUAL(g_tap.sent, sizeof(out) + 22 * ((sizeof(out) + 16383) / 16384));
	for (int i = 0; i < NREQ; i++) {
		CU_ASSERT_EQUAL(reqs[i].done, 1);
		CU_ASSERT_EQUAL(reqs[i].status, 0);
	}
	ut_close2(&c, &s);
}

static void
test_pending_after_handshake(void)
{
	/* The client's first data leaves right behind its Finished; with read-ahead the
	 * server's last handshake read takes both, and the descriptor never signals the data
	 * again. The group must still call the owner (two sockets: it uses epoll). */
	struct nvtcp_sock *c[2], *s[2];
	struct ut_reader rd[2];
	struct ut_keys keys[2];
	struct nvtcp_sock_group *group = nvtcp_sock_group_create();
	uint8_t out[200];

	CU_ASSERT_PTR_NOT_NULL_FATAL(group);
	memset(rd, 0, sizeof(rd));
	ut_fill(out, sizeof(out), 14);
	for (int i = 0; i < 2; i++) {
		struct iovec iov = {.iov_base = out, .iov_len = sizeof(out)};
		struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1};
		uint64_t end = ut_now_ms() + UT_WAIT_MS;
		int crc = 0, src = 0;

		CU_ASSERT_EQUAL_FATAL(ut_tls_pair(KEY32_01, KEY32_01,
						  "NVMe0R01 " HOSTNQN " " SUBNQN, &c[i], &s[i],
						  NULL, &keys[i]), 0);
		/* Server flight out, client done (and its Finished sent), data queued behind. */
		while (crc == 0 && ut_now_ms() < end) {
			crc = nvtcp_sock_tls_handshake_poll(c[i], NULL, 0);
			if (crc == 0 && src == 0) {
				src = nvtcp_sock_tls_handshake_poll(s[i], NULL, 0);
			}
			usleep(200);
		}
		CU_ASSERT_EQUAL_FATAL(crc, 1);
		CU_ASSERT_EQUAL_FATAL(src, 0);
		nvtcp_sock_writev_async(c[i], &req);
		CU_ASSERT(ut_flush_all(c[i]) >= 0);
		usleep(20000);
		CU_ASSERT_EQUAL(nvtcp_sock_group_add(group, s[i], ut_group_cb, &rd[i]), 0);
		while (src == 0 && ut_now_ms() < end) {
			src = nvtcp_sock_tls_handshake_poll(s[i], NULL, 0);
		}
		CU_ASSERT_EQUAL_FATAL(src, 1);
	}
	for (int k = 0; k < 200 && (rd[0].got < sizeof(out) || rd[1].got < sizeof(out)); k++) {
		CU_ASSERT(nvtcp_sock_group_poll(group, 0) >= 0);
	}
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(rd[i].got, sizeof(out));
		CU_ASSERT_EQUAL(memcmp(rd[i].buf, out, sizeof(out)), 0);
		CU_ASSERT_EQUAL(nvtcp_sock_group_remove(group, s[i]), 0);
		ut_close2(&c[i], &s[i]);
	}
	CU_ASSERT_EQUAL(nvtcp_sock_group_destroy(&group), 0);
}

static void
test_bad_args(void)
{
	struct nvtcp_tls_client_opts copts;
	struct nvtcp_tls_server_opts so;
	struct nvtcp_sock *c, *s;
	struct nvtcp_tls_psk psk;
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct nvtcp_sock_request req = {.iov = &iov, .iovcnt = 1};
	char err[320];
	char nqn[240];

	CU_ASSERT_EQUAL_FATAL(ut_pair("127.0.0.1", "127.0.0.1", NULL, &c, &s, NULL), 0);
	nvtcp_tls_client_opts_init(&copts);
	CU_ASSERT_EQUAL(copts.handshake_timeout_ms, 10000);
	CU_ASSERT_EQUAL(nvtcp_sock_tls_client(c, &copts, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "required"));
	CU_ASSERT_EQUAL_FATAL(nvtcp_tls_psk_parse(KEY32_01, &psk, NULL, 0), 0);
	copts.psk = &psk;
	memset(nqn, 'n', sizeof(nqn) - 1);
	nqn[sizeof(nqn) - 1] = '\0';
	copts.hostnqn = nqn;
	copts.subnqn = SUBNQN;
	CU_ASSERT_EQUAL(nvtcp_sock_tls_client(c, &copts, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "identity longer than 255"));
	CU_ASSERT(!nvtcp_sock_is_tls(c));
	/* Data queued before TLS. */
	copts.hostnqn = HOSTNQN;
	nvtcp_sock_writev_async(c, &req);
	CU_ASSERT_EQUAL(nvtcp_sock_tls_client(c, &copts, err, sizeof(err)), -EBUSY);
	nvtcp_tls_server_opts_init(&so);
	CU_ASSERT_EQUAL(nvtcp_sock_tls_server(s, &so, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_sock_tls_handshake_poll(s, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(nvtcp_sock_tls_cipher(s));
	CU_ASSERT_PTR_NULL(nvtcp_sock_tls_identity(s));
	CU_ASSERT(!nvtcp_sock_is_tls(NULL));
	nvtcp_tls_psk_wipe(&psk);
	ut_close2(&c, &s);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("sock_tls", NULL, NULL);

	CU_ADD_TEST(s, test_handshake_ok);
	CU_ADD_TEST(s, test_bulk_partial);
	CU_ADD_TEST(s, test_wrong_psk);
	CU_ADD_TEST(s, test_unknown_identity);
	CU_ADD_TEST(s, test_tls12_client);
	CU_ADD_TEST(s, test_garbage_and_detect);
	CU_ADD_TEST(s, test_stall_timeout);
	CU_ADD_TEST(s, test_close_mid_record);
	CU_ADD_TEST(s, test_group_buffered);
	CU_ADD_TEST(s, test_batch_one_send);
	CU_ADD_TEST(s, test_small_coalesced);
	CU_ADD_TEST(s, test_partial_want_write);
	CU_ADD_TEST(s, test_pending_after_handshake);
	CU_ADD_TEST(s, test_bad_args);
}

NVTCP_UT_MAIN(add_tests)
