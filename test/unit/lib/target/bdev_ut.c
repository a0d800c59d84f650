/*
 * Unit tests of lib/target/bdev.c: the per-reactor buffer pool and the malloc and null
 * backends (inline completion, zero-copy pointers, bounds).
 */
#include "tgt_ut.h"

static void
test_bufpool(void)
{
	struct tgt_bufpool bp;
	void *b[8];

	CU_ASSERT_FATAL(tgt_bufpool_init(&bp, 6, 16384, NVTCP_ENV_NUMA_ANY) == 0);
	CU_ASSERT(bp.nfree == 6 && bp.count == 6 && bp.size == 16384);
	CU_ASSERT(tgt_bufpool_get(&bp, b, 4));
	for (int i = 0; i < 4; i++) {
		/* 4 KiB aligned, inside the slab, distinct. */
		CU_ASSERT(((uintptr_t)b[i] & 4095) == 0);
		CU_ASSERT((uint8_t *)b[i] >= bp.base && (uint8_t *)b[i] < bp.base + 6 * 16384);
		for (int j = 0; j < i; j++) {
			CU_ASSERT(b[i] != b[j]);
		}
	}
	/* All or none. */
	CU_ASSERT(!tgt_bufpool_get(&bp, b + 4, 3));
	CU_ASSERT(bp.nfree == 2);
	CU_ASSERT(tgt_bufpool_get(&bp, b + 4, 2));
	CU_ASSERT(bp.nfree == 0);
	tgt_bufpool_put(&bp, b, 6);
	CU_ASSERT(bp.nfree == 6);
	/* LIFO: the last one returned comes back first. */
	CU_ASSERT(tgt_bufpool_get(&bp, b + 6, 1) && b[6] == b[5]);
	tgt_bufpool_put(&bp, b + 6, 1);
	tgt_bufpool_fini(&bp);
	CU_ASSERT(bp.base == NULL);
}

static void
cb_unused(struct tgt_bdev_io *io)
{
	CU_FAIL("inline backends never call back");
}

static int
submit(struct tgt_bdev *bdev, enum tgt_bdev_op op, uint64_t off, uint64_t len, void *buf)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct tgt_bdev_io io = {.op = op, .offset = off, .len = len, .iov = &iov,
				 .iovcnt = buf ? 1 : 0, .cb = cb_unused, .bdev = bdev};

	CU_ASSERT(bdev->ops->submit(bdev, &io) == 1);
	return io.status;
}

static void
test_malloc(void)
{
	struct tgt_bdev *b = NULL;
	uint8_t data[8192], back[8192], zero[8192] = {0};
	struct nvtcp_nvme_dsm_range r = {.nlb = 2, .slba = 4};
	struct tgt_bdev_io io = {.op = TGT_BDEV_DEALLOCATE, .ranges = &r, .nranges = 1,
				 .block_shift = 9, .cb = cb_unused};

	CU_ASSERT(tgt_bdev_malloc_create(1000, 512, &b) == -EINVAL);
	CU_ASSERT_FATAL(tgt_bdev_malloc_create(1 << 20, 512, &b) == 0);
	CU_ASSERT(b->size == 1 << 20 && b->block_size == 512 && b->dealloc_zeroes);
	CU_ASSERT(!b->discard_writes && !b->volatile_cache);
	memset(data, 0x5A, sizeof(data));
	CU_ASSERT(submit(b, TGT_BDEV_WRITE, 4096, sizeof(data), data) == 0);
	CU_ASSERT(submit(b, TGT_BDEV_READ, 4096, sizeof(back), back) == 0);
	CU_ASSERT(memcmp(back, data, sizeof(data)) == 0);
	/* Zero-copy pointers cover exactly the namespace. */
	CU_ASSERT(memcmp(b->ops->read_ptr(b, 4096, 8192), data, 8192) == 0);
	CU_ASSERT(b->ops->write_ptr(b, (1 << 20) - 512, 512) != NULL);
	CU_ASSERT(b->ops->write_ptr(b, (1 << 20) - 512, 1024) == NULL);
	CU_ASSERT(submit(b, TGT_BDEV_READ, (1 << 20) - 512, 1024, back) == -ERANGE);
	/* Write Zeroes and deallocate. */
	CU_ASSERT(submit(b, TGT_BDEV_WRITE_ZEROES, 4096, 1024, NULL) == 0);
	io.bdev = b;
	CU_ASSERT(b->ops->submit(b, &io) == 1 && io.status == 0);
	CU_ASSERT(submit(b, TGT_BDEV_READ, 0, sizeof(back), back) == 0);
	CU_ASSERT(memcmp(back, zero, 4096 + 1024) == 0);
	CU_ASSERT(memcmp(back + 5120, data + 1024, 3072) == 0);
	CU_ASSERT(submit(b, TGT_BDEV_FLUSH, 0, 0, NULL) == 0);
	tgt_bdev_destroy(b);
}

static void
test_null(void)
{
	struct tgt_bdev *b = NULL;
	uint8_t data[4096], zero[4096] = {0};

	CU_ASSERT_FATAL(tgt_bdev_null_create(1ull << 40, 4096, 1 << 20, &b) == 0);
	CU_ASSERT(b->discard_writes && b->size == 1ull << 40);
	CU_ASSERT(b->ops->write_ptr(b, 0, 4096) == NULL);
	CU_ASSERT(memcmp(b->ops->read_ptr(b, 1ull << 30, 4096), zero, 4096) == 0);
	CU_ASSERT(b->ops->read_ptr(b, 0, 2 << 20) == NULL);
	memset(data, 1, sizeof(data));
	CU_ASSERT(submit(b, TGT_BDEV_WRITE, 0, sizeof(data), data) == 0);
	CU_ASSERT(submit(b, TGT_BDEV_READ, 0, sizeof(data), data) == 0);
	CU_ASSERT(memcmp(data, zero, sizeof(data)) == 0);
	CU_ASSERT(submit(b, TGT_BDEV_READ, (1ull << 40) - 2048, 4096, data) == -ERANGE);
	tgt_bdev_destroy(b);
}

static int
suite_init(void)
{
	return ut_env_setup("bdev_ut");
}

static int
suite_fini(void)
{
	ut_env_teardown();
	return 0;
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("target_bdev", suite_init, suite_fini);

	CU_ADD_TEST(s, test_bufpool);
	CU_ADD_TEST(s, test_malloc);
	CU_ADD_TEST(s, test_null);
}

NVTCP_UT_MAIN(add_tests)
