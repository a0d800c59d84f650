/**
 * @file
 * Logging for every nvtcp component.
 *
 * Messages go to stderr by default, or to a callback the embedding application installs.
 * Protocol errors are logged with the queue id and the offending values, at ERROR level.
 */
#ifndef NVTCP_LOG_H
#define NVTCP_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Log levels, most severe first. */
enum nvtcp_log_level {
	NVTCP_LOG_ERROR = 0,
	NVTCP_LOG_WARN = 1,
	NVTCP_LOG_NOTICE = 2,
	NVTCP_LOG_INFO = 3,
	NVTCP_LOG_DEBUG = 4,
};

/**
 * Callback that receives every message at or above the current level.
 *
 * \param level Level of the message.
 * \param file Source file that logged it.
 * \param line Source line.
 * \param func Function name.
 * \param fmt printf format.
 * \param ap Arguments of the format.
 */
typedef void (*nvtcp_log_fn)(enum nvtcp_log_level level, const char *file, int line,
			     const char *func, const char *fmt, va_list ap);

/**
 * Set the most verbose level that is printed (default NVTCP_LOG_NOTICE, or the value of the
 * environment variable NVTCP_LOG_LEVEL: error, warn, notice, info or debug).
 *
 * \param level New level.
 */
void nvtcp_log_set_level(enum nvtcp_log_level level);

/**
 * Get the current log level.
 *
 * \return The most verbose level that is printed.
 */
enum nvtcp_log_level nvtcp_log_get_level(void);

/**
 * Parse a level name.
 *
 * \param name "error", "warn", "notice", "info" or "debug" (case-insensitive).
 * \param level Set on success.
 * \return 0 on success, -EINVAL for an unknown name.
 */
int nvtcp_log_parse_level(const char *name, enum nvtcp_log_level *level);

/**
 * Route messages to a callback instead of stderr.
 *
 * \param fn Callback, or NULL to go back to stderr.
 */
void nvtcp_log_set_callback(nvtcp_log_fn fn);

/**
 * Log one message. Use the NVTCP_*LOG macros rather than calling this directly.
 *
 * \param level Level of the message.
 * \param file Source file.
 * \param line Source line.
 * \param func Function name.
 * \param fmt printf format followed by its arguments.
 */
void nvtcp_log(enum nvtcp_log_level level, const char *file, int line, const char *func,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/**
 * Whether a message at this level would be printed; lets callers skip building expensive
 * messages.
 *
 * \param level Level to check.
 * \return true when printed.
 */
bool nvtcp_log_enabled(enum nvtcp_log_level level);

#define NVTCP_LOG_AT(level, ...)                                                              \
	do {                                                                                  \
		if (nvtcp_log_enabled(level)) {                                               \
			nvtcp_log(level, __FILE__, __LINE__, __func__, __VA_ARGS__);          \
		}                                                                             \
	} while (0)

#define NVTCP_ERRLOG(...) NVTCP_LOG_AT(NVTCP_LOG_ERROR, __VA_ARGS__)
#define NVTCP_WARNLOG(...) NVTCP_LOG_AT(NVTCP_LOG_WARN, __VA_ARGS__)
#define NVTCP_NOTICELOG(...) NVTCP_LOG_AT(NVTCP_LOG_NOTICE, __VA_ARGS__)
#define NVTCP_INFOLOG(...) NVTCP_LOG_AT(NVTCP_LOG_INFO, __VA_ARGS__)
#define NVTCP_DEBUGLOG(...) NVTCP_LOG_AT(NVTCP_LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_LOG_H */
