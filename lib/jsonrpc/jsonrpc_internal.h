/*
 * Internals of lib/jsonrpc: the server and its clients (server.c) and requests (request.c).
 */
#ifndef NVTCP_JSONRPC_INTERNAL_H
#define NVTCP_JSONRPC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "nvtcp/jsonrpc.h"

struct nvtcp_poller;
struct nvtcp_reactor;

struct jsonrpc_method {
	char *name;
	nvtcp_jsonrpc_handler_fn fn;
	void *ctx;
	TAILQ_ENTRY(jsonrpc_method) link;
};

/* One connected client. */
struct jsonrpc_conn {
	struct nvtcp_jsonrpc_server *server;
	int fd;
	uint64_t id;
	struct json_tokener *tok;
	/* Bytes read and not yet given to the tokener. */
	char *in;
	size_t in_len;
	size_t in_cap;
	/* Bytes of the document being parsed already given to the tokener. */
	size_t doc_bytes;
	/* Responses not yet written: out[out_off, out_len). */
	char *out;
	size_t out_off;
	size_t out_len;
	size_t out_cap;
	/* The request being handled; further input waits until it is answered. */
	struct nvtcp_jsonrpc_request *pending;
	/* Last time bytes arrived (ms, monotonic), for the idle timeout. */
	uint64_t last_input_ms;
	/* Since when the client is being closed after its last response. */
	uint64_t closing_since_ms;
	/* The peer shut down its sending side: serve what was received, read no more. */
	bool eof;
	/* Close once the queued output is written (after a parse error). */
	bool closing;
	/* Close at the next poll without writing more (unread output, out of memory). */
	bool doomed;
	TAILQ_ENTRY(jsonrpc_conn) link;
};

struct nvtcp_jsonrpc_request {
	/* NULL once the server is destroyed: the answer only frees the request. */
	struct nvtcp_jsonrpc_server *server;
	/* The client it came from; NULL for nvtcp_jsonrpc_server_call() or once it has gone. */
	struct jsonrpc_conn *conn;
	nvtcp_jsonrpc_response_fn cb;
	void *cb_arg;
	/* The whole request document; method, id and params point into it. */
	struct json_object *doc;
	struct json_object *id;
	bool has_id;
	const char *method;
	TAILQ_ENTRY(nvtcp_jsonrpc_request) link;
};

struct nvtcp_jsonrpc_server {
	char path[108];
	dev_t sock_dev;
	ino_t sock_ino;
	int listen_fd;
	int epfd;
	struct nvtcp_jsonrpc_server_opts opts;
	struct nvtcp_reactor *reactor;
	struct nvtcp_poller *poller;
	uint64_t next_conn_id;
	struct nvtcp_jsonrpc_server_stats stats;
	TAILQ_HEAD(, jsonrpc_method) methods;
	TAILQ_HEAD(, jsonrpc_conn) conns;
	/* Requests whose handlers have not answered yet. */
	TAILQ_HEAD(, nvtcp_jsonrpc_request) requests;
};

/* The JSON tokener flags of every document: strict JSON, valid UTF-8, documents back to back. */
#define JSONRPC_TOKENER_FLAGS \
	(JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS | JSON_TOKENER_VALIDATE_UTF8)

/* request.c */

/*
 * Handle one parsed document (reference taken over) from \p conn or, when \p conn is NULL, from
 * nvtcp_jsonrpc_server_call() with \p cb. Either answers at once or leaves the request pending
 * (conn->pending set).
 */
void jsonrpc_handle_doc(struct nvtcp_jsonrpc_server *server, struct json_object *doc,
			struct jsonrpc_conn *conn, nvtcp_jsonrpc_response_fn cb, void *cb_arg);

/* A serialised error response with id null (malloc'd), for documents that could not be parsed. */
char *jsonrpc_error_doc(int code, const char *msg);

/* Forget the requests of a server being destroyed: their answers will only free them. */
void jsonrpc_orphan_requests(struct nvtcp_jsonrpc_server *server);

/* server.c */

/* Queue a response (and its newline) to a client; closes it when too much is queued. */
void jsonrpc_conn_queue(struct jsonrpc_conn *conn, const char *data, size_t len);

#endif /* NVTCP_JSONRPC_INTERNAL_H */
