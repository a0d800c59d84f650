/*
 * Unit tests of lib/target/bdev_file.c: the file backend's worker threads, completions
 * carried back by the pg's ring, every operation, and the errors of opening.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "tgt_ut.h"

/* The file backend's slot of the (one) reactor: its completion ring, made on first use. */
static void *g_slot;
static int g_done;
static int g_status;

static void
io_cb(struct nvtcp_tgt_bdev_io *io)
{
	g_done++;
	g_status = io->status;
}

static int
run(struct nvtcp_tgt_bdev *b, enum nvtcp_tgt_bdev_op op, uint64_t off, uint64_t len, void *buf, bool fua)
{
	struct iovec iov[2] = {{.iov_base = buf, .iov_len = len / 2},
			       {.iov_base = (uint8_t *)buf + len / 2, .iov_len = len - len / 2}};
	struct nvtcp_tgt_bdev_io io = {.op = op, .offset = off, .len = len, .iov = iov,
				 .iovcnt = buf ? 2 : 0, .cb = io_cb, .reactor_ctx = &g_slot, .bdev = b,
				 .fua = fua, .block_shift = 9};

	g_done = 0;
	if (b->ops->submit(b, &io) == 1) {
		return io.status;
	}
	for (int i = 0; i < 5000 && g_done == 0; i++) {
		if (g_slot != NULL) {
			tgt_bdev_file_ops.poll(g_slot);
		}
		usleep(1000);
	}
	CU_ASSERT(g_done == 1);
	return g_status;
}

static void
test_file_io(void)
{
	char path[] = "/tmp/nvtcp_bdev_file_utXXXXXX";
	struct nvtcp_tgt_bdev *b = NULL;
	static uint8_t data[65536] __attribute__((aligned(4096)));
	static uint8_t back[65536] __attribute__((aligned(4096)));
	static uint8_t zero[65536];
	struct nvtcp_nvme_dsm_range r = {.nlb = 8, .slba = 0};
	char err[256];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	unlink(path);
	/* Missing file, no size. */
	CU_ASSERT(tgt_bdev_file_create(path, 0, 512, true, 2, &b, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "no size") != NULL);
	/* Created with a size. */
	CU_ASSERT_FATAL(tgt_bdev_file_create(path, 4 << 20, 512, true, 2, &b, err,
					     sizeof(err)) == 0);
	CU_ASSERT(b->size == 4 << 20 && b->volatile_cache && b->ops->read_ptr == NULL);
	for (uint32_t i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i * 31);
	}
	/* Aligned (O_DIRECT when the file system allows it) and unaligned (page cache). */
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE, 0, sizeof(data), data, false) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 0, sizeof(back), back, false) == 0);
	CU_ASSERT(memcmp(back, data, sizeof(data)) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE, 512 * 1001, 1536, data, true) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 512 * 1001, 1536, back, false) == 0);
	CU_ASSERT(memcmp(back, data, 1536) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_FLUSH, 0, 0, NULL, false) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE_ZEROES, 4096, 8192, NULL, false) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 0, 16384, back, false) == 0);
	CU_ASSERT(memcmp(back, data, 4096) == 0);
	CU_ASSERT(memcmp(back + 4096, zero, 8192) == 0);
	CU_ASSERT(memcmp(back + 12288, data + 12288, 4096) == 0);
	{
		struct nvtcp_tgt_bdev_io io = {.op = NVTCP_TGT_BDEV_DEALLOCATE, .ranges = &r, .nranges = 1,
					 .block_shift = 9, .cb = io_cb, .reactor_ctx = &g_slot, .bdev = b};

		g_done = 0;
		CU_ASSERT(b->ops->submit(b, &io) == 0);
		for (int i = 0; i < 5000 && g_done == 0; i++) {
			if (g_slot != NULL) {
				tgt_bdev_file_ops.poll(g_slot);
			}
			usleep(1000);
		}
		CU_ASSERT(g_done == 1 && g_status == 0);
	}
	/* Out of range fails inline. */
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, (4 << 20) - 512, 1024, back, false) == -ERANGE);
	tgt_bdev_destroy(b);
	/* Reopened: the size comes from the file, the data is there. */
	CU_ASSERT_FATAL(tgt_bdev_file_create(path, 0, 4096, false, 1, &b, err, sizeof(err)) == 0);
	CU_ASSERT(b->size == 4 << 20);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 12288, 4096, back, false) == 0);
	CU_ASSERT(memcmp(back, data + 12288, 4096) == 0);
	tgt_bdev_destroy(b);
	unlink(path);
	/* Not a file. */
	CU_ASSERT(tgt_bdev_file_create("/tmp", 0, 512, false, 1, &b, err, sizeof(err)) != 0);
	CU_ASSERT(tgt_bdev_file_create(path, 0, 512, false, 1, &b, err, sizeof(err)) == -ENOENT);
	CU_ASSERT(tgt_bdev_file_create(path, 1 << 20, 512, true, 0, &b, err, sizeof(err)) == -EINVAL);
}

static int
suite_init(void)
{
	if (ut_env_setup("bdev_file_ut") != 0) {
		return -1;
	}
	return 0;
}

static int
suite_fini(void)
{
	if (g_slot != NULL) {
		tgt_bdev_file_ops.reactor_fini(g_slot);
	}
	ut_env_teardown();
	return 0;
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("target_bdev_file", suite_init, suite_fini);

	CU_ADD_TEST(s, test_file_io);
}

NVTCP_UT_MAIN(add_tests)
