/*
 * Unit tests of lib/jsonrpc/request.c through nvtcp_jsonrpc_server_call(): every class of bad
 * request gets its JSON-RPC error, results and ids are echoed, notifications get no answer, and
 * asynchronous answers work before and after the server is destroyed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "nvtcp/jsonrpc.h"
#include "nvtcp/reactor.h"

#include "ut.h"
#include "ut_env.h"

static struct nvtcp_reactor *g_reactor;
static struct nvtcp_jsonrpc_server *g_server;
static char g_path[108];

/* The last response of a call, and how many came. */
static char g_resp[4096];
static int g_nresp;
/* The request kept by the asynchronous handler. */
static struct nvtcp_jsonrpc_request *g_async;

static void
on_response(void *arg, const char *resp)
{
	CU_ASSERT_PTR_EQUAL(arg, &g_nresp);
	snprintf(g_resp, sizeof(g_resp), "%s", resp);
	g_nresp++;
}

static void
echo_handler(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	CU_ASSERT_PTR_EQUAL(ctx, &g_server);
	CU_ASSERT_STRING_EQUAL(nvtcp_jsonrpc_request_method(req), "echo");
	nvtcp_jsonrpc_send_result(req, params != NULL ? json_object_get(params) :
				  json_object_new_string("no params"));
}

static void
true_handler(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	nvtcp_jsonrpc_send_result(req, NULL);
}

static void
fail_handler(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	nvtcp_jsonrpc_send_error(req, -ENOENT, "Subsystem %s not found", "nqn.x");
}

static void
async_handler(struct nvtcp_jsonrpc_request *req, struct json_object *params, void *ctx)
{
	CU_ASSERT_PTR_NULL(g_async);
	g_async = req;
}

static int
suite_init(void)
{
	struct nvtcp_jsonrpc_server_opts opts;
	char err[256];

	if (ut_env_init("request_ut", "0") != 0) {
		return -1;
	}
	g_reactor = nvtcp_reactor_create(NULL);
	if (g_reactor == NULL) {
		return -1;
	}
	snprintf(g_path, sizeof(g_path), "/tmp/nvtcp_request_ut.%d.sock", (int)getpid());
	nvtcp_jsonrpc_server_opts_init(&opts);
	opts.max_request_size = 256;
	g_server = nvtcp_jsonrpc_server_create(g_path, &opts, err, sizeof(err));
	if (g_server == NULL) {
		fprintf(stderr, "request_ut: %s\n", err);
		return -1;
	}
	if (nvtcp_jsonrpc_register(g_server, "echo", echo_handler, &g_server) != 0 ||
	    nvtcp_jsonrpc_register(g_server, "true", true_handler, NULL) != 0 ||
	    nvtcp_jsonrpc_register(g_server, "fail", fail_handler, NULL) != 0 ||
	    nvtcp_jsonrpc_register(g_server, "async", async_handler, NULL) != 0) {
		return -1;
	}
	return 0;
}

static int
suite_fini(void)
{
	nvtcp_jsonrpc_server_destroy(g_server);
	nvtcp_reactor_destroy(g_reactor);
	ut_env_fini();
	return 0;
}

/* Runs \p req through the server; returns the parsed response or NULL when none came. */
static struct json_object *
call(const char *req)
{
	g_nresp = 0;
	g_resp[0] = '\0';
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_server_call(g_server, req, strlen(req), on_response,
						  &g_nresp), 0);
	CU_ASSERT(g_nresp <= 1);
	return g_nresp == 1 ? json_tokener_parse(g_resp) : NULL;
}

