/*
 * Helpers shared by the command-line tools (nvtcp_identify, nvtcp_discover and the io_verify
 * test tool): the one-line error conventions of their exit statuses, the library log captured
 * while quiet, and the time helpers of their bounded waits. Not part of libnvtcp.
 */
#ifndef NVTCP_APP_TOOL_H
#define NVTCP_APP_TOOL_H

#include <stdarg.h>
#include <stdint.h>

#include "nvtcp/log.h"
#include "nvtcp/nvme.h"

/** The tool's name, first on every line it prints to stderr (set before anything else). */
extern const char *tool_name;

/** The last error the library logged while quiet (tool_quiet_log): a fallback reason. */
extern char tool_last_log_err[256];

/** Print "<tool>: <message> (see --help)" and exit with status 2 (a usage error). */
void tool_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/** Print "<tool>: <message>" on stderr as exactly one line (line breaks become spaces). */
void tool_fail_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Log callback for nvtcp_log_set_print_fn(): keeps the last error, prints nothing. */
void tool_quiet_log(enum nvtcp_log_level level, const char *file, int line, const char *func,
		    const char *fmt, va_list ap);

/**
 * Why an attach failed: the controller's failure reason, else the last error the library
 * logged (tool_quiet_log), else \p rc's errno text.
 */
const char *tool_attach_reason(struct nvtcp_ctrlr *ctrlr, int rc);

/**
 * Check a --psk key file at option time (mode 0600/0400, interchange format, CRC-32), so a bad
 * key is reported naming the option before any connection: on failure prints
 * "<tool>: <option> FILE: <reason>" and exits with status 1. The key read is wiped.
 */
void tool_check_psk_file(const char *option, const char *path);

/**
 * Check a --dhchap-secret / --dhchap-ctrl-secret value at option time: "DHHC-1:..." text, or
 * the path of a file holding it (mode 0600/0400). On failure prints "<tool>: <option>: <reason>"
 * (the reason names a file, never the secret) and exits with status 1. The secret read is
 * wiped; the attach parses the value again.
 */
void tool_check_dhchap_secret(const char *option, const char *value);

/** A step's own deadline within an overall timeout, so that the overall one reports first. */
uint32_t tool_step_timeout_ms(unsigned int timeout_s);

/** CLOCK_MONOTONIC in milliseconds. */
uint64_t tool_now_ms(void);

#endif /* NVTCP_APP_TOOL_H */
