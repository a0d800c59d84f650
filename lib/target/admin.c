/*
 * Admin commands of NVM and discovery controllers: Identify, Get Log Page (with offsets and
 * lengths), Get/Set Features. Runs on the controller's reactor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/fabrics.h"
#include "target_internal.h"

#define IDENT_SIZE NVTCP_NVME_IDENTIFY_DATA_SIZE

/*
 * Async event configuration bits a controller supports. The SMART critical warning enables
 * (bits 4:0, the warnings of the health log) are accepted though no warning is ever raised:
 * hosts such as SPDK's set them with the namespace notices in one command, and refusing it
 * would leave them without namespace change events.
 */
#define AEC_SMART_WARNINGS 0x1Fu
#define AEC_NVM (AEC_SMART_WARNINGS | NVTCP_NVME_AEC_NS_ATTRIBUTE_NOTICES | \
		 NVTCP_NVME_AEC_ANA_CHANGE_NOTICES)
#define AEC_DISC NVTCP_NVME_AEC_DISCOVERY_LOG_CHANGE_NOTICES
/* CTRATT bit 6: traffic based keep alive. */
#define CTRATT_TBKAS (1u << 6)

uint32_t
tgt_mdts(const struct nvtcp_tgt *tgt)
{
	uint32_t pages = tgt->opts.max_io_size / 4096, mdts = 0;

	while ((1u << mdts) < pages) {
		mdts++;
	}
	return mdts;
}

static void
complete_invalid_field(struct tgt_req *req)
{
	tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true);
}

static void
req_put_data(struct tgt_req *req, const void *data, size_t len)
{
	size_t n = NVTCP_MIN(len, (size_t)req->xfer_len);

	nvtcp_iov_from_buf(req->iov, req->iovcnt, 0, data, n);
	if (n < req->xfer_len) {
		for (int i = 0; i < req->iovcnt; i++) {
			/* Zero the rest (whole buffers past n, the tail of the one holding n). */
			size_t start = 0, off = 0;

			for (int j = 0; j < i; j++) {
				off += req->iov[j].iov_len;
			}
			if (off + req->iov[i].iov_len <= n) {
				continue;
			}
			start = n > off ? n - off : 0;
			memset((uint8_t *)req->iov[i].iov_base + start, 0,
			       req->iov[i].iov_len - start);
		}
	}
}

int64_t
tgt_admin_data_len(const struct tgt_req *req)
{
	const struct nvtcp_nvme_cmd *cmd = &req->cmd;
	const struct tgt_ctrlr *c = req->conn->ctrlr;
	uint8_t fid = cmd->cdw10 & 0xFF;

	switch (cmd->opc) {
	case NVTCP_NVME_OPC_IDENTIFY:
		return IDENT_SIZE;
	case NVTCP_NVME_OPC_GET_LOG_PAGE:
		return (int64_t)nvtcp_nvme_get_log_page_len(cmd);
	case NVTCP_NVME_OPC_GET_FEATURES:
	case NVTCP_NVME_OPC_SET_FEATURES:
		return fid == NVTCP_NVME_FEAT_HOST_IDENTIFIER ? 16 : 0;
	case NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST:
	case NVTCP_NVME_OPC_KEEP_ALIVE:
		return 0;
	case NVTCP_NVME_OPC_ABORT:
		return c->discovery ? -1 : 0;
	default:
		return -1;
	}
}

/* ---- Identify -------------------------------------------------------------------------------- */

static uint8_t
ctrlr_vwc(const struct tgt_ctrlr *c)
{
	return c->discovery ? 0 : NVTCP_NVME_VWC_PRESENT;
}

