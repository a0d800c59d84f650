/*
 * Unit tests of lib/target/bdev.c: the per-reactor buffer pool, the backend registry, and the
 * malloc and null backends (inline completion, zero-copy pointers, bounds).
 */
#include <linux/falloc.h>

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
cb_unused(struct nvtcp_tgt_bdev_io *io)
{
	CU_FAIL("inline backends never call back");
}

static int
submit(struct nvtcp_tgt_bdev *bdev, enum nvtcp_tgt_bdev_op op, uint64_t off, uint64_t len, void *buf)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct nvtcp_tgt_bdev_io io = {.op = op, .offset = off, .len = len, .iov = &iov,
				 .iovcnt = buf ? 1 : 0, .cb = cb_unused, .bdev = bdev};

	CU_ASSERT(bdev->ops->submit(bdev, &io) == 1);
	return io.status;
}

static void
test_malloc(void)
{
	struct nvtcp_tgt_bdev *b = NULL;
	uint8_t data[8192], back[8192], zero[8192] = {0};
	struct nvtcp_nvme_dsm_range r = {.nlb = 2, .slba = 4};
	struct nvtcp_tgt_bdev_io io = {.op = NVTCP_TGT_BDEV_DEALLOCATE, .ranges = &r, .nranges = 1,
				 .block_shift = 9, .cb = cb_unused};

	CU_ASSERT(tgt_bdev_malloc_create(1000, 512, &b) == -EINVAL);
	CU_ASSERT_FATAL(tgt_bdev_malloc_create(1 << 20, 512, &b) == 0);
	CU_ASSERT(b->size == 1 << 20 && b->block_size == 512 && b->dealloc_zeroes);
	CU_ASSERT(!b->discard_writes && !b->volatile_cache);
	memset(data, 0x5A, sizeof(data));
	CU_ASSERT(submit(b, NVTCP_TGT_BDEV_WRITE, 4096, sizeof(data), data) == 0);
	CU_ASSERT(submit(b, NVTCP_TGT_BDEV_READ, 4096, sizeof(back), back) == 0);
	CU_ASSERT(memcmp(back, data, sizeof(data)) == 0);
	/* Zero-copy pointers cover exactly the namespace. */
	CU_ASSERT(memcmp(b->ops->read_ptr(b, 4096, 8192), data, 8192) == 0);
	CU_ASSERT(b->ops->write_ptr(b, (1 << 20) - 512, 512) != NULL);
	CU_ASSERT(b->ops->write_ptr(b, (1 << 20) - 512, 1024) == NULL);
	CU_ASSERT(submit(b, NVTCP_TGT_BDEV_READ, (1 << 20) - 512, 1024, back) == -ERANGE);
	/* Write Zeroes and deallocate. */
	CU_ASSERT(submit(b, NVTCP_TGT_BDEV_WRITE_ZEROES, 4096, 1024, NULL) == 0);
	io.bdev = b;
	CU_ASSERT(b->ops->submit(b, &io) == 1 && io.status == 0);
	CU_ASSERT(submit(b, NVTCP_TGT_BDEV_READ, 0, sizeof(back), back) == 0);
	CU_ASSERT(memcmp(back, zero, 4096 + 1024) == 0);
	CU_ASSERT(memcmp(back + 5120, data + 1024, 3072) == 0);
	CU_ASSERT(submit(b, NVTCP_TGT_BDEV_FLUSH, 0, 0, NULL) == 0);
	tgt_bdev_destroy(b);
}

