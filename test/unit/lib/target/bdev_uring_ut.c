/*
 * Unit tests of lib/target/bdev_uring.c on a real io_uring and a temporary file: every
 * operation, the direct and page-cache paths (and the fall-back from one to the other), short
 * transfers, a full ring, no io_uring at all, and the errors of opening.
 */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tgt_ut.h"
#include "target/bdev_uring.c"

#define FILE_SIZE (4u << 20)

/* The uring backend's slot of the (one) reactor: its ring, made on first use. */
static void *g_slot;
static int g_done;
static int g_status;
static char g_path[64];

static void
io_cb(struct nvtcp_tgt_bdev_io *io)
{
	g_done++;
	g_status = io->status;
}

static void
poll_until(int n)
{
	for (int i = 0; i < 20000 && g_done < n; i++) {
		if (g_slot == NULL || uring_poll(g_slot) == 0) {
			usleep(100);
		}
	}
	CU_ASSERT(g_done == n);
}

static int
run_iov(struct nvtcp_tgt_bdev *b, enum nvtcp_tgt_bdev_op op, uint64_t off, uint64_t len,
	const struct iovec *iov, int iovcnt, bool fua)
{
	struct nvtcp_tgt_bdev_io io = {.op = op, .offset = off, .len = len, .iov = iov,
				 .iovcnt = iovcnt, .cb = io_cb, .reactor_ctx = &g_slot, .bdev = b,
				 .fua = fua, .block_shift = 9};

	g_done = 0;
	if (b->ops->submit(b, &io) == 1) {
		return io.status;
	}
	/* Nothing reaches the kernel before the poll: one submission per poll. */
	CU_ASSERT(((struct tgt_uring *)g_slot) != NULL && ((struct tgt_uring *)g_slot)->inflight == 0);
	poll_until(1);
	return g_status;
}

static int
run(struct nvtcp_tgt_bdev *b, enum nvtcp_tgt_bdev_op op, uint64_t off, uint64_t len, void *buf, bool fua)
{
	struct iovec iov[2] = {{.iov_base = buf, .iov_len = len / 2},
			       {.iov_base = (uint8_t *)buf + len / 2, .iov_len = len - len / 2}};

	return run_iov(b, op, off, len, iov, buf != NULL ? 2 : 0, fua);
}

static int
dealloc(struct nvtcp_tgt_bdev *b, const struct nvtcp_nvme_dsm_range *r, uint32_t nr)
{
	struct nvtcp_tgt_bdev_io io = {.op = NVTCP_TGT_BDEV_DEALLOCATE, .ranges = r, .nranges = nr,
				 .block_shift = 9, .cb = io_cb, .reactor_ctx = &g_slot, .bdev = b};

	g_done = 0;
	if (b->ops->submit(b, &io) == 1) {
		return io.status;
	}
	poll_until(1);
	return g_status;
}

static uint8_t g_data[65536] __attribute__((aligned(4096)));
static uint8_t g_back[65536 + 4096] __attribute__((aligned(4096)));
static const uint8_t g_zero[65536];

static void
fill(uint8_t seed)
{
	for (uint32_t i = 0; i < sizeof(g_data); i++) {
		g_data[i] = (uint8_t)(i * 31 + seed);
	}
}

static struct nvtcp_tgt_bdev *
open_new(void)
{
	struct nvtcp_tgt_bdev *b = NULL;
	char err[256];

	unlink(g_path);
	CU_ASSERT_FATAL(tgt_bdev_uring_create(g_path, FILE_SIZE, 512, true, &b, err,
					      sizeof(err)) == 0);
	return b;
}

static void
test_rw(void)
{
	struct nvtcp_tgt_bdev *b = open_new();
	struct uring_ctx *ctx = b->ctx;
	char err[256];

	CU_ASSERT(b->size == FILE_SIZE && b->volatile_cache && b->dealloc_zeroes);
	CU_ASSERT(b->ops->read_ptr == NULL && b->ops->write_ptr == NULL);
	/* ext4 (and most file systems) take O_DIRECT. */
	CU_ASSERT(ctx->fd_direct >= 0);
	fill(1);
	/* Aligned: the direct descriptor. */
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE, 0, sizeof(g_data), g_data, false) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 0, sizeof(g_data), g_back, false) == 0);
	CU_ASSERT(memcmp(g_back, g_data, sizeof(g_data)) == 0);
	/* Unaligned offset, length and buffer: the page cache, coherent with the above. */
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE, 512 * 1001, 1536, g_data + 7, true) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 512 * 1001, 1536, g_back + 3, false) == 0);
	CU_ASSERT(memcmp(g_back + 3, g_data + 7, 1536) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 512 * 1000, 4096, g_back, false) == 0);
	CU_ASSERT(memcmp(g_back + 512, g_data + 7, 1536) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_FLUSH, 0, 0, NULL, false) == 0);
	/* Out of range fails inline; an unknown op too. */
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, FILE_SIZE - 512, 1024, g_back, false) == -ERANGE);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE_ZEROES, FILE_SIZE, 512, NULL, false) == -ERANGE);
	CU_ASSERT(run(b, (enum nvtcp_tgt_bdev_op)99, 0, 512, NULL, false) == -EINVAL);
	tgt_bdev_destroy(b);

	/* Reopened with a 4 KiB block: the size comes from the file, the data is there. */
	CU_ASSERT_FATAL(tgt_bdev_uring_create(g_path, 0, 4096, false, &b, err, sizeof(err)) == 0);
	CU_ASSERT(b->size == FILE_SIZE && b->block_size == 4096);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 8192, 8192, g_back, false) == 0);
	CU_ASSERT(memcmp(g_back, g_data + 8192, 8192) == 0);
	tgt_bdev_destroy(b);
}

