/*
 * Unit tests of lib/tcp/rx.c: the NVMe/TCP receive state machine, driven by a fake owner that
 * records what its callbacks saw, with streams from the independent encoder in tcp_ut.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/tcp_pdu.h"
#include "nvtcp/util.h"

#include "tcp_ut.h"
#include "ut.h"

enum owner_mode {
	MODE_STORE,        /* place data in the owner's buffer */
	MODE_DISCARD,      /* discard data */
	MODE_WAIT,         /* choose no destination in the header callback */
	MODE_FAIL,         /* report a PDU sequence error from the header callback */
	MODE_STOP_HEADER,  /* return NVTCP_TCP_RX_STOP from the header callback */
	MODE_STOP_PAYLOAD, /* return NVTCP_TCP_RX_STOP from the payload callback */
};

struct rec {
	uint8_t type;
	uint32_t data_len;
	bool payload;
	bool ddgst_ok;
	bool discarded;
	union nvtcp_tcp_pdu_hdr hdr;
	uint32_t term_len;
	uint8_t term[NVTCP_TCP_TERM_REQ_DATA_MAX];
	size_t data_at;
};

#define MAX_RECS 256
#define DATA_SIZE (1u << 20)
#define RBUF_SIZE (1u << 19)

struct owner {
	struct nvtcp_tcp_rx rx;
	struct rec rec[MAX_RECS];
	int nrec;
	int npayload;
	enum owner_mode mode;
	int split;                 /* destination iovecs per PDU */
	bool ic_accept;            /* negotiate in the IC header callback */
	struct nvtcp_tcp_ic_opts ic_opts;
	uint8_t data[DATA_SIZE];
	size_t data_pos;
	uint8_t rbuf[RBUF_SIZE];
	struct nvtcp_sock_rxbuf rb;
};

static struct owner g_owner;
static uint8_t g_stream[RBUF_SIZE];
static uint8_t g_payload[DATA_SIZE];

static int
owner_header(void *ctx, struct nvtcp_tcp_rx *rx)
{
	struct owner *o = ctx;
	struct rec *r;
	int rc;

	CU_ASSERT_FATAL(o->nrec < MAX_RECS);
	r = &o->rec[o->nrec++];
	memset(r, 0, sizeof(*r));
	r->type = nvtcp_tcp_rx_pdu_type(rx);
	r->data_len = nvtcp_tcp_rx_data_len(rx);
	memcpy(&r->hdr, nvtcp_tcp_rx_hdr(rx), sizeof(r->hdr));
	if (r->type == NVTCP_TCP_PDU_H2C_TERM_REQ || r->type == NVTCP_TCP_PDU_C2H_TERM_REQ) {
		const uint8_t *t = nvtcp_tcp_rx_term_data(rx, &r->term_len);

		memcpy(r->term, t, r->term_len);
	}
	if (o->ic_accept && r->type == NVTCP_TCP_PDU_IC_REQ) {
		struct nvtcp_tcp_icresp icresp;
		struct nvtcp_tcp_params p;
		struct nvtcp_tcp_error err;

		rc = nvtcp_tcp_icreq_accept(&nvtcp_tcp_rx_hdr(rx)->icreq, &o->ic_opts, &icresp, &p,
					    &err);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_params(rx, &p), 0);
	}
	switch (o->mode) {
	case MODE_FAIL:
		return nvtcp_tcp_rx_fail(rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	case MODE_STOP_HEADER:
		rc = NVTCP_TCP_RX_STOP;
		break;
	default:
		rc = 0;
		break;
	}
	if (r->data_len == 0) {
		return rc;
	}
	if (o->mode == MODE_DISCARD) {
		CU_ASSERT_EQUAL(nvtcp_tcp_rx_discard_payload(rx), 0);
	} else if (o->mode != MODE_WAIT) {
		struct iovec iov[NVTCP_TCP_PDU_MAX_DATA_IOV];
		int n = o->split < (int)r->data_len ? o->split : (int)r->data_len;
		uint32_t per = r->data_len / n;
		uint8_t *p = o->data + o->data_pos;

		CU_ASSERT_FATAL(o->data_pos + r->data_len <= DATA_SIZE);
		for (int i = 0; i < n; i++) {
			iov[i].iov_base = p + (size_t)i * per;
			iov[i].iov_len = i == n - 1 ? r->data_len - per * (uint32_t)(n - 1) : per;
		}
		CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload(rx, iov, n), 0);
		r->data_at = o->data_pos;
		o->data_pos += r->data_len;
	}
	return rc;
}

static int
owner_payload(void *ctx, struct nvtcp_tcp_rx *rx, bool ddgst_ok)
{
	struct owner *o = ctx;
	struct rec *r = &o->rec[o->nrec - 1];

	CU_ASSERT_FATAL(o->nrec > 0);
	CU_ASSERT_FALSE(r->payload);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_pdu_type(rx), r->type);
	r->payload = true;
	r->ddgst_ok = ddgst_ok;
	r->discarded = nvtcp_tcp_rx_discarding(rx);
	o->npayload++;
	return o->mode == MODE_STOP_PAYLOAD ? NVTCP_TCP_RX_STOP : 0;
}

static struct owner *
owner_setup(enum nvtcp_tcp_role role, const struct nvtcp_tcp_params *params)
{
	struct owner *o = &g_owner;
	struct nvtcp_tcp_rx_opts opts;

	memset(o, 0, sizeof(*o));
	o->split = 1;
	o->mode = MODE_STORE;
	nvtcp_tcp_rx_opts_init(&opts);
	opts.role = role;
	opts.header_cb = owner_header;
	opts.payload_cb = owner_payload;
	opts.cb_ctx = o;
	opts.name = "ut";
	opts.max_data_len = 256 * 1024;
	CU_ASSERT_FATAL(nvtcp_tcp_rx_init(&o->rx, &opts) == 0);
	if (params != NULL) {
		CU_ASSERT_FATAL(nvtcp_tcp_rx_set_params(&o->rx, params) == 0);
	}
	o->rb.buf = o->rbuf;
	o->rb.size = sizeof(o->rbuf);
	return o;
}

static struct nvtcp_tcp_params
params(bool hdgst, bool ddgst, uint32_t rx_pda)
{
	struct nvtcp_tcp_params p;

	nvtcp_tcp_params_init(&p);
	p.hdgst = hdgst;
	p.ddgst = ddgst;
	p.rx_pda = rx_pda;
	p.maxh2cdata = 64 * 1024;
	return p;
}

/*
 * The owner's receive loop with a fake socket reading from \p stream: every "read" returns at
 * most \p chunk bytes, placed first into the direct iovecs (when \p direct) and then into the
 * rxbuf, as nvtcp_sock_recv_rxbuf() does. Returns what nvtcp_tcp_rx_process() last returned;
 * *consumed (may be NULL) says how much of the stream was read.
 */
static int
feed(struct owner *o, const uint8_t *stream, size_t len, size_t chunk, bool direct,
     size_t *consumed)
{
	size_t pos = 0;
	int rc;

	CU_ASSERT_FATAL(chunk > 0 && chunk <= RBUF_SIZE);
	o->rb.head = o->rb.tail = 0;
	for (;;) {
		size_t n;

		rc = nvtcp_tcp_rx_process(&o->rx, &o->rb);
		if (rc != 0 || pos == len) {
			break;
		}
		/* Everything buffered was consumed: the buffer restarts empty. */
		CU_ASSERT_EQUAL(o->rb.head, o->rb.tail);
		o->rb.head = o->rb.tail = 0;
		n = NVTCP_MIN(chunk, len - pos);
		if (direct) {
			struct iovec iov[8];
			int cnt = nvtcp_tcp_rx_direct_iov(&o->rx, iov, 8);
			size_t d = 0;

			for (int i = 0; i < cnt && d < n; i++) {
				size_t take = NVTCP_MIN(iov[i].iov_len, n - d);

				memcpy(iov[i].iov_base, stream + pos + d, take);
				d += take;
			}
			CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_done(&o->rx, d), 0);
			pos += d;
			n -= d;
		}
		memcpy(o->rb.buf, stream + pos, n);
		o->rb.tail = n;
		pos += n;
	}
	if (consumed != NULL) {
		*consumed = pos - (o->rb.tail - o->rb.head);
	}
	return rc;
}

