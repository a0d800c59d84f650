/*
 * Unit tests of lib/target/conn.c: the connection PDU engine (IC exchange, framing errors and
 * their C2HTermReq, fragmentation, R2T flow with MAXR2T, H2CData checks, digests, C2HData
 * splitting and SUCCESS, back-pressure, queue overflow).
 */
#include "tgt_ut.h"

static void
test_icreq_icresp(void)
{
	struct ut_conn u;
	const struct nvtcp_tcp_icresp *r;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	CU_ASSERT_FATAL(ut_conn_open(&u) == 0);
	ut_icreq(&u, true, true, 3);
	r = &ut_hdr(&u)->icresp;
	CU_ASSERT(r->ch.hlen == 128 && r->ch.plen == 128 && r->pfv == 0);
	CU_ASSERT(r->cpda == 0);
	CU_ASSERT(r->maxh2cdata == 128 * 1024);
	CU_ASSERT(r->dgst == (NVTCP_TCP_IC_DGST_HDGST | NVTCP_TCP_IC_DGST_DDGST));
	CU_ASSERT(u.conn->params.maxr2t == 3);
	CU_ASSERT(u.conn->state == TGT_CONN_CONNECT_WAIT);
	ut_conn_close(&u);
	ut_tgt_destroy();
}

static void
test_digests_not_granted(void)
{
	struct nvtcp_tgt_opts o;
	struct ut_conn u;

	nvtcp_tgt_opts_init(&o);
	o.buf_count = 64;
	o.hdgst = false;
	o.ddgst = true;
	o.cpda = 3;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	CU_ASSERT_FATAL(ut_conn_open(&u) == 0);
	ut_icreq(&u, true, true, 0);
	CU_ASSERT(ut_hdr(&u)->icresp.dgst == NVTCP_TCP_IC_DGST_DDGST);
	CU_ASSERT(ut_hdr(&u)->icresp.cpda == 3);
	CU_ASSERT(u.params.tx_pda == 16);
	/* The host aligns its data to CPDA: a Connect with 16-byte aligned in-capsule data. */
	CU_ASSERT(ut_connect(&u, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	ut_conn_close(&u);
	ut_tgt_destroy();
}

static void
test_fragmented_input(void)
{
	struct ut_conn u;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	CU_ASSERT_FATAL(ut_conn_open(&u) == 0);
	/* A byte at a time: every header and payload straddles reads. */
	fake_sock_set_rx_chunk(u.fake, 1);
	ut_icreq(&u, true, true, 0);
	CU_ASSERT(ut_connect(&u, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	fake_sock_set_rx_chunk(u.fake, 7);
	CU_ASSERT(ut_prop(&u, true, NVTCP_NVME_PROP_CC, false, nvtcp_nvme_cc_enable_value(0),
			  NULL) == 0);
	ut_conn_close(&u);
	ut_tgt_destroy();
}

static void
test_framing_errors(void)
{
	struct ut_conn u;
	uint8_t pdu[256];
	struct nvtcp_tcp_icreq icreq;
	struct nvtcp_tcp_ic_opts o;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	nvtcp_tcp_ic_opts_init(&o);

	/* A CapsuleResp from a host: invalid PDU type, FEI 0. */
	CU_ASSERT_FATAL(ut_conn_open(&u) == 0);
	memset(pdu, 0, sizeof(pdu));
	pdu[0] = NVTCP_TCP_PDU_CAPSULE_RESP;
	pdu[2] = 24;
	pdu[4] = 24;
	pdu[23] = 0xA7;
	ut_send(&u, pdu, 24);
	ut_expect_term(&u, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 0);
	/* Found in the common header, yet the TermReq carries the whole header, not 8 bytes. */
	CU_ASSERT(ut_hdr(&u)->ch.plen == 24 + 24);
	CU_ASSERT(memcmp(u.hdr + 24, pdu, 24) == 0);
	ut_conn_close(&u);

	/* A CapsuleCmd before ICReq: PDU sequence error. */
	CU_ASSERT_FATAL(ut_conn_open(&u) == 0);
	memset(pdu, 0, sizeof(pdu));
	pdu[0] = NVTCP_TCP_PDU_CAPSULE_CMD;
	pdu[2] = 72;
	pdu[4] = 72;
	ut_send(&u, pdu, 72);
	ut_expect_term(&u, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	/* The offending header travels in the TermReq. */
	CU_ASSERT(ut_hdr(&u)->ch.plen == 24 + 72);
	CU_ASSERT(u.hdr[24] == NVTCP_TCP_PDU_CAPSULE_CMD);
	ut_conn_close(&u);

	/* ICReq PFV 1: unsupported parameter at byte 8. */
	CU_ASSERT_FATAL(ut_conn_open(&u) == 0);
	nvtcp_tcp_icreq_build(&icreq, &o);
	icreq.pfv = 1;
	ut_send(&u, &icreq, sizeof(icreq));
	ut_expect_term(&u, NVTCP_TCP_FES_UNSUPPORTED_PARAMETER, 8);
	ut_conn_close(&u);

	/* A second ICReq. */
	CU_ASSERT_FATAL(ut_conn_open(&u) == 0);
	ut_icreq(&u, false, false, 0);
	nvtcp_tcp_icreq_build(&icreq, &o);
	ut_send(&u, &icreq, sizeof(icreq));
	ut_expect_term(&u, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	ut_conn_close(&u);

	/* plen above every limit: invalid field at plen (4). */
	CU_ASSERT_FATAL(ut_conn_open(&u) == 0);
	ut_icreq(&u, false, false, 0);
	memset(pdu, 0, sizeof(pdu));
	pdu[0] = NVTCP_TCP_PDU_CAPSULE_CMD;
	pdu[2] = 72;
	pdu[3] = 72;
	pdu[7] = 0x10;
	ut_send(&u, pdu, 72);
	ut_expect_term(&u, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 4);
	ut_conn_close(&u);

	/* H2CTermReq: logged, closed, nothing sent. */
	CU_ASSERT_FATAL(ut_conn_open(&u) == 0);
	ut_icreq(&u, false, false, 0);
	memset(pdu, 0, sizeof(pdu));
	pdu[0] = NVTCP_TCP_PDU_H2C_TERM_REQ;
	pdu[2] = 24;
	pdu[4] = 24;
	ut_send(&u, pdu, 24);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(u.fake));
	CU_ASSERT(ut_recv(&u) == -1);
	ut_conn_close(&u);
	ut_tgt_destroy();
}

static void
test_hdgst_error(void)
{
	struct ut_conn u;
	struct nvtcp_tcp_tx_pdu *pdu = malloc(sizeof(*pdu));
	struct nvtcp_nvme_cmd cmd;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	ut_admin_up(&u, true, false);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_KEEP_ALIVE;
	cmd.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
	pdu->hdr.cmd.ccsqe = cmd;
	CU_ASSERT_FATAL(nvtcp_tcp_pdu_finish(pdu, &u.params, NULL, 0) == 0);
	pdu->raw[72] ^= 0x55;
	ut_send(&u, pdu->raw, pdu->hdr_area_len);
	ut_expect_term(&u, NVTCP_TCP_FES_HDGST_ERROR, 0);
	free(pdu);
	ut_conn_close(&u);
	ut_tgt_destroy();
}

static void
test_ddgst_error_keeps_connection(void)
{
	struct ut_conn a, io;
	struct nvtcp_tcp_tx_pdu *pdu = malloc(sizeof(*pdu));
	struct nvtcp_nvme_cmd cmd;
	uint8_t data[4096], back[4096];
	struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
	uint16_t cid;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	ut_admin_up(&a, false, false);
	ut_io_up(&io, &a, 1, true, true, 0);
	memset(data, 0xA5, sizeof(data));
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 8);
	cmd.cid = 40;
	cmd.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	nvtcp_nvme_sgl_set_incapsule(&cmd.dptr.sgl1, 0, sizeof(data));
	nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
	pdu->hdr.cmd.ccsqe = cmd;
	CU_ASSERT_FATAL(nvtcp_tcp_pdu_finish(pdu, &io.params, &iov, 1) == 0);
	pdu->ddgst[1] ^= 1;
	for (int i = 0; i < pdu->iovcnt; i++) {
		ut_send(&io, pdu->iov[i].iov_base, pdu->iov[i].iov_len);
	}
	CU_ASSERT(ut_wait(&io, 40, NULL, 0, NULL) ==
		  nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC,
				    NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR, false));
	CU_ASSERT(!fake_sock_is_closed(io.fake));
	CU_ASSERT(g_ut_tgt->pgs[0].stats.io.ddgst_errors == 1);
	/* Nothing was committed: the blocks still read as zeroes. */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 8);
	memset(back, 0xFF, sizeof(back));
	CU_ASSERT(ut_exec(&io, &cmd, NULL, 0, back, sizeof(back), NULL) == 0);
	memset(data, 0, sizeof(data));
	CU_ASSERT(memcmp(back, data, sizeof(back)) == 0);
	/* A good write with digests goes through. */
	memset(data, 0x3C, sizeof(data));
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 8);
	cid = ut_cmd(&io, &cmd, data, sizeof(data), sizeof(data));
	CU_ASSERT(ut_wait(&io, cid, NULL, 0, NULL) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 8);
	CU_ASSERT(ut_exec(&io, &cmd, NULL, 0, back, sizeof(back), NULL) == 0);
	CU_ASSERT(memcmp(back, data, sizeof(back)) == 0);
	free(pdu);
	ut_conn_close(&io);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

/* Answer the R2T at hand with H2CData PDUs of at most \p chunk bytes. */
static void
answer_r2t(struct ut_conn *u, const uint8_t *data, uint32_t chunk)
{
	struct nvtcp_tcp_r2t r2t = ut_hdr(u)->r2t;
	struct nvtcp_tcp_tx_pdu *pdu = malloc(sizeof(*pdu));

	for (uint32_t off = r2t.r2to; off < r2t.r2to + r2t.r2tl; off += chunk) {
		uint32_t n = NVTCP_MIN(chunk, r2t.r2to + r2t.r2tl - off);

		nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_H2C_DATA);
		pdu->hdr.h2c_data.cccid = r2t.cccid;
		pdu->hdr.h2c_data.ttag = r2t.ttag;
		pdu->hdr.h2c_data.datao = off;
		if (off + n == r2t.r2to + r2t.r2tl) {
			pdu->hdr.ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
		}
		ut_send_pdu(u, pdu, data + off, n);
	}
	free(pdu);
}

static void
test_r2t_flow_maxr2t(void)
{
	struct nvtcp_tgt_opts o;
	struct ut_conn a, io;
	struct nvtcp_nvme_cmd cmd;
	uint8_t data[16384], back[16384];
	uint32_t offs[8], n = 0;
	uint16_t cid;
	int t;

	nvtcp_tgt_opts_init(&o);
	o.buf_count = 64;
	o.max_r2t_len = 4096;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	ut_admin_up(&a, false, false);
	/* MAXR2T 1: two R2Ts outstanding at most. */
	ut_io_up(&io, &a, 1, false, false, 1);
	for (uint32_t i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i * 7);
	}
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 16, 32);
	cid = ut_cmd(&io, &cmd, NULL, 0, sizeof(data));
	ut_poll();
	while ((t = ut_recv(&io)) == NVTCP_TCP_PDU_R2T) {
		offs[n++] = ut_hdr(&io)->r2t.r2to;
		CU_ASSERT(ut_hdr(&io)->r2t.r2tl == 4096);
		CU_ASSERT(ut_hdr(&io)->r2t.cccid == cid);
	}
	CU_ASSERT(n == 2);
	CU_ASSERT(n == 2 && offs[0] == 0 && offs[1] == 4096);
	/* Answer the first (in two PDUs): the third R2T follows; then the rest. */
	{
		struct nvtcp_tcp_r2t first = {.ch = {.pdu_type = NVTCP_TCP_PDU_R2T}};

		first.cccid = cid;
		first.ttag = (uint16_t)(io.conn->reqs[0].idx);
		/* The transfer tag of R2T #k carries k in its top bits. */
		for (uint32_t k = 0; k < 4; k++) {
			if (k >= 2) {
				ut_poll();
				CU_ASSERT(ut_recv(&io) == NVTCP_TCP_PDU_R2T);
				CU_ASSERT(ut_hdr(&io)->r2t.r2to == k * 4096);
			} else {
				memset(io.hdr, 0, sizeof(io.hdr));
				first.r2to = k * 4096;
				first.r2tl = 4096;
				first.ttag = (uint16_t)(io.conn->reqs[0].idx |
							(k << TGT_TTAG_IDX_BITS));
				memcpy(io.hdr, &first, sizeof(first));
			}
			answer_r2t(&io, data, 2048);
		}
	}
	CU_ASSERT(ut_wait(&io, cid, NULL, 0, NULL) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 16, 32);
	CU_ASSERT(ut_exec(&io, &cmd, NULL, 0, back, sizeof(back), NULL) == 0);
	CU_ASSERT(memcmp(back, data, sizeof(data)) == 0);
	ut_conn_close(&io);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static void
