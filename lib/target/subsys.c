/*
 * Subsystems, hosts and namespaces (on the management reactor), and the discovery log.
 *
 * Namespaces are read lock-free by every reactor: a namespace is published with a release
 * store into subsys->ns[]; removal unpublishes it, then asks every pg in turn whether it still
 * has commands in flight for it (ns->inflight[pg]); when all have said no, the backend is
 * closed and the memory freed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <limits.h>
#include <uuid/uuid.h>

#include "nvtcp/fabrics.h"
#include "nvtcp/crc32c.h"
#include "target_internal.h"

#define ERR(...) do { if (err != NULL && errlen > 0) snprintf(err, errlen, __VA_ARGS__); } while (0)

struct tgt_subsys *
tgt_subsys_find(struct nvtcp_tgt *tgt, const char *nqn)
{
	struct tgt_subsys *s;

	if (strcmp(nqn, NVTCP_DISCOVERY_NQN) == 0) {
		return tgt->disc;
	}
	TAILQ_FOREACH(s, &tgt->subsystems, link) {
		if (strcmp(s->nqn, nqn) == 0) {
			return s;
		}
	}
	return NULL;
}

bool
tgt_subsys_host_allowed(const struct tgt_subsys *subsys, const char *hostnqn)
{
	const struct tgt_host *h;

	if (subsys->allow_any || subsys->discovery) {
		return true;
	}
	TAILQ_FOREACH(h, &subsys->hosts, link) {
		if (strcmp(h->nqn, hostnqn) == 0) {
			return true;
		}
	}
	return false;
}

bool
tgt_subsys_host_has_psk(const struct tgt_subsys *subsys, const char *hostnqn)
{
	const struct tgt_host *h;

	TAILQ_FOREACH(h, &subsys->hosts, link) {
		if (strcmp(h->nqn, hostnqn) == 0) {
			return h->has_psk;
		}
	}
	return false;
}

/* ---- TLS PSKs (see target_internal.h for the publication scheme) ------------------------- */

struct psk_retire {
	struct tgt_psk_table *t;
	uint32_t pending;
};

static void
psk_table_wipe_free(struct tgt_psk_table *t)
{
	if (t == NULL) {
		return;
	}
	for (uint32_t i = 0; i < t->n; i++) {
		nvtcp_tls_psk_wipe(&t->e[i].psk);
	}
	free(t);
}

static void
psk_retire_ack(void *arg)
{
	struct psk_retire *r = arg;

	if (--r->pending == 0) {
		psk_table_wipe_free(r->t);
		free(r);
	}
}

struct psk_retire_msg {
	struct nvtcp_reactor *mgmt;
	struct psk_retire *r;
};

static void
psk_retire_on_pg(void *arg)
{
	struct psk_retire_msg *m = arg;

	/* Handshakes on this pg run between messages: none can still see the old table. */
	tgt_send_msg(m->mgmt, psk_retire_ack, m->r);
	free(m);
}

static void
psk_retire(struct nvtcp_tgt *tgt, struct tgt_psk_table *t)
{
	struct psk_retire *r;

	if (t == NULL) {
		return;
	}
	if (!tgt->started) {
		/* No listener is open: no handshake runs. */
		psk_table_wipe_free(t);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		/* A handshake may still read it: leaking it is the only safe choice. */
		NVTCP_ERRLOG("TLS PSKs: out of memory: a replaced key table is not freed\n");
		return;
	}
	r->t = t;
	r->pending = tgt->npgs;
	for (uint32_t i = 0; i < tgt->npgs; i++) {
		struct psk_retire_msg *m = malloc(sizeof(*m));

		if (m == NULL) {
			/* Without the round trip the table cannot be freed safely. */
			r->pending = UINT32_MAX;
			NVTCP_ERRLOG("TLS PSKs: out of memory: a replaced key table is not freed\n");
			continue;
		}
		m->mgmt = tgt->mgmt;
		m->r = r;
		tgt_send_msg(tgt->pgs[i].reactor, psk_retire_on_pg, m);
	}
}

static void
psk_table_add(struct tgt_psk_table *t, const struct tgt_subsys *s)
{
	const struct tgt_host *h;

	TAILQ_FOREACH(h, &s->hosts, link) {
		if (h->has_psk) {
			struct tgt_psk_entry *e = &t->e[t->n++];

			snprintf(e->subnqn, sizeof(e->subnqn), "%s", s->nqn);
			snprintf(e->hostnqn, sizeof(e->hostnqn), "%s", h->nqn);
			e->psk = h->psk;
		}
	}
}

int
tgt_psk_publish(struct nvtcp_tgt *tgt)
{
	struct tgt_psk_table *t, *old;
	struct tgt_subsys *s;
	struct tgt_host *h;
	uint32_t n = 0;

	/* The discovery subsystem's hosts too: their identities name the discovery NQN. */
	if (tgt->disc != NULL) {
		TAILQ_FOREACH(h, &tgt->disc->hosts, link) {
			n += h->has_psk ? 1 : 0;
		}
	}
	TAILQ_FOREACH(s, &tgt->subsystems, link) {
		TAILQ_FOREACH(h, &s->hosts, link) {
			n += h->has_psk ? 1 : 0;
		}
	}
	t = n > 0 ? calloc(1, sizeof(*t) + n * sizeof(t->e[0])) : NULL;
	if (n > 0 && t == NULL) {
		/* Fail closed: a withdrawn key must not keep working. */
		NVTCP_ERRLOG("TLS PSKs: out of memory: no TLS host can authenticate until the "
			     "next change\n");
	}
	if (t != NULL) {
		if (tgt->disc != NULL) {
			psk_table_add(t, tgt->disc);
		}
		TAILQ_FOREACH(s, &tgt->subsystems, link) {
			psk_table_add(t, s);
		}
	}
	old = tgt->psk_table;
	__atomic_store_n(&tgt->psk_table, t, __ATOMIC_RELEASE);
	psk_retire(tgt, old);
	return n > 0 && t == NULL ? -ENOMEM : 0;
}

