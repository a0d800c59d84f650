/*
 * A scripted fake NVMe/TCP controller for the host driver's unit tests.
 *
 * It answers the host over fake sockets (test/common/fake_sock.h): the driver's connect hook
 * (nvme_set_connect_fn) hands out a new fake socket per connection, and fake_ctrlr_poll()
 * parses what the host sent (with lib/tcp in the controller role) and pushes the answers:
 * ICResp, Connect, Property Get/Set (CAP, VS, CC, CSTS with RDY/CFS/SHST behaviour), Identify
 * (controller, namespace, active list with pagination, descriptors), Set/Get Features, Keep
 * Alive, AERs (held until fake_ctrlr_aen()), Get Log Page (discovery log, changed namespace
 * list), Abort, and NVM I/O on RAM-backed namespaces (C2HData split as configured, SUCCESS
 * flag, in-capsule writes and R2T writes with several R2Ts).
 *
 * A connection can be switched to manual mode: the fake then records what the host sends
 * (commands, H2CData, TermReq) and answers nothing, and the test pushes crafted PDUs.
 *
 * The fake also installs a test clock (1 tick = 1 microsecond, advanced only by the test) and a
 * pause hook, so that the driver's synchronous calls pump the fake controller.
 */
#ifndef NVTCP_FAKE_CTRLR_H
#define NVTCP_FAKE_CTRLR_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_sock.h"
#include "nvtcp/auth.h"
#include "nvtcp/nvme_spec.h"
#include "nvtcp/tcp_pdu.h"

struct fake_ctrlr;
struct fake_conn;

#define FAKE_MAX_CONNS 64
#define FAKE_BACKED_NS_MAX 4

struct fake_ctrlr_cfg {
	/* Connection. */
	bool refuse_connect;       /* TCP connect fails with -ECONNREFUSED */
	uint8_t cpda;
	uint32_t maxh2cdata;
	bool allow_hdgst;
	bool allow_ddgst;
	bool no_icresp;            /* never answer the ICReq */
	bool icresp_raw_set;       /* send icresp_raw instead of a valid ICResp */
	uint8_t icresp_raw[128];
	/* Connect. */
	uint16_t cntlid;
	uint16_t connect_status;   /* non-zero: refuse the admin Connect with this status word */
	uint32_t connect_cdw0;
	uint16_t connect_authreq;  /* AUTHREQ bits returned with a successful Connect (every
				    * queue) */
	/* In-band authentication: with auth_host_secret set, Authentication Send / Receive
	 * are answered by lib/auth's controller engine (a transaction per connection at a
	 * time; a new Negotiate after the end of one starts another). */
	const struct nvtcp_auth_secret *auth_host_secret;
	const struct nvtcp_auth_secret *auth_ctrl_secret;
	uint32_t auth_hash_mask;   /* 0 = all */
	uint32_t auth_dhgroup_mask;
	bool auth_recv_full;       /* transfer the whole allocation length (as Linux nvmet),
				    * not just the message */
	bool auth_recv_hold;       /* never answer an Authentication Receive */
	/* Properties. */
	uint64_t cap;
	uint32_t vs;
	uint32_t rdy_delay;        /* CSTS reads after enable that still show RDY = 0 */
	bool rdy_never;
	bool cfs_on_enable;
	bool strict_cc;            /* CFS when CC.EN comes without IOSQES 6 / IOCQES 4 (Linux) */
	bool shst_never;           /* shutdown never completes */
	/* Identify. */
	struct nvtcp_nvme_ctrlr_data cdata;
	uint32_t num_ns;           /* active namespaces: IDs ns_first, ns_first + 1, ... */
	uint32_t ns_first;
	uint64_t ns_blocks;
	uint8_t lbads;
	bool ns_uuid;              /* descriptors carry a UUID (bytes: nsid, then 0xA5) */
	bool no_cns2;              /* Identify CNS 02h fails with Invalid Field */
	uint32_t ns_identify_errors; /* the next N Identify Namespace fail (Transient Transport
				      * Error, as a data digest error makes them) */
	/* Features. */
	uint32_t nq_granted;       /* 0: grant what is asked */
	bool ka_no_response;       /* keep-alives are never answered */
	uint16_t ka_status;        /* non-zero: keep-alives fail with this status word */
	/* Abort: answered "not aborted" (cdw0 bit 0 set, as Linux nvmet) unless one of these. */
	uint16_t abort_status;     /* non-zero: Aborts fail with this status word */
	bool abort_hold;           /* Aborts are never answered */
	bool abort_succeeds;       /* cdw0 0, and the command completes with Command Abort
				    * Requested on its queue (when the fake holds it: manual) */
	/* I/O queue Connect: non-zero: refused with this status word. */
	uint16_t io_connect_status;
	/* Data path. */
	bool c2h_success;          /* reads end with SUCCESS instead of a CapsuleResp */
	uint32_t c2h_pdu_max;      /* 0: one C2HData per command */
	uint32_t r2t_chunk;        /* 0: one R2T for the whole transfer */
	uint32_t r2t_at_once;      /* R2Ts issued before data comes back (default 1) */
	/* Discovery log (Get Log Page 0x70): bytes served at any offset (zero beyond). */
	uint8_t *disc_log;
	uint32_t disc_log_len;
	/* Called for every discovery log read, before it is answered (may change disc_log). */
	void (*on_disc_read)(struct fake_ctrlr *fc, uint64_t offset, uint32_t len, void *arg);
	void *on_disc_arg;
};

