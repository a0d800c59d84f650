/*
 * The JSON-RPC server's socket side: the listening Unix socket, its clients, and the timed
 * poller that accepts, reads, parses and writes without ever blocking the reactor.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/log.h"
#include "nvtcp/reactor.h"
#include "nvtcp/util.h"

#include "jsonrpc_internal.h"

/* Per poll: clients accepted, readiness events taken, bytes read from one client, documents
 * parsed for one client. They bound the work one poll does whatever the clients send. */
#define ACCEPT_BATCH 16
#define EVENT_BATCH 64
#define READ_BUDGET (64 * 1024)
#define DOC_BUDGET 32
/* A client closed after an error gets this long to read the error response. */
#define CLOSING_GRACE_MS 1000

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
nvtcp_jsonrpc_server_opts_init(struct nvtcp_jsonrpc_server_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->max_request_size = 1024 * 1024;
	opts->max_clients = 128;
	opts->idle_timeout_ms = 10000;
	opts->max_pending_output = 16 * 1024 * 1024;
	opts->mode = 0600;
	opts->poll_period_us = 1000;
}

/* ---- Clients ------------------------------------------------------------------------------- */

static void
conn_close(struct jsonrpc_conn *conn, bool by_server, const char *why)
{
	struct nvtcp_jsonrpc_server *server = conn->server;

	if (why != NULL) {
		NVTCP_INFOLOG("jsonrpc: client %lu closed: %s\n", (unsigned long)conn->id, why);
	}
	if (conn->pending != NULL) {
		/* The handler still answers; the answer is dropped. */
		conn->pending->conn = NULL;
		conn->pending = NULL;
	}
	epoll_ctl(server->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	TAILQ_REMOVE(&server->conns, conn, link);
	server->stats.clients--;
	if (by_server) {
		server->stats.clients_closed++;
	}
	json_tokener_free(conn->tok);
	free(conn->in);
	free(conn->out);
	free(conn);
}

void
jsonrpc_conn_queue(struct jsonrpc_conn *conn, const char *data, size_t len)
{
	size_t pending = conn->out_len - conn->out_off;
	size_t need = pending + len + 1;
	char *out;

	if (conn->doomed) {
		return;
	}
	if (need > conn->server->opts.max_pending_output) {
		NVTCP_INFOLOG("jsonrpc: client %lu: does not read its responses (%zu bytes queued)\n",
			      (unsigned long)conn->id, pending);
		conn->doomed = true;
		return;
	}
	if (conn->out_off > 0) {
		memmove(conn->out, conn->out + conn->out_off, pending);
		conn->out_off = 0;
		conn->out_len = pending;
	}
	if (need > conn->out_cap) {
		size_t cap = NVTCP_MAX(need, conn->out_cap * 2);

		out = realloc(conn->out, cap);
		if (out == NULL) {
			NVTCP_ERRLOG("jsonrpc: client %lu: out of memory queueing a response\n",
				     (unsigned long)conn->id);
			conn->doomed = true;
			return;
		}
		conn->out = out;
		conn->out_cap = cap;
	}
	memcpy(conn->out + conn->out_len, data, len);
	conn->out[conn->out_len + len] = '\n';
	conn->out_len += len + 1;
}

/* Writes what it can. Returns -1 when the client is gone (or must go), 0 otherwise. */
static int
conn_flush(struct jsonrpc_conn *conn)
{
	while (conn->out_off < conn->out_len) {
		ssize_t n = send(conn->fd, conn->out + conn->out_off, conn->out_len - conn->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				return 0;
			}
			return -1;
		}
		conn->out_off += (size_t)n;
	}
	conn->out_off = 0;
	conn->out_len = 0;
	return 0;
}

static void
conn_parse_error(struct jsonrpc_conn *conn, const char *msg)
{
	char *resp = jsonrpc_error_doc(NVTCP_JSONRPC_PARSE_ERROR, msg);

	NVTCP_INFOLOG("jsonrpc: client %lu: %s\n", (unsigned long)conn->id, msg);
	conn->server->stats.errors++;
	if (resp != NULL) {
		jsonrpc_conn_queue(conn, resp, strlen(resp));
		free(resp);
	}
	/* The stream cannot be resynchronised after bad JSON: answer, then close. */
	conn->closing = true;
	conn->closing_since_ms = now_ms();
	conn->in_len = 0;
}

