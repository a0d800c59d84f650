/**
 * @file
 * Host multipath: one namespace reached through several controllers (paths), with Asymmetric
 * Namespace Access (ANA) path states, path selection policies, failover and hold.
 *
 * Model (doc/multipath.md): a multipath namespace groups (controller, NSID) paths whose
 * identity (subsystem NQN, NGUID, EUI64, UUID, size, block size) is the same; the application
 * submits reads, writes and flushes to it and polls it, as with a namespace. Each path
 * brings its own attached controller and one I/O queue pair.
 *
 * Threading: the layer adds no thread and no lock. A multipath namespace and everything it
 * uses belong to ONE thread: the one that creates it, submits to it and polls it. That
 * thread also owns the admin queues of the paths' controllers (the layer polls them, rate
 * limited, inside nvtcp_mpath_ns_process_completions(), unless told not to) and their I/O
 * queue pairs.
 *
 * Failover and hold: an I/O that completes with a path error (transport: Aborted - SQ
 * Deletion, Transient Transport Error; Path Related Status: ANA inaccessible, persistent loss,
 * transition, host path error, ...) is submitted again on the best usable path; when none is
 * usable (the only controller reconnects, every path is inaccessible) it is held and submitted
 * again once one is, for at most the hold timeout (by default the largest ctrl_loss_tmo_s of
 * the paths' controllers). Other errors go to the application. Every I/O completes exactly
 * once. Per-I/O contexts are preallocated: nothing is allocated on the I/O path.
 */
#ifndef NVTCP_MULTIPATH_H
#define NVTCP_MULTIPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "nvtcp/nvme.h"

