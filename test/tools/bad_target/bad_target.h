/*
 * bad_target: a minimal NVMe/TCP controller that behaves until a chosen misbehaviour triggers.
 *
 * It implements just enough of an NVM subsystem (and a discovery controller) for a host driver
 * to attach and do I/O on a RAM namespace: ICReq/ICResp, Fabrics Connect, Property Get/Set,
 * Identify, Set/Get Features, Keep Alive, Get Log Page, Asynchronous Event Request (held),
 * Abort, Read/Write (in-capsule, R2T/H2CData, C2HData), Flush, Write Zeroes, Dataset
 * Management, Disconnect. One case (--case) then makes it break the protocol in one precise way
 * on one chosen command (--after, --qid), so that a host test can check that the host notices,
 * names the problem, recovers and never crashes or hangs.
 *
 * Files: main.c (command line, listener, loop), conn.c (PDU receive and send, IC, data
 * movement), ctrlr.c (commands, identify and log data), cases.c (the misbehaviours).
 */
#ifndef BAD_TARGET_H
#define BAD_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "nvtcp/nvme_data_spec.h"
#include "nvtcp/nvme_spec.h"
#include "nvtcp/nvme_tcp_spec.h"
#include "nvtcp/nvmf_spec.h"
#include "nvtcp/sock.h"
#include "nvtcp/tcp_pdu.h"

#define BT_MAX_CMDS 1024          /* commands outstanding per connection */
#define BT_MAX_CTRLRS 64
#define BT_RXBUF_SIZE (256 * 1024)
#define BT_ADMIN_INCAPSULE 8192
#define BT_AERL 3                 /* 4 AERs outstanding at most */

/* ---- Misbehaviours (cases.c) ---------------------------------------------------------------- */

/** What a case needs in order to trigger. */
enum bt_need {
	BT_NEED_IC,        /* a connection (at ICReq): --after counts connections */
	BT_NEED_ANY,       /* any command */
	BT_NEED_READ,      /* an NVM Read */
	BT_NEED_C2H,       /* any command that returns data (Read, Identify, Get Log Page...) */
	BT_NEED_WRITE_R2T, /* an NVM Write whose data comes by R2T (not in capsule) */
	BT_NEED_KEEPALIVE, /* a Keep Alive */
	BT_NEED_CONNECT_IO, /* a Connect on an I/O queue */
	BT_NEED_CONNECT,   /* any Connect */
	BT_NEED_VALUE,     /* none: an absurd value served from the start */
};

