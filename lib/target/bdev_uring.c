/*
 * The io_uring backend: a regular file or a block device driven asynchronously from the
 * reactors themselves, with no worker threads.
 *
 * Each data reactor owns one io_uring (the backend's per-reactor slot), shared by every uring
 * namespace, created the first time one of them submits on that reactor. submit() only
 * prepares SQEs; the pg poller calls the backend's poll function once per poll, after the
 * network, which hands everything prepared in that poll to the kernel with one
 * io_uring_submit() and then reaps completions without waiting. Completions therefore run on
 * the reactor that submitted. Operations that find no free SQE, or that
 * would let more operations be in flight than the completion queue holds, wait in a FIFO and
 * go out on a later poll: nothing is dropped and nothing blocks.
 *
 * Two descriptors per namespace: one opened with O_DIRECT, used when the device accepts it
 * and an operation's offset, length and every buffer meet its direct I/O alignment (the
 * logical block size of a block device, statx's DIO alignment of a file), and one through
 * the page cache for everything else. Linux keeps the two coherent. Pool buffers are 4 KiB
 * aligned, so ordinary reads and writes go direct without any copy.
 *
 * Short transfers are resumed where they stopped; -EAGAIN and -EINTR are retried. Write
 * Zeroes and Deallocate both guarantee zeroes (DLFEAT says so): fallocate ZERO_RANGE or
 * PUNCH_HOLE (both with KEEP_SIZE; Linux implements them for block devices too), the other
 * one when the first is not supported, and writes of a zero buffer as the last resort.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target_internal.h"

/* SQ entries of a reactor's ring (the CQ has twice as many). */
#define URING_ENTRIES 256
/* CQEs reaped per batch. */
#define URING_REAP_BATCH 64
/* Alignment assumed when the kernel does not report one for a file. */
#define URING_DIO_ALIGN_DEFAULT 4096u

struct tgt_uring {
	struct io_uring ring;
	/* Operations waiting for an SQE, in submission order. */
	struct nvtcp_tgt_bdev_io *wait_head;
	struct nvtcp_tgt_bdev_io **wait_tail;
	uint32_t inflight;      /* handed to the kernel, not reaped */
	uint32_t cap;           /* inflight + prepared never exceed the CQ size */
	int init_rc;            /* the ring could not be created: every operation fails */
};

struct uring_ctx {
	int fd;
	int fd_direct;          /* -1: no O_DIRECT */
	uint32_t dio_off_mask;  /* offset and length alignment - 1 */
	uint32_t dio_mem_mask;  /* buffer alignment - 1 */
	bool blockdev;
	/* Set (relaxed) by any reactor that learns the device refuses something. */
	bool no_dio;
	bool no_method[TGT_ZM_WRITE];
	void *zeroes;
	char path[256];
};

/* Progress of one operation, kept in io->priv. */
struct uring_op {
	uint64_t done;              /* bytes of the transfer (or of the current range) done */
	struct nvtcp_tgt_bdev_io *next;   /* wait list */
	uint32_t range;             /* DEALLOCATE: current range */
	uint8_t step;               /* zeroing: index into the op's step list */
	bool direct;
};

_Static_assert(sizeof(struct uring_op) <= sizeof(((struct nvtcp_tgt_bdev_io *)0)->priv),
	       "uring_op must fit in tgt_bdev_io.priv");

static inline struct uring_op *
op_of(struct nvtcp_tgt_bdev_io *io)
{
	return (struct uring_op *)io->priv;
}

/* ---- The reactor's ring ---------------------------------------------------------------------- */

static struct tgt_uring *
reactor_uring(void **slot)
{
	struct io_uring_params p;
	struct tgt_uring *u = *slot;
	int rc;

	if (nvtcp_likely(u != NULL)) {
		return u;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		return NULL;
	}
	u->wait_tail = &u->wait_head;
	/* Completions are posted when the reactor next enters the kernel (it does every poll)
	 * rather than by interrupting it; the flag tells liburing when to go and fetch them. */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	rc = io_uring_queue_init_params(URING_ENTRIES, &u->ring, &p);
	if (rc == -EINVAL) {
		memset(&p, 0, sizeof(p));
		rc = io_uring_queue_init_params(URING_ENTRIES, &u->ring, &p);
	}
	if (rc != 0) {
		NVTCP_ERRLOG("io_uring_queue_init: %s: uring namespaces fail every command on "
			     "this reactor\n", strerror(-rc));
		u->init_rc = rc;
	} else {
		u->cap = p.cq_entries;
	}
	*slot = u;
	return u;
}

