/*
 * bad_target: command execution. Fabrics (Connect, Property Get/Set, Disconnect), the admin
 * commands a host needs to attach (Identify, Set/Get Features, Keep Alive, Get Log Page,
 * Asynchronous Event Request, Abort) and NVM I/O on one RAM namespace; and a discovery
 * controller whose log names the NVM subsystem. Value cases (absurd MDTS, NN, CAP.MQES...)
 * change what is served here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bad_target.h"
#include "nvtcp/util.h"

#define BT_DISC_LOG_ENTRIES 1

static uint16_t
st(uint8_t sct, uint8_t sc)
{
	return nvtcp_nvme_status(sct, sc, true);
}

#define ST_OK 0
#define ST_INVALID_FIELD st(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD)
#define ST_INVALID_OPCODE st(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_OPCODE)
#define ST_INVALID_NS st(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT)
#define ST_SEQUENCE st(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR)
#define ST_SGL_LENGTH st(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID)
#define ST_LBA_RANGE st(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_LBA_OUT_OF_RANGE)

static void
set_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	memset(dst, ' ', size);
	memcpy(dst, src, NVTCP_MIN(n, size));
}

static void
fail(struct bt_conn *c, struct bt_cmd *cmd, uint16_t status, uint32_t cdw0)
{
	bt_send_resp(c, cmd, status, cdw0, 0);
}

/* ---- Fabrics ------------------------------------------------------------------------------- */

static struct bt_ctrlr *
ctrlr_new(bool discovery)
{
	for (int i = 0; i < BT_MAX_CTRLRS; i++) {
		struct bt_ctrlr *ct = &g_bt.ctrlrs[i];

		if (!ct->used) {
			memset(ct, 0, sizeof(*ct));
			ct->used = true;
			ct->discovery = discovery;
			ct->cntlid = ++g_bt.next_cntlid;
			if (g_bt.next_cntlid >= NVTCP_NVMF_CNTLID_MAX) {
				g_bt.next_cntlid = 0;
			}
			ct->num_io_queues = g_bt.max_io_queues;
			return ct;
		}
	}
	return NULL;
}

static struct bt_ctrlr *
ctrlr_find(uint16_t cntlid)
{
	for (int i = 0; i < BT_MAX_CTRLRS; i++) {
		if (g_bt.ctrlrs[i].used && g_bt.ctrlrs[i].cntlid == cntlid) {
			return &g_bt.ctrlrs[i];
		}
	}
	return NULL;
}

void
bt_ctrlr_conn_gone(struct bt_conn *c)
{
	if (c->ctrlr != NULL && c->qid == 0) {
		/* The admin queue goes: so does the controller (I/O connections that still refer
		 * to it fail their next Connect-dependent step). */
		c->ctrlr->used = false;
	}
	c->ctrlr = NULL;
}

