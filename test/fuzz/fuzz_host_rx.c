/*
 * libFuzzer harness: the host driver's PDU receive path (lib/nvme, over lib/tcp), fed by a
 * controller that says anything.
 *
 * Each input: the scripted fake controller of the host unit tests (test/unit/lib/nvme/
 * fake_ctrlr.c, on fake sockets) brings a controller up and connects one I/O queue pair; that
 * connection is then switched to manual mode and the host submits a fixed set of commands
 * (reads of 4 KiB and 16 KiB, an in-capsule write, a 64 KiB write that needs R2Ts, a flush).
 * The rest of the input is what the "controller" sends on the I/O connection, delivered in
 * reads of a chosen size; the host polls; then the queue pair is freed and the controller
 * detached.
 *
 * Input: byte 0 flags (bit 0 header digests, bit 1 data digests), byte 1 read size (0: all at
 * once, else 1..255 bytes per read, at least 1/256 of the input), then the stream.
 *
 * Checked beyond memory safety (data lands in exactly-sized heap buffers): every submitted
 * command completes exactly once by the end, whatever arrived.
 *
 * Seeds: with FUZZ_HOST_RX_SEEDS=<dir> set, running the harness on an input writes valid
 * response streams for the commands it submitted (as the host numbered them, with the
 * digests negotiated) into <dir>: "make -C test/fuzz corpus" does this.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ctrlr.h"
#include "fuzz_common.h"
#include "nvme/nvme_internal.h"
#include "nvtcp/nvme.h"
#include "nvtcp/tcp_pdu.h"

#define NCMDS 5
#define MAX_ROUNDS 64

enum { C_READ4K, C_READ16K, C_WRITE512, C_WRITE64K, C_FLUSH };

static const struct {
	bool write;
	uint32_t blocks;     /* 512-byte blocks; 0 = flush */
} g_cmds[NCMDS] = {
	[C_READ4K] = {false, 8},
	[C_READ16K] = {false, 32},
	[C_WRITE512] = {true, 1},
	[C_WRITE64K] = {true, 128},
	[C_FLUSH] = {false, 0},
};

struct slot {
	uint8_t *buf;
	int completions;
	uint16_t status;     /* of the first completion */
	bool before_teardown; /* completed while the host polled the stream */
	uint16_t cid;        /* as the fake saw it */
	bool sent;
};

static struct slot g_slots[NCMDS];

static void
done(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct slot *s = arg;

	if (s->completions++ == 0) {
		s->status = cpl->status;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (getenv("FUZZ_HOST_RX_VERBOSE") == NULL) {
		nvtcp_log_set_callback(fuzz_log_discard);
	}
	return 0;
}

static void
rounds(struct fake_ctrlr *fc, struct nvtcp_ctrlr *c, struct nvtcp_qpair *qp, int n)
{
	for (int i = 0; i < n; i++) {
		if (qp != NULL) {
			(void)nvtcp_qpair_process_completions(qp, 0);
		}
		(void)nvtcp_ctrlr_process_admin_completions(c);
		fake_ctrlr_poll(fc);
	}
}

/* ---- Seeds ---------------------------------------------------------------------------------- */

struct seed {
	uint8_t buf[262144];
	size_t len;
};

static void
seed_pdu(struct seed *s, const struct nvtcp_tcp_params *p, union nvtcp_tcp_pdu_hdr *hdr,
	 const void *data, uint32_t len)
{
	struct nvtcp_tcp_tx_pdu pdu;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};

	nvtcp_tcp_pdu_init(&pdu, hdr->ch.pdu_type);
	memcpy(pdu.raw + NVTCP_TCP_CH_LEN, hdr->raw + NVTCP_TCP_CH_LEN,
	       nvtcp_tcp_pdu_hlen(hdr->ch.pdu_type) - NVTCP_TCP_CH_LEN);
	pdu.hdr.ch.flags = hdr->ch.flags;
	CHECK(nvtcp_tcp_pdu_finish(&pdu, p, len > 0 ? &iov : NULL, len > 0 ? 1 : 0) == 0);
	for (int i = 0; i < pdu.iovcnt; i++) {
		CHECK(s->len + pdu.iov[i].iov_len <= sizeof(s->buf));
		memcpy(s->buf + s->len, pdu.iov[i].iov_base, pdu.iov[i].iov_len);
		s->len += pdu.iov[i].iov_len;
	}
}

static void
seed_rsp(struct seed *s, const struct nvtcp_tcp_params *p, uint16_t cid)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_CAPSULE_RESP;
	h.rsp.rccqe.cid = cid;
	seed_pdu(s, p, &h, NULL, 0);
}

