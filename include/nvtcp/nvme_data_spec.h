/**
 * @file
 * NVMe data structures returned by admin commands: Identify Controller, Identify Namespace,
 * Namespace Identification Descriptors and the Error, SMART/Health, Firmware Slot and Changed
 * Namespace List log pages.
 *
 * Part of nvtcp/nvme_spec.h (which includes it); the same rules apply: packed little-endian
 * overlays, every size and offset checked at compile time, only static inline helpers.
 */
#ifndef NVTCP_NVME_DATA_SPEC_H
#define NVTCP_NVME_DATA_SPEC_H

#include "nvtcp/nvme_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma pack(push, 1)

/* ============================================================================================
 * Identify Controller (CNS 01h)
 * ========================================================================================= */

/** Power state descriptor (32 bytes). */
struct nvtcp_nvme_psd {
	uint16_t mp;     /**< maximum power */
	uint8_t reserved2;
	uint8_t flags;   /**< bit 0 MXPS, bit 1 NOPS */
	uint32_t enlat;  /**< entry latency, us */
	uint32_t exlat;  /**< exit latency, us */
	uint8_t rrt;
	uint8_t rrl;
	uint8_t rwt;
	uint8_t rwl;
	uint16_t idlp;
	uint8_t ips;     /**< idle power scale, bits 7:6 */
	uint8_t reserved19;
	uint16_t actp;
	uint8_t apws;    /**< active power workload [2:0], scale [7:6] */
	uint8_t reserved23[9];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_psd, 32);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, mp, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, flags, 3);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, enlat, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, exlat, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, rrt, 12);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, rrl, 13);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, rwt, 14);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, rwl, 15);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, idlp, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, ips, 18);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, actp, 20);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, apws, 22);
NVTCP_SPEC_OFF(struct nvtcp_nvme_psd, reserved23, 23);