static void
connect_cmd(struct bt_conn *c, struct bt_cmd *cmd)
{
	const struct nvtcp_nvmf_connect_cmd *cc = (const void *)&cmd->sqe;
	struct nvtcp_nvmf_connect_data *d = (void *)cmd->data;
	char subnqn[NVTCP_NVMF_NQN_FIELD_LEN + 1];
	struct bt_ctrlr *ct;
	uint32_t cntlid;

	if (c->qid >= 0) {
		fail(c, cmd, ST_SEQUENCE, 0);
		return;
	}
	if (cmd->data == NULL || cmd->len < sizeof(*d) || !cmd->incapsule) {
		fail(c, cmd, ST_SGL_LENGTH, 0);
		return;
	}
	if (cc->recfmt != 0) {
		fail(c, cmd, st(NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_INCOMPATIBLE_FORMAT), 0);
		return;
	}
	memcpy(subnqn, d->subnqn, NVTCP_NVMF_NQN_FIELD_LEN);
	subnqn[NVTCP_NVMF_NQN_FIELD_LEN] = '\0';
	if (cc->sqsize == 0 || cc->sqsize > g_bt.mqes) {
		fail(c, cmd, st(NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS),
		     nvtcp_nvmf_connect_rsp_invalid(false, offsetof(struct nvtcp_nvmf_connect_cmd,
								     sqsize)));
		return;
	}
	if (cc->qid == 0) {
		bool disc = strcmp(subnqn, NVTCP_NVMF_DISCOVERY_NQN) == 0;

		if (!disc && strcmp(subnqn, g_bt.subnqn) != 0) {
			fail(c, cmd, st(NVTCP_NVME_SCT_COMMAND_SPECIFIC,
					NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS),
			     nvtcp_nvmf_connect_rsp_invalid(true, offsetof(struct nvtcp_nvmf_connect_data,
									   subnqn)));
			return;
		}
		ct = ctrlr_new(disc);
		if (ct == NULL) {
			fail(c, cmd, st(NVTCP_NVME_SCT_COMMAND_SPECIFIC,
					NVTCP_NVMF_SC_CONTROLLER_BUSY), 0);
			return;
		}
		ct->kato = cc->kato;
		memcpy(ct->hostnqn, d->hostnqn, NVTCP_NVMF_NQN_FIELD_LEN);
		c->ctrlr = ct;
		c->qid = 0;
		c->sqsize = (uint16_t)(cc->sqsize + 1);
		printf("bad_target: conn %u: admin queue of %s controller %u (host %s)\n", c->id,
		       disc ? "discovery" : "NVM", ct->cntlid, ct->hostnqn);
		fflush(stdout);
		bt_send_resp(c, cmd, ST_OK, ct->cntlid, 0);
		return;
	}
	ct = ctrlr_find(d->cntlid);
	if (ct == NULL || ct->discovery || strcmp(subnqn, g_bt.subnqn) != 0) {
		fail(c, cmd, st(NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS),
		     nvtcp_nvmf_connect_rsp_invalid(true, ct == NULL ?
						    offsetof(struct nvtcp_nvmf_connect_data, cntlid) :
						    offsetof(struct nvtcp_nvmf_connect_data, subnqn)));
		return;
	}
	if (cc->qid > ct->num_io_queues) {
		fail(c, cmd, st(NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS),
		     nvtcp_nvmf_connect_rsp_invalid(false, offsetof(struct nvtcp_nvmf_connect_cmd, qid)));
		return;
	}
	c->ctrlr = ct;
	c->qid = cc->qid;
	c->sqsize = (uint16_t)(cc->sqsize + 1);
	cntlid = ct->cntlid;
	if (cmd->bad == BT_CASE_CONNECT_CNTLID_MISMATCH) {
		cntlid = (uint16_t)(ct->cntlid + 1);
		bt_case_log(c, cmd, "Connect answered with controller ID %u instead of %u", cntlid,
			    ct->cntlid);
	}
	bt_send_resp(c, cmd, ST_OK, cntlid, 0);
}

static uint64_t
cap_value(struct bt_conn *c)
{
	uint64_t mqes = g_bt.mqes;

	if (bt_case_is(BT_CASE_MQES_ZERO)) {
		mqes = 0;
		bt_case_value_served(c, "CAP.MQES 0");
	}
	/* CQR, TO 10 (5 s), CSS NVM, MPSMIN/MPSMAX 0 (4 KiB). */
	return mqes | NVTCP_NVME_CAP_CQR | (10ull << NVTCP_NVME_CAP_TO_SHIFT) |
	       ((uint64_t)NVTCP_NVME_CAP_CSS_NVM << NVTCP_NVME_CAP_CSS_SHIFT);
}

static void
property_get(struct bt_conn *c, struct bt_cmd *cmd)
{
	const struct nvtcp_nvmf_prop_get_cmd *pg = (const void *)&cmd->sqe;
	struct bt_ctrlr *ct = c->ctrlr;
	uint64_t v;

	switch (pg->ofst) {
	case NVTCP_NVME_PROP_CAP:
		v = cap_value(c);
		break;
	case NVTCP_NVME_PROP_VS:
		v = 0x00010400; /* 1.4 */
		break;
	case NVTCP_NVME_PROP_CC:
		v = ct->cc;
		break;
	case NVTCP_NVME_PROP_CSTS:
		v = ct->csts;
		break;
	default:
		fail(c, cmd, ST_INVALID_FIELD, 0);
		return;
	}
	bt_send_resp(c, cmd, ST_OK, (uint32_t)v,
		     (pg->attrib & 7) == NVTCP_NVMF_PROP_SIZE_8 ? (uint32_t)(v >> 32) : 0);
}

