/*
 * Logging. The level is a plain global read on every log macro; it is written rarely (start-up,
 * tests), so a relaxed atomic is enough and costs nothing on the hot path.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "nvtcp/log.h"

static _Atomic int g_level = -1;
static _Atomic(nvtcp_log_fn) g_fn;

static const char *const g_names[] = {"error", "warn", "notice", "info", "debug"};

int
nvtcp_log_parse_level(const char *name, enum nvtcp_log_level *level)
{
	for (size_t i = 0; i < sizeof(g_names) / sizeof(g_names[0]); i++) {
		if (name != NULL && strcasecmp(name, g_names[i]) == 0) {
			*level = (enum nvtcp_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int
level_get(void)
{
	int level = atomic_load_explicit(&g_level, memory_order_relaxed);

	if (level < 0) {
		/* First use: the environment may choose the level, so that tests and tools can
		 * be made verbose without a flag. */
		enum nvtcp_log_level parsed = NVTCP_LOG_NOTICE;
		const char *env = getenv("NVTCP_LOG_LEVEL");

		if (env != NULL && nvtcp_log_parse_level(env, &parsed) != 0) {
			fprintf(stderr, "nvtcp: ignoring NVTCP_LOG_LEVEL=%s (use error, warn, "
				"notice, info or debug)\n", env);
		}
		level = (int)parsed;
		atomic_store_explicit(&g_level, level, memory_order_relaxed);
	}
	return level;
}

void
nvtcp_log_set_level(enum nvtcp_log_level level)
{
	atomic_store_explicit(&g_level, (int)level, memory_order_relaxed);
}

enum nvtcp_log_level
nvtcp_log_get_level(void)
{
	return (enum nvtcp_log_level)level_get();
}

bool
nvtcp_log_enabled(enum nvtcp_log_level level)
{
	return (int)level <= level_get();
}

void
nvtcp_log_set_callback(nvtcp_log_fn fn)
{
	atomic_store(&g_fn, fn);
}

void
nvtcp_log(enum nvtcp_log_level level, const char *file, int line, const char *func,
	  const char *fmt, ...)
{
	nvtcp_log_fn fn = atomic_load(&g_fn);
	va_list ap;

	if (!nvtcp_log_enabled(level)) {
		return;
	}
	va_start(ap, fmt);
	if (fn != NULL) {
		fn(level, file, line, func, fmt, ap);
	} else {
		/* One buffer and one write per message, so that lines from several threads do
		 * not interleave. */
		char buf[1024];
		struct timespec ts;
		const char *base = strrchr(file, '/');
		int n;

		clock_gettime(CLOCK_REALTIME, &ts);
		n = snprintf(buf, sizeof(buf), "[%ld.%06ld] %s: %s:%d %s: ", (long)ts.tv_sec,
			     ts.tv_nsec / 1000, g_names[level], base ? base + 1 : file, line, func);
		if (n > 0 && (size_t)n < sizeof(buf)) {
			int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);

			if (m > 0) {
				n += m;
			}
		}
		if (n < 0) {
			n = 0;
		}
		if ((size_t)n >= sizeof(buf) - 1) {
			n = (int)sizeof(buf) - 2;
		}
		if (n == 0 || buf[n - 1] != '\n') {
			buf[n++] = '\n';
		}
		fwrite(buf, 1, (size_t)n, stderr);
	}
	va_end(ap);
}
