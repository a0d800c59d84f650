/*
 * Unit tests of lib/util/log.c: level names, the NVTCP_LOG_LEVEL variable, filtering, the
 * callback and the default stderr format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvtcp/log.h"

#include "ut.h"

static int g_calls;
static enum nvtcp_log_level g_last_level;
static char g_last_msg[256];
static char g_last_func[64];
static int g_last_line;

static void
capture(enum nvtcp_log_level level, const char *file, int line, const char *func,
	const char *fmt, va_list ap)
{
	g_calls++;
	g_last_level = level;
	g_last_line = line;
	snprintf(g_last_func, sizeof(g_last_func), "%s", func);
	vsnprintf(g_last_msg, sizeof(g_last_msg), fmt, ap);
	CU_ASSERT(strstr(file, "log_ut.c") != NULL);
}

/* Runs first: the level comes from the environment on first use. */
static void
test_env_level(void)
{
	setenv("NVTCP_LOG_LEVEL", "Debug", 1);
	CU_ASSERT_EQUAL(nvtcp_log_get_level(), NVTCP_LOG_DEBUG);
	CU_ASSERT(nvtcp_log_enabled(NVTCP_LOG_DEBUG));
	unsetenv("NVTCP_LOG_LEVEL");
}

static void
test_parse_level(void)
{
	enum nvtcp_log_level l = NVTCP_LOG_NOTICE;

	CU_ASSERT_EQUAL(nvtcp_log_parse_level("error", &l), 0);
	CU_ASSERT_EQUAL(l, NVTCP_LOG_ERROR);
	CU_ASSERT_EQUAL(nvtcp_log_parse_level("WARN", &l), 0);
	CU_ASSERT_EQUAL(l, NVTCP_LOG_WARN);
	CU_ASSERT_EQUAL(nvtcp_log_parse_level("Notice", &l), 0);
	CU_ASSERT_EQUAL(l, NVTCP_LOG_NOTICE);
	CU_ASSERT_EQUAL(nvtcp_log_parse_level("info", &l), 0);
	CU_ASSERT_EQUAL(l, NVTCP_LOG_INFO);
	CU_ASSERT_EQUAL(nvtcp_log_parse_level("debug", &l), 0);
	CU_ASSERT_EQUAL(l, NVTCP_LOG_DEBUG);
	l = NVTCP_LOG_INFO;
	CU_ASSERT_EQUAL(nvtcp_log_parse_level("warning", &l), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_log_parse_level("", &l), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_log_parse_level("debugx", &l), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_log_parse_level(NULL, &l), -EINVAL);
	CU_ASSERT_EQUAL(l, NVTCP_LOG_INFO);
}

static void
test_callback_and_filter(void)
{
	int line;

	nvtcp_log_set_callback(capture);
	nvtcp_log_set_level(NVTCP_LOG_NOTICE);
	CU_ASSERT_EQUAL(nvtcp_log_get_level(), NVTCP_LOG_NOTICE);
	g_calls = 0;

	line = __LINE__ + 1;
	NVTCP_ERRLOG("queue %d: bad value %u", 3, 17u);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_last_level, NVTCP_LOG_ERROR);
	CU_ASSERT_STRING_EQUAL(g_last_msg, "queue 3: bad value 17");
	CU_ASSERT_STRING_EQUAL(g_last_func, "test_callback_and_filter");
	CU_ASSERT_EQUAL(g_last_line, line);

	NVTCP_WARNLOG("w");
	NVTCP_NOTICELOG("n");
	CU_ASSERT_EQUAL(g_calls, 3);
	CU_ASSERT_EQUAL(g_last_level, NVTCP_LOG_NOTICE);
	/* Below the level: filtered. */
	NVTCP_INFOLOG("i");
	NVTCP_DEBUGLOG("d");
	CU_ASSERT_EQUAL(g_calls, 3);
	CU_ASSERT(!nvtcp_log_enabled(NVTCP_LOG_INFO));
	/* Direct calls are filtered too. */
	nvtcp_log(NVTCP_LOG_DEBUG, __FILE__, __LINE__, __func__, "x");
	CU_ASSERT_EQUAL(g_calls, 3);

	nvtcp_log_set_level(NVTCP_LOG_DEBUG);
	NVTCP_DEBUGLOG("now %s", "visible");
	CU_ASSERT_EQUAL(g_calls, 4);
	CU_ASSERT_STRING_EQUAL(g_last_msg, "now visible");

	nvtcp_log_set_level(NVTCP_LOG_ERROR);
	NVTCP_WARNLOG("hidden");
	NVTCP_ERRLOG("shown");
	CU_ASSERT_EQUAL(g_calls, 5);
	CU_ASSERT_STRING_EQUAL(g_last_msg, "shown");

	nvtcp_log_set_callback(NULL);
	nvtcp_log_set_level(NVTCP_LOG_NOTICE);
}

static void
test_stderr_format(void)
{
	char path[] = "/tmp/nvtcp_log_ut_XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(STDERR_FILENO);
	char text[512] = "";
	FILE *f;
	size_t n;

	CU_ASSERT_FATAL(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	g_calls = 0;
	nvtcp_log_set_callback(capture);
	nvtcp_log_set_callback(NULL);
	NVTCP_WARNLOG("to stderr %d", 42);
	NVTCP_INFOLOG("not shown");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	/* The callback was removed: nothing reached it. */
	CU_ASSERT_EQUAL(g_calls, 0);
	f = fdopen(fd, "r");
	CU_ASSERT_FATAL(f != NULL);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	/* One line: level, file, function, message, newline. */
	CU_ASSERT(strstr(text, "warn: log_ut.c:") != NULL);
	CU_ASSERT(strstr(text, "test_stderr_format: to stderr 42\n") != NULL);
	CU_ASSERT(strstr(text, "not shown") == NULL);
	CU_ASSERT(strchr(text, '\n') == text + n - 1);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("log", NULL, NULL);

	CU_ADD_TEST(s, test_env_level);
	CU_ADD_TEST(s, test_parse_level);
	CU_ADD_TEST(s, test_callback_and_filter);
	CU_ADD_TEST(s, test_stderr_format);
}

NVTCP_UT_MAIN(add_tests)
