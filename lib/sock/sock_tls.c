/*
 * TLS 1.3 with external PSKs as a socket implementation (struct nvtcp_sock_ops).
 *
 * A connected posix socket is converted in place: sock->ops and sock->ctx switch to TLS, the
 * descriptor, group membership and send queue stay. OpenSSL reaches the descriptor through a
 * small BIO that calls the posix ops (so sends keep MSG_NOSIGNAL and errors keep their
 * mapping); the posix ops also close the descriptor in the end.
 *
 * Send exactness: OpenSSL requires that a write that returned WANT_WRITE is retried with the
 * same bytes and length. writev reports bytes as taken only once SSL_write_ex has accepted
 * them, and the generic layer re-offers unsent bytes from the same position, so a retry
 * passes the same bytes (from the caller's buffer or gathered again into the staging buffer;
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows the address to change). Small iovecs (PDU headers,
 * small PDUs) are gathered into one record of up to 16 KiB instead of one record each: on
 * loopback, requests of a 72-byte header + 4 KiB went 5x, + 512 bytes 20x faster than with one
 * record per iovec (each record costs a sendmsg, a header, a tag and two reads at the peer).
 *
 * One system call per batch. Inside writev the BIO does not send each record: it appends the
 * ciphertext to a send buffer (wbuf), which leaves with one write at the end of the call (or
 * earlier when it cannot hold another record), so that a poll's batch of PDUs costs one
 * sendmsg however many records it makes. Plaintext is reported as taken only when the whole
 * ciphertext of its record has reached the kernel, so a request still completes only once its
 * bytes left and a socket whose kernel buffer is full stays on the pending list (nothing can
 * strand in wbuf). Records encrypted but not yet fully sent ("ahead") are re-offered by the
 * generic layer from the same position, as it does for any unsent bytes, and skipped here.
 * Outside writev (handshake, alerts, a KeyUpdate answered while reading) the BIO sends
 * directly, after whatever wbuf still holds, so the byte stream keeps its order.
 *
 * Receive: read-ahead with a large buffer lets one recv fetch many records instead of two
 * reads (header, body) per record; once a read comes back short the socket is empty, so the
 * rest of that readv call asks the kernel nothing more (epoll reports what arrives later).
 * Records decrypted ahead of the reader are announced to the group (SSL_has_pending).
 *
 * The key material lives in the connection only until the handshake needs it; it is wiped
 * then and on close.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "nvtcp/util.h"
#include "nvtcp/tls.h"
#include "sock_internal.h"

/* Largest plaintext of one TLS record. */
#define TLS_RECORD_MAX 16384
/* Room kept in wbuf for the ciphertext of one more record: header, content type, tag (22
 * bytes for TLS 1.3) and a margin for a KeyUpdate OpenSSL may put before it. */
#define TLS_RECORD_ROOM (TLS_RECORD_MAX + 256)
/* Ciphertext buffered for one send: a poll's batch of 4 KiB reads at queue depth 32 is about
 * 133 KiB of records; more than the batch only costs memory. */
#define TLS_WBUF_SIZE (256 * 1024)
/* Records in wbuf whose plaintext is not reported yet (many small records hit the byte limit
 * later than this one: then the buffer is sent and encryption goes on). */
#define TLS_WREC_MAX 64
/* OpenSSL's receive buffer with read-ahead: many records per recv. */
#define TLS_RBUF_SIZE (128 * 1024)
#define TLS_CIPHERS_SERVER "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"

struct tls_conn {
	SSL *ssl;
	/* The implementation the socket had before (posix): does the descriptor I/O. */
	const struct nvtcp_sock_ops *inner;
	void *inner_ctx;
	bool server;
	/* 0 in progress, 1 done, < 0 failed (hs_err says why). */
	int hs_state;
	uint64_t deadline_ns;
	uint32_t timeout_ms;
	/* Server: the first byte was checked to be a TLS handshake record. */
	bool peeked;
	/* Sticky error of the record layer (negative errno). */
	int fatal;
	/* Why the record layer failed (a static string), for the owner's log; NULL when the
	 * peer simply closed or the socket failed (fatal says how). */
	const char *fatal_why;
	/* Last errno of the descriptor I/O under the BIO (negative), 0 if none. */
	int io_err;
	/* Bytes of an SSL_write_ex that returned WANT_WRITE and must be retried. */
	size_t wpending;

	/* Send buffer: ciphertext [whead, wtail) of wbuf is not in the kernel yet. */
	uint8_t *wbuf;
	size_t whead, wtail;
	/* Set inside tls_writev: the BIO appends to wbuf instead of sending. */
	bool wbatch;
	/* Ciphertext bytes appended to wbuf and handed to the kernel, since the start. */
	uint64_t wout, wsent;
	/* Plaintext bytes encrypted into wbuf whose record has not left entirely: the first
	 * bytes writev is offered again, already encrypted. */
	size_t ahead;
	/* Those records, oldest first (a ring): where each ends in the ciphertext stream
	 * (counted as wout) and its plaintext length. */
	struct {
		uint64_t end;
		size_t plain;
	} wrec[TLS_WREC_MAX];
	unsigned int wrec_head, wrec_cnt;

