/*
 * Unit tests of include/nvtcp/nvme_spec.h (with nvme_data_spec.h and nvmf_spec.h, which it
 * includes): the header compiles alone (it is the first include), known byte images from the
 * specifications, and encode/decode round trips of the helpers.
 */
#include "nvtcp/nvme_spec.h"

#include <string.h>

#include "ut.h"

/* Serialise a structure to its bytes (what goes on the wire). */
#define TO_BYTES(dst, obj) memcpy((dst), &(obj), sizeof(obj))

static void
test_connect_cmd_image(void)
{
	static const uint8_t expect[64] = {
		0x7F, 0x40, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* opc flags cid fctype */
		0, 0, 0, 0, 0, 0, 0, 0,                                     /* reserved */
		0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x04, 0x00, 0x00, 0, 0, 0, 0x01, /* SGL: 1024 in capsule */
		0x00, 0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00,             /* recfmt qid sqsize cattr */
		0x88, 0x13, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* kato 5000 */
	};
	struct nvtcp_nvmf_connect_cmd cmd;
	struct nvtcp_nvmf_connect_cmd back;
	uint8_t bytes[64];

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	cmd.cid = 1;
	cmd.fctype = NVTCP_NVMF_FCTYPE_CONNECT;
	nvtcp_nvme_sgl_set_incapsule(&cmd.sgl1, 0, sizeof(struct nvtcp_nvmf_connect_data));
	cmd.recfmt = 0;
	cmd.qid = 0;
	cmd.sqsize = 31;
	cmd.kato = 5000;
	TO_BYTES(bytes, cmd);
	CU_ASSERT(memcmp(bytes, expect, sizeof(expect)) == 0);

	/* Parse back through the generic SQE and the Fabrics overlay. */
	memcpy(&back, expect, sizeof(back));
	CU_ASSERT_EQUAL(back.qid, 0);
	CU_ASSERT_EQUAL(back.sqsize, 31);
	CU_ASSERT_EQUAL(back.kato, 5000);
	CU_ASSERT_EQUAL(back.sgl1.length, 1024);
	CU_ASSERT_EQUAL(nvtcp_nvme_sgl_type(&back.sgl1), NVTCP_NVME_SGL_TYPE_DATA_BLOCK);
	CU_ASSERT_EQUAL(nvtcp_nvme_sgl_subtype(&back.sgl1), NVTCP_NVME_SGL_SUBTYPE_OFFSET);

	struct nvtcp_nvme_cmd sqe;
	memcpy(&sqe, expect, sizeof(sqe));
	CU_ASSERT_EQUAL(sqe.opc, 0x7F);
	CU_ASSERT_EQUAL(nvtcp_nvme_cmd_psdt(&sqe), 1);
	CU_ASSERT_EQUAL(nvtcp_nvme_cmd_fuse(&sqe), 0);
	CU_ASSERT_EQUAL(sqe.cid, 1);
	CU_ASSERT_EQUAL(nvtcp_nvmf_cmd_fctype(&sqe), NVTCP_NVMF_FCTYPE_CONNECT);
	CU_ASSERT_EQUAL(nvtcp_nvme_cmd_data_xfer(&sqe), NVTCP_NVME_DATA_HOST_TO_CTRLR);
	CU_ASSERT_EQUAL(sqe.dptr.sgl1.id, NVTCP_NVME_SGL_ID_INCAPSULE);
	CU_ASSERT_EQUAL(sqe.cdw10, 0x00000000u);       /* recfmt 0, qid 0 */
	CU_ASSERT_EQUAL(sqe.cdw11, 0x0000001Fu);       /* sqsize 31, cattr 0 */
	CU_ASSERT_EQUAL(sqe.cdw12, 5000u);             /* kato */
}

static void
test_connect_data(void)
{
	struct nvtcp_nvmf_connect_data data;
	uint8_t bytes[1024];
	const char *subnqn = "nqn.2016-06.io.example:sub1";
	const char *hostnqn = NVTCP_NVMF_NQN_UUID_PREFIX "00000000-0000-0000-0000-000000000001";

	memset(&data, 0, sizeof(data));
	for (int i = 0; i < 16; i++) {
		data.hostid[i] = (uint8_t)(0xA0 + i);
	}
	data.cntlid = NVTCP_NVMF_CNTLID_DYNAMIC;
	memcpy(data.subnqn, subnqn, strlen(subnqn));
	memcpy(data.hostnqn, hostnqn, strlen(hostnqn));
	TO_BYTES(bytes, data);
	CU_ASSERT_EQUAL(bytes[0], 0xA0);
	CU_ASSERT_EQUAL(bytes[15], 0xAF);
	CU_ASSERT_EQUAL(bytes[16], 0xFF);
	CU_ASSERT_EQUAL(bytes[17], 0xFF);
	CU_ASSERT(memcmp(bytes + 256, subnqn, strlen(subnqn)) == 0);
	CU_ASSERT(memcmp(bytes + 512, hostnqn, strlen(hostnqn)) == 0);
	CU_ASSERT_EQUAL(bytes[512 + strlen(hostnqn)], 0);
	CU_ASSERT(strlen(hostnqn) <= NVTCP_NVMF_NQN_MAX_LEN);
	CU_ASSERT_STRING_EQUAL(NVTCP_NVMF_DISCOVERY_NQN, "nqn.2014-08.org.nvmexpress.discovery");
	CU_ASSERT_EQUAL(NVTCP_NVMF_PORT_IO, 4420);
	CU_ASSERT_EQUAL(NVTCP_NVMF_PORT_DISCOVERY, 8009);
}

