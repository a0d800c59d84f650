/*
 * NQN validation (NVMe Base Specification, "NVMe Qualified Names"), UUID text helpers and the
 * error-message helper shared by the files of lib/fabrics.
 *
 * An NQN is one of:
 *   - the well-known discovery NQN, "nqn.2014-08.org.nvmexpress.discovery";
 *   - the UUID form, "nqn.2014-08.org.nvmexpress:uuid:" + a 36-character UUID;
 *   - "nqn." + date code "yyyy-mm" + "." + reverse domain name of the naming authority,
 *     optionally followed by ":" and a string the authority chooses (UTF-8).
 * At most 223 bytes, because the fields that carry it are 256 bytes with room reserved.
 *
 * The checks follow the specification's grammar, not any one implementation, but they accept
 * every NQN the Linux kernel target and SPDK create by default (e.g. "nqn.2016-06.io.spdk:cnode1",
 * "nqn.2014-08.org.nvmexpress:uuid:...").
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nvtcp/util.h"
#include "fabrics_internal.h"
#include "nvtcp/nvmf_spec.h"

#define NQN_PREFIX "nqn."
#define NQN_PREFIX_LEN 4
/* "nqn." + "yyyy-mm" + "." */
#define NQN_DOMAIN_START 12
/* RFC 1035 label limit. */
#define DOMAIN_LABEL_MAX 63

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int
fabrics_uuid_parse(const char *str, size_t len, uint8_t uuid[16])
{
	uint8_t out[16];
	size_t n = 0;

	if (str == NULL || len != FABRICS_UUID_STR_LEN) {
		return -EINVAL;
	}
	for (size_t i = 0; i < FABRICS_UUID_STR_LEN;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (str[i] != '-') {
				return -EINVAL;
			}
			i++;
			continue;
		}
		hi = hexval(str[i]);
		lo = hexval(str[i + 1]);
		if (hi < 0 || lo < 0) {
			return -EINVAL;
		}
		out[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	memcpy(uuid, out, sizeof(out));
	return 0;
}

void
fabrics_uuid_format(const uint8_t uuid[16], char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			out[o++] = '-';
		}
		out[o++] = digits[uuid[i] >> 4];
		out[o++] = digits[uuid[i] & 0xF];
	}
	out[o] = '\0';
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not valid:
 * overlong forms, surrogates and code points above U+10FFFF are rejected.
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80) {
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n) {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF)) {
		return 0;
	}
	return len;
}

/* The reverse domain name [start, end) of an NQN: dot-separated LDH labels. */
static bool
domain_valid(const char *nqn, size_t start, size_t end, char *err, size_t errlen)
{
	size_t label_start = start;

	if (end == start) {
		nvtcp_errf(err, errlen, "NQN '%s' has no domain name after the date code", nqn);
		return false;
	}
	for (size_t i = start; i <= end; i++) {
		size_t llen;

		if (i < end && nqn[i] != '.') {
			char c = nqn[i];

			if (!isalnum((unsigned char)c) && c != '-') {
				nvtcp_errf(err, errlen, "NQN '%s': the domain name may contain "
					   "only letters, digits, '-' and '.' (found '%c')", nqn,
					   c);
				return false;
			}
			continue;
		}
		/* End of a label at i. */
		llen = i - label_start;
		if (llen == 0) {
			nvtcp_errf(err, errlen, "NQN '%s': empty label in the domain name", nqn);
			return false;
		}
		if (llen > DOMAIN_LABEL_MAX) {
			nvtcp_errf(err, errlen, "NQN '%s': a domain name label is longer than %d",
				   nqn, DOMAIN_LABEL_MAX);
			return false;
		}
		if (!isalpha((unsigned char)nqn[label_start])) {
			nvtcp_errf(err, errlen, "NQN '%s': domain name labels must start with a "
				   "letter", nqn);
			return false;
		}
		if (!isalnum((unsigned char)nqn[i - 1])) {
			nvtcp_errf(err, errlen, "NQN '%s': domain name labels must end with a "
				   "letter or digit", nqn);
			return false;
		}
		label_start = i + 1;
	}
	return true;
}

