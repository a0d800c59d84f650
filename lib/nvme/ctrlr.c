/*
 * Controllers: the bring-up state machine (enum nvme_init_state, one function per state),
 * detach (enum nvme_detach_state), I/O queue pair allocation, controller state changes and
 * the information getters.
 *
 * Bring-up: TCP connect -> ICReq/ICResp -> Fabrics Connect (qpair_connect.c) -> Property Get
 * CAP, VS -> Property Set CC (EN, IOSQES 6, IOCQES 4) -> CSTS until RDY (bounded by CAP.TO) ->
 * keep-alive armed -> Identify Controller -> Set Features Number of Queues -> Asynchronous
 * Event Configuration -> namespace scan -> AERs -> LIVE. A discovery controller stops after
 * Identify. Every command waits at most admin_timeout_ms (60 s when 0); every failure leaves a
 * one-line reason and a negative errno.
 *
 * The same machine runs again for each reconnect attempt of a recovery (reset.c): then a
 * failure fails the attempt, not the controller, and the Identify data, CAP and the namespaces
 * are checked against what the first attach found.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"

static const char *
state_str(enum nvtcp_ctrlr_state s)
{
	switch (s) {
	case NVTCP_CTRLR_STATE_CONNECTING: return "connecting";
	case NVTCP_CTRLR_STATE_LIVE: return "live";
	case NVTCP_CTRLR_STATE_RESETTING: return "resetting";
	case NVTCP_CTRLR_STATE_FAILED: return "failed";
	case NVTCP_CTRLR_STATE_DELETING: return "deleting";
	default: return "unknown";
	}
}

void
nvme_ctrlr_set_state(struct nvtcp_ctrlr *c, enum nvtcp_ctrlr_state state)
{
	if (atomic_load(&c->state) == (int)state) {
		return;
	}
	NVTCP_INFOLOG("controller %s:%s %s: %s\n", c->trid.traddr, c->trid.trsvcid,
		      c->trid.subnqn, state_str(state));
	atomic_store_explicit(&c->state, (int)state, memory_order_release);
	/* Release: an I/O thread that sees the new generation sees the new state too. */
	atomic_fetch_add_explicit(&c->event_gen, 1, memory_order_release);
	if (c->opts.state_cb != NULL) {
		c->opts.state_cb(c->opts.state_cb_arg, c, state);
	}
}

uint64_t
nvme_ctrlr_cmd_timeout_ticks(const struct nvtcp_ctrlr *c)
{
	return nvme_ms_to_ticks(c->opts.admin_timeout_ms != 0 ? c->opts.admin_timeout_ms :
				NVME_DEFAULT_CMD_TIMEOUT_MS);
}

void
nvme_ctrlr_fail(struct nvtcp_ctrlr *c, int rc, const char *fmt, ...)
{
	enum nvtcp_ctrlr_state s = (enum nvtcp_ctrlr_state)atomic_load(&c->state);
	va_list ap;

	if (s == NVTCP_CTRLR_STATE_FAILED || s == NVTCP_CTRLR_STATE_DELETING) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	c->init_rc = rc;
	NVTCP_ERRLOG("controller " NVME_CTRLR_FMT " failed: %s\n", NVME_CTRLR_ARGS(c), c->reason);
	c->ka_armed = false;
	c->reset_state = NVME_RESET_NONE;
	c->reiniting = false;
	c->cmd_pending = false;
	/* I/O threads see FAILED on their next poll and fail what they hold (Host Path Error,
	 * DNR set, for what was never sent). */
	nvme_ctrlr_set_state(c, NVTCP_CTRLR_STATE_FAILED);
	/* The admin connection is not trusted any more: its commands complete with an error. */
	if (c->adminq != NULL && nvme_qpair_is_up(c->adminq)) {
		c->adminq->quiet_fail = true;
		nvme_qpair_disconnect(c->adminq, rc, "controller failed");
		c->adminq->quiet_fail = false;
	}
	nvme_ctrlr_aborts_reset(c);
}

/* ---- Bring-up ----------------------------------------------------------------------------- */

static int __attribute__((format(printf, 3, 4)))
init_fail(struct nvtcp_ctrlr *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->init_state == NVME_INIT_FAILED) {
		return c->init_rc;
	}
	c->init_rc = rc;
	c->init_state = NVME_INIT_FAILED;
	c->cmd_pending = false;
	c->ka_armed = false;
	if (c->reiniting) {
		/* A reconnect attempt failed: reset.c logs it and decides what comes next. */
		va_start(ap, fmt);
		vsnprintf(c->attempt_reason, sizeof(c->attempt_reason), fmt, ap);
		va_end(ap);
		return rc;
	}
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	NVTCP_ERRLOG("attach to %s:%s %s failed: %s (%s)\n", c->trid.traddr, c->trid.trsvcid,
		     c->trid.subnqn, c->reason, strerror(-rc));
	nvme_ctrlr_set_state(c, NVTCP_CTRLR_STATE_FAILED);
	return rc;
}

void
nvme_ctrlr_adminq_failed(struct nvtcp_ctrlr *c)
{
	struct nvtcp_qpair *aq = c->adminq;
	int rc = aq->fail_rc != 0 ? aq->fail_rc : -EIO;

	if (c->detach_state != NVME_DETACH_NONE ||
	    atomic_load(&c->state) == NVTCP_CTRLR_STATE_FAILED) {
		return;
	}
	if (!c->attached || c->reiniting) {
		/* The first attach, or a reconnect attempt, fails. */
		if (c->init_state != NVME_INIT_READY) {
			init_fail(c, rc, "%s", aq->fail_reason);
		}
		return;
	}
	/* A live controller lost its admin connection: recovery, not a permanent failure. */
	nvme_ctrlr_start_reset(c, false, rc, "admin queue: %s", aq->fail_reason);
}

typedef int (*init_issue_fn)(struct nvtcp_ctrlr *c);

/*
 * Issue a bring-up command once, then wait for its completion (in c->w) with a deadline.
 * Returns 1 when the completion is in, -EAGAIN while waiting, or a negative errno.
 */