/* ---- Stream makers ---------------------------------------------------------------------- */

static void
fill_pattern(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++) {
		p[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 8));
	}
}

/* Host-bound stream: ICResp, R2T, C2HData (data), CapsuleResp, C2HData (odd length), C2HTermReq. */
static uint32_t
host_stream(uint8_t *out, const struct nvtcp_tcp_params *p, uint32_t dlen, uint32_t *nrec)
{
	union nvtcp_tcp_pdu_hdr h;
	uint32_t off = 0;
	static const uint8_t bad[10] = { 4, 0, 72, 0, 0x48, 0, 0, 0, 0xAA, 0xBB };

	h = ut_hdr(NVTCP_TCP_PDU_IC_RESP, 0);
	h.icresp.maxh2cdata = 8192;
	off += ut_build_pdu(out + off, &h, NULL, 0, false, false, 4);
	h = ut_hdr(NVTCP_TCP_PDU_R2T, 0);
	h.r2t.cccid = 1;
	h.r2t.ttag = 2;
	h.r2t.r2to = 0;
	h.r2t.r2tl = 4096;
	off += ut_build_pdu(out + off, &h, NULL, 0, p->hdgst, p->ddgst, p->rx_pda);
	h = ut_hdr(NVTCP_TCP_PDU_C2H_DATA, NVTCP_TCP_FLAG_LAST_PDU);
	h.c2h_data.cccid = 3;
	off += ut_build_pdu(out + off, &h, g_payload, dlen, p->hdgst, p->ddgst, p->rx_pda);
	h = ut_hdr(NVTCP_TCP_PDU_CAPSULE_RESP, 0);
	h.rsp.rccqe.cid = 3;
	h.rsp.rccqe.sqhd = 9;
	off += ut_build_pdu(out + off, &h, NULL, 0, p->hdgst, p->ddgst, p->rx_pda);
	h = ut_hdr(NVTCP_TCP_PDU_C2H_DATA, NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS);
	h.c2h_data.cccid = 4;
	h.c2h_data.datao = 0;
	off += ut_build_pdu(out + off, &h, g_payload + 1000, 13, p->hdgst, p->ddgst, p->rx_pda);
	off += ut_build_term_req(out + off, NVTCP_TCP_PDU_C2H_TERM_REQ, 1, 2, bad, sizeof(bad));
	*nrec = 6;
	return off;
}

static void
check_host_stream(struct owner *o, uint32_t dlen)
{
	CU_ASSERT_EQUAL_FATAL(o->nrec, 6);
	CU_ASSERT_EQUAL(o->rec[0].type, NVTCP_TCP_PDU_IC_RESP);
	CU_ASSERT_EQUAL(o->rec[0].hdr.icresp.maxh2cdata, 8192);
	CU_ASSERT_FALSE(o->rec[0].payload);
	CU_ASSERT_EQUAL(o->rec[1].type, NVTCP_TCP_PDU_R2T);
	CU_ASSERT_EQUAL(o->rec[1].hdr.r2t.ttag, 2);
	CU_ASSERT_EQUAL(o->rec[1].hdr.r2t.r2tl, 4096);
	CU_ASSERT_EQUAL(o->rec[2].type, NVTCP_TCP_PDU_C2H_DATA);
	CU_ASSERT_EQUAL(o->rec[2].data_len, dlen);
	CU_ASSERT(o->rec[2].payload);
	CU_ASSERT(o->rec[2].ddgst_ok);
	CU_ASSERT(memcmp(o->data + o->rec[2].data_at, g_payload, dlen) == 0);
	CU_ASSERT_EQUAL(o->rec[3].type, NVTCP_TCP_PDU_CAPSULE_RESP);
	CU_ASSERT_EQUAL(o->rec[3].hdr.rsp.rccqe.cid, 3);
	CU_ASSERT_EQUAL(o->rec[3].hdr.rsp.rccqe.sqhd, 9);
	CU_ASSERT_FALSE(o->rec[3].payload);
	CU_ASSERT_EQUAL(o->rec[4].data_len, 13);
	CU_ASSERT(o->rec[4].ddgst_ok);
	CU_ASSERT(memcmp(o->data + o->rec[4].data_at, g_payload + 1000, 13) == 0);
	CU_ASSERT_EQUAL(o->rec[4].hdr.ch.flags & NVTCP_TCP_FLAG_SUCCESS, NVTCP_TCP_FLAG_SUCCESS);
	CU_ASSERT_EQUAL(o->rec[5].type, NVTCP_TCP_PDU_C2H_TERM_REQ);
	CU_ASSERT_EQUAL(o->rec[5].hdr.term_req.fes, 1);
	CU_ASSERT_EQUAL(o->rec[5].hdr.term_req.fei, 2);
	CU_ASSERT_EQUAL(o->rec[5].term_len, 10);
	CU_ASSERT_EQUAL(o->rec[5].term[9], 0xBB);
	CU_ASSERT_EQUAL(o->npayload, 2);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&o->rx), NVTCP_TCP_RX_STATE_CH);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_stats(&o->rx)->pdus, 6);
}

/* Controller-bound stream: ICReq, CapsuleCmd (no data), CapsuleCmd (in-capsule data), H2CData,
 * H2CTermReq. */
static uint32_t
ctrlr_stream(uint8_t *out, const struct nvtcp_tcp_params *p, uint32_t dlen)
{
	union nvtcp_tcp_pdu_hdr h;
	uint32_t off = 0;

	h = ut_hdr(NVTCP_TCP_PDU_IC_REQ, 0);
	h.icreq.hpda = 0;
	h.icreq.dgst = (p->hdgst ? 1 : 0) | (p->ddgst ? 2 : 0);
	off += ut_build_pdu(out + off, &h, NULL, 0, false, false, 4);
	h = ut_hdr(NVTCP_TCP_PDU_CAPSULE_CMD, 0);
	h.cmd.ccsqe.opc = NVTCP_NVME_OPC_FLUSH;
	h.cmd.ccsqe.cid = 7;
	off += ut_build_pdu(out + off, &h, NULL, 0, p->hdgst, p->ddgst, p->rx_pda);
	h = ut_hdr(NVTCP_TCP_PDU_CAPSULE_CMD, 0);
	h.cmd.ccsqe.opc = NVTCP_NVME_OPC_WRITE;
	h.cmd.ccsqe.cid = 8;
	off += ut_build_pdu(out + off, &h, g_payload + 7, 1024, p->hdgst, p->ddgst, p->rx_pda);
	h = ut_hdr(NVTCP_TCP_PDU_H2C_DATA, NVTCP_TCP_FLAG_LAST_PDU);
	h.h2c_data.cccid = 9;
	h.h2c_data.ttag = 5;
	h.h2c_data.datao = 4096;
	off += ut_build_pdu(out + off, &h, g_payload, dlen, p->hdgst, p->ddgst, p->rx_pda);
	off += ut_build_term_req(out + off, NVTCP_TCP_PDU_H2C_TERM_REQ, 5, 0, NULL, 0);
	return off;
}

