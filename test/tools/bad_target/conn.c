/*
 * bad_target: connections. PDU receive (lib/tcp's state machine in the controller role), the
 * IC exchange, data movement (in-capsule data, R2T/H2CData, C2HData) and the CapsuleResp, with
 * the hooks where a case spoils one command's PDUs.
 *
 * This is test tooling, not a datapath: every PDU sent gets its own allocation with a copy of
 * its data, which keeps lifetimes trivial.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bad_target.h"
#include "nvtcp/crc32c.h"
#include "nvtcp/log.h"
#include "nvtcp/util.h"
/* The descriptor, to reset a connection (SO_LINGER 0): lib/sock has no such call. */
#include "sock_internal.h"

#define BT_MAX_XFER (32u * 1024 * 1024)   /* largest transfer a command may ask for */
#define BT_CLOSE_LINGER_US 1000000         /* how long a closing connection may flush */
#define BT_RECV_ROUNDS 16                  /* receive rounds per connection per poll */

static TAILQ_HEAD(, bt_conn) g_conns = TAILQ_HEAD_INITIALIZER(g_conns);
static uint32_t g_nconns;

/* ---- Sending ------------------------------------------------------------------------------- */

struct bt_tx *
bt_tx_new(uint8_t type, const void *data, uint32_t len)
{
	struct bt_tx *tx = calloc(1, sizeof(*tx) + len);

	if (tx == NULL) {
		return NULL;
	}
	nvtcp_tcp_pdu_init(&tx->pdu, type);
	if (len > 0 && data != NULL) {
		memcpy(tx->data, data, len);
	}
	tx->data_iov.iov_base = tx->data;
	tx->data_iov.iov_len = len;
	tx->data_len = len;
	return tx;
}

int
bt_tx_finish(struct bt_conn *c, struct bt_tx *tx)
{
	return nvtcp_tcp_pdu_finish(&tx->pdu, &c->params, tx->data_len > 0 ? &tx->data_iov : NULL,
				    tx->data_len > 0 ? 1 : 0);
}

static void
tx_done(void *arg, int status)
{
	struct bt_tx *tx = arg;

	(void)status;
	tx->conn->tx_inflight--;
	free(tx);
}

void
bt_tx_send(struct bt_conn *c, struct bt_tx *tx)
{
	if (c->sock == NULL || (c->state == BT_CONN_CLOSING && c->close_rst)) {
		free(tx);
		return;
	}
	tx->conn = c;
	tx->pdu.sock_req.cb = tx_done;
	tx->pdu.sock_req.cb_arg = tx;
	c->tx_inflight++;
	nvtcp_sock_writev_async(c->sock, &tx->pdu.sock_req);
	(void)nvtcp_sock_flush(c->sock);
}

int
bt_send_raw(struct bt_conn *c, const void *bytes, uint32_t len)
{
	struct bt_tx *tx = bt_tx_new(0, bytes, len);

	if (tx == NULL) {
		return -ENOMEM;
	}
	tx->pdu.iov[0].iov_base = tx->data;
	tx->pdu.iov[0].iov_len = len;
	tx->pdu.iovcnt = 1;
	tx->pdu.sock_req.iov = tx->pdu.iov;
	tx->pdu.sock_req.iovcnt = 1;
	bt_tx_send(c, tx);
	return 0;
}

void
bt_pdu_fix_hdgst(struct nvtcp_tcp_tx_pdu *pdu)
{
	uint8_t hlen = nvtcp_tcp_pdu_hlen(pdu->hdr.ch.pdu_type);
	uint32_t crc;

	if (hlen != 0 && (size_t)hlen + sizeof(crc) <= sizeof(pdu->raw) &&
	    (pdu->hdr.ch.flags & NVTCP_TCP_FLAG_HDGSTF)) {
		crc = nvtcp_crc32c(pdu->raw, hlen);
		for (size_t i = 0; i < sizeof(crc); i++) {
			pdu->raw[hlen + i] = (uint8_t)(crc >> (8 * i)); /* little-endian */
		}
	}
}

static bool
cmd_is_real(const struct bt_conn *c, const struct bt_cmd *cmd)
{
	return cmd >= c->cmds && cmd < c->cmds + BT_MAX_CMDS;
}

void
bt_cmd_free(struct bt_cmd *cmd)
{
	free(cmd->data);
	memset(cmd, 0, sizeof(*cmd));
}

static void
send_one_resp(struct bt_conn *c, uint16_t cid, uint16_t status, uint32_t cdw0, uint32_t cdw1,
	      enum bt_case_id bad)
{
	struct bt_tx *tx = bt_tx_new(NVTCP_TCP_PDU_CAPSULE_RESP, NULL, 0);
	struct nvtcp_nvme_cpl *cpl;

