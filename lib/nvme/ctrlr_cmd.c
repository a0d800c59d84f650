/*
 * Admin commands: the public ones (Identify, Get Log Page, Get/Set Features, Abort, raw), the
 * driver's own (Property Get/Set, Keep Alive, Asynchronous Event Requests), keep-alive timing
 * and asynchronous event handling.
 */
#include <errno.h>
#include <string.h>

#include "nvme_internal.h"

static int
admin_usable(struct nvtcp_ctrlr *c, bool internal)
{
	int s;

	if (c == NULL) {
		return -EINVAL;
	}
	s = atomic_load(&c->state);
	/* While detaching, only the driver's shutdown commands go out. */
	if (s == NVTCP_CTRLR_STATE_FAILED || (!internal && s == NVTCP_CTRLR_STATE_DELETING) ||
	    c->adminq->state == NVME_QPAIR_FAILED) {
		return -ENXIO;
	}
	/* The application's admin commands are not carried across a reconnect (the driver's
	 * own bring-up commands run on the new connection): ask again once LIVE. */
	if (!internal && s == NVTCP_CTRLR_STATE_RESETTING) {
		return -EAGAIN;
	}
	if (c->adminq->state != NVME_QPAIR_CONNECTED) {
		return internal ? -ENXIO : -EAGAIN;
	}
	return 0;
}

static void
desc_raw(struct nvme_io_desc *d, const struct nvtcp_nvme_cmd *cmd, void *buf, uint32_t len,
	 nvtcp_cmd_cb cb, void *cb_arg, bool internal)
{
	d->kind = NVME_DESC_RAW;
	d->internal = internal;
	d->dsm_buf = -1;
	d->ns = NULL;
	d->cmd = *cmd;
	d->len = len;
	d->cb = cb;
	d->cb_arg = cb_arg;
	d->iovcnt = len > 0 ? 1 : 0;
	d->iov[0].iov_base = buf;
	d->iov[0].iov_len = len;
}

static int
admin_submit(struct nvtcp_ctrlr *c, const struct nvtcp_nvme_cmd *cmd, void *buf, uint32_t len,
	     nvtcp_cmd_cb cb, void *cb_arg, bool internal)
{
	struct nvme_io_desc d;
	int rc = admin_usable(c, internal);

	if (rc != 0) {
		return rc;
	}
	if ((len > 0 && buf == NULL) || len > c->max_xfer) {
		return -EINVAL;
	}
	desc_raw(&d, cmd, buf, len, cb, cb_arg, internal);
	return nvme_qpair_submit_desc(c->adminq, &d);
}

int
nvme_admin_submit(struct nvtcp_ctrlr *c, const struct nvtcp_nvme_cmd *cmd, void *buf, uint32_t len,
		  nvtcp_cmd_cb cb, void *cb_arg)
{
	return admin_submit(c, cmd, buf, len, cb, cb_arg, true);
}

void
nvme_wait_cb(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvme_wait *w = cb_arg;

	w->cpl = *cpl;
	w->done = true;
}

int
nvme_prop_get(struct nvtcp_ctrlr *c, uint32_t ofst, nvtcp_cmd_cb cb, void *cb_arg)
{
	struct nvtcp_nvmf_prop_get_cmd p;
	struct nvtcp_nvme_cmd cmd;

	memset(&p, 0, sizeof(p));
	p.opc = NVTCP_NVME_OPC_FABRICS;
	p.fctype = NVTCP_NVMF_FCTYPE_PROPERTY_GET;
	p.attrib = nvtcp_nvme_prop_size(ofst) == 8 ? NVTCP_NVMF_PROP_SIZE_8 : NVTCP_NVMF_PROP_SIZE_4;
	p.ofst = ofst;
	memcpy(&cmd, &p, sizeof(cmd));
	return nvme_admin_submit(c, &cmd, NULL, 0, cb, cb_arg);
}

int
nvme_prop_set(struct nvtcp_ctrlr *c, uint32_t ofst, uint64_t value, nvtcp_cmd_cb cb, void *cb_arg)
{
	struct nvtcp_nvmf_prop_set_cmd p;
	struct nvtcp_nvme_cmd cmd;

	memset(&p, 0, sizeof(p));
	p.opc = NVTCP_NVME_OPC_FABRICS;
	p.fctype = NVTCP_NVMF_FCTYPE_PROPERTY_SET;
	p.attrib = nvtcp_nvme_prop_size(ofst) == 8 ? NVTCP_NVMF_PROP_SIZE_8 : NVTCP_NVMF_PROP_SIZE_4;
	p.ofst = ofst;
	p.value = value;
	memcpy(&cmd, &p, sizeof(cmd));
	return nvme_admin_submit(c, &cmd, NULL, 0, cb, cb_arg);
}

