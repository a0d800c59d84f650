/*
 * libFuzzer harness: the target's connection code (lib/target), fed by a host that says
 * anything, over a fake socket (test/common/fake_sock.c).
 *
 * One target lives for the whole run (environment, one reactor, one subsystem with a 1 MiB RAM
 * namespace); each input is a new connection, as on a real listener:
 *   - admin mode (flags bit 0 clear): the input is the whole host stream from the first byte
 *     (ICReq, Connect, commands...);
 *   - I/O mode (bit 0 set): the harness first brings a controller up on an admin connection
 *     and connects I/O queue 1 on a second one (with header/data digests from bits 1 and 2),
 *     then the input is what the host sends on that I/O queue (commands, H2CData...).
 * The stream arrives in reads of byte 1 bytes (0: all at once; at least 1/256 of the input), all
 * at once or (bit 3) one PDU
 * at a time with the target answering in between; the reactor runs until idle; the
 * connections close; the reactor runs again.
 *
 * Checked beyond memory safety: everything the target sent parses as NVMe/TCP (a target never
 * sends a malformed PDU, whatever it receives), and no connection outlives its socket.
 *
 * Seeds: FUZZ_TARGET_RX_SEEDS=<dir> writes valid streams of both modes into <dir> (the I/O
 * one is recorded from a live exchange, so that it carries the TTAGs the target chose).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_sock.h"
#include "fuzz_common.h"
#include "nvtcp/env.h"
#include "nvtcp/reactor.h"
#include "nvtcp/target.h"
#include "nvtcp/tcp_pdu.h"
#include "target/target_internal.h"
#include "ut_env.h"

#define NQN "nqn.2024-01.io.nvtcp:fuzz"
#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:8c1c3a4e-7f31-4b7a-9e62-1c3d5f7a9b21"

static struct nvtcp_reactor *g_reactor;
static struct nvtcp_tgt *g_tgt;
static int g_start_status = 1;

struct conn {
	struct fake_sock *fake;
	struct tgt_conn *conn;
	struct nvtcp_tcp_params params; /* host side, as negotiated */
	uint16_t cid;
	/* Recording of what the harness sent (seed mode). */
	uint8_t *rec;
	size_t rec_len;
};

static void
poll_idle(void)
{
	int idle = 0, i;

	for (i = 0; i < 200000 && idle < 8; i++) {
		idle = nvtcp_reactor_poll(g_reactor) == 0 ? idle + 1 : 0;
	}
	if (i >= 1000 && getenv("FUZZ_TARGET_RX_SLOW") != NULL) {
		fprintf(stderr, "target_rx: %d reactor iterations before idle; conns %u ctrlrs %u\n",
			i, atomic_load(&g_tgt->nconns), atomic_load(&g_tgt->nctrlrs));
	}
}

static void
started(void *arg, int status)
{
	(void)arg;
	g_start_status = status;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct nvtcp_tgt_opts o;
	struct nvtcp_tgt_ns_opts nso;
	char err[256];

	(void)argc;
	(void)argv;
	if (getenv("FUZZ_TARGET_RX_VERBOSE") == NULL) {
		nvtcp_log_set_callback(fuzz_log_discard);
	}
	CHECK(ut_env_init("fuzz_target_rx", NULL) == 0);
	g_reactor = nvtcp_reactor_create(NULL);
	CHECK(g_reactor != NULL);
	nvtcp_tgt_opts_init(&o);
	o.buf_count = 64;
	o.reactors = &g_reactor;
	o.num_reactors = 1;
	g_tgt = nvtcp_tgt_create(&o, err, sizeof(err));
	CHECK(g_tgt != NULL);
	CHECK(nvtcp_tgt_add_subsys(g_tgt, NQN, NULL, err, sizeof(err)) == 0);
	nvtcp_tgt_ns_opts_init(&nso);
	nso.size = 1 << 20;
	nso.block_size = 512;
	CHECK(nvtcp_tgt_add_ns(g_tgt, NQN, &nso, NULL, err, sizeof(err)) == 0);
	nvtcp_tgt_start(g_tgt, started, NULL);
	poll_idle();
	CHECK(g_start_status == 0);
	return 0;
}

/* ---- A host on a fake socket ---------------------------------------------------------------- */

