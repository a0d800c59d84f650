/*
 * fault_proxy: parsing of fault schedules and the seeded random generator.
 *
 * Everything here is pure (no I/O, no clock) so that it can be unit-tested, and so that a
 * failing soak run can be replayed: every random decision of the proxy comes from a generator
 * seeded from --seed and a stream number (the connection ID, or 0 for global schedules).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "fault_proxy.h"
#include "nvtcp/nvme_tcp_spec.h"
#include "nvtcp/util.h"

/* ---- Numbers and ranges -------------------------------------------------------------------- */

static int
parse_num(const char *str, bool sizes, uint64_t *val)
{
	if (str[0] == '\0') {
		return -EINVAL;
	}
	return sizes ? nvtcp_parse_size(str, val) : nvtcp_parse_u64(str, UINT64_MAX, val);
}

int
fp_parse_range(const char *str, bool sizes, struct fp_range *range)
{
	char buf[64];
	const char *dash;
	int rc;

	if (str == NULL || strlen(str) >= sizeof(buf)) {
		return -EINVAL;
	}
	dash = strchr(str, '-');
	if (dash == NULL) {
		rc = parse_num(str, sizes, &range->lo);
		range->hi = range->lo;
		return rc;
	}
	memcpy(buf, str, (size_t)(dash - str));
	buf[dash - str] = '\0';
	rc = parse_num(buf, sizes, &range->lo);
	if (rc == 0) {
		rc = parse_num(dash + 1, sizes, &range->hi);
	}
	if (rc == 0 && range->lo > range->hi) {
		rc = -EINVAL;
	}
	return rc;
}

int
fp_parse_prob(const char *str, uint32_t *ppm)
{
	uint64_t whole = 0, frac = 0, scale = FP_PPM;
	const char *p = str;
	bool percent = false, digits = false;
	size_t len;

	if (str == NULL || str[0] == '\0') {
		return -EINVAL;
	}
	len = strlen(str);
	if (str[len - 1] == '%') {
		percent = true;
		len--;
	}
	/* Fixed point by hand: no locale, no float rounding surprises. */
	while ((size_t)(p - str) < len && isdigit((unsigned char)*p)) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 100) {
			return -EINVAL;
		}
		p++;
		digits = true;
	}
	if ((size_t)(p - str) < len && *p == '.') {
		p++;
		while ((size_t)(p - str) < len && isdigit((unsigned char)*p)) {
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
			p++;
			digits = true;
		}
	}
	if (!digits || (size_t)(p - str) != len) {
		return -EINVAL;
	}
	/* whole + frac / 10^6, as parts per million (of 1, or of 100 with %). */
	whole = whole * FP_PPM + frac;
	if (percent) {
		whole /= 100;
	}
	if (whole > FP_PPM) {
		return -EINVAL;
	}
	*ppm = (uint32_t)whole;
	return 0;
}

int
fp_parse_dir(const char *str, unsigned int *dirs)
{
	if (strcasecmp(str, "h2c") == 0) {
		*dirs = FP_DIR_H2C;
	} else if (strcasecmp(str, "c2h") == 0) {
		*dirs = FP_DIR_C2H;
	} else if (strcasecmp(str, "both") == 0) {
		*dirs = FP_DIR_BOTH;
	} else {
		return -EINVAL;
	}
	return 0;
}

int
fp_split_dir(char *str, unsigned int *dirs)
{
	char *at = strrchr(str, '@');

	*dirs = FP_DIR_BOTH;
	if (at == NULL) {
		return 0;
	}
	*at = '\0';
	return fp_parse_dir(at + 1, dirs);
}

/* Split "A:B" at the colon into two buffers. */
static int
split_colon(const char *str, char *a, size_t alen, char *b, size_t blen, bool b_required)
{
	const char *colon = strchr(str, ':');
	size_t n;

	if (colon == NULL) {
		if (b_required || strlen(str) >= alen) {
			return -EINVAL;
		}
		strcpy(a, str);
		b[0] = '\0';
		return 0;
	}
	n = (size_t)(colon - str);
	if (n >= alen || strlen(colon + 1) >= blen) {
		return -EINVAL;
	}
	memcpy(a, str, n);
	a[n] = '\0';
	strcpy(b, colon + 1);
	return 0;
}

