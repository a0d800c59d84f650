/*
 * Internals of the host multipath layer (lib/mpath). Everything here belongs to the one thread
 * that owns the multipath namespace: no field is shared with another thread.
 */
#ifndef NVTCP_MPATH_INTERNAL_H
#define NVTCP_MPATH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "nvtcp/multipath.h"

#define MPATH_MAX_PATHS 16
/* Polls between clock reads for the admin tick (mpath_io.c, admin_due()). */
#define MPATH_ADMIN_CHECK_POLLS 8

enum mpath_op {
	MPATH_OP_READ = 0,
	MPATH_OP_WRITE,
	MPATH_OP_READV,
	MPATH_OP_WRITEV,
	MPATH_OP_FLUSH,
};

struct mpath_path;

/* One application I/O, from submission to its one completion callback. */
struct mpath_io {
	struct nvtcp_mpath_ns *mns;
	struct mpath_path *path;      /* where it is outstanding; NULL while held or free */
	void *buf;
	const struct iovec *iov;
	uint64_t lba;
	uint64_t first_fail_ticks;    /* 0 until its first path error */
	nvtcp_cmd_cb cb;
	void *cb_arg;
	uint32_t lba_count;
	uint32_t io_flags;
	uint32_t bytes;
	int iovcnt;
	uint16_t last_status;         /* of the last path error, given when the hold expires */
	uint8_t op;
	bool busy;                    /* between submission and completion: catches a double */
	TAILQ_ENTRY(mpath_io) link;   /* held list */
};

struct mpath_path {
	struct nvtcp_mpath_ns *mns;
	struct nvtcp_ctrlr *ctrlr;
	struct nvtcp_ns *ns;
	struct nvtcp_qpair *qpair;
	uint32_t nsid;
	uint32_t anagrpid;
	uint8_t ana_state;
	bool ana_reporting;           /* CMIC bit 3: the controller has an ANA log */
	bool ana_read_wanted;
	bool ana_read_busy;
	bool change_expired;          /* in change for longer than ANATT */
	bool failed;                  /* admin poll said -ENXIO or the qpair failed for good */
	bool removing;
	/* Cached !removing && !failed && ANA optimized or non-optimized: read per I/O, written
	 * by mpath_path_refresh() after each change of those three. */
	bool usable;
	uint64_t change_since_ticks;
	uint64_t anatt_ticks;
	uint32_t outstanding;
	uint32_t ana_log_len;
	void *ana_log;
	/* The controller's AER callback before ours, called first (chain). */
	nvtcp_cmd_cb prev_aer_cb;
	void *prev_aer_arg;
	struct nvtcp_mpath_path_stats st;
};

struct nvtcp_mpath_ns {
	struct nvtcp_mpath_ns_opts opts;
	struct mpath_path *paths[MPATH_MAX_PATHS];
	uint32_t num_paths;
	uint32_t rr_next;
	/* Identity fixed by the first path. */
	char subnqn[257];
	uint8_t nguid[16];
	uint8_t eui64[8];
	uint8_t uuid[16];
	bool has_uuid;
	uint32_t sector_size;
	uint64_t num_sectors;
	uint32_t max_xfer;
	uint64_t hold_ticks;          /* UINT64_MAX = forever */
	uint64_t last_admin_poll;
	uint64_t admin_poll_ticks;
	uint32_t admin_countdown;     /* polls before the clock is read again (admin_due) */
	/* Preallocated contexts: a stack of free ones. */
	struct mpath_io *ios;
	struct mpath_io **free_ios;
	uint32_t num_free;
	uint32_t outstanding;         /* busy contexts (on a path or held) */
	TAILQ_HEAD(, mpath_io) held;
	uint32_t num_held;
	struct nvtcp_mpath_ns_stats st;
};

/* After any change of p->failed, p->removing or p->ana_state. */
static inline void
mpath_path_refresh(struct mpath_path *p)
{
	p->usable = !p->removing && !p->failed &&
		    (p->ana_state == NVTCP_MPATH_ANA_OPTIMIZED ||
		     p->ana_state == NVTCP_MPATH_ANA_NON_OPTIMIZED);
}

/* Marks the path failed for good (no more I/O to it). */
static inline void
mpath_path_set_failed(struct mpath_path *p)
{
	p->failed = true;
	mpath_path_refresh(p);
}

/* mpath.c: the clock, as lib/nvme's: the env's TSC once the env is up, else CLOCK_MONOTONIC,
 * chosen once. */
uint64_t mpath_ticks(void);
uint64_t mpath_hz(void);

/* mpath_io.c */
bool mpath_path_usable(const struct mpath_path *p);
void mpath_retry_held(struct nvtcp_mpath_ns *mns);

/* mpath_ana.c */
int mpath_ana_path_init(struct mpath_path *p);
/* Unhooks the path from its controller; false when it must not be freed (see there). */
bool mpath_ana_path_fini(struct mpath_path *p);
void mpath_ana_note_status(struct mpath_path *p, uint8_t sc);
void mpath_ana_poll(struct nvtcp_mpath_ns *mns);

#endif /* NVTCP_MPATH_INTERNAL_H */