send_h2c(struct ut_conn *u, uint16_t cid, uint16_t ttag, uint32_t off, uint32_t len, uint8_t flags)
{
	static uint8_t zeros[8192];
	struct nvtcp_tcp_tx_pdu *pdu = malloc(sizeof(*pdu));

	nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_H2C_DATA);
	pdu->hdr.h2c_data.cccid = cid;
	pdu->hdr.h2c_data.ttag = ttag;
	pdu->hdr.h2c_data.datao = off;
	pdu->hdr.ch.flags = flags;
	ut_send_pdu(u, pdu, zeros, len);
	free(pdu);
}

/* A write of 8 KiB by R2T, then one bad H2CData: the expected TermReq. */
static void
h2c_case(uint32_t off, uint32_t len, uint8_t flags, int cid_delta, int ttag_delta, uint16_t fes,
	 uint32_t fei)
{
	struct ut_conn a, io;
	struct nvtcp_nvme_cmd cmd;
	uint16_t cid, ttag;

	ut_admin_up(&a, false, false);
	ut_io_up(&io, &a, 1, false, false, 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 16);
	cid = ut_cmd(&io, &cmd, NULL, 0, 8192);
	ut_poll();
	CU_ASSERT_FATAL(ut_recv(&io) == NVTCP_TCP_PDU_R2T);
	ttag = ut_hdr(&io)->r2t.ttag;
	send_h2c(&io, (uint16_t)(cid + cid_delta), (uint16_t)(ttag + ttag_delta), off, len, flags);
	ut_expect_term(&io, fes, fei);
	ut_conn_close(&io);
	ut_conn_close(&a);
}

