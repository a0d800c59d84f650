/*
 * libFuzzer harness: transport ID parsing (lib/fabrics/trid.c).
 *
 * The input is the text (made NUL-terminated). The first byte also chooses the size of the
 * error buffer (0 = none). Beyond memory safety, a parse that succeeds must survive a round
 * trip: the formatted text parses back to the same transport ID, and every field stays
 * NUL-terminated within its array.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nvtcp/fabrics.h"

FUZZ_INIT_SILENT()

static void
check_terminated(const struct nvtcp_trid *t)
{
	CHECK(memchr(t->traddr, '\0', sizeof(t->traddr)) != NULL);
	CHECK(memchr(t->trsvcid, '\0', sizeof(t->trsvcid)) != NULL);
	CHECK(memchr(t->subnqn, '\0', sizeof(t->subnqn)) != NULL);
	CHECK(memchr(t->hostnqn, '\0', sizeof(t->hostnqn)) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvtcp_trid t, back;
	struct fuzz_text in;
	char *fmt;
	int rc, n;

	/* An exactly-sized error buffer: a message longer than it must be cut, not overflow
	 * it. */
	fuzz_text_get(&in, data, size, 80);
	nvtcp_trid_init(&t);
	rc = nvtcp_trid_parse(&t, in.str, in.err, in.errlen);
	if (rc != 0) {
		fuzz_text_err_ok(&in);
	}
	if (rc == 0) {
		check_terminated(&t);
		n = nvtcp_trid_format(&t, NULL, 0);
		CHECK(n == -ENOSPC || n >= 0);
		fmt = malloc(2048);
		CHECK(fmt != NULL);
		n = nvtcp_trid_format(&t, fmt, 2048);
		CHECK(n > 0 && (size_t)n < 2048 && strlen(fmt) == (size_t)n);
		nvtcp_trid_init(&back);
		CHECK(nvtcp_trid_parse(&back, fmt, NULL, 0) == 0);
		CHECK(back.trtype == t.trtype && back.adrfam == t.adrfam);
		CHECK(strcmp(back.traddr, t.traddr) == 0 && strcmp(back.trsvcid, t.trsvcid) == 0);
		CHECK(strcmp(back.subnqn, t.subnqn) == 0 && strcmp(back.hostnqn, t.hostnqn) == 0);
		/* A buffer one byte short is refused, never overrun. */
		if (n > 0) {
			char *tight = malloc((size_t)n);

			CHECK(tight != NULL);
			CHECK(nvtcp_trid_format(&t, tight, (size_t)n) == -ENOSPC);
			free(tight);
		}
		free(fmt);
	}
	fuzz_text_put(&in);
	return 0;
}
