/*
 * libFuzzer harness: the PSK interchange-format parser and the PSK identity parser
 * (lib/sock/tls_psk.c).
 *
 * The input is the text (made NUL-terminated); the first byte chooses the error buffer size.
 * A key that parses has a valid length and hash, formats, and the formatted text parses back
 * to the same key; a refused one leaves the PSK wiped and a message that is NUL-terminated.
 * The same text as a PSK identity: a parsed one is rebuilt exactly from its parts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nvtcp/tls.h"

FUZZ_INIT_SILENT()

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct nvtcp_tls_psk zero;
	struct nvtcp_tls_psk psk, again;
	char out[NVTCP_TLS_INTERCHANGE_MAX_LEN];
	char host[NVTCP_TLS_IDENTITY_MAX_LEN], sub[NVTCP_TLS_IDENTITY_MAX_LEN];
	char id[NVTCP_TLS_IDENTITY_MAX_LEN + 1];
	struct fuzz_text t;
	const char *str;
	int rc;

	if (size == 0) {
		return 0;
	}
	fuzz_text_get(&t, data, size, 96);
	str = t.str;
	rc = nvtcp_tls_psk_parse(str, &psk, t.err, t.errlen);
	if (rc == 0) {
		CHECK(psk.len == 32 || psk.len == 48);
		CHECK(psk.hash <= NVTCP_TLS_HASH_SHA384);
		CHECK(nvtcp_tls_psk_format(&psk, out, sizeof(out)) == 0);
		CHECK(nvtcp_tls_psk_parse(out, &again, NULL, 0) == 0);
		CHECK(again.len == psk.len && again.hash == psk.hash &&
		      memcmp(again.key, psk.key, psk.len) == 0);
	} else {
		CHECK(rc == -EINVAL);
		CHECK(memcmp(&psk, &zero, sizeof(psk)) == 0);
		fuzz_text_err_ok(&t);
	}
	nvtcp_tls_psk_wipe(&psk);

	rc = nvtcp_tls_identity_parse(str, size - 1, host, sizeof(host), sub, sizeof(sub));
	if (rc > 0) {
		CHECK(rc == 1 || rc == 2);
		CHECK(snprintf(id, sizeof(id), "NVMe0R0%d %s %s", rc, host, sub) == (int)(size - 1));
		CHECK(memcmp(id, str, size - 1) == 0);
	} else {
		CHECK(rc == -EINVAL);
	}
	fuzz_text_put(&t);
	return 0;
}