void
tgt_psk_table_free(struct nvtcp_tgt *tgt)
{
	psk_table_wipe_free(tgt->psk_table);
	tgt->psk_table = NULL;
}

int
tgt_psk_lookup(void *ctx, const char *identity, size_t identity_len, struct nvtcp_tls_psk *key)
{
	struct nvtcp_tgt *tgt = ctx;
	const struct tgt_psk_table *t = __atomic_load_n(&tgt->psk_table, __ATOMIC_ACQUIRE);
	char hostnqn[NVTCP_NQN_MAX_LEN + 1], subnqn[NVTCP_NQN_MAX_LEN + 1];
	int hash;

	hash = t == NULL ? -ENOENT : nvtcp_tls_identity_parse(identity, identity_len, hostnqn,
							      sizeof(hostnqn), subnqn,
							      sizeof(subnqn));
	if (hash < 0) {
		return -ENOENT;
	}
	for (uint32_t i = 0; i < t->n; i++) {
		const struct tgt_psk_entry *e = &t->e[i];

		/* H names the PSK's length (1: 32 bytes, 2: 48 bytes). */
		if (strcmp(e->hostnqn, hostnqn) == 0 && strcmp(e->subnqn, subnqn) == 0 &&
		    e->psk.len == (hash == 1 ? 32u : 48u)) {
			*key = e->psk;
			return 0;
		}
	}
	return -ENOENT;
}

void
tgt_serial_from_nqn(const char *nqn, char *sn)
{
	/* Two CRCs of the NQN give 16 stable hex digits: the same NQN always reports the same
	 * serial, which hosts use to recognise a subsystem across restarts. */
	uint32_t a = nvtcp_crc32c(nqn, strlen(nqn));
	uint32_t b = nvtcp_crc32c_finish(nvtcp_crc32c_update(a, nqn, strlen(nqn)));

	snprintf(sn, NVTCP_TGT_SN_MAX_LEN + 1, "NVTCP%08X%07X", a, b & 0xFFFFFFF);
}

static struct tgt_subsys *
subsys_alloc(struct nvtcp_tgt *tgt, const char *nqn, uint32_t max_ns)
{
	struct tgt_subsys *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		return NULL;
	}
	if (max_ns > 0) {
		s->ns = calloc(max_ns, sizeof(*s->ns));
		if (s->ns == NULL) {
			free(s);
			return NULL;
		}
	}
	s->tgt = tgt;
	s->max_ns = max_ns;
	snprintf(s->nqn, sizeof(s->nqn), "%s", nqn);
	TAILQ_INIT(&s->hosts);
	TAILQ_INIT(&s->listeners);
	TAILQ_INIT(&s->ctrlrs);
	return s;
}

struct tgt_subsys *
tgt_subsys_create_discovery(struct nvtcp_tgt *tgt)
{
	struct tgt_subsys *s = subsys_alloc(tgt, NVTCP_DISCOVERY_NQN, 0);

	if (s == NULL) {
		return NULL;
	}
	s->discovery = true;
	s->allow_any = true;
	tgt_serial_from_nqn(s->nqn, s->sn);
	snprintf(s->mn, sizeof(s->mn), "%s", tgt->opts.default_model);
	return s;
}

void
tgt_ns_free(struct tgt_ns *ns)
{
	if (ns == NULL) {
		return;
	}
	tgt_bdev_destroy(ns->bdev);
	free(ns->inflight);
	free(ns->path);
	free(ns);
}

void
tgt_subsys_free(struct tgt_subsys *s)
{
	struct tgt_subsys_listener *sl;
	struct tgt_host *h;

	if (s == NULL) {
		return;
	}
	while ((h = TAILQ_FIRST(&s->hosts)) != NULL) {
		TAILQ_REMOVE(&s->hosts, h, link);
		nvtcp_tls_psk_wipe(&h->psk);
		free(h->psk_path);
		tgt_auth_host_clear(h);
		free(h);
	}
	/* The listeners themselves are released by their owner (removal) or already gone
	 * (target destroy). */
	while ((sl = TAILQ_FIRST(&s->listeners)) != NULL) {
		TAILQ_REMOVE(&s->listeners, sl, link);
		free(sl);
	}
	for (uint32_t i = 0; i < s->max_ns; i++) {
		tgt_ns_free(s->ns[i]);
	}
	free(s->ns);
	free(s);
}

void
nvtcp_tgt_subsys_opts_init(struct nvtcp_tgt_subsys_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->allow_any_host = true;
	opts->max_namespaces = 32;
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s < 0x20 || *s > 0x7e) {
			return false;
		}
	}
	return true;
}

