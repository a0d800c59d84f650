/*
 * libFuzzer harness: the NVMe/TCP receive state machine of lib/tcp (rx.c, ic.c), in both roles.
 *
 * The first FUZZ_TCP_RX_CFG_LEN bytes choose the role, the digests, the alignments, the limits,
 * whether the stream starts with the IC exchange, how the owner places data, and how the stream
 * is cut into reads; the rest is the stream. The owner callbacks validate like a real owner
 * (CIDs, TTAGs, data offsets within each command's buffer) and place data into exactly-sized
 * heap buffers, so that any byte written out of bounds is caught by AddressSanitizer.
 *
 * Beyond memory safety the harness checks the receiver's contract, and traps when it breaks:
 * - nvtcp_tcp_rx_process() returning 0 has consumed every buffered byte (nothing stuck);
 * - NVTCP_TCP_RX_WAIT only when the owner deferred a destination;
 * - only PDU types the role may receive reach the owner, and header digests / lengths the
 *   owner relies on are consistent;
 * - after a fatal error a TermReq can be built, with a defined FES and at most 152 bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nvtcp/log.h"
#include "nvtcp/tcp_pdu.h"
#include "nvtcp/util.h"

struct owner {
	struct nvtcp_tcp_rx rx;
	uint8_t flags;
	bool ctrlr;
	bool ic_done;
	struct nvtcp_tcp_ic_opts ic_opts;
	uint8_t *buf[FUZZ_RX_NCMDS];
	uint32_t rcvd[FUZZ_RX_NCMDS];
	bool done[FUZZ_RX_NCMDS];
	uint8_t *capsule;
	/* A destination the owner deferred (FUZZ_RX_DEFER). */
	bool pending;
	int pending_cid;     /* -1: in-capsule data */
	uint32_t pending_off;
	int cur_cid;         /* command of the data PDU in progress, -1 for in-capsule data */
	uint32_t split;      /* place data in two iovecs when non-zero */
};

static int
place(struct owner *o, int cid, uint32_t off)
{
	struct nvtcp_tcp_rx *rx = &o->rx;
	uint32_t len = nvtcp_tcp_rx_data_len(rx);
	int rc;

	if (o->flags & FUZZ_RX_DISCARD) {
		rc = nvtcp_tcp_rx_discard_payload(rx);
	} else if (cid < 0) {
		/* In-capsule data: a buffer of exactly its size. */
		free(o->capsule);
		o->capsule = malloc(len);
		CHECK(o->capsule != NULL);
		if (o->split > 0 && len > 1) {
			uint32_t a = 1 + o->split % (len - 1);
			struct iovec iov[2] = {{o->capsule, a}, {o->capsule + a, len - a}};

			rc = nvtcp_tcp_rx_set_payload(rx, iov, 2);
		} else {
			struct iovec iov = {o->capsule, len};

			rc = nvtcp_tcp_rx_set_payload(rx, &iov, 1);
		}
	} else {
		uint32_t xfer = FUZZ_RX_XFER(cid);

		if (o->split > 0 && xfer > 1) {
			uint32_t a = 1 + o->split % (xfer - 1);
			struct iovec iov[2] = {{o->buf[cid], a}, {o->buf[cid] + a, xfer - a}};

			rc = nvtcp_tcp_rx_set_payload_at(rx, iov, 2, off);
		} else {
			struct iovec iov = {o->buf[cid], xfer};

			rc = nvtcp_tcp_rx_set_payload_at(rx, &iov, 1, off);
		}
	}
	/* The owner checked the range: the receiver must accept the destination. */
	CHECK(rc == 0);
	return 0;
}

static int
want_data(struct owner *o, int cid, uint32_t off)
{
	o->cur_cid = cid;
	if (o->flags & FUZZ_RX_DEFER) {
		o->pending = true;
		o->pending_cid = cid;
		o->pending_off = off;
		return 0;
	}
	return place(o, cid, off);
}