/** A command the fake received. */
struct fake_cmd_record {
	uint16_t qid;
	struct nvtcp_nvme_cmd cmd;
	uint32_t data_len;         /* in-capsule data bytes */
};

/** An H2CData PDU received in manual mode. */
struct fake_h2c_record {
	uint16_t cccid;
	uint16_t ttag;
	uint32_t datao;
	uint32_t datal;
	uint8_t flags;
};

/** Defaults: an NVM controller like Linux nvmet (CAP MQES 127, TO 1, VS 1.3, MDTS 0, IOCCSZ
 *  1028, AERL 3, OAES NS attribute notices, 2 namespaces of 2048 512-byte blocks). */
void fake_ctrlr_cfg_init(struct fake_ctrlr_cfg *cfg);

/** Create the fake and install the driver hooks (connect, clock, pause). */
struct fake_ctrlr *fake_ctrlr_create(const struct fake_ctrlr_cfg *cfg);
/** Remove the hooks and free everything (fake sockets included). */
void fake_ctrlr_destroy(struct fake_ctrlr *fc);
/** The live configuration (tests may change it between polls). */
struct fake_ctrlr_cfg *fake_ctrlr_get_cfg(struct fake_ctrlr *fc);

/** Process what the host sent on every connection; returns PDUs handled. */
int fake_ctrlr_poll(struct fake_ctrlr *fc);

/** Connection \p idx in connect order (0: the admin queue), or NULL. */
struct fake_conn *fake_ctrlr_conn(struct fake_ctrlr *fc, int idx);
int fake_ctrlr_num_conns(const struct fake_ctrlr *fc);
struct fake_sock *fake_conn_sock(struct fake_conn *c);
uint16_t fake_conn_qid(const struct fake_conn *c);
/** Stop answering on this connection; record what arrives. */
void fake_conn_set_manual(struct fake_conn *c, bool manual);
/** Manual mode: take the oldest command received (false when none). */
bool fake_conn_pop_cmd(struct fake_conn *c, struct fake_cmd_record *rec, void *data, uint32_t max);
/** Manual mode: take the oldest H2CData received; its data is copied to \p data. */
bool fake_conn_pop_h2c(struct fake_conn *c, struct fake_h2c_record *rec, void *data, uint32_t max);
/** The H2CTermReq the host sent, if any. */
bool fake_conn_term_req(const struct fake_conn *c, uint16_t *fes, uint32_t *fei,
			const uint8_t **hdr, uint32_t *hdr_len);