#ifdef __cplusplus
extern "C" {
#endif

struct nvtcp_mpath_ns;

/** Path selection policies. */
enum nvtcp_mpath_policy {
	/** Every I/O to the first usable path in the order added, optimized before
	 *  non-optimized (a standby path takes over only when the active one cannot serve). */
	NVTCP_MPATH_POLICY_ACTIVE_PASSIVE = 0,
	/** Rotate over the paths of the best usable ANA state (optimized ones when any). */
	NVTCP_MPATH_POLICY_ROUND_ROBIN,
	/** The path of the best usable ANA state with the fewest I/Os outstanding. */
	NVTCP_MPATH_POLICY_QUEUE_DEPTH,
};

/** ANA states of a path (the values of the ANA log page). */
enum nvtcp_mpath_ana_state {
	NVTCP_MPATH_ANA_OPTIMIZED = 0x1,
	NVTCP_MPATH_ANA_NON_OPTIMIZED = 0x2,
	NVTCP_MPATH_ANA_INACCESSIBLE = 0x3,
	NVTCP_MPATH_ANA_PERSISTENT_LOSS = 0x4,
	NVTCP_MPATH_ANA_CHANGE = 0xF,
};

/** Options of a multipath namespace. Initialise with nvtcp_mpath_ns_opts_init(). */
struct nvtcp_mpath_ns_opts {
	/** Path selection policy (default active-passive). */
	enum nvtcp_mpath_policy policy;
	/** I/Os outstanding at most, held ones included (default 1024): the contexts are
	 *  allocated at create time. */
	uint32_t max_ios;
	/** How long an I/O may wait for a usable path, in ms: 0 (default) = the largest
	 *  ctrl_loss_tmo_s of the paths' controllers (forever when one is -1); -1 = forever. */
	int64_t hold_timeout_ms;
	/** Poll the paths' I/O queue pairs in nvtcp_mpath_ns_process_completions() (default
	 *  true; false when the application polls them, e.g. through a poll group). */
	bool poll_qpairs;
	/** Poll the paths' admin queues there too, at most every admin_poll_us (default true,
	 *  1000 us; the clock is read every 8th poll, so the tick may come up to 7 polls late;
	 *  0 = every poll). Set false when another part of the thread polls them. */
	bool poll_admin;
	uint32_t admin_poll_us;
};

/** Per-path counters and state. */
struct nvtcp_mpath_path_stats {
	uint64_t ios;        /**< I/Os completed successfully on this path */
	uint64_t bytes;      /**< their bytes */
	uint64_t errors;     /**< path errors seen on this path */
	uint64_t failovers;  /**< I/Os that failed here and were sent again (elsewhere or later) */
	uint32_t outstanding; /**< I/Os outstanding on it now */
	uint8_t ana_state;   /**< enum nvtcp_mpath_ana_state (optimized without ANA reporting) */
	bool connected;      /**< its queue pair is connected */
	bool failed;         /**< its controller failed for good */
	bool removing;       /**< removed, waiting for its outstanding I/Os */
};

/** Counters of a multipath namespace. */
struct nvtcp_mpath_ns_stats {
	uint64_t submitted;     /**< I/Os accepted from the application */
	uint64_t completed;     /**< completion callbacks called */
	uint64_t errors;        /**< of which with an error status */
	uint64_t retries;       /**< submissions again after a path error */
	uint64_t held;          /**< times an I/O had to wait for a usable path */
	uint64_t hold_timeouts; /**< I/Os failed because no path came back in time */
	uint64_t ana_log_reads; /**< ANA log pages read */
};

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options.
 */
void nvtcp_mpath_ns_opts_init(struct nvtcp_mpath_ns_opts *opts);

/**
 * Create an empty multipath namespace (add paths with nvtcp_mpath_ns_add_path()).
 *
 * \param opts Options, or NULL for defaults.
 * \param mns Set to the new object.
 * \return 0, -EINVAL (bad option) or -ENOMEM.
 */
int nvtcp_mpath_ns_create(const struct nvtcp_mpath_ns_opts *opts, struct nvtcp_mpath_ns **mns);

/**
 * Add a path: namespace \p nsid of the attached controller \p ctrlr, with the I/O queue pair
 * \p qpair of that controller (owned by the caller, who frees it after removing the path).
 * The first path fixes the identity; every further one must have the same subsystem NQN,
 * NGUID, EUI64, UUID, block size and size, and at least one namespace identifier. The layer
 * chains itself into the controller's AER callback (nvtcp_ctrlr_register_aer_callback()) to
 * see ANA change events, and reads the ANA log page when the controller reports ANA.
 *
 * \param mns Multipath namespace.
 * \param ctrlr Controller.
 * \param nsid Namespace ID on that controller.
 * \param qpair I/O queue pair of \p ctrlr.
 * \param err Receives why a path was refused (may be NULL).
 * \param errlen Its size.
 * \return Path index (>= 0), or -EINVAL (identity mismatch, bad arguments), -ENOENT (no such
 *         active namespace), -EEXIST (that controller is a path already), -ENOSPC (too many
 *         paths), -ENOMEM.
 */
int nvtcp_mpath_ns_add_path(struct nvtcp_mpath_ns *mns, struct nvtcp_ctrlr *ctrlr, uint32_t nsid,
			    struct nvtcp_qpair *qpair, char *err, size_t errlen);

/**
 * Remove a path: no new I/O goes to it; its outstanding I/Os complete (path errors fail over).
 * Call again (polling in between) until it returns 0; then the path's controller and queue
 * pair are the caller's again.
 *
 * \param mns Multipath namespace.
 * \param ctrlr The path's controller.
 * \return 0 when gone, -EBUSY while I/Os are still outstanding on it, -ENOENT.
 */
int nvtcp_mpath_ns_remove_path(struct nvtcp_mpath_ns *mns, struct nvtcp_ctrlr *ctrlr);

/**
 * Destroy a multipath namespace with no I/O outstanding (remove its paths first or not: the
 * controllers and queue pairs stay the caller's).
 *
 * \param mns Multipath namespace.
 * \return 0, or -EBUSY while I/Os are outstanding or held, or an ANA log read is in flight
 *	   (keep polling with nvtcp_mpath_ns_process_completions() and call again).
 */
int nvtcp_mpath_ns_destroy(struct nvtcp_mpath_ns *mns);

/**
 * Read. \p buf must stay valid until the completion.
 *
 * \param mns Multipath namespace.
 * \param buf Destination.
 * \param lba First block.
 * \param lba_count Blocks.
 * \param cb Completion (exactly once).
 * \param cb_arg Its argument.
 * \param io_flags NVTCP_IO_FLAGS_*.
 * \return 0, -EAGAIN (no free context, or the chosen queue pair is full), -EINVAL, -ENXIO
 *         (no path at all).
 */
int nvtcp_mpath_ns_read(struct nvtcp_mpath_ns *mns, void *buf, uint64_t lba, uint32_t lba_count,
			nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags);

/** Write. See nvtcp_mpath_ns_read(). */
int nvtcp_mpath_ns_write(struct nvtcp_mpath_ns *mns, const void *buf, uint64_t lba,
			 uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags);

/** Read into a scatter/gather list; \p iov (not copied) must stay valid until the completion. */
int nvtcp_mpath_ns_readv(struct nvtcp_mpath_ns *mns, uint64_t lba, uint32_t lba_count,
			 const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb, void *cb_arg,
			 uint32_t io_flags);

/** Write from a scatter/gather list; \p iov must stay valid until the completion. */
int nvtcp_mpath_ns_writev(struct nvtcp_mpath_ns *mns, uint64_t lba, uint32_t lba_count,
			  const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb, void *cb_arg,
			  uint32_t io_flags);

/** Flush. See nvtcp_mpath_ns_read(). */
int nvtcp_mpath_ns_flush(struct nvtcp_mpath_ns *mns, nvtcp_cmd_cb cb, void *cb_arg);

/**
 * Poll: the paths' I/O queue pairs (unless poll_qpairs is false), their admin queues at most
 * every admin_poll_us (unless poll_admin is false), ANA log reads asked for by events or by
 * ANA statuses, ANATT of paths in change, and the held I/Os (submitted again when a path is
 * usable, failed when their hold timeout expired).
 *
 * \param mns Multipath namespace.
 * \param max Completions per queue pair at most (0 = no limit).
 * \return Completions processed by the queue pairs, or -ENXIO when every path has failed for
 *         good and nothing is left outstanding.
 */
int32_t nvtcp_mpath_ns_process_completions(struct nvtcp_mpath_ns *mns, uint32_t max);

/**
 * The ANA and admin work of nvtcp_mpath_ns_process_completions() alone (for applications
 * that set poll_admin false and poll the admin queues themselves, on the same thread).
 *
 * \param mns Multipath namespace.
 */
void nvtcp_mpath_ns_process_ana(struct nvtcp_mpath_ns *mns);

/** Number of paths (removing ones included). */
uint32_t nvtcp_mpath_ns_get_num_paths(const struct nvtcp_mpath_ns *mns);

/**
 * A path's controller.
 *
 * \param mns Multipath namespace.
 * \param idx Path index, 0..num_paths-1 (indexes shift down when a path is removed).
 * \return The controller, or NULL.
 */
struct nvtcp_ctrlr *nvtcp_mpath_ns_get_path_ctrlr(const struct nvtcp_mpath_ns *mns, uint32_t idx);

/**
 * A path's counters and state.
 *
 * \param mns Multipath namespace.
 * \param idx Path index.
 * \param stats Filled in.
 * \return 0 or -ENOENT.
 */
int nvtcp_mpath_ns_get_path_stats(const struct nvtcp_mpath_ns *mns, uint32_t idx,
				  struct nvtcp_mpath_path_stats *stats);

/**
 * The namespace's counters.
 *
 * \param mns Multipath namespace.
 * \param stats Filled in.
 */
void nvtcp_mpath_ns_get_stats(const struct nvtcp_mpath_ns *mns, struct nvtcp_mpath_ns_stats *stats);

/** Block size in bytes (of the first path). */
uint32_t nvtcp_mpath_ns_get_sector_size(const struct nvtcp_mpath_ns *mns);
/** Size in blocks. */
uint64_t nvtcp_mpath_ns_get_num_sectors(const struct nvtcp_mpath_ns *mns);
/** Largest transfer of one command: the smallest of the paths'. */
uint32_t nvtcp_mpath_ns_get_max_io_xfer_size(const struct nvtcp_mpath_ns *mns);

/**
 * Parse a policy name: "active-passive", "round-robin", "queue-depth" ('_' may stand for '-').
 *
 * \return 0 or -EINVAL.
 */
int nvtcp_mpath_policy_parse(const char *s, enum nvtcp_mpath_policy *policy);

/** Name of a policy ("?" for an unknown value). */
const char *nvtcp_mpath_policy_str(enum nvtcp_mpath_policy policy);

/** Name of an ANA state ("optimized", "non-optimized", "inaccessible", "persistent-loss",
 *  "change", or "?"). */
const char *nvtcp_mpath_ana_state_str(uint8_t state);

/* ---- Discovery-driven set-up ------------------------------------------------------------- */

/** Controllers, queue pairs and the multipath namespace made by nvtcp_mpath_connect_all(). */
struct nvtcp_mpath_set;

/**
 * Connect to every path of a subsystem that a discovery service lists, and group them: read the
 * discovery log at \p disc (referrals followed, as nvtcp_discover()), attach to each NVM entry
 * of \p subnqn (each address once), give each controller one I/O queue pair, and add it as a
 * path of one multipath namespace for \p nsid. An entry that cannot be attached or whose
 * namespace identity differs is skipped with a warning; at least one path must work.
 * Synchronous (set-up code); the calling thread owns everything made.
 *
 * \param disc Discovery service (its subnqn defaults to the discovery NQN).
 * \param subnqn Subsystem NQN.
 * \param nsid Namespace ID.
 * \param copts Controller options of the paths, or NULL (defaults).
 * \param mopts Multipath options, or NULL.
 * \param set Set to the new set.
 * \param err Receives why it failed (may be NULL).
 * \param errlen Its size.
 * \return 0, -ENOENT (no usable path), -EINVAL, -ENOMEM, or the discovery's error.
 */
int nvtcp_mpath_connect_all(const struct nvtcp_trid *disc, const char *subnqn, uint32_t nsid,
			    const struct nvtcp_ctrlr_opts *copts,
			    const struct nvtcp_mpath_ns_opts *mopts, struct nvtcp_mpath_set **set,
			    char *err, size_t errlen);

/** The multipath namespace of a set. */
struct nvtcp_mpath_ns *nvtcp_mpath_set_get_ns(const struct nvtcp_mpath_set *set);

/** Number of controllers (paths) connected by nvtcp_mpath_connect_all(). */
uint32_t nvtcp_mpath_set_get_num_ctrlrs(const struct nvtcp_mpath_set *set);

/** A controller of the set (NULL beyond the last). */
struct nvtcp_ctrlr *nvtcp_mpath_set_get_ctrlr(const struct nvtcp_mpath_set *set, uint32_t idx);

/**
 * Free a set: destroy its multipath namespace, free the queue pairs, detach the controllers.
 *
 * \param set Set (NULL is a no-op).
 * \return 0, or -EBUSY while I/O is outstanding (nothing freed).
 */
int nvtcp_mpath_set_free(struct nvtcp_mpath_set *set);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_MULTIPATH_H */