static void
test_connect_rsp(void)
{
	uint32_t cdw0 = 0x00040001u; /* cntlid 1, AUTHREQ ATR */

	CU_ASSERT_EQUAL(nvtcp_nvmf_connect_rsp_cntlid(cdw0), 1);
	CU_ASSERT_EQUAL(nvtcp_nvmf_connect_rsp_authreq(cdw0), 0x0004);
	CU_ASSERT(cdw0 & NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ASCR);
	CU_ASSERT_FALSE(cdw0 & NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR);

	/* Invalid parameter: SUBNQN in the data (offset 256), QID in the SQE (offset 42). */
	cdw0 = nvtcp_nvmf_connect_rsp_invalid(true, 256);
	CU_ASSERT_EQUAL(cdw0, 0x00010100u);
	CU_ASSERT_EQUAL(nvtcp_nvmf_connect_rsp_ipo(cdw0), 256);
	CU_ASSERT_EQUAL(nvtcp_nvmf_connect_rsp_iattr(cdw0), NVTCP_NVMF_CONNECT_RSP_IATTR_DATA);
	cdw0 = nvtcp_nvmf_connect_rsp_invalid(false, 42);
	CU_ASSERT_EQUAL(cdw0, 42u);
	CU_ASSERT_EQUAL(nvtcp_nvmf_connect_rsp_iattr(cdw0), 0);
}

static void
test_property_set_cc_image(void)
{
	struct nvtcp_nvmf_prop_set_cmd cmd;
	uint8_t bytes[64];
	uint32_t cc = nvtcp_nvme_cc_enable_value(0);

	/* The value a Linux NVM controller needs: EN with IOSQES 6 and IOCQES 4. */
	CU_ASSERT_EQUAL(cc, 0x00460001u);
	CU_ASSERT(nvtcp_nvme_cc_en(cc));
	CU_ASSERT_EQUAL(nvtcp_nvme_cc_css(cc), NVTCP_NVME_CC_CSS_NVM);
	CU_ASSERT_EQUAL(nvtcp_nvme_cc_mps(cc), 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_cc_ams(cc), 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_cc_shn(cc), NVTCP_NVME_SHN_NONE);
	CU_ASSERT_EQUAL(nvtcp_nvme_cc_iosqes(cc), 6);
	CU_ASSERT_EQUAL(nvtcp_nvme_cc_iocqes(cc), 4);
	CU_ASSERT_EQUAL(nvtcp_nvme_cc_shn(cc | (NVTCP_NVME_SHN_NORMAL << NVTCP_NVME_CC_SHN_SHIFT)),
			NVTCP_NVME_SHN_NORMAL);

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	cmd.cid = 0x0203;
	cmd.fctype = NVTCP_NVMF_FCTYPE_PROPERTY_SET;
	cmd.attrib = NVTCP_NVMF_PROP_SIZE_4;
	cmd.ofst = NVTCP_NVME_PROP_CC;
	cmd.value = cc;
	TO_BYTES(bytes, cmd);
	CU_ASSERT_EQUAL(bytes[0], 0x7F);
	CU_ASSERT_EQUAL(bytes[2], 0x03);
	CU_ASSERT_EQUAL(bytes[3], 0x02);
	CU_ASSERT_EQUAL(bytes[4], 0x00);
	CU_ASSERT_EQUAL(bytes[40], 0x00);
	CU_ASSERT_EQUAL(bytes[44], 0x14);
	CU_ASSERT_EQUAL(bytes[48], 0x01);
	CU_ASSERT_EQUAL(bytes[49], 0x00);
	CU_ASSERT_EQUAL(bytes[50], 0x46);
	CU_ASSERT_EQUAL(bytes[51], 0x00);
	CU_ASSERT_EQUAL(nvtcp_nvme_prop_size(NVTCP_NVME_PROP_CAP), 8);
	CU_ASSERT_EQUAL(nvtcp_nvme_prop_size(NVTCP_NVME_PROP_CC), 4);
	CU_ASSERT_EQUAL(nvtcp_nvme_prop_size(NVTCP_NVME_PROP_CSTS), 4);
	CU_ASSERT_EQUAL(nvtcp_nvme_prop_size(NVTCP_NVME_PROP_ASQ), 8);

	/* Property Get of CAP: attrib 1 (8 bytes) at byte 40, ofst 0 at 44. */
	struct nvtcp_nvmf_prop_get_cmd get;
	memset(&get, 0, sizeof(get));
	get.fctype = NVTCP_NVMF_FCTYPE_PROPERTY_GET;
	get.attrib = NVTCP_NVMF_PROP_SIZE_8;
	get.ofst = NVTCP_NVME_PROP_VS;
	TO_BYTES(bytes, get);
	CU_ASSERT_EQUAL(bytes[4], 0x04);
	CU_ASSERT_EQUAL(bytes[40], 0x01);
	CU_ASSERT_EQUAL(bytes[44], 0x08);
}