static void
conn_open(struct conn *u)
{
	struct tgt_pg *pg = &g_tgt->pgs[0];
	struct nvtcp_sock *sock;

	memset(u, 0, sizeof(*u));
	nvtcp_tcp_params_init(&u->params);
	u->cid = 1;
	sock = fake_sock_create(&u->fake);
	CHECK(sock != NULL);
	/* As the accept path does: the limits admit it (counting it in tgt->nconns), then the
	 * pg adopts it. */
	struct tgt_lease *lease = tgt_limits_admit(g_tgt, "127.0.0.1", 50000, "fuzz");

	CHECK(lease != NULL);
	__atomic_fetch_add(&pg->nconns, 1, __ATOMIC_RELAXED);
	u->conn = tgt_conn_create(pg, sock, lease);
	CHECK(u->conn != NULL);
}

static void
conn_close(struct conn *u)
{
	if (!fake_sock_is_closed(u->fake)) {
		fake_sock_rx_close(u->fake);
		poll_idle();
	}
	/* The target closes a connection whose peer went away. */
	CHECK(fake_sock_is_closed(u->fake));
	fake_sock_destroy(&u->fake);
	free(u->rec);
}

static void
push(struct conn *u, const void *p, size_t n)
{
	fake_sock_push_rx(u->fake, p, n);
	if (u->rec != NULL) {
		memcpy(u->rec + u->rec_len, p, n);
		u->rec_len += n;
	}
}

static void
send_pdu(struct conn *u, struct nvtcp_tcp_tx_pdu *pdu, const void *data, uint32_t len)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};

	CHECK(nvtcp_tcp_pdu_finish(pdu, &u->params, len ? &iov : NULL, len ? 1 : 0) == 0);
	for (int i = 0; i < pdu->iovcnt; i++) {
		push(u, pdu->iov[i].iov_base, pdu->iov[i].iov_len);
	}
}

/* Take the next PDU the target sent (the harness's own exchanges: no digests to check). */
static int
recv_pdu(struct conn *u, union nvtcp_tcp_pdu_hdr *hdr)
{
	const uint8_t *p;
	struct nvtcp_tcp_ch ch;
	size_t len;

	p = fake_sock_tx_data(u->fake, &len);
	if (len < sizeof(ch)) {
		return -1;
	}
	memcpy(&ch, p, sizeof(ch));
	if (len < ch.plen) {
		return -1;
	}
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr, p, NVTCP_MIN(ch.hlen, (uint8_t)sizeof(*hdr)));
	fake_sock_tx_consume(u->fake, ch.plen);
	return ch.pdu_type;
}

static void
icreq(struct conn *u, bool hd, bool dd)
{
	struct nvtcp_tcp_icreq req;
	struct nvtcp_tcp_ic_opts o;
	struct nvtcp_tcp_error err;
	union nvtcp_tcp_pdu_hdr h;

	nvtcp_tcp_ic_opts_init(&o);
	o.hdgst = hd;
	o.ddgst = dd;
	CHECK(nvtcp_tcp_icreq_build(&req, &o) == 0);
	push(u, &req, sizeof(req));
	poll_idle();
	CHECK(recv_pdu(u, &h) == NVTCP_TCP_PDU_IC_RESP);
	CHECK(nvtcp_tcp_icresp_accept(&h.icresp, &o, &u->params, &err) == 0);
}

/* Send a command (with in-capsule data) and wait for its CapsuleResp. */
static int
exec(struct conn *u, struct nvtcp_nvme_cmd *cmd, const void *data, uint32_t len,
     struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_tcp_tx_pdu pdu;
	union nvtcp_tcp_pdu_hdr h;
	int type;

	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
	cmd->cid = u->cid++;
	cmd->flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	if (len > 0) {
		nvtcp_nvme_sgl_set_incapsule(&cmd->dptr.sgl1, 0, len);
	}
	pdu.hdr.cmd.ccsqe = *cmd;
	send_pdu(u, &pdu, data, len);
	poll_idle();
	while ((type = recv_pdu(u, &h)) >= 0) {
		if (type == NVTCP_TCP_PDU_CAPSULE_RESP && h.rsp.rccqe.cid == cmd->cid) {
			*cpl = h.rsp.rccqe;
			return 0;
		}
	}
	return -1;
}

