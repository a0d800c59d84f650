/*
 * The multipath I/O path: path selection, submission, completion with failover, the held
 * list, and the poll.
 *
 * Cost on the fast path: one context pop, one pass over the paths (a handful of loads each),
 * the namespace submit; on completion one branch on the status and the context push.
 */
#include <errno.h>
#include <string.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"
#include "mpath_internal.h"

#define SCORE_UNUSABLE UINT32_MAX

/* Usable at all: not failed or being removed, and ANA optimized or non-optimized (cached,
 * see mpath_path_refresh()): one load, all a single path needs per I/O. */
static inline bool
path_base_usable(const struct mpath_path *p)
{
	return p->usable;
}

/* Lower is better: optimized before non-optimized, connected before reconnecting (a queue
 * pair that reconnects accepts I/O and sends it once connected, which is how a single path
 * holds I/O across a reconnect). */
static inline uint32_t
path_score(const struct mpath_path *p)
{
	uint32_t s;

	if (!path_base_usable(p)) {
		return SCORE_UNUSABLE;
	}
	s = p->ana_state == NVTCP_MPATH_ANA_OPTIMIZED ? 0 : 1;
	return nvtcp_qpair_is_connected(p->qpair) ? s : s + 2;
}

bool
mpath_path_usable(const struct mpath_path *p)
{
	return path_base_usable(p);
}

/* Two or more paths: the policy decides among the usable ones. */
static struct mpath_path * __attribute__((noinline))
select_path_multi(struct nvtcp_mpath_ns *mns)
{
	struct mpath_path *best = NULL;
	uint32_t best_score = SCORE_UNUSABLE;
	uint32_t i, n = mns->num_paths, s;

	switch (mns->opts.policy) {
	case NVTCP_MPATH_POLICY_ACTIVE_PASSIVE:
		for (i = 0; i < n; i++) {
			s = path_score(mns->paths[i]);
			if (s < best_score) {
				best_score = s;
				best = mns->paths[i];
				if (s == 0) {
					break;
				}
			}
		}
		return best;
	case NVTCP_MPATH_POLICY_ROUND_ROBIN: {
		uint32_t start = mns->rr_next < n ? mns->rr_next : 0, idx = 0;

		for (i = 0; i < n; i++) {
			uint32_t j = start + i < n ? start + i : start + i - n;

			s = path_score(mns->paths[j]);
			if (s < best_score) {
				best_score = s;
				best = mns->paths[j];
				idx = j;
			}
		}
		if (best != NULL) {
			mns->rr_next = idx + 1;
		}
		return best;
	}
	case NVTCP_MPATH_POLICY_QUEUE_DEPTH:
	default:
		for (i = 0; i < n; i++) {
			struct mpath_path *p = mns->paths[i];

			s = path_score(p);
			if (s < best_score ||
			    (s == best_score && s != SCORE_UNUSABLE &&
			     p->outstanding < best->outstanding)) {
				best_score = s;
				best = p;
			}
		}
		return best;
	}
}

/* One path: every policy picks it when usable, connected or reconnecting alike (the order
 * between paths is all that "connected" changes), so no call and no loop per I/O. */
static inline __attribute__((always_inline)) struct mpath_path *
select_path(struct nvtcp_mpath_ns *mns)
{
	if (__builtin_expect(mns->num_paths == 1, 1)) {
		struct mpath_path *p = mns->paths[0];

		return path_base_usable(p) ? p : NULL;
	}
	return mns->num_paths == 0 ? NULL : select_path_multi(mns);
}

static void io_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl);

