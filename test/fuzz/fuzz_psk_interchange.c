/*
 * libFuzzer harness: the PSK interchange-format parser (lib/sock/tls_psk.c).
 *
 * The input is the text (made NUL-terminated); the first byte chooses the error buffer size.
 * A key that parses has a valid length and hash, formats, and the formatted text parses back
 * to the same key; a refused one leaves the PSK wiped and a message that is NUL-terminated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nvtcp/tls.h"

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			__builtin_trap();                                                      \
		}                                                                              \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	nvtcp_log_set_callback(fuzz_log_discard);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct nvtcp_tls_psk zero;
	size_t errlen = size > 0 ? data[0] % 96 : 0;
	struct nvtcp_tls_psk psk, again;
	char out[NVTCP_TLS_INTERCHANGE_MAX_LEN];
	char *str, *err = NULL;
	int rc;

	if (size == 0) {
		return 0;
	}
	str = malloc(size);
	if (errlen > 0) {
		err = malloc(errlen);
	}
	if (str == NULL || (errlen > 0 && err == NULL)) {
		free(str);
		free(err);
		return 0;
	}
	memcpy(str, data + 1, size - 1);
	str[size - 1] = '\0';
	if (err != NULL) {
		memset(err, 'x', errlen);
	}
	rc = nvtcp_tls_psk_parse(str, &psk, err, errlen);
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
		if (err != NULL) {
			CHECK(memchr(err, '\0', errlen) != NULL);
		}
	}
	nvtcp_tls_psk_wipe(&psk);
	free(str);
	free(err);
	return 0;
}
