/*
 * Strict parsing of numbers and sizes, and fixed-width string fields.
 *
 * The parsers are hand-written rather than built on strtoull() because strtoull() accepts what
 * we must reject: leading whitespace, a sign ("-1" wraps to UINT64_MAX), octal for a leading 0,
 * and it needs errno juggling to see overflow. Every CLI value and config field goes through
 * these, so "bad input gets a clear error" starts here.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nvtcp/util.h"

static int
hex_value(char c)
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

/*
 * Parse the longest number at the start of str. Returns the number of characters consumed
 * (0 = no number), or -ERANGE on overflow of 64 bits.
 */
static int
parse_number(const char *str, uint64_t *val)
{
	unsigned int base = 10;
	const char *p = str;
	uint64_t v = 0;
	int digits = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		int d = base == 16 ? hex_value(*p) : (*p >= '0' && *p <= '9' ? *p - '0' : -1);

		if (d < 0) {
			break;
		}
		if (v > (UINT64_MAX - (uint64_t)d) / base) {
			return -ERANGE;
		}
		v = v * base + (uint64_t)d;
		digits++;
	}
	if (digits == 0) {
		/* "0x" without digits is not a number; a bare "0" was consumed as a digit. */
		return 0;
	}
	*val = v;
	return (int)(p - str);
}

int
nvtcp_parse_u64(const char *str, uint64_t max, uint64_t *val)
{
	uint64_t v;
	int n;

	if (str == NULL || str[0] == '\0') {
		return -EINVAL;
	}
	n = parse_number(str, &v);
	if (n < 0) {
		return n;
	}
	if (n == 0 || str[n] != '\0') {
		return -EINVAL;
	}
	if (v > max) {
		return -ERANGE;
	}
	*val = v;
	return 0;
}

int
nvtcp_parse_size(const char *str, uint64_t *bytes)
{
	unsigned int shift = 0;
	const char *p;
	uint64_t v;
	int n;

	if (str == NULL || str[0] == '\0') {
		return -EINVAL;
	}
	n = parse_number(str, &v);
	if (n < 0) {
		return n;
	}
	if (n == 0) {
		return -EINVAL;
	}
	p = str + n;
	switch (tolower((unsigned char)*p)) {
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	default:
		break;
	}
	if (shift != 0) {
		p++;
		/* "K", "KB" and "KiB" all mean 1024. */
		if (tolower((unsigned char)p[0]) == 'i' && tolower((unsigned char)p[1]) == 'b') {
			p += 2;
		} else if (tolower((unsigned char)p[0]) == 'b') {
			p++;
		}
	} else if (tolower((unsigned char)*p) == 'b') {
		/* Plain bytes: "512B". */
		p++;
	}
	if (*p != '\0') {
		return -EINVAL;
	}
	if (shift != 0 && v > (UINT64_MAX >> shift)) {
		return -ERANGE;
	}
	*bytes = v << shift;
	return 0;
}

int
nvtcp_strcpy_pad(void *dst, size_t size, const char *src, int pad)
{
	size_t len = strlen(src);

	if (len > size) {
		memcpy(dst, src, size);
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, len);
	memset((char *)dst + len, pad, size - len);
	return 0;
}

size_t
nvtcp_str_from_field(char *dst, const void *src, size_t size)
{
	const unsigned char *s = src;
	/* A NUL ends the text (NUL-padded fields); trailing spaces are padding too. */
	size_t len = strnlen(src, size);

	while (len > 0 && s[len - 1] == ' ') {
		len--;
	}
	for (size_t i = 0; i < len; i++) {
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '.';
	}
	dst[len] = '\0';
	return len;
}

void
nvtcp_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