static int
init_cmd(struct nvtcp_ctrlr *c, init_issue_fn issue, const char *what)
{
	int rc;

	if (!c->cmd_pending) {
		memset(&c->w, 0, sizeof(c->w));
		rc = issue(c);
		if (rc != 0) {
			return init_fail(c, rc, "cannot submit %s: %s", what, strerror(-rc));
		}
		c->cmd_pending = true;
		c->init_deadline = nvme_ticks() + nvme_ctrlr_cmd_timeout_ticks(c);
		return -EAGAIN;
	}
	if (!c->w.done) {
		if (nvme_ticks() > c->init_deadline) {
			return init_fail(c, -ETIMEDOUT, "%s: no response within %llu ms", what,
					 (unsigned long long)nvme_ticks_to_ms(
						 nvme_ctrlr_cmd_timeout_ticks(c)));
		}
		return -EAGAIN;
	}
	c->cmd_pending = false;
	return 1;
}

static int
init_cmd_error(struct nvtcp_ctrlr *c, const char *what)
{
	uint16_t st = c->w.cpl.status;

	return init_fail(c, -EIO, "%s failed: %s (SCT 0x%x, SC 0x%02x)", what,
			 nvtcp_nvme_status_str(st), nvtcp_nvme_status_sct(st),
			 nvtcp_nvme_status_sc(st));
}

static int
init_connect_adminq(struct nvtcp_ctrlr *c)
{
	struct nvtcp_qpair *aq = c->adminq;
	int rc;

	if (aq->state == NVME_QPAIR_DISCONNECTED || aq->state == NVME_QPAIR_RESETTING) {
		rc = nvme_qpair_connect_start(aq);
		if (rc != 0) {
			return init_fail(c, rc, "%s", aq->fail_reason);
		}
	}
	rc = nvme_qpair_connect_poll(aq);
	if (rc == -EAGAIN) {
		return -EAGAIN;
	}
	if (rc != 0) {
		return init_fail(c, rc, "%s", aq->fail_reason);
	}
	/* Digests in effect, as granted (a declined digest fails the connect). */
	c->opts.hdgst = aq->params.hdgst;
	c->opts.ddgst = aq->params.ddgst;
	c->init_state = NVME_INIT_READ_CAP;
	return 0;
}

static int
issue_read_cap(struct nvtcp_ctrlr *c)
{
	return nvme_prop_get(c, NVTCP_NVME_PROP_CAP, nvme_wait_cb, &c->w);
}

static int
init_read_cap(struct nvtcp_ctrlr *c)
{
	int rc = init_cmd(c, issue_read_cap, "Property Get CAP");

	if (rc != 1) {
		return rc;
	}
	if (nvtcp_nvme_cpl_is_error(&c->w.cpl)) {
		return init_cmd_error(c, "Property Get CAP");
	}
	c->cap = (uint64_t)c->w.cpl.cdw0 | ((uint64_t)c->w.cpl.cdw1 << 32);
	c->io_queue_size_max = nvtcp_nvme_cap_mqes(c->cap) + 1;
	if (c->reiniting) {
		char why[160];
		int r = nvme_ctrlr_check_cap(c, why, sizeof(why));

		if (r != 0) {
			return init_fail(c, r, "%s", why);
		}
	}
	c->init_state = NVME_INIT_READ_VS;
	return 0;
}

static int
issue_read_vs(struct nvtcp_ctrlr *c)
{
	return nvme_prop_get(c, NVTCP_NVME_PROP_VS, nvme_wait_cb, &c->w);
}

static int
init_read_vs(struct nvtcp_ctrlr *c)
{
	int rc = init_cmd(c, issue_read_vs, "Property Get VS");

	if (rc != 1) {
		return rc;
	}
	if (nvtcp_nvme_cpl_is_error(&c->w.cpl)) {
		return init_cmd_error(c, "Property Get VS");
	}
	c->vs = c->w.cpl.cdw0;
	c->init_state = NVME_INIT_ENABLE;
	return 0;
}

static uint32_t
cc_value(uint64_t cap)
{
	uint32_t css = nvtcp_nvme_cap_css(cap);
	uint32_t cc = nvtcp_nvme_cc_enable_value(nvtcp_nvme_cap_mpsmin(cap));

	/* An admin-only controller (a discovery controller may be one) takes CSS 111b. */
	if (!(css & NVTCP_NVME_CAP_CSS_NVM) && (css & NVTCP_NVME_CAP_CSS_NO_IO)) {
		cc = (cc & ~NVTCP_NVME_CC_CSS_MASK) |
		     (NVTCP_NVME_CC_CSS_ADMIN_ONLY << NVTCP_NVME_CC_CSS_SHIFT);
	}
	return cc;
}

static int
issue_enable(struct nvtcp_ctrlr *c)
{
	c->cc = cc_value(c->cap);
	return nvme_prop_set(c, NVTCP_NVME_PROP_CC, c->cc, nvme_wait_cb, &c->w);
}

static int
init_enable(struct nvtcp_ctrlr *c)
{
	int rc = init_cmd(c, issue_enable, "Property Set CC");
	uint32_t to;

	if (rc != 1) {
		return rc;
	}
	if (nvtcp_nvme_cpl_is_error(&c->w.cpl)) {
		return init_cmd_error(c, "Property Set CC");
	}
	/* CAP.TO is in 500 ms units; 0 would be no wait at all, so allow one unit. */
	to = NVTCP_MAX(nvtcp_nvme_cap_to(c->cap), 1u);
	c->wait_deadline = nvme_ticks() + nvme_ms_to_ticks((uint64_t)to * 500);
	c->next_tick = 0;
	c->init_state = NVME_INIT_WAIT_RDY;
	return 0;
}

static int
issue_read_csts(struct nvtcp_ctrlr *c)
{
	return nvme_prop_get(c, NVTCP_NVME_PROP_CSTS, nvme_wait_cb, &c->w);
}

static void
ka_arm(struct nvtcp_ctrlr *c)
{
	if (c->opts.kato_ms == 0) {
		return;
	}
	/* Every KATO/2 (as the Linux host); a keep-alive not answered within KATO fails the
	 * controller. The controller's timer runs from enable, so arm as soon as RDY is seen. */
	c->ka_interval = nvme_ms_to_ticks(NVTCP_MAX(c->opts.kato_ms / 2, 1u));
	c->ka_timeout = nvme_ms_to_ticks(c->opts.kato_ms);
	c->next_ka = nvme_ticks() + c->ka_interval;
	c->ka_armed = true;
}

