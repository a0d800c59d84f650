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

FUZZ_INIT_SILENT()

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_text t;
	const char *s;
	uint8_t id[16];

	fuzz_text_get(&t, data, size, 96);
	s = t.str;
	if (nvtcp_nqn_valid(s, t.err, t.errlen)) {
		CHECK(strlen(s) >= 1 && strlen(s) <= NVTCP_NQN_MAX_LEN);
	} else {
		fuzz_text_err_ok(&t);
	}
	if (nvtcp_host_id_parse(s, id) == 0) {
		/* Only the 36-character UUID form parses. */
		CHECK(strlen(s) == 36);
		for (int i = 0; i < 36; i++) {
			CHECK((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] == '-' :
			      isxdigit((unsigned char)s[i]));
		}
	}
	fuzz_text_put(&t);
	return 0;
}
