/*
 * Unit tests of lib/nvme/tcp.c, the PDU engine: every PDU type the host accepts delivered
 * whole, one byte at a time and several per read (with and without digests); the SUCCESS
 * flag; R2T/H2CData splitting by MAXH2CDATA with several R2Ts; the in-capsule/R2T choice at
 * the boundary; each malformed field answered by the right H2CTermReq and a failed queue pair
 * whose commands complete once; data digest errors; C2HTermReq; a completion that arrives
 * while H2C data is still queued.
 */
#include "nvme_ut.h"

struct env {
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qp;
	struct fake_conn *conn;
	struct nvtcp_ns *ns;
	struct fake_sock *hs;    /* the host side of the I/O connection */
};

static void
env_setup_cfg(struct env *e, const struct fake_ctrlr_cfg *cfg, bool hdgst, bool ddgst)
{
	struct nvtcp_ctrlr_opts o;
	int rc;

	memset(e, 0, sizeof(*e));
	e->fc = fake_ctrlr_create(cfg);
	ut_opts(&o);
	o.hdgst = hdgst;
	o.ddgst = ddgst;
	CU_ASSERT_FATAL(ut_attach(e->fc, &o, UT_SUBNQN, &e->c) == 0);
	e->qp = nvtcp_ctrlr_alloc_io_qpair(e->c, NULL, &rc);
	CU_ASSERT_FATAL(e->qp != NULL);
	e->conn = fake_ctrlr_conn(e->fc, 1);
	CU_ASSERT_FATAL(e->conn != NULL);
	e->hs = fake_conn_sock(e->conn);
	fake_conn_set_manual(e->conn, true);
	e->ns = nvtcp_ctrlr_get_ns(e->c, 1);
	CU_ASSERT_FATAL(e->ns != NULL);
}

static void
env_setup(struct env *e, bool hdgst, bool ddgst)
{
	struct fake_ctrlr_cfg cfg;

	fake_ctrlr_cfg_init(&cfg);
	env_setup_cfg(e, &cfg, hdgst, ddgst);
}

static void
env_teardown(struct env *e)
{
	if (e->qp != NULL) {
		CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(e->qp), 0);
	}
	ut_teardown(e->fc, e->c);
}

/* Poll the I/O queue pair and the fake until the host sent a command; return it. */
static bool
next_cmd(struct env *e, struct fake_cmd_record *rec, void *data, uint32_t max)
{
	for (int i = 0; i < 50; i++) {
		(void)nvtcp_qpair_process_completions(e->qp, 0);
		fake_ctrlr_poll(e->fc);
		if (fake_conn_pop_cmd(e->conn, rec, data, max)) {
			return true;
		}
	}
	return false;
}

static void
c2h(struct env *e, uint16_t cid, uint32_t datao, const void *data, uint32_t len, uint8_t flags)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	h.ch.flags = flags;
	h.c2h_data.cccid = cid;
	h.c2h_data.datao = datao;
	fake_conn_send_pdu(e->conn, &h, data, len);
}

static void
r2t(struct env *e, uint16_t cid, uint16_t ttag, uint32_t off, uint32_t len)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_R2T;
	h.r2t.cccid = cid;
	h.r2t.ttag = ttag;
	h.r2t.r2to = off;
	h.r2t.r2tl = len;
	fake_conn_send_pdu(e->conn, &h, NULL, 0);
}

/* ---- Reads: whole, byte by byte, several per read --------------------------------------- */

static void
read_test(bool hdgst, bool ddgst, size_t chunk)
{
	struct env e;
	struct fake_cmd_record rec;
	struct ut_cpl u = {0};
	uint8_t data[4096], buf[4096];
	int polls = 0;

	env_setup(&e, hdgst, ddgst);
	ut_fill(data, sizeof(data), 3);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 16, 8, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	CU_ASSERT_EQUAL(rec.cmd.opc, NVTCP_NVME_OPC_READ);
	CU_ASSERT_EQUAL(rec.cmd.flags, 0x40);
	CU_ASSERT_EQUAL(rec.cmd.dptr.sgl1.id, 0x5A);
	CU_ASSERT_EQUAL(rec.cmd.dptr.sgl1.length, 4096);
	CU_ASSERT_EQUAL(nvtcp_nvme_rw_slba(&rec.cmd), 16);
	CU_ASSERT_EQUAL(nvtcp_nvme_rw_nlb(&rec.cmd), 8);
	fake_sock_set_rx_chunk(e.hs, chunk);
	c2h(&e, rec.cmd.cid, 0, data, 1024, 0);
	c2h(&e, rec.cmd.cid, 1024, data + 1024, 3072, NVTCP_TCP_FLAG_LAST_PDU);
	fake_conn_send_rsp(e.conn, rec.cmd.cid, 0, 0);
	while (u.count == 0 && polls < 20000) {
		CU_ASSERT(nvtcp_qpair_process_completions(e.qp, 0) >= 0);
		polls++;
	}
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(buf, data, sizeof(data)), 0);
	if (chunk == 1) {
		/* One batched read per poll: at least one poll per byte. */
		CU_ASSERT(polls > 4096);
	}
	CU_ASSERT(nvtcp_qpair_is_connected(e.qp));
	env_teardown(&e);
}

