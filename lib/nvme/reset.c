/*
 * Controller recovery, admin side: the reset/reconnect state machine (enum nvme_reset_state,
 * one function per state), reset requests from I/O threads, fast_io_fail, the re-validation
 * of a reconnected controller, and nvtcp_ctrlr_reset().
 *
 *   LIVE --(admin connection lost, keep-alive miss, Abort failed or timed out, I/O queue pair
 *           failed, nvtcp_ctrlr_reset())--> RESETTING
 *   RESETTING: QUIESCE (I/O queue pairs drop their connections; at most 1 s)
 *              -> WAIT (until the next attempt: at once for the first one, then every
 *                 reconnect_delay_ms)
 *              -> CONNECT (the bring-up machine again: admin connect, CAP, enable, Identify
 *                 checked against the first attach, queues, namespaces re-validated, AERs)
 *                 -> success: publish the association, LIVE
 *                 -> failure: WAIT again, or FAILED when ctrl_loss_tmo_s has passed (or the
 *                    attempts it allows, ceil(ctrl_loss_tmo / reconnect_delay), are used up)
 *
 * Publication order (lock-free; I/O threads read with acquire):
 *   reset start: reset_id++, then state RESETTING and event_gen++ (release);
 *   reconnected: the namespace states, pub_cntlid, pub_num_io_queues, io_fast_fail cleared,
 *                assoc_gen++ (release), then state LIVE and event_gen++ (release).
 * An I/O thread that sees event_gen change (acquire) therefore sees the state, the association
 * and everything written before them; io_qpair.c describes what it does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nvme_internal.h"

/* Reconnect is off for discovery controllers (tools read one log and detach) and with
 * ctrl_loss_tmo 0 (as Linux: the controller is removed at the first loss). */
static bool
recovery_enabled(const struct nvtcp_ctrlr *c)
{
	return c->opts.ctrl_loss_tmo_s != 0 && !c->discovery;
}

bool
nvme_qpair_can_recover(const struct nvtcp_qpair *qp)
{
	const struct nvtcp_ctrlr *c = qp->ctrlr;
	int s = atomic_load_explicit(&((struct nvtcp_ctrlr *)c)->state, memory_order_relaxed);

	if (qp->quiet_fail || s == NVTCP_CTRLR_STATE_FAILED || s == NVTCP_CTRLR_STATE_DELETING) {
		return false;
	}
	if (nvme_qpair_is_admin(qp)) {
		/* The controller decides (attach failure, recovery, or FAILED); the admin queue
		 * pair itself is reused by every attempt. */
		return c->detach_state == NVME_DETACH_NONE;
	}
	/* An I/O queue pair that never connected fails its allocation instead. */
	return qp->ever_connected && recovery_enabled(c);
}

void
nvme_ctrlr_request_reset(struct nvtcp_ctrlr *c, uint32_t gen, uint16_t qid,
			 enum nvme_reset_why why)
{
	/* Any thread. A request for an association that is already gone is ignored by the
	 * admin thread; two racing requests leave one of their infos, which only names it. */
	atomic_store_explicit(&c->reset_req_info, ((uint32_t)why << 16) | qid,
			      memory_order_relaxed);
	atomic_store_explicit(&c->reset_req_gen, gen, memory_order_release);
}

void
nvme_ctrlr_check_reset_request(struct nvtcp_ctrlr *c)
{
	uint32_t gen, info;

	if (nvtcp_likely(atomic_load_explicit(&c->reset_req_gen, memory_order_relaxed) == 0)) {
		return;
	}
	gen = atomic_exchange_explicit(&c->reset_req_gen, 0, memory_order_acquire);
	info = atomic_load_explicit(&c->reset_req_info, memory_order_relaxed);
	if (gen != atomic_load_explicit(&c->assoc_gen, memory_order_relaxed)) {
		return; /* about a connection of an association already replaced */
	}
	c->stats.io_reset_requests++;
	nvme_ctrlr_start_reset(c, false, -EIO, "I/O queue pair %u %s", info & 0xFFFF,
			       (info >> 16) == NVME_RESET_WHY_IO_TIMEOUT ?
			       "has a command that timed out and could not be aborted" :
			       "lost its connection");
}

/* Attempts ctrl_loss_tmo allows (as Linux: ceil(ctrl_loss_tmo / reconnect_delay)), 0 for no
 * limit; an explicit reset with reconnect disabled gets one. */