static void
test_null(void)
{
	struct nvtcp_tgt_bdev *b = NULL;
	uint8_t data[4096], zero[4096] = {0};

	CU_ASSERT_FATAL(tgt_bdev_null_create(1ull << 40, 4096, 1 << 20, &b) == 0);
	CU_ASSERT(b->discard_writes && b->size == 1ull << 40);
	CU_ASSERT(b->ops->write_ptr(b, 0, 4096) == NULL);
	CU_ASSERT(memcmp(b->ops->read_ptr(b, 1ull << 30, 4096), zero, 4096) == 0);
	CU_ASSERT(b->ops->read_ptr(b, 0, 2 << 20) == NULL);
	memset(data, 1, sizeof(data));
	CU_ASSERT(submit(b, NVTCP_TGT_BDEV_WRITE, 0, sizeof(data), data) == 0);
	CU_ASSERT(submit(b, NVTCP_TGT_BDEV_READ, 0, sizeof(data), data) == 0);
	CU_ASSERT(memcmp(data, zero, sizeof(data)) == 0);
	CU_ASSERT(submit(b, NVTCP_TGT_BDEV_READ, (1ull << 40) - 2048, 4096, data) == -ERANGE);
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

static int
reg_create(const struct nvtcp_tgt_ns_opts *opts, uint32_t max_io_size,
	   struct nvtcp_tgt_bdev **bdev, char *err, size_t errlen)
{
	return -ENOTSUP;
}

static int
reg_submit(struct nvtcp_tgt_bdev *bdev, struct nvtcp_tgt_bdev_io *io)
{
	io->status = 0;
	return 1;
}

static void
reg_destroy(struct nvtcp_tgt_bdev *bdev)
{
}

static void
test_registry(void)
{
	static char names[NVTCP_TGT_BDEV_MAX][16];
	static struct nvtcp_tgt_bdev_ops extra[NVTCP_TGT_BDEV_MAX];
	struct nvtcp_tgt_bdev_ops ops = {.name = "ut", .create = reg_create, .submit = reg_submit,
					 .destroy = reg_destroy};
	static struct nvtcp_tgt_bdev_ops good;
	struct nvtcp_tgt_ns_opts o;
	char buf[256];
	uint32_t n;

	/* The built-in backends, at their enum indexes. */
	CU_ASSERT(nvtcp_tgt_bdev_find("malloc") == &tgt_bdev_malloc_ops);
	CU_ASSERT(nvtcp_tgt_bdev_find("uring") == &tgt_bdev_uring_ops);
	CU_ASSERT(nvtcp_tgt_bdev_find("tape") == NULL && nvtcp_tgt_bdev_find(NULL) == NULL);
	CU_ASSERT(strcmp(nvtcp_tgt_bdev_names(buf, sizeof(buf)), "malloc, null, file, uring") == 0);
	nvtcp_tgt_ns_opts_init(&o);
	o.backend = NVTCP_TGT_BACKEND_FILE;
	CU_ASSERT(tgt_bdev_ns_type(&o) == NVTCP_TGT_BACKEND_FILE);
	o.backend_name = "null";
	CU_ASSERT(tgt_bdev_ns_type(&o) == NVTCP_TGT_BACKEND_NULL);
	o.backend_name = "ut";
	CU_ASSERT(tgt_bdev_ns_type(&o) == -1);

	/* Bad registrations. */
	CU_ASSERT(nvtcp_tgt_bdev_register(NULL) == -EINVAL);
	ops.name = "a:b";
	CU_ASSERT(nvtcp_tgt_bdev_register(&ops) == -EINVAL);
	ops.name = "";
	CU_ASSERT(nvtcp_tgt_bdev_register(&ops) == -EINVAL);
	ops.name = "ut";
	ops.submit = NULL;
	CU_ASSERT(nvtcp_tgt_bdev_register(&ops) == -EINVAL);
	ops.submit = reg_submit;
	ops.name = "malloc";
	CU_ASSERT(nvtcp_tgt_bdev_register(&ops) == -EEXIST);

	good = ops;
	good.name = "ut";
	CU_ASSERT(nvtcp_tgt_bdev_register(&good) == 0);
	CU_ASSERT(nvtcp_tgt_bdev_register(&good) == -EEXIST);
	CU_ASSERT(nvtcp_tgt_bdev_find("ut") == &good);
	CU_ASSERT(tgt_bdev_ns_type(&o) == NVTCP_TGT_BACKEND_URING + 1);
	CU_ASSERT(tgt_bdev_ops_at(NVTCP_TGT_BACKEND_URING + 1) == &good);
	CU_ASSERT(strstr(nvtcp_tgt_bdev_names(buf, sizeof(buf)), ", uring, ut") != NULL);
	/* A small buffer is truncated, not overrun. */
	CU_ASSERT(strlen(nvtcp_tgt_bdev_names(buf, 8)) == 7);
	/* Up to the limit, then no room. */
	n = tgt_bdev_count();
	for (uint32_t i = n; i < NVTCP_TGT_BDEV_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "x%u", i);
		extra[i] = ops;
		extra[i].name = names[i];
		CU_ASSERT(nvtcp_tgt_bdev_register(&extra[i]) == 0);
	}
	CU_ASSERT(tgt_bdev_count() == NVTCP_TGT_BDEV_MAX);
	ops.name = "one-more";
	CU_ASSERT(nvtcp_tgt_bdev_register(&ops) == -ENOSPC);
	CU_ASSERT(tgt_bdev_ops_at(NVTCP_TGT_BDEV_MAX) == NULL);
}

/* The zeroing ways the file and uring backends share: order, fallocate modes, fallbacks. */
static void
test_zero_methods(void)
{
	const uint8_t *wz = tgt_bdev_zero_steps(false), *da = tgt_bdev_zero_steps(true);
	uint8_t *buf;

	CU_ASSERT(wz[0] == TGT_ZM_ZERO_RANGE && wz[1] == TGT_ZM_PUNCH_HOLE &&
		  wz[2] == TGT_ZM_WRITE);
	CU_ASSERT(da[0] == TGT_ZM_PUNCH_HOLE && da[1] == TGT_ZM_ZERO_RANGE &&
		  da[2] == TGT_ZM_WRITE);
	CU_ASSERT(tgt_bdev_zero_falloc_mode(TGT_ZM_ZERO_RANGE) ==
		  (FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE));
	CU_ASSERT(tgt_bdev_zero_falloc_mode(TGT_ZM_PUNCH_HOLE) ==
		  (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE));
	CU_ASSERT(tgt_bdev_zero_unsupported(-EOPNOTSUPP) && tgt_bdev_zero_unsupported(-EINVAL) &&
		  tgt_bdev_zero_unsupported(-ENODEV) && tgt_bdev_zero_unsupported(-ENOTTY));
	/* A real failure is reported, not papered over by writing zeroes. */
	CU_ASSERT(!tgt_bdev_zero_unsupported(-EIO) && !tgt_bdev_zero_unsupported(-ENOSPC) &&
		  !tgt_bdev_zero_unsupported(0));
	buf = tgt_bdev_zero_buf_alloc();
	CU_ASSERT_FATAL(buf != NULL);
	CU_ASSERT(((uintptr_t)buf & 4095) == 0);
	CU_ASSERT(buf[0] == 0 && buf[TGT_BDEV_ZERO_CHUNK - 1] == 0 &&
		  memcmp(buf, buf + 1, TGT_BDEV_ZERO_CHUNK - 1) == 0);
	free(buf);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("target_bdev", suite_init, suite_fini);

	CU_ADD_TEST(s, test_bufpool);
	CU_ADD_TEST(s, test_malloc);
	CU_ADD_TEST(s, test_null);
	CU_ADD_TEST(s, test_registry);
	CU_ADD_TEST(s, test_zero_methods);
}

NVTCP_UT_MAIN(add_tests)
