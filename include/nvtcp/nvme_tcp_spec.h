/**
 * @file
 * NVMe/TCP transport wire format (NVM Express TCP Transport Specification 1.0): PDU types,
 * flags, Fatal Error Status codes, the common header and every PDU header.
 *
 * Checked against the Linux kernel's include/linux/nvme-tcp.h and SPDK's nvmf_spec.h. Note one
 * trap: the TermReq FEI field is at byte 10 (a packed 32-bit field right after the 16-bit FES),
 * which is why these structures are packed.
 *
 * Framing rules that the structures alone do not say:
 * - hlen excludes the header digest; plen counts header, header digest, padding, data and data
 *   digest; pdo is the offset of the data from the start of the PDU (0 without data).
 * - Header digest (HDGST, 4 bytes right after hlen) and data digest (DDGST, 4 bytes after the
 *   data) are CRC32C, stored little-endian. The data digest covers the data padded with zeros
 *   to a multiple of 4 bytes.
 * - Data of a PDU a host sends starts at a multiple of (CPDA + 1) * 4 bytes from the start of
 *   the PDU, data of a PDU a controller sends at a multiple of (HPDA + 1) * 4; the gap between
 *   the header (and digest) and the data is zero padding.
 */
#ifndef NVTCP_NVME_TCP_SPEC_H
#define NVTCP_NVME_TCP_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvtcp/nvme_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** PDU types. */
enum nvtcp_tcp_pdu_type {
	NVTCP_TCP_PDU_IC_REQ = 0x00,       /**< ICReq, host to controller */
	NVTCP_TCP_PDU_IC_RESP = 0x01,      /**< ICResp, controller to host */
	NVTCP_TCP_PDU_H2C_TERM_REQ = 0x02, /**< H2CTermReq */
	NVTCP_TCP_PDU_C2H_TERM_REQ = 0x03, /**< C2HTermReq */
	NVTCP_TCP_PDU_CAPSULE_CMD = 0x04,  /**< CapsuleCmd, host to controller */
	NVTCP_TCP_PDU_CAPSULE_RESP = 0x05, /**< CapsuleResp, controller to host */
	NVTCP_TCP_PDU_H2C_DATA = 0x06,     /**< H2CData */
	NVTCP_TCP_PDU_C2H_DATA = 0x07,     /**< C2HData */
	NVTCP_TCP_PDU_R2T = 0x09,          /**< R2T, controller to host */
};

/* Common header flags. */
#define NVTCP_TCP_FLAG_HDGSTF 0x01u   /**< header digest present */
#define NVTCP_TCP_FLAG_DDGSTF 0x02u   /**< data digest present */
#define NVTCP_TCP_FLAG_LAST_PDU 0x04u /**< H2CData/C2HData: last data PDU of the transfer */
#define NVTCP_TCP_FLAG_SUCCESS 0x08u  /**< C2HData with LAST_PDU: command done, no CapsuleResp */

/* ICReq/ICResp DGST field bits. */
#define NVTCP_TCP_IC_DGST_HDGST 0x01u
#define NVTCP_TCP_IC_DGST_DDGST 0x02u

/** Fatal Error Status of a TermReq. */
enum nvtcp_tcp_fes {
	NVTCP_TCP_FES_INVALID_HEADER_FIELD = 0x01,   /**< FEI: byte offset of the field */
	NVTCP_TCP_FES_PDU_SEQUENCE_ERROR = 0x02,
	NVTCP_TCP_FES_HDGST_ERROR = 0x03,
	NVTCP_TCP_FES_DATA_OUT_OF_RANGE = 0x04,
	NVTCP_TCP_FES_DATA_LIMIT_EXCEEDED = 0x05,    /**< also: R2T limit exceeded */
	NVTCP_TCP_FES_UNSUPPORTED_PARAMETER = 0x06,  /**< FEI: byte offset of the field */
};
#define NVTCP_TCP_FES_R2T_LIMIT_EXCEEDED NVTCP_TCP_FES_DATA_LIMIT_EXCEEDED

