/*
 * Ephemeral finite-field Diffie-Hellman in the RFC 7919 groups (ffdhe2048 .. ffdhe8192) for
 * DH-HMAC-CHAP, with OpenSSL 3's named groups. Public values and the shared secret are
 * big-endian and left-padded to the group's size, as the specification and the Linux
 * kernel's kpp "dh" produce them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "auth_internal.h"

struct nvtcp_auth_dh {
	EVP_PKEY *pkey;
	uint8_t group;
	size_t len;
};

int
nvtcp_auth_dh_create(uint8_t dhgroup_id, struct nvtcp_auth_dh **dhp, uint8_t *pub, size_t publen)
{
	int glen = nvtcp_auth_dhgroup_len(dhgroup_id);
	struct nvtcp_auth_dh *dh;
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx;
	BIGNUM *y = NULL;
	int rc = -EIO;

	if (dhp == NULL) {
		return -EINVAL;
	}
	*dhp = NULL;
	if (glen <= 0 || pub == NULL || publen != (size_t)glen) {
		return -EINVAL;
	}
	dh = calloc(1, sizeof(*dh));
	if (dh == NULL) {
		return -ENOMEM;
	}
	dh->group = dhgroup_id;
	dh->len = (size_t)glen;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (ctx == NULL) {
		free(dh);
		return -ENOMEM;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)nvtcp_auth_dhgroup_name(dhgroup_id), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_CTX_set_params(ctx, params) != 1 ||
	    EVP_PKEY_generate(ctx, &dh->pkey) != 1) {
		goto fail;
	}
	if (EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY, &y) != 1 ||
	    BN_bn2binpad(y, pub, (int)publen) != (int)publen) {
		goto fail;
	}
	BN_free(y);
	EVP_PKEY_CTX_free(ctx);
	*dhp = dh;
	return 0;
fail:
	BN_free(y);
	EVP_PKEY_CTX_free(ctx);
	nvtcp_auth_dh_free(dh);
	return rc;
}

/* A peer value must be in [2, p-2]: 0, 1 and p-1 force the shared secret to a known value
 * (NIST SP 800-56A partial public key validation; the kernel checks the same). */
static int
check_peer(const struct nvtcp_auth_dh *dh, const BIGNUM *y)
{
	BIGNUM *p = NULL, *pm1 = NULL;
	int rc = -EINVAL;

	if (EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_FFC_P, &p) != 1) {
		return -EIO;
	}
	pm1 = BN_dup(p);
	if (pm1 == NULL || BN_sub_word(pm1, 1) != 1) {
		rc = -ENOMEM;
		goto out;
	}
	if (BN_cmp(y, BN_value_one()) > 0 && BN_cmp(y, pm1) < 0) {
		rc = 0;
	}
out:
	BN_free(p);
	BN_free(pm1);
	return rc;
}

int
nvtcp_auth_dh_derive(struct nvtcp_auth_dh *dh, const uint8_t *peer_pub, size_t peer_len,
		     uint8_t *secret, size_t secret_len)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL, *dctx = NULL;
	EVP_PKEY *peer = NULL;
	BIGNUM *y = NULL;
	size_t got = secret_len;
	int rc = -EIO;

	if (dh == NULL || peer_pub == NULL || secret == NULL || peer_len != dh->len ||
	    secret_len != dh->len) {
		return -EINVAL;
	}
	y = BN_bin2bn(peer_pub, (int)peer_len, NULL);
	if (y == NULL) {
		return -ENOMEM;
	}
	rc = check_peer(dh, y);
	if (rc != 0) {
		goto out;
	}
	rc = -EIO;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    nvtcp_auth_dhgroup_name(dh->group), 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) != 1) {
		goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (params == NULL || pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &peer, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		goto out;
	}
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	if (dctx == NULL || EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_CTX_set_dh_pad(dctx, 1) != 1) {
		goto out;
	}
	/* derive_set_peer also validates the peer key against the group. */
	if (EVP_PKEY_derive_set_peer(dctx, peer) != 1) {
		rc = -EINVAL;
		goto out;
	}
	if (EVP_PKEY_derive(dctx, secret, &got) == 1 && got == secret_len) {
		rc = 0;
	} else {
		OPENSSL_cleanse(secret, secret_len);
	}
out:
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(peer);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(y);
	return rc;
}

void
nvtcp_auth_dh_free(struct nvtcp_auth_dh *dh)
{
	if (dh == NULL) {
		return;
	}
	/* EVP_PKEY_free clears the private exponent (BN_clear_free). */
	EVP_PKEY_free(dh->pkey);
	OPENSSL_cleanse(dh, sizeof(*dh));
	free(dh);
}
