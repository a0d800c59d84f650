/**
 * @file
 * NVMe wire format: submission and completion queue entries, status codes, opcodes,
 * command-specific fields, Identify data, log pages, controller properties, and the NVMe over
 * Fabrics commands and Discovery log.
 *
 * Sources: NVM Express Base Specification 2.0, NVM Command Set Specification 1.0 and NVMe over
 * Fabrics 1.1 (fields checked against the Linux kernel's include/linux/nvme.h, SPDK's
 * nvme_spec.h/nvmf_spec.h and libnvme).
 *
 * Every structure is packed and describes the bytes on the wire. Multi-byte fields are
 * little-endian; the structures are used as direct overlays, which is why this header refuses
 * to compile on a big-endian host. Every size and every field offset is checked at compile time.
 *
 * Only static inline helpers live here, so that the header can be used alone (tools, fuzzers).
 *
 * Layout (one include gives all three; the split only keeps files short):
 * - this file: SGL, SQE, CQE, status codes, opcodes, command fields, properties;
 * - nvtcp/nvme_data_spec.h: Identify Controller/Namespace, NS descriptors, log pages;
 * - nvtcp/nvmf_spec.h: Fabrics commands, Connect data, Fabrics status, Discovery log.
 */
#ifndef NVTCP_NVME_SPEC_H
#define NVTCP_NVME_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define NVTCP_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define NVTCP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "nvtcp wire structures are little-endian overlays: a little-endian host is required"
#endif

/** Compile-time check of a wire structure's size. */
#define NVTCP_SPEC_SIZE(type, size) NVTCP_STATIC_ASSERT(sizeof(type) == (size), #type " size")
/** Compile-time check of a field's byte offset. */
#define NVTCP_SPEC_OFF(type, field, off)                                                         \
	NVTCP_STATIC_ASSERT(offsetof(type, field) == (off), #type "." #field " offset")

#pragma pack(push, 1)

/* ============================================================================================
 * Scatter gather list descriptor (SGL1 of a command over fabrics)
 * ========================================================================================= */

/** SGL descriptor types (high nibble of the identifier byte). */
enum nvtcp_nvme_sgl_type {
	NVTCP_NVME_SGL_TYPE_DATA_BLOCK = 0x0,
	NVTCP_NVME_SGL_TYPE_BIT_BUCKET = 0x1,
	NVTCP_NVME_SGL_TYPE_SEGMENT = 0x2,
	NVTCP_NVME_SGL_TYPE_LAST_SEGMENT = 0x3,
	NVTCP_NVME_SGL_TYPE_KEYED_DATA_BLOCK = 0x4,
	NVTCP_NVME_SGL_TYPE_TRANSPORT_DATA_BLOCK = 0x5,
	NVTCP_NVME_SGL_TYPE_VENDOR_SPECIFIC = 0xF,
};

/** SGL descriptor subtypes (low nibble of the identifier byte). */
enum nvtcp_nvme_sgl_subtype {
	NVTCP_NVME_SGL_SUBTYPE_ADDRESS = 0x0,
	NVTCP_NVME_SGL_SUBTYPE_OFFSET = 0x1,
	NVTCP_NVME_SGL_SUBTYPE_TRANSPORT = 0xA,
};

/** Build an SGL identifier byte. */
#define NVTCP_NVME_SGL_ID(type, subtype) ((uint8_t)((((type) & 0xF) << 4) | ((subtype) & 0xF)))
/** Data block, offset: in-capsule data (address = offset into the capsule data). */
#define NVTCP_NVME_SGL_ID_INCAPSULE 0x01
/** Transport data block, transport specific: data moved by R2T/H2CData or C2HData. */
#define NVTCP_NVME_SGL_ID_TRANSPORT 0x5A

/** SGL descriptor (16 bytes). */
struct nvtcp_nvme_sgl_desc {
	uint64_t address;    /**< address, or offset into the in-capsule data */
	uint32_t length;     /**< length in bytes */
	uint8_t reserved[3];
	uint8_t id;          /**< SGL identifier: type << 4 | subtype */
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_sgl_desc, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvme_sgl_desc, address, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_sgl_desc, length, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvme_sgl_desc, reserved, 12);
NVTCP_SPEC_OFF(struct nvtcp_nvme_sgl_desc, id, 15);

/** Descriptor type of an SGL descriptor (enum nvtcp_nvme_sgl_type). */
static inline uint8_t
nvtcp_nvme_sgl_type(const struct nvtcp_nvme_sgl_desc *sgl)
{
	return sgl->id >> 4;
}

/** Descriptor subtype of an SGL descriptor (enum nvtcp_nvme_sgl_subtype). */
static inline uint8_t
nvtcp_nvme_sgl_subtype(const struct nvtcp_nvme_sgl_desc *sgl)
{
	return sgl->id & 0xF;
}

/** Describe \p len bytes of in-capsule data starting at \p offset of the capsule data. */
static inline void
nvtcp_nvme_sgl_set_incapsule(struct nvtcp_nvme_sgl_desc *sgl, uint64_t offset, uint32_t len)
{
	sgl->address = offset;
	sgl->length = len;
	sgl->reserved[0] = sgl->reserved[1] = sgl->reserved[2] = 0;
	sgl->id = NVTCP_NVME_SGL_ID_INCAPSULE;
}

/** Describe \p len bytes moved by the transport (R2T/H2CData or C2HData). */
static inline void
nvtcp_nvme_sgl_set_transport(struct nvtcp_nvme_sgl_desc *sgl, uint32_t len)
{
	sgl->address = 0;
	sgl->length = len;
	sgl->reserved[0] = sgl->reserved[1] = sgl->reserved[2] = 0;
	sgl->id = NVTCP_NVME_SGL_ID_TRANSPORT;
}

/* ============================================================================================
 * Submission queue entry
 * ========================================================================================= */

/** cmd.flags: fused operation, bits 1:0. */
#define NVTCP_NVME_CMD_FLAGS_FUSE_MASK 0x03
#define NVTCP_NVME_CMD_FLAGS_FUSE_FIRST 0x01
#define NVTCP_NVME_CMD_FLAGS_FUSE_SECOND 0x02
/** cmd.flags: PRP or SGL for data transfer (PSDT), bits 7:6. */
#define NVTCP_NVME_CMD_FLAGS_PSDT_MASK 0xC0
#define NVTCP_NVME_CMD_FLAGS_PSDT_PRP 0x00
/** PSDT = 01b: SGLs, MPTR is a contiguous buffer. Every command over fabrics uses this. */
#define NVTCP_NVME_CMD_FLAGS_PSDT_SGL 0x40
/** PSDT = 10b: SGLs, MPTR points to an SGL segment. */
#define NVTCP_NVME_CMD_FLAGS_PSDT_SGL_MPTR_SGL 0x80

/** Submission queue entry (64 bytes). */
struct nvtcp_nvme_cmd {
	uint8_t opc;   /**< opcode */
	uint8_t flags; /**< FUSE bits 1:0, PSDT bits 7:6 */
	uint16_t cid;  /**< command identifier */
	uint32_t nsid; /**< namespace identifier */
	uint32_t cdw2;
	uint32_t cdw3;
	uint64_t mptr; /**< metadata pointer */
	union {
		struct nvtcp_nvme_sgl_desc sgl1;
		uint8_t raw[16];
	} dptr;        /**< data pointer */
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint32_t cdw13;
	uint32_t cdw14;
	uint32_t cdw15;
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_cmd, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, opc, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, flags, 1);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, cid, 2);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, nsid, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, cdw2, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, cdw3, 12);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, mptr, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, dptr, 24);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, dptr.sgl1, 24);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, cdw10, 40);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, cdw11, 44);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, cdw12, 48);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, cdw13, 52);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, cdw14, 56);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cmd, cdw15, 60);

/** Fused operation bits of a command. */
static inline uint8_t
nvtcp_nvme_cmd_fuse(const struct nvtcp_nvme_cmd *cmd)
{
	return cmd->flags & NVTCP_NVME_CMD_FLAGS_FUSE_MASK;
}

/** PSDT field of a command (0 PRP, 1 SGL, 2 SGL with SGL metadata). */
static inline uint8_t
nvtcp_nvme_cmd_psdt(const struct nvtcp_nvme_cmd *cmd)
{
	return (cmd->flags & NVTCP_NVME_CMD_FLAGS_PSDT_MASK) >> 6;
}

/* ============================================================================================
 * Completion queue entry and status
 * ========================================================================================= */