	if (tx == NULL) {
		return;
	}
	cpl = &tx->pdu.hdr.rsp.rccqe;
	cpl->cdw0 = cdw0;
	cpl->cdw1 = cdw1;
	cpl->sqhd = c->sqhd;
	cpl->sqid = c->qid > 0 ? (uint16_t)c->qid : 0;
	cpl->cid = cid;
	cpl->status = status;
	if (bt_tx_finish(c, tx) != 0) {
		free(tx);
		return;
	}
	switch (bad) {
	case BT_CASE_RESP_BAD_HLEN:
		tx->pdu.hdr.ch.hlen = 16;
		bt_pdu_fix_hdgst(&tx->pdu);
		break;
	case BT_CASE_RESP_BAD_PLEN:
		tx->pdu.hdr.ch.plen += 4;
		bt_pdu_fix_hdgst(&tx->pdu);
		break;
	case BT_CASE_HDGST_ERROR:
		tx->pdu.raw[NVTCP_TCP_CAPSULE_RESP_HLEN] ^= 0x01;
		break;
	case BT_CASE_HDGSTF_MISSING:
		tx->pdu.hdr.ch.flags &= (uint8_t)~NVTCP_TCP_FLAG_HDGSTF;
		break;
	default:
		break;
	}
	bt_tx_send(c, tx);
}

void
bt_send_resp(struct bt_conn *c, struct bt_cmd *cmd, uint16_t status, uint32_t cdw0, uint32_t cdw1)
{
	uint16_t cid = cmd->sqe.cid;

	switch (cmd->bad) {
	case BT_CASE_RESP_BAD_HLEN:
		bt_case_log(c, cmd, "CapsuleResp with hlen 16");
		break;
	case BT_CASE_RESP_BAD_PLEN:
		bt_case_log(c, cmd, "CapsuleResp with plen 4 bytes too long");
		break;
	case BT_CASE_HDGST_ERROR:
		bt_case_log(c, cmd, "CapsuleResp with a wrong header digest");
		break;
	case BT_CASE_HDGSTF_MISSING:
		bt_case_log(c, cmd, "CapsuleResp without HDGSTF (digest bytes still sent)");
		break;
	case BT_CASE_RESP_STALE_CID:
		bt_case_log(c, cmd, "CapsuleResp for CID 0x%04x, completed earlier",
			    c->last_done_cid);
		send_one_resp(c, c->last_done_cid, 0, 0, 0, BT_CASE_NONE);
		break;
	case BT_CASE_RESP_DUPLICATE:
		bt_case_log(c, cmd, "two CapsuleResps for this command");
		send_one_resp(c, cid, status, cdw0, cdw1, BT_CASE_NONE);
		break;
	default:
		break;
	}
	send_one_resp(c, cid, status, cdw0, cdw1, cmd->bad);
	if (cmd_is_real(c, cmd)) {
		c->last_done_cid = cid;
		c->have_last_done = true;
		/* A write answered before its data (resp_during_write) keeps its slot, so that
		 * the data the host may still send is accounted for. */
		if (cmd->state != BT_CMD_WAIT_DATA) {
			bt_cmd_free(cmd);
		}
	}
}

int
bt_send_c2h(struct bt_conn *c, struct bt_cmd *cmd, uint16_t cid, uint32_t off, uint32_t len,
	    uint8_t flags)
{
	static const uint8_t zeros[4096];
	const void *src = off + len <= cmd->len ? cmd->data + off : NULL;
	struct bt_tx *tx;
	int rc;

	if (src == NULL && len > sizeof(zeros)) {
		len = sizeof(zeros);
	}
	tx = bt_tx_new(NVTCP_TCP_PDU_C2H_DATA, src != NULL ? src : zeros, len);
	if (tx == NULL) {
		return -ENOMEM;
	}
	tx->pdu.hdr.c2h_data.cccid = cid;
	tx->pdu.hdr.c2h_data.datao = off;
	tx->pdu.hdr.ch.flags = flags;
	rc = bt_tx_finish(c, tx);
	if (rc != 0) {
		free(tx);
		return rc;
	}
	/* Spoil the first C2HData of the marked command only. */
	if (cmd_is_real(c, cmd) && cmd->state != BT_CMD_FREE) {
		switch (cmd->bad) {
		case BT_CASE_C2H_BAD_PDO:
			bt_case_log(c, cmd, "C2HData pdo %u -> %u", tx->pdu.hdr.ch.pdo,
				    tx->pdu.hdr.ch.pdo + 2);
			tx->pdu.hdr.ch.pdo += 2;
			bt_pdu_fix_hdgst(&tx->pdu);
			cmd->bad = BT_CASE_NONE;
			break;
		case BT_CASE_C2H_BAD_DATAL:
			bt_case_log(c, cmd, "C2HData datal %u -> %u", len, len - 4);
			tx->pdu.hdr.c2h_data.datal = len - 4;
			bt_pdu_fix_hdgst(&tx->pdu);
			cmd->bad = BT_CASE_NONE;
			break;
		case BT_CASE_C2H_PLEN_HUGE:
			bt_case_log(c, cmd, "C2HData plen %u -> 0x7FFFFFF0", tx->pdu.hdr.ch.plen);
			tx->pdu.hdr.ch.plen = 0x7FFFFFF0;
			bt_pdu_fix_hdgst(&tx->pdu);
			cmd->bad = BT_CASE_NONE;
			break;
		case BT_CASE_DDGST_ERROR:
			bt_case_log(c, cmd, "C2HData with a wrong data digest");
			tx->pdu.ddgst[0] ^= 0x01;
			cmd->bad = BT_CASE_NONE;
			break;
		default:
			break;
		}
	}
	bt_tx_send(c, tx);
	return 0;
}

