/*
 * bad_target: the misbehaviours.
 *
 * A case names one way of breaking the protocol. Most act on one command: the one that matches
 * the case's need (a Read, a Write with R2T, a Keep Alive...) after --after such commands on the
 * --qid queue. The command is marked (cmd->bad) and the send paths in conn.c spoil exactly that
 * command's PDUs; the cases that act at once (silence, TermReq, a PDU the host must never
 * receive) do so here. Value cases serve an absurd value from the start.
 *
 * Every action logs one "TRIGGERED" line naming the case, the connection, the queue and the
 * command, so that a host test can match the host's reaction to the cause.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bad_target.h"
#include "nvtcp/util.h"

static const struct bt_case g_cases[BT_CASE_COUNT] = {
	[BT_CASE_NONE] = {"none", BT_NEED_VALUE, "behave correctly (a reference run)"},
	[BT_CASE_NO_ICRESP] = {"no_icresp", BT_NEED_IC,
		"read the ICReq and never answer it"},
	[BT_CASE_ICRESP_TWICE] = {"icresp_twice", BT_NEED_IC,
		"send a second ICResp right after the first"},
	[BT_CASE_RESP_BEFORE_ICRESP] = {"resp_before_icresp", BT_NEED_IC,
		"send a CapsuleResp before the ICResp"},
	[BT_CASE_ICRESP_BAD_PFV] = {"icresp_bad_pfv", BT_NEED_IC, "ICResp with PFV 1"},
	[BT_CASE_ICRESP_BAD_CPDA] = {"icresp_bad_cpda", BT_NEED_IC, "ICResp with CPDA 32 (> 31)"},
	[BT_CASE_ICRESP_BAD_HLEN] = {"icresp_bad_hlen", BT_NEED_IC,
		"ICResp with hlen 64 (128 bytes sent)"},
	[BT_CASE_ICRESP_BAD_PLEN] = {"icresp_bad_plen", BT_NEED_IC,
		"ICResp with plen 256 (128 bytes sent)"},
	[BT_CASE_ICRESP_MAXH2CDATA_TINY] = {"icresp_maxh2cdata_tiny", BT_NEED_IC,
		"ICResp with MAXH2CDATA 1024 (below 4096)"},
	[BT_CASE_ICRESP_MAXH2CDATA_UNALIGNED] = {"icresp_maxh2cdata_unaligned", BT_NEED_IC,
		"ICResp with MAXH2CDATA 4098 (not a multiple of 4)"},
	[BT_CASE_ICRESP_MAXH2CDATA_HUGE] = {"icresp_maxh2cdata_huge", BT_NEED_IC,
		"ICResp with MAXH2CDATA 0xFFFFFFFC (legal but absurd)"},
	[BT_CASE_ICRESP_DGST_UNREQUESTED] = {"icresp_dgst_unrequested", BT_NEED_IC,
		"ICResp enables a digest the host did not request"},
	[BT_CASE_CAPSULE_CMD_TO_HOST] = {"capsule_cmd_to_host", BT_NEED_ANY,
		"send a CapsuleCmd PDU to the host"},
	[BT_CASE_H2C_DATA_TO_HOST] = {"h2c_data_to_host", BT_NEED_ANY,
		"send an H2CData PDU to the host"},
	[BT_CASE_ICREQ_TO_HOST] = {"icreq_to_host", BT_NEED_ANY, "send an ICReq to the host"},
	[BT_CASE_UNKNOWN_PDU_TYPE] = {"unknown_pdu_type", BT_NEED_ANY,
		"send a PDU of the undefined type 0x0A"},
	[BT_CASE_R2T_FOR_READ] = {"r2t_for_read", BT_NEED_READ,
		"answer a Read with an R2T instead of data"},
	[BT_CASE_C2H_FOR_WRITE] = {"c2h_for_write", BT_NEED_WRITE_R2T,
		"answer a Write with C2HData instead of an R2T"},
	[BT_CASE_RESP_BAD_HLEN] = {"resp_bad_hlen", BT_NEED_ANY, "CapsuleResp with hlen 16"},
	[BT_CASE_RESP_BAD_PLEN] = {"resp_bad_plen", BT_NEED_ANY,
		"CapsuleResp whose plen claims 4 more bytes"},
	[BT_CASE_C2H_BAD_PDO] = {"c2h_bad_pdo", BT_NEED_C2H,
		"C2HData with a pdo that breaks the data alignment"},
	[BT_CASE_C2H_BAD_DATAL] = {"c2h_bad_datal", BT_NEED_C2H,
		"C2HData whose datal disagrees with plen and pdo"},
	[BT_CASE_C2H_PLEN_HUGE] = {"c2h_plen_huge", BT_NEED_C2H,
		"C2HData with plen 0x7FFFFFF0"},
	[BT_CASE_HDGSTF_MISSING] = {"hdgstf_missing", BT_NEED_ANY,
		"CapsuleResp without HDGSTF while header digests are on (needs --hdgst host)"},
	[BT_CASE_RESP_UNKNOWN_CID] = {"resp_unknown_cid", BT_NEED_ANY,
		"a CapsuleResp for a CID the host never sent"},
	[BT_CASE_RESP_DUPLICATE] = {"resp_duplicate", BT_NEED_ANY,
		"two CapsuleResps for one command"},
	[BT_CASE_RESP_STALE_CID] = {"resp_stale_cid", BT_NEED_ANY,
		"a second CapsuleResp for a command completed earlier"},
	[BT_CASE_C2H_UNKNOWN_CID] = {"c2h_unknown_cid", BT_NEED_ANY,
		"C2HData for a CID the host never sent"},
	[BT_CASE_R2T_UNKNOWN_CID] = {"r2t_unknown_cid", BT_NEED_ANY,
		"R2T for a CID the host never sent"},
	[BT_CASE_C2H_BEYOND_END] = {"c2h_beyond_end", BT_NEED_C2H,
		"C2HData past the end of the transfer"},
	[BT_CASE_C2H_OFFSET_GAP] = {"c2h_offset_gap", BT_NEED_C2H,
		"C2HData that skips the first 512 bytes"},
	[BT_CASE_C2H_OVERLAP] = {"c2h_overlap", BT_NEED_C2H,
		"the first C2HData sent twice"},
	[BT_CASE_SUCCESS_WITHOUT_LAST] = {"success_without_last", BT_NEED_C2H,
		"C2HData with SUCCESS but without LAST_PDU"},
	[BT_CASE_SUCCESS_EARLY] = {"success_early", BT_NEED_C2H,
		"LAST_PDU|SUCCESS on a C2HData that carries only half the data"},
	[BT_CASE_RESP_BEFORE_DATA] = {"resp_before_data", BT_NEED_C2H,
		"a successful CapsuleResp after half the data, then the rest"},
	[BT_CASE_LAST_PDU_EARLY] = {"last_pdu_early", BT_NEED_C2H,
		"LAST_PDU on the first half of the data, then the second half"},
	[BT_CASE_RESP_DURING_WRITE] = {"resp_during_write", BT_NEED_WRITE_R2T,
		"a CapsuleResp right after the R2T, while the write data is still to come"},
	[BT_CASE_R2T_BEYOND_END] = {"r2t_beyond_end", BT_NEED_WRITE_R2T,
		"an R2T for 4 KiB more than the transfer"},
	[BT_CASE_R2T_ZERO_LEN] = {"r2t_zero_len", BT_NEED_WRITE_R2T, "an R2T with R2TL 0"},
	[BT_CASE_R2T_TOO_MANY] = {"r2t_too_many", BT_NEED_WRITE_R2T,
		"more R2Ts outstanding for one command than MAXR2T allows"},
	[BT_CASE_HDGST_ERROR] = {"hdgst_error", BT_NEED_ANY,
		"a CapsuleResp with a wrong header digest (needs a host with header digests)"},
	[BT_CASE_DDGST_ERROR] = {"ddgst_error", BT_NEED_C2H,
		"a C2HData with a wrong data digest (needs a host with data digests)"},
	[BT_CASE_C2H_TERM_REQ] = {"c2h_term_req", BT_NEED_ANY,
		"send a C2HTermReq (PDU Sequence Error) and close"},
	[BT_CASE_CLOSE_RST] = {"close_rst", BT_NEED_ANY, "reset the connection"},
	[BT_CASE_CLOSE_FIN] = {"close_fin", BT_NEED_ANY, "close the connection (FIN)"},
	[BT_CASE_NEVER_ANSWER] = {"never_answer", BT_NEED_ANY,
		"from that command on, answer nothing on any connection (keep reading)"},
	[BT_CASE_DROP_ONE] = {"drop_one", BT_NEED_ANY,
		"never answer that one command; answer the others"},
	[BT_CASE_NO_KEEPALIVE_REPLY] = {"no_keepalive_reply", BT_NEED_KEEPALIVE,
		"from then on, never answer a Keep Alive"},
	[BT_CASE_CONNECT_REJECT] = {"connect_reject", BT_NEED_CONNECT,
		"fail a Connect with Connect Invalid Parameters (SUBNQN)"},
	[BT_CASE_CONNECT_CNTLID_MISMATCH] = {"connect_cntlid_mismatch", BT_NEED_CONNECT_IO,
		"answer an I/O queue Connect with another controller ID"},
	[BT_CASE_CSTS_NEVER_READY] = {"csts_never_ready", BT_NEED_VALUE,
		"CSTS.RDY never becomes 1"},
	[BT_CASE_CSTS_CFS] = {"csts_cfs", BT_NEED_VALUE,
		"CSTS reports a fatal status (CFS) once enabled"},
	[BT_CASE_MDTS_ABSURD] = {"mdts_absurd", BT_NEED_VALUE, "Identify Controller MDTS 255"},
	[BT_CASE_IOCCSZ_TINY] = {"ioccsz_tiny", BT_NEED_VALUE,
		"IOCCSZ 0 (less than the 64-byte command)"},
	[BT_CASE_IOCCSZ_HUGE] = {"ioccsz_huge", BT_NEED_VALUE, "IOCCSZ 0xFFFFFFFF"},
	[BT_CASE_NN_HUGE] = {"nn_huge", BT_NEED_VALUE, "NN 0xFFFFFFFF"},
	[BT_CASE_NS_LIST_ABSURD] = {"ns_list_absurd", BT_NEED_VALUE,
		"active namespace list unsorted, with duplicates and 0xFFFFFFFF"},
	[BT_CASE_MQES_ZERO] = {"mqes_zero", BT_NEED_VALUE, "CAP.MQES 0 (a one-entry queue)"},
	[BT_CASE_LBA_SIZE_ABSURD] = {"lba_size_absurd", BT_NEED_VALUE,
		"namespace LBADS 255 (a 2^255-byte block)"},
	[BT_CASE_NSZE_ZERO] = {"nsze_zero", BT_NEED_VALUE, "namespace of size 0"},
	[BT_CASE_NUMREC_HUGE] = {"numrec_huge", BT_NEED_VALUE,
		"discovery log NUMREC 2^62"},
	[BT_CASE_GENCTR_CHURN] = {"genctr_churn", BT_NEED_VALUE,
		"discovery log GENCTR changes on every read"},
	[BT_CASE_NOQ_EXCESS] = {"noq_excess", BT_NEED_VALUE,
		"Number of Queues grants 65535 queues, more than asked"},
};

const struct bt_case *
bt_case_get(enum bt_case_id id)
{
	return id < BT_CASE_COUNT ? &g_cases[id] : &g_cases[BT_CASE_NONE];
}

enum bt_case_id
bt_case_find(const char *name)
{
	for (int i = 0; i < BT_CASE_COUNT; i++) {
		if (g_cases[i].name != NULL && strcmp(g_cases[i].name, name) == 0) {
			return (enum bt_case_id)i;
		}
	}
	return BT_CASE_COUNT;
}

static const char *
need_str(enum bt_need need)
{
	switch (need) {
	case BT_NEED_IC: return "a connection";
	case BT_NEED_ANY: return "any command";
	case BT_NEED_READ: return "a Read";
	case BT_NEED_C2H: return "a command returning data";
	case BT_NEED_WRITE_R2T: return "a Write by R2T";
	case BT_NEED_KEEPALIVE: return "a Keep Alive";
	case BT_NEED_CONNECT_IO: return "an I/O queue Connect";
	case BT_NEED_CONNECT: return "a Connect";
	case BT_NEED_VALUE: return "from the start";
	default: return "?";
	}
}

void
bt_case_list(void)
{
	for (int i = 0; i < BT_CASE_COUNT; i++) {
		printf("%-28s %-26s %s\n", g_cases[i].name, need_str(g_cases[i].need),
		       g_cases[i].desc);
	}
}

uint64_t
bt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
bt_case_log(struct bt_conn *c, const struct bt_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	printf("bad_target: TRIGGERED case=%s conn=%u qid=%d", bt_case_get(g_bt.case_id)->name,
	       c != NULL ? c->id : 0, c != NULL ? c->qid : -1);
	if (cmd != NULL) {
		printf(" cid=0x%04x opc=0x%02x", cmd->sqe.cid, cmd->sqe.opc);
	}
	printf(": ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
bt_case_value_served(struct bt_conn *c, const char *what)
{
	g_bt.triggered++;
	if (g_bt.triggered == 1 || g_bt.repeat) {
		bt_case_log(c, NULL, "served %s", what);
	}
}

/* Whether a command matches a need. */
static bool
cmd_matches(const struct bt_conn *c, const struct bt_cmd *cmd, enum bt_need need)
{
	const struct nvtcp_nvme_cmd *sqe = &cmd->sqe;
	bool fabrics = sqe->opc == NVTCP_NVME_OPC_FABRICS;
	bool connect = fabrics && nvtcp_nvmf_cmd_fctype(sqe) == NVTCP_NVMF_FCTYPE_CONNECT;

	switch (need) {
	case BT_NEED_ANY:
		return true;
	case BT_NEED_READ:
		return c->qid > 0 && !fabrics && sqe->opc == NVTCP_NVME_OPC_READ;
	case BT_NEED_C2H:
		return cmd->len > 0 && nvtcp_nvme_cmd_data_xfer(sqe) == NVTCP_NVME_DATA_CTRLR_TO_HOST &&
		       (c->qid > 0 || sqe->opc == NVTCP_NVME_OPC_IDENTIFY ||
			sqe->opc == NVTCP_NVME_OPC_GET_LOG_PAGE);
	case BT_NEED_WRITE_R2T:
		return c->qid > 0 && !fabrics && sqe->opc == NVTCP_NVME_OPC_WRITE && cmd->len > 0 &&
		       !cmd->incapsule;
	case BT_NEED_KEEPALIVE:
		return c->qid == 0 && sqe->opc == NVTCP_NVME_OPC_KEEP_ALIVE;
	case BT_NEED_CONNECT_IO:
		return connect && ((const struct nvtcp_nvmf_connect_cmd *)sqe)->qid != 0;
	case BT_NEED_CONNECT:
		return connect;
	default:
		return false;
	}
}