int
nvtcp_tgt_add_subsys(struct nvtcp_tgt *tgt, const char *nqn,
		     const struct nvtcp_tgt_subsys_opts *opts, char *err, size_t errlen)
{
	struct nvtcp_tgt_subsys_opts defaults;
	struct tgt_subsys *s;
	char why[128];

	if (opts == NULL) {
		nvtcp_tgt_subsys_opts_init(&defaults);
		opts = &defaults;
	}
	if (nqn == NULL || !nvtcp_nqn_valid(nqn, why, sizeof(why))) {
		ERR("subsystem NQN '%s': %s", nqn != NULL ? nqn : "", nqn != NULL ? why : "missing");
		return -EINVAL;
	}
	if (strcmp(nqn, NVTCP_DISCOVERY_NQN) == 0) {
		ERR("subsystem NQN '%s' is the discovery NQN", nqn);
		return -EINVAL;
	}
	if (opts->max_namespaces == 0 || opts->max_namespaces > 1024) {
		ERR("subsystem %s: max_namespaces %u is not 1..1024", nqn, opts->max_namespaces);
		return -EINVAL;
	}
	if (opts->serial != NULL && (opts->serial[0] == '\0' ||
				     strlen(opts->serial) > NVTCP_TGT_SN_MAX_LEN ||
				     !printable(opts->serial))) {
		ERR("subsystem %s: serial '%s' must be 1..%d printable characters", nqn,
		    opts->serial, NVTCP_TGT_SN_MAX_LEN);
		return -EINVAL;
	}
	if (opts->model != NULL && (opts->model[0] == '\0' ||
				    strlen(opts->model) > NVTCP_TGT_MN_MAX_LEN ||
				    !printable(opts->model))) {
		ERR("subsystem %s: model '%s' must be 1..%d printable characters", nqn,
		    opts->model, NVTCP_TGT_MN_MAX_LEN);
		return -EINVAL;
	}
	if (tgt->destroying) {
		ERR("target is being destroyed");
		return -ESHUTDOWN;
	}
	if (tgt_subsys_find(tgt, nqn) != NULL) {
		ERR("subsystem %s already exists", nqn);
		return -EEXIST;
	}
	s = subsys_alloc(tgt, nqn, opts->max_namespaces);
	if (s == NULL) {
		ERR("out of memory");
		return -ENOMEM;
	}
	s->allow_any = opts->allow_any_host;
	if (opts->serial != NULL) {
		snprintf(s->sn, sizeof(s->sn), "%s", opts->serial);
	} else {
		tgt_serial_from_nqn(nqn, s->sn);
	}
	snprintf(s->mn, sizeof(s->mn), "%s",
		 opts->model != NULL ? opts->model : tgt->opts.default_model);
	TAILQ_INSERT_TAIL(&tgt->subsystems, s, link);
	NVTCP_NOTICELOG("subsystem %s added (serial %s, %s)\n", nqn, s->sn,
			s->allow_any ? "any host" : "allowed hosts only");
	tgt_discovery_changed(tgt);
	return 0;
}

static void subsys_reap(void *arg);

/* Free a removed subsystem once its controllers are gone (M, polled by messages). */
static void
subsys_reap(void *arg)
{
	struct tgt_subsys *s = arg;

	nvtcp_tgt_done_fn cb;
	void *cb_arg;

	if (!TAILQ_EMPTY(&s->ctrlrs)) {
		tgt_send_msg(s->tgt->mgmt, subsys_reap, s);
		return;
	}
	cb = s->removed_cb;
	cb_arg = s->removed_cb_arg;
	tgt_subsys_free(s);
	if (cb != NULL) {
		cb(cb_arg, 0);
	}
}

int
nvtcp_tgt_remove_subsys(struct nvtcp_tgt *tgt, const char *nqn)
{
	return nvtcp_tgt_remove_subsys_async(tgt, nqn, NULL, NULL);
}

int
nvtcp_tgt_remove_subsys_async(struct nvtcp_tgt *tgt, const char *nqn, nvtcp_tgt_done_fn cb,
			      void *cb_arg)
{
	struct tgt_subsys *s = nqn != NULL ? tgt_subsys_find(tgt, nqn) : NULL;
	struct tgt_subsys_listener *sl;

	if (s == NULL || s->discovery) {
		return -ENOENT;
	}
	s->removed_cb = cb;
	s->removed_cb_arg = cb_arg;
	TAILQ_REMOVE(&tgt->subsystems, s, link);
	s->removing = true;
	(void)tgt_psk_publish(tgt);
	NVTCP_NOTICELOG("subsystem %s removed\n", s->nqn);
	while ((sl = TAILQ_FIRST(&s->listeners)) != NULL) {
		TAILQ_REMOVE(&s->listeners, sl, link);
		sl->l->subsys_refs--;
		tgt_listener_release(tgt, sl->l);
		free(sl);
	}
	tgt_subsys_teardown_ctrlrs(s);
	tgt_discovery_changed(tgt);
	subsys_reap(s);
	return 0;
}

void
nvtcp_tgt_host_opts_init(struct nvtcp_tgt_host_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
}

int
nvtcp_tgt_subsys_add_host(struct nvtcp_tgt *tgt, const char *nqn, const char *hostnqn, char *err,
			  size_t errlen)
{
	return nvtcp_tgt_subsys_add_host_ext(tgt, nqn, hostnqn, NULL, err, errlen);
}