/* Asserts that \p resp is an error with \p code whose message contains \p needle. */
static void
check_error(struct json_object *resp, int code, const char *needle)
{
	struct json_object *err, *c, *m, *v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
	CU_ASSERT(json_object_object_get_ex(resp, "jsonrpc", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "2.0");
	CU_ASSERT_FALSE(json_object_object_get_ex(resp, "result", NULL));
	CU_ASSERT_FATAL(json_object_object_get_ex(resp, "error", &err));
	CU_ASSERT_FATAL(json_object_object_get_ex(err, "code", &c));
	CU_ASSERT_FATAL(json_object_object_get_ex(err, "message", &m));
	CU_ASSERT_EQUAL(json_object_get_int(c), code);
	if (strstr(json_object_get_string(m), needle) == NULL) {
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", json_object_get_string(m), needle);
		CU_FAIL("error message");
	}
	json_object_put(resp);
}

static void
check_error_call(const char *req, int code, const char *needle)
{
	check_error(call(req), code, needle);
}

static void
test_register(void)
{
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_register(g_server, "echo", echo_handler, NULL), -EEXIST);
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_register(g_server, "", echo_handler, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_register(g_server, NULL, echo_handler, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_register(g_server, "x", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_register(NULL, "x", echo_handler, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_server_call(g_server, NULL, 0, on_response, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_server_call(g_server, "{}", 2, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_jsonrpc_server_call(NULL, "{}", 2, on_response, NULL), -EINVAL);
}

static void
test_results_and_ids(void)
{
	struct json_object *resp, *v, *id;

	resp = call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":7,\"params\":{\"a\":[1,2]}}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
	CU_ASSERT(json_object_object_get_ex(resp, "id", &id));
	CU_ASSERT_EQUAL(json_object_get_int(id), 7);
	CU_ASSERT(json_object_object_get_ex(resp, "result", &v));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			       "{\"a\":[1,2]}");
	CU_ASSERT_FALSE(json_object_object_get_ex(resp, "error", NULL));
	json_object_put(resp);

	/* A string id, array params. */
	resp = call(" {\"id\":\"abc\",\"method\":\"echo\",\"jsonrpc\":\"2.0\",\"params\":[3]}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
	CU_ASSERT(json_object_object_get_ex(resp, "id", &id));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(id), "abc");
	CU_ASSERT(json_object_object_get_ex(resp, "result", &v));
	CU_ASSERT(json_object_is_type(v, json_type_array));
	json_object_put(resp);

	/* A null id is echoed; no params reach the handler as NULL. */
	resp = call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":null}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
	CU_ASSERT(json_object_object_get_ex(resp, "id", &id));
	CU_ASSERT_PTR_NULL(id);
	CU_ASSERT(json_object_object_get_ex(resp, "result", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "no params");
	json_object_put(resp);

	/* No result = true. */
	resp = call("{\"jsonrpc\":\"2.0\",\"method\":\"true\",\"id\":1.5}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
	CU_ASSERT(json_object_object_get_ex(resp, "result", &v));
	CU_ASSERT(json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v));
	json_object_put(resp);

	/* Handler errors: a negative errno code and the handler's message. */
	check_error_call("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"id\":2}", -ENOENT,
			 "Subsystem nqn.x not found");
}

static void
test_notifications(void)
{
	CU_ASSERT_PTR_NULL(call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}"));
	CU_ASSERT_EQUAL(g_nresp, 0);
	CU_ASSERT_PTR_NULL(call("{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}"));
	/* A notification of an unknown method or with bad params is not answered either. */
	CU_ASSERT_PTR_NULL(call("{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}"));
	CU_ASSERT_PTR_NULL(call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":3}"));
	CU_ASSERT_EQUAL(g_nresp, 0);
}

static void
test_invalid_requests(void)
{
	char big[512];

	check_error_call("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}]",
			 NVTCP_JSONRPC_INVALID_REQUEST, "batch");
	check_error_call("42 ", NVTCP_JSONRPC_INVALID_REQUEST, "must be a JSON object");
	check_error_call("\"x\"", NVTCP_JSONRPC_INVALID_REQUEST, "must be a JSON object");
	check_error_call("null", NVTCP_JSONRPC_INVALID_REQUEST, "must be a JSON object");
	check_error_call("{\"method\":\"echo\",\"id\":1}", NVTCP_JSONRPC_INVALID_REQUEST,
			 "'jsonrpc'");
	check_error_call("{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":1}",
			 NVTCP_JSONRPC_INVALID_REQUEST, "'jsonrpc'");
	check_error_call("{\"jsonrpc\":2.0,\"method\":\"echo\",\"id\":1}",
			 NVTCP_JSONRPC_INVALID_REQUEST, "'jsonrpc'");
	check_error_call("{\"jsonrpc\":\"2.0\",\"id\":1}", NVTCP_JSONRPC_INVALID_REQUEST,
			 "'method'");
	check_error_call("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}",
			 NVTCP_JSONRPC_INVALID_REQUEST, "'method'");
	check_error_call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":true}",
			 NVTCP_JSONRPC_INVALID_REQUEST, "'id'");
	check_error_call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":{}}",
			 NVTCP_JSONRPC_INVALID_REQUEST, "'id'");
	check_error_call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1,\"params\":\"x\"}",
			 NVTCP_JSONRPC_INVALID_PARAMS, "'params'");
	check_error_call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1,\"params\":null}",
			 NVTCP_JSONRPC_INVALID_PARAMS, "'params'");
	check_error_call("{\"jsonrpc\":\"2.0\",\"method\":\"no_such\",\"id\":1}",
			 NVTCP_JSONRPC_METHOD_NOT_FOUND, "Method not found: no_such");

	/* A long unknown name is quoted cut, not whole. */
	memset(big, 'm', 300);
	snprintf(big + 300, sizeof(big) - 300, "\",\"jsonrpc\":\"2.0\",\"id\":1}");
	{
		char req[600];

		snprintf(req, sizeof(req), "{\"method\":\"%s", big);
		check_error_call(req, NVTCP_JSONRPC_PARSE_ERROR, "exceeds the limit of 256");
		snprintf(req, sizeof(req), "{\"method\":\"%s", big + 150);
		check_error_call(req, NVTCP_JSONRPC_METHOD_NOT_FOUND, "mmm...");
		check_error(call(req), NVTCP_JSONRPC_METHOD_NOT_FOUND, "Method not found: mmm");
	}
}

