/*
 * The "<PREFIX>HH:<base64(key || CRC-32 LE)>:" key strings of TLS PSKs (NVMeTLSkey-1) and
 * DH-HMAC-CHAP secrets (DHHC-1), and the key files that hold one. Both formats are the same
 * but for their prefix, the hash indicators and key lengths allowed, and the words of their
 * messages (struct keyfile_fmt), so they are read and written here once.
 *
 * OpenSSL: base64 is EVP_DecodeBlock/EVP_EncodeBlock behind a strict alphabet and padding
 * check, and key material is wiped with OPENSSL_cleanse, as everywhere else in the tree. Every
 * program that links lib/util already links libcrypto (SYS_LIBS), and this object is only
 * pulled out of the archive by lib/sock and lib/auth, which use OpenSSL themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "nvtcp/util.h"
#include "nvtcp/auth.h"
#include "nvtcp/keyfile.h"
#include "nvtcp/tls.h"
#include "nvtcp/util.h"

/* base64 of the largest key + 4 CRC bytes. */
#define B64_LEN(n) (((n) + 2) / 3 * 4)
#define KEYFILE_B64_MAX B64_LEN(NVTCP_KEYFILE_KEY_MAX_LEN + 4)
/* Largest text_max of a format (NVMeTLSkey-1: 128, DHHC-1: 112). */
#define KEYFILE_TEXT_MAX NVTCP_MAX(NVTCP_TLS_INTERCHANGE_MAX_LEN, NVTCP_AUTH_SECRET_STR_MAX_LEN)

/* One "<PREFIX>HH:<base64>:" format. Key lengths allowed: 32, 48, ... up to key_max. */
struct keyfile_fmt {
	const char *prefix;
	/* What a parsed string is, what the text is called in "... too long", what the key is
	 * called in "the ... is damaged", what a file is called. */
	const char *noun, *text_noun, *key_noun, *file_noun;
	/* The modes, hash indicators and key lengths accepted, as shown in messages. */
	const char *mode_rule, *hash_rule, *len_rule;
	/* Largest text, with its NUL. */
	size_t text_max;
	uint32_t key_max;
	uint8_t hash_max;
	/* The file name may be a mistyped key: show it on an open() failure only if it has a '/'. */
	bool path_may_be_key;
};

/* NVMe/TCP "PSK Interchange Format"; NVMe Base "DH-HMAC-CHAP secret representation". */
static const struct keyfile_fmt g_fmts[] = {
	[NVTCP_KEYFILE_TLS_PSK] = {"NVMeTLSkey-1:", "PSK in the interchange format",
				   "PSK interchange string", "key", "PSK file", "0600",
				   "00, 01 (SHA-256) or 02 (SHA-384)", "32 or 48",
				   NVTCP_TLS_INTERCHANGE_MAX_LEN, NVTCP_TLS_PSK_MAX_LEN,
				   NVTCP_TLS_HASH_SHA384, false},
	[NVTCP_KEYFILE_DHCHAP] = {"DHHC-1:", "DH-HMAC-CHAP secret", "secret", "secret",
				  "secret file", "0600 or 0400",
				  "00 (none), 01 (SHA-256), 02 (SHA-384) or 03 (SHA-512)",
				  "32, 48 or 64", NVTCP_AUTH_SECRET_STR_MAX_LEN,
				  NVTCP_AUTH_KEY_MAX_LEN, NVTCP_AUTH_HASH_SHA512, true},
};

_Static_assert(NVTCP_TLS_PSK_MAX_LEN <= NVTCP_KEYFILE_KEY_MAX_LEN &&
	       NVTCP_AUTH_KEY_MAX_LEN <= NVTCP_KEYFILE_KEY_MAX_LEN, "key buffers");

/* The transforming hash of indicators 01..03: the key length it fixes, and its name. */
static const struct {
	uint32_t len;
	const char *name;
} g_hashes[] = {{0, "none"}, {32, "SHA-256"}, {48, "SHA-384"}, {64, "SHA-512"}};

uint32_t
nvtcp_keyfile_crc32(const uint8_t *buf, size_t len)
{
	/* Bitwise: it runs once per key. */
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int b = 0; b < 8; b++) {
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
		}
	}
	return ~crc;
}