static void
test_h2c_checks(void)
{
	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	/* Wrong offset inside the R2T. */
	h2c_case(4096, 4096, NVTCP_TCP_FLAG_LAST_PDU, 0, 0, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 12);
	/* Beyond the R2T. */
	h2c_case(0, 8192 + 0, 0, 0, 0, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 1);
	h2c_case(4096 + 2048, 4096, NVTCP_TCP_FLAG_LAST_PDU, 0, 0, NVTCP_TCP_FES_DATA_OUT_OF_RANGE,
		 12);
	/* LAST_PDU before the end. */
	h2c_case(0, 4096, NVTCP_TCP_FLAG_LAST_PDU, 0, 0, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 1);
	/* Another CID, another TTAG. */
	h2c_case(0, 4096, 0, 1, 0, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 8);
	h2c_case(0, 4096, 0, 0, 1, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 10);
	ut_tgt_destroy();
}

/*
 * An H2CData inside a valid R2T window but longer than MAXH2CDATA (4 KiB here), also longer
 * than the receive limit (8 KiB: the in-capsule size): Data Transfer Limit Exceeded at DATAL,
 * not an invalid PLEN.
 */
static void
test_h2c_above_maxh2cdata(void)
{
	static uint8_t data[16384];
	struct nvtcp_tgt_opts o;
	struct ut_conn a, io;
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_tcp_tx_pdu *pdu = malloc(sizeof(*pdu));
	uint16_t cid;

	nvtcp_tgt_opts_init(&o);
	o.maxh2cdata = 4096;
	o.in_capsule_data_size = 8192;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	ut_admin_up(&a, false, false);
	ut_io_up(&io, &a, 1, false, false, 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 128);
	cid = ut_cmd(&io, &cmd, NULL, 0, 65536);
	ut_poll();
	CU_ASSERT_FATAL(ut_recv(&io) == NVTCP_TCP_PDU_R2T);
	CU_ASSERT(ut_hdr(&io)->r2t.r2tl >= sizeof(data));
	nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_H2C_DATA);
	pdu->hdr.h2c_data.cccid = cid;
	pdu->hdr.h2c_data.ttag = ut_hdr(&io)->r2t.ttag;
	pdu->hdr.h2c_data.datao = 0;
	ut_send_pdu(&io, pdu, data, sizeof(data));
	free(pdu);
	ut_expect_term(&io, NVTCP_TCP_FES_DATA_LIMIT_EXCEEDED, 16);
	ut_conn_close(&io);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static void