static uint32_t
max_attempts(const struct nvtcp_ctrlr *c)
{
	int32_t tmo = c->opts.ctrl_loss_tmo_s;
	uint64_t delay = NVTCP_MAX(c->opts.reconnect_delay_ms, 1u);
	uint64_t n;

	if (tmo < 0) {
		return 0;
	}
	if (tmo == 0 || c->discovery) {
		return 1;
	}
	n = ((uint64_t)tmo * 1000 + delay - 1) / delay;
	return (uint32_t)NVTCP_MIN(NVTCP_MAX(n, (uint64_t)1), (uint64_t)UINT32_MAX);
}

static const char *
attempts_str(const struct nvtcp_ctrlr *c, char *buf, size_t len)
{
	uint32_t max = max_attempts(c);

	if (max == 0) {
		return "unlimited";
	}
	snprintf(buf, len, "%u", max);
	return buf;
}

void
nvme_ctrlr_start_reset(struct nvtcp_ctrlr *c, bool explicit_reset, int rc, const char *fmt, ...)
{
	int s = atomic_load(&c->state);
	uint64_t now = nvme_ticks();
	uint64_t window;
	bool continued;
	char why[160];
	va_list ap;

	if (c->detach_state != NVME_DETACH_NONE || !c->attached || s == NVTCP_CTRLR_STATE_FAILED ||
	    s == NVTCP_CTRLR_STATE_DELETING || c->reset_state != NVME_RESET_NONE) {
		return; /* not up, or already recovering (an attempt's failure is handled there) */
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!explicit_reset && !recovery_enabled(c)) {
		nvme_ctrlr_fail(c, rc, "%s (reconnect disabled: %s)", why,
				c->discovery ? "discovery controller" : "ctrl_loss_tmo_s 0");
		return;
	}
	c->stats.resets++;
	/*
	 * A failure soon after a reconnect, before the association carried any I/O, twice in a
	 * row (NVME_RESET_STABLE_MS), continues that recovery: its attempts and ctrl_loss_tmo
	 * keep counting and the next attempt waits reconnect_delay. Otherwise a controller that
	 * accepts the admin queue and then fails at once every time (an I/O queue it refuses)
	 * would be reconnected in a loop, forever. An association that worked starts a new
	 * recovery, whose first attempt is immediate.
	 */
	window = nvme_ms_to_ticks(NVME_RESET_STABLE_MS);
	if (!explicit_reset && c->last_live_reconnect && now - c->last_live < window &&
	    atomic_load_explicit(&c->proven_gen, memory_order_relaxed) !=
	    atomic_load_explicit(&c->assoc_gen, memory_order_relaxed)) {
		c->unproven_streak++;
	} else {
		c->unproven_streak = 0;
	}
	continued = c->unproven_streak >= 2;
	if (!continued) {
		c->reset_start = now;
		c->reconnect_attempt = 0;
		c->next_attempt = now;
	} else {
		c->next_attempt = now + nvme_ms_to_ticks(c->opts.reconnect_delay_ms);
	}
	c->reset_explicit = explicit_reset;
	snprintf(c->reset_reason, sizeof(c->reset_reason), "%s", why);
	snprintf(c->reason, sizeof(c->reason), "resetting: %s", why);
	NVTCP_WARNLOG("controller " NVME_CTRLR_FMT ": resetting (%s): %s\n", NVME_CTRLR_ARGS(c),
		      explicit_reset ? "requested" :
		      continued ? "failed again soon after reconnecting" : "recovering", why);
	c->ka_armed = false;
	c->ka_outstanding = false;
	c->enabled = false;
	c->aer_limit_hit = false;
	c->reset_state = NVME_RESET_QUIESCE;
	c->quiesce_deadline = now + nvme_ms_to_ticks(NVME_RESET_QUIESCE_MS);
	atomic_fetch_add_explicit(&c->reset_id, 1, memory_order_relaxed);
	/* Release (in set_state): an I/O thread that sees the event sees the new reset_id. */
	nvme_ctrlr_set_state(c, NVTCP_CTRLR_STATE_RESETTING);
	/* The old association's admin connection goes: its commands complete (Aborted - SQ
	 * Deletion; AERs and the keep-alive internally). */
	if (nvme_qpair_is_up(c->adminq)) {
		c->adminq->quiet_fail = true;
		nvme_qpair_disconnect(c->adminq, rc, "controller resetting");
		c->adminq->quiet_fail = false;
	}
	nvme_ctrlr_aborts_reset(c);
}

/* ---- Re-validation ------------------------------------------------------------------------ */