static void
property_set(struct bt_conn *c, struct bt_cmd *cmd)
{
	const struct nvtcp_nvmf_prop_set_cmd *ps = (const void *)&cmd->sqe;
	struct bt_ctrlr *ct = c->ctrlr;
	uint32_t cc = (uint32_t)ps->value;

	if (ps->ofst != NVTCP_NVME_PROP_CC) {
		fail(c, cmd, ST_INVALID_FIELD, 0);
		return;
	}
	if (nvtcp_nvme_cc_en(cc) && !nvtcp_nvme_cc_en(ct->cc)) {
		if (bt_case_is(BT_CASE_CSTS_NEVER_READY)) {
			bt_case_value_served(c, "CC.EN=1 left with CSTS.RDY=0 for ever");
		} else if (bt_case_is(BT_CASE_CSTS_CFS)) {
			bt_case_value_served(c, "CSTS.CFS=1 after CC.EN=1");
			ct->csts = NVTCP_NVME_CSTS_RDY | NVTCP_NVME_CSTS_CFS;
		} else {
			ct->csts |= NVTCP_NVME_CSTS_RDY;
		}
	} else if (!nvtcp_nvme_cc_en(cc)) {
		ct->csts &= ~(uint32_t)NVTCP_NVME_CSTS_RDY;
	}
	if (nvtcp_nvme_cc_shn(cc) != 0) {
		/* Shutdown completes at once: SHST = 2. */
		ct->csts = (ct->csts & ~(3u << 2)) | (2u << 2);
	}
	ct->cc = cc;
	bt_send_resp(c, cmd, ST_OK, 0, 0);
}

static void
fabrics_cmd(struct bt_conn *c, struct bt_cmd *cmd)
{
	uint8_t fctype = nvtcp_nvmf_cmd_fctype(&cmd->sqe);

	if (fctype == NVTCP_NVMF_FCTYPE_CONNECT) {
		connect_cmd(c, cmd);
		return;
	}
	if (c->qid < 0 || c->ctrlr == NULL) {
		fail(c, cmd, ST_SEQUENCE, 0);
		return;
	}
	switch (fctype) {
	case NVTCP_NVMF_FCTYPE_PROPERTY_GET:
		if (c->qid != 0) {
			fail(c, cmd, ST_INVALID_FIELD, 0);
			return;
		}
		property_get(c, cmd);
		return;
	case NVTCP_NVMF_FCTYPE_PROPERTY_SET:
		if (c->qid != 0) {
			fail(c, cmd, ST_INVALID_FIELD, 0);
			return;
		}
		property_set(c, cmd);
		return;
	case NVTCP_NVMF_FCTYPE_DISCONNECT:
		bt_send_resp(c, cmd, ST_OK, 0, 0);
		bt_conn_close(c, false, "Disconnect");
		return;
	default:
		fail(c, cmd, ST_INVALID_OPCODE, 0);
		return;
	}
}

/* ---- Identify and logs --------------------------------------------------------------------- */