/* Parses and dispatches buffered documents while no request is in flight. */
static int
conn_process(struct jsonrpc_conn *conn)
{
	struct nvtcp_jsonrpc_server *server = conn->server;
	size_t max = server->opts.max_request_size;
	int docs = 0;
	char msg[160];

	while (conn->pending == NULL && !conn->closing && !conn->doomed && conn->in_len > 0 &&
	       docs < DOC_BUDGET) {
		struct json_object *doc;
		enum json_tokener_error jerr;
		size_t skip = 0, used, feed;

		if (conn->doc_bytes == 0) {
			/* Whitespace between documents is not part of any. */
			while (skip < conn->in_len && (conn->in[skip] == ' ' ||
						       conn->in[skip] == '\n' ||
						       conn->in[skip] == '\r' ||
						       conn->in[skip] == '\t')) {
				skip++;
			}
			if (skip == conn->in_len) {
				conn->in_len = 0;
				break;
			}
		}
		feed = NVTCP_MIN(conn->in_len - skip, max - conn->doc_bytes + 1);
		feed = NVTCP_MIN(feed, (size_t)INT_MAX);
		doc = json_tokener_parse_ex(conn->tok, conn->in + skip, (int)feed);
		jerr = json_tokener_get_error(conn->tok);
		used = json_tokener_get_parse_end(conn->tok);
		if (jerr == json_tokener_continue) {
			used = feed;
		}
		if (conn->doc_bytes + used > max) {
			snprintf(msg, sizeof(msg), "Parse error: request exceeds the limit of %zu bytes",
				 max);
			json_object_put(doc);
			conn_parse_error(conn, msg);
			return 0;
		}
		if (jerr != json_tokener_success && jerr != json_tokener_continue) {
			snprintf(msg, sizeof(msg), "Parse error at byte %zu of the request: %s",
				 conn->doc_bytes + used, json_tokener_error_desc(jerr));
			conn_parse_error(conn, msg);
			return 0;
		}
		conn->in_len -= skip + used;
		memmove(conn->in, conn->in + skip + used, conn->in_len);
		if (jerr == json_tokener_continue) {
			conn->doc_bytes += used;
			continue;
		}
		conn->doc_bytes = 0;
		json_tokener_reset(conn->tok);
		docs++;
		jsonrpc_handle_doc(server, doc, conn, NULL, NULL);
	}
	return docs;
}

/* Reads up to the per-poll budget. Returns -1 when the client is gone. */
static int
conn_read(struct jsonrpc_conn *conn)
{
	size_t limit = conn->server->opts.max_request_size;
	size_t budget = READ_BUDGET;

	while (budget > 0 && !conn->eof && !conn->closing && !conn->doomed) {
		size_t room, want;
		ssize_t n;

		/* While a request is in flight, input waits in the buffer, up to one request. */
		if (conn->in_len >= limit) {
			break;
		}
		want = NVTCP_MIN(budget, limit - conn->in_len);
		if (conn->in_cap - conn->in_len < want) {
			size_t cap = NVTCP_MAX(conn->in_len + want, conn->in_cap * 2);
			char *in;

			cap = NVTCP_MIN(cap, limit);
			in = realloc(conn->in, cap);
			if (in == NULL) {
				return -1;
			}
			conn->in = in;
			conn->in_cap = cap;
		}
		room = NVTCP_MIN(want, conn->in_cap - conn->in_len);
		n = recv(conn->fd, conn->in + conn->in_len, room, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				break;
			}
			return -1;
		}
		if (n == 0) {
			/* Shut down for writing (e.g. nc -N): answer what was sent, then close. */
			struct epoll_event ev = {.events = 0, .data.ptr = conn};

			conn->eof = true;
			/* Nothing more to read: stop the level-triggered readiness reports. */
			epoll_ctl(conn->server->epfd, EPOLL_CTL_MOD, conn->fd, &ev);
			break;
		}
		conn->in_len += (size_t)n;
		budget -= (size_t)n;
		conn->last_input_ms = now_ms();
		if (conn->pending == NULL) {
			conn_process(conn);
		}
	}
	return 0;
}