static void
uring_reactor_fini(void *reactor_ctx)
{
	struct tgt_uring *u = reactor_ctx;

	if (u->init_rc == 0) {
		if (u->inflight != 0 || u->wait_head != NULL) {
			NVTCP_ERRLOG("io_uring closed with operations in flight\n");
		}
		io_uring_queue_exit(&u->ring);
	}
	free(u);
}

/* ---- Preparing SQEs ----------------------------------------------------------------------- */

static bool
dio_ok(const struct uring_ctx *ctx, const struct nvtcp_tgt_bdev_io *io)
{
	if (ctx->fd_direct < 0 || __atomic_load_n(&ctx->no_dio, __ATOMIC_RELAXED) ||
	    ((io->offset | io->len) & ctx->dio_off_mask) != 0) {
		return false;
	}
	for (int i = 0; i < io->iovcnt; i++) {
		if (((uintptr_t)io->iov[i].iov_base & ctx->dio_mem_mask) != 0 ||
		    (io->iov[i].iov_len & ctx->dio_off_mask) != 0) {
			return false;
		}
	}
	return true;
}

/* Reads and writes from op->done on: the remaining whole iovecs in one readv/writev, or the
 * rest of a partly done iovec on its own (rare: only after a short transfer). */
static void
prep_rw(struct io_uring_sqe *sqe, const struct uring_ctx *ctx, struct nvtcp_tgt_bdev_io *io)
{
	struct uring_op *op = op_of(io);
	int fd = op->direct ? ctx->fd_direct : ctx->fd;
	uint64_t skip = op->done;
	uint64_t off = io->offset + op->done;
	int i = 0;

	while (i < io->iovcnt - 1 && skip >= io->iov[i].iov_len) {
		skip -= io->iov[i].iov_len;
		i++;
	}
	if (skip != 0) {
		uint8_t *base = (uint8_t *)io->iov[i].iov_base + skip;
		unsigned len = (unsigned)NVTCP_MIN(io->iov[i].iov_len - skip, io->len - op->done);

		if (io->op == NVTCP_TGT_BDEV_WRITE) {
			io_uring_prep_write(sqe, fd, base, len, off);
		} else {
			io_uring_prep_read(sqe, fd, base, len, off);
		}
	} else if (io->op == NVTCP_TGT_BDEV_WRITE) {
		io_uring_prep_writev(sqe, fd, &io->iov[i], (unsigned)(io->iovcnt - i), off);
	} else {
		io_uring_prep_readv(sqe, fd, &io->iov[i], (unsigned)(io->iovcnt - i), off);
	}
	if (io->op == NVTCP_TGT_BDEV_WRITE && io->fua) {
		sqe->rw_flags = RWF_DSYNC;
	}
}

/* The byte range the zeroing of \p io works on now. */
static void
zero_range(const struct nvtcp_tgt_bdev_io *io, uint64_t *off, uint64_t *len)
{
	if (io->op == NVTCP_TGT_BDEV_WRITE_ZEROES) {
		*off = io->offset;
		*len = io->len;
		return;
	}
	*off = io->ranges[op_of((struct nvtcp_tgt_bdev_io *)io)->range].slba << io->block_shift;
	*len = (uint64_t)io->ranges[op_of((struct nvtcp_tgt_bdev_io *)io)->range].nlb << io->block_shift;
}

static uint8_t
zero_method(const struct nvtcp_tgt_bdev_io *io)
{
	const uint8_t *steps = tgt_bdev_zero_steps(io->op != NVTCP_TGT_BDEV_WRITE_ZEROES);

	return steps[op_of((struct nvtcp_tgt_bdev_io *)io)->step];
}

