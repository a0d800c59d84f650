/*
 * DH-HMAC-CHAP secrets: the "DHHC-1:HH:<base64(key || CRC-32)>:" text form (NVMe Base
 * Specification, "DH-HMAC-CHAP secret representation"; what nvme-cli gen-dhchap-key prints
 * and the Linux host and target read), secret files, generation and the transformation of a
 * secret by an NQN.
 *
 * HH is the hash that transforms the secret (00 none, 01 SHA-256, 02 SHA-384, 03 SHA-512);
 * the CRC-32 (zlib's) of the key is appended little-endian before the base64 encoding.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth_internal.h"

/* base64 of 64 key bytes + 4 CRC bytes. */
#define SECRET_B64_MAX 92
#define TRANSFORM_LABEL "NVMe-over-Fabrics"

uint32_t
nvtcp_auth_crc32(const uint8_t *buf, size_t len)
{
	/* Bitwise: it runs once per secret. */
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

/* Strict base64 with padding (EVP_DecodeBlock alone skips white space and hides the padding).
 * Returns the decoded length or -1. */
static int
b64_decode(const char *in, size_t len, uint8_t *out)
{
	size_t pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len > SECRET_B64_MAX) {
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
valid_len(uint32_t len)
{
	return len == 32 || len == 48 || len == 64;
}

void
nvtcp_auth_secret_wipe(struct nvtcp_auth_secret *secret)
{
	if (secret != NULL) {
		OPENSSL_cleanse(secret, sizeof(*secret));
	}
}

int
nvtcp_auth_secret_parse(const char *text, struct nvtcp_auth_secret *secret, char *err,
			size_t errlen)
{
	uint8_t raw[SECRET_B64_MAX];
	const char *b64, *end;
	size_t len;
	uint32_t crc;
	int hh, n, rc = -EINVAL;

	if (secret == NULL) {
		auth_set_err(err, errlen, "no secret to fill");
		return -EINVAL;
	}
	nvtcp_auth_secret_wipe(secret);
	if (text == NULL) {
		auth_set_err(err, errlen, "no secret given");
		return -EINVAL;
	}
	len = strnlen(text, NVTCP_AUTH_SECRET_STR_MAX_LEN + 1);
	if (len > 0 && text[len - 1] == '\n') {
		len--;
	}
	if (len > NVTCP_AUTH_SECRET_STR_MAX_LEN - 1) {
		auth_set_err(err, errlen, "secret too long (over %d characters)",
			     NVTCP_AUTH_SECRET_STR_MAX_LEN - 1);
		return -EINVAL;
	}
	if (len < AUTH_SECRET_PREFIX_LEN ||
	    memcmp(text, AUTH_SECRET_PREFIX, AUTH_SECRET_PREFIX_LEN) != 0) {
		auth_set_err(err, errlen, "not a DH-HMAC-CHAP secret: must start with '%s'",
			     AUTH_SECRET_PREFIX);
		return -EINVAL;
	}
	if (len < AUTH_SECRET_PREFIX_LEN + 3 || text[AUTH_SECRET_PREFIX_LEN] < '0' ||
	    text[AUTH_SECRET_PREFIX_LEN] > '9' || text[AUTH_SECRET_PREFIX_LEN + 1] < '0' ||
	    text[AUTH_SECRET_PREFIX_LEN + 1] > '9' || text[AUTH_SECRET_PREFIX_LEN + 2] != ':') {
		auth_set_err(err, errlen, "hash indicator: must be two digits and ':' after '%s'",
			     AUTH_SECRET_PREFIX);
		return -EINVAL;
	}
	hh = (text[AUTH_SECRET_PREFIX_LEN] - '0') * 10 + (text[AUTH_SECRET_PREFIX_LEN + 1] - '0');
	if (hh > NVTCP_AUTH_HASH_SHA512) {
		auth_set_err(err, errlen, "hash indicator %02d: must be 00 (none), 01 (SHA-256), "
			     "02 (SHA-384) or 03 (SHA-512)", hh);
		return -EINVAL;
	}
	b64 = text + AUTH_SECRET_PREFIX_LEN + 3;
	end = text + len;
	if (end == b64 || end[-1] != ':') {
		auth_set_err(err, errlen, "missing the trailing ':' after the base64 key");
		return -EINVAL;
	}
	n = b64_decode(b64, (size_t)(end - 1 - b64), raw);
	if (n < 0) {
		auth_set_err(err, errlen, "bad base64 in the key");
		goto out;
	}
	if (!valid_len((uint32_t)(n >= 4 ? n - 4 : 0)) || n < 4) {
		auth_set_err(err, errlen,
			     "key length %d: must be 32, 48 or 64 bytes (plus 4 bytes CRC-32)",
			     n >= 4 ? n - 4 : 0);
		goto out;
	}
	n -= 4;
	crc = auth_get_le32(raw + n);
	if (crc != nvtcp_auth_crc32(raw, (size_t)n)) {
		auth_set_err(err, errlen, "bad CRC-32: the secret is damaged or mistyped");
		goto out;
	}
	/* A transformed secret is an HMAC key of its hash's length (specification; nvme-cli
	 * gen-dhchap-key refuses other pairs too). */
	if (hh != 0 && (size_t)n != nvtcp_auth_hash_len((uint8_t)hh)) {
		auth_set_err(err, errlen,
			     "key length %d does not fit hash indicator %02d (%s needs %zu bytes)",
			     n, hh, nvtcp_auth_hash_name((uint8_t)hh),
			     nvtcp_auth_hash_len((uint8_t)hh));
		goto out;
	}
	memcpy(secret->key, raw, (size_t)n);
	secret->len = (uint32_t)n;
	secret->hash = (uint8_t)hh;
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

int
nvtcp_auth_secret_format(const struct nvtcp_auth_secret *secret, char *out, size_t outlen)
{
	uint8_t raw[NVTCP_AUTH_KEY_MAX_LEN + 4];
	char b64[SECRET_B64_MAX + 1];
	int n;

	if (secret == NULL || out == NULL || !valid_len(secret->len) ||
	    secret->hash > NVTCP_AUTH_HASH_SHA512 ||
	    (secret->hash != 0 && nvtcp_auth_hash_len(secret->hash) != secret->len)) {
		return -EINVAL;
	}
	memcpy(raw, secret->key, secret->len);
	auth_put_le32(raw + secret->len, nvtcp_auth_crc32(secret->key, secret->len));
	n = EVP_EncodeBlock((unsigned char *)b64, raw, (int)secret->len + 4);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (n <= 0) {
		OPENSSL_cleanse(b64, sizeof(b64));
		return -EINVAL;
	}
	n = snprintf(out, outlen, "%s%02u:%s:", AUTH_SECRET_PREFIX, (unsigned)secret->hash, b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0) {
			OPENSSL_cleanse(out, outlen);
		}
		return -ENOSPC;
	}
	return 0;
}

int
nvtcp_auth_secret_generate(uint8_t hash, uint32_t len, struct nvtcp_auth_secret *secret)
{
	if (secret == NULL) {
		return -EINVAL;
	}
	nvtcp_auth_secret_wipe(secret);
	if (!valid_len(len) || hash > NVTCP_AUTH_HASH_SHA512 ||
	    (hash != 0 && nvtcp_auth_hash_len(hash) != len)) {
		return -EINVAL;
	}
	if (RAND_priv_bytes(secret->key, (int)len) != 1) {
		nvtcp_auth_secret_wipe(secret);
		return -EIO;
	}
	secret->len = len;
	secret->hash = hash;
	return 0;
}

/* The path is echoed in messages only when it looks like one: a mistyped secret given where
 * a path was expected must not end up in a log. */
static const char *
shown_path(const char *path)
{
	return strchr(path, '/') != NULL ? path : "(argument)";
}

static int
load_file(const char *path, struct nvtcp_auth_secret *secret, char *err, size_t errlen)
{
	char buf[NVTCP_AUTH_SECRET_STR_MAX_LEN + 2];
	char perr[160];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		if (strchr(path, '/') == NULL) {
			auth_set_err(err, errlen, "neither a '%s' secret nor a readable secret "
				     "file: %s", AUTH_SECRET_PREFIX, strerror(-rc));
		} else {
			auth_set_err(err, errlen, "secret file %s: %s", path, strerror(-rc));
		}
		return rc;
	}
	/* fstat of the opened descriptor: no window between the check and the read. */
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		auth_set_err(err, errlen, "secret file %s: %s", shown_path(path), strerror(-rc));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		auth_set_err(err, errlen, "secret file %s: not a regular file", shown_path(path));
		close(fd);
		return -EPERM;
	}
	if (st.st_uid != geteuid()) {
		auth_set_err(err, errlen, "secret file %s: owned by uid %u, must be owned by uid %u",
			     shown_path(path), (unsigned)st.st_uid, (unsigned)geteuid());
		close(fd);
		return -EPERM;
	}
	if ((st.st_mode & 077) != 0) {
		auth_set_err(err, errlen, "secret file %s: mode %04o: must be 0600 or 0400 "
			     "(chmod 600 %s)", shown_path(path), (unsigned)(st.st_mode & 07777),
			     shown_path(path));
		close(fd);
		return -EPERM;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rc = -errno;
			auth_set_err(err, errlen, "secret file %s: %s", shown_path(path),
				     strerror(-rc));
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
	if (len == sizeof(buf) - 1 || strlen(buf) != len) {
		auth_set_err(err, errlen, "secret file %s: not one DH-HMAC-CHAP secret "
			     "(too long or binary)", shown_path(path));
		OPENSSL_cleanse(buf, sizeof(buf));
		return -EINVAL;
	}
	rc = nvtcp_auth_secret_parse(buf, secret, perr, sizeof(perr));
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != 0) {
		auth_set_err(err, errlen, "secret file %s: %s", shown_path(path), perr);
	}
	return rc;
}