static void
conn_accept(struct nvtcp_jsonrpc_server *server)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};
		struct jsonrpc_conn *conn;
		int fd = accept4(server->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED) {
				NVTCP_WARNLOG("jsonrpc: accept on %s: %s\n", server->path,
					      strerror(errno));
			}
			return;
		}
		if (server->stats.clients >= server->opts.max_clients) {
			NVTCP_NOTICELOG("jsonrpc: %s: refusing a client: %u clients connected\n",
					server->path, server->stats.clients);
			server->stats.clients_refused++;
			close(fd);
			continue;
		}
		conn = calloc(1, sizeof(*conn));
		if (conn != NULL) {
			conn->tok = json_tokener_new();
		}
		if (conn == NULL || conn->tok == NULL) {
			NVTCP_ERRLOG("jsonrpc: out of memory accepting a client\n");
			free(conn);
			close(fd);
			return;
		}
		json_tokener_set_flags(conn->tok, JSONRPC_TOKENER_FLAGS);
		conn->server = server;
		conn->fd = fd;
		conn->id = ++server->next_conn_id;
		conn->last_input_ms = now_ms();
		ev.data.ptr = conn;
		if (epoll_ctl(server->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			NVTCP_ERRLOG("jsonrpc: epoll_ctl: %s\n", strerror(errno));
			json_tokener_free(conn->tok);
			free(conn);
			close(fd);
			return;
		}
		TAILQ_INSERT_TAIL(&server->conns, conn, link);
		server->stats.clients++;
		server->stats.clients_accepted++;
		NVTCP_DEBUGLOG("jsonrpc: client %lu connected\n", (unsigned long)conn->id);
	}
}

/* Writes, processes buffered input, and applies the timeouts of every client. */
static int
conn_service(struct jsonrpc_conn *conn, uint64_t now)
{
	struct nvtcp_jsonrpc_server *server = conn->server;
	uint32_t tmo = server->opts.idle_timeout_ms;
	int work = 0;

	if (conn->doomed) {
		conn_close(conn, true, "its responses could not be queued");
		return 1;
	}
	if (conn->pending != NULL) {
		/* The server is the slow one: the idle timeout counts from the answer. */
		conn->last_input_ms = now;
	} else if (!conn->closing && conn->in_len > 0) {
		work += conn_process(conn);
	}
	if (conn->out_len > conn->out_off) {
		if (conn_flush(conn) != 0) {
			conn_close(conn, false, conn->pending != NULL ? "gone before its answer" :
				   NULL);
			return 1;
		}
		work++;
	}
	if (conn->doomed) {
		conn_close(conn, true, "its responses could not be queued");
		return 1;
	}
	if (conn->closing) {
		if (conn->out_len == conn->out_off || now - conn->closing_since_ms > CLOSING_GRACE_MS) {
			conn_close(conn, true, "after a parse error");
			return 1;
		}
		return work;
	}
	if (conn->eof && conn->pending == NULL && conn->in_len == 0 &&
	    conn->out_len == conn->out_off) {
		/* Nothing more can come: whatever is left is an incomplete document. */
		conn_close(conn, false, conn->doc_bytes > 0 ? "shut down in the middle of a request" :
			   NULL);
		return 1;
	}
	if (tmo != 0 && conn->pending == NULL && (conn->doc_bytes > 0 || conn->in_len > 0) &&
	    now - conn->last_input_ms > tmo) {
		conn_close(conn, true, "timed out in the middle of a request");
		return 1;
	}
	return work;
}

