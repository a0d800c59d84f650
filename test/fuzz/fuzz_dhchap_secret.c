/*
 * libFuzzer harness: the DH-HMAC-CHAP secret parser and formatter (lib/auth/secret.c).
 *
 * The input is the text (made NUL-terminated); the first byte chooses the error buffer size.
 * A secret that parses has a valid length and hash, formats, the formatted text parses back
 * to the same key, and it transforms by an NQN; a refused one leaves the secret wiped and a
 * NUL-terminated message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nvtcp/auth.h"

FUZZ_INIT_SILENT()

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct nvtcp_auth_secret zero;
	struct nvtcp_auth_secret s, again;
	char out[NVTCP_AUTH_SECRET_STR_MAX_LEN];
	uint8_t key[NVTCP_AUTH_KEY_MAX_LEN];
	struct fuzz_text t;
	size_t keylen = 0;
	int rc;

	if (size == 0) {
		return 0;
	}
	fuzz_text_get(&t, data, size, 96);
	rc = nvtcp_auth_secret_parse(t.str, &s, t.err, t.errlen);
	if (rc == 0) {
		CHECK(s.len == 32 || s.len == 48 || s.len == 64);
		CHECK(s.hash <= NVTCP_AUTH_HASH_SHA512);
		CHECK(s.hash == 0 || nvtcp_auth_hash_len(s.hash) == s.len);
		CHECK(nvtcp_auth_secret_format(&s, out, sizeof(out)) == 0);
		CHECK(nvtcp_auth_secret_parse(out, &again, NULL, 0) == 0);
		CHECK(again.len == s.len && again.hash == s.hash &&
		      memcmp(again.key, s.key, s.len) == 0);
		CHECK(nvtcp_auth_secret_transform(&s, "nqn.2016-06.io.spdk:cnode1", key, &keylen) ==
		      0);
		CHECK(keylen == (s.hash == 0 ? s.len : nvtcp_auth_hash_len(s.hash)));
		nvtcp_auth_secret_wipe(&again);
	} else {
		CHECK(rc == -EINVAL);
		CHECK(memcmp(&s, &zero, sizeof(s)) == 0);
		fuzz_text_err_ok(&t);
	}
	nvtcp_auth_secret_wipe(&s);
	fuzz_text_put(&t);
	return 0;
}