static int
init_wait_rdy(struct nvtcp_ctrlr *c)
{
	uint32_t csts;
	int rc;

	if (!c->cmd_pending && nvme_ticks() < c->next_tick) {
		return -EAGAIN;
	}
	rc = init_cmd(c, issue_read_csts, "Property Get CSTS");
	if (rc != 1) {
		return rc;
	}
	if (nvtcp_nvme_cpl_is_error(&c->w.cpl)) {
		return init_cmd_error(c, "Property Get CSTS");
	}
	csts = c->w.cpl.cdw0;
	if (nvtcp_nvme_csts_cfs(csts)) {
		return init_fail(c, -EIO, "controller fatal status (CSTS 0x%08x, CSTS.CFS) after "
				 "CC 0x%08x", csts, c->cc);
	}
	if (nvtcp_nvme_csts_rdy(csts)) {
		c->enabled = true;
		ka_arm(c);
		c->init_state = NVME_INIT_IDENTIFY;
		return 0;
	}
	if (nvme_ticks() > c->wait_deadline) {
		return init_fail(c, -ETIMEDOUT, "CSTS.RDY not set within CAP.TO (%u ms; CSTS "
				 "0x%08x)", NVTCP_MAX(nvtcp_nvme_cap_to(c->cap), 1u) * 500, csts);
	}
	c->next_tick = nvme_ticks() + nvme_ms_to_ticks(1) * NVME_CSTS_POLL_US / 1000;
	return -EAGAIN;
}

static int
issue_identify(struct nvtcp_ctrlr *c)
{
	struct nvtcp_nvme_cmd cmd;
	/* A reconnect reads into a buffer of its own: it is checked before it replaces what the
	 * application may be reading. */
	void *buf = c->reiniting ? (void *)c->new_cdata : (void *)c->cdata;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.cdw10 = NVTCP_NVME_IDENTIFY_CDW10(NVTCP_NVME_IDENTIFY_CTRLR, 0);
	return nvme_admin_submit(c, &cmd, buf, sizeof(*c->cdata), nvme_wait_cb, &c->w);
}

static void
ctrlr_apply_identify(struct nvtcp_ctrlr *c)
{
	const struct nvtcp_nvme_ctrlr_data *d = c->cdata;
	uint64_t mdts_bytes = UINT64_MAX;
	uint32_t page = 4096u << nvtcp_nvme_cap_mpsmin(c->cap);

	if (d->mdts != 0 && d->mdts < 32) {
		mdts_bytes = (uint64_t)page << d->mdts;
	}
	c->max_xfer = (uint32_t)NVTCP_MIN((uint64_t)NVME_DRIVER_MAX_XFER, mdts_bytes);
	if (c->max_xfer < 4096) {
		c->max_xfer = 4096;
	}
	c->adminq->max_xfer = c->max_xfer;
	/* In-capsule data of I/O commands: IOCCSZ * 16 - 64 bytes, when it starts right after
	 * the SQE (ICDOFF 0, which every NVMe/TCP controller we know reports). */
	if (d->ioccsz >= 4 && d->icdoff == 0) {
		uint64_t bytes = (uint64_t)d->ioccsz * 16 - 64;

		c->io_incapsule = (uint32_t)NVTCP_MIN(bytes, (uint64_t)NVME_DRIVER_MAX_XFER);
	} else {
		c->io_incapsule = 0;
		if (d->icdoff != 0) {
			NVTCP_NOTICELOG("controller %s:%s reports ICDOFF %u: no in-capsule data on "
					"I/O queues\n", c->trid.traddr, c->trid.trsvcid, d->icdoff);
		}
	}
	c->aer_target = NVTCP_MIN((uint32_t)d->aerl + 1, NVME_MAX_AERS);
	if (d->cntrltype == NVTCP_NVME_CNTRLTYPE_DISCOVERY ||
	    strcmp(c->trid.subnqn, NVTCP_NVMF_DISCOVERY_NQN) == 0) {
		c->discovery = true;
	}
	if (d->cntlid != c->cntlid) {
		NVTCP_WARNLOG("controller %s:%s: Identify reports controller ID %u, Connect %u\n",
			      c->trid.traddr, c->trid.trsvcid, d->cntlid, c->cntlid);
	}
}

static int
init_identify(struct nvtcp_ctrlr *c)
{
	int rc = init_cmd(c, issue_identify, "Identify Controller");

	if (rc != 1) {
		return rc;
	}
	if (nvtcp_nvme_cpl_is_error(&c->w.cpl)) {
		return init_cmd_error(c, "Identify Controller");
	}
	if (c->reiniting) {
		char why[sizeof(c->attempt_reason)];

		/* The same controller, or nothing: its data is not mixed with another's. */
		rc = nvme_ctrlr_revalidate(c, c->new_cdata, why, sizeof(why));
		if (rc != 0) {
			return init_fail(c, rc, "%s", why);
		}
		memcpy(c->cdata, c->new_cdata, sizeof(*c->cdata));
	}
	ctrlr_apply_identify(c);
	c->init_state = c->discovery ? NVME_INIT_READY : NVME_INIT_SET_NUM_QUEUES;
	return 0;
}

static int
issue_num_queues(struct nvtcp_ctrlr *c)
{
	uint32_t n = NVTCP_MIN(c->opts.num_io_queues, 65535u);

	return nvtcp_ctrlr_cmd_set_feature(c, NVTCP_NVME_FEAT_NUMBER_OF_QUEUES,
					   nvtcp_nvme_feat_num_queues(n, n), 0, NULL, 0,
					   nvme_wait_cb, &c->w);
}

static int
qid_bitmap_init(struct nvtcp_ctrlr *c)
{
	c->qid_words = (c->num_io_queues + 63) / 64;
	if (c->qid_words == 0) {
		return 0;
	}
	c->qid_bits = calloc(c->qid_words, sizeof(*c->qid_bits));
	return c->qid_bits == NULL ? -ENOMEM : 0;
}

