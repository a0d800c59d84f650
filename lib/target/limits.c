/*
 * Resource limits: what one source address, one host NQN and one subsystem may hold
 * (connections, I/O queues, queue entries), and the per-host share of a reactor's buffers.
 * See the comment in target_internal.h for who owns what, and doc/target.md for the numbers.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target_internal.h"

static const char *const g_limit_names[NVTCP_TGT_LIMIT_COUNT] = {
	[NVTCP_TGT_LIMIT_CONNECTIONS] = "max_connections",
	[NVTCP_TGT_LIMIT_CONNECTIONS_PER_ADDR] = "max_connections_per_addr",
	[NVTCP_TGT_LIMIT_CONNECTIONS_PER_HOST] = "max_connections_per_host",
	[NVTCP_TGT_LIMIT_IO_QUEUES_PER_HOST] = "max_io_queues_per_host",
	[NVTCP_TGT_LIMIT_QUEUE_ENTRIES_PER_HOST] = "max_queue_entries_per_host",
	[NVTCP_TGT_LIMIT_CONNECTIONS_PER_SUBSYS] = "max_connections_per_subsys",
	[NVTCP_TGT_LIMIT_AUTH_PER_LISTENER] = "max_auth_per_listener",
	[NVTCP_TGT_LIMIT_AUTH_PER_ADDR] = "max_auth_per_addr",
};

const char *
nvtcp_tgt_limit_name(enum nvtcp_tgt_limit limit)
{
	if ((unsigned)limit >= NVTCP_TGT_LIMIT_COUNT) {
		return "?";
	}
	return g_limit_names[limit];
}

/* ---- Usage tables (M) ---------------------------------------------------------------------- */

static struct tgt_usage *
usage_find(struct nvtcp_tgt *tgt, enum tgt_usage_kind kind, const char *key)
{
	struct tgt_usage *u;

	TAILQ_FOREACH(u, &tgt->usage[kind], link) {
		if (strcmp(u->key, key) == 0) {
			return u;
		}
	}
	return NULL;
}

/* The entry of \p key, created empty when missing (NULL without memory). */
static struct tgt_usage *
usage_get(struct nvtcp_tgt *tgt, enum tgt_usage_kind kind, const char *key)
{
	struct tgt_usage *u = usage_find(tgt, kind, key);

	if (u != NULL) {
		return u;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		return NULL;
	}
	snprintf(u->key, sizeof(u->key), "%s", key);
	TAILQ_INSERT_TAIL(&tgt->usage[kind], u, link);
	return u;
}

/* Drop an entry that holds nothing (its refusal count goes with it). */
static void
usage_trim(struct nvtcp_tgt *tgt, enum tgt_usage_kind kind, struct tgt_usage *u)
{
	if (u->conns == 0) {
		assert(u->io_queues == 0 && u->entries == 0);
		TAILQ_REMOVE(&tgt->usage[kind], u, link);
		free(u);
	}
}

static void
refuse(struct nvtcp_tgt *tgt, enum nvtcp_tgt_limit limit, struct tgt_usage *u)
{
	tgt->refusals[limit]++;
	if (u != NULL) {
		u->refusals++;
	}
}

struct tgt_lease *
tgt_limits_admit(struct nvtcp_tgt *tgt, const char *addr, uint16_t port, const char *where)
{
	uint32_t max = tgt->opts.max_connections_per_addr;
	struct tgt_lease *lease;
	struct tgt_usage *u;

	if (atomic_load(&tgt->nconns) >= tgt->opts.max_connections) {
		refuse(tgt, NVTCP_TGT_LIMIT_CONNECTIONS, usage_find(tgt, TGT_USAGE_ADDR, addr));
		NVTCP_NOTICELOG("refusing %s:%u on %s: max_connections %u reached\n", addr, port,
				where, tgt->opts.max_connections);
		return NULL;
	}
	u = usage_find(tgt, TGT_USAGE_ADDR, addr);
	if (max != 0 && u != NULL && u->conns >= max) {
		refuse(tgt, NVTCP_TGT_LIMIT_CONNECTIONS_PER_ADDR, u);
		NVTCP_NOTICELOG("refusing %s:%u on %s: max_connections_per_addr %u reached "
				"(%s has %u connections)\n", addr, port, where, max, addr, u->conns);
		return NULL;
	}
	lease = calloc(1, sizeof(*lease));
	u = lease != NULL ? usage_get(tgt, TGT_USAGE_ADDR, addr) : NULL;
	if (u == NULL) {
		NVTCP_ERRLOG("refusing %s:%u on %s: out of memory\n", addr, port, where);
		free(lease);
		return NULL;
	}
	u->conns++;
	lease->tgt = tgt;
	lease->addr = u;
	atomic_fetch_add(&tgt->nconns, 1);
	return lease;
}

