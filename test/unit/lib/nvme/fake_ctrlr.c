/*
 * The scripted fake NVMe/TCP controller of the host driver's unit tests (see fake_ctrlr.h).
 * Framing goes through lib/tcp in the controller role, which also checks every PDU the host
 * sends (header fields, digests, MAXH2CDATA of H2CData).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ctrlr.h"
#include "nvme/nvme_internal.h"

#define FAKE_IO_SLOTS 1024
#define FAKE_MAX_RECORDS 65536
#define FAKE_MANUAL_MAX 256
#define FAKE_ICD_MAX (1024 * 1024 + 8192)
#define FAKE_RB_SIZE (256 * 1024)
#define FAKE_MAX_QID 64
#define FAKE_MAX_AERS 64
#define FAKE_R2T_RING 32

struct fake_io {
	bool active;
	struct nvtcp_nvme_cmd cmd;
	uint8_t *buf;
	uint32_t len;
	uint32_t rcvd;
	uint32_t requested;
	uint32_t r2t_out;
	uint32_t r2t_end[FAKE_R2T_RING];
	uint32_t r2t_head;
	uint16_t ttag_next;
};

struct fake_manual_cmd {
	struct fake_cmd_record rec;
	uint8_t *data;
};

struct fake_manual_h2c {
	struct fake_h2c_record rec;
	uint8_t *data;
};

struct fake_conn {
	struct fake_ctrlr *fc;
	struct nvtcp_sock_opts sock_opts; /* what the host asked the connect for */
	struct fake_sock *fs;
	struct nvtcp_tcp_rx rx;
	struct nvtcp_sock_rxbuf rb;
	struct nvtcp_tcp_params params;
	bool ic_done;
	uint16_t qid;
	bool manual;
	bool dead;
	struct nvtcp_nvme_cmd cur_cmd;
	uint8_t *icd;
	uint8_t *h2c_tmp;
	struct fake_io io[FAKE_IO_SLOTS];
	struct fake_manual_cmd mcmd[FAKE_MANUAL_MAX];
	uint32_t mcmd_head, mcmd_count;
	struct fake_manual_h2c mh2c[FAKE_MANUAL_MAX];
	uint32_t mh2c_head, mh2c_count;
	bool got_term;
	uint16_t term_fes;
	uint32_t term_fei;
	uint8_t term_hdr[128];
	uint32_t term_hdr_len;
	struct nvtcp_auth_ctrl *auth;   /* transaction in progress */
	char auth_hostnqn[257];
	char auth_subnqn[257];
};

struct fake_aer {
	struct fake_conn *conn;
	uint16_t cid;
};

struct fake_ctrlr {
	struct fake_ctrlr_cfg cfg;
	struct fake_conn *conns[FAKE_MAX_CONNS];
	int nconns;
	struct fake_cmd_record *recs;
	uint32_t nrecs;
	struct nvtcp_nvmf_connect_data connect_data[FAKE_MAX_QID];
	uint32_t cc;
	uint32_t csts;
	bool enable_pending;
	uint32_t rdy_countdown;
	bool *ns_inactive;
	uint8_t *ns_store[FAKE_BACKED_NS_MAX];
	struct fake_aer aers[FAKE_MAX_AERS];
	uint32_t naers;
	uint32_t changed_ns[NVTCP_NVME_CHANGED_NS_LIST_MAX];
	uint64_t *ns_blocks;       /* per NSID index: Identify NSZE override (0 = cfg) */
	uint8_t *ns_salt;          /* per NSID index: NGUID byte (0 = the NSID) */
	uint32_t naborts;
	uint32_t nassocs;
	uint32_t auth_ok;
	uint32_t auth_failed;
	uint32_t auth_seq;
};

/* ---- Clock and hooks ---------------------------------------------------------------------- */

static uint64_t g_ut_now = 1000000;
static struct fake_ctrlr *g_fc;

uint64_t
ut_clock_now(void)
{
	return g_ut_now;
}

void
ut_clock_advance_ms(uint64_t ms)
{
	g_ut_now += ms * 1000;
}

static void
fake_pause(void)
{
	if (g_fc != NULL) {
		fake_ctrlr_poll(g_fc);
	}
	/* Synchronous waits of the driver see time pass, so their deadlines are reached. */
	g_ut_now += 50;
}

static int conn_header(void *ctx, struct nvtcp_tcp_rx *rx);
static int conn_payload(void *ctx, struct nvtcp_tcp_rx *rx, bool ddgst_ok);