static void
prep_zero(struct io_uring_sqe *sqe, const struct uring_ctx *ctx, struct nvtcp_tgt_bdev_io *io)
{
	struct uring_op *op = op_of(io);
	uint64_t off, len;

	zero_range(io, &off, &len);
	if (zero_method(io) != TGT_ZM_WRITE) {
		io_uring_prep_fallocate(sqe, ctx->fd, tgt_bdev_zero_falloc_mode(zero_method(io)),
					(off_t)off, (off_t)len);
	} else {
		io_uring_prep_write(sqe, ctx->fd, ctx->zeroes,
				    (unsigned)NVTCP_MIN(len - op->done, (uint64_t)TGT_BDEV_ZERO_CHUNK),
				    off + op->done);
	}
}

static void
prep(struct io_uring_sqe *sqe, struct nvtcp_tgt_bdev_io *io)
{
	const struct uring_ctx *ctx = io->bdev->ctx;

	switch (io->op) {
	case NVTCP_TGT_BDEV_READ:
	case NVTCP_TGT_BDEV_WRITE:
		prep_rw(sqe, ctx, io);
		break;
	case NVTCP_TGT_BDEV_FLUSH:
		io_uring_prep_fsync(sqe, ctx->fd, IORING_FSYNC_DATASYNC);
		break;
	default:
		prep_zero(sqe, ctx, io);
	}
	io_uring_sqe_set_data(sqe, io);
}

/* Prepare the next step of \p io, or queue it behind the others when there is no room. */
static void
queue(struct tgt_uring *u, struct nvtcp_tgt_bdev_io *io)
{
	struct io_uring_sqe *sqe = NULL;

	if (u->wait_head == NULL && u->inflight + io_uring_sq_ready(&u->ring) < u->cap) {
		sqe = io_uring_get_sqe(&u->ring);
	}
	if (sqe == NULL) {
		op_of(io)->next = NULL;
		*u->wait_tail = io;
		u->wait_tail = &op_of(io)->next;
		return;
	}
	prep(sqe, io);
}

static void
drain_waiters(struct tgt_uring *u)
{
	struct nvtcp_tgt_bdev_io *io;
	struct io_uring_sqe *sqe;

	while ((io = u->wait_head) != NULL &&
	       u->inflight + io_uring_sq_ready(&u->ring) < u->cap &&
	       (sqe = io_uring_get_sqe(&u->ring)) != NULL) {
		u->wait_head = op_of(io)->next;
		if (u->wait_head == NULL) {
			u->wait_tail = &u->wait_head;
		}
		prep(sqe, io);
	}
}

/* ---- Completions ---------------------------------------------------------------------------- */

static void
finish(struct nvtcp_tgt_bdev_io *io, int status)
{
	io->status = status;
	io->cb(io);
}

/* Skip the zeroing methods this device is known not to support. */
static void
zero_skip_unsupported(struct nvtcp_tgt_bdev_io *io)
{
	struct uring_ctx *ctx = io->bdev->ctx;
	uint8_t m;

	while ((m = zero_method(io)) != TGT_ZM_WRITE &&
	       __atomic_load_n(&ctx->no_method[m], __ATOMIC_RELAXED)) {
		op_of(io)->step++;
	}
}

/* Move a zeroing operation to its next non-empty range, or finish it. */
static void
zero_next_range(struct tgt_uring *u, struct nvtcp_tgt_bdev_io *io)
{
	struct uring_op *op = op_of(io);

	op->done = 0;
	op->step = 0;
	if (io->op == NVTCP_TGT_BDEV_DEALLOCATE) {
		while (++op->range < io->nranges && io->ranges[op->range].nlb == 0) {
		}
		if (op->range < io->nranges) {
			zero_skip_unsupported(io);
			queue(u, io);
			return;
		}
	}
	finish(io, 0);
}

