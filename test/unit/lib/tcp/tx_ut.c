/*
 * Unit tests of lib/tcp/tx.c: nvtcp_tcp_pdu_finish() output against hand-built bytes (the
 * independent encoder of tcp_ut.h and literal images, digests computed with nvtcp_crc32c), the
 * iovec list, the limits, TermReqs, and a send-to-receive round trip.
 */
#include <errno.h>
#include <string.h>

#include "nvtcp/tcp_pdu.h"
#include "nvtcp/util.h"

#include "tcp_ut.h"
#include "ut.h"

static uint8_t g_data[256 * 1024];
static uint8_t g_wire[300 * 1024];
static uint8_t g_expect[300 * 1024];

/* Concatenate a PDU's iovecs: the bytes that go on the wire. */
static size_t
flatten(const struct nvtcp_tcp_tx_pdu *pdu, uint8_t *out)
{
	size_t n = 0;

	CU_ASSERT(pdu->sock_req.iov == pdu->iov);
	CU_ASSERT_EQUAL(pdu->sock_req.iovcnt, pdu->iovcnt);
	for (int i = 0; i < pdu->iovcnt; i++) {
		memcpy(out + n, pdu->iov[i].iov_base, pdu->iov[i].iov_len);
		n += pdu->iov[i].iov_len;
	}
	return n;
}

static struct nvtcp_tcp_params
params(bool hdgst, bool ddgst, uint32_t tx_pda)
{
	struct nvtcp_tcp_params p;

	nvtcp_tcp_params_init(&p);
	p.hdgst = hdgst;
	p.ddgst = ddgst;
	p.tx_pda = tx_pda;
	return p;
}

/* Fill the type-specific fields of a header with recognisable values. */
static void
fill_fields(union nvtcp_tcp_pdu_hdr *h)
{
	switch (h->ch.pdu_type) {
	case NVTCP_TCP_PDU_IC_REQ:
		h->icreq.hpda = 2;
		h->icreq.dgst = 3;
		h->icreq.maxr2t = 7;
		break;
	case NVTCP_TCP_PDU_IC_RESP:
		h->icresp.cpda = 1;
		h->icresp.maxh2cdata = 131072;
		break;
	case NVTCP_TCP_PDU_CAPSULE_CMD:
		h->cmd.ccsqe.opc = NVTCP_NVME_OPC_WRITE;
		h->cmd.ccsqe.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
		h->cmd.ccsqe.cid = 0x55;
		h->cmd.ccsqe.nsid = 1;
		h->cmd.ccsqe.cdw12 = 7;
		break;
	case NVTCP_TCP_PDU_CAPSULE_RESP:
		h->rsp.rccqe.cid = 0x55;
		h->rsp.rccqe.sqhd = 3;
		h->rsp.rccqe.status = 0x0004;
		break;
	case NVTCP_TCP_PDU_H2C_DATA:
		h->h2c_data.cccid = 0x55;
		h->h2c_data.ttag = 9;
		h->h2c_data.datao = 65536;
		break;
	case NVTCP_TCP_PDU_C2H_DATA:
		h->c2h_data.cccid = 0x55;
		h->c2h_data.datao = 4096;
		break;
	case NVTCP_TCP_PDU_R2T:
		h->r2t.cccid = 0x55;
		h->r2t.ttag = 9;
		h->r2t.r2to = 4096;
		h->r2t.r2tl = 8192;
		break;
	default:
		break;
	}
}

