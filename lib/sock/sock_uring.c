/*
 * The io_uring socket group: one ring per group (per reactor).
 *
 * Fit into lib/sock. The generic layer (queued send requests, flush accounting, refs/closed
 * life cycle, rx_ready) is unchanged and shared with posix; only the group's two system-call
 * sites change:
 *   - finding readable sockets: each member socket has one multishot poll (POLLIN | POLLRDHUP,
 *     plus the always-reported ERR/HUP) armed once. An idle socket therefore costs nothing per
 *     poll, and a poll that finds no completion makes no system call at all: the ring's shared
 *     memory says whether completions or deferred task work are waiting (COOP_TASKRUN with
 *     TASKRUN_FLAG), and only then is io_uring_enter() called.
 *   - sending: the pending sockets of a poll are gathered exactly as nvtcp_sock_flush() does
 *     (nvtcp_sock_flush_begin()), their IORING_OP_SENDMSG entries leave with one
 *     io_uring_enter(), and each socket is advanced by its own result (nvtcp_sock_flush_end()):
 *     partial sends, ordering, errors and completion callbacks are those of posix. The sends
 *     are non-blocking (MSG_DONTWAIT), so the kernel completes them during the submission and
 *     the results are known when io_uring_enter() returns; should one not be (never seen), the
 *     flush waits for it, which cannot take long since it cannot block on the socket.
 * Reads stay one readv() per read, called by the owner from its callback, straight into the
 * owner's buffers (PDU header into the receive buffer, payload into the request's buffer): no
 * copy is added. Ring receives (provided buffer rings, multishot recv) would land the bytes in
 * ring buffers first and cost a copy of every payload; they are not used (see doc).
 *
 * Level-triggered behaviour. Multishot poll completions come on wakeups (new data), but the
 * group contract is epoll's level-triggered one: a callback that did not read everything is
 * called again. So a socket is "ready" from a poll completion until one of its reads returns
 * -EAGAIN or fewer bytes than asked for (sock_recv.c clears sock->ring_ready: a short read of
 * a TCP socket emptied it, and whatever comes next wakes the poll); ready sockets are called
 * on every poll.
 *
 * Threads. Polls are armed and sends submitted only by nvtcp_sock_uring_poll() and
 * nvtcp_sock_uring_flush(), i.e. by the thread that polls the group, so that the kernel's task
 * work for them (COOP_TASKRUN) goes to that thread; a group must keep one polling thread.
 *
 * Stale completions. user_data holds a type, a slot index and the slot's generation; removing
 * a socket bumps the generation, so completions still in flight for it (the cancelled poll)
 * are recognised and dropped. Slots are never freed before the ring, so nothing the kernel
 * may still write to (the msghdr and iovecs of a send) goes away under it.
 */
#include <assert.h>
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nvtcp/log.h"
#include "nvtcp/util.h"
#include "sock_internal.h"

/** Submission queue entries (the completion queue is four times as large). */
#define URING_ENTRIES 512
/** Sends per io_uring_enter(); more pending sockets take further rounds. */
#define URING_BATCH 256
/** iovecs of one send: as many PDUs as a poll usually produces for one socket. */
#define URING_SEND_IOV 128
/** No socket: ring_idx of a socket outside an io_uring group. */
#define URING_NO_SLOT UINT32_MAX

enum uring_op {
	URING_OP_POLL = 1,
	URING_OP_SEND = 2,
	URING_OP_CANCEL = 3,
};

struct uring_slot {
	/** Member socket, or NULL when the slot is free. */
	struct nvtcp_sock *sock;
	/** Generation, part of user_data: bumped when the socket leaves. */
	uint32_t gen;
	/** Next free slot. */
	uint32_t next_free;
	/** A multishot poll is active for the socket. */
	bool armed;
	/** On the list of slots whose poll must be (re-)armed. */
	bool to_arm;
	/** Result of the send in flight, once its completion came. */
	bool send_done;
	int32_t send_res;
	struct msghdr msg;
	struct iovec iov[URING_SEND_IOV];
};