static void
identify_ctrlr(struct bt_conn *c, uint8_t *buf)
{
	struct nvtcp_nvme_ctrlr_data *cd = (void *)buf;
	bool disc = c->ctrlr->discovery;

	cd->vid = 0x1b36;
	cd->ssvid = 0x1b36;
	set_str(cd->sn, sizeof(cd->sn), "BADTARGET0001");
	set_str(cd->mn, sizeof(cd->mn), "nvtcp bad_target");
	set_str(cd->fr, sizeof(cd->fr), "0.1");
	cd->mdts = g_bt.mdts;
	if (bt_case_is(BT_CASE_MDTS_ABSURD) && !disc) {
		cd->mdts = 255;
		bt_case_value_served(c, "MDTS 255");
	}
	cd->cntlid = c->ctrlr->cntlid;
	cd->ver = 0x00010400;
	cd->cntrltype = disc ? NVTCP_NVME_CNTRLTYPE_DISCOVERY : NVTCP_NVME_CNTRLTYPE_IO;
	cd->aerl = BT_AERL;
	cd->lpa = NVTCP_NVME_LPA_EXTENDED_DATA;
	cd->elpe = 0;
	cd->kas = 1;
	cd->sqes = 0x66;
	cd->cqes = 0x44;
	cd->maxcmd = (uint16_t)(g_bt.mqes + 1);
	cd->nn = disc ? 0 : 1;
	if (bt_case_is(BT_CASE_NN_HUGE) && !disc) {
		cd->nn = 0xFFFFFFFFu;
		bt_case_value_served(c, "NN 0xFFFFFFFF");
	}
	cd->oncs = disc ? 0 : (NVTCP_NVME_ONCS_WRITE_ZEROES | NVTCP_NVME_ONCS_DSM);
	cd->sgls = NVTCP_NVME_SGLS_SUPPORTED | NVTCP_NVME_SGLS_ADDRESS_AS_OFFSET |
		   NVTCP_NVME_SGLS_TRANSPORT;
	snprintf(cd->subnqn, sizeof(cd->subnqn), "%s", disc ? NVTCP_NVMF_DISCOVERY_NQN : g_bt.subnqn);
	cd->ioccsz = (64 + g_bt.io_incapsule) / 16;
	if (bt_case_is(BT_CASE_IOCCSZ_TINY) && !disc) {
		cd->ioccsz = 0;
		bt_case_value_served(c, "IOCCSZ 0");
	} else if (bt_case_is(BT_CASE_IOCCSZ_HUGE) && !disc) {
		cd->ioccsz = 0xFFFFFFFFu;
		bt_case_value_served(c, "IOCCSZ 0xFFFFFFFF");
	}
	cd->iorcsz = 1;
	cd->icdoff = 0;
	cd->fcatt = 0;
	cd->msdbd = 1;
	cd->ofcs = NVTCP_NVME_OFCS_DISCONNECT;
}

static bool
identify_ns(struct bt_conn *c, uint32_t nsid, uint8_t *buf)
{
	struct nvtcp_nvme_ns_data *nd = (void *)buf;
	uint64_t blocks = g_bt.ns_blocks;
	uint32_t lbads = g_bt.block_shift;

	if (nsid != 1) {
		/* Inactive namespaces of a valid ID read as zeros. */
		return nsid != 0 && nsid != 0xFFFFFFFFu &&
		       (bt_case_is(BT_CASE_NN_HUGE) || bt_case_is(BT_CASE_NS_LIST_ABSURD));
	}
	if (bt_case_is(BT_CASE_NSZE_ZERO)) {
		blocks = 0;
		bt_case_value_served(c, "namespace size 0");
	}
	if (bt_case_is(BT_CASE_LBA_SIZE_ABSURD)) {
		lbads = 255;
		bt_case_value_served(c, "LBADS 255");
	}
	nd->nsze = blocks;
	nd->ncap = blocks;
	nd->nuse = blocks;
	nd->nlbaf = 0;
	nd->flbas = 0;
	nd->lbaf[0] = lbads << 16;
	for (int i = 0; i < 16; i++) {
		nd->nguid[i] = (uint8_t)(0xB0 + i);
	}
	return true;
}

static void
identify(struct bt_conn *c, struct bt_cmd *cmd)
{
	uint8_t cns = cmd->sqe.cdw10 & 0xFF;
	uint8_t buf[NVTCP_NVME_IDENTIFY_DATA_SIZE];
	uint32_t *list = (uint32_t *)buf;

	memset(buf, 0, sizeof(buf));
	if (c->ctrlr->discovery && cns != NVTCP_NVME_IDENTIFY_CTRLR) {
		fail(c, cmd, ST_INVALID_FIELD, 0);
		return;
	}
	switch (cns) {
	case NVTCP_NVME_IDENTIFY_CTRLR:
		identify_ctrlr(c, buf);
		break;
	case NVTCP_NVME_IDENTIFY_NS:
		if (!identify_ns(c, cmd->sqe.nsid, buf)) {
			fail(c, cmd, ST_INVALID_NS, 0);
			return;
		}
		break;
	case NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST:
		if (bt_case_is(BT_CASE_NS_LIST_ABSURD)) {
			static const uint32_t absurd[] = {5, 1, 0xFFFFFFFFu, 1, 3, 0xFFFFFFFEu, 2};

			memcpy(list, absurd, sizeof(absurd));
			bt_case_value_served(c, "active namespace list 5,1,0xFFFFFFFF,1,3,0xFFFFFFFE,2");
		} else if (cmd->sqe.nsid < 1) {
			list[0] = 1;
		}
		break;
	case NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST:
		if (cmd->sqe.nsid != 1) {
			fail(c, cmd, ST_INVALID_NS, 0);
			return;
		}
		buf[0] = NVTCP_NVME_NIDT_NGUID;
		buf[1] = NVTCP_NVME_NIDT_NGUID_LEN;
		for (int i = 0; i < 16; i++) {
			buf[4 + i] = (uint8_t)(0xB0 + i);
		}
		break;
	default:
		fail(c, cmd, ST_INVALID_FIELD, 0);
		return;
	}
	memcpy(cmd->data, buf, NVTCP_MIN(cmd->len, (uint32_t)sizeof(buf)));
	bt_send_data_and_resp(c, cmd, ST_OK, 0);
}