static bool
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* Strict base64 with padding: EVP_DecodeBlock itself skips white space and does not report
 * how much of the last block was padding. Returns the decoded length or -1. */
static int
b64_decode(const char *in, size_t len, size_t max, uint8_t *out)
{
	size_t pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len > max) {
		return -1;
	}
	if (in[len - 1] == '=') {
		pad = in[len - 2] == '=' ? 2 : 1;
	}
	for (size_t i = 0; i < len - pad; i++) {
		if (!b64_char(in[i])) {
			return -1;
		}
	}
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad) {
		return -1;
	}
	return n - (int)pad;
}

static bool
valid_len(const struct keyfile_fmt *fmt, uint32_t len)
{
	return len >= 32 && len <= fmt->key_max && len % 16 == 0;
}

int
nvtcp_keyfile_parse(enum nvtcp_keyfile_kind kind, const char *text, uint8_t *key,
		    uint32_t *keylen, uint8_t *hash, char *err, size_t errlen)
{
	const struct keyfile_fmt *fmt = &g_fmts[kind];
	uint8_t raw[KEYFILE_B64_MAX];
	size_t plen = strlen(fmt->prefix), len;
	const char *b64, *end;
	uint32_t crc;
	int hh, n, rc = -EINVAL;

	len = strnlen(text, fmt->text_max + 1);
	if (len > 0 && text[len - 1] == '\n') {
		len--;
	}
	if (len > fmt->text_max - 1) {
		nvtcp_errf(err, errlen, "%s too long (over %zu characters)", fmt->text_noun,
			   fmt->text_max - 1);
		return -EINVAL;
	}
	if (len < plen || memcmp(text, fmt->prefix, plen) != 0) {
		nvtcp_errf(err, errlen, "not a %s: must start with '%s'", fmt->noun, fmt->prefix);
		return -EINVAL;
	}
	if (len < plen + 3 || text[plen] < '0' || text[plen] > '9' || text[plen + 1] < '0' ||
	    text[plen + 1] > '9' || text[plen + 2] != ':') {
		nvtcp_errf(err, errlen, "hash indicator: must be two digits and ':' after '%s'",
			   fmt->prefix);
		return -EINVAL;
	}
	hh = (text[plen] - '0') * 10 + (text[plen + 1] - '0');
	if (hh > fmt->hash_max) {
		nvtcp_errf(err, errlen, "hash indicator %02d: must be %s", hh, fmt->hash_rule);
		return -EINVAL;
	}
	b64 = text + plen + 3;
	end = text + len;
	if (end == b64 || end[-1] != ':') {
		nvtcp_errf(err, errlen, "missing the trailing ':' after the base64 key");
		return -EINVAL;
	}
	n = b64_decode(b64, (size_t)(end - 1 - b64), B64_LEN(fmt->key_max + 4), raw);
	if (n < 0) {
		nvtcp_errf(err, errlen, "bad base64 in the key");
		goto out;
	}
	if (n < 4 || !valid_len(fmt, (uint32_t)(n - 4))) {
		nvtcp_errf(err, errlen, "key length %d: must be %s bytes (plus 4 bytes CRC-32)",
			   n >= 4 ? n - 4 : 0, fmt->len_rule);
		goto out;
	}
	n -= 4;
	crc = (uint32_t)raw[n] | (uint32_t)raw[n + 1] << 8 | (uint32_t)raw[n + 2] << 16 |
	      (uint32_t)raw[n + 3] << 24;
	if (crc != nvtcp_keyfile_crc32(raw, (size_t)n)) {
		nvtcp_errf(err, errlen, "bad CRC-32: the %s is damaged or mistyped", fmt->key_noun);
		goto out;
	}
	/* A transformed key has its hash's length (both specifications; SPDK and nvme-cli refuse
	 * other pairs too); 00 takes any allowed length. */
	if (hh != 0 && (uint32_t)n != g_hashes[hh].len) {
		nvtcp_errf(err, errlen, "key length %d does not fit hash indicator %02d (%s needs %u "
			   "bytes)", n, hh, g_hashes[hh].name, (unsigned)g_hashes[hh].len);
		goto out;
	}
	memcpy(key, raw, (size_t)n);
	*keylen = (uint32_t)n;
	*hash = (uint8_t)hh;
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

int
nvtcp_keyfile_format(enum nvtcp_keyfile_kind kind, const uint8_t *key, uint32_t len,
		     uint8_t hash, char *out, size_t outlen)
{
	const struct keyfile_fmt *fmt = &g_fmts[kind];
	uint8_t raw[NVTCP_KEYFILE_KEY_MAX_LEN + 4];
	char b64[KEYFILE_B64_MAX + 1];
	uint32_t crc;
	int n;

	if (key == NULL || out == NULL || !valid_len(fmt, len) || hash > fmt->hash_max ||
	    (hash != 0 && g_hashes[hash].len != len)) {
		return -EINVAL;
	}
	memcpy(raw, key, len);
	crc = nvtcp_keyfile_crc32(key, len);
	for (int i = 0; i < 4; i++) {
		raw[len + i] = (uint8_t)(crc >> (8 * i));
	}
	n = EVP_EncodeBlock((unsigned char *)b64, raw, (int)len + 4);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (n <= 0) {
		OPENSSL_cleanse(b64, sizeof(b64));
		return -EINVAL;
	}
	n = snprintf(out, outlen, "%s%02u:%s:", fmt->prefix, (unsigned)hash, b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0) {
			OPENSSL_cleanse(out, outlen);
		}
		return -ENOSPC;
	}
	return 0;
}