struct uring_send {
	struct nvtcp_sock *sock;
	struct uring_slot *slot;
	size_t offered;
	ssize_t res;
	bool sent;
};

struct nvtcp_sock_uring {
	struct io_uring ring;
	/** Slot table (pointers: slots never move), nslots used of cap. */
	struct uring_slot **slots;
	uint32_t nslots;
	uint32_t cap;
	uint32_t free_head;
	/** Slots to arm on the next poll. */
	uint32_t *arm;
	uint32_t narm;
	/** Sockets that may be readable. */
	struct nvtcp_sock_list ready;
	/** Whether io_uring_enter() is needed to see completions (COOP_TASKRUN). */
	bool taskrun_flag;
	/** io_uring_enter() calls (statistics). */
	uint64_t enters;
	/** Sends of the running flush round. */
	struct uring_send batch[URING_BATCH];
};

static inline uint64_t
ud_make(enum uring_op op, uint32_t idx, uint32_t gen)
{
	return (uint64_t)op << 56 | (uint64_t)(gen & 0xffffff) << 32 | idx;
}

struct nvtcp_sock_uring *
nvtcp_sock_uring_create(void)
{
	struct nvtcp_sock_uring *u = calloc(1, sizeof(*u));
	struct io_uring_params p;
	int rc;

	if (u == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* COOP_TASKRUN: no interrupt of the poller for each completion, the ring's flags say
	 * when to enter instead. Older kernels (< 5.19) refuse it: plain mode works as well. */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	p.cq_entries = URING_ENTRIES * 4;
	rc = io_uring_queue_init_params(URING_ENTRIES, &u->ring, &p);
	if (rc == -EINVAL) {
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_CQSIZE;
		p.cq_entries = URING_ENTRIES * 4;
		rc = io_uring_queue_init_params(URING_ENTRIES, &u->ring, &p);
	} else if (rc == 0) {
		u->taskrun_flag = true;
	}
	if (rc != 0) {
		NVTCP_ERRLOG("io_uring_queue_init failed: %s (use the posix socket "
			     "implementation)\n", strerror(-rc));
		free(u);
		errno = -rc;
		return NULL;
	}
	u->free_head = URING_NO_SLOT;
	TAILQ_INIT(&u->ready);
	return u;
}

uint64_t
nvtcp_sock_uring_enters(const struct nvtcp_sock_uring *u)
{
	return u->enters;
}

void
nvtcp_sock_uring_destroy(struct nvtcp_sock_uring *u)
{
	if (u == NULL) {
		return;
	}
	/* Cancels what is left (polls of removed sockets whose cancellation was not reaped)
	 * and releases their files. */
	io_uring_queue_exit(&u->ring);
	for (uint32_t i = 0; i < u->nslots; i++) {
		free(u->slots[i]);
	}
	free(u->slots);
	free(u->arm);
	free(u);
}

/* A submission entry; when the queue is full, what is in it is submitted first. */
static struct io_uring_sqe *
get_sqe(struct nvtcp_sock_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (nvtcp_unlikely(sqe == NULL)) {
		(void)io_uring_submit(&u->ring);
		u->enters++;
		sqe = io_uring_get_sqe(&u->ring);
	}
	return sqe;
}

static int
slot_alloc(struct nvtcp_sock_uring *u, uint32_t *pidx)
{
	struct uring_slot *slot;
	uint32_t idx;

	if (u->free_head != URING_NO_SLOT) {
		idx = u->free_head;
		u->free_head = u->slots[idx]->next_free;
		*pidx = idx;
		return 0;
	}
	if (u->nslots == u->cap) {
		uint32_t cap = u->cap == 0 ? 16 : u->cap * 2;
		struct uring_slot **slots;
		uint32_t *arm;

		if (cap > 0xffffff) {
			return -ENOSPC;
		}
		slots = realloc(u->slots, cap * sizeof(*slots));
		if (slots == NULL) {
			return -ENOMEM;
		}
		u->slots = slots;
		/* Every slot is on the arm list at most once. */
		arm = realloc(u->arm, cap * sizeof(*arm));
		if (arm == NULL) {
			return -ENOMEM;
		}
		u->arm = arm;
		u->cap = cap;
	}
	slot = calloc(1, sizeof(*slot));
	if (slot == NULL) {
		return -ENOMEM;
	}
	idx = u->nslots++;
	u->slots[idx] = slot;
	*pidx = idx;
	return 0;
}

static void
arm_later(struct nvtcp_sock_uring *u, uint32_t idx)
{
	struct uring_slot *slot = u->slots[idx];

	if (!slot->to_arm) {
		slot->to_arm = true;
		u->arm[u->narm++] = idx;
	}
}

static void
ready_add(struct nvtcp_sock_uring *u, struct nvtcp_sock *sock)
{
	sock->ring_ready = true;
	if (sock->ready_head == NULL) {
		TAILQ_INSERT_TAIL(&u->ready, sock, ready_link);
		sock->ready_head = &u->ready;
	}
}

static void
ready_del(struct nvtcp_sock *sock)
{
	TAILQ_REMOVE(sock->ready_head, sock, ready_link);
	sock->ready_head = NULL;
}

int
nvtcp_sock_uring_add(struct nvtcp_sock_uring *u, struct nvtcp_sock *sock)
{
	uint32_t idx;
	int rc;

	if (sock->fd < 0) {
		return -EBADF;
	}
	rc = slot_alloc(u, &idx);
	if (rc != 0) {
		NVTCP_ERRLOG("io_uring group: cannot add %s: %s\n", sock->name, strerror(-rc));
		return rc;
	}
	u->slots[idx]->sock = sock;
	u->slots[idx]->armed = false;
	sock->ring_idx = idx;
	/* Armed by the polling thread on its next poll; a poll armed on a socket that already
	 * holds data completes at once, so nothing that came before is missed. */
	arm_later(u, idx);
	return 0;
}

void
nvtcp_sock_uring_remove(struct nvtcp_sock_uring *u, struct nvtcp_sock *sock)
{
	uint32_t idx = sock->ring_idx;
	struct uring_slot *slot;

	assert(idx < u->nslots && u->slots[idx]->sock == sock);
	slot = u->slots[idx];
	if (slot->armed) {
		struct io_uring_sqe *sqe = get_sqe(u);

		if (sqe != NULL) {
			io_uring_prep_poll_remove(sqe, ud_make(URING_OP_POLL, idx, slot->gen));
			io_uring_sqe_set_data64(sqe, ud_make(URING_OP_CANCEL, idx, slot->gen));
			/* Now: the poll holds the file, and the connection closes only when the
			 * poll is gone. */
			(void)io_uring_submit(&u->ring);
			u->enters++;
		}
		/* Without an entry (never: get_sqe submits to make room) the poll stays until
		 * the ring goes; its completions are dropped by the generation check. */
	}
	slot->sock = NULL;
	slot->armed = false;
	slot->gen++;
	slot->next_free = u->free_head;
	u->free_head = idx;
	if (sock->ready_head != NULL) {
		ready_del(sock);
	}
	sock->ring_ready = false;
	sock->ring_idx = URING_NO_SLOT;
}

static void
handle_cqe(struct nvtcp_sock_uring *u, const struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	enum uring_op op = (enum uring_op)(ud >> 56);
	uint32_t idx = (uint32_t)ud, gen = (uint32_t)(ud >> 32) & 0xffffff;
	struct uring_slot *slot;

	if (idx >= u->nslots) {
		return;
	}
	slot = u->slots[idx];
	if (slot->sock == NULL || (slot->gen & 0xffffff) != gen) {
		/* A socket that left: its cancelled poll, or the cancellation itself. */
		return;
	}
	switch (op) {
	case URING_OP_POLL:
		/* Readable, hung up or failed: in every case the owner's read says which.
		 * A poll that ended (no F_MORE: CQ overflow, error) is armed again. */
		ready_add(u, slot->sock);
		if (!(cqe->flags & IORING_CQE_F_MORE)) {
			slot->armed = false;
			arm_later(u, idx);
		}
		break;
	case URING_OP_SEND:
		slot->send_res = cqe->res;
		slot->send_done = true;
		break;
	default:
		break;
	}
}

static void
reap(struct nvtcp_sock_uring *u)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		handle_cqe(u, cqe);
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
}