static void
complete_zero(struct tgt_uring *u, struct nvtcp_tgt_bdev_io *io, int res)
{
	struct uring_ctx *ctx = io->bdev->ctx;
	struct uring_op *op = op_of(io);
	uint8_t m = zero_method(io);
	uint64_t off, len;

	if (res < 0) {
		if (m != TGT_ZM_WRITE && tgt_bdev_zero_unsupported(res)) {
			/* Unsupported here (or not at this alignment): try the next way. Only a
			 * flat "not supported" is remembered for the device. */
			if (res == -EOPNOTSUPP) {
				__atomic_store_n(&ctx->no_method[m], true, __ATOMIC_RELAXED);
			}
			op->step++;
			zero_skip_unsupported(io);
			queue(u, io);
			return;
		}
		finish(io, res);
		return;
	}
	if (m == TGT_ZM_WRITE) {
		if (res == 0) {
			finish(io, -EIO);
			return;
		}
		op->done += (uint64_t)res;
		zero_range(io, &off, &len);
		if (op->done < len) {
			queue(u, io);
			return;
		}
	}
	zero_next_range(u, io);
}

static void
iov_zero_from(const struct iovec *iov, int iovcnt, uint64_t skip)
{
	for (int i = 0; i < iovcnt; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		memset((uint8_t *)iov[i].iov_base + skip, 0, iov[i].iov_len - skip);
		skip = 0;
	}
}

static void
complete_rw(struct tgt_uring *u, struct nvtcp_tgt_bdev_io *io, int res)
{
	struct uring_ctx *ctx = io->bdev->ctx;
	struct uring_op *op = op_of(io);

	if (res < 0) {
		if (res == -EINVAL && op->direct) {
			/* The device wants more alignment than it reported: page cache for good. */
			if (!__atomic_exchange_n(&ctx->no_dio, true, __ATOMIC_RELAXED)) {
				NVTCP_NOTICELOG("%s: O_DIRECT refused; using the page cache\n",
						ctx->path);
			}
			op->direct = false;
			queue(u, io);
			return;
		}
		finish(io, res);
		return;
	}
	if (res == 0) {
		if (io->op == NVTCP_TGT_BDEV_WRITE) {
			finish(io, -EIO);
			return;
		}
		/* Beyond the end of a file that shrank under us: zeroes, like a hole. */
		iov_zero_from(io->iov, io->iovcnt, op->done);
		finish(io, 0);
		return;
	}
	op->done += (uint64_t)res;
	if (op->done < io->len) {
		if ((op->done & ctx->dio_off_mask) != 0) {
			op->direct = false;
		}
		queue(u, io);
		return;
	}
	finish(io, 0);
}

static void
complete(struct tgt_uring *u, struct nvtcp_tgt_bdev_io *io, int res)
{
	if (res == -EAGAIN || res == -EINTR) {
		queue(u, io);
		return;
	}
	switch (io->op) {
	case NVTCP_TGT_BDEV_READ:
	case NVTCP_TGT_BDEV_WRITE:
		complete_rw(u, io, res);
		break;
	case NVTCP_TGT_BDEV_FLUSH:
		finish(io, res < 0 ? res : 0);
		break;
	default:
		complete_zero(u, io, res);
	}
}

static int
uring_poll(void *reactor_ctx)
{
	struct tgt_uring *u = reactor_ctx;
	struct io_uring_cqe *cqes[URING_REAP_BATCH];
	struct nvtcp_tgt_bdev_io *ios[URING_REAP_BATCH];
	int res[URING_REAP_BATCH];
	unsigned n;
	int total = 0;

	if (u->init_rc != 0) {
		return 0;
	}
	if (u->wait_head != NULL) {
		drain_waiters(u);
	}
	if (io_uring_sq_ready(&u->ring) > 0) {
		int rc = io_uring_submit(&u->ring);

		if (rc > 0) {
			u->inflight += (uint32_t)rc;
		} else if (rc < 0 && rc != -EAGAIN && rc != -EBUSY && rc != -EINTR) {
			/* The SQEs stay in the ring and go out on the next poll. */
			NVTCP_ERRLOG("io_uring_submit: %s\n", strerror(-rc));
		}
	}
	if (u->inflight == 0) {
		return 0;
	}
	do {
		/* Copy out first: completing may prepare SQEs, and the CQ slots are released
		 * before any callback runs. */
		n = io_uring_peek_batch_cqe(&u->ring, cqes, URING_REAP_BATCH);
		for (unsigned i = 0; i < n; i++) {
			ios[i] = io_uring_cqe_get_data(cqes[i]);
			res[i] = cqes[i]->res;
		}
		io_uring_cq_advance(&u->ring, n);
		u->inflight -= n;
		for (unsigned i = 0; i < n; i++) {
			complete(u, ios[i], res[i]);
		}
		total += (int)n;
	} while (n == URING_REAP_BATCH);
	return total;
}