static struct nvtcp_sock *
fake_connect(const char *addr, const char *svc, const struct nvtcp_sock_opts *opts, int *rc)
{
	struct fake_ctrlr *fc = g_fc;
	struct nvtcp_tcp_rx_opts ro;
	struct fake_conn *c;
	struct nvtcp_sock *sock;

	if (fc == NULL || fc->cfg.refuse_connect || fc->nconns == FAKE_MAX_CONNS) {
		*rc = -ECONNREFUSED;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	c->fc = fc;
	c->sock_opts = *opts;
	c->icd = malloc(FAKE_ICD_MAX);
	c->h2c_tmp = malloc(FAKE_ICD_MAX);
	c->rb.buf = malloc(FAKE_RB_SIZE);
	c->rb.size = FAKE_RB_SIZE;
	sock = fake_sock_create(&c->fs);
	if (c->icd == NULL || c->h2c_tmp == NULL || c->rb.buf == NULL || sock == NULL) {
		abort();
	}
	nvtcp_tcp_rx_opts_init(&ro);
	ro.role = NVTCP_TCP_ROLE_CTRLR;
	ro.max_data_len = FAKE_ICD_MAX;
	ro.header_cb = conn_header;
	ro.payload_cb = conn_payload;
	ro.cb_ctx = c;
	ro.name = "fake-ctrlr";
	nvtcp_tcp_rx_init(&c->rx, &ro);
	nvtcp_tcp_params_init(&c->params);
	c->qid = UINT16_MAX;
	fc->conns[fc->nconns++] = c;
	*rc = 0;
	return sock;
}

/* ---- Configuration ------------------------------------------------------------------------ */

void
fake_ctrlr_cfg_init(struct fake_ctrlr_cfg *cfg)
{
	struct nvtcp_nvme_ctrlr_data *d = &cfg->cdata;

	memset(cfg, 0, sizeof(*cfg));
	cfg->maxh2cdata = 128 * 1024;
	cfg->allow_hdgst = true;
	cfg->allow_ddgst = true;
	cfg->cntlid = 7;
	/* MQES 127, TO 1 (500 ms), CSS NVM, MPSMIN 0. */
	cfg->cap = 127ull | (1ull << 24) | (1ull << 37);
	cfg->vs = NVTCP_NVME_VS(1, 3, 0);
	cfg->strict_cc = true;
	cfg->num_ns = 2;
	cfg->ns_first = 1;
	cfg->ns_blocks = 2048;
	cfg->lbads = 9;
	cfg->r2t_at_once = 1;
	nvtcp_strcpy_pad(d->sn, sizeof(d->sn), "FAKE0001", ' ');
	nvtcp_strcpy_pad(d->mn, sizeof(d->mn), "nvtcp fake controller", ' ');
	nvtcp_strcpy_pad(d->fr, sizeof(d->fr), "1.0", ' ');
	d->mdts = 0;
	d->ver = NVTCP_NVME_VS(1, 3, 0);
	d->oaes = NVTCP_NVME_OAES_NS_ATTRIBUTE_NOTICES;
	d->aerl = 3;
	d->lpa = NVTCP_NVME_LPA_EXTENDED_DATA;
	d->kas = 10;
	d->sqes = 0x66;
	d->cqes = 0x44;
	d->nn = 32;
	d->oncs = NVTCP_NVME_ONCS_COMPARE | NVTCP_NVME_ONCS_DSM | NVTCP_NVME_ONCS_WRITE_ZEROES;
	d->sgls = NVTCP_NVME_SGLS_SUPPORTED | NVTCP_NVME_SGLS_ADDRESS_AS_OFFSET |
		  NVTCP_NVME_SGLS_TRANSPORT;
	d->cntrltype = NVTCP_NVME_CNTRLTYPE_IO;
	nvtcp_strcpy_pad(d->subnqn, sizeof(d->subnqn), "nqn.2024-01.io.test:fake", 0);
	d->ioccsz = 1028;
	d->iorcsz = 1;
	d->icdoff = 0;
	d->msdbd = 1;
}

struct fake_ctrlr *
fake_ctrlr_create(const struct fake_ctrlr_cfg *cfg)
{
	struct fake_ctrlr *fc = calloc(1, sizeof(*fc));

	if (fc == NULL) {
		abort();
	}
	fc->cfg = *cfg;
	fc->recs = calloc(FAKE_MAX_RECORDS, sizeof(*fc->recs));
	fc->ns_inactive = calloc(cfg->num_ns + 1, sizeof(bool));
	fc->ns_blocks = calloc(cfg->num_ns + 1, sizeof(uint64_t));
	fc->ns_salt = calloc(cfg->num_ns + 1, 1);
	if (fc->recs == NULL || fc->ns_inactive == NULL || fc->ns_blocks == NULL ||
	    fc->ns_salt == NULL) {
		abort();
	}
	for (uint32_t i = 0; i < FAKE_BACKED_NS_MAX && i < cfg->num_ns; i++) {
		fc->ns_store[i] = calloc(1, cfg->ns_blocks << cfg->lbads);
	}
	g_fc = fc;
	nvme_set_clock(ut_clock_now, 1000000);
	nvme_set_connect_fn(fake_connect);
	nvme_set_sync_pause_fn(fake_pause);
	return fc;
}

void
fake_ctrlr_destroy(struct fake_ctrlr *fc)
{
	if (fc == NULL) {
		return;
	}
	for (int i = 0; i < fc->nconns; i++) {
		struct fake_conn *c = fc->conns[i];

		for (uint32_t k = 0; k < FAKE_IO_SLOTS; k++) {
			free(c->io[k].buf);
		}
		for (uint32_t k = 0; k < FAKE_MANUAL_MAX; k++) {
			free(c->mcmd[k].data);
			free(c->mh2c[k].data);
		}
		fake_sock_destroy(&c->fs);
		nvtcp_auth_ctrl_free(c->auth);
		free(c->icd);
		free(c->h2c_tmp);
		free(c->rb.buf);
		free(c);
	}
	for (uint32_t i = 0; i < FAKE_BACKED_NS_MAX; i++) {
		free(fc->ns_store[i]);
	}
	free(fc->recs);
	free(fc->ns_inactive);
	free(fc->ns_blocks);
	free(fc->ns_salt);
	if (g_fc == fc) {
		g_fc = NULL;
	}
	nvme_set_connect_fn(NULL);
	nvme_set_sync_pause_fn(NULL);
	free(fc);
}

struct fake_ctrlr_cfg *
fake_ctrlr_get_cfg(struct fake_ctrlr *fc)
{
	return &fc->cfg;
}

/* ---- Sending ------------------------------------------------------------------------------ */

void
fake_conn_send_raw(struct fake_conn *c, const void *bytes, size_t len)
{
	fake_sock_push_rx(c->fs, bytes, len);
}

void
fake_conn_send_pdu(struct fake_conn *c, union nvtcp_tcp_pdu_hdr *hdr, const void *data,
		   uint32_t len)
{
	struct nvtcp_tcp_tx_pdu pdu;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	uint8_t flags = hdr->ch.flags;

	nvtcp_tcp_pdu_init(&pdu, hdr->ch.pdu_type);
	memcpy(pdu.raw, hdr, sizeof(*hdr));
	pdu.hdr.ch.flags = flags;
	if (nvtcp_tcp_pdu_finish(&pdu, &c->params, len > 0 ? &iov : NULL, len > 0 ? 1 : 0) != 0) {
		fprintf(stderr, "fake_ctrlr: cannot build a %s\n",
			nvtcp_tcp_pdu_type_str(hdr->ch.pdu_type));
		abort();
	}
	for (int i = 0; i < pdu.iovcnt; i++) {
		fake_sock_push_rx(c->fs, pdu.iov[i].iov_base, pdu.iov[i].iov_len);
	}
}

void
fake_conn_send_rsp(struct fake_conn *c, uint16_t cid, uint16_t status, uint32_t cdw0)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_CAPSULE_RESP;
	h.rsp.rccqe.cdw0 = cdw0;
	h.rsp.rccqe.cid = cid;
	h.rsp.rccqe.sqid = c->qid == UINT16_MAX ? 0 : c->qid;
	h.rsp.rccqe.status = status;
	fake_conn_send_pdu(c, &h, NULL, 0);
}

static void
send_rsp2(struct fake_conn *c, uint16_t cid, uint16_t status, uint32_t cdw0, uint32_t cdw1)
{
	union nvtcp_tcp_pdu_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.pdu_type = NVTCP_TCP_PDU_CAPSULE_RESP;
	h.rsp.rccqe.cdw0 = cdw0;
	h.rsp.rccqe.cdw1 = cdw1;
	h.rsp.rccqe.cid = cid;
	h.rsp.rccqe.sqid = c->qid;
	h.rsp.rccqe.status = status;
	fake_conn_send_pdu(c, &h, NULL, 0);
}

