/*
 * The I/O engine: one worker per core, run by a poller on that core's reactor.
 *
 * A worker owns its namespace contexts (one per namespace it drives), their queue pairs (in
 * one poll group, or polled directly), their tasks and data buffers. Nothing is shared with
 * other cores while the run lasts: the only cross-core reads are the progress line's relaxed
 * loads of two counters. Everything is allocated in perf_worker_prepare(), before the run.
 *
 * Per I/O the hot path does: choose the offset and direction (xorshift), take one timestamp at
 * completion (reused as the submission time of the next I/O), tally the latency, and resubmit
 * from the completion callback. No allocation, no lock, no system call of its own: the socket
 * calls are the driver's batched send and receive inside the poll.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/env.h"
#include "nvtcp/reactor.h"
#include "nvtcp/util.h"

#include "perf.h"

/* An errored I/O of a verifying run is submitted again at most this many times. */
#define PERF_VERIFY_MAX_RETRIES 16
/* After the run, outstanding I/Os get this long to complete (the driver's I/O timeout is 30 s,
 * after which it completes them with an error itself). */
#define PERF_DRAIN_TIMEOUT_S 45
/* Mismatches printed per context (all are counted). */
#define PERF_VERIFY_MAX_PRINTED 10
/* --rate: backlog a worker may catch up after a stall (the queue depth bounds the burst). */
#define PERF_RATE_WINDOW_US 10000

/* Single writer: a relaxed load and store is a plain add on x86, yet race-free for the
 * progress reader. */
static inline void
relaxed_add(_Atomic uint64_t *a, uint64_t v)
{
	atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static inline uint64_t
xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Uniform in [0, n) without a division: the high half of a 64x64 product. */
static inline uint64_t
rand_below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)xorshift64(s) * n) >> 64);
}

static void io_complete(void *arg, const struct nvtcp_nvme_cpl *cpl);

static void
pending_push(struct perf_ns_ctx *c, struct perf_task *t)
{
	t->next = NULL;
	if (c->pending_tail != NULL) {
		c->pending_tail->next = t;
	} else {
		c->pending = t;
	}
	c->pending_tail = t;
}

static struct perf_task *
pending_pop(struct perf_ns_ctx *c)
{
	struct perf_task *t = c->pending;

	if (t != NULL) {
		c->pending = t->next;
		if (c->pending == NULL) {
			c->pending_tail = NULL;
		}
	}
	return t;
}

/* The driver call for a task whose offset, direction and buffer are set. */
static inline int
task_issue(struct perf_task *t)
{
	struct perf_ns_ctx *c = t->ctx;
	struct perf_ns *ns = c->ns;
	struct nvtcp_qpair *qp = c->qpairs[c->last_qpair];
	uint64_t lba = t->offset * ns->io_blocks;

	if (ns->mns != NULL) {
		/* Multipath: the layer picks the path. */
		if (t->iov != NULL) {
			return t->is_read ? nvtcp_mpath_ns_readv(ns->mns, lba, ns->io_blocks, t->iov,
								 t->iovcnt, io_complete, t, 0)
					  : nvtcp_mpath_ns_writev(ns->mns, lba, ns->io_blocks, t->iov,
								  t->iovcnt, io_complete, t, 0);
		}
		return t->is_read ? nvtcp_mpath_ns_read(ns->mns, t->buf, lba, ns->io_blocks,
							io_complete, t, 0)
				  : nvtcp_mpath_ns_write(ns->mns, t->buf, lba, ns->io_blocks,
							 io_complete, t, 0);
	}
	if (++c->last_qpair == c->num_qpairs) {
		c->last_qpair = 0;
	}
	if (t->iov != NULL) {
		return t->is_read ? nvtcp_ns_cmd_readv(ns->ns, qp, lba, ns->io_blocks, t->iov,
						       t->iovcnt, io_complete, t, 0)
				  : nvtcp_ns_cmd_writev(ns->ns, qp, lba, ns->io_blocks, t->iov,
							t->iovcnt, io_complete, t, 0);
	}
	return t->is_read ? nvtcp_ns_cmd_read(ns->ns, qp, t->buf, lba, ns->io_blocks, io_complete,
					      t, 0)
			  : nvtcp_ns_cmd_write(ns->ns, qp, t->buf, lba, ns->io_blocks, io_complete,
					       t, 0);
}

/* Poison the stamps of a read's buffer, so that a read that reports success without
 * delivering (all of) its data is caught. */
static void
poison_read(struct perf_task *t)
{
	const struct perf_ns *ns = t->ctx->ns;

	for (uint32_t b = 0; b < ns->io_blocks; b++) {
		memset((uint8_t *)t->buf + (size_t)b * ns->block_size, 0xA5, PERF_VERIFY_HDR_SIZE);
	}
}

