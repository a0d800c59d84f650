/*
 * Internals of lib/target, shared by its source files and its unit tests.
 *
 * Ownership (see target.h for the public side):
 * - struct nvtcp_tgt, subsystems, hosts, listeners and the controller registry belong to the
 *   management reactor (M).
 * - struct tgt_pg, one per data reactor, owns its connections, their requests, its socket
 *   group and its data buffer pool. Nothing of a pg is touched by another thread, except its
 *   statistics (single writer, relaxed atomics) and messages sent to its reactor.
 * - struct tgt_ctrlr belongs to the reactor of its admin queue (A). I/O queues on other
 *   reactors hold a pointer to it that stays valid until their release handshake is done
 *   (tgt_ctrlr_ioq_release() -> ack, sent once none of their commands executes), and they read
 *   only ctrlr->csts (relaxed) through it. A reset or shutdown (CC) deletes the I/O queues the
 *   same way, and CSTS changes once they are released.
 * - Namespaces are published in subsys->ns[] with release stores and read lock-free on the I/O
 *   path; a removed namespace is freed only after every pg has confirmed it has no command in
 *   flight for it (ns->inflight[pg], written only by that pg).
 */
#ifndef NVTCP_TARGET_INTERNAL_H
#define NVTCP_TARGET_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include "nvtcp/auth.h"
#include "nvtcp/env.h"
#include "nvtcp/fabrics.h"
#include "nvtcp/log.h"
#include "nvtcp/nvme_spec.h"
#include "nvtcp/reactor.h"
#include "nvtcp/sock.h"
#include "nvtcp/target.h"
#include "nvtcp/target_bdev.h"
#include "nvtcp/tcp_pdu.h"
#include "nvtcp/tls.h"
#include "nvtcp/util.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                            \
	for ((var) = TAILQ_FIRST((head)); (var) && ((tvar) = TAILQ_NEXT((var), field), 1);    \
	     (var) = (tvar))
#endif

/* In-capsule data limit of admin and Fabrics commands (and of every queue before Connect). */
#define TGT_ADMIN_ICD NVTCP_TCP_ADMIN_INCAPSULE_MAX
/* Asynchronous Event Requests a controller holds (AERL + 1). */
#define TGT_AER_MAX 4
/* Aborts in flight per controller (ACL + 1). */
#define TGT_ABORT_MAX 4
/* Distinct listeners the I/O queues of one controller are tracked through. */
#define TGT_CTRLR_PORTIDS 4
/* Error log entries kept per controller (ELPE + 1). */
#define TGT_ERR_LOG_MAX 16
/* Changed namespaces remembered per controller before the log says "more than that". */
#define TGT_CHANGED_NS_MAX 64
/* Connections accepted per listener poll. */
#define TGT_ACCEPT_BATCH 32
/* How often the listeners are polled (accept latency, at most). */
#define TGT_ACCEPT_PERIOD_US 1000
/* How often each pg looks at connect timeouts and namespace quiesce requests. */
#define TGT_PG_TIMER_US 100000
/* Data iovecs of one request. */
#define TGT_REQ_IOV_MAX NVTCP_TCP_PDU_MAX_DATA_IOV
/* Transfer tags: request index in the low bits, R2T sequence in the top 4. */
#define TGT_TTAG_IDX_BITS 12
#define TGT_TTAG_IDX_MASK ((1u << TGT_TTAG_IDX_BITS) - 1)
/* Firmware revision reported in Identify. */
#define TGT_FW_REV "0.1.0"

struct tgt_pg;
struct tgt_conn;
struct tgt_req;
struct tgt_ctrlr;
struct tgt_subsys;
struct tgt_ns;
struct nvtcp_tgt_bdev;
struct tgt_listener;

/* Relaxed single-writer counters that other threads may read. */
#define TGT_STAT_ADD(field, v) \
	__atomic_store_n(&(field), (field) + (v), __ATOMIC_RELAXED)
#define TGT_STAT_LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* ============================================================================================
 * Data buffers: a per-reactor slab carved into aligned buffers with a LIFO free stack.
 * ========================================================================================= */

struct tgt_bufpool {
	uint8_t *base;
	void **stack;
	uint32_t nfree;
	uint32_t count;
	uint32_t size;
};

int tgt_bufpool_init(struct tgt_bufpool *bp, uint32_t count, uint32_t size, int numa);
void tgt_bufpool_fini(struct tgt_bufpool *bp);

/* Take n buffers, all or none. */
static inline bool
tgt_bufpool_get(struct tgt_bufpool *bp, void **bufs, uint32_t n)
{
	if (nvtcp_unlikely(bp->nfree < n)) {
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		bufs[i] = bp->stack[--bp->nfree];
	}
	return true;
}

static inline void
tgt_bufpool_put(struct tgt_bufpool *bp, void **bufs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		bp->stack[bp->nfree++] = bufs[i];
	}
}

/* ============================================================================================
 * Backends (bdev.c, bdev_file.c, bdev_uring.c)
 * ========================================================================================= */

/* The interface is public (nvtcp/target_bdev.h); the built-in backends implement it. */
extern const struct nvtcp_tgt_bdev_ops tgt_bdev_malloc_ops;
extern const struct nvtcp_tgt_bdev_ops tgt_bdev_null_ops;
extern const struct nvtcp_tgt_bdev_ops tgt_bdev_file_ops;
extern const struct nvtcp_tgt_bdev_ops tgt_bdev_uring_ops;

/* Registered backends: index = nvtcp_tgt_bdev.type = slot in tgt_pg.bdev_ctx[]. */
uint32_t tgt_bdev_count(void);
const struct nvtcp_tgt_bdev_ops *tgt_bdev_ops_at(uint32_t type);
/* The registry index of a namespace's backend (backend_name, else the enum), or -1. */
int tgt_bdev_ns_type(const struct nvtcp_tgt_ns_opts *opts);
/* Run the poll function of every backend that has state on \p pg (pg poller). */
int tgt_bdev_poll(struct tgt_pg *pg);
/* Free every backend's state on \p pg (on its reactor, when it stops). */
void tgt_bdev_pg_fini(struct tgt_pg *pg);

int tgt_bdev_malloc_create(uint64_t size, uint32_t block_size, struct nvtcp_tgt_bdev **bdev);
int tgt_bdev_null_create(uint64_t size, uint32_t block_size, uint32_t max_io,
			 struct nvtcp_tgt_bdev **bdev);
int tgt_bdev_file_create(const char *path, uint64_t size, uint32_t block_size, bool create,
			 uint32_t workers, struct nvtcp_tgt_bdev **bdev, char *err, size_t errlen);
/*
 * Open a regular file or block device read-write (creating a file of *size bytes when asked);
 * *size becomes the device's or file's size when it is 0. Shared by the file and uring
 * backends.
 */
int tgt_bdev_path_open(const char *path, uint64_t *size, bool create, int *fd, bool *blockdev,
		       char *err, size_t errlen);
int tgt_bdev_uring_create(const char *path, uint64_t size, uint32_t block_size, bool create,
			  struct nvtcp_tgt_bdev **bdev, char *err, size_t errlen);
void tgt_bdev_destroy(struct nvtcp_tgt_bdev *bdev);

