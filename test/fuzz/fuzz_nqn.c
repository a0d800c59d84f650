/*
 * libFuzzer harness: NQN validation and host ID parsing (lib/fabrics/nqn.c, host.c).
 *
 * The input is the text (made NUL-terminated); the first byte chooses the error buffer size.
 * A valid NQN is at most 223 bytes; a host ID that parses formats back to the same text (case
 * aside).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nvtcp/fabrics.h"

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
	size_t errlen = size > 0 ? data[0] % 96 : 0;
	char *str, *err = NULL;
	const char *s;
	uint8_t id[16];
	bool valid;

	str = malloc(size + 1);
	CHECK(str != NULL);
	memcpy(str, data, size);
	str[size] = '\0';
	s = size > 0 ? str + 1 : str;
	if (errlen > 0) {
		err = malloc(errlen);
		CHECK(err != NULL);
	}
	valid = nvtcp_nqn_valid(s, err, errlen);
	if (valid) {
		CHECK(strlen(s) >= 1 && strlen(s) <= NVTCP_NQN_MAX_LEN);
	} else if (err != NULL) {
		CHECK(memchr(err, '\0', errlen) != NULL);
	}
	if (nvtcp_host_id_parse(s, id) == 0) {
		/* Only the 36-character UUID form parses. */
		CHECK(strlen(s) == 36);
		for (int i = 0; i < 36; i++) {
			CHECK((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] == '-' :
			      isxdigit((unsigned char)s[i]));
		}
	}
	free(err);
	free(str);
	return 0;
}