static void
check_ctrlr_stream(struct owner *o, uint32_t dlen)
{
	CU_ASSERT_EQUAL_FATAL(o->nrec, 5);
	CU_ASSERT_EQUAL(o->rec[0].type, NVTCP_TCP_PDU_IC_REQ);
	CU_ASSERT_EQUAL(o->rec[1].type, NVTCP_TCP_PDU_CAPSULE_CMD);
	CU_ASSERT_EQUAL(o->rec[1].hdr.cmd.ccsqe.cid, 7);
	CU_ASSERT_EQUAL(o->rec[1].data_len, 0);
	CU_ASSERT_FALSE(o->rec[1].payload);
	CU_ASSERT_EQUAL(o->rec[2].hdr.cmd.ccsqe.cid, 8);
	CU_ASSERT_EQUAL(o->rec[2].data_len, 1024);
	CU_ASSERT(o->rec[2].payload && o->rec[2].ddgst_ok);
	CU_ASSERT(memcmp(o->data + o->rec[2].data_at, g_payload + 7, 1024) == 0);
	CU_ASSERT_EQUAL(o->rec[3].type, NVTCP_TCP_PDU_H2C_DATA);
	CU_ASSERT_EQUAL(o->rec[3].hdr.h2c_data.ttag, 5);
	CU_ASSERT_EQUAL(o->rec[3].hdr.h2c_data.datao, 4096);
	CU_ASSERT_EQUAL(o->rec[3].data_len, dlen);
	CU_ASSERT(o->rec[3].payload && o->rec[3].ddgst_ok);
	CU_ASSERT(memcmp(o->data + o->rec[3].data_at, g_payload, dlen) == 0);
	CU_ASSERT_EQUAL(o->rec[4].type, NVTCP_TCP_PDU_H2C_TERM_REQ);
	CU_ASSERT_EQUAL(o->rec[4].hdr.term_req.fes, 5);
	CU_ASSERT_EQUAL(o->rec[4].term_len, 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&o->rx), NVTCP_TCP_RX_STATE_CH);
}

/* ---- Tests ---------------------------------------------------------------------------- */

/* Every combination of digests, alignments, chunk sizes and placement, host side. */
static void
test_host_stream_variants(void)
{
	static const uint32_t aligns[] = { 4, 8, 12, 128 };
	static const size_t chunks[] = { 1, 3, 7, 64, 4096, RBUF_SIZE };

	fill_pattern(g_payload, DATA_SIZE, 1);
	for (int dg = 0; dg < 4; dg++) {
		for (size_t a = 0; a < NVTCP_COUNTOF(aligns); a++) {
			struct nvtcp_tcp_params p = params(dg & 1, dg & 2, aligns[a]);
			uint32_t nrec, len = host_stream(g_stream, &p, 5000, &nrec);

			for (size_t c = 0; c < NVTCP_COUNTOF(chunks); c++) {
				for (int direct = 0; direct < 2; direct++) {
					struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
					size_t used;

					o->split = 1 + (int)(c % 3) * 3;
					CU_ASSERT_EQUAL(feed(o, g_stream, len, chunks[c], direct, &used), 0);
					CU_ASSERT_EQUAL(used, len);
					check_host_stream(o, 5000);
				}
			}
		}
	}
}

static void
test_ctrlr_stream_variants(void)
{
	static const size_t chunks[] = { 1, 5, 100, RBUF_SIZE };

	fill_pattern(g_payload, DATA_SIZE, 2);
	for (int dg = 0; dg < 4; dg++) {
		for (size_t c = 0; c < NVTCP_COUNTOF(chunks); c++) {
			struct nvtcp_tcp_params p = params(dg & 1, dg & 2, 16);
			uint32_t len = ctrlr_stream(g_stream, &p, 4096);
			struct owner *o = owner_setup(NVTCP_TCP_ROLE_CTRLR, NULL);
			size_t used;

			/* The digests take effect from the ICReq on, as a target would do it. */
			o->ic_accept = true;
			nvtcp_tcp_ic_opts_init(&o->ic_opts);
			o->ic_opts.hdgst = true;
			o->ic_opts.ddgst = true;
			o->ic_opts.pda = 3; /* 16 bytes */
			o->ic_opts.maxh2cdata = 64 * 1024;
			o->split = 2;
			CU_ASSERT_EQUAL(feed(o, g_stream, len, chunks[c], c % 2, &used), 0);
			CU_ASSERT_EQUAL(used, len);
			check_ctrlr_stream(o, 4096);
			CU_ASSERT_EQUAL(nvtcp_tcp_rx_params(&o->rx)->hdgst, (bool)(dg & 1));
			CU_ASSERT_EQUAL(nvtcp_tcp_rx_params(&o->rx)->ddgst, (bool)(dg & 2));
		}
	}
}

/* Two reads split at every byte boundary of a stream give the same result. */
static void
test_every_split_point(void)
{
	struct nvtcp_tcp_params p = params(true, true, 8);
	uint32_t nrec, len;

	fill_pattern(g_payload, DATA_SIZE, 3);
	len = host_stream(g_stream, &p, 300, &nrec);
	for (uint32_t k = 1; k < len; k++) {
		for (int direct = 0; direct < 2; direct++) {
			struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
			size_t used;

			/* First read: k bytes; second: the rest. */
			o->rb.head = 0;
			memcpy(o->rbuf, g_stream, k);
			o->rb.tail = k;
			CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
			CU_ASSERT_EQUAL(o->rb.head, k);
			if (direct) {
				CU_ASSERT_EQUAL(feed(o, g_stream + k, len - k, len, true, &used), 0);
			} else {
				memcpy(o->rbuf, g_stream + k, len - k);
				o->rb.head = 0;
				o->rb.tail = len - k;
				CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
			}
			check_host_stream(o, 300);
		}
	}
}

/* Random read sizes, many PDUs, every placement choice. */
static void
test_random_fragmentation(void)
{
	struct nvtcp_tcp_params p = params(true, true, 4);
	uint32_t len = 0, nrec = 0;
	unsigned seed = 12345;

	fill_pattern(g_payload, DATA_SIZE, 4);
	/* 40 copies of the host stream, with growing data. */
	for (int i = 0; i < 40; i++) {
		uint32_t n;

		len += host_stream(g_stream + len, &p, 100 + (uint32_t)i * 97, &n);
		nrec += n;
	}
	for (int round = 0; round < 20; round++) {
		struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
		uint32_t pos = 0;
		int guard = 0;

		o->split = 1 + round % 5;
		o->rb.head = o->rb.tail = 0;
		while (pos < len && guard++ < 1000000) {
			uint32_t n = (uint32_t)(rand_r(&seed) % 3000) + 1;
			struct iovec iov[4];
			int cnt;
			size_t d = 0;

			n = NVTCP_MIN(n, len - pos);
			CU_ASSERT_EQUAL_FATAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
			o->rb.head = o->rb.tail = 0;
			cnt = (round & 1) ? nvtcp_tcp_rx_direct_iov(&o->rx, iov, 4) : 0;
			for (int i = 0; i < cnt && d < n; i++) {
				size_t take = NVTCP_MIN(iov[i].iov_len, n - d);

				memcpy(iov[i].iov_base, g_stream + pos + d, take);
				d += take;
			}
			CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_done(&o->rx, d), 0);
			memcpy(o->rbuf, g_stream + pos + d, n - d);
			o->rb.tail = n - d;
			pos += n;
		}
		CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
		CU_ASSERT_EQUAL(o->nrec, (int)nrec);
		CU_ASSERT_EQUAL(nvtcp_tcp_rx_stats(&o->rx)->pdus, nrec);
		CU_ASSERT_EQUAL(nvtcp_tcp_rx_stats(&o->rx)->ddgst_errors, 0);
		for (int i = 0; i < o->nrec; i++) {
			if (o->rec[i].type == NVTCP_TCP_PDU_C2H_DATA) {
				CU_ASSERT(o->rec[i].payload && o->rec[i].ddgst_ok);
			}
		}
		/* The last C2HData of the 40th copy holds bytes 1000..1012. */
		CU_ASSERT(memcmp(o->data + o->rec[o->nrec - 2].data_at, g_payload + 1000, 13) == 0);
		if (round & 1) {
			CU_ASSERT(nvtcp_tcp_rx_stats(&o->rx)->direct_bytes > 0);
		}
	}
}