static void
identify_ctrlr(struct tgt_ctrlr *c, struct nvtcp_nvme_ctrlr_data *cd)
{
	struct nvtcp_tgt *tgt = c->tgt;
	struct tgt_subsys *s = c->subsys;

	memset(cd, 0, sizeof(*cd));
	nvtcp_strcpy_pad(cd->sn, sizeof(cd->sn), s->sn, ' ');
	nvtcp_strcpy_pad(cd->mn, sizeof(cd->mn), s->mn, ' ');
	nvtcp_strcpy_pad(cd->fr, sizeof(cd->fr), TGT_FW_REV, ' ');
	cd->rab = 6;
	cd->mdts = (uint8_t)tgt_mdts(tgt);
	cd->cntlid = c->cntlid;
	cd->ver = NVTCP_NVME_VS(1, 3, 0);
	cd->ctratt = NVTCP_NVME_CTRATT_HOST_ID_128_BIT | CTRATT_TBKAS;
	/* Partial reads of log pages (LPO, NUMDU). */
	cd->lpa = NVTCP_NVME_LPA_EXTENDED_DATA;
	cd->kas = 10;
	cd->maxcmd = (uint16_t)(c->discovery ? tgt->opts.max_admin_queue_depth :
				tgt->opts.max_queue_depth);
	cd->sgls = NVTCP_NVME_SGLS_SUPPORTED | NVTCP_NVME_SGLS_ADDRESS_AS_OFFSET |
		   NVTCP_NVME_SGLS_TRANSPORT;
	nvtcp_strcpy_pad(cd->subnqn, sizeof(cd->subnqn), s->nqn, '\0');
	cd->ioccsz = (tgt->opts.in_capsule_data_size + 64) / 16;
	cd->iorcsz = 1;
	cd->icdoff = 0;
	cd->fcatt = 0;          /* dynamic controller model */
	cd->msdbd = 1;
	cd->ofcs = NVTCP_NVME_OFCS_DISCONNECT;
	cd->sqes = 0x66;
	cd->cqes = 0x44;
	cd->elpe = TGT_ERR_LOG_MAX - 1;
	if (c->discovery) {
		cd->cntrltype = NVTCP_NVME_CNTRLTYPE_DISCOVERY;
		cd->oaes = NVTCP_NVME_OAES_DISCOVERY_LOG_CHANGE_NOTICES;
		cd->aerl = TGT_AER_MAX - 1;
		return;
	}
	cd->cntrltype = NVTCP_NVME_CNTRLTYPE_IO;
	cd->cmic = NVTCP_NVME_CMIC_MULTI_CTRLR;
	cd->oaes = NVTCP_NVME_OAES_NS_ATTRIBUTE_NOTICES;
	cd->acl = TGT_ABORT_MAX - 1;
	cd->aerl = TGT_AER_MAX - 1;
	/* One read-only firmware slot. */
	cd->frmw = 0x3;
	cd->lpa |= NVTCP_NVME_LPA_COMMAND_EFFECTS;
	cd->nn = s->max_ns;
	cd->mnan = 0;
	cd->oncs = NVTCP_NVME_ONCS_COMPARE | NVTCP_NVME_ONCS_DSM | NVTCP_NVME_ONCS_WRITE_ZEROES;
	cd->vwc = ctrlr_vwc(c);
	cd->awun = 0;
	cd->awupf = 0;
	tgt_ana_identify_ctrlr(s, cd);
}

static void
identify_ns(const struct tgt_ns *ns, struct nvtcp_nvme_ns_data *nd)
{
	memset(nd, 0, sizeof(*nd));
	nd->nsze = ns->num_blocks;
	nd->ncap = ns->num_blocks;
	nd->nuse = ns->num_blocks;
	nd->nlbaf = 0;
	nd->flbas = 0;
	nd->lbaf[0] = nvtcp_nvme_lbaf(0, (uint8_t)ns->block_shift, 0);
	nd->nmic = NVTCP_NVME_NMIC_SHARED;
	if (ns->bdev->dealloc_zeroes) {
		/* Deallocated blocks read as zeroes; Write Zeroes may deallocate. */
		nd->dlfeat = NVTCP_NVME_DLFEAT_READ_ZEROES | (1u << 3);
	}
	memcpy(nd->nguid, ns->nguid, sizeof(nd->nguid));
	nd->anagrpid = ns->anagrpid;
}

