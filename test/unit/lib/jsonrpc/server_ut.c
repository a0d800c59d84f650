/*
 * Unit tests of lib/jsonrpc/server.c over a real Unix socket, with the reactor polled by the
 * test: socket file creation, stale and live sockets, documents split over writes and several
 * per write, parse errors and oversize documents closing the client, the idle timeout, the
 * client limit, unread output, one request in flight per client, and clients that leave
 * before the asynchronous answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "nvtcp/jsonrpc.h"
#include "nvtcp/reactor.h"

#include "ut.h"
#include "ut_env.h"

static struct nvtcp_reactor *g_reactor;
static char g_path[108];
static struct nvtcp_jsonrpc_request *g_async[4];
static int g_nasync;

static int
suite_init(void)
{
	if (ut_env_init("server_ut", "0") != 0) {
		return -1;
	}
	g_reactor = nvtcp_reactor_create(NULL);
	snprintf(g_path, sizeof(g_path), "/tmp/nvtcp_server_ut.%d.sock", (int)getpid());
	return g_reactor != NULL ? 0 : -1;
}

static int
suite_fini(void)
{
	nvtcp_reactor_destroy(g_reactor);
	ut_env_fini();
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
poll_ms(unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	do {
		nvtcp_reactor_poll(g_reactor);
	} while (now_ms() < end);
}

static void
echo_handler(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	nvtcp_jsonrpc_send_result(req, params != NULL ? json_object_get(params) : NULL);
}

/* Answers with a string of the size given in params[0]. */
static void
big_handler(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	int len = json_object_get_int(json_object_array_get_idx(params, 0));
	char *s = malloc((size_t)len + 1);

	memset(s, 'x', (size_t)len);
	s[len] = '\0';
	nvtcp_jsonrpc_send_result(req, json_object_new_string(s));
	free(s);
}

static void
async_handler(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	CU_ASSERT_FATAL(g_nasync < 4);
	g_async[g_nasync++] = req;
}

static struct nvtcp_jsonrpc_server *
server_start(const struct nvtcp_jsonrpc_server_opts *opts)
{
	struct nvtcp_jsonrpc_server *s;
	char err[256];

	s = nvtcp_jsonrpc_server_create(g_path, opts, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "server_create: %s\n", err);
		return NULL;
	}
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_register(s, "echo", echo_handler, NULL), 0);
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_register(s, "big", big_handler, NULL), 0);
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_register(s, "async", async_handler, NULL), 0);
	return s;
}

static int
client_connect(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", g_path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	return fd;
}

