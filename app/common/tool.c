/*
 * Helpers shared by the command-line tools; see tool.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"
#include "nvtcp/auth.h"
#include "nvtcp/tls.h"

const char *tool_name = "nvtcp";
char tool_last_log_err[256];

void
tool_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(2);
}

void
tool_fail_line(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One line, whatever the pieces contained. */
	for (char *p = line; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r') {
			*p = ' ';
		}
	}
	fprintf(stderr, "%s: %s\n", tool_name, line);
}

void
tool_quiet_log(enum nvtcp_log_level level, const char *file, int line, const char *func,
	       const char *fmt, va_list ap)
{
	size_t n;

	(void)file;
	(void)line;
	(void)func;
	if (level != NVTCP_LOG_ERROR) {
		return;
	}
	vsnprintf(tool_last_log_err, sizeof(tool_last_log_err), fmt, ap);
	n = strlen(tool_last_log_err);
	while (n > 0 && (tool_last_log_err[n - 1] == '\n' || tool_last_log_err[n - 1] == ' ')) {
		tool_last_log_err[--n] = '\0';
	}
}

const char *
tool_attach_reason(struct nvtcp_ctrlr *ctrlr, int rc)
{
	const char *r = ctrlr != NULL ? nvtcp_ctrlr_get_failure_reason(ctrlr) : NULL;

	if (r != NULL && r[0] != '\0') {
		return r;
	}
	if (tool_last_log_err[0] != '\0') {
		return tool_last_log_err;
	}
	return strerror(-rc);
}

uint32_t
tool_step_timeout_ms(unsigned int timeout_s)
{
	return timeout_s * 1000 > 1000 ? timeout_s * 1000 - 500 : 500;
}

uint64_t
tool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
tool_check_psk_file(const char *option, const char *path)
{
	struct nvtcp_tls_psk psk;
	char err[512];
	int rc;

	err[0] = '\0';
	rc = nvtcp_tls_psk_load_file(path, &psk, err, sizeof(err));
	nvtcp_tls_psk_wipe(&psk);
	if (rc != 0 && err[0] != '\0') {
		tool_fail_line("%s: %s", option, err); /* the reason names the file */
		exit(1);
	}
	if (rc != 0) {
		tool_fail_line("%s %s: %s", option, path, strerror(-rc));
		exit(1);
	}
}

void
tool_check_dhchap_secret(const char *option, const char *value)
{
	struct nvtcp_auth_secret secret;
	char err[512];
	int rc;

	err[0] = '\0';
	rc = nvtcp_auth_secret_load(value, &secret, err, sizeof(err));
	nvtcp_auth_secret_wipe(&secret);
	if (rc != 0) {
		/* lib/auth's reasons never quote the secret; never print the value either: it
		 * may be the secret itself. */
		tool_fail_line("%s: %s", option, err[0] != '\0' ? err : strerror(-rc));
		exit(1);
	}
}
