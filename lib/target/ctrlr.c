/*
 * Controllers: Fabrics Connect (admin and I/O queues, across reactors), properties and the
 * CC/CSTS state machines, keep-alive, asynchronous events, Abort, and teardown.
 *
 * Connect of an admin queue (conn on reactor A):
 *   A: check the command and data -> M: find the subsystem, check the host, allocate a
 *   controller ID and register the controller -> A: bind it to the queue, answer.
 * Connect of an I/O queue (conn on reactor B):
 *   B: check -> M: find the controller by ID -> A (the controller's reactor): check host NQN,
 *   host ID, queue ID and state, claim the queue slot -> B: answer.
 * Release of an I/O queue: B -> A (slot freed) -> B (ack: the connection may be freed). A
 * controller being torn down asks its I/O queues to close (A -> B), waits for their releases,
 * then unregisters on M (A -> M -> A) and frees itself. Messages between two reactors are
 * delivered in order, which is what makes every pointer in them valid on arrival (see the
 * comments at each step).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/fabrics.h"
#include "target_internal.h"

#define NVME_VS_1_3 NVTCP_NVME_VS(1, 3, 0)
/* CAP.TO: 15 * 500 ms, as Linux. */
#define CAP_TO 15ull

struct connect_ctx {
	struct tgt_req *req;
	struct tgt_conn *conn;
	struct tgt_pg *pg;
	struct nvtcp_tgt *tgt;
	struct nvtcp_nvmf_connect_data data;
	uint16_t qid;
	uint16_t portid;
	uint16_t sqsize;
	uint8_t cattr;
	uint32_t kato;
	uint16_t status;
	uint32_t cdw0;
	struct tgt_ctrlr *ctrlr;
	struct tgt_subsys *subsys;
	struct tgt_lease *lease;
	/* M charged the queue to the lease: a later refusal must uncharge it. */
	bool charged;
	/* The queue runs over TLS; the listener's secure channel mode. */
	bool tls;
	uint8_t secure;
	/* The host must authenticate this queue: its keys (M's copy), and whether the Connect
	 * holds an authentication slot. */
	struct tgt_auth_keys *auth_keys;
	bool auth_charged;
	char why[256];
};

static void
connect_ctx_free(struct connect_ctx *ctx)
{
	tgt_auth_keys_free(ctx->auth_keys);
	free(ctx);
}

static void connect_reply(void *arg);

static void
connect_fail(struct connect_ctx *ctx, uint8_t sct, uint8_t sc, uint32_t cdw0, const char *fmt,
	     ...) __attribute__((format(printf, 5, 6)));

static void
connect_fail(struct connect_ctx *ctx, uint8_t sct, uint8_t sc, uint32_t cdw0, const char *fmt,
	     ...)
{
	va_list ap;

	ctx->status = nvtcp_nvme_status(sct, sc, true);
	ctx->cdw0 = cdw0;
	va_start(ap, fmt);
	vsnprintf(ctx->why, sizeof(ctx->why), fmt, ap);
	va_end(ap);
}

#define INVALID_PARAM(ctx, in_data, field_off, ...)                                            \
	connect_fail((ctx), NVTCP_NVME_SCT_COMMAND_SPECIFIC,                                    \
		     NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS,                                  \
		     nvtcp_nvmf_connect_rsp_invalid((in_data), (field_off)), __VA_ARGS__)

#define DATA_OFF(field) offsetof(struct nvtcp_nvmf_connect_data, field)
#define SQE_OFF(field) offsetof(struct nvtcp_nvmf_connect_cmd, field)

uint64_t
tgt_ctrlr_cap(const struct nvtcp_tgt *tgt, bool discovery)
{
	uint32_t mqes = (discovery ? tgt->opts.max_admin_queue_depth : tgt->opts.max_queue_depth) - 1;

	return (uint64_t)mqes | NVTCP_NVME_CAP_CQR | (CAP_TO << NVTCP_NVME_CAP_TO_SHIFT) |
	       ((uint64_t)NVTCP_NVME_CAP_CSS_NVM << NVTCP_NVME_CAP_CSS_SHIFT);
}

/* Copy an NQN field of Connect data (validated: NUL-terminated, at most 223 characters). */
static void
nqn_copy(char *dst, size_t size, const char *field)
{
	size_t len = strnlen(field, NVTCP_NVMF_NQN_FIELD_LEN);

	len = NVTCP_MIN(len, size - 1);
	memcpy(dst, field, len);
	dst[len] = '\0';
}

/* ---- Registry (M) ------------------------------------------------------------------------ */

static bool
cntlid_used(struct nvtcp_tgt *tgt, uint16_t id)
{
	const struct tgt_subsys *s;
	const struct tgt_ctrlr *c;

	TAILQ_FOREACH(c, &tgt->disc->ctrlrs, subsys_link) {
		if (c->cntlid == id) {
			return true;
		}
	}
	TAILQ_FOREACH(s, &tgt->subsystems, link) {
		TAILQ_FOREACH(c, &s->ctrlrs, subsys_link) {
			if (c->cntlid == id) {
				return true;
			}
		}
	}
	return false;
}

static int
cntlid_alloc(struct nvtcp_tgt *tgt, uint16_t *id)
{
	for (uint32_t i = 0; i < NVTCP_NVMF_CNTLID_MAX; i++) {
		uint16_t c = tgt->next_cntlid;

		tgt->next_cntlid = c >= NVTCP_NVMF_CNTLID_MAX ? 1 : (uint16_t)(c + 1);
		if (!cntlid_used(tgt, c)) {
			*id = c;
			return 0;
		}
	}
	return -ENOSPC;
}

static void connect_io_on_ctrlr(void *arg);

/*
 * Charge the queue to its host's and subsystem's limits (M). A refusal is final for this
 * Connect (DNR): the host holds the resources until it lets some go. Limits on how many
 * queues a host or subsystem may have get Controller Busy (the controller cannot take
 * another association now); the queue entries limit gets Invalid Parameters on SQSIZE,
 * since a smaller queue may still fit.
 */
static bool
connect_charge(struct connect_ctx *ctx)
{
	enum nvtcp_tgt_limit limit;
	char why[200];
	int rc;

	rc = tgt_limits_charge(ctx->lease, ctx->data.hostnqn, ctx->subsys->nqn, ctx->qid,
			       (uint32_t)ctx->sqsize + 1, &limit, why, sizeof(why));
	if (rc == 0) {
		ctx->charged = true;
		return true;
	}
	if (rc == -ENOMEM) {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONTROLLER_BUSY, 0,
			     "out of memory");
	} else if (limit == NVTCP_TGT_LIMIT_QUEUE_ENTRIES_PER_HOST) {
		INVALID_PARAM(ctx, false, SQE_OFF(sqsize), "%s", why);
	} else {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONTROLLER_BUSY, 0,
			     "%s", why);
	}
	return false;
}

/*
 * A host with a DH-HMAC-CHAP key (M): the queue gets a copy of its keys and takes an
 * authentication slot of its listener and address (bounded DH work), or the Connect gets
 * Controller Busy.
 */