static void
test_read_whole(void)
{
	read_test(false, false, FAKE_SOCK_UNLIMITED);
	read_test(true, true, FAKE_SOCK_UNLIMITED);
	read_test(true, false, 7);
	read_test(false, true, 13);
}

static void
test_read_byte_at_a_time(void)
{
	read_test(false, false, 1);
	read_test(true, true, 1);
}

static void
test_direct_placement(void)
{
	struct env e;
	struct fake_cmd_record rec;
	struct ut_cpl u = {0};
	static uint8_t data[262144], buf[262144];
	const struct nvtcp_tcp_rx_stats *rs;
	uint64_t copied0, direct0;

	env_setup(&e, false, true);
	ut_fill(data, sizeof(data), 8);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 512, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	rs = nvtcp_tcp_rx_stats(&e.qp->rx);
	copied0 = rs->copied_bytes;
	direct0 = rs->direct_bytes;
	/* 16 KiB per read: the first read brings the header and the start of the payload (the
	 * only bytes copied); the rest is read straight into the caller's buffer. */
	fake_sock_set_rx_chunk(e.hs, 16384);
	c2h(&e, rec.cmd.cid, 0, data, sizeof(data), NVTCP_TCP_FLAG_LAST_PDU);
	fake_conn_send_rsp(e.conn, rec.cmd.cid, 0, 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(buf, data, sizeof(data)), 0);
	CU_ASSERT(rs->direct_bytes - direct0 >= sizeof(data) - 16384);
	CU_ASSERT(rs->copied_bytes - copied0 <= 16384);
	env_teardown(&e);
}

static void
test_several_per_read(void)
{
	struct env e;
	struct fake_cmd_record rec[3];
	struct ut_cpl u[3];
	uint8_t data[3][512], buf[3][512];
	struct nvtcp_qpair_stats st0, st1;

	env_setup(&e, true, true);
	memset(u, 0, sizeof(u));
	for (int i = 0; i < 3; i++) {
		ut_fill(data[i], 512, (uint32_t)i + 10);
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf[i], (uint64_t)i, 1, ut_cpl_cb, &u[i],
						  0), 0);
	}
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_FATAL(next_cmd(&e, &rec[i], NULL, 0));
	}
	/* Completions in another order than submission, all in one read. */
	for (int i = 2; i >= 0; i--) {
		c2h(&e, rec[i].cmd.cid, 0, data[i], 512, NVTCP_TCP_FLAG_LAST_PDU);
		fake_conn_send_rsp(e.conn, rec[i].cmd.cid, 0, 0);
	}
	nvtcp_qpair_get_stats(e.qp, &st0);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), 3);
	nvtcp_qpair_get_stats(e.qp, &st1);
	CU_ASSERT_EQUAL(st1.recv_calls - st0.recv_calls, 1);
	CU_ASSERT_EQUAL(st1.pdus_received - st0.pdus_received, 6);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(u[i].count, 1);
		CU_ASSERT_EQUAL(memcmp(buf[i], data[i], 512), 0);
	}
	/* A completion budget leaves the rest for the next poll. */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf[i], (uint64_t)i, 1, ut_cpl_cb, &u[i],
						  0), 0);
		CU_ASSERT_FATAL(next_cmd(&e, &rec[i], NULL, 0));
	}
	for (int i = 0; i < 3; i++) {
		c2h(&e, rec[i].cmd.cid, 0, data[i], 512, NVTCP_TCP_FLAG_LAST_PDU);
		fake_conn_send_rsp(e.conn, rec[i].cmd.cid, 0, 0);
	}
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 2), 2);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 2), 1);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(u[i].count, 2);
	}
	env_teardown(&e);
}

static void
test_c2h_success_flag(void)
{
	struct env e;
	struct fake_cmd_record rec;
	struct ut_cpl u = {0};
	uint8_t data[1024], buf[1024];
	uint16_t fes;
	uint32_t fei;

	env_setup(&e, false, false);
	ut_fill(data, sizeof(data), 5);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 2, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	c2h(&e, rec.cmd.cid, 0, data, 512, 0);
	c2h(&e, rec.cmd.cid, 512, data + 512, 512,
	    NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), 1);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(buf, data, sizeof(data)), 0);
	/* No CapsuleResp follows SUCCESS: one now names a CID that is not outstanding. */
	fake_conn_send_rsp(e.conn, rec.cmd.cid, 0, 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), -ENXIO);
	fake_ctrlr_poll(e.fc);
	CU_ASSERT_FATAL(fake_conn_term_req(e.conn, &fes, &fei, NULL, NULL));
	CU_ASSERT_EQUAL(fes, NVTCP_TCP_FES_INVALID_HEADER_FIELD);
	CU_ASSERT_EQUAL(fei, 20);
	CU_ASSERT_EQUAL(u.count, 1);
	env_teardown(&e);
}

