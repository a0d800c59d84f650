/*
 * The registry of namespace backends (nvtcp/target_bdev.h) and two of the built-in ones:
 * malloc (RAM from DMA-safe memory) and null here; file in bdev_file.c, uring in
 * bdev_uring.c. Also the per-reactor data buffer pool.
 *
 * malloc and null complete every operation inline: a memcpy is cheaper than any handoff, and
 * the hot paths (reads and writes without data digests) never call them at all -- the
 * connection reads straight from, and receives straight into, the namespace memory
 * (read_ptr()/write_ptr()).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target_internal.h"

/* ---- Buffer pool ---------------------------------------------------------------------------- */

/*
 * One DMA-safe slab per reactor, 4 KiB aligned so that the file backend can use O_DIRECT on
 * any buffer, and a LIFO stack of free buffers: only the owning reactor touches it, so it needs
 * no atomics, and LIFO hands out the buffer that is warmest in cache.
 */
int
tgt_bufpool_init(struct tgt_bufpool *bp, uint32_t count, uint32_t size, int numa)
{
	memset(bp, 0, sizeof(*bp));
	bp->base = nvtcp_dma_zmalloc((size_t)count * size, 4096, numa);
	bp->stack = calloc(count, sizeof(void *));
	if (bp->base == NULL || bp->stack == NULL) {
		nvtcp_dma_free(bp->base);
		free(bp->stack);
		memset(bp, 0, sizeof(*bp));
		return -ENOMEM;
	}
	bp->count = count;
	bp->size = size;
	for (uint32_t i = 0; i < count; i++) {
		bp->stack[i] = bp->base + (size_t)(count - 1 - i) * size;
	}
	bp->nfree = count;
	return 0;
}

void
tgt_bufpool_fini(struct tgt_bufpool *bp)
{
	if (bp->base != NULL && bp->nfree != bp->count) {
		NVTCP_ERRLOG("buffer pool freed with %u of %u buffers still out\n",
			     bp->count - bp->nfree, bp->count);
	}
	nvtcp_dma_free(bp->base);
	free(bp->stack);
	memset(bp, 0, sizeof(*bp));
}

/* ---- Zeroing (file and uring backends) --------------------------------------------------- */

static const uint8_t g_wz_steps[] = {TGT_ZM_ZERO_RANGE, TGT_ZM_PUNCH_HOLE, TGT_ZM_WRITE};
static const uint8_t g_dealloc_steps[] = {TGT_ZM_PUNCH_HOLE, TGT_ZM_ZERO_RANGE, TGT_ZM_WRITE};

const uint8_t *
tgt_bdev_zero_steps(bool dealloc)
{
	/* Deallocate would rather free the blocks; Write Zeroes would rather keep them. */
	return dealloc ? g_dealloc_steps : g_wz_steps;
}

int
tgt_bdev_zero_falloc_mode(uint8_t method)
{
	/* KEEP_SIZE: a range past the end of a file must not grow it. Linux implements both
	 * modes for block devices too. */
	return (method == TGT_ZM_PUNCH_HOLE ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE) |
	       FALLOC_FL_KEEP_SIZE;
}

bool
tgt_bdev_zero_unsupported(int err)
{
	/* EOPNOTSUPP: the file system or driver lacks it; EINVAL: not at this alignment;
	 * ENODEV / ENOTTY: not for this kind of file. Anything else is a real failure. */
	return err == -EOPNOTSUPP || err == -EINVAL || err == -ENODEV || err == -ENOTTY;
}

void *
tgt_bdev_zero_buf_alloc(void)
{
	void *buf = aligned_alloc(4096, TGT_BDEV_ZERO_CHUNK);

	if (buf != NULL) {
		memset(buf, 0, TGT_BDEV_ZERO_CHUNK);
	}
	return buf;
}

/* ---- Registry ---------------------------------------------------------------------------- */