static uint16_t
connect(struct conn *u, uint16_t qid, uint16_t cntlid)
{
	struct nvtcp_nvmf_connect_cmd cc;
	struct nvtcp_nvmf_connect_data d;
	struct nvtcp_nvme_cpl cpl;

	memset(&cc, 0, sizeof(cc));
	memset(&d, 0, sizeof(d));
	cc.opc = NVTCP_NVME_OPC_FABRICS;
	cc.fctype = NVTCP_NVMF_FCTYPE_CONNECT;
	cc.qid = qid;
	cc.sqsize = 31;
	cc.kato = qid == 0 ? 60000 : 0;
	d.cntlid = cntlid;
	memset(d.hostid, 0x8c, sizeof(d.hostid));
	snprintf(d.subnqn, sizeof(d.subnqn), "%s", NQN);
	snprintf(d.hostnqn, sizeof(d.hostnqn), "%s", HOSTNQN);
	CHECK(exec(u, (struct nvtcp_nvme_cmd *)&cc, &d, sizeof(d), &cpl) == 0);
	CHECK(!nvtcp_nvme_cpl_is_error(&cpl));
	return (uint16_t)cpl.cdw0;
}

static void
prop_set_cc(struct conn *u)
{
	struct nvtcp_nvmf_prop_set_cmd ps;
	struct nvtcp_nvme_cpl cpl;

	memset(&ps, 0, sizeof(ps));
	ps.opc = NVTCP_NVME_OPC_FABRICS;
	ps.fctype = NVTCP_NVMF_FCTYPE_PROPERTY_SET;
	ps.ofst = NVTCP_NVME_PROP_CC;
	ps.value = 0x00460001; /* EN, IOSQES 6, IOCQES 4 */
	CHECK(exec(u, (struct nvtcp_nvme_cmd *)&ps, NULL, 0, &cpl) == 0);
	CHECK(!nvtcp_nvme_cpl_is_error(&cpl));
}

/* ---- What the target sent must parse ---------------------------------------------------- */

struct parse {
	struct nvtcp_tcp_rx rx;
	uint32_t hpda;
	bool ic_done;
};

static int
p_header(void *ctx, struct nvtcp_tcp_rx *rx)
{
	struct parse *p = ctx;
	const union nvtcp_tcp_pdu_hdr *h = nvtcp_tcp_rx_hdr(rx);
	uint8_t type = nvtcp_tcp_rx_pdu_type(rx);

	if (type == NVTCP_TCP_PDU_C2H_TERM_REQ) {
		return NVTCP_TCP_RX_STOP;
	}
	if (type == NVTCP_TCP_PDU_IC_RESP) {
		struct nvtcp_tcp_params prm;
		struct nvtcp_tcp_error err;

		/* The target's ICResp is valid and answers once. */
		CHECK(!p->ic_done);
		CHECK(nvtcp_tcp_icresp_check(&h->icresp, &err) == 0);
		nvtcp_tcp_params_init(&prm);
		prm.hdgst = (h->icresp.dgst & NVTCP_TCP_IC_DGST_HDGST) != 0;
		prm.ddgst = (h->icresp.dgst & NVTCP_TCP_IC_DGST_DDGST) != 0;
		prm.rx_pda = nvtcp_tcp_pda_to_align((uint8_t)p->hpda);
		prm.tx_pda = nvtcp_tcp_pda_to_align(h->icresp.cpda);
		prm.maxh2cdata = h->icresp.maxh2cdata;
		CHECK(nvtcp_tcp_rx_set_params(rx, &prm) == 0);
		p->ic_done = true;
		return 0;
	}
	if (nvtcp_tcp_rx_data_len(rx) > 0) {
		CHECK(nvtcp_tcp_rx_discard_payload(rx) == 0);
	}
	return 0;
}

static int
p_payload(void *ctx, struct nvtcp_tcp_rx *rx, bool ddgst_ok)
{
	(void)ctx;
	(void)rx;
	/* A data digest the target computed must be right. */
	CHECK(ddgst_ok);
	return 0;
}