test_c2h_split_and_success(void)
{
	struct nvtcp_tgt_opts o;
	struct ut_conn a, io, io2;
	struct nvtcp_nvme_cmd cmd;
	uint8_t data[16384], back[16384];
	uint32_t pdus = 0;
	uint16_t cid;
	int t;

	nvtcp_tgt_opts_init(&o);
	o.buf_count = 64;
	o.max_c2h_len = 4096;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	ut_admin_up(&a, false, false);
	ut_io_up(&io, &a, 1, false, false, 0);
	memset(data, 0x77, sizeof(data));
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 32);
	cid = ut_cmd(&io, &cmd, data, 16384, 16384);
	CU_ASSERT(ut_wait(&io, cid, NULL, 0, NULL) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 32);
	cid = ut_cmd(&io, &cmd, NULL, 0, sizeof(back));
	ut_poll();
	while ((t = ut_recv(&io)) == NVTCP_TCP_PDU_C2H_DATA) {
		const struct nvtcp_tcp_c2h_data *h = &ut_hdr(&io)->c2h_data;

		CU_ASSERT(h->datao == pdus * 4096 && h->datal == 4096);
		CU_ASSERT(!!(h->ch.flags & NVTCP_TCP_FLAG_LAST_PDU) == (pdus == 3));
		/* SQ flow control is on: no SUCCESS, a CapsuleResp follows. */
		CU_ASSERT(!(h->ch.flags & NVTCP_TCP_FLAG_SUCCESS));
		memcpy(back + h->datao, io.data, h->datal);
		pdus++;
	}
	CU_ASSERT(pdus == 4);
	CU_ASSERT(t == NVTCP_TCP_PDU_CAPSULE_RESP);
	CU_ASSERT(memcmp(back, data, sizeof(data)) == 0);

	/* A queue that disabled SQ flow control gets SUCCESS and no CapsuleResp. */
	CU_ASSERT_FATAL(ut_conn_open(&io2) == 0);
	ut_icreq(&io2, false, false, 0);
	{
		struct nvtcp_nvmf_connect_cmd c;
		struct nvtcp_nvmf_connect_data d;

		memset(&c, 0, sizeof(c));
		memset(&d, 0, sizeof(d));
		c.opc = NVTCP_NVME_OPC_FABRICS;
		c.fctype = NVTCP_NVMF_FCTYPE_CONNECT;
		c.qid = 2;
		c.sqsize = 15;
		c.cattr = NVTCP_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW_CONTROL;
		memcpy(d.hostid, g_ut_hostid, 16);
		d.cntlid = a.cntlid;
		snprintf(d.subnqn, sizeof(d.subnqn), "%s", UT_NQN);
		snprintf(d.hostnqn, sizeof(d.hostnqn), "%s", UT_HOSTNQN);
		CU_ASSERT(ut_exec(&io2, (void *)&c, &d, sizeof(d), NULL, 0, NULL) == 0);
	}
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 8);
	cid = ut_cmd(&io2, &cmd, NULL, 0, 4096);
	ut_poll();
	CU_ASSERT(ut_recv(&io2) == NVTCP_TCP_PDU_C2H_DATA);
	CU_ASSERT(ut_hdr(&io2)->ch.flags == (NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS));
	CU_ASSERT(ut_recv(&io2) == -1);
	ut_conn_close(&io2);
	ut_conn_close(&io);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static void