	/* Set inside tls_readv: a read came back short, the socket is empty for now. */
	bool rbatch, rdrained;
	/* Ciphertext bytes the current tls_readv call took from the kernel. */
	size_t rgot;
	const char *cipher_name;

	/* Client: the TLS PSK and the identity it offers. Server: the identity it accepted. */
	uint8_t tls_psk[NVTCP_TLS_PSK_MAX_LEN];
	size_t tls_psk_len;
	char identity[NVTCP_TLS_IDENTITY_MAX_LEN + 1];
	size_t identity_len;
	bool identity_ok;

	/* Server */
	nvtcp_tls_psk_lookup_fn lookup;
	void *lookup_ctx;
	/* Why the PSK callback refused (it cannot return a reason through OpenSSL). */
	char cb_err[320];
	int cb_rc;

	char hs_err[320];
	uint8_t stage[TLS_RECORD_MAX];
};

static pthread_once_t g_tls_once = PTHREAD_ONCE_INIT;
static SSL_CTX *g_client_ctx;
static SSL_CTX *g_server_ctx;
static BIO_METHOD *g_bio_method;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- BIO over the inner (posix) ops ------------------------------------------------------- */

/* Hand wbuf to the kernel with one write. Returns 0 (also when the kernel took only part or
 * nothing) or the negative errno of a broken connection. */
static int
wbuf_flush(struct nvtcp_sock *sock, struct tls_conn *conn)
{
	struct iovec iov = {.iov_base = conn->wbuf + conn->whead,
			    .iov_len = conn->wtail - conn->whead};
	ssize_t n;

	if (iov.iov_len == 0) {
		return 0;
	}
	n = conn->inner->writev(sock, &iov, 1);
	if (n < 0) {
		return (int)n;
	}
	conn->whead += (size_t)n;
	conn->wsent += (uint64_t)n;
	if (conn->whead == conn->wtail) {
		conn->whead = 0;
		conn->wtail = 0;
	}
	return 0;
}

/* Plaintext bytes of the records that have now left entirely; they leave the ring. */
static size_t
wrec_credit(struct tls_conn *conn)
{
	size_t done = 0;

	while (conn->wrec_cnt > 0 && conn->wrec[conn->wrec_head].end <= conn->wsent) {
		done += conn->wrec[conn->wrec_head].plain;
		conn->wrec_head = (conn->wrec_head + 1) % TLS_WREC_MAX;
		conn->wrec_cnt--;
	}
	return done;
}

static int
bio_write(BIO *bio, const char *buf, int len)
{
	struct nvtcp_sock *sock = BIO_get_data(bio);
	struct tls_conn *conn = sock->ctx;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = (size_t)len};
	size_t room;
	ssize_t n;
	int rc;

	BIO_clear_retry_flags(bio);
	if (conn->wbatch) {
		room = TLS_WBUF_SIZE - conn->wtail;
		if (room < (size_t)len && conn->whead > 0) {
			/* Only after a partial send: move the unsent rest to the front. */
			memmove(conn->wbuf, conn->wbuf + conn->whead, conn->wtail - conn->whead);
			conn->wtail -= conn->whead;
			conn->whead = 0;
			room = TLS_WBUF_SIZE - conn->wtail;
		}
		if (room == 0) {
			BIO_set_retry_write(bio);
			return -1;
		}
		n = (size_t)len < room ? len : (ssize_t)room;
		memcpy(conn->wbuf + conn->wtail, buf, (size_t)n);
		conn->wtail += (size_t)n;
		conn->wout += (uint64_t)n;
		return (int)n;
	}
	if (conn->whead != conn->wtail) {
		/* What an earlier batch left goes first. */
		rc = wbuf_flush(sock, conn);
		if (rc < 0) {
			conn->io_err = rc;
			return -1;
		}
		if (conn->whead != conn->wtail) {
			BIO_set_retry_write(bio);
			return -1;
		}
	}
	n = conn->inner->writev(sock, &iov, 1);
	if (n > 0) {
		return (int)n;
	}
	if (n == 0) {
		BIO_set_retry_write(bio);
		return -1;
	}
	conn->io_err = (int)n;
	return -1;
}

static int
bio_read(BIO *bio, char *buf, int len)
{
	struct nvtcp_sock *sock = BIO_get_data(bio);
	struct tls_conn *conn = sock->ctx;
	struct iovec iov = {.iov_base = buf, .iov_len = (size_t)len};
	ssize_t n;

	BIO_clear_retry_flags(bio);
	if (conn->rdrained) {
		/* The last read of this readv call found the socket empty: another would almost
		 * surely say EAGAIN, and level-triggered epoll reports data that comes later. */
		BIO_set_retry_read(bio);
		return -1;
	}
	n = conn->inner->readv(sock, &iov, 1);
	if (n > 0) {
		conn->rgot += (size_t)n;
		conn->rdrained = conn->rbatch && n < len;
		return (int)n;
	}
	if (n == -EAGAIN) {
		BIO_set_retry_read(bio);
		return -1;
	}
	if (n == -ECONNRESET) {
		return 0;
	}
	conn->io_err = (int)n;
	return -1;
}