static bool
connect_auth_prepare(struct connect_ctx *ctx)
{
	const struct tgt_host *h = tgt_subsys_host_find(ctx->subsys, ctx->data.hostnqn);
	enum nvtcp_tgt_limit limit;
	char why[200];

	if (h == NULL || !h->has_dhchap) {
		return true;
	}
	ctx->auth_keys = tgt_auth_keys_get(h);
	if (ctx->auth_keys == NULL) {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONTROLLER_BUSY, 0,
			     "out of memory");
		return false;
	}
	if (ctx->lease == NULL) {
		return true;
	}
	if (tgt_limits_auth_charge(ctx->lease, &limit, why, sizeof(why)) != 0) {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONTROLLER_BUSY, 0,
			     "authentication refused: %s", why);
		return false;
	}
	ctx->auth_charged = true;
	return true;
}

static void
connect_uncharge(struct connect_ctx *ctx)
{
	if (ctx->charged) {
		tgt_limits_uncharge(ctx->lease);
		ctx->charged = false;
	}
}

/* Remember (M) that an I/O queue of \p c came through listener \p portid. A queue accepted
 * without a listener (portid 0) is bound by no listener rule and is not tracked. */
static void
ctrlr_note_io_portid(struct tgt_ctrlr *c, uint16_t portid)
{
	if (portid == 0 || portid == c->portid) {
		return;
	}
	for (uint8_t i = 0; i < c->nio_portids; i++) {
		if (c->io_portids[i] == portid) {
			return;
		}
	}
	if (c->nio_portids < TGT_CTRLR_PORTIDS) {
		c->io_portids[c->nio_portids++] = portid;
	} else {
		c->io_portids_overflow = true;
	}
}

static void
connect_on_mgmt(void *arg)
{
	struct connect_ctx *ctx = arg;
	struct nvtcp_tgt *tgt = ctx->tgt;
	struct tgt_subsys *s;
	struct tgt_ctrlr *c;
	uint16_t id;

	s = tgt->destroying ? NULL : tgt_subsys_find(tgt, ctx->data.subnqn);
	if (s == NULL || s->removing) {
		INVALID_PARAM(ctx, true, DATA_OFF(subnqn), "no subsystem %s", ctx->data.subnqn);
		goto reply;
	}
	ctx->subsys = s;
	if (!tgt_subsys_listener_allowed(tgt, s, ctx->portid)) {
		struct tgt_listener *l = tgt_listener_by_portid(tgt, ctx->portid);

		INVALID_PARAM(ctx, true, DATA_OFF(subnqn),
			      "subsystem %s does not listen on %s:%u (portid %u)", s->nqn,
			      l != NULL ? l->addr : "a removed listener",
			      l != NULL ? l->bound_port : 0, ctx->portid);
		goto reply;
	}
	if (!tgt_subsys_host_allowed(s, ctx->data.hostnqn)) {
		if (ctx->data.hostnqn[0] == '\0') {
			connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC,
				     NVTCP_NVMF_SC_CONNECT_INVALID_HOST,
				     nvtcp_nvmf_connect_rsp_invalid(true, DATA_OFF(hostnqn)),
				     "empty host NQN: %s admits listed hosts only", s->nqn);
		} else {
			connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC,
				     NVTCP_NVMF_SC_CONNECT_INVALID_HOST,
				     nvtcp_nvmf_connect_rsp_invalid(true, DATA_OFF(hostnqn)),
				     "host %s is not allowed on %s", ctx->data.hostnqn, s->nqn);
		}
		goto reply;
	}
	if (ctx->tls && !tgt_subsys_host_has_psk(s, ctx->data.hostnqn)) {
		/* Removed (with its key) after its handshake. */
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONNECT_INVALID_HOST,
			     nvtcp_nvmf_connect_rsp_invalid(true, DATA_OFF(hostnqn)),
			     "host %s has no TLS PSK on %s any more", ctx->data.hostnqn, s->nqn);
		goto reply;
	}
	if (!ctx->tls && ctx->secure != NVTCP_TGT_SECURE_NONE &&
	    tgt_subsys_host_has_psk(s, ctx->data.hostnqn)) {
		/* A host given a key authenticates with it wherever TLS is offered. */
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONNECT_INVALID_HOST,
			     nvtcp_nvmf_connect_rsp_invalid(true, DATA_OFF(hostnqn)),
			     "host %s has a TLS PSK on %s: it must connect over TLS",
			     ctx->data.hostnqn, s->nqn);
		goto reply;
	}
	if (ctx->qid > 0 && s->discovery) {
		INVALID_PARAM(ctx, false, SQE_OFF(qid), "the discovery subsystem has no I/O queues");
		goto reply;
	}
	if (!connect_charge(ctx)) {
		goto reply;
	}
	if (!s->discovery && !connect_auth_prepare(ctx)) {
		connect_uncharge(ctx);
		goto reply;
	}
	if (ctx->qid > 0) {
		TAILQ_FOREACH(c, &s->ctrlrs, subsys_link) {
			if (c->cntlid == ctx->data.cntlid) {
				ctrlr_note_io_portid(c, ctx->portid);
				/* The controller stays registered until its reactor has seen
				 * this message: unregistering goes through here, and messages
				 * from here to there keep their order. */
				ctx->ctrlr = c;
				tgt_send_msg(c->pg->reactor, connect_io_on_ctrlr, ctx);
				return;
			}
		}
		INVALID_PARAM(ctx, true, DATA_OFF(cntlid), "no controller %u on %s",
			      ctx->data.cntlid, s->nqn);
		connect_uncharge(ctx);
		goto reply;
	}
	if (cntlid_alloc(tgt, &id) != 0) {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONTROLLER_BUSY, 0,
			     "no free controller ID");
		connect_uncharge(ctx);
		goto reply;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONTROLLER_BUSY, 0,
			     "out of memory");
		connect_uncharge(ctx);
		goto reply;
	}
	c->tgt = tgt;
	c->subsys = s;
	c->pg = ctx->pg;
	c->cntlid = id;
	c->discovery = s->discovery;
	c->temp_th[0] = TGT_TEMP_OVER_DEFAULT;
	c->portid = ctx->portid;
	nqn_copy(c->hostnqn, sizeof(c->hostnqn), ctx->data.hostnqn);
	memcpy(c->hostid, ctx->data.hostid, sizeof(c->hostid));
	c->state = TGT_CTRLR_INIT;
	if (tgt_ana_ctrlr_init(c) != 0) {
		free(c);
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONTROLLER_BUSY, 0,
			     "out of memory");
		connect_uncharge(ctx);
		goto reply;
	}
	TAILQ_INSERT_TAIL(&s->ctrlrs, c, subsys_link);
	atomic_fetch_add(&tgt->nctrlrs, 1);
	ctx->ctrlr = c;
reply:
	tgt_send_msg(ctx->pg->reactor, connect_reply, ctx);
}

static void
ctrlr_free_msg(void *arg)
{
	struct tgt_ctrlr *c = arg;
	struct nvtcp_tgt *tgt = c->tgt;

	NVTCP_DEBUGLOG("controller %u freed\n", c->cntlid);
	free(c->ioq);
	tgt_ana_ctrlr_fini(c);
	free(c);
	atomic_fetch_sub(&tgt->nctrlrs, 1);
}

static void
unregister_on_mgmt(void *arg)
{
	struct tgt_ctrlr *c = arg;

	TAILQ_REMOVE(&c->subsys->ctrlrs, c, subsys_link);
	tgt_send_msg(c->pg->reactor, ctrlr_free_msg, c);
}