/* Whether the kernel holds completions that only io_uring_enter() makes visible: deferred
 * task work (COOP_TASKRUN) or an overflowed completion queue. */
static inline bool
need_enter(struct nvtcp_sock_uring *u)
{
	unsigned flags = IO_URING_READ_ONCE(*u->ring.sq.kflags);

	return (flags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0 || !u->taskrun_flag;
}

static void
arm_pending(struct nvtcp_sock_uring *u)
{
	uint32_t n = u->narm, kept = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t idx = u->arm[i];
		struct uring_slot *slot = u->slots[idx];
		struct io_uring_sqe *sqe;

		if (slot->sock == NULL || slot->armed) {
			slot->to_arm = false;
			continue;
		}
		sqe = get_sqe(u);
		if (sqe == NULL) {
			/* The queue is full and could not be submitted (the kernel is short of
			 * completion space): keep it for the next poll, and meanwhile call the
			 * socket anyway, since its readiness is not watched. */
			u->arm[kept++] = idx;
			ready_add(u, slot->sock);
			continue;
		}
		slot->to_arm = false;
		io_uring_prep_poll_multishot(sqe, slot->sock->fd, POLLIN | POLLRDHUP);
		io_uring_sqe_set_data64(sqe, ud_make(URING_OP_POLL, idx, slot->gen));
		slot->armed = true;
	}
	u->narm = kept;
}

