/*
 * Transport IDs in SPDK's string form:
 *
 *	"trtype:tcp adrfam:ipv4 traddr:192.168.1.2 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1"
 *
 * Pairs are separated by whitespace; a pair is split at its first ':' or '=' only, because
 * values contain ':' (IPv6 addresses, NQNs). Keys are case-insensitive, as are the trtype and
 * adrfam values.
 *
 * Where nvtcp is stricter than SPDK, on purpose: SPDK logs and ignores unknown keys and takes
 * the last of repeated keys; a typo there silently connects somewhere else, so here both are
 * errors that name the key. The string is parsed into a copy, so \p trid is untouched on error.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fabrics_internal.h"
#include "nvtcp/log.h"
#include "nvtcp/util.h"

/* Keys of a transport ID, in the order they are formatted. */
enum trid_key {
	KEY_TRTYPE,
	KEY_ADRFAM,
	KEY_TRADDR,
	KEY_TRSVCID,
	KEY_SUBNQN,
	KEY_HOSTNQN,
	KEY_COUNT,
};

static const char *const g_key_names[KEY_COUNT] = {
	[KEY_TRTYPE] = "trtype",
	[KEY_ADRFAM] = "adrfam",
	[KEY_TRADDR] = "traddr",
	[KEY_TRSVCID] = "trsvcid",
	[KEY_SUBNQN] = "subnqn",
	[KEY_HOSTNQN] = "hostnqn",
};

/* Keys SPDK accepts that have no meaning for nvtcp: named in the error so users know why. */
static const char *const g_spdk_only_keys[] = {
	"priority", "hostaddr", "hostsvcid", "ns", "alt_traddr", "trstring",
};

/* Transport types SPDK knows and nvtcp does not carry. */
static const char *const g_other_trtypes[] = {
	"rdma", "pcie", "fc", "vfiouser", "custom", "custom_fabrics",
};

/* Address families SPDK knows that do not apply to TCP. */
static const char *const g_other_adrfams[] = {
	"ib", "fc", "intra_host",
};

static bool
in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(list[i], s) == 0) {
			return true;
		}
	}
	return false;
}

static bool
all_digits_and_dots(const char *s)
{
	bool digit = false;

	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s)) {
			digit = true;
		} else if (*s != '.') {
			return false;
		}
	}
	return digit;
}

enum fabrics_addr_kind
fabrics_addr_classify(const char *addr, const char **why)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *label;
	size_t len;

	*why = NULL;
	len = strlen(addr);
	if (len == 0) {
		*why = "empty address";
		return FABRICS_ADDR_INVALID;
	}
	if (strchr(addr, ':') != NULL) {
		/* IPv6, optionally with a zone ("fe80::1%eth0"): inet_pton() takes no zones. */
		char tmp[NVTCP_TRADDR_MAX_LEN + 1];
		const char *pct = strchr(addr, '%');
		size_t alen = pct != NULL ? (size_t)(pct - addr) : len;

		if (alen >= sizeof(tmp) || (pct != NULL && pct[1] == '\0')) {
			*why = "not a valid IPv6 address";
			return FABRICS_ADDR_INVALID;
		}
		memcpy(tmp, addr, alen);
		tmp[alen] = '\0';
		if (inet_pton(AF_INET6, tmp, buf) != 1) {
			*why = "not a valid IPv6 address";
			return FABRICS_ADDR_INVALID;
		}
		return FABRICS_ADDR_IPV6;
	}
	if (all_digits_and_dots(addr)) {
		/* Only the dotted-quad form: "10.1" is legal for inet_aton() but surprising. */
		if (inet_pton(AF_INET, addr, buf) != 1) {
			*why = "not a valid IPv4 address";
			return FABRICS_ADDR_INVALID;
		}
		return FABRICS_ADDR_IPV4;
	}
	/* A host name: dot-separated labels of letters, digits, '-' and '_' (RFC 1123 plus the
	 * underscore that real networks use), optionally ending with a dot. */
	if (len > 253 + 1) {
		*why = "host name longer than 253 characters";
		return FABRICS_ADDR_INVALID;
	}
	label = addr;
	for (const char *p = addr;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t llen = (size_t)(p - label);

			if (llen == 0 && !(*p == '\0' && p != addr && p[-1] == '.')) {
				*why = "empty label in host name";
				return FABRICS_ADDR_INVALID;
			}
			if (llen > 63) {
				*why = "host name label longer than 63 characters";
				return FABRICS_ADDR_INVALID;
			}
			if (llen > 0 && (label[0] == '-' || p[-1] == '-')) {
				*why = "host name label starts or ends with '-'";
				return FABRICS_ADDR_INVALID;
			}
			if (*p == '\0') {
				break;
			}
			label = p + 1;
		} else if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			*why = "not an IPv4/IPv6 address or a host name";
			return FABRICS_ADDR_INVALID;
		}
	}
	return FABRICS_ADDR_HOSTNAME;
}