/*
 * Zeroing a byte range of a file or block device (bdev.c), shared by the file and uring
 * backends: Write Zeroes and Deallocate must leave zeroes (DLFEAT says so), by the first of
 * these ways the device supports. Both backends try them in the same order and treat the same
 * failures as "not supported here, try the next".
 */
enum tgt_zero_method {
	TGT_ZM_ZERO_RANGE,      /* fallocate ZERO_RANGE | KEEP_SIZE */
	TGT_ZM_PUNCH_HOLE,      /* fallocate PUNCH_HOLE | KEEP_SIZE */
	TGT_ZM_WRITE,           /* writes of a zero buffer: always works, the last resort */
};
/* Bytes of the zero buffer of TGT_ZM_WRITE (tgt_bdev_zero_buf_alloc()). */
#define TGT_BDEV_ZERO_CHUNK (256u * 1024)
/* The order of the ways for Write Zeroes (ZERO_RANGE first) or Deallocate (PUNCH_HOLE first):
 * 3 methods, ending with TGT_ZM_WRITE. */
const uint8_t *tgt_bdev_zero_steps(bool dealloc);
/* The fallocate() mode of a method other than TGT_ZM_WRITE. */
int tgt_bdev_zero_falloc_mode(uint8_t method);
/* A failure of a fallocate method that means "try the next one" (not supported by this
 * device, or not at this alignment), rather than an I/O error to report. */
bool tgt_bdev_zero_unsupported(int err);
/* A zeroed, 4 KiB aligned (O_DIRECT-safe) buffer of TGT_BDEV_ZERO_CHUNK bytes; free(). */
void *tgt_bdev_zero_buf_alloc(void);

/* Zero-copy memory of a backend, when it has the (optional) function and the memory. */
static inline void *
tgt_bdev_read_ptr(struct nvtcp_tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	return bdev->ops->read_ptr != NULL ? bdev->ops->read_ptr(bdev, off, len) : NULL;
}

static inline void *
tgt_bdev_write_ptr(struct nvtcp_tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	return bdev->ops->write_ptr != NULL ? bdev->ops->write_ptr(bdev, off, len) : NULL;
}

/* ============================================================================================
 * Subsystems and namespaces (subsys.c)
 * ========================================================================================= */

struct tgt_ns {
	uint32_t nsid;
	struct tgt_subsys *subsys;
	struct nvtcp_tgt_bdev *bdev;
	uint64_t num_blocks;
	uint32_t block_size;
	uint32_t block_shift;
	uint8_t uuid[16];
	uint8_t nguid[16];
	uint32_t anagrpid;        /* 1..max_ns (constant) */
	/* How it was made (reported by RPC, saved by save_config). */
	enum nvtcp_tgt_backend backend;
	char *path;               /* file backend */
	uint32_t file_workers;
	/* Commands in flight per pg, each on its own cache line, written only by that pg. */
	struct {
		uint64_t n;
		uint8_t pad[56];
	} *inflight;
	uint32_t quiesce_pending; /* pgs that have not confirmed yet (M) */
	TAILQ_ENTRY(tgt_ns) link; /* tgt->dying_ns (M) */
};

struct tgt_host {
	char nqn[NVTCP_NQN_MAX_LEN + 1];
	bool has_psk;
	struct nvtcp_tls_psk psk; /* wiped when the host goes */
	char *psk_path;           /* the file it came from (save_config), or NULL */
	/* DH-HMAC-CHAP (auth.c): keys wiped when the host goes; the files they came from
	 * (save_config) or NULL when given as text. */
	bool has_dhchap;
	bool has_dhchap_ctrl;
	struct nvtcp_auth_secret dhchap_key;
	struct nvtcp_auth_secret dhchap_ctrl_key;
	char *dhchap_key_path;
	char *dhchap_ctrl_key_path;
	uint32_t dhchap_hashes;   /* 0 = all */
	uint32_t dhchap_dhgroups; /* 0 = all */
	TAILQ_ENTRY(tgt_host) link;
};

/* A listen address of one subsystem: a reference on a shared tgt_listener (M). */
struct tgt_subsys_listener {
	struct tgt_listener *l;
	TAILQ_ENTRY(tgt_subsys_listener) link;
	/* ANA state of each group (anagrpid - 1) through this listener (M; ana.c). */
	uint8_t ana[];
};

struct tgt_subsys {
	struct nvtcp_tgt *tgt;
	char nqn[NVTCP_NQN_MAX_LEN + 1];
	char sn[NVTCP_TGT_SN_MAX_LEN + 1];
	char mn[NVTCP_TGT_MN_MAX_LEN + 1];
	bool discovery;
	bool allow_any;
	bool removing;
	uint32_t max_ns;
	/* Published namespaces: read with tgt_subsys_ns() from any reactor. */
	struct tgt_ns **ns;
	TAILQ_HEAD(, tgt_host) hosts;
	/* Its own listeners, on top of the global ones (M). */
	TAILQ_HEAD(, tgt_subsys_listener) listeners;
	/* Registered controllers (M). */
	TAILQ_HEAD(, tgt_ctrlr) ctrlrs;
	/* nvtcp_tgt_remove_subsys_async() completion, once the controllers are gone. */
	nvtcp_tgt_done_fn removed_cb;
	void *removed_cb_arg;
	TAILQ_ENTRY(tgt_subsys) link;
};

static inline struct tgt_ns *
tgt_subsys_ns(const struct tgt_subsys *subsys, uint32_t nsid)
{
	if (nvtcp_unlikely(nsid == 0 || nsid > subsys->max_ns)) {
		return NULL;
	}
	return __atomic_load_n(&subsys->ns[nsid - 1], __ATOMIC_ACQUIRE);
}

struct tgt_subsys *tgt_subsys_find(struct nvtcp_tgt *tgt, const char *nqn);
bool tgt_subsys_host_allowed(const struct tgt_subsys *subsys, const char *hostnqn);

/*
 * How logs show a host NQN. An empty one is accepted where any host may connect (SPDK's
 * stock tools send it unless told one), and a blank in a log line reads as a bug.
 */
static inline const char *
tgt_hostnqn_str(const char *hostnqn)
{
	return hostnqn[0] != '\0' ? hostnqn : "(empty host NQN)";
}

struct tgt_subsys *tgt_subsys_create_discovery(struct nvtcp_tgt *tgt);
void tgt_subsys_free(struct tgt_subsys *subsys);
void tgt_ns_free(struct tgt_ns *ns);
/* Generate a 20-character serial number from an NQN (stable for the same NQN). */
void tgt_serial_from_nqn(const char *nqn, char *sn);

/*
 * TLS PSKs (subsys.c). The server's PSK lookup runs inside the TLS handshake on a pg, while
 * hosts belong to M, and OpenSSL's callback is synchronous: it cannot wait for a message. So M
 * publishes an immutable table of every (subsystem, host, PSK) with a release store whenever a
 * host with a PSK comes or goes (or its subsystem), and the lookup reads it with an acquire
 * load and holds no pointer into it past the call. A replaced table is wiped and freed after a
 * grace period: a message to every pg and back, because a pg that processed the message is
 * past any lookup that could have seen the old table.
 * ========================================================================================= */