static void
client_send(int fd, const char *s)
{
	CU_ASSERT_EQUAL(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Polls the server and reads until \p lines newlines came, EOF, or \p ms passed. Returns the
 * bytes read; *eof tells whether the server closed. */
static size_t
client_recv(int fd, char *buf, size_t cap, int lines, unsigned int ms, bool *eof)
{
	uint64_t end = now_ms() + ms;
	size_t len = 0;
	int got = 0;

	*eof = false;
	while (now_ms() < end && got < lines && len + 1 < cap) {
		ssize_t n;

		nvtcp_reactor_poll(g_reactor);
		n = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (n == 0) {
			*eof = true;
			break;
		}
		if (n < 0) {
			if (errno == ECONNRESET) {
				*eof = true;
				break;
			}
			continue;
		}
		for (ssize_t i = 0; i < n; i++) {
			got += buf[len + (size_t)i] == '\n';
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

static int
resp_code(const char *line)
{
	struct json_object *o = json_tokener_parse(line), *e, *c;
	int code = 0;

	if (o != NULL && json_object_object_get_ex(o, "error", &e) &&
	    json_object_object_get_ex(e, "code", &c)) {
		code = json_object_get_int(c);
	}
	json_object_put(o);
	return code;
}

static void
test_create_and_socket_file(void)
{
	struct nvtcp_jsonrpc_server_opts opts;
	struct nvtcp_jsonrpc_server *s, *s2;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char err[256], longpath[200];
	struct stat st;
	int fd;

	nvtcp_jsonrpc_server_opts_init(&opts);
	CU_ASSERT_EQUAL(opts.max_request_size, 1024 * 1024);
	CU_ASSERT_EQUAL(opts.max_clients, 128);
	CU_ASSERT_EQUAL(opts.idle_timeout_ms, 10000);
	CU_ASSERT_EQUAL(opts.max_pending_output, 16 * 1024 * 1024);
	CU_ASSERT_EQUAL(opts.mode, 0600);
	CU_ASSERT_EQUAL(opts.poll_period_us, 1000);

	s = server_start(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(stat(g_path, &st), 0);
	CU_ASSERT(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);

	/* A live socket is not replaced. */
	errno = 0;
	s2 = nvtcp_jsonrpc_server_create(g_path, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s2);
	CU_ASSERT_EQUAL(errno, EADDRINUSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use"));
	nvtcp_jsonrpc_server_destroy(s);
	CU_ASSERT_EQUAL(access(g_path, F_OK), -1);

	/* A stale socket (bound, nobody listening) is. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", g_path);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	close(fd);
	opts.mode = 0660;
	s = server_start(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(stat(g_path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0660);
	nvtcp_jsonrpc_server_destroy(s);

	/* Any other file is left alone. */
	fd = open(g_path, O_CREAT | O_WRONLY, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_jsonrpc_server_create(g_path, NULL, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a socket"));
	CU_ASSERT_EQUAL(access(g_path, F_OK), 0);
	unlink(g_path);

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_jsonrpc_server_create(longpath, NULL, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
	nvtcp_jsonrpc_server_opts_init(&opts);
	opts.max_request_size = 0;
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_jsonrpc_server_create(g_path, &opts, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "max_request_size"));
	nvtcp_jsonrpc_server_opts_init(&opts);
	opts.mode = 01777;
	CU_ASSERT_PTR_NULL(nvtcp_jsonrpc_server_create(g_path, &opts, NULL, 0));
	CU_ASSERT_EQUAL(access(g_path, F_OK), -1);
}

static void
test_split_and_concatenated(void)
{
	struct nvtcp_jsonrpc_server *s = server_start(NULL);
	struct nvtcp_jsonrpc_server_stats st;
	char buf[4096];
	bool eof;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	fd = client_connect();
	/* One request in three pieces, the split inside a string and inside a number. */
	client_send(fd, "{\"jsonrpc\":\"2.0\",\"meth");
	poll_ms(5);
	client_send(fd, "od\":\"echo\",\"params\":[1],\"id\":12");
	poll_ms(5);
	client_send(fd, "34}");
	client_recv(fd, buf, sizeof(buf), 1, 2000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "{\"jsonrpc\":\"2.0\",\"id\":1234,\"result\":[1]}\n");

	/* Three in one write, back to back and separated by white space; answered in order. */
	client_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1}"
		    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[2],\"id\":2}\n\r\t "
		    "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":3}\n");
	client_recv(fd, buf, sizeof(buf), 3, 2000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[1]}\n"
			       "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":[2]}\n"
			       "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32601,"
			       "\"message\":\"Method not found: nope\"}}\n");
	CU_ASSERT_FALSE(eof);
	nvtcp_jsonrpc_server_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.clients, 1);
	CU_ASSERT_EQUAL(st.clients_accepted, 1);
	CU_ASSERT_EQUAL(st.requests, 4);
	CU_ASSERT_EQUAL(st.errors, 1);

	/* A client that shuts down its sending side still gets its answer. */
	client_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":5}");
	shutdown(fd, SHUT_WR);
	client_recv(fd, buf, sizeof(buf), 2, 2000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":true}\n");
	CU_ASSERT(eof);
	close(fd);
	nvtcp_jsonrpc_server_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.clients, 0);
	CU_ASSERT_EQUAL(st.clients_closed, 0);
	nvtcp_jsonrpc_server_destroy(s);
}

static void
test_parse_error_closes(void)
{
	struct nvtcp_jsonrpc_server_opts opts;
	struct nvtcp_jsonrpc_server *s;
	struct nvtcp_jsonrpc_server_stats st;
	char buf[4096], big[300];
	bool eof;
	int fd;

	nvtcp_jsonrpc_server_opts_init(&opts);
	opts.max_request_size = 200;
	s = server_start(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);

	/* The valid request before the garbage is answered, then the parse error, then EOF. */
	fd = client_connect();
	client_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1} {\"a\" 1}");
	client_recv(fd, buf, sizeof(buf), 3, 2000, &eof);
	CU_ASSERT(eof);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"id\":1,\"result\":true}\n"));
	CU_ASSERT_EQUAL(resp_code(strchr(buf, '\n') + 1), NVTCP_JSONRPC_PARSE_ERROR);
	close(fd);

	/* Binary garbage. */
	fd = client_connect();
	client_send(fd, "\x01\x02\xff garbage");
	client_recv(fd, buf, sizeof(buf), 2, 2000, &eof);
	CU_ASSERT(eof);
	CU_ASSERT_EQUAL(resp_code(buf), NVTCP_JSONRPC_PARSE_ERROR);
	close(fd);

	/* Oversize: a string that never ends, longer than max_request_size. */
	fd = client_connect();
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '{';
	big[1] = '"';
	client_send(fd, big);
	client_recv(fd, buf, sizeof(buf), 2, 2000, &eof);
	CU_ASSERT(eof);
	CU_ASSERT_EQUAL(resp_code(buf), NVTCP_JSONRPC_PARSE_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "exceeds the limit of 200 bytes"));
	close(fd);

	poll_ms(5);
	nvtcp_jsonrpc_server_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.clients, 0);
	CU_ASSERT_EQUAL(st.clients_closed, 3);
	nvtcp_jsonrpc_server_destroy(s);
}