/** PDU format version 1.0. */
#define NVTCP_TCP_PFV_1_0 0
/** Length of a header or data digest. */
#define NVTCP_TCP_DIGEST_LEN 4
/** Length of the common header. */
#define NVTCP_TCP_CH_LEN 8
/** Fixed hlen of each PDU type. */
#define NVTCP_TCP_IC_REQ_HLEN 128
#define NVTCP_TCP_IC_RESP_HLEN 128
#define NVTCP_TCP_TERM_REQ_HLEN 24
#define NVTCP_TCP_CAPSULE_CMD_HLEN 72
#define NVTCP_TCP_CAPSULE_RESP_HLEN 24
#define NVTCP_TCP_H2C_DATA_HLEN 24
#define NVTCP_TCP_C2H_DATA_HLEN 24
#define NVTCP_TCP_R2T_HLEN 24
/** Largest hlen of any PDU type. */
#define NVTCP_TCP_HLEN_MAX 128
/** A TermReq carries at most this many bytes of the offending PDU header. */
#define NVTCP_TCP_TERM_REQ_DATA_MAX 128
/** Largest plen of a TermReq. */
#define NVTCP_TCP_TERM_REQ_PLEN_MAX (NVTCP_TCP_TERM_REQ_HLEN + NVTCP_TCP_TERM_REQ_DATA_MAX)
/** Smallest MAXH2CDATA a controller may announce. */
#define NVTCP_TCP_MAXH2CDATA_MIN 4096
/** Largest HPDA / CPDA (0's based dwords): alignment up to 128 bytes. */
#define NVTCP_TCP_PDA_MAX 31
/** Largest data alignment in bytes. */
#define NVTCP_TCP_PDA_ALIGN_MAX ((NVTCP_TCP_PDA_MAX + 1) * 4)
/** In-capsule data limit for admin and Fabrics commands. */
#define NVTCP_TCP_ADMIN_INCAPSULE_MAX 8192

#pragma pack(push, 1)

/** Common header (8 bytes). */
struct nvtcp_tcp_ch {
	uint8_t pdu_type; /**< enum nvtcp_tcp_pdu_type */
	uint8_t flags;    /**< NVTCP_TCP_FLAG_* */
	uint8_t hlen;     /**< header length, without the header digest */
	uint8_t pdo;      /**< PDU data offset, 0 without data */
	uint32_t plen;    /**< PDU length: everything */
};
NVTCP_SPEC_SIZE(struct nvtcp_tcp_ch, 8);
NVTCP_SPEC_OFF(struct nvtcp_tcp_ch, pdu_type, 0);
NVTCP_SPEC_OFF(struct nvtcp_tcp_ch, flags, 1);
NVTCP_SPEC_OFF(struct nvtcp_tcp_ch, hlen, 2);
NVTCP_SPEC_OFF(struct nvtcp_tcp_ch, pdo, 3);
NVTCP_SPEC_OFF(struct nvtcp_tcp_ch, plen, 4);

/** ICReq (128 bytes). */
struct nvtcp_tcp_icreq {
	struct nvtcp_tcp_ch ch;
	uint16_t pfv;     /**< PDU format version, 0 */
	uint8_t hpda;     /**< host PDU data alignment, 0's based dwords, 0..31 */
	uint8_t dgst;     /**< NVTCP_TCP_IC_DGST_*: digests requested */
	uint32_t maxr2t;  /**< max outstanding R2Ts per command, 0's based */
	uint8_t reserved16[112];
};
NVTCP_SPEC_SIZE(struct nvtcp_tcp_icreq, 128);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icreq, ch, 0);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icreq, pfv, 8);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icreq, hpda, 10);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icreq, dgst, 11);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icreq, maxr2t, 12);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icreq, reserved16, 16);