static int
server_poll(void *arg)
{
	struct nvtcp_jsonrpc_server *server = arg;
	struct epoll_event events[EVENT_BATCH];
	struct jsonrpc_conn *conn, *tmp;
	int n, work = 0;
	uint64_t now;

	n = epoll_wait(server->epfd, events, EVENT_BATCH, 0);
	for (int i = 0; i < n; i++) {
		if (events[i].data.ptr == server) {
			continue;
		}
		if (events[i].data.ptr == NULL) {
			conn_accept(server);
			work++;
			continue;
		}
		conn = events[i].data.ptr;
		work++;
		if (conn_read(conn) != 0 || (events[i].events & (EPOLLHUP | EPOLLERR)) != 0) {
			/* Both directions are shut: nobody can read an answer any more. */
			conn_close(conn, false, conn->pending != NULL ? "gone before its answer" :
				   NULL);
			/* Later events of this batch may name it: drop them. */
			for (int j = i + 1; j < n; j++) {
				if (events[j].data.ptr == conn) {
					events[j].data.ptr = server;
				}
			}
		}
	}
	now = now_ms();
	for (conn = TAILQ_FIRST(&server->conns); conn != NULL; conn = tmp) {
		tmp = TAILQ_NEXT(conn, link);
		work += conn_service(conn, now);
	}
	return work > 0 ? NVTCP_POLLER_BUSY : NVTCP_POLLER_IDLE;
}

/* ---- Server -------------------------------------------------------------------------------- */

static int
check_opts(const struct nvtcp_jsonrpc_server_opts *opts, char *err, size_t errlen)
{
	if (opts->max_request_size == 0 || opts->max_request_size > INT_MAX) {
		snprintf(err, errlen, "max_request_size %zu is not in 1..%d", opts->max_request_size,
			 INT_MAX);
		return -EINVAL;
	}
	if (opts->max_clients == 0) {
		snprintf(err, errlen, "max_clients must be at least 1");
		return -EINVAL;
	}
	if (opts->max_pending_output == 0) {
		snprintf(err, errlen, "max_pending_output must be at least 1");
		return -EINVAL;
	}
	if ((opts->mode & ~0777u) != 0) {
		snprintf(err, errlen, "mode 0%o has bits outside 0777", opts->mode);
		return -EINVAL;
	}
	return 0;
}

/* Removes a stale socket at \p path; a live one or any other file is left alone. */
static int
clear_path(const struct sockaddr_un *addr, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(addr->sun_path, &st) != 0) {
		if (errno == ENOENT) {
			return 0;
		}
		rc = -errno;
		snprintf(err, errlen, "%s: %s", addr->sun_path, strerror(-rc));
		return rc;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", addr->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		return rc;
	}
	/* Non-blocking: a live server with a full backlog answers EAGAIN rather than stalling. */
	rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 ? 0 : -errno;
	close(fd);
	if (rc == -ECONNREFUSED) {
		if (unlink(addr->sun_path) != 0 && errno != ENOENT) {
			rc = -errno;
			snprintf(err, errlen, "cannot remove the stale socket %s: %s",
				 addr->sun_path, strerror(-rc));
			return rc;
		}
		NVTCP_NOTICELOG("jsonrpc: replaced the stale socket %s\n", addr->sun_path);
		return 0;
	}
	if (rc == 0 || rc == -EAGAIN) {
		snprintf(err, errlen, "%s is in use by a running server", addr->sun_path);
		return -EADDRINUSE;
	}
	snprintf(err, errlen, "cannot probe the existing socket %s: %s", addr->sun_path,
		 strerror(-rc));
	return rc;
}

static int
server_listen(struct nvtcp_jsonrpc_server *server, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct stat st;
	mode_t old;
	int rc;

	memcpy(addr.sun_path, server->path, sizeof(server->path));
	rc = clear_path(&addr, err, errlen);
	if (rc != 0) {
		return rc;
	}
	server->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (server->listen_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		return rc;
	}
	/* bind() creates the file with the umask applied: make it owner-only from the start, so
	 * it is never reachable by others before the chmod below. */
	old = umask(0177);
	rc = bind(server->listen_fd, (const struct sockaddr *)&addr, sizeof(addr)) == 0 ? 0 : -errno;
	umask(old);
	if (rc != 0) {
		snprintf(err, errlen, "bind %s: %s", server->path, strerror(-rc));
		return rc;
	}
	if (stat(server->path, &st) == 0) {
		server->sock_dev = st.st_dev;
		server->sock_ino = st.st_ino;
	}
	if (chmod(server->path, server->opts.mode) != 0) {
		rc = -errno;
		snprintf(err, errlen, "chmod %s to 0%o: %s", server->path, server->opts.mode,
			 strerror(-rc));
		unlink(server->path);
		return rc;
	}
	if (listen(server->listen_fd, 128) != 0) {
		rc = -errno;
		snprintf(err, errlen, "listen %s: %s", server->path, strerror(-rc));
		unlink(server->path);
		return rc;
	}
	server->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (server->epfd < 0 || epoll_ctl(server->epfd, EPOLL_CTL_ADD, server->listen_fd, &ev) != 0) {
		rc = -errno;
		snprintf(err, errlen, "epoll: %s", strerror(-rc));
		unlink(server->path);
		return rc;
	}
	return 0;
}