static void
test_registers(void)
{
	/* MQES 127, CQR, TO 30 (15 s), DSTRD 0, CSS NVM, MPSMIN 0, MPSMAX 4. */
	uint64_t cap = 127 | NVTCP_NVME_CAP_CQR | (30ull << NVTCP_NVME_CAP_TO_SHIFT) |
		       ((uint64_t)NVTCP_NVME_CAP_CSS_NVM << NVTCP_NVME_CAP_CSS_SHIFT) |
		       (4ull << NVTCP_NVME_CAP_MPSMAX_SHIFT) | NVTCP_NVME_CAP_CMBS;

	CU_ASSERT_EQUAL(cap, 0x024000201E01007Full);
	CU_ASSERT_EQUAL(nvtcp_nvme_cap_mqes(cap), 127);
	CU_ASSERT(nvtcp_nvme_cap_cqr(cap));
	CU_ASSERT_EQUAL(nvtcp_nvme_cap_ams(cap), 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_cap_to(cap), 30);
	CU_ASSERT_EQUAL(nvtcp_nvme_cap_dstrd(cap), 0);
	CU_ASSERT_FALSE(nvtcp_nvme_cap_nssrs(cap));
	CU_ASSERT_EQUAL(nvtcp_nvme_cap_css(cap), NVTCP_NVME_CAP_CSS_NVM);
	CU_ASSERT_EQUAL(nvtcp_nvme_cap_mpsmin(cap), 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_cap_mpsmax(cap), 4);
	CU_ASSERT(nvtcp_nvme_cap_cmbs(cap));
	CU_ASSERT_FALSE(nvtcp_nvme_cap_pmrs(cap));

	CU_ASSERT_EQUAL(NVTCP_NVME_VS(1, 4, 0), 0x00010400u);
	CU_ASSERT_EQUAL(nvtcp_nvme_vs_major(0x00020001u), 2);
	CU_ASSERT_EQUAL(nvtcp_nvme_vs_minor(0x00020001u), 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_vs_tertiary(0x00020001u), 1);

	uint32_t csts = NVTCP_NVME_CSTS_RDY | (NVTCP_NVME_SHST_COMPLETE << NVTCP_NVME_CSTS_SHST_SHIFT);
	CU_ASSERT_EQUAL(csts, 0x9u);
	CU_ASSERT(nvtcp_nvme_csts_rdy(csts));
	CU_ASSERT_FALSE(nvtcp_nvme_csts_cfs(csts));
	CU_ASSERT_EQUAL(nvtcp_nvme_csts_shst(csts), NVTCP_NVME_SHST_COMPLETE);
	CU_ASSERT(nvtcp_nvme_csts_cfs(NVTCP_NVME_CSTS_CFS));
	CU_ASSERT(nvtcp_nvme_csts_nssro(NVTCP_NVME_CSTS_NSSRO));
	CU_ASSERT(nvtcp_nvme_csts_pp(NVTCP_NVME_CSTS_PP));
}

static void
test_cpl_and_status(void)
{
	struct nvtcp_nvme_cpl cpl;
	uint8_t bytes[16];

	memset(&cpl, 0, sizeof(cpl));
	cpl.cdw0 = 0x11223344;
	cpl.sqhd = 5;
	cpl.sqid = 2;
	cpl.cid = 0xBEEF;
	cpl.status = nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true);
	TO_BYTES(bytes, cpl);
	CU_ASSERT_EQUAL(bytes[0], 0x44);
	CU_ASSERT_EQUAL(bytes[8], 5);
	CU_ASSERT_EQUAL(bytes[10], 2);
	CU_ASSERT_EQUAL(bytes[12], 0xEF);  /* CID at byte 12 */
	CU_ASSERT_EQUAL(bytes[13], 0xBE);
	CU_ASSERT_EQUAL(bytes[14], 0x04);  /* status at byte 14: SC 2 in bits 8:1 */
	CU_ASSERT_EQUAL(bytes[15], 0x80);  /* DNR */
	CU_ASSERT(nvtcp_nvme_cpl_is_error(&cpl));

	CU_ASSERT_EQUAL(nvtcp_nvme_status(0, NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR, false),
			0x0044);
	CU_ASSERT_EQUAL(nvtcp_nvme_status(NVTCP_NVME_SCT_COMMAND_SPECIFIC,
					  NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS, true), 0x8304);
	CU_ASSERT_EQUAL(nvtcp_nvme_status(NVTCP_NVME_SCT_MEDIA_ERROR, NVTCP_NVME_SC_COMPARE_FAILURE,
					  false), 0x050A);
	CU_ASSERT_FALSE(nvtcp_nvme_status_is_error(0x0001)); /* phase bit alone is success */

	/* Every SCT/SC/DNR combination survives a round trip, and nothing else is set. */
	for (unsigned sct = 0; sct < 8; sct++) {
		for (unsigned sc = 0; sc < 256; sc++) {
			for (int dnr = 0; dnr < 2; dnr++) {
				uint16_t s = nvtcp_nvme_status((uint8_t)sct, (uint8_t)sc, dnr);

				CU_ASSERT_EQUAL(nvtcp_nvme_status_sct(s), sct);
				CU_ASSERT_EQUAL(nvtcp_nvme_status_sc(s), sc);
				CU_ASSERT_EQUAL(nvtcp_nvme_status_dnr(s), dnr);
				CU_ASSERT_FALSE(nvtcp_nvme_status_more(s));
				CU_ASSERT_EQUAL(nvtcp_nvme_status_crd(s), 0);
				CU_ASSERT_FALSE(nvtcp_nvme_status_phase(s));
				CU_ASSERT_EQUAL(nvtcp_nvme_status_is_error(s), sct != 0 || sc != 0);
			}
		}
	}
	CU_ASSERT(nvtcp_nvme_status_more(0x4000));
	CU_ASSERT_EQUAL(nvtcp_nvme_status_crd(0x3000), 3);
	CU_ASSERT(nvtcp_nvme_status_phase(0x0001));
}

