/*
 * Socket groups: one level-triggered epoll instance per group, one epoll_wait() per poll, the
 * callbacks of the sockets with events, then one flush of each socket with queued sends.
 *
 * Safety against changes made by callbacks:
 * - a socket removed (or closed) during the dispatch has its not yet delivered events in this
 *   batch cleared, so no callback runs for it afterwards, and no freed pointer is touched;
 * - sockets without a descriptor are visited through a cursor that removal advances;
 * - the flush walks a private snapshot of the pending list, on which removal also works,
 *   and sockets that get requests meanwhile go on the group's list for the next poll.
 *
 * A group whose only descriptor-backed socket is one skips epoll_wait() and calls that
 * socket's callback on every poll: at queue depth 1 this saves a system call per I/O, and the
 * callback contract (reads may return -EAGAIN) already covers the idle polls. Sockets marked
 * cold (nvtcp_sock_group_set_cold(): an admin queue beside an I/O queue) do not count against
 * that: with one hot socket the group calls it directly and runs the epoll_wait() that finds
 * the cold ones only every NVTCP_SOCK_GROUP_COLD_PERIOD polls.
 *
 * A group on io_uring (NVTCP_SOCK_IMPL_URING) keeps all of this except the epoll instance and
 * the per-socket sendmsg(): sock_uring.c finds the readable sockets from multishot poll
 * completions and sends the pending ones with one io_uring_enter(). Cold marks change nothing
 * there (a poll completion costs nothing for a socket without traffic).
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "nvtcp/log.h"
#include "nvtcp/util.h"
#include "sock_internal.h"

/** Sockets handled by one poll when the caller does not say. */
#define GROUP_DEFAULT_EVENTS 128
/** Capacity of the event array, the most a poll can handle. */
#define GROUP_MAX_EVENTS 1024

struct nvtcp_sock_group {
	/** epoll instance (posix), or -1. */
	int epfd;
	/** The ring (uring), or NULL. */
	struct nvtcp_sock_uring *uring;
	/** epoll_wait() calls (statistics). */
	uint64_t epoll_waits;
	/** Sockets epoll watches. */
	struct nvtcp_sock_list fd_socks;
	size_t nfd;
	/** Of those, how many are cold. */
	size_t ncold;
	/** Polls since the last epoll_wait() (with cold sockets). */
	uint32_t cold_polls;
	/** Sockets without a descriptor: their callback runs on every poll. */
	struct nvtcp_sock_list nofd_socks;
	size_t nnofd;
	/** Next socket without a descriptor to visit in the running poll. */
	struct nvtcp_sock *nofd_next;
	/** Sockets with queued sends. */
	struct nvtcp_sock_list pending;
	/** Sockets with buffered received data epoll cannot see (nvtcp_sock_group_rx_ready). */
	struct nvtcp_sock_list rx_ready;
	/** Events of the running dispatch: [ev_next, nevents) are still to be delivered. */
	int nevents;
	int ev_next;
	bool polling;
	struct epoll_event events[GROUP_MAX_EVENTS];
};

void
nvtcp_sock_group_pending_add(struct nvtcp_sock *sock)
{
	struct nvtcp_sock_group *group = sock->group;

	assert(group != NULL && sock->pending_head == NULL);
	TAILQ_INSERT_TAIL(&group->pending, sock, pending_link);
	sock->pending_head = &group->pending;
}

void
nvtcp_sock_group_pending_del(struct nvtcp_sock *sock)
{
	assert(sock->pending_head != NULL);
	TAILQ_REMOVE(sock->pending_head, sock, pending_link);
	sock->pending_head = NULL;
}

void
nvtcp_sock_group_rx_ready(struct nvtcp_sock *sock)
{
	if (sock->group == NULL || sock->rx_head != NULL) {
		return;
	}
	TAILQ_INSERT_TAIL(&sock->group->rx_ready, sock, rx_link);
	sock->rx_head = &sock->group->rx_ready;
}

static void
rx_ready_del(struct nvtcp_sock *sock)
{
	TAILQ_REMOVE(sock->rx_head, sock, rx_link);
	sock->rx_head = NULL;
}

/* Set by nvtcp_sock_set_default_impl(); DEFAULT: ask the environment. */
static enum nvtcp_sock_impl g_default_impl = NVTCP_SOCK_IMPL_DEFAULT;

int
nvtcp_sock_impl_parse(const char *name, enum nvtcp_sock_impl *impl)
{
	if (name == NULL) {
		return -EINVAL;
	}
	if (strcmp(name, "posix") == 0) {
		*impl = NVTCP_SOCK_IMPL_POSIX;
	} else if (strcmp(name, "uring") == 0) {
		*impl = NVTCP_SOCK_IMPL_URING;
	} else {
		return -EINVAL;
	}
	return 0;
}