int
nvme_ctrlr_check_cap(struct nvtcp_ctrlr *c, char *reason, size_t len)
{
	uint32_t max = nvtcp_nvme_cap_mqes(c->cap) + 1;
	struct nvtcp_qpair *qp;
	int rc = 0;

	pthread_mutex_lock(&c->qpairs_lock);
	TAILQ_FOREACH(qp, &c->qpairs, ctrlr_link) {
		/* queue_size and qid never change after creation. */
		if (qp->queue_size > max) {
			snprintf(reason, len, "CAP.MQES + 1 is %u after the reconnect, below the "
				 "queue size %u of I/O queue pair %u", max, qp->queue_size, qp->qid);
			rc = -EINVAL;
			break;
		}
	}
	pthread_mutex_unlock(&c->qpairs_lock);
	return rc;
}

/* Fixed-width text field as a printable C string (for the reason). */
static void
field_str(const void *f, size_t width, char *out, size_t len)
{
	size_t n = strnlen(f, width);

	while (n > 0 && (((const char *)f)[n - 1] == ' ')) {
		n--;
	}
	snprintf(out, len, "%.*s", (int)n, (const char *)f);
}

int
nvme_ctrlr_revalidate(struct nvtcp_ctrlr *c, const struct nvtcp_nvme_ctrlr_data *d, char *reason,
		      size_t len)
{
	const struct nvtcp_nvme_ctrlr_data *o = c->cdata;
	char a[260], b[260];
	uint64_t incapsule = 0;
	uint64_t mdts_bytes = UINT64_MAX;
	uint32_t page = 4096u << nvtcp_nvme_cap_mpsmin(c->cap);

	/* Another controller answering at this address is not the one whose data the
	 * application has: connecting to it would be worse than failing. */
	if (memcmp(o->sn, d->sn, sizeof(d->sn)) != 0) {
		field_str(o->sn, sizeof(o->sn), a, sizeof(a));
		field_str(d->sn, sizeof(d->sn), b, sizeof(b));
		snprintf(reason, len, "a different controller answered: serial number '%s', was "
			 "'%s'", b, a);
		return -ESTALE;
	}
	if (memcmp(o->mn, d->mn, sizeof(d->mn)) != 0) {
		field_str(o->mn, sizeof(o->mn), a, sizeof(a));
		field_str(d->mn, sizeof(d->mn), b, sizeof(b));
		snprintf(reason, len, "a different controller answered: model '%s', was '%s'", b,
			 a);
		return -ESTALE;
	}
	if (strncmp(o->subnqn, d->subnqn, sizeof(d->subnqn)) != 0) {
		field_str(o->subnqn, sizeof(o->subnqn), a, sizeof(a));
		field_str(d->subnqn, sizeof(d->subnqn), b, sizeof(b));
		snprintf(reason, len, "a different subsystem answered: SUBNQN '%s', was '%s'", b,
			 a);
		return -ESTALE;
	}
	if (o->cntrltype != d->cntrltype) {
		snprintf(reason, len, "controller type %u, was %u", d->cntrltype, o->cntrltype);
		return -ESTALE;
	}
	/* Commands waiting through the reconnect were built for the old limits. */
	if (d->mdts != 0 && d->mdts < 32) {
		mdts_bytes = (uint64_t)page << d->mdts;
	}
	if (mdts_bytes < c->max_xfer) {
		snprintf(reason, len, "MDTS %u allows %llu bytes per command after the reconnect, "
			 "below the %u in use", d->mdts, (unsigned long long)mdts_bytes,
			 c->max_xfer);
		return -EINVAL;
	}
	if (d->ioccsz >= 4 && d->icdoff == 0) {
		incapsule = NVTCP_MIN((uint64_t)d->ioccsz * 16 - 64, (uint64_t)NVME_DRIVER_MAX_XFER);
	}
	if (incapsule != c->io_incapsule) {
		snprintf(reason, len, "in-capsule data size %llu bytes after the reconnect (IOCCSZ %u, "
			 "ICDOFF %u), was %u", (unsigned long long)incapsule, d->ioccsz, d->icdoff,
			 c->io_incapsule);
		return -EINVAL;
	}
	return 0;
}

/* ---- The states --------------------------------------------------------------------------- */