/** ICResp (128 bytes). */
struct nvtcp_tcp_icresp {
	struct nvtcp_tcp_ch ch;
	uint16_t pfv;        /**< PDU format version, 0 */
	uint8_t cpda;        /**< controller PDU data alignment, 0's based dwords, 0..31 */
	uint8_t dgst;        /**< NVTCP_TCP_IC_DGST_*: digests enabled */
	uint32_t maxh2cdata; /**< max data bytes in one H2CData PDU; >= 4096, multiple of 4 */
	uint8_t reserved16[112];
};
NVTCP_SPEC_SIZE(struct nvtcp_tcp_icresp, 128);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icresp, ch, 0);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icresp, pfv, 8);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icresp, cpda, 10);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icresp, dgst, 11);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icresp, maxh2cdata, 12);
NVTCP_SPEC_OFF(struct nvtcp_tcp_icresp, reserved16, 16);

/**
 * H2CTermReq and C2HTermReq header (24 bytes); plen - 24 bytes (at most 128) of the offending
 * PDU header follow.
 */
struct nvtcp_tcp_term_req {
	struct nvtcp_tcp_ch ch;
	uint16_t fes;     /**< enum nvtcp_tcp_fes */
	uint32_t fei;     /**< fatal error information, e.g. the byte offset of a bad field */
	uint8_t reserved14[10];
};
NVTCP_SPEC_SIZE(struct nvtcp_tcp_term_req, 24);
NVTCP_SPEC_OFF(struct nvtcp_tcp_term_req, ch, 0);
NVTCP_SPEC_OFF(struct nvtcp_tcp_term_req, fes, 8);
NVTCP_SPEC_OFF(struct nvtcp_tcp_term_req, fei, 10);
NVTCP_SPEC_OFF(struct nvtcp_tcp_term_req, reserved14, 14);

/** CapsuleCmd header (72 bytes); in-capsule data, if any, starts at pdo. */
struct nvtcp_tcp_cmd {
	struct nvtcp_tcp_ch ch;
	struct nvtcp_nvme_cmd ccsqe;
};
NVTCP_SPEC_SIZE(struct nvtcp_tcp_cmd, 72);
NVTCP_SPEC_OFF(struct nvtcp_tcp_cmd, ch, 0);
NVTCP_SPEC_OFF(struct nvtcp_tcp_cmd, ccsqe, 8);

/** CapsuleResp (24 bytes). */
struct nvtcp_tcp_rsp {
	struct nvtcp_tcp_ch ch;
	struct nvtcp_nvme_cpl rccqe;
};
NVTCP_SPEC_SIZE(struct nvtcp_tcp_rsp, 24);
NVTCP_SPEC_OFF(struct nvtcp_tcp_rsp, ch, 0);
NVTCP_SPEC_OFF(struct nvtcp_tcp_rsp, rccqe, 8);

/** H2CData header (24 bytes). */
struct nvtcp_tcp_h2c_data {
	struct nvtcp_tcp_ch ch;
	uint16_t cccid;   /**< command capsule CID */
	uint16_t ttag;    /**< transfer tag, from the R2T */
	uint32_t datao;   /**< offset of this data in the command's data */
	uint32_t datal;   /**< data bytes in this PDU (<= MAXH2CDATA) */
	uint8_t reserved20[4];
};
NVTCP_SPEC_SIZE(struct nvtcp_tcp_h2c_data, 24);
NVTCP_SPEC_OFF(struct nvtcp_tcp_h2c_data, ch, 0);
NVTCP_SPEC_OFF(struct nvtcp_tcp_h2c_data, cccid, 8);
NVTCP_SPEC_OFF(struct nvtcp_tcp_h2c_data, ttag, 10);
NVTCP_SPEC_OFF(struct nvtcp_tcp_h2c_data, datao, 12);
NVTCP_SPEC_OFF(struct nvtcp_tcp_h2c_data, datal, 16);
NVTCP_SPEC_OFF(struct nvtcp_tcp_h2c_data, reserved20, 20);

