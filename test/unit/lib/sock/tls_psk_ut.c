/*
 * Unit tests of lib/sock/tls_psk.c: the PSK interchange format (parse, format, every kind of
 * bad input), key files and their wording, the identity and the HKDF derivations. The codec and
 * the file checks the PSK shares with DH-HMAC-CHAP secrets: test/unit/lib/util/keyfile_ut.c.
 *
 * The expected derivation outputs were computed once, independently of OpenSSL, with Python's
 * hashlib/hmac (RFC 5869 HKDF by hand: PRK = HMAC-H(HashLen zero bytes, IKM), then the
 * HKDF-Expand blocks T(i) = HMAC-H(PRK, T(i-1) || info || i), info = uint16 L || uint8
 * len("tls13 " label) || "tls13 " label || uint8 len(context) || context).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvtcp/tls.h"
#include "ut.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define SUBNQN "nqn.2016-06.io.spdk:cnode1"
/* The 32 ASCII bytes "00112233445566778899aabbccddeeff", hash 01 (the SPDK peer's test key). */
#define KEY32_01 "NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:"
/* Bytes 0..47, hash 02 (Python: base64(k + struct.pack('<I', zlib.crc32(k)))). */
#define KEY48_02                                                                               \
	"NVMeTLSkey-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"

static int
parse_err(const char *text, char *err, size_t len)
{
	struct nvtcp_tls_psk psk;

	err[0] = '\0';
	return nvtcp_tls_psk_parse(text, &psk, err, len);
}