/* With the header alone in the buffer, the data goes straight to its destination. */
static void
test_direct_placement(void)
{
	struct nvtcp_tcp_params p = params(true, true, 8);
	union nvtcp_tcp_pdu_hdr h = ut_hdr(NVTCP_TCP_PDU_C2H_DATA, NVTCP_TCP_FLAG_LAST_PDU);
	struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	struct iovec iov[8];
	uint32_t len;
	int n;

	fill_pattern(g_payload, DATA_SIZE, 5);
	len = ut_build_pdu(g_stream, &h, g_payload, 65536, true, true, 8);
	/* Header (24) + digest (4) + pad (4) = 32 = pdo. */
	CU_ASSERT_EQUAL(g_stream[3], 32);
	o->split = 3;
	memcpy(o->rbuf, g_stream, 32);
	o->rb.head = 0;
	o->rb.tail = 32;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&o->rx), NVTCP_TCP_RX_STATE_PAYLOAD);
	n = nvtcp_tcp_rx_direct_iov(&o->rx, iov, 8);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(nvtcp_iov_length(iov, n), 65536);
	CU_ASSERT(iov[0].iov_base == (void *)o->data);
	/* Only room for two iovecs: the list is cut, not the bytes. */
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_iov(&o->rx, iov, 2), 2);
	/* Part of the data, then the rest, read directly; the digest through the buffer. */
	n = nvtcp_tcp_rx_direct_iov(&o->rx, iov, 8);
	memcpy(iov[0].iov_base, g_stream + 32, 1000);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_done(&o->rx, 1000), 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, NULL), 0);
	n = nvtcp_tcp_rx_direct_iov(&o->rx, iov, 8);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(nvtcp_iov_length(iov, n), 65536 - 1000);
	nvtcp_iov_from_buf(iov, n, 0, g_stream + 32 + 1000, 65536 - 1000);
	/* Too much is refused and changes nothing. */
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_done(&o->rx, 65536), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_done(&o->rx, 65536 - 1000), 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_iov(&o->rx, iov, 8), 0);
	CU_ASSERT_EQUAL(o->npayload, 0);
	memcpy(o->rbuf, g_stream + len - 4, 4);
	o->rb.head = 0;
	o->rb.tail = 4;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
	CU_ASSERT_EQUAL(o->npayload, 1);
	CU_ASSERT(o->rec[0].ddgst_ok);
	CU_ASSERT(memcmp(o->data, g_payload, 65536) == 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_stats(&o->rx)->copied_bytes, 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_stats(&o->rx)->direct_bytes, 65536);
	/* Direct placement is not offered outside data. */
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_iov(&o->rx, iov, 8), 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_done(&o->rx, 1), -EINVAL);
}

/* Without data digests, a PDU whose data all went direct completes with no buffered byte. */
static void
test_direct_completes_without_buffer(void)
{
	struct nvtcp_tcp_params p = params(false, false, 4);
	union nvtcp_tcp_pdu_hdr h = ut_hdr(NVTCP_TCP_PDU_C2H_DATA, NVTCP_TCP_FLAG_LAST_PDU);
	struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	struct iovec iov[2];

	fill_pattern(g_payload, DATA_SIZE, 6);
	ut_build_pdu(g_stream, &h, g_payload, 4096, false, false, 4);
	memcpy(o->rbuf, g_stream, 24);
	o->rb.tail = 24;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_iov(&o->rx, iov, 2), 1);
	memcpy(iov[0].iov_base, g_stream + 24, 4096);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_done(&o->rx, 4096), 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, NULL), 0);
	CU_ASSERT_EQUAL(o->npayload, 1);
	CU_ASSERT(memcmp(o->data, g_payload, 4096) == 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&o->rx), NVTCP_TCP_RX_STATE_CH);
}

/* ---- Malformed input -------------------------------------------------------------------- */

struct bad_case {
	const char *what;
	enum nvtcp_tcp_role role;
	bool hdgst, ddgst;
	uint32_t rx_pda;
	uint8_t bytes[64];
	uint32_t len;
	uint16_t fes;
	uint32_t fei;
};

static void
check_rejected(const struct bad_case *c)
{
	struct nvtcp_tcp_params p = params(c->hdgst, c->ddgst, c->rx_pda);
	struct owner *o = owner_setup(c->role, &p);
	struct nvtcp_tcp_tx_pdu term;
	uint8_t img[64 + 64];
	uint32_t hlen = c->bytes[2], want;
	size_t head;

	/* Errors in the common header: the TermReq carries the header up to its HLEN (at least
	 * the common header, at most 128 bytes) as far as it has arrived, and nothing beyond. */
	want = c->len;
	if (c->len == NVTCP_TCP_CH_LEN) {
		want = NVTCP_MIN(NVTCP_MAX(hlen, (uint32_t)NVTCP_TCP_CH_LEN), c->len + 64u);
		want = NVTCP_MIN(want, (uint32_t)NVTCP_TCP_TERM_REQ_DATA_MAX);
	}
	memcpy(img, c->bytes, c->len);
	memset(img + c->len, 0x5A, 64); /* the rest of the header, then the next PDU's bytes */
	memcpy(o->rbuf, img, c->len + 64);
	o->rb.head = 0;
	o->rb.tail = c->len + 64;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), -EPROTO);
	if (nvtcp_tcp_rx_error(&o->rx)->fes != c->fes || nvtcp_tcp_rx_error(&o->rx)->fei != c->fei) {
		fprintf(stderr, "case '%s': FES 0x%x FEI %u, expected FES 0x%x FEI %u\n", c->what,
			nvtcp_tcp_rx_error(&o->rx)->fes, nvtcp_tcp_rx_error(&o->rx)->fei, c->fes,
			c->fei);
	}
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&o->rx), NVTCP_TCP_RX_STATE_ERROR);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_error(&o->rx)->fes, c->fes);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_error(&o->rx)->fei, c->fei);
	CU_ASSERT_EQUAL(o->nrec, 0);
	CU_ASSERT(o->rb.head <= want);
	/* Nothing more is consumed. */
	head = o->rb.head;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), -EPROTO);
	CU_ASSERT_EQUAL(o->rb.head, head);
	/* The TermReq to send back: the right direction, FES, FEI and the bad header bytes. */
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_term_req_from_rx(&term, &o->rx), 0);
	CU_ASSERT_EQUAL(term.hdr.ch.pdu_type, c->role == NVTCP_TCP_ROLE_HOST ?
			NVTCP_TCP_PDU_H2C_TERM_REQ : NVTCP_TCP_PDU_C2H_TERM_REQ);
	CU_ASSERT_EQUAL(term.hdr.term_req.fes, c->fes);
	CU_ASSERT_EQUAL(term.hdr.term_req.fei, c->fei);
	CU_ASSERT(term.hdr.ch.plen >= 24 + 8);
	if (c->len == NVTCP_TCP_CH_LEN && term.hdr.ch.plen != 24 + want) {
		fprintf(stderr, "case '%s': TermReq with %u header bytes, expected %u\n", c->what,
			term.hdr.ch.plen - 24, want);
	}
	if (c->len == NVTCP_TCP_CH_LEN) {
		CU_ASSERT_EQUAL(term.hdr.ch.plen, 24 + want);
	}
	CU_ASSERT(memcmp(term.raw + 24, img, term.hdr.ch.plen - 24) == 0);
}

/* Build a header-only byte image: the common header, then PSH bytes. */
static uint32_t
raw_pdu(uint8_t *out, uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo, uint32_t plen)
{
	memset(out, 0, 64);
	out[0] = type;
	out[1] = flags;
	out[2] = hlen;
	out[3] = pdo;
	ut_le32(out + 4, plen);
	/* Every case below is caught in the common header. */
	return NVTCP_TCP_CH_LEN;
}