static bool
io_qpairs_quiesced(struct nvtcp_ctrlr *c, uint32_t *pending)
{
	uint32_t id = atomic_load_explicit(&c->reset_id, memory_order_relaxed);
	struct nvtcp_qpair *qp;

	*pending = 0;
	pthread_mutex_lock(&c->qpairs_lock);
	TAILQ_FOREACH(qp, &c->qpairs, ctrlr_link) {
		uint32_t ack = atomic_load_explicit(&qp->reset_ack, memory_order_acquire);

		/* UINT32_MAX: failed for good, holds no connection. */
		if (ack != id && ack != UINT32_MAX) {
			(*pending)++;
		}
	}
	pthread_mutex_unlock(&c->qpairs_lock);
	return *pending == 0;
}

static void
fast_fail_check(struct nvtcp_ctrlr *c, uint64_t now)
{
	int32_t ff = c->opts.fast_io_fail_tmo_s;

	if (ff < 0 || atomic_load_explicit(&c->io_fast_fail, memory_order_relaxed) ||
	    now - c->reset_start < nvme_ms_to_ticks((uint64_t)ff * 1000)) {
		return;
	}
	NVTCP_NOTICELOG("controller " NVME_CTRLR_FMT ": fast_io_fail_tmo (%d s) expired: I/O "
			"fails with Host Path Error until the controller is reconnected\n",
			NVME_CTRLR_ARGS(c), ff);
	atomic_store_explicit(&c->io_fast_fail, true, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->event_gen, 1, memory_order_release);
}

static void
give_up(struct nvtcp_ctrlr *c, uint64_t now)
{
	const char *last = c->attempt_reason[0] ? c->attempt_reason : c->reset_reason;

	if (c->reset_explicit && max_attempts(c) == 1) {
		nvme_ctrlr_fail(c, -ENOTCONN, "reset failed: %s (reconnect disabled: %s)", last,
				c->discovery ? "discovery controller" : "ctrl_loss_tmo_s 0");
		return;
	}
	nvme_ctrlr_fail(c, -ENOTCONN, "gave up reconnecting after %u attempt%s in %llu s "
			"(ctrl_loss_tmo_s %d): %s", c->reconnect_attempt,
			c->reconnect_attempt == 1 ? "" : "s",
			(unsigned long long)nvme_ticks_to_ms(now - c->reset_start) / 1000,
			c->opts.ctrl_loss_tmo_s, last);
}

static bool
loss_expired(const struct nvtcp_ctrlr *c, uint64_t now)
{
	uint32_t max = max_attempts(c);
	int32_t tmo = c->opts.ctrl_loss_tmo_s;

	if (max != 0 && c->reconnect_attempt >= max) {
		return true;
	}
	return tmo > 0 && c->reconnect_attempt > 0 &&
	       now - c->reset_start >= nvme_ms_to_ticks((uint64_t)tmo * 1000);
}

static void
start_attempt(struct nvtcp_ctrlr *c)
{
	char buf[16];

	c->reconnect_attempt++;
	c->stats.reconnect_attempts++;
	c->attempt_reason[0] = '\0';
	NVTCP_NOTICELOG("controller " NVME_CTRLR_FMT ": reconnect attempt %u of %s (reason: %s)\n",
			NVME_CTRLR_ARGS(c), c->reconnect_attempt, attempts_str(c, buf, sizeof(buf)),
			c->reset_reason);
	c->reiniting = true;
	nvme_ctrlr_init_restart(c);
	c->reset_state = NVME_RESET_CONNECT;
}

static void
attempt_failed(struct nvtcp_ctrlr *c, int rc, uint64_t now)
{
	char buf[16];

	c->reiniting = false;
	if (c->attempt_reason[0] == '\0') {
		snprintf(c->attempt_reason, sizeof(c->attempt_reason), "%s", strerror(-rc));
	}
	/* Whatever the attempt left (a connection half set up) goes. */
	if (nvme_qpair_is_up(c->adminq)) {
		c->adminq->quiet_fail = true;
		nvme_qpair_disconnect(c->adminq, rc, "reconnect attempt failed");
		c->adminq->quiet_fail = false;
	}
	c->ka_armed = false;
	c->ka_outstanding = false;
	c->enabled = false;
	snprintf(c->reason, sizeof(c->reason), "resetting: %s; reconnect attempt %u failed: %s",
		 c->reset_reason, c->reconnect_attempt, c->attempt_reason);
	if (loss_expired(c, now)) {
		NVTCP_ERRLOG("controller " NVME_CTRLR_FMT ": reconnect attempt %u of %s failed: "
			     "%s\n", NVME_CTRLR_ARGS(c), c->reconnect_attempt,
			     attempts_str(c, buf, sizeof(buf)), c->attempt_reason);
		give_up(c, now);
		return;
	}
	c->next_attempt = now + nvme_ms_to_ticks(c->opts.reconnect_delay_ms);
	c->reset_state = NVME_RESET_WAIT;
	NVTCP_WARNLOG("controller " NVME_CTRLR_FMT ": reconnect attempt %u of %s failed: %s; next "
		      "in %u ms\n", NVME_CTRLR_ARGS(c), c->reconnect_attempt,
		      attempts_str(c, buf, sizeof(buf)), c->attempt_reason,
		      c->opts.reconnect_delay_ms);
}

