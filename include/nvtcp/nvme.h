/**
 * @file
 * The NVMe/TCP host driver.
 *
 * Model (as SPDK's NVMe driver): the application attaches to a controller, allocates I/O queue
 * pairs, submits commands with a completion callback, and polls for completions. Nothing runs
 * in the background: every state machine (controller bring-up, keep-alive, timeouts, reconnect,
 * PDU send and receive) advances only inside the calls that poll.
 *
 * Threading rules:
 * - The admin queue (controller-level calls: attach/detach polling, admin commands,
 *   nvtcp_ctrlr_process_admin_completions()) belongs to one thread at a time.
 * - Each I/O queue pair belongs to one thread at a time: the one that submits on it and polls it
 *   (directly or through a poll group that thread owns). No locks are taken on the I/O path.
 *   Moving a queue pair to another thread is allowed only while nothing is outstanding on it,
 *   with a happens-before edge (e.g. a reactor message) between the two threads.
 * - A completion callback runs on the polling thread, inside the poll call. It may submit new
 *   commands on any queue pair that thread owns. It must not free the queue pair it was called
 *   for, nor detach the controller; do that after the poll call returns.
 * - Every command completes exactly once: with the controller's status, or with a host-side
 *   error status when the transport fails, the command times out and is aborted, or the queue
 *   pair or controller goes away. nvtcp_nvme_cpl_is_retryable() and the other
 *   nvtcp_nvme_cpl_is_*() helpers below classify them (doc/reliability.md lists them all).
 *
 * Recovery (doc/reliability.md): a lost connection, a keep-alive miss or a command that times
 * out and cannot be aborted resets the controller; the driver reconnects every queue pair
 * (each I/O queue pair inside its own thread's poll) every reconnect_delay_ms until
 * ctrl_loss_tmo_s, then the controller is FAILED for good.
 */
#ifndef NVTCP_NVME_H
#define NVTCP_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "nvtcp/auth.h"
#include "nvtcp/fabrics.h"
#include "nvtcp/nvme_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

struct nvtcp_ctrlr;
struct nvtcp_qpair;
struct nvtcp_ns;
struct nvtcp_poll_group;

/** Command completion callback. \p cpl is valid only during the call. */
typedef void (*nvtcp_cmd_cb)(void *cb_arg, const struct nvtcp_nvme_cpl *cpl);

/* ---- Completion statuses ------------------------------------------------------------------ */

/**
 * Whether a failed command may be submitted again: an error with DNR (Do Not Retry) clear,
 * which is how the host driver completes commands it could not finish (Aborted - SQ Deletion
 * when the connection was lost, Transient Transport Error for a data digest error, Host Path
 * Error while the path is down), and how controllers report transient conditions. The Linux
 * host retries exactly these.
 *
 * \param cpl Completion.
 * \return false for a success or an error with DNR set.
 */
static inline bool
nvtcp_nvme_cpl_is_retryable(const struct nvtcp_nvme_cpl *cpl)
{
	return nvtcp_nvme_cpl_is_error(cpl) && !nvtcp_nvme_status_dnr(cpl->status);
}

/**
 * Whether a completion reports a path error (Status Code Type 3): the host driver uses Host
 * Path Error (SC 0x70) for commands it did not send because the connection is down
 * (fast_io_fail_tmo expired: DNR clear; the controller failed for good: DNR set).
 *
 * \param cpl Completion.
 */
static inline bool
nvtcp_nvme_cpl_is_path_error(const struct nvtcp_nvme_cpl *cpl)
{
	return nvtcp_nvme_status_sct(cpl->status) == NVTCP_NVME_SCT_PATH;
}

/**
 * Whether a completion says the transport lost or damaged the command rather than the
 * controller refusing it: Aborted - SQ Deletion (the connection went away while it was on the
 * wire: it may or may not have executed), Transient Transport Error, or a path error.
 *
 * \param cpl Completion.
 */
static inline bool
nvtcp_nvme_cpl_is_transport_error(const struct nvtcp_nvme_cpl *cpl)
{
	uint8_t sct = nvtcp_nvme_status_sct(cpl->status);
	uint8_t sc = nvtcp_nvme_status_sc(cpl->status);

	return sct == NVTCP_NVME_SCT_PATH ||
	       (sct == NVTCP_NVME_SCT_GENERIC && (sc == NVTCP_NVME_SC_ABORTED_SQ_DELETION ||
		sc == NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR));
}

/** Controller states, as reported to nvtcp_ctrlr_opts::state_cb. */
enum nvtcp_ctrlr_state {
	/** Bring-up in progress (first attach). */
	NVTCP_CTRLR_STATE_CONNECTING = 0,
	/** Ready for I/O. */
	NVTCP_CTRLR_STATE_LIVE,
	/** Connection lost or reset requested: reconnecting. */
	NVTCP_CTRLR_STATE_RESETTING,
	/** Given up (controller-loss timeout, or a fatal error): every command fails. */
	NVTCP_CTRLR_STATE_FAILED,
	/** Detach in progress. */
	NVTCP_CTRLR_STATE_DELETING,
};

/** What to do when a command times out (returned by a timeout callback). */
enum nvtcp_timeout_action {
	/** Default handling: Abort the command; reset the controller if the Abort times out. */
	NVTCP_TIMEOUT_ACTION_DEFAULT = 0,
	/** Keep waiting (the timer restarts). */
	NVTCP_TIMEOUT_ACTION_NONE,
	/** Send an Abort for it. */
	NVTCP_TIMEOUT_ACTION_ABORT,
	/** Reset the controller at once. */
	NVTCP_TIMEOUT_ACTION_RESET,
};

/**
 * Called when a command exceeds its timeout, on the thread that polls its queue pair (the
 * admin thread for admin commands), inside the poll call. Keep-alives and Asynchronous Event
 * Requests never time out this way. After the callback the command's timer restarts, so it is
 * called again if the command still has not completed one timeout later.
 *
 * \param cb_arg Argument given at registration.
 * \param ctrlr Controller.
 * \param qpair Queue pair of the command (NULL for the admin queue).
 * \param cid Command ID.
 * \return What to do.
 */
