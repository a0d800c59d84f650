/**
 * @file
 * NVMe/TCP PDU framing, shared by the host driver (lib/nvme) and the target (lib/target).
 *
 * This layer knows the wire format and the parameters negotiated by ICReq/ICResp, and nothing
 * about queues, commands or sockets: it never allocates, never makes a system call and keeps no
 * global state, so it can be driven by a fuzzer alone.
 *
 * Receive (struct nvtcp_tcp_rx): a state machine that consumes bytes from a struct
 * nvtcp_sock_rxbuf and from direct placement into the final data buffer, validates every
 * generic header field (answering with the right Fatal Error Status and FEI), verifies header
 * digests, places data where the owner says, verifies data digests, and calls two owner
 * callbacks per PDU: header() once the header is in, payload() once its data is in.
 *
 * The owner's receive loop (one batched read per poll):
 *
 *	for (;;) {
 *		rc = nvtcp_tcp_rx_process(rx, rb);          // consume what is buffered
 *		if (rc != 0) break;                          // STOP, WAIT, or error
 *		n = nvtcp_tcp_rx_direct_iov(rx, iov, max);  // rest of the current payload
 *		r = nvtcp_sock_recv_rxbuf(sock, rb, iov, n, &direct);
 *		if (r <= 0) break;                           // -EAGAIN: poll again later
 *		nvtcp_tcp_rx_direct_done(rx, direct);
 *	}
 *
 * Send (struct nvtcp_tcp_tx_pdu): the owner fills the PDU type and the type-specific fields
 * of a header, then nvtcp_tcp_pdu_finish() completes the common header, padding and digests
 * and builds the iovec list (header area, the caller's data, data digest), ready for
 * nvtcp_sock_writev_async(&pdu->sock_req).
 *
 * Threading: an rx or a tx PDU belongs to one thread; nothing here locks.
 */
#ifndef NVTCP_TCP_PDU_H
#define NVTCP_TCP_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "nvtcp/nvme_tcp_spec.h"
#include "nvtcp/sock.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most data iovecs of one PDU, sent or received. */
#define NVTCP_TCP_PDU_MAX_DATA_IOV 64
/**
 * Size of a PDU header area: the largest of a TermReq with its copied header (152 bytes), an
 * IC PDU (128), and a data PDU's header + header digest + padding up to a 128-byte alignment.
 */
#define NVTCP_TCP_PDU_HDR_AREA_LEN NVTCP_TCP_TERM_REQ_PLEN_MAX
/** Default upper bound of the data length of one received PDU (see nvtcp_tcp_rx_opts). */
#define NVTCP_TCP_RX_MAX_DATA_DEFAULT (4u * 1024 * 1024)
/** Default MAXH2CDATA a controller announces (nvtcp_tcp_ic_opts_init()). */
#define NVTCP_TCP_MAXH2CDATA_DEFAULT (128u * 1024)

/** Which end of the connection we are: decides which PDU types may be received. */
enum nvtcp_tcp_role {
	NVTCP_TCP_ROLE_HOST = 0,  /**< receives ICResp, C2HTermReq, CapsuleResp, C2HData, R2T */
	NVTCP_TCP_ROLE_CTRLR = 1, /**< receives ICReq, H2CTermReq, CapsuleCmd, H2CData */
};

/** A fatal transport error: what goes into a TermReq. */
struct nvtcp_tcp_error {
	uint16_t fes; /**< enum nvtcp_tcp_fes */
	uint32_t fei; /**< for invalid/unsupported fields: byte offset of the field in the PDU */
};

/**
 * Connection parameters. Before ICReq/ICResp: no digests, 4-byte alignment. After: the values
 * that nvtcp_tcp_icreq_accept() (controller) or nvtcp_tcp_icresp_accept() (host) derive.
 */
struct nvtcp_tcp_params {
	bool hdgst;          /**< header digests enabled */
	bool ddgst;          /**< data digests enabled */
	/** Data alignment in bytes, (PDA + 1) * 4, of data PDUs we receive (ours: host HPDA,
	 *  controller CPDA). 4..128, a multiple of 4. */
	uint32_t rx_pda;
	/** Data alignment in bytes of data PDUs we send (the peer's PDA). 4..128. */
	uint32_t tx_pda;
	/** Largest data of one H2CData PDU: the host splits to it, the controller enforces it. */
	uint32_t maxh2cdata;
	/** Outstanding R2Ts per command the host accepts, 0's based as in ICReq. */
	uint32_t maxr2t;
};