/** Completion queue entry (16 bytes). */
struct nvtcp_nvme_cpl {
	uint32_t cdw0;   /**< command specific result */
	uint32_t cdw1;   /**< command specific result (high half of 64-bit results) */
	uint16_t sqhd;   /**< submission queue head pointer */
	uint16_t sqid;   /**< submission queue identifier */
	uint16_t cid;    /**< command identifier */
	uint16_t status; /**< phase bit 0, SC 8:1, SCT 11:9, CRD 13:12, M 14, DNR 15 */
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_cpl, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cpl, cdw0, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cpl, cdw1, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cpl, sqhd, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cpl, sqid, 10);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cpl, cid, 12);
NVTCP_SPEC_OFF(struct nvtcp_nvme_cpl, status, 14);

/* Bit layout of the 16-bit status word. */
#define NVTCP_NVME_STATUS_P 0x0001u
#define NVTCP_NVME_STATUS_SC_SHIFT 1
#define NVTCP_NVME_STATUS_SC_MASK 0xFFu
#define NVTCP_NVME_STATUS_SCT_SHIFT 9
#define NVTCP_NVME_STATUS_SCT_MASK 0x7u
#define NVTCP_NVME_STATUS_CRD_SHIFT 12
#define NVTCP_NVME_STATUS_CRD_MASK 0x3u
#define NVTCP_NVME_STATUS_M 0x4000u
#define NVTCP_NVME_STATUS_DNR 0x8000u

/** Status code type (SCT). */
enum nvtcp_nvme_sct {
	NVTCP_NVME_SCT_GENERIC = 0x0,
	NVTCP_NVME_SCT_COMMAND_SPECIFIC = 0x1,
	NVTCP_NVME_SCT_MEDIA_ERROR = 0x2,
	NVTCP_NVME_SCT_PATH = 0x3,
	NVTCP_NVME_SCT_VENDOR_SPECIFIC = 0x7,
};

/** Generic command status codes (SCT 0). */
enum nvtcp_nvme_generic_sc {
	NVTCP_NVME_SC_SUCCESS = 0x00,
	NVTCP_NVME_SC_INVALID_OPCODE = 0x01,
	NVTCP_NVME_SC_INVALID_FIELD = 0x02,
	NVTCP_NVME_SC_COMMAND_ID_CONFLICT = 0x03,
	NVTCP_NVME_SC_DATA_TRANSFER_ERROR = 0x04,
	NVTCP_NVME_SC_ABORTED_POWER_LOSS = 0x05,
	NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR = 0x06,
	NVTCP_NVME_SC_ABORTED_BY_REQUEST = 0x07,
	NVTCP_NVME_SC_ABORTED_SQ_DELETION = 0x08,
	NVTCP_NVME_SC_ABORTED_FAILED_FUSED = 0x09,
	NVTCP_NVME_SC_ABORTED_MISSING_FUSED = 0x0A,
	NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT = 0x0B,
	NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR = 0x0C,
	NVTCP_NVME_SC_INVALID_SGL_SEG_DESCRIPTOR = 0x0D,
	NVTCP_NVME_SC_INVALID_NUM_SGL_DESCRIPTORS = 0x0E,
	NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID = 0x0F,
	NVTCP_NVME_SC_METADATA_SGL_LENGTH_INVALID = 0x10,
	NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID = 0x11,
	NVTCP_NVME_SC_INVALID_CONTROLLER_MEM_BUF = 0x12,
	NVTCP_NVME_SC_INVALID_PRP_OFFSET = 0x13,
	NVTCP_NVME_SC_ATOMIC_WRITE_UNIT_EXCEEDED = 0x14,
	NVTCP_NVME_SC_OPERATION_DENIED = 0x15,
	NVTCP_NVME_SC_INVALID_SGL_OFFSET = 0x16,
	NVTCP_NVME_SC_HOSTID_INCONSISTENT_FORMAT = 0x18,
	NVTCP_NVME_SC_KEEP_ALIVE_EXPIRED = 0x19,
	NVTCP_NVME_SC_KEEP_ALIVE_INVALID = 0x1A,
	NVTCP_NVME_SC_ABORTED_PREEMPT = 0x1B,
	NVTCP_NVME_SC_SANITIZE_FAILED = 0x1C,
	NVTCP_NVME_SC_SANITIZE_IN_PROGRESS = 0x1D,
	NVTCP_NVME_SC_SGL_DATA_BLOCK_GRANULARITY_INVALID = 0x1E,
	NVTCP_NVME_SC_COMMAND_INVALID_IN_CMB = 0x1F,
	NVTCP_NVME_SC_NAMESPACE_IS_WRITE_PROTECTED = 0x20,
	NVTCP_NVME_SC_COMMAND_INTERRUPTED = 0x21,
	NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR = 0x22,
	NVTCP_NVME_SC_COMMAND_PROHIBITED_BY_LOCKDOWN = 0x23,
	NVTCP_NVME_SC_ADMIN_COMMAND_MEDIA_NOT_READY = 0x24,
	/* NVM command set, generic (0x80 - 0xBF) */
	NVTCP_NVME_SC_LBA_OUT_OF_RANGE = 0x80,
	NVTCP_NVME_SC_CAPACITY_EXCEEDED = 0x81,
	NVTCP_NVME_SC_NAMESPACE_NOT_READY = 0x82,
	NVTCP_NVME_SC_RESERVATION_CONFLICT = 0x83,
	NVTCP_NVME_SC_FORMAT_IN_PROGRESS = 0x84,
};

/** Command specific status codes (SCT 1), for admin and NVM commands. */
enum nvtcp_nvme_command_specific_sc {
	NVTCP_NVME_SC_COMPLETION_QUEUE_INVALID = 0x00,
	NVTCP_NVME_SC_INVALID_QUEUE_IDENTIFIER = 0x01,
	NVTCP_NVME_SC_INVALID_QUEUE_SIZE = 0x02,
	NVTCP_NVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED = 0x03,
	NVTCP_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED = 0x05,
	NVTCP_NVME_SC_INVALID_FIRMWARE_SLOT = 0x06,
	NVTCP_NVME_SC_INVALID_FIRMWARE_IMAGE = 0x07,
	NVTCP_NVME_SC_INVALID_INTERRUPT_VECTOR = 0x08,
	NVTCP_NVME_SC_INVALID_LOG_PAGE = 0x09,
	NVTCP_NVME_SC_INVALID_FORMAT = 0x0A,
	NVTCP_NVME_SC_FIRMWARE_REQ_CONVENTIONAL_RESET = 0x0B,
	NVTCP_NVME_SC_INVALID_QUEUE_DELETION = 0x0C,
	NVTCP_NVME_SC_FEATURE_ID_NOT_SAVEABLE = 0x0D,
	NVTCP_NVME_SC_FEATURE_NOT_CHANGEABLE = 0x0E,
	NVTCP_NVME_SC_FEATURE_NOT_NAMESPACE_SPECIFIC = 0x0F,
	NVTCP_NVME_SC_FIRMWARE_REQ_NVM_RESET = 0x10,
	NVTCP_NVME_SC_FIRMWARE_REQ_RESET = 0x11,
	NVTCP_NVME_SC_FIRMWARE_REQ_MAX_TIME_VIOLATION = 0x12,
	NVTCP_NVME_SC_FIRMWARE_ACTIVATION_PROHIBITED = 0x13,
	NVTCP_NVME_SC_OVERLAPPING_RANGE = 0x14,
	NVTCP_NVME_SC_NAMESPACE_INSUFFICIENT_CAPACITY = 0x15,
	NVTCP_NVME_SC_NAMESPACE_ID_UNAVAILABLE = 0x16,
	NVTCP_NVME_SC_NAMESPACE_ALREADY_ATTACHED = 0x18,
	NVTCP_NVME_SC_NAMESPACE_IS_PRIVATE = 0x19,
	NVTCP_NVME_SC_NAMESPACE_NOT_ATTACHED = 0x1A,
	NVTCP_NVME_SC_THIN_PROVISIONING_NOT_SUPPORTED = 0x1B,
	NVTCP_NVME_SC_CONTROLLER_LIST_INVALID = 0x1C,
	NVTCP_NVME_SC_DEVICE_SELF_TEST_IN_PROGRESS = 0x1D,
	NVTCP_NVME_SC_BOOT_PARTITION_WRITE_PROHIBITED = 0x1E,
	NVTCP_NVME_SC_INVALID_CTRLR_ID = 0x1F,
	NVTCP_NVME_SC_INVALID_SECONDARY_CTRLR_STATE = 0x20,
	NVTCP_NVME_SC_INVALID_NUM_CTRLR_RESOURCES = 0x21,
	NVTCP_NVME_SC_INVALID_RESOURCE_ID = 0x22,
	NVTCP_NVME_SC_SANITIZE_PROHIBITED_WITH_PMR = 0x23,
	NVTCP_NVME_SC_ANA_GROUP_ID_INVALID = 0x24,
	NVTCP_NVME_SC_ANA_ATTACH_FAILED = 0x25,
	/* NVM command set specific (0x80 - 0xBF); Fabrics commands use NVTCP_NVMF_SC_* instead */
	NVTCP_NVME_SC_CONFLICTING_ATTRIBUTES = 0x80,
	NVTCP_NVME_SC_INVALID_PROTECTION_INFO = 0x81,
	NVTCP_NVME_SC_ATTEMPTED_WRITE_TO_RO_RANGE = 0x82,
	NVTCP_NVME_SC_COMMAND_SIZE_LIMIT_EXCEEDED = 0x83,
};