/* ---- Public admin commands ---------------------------------------------------------------- */

int
nvtcp_ctrlr_cmd_identify(struct nvtcp_ctrlr *c, uint8_t cns, uint16_t cntid, uint32_t nsid,
			 void *buf, size_t len, nvtcp_cmd_cb cb, void *cb_arg)
{
	struct nvtcp_nvme_cmd cmd;

	/* Every Identify data structure is 4096 bytes, and controllers check the length. */
	if (buf == NULL || len < NVTCP_NVME_IDENTIFY_DATA_SIZE) {
		return -EINVAL;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.nsid = nsid;
	cmd.cdw10 = NVTCP_NVME_IDENTIFY_CDW10(cns, cntid);
	return admin_submit(c, &cmd, buf, NVTCP_NVME_IDENTIFY_DATA_SIZE, cb, cb_arg, false);
}

uint32_t
nvme_ctrlr_log_chunk(const struct nvtcp_ctrlr *c)
{
	/* Without extended data (LPA bit 2) only NUMDL exists: 64 Ki dwords at most. */
	uint32_t chunk = c->max_xfer;

	if (!(c->cdata->lpa & NVTCP_NVME_LPA_EXTENDED_DATA)) {
		chunk = NVTCP_MIN(chunk, 256u * 1024);
	}
	return chunk & ~3u;
}

int
nvme_get_log_page(struct nvtcp_ctrlr *c, uint8_t lid, bool rae, uint32_t nsid, void *buf,
		  uint32_t len, uint64_t offset, bool internal, nvtcp_cmd_cb cb, void *cb_arg)
{
	struct nvme_io_desc d;
	int rc = admin_usable(c, internal);

	if (rc != 0) {
		return rc;
	}
	if (buf == NULL || len == 0 || len % 4 != 0 || offset % 4 != 0) {
		return -EINVAL;
	}
	memset(&d.cmd, 0, sizeof(d.cmd));
	d.kind = NVME_DESC_LOG;
	d.internal = internal;
	d.dsm_buf = -1;
	d.ns = NULL;
	d.cmd.opc = NVTCP_NVME_OPC_GET_LOG_PAGE;
	d.cmd.nsid = nsid;
	d.cmd.cdw10 = lid | (rae ? NVTCP_NVME_GET_LOG_CDW10_RAE : 0);
	d.len = len;
	d.log_offset = offset;
	d.max_chunk = nvme_ctrlr_log_chunk(c);
	d.cb = cb;
	d.cb_arg = cb_arg;
	d.iovcnt = 1;
	d.iov[0].iov_base = buf;
	d.iov[0].iov_len = len;
	return nvme_qpair_submit_desc(c->adminq, &d);
}

int
nvtcp_ctrlr_cmd_get_log_page(struct nvtcp_ctrlr *c, uint8_t lid, uint32_t nsid, void *buf,
			     uint32_t len, uint64_t offset, nvtcp_cmd_cb cb, void *cb_arg)
{
	return nvme_get_log_page(c, lid, false, nsid, buf, len, offset, false, cb, cb_arg);
}

int
nvtcp_ctrlr_cmd_get_feature(struct nvtcp_ctrlr *c, uint8_t fid, uint32_t cdw11, void *buf,
			    uint32_t len, nvtcp_cmd_cb cb, void *cb_arg)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_GET_FEATURES;
	cmd.cdw10 = fid;
	cmd.cdw11 = cdw11;
	return admin_submit(c, &cmd, buf, len, cb, cb_arg, false);
}

int
nvtcp_ctrlr_cmd_set_feature(struct nvtcp_ctrlr *c, uint8_t fid, uint32_t cdw11, uint32_t cdw12,
			    void *buf, uint32_t len, nvtcp_cmd_cb cb, void *cb_arg)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_SET_FEATURES;
	cmd.cdw10 = fid;
	cmd.cdw11 = cdw11;
	cmd.cdw12 = cdw12;
	/* The driver's own Set Features (number of queues, events) stay out of the stats. */
	return admin_submit(c, &cmd, buf, len, cb, cb_arg, cb == nvme_wait_cb);
}