static void
test_status_strings(void)
{
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sc_str(0, 0x22), "Transient Transport Error");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sc_str(0, 0x00), "Successful Completion");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sc_str(0, 0x80), "LBA Out of Range");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sc_str(1, 0x09), "Invalid Log Page");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sc_str(1, 0x82), "Attempted Write to Read Only Range");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_cmd_sc_str(NVTCP_NVME_OPC_FABRICS, 1, 0x82),
			       "Connect Invalid Parameters");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_cmd_sc_str(NVTCP_NVME_OPC_FABRICS, 1, 0x01),
			       "Invalid Queue Identifier");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_cmd_sc_str(NVTCP_NVME_OPC_WRITE, 1, 0x82),
			       "Attempted Write to Read Only Range");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sc_str(2, 0x85), "Compare Failure");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sc_str(3, 0x71), "Command Aborted By Host");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sc_str(3, 0x60), "Controller Pathing Error");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sc_str(7, 0x01), "Vendor Specific Status");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sc_str(5, 0x01), "Reserved Status Code Type");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_status_str(0x8304), "Attempted Write to Read Only Range");
	CU_ASSERT_STRING_EQUAL(nvtcp_nvme_sct_str(2), "Media and Data Integrity Errors");
	/* Every code has a printable name. */
	for (unsigned sct = 0; sct < 8; sct++) {
		for (unsigned sc = 0; sc < 256; sc++) {
			const char *s = nvtcp_nvme_sc_str((uint8_t)sct, (uint8_t)sc);

			CU_ASSERT_PTR_NOT_NULL_FATAL(s);
			CU_ASSERT(strlen(s) > 0);
		}
	}
}

static void
test_sqe_round_trip(void)
{
	struct nvtcp_nvme_cmd cmd, back;
	uint8_t bytes[64];

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_READ;
	cmd.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	cmd.cid = 0x1234;
	cmd.nsid = 1;
	cmd.mptr = 0x0102030405060708ull;
	nvtcp_nvme_sgl_set_transport(&cmd.dptr.sgl1, 8192);
	nvtcp_nvme_rw_set(&cmd, 0x123456789Aull, 16, NVTCP_NVME_RW_CDW12_FUA);
	TO_BYTES(bytes, cmd);
	CU_ASSERT_EQUAL(bytes[0], 0x02);
	CU_ASSERT_EQUAL(bytes[1], 0x40);
	CU_ASSERT_EQUAL(bytes[2], 0x34);
	CU_ASSERT_EQUAL(bytes[4], 0x01);
	CU_ASSERT_EQUAL(bytes[16], 0x08);
	CU_ASSERT_EQUAL(bytes[32], 0x00);  /* SGL length 8192 */
	CU_ASSERT_EQUAL(bytes[33], 0x20);
	CU_ASSERT_EQUAL(bytes[39], 0x5A);  /* transport data block */
	CU_ASSERT_EQUAL(bytes[40], 0x9A);  /* SLBA low */
	CU_ASSERT_EQUAL(bytes[44], 0x12);  /* SLBA high */
	CU_ASSERT_EQUAL(bytes[48], 15);    /* NLB 0's based */
	CU_ASSERT_EQUAL(bytes[51], 0x40);  /* FUA, bit 30 */
	memcpy(&back, bytes, sizeof(back));
	CU_ASSERT(memcmp(&back, &cmd, sizeof(cmd)) == 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_rw_slba(&back), 0x123456789Aull);
	CU_ASSERT_EQUAL(nvtcp_nvme_rw_nlb(&back), 16);
	CU_ASSERT_EQUAL(nvtcp_nvme_sgl_type(&back.dptr.sgl1), NVTCP_NVME_SGL_TYPE_TRANSPORT_DATA_BLOCK);
	CU_ASSERT_EQUAL(nvtcp_nvme_sgl_subtype(&back.dptr.sgl1), NVTCP_NVME_SGL_SUBTYPE_TRANSPORT);
	CU_ASSERT_EQUAL(NVTCP_NVME_SGL_ID(5, 0xA), 0x5A);
	CU_ASSERT_EQUAL(NVTCP_NVME_SGL_ID(0, 1), 0x01);

	nvtcp_nvme_rw_set(&cmd, 0, NVTCP_NVME_RW_MAX_BLOCKS, 0);
	CU_ASSERT_EQUAL(cmd.cdw12, 0xFFFFu);
	CU_ASSERT_EQUAL(nvtcp_nvme_rw_nlb(&cmd), 65536);
}