/* ---- I/O queue slots (A) ------------------------------------------------------------------ */

static void
ctrlr_maybe_finish(struct tgt_ctrlr *c)
{
	if (c->state == TGT_CTRLR_DYING && c->admin == NULL && c->nioq == 0 &&
	    c->releases_pending == 0) {
		c->releases_pending = 1; /* never again */
		tgt_send_msg(c->tgt->mgmt, unregister_on_mgmt, c);
	}
}

static void
connect_io_on_ctrlr(void *arg)
{
	struct connect_ctx *ctx = arg;
	struct tgt_ctrlr *c = ctx->ctrlr;

	ctx->ctrlr = NULL;
	if (c->state != TGT_CTRLR_LIVE) {
		INVALID_PARAM(ctx, true, DATA_OFF(cntlid), "controller %u is going away", c->cntlid);
	} else if (strcmp(c->hostnqn, ctx->data.hostnqn) != 0) {
		INVALID_PARAM(ctx, true, DATA_OFF(hostnqn),
			      "host NQN %s differs from %s of controller %u",
			      tgt_hostnqn_str(ctx->data.hostnqn), tgt_hostnqn_str(c->hostnqn),
			      c->cntlid);
	} else if (memcmp(c->hostid, ctx->data.hostid, sizeof(c->hostid)) != 0) {
		INVALID_PARAM(ctx, true, DATA_OFF(hostid), "host ID differs from controller %u's",
			      c->cntlid);
	} else if (c->quiescing) {
		connect_fail(ctx, NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR, 0,
			     "controller %u is being %s", c->cntlid,
			     c->shn_pending ? "shut down" : "reset (CC.EN cleared)");
	} else if (!tgt_ctrlr_ready(c)) {
		connect_fail(ctx, NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR, 0,
			     "controller %u is not enabled (CSTS.RDY 0)", c->cntlid);
	} else if (ctx->qid > c->num_io_queues) {
		INVALID_PARAM(ctx, false, SQE_OFF(qid), "qid %u above the %u I/O queues granted",
			      ctx->qid, c->num_io_queues);
	} else if (c->ioq[ctx->qid].conn != NULL) {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONTROLLER_BUSY, 0,
			     "qid %u of controller %u is already connected", ctx->qid, c->cntlid);
	} else {
		c->ioq[ctx->qid].conn = ctx->conn;
		c->ioq[ctx->qid].pg = ctx->pg;
		c->nioq++;
		ctx->ctrlr = c;
	}
	tgt_send_msg(ctx->pg->reactor, connect_reply, ctx);
}

static void ctrlr_quiesce_done(struct tgt_ctrlr *c);

static void
ioq_release_ack(void *arg)
{
	struct tgt_conn *conn = arg;

	conn->registered = false;
	conn->ctrlr = NULL;
	tgt_conn_put(conn);
}

static void
ioq_released(void *arg)
{
	struct tgt_conn *conn = arg;
	struct tgt_ctrlr *c = conn->ctrlr;

	if (c->ioq != NULL && conn->qid <= c->max_qid && c->ioq[conn->qid].conn == conn) {
		c->ioq[conn->qid].conn = NULL;
		c->ioq[conn->qid].pg = NULL;
		c->nioq--;
	}
	tgt_send_msg(conn->pg->reactor, ioq_release_ack, conn);
	if (c->quiescing && c->nioq == 0) {
		ctrlr_quiesce_done(c);
	}
	ctrlr_maybe_finish(c);
}

void
tgt_ctrlr_ioq_release(struct tgt_conn *conn)
{
	/* The connection stays allocated until the controller has let go of it. */
	conn->refs++;
	tgt_send_msg(conn->ctrlr->pg->reactor, ioq_released, conn);
}

static void
ioq_close_msg(void *arg)
{
	struct tgt_conn *conn = arg;

	/* Still allocated: it is freed only after its release was acknowledged, and that ack
	 * is sent after this message. */
	tgt_conn_close(conn, "controller %u torn down", conn->cntlid);
}

static void
ioq_reset_msg(void *arg)
{
	struct tgt_conn *conn = arg;

	/* As ioq_close_msg(): the slot still holds the connection, so it is allocated. */
	tgt_conn_close(conn, "controller %u reset or shut down by the host", conn->cntlid);
}

/* ---- Teardown (A) ------------------------------------------------------------------------- */

void
tgt_ctrlr_teardown(struct tgt_ctrlr *c, const char *reason)
{
	if (c->state == TGT_CTRLR_DYING) {
		return;
	}
	if (c->state == TGT_CTRLR_LIVE) {
		NVTCP_NOTICELOG("controller %u of host %s on %s: torn down: %s\n", c->cntlid,
				tgt_hostnqn_str(c->hostnqn), c->subsys->nqn, reason);
	}
	c->state = TGT_CTRLR_DYING;
	snprintf(c->teardown_reason, sizeof(c->teardown_reason), "%s", reason);
	nvtcp_poller_unregister(&c->ka_poller);
	for (uint32_t q = 1; c->ioq != NULL && q <= c->max_qid; q++) {
		if (c->ioq[q].conn != NULL) {
			tgt_send_msg(c->ioq[q].pg->reactor, ioq_close_msg, c->ioq[q].conn);
		}
	}
	if (c->admin != NULL) {
		tgt_conn_close(c->admin, "%s", reason);
	}
	ctrlr_maybe_finish(c);
}

void
tgt_ctrlr_admin_conn_closed(struct tgt_ctrlr *c, const char *reason)
{
	struct tgt_conn *conn = c->admin;

	for (uint32_t i = 0; i < c->naer; i++) {
		tgt_req_release(c->aer[i]);
		c->aer[i] = NULL;
	}
	c->naer = 0;
	if (conn != NULL) {
		conn->ctrlr = NULL;
	}
	c->admin = NULL;
	if (c->state != TGT_CTRLR_DYING) {
		tgt_ctrlr_teardown(c, reason);
	} else {
		ctrlr_maybe_finish(c);
	}
}

static int
ka_poll(void *arg)
{
	struct tgt_ctrlr *c = arg;

	/* Like Linux: at each expiry of a KATO-long timer, any command seen since the last one
	 * (on any queue: traffic-based keep-alive) rearms it; silence tears the controller
	 * down. A host is thus given between KATO and twice KATO. */
	if (c->ka_activity || __atomic_load_n(&c->io_activity, __ATOMIC_RELAXED)) {
		c->ka_activity = false;
		__atomic_store_n(&c->io_activity, 0, __ATOMIC_RELAXED);
		return NVTCP_POLLER_IDLE;
	}
	{
		char why[96];

		snprintf(why, sizeof(why), "keep-alive timeout (no command for %u ms)", c->kato_ms);
		tgt_ctrlr_teardown(c, why);
	}
	return NVTCP_POLLER_BUSY;
}

static int
ctrlr_arm_kato(struct tgt_ctrlr *c)
{
	uint64_t period_ms;

	nvtcp_poller_unregister(&c->ka_poller);
	if (c->kato_ms == 0) {
		return 0;
	}
	/* KAS is 1 s (10 x 100 ms): round the timeout up to whole seconds. */
	period_ms = ((uint64_t)c->kato_ms + 999) / 1000 * 1000;
	c->ka_activity = false;
	c->ka_poller = nvtcp_poller_register(ka_poll, c, period_ms * 1000);
	return c->ka_poller != NULL ? 0 : -ENOMEM;
}