int
nvtcp_auth_secret_load(const char *text_or_path, struct nvtcp_auth_secret *secret, char *err,
		       size_t errlen)
{
	if (secret == NULL || text_or_path == NULL || text_or_path[0] == '\0') {
		nvtcp_auth_secret_wipe(secret);
		auth_set_err(err, errlen, "no secret given");
		return -EINVAL;
	}
	if (strncmp(text_or_path, AUTH_SECRET_PREFIX, AUTH_SECRET_PREFIX_LEN) == 0) {
		return nvtcp_auth_secret_parse(text_or_path, secret, err, errlen);
	}
	nvtcp_auth_secret_wipe(secret);
	return load_file(text_or_path, secret, err, errlen);
}

int
nvtcp_auth_secret_transform(const struct nvtcp_auth_secret *secret, const char *nqn,
			    uint8_t *out, size_t *outlen)
{
	struct auth_part parts[2];
	int rc;

	if (secret == NULL || out == NULL || outlen == NULL || !valid_len(secret->len) ||
	    secret->hash > NVTCP_AUTH_HASH_SHA512) {
		return -EINVAL;
	}
	if (secret->hash == 0) {
		memcpy(out, secret->key, secret->len);
		*outlen = secret->len;
		return 0;
	}
	if (nqn == NULL) {
		return -EINVAL;
	}
	parts[0] = (struct auth_part){nqn, strlen(nqn)};
	parts[1] = (struct auth_part){TRANSFORM_LABEL, sizeof(TRANSFORM_LABEL) - 1};
	rc = nvtcp_auth_hmac(secret->hash, secret->key, secret->len, parts, 2, out);
	if (rc != 0) {
		OPENSSL_cleanse(out, NVTCP_AUTH_KEY_MAX_LEN);
		return rc;
	}
	*outlen = nvtcp_auth_hash_len(secret->hash);
	return 0;
}