typedef enum nvtcp_timeout_action (*nvtcp_timeout_cb)(void *cb_arg, struct nvtcp_ctrlr *ctrlr,
						       struct nvtcp_qpair *qpair, uint16_t cid);

/** Options of a controller. Initialise with nvtcp_ctrlr_opts_init(); defaults follow Linux. */
struct nvtcp_ctrlr_opts {
	/** Host identity; default nvtcp_host_id_default(). A trid hostnqn overrides hostnqn. */
	struct nvtcp_host_id host;
	/** Admin queue size (default 32). */
	uint32_t admin_queue_size;
	/** I/O queue size used by default for I/O queue pairs (default 128). */
	uint32_t io_queue_size;
	/** I/O queues to ask for in Set Features Number of Queues (default: online CPUs). */
	uint32_t num_io_queues;
	/** Keep-alive timeout in ms sent in Connect (default 5000; 0 = none; discovery: 0). A
	 *  keep-alive goes every KATO/2; one not answered within KATO resets the controller. */
	uint32_t kato_ms;
	/** Ask for header / data digests (default off). */
	bool hdgst;
	bool ddgst;
	/** Host PDU data alignment (HPDA, 0's based dwords, default 0). */
	uint8_t hpda;
	/** Outstanding R2Ts per command accepted (MAXR2T + 1; default 4). */
	uint32_t max_r2t;
	/** TCP connect timeout in ms (default 10000). */
	uint32_t connect_timeout_ms;
	/** Wait for ICResp in ms (default 10000). */
	uint32_t icresp_timeout_ms;
	/** Admin command timeout in ms (default 60000; 0 = none; bring-up commands always wait
	 *  at most this, 60000 when 0). */
	uint32_t admin_timeout_ms;
	/** I/O command timeout in ms (default 30000; 0 = none). */
	uint32_t io_timeout_ms;
	/** Delay between reconnect attempts in ms (default 10000). The first attempt of a
	 *  recovery starts at once (doc/reliability.md: except after repeated failures of
	 *  associations that never carried I/O). */
	uint32_t reconnect_delay_ms;
	/** Give up reconnecting after this many seconds (default 600; -1 = never; 0 = no
	 *  reconnect: a lost connection fails the controller at once). */
	int32_t ctrl_loss_tmo_s;
	/** Fail I/O waiting for a reconnect after this many seconds of recovery, with Host Path
	 *  Error (DNR clear), and new I/O at once until reconnected (default -1 = off). */
	int32_t fast_io_fail_tmo_s;
	/** Socket buffer sizes in bytes (default 0 = kernel auto-tuning). */
	int sock_sndbuf;
	int sock_rcvbuf;
	/** TCP_USER_TIMEOUT of every connection in ms (default 0 = the kernel's, as the Linux
	 *  host): how long sent data may stay unacknowledged before the connection fails with
	 *  ETIMEDOUT, which starts recovery like any transport failure. At most INT_MAX. */
	uint32_t tcp_user_timeout_ms;
	/** Secure channel (doc/security.md): every queue pair runs TLS 1.3 with a PSK between
	 *  the TCP connect and the ICReq, bounded by connect_timeout_ms (default false). A PSK
	 *  (psk or psk_path) implies it; true without a PSK fails the attach. A controller with
	 *  TLS never falls back to plaintext, on attach or on a reconnect. */
	bool tls;
	/** The configured PSK in the interchange format "NVMeTLSkey-1:HH:<base64>:" (default
	 *  NULL). Parsed at attach; the controller keeps its own copy, wiped at detach. */
	const char *psk;
	/** Or a file holding it (mode 0600 or 0400; default NULL). Not together with psk. */
	const char *psk_path;
	/**
	 * In-band authentication (DH-HMAC-CHAP, doc/security.md): the host's secret, as the text
	 * "DHHC-1:HH:<base64>:" or the path of a file holding it (mode 0600 or 0400; default
	 * NULL). Parsed at attach (the controller keeps its own copy, wiped at detach); used on
	 * every queue whose Connect response asks for authentication (AUTHREQ.ATR), on attach
	 * and on every reconnect. Without it, such a controller fails the attach. A controller
	 * that does not ask is connected without authentication (noted at INFO level).
	 */
	const char *dhchap_secret;
	/** The controller's secret, same forms (default NULL): set, the host also
	 *  authenticates the controller (bidirectional). Requires dhchap_secret. */
	const char *dhchap_ctrl_secret;
	/** Hash functions offered, as NVTCP_AUTH_HASH_BIT() of enum nvtcp_auth_hash_id
	 *  (default 0 = all: SHA-512, SHA-384, SHA-256, strongest first). */
	uint32_t dhchap_hash_mask;
	/** DH groups offered, as NVTCP_AUTH_DHGROUP_BIT() of enum nvtcp_auth_dhgroup_id
	 *  (default 0 = all, null included). */
	uint32_t dhchap_dhgroup_mask;
	/** Called on every controller state change (may be NULL). Runs on the admin thread. */
	void (*state_cb)(void *cb_arg, struct nvtcp_ctrlr *ctrlr, enum nvtcp_ctrlr_state state);
	/** Its argument. */
	void *state_cb_arg;
};

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options.
 */
void nvtcp_ctrlr_opts_init(struct nvtcp_ctrlr_opts *opts);

/* ---- Attach and detach -------------------------------------------------------------------- */

/**
 * Start attaching to the controller \p trid names: TCP connect, ICReq/ICResp, Fabrics Connect,
 * properties, enable, identify, number of queues, keep-alive, namespaces. Returns at once; drive
 * it with nvtcp_ctrlr_attach_poll().
 *
 * \param trid Where (subnqn required; the discovery NQN attaches to a discovery controller).
 * \param opts Options, or NULL for defaults.
 * \param ctrlr Set to the new controller.
 * \return 0, or a negative errno (bad trid or options).
 */
int nvtcp_ctrlr_attach_async(const struct nvtcp_trid *trid, const struct nvtcp_ctrlr_opts *opts,
			     struct nvtcp_ctrlr **ctrlr);

/**
 * Advance an attach started with nvtcp_ctrlr_attach_async(). Never blocks.
 *
 * \param ctrlr Controller.
 * \return 0 when the controller is ready, -EAGAIN while in progress, or a negative errno when
 *         the attach failed (the reason is logged and available from
 *         nvtcp_ctrlr_get_failure_reason()); then call nvtcp_ctrlr_detach() to free it.
 */