static void
discovery_log(struct bt_conn *c, uint8_t *page, size_t size)
{
	struct nvtcp_nvmf_disc_log_hdr *h = (void *)page;
	struct nvtcp_nvmf_disc_log_entry *e = (void *)(page + sizeof(*h));
	const char *addr = g_bt.listen_host;
	char port[16];

	if (size < sizeof(*h) + sizeof(*e)) {
		return;
	}
	if (bt_case_is(BT_CASE_GENCTR_CHURN)) {
		c->ctrlr->genctr++;
		bt_case_value_served(c, "a new discovery log GENCTR on every read");
	}
	h->genctr = c->ctrlr->genctr;
	h->numrec = BT_DISC_LOG_ENTRIES;
	if (bt_case_is(BT_CASE_NUMREC_HUGE)) {
		h->numrec = 1ull << 62;
		bt_case_value_served(c, "discovery log NUMREC 2^62");
	}
	h->recfmt = 0;
	if (strcmp(addr, "0.0.0.0") == 0) {
		addr = "127.0.0.1";
	} else if (strcmp(addr, "::") == 0) {
		addr = "::1";
	}
	e->trtype = NVTCP_NVMF_TRTYPE_TCP;
	e->adrfam = strchr(addr, ':') != NULL ? NVTCP_NVMF_ADRFAM_IPV6 : NVTCP_NVMF_ADRFAM_IPV4;
	e->subtype = NVTCP_NVMF_SUBTYPE_NVME;
	e->treq = NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED;
	e->portid = 1;
	e->cntlid = NVTCP_NVMF_CNTLID_DYNAMIC;
	e->asqsz = 32;
	snprintf(port, sizeof(port), "%u", g_bt.port);
	set_str(e->trsvcid, sizeof(e->trsvcid), port);
	memset(e->subnqn, 0, sizeof(e->subnqn));
	memcpy(e->subnqn, g_bt.subnqn, strnlen(g_bt.subnqn, sizeof(e->subnqn)));
	set_str(e->traddr, sizeof(e->traddr), addr);
	e->tsas.tcp.sectype = NVTCP_NVMF_TCP_SECTYPE_NONE;
}

static void
get_log_page(struct bt_conn *c, struct bt_cmd *cmd)
{
	uint8_t lid = nvtcp_nvme_get_log_page_lid(&cmd->sqe);
	uint64_t len = nvtcp_nvme_get_log_page_len(&cmd->sqe);
	uint64_t off = nvtcp_nvme_get_log_page_offset(&cmd->sqe);
	size_t size;
	uint8_t *page;

	if (len != cmd->len) {
		fail(c, cmd, ST_SGL_LENGTH, 0);
		return;
	}
	switch (lid) {
	case NVTCP_NVME_LOG_ERROR:
		size = 64 * 4;
		break;
	case NVTCP_NVME_LOG_HEALTH_INFORMATION:
	case NVTCP_NVME_LOG_FIRMWARE_SLOT:
		size = 512;
		break;
	case NVTCP_NVME_LOG_CHANGED_NS_LIST:
	case NVTCP_NVME_LOG_COMMAND_EFFECTS:
		size = 4096;
		break;
	case NVTCP_NVME_LOG_DISCOVERY:
		if (!c->ctrlr->discovery) {
			fail(c, cmd, st(NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVME_SC_INVALID_LOG_PAGE), 0);
			return;
		}
		size = 1024 * (1 + BT_DISC_LOG_ENTRIES);
		break;
	default:
		fail(c, cmd, st(NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVME_SC_INVALID_LOG_PAGE), 0);
		return;
	}
	if (off > size) {
		fail(c, cmd, ST_INVALID_FIELD, 0);
		return;
	}
	page = calloc(1, size);
	if (page == NULL) {
		fail(c, cmd, st(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR), 0);
		return;
	}
	if (lid == NVTCP_NVME_LOG_DISCOVERY) {
		discovery_log(c, page, size);
	} else if (lid == NVTCP_NVME_LOG_FIRMWARE_SLOT) {
		page[0] = 1;
		memcpy(page + 8, "0.1     ", 8);
	}
	/* Bytes past the end of the page read as zeros (cmd->data is zeroed). */
	memcpy(cmd->data, page + off, (size_t)NVTCP_MIN(len, (uint64_t)(size - off)));
	free(page);
	bt_send_data_and_resp(c, cmd, ST_OK, 0);
}