/* ---- Writes: in-capsule boundary, R2T and H2CData splitting ----------------------------- */

static void
test_incapsule_boundary(void)
{
	struct env e;
	struct fake_cmd_record rec;
	struct ut_cpl u = {0};
	static uint8_t data[16896], got[16896];

	env_setup(&e, false, true);
	ut_fill(data, sizeof(data), 9);
	/* IOCCSZ 1028: 16384 bytes go in the capsule, with a data digest. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, data, 0, 32, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, got, sizeof(got)));
	CU_ASSERT_EQUAL(rec.cmd.dptr.sgl1.id, 0x01);
	CU_ASSERT_EQUAL(rec.cmd.dptr.sgl1.address, 0);
	CU_ASSERT_EQUAL(rec.cmd.dptr.sgl1.length, 16384);
	CU_ASSERT_EQUAL(rec.data_len, 16384);
	CU_ASSERT_EQUAL(memcmp(got, data, 16384), 0);
	fake_conn_send_rsp(e.conn, rec.cmd.cid, 0, 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	/* One block more: R2T. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, data, 0, 33, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	CU_ASSERT_EQUAL(rec.cmd.dptr.sgl1.id, 0x5A);
	CU_ASSERT_EQUAL(rec.cmd.dptr.sgl1.length, 16896);
	CU_ASSERT_EQUAL(rec.data_len, 0);
	fake_conn_send_rsp(e.conn, rec.cmd.cid, nvtcp_nvme_status(0, 0x04, true), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 2);
	CU_ASSERT_EQUAL(u.errors, 1);
	env_teardown(&e);
}

static void
test_r2t_h2c_split(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct fake_cmd_record rec;
	struct fake_h2c_record h2c[16];
	struct ut_cpl u = {0};
	static uint8_t data[65536], got[65536];
	int n = 0;

	fake_ctrlr_cfg_init(&cfg);
	cfg.maxh2cdata = 8192;
	env_setup_cfg(&e, &cfg, true, true);
	ut_fill(data, sizeof(data), 11);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, data, 100, 128, ut_cpl_cb, &u,
					   NVTCP_IO_FLAGS_FUA), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	CU_ASSERT_EQUAL(rec.cmd.dptr.sgl1.id, 0x5A);
	CU_ASSERT(rec.cmd.cdw12 & NVTCP_NVME_RW_CDW12_FUA);
	/* Two R2Ts at once (MAXR2T 3 announced), 20 KiB and 44 KiB. */
	r2t(&e, rec.cmd.cid, 0x11, 0, 20480);
	r2t(&e, rec.cmd.cid, 0x22, 20480, 45056);
	for (int i = 0; i < 50 && n < 16; i++) {
		static uint8_t tmp[8192];

		(void)nvtcp_qpair_process_completions(e.qp, 0);
		fake_ctrlr_poll(e.fc);
		while (n < 16 && fake_conn_pop_h2c(e.conn, &h2c[n], tmp, sizeof(tmp))) {
			CU_ASSERT_FATAL(h2c[n].datao + h2c[n].datal <= sizeof(got));
			memcpy(got + h2c[n].datao, tmp, h2c[n].datal);
			n++;
		}
	}
	/* 20480 = 8192 + 8192 + 4096; 45056 = 5 x 8192 + 4096. */
	CU_ASSERT_EQUAL_FATAL(n, 9);
	{
		uint32_t off = 0;

		for (int i = 0; i < n; i++) {
			bool first_r2t = i < 3;

			CU_ASSERT_EQUAL(h2c[i].cccid, rec.cmd.cid);
			CU_ASSERT_EQUAL(h2c[i].ttag, first_r2t ? 0x11 : 0x22);
			CU_ASSERT_EQUAL(h2c[i].datao, off);
			CU_ASSERT(h2c[i].datal <= 8192);
			CU_ASSERT_EQUAL(!!(h2c[i].flags & NVTCP_TCP_FLAG_LAST_PDU), i == 2 || i == 8);
			off += h2c[i].datal;
		}
		CU_ASSERT_EQUAL(off, 65536);
	}
	CU_ASSERT_EQUAL(memcmp(got, data, sizeof(data)), 0);
	CU_ASSERT_EQUAL(u.count, 0);
	fake_conn_send_rsp(e.conn, rec.cmd.cid, 0, 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	env_teardown(&e);
}

/* ---- Malformed PDUs ------------------------------------------------------------------------ */

/*
 * Submit a read (\p write: a 32 KiB write) and a second read that stay outstanding, let
 * \p inject send something wrong, and check: the TermReq's FES/FEI and copied header, the
 * failed queue pair, and that both commands completed once with Aborted - SQ Deletion.
 */
typedef void (*inject_fn)(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *hdr_len);

static void
malformed_test(bool write, bool hdgst, inject_fn inject, uint16_t want_fes, uint32_t want_fei)
{
	struct env e;
	struct fake_cmd_record rec, rec2;
	struct ut_cpl u = {0}, u2 = {0};
	static uint8_t buf[32768];
	uint8_t sent_hdr[128], buf2[512];
	const uint8_t *thdr;
	uint32_t sent_len = 0, fei, thdr_len;
	uint16_t fes;

	env_setup(&e, hdgst, false);
	if (write) {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, buf, 0, 64, ut_cpl_cb, &u, 0), 0);
	} else {
		CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 8, ut_cpl_cb, &u, 0), 0);
	}
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf2, 0, 1, ut_cpl_cb, &u2, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec2, NULL, 0));
	inject(&e, rec.cmd.cid, sent_hdr, &sent_len);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), -ENXIO);
	fake_ctrlr_poll(e.fc);
	CU_ASSERT_FATAL(fake_conn_term_req(e.conn, &fes, &fei, &thdr, &thdr_len));
	CU_ASSERT_EQUAL(fes, want_fes);
	CU_ASSERT_EQUAL(fei, want_fei);
	/* The TermReq carries the offending header (without its digest). */
	if (sent_len > 0) {
		CU_ASSERT_EQUAL(thdr_len, sent_len);
		CU_ASSERT_EQUAL(memcmp(thdr, sent_hdr, NVTCP_MIN(thdr_len, sent_len)), 0);
	}
	CU_ASSERT(fake_sock_is_closed(e.hs));
	CU_ASSERT_FALSE(nvtcp_qpair_is_connected(e.qp));
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(u2.count, 1);
	CU_ASSERT_EQUAL(ut_sct(&u.cpl), 0);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_FALSE(nvtcp_nvme_status_dnr(u.cpl.status));
	CU_ASSERT_EQUAL(ut_sc(&u2.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp), 0);
	/* Nothing more completes, and nothing new is accepted. */
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), -ENXIO);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf2, 0, 1, ut_cpl_cb, &u2, 0), -ENXIO);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(u2.count, 1);
	/* The queue pair asked for a controller reset (as Linux, the association goes); with
	 * reconnect disabled (ut_opts) that fails the controller at its next admin poll. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_LIVE);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_process_admin_completions(e.c), -ENXIO);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(e.c), NVTCP_CTRLR_STATE_FAILED);
	env_teardown(&e);
}

static void
keep_hdr(const union nvtcp_tcp_pdu_hdr *h, uint8_t *out, uint32_t *len)
{
	memcpy(out, h, h->ch.hlen ? h->ch.hlen : 24);
	*len = h->ch.hlen ? h->ch.hlen : 24;
}

/* Build a PDU with valid framing, remember its header (as sent), send it. */
static void
send_kept(struct env *e, union nvtcp_tcp_pdu_hdr *h, const void *data, uint32_t len,
	  uint8_t *out, uint32_t *out_len)
{
	struct nvtcp_tcp_tx_pdu pdu;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	uint8_t flags = h->ch.flags;

	nvtcp_tcp_pdu_init(&pdu, h->ch.pdu_type);
	memcpy(pdu.raw, h, sizeof(*h));
	pdu.hdr.ch.flags = flags;
	CU_ASSERT_FATAL(nvtcp_tcp_pdu_finish(&pdu, fake_conn_params(e->conn), len ? &iov : NULL,
					     len ? 1 : 0) == 0);
	keep_hdr(&pdu.hdr, out, out_len);
	for (int i = 0; i < pdu.iovcnt; i++) {
		fake_conn_send_raw(e->conn, pdu.iov[i].iov_base, pdu.iov[i].iov_len);
	}
}

