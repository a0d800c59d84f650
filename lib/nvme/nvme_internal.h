/*
 * Internals of lib/nvme, shared by its source files and its unit tests.
 *
 * Objects and who owns them:
 * - struct nvtcp_ctrlr: the admin queue pair, the bring-up, recovery (reset.c) and detach
 *   state machines, keep-alive, timeouts and Aborts (timeout.c), AERs, namespaces, the list of
 *   I/O queue pairs. Admin thread only, except the fields marked "shared" (atomics read by I/O
 *   threads; reset.c documents their publication order).
 * - struct nvtcp_qpair: one TCP connection, re-established in place by a reconnect (the
 *   connect machine runs again on the same queue pair, its requests and queues kept).
 *   Everything in it belongs to the thread that owns the queue pair; nothing locks.
 * - struct nvme_request: one command on the wire (or waiting for a wire slot). Preallocated per
 *   queue pair; its index is its command identifier (CID), so looking up a CID from the wire is
 *   an array index plus a state check.
 * - struct nvme_parent: a command the driver split into child requests (transfers above the
 *   limit, long log pages). Preallocated per queue pair; never on the wire.
 * - struct nvme_io_desc: everything needed to (re)issue a command; the parent's copy, and the
 *   entries of the deferred ring (full-queue policy NVTCP_QPAIR_FULL_QUEUE).
 *
 * Request life cycle (enum nvme_req_state): FREE -> QUEUED (software queue: no wire slot or not
 * connected yet) -> WIRE (capsule handed to the socket; awaiting its completion) -> FREE, with a
 * detour through DRAINING when the completion arrives while PDUs that reference the command's
 * buffers are still in the socket's send queue: the command then completes only when they have
 * left, so that the caller never gets its buffer back while we still read from it.
 */
#ifndef NVTCP_NVME_INTERNAL_H
#define NVTCP_NVME_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "nvtcp/auth.h"
#include "nvtcp/log.h"
#include "nvtcp/nvme.h"
#include "nvtcp/sock.h"
#include "nvtcp/tls.h"
#include "nvtcp/tcp_pdu.h"
#include "nvtcp/util.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                             \
	for ((var) = TAILQ_FIRST((head)); (var) && ((tvar) = TAILQ_NEXT((var), field), 1);      \
	     (var) = (tvar))
#endif

/* ---- Limits and defaults ------------------------------------------------------------------ */

/**
 * Driver cap on the data of one command (the limit is min(this, MDTS)). 1 MiB: large enough for
 * the sequential block sizes benchmarks use without splitting, small enough that one command
 * never makes us accept a C2HData PDU of more than 1 MiB.
 */
#define NVME_DRIVER_MAX_XFER (1024u * 1024)
/** Receive buffer of a queue pair: headers and the payloads that arrive with them. */
#define NVME_RXBUF_SIZE (64u * 1024)
/** At most this many Asynchronous Event Requests outstanding (AERL + 1, capped). */
#define NVME_MAX_AERS 8u
/** Highest MAXR2T + 1 accepted in the options. */
#define NVME_MAX_R2T 16u
/* A Read whose data failed its digest is sent again this many times before it completes with
 * Transient Transport Error (a read is idempotent; Linux's block layer retries up to 5). */
#define NVME_DDGST_RETRIES 3u
/** Dataset Management range buffers per I/O queue pair (256 ranges, 4 KiB each). */
#define NVME_DSM_BUFS 16u
#define NVME_DSM_BUF_SIZE (NVTCP_NVME_DSM_MAX_RANGES * sizeof(struct nvtcp_nvme_dsm_range))
/** Most active namespaces tracked (a larger NN is scanned up to this many). */
#define NVME_MAX_NAMESPACES 4096u
/** Wait for the controller's answer to bring-up commands when admin_timeout_ms is 0. */
#define NVME_DEFAULT_CMD_TIMEOUT_MS 60000u
/** Delay between two CSTS reads while waiting for RDY or SHST. */
#define NVME_CSTS_POLL_US 1000u
/** Shutdown wait: RTD3E clamped to [min, max]. */
#define NVME_SHUTDOWN_TIMEOUT_MIN_MS 5000u
#define NVME_SHUTDOWN_TIMEOUT_MAX_MS 60000u
/** Largest admin/I/O queue size accepted. */
#define NVME_MAX_QUEUE_SIZE 65536u
/**
 * Namespace objects a controller keeps at most over its life (they are never freed before
 * detach, since I/O threads hold pointers): a target that keeps inventing namespace IDs in
 * rescans cannot make us grow without bound.
 */
#define NVME_MAX_NS_OBJECTS (2u * NVME_MAX_NAMESPACES)
/** Hard cap on discovery log entries, whatever the caller allows (64 MiB of records). */
#define NVME_DISC_MAX_ENTRIES 65536u
/** Abort requests that can wait for the admin thread at once (I/O threads post them). */
#define NVME_ABORT_SLOTS 16u
/**
 * How long a reset waits for the I/O queue pairs to drop their connections of the old
 * association before the admin queue reconnects (their threads notice on their next poll).
 */
#define NVME_RESET_QUIESCE_MS 1000u
/**
 * A re-established association that fails again within this time without having completed a
 * single I/O command has not proved itself. Twice in a row, and the failure continues the
 * same recovery (attempts and ctrl_loss_tmo keep counting, the next attempt waits
 * reconnect_delay_ms), so a controller that accepts the admin queue and fails right after
 * (refuses every I/O Connect, drops the connection at once...) is not reconnected in a loop
 * forever. Once is forgiven (a packet lost during the reconnect itself). One that carried I/O
 * starts a new recovery (first attempt at once), however soon it fails: a transport that loses
 * a connection every second must not cost reconnect_delay each time.
 */
#define NVME_RESET_STABLE_MS 10000u
/** TCP connect deadline of the connect machine when connect_timeout_ms is 0. */
#define NVME_DEFAULT_CONNECT_TIMEOUT_MS 10000u

/* ---- Clock -------------------------------------------------------------------------------- */

