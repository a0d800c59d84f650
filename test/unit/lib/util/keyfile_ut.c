/*
 * Unit tests of lib/util/keyfile.c: the "<PREFIX>HH:<base64(key || CRC-32)>:" codec shared by
 * TLS PSKs and DH-HMAC-CHAP secrets (CRC-32, strict base64, lengths and hash indicators), and
 * the key file reader (owner, mode, size and content checks). The format-specific wording
 * and limits are tested with their wrappers (test/unit/lib/sock/tls_psk_ut.c,
 * test/unit/lib/auth/secret_ut.c).
 *
 * The key strings were computed once with Python's standard library, independently of this
 * code: prefix + "%02d:" % hh + base64.b64encode(k + struct.pack('<I', zlib.crc32(k))) + ":"
 * with k = bytes(range(n)).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvtcp/keyfile.h"
#include "nvtcp/util.h"
#include "ut.h"

#define B64_32 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR"
#define B64_48 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ=="
#define B64_64                                                                                 \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+" \
	"P4zODhA="
/* 20 key bytes + their CRC. */
#define B64_20 "AAECAwQFBgcICQoLDA0ODxAREhOk/907"

#define W NVTCP_KEYFILE_DHCHAP
#define N NVTCP_KEYFILE_TLS_PSK

/* Bytes 0..63: every test key is a prefix of it. */
static uint8_t g_range[NVTCP_KEYFILE_KEY_MAX_LEN];

/* Parses \p text with \p fmt; expects \p rc, and on failure \p msg in the message, the key
 * untouched and no key material in the message. */
static void
expect(enum nvtcp_keyfile_kind fmt, const char *text, int rc, const char *msg)
{
	uint8_t key[NVTCP_KEYFILE_KEY_MAX_LEN];
	uint32_t len = 7;
	uint8_t hash = 9;
	char err[160] = "";
	int got;

	memset(key, 0xaa, sizeof(key));
	got = nvtcp_keyfile_parse(fmt, text, key, &len, &hash, err, sizeof(err));
	if (got != rc || (msg != NULL && strstr(err, msg) == NULL)) {
		fprintf(stderr, "\"%s\": got %d \"%s\", expected %d \"%s\"\n", text, got, err, rc,
			msg != NULL ? msg : "");
	}
	CU_ASSERT_EQUAL(got, rc);
	if (rc != 0) {
		CU_ASSERT_PTR_NOT_NULL(strstr(err, msg));
		CU_ASSERT_PTR_NULL(strstr(err, "AAECAwQF"));
		CU_ASSERT_EQUAL(len, 7);
		CU_ASSERT_EQUAL(hash, 9);
		CU_ASSERT_EQUAL(key[0], 0xaa);
	}
}