int
nvtcp_sock_uring_poll(struct nvtcp_sock_group *group, struct nvtcp_sock_uring *u,
		      int max_events)
{
	struct nvtcp_sock_list batch;
	struct nvtcp_sock *sock;
	int ncb = 0;

	if (nvtcp_unlikely(u->narm > 0)) {
		arm_pending(u);
	}
	if (io_uring_sq_ready(&u->ring) > 0 || (io_uring_cq_ready(&u->ring) == 0 && need_enter(u))) {
		int rc = io_uring_submit_and_get_events(&u->ring);

		u->enters++;
		if (nvtcp_unlikely(rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)) {
			NVTCP_ERRLOG("io_uring_enter failed: %s\n", strerror(-rc));
			return rc;
		}
	}
	reap(u);
	if (TAILQ_EMPTY(&u->ready)) {
		return 0;
	}

	/* A snapshot, as for the flush: removal works on it through ready_head; a socket that
	 * is still ready after its callback goes back to the group's list for the next poll. */
	TAILQ_INIT(&batch);
	TAILQ_CONCAT(&batch, &u->ready, ready_link);
	TAILQ_FOREACH(sock, &batch, ready_link) {
		sock->ready_head = &batch;
	}
	while ((sock = TAILQ_FIRST(&batch)) != NULL && ncb < max_events) {
		ready_del(sock);
		if (!sock->ring_ready) {
			continue;
		}
		nvtcp_sock_hold(sock);
		sock->cb(sock->cb_arg, group, sock);
		ncb++;
		if (!sock->closed && sock->ring_idx != URING_NO_SLOT && sock->ring_ready &&
		    sock->ready_head == NULL) {
			TAILQ_INSERT_TAIL(&u->ready, sock, ready_link);
			sock->ready_head = &u->ready;
		}
		nvtcp_sock_release(sock);
	}
	/* Beyond max_events: first in line next time. */
	while ((sock = TAILQ_LAST(&batch, nvtcp_sock_list)) != NULL) {
		TAILQ_REMOVE(&batch, sock, ready_link);
		TAILQ_INSERT_HEAD(&u->ready, sock, ready_link);
		sock->ready_head = &u->ready;
	}
	return ncb;
}

/* Gather the sends of one round (up to URING_BATCH sockets of \p batch), submit them with one
 * io_uring_enter(), and advance each socket by its result. Sockets that cannot go through the
 * ring go to \p slow. */
static void
flush_round(struct nvtcp_sock_uring *u, struct nvtcp_sock_list *batch,
	    struct nvtcp_sock_list *slow)
{
	struct nvtcp_sock *sock;
	uint32_t nb = 0, nsent = 0;