int
tgt_limits_charge(struct tgt_lease *lease, const char *hostnqn, const char *subnqn,
		  uint16_t qid, uint32_t qsize, enum nvtcp_tgt_limit *limit, char *why,
		  size_t whylen)
{
	struct nvtcp_tgt *tgt = lease->tgt;
	const struct nvtcp_tgt_opts *o = &tgt->opts;
	struct tgt_usage *h = usage_find(tgt, TGT_USAGE_HOST, hostnqn);
	struct tgt_usage *s = usage_find(tgt, TGT_USAGE_SUBSYS, subnqn);
	uint32_t hconns = h != NULL ? h->conns : 0;
	uint32_t hioq = h != NULL ? h->io_queues : 0;
	uint32_t hent = h != NULL ? h->entries : 0;
	uint32_t sconns = s != NULL ? s->conns : 0;

	assert(lease->host == NULL);
	if (o->max_connections_per_host != 0 && hconns >= o->max_connections_per_host) {
		*limit = NVTCP_TGT_LIMIT_CONNECTIONS_PER_HOST;
		snprintf(why, whylen, "max_connections_per_host %u reached (host %s has %u queues)",
			 o->max_connections_per_host, hostnqn, hconns);
	} else if (qid > 0 && o->max_io_queues_per_host != 0 &&
		   hioq >= o->max_io_queues_per_host) {
		*limit = NVTCP_TGT_LIMIT_IO_QUEUES_PER_HOST;
		snprintf(why, whylen, "max_io_queues_per_host %u reached (host %s has %u)",
			 o->max_io_queues_per_host, hostnqn, hioq);
	} else if (o->max_queue_entries_per_host != 0 &&
		   (uint64_t)hent + qsize > o->max_queue_entries_per_host) {
		*limit = NVTCP_TGT_LIMIT_QUEUE_ENTRIES_PER_HOST;
		snprintf(why, whylen, "max_queue_entries_per_host %u: host %s has %u, asks %u more",
			 o->max_queue_entries_per_host, hostnqn, hent, qsize);
	} else if (o->max_connections_per_subsys != 0 &&
		   sconns >= o->max_connections_per_subsys) {
		*limit = NVTCP_TGT_LIMIT_CONNECTIONS_PER_SUBSYS;
		snprintf(why, whylen, "max_connections_per_subsys %u reached (%s has %u queues)",
			 o->max_connections_per_subsys, subnqn, sconns);
		refuse(tgt, *limit, s);
		return -EBUSY;
	} else {
		h = usage_get(tgt, TGT_USAGE_HOST, hostnqn);
		s = h != NULL ? usage_get(tgt, TGT_USAGE_SUBSYS, subnqn) : NULL;
		if (s == NULL) {
			if (h != NULL) {
				usage_trim(tgt, TGT_USAGE_HOST, h);
			}
			return -ENOMEM;
		}
		lease->host = h;
		lease->subsys = s;
		lease->entries = qsize;
		lease->io_queue = qid > 0;
		h->conns++;
		h->io_queues += lease->io_queue;
		h->entries += qsize;
		s->conns++;
		s->io_queues += lease->io_queue;
		s->entries += qsize;
		return 0;
	}
	refuse(tgt, *limit, h);
	return -EBUSY;
}

/*
 * DH-HMAC-CHAP: a queue in its first authentication transaction holds a slot of its listener
 * and of its source address until the transaction ends (tgt_lease_auth_done_msg()) or the
 * charge is undone or released. Re-authentication of an authenticated queue takes no slot: its
 * host has proved its key already, and a queue runs one transaction at a time.
 */