static void
test_idle_timeout_and_max_clients(void)
{
	struct nvtcp_jsonrpc_server_opts opts;
	struct nvtcp_jsonrpc_server *s;
	struct nvtcp_jsonrpc_server_stats st;
	char buf[256];
	bool eof;
	int fd, fd2, fd3;

	nvtcp_jsonrpc_server_opts_init(&opts);
	opts.idle_timeout_ms = 50;
	opts.max_clients = 2;
	s = server_start(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);

	fd = client_connect();
	fd2 = client_connect();
	poll_ms(5);
	/* The third is accepted and closed at once. */
	fd3 = client_connect();
	client_recv(fd3, buf, sizeof(buf), 1, 1000, &eof);
	CU_ASSERT(eof);
	close(fd3);
	nvtcp_jsonrpc_server_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.clients, 2);
	CU_ASSERT_EQUAL(st.clients_refused, 1);

	/* Half a request and then silence: closed after the timeout. An idle client is not. */
	client_send(fd, "{\"jsonrpc\":\"2.0\",");
	client_recv(fd, buf, sizeof(buf), 1, 2000, &eof);
	CU_ASSERT(eof);
	CU_ASSERT_EQUAL(buf[0], '\0');
	close(fd);
	nvtcp_jsonrpc_server_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.clients, 1);
	CU_ASSERT_EQUAL(st.clients_closed, 1);
	client_send(fd2, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}");
	client_recv(fd2, buf, sizeof(buf), 1, 2000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true}\n");
	close(fd2);
	nvtcp_jsonrpc_server_destroy(s);
}

static void
test_unread_output(void)
{
	struct nvtcp_jsonrpc_server_opts opts;
	struct nvtcp_jsonrpc_server *s;
	struct nvtcp_jsonrpc_server_stats st;
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"params\":[200000],\"id\":1}";
	int fd, sndbuf = 4096;
	uint64_t end;

	nvtcp_jsonrpc_server_opts_init(&opts);
	opts.max_pending_output = 1024 * 1024;
	s = server_start(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	fd = client_connect();
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf));
	/* Ask for far more than max_pending_output plus the socket buffers, never read. */
	end = now_ms() + 5000;
	for (int i = 0; i < 40 && now_ms() < end; i++) {
		send(fd, req, strlen(req), MSG_NOSIGNAL | MSG_DONTWAIT);
		poll_ms(2);
		nvtcp_jsonrpc_server_get_stats(s, &st);
		if (st.clients_closed > 0) {
			break;
		}
	}
	nvtcp_jsonrpc_server_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.clients_closed, 1);
	CU_ASSERT_EQUAL(st.clients, 0);
	close(fd);
	nvtcp_jsonrpc_server_destroy(s);
}