int
tgt_ctrlr_set_kato(struct tgt_ctrlr *c, uint32_t kato_ms)
{
	c->kato_ms = kato_ms;
	return ctrlr_arm_kato(c);
}

/* ---- Connect ------------------------------------------------------------------------------- */

static void
connect_done_admin(struct connect_ctx *ctx)
{
	struct tgt_conn *conn = ctx->conn;
	struct tgt_ctrlr *c = ctx->ctrlr;
	struct nvtcp_tgt *tgt = conn->tgt;

	c->admin = conn;
	c->state = TGT_CTRLR_LIVE;
	c->max_qid = c->discovery ? 0 : tgt->opts.max_io_queues;
	c->num_io_queues = c->max_qid;
	c->ioq = calloc(c->max_qid + 1, sizeof(*c->ioq));
	c->vwc = true;
	c->kato_ms = ctx->kato;
	if (c->discovery && c->kato_ms == 0) {
		c->kato_ms = tgt->opts.discovery_kato_ms;
	}
	if (c->ioq == NULL || ctrlr_arm_kato(c) != 0) {
		tgt_ctrlr_teardown(c, "out of memory");
		return;
	}
	NVTCP_NOTICELOG("host %s (%s) connected to %s: controller %u, admin queue of %u entries, "
			"KATO %u ms, digests %s/%s, %s%s, reactor %u\n", tgt_hostnqn_str(c->hostnqn),
			conn->peer, c->subsys->nqn, c->cntlid, conn->qsize, c->kato_ms,
			conn->params.hdgst ? "header" : "-", conn->params.ddgst ? "data" : "-",
			conn->tls ? "TLS " : "plaintext",
			conn->tls ? nvtcp_sock_tls_cipher(conn->sock) ?: "?" : "", conn->pg->idx);
	if (c->hostnqn[0] == '\0') {
		/* Once per controller: its I/O queues must present the same empty NQN. */
		NVTCP_NOTICELOG("%s: controller %u: the host sent an empty host NQN; accepted "
				"because %s admits any host\n", conn->peer, c->cntlid,
				c->subsys->nqn);
	}
}

static void
connect_reply(void *arg)
{
	struct connect_ctx *ctx = arg;
	struct tgt_conn *conn = ctx->conn;
	struct tgt_req *req = ctx->req;
	struct nvtcp_tgt *tgt = conn->tgt;
	int rc;

	req->msg_ctx = NULL;
	conn->refs--;
	if (ctx->status != 0) {
		NVTCP_WARNLOG("%s: Connect qid %u of host %s to %s refused: %s\n", conn->peer,
			      ctx->qid, tgt_hostnqn_str(ctx->data.hostnqn), ctx->data.subnqn, ctx->why);
		if (ctx->charged) {
			/* Refused after M charged it (on the controller's reactor). Sent before
			 * any later Connect or the release of this connection, so in order. */
			tgt_send_msg(tgt->mgmt, tgt_lease_uncharge_msg, ctx->lease);
		}
		if (conn->state == TGT_CONN_CONNECTING) {
			conn->state = TGT_CONN_CONNECT_WAIT;
		}
		req->cpl.status = ctx->status;
		req->cpl.cdw0 = ctx->cdw0;
		tgt_req_complete(req);
		connect_ctx_free(ctx);
		return;
	}
	/* Success: the controller (admin) or the queue slot (I/O) is ours now. */
	conn->ctrlr = ctx->ctrlr;
	conn->cntlid = ctx->ctrlr->cntlid;
	conn->subsys = ctx->subsys;
	conn->qid = ctx->qid;
	conn->registered = ctx->qid > 0;
	if (conn->state == TGT_CONN_CLOSING) {
		if (ctx->qid == 0) {
			conn->ctrlr = NULL;
			tgt_ctrlr_teardown(ctx->ctrlr, "the admin queue closed during Connect");
		} else {
			conn->release_sent = true;
			tgt_ctrlr_ioq_release(conn);
		}
		connect_ctx_free(ctx);
		tgt_req_complete(req);
		return;
	}
	/* The connection keeps its charge from here on: it is released with the lease. */
	conn->host = tgt_pg_host_get(conn->pg, ctx->data.hostnqn);
	rc = conn->host != NULL ? tgt_conn_alloc_reqs(conn, (uint32_t)ctx->sqsize + 1) : -ENOMEM;
	if (rc == 0 && ctx->auth_keys != NULL) {
		/* The queue owns the keys from here on (wiped when it is freed). */
		rc = tgt_auth_conn_start(conn, ctx->auth_keys, ctx->subsys->nqn, ctx->auth_charged);
		ctx->auth_keys = NULL;
	}
	if (rc != 0) {
		uint32_t n = ctx->sqsize + 1u;

		if (ctx->qid == 0) {
			ctx->ctrlr->admin = conn;
			ctx->ctrlr->state = TGT_CTRLR_LIVE;
		}
		connect_ctx_free(ctx);
		tgt_req_release(req);
		tgt_conn_close(conn, "out of memory for %u requests", n);
		return;
	}
	conn->sqsize = ctx->sqsize;
	conn->sqhd = (uint16_t)(1 % conn->qsize);
	conn->sqflow_disabled = (ctx->cattr & NVTCP_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW_CONTROL) != 0;
	conn->c2h_success = tgt->opts.c2h_success == NVTCP_TGT_C2H_SUCCESS_ALWAYS ||
			    (tgt->opts.c2h_success == NVTCP_TGT_C2H_SUCCESS_SQFLOW_DISABLED &&
			     conn->sqflow_disabled);
	conn->max_icd = ctx->qid == 0 ? TGT_ADMIN_ICD : tgt->opts.in_capsule_data_size;
	nqn_copy(conn->hostnqn, sizeof(conn->hostnqn), ctx->data.hostnqn);
	conn->state = TGT_CONN_LIVE;
	if (ctx->qid == 0) {
		/* An admin queue carries keep-alives and the odd admin command: polled through
		 * the group's periodic epoll_wait(), so that a reactor serving one I/O queue
		 * reads it directly on every poll instead of asking epoll first. */
		(void)nvtcp_sock_group_set_cold(conn->pg->group, conn->sock, true);
		connect_done_admin(ctx);
	} else {
		NVTCP_NOTICELOG("host %s (%s): controller %u I/O queue %u connected, %u entries, "
				"digests %s/%s, %s%s, reactor %u\n", tgt_hostnqn_str(conn->hostnqn),
				conn->peer, conn->cntlid, conn->qid, conn->qsize,
				conn->params.hdgst ? "header" : "-", conn->params.ddgst ? "data" : "-",
				conn->tls ? "TLS " : "plaintext",
				conn->tls ? nvtcp_sock_tls_cipher(conn->sock) ?: "?" : "", conn->pg->idx);
	}
	req->cpl.cdw0 = conn->cntlid;
	if (conn->auth != NULL) {
		req->cpl.cdw0 |= NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR;
		NVTCP_INFOLOG("host %s (%s): controller %u qid %u: authentication required "
			      "(AUTHREQ.ATR)\n", tgt_hostnqn_str(conn->hostnqn), conn->peer,
			      conn->cntlid, conn->qid);
	}
	connect_ctx_free(ctx);
	if (conn->state == TGT_CONN_LIVE) {
		tgt_req_complete(req);
	} else {
		tgt_req_release(req);
	}
}