/** Media and data integrity errors (SCT 2). */
enum nvtcp_nvme_media_error_sc {
	NVTCP_NVME_SC_WRITE_FAULTS = 0x80,
	NVTCP_NVME_SC_UNRECOVERED_READ_ERROR = 0x81,
	NVTCP_NVME_SC_GUARD_CHECK_ERROR = 0x82,
	NVTCP_NVME_SC_APPLICATION_TAG_CHECK_ERROR = 0x83,
	NVTCP_NVME_SC_REFERENCE_TAG_CHECK_ERROR = 0x84,
	NVTCP_NVME_SC_COMPARE_FAILURE = 0x85,
	NVTCP_NVME_SC_ACCESS_DENIED = 0x86,
	NVTCP_NVME_SC_DEALLOCATED_OR_UNWRITTEN_BLOCK = 0x87,
};

/** Path related status (SCT 3). */
enum nvtcp_nvme_path_sc {
	NVTCP_NVME_SC_INTERNAL_PATH_ERROR = 0x00,
	NVTCP_NVME_SC_ASYMMETRIC_ACCESS_PERSISTENT_LOSS = 0x01,
	NVTCP_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE = 0x02,
	NVTCP_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION = 0x03,
	NVTCP_NVME_SC_CONTROLLER_PATH_ERROR = 0x60,
	NVTCP_NVME_SC_HOST_PATH_ERROR = 0x70,
	NVTCP_NVME_SC_ABORTED_BY_HOST = 0x71,
};

/** Status code (SC) of a status word. */
static inline uint8_t
nvtcp_nvme_status_sc(uint16_t status)
{
	return (status >> NVTCP_NVME_STATUS_SC_SHIFT) & NVTCP_NVME_STATUS_SC_MASK;
}

/** Status code type (SCT) of a status word. */
static inline uint8_t
nvtcp_nvme_status_sct(uint16_t status)
{
	return (status >> NVTCP_NVME_STATUS_SCT_SHIFT) & NVTCP_NVME_STATUS_SCT_MASK;
}

/** Command retry delay (CRD, 0..3: which CRDT of Identify Controller applies). */
static inline uint8_t
nvtcp_nvme_status_crd(uint16_t status)
{
	return (status >> NVTCP_NVME_STATUS_CRD_SHIFT) & NVTCP_NVME_STATUS_CRD_MASK;
}

/** More (M): more status in the Error Information log. */
static inline bool
nvtcp_nvme_status_more(uint16_t status)
{
	return (status & NVTCP_NVME_STATUS_M) != 0;
}

/** Do not retry (DNR). */
static inline bool
nvtcp_nvme_status_dnr(uint16_t status)
{
	return (status & NVTCP_NVME_STATUS_DNR) != 0;
}

/** Phase tag (P); reserved over fabrics. */
static inline bool
nvtcp_nvme_status_phase(uint16_t status)
{
	return (status & NVTCP_NVME_STATUS_P) != 0;
}

/** Whether a status word reports an error (SC or SCT non-zero). */
static inline bool
nvtcp_nvme_status_is_error(uint16_t status)
{
	return (status & ((NVTCP_NVME_STATUS_SC_MASK << NVTCP_NVME_STATUS_SC_SHIFT) |
			  (NVTCP_NVME_STATUS_SCT_MASK << NVTCP_NVME_STATUS_SCT_SHIFT))) != 0;
}

/** Build a status word (phase 0, CRD 0, More 0). */
static inline uint16_t
nvtcp_nvme_status(uint8_t sct, uint8_t sc, bool dnr)
{
	return (uint16_t)(((uint16_t)sc << NVTCP_NVME_STATUS_SC_SHIFT) |
			  ((uint16_t)(sct & NVTCP_NVME_STATUS_SCT_MASK) << NVTCP_NVME_STATUS_SCT_SHIFT) |
			  (dnr ? NVTCP_NVME_STATUS_DNR : 0));
}

/** Whether a completion reports an error. */
static inline bool
nvtcp_nvme_cpl_is_error(const struct nvtcp_nvme_cpl *cpl)
{
	return nvtcp_nvme_status_is_error(cpl->status);
}

/* ============================================================================================
 * Opcodes
 * ========================================================================================= */

/** Admin command opcodes. */
enum nvtcp_nvme_admin_opc {
	NVTCP_NVME_OPC_DELETE_IO_SQ = 0x00,
	NVTCP_NVME_OPC_CREATE_IO_SQ = 0x01,
	NVTCP_NVME_OPC_GET_LOG_PAGE = 0x02,
	NVTCP_NVME_OPC_DELETE_IO_CQ = 0x04,
	NVTCP_NVME_OPC_CREATE_IO_CQ = 0x05,
	NVTCP_NVME_OPC_IDENTIFY = 0x06,
	NVTCP_NVME_OPC_ABORT = 0x08,
	NVTCP_NVME_OPC_SET_FEATURES = 0x09,
	NVTCP_NVME_OPC_GET_FEATURES = 0x0A,
	NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST = 0x0C,
	NVTCP_NVME_OPC_NS_MANAGEMENT = 0x0D,
	NVTCP_NVME_OPC_FIRMWARE_COMMIT = 0x10,
	NVTCP_NVME_OPC_FIRMWARE_IMAGE_DOWNLOAD = 0x11,
	NVTCP_NVME_OPC_DEVICE_SELF_TEST = 0x14,
	NVTCP_NVME_OPC_NS_ATTACHMENT = 0x15,
	NVTCP_NVME_OPC_KEEP_ALIVE = 0x18,
	NVTCP_NVME_OPC_DIRECTIVE_SEND = 0x19,
	NVTCP_NVME_OPC_DIRECTIVE_RECEIVE = 0x1A,
	NVTCP_NVME_OPC_VIRTUALIZATION_MANAGEMENT = 0x1C,
	NVTCP_NVME_OPC_NVME_MI_SEND = 0x1D,
	NVTCP_NVME_OPC_NVME_MI_RECEIVE = 0x1E,
	NVTCP_NVME_OPC_DOORBELL_BUFFER_CONFIG = 0x7C,
	NVTCP_NVME_OPC_FABRICS = 0x7F,
	NVTCP_NVME_OPC_FORMAT_NVM = 0x80,
	NVTCP_NVME_OPC_SECURITY_SEND = 0x81,
	NVTCP_NVME_OPC_SECURITY_RECEIVE = 0x82,
	NVTCP_NVME_OPC_SANITIZE = 0x84,
	NVTCP_NVME_OPC_GET_LBA_STATUS = 0x86,
};

/** NVM command set I/O opcodes. */
enum nvtcp_nvme_nvm_opc {
	NVTCP_NVME_OPC_FLUSH = 0x00,
	NVTCP_NVME_OPC_WRITE = 0x01,
	NVTCP_NVME_OPC_READ = 0x02,
	NVTCP_NVME_OPC_WRITE_UNCORRECTABLE = 0x04,
	NVTCP_NVME_OPC_COMPARE = 0x05,
	NVTCP_NVME_OPC_WRITE_ZEROES = 0x08,
	NVTCP_NVME_OPC_DATASET_MANAGEMENT = 0x09,
	NVTCP_NVME_OPC_VERIFY = 0x0C,
	NVTCP_NVME_OPC_RESERVATION_REGISTER = 0x0D,
	NVTCP_NVME_OPC_RESERVATION_REPORT = 0x0E,
	NVTCP_NVME_OPC_RESERVATION_ACQUIRE = 0x11,
	NVTCP_NVME_OPC_RESERVATION_RELEASE = 0x15,
	NVTCP_NVME_OPC_COPY = 0x19,
};

/** Data transfer direction, encoded in bits 1:0 of an opcode (or of a Fabrics FCTYPE). */
enum nvtcp_nvme_data_xfer {
	NVTCP_NVME_DATA_NONE = 0,
	NVTCP_NVME_DATA_HOST_TO_CTRLR = 1,
	NVTCP_NVME_DATA_CTRLR_TO_HOST = 2,
	NVTCP_NVME_DATA_BIDIRECTIONAL = 3,
};

/** Data direction of an opcode (not meaningful for Fabrics: see nvtcp_nvme_cmd_data_xfer()). */
static inline enum nvtcp_nvme_data_xfer
nvtcp_nvme_opc_data_xfer(uint8_t opc)
{
	return (enum nvtcp_nvme_data_xfer)(opc & 0x3);
}

/* ============================================================================================
 * Command-specific fields
 * ========================================================================================= */

