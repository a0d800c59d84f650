/*
 * Unit tests of lib/auth/crypto.c: names and ids, failure names, the augmented challenge and
 * both responses against vectors computed independently with Python's hashlib/hmac:
 *   ch = bytes([0xa5] * 48); ss = bytes(range(256)); key = bytes(range(100, 148))
 *   AUG = hmac.new(hashlib.sha384(ss).digest(), ch, hashlib.sha384).digest()
 *   R1 = hmac.new(key, ch + struct.pack('<I', 0x01020304) + struct.pack('<H', 0xbeef) + b"\0"
 *                 + b"HostHost" + hostnqn + b"\0" + subnqn, hashlib.sha384).digest()
 *   R2 = hmac.new(key, ch + struct.pack('<I', 0x0a0b0c0d) + struct.pack('<H', 0xbeef) + b"\0"
 *                 + b"Controller" + subnqn + b"\0" + hostnqn, hashlib.sha384).digest()
 */
#include <errno.h>
#include <string.h>

#include "auth/auth_internal.h"
#include "nvtcp/auth.h"
#include "ut.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define SUBNQN "nqn.2016-06.io.spdk:cnode1"

static const uint8_t g_aug384[48] = {
	0x4e, 0xe5, 0x34, 0xe8, 0x29, 0xb1, 0xce, 0xb8, 0x75, 0x86, 0xd9, 0x45, 0x78, 0x28, 0x8b, 0x1e,
	0x46, 0x7b, 0x7b, 0x40, 0xcf, 0xee, 0x6f, 0x06, 0xf8, 0xe6, 0xe8, 0x2a, 0xe2, 0x3b, 0xa5, 0xd6,
	0xa9, 0xd4, 0x7b, 0x67, 0x18, 0x21, 0xe8, 0x6c, 0x65, 0x12, 0xc2, 0x97, 0x11, 0x9b, 0x1d, 0x6f};
static const uint8_t g_r1_384[48] = {
	0x2b, 0xb1, 0x5e, 0x9f, 0x98, 0x52, 0xa1, 0xea, 0xb3, 0xee, 0xd9, 0x50, 0xfc, 0xe8, 0x28, 0xef,
	0xbd, 0xbf, 0xfc, 0xb7, 0xd1, 0x99, 0x69, 0x32, 0x33, 0xc0, 0x97, 0x53, 0x36, 0x6b, 0x21, 0xd7,
	0x92, 0x0b, 0x33, 0xa3, 0xf6, 0x36, 0xec, 0x6b, 0x8b, 0x66, 0x48, 0x31, 0x5e, 0x0d, 0x52, 0xb7};
static const uint8_t g_r2_384[48] = {
	0xf0, 0xa8, 0x5c, 0x57, 0xb8, 0x80, 0xdf, 0xa5, 0x9c, 0x6b, 0x05, 0xd2, 0x7d, 0x2e, 0xcb, 0xfc,
	0x16, 0xb8, 0x55, 0x2a, 0xa8, 0x2b, 0xd7, 0x58, 0xfa, 0x9c, 0x86, 0xda, 0x15, 0x17, 0xed, 0xc1,
	0x14, 0x7b, 0x60, 0x1d, 0x48, 0x3c, 0x20, 0xde, 0x6d, 0xc9, 0x57, 0xfd, 0xdc, 0x3e, 0x42, 0xb3};

static void
test_names(void)
{
	CU_ASSERT_EQUAL(nvtcp_auth_hash_len(NVTCP_AUTH_HASH_SHA256), 32);
	CU_ASSERT_EQUAL(nvtcp_auth_hash_len(NVTCP_AUTH_HASH_SHA384), 48);
	CU_ASSERT_EQUAL(nvtcp_auth_hash_len(NVTCP_AUTH_HASH_SHA512), 64);
	CU_ASSERT_EQUAL(nvtcp_auth_hash_len(0), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_hash_len(4), 0);
	CU_ASSERT_STRING_EQUAL(nvtcp_auth_hash_name(2), "sha384");
	CU_ASSERT_PTR_NULL(nvtcp_auth_hash_name(0));
	CU_ASSERT_PTR_NULL(nvtcp_auth_hash_name(255));
	CU_ASSERT_EQUAL(nvtcp_auth_hash_from_name("sha256"), 1);
	CU_ASSERT_EQUAL(nvtcp_auth_hash_from_name("hmac(sha384)"), 2);
	CU_ASSERT_EQUAL(nvtcp_auth_hash_from_name("SHA-512"), 3);
	CU_ASSERT_EQUAL(nvtcp_auth_hash_from_name("md5"), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_hash_from_name("hmac()"), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_hash_from_name(NULL), -EINVAL);

	CU_ASSERT_EQUAL(nvtcp_auth_dhgroup_len(0), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_dhgroup_len(1), 256);
	CU_ASSERT_EQUAL(nvtcp_auth_dhgroup_len(5), 1024);
	CU_ASSERT_EQUAL(nvtcp_auth_dhgroup_len(6), -EINVAL);
	CU_ASSERT_STRING_EQUAL(nvtcp_auth_dhgroup_name(0), "null");
	CU_ASSERT_STRING_EQUAL(nvtcp_auth_dhgroup_name(3), "ffdhe4096");
	CU_ASSERT_PTR_NULL(nvtcp_auth_dhgroup_name(6));
	CU_ASSERT_EQUAL(nvtcp_auth_dhgroup_from_name("ffdhe8192"), 5);
	CU_ASSERT_EQUAL(nvtcp_auth_dhgroup_from_name("null"), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_dhgroup_from_name("ffdhe1024"), -EINVAL);

	CU_ASSERT_STRING_EQUAL(nvtcp_auth_failure_name(1), "authentication failed");
	CU_ASSERT_STRING_EQUAL(nvtcp_auth_failure_name(5), "DH group not usable");
	CU_ASSERT_STRING_EQUAL(nvtcp_auth_failure_name(7), "incorrect protocol message");
	CU_ASSERT_STRING_EQUAL(nvtcp_auth_failure_name(0), "unknown reason");
	CU_ASSERT_STRING_EQUAL(nvtcp_auth_failure_name(200), "unknown reason");
}

