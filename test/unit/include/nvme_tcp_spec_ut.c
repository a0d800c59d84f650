/*
 * Unit tests of include/nvtcp/nvme_tcp_spec.h: the header compiles alone (first include), every
 * PDU header serialises to the byte image of the NVMe/TCP specification and parses back, and
 * the per-type helpers agree with the specification's table.
 */
#include "nvtcp/nvme_tcp_spec.h"

#include <string.h>

#include "ut.h"

/* Serialise a header and compare with its expected image; parse the image back. */
#define CHECK_IMAGE(obj, image)                                                                \
	do {                                                                                   \
		uint8_t _b[sizeof(obj)];                                                       \
		NVTCP_STATIC_ASSERT(sizeof(image) == sizeof(obj), "image size");               \
		memcpy(_b, &(obj), sizeof(obj));                                               \
		CU_ASSERT(memcmp(_b, (image), sizeof(obj)) == 0);                              \
	} while (0)

static void
test_icreq(void)
{
	uint8_t image[128] = {
		0x00, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00, /* ICReq, hlen 128, plen 128 */
		0x00, 0x00, 0x03, 0x03, 0x0F, 0x00, 0x00, 0x00, /* pfv 0, hpda 3, dgst 3, maxr2t 15 */
	};
	struct nvtcp_tcp_icreq req;
	union nvtcp_tcp_pdu_hdr back;

	memset(&req, 0, sizeof(req));
	req.ch.pdu_type = NVTCP_TCP_PDU_IC_REQ;
	req.ch.hlen = NVTCP_TCP_IC_REQ_HLEN;
	req.ch.plen = NVTCP_TCP_IC_REQ_HLEN;
	req.pfv = NVTCP_TCP_PFV_1_0;
	req.hpda = 3;
	req.dgst = NVTCP_TCP_IC_DGST_HDGST | NVTCP_TCP_IC_DGST_DDGST;
	req.maxr2t = 15;
	CHECK_IMAGE(req, image);

	memcpy(&back, image, sizeof(image));
	CU_ASSERT_EQUAL(back.ch.pdu_type, NVTCP_TCP_PDU_IC_REQ);
	CU_ASSERT_EQUAL(back.ch.plen, 128);
	CU_ASSERT_EQUAL(back.icreq.hpda, 3);
	CU_ASSERT_EQUAL(back.icreq.dgst, 3);
	CU_ASSERT_EQUAL(back.icreq.maxr2t, 15);
	CU_ASSERT_EQUAL(nvtcp_tcp_pda_to_align(back.icreq.hpda), 16);
}

static void
test_icresp(void)
{
	/* What a Linux target answers: CPDA 0, no digests, MAXH2CDATA 4 MiB. */
	uint8_t image[128] = {
		0x01, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00,
	};
	struct nvtcp_tcp_icresp rsp;
	union nvtcp_tcp_pdu_hdr back;

	memset(&rsp, 0, sizeof(rsp));
	rsp.ch.pdu_type = NVTCP_TCP_PDU_IC_RESP;
	rsp.ch.hlen = NVTCP_TCP_IC_RESP_HLEN;
	rsp.ch.plen = NVTCP_TCP_IC_RESP_HLEN;
	rsp.maxh2cdata = 4u << 20;
	CHECK_IMAGE(rsp, image);
	memcpy(&back, image, sizeof(image));
	CU_ASSERT_EQUAL(back.icresp.cpda, 0);
	CU_ASSERT_EQUAL(back.icresp.dgst, 0);
	CU_ASSERT_EQUAL(back.icresp.maxh2cdata, 4u << 20);
	CU_ASSERT_EQUAL(nvtcp_tcp_pda_to_align(NVTCP_TCP_PDA_MAX), NVTCP_TCP_PDA_ALIGN_MAX);
	CU_ASSERT_EQUAL(NVTCP_TCP_PDA_ALIGN_MAX, 128);
}