/* Send data to the host, split as configured, then the completion (or SUCCESS). */
static void
send_c2h(struct fake_conn *c, uint16_t cid, const uint8_t *data, uint32_t len)
{
	uint32_t max = c->fc->cfg.c2h_pdu_max ? c->fc->cfg.c2h_pdu_max : len;
	uint32_t off = 0;

	while (off < len) {
		union nvtcp_tcp_pdu_hdr h;
		uint32_t n = NVTCP_MIN(max, len - off);

		memset(&h, 0, sizeof(h));
		h.ch.pdu_type = NVTCP_TCP_PDU_C2H_DATA;
		h.c2h_data.cccid = cid;
		h.c2h_data.datao = off;
		if (off + n == len) {
			h.ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
			if (c->fc->cfg.c2h_success) {
				h.ch.flags |= NVTCP_TCP_FLAG_SUCCESS;
			}
		}
		fake_conn_send_pdu(c, &h, data + off, n);
		off += n;
	}
	if (!c->fc->cfg.c2h_success || len == 0) {
		fake_conn_send_rsp(c, cid, 0, 0);
	}
}

static uint16_t
st(uint8_t sct, uint8_t sc)
{
	return nvtcp_nvme_status(sct, sc, false);
}

/* ---- Commands ----------------------------------------------------------------------------- */

static bool
ns_is_active(const struct fake_ctrlr *fc, uint32_t nsid)
{
	uint32_t first = fc->cfg.ns_first;

	return nsid >= first && nsid - first < fc->cfg.num_ns && !fc->ns_inactive[nsid - first];
}

static uint8_t *
ns_store(struct fake_ctrlr *fc, uint32_t nsid)
{
	uint32_t idx = nsid - fc->cfg.ns_first;

	if (!ns_is_active(fc, nsid) || idx >= FAKE_BACKED_NS_MAX) {
		return NULL;
	}
	return fc->ns_store[idx];
}

/* The SGL every command over fabrics carries: PSDT 01b, and a descriptor that matches the
 * data. Returns false (after answering Invalid Field) when it does not. */
static bool
check_sgl(struct fake_conn *c, const struct nvtcp_nvme_cmd *cmd, uint32_t icd_len,
	  uint32_t *len, bool *incapsule)
{
	const struct nvtcp_nvme_sgl_desc *sgl = &cmd->dptr.sgl1;

	*len = sgl->length;
	*incapsule = sgl->id == NVTCP_NVME_SGL_ID_INCAPSULE;
	if ((cmd->flags & NVTCP_NVME_CMD_FLAGS_PSDT_MASK) != NVTCP_NVME_CMD_FLAGS_PSDT_SGL ||
	    (sgl->id != NVTCP_NVME_SGL_ID_INCAPSULE && sgl->id != NVTCP_NVME_SGL_ID_TRANSPORT) ||
	    (*incapsule && (sgl->address != 0 || sgl->length != icd_len)) ||
	    (!*incapsule && icd_len != 0)) {
		fprintf(stderr, "fake_ctrlr: bad SGL/PSDT on opcode 0x%02x (flags 0x%02x, id 0x%02x, "
			"len %u, icd %u)\n", cmd->opc, cmd->flags, sgl->id, sgl->length, icd_len);
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_FIELD), 0);
		return false;
	}
	return true;
}

/* The controller engine finished a transaction: count it and forget it. */
static void
auth_check_end(struct fake_conn *c)
{
	enum nvtcp_auth_next n = nvtcp_auth_ctrl_next(c->auth);

	if (n == NVTCP_AUTH_NEXT_DONE || n == NVTCP_AUTH_NEXT_FAILED) {
		if (n == NVTCP_AUTH_NEXT_DONE) {
			c->fc->auth_ok++;
		} else {
			c->fc->auth_failed++;
		}
		nvtcp_auth_ctrl_free(c->auth);
		c->auth = NULL;
	}
}

static void
handle_auth(struct fake_conn *c, const struct nvtcp_nvme_cmd *cmd, const uint8_t *data,
	    uint32_t len)
{
	struct fake_ctrlr *fc = c->fc;
	const struct nvtcp_nvmf_auth_cmd *ac = (const void *)cmd;
	uint8_t buf[NVTCP_AUTH_MSG_MAX_LEN];
	int rc;

	if (fc->cfg.auth_host_secret == NULL || ac->secp != NVTCP_AUTH_SECP ||
	    ac->spsp0 != NVTCP_AUTH_SPSP0 || ac->spsp1 != NVTCP_AUTH_SPSP1) {
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_FIELD), 0);
		return;
	}
	if (ac->fctype == NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND) {
		if (ac->len != len) {
			fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_FIELD), 0);
			return;
		}
		if (c->auth == NULL) {
			struct nvtcp_auth_ctrl_params p;
			const struct nvtcp_nvmf_connect_data *cd = &fc->connect_data[c->qid];

			memcpy(c->auth_hostnqn, cd->hostnqn, sizeof(cd->hostnqn));
			memcpy(c->auth_subnqn, cd->subnqn, sizeof(cd->subnqn));
			memset(&p, 0, sizeof(p));
			p.hostnqn = c->auth_hostnqn;
			p.subnqn = c->auth_subnqn;
			p.host_secret = fc->cfg.auth_host_secret;
			p.ctrl_secret = fc->cfg.auth_ctrl_secret;
			p.hash_mask = fc->cfg.auth_hash_mask;
			p.dhgroup_mask = fc->cfg.auth_dhgroup_mask;
			p.seqnum = 1000 + ++fc->auth_seq;
			p.qid = c->qid;
			if (nvtcp_auth_ctrl_create(&p, &c->auth) != 0) {
				fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR), 0);
				return;
			}
		}
		rc = nvtcp_auth_ctrl_process(c->auth, data, len);
		fake_conn_send_rsp(c, cmd->cid, rc == 0 ? 0 : st(0, NVTCP_NVME_SC_INVALID_FIELD), 0);
		auth_check_end(c);
		return;
	}
	if (fc->cfg.auth_recv_hold) {
		return;
	}
	if (c->auth == NULL || ac->len > sizeof(buf)) {
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_FIELD), 0);
		return;
	}
	memset(buf, 0, sizeof(buf));
	rc = nvtcp_auth_ctrl_build(c->auth, buf, ac->len);
	if (rc < 0) {
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_FIELD), 0);
		return;
	}
	send_c2h(c, cmd->cid, buf, fc->cfg.auth_recv_full ? ac->len : (uint32_t)rc);
	auth_check_end(c);
}