static void
test_augment(void)
{
	uint8_t ch[48], ss[256], out[64];

	memset(ch, 0xa5, sizeof(ch));
	for (size_t i = 0; i < sizeof(ss); i++) {
		ss[i] = (uint8_t)i;
	}
	CU_ASSERT_EQUAL(nvtcp_auth_augment(NVTCP_AUTH_HASH_SHA384, ss, sizeof(ss), ch, 48, out), 0);
	CU_ASSERT_EQUAL(memcmp(out, g_aug384, 48), 0);
	/* Null group: the challenge itself. */
	CU_ASSERT_EQUAL(nvtcp_auth_augment(NVTCP_AUTH_HASH_SHA384, NULL, 0, ch, 48, out), 0);
	CU_ASSERT_EQUAL(memcmp(out, ch, 48), 0);
	/* hl must be the hash's length, the hash known. */
	CU_ASSERT_EQUAL(nvtcp_auth_augment(NVTCP_AUTH_HASH_SHA384, ss, sizeof(ss), ch, 32, out),
			-EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_augment(4, ss, sizeof(ss), ch, 48, out), -EINVAL);
}

static void
test_responses(void)
{
	uint8_t ch[48], key[48], out[64];

	memset(ch, 0xa5, sizeof(ch));
	for (size_t i = 0; i < sizeof(key); i++) {
		key[i] = (uint8_t)(100 + i);
	}
	CU_ASSERT_EQUAL(nvtcp_auth_host_response(NVTCP_AUTH_HASH_SHA384, key, sizeof(key), ch, 48,
						 0x01020304, 0xbeef, 0, HOSTNQN, SUBNQN, out), 0);
	CU_ASSERT_EQUAL(memcmp(out, g_r1_384, 48), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_response(NVTCP_AUTH_HASH_SHA384, key, sizeof(key), ch, 48,
						 0x0a0b0c0d, 0xbeef, 0, SUBNQN, HOSTNQN, out), 0);
	CU_ASSERT_EQUAL(memcmp(out, g_r2_384, 48), 0);
	/* Every input matters: swapping the NQNs changes R1. */
	CU_ASSERT_EQUAL(nvtcp_auth_host_response(NVTCP_AUTH_HASH_SHA384, key, sizeof(key), ch, 48,
						 0x01020304, 0xbeef, 0, SUBNQN, HOSTNQN, out), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(out, g_r1_384, 48), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_host_response(NVTCP_AUTH_HASH_SHA384, key, sizeof(key), ch, 48,
						 0x01020304, 0xbeee, 0, HOSTNQN, SUBNQN, out), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(out, g_r1_384, 48), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_host_response(NVTCP_AUTH_HASH_SHA384, key, sizeof(key), ch, 48,
						 0x01020304, 0xbeef, 0, NULL, SUBNQN, out), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_host_response(NVTCP_AUTH_HASH_SHA256, key, sizeof(key), ch, 48,
						 0x01020304, 0xbeef, 0, HOSTNQN, SUBNQN, out), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_host_response(NVTCP_AUTH_HASH_SHA384, key, 0, ch, 48,
						 0x01020304, 0xbeef, 0, HOSTNQN, SUBNQN, out), -EINVAL);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("crypto", NULL, NULL);

	CU_ADD_TEST(s, test_names);
	CU_ADD_TEST(s, test_augment);
	CU_ADD_TEST(s, test_responses);
}

NVTCP_UT_MAIN(add_tests)