/** Current ticks: the env's TSC once nvtcp_env_init() ran, else CLOCK_MONOTONIC in ns. */
uint64_t nvme_ticks(void);
/** Tick rate of nvme_ticks(). */
uint64_t nvme_ticks_hz(void);
/** Milliseconds to ticks. */
uint64_t nvme_ms_to_ticks(uint64_t ms);
/** Ticks to milliseconds. */
uint64_t nvme_ticks_to_ms(uint64_t ticks);
/** Test hook: use \p now (with rate \p hz) as the clock; NULL restores the default. */
void nvme_set_clock(uint64_t (*now)(void), uint64_t hz);

/** Test hook: how queue pairs open their TCP connection (default nvtcp_sock_connect_async). */
typedef struct nvtcp_sock *(*nvme_connect_fn)(const char *addr, const char *svc,
					      const struct nvtcp_sock_opts *opts, int *rc);
void nvme_set_connect_fn(nvme_connect_fn fn);

/** Test hook: the TLS client calls of the connect machine (default lib/sock's). */
struct nvme_tls_hooks {
	int (*client)(struct nvtcp_sock *sock, const struct nvtcp_tls_client_opts *opts, char *err,
		      size_t errlen);
	int (*poll)(struct nvtcp_sock *sock, char *err, size_t errlen);
	const char *(*cipher)(const struct nvtcp_sock *sock);
	/* Why the record layer failed (nvtcp_sock_tls_error); may be NULL. */
	const char *(*error)(const struct nvtcp_sock *sock);
};
/** Install \p hooks (NULL restores lib/sock's). */
void nvme_set_tls_hooks(const struct nvme_tls_hooks *hooks);
/** The hooks in use. */
const struct nvme_tls_hooks *nvme_tls(void);
struct nvtcp_sock *nvme_sock_connect(const char *addr, const char *svc,
				     const struct nvtcp_sock_opts *opts, int *rc);

/* ---- Host-side completion statuses -------------------------------------------------------- */

/** Aborted - SQ Deletion, DNR clear: the transport failed or the queue went away; a retry on
 *  another connection is safe. */
#define NVME_STATUS_ABORTED_SQ_DELETION                                                         \
	nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_ABORTED_SQ_DELETION, false)
/** Transient Transport Error, DNR clear: a data digest error, or data that did not arrive. */
#define NVME_STATUS_TRANSIENT_TRANSPORT                                                          \
	nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC,                                                \
			  NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR, false)

/** Host Path Error: the command was not sent because the path is down (reconnect pending and
 *  fast_io_fail_tmo expired: DNR clear; the controller failed for good: DNR set). */
#define NVME_STATUS_HOST_PATH_ERROR(dnr)                                                        \
	nvtcp_nvme_status(NVTCP_NVME_SCT_PATH, NVTCP_NVME_SC_HOST_PATH_ERROR, (dnr))
/** Invalid Namespace or Format, DNR set: the namespace went away. */
#define NVME_STATUS_INVALID_NS                                                                  \
	nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT, true)
/** Namespace Not Ready, DNR set: the namespace changed across a reconnect. */
#define NVME_STATUS_NS_NOT_READY                                                                \
	nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_NAMESPACE_NOT_READY, true)

/** Fill \p cpl with a host-side status for command \p cid of queue \p sqid. */
void nvme_cpl_host(struct nvtcp_nvme_cpl *cpl, uint16_t sqid, uint16_t cid, uint16_t status);

/* ---- PDUs --------------------------------------------------------------------------------- */

/** A PDU we send, with what its send completion must update. */
struct nvme_tx_pdu {
	struct nvtcp_tcp_tx_pdu pdu;
	struct nvtcp_qpair *qpair;
	struct nvme_request *req;  /* NULL for ICReq and TermReq */
	uint8_t r2t_idx;           /* H2CData: index of its R2T in req->r2t */
	bool last;                 /* H2CData: last PDU of its R2T */
	SLIST_ENTRY(nvme_tx_pdu) link;
};

/** One R2T the controller sent for a command: the data it asked for and what we sent. */
struct nvme_r2t {
	uint16_t ttag;
	uint32_t off;      /* R2TO */
	uint32_t len;      /* R2TL */
	uint32_t queued;   /* bytes already put into H2CData PDUs */
	uint32_t inflight; /* H2CData PDUs handed to the socket and not yet sent */
};

/* ---- Requests ----------------------------------------------------------------------------- */

enum nvme_req_state {
	NVME_REQ_FREE = 0,
	NVME_REQ_QUEUED,   /* in qpair->queued: waiting for a wire slot or the connection */
	NVME_REQ_WIRE,     /* in qpair->wire: capsule handed to the socket */
	NVME_REQ_DRAINING, /* completion received; our PDUs for it are still being sent */
};

struct nvme_parent;

struct nvme_request {
	struct nvtcp_nvme_cmd cmd;     /* SQE, cid included */
	uint8_t state;                 /* enum nvme_req_state */
	uint8_t xfer;                  /* enum nvtcp_nvme_data_xfer */
	bool incapsule;                /* H2C data travels in the capsule */
	bool ddgst_error;              /* a C2HData of this command failed its data digest */
	uint8_t ddgst_retries;         /* times it was sent again after a data digest error */
	bool stop_h2c;                 /* completion arrived: send no more H2CData */
	bool h2c_waiting;              /* on qpair->h2c_wait */
	bool internal;                 /* driver command: not counted in the application's stats */
	bool abort_sent;               /* timed out once and an Abort was asked for */
	uint16_t idx;                  /* index in qpair->reqs */
	/* Command ID on the wire: the index in the low bits, a generation that changes with
	 * every use of the request in the bits above it (as the Linux host), so that a completion
	 * for an earlier use of a reused slot is told from the current one and refused. */
	uint16_t cid;
	uint16_t pending_sends;        /* our PDUs for it still in the socket's send queue */
	uint32_t len;                  /* data bytes */
	uint32_t c2h_rcvd;             /* C2H bytes received (in order: also the next DATAO) */
	uint32_t r2t_next;             /* R2TO the next R2T must have */
	uint8_t r2t_head;              /* ring of active R2Ts: oldest */
	uint8_t r2t_count;             /* active R2Ts (data not all sent yet) */
	int16_t dsm_buf;               /* DSM range buffer index, -1 = none */
	struct nvtcp_nvme_cpl cpl;     /* kept while DRAINING */
	nvtcp_cmd_cb cb;
	void *cb_arg;
	struct nvme_parent *parent;
	/* Set only by the driver's Authentication Receive (auth.c): the controller may transfer
	 * less than the allocation length; the bytes it sent are stored here. NULL for every
	 * other command, for which a short transfer is an error. */
	uint32_t *c2h_len_out;
	/* The namespace of an NVM command (NULL otherwise): a command that waited through a
	 * reconnect is not sent if its namespace went away or changed meanwhile. */
	struct nvtcp_ns *ns;
	/* When it went on the wire; restarted when its timeout was handled (and the request then
	 * moves to the tail of the wire list, which stays sorted by this tick). */
	uint64_t submit_tick;
	TAILQ_ENTRY(nvme_request) link;     /* free, queued or wire list */
	TAILQ_ENTRY(nvme_request) h2c_link; /* qpair->h2c_wait */
	struct nvme_r2t r2t[NVME_MAX_R2T];
	int iovcnt;
	struct iovec iov[NVTCP_MAX_IOVCNT];
	struct nvme_tx_pdu cap;        /* the CapsuleCmd PDU */
};