/** C2HData header (24 bytes). */
struct nvtcp_tcp_c2h_data {
	struct nvtcp_tcp_ch ch;
	uint16_t cccid;   /**< command capsule CID */
	uint16_t reserved10;
	uint32_t datao;   /**< offset of this data in the command's data */
	uint32_t datal;   /**< data bytes in this PDU */
	uint8_t reserved20[4];
};
NVTCP_SPEC_SIZE(struct nvtcp_tcp_c2h_data, 24);
NVTCP_SPEC_OFF(struct nvtcp_tcp_c2h_data, ch, 0);
NVTCP_SPEC_OFF(struct nvtcp_tcp_c2h_data, cccid, 8);
NVTCP_SPEC_OFF(struct nvtcp_tcp_c2h_data, reserved10, 10);
NVTCP_SPEC_OFF(struct nvtcp_tcp_c2h_data, datao, 12);
NVTCP_SPEC_OFF(struct nvtcp_tcp_c2h_data, datal, 16);
NVTCP_SPEC_OFF(struct nvtcp_tcp_c2h_data, reserved20, 20);

/** R2T (24 bytes). */
struct nvtcp_tcp_r2t {
	struct nvtcp_tcp_ch ch;
	uint16_t cccid;   /**< command capsule CID */
	uint16_t ttag;    /**< transfer tag, chosen by the controller */
	uint32_t r2to;    /**< offset of the requested data */
	uint32_t r2tl;    /**< length of the requested data */
	uint8_t reserved20[4];
};
NVTCP_SPEC_SIZE(struct nvtcp_tcp_r2t, 24);
NVTCP_SPEC_OFF(struct nvtcp_tcp_r2t, ch, 0);
NVTCP_SPEC_OFF(struct nvtcp_tcp_r2t, cccid, 8);
NVTCP_SPEC_OFF(struct nvtcp_tcp_r2t, ttag, 10);
NVTCP_SPEC_OFF(struct nvtcp_tcp_r2t, r2to, 12);
NVTCP_SPEC_OFF(struct nvtcp_tcp_r2t, r2tl, 16);
NVTCP_SPEC_OFF(struct nvtcp_tcp_r2t, reserved20, 20);

/** Any PDU header, as the bytes on the wire. */
union nvtcp_tcp_pdu_hdr {
	struct nvtcp_tcp_ch ch;
	struct nvtcp_tcp_icreq icreq;
	struct nvtcp_tcp_icresp icresp;
	struct nvtcp_tcp_term_req term_req;
	struct nvtcp_tcp_cmd cmd;
	struct nvtcp_tcp_rsp rsp;
	struct nvtcp_tcp_h2c_data h2c_data;
	struct nvtcp_tcp_c2h_data c2h_data;
	struct nvtcp_tcp_r2t r2t;
	uint8_t raw[NVTCP_TCP_HLEN_MAX];
};
NVTCP_SPEC_SIZE(union nvtcp_tcp_pdu_hdr, NVTCP_TCP_HLEN_MAX);

#pragma pack(pop)

/** Whether \p type is a defined PDU type. */
static inline bool
nvtcp_tcp_pdu_type_valid(uint8_t type)
{
	return type <= NVTCP_TCP_PDU_C2H_DATA || type == NVTCP_TCP_PDU_R2T;
}

/** Fixed hlen of a PDU type, or 0 for an unknown type. */
static inline uint8_t
nvtcp_tcp_pdu_hlen(uint8_t type)
{
	switch (type) {
	case NVTCP_TCP_PDU_IC_REQ: return NVTCP_TCP_IC_REQ_HLEN;
	case NVTCP_TCP_PDU_IC_RESP: return NVTCP_TCP_IC_RESP_HLEN;
	case NVTCP_TCP_PDU_H2C_TERM_REQ:
	case NVTCP_TCP_PDU_C2H_TERM_REQ: return NVTCP_TCP_TERM_REQ_HLEN;
	case NVTCP_TCP_PDU_CAPSULE_CMD: return NVTCP_TCP_CAPSULE_CMD_HLEN;
	case NVTCP_TCP_PDU_CAPSULE_RESP: return NVTCP_TCP_CAPSULE_RESP_HLEN;
	case NVTCP_TCP_PDU_H2C_DATA: return NVTCP_TCP_H2C_DATA_HLEN;
	case NVTCP_TCP_PDU_C2H_DATA: return NVTCP_TCP_C2H_DATA_HLEN;
	case NVTCP_TCP_PDU_R2T: return NVTCP_TCP_R2T_HLEN;
	default: return 0;
	}
}