/* Cases that can only act on a connection with digests, or with history. */
static bool
case_applies(const struct bt_conn *c, enum bt_case_id id)
{
	switch (id) {
	case BT_CASE_HDGST_ERROR:
	case BT_CASE_HDGSTF_MISSING:
		return c->params.hdgst;
	case BT_CASE_DDGST_ERROR:
		return c->params.ddgst;
	case BT_CASE_RESP_STALE_CID:
		return c->have_last_done;
	case BT_CASE_ICRESP_DGST_UNREQUESTED:
		return !(c->hdgst_requested && c->ddgst_requested);
	case BT_CASE_SUCCESS_EARLY:
	case BT_CASE_RESP_BEFORE_DATA:
	case BT_CASE_LAST_PDU_EARLY:
		return true; /* checked on the command: it needs at least 8 bytes */
	default:
		return true;
	}
}

bool
bt_case_trigger(struct bt_conn *c, const struct bt_cmd *cmd)
{
	const struct bt_case *cs = bt_case_get(g_bt.case_id);
	int qid;

	if (g_bt.case_id == BT_CASE_NONE || cs->need == BT_NEED_VALUE) {
		return false;
	}
	if (cmd == NULL) {
		if (cs->need != BT_NEED_IC) {
			return false;
		}
		qid = -1; /* not known before Connect */
	} else {
		if (cs->need == BT_NEED_IC || !cmd_matches(c, cmd, cs->need)) {
			return false;
		}
		qid = c->qid;
		if (cmd->sqe.opc == NVTCP_NVME_OPC_FABRICS &&
		    nvtcp_nvmf_cmd_fctype(&cmd->sqe) == NVTCP_NVMF_FCTYPE_CONNECT) {
			qid = ((const struct nvtcp_nvmf_connect_cmd *)&cmd->sqe)->qid;
		}
		if ((g_bt.case_id == BT_CASE_SUCCESS_EARLY || g_bt.case_id == BT_CASE_RESP_BEFORE_DATA ||
		     g_bt.case_id == BT_CASE_LAST_PDU_EARLY || g_bt.case_id == BT_CASE_C2H_OFFSET_GAP) &&
		    cmd->len < 1024) {
			return false; /* the data must split into two real halves */
		}
		if (g_bt.case_id == BT_CASE_R2T_TOO_MANY &&
		    cmd->len < (c->params.maxr2t + 2) * 512u) {
			return false;
		}
	}
	if (g_bt.qid >= 0 && qid >= 0 && qid != g_bt.qid) {
		return false;
	}
	if (!case_applies(c, g_bt.case_id)) {
		return false;
	}
	g_bt.eligible_seen++;
	if (g_bt.eligible_seen <= g_bt.after) {
		return false;
	}
	if (g_bt.triggered > 0 && !g_bt.repeat) {
		return false;
	}
	g_bt.triggered++;
	return true;
}