static void
handle_fabrics(struct fake_conn *c, const struct nvtcp_nvme_cmd *cmd, const uint8_t *data,
	       uint32_t len)
{
	struct fake_ctrlr *fc = c->fc;
	uint8_t fctype = nvtcp_nvmf_cmd_fctype(cmd);

	if (fctype == NVTCP_NVMF_FCTYPE_CONNECT) {
		const struct nvtcp_nvmf_connect_cmd *cc = (const void *)cmd;
		const struct nvtcp_nvmf_connect_data *cd = (const void *)data;

		if (len != sizeof(*cd)) {
			fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_FIELD), 0);
			return;
		}
		if (cc->qid < FAKE_MAX_QID) {
			fc->connect_data[cc->qid] = *cd;
		}
		c->qid = cc->qid;
		if (cc->qid == 0 && fc->cfg.connect_status != 0) {
			fake_conn_send_rsp(c, cmd->cid, fc->cfg.connect_status, fc->cfg.connect_cdw0);
			return;
		}
		if (cc->qid == 0) {
			/* A new association: a new (disabled) controller; AERs of an old one
			 * are gone with its connection. */
			fc->cc = 0;
			fc->csts = 0;
			fc->enable_pending = false;
			fc->naers = 0;
			fc->nassocs++;
		}
		if (cc->qid != 0 && fc->cfg.io_connect_status != 0) {
			fake_conn_send_rsp(c, cmd->cid, fc->cfg.io_connect_status, 0);
			return;
		}
		if (cc->qid != 0 && cd->cntlid != fc->cfg.cntlid) {
			fake_conn_send_rsp(c, cmd->cid,
					   st(1, NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS),
					   nvtcp_nvmf_connect_rsp_invalid(true, 16));
			return;
		}
		fake_conn_send_rsp(c, cmd->cid, 0,
				   fc->cfg.cntlid | ((uint32_t)fc->cfg.connect_authreq << 16));
		return;
	}
	if (fctype == NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND ||
	    fctype == NVTCP_NVMF_FCTYPE_AUTHENTICATION_RECV) {
		handle_auth(c, cmd, data, len);
		return;
	}
	if (fctype == NVTCP_NVMF_FCTYPE_PROPERTY_GET) {
		const struct nvtcp_nvmf_prop_get_cmd *p = (const void *)cmd;
		uint64_t v = 0;

		switch (p->ofst) {
		case NVTCP_NVME_PROP_CAP:
			v = fc->cfg.cap;
			break;
		case NVTCP_NVME_PROP_VS:
			v = fc->cfg.vs;
			break;
		case NVTCP_NVME_PROP_CC:
			v = fc->cc;
			break;
		case NVTCP_NVME_PROP_CSTS:
			if (fc->enable_pending && !fc->cfg.rdy_never) {
				if (fc->rdy_countdown > 0) {
					fc->rdy_countdown--;
				} else {
					fc->csts |= NVTCP_NVME_CSTS_RDY;
					fc->enable_pending = false;
				}
			}
			v = fc->csts;
			break;
		default:
			break;
		}
		send_rsp2(c, cmd->cid, 0, (uint32_t)v, (uint32_t)(v >> 32));
		return;
	}
	if (fctype == NVTCP_NVMF_FCTYPE_PROPERTY_SET) {
		const struct nvtcp_nvmf_prop_set_cmd *p = (const void *)cmd;

		if (p->ofst == NVTCP_NVME_PROP_CC) {
			uint32_t cc = (uint32_t)p->value;
			bool discovery = fc->cfg.cdata.cntrltype == NVTCP_NVME_CNTRLTYPE_DISCOVERY;

			if ((cc & NVTCP_NVME_CC_EN) && !(fc->cc & NVTCP_NVME_CC_EN)) {
				if (fc->cfg.cfs_on_enable ||
				    (fc->cfg.strict_cc && !discovery &&
				     (nvtcp_nvme_cc_iosqes(cc) != 6 ||
				      nvtcp_nvme_cc_iocqes(cc) != 4))) {
					fc->csts |= NVTCP_NVME_CSTS_CFS;
				} else {
					fc->enable_pending = true;
					fc->rdy_countdown = fc->cfg.rdy_delay;
				}
			}
			if (nvtcp_nvme_cc_shn(cc) != 0) {
				fc->csts &= ~NVTCP_NVME_CSTS_SHST_MASK;
				fc->csts |= (fc->cfg.shst_never ? NVTCP_NVME_SHST_OCCURRING :
					     NVTCP_NVME_SHST_COMPLETE) << NVTCP_NVME_CSTS_SHST_SHIFT;
			}
			fc->cc = cc;
		}
		fake_conn_send_rsp(c, cmd->cid, 0, 0);
		return;
	}
	fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_OPCODE), 0);
}

static void
handle_identify(struct fake_conn *c, const struct nvtcp_nvme_cmd *cmd, uint32_t len)
{
	struct fake_ctrlr *fc = c->fc;
	uint8_t buf[4096];
	uint8_t cns = cmd->cdw10 & 0xFF;

	memset(buf, 0, sizeof(buf));
	if (len != sizeof(buf)) {
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID), 0);
		return;
	}
	switch (cns) {
	case NVTCP_NVME_IDENTIFY_CTRLR: {
		struct nvtcp_nvme_ctrlr_data d = fc->cfg.cdata;

		d.cntlid = fc->cfg.cntlid;
		memcpy(buf, &d, sizeof(d));
		break;
	}
	case NVTCP_NVME_IDENTIFY_NS: {
		struct nvtcp_nvme_ns_data *ns = (void *)buf;

		if (cmd->nsid == 0 || cmd->nsid == NVTCP_NVME_NSID_ALL) {
			fake_conn_send_rsp(c, cmd->cid,
					   st(0, NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT), 0);
			return;
		}
		if (fc->cfg.ns_identify_errors > 0) {
			fc->cfg.ns_identify_errors--;
			fake_conn_send_rsp(c, cmd->cid,
					   st(0, NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR), 0);
			return;
		}
		if (ns_is_active(fc, cmd->nsid)) {
			uint32_t k = cmd->nsid - fc->cfg.ns_first;

			ns->nsze = ns->ncap = ns->nuse = fc->ns_blocks[k] ? fc->ns_blocks[k] :
							 fc->cfg.ns_blocks;
			ns->nlbaf = 0;
			ns->flbas = 0;
			ns->lbaf[0] = nvtcp_nvme_lbaf(0, fc->cfg.lbads, 0);
			memset(ns->nguid, fc->ns_salt[k] ? fc->ns_salt[k] : (int)cmd->nsid,
			       sizeof(ns->nguid));
		}
		break;
	}
	case NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST: {
		uint32_t *ids = (void *)buf, n = 0;

		if (fc->cfg.no_cns2) {
			fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_FIELD), 0);
			return;
		}
		for (uint32_t k = 0; k < fc->cfg.num_ns && n < 1024; k++) {
			uint32_t id = fc->cfg.ns_first + k;

			if (id > cmd->nsid && ns_is_active(fc, id)) {
				ids[n++] = id;
			}
		}
		break;
	}
	case NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST: {
		struct nvtcp_nvme_ns_id_desc *dd = (void *)buf;

		dd->nidt = NVTCP_NVME_NIDT_NGUID;
		dd->nidl = 16;
		memset(buf + 4, (int)cmd->nsid, 16);
		if (fc->cfg.ns_uuid) {
			dd = (void *)(buf + 20);
			dd->nidt = NVTCP_NVME_NIDT_UUID;
			dd->nidl = 16;
			buf[24] = (uint8_t)cmd->nsid;
			memset(buf + 25, 0xA5, 15);
		}
		break;
	}
	default:
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_FIELD), 0);
		return;
	}
	send_c2h(c, cmd->cid, buf, sizeof(buf));
}