/** The cases. Keep in the order of the table in cases.c. */
enum bt_case_id {
	BT_CASE_NONE = 0,
	/* Connection initialisation. */
	BT_CASE_NO_ICRESP,
	BT_CASE_ICRESP_TWICE,
	BT_CASE_RESP_BEFORE_ICRESP,
	BT_CASE_ICRESP_BAD_PFV,
	BT_CASE_ICRESP_BAD_CPDA,
	BT_CASE_ICRESP_BAD_HLEN,
	BT_CASE_ICRESP_BAD_PLEN,
	BT_CASE_ICRESP_MAXH2CDATA_TINY,
	BT_CASE_ICRESP_MAXH2CDATA_UNALIGNED,
	BT_CASE_ICRESP_MAXH2CDATA_HUGE,
	BT_CASE_ICRESP_DGST_UNREQUESTED,
	/* PDU types wrong for the state or the direction. */
	BT_CASE_CAPSULE_CMD_TO_HOST,
	BT_CASE_H2C_DATA_TO_HOST,
	BT_CASE_ICREQ_TO_HOST,
	BT_CASE_UNKNOWN_PDU_TYPE,
	BT_CASE_R2T_FOR_READ,
	BT_CASE_C2H_FOR_WRITE,
	/* Bad lengths and flags. */
	BT_CASE_RESP_BAD_HLEN,
	BT_CASE_RESP_BAD_PLEN,
	BT_CASE_C2H_BAD_PDO,
	BT_CASE_C2H_BAD_DATAL,
	BT_CASE_C2H_PLEN_HUGE,
	BT_CASE_HDGSTF_MISSING,
	/* Wrong CIDs. */
	BT_CASE_RESP_UNKNOWN_CID,
	BT_CASE_RESP_DUPLICATE,
	BT_CASE_RESP_STALE_CID,
	BT_CASE_C2H_UNKNOWN_CID,
	BT_CASE_R2T_UNKNOWN_CID,
	/* Data out of range or out of order. */
	BT_CASE_C2H_BEYOND_END,
	BT_CASE_C2H_OFFSET_GAP,
	BT_CASE_C2H_OVERLAP,
	BT_CASE_SUCCESS_WITHOUT_LAST,
	BT_CASE_SUCCESS_EARLY,
	BT_CASE_RESP_BEFORE_DATA,
	BT_CASE_LAST_PDU_EARLY,
	/* Writes and R2Ts. */
	BT_CASE_RESP_DURING_WRITE,
	BT_CASE_R2T_BEYOND_END,
	BT_CASE_R2T_ZERO_LEN,
	BT_CASE_R2T_TOO_MANY,
	/* Digests. */
	BT_CASE_HDGST_ERROR,
	BT_CASE_DDGST_ERROR,
	/* Termination and silence. */
	BT_CASE_C2H_TERM_REQ,
	BT_CASE_CLOSE_RST,
	BT_CASE_CLOSE_FIN,
	BT_CASE_NEVER_ANSWER,
	BT_CASE_DROP_ONE,
	BT_CASE_NO_KEEPALIVE_REPLY,
	/* Fabrics and controller state. */
	BT_CASE_CONNECT_REJECT,
	BT_CASE_CONNECT_CNTLID_MISMATCH,
	BT_CASE_CSTS_NEVER_READY,
	BT_CASE_CSTS_CFS,
	/* Absurd advertised values. */
	BT_CASE_MDTS_ABSURD,
	BT_CASE_IOCCSZ_TINY,
	BT_CASE_IOCCSZ_HUGE,
	BT_CASE_NN_HUGE,
	BT_CASE_NS_LIST_ABSURD,
	BT_CASE_MQES_ZERO,
	BT_CASE_LBA_SIZE_ABSURD,
	BT_CASE_NSZE_ZERO,
	BT_CASE_NUMREC_HUGE,
	BT_CASE_GENCTR_CHURN,
	BT_CASE_NOQ_EXCESS,
	BT_CASE_COUNT,
};

struct bt_case {
	const char *name;
	enum bt_need need;
	const char *desc;
};

/** The case table entry of an id. */
const struct bt_case *bt_case_get(enum bt_case_id id);

/** Find a case by name; BT_CASE_NONE when unknown. */
enum bt_case_id bt_case_find(const char *name);

/** Print every case with its description. */
void bt_case_list(void);

/* ---- Target state --------------------------------------------------------------------------- */

struct bt_ctrlr {
	bool used;
	uint16_t cntlid;
	bool discovery;
	uint32_t cc;
	uint32_t csts;
	uint32_t kato;
	uint32_t num_io_queues;   /* granted, 1-based */
	uint32_t features[256];
	uint32_t aers;            /* outstanding */
	uint64_t genctr;
	char hostnqn[NVTCP_NVMF_NQN_FIELD_LEN + 1];
};

/** Options and global state of the target. */
struct bt_target {
	/* Options. */
	char listen_host[256];
	char listen_port[32];
	char subnqn[NVTCP_NVMF_NQN_FIELD_LEN];
	uint64_t ns_blocks;
	uint32_t block_shift;     /* log2 of the block size */
	uint32_t maxh2cdata;
	uint32_t c2h_chunk;       /* bytes per C2HData PDU at most */
	uint32_t r2t_chunk;       /* bytes per R2T at most */
	uint32_t io_incapsule;    /* in-capsule data of I/O commands (IOCCSZ) */
	uint8_t mdts;
	uint16_t mqes;            /* 0's based */
	uint32_t max_io_queues;
	bool allow_hdgst;
	bool allow_ddgst;
	uint8_t cpda;