int
tgt_limits_auth_charge(struct tgt_lease *lease, enum nvtcp_tgt_limit *limit, char *why,
		       size_t whylen)
{
	struct nvtcp_tgt *tgt = lease->tgt;
	const struct nvtcp_tgt_opts *o = &tgt->opts;
	struct tgt_listener *l = tgt_listener_by_portid(tgt, lease->portid);
	uint32_t lcount = l != NULL ? l->auth_inflight : 0;

	assert(!lease->auth_charged);
	if (o->max_auth_per_listener != 0 && lcount >= o->max_auth_per_listener) {
		*limit = NVTCP_TGT_LIMIT_AUTH_PER_LISTENER;
		snprintf(why, whylen, "max_auth_per_listener %u reached (%u authentications in "
			 "progress on %s:%u)", o->max_auth_per_listener, lcount,
			 l != NULL ? l->addr : "?", l != NULL ? l->bound_port : 0);
		refuse(tgt, *limit, NULL);
		return -EBUSY;
	}
	if (o->max_auth_per_addr != 0 && lease->addr->auth >= o->max_auth_per_addr) {
		*limit = NVTCP_TGT_LIMIT_AUTH_PER_ADDR;
		snprintf(why, whylen, "max_auth_per_addr %u reached (%u authentications in progress "
			 "from %s)", o->max_auth_per_addr, lease->addr->auth, lease->addr->key);
		refuse(tgt, *limit, lease->addr);
		return -EBUSY;
	}
	if (l != NULL) {
		l->auth_inflight++;
	}
	lease->addr->auth++;
	lease->auth_charged = true;
	return 0;
}

void
tgt_limits_auth_uncharge(struct tgt_lease *lease)
{
	struct tgt_listener *l;

	if (!lease->auth_charged) {
		return;
	}
	/* A listener removed meanwhile took its count with it. */
	l = tgt_listener_by_portid(lease->tgt, lease->portid);
	if (l != NULL && l->auth_inflight > 0) {
		l->auth_inflight--;
	}
	assert(lease->addr->auth > 0);
	lease->addr->auth--;
	lease->auth_charged = false;
}

void
tgt_lease_auth_done_msg(void *arg)
{
	tgt_limits_auth_uncharge(arg);
}

void
tgt_limits_uncharge(struct tgt_lease *lease)
{
	struct nvtcp_tgt *tgt = lease->tgt;
	struct tgt_usage *u[2] = {lease->host, lease->subsys};
	const enum tgt_usage_kind kinds[2] = {TGT_USAGE_HOST, TGT_USAGE_SUBSYS};

	tgt_limits_auth_uncharge(lease);
	if (lease->host == NULL) {
		return;
	}
	for (int i = 0; i < 2; i++) {
		assert(u[i]->conns > 0 && u[i]->entries >= lease->entries &&
		       u[i]->io_queues >= (uint32_t)lease->io_queue);
		u[i]->conns--;
		u[i]->io_queues -= lease->io_queue;
		u[i]->entries -= lease->entries;
		usage_trim(tgt, kinds[i], u[i]);
	}
	lease->host = NULL;
	lease->subsys = NULL;
	lease->entries = 0;
	lease->io_queue = false;
}

void
tgt_lease_uncharge_msg(void *arg)
{
	tgt_limits_uncharge(arg);
}

void
tgt_lease_release_msg(void *arg)
{
	struct tgt_lease *lease = arg;
	struct nvtcp_tgt *tgt = lease->tgt;

	tgt_limits_uncharge(lease);
	assert(lease->addr->conns > 0);
	lease->addr->conns--;
	usage_trim(tgt, TGT_USAGE_ADDR, lease->addr);
	free(lease);
	/* Last: destroy waits for nconns 0, which thus means every lease is back. */
	atomic_fetch_sub(&tgt->nconns, 1);
}

bool
tgt_limits_idle(const struct nvtcp_tgt *tgt)
{
	for (int k = 0; k < TGT_USAGE_KINDS; k++) {
		if (!TAILQ_EMPTY(&tgt->usage[k])) {
			return false;
		}
	}
	return true;
}

/* ---- Buffers per host (pg) ----------------------------------------------------------------- */

struct tgt_pg_host *
tgt_pg_host_get(struct tgt_pg *pg, const char *hostnqn)
{
	struct tgt_pg_host *h;

	TAILQ_FOREACH(h, &pg->hosts, link) {
		if (strcmp(h->hostnqn, hostnqn) == 0) {
			h->conns++;
			return h;
		}
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return NULL;
	}
	snprintf(h->hostnqn, sizeof(h->hostnqn), "%s", hostnqn);
	h->conns = 1;
	TAILQ_INSERT_TAIL(&pg->hosts, h, link);
	return h;
}