static size_t
identify_ns_descs(const struct tgt_ns *ns, uint8_t *buf)
{
	struct nvtcp_nvme_ns_id_desc *d;
	size_t off = 0;

	memset(buf, 0, IDENT_SIZE);
	d = (void *)(buf + off);
	d->nidt = NVTCP_NVME_NIDT_NGUID;
	d->nidl = NVTCP_NVME_NIDT_NGUID_LEN;
	memcpy(buf + off + sizeof(*d), ns->nguid, NVTCP_NVME_NIDT_NGUID_LEN);
	off += sizeof(*d) + NVTCP_NVME_NIDT_NGUID_LEN;
	d = (void *)(buf + off);
	d->nidt = NVTCP_NVME_NIDT_UUID;
	d->nidl = NVTCP_NVME_NIDT_UUID_LEN;
	memcpy(buf + off + sizeof(*d), ns->uuid, NVTCP_NVME_NIDT_UUID_LEN);
	off += sizeof(*d) + NVTCP_NVME_NIDT_UUID_LEN;
	d = (void *)(buf + off);
	d->nidt = NVTCP_NVME_NIDT_CSI;
	d->nidl = NVTCP_NVME_NIDT_CSI_LEN;
	buf[off + sizeof(*d)] = NVTCP_NVME_CSI_NVM;
	off += sizeof(*d) + NVTCP_NVME_NIDT_CSI_LEN;
	return off;
}

void
tgt_admin_identify(struct tgt_req *req)
{
	struct tgt_ctrlr *c = req->conn->ctrlr;
	uint8_t cns = req->cmd.cdw10 & 0xFF;
	uint32_t nsid = req->cmd.nsid;
	uint8_t buf[IDENT_SIZE] __attribute__((aligned(8)));
	const struct tgt_ns *ns;

	if (c->discovery && cns != NVTCP_NVME_IDENTIFY_CTRLR) {
		complete_invalid_field(req);
		return;
	}
	memset(buf, 0, sizeof(buf));
	switch (cns) {
	case NVTCP_NVME_IDENTIFY_CTRLR:
		identify_ctrlr(c, (void *)buf);
		break;
	case NVTCP_NVME_IDENTIFY_NS:
		if (nsid == 0 || nsid > c->subsys->max_ns) {
			tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT, true);
			return;
		}
		ns = tgt_subsys_ns(c->subsys, nsid);
		/* An inactive NSID of the valid range reads as zeroes. */
		if (ns != NULL) {
			identify_ns(ns, (void *)buf);
		}
		break;
	case NVTCP_NVME_IDENTIFY_CTRLR_IOCS:
		/* The NVM command set's own controller data: no extra limits (all zero). Linux
		 * hosts ask for it. Other command sets do not exist here. */
		if ((req->cmd.cdw11 >> 24) != NVTCP_NVME_CSI_NVM) {
			complete_invalid_field(req);
			return;
		}
		break;
	case NVTCP_NVME_IDENTIFY_NS_IOCS:
		if ((req->cmd.cdw11 >> 24) != NVTCP_NVME_CSI_NVM) {
			complete_invalid_field(req);
			return;
		}
		if (tgt_subsys_ns(c->subsys, nsid) == NULL) {
			tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT, true);
			return;
		}
		break;
	case NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST_IOCS:
		if ((req->cmd.cdw11 >> 24) != NVTCP_NVME_CSI_NVM) {
			complete_invalid_field(req);
			return;
		}
		/* The NVM command set's namespaces are all of them. */
		__attribute__((fallthrough));
	case NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST: {
		uint32_t *list = (void *)buf, n = 0;

		if (nsid >= 0xFFFFFFFEu) {
			tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT, true);
			return;
		}
		for (uint32_t id = nsid + 1; id <= c->subsys->max_ns &&
		     n < NVTCP_NVME_IDENTIFY_NS_LIST_MAX; id++) {
			if (tgt_subsys_ns(c->subsys, id) != NULL) {
				list[n++] = id;
			}
		}
		break;
	}
	case NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST:
		ns = tgt_subsys_ns(c->subsys, nsid);
		if (ns == NULL) {
			tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT, true);
			return;
		}
		identify_ns_descs(ns, buf);
		break;
	default:
		complete_invalid_field(req);
		return;
	}
	req_put_data(req, buf, sizeof(buf));
	tgt_req_complete(req);
}