int
nvtcp_tgt_subsys_add_host_ext(struct nvtcp_tgt *tgt, const char *nqn, const char *hostnqn,
			      const struct nvtcp_tgt_host_opts *opts, char *err, size_t errlen)
{
	struct tgt_subsys *s = nqn != NULL ? tgt_subsys_find(tgt, nqn) : NULL;
	struct tgt_host *h;
	char why[128];
	int rc;

	if (s == NULL) {
		ERR("no subsystem %s", nqn != NULL ? nqn : "");
		return -ENOENT;
	}
	/* The discovery subsystem admits any host; a host entry there exists only to carry the
	 * PSK that lets it discover through a TLS listener. */
	if (s->discovery && (opts == NULL || (opts->psk == NULL && opts->psk_path == NULL))) {
		ERR("host %s: the discovery subsystem allows any host: a host entry there needs a "
		    "TLS PSK", hostnqn != NULL ? hostnqn : "");
		return -EINVAL;
	}
	/* Only the PSK: DH-HMAC-CHAP of discovery controllers was not part of either the TLS
	 * discovery work or the in-band authentication work, so it is refused, not ignored. */
	if (s->discovery && (opts->dhchap_key != NULL || opts->dhchap_ctrl_key != NULL ||
			     opts->dhchap_hashes != 0 || opts->dhchap_dhgroups != 0)) {
		ERR("host %s: DH-HMAC-CHAP is not supported on the discovery subsystem; a host "
		    "entry there carries only a TLS PSK", hostnqn != NULL ? hostnqn : "");
		return -EINVAL;
	}
	if (hostnqn == NULL || !nvtcp_nqn_valid(hostnqn, why, sizeof(why))) {
		ERR("host NQN '%s': %s", hostnqn != NULL ? hostnqn : "",
		    hostnqn != NULL ? why : "missing");
		return -EINVAL;
	}
	TAILQ_FOREACH(h, &s->hosts, link) {
		if (strcmp(h->nqn, hostnqn) == 0) {
			ERR("host %s is already allowed on %s", hostnqn, nqn);
			return -EEXIST;
		}
	}
	if (opts != NULL && opts->psk != NULL && opts->psk_path != NULL) {
		ERR("host %s: give a PSK or a PSK file, not both", hostnqn);
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		ERR("out of memory");
		return -ENOMEM;
	}
	snprintf(h->nqn, sizeof(h->nqn), "%s", hostnqn);
	if (opts != NULL && opts->psk != NULL) {
		if (opts->psk->len != 32 && opts->psk->len != 48) {
			free(h);
			ERR("host %s: PSK of %u bytes: must be 32 or 48", hostnqn, opts->psk->len);
			return -EINVAL;
		}
		h->psk = *opts->psk;
		h->has_psk = true;
	} else if (opts != NULL && opts->psk_path != NULL) {
		rc = nvtcp_tls_psk_load_file(opts->psk_path, &h->psk, why, sizeof(why));
		if (rc != 0) {
			nvtcp_tls_psk_wipe(&h->psk);
			free(h);
			/* The key file's messages name the file already. */
			if (rc == -EINVAL || rc == -EPERM) {
				ERR("host %s: %s", hostnqn, why);
			} else {
				ERR("host %s: PSK file %s: %s", hostnqn, opts->psk_path,
				    strerror(-rc));
			}
			return rc;
		}
		h->has_psk = true;
		h->psk_path = strdup(opts->psk_path);
		if (h->psk_path == NULL) {
			nvtcp_tls_psk_wipe(&h->psk);
			free(h);
			ERR("out of memory");
			return -ENOMEM;
		}
	}
	rc = tgt_auth_host_set(h, opts, err, errlen);
	if (rc != 0) {
		nvtcp_tls_psk_wipe(&h->psk);
		free(h->psk_path);
		free(h);
		return rc;
	}
	TAILQ_INSERT_TAIL(&s->hosts, h, link);
	if (h->has_psk) {
		rc = tgt_psk_publish(tgt);
		if (rc != 0) {
			TAILQ_REMOVE(&s->hosts, h, link);
			nvtcp_tls_psk_wipe(&h->psk);
			free(h->psk_path);
			tgt_auth_host_clear(h);
			free(h);
			(void)tgt_psk_publish(tgt);
			ERR("out of memory");
			return rc;
		}
		NVTCP_NOTICELOG("subsystem %s: host %s allowed with a TLS PSK (%u bytes)\n", s->nqn,
				hostnqn, h->psk.len);
	}
	if (h->has_dhchap) {
		char hashes[64], groups[96];

		(void)nvtcp_tgt_dhchap_mask_format(h->dhchap_hashes ?: NVTCP_AUTH_HASH_ALL, false,
						   hashes, sizeof(hashes));
		(void)nvtcp_tgt_dhchap_mask_format(h->dhchap_dhgroups ?: NVTCP_AUTH_DHGROUP_ALL,
						   true, groups, sizeof(groups));
		NVTCP_NOTICELOG("subsystem %s: host %s must authenticate (DH-HMAC-CHAP, %s; "
				"hashes %s; DH groups %s)\n", s->nqn, hostnqn,
				h->has_dhchap_ctrl ? "bidirectional possible" : "unidirectional",
				hashes, groups);
	}
	tgt_discovery_changed(tgt);
	return 0;
}

int
nvtcp_tgt_subsys_remove_host(struct nvtcp_tgt *tgt, const char *nqn, const char *hostnqn)
{
	struct tgt_subsys *s = nqn != NULL ? tgt_subsys_find(tgt, nqn) : NULL;
	struct tgt_host *h;
	uint32_t n;

	if (s == NULL || hostnqn == NULL) {
		return -ENOENT;
	}
	TAILQ_FOREACH(h, &s->hosts, link) {
		if (strcmp(h->nqn, hostnqn) == 0) {
			bool had_psk = h->has_psk;

			TAILQ_REMOVE(&s->hosts, h, link);
			nvtcp_tls_psk_wipe(&h->psk);
			free(h->psk_path);
			tgt_auth_host_clear(h);
			free(h);
			if (had_psk) {
				(void)tgt_psk_publish(tgt);
			}
			/* With any host allowed, the host may stay: only a withdrawn right ends
			 * its controllers. */
			n = s->allow_any || s->discovery ? 0 :
			    tgt_subsys_teardown_some(s, hostnqn, 0, "host removed from the subsystem");
			NVTCP_NOTICELOG("subsystem %s: host %s removed (%u controllers torn down)\n",
					s->nqn, hostnqn, n);
			tgt_discovery_changed(tgt);
			return 0;
		}
	}
	return -ENOENT;
}