/* finish() against the independent encoder for every type, digest choice and alignment. */
static void
test_finish_matches_encoder(void)
{
	static const struct {
		uint8_t type;
		uint8_t flags;
		uint32_t data_len;
	} cases[] = {
		{ NVTCP_TCP_PDU_IC_REQ, 0, 0 },
		{ NVTCP_TCP_PDU_IC_RESP, 0, 0 },
		{ NVTCP_TCP_PDU_CAPSULE_CMD, 0, 0 },
		{ NVTCP_TCP_PDU_CAPSULE_CMD, 0, 4096 },
		{ NVTCP_TCP_PDU_CAPSULE_CMD, 0, 1 },
		{ NVTCP_TCP_PDU_CAPSULE_RESP, 0, 0 },
		{ NVTCP_TCP_PDU_H2C_DATA, NVTCP_TCP_FLAG_LAST_PDU, 8192 },
		{ NVTCP_TCP_PDU_H2C_DATA, 0, 6 },
		{ NVTCP_TCP_PDU_C2H_DATA, NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS, 131072 },
		{ NVTCP_TCP_PDU_C2H_DATA, 0, 515 },
		{ NVTCP_TCP_PDU_R2T, 0, 0 },
	};
	static const uint32_t aligns[] = { 4, 8, 12, 64, 124, 128 };
	static struct nvtcp_tcp_tx_pdu pdu;

	for (size_t i = 0; i < sizeof(g_data); i++) {
		g_data[i] = (uint8_t)(i * 13 + 5);
	}
	for (size_t c = 0; c < NVTCP_COUNTOF(cases); c++) {
		for (int dg = 0; dg < 4; dg++) {
			for (size_t a = 0; a < NVTCP_COUNTOF(aligns); a++) {
				struct nvtcp_tcp_params p = params(dg & 1, dg & 2, aligns[a]);
				union nvtcp_tcp_pdu_hdr h = ut_hdr(cases[c].type, cases[c].flags);
				/* Data in three pieces, with an empty one in between. */
				uint32_t dl = cases[c].data_len;
				struct iovec iov[4] = {
					{ g_data, dl / 3 }, { g_data, 0 },
					{ g_data + dl / 3, dl / 3 },
					{ g_data + 2 * (dl / 3), dl - 2 * (dl / 3) },
				};
				uint32_t elen, plen;
				size_t wlen;
				bool hd = p.hdgst && nvtcp_tcp_pdu_may_hdgst(h.ch.pdu_type);
				bool dd = p.ddgst && dl > 0;
				int ndata = (dl / 3 > 0 ? 2 : 0) + 1;

				fill_fields(&h);
				elen = ut_build_pdu(g_expect, &h, g_data, dl, p.hdgst, p.ddgst,
						    aligns[a]);

				nvtcp_tcp_pdu_init(&pdu, cases[c].type);
				CU_ASSERT_EQUAL(pdu.hdr.ch.hlen, nvtcp_tcp_pdu_hlen(cases[c].type));
				pdu.hdr.ch.flags = cases[c].flags;
				fill_fields(&pdu.hdr);
				CU_ASSERT_EQUAL_FATAL(nvtcp_tcp_pdu_finish(&pdu, &p, dl ? iov : NULL,
									   dl ? 4 : 0), 0);
				plen = nvtcp_tcp_pdu_wire_len(&pdu);
				CU_ASSERT_EQUAL(plen, elen);
				wlen = flatten(&pdu, g_wire);
				CU_ASSERT_EQUAL(wlen, elen);
				CU_ASSERT(memcmp(g_wire, g_expect, elen) == 0);
				/* Layout: one header area, the caller's data (not copied), digest. */
				CU_ASSERT(pdu.iov[0].iov_base == pdu.raw);
				CU_ASSERT_EQUAL(pdu.iov[0].iov_len, dl ? pdu.hdr.ch.pdo :
						nvtcp_tcp_pdu_hlen(h.ch.pdu_type) + (hd ? 4 : 0));
				CU_ASSERT_EQUAL(pdu.hdr_area_len, pdu.iov[0].iov_len);
				CU_ASSERT_EQUAL(pdu.data_len, dl);
				CU_ASSERT_EQUAL(pdu.iovcnt, 1 + (dl ? ndata : 0) + (dd ? 1 : 0));
				if (dl > 0) {
					CU_ASSERT(pdu.iov[1].iov_base ==
						  (iov[0].iov_len ? iov[0].iov_base : iov[3].iov_base));
					CU_ASSERT_EQUAL(pdu.hdr.ch.pdo % aligns[a], 0);
					CU_ASSERT(pdu.hdr.ch.pdo >= nvtcp_tcp_pdu_hlen(h.ch.pdu_type) +
						  (hd ? 4u : 0u));
					CU_ASSERT(pdu.hdr.ch.pdo < nvtcp_tcp_pdu_hlen(h.ch.pdu_type) +
						  (hd ? 4u : 0u) + aligns[a]);
				}
				if (dd) {
					CU_ASSERT(pdu.iov[pdu.iovcnt - 1].iov_base == pdu.ddgst);
				}
			}
		}
	}
}