test_backpressure(void)
{
	struct nvtcp_tgt_opts o;
	struct ut_conn a, io;
	struct nvtcp_nvme_cmd cmd;
	static uint8_t data[512 * 1024];
	uint16_t cids[3];
	int r2ts = 0, t;

	nvtcp_tgt_opts_init(&o);
	o.max_io_size = 512 * 1024;
	o.buf_size = 64 * 1024;
	/* 8 buffers per write, plus 1 kept for in-capsule data. */
	o.buf_count = 17;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 4 << 20, 512) != NULL);
	ut_admin_up(&a, false, false);
	/* Data digests: writes go through buffers. */
	ut_io_up(&io, &a, 1, false, true, 0);
	for (int i = 0; i < 3; i++) {
		ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, (uint64_t)i * 1024, 1024);
		cids[i] = ut_cmd(&io, &cmd, NULL, 0, sizeof(data));
	}
	ut_poll();
	/* Two writes took the 16 buffers; the third waits. */
	while ((t = ut_recv(&io)) == NVTCP_TCP_PDU_R2T) {
		r2ts++;
		CU_ASSERT(ut_hdr(&io)->r2t.cccid != cids[2]);
	}
	CU_ASSERT(r2ts == 2);
	CU_ASSERT(g_ut_tgt->pgs[0].bufs.nfree == 1);
	CU_ASSERT(g_ut_tgt->pgs[0].stats.io.buf_waits >= 1);
	/* Completing the first frees its buffers: the third gets its R2T. */
	memset(io.hdr, 0, sizeof(io.hdr));
	{
		struct nvtcp_tcp_r2t r = {.ch = {.pdu_type = NVTCP_TCP_PDU_R2T}};

		r.cccid = cids[0];
		r.ttag = io.conn->reqs[0].idx;
		r.r2tl = sizeof(data);
		memcpy(io.hdr, &r, sizeof(r));
	}
	answer_r2t(&io, data, 128 * 1024);
	ut_poll();
	CU_ASSERT(ut_recv(&io) == NVTCP_TCP_PDU_CAPSULE_RESP);
	CU_ASSERT(ut_recv(&io) == NVTCP_TCP_PDU_R2T);
	CU_ASSERT(ut_hdr(&io)->r2t.cccid == cids[2]);
	ut_conn_close(&io);
	ut_conn_close(&a);
	ut_poll();
	CU_ASSERT(g_ut_tgt->pgs[0].bufs.nfree == 17);
	ut_tgt_destroy();
}

