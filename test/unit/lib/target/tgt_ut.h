/*
 * Harness of the target's unit tests: one environment and one reactor on the test's thread,
 * a target whose only data reactor is that one, connections on fake sockets, and helpers that
 * build host PDUs and parse what the target sent.
 *
 * Everything runs on one thread: ut_poll() turns the reactor (messages, the pg poller) until
 * nothing is left to do.
 */
#ifndef TGT_UT_H
#define TGT_UT_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvtcp/crc32c.h"
#include "nvtcp/env.h"
#include "nvtcp/log.h"
#include "nvtcp/reactor.h"
#include "nvtcp/target.h"
#include "nvtcp/tcp_pdu.h"
#include "nvtcp/util.h"

#include "fake_sock.h"
#include "target/target_internal.h"
#include "ut.h"
#include "ut_env.h"

#define UT_UNUSED __attribute__((unused))
#define UT_NQN "nqn.2024-01.io.nvtcp:ut"
#define UT_HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:8c1c3a4e-7f31-4b7a-9e62-1c3d5f7a9b21"

static struct nvtcp_reactor *g_ut_reactor;
static struct nvtcp_tgt *g_ut_tgt;
static const uint8_t g_ut_hostid[16] = {0x8c, 0x1c, 0x3a, 0x4e, 0x7f, 0x31, 0x4b, 0x7a,
					0x9e, 0x62, 0x1c, 0x3d, 0x5f, 0x7a, 0x9b, 0x21};

/* Turn the reactor until \p n consecutive idle iterations. */
static UT_UNUSED void
ut_poll(void)
{
	int idle = 0;

	for (int i = 0; i < 100000 && idle < 8; i++) {
		idle = nvtcp_reactor_poll(g_ut_reactor) == 0 ? idle + 1 : 0;
	}
}

/* Turn the reactor for \p ms of wall time (timed pollers). */
static UT_UNUSED void
ut_poll_ms(uint32_t ms)
{
	uint64_t end = nvtcp_env_get_ticks() + nvtcp_env_get_ticks_hz() * ms / 1000;

	while (nvtcp_env_get_ticks() < end) {
		nvtcp_reactor_poll(g_ut_reactor);
	}
}

static UT_UNUSED int
ut_env_setup(const char *name)
{
	if (ut_env_init(name, NULL) != 0) {
		return -1;
	}
	/* Expected failures log errors; set NVTCP_LOG_LEVEL for more. */
	if (getenv("NVTCP_LOG_LEVEL") == NULL) {
		nvtcp_log_set_level(NVTCP_LOG_WARN);
	}
	g_ut_reactor = nvtcp_reactor_create(NULL);
	return g_ut_reactor != NULL ? 0 : -1;
}

static UT_UNUSED void
ut_env_teardown(void)
{
	nvtcp_reactor_destroy(g_ut_reactor);
	g_ut_reactor = NULL;
	ut_env_fini();
}

static int g_ut_start_status = 1;

static UT_UNUSED void
ut_started(void *arg, int status)
{
	g_ut_start_status = status;
}

static bool g_ut_destroyed;

static UT_UNUSED void
ut_destroyed(void *arg)
{
	g_ut_destroyed = true;
}

/* A started target with one subsystem (UT_NQN) and a malloc namespace of \p ns_bytes. */
static UT_UNUSED struct nvtcp_tgt *
ut_tgt_create(struct nvtcp_tgt_opts *opts, uint64_t ns_bytes, uint32_t block_size)
{
	struct nvtcp_tgt_opts o;
	struct nvtcp_tgt_ns_opts nso;
	char err[256];

	if (opts == NULL) {
		nvtcp_tgt_opts_init(&o);
		o.buf_count = 64;
		opts = &o;
	}
	opts->reactors = &g_ut_reactor;
	opts->num_reactors = 1;
	g_ut_tgt = nvtcp_tgt_create(opts, err, sizeof(err));
	if (g_ut_tgt == NULL) {
		fprintf(stderr, "ut: nvtcp_tgt_create: %s\n", err);
		return NULL;
	}
	if (nvtcp_tgt_add_subsys(g_ut_tgt, UT_NQN, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "ut: add_subsys: %s\n", err);
		return NULL;
	}
	if (ns_bytes > 0) {
		nvtcp_tgt_ns_opts_init(&nso);
		nso.size = ns_bytes;
		nso.block_size = block_size;
		if (nvtcp_tgt_add_ns(g_ut_tgt, UT_NQN, &nso, NULL, err, sizeof(err)) != 0) {
			fprintf(stderr, "ut: add_ns: %s\n", err);
			return NULL;
		}
	}
	g_ut_start_status = 1;
	nvtcp_tgt_start(g_ut_tgt, ut_started, NULL);
	ut_poll();
	return g_ut_start_status == 0 ? g_ut_tgt : NULL;
}