static void
inj_rsp_unknown_cid(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_CAPSULE_RESP;
	h.rsp.rccqe.cid = (uint16_t)(cid + 100);
	send_kept(e, &h, NULL, 0, hdr, len);
}

static void
inj_rsp_cid_out_of_range(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_CAPSULE_RESP;
	h.rsp.rccqe.cid = 0xFFF0;
	send_kept(e, &h, NULL, 0, hdr, len);
}

static void
inj_c2h_unknown_cid(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;
	uint8_t d[512] = {0};

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	h.c2h_data.cccid = (uint16_t)(cid + 100);
	send_kept(e, &h, d, sizeof(d), hdr, len);
}

static void
inj_c2h_for_write(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;
	uint8_t d[512] = {0};

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	h.c2h_data.cccid = cid;
	send_kept(e, &h, d, sizeof(d), hdr, len);
}

static void
inj_c2h_bad_offset(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;
	uint8_t d[512] = {0};

	c2h(e, cid, 0, d, 512, 0);
	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	h.c2h_data.cccid = cid;
	h.c2h_data.datao = 1024; /* 512 expected: out of order */
	send_kept(e, &h, d, sizeof(d), hdr, len);
}

static void
inj_c2h_beyond(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;
	static uint8_t d[4608];

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	h.c2h_data.cccid = cid;
	send_kept(e, &h, d, sizeof(d), hdr, len); /* 4608 bytes for a 4096-byte read */
}

