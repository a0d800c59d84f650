/**
 * @file
 * NVMe over Fabrics wire format: Fabrics commands (Connect, Property Get/Set, Disconnect,
 * Authentication), Connect data and responses, Fabrics status codes, NQN limits and the
 * Discovery log page.
 *
 * Part of nvtcp/nvme_spec.h (which includes it); the same rules apply: packed little-endian
 * overlays, every size and offset checked at compile time, only static inline helpers.
 */
#ifndef NVTCP_NVMF_SPEC_H
#define NVTCP_NVMF_SPEC_H

#include "nvtcp/nvme_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma pack(push, 1)

/* ============================================================================================
 * NVMe over Fabrics
 * ========================================================================================= */

/** Fabrics command types (FCTYPE, byte 4 of a Fabrics command). */
enum nvtcp_nvmf_fctype {
	NVTCP_NVMF_FCTYPE_PROPERTY_SET = 0x00,
	NVTCP_NVMF_FCTYPE_CONNECT = 0x01,
	NVTCP_NVMF_FCTYPE_PROPERTY_GET = 0x04,
	NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND = 0x05,
	NVTCP_NVMF_FCTYPE_AUTHENTICATION_RECV = 0x06,
	NVTCP_NVMF_FCTYPE_DISCONNECT = 0x08,
};

/** Fabrics command status codes (SCT 1, for Fabrics commands). */
enum nvtcp_nvmf_sc {
	NVTCP_NVMF_SC_INCOMPATIBLE_FORMAT = 0x80,
	NVTCP_NVMF_SC_CONTROLLER_BUSY = 0x81,
	NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS = 0x82,
	NVTCP_NVMF_SC_CONNECT_RESTART_DISCOVERY = 0x83,
	NVTCP_NVMF_SC_CONNECT_INVALID_HOST = 0x84,
	NVTCP_NVMF_SC_INVALID_QUEUE_TYPE = 0x85,
	NVTCP_NVMF_SC_DISCOVER_RESTART = 0x90,
	NVTCP_NVMF_SC_AUTH_REQUIRED = 0x91,
};

/** Maximum NQN length in characters (without the NUL). */
#define NVTCP_NVMF_NQN_MAX_LEN 223
/** Width of an NQN field in Connect data, Identify and the Discovery log. */
#define NVTCP_NVMF_NQN_FIELD_LEN 256
/** Well-known NQN of discovery controllers. */
#define NVTCP_NVMF_DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"
/** Prefix of UUID-based NQNs. */
#define NVTCP_NVMF_NQN_UUID_PREFIX "nqn.2014-08.org.nvmexpress:uuid:"
/** Well-known TCP port of I/O controllers. */
#define NVTCP_NVMF_PORT_IO 4420
/** Well-known TCP port of discovery controllers. */
#define NVTCP_NVMF_PORT_DISCOVERY 8009
/** Dynamic controller ID (admin Connect of the dynamic controller model). */
#define NVTCP_NVMF_CNTLID_DYNAMIC 0xFFFF
/** Valid static controller IDs are 1..0xFFEF. */
#define NVTCP_NVMF_CNTLID_MAX 0xFFEF
/** Minimum admin queue size a fabrics controller supports. */
#define NVTCP_NVMF_ADMIN_QUEUE_MIN_SIZE 32

/** Generic Fabrics command (64 bytes). */
struct nvtcp_nvmf_cmd {
	uint8_t opc;      /**< 0x7F */
	uint8_t reserved1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t reserved5[35];
	uint8_t specific[24];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvmf_cmd, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_cmd, opc, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_cmd, cid, 2);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_cmd, fctype, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_cmd, specific, 40);

/** Connect command (64 bytes); 1024 bytes of struct nvtcp_nvmf_connect_data in capsule. */
struct nvtcp_nvmf_connect_cmd {
	uint8_t opc;
	uint8_t flags;    /**< PSDT: NVTCP_NVME_CMD_FLAGS_PSDT_SGL */
	uint16_t cid;
	uint8_t fctype;   /**< NVTCP_NVMF_FCTYPE_CONNECT */
	uint8_t reserved5[19];
	struct nvtcp_nvme_sgl_desc sgl1;
	uint16_t recfmt;  /**< record format, 0 */
	uint16_t qid;     /**< 0 admin, 1..N I/O */
	uint16_t sqsize;  /**< 0's based queue size */
	uint8_t cattr;    /**< NVTCP_NVMF_CONNECT_CATTR_* */
	uint8_t reserved47;
	uint32_t kato;    /**< keep alive timeout, ms (admin queue) */
	uint8_t reserved52[12];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvmf_connect_cmd, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, opc, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, flags, 1);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, cid, 2);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, fctype, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, sgl1, 24);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, recfmt, 40);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, qid, 42);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, sqsize, 44);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, cattr, 46);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, kato, 48);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_cmd, reserved52, 52);