static void
send_r2t(struct bt_conn *c, struct bt_cmd *cmd, uint32_t off, uint32_t len)
{
	struct bt_tx *tx = bt_tx_new(NVTCP_TCP_PDU_R2T, NULL, 0);

	if (tx == NULL) {
		return;
	}
	tx->pdu.hdr.r2t.cccid = cmd->sqe.cid;
	tx->pdu.hdr.r2t.ttag = cmd->ttag;
	tx->pdu.hdr.r2t.r2to = off;
	tx->pdu.hdr.r2t.r2tl = len;
	if (bt_tx_finish(c, tx) != 0) {
		free(tx);
		return;
	}
	bt_tx_send(c, tx);
}

void
bt_send_r2t(struct bt_conn *c, struct bt_cmd *cmd)
{
	uint32_t n = NVTCP_MIN(g_bt.r2t_chunk, cmd->len - cmd->r2t_off);

	cmd->state = BT_CMD_WAIT_DATA;
	cmd->ttag = c->next_ttag++;
	switch (cmd->bad) {
	case BT_CASE_C2H_FOR_WRITE:
		bt_case_log(c, cmd, "C2HData instead of an R2T");
		cmd->state = BT_CMD_DROPPED;
		bt_send_c2h(c, cmd, cmd->sqe.cid, 0, NVTCP_MIN(cmd->len, 4096u),
			    NVTCP_TCP_FLAG_LAST_PDU);
		return;
	case BT_CASE_R2T_BEYOND_END:
		bt_case_log(c, cmd, "R2T offset 0 length %u for a %u-byte transfer", cmd->len + 4096,
			    cmd->len);
		cmd->r2t_off = cmd->len;
		cmd->r2t_pending = cmd->len;
		send_r2t(c, cmd, 0, cmd->len + 4096);
		return;
	case BT_CASE_R2T_ZERO_LEN:
		bt_case_log(c, cmd, "R2T with R2TL 0");
		send_r2t(c, cmd, 0, 0);
		return;
	case BT_CASE_R2T_TOO_MANY: {
		uint32_t k = c->params.maxr2t + 2, piece = cmd->len / k / 4 * 4, off = 0;
		uint8_t burst[(NVTCP_TCP_R2T_HLEN + NVTCP_TCP_DIGEST_LEN) * 64];
		uint32_t blen = 0;

		/* All in one send, so that the host sees them together: R2Ts sent apart could
		 * each be served before the next arrives, and never be outstanding at once. */
		k = NVTCP_MIN(k, 64u);
		bt_case_log(c, cmd, "%u R2Ts in one segment, MAXR2T %u (0's based)", k,
			    c->params.maxr2t);
		for (uint32_t i = 0; i < k; i++) {
			uint32_t len = i + 1 == k ? cmd->len - off : piece;
			struct nvtcp_tcp_tx_pdu pdu;

			nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_R2T);
			pdu.hdr.r2t.cccid = cmd->sqe.cid;
			pdu.hdr.r2t.ttag = (uint16_t)(cmd->ttag + i);
			pdu.hdr.r2t.r2to = off;
			pdu.hdr.r2t.r2tl = len;
			if (nvtcp_tcp_pdu_finish(&pdu, &c->params, NULL, 0) != 0) {
				return;
			}
			memcpy(burst + blen, pdu.raw, pdu.hdr_area_len);
			blen += pdu.hdr_area_len;
			off += len;
		}
		bt_send_raw(c, burst, blen);
		c->next_ttag = (uint16_t)(cmd->ttag + k);
		cmd->r2t_off = cmd->len;
		cmd->r2t_pending = cmd->len;
		return;
	}
	default:
		break;
	}
	cmd->r2t_pending = n;
	send_r2t(c, cmd, cmd->r2t_off, n);
	cmd->r2t_off += n;
	if (cmd->bad == BT_CASE_RESP_DURING_WRITE) {
		bt_case_log(c, cmd, "CapsuleResp right after the R2T, before the data");
		bt_send_resp(c, cmd, 0, 0, 0);
	}
}

/* Cases that spoil a command's CapsuleResp (bt_send_resp()). */
static bool
resp_case(enum bt_case_id id)
{
	switch (id) {
	case BT_CASE_RESP_BAD_HLEN:
	case BT_CASE_RESP_BAD_PLEN:
	case BT_CASE_HDGST_ERROR:
	case BT_CASE_HDGSTF_MISSING:
	case BT_CASE_RESP_STALE_CID:
	case BT_CASE_RESP_DUPLICATE:
		return true;
	default:
		return false;
	}
}