/* Inline: from submit() the operation is a constant and the switch folds to one call. */
static inline __attribute__((always_inline)) int
lower_submit(struct mpath_io *io, struct mpath_path *p)
{
	int rc;

	switch (io->op) {
	case MPATH_OP_READ:
		rc = nvtcp_ns_cmd_read(p->ns, p->qpair, io->buf, io->lba, io->lba_count, io_done,
				       io, io->io_flags);
		break;
	case MPATH_OP_WRITE:
		rc = nvtcp_ns_cmd_write(p->ns, p->qpair, io->buf, io->lba, io->lba_count, io_done,
					io, io->io_flags);
		break;
	case MPATH_OP_READV:
		rc = nvtcp_ns_cmd_readv(p->ns, p->qpair, io->lba, io->lba_count, io->iov,
					io->iovcnt, io_done, io, io->io_flags);
		break;
	case MPATH_OP_WRITEV:
		rc = nvtcp_ns_cmd_writev(p->ns, p->qpair, io->lba, io->lba_count, io->iov,
					 io->iovcnt, io_done, io, io->io_flags);
		break;
	default:
		rc = nvtcp_ns_cmd_flush(p->ns, p->qpair, io_done, io);
		break;
	}
	if (rc == 0) {
		io->path = p;
		p->outstanding++;
	} else if (rc == -ENXIO) {
		/* The queue pair failed for good (or the namespace went away on that path). */
		mpath_path_set_failed(p);
	}
	return rc;
}

static inline void
io_free(struct nvtcp_mpath_ns *mns, struct mpath_io *io)
{
	io->busy = false;
	mns->free_ios[mns->num_free++] = io;
	mns->outstanding--;
}

/* The one place an application callback is called. The context is free before the call so
 * that the callback can submit again. */
static inline __attribute__((always_inline)) void
io_complete(struct mpath_io *io, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_mpath_ns *mns = io->mns;
	nvtcp_cmd_cb cb = io->cb;
	void *cb_arg = io->cb_arg;

	if (!io->busy) {
		NVTCP_ERRLOG("multipath %s: completion of an I/O that is not outstanding "
			     "(lba %llu): ignored\n", mns->subnqn, (unsigned long long)io->lba);
		return;
	}
	io_free(mns, io);
	mns->st.completed++;
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		mns->st.errors++;
	}
	cb(cb_arg, cpl);
}

static void
io_hold(struct nvtcp_mpath_ns *mns, struct mpath_io *io)
{
	if (io->first_fail_ticks == 0) {
		io->first_fail_ticks = mpath_ticks() | 1;
	}
	io->path = NULL;
	TAILQ_INSERT_TAIL(&mns->held, io, link);
	mns->num_held++;
	mns->st.held++;
}

static bool
hold_expired(const struct nvtcp_mpath_ns *mns, const struct mpath_io *io, uint64_t now)
{
	/* Signed: the start is rounded up to be non-zero, so "now" may be one tick before it. */
	return mns->hold_ticks != UINT64_MAX && io->first_fail_ticks != 0 &&
	       (int64_t)(now - io->first_fail_ticks) > (int64_t)mns->hold_ticks;
}

/* Errors that say "this path could not do it", not "the command is wrong": the same command
 * may succeed on another path or on this one later. */
static bool
is_path_failure(const struct nvtcp_nvme_cpl *cpl)
{
	uint8_t sct = nvtcp_nvme_status_sct(cpl->status);
	uint8_t sc = nvtcp_nvme_status_sc(cpl->status);

	if (sct == NVTCP_NVME_SCT_PATH) {
		return true;
	}
	if (sct != NVTCP_NVME_SCT_GENERIC || nvtcp_nvme_status_dnr(cpl->status)) {
		return false;
	}
	return sc == NVTCP_NVME_SC_ABORTED_SQ_DELETION ||
	       sc == NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR;
}

static void
io_resubmit(struct nvtcp_mpath_ns *mns, struct mpath_io *io)
{
	struct mpath_path *p = select_path(mns);

	if (p != NULL && lower_submit(io, p) == 0) {
		mns->st.retries++;
		return;
	}
	io_hold(mns, io);
}