int
nvtcp_tgt_subsys_set_host_keys(struct nvtcp_tgt *tgt, const char *nqn, const char *hostnqn,
			       const struct nvtcp_tgt_host_opts *opts, char *err, size_t errlen)
{
	struct tgt_subsys *s = nqn != NULL ? tgt_subsys_find(tgt, nqn) : NULL;
	struct tgt_host *h = NULL;
	uint32_t n;
	int rc;

	if (s == NULL || s->removing) {
		ERR("nqn: no subsystem %s", nqn != NULL ? nqn : "");
		return -ENOENT;
	}
	if (s->discovery) {
		ERR("nqn: DH-HMAC-CHAP is not supported on the discovery subsystem");
		return -EINVAL;
	}
	if (hostnqn != NULL) {
		h = (struct tgt_host *)tgt_subsys_host_find(s, hostnqn);
	}
	if (h == NULL) {
		ERR("host: %s is not allowed on %s (add it with nvmf_subsystem_add_host)",
		    hostnqn != NULL ? hostnqn : "", s->nqn);
		return -ENOENT;
	}
	if (opts != NULL && (opts->psk != NULL || opts->psk_path != NULL)) {
		ERR("psk: set_keys changes DH-HMAC-CHAP keys only; a TLS PSK is not rotated here");
		return -EINVAL;
	}
	rc = tgt_auth_host_replace(h, opts, err, errlen);
	if (rc != 0) {
		return rc;
	}
	n = tgt_subsys_host_rekey(s, h);
	NVTCP_NOTICELOG("subsystem %s: host %s: DH-HMAC-CHAP keys replaced (%s; pushed to %u "
			"controllers; their next authentication uses them)\n", s->nqn, h->nqn,
			h->has_dhchap_ctrl ? "bidirectional possible" : "unidirectional", n);
	return 0;
}

/* ---- Subsystem listeners ---------------------------------------------------------------- */

static struct tgt_subsys_listener *
subsys_listener_find(struct tgt_subsys *s, const struct tgt_listener *l)
{
	struct tgt_subsys_listener *sl;

	TAILQ_FOREACH(sl, &s->listeners, link) {
		if (sl->l == l) {
			return sl;
		}
	}
	return NULL;
}

bool
tgt_subsys_listener_allowed(struct nvtcp_tgt *tgt, const struct tgt_subsys *s, uint16_t portid)
{
	struct tgt_listener *l;

	/* Port ID 0: a connection no listener accepted (handed in by the unit tests). */
	if (s->discovery || portid == 0) {
		return true;
	}
	l = tgt_listener_by_portid(tgt, portid);
	return l != NULL && (l->global || subsys_listener_find((struct tgt_subsys *)s, l) != NULL);
}

int
nvtcp_tgt_subsys_add_listener(struct nvtcp_tgt *tgt, const char *nqn, const char *addr,
			      const char *port, char *err, size_t errlen)
{
	return nvtcp_tgt_subsys_add_listener_ext(tgt, nqn, addr, port, NULL, err, errlen);
}

int
nvtcp_tgt_subsys_add_listener_ext(struct nvtcp_tgt *tgt, const char *nqn, const char *addr,
				  const char *port, const struct nvtcp_tgt_listener_opts *opts,
				  char *err, size_t errlen)
{
	struct tgt_subsys *s = nqn != NULL ? tgt_subsys_find(tgt, nqn) : NULL;
	struct tgt_subsys_listener *sl;
	struct tgt_listener *l, *old;
	int rc;

	if (s == NULL || s->discovery || s->removing) {
		ERR("no subsystem %s", nqn != NULL ? nqn : "");
		return -ENOENT;
	}
	rc = tgt_listener_new(tgt, addr, port, opts, &l, err, errlen);
	if (rc != 0) {
		return rc;
	}
	if (strcmp(l->port, "0") == 0) {
		/* A subsystem's listener is shared by its address: it must have a fixed one. */
		ERR("subsystem %s: listener %s: port 0 is not allowed here", nqn, addr);
		free(l);
		return -EINVAL;
	}
	if (opts != NULL && opts->ana_state != 0 &&
	    strcmp(nvtcp_tgt_ana_state_str(opts->ana_state), "?") == 0) {
		ERR("ana_state: %d is not an ANA state", (int)opts->ana_state);
		free(l);
		return -EINVAL;
	}
	sl = calloc(1, sizeof(*sl) + s->max_ns);
	if (sl == NULL) {
		free(l);
		ERR("out of memory");
		return -ENOMEM;
	}
	tgt_ana_listener_init(s, sl, opts);
	old = tgt_listener_find(tgt, l->addr, l->port);
	if (old != NULL) {
		rc = tgt_listener_same_opts(old, l, err, errlen);
		free(l);
		if (rc != 0) {
			free(sl);
			return rc;
		}
		if (subsys_listener_find(s, old) != NULL) {
			free(sl);
			ERR("subsystem %s already listens on %s:%s", nqn, old->addr, old->port);
			return -EEXIST;
		}
		l = old;
	} else {
		rc = tgt_listener_insert(tgt, l, err, errlen);
		if (rc != 0) {
			free(sl);
			return rc;
		}
	}
	l->subsys_refs++;
	sl->l = l;
	TAILQ_INSERT_TAIL(&s->listeners, sl, link);
	NVTCP_NOTICELOG("subsystem %s: listening on %s:%s%s\n", nqn, l->addr, l->port,
			old != NULL ? " (shared socket)" : "");
	tgt_discovery_changed(tgt);
	return 0;
}