/* ---- Identify: cdw10 CNS [7:0], CNTID [31:16]; cdw11 CNSSPECID [15:0], CSI [31:24] ---- */

/** Identify CNS values. */
enum nvtcp_nvme_identify_cns {
	NVTCP_NVME_IDENTIFY_NS = 0x00,
	NVTCP_NVME_IDENTIFY_CTRLR = 0x01,
	NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST = 0x02,
	NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST = 0x03,
	NVTCP_NVME_IDENTIFY_NVM_SET_LIST = 0x04,
	NVTCP_NVME_IDENTIFY_NS_IOCS = 0x05,
	NVTCP_NVME_IDENTIFY_CTRLR_IOCS = 0x06,
	NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST_IOCS = 0x07,
	NVTCP_NVME_IDENTIFY_NS_INDEPENDENT = 0x08,
	NVTCP_NVME_IDENTIFY_ALLOCATED_NS_LIST = 0x10,
	NVTCP_NVME_IDENTIFY_ALLOCATED_NS = 0x11,
	NVTCP_NVME_IDENTIFY_NS_ATTACHED_CTRLR_LIST = 0x12,
	NVTCP_NVME_IDENTIFY_CTRLR_LIST = 0x13,
	NVTCP_NVME_IDENTIFY_PRIMARY_CTRLR_CAP = 0x14,
	NVTCP_NVME_IDENTIFY_SECONDARY_CTRLR_LIST = 0x15,
	NVTCP_NVME_IDENTIFY_NS_GRANULARITY_LIST = 0x16,
	NVTCP_NVME_IDENTIFY_UUID_LIST = 0x17,
	NVTCP_NVME_IDENTIFY_DOMAIN_LIST = 0x18,
	NVTCP_NVME_IDENTIFY_ENDURANCE_GROUP_LIST = 0x19,
	NVTCP_NVME_IDENTIFY_IOCS = 0x1C,
};

/** Size of every Identify data structure. */
#define NVTCP_NVME_IDENTIFY_DATA_SIZE 4096
/** Active namespace list: up to 1024 NSIDs in one Identify. */
#define NVTCP_NVME_IDENTIFY_NS_LIST_MAX 1024
#define NVTCP_NVME_IDENTIFY_CDW10(cns, cntid) ((uint32_t)(cns) | ((uint32_t)(cntid) << 16))
#define NVTCP_NVME_IDENTIFY_CDW11(cnsspecid, csi) ((uint32_t)(cnsspecid) | ((uint32_t)(csi) << 24))

/** Command set identifiers (CSI). */
enum nvtcp_nvme_csi {
	NVTCP_NVME_CSI_NVM = 0x00,
	NVTCP_NVME_CSI_KV = 0x01,
	NVTCP_NVME_CSI_ZNS = 0x02,
};

/** NSID meaning "all namespaces" (also for controller-wide log pages). */
#define NVTCP_NVME_NSID_ALL 0xFFFFFFFFu

/* ---- Get Log Page: cdw10 LID [7:0], LSP [14:8], RAE [15], NUMDL [31:16];
 *      cdw11 NUMDU [15:0], LSI [31:16]; cdw12 LPOL; cdw13 LPOU; cdw14 UUID [6:0], OT [23], CSI [31:24]. */

/** Log page identifiers. */
enum nvtcp_nvme_log_page {
	NVTCP_NVME_LOG_SUPPORTED_LOG_PAGES = 0x00,
	NVTCP_NVME_LOG_ERROR = 0x01,
	NVTCP_NVME_LOG_HEALTH_INFORMATION = 0x02,
	NVTCP_NVME_LOG_FIRMWARE_SLOT = 0x03,
	NVTCP_NVME_LOG_CHANGED_NS_LIST = 0x04,
	NVTCP_NVME_LOG_COMMAND_EFFECTS = 0x05,
	NVTCP_NVME_LOG_DEVICE_SELF_TEST = 0x06,
	NVTCP_NVME_LOG_TELEMETRY_HOST_INITIATED = 0x07,
	NVTCP_NVME_LOG_TELEMETRY_CTRLR_INITIATED = 0x08,
	NVTCP_NVME_LOG_ENDURANCE_GROUP_INFORMATION = 0x09,
	NVTCP_NVME_LOG_ANA = 0x0C,
	NVTCP_NVME_LOG_PERSISTENT_EVENT = 0x0D,
	NVTCP_NVME_LOG_DISCOVERY = 0x70,
	NVTCP_NVME_LOG_RESERVATION_NOTIFICATION = 0x80,
	NVTCP_NVME_LOG_SANITIZE_STATUS = 0x81,
};

#define NVTCP_NVME_GET_LOG_CDW10_RAE (1u << 15)
#define NVTCP_NVME_GET_LOG_CDW10_LSP_SHIFT 8
#define NVTCP_NVME_GET_LOG_CDW10_LSP_MASK 0x7Fu
#define NVTCP_NVME_GET_LOG_CDW10_NUMDL_SHIFT 16
#define NVTCP_NVME_GET_LOG_CDW11_NUMDU_MASK 0xFFFFu

/**
 * Fill the Get Log Page fields of a command: LID, RAE, the dword count and the byte offset.
 *
 * \param cmd Command (opcode, nsid and the data pointer are left to the caller).
 * \param lid Log page identifier.
 * \param rae Retain asynchronous event.
 * \param len Bytes to read: a multiple of 4, at least 4 (encoded as a 0's based dword count).
 * \param offset Byte offset into the log page (a multiple of 4).
 */
static inline void
nvtcp_nvme_get_log_page_set(struct nvtcp_nvme_cmd *cmd, uint8_t lid, bool rae, uint64_t len,
			    uint64_t offset)
{
	uint32_t numd = (uint32_t)(len / 4 - 1);

	cmd->cdw10 = lid | (rae ? NVTCP_NVME_GET_LOG_CDW10_RAE : 0) |
		     ((numd & 0xFFFFu) << NVTCP_NVME_GET_LOG_CDW10_NUMDL_SHIFT);
	cmd->cdw11 = numd >> 16;
	cmd->cdw12 = (uint32_t)offset;
	cmd->cdw13 = (uint32_t)(offset >> 32);
}

/** Log page identifier of a Get Log Page command. */
static inline uint8_t
nvtcp_nvme_get_log_page_lid(const struct nvtcp_nvme_cmd *cmd)
{
	return cmd->cdw10 & 0xFF;
}

/** Bytes requested by a Get Log Page command ((NUMDU:NUMDL + 1) * 4). */
static inline uint64_t
nvtcp_nvme_get_log_page_len(const struct nvtcp_nvme_cmd *cmd)
{
	uint32_t numd = (cmd->cdw10 >> NVTCP_NVME_GET_LOG_CDW10_NUMDL_SHIFT) |
			((cmd->cdw11 & NVTCP_NVME_GET_LOG_CDW11_NUMDU_MASK) << 16);

	return ((uint64_t)numd + 1) * 4;
}

/** Byte offset of a Get Log Page command (LPOU:LPOL). */
static inline uint64_t
nvtcp_nvme_get_log_page_offset(const struct nvtcp_nvme_cmd *cmd)
{
	return (uint64_t)cmd->cdw12 | ((uint64_t)cmd->cdw13 << 32);
}

/* ---- Set/Get Features: cdw10 FID [7:0], Set: SV [31], Get: SEL [10:8] ---- */

/** Feature identifiers. */
enum nvtcp_nvme_feat {
	NVTCP_NVME_FEAT_ARBITRATION = 0x01,
	NVTCP_NVME_FEAT_POWER_MANAGEMENT = 0x02,
	NVTCP_NVME_FEAT_LBA_RANGE_TYPE = 0x03,
	NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD = 0x04,
	NVTCP_NVME_FEAT_ERROR_RECOVERY = 0x05,
	NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE = 0x06,
	NVTCP_NVME_FEAT_NUMBER_OF_QUEUES = 0x07,
	NVTCP_NVME_FEAT_INTERRUPT_COALESCING = 0x08,
	NVTCP_NVME_FEAT_INTERRUPT_VECTOR_CONFIGURATION = 0x09,
	NVTCP_NVME_FEAT_WRITE_ATOMICITY = 0x0A,
	NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION = 0x0B,
	NVTCP_NVME_FEAT_AUTONOMOUS_POWER_STATE_TRANSITION = 0x0C,
	NVTCP_NVME_FEAT_HOST_MEM_BUFFER = 0x0D,
	NVTCP_NVME_FEAT_TIMESTAMP = 0x0E,
	NVTCP_NVME_FEAT_KEEP_ALIVE_TIMER = 0x0F,
	NVTCP_NVME_FEAT_HOST_CONTROLLED_THERMAL_MANAGEMENT = 0x10,
	NVTCP_NVME_FEAT_NON_OPERATIONAL_POWER_STATE_CONFIG = 0x11,
	NVTCP_NVME_FEAT_READ_RECOVERY_LEVEL_CONFIG = 0x12,
	NVTCP_NVME_FEAT_PREDICTABLE_LATENCY_MODE_CONFIG = 0x13,
	NVTCP_NVME_FEAT_PREDICTABLE_LATENCY_MODE_WINDOW = 0x14,
	NVTCP_NVME_FEAT_HOST_BEHAVIOR_SUPPORT = 0x16,
	NVTCP_NVME_FEAT_SANITIZE_CONFIG = 0x17,
	NVTCP_NVME_FEAT_ENDURANCE_GROUP_EVENT = 0x18,
	NVTCP_NVME_FEAT_SOFTWARE_PROGRESS_MARKER = 0x80,
	NVTCP_NVME_FEAT_HOST_IDENTIFIER = 0x81,
	NVTCP_NVME_FEAT_HOST_RESERVE_MASK = 0x82,
	NVTCP_NVME_FEAT_HOST_RESERVE_PERSIST = 0x83,
	NVTCP_NVME_FEAT_NAMESPACE_WRITE_PROTECTION = 0x84,
};