int nvtcp_ctrlr_attach_poll(struct nvtcp_ctrlr *ctrlr);

/**
 * Attach and wait: nvtcp_ctrlr_attach_async() then nvtcp_ctrlr_attach_poll() until done.
 *
 * \param trid Where.
 * \param opts Options, or NULL.
 * \param rc Set to 0 or the negative errno of the failure (-ECONNREFUSED, -ETIMEDOUT, -EPROTO,
 *           -EACCES for a refused host or NQN, ...).
 * \return The ready controller, or NULL.
 */
struct nvtcp_ctrlr *nvtcp_ctrlr_attach(const struct nvtcp_trid *trid,
				       const struct nvtcp_ctrlr_opts *opts, int *rc);

/**
 * nvtcp_ctrlr_attach() that also returns why it failed: the one-line reason
 * nvtcp_ctrlr_get_failure_reason() gives (the controller is freed on failure, so it cannot be
 * asked afterwards), e.g. "Connect refused: subsystem NQN not found".
 *
 * \param trid Where.
 * \param opts Options, or NULL.
 * \param rc Set to 0 or the negative errno of the failure (may be NULL).
 * \param reason Set to the reason on failure, "" on success (may be NULL).
 * \param reason_len Its size in bytes (the reason is truncated to fit, NUL-terminated).
 * \return The ready controller, or NULL.
 */
struct nvtcp_ctrlr *nvtcp_ctrlr_attach_ext(const struct nvtcp_trid *trid,
					   const struct nvtcp_ctrlr_opts *opts, int *rc,
					   char *reason, size_t reason_len);

/**
 * Start detaching: fail every queued and outstanding command of the controller and of its I/O
 * queue pairs (each completes once), shut the controller down (CC.SHN, bounded wait for
 * CSTS.SHST) when it is reachable, close every connection. The I/O queue pairs must not be in
 * use by other threads any more. Drive with nvtcp_ctrlr_detach_poll().
 *
 * \param ctrlr Controller.
 * \return 0, or -EALREADY.
 */
int nvtcp_ctrlr_detach_async(struct nvtcp_ctrlr *ctrlr);

/**
 * Advance a detach.
 *
 * \param ctrlr Controller.
 * \return -EAGAIN while in progress; 0 when done (the controller and its queue pairs are freed).
 */
int nvtcp_ctrlr_detach_poll(struct nvtcp_ctrlr *ctrlr);

/**
 * Detach and wait (bounded by the shutdown timeout).
 *
 * \param ctrlr Controller (freed).
 * \return 0, or a negative errno when the shutdown did not complete cleanly (everything is
 *         freed anyway).
 */
int nvtcp_ctrlr_detach(struct nvtcp_ctrlr *ctrlr);

/* ---- Admin queue -------------------------------------------------------------------------- */

/**
 * Poll the admin queue: completions, keep-alive, asynchronous events, command timeouts and,
 * while resetting, the reconnect state machine. Call it regularly (at least every KATO/4) from
 * the admin thread.
 *
 * \param ctrlr Controller.
 * \return Completions processed (0 while the controller is resetting), or -ENXIO when it has
 *         failed for good or is being detached.
 */
int32_t nvtcp_ctrlr_process_admin_completions(struct nvtcp_ctrlr *ctrlr);

/**
 * Identify.
 *
 * \param ctrlr Controller.
 * \param cns CNS value (NVTCP_NVME_IDENTIFY_*).
 * \param cntid Controller ID (CNS values that use it), else 0.
 * \param nsid Namespace ID (CNS values that use it), else 0.
 * \param buf Buffer of \p len bytes (normally 4096).
 * \param len Bytes.
 * \param cb Completion.
 * \param cb_arg Its argument.
 * \return 0, or -EAGAIN (no free request, or the controller is resetting: admin commands are
 *         not queued across a reconnect), -ENXIO (controller failed), -EINVAL.
 */
int nvtcp_ctrlr_cmd_identify(struct nvtcp_ctrlr *ctrlr, uint8_t cns, uint16_t cntid, uint32_t nsid,
			     void *buf, size_t len, nvtcp_cmd_cb cb, void *cb_arg);

/**
 * Get Log Page, at a byte offset (LPOL/LPOU); lengths above the controller's transfer limit are
 * split transparently.
 *
 * \param ctrlr Controller.
 * \param lid Log page identifier.
 * \param nsid Namespace ID (0xFFFFFFFF = all, 0 = not used).
 * \param buf Buffer.
 * \param len Bytes (a multiple of 4).
 * \param offset Byte offset in the log (a multiple of 4).
 * \param cb Completion.
 * \param cb_arg Its argument.
 * \return 0 or a negative errno.
 */
int nvtcp_ctrlr_cmd_get_log_page(struct nvtcp_ctrlr *ctrlr, uint8_t lid, uint32_t nsid, void *buf,
				 uint32_t len, uint64_t offset, nvtcp_cmd_cb cb, void *cb_arg);

/**
 * Get Features.
 *
 * \param ctrlr Controller.
 * \param fid Feature ID.
 * \param cdw11 Feature-specific.
 * \param buf Data buffer (may be NULL).
 * \param len Its length.
 * \param cb Completion (the value is in cpl->cdw0).
 * \param cb_arg Its argument.
 * \return 0 or a negative errno.
 */
int nvtcp_ctrlr_cmd_get_feature(struct nvtcp_ctrlr *ctrlr, uint8_t fid, uint32_t cdw11, void *buf,
				uint32_t len, nvtcp_cmd_cb cb, void *cb_arg);

/**
 * Set Features.
 *
 * \param ctrlr Controller.
 * \param fid Feature ID.
 * \param cdw11 Feature-specific.
 * \param cdw12 Feature-specific.
 * \param buf Data buffer (may be NULL).
 * \param len Its length.
 * \param cb Completion.
 * \param cb_arg Its argument.
 * \return 0 or a negative errno.
 */
int nvtcp_ctrlr_cmd_set_feature(struct nvtcp_ctrlr *ctrlr, uint8_t fid, uint32_t cdw11,
				uint32_t cdw12, void *buf, uint32_t len, nvtcp_cmd_cb cb,
				void *cb_arg);