/* ---- Log pages ------------------------------------------------------------------------------- */

void
tgt_req_fill_log(struct tgt_req *req, const void *log, size_t log_len)
{
	uint64_t off = nvtcp_nvme_get_log_page_offset(&req->cmd);
	size_t n;

	if (off > log_len) {
		complete_invalid_field(req);
		return;
	}
	n = NVTCP_MIN((size_t)(log_len - off), (size_t)req->xfer_len);
	req_put_data(req, (const uint8_t *)log + off, n);
	tgt_req_complete(req);
}

static void
put_u128(uint8_t *dst, uint64_t v)
{
	memset(dst, 0, 16);
	memcpy(dst, &v, sizeof(v));
}

static void
conn_io_totals(const struct tgt_conn *conn, struct nvtcp_tgt_io_stats *t)
{
	/* Counters of another reactor's connection: read atomically (single writer). */
	t->read_cmds += TGT_STAT_LOAD(conn->stats.io.read_cmds);
	t->write_cmds += TGT_STAT_LOAD(conn->stats.io.write_cmds);
	t->bytes_read += TGT_STAT_LOAD(conn->stats.io.bytes_read);
	t->bytes_written += TGT_STAT_LOAD(conn->stats.io.bytes_written);
}

static void
log_health(struct tgt_ctrlr *c, struct nvtcp_nvme_health_log *h)
{
	struct nvtcp_tgt_io_stats t = {0};

	memset(h, 0, sizeof(*h));
	/* Queues connected now: their connections stay allocated while in c->ioq. */
	for (uint32_t q = 1; q <= c->max_qid; q++) {
		if (c->ioq[q].conn != NULL) {
			conn_io_totals(c->ioq[q].conn, &t);
		}
	}
	h->available_spare = 100;
	h->available_spare_threshold = 10;
	/* Data units are thousands of 512-byte units, rounded up. */
	put_u128(h->data_units_read, (t.bytes_read / 512 + 999) / 1000);
	put_u128(h->data_units_written, (t.bytes_written / 512 + 999) / 1000);
	put_u128(h->host_read_commands, t.read_cmds);
	put_u128(h->host_write_commands, t.write_cmds);
	put_u128(h->power_cycles, 1);
	put_u128(h->num_error_info_log_entries, c->err_count);
}

static void
log_errors(const struct tgt_ctrlr *c, struct nvtcp_nvme_error_log_entry *e)
{
	uint64_t n = NVTCP_MIN(c->err_count, (uint64_t)TGT_ERR_LOG_MAX);

	memset(e, 0, sizeof(*e) * TGT_ERR_LOG_MAX);
	/* Newest first. */
	for (uint64_t i = 0; i < n; i++) {
		const struct tgt_err_entry *src = &c->errs[(c->err_count - 1 - i) % TGT_ERR_LOG_MAX];

		e[i].error_count = src->count;
		e[i].sqid = src->sqid;
		e[i].cid = src->cid;
		e[i].status = src->status;
		e[i].error_location = 0xFFFF;
		e[i].lba = src->lba;
		e[i].nsid = src->nsid;
		e[i].trtype = NVTCP_NVMF_TRTYPE_TCP;
	}
}

static void
log_cmd_effects(uint32_t *acs)
{
	const uint32_t csupp = 1u << 0, lbcc = 1u << 1;
	uint32_t *iocs = acs + 256;

	memset(acs, 0, 4096);
	acs[NVTCP_NVME_OPC_GET_LOG_PAGE] = csupp;
	acs[NVTCP_NVME_OPC_IDENTIFY] = csupp;
	acs[NVTCP_NVME_OPC_ABORT] = csupp;
	acs[NVTCP_NVME_OPC_SET_FEATURES] = csupp;
	acs[NVTCP_NVME_OPC_GET_FEATURES] = csupp;
	acs[NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST] = csupp;
	acs[NVTCP_NVME_OPC_KEEP_ALIVE] = csupp;
	iocs[NVTCP_NVME_OPC_FLUSH] = csupp | lbcc;
	iocs[NVTCP_NVME_OPC_WRITE] = csupp | lbcc;
	iocs[NVTCP_NVME_OPC_READ] = csupp;
	iocs[NVTCP_NVME_OPC_COMPARE] = csupp;
	iocs[NVTCP_NVME_OPC_WRITE_ZEROES] = csupp | lbcc;
	iocs[NVTCP_NVME_OPC_DATASET_MANAGEMENT] = csupp | lbcc;
}