static void
test_malformed_headers(void)
{
	static struct bad_case c;
	const enum nvtcp_tcp_role H = NVTCP_TCP_ROLE_HOST, C = NVTCP_TCP_ROLE_CTRLR;
	const uint16_t IHF = NVTCP_TCP_FES_INVALID_HEADER_FIELD;

#define BAD(_what, _role, _hd, _dd, _pda, _type, _flags, _hlen, _pdo, _plen, _fes, _fei)          \
	do {                                                                                    \
		memset(&c, 0, sizeof(c));                                                       \
		c.what = _what;                                                                 \
		c.role = _role;                                                                 \
		c.hdgst = _hd;                                                                  \
		c.ddgst = _dd;                                                                  \
		c.rx_pda = _pda;                                                                \
		c.len = raw_pdu(c.bytes, _type, _flags, _hlen, _pdo, _plen);                    \
		c.fes = _fes;                                                                   \
		c.fei = _fei;                                                                   \
		check_rejected(&c);                                                             \
	} while (0)

	/* Type: valid for the direction (FEI 0). */
	BAD("host gets CapsuleCmd", H, 0, 0, 4, 0x04, 0, 72, 0, 72, IHF, 0);
	BAD("host gets ICReq", H, 0, 0, 4, 0x00, 0, 128, 0, 128, IHF, 0);
	BAD("host gets H2CData", H, 0, 0, 4, 0x06, 0, 24, 24, 28, IHF, 0);
	BAD("host gets H2CTermReq", H, 0, 0, 4, 0x02, 0, 24, 0, 24, IHF, 0);
	BAD("ctrlr gets CapsuleResp", C, 0, 0, 4, 0x05, 0, 24, 0, 24, IHF, 0);
	BAD("ctrlr gets R2T", C, 0, 0, 4, 0x09, 0, 24, 0, 24, IHF, 0);
	BAD("ctrlr gets C2HData", C, 0, 0, 4, 0x07, 0, 24, 24, 28, IHF, 0);
	BAD("ctrlr gets ICResp", C, 0, 0, 4, 0x01, 0, 128, 0, 128, IHF, 0);
	BAD("type 0x08", H, 0, 0, 4, 0x08, 0, 24, 0, 24, IHF, 0);
	BAD("type 0x0A", C, 0, 0, 4, 0x0A, 0, 24, 0, 24, IHF, 0);
	BAD("type 0xFF", H, 0, 0, 4, 0xFF, 0, 24, 0, 24, IHF, 0);
	/* hlen (FEI 2). */
	BAD("R2T hlen 28", H, 0, 0, 4, 0x09, 0, 28, 0, 28, IHF, 2);
	BAD("CapsuleCmd hlen 64", C, 0, 0, 4, 0x04, 0, 64, 0, 64, IHF, 2);
	BAD("ICResp hlen 0", H, 0, 0, 4, 0x01, 0, 0, 0, 128, IHF, 2);
	BAD("TermReq hlen 152", H, 0, 0, 4, 0x03, 0, 152, 0, 152, IHF, 2);
	/* Digest flags (FEI 1). */
	BAD("HDGSTF not negotiated", H, 0, 0, 4, 0x05, 0x01, 24, 0, 28, IHF, 1);
	BAD("HDGSTF missing", H, 1, 0, 4, 0x05, 0x00, 24, 0, 24, IHF, 1);
	BAD("DDGSTF not negotiated", H, 0, 0, 4, 0x07, 0x02, 24, 24, 32, IHF, 1);
	BAD("DDGSTF missing on data", H, 0, 1, 4, 0x07, 0x00, 24, 24, 28, IHF, 1);
	BAD("DDGSTF on CapsuleResp", H, 0, 1, 4, 0x05, 0x02, 24, 0, 28, IHF, 1);
	BAD("DDGSTF on Cmd without data", C, 0, 1, 4, 0x04, 0x02, 72, 0, 76, IHF, 1);
	BAD("HDGSTF on ICResp", H, 1, 1, 4, 0x01, 0x01, 128, 0, 132, IHF, 1);
	BAD("DDGSTF on TermReq", H, 1, 1, 4, 0x03, 0x02, 24, 0, 24, IHF, 1);
	BAD("SUCCESS without LAST_PDU", H, 0, 0, 4, 0x07, 0x08, 24, 24, 28, IHF, 1);
	/* pdo (FEI 3). */
	BAD("C2HData pdo 0", H, 0, 0, 4, 0x07, 0, 24, 0, 28, IHF, 3);
	BAD("H2CData pdo below hlen", C, 0, 0, 4, 0x06, 0, 24, 20, 28, IHF, 3);
	BAD("pdo inside the header digest", H, 1, 0, 4, 0x07, 0x01, 24, 24, 40, IHF, 3);
	BAD("pdo not aligned", H, 0, 0, 8, 0x07, 0, 24, 28, 40, IHF, 3);
	BAD("pdo not aligned to 12", C, 0, 0, 12, 0x04, 0, 72, 76, 100, IHF, 3);
	BAD("pdo beyond plen", H, 0, 0, 4, 0x07, 0, 24, 32, 30, IHF, 3);
	BAD("pdo equal to plen", H, 0, 0, 4, 0x07, 0, 24, 28, 28, IHF, 3);
	/* plen (FEI 4). */
	BAD("CapsuleResp plen 28", H, 0, 0, 4, 0x05, 0, 24, 0, 28, IHF, 4);
	BAD("R2T plen 23", H, 0, 0, 4, 0x09, 0, 24, 0, 23, IHF, 4);
	BAD("R2T plen without digest", H, 1, 0, 4, 0x09, 0x01, 24, 0, 24, IHF, 4);
	BAD("Cmd without data plen", C, 0, 0, 4, 0x04, 0, 72, 0, 80, IHF, 4);
	BAD("ICReq plen 132", C, 0, 0, 4, 0x00, 0, 128, 0, 132, IHF, 4);
	BAD("ICResp plen 127", H, 0, 0, 4, 0x01, 0, 128, 0, 127, IHF, 4);
	BAD("TermReq plen 153", H, 0, 0, 4, 0x03, 0, 24, 0, 153, IHF, 4);
	BAD("TermReq plen 23", C, 0, 0, 4, 0x02, 0, 24, 0, 23, IHF, 4);
	BAD("plen leaves only the digest", H, 0, 1, 4, 0x07, 0x02, 24, 24, 28, IHF, 4);
	BAD("huge plen", H, 0, 0, 4, 0x07, 0, 24, 24, 0xFFFFFFF0u, IHF, 4);
	BAD("plen one above the limit", C, 0, 0, 4, 0x04, 0, 72, 72, 72 + 256 * 1024 + 1, IHF, 4);
	/* An H2CData longer than MAXH2CDATA (64 KiB) breaks the transfer limit (FES 0x05, FEI of
	 * DATAL), also when it is longer than the receive limit: it is not a bad plen. */
	BAD("H2CData above MAXH2CDATA and the limit", C, 0, 0, 4, 0x06, 0, 24, 24,
	    24 + 256 * 1024 + 4, NVTCP_TCP_FES_DATA_LIMIT_EXCEEDED, 16);
	BAD("H2CData above MAXH2CDATA, digests", C, 1, 1, 4, 0x06, 0x03, 24, 28,
	    28 + 64 * 1024 + 4 + 4, NVTCP_TCP_FES_DATA_LIMIT_EXCEEDED, 16);
#undef BAD

	/* Only the common header has arrived: the TermReq carries those 8 bytes, and the rest
	 * is not waited for. */
	{
		struct nvtcp_tcp_params p = params(false, false, 4);
		struct owner *o = owner_setup(C, &p);
		struct nvtcp_tcp_tx_pdu term;

		raw_pdu(o->rbuf, 0x09, 0, 24, 0, 24);
		o->rb.head = 0;
		o->rb.tail = NVTCP_TCP_CH_LEN;
		CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), -EPROTO);
		CU_ASSERT_EQUAL(nvtcp_tcp_pdu_term_req_from_rx(&term, &o->rx), 0);
		CU_ASSERT_EQUAL(term.hdr.ch.plen, 24 + NVTCP_TCP_CH_LEN);
		CU_ASSERT(memcmp(term.raw + 24, o->rbuf, NVTCP_TCP_CH_LEN) == 0);
	}
}