static void
test_term_req(void)
{
	/* C2HTermReq: invalid header field at byte 3 (pdo), with 8 bytes of the bad header. */
	const uint8_t image[24] = {
		0x03, 0x00, 0x18, 0x00, 0x20, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x03, 0x00, 0x00, 0x00, /* fes 1, fei 3 at byte 10 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	struct nvtcp_tcp_term_req t;
	union nvtcp_tcp_pdu_hdr back;

	memset(&t, 0, sizeof(t));
	t.ch.pdu_type = NVTCP_TCP_PDU_C2H_TERM_REQ;
	t.ch.hlen = NVTCP_TCP_TERM_REQ_HLEN;
	t.ch.plen = NVTCP_TCP_TERM_REQ_HLEN + 8;
	t.fes = NVTCP_TCP_FES_INVALID_HEADER_FIELD;
	t.fei = 3;
	CHECK_IMAGE(t, image);
	memcpy(&back, image, sizeof(image));
	CU_ASSERT_EQUAL(back.term_req.fes, 1);
	CU_ASSERT_EQUAL(back.term_req.fei, 3);
	CU_ASSERT_EQUAL(NVTCP_TCP_TERM_REQ_PLEN_MAX, 152);
	CU_ASSERT_EQUAL(NVTCP_TCP_TERM_REQ_DATA_MAX, 128);
	/* An FEI wider than 16 bits lands in bytes 10..13. */
	t.fei = 0xA1B2C3D4;
	uint8_t b[24];
	memcpy(b, &t, sizeof(t));
	CU_ASSERT_EQUAL(b[10], 0xD4);
	CU_ASSERT_EQUAL(b[13], 0xA1);
	CU_ASSERT_EQUAL(b[14], 0);
}

static void
test_capsule_cmd(void)
{
	uint8_t image[72] = {
		0x04, 0x01, 0x48, 0x00, 0x4C, 0x00, 0x00, 0x00, /* CapsuleCmd, HDGSTF, plen 76 */
		0x06, 0x40, 0x01, 0x00,                         /* Identify, SGL, cid 1 */
	};
	struct nvtcp_tcp_cmd c;
	union nvtcp_tcp_pdu_hdr back;

	image[8 + 32] = 0x00;
	image[8 + 33] = 0x10; /* SGL length 4096 */
	image[8 + 39] = 0x5A;
	image[8 + 40] = 0x01; /* cdw10: CNS 1 */
	memset(&c, 0, sizeof(c));
	c.ch.pdu_type = NVTCP_TCP_PDU_CAPSULE_CMD;
	c.ch.flags = NVTCP_TCP_FLAG_HDGSTF;
	c.ch.hlen = NVTCP_TCP_CAPSULE_CMD_HLEN;
	c.ch.plen = NVTCP_TCP_CAPSULE_CMD_HLEN + NVTCP_TCP_DIGEST_LEN;
	c.ccsqe.opc = NVTCP_NVME_OPC_IDENTIFY;
	c.ccsqe.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	c.ccsqe.cid = 1;
	nvtcp_nvme_sgl_set_transport(&c.ccsqe.dptr.sgl1, 4096);
	c.ccsqe.cdw10 = NVTCP_NVME_IDENTIFY_CDW10(NVTCP_NVME_IDENTIFY_CTRLR, 0);
	CHECK_IMAGE(c, image);
	memcpy(&back, image, sizeof(image));
	CU_ASSERT_EQUAL(back.cmd.ccsqe.opc, NVTCP_NVME_OPC_IDENTIFY);
	CU_ASSERT_EQUAL(back.cmd.ccsqe.cid, 1);
	CU_ASSERT_EQUAL(back.cmd.ccsqe.dptr.sgl1.length, 4096);
	CU_ASSERT_EQUAL(back.cmd.ccsqe.cdw10, 1);
}

static void
test_capsule_resp(void)
{
	const uint8_t image[24] = {
		0x05, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
		0x44, 0x33, 0x22, 0x11, 0x00, 0x00, 0x00, 0x00, /* cdw0, cdw1 */
		0x01, 0x00, 0x02, 0x00, 0x34, 0x12, 0x04, 0x80, /* sqhd, sqid, cid, status */
	};
	struct nvtcp_tcp_rsp r;
	union nvtcp_tcp_pdu_hdr back;

	memset(&r, 0, sizeof(r));
	r.ch.pdu_type = NVTCP_TCP_PDU_CAPSULE_RESP;
	r.ch.hlen = NVTCP_TCP_CAPSULE_RESP_HLEN;
	r.ch.plen = NVTCP_TCP_CAPSULE_RESP_HLEN;
	r.rccqe.cdw0 = 0x11223344;
	r.rccqe.sqhd = 1;
	r.rccqe.sqid = 2;
	r.rccqe.cid = 0x1234;
	r.rccqe.status = nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true);
	CHECK_IMAGE(r, image);
	memcpy(&back, image, sizeof(image));
	CU_ASSERT_EQUAL(back.rsp.rccqe.cid, 0x1234);
	CU_ASSERT_EQUAL(nvtcp_nvme_status_sc(back.rsp.rccqe.status), NVTCP_NVME_SC_INVALID_FIELD);
	CU_ASSERT(nvtcp_nvme_status_dnr(back.rsp.rccqe.status));
}