static int
init_set_num_queues(struct nvtcp_ctrlr *c)
{
	uint32_t nsq, ncq;
	int rc;

	if (c->opts.num_io_queues == 0) {
		c->num_io_queues = 0;
		c->init_state = NVME_INIT_SET_AEC;
		return 0;
	}
	rc = init_cmd(c, issue_num_queues, "Set Features Number of Queues");
	if (rc != 1) {
		return rc;
	}
	if (nvtcp_nvme_cpl_is_error(&c->w.cpl)) {
		return init_cmd_error(c, "Set Features Number of Queues");
	}
	nsq = nvtcp_nvme_feat_num_queues_nsq(c->w.cpl.cdw0);
	ncq = nvtcp_nvme_feat_num_queues_ncq(c->w.cpl.cdw0);
	if (c->reiniting) {
		/* The queue ID map stays as the first attach sized it; a queue pair whose ID is
		 * above a smaller grant fails when it tries to reconnect. */
		uint32_t n = NVTCP_MIN(NVTCP_MIN(nsq, ncq), c->num_io_queues_first);

		if (n < c->num_io_queues_first) {
			NVTCP_WARNLOG("controller " NVME_CTRLR_FMT ": grants %u I/O queues after the "
				      "reconnect, %u at attach\n", NVME_CTRLR_ARGS(c), n,
				      c->num_io_queues_first);
		}
		c->num_io_queues = n;
		c->init_state = NVME_INIT_SET_AEC;
		return 0;
	}
	c->num_io_queues = NVTCP_MIN(NVTCP_MIN(nsq, ncq), NVTCP_MIN(c->opts.num_io_queues, 65535u));
	c->num_io_queues_first = c->num_io_queues;
	rc = qid_bitmap_init(c);
	if (rc != 0) {
		return init_fail(c, rc, "out of memory");
	}
	c->init_state = NVME_INIT_SET_AEC;
	return 0;
}

static uint32_t
aec_value(const struct nvtcp_ctrlr *c)
{
	return c->cdata->oaes & (NVTCP_NVME_OAES_NS_ATTRIBUTE_NOTICES |
				 NVTCP_NVME_OAES_FW_ACTIVATION_NOTICES |
				 NVTCP_NVME_OAES_ANA_CHANGE_NOTICES);
}

static int
issue_aec(struct nvtcp_ctrlr *c)
{
	return nvtcp_ctrlr_cmd_set_feature(c, NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION,
					   aec_value(c), 0, NULL, 0, nvme_wait_cb, &c->w);
}

static int
init_set_aec(struct nvtcp_ctrlr *c)
{
	int rc;

	if (aec_value(c) == 0) {
		c->init_state = NVME_INIT_SCAN_NS;
		return 0;
	}
	rc = init_cmd(c, issue_aec, "Set Features Asynchronous Event Configuration");
	if (rc != 1) {
		return rc;
	}
	if (nvtcp_nvme_cpl_is_error(&c->w.cpl)) {
		/* Not fatal: events keep their defaults. */
		NVTCP_WARNLOG("controller %s:%s: Asynchronous Event Configuration 0x%x refused: "
			      "%s\n", c->trid.traddr, c->trid.trsvcid, aec_value(c),
			      nvtcp_nvme_status_str(c->w.cpl.status));
	}
	c->init_state = NVME_INIT_SCAN_NS;
	return 0;
}

static void
init_scan_done(struct nvtcp_ctrlr *c, int rc)
{
	c->w.done = true;
	c->scan_rc = rc;
}

static int
init_scan_ns(struct nvtcp_ctrlr *c)
{
	if (!c->cmd_pending) {
		c->cmd_pending = true;
		c->w.done = false;
		c->init_deadline = nvme_ticks() + nvme_ctrlr_cmd_timeout_ticks(c);
		nvme_ns_scan_start(c, init_scan_done);
	}
	if (!c->w.done) {
		/* The scan refreshes init_deadline with each command it issues. */
		if (nvme_ticks() > c->init_deadline) {
			return init_fail(c, -ETIMEDOUT, "namespace scan: no response within %llu ms",
					 (unsigned long long)nvme_ticks_to_ms(
						 nvme_ctrlr_cmd_timeout_ticks(c)));
		}
		return -EAGAIN;
	}
	c->cmd_pending = false;
	if (c->scan_rc != 0) {
		return init_fail(c, c->scan_rc, "namespace scan failed");
	}
	c->init_state = NVME_INIT_SUBMIT_AERS;
	return 0;
}

static int
init_submit_aers(struct nvtcp_ctrlr *c)
{
	nvme_ctrlr_submit_aers(c);
	c->init_state = NVME_INIT_READY;
	return 0;
}

static int
init_step(struct nvtcp_ctrlr *c)
{
	switch (c->init_state) {
	case NVME_INIT_CONNECT_ADMINQ: return init_connect_adminq(c);
	case NVME_INIT_READ_CAP: return init_read_cap(c);
	case NVME_INIT_READ_VS: return init_read_vs(c);
	case NVME_INIT_ENABLE: return init_enable(c);
	case NVME_INIT_WAIT_RDY: return init_wait_rdy(c);
	case NVME_INIT_IDENTIFY: return init_identify(c);
	case NVME_INIT_SET_NUM_QUEUES: return init_set_num_queues(c);
	case NVME_INIT_SET_AEC: return init_set_aec(c);
	case NVME_INIT_SCAN_NS: return init_scan_ns(c);
	case NVME_INIT_SUBMIT_AERS: return init_submit_aers(c);
	case NVME_INIT_READY: return 1;
	default: return c->init_rc != 0 ? c->init_rc : -EIO;
	}
}

/* ---- Attach ------------------------------------------------------------------------------- */

static int
check_opts(const struct nvtcp_ctrlr_opts *o)
{
	if (o->admin_queue_size < 8 || o->admin_queue_size > 4096 || o->io_queue_size < 2 ||
	    o->io_queue_size > NVME_MAX_QUEUE_SIZE || o->max_r2t < 1 || o->max_r2t > NVME_MAX_R2T ||
	    o->hpda > NVTCP_TCP_PDA_MAX || o->tcp_user_timeout_ms > INT_MAX) {
		return -EINVAL;
	}
	return 0;
}