/* Choose what a task does next (not for a retry, which repeats the same I/O). */
static inline bool
task_choose(struct perf_task *t)
{
	struct perf_ns_ctx *c = t->ctx;
	int mix = g_perf.opts.rwmixread;

	t->is_read = mix == 100 || (mix != 0 && (int)rand_below(&c->rng, 100) < mix);
	if (nvtcp_unlikely(c->verify.enabled)) {
		struct perf_verify_ctx *v = &c->verify;
		uint64_t hint, off;

		if (g_perf.opts.random) {
			hint = rand_below(&c->rng, v->count);
		} else {
			hint = c->seq_next++;
			if (c->seq_next == v->count) {
				c->seq_next = 0;
			}
		}
		off = perf_verify_lock(v, hint);
		if (off == UINT64_MAX) {
			/* Cannot happen: there are fewer tasks than slots (checked at set-up). */
			return false;
		}
		t->offset = v->first + off;
		if (t->is_read) {
			poison_read(t);
		} else {
			t->seq = perf_verify_next_seq(v);
			perf_verify_fill(t->buf, c->ns->block_size, c->ns->io_blocks,
					 t->offset * c->ns->io_blocks, v->nsid, t->seq, v->seed);
		}
		return true;
	}
	if (g_perf.opts.random) {
		t->offset = rand_below(&c->rng, c->ns->size_in_ios);
	} else {
		t->offset = c->seq_first + c->seq_next;
		if (++c->seq_next == c->seq_count) {
			c->seq_next = 0;
		}
	}
	return true;
}

/* Start a task's next I/O (or repeat it, for a retry) now. */
static void
task_go(struct perf_task *t, uint64_t now)
{
	struct perf_ns_ctx *c = t->ctx;
	int rc;

	if (!t->in_retry && !task_choose(t)) {
		c->status = 1;
		c->draining = true;
		return;
	}
	t->submit_tsc = now;
	rc = task_issue(t);
	if (nvtcp_likely(rc == 0)) {
		c->outstanding++;
		c->stats.io_submitted++;
		if (nvtcp_unlikely(c->number_ios != 0 && c->stats.io_submitted >= c->number_ios)) {
			c->draining = true;
		}
		return;
	}
	if (rc == -EAGAIN) {
		/* No free request in the driver: send the same I/O on the next poll. */
		c->stats.eagain++;
		t->in_retry = true;
		pending_push(c, t);
		return;
	}
	c->stats.submit_errors++;
	c->status = 1;
	if (c->quiet++ % g_perf.opts.quiet_count == 0) {
		fprintf(stderr, "%s: starting I/O failed on %s: %s\n", PERF_NAME, c->ns->name,
			strerror(-rc));
	}
	if (c->verify.enabled) {
		perf_verify_unlock(&c->verify, t->offset - c->verify.first);
	}
	if (rc == -ENXIO) {
		/* The queue pair is gone for good: stop this context. */
		c->draining = true;
	}
}

/* Start a task's next I/O when the rate limiter allows, else queue it. */
static inline void
task_submit(struct perf_task *t, uint64_t now)
{
	struct perf_worker *w = t->ctx->worker;

	if (w->rate_on && !perf_rate_take(&w->rate, now)) {
		pending_push(t->ctx, t);
		return;
	}
	task_go(t, now);
}

static void
verify_complete(struct perf_task *t)
{
	struct perf_ns_ctx *c = t->ctx;
	struct perf_verify_ctx *v = &c->verify;
	uint64_t off = t->offset - v->first;
	struct perf_verify_mismatch mm;
	uint32_t exp, bad;
	char line[320];

	if (!t->is_read) {
		v->expected[off] = t->seq;
		v->writes_ok++;
	} else {
		exp = v->expected[off];
		if (exp == PERF_VERIFY_SEQ_NONE) {
			v->reads_unwritten++;
		} else if (exp == PERF_VERIFY_SEQ_UNKNOWN) {
			v->reads_unknown++;
		} else {
			v->reads_checked++;
			bad = perf_verify_check(t->buf, c->ns->block_size, c->ns->io_blocks,
						t->offset * c->ns->io_blocks, v->nsid, exp,
						v->seed, &mm);
			if (bad != 0) {
				v->mismatches += bad;
				c->status = 1;
				if (v->printed++ < PERF_VERIFY_MAX_PRINTED) {
					perf_verify_format(&mm, v->nsid, line, sizeof(line));
					fprintf(stderr, "%s: verify: %s: %s%s\n", PERF_NAME,
						c->ns->name, line,
						bad > 1 ? " (and more blocks of this I/O)" : "");
				}
			}
		}
	}
	perf_verify_unlock(v, off);
}