/** Identify Controller data structure (4096 bytes). String fields are space padded. */
struct nvtcp_nvme_ctrlr_data {
	uint16_t vid;
	uint16_t ssvid;
	char sn[20];
	char mn[40];
	char fr[8];
	uint8_t rab;
	uint8_t ieee[3];
	uint8_t cmic;
	uint8_t mdts;       /**< max transfer = 2^mdts * CAP.MPSMIN pages; 0 = no limit */
	uint16_t cntlid;
	uint32_t ver;
	uint32_t rtd3r;
	uint32_t rtd3e;
	uint32_t oaes;
	uint32_t ctratt;
	uint16_t rrls;
	uint8_t reserved102[9];
	uint8_t cntrltype;  /**< NVTCP_NVME_CNTRLTYPE_* */
	uint8_t fguid[16];
	uint16_t crdt1;
	uint16_t crdt2;
	uint16_t crdt3;
	uint8_t reserved134[119];
	uint8_t nvmsr;
	uint8_t vwci;
	uint8_t mec;
	uint16_t oacs;
	uint8_t acl;
	uint8_t aerl;
	uint8_t frmw;
	uint8_t lpa;
	uint8_t elpe;
	uint8_t npss;
	uint8_t avscc;
	uint8_t apsta;
	uint16_t wctemp;
	uint16_t cctemp;
	uint16_t mtfa;
	uint32_t hmpre;
	uint32_t hmmin;
	uint8_t tnvmcap[16];
	uint8_t unvmcap[16];
	uint32_t rpmbs;
	uint16_t edstt;
	uint8_t dsto;
	uint8_t fwug;
	uint16_t kas;       /**< keep alive granularity, 100 ms units */
	uint16_t hctma;
	uint16_t mntmt;
	uint16_t mxtmt;
	uint32_t sanicap;
	uint32_t hmminds;
	uint16_t hmmaxd;
	uint16_t nsetidmax;
	uint16_t endgidmax;
	uint8_t anatt;
	uint8_t anacap;
	uint32_t anagrpmax;
	uint32_t nanagrpid;
	uint32_t pels;
	uint16_t domainid;
	uint8_t reserved358[10];
	uint8_t megcap[16];
	uint8_t reserved384[128];
	uint8_t sqes;       /**< [3:0] required, [7:4] maximum SQ entry size, log2 */
	uint8_t cqes;       /**< [3:0] required, [7:4] maximum CQ entry size, log2 */
	uint16_t maxcmd;
	uint32_t nn;
	uint16_t oncs;
	uint16_t fuses;
	uint8_t fna;
	uint8_t vwc;
	uint16_t awun;
	uint16_t awupf;
	uint8_t icsvscc;
	uint8_t nwpc;
	uint16_t acwu;
	union {
		uint16_t ocfs;   /**< Optional Copy Formats Supported (NVMe 2.0 name) */
		uint16_t cdfs;   /**< Copy Descriptor Formats Supported (NVMe 2.1 name) */
	};
	uint32_t sgls;
	uint32_t mnan;
	uint8_t maxdna[16];
	uint32_t maxcna;
	uint8_t reserved564[204];
	char subnqn[256];   /**< NUL padded */
	uint8_t reserved1024[768];
	/* NVMe over Fabrics */
	uint32_t ioccsz;    /**< I/O command capsule size, 16-byte units */
	uint32_t iorcsz;    /**< I/O response capsule size, 16-byte units */
	uint16_t icdoff;    /**< in-capsule data offset, 16-byte units */
	uint8_t fcatt;      /**< bit 0: static controller model */
	uint8_t msdbd;      /**< max SGL data block descriptors */
	uint16_t ofcs;      /**< optional fabric commands supported (bit 0: Disconnect) */
	uint8_t dctype;
	uint8_t reserved1807[241];
	struct nvtcp_nvme_psd psd[32];
	uint8_t vs[1024];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_ctrlr_data, 4096);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, vid, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, ssvid, 2);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, sn, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, mn, 24);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, fr, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, rab, 72);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, ieee, 73);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, cmic, 76);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, mdts, 77);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, cntlid, 78);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, ver, 80);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, rtd3r, 84);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, rtd3e, 88);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, oaes, 92);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, ctratt, 96);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, rrls, 100);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, cntrltype, 111);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, fguid, 112);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, crdt1, 128);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, crdt2, 130);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, crdt3, 132);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, nvmsr, 253);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, vwci, 254);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, mec, 255);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, oacs, 256);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, acl, 258);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, aerl, 259);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, frmw, 260);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, lpa, 261);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, elpe, 262);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, npss, 263);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, avscc, 264);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, apsta, 265);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, wctemp, 266);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, cctemp, 268);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, mtfa, 270);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, hmpre, 272);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, hmmin, 276);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, tnvmcap, 280);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, unvmcap, 296);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, rpmbs, 312);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, edstt, 316);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, dsto, 318);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, fwug, 319);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, kas, 320);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, hctma, 322);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, mntmt, 324);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, mxtmt, 326);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, sanicap, 328);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, hmminds, 332);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, hmmaxd, 336);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, nsetidmax, 338);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, endgidmax, 340);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, anatt, 342);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, anacap, 343);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, anagrpmax, 344);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, nanagrpid, 348);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, pels, 352);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, domainid, 356);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, megcap, 368);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, sqes, 512);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, cqes, 513);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, maxcmd, 514);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, nn, 516);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, oncs, 520);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, fuses, 522);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, fna, 524);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, vwc, 525);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, awun, 526);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, awupf, 528);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, icsvscc, 530);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, nwpc, 531);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, acwu, 532);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, ocfs, 534);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, cdfs, 534);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, sgls, 536);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, mnan, 540);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, maxdna, 544);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, maxcna, 560);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, subnqn, 768);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, ioccsz, 1792);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, iorcsz, 1796);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, icdoff, 1800);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, fcatt, 1802);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, msdbd, 1803);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, ofcs, 1804);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, dctype, 1806);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, psd, 2048);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ctrlr_data, vs, 3072);

/** Controller type (CNTRLTYPE). */
enum nvtcp_nvme_cntrltype {
	NVTCP_NVME_CNTRLTYPE_NOT_REPORTED = 0,
	NVTCP_NVME_CNTRLTYPE_IO = 1,
	NVTCP_NVME_CNTRLTYPE_DISCOVERY = 2,
	NVTCP_NVME_CNTRLTYPE_ADMIN = 3,
};

