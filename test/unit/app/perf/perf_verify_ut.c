/*
 * Unit tests of nvtcp_perf's data verification (app/perf/perf_verify.c): stamps, mismatch
 * reports, the partition of I/O slots and the slot locks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ut.h"

#include "perf_verify.c"

static void *
buf_new(size_t len)
{
	void *p = aligned_alloc(64, len);

	CU_ASSERT_FATAL(p != NULL);
	return p;
}

static void
test_fill_check_ok(void)
{
	uint32_t sizes[] = {512, 4096};

	for (size_t s = 0; s < 2; s++) {
		uint32_t bs = sizes[s];
		uint8_t *b = buf_new((size_t)bs * 8);
		struct perf_verify_mismatch mm;

		perf_verify_fill(b, bs, 8, 1000, 1, 42, 0xdeadbeef);
		CU_ASSERT_EQUAL(perf_verify_check(b, bs, 8, 1000, 1, 42, 0xdeadbeef, &mm), 0);
		/* Each block is self-describing: one block alone checks too. */
		CU_ASSERT_EQUAL(perf_verify_check(b + 3 * bs, bs, 1, 1003, 1, 42, 0xdeadbeef, &mm),
				0);
		free(b);
	}
}

static void
test_wrong_seq_lba_seed_nsid(void)
{
	uint8_t *b = buf_new(4096 * 2);
	struct perf_verify_mismatch mm;

	perf_verify_fill(b, 4096, 2, 10, 1, 7, 99);
	/* An older write. */
	CU_ASSERT_EQUAL(perf_verify_check(b, 4096, 2, 10, 1, 8, 99, &mm), 2);
	CU_ASSERT_FALSE(mm.header_ok);
	CU_ASSERT_EQUAL(mm.lba, 10);
	CU_ASSERT_EQUAL(mm.got_seq, 7);
	CU_ASSERT_EQUAL(mm.exp_seq, 8);
	CU_ASSERT_EQUAL(mm.got_lba, 10);
	/* Another LBA's data (e.g. a misdirected read). */
	CU_ASSERT_EQUAL(perf_verify_check(b, 4096, 1, 11, 1, 7, 99, &mm), 1);
	CU_ASSERT_EQUAL(mm.lba, 11);
	CU_ASSERT_EQUAL(mm.got_lba, 10);
	/* Another run. */
	CU_ASSERT_EQUAL(perf_verify_check(b, 4096, 2, 10, 1, 7, 100, &mm), 2);
	CU_ASSERT_EQUAL(mm.got_seed, 99);
	CU_ASSERT_EQUAL(mm.exp_seed, 100);
	/* Another namespace. */
	CU_ASSERT_EQUAL(perf_verify_check(b, 4096, 2, 10, 2, 7, 99, &mm), 2);
	CU_ASSERT_EQUAL(mm.got_nsid, 1);
	free(b);
}

static void
test_body_corruption(void)
{
	uint8_t *b = buf_new(512 * 4);
	struct perf_verify_mismatch mm;
	char line[400];

	perf_verify_fill(b, 512, 4, 0, 1, 3, 5);
	b[2 * 512 + 200] ^= 0x01;
	CU_ASSERT_EQUAL(perf_verify_check(b, 512, 4, 0, 1, 3, 5, &mm), 1);
	CU_ASSERT_TRUE(mm.header_ok);
	CU_ASSERT_EQUAL(mm.lba, 2);
	CU_ASSERT_EQUAL(mm.byte_offset, 200);
	CU_ASSERT_NOT_EQUAL(mm.exp_word, mm.got_word);
	perf_verify_format(&mm, 1, line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "LBA 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "byte 200"));

	/* The last byte of a block is covered as well. */
	perf_verify_fill(b, 512, 4, 0, 1, 3, 5);
	b[512 - 1] ^= 0x80;
	CU_ASSERT_EQUAL(perf_verify_check(b, 512, 4, 0, 1, 3, 5, &mm), 1);
	CU_ASSERT_EQUAL(mm.lba, 0);
	CU_ASSERT_EQUAL(mm.byte_offset, 504);

	/* A corrupted header field that is not compared directly (the check word). */
	perf_verify_fill(b, 512, 4, 0, 1, 3, 5);
	b[24] ^= 0xff;
	CU_ASSERT_EQUAL(perf_verify_check(b, 512, 4, 0, 1, 3, 5, &mm), 1);
	CU_ASSERT_FALSE(mm.header_ok);
	free(b);
}

static void
test_no_stamp(void)
{
	uint8_t *b = buf_new(512);
	struct perf_verify_mismatch mm;
	char line[400];

	memset(b, 0, 512);
	CU_ASSERT_EQUAL(perf_verify_check(b, 512, 1, 77, 1, 1, 1, &mm), 1);
	CU_ASSERT_EQUAL(mm.got_magic, 0);
	perf_verify_format(&mm, 1, line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "LBA 77"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "no stamp"));

	/* The read poison the engine writes is not a stamp either. */
	memset(b, 0xA5, PERF_VERIFY_HDR_SIZE);
	CU_ASSERT_EQUAL(perf_verify_check(b, 512, 1, 77, 1, 1, 1, &mm), 1);
	free(b);
}