	/* The case. */
	enum bt_case_id case_id;
	uint64_t after;           /* trigger after this many eligible events */
	int qid;                  /* -1: any queue */
	bool repeat;              /* trigger on every eligible event after --after */
	uint64_t eligible_seen;
	uint64_t triggered;
	bool silent;              /* never_answer triggered: reply to nothing any more */

	/* State. */
	uint8_t *ns;
	struct bt_ctrlr ctrlrs[BT_MAX_CTRLRS];
	uint16_t next_cntlid;
	uint16_t port;
	uint32_t next_conn_id;
	uint64_t conns_total;
	uint64_t cmds_total;
	uint64_t errors_from_host; /* TermReqs and framing errors the host caused */
};

extern struct bt_target g_bt;

/* ---- Connections (conn.c) ------------------------------------------------------------------- */

enum bt_cmd_state {
	BT_CMD_FREE = 0,
	BT_CMD_RECEIVED,   /* capsule in (with in-capsule data) */
	BT_CMD_WAIT_DATA,  /* R2T sent, H2CData expected */
	BT_CMD_HELD,       /* AER: completes later (never) */
	BT_CMD_DROPPED,    /* the case drops it: never answered */
};

struct bt_cmd {
	enum bt_cmd_state state;
	struct nvtcp_nvme_cmd sqe;
	uint8_t *data;       /* transfer buffer (len bytes) */
	uint32_t len;        /* transfer length (SGL length) */
	bool incapsule;
	uint32_t r2t_off;    /* bytes requested by R2Ts so far */
	uint32_t h2c_rcvd;   /* bytes of H2CData received */
	uint32_t r2t_pending; /* bytes of the outstanding R2T not yet received */
	uint16_t ttag;
	enum bt_case_id bad; /* the case triggered on this command */
};

enum bt_conn_state {
	BT_CONN_WAIT_ICREQ,
	BT_CONN_READY,
	BT_CONN_SILENT,      /* reads and ignores everything */
	BT_CONN_CLOSING,
};

struct bt_conn {
	uint32_t id;
	enum bt_conn_state state;
	struct nvtcp_sock *sock;
	struct nvtcp_sock_rxbuf rb;
	uint8_t *rbuf;
	struct nvtcp_tcp_rx rx;
	struct nvtcp_tcp_params params;
	bool hdgst_requested;
	bool ddgst_requested;
	int qid;             /* -1 before Connect */
	uint16_t sqsize;     /* 1-based */
	uint16_t sqhd;
	struct bt_ctrlr *ctrlr;
	struct bt_cmd cmds[BT_MAX_CMDS];
	struct bt_cmd *cur;  /* command whose data is being received */
	uint16_t next_ttag;
	uint16_t last_done_cid; /* for resp_stale_cid */
	bool have_last_done;
	uint32_t tx_inflight;
	bool close_rst;      /* how to close */
	uint64_t close_deadline_us;
	TAILQ_ENTRY(bt_conn) link;
};

/** Start serving an accepted socket. */
int bt_conn_create(struct nvtcp_sock *sock);

/** Poll every connection: receive, process, send. Returns true on progress. */
bool bt_conns_poll(void);

/** Number of connections. */
uint32_t bt_conns_count(void);

/** Close every connection. */
void bt_conns_close_all(void);

/* Sending (conn.c), used by ctrlr.c and cases.c. */

/** A PDU to send, with a private copy of its data. */
struct bt_tx {
	struct nvtcp_tcp_tx_pdu pdu;
	struct bt_conn *conn;
	struct iovec data_iov;
	uint32_t data_len;
	uint8_t data[];
};