static void
test_data_pdus(void)
{
	const uint8_t h2c_image[24] = {
		0x06, 0x04, 0x18, 0x18, 0x18, 0x10, 0x00, 0x00, /* LAST_PDU, pdo 24, plen 4120 */
		0x05, 0x00, 0x07, 0x00, 0x00, 0x20, 0x00, 0x00, /* cccid 5, ttag 7, datao 8192 */
		0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* datal 4096 */
	};
	const uint8_t c2h_image[24] = {
		0x07, 0x0E, 0x18, 0x1C, 0x20, 0x02, 0x00, 0x00, /* DDGSTF|LAST|SUCCESS, pdo 28 */
		0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* cccid 9, datao 0 */
		0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* datal 512 */
	};
	const uint8_t r2t_image[24] = {
		0x09, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x03, 0x02, 0x00, 0x10, 0x00, 0x00, /* cccid 1, ttag 0x203, r2to 4096 */
		0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* r2tl 8192 */
	};
	struct nvtcp_tcp_h2c_data h;
	struct nvtcp_tcp_c2h_data c;
	struct nvtcp_tcp_r2t r;
	union nvtcp_tcp_pdu_hdr back;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_H2C_DATA;
	h.ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
	h.ch.hlen = 24;
	h.ch.pdo = 24;
	h.ch.plen = 24 + 4096;
	h.cccid = 5;
	h.ttag = 7;
	h.datao = 8192;
	h.datal = 4096;
	CHECK_IMAGE(h, h2c_image);
	memcpy(&back, h2c_image, sizeof(h2c_image));
	CU_ASSERT_EQUAL(back.h2c_data.cccid, 5);
	CU_ASSERT_EQUAL(back.h2c_data.ttag, 7);
	CU_ASSERT_EQUAL(back.h2c_data.datao, 8192);
	CU_ASSERT_EQUAL(back.h2c_data.datal, 4096);

	/* C2HData with header digest (pdo 28) and data digest: plen 28 + 512 + 4. */
	memset(&c, 0, sizeof(c));
	c.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	c.ch.flags = NVTCP_TCP_FLAG_DDGSTF | NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS;
	c.ch.hlen = 24;
	c.ch.pdo = 28;
	c.ch.plen = 28 + 512 + 4;
	c.cccid = 9;
	c.datal = 512;
	CHECK_IMAGE(c, c2h_image);
	memcpy(&back, c2h_image, sizeof(c2h_image));
	CU_ASSERT_EQUAL(back.c2h_data.cccid, 9);
	CU_ASSERT_EQUAL(back.c2h_data.datal, 512);
	CU_ASSERT_EQUAL(back.ch.plen, 544);

	memset(&r, 0, sizeof(r));
	r.ch.pdu_type = NVTCP_TCP_PDU_R2T;
	r.ch.hlen = 24;
	r.ch.plen = 24;
	r.cccid = 1;
	r.ttag = 0x203;
	r.r2to = 4096;
	r.r2tl = 8192;
	CHECK_IMAGE(r, r2t_image);
	memcpy(&back, r2t_image, sizeof(r2t_image));
	CU_ASSERT_EQUAL(back.r2t.ttag, 0x203);
	CU_ASSERT_EQUAL(back.r2t.r2to, 4096);
	CU_ASSERT_EQUAL(back.r2t.r2tl, 8192);
}