int
nvtcp_ctrlr_cmd_abort(struct nvtcp_ctrlr *c, struct nvtcp_qpair *qpair, uint16_t cid,
		      nvtcp_cmd_cb cb, void *cb_arg)
{
	struct nvtcp_nvme_cmd cmd;

	if (qpair != NULL && qpair->ctrlr != c) {
		return -EINVAL;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_ABORT;
	cmd.cdw10 = NVTCP_NVME_ABORT_CDW10(qpair != NULL ? qpair->qid : 0, cid);
	return admin_submit(c, &cmd, NULL, 0, cb, cb_arg, false);
}

int
nvtcp_ctrlr_cmd_admin_raw(struct nvtcp_ctrlr *c, const struct nvtcp_nvme_cmd *cmd, void *buf,
			  uint32_t len, nvtcp_cmd_cb cb, void *cb_arg)
{
	enum nvtcp_nvme_data_xfer xfer;

	if (cmd == NULL) {
		return -EINVAL;
	}
	/* The driver owns the connection's Fabrics commands and the AERs. */
	if (cmd->opc == NVTCP_NVME_OPC_FABRICS || cmd->opc == NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST) {
		return -EINVAL;
	}
	xfer = nvtcp_nvme_opc_data_xfer(cmd->opc);
	if (len > 0 && (xfer == NVTCP_NVME_DATA_NONE || xfer == NVTCP_NVME_DATA_BIDIRECTIONAL)) {
		return -EINVAL;
	}
	return admin_submit(c, cmd, buf, len, cb, cb_arg, false);
}

/* ---- Keep-alive --------------------------------------------------------------------------- */

static void
ka_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_ctrlr *c = cb_arg;

	c->ka_outstanding = false;
	if (!nvtcp_nvme_cpl_is_error(cpl)) {
		return;
	}
	if (c->detach_state != NVME_DETACH_NONE || c->adminq->state != NVME_QPAIR_CONNECTED) {
		return; /* the connection is going away anyway (that is being handled) */
	}
	/* The controller says our association is not alive (e.g. Keep Alive Timer expired on
	 * its side): re-establish it, as the Linux host does. */
	nvme_ctrlr_start_reset(c, false, -EIO, "keep-alive failed: %s (SCT 0x%x, SC 0x%02x)",
			       nvtcp_nvme_status_str(cpl->status),
			       nvtcp_nvme_status_sct(cpl->status), nvtcp_nvme_status_sc(cpl->status));
}

void
nvme_ctrlr_keep_alive(struct nvtcp_ctrlr *c)
{
	struct nvtcp_qpair *aq = c->adminq;
	struct nvme_request *req;
	struct nvtcp_nvme_cmd cmd;
	uint64_t now;

	if (!c->ka_armed || c->ka_interval == 0 || aq->state != NVME_QPAIR_CONNECTED) {
		return;
	}
	now = nvme_ticks();
	if (c->ka_outstanding) {
		/* Its own rule (not the admin command timeout): a keep-alive not answered within
		 * KATO means the association is dead on one side or the other. */
		if (now - c->ka_sent > c->ka_timeout) {
			c->stats.keep_alive_timeouts++;
			nvme_ctrlr_start_reset(c, false, -ETIMEDOUT, "keep-alive timed out: no "
					       "response within %u ms", c->opts.kato_ms);
		}
		return;
	}
	if (now < c->next_ka) {
		return;
	}
	/* The reserved request (it carried the Connect): a keep-alive is never refused for
	 * lack of a request, and it has a wire slot of its own. */
	req = &aq->reqs[aq->num_reqs - 1];
	if (req->state != NVME_REQ_FREE) {
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_KEEP_ALIVE;
	if (nvme_req_setup(aq, req, &cmd, NULL, 0, 0, ka_done, c) != 0) {
		return;
	}
	req->internal = true;
	c->ka_outstanding = true;
	c->ka_sent = now;
	c->next_ka = now + c->ka_interval;
	nvme_req_submit(aq, req, true);
}

/* ---- Asynchronous events ------------------------------------------------------------------ */

void
nvtcp_ctrlr_register_aer_callback(struct nvtcp_ctrlr *c, nvtcp_cmd_cb cb, void *cb_arg)
{
	c->aer_cb = cb;
	c->aer_cb_arg = cb_arg;
}

void
nvtcp_ctrlr_get_aer_callback(const struct nvtcp_ctrlr *c, nvtcp_cmd_cb *cb, void **cb_arg)
{
	*cb = c->aer_cb;
	*cb_arg = c->aer_cb_arg;
}

static void aer_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl);