int
fp_parse_stall(const char *str, struct fp_stall_spec *spec)
{
	char a[64], b[64];
	int rc;

	memset(spec, 0, sizeof(*spec));
	rc = split_colon(str, a, sizeof(a), b, sizeof(b), true);
	if (rc == 0) {
		rc = fp_parse_prob(a, &spec->ppm);
	}
	if (rc == 0) {
		rc = fp_parse_range(b, false, &spec->ms);
	}
	return rc;
}

int
fp_parse_stall_every(const char *str, struct fp_stall_spec *spec)
{
	char a[64], b[64];
	int rc;

	memset(spec, 0, sizeof(*spec));
	rc = split_colon(str, a, sizeof(a), b, sizeof(b), true);
	if (rc == 0) {
		rc = fp_parse_range(a, false, &spec->every);
	}
	if (rc == 0 && spec->every.hi == 0) {
		rc = -EINVAL; /* an interval of 0 ms would stall for ever */
	}
	if (rc == 0) {
		rc = fp_parse_range(b, false, &spec->ms);
	}
	return rc;
}

int
fp_parse_coalesce(const char *str, struct fp_coalesce_spec *spec)
{
	char a[64], b[64];
	int rc;

	rc = split_colon(str, a, sizeof(a), b, sizeof(b), false);
	if (rc == 0) {
		rc = parse_num(a, true, &spec->bytes);
	}
	if (rc == 0 && spec->bytes == 0) {
		rc = -EINVAL;
	}
	spec->ms = 2;
	if (rc == 0 && b[0] != '\0') {
		rc = nvtcp_parse_u64(b, 60000, &spec->ms);
	}
	return rc;
}

/* ---- Flip targets and PDU types ------------------------------------------------------------ */

static const struct {
	const char *name;
	unsigned int mask;
} g_where_names[] = {
	{"ch", FP_WHERE_CH},
	{"psh", FP_WHERE_PSH},
	{"hdr", FP_WHERE_HDR},
	{"hdgst", FP_WHERE_HDGST},
	{"pad", FP_WHERE_PAD},
	{"data", FP_WHERE_DATA},
	{"ddgst", FP_WHERE_DDGST},
	{"digest", FP_WHERE_DIGEST},
	{"any", FP_WHERE_ANY},
};

/* Call fn on each comma-separated item of str (items up to 31 characters). */
static int
for_each_item(const char *str, int (*fn)(const char *item, void *ctx), void *ctx)
{
	const char *p = str;

	if (str == NULL || str[0] == '\0') {
		return -EINVAL;
	}
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		char item[32];
		int rc;

		if (n == 0 || n >= sizeof(item)) {
			return -EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		rc = fn(item, ctx);
		if (rc != 0) {
			return rc;
		}
		if (end == NULL) {
			return 0;
		}
		p = end + 1;
	}
}

static int
where_item(const char *item, void *ctx)
{
	unsigned int *mask = ctx;

	for (size_t i = 0; i < NVTCP_COUNTOF(g_where_names); i++) {
		if (strcasecmp(item, g_where_names[i].name) == 0) {
			*mask |= g_where_names[i].mask;
			return 0;
		}
	}
	return -EINVAL;
}

int
fp_parse_where(const char *str, unsigned int *mask)
{
	unsigned int m = 0;
	int rc = for_each_item(str, where_item, &m);

	if (rc == 0) {
		*mask = m;
	}
	return rc;
}

const char *
fp_region_str(enum fp_region region)
{
	switch (region) {
	case FP_REGION_CH: return "ch";
	case FP_REGION_PSH: return "psh";
	case FP_REGION_HDGST: return "hdgst";
	case FP_REGION_PAD: return "pad";
	case FP_REGION_DATA: return "data";
	case FP_REGION_DDGST: return "ddgst";
	case FP_REGION_UNKNOWN: return "unknown";
	default: return "?";
	}
}