/* Send bytes [from, to) of a command's data in C2HData PDUs of at most --c2h-chunk bytes; the
 * last one carries \p last_flags. */
static void
send_range(struct bt_conn *c, struct bt_cmd *cmd, uint32_t from, uint32_t to, uint8_t last_flags)
{
	uint32_t off = from;

	while (off < to) {
		uint32_t n = NVTCP_MIN(g_bt.c2h_chunk, to - off);

		bt_send_c2h(c, cmd, cmd->sqe.cid, off, n, off + n == to ? last_flags : 0);
		off += n;
	}
}

void
bt_send_data_and_resp(struct bt_conn *c, struct bt_cmd *cmd, uint16_t status, uint32_t cdw0)
{
	uint32_t len = cmd->len, half = len / 2 / 4 * 4;
	uint32_t first = NVTCP_MIN(g_bt.c2h_chunk, len);

	switch (cmd->bad) {
	case BT_CASE_R2T_FOR_READ:
		bt_case_log(c, cmd, "R2T instead of the read data");
		cmd->state = BT_CMD_DROPPED;
		cmd->ttag = c->next_ttag++;
		send_r2t(c, cmd, 0, len);
		return;
	case BT_CASE_SUCCESS_WITHOUT_LAST:
		bt_case_log(c, cmd, "last C2HData with SUCCESS and without LAST_PDU");
		send_range(c, cmd, 0, len, NVTCP_TCP_FLAG_SUCCESS);
		bt_cmd_free(cmd);
		return;
	case BT_CASE_SUCCESS_EARLY:
		bt_case_log(c, cmd, "LAST_PDU|SUCCESS after %u of %u bytes", half, len);
		send_range(c, cmd, 0, half, NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS);
		bt_cmd_free(cmd);
		return;
	case BT_CASE_RESP_BEFORE_DATA: {
		struct bt_cmd copy = *cmd;

		bt_case_log(c, cmd, "CapsuleResp after %u of %u bytes, then the rest", half, len);
		/* The response frees the command: its second half goes from a copy. */
		cmd->data = NULL;
		copy.bad = BT_CASE_NONE;
		send_range(c, &copy, 0, half, 0);
		cmd->bad = BT_CASE_NONE;
		bt_send_resp(c, cmd, status, cdw0, 0);
		send_range(c, &copy, half, len, NVTCP_TCP_FLAG_LAST_PDU);
		free(copy.data);
		return;
	}
	case BT_CASE_LAST_PDU_EARLY:
		bt_case_log(c, cmd, "LAST_PDU after %u of %u bytes, then the rest", half, len);
		send_range(c, cmd, 0, half, NVTCP_TCP_FLAG_LAST_PDU);
		send_range(c, cmd, half, len, NVTCP_TCP_FLAG_LAST_PDU);
		cmd->bad = BT_CASE_NONE;
		bt_send_resp(c, cmd, status, cdw0, 0);
		return;
	case BT_CASE_C2H_OVERLAP:
		bt_case_log(c, cmd, "the first C2HData (%u bytes) twice", first);
		bt_send_c2h(c, cmd, cmd->sqe.cid, 0, first, 0);
		send_range(c, cmd, 0, len, NVTCP_TCP_FLAG_LAST_PDU);
		break;
	case BT_CASE_C2H_OFFSET_GAP:
		bt_case_log(c, cmd, "C2HData from offset 512: the first 512 bytes never come");
		send_range(c, cmd, 512, len, NVTCP_TCP_FLAG_LAST_PDU);
		break;
	case BT_CASE_C2H_BEYOND_END:
		bt_case_log(c, cmd, "C2HData at offset %u, past the %u-byte transfer", len, len);
		send_range(c, cmd, 0, len, 0);
		bt_send_c2h(c, cmd, cmd->sqe.cid, len, 512, NVTCP_TCP_FLAG_LAST_PDU);
		break;
	default:
		send_range(c, cmd, 0, len, NVTCP_TCP_FLAG_LAST_PDU);
		break;
	}
	/* The data cases are done; a response case still spoils the response. */
	if (!resp_case(cmd->bad)) {
		cmd->bad = BT_CASE_NONE;
	}
	bt_send_resp(c, cmd, status, cdw0, 0);
}

void
bt_send_term_req(struct bt_conn *c, uint16_t fes, uint32_t fei, const void *hdr, uint32_t hdr_len)
{
	struct bt_tx *tx = bt_tx_new(0, NULL, 0);

	if (tx == NULL) {
		bt_conn_close(c, true, "out of memory");
		return;
	}
	if (nvtcp_tcp_pdu_term_req(&tx->pdu, NVTCP_TCP_PDU_C2H_TERM_REQ, fes, fei, hdr, hdr_len) != 0) {
		free(tx);
		bt_conn_close(c, true, "cannot build a TermReq");
		return;
	}
	bt_tx_send(c, tx);
	bt_conn_close(c, false, "C2HTermReq sent");
}