static void
test_parse_errors(void)
{
	check_error_call("{\"jsonrpc\":\"2.0\",", NVTCP_JSONRPC_PARSE_ERROR, "incomplete");
	check_error_call("{\"jsonrpc\" 1}", NVTCP_JSONRPC_PARSE_ERROR, "Parse error at byte");
	check_error_call("{'jsonrpc':'2.0'}", NVTCP_JSONRPC_PARSE_ERROR, "Parse error");
	check_error_call("{\"a\":1} x", NVTCP_JSONRPC_PARSE_ERROR, "data after");
	check_error_call("{\"a\":\"\xff\xfe\"}", NVTCP_JSONRPC_PARSE_ERROR, "Parse error");
	check_error_call("", NVTCP_JSONRPC_PARSE_ERROR, "incomplete");
	/* Deeper than the parser allows. */
	{
		char deep[200];

		memset(deep, '[', 100);
		memset(deep + 100, ']', 100);
		g_nresp = 0;
		CU_ASSERT_EQUAL(nvtcp_jsonrpc_server_call(g_server, deep, sizeof(deep), on_response,
							  &g_nresp), 0);
		CU_ASSERT_EQUAL(g_nresp, 1);
		check_error(json_tokener_parse(g_resp), NVTCP_JSONRPC_PARSE_ERROR, "nesting too deep");
	}
}

static void
test_async(void)
{
	struct nvtcp_jsonrpc_server_stats st;
	struct json_object *resp, *v;

	CU_ASSERT_PTR_NULL(call("{\"jsonrpc\":\"2.0\",\"method\":\"async\",\"id\":9}"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_async);
	CU_ASSERT_EQUAL(g_nresp, 0);
	CU_ASSERT_STRING_EQUAL(nvtcp_jsonrpc_request_method(g_async), "async");
	nvtcp_jsonrpc_send_result(g_async, json_object_new_int(5));
	g_async = NULL;
	CU_ASSERT_EQUAL(g_nresp, 1);
	resp = json_tokener_parse(g_resp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
	CU_ASSERT(json_object_object_get_ex(resp, "result", &v));
	CU_ASSERT_EQUAL(json_object_get_int(v), 5);
	CU_ASSERT(json_object_object_get_ex(resp, "id", &v));
	CU_ASSERT_EQUAL(json_object_get_int(v), 9);
	json_object_put(resp);

	/* An asynchronous error. */
	CU_ASSERT_PTR_NULL(call("{\"jsonrpc\":\"2.0\",\"method\":\"async\",\"id\":10}"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_async);
	nvtcp_jsonrpc_send_error(g_async, NVTCP_JSONRPC_INTERNAL_ERROR, "backend %d failed", 3);
	g_async = NULL;
	check_error(json_tokener_parse(g_resp), NVTCP_JSONRPC_INTERNAL_ERROR, "backend 3 failed");

	nvtcp_jsonrpc_server_get_stats(g_server, &st);
	CU_ASSERT(st.requests > 0);
	CU_ASSERT(st.errors > 0);
	CU_ASSERT_EQUAL(st.clients, 0);
}

/* Last: the server is destroyed with a request pending; its answer only frees it. */
static void
test_orphan_after_destroy(void)
{
	CU_ASSERT_PTR_NULL(call("{\"jsonrpc\":\"2.0\",\"method\":\"async\",\"id\":11}"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_async);
	nvtcp_jsonrpc_server_destroy(g_server);
	g_server = NULL;
	CU_ASSERT_EQUAL(access(g_path, F_OK), -1);
	/* The params stay valid until the answer. */
	CU_ASSERT_STRING_EQUAL(nvtcp_jsonrpc_request_method(g_async), "async");
	g_nresp = 0;
	nvtcp_jsonrpc_send_result(g_async, json_object_new_string("into the void"));
	g_async = NULL;
	CU_ASSERT_EQUAL(g_nresp, 0);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("jsonrpc_request", suite_init, suite_fini);

	CU_ADD_TEST(s, test_register);
	CU_ADD_TEST(s, test_results_and_ids);
	CU_ADD_TEST(s, test_notifications);
	CU_ADD_TEST(s, test_invalid_requests);
	CU_ADD_TEST(s, test_parse_errors);
	CU_ADD_TEST(s, test_async);
	CU_ADD_TEST(s, test_orphan_after_destroy);
}

NVTCP_UT_MAIN(add_tests)