/* CMIC bits. */
#define NVTCP_NVME_CMIC_MULTI_PORT (1u << 0)
#define NVTCP_NVME_CMIC_MULTI_CTRLR (1u << 1)
#define NVTCP_NVME_CMIC_ANA (1u << 3)
/* OAES bits. */
#define NVTCP_NVME_OAES_NS_ATTRIBUTE_NOTICES (1u << 8)
#define NVTCP_NVME_OAES_FW_ACTIVATION_NOTICES (1u << 9)
#define NVTCP_NVME_OAES_ANA_CHANGE_NOTICES (1u << 11)
#define NVTCP_NVME_OAES_DISCOVERY_LOG_CHANGE_NOTICES (1u << 31)
/* CTRATT bits. */
#define NVTCP_NVME_CTRATT_HOST_ID_128_BIT (1u << 0)
/* OACS bits. */
#define NVTCP_NVME_OACS_SECURITY (1u << 0)
#define NVTCP_NVME_OACS_FORMAT (1u << 1)
#define NVTCP_NVME_OACS_FIRMWARE (1u << 2)
#define NVTCP_NVME_OACS_NS_MANAGEMENT (1u << 3)
#define NVTCP_NVME_OACS_DEVICE_SELF_TEST (1u << 4)
#define NVTCP_NVME_OACS_DIRECTIVES (1u << 5)
#define NVTCP_NVME_OACS_NVME_MI (1u << 6)
#define NVTCP_NVME_OACS_VIRTUALIZATION (1u << 7)
#define NVTCP_NVME_OACS_DOORBELL_BUFFER_CONFIG (1u << 8)
#define NVTCP_NVME_OACS_GET_LBA_STATUS (1u << 9)
/* LPA bits. */
#define NVTCP_NVME_LPA_NS_SMART (1u << 0)
#define NVTCP_NVME_LPA_COMMAND_EFFECTS (1u << 1)
#define NVTCP_NVME_LPA_EXTENDED_DATA (1u << 2)
#define NVTCP_NVME_LPA_TELEMETRY (1u << 3)
#define NVTCP_NVME_LPA_PERSISTENT_EVENT (1u << 4)
/* ONCS bits. */
#define NVTCP_NVME_ONCS_COMPARE (1u << 0)
#define NVTCP_NVME_ONCS_WRITE_UNCORRECTABLE (1u << 1)
#define NVTCP_NVME_ONCS_DSM (1u << 2)
#define NVTCP_NVME_ONCS_WRITE_ZEROES (1u << 3)
#define NVTCP_NVME_ONCS_SAVE_SELECT_FEATURES (1u << 4)
#define NVTCP_NVME_ONCS_RESERVATIONS (1u << 5)
#define NVTCP_NVME_ONCS_TIMESTAMP (1u << 6)
#define NVTCP_NVME_ONCS_VERIFY (1u << 7)
#define NVTCP_NVME_ONCS_COPY (1u << 8)
/* FUSES bits. */
#define NVTCP_NVME_FUSES_COMPARE_AND_WRITE (1u << 0)
/* VWC bits. */
#define NVTCP_NVME_VWC_PRESENT (1u << 0)
/* SGLS bits. */
#define NVTCP_NVME_SGLS_SUPPORT_MASK 0x3u
#define NVTCP_NVME_SGLS_SUPPORTED 0x1u
#define NVTCP_NVME_SGLS_SUPPORTED_DWORD_ALIGNED 0x2u
#define NVTCP_NVME_SGLS_KEYED (1u << 2)
#define NVTCP_NVME_SGLS_BIT_BUCKET (1u << 16)
#define NVTCP_NVME_SGLS_METADATA_BYTE_ALIGNED (1u << 17)
#define NVTCP_NVME_SGLS_LENGTH_LARGER_THAN_DATA (1u << 18)
#define NVTCP_NVME_SGLS_MPTR_SGL (1u << 19)
#define NVTCP_NVME_SGLS_ADDRESS_AS_OFFSET (1u << 20)
#define NVTCP_NVME_SGLS_TRANSPORT (1u << 21)
/* FCATT bits. */
#define NVTCP_NVME_FCATT_STATIC_MODEL (1u << 0)
/* OFCS bits. */
#define NVTCP_NVME_OFCS_DISCONNECT (1u << 0)

/* ============================================================================================
 * Identify Namespace (CNS 00h, NVM command set)
 * ========================================================================================= */