void
tgt_pg_host_put(struct tgt_pg *pg, struct tgt_pg_host *h)
{
	assert(h->conns > 0);
	if (--h->conns == 0) {
		assert(h->bufs_held == 0);
		TAILQ_REMOVE(&pg->hosts, h, link);
		free(h);
	}
}

/* ---- Reporting (M) ------------------------------------------------------------------------- */

static int
usage_copy(const struct tgt_usage_list *list, struct nvtcp_tgt_usage **out, uint32_t *count)
{
	const struct tgt_usage *u;
	uint32_t n = 0;

	TAILQ_FOREACH(u, list, link) {
		n++;
	}
	*count = 0;
	*out = calloc(n > 0 ? n : 1, sizeof(**out));
	if (*out == NULL) {
		return -ENOMEM;
	}
	TAILQ_FOREACH(u, list, link) {
		struct nvtcp_tgt_usage *d = &(*out)[(*count)++];

		snprintf(d->key, sizeof(d->key), "%s", u->key);
		d->connections = u->conns;
		d->io_queues = u->io_queues;
		d->queue_entries = u->entries;
		d->authentications = u->auth;
		d->refusals = u->refusals;
	}
	return 0;
}

int
nvtcp_tgt_get_limit_stats(const struct nvtcp_tgt *tgt, struct nvtcp_tgt_limit_stats **stats)
{
	struct nvtcp_tgt_limit_stats *st = calloc(1, sizeof(*st));

	*stats = NULL;
	if (st == NULL) {
		return -ENOMEM;
	}
	memcpy(st->refusals, tgt->refusals, sizeof(st->refusals));
	for (uint32_t i = 0; i < tgt->npgs; i++) {
		st->host_buf_waits += TGT_STAT_LOAD(tgt->pgs[i].stats.io.host_buf_waits);
	}
	st->connections = atomic_load(&((struct nvtcp_tgt *)tgt)->nconns);
	if (usage_copy(&tgt->usage[TGT_USAGE_HOST], &st->hosts, &st->num_hosts) != 0 ||
	    usage_copy(&tgt->usage[TGT_USAGE_ADDR], &st->addrs, &st->num_addrs) != 0 ||
	    usage_copy(&tgt->usage[TGT_USAGE_SUBSYS], &st->subsys, &st->num_subsys) != 0) {
		nvtcp_tgt_limit_stats_free(st);
		return -ENOMEM;
	}
	*stats = st;
	return 0;
}

void
nvtcp_tgt_limit_stats_free(struct nvtcp_tgt_limit_stats *stats)
{
	if (stats == NULL) {
		return;
	}
	free(stats->hosts);
	free(stats->addrs);
	free(stats->subsys);
	free(stats);
}

void
tgt_limits_log(const struct nvtcp_tgt *tgt)
{
	struct nvtcp_tgt_limit_stats *st;
	char line[512];
	int off = 0;

	if (nvtcp_tgt_get_limit_stats(tgt, &st) != 0) {
		return;
	}
	for (int i = 0; i < NVTCP_TGT_LIMIT_COUNT && off < (int)sizeof(line); i++) {
		off += snprintf(line + off, sizeof(line) - (size_t)off, "%s%s %" PRIu64,
				i > 0 ? ", " : "", g_limit_names[i], st->refusals[i]);
	}
	NVTCP_NOTICELOG("limits: %u connections; refusals: %s; host buffer share waits %" PRIu64
			"\n", st->connections, line, st->host_buf_waits);
	for (uint32_t i = 0; i < st->num_hosts; i++) {
		const struct nvtcp_tgt_usage *u = &st->hosts[i];

		NVTCP_NOTICELOG("limits: host %s: %u queues, %u I/O queues, %u queue entries, "
				"%" PRIu64 " refusals\n", u->key, u->connections, u->io_queues,
				u->queue_entries, u->refusals);
	}
	for (uint32_t i = 0; i < st->num_addrs; i++) {
		NVTCP_NOTICELOG("limits: address %s: %u connections, %" PRIu64 " refusals\n",
				st->addrs[i].key, st->addrs[i].connections, st->addrs[i].refusals);
	}
	nvtcp_tgt_limit_stats_free(st);
}