static int
type_item(const char *item, void *ctx)
{
	uint32_t *mask = ctx;
	uint64_t v;

	if (isdigit((unsigned char)item[0])) {
		if (nvtcp_parse_u64(item, 0xFF, &v) != 0 || !nvtcp_tcp_pdu_type_valid((uint8_t)v)) {
			return -EINVAL;
		}
		*mask |= 1u << v;
		return 0;
	}
	for (unsigned int t = 0; t < 16; t++) {
		if (nvtcp_tcp_pdu_type_valid((uint8_t)t) &&
		    strcasecmp(item, nvtcp_tcp_pdu_type_str((uint8_t)t)) == 0) {
			*mask |= 1u << t;
			return 0;
		}
	}
	return -EINVAL;
}

int
fp_parse_pdu_types(const char *str, uint32_t *mask)
{
	uint32_t m = 0;
	int rc = for_each_item(str, type_item, &m);

	if (rc == 0) {
		*mask = m;
	}
	return rc;
}

int
fp_parse_hostport(const char *str, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *h, *colon;
	size_t hl;
	uint64_t v;

	if (str == NULL) {
		return -EINVAL;
	}
	if (str[0] == '[') {
		const char *close = strchr(str, ']');

		if (close == NULL || close[1] != ':') {
			return -EINVAL;
		}
		h = str + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(str, ':');
		if (colon == NULL) {
			return -EINVAL;
		}
		h = str;
		hl = (size_t)(colon - str);
		/* An unbracketed IPv6 address is ambiguous: "::1:4420". */
		if (memchr(h, ':', hl) != NULL) {
			return -EINVAL;
		}
	}
	if (hl == 0 || colon[1] == '\0' || nvtcp_parse_u64(colon + 1, 65535, &v) != 0) {
		return -EINVAL;
	}
	if (hl >= hostlen || strlen(colon + 1) >= portlen) {
		return -ENAMETOOLONG;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

int
fp_parse_reset_how(const char *str, enum fp_reset_how *how)
{
	if (strcasecmp(str, "rst") == 0) {
		*how = FP_RESET_RST;
	} else if (strcasecmp(str, "fin") == 0) {
		*how = FP_RESET_FIN;
	} else if (strcasecmp(str, "mixed") == 0) {
		*how = FP_RESET_MIXED;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* ---- Random generator ---------------------------------------------------------------------- */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void
fp_rng_seed(struct fp_rng *rng, uint64_t seed, uint64_t stream)
{
	/* Mix the stream in through splitmix so that neighbouring streams are unrelated. */
	uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);

	for (int i = 0; i < 4; i++) {
		rng->s[i] = splitmix64(&x);
	}
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
fp_rng_next(struct fp_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t
fp_rng_below(struct fp_rng *rng, uint64_t n)
{
	uint64_t limit, r;

	if (n == 0) {
		return 0;
	}
	/* Rejection sampling: no modulo bias, so ranges are really uniform. */
	limit = UINT64_MAX - (UINT64_MAX % n);
	do {
		r = fp_rng_next(rng);
	} while (r >= limit);
	return r % n;
}

uint64_t
fp_rng_range(struct fp_rng *rng, const struct fp_range *range)
{
	if (range->hi <= range->lo) {
		return range->lo;
	}
	if (range->lo == 0 && range->hi == UINT64_MAX) {
		return fp_rng_next(rng);
	}
	return range->lo + fp_rng_below(rng, range->hi - range->lo + 1);
}

bool
fp_rng_chance(struct fp_rng *rng, uint32_t ppm)
{
	if (ppm == 0) {
		return false;
	}
	return fp_rng_below(rng, FP_PPM) < ppm;
}

uint64_t
fp_rng_every(struct fp_rng *rng, const struct fp_range *range)
{
	struct fp_range r = *range;
	uint64_t v;

	if (r.lo == r.hi) {
		r.lo = range->lo / 2;
		r.hi = range->lo > UINT64_MAX / 2 ? UINT64_MAX : range->lo + range->lo / 2;
	}
	v = fp_rng_range(rng, &r);
	return v == 0 ? 1 : v;
}