/** Identify Namespace data structure (4096 bytes). */
struct nvtcp_nvme_ns_data {
	uint64_t nsze;      /**< size in logical blocks */
	uint64_t ncap;      /**< capacity in logical blocks */
	uint64_t nuse;      /**< utilization in logical blocks */
	uint8_t nsfeat;
	uint8_t nlbaf;      /**< number of LBA formats, 0's based */
	uint8_t flbas;      /**< format: index [3:0] and [6:5], extended metadata [4] */
	uint8_t mc;
	uint8_t dpc;
	uint8_t dps;
	uint8_t nmic;
	uint8_t rescap;
	uint8_t fpi;
	uint8_t dlfeat;
	uint16_t nawun;
	uint16_t nawupf;
	uint16_t nacwu;
	uint16_t nabsn;
	uint16_t nabo;
	uint16_t nabspf;
	uint16_t noiob;
	uint8_t nvmcap[16];
	uint16_t npwg;
	uint16_t npwa;
	uint16_t npdg;
	uint16_t npda;
	uint16_t nows;
	uint16_t mssrl;
	uint32_t mcl;
	uint8_t msrc;
	uint8_t reserved81[11];
	uint32_t anagrpid;
	uint8_t reserved96[3];
	uint8_t nsattr;
	uint16_t nvmsetid;
	uint16_t endgid;
	uint8_t nguid[16];
	uint8_t eui64[8];
	uint32_t lbaf[64];  /**< MS [15:0], LBADS [23:16], RP [25:24] */
	uint8_t vs[3712];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_ns_data, 4096);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nsze, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, ncap, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nuse, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nsfeat, 24);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nlbaf, 25);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, flbas, 26);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, mc, 27);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, dpc, 28);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, dps, 29);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nmic, 30);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, rescap, 31);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, fpi, 32);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, dlfeat, 33);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nawun, 34);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nawupf, 36);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nacwu, 38);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nabsn, 40);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nabo, 42);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nabspf, 44);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, noiob, 46);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nvmcap, 48);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, npwg, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, npwa, 66);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, npdg, 68);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, npda, 70);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nows, 72);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, mssrl, 74);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, mcl, 76);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, msrc, 80);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, anagrpid, 92);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nsattr, 99);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nvmsetid, 100);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, endgid, 102);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, nguid, 104);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, eui64, 120);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, lbaf, 128);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_data, vs, 384);

/* NSFEAT bits. */
#define NVTCP_NVME_NSFEAT_THIN_PROVISIONING (1u << 0)
#define NVTCP_NVME_NSFEAT_NS_ATOMIC_PARAMS (1u << 1)
#define NVTCP_NVME_NSFEAT_DEALLOCATED_ERROR (1u << 2)
#define NVTCP_NVME_NSFEAT_UIDREUSE (1u << 3)
#define NVTCP_NVME_NSFEAT_OPTPERF (1u << 4)
/* FLBAS bits. */
#define NVTCP_NVME_FLBAS_INDEX_LOW_MASK 0x0Fu
#define NVTCP_NVME_FLBAS_EXTENDED_METADATA (1u << 4)
#define NVTCP_NVME_FLBAS_INDEX_HIGH_MASK 0x60u
/* NMIC bits. */
#define NVTCP_NVME_NMIC_SHARED (1u << 0)
/* NSATTR bits. */
#define NVTCP_NVME_NSATTR_WRITE_PROTECTED (1u << 0)
/* DLFEAT: read behavior of deallocated blocks [2:0]. */
#define NVTCP_NVME_DLFEAT_READ_MASK 0x7u
#define NVTCP_NVME_DLFEAT_READ_ZEROES 0x1u

/** Index of the formatted LBA format: FLBAS bits 3:0, plus bits 6:5 as bits 5:4 of the index. */
static inline uint8_t
nvtcp_nvme_flbas_index(uint8_t flbas)
{
	return (uint8_t)((flbas & NVTCP_NVME_FLBAS_INDEX_LOW_MASK) |
			 ((flbas & NVTCP_NVME_FLBAS_INDEX_HIGH_MASK) >> 1));
}

/** Metadata size (MS) of an LBA format entry. */
static inline uint16_t
nvtcp_nvme_lbaf_ms(uint32_t lbaf)
{
	return lbaf & 0xFFFF;
}

/** LBA data size (LBADS) of an LBA format entry: the block size is 2^LBADS. */
static inline uint8_t
nvtcp_nvme_lbaf_lbads(uint32_t lbaf)
{
	return (lbaf >> 16) & 0xFF;
}

/** Relative performance (RP) of an LBA format entry. */
static inline uint8_t
nvtcp_nvme_lbaf_rp(uint32_t lbaf)
{
	return (lbaf >> 24) & 0x3;
}

/** Build an LBA format entry. */
static inline uint32_t
nvtcp_nvme_lbaf(uint16_t ms, uint8_t lbads, uint8_t rp)
{
	return (uint32_t)ms | ((uint32_t)lbads << 16) | ((uint32_t)(rp & 0x3) << 24);
}

