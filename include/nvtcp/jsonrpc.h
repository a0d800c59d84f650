/**
 * @file
 * A JSON-RPC 2.0 server over a Unix stream socket, polled from a reactor.
 *
 * The server belongs to the reactor that created it: a timed poller on that reactor accepts
 * clients and reads and writes their sockets without ever blocking, so a slow or hostile client
 * costs the reactor at most one bounded batch of work per poll. Requests are newline-free JSON
 * values framed by the JSON parser itself (as SPDK's rpc.py sends them); responses are one JSON
 * object each. Batches (arrays) are refused with Invalid Request, as SPDK does.
 *
 * Handlers run on the server's reactor, one request at a time per client, and answer with
 * nvtcp_jsonrpc_send_result() or nvtcp_jsonrpc_send_error(), immediately or later (an
 * asynchronous handler keeps the request and answers from a callback on the same reactor).
 * A handler must answer exactly once; the server frees the request after the answer. If the
 * client has gone meanwhile, the answer is dropped.
 *
 * Error codes follow JSON-RPC 2.0 (and SPDK's use of them): -32700 parse error, -32600 invalid
 * request, -32601 method not found, -32602 invalid params, -32603 internal error; handlers may
 * return negative errno values as codes, as SPDK's do (e.g. -ENOENT, -EEXIST).
 */
#ifndef NVTCP_JSONRPC_H
#define NVTCP_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;
struct nvtcp_jsonrpc_server;
struct nvtcp_jsonrpc_request;

#define NVTCP_JSONRPC_PARSE_ERROR -32700
#define NVTCP_JSONRPC_INVALID_REQUEST -32600
#define NVTCP_JSONRPC_METHOD_NOT_FOUND -32601
#define NVTCP_JSONRPC_INVALID_PARAMS -32602
#define NVTCP_JSONRPC_INTERNAL_ERROR -32603

/** Server options. Initialise with nvtcp_jsonrpc_server_opts_init(). */
struct nvtcp_jsonrpc_server_opts {
	/** Largest request document in bytes; a larger one gets a parse error and the client
	 *  is closed. Default 1 MiB. */
	size_t max_request_size;
	/** Most clients at once; more are accepted and closed at once. Default 128. */
	uint32_t max_clients;
	/** A client that has sent part of a request and nothing more for this long is closed;
	 *  an idle client between requests is not. Default 10000 ms; 0 = never. */
	uint32_t idle_timeout_ms;
	/** Output queued to a client that does not read; beyond it the client is closed.
	 *  Default 16 MiB. */
	size_t max_pending_output;
	/** Mode of the socket file. Default 0600. */
	uint32_t mode;
	/** Poll period of the server's poller in microseconds. Default 1000. */
	uint32_t poll_period_us;
};

/** Counters of a server. */
struct nvtcp_jsonrpc_server_stats {
	uint64_t clients_accepted;
	uint64_t clients_refused;   /**< over max_clients */
	uint64_t clients_closed;    /**< by the server: timeout, oversize, unread output */
	uint64_t requests;          /**< requests parsed */
	uint64_t errors;            /**< error responses sent */
	uint32_t clients;           /**< connected now */
};

/**
 * A method handler. Runs on the server's reactor.
 *
 * \param req The request; answer it exactly once.
 * \param params The "params" member (object or array), or NULL when absent. Owned by the
 *        request: valid until the answer.
 * \param ctx The context given to nvtcp_jsonrpc_register().
 */
typedef void (*nvtcp_jsonrpc_handler_fn)(struct nvtcp_jsonrpc_request *req,
					 struct json_object *params, void *ctx);

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options.
 */
void nvtcp_jsonrpc_server_opts_init(struct nvtcp_jsonrpc_server_opts *opts);

/**
 * Create a server listening on a Unix socket path, owned by the calling reactor.
 *
 * An existing socket file at \p path is replaced only if nothing listens on it (a stale socket
 * of a dead process); a live one is refused with -EADDRINUSE, any other file with -EEXIST.
 *
 * \param path Socket path (at most 107 bytes).
 * \param opts Options (NULL = defaults).
 * \param err Message naming the reason on failure (may be NULL).
 * \param errlen Size of \p err.
 * \return The server, or NULL with errno set.
 */
struct nvtcp_jsonrpc_server *nvtcp_jsonrpc_server_create(const char *path,
							 const struct nvtcp_jsonrpc_server_opts *opts,
							 char *err, size_t errlen);

/**
 * Close every client, remove the socket file, free the server. Requests whose handlers have
 * not answered yet are answered later into the void: their handlers may still call
 * nvtcp_jsonrpc_send_result()/send_error(), which then only free them.
 *
 * \param server Server (NULL is ignored).
 */
void nvtcp_jsonrpc_server_destroy(struct nvtcp_jsonrpc_server *server);

/**
 * Register a method.
 *
 * \param server Server.
 * \param method Method name (copied).
 * \param fn Handler.
 * \param ctx Passed to \p fn.
 * \return 0, -EEXIST (already registered), -EINVAL or -ENOMEM.
 */
int nvtcp_jsonrpc_register(struct nvtcp_jsonrpc_server *server, const char *method,
			   nvtcp_jsonrpc_handler_fn fn, void *ctx);

/**
 * Answer a request with a result and free it.
 *
 * \param req Request.
 * \param result Result value; the reference is taken over (NULL = JSON true, SPDK's
 *        convention for methods that return nothing).
 */
void nvtcp_jsonrpc_send_result(struct nvtcp_jsonrpc_request *req, struct json_object *result);

/**
 * Answer a request with an error and free it.
 *
 * \param req Request.
 * \param code JSON-RPC code (NVTCP_JSONRPC_*) or a negative errno.
 * \param fmt Message (printf format), one line naming the offending parameter or object.
 */
void nvtcp_jsonrpc_send_error(struct nvtcp_jsonrpc_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * The method name of a request.
 *
 * \param req Request.
 * \return The name (valid until the answer).
 */
const char *nvtcp_jsonrpc_request_method(const struct nvtcp_jsonrpc_request *req);

/** Called with the response document of nvtcp_jsonrpc_server_call(). */
typedef void (*nvtcp_jsonrpc_response_fn)(void *cb_arg, const char *response);

/**
 * Run one request document through the server without a socket (tests, embedders that have
 * their own transport). \p cb runs when the handler answers (possibly before this returns),
 * on the server's reactor, with the serialised response; notifications (no "id") get none.
 *
 * \param server Server.
 * \param request JSON text.
 * \param len Its length.
 * \param cb Response callback.
 * \param cb_arg Its argument.
 * \return 0, or -EINVAL / -ENOMEM.
 */
int nvtcp_jsonrpc_server_call(struct nvtcp_jsonrpc_server *server, const char *request,
			      size_t len, nvtcp_jsonrpc_response_fn cb, void *cb_arg);

/**
 * Copy a server's counters.
 *
 * \param server Server.
 * \param stats Filled.
 */
void nvtcp_jsonrpc_server_get_stats(const struct nvtcp_jsonrpc_server *server,
				    struct nvtcp_jsonrpc_server_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_JSONRPC_H */
