/*
 * Unit tests of lib/auth/dh.c: both sides derive the same padded secret in every group, and
 * peer values 0, 1, p-1, p and wrong lengths are refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "auth/auth_internal.h"
#include "nvtcp/auth.h"
#include "ut.h"

static void
test_derive_symmetric(void)
{
	for (uint8_t g = NVTCP_AUTH_DHGROUP_2048; g <= NVTCP_AUTH_DHGROUP_8192; g++) {
		size_t len = (size_t)nvtcp_auth_dhgroup_len(g);
		uint8_t *pa = malloc(len), *pb = malloc(len), *sa = malloc(len), *sb = malloc(len);
		struct nvtcp_auth_dh *a = NULL, *b = NULL;

		CU_ASSERT_FATAL(pa != NULL && pb != NULL && sa != NULL && sb != NULL);
		CU_ASSERT_EQUAL_FATAL(nvtcp_auth_dh_create(g, &a, pa, len), 0);
		CU_ASSERT_EQUAL_FATAL(nvtcp_auth_dh_create(g, &b, pb, len), 0);
		CU_ASSERT_NOT_EQUAL(memcmp(pa, pb, len), 0);
		CU_ASSERT_EQUAL(nvtcp_auth_dh_derive(a, pb, len, sa, len), 0);
		CU_ASSERT_EQUAL(nvtcp_auth_dh_derive(b, pa, len, sb, len), 0);
		CU_ASSERT_EQUAL(memcmp(sa, sb, len), 0);
		/* Wrong lengths. */
		CU_ASSERT_EQUAL(nvtcp_auth_dh_derive(a, pb, len - 1, sa, len), -EINVAL);
		CU_ASSERT_EQUAL(nvtcp_auth_dh_derive(a, pb, len, sa, len + 1), -EINVAL);
		nvtcp_auth_dh_free(a);
		nvtcp_auth_dh_free(b);
		free(pa);
		free(pb);
		free(sa);
		free(sb);
	}
}

static void
test_bad_peer(void)
{
	uint8_t pub[256], peer[256], sec[256];
	struct nvtcp_auth_dh *dh = NULL;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;
	OSSL_PARAM params[2];
	BIGNUM *p = NULL;

	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_dh_create(NVTCP_AUTH_DHGROUP_2048, &dh, pub, 256), 0);
	/* p of ffdhe2048, from OpenSSL itself. */
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "ffdhe2048", 0);
	params[1] = OSSL_PARAM_construct_end();
	CU_ASSERT_FATAL(EVP_PKEY_paramgen_init(ctx) == 1 &&
			EVP_PKEY_CTX_set_params(ctx, params) == 1 &&
			EVP_PKEY_paramgen(ctx, &pk) == 1 &&
			EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_FFC_P, &p) == 1);

	memset(peer, 0, sizeof(peer));
	CU_ASSERT_EQUAL(nvtcp_auth_dh_derive(dh, peer, 256, sec, 256), -EINVAL);
	peer[255] = 1;
	CU_ASSERT_EQUAL(nvtcp_auth_dh_derive(dh, peer, 256, sec, 256), -EINVAL);
	peer[255] = 2;
	CU_ASSERT_EQUAL(nvtcp_auth_dh_derive(dh, peer, 256, sec, 256), 0);
	BN_bn2binpad(p, peer, 256);
	CU_ASSERT_EQUAL(nvtcp_auth_dh_derive(dh, peer, 256, sec, 256), -EINVAL);
	BN_sub_word(p, 1);
	BN_bn2binpad(p, peer, 256);
	CU_ASSERT_EQUAL(nvtcp_auth_dh_derive(dh, peer, 256, sec, 256), -EINVAL);
	memset(peer, 0xff, sizeof(peer));
	CU_ASSERT_EQUAL(nvtcp_auth_dh_derive(dh, peer, 256, sec, 256), -EINVAL);

	nvtcp_auth_dh_free(dh);
	dh = NULL;

	/* Bad groups and arguments. */
	CU_ASSERT_EQUAL(nvtcp_auth_dh_create(NVTCP_AUTH_DHGROUP_NULL, &dh, pub, 256), -EINVAL);
	CU_ASSERT_PTR_NULL(dh);
	CU_ASSERT_EQUAL(nvtcp_auth_dh_create(6, &dh, pub, 256), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_dh_create(NVTCP_AUTH_DHGROUP_3072, &dh, pub, 256), -EINVAL);
	nvtcp_auth_dh_free(NULL);

	BN_free(p);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("dh", NULL, NULL);

	CU_ADD_TEST(s, test_derive_symmetric);
	CU_ADD_TEST(s, test_bad_peer);
}

NVTCP_UT_MAIN(add_tests)