/**
 * Abort a command.
 *
 * \param ctrlr Controller.
 * \param qpair Queue pair of the command, or NULL for the admin queue.
 * \param cid Command ID to abort.
 * \param cb Completion (cdw0 bit 0 clear = the command was aborted).
 * \param cb_arg Its argument.
 * \return 0 or a negative errno.
 */
int nvtcp_ctrlr_cmd_abort(struct nvtcp_ctrlr *ctrlr, struct nvtcp_qpair *qpair, uint16_t cid,
			  nvtcp_cmd_cb cb, void *cb_arg);

/**
 * Submit any admin command (the driver sets CID, PSDT and the SGL).
 *
 * \param ctrlr Controller.
 * \param cmd Command.
 * \param buf Data (direction from the opcode), may be NULL.
 * \param len Its length.
 * \param cb Completion.
 * \param cb_arg Its argument.
 * \return 0 or a negative errno.
 */
int nvtcp_ctrlr_cmd_admin_raw(struct nvtcp_ctrlr *ctrlr, const struct nvtcp_nvme_cmd *cmd,
			      void *buf, uint32_t len, nvtcp_cmd_cb cb, void *cb_arg);

/**
 * Receive asynchronous events: the driver keeps Asynchronous Event Requests outstanding (up to
 * AERL+1) and calls \p cb for each event, then reads the log page the event names when needed to
 * clear it (e.g. the changed namespace list, after which the namespaces are rescanned).
 *
 * \param ctrlr Controller.
 * \param cb Called with the AER completion (cdw0 holds type, info and log page).
 * \param cb_arg Its argument.
 */
void nvtcp_ctrlr_register_aer_callback(struct nvtcp_ctrlr *ctrlr, nvtcp_cmd_cb cb, void *cb_arg);

/**
 * The AER callback registered now, so that a layer (e.g. multipath) can chain itself in front
 * of it and forward every event.
 *
 * \param ctrlr Controller.
 * \param cb Set to the callback (NULL when none).
 * \param cb_arg Set to its argument.
 */
void nvtcp_ctrlr_get_aer_callback(const struct nvtcp_ctrlr *ctrlr, nvtcp_cmd_cb *cb,
				  void **cb_arg);

/**
 * Choose the action on command timeouts (admin_timeout_ms, io_timeout_ms). Without a callback
 * (or when it returns NVTCP_TIMEOUT_ACTION_DEFAULT) a timed-out command is aborted (admin
 * Abort with its SQID and CID); if it still has not completed one timeout later, or the Abort
 * fails, the controller is reset. Register before allocating I/O queue pairs (I/O threads read
 * the callback without a lock).
 *
 * \param ctrlr Controller.
 * \param cb Callback (NULL = default handling).
 * \param cb_arg Its argument.
 */
void nvtcp_ctrlr_register_timeout_callback(struct nvtcp_ctrlr *ctrlr, nvtcp_timeout_cb cb,
					   void *cb_arg);

/**
 * Start a controller reset: drop every connection of the association (commands on the wire
 * complete with Aborted - SQ Deletion, DNR clear; unsent I/O waits), reconnect the admin queue
 * at once and, on success, every I/O queue pair inside its own poll; further attempts every
 * reconnect_delay_ms until ctrl_loss_tmo_s (one attempt when ctrl_loss_tmo_s is 0). Returns at
 * once: the reset runs inside nvtcp_ctrlr_process_admin_completions(); state_cb reports
 * RESETTING, then LIVE or FAILED. Admin thread only.
 *
 * \param ctrlr Controller.
 * \return 0, -EBUSY when a reset (or the first attach) is in progress, -ENXIO when the
 *         controller has failed or is being detached, -EINVAL.
 */
int nvtcp_ctrlr_reset(struct nvtcp_ctrlr *ctrlr);

/** What happened to a namespace (nvtcp_ctrlr_register_ns_event_callback()). */
enum nvtcp_ns_event {
	/** It became active (a rescan or a reconnect found it). */
	NVTCP_NS_EVENT_ADDED = 0,
	/** It is no longer active: I/O to it fails (Invalid Namespace, DNR set; -ENXIO). */
	NVTCP_NS_EVENT_REMOVED,
	/** Its size changed through an announced change (Namespace Attribute Changed event); I/O
	 *  continues with the new size. */
	NVTCP_NS_EVENT_RESIZED,
	/**
	 * It changed without notice (across a reconnect: size, LBA format or identifiers; or its
	 * identifiers or LBA format through a rescan): it may not hold the data the application
	 * wrote, so it stays inactive for the life of the controller: queued I/O fails with
	 * Namespace Not Ready (DNR set), new I/O with -ENXIO. Detach and attach to use it again.
	 */
	NVTCP_NS_EVENT_CHANGED,
};

/** Namespace event callback: admin thread, inside nvtcp_ctrlr_process_admin_completions(). */
typedef void (*nvtcp_ns_event_cb)(void *cb_arg, struct nvtcp_ctrlr *ctrlr, uint32_t nsid,
				  enum nvtcp_ns_event event);

/**
 * Be told when namespaces appear, disappear, are resized or changed (rescans after
 * Namespace Attribute Changed events, and the re-validation of every reconnect).
 *
 * \param ctrlr Controller.
 * \param cb Callback (NULL to stop).
 * \param cb_arg Its argument.
 */
void nvtcp_ctrlr_register_ns_event_callback(struct nvtcp_ctrlr *ctrlr, nvtcp_ns_event_cb cb,
					    void *cb_arg);

/** Counters of a controller's recovery since attach. */
struct nvtcp_ctrlr_stats {
	uint64_t resets;              /**< recovery episodes started (any reason) */
	uint64_t reconnect_attempts;  /**< admin reconnect attempts */
	uint64_t reconnects;          /**< attempts that re-established the controller */
	uint64_t keep_alive_timeouts; /**< keep-alives not answered within KATO */
	uint64_t admin_timeouts;      /**< admin commands that timed out */
	uint64_t aborts_sent;         /**< Abort commands sent (admin and I/O timeouts) */
	uint64_t aborts_failed;       /**< Aborts that failed (each led to a reset) */
	uint64_t io_reset_requests;   /**< resets asked for by I/O queue pairs */
};

