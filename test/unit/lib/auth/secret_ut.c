/*
 * Unit tests of lib/auth/secret.c: the DHHC-1 format (parse, format, every kind of bad input),
 * secret files and their wording, generation and the NQN transformation. The codec and the
 * file checks the secret shares with TLS PSKs: test/unit/lib/util/keyfile_ut.c.
 *
 * The secret strings and the transformed keys were computed once with Python's standard
 * library, independently of this code:
 *   "DHHC-1:%02d:%s:" % (hh, base64.b64encode(k + struct.pack('<I', zlib.crc32(k))))
 *   hmac.new(k, nqn.encode() + b"NVMe-over-Fabrics", hashlib.sha256 / sha512).digest()
 * with k = bytes(range(n)); the SHA-256 one was cross-checked with
 *   printf '%s' "<nqn>NVMe-over-Fabrics" | openssl dgst -sha256 -mac HMAC -macopt hexkey:0001..1f
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/auth_internal.h"
#include "nvtcp/auth.h"
#include "ut.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define SUBNQN "nqn.2016-06.io.spdk:cnode1"
#define S32_01 "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define S48_02                                                                                 \
	"DHHC-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"
#define S48_00                                                                                 \
	"DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"
#define S64_03                                                                                 \
	"DHHC-1:03:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4" \
	"OTo7PD0+P4zODhA=:"
/* Base64 body of S32_01, to check that no message ever contains it. */
#define S32_01_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR"
/* S32_01 with the last CRC character changed. */
#define BAD_CRC "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaS:"

static const uint8_t g_t256[32] = {
	0x8d, 0x68, 0x8a, 0xd0, 0xd7, 0x92, 0xc1, 0xe4, 0x23, 0x18, 0x51, 0x08, 0xf5, 0xce, 0x1b, 0x8c,
	0x75, 0x7b, 0xf7, 0x63, 0x71, 0x1b, 0xf2, 0x90, 0x1b, 0x59, 0x80, 0x7c, 0x24, 0x00, 0x89, 0x19};
static const uint8_t g_t512[64] = {
	0x7e, 0xec, 0x81, 0x2b, 0xfb, 0x36, 0x51, 0xfb, 0x64, 0xee, 0xf9, 0x4d, 0x3b, 0xa3, 0xe0, 0x22,
	0x10, 0xd9, 0xbd, 0xba, 0xb3, 0x2f, 0xbd, 0x72, 0x99, 0xea, 0x0f, 0x75, 0xc6, 0x40, 0xba, 0xfe,
	0x64, 0x9f, 0xa9, 0x69, 0xda, 0x79, 0x5d, 0xe0, 0xf4, 0xc1, 0x81, 0x53, 0x7b, 0x9a, 0x39, 0x64,
	0x8b, 0x1c, 0x61, 0xe3, 0x8d, 0x3c, 0xa1, 0x2f, 0x9c, 0xdd, 0xb4, 0xbc, 0x93, 0x47, 0x0c, 0x20};

static bool
is_range(const uint8_t *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (k[i] != (uint8_t)i) {
			return false;
		}
	}
	return true;
}

