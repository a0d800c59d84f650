/*
 * libFuzzer harness: discovery log decoding (lib/fabrics/discovery_log.c).
 *
 * The input is a log page as a controller would return it: a 1024-byte header, then 1024-byte
 * entries. The buffer is an exact-size heap copy, so that reading past the page is caught.
 * Every entry that decodes must carry NUL-terminated, printable strings, and its transport ID
 * must format and parse back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nvtcp/fabrics.h"
#include "nvtcp/nvmf_spec.h"
#include "nvtcp/util.h"

FUZZ_INIT_SILENT()

static void
check_str(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);

	CHECK(end != NULL);
	for (; s < end; s++) {
		CHECK(*s >= 0x20 && *s <= 0x7E);
	}
}

static void
check_entry(const struct nvtcp_discovery_entry *e, const uint8_t *data, size_t size)
{
	struct nvtcp_trid t, back;
	char fmt[2048];
	int n;

	check_str(e->trid.traddr, sizeof(e->trid.traddr));
	check_str(e->trid.trsvcid, sizeof(e->trid.trsvcid));
	check_str(e->trid.subnqn, sizeof(e->trid.subnqn));
	(void)nvtcp_trtype_str(e->trtype);
	(void)nvtcp_adrfam_str(e->adrfam);
	(void)nvtcp_subtype_str(e->subtype);
	(void)nvtcp_treq_secure_channel_str(e->treq);

	/* As a tool would connect to it: with and without an address override. */
	nvtcp_discovery_entry_to_trid(e, NULL, NULL, &t);
	n = nvtcp_trid_format(&t, fmt, sizeof(fmt));
	CHECK(n > 0 && (size_t)n < sizeof(fmt));
	nvtcp_trid_init(&back);
	(void)nvtcp_trid_parse(&back, fmt, NULL, 0); /* entries need not be valid trids */
	if (size > 2) {
		/* Overrides from the input, up to longer than any field. */
		char over[300];
		size_t olen = NVTCP_MIN((size_t)(data[1] % sizeof(over)), size - 2);

		memcpy(over, data + 2, olen);
		over[olen] = '\0';
		nvtcp_discovery_entry_to_trid(e, over, over, &t);
		CHECK(memchr(t.traddr, '\0', sizeof(t.traddr)) != NULL);
		CHECK(memchr(t.trsvcid, '\0', sizeof(t.trsvcid)) != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t hsz = sizeof(struct nvtcp_nvmf_disc_log_hdr);
	const size_t esz = sizeof(struct nvtcp_nvmf_disc_log_entry);
	uint64_t numrec = 0, genctr = 0, max;
	uint8_t *page;
	int rc;

	if (size < hsz) {
		/* A short page: the entry decoder alone, on a zero-padded entry. */
		struct nvtcp_nvmf_disc_log_entry raw;
		struct nvtcp_discovery_entry e;

		memset(&raw, 0, sizeof(raw));
		memcpy(&raw, data, NVTCP_MIN(size, sizeof(raw)));
		if (nvtcp_discovery_entry_parse(&raw, &e) == 0) {
			check_entry(&e, data, size);
		}
		return 0;
	}
	page = malloc(size);
	CHECK(page != NULL);
	memcpy(page, data, size);
	max = (size - hsz) / esz;
	rc = nvtcp_discovery_log_hdr_parse((const void *)page, max, &numrec, &genctr);
	if (rc == 0) {
		CHECK(numrec <= max);
		for (uint64_t i = 0; i < numrec; i++) {
			struct nvtcp_discovery_entry e;

			if (nvtcp_discovery_entry_parse((const void *)(page + hsz + i * esz), &e) == 0) {
				check_entry(&e, data, size);
			}
		}
	} else {
		CHECK(rc == -EINVAL || rc == -E2BIG);
	}
	free(page);
	return 0;
}