/* An I/O completed with an error status. \return true when it was submitted again. */
static bool
io_error(struct perf_task *t, const struct nvtcp_nvme_cpl *cpl, uint64_t now)
{
	struct perf_ns_ctx *c = t->ctx;
	uint8_t sct = nvtcp_nvme_status_sct(cpl->status), sc = nvtcp_nvme_status_sc(cpl->status);

	c->stats.io_errors++;
	if (t->is_read) {
		c->stats.read_errors++;
	} else {
		c->stats.write_errors++;
	}
	if (c->quiet++ % g_perf.opts.quiet_count == 0) {
		fprintf(stderr, "%s: %s completed with error (sct=%u, sc=%u) on %s at LBA %" PRIu64
			"\n", PERF_NAME, t->is_read ? "Read" : "Write", sct, sc, c->ns->name,
			t->offset * c->ns->io_blocks);
	}
	if (!g_perf.opts.continue_on_error) {
		c->status = 1;
		if (sct == NVTCP_NVME_SCT_GENERIC && sc == 0x0B) {
			/* Invalid namespace or format: the namespace went away. */
			c->draining = true;
		}
	}
	if (!c->verify.enabled) {
		return false;
	}
	/* A verifying run repeats the same I/O until it succeeds, so that every slot ends with
	 * defined content and every read is checked. */
	if (t->retries < PERF_VERIFY_MAX_RETRIES && !atomic_load_explicit(&g_perf.exit,
									   memory_order_relaxed)) {
		t->retries++;
		t->in_retry = true;
		c->verify.retries++;
		if (t->is_read) {
			/* What the failed read left in the buffer must not pass as the retry's. */
			poison_read(t);
		}
		/* Retries bypass the rate limiter: the I/O was counted when first started. */
		task_go(t, now);
		return true;
	}
	c->verify.gave_up++;
	if (!t->is_read) {
		c->verify.expected[t->offset - c->verify.first] = PERF_VERIFY_SEQ_UNKNOWN;
	}
	perf_verify_unlock(&c->verify, t->offset - c->verify.first);
	return false;
}

/* --prefill: the task writes the next slot of its context's region. \return false when
 * every slot has been started. */
static bool
prefill_issue(struct perf_task *t, uint64_t now)
{
	struct perf_ns_ctx *c = t->ctx;
	struct perf_verify_ctx *v = &c->verify;
	uint64_t off;

	if (c->prefill_next >= v->count ||
	    atomic_load_explicit(&g_perf.exit, memory_order_relaxed)) {
		return false;
	}
	off = perf_verify_lock(v, c->prefill_next++);
	if (off == UINT64_MAX) {
		return false;
	}
	t->offset = v->first + off;
	t->is_read = false;
	t->seq = perf_verify_next_seq(v);
	perf_verify_fill(t->buf, c->ns->block_size, c->ns->io_blocks, t->offset * c->ns->io_blocks,
			 v->nsid, t->seq, v->seed);
	/* "in_retry" makes task_go() send the I/O as prepared here. */
	t->in_retry = true;
	task_go(t, now);
	return true;
}

static void
io_complete(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct perf_task *t = arg;
	struct perf_ns_ctx *c = t->ctx;
	uint64_t now = nvtcp_env_get_ticks();
	uint64_t d = now - t->submit_tsc;

	c->outstanding--;
	relaxed_add(&c->stats.io_completed, 1);
	relaxed_add(&c->stats.total_tsc, d);
	if (nvtcp_unlikely(d < c->stats.min_tsc)) {
		c->stats.min_tsc = d;
	}
	if (nvtcp_unlikely(d > c->stats.max_tsc)) {
		c->stats.max_tsc = d;
	}
	perf_hist_tally(c->hist, d);
	if (nvtcp_unlikely(nvtcp_nvme_cpl_is_error(cpl))) {
		if (io_error(t, cpl, now)) {
			return;
		}
	} else if (nvtcp_unlikely(c->verify.enabled)) {
		verify_complete(t);
	}
	t->in_retry = false;
	t->retries = 0;
	if (nvtcp_unlikely(c->prefilling)) {
		prefill_issue(t, now);
		return;
	}
	if (nvtcp_unlikely(c->draining)) {
		return;
	}
	task_submit(t, now);
}

/* ---- Statistics snapshots ----------------------------------------------------------------- */