static void
io_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct mpath_io *io = cb_arg;
	struct nvtcp_mpath_ns *mns = io->mns;
	struct mpath_path *p = io->path;

	io->path = NULL;
	if (p != NULL) {
		p->outstanding--;
	}
	if (__builtin_expect(!nvtcp_nvme_cpl_is_error(cpl), 1)) {
		if (p != NULL) {
			p->st.ios++;
			p->st.bytes += io->bytes;
		}
		io_complete(io, cpl);
		return;
	}
	if (!is_path_failure(cpl) || p == NULL) {
		io_complete(io, cpl);
		return;
	}
	p->st.errors++;
	p->st.failovers++;
	if (nvtcp_nvme_status_sct(cpl->status) == NVTCP_NVME_SCT_PATH) {
		mpath_ana_note_status(p, nvtcp_nvme_status_sc(cpl->status));
		if (nvtcp_nvme_status_sc(cpl->status) == NVTCP_NVME_SC_HOST_PATH_ERROR &&
		    nvtcp_nvme_status_dnr(cpl->status)) {
			/* The host driver's "controller failed for good". */
			mpath_path_set_failed(p);
		}
	}
	io->last_status = cpl->status;
	if (io->first_fail_ticks == 0) {
		io->first_fail_ticks = mpath_ticks() | 1;
	} else if (hold_expired(mns, io, mpath_ticks())) {
		mns->st.hold_timeouts++;
		io_complete(io, cpl);
		return;
	}
	io_resubmit(mns, io);
}

/* Inline in each entry point: the operation is then a constant (see lower_submit()). */
static inline __attribute__((always_inline)) int
submit(struct nvtcp_mpath_ns *mns, uint8_t op, void *buf, const struct iovec *iov, int iovcnt,
       uint64_t lba, uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags)
{
	struct mpath_path *p;
	struct mpath_io *io;
	int rc;

	if (__builtin_expect(mns->num_paths == 0, 0)) {
		return -ENXIO;
	}
	if (op != MPATH_OP_FLUSH &&
	    (lba_count == 0 || lba >= mns->num_sectors || lba_count > mns->num_sectors - lba)) {
		return -EINVAL;
	}
	if (cb == NULL) {
		return -EINVAL;
	}
	if (__builtin_expect(mns->num_free == 0, 0)) {
		return -EAGAIN;
	}
	io = mns->free_ios[--mns->num_free];
	mns->outstanding++;
	io->busy = true;
	io->op = op;
	/* Only the fields of this operation (op is a constant here: the others fold away). */
	if (op == MPATH_OP_READV || op == MPATH_OP_WRITEV) {
		io->iov = iov;
		io->iovcnt = iovcnt;
	} else {
		io->buf = buf;
	}
	io->lba = lba;
	io->lba_count = lba_count;
	io->bytes = lba_count * mns->sector_size;
	io->io_flags = io_flags;
	io->cb = cb;
	io->cb_arg = cb_arg;
	/* last_status is written before every hold (io_done(), below), read only when one ends. */
	io->first_fail_ticks = 0;
	p = select_path(mns);
	if (__builtin_expect(p != NULL, 1)) {
		rc = lower_submit(io, p);
		if (__builtin_expect(rc == 0, 1)) {
			mns->st.submitted++;
			return 0;
		}
		if (rc != -ENXIO) {
			/* -EAGAIN (queue pair full) or -EINVAL: the caller's to handle. */
			io_free(mns, io);
			return rc;
		}
	}
	/* No usable path now: the I/O waits for one, as it would across a reconnect. */
	io->last_status = (uint16_t)((NVTCP_NVME_SCT_PATH << 9) |
				     (NVTCP_NVME_SC_HOST_PATH_ERROR << 1));
	mns->st.submitted++;
	io_hold(mns, io);
	return 0;
}

int
nvtcp_mpath_ns_read(struct nvtcp_mpath_ns *mns, void *buf, uint64_t lba, uint32_t lba_count,
		    nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags)
{
	if (buf == NULL) {
		return -EINVAL;
	}
	return submit(mns, MPATH_OP_READ, buf, NULL, 0, lba, lba_count, cb, cb_arg, io_flags);
}