static int
ic_header(struct owner *o, uint8_t type)
{
	const union nvtcp_tcp_pdu_hdr *h = nvtcp_tcp_rx_hdr(&o->rx);
	struct nvtcp_tcp_params params;
	struct nvtcp_tcp_error err;
	int rc;

	if (o->ctrlr && type == NVTCP_TCP_PDU_IC_REQ) {
		struct nvtcp_tcp_icresp icresp;

		rc = nvtcp_tcp_icreq_accept(&h->icreq, &o->ic_opts, &icresp, &params, &err);
	} else if (!o->ctrlr && type == NVTCP_TCP_PDU_IC_RESP) {
		rc = nvtcp_tcp_icresp_accept(&h->icresp, &o->ic_opts, &params, &err);
	} else {
		return nvtcp_tcp_rx_fail(&o->rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	}
	if (rc != 0) {
		CHECK(rc == -EPROTO);
		return nvtcp_tcp_rx_fail(&o->rx, err.fes, err.fei);
	}
	/* What an accept derives is always valid parameters. */
	CHECK(nvtcp_tcp_rx_set_params(&o->rx, &params) == 0);
	o->ic_done = true;
	return 0;
}

static int
host_header(struct owner *o, uint8_t type)
{
	const union nvtcp_tcp_pdu_hdr *h = nvtcp_tcp_rx_hdr(&o->rx);
	uint16_t cid;

	switch (type) {
	case NVTCP_TCP_PDU_CAPSULE_RESP:
		cid = h->rsp.rccqe.cid;
		if (cid >= FUZZ_RX_NCMDS || o->done[cid]) {
			return nvtcp_tcp_rx_fail(&o->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 20);
		}
		o->done[cid] = true;
		return 0;
	case NVTCP_TCP_PDU_C2H_DATA: {
		uint32_t datao = h->c2h_data.datao, datal = h->c2h_data.datal;

		cid = h->c2h_data.cccid;
		CHECK(datal == nvtcp_tcp_rx_data_len(&o->rx) && datal > 0);
		if (cid >= FUZZ_RX_NCMDS || (cid & 1) || o->done[cid]) {
			return nvtcp_tcp_rx_fail(&o->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 8);
		}
		if (datao != o->rcvd[cid] || (uint64_t)datao + datal > FUZZ_RX_XFER(cid)) {
			return nvtcp_tcp_rx_fail(&o->rx, NVTCP_TCP_FES_DATA_OUT_OF_RANGE, 12);
		}
		if ((h->ch.flags & NVTCP_TCP_FLAG_SUCCESS) && datao + datal != FUZZ_RX_XFER(cid)) {
			return nvtcp_tcp_rx_fail(&o->rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 1);
		}
		return want_data(o, cid, datao);
	}
	case NVTCP_TCP_PDU_R2T: {
		uint32_t r2to = h->r2t.r2to, r2tl = h->r2t.r2tl;

		cid = h->r2t.cccid;
		if (cid >= FUZZ_RX_NCMDS || !(cid & 1) || o->done[cid]) {
			return nvtcp_tcp_rx_fail(&o->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 8);
		}
		if (r2tl == 0 || (uint64_t)r2to + r2tl > FUZZ_RX_XFER(cid)) {
			return nvtcp_tcp_rx_fail(&o->rx, NVTCP_TCP_FES_DATA_OUT_OF_RANGE, 12);
		}
		return 0;
	}
	default:
		/* The receiver must have rejected every other type for a host. */
		CHECK(false);
		return 0;
	}
}

static int
ctrlr_header(struct owner *o, uint8_t type)
{
	const union nvtcp_tcp_pdu_hdr *h = nvtcp_tcp_rx_hdr(&o->rx);

	switch (type) {
	case NVTCP_TCP_PDU_CAPSULE_CMD:
		if (nvtcp_tcp_rx_data_len(&o->rx) > 0) {
			return want_data(o, -1, 0);
		}
		return 0;
	case NVTCP_TCP_PDU_H2C_DATA: {
		uint32_t datao = h->h2c_data.datao, datal = h->h2c_data.datal;
		uint16_t cid = h->h2c_data.cccid;

		CHECK(datal == nvtcp_tcp_rx_data_len(&o->rx) && datal > 0);
		CHECK(datal <= nvtcp_tcp_rx_params(&o->rx)->maxh2cdata);
		if (cid >= FUZZ_RX_NCMDS || !(cid & 1) || o->done[cid]) {
			return nvtcp_tcp_rx_fail(&o->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 8);
		}
		if (h->h2c_data.ttag != cid) {
			return nvtcp_tcp_rx_fail(&o->rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 10);
		}
		if (datao != o->rcvd[cid] || (uint64_t)datao + datal > FUZZ_RX_XFER(cid)) {
			return nvtcp_tcp_rx_fail(&o->rx, NVTCP_TCP_FES_DATA_OUT_OF_RANGE, 12);
		}
		return want_data(o, cid, datao);
	}
	default:
		CHECK(false);
		return 0;
	}
}

static int
on_header(void *ctx, struct nvtcp_tcp_rx *rx)
{
	struct owner *o = ctx;
	uint8_t type = nvtcp_tcp_rx_pdu_type(rx);

	/* The role decides the direction; lib/tcp enforces it. */
	CHECK(nvtcp_tcp_pdu_type_valid(type));
	CHECK(nvtcp_tcp_pdu_from_host(type) == o->ctrlr);
	if (type == NVTCP_TCP_PDU_H2C_TERM_REQ || type == NVTCP_TCP_PDU_C2H_TERM_REQ) {
		uint32_t len;

		(void)nvtcp_tcp_rx_term_data(rx, &len);
		CHECK(len <= NVTCP_TCP_TERM_REQ_DATA_MAX);
		return NVTCP_TCP_RX_STOP; /* the peer closes: so does the owner */
	}
	if (type == NVTCP_TCP_PDU_IC_REQ || type == NVTCP_TCP_PDU_IC_RESP || !o->ic_done) {
		return ic_header(o, type);
	}
	return o->ctrlr ? ctrlr_header(o, type) : host_header(o, type);
}

static int
on_payload(void *ctx, struct nvtcp_tcp_rx *rx, bool ddgst_ok)
{
	struct owner *o = ctx;
	const union nvtcp_tcp_pdu_hdr *h = nvtcp_tcp_rx_hdr(rx);
	uint8_t type = nvtcp_tcp_rx_pdu_type(rx);

	(void)ddgst_ok;
	CHECK(!o->pending);
	if (type == NVTCP_TCP_PDU_CAPSULE_CMD) {
		free(o->capsule);
		o->capsule = NULL;
		return 0;
	}
	CHECK(type == NVTCP_TCP_PDU_C2H_DATA || type == NVTCP_TCP_PDU_H2C_DATA);
	CHECK(o->cur_cid >= 0 && o->cur_cid < FUZZ_RX_NCMDS);
	o->rcvd[o->cur_cid] += h->c2h_data.datal;
	CHECK(o->rcvd[o->cur_cid] <= FUZZ_RX_XFER(o->cur_cid));
	if (o->rcvd[o->cur_cid] == FUZZ_RX_XFER(o->cur_cid) &&
	    (type == NVTCP_TCP_PDU_H2C_DATA || (h->ch.flags & NVTCP_TCP_FLAG_SUCCESS))) {
		o->done[o->cur_cid] = true;
	}
	return 0;
}

static uint32_t
rng_next(uint32_t *s)
{
	/* xorshift32: the cut points only need to vary, deterministically per input. */
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void
check_error(struct owner *o)
{
	const struct nvtcp_tcp_error *e = nvtcp_tcp_rx_error(&o->rx);
	struct nvtcp_tcp_tx_pdu term;

	CHECK(nvtcp_tcp_rx_state(&o->rx) == NVTCP_TCP_RX_STATE_ERROR);
	CHECK(e->fes >= NVTCP_TCP_FES_INVALID_HEADER_FIELD &&
	      e->fes <= NVTCP_TCP_FES_UNSUPPORTED_PARAMETER);
	CHECK(nvtcp_tcp_pdu_term_req_from_rx(&term, &o->rx) == 0);
	CHECK(term.hdr.ch.plen >= NVTCP_TCP_TERM_REQ_HLEN &&
	      term.hdr.ch.plen <= NVTCP_TCP_TERM_REQ_PLEN_MAX);
	CHECK(term.hdr.ch.pdu_type == (o->ctrlr ? NVTCP_TCP_PDU_C2H_TERM_REQ :
				       NVTCP_TCP_PDU_H2C_TERM_REQ));
	/* Nothing more is consumed after a fatal error. */
	CHECK(nvtcp_tcp_rx_process(&o->rx, NULL) == -EPROTO);
}

/* FUZZ_TCP_RX_VERBOSE=1: print how each input ended and keep the library's logs (to check
 * that the seeds are valid streams: they must end without an error). */
static bool g_verbose;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_verbose = getenv("FUZZ_TCP_RX_VERBOSE") != NULL;
	if (!g_verbose) {
		nvtcp_log_set_callback(fuzz_log_discard);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct owner o;
	struct nvtcp_tcp_rx_opts ro;
	struct nvtcp_sock_rxbuf rb;
	const uint8_t *cfg = data, *in;
	size_t len, pos = 0, rbsize;
	uint32_t seed, maxread;
	uint64_t guard = 0;
	int rc;

	if (size < FUZZ_TCP_RX_CFG_LEN) {
		return 0;
	}
	in = data + FUZZ_TCP_RX_CFG_LEN;
	len = size - FUZZ_TCP_RX_CFG_LEN;

	memset(&o, 0, sizeof(o));
	o.flags = cfg[0];
	o.ctrlr = (cfg[0] & FUZZ_RX_CTRLR) != 0;
	o.split = (cfg[6] & 0x80) ? cfg[6] : 0;
	o.cur_cid = -1;
	nvtcp_tcp_ic_opts_init(&o.ic_opts);
	o.ic_opts.hdgst = (cfg[0] & FUZZ_RX_HDGST) != 0;
	o.ic_opts.ddgst = (cfg[0] & FUZZ_RX_DDGST) != 0;
	o.ic_opts.pda = cfg[1] & 31;
	o.ic_opts.maxh2cdata = 4096u << (cfg[3] % 8);
	for (int i = 0; i < FUZZ_RX_NCMDS; i++) {
		o.buf[i] = malloc(FUZZ_RX_XFER(i));
		CHECK(o.buf[i] != NULL);
	}

	nvtcp_tcp_rx_opts_init(&ro);
	ro.role = o.ctrlr ? NVTCP_TCP_ROLE_CTRLR : NVTCP_TCP_ROLE_HOST;
	ro.max_data_len = 512u << (cfg[4] % 14);
	ro.header_cb = on_header;
	ro.payload_cb = on_payload;
	ro.cb_ctx = &o;
	ro.name = "fuzz";
	CHECK(nvtcp_tcp_rx_init(&o.rx, &ro) == 0);
	if (!(cfg[0] & FUZZ_RX_PRE_IC)) {
		struct nvtcp_tcp_params p;

		nvtcp_tcp_params_init(&p);
		p.hdgst = o.ic_opts.hdgst;
		p.ddgst = o.ic_opts.ddgst;
		p.rx_pda = nvtcp_tcp_pda_to_align(cfg[1] & 31);
		p.tx_pda = nvtcp_tcp_pda_to_align(cfg[2] & 31);
		p.maxh2cdata = o.ic_opts.maxh2cdata;
		CHECK(nvtcp_tcp_rx_set_params(&o.rx, &p) == 0);
		o.ic_done = true;
	}

	rbsize = (size_t)256 << (cfg[7] % 8);
	rb.buf = malloc(rbsize);
	CHECK(rb.buf != NULL);
	rb.size = rbsize;
	rb.head = rb.tail = 0;
	seed = 0x9E3779B9u ^ ((uint32_t)cfg[6] << 8 | cfg[5]);
	maxread = cfg[5] == 0 ? 4096 : 1u + (uint32_t)cfg[5] * 16;

	for (;;) {
		struct iovec iov[NVTCP_TCP_PDU_MAX_DATA_IOV];
		size_t n, direct = 0;
		int niov;

		CHECK(++guard < 4 * (uint64_t)size + 1000); /* every round makes progress */
		rc = nvtcp_tcp_rx_process(&o.rx, &rb);
		if (rc == NVTCP_TCP_RX_WAIT) {
			CHECK(o.pending);
			o.pending = false;
			place(&o, o.pending_cid, o.pending_off);
			continue;
		}
		if (rc == NVTCP_TCP_RX_STOP) {
			break;
		}
		if (rc < 0) {
			CHECK(rc == -EPROTO);
			check_error(&o);
			break;
		}
		CHECK(rc == 0);
		/* 0: everything buffered was consumed. */
		CHECK(rb.head == rb.tail);
		if (pos == len) {
			break;
		}
		n = 1 + rng_next(&seed) % maxread;
		n = NVTCP_MIN(n, len - pos);
		/* One "readv": straight into the destination first, then into the buffer. */
		niov = (o.flags & FUZZ_RX_NO_DIRECT) ? 0 :
		       nvtcp_tcp_rx_direct_iov(&o.rx, iov, NVTCP_TCP_PDU_MAX_DATA_IOV);
		for (int i = 0; i < niov && direct < n; i++) {
			size_t take = NVTCP_MIN(iov[i].iov_len, n - direct);

			memcpy(iov[i].iov_base, in + pos + direct, take);
			direct += take;
		}
		CHECK(nvtcp_tcp_rx_direct_done(&o.rx, direct) == 0);
		pos += direct;
		n -= direct;
		if (n > 0) {
			if (rb.head == rb.tail) {
				rb.head = rb.tail = 0;
			}
			n = NVTCP_MIN(n, rb.size - rb.tail);
			CHECK(n > 0);
			memcpy(rb.buf + rb.tail, in + pos, n);
			rb.tail += n;
			pos += n;
		}
	}

	if (g_verbose) {
		fprintf(stderr, "tcp_rx: %s role, %zu stream bytes, %zu consumed, %llu PDUs, end %d%s\n",
			o.ctrlr ? "controller" : "host", len, pos,
			(unsigned long long)nvtcp_tcp_rx_stats(&o.rx)->pdus, rc,
			rc == NVTCP_TCP_RX_STOP ? " (stop: TermReq)" : rc < 0 ? " (error)" : "");
	}
	free(rb.buf);
	free(o.capsule);
	for (int i = 0; i < FUZZ_RX_NCMDS; i++) {
		free(o.buf[i]);
	}
	return 0;
}