struct tgt_psk_entry {
	char subnqn[NVTCP_NQN_MAX_LEN + 1];
	char hostnqn[NVTCP_NQN_MAX_LEN + 1];
	struct nvtcp_tls_psk psk;
};

struct tgt_psk_table {
	uint32_t n;
	struct tgt_psk_entry e[];
};

/* M: rebuild and publish the table from the subsystems' hosts. -ENOMEM keeps the old one. */
int tgt_psk_publish(struct nvtcp_tgt *tgt);
/* M: free the current table at once (target destroy: no pg polls any more). */
void tgt_psk_table_free(struct nvtcp_tgt *tgt);
/* The nvtcp_tls_psk_lookup_fn of the target (ctx = the tgt). */
int tgt_psk_lookup(void *ctx, const char *identity, size_t identity_len,
		   struct nvtcp_tls_psk *key);
/* M: the host \p hostnqn of \p subsys has a PSK. */
bool tgt_subsys_host_has_psk(const struct tgt_subsys *subsys, const char *hostnqn);

/*
 * Build the discovery log as a host sees it: every NVM subsystem it may connect to, on every
 * listener, then the current discovery subsystem for the listener \p local_port the request
 * came in on (\p local_addr replaces a wildcard address). Returns a malloc'ed buffer (M).
 */
void *tgt_discovery_log_build(struct nvtcp_tgt *tgt, const char *hostnqn, const char *local_addr,
			      uint16_t local_port, size_t *len);

/* ============================================================================================
 * Listeners and the target (tgt.c)
 * ========================================================================================= */

/*
 * One listening socket. It serves every subsystem when \p global (nvtcp_tgt_add_listener()),
 * and the subsystems that reference it (subsys_refs) otherwise; it closes when neither holds.
 */
struct tgt_listener {
	char addr[64];
	char port[16];
	uint16_t bound_port;
	uint16_t portid;
	uint8_t adrfam;
	bool wildcard;
	bool global;
	uint8_t secure;         /* enum nvtcp_tgt_secure_channel */
	uint32_t subsys_refs;
	uint32_t auth_inflight;  /* queues in a first DH-HMAC-CHAP transaction (limits.c) */
	struct nvtcp_sock *sock;
	TAILQ_ENTRY(tgt_listener) link;
};

/* Statistics of a pg or a connection (relaxed atomics: one writer). */
struct tgt_stats {
	struct nvtcp_tgt_io_stats io;
};

/* ============================================================================================
 * Resource limits (limits.c)
 *
 * Usage tables (per source address, host NQN, subsystem NQN) belong to M. Every accepted
 * connection gets a lease at accept (M): it holds the connection's share of its address and,
 * once a Connect passed the limits, of its host and subsystem. The pg that owns the connection
 * keeps the lease pointer but never reads its fields; it sends it back to M to uncharge (a
 * Connect refused after M charged it) and to release (the connection is freed). The release
 * also drops tgt->nconns, so that when nconns reaches 0 every lease is back and the tables
 * are empty.
 * Buffers are accounted per host on each pg (struct tgt_pg_host, pg only, no atomics).
 * ========================================================================================= */

enum tgt_usage_kind {
	TGT_USAGE_ADDR = 0,
	TGT_USAGE_HOST,
	TGT_USAGE_SUBSYS,
	TGT_USAGE_KINDS,
};

struct tgt_usage {
	char key[NVTCP_NQN_MAX_LEN + 1];
	uint32_t conns;         /* leases pointing here: the entry is freed at 0 */
	uint32_t io_queues;
	uint32_t entries;
	uint32_t auth;          /* queues in a first authentication (addresses) */
	uint64_t refusals;
	TAILQ_ENTRY(tgt_usage) link;
};

TAILQ_HEAD(tgt_usage_list, tgt_usage);

struct tgt_lease {
	struct nvtcp_tgt *tgt;
	/* Hand-off from the accept poller to the pg (then unused). */
	struct tgt_pg *pg;
	struct nvtcp_sock *sock;
	uint16_t portid;          /* listener it came through */
	uint8_t secure;           /* its secure channel mode (copied at accept) */
	/* Written on M only. */
	struct tgt_usage *addr;
	struct tgt_usage *host;
	struct tgt_usage *subsys;
	uint32_t entries;
	bool io_queue;
	bool auth_charged;        /* holds an authentication slot (listener and address) */
};

/* Per host NQN on one pg: the buffers its queues there hold. */
struct tgt_pg_host {
	char hostnqn[NVTCP_NQN_MAX_LEN + 1];
	uint32_t conns;
	uint32_t bufs_held;
	TAILQ_ENTRY(tgt_pg_host) link;
};

/* M: check max_connections and max_connections_per_addr for a new connection from \p addr;
 * returns its lease (tgt->nconns counted) or NULL (refused and logged, or out of memory). */
struct tgt_lease *tgt_limits_admit(struct nvtcp_tgt *tgt, const char *addr, uint16_t port,
				   const char *where);
/* M: charge a Connect (queue \p qid of \p qsize entries of host \p hostnqn on subsystem
 * \p subnqn) to its lease. 0, or the limit that refuses it (why says which and its value). */
int tgt_limits_charge(struct tgt_lease *lease, const char *hostnqn, const char *subnqn,
		      uint16_t qid, uint32_t qsize, enum nvtcp_tgt_limit *limit, char *why,
		      size_t whylen);
/* M: undo tgt_limits_charge() (and tgt_limits_auth_charge()). */
void tgt_limits_uncharge(struct tgt_lease *lease);
/* M: take an authentication slot of the lease's listener and address (max_auth_per_*):
 * 0, or -EBUSY with the limit and why. */
int tgt_limits_auth_charge(struct tgt_lease *lease, enum nvtcp_tgt_limit *limit, char *why,
			   size_t whylen);
void tgt_limits_auth_uncharge(struct tgt_lease *lease);
/* Message to M: the first authentication of the lease's queue ended (slot returned). */
void tgt_lease_auth_done_msg(void *lease);
/* Message handlers to M: undo the charge; release the whole lease (frees it). */
void tgt_lease_uncharge_msg(void *lease);
void tgt_lease_release_msg(void *lease);
/* M: usage and refusal tables are empty (at destroy). */
bool tgt_limits_idle(const struct nvtcp_tgt *tgt);
/* pg: the host entry of \p hostnqn on \p pg (created, referenced); NULL without memory. */
struct tgt_pg_host *tgt_pg_host_get(struct tgt_pg *pg, const char *hostnqn);
void tgt_pg_host_put(struct tgt_pg *pg, struct tgt_pg_host *h);
/* Log refusals and per-host usage (M). */
void tgt_limits_log(const struct nvtcp_tgt *tgt);