/* ---- Admin and I/O ------------------------------------------------------------------------- */

static void
admin_cmd(struct bt_conn *c, struct bt_cmd *cmd)
{
	const struct nvtcp_nvme_cmd *sqe = &cmd->sqe;
	struct bt_ctrlr *ct = c->ctrlr;
	uint8_t fid = sqe->cdw10 & 0xFF;

	if (nvtcp_nvme_cmd_data_xfer(sqe) == NVTCP_NVME_DATA_CTRLR_TO_HOST && cmd->data == NULL &&
	    sqe->opc != NVTCP_NVME_OPC_GET_FEATURES) {
		fail(c, cmd, ST_SGL_LENGTH, 0);
		return;
	}
	switch (sqe->opc) {
	case NVTCP_NVME_OPC_IDENTIFY:
		identify(c, cmd);
		return;
	case NVTCP_NVME_OPC_GET_LOG_PAGE:
		get_log_page(c, cmd);
		return;
	case NVTCP_NVME_OPC_SET_FEATURES:
		if (fid == NVTCP_NVME_FEAT_NUMBER_OF_QUEUES) {
			uint32_t nsq = nvtcp_nvme_feat_num_queues_nsq(sqe->cdw11);
			uint32_t ncq = nvtcp_nvme_feat_num_queues_ncq(sqe->cdw11);
			uint32_t n = NVTCP_MIN(NVTCP_MIN(nsq, ncq), g_bt.max_io_queues);

			if (bt_case_is(BT_CASE_NOQ_EXCESS)) {
				n = 65535;
				bt_case_value_served(c, "Number of Queues: 65535 granted");
			}
			ct->num_io_queues = n;
			bt_send_resp(c, cmd, ST_OK, (n - 1) | ((n - 1) << 16), 0);
			return;
		}
		if (fid == NVTCP_NVME_FEAT_KEEP_ALIVE_TIMER) {
			ct->kato = sqe->cdw11;
		}
		ct->features[fid] = sqe->cdw11;
		bt_send_resp(c, cmd, ST_OK, 0, 0);
		return;
	case NVTCP_NVME_OPC_GET_FEATURES:
		if (fid == NVTCP_NVME_FEAT_NUMBER_OF_QUEUES) {
			uint32_t n = ct->num_io_queues;

			bt_send_resp(c, cmd, ST_OK, (n - 1) | ((n - 1) << 16), 0);
		} else if (fid == NVTCP_NVME_FEAT_KEEP_ALIVE_TIMER) {
			bt_send_resp(c, cmd, ST_OK, ct->kato, 0);
		} else if (cmd->len > 0) {
			bt_send_data_and_resp(c, cmd, ST_OK, ct->features[fid]);
		} else {
			bt_send_resp(c, cmd, ST_OK, ct->features[fid], 0);
		}
		return;
	case NVTCP_NVME_OPC_KEEP_ALIVE:
		bt_send_resp(c, cmd, ST_OK, 0, 0);
		return;
	case NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST:
		if (ct->aers > BT_AERL) {
			fail(c, cmd, st(NVTCP_NVME_SCT_COMMAND_SPECIFIC,
					NVTCP_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED), 0);
			return;
		}
		/* Held: no event ever happens here; freed with the connection. */
		ct->aers++;
		cmd->state = BT_CMD_HELD;
		return;
	case NVTCP_NVME_OPC_ABORT:
		/* cdw0 bit 0 set: the command was not aborted. */
		bt_send_resp(c, cmd, ST_OK, 1, 0);
		return;
	default:
		fail(c, cmd, ST_INVALID_OPCODE, 0);
		return;
	}
}