	while (nb < URING_BATCH && (sock = TAILQ_FIRST(batch)) != NULL) {
		struct uring_send *s = &u->batch[nb];
		struct uring_slot *slot = NULL;
		struct io_uring_sqe *sqe;
		size_t offered = 0;
		int iovcnt = -1;

		nvtcp_sock_group_pending_del(sock);
		if (sock->ops->ring_send && sock->ring_idx != URING_NO_SLOT) {
			slot = u->slots[sock->ring_idx];
			iovcnt = nvtcp_sock_flush_begin(sock, slot->iov, URING_SEND_IOV, &offered);
		}
		if (iovcnt > 0) {
			sqe = get_sqe(u);
			if (sqe == NULL) {
				iovcnt = -1;
			}
		}
		if (iovcnt < 0) {
			/* Not a plain socket, or the general path decides (closed, failed, in a
			 * callback, nothing queued). */
			TAILQ_INSERT_TAIL(slow, sock, pending_link);
			sock->pending_head = slow;
			continue;
		}
		/* Held until advanced: a callback of an earlier socket of the round may close
		 * this one. flushing keeps anything else from sending from it meanwhile. */
		nvtcp_sock_hold(sock);
		sock->flushing = true;
		s->sock = sock;
		s->slot = slot;
		s->offered = offered;
		s->sent = iovcnt > 0;
		s->res = 0;
		nb++;
		if (iovcnt > 0) {
			memset(&slot->msg, 0, sizeof(slot->msg));
			slot->msg.msg_iov = slot->iov;
			slot->msg.msg_iovlen = (size_t)iovcnt;
			slot->send_done = false;
			io_uring_prep_sendmsg(sqe, sock->fd, &slot->msg, MSG_DONTWAIT | MSG_NOSIGNAL);
			io_uring_sqe_set_data64(sqe, ud_make(URING_OP_SEND, sock->ring_idx,
							     slot->gen));
			nsent++;
		}
	}
	if (nsent > 0) {
		uint32_t missing;

		(void)io_uring_submit_and_get_events(&u->ring);
		u->enters++;
		for (;;) {
			reap(u);
			missing = 0;
			for (uint32_t i = 0; i < nb; i++) {
				if (u->batch[i].sent && !u->batch[i].slot->send_done) {
					missing++;
				}
			}
			if (nvtcp_likely(missing == 0)) {
				break;
			}
			/* Non-blocking sends complete during the submission; this only waits for
			 * a completion that the kernel has not posted yet. */
			(void)io_uring_submit_and_wait(&u->ring, 1);
			u->enters++;
		}
		/* Results out of the slots before any callback runs (one may remove a socket
		 * and hand its slot to a new one). */
		for (uint32_t i = 0; i < nb; i++) {
			struct uring_send *s = &u->batch[i];

			if (!s->sent) {
				continue;
			}
			s->res = s->slot->send_res;
			/* As posix_writev(): nothing taken now is 0, not an error. */
			if (s->res == -EAGAIN || s->res == -EINTR) {
				s->res = 0;
			}
		}
	}
	for (uint32_t i = 0; i < nb; i++) {
		struct uring_send *s = &u->batch[i];

		sock = s->sock;
		sock->flushing = false;
		if (!sock->closed) {
			/* Errors reach the owner through the requests' callbacks. */
			(void)nvtcp_sock_flush_end(sock, s->res, s->offered, s->sent);
		}
		nvtcp_sock_release(sock);
	}
}

void
nvtcp_sock_uring_flush(struct nvtcp_sock_uring *u, struct nvtcp_sock_list *batch)
{
	struct nvtcp_sock_list slow;
	struct nvtcp_sock *sock;

	TAILQ_INIT(&slow);
	while (!TAILQ_EMPTY(batch)) {
		flush_round(u, batch, &slow);
	}
	while ((sock = TAILQ_FIRST(&slow)) != NULL) {
		nvtcp_sock_group_pending_del(sock);
		(void)nvtcp_sock_flush(sock);
	}
}