/* ---- Receiving ----------------------------------------------------------------------------- */

static struct bt_cmd *
cmd_find(struct bt_conn *c, uint16_t cid)
{
	for (int i = 0; i < BT_MAX_CMDS; i++) {
		if (c->cmds[i].state != BT_CMD_FREE && c->cmds[i].sqe.cid == cid) {
			return &c->cmds[i];
		}
	}
	return NULL;
}

static struct bt_cmd *
cmd_alloc(struct bt_conn *c)
{
	for (int i = 0; i < BT_MAX_CMDS; i++) {
		if (c->cmds[i].state == BT_CMD_FREE) {
			return &c->cmds[i];
		}
	}
	return NULL;
}

/* The host broke the protocol: tell it with a C2HTermReq, as a real controller would. */
static int
host_error(struct bt_conn *c, uint16_t fes, uint32_t fei, const char *what)
{
	printf("bad_target: conn %u qid %d: host error: %s: sending C2HTermReq FES 0x%02x FEI %u\n",
	       c->id, c->qid, what, fes, fei);
	fflush(stdout);
	g_bt.errors_from_host++;
	nvtcp_tcp_rx_fail(&c->rx, fes, fei);
	bt_send_term_req(c, fes, fei, nvtcp_tcp_rx_hdr(&c->rx), NVTCP_TCP_CH_LEN);
	return NVTCP_TCP_RX_STOP;
}

static void
capsule_in(struct bt_conn *c, struct bt_cmd *cmd)
{
	cmd->state = BT_CMD_RECEIVED;
	if (c->sqsize > 0) {
		c->sqhd = (uint16_t)((c->sqhd + 1) % c->sqsize);
	}
	g_bt.cmds_total++;
	if (bt_case_trigger(c, cmd)) {
		cmd->bad = g_bt.case_id;
	}
	if (g_bt.silent) {
		cmd->state = BT_CMD_DROPPED;
		return;
	}
	if (bt_case_on_command(c, cmd)) {
		return;
	}
	bt_cmd_execute(c, cmd);
}

static int
on_icreq(struct bt_conn *c)
{
	const struct nvtcp_tcp_icreq *icreq = &nvtcp_tcp_rx_hdr(&c->rx)->icreq;
	struct nvtcp_tcp_icresp icresp;
	struct nvtcp_tcp_ic_opts opts;
	struct nvtcp_tcp_params params;
	struct nvtcp_tcp_error err;
	bool twice = false;
	int rc;

	if (c->state != BT_CONN_WAIT_ICREQ) {
		return host_error(c, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0, "a second ICReq");
	}
	c->hdgst_requested = (icreq->dgst & NVTCP_TCP_IC_DGST_HDGST) != 0;
	c->ddgst_requested = (icreq->dgst & NVTCP_TCP_IC_DGST_DDGST) != 0;
	nvtcp_tcp_ic_opts_init(&opts);
	opts.hdgst = g_bt.allow_hdgst;
	opts.ddgst = g_bt.allow_ddgst;
	opts.pda = g_bt.cpda;
	opts.maxh2cdata = g_bt.maxh2cdata;
	rc = nvtcp_tcp_icreq_accept(icreq, &opts, &icresp, &params, &err);
	if (rc != 0) {
		return host_error(c, err.fes, err.fei, "invalid ICReq");
	}
	if (bt_case_trigger(c, NULL)) {
		switch (g_bt.case_id) {
		case BT_CASE_NO_ICRESP:
			bt_case_log(c, NULL, "ICReq read, never answered");
			c->state = BT_CONN_SILENT;
			return NVTCP_TCP_RX_STOP;
		case BT_CASE_ICRESP_TWICE:
			bt_case_log(c, NULL, "two ICResps");
			twice = true;
			break;
		case BT_CASE_RESP_BEFORE_ICRESP: {
			uint8_t rsp[24] = {NVTCP_TCP_PDU_CAPSULE_RESP, 0, 24, 0, 24, 0, 0, 0};

			bt_case_log(c, NULL, "a CapsuleResp before the ICResp");
			bt_send_raw(c, rsp, sizeof(rsp));
			break;
		}
		case BT_CASE_ICRESP_BAD_PFV:
			bt_case_log(c, NULL, "ICResp PFV 1");
			icresp.pfv = 1;
			break;
		case BT_CASE_ICRESP_BAD_CPDA:
			bt_case_log(c, NULL, "ICResp CPDA 32");
			icresp.cpda = 32;
			break;
		case BT_CASE_ICRESP_BAD_HLEN:
			bt_case_log(c, NULL, "ICResp hlen 64");
			icresp.ch.hlen = 64;
			break;
		case BT_CASE_ICRESP_BAD_PLEN:
			bt_case_log(c, NULL, "ICResp plen 256");
			icresp.ch.plen = 256;
			break;
		case BT_CASE_ICRESP_MAXH2CDATA_TINY:
			bt_case_log(c, NULL, "ICResp MAXH2CDATA 1024");
			icresp.maxh2cdata = 1024;
			break;
		case BT_CASE_ICRESP_MAXH2CDATA_UNALIGNED:
			bt_case_log(c, NULL, "ICResp MAXH2CDATA 4098");
			icresp.maxh2cdata = 4098;
			break;
		case BT_CASE_ICRESP_MAXH2CDATA_HUGE:
			bt_case_log(c, NULL, "ICResp MAXH2CDATA 0xFFFFFFFC");
			icresp.maxh2cdata = 0xFFFFFFFCu;
			params.maxh2cdata = icresp.maxh2cdata; /* and honour it */
			break;
		case BT_CASE_ICRESP_DGST_UNREQUESTED: {
			uint8_t requested = (c->hdgst_requested ? NVTCP_TCP_IC_DGST_HDGST : 0) |
					    (c->ddgst_requested ? NVTCP_TCP_IC_DGST_DDGST : 0);

			icresp.dgst = (uint8_t)(~requested & 3) | requested;
			bt_case_log(c, NULL, "ICResp DGST 0x%02x, the host asked 0x%02x", icresp.dgst,
				    requested);
			break;
		}
		default:
			break;
		}
	}
	bt_send_raw(c, &icresp, sizeof(icresp));
	if (twice) {
		bt_send_raw(c, &icresp, sizeof(icresp));
	}
	c->params = params;
	if (nvtcp_tcp_rx_set_params(&c->rx, &params) != 0) {
		return host_error(c, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 10, "bad parameters");
	}
	c->state = BT_CONN_READY;
	return 0;
}