static void
drv_add_qpair(struct perf_drv_stats *d, const struct nvtcp_qpair_stats *now,
	      const struct nvtcp_qpair_stats *then)
{
	d->send_calls += now->send_calls - then->send_calls;
	d->recv_calls += now->recv_calls - then->recv_calls;
	d->polls += now->polls - then->polls;
	d->idle_polls += now->idle_polls - then->idle_polls;
	d->pdus_sent += now->pdus_sent - then->pdus_sent;
	d->pdus_received += now->pdus_received - then->pdus_received;
	d->completions += now->completed - then->completed;
	d->queued += now->queued - then->queued;
	d->reconnects += now->reconnects - then->reconnects;
}

int
perf_thread_cpu(int tid, struct perf_cpu *cpu)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	size_t n;
	FILE *f;

	cpu->valid = false;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (f == NULL) {
		return -errno;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields count from the last ')'.
	 * After it: state (3), ..., utime (14), stime (15). */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				&ut, &st) != 2) {
		return -EINVAL;
	}
	cpu->user = ut;
	cpu->sys = st;
	cpu->valid = true;
	return 0;
}

/* CPU time split of the worker's and the embedded target's threads, read at the edges of
 * the measured run only. */
static void
cpu_snap(struct perf_worker *w, struct perf_cpu *mine, struct perf_cpu *tgt)
{
	perf_thread_cpu(w->tid, mine);
	if (w == &g_perf.workers[0] && g_perf.tgt.enabled && g_perf.tgt.tid != 0 &&
	    g_perf.tgt.core != w->core) {
		perf_thread_cpu(g_perf.tgt.tid, tgt);
	}
}

static void
snap_begin(struct perf_worker *w)
{
	cpu_snap(w, &w->cpu_begin, &w->tgt_cpu_begin);
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		struct perf_ns_ctx *c = w->ctxs[i];

		for (uint32_t q = 0; q < c->num_qpairs; q++) {
			nvtcp_qpair_get_stats(c->qpairs[q], &c->qp_snap[q]);
		}
		perf_mpath_snap_begin(c);
	}
	if (w->group != NULL) {
		nvtcp_poll_group_get_stats(w->group, &w->pg_snap);
	}
}

static void
snap_end(struct perf_worker *w)
{
	struct nvtcp_qpair_stats st;

	cpu_snap(w, &w->cpu_end, &w->tgt_cpu_end);
	memset(&w->drv, 0, sizeof(w->drv));
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		struct perf_ns_ctx *c = w->ctxs[i];

		memset(&c->drv, 0, sizeof(c->drv));
		for (uint32_t q = 0; q < c->num_qpairs; q++) {
			nvtcp_qpair_get_stats(c->qpairs[q], &st);
			drv_add_qpair(&c->drv, &st, &c->qp_snap[q]);
		}
		w->drv.send_calls += c->drv.send_calls;
		w->drv.recv_calls += c->drv.recv_calls;
		w->drv.polls += c->drv.polls;
		w->drv.idle_polls += c->drv.idle_polls;
		w->drv.pdus_sent += c->drv.pdus_sent;
		w->drv.pdus_received += c->drv.pdus_received;
		w->drv.completions += c->drv.completions;
		w->drv.queued += c->drv.queued;
		w->drv.reconnects += c->drv.reconnects;
	}
	if (w->group != NULL) {
		struct nvtcp_poll_group_stats g;

		nvtcp_poll_group_get_stats(w->group, &g);
		/* Polls and epoll calls are the group's. Its socket-call counters cover its
		 * queue pairs' calls too; the larger of the two sums is taken so that a call is
		 * counted once whichever side the driver accounts it on. */
		w->drv.polls = g.polls - w->pg_snap.polls;
		w->drv.idle_polls = g.idle_polls - w->pg_snap.idle_polls;
		w->drv.epoll_calls = g.epoll_calls - w->pg_snap.epoll_calls;
		w->drv.send_calls = NVTCP_MAX(w->drv.send_calls, g.send_calls - w->pg_snap.send_calls);
		w->drv.recv_calls = NVTCP_MAX(w->drv.recv_calls, g.recv_calls - w->pg_snap.recv_calls);
	}
}

static void
stats_reset(struct perf_worker *w)
{
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		struct perf_ns_ctx *c = w->ctxs[i];

		atomic_store_explicit(&c->stats.io_completed, 0, memory_order_relaxed);
		atomic_store_explicit(&c->stats.total_tsc, 0, memory_order_relaxed);
		/* I/Os in flight complete in the measured window: count them as submitted in it,
		 * so that submitted = completed ok + completed with error holds. */
		c->stats.io_submitted = c->outstanding;
		c->stats.io_errors = 0;
		c->stats.read_errors = 0;
		c->stats.write_errors = 0;
		c->stats.submit_errors = 0;
		c->stats.eagain = 0;
		c->stats.min_tsc = UINT64_MAX;
		c->stats.max_tsc = 0;
		perf_hist_reset(c->hist);
	}
}

