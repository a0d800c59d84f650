/**
 * @file
 * Namespace backends of the embedded target: the interface every backend implements, and the
 * registry that makes a backend usable by name ("--ns NAME:...", config "backend": NAME,
 * nvtcp_tgt_ns_opts.backend_name).
 *
 * The built-in backends are implementations of this interface and serve as its examples:
 * "malloc" (RAM, zero-copy through read_ptr/write_ptr, completes inline), "null", "file"
 * (worker threads; completions handed back through a per-reactor ring drained by its poll
 * function) and "uring" (io_uring, one ring per reactor, submitted and reaped by its poll
 * function). app/examples/xor_bdev is a complete out-of-tree style backend.
 *
 * Threading:
 * - create() and destroy() run on the target's management reactor. destroy() runs only once
 *   no operation of the namespace is in flight on any reactor.
 * - submit(), read_ptr() and write_ptr() run on the data reactor that owns the command, and
 *   the completion callback must run on that same reactor. A backend that completes on
 *   another thread (a worker pool, a device interrupt) hands the operation back to the
 *   submitting reactor and completes it from poll().
 * - Data reactors submit concurrently: a backend's per-namespace state that submit() writes
 *   must be per reactor, or atomic. nvtcp_tgt_bdev_io.reactor_ctx gives every backend one
 *   private pointer per data reactor for that purpose.
 * - The I/O path must not block or allocate: submit() starts the operation and returns.
 */
#ifndef NVTCP_TARGET_BDEV_H
#define NVTCP_TARGET_BDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "nvtcp/nvme_spec.h"
#include "nvtcp/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most backends registered at once (the four built-in ones included). */
#define NVTCP_TGT_BDEV_MAX 16

/** Operations a backend is asked to perform. */
enum nvtcp_tgt_bdev_op {
	/** Read io->len bytes at io->offset into io->iov. */
	NVTCP_TGT_BDEV_READ,
	/** Write io->iov (io->len bytes) at io->offset; io->fua: durable before completion. */
	NVTCP_TGT_BDEV_WRITE,
	/** Make every completed write durable (only called when bdev->volatile_cache). */
	NVTCP_TGT_BDEV_FLUSH,
	/** Zero io->len bytes at io->offset. */
	NVTCP_TGT_BDEV_WRITE_ZEROES,
	/** Deallocate io->ranges (Dataset Management); must zero them if bdev->dealloc_zeroes. */
	NVTCP_TGT_BDEV_DEALLOCATE,
};

struct nvtcp_tgt_bdev;

/**
 * One backend operation, owned by the target; the backend fills in status and calls cb.
 * Offsets and lengths are in bytes and inside the namespace unless the backend checks them
 * (out of range: status -ERANGE, reported as LBA Out of Range).
 */
struct nvtcp_tgt_bdev_io {
	/** What to do. */
	enum nvtcp_tgt_bdev_op op;
	/** WRITE: Force Unit Access, or the host disabled the volatile write cache. */
	bool fua;
	/** READ, WRITE, WRITE_ZEROES: byte offset. */
	uint64_t offset;
	/** READ, WRITE, WRITE_ZEROES: byte count. */
	uint64_t len;
	/** READ, WRITE: data buffers, exactly len bytes in all. Buffers from the target's pools
	 *  are 4 KiB aligned. */
	const struct iovec *iov;
	/** Entries of iov. */
	int iovcnt;
	/** DEALLOCATE: ranges, in blocks of 1 << block_shift bytes (entries with nlb 0 are
	 *  empty). */
	const struct nvtcp_nvme_dsm_range *ranges;
	/** Entries of ranges. */
	uint32_t nranges;
	/** log2 of the namespace's block size. */
	uint32_t block_shift;
	/** Result: 0 or a negative errno (-ERANGE: out of range; others: media or internal
	 *  errors, by operation). */
	int status;
	/** Completion, called by the backend on the submitting reactor (not from submit()). */
	void (*cb)(struct nvtcp_tgt_bdev_io *io);
	/** The namespace's backend. */
	struct nvtcp_tgt_bdev *bdev;
	/**
	 * This backend's per-reactor slot on the submitting reactor: NULL until the backend
	 * stores something there (typically on first use, from submit()). While it is non-NULL,
	 * ops->poll(slot) runs on every poll of that reactor and ops->reactor_fini(slot) when
	 * the reactor's target stops. Shared by every namespace of the backend on that reactor.
	 */
	void **reactor_ctx;
	/** Free for the backend from submit() to the completion (progress of a split or
	 *  resumed operation, a queue link). */
	uint64_t priv[4];
};