/**
 * Copy a controller's counters (admin thread).
 *
 * \param ctrlr Controller.
 * \param stats Filled in.
 */
void nvtcp_ctrlr_get_stats(const struct nvtcp_ctrlr *ctrlr, struct nvtcp_ctrlr_stats *stats);

/* ---- Controller information --------------------------------------------------------------- */

/** Identify Controller data (valid once attached). */
const struct nvtcp_nvme_ctrlr_data *nvtcp_ctrlr_get_data(const struct nvtcp_ctrlr *ctrlr);
/** The CAP property. */
uint64_t nvtcp_ctrlr_get_cap(const struct nvtcp_ctrlr *ctrlr);
/** The VS property. */
uint32_t nvtcp_ctrlr_get_vs(const struct nvtcp_ctrlr *ctrlr);
/** Controller ID returned by Connect. */
uint16_t nvtcp_ctrlr_get_cntlid(const struct nvtcp_ctrlr *ctrlr);
/** Transport ID it was attached with. */
const struct nvtcp_trid *nvtcp_ctrlr_get_trid(const struct nvtcp_ctrlr *ctrlr);
/** Options in effect (after negotiation: e.g. digests that were granted). */
const struct nvtcp_ctrlr_opts *nvtcp_ctrlr_get_opts(const struct nvtcp_ctrlr *ctrlr);
/** Current state. */
enum nvtcp_ctrlr_state nvtcp_ctrlr_get_state(const struct nvtcp_ctrlr *ctrlr);
/** Whether header / data digests are in use on the admin queue. */
bool nvtcp_ctrlr_hdgst_enabled(const struct nvtcp_ctrlr *ctrlr);
bool nvtcp_ctrlr_ddgst_enabled(const struct nvtcp_ctrlr *ctrlr);
/** Largest transfer of one command in bytes (from MDTS; transfers above it are split). */
uint32_t nvtcp_ctrlr_get_max_xfer_size(const struct nvtcp_ctrlr *ctrlr);
/** Number of I/O queues the controller granted. */
uint32_t nvtcp_ctrlr_get_num_io_queues(const struct nvtcp_ctrlr *ctrlr);
/** Whether this is a discovery controller. */
bool nvtcp_ctrlr_is_discovery(const struct nvtcp_ctrlr *ctrlr);
/**
 * Why the controller failed (attach or later), as a one-line message; "" when it did not.
 * While it is resetting: why the recovery started (and why the last attempt failed).
 */
const char *nvtcp_ctrlr_get_failure_reason(const struct nvtcp_ctrlr *ctrlr);

/**
 * The TLS cipher suite of the controller's admin queue connection.
 *
 * \param ctrlr Controller.
 * \return e.g. "TLS_AES_128_GCM_SHA256" once a TLS connection was established, NULL for a
 *         plaintext controller (or before its first connection).
 */
const char *nvtcp_ctrlr_get_tls_cipher(const struct nvtcp_ctrlr *ctrlr);

/**
 * Whether the controller's admin queue is authenticated (DH-HMAC-CHAP), and with what. Admin
 * thread (each I/O queue authenticates on its own when the controller asks; a queue that
 * fails to is not connected).
 *
 * \param ctrlr Controller.
 * \param res Filled with the hash, the DH group and whether the controller proved itself too
 *        (bidirectional) of the last successful transaction on the admin queue (the Connect
 *        of the current association, or a later nvtcp_ctrlr_reauthenticate()); zeroed when
 *        false is returned. May be NULL.
 * \return true when the current admin connection was authenticated, false when the
 *         controller did not ask for authentication (or no connection is up).
 */
bool nvtcp_ctrlr_get_auth_status(const struct nvtcp_ctrlr *ctrlr, struct nvtcp_auth_result *res);

/**
 * Completion of nvtcp_ctrlr_reauthenticate(): admin thread, inside
 * nvtcp_ctrlr_process_admin_completions() (or nvtcp_ctrlr_detach_async() with -ECANCELED).
 *
 * \param cb_arg Its argument.
 * \param ctrlr Controller.
 * \param rc 0 (nvtcp_ctrlr_get_auth_status() tells the outcome), -EACCES (authentication
 *        failed: the reason is logged and in nvtcp_ctrlr_get_failure_reason() style in the
 *        log), -ETIMEDOUT (a step got no answer within the admin command timeout: the
 *        controller is reset, and the reconnect authenticates again), -ECONNRESET (the
 *        connection was lost meanwhile), or another negative errno.
 */
typedef void (*nvtcp_ctrlr_auth_cb)(void *cb_arg, struct nvtcp_ctrlr *ctrlr, int rc);

/**
 * Re-authenticate a live controller: run a new DH-HMAC-CHAP transaction (new transaction ID,
 * new challenge, same secrets and offer) on its admin queue. Returns at once; the transaction
 * advances inside nvtcp_ctrlr_process_admin_completions() and I/O continues meanwhile. Each
 * step waits at most the admin command timeout (60 s when admin_timeout_ms is 0). Admin
 * thread only.
 *
 * \param ctrlr Controller (LIVE, with dhchap_secret configured).
 * \param cb Completion (required).
 * \param cb_arg Its argument.
 * \return 0 (cb will be called exactly once), -EINVAL (no callback), -ENOKEY (no
 *         dhchap_secret), -EBUSY (a re-authentication is in progress), -EAGAIN (the
 *         controller is not LIVE: resetting), -ENXIO (failed or detaching), -ENOMEM.
 */
int nvtcp_ctrlr_reauthenticate(struct nvtcp_ctrlr *ctrlr, nvtcp_ctrlr_auth_cb cb, void *cb_arg);

/**
 * nvtcp_ctrlr_reauthenticate() with other secrets for this one transaction: to check, on the
 * live controller, a secret the controller's side has been given (key rotation: the new host
 * secret, or a new controller secret), before the application reconfigures the host with it.
 * The controller's configured secrets are not changed: later re-authentications and every
 * reconnect keep using them. A failed transaction fails like any re-authentication: the
 * controller side closes the admin queue (nvtcp_tgt and Linux nvmet do), the controller is
 * reset and its reconnect authenticates with the configured secrets.
 *
 * \param dhchap_secret Host secret ("DHHC-1:..." text or a file of mode 0600/0400), NULL for
 *        the configured one.
 * \param dhchap_ctrl_secret Controller secret for a bidirectional transaction, same forms;
 *        NULL for the configured one (none: unidirectional).
 * \return as nvtcp_ctrlr_reauthenticate(), and -EINVAL / -EPERM / -errno when a secret cannot
 *         be read (logged, naming the option and file, never the secret).
 */