static void
inj_c2h_early_success(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;
	uint8_t d[512] = {0};

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	h.ch.flags = NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS;
	h.c2h_data.cccid = cid;
	send_kept(e, &h, d, sizeof(d), hdr, len);
}

static void
inj_c2h_success_not_last(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;
	static uint8_t d[4096];

	/* All the data of the read, but SUCCESS without LAST_PDU: the flags break the rule
	 * whatever the length. */
	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	h.ch.flags = NVTCP_TCP_FLAG_SUCCESS;
	h.c2h_data.cccid = cid;
	send_kept(e, &h, d, sizeof(d), hdr, len);
}

static void
inj_c2h_early_last(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;
	uint8_t d[512] = {0};

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	h.ch.flags = NVTCP_TCP_FLAG_LAST_PDU; /* 512 of 4096 bytes */
	h.c2h_data.cccid = cid;
	send_kept(e, &h, d, sizeof(d), hdr, len);
}

static void
inj_r2t_for_read(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_R2T;
	h.r2t.cccid = cid;
	h.r2t.r2tl = 512;
	send_kept(e, &h, NULL, 0, hdr, len);
}

static void
inj_r2t_zero(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_R2T;
	h.r2t.cccid = cid;
	send_kept(e, &h, NULL, 0, hdr, len);
}

static void
inj_r2t_bad_offset(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_R2T;
	h.r2t.cccid = cid;
	h.r2t.r2to = 4096; /* the first R2T must start at 0 */
	h.r2t.r2tl = 4096;
	send_kept(e, &h, NULL, 0, hdr, len);
}

static void
inj_r2t_beyond(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_R2T;
	h.r2t.cccid = cid;
	h.r2t.r2tl = 32768 + 512;
	send_kept(e, &h, NULL, 0, hdr, len);
}

static void
inj_r2t_limit(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	union nvtcp_tcp_pdu_hdr h;

	/* MAXR2T + 1 = 4 active R2Ts; the host cannot send (the kernel takes nothing), so all
	 * stay active and a fifth is over the limit. */
	fake_sock_set_tx_limit(e->hs, 0);
	for (uint32_t i = 0; i < 4; i++) {
		r2t(e, cid, (uint16_t)i, i * 4096, 4096);
	}
	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_R2T;
	h.r2t.cccid = cid;
	h.r2t.ttag = 9;
	h.r2t.r2to = 16384;
	h.r2t.r2tl = 4096;
	send_kept(e, &h, NULL, 0, hdr, len);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e->qp, 0), -ENXIO);
	fake_sock_set_tx_limit(e->hs, FAKE_SOCK_UNLIMITED);
	/* The TermReq could not leave (the kernel took nothing): check the log instead. The
	 * caller asserts on what did arrive. */
}

static void
inj_second_icresp(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	struct nvtcp_tcp_icresp icr;

	memset(&icr, 0, sizeof(icr));
	icr.ch.pdu_type = NVTCP_TCP_PDU_IC_RESP;
	icr.ch.hlen = 128;
	icr.ch.plen = 128;
	icr.maxh2cdata = 131072;
	memcpy(hdr, &icr, 128);
	*len = 128;
	fake_conn_send_raw(e->conn, &icr, sizeof(icr));
}

static void
inj_bad_hlen(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	uint8_t b[24];

	memset(b, 0, sizeof(b));
	b[0] = NVTCP_TCP_PDU_CAPSULE_RESP;
	b[2] = 32; /* hlen must be 24 */
	b[4] = 24;
	/* The TermReq carries what arrived of the header up to its HLEN, not only 8 bytes. */
	memcpy(hdr, b, sizeof(b));
	*len = sizeof(b);
	fake_conn_send_raw(e->conn, b, sizeof(b));
}

static void
inj_bad_type(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	uint8_t b[72];

	/* A CapsuleCmd is never sent to a host. */
	memset(b, 0, sizeof(b));
	b[0] = NVTCP_TCP_PDU_CAPSULE_CMD;
	b[2] = 72;
	b[4] = 72;
	memcpy(hdr, b, sizeof(b));
	*len = sizeof(b);
	fake_conn_send_raw(e->conn, b, sizeof(b));
}

static void
inj_hdgst_error(struct env *e, uint16_t cid, uint8_t *hdr, uint32_t *len)
{
	struct nvtcp_tcp_tx_pdu pdu;
	uint8_t bytes[32];

	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_RESP);
	pdu.hdr.rsp.rccqe.cid = cid;
	CU_ASSERT_FATAL(nvtcp_tcp_pdu_finish(&pdu, fake_conn_params(e->conn), NULL, 0) == 0);
	CU_ASSERT_EQUAL_FATAL(pdu.iov[0].iov_len, 28);
	memcpy(bytes, pdu.raw, 28);
	bytes[25] ^= 0x40; /* corrupt the digest */
	memcpy(hdr, bytes, 24);
	*len = 24;
	fake_conn_send_raw(e->conn, bytes, 28);
}