static long
bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	/* The socket has no buffer of its own: flushing is a no-op that succeeds. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
bio_create(BIO *bio)
{
	BIO_set_init(bio, 1);
	return 1;
}

static void
tls_init_once(void)
{
	SSL_CTX *c = NULL, *s = NULL;
	BIO_METHOD *m;

	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nvtcp_sock");
	if (m == NULL || BIO_meth_set_write(m, bio_write) != 1 ||
	    BIO_meth_set_read(m, bio_read) != 1 || BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
	    BIO_meth_set_create(m, bio_create) != 1) {
		BIO_meth_free(m);
		return;
	}
	c = SSL_CTX_new(TLS_client_method());
	s = SSL_CTX_new(TLS_server_method());
	if (c == NULL || s == NULL) {
		goto fail;
	}
	for (int i = 0; i < 2; i++) {
		SSL_CTX *ctx = i == 0 ? c : s;

		if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
		    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
		    SSL_CTX_set_ciphersuites(ctx, TLS_CIPHERS_SERVER) != 1 ||
		    SSL_CTX_set_num_tickets(ctx, 0) != 1) {
			goto fail;
		}
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		SSL_CTX_set_max_early_data(ctx, 0);
		SSL_CTX_set_read_ahead(ctx, 1);
		SSL_CTX_set_default_read_buffer_len(ctx, TLS_RBUF_SIZE);
	}
	g_bio_method = m;
	g_client_ctx = c;
	g_server_ctx = s;
	return;
fail:
	SSL_CTX_free(c);
	SSL_CTX_free(s);
	BIO_meth_free(m);
}

/* ---- PSK callbacks ------------------------------------------------------------------------ */

static const SSL_CIPHER *
cipher_for_len(SSL *ssl, size_t len)
{
	static const unsigned char aes128[2] = {0x13, 0x01}, aes256[2] = {0x13, 0x02};

	return SSL_CIPHER_find(ssl, len == 48 ? aes256 : aes128);
}

static SSL_SESSION *
psk_session(SSL *ssl, const uint8_t *key, size_t len)
{
	const SSL_CIPHER *cipher = cipher_for_len(ssl, len);
	SSL_SESSION *sess = SSL_SESSION_new();

	if (sess == NULL || cipher == NULL || SSL_SESSION_set1_master_key(sess, key, len) != 1 ||
	    SSL_SESSION_set_cipher(sess, cipher) != 1 ||
	    SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION) != 1) {
		SSL_SESSION_free(sess);
		return NULL;
	}
	return sess;
}

static int
client_psk_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
	      SSL_SESSION **sessp)
{
	struct tls_conn *conn = SSL_get_app_data(ssl);
	const SSL_CIPHER *cipher = cipher_for_len(ssl, conn->tls_psk_len);
	SSL_SESSION *sess;

	*sessp = NULL;
	*id = NULL;
	*idlen = 0;
	/* After a HelloRetryRequest OpenSSL asks again with the hash fixed. */
	if (cipher == NULL || (md != NULL && md != SSL_CIPHER_get_handshake_digest(cipher))) {
		return 1;
	}
	sess = psk_session(ssl, conn->tls_psk, conn->tls_psk_len);
	if (sess == NULL) {
		snprintf(conn->cb_err, sizeof(conn->cb_err), "cannot build the PSK session");
		conn->cb_rc = -ENOMEM;
		return 0;
	}
	*sessp = sess;
	*id = (const unsigned char *)conn->identity;
	*idlen = conn->identity_len;
	return 1;
}

static int
server_psk_cb(SSL *ssl, const unsigned char *identity, size_t identity_len, SSL_SESSION **sessp)
{
	struct tls_conn *conn = SSL_get_app_data(ssl);
	uint8_t retained[NVTCP_TLS_PSK_MAX_LEN], tls_psk[NVTCP_TLS_PSK_MAX_LEN];
	struct nvtcp_tls_psk key;
	char hostnqn[NVTCP_TLS_IDENTITY_MAX_LEN];
	size_t rlen = 0, tlen = 0;
	int h, rc;

	*sessp = NULL;
	if (identity_len > NVTCP_TLS_IDENTITY_MAX_LEN ||
	    memchr(identity, '\0', identity_len) != NULL) {
		snprintf(conn->cb_err, sizeof(conn->cb_err), "unknown PSK identity (malformed)");
		conn->cb_rc = -EACCES;
		return 1;
	}
	memcpy(conn->identity, identity, identity_len);
	conn->identity[identity_len] = '\0';
	conn->identity_len = identity_len;
	h = nvtcp_tls_identity_parse(conn->identity, identity_len, hostnqn, sizeof(hostnqn), NULL,
				     0);
	if (h < 0) {
		snprintf(conn->cb_err, sizeof(conn->cb_err),
			 "unknown PSK identity '%s': not 'NVMe0R0<1|2> <hostnqn> <subnqn>'",
			 conn->identity);
		conn->cb_rc = -EACCES;
		return 1;
	}
	memset(&key, 0, sizeof(key));
	rc = conn->lookup != NULL ? conn->lookup(conn->lookup_ctx, conn->identity, identity_len,
						 &key) : -ENOENT;
	if (rc != 0) {
		nvtcp_tls_psk_wipe(&key);
		snprintf(conn->cb_err, sizeof(conn->cb_err), "unknown PSK identity '%s'",
			 conn->identity);
		conn->cb_rc = -EACCES;
		return 1;
	}
	if (key.len != (h == 1 ? 32u : 48u)) {
		nvtcp_tls_psk_wipe(&key);
		snprintf(conn->cb_err, sizeof(conn->cb_err),
			 "PSK identity '%s' asks for a %d-byte key, the configured PSK has %u",
			 conn->identity, h == 1 ? 32 : 48, key.len);
		conn->cb_rc = -EACCES;
		return 1;
	}
	rc = nvtcp_tls_derive_retained(&key, hostnqn, retained, &rlen);
	nvtcp_tls_psk_wipe(&key);
	if (rc == 0) {
		rc = nvtcp_tls_derive_tls_psk(retained, rlen, conn->identity, tls_psk, &tlen);
	}
	OPENSSL_cleanse(retained, sizeof(retained));
	if (rc == 0) {
		*sessp = psk_session(ssl, tls_psk, tlen);
	}
	OPENSSL_cleanse(tls_psk, sizeof(tls_psk));
	if (*sessp == NULL) {
		snprintf(conn->cb_err, sizeof(conn->cb_err), "deriving the TLS PSK failed");
		conn->cb_rc = -EIO;
		return 0;
	}
	conn->identity_ok = true;
	return 1;
}