bool
nvtcp_nqn_valid(const char *nqn, char *err, size_t errlen)
{
	static const char uuid_prefix[] = NVTCP_NVMF_NQN_UUID_PREFIX;
	const size_t uuid_prefix_len = sizeof(uuid_prefix) - 1;
	const char *colon;
	size_t len, domain_end;
	int month;

	if (nqn == NULL) {
		nvtcp_errf(err, errlen, "no NQN given");
		return false;
	}
	len = strnlen(nqn, NVTCP_NQN_MAX_LEN + 1);
	if (len == 0) {
		nvtcp_errf(err, errlen, "the NQN is empty");
		return false;
	}
	if (len > NVTCP_NQN_MAX_LEN) {
		nvtcp_errf(err, errlen, "NQN '%.40s...' is %zu bytes long, more than %d", nqn,
			   strlen(nqn), NVTCP_NQN_MAX_LEN);
		return false;
	}
	if (strcmp(nqn, NVTCP_DISCOVERY_NQN) == 0) {
		return true;
	}
	if (strncmp(nqn, uuid_prefix, uuid_prefix_len) == 0) {
		uint8_t uuid[16];

		if (fabrics_uuid_parse(nqn + uuid_prefix_len, len - uuid_prefix_len, uuid) != 0) {
			nvtcp_errf(err, errlen, "NQN '%s': the text after '%s' must be a UUID "
				   "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", nqn, uuid_prefix);
			return false;
		}
		return true;
	}
	if (strncmp(nqn, NQN_PREFIX, NQN_PREFIX_LEN) != 0) {
		nvtcp_errf(err, errlen, "NQN '%s' must begin with \"nqn.\"", nqn);
		return false;
	}
	if (len < NQN_DOMAIN_START || !isdigit((unsigned char)nqn[4]) ||
	    !isdigit((unsigned char)nqn[5]) || !isdigit((unsigned char)nqn[6]) ||
	    !isdigit((unsigned char)nqn[7]) || nqn[8] != '-' || !isdigit((unsigned char)nqn[9]) ||
	    !isdigit((unsigned char)nqn[10]) || nqn[11] != '.') {
		nvtcp_errf(err, errlen, "NQN '%s' must continue with a date code \"yyyy-mm.\" "
			   "after \"nqn.\"", nqn);
		return false;
	}
	month = (nqn[9] - '0') * 10 + (nqn[10] - '0');
	if (month < 1 || month > 12) {
		nvtcp_errf(err, errlen, "NQN '%s': month %02d of the date code is not 01..12",
			   nqn, month);
		return false;
	}
	colon = strchr(nqn + NQN_DOMAIN_START, ':');
	domain_end = colon != NULL ? (size_t)(colon - nqn) : len;
	if (!domain_valid(nqn, NQN_DOMAIN_START, domain_end, err, errlen)) {
		return false;
	}
	if (colon == NULL) {
		return true;
	}
	if (domain_end + 1 == len) {
		nvtcp_errf(err, errlen, "NQN '%s': nothing follows the ':'", nqn);
		return false;
	}
	for (size_t i = domain_end + 1; i < len;) {
		const unsigned char *s = (const unsigned char *)nqn + i;
		size_t n = utf8_seq_len(s, len - i);

		if (n == 0) {
			nvtcp_errf(err, errlen, "NQN: byte %zu (0x%02x) is not valid UTF-8", i,
				   s[0]);
			return false;
		}
		if (n == 1 && (s[0] < 0x20 || s[0] == 0x7F)) {
			nvtcp_errf(err, errlen, "NQN: byte %zu is a control character (0x%02x)",
				   i, s[0]);
			return false;
		}
		i += n;
	}
	return true;
}
