/*
 * Unit tests of lib/auth/dhchap_common.c: the pieces both DH-HMAC-CHAP engines use (the
 * engines' own tests drive them through whole transactions).
 */
#include <errno.h>
#include <string.h>

#include "auth/auth_internal.h"
#include "ut.h"

static void
test_secret_ok(void)
{
	struct nvtcp_auth_secret s = {.len = 32, .hash = 0};

	CU_ASSERT(auth_secret_ok(&s));
	s.hash = NVTCP_AUTH_HASH_SHA256;
	CU_ASSERT(auth_secret_ok(&s));
	/* A transformed secret has its hash's length. */
	s.hash = NVTCP_AUTH_HASH_SHA512;
	CU_ASSERT(!auth_secret_ok(&s));
	s.len = 64;
	CU_ASSERT(auth_secret_ok(&s));
	s.hash = 4;
	CU_ASSERT(!auth_secret_ok(&s));
	s.hash = 0;
	s.len = 40;
	CU_ASSERT(!auth_secret_ok(&s));
}

static void
test_failure(void)
{
	uint8_t buf[sizeof(struct nvtcp_auth_failure)];
	const struct nvtcp_auth_failure *f = (const struct nvtcp_auth_failure *)buf;
	uint8_t reason = 0xff;

	CU_ASSERT_EQUAL(auth_build_failure(buf, sizeof(buf) - 1, NVTCP_AUTH_ID_FAILURE1, 7, 3),
			-ENOSPC);
	memset(buf, 0xaa, sizeof(buf));
	CU_ASSERT_EQUAL(auth_build_failure(buf, sizeof(buf), NVTCP_AUTH_ID_FAILURE2, 0x1234,
					   NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD), (int)sizeof(buf));
	CU_ASSERT_EQUAL(f->hdr.auth_type, NVTCP_AUTH_TYPE_COMMON);
	CU_ASSERT_EQUAL(f->hdr.auth_id, NVTCP_AUTH_ID_FAILURE2);
	CU_ASSERT_EQUAL(f->hdr.reserved2, 0);
	/* Little-endian on the wire. */
	CU_ASSERT_EQUAL(buf[4], 0x34);
	CU_ASSERT_EQUAL(buf[5], 0x12);
	CU_ASSERT_EQUAL(f->reason, NVTCP_AUTH_FAILURE_REASON_FAILED);
	CU_ASSERT_EQUAL(f->explanation, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	/* What the peer reads back; a short one reads as 0. */
	CU_ASSERT_EQUAL(auth_peer_failure(buf, sizeof(buf), &reason),
			NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	CU_ASSERT_EQUAL(reason, NVTCP_AUTH_FAILURE_REASON_FAILED);
	CU_ASSERT_EQUAL(auth_peer_failure(buf, sizeof(buf) - 1, &reason), 0);
	CU_ASSERT_EQUAL(reason, 0);
}

static void
test_t_id(void)
{
	uint8_t buf[sizeof(struct nvtcp_auth_hdr)];

	auth_put_hdr(buf, NVTCP_AUTH_TYPE_DHCHAP, NVTCP_AUTH_ID_REPLY, 0xbeef);
	CU_ASSERT(auth_t_id_ok(1, "reply", (const struct nvtcp_auth_hdr *)buf, 0xbeef));
	CU_ASSERT(!auth_t_id_ok(1, "reply", (const struct nvtcp_auth_hdr *)buf, 0xbeee));
}

static void
test_prefs(void)
{
	/* Strongest first, and every hash and group once. */
	CU_ASSERT_EQUAL(g_auth_hash_pref[0], NVTCP_AUTH_HASH_SHA512);
	CU_ASSERT_EQUAL(g_auth_hash_pref[AUTH_NHASH - 1], NVTCP_AUTH_HASH_SHA256);
	CU_ASSERT_EQUAL(g_auth_dh_pref[0], NVTCP_AUTH_DHGROUP_8192);
	CU_ASSERT_EQUAL(g_auth_dh_pref[AUTH_NDHGROUP - 1], NVTCP_AUTH_DHGROUP_NULL);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("dhchap_common", NULL, NULL);

	CU_ADD_TEST(s, test_secret_ok);
	CU_ADD_TEST(s, test_failure);
	CU_ADD_TEST(s, test_t_id);
	CU_ADD_TEST(s, test_prefs);
}

NVTCP_UT_MAIN(add_tests)