/*
 * \p empty_ok: the host NQN may be empty. SPDK's tools send none unless their transport ID
 * names one, and SPDK's target admits that where any host may connect; whether this
 * subsystem does is decided on M, where the host list is.
 */
static bool
nqn_field_ok(const char *field, bool empty_ok, char *why, size_t whylen)
{
	size_t len = strnlen(field, NVTCP_NVMF_NQN_FIELD_LEN);

	if (len == NVTCP_NVMF_NQN_FIELD_LEN) {
		snprintf(why, whylen, "not NUL-terminated");
		return false;
	}
	if (len == 0 && empty_ok) {
		return true;
	}
	return nvtcp_nqn_valid(field, why, whylen);
}

/*
 * A queue over TLS was authenticated with the PSK of one (host, subsystem): its Connect must
 * name the same pair, or a host holding one subsystem's key could reach another subsystem or
 * speak for another host (Connect Invalid Host).
 */
static bool
connect_identity_ok(struct connect_ctx *ctx, struct tgt_conn *conn)
{
	const char *id = nvtcp_sock_tls_identity(conn->sock);
	char hostnqn[NVTCP_NQN_MAX_LEN + 1], subnqn[NVTCP_NQN_MAX_LEN + 1];

	if (id == NULL || nvtcp_tls_identity_parse(id, strlen(id), hostnqn, sizeof(hostnqn),
						   subnqn, sizeof(subnqn)) < 0) {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONNECT_INVALID_HOST,
			     nvtcp_nvmf_connect_rsp_invalid(true, DATA_OFF(hostnqn)),
			     "the TLS PSK identity is not NVMe0R0H <hostnqn> <subnqn>");
		return false;
	}
	if (strcmp(hostnqn, ctx->data.hostnqn) != 0) {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONNECT_INVALID_HOST,
			     nvtcp_nvmf_connect_rsp_invalid(true, DATA_OFF(hostnqn)),
			     "host NQN %s differs from the TLS PSK identity's %s",
			     tgt_hostnqn_str(ctx->data.hostnqn), hostnqn);
		return false;
	}
	if (strcmp(subnqn, ctx->data.subnqn) != 0) {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_CONNECT_INVALID_HOST,
			     nvtcp_nvmf_connect_rsp_invalid(true, DATA_OFF(subnqn)),
			     "subsystem NQN %s differs from the TLS PSK identity's %s",
			     ctx->data.subnqn, subnqn);
		return false;
	}
	return true;
}

void
tgt_ctrlr_connect(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	const struct nvtcp_nvmf_connect_cmd *cmd = (const void *)&req->cmd;
	struct nvtcp_tgt *tgt = conn->tgt;
	struct connect_ctx *ctx;
	char why[128];
	uint32_t max;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		tgt_req_complete_status(req, NVTCP_NVME_SCT_COMMAND_SPECIFIC,
					NVTCP_NVMF_SC_CONTROLLER_BUSY, false);
		return;
	}
	ctx->req = req;
	ctx->conn = conn;
	ctx->portid = conn->portid;
	ctx->tls = conn->tls;
	ctx->secure = conn->secure;
	ctx->pg = conn->pg;
	ctx->tgt = tgt;
	ctx->qid = cmd->qid;
	ctx->sqsize = cmd->sqsize;
	ctx->cattr = cmd->cattr;
	ctx->kato = cmd->kato;
	ctx->lease = conn->lease;
	nvtcp_iov_to_buf(req->iov, req->iovcnt, 0, &ctx->data, sizeof(ctx->data));
	max = cmd->qid == 0 ? tgt->opts.max_admin_queue_depth : tgt->opts.max_queue_depth;

	if (cmd->recfmt != 0) {
		connect_fail(ctx, NVTCP_NVME_SCT_COMMAND_SPECIFIC, NVTCP_NVMF_SC_INCOMPATIBLE_FORMAT,
			     0, "record format %u", cmd->recfmt);
	} else if (!nqn_field_ok(ctx->data.subnqn, false, why, sizeof(why))) {
		INVALID_PARAM(ctx, true, DATA_OFF(subnqn), "subsystem NQN: %s", why);
	} else if (!nqn_field_ok(ctx->data.hostnqn, true, why, sizeof(why))) {
		INVALID_PARAM(ctx, true, DATA_OFF(hostnqn), "host NQN: %s", why);
	} else if (conn->tls && !connect_identity_ok(ctx, conn)) {
		/* connect_fail() said why. */
	} else if (cmd->qid == 0 && ctx->data.cntlid != NVTCP_NVMF_CNTLID_DYNAMIC) {
		INVALID_PARAM(ctx, true, DATA_OFF(cntlid),
			      "cntlid 0x%04x on the admin queue (only the dynamic model, 0xffff)",
			      ctx->data.cntlid);
	} else if (cmd->sqsize == 0 || (uint32_t)cmd->sqsize + 1 > max) {
		INVALID_PARAM(ctx, false, SQE_OFF(sqsize), "SQSIZE %u (queue of %u entries at most)",
			      cmd->sqsize, max);
	} else if (cmd->qid == 0 && cmd->kato > tgt->opts.kato_max_ms) {
		INVALID_PARAM(ctx, false, SQE_OFF(kato), "KATO %u ms above %u", cmd->kato,
			      tgt->opts.kato_max_ms);
	} else if (cmd->qid > tgt->opts.max_io_queues) {
		INVALID_PARAM(ctx, false, SQE_OFF(qid), "qid %u above %u", cmd->qid,
			      tgt->opts.max_io_queues);
	}
	conn->state = TGT_CONN_CONNECTING;
	conn->refs++;
	req->msg_ctx = ctx;
	if (ctx->status != 0) {
		connect_reply(ctx);
		return;
	}
	tgt_send_msg(tgt->mgmt, connect_on_mgmt, ctx);
}

/* ---- Properties ---------------------------------------------------------------------------- */

void
tgt_ctrlr_prop_get(struct tgt_req *req)
{
	const struct nvtcp_nvmf_prop_get_cmd *cmd = (const void *)&req->cmd;
	struct tgt_ctrlr *c = req->conn->ctrlr;
	uint64_t val;

	if ((cmd->attrib & 0x7) == NVTCP_NVMF_PROP_SIZE_8) {
		if (cmd->ofst != NVTCP_NVME_PROP_CAP) {
			goto invalid;
		}
		val = tgt_ctrlr_cap(c->tgt, c->discovery);
	} else if ((cmd->attrib & 0x7) == NVTCP_NVMF_PROP_SIZE_4) {
		switch (cmd->ofst) {
		case NVTCP_NVME_PROP_VS:
			val = NVME_VS_1_3;
			break;
		case NVTCP_NVME_PROP_CC:
			val = c->cc;
			break;
		case NVTCP_NVME_PROP_CSTS:
			val = c->csts;
			break;
		default:
			goto invalid;
		}
	} else {
		goto invalid;
	}
	req->cpl.cdw0 = (uint32_t)val;
	req->cpl.cdw1 = (uint32_t)(val >> 32);
	tgt_req_complete(req);
	return;
invalid:
	tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true);
}