static int
on_capsule_hdr(struct bt_conn *c)
{
	const struct nvtcp_nvme_cmd *sqe = &nvtcp_tcp_rx_hdr(&c->rx)->cmd.ccsqe;
	uint32_t data_len = nvtcp_tcp_rx_data_len(&c->rx);
	const struct nvtcp_nvme_sgl_desc *sgl = &sqe->dptr.sgl1;
	struct bt_cmd *cmd;
	uint32_t alloc;

	if (c->state != BT_CONN_READY) {
		return host_error(c, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0, "CapsuleCmd before ICReq");
	}
	if (cmd_find(c, sqe->cid) != NULL) {
		return host_error(c, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0, "CID already outstanding");
	}
	cmd = cmd_alloc(c);
	if (cmd == NULL) {
		return host_error(c, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0, "too many commands");
	}
	memset(cmd, 0, sizeof(*cmd));
	cmd->sqe = *sqe;
	cmd->state = BT_CMD_RECEIVED;
	if (nvtcp_nvme_cmd_data_xfer(sqe) != NVTCP_NVME_DATA_NONE || data_len > 0) {
		cmd->len = sgl->length;
		cmd->incapsule = sgl->id == NVTCP_NVME_SGL_ID_INCAPSULE;
	}
	if (cmd->len > BT_MAX_XFER || (cmd->incapsule && cmd->len > data_len)) {
		/* Answered with an error by bt_cmd_execute() (len checked there); the in-capsule
		 * data, if any, is still read. */
		cmd->len = 0;
		cmd->incapsule = false;
		cmd->sqe.dptr.sgl1.length = UINT32_MAX;
	}
	alloc = NVTCP_MAX(cmd->len, data_len);
	if (alloc > 0) {
		cmd->data = calloc(1, alloc);
		if (cmd->data == NULL) {
			return host_error(c, NVTCP_TCP_FES_DATA_LIMIT_EXCEEDED, 0, "out of memory");
		}
	}
	if (data_len > 0) {
		struct iovec iov = {.iov_base = cmd->data, .iov_len = data_len};

		nvtcp_tcp_rx_set_payload(&c->rx, &iov, 1);
		c->cur = cmd;
		return 0;
	}
	capsule_in(c, cmd);
	return c->state == BT_CONN_CLOSING ? NVTCP_TCP_RX_STOP : 0;
}

static int
on_h2c_hdr(struct bt_conn *c)
{
	const struct nvtcp_tcp_h2c_data *h = &nvtcp_tcp_rx_hdr(&c->rx)->h2c_data;
	struct bt_cmd *cmd = cmd_find(c, h->cccid);
	struct iovec iov;

	if (cmd == NULL || cmd->state != BT_CMD_WAIT_DATA) {
		return host_error(c, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				  offsetof(struct nvtcp_tcp_h2c_data, cccid),
				  "H2CData for a command that awaits no data");
	}
	if (cmd->bad != BT_CASE_R2T_TOO_MANY && h->ttag != cmd->ttag) {
		return host_error(c, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
				  offsetof(struct nvtcp_tcp_h2c_data, ttag), "H2CData with a wrong TTAG");
	}
	if ((uint64_t)h->datao + h->datal > cmd->r2t_off || h->datal > cmd->r2t_pending) {
		return host_error(c, NVTCP_TCP_FES_DATA_OUT_OF_RANGE,
				  offsetof(struct nvtcp_tcp_h2c_data, datao),
				  "H2CData outside the R2T");
	}
	iov.iov_base = cmd->data + h->datao;
	iov.iov_len = h->datal;
	nvtcp_tcp_rx_set_payload(&c->rx, &iov, 1);
	c->cur = cmd;
	return 0;
}