static UT_UNUSED void
ut_tgt_destroy(void)
{
	g_ut_destroyed = false;
	nvtcp_tgt_destroy(g_ut_tgt, ut_destroyed, NULL);
	for (int i = 0; i < 1000 && !g_ut_destroyed; i++) {
		ut_poll_ms(2);
	}
	g_ut_tgt = NULL;
}

/* ---- Connections on fake sockets ----------------------------------------------------------- */

struct ut_conn {
	struct fake_sock *fake;
	struct tgt_conn *conn;
	struct nvtcp_tcp_params params;
	uint16_t cid;
	uint16_t cntlid;
	/* Last PDU parsed by ut_recv(). */
	uint8_t hdr[256];
	uint8_t *data;
	uint32_t data_len;
	bool ddgst_ok;
};

/* As the accept path does: admit \p addr (limits), then create the connection on \p pg. */
static UT_UNUSED int
ut_conn_adopt(struct ut_conn *u, struct tgt_pg *pg, struct nvtcp_sock *sock, const char *addr)
{
	struct tgt_lease *lease = tgt_limits_admit(g_ut_tgt, addr, 50000, "ut");

	if (lease == NULL) {
		nvtcp_sock_close(&sock);
		return -1;
	}
	__atomic_fetch_add(&pg->nconns, 1, __ATOMIC_RELAXED);
	u->conn = tgt_conn_create(pg, sock, lease);
	return u->conn != NULL ? 0 : -1;
}

static UT_UNUSED int
ut_conn_open(struct ut_conn *u)
{
	struct nvtcp_sock *sock;
	struct tgt_pg *pg = &g_ut_tgt->pgs[0];

	memset(u, 0, sizeof(*u));
	nvtcp_tcp_params_init(&u->params);
	u->cid = 1;
	sock = fake_sock_create(&u->fake);
	if (sock == NULL) {
		return -1;
	}
	return ut_conn_adopt(u, pg, sock, "127.0.0.1");
}

static UT_UNUSED void
ut_conn_close(struct ut_conn *u)
{
	if (u->fake != NULL && !fake_sock_is_closed(u->fake)) {
		fake_sock_rx_close(u->fake);
		ut_poll();
	}
	fake_sock_destroy(&u->fake);
	free(u->data);
	u->data = NULL;
}

static UT_UNUSED void
ut_send(struct ut_conn *u, const void *buf, size_t len)
{
	fake_sock_push_rx(u->fake, buf, len);
}

/* Finish and push a PDU built by the caller (header fields set). */
static UT_UNUSED void
ut_send_pdu(struct ut_conn *u, struct nvtcp_tcp_tx_pdu *pdu, const void *data, uint32_t len)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};

	CU_ASSERT_FATAL(nvtcp_tcp_pdu_finish(pdu, &u->params, len ? &iov : NULL, len ? 1 : 0) == 0);
	for (int i = 0; i < pdu->iovcnt; i++) {
		ut_send(u, pdu->iov[i].iov_base, pdu->iov[i].iov_len);
	}
}

/*
 * Take the next PDU the target sent: header in u->hdr (hlen bytes, digest checked), data in
 * u->data (checked against its digest: u->ddgst_ok). Returns the type, or -1 when none.
 */
static UT_UNUSED int
ut_recv(struct ut_conn *u)
{
	const uint8_t *p;
	size_t len;
	struct nvtcp_tcp_ch ch;
	uint32_t hd, dd;

	p = fake_sock_tx_data(u->fake, &len);
	if (len < sizeof(ch)) {
		return -1;
	}
	memcpy(&ch, p, sizeof(ch));
	if (len < ch.plen || ch.plen > sizeof(u->hdr) + (64u << 20)) {
		return -1;
	}
	memset(u->hdr, 0, sizeof(u->hdr));
	memcpy(u->hdr, p, NVTCP_MIN(ch.plen, (uint32_t)sizeof(u->hdr)));
	hd = (ch.flags & NVTCP_TCP_FLAG_HDGSTF) ? 4 : 0;
	if (hd) {
		uint32_t got;

		memcpy(&got, p + ch.hlen, 4);
		CU_ASSERT(got == nvtcp_crc32c(p, ch.hlen));
	}
	free(u->data);
	u->data = NULL;
	u->data_len = 0;
	u->ddgst_ok = true;
	if (ch.pdo != 0 && ch.plen > ch.pdo) {
		dd = (ch.flags & NVTCP_TCP_FLAG_DDGSTF) ? 4 : 0;
		u->data_len = ch.plen - ch.pdo - dd;
		u->data = malloc(u->data_len + 1);
		memcpy(u->data, p + ch.pdo, u->data_len);
		if (dd) {
			uint32_t got, crc = nvtcp_crc32c(u->data, u->data_len);

			memcpy(&got, p + ch.pdo + u->data_len, 4);
			u->ddgst_ok = got == crc;
		}
	}
	fake_sock_tx_consume(u->fake, ch.plen);
	return ch.pdu_type;
}