/* ---- Operations ----------------------------------------------------------------------------- */

static int
uring_submit(struct nvtcp_tgt_bdev *bdev, struct nvtcp_tgt_bdev_io *io)
{
	struct uring_ctx *ctx = bdev->ctx;
	struct uring_op *op = op_of(io);
	struct tgt_uring *u;

	switch (io->op) {
	case NVTCP_TGT_BDEV_READ:
	case NVTCP_TGT_BDEV_WRITE:
	case NVTCP_TGT_BDEV_WRITE_ZEROES:
		if (io->offset > bdev->size || io->len > bdev->size - io->offset) {
			io->status = -ERANGE;
			return 1;
		}
		if (io->len == 0) {
			io->status = 0;
			return 1;
		}
		break;
	case NVTCP_TGT_BDEV_FLUSH:
		break;
	case NVTCP_TGT_BDEV_DEALLOCATE:
		for (uint32_t i = 0; i < io->nranges; i++) {
			uint64_t off = io->ranges[i].slba << io->block_shift;
			uint64_t len = (uint64_t)io->ranges[i].nlb << io->block_shift;

			if (off > bdev->size || len > bdev->size - off) {
				io->status = -ERANGE;
				return 1;
			}
		}
		break;
	default:
		io->status = -EINVAL;
		return 1;
	}
	u = reactor_uring(io->reactor_ctx);
	if (nvtcp_unlikely(u == NULL || u->init_rc != 0)) {
		io->status = u == NULL ? -ENOMEM : u->init_rc;
		return 1;
	}
	memset(op, 0, sizeof(*op));
	if (io->op == NVTCP_TGT_BDEV_READ || io->op == NVTCP_TGT_BDEV_WRITE) {
		op->direct = dio_ok(ctx, io);
	} else if (io->op != NVTCP_TGT_BDEV_FLUSH) {
		if (io->op == NVTCP_TGT_BDEV_DEALLOCATE) {
			while (op->range < io->nranges && io->ranges[op->range].nlb == 0) {
				op->range++;
			}
			if (op->range == io->nranges) {
				io->status = 0;
				return 1;
			}
		}
		zero_skip_unsupported(io);
	}
	queue(u, io);
	return 0;
}

static void
uring_destroy(struct nvtcp_tgt_bdev *bdev)
{
	struct uring_ctx *ctx = bdev->ctx;

	if (ctx->fd_direct >= 0) {
		close(ctx->fd_direct);
	}
	if (ctx->fd >= 0) {
		(void)fsync(ctx->fd);
		close(ctx->fd);
	}
	free(ctx->zeroes);
	free(ctx);
	free(bdev);
}

static int uring_create(const struct nvtcp_tgt_ns_opts *opts, uint32_t max_io_size,
			struct nvtcp_tgt_bdev **bdev, char *err, size_t errlen);

const struct nvtcp_tgt_bdev_ops tgt_bdev_uring_ops = {
	.name = "uring",
	.takes_path = true,
	.create = uring_create,
	.submit = uring_submit,
	.poll = uring_poll,
	.reactor_fini = uring_reactor_fini,
	.destroy = uring_destroy,
};

/* Direct I/O alignment: what the kernel reports (statx), the logical block size of a block
 * device, or 4 KiB; no O_DIRECT descriptor when the kernel says the file cannot do it. */
static void
dio_setup(struct uring_ctx *ctx, const char *path)
{
	struct statx stx;
	uint32_t off_align = URING_DIO_ALIGN_DEFAULT, mem_align = URING_DIO_ALIGN_DEFAULT;
	int lbs = 0;

	ctx->fd_direct = open(path, O_RDWR | O_CLOEXEC | O_DIRECT);
	if (ctx->fd_direct < 0) {
		return;
	}
	if (ctx->blockdev && ioctl(ctx->fd, BLKSSZGET, &lbs) == 0 && lbs > 0) {
		off_align = mem_align = (uint32_t)lbs;
	}
	if (statx(ctx->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) != 0) {
		if (stx.stx_dio_offset_align == 0) {
			close(ctx->fd_direct);
			ctx->fd_direct = -1;
			return;
		}
		off_align = stx.stx_dio_offset_align;
		mem_align = stx.stx_dio_mem_align;
	}
	ctx->dio_off_mask = off_align - 1;
	/* The offset alignment also bounds each segment's length, so buffers aligned to it
	 * are always fine; a smaller memory alignment is used as reported. */
	ctx->dio_mem_mask = (mem_align != 0 ? mem_align : off_align) - 1;
}

