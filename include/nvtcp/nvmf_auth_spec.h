/**
 * @file
 * NVMe in-band authentication wire format (NVMe Base Specification, "Authentication"; TP 8006):
 * the AUTH_Negotiate and DH-HMAC-CHAP messages carried as the data of the Fabrics
 * Authentication Send / Receive commands (struct nvtcp_nvmf_auth_cmd in nvtcp/nvmf_spec.h).
 *
 * Same rules as nvtcp/nvme_spec.h: packed little-endian overlays, every size and offset checked
 * at compile time. Variable parts (challenge, response, DH value) follow the fixed headers.
 */
#ifndef NVTCP_NVMF_AUTH_SPEC_H
#define NVTCP_NVMF_AUTH_SPEC_H

#include "nvtcp/nvme_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma pack(push, 1)

/** Authentication Send/Receive SECP for NVMe-oF in-band authentication. */
#define NVTCP_AUTH_SECP 0xE9
/** SPSP0 / SPSP1 for DH-HMAC-CHAP. */
#define NVTCP_AUTH_SPSP0 0x01
#define NVTCP_AUTH_SPSP1 0x01

/** AUTH_TYPE, byte 0 of every message. */
enum nvtcp_auth_type {
	NVTCP_AUTH_TYPE_COMMON = 0x00, /**< AUTH_Negotiate, Failure1, Failure2 */
	NVTCP_AUTH_TYPE_DHCHAP = 0x01, /**< Challenge, Reply, Success1, Success2 */
};

/** AUTH_ID, byte 1 of every message. */
enum nvtcp_auth_id {
	NVTCP_AUTH_ID_NEGOTIATE = 0x00,
	NVTCP_AUTH_ID_CHALLENGE = 0x01,
	NVTCP_AUTH_ID_REPLY = 0x02,
	NVTCP_AUTH_ID_SUCCESS1 = 0x03,
	NVTCP_AUTH_ID_SUCCESS2 = 0x04,
	NVTCP_AUTH_ID_FAILURE2 = 0xF0,
	NVTCP_AUTH_ID_FAILURE1 = 0xF1,
};

/** Authentication protocol identifier in a protocol descriptor. */
#define NVTCP_AUTH_PROTOCOL_DHCHAP 0x01

/** DH-HMAC-CHAP hash function identifiers. */
enum nvtcp_auth_hash_id {
	NVTCP_AUTH_HASH_SHA256 = 0x01,
	NVTCP_AUTH_HASH_SHA384 = 0x02,
	NVTCP_AUTH_HASH_SHA512 = 0x03,
};

/** DH-HMAC-CHAP Diffie-Hellman group identifiers (RFC 7919 groups). */
enum nvtcp_auth_dhgroup_id {
	NVTCP_AUTH_DHGROUP_NULL = 0x00,
	NVTCP_AUTH_DHGROUP_2048 = 0x01,
	NVTCP_AUTH_DHGROUP_3072 = 0x02,
	NVTCP_AUTH_DHGROUP_4096 = 0x03,
	NVTCP_AUTH_DHGROUP_6144 = 0x04,
	NVTCP_AUTH_DHGROUP_8192 = 0x05,
};

/** Failure reason code (REASON CODE of Failure1/Failure2). */
#define NVTCP_AUTH_FAILURE_REASON_FAILED 0x01

/** Failure reason code explanation. */
enum nvtcp_auth_failure_exp {
	NVTCP_AUTH_FAIL_FAILED = 0x01,            /**< authentication failed (wrong response) */
	NVTCP_AUTH_FAIL_PROTOCOL_UNUSABLE = 0x02, /**< authentication protocol not usable */
	NVTCP_AUTH_FAIL_CONCAT_MISMATCH = 0x03,   /**< secure channel concatenation mismatch */
	NVTCP_AUTH_FAIL_HASH_UNUSABLE = 0x04,     /**< hash function not usable */
	NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE = 0x05,  /**< DH group not usable */
	NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD = 0x06, /**< incorrect payload */
	NVTCP_AUTH_FAIL_INCORRECT_MESSAGE = 0x07, /**< incorrect protocol message */
};

/** Header shared by every message. */
struct nvtcp_auth_hdr {
	uint8_t auth_type;
	uint8_t auth_id;
	uint16_t reserved2;
	uint16_t t_id; /**< transaction identifier */
};
NVTCP_SPEC_SIZE(struct nvtcp_auth_hdr, 6);
NVTCP_SPEC_OFF(struct nvtcp_auth_hdr, auth_type, 0);
NVTCP_SPEC_OFF(struct nvtcp_auth_hdr, auth_id, 1);
NVTCP_SPEC_OFF(struct nvtcp_auth_hdr, t_id, 4);

/** Number of identifier slots for hashes, and for DH groups, in a protocol descriptor. */
#define NVTCP_AUTH_DESC_IDS 30

/** DH-HMAC-CHAP protocol descriptor of AUTH_Negotiate (64 bytes). */
struct nvtcp_auth_dhchap_desc {
	uint8_t authid; /**< NVTCP_AUTH_PROTOCOL_DHCHAP */
	uint8_t reserved1;
	uint8_t halen; /**< number of hash identifiers in hash_ids */
	uint8_t dhlen; /**< number of DH group identifiers in dhgroup_ids */
	uint8_t hash_ids[NVTCP_AUTH_DESC_IDS];
	uint8_t dhgroup_ids[NVTCP_AUTH_DESC_IDS];
};
NVTCP_SPEC_SIZE(struct nvtcp_auth_dhchap_desc, 64);
NVTCP_SPEC_OFF(struct nvtcp_auth_dhchap_desc, halen, 2);
NVTCP_SPEC_OFF(struct nvtcp_auth_dhchap_desc, dhlen, 3);
NVTCP_SPEC_OFF(struct nvtcp_auth_dhchap_desc, hash_ids, 4);
NVTCP_SPEC_OFF(struct nvtcp_auth_dhchap_desc, dhgroup_ids, 34);