/* Literal images with digests computed here. */
static void
test_literal_images(void)
{
	static struct nvtcp_tcp_tx_pdu pdu;
	struct nvtcp_tcp_params p = params(true, true, 8);
	uint8_t expect[64];
	uint8_t data[5] = { 1, 2, 3, 4, 5 };
	uint8_t padded[8] = { 1, 2, 3, 4, 5, 0, 0, 0 };
	struct iovec iov = { data, sizeof(data) };
	uint32_t crc;

	/* CapsuleResp with header digest: plen 28, no pdo. */
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_RESP);
	pdu.hdr.rsp.rccqe.cdw0 = 0xCAFEBABE;
	pdu.hdr.rsp.rccqe.cid = 0x0102;
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, NULL, 0), 0);
	memset(expect, 0, sizeof(expect));
	expect[0] = 0x05;
	expect[1] = 0x01; /* HDGSTF; no DDGSTF without data */
	expect[2] = 24;
	expect[3] = 0;
	expect[4] = 28;
	expect[8] = 0xBE;
	expect[9] = 0xBA;
	expect[10] = 0xFE;
	expect[11] = 0xCA;
	expect[20] = 0x02;
	expect[21] = 0x01;
	crc = nvtcp_crc32c(expect, 24);
	ut_le32(expect + 24, crc);
	CU_ASSERT_EQUAL(flatten(&pdu, g_wire), 28);
	CU_ASSERT(memcmp(g_wire, expect, 28) == 0);
	CU_ASSERT_EQUAL(pdu.iovcnt, 1);

	/* C2HData of 5 bytes, tx_pda 8: header 24 + digest 4 = 28, pdo 32; the data digest
	 * covers the data padded with three zero bytes. */
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_C2H_DATA);
	pdu.hdr.ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
	pdu.hdr.c2h_data.cccid = 3;
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, &iov, 1), 0);
	memset(expect, 0, sizeof(expect));
	expect[0] = 0x07;
	expect[1] = 0x07; /* HDGSTF | DDGSTF | LAST_PDU */
	expect[2] = 24;
	expect[3] = 32;
	expect[4] = 32 + 5 + 4;
	expect[8] = 3;
	expect[16] = 5;   /* datal */
	ut_le32(expect + 24, nvtcp_crc32c(expect, 24));
	memcpy(expect + 32, data, 5);
	ut_le32(expect + 37, nvtcp_crc32c(padded, 8));
	CU_ASSERT_EQUAL(flatten(&pdu, g_wire), 41);
	CU_ASSERT(memcmp(g_wire, expect, 41) == 0);
	CU_ASSERT_EQUAL(pdu.iovcnt, 3);
	CU_ASSERT(pdu.iov[1].iov_base == data);

	/* ICReq as a Linux host sends it: 128 bytes, never a digest even when negotiated. */
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_IC_REQ);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, NULL, 0), 0);
	CU_ASSERT_EQUAL(flatten(&pdu, g_wire), 128);
	CU_ASSERT_EQUAL(g_wire[0], 0x00);
	CU_ASSERT_EQUAL(g_wire[1], 0x00);
	CU_ASSERT_EQUAL(g_wire[2], 128);
	CU_ASSERT_EQUAL(g_wire[4], 128);
}

static void
test_flags(void)
{
	static struct nvtcp_tcp_tx_pdu pdu;
	struct nvtcp_tcp_params p = params(false, false, 4);
	struct iovec iov = { g_data, 16 };

	/* Stale digest flags are cleared; LAST_PDU and SUCCESS are the owner's. */
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_C2H_DATA);
	pdu.hdr.ch.flags = 0xFF;
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, &iov, 1), 0);
	CU_ASSERT_EQUAL(pdu.hdr.ch.flags, 0xFC);
	/* Finishing again after changing the parameters gives the new framing. */
	p = params(true, true, 4);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, &iov, 1), 0);
	CU_ASSERT_EQUAL(pdu.hdr.ch.flags, 0xFF);
	CU_ASSERT_EQUAL(pdu.hdr.ch.pdo, 28);
	CU_ASSERT_EQUAL(pdu.hdr.ch.plen, 28 + 16 + 4);
	CU_ASSERT_EQUAL(pdu.hdr.c2h_data.datal, 16);
}