/* A CID that is not outstanding on this connection. */
static uint16_t
unknown_cid(const struct bt_conn *c, uint16_t near)
{
	uint16_t cid = near ^ 0x8000;

	for (;;) {
		bool used = false;

		for (int i = 0; i < BT_MAX_CMDS; i++) {
			if (c->cmds[i].state != BT_CMD_FREE && c->cmds[i].sqe.cid == cid) {
				used = true;
				break;
			}
		}
		if (!used) {
			return cid;
		}
		cid++;
	}
}

static void
send_bogus(struct bt_conn *c, uint8_t type, uint16_t cid)
{
	static const uint8_t zeros[512];
	struct bt_tx *tx;

	switch (type) {
	case NVTCP_TCP_PDU_CAPSULE_CMD:
		tx = bt_tx_new(type, NULL, 0);
		if (tx != NULL) {
			tx->pdu.hdr.cmd.ccsqe.opc = NVTCP_NVME_OPC_READ;
			tx->pdu.hdr.cmd.ccsqe.cid = cid;
		}
		break;
	case NVTCP_TCP_PDU_H2C_DATA:
		tx = bt_tx_new(type, zeros, sizeof(zeros));
		if (tx != NULL) {
			tx->pdu.hdr.h2c_data.cccid = cid;
			tx->pdu.hdr.h2c_data.datao = 0;
		}
		break;
	default:
		tx = NULL;
		break;
	}
	if (tx == NULL || bt_tx_finish(c, tx) != 0) {
		free(tx);
		return;
	}
	bt_tx_send(c, tx);
}