/** Whether a PDU of this type carries a header digest when header digests are enabled. */
static inline bool
nvtcp_tcp_pdu_may_hdgst(uint8_t type)
{
	switch (type) {
	case NVTCP_TCP_PDU_CAPSULE_CMD:
	case NVTCP_TCP_PDU_CAPSULE_RESP:
	case NVTCP_TCP_PDU_H2C_DATA:
	case NVTCP_TCP_PDU_C2H_DATA:
	case NVTCP_TCP_PDU_R2T:
		return true;
	default:
		return false; /* IC and TermReq PDUs never carry digests */
	}
}

/**
 * Whether a PDU of this type may carry data (at pdo, with a data digest when data digests are
 * enabled). CapsuleCmd may or may not; H2CData and C2HData always do.
 */
static inline bool
nvtcp_tcp_pdu_may_data(uint8_t type)
{
	return type == NVTCP_TCP_PDU_CAPSULE_CMD || type == NVTCP_TCP_PDU_H2C_DATA ||
	       type == NVTCP_TCP_PDU_C2H_DATA;
}

/** Whether a PDU of this type must carry data (H2CData, C2HData). */
static inline bool
nvtcp_tcp_pdu_needs_data(uint8_t type)
{
	return type == NVTCP_TCP_PDU_H2C_DATA || type == NVTCP_TCP_PDU_C2H_DATA;
}

/** Whether a valid PDU type is sent by the host (else by the controller). */
static inline bool
nvtcp_tcp_pdu_from_host(uint8_t type)
{
	return type == NVTCP_TCP_PDU_IC_REQ || type == NVTCP_TCP_PDU_H2C_TERM_REQ ||
	       type == NVTCP_TCP_PDU_CAPSULE_CMD || type == NVTCP_TCP_PDU_H2C_DATA;
}

/** Data alignment in bytes of a 0's based dword PDA value (HPDA or CPDA). */
static inline uint32_t
nvtcp_tcp_pda_to_align(uint8_t pda)
{
	return ((uint32_t)pda + 1) * 4;
}

/** Name of a PDU type. */
static inline const char *
nvtcp_tcp_pdu_type_str(uint8_t type)
{
	switch (type) {
	case NVTCP_TCP_PDU_IC_REQ: return "ICReq";
	case NVTCP_TCP_PDU_IC_RESP: return "ICResp";
	case NVTCP_TCP_PDU_H2C_TERM_REQ: return "H2CTermReq";
	case NVTCP_TCP_PDU_C2H_TERM_REQ: return "C2HTermReq";
	case NVTCP_TCP_PDU_CAPSULE_CMD: return "CapsuleCmd";
	case NVTCP_TCP_PDU_CAPSULE_RESP: return "CapsuleResp";
	case NVTCP_TCP_PDU_H2C_DATA: return "H2CData";
	case NVTCP_TCP_PDU_C2H_DATA: return "C2HData";
	case NVTCP_TCP_PDU_R2T: return "R2T";
	default: return "unknown PDU";
	}
}

/** Name of a Fatal Error Status. */
static inline const char *
nvtcp_tcp_fes_str(uint16_t fes)
{
	switch (fes) {
	case NVTCP_TCP_FES_INVALID_HEADER_FIELD: return "Invalid PDU Header Field";
	case NVTCP_TCP_FES_PDU_SEQUENCE_ERROR: return "PDU Sequence Error";
	case NVTCP_TCP_FES_HDGST_ERROR: return "Header Digest Error";
	case NVTCP_TCP_FES_DATA_OUT_OF_RANGE: return "Data Transfer Out of Range";
	case NVTCP_TCP_FES_DATA_LIMIT_EXCEEDED: return "Data Transfer Limit Exceeded";
	case NVTCP_TCP_FES_UNSUPPORTED_PARAMETER: return "Unsupported Parameter";
	default: return "Unknown Fatal Error Status";
	}
}

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_NVME_TCP_SPEC_H */