static void
test_one_in_flight_and_disconnect(void)
{
	struct nvtcp_jsonrpc_server *s = server_start(NULL);
	struct nvtcp_jsonrpc_server_stats st;
	char buf[1024];
	bool eof;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	g_nasync = 0;
	fd = client_connect();
	client_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"async\",\"id\":1}"
		    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"n\":2},\"id\":2}");
	poll_ms(20);
	/* The second waits for the first. */
	CU_ASSERT_EQUAL_FATAL(g_nasync, 1);
	nvtcp_jsonrpc_server_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.requests, 1);
	nvtcp_jsonrpc_send_result(g_async[0], json_object_new_string("first"));
	client_recv(fd, buf, sizeof(buf), 2, 2000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"first\"}\n"
			       "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"n\":2}}\n");

	/* The client leaves before the answer: the request lives on, its answer is dropped. */
	client_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"async\",\"id\":3}");
	poll_ms(20);
	CU_ASSERT_EQUAL_FATAL(g_nasync, 2);
	close(fd);
	poll_ms(20);
	nvtcp_jsonrpc_server_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.clients, 0);
	CU_ASSERT_STRING_EQUAL(nvtcp_jsonrpc_request_method(g_async[1]), "async");
	nvtcp_jsonrpc_send_error(g_async[1], -EIO, "too late");
	poll_ms(5);

	/* The server goes with a request pending: answered into the void after destroy. */
	fd = client_connect();
	client_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"async\",\"id\":4}");
	poll_ms(20);
	CU_ASSERT_EQUAL_FATAL(g_nasync, 3);
	nvtcp_jsonrpc_server_destroy(s);
	client_recv(fd, buf, sizeof(buf), 1, 500, &eof);
	CU_ASSERT(eof);
	close(fd);
	nvtcp_jsonrpc_send_result(g_async[2], NULL);
	CU_ASSERT_EQUAL(access(g_path, F_OK), -1);
}

/* Input buffered behind a slow handler is not timed out for the handler's slowness. */
static void
test_timeout_counts_from_answer(void)
{
	struct nvtcp_jsonrpc_server_opts opts;
	struct nvtcp_jsonrpc_server *s;
	struct nvtcp_jsonrpc_server_stats st;
	char buf[1024];
	bool eof;
	int fd;

	nvtcp_jsonrpc_server_opts_init(&opts);
	opts.idle_timeout_ms = 50;
	s = server_start(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	g_nasync = 0;
	fd = client_connect();
	client_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"async\",\"id\":1}"
		    "{\"jsonrpc\":\"2.0\",");
	poll_ms(150);
	CU_ASSERT_EQUAL_FATAL(g_nasync, 1);
	nvtcp_jsonrpc_send_result(g_async[0], NULL);
	client_recv(fd, buf, sizeof(buf), 1, 1000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true}\n");
	CU_ASSERT_FALSE(eof);
	poll_ms(10);
	client_send(fd, "\"method\":\"echo\",\"id\":2}");
	client_recv(fd, buf, sizeof(buf), 1, 1000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":true}\n");
	nvtcp_jsonrpc_server_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.clients_closed, 0);
	/* Now silence mid-request: closed. */
	client_send(fd, "{");
	client_recv(fd, buf, sizeof(buf), 1, 1000, &eof);
	CU_ASSERT(eof);
	close(fd);
	nvtcp_jsonrpc_server_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.clients_closed, 1);
	nvtcp_jsonrpc_server_destroy(s);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("jsonrpc_server", suite_init, suite_fini);

	CU_ADD_TEST(s, test_create_and_socket_file);
	CU_ADD_TEST(s, test_split_and_concatenated);
	CU_ADD_TEST(s, test_parse_error_closes);
	CU_ADD_TEST(s, test_idle_timeout_and_max_clients);
	CU_ADD_TEST(s, test_unread_output);
	CU_ADD_TEST(s, test_one_in_flight_and_disconnect);
	CU_ADD_TEST(s, test_timeout_counts_from_answer);
}

NVTCP_UT_MAIN(add_tests)