/** Kinds of commands the driver may split. */
enum nvme_desc_kind {
	NVME_DESC_RAW = 0, /* never split */
	NVME_DESC_LBA,     /* SLBA/NLB command: split by blocks */
	NVME_DESC_LOG,     /* Get Log Page: split by bytes, LPOL/LPOU advance */
};

/** A command as submitted, before it is turned into one or more requests. */
struct nvme_io_desc {
	uint8_t kind;           /* enum nvme_desc_kind */
	bool internal;
	int16_t dsm_buf;
	struct nvtcp_ns *ns;    /* NVM commands: the namespace (see struct nvme_request) */
	struct nvtcp_nvme_cmd cmd;      /* template: opcode, nsid, cdw10.. (cid and SGL set later) */
	uint64_t len;           /* data bytes of the whole command */
	uint64_t lba;           /* LBA: first block */
	uint32_t nlb;           /* LBA: blocks */
	uint32_t block_size;    /* LBA: bytes per block on the wire (0: no data, e.g. Write Zeroes) */
	uint32_t max_blocks;    /* LBA: blocks per child */
	uint64_t log_offset;    /* LOG: byte offset in the log */
	uint32_t max_chunk;     /* LOG: bytes per child */
	nvtcp_cmd_cb cb;
	void *cb_arg;
	int iovcnt;
	struct iovec iov[NVTCP_MAX_IOVCNT];
};

/** A split command: issues children as requests free up, completes once after the last. */
struct nvme_parent {
	struct nvme_io_desc d;
	uint64_t issued;        /* LBA: blocks issued; LOG: bytes issued */
	uint64_t total;         /* LBA: nlb; LOG: len */
	uint32_t children;      /* outstanding children */
	bool stop;              /* an error: issue no more children */
	bool waiting;           /* on qpair->split_wait */
	bool in_use;
	struct nvtcp_nvme_cpl cpl;  /* first error, or the last child's completion */
	TAILQ_ENTRY(nvme_parent) link;
};

/* ---- Queue pairs -------------------------------------------------------------------------- */

enum nvme_qpair_state {
	NVME_QPAIR_DISCONNECTED = 0, /* created, never connected */
	NVME_QPAIR_CONNECTING,  /* the connect machine runs (conn_state) */
	NVME_QPAIR_CONNECTED,
	/* The connection was lost (or dropped for a controller reset); the queue pair waits for
	 * the controller to be re-established, then reconnects. Submissions are queued. */
	NVME_QPAIR_RESETTING,
	NVME_QPAIR_FAILED,      /* for good: submissions return -ENXIO */
};

/** The resumable connect machine: socket, ICReq/ICResp, Fabrics Connect. */
enum nvme_conn_state {
	NVME_CONN_IDLE = 0,
	NVME_CONN_SOCK,      /* TCP connect in progress */
	NVME_CONN_TLS,       /* TLS handshake in progress (before the ICReq; nothing received) */
	NVME_CONN_ICRESP,    /* ICReq sent, waiting for ICResp */
	NVME_CONN_CONNECT,   /* Fabrics Connect sent, waiting for its completion */
	NVME_CONN_AUTH,      /* DH-HMAC-CHAP transaction the Connect response asked for (auth.c) */
	NVME_CONN_DONE,
	NVME_CONN_FAILED,
};

TAILQ_HEAD(nvme_req_list, nvme_request);
TAILQ_HEAD(nvme_parent_list, nvme_parent);
SLIST_HEAD(nvme_pdu_list, nvme_tx_pdu);

struct nvtcp_qpair {
	struct nvtcp_ctrlr *ctrlr;
	uint16_t qid;
	uint8_t state;                 /* enum nvme_qpair_state */
	uint8_t conn_state;            /* enum nvme_conn_state */
	bool ic_done;                  /* ICResp received and accepted */
	bool in_poll;
	bool in_resume;
	bool in_fail;
	bool quiet_fail;               /* an orderly teardown: log at INFO, not ERROR */
	bool async_connect;
	uint8_t policy;                /* enum nvtcp_qpair_full_policy */

	uint32_t queue_size;           /* entries; Connect SQSIZE = queue_size - 1 */
	uint32_t max_wire;             /* commands on the wire at most (normal requests) */
	uint32_t wire_count;
	uint32_t max_r2t;              /* R2Ts per command accepted (MAXR2T + 1) */
	uint32_t incapsule_max;        /* in-capsule data bytes for non-Fabrics commands */
	uint32_t max_xfer;

	/* Requests: reqs[cid & cid_mask]. The last num_reserved are reserved: the last one carries
	 * the Fabrics Connect, then (admin queue) keep-alives and the shutdown commands. */
	uint32_t num_reqs;
	uint16_t cid_mask;             /* index bits of a CID */
	uint8_t cid_shift;             /* where its generation starts (16: no generation) */
	uint32_t num_reserved;
	struct nvme_request *reqs;
	struct nvme_req_list free_reqs;
	uint32_t nfree;
	struct nvme_req_list queued;   /* software queue, FIFO */
	struct nvme_req_list wire;     /* on the wire, oldest first */
	struct nvme_req_list h2c_wait; /* requests with R2T data not yet put in PDUs */

	struct nvme_parent *parents;
	uint32_t num_parents;
	struct nvme_parent_list free_parents;
	struct nvme_parent_list split_wait;