static void
test_zeroes(void)
{
	struct nvtcp_tgt_bdev *b = open_new();
	struct nvtcp_nvme_dsm_range r[3] = {
		{.slba = 8, .nlb = 8},     /* [4K, 8K) */
		{.slba = 100, .nlb = 0},   /* empty: skipped */
		{.slba = 40, .nlb = 3},    /* [20K, 21.5K): not page aligned */
	};
	struct nvtcp_nvme_dsm_range bad = {.slba = FILE_SIZE / 512, .nlb = 1};

	fill(2);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE, 0, sizeof(g_data), g_data, false) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE_ZEROES, 32768, 8192, NULL, false) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 0, sizeof(g_data), g_back, false) == 0);
	CU_ASSERT(memcmp(g_back, g_data, 32768) == 0);
	CU_ASSERT(memcmp(g_back + 32768, g_zero, 8192) == 0);
	CU_ASSERT(memcmp(g_back + 40960, g_data + 40960, 65536 - 40960) == 0);

	/* Deallocated blocks read as zeroes, as DLFEAT promises; the rest is untouched. */
	CU_ASSERT(dealloc(b, r, 3) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 0, 32768, g_back, false) == 0);
	CU_ASSERT(memcmp(g_back, g_data, 4096) == 0);
	CU_ASSERT(memcmp(g_back + 4096, g_zero, 4096) == 0);
	CU_ASSERT(memcmp(g_back + 8192, g_data + 8192, 20480 - 8192) == 0);
	CU_ASSERT(memcmp(g_back + 20480, g_zero, 1536) == 0);
	CU_ASSERT(memcmp(g_back + 22016, g_data + 22016, 32768 - 22016) == 0);
	CU_ASSERT(dealloc(b, &bad, 1) == -ERANGE);
	CU_ASSERT(dealloc(b, &r[1], 1) == 0);

	/* The last resort (writes of zeroes) when fallocate cannot do either. */
	((struct uring_ctx *)b->ctx)->no_method[TGT_ZM_ZERO_RANGE] = true;
	((struct uring_ctx *)b->ctx)->no_method[TGT_ZM_PUNCH_HOLE] = true;
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE, 0, sizeof(g_data), g_data, false) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE_ZEROES, 512, 63 * 512, NULL, false) == 0);
	CU_ASSERT(dealloc(b, r, 1) == 0);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 0, sizeof(g_data), g_back, false) == 0);
	CU_ASSERT(memcmp(g_back, g_data, 512) == 0);
	CU_ASSERT(memcmp(g_back + 512, g_zero, 63 * 512) == 0);
	CU_ASSERT(memcmp(g_back + 32768, g_data + 32768, 32768) == 0);
	tgt_bdev_destroy(b);
}

/* A file that shrank under the namespace: the read comes back short (direct: at the old end
 * of file, unaligned), is resumed through the page cache, and reads zeroes past the end. */
static void
test_short(void)
{
	struct nvtcp_tgt_bdev *b = open_new();
	struct iovec iov[3] = {{g_back, 4096}, {g_back + 4096, 4096}, {g_back + 8192, 8192}};

	fill(3);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE, 0, 16384, g_data, false) == 0);
	CU_ASSERT_FATAL(truncate(g_path, 6000) == 0);
	memset(g_back, 0xAA, 16384);
	CU_ASSERT(run_iov(b, NVTCP_TGT_BDEV_READ, 0, 16384, iov, 3, false) == 0);
	CU_ASSERT(memcmp(g_back, g_data, 6000) == 0);
	CU_ASSERT(memcmp(g_back + 6000, g_zero, 16384 - 6000) == 0);
	/* Writes extend it again. */
	CU_ASSERT(run_iov(b, NVTCP_TGT_BDEV_WRITE, 0, 16384, iov, 3, false) == 0);
	tgt_bdev_destroy(b);
}