/** Allocate a PDU of \p type with a copy of \p len bytes of \p data (NULL: zeros). */
struct bt_tx *bt_tx_new(uint8_t type, const void *data, uint32_t len);

/** Complete it with the connection's parameters (nvtcp_tcp_pdu_finish()). */
int bt_tx_finish(struct bt_conn *c, struct bt_tx *tx);

/** Queue it and flush; it is freed once sent (or when the connection closes). */
void bt_tx_send(struct bt_conn *c, struct bt_tx *tx);

/** Send a CapsuleResp for \p cmd (honours the cases that spoil responses). */
void bt_send_resp(struct bt_conn *c, struct bt_cmd *cmd, uint16_t status, uint32_t cdw0,
		  uint32_t cdw1);

/** Send \p cmd's data (cmd->data, cmd->len) to the host in C2HData PDUs, then its response. */
void bt_send_data_and_resp(struct bt_conn *c, struct bt_cmd *cmd, uint16_t status, uint32_t cdw0);

/** Ask for a write's data: R2T(s). */
void bt_send_r2t(struct bt_conn *c, struct bt_cmd *cmd);

/** Send raw bytes (a PDU built by hand, possibly malformed). */
int bt_send_raw(struct bt_conn *c, const void *bytes, uint32_t len);

/** Build a C2HData for bytes [off, off + len) of \p cmd's data and send it. */
int bt_send_c2h(struct bt_conn *c, struct bt_cmd *cmd, uint16_t cid, uint32_t off, uint32_t len,
		uint8_t flags);

/** Send a C2HTermReq and close the connection once it has left. */
void bt_send_term_req(struct bt_conn *c, uint16_t fes, uint32_t fei, const void *hdr,
		      uint32_t hdr_len);

/** Close a connection (reset when \p rst). */
void bt_conn_close(struct bt_conn *c, bool rst, const char *why);

/** Free a command slot. */
void bt_cmd_free(struct bt_cmd *cmd);

/** Recompute the header digest of a PDU whose header was patched after nvtcp_tcp_pdu_finish(). */
void bt_pdu_fix_hdgst(struct nvtcp_tcp_tx_pdu *pdu);

/* ---- Commands (ctrlr.c) ---------------------------------------------------------------------- */

/** A command capsule (and its in-capsule data) arrived. */
void bt_cmd_execute(struct bt_conn *c, struct bt_cmd *cmd);

/** All of a write's data arrived. */
void bt_cmd_write_data_done(struct bt_conn *c, struct bt_cmd *cmd);

/** A connection closed: release what it held in its controller. */
void bt_ctrlr_conn_gone(struct bt_conn *c);

/* ---- Case hooks (cases.c) -------------------------------------------------------------------- */

/**
 * Decide whether the case triggers on this event. Counts eligible events (those that match the
 * case's need, --qid, and the connection's digests when the case needs them) and honours
 * --after and --repeat; logs the TRIGGERED line.
 *
 * \param c Connection.
 * \param cmd Command just received, or NULL for a connection's ICReq.
 * \return true when the case triggers now.
 */
bool bt_case_trigger(struct bt_conn *c, const struct bt_cmd *cmd);

/** Log that a case acted (one line, for the test to find). */
void bt_case_log(struct bt_conn *c, const struct bt_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Whether a value case is selected (absurd values from the start). */
static inline bool
bt_case_is(enum bt_case_id id)
{
	return g_bt.case_id == id;
}

/** Log a value case the first time it is served. */
void bt_case_value_served(struct bt_conn *c, const char *what);

/**
 * The case's own behaviour on a command just received, before normal execution.
 *
 * \return true when the case took the command over (no normal execution).
 */
bool bt_case_on_command(struct bt_conn *c, struct bt_cmd *cmd);

/** Monotonic time in microseconds. */
uint64_t bt_now_us(void);

#endif /* BAD_TARGET_H */
