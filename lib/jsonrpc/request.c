/*
 * JSON-RPC 2.0 requests: validation of a parsed document, dispatch to the registered handler,
 * and the response, delivered to the client, to the nvtcp_jsonrpc_server_call() callback, or
 * dropped when neither is there any more.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/log.h"

#include "jsonrpc_internal.h"

/* A method name quoted back in an error is cut here: it comes from an untrusted client. */
#define METHOD_QUOTE_MAX 128

static char *
serialise(struct json_object *resp)
{
	const char *s = json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	return s != NULL ? strdup(s) : NULL;
}

/* Builds {"jsonrpc":"2.0","id":..,"result"|"error":..}; takes over \p result. */
static char *
build_response(struct json_object *id, struct json_object *result, int code, const char *msg)
{
	struct json_object *resp = json_object_new_object();
	struct json_object *err;
	char *s = NULL;

	if (resp == NULL) {
		json_object_put(result);
		return NULL;
	}
	json_object_object_add(resp, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(resp, "id", json_object_get(id));
	if (result != NULL) {
		json_object_object_add(resp, "result", result);
	} else {
		err = json_object_new_object();
		if (err == NULL) {
			goto out;
		}
		json_object_object_add(err, "code", json_object_new_int(code));
		json_object_object_add(err, "message", json_object_new_string(msg));
		json_object_object_add(resp, "error", err);
	}
	s = serialise(resp);
out:
	json_object_put(resp);
	return s;
}

char *
jsonrpc_error_doc(int code, const char *msg)
{
	return build_response(NULL, NULL, code, msg);
}

static void
deliver(struct jsonrpc_conn *conn, nvtcp_jsonrpc_response_fn cb, void *cb_arg, const char *resp)
{
	if (conn != NULL) {
		jsonrpc_conn_queue(conn, resp, strlen(resp));
	} else if (cb != NULL) {
		cb(cb_arg, resp);
	}
}

static bool
only_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
			return false;
		}
	}
	return true;
}

static void
request_free(struct nvtcp_jsonrpc_request *req)
{
	if (req->server != NULL) {
		TAILQ_REMOVE(&req->server->requests, req, link);
	}
	if (req->conn != NULL && req->conn->pending == req) {
		req->conn->pending = NULL;
	}
	json_object_put(req->doc);
	free(req);
}

/* Answers with \p result (taken over) or with an error, then frees the request. */
static void
answer(struct nvtcp_jsonrpc_request *req, struct json_object *result, int code, const char *msg)
{
	struct nvtcp_jsonrpc_server *server = req->server;
	struct jsonrpc_conn *conn = req->conn;
	nvtcp_jsonrpc_response_fn cb = req->cb;
	void *cb_arg = req->cb_arg;
	char *resp;

	if (server == NULL || !req->has_id || (conn == NULL && cb == NULL)) {
		/* A notification, or nobody left to read the answer. */
		json_object_put(result);
		request_free(req);
		return;
	}
	resp = build_response(req->id, result, code, msg);
	if (result == NULL) {
		server->stats.errors++;
	}
	/* The client may send its next request as soon as this one is answered. */
	request_free(req);
	if (resp == NULL) {
		NVTCP_ERRLOG("jsonrpc: out of memory building a response\n");
		if (conn != NULL) {
			conn->doomed = true;
		}
		return;
	}
	deliver(conn, cb, cb_arg, resp);
	free(resp);
}

void
nvtcp_jsonrpc_send_result(struct nvtcp_jsonrpc_request *req, struct json_object *result)
{
	if (req == NULL) {
		json_object_put(result);
		return;
	}
	if (result == NULL) {
		result = json_object_new_boolean(1);
		if (result == NULL) {
			answer(req, NULL, NVTCP_JSONRPC_INTERNAL_ERROR, "Out of memory");
			return;
		}
	}
	answer(req, result, 0, NULL);
}