static void
handle_get_log(struct fake_conn *c, const struct nvtcp_nvme_cmd *cmd, uint32_t len)
{
	struct fake_ctrlr *fc = c->fc;
	uint8_t lid = nvtcp_nvme_get_log_page_lid(cmd);
	uint64_t want = nvtcp_nvme_get_log_page_len(cmd);
	uint64_t off = nvtcp_nvme_get_log_page_offset(cmd);
	uint8_t *buf;

	if (want != len) {
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID), 0);
		return;
	}
	buf = calloc(1, len);
	if (lid == NVTCP_NVME_LOG_DISCOVERY) {
		if (fc->cfg.on_disc_read != NULL) {
			fc->cfg.on_disc_read(fc, off, len, fc->cfg.on_disc_arg);
		}
		if (off < fc->cfg.disc_log_len) {
			memcpy(buf, fc->cfg.disc_log + off,
			       NVTCP_MIN((uint64_t)len, fc->cfg.disc_log_len - off));
		}
	} else if (lid == NVTCP_NVME_LOG_CHANGED_NS_LIST && off < sizeof(fc->changed_ns)) {
		memcpy(buf, (uint8_t *)fc->changed_ns + off,
		       NVTCP_MIN((uint64_t)len, sizeof(fc->changed_ns) - off));
		if (!(cmd->cdw10 & NVTCP_NVME_GET_LOG_CDW10_RAE)) {
			memset(fc->changed_ns, 0, sizeof(fc->changed_ns));
		}
	}
	send_c2h(c, cmd->cid, buf, len);
	free(buf);
}

static void
handle_admin(struct fake_conn *c, const struct nvtcp_nvme_cmd *cmd, const uint8_t *data,
	     uint32_t icd_len)
{
	struct fake_ctrlr *fc = c->fc;
	uint32_t len;
	bool incapsule;

	if (!check_sgl(c, cmd, icd_len, &len, &incapsule)) {
		return;
	}
	switch (cmd->opc) {
	case NVTCP_NVME_OPC_FABRICS:
		handle_fabrics(c, cmd, data, icd_len);
		return;
	case NVTCP_NVME_OPC_IDENTIFY:
		handle_identify(c, cmd, len);
		return;
	case NVTCP_NVME_OPC_SET_FEATURES:
		if ((cmd->cdw10 & 0xFF) == NVTCP_NVME_FEAT_NUMBER_OF_QUEUES) {
			uint32_t req = (cmd->cdw11 & 0xFFFF) + 1;
			uint32_t g = fc->cfg.nq_granted ? NVTCP_MIN(fc->cfg.nq_granted, req) : req;

			fake_conn_send_rsp(c, cmd->cid, 0, (g - 1) | ((g - 1) << 16));
			return;
		}
		fake_conn_send_rsp(c, cmd->cid, 0, 0);
		return;
	case NVTCP_NVME_OPC_GET_FEATURES:
		if (len > 0) {
			uint8_t *buf = calloc(1, len);

			send_c2h(c, cmd->cid, buf, len);
			free(buf);
			return;
		}
		fake_conn_send_rsp(c, cmd->cid, 0, 0x1234);
		return;
	case NVTCP_NVME_OPC_KEEP_ALIVE:
		if (!fc->cfg.ka_no_response) {
			fake_conn_send_rsp(c, cmd->cid, fc->cfg.ka_status, 0);
		}
		return;
	case NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST:
		if (fc->naers == FAKE_MAX_AERS) {
			fake_conn_send_rsp(c, cmd->cid,
					   st(1, NVTCP_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED), 0);
			return;
		}
		fc->aers[fc->naers].conn = c;
		fc->aers[fc->naers].cid = cmd->cid;
		fc->naers++;
		return;
	case NVTCP_NVME_OPC_GET_LOG_PAGE:
		handle_get_log(c, cmd, len);
		return;
	case NVTCP_NVME_OPC_ABORT:
		fc->naborts++;
		if (fc->cfg.abort_hold) {
			return;
		}
		if (fc->cfg.abort_status != 0) {
			fake_conn_send_rsp(c, cmd->cid, fc->cfg.abort_status, 0);
			return;
		}
		if (fc->cfg.abort_succeeds) {
			uint16_t sqid = cmd->cdw10 & 0xFFFF, acid = cmd->cdw10 >> 16;

			for (int i = fc->nconns - 1; i >= 0; i--) {
				struct fake_conn *t = fc->conns[i];

				if (t->qid == sqid && !t->dead && !fake_sock_is_closed(t->fs)) {
					fake_conn_send_rsp(t, acid,
							   st(0, NVTCP_NVME_SC_ABORTED_BY_REQUEST),
							   0);
					break;
				}
			}
			fake_conn_send_rsp(c, cmd->cid, 0, 0);
			return;
		}
		fake_conn_send_rsp(c, cmd->cid, 0, NVTCP_NVME_ABORT_CDW0_NOT_ABORTED);
		return;
	default:
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_OPCODE), 0);
		return;
	}
}

static void
r2t_send_more(struct fake_conn *c, struct fake_io *io, uint16_t cid)
{
	uint32_t at_once = c->fc->cfg.r2t_at_once ? c->fc->cfg.r2t_at_once : 1;
	uint32_t chunk = c->fc->cfg.r2t_chunk;

	while (io->r2t_out < at_once && io->requested < io->len) {
		union nvtcp_tcp_pdu_hdr h;
		uint32_t n = chunk ? NVTCP_MIN(chunk, io->len - io->requested) :
			     io->len - io->requested;

		memset(&h, 0, sizeof(h));
		h.ch.pdu_type = NVTCP_TCP_PDU_R2T;
		h.r2t.cccid = cid;
		h.r2t.ttag = io->ttag_next++;
		h.r2t.r2to = io->requested;
		h.r2t.r2tl = n;
		fake_conn_send_pdu(c, &h, NULL, 0);
		io->requested += n;
		io->r2t_end[(io->r2t_head + io->r2t_out) % FAKE_R2T_RING] = io->requested;
		io->r2t_out++;
	}
}

/* Apply a write/compare whose data is all in. */
static void
io_data_done(struct fake_conn *c, const struct nvtcp_nvme_cmd *cmd, const uint8_t *data,
	     uint32_t len)
{
	struct fake_ctrlr *fc = c->fc;
	uint8_t *store = ns_store(fc, cmd->nsid);
	uint64_t off = nvtcp_nvme_rw_slba(cmd) << fc->cfg.lbads;

	if (cmd->opc == NVTCP_NVME_OPC_WRITE) {
		memcpy(store + off, data, len);
	} else if (cmd->opc == NVTCP_NVME_OPC_COMPARE && memcmp(store + off, data, len) != 0) {
		fake_conn_send_rsp(c, cmd->cid, st(2, NVTCP_NVME_SC_COMPARE_FAILURE), 0);
		return;
	}
	fake_conn_send_rsp(c, cmd->cid, 0, 0);
}