/* CC.EN set: check CC and report RDY, or CFS when it cannot be enabled. */
static uint32_t
ctrlr_enable_csts(struct tgt_ctrlr *c, uint32_t cc)
{
	/* An NVM controller needs 64-byte SQEs and 16-byte CQEs (Linux reports CFS otherwise; a
	 * discovery controller does not care). */
	if ((!c->discovery && (nvtcp_nvme_cc_iosqes(cc) != NVTCP_NVME_IOSQES_NVM ||
			       nvtcp_nvme_cc_iocqes(cc) != NVTCP_NVME_IOCQES_NVM)) ||
	    nvtcp_nvme_cc_mps(cc) != 0 || nvtcp_nvme_cc_ams(cc) != 0 ||
	    nvtcp_nvme_cc_css(cc) != NVTCP_NVME_CC_CSS_NVM) {
		NVTCP_ERRLOG("controller %u: CC 0x%08x cannot be enabled: CSTS.CFS\n", c->cntlid,
			     cc);
		return NVTCP_NVME_CSTS_CFS;
	}
	return NVTCP_NVME_CSTS_RDY;
}

/*
 * The last I/O queue of a reset or shutdown is gone (and none of its commands executes any
 * more): now CSTS tells the host, as the host waits for RDY 0 (reset) or SHST complete
 * (shutdown) before it goes on.
 */
static void
ctrlr_quiesce_done(struct tgt_ctrlr *c)
{
	uint32_t csts = c->csts & ~NVTCP_NVME_CSTS_RDY;

	c->quiescing = false;
	if (c->shn_pending) {
		c->shn_pending = false;
		csts &= ~NVTCP_NVME_CSTS_SHST_MASK;
		csts |= (uint32_t)NVTCP_NVME_SHST_COMPLETE << NVTCP_NVME_CSTS_SHST_SHIFT;
	}
	if (nvtcp_nvme_cc_en(c->cc)) {
		/* The host set EN again without waiting for RDY 0: enable now. */
		csts = (csts & ~(NVTCP_NVME_CSTS_RDY | NVTCP_NVME_CSTS_CFS)) |
		       ctrlr_enable_csts(c, c->cc);
	}
	NVTCP_INFOLOG("controller %u: %s complete, CSTS 0x%08x\n", c->cntlid,
		      (csts & NVTCP_NVME_CSTS_SHST_MASK) ? "shutdown" : "reset", csts);
	__atomic_store_n(&c->csts, csts, __ATOMIC_RELAXED);
}

/*
 * Controller Level Reset (CC.EN 1 -> 0) and shutdown (CC.SHN): the I/O queues are deleted,
 * i.e. their connections closed (NVMe-oF), which aborts what they have outstanding; the
 * admin queue stays. CSTS changes once the last queue is released (ctrlr_quiesce_done()),
 * and no I/O queue may connect meanwhile. Held Asynchronous Event Requests are dropped without
 * a completion, as the Linux target does: hosts (SPDK, Linux) count them as gone at a reset or
 * shutdown and reuse their command IDs, so a late completion names a command they no longer
 * have (SPDK answers it with a TermReq). The reset also clears the events they wait for.
 */
static void
ctrlr_quiesce(struct tgt_ctrlr *c, bool shutdown)
{
	if (shutdown) {
		c->shn_pending = true;
	}
	if (c->quiescing) {
		return;
	}
	c->quiescing = true;
	for (uint32_t i = 0; i < c->naer; i++) {
		tgt_req_release(c->aer[i]);
		c->aer[i] = NULL;
	}
	c->naer = 0;
	c->events_pending = 0;
	c->events_masked = 0;
	for (uint32_t q = 1; c->ioq != NULL && q <= c->max_qid; q++) {
		if (c->ioq[q].conn != NULL) {
			tgt_send_msg(c->ioq[q].pg->reactor, ioq_reset_msg, c->ioq[q].conn);
		}
	}
	if (c->nioq == 0) {
		ctrlr_quiesce_done(c);
	}
}

static void
ctrlr_update_cc(struct tgt_ctrlr *c, uint32_t new)
{
	uint32_t old = c->cc;
	uint32_t csts = c->csts;
	bool reset = !nvtcp_nvme_cc_en(new) && nvtcp_nvme_cc_en(old);
	bool shutdown = nvtcp_nvme_cc_shn(new) != NVTCP_NVME_SHN_NONE &&
			nvtcp_nvme_cc_shn(old) == NVTCP_NVME_SHN_NONE;

	c->cc = new;
	if (nvtcp_nvme_cc_en(new) && !nvtcp_nvme_cc_en(old) && !c->quiescing) {
		csts = ctrlr_enable_csts(c, new);
	}
	if (nvtcp_nvme_cc_shn(new) == NVTCP_NVME_SHN_NONE &&
	    nvtcp_nvme_cc_shn(old) != NVTCP_NVME_SHN_NONE) {
		csts &= ~NVTCP_NVME_CSTS_SHST_MASK;
	}
	if (shutdown) {
		NVTCP_INFOLOG("controller %u: shutdown notification\n", c->cntlid);
		csts &= ~NVTCP_NVME_CSTS_SHST_MASK;
		csts |= (uint32_t)NVTCP_NVME_SHST_OCCURRING << NVTCP_NVME_CSTS_SHST_SHIFT;
	} else if (reset) {
		NVTCP_INFOLOG("controller %u: CC.EN cleared: controller level reset\n", c->cntlid);
	}
	if (reset || shutdown) {
		/* As Linux, a shutdown also disables: the host must set EN again to go on. */
		c->cc = 0;
	}
	__atomic_store_n(&c->csts, csts, __ATOMIC_RELAXED);
	if (reset || shutdown) {
		ctrlr_quiesce(c, shutdown);
	}
}

void
tgt_ctrlr_prop_set(struct tgt_req *req)
{
	const struct nvtcp_nvmf_prop_set_cmd *cmd = (const void *)&req->cmd;

	if ((cmd->attrib & 0x7) != NVTCP_NVMF_PROP_SIZE_4 || cmd->ofst != NVTCP_NVME_PROP_CC) {
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD,
					true);
		return;
	}
	ctrlr_update_cc(req->conn->ctrlr, (uint32_t)cmd->value);
	tgt_req_complete(req);
}

void
tgt_ctrlr_keep_alive(struct tgt_req *req)
{
	if (req->conn->ctrlr->kato_ms == 0) {
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
					NVTCP_NVME_SC_KEEP_ALIVE_INVALID, true);
		return;
	}
	tgt_req_complete(req);
}

void
tgt_ctrlr_add_error(struct tgt_ctrlr *c, const struct tgt_req *req)
{
	struct tgt_err_entry *e = &c->errs[c->err_count % TGT_ERR_LOG_MAX];

	c->err_count++;
	e->count = c->err_count;
	e->sqid = req->conn->qid;
	e->cid = req->cmd.cid;
	e->status = req->cpl.status;
	e->nsid = req->cmd.nsid;
	e->lba = nvtcp_nvme_rw_slba(&req->cmd);
}

/* ---- Asynchronous events ----------------------------------------------------------------- */