struct tgt_pg {
	struct nvtcp_tgt *tgt;
	uint32_t idx;
	struct nvtcp_reactor *reactor;
	struct nvtcp_sock_group *group;
	struct nvtcp_poller *poller;
	struct nvtcp_poller *timer;
	struct tgt_bufpool bufs;
	/* Per-reactor state of each backend type (nvtcp_tgt_bdev_io.reactor_ctx). */
	void *bdev_ctx[NVTCP_TGT_BDEV_MAX];
	TAILQ_HEAD(, tgt_conn) conns;
	/* Requests waiting for data buffers, in arrival order. */
	TAILQ_HEAD(, tgt_req) buf_wait;
	/* Connections whose receive stream waits for buffers (in-capsule data). */
	TAILQ_HEAD(, tgt_conn) rx_wait;
	uint32_t nconns;     /* relaxed: M reads it to spread connections */
	uint64_t accepted;   /* relaxed */
	uint64_t conn_seq;
	/* Most buffers one connection may hold. */
	uint32_t conn_buf_cap;
	/* Most buffers the connections of one host on this pg may hold together. */
	uint32_t host_buf_cap;
	/* Hosts with a connected queue here. */
	TAILQ_HEAD(, tgt_pg_host) hosts;
	/* Buffers only in-capsule data may take (see tgt_req_get_bufs()). */
	uint32_t buf_reserve;
	/* Reactor ticks at the previous nvtcp_tgt_log_stats() (M only). */
	uint64_t logged_busy;
	uint64_t logged_idle;
	/* Progress counter of this poll (bytes in, PDUs out): tells busy from idle polls. */
	uint64_t work;
	struct tgt_stats stats;
	bool started;
	bool stopping;
};

struct nvtcp_tgt {
	struct nvtcp_tgt_opts opts;
	struct nvtcp_reactor *mgmt;
	struct tgt_pg *pgs;
	uint32_t npgs;
	uint32_t rr_next;
	bool started;
	bool starting;
	bool destroying;
	nvtcp_tgt_done_fn start_cb;
	void *start_cb_arg;
	uint32_t start_pending;
	int start_status;
	nvtcp_tgt_destroy_fn destroy_cb;
	void *destroy_cb_arg;
	uint32_t fini_pending;
	struct nvtcp_poller *destroy_poller;

	struct tgt_subsys *disc;
	TAILQ_HEAD(, tgt_subsys) subsystems;
	TAILQ_HEAD(, tgt_listener) listeners;
	TAILQ_HEAD(, tgt_ns) dying_ns;
	uint32_t nlisteners;
	uint16_t next_portid;
	struct nvtcp_sock_group *lgroup;
	struct nvtcp_poller *accept_poller;
	uint64_t genctr;
	uint16_t next_cntlid;

	/* TLS PSKs: published by M, read by the pgs' handshakes (see tgt_psk_publish()). */
	struct tgt_psk_table *psk_table;

	/* Resource limits (M): usage per address, host, subsystem; refusals per limit. */
	struct tgt_usage_list usage[TGT_USAGE_KINDS];
	uint64_t refusals[NVTCP_TGT_LIMIT_COUNT];

	/* Live connections and controllers, all reactors (atomic). */
	atomic_uint nconns;
	atomic_uint nctrlrs;

	/* A zero buffer of max_io_size bytes, for null reads and Write Zeroes fallbacks. */
	void *zero_buf;
};

int tgt_listener_open(struct nvtcp_tgt *tgt, struct tgt_listener *l, char *err, size_t errlen);
/* The listener of a port ID, or NULL once it is gone (M). */
struct tgt_listener *tgt_listener_by_portid(struct nvtcp_tgt *tgt, uint16_t portid);
/* Find the listener of addr:port (port as a decimal string) (M). */
struct tgt_listener *tgt_listener_find(struct nvtcp_tgt *tgt, const char *addr, const char *port);
/* Validate addr and port and allocate a closed listener (not linked). */
int tgt_listener_new(struct nvtcp_tgt *tgt, const char *addr, const char *port,
		     const struct nvtcp_tgt_listener_opts *opts, struct tgt_listener **out,
		     char *err, size_t errlen);
/* An existing listener \p old is asked for again with \p l's options: 0 when they agree. */
int tgt_listener_same_opts(const struct tgt_listener *old, const struct tgt_listener *l,
			   char *err, size_t errlen);
/* Link a new listener, opening it when the target runs; frees it on failure (M). */
int tgt_listener_insert(struct nvtcp_tgt *tgt, struct tgt_listener *l, char *err, size_t errlen);
/* Close and free a listener nothing holds any more (M). */
void tgt_listener_release(struct nvtcp_tgt *tgt, struct tgt_listener *l);
/* May a host reach \p subsys through the listener of \p portid? (M) */
bool tgt_subsys_listener_allowed(struct nvtcp_tgt *tgt, const struct tgt_subsys *subsys,
				 uint16_t portid);
/* Send a message to a pg's or the management reactor; waits for room in a full ring. */
void tgt_send_msg(struct nvtcp_reactor *reactor, nvtcp_msg_fn fn, void *arg);
/* The pg of the calling reactor (NULL when it has none). */
struct tgt_pg *tgt_pg_current(struct nvtcp_tgt *tgt);
void tgt_discovery_changed(struct nvtcp_tgt *tgt);
/* Confirm (on a pg) that a removed namespace has nothing in flight there. */
void tgt_ns_quiesce_check(struct tgt_pg *pg);

/* ============================================================================================
 * Connections and requests (conn.c, req.c)
 * ========================================================================================= */

enum tgt_conn_state {
	TGT_CONN_IC_WAIT = 0,  /* ICReq expected */
	TGT_CONN_CONNECT_WAIT, /* IC done: only Fabrics Connect is accepted */
	TGT_CONN_CONNECTING,   /* Connect is being processed (messages in flight) */
	TGT_CONN_LIVE,         /* a queue of a controller */
	TGT_CONN_CLOSING,      /* socket closed; waiting for requests and messages */
	/* On a TLS listener, before IC_WAIT: */
	TGT_CONN_TLS_DETECT,   /* first bytes: TLS ClientHello or plaintext ICReq? */
	TGT_CONN_TLS_HANDSHAKE, /* TLS server handshake in progress */
};

/* Still before the Connect (bounded by connect_timeout_ms). */
static inline bool
tgt_conn_state_early(uint8_t state)
{
	return state < TGT_CONN_CONNECTING || state == TGT_CONN_TLS_DETECT ||
	       state == TGT_CONN_TLS_HANDSHAKE;
}

enum tgt_req_state {
	TGT_REQ_FREE = 0,
	TGT_REQ_NEW,       /* header parsed, data not set up */
	TGT_REQ_NEED_BUF,  /* on pg->buf_wait */
	TGT_REQ_RX_ICD,    /* in-capsule data being received */
	TGT_REQ_R2T,       /* waiting for H2CData */
	TGT_REQ_EXEC,      /* executing (backend, controller, messages) */
	TGT_REQ_AER,       /* held Asynchronous Event Request */
	TGT_REQ_TX,        /* data and/or response queued for sending */
};

/* Where a request's data lives. */
enum tgt_data_kind {
	TGT_DATA_NONE = 0,
	TGT_DATA_BUFS,     /* pool buffers */
	TGT_DATA_DIRECT,   /* zero-copy: namespace memory or the zero buffer */
	TGT_DATA_DISCARD,  /* write payload is dropped (null backend) */
};