	struct nvme_io_desc *deferred; /* ring (NVTCP_QPAIR_FULL_QUEUE only) */
	uint32_t def_cap;
	uint32_t def_head;
	uint32_t def_count;

	struct nvme_tx_pdu *h2c_pdus;
	uint32_t num_h2c_pdus;
	struct nvme_pdu_list free_h2c;

	uint8_t *dsm_mem;
	uint32_t dsm_free_mask;

	/* Connection. */
	struct nvtcp_sock *sock;
	struct nvtcp_sock_rxbuf rb;
	struct nvtcp_tcp_rx rx;
	struct nvtcp_tcp_params params;
	struct nvtcp_tcp_ic_opts ic_opts;
	struct nvme_tx_pdu ctl_pdu;    /* ICReq */
	struct nvme_tx_pdu term_pdu;   /* H2CTermReq (its own: the ICReq may still be queued) */
	struct nvtcp_nvmf_connect_data *connect_data;
	uint16_t cntlid;               /* controller ID the I/O Connect sends */
	bool ever_connected;           /* a later connection loss is recoverable */
	uint32_t assoc_gen;            /* association (ctrlr->assoc_gen) of the connection */
	uint32_t proven_gen;           /* last association it completed a command on (I/O) */
	/* Reset acknowledged: the ctrlr->reset_id whose RESETTING this queue pair has seen (and
	 * dropped its connection for). Written by the owner thread, read by the admin thread. */
	_Atomic uint32_t reset_ack;
	uint64_t tmo_ticks;            /* command timeout (0 = off) */
	uint64_t deadline;             /* of the current connect state */
	int sock_error;                /* a send failed: handled by the next poll */
	int fail_rc;
	char fail_reason[160];
	char tls_cipher[48];           /* of the connection; "" = plaintext */
	/* In-band authentication (auth.c): the transaction in progress (Connect or a
	 * re-authentication), and what the last successful one negotiated. */
	struct nvme_auth *auth;
	bool authenticated;
	struct nvtcp_auth_result auth_result;
	/* Set by a receive callback that ends the connection; acted on after the callback. */
	int pend_rc;
	char pend_reason[160];

	/* Polling. */
	uint32_t poll_max;
	uint32_t poll_done;
	uint32_t seen_event_gen;
	struct nvtcp_qpair_stats stats;
	uint64_t old_send_calls;       /* of closed sockets */
	uint64_t old_recv_calls;
	uint64_t old_pdus_received;

	struct nvtcp_poll_group *group;
	TAILQ_ENTRY(nvtcp_qpair) group_link;
	uint64_t group_base_send;      /* counters when it joined the group */
	uint64_t group_base_recv;
	uint64_t group_base_queued;
	TAILQ_ENTRY(nvtcp_qpair) ctrlr_link;
	char name[64];
};

/** Options of nvme_qpair_create(). */
struct nvme_qpair_cfg {
	uint16_t qid;
	uint32_t queue_size;
	uint32_t num_reqs;
	uint32_t num_reserved;
	uint32_t wire_reserved;        /* wire slots kept for reserved requests (keep-alive) */
	uint32_t num_parents;
	enum nvtcp_qpair_full_policy policy;
	bool dsm;
	bool async_connect;
};

static inline bool
nvme_qpair_is_up(const struct nvtcp_qpair *qp)
{
	return qp->state == NVME_QPAIR_CONNECTED || qp->state == NVME_QPAIR_CONNECTING;
}

/* qpair.c */
struct nvtcp_qpair *nvme_qpair_create(struct nvtcp_ctrlr *ctrlr, const struct nvme_qpair_cfg *cfg);
void nvme_qpair_destroy(struct nvtcp_qpair *qpair);
struct nvme_request *nvme_req_alloc(struct nvtcp_qpair *qpair);
/** Fill a request's command, data and SGL. \p cmd's cid, psdt and SGL are overwritten. */
int nvme_req_setup(struct nvtcp_qpair *qpair, struct nvme_request *req,
		   const struct nvtcp_nvme_cmd *cmd, const struct iovec *iov, int iovcnt,
		   uint32_t len, nvtcp_cmd_cb cb, void *cb_arg);
/** Send now when a wire slot is free and the queue is connected (or \p bypass), else queue. */
void nvme_req_submit(struct nvtcp_qpair *qpair, struct nvme_request *req, bool bypass);
/** Release a request that was set up but never submitted. */
void nvme_req_release(struct nvtcp_qpair *qpair, struct nvme_request *req);
/** The controller finished a command (CapsuleResp, or C2HData with SUCCESS). */
/* The controller completed \p req (on the wire) but we cannot use its data: send it again
 * as a new use of its slot (new CID generation, data counters cleared). */
void nvme_req_resend(struct nvtcp_qpair *qpair, struct nvme_request *req);
void nvme_req_complete(struct nvtcp_qpair *qpair, struct nvme_request *req,
		       const struct nvtcp_nvme_cpl *cpl);
/** A request's last queued PDU left the socket: finish a DRAINING completion. */
void nvme_req_sends_done(struct nvtcp_qpair *qpair, struct nvme_request *req);
/** Submit a command described by \p d, splitting it when needed; applies the full policy. */
int nvme_qpair_submit_desc(struct nvtcp_qpair *qpair, const struct nvme_io_desc *d);
/** Move waiting work forward after a request or wire slot freed. */
void nvme_qpair_resume(struct nvtcp_qpair *qpair);
/**
 * The connection of a queue pair failed (transport error, protocol error, TermReq, connect
 * failure). When the queue pair can recover (it was connected before, reconnect is enabled and
 * the controller is not going away) the connection is dropped (nvme_qpair_disconnect()) and a
 * controller reset is started (admin queue) or asked for (I/O queue); otherwise the queue pair
 * fails for good (nvme_qpair_fail_final() with Aborted - SQ Deletion). Does nothing when the
 * queue pair is already down.
 */