static void
test_data_direction(void)
{
	struct nvtcp_nvme_cmd cmd;

	CU_ASSERT_EQUAL(nvtcp_nvme_opc_data_xfer(NVTCP_NVME_OPC_FLUSH), NVTCP_NVME_DATA_NONE);
	CU_ASSERT_EQUAL(nvtcp_nvme_opc_data_xfer(NVTCP_NVME_OPC_WRITE), NVTCP_NVME_DATA_HOST_TO_CTRLR);
	CU_ASSERT_EQUAL(nvtcp_nvme_opc_data_xfer(NVTCP_NVME_OPC_READ), NVTCP_NVME_DATA_CTRLR_TO_HOST);
	CU_ASSERT_EQUAL(nvtcp_nvme_opc_data_xfer(NVTCP_NVME_OPC_COMPARE),
			NVTCP_NVME_DATA_HOST_TO_CTRLR);
	CU_ASSERT_EQUAL(nvtcp_nvme_opc_data_xfer(NVTCP_NVME_OPC_DATASET_MANAGEMENT),
			NVTCP_NVME_DATA_HOST_TO_CTRLR);
	CU_ASSERT_EQUAL(nvtcp_nvme_opc_data_xfer(NVTCP_NVME_OPC_IDENTIFY),
			NVTCP_NVME_DATA_CTRLR_TO_HOST);
	CU_ASSERT_EQUAL(nvtcp_nvme_opc_data_xfer(NVTCP_NVME_OPC_GET_LOG_PAGE),
			NVTCP_NVME_DATA_CTRLR_TO_HOST);
	CU_ASSERT_EQUAL(nvtcp_nvme_opc_data_xfer(NVTCP_NVME_OPC_KEEP_ALIVE), NVTCP_NVME_DATA_NONE);

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.nsid = NVTCP_NVMF_FCTYPE_PROPERTY_GET; /* byte 4 is FCTYPE for Fabrics commands */
	CU_ASSERT_EQUAL(nvtcp_nvme_cmd_data_xfer(&cmd), NVTCP_NVME_DATA_NONE);
	cmd.nsid = NVTCP_NVMF_FCTYPE_AUTHENTICATION_RECV;
	CU_ASSERT_EQUAL(nvtcp_nvme_cmd_data_xfer(&cmd), NVTCP_NVME_DATA_CTRLR_TO_HOST);
	cmd.nsid = NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND;
	CU_ASSERT_EQUAL(nvtcp_nvme_cmd_data_xfer(&cmd), NVTCP_NVME_DATA_HOST_TO_CTRLR);
	cmd.nsid = NVTCP_NVMF_FCTYPE_DISCONNECT;
	CU_ASSERT_EQUAL(nvtcp_nvme_cmd_data_xfer(&cmd), NVTCP_NVME_DATA_NONE);
	cmd.opc = NVTCP_NVME_OPC_WRITE;
	CU_ASSERT_EQUAL(nvtcp_nvme_cmd_data_xfer(&cmd), NVTCP_NVME_DATA_HOST_TO_CTRLR);
}