/**
 * Fill \p params with the values in force before the IC exchange: no digests, 4-byte
 * alignment, MAXH2CDATA 4096, MAXR2T 0.
 *
 * \param params Parameters.
 */
void nvtcp_tcp_params_init(struct nvtcp_tcp_params *params);

/**
 * Check parameters for consistency (alignment 4..128 and a multiple of 4, MAXH2CDATA >= 4096
 * and a multiple of 4).
 *
 * \param params Parameters.
 * \return 0 or -EINVAL.
 */
int nvtcp_tcp_params_check(const struct nvtcp_tcp_params *params);

/* ============================================================================================
 * Connection initialization: ICReq / ICResp
 * ========================================================================================= */

/** What one end offers or accepts in the IC exchange. Initialise with nvtcp_tcp_ic_opts_init(). */
struct nvtcp_tcp_ic_opts {
	bool hdgst;          /**< host: request header digests; controller: allow them */
	bool ddgst;          /**< host: request data digests; controller: allow them */
	/** Our PDA, 0's based dwords (0..31): host HPDA, controller CPDA. Default 0. */
	uint8_t pda;
	/** Host: MAXR2T (0's based). Default 0 (one R2T per command, like Linux). */
	uint32_t maxr2t;
	/** Controller: MAXH2CDATA (>= 4096, a multiple of 4). Default 128 KiB. */
	uint32_t maxh2cdata;
};

/**
 * Fill \p opts with defaults (no digests, PDA 0, MAXR2T 0, MAXH2CDATA 128 KiB).
 *
 * \param opts Options.
 */
void nvtcp_tcp_ic_opts_init(struct nvtcp_tcp_ic_opts *opts);

/**
 * Host: build a complete ICReq PDU (common header included; send it with
 * nvtcp_tcp_pdu_finish() and no data, or as is: it is 128 bytes).
 *
 * \param icreq PDU to fill.
 * \param opts Host options.
 * \return 0, or -EINVAL when opts->pda > 31.
 */
int nvtcp_tcp_icreq_build(struct nvtcp_tcp_icreq *icreq, const struct nvtcp_tcp_ic_opts *opts);

/**
 * Validate a received ICReq: common header (type, hlen, plen 128, no digest flags), PFV 0
 * (else FES Unsupported Parameter, FEI 8) and HPDA <= 31 (FES Invalid Header Field, FEI 10).
 *
 * \param icreq PDU.
 * \param err Set on failure.
 * \return 0, or -EPROTO with \p err set.
 */
int nvtcp_tcp_icreq_check(const struct nvtcp_tcp_icreq *icreq, struct nvtcp_tcp_error *err);

/**
 * Controller: validate a received ICReq, build the ICResp to send and derive the connection
 * parameters. A digest is enabled when the host requested it and \p opts allows it; rx_pda is
 * our CPDA, tx_pda the host's HPDA; MAXR2T is the host's.
 *
 * \param icreq Received ICReq.
 * \param opts Controller options (pda = CPDA, maxh2cdata).
 * \param icresp ICResp to send (complete PDU).
 * \param params Set on success.
 * \param err Set when the ICReq is invalid.
 * \return 0, -EPROTO (bad ICReq: answer with a C2HTermReq from \p err), or -EINVAL (bad opts).
 */
int nvtcp_tcp_icreq_accept(const struct nvtcp_tcp_icreq *icreq, const struct nvtcp_tcp_ic_opts *opts,
			   struct nvtcp_tcp_icresp *icresp, struct nvtcp_tcp_params *params,
			   struct nvtcp_tcp_error *err);

/**
 * Validate a received ICResp: common header, PFV 0 (FES Unsupported Parameter, FEI 8),
 * CPDA <= 31 (FEI 10), MAXH2CDATA >= 4096 and a multiple of 4 (FEI 12).
 *
 * \param icresp PDU.
 * \param err Set on failure.
 * \return 0, or -EPROTO with \p err set.
 */