const char *
nvtcp_sock_impl_name(enum nvtcp_sock_impl impl)
{
	switch (impl) {
	case NVTCP_SOCK_IMPL_POSIX:
		return "posix";
	case NVTCP_SOCK_IMPL_URING:
		return "uring";
	default:
		return "default";
	}
}

void
nvtcp_sock_set_default_impl(enum nvtcp_sock_impl impl)
{
	g_default_impl = impl;
}

int
nvtcp_sock_get_default_impl(void)
{
	enum nvtcp_sock_impl impl;
	const char *env;

	if (g_default_impl != NVTCP_SOCK_IMPL_DEFAULT) {
		return (int)g_default_impl;
	}
	env = getenv("NVTCP_SOCK_IMPL");
	if (env == NULL || env[0] == '\0') {
		return NVTCP_SOCK_IMPL_POSIX;
	}
	if (nvtcp_sock_impl_parse(env, &impl) != 0) {
		NVTCP_ERRLOG("invalid NVTCP_SOCK_IMPL='%.32s' (expected posix or uring)\n", env);
		return -EINVAL;
	}
	return (int)impl;
}

uint64_t
nvtcp_sock_group_get_syscalls(const struct nvtcp_sock_group *group)
{
	return group->uring != NULL ? nvtcp_sock_uring_enters(group->uring) : group->epoll_waits;
}

enum nvtcp_sock_impl
nvtcp_sock_group_get_impl(const struct nvtcp_sock_group *group)
{
	return group->uring != NULL ? NVTCP_SOCK_IMPL_URING : NVTCP_SOCK_IMPL_POSIX;
}

struct nvtcp_sock_group *
nvtcp_sock_group_create(void)
{
	return nvtcp_sock_group_create_impl(NVTCP_SOCK_IMPL_DEFAULT);
}