/* ---- Record layer ------------------------------------------------------------------------- */

/*
 * The peer closed without close_notify (SSL_ERROR_SYSCALL or an "unexpected EOF"): a plain
 * close, as Linux and SPDK hosts do, when it falls between records; a peer gone mid-record
 * when part of a record is still buffered.
 */
static int
eof_error(struct tls_conn *conn)
{
	if (!SSL_has_pending(conn->ssl)) {
		return -ECONNRESET;
	}
	conn->fatal_why = "peer closed the connection mid-record";
	return -EPROTO;
}

/* A failed SSL_read_ex/SSL_write_ex after the handshake: -EAGAIN or the sticky error. */
static int
io_error(struct tls_conn *conn, int ret)
{
	int e = SSL_get_error(conn->ssl, ret);

	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		conn->fatal = -ECONNRESET;
		break;
	case SSL_ERROR_SYSCALL:
		conn->fatal = conn->io_err != 0 ? conn->io_err : eof_error(conn);
		break;
	default:
		if (conn->io_err != 0) {
			conn->fatal = conn->io_err;
		} else if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			conn->fatal = eof_error(conn);
		} else {
			/* E.g. "decryption failed or bad record mac": a record that fails its
			 * AEAD check (corrupted or forged) ends the connection. */
			const char *r = ERR_reason_error_string(ERR_peek_error());

			conn->fatal = -EPROTO;
			conn->fatal_why = r != NULL ? r : "TLS record layer error";
		}
		break;
	}
	ERR_clear_error();
	return conn->fatal;
}

/*
 * Acknowledge at once what a large read took, rather than after the delayed-ACK timer
 * (40 ms). A peer that sends its records without TCP_NODELAY (SPDK v24.01's TLS target does)
 * holds each record that follows an unacknowledged one (Nagle): a 128 KiB read arrived in
 * bursts 40-50 ms apart, about 23 IOPS at QD8 for our host and SPDK's alike, and 2,300-3,200
 * with this. Only after a batch of at least a full record (16 KiB): then more records of a
 * large transfer are likely on their way. Small exchanges (4K at QD1) keep the delayed ACK,
 * which rides on the next command for free; forcing it there cost 10-30 % of QD1 IOPS against
 * that target. The kernel leaves quick-ACK mode by itself, hence once per such readv call.
 * Best effort: a failure only costs the delay back.
 */
#define TLS_QUICKACK_MIN (16 * 1024)