static void
test_malformed_pdus(void)
{
	malformed_test(false, false, inj_rsp_unknown_cid, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 20);
	malformed_test(false, false, inj_rsp_cid_out_of_range, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
		       20);
	malformed_test(false, false, inj_c2h_unknown_cid, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 8);
	malformed_test(true, false, inj_c2h_for_write, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	malformed_test(false, false, inj_c2h_bad_offset, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 12);
	malformed_test(false, false, inj_c2h_beyond, NVTCP_TCP_FES_DATA_OUT_OF_RANGE, 0);
	malformed_test(false, false, inj_c2h_early_success, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 1);
	malformed_test(false, false, inj_c2h_early_last, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 1);
	malformed_test(false, false, inj_r2t_for_read, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	malformed_test(true, false, inj_r2t_zero, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 16);
	malformed_test(true, false, inj_r2t_bad_offset, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 12);
	malformed_test(true, false, inj_r2t_beyond, NVTCP_TCP_FES_DATA_OUT_OF_RANGE, 0);
	malformed_test(false, false, inj_second_icresp, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	malformed_test(false, false, inj_bad_hlen, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 2);
	malformed_test(false, false, inj_bad_type, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 0);
	malformed_test(false, true, inj_hdgst_error, NVTCP_TCP_FES_HDGST_ERROR, 0);
}

/* The refusal names the rule, in the log line of lib/tcp and in the queue pair's failure. */
static void
test_c2h_success_without_last_pdu(void)
{
	ut_log_start();
	malformed_test(false, false, inj_c2h_success_not_last, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
		       1);
	ut_log_stop();
	CU_ASSERT(ut_log_has("received C2HData (type 0x07): C2HData SUCCESS without LAST_PDU"));
	CU_ASSERT(ut_log_has("queue pair failed: protocol error: invalid C2HData header: "
			     "C2HData SUCCESS without LAST_PDU (flags 0x08)"));
}

static void
test_r2t_limit(void)
{
	struct env e;
	struct fake_cmd_record rec;
	struct ut_cpl u = {0};
	static uint8_t buf[32768];
	uint8_t hdr[128];
	uint32_t len;

	env_setup(&e, false, false);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, buf, 0, 64, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	inj_r2t_limit(&e, rec.cmd.cid, hdr, &len);
	CU_ASSERT_FALSE(nvtcp_qpair_is_connected(e.qp));
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	env_teardown(&e);
}

/* ---- Digest errors, TermReqs from the controller, early completions -------------------- */

/* A C2HData of \p len bytes with a wrong data digest. */
static void
bad_c2h(struct env *e, uint16_t cid, const uint8_t *data, uint32_t len, uint8_t flags)
{
	struct nvtcp_tcp_tx_pdu pdu;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};

	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_C2H_DATA);
	pdu.hdr.ch.flags = flags;
	pdu.hdr.c2h_data.cccid = cid;
	CU_ASSERT_FATAL(nvtcp_tcp_pdu_finish(&pdu, fake_conn_params(e->conn), &iov, 1) == 0);
	pdu.ddgst[0] ^= 1;
	for (int i = 0; i < pdu.iovcnt; i++) {
		fake_conn_send_raw(e->conn, pdu.iov[i].iov_base, pdu.iov[i].iov_len);
	}
}

/*
 * A data digest mismatch on a Read is a transport error the driver retries: the log names the
 * command, the Read goes out again (new CID generation, same LBA), and the application sees
 * only the good result. After NVME_DDGST_RETRIES more mismatches it completes with Transient
 * Transport Error (DNR clear), and the queue pair lives on.
 */
static void
test_data_digest_error(void)
{
	struct env e;
	struct fake_cmd_record rec, rec2;
	struct ut_cpl u = {0};
	struct nvtcp_qpair_stats st;
	uint8_t buf[512], data[512];
	char line[160];

	env_setup(&e, true, true);
	ut_fill(data, sizeof(data), 1);
	ut_log_start();
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 7, 1, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	bad_c2h(&e, rec.cmd.cid, data, sizeof(data), NVTCP_TCP_FLAG_LAST_PDU);
	fake_conn_send_rsp(e.conn, rec.cmd.cid, 0, 0);
	nvtcp_qpair_process_completions(e.qp, 0);
	CU_ASSERT_EQUAL(u.count, 0);
	snprintf(line, sizeof(line), "data digest mismatch in C2HData of cid %u (opcode 0x02",
		 rec.cmd.cid);
	CU_ASSERT(ut_log_has(line));
	snprintf(line, sizeof(line), "qid 1: cid %u (Read, nsid 1, LBA 7, 1 blocks): data digest "
		 "mismatch: sending the command again (retry 1 of 3)", rec.cmd.cid);
	CU_ASSERT(ut_log_has(line));
	/* The same Read again, under a new CID; this time the data is good (SUCCESS path). */
	CU_ASSERT_FATAL(next_cmd(&e, &rec2, NULL, 0));
	CU_ASSERT_EQUAL(rec2.cmd.opc, NVTCP_NVME_OPC_READ);
	CU_ASSERT_EQUAL(nvtcp_nvme_rw_slba(&rec2.cmd), 7);
	CU_ASSERT_NOT_EQUAL(rec2.cmd.cid, rec.cmd.cid);
	c2h(&e, rec2.cmd.cid, 0, data, 512, NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS);
	nvtcp_qpair_process_completions(e.qp, 0);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(buf, data, 512), 0);
	nvtcp_qpair_get_stats(e.qp, &st);
	CU_ASSERT_EQUAL(st.ddgst_retries, 1);
	CU_ASSERT_EQUAL(st.errors, 0);

	/* A mismatch on every attempt (here with SUCCESS instead of a CapsuleResp): after the
	 * retries, Transient Transport Error, retryable. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 3, 1, ut_cpl_cb, &u, 0), 0);
	for (unsigned int i = 0; i <= NVME_DDGST_RETRIES; i++) {
		CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
		CU_ASSERT_EQUAL(nvtcp_nvme_rw_slba(&rec.cmd), 3);
		bad_c2h(&e, rec.cmd.cid, data, sizeof(data),
			NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS);
		nvtcp_qpair_process_completions(e.qp, 0);
		CU_ASSERT_EQUAL(u.count, i < NVME_DDGST_RETRIES ? 1 : 2);
	}
	ut_log_stop();
	CU_ASSERT_EQUAL(u.count, 2);
	CU_ASSERT_EQUAL(ut_sct(&u.cpl), 0);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR);
	CU_ASSERT_FALSE(nvtcp_nvme_status_dnr(u.cpl.status));
	CU_ASSERT(nvtcp_nvme_cpl_is_transport_error(&u.cpl));
	snprintf(line, sizeof(line), "cid %u (Read, nsid 1, LBA 3, 1 blocks): data digest mismatch "
		 "after 3 retries", rec.cmd.cid);
	CU_ASSERT(ut_log_has(line));
	/* The queue pair lives on. */
	CU_ASSERT(nvtcp_qpair_is_connected(e.qp));
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	c2h(&e, rec.cmd.cid, 0, data, 512, NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS);
	nvtcp_qpair_process_completions(e.qp, 0);
	CU_ASSERT_EQUAL(u.count, 3);
	CU_ASSERT_EQUAL(u.errors, 1);
	CU_ASSERT_EQUAL(memcmp(buf, data, 512), 0);
	env_teardown(&e);
}