static int
rx_header(void *ctx, struct nvtcp_tcp_rx *rx)
{
	struct bt_conn *c = ctx;
	uint8_t type = nvtcp_tcp_rx_pdu_type(rx);

	switch (type) {
	case NVTCP_TCP_PDU_IC_REQ:
		return on_icreq(c);
	case NVTCP_TCP_PDU_H2C_TERM_REQ: {
		const struct nvtcp_tcp_term_req *t = &nvtcp_tcp_rx_hdr(rx)->term_req;

		printf("bad_target: conn %u qid %d: host sent H2CTermReq FES 0x%02x (%s) FEI %u\n",
		       c->id, c->qid, t->fes, nvtcp_tcp_fes_str(t->fes), t->fei);
		fflush(stdout);
		g_bt.errors_from_host++;
		bt_conn_close(c, false, "host sent H2CTermReq");
		return NVTCP_TCP_RX_STOP;
	}
	case NVTCP_TCP_PDU_CAPSULE_CMD:
		return on_capsule_hdr(c);
	case NVTCP_TCP_PDU_H2C_DATA:
		return on_h2c_hdr(c);
	default:
		/* lib/tcp rejects the types a controller never receives. */
		return host_error(c, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 0, "unexpected PDU type");
	}
}

static int
rx_payload(void *ctx, struct nvtcp_tcp_rx *rx, bool ddgst_ok)
{
	struct bt_conn *c = ctx;
	struct bt_cmd *cmd = c->cur;
	uint8_t type = nvtcp_tcp_rx_pdu_type(rx);

	c->cur = NULL;
	if (cmd == NULL) {
		return 0;
	}
	if (!ddgst_ok) {
		printf("bad_target: conn %u qid %d: data digest error from the host (cid 0x%04x)\n",
		       c->id, c->qid, cmd->sqe.cid);
		fflush(stdout);
		g_bt.errors_from_host++;
		bt_send_resp(c, cmd, nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC,
						       NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR,
						       false), 0, 0);
		return 0;
	}
	if (type == NVTCP_TCP_PDU_CAPSULE_CMD) {
		capsule_in(c, cmd);
	} else {
		uint32_t datal = nvtcp_tcp_rx_hdr(rx)->h2c_data.datal;

		cmd->h2c_rcvd += datal;
		cmd->r2t_pending -= NVTCP_MIN(cmd->r2t_pending, datal);
		if (cmd->h2c_rcvd >= cmd->len) {
			bt_cmd_write_data_done(c, cmd);
		} else if (cmd->r2t_pending == 0) {
			bt_send_r2t(c, cmd);
		}
	}
	return c->state == BT_CONN_CLOSING ? NVTCP_TCP_RX_STOP : 0;
}

/* ---- Life cycle ---------------------------------------------------------------------------- */