/** A backend's functions. Registered with nvtcp_tgt_bdev_register(); must outlive its use. */
struct nvtcp_tgt_bdev_ops {
	/** Name used by "--ns NAME:...", config "backend" and nvtcp_tgt_ns_opts.backend_name. */
	const char *name;
	/**
	 * Namespaces of this backend name a file or device (opts->path; "--ns NAME:PATH[:BS]";
	 * UUIDs are then name-based, stable across restarts) rather than a size
	 * ("--ns NAME:SIZE[:BS]").
	 */
	bool takes_path;
	/**
	 * Create a namespace's backend from its options (path or size, block size, create flag,
	 * file workers ...). Sets bdev->size (a multiple of opts->block_size), block_size and
	 * the property flags; the target sets bdev->ops afterwards.
	 *
	 * \param opts Namespace options (validated: block size 512 or 4096; size a non-zero
	 *        multiple of it when !takes_path).
	 * \param max_io_size Largest byte count of one operation.
	 * \param bdev Set to the new backend.
	 * \param err One-line message naming the problem on failure.
	 * \param errlen Size of \p err.
	 * \return 0 or a negative errno.
	 */
	int (*create)(const struct nvtcp_tgt_ns_opts *opts, uint32_t max_io_size,
		      struct nvtcp_tgt_bdev **bdev, char *err, size_t errlen);
	/**
	 * Start an operation (the one indirect call of the I/O path).
	 *
	 * \return 1 when it completed inline (io->status set; the callback must not run), 0 when
	 *         io->cb will run later on the submitting reactor.
	 */
	int (*submit)(struct nvtcp_tgt_bdev *bdev, struct nvtcp_tgt_bdev_io *io);
	/**
	 * Optional zero-copy: memory holding bytes [off, off + len) that reads may send straight
	 * from, or NULL (the target then submits a READ into its own buffers). Called with
	 * len 0 to ask whether the backend has such memory at all.
	 */
	void *(*read_ptr)(struct nvtcp_tgt_bdev *bdev, uint64_t off, uint64_t len);
	/** Optional zero-copy: memory that writes may be received straight into, or NULL. */
	void *(*write_ptr)(struct nvtcp_tgt_bdev *bdev, uint64_t off, uint64_t len);
	/**
	 * Optional: called once per poll of every data reactor whose slot for this backend is
	 * non-NULL, after the reactor processed its network input (so everything submitted in
	 * this poll can go out in one batch). Completes what finished.
	 *
	 * \return Work done (completions), 0 when idle.
	 */
	int (*poll)(void *reactor_ctx);
	/** Optional: free a reactor's slot (on that reactor, nothing in flight there). */
	void (*reactor_fini)(void *reactor_ctx);
	/** Free the backend (management reactor, nothing in flight). */
	void (*destroy)(struct nvtcp_tgt_bdev *bdev);
};

/** One namespace's backend: set up by ops->create(). */
struct nvtcp_tgt_bdev {
	/** Set by the target after create(). */
	const struct nvtcp_tgt_bdev_ops *ops;
	/** Bytes (a multiple of block_size). */
	uint64_t size;
	/** Logical block size, 512 or 4096. */
	uint32_t block_size;
	/** Writes are volatile until FLUSH (Identify VWC; FLUSH is only submitted then). */
	bool volatile_cache;
	/** Deallocated blocks read as zeroes (Identify DLFEAT reports it). */
	bool dealloc_zeroes;
	/** Writes are dropped: their payload is discarded, not received into any buffer. */
	bool discard_writes;
	/** read_ptr() memory never changes, so reads with data digests may be sent from it
	 *  without a copy (the null backend's zeroes). */
	bool read_ptr_stable;
	/** The backend's own state. */
	void *ctx;
	/** Registry index, set by the target. */
	uint32_t type;
};

/**
 * Register a backend so that namespaces can use it by name. Call before the namespaces that
 * use it are added, from the thread that manages the targets (not concurrently with another
 * registration); backends stay registered for the life of the process. The built-in
 * "malloc", "null", "file" and "uring" are always registered.
 *
 * \param ops Its functions (name, create, submit and destroy required; kept by pointer).
 * \return 0, -EINVAL (a required function or the name missing, or the name has ':'),
 *         -EEXIST (the name is taken), -ENOSPC (NVTCP_TGT_BDEV_MAX backends already).
 */
int nvtcp_tgt_bdev_register(const struct nvtcp_tgt_bdev_ops *ops);

/**
 * Find a registered backend.
 *
 * \param name Its name.
 * \return Its functions, or NULL.
 */
const struct nvtcp_tgt_bdev_ops *nvtcp_tgt_bdev_find(const char *name);

/**
 * Names of the registered backends, comma separated ("malloc, null, file, uring, ..."), for
 * messages.
 *
 * \param buf Filled in (truncated to fit).
 * \param len Size of \p buf.
 * \return \p buf.
 */
const char *nvtcp_tgt_bdev_names(char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_TARGET_BDEV_H */
