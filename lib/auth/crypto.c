/*
 * DH-HMAC-CHAP algorithms: hash and DH group identifiers and names, failure explanations,
 * HMAC, the augmented challenge and the two responses (NVMe Base Specification,
 * "DH-HMAC-CHAP protocol"). OpenSSL 3 computes every digest and HMAC.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth_internal.h"

static const struct {
	const char *name;    /* ours and nvme-cli's */
	const char *ossl;    /* OpenSSL's digest name */
	const char *alias;   /* "SHA-256" */
	size_t len;
} g_hashes[] = {
	[NVTCP_AUTH_HASH_SHA256] = {"sha256", "SHA256", "SHA-256", 32},
	[NVTCP_AUTH_HASH_SHA384] = {"sha384", "SHA384", "SHA-384", 48},
	[NVTCP_AUTH_HASH_SHA512] = {"sha512", "SHA512", "SHA-512", 64},
};

static const struct {
	const char *name;
	int len;
} g_dhgroups[] = {
	[NVTCP_AUTH_DHGROUP_NULL] = {"null", 0},
	[NVTCP_AUTH_DHGROUP_2048] = {"ffdhe2048", 256},
	[NVTCP_AUTH_DHGROUP_3072] = {"ffdhe3072", 384},
	[NVTCP_AUTH_DHGROUP_4096] = {"ffdhe4096", 512},
	[NVTCP_AUTH_DHGROUP_6144] = {"ffdhe6144", 768},
	[NVTCP_AUTH_DHGROUP_8192] = {"ffdhe8192", 1024},
};

size_t
nvtcp_auth_hash_len(uint8_t hash_id)
{
	if (hash_id < NVTCP_AUTH_HASH_SHA256 || hash_id > NVTCP_AUTH_HASH_SHA512) {
		return 0;
	}
	return g_hashes[hash_id].len;
}

const char *
nvtcp_auth_hash_name(uint8_t hash_id)
{
	if (nvtcp_auth_hash_len(hash_id) == 0) {
		return NULL;
	}
	return g_hashes[hash_id].name;
}

int
nvtcp_auth_hash_from_name(const char *name)
{
	const char *n = name;
	size_t len;

	if (name == NULL) {
		return -EINVAL;
	}
	/* The kernel's configfs names are "hmac(sha256)". */
	len = strlen(n);
	if (strncasecmp(n, "hmac(", 5) == 0 && len > 6 && n[len - 1] == ')') {
		n += 5;
		len -= 6;
	}
	for (uint8_t id = NVTCP_AUTH_HASH_SHA256; id <= NVTCP_AUTH_HASH_SHA512; id++) {
		if ((strlen(g_hashes[id].name) == len &&
		     strncasecmp(n, g_hashes[id].name, len) == 0) ||
		    (strlen(g_hashes[id].alias) == len &&
		     strncasecmp(n, g_hashes[id].alias, len) == 0)) {
			return id;
		}
	}
	return -EINVAL;
}

int
nvtcp_auth_dhgroup_len(uint8_t dhgroup_id)
{
	if (dhgroup_id > NVTCP_AUTH_DHGROUP_8192) {
		return -EINVAL;
	}
	return g_dhgroups[dhgroup_id].len;
}

const char *
nvtcp_auth_dhgroup_name(uint8_t dhgroup_id)
{
	if (dhgroup_id > NVTCP_AUTH_DHGROUP_8192) {
		return NULL;
	}
	return g_dhgroups[dhgroup_id].name;
}

int
nvtcp_auth_dhgroup_from_name(const char *name)
{
	if (name == NULL) {
		return -EINVAL;
	}
	for (uint8_t id = NVTCP_AUTH_DHGROUP_NULL; id <= NVTCP_AUTH_DHGROUP_8192; id++) {
		if (strcasecmp(name, g_dhgroups[id].name) == 0) {
			return id;
		}
	}
	return -EINVAL;
}

const char *
nvtcp_auth_failure_name(uint8_t explanation)
{
	switch (explanation) {
	case NVTCP_AUTH_FAIL_FAILED:
		return "authentication failed";
	case NVTCP_AUTH_FAIL_PROTOCOL_UNUSABLE:
		return "authentication protocol not usable";
	case NVTCP_AUTH_FAIL_CONCAT_MISMATCH:
		return "secure channel concatenation mismatch";
	case NVTCP_AUTH_FAIL_HASH_UNUSABLE:
		return "hash function not usable";
	case NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE:
		return "DH group not usable";
	case NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD:
		return "incorrect payload";
	case NVTCP_AUTH_FAIL_INCORRECT_MESSAGE:
		return "incorrect protocol message";
	default:
		return "unknown reason";
	}
}