struct disc_log_ctx {
	struct tgt_req *req;
	struct nvtcp_tgt *tgt;
	char hostnqn[NVTCP_NQN_MAX_LEN + 1];
	char local_addr[64];
	uint16_t local_port;
	void *log;
	size_t len;
};

static void
disc_log_reply(void *arg)
{
	struct disc_log_ctx *d = arg;
	struct tgt_req *req = d->req;
	struct tgt_conn *conn = req->conn;

	req->msg_ctx = NULL;
	conn->refs--;
	if (d->log == NULL) {
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
					NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR, false);
	} else if (conn->state != TGT_CONN_LIVE) {
		tgt_req_release(req);
	} else {
		tgt_req_fill_log(req, d->log, d->len);
	}
	free(d->log);
	free(d);
}

static void
disc_log_on_mgmt(void *arg)
{
	struct disc_log_ctx *d = arg;

	d->log = tgt_discovery_log_build(d->tgt, d->hostnqn, d->local_addr, d->local_port,
					 &d->len);
	tgt_send_msg(d->req->conn->pg->reactor, disc_log_reply, d);
}

static void
log_discovery(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct disc_log_ctx *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
					NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR, false);
		return;
	}
	d->req = req;
	d->tgt = conn->tgt;
	snprintf(d->hostnqn, sizeof(d->hostnqn), "%s", conn->ctrlr->hostnqn);
	snprintf(d->local_addr, sizeof(d->local_addr), "%s", conn->local_addr);
	d->local_port = conn->local_port;
	req->msg_ctx = d;
	conn->refs++;
	tgt_send_msg(conn->tgt->mgmt, disc_log_on_mgmt, d);
}

void
tgt_admin_get_log_page(struct tgt_req *req)
{
	struct tgt_ctrlr *c = req->conn->ctrlr;
	uint8_t lid = nvtcp_nvme_get_log_page_lid(&req->cmd);
	bool rae = (req->cmd.cdw10 & NVTCP_NVME_GET_LOG_CDW10_RAE) != 0;
	uint64_t off = nvtcp_nvme_get_log_page_offset(&req->cmd);
	union {
		uint8_t raw[4096];
		struct nvtcp_nvme_health_log health;
		struct nvtcp_nvme_firmware_log fw;
		struct nvtcp_nvme_changed_ns_list changed;
		struct nvtcp_nvme_error_log_entry errs[TGT_ERR_LOG_MAX];
		uint32_t effects[1024];
	} log;
	size_t len;

	if (off % 4 != 0) {
		complete_invalid_field(req);
		return;
	}
	if (c->discovery) {
		if (lid != NVTCP_NVME_LOG_DISCOVERY) {
			tgt_req_complete_status(req, NVTCP_NVME_SCT_COMMAND_SPECIFIC,
						NVTCP_NVME_SC_INVALID_LOG_PAGE, true);
			return;
		}
		if (!rae) {
			c->events_masked &= ~TGT_EVT_DISC_CHANGED;
		}
		log_discovery(req);
		return;
	}
	memset(&log, 0, sizeof(log));
	switch (lid) {
	case NVTCP_NVME_LOG_ERROR:
		log_errors(c, log.errs);
		len = sizeof(log.errs);
		break;
	case NVTCP_NVME_LOG_HEALTH_INFORMATION:
		log_health(c, &log.health);
		len = sizeof(log.health);
		break;
	case NVTCP_NVME_LOG_FIRMWARE_SLOT:
		log.fw.afi = 1;
		nvtcp_strcpy_pad(log.fw.frs[0], sizeof(log.fw.frs[0]), TGT_FW_REV, ' ');
		len = sizeof(log.fw);
		break;
	case NVTCP_NVME_LOG_CHANGED_NS_LIST:
		if (c->changed_ns_overflow) {
			log.changed.nsid[0] = 0xFFFFFFFFu;
		} else {
			memcpy(log.changed.nsid, c->changed_ns, c->nchanged_ns * sizeof(uint32_t));
		}
		len = sizeof(log.changed);
		if (!rae) {
			c->nchanged_ns = 0;
			c->changed_ns_overflow = false;
			c->events_masked &= ~TGT_EVT_NS_CHANGED;
		}
		break;
	case NVTCP_NVME_LOG_ANA:
		tgt_ana_log_page(req, rae);
		return;
	case NVTCP_NVME_LOG_COMMAND_EFFECTS:
		log_cmd_effects(log.effects);
		len = 4096;
		break;
	default:
		tgt_req_complete_status(req, NVTCP_NVME_SCT_COMMAND_SPECIFIC,
					NVTCP_NVME_SC_INVALID_LOG_PAGE, true);
		return;
	}
	tgt_req_fill_log(req, log.raw, len);
}

