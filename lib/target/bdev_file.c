/*
 * The file backend: a regular file or a block device, served by a small pool of worker
 * threads so that no reactor ever blocks in pread/pwrite/fsync/fallocate.
 *
 * Submissions travel to the workers through one MP_MC ring per namespace (any reactor
 * produces, any worker consumes); a worker with nothing to do sleeps on a semaphore, which
 * submitters post. Completions travel back through an MP_SC ring of the submitting reactor
 * (the backend's per-reactor slot, created there on first use, shared by its file namespaces),
 * which the backend's poll function drains, so every completion callback runs on the reactor
 * that submitted the operation.
 *
 * O_DIRECT is used when the file accepts it and an operation's offset, length and every
 * buffer are 4 KiB aligned (pool buffers always are); other operations go through the page
 * cache. Linux keeps the two coherent (a direct read writes dirty cached pages back first, a
 * direct write invalidates them).
 *
 * Write Zeroes tries the ways of tgt_bdev_zero_steps() (bdev.c) in the uring backend's order:
 * fallocate ZERO_RANGE, then PUNCH_HOLE, then writes of a zero buffer; Deallocate stays
 * advisory here (a hole punched when possible, DLFEAT promises nothing).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "target_internal.h"

#define FILE_RING_SIZE 65536
#define FILE_DIO_ALIGN 4096u
#define FILE_WORKERS_MAX 16

struct file_ctx {
	int fd;
	int fd_direct;          /* -1 when O_DIRECT is not available */
	bool blockdev;
	struct nvtcp_ring *subq;
	sem_t sem;
	atomic_bool stop;
	uint32_t nworkers;
	pthread_t workers[FILE_WORKERS_MAX];
	/* Set (relaxed) by any worker that learns the device refuses a zeroing method. */
	bool no_method[TGT_ZM_WRITE];
	void *zeroes;
	char path[256];
};

static bool
dio_ok(const struct file_ctx *ctx, const struct nvtcp_tgt_bdev_io *io)
{
	if (ctx->fd_direct < 0 || (io->offset | io->len) % FILE_DIO_ALIGN != 0) {
		return false;
	}
	for (int i = 0; i < io->iovcnt; i++) {
		if (((uintptr_t)io->iov[i].iov_base | io->iov[i].iov_len) % FILE_DIO_ALIGN != 0) {
			return false;
		}
	}
	return true;
}

/* preadv/pwritev until done: regular files may return short counts. */
static int
file_rw(struct file_ctx *ctx, struct nvtcp_tgt_bdev_io *io)
{
	struct iovec iov[TGT_REQ_IOV_MAX];
	uint64_t done = 0;
	bool direct = dio_ok(ctx, io);
	int fd = direct ? ctx->fd_direct : ctx->fd;

	while (done < io->len) {
		int n = nvtcp_iov_slice(io->iov, io->iovcnt, done, io->len - done, iov,
					TGT_REQ_IOV_MAX);
		ssize_t rc;
		int flags = 0;

		if (n < 0) {
			return n;
		}
		if (io->op == NVTCP_TGT_BDEV_WRITE) {
			flags = io->fua ? RWF_DSYNC : 0;
			rc = pwritev2(fd, iov, n, (off_t)(io->offset + done), flags);
		} else {
			rc = preadv2(fd, iov, n, (off_t)(io->offset + done), 0);
		}
		if (rc < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EINVAL && direct) {
				/* The device wants a larger alignment: fall back for good. */
				direct = false;
				fd = ctx->fd;
				continue;
			}
			return -errno;
		}
		if (rc == 0) {
			if (io->op == NVTCP_TGT_BDEV_READ) {
				/* Beyond the end of a sparse or short file: zeroes. */
				for (int i = 0; i < n; i++) {
					memset(iov[i].iov_base, 0, iov[i].iov_len);
				}
				return 0;
			}
			return -EIO;
		}
		done += (uint64_t)rc;
	}
	return 0;
}