int nvtcp_tcp_icresp_check(const struct nvtcp_tcp_icresp *icresp, struct nvtcp_tcp_error *err);

/**
 * Host: validate a received ICResp against what the host asked for and derive the connection
 * parameters. A digest enabled that the host did not request is an error (FES Invalid Header
 * Field, FEI 11); a requested digest that the controller declined is accepted and shows as
 * false in \p params (the host decides whether to go on).
 *
 * \param icresp Received ICResp.
 * \param opts The options the ICReq was built from.
 * \param params Set on success.
 * \param err Set when the ICResp is invalid.
 * \return 0, -EPROTO (send an H2CTermReq from \p err), or -EINVAL (bad opts).
 */
int nvtcp_tcp_icresp_accept(const struct nvtcp_tcp_icresp *icresp,
			    const struct nvtcp_tcp_ic_opts *opts, struct nvtcp_tcp_params *params,
			    struct nvtcp_tcp_error *err);

/* ============================================================================================
 * Receive
 * ========================================================================================= */

/** Receive states; each names what the next bytes of the stream are. */
enum nvtcp_tcp_rx_state {
	NVTCP_TCP_RX_STATE_CH = 0,  /**< the 8-byte common header */
	NVTCP_TCP_RX_STATE_PSH,     /**< rest of the header, header digest (TermReq: error data) */
	NVTCP_TCP_RX_STATE_PAD,     /**< padding between header and data (up to pdo) */
	NVTCP_TCP_RX_STATE_PAYLOAD, /**< data */
	NVTCP_TCP_RX_STATE_DDGST,   /**< data digest */
	NVTCP_TCP_RX_STATE_ERROR,   /**< fatal error: nothing more is consumed */
};

/** A callback's return value that makes nvtcp_tcp_rx_process() return at once. */
#define NVTCP_TCP_RX_STOP 1
/**
 * nvtcp_tcp_rx_process() return value: a data PDU's header was delivered and the owner has not
 * chosen where its data goes yet. Call nvtcp_tcp_rx_set_payload*() or
 * nvtcp_tcp_rx_discard_payload(), then nvtcp_tcp_rx_process() again. Meanwhile do not read
 * more from the socket into the rxbuf unless it has room.
 */
#define NVTCP_TCP_RX_WAIT 2

struct nvtcp_tcp_rx;

/**
 * Called when a PDU's header (and header digest, verified) is in and the generic checks passed.
 * The owner checks the type against its state (PDU sequence) and the type-specific fields
 * (CID, TTAG, offsets, lengths); for a PDU with data it calls nvtcp_tcp_rx_set_payload*() or
 * nvtcp_tcp_rx_discard_payload() (now or later, see NVTCP_TCP_RX_WAIT). On a protocol error it
 * calls nvtcp_tcp_rx_fail() and returns negative.
 *
 * \param ctx Owner context (nvtcp_tcp_rx_opts.cb_ctx).
 * \param rx Receiver; nvtcp_tcp_rx_hdr() is the header.
 * \return 0 to go on, NVTCP_TCP_RX_STOP or a negative value to make nvtcp_tcp_rx_process()
 *         return that value at once, without touching \p rx again (the owner may free it).
 */
typedef int (*nvtcp_tcp_rx_header_fn)(void *ctx, struct nvtcp_tcp_rx *rx);

/**
 * Called when all data of a PDU and its data digest are in (also for discarded data). The
 * header is still available through nvtcp_tcp_rx_hdr().
 *
 * \param ctx Owner context.
 * \param rx Receiver.
 * \param ddgst_ok false when the data digest did not match (the data has landed anyway). This is
 *        not a framing error: the owner usually fails that one command with Transient Transport
 *        Error. Always true without data digests.
 * \return As for nvtcp_tcp_rx_header_fn.
 */
typedef int (*nvtcp_tcp_rx_payload_fn)(void *ctx, struct nvtcp_tcp_rx *rx, bool ddgst_ok);