static UT_UNUSED const union nvtcp_tcp_pdu_hdr *
ut_hdr(const struct ut_conn *u)
{
	return (const void *)u->hdr;
}

/* ICReq, then ICResp parsed; the connection parameters follow the answer. */
static UT_UNUSED void
ut_icreq(struct ut_conn *u, bool hdgst, bool ddgst, uint32_t maxr2t)
{
	struct nvtcp_tcp_ic_opts o;
	struct nvtcp_tcp_icreq req;
	struct nvtcp_tcp_error err;

	nvtcp_tcp_ic_opts_init(&o);
	o.hdgst = hdgst;
	o.ddgst = ddgst;
	o.maxr2t = maxr2t;
	nvtcp_tcp_icreq_build(&req, &o);
	ut_send(u, &req, sizeof(req));
	ut_poll();
	CU_ASSERT_FATAL(ut_recv(u) == NVTCP_TCP_PDU_IC_RESP);
	CU_ASSERT_FATAL(nvtcp_tcp_icresp_accept(&ut_hdr(u)->icresp, &o, &u->params, &err) == 0);
}

/* Send a command (SGL set by the caller or filled here) with optional in-capsule data. */
static UT_UNUSED uint16_t
ut_cmd(struct ut_conn *u, struct nvtcp_nvme_cmd *cmd, const void *icd, uint32_t icd_len,
       uint32_t xfer_len)
{
	struct nvtcp_tcp_tx_pdu *pdu = malloc(sizeof(*pdu));

	if (cmd->cid == 0) {
		cmd->cid = u->cid++;
	}
	cmd->flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	if (cmd->dptr.sgl1.id == 0 && cmd->dptr.sgl1.length == 0) {
		if (icd_len > 0) {
			nvtcp_nvme_sgl_set_incapsule(&cmd->dptr.sgl1, 0, icd_len);
		} else {
			nvtcp_nvme_sgl_set_transport(&cmd->dptr.sgl1, xfer_len);
		}
	}
	nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
	pdu->hdr.cmd.ccsqe = *cmd;
	ut_send_pdu(u, pdu, icd, icd_len);
	free(pdu);
	return cmd->cid;
}

/* Wait for the CapsuleResp of \p cid, collecting C2HData into \p data. Returns the status
 * word (without phase), or -1 when something else came (or nothing). */
static UT_UNUSED int
ut_wait(struct ut_conn *u, uint16_t cid, void *data, uint32_t len, struct nvtcp_nvme_cpl *cpl)
{
	ut_poll();
	for (;;) {
		int t = ut_recv(u);

		if (t == NVTCP_TCP_PDU_C2H_DATA) {
			const struct nvtcp_tcp_c2h_data *h = &ut_hdr(u)->c2h_data;

			CU_ASSERT(h->cccid == cid);
			CU_ASSERT(h->datao + h->datal <= len);
			CU_ASSERT(u->ddgst_ok);
			if (data != NULL && h->datao + h->datal <= len) {
				memcpy((uint8_t *)data + h->datao, u->data, h->datal);
			}
			if ((h->ch.flags & NVTCP_TCP_FLAG_SUCCESS)) {
				if (cpl != NULL) {
					memset(cpl, 0, sizeof(*cpl));
				}
				return 0;
			}
			continue;
		}
		if (t == NVTCP_TCP_PDU_CAPSULE_RESP) {
			const struct nvtcp_nvme_cpl *c = &ut_hdr(u)->rsp.rccqe;

			CU_ASSERT(c->cid == cid);
			if (cpl != NULL) {
				*cpl = *c;
			}
			return c->status & 0xFFFE;
		}
		return -1;
	}
}

static UT_UNUSED int
ut_exec(struct ut_conn *u, struct nvtcp_nvme_cmd *cmd, const void *icd, uint32_t icd_len,
	void *data, uint32_t len, struct nvtcp_nvme_cpl *cpl)
{
	uint16_t cid = ut_cmd(u, cmd, icd, icd_len, icd_len ? icd_len : len);

	return ut_wait(u, cid, data, len, cpl);
}