static void
test_finish_errors(void)
{
	static struct nvtcp_tcp_tx_pdu pdu;
	struct nvtcp_tcp_params p = params(false, false, 4);
	struct iovec iov[NVTCP_TCP_PDU_MAX_DATA_IOV + 2];

	for (int i = 0; i < NVTCP_TCP_PDU_MAX_DATA_IOV + 2; i++) {
		iov[i].iov_base = g_data + i * 8;
		iov[i].iov_len = 8;
	}
	/* 64 data iovecs fit, 65 do not; empty ones do not count. */
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_H2C_DATA);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, iov, NVTCP_TCP_PDU_MAX_DATA_IOV), 0);
	CU_ASSERT_EQUAL(pdu.iovcnt, NVTCP_TCP_PDU_MAX_DATA_IOV + 1);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, iov, NVTCP_TCP_PDU_MAX_DATA_IOV + 1), -E2BIG);
	iov[10].iov_len = 0;
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, iov, NVTCP_TCP_PDU_MAX_DATA_IOV + 1), 0);
	CU_ASSERT_EQUAL(pdu.data_len, 64 * 8);
	p = params(false, true, 4);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, iov, NVTCP_TCP_PDU_MAX_DATA_IOV + 1), 0);
	CU_ASSERT_EQUAL(pdu.iovcnt, NVTCP_TCP_TX_IOV_MAX);
	p = params(false, false, 4);

	/* Data where there can be none, and none where there must be some. */
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_R2T);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, iov, 1), -EINVAL);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_RESP);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, iov, 1), -EINVAL);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_IC_REQ);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, iov, 1), -EINVAL);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_C2H_DATA);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, NULL, 0), -EINVAL);
	iov[10].iov_len = 0;
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, &iov[10], 1), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, iov, -1), -EINVAL);
	/* TermReqs have their own builder; unknown types are refused. */
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_H2C_TERM_REQ);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, NULL, 0), -EINVAL);
	nvtcp_tcp_pdu_init(&pdu, 0x08);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, NULL, 0), -EINVAL);
	/* Bad parameters. */
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_RESP);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, NULL, NULL, 0), -EINVAL);
	p.tx_pda = 2;
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, NULL, 0), -EINVAL);
	p.tx_pda = 256;
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, NULL, 0), -EINVAL);
	/* Data too long for a 32-bit plen. */
	p = params(false, false, 4);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_C2H_DATA);
	iov[0].iov_len = (size_t)UINT32_MAX;
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &p, iov, 1), -EMSGSIZE);
}

static void
test_term_req(void)
{
	static struct nvtcp_tcp_tx_pdu pdu;
	uint8_t bad[200];
	uint8_t expect[152];

	for (size_t i = 0; i < sizeof(bad); i++) {
		bad[i] = (uint8_t)(0xF0 ^ i);
	}
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_term_req(&pdu, NVTCP_TCP_PDU_C2H_TERM_REQ,
					       NVTCP_TCP_FES_INVALID_HEADER_FIELD, 3, bad, 200), 0);
	CU_ASSERT_EQUAL(ut_build_term_req(expect, NVTCP_TCP_PDU_C2H_TERM_REQ, 1, 3, bad, 128), 152);
	CU_ASSERT_EQUAL(flatten(&pdu, g_wire), 152);
	CU_ASSERT(memcmp(g_wire, expect, 152) == 0);
	CU_ASSERT_EQUAL(g_wire[10], 3); /* FEI at byte 10 */
	CU_ASSERT_EQUAL(pdu.iovcnt, 1);

	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_term_req(&pdu, NVTCP_TCP_PDU_H2C_TERM_REQ,
					       NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0, NULL, 0), 0);
	CU_ASSERT_EQUAL(flatten(&pdu, g_wire), 24);
	CU_ASSERT_EQUAL(g_wire[0], 0x02);
	CU_ASSERT_EQUAL(g_wire[1], 0x00);
	CU_ASSERT_EQUAL(g_wire[2], 24);
	CU_ASSERT_EQUAL(g_wire[3], 0);
	CU_ASSERT_EQUAL(g_wire[4], 24);
	CU_ASSERT_EQUAL(g_wire[8], 2);

	/* The offending header may already sit in the PDU's own buffer. */
	memcpy(pdu.raw + 24, bad, 50);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_term_req(&pdu, NVTCP_TCP_PDU_H2C_TERM_REQ, 1, 2,
					       pdu.raw + 24, 50), 0);
	CU_ASSERT(memcmp(pdu.raw + 24, bad, 50) == 0);

	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_term_req(&pdu, NVTCP_TCP_PDU_R2T, 1, 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_term_req(&pdu, NVTCP_TCP_PDU_C2H_TERM_REQ, 1, 0, NULL, 8),
			-EINVAL);
}