static void
seed_c2h(struct seed *s, const struct nvtcp_tcp_params *p, uint16_t cid, uint32_t off,
	 uint32_t len, uint8_t flags)
{
	static uint8_t pattern[65536];
	union nvtcp_tcp_pdu_hdr h;

	for (size_t i = 0; i < sizeof(pattern); i++) {
		pattern[i] = (uint8_t)(i * 13 + 1);
	}
	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
	h.ch.flags = flags;
	h.c2h_data.cccid = cid;
	h.c2h_data.datao = off;
	seed_pdu(s, p, &h, pattern, len);
}

static void
seed_r2t(struct seed *s, const struct nvtcp_tcp_params *p, uint16_t cid, uint16_t ttag,
	 uint32_t off, uint32_t len)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_R2T;
	h.r2t.cccid = cid;
	h.r2t.ttag = ttag;
	h.r2t.r2to = off;
	h.r2t.r2tl = len;
	seed_pdu(s, p, &h, NULL, 0);
}

static void
seed_write(const char *dir, const char *name, const uint8_t *cfg, const struct seed *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s_%s%s", dir, name, (cfg[0] & 1) ? "h" : "",
		 (cfg[0] & 2) ? "d" : "");
	f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(cfg, 1, 2, f) == 2 && fwrite(s->buf, 1, s->len, f) == s->len);
	CHECK(fclose(f) == 0);
}

/* Valid answers to the submitted commands, in a few shapes. */
static void
make_seeds(const char *dir, const uint8_t *cfg, const struct nvtcp_tcp_params *p)
{
	static struct seed s;
	uint16_t r4 = g_slots[C_READ4K].cid, r16 = g_slots[C_READ16K].cid;
	uint16_t w1 = g_slots[C_WRITE512].cid, w64 = g_slots[C_WRITE64K].cid;
	uint16_t fl = g_slots[C_FLUSH].cid;

	/* One C2HData per read, a CapsuleResp each; one R2T for the big write. */
	s.len = 0;
	seed_c2h(&s, p, r4, 0, 4096, NVTCP_TCP_FLAG_LAST_PDU);
	seed_rsp(&s, p, r4);
	seed_c2h(&s, p, r16, 0, 16384, NVTCP_TCP_FLAG_LAST_PDU);
	seed_rsp(&s, p, r16);
	seed_rsp(&s, p, w1);
	seed_r2t(&s, p, w64, 1, 0, 65536);
	seed_rsp(&s, p, w64);
	seed_rsp(&s, p, fl);
	seed_write(dir, "plain", cfg, &s);

	/* Reads split in several PDUs, the last with SUCCESS (no CapsuleResp); R2Ts in parts. */
	s.len = 0;
	seed_c2h(&s, p, r16, 0, 4096, 0);
	seed_c2h(&s, p, r16, 4096, 8192, 0);
	seed_c2h(&s, p, r16, 12288, 4096, NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS);
	seed_c2h(&s, p, r4, 0, 4096, NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS);
	seed_r2t(&s, p, w64, 2, 0, 32768);
	seed_r2t(&s, p, w64, 3, 32768, 32768);
	seed_rsp(&s, p, w64);
	seed_rsp(&s, p, fl);
	seed_rsp(&s, p, w1);
	seed_write(dir, "split", cfg, &s);

	/* An error status, and a TermReq to end. */
	s.len = 0;
	{
		union nvtcp_tcp_pdu_hdr h;
		struct nvtcp_tcp_tx_pdu t;

		memset(&h, 0, sizeof(h));
		h.ch.pdu_type = NVTCP_TCP_PDU_CAPSULE_RESP;
		h.rsp.rccqe.cid = r4;
		h.rsp.rccqe.status = nvtcp_nvme_status(0, NVTCP_NVME_SC_INVALID_FIELD, true);
		seed_pdu(&s, p, &h, NULL, 0);
		CHECK(nvtcp_tcp_pdu_term_req(&t, NVTCP_TCP_PDU_C2H_TERM_REQ,
					     NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0, h.raw, 24) == 0);
		memcpy(s.buf + s.len, t.raw, t.hdr_area_len);
		s.len += t.hdr_area_len;
	}
	seed_write(dir, "error", cfg, &s);
}

