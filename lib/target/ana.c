/*
 * Asymmetric Namespace Access of the target: ANA groups, the state of each group through each
 * listener of a subsystem, the ANA log page, the Identify fields, the ANA change event and the
 * run-time and configuration interfaces. The model and the ownership rules are described in
 * target_internal.h ("Asymmetric Namespace Access") and doc/multipath.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "target_internal.h"

#define ANA_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ERR(...) do { if (err != NULL && errlen > 0) snprintf(err, errlen, __VA_ARGS__); } while (0)

/* ---- States ----------------------------------------------------------------------------- */

static const struct {
	enum nvtcp_tgt_ana_state state;
	const char *name;
} g_states[] = {
	{NVTCP_TGT_ANA_OPTIMIZED, "optimized"},
	{NVTCP_TGT_ANA_NON_OPTIMIZED, "non_optimized"},
	{NVTCP_TGT_ANA_INACCESSIBLE, "inaccessible"},
	{NVTCP_TGT_ANA_PERSISTENT_LOSS, "persistent_loss"},
	{NVTCP_TGT_ANA_CHANGE, "change"},
};

int
nvtcp_tgt_ana_state_parse(const char *s, enum nvtcp_tgt_ana_state *state)
{
	char buf[32];
	size_t i;

	if (s == NULL || strlen(s) >= sizeof(buf)) {
		return -EINVAL;
	}
	/* "non-optimized" (the specification's and Linux's spelling) is SPDK's "non_optimized". */
	for (i = 0; s[i] != '\0'; i++) {
		buf[i] = s[i] == '-' ? '_' : s[i];
	}
	buf[i] = '\0';
	for (i = 0; i < ANA_ARRAY_SIZE(g_states); i++) {
		if (strcmp(buf, g_states[i].name) == 0) {
			*state = g_states[i].state;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
nvtcp_tgt_ana_state_str(enum nvtcp_tgt_ana_state state)
{
	for (size_t i = 0; i < ANA_ARRAY_SIZE(g_states); i++) {
		if (g_states[i].state == state) {
			return g_states[i].name;
		}
	}
	return "?";
}

static bool
state_valid(uint32_t st)
{
	return strcmp(nvtcp_tgt_ana_state_str((enum nvtcp_tgt_ana_state)st), "?") != 0;
}

/* ---- Listeners and controllers (M) -------------------------------------------------------- */

void
tgt_ana_listener_init(const struct tgt_subsys *s, struct tgt_subsys_listener *sl,
		      const struct nvtcp_tgt_listener_opts *opts)
{
	/* 0: options zeroed instead of initialised. */
	uint8_t st = opts != NULL && opts->ana_state != 0 ? (uint8_t)opts->ana_state :
		     NVTCP_NVME_ANA_OPTIMIZED;

	memset(sl->ana, st, s->max_ns);
}

struct tgt_subsys_listener *
tgt_ana_subsys_listener(const struct tgt_subsys *s, const struct tgt_listener *l)
{
	struct tgt_subsys_listener *sl;

	TAILQ_FOREACH(sl, &s->listeners, link) {
		if (sl->l == l) {
			return sl;
		}
	}
	return NULL;
}

static struct tgt_subsys_listener *
listener_by_portid(const struct tgt_subsys *s, uint16_t portid)
{
	struct tgt_subsys_listener *sl;

	TAILQ_FOREACH(sl, &s->listeners, link) {
		if (sl->l->portid == portid) {
			return sl;
		}
	}
	return NULL;
}

int
tgt_ana_ctrlr_init(struct tgt_ctrlr *c)
{
	const struct tgt_subsys *s = c->subsys;
	const struct tgt_subsys_listener *sl;
	uint32_t n = s->max_ns;

	if (c->discovery || n == 0) {
		return 0;
	}
	/* One block: the change counts, then the states. */
	c->ana_grp_chgcnt = calloc(n, sizeof(uint64_t) + 1);
	if (c->ana_grp_chgcnt == NULL) {
		return -ENOMEM;
	}
	c->ana_state = (uint8_t *)(c->ana_grp_chgcnt + n);
	sl = listener_by_portid(s, c->portid);
	if (sl != NULL) {
		memcpy(c->ana_state, sl->ana, n);
	} else {
		memset(c->ana_state, NVTCP_NVME_ANA_OPTIMIZED, n);
	}
	return 0;
}

void
tgt_ana_ctrlr_fini(struct tgt_ctrlr *c)
{
	free(c->ana_grp_chgcnt);
	c->ana_grp_chgcnt = NULL;
	c->ana_state = NULL;
}

/* A group the ANA log shows: one with at least one namespace. */
static bool
group_used(const struct tgt_subsys *s, uint32_t anagrpid)
{
	for (uint32_t nsid = 1; nsid <= s->max_ns; nsid++) {
		const struct tgt_ns *ns = tgt_subsys_ns(s, nsid);

		if (ns != NULL && ns->anagrpid == anagrpid) {
			return true;
		}
	}
	return false;
}

void
tgt_ana_set(struct tgt_subsys *s, struct tgt_subsys_listener *sl, uint8_t state,
	    uint32_t anagrpid)
{
	uint32_t first = anagrpid != 0 ? anagrpid : 1;
	uint32_t last = anagrpid != 0 ? anagrpid : s->max_ns;
	struct tgt_ctrlr *c;

	for (uint32_t g = first; g <= last; g++) {
		sl->ana[g - 1] = state;
	}
	TAILQ_FOREACH(c, &s->ctrlrs, subsys_link) {
		bool visible = false, changed = false;
		/* One change of the log per call, whatever the number of groups it moves. */
		uint64_t cnt = __atomic_load_n(&c->ana_chgcnt, __ATOMIC_RELAXED) + 1;

		if (c->portid != sl->l->portid || c->ana_state == NULL) {
			continue;
		}
		for (uint32_t g = first; g <= last; g++) {
			if (__atomic_load_n(&c->ana_state[g - 1], __ATOMIC_RELAXED) == state) {
				continue;
			}
			__atomic_store_n(&c->ana_grp_chgcnt[g - 1], cnt, __ATOMIC_RELAXED);
			__atomic_store_n(&c->ana_state[g - 1], state, __ATOMIC_RELAXED);
			changed = true;
			visible |= group_used(s, g);
		}
		if (changed) {
			__atomic_store_n(&c->ana_chgcnt, cnt, __ATOMIC_RELAXED);
		}
		if (visible) {
			NVTCP_INFOLOG("subsystem %s: controller %u (host %s): ANA change notice\n",
				      s->nqn, c->cntlid, tgt_hostnqn_str(c->hostnqn));
			tgt_ctrlr_post_event(c, TGT_EVT_ANA_CHANGED, 0);
		}
	}
}

int
nvtcp_tgt_subsys_listener_set_ana_state(struct nvtcp_tgt *tgt, const char *nqn,
					const char *addr, const char *port,
					enum nvtcp_tgt_ana_state state, uint32_t anagrpid,
					char *err, size_t errlen)
{
	struct tgt_subsys *s = nqn != NULL ? tgt_subsys_find(tgt, nqn) : NULL;
	struct tgt_subsys_listener *sl = NULL;
	struct tgt_listener *l;
	char pbuf[16];
	uint64_t p;

	if (s == NULL || s->discovery || s->removing) {
		ERR("nqn: no subsystem %s", nqn != NULL ? nqn : "");
		return -ENOENT;
	}
	if (addr == NULL || port == NULL || nvtcp_parse_u64(port, 65535, &p) != 0) {
		ERR("listen_address: missing or bad address or port");
		return -EINVAL;
	}
	snprintf(pbuf, sizeof(pbuf), "%" PRIu64, p);
	l = tgt_listener_find(tgt, addr, pbuf);
	if (l != NULL) {
		sl = tgt_ana_subsys_listener(s, l);
	}
	if (sl == NULL) {
		ERR("listen_address: %s does not listen on %s:%s (ANA states belong to a "
		    "subsystem's own listeners)", s->nqn, addr, pbuf);
		return -ENOENT;
	}
	if (!state_valid(state)) {
		ERR("ana_state: %d is not an ANA state", (int)state);
		return -EINVAL;
	}
	if (anagrpid > s->max_ns) {
		ERR("anagrpid: %u is not in 1..%u (max_namespaces of %s)", anagrpid, s->max_ns,
		    s->nqn);
		return -EINVAL;
	}
	if (anagrpid != 0) {
		snprintf(pbuf, sizeof(pbuf), "%u", anagrpid);
	} else {
		snprintf(pbuf, sizeof(pbuf), "(all)");
	}
	NVTCP_NOTICELOG("subsystem %s: listener %s:%s: ANA group %s -> %s\n", s->nqn, l->addr,
			l->port, pbuf, nvtcp_tgt_ana_state_str(state));
	tgt_ana_set(s, sl, (uint8_t)state, anagrpid);
	return 0;
}

/* ---- Log page and Identify (A) ------------------------------------------------------------ */

size_t
tgt_ana_log_build(const struct tgt_ctrlr *c, bool rgo, uint8_t *buf, size_t size)
{
	const struct tgt_subsys *s = c->subsys;
	struct nvtcp_nvme_ana_log_hdr hdr;
	size_t off = sizeof(hdr);

	memset(&hdr, 0, sizeof(hdr));
	hdr.chgcnt = __atomic_load_n(&c->ana_chgcnt, __ATOMIC_RELAXED);
	/* Groups in increasing ID order, each with its NSIDs in increasing order. */
	for (uint32_t g = 1; g <= s->max_ns; g++) {
		struct nvtcp_nvme_ana_group_desc d;
		size_t doff = off;

		if (!group_used(s, g)) {
			continue;
		}
		memset(&d, 0, sizeof(d));
		d.anagrpid = g;
		d.chgcnt = __atomic_load_n(&c->ana_grp_chgcnt[g - 1], __ATOMIC_RELAXED);
		d.state = __atomic_load_n(&c->ana_state[g - 1], __ATOMIC_RELAXED);
		off += sizeof(d);
		for (uint32_t nsid = 1; !rgo && nsid <= s->max_ns; nsid++) {
			const struct tgt_ns *ns = tgt_subsys_ns(s, nsid);

			if (ns == NULL || ns->anagrpid != g) {
				continue;
			}
			if (off + sizeof(nsid) <= size) {
				memcpy(buf + off, &nsid, sizeof(nsid));
			}
			off += sizeof(nsid);
			d.nnsids++;
		}
		if (doff + sizeof(d) <= size) {
			memcpy(buf + doff, &d, sizeof(d));
		}
		hdr.ngrps++;
	}
	if (sizeof(hdr) <= size) {
		memcpy(buf, &hdr, sizeof(hdr));
	}
	return off;
}

void
tgt_ana_log_page(struct tgt_req *req, bool rae)
{
	struct tgt_ctrlr *c = req->conn->ctrlr;
	bool rgo = (req->cmd.cdw10 & NVTCP_NVME_ANA_LOG_LSP_RGO) != 0;
	size_t len;
	uint8_t *buf;

	if (c->ana_state == NULL) {
		tgt_req_complete_status(req, NVTCP_NVME_SCT_COMMAND_SPECIFIC,
					NVTCP_NVME_SC_INVALID_LOG_PAGE, true);
		return;
	}
	len = tgt_ana_log_build(c, rgo, NULL, 0);
	buf = calloc(1, len);
	if (buf == NULL) {
		NVTCP_ERRLOG("controller %u: no memory for the ANA log (%zu bytes)\n", c->cntlid,
			     len);
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
					NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR, false);
		return;
	}
	/* A namespace added between the two passes only makes the second one shorter or
	 * truncated: the buffer bounds every write. */
	len = NVTCP_MIN(len, tgt_ana_log_build(c, rgo, buf, len));
	if (!rae) {
		c->events_masked &= ~TGT_EVT_ANA_CHANGED;
	}
	tgt_req_fill_log(req, buf, len);
	free(buf);
}

void
tgt_ana_identify_ctrlr(const struct tgt_subsys *s, struct nvtcp_nvme_ctrlr_data *cd)
{
	cd->cmic |= NVTCP_NVME_CMIC_MULTI_PORT | NVTCP_NVME_CMIC_MULTI_CTRLR | NVTCP_NVME_CMIC_ANA;
	cd->oaes |= NVTCP_NVME_OAES_ANA_CHANGE_NOTICES;
	cd->anatt = TGT_ANATT_S;
	cd->anacap = NVTCP_NVME_ANACAP_OPTIMIZED | NVTCP_NVME_ANACAP_NON_OPTIMIZED |
		     NVTCP_NVME_ANACAP_INACCESSIBLE | NVTCP_NVME_ANACAP_PERSISTENT_LOSS |
		     NVTCP_NVME_ANACAP_CHANGE | NVTCP_NVME_ANACAP_GRPID_STATIC;
	cd->anagrpmax = s->max_ns;
	cd->nanagrpid = s->max_ns;
	/* MNAN is required with ANA reporting (Linux refuses multipath with 0). */
	cd->mnan = s->max_ns;
}

/* ---- Configuration and RPC ---------------------------------------------------------------- */

int
tgt_cfg_get_ana_state(struct tgt_cfg *c, const char *parent, struct json_object *obj,
		      const char *key, enum nvtcp_tgt_ana_state *out)
{
	struct json_object *v;
	char k[TGT_CFG_PATH_LEN];

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v)) {
		return 0;
	}
	tgt_cfg_jpath_key(k, parent, key);
	if (!json_object_is_type(v, json_type_string) ||
	    nvtcp_tgt_ana_state_parse(json_object_get_string(v), out) != 0) {
		return tgt_cfg_err(c, k, "'%s' is not optimized, non_optimized, inaccessible, "
				   "persistent_loss or change",
				   json_object_is_type(v, json_type_string) ?
				   json_object_get_string(v) : json_object_to_json_string(v));
	}
	return 0;
}