static void
handle_io(struct fake_conn *c, const struct nvtcp_nvme_cmd *cmd, const uint8_t *data,
	  uint32_t icd_len)
{
	struct fake_ctrlr *fc = c->fc;
	uint8_t *store;
	uint32_t len, bs = 1u << fc->cfg.lbads;
	uint64_t slba, nlb;
	bool incapsule;

	if (!check_sgl(c, cmd, icd_len, &len, &incapsule)) {
		return;
	}
	if (cmd->opc == NVTCP_NVME_OPC_FLUSH) {
		fake_conn_send_rsp(c, cmd->cid, 0, 0);
		return;
	}
	if (cmd->opc != NVTCP_NVME_OPC_READ && cmd->opc != NVTCP_NVME_OPC_WRITE &&
	    cmd->opc != NVTCP_NVME_OPC_COMPARE && cmd->opc != NVTCP_NVME_OPC_WRITE_ZEROES &&
	    cmd->opc != NVTCP_NVME_OPC_DATASET_MANAGEMENT) {
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_OPCODE), 0);
		return;
	}
	store = ns_store(fc, cmd->nsid);
	if (store == NULL) {
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT), 0);
		return;
	}
	if (cmd->opc == NVTCP_NVME_OPC_DATASET_MANAGEMENT) {
		const struct nvtcp_nvme_dsm_range *r = (const void *)data;
		uint32_t nr = (cmd->cdw10 & 0xFF) + 1;

		if (!incapsule || len != nr * sizeof(*r)) {
			fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_FIELD), 0);
			return;
		}
		for (uint32_t i = 0; i < nr; i++) {
			if (r[i].slba + r[i].nlb > fc->cfg.ns_blocks) {
				fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_LBA_OUT_OF_RANGE),
						   0);
				return;
			}
			if (cmd->cdw11 & NVTCP_NVME_DSM_ATTR_DEALLOCATE) {
				memset(store + (r[i].slba << fc->cfg.lbads), 0,
				       (size_t)r[i].nlb << fc->cfg.lbads);
			}
		}
		fake_conn_send_rsp(c, cmd->cid, 0, 0);
		return;
	}
	slba = nvtcp_nvme_rw_slba(cmd);
	nlb = nvtcp_nvme_rw_nlb(cmd);
	if (slba + nlb > fc->cfg.ns_blocks) {
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_LBA_OUT_OF_RANGE), 0);
		return;
	}
	if (cmd->opc == NVTCP_NVME_OPC_WRITE_ZEROES) {
		memset(store + (slba << fc->cfg.lbads), 0, nlb * bs);
		fake_conn_send_rsp(c, cmd->cid, 0, 0);
		return;
	}
	if (len != nlb * bs) {
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID), 0);
		return;
	}
	if (cmd->opc == NVTCP_NVME_OPC_READ) {
		send_c2h(c, cmd->cid, store + (slba << fc->cfg.lbads), len);
		return;
	}
	if (cmd->opc != NVTCP_NVME_OPC_WRITE && cmd->opc != NVTCP_NVME_OPC_COMPARE) {
		fake_conn_send_rsp(c, cmd->cid, st(0, NVTCP_NVME_SC_INVALID_OPCODE), 0);
		return;
	}
	if (incapsule) {
		io_data_done(c, cmd, data, len);
		return;
	}
	/* The Linux target never asks for data small enough for the capsule: it would stall.
	 * Flag it loudly so a test catches it, then serve it anyway. */
	if (len <= fc->cfg.cdata.ioccsz * 16 - 64) {
		fprintf(stderr, "fake_ctrlr: write of %u bytes not in capsule (limit %u)\n", len,
			fc->cfg.cdata.ioccsz * 16 - 64);
	}
	{
		struct fake_io *io = &c->io[cmd->cid % FAKE_IO_SLOTS];

		free(io->buf);
		memset(io, 0, sizeof(*io));
		io->active = true;
		io->cmd = *cmd;
		io->buf = malloc(len);
		io->len = len;
		r2t_send_more(c, io, cmd->cid);
	}
}

static void
record_cmd(struct fake_conn *c, const struct nvtcp_nvme_cmd *cmd, uint32_t len)
{
	struct fake_ctrlr *fc = c->fc;

	if (fc->nrecs < FAKE_MAX_RECORDS) {
		fc->recs[fc->nrecs].qid = c->qid;
		fc->recs[fc->nrecs].cmd = *cmd;
		fc->recs[fc->nrecs].data_len = len;
		fc->nrecs++;
	}
}

static void
handle_capsule(struct fake_conn *c, const struct nvtcp_nvme_cmd *cmd, const uint8_t *data,
	       uint32_t len)
{
	/* A Connect names the queue: record after it, so that qid is right. */
	if (cmd->opc == NVTCP_NVME_OPC_FABRICS &&
	    nvtcp_nvmf_cmd_fctype(cmd) == NVTCP_NVMF_FCTYPE_CONNECT) {
		c->qid = ((const struct nvtcp_nvmf_connect_cmd *)cmd)->qid;
	}
	record_cmd(c, cmd, len);
	if (c->manual) {
		struct fake_manual_cmd *m;

		if (c->mcmd_count == FAKE_MANUAL_MAX) {
			abort();
		}
		m = &c->mcmd[(c->mcmd_head + c->mcmd_count) % FAKE_MANUAL_MAX];
		m->rec.qid = c->qid;
		m->rec.cmd = *cmd;
		m->rec.data_len = len;
		free(m->data);
		m->data = malloc(len > 0 ? len : 1);
		if (len > 0) {
			memcpy(m->data, data, len);
		}
		c->mcmd_count++;
		return;
	}
	if (c->qid == 0 || cmd->opc == NVTCP_NVME_OPC_FABRICS) {
		handle_admin(c, cmd, data, len);
	} else {
		handle_io(c, cmd, data, len);
	}
}

/* ---- Receive callbacks -------------------------------------------------------------------- */