int
bt_conn_create(struct nvtcp_sock *sock)
{
	struct bt_conn *c = calloc(1, sizeof(*c));
	struct nvtcp_tcp_rx_opts ro;
	char addr[64] = "?", name[32];
	uint16_t port = 0;
	int rc;

	if (c == NULL) {
		return -ENOMEM;
	}
	c->rbuf = malloc(BT_RXBUF_SIZE);
	if (c->rbuf == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->id = ++g_bt.next_conn_id;
	c->sock = sock;
	c->qid = -1;
	c->rb.buf = c->rbuf;
	c->rb.size = BT_RXBUF_SIZE;
	nvtcp_tcp_params_init(&c->params);
	snprintf(name, sizeof(name), "conn %u", c->id);
	nvtcp_tcp_rx_opts_init(&ro);
	ro.role = NVTCP_TCP_ROLE_CTRLR;
	ro.max_data_len = NVTCP_MAX(NVTCP_MAX(g_bt.maxh2cdata, g_bt.io_incapsule),
				    (uint32_t)BT_ADMIN_INCAPSULE);
	if (bt_case_is(BT_CASE_ICRESP_MAXH2CDATA_HUGE)) {
		ro.max_data_len = BT_MAX_XFER;
	}
	ro.header_cb = rx_header;
	ro.payload_cb = rx_payload;
	ro.cb_ctx = c;
	ro.name = name;
	rc = nvtcp_tcp_rx_init(&c->rx, &ro);
	if (rc != 0) {
		free(c->rbuf);
		free(c);
		return rc;
	}
	TAILQ_INSERT_TAIL(&g_conns, c, link);
	g_nconns++;
	g_bt.conns_total++;
	(void)nvtcp_sock_getaddr(sock, NULL, NULL, addr, &port, sizeof(addr));
	printf("bad_target: conn %u accepted from %s:%u\n", c->id, addr, port);
	fflush(stdout);
	return 0;
}

void
bt_conn_close(struct bt_conn *c, bool rst, const char *why)
{
	if (c->state == BT_CONN_CLOSING) {
		c->close_rst |= rst;
		return;
	}
	c->state = BT_CONN_CLOSING;
	c->close_rst = rst;
	c->close_deadline_us = bt_now_us() + BT_CLOSE_LINGER_US;
	printf("bad_target: conn %u qid %d closing (%s): %s\n", c->id, c->qid, rst ? "reset" : "FIN",
	       why);
	fflush(stdout);
}

static void
conn_free(struct bt_conn *c)
{
	if (c->sock != NULL) {
		if (c->close_rst && c->sock->fd >= 0) {
			struct linger lg = {.l_onoff = 1, .l_linger = 0};

			(void)setsockopt(c->sock->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		/* Queued PDUs complete (and are freed) from inside the close. */
		nvtcp_sock_close(&c->sock);
	}
	bt_ctrlr_conn_gone(c);
	for (int i = 0; i < BT_MAX_CMDS; i++) {
		free(c->cmds[i].data);
	}
	TAILQ_REMOVE(&g_conns, c, link);
	g_nconns--;
	free(c->rbuf);
	free(c);
}

/* A silent connection reads and drops everything, so the host's sends never block. */
static bool
conn_drain(struct bt_conn *c)
{
	struct iovec iov = {.iov_base = c->rbuf, .iov_len = BT_RXBUF_SIZE};
	ssize_t n = nvtcp_sock_readv(c->sock, &iov, 1);

	if (n == -EAGAIN) {
		return false;
	}
	if (n <= 0) {
		printf("bad_target: conn %u qid %d: the host closed the connection\n", c->id, c->qid);
		fflush(stdout);
		bt_conn_close(c, false, "closed by the host");
	}
	return true;
}

static bool
conn_recv(struct bt_conn *c)
{
	bool progress = false;

	for (int round = 0; round < BT_RECV_ROUNDS && c->state != BT_CONN_CLOSING; round++) {
		struct iovec iov[NVTCP_TCP_PDU_MAX_DATA_IOV];
		size_t direct = 0;
		ssize_t n;
		int rc, niov;

		if (c->state == BT_CONN_SILENT || (g_bt.silent && c->state == BT_CONN_READY &&
						    g_bt.case_id == BT_CASE_NEVER_ANSWER)) {
			return conn_drain(c) || progress;
		}
		rc = nvtcp_tcp_rx_process(&c->rx, &c->rb);
		if (rc == -EPROTO && c->state != BT_CONN_CLOSING) {
			const struct nvtcp_tcp_error *e = nvtcp_tcp_rx_error(&c->rx);
			struct bt_tx *tx = bt_tx_new(0, NULL, 0);

			printf("bad_target: conn %u qid %d: host framing error FES 0x%02x FEI %u: "
			       "sending C2HTermReq\n", c->id, c->qid, e->fes, e->fei);
			fflush(stdout);
			g_bt.errors_from_host++;
			if (tx != NULL && nvtcp_tcp_pdu_term_req_from_rx(&tx->pdu, &c->rx) == 0) {
				bt_tx_send(c, tx);
			} else {
				free(tx);
			}
			bt_conn_close(c, false, "framing error");
			return true;
		}
		if (rc != 0 || c->state == BT_CONN_CLOSING || c->state == BT_CONN_SILENT) {
			return true;
		}
		niov = nvtcp_tcp_rx_direct_iov(&c->rx, iov, NVTCP_TCP_PDU_MAX_DATA_IOV);
		n = nvtcp_sock_recv_rxbuf(c->sock, &c->rb, iov, niov, &direct);
		if (n == -EAGAIN) {
			break;
		}
		if (n < 0) {
			printf("bad_target: conn %u qid %d: the host closed the connection (%zd)\n",
			       c->id, c->qid, n);
			fflush(stdout);
			bt_conn_close(c, false, "closed by the host");
			return true;
		}
		progress = true;
		nvtcp_tcp_rx_direct_done(&c->rx, direct);
	}
	return progress;
}

bool
bt_conns_poll(void)
{
	struct bt_conn *c, *next;
	bool progress = false;

	for (c = TAILQ_FIRST(&g_conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (c->state != BT_CONN_CLOSING) {
			progress |= conn_recv(c);
			if (c->sock != NULL) {
				(void)nvtcp_sock_flush(c->sock);
			}
		}
		if (c->state == BT_CONN_CLOSING) {
			if (c->sock != NULL) {
				(void)nvtcp_sock_flush(c->sock);
			}
			if (c->close_rst || c->tx_inflight == 0 || bt_now_us() >= c->close_deadline_us) {
				conn_free(c);
				progress = true;
			}
		}
	}
	return progress;
}

uint32_t
bt_conns_count(void)
{
	return g_nconns;
}

void
bt_conns_close_all(void)
{
	struct bt_conn *c;

	while ((c = TAILQ_FIRST(&g_conns)) != NULL) {
		if (c->state != BT_CONN_CLOSING) {
			bt_conn_close(c, false, "target exit");
		}
		conn_free(c);
	}
}
