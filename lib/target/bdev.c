/*
 * Namespace backends behind one small asynchronous interface: malloc (RAM from DMA-safe
 * memory) and null here, file in bdev_file.c. Also the per-reactor data buffer pool.
 *
 * malloc and null complete every operation inline: a memcpy is cheaper than any handoff, and
 * the hot paths (reads and writes without data digests) never call them at all -- the
 * connection reads straight from, and receives straight into, the namespace memory
 * (read_ptr()/write_ptr()).
 */
#include <errno.h>
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

/* ---- Shared helpers --------------------------------------------------------------------- */

void
tgt_bdev_destroy(struct tgt_bdev *bdev)
{
	if (bdev != NULL) {
		bdev->ops->destroy(bdev);
	}
}

static int
mem_range_ok(const struct tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	return off <= bdev->size && len <= bdev->size - off;
}

/* ---- malloc ------------------------------------------------------------------------------- */

static void *
malloc_ptr(struct tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	if (!mem_range_ok(bdev, off, len)) {
		return NULL;
	}
	return (uint8_t *)bdev->ctx + off;
}

static int
malloc_submit(struct tgt_bdev *bdev, struct tgt_bdev_io *io)
{
	uint8_t *base = bdev->ctx;

	io->status = 0;
	switch (io->op) {
	case TGT_BDEV_READ:
	case TGT_BDEV_WRITE:
		if (!mem_range_ok(bdev, io->offset, io->len)) {
			io->status = -ERANGE;
			break;
		}
		if (io->op == TGT_BDEV_READ) {
			nvtcp_iov_from_buf(io->iov, io->iovcnt, 0, base + io->offset, io->len);
		} else {
			nvtcp_iov_to_buf(io->iov, io->iovcnt, 0, base + io->offset, io->len);
		}
		break;
	case TGT_BDEV_FLUSH:
		break;
	case TGT_BDEV_WRITE_ZEROES:
		if (!mem_range_ok(bdev, io->offset, io->len)) {
			io->status = -ERANGE;
			break;
		}
		memset(base + io->offset, 0, io->len);
		break;
	case TGT_BDEV_DEALLOCATE:
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
malloc_destroy(struct tgt_bdev *bdev)
{
	nvtcp_dma_free(bdev->ctx);
	free(bdev);
}

static const struct tgt_bdev_ops g_malloc_ops = {
	.name = "malloc",
	.submit = malloc_submit,
	.read_ptr = malloc_ptr,
	.write_ptr = malloc_ptr,
	.destroy = malloc_destroy,
};

int
tgt_bdev_malloc_create(uint64_t size, uint32_t block_size, struct tgt_bdev **pbdev)
{
	struct tgt_bdev *bdev;

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
	bdev->ops = &g_malloc_ops;
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
null_read_ptr(struct tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	struct null_ctx *ctx = bdev->ctx;

	if (!mem_range_ok(bdev, off, len) || len > ctx->max_io) {
		return NULL;
	}
	return ctx->zeroes;
}

static void *
null_write_ptr(struct tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	return NULL;
}

static int
null_submit(struct tgt_bdev *bdev, struct tgt_bdev_io *io)
{
	io->status = 0;
	if (io->op == TGT_BDEV_READ) {
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
null_destroy(struct tgt_bdev *bdev)
{
	struct null_ctx *ctx = bdev->ctx;

	nvtcp_dma_free(ctx->zeroes);
	free(ctx);
	free(bdev);
}

static const struct tgt_bdev_ops g_null_ops = {
	.name = "null",
	.submit = null_submit,
	.read_ptr = null_read_ptr,
	.write_ptr = null_write_ptr,
	.destroy = null_destroy,
};

int
tgt_bdev_null_create(uint64_t size, uint32_t block_size, uint32_t max_io, struct tgt_bdev **pbdev)
{
	struct tgt_bdev *bdev;
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
	bdev->ops = &g_null_ops;
	bdev->type = NVTCP_TGT_BACKEND_NULL;
	bdev->size = size;
	bdev->block_size = block_size;
	bdev->ctx = ctx;
	bdev->discard_writes = true;
	bdev->dealloc_zeroes = true;
	*pbdev = bdev;
	return 0;
}
