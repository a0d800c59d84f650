/*
 * PSK handling of the NVMe/TCP secure channel: the interchange format, key files, the PSK
 * identity and the two HKDF derivations (retained PSK, TLS PSK).
 *
 * The derivations are HKDF-Extract with a salt of HashLen zero bytes (what "no salt" means in
 * RFC 5869; OpenSSL 3 refuses a NULL salt) followed by HKDF-Expand with the TLS 1.3
 * HkdfLabel as info (RFC 8446, 7.1). That is what the specification describes and what
 * SPDK v24.01 computes, so one implementation serves both.
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
#include <openssl/kdf.h>

#include "nvtcp/tls.h"
#include "tls_internal.h"

#define PSK_PREFIX "NVMeTLSkey-1:"
#define PSK_PREFIX_LEN (sizeof(PSK_PREFIX) - 1)
/* base64 of 48 key bytes + 4 CRC bytes, rounded up to a multiple of 4. */
#define PSK_B64_MAX 72

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

uint32_t
nvtcp_tls_crc32(const uint8_t *buf, size_t len)
{
	/* IEEE 802.3 CRC-32, reflected (zlib's crc32()). Bitwise: it runs once per key. */
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
b64_decode(const char *in, size_t len, uint8_t *out)
{
	size_t pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len > PSK_B64_MAX) {
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

void
nvtcp_tls_psk_wipe(struct nvtcp_tls_psk *psk)
{
	if (psk != NULL) {
		OPENSSL_cleanse(psk, sizeof(*psk));
	}
}

int
nvtcp_tls_psk_parse(const char *text, struct nvtcp_tls_psk *psk, char *err, size_t errlen)
{
	uint8_t raw[PSK_B64_MAX];
	const char *b64, *end;
	size_t len, b64_len;
	uint32_t crc;
	int hh, n, rc = -EINVAL;

	if (psk == NULL) {
		set_err(err, errlen, "no PSK to fill");
		return -EINVAL;
	}
	nvtcp_tls_psk_wipe(psk);
	if (text == NULL) {
		set_err(err, errlen, "no PSK given");
		return -EINVAL;
	}
	len = strnlen(text, NVTCP_TLS_INTERCHANGE_MAX_LEN + 1);
	if (len > 0 && text[len - 1] == '\n') {
		len--;
	}
	if (len > NVTCP_TLS_INTERCHANGE_MAX_LEN - 1) {
		set_err(err, errlen, "PSK interchange string too long (over %d characters)",
			NVTCP_TLS_INTERCHANGE_MAX_LEN - 1);
		return -EINVAL;
	}
	if (len < PSK_PREFIX_LEN || memcmp(text, PSK_PREFIX, PSK_PREFIX_LEN) != 0) {
		set_err(err, errlen, "not a PSK in the interchange format: must start with '%s'",
			PSK_PREFIX);
		return -EINVAL;
	}
	if (len < PSK_PREFIX_LEN + 3 || text[PSK_PREFIX_LEN] < '0' || text[PSK_PREFIX_LEN] > '9' ||
	    text[PSK_PREFIX_LEN + 1] < '0' || text[PSK_PREFIX_LEN + 1] > '9' ||
	    text[PSK_PREFIX_LEN + 2] != ':') {
		set_err(err, errlen, "hash indicator: must be two digits and ':' after '%s'",
			PSK_PREFIX);
		return -EINVAL;
	}
	hh = (text[PSK_PREFIX_LEN] - '0') * 10 + (text[PSK_PREFIX_LEN + 1] - '0');
	if (hh > NVTCP_TLS_HASH_SHA384) {
		set_err(err, errlen,
			"hash indicator %02d: must be 00, 01 (SHA-256) or 02 (SHA-384)", hh);
		return -EINVAL;
	}
	b64 = text + PSK_PREFIX_LEN + 3;
	end = text + len;
	if (end == b64 || end[-1] != ':') {
		set_err(err, errlen, "missing the trailing ':' after the base64 key");
		return -EINVAL;
	}
	b64_len = (size_t)(end - 1 - b64);
	n = b64_decode(b64, b64_len, raw);
	if (n < 0) {
		set_err(err, errlen, "bad base64 in the key");
		goto out;
	}
	if (n != 32 + 4 && n != 48 + 4) {
		set_err(err, errlen, "key length %d: must be 32 or 48 bytes (plus 4 bytes CRC-32)",
			n >= 4 ? n - 4 : 0);
		goto out;
	}
	n -= 4;
	crc = (uint32_t)raw[n] | (uint32_t)raw[n + 1] << 8 | (uint32_t)raw[n + 2] << 16 |
	      (uint32_t)raw[n + 3] << 24;
	if (crc != nvtcp_tls_crc32(raw, (size_t)n)) {
		set_err(err, errlen, "bad CRC-32: the key is damaged or mistyped");
		goto out;
	}
	/* The hash of 01/02 also fixes the key length (SPDK v24.01 and the specification's
	 * HashLen-sized keys); 00 takes either length. */
	if ((hh == NVTCP_TLS_HASH_SHA256 && n != 32) || (hh == NVTCP_TLS_HASH_SHA384 && n != 48)) {
		set_err(err, errlen,
			"key length %d does not fit hash indicator %02d (%s needs %d bytes)", n, hh,
			hh == 1 ? "SHA-256" : "SHA-384", hh == 1 ? 32 : 48);
		goto out;
	}
	memcpy(psk->key, raw, (size_t)n);
	psk->len = (uint32_t)n;
	psk->hash = (enum nvtcp_tls_hash)hh;
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

int
nvtcp_tls_psk_format(const struct nvtcp_tls_psk *psk, char *out, size_t outlen)
{
	uint8_t raw[NVTCP_TLS_PSK_MAX_LEN + 4];
	char b64[PSK_B64_MAX + 1];
	uint32_t crc;
	int n;

	if (psk == NULL || out == NULL || (psk->len != 32 && psk->len != 48) ||
	    psk->hash > NVTCP_TLS_HASH_SHA384 ||
	    (psk->hash == NVTCP_TLS_HASH_SHA256 && psk->len != 32) ||
	    (psk->hash == NVTCP_TLS_HASH_SHA384 && psk->len != 48)) {
		return -EINVAL;
	}
	memcpy(raw, psk->key, psk->len);
	crc = nvtcp_tls_crc32(psk->key, psk->len);
	for (int i = 0; i < 4; i++) {
		raw[psk->len + i] = (uint8_t)(crc >> (8 * i));
	}
	n = EVP_EncodeBlock((unsigned char *)b64, raw, (int)psk->len + 4);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (n <= 0) {
		OPENSSL_cleanse(b64, sizeof(b64));
		return -EINVAL;
	}
	n = snprintf(out, outlen, "%s%02d:%s:", PSK_PREFIX, (int)psk->hash, b64);
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
nvtcp_tls_psk_load_file(const char *path, struct nvtcp_tls_psk *psk, char *err, size_t errlen)
{
	char buf[NVTCP_TLS_INTERCHANGE_MAX_LEN + 2];
	char perr[160];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	nvtcp_tls_psk_wipe(psk);
	if (path == NULL || psk == NULL) {
		set_err(err, errlen, "no PSK file given");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "PSK file %s: %s", path, strerror(-rc));
		return rc;
	}
	/* fstat of the opened descriptor: no window between the check and the read. */
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		set_err(err, errlen, "PSK file %s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, "PSK file %s: not a regular file", path);
		close(fd);
		return -EPERM;
	}
	if (st.st_uid != geteuid()) {
		set_err(err, errlen, "PSK file %s: owned by uid %u, must be owned by uid %u", path,
			(unsigned)st.st_uid, (unsigned)geteuid());
		close(fd);
		return -EPERM;
	}
	if ((st.st_mode & 077) != 0) {
		set_err(err, errlen, "PSK file %s: mode %04o: must be 0600 (chmod 600 %s)", path,
			(unsigned)(st.st_mode & 07777), path);
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
			set_err(err, errlen, "PSK file %s: %s", path, strerror(-rc));
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
		set_err(err, errlen, "PSK file %s: not one PSK in the interchange format "
			"(too long or binary)", path);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -EINVAL;
	}
	rc = nvtcp_tls_psk_parse(buf, psk, perr, sizeof(perr));
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != 0) {
		set_err(err, errlen, "PSK file %s: %s", path, perr);
	}
	return rc;
}

int
nvtcp_tls_psk_identity(const struct nvtcp_tls_psk *psk, const char *hostnqn, const char *subnqn,
		       char *out, size_t len)
{
	int n;

	if (psk == NULL || hostnqn == NULL || subnqn == NULL || out == NULL ||
	    (psk->len != 32 && psk->len != 48)) {
		return -EINVAL;
	}
	n = snprintf(out, len, "NVMe0R0%d %s %s", psk->len == 32 ? 1 : 2, hostnqn, subnqn);
	if (n < 0 || (size_t)n >= len || n > NVTCP_TLS_IDENTITY_MAX_LEN) {
		return -ENOSPC;
	}
	return n;
}

static int
copy_part(const char *src, size_t n, char *dst, size_t dstlen)
{
	if (dst == NULL) {
		return 0;
	}
	if (n >= dstlen) {
		return -EINVAL;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int
nvtcp_tls_identity_parse(const char *identity, size_t len, char *hostnqn, size_t hostlen,
			 char *subnqn, size_t sublen)
{
	const char *host, *sp, *end;

	if (identity == NULL || len > NVTCP_TLS_IDENTITY_MAX_LEN || len < 9 ||
	    memchr(identity, '\0', len) != NULL || memcmp(identity, "NVMe0R0", 7) != 0 ||
	    (identity[7] != '1' && identity[7] != '2') || identity[8] != ' ') {
		return -EINVAL;
	}
	host = identity + 9;
	end = identity + len;
	sp = memchr(host, ' ', (size_t)(end - host));
	/* Both parts non-empty, exactly one space between them, none in the subsystem NQN. */
	if (sp == NULL || sp == host || sp + 1 == end ||
	    memchr(sp + 1, ' ', (size_t)(end - sp - 1)) != NULL) {
		return -EINVAL;
	}
	if (copy_part(host, (size_t)(sp - host), hostnqn, hostlen) != 0 ||
	    copy_part(sp + 1, (size_t)(end - sp - 1), subnqn, sublen) != 0) {
		return -EINVAL;
	}
	return identity[7] - '0';
}

/* HKDF-Expand-Label(HKDF-Extract(0^HashLen, ikm), label, context, out_len). */
static int
hkdf_expand_label(const EVP_MD *md, const uint8_t *ikm, size_t ikm_len, const char *label,
		  const uint8_t *context, size_t context_len, uint8_t *out, size_t out_len)
{
	/* uint16 length, uint8 + "tls13 " + label, uint8 + context. */
	uint8_t info[2 + 1 + 6 + 32 + 1 + 255];
	uint8_t salt[EVP_MAX_MD_SIZE] = {0};
	size_t label_len = strlen(label), info_len = 0, got = out_len;
	EVP_PKEY_CTX *pctx;
	int rc = -EIO;

	if (label_len > 32 || context_len > 255 || out_len > 0xffff) {
		return -EINVAL;
	}
	info[info_len++] = (uint8_t)(out_len >> 8);
	info[info_len++] = (uint8_t)out_len;
	info[info_len++] = (uint8_t)(6 + label_len);
	memcpy(info + info_len, "tls13 ", 6);
	info_len += 6;
	memcpy(info + info_len, label, label_len);
	info_len += label_len;
	info[info_len++] = (uint8_t)context_len;
	memcpy(info + info_len, context, context_len);
	info_len += context_len;

	pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	if (pctx == NULL) {
		return -EIO;
	}
	if (EVP_PKEY_derive_init(pctx) == 1 && EVP_PKEY_CTX_set_hkdf_md(pctx, md) == 1 &&
	    EVP_PKEY_CTX_set1_hkdf_salt(pctx, salt, EVP_MD_get_size(md)) == 1 &&
	    EVP_PKEY_CTX_set1_hkdf_key(pctx, ikm, (int)ikm_len) == 1 &&
	    EVP_PKEY_CTX_add1_hkdf_info(pctx, info, (int)info_len) == 1 &&
	    EVP_PKEY_derive(pctx, out, &got) == 1 && got == out_len) {
		rc = 0;
	}
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

int
nvtcp_tls_derive_retained(const struct nvtcp_tls_psk *psk, const char *hostnqn, uint8_t *out,
			  size_t *out_len)
{
	const EVP_MD *md;
	size_t nqn_len;
	int rc;

	if (psk == NULL || hostnqn == NULL || out == NULL || out_len == NULL ||
	    (psk->len != 32 && psk->len != 48)) {
		return -EINVAL;
	}
	switch (psk->hash) {
	case NVTCP_TLS_HASH_NONE:
		memcpy(out, psk->key, psk->len);
		*out_len = psk->len;
		return 0;
	case NVTCP_TLS_HASH_SHA256:
		md = EVP_sha256();
		break;
	case NVTCP_TLS_HASH_SHA384:
		md = EVP_sha384();
		break;
	default:
		return -EINVAL;
	}
	nqn_len = strlen(hostnqn);
	if (nqn_len > 255 || (size_t)EVP_MD_get_size(md) != psk->len) {
		return -EINVAL;
	}
	rc = hkdf_expand_label(md, psk->key, psk->len, "HostNQN", (const uint8_t *)hostnqn, nqn_len,
			       out, psk->len);
	if (rc != 0) {
		OPENSSL_cleanse(out, psk->len);
		return rc;
	}
	*out_len = psk->len;
	return 0;
}

int
nvtcp_tls_derive_tls_psk(const uint8_t *retained, size_t retained_len, const char *identity,
			 uint8_t *out, size_t *out_len)
{
	const EVP_MD *md;
	size_t id_len;
	int rc;

	if (retained == NULL || identity == NULL || out == NULL || out_len == NULL) {
		return -EINVAL;
	}
	if (retained_len == 32) {
		md = EVP_sha256();
	} else if (retained_len == 48) {
		md = EVP_sha384();
	} else {
		return -EINVAL;
	}
	id_len = strlen(identity);
	if (id_len > NVTCP_TLS_IDENTITY_MAX_LEN) {
		return -EINVAL;
	}
	rc = hkdf_expand_label(md, retained, retained_len, "nvme-tls-psk",
			       (const uint8_t *)identity, id_len, out, retained_len);
	if (rc != 0) {
		OPENSSL_cleanse(out, retained_len);
		return rc;
	}
	*out_len = retained_len;
	return 0;
}