/* What the send side builds, the receive side accepts. */
struct loop_owner {
	int headers;
	int payloads;
	bool ok;
	uint8_t buf[256 * 1024];
	union nvtcp_tcp_pdu_hdr hdr;
};

static int
loop_header(void *ctx, struct nvtcp_tcp_rx *rx)
{
	struct loop_owner *o = ctx;
	uint32_t dl = nvtcp_tcp_rx_data_len(rx);

	o->headers++;
	memcpy(&o->hdr, nvtcp_tcp_rx_hdr(rx), sizeof(o->hdr));
	if (dl > 0) {
		struct iovec iov = { o->buf, dl };

		CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload(rx, &iov, 1), 0);
	}
	return 0;
}

static int
loop_payload(void *ctx, struct nvtcp_tcp_rx *rx, bool ok)
{
	struct loop_owner *o = ctx;

	o->payloads++;
	o->ok = ok;
	return 0;
}

static void
test_round_trip(void)
{
	static struct nvtcp_tcp_tx_pdu pdu;
	static struct nvtcp_tcp_rx rx;
	static struct loop_owner o;
	static const uint32_t aligns[] = { 4, 16, 128 };
	struct nvtcp_tcp_rx_opts opts;
	struct iovec iov[2] = { { g_data, 1000 }, { g_data + 1000, 99000 } };

	for (size_t a = 0; a < NVTCP_COUNTOF(aligns); a++) {
		for (int dg = 0; dg < 4; dg++) {
			struct nvtcp_tcp_params tx = params(dg & 1, dg & 2, aligns[a]);
			struct nvtcp_tcp_params rxp = tx;
			struct nvtcp_sock_rxbuf rb;
			size_t len;

			rxp.rx_pda = aligns[a];
			rxp.tx_pda = 4;
			memset(&o, 0, sizeof(o));
			nvtcp_tcp_rx_opts_init(&opts);
			opts.role = NVTCP_TCP_ROLE_HOST;
			opts.header_cb = loop_header;
			opts.payload_cb = loop_payload;
			opts.cb_ctx = &o;
			CU_ASSERT_FATAL(nvtcp_tcp_rx_init(&rx, &opts) == 0);
			CU_ASSERT_FATAL(nvtcp_tcp_rx_set_params(&rx, &rxp) == 0);

			nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_C2H_DATA);
			pdu.hdr.ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
			pdu.hdr.c2h_data.cccid = 17;
			pdu.hdr.c2h_data.datao = 0;
			CU_ASSERT_EQUAL(nvtcp_tcp_pdu_finish(&pdu, &tx, iov, 2), 0);
			len = flatten(&pdu, g_wire);
			rb.buf = g_wire;
			rb.size = sizeof(g_wire);
			rb.head = 0;
			rb.tail = len;
			CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&rx, &rb), 0);
			CU_ASSERT_EQUAL(o.headers, 1);
			CU_ASSERT_EQUAL(o.payloads, 1);
			CU_ASSERT(o.ok);
			CU_ASSERT_EQUAL(o.hdr.c2h_data.cccid, 17);
			CU_ASSERT(memcmp(o.buf, g_data, 100000) == 0);
		}
	}
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("tcp_tx", NULL, NULL);

	CU_ADD_TEST(s, test_finish_matches_encoder);
	CU_ADD_TEST(s, test_literal_images);
	CU_ADD_TEST(s, test_flags);
	CU_ADD_TEST(s, test_finish_errors);
	CU_ADD_TEST(s, test_term_req);
	CU_ADD_TEST(s, test_round_trip);
}

NVTCP_UT_MAIN(add_tests)