void
nvtcp_jsonrpc_send_error(struct nvtcp_jsonrpc_request *req, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (req == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	answer(req, NULL, code, msg);
}

const char *
nvtcp_jsonrpc_request_method(const struct nvtcp_jsonrpc_request *req)
{
	return req->method;
}

/* An error response to a document that is not a valid request object (always answered). */
static void
reject(struct nvtcp_jsonrpc_server *server, struct jsonrpc_conn *conn,
       nvtcp_jsonrpc_response_fn cb, void *cb_arg, struct json_object *id, int code,
       const char *msg)
{
	char *resp = build_response(id, NULL, code, msg);

	if (conn != NULL) {
		NVTCP_INFOLOG("jsonrpc: client %lu: %s\n", (unsigned long)conn->id, msg);
	}
	server->stats.errors++;
	if (resp == NULL) {
		NVTCP_ERRLOG("jsonrpc: out of memory building a response\n");
		if (conn != NULL) {
			conn->doomed = true;
		}
		return;
	}
	deliver(conn, cb, cb_arg, resp);
	free(resp);
}

static struct jsonrpc_method *
find_method(struct nvtcp_jsonrpc_server *server, const char *name)
{
	struct jsonrpc_method *m;

	TAILQ_FOREACH(m, &server->methods, link) {
		if (strcmp(m->name, name) == 0) {
			return m;
		}
	}
	return NULL;
}

void
jsonrpc_handle_doc(struct nvtcp_jsonrpc_server *server, struct json_object *doc,
		   struct jsonrpc_conn *conn, nvtcp_jsonrpc_response_fn cb, void *cb_arg)
{
	struct json_object *version, *method, *params = NULL, *id = NULL;
	struct nvtcp_jsonrpc_request *req;
	struct jsonrpc_method *m;
	bool has_id;
	char msg[64 + METHOD_QUOTE_MAX];
	const char *name;

	server->stats.requests++;
	if (json_object_is_type(doc, json_type_array)) {
		reject(server, conn, cb, cb_arg, NULL, NVTCP_JSONRPC_INVALID_REQUEST,
		       "Invalid request: batch requests are not supported");
		goto out;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		reject(server, conn, cb, cb_arg, NULL, NVTCP_JSONRPC_INVALID_REQUEST,
		       "Invalid request: a request must be a JSON object");
		goto out;
	}
	has_id = json_object_object_get_ex(doc, "id", &id);
	if (has_id && id != NULL && !json_object_is_type(id, json_type_int) &&
	    !json_object_is_type(id, json_type_double) && !json_object_is_type(id, json_type_string)) {
		reject(server, conn, cb, cb_arg, NULL, NVTCP_JSONRPC_INVALID_REQUEST,
		       "Invalid request: 'id' must be a number, a string or null");
		goto out;
	}
	if (!json_object_object_get_ex(doc, "jsonrpc", &version) ||
	    !json_object_is_type(version, json_type_string) ||
	    strcmp(json_object_get_string(version), "2.0") != 0) {
		reject(server, conn, cb, cb_arg, id, NVTCP_JSONRPC_INVALID_REQUEST,
		       "Invalid request: 'jsonrpc' must be \"2.0\"");
		goto out;
	}
	if (!json_object_object_get_ex(doc, "method", &method) ||
	    !json_object_is_type(method, json_type_string)) {
		reject(server, conn, cb, cb_arg, id, NVTCP_JSONRPC_INVALID_REQUEST,
		       "Invalid request: 'method' must be a string");
		goto out;
	}
	name = json_object_get_string(method);
	if (json_object_object_get_ex(doc, "params", &params) &&
	    !json_object_is_type(params, json_type_object) &&
	    !json_object_is_type(params, json_type_array)) {
		if (has_id) {
			reject(server, conn, cb, cb_arg, id, NVTCP_JSONRPC_INVALID_PARAMS,
			       "Invalid params: 'params' must be an object or an array");
		}
		goto out;
	}
	m = find_method(server, name);
	if (m == NULL) {
		if (has_id) {
			snprintf(msg, sizeof(msg), "Method not found: %.*s%s", METHOD_QUOTE_MAX,
				 name, strlen(name) > METHOD_QUOTE_MAX ? "..." : "");
			reject(server, conn, cb, cb_arg, id, NVTCP_JSONRPC_METHOD_NOT_FOUND, msg);
		}
		goto out;
	}

	req = calloc(1, sizeof(*req));
	if (req == NULL) {
		if (has_id) {
			reject(server, conn, cb, cb_arg, id, NVTCP_JSONRPC_INTERNAL_ERROR,
			       "Out of memory");
		}
		goto out;
	}
	req->server = server;
	req->conn = conn;
	req->cb = cb;
	req->cb_arg = cb_arg;
	req->doc = doc;
	req->id = id;
	req->has_id = has_id;
	req->method = name;
	TAILQ_INSERT_TAIL(&server->requests, req, link);
	if (conn != NULL) {
		conn->pending = req;
	}
	m->fn(req, params, m->ctx);
	return;
out:
	json_object_put(doc);
}

void
jsonrpc_orphan_requests(struct nvtcp_jsonrpc_server *server)
{
	struct nvtcp_jsonrpc_request *req;

	while ((req = TAILQ_FIRST(&server->requests)) != NULL) {
		TAILQ_REMOVE(&server->requests, req, link);
		if (req->conn != NULL && req->conn->pending == req) {
			req->conn->pending = NULL;
		}
		req->server = NULL;
		req->conn = NULL;
		req->cb = NULL;
	}
}

int
nvtcp_jsonrpc_register(struct nvtcp_jsonrpc_server *server, const char *method,
		       nvtcp_jsonrpc_handler_fn fn, void *ctx)
{
	struct jsonrpc_method *m;

	if (server == NULL || method == NULL || method[0] == '\0' || fn == NULL) {
		return -EINVAL;
	}
	if (find_method(server, method) != NULL) {
		return -EEXIST;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return -ENOMEM;
	}
	m->name = strdup(method);
	if (m->name == NULL) {
		free(m);
		return -ENOMEM;
	}
	m->fn = fn;
	m->ctx = ctx;
	TAILQ_INSERT_TAIL(&server->methods, m, link);
	return 0;
}

int
nvtcp_jsonrpc_server_call(struct nvtcp_jsonrpc_server *server, const char *request,
			  size_t len, nvtcp_jsonrpc_response_fn cb, void *cb_arg)
{
	struct json_tokener *tok;
	struct json_object *doc;
	enum json_tokener_error jerr;
	char msg[160];
	size_t end;

	if (server == NULL || request == NULL || cb == NULL) {
		return -EINVAL;
	}
	if (len > server->opts.max_request_size) {
		snprintf(msg, sizeof(msg), "Parse error: request of %zu bytes exceeds the limit of "
			 "%zu bytes", len, server->opts.max_request_size);
		reject(server, NULL, cb, cb_arg, NULL, NVTCP_JSONRPC_PARSE_ERROR, msg);
		return 0;
	}
	tok = json_tokener_new();
	if (tok == NULL) {
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSONRPC_TOKENER_FLAGS);
	doc = json_tokener_parse_ex(tok, request, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* The whole document is here: a terminating NUL ends a bare top-level value. */
		doc = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
		if (jerr != json_tokener_success) {
			jerr = json_tokener_continue;
		}
	}
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		snprintf(msg, sizeof(msg), "Parse error: incomplete JSON document");
	} else if (jerr != json_tokener_success) {
		snprintf(msg, sizeof(msg), "Parse error at byte %zu: %s", end,
			 json_tokener_error_desc(jerr));
	} else if (!only_space(request + end, len - end)) {
		snprintf(msg, sizeof(msg), "Parse error: data after the JSON document at byte %zu",
			 end);
		json_object_put(doc);
		jerr = json_tokener_error_parse_unexpected;
	}
	if (jerr != json_tokener_success) {
		reject(server, NULL, cb, cb_arg, NULL, NVTCP_JSONRPC_PARSE_ERROR, msg);
		return 0;
	}
	jsonrpc_handle_doc(server, doc, NULL, cb, cb_arg);
	return 0;
}