static const char *const g_group_keys[] = {"anagrpid", "ana_state", NULL};

int
tgt_ana_cfg_check(struct tgt_cfg *c, const char *jpath, struct json_object *groups)
{
	if (groups == NULL) {
		return 0;
	}
	if (!json_object_is_type(groups, json_type_array)) {
		return tgt_cfg_err(c, jpath, "must be an array");
	}
	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		struct json_object *o = json_object_array_get_idx(groups, i), *v;
		enum nvtcp_tgt_ana_state st = NVTCP_TGT_ANA_OPTIMIZED;
		char q[TGT_CFG_PATH_LEN], k[TGT_CFG_PATH_LEN];
		uint64_t g;
		int rc;

		tgt_cfg_jpath_idx(q, jpath, i);
		rc = tgt_cfg_check_keys(c, q, o, g_group_keys);
		if (rc != 0) {
			return rc;
		}
		tgt_cfg_jpath_key(k, q, "anagrpid");
		if (!json_object_object_get_ex(o, "anagrpid", &v)) {
			return tgt_cfg_err(c, k, "missing");
		}
		if (tgt_cfg_get_u64(c, k, v, false, 1, UINT32_MAX, &g) != 0) {
			return -EINVAL;
		}
		tgt_cfg_jpath_key(k, q, "ana_state");
		if (!json_object_object_get_ex(o, "ana_state", &v)) {
			return tgt_cfg_err(c, k, "missing");
		}
		rc = tgt_cfg_get_ana_state(c, q, o, "ana_state", &st);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

int
tgt_ana_cfg_apply(struct nvtcp_tgt *tgt, const char *nqn, const char *addr, const char *port,
		  struct json_object *groups, char *err, size_t errlen)
{
	struct tgt_subsys *s = tgt_subsys_find(tgt, nqn);

	if (groups == NULL) {
		return 0;
	}
	/* Checked by tgt_ana_cfg_check(): only the range depends on the subsystem. */
	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		struct json_object *o = json_object_array_get_idx(groups, i), *v;
		enum nvtcp_tgt_ana_state st = NVTCP_TGT_ANA_OPTIMIZED;
		uint32_t g;
		int rc;

		(void)json_object_object_get_ex(o, "anagrpid", &v);
		g = (uint32_t)json_object_get_int64(v);
		(void)json_object_object_get_ex(o, "ana_state", &v);
		(void)nvtcp_tgt_ana_state_parse(json_object_get_string(v), &st);
		if (s != NULL && g > s->max_ns) {
			ERR("ana_groups[%zu].anagrpid: %u is not in 1..%u (max_namespaces)", i, g,
			    s->max_ns);
			return -EINVAL;
		}
		rc = nvtcp_tgt_subsys_listener_set_ana_state(tgt, nqn, addr, port, st, g, err,
							     errlen);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

void
tgt_ana_listener_json(const struct tgt_subsys *s, const struct tgt_subsys_listener *sl,
		      struct json_object *o)
{
	uint32_t count[16] = {0};
	uint8_t common = NVTCP_NVME_ANA_OPTIMIZED;
	struct json_object *a = NULL;

	/* The state most groups are in is the listener's; the others are listed. */
	for (uint32_t g = 1; g <= s->max_ns; g++) {
		count[sl->ana[g - 1] & 0xF]++;
	}
	for (uint8_t st = 0; st < 16; st++) {
		if (count[st] > count[common]) {
			common = st;
		}
	}
	json_object_object_add(o, "ana_state", json_object_new_string(
				       nvtcp_tgt_ana_state_str((enum nvtcp_tgt_ana_state)common)));
	for (uint32_t g = 1; g <= s->max_ns; g++) {
		struct json_object *go;

		if (sl->ana[g - 1] == common) {
			continue;
		}
		if (a == NULL) {
			a = json_object_new_array();
		}
		go = json_object_new_object();
		json_object_object_add(go, "anagrpid", json_object_new_int64(g));
		json_object_object_add(go, "ana_state", json_object_new_string(
					       nvtcp_tgt_ana_state_str(
						       (enum nvtcp_tgt_ana_state)sl->ana[g - 1])));
		json_object_array_add(a, go);
	}
	if (a != NULL) {
		json_object_object_add(o, "ana_groups", a);
	}
}