static void
test_stale_cid_refused(void)
{
	struct env e;
	struct fake_cmd_record rec1, rec2;
	struct ut_cpl u1 = {0}, u2 = {0};
	uint8_t buf[512];
	uint16_t fes;
	uint32_t fei;

	/* A slot is reused at once (its request is the first free one again), but not its
	 * command ID: a late duplicate completion of the first command cannot complete the
	 * second. */
	env_setup(&e, false, false);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &u1, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec1, NULL, 0));
	fake_conn_send_rsp(e.conn, rec1.cmd.cid, 0, 0);
	CU_ASSERT(nvtcp_qpair_process_completions(e.qp, 0) == 1);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, buf, 1, 1, ut_cpl_cb, &u2, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec2, NULL, 0));
	CU_ASSERT_EQUAL(rec1.cmd.cid & e.qp->cid_mask, rec2.cmd.cid & e.qp->cid_mask);
	CU_ASSERT_NOT_EQUAL(rec1.cmd.cid, rec2.cmd.cid);
	fake_conn_send_rsp(e.conn, rec1.cmd.cid, 0, 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), -ENXIO);
	CU_ASSERT_EQUAL(u1.count, 1);
	CU_ASSERT_EQUAL(u2.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u2.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	fake_ctrlr_poll(e.fc);
	CU_ASSERT_FATAL(fake_conn_term_req(e.conn, &fes, &fei, NULL, NULL));
	CU_ASSERT_EQUAL(fes, NVTCP_TCP_FES_INVALID_HEADER_FIELD);
	CU_ASSERT_EQUAL(fei, 20);
	/* The generation wraps within the CID bits. */
	CU_ASSERT_EQUAL(e.qp->cid_mask, 511);
	env_teardown(&e);
}