/* Checks that need the whole header: DATAL against plen and MAXH2CDATA. */
static void
test_malformed_datal(void)
{
	struct nvtcp_tcp_params p = params(false, false, 4);
	union nvtcp_tcp_pdu_hdr h;
	struct owner *o;
	uint32_t len;

	fill_pattern(g_payload, DATA_SIZE, 7);
	/* DATAL disagreeing with plen - pdo. */
	h = ut_hdr(NVTCP_TCP_PDU_C2H_DATA, 0);
	len = ut_build_pdu(g_stream, &h, g_payload, 512, false, false, 4);
	ut_le32(g_stream + 16, 511);
	o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	CU_ASSERT_EQUAL(feed(o, g_stream, len, len, false, NULL), -EPROTO);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_error(&o->rx)->fes, NVTCP_TCP_FES_INVALID_HEADER_FIELD);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_error(&o->rx)->fei, 16);
	CU_ASSERT_EQUAL(o->nrec, 0);

	/* H2CData above MAXH2CDATA (64 KiB here) but within the receive limit. */
	h = ut_hdr(NVTCP_TCP_PDU_H2C_DATA, 0);
	len = ut_build_pdu(g_stream, &h, g_payload, 64 * 1024 + 4, false, false, 4);
	o = owner_setup(NVTCP_TCP_ROLE_CTRLR, &p);
	CU_ASSERT_EQUAL(feed(o, g_stream, len, 1000, false, NULL), -EPROTO);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_error(&o->rx)->fes, NVTCP_TCP_FES_DATA_LIMIT_EXCEEDED);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_error(&o->rx)->fei, 16);
	/* Exactly MAXH2CDATA is fine. */
	len = ut_build_pdu(g_stream, &h, g_payload, 64 * 1024, false, false, 4);
	o = owner_setup(NVTCP_TCP_ROLE_CTRLR, &p);
	CU_ASSERT_EQUAL(feed(o, g_stream, len, 1000, false, NULL), 0);
	CU_ASSERT_EQUAL(o->npayload, 1);
}

static void
test_header_digest_error(void)
{
	struct nvtcp_tcp_params p = params(true, false, 4);
	union nvtcp_tcp_pdu_hdr h = ut_hdr(NVTCP_TCP_PDU_CAPSULE_RESP, 0);
	struct nvtcp_tcp_tx_pdu term;
	struct owner *o;
	uint32_t len;

	h.rsp.rccqe.cid = 77;
	len = ut_build_pdu(g_stream, &h, NULL, 0, true, false, 4);
	CU_ASSERT_EQUAL(len, 28);
	/* A flipped bit in the header. */
	g_stream[20] ^= 0x10;
	o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	CU_ASSERT_EQUAL(feed(o, g_stream, len, 5, false, NULL), -EPROTO);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_error(&o->rx)->fes, NVTCP_TCP_FES_HDGST_ERROR);
	CU_ASSERT_EQUAL(o->nrec, 0);
	/* The TermReq copies the header, not its digest. */
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_term_req_from_rx(&term, &o->rx), 0);
	CU_ASSERT_EQUAL(term.hdr.ch.plen, 24 + 24);
	CU_ASSERT(memcmp(term.raw + 24, g_stream, 24) == 0);
	/* A flipped bit in the digest. */
	g_stream[20] ^= 0x10;
	g_stream[26] ^= 0x01;
	o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	CU_ASSERT_EQUAL(feed(o, g_stream, len, len, false, NULL), -EPROTO);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_error(&o->rx)->fes, NVTCP_TCP_FES_HDGST_ERROR);
	/* Intact: accepted. */
	g_stream[26] ^= 0x01;
	o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	CU_ASSERT_EQUAL(feed(o, g_stream, len, len, false, NULL), 0);
	CU_ASSERT_EQUAL(o->nrec, 1);
	CU_ASSERT_EQUAL(o->rec[0].hdr.rsp.rccqe.cid, 77);
}

/* A data digest mismatch is reported to the owner; the stream goes on. */
static void
test_data_digest_error(void)
{
	struct nvtcp_tcp_params p = params(false, true, 4);
	uint32_t nrec, len;

	fill_pattern(g_payload, DATA_SIZE, 8);
	len = host_stream(g_stream, &p, 2048, &nrec);
	/* Corrupt a data byte of the first C2HData (ICResp 128 + R2T 24 + header 24). */
	g_stream[128 + 24 + 24 + 100] ^= 0xFF;
	for (int direct = 0; direct < 2; direct++) {
		for (int discard = 0; discard < 2; discard++) {
			struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);

			o->mode = discard ? MODE_DISCARD : MODE_STORE;
			CU_ASSERT_EQUAL(feed(o, g_stream, len, 700, direct, NULL), 0);
			CU_ASSERT_EQUAL_FATAL(o->nrec, 6);
			CU_ASSERT(o->rec[2].payload);
			CU_ASSERT_FALSE(o->rec[2].ddgst_ok);
			CU_ASSERT_EQUAL(o->rec[2].discarded, (bool)discard);
			CU_ASSERT(o->rec[4].payload && o->rec[4].ddgst_ok);
			CU_ASSERT_EQUAL(nvtcp_tcp_rx_stats(&o->rx)->ddgst_errors, 1);
			CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&o->rx), NVTCP_TCP_RX_STATE_CH);
		}
	}
	/* A corrupted digest itself. */
	g_stream[128 + 24 + 24 + 100] ^= 0xFF;
	g_stream[128 + 24 + 24 + 2048] ^= 0x80;
	{
		struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);

		CU_ASSERT_EQUAL(feed(o, g_stream, len, len, false, NULL), 0);
		CU_ASSERT_FALSE(o->rec[2].ddgst_ok);
		CU_ASSERT(memcmp(o->data + o->rec[2].data_at, g_payload, 2048) == 0);
	}
}

static void
test_term_req_received(void)
{
	struct nvtcp_tcp_params p = params(true, true, 4);
	uint8_t bad[200];
	uint32_t len;
	struct owner *o;

	fill_pattern(bad, sizeof(bad), 9);
	/* The largest TermReq: 128 bytes of header, plen 152; digests never apply to it. */
	len = ut_build_term_req(g_stream, NVTCP_TCP_PDU_C2H_TERM_REQ, NVTCP_TCP_FES_HDGST_ERROR, 0,
				bad, 128);
	CU_ASSERT_EQUAL(len, 152);
	o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	CU_ASSERT_EQUAL(feed(o, g_stream, len, 1, false, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(o->nrec, 1);
	CU_ASSERT_EQUAL(o->rec[0].hdr.term_req.fes, NVTCP_TCP_FES_HDGST_ERROR);
	CU_ASSERT_EQUAL(o->rec[0].term_len, 128);
	CU_ASSERT(memcmp(o->rec[0].term, bad, 128) == 0);
	CU_ASSERT_FALSE(o->rec[0].payload);
	/* An H2CTermReq with a 72-byte header copy at the controller. */
	len = ut_build_term_req(g_stream, NVTCP_TCP_PDU_H2C_TERM_REQ, 1, 3, bad + 5, 72);
	o = owner_setup(NVTCP_TCP_ROLE_CTRLR, &p);
	CU_ASSERT_EQUAL(feed(o, g_stream, len, len, false, NULL), 0);
	CU_ASSERT_EQUAL(o->rec[0].term_len, 72);
	CU_ASSERT_EQUAL(o->rec[0].hdr.term_req.fei, 3);
	CU_ASSERT(memcmp(o->rec[0].term, bad + 5, 72) == 0);
}

/* The owner may choose a destination after the header callback (e.g. waiting for a buffer). */
static void
test_wait_for_destination(void)
{
	struct nvtcp_tcp_params p = params(false, true, 16);
	union nvtcp_tcp_pdu_hdr h = ut_hdr(NVTCP_TCP_PDU_CAPSULE_CMD, 0);
	struct owner *o = owner_setup(NVTCP_TCP_ROLE_CTRLR, &p);
	uint8_t dest[3000];
	struct iovec iov[2] = { { dest, 1000 }, { dest + 1000, 2000 } };
	uint32_t len, second;
	size_t head;

	fill_pattern(g_payload, DATA_SIZE, 10);
	h.cmd.ccsqe.cid = 1;
	len = ut_build_pdu(g_stream, &h, g_payload, 3000, false, true, 16);
	CU_ASSERT_EQUAL(g_stream[3], 80);
	h.cmd.ccsqe.cid = 2;
	second = ut_build_pdu(g_stream + len, &h, NULL, 0, false, true, 16);
	o->mode = MODE_WAIT;
	memcpy(o->rbuf, g_stream, len + second);
	o->rb.tail = len + second;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), NVTCP_TCP_RX_WAIT);
	CU_ASSERT_EQUAL(o->nrec, 1);
	head = o->rb.head;
	CU_ASSERT_EQUAL(head, 72); /* header only; the padding waits too */
	/* Still waiting: nothing consumed, no direct placement offered. */
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), NVTCP_TCP_RX_WAIT);
	CU_ASSERT_EQUAL(o->rb.head, head);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_direct_iov(&o->rx, iov, 2), 0);
	/* Wrong sizes are refused. */
	iov[1].iov_len = 1999;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload(&o->rx, iov, 2), -EINVAL);
	iov[1].iov_len = 2000;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload(&o->rx, iov, 2), 0);
	/* Only once. */
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload(&o->rx, iov, 2), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_discard_payload(&o->rx), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
	CU_ASSERT_EQUAL(o->nrec, 2);
	CU_ASSERT(o->rec[0].payload && o->rec[0].ddgst_ok);
	CU_ASSERT(memcmp(dest, g_payload, 3000) == 0);
	CU_ASSERT_EQUAL(o->rec[1].hdr.cmd.ccsqe.cid, 2);
	CU_ASSERT_EQUAL(o->rb.head, o->rb.tail);
	/* No destination can be set for a PDU without data. */
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload(&o->rx, iov, 2), -EINVAL);
}