/** Receiver options. Initialise with nvtcp_tcp_rx_opts_init(). */
struct nvtcp_tcp_rx_opts {
	/** Our end: decides which PDU types are accepted. */
	enum nvtcp_tcp_role role;
	/**
	 * Largest data of one received PDU (in-capsule data, C2HData, H2CData); a larger plen is
	 * an invalid header field (FEI 4), so that no peer can make us wait for or buffer
	 * gigabytes. Host: its largest transfer; controller: max(MAXH2CDATA, in-capsule size).
	 * Default NVTCP_TCP_RX_MAX_DATA_DEFAULT.
	 */
	uint32_t max_data_len;
	nvtcp_tcp_rx_header_fn header_cb;   /**< required */
	nvtcp_tcp_rx_payload_fn payload_cb; /**< required */
	void *cb_ctx;
	/** Prefix of log lines (copied, up to 31 characters), e.g. "qid 3". May be NULL. */
	const char *name;
};

/** Where the current PDU's data goes (struct nvtcp_tcp_rx.dest). */
enum nvtcp_tcp_rx_dest {
	NVTCP_TCP_RX_DEST_NONE = 0,    /**< not chosen yet */
	NVTCP_TCP_RX_DEST_IOV = 1,     /**< the owner's iovecs */
	NVTCP_TCP_RX_DEST_DISCARD = 2, /**< dropped */
};

/** Counters of one receiver. */
struct nvtcp_tcp_rx_stats {
	uint64_t pdus;          /**< complete PDUs delivered */
	uint64_t copied_bytes;  /**< data copied from the rxbuf into destinations */
	uint64_t direct_bytes;  /**< data read straight into destinations */
	uint64_t discarded_bytes;
	uint64_t ddgst_errors;
};

/**
 * Receiver state. Embed it in the connection; the fields are private to lib/tcp (read them
 * through the accessors below).
 */
struct nvtcp_tcp_rx {
	/* Header bytes of the current PDU: CH, PSH, header digest; TermReq error data. */
	union {
		union nvtcp_tcp_pdu_hdr hdr;
		uint8_t raw[NVTCP_TCP_PDU_HDR_AREA_LEN];
	} h;
	enum nvtcp_tcp_rx_state state;
	uint32_t offset;      /* bytes of the current PDU consumed */
	uint32_t hdr_end;     /* end of the PSH state: hlen + HDGST, or plen for a TermReq */
	uint32_t hdr_rcvd;    /* bytes of h.raw filled for the current PDU */
	uint32_t data_off;    /* pdo */
	uint32_t data_len;    /* data bytes of the current PDU */
	uint32_t plen;
	bool hdgst;           /* the current PDU carries a header digest */
	bool ddgst;           /* the current PDU carries a data digest */
	uint8_t dest;         /* enum nvtcp_tcp_rx_dest */
	uint8_t ddgst_buf[NVTCP_TCP_DIGEST_LEN];
	uint32_t discard_crc; /* running CRC32C of discarded data */
	int iovcnt;
	int iov_idx;          /* cursor: next byte goes to iov[iov_idx] + iov_off */
	size_t iov_off;
	struct iovec iov[NVTCP_TCP_PDU_MAX_DATA_IOV];
	struct nvtcp_tcp_error err;
	uint32_t err_len;     /* bytes of h.raw to copy into a TermReq */
	char err_msg[96];     /* the rule a framing error broke, as logged ("" otherwise) */
	struct nvtcp_tcp_params params;
	enum nvtcp_tcp_role role;
	uint32_t max_data_len;
	nvtcp_tcp_rx_header_fn header_cb;
	nvtcp_tcp_rx_payload_fn payload_cb;
	void *cb_ctx;
	struct nvtcp_tcp_rx_stats stats;
	char name[32];
};

/**
 * Fill \p opts with defaults: host role, NVTCP_TCP_RX_MAX_DATA_DEFAULT, no callbacks.
 *
 * \param opts Options.
 */
void nvtcp_tcp_rx_opts_init(struct nvtcp_tcp_rx_opts *opts);

/**
 * Initialise a receiver, with the pre-IC parameters (nvtcp_tcp_params_init()).
 *
 * \param rx Receiver.
 * \param opts Options (both callbacks required).
 * \return 0, or -EINVAL.
 */