/* ---- Features ------------------------------------------------------------------------------- */

/*
 * Temperature Threshold selector of CDW11: only the composite temperature (TMPSEL 0) exists,
 * with an over- (THSEL 0) and an under-temperature (THSEL 1) threshold. Returns the index
 * into c->temp_th, or -1 for a selector to refuse.
 */
static int
temp_th_index(uint32_t cdw11)
{
	uint32_t tmpsel = (cdw11 >> 16) & 0xF, thsel = (cdw11 >> 20) & 0x3;

	return tmpsel == 0 && thsel <= 1 ? (int)thsel : -1;
}

static uint32_t
num_queues_cdw0(uint32_t n)
{
	return (n - 1) | ((n - 1) << 16);
}

void
tgt_admin_get_features(struct tgt_req *req)
{
	struct tgt_ctrlr *c = req->conn->ctrlr;
	uint8_t fid = req->cmd.cdw10 & 0xFF;
	uint8_t sel = (req->cmd.cdw10 >> NVTCP_NVME_GET_FEAT_CDW10_SEL_SHIFT) & 0x7;
	bool dflt = sel == NVTCP_NVME_FEAT_SEL_DEFAULT || sel == NVTCP_NVME_FEAT_SEL_SAVED;
	uint32_t val = 0;
	bool changeable = true;

	if (sel > NVTCP_NVME_FEAT_SEL_SUPPORTED) {
		complete_invalid_field(req);
		return;
	}
	if (c->discovery && fid != NVTCP_NVME_FEAT_KEEP_ALIVE_TIMER &&
	    fid != NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION) {
		complete_invalid_field(req);
		return;
	}
	switch (fid) {
	case NVTCP_NVME_FEAT_ARBITRATION:
		val = dflt ? 0 : c->arbitration;
		break;
	case NVTCP_NVME_FEAT_POWER_MANAGEMENT:
		val = dflt ? 0 : c->power_mgmt;
		break;
	case NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD: {
		int i = temp_th_index(req->cmd.cdw11);

		if (sel == NVTCP_NVME_FEAT_SEL_SUPPORTED) {
			break;
		}
		if (i < 0) {
			complete_invalid_field(req);
			return;
		}
		val = dflt ? (i == 0 ? TGT_TEMP_OVER_DEFAULT : 0) : c->temp_th[i];
		break;
	}
	case NVTCP_NVME_FEAT_ERROR_RECOVERY:
	case NVTCP_NVME_FEAT_INTERRUPT_COALESCING:
	case NVTCP_NVME_FEAT_INTERRUPT_VECTOR_CONFIGURATION:
	case NVTCP_NVME_FEAT_WRITE_ATOMICITY:
		/* Meaningless over fabrics or not configurable: reported as 0. */
		changeable = false;
		break;
	case NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE:
		val = dflt ? 1 : c->vwc;
		break;
	case NVTCP_NVME_FEAT_NUMBER_OF_QUEUES:
		val = num_queues_cdw0(dflt ? c->max_qid : c->num_io_queues);
		break;
	case NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION:
		val = dflt ? 0 : c->aec;
		break;
	case NVTCP_NVME_FEAT_KEEP_ALIVE_TIMER:
		val = c->kato_ms;
		break;
	case NVTCP_NVME_FEAT_HOST_IDENTIFIER:
		if (sel != NVTCP_NVME_FEAT_SEL_SUPPORTED) {
			if (!(req->cmd.cdw11 & 1u)) {
				/* Only the 128-bit host identifier exists over fabrics. */
				complete_invalid_field(req);
				return;
			}
			req_put_data(req, c->hostid, sizeof(c->hostid));
		}
		changeable = false;
		break;
	default:
		complete_invalid_field(req);
		return;
	}
	if (sel == NVTCP_NVME_FEAT_SEL_SUPPORTED) {
		/* Capabilities: bit 2 changeable (nothing is saveable or namespace specific). */
		val = changeable ? 1u << 2 : 0;
	}
	req->cpl.cdw0 = val;
	tgt_req_complete(req);
}