/* Opens \p path and checks it is a regular file of ours that no one else may read. Returns
 * the descriptor or -errno, with the reason in err. */
static int
open_checked(const struct keyfile_fmt *fmt, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		/* A mistyped key lands here as a "path": echo the argument only when it looks
		 * like one, so that no key material reaches a log. Once open() succeeded the
		 * argument is a file name and is shown. */
		if (fmt->path_may_be_key && strchr(path, '/') == NULL) {
			nvtcp_errf(err, errlen, "neither a '%s' %s nor a readable %s: %s", fmt->prefix,
				   fmt->text_noun, fmt->file_noun, strerror(-rc));
		} else {
			nvtcp_errf(err, errlen, "%s %s: %s", fmt->file_noun, path, strerror(-rc));
		}
		return rc;
	}
	/* fstat of the opened descriptor: no window between the check and the read. */
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		nvtcp_errf(err, errlen, "%s %s: %s", fmt->file_noun, path, strerror(-rc));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		nvtcp_errf(err, errlen, "%s %s: not a regular file", fmt->file_noun, path);
		close(fd);
		return -EPERM;
	}
	if (st.st_uid != geteuid()) {
		nvtcp_errf(err, errlen, "%s %s: owned by uid %u, must be owned by uid %u",
			   fmt->file_noun, path, (unsigned)st.st_uid, (unsigned)geteuid());
		close(fd);
		return -EPERM;
	}
	if ((st.st_mode & 077) != 0) {
		nvtcp_errf(err, errlen, "%s %s: mode %04o: must be %s (chmod 600 %s)", fmt->file_noun,
			   path, (unsigned)(st.st_mode & 07777), fmt->mode_rule, path);
		close(fd);
		return -EPERM;
	}
	return fd;
}

int
nvtcp_keyfile_load(enum nvtcp_keyfile_kind kind, const char *path, uint8_t *key,
		   uint32_t *keylen, uint8_t *hash, char *err, size_t errlen)
{
	const struct keyfile_fmt *fmt = &g_fmts[kind];
	/* The longest text, its newline and a byte more to tell a longer file. */
	char buf[KEYFILE_TEXT_MAX + 2];
	char perr[160];
	size_t len = 0, size = fmt->text_max + 2;
	ssize_t n;
	int fd, rc;

	fd = open_checked(fmt, path, err, errlen);
	if (fd < 0) {
		return fd;
	}
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rc = -errno;
			nvtcp_errf(err, errlen, "%s %s: %s", fmt->file_noun, path, strerror(-rc));
			close(fd);
			OPENSSL_cleanse(buf, sizeof(buf));
			return rc;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (len == size - 1 || strlen(buf) != len) {
		nvtcp_errf(err, errlen, "%s %s: not one %s (too long or binary)", fmt->file_noun, path,
			   fmt->noun);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -EINVAL;
	}
	rc = nvtcp_keyfile_parse(kind, buf, key, keylen, hash, perr, sizeof(perr));
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != 0) {
		nvtcp_errf(err, errlen, "%s %s: %s", fmt->file_noun, path, perr);
	}
	return rc;
}