int nvtcp_tcp_rx_init(struct nvtcp_tcp_rx *rx, const struct nvtcp_tcp_rx_opts *opts);

/**
 * Install the negotiated parameters (typically from the header callback of the IC PDU, so that
 * they apply from the next PDU on).
 *
 * \param rx Receiver.
 * \param params Parameters.
 * \return 0, or -EINVAL (see nvtcp_tcp_params_check()).
 */
int nvtcp_tcp_rx_set_params(struct nvtcp_tcp_rx *rx, const struct nvtcp_tcp_params *params);

/**
 * Forget the current PDU and any error and start over at a PDU boundary with the pre-IC
 * parameters (for a new connection). Options and counters are kept.
 *
 * \param rx Receiver.
 */
void nvtcp_tcp_rx_reset(struct nvtcp_tcp_rx *rx);

/**
 * Consume buffered bytes: as many whole or partial PDUs as \p rb holds, copying data bytes that
 * are in the buffer into their destination (the only copy), and calling the callbacks.
 *
 * \param rx Receiver.
 * \param rb Receive buffer: bytes [head, tail) are consumed by advancing head. May be NULL
 *        (only moves on after nvtcp_tcp_rx_direct_done()).
 * \return 0 when everything available was consumed (more bytes are needed);
 *         NVTCP_TCP_RX_STOP or a callback's negative value as returned by the callback;
 *         NVTCP_TCP_RX_WAIT when a data destination is awaited;
 *         -EPROTO after a fatal error (state ERROR; nvtcp_tcp_rx_error() says what to put in a
 *         TermReq; see nvtcp_tcp_pdu_term_req_from_rx()).
 */
int nvtcp_tcp_rx_process(struct nvtcp_tcp_rx *rx, struct nvtcp_sock_rxbuf *rb);

/**
 * The rest of the current PDU's data, as iovecs of its destination, for reading straight into
 * it (pass them to nvtcp_sock_recv_rxbuf()). Only meaningful right after nvtcp_tcp_rx_process()
 * returned 0, i.e. with the rxbuf empty.
 *
 * \param rx Receiver.
 * \param iov Filled with up to \p max iovecs.
 * \param max Capacity of \p iov.
 * \return Number of iovecs (0 when the next bytes are not data with a known destination).
 */
int nvtcp_tcp_rx_direct_iov(const struct nvtcp_tcp_rx *rx, struct iovec *iov, int max);

/**
 * Account for \p n bytes that landed in the iovecs of nvtcp_tcp_rx_direct_iov(). Call
 * nvtcp_tcp_rx_process() afterwards: it completes the PDU when its data is in.
 *
 * \param rx Receiver.
 * \param n Bytes received directly (0 is allowed).
 * \return 0, or -EINVAL when \p n exceeds what nvtcp_tcp_rx_direct_iov() offered.
 */
int nvtcp_tcp_rx_direct_done(struct nvtcp_tcp_rx *rx, size_t n);

/**
 * Set the destination of the current PDU's data. The iovecs are copied (not the data); their
 * lengths must add up to nvtcp_tcp_rx_data_len() exactly. Empty entries are skipped.
 *
 * \param rx Receiver.
 * \param iov Destination.
 * \param iovcnt Entries.
 * \return 0; -EINVAL (no data awaits a destination, or the lengths do not add up); -E2BIG (more
 *         than NVTCP_TCP_PDU_MAX_DATA_IOV non-empty entries).
 */
int nvtcp_tcp_rx_set_payload(struct nvtcp_tcp_rx *rx, const struct iovec *iov, int iovcnt);

/**
 * Set the destination of the current PDU's data to bytes [offset, offset + data length) of an
 * iovec list (e.g. a command's buffer and the PDU's DATAO).
 *
 * \param rx Receiver.
 * \param iov Buffer.
 * \param iovcnt Entries.
 * \param offset Byte offset into the buffer.
 * \return 0; -EINVAL (no data awaits a destination, or the range exceeds the buffer); -E2BIG.
 */
int nvtcp_tcp_rx_set_payload_at(struct nvtcp_tcp_rx *rx, const struct iovec *iov, int iovcnt,
				size_t offset);