int
nvtcp_tgt_subsys_remove_listener(struct nvtcp_tgt *tgt, const char *nqn, const char *addr,
				 const char *port)
{
	struct tgt_subsys *s = nqn != NULL ? tgt_subsys_find(tgt, nqn) : NULL;
	struct tgt_subsys_listener *sl;
	struct tgt_listener *l;
	char pbuf[16];
	uint64_t p;

	if (s == NULL || s->discovery || addr == NULL || port == NULL ||
	    nvtcp_parse_u64(port, 65535, &p) != 0) {
		return -ENOENT;
	}
	snprintf(pbuf, sizeof(pbuf), "%" PRIu64, p);
	l = tgt_listener_find(tgt, addr, pbuf);
	sl = l != NULL ? subsys_listener_find(s, l) : NULL;
	if (sl == NULL) {
		return -ENOENT;
	}
	TAILQ_REMOVE(&s->listeners, sl, link);
	free(sl);
	l->subsys_refs--;
	NVTCP_NOTICELOG("subsystem %s: stopped listening on %s:%s\n", nqn, l->addr, l->port);
	if (!l->global) {
		/* Nothing else lets these hosts in through it any more. */
		tgt_subsys_teardown_some(s, NULL, l->portid, "its listener was removed");
	}
	tgt_listener_release(tgt, l);
	tgt_discovery_changed(tgt);
	return 0;
}

int
nvtcp_tgt_subsys_set_allow_any_host(struct nvtcp_tgt *tgt, const char *nqn, bool allow)
{
	struct tgt_subsys *s = nqn != NULL ? tgt_subsys_find(tgt, nqn) : NULL;

	if (s == NULL || s->discovery) {
		return -ENOENT;
	}
	s->allow_any = allow;
	tgt_discovery_changed(tgt);
	return 0;
}

/* ---- Namespaces ------------------------------------------------------------------------------ */

void
nvtcp_tgt_ns_opts_init(struct nvtcp_tgt_ns_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->backend = NVTCP_TGT_BACKEND_MALLOC;
	opts->block_size = 512;
	opts->file_workers = 2;
	opts->file_create = true;
}

int
nvtcp_tgt_backend_parse(const char *name, enum nvtcp_tgt_backend *backend)
{
	if (name == NULL) {
		return -EINVAL;
	}
	if (strcmp(name, "malloc") == 0) {
		*backend = NVTCP_TGT_BACKEND_MALLOC;
	} else if (strcmp(name, "null") == 0) {
		*backend = NVTCP_TGT_BACKEND_NULL;
	} else if (strcmp(name, "file") == 0) {
		*backend = NVTCP_TGT_BACKEND_FILE;
	} else if (strcmp(name, "uring") == 0) {
		*backend = NVTCP_TGT_BACKEND_URING;
	} else {
		return -EINVAL;
	}
	return 0;
}

static bool
all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] != 0) {
			return false;
		}
	}
	return true;
}


/*
 * Default namespace UUID. A file namespace keeps its data across restarts, so its identity must
 * too: hosts (Linux included) compare the UUID/NGUID on reconnect and treat a change as a
 * different namespace. It is a name-based (SHA-1) UUID of the subsystem NQN, the NSID and the
 * path. A RAM namespace starts empty on every run, so a fresh random UUID tells hosts truthfully
 * that it is not the namespace they saw before.
 */
static void
ns_uuid_default(const char *nqn, uint32_t nsid, const struct nvtcp_tgt_ns_opts *opts,
		const struct nvtcp_tgt_bdev_ops *ops, uuid_t out)
{
	char name[NVTCP_NQN_MAX_LEN + PATH_MAX + 32];
	uuid_t base;
	int n;

	if (!ops->takes_path || opts->path == NULL) {
		uuid_generate(out);
		return;
	}
	n = snprintf(name, sizeof(name), "nvtcp:%s:ns%u:%s", nqn, nsid, opts->path);
	/* The DNS name space only seeds the hash; any fixed UUID would do. */
	uuid_copy(base, *uuid_get_template("dns"));
	uuid_generate_sha1(out, base, name, (size_t)NVTCP_MIN(n, (int)sizeof(name) - 1));
}