void nvme_qpair_fail(struct nvtcp_qpair *qpair, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/**
 * Drop the connection, recoverably: state RESETTING (submissions are queued from now on),
 * close the socket, complete every command on the wire once with Aborted - SQ Deletion (DNR
 * clear; the controller may have executed it). Commands not yet sent stay queued for the next
 * connection, except on the admin queue (completed too: bring-up reissues its own) and the
 * remaining parts of a split command that already failed.
 */
void nvme_qpair_disconnect(struct nvtcp_qpair *qpair, int rc, const char *reason);
/**
 * Fail a queue pair for good: send nothing more, close the connection, complete every command
 * once: those on the wire with Aborted - SQ Deletion (DNR clear), those never sent (queued,
 * deferred, split remainders) with \p unsent_status.
 */
void nvme_qpair_fail_final(struct nvtcp_qpair *qpair, uint16_t unsent_status, int rc,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/** Complete every command that was never sent with \p status (fast_io_fail). */
void nvme_qpair_fail_unsent(struct nvtcp_qpair *qpair, uint16_t status);
/** Close the socket keeping its counters. */
void nvme_qpair_close_sock(struct nvtcp_qpair *qpair);
/** Take / give back a DSM range buffer. */
int nvme_dsm_buf_get(struct nvtcp_qpair *qpair);
void nvme_dsm_buf_put(struct nvtcp_qpair *qpair, int idx);
static inline void *
nvme_dsm_buf_addr(struct nvtcp_qpair *qpair, int idx)
{
	return qpair->dsm_mem + (size_t)idx * NVME_DSM_BUF_SIZE;
}

/* tcp.c: the PDU engine. */
/** Initialise the receiver and parameters for a new connection. */
int nvme_tcp_conn_init(struct nvtcp_qpair *qpair);
/** Build the CapsuleCmd of \p req and queue it on the socket. */
int nvme_tcp_send_capsule(struct nvtcp_qpair *qpair, struct nvme_request *req);
/** Queue the ICReq. */
int nvme_tcp_send_icreq(struct nvtcp_qpair *qpair);
/** Queue H2CData PDUs for pending R2Ts while PDUs are available. */
void nvme_tcp_h2c_pump(struct nvtcp_qpair *qpair);
/** One batched receive and the processing of what arrived. */
void nvme_tcp_rx_poll(struct nvtcp_qpair *qpair);
/** Process bytes left in the receive buffer by a poll that reached its completion budget
 *  (no system call): a poll group calls it, since epoll does not report such bytes. */
void nvme_tcp_rx_leftover(struct nvtcp_qpair *qpair);
/** A whole poll of one queue pair (housekeeping, receive, and send when \p flush). */
int32_t nvme_qpair_poll(struct nvtcp_qpair *qpair, uint32_t max, bool flush);
/** Per-poll work that does not need the socket to be readable (connect, events, failures). */
void nvme_qpair_housekeeping(struct nvtcp_qpair *qpair);

/* qpair_connect.c */
/** Start (or restart) the connect machine: socket, ICReq, Connect. */
int nvme_qpair_connect_start(struct nvtcp_qpair *qpair);
/** Advance it; 0 connected, -EAGAIN in progress, negative errno when it failed. */
int nvme_qpair_connect_poll(struct nvtcp_qpair *qpair);
/** ICResp arrived and was accepted: send the Fabrics Connect. */
void nvme_qpair_connect_icresp_done(struct nvtcp_qpair *qpair);
/** The connect machine failed with \p rc and a reason. */
void nvme_qpair_connect_fail(struct nvtcp_qpair *qpair, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** The connect succeeded (Connect, and authentication when asked): the queue is connected. */
void nvme_qpair_connect_finish(struct nvtcp_qpair *qpair);
/** Decode a failed Connect completion into an errno and a reason. */
int nvme_connect_status_decode(const struct nvtcp_nvme_cpl *cpl, char *reason, size_t len);

/* auth.c: DH-HMAC-CHAP on a queue (see the file's comment). */
struct nvme_auth;
/** Load the DH-HMAC-CHAP options into the controller (attach); -errno with a logged reason. */
int nvme_auth_ctrlr_init(struct nvtcp_ctrlr *ctrlr);
/** Wipe the controller's secrets. */
void nvme_auth_ctrlr_fini(struct nvtcp_ctrlr *ctrlr);
/**
 * The Connect of \p qpair succeeded with AUTHREQ \p authreq: start the transaction it asks
 * for (conn_state NVME_CONN_AUTH). Returns 0 when one was started, 1 when none is needed
 * (the queue is connected), or a negative errno after failing the connect with the reason.
 */
int nvme_auth_connect_start(struct nvtcp_qpair *qpair, uint16_t authreq);
/** Connect machine poll in NVME_CONN_AUTH: the step deadline, a retried submission. */
int nvme_auth_connect_poll(struct nvtcp_qpair *qpair);
/** The connection of \p qpair closed: end (and free) any transaction on it. */
void nvme_auth_qpair_closed(struct nvtcp_qpair *qpair);
/** Admin thread poll: re-authentication deadline and the deferred completion callback. */
void nvme_auth_ctrlr_poll(struct nvtcp_ctrlr *ctrlr);
/** Detach: report a re-authentication still in progress as cancelled. */
void nvme_auth_ctrlr_cancel(struct nvtcp_ctrlr *ctrlr);

/* ---- Controller --------------------------------------------------------------------------- */

/** Bring-up states; one function each (ctrlr.c). */
enum nvme_init_state {
	NVME_INIT_CONNECT_ADMINQ = 0,
	NVME_INIT_READ_CAP,
	NVME_INIT_READ_VS,
	NVME_INIT_ENABLE,
	NVME_INIT_WAIT_RDY,
	NVME_INIT_IDENTIFY,
	NVME_INIT_SET_NUM_QUEUES,
	NVME_INIT_SET_AEC,
	NVME_INIT_SCAN_NS,
	NVME_INIT_SUBMIT_AERS,
	NVME_INIT_READY,
	NVME_INIT_FAILED,
};

/** Detach states (ctrlr.c). */
enum nvme_detach_state {
	NVME_DETACH_NONE = 0,
	NVME_DETACH_START,
	NVME_DETACH_SHUTDOWN,       /* Property Set CC.SHN sent */
	NVME_DETACH_WAIT_SHST,      /* reading CSTS until SHST = 2 */
	NVME_DETACH_CLOSE,
	NVME_DETACH_DONE,
};

/** Namespace scan states (ns.c). */
enum nvme_scan_state {
	NVME_SCAN_IDLE = 0,
	NVME_SCAN_LIST,             /* Identify active namespace list, page by page */
	NVME_SCAN_IDENTIFY_NS,      /* Identify Namespace of each */
	NVME_SCAN_NS_DESC,          /* Namespace Identification Descriptors of each */
	NVME_SCAN_DONE,
};

struct nvtcp_ns {
	struct nvtcp_ctrlr *ctrlr;
	uint32_t id;
	/* Read by I/O threads with relaxed atomics: updated in place by a rescan. */
	bool active;
	uint16_t fail_status;     /* status of queued commands while inactive */
	bool changed;             /* changed across a reconnect: inactive until detach */
	bool identified;          /* data holds an Identify Namespace */
	/* What the application was last told (ns events), admin thread only. */
	bool reported_active;
	bool reported_changed;
	uint64_t reported_nsze;
	uint32_t sector_size;     /* data bytes per block */
	uint32_t md_size;
	uint32_t xfer_block;      /* bytes per block on the wire (data + extended metadata) */
	uint64_t num_sectors;
	uint32_t max_io_xfer;
	bool has_uuid;
	uint8_t uuid[16];
	uint32_t scan_gen;        /* the scan that last found it */
	struct nvtcp_nvme_ns_data data;
};

/** Recovery states (reset.c). */
enum nvme_reset_state {
	NVME_RESET_NONE = 0,
	NVME_RESET_QUIESCE,         /* I/O queue pairs drop their old connections (bounded) */
	NVME_RESET_WAIT,            /* waiting for the next reconnect attempt */
	NVME_RESET_CONNECT,         /* an attempt: the bring-up machine runs again */
};

/** Why an I/O queue pair asked for a reset (packed with its queue ID). */
enum nvme_reset_why {
	NVME_RESET_WHY_IO_FAILED = 1,
	NVME_RESET_WHY_IO_TIMEOUT = 2,
};

/** An Abort posted by the thread that detected a timeout, for the admin thread to send. */
enum nvme_abort_slot_state {
	NVME_ABORT_SLOT_FREE = 0,
	NVME_ABORT_SLOT_CLAIMED,    /* being filled */
	NVME_ABORT_SLOT_READY,
};

struct nvme_abort_slot {
	_Atomic uint32_t state;
	uint16_t qid;
	uint16_t cid;
	uint32_t gen;               /* association of the command */
};

/** An Abort on the wire (admin thread). */
struct nvme_abort_ctx {
	struct nvtcp_ctrlr *ctrlr;
	bool used;
	uint16_t qid;
	uint16_t cid;
};

/** An admin command the driver waits for, with its result. */
struct nvme_wait {
	bool done;
	struct nvtcp_nvme_cpl cpl;
};

struct nvtcp_ctrlr {
	struct nvtcp_trid trid;
	struct nvtcp_ctrlr_opts opts; /* psk / psk_path cleared: the key lives in tls_psk */
	bool tls;                     /* every connection runs TLS first */
	struct nvtcp_tls_psk tls_psk; /* the configured PSK (wiped at free) */
	/* DH-HMAC-CHAP (auth.c): secrets parsed at attach (wiped at free), read-only afterwards
	 * (I/O threads authenticate their own queues with them). */
	bool dhchap;                  /* a host secret is configured */
	bool dhchap_bidir;            /* ... and a controller secret: bidirectional */
	struct nvtcp_auth_secret dhchap_key;
	struct nvtcp_auth_secret dhchap_ctrl_key;
	_Atomic uint32_t auth_tid;    /* transaction IDs (any queue, any thread) */
	/* nvtcp_ctrlr_reauthenticate(), admin thread. */
	bool reauth_busy;             /* a re-authentication was asked for and not reported */
	bool reauth_report;           /* it ended: report reauth_rc from the next admin poll */
	int reauth_rc;
	nvtcp_ctrlr_auth_cb reauth_cb;
	void *reauth_cb_arg;
	/* Shared: read by I/O threads to notice controller-level events without a lock. */
	_Atomic int state;            /* enum nvtcp_ctrlr_state */
	_Atomic uint32_t event_gen;   /* bumped on every state change and fast-fail */
	/* Shared, recovery (see reset.c for the publication order). */
	_Atomic uint32_t assoc_gen;   /* association: bumped when a reconnect re-established it */
	_Atomic uint32_t pub_cntlid;  /* controller ID of that association */
	_Atomic uint32_t pub_num_io_queues; /* I/O queues it granted */
	_Atomic uint32_t reset_id;    /* bumped when a reset starts */
	_Atomic uint32_t reset_req_gen;  /* association an I/O queue pair asked to reset, 0 none */
	_Atomic uint32_t reset_req_info; /* its queue ID and why (enum nvme_reset_why << 16) */
	_Atomic bool io_fast_fail;    /* fast_io_fail_tmo expired: unsent I/O fails */
	_Atomic uint32_t proven_gen;  /* association on which an I/O command succeeded */
	_Atomic uint32_t abort_posted; /* abort slots READY (a hint for the admin thread) */
	struct nvme_abort_slot abort_slots[NVME_ABORT_SLOTS];

	uint8_t init_state;           /* enum nvme_init_state */
	uint64_t init_deadline;       /* of the current bring-up command */
	uint64_t wait_deadline;       /* of a longer wait: CSTS.RDY, a namespace scan */
	uint64_t next_tick;           /* CSTS polling: do not read before */
	int init_rc;
	bool cmd_pending;             /* a bring-up command is outstanding */
	struct nvme_wait w;           /* its result */
	char reason[512];
	bool attached;                /* the first attach completed */

	/* Recovery (reset.c), admin thread. */
	uint8_t reset_state;          /* enum nvme_reset_state */
	bool reiniting;               /* the bring-up machine runs as a reconnect attempt */
	bool reset_explicit;          /* nvtcp_ctrlr_reset(): one attempt even with tmo 0 */
	uint32_t reconnect_attempt;   /* attempts of this recovery episode so far */
	uint64_t reset_start;         /* tick the episode started (ctrl_loss/fast_io_fail) */
	uint64_t next_attempt;
	uint64_t quiesce_deadline;
	uint64_t last_live;           /* tick of the last (re)connect; 0 never */
	bool last_live_reconnect;     /* ... and it was a reconnect (not the first attach) */
	uint32_t unproven_streak;     /* reconnects in a row that failed before carrying I/O */
	char reset_reason[160];       /* why the episode started */
	char attempt_reason[256];     /* why the last attempt failed */
	struct nvtcp_nvme_ctrlr_data *new_cdata;  /* Identify of a reconnect, before the check */
	struct nvtcp_ctrlr_stats stats;
	nvtcp_ns_event_cb ns_cb;
	void *ns_cb_arg;

	/* Timeouts and aborts (timeout.c), admin thread. */
	uint64_t admin_tmo_ticks;     /* 0 = off */
	uint64_t io_tmo_ticks;
	uint32_t aborts_outstanding;
	struct nvme_abort_ctx abort_ctx[NVME_ABORT_SLOTS];

	bool discovery;
	bool enabled;                 /* CC.EN was written and RDY seen */
	struct nvtcp_qpair *adminq;
	uint64_t cap;
	uint32_t vs;
	uint32_t cc;
	uint16_t cntlid;
	struct nvtcp_nvme_ctrlr_data *cdata;
	uint32_t max_xfer;
	uint32_t io_incapsule;
	uint32_t num_io_queues;       /* granted (by the last association) */
	uint32_t num_io_queues_first; /* granted at attach (sizes the queue ID map) */
	uint32_t io_queue_size_max;   /* CAP.MQES + 1 */

	/* I/O queue IDs: bit n-1 set = qid n in use (alloc from any thread). */
	_Atomic uint64_t *qid_bits;
	uint32_t qid_words;
	pthread_mutex_t qpairs_lock;  /* the list only: allocation and free, never the I/O path */
	TAILQ_HEAD(, nvtcp_qpair) qpairs;

	/* Keep-alive. */
	uint64_t ka_interval;         /* ticks; 0 = none */
	uint64_t ka_timeout;          /* ticks */
	uint64_t next_ka;
	uint64_t ka_sent;
	bool ka_outstanding;
	bool ka_armed;

	/* Asynchronous events. */
	nvtcp_cmd_cb aer_cb;
	void *aer_cb_arg;
	uint32_t aer_target;          /* AERs to keep outstanding */
	uint32_t aer_outstanding;
	bool aer_limit_hit;
	uint8_t *aer_log;             /* log page read to clear an event */
	bool aer_log_busy;

	nvtcp_timeout_cb timeout_cb;
	void *timeout_cb_arg;

	/* Namespaces: every one ever seen stays allocated (I/O threads hold pointers). */
	struct nvtcp_ns **ns;         /* sorted by id */
	uint32_t num_ns;
	uint32_t num_active;
	uint8_t scan_state;           /* enum nvme_scan_state */
	bool scan_pending;            /* a rescan was asked for while one ran */
	int scan_rc;
	uint32_t *scan_ids;           /* active IDs found by the running scan */
	uint32_t scan_count;
	uint32_t scan_idx;
	uint32_t scan_pages;
	uint32_t scan_gen;            /* bumped by every scan */
	uint8_t *scan_buf;            /* 4096 bytes */
	void (*scan_done)(struct nvtcp_ctrlr *ctrlr, int rc);

	/* Detach. */
	uint8_t detach_state;         /* enum nvme_detach_state */
	bool detach_was_live;         /* LIVE when the detach started: shut it down */
	uint64_t detach_deadline;
	int detach_rc;
};

/* ctrlr.c */
void nvme_ctrlr_set_state(struct nvtcp_ctrlr *ctrlr, enum nvtcp_ctrlr_state state);
/** The controller failed for good (reconnect disabled or given up): state FAILED, a reason,
 *  every queued command fails (I/O threads on their next poll). */
void nvme_ctrlr_fail(struct nvtcp_ctrlr *ctrlr, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Called by qpair.c when the admin queue pair lost its connection. */
void nvme_ctrlr_adminq_failed(struct nvtcp_ctrlr *ctrlr);
uint64_t nvme_ctrlr_cmd_timeout_ticks(const struct nvtcp_ctrlr *ctrlr);
/** "A:P NQN" of the controller, for logs. */
#define NVME_CTRLR_FMT "%s:%s %s"
#define NVME_CTRLR_ARGS(c) (c)->trid.traddr, (c)->trid.trsvcid, (c)->trid.subnqn
/**
 * Run the bring-up machine as far as it goes now (admin poll, keep-alive, steps, flush).
 * Returns 1 when it reached READY, -EAGAIN while in progress, or the negative errno of a
 * failure (init_state FAILED).
 */
int nvme_ctrlr_init_run(struct nvtcp_ctrlr *ctrlr);
/** Restart the bring-up machine from the admin connect (a reconnect attempt). */
void nvme_ctrlr_init_restart(struct nvtcp_ctrlr *ctrlr);

/* reset.c */
/**
 * Start controller recovery (admin thread): state RESETTING, the admin connection dropped,
 * I/O queue pairs told through the shared generation, reconnect attempts every
 * reconnect_delay until ctrl_loss_tmo. \p explicit_reset: asked by nvtcp_ctrlr_reset() (one
 * attempt even when reconnect is disabled). With reconnect disabled (ctrl_loss_tmo 0, or a
 * discovery controller) a failure makes the controller FAILED at once.
 */
void nvme_ctrlr_start_reset(struct nvtcp_ctrlr *ctrlr, bool explicit_reset, int rc,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/** Advance recovery (admin thread, from nvtcp_ctrlr_process_admin_completions()). */
void nvme_ctrlr_reset_poll(struct nvtcp_ctrlr *ctrlr);
/** Act on a reset an I/O queue pair asked for (admin thread). */
void nvme_ctrlr_check_reset_request(struct nvtcp_ctrlr *ctrlr);
/** Ask the admin thread for a reset of association \p gen (any thread, lock-free). */
void nvme_ctrlr_request_reset(struct nvtcp_ctrlr *ctrlr, uint32_t gen, uint16_t qid,
			      enum nvme_reset_why why);
/** Whether a lost connection of \p qpair is recovered by reconnecting. */
bool nvme_qpair_can_recover(const struct nvtcp_qpair *qpair);
/** Check a reconnect's CAP: every I/O queue pair still fits in MQES (0, or the reason). */
int nvme_ctrlr_check_cap(struct nvtcp_ctrlr *ctrlr, char *reason, size_t len);
/** Check a reconnect's Identify Controller against the first one (0, or the reason). */
int nvme_ctrlr_revalidate(struct nvtcp_ctrlr *ctrlr, const struct nvtcp_nvme_ctrlr_data *d,
			  char *reason, size_t len);

/* timeout.c */
/** Check the oldest commands of an I/O queue pair (owner thread) or of the admin queue. */
void nvme_qpair_check_timeouts(struct nvtcp_qpair *qpair, uint64_t now);
/** The per-poll timeout check of an I/O queue pair: one comparison when nothing is due. */
static inline void
nvme_qpair_poll_timeouts(struct nvtcp_qpair *qpair)
{
	if (qpair->tmo_ticks != 0 && qpair->state == NVME_QPAIR_CONNECTED &&
	    !TAILQ_EMPTY(&qpair->wire)) {
		nvme_qpair_check_timeouts(qpair, nvme_ticks());
	}
}
/** Send the Aborts I/O threads posted (admin thread). */
void nvme_ctrlr_send_posted_aborts(struct nvtcp_ctrlr *ctrlr);
/** Forget posted Aborts and Abort bookkeeping of a lost association (admin thread). */
void nvme_ctrlr_aborts_reset(struct nvtcp_ctrlr *ctrlr);
/** Whether \p req has been on the wire (or waiting since its timeout) longer than \p tmo. */
static inline bool
nvme_req_timed_out(const struct nvme_request *req, uint64_t now, uint64_t tmo)
{
	return now - req->submit_tick > tmo;
}

/* io_qpair.c */
/** Take an I/O queue pair off its controller, give its queue ID back, free it. */
void nvme_io_qpair_release(struct nvtcp_ctrlr *ctrlr, struct nvtcp_qpair *qpair);
/**
 * A controller-level event reached an I/O queue pair (its thread, on a poll): drop the
 * connection when the controller resets, reconnect when it was re-established, fail for good
 * when it failed, fail unsent commands when fast_io_fail expired.
 */
void nvme_io_qpair_ctrlr_event(struct nvtcp_qpair *qpair, uint32_t gen);
/** Connect of a queue pair finished (reconnects counted, unsent commands resumed). */
void nvme_qpair_connected(struct nvtcp_qpair *qpair);

/* nvme.c */
/** Pause between polls of the synchronous wrappers (tools): no busy spinning. */
void nvme_sync_pause(void);
/** Test hook: run \p fn instead of sleeping in nvme_sync_pause() (NULL restores). */
void nvme_set_sync_pause_fn(void (*fn)(void));

/* ctrlr_cmd.c */
/** Submit an admin command built by the driver (Fabrics commands allowed). */
int nvme_admin_submit(struct nvtcp_ctrlr *ctrlr, const struct nvtcp_nvme_cmd *cmd, void *buf,
		      uint32_t len, nvtcp_cmd_cb cb, void *cb_arg);
int nvme_prop_get(struct nvtcp_ctrlr *ctrlr, uint32_t ofst, nvtcp_cmd_cb cb, void *cb_arg);
int nvme_prop_set(struct nvtcp_ctrlr *ctrlr, uint32_t ofst, uint64_t value, nvtcp_cmd_cb cb,
		  void *cb_arg);
/** Build the Fabrics Connect command of a queue pair. */
void nvme_build_connect(struct nvtcp_qpair *qpair, struct nvtcp_nvme_cmd *cmd);
/** Keep-alive: send when due, fail the controller when one is not answered. */
void nvme_ctrlr_keep_alive(struct nvtcp_ctrlr *ctrlr);
/** Keep AERs outstanding. */
void nvme_ctrlr_submit_aers(struct nvtcp_ctrlr *ctrlr);
/** Completion that records the result in a struct nvme_wait. */
void nvme_wait_cb(void *cb_arg, const struct nvtcp_nvme_cpl *cpl);
/** Log page split size for this controller. */
uint32_t nvme_ctrlr_log_chunk(const struct nvtcp_ctrlr *ctrlr);
/** Submit a Get Log Page (split when needed); \p internal keeps it out of the stats. */
int nvme_get_log_page(struct nvtcp_ctrlr *ctrlr, uint8_t lid, bool rae, uint32_t nsid, void *buf,
		      uint32_t len, uint64_t offset, bool internal, nvtcp_cmd_cb cb, void *cb_arg);

/* ns.c */
/** Start a namespace scan; \p done runs when it ends (rc 0 or a negative errno). */
void nvme_ns_scan_start(struct nvtcp_ctrlr *ctrlr, void (*done)(struct nvtcp_ctrlr *, int));
/** Free every namespace. */
void nvme_ns_free_all(struct nvtcp_ctrlr *ctrlr);
/** A queued command of namespace \p ns must not be sent: the status to fail it with, or 0. */
static inline uint16_t
nvme_ns_blocked_status(const struct nvtcp_ns *ns)
{
	uint16_t st;

	if (ns == NULL || __atomic_load_n(&ns->active, __ATOMIC_RELAXED)) {
		return 0;
	}
	st = __atomic_load_n(&ns->fail_status, __ATOMIC_RELAXED);
	return st != 0 ? st : NVME_STATUS_INVALID_NS;
}

/* poll_group.c */
/** Put a (re)connected queue pair's socket into its group's socket group. */
int nvme_poll_group_sock_add(struct nvtcp_qpair *qpair);

/* ---- Logging ------------------------------------------------------------------------------ */

#define NVME_QP_ERRLOG(qp, fmt, ...) NVTCP_ERRLOG("%s: " fmt, (qp)->name, ##__VA_ARGS__)
#define NVME_QP_WARNLOG(qp, fmt, ...) NVTCP_WARNLOG("%s: " fmt, (qp)->name, ##__VA_ARGS__)
#define NVME_QP_NOTICELOG(qp, fmt, ...) NVTCP_NOTICELOG("%s: " fmt, (qp)->name, ##__VA_ARGS__)
#define NVME_QP_INFOLOG(qp, fmt, ...) NVTCP_INFOLOG("%s: " fmt, (qp)->name, ##__VA_ARGS__)
#define NVME_QP_DEBUGLOG(qp, fmt, ...) NVTCP_DEBUGLOG("%s: " fmt, (qp)->name, ##__VA_ARGS__)

static inline bool
nvme_qpair_is_admin(const struct nvtcp_qpair *qpair)
{
	return qpair->qid == 0;
}

#endif /* NVTCP_NVME_INTERNAL_H */