static void
test_admin_fields(void)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	/* 4 KiB of the Discovery log from offset 8 KiB, RAE set. */
	nvtcp_nvme_get_log_page_set(&cmd, NVTCP_NVME_LOG_DISCOVERY, true, 4096, 8192);
	CU_ASSERT_EQUAL(cmd.cdw10, 0x03FF8070u);
	CU_ASSERT_EQUAL(cmd.cdw11, 0);
	CU_ASSERT_EQUAL(cmd.cdw12, 8192);
	CU_ASSERT_EQUAL(cmd.cdw13, 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_get_log_page_lid(&cmd), 0x70);
	CU_ASSERT_EQUAL(nvtcp_nvme_get_log_page_len(&cmd), 4096);
	CU_ASSERT_EQUAL(nvtcp_nvme_get_log_page_offset(&cmd), 8192);
	/* 1 MiB needs NUMDU; a 64-bit offset needs LPOU. */
	nvtcp_nvme_get_log_page_set(&cmd, NVTCP_NVME_LOG_ERROR, false, 1u << 20, 0x100000004ull);
	CU_ASSERT_EQUAL(cmd.cdw10, 0xFFFF0001u);
	CU_ASSERT_EQUAL(cmd.cdw11, 0x3);
	CU_ASSERT_EQUAL(cmd.cdw12, 4);
	CU_ASSERT_EQUAL(cmd.cdw13, 1);
	CU_ASSERT_EQUAL(nvtcp_nvme_get_log_page_len(&cmd), 1u << 20);
	CU_ASSERT_EQUAL(nvtcp_nvme_get_log_page_offset(&cmd), 0x100000004ull);
	/* Smallest request: one dword. */
	nvtcp_nvme_get_log_page_set(&cmd, NVTCP_NVME_LOG_HEALTH_INFORMATION, false, 4, 0);
	CU_ASSERT_EQUAL(cmd.cdw10, 0x02u);
	CU_ASSERT_EQUAL(nvtcp_nvme_get_log_page_len(&cmd), 4);

	CU_ASSERT_EQUAL(NVTCP_NVME_IDENTIFY_CDW10(NVTCP_NVME_IDENTIFY_CTRLR, 0), 1u);
	CU_ASSERT_EQUAL(NVTCP_NVME_IDENTIFY_CDW10(NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST, 7),
			0x00070003u);
	CU_ASSERT_EQUAL(NVTCP_NVME_IDENTIFY_CDW11(0, NVTCP_NVME_CSI_ZNS), 0x02000000u);
	CU_ASSERT_EQUAL(NVTCP_NVME_ABORT_CDW10(3, 0x1234), 0x12340003u);

	CU_ASSERT_EQUAL(nvtcp_nvme_feat_num_queues(4, 4), 0x00030003u);
	CU_ASSERT_EQUAL(nvtcp_nvme_feat_num_queues(65535, 1), 0x0000FFFEu);
	CU_ASSERT_EQUAL(nvtcp_nvme_feat_num_queues_nsq(0x00070003u), 4);
	CU_ASSERT_EQUAL(nvtcp_nvme_feat_num_queues_ncq(0x00070003u), 8);
	CU_ASSERT_EQUAL(nvtcp_nvme_feat_num_queues_ncq(0xFFFF0000u), 65536);

	/* AER: notice, namespace attribute changed, changed namespace list log. */
	uint32_t aer = nvtcp_nvme_aer_cdw0(NVTCP_NVME_AER_TYPE_NOTICE,
					   NVTCP_NVME_AER_NOTICE_NS_ATTR_CHANGED,
					   NVTCP_NVME_LOG_CHANGED_NS_LIST);
	CU_ASSERT_EQUAL(aer, 0x00040002u);
	CU_ASSERT_EQUAL(nvtcp_nvme_aer_type(0x70F002u), NVTCP_NVME_AER_TYPE_NOTICE);
	CU_ASSERT_EQUAL(nvtcp_nvme_aer_info(0x70F002u), NVTCP_NVME_AER_NOTICE_DISCOVERY_LOG_CHANGE);
	CU_ASSERT_EQUAL(nvtcp_nvme_aer_log_page(0x70F002u), NVTCP_NVME_LOG_DISCOVERY);

	CU_ASSERT_EQUAL(nvtcp_nvme_dsm_cdw10(1), 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_dsm_cdw10(256), 255);
	CU_ASSERT_EQUAL(NVTCP_NVME_DSM_ATTR_DEALLOCATE, 4u);

	struct nvtcp_nvme_dsm_range r = { .cattr = 0, .nlb = 8, .slba = 0x1000 };
	uint8_t bytes[16];
	TO_BYTES(bytes, r);
	CU_ASSERT_EQUAL(bytes[4], 8);
	CU_ASSERT_EQUAL(bytes[9], 0x10);
}

static void
test_identify_ns(void)
{
	static struct nvtcp_nvme_ns_data ns;
	uint8_t *bytes = (uint8_t *)&ns;

	memset(&ns, 0, sizeof(ns));
	/* Format 0: 512 bytes; format 53 (needs FLBAS bits 6:5): 4096 bytes + 8 metadata. */
	ns.nlbaf = 63;
	ns.lbaf[0] = nvtcp_nvme_lbaf(0, 9, 2);
	ns.lbaf[53] = nvtcp_nvme_lbaf(8, 12, 0);
	ns.flbas = 0x65; /* index 5 | (3 << 4), extended metadata clear */
	CU_ASSERT_EQUAL(nvtcp_nvme_flbas_index(ns.flbas), 53);
	CU_ASSERT_EQUAL(nvtcp_nvme_ns_block_size(&ns), 4096);
	CU_ASSERT_EQUAL(nvtcp_nvme_lbaf_ms(ns.lbaf[53]), 8);
	CU_ASSERT_EQUAL(nvtcp_nvme_lbaf_lbads(ns.lbaf[53]), 12);
	CU_ASSERT_EQUAL(nvtcp_nvme_lbaf_rp(ns.lbaf[0]), 2);
	/* LBAF[53] as it sits on the wire: byte 128 + 4 * 53. */
	CU_ASSERT_EQUAL(bytes[128 + 4 * 53 + 0], 8);
	CU_ASSERT_EQUAL(bytes[128 + 4 * 53 + 2], 12);
	ns.flbas = 0x10; /* index 0, extended metadata */
	CU_ASSERT_EQUAL(nvtcp_nvme_flbas_index(ns.flbas), 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_ns_block_size(&ns), 512);
	/* Untrusted data: an index beyond NLBAF, or a silly LBADS, gives 0 rather than garbage. */
	ns.nlbaf = 0;
	ns.flbas = 1;
	CU_ASSERT_EQUAL(nvtcp_nvme_ns_block_size(&ns), 0);
	ns.flbas = 0;
	ns.lbaf[0] = nvtcp_nvme_lbaf(0, 64, 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_ns_block_size(&ns), 0);
	ns.lbaf[0] = nvtcp_nvme_lbaf(0, 3, 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_ns_block_size(&ns), 0);

	ns.nsze = 0x0102030405060708ull;
	CU_ASSERT_EQUAL(bytes[0], 0x08);
	ns.nguid[0] = 0xAB;
	ns.eui64[0] = 0xCD;
	CU_ASSERT_EQUAL(bytes[104], 0xAB);
	CU_ASSERT_EQUAL(bytes[120], 0xCD);

	struct nvtcp_nvme_ns_id_desc d = { .nidt = NVTCP_NVME_NIDT_UUID,
					   .nidl = NVTCP_NVME_NIDT_UUID_LEN };
	uint8_t db[4];
	TO_BYTES(db, d);
	CU_ASSERT_EQUAL(db[0], 3);
	CU_ASSERT_EQUAL(db[1], 16);
	CU_ASSERT_EQUAL(NVTCP_NVME_NIDT_EUI64_LEN, 8);
	CU_ASSERT_EQUAL(NVTCP_NVME_NIDT_CSI_LEN, 1);
}