/* ---- The loop ----------------------------------------------------------------------------- */

static int64_t
poll_io(struct perf_worker *w)
{
	uint32_t max = g_perf.opts.max_completions;
	int64_t n = 0;

	if (nvtcp_unlikely(w->num_mpath != 0)) {
		/* Multipath namespaces poll their paths' queue pairs and admin queues; they are
		 * never in the poll group. -ENXIO: every path failed for good. */
		for (uint32_t i = 0; i < w->num_ctxs; i++) {
			struct perf_ns_ctx *c = w->ctxs[i];
			int32_t rc;

			if (c->ns->mns == NULL) {
				continue;
			}
			rc = nvtcp_mpath_ns_process_completions(c->ns->mns, max);
			if (nvtcp_unlikely(rc < 0)) {
				return rc;
			}
			n += rc;
		}
	}
	if (w->group != NULL) {
		int64_t rc = nvtcp_poll_group_process_completions(w->group, max);

		return rc < 0 ? rc : n + rc;
	}
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		struct perf_ns_ctx *c = w->ctxs[i];

		if (c->ns->mns != NULL) {
			continue;
		}
		for (uint32_t q = 0; q < c->num_qpairs; q++) {
			int32_t rc = nvtcp_qpair_process_completions(c->qpairs[q], max);

			if (nvtcp_unlikely(rc < 0)) {
				return rc;
			}
			n += rc;
		}
	}
	return n;
}

static void
submit_pending(struct perf_worker *w, uint64_t now)
{
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		struct perf_ns_ctx *c = w->ctxs[i];
		struct perf_task *t;

		while (c->pending != NULL) {
			if (c->draining && !c->pending->in_retry) {
				/* The run is over: new I/Os are not started. */
				pending_pop(c);
				continue;
			}
			if (w->rate_on && !c->pending->in_retry &&
			    !perf_rate_take(&w->rate, now)) {
				break;
			}
			/* The token (if any) is taken: start it without asking again. */
			t = pending_pop(c);
			task_go(t, now);
			if (c->pending_tail == t) {
				/* Went back to the queue (-EAGAIN): try again next poll. */
				break;
			}
		}
	}
}

static bool
all_idle(const struct perf_worker *w)
{
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		if (w->ctxs[i]->outstanding != 0 || w->ctxs[i]->pending != NULL) {
			return false;
		}
	}
	return true;
}

static bool
all_draining(const struct perf_worker *w)
{
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		if (!w->ctxs[i]->draining) {
			return false;
		}
	}
	return true;
}

static void
worker_stop_submitting(struct perf_worker *w, uint64_t now)
{
	w->stop_tsc = now;
	w->elapsed_tsc = now - w->measure_tsc;
	snap_end(w);
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		w->ctxs[i]->draining = true;
	}
	w->state = PERF_W_DRAIN;
	w->drain_deadline = now + PERF_DRAIN_TIMEOUT_S * g_perf.hz;
}

static void
worker_finish(struct perf_worker *w)
{
	w->state = PERF_W_DONE;
	nvtcp_poller_unregister(&w->poller);
	/* A clean end has every task idle and every driver request back in its queue pair's
	 * pool; the report and the JSON say so, so a soak can prove nothing leaked. */
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		struct perf_ns_ctx *c = w->ctxs[i];
		uint32_t waiting = 0;

		for (struct perf_task *t = c->pending; t != NULL; t = t->next) {
			waiting++;
		}
		c->end_tasks_busy = c->outstanding + waiting;
		perf_mpath_snap_end(c);
		c->end_drv_outstanding = 0;
		c->end_reconnects = 0;
		for (uint32_t q = 0; q < c->num_qpairs; q++) {
			struct nvtcp_qpair_stats st;

			c->end_drv_outstanding += nvtcp_qpair_get_num_outstanding(c->qpairs[q]);
			nvtcp_qpair_get_stats(c->qpairs[q], &st);
			c->end_reconnects += st.reconnects;
		}
	}
	if (w->group != NULL) {
		for (uint32_t i = 0; i < w->num_ctxs; i++) {
			for (uint32_t q = 0; w->ctxs[i]->ns->mns == NULL &&
					     q < w->ctxs[i]->num_qpairs; q++) {
				nvtcp_poll_group_remove(w->group, w->ctxs[i]->qpairs[q]);
			}
		}
		nvtcp_poll_group_destroy(w->group);
		w->group = NULL;
	}
	perf_worker_finished(w);
}