/** Connect CATTR bits. */
#define NVTCP_NVMF_CONNECT_CATTR_PRIORITY_MASK 0x3u
#define NVTCP_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW_CONTROL (1u << 2)

/** Connect data (1024 bytes, in capsule). NQNs are NUL padded. */
struct nvtcp_nvmf_connect_data {
	uint8_t hostid[16];
	uint16_t cntlid;  /**< 0xFFFF on the admin queue (dynamic); the admin's cntlid on I/O queues */
	uint8_t reserved18[238];
	char subnqn[NVTCP_NVMF_NQN_FIELD_LEN];
	char hostnqn[NVTCP_NVMF_NQN_FIELD_LEN];
	uint8_t reserved768[256];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvmf_connect_data, 1024);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_data, hostid, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_data, cntlid, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_data, subnqn, 256);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_data, hostnqn, 512);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_connect_data, reserved768, 768);

/* Connect response, success: cdw0 CNTLID [15:0], AUTHREQ [31:16]. */
#define NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR (1u << 17)  /**< authentication transaction required */
#define NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ASCR (1u << 18) /**< secure channel concatenation required */

static inline uint16_t nvtcp_nvmf_connect_rsp_cntlid(uint32_t cdw0) { return cdw0 & 0xFFFF; }
static inline uint16_t nvtcp_nvmf_connect_rsp_authreq(uint32_t cdw0) { return cdw0 >> 16; }

/* Connect response, Invalid Parameters (SC 0x82): cdw0 IPO [15:0] (byte offset of the bad
 * field), IATTR [23:16] (bit 0 set: the offset is in the Connect data, clear: in the SQE). */
#define NVTCP_NVMF_CONNECT_RSP_IATTR_DATA 1u

/** cdw0 of an Invalid Parameters Connect response. */
static inline uint32_t
nvtcp_nvmf_connect_rsp_invalid(bool in_data, uint16_t offset)
{
	return (uint32_t)offset | ((in_data ? NVTCP_NVMF_CONNECT_RSP_IATTR_DATA : 0u) << 16);
}

static inline uint16_t nvtcp_nvmf_connect_rsp_ipo(uint32_t cdw0) { return cdw0 & 0xFFFF; }
static inline uint8_t nvtcp_nvmf_connect_rsp_iattr(uint32_t cdw0) { return (cdw0 >> 16) & 0xFF; }

/* Property Get/Set ATTRIB bits 2:0: the property size. */
#define NVTCP_NVMF_PROP_SIZE_4 0u
#define NVTCP_NVMF_PROP_SIZE_8 1u

/** Property Get command (64 bytes). The value returns in cdw0 (and cdw1 for 8 bytes). */
struct nvtcp_nvmf_prop_get_cmd {
	uint8_t opc;
	uint8_t flags;
	uint16_t cid;
	uint8_t fctype;   /**< NVTCP_NVMF_FCTYPE_PROPERTY_GET */
	uint8_t reserved5[35];
	uint8_t attrib;   /**< NVTCP_NVMF_PROP_SIZE_* */
	uint8_t reserved41[3];
	uint32_t ofst;    /**< property offset, NVTCP_NVME_PROP_* */
	uint8_t reserved48[16];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvmf_prop_get_cmd, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_prop_get_cmd, fctype, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_prop_get_cmd, attrib, 40);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_prop_get_cmd, ofst, 44);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_prop_get_cmd, reserved48, 48);

/** Property Set command (64 bytes). */
struct nvtcp_nvmf_prop_set_cmd {
	uint8_t opc;
	uint8_t flags;
	uint16_t cid;
	uint8_t fctype;   /**< NVTCP_NVMF_FCTYPE_PROPERTY_SET */
	uint8_t reserved5[35];
	uint8_t attrib;   /**< NVTCP_NVMF_PROP_SIZE_* */
	uint8_t reserved41[3];
	uint32_t ofst;
	uint64_t value;
	uint8_t reserved56[8];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvmf_prop_set_cmd, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_prop_set_cmd, fctype, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_prop_set_cmd, attrib, 40);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_prop_set_cmd, ofst, 44);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_prop_set_cmd, value, 48);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_prop_set_cmd, reserved56, 56);