static int
probe_io_uring(char *err, size_t errlen)
{
	struct io_uring ring;
	int rc = io_uring_queue_init(2, &ring, 0);
	int disabled = 0;
	FILE *f;

	if (rc == 0) {
		io_uring_queue_exit(&ring);
		return 0;
	}
	f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	if (f != NULL) {
		if (fscanf(f, "%d", &disabled) != 1) {
			disabled = 0;
		}
		fclose(f);
	}
	snprintf(err, errlen, "uring backend: io_uring is not available (%s%s); use the file "
		 "backend instead", strerror(-rc),
		 disabled != 0 ? ", kernel.io_uring_disabled is set" : "");
	return rc;
}

int
tgt_bdev_uring_create(const char *path, uint64_t size, uint32_t block_size, bool create,
		      struct nvtcp_tgt_bdev **pbdev, char *err, size_t errlen)
{
	struct nvtcp_tgt_bdev *bdev;
	struct uring_ctx *ctx;
	int rc;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(ctx->path)) {
		snprintf(err, errlen, "uring backend: missing or too long path");
		return -EINVAL;
	}
	rc = probe_io_uring(err, errlen);
	if (rc != 0) {
		return rc;
	}
	bdev = calloc(1, sizeof(*bdev));
	ctx = calloc(1, sizeof(*ctx));
	if (bdev == NULL || ctx == NULL) {
		free(bdev);
		free(ctx);
		snprintf(err, errlen, "uring backend: out of memory");
		return -ENOMEM;
	}
	ctx->fd = -1;
	ctx->fd_direct = -1;
	snprintf(ctx->path, sizeof(ctx->path), "%s", path);
	bdev->ctx = ctx;
	bdev->ops = &tgt_bdev_uring_ops;
	bdev->type = NVTCP_TGT_BACKEND_URING;
	bdev->block_size = block_size;
	/* The page cache (unaligned I/O) and the device's own cache need a flush. */
	bdev->volatile_cache = true;
	/* Deallocate zeroes by one way or another (see complete_zero()). */
	bdev->dealloc_zeroes = true;

	rc = tgt_bdev_path_open(path, &size, create, &ctx->fd, &ctx->blockdev, err, errlen);
	if (rc != 0) {
		goto fail;
	}
	size -= size % block_size;
	if (size == 0) {
		snprintf(err, errlen, "%s is smaller than one %u-byte block", path, block_size);
		rc = -EINVAL;
		goto fail;
	}
	bdev->size = size;
	dio_setup(ctx, path);
	/* Aligned for the direct descriptor too, though it is written through the page cache. */
	ctx->zeroes = tgt_bdev_zero_buf_alloc();
	if (ctx->zeroes == NULL) {
		snprintf(err, errlen, "uring backend: out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	if (ctx->fd_direct >= 0) {
		NVTCP_NOTICELOG("%s: io_uring, O_DIRECT for I/O aligned to %u bytes (buffers to %u), "
				"the page cache for the rest\n", path, ctx->dio_off_mask + 1,
				ctx->dio_mem_mask + 1);
	} else {
		NVTCP_NOTICELOG("%s: io_uring through the page cache (O_DIRECT not supported)\n",
				path);
	}
	*pbdev = bdev;
	return 0;
fail:
	uring_destroy(bdev);
	return rc;
}

static int
uring_create(const struct nvtcp_tgt_ns_opts *opts, uint32_t max_io_size,
	     struct nvtcp_tgt_bdev **bdev, char *err, size_t errlen)
{
	return tgt_bdev_uring_create(opts->path, opts->size, opts->block_size, opts->file_create,
				     bdev, err, errlen);
}