int nvtcp_ctrlr_reauthenticate_ext(struct nvtcp_ctrlr *ctrlr, const char *dhchap_secret,
				   const char *dhchap_ctrl_secret, nvtcp_ctrlr_auth_cb cb,
				   void *cb_arg);

/** First active namespace ID (0 when none). */
uint32_t nvtcp_ctrlr_get_first_active_ns(const struct nvtcp_ctrlr *ctrlr);
/** Next active namespace ID after \p nsid (0 after the last). */
uint32_t nvtcp_ctrlr_get_next_active_ns(const struct nvtcp_ctrlr *ctrlr, uint32_t nsid);
/** Number of active namespaces. */
uint32_t nvtcp_ctrlr_get_num_active_ns(const struct nvtcp_ctrlr *ctrlr);
/** A namespace by ID (NULL when not active). */
struct nvtcp_ns *nvtcp_ctrlr_get_ns(struct nvtcp_ctrlr *ctrlr, uint32_t nsid);

/* ---- Namespaces --------------------------------------------------------------------------- */

/** Namespace ID. */
uint32_t nvtcp_ns_get_id(const struct nvtcp_ns *ns);
/** Identify Namespace data. */
const struct nvtcp_nvme_ns_data *nvtcp_ns_get_data(const struct nvtcp_ns *ns);
/** Size in logical blocks (NSZE). */
uint64_t nvtcp_ns_get_num_sectors(const struct nvtcp_ns *ns);
/** Logical block size in bytes (data only). */
uint32_t nvtcp_ns_get_sector_size(const struct nvtcp_ns *ns);
/** Metadata bytes per block (0 when none). */
uint32_t nvtcp_ns_get_md_size(const struct nvtcp_ns *ns);
/** Size in bytes. */
uint64_t nvtcp_ns_get_size(const struct nvtcp_ns *ns);
/** Largest transfer of one command in bytes. */
uint32_t nvtcp_ns_get_max_io_xfer_size(const struct nvtcp_ns *ns);
/** Namespace UUID from the identification descriptors (NULL when none). */
const uint8_t *nvtcp_ns_get_uuid(const struct nvtcp_ns *ns);
/** NGUID (16 bytes; all zero when none). */
const uint8_t *nvtcp_ns_get_nguid(const struct nvtcp_ns *ns);
/** The controller. */
struct nvtcp_ctrlr *nvtcp_ns_get_ctrlr(const struct nvtcp_ns *ns);

/* ---- I/O queue pairs ---------------------------------------------------------------------- */

/** What submission does when every request of a queue pair is in use. */
enum nvtcp_qpair_full_policy {
	/** Return -EAGAIN (default, as SPDK). */
	NVTCP_QPAIR_FULL_EAGAIN = 0,
	/** Queue the command in the submitter's memory-free list and send it when a slot frees. */
	NVTCP_QPAIR_FULL_QUEUE,
};

/** Options of an I/O queue pair. Initialise with nvtcp_ctrlr_get_default_io_qpair_opts(). */
struct nvtcp_io_qpair_opts {
	/** Queue size (entries; at most CAP.MQES + 1). Default: the controller's io_queue_size. */
	uint32_t io_queue_size;
	/**
	 * Requests preallocated: commands that can be outstanding or waiting, including the child
	 * requests of split transfers (default: 2 x io_queue_size).
	 */
	uint32_t io_queue_requests;
	/** Behaviour when all requests are in use. */
	enum nvtcp_qpair_full_policy full_policy;
	/**
	 * Return at once from allocation and connect in the background, inside
	 * nvtcp_qpair_process_completions() (commands submitted before are sent once connected).
	 * Default false: allocation waits until the queue pair is connected.
	 */
	bool async_connect;
};

/**
 * Default I/O queue pair options for a controller.
 *
 * \param ctrlr Controller.
 * \param opts Filled in.
 */
void nvtcp_ctrlr_get_default_io_qpair_opts(const struct nvtcp_ctrlr *ctrlr,
					   struct nvtcp_io_qpair_opts *opts);

/**
 * Allocate and connect an I/O queue pair (its own TCP connection; queue IDs are given in order
 * from 1). All its memory is allocated here; nothing is allocated per command.
 *
 * \param ctrlr Controller (attached).
 * \param opts Options, or NULL for defaults.
 * \param rc Set to 0 or a negative errno (-ENOSPC: no queue ID left; -EAGAIN: the controller
 *           is resetting; -ENXIO: it failed).
 * \return The queue pair, or NULL.
 */
struct nvtcp_qpair *nvtcp_ctrlr_alloc_io_qpair(struct nvtcp_ctrlr *ctrlr,
					       const struct nvtcp_io_qpair_opts *opts, int *rc);

/**
 * Free an I/O queue pair: its outstanding and queued commands complete with
 * "aborted - SQ deletion" (retry is safe), the connection is closed. Must not be called from a
 * completion callback of the same queue pair; remove it from its poll group first.
 *
 * \param qpair Queue pair.
 * \return 0 or a negative errno.
 */
int nvtcp_ctrlr_free_io_qpair(struct nvtcp_qpair *qpair);

/**
 * Poll one queue pair: receive and process what arrived (one batched read), call completion
 * callbacks, send what is queued (one batched write), check command timeouts, and drop or
 * re-establish the connection when the controller resets or was re-established (this is where
 * an I/O queue pair reconnects: keep polling it while the controller recovers).
 *
 * \param qpair Queue pair.
 * \param max Completions to process at most (0 = no limit).
 * \return Completions processed (>= 0 also while reconnecting), or -ENXIO when the queue
 *         pair has failed for good (the controller failed, reconnect is disabled, or its
 *         first connect failed).
 */