static void
test_identify_ctrlr(void)
{
	static struct nvtcp_nvme_ctrlr_data cd;
	uint8_t *bytes = (uint8_t *)&cd;

	memset(&cd, 0, sizeof(cd));
	memcpy(cd.sn, "SN0001", 6);
	cd.mdts = 5;
	cd.cntlid = 0x0102;
	cd.ver = NVTCP_NVME_VS(2, 0, 0);
	cd.kas = 10;
	cd.sqes = 0x66;
	cd.cqes = 0x44;
	cd.nn = 32;
	cd.oncs = NVTCP_NVME_ONCS_DSM | NVTCP_NVME_ONCS_WRITE_ZEROES;
	cd.vwc = NVTCP_NVME_VWC_PRESENT;
	cd.sgls = NVTCP_NVME_SGLS_SUPPORTED | NVTCP_NVME_SGLS_ADDRESS_AS_OFFSET;
	memcpy(cd.subnqn, "nqn.x", 5);
	cd.ioccsz = 1028;
	cd.icdoff = 0;
	cd.msdbd = 1;
	cd.psd[0].mp = 0x1234;
	cd.vs[0] = 0x77;
	CU_ASSERT(memcmp(bytes + 4, "SN0001", 6) == 0);
	CU_ASSERT_EQUAL(bytes[77], 5);
	CU_ASSERT_EQUAL(bytes[78], 0x02);
	CU_ASSERT_EQUAL(bytes[82], 0x02);    /* VER major at bytes 82-83 */
	CU_ASSERT_EQUAL(bytes[320], 10);
	CU_ASSERT_EQUAL(bytes[512], 0x66);
	CU_ASSERT_EQUAL(bytes[513], 0x44);
	CU_ASSERT_EQUAL(bytes[516], 32);
	CU_ASSERT_EQUAL(bytes[520], 0x0C);
	CU_ASSERT_EQUAL(bytes[525], 1);
	CU_ASSERT_EQUAL(bytes[536], 0x01);
	CU_ASSERT_EQUAL(bytes[538], 0x10);
	CU_ASSERT(memcmp(bytes + 768, "nqn.x", 5) == 0);
	CU_ASSERT_EQUAL(bytes[1792], 0x04);
	CU_ASSERT_EQUAL(bytes[1793], 0x04);
	CU_ASSERT_EQUAL(bytes[1803], 1);
	CU_ASSERT_EQUAL(bytes[2048], 0x34);
	CU_ASSERT_EQUAL(bytes[3072], 0x77);
	cd.ocfs = 0x0003;
	CU_ASSERT_EQUAL(cd.cdfs, 0x0003);
	CU_ASSERT_EQUAL(bytes[534], 0x03);
}

static void
test_log_pages(void)
{
	struct nvtcp_nvme_error_log_entry e;
	static struct nvtcp_nvme_health_log h;
	static struct nvtcp_nvme_changed_ns_list c;
	uint8_t b[64];

	memset(&e, 0, sizeof(e));
	e.error_count = 7;
	e.sqid = 1;
	e.cid = 0x22;
	e.status = (uint16_t)(nvtcp_nvme_status(0, NVTCP_NVME_SC_INVALID_FIELD, true));
	e.nsid = 1;
	e.trtype = NVTCP_NVMF_TRTYPE_TCP;
	e.cs = 9;
	TO_BYTES(b, e);
	CU_ASSERT_EQUAL(b[0], 7);
	CU_ASSERT_EQUAL(b[8], 1);
	CU_ASSERT_EQUAL(b[10], 0x22);
	CU_ASSERT_EQUAL(b[12], 0x04);
	CU_ASSERT_EQUAL(b[24], 1);
	CU_ASSERT_EQUAL(b[29], 3);
	CU_ASSERT_EQUAL(b[32], 9);

	memset(&h, 0, sizeof(h));
	h.temperature = 300;
	h.percentage_used = 3;
	h.power_on_hours[0] = 0x10;
	h.media_errors[0] = 1;
	CU_ASSERT_EQUAL(((uint8_t *)&h)[1], 300 & 0xFF);
	CU_ASSERT_EQUAL(((uint8_t *)&h)[2], 300 >> 8);
	CU_ASSERT_EQUAL(((uint8_t *)&h)[5], 3);
	CU_ASSERT_EQUAL(((uint8_t *)&h)[128], 0x10);
	CU_ASSERT_EQUAL(((uint8_t *)&h)[160], 1);

	memset(&c, 0, sizeof(c));
	c.nsid[1023] = 0xAABBCCDD;
	CU_ASSERT_EQUAL(((uint8_t *)&c)[4092], 0xDD);
}