static int
conn_header(void *ctx, struct nvtcp_tcp_rx *rx)
{
	struct fake_conn *c = ctx;
	struct fake_ctrlr *fc = c->fc;
	const union nvtcp_tcp_pdu_hdr *h = nvtcp_tcp_rx_hdr(rx);
	uint32_t dlen = nvtcp_tcp_rx_data_len(rx);

	switch (h->ch.pdu_type) {
	case NVTCP_TCP_PDU_IC_REQ: {
		struct nvtcp_tcp_ic_opts o;
		struct nvtcp_tcp_icresp icr;
		struct nvtcp_tcp_params p;
		struct nvtcp_tcp_error err;

		nvtcp_tcp_ic_opts_init(&o);
		o.hdgst = fc->cfg.allow_hdgst;
		o.ddgst = fc->cfg.allow_ddgst;
		o.pda = fc->cfg.cpda;
		o.maxh2cdata = fc->cfg.maxh2cdata;
		if (nvtcp_tcp_icreq_accept(&h->icreq, &o, &icr, &p, &err) != 0) {
			return nvtcp_tcp_rx_fail(rx, err.fes, err.fei);
		}
		if (fc->cfg.no_icresp) {
			return 0;
		}
		if (fc->cfg.icresp_raw_set) {
			fake_conn_send_raw(c, fc->cfg.icresp_raw, sizeof(fc->cfg.icresp_raw));
			return 0;
		}
		fake_conn_send_raw(c, &icr, sizeof(icr));
		c->params = p;
		c->ic_done = true;
		return nvtcp_tcp_rx_set_params(rx, &p);
	}
	case NVTCP_TCP_PDU_H2C_TERM_REQ: {
		uint32_t n;
		const uint8_t *d = nvtcp_tcp_rx_term_data(rx, &n);

		c->got_term = true;
		c->term_fes = h->term_req.fes;
		c->term_fei = h->term_req.fei;
		c->term_hdr_len = NVTCP_MIN(n, (uint32_t)sizeof(c->term_hdr));
		memcpy(c->term_hdr, d, c->term_hdr_len);
		c->dead = true;
		return -ECONNABORTED;
	}
	case NVTCP_TCP_PDU_CAPSULE_CMD:
		c->cur_cmd = h->cmd.ccsqe;
		if (dlen > 0) {
			struct iovec iov = {.iov_base = c->icd, .iov_len = dlen};

			return nvtcp_tcp_rx_set_payload(rx, &iov, 1);
		}
		handle_capsule(c, &c->cur_cmd, NULL, 0);
		return 0;
	case NVTCP_TCP_PDU_H2C_DATA: {
		const struct nvtcp_tcp_h2c_data *d = &h->h2c_data;
		struct fake_io *io = &c->io[d->cccid % FAKE_IO_SLOTS];
		struct iovec iov;

		if (c->manual) {
			iov.iov_base = c->h2c_tmp;
			iov.iov_len = dlen;
			return nvtcp_tcp_rx_set_payload(rx, &iov, 1);
		}
		if (!io->active || d->datao != io->rcvd || d->datao + dlen > io->requested) {
			fprintf(stderr, "fake_ctrlr: unexpected H2CData cid %u datao %u datal %u\n",
				d->cccid, d->datao, dlen);
			return nvtcp_tcp_rx_fail(rx, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 12);
		}
		iov.iov_base = io->buf + d->datao;
		iov.iov_len = dlen;
		return nvtcp_tcp_rx_set_payload(rx, &iov, 1);
	}
	default:
		return nvtcp_tcp_rx_fail(rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	}
}

static int
conn_payload(void *ctx, struct nvtcp_tcp_rx *rx, bool ddgst_ok)
{
	struct fake_conn *c = ctx;
	const union nvtcp_tcp_pdu_hdr *h = nvtcp_tcp_rx_hdr(rx);
	uint32_t dlen = nvtcp_tcp_rx_data_len(rx);

	if (!ddgst_ok) {
		fprintf(stderr, "fake_ctrlr: data digest error from the host\n");
		return nvtcp_tcp_rx_fail(rx, NVTCP_TCP_FES_HDGST_ERROR, 0);
	}
	if (h->ch.pdu_type == NVTCP_TCP_PDU_CAPSULE_CMD) {
		handle_capsule(c, &c->cur_cmd, c->icd, dlen);
		return 0;
	}
	if (h->ch.pdu_type == NVTCP_TCP_PDU_H2C_DATA) {
		const struct nvtcp_tcp_h2c_data *d = &h->h2c_data;
		struct fake_io *io = &c->io[d->cccid % FAKE_IO_SLOTS];

		if (c->manual) {
			struct fake_manual_h2c *m;

			if (c->mh2c_count == FAKE_MANUAL_MAX) {
				abort();
			}
			m = &c->mh2c[(c->mh2c_head + c->mh2c_count) % FAKE_MANUAL_MAX];
			m->rec.cccid = d->cccid;
			m->rec.ttag = d->ttag;
			m->rec.datao = d->datao;
			m->rec.datal = dlen;
			m->rec.flags = d->ch.flags;
			free(m->data);
			m->data = malloc(dlen);
			memcpy(m->data, c->h2c_tmp, dlen);
			c->mh2c_count++;
			return 0;
		}
		io->rcvd += dlen;
		while (io->r2t_out > 0 && io->rcvd >= io->r2t_end[io->r2t_head]) {
			io->r2t_head = (io->r2t_head + 1) % FAKE_R2T_RING;
			io->r2t_out--;
		}
		if (io->rcvd == io->len) {
			io->active = false;
			io_data_done(c, &io->cmd, io->buf, io->len);
		} else {
			r2t_send_more(c, io, d->cccid);
		}
	}
	return 0;
}

/* ---- Polling and inspection --------------------------------------------------------------- */

static int
conn_process(struct fake_conn *c)
{
	const uint8_t *data;
	size_t len;
	int n = 0;

	while ((data = fake_sock_tx_data(c->fs, &len)) != NULL && len > 0) {
		size_t room, take;
		int rc;

		if (c->dead) {
			fake_sock_tx_consume(c->fs, len);
			break;
		}
		if (c->rb.head == c->rb.tail) {
			c->rb.head = c->rb.tail = 0;
		}
		room = c->rb.size - c->rb.tail;
		take = NVTCP_MIN(room, len);
		memcpy(c->rb.buf + c->rb.tail, data, take);
		c->rb.tail += take;
		fake_sock_tx_consume(c->fs, take);
		rc = nvtcp_tcp_rx_process(&c->rx, &c->rb);
		if (rc < 0) {
			if (!c->got_term) {
				fprintf(stderr, "fake_ctrlr: bad PDU from the host (%d)\n", rc);
			}
			c->dead = true;
		}
		n++;
	}
	return n;
}

int
fake_ctrlr_poll(struct fake_ctrlr *fc)
{
	int n = 0;

	for (int i = 0; i < fc->nconns; i++) {
		n += conn_process(fc->conns[i]);
	}
	return n;
}

struct fake_conn *
fake_ctrlr_conn(struct fake_ctrlr *fc, int idx)
{
	return idx >= 0 && idx < fc->nconns ? fc->conns[idx] : NULL;
}

int
fake_ctrlr_num_conns(const struct fake_ctrlr *fc)
{
	return fc->nconns;
}

struct fake_sock *
fake_conn_sock(struct fake_conn *c)
{
	return c->fs;
}

uint16_t
fake_conn_qid(const struct fake_conn *c)
{
	return c->qid;
}

void
fake_conn_set_manual(struct fake_conn *c, bool manual)
{
	c->manual = manual;
}

bool
fake_conn_pop_cmd(struct fake_conn *c, struct fake_cmd_record *rec, void *data, uint32_t max)
{
	struct fake_manual_cmd *m;

	if (c->mcmd_count == 0) {
		return false;
	}
	m = &c->mcmd[c->mcmd_head];
	*rec = m->rec;
	if (data != NULL) {
		memcpy(data, m->data, NVTCP_MIN(max, m->rec.data_len));
	}
	c->mcmd_head = (c->mcmd_head + 1) % FAKE_MANUAL_MAX;
	c->mcmd_count--;
	return true;
}

bool
fake_conn_pop_h2c(struct fake_conn *c, struct fake_h2c_record *rec, void *data, uint32_t max)
{
	struct fake_manual_h2c *m;

	if (c->mh2c_count == 0) {
		return false;
	}
	m = &c->mh2c[c->mh2c_head];
	*rec = m->rec;
	if (data != NULL) {
		memcpy(data, m->data, NVTCP_MIN(max, m->rec.datal));
	}
	c->mh2c_head = (c->mh2c_head + 1) % FAKE_MANUAL_MAX;
	c->mh2c_count--;
	return true;
}

bool
fake_conn_term_req(const struct fake_conn *c, uint16_t *fes, uint32_t *fei, const uint8_t **hdr,
		   uint32_t *hdr_len)
{
	if (!c->got_term) {
		return false;
	}
	*fes = c->term_fes;
	*fei = c->term_fei;
	if (hdr != NULL) {
		*hdr = c->term_hdr;
		*hdr_len = c->term_hdr_len;
	}
	return true;
}

const struct nvtcp_tcp_params *
fake_conn_params(const struct fake_conn *c)
{
	return &c->params;
}

const struct nvtcp_sock_opts *
fake_conn_sock_opts(const struct fake_conn *c)
{
	return &c->sock_opts;
}

uint32_t
fake_ctrlr_num_cmds(const struct fake_ctrlr *fc)
{
	return fc->nrecs;
}

const struct fake_cmd_record *
fake_ctrlr_cmd(const struct fake_ctrlr *fc, uint32_t i)
{
	return i < fc->nrecs ? &fc->recs[i] : NULL;
}

static bool
rec_match(const struct fake_cmd_record *r, int qid, uint8_t opc, int fctype)
{
	if (qid >= 0 && r->qid != qid) {
		return false;
	}
	if (r->cmd.opc != opc) {
		return false;
	}
	return opc != NVTCP_NVME_OPC_FABRICS || fctype < 0 || nvtcp_nvmf_cmd_fctype(&r->cmd) == fctype;
}

uint32_t
fake_ctrlr_count(const struct fake_ctrlr *fc, int qid, uint8_t opc, int fctype)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < fc->nrecs; i++) {
		n += rec_match(&fc->recs[i], qid, opc, fctype);
	}
	return n;
}