/** AUTH_Negotiate (host to controller): 8 bytes, then napd descriptors of 64 bytes. */
struct nvtcp_auth_negotiate {
	struct nvtcp_auth_hdr hdr; /**< COMMON / NEGOTIATE */
	uint8_t sc_c;              /**< secure channel concatenation; 0 = none */
	uint8_t napd;              /**< number of protocol descriptors (>= 1) */
	struct nvtcp_auth_dhchap_desc desc[];
};
NVTCP_SPEC_SIZE(struct nvtcp_auth_negotiate, 8);
NVTCP_SPEC_OFF(struct nvtcp_auth_negotiate, sc_c, 6);
NVTCP_SPEC_OFF(struct nvtcp_auth_negotiate, napd, 7);

/** DH-HMAC-CHAP_Challenge (controller to host): 16 bytes, then hl bytes of C1, then dhvlen
 * bytes of the controller's DH public value. */
struct nvtcp_auth_challenge {
	struct nvtcp_auth_hdr hdr; /**< DHCHAP / CHALLENGE */
	uint8_t hl;                /**< hash length */
	uint8_t reserved7;
	uint8_t hash_id;
	uint8_t dhgroup_id;
	uint16_t dhvlen;
	uint32_t seqnum; /**< S1 */
	uint8_t cval[];
};
NVTCP_SPEC_SIZE(struct nvtcp_auth_challenge, 16);
NVTCP_SPEC_OFF(struct nvtcp_auth_challenge, hl, 6);
NVTCP_SPEC_OFF(struct nvtcp_auth_challenge, hash_id, 8);
NVTCP_SPEC_OFF(struct nvtcp_auth_challenge, dhgroup_id, 9);
NVTCP_SPEC_OFF(struct nvtcp_auth_challenge, dhvlen, 10);
NVTCP_SPEC_OFF(struct nvtcp_auth_challenge, seqnum, 12);

/** DH-HMAC-CHAP_Reply (host to controller): 16 bytes, then hl bytes of R1, hl bytes of C2
 * (meaningful when cvalid is 1), dhvlen bytes of the host's DH public value. */
struct nvtcp_auth_reply {
	struct nvtcp_auth_hdr hdr; /**< DHCHAP / REPLY */
	uint8_t hl;
	uint8_t reserved7;
	uint8_t cvalid; /**< bit 0: C2 is valid, the host asks to authenticate the controller */
	uint8_t reserved9;
	uint16_t dhvlen;
	uint32_t seqnum; /**< S2; 0 when cvalid is 0 */
	uint8_t rval[];
};
NVTCP_SPEC_SIZE(struct nvtcp_auth_reply, 16);
NVTCP_SPEC_OFF(struct nvtcp_auth_reply, hl, 6);
NVTCP_SPEC_OFF(struct nvtcp_auth_reply, cvalid, 8);
NVTCP_SPEC_OFF(struct nvtcp_auth_reply, dhvlen, 10);
NVTCP_SPEC_OFF(struct nvtcp_auth_reply, seqnum, 12);

/** DH-HMAC-CHAP_Success1 (controller to host): 16 bytes, then hl bytes of R2 (meaningful when
 * rvalid is 1). */
struct nvtcp_auth_success1 {
	struct nvtcp_auth_hdr hdr; /**< DHCHAP / SUCCESS1 */
	uint8_t hl;
	uint8_t reserved7;
	uint8_t rvalid; /**< bit 0: R2 is valid */
	uint8_t reserved9[7];
	uint8_t rval[];
};
NVTCP_SPEC_SIZE(struct nvtcp_auth_success1, 16);
NVTCP_SPEC_OFF(struct nvtcp_auth_success1, hl, 6);
NVTCP_SPEC_OFF(struct nvtcp_auth_success1, rvalid, 8);

/** DH-HMAC-CHAP_Success2 (host to controller). */
struct nvtcp_auth_success2 {
	struct nvtcp_auth_hdr hdr; /**< DHCHAP / SUCCESS2 */
	uint8_t reserved6[10];
};
NVTCP_SPEC_SIZE(struct nvtcp_auth_success2, 16);

/** AUTH_Failure1 (controller to host) and AUTH_Failure2 (host to controller). */
struct nvtcp_auth_failure {
	struct nvtcp_auth_hdr hdr; /**< COMMON / FAILURE1 or FAILURE2 */
	uint8_t reason;            /**< NVTCP_AUTH_FAILURE_REASON_FAILED */
	uint8_t explanation;       /**< enum nvtcp_auth_failure_exp */
};
NVTCP_SPEC_SIZE(struct nvtcp_auth_failure, 8);
NVTCP_SPEC_OFF(struct nvtcp_auth_failure, reason, 6);
NVTCP_SPEC_OFF(struct nvtcp_auth_failure, explanation, 7);

#pragma pack(pop)

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_NVMF_AUTH_SPEC_H */