static void
test_partition(void)
{
	uint64_t ns[] = {0, 1, 5, 64, 1000, 1000003, 1ull << 40, UINT64_MAX / 3};
	uint32_t parts[] = {1, 2, 3, 7, 64, 128};

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		for (size_t j = 0; j < sizeof(parts) / sizeof(parts[0]); j++) {
			uint64_t next = 0, mn = UINT64_MAX, mx = 0;

			for (uint32_t k = 0; k < parts[j]; k++) {
				uint64_t first, count;

				perf_verify_partition(ns[i], k, parts[j], &first, &count);
				CU_ASSERT_EQUAL_FATAL(first, next);
				next = first + count;
				mn = count < mn ? count : mn;
				mx = count > mx ? count : mx;
			}
			CU_ASSERT_EQUAL(next, ns[i]);
			CU_ASSERT(mx - mn <= 1);
		}
	}
}

static void
test_locks(void)
{
	struct perf_verify_ctx v;
	uint64_t got[100];

	CU_ASSERT_EQUAL(perf_verify_ctx_init(&v, 500, 0, 1, 1), -EINVAL);
	CU_ASSERT_EQUAL(perf_verify_ctx_init(&v, 500, PERF_VERIFY_MAX_SLOTS + 1, 1, 1), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(perf_verify_ctx_init(&v, 500, 100, 1, 1), 0);
	CU_ASSERT_TRUE(v.enabled);
	CU_ASSERT_EQUAL(v.first, 500);

	/* The hint is taken when free. */
	got[0] = perf_verify_lock(&v, 42);
	CU_ASSERT_EQUAL(got[0], 42);
	CU_ASSERT_TRUE(perf_verify_locked(&v, 42));
	/* Taken: the next free one above it. */
	CU_ASSERT_EQUAL(perf_verify_lock(&v, 42), 43);
	perf_verify_unlock(&v, 43);
	/* Hints wrap around the region. */
	CU_ASSERT_EQUAL(perf_verify_lock(&v, 142), 43);
	perf_verify_unlock(&v, 43);
	perf_verify_unlock(&v, 42);

	/* Fill every slot, from hints near the end (wrapping): all distinct, all < count. */
	for (int i = 0; i < 100; i++) {
		got[i] = perf_verify_lock(&v, 99);
		CU_ASSERT_FATAL(got[i] < 100);
		for (int j = 0; j < i; j++) {
			CU_ASSERT_FATAL(got[i] != got[j]);
		}
	}
	CU_ASSERT_EQUAL(perf_verify_lock(&v, 0), UINT64_MAX);
	CU_ASSERT_EQUAL(perf_verify_lock(&v, 63), UINT64_MAX);
	perf_verify_unlock(&v, 70);
	CU_ASSERT_FALSE(perf_verify_locked(&v, 70));
	CU_ASSERT_EQUAL(perf_verify_lock(&v, 3), 70);
	perf_verify_ctx_fini(&v);
	CU_ASSERT_FALSE(v.enabled);
	CU_ASSERT_PTR_NULL(v.expected);

	/* A single-word region with a hint in the last bits. */
	CU_ASSERT_EQUAL_FATAL(perf_verify_ctx_init(&v, 0, 3, 1, 1), 0);
	CU_ASSERT_EQUAL(perf_verify_lock(&v, 2), 2);
	CU_ASSERT_EQUAL(perf_verify_lock(&v, 2), 0);
	CU_ASSERT_EQUAL(perf_verify_lock(&v, 2), 1);
	CU_ASSERT_EQUAL(perf_verify_lock(&v, 2), UINT64_MAX);
	perf_verify_ctx_fini(&v);
}

static void
test_next_seq(void)
{
	struct perf_verify_ctx v;

	CU_ASSERT_EQUAL_FATAL(perf_verify_ctx_init(&v, 0, 10, 1, 1), 0);
	CU_ASSERT_EQUAL(perf_verify_next_seq(&v), 1);
	CU_ASSERT_EQUAL(perf_verify_next_seq(&v), 2);
	v.next_seq = UINT32_MAX - 1;
	CU_ASSERT_EQUAL(perf_verify_next_seq(&v), UINT32_MAX - 1);
	/* Neither UNKNOWN (UINT32_MAX) nor NONE (0) is ever handed out. */
	CU_ASSERT_EQUAL(perf_verify_next_seq(&v), 1);
	CU_ASSERT_EQUAL(perf_verify_next_seq(&v), 2);
	v.next_seq = 0;
	CU_ASSERT_EQUAL(perf_verify_next_seq(&v), 1);
	perf_verify_ctx_fini(&v);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("perf_verify", NULL, NULL);

	CU_ADD_TEST(s, test_fill_check_ok);
	CU_ADD_TEST(s, test_wrong_seq_lba_seed_nsid);
	CU_ADD_TEST(s, test_body_corruption);
	CU_ADD_TEST(s, test_no_stamp);
	CU_ADD_TEST(s, test_partition);
	CU_ADD_TEST(s, test_locks);
	CU_ADD_TEST(s, test_next_seq);
}

NVTCP_UT_MAIN(add_tests)