int
nvtcp_tgt_add_ns(struct nvtcp_tgt *tgt, const char *nqn, const struct nvtcp_tgt_ns_opts *opts,
		 uint32_t *pnsid, char *err, size_t errlen)
{
	struct tgt_subsys *s = nqn != NULL ? tgt_subsys_find(tgt, nqn) : NULL;
	const struct nvtcp_tgt_bdev_ops *ops;
	struct nvtcp_tgt_bdev *bdev = NULL;
	struct tgt_ns *ns;
	uint32_t nsid;
	char uuid_str[40], names[128];
	int rc, type;

	if (s == NULL || s->discovery) {
		ERR("no subsystem %s", nqn != NULL ? nqn : "");
		return -ENOENT;
	}
	if (opts == NULL) {
		ERR("namespace options missing");
		return -EINVAL;
	}
	if (opts->block_size != 512 && opts->block_size != 4096) {
		ERR("namespace block size %u: must be 512 or 4096", opts->block_size);
		return -EINVAL;
	}
	type = tgt_bdev_ns_type(opts);
	if (type < 0) {
		if (opts->backend_name != NULL) {
			ERR("unknown backend '%s' (registered: %s)", opts->backend_name,
			    nvtcp_tgt_bdev_names(names, sizeof(names)));
		} else {
			ERR("unknown backend %d", opts->backend);
		}
		return -EINVAL;
	}
	ops = tgt_bdev_ops_at((uint32_t)type);
	if (opts->nsid > s->max_ns) {
		ERR("NSID %u is above max_namespaces %u of %s", opts->nsid, s->max_ns, nqn);
		return -EINVAL;
	}
	if (opts->anagrpid > s->max_ns) {
		ERR("anagrpid %u is above max_namespaces %u of %s", opts->anagrpid, s->max_ns, nqn);
		return -EINVAL;
	}
	if (ops->takes_path && (opts->path == NULL || opts->path[0] == '\0')) {
		ERR("the %s backend needs a path", ops->name);
		return -EINVAL;
	}
	if (!ops->takes_path &&
	    (opts->size == 0 || opts->size % opts->block_size != 0)) {
		ERR("namespace size %llu: must be a non-zero multiple of the block size %u",
		    (unsigned long long)opts->size, opts->block_size);
		return -EINVAL;
	}
	nsid = opts->nsid;
	if (nsid == 0) {
		for (nsid = 1; nsid <= s->max_ns && s->ns[nsid - 1] != NULL; nsid++) {
		}
		if (nsid > s->max_ns) {
			ERR("subsystem %s has no free NSID (max_namespaces %u)", nqn, s->max_ns);
			return -ENOSPC;
		}
	} else if (s->ns[nsid - 1] != NULL) {
		ERR("NSID %u of %s is taken", nsid, nqn);
		return -EEXIST;
	}

	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	rc = ops->create(opts, tgt->opts.max_io_size, &bdev, err, errlen);
	if (rc == 0 && (bdev == NULL || bdev->size < bdev->block_size || bdev->block_size == 0 ||
			bdev->size % bdev->block_size != 0 || bdev->block_size != opts->block_size)) {
		ERR("the %s backend made an invalid namespace (size %llu, block size %u)", ops->name,
		    bdev != NULL ? (unsigned long long)bdev->size : 0ull,
		    bdev != NULL ? bdev->block_size : 0);
		if (bdev != NULL) {
			ops->destroy(bdev);
		}
		return -EINVAL;
	}
	if (rc != 0 && err != NULL && errlen > 0 && err[0] == '\0') {
		ERR("%s namespace: %s", ops->name, strerror(-rc));
	}
	if (rc != 0) {
		return rc;
	}

	ns = calloc(1, sizeof(*ns));
	if (ns != NULL) {
		ns->inflight = calloc(tgt->npgs, sizeof(*ns->inflight));
		ns->path = opts->path != NULL ? strdup(opts->path) : NULL;
	}
	if (ns == NULL || ns->inflight == NULL || (opts->path != NULL && ns->path == NULL)) {
		if (ns != NULL) {
			free(ns->inflight);
			free(ns->path);
		}
		free(ns);
		tgt_bdev_destroy(bdev);
		ERR("out of memory");
		return -ENOMEM;
	}
	bdev->ops = ops;
	bdev->type = (uint32_t)type;
	ns->nsid = nsid;
	ns->anagrpid = opts->anagrpid != 0 ? opts->anagrpid : nsid;
	ns->subsys = s;
	ns->bdev = bdev;
	ns->backend = opts->backend;
	ns->file_workers = opts->file_workers;
	ns->block_size = opts->block_size;
	ns->block_shift = opts->block_size == 512 ? 9 : 12;
	ns->num_blocks = bdev->size >> ns->block_shift;
	if (all_zero(opts->uuid, sizeof(opts->uuid))) {
		ns_uuid_default(s->nqn, nsid, opts, ops, ns->uuid);
	} else {
		memcpy(ns->uuid, opts->uuid, sizeof(ns->uuid));
	}
	if (all_zero(opts->nguid, sizeof(opts->nguid))) {
		/* An NGUID must be globally unique too: the UUID is, so it serves. */
		memcpy(ns->nguid, ns->uuid, sizeof(ns->nguid));
	} else {
		memcpy(ns->nguid, opts->nguid, sizeof(ns->nguid));
	}
	__atomic_store_n(&s->ns[nsid - 1], ns, __ATOMIC_RELEASE);
	uuid_unparse_lower(ns->uuid, uuid_str);
	NVTCP_NOTICELOG("subsystem %s: namespace %u: %s, %llu blocks of %u bytes, uuid %s%s%s\n",
			s->nqn, nsid, ops->name,
			(unsigned long long)ns->num_blocks, ns->block_size, uuid_str,
			ops->takes_path ? ", " : "", ops->takes_path ? opts->path : "");
	if (pnsid != NULL) {
		*pnsid = nsid;
	}
	tgt_ctrlrs_ns_changed(s, nsid);
	return 0;
}

struct ns_quiesce {
	struct tgt_ns *ns;
	struct nvtcp_tgt *tgt;
	uint32_t pg;
};

static void ns_quiesce_on_pg(void *arg);

static void
ns_quiesce_ack(void *arg)
{
	struct ns_quiesce *q = arg;

	q->pg++;
	if (q->pg < q->tgt->npgs) {
		tgt_send_msg(q->tgt->pgs[q->pg].reactor, ns_quiesce_on_pg, q);
		return;
	}
	TAILQ_REMOVE(&q->tgt->dying_ns, q->ns, link);
	NVTCP_INFOLOG("namespace %u closed\n", q->ns->nsid);
	tgt_ns_free(q->ns);
	free(q);
}

/* On pg q->pg: come back until nothing is in flight here for the namespace. */
static void
ns_quiesce_on_pg(void *arg)
{
	struct ns_quiesce *q = arg;
	struct tgt_pg *pg = &q->tgt->pgs[q->pg];

	if (q->ns->inflight[pg->idx].n != 0) {
		tgt_send_msg(pg->reactor, ns_quiesce_on_pg, q);
		return;
	}
	tgt_send_msg(q->tgt->mgmt, ns_quiesce_ack, q);
}