/** Disconnect command (64 bytes): deletes the I/O queue it is sent on. */
struct nvtcp_nvmf_disconnect_cmd {
	uint8_t opc;
	uint8_t flags;
	uint16_t cid;
	uint8_t fctype;   /**< NVTCP_NVMF_FCTYPE_DISCONNECT */
	uint8_t reserved5[35];
	uint16_t recfmt;  /**< record format, 0 */
	uint8_t reserved42[22];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvmf_disconnect_cmd, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disconnect_cmd, fctype, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disconnect_cmd, recfmt, 40);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disconnect_cmd, reserved42, 42);

/** Authentication Send / Receive command (64 bytes). */
struct nvtcp_nvmf_auth_cmd {
	uint8_t opc;
	uint8_t flags;
	uint16_t cid;
	uint8_t fctype;   /**< NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND or _RECV */
	uint8_t reserved5[19];
	struct nvtcp_nvme_sgl_desc sgl1;
	uint8_t reserved40;
	uint8_t spsp0;
	uint8_t spsp1;
	uint8_t secp;     /**< security protocol, 0xE9 for DH-HMAC-CHAP */
	uint32_t len;     /**< transfer length (Send) / allocation length (Receive) */
	uint8_t reserved48[16];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvmf_auth_cmd, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_auth_cmd, fctype, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_auth_cmd, sgl1, 24);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_auth_cmd, spsp0, 41);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_auth_cmd, spsp1, 42);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_auth_cmd, secp, 43);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_auth_cmd, len, 44);

/** FCTYPE of a Fabrics command (byte 4 of the SQE). */
static inline uint8_t
nvtcp_nvmf_cmd_fctype(const struct nvtcp_nvme_cmd *cmd)
{
	/* Byte access: the SQE and the Fabrics overlay share storage but not a type. */
	return ((const uint8_t *)cmd)[offsetof(struct nvtcp_nvmf_cmd, fctype)];
}

/**
 * Data direction of any command: bits 1:0 of the opcode, or of FCTYPE for Fabrics commands.
 */
static inline enum nvtcp_nvme_data_xfer
nvtcp_nvme_cmd_data_xfer(const struct nvtcp_nvme_cmd *cmd)
{
	if (cmd->opc == NVTCP_NVME_OPC_FABRICS) {
		return (enum nvtcp_nvme_data_xfer)(nvtcp_nvmf_cmd_fctype(cmd) & 0x3);
	}
	return nvtcp_nvme_opc_data_xfer(cmd->opc);
}

/* ---- Discovery log page (Get Log Page LID 0x70) ---- */

/** Transport types (TRTYPE). */
enum nvtcp_nvmf_trtype {
	NVTCP_NVMF_TRTYPE_RDMA = 1,
	NVTCP_NVMF_TRTYPE_FC = 2,
	NVTCP_NVMF_TRTYPE_TCP = 3,
	NVTCP_NVMF_TRTYPE_LOOP = 254,
};

/** Address families (ADRFAM). */
enum nvtcp_nvmf_adrfam {
	NVTCP_NVMF_ADRFAM_PCI = 0,
	NVTCP_NVMF_ADRFAM_IPV4 = 1,
	NVTCP_NVMF_ADRFAM_IPV6 = 2,
	NVTCP_NVMF_ADRFAM_IB = 3,
	NVTCP_NVMF_ADRFAM_FC = 4,
	NVTCP_NVMF_ADRFAM_LOOP = 254,
};

/** Subsystem types (SUBTYPE). */
enum nvtcp_nvmf_subtype {
	NVTCP_NVMF_SUBTYPE_DISCOVERY_REFERRAL = 1,
	NVTCP_NVMF_SUBTYPE_NVME = 2,
	NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT = 3,
};

/* TREQ: secure channel requirement [1:0], SQ flow control disable supported [2]. */
#define NVTCP_NVMF_TREQ_SECURE_CHANNEL_MASK 0x3u
#define NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_SPECIFIED 0x0u
#define NVTCP_NVMF_TREQ_SECURE_CHANNEL_REQUIRED 0x1u
#define NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED 0x2u
#define NVTCP_NVMF_TREQ_DISABLE_SQ_FLOW_CONTROL (1u << 2)

/* EFLAGS bits. */
#define NVTCP_NVMF_EFLAGS_DUPRETINFO (1u << 0) /**< duplicate returned information */
#define NVTCP_NVMF_EFLAGS_EPCSD (1u << 1)      /**< explicit persistent connection support */
#define NVTCP_NVMF_EFLAGS_NCC (1u << 2)        /**< no CDC connectivity */