static void
test_parse_good(void)
{
	struct nvtcp_tls_psk psk;
	char err[128], out[NVTCP_TLS_INTERCHANGE_MAX_LEN];

	CU_ASSERT_EQUAL(nvtcp_tls_psk_parse(KEY32_01, &psk, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(psk.len, 32);
	CU_ASSERT_EQUAL(psk.hash, NVTCP_TLS_HASH_SHA256);
	CU_ASSERT_EQUAL(memcmp(psk.key, "00112233445566778899aabbccddeeff", 32), 0);
	CU_ASSERT_EQUAL(nvtcp_tls_psk_format(&psk, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, KEY32_01);
	/* A trailing newline is tolerated. */
	CU_ASSERT_EQUAL(nvtcp_tls_psk_parse(KEY32_01 "\n", &psk, err, sizeof(err)), 0);

	CU_ASSERT_EQUAL(nvtcp_tls_psk_parse(KEY48_02, &psk, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(psk.len, 48);
	CU_ASSERT_EQUAL(psk.hash, NVTCP_TLS_HASH_SHA384);
	for (int i = 0; i < 48; i++) {
		CU_ASSERT_EQUAL(psk.key[i], i);
	}
	CU_ASSERT_EQUAL(nvtcp_tls_psk_format(&psk, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, KEY48_02);
	/* Too small an output buffer. */
	CU_ASSERT_EQUAL(nvtcp_tls_psk_format(&psk, out, 20), -ENOSPC);

	/* 00 takes either length. */
	CU_ASSERT_EQUAL(nvtcp_tls_psk_parse("NVMeTLSkey-1:00:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZG"
					    "VlZmZwJEiQ:", &psk, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(psk.hash, NVTCP_TLS_HASH_NONE);
	nvtcp_tls_psk_wipe(&psk);
	CU_ASSERT_EQUAL(psk.len, 0);
	nvtcp_tls_psk_wipe(NULL);
}

static void
test_parse_bad(void)
{
	char err[128];

	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-2:01:"
				  "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:",
				  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "must start with"));
	CU_ASSERT_EQUAL(parse_err("", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:03:"
				  "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:",
				  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "hash indicator 03"));
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:1:"
				  "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:",
				  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "hash indicator"));
	/* Bad base64: a character outside the alphabet, a length not a multiple of 4. */
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:01:"
				  "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEi*:",
				  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad base64"));
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:01:"
				  "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEi:",
				  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad base64"));
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:01:"
				  "MDAx MTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:",
				  err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:01::", err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad base64"));
	/* 20-byte key (Python: bytes(range(20)) + crc). */
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:00:AAECAwQFBgcICQoLDA0ODxAREhOk/907:", err,
				  sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "key length 20"));
	/* One bit of the CRC flipped. */
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:01:"
				  "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZxJEiQ:",
				  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad CRC-32"));
	/* Missing trailing colon. */
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:01:"
				  "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ",
				  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "trailing ':'"));
	/* A 32-byte key with hash 02 (SHA-384 needs 48). */
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:02:"
				  "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:",
				  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not fit hash indicator 02"));
	/* Too long. */
	{
		char big[300];

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "NVMeTLSkey-1:01:", 16);
		CU_ASSERT_EQUAL(parse_err(big, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "too long"));
	}
	/* NULL inputs and no error buffer. */
	CU_ASSERT_EQUAL(nvtcp_tls_psk_parse(NULL, &(struct nvtcp_tls_psk){0}, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tls_psk_parse(KEY32_01, NULL, NULL, 0), -EINVAL);
	/* An error message never contains the key's base64. */
	CU_ASSERT_EQUAL(parse_err("NVMeTLSkey-1:01:"
				  "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZxJEiQ:",
				  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(strstr(err, "MDAx"));
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0) {
		return -errno;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode) != 0) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static void
test_load_file(void)
{
	char dir[] = "/tmp/tls_psk_ut.XXXXXX", path[64], err[256];
	struct nvtcp_tls_psk psk;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);

	CU_ASSERT_EQUAL(write_file(path, KEY32_01, 0600), 0);
	CU_ASSERT_EQUAL(nvtcp_tls_psk_load_file(path, &psk, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(psk.len, 32);
	CU_ASSERT_EQUAL(write_file(path, KEY48_02 "\n", 0400), 0);
	CU_ASSERT_EQUAL(nvtcp_tls_psk_load_file(path, &psk, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(psk.len, 48);

	CU_ASSERT_EQUAL(write_file(path, KEY32_01, 0644), 0);
	CU_ASSERT_EQUAL(nvtcp_tls_psk_load_file(path, &psk, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mode 0644: must be 0600 (chmod 600 "));
	CU_ASSERT_EQUAL(psk.len, 0);

	/* Bad content names the file and the reason. */
	CU_ASSERT_EQUAL(write_file(path, "NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVl"
				   "ZmZxJEiQ:", 0600), 0);
	CU_ASSERT_EQUAL(nvtcp_tls_psk_load_file(path, &psk, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad CRC-32"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_EQUAL(psk.len, 0);
	/* Too long for one PSK (the file checks themselves: test/unit/lib/util/keyfile_ut.c). */
	{
		char big[NVTCP_TLS_INTERCHANGE_MAX_LEN + 8];

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CU_ASSERT_EQUAL(write_file(path, big, 0600), 0);
		CU_ASSERT_EQUAL(nvtcp_tls_psk_load_file(path, &psk, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "not one PSK in the interchange format"));
	}
	/* A missing file is named. */
	unlink(path);
	CU_ASSERT_EQUAL(nvtcp_tls_psk_load_file(path, &psk, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "PSK file /tmp/tls_psk_ut."));
	CU_ASSERT_EQUAL(nvtcp_tls_psk_load_file(NULL, &psk, err, sizeof(err)), -EINVAL);
	rmdir(dir);
}

static void
test_identity(void)
{
	struct nvtcp_tls_psk psk;
	char id[NVTCP_TLS_IDENTITY_MAX_LEN + 1], nqn[250];

	CU_ASSERT_EQUAL_FATAL(nvtcp_tls_psk_parse(KEY32_01, &psk, NULL, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_tls_psk_identity(&psk, HOSTNQN, SUBNQN, id, sizeof(id)),
			(int)strlen("NVMe0R01 " HOSTNQN " " SUBNQN));
	CU_ASSERT_STRING_EQUAL(id, "NVMe0R01 " HOSTNQN " " SUBNQN);
	CU_ASSERT_EQUAL(nvtcp_tls_psk_identity(&psk, HOSTNQN, SUBNQN, id, 20), -ENOSPC);
	/* Longer than 255 bytes. */
	memset(nqn, 'a', sizeof(nqn) - 1);
	nqn[sizeof(nqn) - 1] = '\0';
	CU_ASSERT_EQUAL(nvtcp_tls_psk_identity(&psk, nqn, SUBNQN, id, sizeof(id)), -ENOSPC);
	CU_ASSERT_EQUAL_FATAL(nvtcp_tls_psk_parse(KEY48_02, &psk, NULL, 0), 0);
	CU_ASSERT(nvtcp_tls_psk_identity(&psk, HOSTNQN, SUBNQN, id, sizeof(id)) > 0);
	CU_ASSERT_STRING_EQUAL(id, "NVMe0R02 " HOSTNQN " " SUBNQN);
}

static void
test_identity_parse(void)
{
	const char *id = "NVMe0R02 " HOSTNQN " " SUBNQN;
	char host[224], sub[224];

	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse(id, strlen(id), host, sizeof(host), sub,
						 sizeof(sub)), 2);
	CU_ASSERT_STRING_EQUAL(host, HOSTNQN);
	CU_ASSERT_STRING_EQUAL(sub, SUBNQN);
	/* Not NUL-terminated: only len counts. */
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse("NVMe0R01 h s trailing", 12, host, sizeof(host),
						 sub, sizeof(sub)), 1);
	CU_ASSERT_STRING_EQUAL(host, "h");
	CU_ASSERT_STRING_EQUAL(sub, "s");
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse(id, strlen(id), NULL, 0, NULL, 0), 2);
	/* Malformed: version, hash, spaces, empty parts, too small buffers, NUL inside. */
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse("NVMe1R01 h s", 12, NULL, 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse("NVMe0R03 h s", 12, NULL, 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse("NVMe0R01 h", 10, NULL, 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse("NVMe0R01  s", 11, NULL, 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse("NVMe0R01 h ", 11, NULL, 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse("NVMe0R01 h s t", 14, NULL, 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse("NVMe0R01 h\0s", 12, NULL, 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse(id, strlen(id), host, 5, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse(id, strlen(id), NULL, 0, sub, 5), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse(NULL, 0, NULL, 0, NULL, 0), -EINVAL);
	/* Truncated by len: the last NQN ends where len says (the target's Connect check). */
	CU_ASSERT_EQUAL(nvtcp_tls_identity_parse(id, strlen(id) - 3, host, sizeof(host), sub,
						 sizeof(sub)), 2);
	CU_ASSERT_EQUAL(strlen(sub), strlen(SUBNQN) - 3);
	/* An NQN one byte longer than the 223 the specification allows does not fit. */
	{
		char longid[300], big[224];

		snprintf(longid, sizeof(longid), "NVMe0R01 nqn.2024-01.io.nvtcp:%0*d s",
			 224 - 21, 0);
		CU_ASSERT_EQUAL(nvtcp_tls_identity_parse(longid, strlen(longid), big, sizeof(big),
							 NULL, 0), -EINVAL);
		CU_ASSERT_EQUAL(nvtcp_tls_identity_parse(longid, strlen(longid), NULL, 0, NULL, 0),
				1);
	}
}

static void
test_derive(void)
{
	/* Python: see the file comment; IKM KEY32_01 / KEY48_02, context HOSTNQN, then the
	 * identity "NVMe0R0H " HOSTNQN " " SUBNQN. */
	static const uint8_t r256[32] = {
		0x32, 0xa3, 0x33, 0xda, 0x18, 0xfd, 0x6f, 0xb2, 0x82, 0xe3, 0xc2, 0xa5, 0x84, 0xa8,
		0x88, 0x56, 0x64, 0xf4, 0xb9, 0xb6, 0xde, 0xe3, 0x6a, 0xf8, 0xdb, 0xf4, 0xf0, 0x6f,
		0x3f, 0xd2, 0xe4, 0x60};
	static const uint8_t t256[32] = {
		0x46, 0x61, 0xe9, 0xf9, 0x54, 0xa1, 0x8b, 0x5c, 0xba, 0xf2, 0xb8, 0xb2, 0x57, 0xbc,
		0x0e, 0x3c, 0xe0, 0x50, 0x5b, 0x15, 0xd9, 0xbf, 0xfb, 0x14, 0xbe, 0x6d, 0xdd, 0x8f,
		0xb7, 0x98, 0xf0, 0xaa};
	static const uint8_t r384[48] = {
		0x91, 0x99, 0xe9, 0x84, 0x4a, 0x95, 0x31, 0x07, 0x12, 0xa6, 0x43, 0x63, 0x50, 0xcb,
		0x36, 0x76, 0x9e, 0x36, 0xbb, 0x02, 0x46, 0x19, 0x89, 0x49, 0x3a, 0xcb, 0x7f, 0x94,
		0x19, 0xf9, 0xd1, 0xca, 0x81, 0x37, 0x4a, 0x17, 0x64, 0x79, 0xe8, 0x79, 0x94, 0xf6,
		0xc7, 0xc1, 0x7c, 0x5f, 0x28, 0x00};
	static const uint8_t t384[48] = {
		0xea, 0x44, 0x0d, 0xb8, 0x1e, 0xfc, 0x27, 0x08, 0x24, 0x14, 0x97, 0x6e, 0x1e, 0x42,
		0x6c, 0xc8, 0x5c, 0x7b, 0xe8, 0xd7, 0x44, 0xa5, 0x60, 0x75, 0xfe, 0x3e, 0xf8, 0x29,
		0xb5, 0x3e, 0xc3, 0xf2, 0x92, 0x40, 0x1d, 0xcc, 0xb7, 0x59, 0xc7, 0x51, 0x35, 0x4b,
		0xbc, 0xa8, 0x20, 0x8c, 0xdf, 0x05};
	struct nvtcp_tls_psk psk;
	uint8_t r[NVTCP_TLS_PSK_MAX_LEN], t[NVTCP_TLS_PSK_MAX_LEN];
	size_t rlen = 0, tlen = 0;

	CU_ASSERT_EQUAL_FATAL(nvtcp_tls_psk_parse(KEY32_01, &psk, NULL, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_tls_derive_retained(&psk, HOSTNQN, r, &rlen), 0);
	CU_ASSERT_EQUAL(rlen, 32);
	CU_ASSERT_EQUAL(memcmp(r, r256, 32), 0);
	CU_ASSERT_EQUAL(nvtcp_tls_derive_tls_psk(r, rlen, "NVMe0R01 " HOSTNQN " " SUBNQN, t, &tlen),
			0);
	CU_ASSERT_EQUAL(tlen, 32);
	CU_ASSERT_EQUAL(memcmp(t, t256, 32), 0);

	CU_ASSERT_EQUAL_FATAL(nvtcp_tls_psk_parse(KEY48_02, &psk, NULL, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_tls_derive_retained(&psk, HOSTNQN, r, &rlen), 0);
	CU_ASSERT_EQUAL(rlen, 48);
	CU_ASSERT_EQUAL(memcmp(r, r384, 48), 0);
	CU_ASSERT_EQUAL(nvtcp_tls_derive_tls_psk(r, rlen, "NVMe0R02 " HOSTNQN " " SUBNQN, t, &tlen),
			0);
	CU_ASSERT_EQUAL(tlen, 48);
	CU_ASSERT_EQUAL(memcmp(t, t384, 48), 0);

	/* HH 00: the configured PSK is the retained PSK. */
	psk.hash = NVTCP_TLS_HASH_NONE;
	CU_ASSERT_EQUAL(nvtcp_tls_derive_retained(&psk, HOSTNQN, r, &rlen), 0);
	CU_ASSERT_EQUAL(rlen, 48);
	CU_ASSERT_EQUAL(memcmp(r, psk.key, 48), 0);

	CU_ASSERT_EQUAL(nvtcp_tls_derive_tls_psk(r, 20, "x", t, &tlen), -EINVAL);
	psk.len = 20;
	CU_ASSERT_EQUAL(nvtcp_tls_derive_retained(&psk, HOSTNQN, r, &rlen), -EINVAL);
	nvtcp_tls_psk_wipe(&psk);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("tls_psk", NULL, NULL);

	CU_ADD_TEST(s, test_parse_good);
	CU_ADD_TEST(s, test_parse_bad);
	CU_ADD_TEST(s, test_load_file);
	CU_ADD_TEST(s, test_identity);
	CU_ADD_TEST(s, test_identity_parse);
	CU_ADD_TEST(s, test_derive);
}

NVTCP_UT_MAIN(add_tests)