static void
test_discard(void)
{
	struct nvtcp_tcp_params p = params(true, true, 4);
	uint32_t nrec, len;
	struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);

	fill_pattern(g_payload, DATA_SIZE, 11);
	len = host_stream(g_stream, &p, 10000, &nrec);
	o->mode = MODE_DISCARD;
	CU_ASSERT_EQUAL(feed(o, g_stream, len, 333, true, NULL), 0);
	CU_ASSERT_EQUAL(o->nrec, 6);
	CU_ASSERT(o->rec[2].payload && o->rec[2].ddgst_ok && o->rec[2].discarded);
	CU_ASSERT(o->rec[4].payload && o->rec[4].discarded);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_stats(&o->rx)->discarded_bytes, 10013);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_stats(&o->rx)->direct_bytes, 0);
	CU_ASSERT_EQUAL(o->data_pos, 0);
}

static void
test_stop(void)
{
	struct nvtcp_tcp_params p = params(false, false, 4);
	uint32_t nrec, len;
	struct owner *o;
	int calls = 0;

	fill_pattern(g_payload, DATA_SIZE, 12);
	len = host_stream(g_stream, &p, 100, &nrec);
	/* Stop after every header: one PDU per call. */
	o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	o->mode = MODE_STOP_HEADER;
	memcpy(o->rbuf, g_stream, len);
	o->rb.tail = len;
	while (o->rb.head < o->rb.tail && calls < 100) {
		int before = o->nrec;

		CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), NVTCP_TCP_RX_STOP);
		CU_ASSERT_EQUAL(o->nrec, before + 1);
		calls++;
	}
	/* The data PDUs need one more call each for their data. */
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
	CU_ASSERT_EQUAL(calls, 6);
	check_host_stream(o, 100);

	/* Stop after every payload. */
	o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	o->mode = MODE_STOP_PAYLOAD;
	memcpy(o->rbuf, g_stream, len);
	o->rb.tail = len;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), NVTCP_TCP_RX_STOP);
	CU_ASSERT_EQUAL(o->npayload, 1);
	CU_ASSERT_EQUAL(o->nrec, 3);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&o->rx), NVTCP_TCP_RX_STATE_CH);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), NVTCP_TCP_RX_STOP);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
	check_host_stream(o, 100);
}

/* The owner's own protocol errors: ERROR state and a TermReq with the offending header. */
static void
test_owner_fail(void)
{
	struct nvtcp_tcp_params p = params(true, false, 4);
	union nvtcp_tcp_pdu_hdr h = ut_hdr(NVTCP_TCP_PDU_R2T, 0);
	struct nvtcp_tcp_tx_pdu term;
	struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	uint32_t len;

	h.r2t.cccid = 0x4444;
	len = ut_build_pdu(g_stream, &h, NULL, 0, true, false, 4);
	len += ut_build_pdu(g_stream + len, &h, NULL, 0, true, false, 4);
	o->mode = MODE_FAIL;
	CU_ASSERT_EQUAL(feed(o, g_stream, len, len, false, NULL), -EPROTO);
	CU_ASSERT_EQUAL(o->nrec, 1);
	CU_ASSERT_EQUAL(o->rb.head, 28);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&o->rx), NVTCP_TCP_RX_STATE_ERROR);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_error(&o->rx)->fes, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_term_req_from_rx(&term, &o->rx), 0);
	CU_ASSERT_EQUAL(term.hdr.ch.pdu_type, NVTCP_TCP_PDU_H2C_TERM_REQ);
	CU_ASSERT_EQUAL(term.hdr.ch.plen, 48);
	CU_ASSERT_EQUAL(term.hdr.term_req.fes, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR);
	CU_ASSERT(memcmp(term.raw + 24, g_stream, 24) == 0);

	/* Reset gives a fresh connection. */
	nvtcp_tcp_rx_reset(&o->rx);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&o->rx), NVTCP_TCP_RX_STATE_CH);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_error(&o->rx)->fes, 0);
	CU_ASSERT_FALSE(nvtcp_tcp_rx_params(&o->rx)->hdgst);
	CU_ASSERT_EQUAL(nvtcp_tcp_pdu_term_req_from_rx(&term, &o->rx), -EINVAL);
	o->mode = MODE_STORE;
	len = ut_build_pdu(g_stream, &h, NULL, 0, false, false, 4);
	CU_ASSERT_EQUAL(feed(o, g_stream, len, len, false, NULL), 0);
	CU_ASSERT_EQUAL(o->nrec, 2);
}

static void
test_set_payload_errors(void)
{
	struct nvtcp_tcp_params p = params(false, false, 4);
	union nvtcp_tcp_pdu_hdr h = ut_hdr(NVTCP_TCP_PDU_C2H_DATA, 0);
	static uint8_t buf[8192];
	struct iovec iov[NVTCP_TCP_PDU_MAX_DATA_IOV + 1];
	struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	uint32_t len;

	fill_pattern(g_payload, DATA_SIZE, 13);
	h.c2h_data.datao = 100;
	len = ut_build_pdu(g_stream, &h, g_payload, 650, false, false, 4);
	o->mode = MODE_WAIT;
	CU_ASSERT_EQUAL(feed(o, g_stream, len, len, false, NULL), NVTCP_TCP_RX_WAIT);
	/* 65 pieces of 10 bytes: one too many. */
	for (int i = 0; i < NVTCP_TCP_PDU_MAX_DATA_IOV + 1; i++) {
		iov[i].iov_base = buf + i * 10;
		iov[i].iov_len = 10;
	}
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload(&o->rx, iov, 65), -E2BIG);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload(&o->rx, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload(&o->rx, iov, -1), -EINVAL);
	/* Out of the buffer's range. */
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload_at(&o->rx, iov, 65, 1), -EINVAL);
	/* A slice needing more than 64 entries. */
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload_at(&o->rx, iov, 65, 0), -E2BIG);
	/* The command buffer at DATAO: a slice of 650 bytes from offset 100 of 8192. */
	iov[0].iov_base = buf;
	iov[0].iov_len = 4096;
	iov[1].iov_base = buf + 4096;
	iov[1].iov_len = 4096;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload_at(&o->rx, iov, 2,
						    nvtcp_tcp_rx_hdr(&o->rx)->c2h_data.datao), 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
	CU_ASSERT(memcmp(buf + 100, g_payload, 650) == 0);
	CU_ASSERT_EQUAL(o->npayload, 1);
}