#define NVTCP_NVME_SET_FEAT_CDW10_SV (1u << 31)
#define NVTCP_NVME_GET_FEAT_CDW10_SEL_SHIFT 8
/** Get Features select values. */
enum nvtcp_nvme_feat_sel {
	NVTCP_NVME_FEAT_SEL_CURRENT = 0,
	NVTCP_NVME_FEAT_SEL_DEFAULT = 1,
	NVTCP_NVME_FEAT_SEL_SAVED = 2,
	NVTCP_NVME_FEAT_SEL_SUPPORTED = 3,
};

/**
 * cdw11 of Set Features Number of Queues: request \p nsq submission and \p ncq completion
 * queues (1..65535 each; encoded 0's based as NSQR [15:0] and NCQR [31:16]).
 */
static inline uint32_t
nvtcp_nvme_feat_num_queues(uint32_t nsq, uint32_t ncq)
{
	return ((nsq - 1) & 0xFFFFu) | (((ncq - 1) & 0xFFFFu) << 16);
}

/** Submission queues granted by a Number of Queues completion (cdw0 NSQA + 1). */
static inline uint32_t
nvtcp_nvme_feat_num_queues_nsq(uint32_t cdw0)
{
	return (cdw0 & 0xFFFFu) + 1;
}

/** Completion queues granted by a Number of Queues completion (cdw0 NCQA + 1). */
static inline uint32_t
nvtcp_nvme_feat_num_queues_ncq(uint32_t cdw0)
{
	return (cdw0 >> 16) + 1;
}

/** Volatile write cache feature: cdw11 bit 0 enables the cache. */
#define NVTCP_NVME_FEAT_VWC_WCE (1u << 0)

/** Asynchronous Event Configuration (cdw11) bits. */
#define NVTCP_NVME_AEC_SMART_CRITICAL_WARNINGS_MASK 0xFFu
#define NVTCP_NVME_AEC_NS_ATTRIBUTE_NOTICES (1u << 8)
#define NVTCP_NVME_AEC_FIRMWARE_ACTIVATION_NOTICES (1u << 9)
#define NVTCP_NVME_AEC_TELEMETRY_LOG_NOTICES (1u << 10)
#define NVTCP_NVME_AEC_ANA_CHANGE_NOTICES (1u << 11)
#define NVTCP_NVME_AEC_DISCOVERY_LOG_CHANGE_NOTICES (1u << 31)

/* ---- Asynchronous Event Request completion, cdw0: type [2:0], info [15:8], log page [23:16] */

/** Asynchronous event types. */
enum nvtcp_nvme_async_event_type {
	NVTCP_NVME_AER_TYPE_ERROR = 0x0,
	NVTCP_NVME_AER_TYPE_SMART = 0x1,
	NVTCP_NVME_AER_TYPE_NOTICE = 0x2,
	NVTCP_NVME_AER_TYPE_IO = 0x6,
	NVTCP_NVME_AER_TYPE_VENDOR_SPECIFIC = 0x7,
};

/** Asynchronous event information for NVTCP_NVME_AER_TYPE_NOTICE. */
enum nvtcp_nvme_async_event_notice {
	NVTCP_NVME_AER_NOTICE_NS_ATTR_CHANGED = 0x00,
	NVTCP_NVME_AER_NOTICE_FW_ACTIVATION_START = 0x01,
	NVTCP_NVME_AER_NOTICE_TELEMETRY_LOG_CHANGED = 0x02,
	NVTCP_NVME_AER_NOTICE_ANA_CHANGE = 0x03,
	NVTCP_NVME_AER_NOTICE_PREDICTABLE_LATENCY_CHANGE = 0x04,
	NVTCP_NVME_AER_NOTICE_LBA_STATUS_ALERT = 0x05,
	NVTCP_NVME_AER_NOTICE_ENDURANCE_GROUP_EVENT = 0x06,
	NVTCP_NVME_AER_NOTICE_DISCOVERY_LOG_CHANGE = 0xF0,
};

/** Event type of an Asynchronous Event Request completion. */
static inline uint8_t
nvtcp_nvme_aer_type(uint32_t cdw0)
{
	return cdw0 & 0x7;
}

/** Event information of an Asynchronous Event Request completion. */
static inline uint8_t
nvtcp_nvme_aer_info(uint32_t cdw0)
{
	return (cdw0 >> 8) & 0xFF;
}

/** Log page identifier to read (with RAE clear) to clear an asynchronous event. */
static inline uint8_t
nvtcp_nvme_aer_log_page(uint32_t cdw0)
{
	return (cdw0 >> 16) & 0xFF;
}

/** Build cdw0 of an Asynchronous Event Request completion. */
static inline uint32_t
nvtcp_nvme_aer_cdw0(uint8_t type, uint8_t info, uint8_t log_page)
{
	return (uint32_t)(type & 0x7) | ((uint32_t)info << 8) | ((uint32_t)log_page << 16);
}

/* ---- Abort: cdw10 SQID [15:0], CID [31:16]; completion cdw0 bit 0 set = not aborted ---- */

#define NVTCP_NVME_ABORT_CDW10(sqid, cid) ((uint32_t)(sqid) | ((uint32_t)(cid) << 16))
#define NVTCP_NVME_ABORT_CDW0_NOT_ABORTED (1u << 0)

/* ---- Read / Write / Compare / Write Zeroes / Verify: SLBA in cdw10-11,
 *      cdw12 NLB [15:0] (0's based), DTYPE [23:20], PRINFO [29:26], FUA [30], LR [31] ---- */

#define NVTCP_NVME_RW_CDW12_NLB_MASK 0xFFFFu
#define NVTCP_NVME_RW_CDW12_DTYPE_SHIFT 20
#define NVTCP_NVME_RW_CDW12_PRINFO_SHIFT 26
#define NVTCP_NVME_RW_CDW12_FUA (1u << 30)
#define NVTCP_NVME_RW_CDW12_LR (1u << 31)
/** Write Zeroes cdw12: deallocate (DEAC). */
#define NVTCP_NVME_WZ_CDW12_DEAC (1u << 25)
/** Most logical blocks in one Read/Write (NLB is a 16-bit 0's based count). */
#define NVTCP_NVME_RW_MAX_BLOCKS 65536u

/**
 * Fill the LBA fields of a Read/Write/Compare/Write Zeroes/Verify command.
 *
 * \param cmd Command.
 * \param slba Starting LBA.
 * \param nlb Number of logical blocks, 1..65536 (encoded 0's based).
 * \param cdw12_flags Other cdw12 bits (NVTCP_NVME_RW_CDW12_FUA, _LR, ...).
 */
static inline void
nvtcp_nvme_rw_set(struct nvtcp_nvme_cmd *cmd, uint64_t slba, uint32_t nlb, uint32_t cdw12_flags)
{
	cmd->cdw10 = (uint32_t)slba;
	cmd->cdw11 = (uint32_t)(slba >> 32);
	cmd->cdw12 = ((nlb - 1) & NVTCP_NVME_RW_CDW12_NLB_MASK) | cdw12_flags;
}

/** Starting LBA of an LBA command. */
static inline uint64_t
nvtcp_nvme_rw_slba(const struct nvtcp_nvme_cmd *cmd)
{
	return (uint64_t)cmd->cdw10 | ((uint64_t)cmd->cdw11 << 32);
}

/** Number of logical blocks of an LBA command (1..65536). */
static inline uint32_t
nvtcp_nvme_rw_nlb(const struct nvtcp_nvme_cmd *cmd)
{
	return (cmd->cdw12 & NVTCP_NVME_RW_CDW12_NLB_MASK) + 1;
}

/* ---- Dataset Management: cdw10 NR [7:0] (0's based), cdw11 attributes ---- */

