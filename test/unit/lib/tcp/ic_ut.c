/*
 * Unit tests of lib/tcp/ic.c: building, validating and negotiating ICReq and ICResp.
 */
#include <errno.h>
#include <string.h>

#include "nvtcp/tcp_pdu.h"

#include "ut.h"

static struct nvtcp_tcp_ic_opts
host_opts(bool hdgst, bool ddgst, uint8_t hpda)
{
	struct nvtcp_tcp_ic_opts o;

	nvtcp_tcp_ic_opts_init(&o);
	o.hdgst = hdgst;
	o.ddgst = ddgst;
	o.pda = hpda;
	o.maxr2t = 3;
	return o;
}

static struct nvtcp_tcp_ic_opts
ctrlr_opts(bool hdgst, bool ddgst, uint8_t cpda)
{
	struct nvtcp_tcp_ic_opts o;

	nvtcp_tcp_ic_opts_init(&o);
	o.hdgst = hdgst;
	o.ddgst = ddgst;
	o.pda = cpda;
	o.maxh2cdata = 65536;
	return o;
}

static void
test_opts_init(void)
{
	struct nvtcp_tcp_ic_opts o;

	memset(&o, 0xFF, sizeof(o));
	nvtcp_tcp_ic_opts_init(&o);
	CU_ASSERT_FALSE(o.hdgst);
	CU_ASSERT_FALSE(o.ddgst);
	CU_ASSERT_EQUAL(o.pda, 0);
	CU_ASSERT_EQUAL(o.maxr2t, 0);
	CU_ASSERT_EQUAL(o.maxh2cdata, NVTCP_TCP_MAXH2CDATA_DEFAULT);
}

static void
test_icreq_build(void)
{
	struct nvtcp_tcp_icreq req;
	struct nvtcp_tcp_ic_opts o = host_opts(true, false, 5);
	uint8_t b[128], zero[112];

	memset(&req, 0xEE, sizeof(req));
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_build(&req, &o), 0);
	memcpy(b, &req, sizeof(b));
	CU_ASSERT_EQUAL(b[0], 0x00);
	CU_ASSERT_EQUAL(b[1], 0x00);
	CU_ASSERT_EQUAL(b[2], 128);
	CU_ASSERT_EQUAL(b[3], 0);
	CU_ASSERT_EQUAL(b[4], 128);
	CU_ASSERT_EQUAL(b[8], 0);  /* pfv */
	CU_ASSERT_EQUAL(b[10], 5); /* hpda */
	CU_ASSERT_EQUAL(b[11], NVTCP_TCP_IC_DGST_HDGST);
	CU_ASSERT_EQUAL(b[12], 3); /* maxr2t */
	memset(zero, 0, sizeof(zero));
	CU_ASSERT(memcmp(b + 16, zero, 112) == 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_check(&req, NULL), 0);
	o.pda = 32;
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_build(&req, &o), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_build(&req, NULL), -EINVAL);
}

#define EXPECT_ERR(call, efes, efei)                                                            \
	do {                                                                                    \
		struct nvtcp_tcp_error _e = { 0, 0 };                                           \
		CU_ASSERT_EQUAL((call), -EPROTO);                                               \
		CU_ASSERT_EQUAL(_e.fes, (efes));                                                \
		CU_ASSERT_EQUAL(_e.fei, (efei));                                                \
	} while (0)

static void
test_icreq_check(void)
{
	struct nvtcp_tcp_ic_opts o = host_opts(false, false, 0);
	struct nvtcp_tcp_icreq good, req;
	const uint16_t IHF = NVTCP_TCP_FES_INVALID_HEADER_FIELD;

	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_build(&good, &o), 0);
	req = good;
	req.ch.pdu_type = NVTCP_TCP_PDU_IC_RESP;
	EXPECT_ERR(nvtcp_tcp_icreq_check(&req, &_e), IHF, 0);
	req = good;
	req.ch.flags = NVTCP_TCP_FLAG_HDGSTF;
	EXPECT_ERR(nvtcp_tcp_icreq_check(&req, &_e), IHF, 1);
	req = good;
	req.ch.hlen = 24;
	EXPECT_ERR(nvtcp_tcp_icreq_check(&req, &_e), IHF, 2);
	req = good;
	req.ch.plen = 132;
	EXPECT_ERR(nvtcp_tcp_icreq_check(&req, &_e), IHF, 4);
	req = good;
	req.pfv = 1;
	EXPECT_ERR(nvtcp_tcp_icreq_check(&req, &_e), NVTCP_TCP_FES_UNSUPPORTED_PARAMETER, 8);
	req = good;
	req.hpda = 32;
	EXPECT_ERR(nvtcp_tcp_icreq_check(&req, &_e), IHF, 10);
	/* Reserved DGST bits and other flag bits are ignored. */
	req = good;
	req.dgst = 0xFC;
	req.ch.flags = 0x80;
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_check(&req, NULL), 0);
	req.hpda = 31;
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_check(&req, NULL), 0);
	/* err may be NULL. */
	req.pfv = 9;
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_check(&req, NULL), -EPROTO);
}