/** TCP security types (TSAS.tcp.sectype). */
enum nvtcp_nvmf_tcp_sectype {
	NVTCP_NVMF_TCP_SECTYPE_NONE = 0,
	NVTCP_NVMF_TCP_SECTYPE_TLS12 = 1,
	NVTCP_NVMF_TCP_SECTYPE_TLS13 = 2,
};

#define NVTCP_NVMF_TRSVCID_LEN 32
#define NVTCP_NVMF_TRADDR_LEN 256
#define NVTCP_NVMF_TSAS_LEN 256

/** Discovery log page header (1024 bytes); entries follow from byte 1024. */
struct nvtcp_nvmf_disc_log_hdr {
	uint64_t genctr;  /**< generation counter: re-read when it changes */
	uint64_t numrec;  /**< number of records */
	uint16_t recfmt;  /**< record format, 0 */
	uint8_t reserved18[1006];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvmf_disc_log_hdr, 1024);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_hdr, genctr, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_hdr, numrec, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_hdr, recfmt, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_hdr, reserved18, 18);

/** Discovery log page entry (1024 bytes). Strings are space or NUL padded ASCII. */
struct nvtcp_nvmf_disc_log_entry {
	uint8_t trtype;   /**< NVTCP_NVMF_TRTYPE_* */
	uint8_t adrfam;   /**< NVTCP_NVMF_ADRFAM_* */
	uint8_t subtype;  /**< NVTCP_NVMF_SUBTYPE_* */
	uint8_t treq;     /**< NVTCP_NVMF_TREQ_* */
	uint16_t portid;
	uint16_t cntlid;
	uint16_t asqsz;   /**< admin max SQ size */
	uint16_t eflags;  /**< NVTCP_NVMF_EFLAGS_* */
	uint8_t reserved12[20];
	char trsvcid[NVTCP_NVMF_TRSVCID_LEN];
	uint8_t reserved64[192];
	char subnqn[NVTCP_NVMF_NQN_FIELD_LEN];
	char traddr[NVTCP_NVMF_TRADDR_LEN];
	union {
		uint8_t raw[NVTCP_NVMF_TSAS_LEN];
		struct {
			uint8_t sectype; /**< NVTCP_NVMF_TCP_SECTYPE_* */
			uint8_t reserved[255];
		} tcp;
	} tsas;
};
NVTCP_SPEC_SIZE(struct nvtcp_nvmf_disc_log_entry, 1024);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, trtype, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, adrfam, 1);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, subtype, 2);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, treq, 3);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, portid, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, cntlid, 6);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, asqsz, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, eflags, 10);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, trsvcid, 32);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, subnqn, 256);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, traddr, 512);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, tsas, 768);
NVTCP_SPEC_OFF(struct nvtcp_nvmf_disc_log_entry, tsas.tcp.sectype, 768);

#pragma pack(pop)

/** Name of a Fabrics command status code (SCT 1 of a Fabrics command). */
static inline const char *
nvtcp_nvmf_sc_str(uint8_t sc)
{
	switch (sc) {
	case NVTCP_NVMF_SC_INCOMPATIBLE_FORMAT: return "Incompatible Format";
	case NVTCP_NVMF_SC_CONTROLLER_BUSY: return "Controller Busy";
	case NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS: return "Connect Invalid Parameters";
	case NVTCP_NVMF_SC_CONNECT_RESTART_DISCOVERY: return "Connect Restart Discovery";
	case NVTCP_NVMF_SC_CONNECT_INVALID_HOST: return "Connect Invalid Host";
	case NVTCP_NVMF_SC_INVALID_QUEUE_TYPE: return "Invalid Queue Type";
	case NVTCP_NVMF_SC_DISCOVER_RESTART: return "Discover Restart";
	case NVTCP_NVMF_SC_AUTH_REQUIRED: return "Authentication Required";
	default: return "Unknown Fabrics Status";
	}
}

/** Name of a status code returned for a command with opcode \p opc. */
static inline const char *
nvtcp_nvme_cmd_sc_str(uint8_t opc, uint8_t sct, uint8_t sc)
{
	if (opc == NVTCP_NVME_OPC_FABRICS && sct == NVTCP_NVME_SCT_COMMAND_SPECIFIC && sc >= 0x80) {
		return nvtcp_nvmf_sc_str(sc);
	}
	return nvtcp_nvme_sc_str(sct, sc);
}


#ifdef __cplusplus
}
#endif

#endif /* NVTCP_NVMF_SPEC_H */