/* The ways of tgt_bdev_zero_steps() in order, as the uring backend tries them. */
static int
file_write_zeroes(struct file_ctx *ctx, uint64_t off, uint64_t len)
{
	const uint8_t *steps = tgt_bdev_zero_steps(false);

	for (; *steps != TGT_ZM_WRITE; steps++) {
		int err;

		if (__atomic_load_n(&ctx->no_method[*steps], __ATOMIC_RELAXED)) {
			continue;
		}
		if (fallocate(ctx->fd, tgt_bdev_zero_falloc_mode(*steps), (off_t)off,
			      (off_t)len) == 0) {
			return 0;
		}
		err = -errno;
		if (!tgt_bdev_zero_unsupported(err)) {
			return err;
		}
		/* Only a flat "not supported" is remembered for the device. */
		if (err == -EOPNOTSUPP) {
			__atomic_store_n(&ctx->no_method[*steps], true, __ATOMIC_RELAXED);
		}
	}
	while (len > 0) {
		size_t n = len < TGT_BDEV_ZERO_CHUNK ? (size_t)len : TGT_BDEV_ZERO_CHUNK;
		ssize_t rc = pwrite(ctx->fd, ctx->zeroes, n, (off_t)off);

		if (rc < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		if (rc == 0) {
			return -EIO;
		}
		off += (uint64_t)rc;
		len -= (uint64_t)rc;
	}
	return 0;
}

static void
file_do(struct nvtcp_tgt_bdev *bdev, struct nvtcp_tgt_bdev_io *io)
{
	struct file_ctx *ctx = bdev->ctx;

	switch (io->op) {
	case NVTCP_TGT_BDEV_READ:
	case NVTCP_TGT_BDEV_WRITE:
		io->status = file_rw(ctx, io);
		break;
	case NVTCP_TGT_BDEV_FLUSH:
		io->status = fdatasync(ctx->fd) == 0 ? 0 : -errno;
		break;
	case NVTCP_TGT_BDEV_WRITE_ZEROES:
		io->status = file_write_zeroes(ctx, io->offset, io->len);
		break;
	case NVTCP_TGT_BDEV_DEALLOCATE:
		/* Advisory (DLFEAT does not promise zeroes): a failure to punch is no error. */
		for (uint32_t i = 0; i < io->nranges && !ctx->blockdev; i++) {
			(void)fallocate(ctx->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)(io->ranges[i].slba << io->block_shift),
					(off_t)((uint64_t)io->ranges[i].nlb << io->block_shift));
		}
		io->status = 0;
		break;
	default:
		io->status = -EINVAL;
	}
}

static void
file_complete(struct nvtcp_tgt_bdev_io *io)
{
	struct nvtcp_ring *cpl = *io->reactor_ctx;

	/* The ring holds more than any pg can have in flight; a full ring means the pg is
	 * momentarily behind, so wait for room rather than lose a completion. */
	while (nvtcp_ring_enqueue(cpl, &io, 1) != 1) {
		sched_yield();
	}
}

static void *
file_worker(void *arg)
{
	struct nvtcp_tgt_bdev *bdev = arg;
	struct file_ctx *ctx = bdev->ctx;
	struct nvtcp_tgt_bdev_io *io;

	for (;;) {
		while (sem_wait(&ctx->sem) != 0 && errno == EINTR) {
		}
		if (atomic_load(&ctx->stop)) {
			break;
		}
		if (nvtcp_ring_dequeue(ctx->subq, &io, 1) != 1) {
			continue;
		}
		file_do(bdev, io);
		file_complete(io);
	}
	return NULL;
}

static int
file_submit(struct nvtcp_tgt_bdev *bdev, struct nvtcp_tgt_bdev_io *io)
{
	struct file_ctx *ctx = bdev->ctx;

	if (io->op == NVTCP_TGT_BDEV_READ || io->op == NVTCP_TGT_BDEV_WRITE ||
	    io->op == NVTCP_TGT_BDEV_WRITE_ZEROES) {
		if (io->offset > bdev->size || io->len > bdev->size - io->offset) {
			io->status = -ERANGE;
			return 1;
		}
	}
	if (nvtcp_unlikely(*io->reactor_ctx == NULL)) {
		/* First file I/O on this reactor: its completion ring. Workers read the slot only
		 * after the enqueue below, which orders the store before them. */
		*io->reactor_ctx = nvtcp_ring_create(NVTCP_RING_MP_SC, FILE_RING_SIZE,
						     sizeof(void *), NVTCP_ENV_NUMA_ANY);
		if (*io->reactor_ctx == NULL) {
			io->status = -ENOMEM;
			return 1;
		}
	}
	if (nvtcp_ring_enqueue(ctx->subq, &io, 1) != 1) {
		io->status = -EAGAIN;
		return 1;
	}
	sem_post(&ctx->sem);
	return 0;
}

static int
file_poll(void *reactor_ctx)
{
	struct nvtcp_ring *cpl = reactor_ctx;
	struct nvtcp_tgt_bdev_io *ios[64];
	size_t n;

	if (nvtcp_ring_count(cpl) == 0) {
		return 0;
	}
	n = nvtcp_ring_dequeue(cpl, ios, NVTCP_COUNTOF(ios));
	for (size_t i = 0; i < n; i++) {
		ios[i]->cb(ios[i]);
	}
	return (int)n;
}

static void
file_reactor_fini(void *reactor_ctx)
{
	nvtcp_ring_free(reactor_ctx);
}