/**
 * Block size of a namespace in bytes, from its formatted LBA format. Data from the network is
 * not trusted: returns 0 when the format index exceeds NLBAF or 64, or LBADS is outside 9..31.
 */
static inline uint32_t
nvtcp_nvme_ns_block_size(const struct nvtcp_nvme_ns_data *ns)
{
	uint8_t idx = nvtcp_nvme_flbas_index(ns->flbas);
	uint8_t lbads;

	if (idx > ns->nlbaf || idx >= 64) {
		return 0;
	}
	lbads = nvtcp_nvme_lbaf_lbads(ns->lbaf[idx]);
	if (lbads < 9 || lbads > 31) {
		return 0;
	}
	return (uint32_t)1 << lbads;
}

/* ---- Namespace Identification Descriptor list (CNS 03h) ---- */

/** Namespace identifier types. */
enum nvtcp_nvme_nidt {
	NVTCP_NVME_NIDT_EUI64 = 0x01,
	NVTCP_NVME_NIDT_NGUID = 0x02,
	NVTCP_NVME_NIDT_UUID = 0x03,
	NVTCP_NVME_NIDT_CSI = 0x04,
};
#define NVTCP_NVME_NIDT_EUI64_LEN 8
#define NVTCP_NVME_NIDT_NGUID_LEN 16
#define NVTCP_NVME_NIDT_UUID_LEN 16
#define NVTCP_NVME_NIDT_CSI_LEN 1

/** Namespace Identification Descriptor header (4 bytes); nidl bytes of identifier follow. */
struct nvtcp_nvme_ns_id_desc {
	uint8_t nidt;     /**< identifier type, NVTCP_NVME_NIDT_* (0 ends the list) */
	uint8_t nidl;     /**< identifier length */
	uint16_t reserved;
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_ns_id_desc, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_id_desc, nidt, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_id_desc, nidl, 1);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ns_id_desc, reserved, 2);

/* ============================================================================================
 * Log pages
 * ========================================================================================= */

/** Error Information log entry (LID 01h, 64 bytes). */
struct nvtcp_nvme_error_log_entry {
	uint64_t error_count;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;     /**< bit 0 phase, bits 15:1 status field */
	uint16_t error_location; /**< byte [7:0] and bit [10:8] of the parameter in error */
	uint64_t lba;
	uint32_t nsid;
	uint8_t vs;
	uint8_t trtype;
	uint8_t reserved30[2];
	uint64_t cs;         /**< command specific information */
	uint16_t trtype_specific;
	uint8_t reserved42[22];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_error_log_entry, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, error_count, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, sqid, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, cid, 10);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, status, 12);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, error_location, 14);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, lba, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, nsid, 24);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, vs, 28);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, trtype, 29);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, cs, 32);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, trtype_specific, 40);
NVTCP_SPEC_OFF(struct nvtcp_nvme_error_log_entry, reserved42, 42);

/** SMART / Health Information log (LID 02h, 512 bytes). 128-bit counters are little-endian. */
struct nvtcp_nvme_health_log {
	uint8_t critical_warning;
	uint16_t temperature;       /**< composite temperature, Kelvin */
	uint8_t available_spare;
	uint8_t available_spare_threshold;
	uint8_t percentage_used;
	uint8_t endurance_group_critical_warning;
	uint8_t reserved7[25];
	uint8_t data_units_read[16];
	uint8_t data_units_written[16];
	uint8_t host_read_commands[16];
	uint8_t host_write_commands[16];
	uint8_t controller_busy_time[16];
	uint8_t power_cycles[16];
	uint8_t power_on_hours[16];
	uint8_t unsafe_shutdowns[16];
	uint8_t media_errors[16];
	uint8_t num_error_info_log_entries[16];
	uint32_t warning_temp_time;
	uint32_t critical_temp_time;
	uint16_t temp_sensor[8];
	uint32_t thm_temp1_trans_count;
	uint32_t thm_temp2_trans_count;
	uint32_t thm_temp1_total_time;
	uint32_t thm_temp2_total_time;
	uint8_t reserved232[280];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_health_log, 512);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, critical_warning, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, temperature, 1);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, available_spare, 3);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, available_spare_threshold, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, percentage_used, 5);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, endurance_group_critical_warning, 6);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, data_units_read, 32);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, data_units_written, 48);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, host_read_commands, 64);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, host_write_commands, 80);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, controller_busy_time, 96);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, power_cycles, 112);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, power_on_hours, 128);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, unsafe_shutdowns, 144);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, media_errors, 160);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, num_error_info_log_entries, 176);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, warning_temp_time, 192);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, critical_temp_time, 196);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, temp_sensor, 200);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, thm_temp1_trans_count, 216);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, thm_temp2_trans_count, 220);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, thm_temp1_total_time, 224);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, thm_temp2_total_time, 228);