/* Take the PSK out of the options into the controller's own (wiped) copy: the options only
 * borrowed the caller's strings. A PSK implies TLS; TLS has no other kind of key. */
static int
load_psk(struct nvtcp_ctrlr *c)
{
	const char *psk = c->opts.psk, *path = c->opts.psk_path;
	char err[512];
	int rc = 0;

	c->opts.psk = NULL;
	c->opts.psk_path = NULL;
	c->tls = c->opts.tls || psk != NULL || path != NULL;
	if (!c->tls) {
		return 0;
	}
	if (psk != NULL && path != NULL) {
		NVTCP_ERRLOG("attach: PSK: give psk or psk_path, not both\n");
		return -EINVAL;
	}
	if (psk == NULL && path == NULL) {
		NVTCP_ERRLOG("attach: TLS requires a PSK (psk or psk_path)\n");
		return -EINVAL;
	}
	err[0] = '\0';
	if (psk != NULL) {
		rc = nvtcp_tls_psk_parse(psk, &c->tls_psk, err, sizeof(err));
		if (rc != 0) {
			NVTCP_ERRLOG("attach: PSK: %s\n", err[0] ? err : strerror(-rc));
		}
	} else {
		rc = nvtcp_tls_psk_load_file(path, &c->tls_psk, err, sizeof(err));
		if (rc != 0) {
			NVTCP_ERRLOG("attach: PSK: %s\n", err[0] ? err : strerror(-rc));
		}
	}
	if (rc != 0) {
		nvtcp_tls_psk_wipe(&c->tls_psk);
	}
	return rc;
}

int
nvtcp_ctrlr_attach_async(const struct nvtcp_trid *trid, const struct nvtcp_ctrlr_opts *opts,
			 struct nvtcp_ctrlr **ctrlr)
{
	struct nvme_qpair_cfg cfg;
	struct nvtcp_ctrlr *c;
	char err[128];
	const char *hostnqn;
	int rc;