static void
aer_flush(struct tgt_ctrlr *c)
{
	while (c->naer > 0 && c->events_pending != 0) {
		struct tgt_req *req = c->aer[--c->naer];
		uint32_t ev;

		c->aer[c->naer] = NULL;
		if (c->events_pending & TGT_EVT_NS_CHANGED) {
			ev = TGT_EVT_NS_CHANGED;
			req->cpl.cdw0 = nvtcp_nvme_aer_cdw0(NVTCP_NVME_AER_TYPE_NOTICE,
							    NVTCP_NVME_AER_NOTICE_NS_ATTR_CHANGED,
							    NVTCP_NVME_LOG_CHANGED_NS_LIST);
		} else if (c->events_pending & TGT_EVT_ANA_CHANGED) {
			ev = TGT_EVT_ANA_CHANGED;
			req->cpl.cdw0 = nvtcp_nvme_aer_cdw0(NVTCP_NVME_AER_TYPE_NOTICE,
							    NVTCP_NVME_AER_NOTICE_ANA_CHANGE,
							    NVTCP_NVME_LOG_ANA);
		} else {
			ev = TGT_EVT_DISC_CHANGED;
			req->cpl.cdw0 = nvtcp_nvme_aer_cdw0(NVTCP_NVME_AER_TYPE_NOTICE,
							    NVTCP_NVME_AER_NOTICE_DISCOVERY_LOG_CHANGE,
							    NVTCP_NVME_LOG_DISCOVERY);
		}
		c->events_pending &= ~ev;
		c->events_masked |= ev;
		tgt_req_complete(req);
	}
}

bool
tgt_ctrlr_aer_forget(struct tgt_conn *conn, uint16_t cid)
{
	struct tgt_ctrlr *c = conn->ctrlr;

	if (conn->qid != 0 || c == NULL) {
		return false;
	}
	for (uint32_t i = 0; i < c->naer; i++) {
		struct tgt_req *r = c->aer[i];

		if (r->cmd.cid == cid) {
			c->aer[i] = c->aer[--c->naer];
			c->aer[c->naer] = NULL;
			NVTCP_NOTICELOG("%s: controller %u: a new command reuses cid %u of a held "
					"Asynchronous Event Request: the host gave that up, it is "
					"dropped without a completion\n", conn->peer, c->cntlid, cid);
			tgt_req_release(r);
			return true;
		}
	}
	return false;
}

void
tgt_ctrlr_aer(struct tgt_req *req)
{
	struct tgt_ctrlr *c = req->conn->ctrlr;

	if (c->naer >= TGT_AER_MAX) {
		tgt_req_complete_status(req, NVTCP_NVME_SCT_COMMAND_SPECIFIC,
					NVTCP_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED, true);
		return;
	}
	req->state = TGT_REQ_AER;
	c->aer[c->naer++] = req;
	aer_flush(c);
}

void
tgt_ctrlr_event(struct tgt_ctrlr *c, uint32_t event, uint32_t nsid)
{
	if (c->state != TGT_CTRLR_LIVE) {
		return;
	}
	if (event == TGT_EVT_NS_CHANGED) {
		bool found = false;

		for (uint32_t i = 0; i < c->nchanged_ns; i++) {
			found |= c->changed_ns[i] == nsid;
		}
		if (!found) {
			if (c->nchanged_ns < TGT_CHANGED_NS_MAX) {
				uint32_t i = c->nchanged_ns++;

				/* Keep the list sorted, as the log requires. */
				while (i > 0 && c->changed_ns[i - 1] > nsid) {
					c->changed_ns[i] = c->changed_ns[i - 1];
					i--;
				}
				c->changed_ns[i] = nsid;
			} else {
				c->changed_ns_overflow = true;
			}
		}
		if (!(c->aec & NVTCP_NVME_AEC_NS_ATTRIBUTE_NOTICES)) {
			return;
		}
	} else if (event == TGT_EVT_ANA_CHANGED) {
		if (!(c->aec & NVTCP_NVME_AEC_ANA_CHANGE_NOTICES)) {
			return;
		}
	} else if (!(c->aec & NVTCP_NVME_AEC_DISCOVERY_LOG_CHANGE_NOTICES)) {
		return;
	}
	if (c->events_masked & event) {
		/* Reported already; the host has not read the log yet. */
		return;
	}
	c->events_pending |= event;
	aer_flush(c);
}

struct event_msg {
	struct tgt_ctrlr *ctrlr;
	uint32_t event;
	uint32_t nsid;
};

static void
event_on_ctrlr(void *arg)
{
	struct event_msg *m = arg;

	tgt_ctrlr_event(m->ctrlr, m->event, m->nsid);
	free(m);
}

void
tgt_ctrlr_post_event(struct tgt_ctrlr *c, uint32_t event, uint32_t nsid)
{
	struct event_msg *m = malloc(sizeof(*m));

	if (m == NULL) {
		NVTCP_ERRLOG("controller %u: event lost (out of memory)\n", c->cntlid);
		return;
	}
	m->ctrlr = c;
	m->event = event;
	m->nsid = nsid;
	/* Registered controllers outlive this message (see unregister_on_mgmt()). */
	tgt_send_msg(c->pg->reactor, event_on_ctrlr, m);
}

void
tgt_ctrlrs_ns_changed(struct tgt_subsys *s, uint32_t nsid)
{
	struct tgt_ctrlr *c;

	TAILQ_FOREACH(c, &s->ctrlrs, subsys_link) {
		tgt_ctrlr_post_event(c, TGT_EVT_NS_CHANGED, nsid);
	}
}

void
tgt_ctrlrs_disc_changed(struct nvtcp_tgt *tgt)
{
	struct tgt_ctrlr *c;

	TAILQ_FOREACH(c, &tgt->disc->ctrlrs, subsys_link) {
		tgt_ctrlr_post_event(c, TGT_EVT_DISC_CHANGED, 0);
	}
}

struct teardown_msg {
	struct tgt_ctrlr *ctrlr;
};

static void
teardown_on_ctrlr(void *arg)
{
	struct tgt_ctrlr *c = arg;

	tgt_ctrlr_teardown(c, "subsystem removed");
}

void
tgt_subsys_teardown_ctrlrs(struct tgt_subsys *s)
{
	struct tgt_ctrlr *c;

	TAILQ_FOREACH(c, &s->ctrlrs, subsys_link) {
		tgt_send_msg(c->pg->reactor, teardown_on_ctrlr, c);
	}
}

struct teardown_some {
	struct tgt_ctrlr *ctrlr;
	char reason[96];
};

static void
teardown_some_on_ctrlr(void *arg)
{
	struct teardown_some *t = arg;

	tgt_ctrlr_teardown(t->ctrlr, t->reason);
	free(t);
}

/* Did any queue of \p c come in through listener \p portid? (M) */
static bool
ctrlr_uses_portid(const struct tgt_ctrlr *c, uint16_t portid)
{
	if (c->portid == portid || c->io_portids_overflow) {
		return true;
	}
	for (uint8_t i = 0; i < c->nio_portids; i++) {
		if (c->io_portids[i] == portid) {
			return true;
		}
	}
	return false;
}