NVTCP_SPEC_OFF(struct nvtcp_nvme_health_log, reserved232, 232);

/** Firmware Slot Information log (LID 03h, 512 bytes). */
struct nvtcp_nvme_firmware_log {
	uint8_t afi;         /**< active slot [2:0], next slot [6:4] */
	uint8_t reserved1[7];
	char frs[7][8];      /**< revision of slots 1..7 */
	uint8_t reserved64[448];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_firmware_log, 512);
NVTCP_SPEC_OFF(struct nvtcp_nvme_firmware_log, afi, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_firmware_log, frs, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvme_firmware_log, reserved64, 64);

/** Changed Namespace List log (LID 04h, 4096 bytes). */
#define NVTCP_NVME_CHANGED_NS_LIST_MAX 1024
struct nvtcp_nvme_changed_ns_list {
	/** Changed NSIDs in increasing order, zero-terminated; 0xFFFFFFFF in [0] = more than 1024. */
	uint32_t nsid[NVTCP_NVME_CHANGED_NS_LIST_MAX];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_changed_ns_list, 4096);
NVTCP_SPEC_OFF(struct nvtcp_nvme_changed_ns_list, nsid, 0);

/**
 * Asymmetric Namespace Access log (LID 0Ch): this header, then \p ngrps group descriptors,
 * each followed by its NSIDs (none when the host asked for groups only, LSP bit 0 "RGO").
 */
struct nvtcp_nvme_ana_log_hdr {
	uint64_t chgcnt;     /**< incremented when the page's content changes */
	uint16_t ngrps;      /**< group descriptors that follow */
	uint8_t reserved10[6];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_ana_log_hdr, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ana_log_hdr, chgcnt, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ana_log_hdr, ngrps, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ana_log_hdr, reserved10, 10);

/** One ANA group descriptor of the ANA log; \p nnsids NSIDs (uint32_t) follow it. */
struct nvtcp_nvme_ana_group_desc {
	uint32_t anagrpid;
	uint32_t nnsids;
	uint64_t chgcnt;     /**< incremented when this descriptor changes */
	uint8_t state;       /**< [3:0] ANA state (NVTCP_NVME_ANA_*) */
	uint8_t reserved17[15];
};
NVTCP_SPEC_SIZE(struct nvtcp_nvme_ana_group_desc, 32);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ana_group_desc, anagrpid, 0);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ana_group_desc, nnsids, 4);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ana_group_desc, chgcnt, 8);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ana_group_desc, state, 16);
NVTCP_SPEC_OFF(struct nvtcp_nvme_ana_group_desc, reserved17, 17);

/** ANA states (group descriptor byte 16, bits 3:0). */
#define NVTCP_NVME_ANA_OPTIMIZED 0x1u
#define NVTCP_NVME_ANA_NON_OPTIMIZED 0x2u
#define NVTCP_NVME_ANA_INACCESSIBLE 0x3u
#define NVTCP_NVME_ANA_PERSISTENT_LOSS 0x4u
#define NVTCP_NVME_ANA_CHANGE 0xFu
/** Get Log Page LSP bit 0 of the ANA log (CDW10 bit 8): Return Groups Only. */
#define NVTCP_NVME_ANA_LOG_LSP_RGO (1u << 8)
/* ANACAP bits (Identify Controller byte 343). */
#define NVTCP_NVME_ANACAP_OPTIMIZED (1u << 0)
#define NVTCP_NVME_ANACAP_NON_OPTIMIZED (1u << 1)
#define NVTCP_NVME_ANACAP_INACCESSIBLE (1u << 2)
#define NVTCP_NVME_ANACAP_PERSISTENT_LOSS (1u << 3)
#define NVTCP_NVME_ANACAP_CHANGE (1u << 4)
#define NVTCP_NVME_ANACAP_GRPID_STATIC (1u << 6)

#pragma pack(pop)

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_NVME_DATA_SPEC_H */