static void
test_c2h_term_req(void)
{
	struct env e;
	struct fake_cmd_record rec;
	struct ut_cpl u = {0};
	uint8_t buf[512], t[24 + 24];
	uint16_t fes;
	uint32_t fei;

	env_setup(&e, false, false);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	memset(t, 0, sizeof(t));
	t[0] = NVTCP_TCP_PDU_C2H_TERM_REQ;
	t[2] = 24;
	t[4] = sizeof(t);
	t[8] = NVTCP_TCP_FES_INVALID_HEADER_FIELD;
	t[10] = 5; /* FEI */
	t[24] = NVTCP_TCP_PDU_CAPSULE_CMD;
	fake_conn_send_raw(e.conn, t, sizeof(t));
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), -ENXIO);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	fake_ctrlr_poll(e.fc);
	/* No TermReq goes back to a controller that terminated the connection. */
	CU_ASSERT_FALSE(fake_conn_term_req(e.conn, &fes, &fei, NULL, NULL));
	CU_ASSERT(fake_sock_is_closed(e.hs));
	env_teardown(&e);
}

static void
test_short_read_completion(void)
{
	struct env e;
	struct fake_cmd_record rec;
	struct ut_cpl u = {0};
	uint8_t buf[1024], data[512] = {0};

	env_setup(&e, false, false);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 2, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	c2h(&e, rec.cmd.cid, 0, data, 512, 0);
	fake_conn_send_rsp(e.conn, rec.cmd.cid, 0, 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), 1);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR);
	CU_ASSERT(nvtcp_qpair_is_connected(e.qp));
	env_teardown(&e);
}

static void
test_completion_while_sending(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct fake_cmd_record rec;
	struct fake_h2c_record h;
	struct ut_cpl u = {0};
	static uint8_t data[65536];
	int n = 0;

	fake_ctrlr_cfg_init(&cfg);
	cfg.maxh2cdata = 4096;
	env_setup_cfg(&e, &cfg, false, false);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, data, 0, 128, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	/* The kernel takes only part of the H2CData; the controller fails the command early. */
	fake_sock_set_tx_limit(e.hs, 6000);
	r2t(&e, rec.cmd.cid, 1, 0, 65536);
	fake_conn_send_rsp(e.conn, rec.cmd.cid, nvtcp_nvme_status(0, 0x06, false), 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), 1);
	/* Its buffer is still referenced by queued PDUs: not completed yet. */
	CU_ASSERT_EQUAL(u.count, 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_num_outstanding(e.qp), 1);
	for (int i = 0; i < 100 && u.count == 0; i++) {
		(void)nvtcp_qpair_process_completions(e.qp, 0);
	}
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), 0x06);
	fake_ctrlr_poll(e.fc);
	while (fake_conn_pop_h2c(e.conn, &h, NULL, 0)) {
		n++;
	}
	/* Only what was queued when the completion came left (one pool's worth at most). */
	CU_ASSERT(n > 0 && n <= 16);
	CU_ASSERT(nvtcp_qpair_is_connected(e.qp));
	for (int i = 0; i < 10; i++) {
		(void)nvtcp_qpair_process_completions(e.qp, 0);
	}
	CU_ASSERT_EQUAL(u.count, 1);
	env_teardown(&e);
}

static void
test_connection_lost(void)
{
	struct env e;
	struct fake_cmd_record rec;
	struct ut_cpl u = {0};
	uint8_t buf[512];

	env_setup(&e, false, false);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &u, 0), 0);
	CU_ASSERT_FATAL(next_cmd(&e, &rec, NULL, 0));
	fake_sock_rx_close(e.hs);
	CU_ASSERT_EQUAL(nvtcp_qpair_process_completions(e.qp, 0), -ENXIO);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	env_teardown(&e);

	/* A send error is noticed by the next poll. */
	env_setup(&e, false, false);
	u.count = 0;
	fake_sock_fail_next(e.hs, -EPIPE);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &u, 0), 0);
	(void)nvtcp_qpair_process_completions(e.qp, 0);
	(void)nvtcp_qpair_process_completions(e.qp, 0);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_FALSE(nvtcp_qpair_is_connected(e.qp));
	env_teardown(&e);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("tcp", NULL, NULL);

	CU_ADD_TEST(s, test_read_whole);
	CU_ADD_TEST(s, test_read_byte_at_a_time);
	CU_ADD_TEST(s, test_direct_placement);
	CU_ADD_TEST(s, test_several_per_read);
	CU_ADD_TEST(s, test_c2h_success_flag);
	CU_ADD_TEST(s, test_incapsule_boundary);
	CU_ADD_TEST(s, test_r2t_h2c_split);
	CU_ADD_TEST(s, test_malformed_pdus);
	CU_ADD_TEST(s, test_c2h_success_without_last_pdu);
	CU_ADD_TEST(s, test_r2t_limit);
	CU_ADD_TEST(s, test_data_digest_error);
	CU_ADD_TEST(s, test_c2h_term_req);
	CU_ADD_TEST(s, test_stale_cid_refused);
	CU_ADD_TEST(s, test_short_read_completion);
	CU_ADD_TEST(s, test_completion_while_sending);
	CU_ADD_TEST(s, test_connection_lost);
}

NVTCP_UT_MAIN(add_tests)