/* More operations than the ring takes at once: the rest wait and go out on later polls. */
static void
test_full_ring(void)
{
	enum { N = 1500 };
	static struct nvtcp_tgt_bdev_io ios[N];
	static struct iovec iov[N];
	struct nvtcp_tgt_bdev *b = open_new();
	uint32_t queued = 0;

	fill(4);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE, 0, sizeof(g_data), g_data, false) == 0);
	g_done = 0;
	for (int i = 0; i < N; i++) {
		iov[i].iov_base = malloc(512);
		iov[i].iov_len = 512;
		ios[i] = (struct nvtcp_tgt_bdev_io){.op = NVTCP_TGT_BDEV_READ, .offset = (uint64_t)(i % 128) * 512,
					      .len = 512, .iov = &iov[i], .iovcnt = 1,
					      .cb = io_cb, .reactor_ctx = &g_slot, .bdev = b};
		CU_ASSERT(b->ops->submit(b, &ios[i]) == 0);
	}
	for (struct nvtcp_tgt_bdev_io *io = ((struct tgt_uring *)g_slot)->wait_head; io != NULL; io = op_of(io)->next) {
		queued++;
	}
	CU_ASSERT(queued > 0 && queued < N);
	poll_until(N);
	CU_ASSERT(((struct tgt_uring *)g_slot)->inflight == 0 && ((struct tgt_uring *)g_slot)->wait_head == NULL);
	for (int i = 0; i < N; i++) {
		CU_ASSERT(ios[i].status == 0);
		CU_ASSERT(memcmp(iov[i].iov_base, g_data + (i % 128) * 512, 512) == 0);
		free(iov[i].iov_base);
	}
	tgt_bdev_destroy(b);
}

/* A device that wants more alignment than it reported: the direct attempt fails with EINVAL,
 * the operation is redone through the page cache, and the namespace stops trying O_DIRECT. */
static void
test_dio_fallback(void)
{
	struct nvtcp_tgt_bdev *b = open_new();
	struct uring_ctx *ctx = b->ctx;

	CU_ASSERT_FATAL(ctx->fd_direct >= 0);
	ctx->dio_off_mask = 0;
	ctx->dio_mem_mask = 0;
	fill(5);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_WRITE, 4096, 4096, g_data + 1, false) == 0);
	CU_ASSERT(ctx->no_dio);
	CU_ASSERT(run(b, NVTCP_TGT_BDEV_READ, 4096, 4096, g_back, false) == 0);
	CU_ASSERT(memcmp(g_back, g_data + 1, 4096) == 0);
	tgt_bdev_destroy(b);
}

/* Without io_uring (here: a seccomp filter failing io_uring_setup with ENOSYS, as some
 * container runtimes do) the namespace is refused, and the message says what to use. */
static void
test_no_io_uring(void)
{
	pid_t pid = fork();
	int status = -1;

	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = {.len = NVTCP_COUNTOF(f), .filter = f};
		struct nvtcp_tgt_bdev *b = NULL;
		char err[256] = "";
		int rc;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
			_exit(2);
		}
		rc = tgt_bdev_uring_create(g_path, FILE_SIZE, 512, true, &b, err, sizeof(err));
		_exit(rc == -ENOSYS && strstr(err, "io_uring is not available") != NULL &&
		      strstr(err, "use the file backend") != NULL ? 0 : 1);
	}
	CU_ASSERT(waitpid(pid, &status, 0) == pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_open_errors(void)
{
	struct nvtcp_tgt_bdev *b = NULL;
	char err[256];

	unlink(g_path);
	CU_ASSERT(tgt_bdev_uring_create(g_path, 0, 512, true, &b, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "no size") != NULL);
	CU_ASSERT(tgt_bdev_uring_create(g_path, 0, 512, false, &b, err, sizeof(err)) == -ENOENT);
	CU_ASSERT(strstr(err, g_path) != NULL);
	CU_ASSERT(tgt_bdev_uring_create("/tmp", 0, 512, false, &b, err, sizeof(err)) != 0);
	CU_ASSERT(tgt_bdev_uring_create("", 0, 512, false, &b, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "path") != NULL);
	/* Smaller than one block. */
	CU_ASSERT_FATAL(tgt_bdev_uring_create(g_path, 100, 512, true, &b, err, sizeof(err)) ==
			-EINVAL);
	CU_ASSERT(strstr(err, "smaller than one") != NULL);
	unlink(g_path);
}

static int
suite_init(void)
{
	int fd;

	if (ut_env_setup("bdev_uring_ut") != 0) {
		return -1;
	}
	snprintf(g_path, sizeof(g_path), "/tmp/nvtcp_bdev_uring_utXXXXXX");
	fd = mkstemp(g_path);
	if (fd < 0) {
		return -1;
	}
	close(fd);
	return 0;
}

static int
suite_fini(void)
{
	if (g_slot != NULL) {
		uring_reactor_fini(g_slot);
	}
	unlink(g_path);
	ut_env_teardown();
	return 0;
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("target_bdev_uring", suite_init, suite_fini);

	CU_ADD_TEST(s, test_rw);
	CU_ADD_TEST(s, test_zeroes);
	CU_ADD_TEST(s, test_short);
	CU_ADD_TEST(s, test_full_ring);
	CU_ADD_TEST(s, test_dio_fallback);
	CU_ADD_TEST(s, test_no_io_uring);
	CU_ADD_TEST(s, test_open_errors);
}

NVTCP_UT_MAIN(add_tests)