/**
 * Drop the current PDU's data (it is still read, and its digest checked); payload() is still
 * called when it has passed, with nvtcp_tcp_rx_discarding() true.
 *
 * \param rx Receiver.
 * \return 0, or -EINVAL when no data awaits a destination.
 */
int nvtcp_tcp_rx_discard_payload(struct nvtcp_tcp_rx *rx);

/**
 * Record a fatal protocol error found by the owner (e.g. a PDU out of sequence, an unknown
 * CID): the state becomes ERROR and nothing more is consumed. Does not log: the caller logs the
 * reason with its context.
 *
 * \param rx Receiver.
 * \param fes Fatal error status.
 * \param fei Fatal error information (byte offset of the field for FES 0x01 / 0x06).
 * \return -EPROTO, for "return nvtcp_tcp_rx_fail(...);" in a callback.
 */
int nvtcp_tcp_rx_fail(struct nvtcp_tcp_rx *rx, uint16_t fes, uint32_t fei);

/** Current state. */
static inline enum nvtcp_tcp_rx_state
nvtcp_tcp_rx_state(const struct nvtcp_tcp_rx *rx)
{
	return rx->state;
}

/** Header of the current (or last delivered) PDU. */
static inline const union nvtcp_tcp_pdu_hdr *
nvtcp_tcp_rx_hdr(const struct nvtcp_tcp_rx *rx)
{
	return &rx->h.hdr;
}

/** PDU type of the current PDU. */
static inline uint8_t
nvtcp_tcp_rx_pdu_type(const struct nvtcp_tcp_rx *rx)
{
	return rx->h.hdr.ch.pdu_type;
}

/** Data bytes of the current PDU (0 for PDUs without data). */
static inline uint32_t
nvtcp_tcp_rx_data_len(const struct nvtcp_tcp_rx *rx)
{
	return rx->data_len;
}

/** Whether the current PDU's data is being discarded. */
static inline bool
nvtcp_tcp_rx_discarding(const struct nvtcp_tcp_rx *rx)
{
	return rx->dest == NVTCP_TCP_RX_DEST_DISCARD;
}

/**
 * Error data of a received TermReq: the copy of the PDU header that the peer rejected.
 *
 * \param rx Receiver (in the header callback of a TermReq).
 * \param len Set to its length (0..128).
 * \return The bytes.
 */
static inline const uint8_t *
nvtcp_tcp_rx_term_data(const struct nvtcp_tcp_rx *rx, uint32_t *len)
{
	*len = rx->hdr_end > NVTCP_TCP_TERM_REQ_HLEN ? rx->hdr_end - NVTCP_TCP_TERM_REQ_HLEN : 0;
	return rx->h.raw + NVTCP_TCP_TERM_REQ_HLEN;
}

/**
 * The fatal error (state ERROR), for the TermReq to send.
 *
 * \param rx Receiver.
 * \return The error (fes 0 when there is none).
 */
static inline const struct nvtcp_tcp_error *
nvtcp_tcp_rx_error(const struct nvtcp_tcp_rx *rx)
{
	return &rx->err;
}

/**
 * What a framing error found by the receiver itself broke, as it was logged (for example
 * "C2HData SUCCESS without LAST_PDU (flags 0x08)"), so an owner can name it in its own error.
 *
 * \param rx Receiver.
 * \return The message; "" when the error came from the owner (nvtcp_tcp_rx_fail()) or none.
 */
static inline const char *
nvtcp_tcp_rx_error_msg(const struct nvtcp_tcp_rx *rx)
{
	return rx->err_msg;
}

/** Negotiated parameters in force. */
static inline const struct nvtcp_tcp_params *
nvtcp_tcp_rx_params(const struct nvtcp_tcp_rx *rx)
{
	return &rx->params;
}

/** Counters. */
static inline const struct nvtcp_tcp_rx_stats *
nvtcp_tcp_rx_stats(const struct nvtcp_tcp_rx *rx)
{
	return &rx->stats;
}

/* ============================================================================================
 * Send
 * ========================================================================================= */

/** iovecs of a PDU: header area, data, data digest. */
#define NVTCP_TCP_TX_IOV_MAX (NVTCP_TCP_PDU_MAX_DATA_IOV + 2)