static void
quickack(struct nvtcp_sock *sock)
{
	int one = 1;

	(void)setsockopt(sock->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

static ssize_t
tls_readv(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt)
{
	struct tls_conn *conn = sock->ctx;
	size_t total = 0, n;
	int rc = 0;

	if (conn->fatal != 0) {
		return conn->fatal;
	}
	if (conn->hs_state != 1) {
		return conn->hs_state < 0 ? conn->hs_state : -EAGAIN;
	}
	conn->rbatch = true;
	conn->rdrained = false;
	for (int i = 0; i < iovcnt && rc == 0; i++) {
		size_t off = 0;

		while (off < iov[i].iov_len) {
			if (SSL_read_ex(conn->ssl, (uint8_t *)iov[i].iov_base + off,
					iov[i].iov_len - off, &n) != 1) {
				rc = io_error(conn, 0);
				break;
			}
			off += n;
			total += n;
		}
	}
	conn->rbatch = false;
	conn->rdrained = false;
	if (conn->rgot >= TLS_QUICKACK_MIN) {
		quickack(sock);
	}
	conn->rgot = 0;
	if (conn->whead != conn->wtail && rc == -EAGAIN) {
		/* A record OpenSSL answered while reading (a KeyUpdate) may wait behind a
		 * batch's rest: push it on (ignoring failure: the next send reports it). */
		(void)wbuf_flush(sock, conn);
	}
	if (rc == 0 && sock->group != NULL && SSL_has_pending(conn->ssl)) {
		/* The caller's buffers filled up before OpenSSL's did: epoll will not report
		 * what is already decrypted, so the group calls the owner again. */
		nvtcp_sock_group_rx_ready(sock);
	}
	if (total > 0) {
		return (ssize_t)total;
	}
	if (rc == 0) {
		return nvtcp_sock_iov_len(iov, iovcnt) == 0 ? -EINVAL : -EAGAIN;
	}
	return rc;
}

/* Copy up to max bytes of iov from (i, off) into buf. */
static size_t
gather(uint8_t *buf, size_t max, const struct iovec *iov, int iovcnt, int i, size_t off)
{
	size_t len = 0;

	for (; i < iovcnt && len < max; i++, off = 0) {
		size_t n = iov[i].iov_len - off;

		if (n > max - len) {
			n = max - len;
		}
		memcpy(buf + len, (const uint8_t *)iov[i].iov_base + off, n);
		len += n;
	}
	return len;
}

/* Move (i, off) on by n bytes of iov. */
static void
iov_advance(const struct iovec *iov, int *i, size_t *off, size_t n)
{
	while (n > 0) {
		size_t step = iov[*i].iov_len - *off;

		if (step > n) {
			step = n;
		}
		*off += step;
		n -= step;
		if (*off == iov[*i].iov_len && n > 0) {
			(*i)++;
			*off = 0;
		}
	}
}

static ssize_t
tls_writev(struct nvtcp_sock *sock, const struct iovec *iov, int iovcnt)
{
	struct tls_conn *conn = sock->ctx;
	size_t total = nvtcp_sock_iov_len(iov, iovcnt), pos = conn->ahead, done = 0, off = 0;
	size_t len, n;
	const void *buf;
	int i = 0, rc;

	if (conn->fatal != 0) {
		return conn->fatal;
	}
	if (conn->hs_state != 1) {
		return conn->hs_state < 0 ? conn->hs_state : 0;
	}
	if (pos > total) {
		/* Bytes already encrypted are no longer offered: cannot happen with the generic
		 * send queue, and the stream could not continue. */
		conn->fatal = -EIO;
		return conn->fatal;
	}
	/* What the last call left in wbuf goes first. */
	rc = wbuf_flush(sock, conn);
	if (rc < 0) {
		goto fail;
	}
	done += wrec_credit(conn);
	iov_advance(iov, &i, &off, pos);
	conn->wbatch = true;
	while (pos < total && conn->wrec_cnt < TLS_WREC_MAX) {
		if (TLS_WBUF_SIZE - (conn->wtail - conn->whead) < TLS_RECORD_ROOM) {
			/* No room for another record: send what is there. */
			rc = wbuf_flush(sock, conn);
			if (rc < 0) {
				break;
			}
			done += wrec_credit(conn);
			if (TLS_WBUF_SIZE - (conn->wtail - conn->whead) < TLS_RECORD_ROOM &&
			    conn->wpending == 0) {
				break;
			}
		}
		while (off == iov[i].iov_len) {
			i++;
			off = 0;
		}
		len = conn->wpending != 0 ? conn->wpending :
		      total - pos < TLS_RECORD_MAX ? total - pos : TLS_RECORD_MAX;
		if (len > total - pos) {
			/* The bytes of the pending record are no longer offered (see above). */
			rc = -EIO;
			break;
		}
		if (iov[i].iov_len - off >= len) {
			buf = (const uint8_t *)iov[i].iov_base + off;
		} else {
			gather(conn->stage, len, iov, iovcnt, i, off);
			buf = conn->stage;
		}
		if (SSL_write_ex(conn->ssl, buf, len, &n) != 1) {
			rc = io_error(conn, 0);
			if (rc == -EAGAIN) {
				/* wbuf is full (the kernel's buffer too): retry the same later. */
				conn->wpending = len;
				rc = 0;
			}
			break;
		}
		conn->wpending = 0;
		conn->wrec[(conn->wrec_head + conn->wrec_cnt) % TLS_WREC_MAX].end = conn->wout;
		conn->wrec[(conn->wrec_head + conn->wrec_cnt) % TLS_WREC_MAX].plain = n;
		conn->wrec_cnt++;
		pos += n;
		iov_advance(iov, &i, &off, n);
	}
	conn->wbatch = false;
	if (rc == 0) {
		rc = wbuf_flush(sock, conn);
	}
	if (rc < 0) {
		goto fail;
	}
	done += wrec_credit(conn);
	conn->ahead = pos - done;
	return (ssize_t)done;
fail:
	conn->wbatch = false;
	/* Bytes already in the kernel still count; the error is sticky for the next call. */
	conn->fatal = conn->fatal != 0 ? conn->fatal : rc;
	done += wrec_credit(conn);
	return done > 0 ? (ssize_t)done : conn->fatal;
}

static int
tls_getaddr(struct nvtcp_sock *sock, struct sockaddr_storage *local,
	    struct sockaddr_storage *peer)
{
	struct tls_conn *conn = sock->ctx;

	return conn->inner->getaddr(sock, local, peer);
}

static void
conn_free(struct tls_conn *conn)
{
	if (conn->ssl != NULL) {
		SSL_free(conn->ssl);
	}
	free(conn->wbuf);
	OPENSSL_cleanse(conn, sizeof(*conn));
	free(conn);
}

static void
tls_close(struct nvtcp_sock *sock)
{
	struct tls_conn *conn = sock->ctx;
	const struct nvtcp_sock_ops *inner = conn->inner;

	if (conn->hs_state == 1 && conn->fatal == 0) {
		/* Best effort close_notify; never waits for the peer's. */
		SSL_shutdown(conn->ssl);
	}
	ERR_clear_error();
	sock->ctx = conn->inner_ctx;
	sock->ops = inner;
	conn_free(conn);
	inner->close(sock);
}

static const struct nvtcp_sock_ops g_tls_ops = {
	.name = "tls",
	.has_fd = true,
	.readv = tls_readv,
	.writev = tls_writev,
	.getaddr = tls_getaddr,
	.close = tls_close,
};

/* ---- Set-up and handshake ----------------------------------------------------------------- */

void
nvtcp_tls_client_opts_init(struct nvtcp_tls_client_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->handshake_timeout_ms = 10000;
}

void
nvtcp_tls_server_opts_init(struct nvtcp_tls_server_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->handshake_timeout_ms = 10000;
}

static int
conn_start(struct nvtcp_sock *sock, bool server, uint32_t timeout_ms, struct tls_conn **connp,
	   char *err, size_t errlen)
{
	struct tls_conn *conn;
	BIO *bio;

	if (sock == NULL) {
		nvtcp_errf(err, errlen, "no socket");
		return -EINVAL;
	}
	if (sock->ops == &g_tls_ops) {
		nvtcp_errf(err, errlen, "%s: already TLS", sock->name);
		return -EALREADY;
	}
	if (!sock->ops->has_fd || sock->fd < 0 || sock->state != NVTCP_SOCK_STATE_CONNECTED) {
		nvtcp_errf(err, errlen, "%s: not a connected descriptor socket", sock->name);
		return -EINVAL;
	}
	if (!TAILQ_EMPTY(&sock->queued)) {
		nvtcp_errf(err, errlen, "%s: data already queued before TLS", sock->name);
		return -EBUSY;
	}
	pthread_once(&g_tls_once, tls_init_once);
	if (g_bio_method == NULL) {
		nvtcp_errf(err, errlen, "OpenSSL initialisation failed");
		return -ENOMEM;
	}
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		nvtcp_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	conn->wbuf = malloc(TLS_WBUF_SIZE);
	conn->ssl = conn->wbuf != NULL ? SSL_new(server ? g_server_ctx : g_client_ctx) : NULL;
	bio = conn->ssl != NULL ? BIO_new(g_bio_method) : NULL;
	if (bio == NULL) {
		conn_free(conn);
		nvtcp_errf(err, errlen, "out of memory (OpenSSL)");
		return -ENOMEM;
	}
	BIO_set_data(bio, sock);
	SSL_set_bio(conn->ssl, bio, bio);
	SSL_set_app_data(conn->ssl, conn);
	conn->server = server;
	conn->timeout_ms = timeout_ms;
	conn->deadline_ns = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	conn->inner = sock->ops;
	conn->inner_ctx = sock->ctx;
	*connp = conn;
	return 0;
}

int
nvtcp_sock_tls_client(struct nvtcp_sock *sock, const struct nvtcp_tls_client_opts *opts,
		      char *err, size_t errlen)
{
	uint8_t retained[NVTCP_TLS_PSK_MAX_LEN];
	struct tls_conn *conn;
	size_t rlen = 0;
	int n, rc;

	if (opts == NULL || opts->psk == NULL || opts->hostnqn == NULL || opts->subnqn == NULL) {
		nvtcp_errf(err, errlen, "TLS client: PSK, host NQN and subsystem NQN are required");
		return -EINVAL;
	}
	if (opts->psk->len != 32 && opts->psk->len != 48) {
		nvtcp_errf(err, errlen, "TLS client: PSK length %u: must be 32 or 48", opts->psk->len);
		return -EINVAL;
	}
	rc = conn_start(sock, false, opts->handshake_timeout_ms, &conn, err, errlen);
	if (rc != 0) {
		return rc;
	}
	n = nvtcp_tls_psk_identity(opts->psk, opts->hostnqn, opts->subnqn, conn->identity,
				   sizeof(conn->identity));
	if (n < 0) {
		nvtcp_errf(err, errlen, "TLS client: PSK identity longer than %d bytes (host NQN and "
			   "subsystem NQN too long)", NVTCP_TLS_IDENTITY_MAX_LEN);
		conn_free(conn);
		return -EINVAL;
	}
	conn->identity_len = (size_t)n;
	rc = nvtcp_tls_derive_retained(opts->psk, opts->hostnqn, retained, &rlen);
	if (rc == 0) {
		rc = nvtcp_tls_derive_tls_psk(retained, rlen, conn->identity, conn->tls_psk,
					      &conn->tls_psk_len);
	}
	OPENSSL_cleanse(retained, sizeof(retained));
	if (rc != 0) {
		nvtcp_errf(err, errlen, "TLS client: deriving the TLS PSK failed (%s)", strerror(-rc));
		conn_free(conn);
		return rc;
	}
	/* Exactly the suite of the key length, as SPDK's host offers. */
	if (SSL_set_ciphersuites(conn->ssl, conn->tls_psk_len == 48 ? "TLS_AES_256_GCM_SHA384" :
				 "TLS_AES_128_GCM_SHA256") != 1) {
		nvtcp_errf(err, errlen, "TLS client: cipher suite not available in OpenSSL");
		conn_free(conn);
		return -ENOTSUP;
	}
	SSL_set_psk_use_session_callback(conn->ssl, client_psk_cb);
	SSL_set_connect_state(conn->ssl);
	sock->ctx = conn;
	sock->ops = &g_tls_ops;
	return 0;
}

int
nvtcp_sock_tls_server(struct nvtcp_sock *sock, const struct nvtcp_tls_server_opts *opts,
		      char *err, size_t errlen)
{
	struct tls_conn *conn;
	int rc;

	if (opts == NULL || opts->lookup == NULL) {
		nvtcp_errf(err, errlen, "TLS server: a PSK lookup function is required");
		return -EINVAL;
	}
	rc = conn_start(sock, true, opts->handshake_timeout_ms, &conn, err, errlen);
	if (rc != 0) {
		return rc;
	}
	conn->lookup = opts->lookup;
	conn->lookup_ctx = opts->ctx;
	SSL_set_psk_find_session_callback(conn->ssl, server_psk_cb);
	SSL_set_accept_state(conn->ssl);
	sock->ctx = conn;
	sock->ops = &g_tls_ops;
	return 0;
}

/* The reason a handshake failed, from the callbacks, the error queue or the alert. */
static int
hs_reason(struct tls_conn *conn, int ret, char *buf, size_t len)
{
	int e = SSL_get_error(conn->ssl, ret);
	unsigned long ec = ERR_peek_error();
	int reason = ERR_GET_REASON(ec);

	if (conn->cb_rc != 0) {
		snprintf(buf, len, "%s", conn->cb_err);
		return conn->cb_rc;
	}
	if (conn->io_err != 0 && (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL)) {
		snprintf(buf, len, "socket error during the TLS handshake: %s",
			 strerror(-conn->io_err));
		return conn->io_err;
	}
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ec == 0) ||
	    (ERR_GET_LIB(ec) == ERR_LIB_SSL && reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		snprintf(buf, len, "peer closed during the TLS handshake");
		return -ECONNRESET;
	}
	if (ERR_GET_LIB(ec) == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET &&
	    reason < SSL_AD_REASON_OFFSET + 256) {
		int alert = reason - SSL_AD_REASON_OFFSET;
		const char *name = SSL_alert_desc_string_long(alert);

		switch (alert) {
		case SSL_AD_PROTOCOL_VERSION:
			snprintf(buf, len, "peer refused TLS 1.3 (alert: %s)", name);
			return -EPROTONOSUPPORT;
		case SSL_AD_DECRYPT_ERROR:
		case SSL_AD_ILLEGAL_PARAMETER:
		case SSL_AD_BAD_RECORD_MAC:
			snprintf(buf, len, "peer refused the handshake (alert: %s): wrong PSK?",
				 name);
			return -EACCES;
		case SSL_AD_HANDSHAKE_FAILURE:
		case TLS13_AD_MISSING_EXTENSION:
		case SSL_AD_UNKNOWN_PSK_IDENTITY:
			snprintf(buf, len, "peer refused the handshake (alert: %s): unknown PSK "
				 "identity?", name);
			return -EACCES;
		case SSL_AD_INTERNAL_ERROR:
			/* SPDK v24.01's target answers an identity it has no key for so. */
			snprintf(buf, len, "peer aborted the handshake (alert: %s): unknown PSK "
				 "identity?", name);
			return -EACCES;
		default:
			snprintf(buf, len, "peer sent TLS alert: %s", name);
			return -EPROTO;
		}
	}
	if (ERR_GET_LIB(ec) == ERR_LIB_SSL) {
		switch (reason) {
		case SSL_R_UNSUPPORTED_PROTOCOL:
			snprintf(buf, len,
				 "peer offered only TLS 1.2 or older: TLS 1.3 is required");
			return -EPROTONOSUPPORT;
		case SSL_R_BINDER_DOES_NOT_VERIFY:
			snprintf(buf, len, "wrong PSK: the client's PSK binder does not verify");
			return -EACCES;
		case SSL_R_WRONG_VERSION_NUMBER:
		case SSL_R_PACKET_LENGTH_TOO_LONG:
		case SSL_R_RECORD_LENGTH_MISMATCH:
			snprintf(buf, len, "not a TLS 1.3 peer (%s)", ERR_reason_error_string(ec));
			return -EPROTO;
		default:
			break;
		}
	}
	if (conn->server && conn->identity_len == 0 && e == SSL_ERROR_SSL) {
		/* The find-session callback never ran: the ClientHello had no PSK. */
		snprintf(buf, len, "client offered no PSK (%s): a TLS 1.3 PSK identity is required",
			 ec != 0 && ERR_reason_error_string(ec) != NULL ?
			 ERR_reason_error_string(ec) : "no PSK");
		return -EACCES;
	}
	snprintf(buf, len, "TLS handshake failed: %s",
		 ec != 0 && ERR_reason_error_string(ec) != NULL ? ERR_reason_error_string(ec) :
		 "unknown error");
	return -EPROTO;
}

static int
hs_fail(struct tls_conn *conn, int rc, char *err, size_t errlen)
{
	conn->hs_state = rc;
	conn->fatal = rc;
	OPENSSL_cleanse(conn->tls_psk, sizeof(conn->tls_psk));
	ERR_clear_error();
	nvtcp_errf(err, errlen, "%s", conn->hs_err);
	return rc;
}

int
nvtcp_sock_tls_handshake_poll(struct nvtcp_sock *sock, char *err, size_t errlen)
{
	struct tls_conn *conn;
	int ret, e;

	if (sock == NULL || sock->ops != &g_tls_ops) {
		nvtcp_errf(err, errlen, "not a TLS socket");
		return -EINVAL;
	}
	conn = sock->ctx;
	if (conn->hs_state == 1) {
		return 1;
	}
	if (conn->hs_state < 0) {
		nvtcp_errf(err, errlen, "%s", conn->hs_err);
		return conn->hs_state;
	}
	if (conn->server && !conn->peeked) {
		uint8_t b;
		ssize_t n = recv(sock->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

		if (n == 0) {
			snprintf(conn->hs_err, sizeof(conn->hs_err),
				 "peer closed before sending a TLS ClientHello");
			return hs_fail(conn, -ECONNRESET, err, errlen);
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			int rc = -errno;

			snprintf(conn->hs_err, sizeof(conn->hs_err), "socket error: %s",
				 strerror(-rc));
			return hs_fail(conn, rc, err, errlen);
		}
		if (n == 1 && b != 0x16) {
			snprintf(conn->hs_err, sizeof(conn->hs_err),
				 "not a TLS ClientHello (first byte 0x%02x%s)", b,
				 b == 0 ? ": a plaintext NVMe/TCP ICReq?" : "");
			return hs_fail(conn, -EPROTO, err, errlen);
		}
		conn->peeked = n == 1;
	}
	if (!conn->server || conn->peeked) {
		ERR_clear_error();
		ret = conn->server ? SSL_accept(conn->ssl) : SSL_connect(conn->ssl);
		if (ret == 1) {
			conn->hs_state = 1;
			conn->cipher_name = SSL_CIPHER_get_name(SSL_get_current_cipher(conn->ssl));
			OPENSSL_cleanse(conn->tls_psk, sizeof(conn->tls_psk));
			if (SSL_has_pending(conn->ssl)) {
				/* Read-ahead took records behind the handshake's last message:
				 * the descriptor will not signal them again. */
				nvtcp_sock_group_rx_ready(sock);
			}
			return 1;
		}
		e = SSL_get_error(conn->ssl, ret);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			int rc = hs_reason(conn, ret, conn->hs_err, sizeof(conn->hs_err));

			return hs_fail(conn, rc, err, errlen);
		}
	}
	if (now_ns() >= conn->deadline_ns) {
		snprintf(conn->hs_err, sizeof(conn->hs_err), "TLS handshake timed out after %u ms",
			 conn->timeout_ms);
		return hs_fail(conn, -ETIMEDOUT, err, errlen);
	}
	return 0;
}

int
nvtcp_sock_tls_detect(struct nvtcp_sock *sock)
{
	uint8_t b;
	ssize_t n;

	if (sock == NULL || sock->fd < 0 || sock->ops == &g_tls_ops) {
		return -EINVAL;
	}
	n = recv(sock->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0) {
		return -ECONNRESET;
	}
	if (n < 0) {
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	}
	if (b == 0x16) {
		return 1;
	}
	/* PDU type 0x00 is ICReq; anything else is neither a ClientHello nor an ICReq. */
	return b == 0x00 ? 0 : -EPROTO;
}

bool
nvtcp_sock_is_tls(const struct nvtcp_sock *sock)
{
	return sock != NULL && sock->ops == &g_tls_ops;
}

const char *
nvtcp_sock_tls_error(const struct nvtcp_sock *sock)
{
	const struct tls_conn *conn;

	if (!nvtcp_sock_is_tls(sock)) {
		return NULL;
	}
	conn = sock->ctx;
	return conn->fatal != 0 ? conn->fatal_why : NULL;
}

const char *
nvtcp_sock_tls_cipher(const struct nvtcp_sock *sock)
{
	const struct tls_conn *conn;

	if (!nvtcp_sock_is_tls(sock)) {
		return NULL;
	}
	conn = sock->ctx;
	return conn->hs_state == 1 ? conn->cipher_name : NULL;
}

const char *
nvtcp_sock_tls_identity(const struct nvtcp_sock *sock)
{
	const struct tls_conn *conn;

	if (!nvtcp_sock_is_tls(sock)) {
		return NULL;
	}
	conn = sock->ctx;
	return conn->server && conn->hs_state == 1 && conn->identity_ok ? conn->identity : NULL;
}