static void
worker_begin(struct perf_worker *w, uint64_t now)
{
	w->state = PERF_W_RUN;
	w->measure_tsc = now;
	w->last_tsc = now;
	w->warmup = g_perf.opts.warmup_s > 0;
	w->end_tsc = now + (uint64_t)(w->warmup ? g_perf.opts.warmup_s : g_perf.opts.time_s) *
		     g_perf.hz;
	stats_reset(w);
	snap_begin(w);
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		struct perf_ns_ctx *c = w->ctxs[i];

		for (uint32_t k = 0; k < c->num_tasks && !c->draining; k++) {
			task_submit(&c->tasks[k], now);
		}
	}
}

/* The prefill is over when every slot has been written and nothing is in flight (or after
 * the drain bound, or when interrupted). */
static void
prefill_check(struct perf_worker *w, uint64_t now, int64_t n)
{
	bool done = true;

	if (n > 0) {
		/* Bounded by progress, not by size: fails only when nothing completes for a while. */
		w->drain_deadline = now + PERF_DRAIN_TIMEOUT_S * g_perf.hz;
	}

	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		struct perf_ns_ctx *c = w->ctxs[i];

		if (c->outstanding != 0 || c->pending != NULL ||
		    (c->prefill_next < c->verify.count &&
		     !atomic_load_explicit(&g_perf.exit, memory_order_relaxed) && c->status == 0)) {
			done = false;
		}
	}
	if (!done && now <= w->drain_deadline) {
		return;
	}
	if (!done) {
		snprintf(w->err, sizeof(w->err), "core %u: the prefill made no progress for %d s",
			 w->core, PERF_DRAIN_TIMEOUT_S);
		fprintf(stderr, "%s: %s\n", PERF_NAME, w->err);
		w->status = 1;
	}
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		w->ctxs[i]->prefilling = false;
		/* -d counted the prefill writes: the run starts afresh. */
		w->ctxs[i]->draining = false;
	}
	w->state = PERF_W_PARKED;
	perf_worker_prefilled(w);
}

static int
worker_poll(void *arg)
{
	struct perf_worker *w = arg;
	uint64_t now = nvtcp_env_get_ticks();
	int64_t n;

	if (w->state == PERF_W_WAIT) {
		if (now < w->start_tsc) {
			return NVTCP_POLLER_IDLE;
		}
		worker_begin(w, now);
		return NVTCP_POLLER_BUSY;
	}
	if (w->state == PERF_W_PARKED) {
		return NVTCP_POLLER_IDLE;
	}
	n = poll_io(w);
	if (nvtcp_unlikely(n < 0)) {
		if (w->status == 0) {
			snprintf(w->err, sizeof(w->err), "core %u: polling the queue pairs failed: %s",
				 w->core, strerror((int)-n));
			fprintf(stderr, "%s: %s\n", PERF_NAME, w->err);
		}
		w->status = 1;
		for (uint32_t i = 0; i < w->num_ctxs; i++) {
			w->ctxs[i]->draining = true;
		}
	}
	now = nvtcp_env_get_ticks();
	if (nvtcp_unlikely(g_perf.opts.cpu_usage)) {
		relaxed_add(n > 0 ? &w->busy_tsc : &w->idle_tsc, now - w->last_tsc);
		w->last_tsc = now;
	}
	submit_pending(w, now);

	if (nvtcp_unlikely(w->state == PERF_W_PREFILL)) {
		prefill_check(w, now, n);
		return n > 0 ? NVTCP_POLLER_BUSY : NVTCP_POLLER_IDLE;
	}
	if (w->state == PERF_W_RUN) {
		bool stop = atomic_load_explicit(&g_perf.exit, memory_order_relaxed) ||
			    all_draining(w);

		if (now >= w->end_tsc && w->warmup && !stop) {
			/* End of the warm-up: what was measured so far is forgotten. */
			w->warmup = false;
			stats_reset(w);
			w->measure_tsc = now;
			w->end_tsc = now + (uint64_t)g_perf.opts.time_s * g_perf.hz;
			snap_begin(w);
		} else if (now >= w->end_tsc || stop) {
			worker_stop_submitting(w, now);
		}
	}
	if (w->state == PERF_W_DRAIN) {
		if (all_idle(w)) {
			worker_finish(w);
		} else if (now > w->drain_deadline) {
			uint64_t left = 0;

			for (uint32_t i = 0; i < w->num_ctxs; i++) {
				left += w->ctxs[i]->outstanding;
			}
			snprintf(w->err, sizeof(w->err), "core %u: %" PRIu64 " I/Os did not complete "
				 "within %d s after the run", w->core, left, PERF_DRAIN_TIMEOUT_S);
			fprintf(stderr, "%s: %s\n", PERF_NAME, w->err);
			w->status = 1;
			worker_finish(w);
		}
	}
	return n > 0 ? NVTCP_POLLER_BUSY : NVTCP_POLLER_IDLE;
}