int32_t nvtcp_qpair_process_completions(struct nvtcp_qpair *qpair, uint32_t max);

/** Queue ID. */
uint16_t nvtcp_qpair_get_id(const struct nvtcp_qpair *qpair);
/** The controller. */
struct nvtcp_ctrlr *nvtcp_qpair_get_ctrlr(const struct nvtcp_qpair *qpair);
/** Whether the queue pair is connected and can carry I/O now (false while reconnecting). */
bool nvtcp_qpair_is_connected(const struct nvtcp_qpair *qpair);

/**
 * While the queue pair reconnects, complete the commands it holds unsent (waiting for the new
 * connection) with Host Path Error (DNR clear) now, from the calling thread (the queue pair's
 * own). A multipath layer uses it to move them to another path at once instead of waiting for
 * this one to come back (the per-controller fast_io_fail_tmo_s does the same after a time).
 *
 * \return the number of commands completed, or -EBUSY when the queue pair is connected or
 *	   connecting (nothing waits for a connection), -ENXIO when it failed for good.
 */
int nvtcp_qpair_fail_unsent(struct nvtcp_qpair *qpair);
/** Whether the queue pair has failed for good (submissions return -ENXIO). */
bool nvtcp_qpair_is_failed(const struct nvtcp_qpair *qpair);
/** Commands submitted and not yet completed (outstanding and queued). */
uint32_t nvtcp_qpair_get_num_outstanding(const struct nvtcp_qpair *qpair);

/** Counters of a queue pair since it was allocated. */
struct nvtcp_qpair_stats {
	uint64_t submitted;    /**< commands submitted by the application */
	uint64_t completed;    /**< completion callbacks called */
	uint64_t errors;       /**< completions with an error status */
	uint64_t queued;       /**< submissions that had to wait for a free request */
	uint64_t pdus_sent;
	uint64_t pdus_received;
	uint64_t send_calls;   /**< socket send system calls */
	uint64_t recv_calls;   /**< socket receive system calls */
	uint64_t polls;        /**< process_completions calls */
	uint64_t idle_polls;   /**< polls that completed nothing */
	uint64_t reconnects;   /**< successful reconnects */
	uint64_t disconnects;  /**< connections lost or dropped for a reset */
	uint64_t timeouts;     /**< commands that exceeded io_timeout_ms */
	uint64_t aborts;       /**< Aborts asked for (timeouts) */
	uint64_t ddgst_retries; /**< Reads sent again after a data digest mismatch */
};

/**
 * Copy a queue pair's counters.
 *
 * \param qpair Queue pair.
 * \param stats Filled in.
 */
void nvtcp_qpair_get_stats(const struct nvtcp_qpair *qpair, struct nvtcp_qpair_stats *stats);

/**
 * The TLS cipher suite of a queue pair's current (or last) connection.
 *
 * \param qpair Queue pair (call on its owner thread).
 * \return The cipher suite name, or NULL when the queue pair does not use TLS.
 */
const char *nvtcp_qpair_get_tls_cipher(const struct nvtcp_qpair *qpair);

/* ---- NVM commands ------------------------------------------------------------------------- */

/** I/O flags (cdw12 bits of Read/Write/Compare/Write Zeroes). */
#define NVTCP_IO_FLAGS_FUA (1u << 30)
#define NVTCP_IO_FLAGS_LIMITED_RETRY (1u << 31)

/**
 * Read. Transfers above the controller's limit are split; the callback runs once, when every
 * part has completed, with the first error if any.
 *
 * \param ns Namespace.
 * \param qpair I/O queue pair.
 * \param buf Destination (lba_count * sector size bytes).
 * \param lba First logical block.
 * \param lba_count Number of blocks (>= 1).
 * \param cb Completion.
 * \param cb_arg Its argument.
 * \param io_flags NVTCP_IO_FLAGS_*.
 * \return 0, -EAGAIN (no free request, with the EAGAIN policy), -EINVAL (range beyond the
 *         namespace, zero count, bad flags), -ENXIO (queue pair failed for good, or the
 *         namespace is not active). While the queue pair reconnects, commands are accepted
 *         and wait (each holds a preallocated request: -EAGAIN when none is left).
 */
int nvtcp_ns_cmd_read(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, void *buf, uint64_t lba,
		      uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags);

/** Write (in-capsule up to the controller's in-capsule size, else R2T/H2CData). See read. */
int nvtcp_ns_cmd_write(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, const void *buf,
		       uint64_t lba, uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg,
		       uint32_t io_flags);

/** Read into a scatter/gather list (at most NVTCP_MAX_IOVCNT entries). See read. */
int nvtcp_ns_cmd_readv(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, uint64_t lba,
		       uint32_t lba_count, const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb,
		       void *cb_arg, uint32_t io_flags);

/** Write from a scatter/gather list. See read. */
int nvtcp_ns_cmd_writev(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, uint64_t lba,
			uint32_t lba_count, const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb,
			void *cb_arg, uint32_t io_flags);

/** Compare (the controller compares the data to the blocks). See read. */
int nvtcp_ns_cmd_compare(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, const void *buf,
			 uint64_t lba, uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg,
			 uint32_t io_flags);

/** Compare from a scatter/gather list. See read. */
int nvtcp_ns_cmd_comparev(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, uint64_t lba,
			  uint32_t lba_count, const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb,
			  void *cb_arg, uint32_t io_flags);

/** Write Zeroes (no data transfer; up to 65536 blocks per command, larger ranges are split). */
int nvtcp_ns_cmd_write_zeroes(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, uint64_t lba,
			      uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags);

/** Flush the volatile write cache. */
int nvtcp_ns_cmd_flush(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, nvtcp_cmd_cb cb,
		       void *cb_arg);

/**
 * Dataset Management (e.g. deallocate).
 *
 * \param ns Namespace.
 * \param qpair I/O queue pair.
 * \param attributes cdw11 (NVTCP_NVME_DSM_ATTR_DEALLOCATE ...).
 * \param ranges Ranges (1..256), copied before the call returns.
 * \param num_ranges Number of ranges.
 * \param cb Completion.
 * \param cb_arg Its argument.
 * \return 0 or a negative errno.
 */