static void
test_discovery_log(void)
{
	static uint8_t raw[2048];
	struct nvtcp_nvmf_disc_log_hdr hdr;
	struct nvtcp_nvmf_disc_log_entry e;

	/* A log page image as a controller would send it: header, then one TCP entry. */
	memset(raw, 0, sizeof(raw));
	raw[0] = 5;                 /* genctr */
	raw[8] = 1;                 /* numrec */
	raw[1024 + 0] = 3;          /* trtype TCP */
	raw[1024 + 1] = 1;          /* IPv4 */
	raw[1024 + 2] = 2;          /* NVM subsystem */
	raw[1024 + 3] = 2;          /* secure channel not required */
	raw[1024 + 4] = 1;          /* portid */
	raw[1024 + 6] = 0xFF;       /* cntlid 0xFFFF */
	raw[1024 + 7] = 0xFF;
	raw[1024 + 8] = 32;         /* asqsz */
	raw[1024 + 10] = 0x02;      /* EPCSD */
	memcpy(raw + 1024 + 32, "4420", 4);
	memcpy(raw + 1024 + 256, "nqn.2016-06.io.example:sub1", 27);
	memcpy(raw + 1024 + 512, "192.168.0.10", 12);
	raw[1024 + 768] = NVTCP_NVMF_TCP_SECTYPE_NONE;

	memcpy(&hdr, raw, sizeof(hdr));
	memcpy(&e, raw + 1024, sizeof(e));
	CU_ASSERT_EQUAL(hdr.genctr, 5);
	CU_ASSERT_EQUAL(hdr.numrec, 1);
	CU_ASSERT_EQUAL(hdr.recfmt, 0);
	CU_ASSERT_EQUAL(e.trtype, NVTCP_NVMF_TRTYPE_TCP);
	CU_ASSERT_EQUAL(e.adrfam, NVTCP_NVMF_ADRFAM_IPV4);
	CU_ASSERT_EQUAL(e.subtype, NVTCP_NVMF_SUBTYPE_NVME);
	CU_ASSERT_EQUAL(e.treq & NVTCP_NVMF_TREQ_SECURE_CHANNEL_MASK,
			NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED);
	CU_ASSERT_EQUAL(e.portid, 1);
	CU_ASSERT_EQUAL(e.cntlid, 0xFFFF);
	CU_ASSERT_EQUAL(e.asqsz, 32);
	CU_ASSERT_EQUAL(e.eflags, NVTCP_NVMF_EFLAGS_EPCSD);
	CU_ASSERT(memcmp(e.trsvcid, "4420", 4) == 0);
	CU_ASSERT(memcmp(e.subnqn, "nqn.2016-06.io.example:sub1", 27) == 0);
	CU_ASSERT(memcmp(e.traddr, "192.168.0.10", 12) == 0);
	CU_ASSERT_EQUAL(e.tsas.tcp.sectype, NVTCP_NVMF_TCP_SECTYPE_NONE);
	CU_ASSERT_EQUAL(NVTCP_NVMF_SUBTYPE_DISCOVERY_REFERRAL, 1);
	CU_ASSERT_EQUAL(NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT, 3);
	CU_ASSERT_EQUAL(NVTCP_NVMF_ADRFAM_IPV6, 2);
	CU_ASSERT_EQUAL(NVTCP_NVMF_TRTYPE_LOOP, 254);
}

static void
test_disconnect_cmd(void)
{
	struct nvtcp_nvmf_disconnect_cmd d;
	uint8_t b[64];

	memset(&d, 0, sizeof(d));
	d.opc = NVTCP_NVME_OPC_FABRICS;
	d.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	d.cid = 9;
	d.fctype = NVTCP_NVMF_FCTYPE_DISCONNECT;
	TO_BYTES(b, d);
	CU_ASSERT_EQUAL(b[0], 0x7F);
	CU_ASSERT_EQUAL(b[4], 0x08);
	CU_ASSERT_EQUAL(b[40], 0);
	CU_ASSERT_EQUAL(NVTCP_NVMF_SC_DISCOVER_RESTART, 0x90);
	CU_ASSERT_EQUAL(NVTCP_NVMF_SC_AUTH_REQUIRED, 0x91);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("nvme_spec", NULL, NULL);

	CU_ADD_TEST(s, test_connect_cmd_image);
	CU_ADD_TEST(s, test_connect_data);
	CU_ADD_TEST(s, test_connect_rsp);
	CU_ADD_TEST(s, test_property_set_cc_image);
	CU_ADD_TEST(s, test_registers);
	CU_ADD_TEST(s, test_cpl_and_status);
	CU_ADD_TEST(s, test_status_strings);
	CU_ADD_TEST(s, test_sqe_round_trip);
	CU_ADD_TEST(s, test_data_direction);
	CU_ADD_TEST(s, test_admin_fields);
	CU_ADD_TEST(s, test_identify_ns);
	CU_ADD_TEST(s, test_identify_ctrlr);
	CU_ADD_TEST(s, test_log_pages);
	CU_ADD_TEST(s, test_discovery_log);
	CU_ADD_TEST(s, test_disconnect_cmd);
}

NVTCP_UT_MAIN(add_tests)