static void
publish(struct nvtcp_ctrlr *c, uint64_t now)
{
	char buf[16];

	c->reiniting = false;
	c->reset_state = NVME_RESET_NONE;
	c->reset_explicit = false;
	c->last_live = now;
	c->last_live_reconnect = true;
	c->stats.reconnects++;
	c->reason[0] = '\0';
	atomic_store_explicit(&c->io_fast_fail, false, memory_order_relaxed);
	atomic_store_explicit(&c->pub_cntlid, c->cntlid, memory_order_relaxed);
	atomic_store_explicit(&c->pub_num_io_queues, c->num_io_queues, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->assoc_gen, 1, memory_order_release);
	NVTCP_NOTICELOG("controller " NVME_CTRLR_FMT ": reconnected (attempt %u of %s, %llu ms "
			"after the reset began): controller ID %u, %u I/O queues, %u namespaces\n",
			NVME_CTRLR_ARGS(c), c->reconnect_attempt,
			attempts_str(c, buf, sizeof(buf)),
			(unsigned long long)nvme_ticks_to_ms(now - c->reset_start), c->cntlid,
			c->num_io_queues, c->num_active);
	/* Release: I/O threads that see LIVE see the association and the data above. */
	nvme_ctrlr_set_state(c, NVTCP_CTRLR_STATE_LIVE);
}

void
nvme_ctrlr_reset_poll(struct nvtcp_ctrlr *c)
{
	uint64_t now = nvme_ticks();
	uint32_t pending;
	int rc;

	fast_fail_check(c, now);
	switch (c->reset_state) {
	case NVME_RESET_QUIESCE:
		if (!io_qpairs_quiesced(c, &pending)) {
			if (now < c->quiesce_deadline) {
				return;
			}
			NVTCP_NOTICELOG("controller " NVME_CTRLR_FMT ": %u I/O queue pair(s) did not "
					"drop their connection within %u ms (not polled?): "
					"reconnecting anyway\n", NVME_CTRLR_ARGS(c), pending,
					NVME_RESET_QUIESCE_MS);
		}
		c->reset_state = NVME_RESET_WAIT;
		/* fall through */
	case NVME_RESET_WAIT:
		if (c->reconnect_attempt > 0 && loss_expired(c, now)) {
			give_up(c, now);
			return;
		}
		if (now < c->next_attempt) {
			return;
		}
		start_attempt(c);
		/* fall through */
	case NVME_RESET_CONNECT:
		rc = nvme_ctrlr_init_run(c);
		if (rc == -EAGAIN) {
			return;
		}
		if (rc == 1) {
			publish(c, nvme_ticks());
			return;
		}
		attempt_failed(c, rc, nvme_ticks());
		return;
	default:
		return;
	}
}

/* ---- Public ------------------------------------------------------------------------------- */

int
nvtcp_ctrlr_reset(struct nvtcp_ctrlr *c)
{
	int s;

	if (c == NULL) {
		return -EINVAL;
	}
	s = atomic_load(&c->state);
	if (c->detach_state != NVME_DETACH_NONE || s == NVTCP_CTRLR_STATE_FAILED ||
	    s == NVTCP_CTRLR_STATE_DELETING) {
		return -ENXIO;
	}
	if (!c->attached || c->reset_state != NVME_RESET_NONE) {
		return -EBUSY;
	}
	nvme_ctrlr_start_reset(c, true, -ECONNRESET, "reset requested by the application");
	return 0;
}

void
nvtcp_ctrlr_register_ns_event_callback(struct nvtcp_ctrlr *c, nvtcp_ns_event_cb cb, void *cb_arg)
{
	c->ns_cb = cb;
	c->ns_cb_arg = cb_arg;
}

void
nvtcp_ctrlr_get_stats(const struct nvtcp_ctrlr *c, struct nvtcp_ctrlr_stats *stats)
{
	*stats = c->stats;
}
