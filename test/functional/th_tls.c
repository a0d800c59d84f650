/*
 * TLS for the blocking test host (tgt_host.h): a client that chooses its PSK identity
 * independently of the NQNs its Connect will name, which the nvtcp host library never does
 * (it derives both from one host NQN and one subsystem NQN). The target's binding of the two
 * can only be tested with such a client. Blocking OpenSSL on the queue's socket; lib/sock's
 * tls_psk.c derives the keys, so the handshake is the one a real host does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "nvtcp/tls.h"
#include "tgt_host.h"

struct th_tls {
	char identity[NVTCP_TLS_IDENTITY_MAX_LEN + 1];
	uint8_t key[NVTCP_TLS_PSK_MAX_LEN];
	size_t key_len;
};

static int g_idx = -1;

static int
psk_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **sess)
{
	/* TLS_AES_128_GCM_SHA256 / TLS_AES_256_GCM_SHA384 by the TLS PSK's length. */
	static const unsigned char aes128[] = {0x13, 0x01}, aes256[] = {0x13, 0x02};
	struct th_tls *t = SSL_get_ex_data(ssl, g_idx);
	const SSL_CIPHER *c = SSL_CIPHER_find(ssl, t->key_len == 48 ? aes256 : aes128);
	SSL_SESSION *s = SSL_SESSION_new();

	(void)md;
	if (s == NULL || c == NULL || SSL_SESSION_set1_master_key(s, t->key, t->key_len) != 1 ||
	    SSL_SESSION_set_cipher(s, c) != 1 ||
	    SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION) != 1) {
		SSL_SESSION_free(s);
		return 0;
	}
	*id = (const unsigned char *)t->identity;
	*idlen = strlen(t->identity);
	*sess = s;
	return 1;
}

static int
derive(struct th_tls *t, const char *psk_path, const char *hostnqn, const char *subnqn)
{
	struct nvtcp_tls_psk psk;
	uint8_t retained[NVTCP_TLS_PSK_MAX_LEN];
	size_t rlen = 0;
	char err[160];
	int rc;

	rc = nvtcp_tls_psk_load_file(psk_path, &psk, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", psk_path, err);
		return -1;
	}
	rc = nvtcp_tls_psk_identity(&psk, hostnqn, subnqn, t->identity, sizeof(t->identity));
	rc = rc < 0 ? rc : nvtcp_tls_derive_retained(&psk, hostnqn, retained, &rlen);
	rc = rc < 0 ? rc : nvtcp_tls_derive_tls_psk(retained, rlen, t->identity, t->key,
						    &t->key_len);
	OPENSSL_cleanse(retained, sizeof(retained));
	nvtcp_tls_psk_wipe(&psk);
	if (rc < 0) {
		fprintf(stderr, "cannot derive the TLS PSK: %s\n", strerror(-rc));
		return -1;
	}
	return 0;
}

int
th_tls_start(struct th_queue *q, const char *psk_path, const char *id_hostnqn,
	     const char *id_subnqn)
{
	struct timeval tv = {.tv_sec = 10};
	struct th_tls *t;
	SSL_CTX *ctx;
	SSL *ssl;

	if (g_idx < 0) {
		g_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || derive(t, psk_path, id_hostnqn, id_subnqn) != 0) {
		free(t);
		return -1;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	ssl = NULL;
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384") != 1 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, q->fd) != 1) {
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_set_ex_data(ssl, g_idx, t);
	SSL_set_psk_use_session_callback(ssl, psk_cb);
	/* A blocking socket that cannot hang the test: every read waits 10 s at most. */
	setsockopt(q->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (SSL_connect(ssl) != 1) {
		unsigned long e = ERR_get_error();

		fprintf(stderr, "%s: TLS handshake failed: %s\n", q->name,
			e != 0 ? ERR_reason_error_string(e) : "closed by the peer");
		goto fail;
	}
	/* The key stays with the SSL until th_tls_free (the session holds its own copy). */
	q->ssl = ssl;
	SSL_CTX_free(ctx);
	return 0;
fail:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
	return -1;
}

ssize_t
th_tls_read(struct th_queue *q, void *buf, size_t len)
{
	int n = SSL_read(q->ssl, buf, (int)(len > (1u << 30) ? 1u << 30 : len));

	if (n > 0) {
		return n;
	}
	switch (SSL_get_error(q->ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		/* Torn down by the peer (reset or a broken record): the end of the queue. */
		return -1;
	}
}

int
th_tls_write(struct th_queue *q, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		size_t done = 0;

		if (SSL_write_ex(q->ssl, p, len, &done) != 1) {
			return -1;
		}
		p += done;
		len -= done;
	}
	return 0;
}

bool
th_tls_pending(struct th_queue *q)
{
	return SSL_pending(q->ssl) > 0;
}

int
th_send_wire(struct th_queue *q, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t r = send(q->fd, p, len, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

void
th_tls_free(struct th_queue *q)
{
	struct th_tls *t;

	if (q->ssl == NULL) {
		return;
	}
	t = SSL_get_ex_data(q->ssl, g_idx);
	SSL_free(q->ssl);
	q->ssl = NULL;
	if (t != NULL) {
		OPENSSL_cleanse(t, sizeof(*t));
		free(t);
	}
}