static void
test_type_table(void)
{
	static const struct {
		uint8_t type;
		uint8_t hlen;
		bool hdgst, data, needs_data, from_host;
	} t[] = {
		{ NVTCP_TCP_PDU_IC_REQ, 128, false, false, false, true },
		{ NVTCP_TCP_PDU_IC_RESP, 128, false, false, false, false },
		{ NVTCP_TCP_PDU_H2C_TERM_REQ, 24, false, false, false, true },
		{ NVTCP_TCP_PDU_C2H_TERM_REQ, 24, false, false, false, false },
		{ NVTCP_TCP_PDU_CAPSULE_CMD, 72, true, true, false, true },
		{ NVTCP_TCP_PDU_CAPSULE_RESP, 24, true, false, false, false },
		{ NVTCP_TCP_PDU_H2C_DATA, 24, true, true, true, true },
		{ NVTCP_TCP_PDU_C2H_DATA, 24, true, true, true, false },
		{ NVTCP_TCP_PDU_R2T, 24, true, false, false, false },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT(nvtcp_tcp_pdu_type_valid(t[i].type));
		CU_ASSERT_EQUAL(nvtcp_tcp_pdu_hlen(t[i].type), t[i].hlen);
		CU_ASSERT_EQUAL(nvtcp_tcp_pdu_may_hdgst(t[i].type), t[i].hdgst);
		CU_ASSERT_EQUAL(nvtcp_tcp_pdu_may_data(t[i].type), t[i].data);
		CU_ASSERT_EQUAL(nvtcp_tcp_pdu_needs_data(t[i].type), t[i].needs_data);
		CU_ASSERT_EQUAL(nvtcp_tcp_pdu_from_host(t[i].type), t[i].from_host);
		CU_ASSERT_STRING_NOT_EQUAL(nvtcp_tcp_pdu_type_str(t[i].type), "unknown PDU");
	}
	/* 0x08 is not a PDU type; nor is anything above 0x09. */
	CU_ASSERT_FALSE(nvtcp_tcp_pdu_type_valid(0x08));
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_hlen(0x08), 0);
	for (unsigned type = 0x0A; type < 256; type++) {
		CU_ASSERT_FALSE(nvtcp_tcp_pdu_type_valid((uint8_t)type));
		CU_ASSERT_EQUAL(nvtcp_tcp_pdu_hlen((uint8_t)type), 0);
	}
	CU_ASSERT_STRING_EQUAL(nvtcp_tcp_pdu_type_str(0x08), "unknown PDU");
	CU_ASSERT_STRING_EQUAL(nvtcp_tcp_fes_str(NVTCP_TCP_FES_HDGST_ERROR), "Header Digest Error");
	CU_ASSERT_STRING_EQUAL(nvtcp_tcp_fes_str(NVTCP_TCP_FES_R2T_LIMIT_EXCEEDED),
			       "Data Transfer Limit Exceeded");
	CU_ASSERT_STRING_EQUAL(nvtcp_tcp_fes_str(0x77), "Unknown Fatal Error Status");
	CU_ASSERT_EQUAL(NVTCP_TCP_FES_UNSUPPORTED_PARAMETER, 6);
	CU_ASSERT_EQUAL(NVTCP_TCP_MAXH2CDATA_MIN, 4096);
	CU_ASSERT_EQUAL(sizeof(union nvtcp_tcp_pdu_hdr), 128);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("nvme_tcp_spec", NULL, NULL);

	CU_ADD_TEST(s, test_icreq);
	CU_ADD_TEST(s, test_icresp);
	CU_ADD_TEST(s, test_term_req);
	CU_ADD_TEST(s, test_capsule_cmd);
	CU_ADD_TEST(s, test_capsule_resp);
	CU_ADD_TEST(s, test_data_pdus);
	CU_ADD_TEST(s, test_type_table);
}

NVTCP_UT_MAIN(add_tests)