/* The built-in backends first, at the indexes of enum nvtcp_tgt_backend. Appended to only (on
 * the management thread); data reactors read the count with acquire. */
static const struct nvtcp_tgt_bdev_ops *g_bdevs[NVTCP_TGT_BDEV_MAX] = {
	[NVTCP_TGT_BACKEND_MALLOC] = &tgt_bdev_malloc_ops,
	[NVTCP_TGT_BACKEND_NULL] = &tgt_bdev_null_ops,
	[NVTCP_TGT_BACKEND_FILE] = &tgt_bdev_file_ops,
	[NVTCP_TGT_BACKEND_URING] = &tgt_bdev_uring_ops,
};
static uint32_t g_nbdevs = NVTCP_TGT_BACKEND_URING + 1;

uint32_t
tgt_bdev_count(void)
{
	return __atomic_load_n(&g_nbdevs, __ATOMIC_ACQUIRE);
}

const struct nvtcp_tgt_bdev_ops *
tgt_bdev_ops_at(uint32_t type)
{
	return type < tgt_bdev_count() ? g_bdevs[type] : NULL;
}

int
nvtcp_tgt_bdev_register(const struct nvtcp_tgt_bdev_ops *ops)
{
	uint32_t n = tgt_bdev_count();

	if (ops == NULL || ops->name == NULL || ops->name[0] == '\0' ||
	    strchr(ops->name, ':') != NULL || ops->create == NULL || ops->submit == NULL ||
	    ops->destroy == NULL) {
		return -EINVAL;
	}
	if (nvtcp_tgt_bdev_find(ops->name) != NULL) {
		return -EEXIST;
	}
	if (n == NVTCP_TGT_BDEV_MAX) {
		return -ENOSPC;
	}
	g_bdevs[n] = ops;
	__atomic_store_n(&g_nbdevs, n + 1, __ATOMIC_RELEASE);
	return 0;
}