struct nvtcp_sock_group *
nvtcp_sock_group_create_impl(enum nvtcp_sock_impl impl)
{
	struct nvtcp_sock_group *group;

	if (impl == NVTCP_SOCK_IMPL_DEFAULT) {
		int rc = nvtcp_sock_get_default_impl();

		if (rc < 0) {
			errno = -rc;
			return NULL;
		}
		impl = (enum nvtcp_sock_impl)rc;
	}
	if (impl != NVTCP_SOCK_IMPL_POSIX && impl != NVTCP_SOCK_IMPL_URING) {
		errno = EINVAL;
		return NULL;
	}
	group = calloc(1, sizeof(*group));
	if (group == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	TAILQ_INIT(&group->fd_socks);
	TAILQ_INIT(&group->nofd_socks);
	TAILQ_INIT(&group->pending);
	TAILQ_INIT(&group->rx_ready);
	if (impl == NVTCP_SOCK_IMPL_URING) {
		group->epfd = -1;
		group->uring = nvtcp_sock_uring_create();
		if (group->uring == NULL) {
			int err = errno;

			free(group);
			errno = err;
			return NULL;
		}
		return group;
	}
	group->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (group->epfd < 0) {
		int err = errno;

		NVTCP_ERRLOG("epoll_create1 failed: %s\n", strerror(err));
		free(group);
		errno = err;
		return NULL;
	}
	return group;
}

int
nvtcp_sock_group_add(struct nvtcp_sock_group *group, struct nvtcp_sock *sock, nvtcp_sock_cb cb,
		     void *cb_arg)
{
	if (group == NULL || sock == NULL || cb == NULL) {
		return -EINVAL;
	}
	if (sock->closed) {
		return -EBADF;
	}
	if (sock->group != NULL) {
		return -EBUSY;
	}
	if (sock->ops->has_fd && group->uring != NULL) {
		int rc = nvtcp_sock_uring_add(group->uring, sock);

		if (rc != 0) {
			return rc;
		}
		TAILQ_INSERT_HEAD(&group->fd_socks, sock, group_link);
		group->nfd++;
	} else if (sock->ops->has_fd) {
		struct epoll_event ev = {
			/* RDHUP: a peer that hung up gets its owner called, who then reads the
			 * error; ERR and HUP are always reported. */
			.events = EPOLLIN | EPOLLRDHUP,
			.data.ptr = sock,
		};

		if (epoll_ctl(group->epfd, EPOLL_CTL_ADD, sock->fd, &ev) != 0) {
			int err = -errno;

			NVTCP_ERRLOG("epoll_ctl(ADD, %s) failed: %s\n", sock->name, strerror(-err));
			return err;
		}
		/* New sockets are hot: at the front, before the cold ones. */
		TAILQ_INSERT_HEAD(&group->fd_socks, sock, group_link);
		group->nfd++;
	} else {
		TAILQ_INSERT_TAIL(&group->nofd_socks, sock, group_link);
		group->nnofd++;
	}
	sock->group = group;
	sock->cold = false;
	sock->cb = cb;
	sock->cb_arg = cb_arg;
	if (!TAILQ_EMPTY(&sock->queued) && sock->pending_head == NULL) {
		nvtcp_sock_group_pending_add(sock);
	}
	return 0;
}

int
nvtcp_sock_group_remove(struct nvtcp_sock_group *group, struct nvtcp_sock *sock)
{
	if (group == NULL || sock == NULL || sock->group != group) {
		return -ENOENT;
	}
	if (sock->ops->has_fd && group->uring != NULL) {
		nvtcp_sock_uring_remove(group->uring, sock);
		TAILQ_REMOVE(&group->fd_socks, sock, group_link);
		group->nfd--;
		if (sock->cold) {
			group->ncold--;
		}
	} else if (sock->ops->has_fd) {
		if (epoll_ctl(group->epfd, EPOLL_CTL_DEL, sock->fd, NULL) != 0) {
			/* The descriptor stays open until the socket is closed, so this only
			 * fails on a bug; the events below are cleared all the same. */
			NVTCP_ERRLOG("epoll_ctl(DEL, %s) failed: %s\n", sock->name,
				     strerror(errno));
		}
		/* Events of this batch that are not delivered yet must never be. */
		for (int i = group->ev_next; i < group->nevents; i++) {
			if (group->events[i].data.ptr == sock) {
				group->events[i].data.ptr = NULL;
			}
		}
		TAILQ_REMOVE(&group->fd_socks, sock, group_link);
		group->nfd--;
		if (sock->cold) {
			group->ncold--;
		}
	} else {
		if (group->nofd_next == sock) {
			group->nofd_next = TAILQ_NEXT(sock, group_link);
		}
		TAILQ_REMOVE(&group->nofd_socks, sock, group_link);
		group->nnofd--;
	}
	if (sock->pending_head != NULL) {
		nvtcp_sock_group_pending_del(sock);
	}
	if (sock->rx_head != NULL) {
		rx_ready_del(sock);
	}
	sock->group = NULL;
	sock->cb = NULL;
	sock->cb_arg = NULL;
	sock->cold = false;
	return 0;
}

int
nvtcp_sock_group_set_cold(struct nvtcp_sock_group *group, struct nvtcp_sock *sock, bool cold)
{
	if (group == NULL || sock == NULL || sock->group != group) {
		return -ENOENT;
	}
	if (sock->cold == cold) {
		return 0;
	}
	sock->cold = cold;
	if (sock->ops->has_fd) {
		/* Cold sockets at the back, hot ones at the front: hot_sock() finds the hot one
		 * first whatever the number of cold ones. */
		TAILQ_REMOVE(&group->fd_socks, sock, group_link);
		if (cold) {
			TAILQ_INSERT_TAIL(&group->fd_socks, sock, group_link);
			group->ncold++;
		} else {
			TAILQ_INSERT_HEAD(&group->fd_socks, sock, group_link);
			group->ncold--;
		}
	}
	return 0;
}

/* The only hot descriptor-backed socket (the caller knows there is one): the first, since
 * set_cold keeps hot sockets at the front. */
static struct nvtcp_sock *
hot_sock(const struct nvtcp_sock_group *group)
{
	struct nvtcp_sock *sock;

	TAILQ_FOREACH(sock, &group->fd_socks, group_link) {
		if (!sock->cold) {
			return sock;
		}
	}
	return NULL;
}

static int
poll_events(struct nvtcp_sock_group *group, int max_events)
{
	struct nvtcp_sock *sock;
	int n, ncb = 0;

	if (group->uring != NULL) {
		return nvtcp_sock_uring_poll(group, group->uring, max_events);
	}
	if (group->nfd == 1 && group->ncold == 0) {
		sock = TAILQ_FIRST(&group->fd_socks);
		sock->cb(sock->cb_arg, group, sock);
		return 1;
	}
	if (group->nfd == 0) {
		return 0;
	}
	if (group->nfd - group->ncold <= 1 && ++group->cold_polls < NVTCP_SOCK_GROUP_COLD_PERIOD) {
		/* Cold sockets wait for the periodic epoll_wait() below; the hot one (if any) is
		 * asked directly. */
		if (group->nfd == group->ncold) {
			return 0;
		}
		sock = hot_sock(group);
		sock->cb(sock->cb_arg, group, sock);
		return 1;
	}
	group->cold_polls = 0;

	group->epoll_waits++;
	n = epoll_wait(group->epfd, group->events, max_events, 0);
	if (n < 0) {
		if (errno == EINTR) {
			return 0;
		}
		n = -errno;
		NVTCP_ERRLOG("epoll_wait failed: %s\n", strerror(-n));
		return n;
	}
	group->nevents = n;
	for (int i = 0; i < n; i++) {
		sock = group->events[i].data.ptr;
		group->ev_next = i + 1;
		if (sock == NULL) {
			/* Removed by an earlier callback of this batch. */
			continue;
		}
		sock->cb(sock->cb_arg, group, sock);
		ncb++;
	}
	group->nevents = 0;
	group->ev_next = 0;
	return ncb;
}

static int
poll_nofd(struct nvtcp_sock_group *group)
{
	struct nvtcp_sock *sock = TAILQ_FIRST(&group->nofd_socks);
	int ncb = 0;

	while (sock != NULL) {
		group->nofd_next = TAILQ_NEXT(sock, group_link);
		sock->cb(sock->cb_arg, group, sock);
		ncb++;
		sock = group->nofd_next;
	}
	group->nofd_next = NULL;
	return ncb;
}

/* Callbacks of sockets marked rx-ready before this poll. A snapshot, as for the flush: a
 * socket marked again by its callback waits for the next poll; removal works on the snapshot
 * through rx_head. */
static int
poll_rx_ready(struct nvtcp_sock_group *group)
{
	struct nvtcp_sock_list batch;
	struct nvtcp_sock *sock;
	int ncb = 0;

	TAILQ_INIT(&batch);
	TAILQ_CONCAT(&batch, &group->rx_ready, rx_link);
	TAILQ_FOREACH(sock, &batch, rx_link) {
		sock->rx_head = &batch;
	}
	while ((sock = TAILQ_FIRST(&batch)) != NULL) {
		rx_ready_del(sock);
		sock->cb(sock->cb_arg, group, sock);
		ncb++;
	}
	return ncb;
}

static void
flush_pending(struct nvtcp_sock_group *group)
{
	struct nvtcp_sock_list batch;
	struct nvtcp_sock *sock;

	if (TAILQ_EMPTY(&group->pending)) {
		return;
	}
	/* Snapshot: a socket that gets requests during this flush waits for the next poll, so
	 * each socket is flushed at most once per poll. */
	TAILQ_INIT(&batch);
	TAILQ_CONCAT(&batch, &group->pending, pending_link);
	TAILQ_FOREACH(sock, &batch, pending_link) {
		sock->pending_head = &batch;
	}
	if (group->uring != NULL) {
		nvtcp_sock_uring_flush(group->uring, &batch);
		return;
	}
	while ((sock = TAILQ_FIRST(&batch)) != NULL) {
		nvtcp_sock_group_pending_del(sock);
		/* Errors reach the owner through the requests' callbacks; the flush puts the
		 * socket back on the group's list when requests remain. */
		(void)nvtcp_sock_flush(sock);
	}
}

int
nvtcp_sock_group_poll(struct nvtcp_sock_group *group, int max_events)
{
	int rc;

	if (nvtcp_unlikely(group->polling)) {
		/* Polled again from one of its own callbacks. */
		return -EBUSY;
	}
	if (max_events <= 0) {
		max_events = GROUP_DEFAULT_EVENTS;
	} else if (max_events > GROUP_MAX_EVENTS) {
		max_events = GROUP_MAX_EVENTS;
	}
	group->polling = true;
	rc = poll_events(group, max_events);
	if (rc >= 0 && !TAILQ_EMPTY(&group->rx_ready)) {
		rc += poll_rx_ready(group);
	}
	if (rc >= 0 && group->nnofd > 0) {
		rc += poll_nofd(group);
	}
	flush_pending(group);
	group->polling = false;
	return rc;
}

int
nvtcp_sock_group_destroy(struct nvtcp_sock_group **pgroup)
{
	struct nvtcp_sock_group *group;

	if (pgroup == NULL || *pgroup == NULL) {
		return 0;
	}
	group = *pgroup;
	if (group->nfd + group->nnofd > 0 || group->polling) {
		return -EBUSY;
	}
	if (group->uring != NULL) {
		nvtcp_sock_uring_destroy(group->uring);
	} else {
		close(group->epfd);
	}
	free(group);
	*pgroup = NULL;
	return 0;
}

size_t
nvtcp_sock_group_count(const struct nvtcp_sock_group *group)
{
	return group->nfd + group->nnofd;
}