/* Empty iovecs are skipped and 64 non-empty ones are accepted. */
static void
test_set_payload_64_iovecs(void)
{
	struct nvtcp_tcp_params p = params(false, false, 4);
	union nvtcp_tcp_pdu_hdr h = ut_hdr(NVTCP_TCP_PDU_C2H_DATA, 0);
	static uint8_t buf[640];
	struct iovec iov[128];
	struct owner *o = owner_setup(NVTCP_TCP_ROLE_HOST, &p);
	uint32_t len;

	fill_pattern(g_payload, DATA_SIZE, 14);
	len = ut_build_pdu(g_stream, &h, g_payload, 640, false, false, 4);
	o->mode = MODE_WAIT;
	CU_ASSERT_EQUAL(feed(o, g_stream, len, 30, false, NULL), NVTCP_TCP_RX_WAIT);
	for (int i = 0; i < 64; i++) {
		iov[2 * i].iov_base = buf + i * 10;
		iov[2 * i].iov_len = 10;
		iov[2 * i + 1].iov_base = NULL;
		iov[2 * i + 1].iov_len = 0;
	}
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_payload(&o->rx, iov, 128), 0);
	/* The 6 data bytes that came with the header, then the rest. */
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_stats(&o->rx)->copied_bytes, 6);
	CU_ASSERT_EQUAL(feed(o, g_stream + 30, len - 30, 7, true, NULL), 0);
	CU_ASSERT(memcmp(buf, g_payload, 640) == 0);
}

/*
 * Corrupted streams (random bytes flipped in valid ones) and pure noise, in random pieces: the
 * receiver either delivers PDUs that pass its checks or stops in ERROR with a FES; it never
 * reads out of bounds (run under SAN=1), never delivers data beyond the limit, and consumes
 * nothing after an error.
 */
static void
test_corrupted_streams(void)
{
	unsigned seed = 777;

	fill_pattern(g_payload, DATA_SIZE, 15);
	for (int iter = 0; iter < 3000; iter++) {
		bool host = iter & 1;
		struct nvtcp_tcp_params p = params(iter & 2, iter & 4, (iter & 8) ? 8 : 4);
		struct owner *o = owner_setup(host ? NVTCP_TCP_ROLE_HOST : NVTCP_TCP_ROLE_CTRLR, &p);
		uint32_t nrec, len, pos = 0;
		int rc = 0;

		o->mode = (iter % 3 == 0) ? MODE_DISCARD : MODE_STORE;
		o->split = 1 + iter % 4;
		if (iter % 10 == 9) {
			len = 2000;
			for (uint32_t i = 0; i < len; i++) {
				g_stream[i] = (uint8_t)rand_r(&seed);
			}
		} else {
			len = host ? host_stream(g_stream, &p, 1 + (uint32_t)(rand_r(&seed) % 3000), &nrec) :
			      ctrlr_stream(g_stream, &p, 4 + (uint32_t)(rand_r(&seed) % 3000));
			for (int f = 0; f < 1 + iter % 4; f++) {
				g_stream[rand_r(&seed) % len] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
			}
		}
		o->rb.head = o->rb.tail = 0;
		while (pos < len) {
			uint32_t n = NVTCP_MIN((uint32_t)(rand_r(&seed) % 200) + 1, len - pos);

			memcpy(o->rbuf, g_stream + pos, n);
			o->rb.head = 0;
			o->rb.tail = n;
			pos += n;
			rc = nvtcp_tcp_rx_process(&o->rx, &o->rb);
			if (rc != 0) {
				break;
			}
			CU_ASSERT_EQUAL(o->rb.head, o->rb.tail);
		}
		if (rc != 0) {
			size_t head = o->rb.head;

			CU_ASSERT_EQUAL(rc, -EPROTO);
			CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&o->rx), NVTCP_TCP_RX_STATE_ERROR);
			CU_ASSERT(nvtcp_tcp_rx_error(&o->rx)->fes >= NVTCP_TCP_FES_INVALID_HEADER_FIELD);
			CU_ASSERT(nvtcp_tcp_rx_error(&o->rx)->fes <= NVTCP_TCP_FES_UNSUPPORTED_PARAMETER);
			CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&o->rx, &o->rb), -EPROTO);
			CU_ASSERT_EQUAL(o->rb.head, head);
		}
		for (int i = 0; i < o->nrec; i++) {
			CU_ASSERT(o->rec[i].data_len <= 256 * 1024);
			CU_ASSERT(nvtcp_tcp_pdu_type_valid(o->rec[i].type));
			CU_ASSERT_EQUAL(nvtcp_tcp_pdu_from_host(o->rec[i].type), !host);
		}
	}
}

static void
test_init_and_params(void)
{
	struct nvtcp_tcp_rx rx;
	struct nvtcp_tcp_rx_opts opts;
	struct nvtcp_tcp_params p;

	nvtcp_tcp_rx_opts_init(&opts);
	CU_ASSERT_EQUAL(opts.role, NVTCP_TCP_ROLE_HOST);
	CU_ASSERT_EQUAL(opts.max_data_len, NVTCP_TCP_RX_MAX_DATA_DEFAULT);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_init(&rx, &opts), -EINVAL); /* no callbacks */
	opts.header_cb = owner_header;
	opts.payload_cb = owner_payload;
	opts.role = (enum nvtcp_tcp_role)7;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_init(&rx, &opts), -EINVAL);
	opts.role = NVTCP_TCP_ROLE_CTRLR;
	opts.max_data_len = 0;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_init(&rx, &opts), -EINVAL);
	opts.max_data_len = 4096;
	opts.name = "a very long name that does not fit in the rx name buffer";
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_init(&rx, &opts), 0);
	CU_ASSERT_EQUAL(strlen(rx.name), sizeof(rx.name) - 1);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_state(&rx), NVTCP_TCP_RX_STATE_CH);
	CU_ASSERT_FALSE(nvtcp_tcp_rx_params(&rx)->hdgst);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_params(&rx)->rx_pda, 4);
	nvtcp_tcp_params_init(&p);
	p.rx_pda = 6;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_params(&rx, &p), -EINVAL);
	p.rx_pda = 132;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_params(&rx, &p), -EINVAL);
	p.rx_pda = 128;
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_set_params(&rx, &p), 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_params(&rx)->rx_pda, 128);
	CU_ASSERT_EQUAL(nvtcp_tcp_rx_process(&rx, NULL), 0);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("tcp_rx", NULL, NULL);

	CU_ADD_TEST(s, test_init_and_params);
	CU_ADD_TEST(s, test_host_stream_variants);
	CU_ADD_TEST(s, test_ctrlr_stream_variants);
	CU_ADD_TEST(s, test_every_split_point);
	CU_ADD_TEST(s, test_random_fragmentation);
	CU_ADD_TEST(s, test_direct_placement);
	CU_ADD_TEST(s, test_direct_completes_without_buffer);
	CU_ADD_TEST(s, test_malformed_headers);
	CU_ADD_TEST(s, test_malformed_datal);
	CU_ADD_TEST(s, test_header_digest_error);
	CU_ADD_TEST(s, test_data_digest_error);
	CU_ADD_TEST(s, test_term_req_received);
	CU_ADD_TEST(s, test_wait_for_destination);
	CU_ADD_TEST(s, test_discard);
	CU_ADD_TEST(s, test_stop);
	CU_ADD_TEST(s, test_owner_fail);
	CU_ADD_TEST(s, test_set_payload_errors);
	CU_ADD_TEST(s, test_set_payload_64_iovecs);
	CU_ADD_TEST(s, test_corrupted_streams);
}

NVTCP_UT_MAIN(add_tests)