int
tgt_bdev_ns_type(const struct nvtcp_tgt_ns_opts *opts)
{
	uint32_t n = tgt_bdev_count();

	if (opts->backend_name == NULL) {
		return opts->backend <= NVTCP_TGT_BACKEND_URING ? (int)opts->backend : -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(g_bdevs[i]->name, opts->backend_name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

const struct nvtcp_tgt_bdev_ops *
nvtcp_tgt_bdev_find(const char *name)
{
	uint32_t n = tgt_bdev_count();

	for (uint32_t i = 0; name != NULL && i < n; i++) {
		if (strcmp(g_bdevs[i]->name, name) == 0) {
			return g_bdevs[i];
		}
	}
	return NULL;
}

const char *
nvtcp_tgt_bdev_names(char *buf, size_t len)
{
	uint32_t n = tgt_bdev_count();
	size_t off = 0;

	if (len == 0) {
		return buf;
	}
	buf[0] = '\0';
	for (uint32_t i = 0; i < n && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i > 0 ? ", " : "", g_bdevs[i]->name);

		if (w < 0) {
			break;
		}
		off += (size_t)w;
	}
	return buf;
}

int
tgt_bdev_poll(struct tgt_pg *pg)
{
	uint32_t n = tgt_bdev_count();
	int work = 0;

	for (uint32_t t = 0; t < n; t++) {
		if (pg->bdev_ctx[t] != NULL && g_bdevs[t]->poll != NULL) {
			work += g_bdevs[t]->poll(pg->bdev_ctx[t]);
		}
	}
	return work;
}

void
tgt_bdev_pg_fini(struct tgt_pg *pg)
{
	uint32_t n = tgt_bdev_count();

	for (uint32_t t = 0; t < n; t++) {
		if (pg->bdev_ctx[t] != NULL && g_bdevs[t]->reactor_fini != NULL) {
			g_bdevs[t]->reactor_fini(pg->bdev_ctx[t]);
		}
		pg->bdev_ctx[t] = NULL;
	}
}

void
tgt_bdev_destroy(struct nvtcp_tgt_bdev *bdev)
{
	if (bdev != NULL) {
		bdev->ops->destroy(bdev);
	}
}

static int
mem_range_ok(const struct nvtcp_tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	return off <= bdev->size && len <= bdev->size - off;
}

/* ---- malloc ------------------------------------------------------------------------------- */

static void *
malloc_ptr(struct nvtcp_tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	if (!mem_range_ok(bdev, off, len)) {
		return NULL;
	}
	return (uint8_t *)bdev->ctx + off;
}

static int
malloc_submit(struct nvtcp_tgt_bdev *bdev, struct nvtcp_tgt_bdev_io *io)
{
	uint8_t *base = bdev->ctx;

	io->status = 0;
	switch (io->op) {
	case NVTCP_TGT_BDEV_READ:
	case NVTCP_TGT_BDEV_WRITE:
		if (!mem_range_ok(bdev, io->offset, io->len)) {
			io->status = -ERANGE;
			break;
		}
		if (io->op == NVTCP_TGT_BDEV_READ) {
			nvtcp_iov_from_buf(io->iov, io->iovcnt, 0, base + io->offset, io->len);
		} else {
			nvtcp_iov_to_buf(io->iov, io->iovcnt, 0, base + io->offset, io->len);
		}
		break;
	case NVTCP_TGT_BDEV_FLUSH:
		break;
	case NVTCP_TGT_BDEV_WRITE_ZEROES:
		if (!mem_range_ok(bdev, io->offset, io->len)) {
			io->status = -ERANGE;
			break;
		}
		memset(base + io->offset, 0, io->len);
		break;
	case NVTCP_TGT_BDEV_DEALLOCATE:
		/* Deallocated blocks read as zeroes (DLFEAT says so): zero them. */
		for (uint32_t i = 0; i < io->nranges; i++) {
			uint64_t off = io->ranges[i].slba << io->block_shift;
			uint64_t len = (uint64_t)io->ranges[i].nlb << io->block_shift;

			if (mem_range_ok(bdev, off, len)) {
				memset(base + off, 0, len);
			}
		}
		break;
	default:
		io->status = -EINVAL;
	}
	return 1;
}

static void
malloc_destroy(struct nvtcp_tgt_bdev *bdev)
{
	nvtcp_dma_free(bdev->ctx);
	free(bdev);
}

static int
malloc_create(const struct nvtcp_tgt_ns_opts *opts, uint32_t max_io_size,
	      struct nvtcp_tgt_bdev **bdev, char *err, size_t errlen)
{
	int rc = tgt_bdev_malloc_create(opts->size, opts->block_size, bdev);

	if (rc != 0) {
		snprintf(err, errlen, "malloc namespace of %llu bytes: %s (more DMA memory? see -s)",
			 (unsigned long long)opts->size, strerror(-rc));
	}
	return rc;
}

const struct nvtcp_tgt_bdev_ops tgt_bdev_malloc_ops = {
	.name = "malloc",
	.create = malloc_create,
	.submit = malloc_submit,
	.read_ptr = malloc_ptr,
	.write_ptr = malloc_ptr,
	.destroy = malloc_destroy,
};

int
tgt_bdev_malloc_create(uint64_t size, uint32_t block_size, struct nvtcp_tgt_bdev **pbdev)
{
	struct nvtcp_tgt_bdev *bdev;

	if (size == 0 || size % block_size != 0) {
		return -EINVAL;
	}
	bdev = calloc(1, sizeof(*bdev));
	if (bdev == NULL) {
		return -ENOMEM;
	}
	/* Zeroed memory: a fresh namespace reads as zeroes, like deallocated blocks. */
	bdev->ctx = nvtcp_dma_zmalloc(size, 4096, NVTCP_ENV_NUMA_ANY);
	if (bdev->ctx == NULL) {
		free(bdev);
		return -ENOMEM;
	}
	/* Touch every page now: without hugepages the memory is mapped on first use, and a page
	 * fault per 4 KiB on the I/O path would distort every benchmark of a fresh namespace. */
	for (uint64_t off = 0; off < size; off += 4096) {
		((volatile uint8_t *)bdev->ctx)[off] = 0;
	}
	bdev->ops = &tgt_bdev_malloc_ops;
	bdev->type = NVTCP_TGT_BACKEND_MALLOC;
	bdev->size = size;
	bdev->block_size = block_size;
	bdev->dealloc_zeroes = true;
	*pbdev = bdev;
	return 0;
}

/* ---- null ----------------------------------------------------------------------------------- */

struct null_ctx {
	void *zeroes;
	uint32_t max_io;
};

static void *
null_read_ptr(struct nvtcp_tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	struct null_ctx *ctx = bdev->ctx;

	if (!mem_range_ok(bdev, off, len) || len > ctx->max_io) {
		return NULL;
	}
	return ctx->zeroes;
}

static void *
null_write_ptr(struct nvtcp_tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	return NULL;
}

static int
null_submit(struct nvtcp_tgt_bdev *bdev, struct nvtcp_tgt_bdev_io *io)
{
	io->status = 0;
	if (io->op == NVTCP_TGT_BDEV_READ) {
		if (!mem_range_ok(bdev, io->offset, io->len)) {
			io->status = -ERANGE;
			return 1;
		}
		for (int i = 0; i < io->iovcnt; i++) {
			memset(io->iov[i].iov_base, 0, io->iov[i].iov_len);
		}
	}
	return 1;
}

static void
null_destroy(struct nvtcp_tgt_bdev *bdev)
{
	struct null_ctx *ctx = bdev->ctx;

	nvtcp_dma_free(ctx->zeroes);
	free(ctx);
	free(bdev);
}

static int
null_create(const struct nvtcp_tgt_ns_opts *opts, uint32_t max_io_size,
	    struct nvtcp_tgt_bdev **bdev, char *err, size_t errlen)
{
	int rc = tgt_bdev_null_create(opts->size, opts->block_size, max_io_size, bdev);

	if (rc != 0) {
		snprintf(err, errlen, "null namespace: %s", strerror(-rc));
	}
	return rc;
}

const struct nvtcp_tgt_bdev_ops tgt_bdev_null_ops = {
	.name = "null",
	.create = null_create,
	.submit = null_submit,
	.read_ptr = null_read_ptr,
	.write_ptr = null_write_ptr,
	.destroy = null_destroy,
};

int
tgt_bdev_null_create(uint64_t size, uint32_t block_size, uint32_t max_io,
		     struct nvtcp_tgt_bdev **pbdev)
{
	struct nvtcp_tgt_bdev *bdev;
	struct null_ctx *ctx;

	if (size == 0 || size % block_size != 0 || max_io == 0) {
		return -EINVAL;
	}
	bdev = calloc(1, sizeof(*bdev));
	ctx = calloc(1, sizeof(*ctx));
	if (bdev == NULL || ctx == NULL) {
		free(bdev);
		free(ctx);
		return -ENOMEM;
	}
	/* One zero buffer shared by every read of every reactor: it is never written. */
	ctx->zeroes = nvtcp_dma_zmalloc(max_io, 4096, NVTCP_ENV_NUMA_ANY);
	if (ctx->zeroes == NULL) {
		free(bdev);
		free(ctx);
		return -ENOMEM;
	}
	ctx->max_io = max_io;
	bdev->ops = &tgt_bdev_null_ops;
	bdev->type = NVTCP_TGT_BACKEND_NULL;
	bdev->read_ptr_stable = true;
	bdev->size = size;
	bdev->block_size = block_size;
	bdev->ctx = ctx;
	bdev->discard_writes = true;
	bdev->dealloc_zeroes = true;
	*pbdev = bdev;
	return 0;
}