#define NVTCP_NVME_DSM_ATTR_INTEGRAL_READ (1u << 0)
#define NVTCP_NVME_DSM_ATTR_INTEGRAL_WRITE (1u << 1)
#define NVTCP_NVME_DSM_ATTR_DEALLOCATE (1u << 2)
/** Most ranges in one Dataset Management command. */
#define NVTCP_NVME_DSM_MAX_RANGES 256

/** Dataset Management range (16 bytes). */
struct nvtcp_nvme_dsm_range {
	uint32_t cattr; /**< context attributes */
	uint32_t nlb;   /**< length in logical blocks (not 0's based) */
	uint64_t slba;  /**< starting LBA */
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_dsm_range, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvme_dsm_range, cattr, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_dsm_range, nlb, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvme_dsm_range, slba, 8);

/** cdw10 of Dataset Management for \p nr ranges (1..256). */
static inline uint32_t
nvtcp_nvme_dsm_cdw10(uint32_t nr)
{
	return (nr - 1) & 0xFF;
}

/* ============================================================================================
 * Controller properties (registers), read and written by Property Get/Set over fabrics
 * ========================================================================================= */

/** Property offsets. */
enum nvtcp_nvme_prop {
	NVTCP_NVME_PROP_CAP = 0x00,   /**< 8 bytes */
	NVTCP_NVME_PROP_VS = 0x08,
	NVTCP_NVME_PROP_INTMS = 0x0C,
	NVTCP_NVME_PROP_INTMC = 0x10,
	NVTCP_NVME_PROP_CC = 0x14,
	NVTCP_NVME_PROP_CSTS = 0x1C,
	NVTCP_NVME_PROP_NSSR = 0x20,
	NVTCP_NVME_PROP_AQA = 0x24,
	NVTCP_NVME_PROP_ASQ = 0x28,   /**< 8 bytes */
	NVTCP_NVME_PROP_ACQ = 0x30,   /**< 8 bytes */
	NVTCP_NVME_PROP_CMBLOC = 0x38,
	NVTCP_NVME_PROP_CMBSZ = 0x3C,
	NVTCP_NVME_PROP_BPINFO = 0x40,
	NVTCP_NVME_PROP_BPRSEL = 0x44,
	NVTCP_NVME_PROP_BPMBL = 0x48, /**< 8 bytes */
	NVTCP_NVME_PROP_CMBMSC = 0x50, /**< 8 bytes */
	NVTCP_NVME_PROP_CMBSTS = 0x58,
	NVTCP_NVME_PROP_CRTO = 0x68,
};

/** Value written to NSSR to reset the NVM subsystem ("NVMe"). */
#define NVTCP_NVME_NSSR_RESET_VALUE 0x4E564D65u

/** Size in bytes (4 or 8) of the property at \p ofst. */
static inline uint32_t
nvtcp_nvme_prop_size(uint32_t ofst)
{
	switch (ofst) {
	case NVTCP_NVME_PROP_CAP:
	case NVTCP_NVME_PROP_ASQ:
	case NVTCP_NVME_PROP_ACQ:
	case NVTCP_NVME_PROP_BPMBL:
	case NVTCP_NVME_PROP_CMBMSC:
		return 8;
	default:
		return 4;
	}
}

/* ---- CAP (Controller Capabilities) ---- */
static inline uint32_t nvtcp_nvme_cap_mqes(uint64_t cap) { return cap & 0xFFFF; }   /**< 0's based */
static inline bool nvtcp_nvme_cap_cqr(uint64_t cap) { return (cap >> 16) & 0x1; }
static inline uint32_t nvtcp_nvme_cap_ams(uint64_t cap) { return (cap >> 17) & 0x3; }
static inline uint32_t nvtcp_nvme_cap_to(uint64_t cap) { return (cap >> 24) & 0xFF; } /**< 500 ms units */
static inline uint32_t nvtcp_nvme_cap_dstrd(uint64_t cap) { return (cap >> 32) & 0xF; }
static inline bool nvtcp_nvme_cap_nssrs(uint64_t cap) { return (cap >> 36) & 0x1; }
static inline uint32_t nvtcp_nvme_cap_css(uint64_t cap) { return (cap >> 37) & 0xFF; }
static inline bool nvtcp_nvme_cap_bps(uint64_t cap) { return (cap >> 45) & 0x1; }
static inline uint32_t nvtcp_nvme_cap_cps(uint64_t cap) { return (cap >> 46) & 0x3; }
static inline uint32_t nvtcp_nvme_cap_mpsmin(uint64_t cap) { return (cap >> 48) & 0xF; } /**< 2^(12+n) */
static inline uint32_t nvtcp_nvme_cap_mpsmax(uint64_t cap) { return (cap >> 52) & 0xF; }
static inline bool nvtcp_nvme_cap_pmrs(uint64_t cap) { return (cap >> 56) & 0x1; }
static inline bool nvtcp_nvme_cap_cmbs(uint64_t cap) { return (cap >> 57) & 0x1; }
static inline bool nvtcp_nvme_cap_nsss(uint64_t cap) { return (cap >> 58) & 0x1; }
static inline uint32_t nvtcp_nvme_cap_crms(uint64_t cap) { return (cap >> 59) & 0x3; }

#define NVTCP_NVME_CAP_MQES_MASK 0xFFFFull
#define NVTCP_NVME_CAP_CQR (1ull << 16)
#define NVTCP_NVME_CAP_AMS_SHIFT 17
#define NVTCP_NVME_CAP_TO_SHIFT 24
#define NVTCP_NVME_CAP_DSTRD_SHIFT 32
#define NVTCP_NVME_CAP_NSSRS (1ull << 36)
#define NVTCP_NVME_CAP_CSS_SHIFT 37
#define NVTCP_NVME_CAP_BPS (1ull << 45)
#define NVTCP_NVME_CAP_CPS_SHIFT 46
#define NVTCP_NVME_CAP_MPSMIN_SHIFT 48
#define NVTCP_NVME_CAP_MPSMAX_SHIFT 52
#define NVTCP_NVME_CAP_PMRS (1ull << 56)
#define NVTCP_NVME_CAP_CMBS (1ull << 57)
#define NVTCP_NVME_CAP_NSSS (1ull << 58)
#define NVTCP_NVME_CAP_CRMS_SHIFT 59
/** CAP.CSS bits. */
#define NVTCP_NVME_CAP_CSS_NVM (1u << 0)
#define NVTCP_NVME_CAP_CSS_IOCS (1u << 6)
#define NVTCP_NVME_CAP_CSS_NO_IO (1u << 7)

/* ---- VS (Version): MJR [31:16], MNR [15:8], TER [7:0] ---- */
#define NVTCP_NVME_VS(mjr, mnr, ter) (((uint32_t)(mjr) << 16) | ((uint32_t)(mnr) << 8) | (uint32_t)(ter))
static inline uint32_t nvtcp_nvme_vs_major(uint32_t vs) { return vs >> 16; }
static inline uint32_t nvtcp_nvme_vs_minor(uint32_t vs) { return (vs >> 8) & 0xFF; }
static inline uint32_t nvtcp_nvme_vs_tertiary(uint32_t vs) { return vs & 0xFF; }

/* ---- CC (Controller Configuration) ---- */
#define NVTCP_NVME_CC_EN (1u << 0)
#define NVTCP_NVME_CC_CSS_SHIFT 4
#define NVTCP_NVME_CC_CSS_MASK (0x7u << 4)
#define NVTCP_NVME_CC_MPS_SHIFT 7
#define NVTCP_NVME_CC_MPS_MASK (0xFu << 7)
#define NVTCP_NVME_CC_AMS_SHIFT 11
#define NVTCP_NVME_CC_AMS_MASK (0x7u << 11)
#define NVTCP_NVME_CC_SHN_SHIFT 14
#define NVTCP_NVME_CC_SHN_MASK (0x3u << 14)
#define NVTCP_NVME_CC_IOSQES_SHIFT 16
#define NVTCP_NVME_CC_IOSQES_MASK (0xFu << 16)
#define NVTCP_NVME_CC_IOCQES_SHIFT 20
#define NVTCP_NVME_CC_IOCQES_MASK (0xFu << 20)
#define NVTCP_NVME_CC_CRIME (1u << 24)
/** CC.CSS values. */
#define NVTCP_NVME_CC_CSS_NVM 0u
#define NVTCP_NVME_CC_CSS_IOCS 6u
#define NVTCP_NVME_CC_CSS_ADMIN_ONLY 7u
/** Entry sizes (log2) that an NVM controller requires: 64-byte SQE, 16-byte CQE. */
#define NVTCP_NVME_IOSQES_NVM 6u
#define NVTCP_NVME_IOCQES_NVM 4u