static void
test_icreq_accept(void)
{
	struct nvtcp_tcp_icreq req;
	struct nvtcp_tcp_icresp rsp;
	struct nvtcp_tcp_params p;
	struct nvtcp_tcp_error e;

	/* Digests: enabled when requested and allowed. */
	for (int want = 0; want < 4; want++) {
		for (int allow = 0; allow < 4; allow++) {
			struct nvtcp_tcp_ic_opts h = host_opts(want & 1, want & 2, 1);
			struct nvtcp_tcp_ic_opts c = ctrlr_opts(allow & 1, allow & 2, 3);
			int both = want & allow;

			CU_ASSERT_EQUAL(nvtcp_tcp_icreq_build(&req, &h), 0);
			CU_ASSERT_EQUAL(nvtcp_tcp_icreq_accept(&req, &c, &rsp, &p, &e), 0);
			CU_ASSERT_EQUAL(p.hdgst, (bool)(both & 1));
			CU_ASSERT_EQUAL(p.ddgst, (bool)(both & 2));
			CU_ASSERT_EQUAL(rsp.dgst, both);
			CU_ASSERT_EQUAL(p.rx_pda, 16); /* our CPDA 3 */
			CU_ASSERT_EQUAL(p.tx_pda, 8);  /* the host's HPDA 1 */
			CU_ASSERT_EQUAL(p.maxh2cdata, 65536);
			CU_ASSERT_EQUAL(p.maxr2t, 3);
			CU_ASSERT_EQUAL(nvtcp_tcp_params_check(&p), 0);
			CU_ASSERT_EQUAL(rsp.ch.pdu_type, NVTCP_TCP_PDU_IC_RESP);
			CU_ASSERT_EQUAL(rsp.ch.hlen, 128);
			CU_ASSERT_EQUAL(rsp.ch.plen, 128);
			CU_ASSERT_EQUAL(rsp.ch.flags, 0);
			CU_ASSERT_EQUAL(rsp.pfv, 0);
			CU_ASSERT_EQUAL(rsp.cpda, 3);
			CU_ASSERT_EQUAL(rsp.maxh2cdata, 65536);
			CU_ASSERT_EQUAL(nvtcp_tcp_icresp_check(&rsp, NULL), 0);
		}
	}
	/* A bad ICReq. */
	struct nvtcp_tcp_ic_opts h = host_opts(false, false, 0);
	struct nvtcp_tcp_ic_opts c = ctrlr_opts(false, false, 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_build(&req, &h), 0);
	req.pfv = 2;
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_accept(&req, &c, &rsp, &p, &e), -EPROTO);
	CU_ASSERT_EQUAL(e.fes, NVTCP_TCP_FES_UNSUPPORTED_PARAMETER);
	CU_ASSERT_EQUAL(e.fei, 8);
	/* Bad controller options. */
	req.pfv = 0;
	c.maxh2cdata = 1024;
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_accept(&req, &c, &rsp, &p, &e), -EINVAL);
	c.maxh2cdata = 4098;
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_accept(&req, &c, &rsp, &p, &e), -EINVAL);
	c.maxh2cdata = 4096;
	c.pda = 40;
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_accept(&req, &c, &rsp, &p, &e), -EINVAL);
}

static void
test_icresp_check(void)
{
	struct nvtcp_tcp_icreq req;
	struct nvtcp_tcp_icresp good, rsp;
	struct nvtcp_tcp_params p;
	struct nvtcp_tcp_ic_opts h = host_opts(false, false, 0);
	struct nvtcp_tcp_ic_opts c = ctrlr_opts(false, false, 0);
	const uint16_t IHF = NVTCP_TCP_FES_INVALID_HEADER_FIELD;

	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_build(&req, &h), 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_icreq_accept(&req, &c, &good, &p, NULL), 0);
	rsp = good;
	rsp.ch.pdu_type = NVTCP_TCP_PDU_IC_REQ;
	EXPECT_ERR(nvtcp_tcp_icresp_check(&rsp, &_e), IHF, 0);
	rsp = good;
	rsp.ch.flags = NVTCP_TCP_FLAG_DDGSTF;
	EXPECT_ERR(nvtcp_tcp_icresp_check(&rsp, &_e), IHF, 1);
	rsp = good;
	rsp.ch.hlen = 127;
	EXPECT_ERR(nvtcp_tcp_icresp_check(&rsp, &_e), IHF, 2);
	rsp = good;
	rsp.ch.plen = 0;
	EXPECT_ERR(nvtcp_tcp_icresp_check(&rsp, &_e), IHF, 4);
	rsp = good;
	rsp.pfv = 0x100;
	EXPECT_ERR(nvtcp_tcp_icresp_check(&rsp, &_e), NVTCP_TCP_FES_UNSUPPORTED_PARAMETER, 8);
	rsp = good;
	rsp.cpda = 0xFF;
	EXPECT_ERR(nvtcp_tcp_icresp_check(&rsp, &_e), IHF, 10);
	rsp = good;
	rsp.maxh2cdata = 4092;
	EXPECT_ERR(nvtcp_tcp_icresp_check(&rsp, &_e), IHF, 12);
	rsp.maxh2cdata = 4097;
	EXPECT_ERR(nvtcp_tcp_icresp_check(&rsp, &_e), IHF, 12);
	rsp.maxh2cdata = 0;
	EXPECT_ERR(nvtcp_tcp_icresp_check(&rsp, &_e), IHF, 12);
	rsp.maxh2cdata = 4096;
	CU_ASSERT_EQUAL(nvtcp_tcp_icresp_check(&rsp, NULL), 0);
}

