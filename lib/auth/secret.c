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
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "nvtcp/keyfile.h"
#include "auth_internal.h"

#define TRANSFORM_LABEL "NVMe-over-Fabrics"

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
	if (secret == NULL) {
		nvtcp_errf(err, errlen, "no secret to fill");
		return -EINVAL;
	}
	nvtcp_auth_secret_wipe(secret);
	if (text == NULL) {
		nvtcp_errf(err, errlen, "no secret given");
		return -EINVAL;
	}
	return nvtcp_keyfile_parse(NVTCP_KEYFILE_DHCHAP, text, secret->key, &secret->len,
				   &secret->hash, err, errlen);
}

int
nvtcp_auth_secret_format(const struct nvtcp_auth_secret *secret, char *out, size_t outlen)
{
	if (secret == NULL) {
		return -EINVAL;
	}
	return nvtcp_keyfile_format(NVTCP_KEYFILE_DHCHAP, secret->key, secret->len, secret->hash,
				    out, outlen);
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

int
nvtcp_auth_secret_load(const char *text_or_path, struct nvtcp_auth_secret *secret, char *err,
		       size_t errlen)
{
	if (secret == NULL || text_or_path == NULL || text_or_path[0] == '\0') {
		nvtcp_auth_secret_wipe(secret);
		nvtcp_errf(err, errlen, "no secret given");
		return -EINVAL;
	}
	if (strncmp(text_or_path, AUTH_SECRET_PREFIX, AUTH_SECRET_PREFIX_LEN) == 0) {
		return nvtcp_auth_secret_parse(text_or_path, secret, err, errlen);
	}
	nvtcp_auth_secret_wipe(secret);
	return nvtcp_keyfile_load(NVTCP_KEYFILE_DHCHAP, text_or_path, secret->key, &secret->len,
				  &secret->hash, err, errlen);
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