/**
 * A PDU to send. The header, header digest and padding are one contiguous area, sent as one
 * iovec. iov and sock_req point into the structure itself: do not copy or move it between
 * nvtcp_tcp_pdu_finish() and the send completion. The owner sets sock_req.cb/cb_arg.
 */
struct nvtcp_tcp_tx_pdu {
	union {
		union nvtcp_tcp_pdu_hdr hdr;                 /**< header, filled by the owner */
		uint8_t raw[NVTCP_TCP_PDU_HDR_AREA_LEN];     /**< header area on the wire */
	};
	uint8_t ddgst[NVTCP_TCP_DIGEST_LEN];
	uint32_t hdr_area_len;  /**< bytes of raw sent: pdo with data, else hlen (+ HDGST) */
	uint32_t data_len;      /**< data bytes */
	int iovcnt;
	struct iovec iov[NVTCP_TCP_TX_IOV_MAX];
	struct nvtcp_sock_request sock_req;
};

/**
 * Start a PDU: zero the header area and set the type (and its hlen). sock_req is left alone.
 *
 * \param pdu PDU.
 * \param type PDU type.
 */
void nvtcp_tcp_pdu_init(struct nvtcp_tcp_tx_pdu *pdu, uint8_t type);

/**
 * Complete a PDU whose type and type-specific fields the owner filled: set hlen; set HDGSTF and
 * DDGSTF as negotiated and applicable (other flags, e.g. LAST_PDU and SUCCESS, are kept); set
 * pdo (aligned to params->tx_pda, with zero padding) when there is data, plen, and DATAL of
 * H2CData/C2HData; compute the header digest and the data digest over \p data_iov; build
 * pdu->iov and pdu->sock_req.iov/iovcnt. Not for TermReqs (nvtcp_tcp_pdu_term_req()).
 *
 * \param pdu PDU.
 * \param params Connection parameters.
 * \param data_iov Data (may be NULL when \p data_iovcnt is 0). Referenced, not copied: keep it
 *        until the send completes.
 * \param data_iovcnt Entries; empty entries are skipped.
 * \return 0; -EINVAL (unknown type or TermReq, data on a type without data, no data on
 *         H2CData/C2HData, bad params); -E2BIG (more than NVTCP_TCP_PDU_MAX_DATA_IOV non-empty
 *         data iovecs); -EMSGSIZE (data too long for plen).
 */
int nvtcp_tcp_pdu_finish(struct nvtcp_tcp_tx_pdu *pdu, const struct nvtcp_tcp_params *params,
			 const struct iovec *data_iov, int data_iovcnt);

/**
 * Build a complete TermReq PDU (no digests, ever).
 *
 * \param pdu PDU.
 * \param type NVTCP_TCP_PDU_H2C_TERM_REQ (host) or NVTCP_TCP_PDU_C2H_TERM_REQ (controller).
 * \param fes Fatal error status.
 * \param fei Fatal error information.
 * \param hdr Offending PDU header (may be NULL when \p hdr_len is 0).
 * \param hdr_len Its length; only the first 128 bytes are copied.
 * \return 0, or -EINVAL (wrong type).
 */
int nvtcp_tcp_pdu_term_req(struct nvtcp_tcp_tx_pdu *pdu, uint8_t type, uint16_t fes, uint32_t fei,
			   const void *hdr, size_t hdr_len);

/**
 * Build the TermReq that answers a receiver's fatal error: its FES, FEI and the offending
 * header bytes, in the direction of the receiver's role.
 *
 * \param pdu PDU.
 * \param rx Receiver in state ERROR.
 * \return 0, or -EINVAL when \p rx holds no error.
 */
int nvtcp_tcp_pdu_term_req_from_rx(struct nvtcp_tcp_tx_pdu *pdu, const struct nvtcp_tcp_rx *rx);

/** Bytes of the PDU on the wire (plen) once finished. */
static inline uint32_t
nvtcp_tcp_pdu_wire_len(const struct nvtcp_tcp_tx_pdu *pdu)
{
	return pdu->hdr.ch.plen;
}

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_TCP_PDU_H */