	if (trid == NULL || ctrlr == NULL) {
		return -EINVAL;
	}
	*ctrlr = NULL;
	if (trid->trtype != NVTCP_TRTYPE_TCP || trid->traddr[0] == '\0') {
		NVTCP_ERRLOG("attach: transport ID without a TCP address\n");
		return -EINVAL;
	}
	if (!nvtcp_nqn_valid(trid->subnqn, err, sizeof(err))) {
		NVTCP_ERRLOG("attach: subsystem NQN \"%s\": %s\n", trid->subnqn, err);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	c->trid = *trid;
	if (opts != NULL) {
		c->opts = *opts;
	} else {
		nvtcp_ctrlr_opts_init(&c->opts);
	}
	if (c->trid.trsvcid[0] == '\0') {
		snprintf(c->trid.trsvcid, sizeof(c->trid.trsvcid), "%s",
			 strcmp(trid->subnqn, NVTCP_NVMF_DISCOVERY_NQN) == 0 ? NVTCP_DISCOVERY_PORT :
			 NVTCP_IO_PORT);
	}
	hostnqn = c->trid.hostnqn[0] ? c->trid.hostnqn : c->opts.host.hostnqn;
	if (check_opts(&c->opts) != 0 || !nvtcp_nqn_valid(hostnqn, err, sizeof(err))) {
		NVTCP_ERRLOG("attach: invalid options%s%s\n", hostnqn[0] ? "" : ": no host NQN",
			     check_opts(&c->opts) == 0 && hostnqn[0] ? err : "");
		free(c);
		return -EINVAL;
	}
	rc = load_psk(c);
	if (rc != 0) {
		free(c);
		return rc;
	}
	rc = nvme_auth_ctrlr_init(c);
	if (rc != 0) {
		nvtcp_tls_psk_wipe(&c->tls_psk);
		free(c);
		return rc;
	}
	if (strcmp(c->trid.subnqn, NVTCP_NVMF_DISCOVERY_NQN) == 0) {
		/* A discovery controller is not kept alive (no persistent discovery). */
		c->opts.kato_ms = 0;
		c->discovery = true;
	}
	atomic_init(&c->state, NVTCP_CTRLR_STATE_CONNECTING);
	atomic_init(&c->event_gen, 0);
	atomic_init(&c->assoc_gen, 0);
	atomic_init(&c->pub_cntlid, 0);
	atomic_init(&c->pub_num_io_queues, 0);
	atomic_init(&c->reset_id, 0);
	atomic_init(&c->reset_req_gen, 0);
	atomic_init(&c->reset_req_info, 0);
	atomic_init(&c->io_fast_fail, false);
	atomic_init(&c->abort_posted, 0);
	for (uint32_t i = 0; i < NVME_ABORT_SLOTS; i++) {
		atomic_init(&c->abort_slots[i].state, NVME_ABORT_SLOT_FREE);
		c->abort_ctx[i].ctrlr = c;
	}
	c->admin_tmo_ticks = nvme_ms_to_ticks(c->opts.admin_timeout_ms);
	c->io_tmo_ticks = nvme_ms_to_ticks(c->opts.io_timeout_ms);
	pthread_mutex_init(&c->qpairs_lock, NULL);
	TAILQ_INIT(&c->qpairs);
	c->max_xfer = NVME_DRIVER_MAX_XFER;
	if (posix_memalign((void **)&c->cdata, 4096, sizeof(*c->cdata)) != 0 ||
	    posix_memalign((void **)&c->new_cdata, 4096, sizeof(*c->new_cdata)) != 0 ||
	    posix_memalign((void **)&c->scan_buf, 4096, NVTCP_NVME_IDENTIFY_DATA_SIZE) != 0 ||
	    posix_memalign((void **)&c->aer_log, 4096, NVTCP_NVME_IDENTIFY_DATA_SIZE) != 0) {
		rc = -ENOMEM;
		goto err;
	}
	memset(c->cdata, 0, sizeof(*c->cdata));
	memset(&cfg, 0, sizeof(cfg));
	cfg.qid = 0;
	cfg.queue_size = c->opts.admin_queue_size;
	/* Room for the AERs on top of the queue's commands; the keep-alive is reserved. */
	cfg.num_reqs = c->opts.admin_queue_size + NVME_MAX_AERS;
	cfg.num_reserved = 1;
	cfg.wire_reserved = 1;
	cfg.num_parents = 8;
	cfg.policy = NVTCP_QPAIR_FULL_EAGAIN;
	c->adminq = nvme_qpair_create(c, &cfg);
	if (c->adminq == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	c->init_state = NVME_INIT_CONNECT_ADMINQ;
	*ctrlr = c;
	NVTCP_INFOLOG("attaching to %s:%s %s\n", c->trid.traddr, c->trid.trsvcid, c->trid.subnqn);
	return 0;
err:
	free(c->cdata);
	free(c->new_cdata);
	free(c->scan_buf);
	free(c->aer_log);
	pthread_mutex_destroy(&c->qpairs_lock);
	nvtcp_tls_psk_wipe(&c->tls_psk);
	nvme_auth_ctrlr_fini(c);
	free(c);
	return rc;
}

int
nvme_ctrlr_init_run(struct nvtcp_ctrlr *c)
{
	int rc;

	if (c->init_state == NVME_INIT_READY) {
		return 1;
	}
	if (c->init_state == NVME_INIT_FAILED) {
		return c->init_rc;
	}
	if (nvme_qpair_is_up(c->adminq)) {
		(void)nvme_qpair_poll(c->adminq, 0, false);
	}
	nvme_ctrlr_keep_alive(c);
	do {
		rc = init_step(c);
	} while (rc == 0);
	if (c->adminq->sock != NULL && nvtcp_sock_has_pending_sends(c->adminq->sock)) {
		(void)nvtcp_sock_flush(c->adminq->sock);
	}
	if (rc == 1) {
		return 1;
	}
	if (c->init_state == NVME_INIT_FAILED) {
		return c->init_rc;
	}
	return -EAGAIN;
}

void
nvme_ctrlr_init_restart(struct nvtcp_ctrlr *c)
{
	c->init_state = NVME_INIT_CONNECT_ADMINQ;
	c->init_rc = 0;
	c->cmd_pending = false;
	c->enabled = false;
	memset(&c->w, 0, sizeof(c->w));
}

int
nvtcp_ctrlr_attach_poll(struct nvtcp_ctrlr *c)
{
	int rc;

	if (c == NULL) {
		return -EINVAL;
	}
	if (c->attached) {
		return 0; /* a later reset runs in nvtcp_ctrlr_process_admin_completions() */
	}
	rc = nvme_ctrlr_init_run(c);
	if (rc == 1) {
		c->attached = true;
		c->last_live = nvme_ticks();
		/* The first association: I/O queue pairs take its controller ID. */
		atomic_store_explicit(&c->pub_cntlid, c->cntlid, memory_order_relaxed);
		atomic_store_explicit(&c->pub_num_io_queues, c->num_io_queues,
				      memory_order_relaxed);
		atomic_store_explicit(&c->assoc_gen, 1, memory_order_release);
		nvme_ctrlr_set_state(c, NVTCP_CTRLR_STATE_LIVE);
		NVTCP_NOTICELOG("attached to %s:%s %s: controller ID %u, %s, %u I/O queues, %u "
				"namespaces, max transfer %u\n", c->trid.traddr, c->trid.trsvcid,
				c->trid.subnqn, c->cntlid, c->discovery ? "discovery" : "NVM",
				c->num_io_queues, c->num_active, c->max_xfer);
		return 0;
	}
	return rc;
}

static struct nvtcp_ctrlr *
attach_sync(const struct nvtcp_trid *trid, const struct nvtcp_ctrlr_opts *opts, int *rc,
	    char *reason, size_t reason_len)
{
	struct nvtcp_ctrlr *c = NULL;
	int r;

	if (reason != NULL && reason_len > 0) {
		reason[0] = '\0';
	}
	r = nvtcp_ctrlr_attach_async(trid, opts, &c);
	if (r == 0) {
		/* Bounded: every bring-up state has a deadline. */
		while ((r = nvtcp_ctrlr_attach_poll(c)) == -EAGAIN) {
			nvme_sync_pause();
		}
	} else if (reason != NULL && reason_len > 0) {
		snprintf(reason, reason_len, "invalid transport ID or options (%s)", strerror(-r));
	}
	if (r != 0 && c != NULL) {
		if (reason != NULL && reason_len > 0) {
			snprintf(reason, reason_len, "%s", c->reason);
		}
		(void)nvtcp_ctrlr_detach(c);
		c = NULL;
	}
	if (rc != NULL) {
		*rc = r;
	}
	return c;
}

struct nvtcp_ctrlr *
nvtcp_ctrlr_attach(const struct nvtcp_trid *trid, const struct nvtcp_ctrlr_opts *opts, int *rc)
{
	return attach_sync(trid, opts, rc, NULL, 0);
}

struct nvtcp_ctrlr *
nvtcp_ctrlr_attach_ext(const struct nvtcp_trid *trid, const struct nvtcp_ctrlr_opts *opts,
		       int *rc, char *reason, size_t reason_len)
{
	return attach_sync(trid, opts, rc, reason, reason_len);
}

/* ---- Admin polling ------------------------------------------------------------------------ */

int32_t
nvtcp_ctrlr_process_admin_completions(struct nvtcp_ctrlr *c)
{
	int32_t n;

	if (c == NULL) {
		return -EINVAL;
	}
	/* Re-authentication: its deadline, and its outcome (also when the controller failed). */
	if (c->reauth_busy) {
		nvme_auth_ctrlr_poll(c);
	}
	if (c->detach_state != NVME_DETACH_NONE ||
	    atomic_load(&c->state) == NVTCP_CTRLR_STATE_FAILED) {
		return -ENXIO;
	}
	if (!c->attached) {
		int rc = nvtcp_ctrlr_attach_poll(c);

		return rc == -EAGAIN ? 0 : rc;
	}
	if (c->reset_state != NVME_RESET_NONE) {
		nvme_ctrlr_reset_poll(c);
		return atomic_load(&c->state) == NVTCP_CTRLR_STATE_FAILED ? -ENXIO : 0;
	}
	n = nvme_qpair_poll(c->adminq, 0, false);
	nvme_ctrlr_keep_alive(c);
	if (c->reset_state == NVME_RESET_NONE && atomic_load(&c->state) == NVTCP_CTRLR_STATE_LIVE) {
		if (c->admin_tmo_ticks != 0 && !TAILQ_EMPTY(&c->adminq->wire)) {
			nvme_qpair_check_timeouts(c->adminq, nvme_ticks());
		}
		nvme_ctrlr_send_posted_aborts(c);
		nvme_ctrlr_check_reset_request(c);
	}
	if (c->reset_state == NVME_RESET_NONE && atomic_load(&c->state) == NVTCP_CTRLR_STATE_LIVE) {
		nvme_ctrlr_submit_aers(c);
	}
	if (c->adminq->sock != NULL && nvtcp_sock_has_pending_sends(c->adminq->sock)) {
		(void)nvtcp_sock_flush(c->adminq->sock);
	}
	if (atomic_load(&c->state) == NVTCP_CTRLR_STATE_FAILED) {
		return -ENXIO;
	}
	return n < 0 ? 0 : n;
}

/* ---- Detach ------------------------------------------------------------------------------- */

int
nvtcp_ctrlr_detach_async(struct nvtcp_ctrlr *c)
{
	if (c == NULL) {
		return -EINVAL;
	}
	if (c->detach_state != NVME_DETACH_NONE) {
		return -EALREADY;
	}
	/* A failed first attach is still shut down when it got that far (as before); a reconnect
	 * attempt is not (its association is new, and a bring-up command may be outstanding). */
	c->detach_was_live = c->reset_state == NVME_RESET_NONE &&
			     (!c->attached || atomic_load(&c->state) == NVTCP_CTRLR_STATE_LIVE);
	c->detach_state = NVME_DETACH_START;
	c->ka_armed = false;
	/* A recovery stops here: detach closes whatever it left. */
	c->reset_state = NVME_RESET_NONE;
	c->reiniting = false;
	nvme_ctrlr_set_state(c, NVTCP_CTRLR_STATE_DELETING);
	/* A re-authentication in progress ends here (its callback runs now). */
	nvme_auth_ctrlr_cancel(c);
	return 0;
}

static uint64_t
shutdown_timeout_ms(const struct nvtcp_ctrlr *c)
{
	uint64_t ms = c->cdata->rtd3e / 1000; /* RTD3E is in microseconds */

	return NVTCP_MIN(NVTCP_MAX(ms, (uint64_t)NVME_SHUTDOWN_TIMEOUT_MIN_MS),
			 (uint64_t)NVME_SHUTDOWN_TIMEOUT_MAX_MS);
}

static void
detach_io_qpairs(struct nvtcp_ctrlr *c)
{
	struct nvtcp_qpair *qp;

	for (;;) {
		pthread_mutex_lock(&c->qpairs_lock);
		qp = TAILQ_FIRST(&c->qpairs);
		pthread_mutex_unlock(&c->qpairs_lock);
		if (qp == NULL) {
			break;
		}
		if (qp->group != NULL) {
			(void)nvtcp_poll_group_remove(qp->group, qp);
		}
		qp->quiet_fail = true;
		nvme_qpair_fail_final(qp, NVME_STATUS_ABORTED_SQ_DELETION, -ENXIO,
				      "controller detached");
		nvme_io_qpair_release(c, qp);
	}
}

static void
detach_free(struct nvtcp_ctrlr *c)
{
	if (c->adminq != NULL) {
		c->adminq->quiet_fail = true;
		nvme_qpair_fail_final(c->adminq, NVME_STATUS_ABORTED_SQ_DELETION, -ENXIO,
				      "controller detached");
		nvme_qpair_destroy(c->adminq);
		c->adminq = NULL;
	}
	nvme_ns_free_all(c);
	free(c->scan_ids);
	free(c->qid_bits);
	free(c->cdata);
	free(c->new_cdata);
	free(c->scan_buf);
	free(c->aer_log);
	pthread_mutex_destroy(&c->qpairs_lock);
	nvtcp_tls_psk_wipe(&c->tls_psk);
	nvme_auth_ctrlr_fini(c);
	free(c);
}

static void
detach_close(struct nvtcp_ctrlr *c, int rc)
{
	if (c->detach_rc == 0) {
		c->detach_rc = rc;
	}
	c->detach_state = NVME_DETACH_CLOSE;
}

/* Read CSTS (again) once the poll interval passed. */
static int
detach_read_csts(struct nvtcp_ctrlr *c)
{
	int rc;

	memset(&c->w, 0, sizeof(c->w));
	rc = nvme_prop_get(c, NVTCP_NVME_PROP_CSTS, nvme_wait_cb, &c->w);
	if (rc != 0) {
		detach_close(c, rc);
		return 0;
	}
	c->detach_state = NVME_DETACH_WAIT_SHST;
	return -EAGAIN;
}

static int
detach_start(struct nvtcp_ctrlr *c)
{
	int rc;

	detach_io_qpairs(c);
	/* Shut down only a controller that is up (see nvtcp_ctrlr_detach_async()). */
	if (c->adminq->state != NVME_QPAIR_CONNECTED || !c->enabled || !c->detach_was_live) {
		detach_close(c, 0);
		return 0;
	}
	/* Normal shutdown: CC.SHN = 01b, then CSTS.SHST = 10b, bounded. */
	memset(&c->w, 0, sizeof(c->w));
	rc = nvme_prop_set(c, NVTCP_NVME_PROP_CC,
			   (c->cc & ~NVTCP_NVME_CC_SHN_MASK) |
			   (NVTCP_NVME_SHN_NORMAL << NVTCP_NVME_CC_SHN_SHIFT), nvme_wait_cb, &c->w);
	if (rc != 0) {
		detach_close(c, rc);
		return 0;
	}
	c->detach_deadline = nvme_ticks() + nvme_ms_to_ticks(shutdown_timeout_ms(c));
	c->detach_state = NVME_DETACH_SHUTDOWN;
	return -EAGAIN;
}

/* SHUTDOWN waits for the CC write, WAIT_SHST for each CSTS read. */
static int
detach_wait(struct nvtcp_ctrlr *c)
{
	if (c->adminq->state != NVME_QPAIR_CONNECTED) {
		detach_close(c, -ECONNRESET);
		return 0;
	}
	if (nvme_ticks() > c->detach_deadline) {
		NVTCP_WARNLOG("controller %s:%s: shutdown not complete within %llu ms\n",
			      c->trid.traddr, c->trid.trsvcid,
			      (unsigned long long)shutdown_timeout_ms(c));
		detach_close(c, -ETIMEDOUT);
		return 0;
	}
	if (!c->w.done) {
		return -EAGAIN;
	}
	if (nvtcp_nvme_cpl_is_error(&c->w.cpl)) {
		NVTCP_WARNLOG("controller %s:%s: shutdown: %s\n", c->trid.traddr, c->trid.trsvcid,
			      nvtcp_nvme_status_str(c->w.cpl.status));
		detach_close(c, -EIO);
		return 0;
	}
	if (c->detach_state == NVME_DETACH_SHUTDOWN) {
		c->next_tick = 0;
		return detach_read_csts(c);
	}
	if (nvtcp_nvme_csts_shst(c->w.cpl.cdw0) == NVTCP_NVME_SHST_COMPLETE) {
		detach_close(c, 0);
		return 0;
	}
	if (c->next_tick == 0) {
		c->next_tick = nvme_ticks() + nvme_ms_to_ticks(1);
	}
	if (nvme_ticks() < c->next_tick) {
		return -EAGAIN;
	}
	c->next_tick = 0;
	return detach_read_csts(c);
}

static int
detach_step(struct nvtcp_ctrlr *c)
{
	switch (c->detach_state) {
	case NVME_DETACH_START:
		return detach_start(c);
	case NVME_DETACH_SHUTDOWN:
	case NVME_DETACH_WAIT_SHST:
		return detach_wait(c);
	case NVME_DETACH_CLOSE:
		NVTCP_INFOLOG("detached from %s:%s %s%s\n", c->trid.traddr, c->trid.trsvcid,
			      c->trid.subnqn, c->detach_rc == 0 ? "" : " (shutdown incomplete)");
		c->detach_state = NVME_DETACH_DONE;
		return 1;
	default:
		return 1;
	}
}

/* One detach step; \p result gets the shutdown's outcome when the controller is freed. */
static int
detach_poll(struct nvtcp_ctrlr *c, int *result)
{
	int rc;

	if (c == NULL || c->detach_state == NVME_DETACH_NONE) {
		return -EINVAL;
	}
	if (c->adminq->state == NVME_QPAIR_CONNECTED) {
		(void)nvme_qpair_poll(c->adminq, 0, false);
	}
	do {
		rc = detach_step(c);
	} while (rc == 0);
	if (rc == 1) {
		*result = c->detach_rc;
		detach_free(c);
		return 0;
	}
	if (c->adminq->sock != NULL && nvtcp_sock_has_pending_sends(c->adminq->sock)) {
		(void)nvtcp_sock_flush(c->adminq->sock);
	}
	return -EAGAIN;
}

int
nvtcp_ctrlr_detach_poll(struct nvtcp_ctrlr *c)
{
	int result;

	return detach_poll(c, &result);
}

int
nvtcp_ctrlr_detach(struct nvtcp_ctrlr *c)
{
	int result = 0;
	int rc;

	rc = nvtcp_ctrlr_detach_async(c);
	if (rc != 0) {
		return rc;
	}
	while ((rc = detach_poll(c, &result)) == -EAGAIN) {
		nvme_sync_pause();
	}
	return rc != 0 ? rc : result;
}

/* ---- Information -------------------------------------------------------------------------- */

const struct nvtcp_nvme_ctrlr_data *
nvtcp_ctrlr_get_data(const struct nvtcp_ctrlr *c)
{
	return c->cdata;
}

uint64_t
nvtcp_ctrlr_get_cap(const struct nvtcp_ctrlr *c)
{
	return c->cap;
}

uint32_t
nvtcp_ctrlr_get_vs(const struct nvtcp_ctrlr *c)
{
	return c->vs;
}

uint16_t
nvtcp_ctrlr_get_cntlid(const struct nvtcp_ctrlr *c)
{
	return c->cntlid;
}

const struct nvtcp_trid *
nvtcp_ctrlr_get_trid(const struct nvtcp_ctrlr *c)
{
	return &c->trid;
}

const struct nvtcp_ctrlr_opts *
nvtcp_ctrlr_get_opts(const struct nvtcp_ctrlr *c)
{
	return &c->opts;
}

enum nvtcp_ctrlr_state
nvtcp_ctrlr_get_state(const struct nvtcp_ctrlr *c)
{
	return (enum nvtcp_ctrlr_state)atomic_load(&((struct nvtcp_ctrlr *)c)->state);
}

bool
nvtcp_ctrlr_hdgst_enabled(const struct nvtcp_ctrlr *c)
{
	return c->adminq != NULL && c->adminq->ic_done && c->adminq->params.hdgst;
}

bool
nvtcp_ctrlr_ddgst_enabled(const struct nvtcp_ctrlr *c)
{
	return c->adminq != NULL && c->adminq->ic_done && c->adminq->params.ddgst;
}

uint32_t
nvtcp_ctrlr_get_max_xfer_size(const struct nvtcp_ctrlr *c)
{
	return c->max_xfer;
}

uint32_t
nvtcp_ctrlr_get_num_io_queues(const struct nvtcp_ctrlr *c)
{
	return c->num_io_queues;
}

bool
nvtcp_ctrlr_is_discovery(const struct nvtcp_ctrlr *c)
{
	return c->discovery;
}

const char *
nvtcp_ctrlr_get_tls_cipher(const struct nvtcp_ctrlr *c)
{
	return c->adminq != NULL && c->adminq->tls_cipher[0] ? c->adminq->tls_cipher : NULL;
}

const char *
nvtcp_ctrlr_get_failure_reason(const struct nvtcp_ctrlr *c)
{
	enum nvtcp_ctrlr_state s = nvtcp_ctrlr_get_state(c);

	if (s == NVTCP_CTRLR_STATE_FAILED || (!c->attached && c->init_state == NVME_INIT_FAILED)) {
		return c->reason;
	}
	if (s == NVTCP_CTRLR_STATE_RESETTING) {
		return c->reason; /* why it resets, and why the last attempt failed */
	}
	return "";
}