int nvtcp_ns_cmd_dataset_management(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair,
				    uint32_t attributes, const struct nvtcp_nvme_dsm_range *ranges,
				    uint16_t num_ranges, nvtcp_cmd_cb cb, void *cb_arg);

/**
 * Submit any I/O command (the driver sets CID, PSDT and the SGL).
 *
 * \param qpair I/O queue pair.
 * \param cmd Command.
 * \param buf Data (direction from the opcode), may be NULL.
 * \param len Its length.
 * \param cb Completion.
 * \param cb_arg Its argument.
 * \return 0 or a negative errno.
 */
int nvtcp_qpair_cmd_io_raw(struct nvtcp_qpair *qpair, const struct nvtcp_nvme_cmd *cmd, void *buf,
			   uint32_t len, nvtcp_cmd_cb cb, void *cb_arg);

/** Largest scatter/gather list accepted by the v variants. */
#define NVTCP_MAX_IOVCNT 64

/* ---- Poll groups -------------------------------------------------------------------------- */

/** Counters of a poll group since it was created. */
struct nvtcp_poll_group_stats {
	uint64_t polls;          /**< process_completions calls */
	uint64_t idle_polls;     /**< polls that completed nothing */
	uint64_t completions;    /**< completion callbacks called */
	uint64_t queued;         /**< submissions that waited for a free request */
	uint64_t recv_calls;     /**< socket receive system calls */
	uint64_t send_calls;     /**< socket send system calls */
	uint64_t epoll_calls;    /**< the group's own system calls: epoll_wait, or io_uring_enter
				  *  on an io_uring group (whose sends are counted here, not in
				  *  send_calls) */
};

/**
 * Create a poll group: many queue pairs polled by one thread with one epoll wait per poll.
 *
 * \return The group, or NULL.
 */
struct nvtcp_poll_group *nvtcp_poll_group_create(void);

/**
 * Add a queue pair (owned by the group's thread from now on).
 *
 * \param group Group.
 * \param qpair Queue pair (in no other group).
 * \return 0 or a negative errno.
 */
int nvtcp_poll_group_add(struct nvtcp_poll_group *group, struct nvtcp_qpair *qpair);

/**
 * Remove a queue pair.
 *
 * \param group Group.
 * \param qpair Queue pair.
 * \return 0 or -ENOENT.
 */
int nvtcp_poll_group_remove(struct nvtcp_poll_group *group, struct nvtcp_qpair *qpair);

/**
 * Poll every queue pair of the group: one epoll wait, one batched read per readable queue pair,
 * completion callbacks, one batched write per queue pair with queued PDUs, timeouts, reconnects.
 *
 * \param group Group.
 * \param max_per_qpair Completions per queue pair at most (0 = no limit).
 * \return Completions processed, or a negative errno.
 */
int64_t nvtcp_poll_group_process_completions(struct nvtcp_poll_group *group,
					     uint32_t max_per_qpair);

/**
 * Copy a group's counters.
 *
 * \param group Group.
 * \param stats Filled in.
 */
void nvtcp_poll_group_get_stats(const struct nvtcp_poll_group *group,
				struct nvtcp_poll_group_stats *stats);

/**
 * Destroy an empty group.
 *
 * \param group Group.
 * \return 0, or -EBUSY while queue pairs remain in it.
 */
int nvtcp_poll_group_destroy(struct nvtcp_poll_group *group);

/* ---- Discovery ---------------------------------------------------------------------------- */

/** Options of nvtcp_discover(). Initialise with nvtcp_discover_opts_init(). */
struct nvtcp_discover_opts {
	/** Controller options for the discovery controllers (kato 0 by default). */
	struct nvtcp_ctrlr_opts ctrlr;
	/** Follow referrals to other discovery services (default true). */
	bool follow_referrals;
	/** Referral depth at most (default 4); each address is visited once. */
	uint32_t max_referral_depth;
	/** Entries at most in one log (default 1024; a larger NUMREC is an error). */
	uint32_t max_entries;
	/** Restarts of a log read after a generation change at most (default 10). */
	uint32_t max_restarts;
};

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options.
 */
void nvtcp_discover_opts_init(struct nvtcp_discover_opts *opts);

/**
 * Read a discovery controller's whole log consistently: the header, the entries, the header
 * again, starting over when the generation counter changed.
 *
 * \param ctrlr Attached discovery controller.
 * \param max_entries Largest NUMREC accepted (at most 65536 whatever is asked).
 * \param max_restarts Restarts at most.
 * \param entries Set to an array the caller frees with free().
 * \param count Set to the number of entries.
 * \return 0 or a negative errno (-E2BIG, -EAGAIN after max_restarts, -EIO, ...).
 */
int nvtcp_ctrlr_get_discovery_log(struct nvtcp_ctrlr *ctrlr, uint32_t max_entries,
				  uint32_t max_restarts, struct nvtcp_discovery_entry **entries,
				  size_t *count);

/**
 * nvtcp_ctrlr_get_discovery_log() that also returns the log's generation counter (GENCTR) of
 * the consistent read, so that a caller can tell later whether the log changed.
 *
 * \param ctrlr Attached discovery controller.
 * \param max_entries Largest NUMREC accepted (at most 65536).
 * \param max_restarts Restarts at most.
 * \param entries Set to an array the caller frees with free().
 * \param count Set to the number of entries.
 * \param genctr Set to GENCTR (may be NULL).
 * \return 0 or a negative errno.
 */
int nvtcp_ctrlr_get_discovery_log_ext(struct nvtcp_ctrlr *ctrlr, uint32_t max_entries,
				      uint32_t max_restarts,
				      struct nvtcp_discovery_entry **entries, size_t *count,
				      uint64_t *genctr);

/**
 * Discover: attach to the discovery controller at \p trid (its subnqn defaults to the
 * discovery NQN), read its log, follow referrals (bounded), and return every entry that is not
 * a referral. Synchronous; for tools and set-up code.
 *
 * \param trid Discovery service.
 * \param opts Options, or NULL.
 * \param entries Set to an array the caller frees with free().
 * \param count Set to the number of entries.
 * \return 0 or a negative errno.
 */
int nvtcp_discover(const struct nvtcp_trid *trid, const struct nvtcp_discover_opts *opts,
		   struct nvtcp_discovery_entry **entries, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_NVME_H */