struct tgt_req {
	struct tgt_conn *conn;
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_nvme_cpl cpl;
	uint16_t idx;
	uint8_t state;          /* enum tgt_req_state */
	uint8_t data_kind;      /* enum tgt_data_kind */
	uint8_t xfer;           /* enum nvtcp_nvme_data_xfer */
	bool incapsule;
	bool ddgst_error;
	bool use_success;       /* read completes with C2HData SUCCESS */
	bool resp_queued;
	bool close_after;       /* Disconnect: close the queue after the response */
	const char *close_why;  /* why, when not a Disconnect (static string) */
	bool boot;              /* from the bootstrap array (before Connect) */
	bool cid_marked;        /* holds its bit in conn->cid_map */
	uint32_t xfer_len;
	/* Data. */
	int iovcnt;
	uint32_t nbufs;
	struct iovec iov[TGT_REQ_IOV_MAX];
	void *bufs[TGT_REQ_IOV_MAX];
	/* H2C (R2T) progress. */
	uint32_t h2c_next;      /* next expected DATAO */
	uint32_t r2t_sent;      /* bytes covered by R2Ts sent */
	uint32_t r2t_seq;       /* R2Ts sent */
	uint32_t r2t_outstanding;
	/* C2H progress. */
	uint32_t c2h_sent;
	/* Sends whose completion is pending. */
	uint8_t sends;
	bool pdu_ctl_busy;
	bool pdu_data_busy;
	struct tgt_ns *ns;
	struct nvtcp_tgt_bdev_io bio;
	/* Compare: a second set of buffers with the namespace data. */
	struct iovec cmp_iov[TGT_REQ_IOV_MAX];
	void *cmp_bufs[TGT_REQ_IOV_MAX];
	/* cmp_iov describes cmp_bufs like iov describes bufs. */
	uint32_t cmp_nbufs;
	void *msg_ctx;          /* Connect/Abort/log contexts in flight */
	TAILQ_ENTRY(tgt_req) link;
	struct nvtcp_tcp_tx_pdu pdu_ctl;  /* R2T or CapsuleResp */
	struct nvtcp_tcp_tx_pdu pdu_data; /* C2HData */
};

struct tgt_conn {
	struct nvtcp_tgt *tgt;
	struct tgt_pg *pg;
	struct nvtcp_sock *sock;
	uint64_t id;
	uint8_t state;          /* enum tgt_conn_state */
	bool rx_blocked;        /* the receive stream waits for buffers */
	bool on_rx_wait;
	bool term_sent;
	bool c2h_success;
	bool sqflow_disabled;
	bool registered;        /* an I/O queue known to its controller: release needed */
	bool release_sent;      /* that release is on its way (sent once nothing executes) */
	uint16_t qid;
	uint16_t sqsize;        /* 0's based */
	uint16_t sqhd;
	uint16_t cntlid;
	uint32_t max_icd;
	uint32_t qsize;         /* sqsize + 1 */
	uint32_t outstanding;
	uint32_t bufs_held;     /* data buffers its requests hold (capped: one host cannot
				 * take a reactor's whole pool) */
	uint32_t refs;          /* messages and backend I/O that still point here */
	uint64_t accept_tick;
	struct nvtcp_tcp_params params;
	struct nvtcp_tcp_rx rx;
	struct nvtcp_sock_rxbuf rb;
	struct tgt_req *rx_req; /* request whose in-capsule or H2C data is being received */
	struct tgt_ctrlr *ctrlr;
	struct tgt_subsys *subsys;
	struct tgt_lease *lease; /* its share of the limits (returned to M when freed) */
	struct tgt_pg_host *host; /* set at Connect: buffers of its non-bootstrap requests */
	struct tgt_req *reqs;
	uint32_t nreqs;
	struct tgt_req **free_reqs;
	uint32_t nfree;
	struct tgt_req boot_reqs[2];
	struct tgt_req *boot_free[2];
	uint64_t *cid_map;      /* outstanding CIDs, 65536 bits */
	struct nvtcp_tcp_tx_pdu ctl_pdu; /* ICResp, TermReq */
	bool ctl_pdu_busy;
	char peer[64];
	char local_addr[64];
	uint16_t local_port;
	/* Port ID of the listener that accepted it (constant after creation); 0 for a
	 * connection created without a listener, which no listener rule restricts. */
	uint16_t portid;
	uint8_t secure;         /* enum nvtcp_tgt_secure_channel of that listener */
	bool tls;               /* the handshake completed: the queue runs over TLS */
	char hostnqn[NVTCP_NQN_MAX_LEN + 1];
	char close_reason[96];
	/* In-band authentication of this queue (auth.c); NULL when its host has no key. */
	struct tgt_auth *auth;
	struct tgt_stats stats;
	TAILQ_ENTRY(tgt_conn) link;
	TAILQ_ENTRY(tgt_conn) wait_link;
};

/* conn.c */
/* Takes the lease (released when the connection is freed, or at once on failure). */
struct tgt_conn *tgt_conn_create(struct tgt_pg *pg, struct nvtcp_sock *sock,
				 struct tgt_lease *lease);