static void
test_icresp_accept(void)
{
	struct nvtcp_tcp_icresp rsp;
	struct nvtcp_tcp_params p;
	struct nvtcp_tcp_error e;
	struct nvtcp_tcp_ic_opts h;

	/* A Linux target's answer: CPDA 0, no digests, 4 MiB. */
	memset(&rsp, 0, sizeof(rsp));
	rsp.ch.pdu_type = NVTCP_TCP_PDU_IC_RESP;
	rsp.ch.hlen = 128;
	rsp.ch.plen = 128;
	rsp.maxh2cdata = 4u << 20;
	h = host_opts(false, false, 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_icresp_accept(&rsp, &h, &p, &e), 0);
	CU_ASSERT_FALSE(p.hdgst);
	CU_ASSERT_FALSE(p.ddgst);
	CU_ASSERT_EQUAL(p.rx_pda, 4);
	CU_ASSERT_EQUAL(p.tx_pda, 4);
	CU_ASSERT_EQUAL(p.maxh2cdata, 4u << 20);
	CU_ASSERT_EQUAL(p.maxr2t, 3);

	/* Digests the host asked for and got; alignment from CPDA. */
	h = host_opts(true, true, 7);
	rsp.dgst = NVTCP_TCP_IC_DGST_HDGST | NVTCP_TCP_IC_DGST_DDGST;
	rsp.cpda = 31;
	CU_ASSERT_EQUAL(nvtcp_tcp_icresp_accept(&rsp, &h, &p, &e), 0);
	CU_ASSERT(p.hdgst && p.ddgst);
	CU_ASSERT_EQUAL(p.rx_pda, 32);
	CU_ASSERT_EQUAL(p.tx_pda, 128);
	/* A declined digest is accepted and shows. */
	rsp.dgst = NVTCP_TCP_IC_DGST_DDGST;
	CU_ASSERT_EQUAL(nvtcp_tcp_icresp_accept(&rsp, &h, &p, &e), 0);
	CU_ASSERT_FALSE(p.hdgst);
	CU_ASSERT(p.ddgst);
	/* A digest the host did not ask for is an error (FEI 11, the DGST field). */
	h = host_opts(true, false, 0);
	rsp.dgst = NVTCP_TCP_IC_DGST_DDGST;
	CU_ASSERT_EQUAL(nvtcp_tcp_icresp_accept(&rsp, &h, &p, &e), -EPROTO);
	CU_ASSERT_EQUAL(e.fes, NVTCP_TCP_FES_INVALID_HEADER_FIELD);
	CU_ASSERT_EQUAL(e.fei, 11);
	h = host_opts(false, false, 0);
	rsp.dgst = NVTCP_TCP_IC_DGST_HDGST;
	CU_ASSERT_EQUAL(nvtcp_tcp_icresp_accept(&rsp, &h, &p, &e), -EPROTO);
	/* Invalid fields come through. */
	rsp.dgst = 0;
	rsp.maxh2cdata = 100;
	CU_ASSERT_EQUAL(nvtcp_tcp_icresp_accept(&rsp, &h, &p, &e), -EPROTO);
	CU_ASSERT_EQUAL(e.fei, 12);
	/* Bad host options. */
	rsp.maxh2cdata = 8192;
	h.pda = 99;
	CU_ASSERT_EQUAL(nvtcp_tcp_icresp_accept(&rsp, &h, &p, &e), -EINVAL);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("tcp_ic", NULL, NULL);

	CU_ADD_TEST(s, test_opts_init);
	CU_ADD_TEST(s, test_icreq_build);
	CU_ADD_TEST(s, test_icreq_check);
	CU_ADD_TEST(s, test_icreq_accept);
	CU_ADD_TEST(s, test_icresp_check);
	CU_ADD_TEST(s, test_icresp_accept);
}

NVTCP_UT_MAIN(add_tests)