void
nvme_ctrlr_submit_aers(struct nvtcp_ctrlr *c)
{
	struct nvtcp_nvme_cmd cmd;

	if (c->discovery || c->aer_limit_hit || c->detach_state != NVME_DETACH_NONE ||
	    c->adminq->state != NVME_QPAIR_CONNECTED) {
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST;
	while (c->aer_outstanding < c->aer_target) {
		if (nvme_admin_submit(c, &cmd, NULL, 0, aer_done, c) != 0) {
			break; /* retried by the next nvtcp_ctrlr_process_admin_completions() */
		}
		c->aer_outstanding++;
	}
}

static void
ns_rescan_done(struct nvtcp_ctrlr *c, int rc)
{
	/* -ENXIO: the controller is going away; nothing to report. */
	if (rc != 0 && rc != -ENXIO) {
		NVTCP_WARNLOG("controller %s:%s: namespace rescan failed: %s\n", c->trid.traddr,
			      c->trid.trsvcid, strerror(-rc));
	}
}

static void
aer_log_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_ctrlr *c = cb_arg;

	c->aer_log_busy = false;
	if (c->detach_state != NVME_DETACH_NONE || c->adminq->state != NVME_QPAIR_CONNECTED ||
	    atomic_load(&c->state) != NVTCP_CTRLR_STATE_LIVE) {
		return;
	}
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		NVTCP_WARNLOG("controller %s:%s: reading the log page of an event failed: %s\n",
			      c->trid.traddr, c->trid.trsvcid, nvtcp_nvme_status_str(cpl->status));
	}
}

static void
aer_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_ctrlr *c = cb_arg;
	uint8_t type, info, lid;

	c->aer_outstanding--;
	if (c->detach_state != NVME_DETACH_NONE || c->adminq->state != NVME_QPAIR_CONNECTED ||
	    atomic_load(&c->state) != NVTCP_CTRLR_STATE_LIVE || c->reset_state != NVME_RESET_NONE) {
		return; /* completed by a lost connection: re-armed after the reconnect */
	}
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		if (nvtcp_nvme_status_sct(cpl->status) == NVTCP_NVME_SCT_COMMAND_SPECIFIC &&
		    nvtcp_nvme_status_sc(cpl->status) ==
		    NVTCP_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED) {
			c->aer_limit_hit = true;
		} else {
			/* Re-arming after an error could loop forever: stop with a note. */
			NVTCP_WARNLOG("controller %s:%s: Asynchronous Event Request failed: %s\n",
				      c->trid.traddr, c->trid.trsvcid,
				      nvtcp_nvme_status_str(cpl->status));
			c->aer_limit_hit = true;
		}
		return;
	}
	type = nvtcp_nvme_aer_type(cpl->cdw0);
	info = nvtcp_nvme_aer_info(cpl->cdw0);
	lid = nvtcp_nvme_aer_log_page(cpl->cdw0);
	NVTCP_INFOLOG("controller %s:%s: asynchronous event: type %u, info 0x%02x, log page "
		      "0x%02x\n", c->trid.traddr, c->trid.trsvcid, type, info, lid);
	if (c->aer_cb != NULL) {
		c->aer_cb(c->aer_cb_arg, cpl);
	}
	/* Read the log page the event names, with RAE clear: that clears the event so that the
	 * controller reports the next one of its kind. */
	if (lid != 0 && !c->aer_log_busy) {
		uint32_t len = lid == NVTCP_NVME_LOG_CHANGED_NS_LIST ? NVTCP_NVME_IDENTIFY_DATA_SIZE :
			       512;

		if (nvme_get_log_page(c, lid, false, NVTCP_NVME_NSID_ALL, c->aer_log, len, 0, true,
				      aer_log_done, c) == 0) {
			c->aer_log_busy = true;
		}
	}
	if (type == NVTCP_NVME_AER_TYPE_NOTICE && info == NVTCP_NVME_AER_NOTICE_NS_ATTR_CHANGED) {
		nvme_ns_scan_start(c, ns_rescan_done);
	}
	nvme_ctrlr_submit_aers(c);
}