/* Check an LBA range; returns the byte offset in the namespace, or a status. */
static uint16_t
io_range(const struct bt_cmd *cmd, bool data, uint64_t *off, uint64_t *bytes)
{
	uint64_t slba = (uint64_t)cmd->sqe.cdw10 | ((uint64_t)cmd->sqe.cdw11 << 32);
	uint64_t nlb = (uint64_t)(cmd->sqe.cdw12 & 0xFFFF) + 1;

	if (cmd->sqe.nsid != 1) {
		return ST_INVALID_NS;
	}
	if (slba >= g_bt.ns_blocks || nlb > g_bt.ns_blocks - slba) {
		return ST_LBA_RANGE;
	}
	*off = slba << g_bt.block_shift;
	*bytes = nlb << g_bt.block_shift;
	if (data && *bytes != cmd->len) {
		return ST_SGL_LENGTH;
	}
	return ST_OK;
}

static void
io_cmd(struct bt_conn *c, struct bt_cmd *cmd)
{
	uint64_t off, bytes;
	uint16_t status;

	switch (cmd->sqe.opc) {
	case NVTCP_NVME_OPC_READ:
		status = io_range(cmd, true, &off, &bytes);
		if (status != ST_OK) {
			fail(c, cmd, status, 0);
			return;
		}
		memcpy(cmd->data, g_bt.ns + off, bytes);
		bt_send_data_and_resp(c, cmd, ST_OK, 0);
		return;
	case NVTCP_NVME_OPC_WRITE:
		status = io_range(cmd, true, &off, &bytes);
		if (status != ST_OK) {
			fail(c, cmd, status, 0);
			return;
		}
		if (cmd->incapsule) {
			bt_cmd_write_data_done(c, cmd);
		} else {
			bt_send_r2t(c, cmd);
		}
		return;
	case NVTCP_NVME_OPC_WRITE_ZEROES:
		status = io_range(cmd, false, &off, &bytes);
		if (status == ST_OK) {
			memset(g_bt.ns + off, 0, bytes);
		}
		bt_send_resp(c, cmd, status, 0, 0);
		return;
	case NVTCP_NVME_OPC_FLUSH:
	case NVTCP_NVME_OPC_DATASET_MANAGEMENT:
		bt_send_resp(c, cmd, cmd->sqe.nsid == 1 || cmd->sqe.nsid == 0xFFFFFFFFu ? ST_OK :
				     ST_INVALID_NS, 0, 0);
		return;
	default:
		fail(c, cmd, ST_INVALID_OPCODE, 0);
		return;
	}
}

void
bt_cmd_write_data_done(struct bt_conn *c, struct bt_cmd *cmd)
{
	uint64_t off, bytes;
	uint16_t status;

	if (cmd->state == BT_CMD_FREE) {
		return; /* answered already (resp_during_write): the data is dropped */
	}
	cmd->state = BT_CMD_RECEIVED;
	status = io_range(cmd, true, &off, &bytes);
	if (status == ST_OK) {
		memcpy(g_bt.ns + off, cmd->data, bytes);
	}
	if (cmd->bad == BT_CASE_RESP_DURING_WRITE) {
		/* Answered right after the R2T. */
		bt_cmd_free(cmd);
		return;
	}
	bt_send_resp(c, cmd, status, 0, 0);
}

void
bt_cmd_execute(struct bt_conn *c, struct bt_cmd *cmd)
{
	if (cmd->sqe.dptr.sgl1.length == UINT32_MAX && cmd->len == 0 &&
	    nvtcp_nvme_cmd_data_xfer(&cmd->sqe) != NVTCP_NVME_DATA_NONE) {
		/* Marked on receipt: a transfer too large, or in-capsule data missing. */
		fail(c, cmd, ST_SGL_LENGTH, 0);
		return;
	}
	if (cmd->sqe.opc == NVTCP_NVME_OPC_FABRICS) {
		fabrics_cmd(c, cmd);
		return;
	}
	if (c->qid < 0 || c->ctrlr == NULL) {
		fail(c, cmd, ST_SEQUENCE, 0);
		return;
	}
	if (c->qid == 0) {
		admin_cmd(c, cmd);
	} else {
		io_cmd(c, cmd);
	}
}