static void
file_destroy(struct nvtcp_tgt_bdev *bdev)
{
	struct file_ctx *ctx = bdev->ctx;

	atomic_store(&ctx->stop, true);
	for (uint32_t i = 0; i < ctx->nworkers; i++) {
		sem_post(&ctx->sem);
	}
	for (uint32_t i = 0; i < ctx->nworkers; i++) {
		pthread_join(ctx->workers[i], NULL);
	}
	sem_destroy(&ctx->sem);
	nvtcp_ring_free(ctx->subq);
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

static int file_create(const struct nvtcp_tgt_ns_opts *opts, uint32_t max_io_size,
		       struct nvtcp_tgt_bdev **bdev, char *err, size_t errlen);

const struct nvtcp_tgt_bdev_ops tgt_bdev_file_ops = {
	.name = "file",
	.takes_path = true,
	.create = file_create,
	.submit = file_submit,
	.poll = file_poll,
	.reactor_fini = file_reactor_fini,
	.destroy = file_destroy,
};

int
tgt_bdev_path_open(const char *path, uint64_t *size, bool create, int *pfd, bool *blockdev,
		   char *err, size_t errlen)
{
	struct stat st;
	int flags = O_RDWR | O_CLOEXEC;
	int fd, rc;

	*blockdev = false;
	fd = open(path, flags);
	if (fd < 0 && errno == ENOENT && create) {
		if (*size == 0) {
			snprintf(err, errlen, "%s does not exist and no size was given", path);
			return -EINVAL;
		}
		fd = open(path, flags | O_CREAT | O_EXCL, 0600);
	}
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(-rc));
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t dev_size = 0;

		*blockdev = true;
		if (ioctl(fd, BLKGETSIZE64, &dev_size) != 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot get the size of %s: %s", path, strerror(-rc));
			goto fail;
		}
		if (*size > dev_size) {
			snprintf(err, errlen, "%s holds %llu bytes, less than the size asked", path,
				 (unsigned long long)dev_size);
			rc = -EINVAL;
			goto fail;
		}
		if (*size == 0) {
			*size = dev_size;
		}
	} else if (S_ISREG(st.st_mode)) {
		if (*size == 0) {
			*size = (uint64_t)st.st_size;
		} else if ((uint64_t)st.st_size < *size && ftruncate(fd, (off_t)*size) != 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot extend %s: %s", path, strerror(-rc));
			goto fail;
		}
	} else {
		snprintf(err, errlen, "%s is neither a regular file nor a block device", path);
		rc = -EINVAL;
		goto fail;
	}
	*pfd = fd;
	return 0;
fail:
	close(fd);
	return rc;
}

static int
file_open(struct file_ctx *ctx, const char *path, uint64_t *size, bool create, char *err,
	  size_t errlen)
{
	int rc = tgt_bdev_path_open(path, size, create, &ctx->fd, &ctx->blockdev, err, errlen);

	if (rc == 0) {
		ctx->fd_direct = open(path, O_RDWR | O_CLOEXEC | O_DIRECT);
	}
	return rc;
}

int
tgt_bdev_file_create(const char *path, uint64_t size, uint32_t block_size, bool create,
		     uint32_t workers, struct nvtcp_tgt_bdev **pbdev, char *err, size_t errlen)
{
	struct nvtcp_tgt_bdev *bdev;
	struct file_ctx *ctx;
	int rc;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(ctx->path)) {
		snprintf(err, errlen, "file backend: missing or too long path");
		return -EINVAL;
	}
	if (workers == 0 || workers > FILE_WORKERS_MAX) {
		snprintf(err, errlen, "file backend: workers must be 1..%d", FILE_WORKERS_MAX);
		return -EINVAL;
	}
	bdev = calloc(1, sizeof(*bdev));
	ctx = calloc(1, sizeof(*ctx));
	if (bdev == NULL || ctx == NULL) {
		free(bdev);
		free(ctx);
		return -ENOMEM;
	}
	ctx->fd = -1;
	ctx->fd_direct = -1;
	/* Process-private and unshared: sem_init() cannot fail with these arguments. */
	sem_init(&ctx->sem, 0, 0);
	snprintf(ctx->path, sizeof(ctx->path), "%s", path);
	bdev->ctx = ctx;
	bdev->ops = &tgt_bdev_file_ops;
	bdev->type = NVTCP_TGT_BACKEND_FILE;
	bdev->block_size = block_size;
	bdev->volatile_cache = true;

	rc = file_open(ctx, path, &size, create, err, errlen);
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
	ctx->zeroes = tgt_bdev_zero_buf_alloc();
	ctx->subq = nvtcp_ring_create(NVTCP_RING_MP_MC, FILE_RING_SIZE, sizeof(void *),
				      NVTCP_ENV_NUMA_ANY);
	if (ctx->zeroes == NULL || ctx->subq == NULL) {
		snprintf(err, errlen, "file backend: out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < workers; i++) {
		rc = pthread_create(&ctx->workers[i], NULL, file_worker, bdev);
		if (rc != 0) {
			snprintf(err, errlen, "file backend: cannot start a worker: %s",
				 strerror(rc));
			rc = -rc;
			goto fail;
		}
		ctx->nworkers++;
	}
	*pbdev = bdev;
	return 0;
fail:
	file_destroy(bdev);
	return rc;
}

static int
file_create(const struct nvtcp_tgt_ns_opts *opts, uint32_t max_io_size,
	    struct nvtcp_tgt_bdev **bdev, char *err, size_t errlen)
{
	return tgt_bdev_file_create(opts->path, opts->size, opts->block_size, opts->file_create,
				    opts->file_workers, bdev, err, errlen);
}