static void
test_queue_overflow(void)
{
	struct ut_conn a, io;
	uint8_t pdus[7 * 72];
	int ok = 0, err = 0, t;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	ut_admin_up(&a, false, false);
	CU_ASSERT_FATAL(ut_conn_open(&io) == 0);
	ut_icreq(&io, false, false, 0);
	/* A queue of 4 entries, then 7 commands at once. */
	CU_ASSERT_FATAL(ut_connect(&io, 1, 3, UT_NQN, UT_HOSTNQN, a.cntlid, 0, NULL) == 0);
	memset(pdus, 0, sizeof(pdus));
	for (int i = 0; i < 7; i++) {
		struct nvtcp_nvme_cmd *c = (void *)(pdus + 72 * i + 8);

		pdus[72 * i] = NVTCP_TCP_PDU_CAPSULE_CMD;
		pdus[72 * i + 2] = 72;
		pdus[72 * i + 4] = 72;
		c->opc = NVTCP_NVME_OPC_FLUSH;
		c->nsid = 1;
		c->cid = (uint16_t)(100 + i);
		c->flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	}
	ut_send(&io, pdus, sizeof(pdus));
	ut_poll();
	while ((t = ut_recv(&io)) == NVTCP_TCP_PDU_CAPSULE_RESP) {
		if (ut_hdr(&io)->rsp.rccqe.status & 0xFFFE) {
			CU_ASSERT(nvtcp_nvme_status_sc(ut_hdr(&io)->rsp.rccqe.status) ==
				  NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR);
			err++;
		} else {
			ok++;
		}
	}
	/* 4 served, 2 refused with the spare requests, then the connection ends. */
	CU_ASSERT(ok == 4);
	CU_ASSERT(err == 2);
	CU_ASSERT(t == NVTCP_TCP_PDU_C2H_TERM_REQ);
	CU_ASSERT(ut_hdr(&io)->term_req.fes == NVTCP_TCP_FES_PDU_SEQUENCE_ERROR);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(io.fake));
	ut_conn_close(&io);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static void