int
nvtcp_tgt_remove_ns(struct nvtcp_tgt *tgt, const char *nqn, uint32_t nsid)
{
	struct tgt_subsys *s = nqn != NULL ? tgt_subsys_find(tgt, nqn) : NULL;
	struct ns_quiesce *q;
	struct tgt_ns *ns;

	ns = s != NULL && !s->discovery ? tgt_subsys_ns(s, nsid) : NULL;
	if (ns == NULL) {
		return -ENOENT;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		return -ENOMEM;
	}
	__atomic_store_n(&s->ns[nsid - 1], NULL, __ATOMIC_RELEASE);
	NVTCP_NOTICELOG("subsystem %s: namespace %u removed\n", s->nqn, nsid);
	tgt_ctrlrs_ns_changed(s, nsid);
	if (!tgt->started) {
		tgt_ns_free(ns);
		free(q);
		return 0;
	}
	q->ns = ns;
	q->tgt = tgt;
	q->pg = 0;
	TAILQ_INSERT_TAIL(&tgt->dying_ns, ns, link);
	tgt_send_msg(tgt->pgs[0].reactor, ns_quiesce_on_pg, q);
	return 0;
}

/* ---- Discovery log ----------------------------------------------------------------------- */

static void
disc_entry(struct nvtcp_nvmf_disc_log_entry *e, const struct nvtcp_tgt *tgt,
	   const struct tgt_listener *l, const char *traddr, const char *subnqn, uint8_t subtype)
{
	char svc[16];

	memset(e, 0, sizeof(*e));
	e->trtype = NVTCP_NVMF_TRTYPE_TCP;
	e->adrfam = l->adrfam;
	e->subtype = subtype;
	/* SQ flow control may be disabled (as Linux says). TREQ's secure channel field says
	 * whether TLS is required (required), offered (optional: not required) or not
	 * specified (none), and TSAS names TLS 1.3 wherever TLS is offered. */
	e->treq = NVTCP_NVMF_TREQ_DISABLE_SQ_FLOW_CONTROL;
	switch (l->secure) {
	case NVTCP_TGT_SECURE_REQUIRED:
		e->treq |= NVTCP_NVMF_TREQ_SECURE_CHANNEL_REQUIRED;
		break;
	case NVTCP_TGT_SECURE_OPTIONAL:
		e->treq |= NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED;
		break;
	default:
		e->treq |= NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_SPECIFIED;
		break;
	}
	e->portid = l->portid;
	e->cntlid = NVTCP_NVMF_CNTLID_DYNAMIC;
	e->asqsz = (uint16_t)tgt->opts.max_admin_queue_depth;
	if (subtype == NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT) {
		e->eflags = NVTCP_NVMF_EFLAGS_DUPRETINFO | NVTCP_NVMF_EFLAGS_EPCSD;
	}
	snprintf(svc, sizeof(svc), "%u", l->bound_port);
	nvtcp_strcpy_pad(e->trsvcid, sizeof(e->trsvcid), svc, '\0');
	nvtcp_strcpy_pad(e->subnqn, sizeof(e->subnqn), subnqn, '\0');
	nvtcp_strcpy_pad(e->traddr, sizeof(e->traddr), traddr, '\0');
	e->tsas.tcp.sectype = l->secure != NVTCP_TGT_SECURE_NONE ? NVTCP_NVMF_TCP_SECTYPE_TLS13 :
			      NVTCP_NVMF_TCP_SECTYPE_NONE;
}

void *
tgt_discovery_log_build(struct nvtcp_tgt *tgt, const char *hostnqn, const char *local_addr,
			uint16_t local_port, size_t *len)
{
	struct nvtcp_nvmf_disc_log_hdr *hdr;
	struct nvtcp_nvmf_disc_log_entry *e;
	const struct tgt_listener *l, *cur = NULL;
	const struct tgt_subsys *s;
	uint64_t n = 0, max = 1;
	uint8_t *buf;

	TAILQ_FOREACH(l, &tgt->listeners, link) {
		if (l->sock == NULL) {
			continue;
		}
		TAILQ_FOREACH(s, &tgt->subsystems, link) {
			max++;
		}
		if (l->bound_port == local_port) {
			cur = l;
		}
	}
	buf = calloc(1, sizeof(*hdr) + max * sizeof(*e));
	if (buf == NULL) {
		return NULL;
	}
	hdr = (void *)buf;
	e = (void *)(buf + sizeof(*hdr));
	TAILQ_FOREACH(l, &tgt->listeners, link) {
		if (l->sock == NULL) {
			continue;
		}
		TAILQ_FOREACH(s, &tgt->subsystems, link) {
			if (!tgt_subsys_host_allowed(s, hostnqn) ||
			    !tgt_subsys_listener_allowed(tgt, s, l->portid)) {
				continue;
			}
			disc_entry(&e[n++], tgt, l, l->wildcard ? local_addr : l->addr, s->nqn,
				   NVTCP_NVMF_SUBTYPE_NVME);
		}
	}
	if (cur != NULL) {
		disc_entry(&e[n++], tgt, cur, cur->wildcard ? local_addr : cur->addr,
			   NVTCP_DISCOVERY_NQN, NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT);
	}
	hdr->genctr = tgt->genctr;
	hdr->numrec = n;
	hdr->recfmt = 0;
	*len = sizeof(*hdr) + n * sizeof(*e);
	return buf;
}