int
nvtcp_mpath_ns_write(struct nvtcp_mpath_ns *mns, const void *buf, uint64_t lba,
		     uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags)
{
	if (buf == NULL) {
		return -EINVAL;
	}
	return submit(mns, MPATH_OP_WRITE, (void *)(uintptr_t)buf, NULL, 0, lba, lba_count, cb,
		      cb_arg, io_flags);
}

int
nvtcp_mpath_ns_readv(struct nvtcp_mpath_ns *mns, uint64_t lba, uint32_t lba_count,
		     const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb, void *cb_arg,
		     uint32_t io_flags)
{
	if (iov == NULL || iovcnt <= 0 || iovcnt > NVTCP_MAX_IOVCNT) {
		return -EINVAL;
	}
	return submit(mns, MPATH_OP_READV, NULL, iov, iovcnt, lba, lba_count, cb, cb_arg,
		      io_flags);
}

int
nvtcp_mpath_ns_writev(struct nvtcp_mpath_ns *mns, uint64_t lba, uint32_t lba_count,
		      const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb, void *cb_arg,
		      uint32_t io_flags)
{
	if (iov == NULL || iovcnt <= 0 || iovcnt > NVTCP_MAX_IOVCNT) {
		return -EINVAL;
	}
	return submit(mns, MPATH_OP_WRITEV, NULL, iov, iovcnt, lba, lba_count, cb, cb_arg,
		      io_flags);
}

int
nvtcp_mpath_ns_flush(struct nvtcp_mpath_ns *mns, nvtcp_cmd_cb cb, void *cb_arg)
{
	return submit(mns, MPATH_OP_FLUSH, NULL, NULL, 0, 0, 0, cb, cb_arg, 0);
}

void
mpath_retry_held(struct nvtcp_mpath_ns *mns)
{
	struct mpath_io *io, *tmp;
	uint64_t now;
	bool can_submit = true;

	if (mns->num_held == 0) {
		return;
	}
	now = mpath_ticks();
	for (io = TAILQ_FIRST(&mns->held); io != NULL; io = tmp) {
		struct mpath_path *p;

		tmp = TAILQ_NEXT(io, link);
		if (hold_expired(mns, io, now)) {
			struct nvtcp_nvme_cpl cpl;

			TAILQ_REMOVE(&mns->held, io, link);
			mns->num_held--;
			mns->st.hold_timeouts++;
			memset(&cpl, 0, sizeof(cpl));
			cpl.status = io->last_status;
			NVTCP_WARNLOG("multipath %s: no usable path within the hold timeout: I/O "
				      "at lba %llu fails\n", mns->subnqn,
				      (unsigned long long)io->lba);
			io_complete(io, &cpl);
			continue;
		}
		if (!can_submit) {
			continue;
		}
		p = select_path(mns);
		if (p == NULL) {
			can_submit = false;
			continue;
		}
		TAILQ_REMOVE(&mns->held, io, link);
		mns->num_held--;
		if (lower_submit(io, p) != 0) {
			/* Full or just failed: back at the head, try again next poll. */
			TAILQ_INSERT_HEAD(&mns->held, io, link);
			mns->num_held++;
			can_submit = false;
			continue;
		}
		mns->st.retries++;
	}
}

/*
 * I/Os sent to a path whose queue pair then lost its connection before they went out wait in
 * that queue pair for the reconnect (commands on the wire complete with a path error and fail
 * over, unsent ones do not). With a connected usable path elsewhere they are taken back and
 * failed over now; with none they keep waiting, which is the single-path hold. From the
 * admin-poll tick, not per I/O.
 */
static void
move_stranded(struct nvtcp_mpath_ns *mns)
{
	uint32_t i, j, n = mns->num_paths;

	for (i = 0; i < n; i++) {
		struct mpath_path *p = mns->paths[i];
		bool elsewhere = false;

		if (p->outstanding == 0 || nvtcp_qpair_is_connected(p->qpair)) {
			continue;
		}
		for (j = 0; j < n && !elsewhere; j++) {
			/* Score 0 or 1: usable and connected. */
			elsewhere = j != i && path_score(mns->paths[j]) <= 1;
		}
		if (elsewhere) {
			(void)nvtcp_qpair_fail_unsent(p->qpair);
		}
	}
}