/** Send a PDU built from \p hdr (type-specific fields) and data, framed with lib/tcp. */
void fake_conn_send_pdu(struct fake_conn *c, union nvtcp_tcp_pdu_hdr *hdr, const void *data,
			uint32_t len);
/** Send raw bytes. */
void fake_conn_send_raw(struct fake_conn *c, const void *bytes, size_t len);
/** Send a CapsuleResp. */
void fake_conn_send_rsp(struct fake_conn *c, uint16_t cid, uint16_t status, uint32_t cdw0);
/** Negotiated parameters of the connection (controller view). */
const struct nvtcp_tcp_params *fake_conn_params(const struct fake_conn *c);
/* The socket options the host's connect asked for. */
const struct nvtcp_sock_opts *fake_conn_sock_opts(const struct fake_conn *c);

/** Commands received (every connection, in order). */
uint32_t fake_ctrlr_num_cmds(const struct fake_ctrlr *fc);
const struct fake_cmd_record *fake_ctrlr_cmd(const struct fake_ctrlr *fc, uint32_t i);
/** Count of commands with this opcode (and FCTYPE for Fabrics, else ignored); qid < 0 = any. */
uint32_t fake_ctrlr_count(const struct fake_ctrlr *fc, int qid, uint8_t opc, int fctype);
/** Last command with this opcode (and FCTYPE), or NULL. */
const struct fake_cmd_record *fake_ctrlr_last(const struct fake_ctrlr *fc, uint8_t opc,
					      int fctype);
/** Connect data of the last Connect on queue \p qid. */
const struct nvtcp_nvmf_connect_data *fake_ctrlr_connect_data(const struct fake_ctrlr *fc,
							      uint16_t qid);

/** Complete the oldest held AER with \p cdw0; false when none is held. */
bool fake_ctrlr_aen(struct fake_ctrlr *fc, uint32_t cdw0);
uint32_t fake_ctrlr_held_aers(const struct fake_ctrlr *fc);
/** Backing store of namespace \p nsid (first FAKE_BACKED_NS_MAX namespaces), or NULL. */
uint8_t *fake_ctrlr_ns_data(struct fake_ctrlr *fc, uint32_t nsid);
/** Make the active list (and Identify Namespace) skip/return namespace \p nsid. */
void fake_ctrlr_set_ns_active(struct fake_ctrlr *fc, uint32_t nsid, bool active);
/** Changed Namespace List log content. */
void fake_ctrlr_set_changed_ns(struct fake_ctrlr *fc, const uint32_t *nsids, uint32_t n);
/** Identify Namespace of \p nsid reports \p blocks (0: the configured size again). */
void fake_ctrlr_set_ns_blocks(struct fake_ctrlr *fc, uint32_t nsid, uint64_t blocks);
/** The NGUID of \p nsid becomes bytes of \p salt (0: the default, the NSID). */
void fake_ctrlr_set_ns_nguid(struct fake_ctrlr *fc, uint32_t nsid, uint8_t salt);
/** Authentication transactions the controller engine ended: succeeded, failed. */
uint32_t fake_ctrlr_auth_ok(const struct fake_ctrlr *fc);
uint32_t fake_ctrlr_auth_failed(const struct fake_ctrlr *fc);
/** Aborts received (any outcome). */
uint32_t fake_ctrlr_num_aborts(const struct fake_ctrlr *fc);
/** Associations: admin Connects accepted so far. */
uint32_t fake_ctrlr_num_assocs(const struct fake_ctrlr *fc);
/** Close every connection from the controller side (the host reads -ECONNRESET). */
void fake_ctrlr_drop_all(struct fake_ctrlr *fc);
/** Current CC and CSTS. */
uint32_t fake_ctrlr_cc(const struct fake_ctrlr *fc);
uint32_t fake_ctrlr_csts(const struct fake_ctrlr *fc);

/* ---- The test clock --------------------------------------------------------------------- */

/** Ticks (microseconds) of the test clock. */
uint64_t ut_clock_now(void);
void ut_clock_advance_ms(uint64_t ms);

#endif /* NVTCP_FAKE_CTRLR_H */