/** Shutdown notification (CC.SHN). */
enum nvtcp_nvme_shn {
	NVTCP_NVME_SHN_NONE = 0,
	NVTCP_NVME_SHN_NORMAL = 1,
	NVTCP_NVME_SHN_ABRUPT = 2,
};

static inline bool nvtcp_nvme_cc_en(uint32_t cc) { return cc & NVTCP_NVME_CC_EN; }
static inline uint32_t nvtcp_nvme_cc_css(uint32_t cc) { return (cc >> 4) & 0x7; }
static inline uint32_t nvtcp_nvme_cc_mps(uint32_t cc) { return (cc >> 7) & 0xF; }
static inline uint32_t nvtcp_nvme_cc_ams(uint32_t cc) { return (cc >> 11) & 0x7; }
static inline uint32_t nvtcp_nvme_cc_shn(uint32_t cc) { return (cc >> 14) & 0x3; }
static inline uint32_t nvtcp_nvme_cc_iosqes(uint32_t cc) { return (cc >> 16) & 0xF; }
static inline uint32_t nvtcp_nvme_cc_iocqes(uint32_t cc) { return (cc >> 20) & 0xF; }

/**
 * CC value that enables an NVM controller: EN, NVM command set, MPS, round robin, 64-byte SQEs
 * and 16-byte CQEs (0x00460001 with mps 0). An NVM controller sets CSTS.CFS when the entry
 * sizes are left 0.
 *
 * \param mps Memory page size, 2^(12 + mps) bytes.
 */
static inline uint32_t
nvtcp_nvme_cc_enable_value(uint32_t mps)
{
	return NVTCP_NVME_CC_EN | (NVTCP_NVME_CC_CSS_NVM << NVTCP_NVME_CC_CSS_SHIFT) |
	       ((mps & 0xF) << NVTCP_NVME_CC_MPS_SHIFT) |
	       (NVTCP_NVME_IOSQES_NVM << NVTCP_NVME_CC_IOSQES_SHIFT) |
	       (NVTCP_NVME_IOCQES_NVM << NVTCP_NVME_CC_IOCQES_SHIFT);
}

/* ---- CSTS (Controller Status) ---- */
#define NVTCP_NVME_CSTS_RDY (1u << 0)
#define NVTCP_NVME_CSTS_CFS (1u << 1)
#define NVTCP_NVME_CSTS_SHST_SHIFT 2
#define NVTCP_NVME_CSTS_SHST_MASK (0x3u << 2)
#define NVTCP_NVME_CSTS_NSSRO (1u << 4)
#define NVTCP_NVME_CSTS_PP (1u << 5)
#define NVTCP_NVME_CSTS_ST (1u << 6)

/** Shutdown status (CSTS.SHST). */
enum nvtcp_nvme_shst {
	NVTCP_NVME_SHST_NORMAL = 0,
	NVTCP_NVME_SHST_OCCURRING = 1,
	NVTCP_NVME_SHST_COMPLETE = 2,
};

static inline bool nvtcp_nvme_csts_rdy(uint32_t csts) { return csts & NVTCP_NVME_CSTS_RDY; }
static inline bool nvtcp_nvme_csts_cfs(uint32_t csts) { return csts & NVTCP_NVME_CSTS_CFS; }
static inline uint32_t nvtcp_nvme_csts_shst(uint32_t csts) { return (csts >> 2) & 0x3; }
static inline bool nvtcp_nvme_csts_nssro(uint32_t csts) { return csts & NVTCP_NVME_CSTS_NSSRO; }
static inline bool nvtcp_nvme_csts_pp(uint32_t csts) { return csts & NVTCP_NVME_CSTS_PP; }

#pragma pack(pop)

/* ============================================================================================
 * Status code names, for logs and tools
 * ========================================================================================= */

/** Name of a status code type. */
static inline const char *
nvtcp_nvme_sct_str(uint8_t sct)
{
	switch (sct) {
	case NVTCP_NVME_SCT_GENERIC: return "Generic Command Status";
	case NVTCP_NVME_SCT_COMMAND_SPECIFIC: return "Command Specific Status";
	case NVTCP_NVME_SCT_MEDIA_ERROR: return "Media and Data Integrity Errors";
	case NVTCP_NVME_SCT_PATH: return "Path Related Status";
	case NVTCP_NVME_SCT_VENDOR_SPECIFIC: return "Vendor Specific";
	default: return "Reserved Status Code Type";
	}
}

/** Name of a generic (SCT 0) status code. */
static inline const char *
nvtcp_nvme_generic_sc_str(uint8_t sc)
{
	switch (sc) {
	case NVTCP_NVME_SC_SUCCESS: return "Successful Completion";
	case NVTCP_NVME_SC_INVALID_OPCODE: return "Invalid Command Opcode";
	case NVTCP_NVME_SC_INVALID_FIELD: return "Invalid Field in Command";
	case NVTCP_NVME_SC_COMMAND_ID_CONFLICT: return "Command ID Conflict";
	case NVTCP_NVME_SC_DATA_TRANSFER_ERROR: return "Data Transfer Error";
	case NVTCP_NVME_SC_ABORTED_POWER_LOSS: return "Commands Aborted due to Power Loss Notification";
	case NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR: return "Internal Error";
	case NVTCP_NVME_SC_ABORTED_BY_REQUEST: return "Command Abort Requested";
	case NVTCP_NVME_SC_ABORTED_SQ_DELETION: return "Command Aborted due to SQ Deletion";
	case NVTCP_NVME_SC_ABORTED_FAILED_FUSED: return "Command Aborted due to Failed Fused Command";
	case NVTCP_NVME_SC_ABORTED_MISSING_FUSED: return "Command Aborted due to Missing Fused Command";
	case NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT: return "Invalid Namespace or Format";
	case NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR: return "Command Sequence Error";
	case NVTCP_NVME_SC_INVALID_SGL_SEG_DESCRIPTOR: return "Invalid SGL Segment Descriptor";
	case NVTCP_NVME_SC_INVALID_NUM_SGL_DESCRIPTORS: return "Invalid Number of SGL Descriptors";
	case NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID: return "Data SGL Length Invalid";
	case NVTCP_NVME_SC_METADATA_SGL_LENGTH_INVALID: return "Metadata SGL Length Invalid";
	case NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID: return "SGL Descriptor Type Invalid";
	case NVTCP_NVME_SC_INVALID_CONTROLLER_MEM_BUF: return "Invalid Use of Controller Memory Buffer";
	case NVTCP_NVME_SC_INVALID_PRP_OFFSET: return "PRP Offset Invalid";
	case NVTCP_NVME_SC_ATOMIC_WRITE_UNIT_EXCEEDED: return "Atomic Write Unit Exceeded";
	case NVTCP_NVME_SC_OPERATION_DENIED: return "Operation Denied";
	case NVTCP_NVME_SC_INVALID_SGL_OFFSET: return "SGL Offset Invalid";
	case NVTCP_NVME_SC_HOSTID_INCONSISTENT_FORMAT: return "Host Identifier Inconsistent Format";
	case NVTCP_NVME_SC_KEEP_ALIVE_EXPIRED: return "Keep Alive Timer Expired";
	case NVTCP_NVME_SC_KEEP_ALIVE_INVALID: return "Keep Alive Timeout Invalid";
	case NVTCP_NVME_SC_ABORTED_PREEMPT: return "Command Aborted due to Preempt and Abort";
	case NVTCP_NVME_SC_SANITIZE_FAILED: return "Sanitize Failed";
	case NVTCP_NVME_SC_SANITIZE_IN_PROGRESS: return "Sanitize In Progress";
	case NVTCP_NVME_SC_SGL_DATA_BLOCK_GRANULARITY_INVALID: return "SGL Data Block Granularity Invalid";
	case NVTCP_NVME_SC_COMMAND_INVALID_IN_CMB: return "Command Not Supported for Queue in CMB";
	case NVTCP_NVME_SC_NAMESPACE_IS_WRITE_PROTECTED: return "Namespace is Write Protected";
	case NVTCP_NVME_SC_COMMAND_INTERRUPTED: return "Command Interrupted";
	case NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR: return "Transient Transport Error";
	case NVTCP_NVME_SC_COMMAND_PROHIBITED_BY_LOCKDOWN: return "Command Prohibited by Command and Feature Lockdown";
	case NVTCP_NVME_SC_ADMIN_COMMAND_MEDIA_NOT_READY: return "Admin Command Media Not Ready";
	case NVTCP_NVME_SC_LBA_OUT_OF_RANGE: return "LBA Out of Range";
	case NVTCP_NVME_SC_CAPACITY_EXCEEDED: return "Capacity Exceeded";
	case NVTCP_NVME_SC_NAMESPACE_NOT_READY: return "Namespace Not Ready";
	case NVTCP_NVME_SC_RESERVATION_CONFLICT: return "Reservation Conflict";
	case NVTCP_NVME_SC_FORMAT_IN_PROGRESS: return "Format In Progress";
	default: return "Unknown Generic Status";
	}
}