void
nvtcp_trid_init(struct nvtcp_trid *trid)
{
	memset(trid, 0, sizeof(*trid));
	trid->trtype = NVTCP_TRTYPE_TCP;
	trid->adrfam = NVTCP_ADRFAM_IPV4;
	snprintf(trid->trsvcid, sizeof(trid->trsvcid), "%s", NVTCP_IO_PORT);
}

/* Copy a value into a field of \p size bytes, or fail naming the key. */
static int
set_str(char *dst, size_t size, const char *key, const char *val, size_t vlen, char *err,
	size_t errlen)
{
	if (vlen >= size) {
		nvtcp_errf(err, errlen, "%s: value of %zu bytes is longer than the maximum %zu",
			   key, vlen, size - 1);
		return -EINVAL;
	}
	memcpy(dst, val, vlen);
	dst[vlen] = '\0';
	return 0;
}

static int
set_value(struct nvtcp_trid *t, enum trid_key key, const char *val, char *err, size_t errlen)
{
	const char *name = g_key_names[key];
	size_t vlen = strlen(val);
	char reason[160];
	uint64_t port;
	int rc;

	switch (key) {
	case KEY_TRTYPE:
		if (strcasecmp(val, "tcp") == 0) {
			t->trtype = NVTCP_TRTYPE_TCP;
			return 0;
		}
		if (in_list(g_other_trtypes, NVTCP_COUNTOF(g_other_trtypes), val)) {
			nvtcp_errf(err, errlen, "trtype '%s' is not supported: nvtcp supports "
				   "tcp only", val);
		} else {
			nvtcp_errf(err, errlen, "trtype '%s' is unknown (use tcp)", val);
		}
		return -EINVAL;
	case KEY_ADRFAM:
		if (strcasecmp(val, "ipv4") == 0) {
			t->adrfam = NVTCP_ADRFAM_IPV4;
			return 0;
		}
		if (strcasecmp(val, "ipv6") == 0) {
			t->adrfam = NVTCP_ADRFAM_IPV6;
			return 0;
		}
		if (in_list(g_other_adrfams, NVTCP_COUNTOF(g_other_adrfams), val)) {
			nvtcp_errf(err, errlen, "adrfam '%s' is not supported with tcp (use ipv4 "
				   "or ipv6)", val);
		} else {
			nvtcp_errf(err, errlen, "adrfam '%s' is unknown (use ipv4 or ipv6)", val);
		}
		return -EINVAL;
	case KEY_TRADDR: {
		const char *why;

		/* "[fe80::1]" is how IPv6 addresses are written next to a port; accept it. */
		if (vlen >= 2 && val[0] == '[' && val[vlen - 1] == ']') {
			val++;
			vlen -= 2;
		}
		rc = set_str(t->traddr, sizeof(t->traddr), name, val, vlen, err, errlen);
		if (rc != 0) {
			return rc;
		}
		if (fabrics_addr_classify(t->traddr, &why) == FABRICS_ADDR_INVALID) {
			nvtcp_errf(err, errlen, "traddr '%s': %s", t->traddr, why);
			return -EINVAL;
		}
		return 0;
	}
	case KEY_TRSVCID:
		if (nvtcp_parse_u64(val, 65535, &port) != 0 || port == 0 || val[0] == '0') {
			nvtcp_errf(err, errlen, "trsvcid '%s' is not a port number (1..65535)",
				   val);
			return -EINVAL;
		}
		snprintf(t->trsvcid, sizeof(t->trsvcid), "%u", (unsigned int)port);
		return 0;
	case KEY_SUBNQN:
	case KEY_HOSTNQN: {
		char *dst = key == KEY_SUBNQN ? t->subnqn : t->hostnqn;

		rc = set_str(dst, NVTCP_NQN_MAX_LEN + 1, name, val, vlen, err, errlen);
		if (rc != 0) {
			return rc;
		}
		if (!nvtcp_nqn_valid(dst, reason, sizeof(reason))) {
			nvtcp_errf(err, errlen, "%s: %s", name, reason);
			return -EINVAL;
		}
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* Whether adrfam agrees with a numeric address (host names may resolve to either family). */
static int
check_adrfam(const struct nvtcp_trid *t, char *err, size_t errlen)
{
	const char *why;
	enum fabrics_addr_kind kind = fabrics_addr_classify(t->traddr, &why);

	if (kind == FABRICS_ADDR_IPV4 && t->adrfam != NVTCP_ADRFAM_IPV4) {
		nvtcp_errf(err, errlen, "adrfam ipv6 does not match the IPv4 traddr '%s'",
			   t->traddr);
		return -EINVAL;
	}
	if (kind == FABRICS_ADDR_IPV6 && t->adrfam != NVTCP_ADRFAM_IPV6) {
		nvtcp_errf(err, errlen, "adrfam ipv4 does not match the IPv6 traddr '%s'",
			   t->traddr);
		return -EINVAL;
	}
	return 0;
}

static int
trid_parse(struct nvtcp_trid *trid, const char *str, char *err, size_t errlen)
{
	struct nvtcp_trid t = *trid;
	bool seen[KEY_COUNT] = {false};
	const char *p = str;

	if (str == NULL) {
		nvtcp_errf(err, errlen, "no transport ID given");
		return -EINVAL;
	}
	for (;;) {
		char key[32], val[512];
		const char *tok, *end, *sep;
		size_t klen, vlen;
		enum trid_key k;
		int rc;

		while (isspace((unsigned char)*p)) {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		tok = p;
		while (*p != '\0' && !isspace((unsigned char)*p)) {
			p++;
		}
		end = p;
		/* Split at the first ':' or '=' only: values contain ':' (IPv6, NQNs). */
		sep = tok;
		while (sep < end && *sep != ':' && *sep != '=') {
			sep++;
		}
		if (sep == end) {
			nvtcp_errf(err, errlen, "'%.*s' is not a key:value pair (e.g. "
				   "traddr:10.0.0.1)", (int)(end - tok), tok);
			return -EINVAL;
		}
		klen = (size_t)(sep - tok);
		vlen = (size_t)(end - sep - 1);
		if (klen == 0) {
			nvtcp_errf(err, errlen, "'%.*s' has no key before '%c'", (int)(end - tok),
				   tok, *sep);
			return -EINVAL;
		}
		if (klen >= sizeof(key)) {
			nvtcp_errf(err, errlen, "unknown key '%.*s...'", 24, tok);
			return -EINVAL;
		}
		memcpy(key, tok, klen);
		key[klen] = '\0';
		for (k = 0; k < KEY_COUNT; k++) {
			if (strcasecmp(key, g_key_names[k]) == 0) {
				break;
			}
		}
		if (k == KEY_COUNT) {
			if (in_list(g_spdk_only_keys, NVTCP_COUNTOF(g_spdk_only_keys), key)) {
				nvtcp_errf(err, errlen, "key '%s' is not supported by nvtcp "
					   "transport IDs", key);
			} else {
				nvtcp_errf(err, errlen, "unknown key '%s' (keys: trtype, adrfam, "
					   "traddr, trsvcid, subnqn, hostnqn)", key);
			}
			return -EINVAL;
		}
		if (seen[k]) {
			nvtcp_errf(err, errlen, "key '%s' is given twice", g_key_names[k]);
			return -EINVAL;
		}
		seen[k] = true;
		if (vlen == 0) {
			nvtcp_errf(err, errlen, "key '%s' has no value", g_key_names[k]);
			return -EINVAL;
		}
		if (vlen >= sizeof(val)) {
			nvtcp_errf(err, errlen, "%s: value of %zu bytes is far too long",
				   g_key_names[k], vlen);
			return -EINVAL;
		}
		memcpy(val, sep + 1, vlen);
		val[vlen] = '\0';
		rc = set_value(&t, k, val, err, errlen);
		if (rc != 0) {
			return rc;
		}
	}
	if (seen[KEY_TRADDR] && !seen[KEY_ADRFAM]) {
		/* Not given: follow the address (a host name keeps what was preset). */
		const char *why;

		switch (fabrics_addr_classify(t.traddr, &why)) {
		case FABRICS_ADDR_IPV6:
			t.adrfam = NVTCP_ADRFAM_IPV6;
			break;
		case FABRICS_ADDR_IPV4:
			t.adrfam = NVTCP_ADRFAM_IPV4;
			break;
		default:
			break;
		}
	}
	if ((seen[KEY_TRADDR] || seen[KEY_ADRFAM]) && t.traddr[0] != '\0') {
		int rc = check_adrfam(&t, err, errlen);

		if (rc != 0) {
			return rc;
		}
	}
	*trid = t;
	return 0;
}

int
nvtcp_trid_parse(struct nvtcp_trid *trid, const char *str, char *err, size_t errlen)
{
	char msg[320];
	int rc;

	if (trid == NULL) {
		return -EINVAL;
	}
	rc = trid_parse(trid, str, msg, sizeof(msg));
	if (rc != 0) {
		if (err != NULL) {
			nvtcp_errf(err, errlen, "%s", msg);
		} else {
			NVTCP_ERRLOG("transport ID: %s\n", msg);
		}
	}
	return rc;
}

static const char *
adrfam_key_str(enum nvtcp_adrfam adrfam)
{
	return adrfam == NVTCP_ADRFAM_IPV6 ? "ipv6" : "ipv4";
}

int
nvtcp_trid_format(const struct nvtcp_trid *trid, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	if (trid == NULL || (buf == NULL && len != 0)) {
		return -EINVAL;
	}

#define TRID_APPEND(...)                                                                       \
	do {                                                                                   \
		n = snprintf(off < len ? buf + off : NULL, off < len ? len - off : 0,          \
			     __VA_ARGS__);                                                     \
		if (n < 0) {                                                                   \
			return -EINVAL;                                                        \
		}                                                                              \
		off += (size_t)n;                                                              \
	} while (0)

	TRID_APPEND("trtype:%s adrfam:%s", trid->trtype == NVTCP_TRTYPE_TCP ? "tcp" : "unknown",
		    adrfam_key_str(trid->adrfam));
	if (trid->traddr[0] != '\0') {
		TRID_APPEND(" traddr:%s", trid->traddr);
	}
	if (trid->trsvcid[0] != '\0') {
		TRID_APPEND(" trsvcid:%s", trid->trsvcid);
	}
	if (trid->subnqn[0] != '\0') {
		TRID_APPEND(" subnqn:%s", trid->subnqn);
	}
	if (trid->hostnqn[0] != '\0') {
		TRID_APPEND(" hostnqn:%s", trid->hostnqn);
	}
#undef TRID_APPEND

	if (off >= len) {
		return -ENOSPC;
	}
	return (int)off;
}