uint32_t
tgt_subsys_teardown_some(struct tgt_subsys *s, const char *hostnqn, uint16_t portid,
			 const char *reason)
{
	struct tgt_ctrlr *c;
	uint32_t n = 0;

	TAILQ_FOREACH(c, &s->ctrlrs, subsys_link) {
		struct teardown_some *t;

		if ((hostnqn != NULL && strcmp(c->hostnqn, hostnqn) != 0) ||
		    (portid != 0 && !ctrlr_uses_portid(c, portid))) {
			continue;
		}
		t = malloc(sizeof(*t));
		if (t == NULL) {
			/* The subsystem's fixed-reason message needs no memory. */
			tgt_send_msg(c->pg->reactor, teardown_on_ctrlr, c);
		} else {
			t->ctrlr = c;
			snprintf(t->reason, sizeof(t->reason), "%s", reason);
			tgt_send_msg(c->pg->reactor, teardown_some_on_ctrlr, t);
		}
		n++;
	}
	return n;
}

/* ---- Key rotation (M -> A -> each I/O queue's pg) ------------------------------------------ */

struct rekey_msg {
	struct tgt_ctrlr *ctrlr;      /* M -> A */
	struct tgt_conn *conn;        /* A -> an I/O queue's pg */
	struct tgt_auth_keys *keys;   /* owned by the message until installed */
};

static void
rekey_nomem_on_ctrlr(void *arg)
{
	tgt_ctrlr_teardown(arg, "no memory to install the host's new DH-HMAC-CHAP keys");
}

static void
rekey_on_queue(void *arg)
{
	struct rekey_msg *m = arg;

	/* Still allocated: as for ioq_close_msg(), its release is acknowledged after this. */
	tgt_auth_conn_rekey(m->conn, m->keys);
	free(m);
}

static void
rekey_on_ctrlr(void *arg)
{
	struct rekey_msg *m = arg;
	struct tgt_ctrlr *c = m->ctrlr;

	for (uint32_t q = 1; c->ioq != NULL && q <= c->max_qid; q++) {
		struct rekey_msg *qm;

		if (c->ioq[q].conn == NULL) {
			continue;
		}
		qm = calloc(1, sizeof(*qm));
		if (qm != NULL) {
			qm->keys = malloc(sizeof(*qm->keys));
		}
		if (qm == NULL || qm->keys == NULL) {
			/* A queue that cannot get the new keys must not go on with the old ones. */
			free(qm);
			tgt_send_msg(c->ioq[q].pg->reactor, ioq_close_msg, c->ioq[q].conn);
			continue;
		}
		*qm->keys = *m->keys;
		qm->conn = c->ioq[q].conn;
		tgt_send_msg(c->ioq[q].pg->reactor, rekey_on_queue, qm);
	}
	if (c->admin != NULL) {
		tgt_auth_conn_rekey(c->admin, m->keys);
	} else {
		tgt_auth_keys_free(m->keys);
	}
	free(m);
}

uint32_t
tgt_subsys_host_rekey(struct tgt_subsys *s, const struct tgt_host *h)
{
	struct tgt_ctrlr *c;
	uint32_t n = 0;

	TAILQ_FOREACH(c, &s->ctrlrs, subsys_link) {
		struct rekey_msg *m;

		if (strcmp(c->hostnqn, h->nqn) != 0) {
			continue;
		}
		m = calloc(1, sizeof(*m));
		if (m != NULL) {
			m->keys = tgt_auth_keys_get(h);
		}
		if (m == NULL || m->keys == NULL) {
			free(m);
			/* Without memory for the new keys its queues would keep the old ones:
			 * the controller goes (its teardown message needs none). */
			tgt_send_msg(c->pg->reactor, rekey_nomem_on_ctrlr, c);
			continue;
		}
		m->ctrlr = c;
		tgt_send_msg(c->pg->reactor, rekey_on_ctrlr, m);
		n++;
	}
	return n;
}

/* ---- Abort ------------------------------------------------------------------------------- */

bool
tgt_conn_abort_cid(struct tgt_conn *conn, uint16_t cid)
{
	if (conn->state != TGT_CONN_LIVE) {
		return false;
	}
	for (uint32_t i = 0; i < conn->nreqs; i++) {
		struct tgt_req *r = &conn->reqs[i];

		if (r->cmd.cid != cid) {
			continue;
		}
		if (r->state == TGT_REQ_NEED_BUF) {
			TAILQ_REMOVE(&conn->pg->buf_wait, r, link);
			r->state = TGT_REQ_EXEC;
			tgt_req_complete_status(r, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_ABORTED_BY_REQUEST, false);
			return true;
		}
		if (r->state == TGT_REQ_AER && conn->ctrlr != NULL) {
			struct tgt_ctrlr *c = conn->ctrlr;

			for (uint32_t j = 0; j < c->naer; j++) {
				if (c->aer[j] == r) {
					c->aer[j] = c->aer[--c->naer];
					c->aer[c->naer] = NULL;
					break;
				}
			}
			tgt_req_complete_status(r, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_ABORTED_BY_REQUEST, false);
			return true;
		}
	}
	return false;
}

struct abort_ctx {
	struct tgt_req *req;
	struct tgt_conn *target;
	uint16_t cid;
	bool aborted;
};

static void
abort_reply(void *arg)
{
	struct abort_ctx *a = arg;
	struct tgt_req *req = a->req;
	struct tgt_conn *conn = req->conn;

	req->msg_ctx = NULL;
	conn->refs--;
	if (conn->ctrlr != NULL) {
		conn->ctrlr->naborts--;
	}
	req->cpl.cdw0 = a->aborted ? 0 : NVTCP_NVME_ABORT_CDW0_NOT_ABORTED;
	free(a);
	tgt_req_complete(req);
}

static void
abort_on_queue(void *arg)
{
	struct abort_ctx *a = arg;

	/* The target connection is still allocated: its release has not been acknowledged
	 * (that ack would come after this message). */
	a->aborted = tgt_conn_abort_cid(a->target, a->cid);
	tgt_send_msg(a->req->conn->pg->reactor, abort_reply, a);
}

void
tgt_ctrlr_abort(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct tgt_ctrlr *c = conn->ctrlr;
	uint16_t sqid = req->cmd.cdw10 & 0xFFFF;
	uint16_t cid = req->cmd.cdw10 >> 16;
	struct abort_ctx *a;

	if (c->naborts >= TGT_ABORT_MAX) {
		tgt_req_complete_status(req, NVTCP_NVME_SCT_COMMAND_SPECIFIC,
					NVTCP_NVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED, true);
		return;
	}
	if (sqid == 0) {
		bool aborted = cid != req->cmd.cid && tgt_conn_abort_cid(conn, cid);

		req->cpl.cdw0 = aborted ? 0 : NVTCP_NVME_ABORT_CDW0_NOT_ABORTED;
		tgt_req_complete(req);
		return;
	}
	if (sqid > c->max_qid || c->ioq[sqid].conn == NULL) {
		req->cpl.cdw0 = NVTCP_NVME_ABORT_CDW0_NOT_ABORTED;
		tgt_req_complete(req);
		return;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		req->cpl.cdw0 = NVTCP_NVME_ABORT_CDW0_NOT_ABORTED;
		tgt_req_complete(req);
		return;
	}
	a->req = req;
	a->target = c->ioq[sqid].conn;
	a->cid = cid;
	c->naborts++;
	conn->refs++;
	req->msg_ctx = a;
	tgt_send_msg(c->ioq[sqid].pg->reactor, abort_on_queue, a);
}