/* The admin tick: admin completions (keep-alive, AER, ANA log reads) of every path, the ANA
 * state machine and stranded I/O. Out of line: it runs every admin_poll_us, not per poll. */
static void __attribute__((noinline))
admin_tick(struct nvtcp_mpath_ns *mns)
{
	uint32_t i;

	for (i = 0; i < mns->num_paths; i++) {
		struct mpath_path *p = mns->paths[i];

		if (nvtcp_ctrlr_process_admin_completions(p->ctrlr) == -ENXIO) {
			mpath_path_set_failed(p);
		}
	}
	mpath_ana_poll(mns);
	move_stranded(mns);
}

/* Whether the admin tick is due. The clock is read only every MPATH_ADMIN_CHECK_POLLS polls
 * (a counter per poll instead of a clock read per poll): the tick comes at least
 * admin_poll_us apart and at most that many polls late. An interval of 0 ticks every poll
 * without reading the clock. */
static inline bool
admin_due(struct nvtcp_mpath_ns *mns)
{
	uint64_t now;

	if (__builtin_expect(mns->admin_countdown != 0, 1)) {
		mns->admin_countdown--;
		return false;
	}
	if (mns->admin_poll_ticks == 0) {
		return true; /* the countdown stays 0 */
	}
	mns->admin_countdown = MPATH_ADMIN_CHECK_POLLS - 1;
	now = mpath_ticks();
	if (now - mns->last_admin_poll < mns->admin_poll_ticks) {
		return false;
	}
	mns->last_admin_poll = now;
	return true;
}

/* The rare end of a poll: held I/O to retry, or nothing outstanding, where "every path
 * failed" is told (not counted per poll under load). */
static int32_t __attribute__((noinline))
poll_tail(struct nvtcp_mpath_ns *mns, int32_t total)
{
	uint32_t i, failed = 0;

	if (mns->num_held != 0) {
		mpath_retry_held(mns);
	}
	if (mns->outstanding == 0) {
		for (i = 0; i < mns->num_paths; i++) {
			if (mns->paths[i]->failed) {
				failed++;
			}
		}
		if (failed == mns->num_paths) {
			return -ENXIO;
		}
	}
	return total;
}

/* Every path's I/O queue pair; a negative return marks the path failed. */
static int32_t __attribute__((noinline))
poll_qpairs(struct nvtcp_mpath_ns *mns, uint32_t max)
{
	int32_t total = 0, rc;
	uint32_t i;

	for (i = 0; i < mns->num_paths; i++) {
		struct mpath_path *p = mns->paths[i];

		rc = nvtcp_qpair_process_completions(p->qpair, max);
		if (rc < 0) {
			mpath_path_set_failed(p);
		} else {
			total += rc;
		}
	}
	return total;
}

int32_t
nvtcp_mpath_ns_process_completions(struct nvtcp_mpath_ns *mns, uint32_t max)
{
	int32_t total = 0;

	if (__builtin_expect(mns->num_paths == 1 && mns->opts.poll_qpairs, 1)) {
		/* One path: its queue pair directly, no loop. */
		struct mpath_path *p = mns->paths[0];

		total = nvtcp_qpair_process_completions(p->qpair, max);
		if (__builtin_expect(total < 0, 0)) {
			mpath_path_set_failed(p);
			total = 0;
		}
	} else if (mns->opts.poll_qpairs) {
		total = poll_qpairs(mns, max);
	}
	if (mns->opts.poll_admin && __builtin_expect(admin_due(mns), 0)) {
		admin_tick(mns);
	}
	if (__builtin_expect(mns->num_held != 0 || mns->outstanding == 0, 0)) {
		return poll_tail(mns, total);
	}
	return total;
}

void
nvtcp_mpath_ns_process_ana(struct nvtcp_mpath_ns *mns)
{
	mpath_ana_poll(mns);
	move_stranded(mns);
	mpath_retry_held(mns);
}