static void
check_output(struct conn *u, bool ic_in_stream, uint32_t hpda)
{
	static struct parse p;
	struct nvtcp_tcp_rx_opts ro;
	struct nvtcp_sock_rxbuf rb;
	const uint8_t *out;
	size_t len;
	int rc;

	memset(&p, 0, sizeof(p));
	p.hpda = hpda;
	p.ic_done = !ic_in_stream;
	nvtcp_tcp_rx_opts_init(&ro);
	ro.role = NVTCP_TCP_ROLE_HOST;
	ro.max_data_len = 64u << 20;
	ro.header_cb = p_header;
	ro.payload_cb = p_payload;
	ro.cb_ctx = &p;
	CHECK(nvtcp_tcp_rx_init(&p.rx, &ro) == 0);
	if (!ic_in_stream) {
		struct nvtcp_tcp_params prm = u->params;

		/* The host's view: what it receives is aligned to its own HPDA (0). */
		prm.rx_pda = 4;
		CHECK(nvtcp_tcp_rx_set_params(&p.rx, &prm) == 0);
	}
	out = fake_sock_tx_data(u->fake, &len);
	rb.buf = (uint8_t *)out;
	rb.size = len;
	rb.head = 0;
	rb.tail = len;
	rc = nvtcp_tcp_rx_process(&p.rx, &rb);
	/* Never a framing error: a target that sends one is broken, whatever it received. */
	CHECK(rc == 0 || rc == NVTCP_TCP_RX_STOP);
}

/* ---- Seeds ---------------------------------------------------------------------------------- */

static void
write_seed(const char *dir, const char *name, uint8_t flags, const uint8_t *p, size_t n)
{
	char path[512];
	/* Replayed in 64-byte reads: a host stream recorded from an exchange must not reach the
	 * target faster than the target answered (data before its R2T, commands before the
	 * Connect completed), or it is not the same conversation. */
	uint8_t cfg[2] = {flags, 64};
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(cfg, 1, 2, f) == 2 && fwrite(p, 1, n, f) == n && fclose(f) == 0);
}

/* Admin mode: a full bring-up and a few admin commands, as one host stream. */
static void
seed_admin(const char *dir)
{
	struct conn u;
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_nvme_cpl cpl;

	conn_open(&u);
	u.rec = malloc(1 << 20);
	CHECK(u.rec != NULL);
	icreq(&u, false, false);
	(void)connect(&u, 0, 0xFFFF);
	prop_set_cc(&u);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.cdw10 = NVTCP_NVME_IDENTIFY_CTRLR;
	nvtcp_nvme_sgl_set_transport(&cmd.dptr.sgl1, 4096);
	CHECK(exec(&u, &cmd, NULL, 0, &cpl) == 0);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_SET_FEATURES;
	cmd.cdw10 = NVTCP_NVME_FEAT_NUMBER_OF_QUEUES;
	cmd.cdw11 = nvtcp_nvme_feat_num_queues(2, 2);
	CHECK(exec(&u, &cmd, NULL, 0, &cpl) == 0);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_GET_LOG_PAGE;
	nvtcp_nvme_get_log_page_set(&cmd, NVTCP_NVME_LOG_ERROR, false, 256, 0);
	nvtcp_nvme_sgl_set_transport(&cmd.dptr.sgl1, 256);
	CHECK(exec(&u, &cmd, NULL, 0, &cpl) == 0);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_KEEP_ALIVE;
	CHECK(exec(&u, &cmd, NULL, 0, &cpl) == 0);
	write_seed(dir, "admin", 8, u.rec, u.rec_len);
	conn_close(&u);
}

/* ---- The run -------------------------------------------------------------------------------- */

static void
io_setup(struct conn *a, struct conn *io, bool hd, bool dd)
{
	uint16_t cntlid;

	conn_open(a);
	icreq(a, false, false);
	cntlid = connect(a, 0, 0xFFFF);
	prop_set_cc(a);
	conn_open(io);
	icreq(io, hd, dd);
	(void)connect(io, 1, cntlid);
	fake_sock_tx_consume(io->fake, SIZE_MAX);
}