static void
server_free(struct nvtcp_jsonrpc_server *server)
{
	struct jsonrpc_method *m;

	while ((m = TAILQ_FIRST(&server->methods)) != NULL) {
		TAILQ_REMOVE(&server->methods, m, link);
		free(m->name);
		free(m);
	}
	if (server->epfd >= 0) {
		close(server->epfd);
	}
	if (server->listen_fd >= 0) {
		close(server->listen_fd);
	}
	free(server);
}

struct nvtcp_jsonrpc_server *
nvtcp_jsonrpc_server_create(const char *path, const struct nvtcp_jsonrpc_server_opts *opts,
			    char *err, size_t errlen)
{
	struct nvtcp_jsonrpc_server *server;
	char dummy[1];
	int rc;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "no socket path");
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) >= sizeof(server->path)) {
		snprintf(err, errlen, "socket path of %zu bytes is longer than %zu", strlen(path),
			 sizeof(server->path) - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (nvtcp_reactor_get_current() == NULL) {
		snprintf(err, errlen, "the calling thread has no reactor");
		errno = EINVAL;
		return NULL;
	}
	server = calloc(1, sizeof(*server));
	if (server == NULL) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	server->listen_fd = -1;
	server->epfd = -1;
	TAILQ_INIT(&server->methods);
	TAILQ_INIT(&server->conns);
	TAILQ_INIT(&server->requests);
	if (opts != NULL) {
		server->opts = *opts;
	} else {
		nvtcp_jsonrpc_server_opts_init(&server->opts);
	}
	snprintf(server->path, sizeof(server->path), "%s", path);
	rc = check_opts(&server->opts, err, errlen);
	if (rc == 0) {
		rc = server_listen(server, err, errlen);
	}
	if (rc == 0) {
		server->reactor = nvtcp_reactor_get_current();
		server->poller = nvtcp_poller_register(server_poll, server,
						       server->opts.poll_period_us);
		if (server->poller == NULL) {
			snprintf(err, errlen, "cannot register the server's poller");
			unlink(server->path);
			rc = -ENOMEM;
		}
	}
	if (rc != 0) {
		NVTCP_ERRLOG("jsonrpc: cannot serve on %s: %s\n", path, err);
		server_free(server);
		errno = -rc;
		return NULL;
	}
	NVTCP_INFOLOG("jsonrpc: listening on %s\n", server->path);
	return server;
}

void
nvtcp_jsonrpc_server_destroy(struct nvtcp_jsonrpc_server *server)
{
	struct jsonrpc_conn *conn;
	struct stat st;

	if (server == NULL) {
		return;
	}
	nvtcp_poller_unregister(&server->poller);
	jsonrpc_orphan_requests(server);
	while ((conn = TAILQ_FIRST(&server->conns)) != NULL) {
		conn_close(conn, false, NULL);
	}
	/* Only our own socket: another server may have replaced it meanwhile. */
	if (stat(server->path, &st) == 0 && st.st_dev == server->sock_dev &&
	    st.st_ino == server->sock_ino) {
		unlink(server->path);
	}
	server_free(server);
}

void
nvtcp_jsonrpc_server_get_stats(const struct nvtcp_jsonrpc_server *server,
			       struct nvtcp_jsonrpc_server_stats *stats)
{
	*stats = server->stats;
}