int
nvtcp_auth_hmac(uint8_t hash_id, const uint8_t *key, size_t keylen,
		const struct auth_part *parts, size_t nparts, uint8_t *out)
{
	size_t hlen = nvtcp_auth_hash_len(hash_id), got = 0;
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	int rc = -EIO;

	if (hlen == 0 || key == NULL || keylen == 0 || out == NULL) {
		return -EINVAL;
	}
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL) {
		return -EIO;
	}
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL) {
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)g_hashes[hash_id].ossl, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, keylen, params) != 1) {
		goto out;
	}
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].len > 0 && EVP_MAC_update(ctx, parts[i].buf, parts[i].len) != 1) {
			goto out;
		}
	}
	if (EVP_MAC_final(ctx, out, &got, hlen) == 1 && got == hlen) {
		rc = 0;
	}
out:
	/* EVP_MAC_CTX_free cleanses the keyed state. */
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (rc != 0) {
		OPENSSL_cleanse(out, hlen);
	}
	return rc;
}

int
nvtcp_auth_digest(uint8_t hash_id, const uint8_t *buf, size_t len, uint8_t *out)
{
	unsigned int got = 0;
	EVP_MD *md;
	int rc = -EIO;

	if (nvtcp_auth_hash_len(hash_id) == 0 || out == NULL) {
		return -EINVAL;
	}
	md = EVP_MD_fetch(NULL, g_hashes[hash_id].ossl, NULL);
	if (md == NULL) {
		return -EIO;
	}
	if (EVP_Digest(buf, len, out, &got, md, NULL) == 1 &&
	    got == nvtcp_auth_hash_len(hash_id)) {
		rc = 0;
	}
	EVP_MD_free(md);
	return rc;
}

int
nvtcp_auth_augment(uint8_t hash_id, const uint8_t *dh_secret, size_t dh_secret_len,
		   const uint8_t *challenge, size_t hl, uint8_t *out)
{
	uint8_t hkey[NVTCP_AUTH_KEY_MAX_LEN];
	struct auth_part part = {challenge, hl};
	size_t hlen = nvtcp_auth_hash_len(hash_id);
	int rc;

	if (hlen == 0 || hl != hlen || challenge == NULL || out == NULL) {
		return -EINVAL;
	}
	if (dh_secret_len == 0) {
		memmove(out, challenge, hl);
		return 0;
	}
	if (dh_secret == NULL) {
		return -EINVAL;
	}
	/* The key of the HMAC is the hash of the shared secret. */
	rc = nvtcp_auth_digest(hash_id, dh_secret, dh_secret_len, hkey);
	if (rc == 0) {
		rc = nvtcp_auth_hmac(hash_id, hkey, hlen, &part, 1, out);
	}
	OPENSSL_cleanse(hkey, sizeof(hkey));
	return rc;
}

/* R = HMAC-H(key, C || le32(seqnum) || le16(t_id) || sc_c || label || nqn1 || 0x00 || nqn2) */
static int
response(uint8_t hash_id, const uint8_t *key, size_t keylen, const uint8_t *challenge,
	 size_t hl, uint32_t seqnum, uint16_t t_id, uint8_t sc_c, const char *label,
	 const char *nqn1, const char *nqn2, uint8_t *out)
{
	uint8_t seq[4], tid[2], zero = 0;
	struct auth_part parts[8];

	if (nvtcp_auth_hash_len(hash_id) == 0 || hl != nvtcp_auth_hash_len(hash_id) ||
	    challenge == NULL || nqn1 == NULL || nqn2 == NULL) {
		return -EINVAL;
	}
	auth_put_le32(seq, seqnum);
	auth_put_le16(tid, t_id);
	parts[0] = (struct auth_part){challenge, hl};
	parts[1] = (struct auth_part){seq, sizeof(seq)};
	parts[2] = (struct auth_part){tid, sizeof(tid)};
	parts[3] = (struct auth_part){&sc_c, 1};
	parts[4] = (struct auth_part){label, strlen(label)};
	parts[5] = (struct auth_part){nqn1, strlen(nqn1)};
	parts[6] = (struct auth_part){&zero, 1};
	parts[7] = (struct auth_part){nqn2, strlen(nqn2)};
	return nvtcp_auth_hmac(hash_id, key, keylen, parts, 8, out);
}

int
nvtcp_auth_host_response(uint8_t hash_id, const uint8_t *key, size_t keylen,
			 const uint8_t *challenge, size_t hl, uint32_t seqnum, uint16_t t_id,
			 uint8_t sc_c, const char *hostnqn, const char *subnqn, uint8_t *out)
{
	return response(hash_id, key, keylen, challenge, hl, seqnum, t_id, sc_c, "HostHost",
			hostnqn, subnqn, out);
}

int
nvtcp_auth_ctrl_response(uint8_t hash_id, const uint8_t *key, size_t keylen,
			 const uint8_t *challenge, size_t hl, uint32_t seqnum, uint16_t t_id,
			 uint8_t sc_c, const char *subnqn, const char *hostnqn, uint8_t *out)
{
	return response(hash_id, key, keylen, challenge, hl, seqnum, t_id, sc_c, "Controller",
			subnqn, hostnqn, out);
}