/** Name of a command specific (SCT 1) status code of an admin or NVM command. */
static inline const char *
nvtcp_nvme_cmd_specific_sc_str(uint8_t sc)
{
	switch (sc) {
	case NVTCP_NVME_SC_COMPLETION_QUEUE_INVALID: return "Completion Queue Invalid";
	case NVTCP_NVME_SC_INVALID_QUEUE_IDENTIFIER: return "Invalid Queue Identifier";
	case NVTCP_NVME_SC_INVALID_QUEUE_SIZE: return "Invalid Queue Size";
	case NVTCP_NVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED: return "Abort Command Limit Exceeded";
	case NVTCP_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED: return "Asynchronous Event Request Limit Exceeded";
	case NVTCP_NVME_SC_INVALID_FIRMWARE_SLOT: return "Invalid Firmware Slot";
	case NVTCP_NVME_SC_INVALID_FIRMWARE_IMAGE: return "Invalid Firmware Image";
	case NVTCP_NVME_SC_INVALID_INTERRUPT_VECTOR: return "Invalid Interrupt Vector";
	case NVTCP_NVME_SC_INVALID_LOG_PAGE: return "Invalid Log Page";
	case NVTCP_NVME_SC_INVALID_FORMAT: return "Invalid Format";
	case NVTCP_NVME_SC_FIRMWARE_REQ_CONVENTIONAL_RESET: return "Firmware Activation Requires Conventional Reset";
	case NVTCP_NVME_SC_INVALID_QUEUE_DELETION: return "Invalid Queue Deletion";
	case NVTCP_NVME_SC_FEATURE_ID_NOT_SAVEABLE: return "Feature Identifier Not Saveable";
	case NVTCP_NVME_SC_FEATURE_NOT_CHANGEABLE: return "Feature Not Changeable";
	case NVTCP_NVME_SC_FEATURE_NOT_NAMESPACE_SPECIFIC: return "Feature Not Namespace Specific";
	case NVTCP_NVME_SC_FIRMWARE_REQ_NVM_RESET: return "Firmware Activation Requires NVM Subsystem Reset";
	case NVTCP_NVME_SC_FIRMWARE_REQ_RESET: return "Firmware Activation Requires Controller Level Reset";
	case NVTCP_NVME_SC_FIRMWARE_REQ_MAX_TIME_VIOLATION: return "Firmware Activation Requires Maximum Time Violation";
	case NVTCP_NVME_SC_FIRMWARE_ACTIVATION_PROHIBITED: return "Firmware Activation Prohibited";
	case NVTCP_NVME_SC_OVERLAPPING_RANGE: return "Overlapping Range";
	case NVTCP_NVME_SC_NAMESPACE_INSUFFICIENT_CAPACITY: return "Namespace Insufficient Capacity";
	case NVTCP_NVME_SC_NAMESPACE_ID_UNAVAILABLE: return "Namespace Identifier Unavailable";
	case NVTCP_NVME_SC_NAMESPACE_ALREADY_ATTACHED: return "Namespace Already Attached";
	case NVTCP_NVME_SC_NAMESPACE_IS_PRIVATE: return "Namespace Is Private";
	case NVTCP_NVME_SC_NAMESPACE_NOT_ATTACHED: return "Namespace Not Attached";
	case NVTCP_NVME_SC_THIN_PROVISIONING_NOT_SUPPORTED: return "Thin Provisioning Not Supported";
	case NVTCP_NVME_SC_CONTROLLER_LIST_INVALID: return "Controller List Invalid";
	case NVTCP_NVME_SC_DEVICE_SELF_TEST_IN_PROGRESS: return "Device Self-test In Progress";
	case NVTCP_NVME_SC_BOOT_PARTITION_WRITE_PROHIBITED: return "Boot Partition Write Prohibited";
	case NVTCP_NVME_SC_INVALID_CTRLR_ID: return "Invalid Controller Identifier";
	case NVTCP_NVME_SC_INVALID_SECONDARY_CTRLR_STATE: return "Invalid Secondary Controller State";
	case NVTCP_NVME_SC_INVALID_NUM_CTRLR_RESOURCES: return "Invalid Number of Controller Resources";
	case NVTCP_NVME_SC_INVALID_RESOURCE_ID: return "Invalid Resource Identifier";
	case NVTCP_NVME_SC_SANITIZE_PROHIBITED_WITH_PMR: return "Sanitize Prohibited While Persistent Memory Region is Enabled";
	case NVTCP_NVME_SC_ANA_GROUP_ID_INVALID: return "ANA Group Identifier Invalid";
	case NVTCP_NVME_SC_ANA_ATTACH_FAILED: return "ANA Attach Failed";
	case NVTCP_NVME_SC_CONFLICTING_ATTRIBUTES: return "Conflicting Attributes";
	case NVTCP_NVME_SC_INVALID_PROTECTION_INFO: return "Invalid Protection Information";
	case NVTCP_NVME_SC_ATTEMPTED_WRITE_TO_RO_RANGE: return "Attempted Write to Read Only Range";
	case NVTCP_NVME_SC_COMMAND_SIZE_LIMIT_EXCEEDED: return "Command Size Limit Exceeded";
	default: return "Unknown Command Specific Status";
	}
}

/** Name of a media error (SCT 2) status code. */
static inline const char *
nvtcp_nvme_media_sc_str(uint8_t sc)
{
	switch (sc) {
	case NVTCP_NVME_SC_WRITE_FAULTS: return "Write Fault";
	case NVTCP_NVME_SC_UNRECOVERED_READ_ERROR: return "Unrecovered Read Error";
	case NVTCP_NVME_SC_GUARD_CHECK_ERROR: return "End-to-end Guard Check Error";
	case NVTCP_NVME_SC_APPLICATION_TAG_CHECK_ERROR: return "End-to-end Application Tag Check Error";
	case NVTCP_NVME_SC_REFERENCE_TAG_CHECK_ERROR: return "End-to-end Reference Tag Check Error";
	case NVTCP_NVME_SC_COMPARE_FAILURE: return "Compare Failure";
	case NVTCP_NVME_SC_ACCESS_DENIED: return "Access Denied";
	case NVTCP_NVME_SC_DEALLOCATED_OR_UNWRITTEN_BLOCK: return "Deallocated or Unwritten Logical Block";
	default: return "Unknown Media Error Status";
	}
}

/** Name of a path related (SCT 3) status code. */
static inline const char *
nvtcp_nvme_path_sc_str(uint8_t sc)
{
	switch (sc) {
	case NVTCP_NVME_SC_INTERNAL_PATH_ERROR: return "Internal Path Error";
	case NVTCP_NVME_SC_ASYMMETRIC_ACCESS_PERSISTENT_LOSS: return "Asymmetric Access Persistent Loss";
	case NVTCP_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE: return "Asymmetric Access Inaccessible";
	case NVTCP_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION: return "Asymmetric Access Transition";
	case NVTCP_NVME_SC_CONTROLLER_PATH_ERROR: return "Controller Pathing Error";
	case NVTCP_NVME_SC_HOST_PATH_ERROR: return "Host Pathing Error";
	case NVTCP_NVME_SC_ABORTED_BY_HOST: return "Command Aborted By Host";
	default: return "Unknown Path Related Status";
	}
}

/**
 * Name of a status code. Command specific codes 0x80-0xBF mean different things for Fabrics and
 * NVM commands: this returns the admin/NVM meaning; use nvtcp_nvme_cmd_sc_str() when the
 * opcode is known.
 */
static inline const char *
nvtcp_nvme_sc_str(uint8_t sct, uint8_t sc)
{
	switch (sct) {
	case NVTCP_NVME_SCT_GENERIC: return nvtcp_nvme_generic_sc_str(sc);
	case NVTCP_NVME_SCT_COMMAND_SPECIFIC: return nvtcp_nvme_cmd_specific_sc_str(sc);
	case NVTCP_NVME_SCT_MEDIA_ERROR: return nvtcp_nvme_media_sc_str(sc);
	case NVTCP_NVME_SCT_PATH: return nvtcp_nvme_path_sc_str(sc);
	case NVTCP_NVME_SCT_VENDOR_SPECIFIC: return "Vendor Specific Status";
	default: return "Reserved Status Code Type";
	}
}

/** Name of the status of a completion status word (SCT and SC). */
static inline const char *
nvtcp_nvme_status_str(uint16_t status)
{
	return nvtcp_nvme_sc_str(nvtcp_nvme_status_sct(status), nvtcp_nvme_status_sc(status));
}

#ifdef __cplusplus
}
#endif

/* Identify data, log pages, Fabrics and Discovery: part of this header's contract. */
#include "nvtcp/nvme_data_spec.h"
#include "nvtcp/nvmf_spec.h"

#endif /* NVTCP_NVME_SPEC_H */