static void
test_parse_format(void)
{
	static const struct {
		const char *text;
		uint32_t len;
		uint8_t hash;
	} v[] = {{S32_01, 32, 1}, {S48_02, 48, 2}, {S64_03, 64, 3}, {S48_00, 48, 0}};
	struct nvtcp_auth_secret s;
	char out[NVTCP_AUTH_SECRET_STR_MAX_LEN], err[160];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(nvtcp_auth_secret_parse(v[i].text, &s, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(s.len, v[i].len);
		CU_ASSERT_EQUAL(s.hash, v[i].hash);
		CU_ASSERT(is_range(s.key, s.len));
		CU_ASSERT_EQUAL(nvtcp_auth_secret_format(&s, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, v[i].text);
		/* Too small an output buffer: -ENOSPC and nothing half-written left. */
		CU_ASSERT_EQUAL(nvtcp_auth_secret_format(&s, out, strlen(v[i].text)), -ENOSPC);
		CU_ASSERT_EQUAL(out[0], '\0');
	}
	/* A trailing newline (echo into a file) is tolerated. */
	CU_ASSERT_EQUAL(nvtcp_auth_secret_parse(S32_01 "\n", &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(s.len, 32);
	/* format refuses what parse would refuse. */
	s.hash = 2;
	CU_ASSERT_EQUAL(nvtcp_auth_secret_format(&s, out, sizeof(out)), -EINVAL);
	s.hash = 4;
	CU_ASSERT_EQUAL(nvtcp_auth_secret_format(&s, out, sizeof(out)), -EINVAL);
	s.hash = 0;
	s.len = 20;
	CU_ASSERT_EQUAL(nvtcp_auth_secret_format(&s, out, sizeof(out)), -EINVAL);
	nvtcp_auth_secret_wipe(&s);
}

static void
expect_bad(const char *text, const char *msg)
{
	static const struct nvtcp_auth_secret zero;
	struct nvtcp_auth_secret s;
	char err[160] = "";

	memset(&s, 0xaa, sizeof(s));
	CU_ASSERT_EQUAL(nvtcp_auth_secret_parse(text, &s, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(memcmp(&s, &zero, sizeof(s)), 0);
	if (strstr(err, msg) == NULL) {
		fprintf(stderr, "\"%s\": got \"%s\", expected \"%s\"\n", text, err, msg);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(err, msg));
	CU_ASSERT_PTR_NULL(strstr(err, "AAECAwQF"));
}

static void
test_parse_bad(void)
{
	char long_text[300];

	expect_bad("", "must start with 'DHHC-1:'");
	expect_bad("NVMeTLSkey-1:01:" S32_01_B64 ":", "must start with 'DHHC-1:'");
	expect_bad("DHHC-2:01:" S32_01_B64 ":", "must start with 'DHHC-1:'");
	expect_bad("DHHC-1:1:" S32_01_B64 ":", "hash indicator");
	expect_bad("DHHC-1:0x:" S32_01_B64 ":", "hash indicator");
	expect_bad("DHHC-1:04:" S32_01_B64 ":", "hash indicator 04");
	expect_bad("DHHC-1:01:" S32_01_B64, "trailing ':'");
	expect_bad("DHHC-1:01:", "trailing ':'");
	expect_bad("DHHC-1:01::", "bad base64");
	expect_bad("DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR=:", "bad base64");
	expect_bad("DHHC-1:01:AAECAwQFBgcICQoLDA0ODx*REhMUFRYXGBkaGxwdHh+KfiaR:", "bad base64");
	expect_bad("DHHC-1:01:AAEC AwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", "bad base64");
	/* One key bit flipped: the CRC catches it. */
	expect_bad("DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaS:", "bad CRC-32");
	expect_bad("DHHC-1:01:BAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", "bad CRC-32");
	/* 20 key bytes + CRC (valid CRC): wrong length. */
	expect_bad("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhOk/907:", "key length 20");
	/* 48-byte key with HH 01 (SHA-256 needs 32). */
	expect_bad("DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:",
		   "does not fit hash indicator 01");
	memset(long_text, 'A', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	memcpy(long_text, "DHHC-1:01:", 10);
	expect_bad(long_text, "too long");
	CU_ASSERT_EQUAL(nvtcp_auth_secret_parse(NULL, NULL, NULL, 0), -EINVAL);
}

static void
test_generate(void)
{
	struct nvtcp_auth_secret s, again;
	char out[NVTCP_AUTH_SECRET_STR_MAX_LEN];

	for (uint8_t hash = 0; hash <= 3; hash++) {
		for (uint32_t len = 32; len <= 64; len += 16) {
			int rc = nvtcp_auth_secret_generate(hash, len, &s);

			if (hash != 0 && nvtcp_auth_hash_len(hash) != len) {
				CU_ASSERT_EQUAL(rc, -EINVAL);
				continue;
			}
			CU_ASSERT_EQUAL_FATAL(rc, 0);
			CU_ASSERT_EQUAL(s.len, len);
			CU_ASSERT_EQUAL(nvtcp_auth_secret_format(&s, out, sizeof(out)), 0);
			CU_ASSERT_EQUAL(nvtcp_auth_secret_parse(out, &again, NULL, 0), 0);
			CU_ASSERT_EQUAL(again.len, len);
			CU_ASSERT_EQUAL(again.hash, hash);
			CU_ASSERT_EQUAL(memcmp(again.key, s.key, len), 0);
		}
	}
	CU_ASSERT_EQUAL(nvtcp_auth_secret_generate(0, 40, &s), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_secret_generate(4, 64, &s), -EINVAL);
	nvtcp_auth_secret_wipe(&s);
	nvtcp_auth_secret_wipe(&again);
}

static void
test_load(void)
{
	char dir[] = "/tmp/nvtcp_auth_ut.XXXXXX", path[128], err[256];
	struct nvtcp_auth_secret s;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, S32_01 "\n", strlen(S32_01) + 1), (ssize_t)strlen(S32_01) + 1);
	close(fd);

	/* Text and file. */
	CU_ASSERT_EQUAL(nvtcp_auth_secret_load(S48_02, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(s.len, 48);
	CU_ASSERT_EQUAL(nvtcp_auth_secret_load(path, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(s.len, 32);
	CU_ASSERT_EQUAL(s.hash, 1);
	CU_ASSERT(is_range(s.key, 32));
	CU_ASSERT_EQUAL(chmod(path, 0400), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_secret_load(path, &s, err, sizeof(err)), 0);

	/* 0644 is refused, with a message that says so and holds no key material. */
	CU_ASSERT_EQUAL(chmod(path, 0644), 0);
	err[0] = '\0';
	CU_ASSERT_EQUAL(nvtcp_auth_secret_load(path, &s, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mode 0644"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "must be 0600"));
	CU_ASSERT_PTR_NULL(strstr(err, S32_01_B64));
	CU_ASSERT_PTR_NULL(strstr(err, "AAECAwQF"));
	CU_ASSERT_EQUAL(s.len, 0);

	/* A damaged file: the parser's reason, the path, never the key. */
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, BAD_CRC, strlen(BAD_CRC)), (ssize_t)strlen(BAD_CRC));
	close(fd);
	CU_ASSERT_EQUAL(nvtcp_auth_secret_load(path, &s, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad CRC-32"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_PTR_NULL(strstr(err, "AAECAwQF"));

	/* A missing file is named; a mistyped secret given as a "path" is not echoed. */
	snprintf(path, sizeof(path), "%s/missing", dir);
	CU_ASSERT_EQUAL(nvtcp_auth_secret_load(path, &s, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "secret file /tmp/nvtcp_auth_ut."));
	CU_ASSERT_EQUAL(nvtcp_auth_secret_load("DHHC1:01:" S32_01_B64 ":", &s, err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "neither a 'DHHC-1:' secret nor a readable secret file"));
	CU_ASSERT_PTR_NULL(strstr(err, "AAECAwQF"));
	CU_ASSERT_EQUAL(nvtcp_auth_secret_load("", &s, err, sizeof(err)), -EINVAL);

	snprintf(path, sizeof(path), "%s/key", dir);
	unlink(path);
	rmdir(dir);
	nvtcp_auth_secret_wipe(&s);
}

static void
test_transform(void)
{
	struct nvtcp_auth_secret s;
	uint8_t out[NVTCP_AUTH_KEY_MAX_LEN];
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_secret_parse(S32_01, &s, NULL, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_secret_transform(&s, HOSTNQN, out, &len), 0);
	CU_ASSERT_EQUAL(len, 32);
	CU_ASSERT_EQUAL(memcmp(out, g_t256, 32), 0);
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_secret_parse(S64_03, &s, NULL, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_secret_transform(&s, SUBNQN, out, &len), 0);
	CU_ASSERT_EQUAL(len, 64);
	CU_ASSERT_EQUAL(memcmp(out, g_t512, 64), 0);
	/* HH 00: the key is used as it is. */
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_secret_parse(S48_00, &s, NULL, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_secret_transform(&s, HOSTNQN, out, &len), 0);
	CU_ASSERT_EQUAL(len, 48);
	CU_ASSERT(is_range(out, 48));
	/* Bad arguments. */
	s.len = 20;
	CU_ASSERT_EQUAL(nvtcp_auth_secret_transform(&s, HOSTNQN, out, &len), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_secret_parse(S32_01, &s, NULL, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_secret_transform(&s, NULL, out, &len), -EINVAL);
	nvtcp_auth_secret_wipe(&s);
}

/* Runs scripts/nvtcp-gen-dhchap-key with \p args; its one line of output in \p out. */
static int
run_script(const char *args, char *out, size_t outlen)
{
	char cmd[512];
	FILE *p;
	int rc;

	snprintf(cmd, sizeof(cmd), "python3 %s/scripts/nvtcp-gen-dhchap-key %s 2>/dev/null",
		 NVTCP_SRC_ROOT, args);
	p = popen(cmd, "r");
	if (p == NULL) {
		return -1;
	}
	out[0] = '\0';
	if (fgets(out, (int)outlen, p) == NULL) {
		out[0] = '\0';
	}
	rc = pclose(p);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void
test_gen_script(void)
{
	static const struct {
		const char *args;
		uint8_t hash;
		uint32_t len;
	} v[] = {
		{"", 0, 32},
		{"--key-length 48", 0, 48},
		{"--key-length 64", 0, 64},
		{"--hmac 1", 1, 32},
		{"--hmac 2", 2, 48},
		{"--hmac 3", 3, 64},
		{"--hmac 3 --key-length 64", 3, 64},
		{"--hmac 2 --nqn " HOSTNQN, 2, 48},
	};
	char out[256], again[256], dir[] = "/tmp/nvtcp_auth_gen.XXXXXX", path[128], args[256];
	struct nvtcp_auth_secret s;
	struct stat st;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(run_script(v[i].args, out, sizeof(out)), 0);
		CU_ASSERT_EQUAL(nvtcp_auth_secret_parse(out, &s, NULL, 0), 0);
		CU_ASSERT_EQUAL(s.hash, v[i].hash);
		CU_ASSERT_EQUAL(s.len, v[i].len);
		/* Fresh every time. */
		CU_ASSERT_EQUAL(run_script(v[i].args, again, sizeof(again)), 0);
		CU_ASSERT_STRING_NOT_EQUAL(out, again);
	}
	/* Pairs nvtcp refuses are refused by the script too. */
	CU_ASSERT_EQUAL(run_script("--hmac 1 --key-length 48", out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(run_script("--hmac 4", out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(run_script("--nqn " HOSTNQN, out, sizeof(out)), 2);

	/* -o: a new file of mode 0600 that nvtcp_auth_secret_load takes; never overwritten. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	snprintf(args, sizeof(args), "--hmac 1 -o %s", path);
	CU_ASSERT_EQUAL(run_script(args, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(nvtcp_auth_secret_load(path, &s, NULL, 0), 0);
	CU_ASSERT_EQUAL(s.hash, 1);
	CU_ASSERT_EQUAL(run_script(args, out, sizeof(out)), 2);
	unlink(path);
	rmdir(dir);
	nvtcp_auth_secret_wipe(&s);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("secret", NULL, NULL);

	CU_ADD_TEST(s, test_parse_format);
	CU_ADD_TEST(s, test_parse_bad);
	CU_ADD_TEST(s, test_generate);
	CU_ADD_TEST(s, test_load);
	CU_ADD_TEST(s, test_transform);
	CU_ADD_TEST(s, test_gen_script);
}

NVTCP_UT_MAIN(add_tests)