static void
test_crc32(void)
{
	/* The standard CRC-32 check value. */
	CU_ASSERT_EQUAL(nvtcp_keyfile_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
	CU_ASSERT_EQUAL(nvtcp_keyfile_crc32(NULL, 0), 0);
}

static void
test_parse_format(void)
{
	/* Both formats, every hash indicator each allows. */
	static const struct {
		enum nvtcp_keyfile_kind kind;
		uint8_t hash;
		uint32_t len;
		const char *text;
	} v[] = {{W, 1, 32, "DHHC-1:01:" B64_32 ":"}, {W, 2, 48, "DHHC-1:02:" B64_48 ":"},
		 {W, 3, 64, "DHHC-1:03:" B64_64 ":"}, {W, 0, 48, "DHHC-1:00:" B64_48 ":"},
		 {N, 0, 32, "NVMeTLSkey-1:00:" B64_32 ":"}, {N, 1, 32, "NVMeTLSkey-1:01:" B64_32 ":"},
		 {N, 2, 48, "NVMeTLSkey-1:02:" B64_48 ":"}};
	uint8_t key[NVTCP_KEYFILE_KEY_MAX_LEN];
	char out[128];
	uint32_t len;
	uint8_t hash;

	for (size_t i = 0; i < NVTCP_COUNTOF(v); i++) {
		CU_ASSERT_EQUAL_FATAL(nvtcp_keyfile_parse(v[i].kind, v[i].text, key, &len, &hash, NULL,
							  0), 0);
		CU_ASSERT_EQUAL(len, v[i].len);
		CU_ASSERT_EQUAL(hash, v[i].hash);
		CU_ASSERT_EQUAL(memcmp(key, g_range, len), 0);
		CU_ASSERT_EQUAL(nvtcp_keyfile_format(v[i].kind, key, len, hash, out, sizeof(out)),
				0);
		CU_ASSERT_STRING_EQUAL(out, v[i].text);
		/* Too small: -ENOSPC, and nothing half-written is left. */
		CU_ASSERT_EQUAL(nvtcp_keyfile_format(v[i].kind, key, len, hash, out,
						     strlen(v[i].text)), -ENOSPC);
		CU_ASSERT_EQUAL(out[0], '\0');
	}
	/* A trailing newline is tolerated. */
	expect(W, "DHHC-1:01:" B64_32 ":\n", 0, NULL);
	/* format refuses what parse refuses. */
	CU_ASSERT_EQUAL(nvtcp_keyfile_format(W, key, 20, 0, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_keyfile_format(W, key, 40, 0, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_keyfile_format(W, key, 48, 1, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_keyfile_format(W, key, 64, 4, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_keyfile_format(N, key, 64, 0, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_keyfile_format(N, key, 64, 3, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_keyfile_format(W, NULL, 32, 0, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_keyfile_format(W, key, 32, 0, NULL, 0), -EINVAL);
}

static void
test_parse_bad(void)
{
	char big[300];

	expect(W, "", -EINVAL, "not a DH-HMAC-CHAP secret: must start with 'DHHC-1:'");
	expect(W, "DHHC-2:01:" B64_32 ":", -EINVAL, "must start with 'DHHC-1:'");
	expect(W, "DHHC-1:1:" B64_32 ":", -EINVAL, "hash indicator: must be two digits");
	expect(W, "DHHC-1:0x:" B64_32 ":", -EINVAL, "hash indicator: must be two digits");
	expect(W, "DHHC-1:04:" B64_32 ":", -EINVAL, "hash indicator 04: must be 00 (none), 01 (SHA-256), 02 (SHA-384) or 03");
	expect(N, "NVMeTLSkey-1:03:" B64_64 ":", -EINVAL, "hash indicator 03: must be 00, 01 (SHA-256) or 02 (SHA-384)");
	expect(W, "DHHC-1:01:" B64_32, -EINVAL, "trailing ':'");
	expect(W, "DHHC-1:01:", -EINVAL, "trailing ':'");
	/* Strict base64: empty, a length not a multiple of 4, a character outside the alphabet,
	 * white space, padding anywhere but at the end, three pad characters, over the longest
	 * key of the format. */
	expect(W, "DHHC-1:01::", -EINVAL, "bad base64 in the key");
	expect(W, "DHHC-1:01:" B64_32 "=:", -EINVAL, "bad base64");
	expect(W, "DHHC-1:01:AAECAwQFBgcICQoLDA0ODx*REhMUFRYXGBkaGxwdHh+KfiaR:", -EINVAL,
	       "bad base64");
	expect(W, "DHHC-1:01:AAEC AwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", -EINVAL,
	       "bad base64");
	expect(W, "DHHC-1:01:AA==AwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", -EINVAL,
	       "bad base64");
	expect(W, "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+K===:", -EINVAL,
	       "bad base64");
	expect(N, "NVMeTLSkey-1:00:" B64_64 ":", -EINVAL, "bad base64");
	/* Lengths: 20 bytes (valid CRC), and a 64-byte key's base64 cut to 48 + 4 bytes. */
	expect(W, "DHHC-1:00:" B64_20 ":", -EINVAL,
	       "key length 20: must be 32, 48 or 64 bytes (plus 4 bytes CRC-32)");
	expect(N, "NVMeTLSkey-1:00:" B64_20 ":", -EINVAL, "key length 20: must be 32 or 48");
	/* The CRC catches one flipped bit of the key or of the CRC. */
	expect(W, "DHHC-1:01:BAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", -EINVAL,
	       "bad CRC-32: the secret is damaged or mistyped");
	expect(W, "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaS:", -EINVAL,
	       "bad CRC-32");
	/* A transformed key has its hash's length. */
	expect(W, "DHHC-1:01:" B64_48 ":", -EINVAL,
	       "key length 48 does not fit hash indicator 01 (SHA-256 needs 32 bytes)");
	expect(W, "DHHC-1:03:" B64_48 ":", -EINVAL, "(SHA-512 needs 64 bytes)");
	expect(N, "NVMeTLSkey-1:02:" B64_32 ":", -EINVAL, "(SHA-384 needs 48 bytes)");
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "DHHC-1:01:", 10);
	expect(W, big, -EINVAL, "secret too long (over 111 characters)");
	expect(N, big, -EINVAL, "PSK interchange string too long (over 127 characters)");
}

static int
write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0) {
		return -errno;
	}
	if (write(fd, buf, len) != (ssize_t)len || fchmod(fd, mode) != 0) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* Loads \p path with \p fmt; expects \p rc and, on failure, \p msg in the message. */
static void
expect_load(enum nvtcp_keyfile_kind fmt, const char *path, int rc, const char *msg)
{
	uint8_t key[NVTCP_KEYFILE_KEY_MAX_LEN];
	char err[256] = "";
	uint32_t len = 0;
	uint8_t hash;
	int got;

	got = nvtcp_keyfile_load(fmt, path, key, &len, &hash, err, sizeof(err));
	if (got != rc || (msg != NULL && strstr(err, msg) == NULL)) {
		fprintf(stderr, "%s: got %d \"%s\", expected %d \"%s\"\n", path, got, err, rc,
			msg != NULL ? msg : "");
	}
	CU_ASSERT_EQUAL(got, rc);
	if (rc == 0) {
		CU_ASSERT_EQUAL(len, 32);
		CU_ASSERT_EQUAL(memcmp(key, g_range, 32), 0);
	} else {
		CU_ASSERT_PTR_NOT_NULL(strstr(err, msg));
		CU_ASSERT_PTR_NULL(strstr(err, "AAECAwQF"));
	}
}

static void
test_load(void)
{
	static const char good[] = "DHHC-1:01:" B64_32 ":\n";
	static const char binary[] = "DHHC-1:01:\0" B64_32 ":";
	static const char bad_b64[] = "DHHC-1:01:" B64_32 "X:";
	static const mode_t modes[] = {0604, 0640, 0660, 0601, 0610};
	char dir[] = "/tmp/keyfile_ut.XXXXXX", path[64], msg[256], big[200];
	char cwd[4096];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);

	CU_ASSERT_EQUAL(write_file(path, good, strlen(good), 0600), 0);
	expect_load(W, path, 0, NULL);
	CU_ASSERT_EQUAL(chmod(path, 0400), 0);
	expect_load(W, path, 0, NULL);
	/* Any group or other bit is refused, with the file, the mode and the rule. */
	for (size_t i = 0; i < NVTCP_COUNTOF(modes); i++) {
		CU_ASSERT_EQUAL(chmod(path, modes[i]), 0);
		snprintf(msg, sizeof(msg), "PSK file %s: mode %04o: must be 0600 (chmod 600 %s)",
			 path, (unsigned)modes[i], path);
		expect_load(N, path, -EPERM, msg);
	}
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	/* Owned by another user (only root can make such a file here). */
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(chown(path, 1, (gid_t)-1), 0);
		expect_load(W, path, -EPERM, "owned by uid 1, must be owned by uid 0");
		CU_ASSERT_EQUAL(chown(path, 0, (gid_t)-1), 0);
	}
	/* Content: bad key (the reason, the file, never the key), empty, binary, too long. */
	CU_ASSERT_EQUAL(write_file(path, bad_b64, strlen(bad_b64), 0600), 0);
	snprintf(msg, sizeof(msg), "secret file %s: bad base64 in the key", path);
	expect_load(W, path, -EINVAL, msg);
	CU_ASSERT_EQUAL(write_file(path, "", 0, 0600), 0);
	expect_load(W, path, -EINVAL, "must start with 'DHHC-1:'");
	CU_ASSERT_EQUAL(write_file(path, binary, sizeof(binary) - 1, 0600), 0);
	expect_load(W, path, -EINVAL, "not one DH-HMAC-CHAP secret (too long or binary)");
	memset(big, 'A', sizeof(big));
	memcpy(big, "DHHC-1:01:", 10);
	CU_ASSERT_EQUAL(write_file(path, big, 113, 0600), 0);
	expect_load(W, path, -EINVAL, "not one DH-HMAC-CHAP secret (too long or binary)");
	expect_load(N, path, -EINVAL, "not a PSK in the interchange format");

	/* A directory, a missing file (named: it has a '/'). */
	expect_load(W, dir, -EPERM, "not a regular file");
	unlink(path);
	snprintf(msg, sizeof(msg), "secret file %s: ", path);
	expect_load(W, path, -ENOENT, msg);
	/* A missing name without '/' may be a mistyped key: not echoed where the format says so. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);
	expect_load(W, "KEY1AAECAwQF", -ENOENT,
		    "neither a 'DHHC-1:' secret nor a readable secret file: ");
	expect_load(N, "typo.missing", -ENOENT, "PSK file typo.missing: ");
	CU_ASSERT_EQUAL(chdir(cwd), 0);
	rmdir(dir);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("keyfile", NULL, NULL);

	for (size_t i = 0; i < sizeof(g_range); i++) {
		g_range[i] = (uint8_t)i;
	}

	CU_ADD_TEST(s, test_crc32);
	CU_ADD_TEST(s, test_parse_format);
	CU_ADD_TEST(s, test_parse_bad);
	CU_ADD_TEST(s, test_load);
}

NVTCP_UT_MAIN(add_tests)
