/*
 * Internals of lib/fabrics shared by its source files and its unit tests.
 */
#ifndef NVTCP_FABRICS_INTERNAL_H
#define NVTCP_FABRICS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvtcp/util.h"
#include "nvtcp/fabrics.h"

/** Environment variable that replaces the /etc/nvme directory (tests, containers). */
#define FABRICS_ETC_NVME_ENV "NVTCP_ETC_NVME"
/** Where the Linux host (nvme-cli, libnvme) keeps hostnqn and hostid. */
#define FABRICS_ETC_NVME_DEFAULT "/etc/nvme"
/** Length of a UUID in text form, without the NUL. */
#define FABRICS_UUID_STR_LEN 36

/**
 * Parse a UUID in the strict 36-character form (8-4-4-4-12 hexadecimal digits).
 *
 * \return 0 or -EINVAL.
 */
int fabrics_uuid_parse(const char *str, size_t len, uint8_t uuid[16]);

/** Format a UUID in lower case; \p out holds FABRICS_UUID_STR_LEN + 1 bytes. */
void fabrics_uuid_format(const uint8_t uuid[16], char *out);

/** Kinds of transport address text. */
enum fabrics_addr_kind {
	FABRICS_ADDR_INVALID = 0,
	FABRICS_ADDR_IPV4,     /**< numeric IPv4 */
	FABRICS_ADDR_IPV6,     /**< numeric IPv6, optionally with a %zone */
	FABRICS_ADDR_HOSTNAME, /**< a host name (resolved at connect time) */
};

/**
 * Classify a transport address: numeric IPv4 or IPv6, a syntactically valid host name, or
 * invalid (with the reason in \p why).
 */
enum fabrics_addr_kind fabrics_addr_classify(const char *addr, const char **why);

#endif /* NVTCP_FABRICS_INTERNAL_H */