/* ---- The run -------------------------------------------------------------------------------- */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_ctrlr_cfg cfg;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_io_qpair_opts qo;
	struct nvtcp_trid t;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_qpair *qp;
	struct fake_conn *io;
	struct nvtcp_ns *ns;
	const char *seed_dir = getenv("FUZZ_HOST_RX_SEEDS");
	int rc;

	if (size < 2) {
		return 0;
	}
	/* Small: every input builds its own controller, so every byte allocated costs. */
	fake_ctrlr_cfg_init(&cfg);
	cfg.num_ns = 1;
	cfg.ns_blocks = 256;
	fc = fake_ctrlr_create(&cfg);
	nvtcp_ctrlr_opts_init(&o);
	snprintf(o.host.hostnqn, sizeof(o.host.hostnqn),
		 "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555");
	memset(o.host.hostid, 0x11, sizeof(o.host.hostid));
	o.num_io_queues = 1;
	o.admin_queue_size = 32;
	o.hdgst = (data[0] & 1) != 0;
	o.ddgst = (data[0] & 2) != 0;
	nvtcp_trid_init(&t);
	snprintf(t.traddr, sizeof(t.traddr), "127.0.0.1");
	snprintf(t.subnqn, sizeof(t.subnqn), "nqn.2024-01.io.test:fake");

	/* Bring-up against the well-behaved fake: bounded, must succeed. */
	CHECK(nvtcp_ctrlr_attach_async(&t, &o, &c) == 0);
	for (int i = 0; (rc = nvtcp_ctrlr_attach_poll(c)) == -EAGAIN; i++) {
		CHECK(i < 20000);
		fake_ctrlr_poll(fc);
	}
	CHECK(rc == 0);
	nvtcp_ctrlr_get_default_io_qpair_opts(c, &qo);
	qo.io_queue_size = 8;
	qo.io_queue_requests = 16;
	qp = nvtcp_ctrlr_alloc_io_qpair(c, &qo, &rc);
	CHECK(qp != NULL);
	io = fake_ctrlr_conn(fc, fake_ctrlr_num_conns(fc) - 1);
	CHECK(io != NULL && fake_conn_qid(io) == nvtcp_qpair_get_id(qp));
	fake_conn_set_manual(io, true);
	ns = nvtcp_ctrlr_get_ns(c, nvtcp_ctrlr_get_first_active_ns(c));
	CHECK(ns != NULL);

	memset(g_slots, 0, sizeof(g_slots));
	for (int i = 0; i < NCMDS; i++) {
		struct slot *s = &g_slots[i];
		uint32_t len = g_cmds[i].blocks * 512;

		if (len == 0) {
			rc = nvtcp_ns_cmd_flush(ns, qp, done, s);
		} else {
			s->buf = malloc(len);
			CHECK(s->buf != NULL);
			memset(s->buf, 0x5A, len);
			rc = g_cmds[i].write ?
			     nvtcp_ns_cmd_write(ns, qp, s->buf, 0, g_cmds[i].blocks, done, s, 0) :
			     nvtcp_ns_cmd_read(ns, qp, s->buf, 0, g_cmds[i].blocks, done, s, 0);
		}
		CHECK(rc == 0);
	}
	/* Let the host send them; learn the CIDs it chose (in submission order). */
	rounds(fc, c, qp, 4);
	for (int i = 0; i < NCMDS; i++) {
		struct fake_cmd_record rec;
		static uint8_t icd[65536];

		if (!fake_conn_pop_cmd(io, &rec, icd, sizeof(icd))) {
			break;
		}
		g_slots[i].cid = rec.cmd.cid;
		g_slots[i].sent = true;
	}
	if (seed_dir != NULL) {
		CHECK(g_slots[NCMDS - 1].sent);
		make_seeds(seed_dir, data, fake_conn_params(io));
	}

	/* The controller's side of the I/O connection: whatever the input says. */
	if (data[1] != 0) {
		/* One read per poll: at least 1/256 of the input per read keeps runs short. */
		fake_sock_set_rx_chunk(fake_conn_sock(io), NVTCP_MAX((size_t)data[1], size / 256));
	}
	fake_sock_push_rx(fake_conn_sock(io), data + 2, size - 2);
	/* Until the host has read everything (or stopped reading: a failed queue pair), then
	 * a few more rounds for what follows. */
	for (int i = 0; i < 4096 && fake_sock_rx_pending(fake_conn_sock(io)) > 0; i++) {
		size_t before = fake_sock_rx_pending(fake_conn_sock(io));

		rounds(fc, c, qp, 1);
		if (fake_sock_rx_pending(fake_conn_sock(io)) == before && i > 64) {
			break;
		}
	}
	rounds(fc, c, qp, MAX_ROUNDS);
	for (int i = 0; i < NCMDS; i++) {
		g_slots[i].before_teardown = g_slots[i].completions > 0;
	}

	/* Teardown completes whatever is left: each command exactly once. */
	(void)nvtcp_ctrlr_free_io_qpair(qp);
	(void)nvtcp_ctrlr_detach(c);
	for (int i = 0; i < NCMDS; i++) {
		if (getenv("FUZZ_HOST_RX_VERBOSE") != NULL) {
			fprintf(stderr, "host_rx: command %d (cid %u): %s, status 0x%04x\n", i,
				g_slots[i].cid, g_slots[i].before_teardown ? "completed" :
				"failed at teardown", g_slots[i].status);
		}
		CHECK(g_slots[i].completions == 1);
		free(g_slots[i].buf);
	}
	fake_ctrlr_destroy(fc);
	return 0;
}