test_disconnect_and_peer_close(void)
{
	struct ut_conn a, io;
	struct nvtcp_nvme_cmd cmd;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	ut_admin_up(&a, false, false);
	ut_io_up(&io, &a, 1, false, false, 0);
	CU_ASSERT(g_ut_tgt->pgs[0].nconns == 2);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	((uint8_t *)&cmd)[4] = NVTCP_NVMF_FCTYPE_DISCONNECT;
	CU_ASSERT(ut_exec(&io, &cmd, NULL, 0, NULL, 0, NULL) == 0);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(io.fake));
	CU_ASSERT(g_ut_tgt->pgs[0].nconns == 1);
	/* The host closing the admin queue ends the controller and the connection. */
	fake_sock_rx_close(a.fake);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(a.fake));
	CU_ASSERT(g_ut_tgt->pgs[0].nconns == 0);
	CU_ASSERT(atomic_load(&g_ut_tgt->nctrlrs) == 0);
	ut_conn_close(&io);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static int
suite_init(void)
{
	return ut_env_setup("conn_ut");
}

static int
suite_fini(void)
{
	ut_env_teardown();
	return 0;
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("target_conn", suite_init, suite_fini);

	CU_ADD_TEST(s, test_icreq_icresp);
	CU_ADD_TEST(s, test_digests_not_granted);
	CU_ADD_TEST(s, test_fragmented_input);
	CU_ADD_TEST(s, test_framing_errors);
	CU_ADD_TEST(s, test_hdgst_error);
	CU_ADD_TEST(s, test_ddgst_error_keeps_connection);
	CU_ADD_TEST(s, test_r2t_flow_maxr2t);
	CU_ADD_TEST(s, test_h2c_checks);
	CU_ADD_TEST(s, test_h2c_above_maxh2cdata);
	CU_ADD_TEST(s, test_c2h_split_and_success);
	CU_ADD_TEST(s, test_backpressure);
	CU_ADD_TEST(s, test_queue_overflow);
	CU_ADD_TEST(s, test_disconnect_and_peer_close);
}

NVTCP_UT_MAIN(add_tests)