bool
bt_case_on_command(struct bt_conn *c, struct bt_cmd *cmd)
{
	uint16_t cid = cmd->sqe.cid;

	/* Sticky silence on Keep Alives once the case has triggered. */
	if (bt_case_is(BT_CASE_NO_KEEPALIVE_REPLY) && g_bt.triggered > 0 && cmd->bad == BT_CASE_NONE &&
	    cmd_matches(c, cmd, BT_NEED_KEEPALIVE)) {
		cmd->state = BT_CMD_DROPPED;
		bt_case_log(c, cmd, "Keep Alive not answered");
		return true;
	}
	switch (cmd->bad) {
	case BT_CASE_NEVER_ANSWER:
		g_bt.silent = true;
		cmd->state = BT_CMD_DROPPED;
		bt_case_log(c, cmd, "from now on no command is answered");
		return true;
	case BT_CASE_DROP_ONE:
	case BT_CASE_NO_KEEPALIVE_REPLY:
		cmd->state = BT_CMD_DROPPED;
		bt_case_log(c, cmd, "command not answered");
		return true;
	case BT_CASE_C2H_TERM_REQ:
		bt_case_log(c, cmd, "sending C2HTermReq FES 0x02 and closing");
		bt_send_term_req(c, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0, &cmd->sqe, 64);
		return true;
	case BT_CASE_CLOSE_RST:
		bt_case_log(c, cmd, "resetting the connection");
		bt_conn_close(c, true, "case close_rst");
		return true;
	case BT_CASE_CLOSE_FIN:
		bt_case_log(c, cmd, "closing the connection");
		bt_conn_close(c, false, "case close_fin");
		return true;
	case BT_CASE_CAPSULE_CMD_TO_HOST:
		bt_case_log(c, cmd, "sending a CapsuleCmd to the host");
		send_bogus(c, NVTCP_TCP_PDU_CAPSULE_CMD, cid);
		return false;
	case BT_CASE_H2C_DATA_TO_HOST:
		bt_case_log(c, cmd, "sending an H2CData to the host");
		send_bogus(c, NVTCP_TCP_PDU_H2C_DATA, cid);
		return false;
	case BT_CASE_ICREQ_TO_HOST: {
		struct nvtcp_tcp_icreq icreq;
		struct nvtcp_tcp_ic_opts o;

		nvtcp_tcp_ic_opts_init(&o);
		nvtcp_tcp_icreq_build(&icreq, &o);
		bt_case_log(c, cmd, "sending an ICReq to the host");
		bt_send_raw(c, &icreq, sizeof(icreq));
		return false;
	}
	case BT_CASE_UNKNOWN_PDU_TYPE: {
		uint8_t pdu[24] = {0x0A, 0, 24, 0, 24, 0, 0, 0};

		bt_case_log(c, cmd, "sending a PDU of type 0x0A");
		bt_send_raw(c, pdu, sizeof(pdu));
		return false;
	}
	case BT_CASE_RESP_UNKNOWN_CID: {
		struct bt_cmd fake = *cmd;

		fake.sqe.cid = unknown_cid(c, cid);
		fake.bad = BT_CASE_NONE;
		bt_case_log(c, cmd, "CapsuleResp for CID 0x%04x, never sent", fake.sqe.cid);
		bt_send_resp(c, &fake, 0, 0, 0);
		return false;
	}
	case BT_CASE_C2H_UNKNOWN_CID: {
		static uint8_t zeros[512];
		struct bt_cmd fake = *cmd;
		uint16_t bogus = unknown_cid(c, cid);

		fake.data = zeros;
		fake.len = sizeof(zeros);
		fake.bad = BT_CASE_NONE;
		bt_case_log(c, cmd, "C2HData for CID 0x%04x, never sent", bogus);
		bt_send_c2h(c, &fake, bogus, 0, sizeof(zeros), NVTCP_TCP_FLAG_LAST_PDU);
		return false;
	}
	case BT_CASE_R2T_UNKNOWN_CID: {
		struct bt_tx *tx = bt_tx_new(NVTCP_TCP_PDU_R2T, NULL, 0);
		uint16_t bogus = unknown_cid(c, cid);

		if (tx == NULL) {
			return false;
		}
		tx->pdu.hdr.r2t.cccid = bogus;
		tx->pdu.hdr.r2t.ttag = 0x7777;
		tx->pdu.hdr.r2t.r2to = 0;
		tx->pdu.hdr.r2t.r2tl = 4096;
		if (bt_tx_finish(c, tx) != 0) {
			free(tx);
			return false;
		}
		bt_case_log(c, cmd, "R2T for CID 0x%04x, never sent", bogus);
		bt_tx_send(c, tx);
		return false;
	}
	case BT_CASE_CONNECT_REJECT:
		bt_case_log(c, cmd, "Connect rejected: Connect Invalid Parameters, SUBNQN");
		bt_send_resp(c, cmd, nvtcp_nvme_status(NVTCP_NVME_SCT_COMMAND_SPECIFIC,
						       NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS, true),
			     nvtcp_nvmf_connect_rsp_invalid(true, 256), 0);
		return true;
	default:
		return false;
	}
}