const struct fake_cmd_record *
fake_ctrlr_last(const struct fake_ctrlr *fc, uint8_t opc, int fctype)
{
	for (uint32_t i = fc->nrecs; i > 0; i--) {
		if (rec_match(&fc->recs[i - 1], -1, opc, fctype)) {
			return &fc->recs[i - 1];
		}
	}
	return NULL;
}

const struct nvtcp_nvmf_connect_data *
fake_ctrlr_connect_data(const struct fake_ctrlr *fc, uint16_t qid)
{
	return qid < FAKE_MAX_QID ? &fc->connect_data[qid] : NULL;
}

bool
fake_ctrlr_aen(struct fake_ctrlr *fc, uint32_t cdw0)
{
	struct fake_aer a;

	if (fc->naers == 0) {
		return false;
	}
	a = fc->aers[0];
	memmove(&fc->aers[0], &fc->aers[1], sizeof(fc->aers[0]) * (fc->naers - 1));
	fc->naers--;
	fake_conn_send_rsp(a.conn, a.cid, 0, cdw0);
	return true;
}

uint32_t
fake_ctrlr_held_aers(const struct fake_ctrlr *fc)
{
	return fc->naers;
}

uint8_t *
fake_ctrlr_ns_data(struct fake_ctrlr *fc, uint32_t nsid)
{
	return ns_store(fc, nsid);
}

void
fake_ctrlr_set_ns_active(struct fake_ctrlr *fc, uint32_t nsid, bool active)
{
	uint32_t idx = nsid - fc->cfg.ns_first;

	if (nsid >= fc->cfg.ns_first && idx < fc->cfg.num_ns) {
		fc->ns_inactive[idx] = !active;
	}
}

void
fake_ctrlr_set_changed_ns(struct fake_ctrlr *fc, const uint32_t *nsids, uint32_t n)
{
	memset(fc->changed_ns, 0, sizeof(fc->changed_ns));
	memcpy(fc->changed_ns, nsids, sizeof(*nsids) * NVTCP_MIN(n, (uint32_t)1024));
}

void
fake_ctrlr_set_ns_blocks(struct fake_ctrlr *fc, uint32_t nsid, uint64_t blocks)
{
	uint32_t idx = nsid - fc->cfg.ns_first;

	if (nsid >= fc->cfg.ns_first && idx < fc->cfg.num_ns) {
		fc->ns_blocks[idx] = blocks;
	}
}

void
fake_ctrlr_set_ns_nguid(struct fake_ctrlr *fc, uint32_t nsid, uint8_t salt)
{
	uint32_t idx = nsid - fc->cfg.ns_first;

	if (nsid >= fc->cfg.ns_first && idx < fc->cfg.num_ns) {
		fc->ns_salt[idx] = salt;
	}
}

uint32_t
fake_ctrlr_num_aborts(const struct fake_ctrlr *fc)
{
	return fc->naborts;
}

uint32_t
fake_ctrlr_num_assocs(const struct fake_ctrlr *fc)
{
	return fc->nassocs;
}

void
fake_ctrlr_drop_all(struct fake_ctrlr *fc)
{
	for (int i = 0; i < fc->nconns; i++) {
		struct fake_conn *c = fc->conns[i];

		if (!c->dead && !fake_sock_is_closed(c->fs)) {
			fake_sock_rx_close(c->fs);
			c->dead = true;
		}
	}
}

uint32_t
fake_ctrlr_cc(const struct fake_ctrlr *fc)
{
	return fc->cc;
}

uint32_t
fake_ctrlr_csts(const struct fake_ctrlr *fc)
{
	return fc->csts;
}

uint32_t
fake_ctrlr_auth_ok(const struct fake_ctrlr *fc)
{
	return fc->auth_ok;
}

uint32_t
fake_ctrlr_auth_failed(const struct fake_ctrlr *fc)
{
	return fc->auth_failed;
}