static UT_UNUSED int
ut_connect(struct ut_conn *u, uint16_t qid, uint16_t sqsize, const char *subnqn,
	   const char *hostnqn, uint16_t cntlid, uint32_t kato, struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_nvmf_connect_cmd cmd;
	struct nvtcp_nvmf_connect_data data;
	struct nvtcp_nvme_cpl c;
	int st;

	memset(&cmd, 0, sizeof(cmd));
	memset(&data, 0, sizeof(data));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.fctype = NVTCP_NVMF_FCTYPE_CONNECT;
	cmd.qid = qid;
	cmd.sqsize = sqsize;
	cmd.kato = kato;
	memcpy(data.hostid, g_ut_hostid, 16);
	data.cntlid = cntlid;
	snprintf(data.subnqn, sizeof(data.subnqn), "%s", subnqn);
	snprintf(data.hostnqn, sizeof(data.hostnqn), "%s", hostnqn);
	st = ut_exec(u, (void *)&cmd, &data, sizeof(data), NULL, 0, &c);
	if (st == 0) {
		u->cntlid = c.cdw0 & 0xFFFF;
	}
	if (cpl != NULL) {
		*cpl = c;
	}
	return st;
}

static UT_UNUSED int
ut_prop(struct ut_conn *u, bool set, uint32_t ofst, bool size8, uint64_t val, uint64_t *out)
{
	struct nvtcp_nvmf_prop_set_cmd cmd;
	struct nvtcp_nvme_cpl cpl;
	int st;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.fctype = set ? NVTCP_NVMF_FCTYPE_PROPERTY_SET : NVTCP_NVMF_FCTYPE_PROPERTY_GET;
	cmd.attrib = size8 ? NVTCP_NVMF_PROP_SIZE_8 : NVTCP_NVMF_PROP_SIZE_4;
	cmd.ofst = ofst;
	cmd.value = val;
	st = ut_exec(u, (void *)&cmd, NULL, 0, NULL, 0, &cpl);
	if (out != NULL) {
		*out = cpl.cdw0 | ((uint64_t)cpl.cdw1 << 32);
	}
	return st;
}

/* A live admin queue: IC, Connect, CC.EN. */
static UT_UNUSED void
ut_admin_up(struct ut_conn *u, bool hdgst, bool ddgst)
{
	CU_ASSERT_FATAL(ut_conn_open(u) == 0);
	ut_icreq(u, hdgst, ddgst, 0);
	CU_ASSERT_FATAL(ut_connect(u, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	CU_ASSERT_FATAL(ut_prop(u, true, NVTCP_NVME_PROP_CC, false,
				nvtcp_nvme_cc_enable_value(0), NULL) == 0);
}

/* A live I/O queue of the admin queue's controller. */
static UT_UNUSED void
ut_io_up(struct ut_conn *u, const struct ut_conn *admin, uint16_t qid, bool hdgst, bool ddgst,
	 uint32_t maxr2t)
{
	CU_ASSERT_FATAL(ut_conn_open(u) == 0);
	ut_icreq(u, hdgst, ddgst, maxr2t);
	CU_ASSERT_FATAL(ut_connect(u, qid, 63, UT_NQN, UT_HOSTNQN, admin->cntlid, 0, NULL) == 0);
}

static UT_UNUSED void
ut_rw(struct nvtcp_nvme_cmd *cmd, uint8_t opc, uint64_t slba, uint32_t nlb)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opc = opc;
	cmd->nsid = 1;
	nvtcp_nvme_rw_set(cmd, slba, nlb, 0);
}

/* Expect a C2HTermReq with this FES and FEI, and the socket closed. */
static UT_UNUSED void
ut_expect_term(struct ut_conn *u, uint16_t fes, uint32_t fei)
{
	int t;

	ut_poll();
	while ((t = ut_recv(u)) != -1 && t != NVTCP_TCP_PDU_C2H_TERM_REQ) {
	}
	CU_ASSERT(t == NVTCP_TCP_PDU_C2H_TERM_REQ);
	if (t == NVTCP_TCP_PDU_C2H_TERM_REQ) {
		CU_ASSERT(ut_hdr(u)->term_req.fes == fes);
		CU_ASSERT(ut_hdr(u)->term_req.fei == fei);
		if (ut_hdr(u)->term_req.fes != fes || ut_hdr(u)->term_req.fei != fei) {
			fprintf(stderr, "  TermReq FES 0x%x FEI %u, expected 0x%x %u\n",
				ut_hdr(u)->term_req.fes, ut_hdr(u)->term_req.fei, fes, fei);
		}
	}
	CU_ASSERT(fake_sock_is_closed(u->fake));
}

#endif /* TGT_UT_H */