/* ---- Set-up and tear-down (on the worker's core, before and after the run) ----------------- */

static uint64_t
seed64(uint32_t core, uint32_t idx)
{
	struct timespec ts;
	uint64_t s;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)core << 48) ^
	    ((uint64_t)idx << 40) ^ nvtcp_env_get_ticks();
	/* xorshift must not start at 0. */
	return s != 0 ? s : 0x2545f4914f6cdd1dull;
}

static int
ctx_prepare(struct perf_worker *w, struct perf_ns_ctx *c, uint32_t idx)
{
	const struct perf_opts *o = &g_perf.opts;
	struct perf_ns *ns = c->ns;
	uint32_t align = NVTCP_MAX(o->buf_align, 64u);
	size_t stride = NVTCP_ALIGN_UP((size_t)o->io_size, (size_t)align);
	int numa = nvtcp_env_get_numa_node(w->core);
	uint32_t units = 0;
	int rc;

	c->num_tasks = o->queue_depth;
	c->tasks = calloc(c->num_tasks, sizeof(*c->tasks));
	c->hist = calloc(1, sizeof(*c->hist));
	c->qp_snap = calloc(c->num_qpairs, sizeof(*c->qp_snap));
	if (c->tasks == NULL || c->hist == NULL || c->qp_snap == NULL) {
		return -ENOMEM;
	}
	c->buf_base = nvtcp_dma_zmalloc(stride * c->num_tasks, align, numa);
	if (c->buf_base == NULL) {
		snprintf(w->err, sizeof(w->err), "core %u: cannot allocate %zu bytes of DMA-safe "
			 "memory for the I/O buffers (raise -s?)", w->core, stride * c->num_tasks);
		return -ENOMEM;
	}
	if (o->io_unit_size != 0 && o->io_unit_size < o->io_size) {
		units = (o->io_size + o->io_unit_size - 1) / o->io_unit_size;
		c->iov_base = calloc((size_t)units * c->num_tasks, sizeof(*c->iov_base));
		if (c->iov_base == NULL) {
			return -ENOMEM;
		}
	}
	for (uint32_t k = 0; k < c->num_tasks; k++) {
		struct perf_task *t = &c->tasks[k];

		t->ctx = c;
		t->buf = (uint8_t *)c->buf_base + stride * k;
		if (units != 0) {
			t->iov = &c->iov_base[(size_t)units * k];
			t->iovcnt = (int)units;
			for (uint32_t u = 0; u < units; u++) {
				size_t off = (size_t)u * o->io_unit_size;

				t->iov[u].iov_base = (uint8_t *)t->buf + off;
				t->iov[u].iov_len = NVTCP_MIN((size_t)o->io_unit_size,
							      (size_t)o->io_size - off);
			}
		}
		/* A recognisable pattern for writes of non-verifying runs, as SPDK does. */
		if (!o->verify) {
			memset(t->buf, (int)(k % 8 + 1), o->io_size);
		}
	}
	c->rng = seed64(w->core, idx);
	c->stats.min_tsc = UINT64_MAX;
	if (o->number_ios_pct != 0) {
		c->number_ios = ns->size_in_ios * o->number_ios_pct / 100;
		if (c->number_ios == 0) {
			c->number_ios = 1;
		}
	} else {
		c->number_ios = o->number_ios;
	}
	c->seq_first = 0;
	c->seq_count = ns->size_in_ios;
	if (o->verify) {
		uint64_t first, count;

		perf_verify_partition(ns->size_in_ios, c->index, ns->num_ctxs, &first, &count);
		if (count < 2ull * c->num_tasks) {
			snprintf(w->err, sizeof(w->err), "%s: -V (--verify): core %u's share of the "
				 "namespace holds %" PRIu64 " I/Os of %u bytes, fewer than twice -q %u "
				 "(lower -q or -o, or use fewer cores)", ns->name, w->core, count,
				 o->io_size, o->queue_depth);
			return -EINVAL;
		}
		count = NVTCP_MIN(count, (uint64_t)PERF_VERIFY_MAX_SLOTS);
		rc = perf_verify_ctx_init(&c->verify, first, count, ns->nsid, o->verify_seed);
		if (rc != 0) {
			return rc;
		}
		c->seq_first = first;
		c->seq_count = count;
	}
	return 0;
}