void tgt_conn_close(struct tgt_conn *conn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Read and process what the socket has (one batched read). */
void tgt_conn_process(struct tgt_conn *conn);
/* Drop a reference; frees a closed connection with none left. */
void tgt_conn_put(struct tgt_conn *conn);
/* Allocate the request array for a queue of qsize entries (at Connect). */
int tgt_conn_alloc_reqs(struct tgt_conn *conn, uint32_t qsize);
/* Retry connections and requests that wait for buffers (pg poller). */
void tgt_pg_retry_waiters(struct tgt_pg *pg);
/* Fatal protocol error found outside the rx callbacks: TermReq then close. */
void tgt_conn_fatal(struct tgt_conn *conn, uint16_t fes, uint32_t fei, const void *hdr,
		    size_t hdr_len);
/* Send the R2Ts that a write may have outstanding now. */
void tgt_req_send_r2ts(struct tgt_req *req);
void tgt_req_put_bufs(struct tgt_req *req);

/* req.c */
/* A CapsuleCmd header arrived: parse, validate, set up data. Returns an rx callback value. */
int tgt_req_cmd_header(struct tgt_conn *conn);
/* In-capsule data of rx_req arrived. */
int tgt_req_cmd_payload(struct tgt_conn *conn, bool ddgst_ok);
/* All data of a request is in: run it. */
void tgt_req_execute(struct tgt_req *req);
/* Complete with cpl.status already set (0 = success): send data and/or the response. */
void tgt_req_complete(struct tgt_req *req);
/* Complete with a status. */
void tgt_req_complete_status(struct tgt_req *req, uint8_t sct, uint8_t sc, bool dnr);
/* Buffers became available for a request on pg->buf_wait. */
void tgt_req_bufs_ready(struct tgt_req *req);
/* Allocate data buffers for xfer_len bytes into req->iov; false when the pool is dry. */
bool tgt_req_get_bufs(struct tgt_req *req);
/* Free a request whose sends (if any) are done. */
void tgt_req_release(struct tgt_req *req);
/* Set status helpers. */
static inline void
tgt_req_set_status(struct tgt_req *req, uint8_t sct, uint8_t sc, bool dnr)
{
	req->cpl.status = nvtcp_nvme_status(sct, sc, dnr);
}

/* ============================================================================================
 * Controllers (ctrlr.c) and admin commands (admin.c)
 * ========================================================================================= */

struct tgt_ioq {
	struct tgt_conn *conn;
	struct tgt_pg *pg;
};

struct tgt_err_entry {
	uint64_t count;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;
	uint32_t nsid;
	uint64_t lba;
};

enum tgt_ctrlr_state {
	TGT_CTRLR_INIT = 0,    /* registered on M, not yet bound on A */
	TGT_CTRLR_LIVE,
	TGT_CTRLR_DYING,       /* tearing down: queues released, then unregistered */
};

struct tgt_ctrlr {
	/* Set by M at registration, constant afterwards. */
	struct nvtcp_tgt *tgt;
	struct tgt_subsys *subsys;
	struct tgt_pg *pg;
	uint16_t cntlid;
	bool discovery;
	/* Listener its admin queue came in through. */
	uint16_t portid;
	/* Other listeners its I/O queues came in through (M), so that removing one of them
	 * reaches this controller too; past TGT_CTRLR_PORTIDS it counts as through every one. */
	uint16_t io_portids[TGT_CTRLR_PORTIDS];
	uint8_t nio_portids;
	bool io_portids_overflow;
	char hostnqn[NVTCP_NQN_MAX_LEN + 1];
	uint8_t hostid[16];
	TAILQ_ENTRY(tgt_ctrlr) subsys_link; /* M */

	/* Owned by A. */
	uint8_t state;
	struct tgt_conn *admin;
	uint32_t cc;
	uint32_t csts;          /* also read (relaxed) by I/O queues */
	uint32_t kato_ms;
	uint64_t ka_ticks;
	bool ka_activity;
	uint32_t io_activity;   /* set (relaxed) by I/O queues on any command */
	struct nvtcp_poller *ka_poller;
	uint32_t num_io_queues; /* granted by Number of Queues */
	uint32_t max_qid;
	struct tgt_ioq *ioq;    /* [0..max_qid] */
	uint32_t nioq;
	uint32_t releases_pending;
	/* A Controller Level Reset (CC.EN 1 -> 0) or a shutdown (CC.SHN) is deleting the I/O
	 * queues: CSTS changes when the last one is released (ctrlr.c, ctrlr_quiesce()). */
	bool quiescing;
	bool shn_pending;
	struct tgt_req *aer[TGT_AER_MAX];
	uint32_t naer;
	uint32_t aec;
	uint32_t events_pending;  /* TGT_EVT_* not yet reported */
	uint32_t events_masked;   /* TGT_EVT_* reported, log not read yet */
	uint32_t changed_ns[TGT_CHANGED_NS_MAX];
	uint32_t nchanged_ns;
	bool changed_ns_overflow;
	uint32_t arbitration;
	uint32_t power_mgmt;
	uint16_t temp_th[2];      /* Temperature Threshold (Kelvin): [0] over, [1] under */
	bool vwc;
	uint32_t naborts;
	struct tgt_err_entry errs[TGT_ERR_LOG_MAX];
	uint64_t err_count;
	char teardown_reason[96];
	/* ANA (ana.c): the state of each group (anagrpid - 1) through the listener of the admin
	 * queue, and the change counts of the log and of each group descriptor. Written by M
	 * (relaxed atomics), read by A (log page) and by the I/O queues. NULL for a discovery
	 * controller and a subsystem without namespaces slots. */
	uint8_t *ana_state;
	uint64_t *ana_grp_chgcnt;
	uint64_t ana_chgcnt;
};

/*
 * Default over-temperature threshold of the composite temperature (Kelvin, 70 C). There is no
 * sensor behind it (the health log reports 0 K); the feature is mandatory for I/O controllers,
 * and hosts read it (SPDK's identify prints no health log without it).
 */
#define TGT_TEMP_OVER_DEFAULT 343u

#define TGT_EVT_NS_CHANGED (1u << 0)
#define TGT_EVT_DISC_CHANGED (1u << 1)
#define TGT_EVT_ANA_CHANGED (1u << 2)

/* ctrlr.c: Fabrics commands. */
void tgt_ctrlr_connect(struct tgt_req *req);
void tgt_ctrlr_prop_get(struct tgt_req *req);
void tgt_ctrlr_prop_set(struct tgt_req *req);
void tgt_ctrlr_keep_alive(struct tgt_req *req);
/* Change the keep-alive timeout (Set Features KATO). */
int tgt_ctrlr_set_kato(struct tgt_ctrlr *ctrlr, uint32_t kato_ms);
uint64_t tgt_ctrlr_cap(const struct nvtcp_tgt *tgt, bool discovery);
void tgt_ctrlr_admin_conn_closed(struct tgt_ctrlr *ctrlr, const char *reason);
/* An I/O queue is gone: tell its controller (message), then free after the ack. */
void tgt_ctrlr_ioq_release(struct tgt_conn *conn);
void tgt_ctrlr_teardown(struct tgt_ctrlr *ctrlr, const char *reason);
void tgt_ctrlr_add_error(struct tgt_ctrlr *ctrlr, const struct tgt_req *req);
void tgt_ctrlr_aer(struct tgt_req *req);
/*
 * A command on an admin queue arrived with the CID of an Asynchronous Event Request still
 * held. SPDK's host (24.01) completes its AERs locally when it detaches and reuses their CIDs
 * for the shutdown's Property Get/Set while they are outstanding here; refusing those with
 * Command ID Conflict fails its shutdown ("Failed to read the CC register"). The AER is
 * forgotten (released, never completed: the host no longer waits for it). Returns true when
 * \p cid was such an AER.
 */
bool tgt_ctrlr_aer_forget(struct tgt_conn *conn, uint16_t cid);
void tgt_ctrlr_abort(struct tgt_req *req);
/* Abort the command \p cid of a queue of this pg if it still waits inside the target. */
bool tgt_conn_abort_cid(struct tgt_conn *conn, uint16_t cid);
/* Queue an event for a controller (on A) and complete an AER if one is held. */
void tgt_ctrlr_event(struct tgt_ctrlr *ctrlr, uint32_t event, uint32_t nsid);
/* Queue an event for a controller from M (message to its reactor). */
void tgt_ctrlr_post_event(struct tgt_ctrlr *ctrlr, uint32_t event, uint32_t nsid);
/* Broadcast a namespace change / discovery change to controllers (M). */
void tgt_ctrlrs_ns_changed(struct tgt_subsys *subsys, uint32_t nsid);
void tgt_ctrlrs_disc_changed(struct nvtcp_tgt *tgt);
/* Teardown every controller of a subsystem (M). */
void tgt_subsys_teardown_ctrlrs(struct tgt_subsys *subsys);
/* Teardown the controllers of a subsystem of one host (hostnqn != NULL) or whose admin queue
 * came through one listener (portid != 0) (M). Returns how many. */
uint32_t tgt_subsys_teardown_some(struct tgt_subsys *subsys, const char *hostnqn,
				  uint16_t portid, const char *reason);
static inline bool
tgt_ctrlr_ready(const struct tgt_ctrlr *ctrlr)
{
	return (__atomic_load_n(&ctrlr->csts, __ATOMIC_RELAXED) & NVTCP_NVME_CSTS_RDY) != 0;
}

/* admin.c */
void tgt_admin_identify(struct tgt_req *req);
void tgt_admin_get_log_page(struct tgt_req *req);
void tgt_admin_get_features(struct tgt_req *req);
void tgt_admin_set_features(struct tgt_req *req);
/* Expected data length of an admin command, or -1 for an unknown opcode. */
int64_t tgt_admin_data_len(const struct tgt_req *req);
/* Copy \p len bytes of a log page starting at the request's offset into its data. */
void tgt_req_fill_log(struct tgt_req *req, const void *log, size_t log_len);
uint32_t tgt_mdts(const struct nvtcp_tgt *tgt);

/* ============================================================================================
 * In-band authentication, DH-HMAC-CHAP (auth.c)
 *
 * M copies a host's keys into a struct tgt_auth_keys for each Connect of that host (the
 * queue's reactor cannot read hosts); the queue owns them from its Connect response on, with
 * AUTHREQ.ATR set, and wipes them when it is freed. set_keys sends fresh copies M -> A -> each
 * I/O queue's pg (tgt_subsys_host_rekey), which replace (and wipe) the queue's copy. Until the queue's first transaction
 * succeeds it takes Authentication Send/Receive (and Disconnect) only. Transactions are run
 * by lib/auth's controller engine; each step is bounded by opts.auth_timeout_ms (pg timer).
 * ========================================================================================= */

struct tgt_auth_keys {
	struct nvtcp_auth_secret host;
	struct nvtcp_auth_secret ctrl;
	bool has_ctrl;
	uint32_t hashes;
	uint32_t dhgroups;
};

struct tgt_auth {
	struct tgt_auth_keys keys;
	char subnqn[NVTCP_NQN_MAX_LEN + 1];
	struct nvtcp_auth_ctrl *tx;  /* transaction in progress, or NULL */
	uint64_t deadline;           /* ticks: the host's next message is due by then */
	const char *wait;            /* what is awaited, for the timeout's log line */
	uint32_t seqnum;             /* S1 of the last transaction */
	uint32_t transactions;
	bool authenticated;          /* a transaction succeeded: the queue is usable */
	bool charged;                /* the first transaction holds a slot on M (limits.c) */
	struct nvtcp_auth_result result;
	/* Keys that arrived (nvmf_subsystem_set_keys) while a transaction was running: that
	 * transaction finishes with the keys it started with; the next one takes these. */
	struct tgt_auth_keys *pending;
};

/* M: copy the keys of \p h (NULL without memory). Free with tgt_auth_keys_free(). */
struct tgt_auth_keys *tgt_auth_keys_get(const struct tgt_host *h);
void tgt_auth_keys_free(struct tgt_auth_keys *k);
/* M: the host entry of \p hostnqn on \p subsys, or NULL. */
const struct tgt_host *tgt_subsys_host_find(const struct tgt_subsys *subsys, const char *hostnqn);
/* Load a host's DH-HMAC-CHAP options into \p h (add_host; err names the field). */
int tgt_auth_host_set(struct tgt_host *h, const struct nvtcp_tgt_host_opts *opts, char *err,
		      size_t errlen);
/* Wipe and free a host's DH-HMAC-CHAP keys and paths. */
void tgt_auth_host_clear(struct tgt_host *h);
/* M: replace the DH-HMAC-CHAP keys of \p h (set_keys): the new ones are loaded first, so on
 * error \p h is unchanged; 0 masks keep the host's current ones. err names the field. */
int tgt_auth_host_replace(struct tgt_host *h, const struct nvtcp_tgt_host_opts *opts,
			  char *err, size_t errlen);
/* pg: the queue's keys change (takes \p keys): at once when no transaction runs, else at the
 * start of the next one. A queue that never had to authenticate ignores them. */
void tgt_auth_conn_rekey(struct tgt_conn *conn, struct tgt_auth_keys *keys);
/* M: push the keys of host \p h to every live queue of its controllers on \p s (through
 * their admin queue's reactor); returns the number of controllers reached. */
uint32_t tgt_subsys_host_rekey(struct tgt_subsys *s, const struct tgt_host *h);
/* pg, at a successful Connect: the queue now requires authentication (takes \p keys; charged:
 * the Connect holds an authentication slot). -ENOMEM. */
int tgt_auth_conn_start(struct tgt_conn *conn, struct tgt_auth_keys *keys, const char *subnqn,
			bool charged);
/* pg: free the queue's authentication state (wipes it). */
void tgt_auth_conn_free(struct tgt_conn *conn);
/* May this command run on the queue now? False: Authentication Required. */
static inline bool
tgt_auth_cmd_allowed(const struct tgt_conn *conn, const struct nvtcp_nvme_cmd *cmd)
{
	uint8_t fctype;

	if (nvtcp_likely(conn->auth == NULL) || conn->auth->authenticated) {
		return true;
	}
	if (cmd->opc != NVTCP_NVME_OPC_FABRICS) {
		return false;
	}
	fctype = nvtcp_nvmf_cmd_fctype(cmd);
	return fctype == NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND ||
	       fctype == NVTCP_NVMF_FCTYPE_AUTHENTICATION_RECV ||
	       fctype == NVTCP_NVMF_FCTYPE_DISCONNECT;
}
/* req.c: expected transfer of an Authentication Send/Receive, or a status. */
uint16_t tgt_auth_expect(struct tgt_req *req, int64_t *exp, uint8_t *xfer);
/* Execute Authentication Send / Receive (data in req->iov). */
void tgt_auth_send(struct tgt_req *req);
void tgt_auth_recv(struct tgt_req *req);
/* pg timer: close the connection when its step is overdue; true when it did. */
bool tgt_auth_check_timeout(struct tgt_conn *conn, uint64_t now);

/* ============================================================================================
 * JSON helpers of the configuration file, shared with the RPC methods (config.c)
 * ========================================================================================= */

struct json_object;

#define TGT_CFG_PATH_LEN 160

/* Where errors go: "<file>: <path>: <message>" (file = the config file or the RPC method). */
struct tgt_cfg {
	const char *file;
	char *err;
	size_t errlen;
};

/* Write the error; returns -EINVAL. */
int tgt_cfg_err(struct tgt_cfg *c, const char *jpath, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* parent.key (key alone when parent is ""), parent[i]. */
void tgt_cfg_jpath_key(char *dst, const char *parent, const char *key);
void tgt_cfg_jpath_idx(char *dst, const char *parent, size_t i);
/* \p obj must be an object whose keys are all in \p keys (NULL-terminated). */
int tgt_cfg_check_keys(struct tgt_cfg *c, const char *jpath, struct json_object *obj,
		       const char *const *keys);
/* A number in min..max, or a size string ("64K", "1G") when \p size. */
int tgt_cfg_get_u64(struct tgt_cfg *c, const char *jpath, struct json_object *v, bool size,
		    uint64_t min, uint64_t max, uint64_t *out);
/* Optional members: *out is left alone when the key is absent. */
int tgt_cfg_get_u32(struct tgt_cfg *c, const char *parent, struct json_object *obj,
		    const char *key, bool size, uint64_t min, uint64_t max, uint32_t *out);
int tgt_cfg_get_bool(struct tgt_cfg *c, const char *parent, struct json_object *obj,
		     const char *key, bool *out);
int tgt_cfg_get_str(struct tgt_cfg *c, const char *parent, struct json_object *obj,
		    const char *key, const char **out);
/* 32 hex digits (dashes ignored). */
int tgt_cfg_parse_hex16(const char *s, uint8_t out[16]);
/* An optional secure channel mode: "none" | "optional" | "required", or SPDK's bool. */
int tgt_cfg_get_secure(struct tgt_cfg *c, const char *parent, struct json_object *obj,
		       const char *key, enum nvtcp_tgt_secure_channel *out);
/* An allowed host as the configuration file and the RPC methods give it. */
struct tgt_cfg_host {
	const char *nqn;
	const char *psk;             /* key file path, or NULL (inline keys are refused) */
	const char *dhchap_key;      /* DHHC-1 text or file, or NULL */
	const char *dhchap_ctrl_key;
	uint32_t dhchap_hashes;      /* masks, 0 = all */
	uint32_t dhchap_dhgroups;
};
/* What save_config writes for a secret that was given as text (it never writes secrets);
 * loading it fails with a message saying so. */
#define TGT_CFG_SECRET_NOT_SAVED "(secret given inline: not saved)"
/* Allow a host with its keys; an inline PSK interchange string is refused. */
int tgt_cfg_add_host(struct nvtcp_tgt *tgt, const char *subnqn, const struct tgt_cfg_host *h,
		     char *err, size_t errlen);
/* auth.c: the dhchap_* members of a host object into \p h (strings point into \p obj). */
int tgt_cfg_get_dhchap(struct tgt_cfg *c, const char *parent, struct json_object *obj,
		       struct tgt_cfg_host *h);
/* auth.c: add the dhchap_* members of a host to its save_config object \p o. */
void tgt_cfg_dhchap_json(const struct tgt_host *h, struct json_object *o);
/* auth.c: nvmf_subsystem_add_host's dhchap_* params (file paths only, SPDK's names). */
int tgt_auth_rpc_host_params(struct tgt_cfg *c, struct json_object *params,
			     struct tgt_cfg_host *h);
/* auth.c: a host's authentication settings for nvmf_get_subsystems (never a key). */
void tgt_auth_host_info_json(const struct tgt_host *h, struct json_object *o);
/* auth.c: a queue's authentication state for nvmf_get_stats. */
void tgt_auth_qpair_json(const struct nvtcp_tgt_conn_stats *cs, struct json_object *q);
/* A namespace object (config "namespaces" entry, RPC "namespace"); strings point into \p o. */
int tgt_cfg_parse_ns(struct tgt_cfg *c, const char *q, struct json_object *o,
		     struct nvtcp_tgt_ns_opts *opts);

/* ============================================================================================
 * Asymmetric Namespace Access (ana.c)
 *
 * Groups: each namespace has an ANA group ID (default its NSID). States: per (subsystem
 * listener, group) in tgt_subsys_listener.ana (M). A controller copies the states of the
 * listener its admin queue came through when it registers (M), and M updates that copy on
 * every change, so that the I/O path reads one byte of its own controller without a lock.
 * Controllers that came through a global listener see every group optimized.
 * ========================================================================================= */

/* ANA Transition Time reported in Identify Controller (seconds). */
#define TGT_ANATT_S 10

/* M: fill a new subsystem listener's states from \p opts (NULL: optimized). */
void tgt_ana_listener_init(const struct tgt_subsys *s, struct tgt_subsys_listener *sl,
			   const struct nvtcp_tgt_listener_opts *opts);
/* M: give a just-registered controller its states. Returns 0 or -ENOMEM. */
int tgt_ana_ctrlr_init(struct tgt_ctrlr *c);
/* Free a controller's ANA states (with the controller). */
void tgt_ana_ctrlr_fini(struct tgt_ctrlr *c);
/* M: set \p state for group \p anagrpid (0 = all) through \p sl and tell the controllers that
 * came through it whose visible state changed. */
void tgt_ana_set(struct tgt_subsys *s, struct tgt_subsys_listener *sl, uint8_t state,
		 uint32_t anagrpid);
/* A: Get Log Page LID 0Ch (\p rae: Retain Asynchronous Event). */
void tgt_ana_log_page(struct tgt_req *req, bool rae);
/* Build the ANA log of \p c into \p buf (up to \p size bytes); returns its full length. */
size_t tgt_ana_log_build(const struct tgt_ctrlr *c, bool rgo, uint8_t *buf, size_t size);
/* Identify Controller fields of an I/O controller of \p s. */
void tgt_ana_identify_ctrlr(const struct tgt_subsys *s, struct nvtcp_nvme_ctrlr_data *cd);
/* The subsystem's own listener \p l, or NULL. */
struct tgt_subsys_listener *tgt_ana_subsys_listener(const struct tgt_subsys *s,
						    const struct tgt_listener *l);

/*
 * Status of an I/O command to \p ns through controller \p c: 0, or the Path Related status of
 * an inaccessible, persistently lost or changing group (DNR clear: another path may serve it).
 */
static inline uint16_t
tgt_ana_io_status(const struct tgt_ctrlr *c, const struct tgt_ns *ns)
{
	uint8_t st;

	if (c->ana_state == NULL) {
		return 0;
	}
	st = __atomic_load_n(&c->ana_state[ns->anagrpid - 1], __ATOMIC_RELAXED);
	if (nvtcp_likely(st == NVTCP_NVME_ANA_OPTIMIZED || st == NVTCP_NVME_ANA_NON_OPTIMIZED)) {
		return 0;
	}
	switch (st) {
	case NVTCP_NVME_ANA_INACCESSIBLE:
		return nvtcp_nvme_status(NVTCP_NVME_SCT_PATH,
					 NVTCP_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE, false);
	case NVTCP_NVME_ANA_PERSISTENT_LOSS:
		return nvtcp_nvme_status(NVTCP_NVME_SCT_PATH,
					 NVTCP_NVME_SC_ASYMMETRIC_ACCESS_PERSISTENT_LOSS, false);
	default:
		return nvtcp_nvme_status(NVTCP_NVME_SCT_PATH,
					 NVTCP_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION, false);
	}
}

/* Config/RPC: an optional "ana_state" member (SPDK's names). */
int tgt_cfg_get_ana_state(struct tgt_cfg *c, const char *parent, struct json_object *obj,
			  const char *key, enum nvtcp_tgt_ana_state *out);
/* Config: check an optional "ana_groups" array [{"anagrpid": N, "ana_state": S}] of a
 * listener at \p jpath. */
int tgt_ana_cfg_check(struct tgt_cfg *c, const char *jpath, struct json_object *groups);
/* Config: apply a checked "ana_groups" array to a subsystem listener just added. */
int tgt_ana_cfg_apply(struct nvtcp_tgt *tgt, const char *nqn, const char *addr,
		      const char *port, struct json_object *groups, char *err, size_t errlen);
/* save_config / nvmf_get_subsystems: add "ana_state" (the state most groups are in) and
 * "ana_groups" (the groups in another one) of \p sl to \p o. */
void tgt_ana_listener_json(const struct tgt_subsys *s, const struct tgt_subsys_listener *sl,
			   struct json_object *o);

#endif /* NVTCP_TARGET_INTERNAL_H */
