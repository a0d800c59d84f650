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
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "nvtcp/util.h"
#include "nvtcp/keyfile.h"
#include "nvtcp/tls.h"

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
	uint8_t hh = 0;
	int rc;

	if (psk == NULL) {
		nvtcp_errf(err, errlen, "no PSK to fill");
		return -EINVAL;
	}
	nvtcp_tls_psk_wipe(psk);
	if (text == NULL) {
		nvtcp_errf(err, errlen, "no PSK given");
		return -EINVAL;
	}
	rc = nvtcp_keyfile_parse(NVTCP_KEYFILE_TLS_PSK, text, psk->key, &psk->len, &hh, err,
				 errlen);
	psk->hash = (enum nvtcp_tls_hash)hh;
	return rc;
}

int
nvtcp_tls_psk_format(const struct nvtcp_tls_psk *psk, char *out, size_t outlen)
{
	if (psk == NULL || psk->hash > NVTCP_TLS_HASH_SHA384) {
		return -EINVAL;
	}
	return nvtcp_keyfile_format(NVTCP_KEYFILE_TLS_PSK, psk->key, psk->len, (uint8_t)psk->hash,
				    out, outlen);
}

int
nvtcp_tls_psk_load_file(const char *path, struct nvtcp_tls_psk *psk, char *err, size_t errlen)
{
	uint8_t hh = 0;
	int rc;

	nvtcp_tls_psk_wipe(psk);
	if (path == NULL || psk == NULL) {
		nvtcp_errf(err, errlen, "no PSK file given");
		return -EINVAL;
	}
	rc = nvtcp_keyfile_load(NVTCP_KEYFILE_TLS_PSK, path, psk->key, &psk->len, &hh, err,
				errlen);
	psk->hash = (enum nvtcp_tls_hash)hh;
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