int
perf_worker_prepare(struct perf_worker *w)
{
	const struct perf_opts *o = &g_perf.opts;
	bool use_group;
	int rc;

	w->num_qpairs = 0;
	w->num_mpath = 0;
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		rc = ctx_prepare(w, w->ctxs[i], i);
		if (rc == 0) {
			rc = perf_mpath_ctx_prepare(w, w->ctxs[i]);
		}
		if (rc != 0) {
			if (w->err[0] == '\0') {
				snprintf(w->err, sizeof(w->err), "core %u: preparing %s failed: %s",
					 w->core, w->ctxs[i]->ns->name, strerror(-rc));
			}
			return rc;
		}
		if (w->ctxs[i]->ns->mns == NULL) {
			w->num_qpairs += w->ctxs[i]->num_qpairs;
		}
	}
	/* io_uring works through groups only: there a single queue pair gets one too. */
	use_group = o->poll_mode == PERF_POLL_GROUP ||
		    (o->poll_mode == PERF_POLL_AUTO &&
		     (w->num_qpairs > 1 || nvtcp_sock_get_default_impl() == NVTCP_SOCK_IMPL_URING));
	if (use_group && w->num_qpairs > 0) {
		w->group = nvtcp_poll_group_create();
		if (w->group == NULL) {
			snprintf(w->err, sizeof(w->err), "core %u: cannot create a poll group",
				 w->core);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < w->num_ctxs; i++) {
			for (uint32_t q = 0; w->ctxs[i]->ns->mns == NULL &&
					     q < w->ctxs[i]->num_qpairs; q++) {
				rc = nvtcp_poll_group_add(w->group, w->ctxs[i]->qpairs[q]);
				if (rc != 0) {
					snprintf(w->err, sizeof(w->err), "core %u: adding a queue "
						 "pair to the poll group failed: %s", w->core,
						 strerror(-rc));
					return rc;
				}
			}
		}
	}
	if (o->rate_iops != 0) {
		uint32_t idx = (uint32_t)(w - g_perf.workers);

		/* The remainder goes to the first workers, so the shares add up to the rate; a
		 * worker with no share still runs at one I/O per second. */
		w->rate_iops = o->rate_iops / g_perf.num_workers +
			       (idx < o->rate_iops % g_perf.num_workers ? 1 : 0);
		w->rate_iops = NVTCP_MAX(w->rate_iops, 1ull);
		w->rate_on = true;
	}
	return 0;
}

int
perf_worker_start(struct perf_worker *w)
{
	w->tid = (int)gettid();
	if (w->rate_on) {
		perf_rate_init(&w->rate, g_perf.hz, w->rate_iops, PERF_RATE_WINDOW_US, w->start_tsc);
	}
	w->state = PERF_W_WAIT;
	if (w->poller == NULL) {
		w->poller = nvtcp_poller_register(worker_poll, w, 0);
	}
	if (w->poller == NULL) {
		snprintf(w->err, sizeof(w->err), "core %u: cannot register the I/O poller", w->core);
		w->state = PERF_W_IDLE;
		return -ENOMEM;
	}
	return 0;
}

int
perf_worker_prefill(struct perf_worker *w)
{
	uint64_t now = nvtcp_env_get_ticks();

	w->tid = (int)gettid();
	w->poller = nvtcp_poller_register(worker_poll, w, 0);
	if (w->poller == NULL) {
		snprintf(w->err, sizeof(w->err), "core %u: cannot register the I/O poller", w->core);
		return -ENOMEM;
	}
	w->drain_deadline = now + PERF_DRAIN_TIMEOUT_S * g_perf.hz;
	w->state = PERF_W_PREFILL;
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		struct perf_ns_ctx *c = w->ctxs[i];

		c->prefilling = c->verify.enabled;
		c->prefill_next = 0;
		for (uint32_t k = 0; k < c->num_tasks && c->prefilling; k++) {
			if (!prefill_issue(&c->tasks[k], now)) {
				break;
			}
		}
	}
	return 0;
}

void
perf_worker_cleanup(struct perf_worker *w)
{
	nvtcp_poller_unregister(&w->poller);
	if (w->group != NULL) {
		for (uint32_t i = 0; i < w->num_ctxs; i++) {
			for (uint32_t q = 0; w->ctxs[i]->ns->mns == NULL &&
					     q < w->ctxs[i]->num_qpairs; q++) {
				nvtcp_poll_group_remove(w->group, w->ctxs[i]->qpairs[q]);
			}
		}
		nvtcp_poll_group_destroy(w->group);
		w->group = NULL;
	}
	for (uint32_t i = 0; i < w->num_ctxs; i++) {
		struct perf_ns_ctx *c = w->ctxs[i];

		perf_mpath_ctx_cleanup(c);
		nvtcp_dma_free(c->buf_base);
		c->buf_base = NULL;
		free(c->tasks);
		c->tasks = NULL;
		free(c->iov_base);
		c->iov_base = NULL;
		free(c->qp_snap);
		c->qp_snap = NULL;
		/* The histogram and verification counters stay for the report; freed in main. */
	}
}