/* I/O mode seed: a read, an in-capsule write, a write by R2T answered with H2CData. */
static void
seed_io(const char *dir, uint8_t flags)
{
	struct conn a, io;
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_nvme_cpl cpl;
	struct nvtcp_tcp_tx_pdu pdu;
	union nvtcp_tcp_pdu_hdr h;
	static uint8_t buf[20480];
	char name[32];
	int type;

	io_setup(&a, &io, flags & 2, flags & 4);
	io.rec = malloc(1 << 20);
	CHECK(io.rec != NULL);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_WRITE;
	cmd.nsid = 1;
	cmd.cdw12 = 7; /* 8 blocks */
	CHECK(exec(&io, &cmd, buf, 4096, &cpl) == 0);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_READ;
	cmd.nsid = 1;
	cmd.cdw12 = 7;
	nvtcp_nvme_sgl_set_transport(&cmd.dptr.sgl1, 4096);
	CHECK(exec(&io, &cmd, NULL, 0, &cpl) == 0);
	/* A write above the in-capsule size: R2T, then H2CData with the target's TTAG. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_WRITE;
	cmd.nsid = 1;
	cmd.cid = io.cid++;
	cmd.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	cmd.cdw12 = 39; /* 20 KiB: above the target's 16 KiB in-capsule default */
	nvtcp_nvme_sgl_set_transport(&cmd.dptr.sgl1, 20480);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
	pdu.hdr.cmd.ccsqe = cmd;
	send_pdu(&io, &pdu, NULL, 0);
	poll_idle();
	while ((type = recv_pdu(&io, &h)) == NVTCP_TCP_PDU_R2T) {
		uint32_t off = h.r2t.r2to, left = h.r2t.r2tl;

		while (left > 0) {
			uint32_t n = NVTCP_MIN(left, io.params.maxh2cdata);

			nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_H2C_DATA);
			pdu.hdr.h2c_data.cccid = cmd.cid;
			pdu.hdr.h2c_data.ttag = h.r2t.ttag;
			pdu.hdr.h2c_data.datao = off;
			if (n == left) {
				pdu.hdr.ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
			}
			send_pdu(&io, &pdu, buf + off, n);
			off += n;
			left -= n;
		}
		poll_idle();
	}
	CHECK(type == NVTCP_TCP_PDU_CAPSULE_RESP);
	snprintf(name, sizeof(name), "io_%s%s", (flags & 2) ? "h" : "", (flags & 4) ? "d" : "");
	write_seed(dir, name, flags | 8, io.rec, io.rec_len);
	conn_close(&io);
	conn_close(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *seeds = getenv("FUZZ_TARGET_RX_SEEDS");
	struct conn a, u;
	bool io_mode;
	uint32_t hpda = 0;

	if (seeds != NULL) {
		seed_admin(seeds);
		for (uint8_t f = 1; f < 8; f += 2) {
			seed_io(seeds, f);
		}
		return 0;
	}
	if (size < 2) {
		return 0;
	}
	io_mode = data[0] & 1;
	if (io_mode) {
		io_setup(&a, &u, data[0] & 2, data[0] & 4);
	} else {
		conn_open(&u);
		/* The HPDA the target will align its data to, if the stream starts with an ICReq. */
		if (size >= 2 + sizeof(struct nvtcp_tcp_icreq) && data[2] == NVTCP_TCP_PDU_IC_REQ) {
			hpda = data[2 + offsetof(struct nvtcp_tcp_icreq, hpda)];
		}
	}
	if (data[1] != 0) {
		/* The target reads once per poll: keep big inputs to a few hundred reads, so that
		 * a run stays fast on a loaded machine (lib/tcp's own harness covers reads of
		 * every size, down to one byte). */
		fake_sock_set_rx_chunk(u.fake, NVTCP_MAX((size_t)data[1], size / 256));
	}
	if (data[0] & 8) {
		/* Paced: one PDU (as its plen says) at a time, the target answering in between,
		 * like a host that waits for each response. */
		size_t pos = 2;

		while (pos < size) {
			uint32_t plen = 8;
			size_t n;

			if (size - pos >= 8) {
				memcpy(&plen, data + pos + 4, sizeof(plen));
			}
			n = NVTCP_MIN((size_t)NVTCP_MAX(plen, 8u), size - pos);
			fake_sock_push_rx(u.fake, data + pos, n);
			poll_idle();
			pos += n;
		}
	} else {
		fake_sock_push_rx(u.fake, data + 2, size - 2);
		poll_idle();
	}
	check_output(&u, !io_mode, hpda);
	conn_close(&u);
	if (io_mode) {
		conn_close(&a);
	}
	poll_idle();
	/* Every connection is gone with its socket. */
	CHECK(atomic_load(&g_tgt->nconns) == 0);
	return 0;
}