void
tgt_admin_set_features(struct tgt_req *req)
{
	struct tgt_ctrlr *c = req->conn->ctrlr;
	uint8_t fid = req->cmd.cdw10 & 0xFF;
	uint32_t v = req->cmd.cdw11;

	if (req->cmd.cdw10 & NVTCP_NVME_SET_FEAT_CDW10_SV) {
		tgt_req_complete_status(req, NVTCP_NVME_SCT_COMMAND_SPECIFIC,
					NVTCP_NVME_SC_FEATURE_ID_NOT_SAVEABLE, true);
		return;
	}
	if (c->discovery && fid != NVTCP_NVME_FEAT_KEEP_ALIVE_TIMER &&
	    fid != NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION) {
		complete_invalid_field(req);
		return;
	}
	switch (fid) {
	case NVTCP_NVME_FEAT_ARBITRATION:
		c->arbitration = v;
		break;
	case NVTCP_NVME_FEAT_POWER_MANAGEMENT:
		/* Only power state 0 exists (NPSS 0). */
		if ((v & 0x1F) != 0) {
			complete_invalid_field(req);
			return;
		}
		c->power_mgmt = v;
		break;
	case NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD: {
		int i = temp_th_index(v);

		if (i < 0) {
			complete_invalid_field(req);
			return;
		}
		c->temp_th[i] = (uint16_t)(v & 0xFFFF);
		break;
	}
	case NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE:
		__atomic_store_n(&c->vwc, (v & NVTCP_NVME_FEAT_VWC_WCE) != 0, __ATOMIC_RELAXED);
		break;
	case NVTCP_NVME_FEAT_NUMBER_OF_QUEUES: {
		uint32_t nsq = (v & 0xFFFF) + 1, ncq = (v >> 16) + 1, n;

		if ((v & 0xFFFF) == 0xFFFF || (v >> 16) == 0xFFFF) {
			complete_invalid_field(req);
			return;
		}
		if (c->nioq > 0) {
			/* I/O queues exist: the count cannot change under them. */
			tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR, true);
			return;
		}
		n = NVTCP_MIN(NVTCP_MAX(nsq, ncq), c->max_qid);
		c->num_io_queues = n;
		req->cpl.cdw0 = num_queues_cdw0(n);
		break;
	}
	case NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION: {
		uint32_t mask = c->discovery ? AEC_DISC : AEC_NVM;

		if (v & ~mask) {
			complete_invalid_field(req);
			return;
		}
		c->aec = v;
		break;
	}
	case NVTCP_NVME_FEAT_KEEP_ALIVE_TIMER:
		if (v > c->tgt->opts.kato_max_ms) {
			complete_invalid_field(req);
			return;
		}
		if (tgt_ctrlr_set_kato(c, v) != 0) {
			tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR, false);
			return;
		}
		break;
	case NVTCP_NVME_FEAT_HOST_IDENTIFIER:
		/* Set by Connect; it cannot change afterwards. */
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
					NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR, true);
		return;
	default:
		complete_invalid_field(req);
		return;
	}
	tgt_req_complete(req);
}
