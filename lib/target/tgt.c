/*
 * The target object: options, the per-reactor state (pg), listeners, accepting and spreading
 * connections, start, destroy and statistics.
 *
 * Everything here runs on the management reactor (M) except the pg functions, which run on
 * their own reactors and are reached only by messages.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/fabrics.h"
#include "target_internal.h"

#define ERR(...) do { if (err != NULL && errlen > 0) snprintf(err, errlen, __VA_ARGS__); } while (0)

/* How often a destroy looks whether every connection and controller is gone. */
#define TGT_DESTROY_POLL_US 2000

void
nvtcp_tgt_opts_init(struct nvtcp_tgt_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->max_queue_depth = 128;
	opts->max_admin_queue_depth = 32;
	opts->max_io_queues = 64;
	opts->in_capsule_data_size = 16384;
	opts->max_io_size = 1024 * 1024;
	opts->maxh2cdata = 128 * 1024;
	opts->max_r2t_len = 0;
	opts->max_c2h_len = 0;
	opts->hdgst = true;
	opts->ddgst = true;
	opts->cpda = 0;
	opts->c2h_success = NVTCP_TGT_C2H_SUCCESS_SQFLOW_DISABLED;
	opts->kato_max_ms = 3600 * 1000;
	opts->discovery_kato_ms = 120 * 1000;
	opts->connect_timeout_ms = 10 * 1000;
	opts->max_connections = 1024;
	/* See doc/target.md "Resource limits": one host or address gets at most a quarter of
	 * what max_connections allows, which is still three whole 64-queue controllers. */
	opts->max_connections_per_addr = 256;
	opts->max_connections_per_host = 256;
	opts->max_io_queues_per_host = 256;
	opts->max_queue_entries_per_host = 32768;
	opts->max_connections_per_subsys = 0;
	opts->max_auth_per_listener = 32;
	opts->max_auth_per_addr = 4;
	opts->auth_timeout_ms = 15 * 1000;
	opts->host_buf_share = 75;
	opts->buf_size = 64 * 1024;
	opts->buf_count = 512;
	opts->rxbuf_size = 64 * 1024;
	opts->default_model = "nvtcp target";
}

int
nvtcp_tgt_opts_check(const struct nvtcp_tgt_opts *o, char *err, size_t errlen)
{
	if (o->max_queue_depth < 2 || o->max_queue_depth > 4096) {
		ERR("max_queue_depth %u: must be 2..4096", o->max_queue_depth);
		return -EINVAL;
	}
	if (o->max_admin_queue_depth < 32 || o->max_admin_queue_depth > 4096) {
		ERR("max_admin_queue_depth %u: must be 32..4096", o->max_admin_queue_depth);
		return -EINVAL;
	}
	if (o->sock_impl != NVTCP_SOCK_IMPL_DEFAULT && o->sock_impl != NVTCP_SOCK_IMPL_POSIX &&
	    o->sock_impl != NVTCP_SOCK_IMPL_URING) {
		ERR("sock_impl %d: must be default, posix or uring", o->sock_impl);
		return -EINVAL;
	}
	if (o->max_io_queues < 1 || o->max_io_queues > 1024) {
		ERR("max_io_queues %u: must be 1..1024", o->max_io_queues);
		return -EINVAL;
	}
	if (o->in_capsule_data_size < 8192 || o->in_capsule_data_size > 131072 ||
	    o->in_capsule_data_size % 16 != 0) {
		ERR("in_capsule_data_size %u: must be 8192..131072 and a multiple of 16",
		    o->in_capsule_data_size);
		return -EINVAL;
	}
	if (!NVTCP_IS_POWER_OF_2(o->max_io_size) || o->max_io_size < 4096 ||
	    o->max_io_size > 4u * 1024 * 1024) {
		ERR("max_io_size %u: must be a power of two, 4 KiB..4 MiB", o->max_io_size);
		return -EINVAL;
	}
	if (o->maxh2cdata < 4096 || o->maxh2cdata % 4 != 0 || o->maxh2cdata > 16u * 1024 * 1024) {
		ERR("maxh2cdata %u: must be 4096..16 MiB and a multiple of 4", o->maxh2cdata);
		return -EINVAL;
	}
	if (o->max_r2t_len != 0 && (o->max_r2t_len < 4096 || o->max_r2t_len % 4 != 0)) {
		ERR("max_r2t_len %u: must be 0 (= max_io_size) or >= 4096, a multiple of 4",
		    o->max_r2t_len);
		return -EINVAL;
	}
	if (o->max_c2h_len != 0 && (o->max_c2h_len < 4096 || o->max_c2h_len % 4 != 0)) {
		ERR("max_c2h_len %u: must be 0 (= max_io_size) or >= 4096, a multiple of 4",
		    o->max_c2h_len);
		return -EINVAL;
	}
	if (o->cpda > NVTCP_TCP_PDA_MAX) {
		ERR("cpda %u: must be 0..%u", o->cpda, NVTCP_TCP_PDA_MAX);
		return -EINVAL;
	}
	if (o->c2h_success > NVTCP_TGT_C2H_SUCCESS_ALWAYS) {
		ERR("c2h_success %d: unknown mode", (int)o->c2h_success);
		return -EINVAL;
	}
	if (o->max_connections == 0) {
		ERR("max_connections must be at least 1");
		return -EINVAL;
	}
	if (o->auth_timeout_ms < 100) {
		ERR("auth_timeout_ms %u: must be at least 100", o->auth_timeout_ms);
		return -EINVAL;
	}
	if (o->host_buf_share < 1 || o->host_buf_share > 100) {
		ERR("host_buf_share %u: must be 1..100 (percent)", o->host_buf_share);
		return -EINVAL;
	}
	if (!NVTCP_IS_POWER_OF_2(o->buf_size) || o->buf_size < 16384 ||
	    o->buf_size > 1024 * 1024) {
		ERR("buf_size %u: must be a power of two, 16 KiB..1 MiB", o->buf_size);
		return -EINVAL;
	}
	if (o->max_io_size / o->buf_size > TGT_REQ_IOV_MAX) {
		ERR("buf_size %u: max_io_size %u would need more than %d buffers per command",
		    o->buf_size, o->max_io_size, TGT_REQ_IOV_MAX);
		return -EINVAL;
	}
	if (o->buf_count < NVTCP_MAX(o->max_io_size / o->buf_size, 1u) +
			   (o->in_capsule_data_size + o->buf_size - 1) / o->buf_size ||
	    o->buf_count > 1u << 20) {
		ERR("buf_count %u: must hold one max_io_size transfer and one in-capsule "
		    "transfer (%u buffers)", o->buf_count,
		    NVTCP_MAX(o->max_io_size / o->buf_size, 1u) +
		    (o->in_capsule_data_size + o->buf_size - 1) / o->buf_size);
		return -EINVAL;
	}
	if (o->rxbuf_size < 8192 || o->rxbuf_size > 16u * 1024 * 1024) {
		ERR("rxbuf_size %u: must be 8 KiB..16 MiB", o->rxbuf_size);
		return -EINVAL;
	}
	if (o->reactors == NULL && o->num_cores > NVTCP_TGT_MAX_REACTORS) {
		ERR("num_cores %u: at most %d", o->num_cores, NVTCP_TGT_MAX_REACTORS);
		return -EINVAL;
	}
	if (o->reactors != NULL && (o->num_reactors == 0 ||
				    o->num_reactors > NVTCP_TGT_MAX_REACTORS)) {
		ERR("num_reactors %u: must be 1..%d", o->num_reactors, NVTCP_TGT_MAX_REACTORS);
		return -EINVAL;
	}
	if (o->default_model == NULL || o->default_model[0] == '\0' ||
	    strlen(o->default_model) > NVTCP_TGT_MN_MAX_LEN) {
		ERR("default_model must be 1..%d characters", NVTCP_TGT_MN_MAX_LEN);
		return -EINVAL;
	}
	return 0;
}

void
tgt_send_msg(struct nvtcp_reactor *reactor, nvtcp_msg_fn fn, void *arg)
{
	/* Control messages of the target are few (connection set-up and teardown); a full
	 * ring of 64 Ki messages means a reactor is wedged, and dropping one would leak or
	 * hang a connection, so wait for room instead. */
	while (nvtcp_reactor_send_msg(reactor, fn, arg) != 0) {
		nvtcp_env_delay_us(10);
	}
}

struct tgt_pg *
tgt_pg_current(struct nvtcp_tgt *tgt)
{
	struct nvtcp_reactor *r = nvtcp_reactor_get_current();

	for (uint32_t i = 0; i < tgt->npgs; i++) {
		if (tgt->pgs[i].reactor == r) {
			return &tgt->pgs[i];
		}
	}
	return NULL;
}

void
tgt_discovery_changed(struct nvtcp_tgt *tgt)
{
	tgt->genctr++;
	tgt_ctrlrs_disc_changed(tgt);
}

struct nvtcp_tgt *
nvtcp_tgt_create(const struct nvtcp_tgt_opts *opts, char *err, size_t errlen)
{
	struct nvtcp_tgt_opts defaults;
	struct nvtcp_reactor *mgmt = nvtcp_reactor_get_current();
	struct nvtcp_tgt *tgt;
	uint32_t core, n = 0;
	int rc;

	if (opts == NULL) {
		nvtcp_tgt_opts_init(&defaults);
		opts = &defaults;
	}
	rc = nvtcp_tgt_opts_check(opts, err, errlen);
	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	if (mgmt == NULL) {
		ERR("nvtcp_tgt_create() must be called on a reactor");
		errno = EINVAL;
		return NULL;
	}
	tgt = calloc(1, sizeof(*tgt));
	if (tgt == NULL) {
		ERR("out of memory");
		errno = ENOMEM;
		return NULL;
	}
	tgt->opts = *opts;
	tgt->opts.reactors = NULL;
	if (tgt->opts.max_r2t_len == 0) {
		tgt->opts.max_r2t_len = tgt->opts.max_io_size;
	}
	if (tgt->opts.max_c2h_len == 0) {
		tgt->opts.max_c2h_len = tgt->opts.max_io_size;
	}
	tgt->mgmt = mgmt;
	TAILQ_INIT(&tgt->subsystems);
	TAILQ_INIT(&tgt->listeners);
	TAILQ_INIT(&tgt->dying_ns);
	for (int k = 0; k < TGT_USAGE_KINDS; k++) {
		TAILQ_INIT(&tgt->usage[k]);
	}
	tgt->genctr = 1;
	tgt->next_cntlid = 1;
	tgt->pgs = calloc(NVTCP_TGT_MAX_REACTORS, sizeof(*tgt->pgs));
	if (tgt->pgs == NULL) {
		goto nomem;
	}
	if (opts->reactors != NULL) {
		for (n = 0; n < opts->num_reactors; n++) {
			tgt->pgs[n].reactor = opts->reactors[n];
		}
	} else if (opts->num_cores > 0) {
		for (n = 0; n < opts->num_cores; n++) {
			tgt->pgs[n].reactor = nvtcp_reactor_get(opts->cores[n]);
			if (tgt->pgs[n].reactor == NULL) {
				ERR("core %u has no reactor", opts->cores[n]);
				goto nodev;
			}
		}
	} else {
		NVTCP_ENV_FOREACH_CORE(core) {
			if (n == NVTCP_TGT_MAX_REACTORS) {
				break;
			}
			tgt->pgs[n].reactor = nvtcp_reactor_get(core);
			if (tgt->pgs[n].reactor == NULL) {
				ERR("core %u has no reactor (is the launcher running?)", core);
				goto nodev;
			}
			n++;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (tgt->pgs[i].reactor == NULL) {
			ERR("reactor %u is NULL", i);
			goto nodev;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (tgt->pgs[j].reactor == tgt->pgs[i].reactor) {
				ERR("reactor %u is listed twice", i);
				goto nodev;
			}
		}
	}
	if (n == 0) {
		ERR("no data reactor");
		goto nodev;
	}
	tgt->npgs = n;
	for (uint32_t i = 0; i < n; i++) {
		struct tgt_pg *pg = &tgt->pgs[i];

		pg->tgt = tgt;
		pg->idx = i;
		TAILQ_INIT(&pg->conns);
		TAILQ_INIT(&pg->buf_wait);
		TAILQ_INIT(&pg->rx_wait);
		TAILQ_INIT(&pg->hosts);
	}
	tgt->zero_buf = nvtcp_dma_zmalloc(tgt->opts.max_io_size, 4096, NVTCP_ENV_NUMA_ANY);
	tgt->disc = tgt_subsys_create_discovery(tgt);
	if (tgt->zero_buf == NULL || tgt->disc == NULL) {
		goto nomem;
	}
	return tgt;
nodev:
	nvtcp_dma_free(tgt->zero_buf);
	tgt_subsys_free(tgt->disc);
	free(tgt->pgs);
	free(tgt);
	errno = ENODEV;
	return NULL;
nomem:
	ERR("out of memory");
	nvtcp_dma_free(tgt->zero_buf);
	tgt_subsys_free(tgt->disc);
	free(tgt->pgs);
	free(tgt);
	errno = ENOMEM;
	return NULL;
}

/* ---- Per-reactor state -------------------------------------------------------------------- */

static int
pg_poll(void *arg)
{
	struct tgt_pg *pg = arg;
	uint64_t before = pg->work;
	int work;

	if (!TAILQ_EMPTY(&pg->buf_wait) || !TAILQ_EMPTY(&pg->rx_wait)) {
		tgt_pg_retry_waiters(pg);
	}
	/* A poll that only found nothing to read is idle, whatever the callbacks count says
	 * (a group of one socket calls it on every poll). */
	nvtcp_sock_group_poll(pg->group, 0);
	/* Last: what the commands of this poll submitted to backends goes out in one batch
	 * (uring), then their completions. */
	work = tgt_bdev_poll(pg);
	return work > 0 || pg->work != before ? NVTCP_POLLER_BUSY : NVTCP_POLLER_IDLE;
}

static int
pg_timer(void *arg)
{
	struct tgt_pg *pg = arg;
	struct tgt_conn *conn, *tmp;
	uint64_t now = nvtcp_env_get_ticks();
	uint64_t tmo = pg->tgt->opts.connect_timeout_ms * nvtcp_env_get_ticks_hz() / 1000;

	TAILQ_FOREACH_SAFE(conn, &pg->conns, link, tmp) {
		if (conn->auth != NULL && tgt_auth_check_timeout(conn, now)) {
			continue;
		}
		if (tmo == 0 || !tgt_conn_state_early(conn->state) ||
		    now - conn->accept_tick <= tmo) {
			continue;
		}
		if (conn->state == TGT_CONN_TLS_DETECT || conn->state == TGT_CONN_TLS_HANDSHAKE) {
			NVTCP_ERRLOG("%s: TLS handshake not done within %u ms\n", conn->peer,
				     pg->tgt->opts.connect_timeout_ms);
			tgt_conn_close(conn, "TLS handshake timed out");
		} else {
			tgt_conn_close(conn, "no Fabrics Connect within %u ms",
				       pg->tgt->opts.connect_timeout_ms);
		}
	}
	return NVTCP_POLLER_IDLE;
}

static void
start_done(void *arg)
{
	struct tgt_pg *pg = arg;
	struct nvtcp_tgt *tgt = pg->tgt;
	struct tgt_listener *l;
	char err[256];

	if (!pg->started && tgt->start_status == 0) {
		tgt->start_status = -ENOMEM;
	}
	if (--tgt->start_pending > 0) {
		return;
	}
	tgt->starting = false;
	if (tgt->start_status == 0) {
		tgt->started = true;
		TAILQ_FOREACH(l, &tgt->listeners, link) {
			int rc = tgt_listener_open(tgt, l, err, sizeof(err));

			if (rc != 0) {
				NVTCP_ERRLOG("%s\n", err);
				tgt->start_status = rc;
				break;
			}
		}
	}
	if (tgt->start_status != 0) {
		NVTCP_ERRLOG("target start failed: %s\n", strerror(-tgt->start_status));
	}
	if (tgt->start_cb != NULL) {
		tgt->start_cb(tgt->start_cb_arg, tgt->start_status);
	}
}

static void
pg_start(void *arg)
{
	struct tgt_pg *pg = arg;
	struct nvtcp_tgt *tgt = pg->tgt;
	uint32_t core = nvtcp_reactor_get_core(pg->reactor);
	int numa = core == NVTCP_ENV_CORE_NONE ? NVTCP_ENV_NUMA_ANY : nvtcp_env_get_numa_node(core);

	pg->group = nvtcp_sock_group_create_impl((enum nvtcp_sock_impl)tgt->opts.sock_impl);
	if (pg->group == NULL) {
		goto out;
	}
	if (tgt_bufpool_init(&pg->bufs, tgt->opts.buf_count, tgt->opts.buf_size, numa) != 0) {
		NVTCP_ERRLOG("reactor %u: cannot allocate %u data buffers of %u bytes\n", pg->idx,
			     tgt->opts.buf_count, tgt->opts.buf_size);
		goto out;
	}
	/* Half the pool, and at least two of the largest transfers. */
	pg->conn_buf_cap = NVTCP_MAX(tgt->opts.buf_count / 2,
				     2 * NVTCP_MAX(tgt->opts.max_io_size / tgt->opts.buf_size, 1u));
	pg->buf_reserve = (tgt->opts.in_capsule_data_size + tgt->opts.buf_size - 1) /
			  tgt->opts.buf_size;
	/* The host's share, but never below what one connection may hold: a host with one
	 * queue here is limited exactly as before. */
	pg->host_buf_cap = NVTCP_MAX((uint32_t)((uint64_t)tgt->opts.buf_count *
						tgt->opts.host_buf_share / 100), pg->conn_buf_cap);
	pg->poller = nvtcp_poller_register(pg_poll, pg, 0);
	pg->timer = nvtcp_poller_register(pg_timer, pg, TGT_PG_TIMER_US);
	if (pg->poller == NULL || pg->timer == NULL) {
		goto out;
	}
	pg->started = true;
out:
	tgt_send_msg(tgt->mgmt, start_done, pg);
}

static void
pg_fini(struct tgt_pg *pg)
{
	nvtcp_poller_unregister(&pg->poller);
	nvtcp_poller_unregister(&pg->timer);
	if (pg->group != NULL) {
		nvtcp_sock_group_destroy(&pg->group);
	}
	tgt_bdev_pg_fini(pg);
	tgt_bufpool_fini(&pg->bufs);
	pg->started = false;
}

int
nvtcp_tgt_start(struct nvtcp_tgt *tgt, nvtcp_tgt_done_fn cb, void *cb_arg)
{
	if (tgt->started || tgt->starting || tgt->destroying) {
		return -EALREADY;
	}
	tgt->starting = true;
	tgt->start_cb = cb;
	tgt->start_cb_arg = cb_arg;
	tgt->start_pending = tgt->npgs;
	tgt->start_status = 0;
	for (uint32_t i = 0; i < tgt->npgs; i++) {
		tgt_send_msg(tgt->pgs[i].reactor, pg_start, &tgt->pgs[i]);
	}
	return 0;
}

/* ---- Listeners and accepting ------------------------------------------------------------- */

static void
pg_adopt(void *arg)
{
	struct tgt_lease *lease = arg;
	struct tgt_pg *pg = lease->pg;
	struct nvtcp_sock *sock = lease->sock;

	lease->sock = NULL;
	if (pg->stopping) {
		nvtcp_sock_close(&sock);
		__atomic_fetch_sub(&pg->nconns, 1, __ATOMIC_RELAXED);
		tgt_send_msg(pg->tgt->mgmt, tgt_lease_release_msg, lease);
		return;
	}
	/* On failure, the socket is closed and the lease released by tgt_conn_create(). */
	(void)tgt_conn_create(pg, sock, lease);
}

static struct tgt_pg *
pick_pg(struct nvtcp_tgt *tgt)
{
	struct tgt_pg *best = NULL;
	uint32_t best_n = UINT32_MAX;

	/* Fewest connections wins; among equals, round robin from where the last pick was. */
	for (uint32_t i = 0; i < tgt->npgs; i++) {
		struct tgt_pg *pg = &tgt->pgs[(tgt->rr_next + i) % tgt->npgs];
		uint32_t n = __atomic_load_n(&pg->nconns, __ATOMIC_RELAXED);

		if (n < best_n) {
			best = pg;
			best_n = n;
		}
	}
	tgt->rr_next = (best->idx + 1) % tgt->npgs;
	return best;
}

static void
accept_one(struct nvtcp_tgt *tgt, struct tgt_listener *l, struct nvtcp_sock *sock)
{
	struct tgt_lease *h;
	char peer[64] = "?";
	char where[96];
	uint16_t port = 0;

	nvtcp_sock_getaddr(sock, NULL, NULL, peer, &port, sizeof(peer));
	snprintf(where, sizeof(where), "%s:%u", l->addr, l->bound_port);
	h = tgt_limits_admit(tgt, peer, port, where);
	if (h == NULL) {
		nvtcp_sock_close(&sock);
		return;
	}
	h->pg = pick_pg(tgt);
	h->sock = sock;
	h->portid = l->portid;
	h->secure = l->secure;
	__atomic_fetch_add(&h->pg->nconns, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->pg->accepted, 1, __ATOMIC_RELAXED);
	NVTCP_INFOLOG("accepted %s:%u on %s:%u -> reactor %u\n", peer, port, l->addr,
		      l->bound_port, h->pg->idx);
	tgt_send_msg(h->pg->reactor, pg_adopt, h);
}

static int
accept_poll(void *arg)
{
	struct nvtcp_tgt *tgt = arg;
	struct tgt_listener *l;
	int work = 0;

	TAILQ_FOREACH(l, &tgt->listeners, link) {
		for (int i = 0; l->sock != NULL && i < TGT_ACCEPT_BATCH; i++) {
			int rc;
			struct nvtcp_sock *sock = nvtcp_sock_accept(l->sock, &rc);

			if (sock == NULL) {
				if (rc != -EAGAIN) {
					NVTCP_WARNLOG("accept on %s:%u: %s\n", l->addr, l->bound_port,
						      strerror(-rc));
				}
				break;
			}
			accept_one(tgt, l, sock);
			work++;
		}
	}
	return work > 0 ? NVTCP_POLLER_BUSY : NVTCP_POLLER_IDLE;
}

int
tgt_listener_open(struct nvtcp_tgt *tgt, struct tgt_listener *l, char *err, size_t errlen)
{
	struct nvtcp_sock_opts so;
	int rc = 0;

	nvtcp_sock_opts_init(&so);
	l->sock = nvtcp_sock_listen(l->addr, l->port, &so, &rc);
	if (l->sock == NULL) {
		ERR("cannot listen on %s:%s: %s", l->addr, l->port, strerror(-rc));
		return rc != 0 ? rc : -EIO;
	}
	nvtcp_sock_getaddr(l->sock, NULL, &l->bound_port, NULL, NULL, 0);
	if (tgt->accept_poller == NULL) {
		tgt->accept_poller = nvtcp_poller_register(accept_poll, tgt, TGT_ACCEPT_PERIOD_US);
		if (tgt->accept_poller == NULL) {
			nvtcp_sock_close(&l->sock);
			ERR("cannot register the accept poller");
			return -ENOMEM;
		}
	}
	NVTCP_NOTICELOG("listening on %s:%u (NVMe/TCP, portid %u)\n", l->addr, l->bound_port,
			l->portid);
	if (l->secure != NVTCP_TGT_SECURE_NONE) {
		NVTCP_NOTICELOG("listener %s:%u: secure channel %s (TLS 1.3, PSK)\n", l->addr,
				l->bound_port, nvtcp_tgt_secure_channel_str(l->secure));
	}
	tgt_discovery_changed(tgt);
	return 0;
}

struct tgt_listener *
tgt_listener_find(struct nvtcp_tgt *tgt, const char *addr, const char *port)
{
	struct tgt_listener *l;

	TAILQ_FOREACH(l, &tgt->listeners, link) {
		char bound[16];

		snprintf(bound, sizeof(bound), "%u", l->bound_port);
		if (strcmp(l->addr, addr) == 0 &&
		    (strcmp(l->port, port) == 0 || (l->sock != NULL && strcmp(bound, port) == 0))) {
			return l;
		}
	}
	return NULL;
}

struct tgt_listener *
tgt_listener_by_portid(struct nvtcp_tgt *tgt, uint16_t portid)
{
	struct tgt_listener *l;

	TAILQ_FOREACH(l, &tgt->listeners, link) {
		if (l->portid == portid) {
			return l;
		}
	}
	return NULL;
}

int
nvtcp_tgt_secure_channel_parse(const char *s, enum nvtcp_tgt_secure_channel *mode)
{
	static const enum nvtcp_tgt_secure_channel all[] = {
		NVTCP_TGT_SECURE_NONE, NVTCP_TGT_SECURE_OPTIONAL, NVTCP_TGT_SECURE_REQUIRED,
	};

	for (size_t i = 0; s != NULL && i < NVTCP_COUNTOF(all); i++) {
		if (strcmp(s, nvtcp_tgt_secure_channel_str(all[i])) == 0) {
			*mode = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

const char *
nvtcp_tgt_secure_channel_str(enum nvtcp_tgt_secure_channel mode)
{
	switch (mode) {
	case NVTCP_TGT_SECURE_NONE:
		return "none";
	case NVTCP_TGT_SECURE_OPTIONAL:
		return "optional";
	case NVTCP_TGT_SECURE_REQUIRED:
		return "required";
	}
	return "?";
}

void
nvtcp_tgt_listener_opts_init(struct nvtcp_tgt_listener_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->secure_channel = NVTCP_TGT_SECURE_NONE;
	opts->ana_state = NVTCP_TGT_ANA_OPTIMIZED;
}

int
tgt_listener_same_opts(const struct tgt_listener *old, const struct tgt_listener *l, char *err,
		       size_t errlen)
{
	if (old->secure != l->secure) {
		ERR("listener %s:%s already has secure_channel %s (not %s)", l->addr, l->port,
		    nvtcp_tgt_secure_channel_str(old->secure),
		    nvtcp_tgt_secure_channel_str(l->secure));
		return -EINVAL;
	}
	return 0;
}

int
tgt_listener_new(struct nvtcp_tgt *tgt, const char *addr, const char *port,
		 const struct nvtcp_tgt_listener_opts *opts, struct tgt_listener **out, char *err,
		 size_t errlen)
{
	struct tgt_listener *l;
	unsigned char buf[sizeof(struct in6_addr)];
	uint64_t p;

	if (addr == NULL || port == NULL || strlen(addr) >= sizeof(l->addr)) {
		ERR("listener: missing or too long address");
		return -EINVAL;
	}
	if (nvtcp_parse_u64(port, 65535, &p) != 0) {
		ERR("listener %s: port '%s' is not 0..65535", addr, port);
		return -EINVAL;
	}
	if (opts != NULL && opts->secure_channel != NVTCP_TGT_SECURE_NONE &&
	    opts->secure_channel != NVTCP_TGT_SECURE_OPTIONAL &&
	    opts->secure_channel != NVTCP_TGT_SECURE_REQUIRED) {
		ERR("listener %s:%s: secure_channel %d is not none, optional or required", addr,
		    port, (int)opts->secure_channel);
		return -EINVAL;
	}
	if (tgt->destroying) {
		ERR("target is being destroyed");
		return -ESHUTDOWN;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		ERR("out of memory");
		return -ENOMEM;
	}
	if (inet_pton(AF_INET, addr, buf) == 1) {
		l->adrfam = NVTCP_NVMF_ADRFAM_IPV4;
		l->wildcard = strcmp(addr, "0.0.0.0") == 0;
	} else if (inet_pton(AF_INET6, addr, buf) == 1) {
		l->adrfam = NVTCP_NVMF_ADRFAM_IPV6;
		l->wildcard = memcmp(buf, &in6addr_any, sizeof(in6addr_any)) == 0;
	} else {
		free(l);
		ERR("listener: '%s' is not a numeric IPv4 or IPv6 address", addr);
		return -EINVAL;
	}
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	snprintf(l->port, sizeof(l->port), "%" PRIu64, p);
	l->secure = (uint8_t)(opts != NULL ? opts->secure_channel : NVTCP_TGT_SECURE_NONE);
	*out = l;
	return 0;
}

int
tgt_listener_insert(struct nvtcp_tgt *tgt, struct tgt_listener *l, char *err, size_t errlen)
{
	int rc;

	l->portid = ++tgt->next_portid;
	if (tgt->started) {
		rc = tgt_listener_open(tgt, l, err, errlen);
		if (rc != 0) {
			free(l);
			return rc;
		}
	}
	TAILQ_INSERT_TAIL(&tgt->listeners, l, link);
	tgt->nlisteners++;
	return 0;
}

int
nvtcp_tgt_add_listener(struct nvtcp_tgt *tgt, const char *addr, const char *port, char *err,
		       size_t errlen)
{
	return nvtcp_tgt_add_listener_ext(tgt, addr, port, NULL, err, errlen);
}

int
nvtcp_tgt_add_listener_ext(struct nvtcp_tgt *tgt, const char *addr, const char *port,
			   const struct nvtcp_tgt_listener_opts *opts, char *err, size_t errlen)
{
	struct tgt_listener *l, *old;
	int rc;

	if (opts != NULL && opts->ana_state != 0 && opts->ana_state != NVTCP_TGT_ANA_OPTIMIZED) {
		/* It serves every subsystem: ANA states belong to a subsystem's listeners. */
		ERR("listener %s:%s: ana_state: only a subsystem's own listener has ANA states",
		    addr != NULL ? addr : "", port != NULL ? port : "");
		return -EINVAL;
	}
	rc = tgt_listener_new(tgt, addr, port, opts, &l, err, errlen);
	if (rc != 0) {
		return rc;
	}
	/* Port 0 asks for any free port: several such listeners are distinct. */
	old = strcmp(l->port, "0") != 0 ? tgt_listener_find(tgt, l->addr, l->port) : NULL;
	if (old != NULL && old->global) {
		ERR("already listening on %s:%s", l->addr, l->port);
		free(l);
		return -EEXIST;
	}
	if (old != NULL) {
		rc = tgt_listener_same_opts(old, l, err, errlen);
		free(l);
		if (rc != 0) {
			return rc;
		}
		/* A subsystem's listener: it now serves every subsystem too. */
		old->global = true;
		tgt_discovery_changed(tgt);
		return 0;
	}
	l->global = true;
	return tgt_listener_insert(tgt, l, err, errlen);
}

static void
listener_free(struct nvtcp_tgt *tgt, struct tgt_listener *l)
{
	if (l->sock != NULL) {
		NVTCP_NOTICELOG("stopped listening on %s:%u\n", l->addr, l->bound_port);
		nvtcp_sock_close(&l->sock);
	}
	TAILQ_REMOVE(&tgt->listeners, l, link);
	tgt->nlisteners--;
	free(l);
}

void
tgt_listener_release(struct nvtcp_tgt *tgt, struct tgt_listener *l)
{
	if (!l->global && l->subsys_refs == 0) {
		listener_free(tgt, l);
	}
}

int
nvtcp_tgt_remove_listener(struct nvtcp_tgt *tgt, const char *addr, const char *port)
{
	struct tgt_listener *l;
	char pbuf[16];
	uint64_t p;

	if (addr == NULL || port == NULL || nvtcp_parse_u64(port, 65535, &p) != 0) {
		return -ENOENT;
	}
	snprintf(pbuf, sizeof(pbuf), "%" PRIu64, p);
	l = tgt_listener_find(tgt, addr, pbuf);
	if (l == NULL || !l->global) {
		return -ENOENT;
	}
	l->global = false;
	tgt_listener_release(tgt, l);
	tgt_discovery_changed(tgt);
	return 0;
}

uint16_t
nvtcp_tgt_listener_port(const struct nvtcp_tgt *tgt, uint32_t index)
{
	const struct tgt_listener *l;
	uint32_t i = 0;

	TAILQ_FOREACH(l, &tgt->listeners, link) {
		if (i++ == index) {
			return l->sock != NULL ? l->bound_port : 0;
		}
	}
	return 0;
}

enum nvtcp_tgt_secure_channel
nvtcp_tgt_listener_secure_channel(const struct nvtcp_tgt *tgt, uint32_t index)
{
	const struct tgt_listener *l;
	uint32_t i = 0;

	TAILQ_FOREACH(l, &tgt->listeners, link) {
		if (i++ == index) {
			return (enum nvtcp_tgt_secure_channel)l->secure;
		}
	}
	return NVTCP_TGT_SECURE_NONE;
}

/* ---- Destroy ------------------------------------------------------------------------------- */

static void
destroy_finish(void *arg)
{
	struct nvtcp_tgt *tgt = arg;
	struct tgt_subsys *s;
	nvtcp_tgt_destroy_fn cb = tgt->destroy_cb;
	void *cb_arg = tgt->destroy_cb_arg;

	/* Every connection has returned its lease (nconns is 0): nothing may be left. */
	if (!tgt_limits_idle(tgt)) {
		NVTCP_ERRLOG("resource limit accounting not back to zero at destroy\n");
		assert(false);
	}
	while ((s = TAILQ_FIRST(&tgt->subsystems)) != NULL) {
		TAILQ_REMOVE(&tgt->subsystems, s, link);
		tgt_subsys_free(s);
	}
	tgt_subsys_free(tgt->disc);
	tgt_psk_table_free(tgt);
	nvtcp_dma_free(tgt->zero_buf);
	free(tgt->pgs);
	free(tgt);
	NVTCP_NOTICELOG("target destroyed\n");
	if (cb != NULL) {
		cb(cb_arg);
	}
}

static void
pg_fini_done(void *arg)
{
	struct nvtcp_tgt *tgt = arg;

	if (--tgt->fini_pending == 0) {
		destroy_finish(tgt);
	}
}

static void
pg_fini_msg(void *arg)
{
	struct tgt_pg *pg = arg;

	pg_fini(pg);
	tgt_send_msg(pg->tgt->mgmt, pg_fini_done, pg->tgt);
}

static int
destroy_poll(void *arg)
{
	struct nvtcp_tgt *tgt = arg;

	if (tgt->starting || atomic_load(&tgt->nconns) != 0 || atomic_load(&tgt->nctrlrs) != 0 ||
	    !TAILQ_EMPTY(&tgt->dying_ns)) {
		return NVTCP_POLLER_IDLE;
	}
	nvtcp_poller_unregister(&tgt->destroy_poller);
	tgt->fini_pending = tgt->npgs;
	for (uint32_t i = 0; i < tgt->npgs; i++) {
		tgt_send_msg(tgt->pgs[i].reactor, pg_fini_msg, &tgt->pgs[i]);
	}
	return NVTCP_POLLER_BUSY;
}

static void
pg_stop(void *arg)
{
	struct tgt_pg *pg = arg;
	struct tgt_conn *conn, *tmp;

	pg->stopping = true;
	TAILQ_FOREACH_SAFE(conn, &pg->conns, link, tmp) {
		tgt_conn_close(conn, "target shutting down");
	}
}

void
nvtcp_tgt_destroy(struct nvtcp_tgt *tgt, nvtcp_tgt_destroy_fn cb, void *cb_arg)
{
	struct tgt_listener *l;

	if (tgt == NULL || tgt->destroying) {
		return;
	}
	tgt->destroying = true;
	tgt->destroy_cb = cb;
	tgt->destroy_cb_arg = cb_arg;
	nvtcp_poller_unregister(&tgt->accept_poller);
	while ((l = TAILQ_FIRST(&tgt->listeners)) != NULL) {
		listener_free(tgt, l);
	}
	if (!tgt->started && !tgt->starting) {
		for (uint32_t i = 0; i < tgt->npgs; i++) {
			if (tgt->pgs[i].started) {
				tgt->fini_pending++;
			}
		}
		if (tgt->fini_pending == 0) {
			/* Finish from a message, so that the callback never runs inside the
			 * caller's own call. */
			tgt_send_msg(tgt->mgmt, destroy_finish, tgt);
			return;
		}
		for (uint32_t i = 0; i < tgt->npgs; i++) {
			if (tgt->pgs[i].started) {
				tgt_send_msg(tgt->pgs[i].reactor, pg_fini_msg, &tgt->pgs[i]);
			}
		}
		return;
	}
	NVTCP_NOTICELOG("target shutting down: disconnecting every host\n");
	for (uint32_t i = 0; i < tgt->npgs; i++) {
		tgt_send_msg(tgt->pgs[i].reactor, pg_stop, &tgt->pgs[i]);
	}
	tgt->destroy_poller = nvtcp_poller_register(destroy_poll, tgt, TGT_DESTROY_POLL_US);
	if (tgt->destroy_poller == NULL) {
		NVTCP_ERRLOG("cannot register the destroy poller: the target leaks\n");
	}
}

/* ---- Statistics ---------------------------------------------------------------------------- */

uint32_t
nvtcp_tgt_num_reactors(const struct nvtcp_tgt *tgt)
{
	return tgt->npgs;
}

static void
io_stats_load(struct nvtcp_tgt_io_stats *dst, const struct nvtcp_tgt_io_stats *src)
{
	dst->cmds = TGT_STAT_LOAD(src->cmds);
	dst->read_cmds = TGT_STAT_LOAD(src->read_cmds);
	dst->write_cmds = TGT_STAT_LOAD(src->write_cmds);
	dst->admin_cmds = TGT_STAT_LOAD(src->admin_cmds);
	dst->bytes_read = TGT_STAT_LOAD(src->bytes_read);
	dst->bytes_written = TGT_STAT_LOAD(src->bytes_written);
	dst->errors = TGT_STAT_LOAD(src->errors);
	dst->ddgst_errors = TGT_STAT_LOAD(src->ddgst_errors);
	dst->protocol_errors = TGT_STAT_LOAD(src->protocol_errors);
	dst->buf_waits = TGT_STAT_LOAD(src->buf_waits);
	dst->host_buf_waits = TGT_STAT_LOAD(src->host_buf_waits);
}

int
nvtcp_tgt_get_reactor_stats(const struct nvtcp_tgt *tgt, uint32_t index,
			    struct nvtcp_tgt_reactor_stats *stats)
{
	const struct tgt_pg *pg;

	if (index >= tgt->npgs) {
		return -ENOENT;
	}
	pg = &tgt->pgs[index];
	memset(stats, 0, sizeof(*stats));
	stats->core = nvtcp_reactor_get_core(pg->reactor);
	stats->connections = __atomic_load_n(&pg->nconns, __ATOMIC_RELAXED);
	stats->accepted = __atomic_load_n(&pg->accepted, __ATOMIC_RELAXED);
	stats->bufs_free = __atomic_load_n(&pg->bufs.nfree, __ATOMIC_RELAXED);
	stats->bufs_total = pg->bufs.count;
	io_stats_load(&stats->io, &pg->stats.io);
	return 0;
}

void
nvtcp_tgt_log_stats(const struct nvtcp_tgt *tgt)
{
	struct nvtcp_tgt_io_stats total = {0};

	for (uint32_t i = 0; i < tgt->npgs; i++) {
		struct nvtcp_tgt_reactor_stats s;

		struct nvtcp_reactor_stats r;
		struct tgt_pg *pg;
		uint64_t ticks, busy;

		nvtcp_tgt_get_reactor_stats(tgt, i, &s);
		nvtcp_reactor_get_stats(tgt->pgs[i].reactor, &r);
		/* Busy share since the previous report (or the start). */
		pg = (struct tgt_pg *)&tgt->pgs[i];
		ticks = r.busy_ticks - pg->logged_busy + r.idle_ticks - pg->logged_idle;
		busy = r.busy_ticks - pg->logged_busy;
		pg->logged_busy = r.busy_ticks;
		pg->logged_idle = r.idle_ticks;
		NVTCP_NOTICELOG("reactor %u (core %d): busy %.1f%% since the last report, %u connections (%" PRIu64 " accepted), "
				"%" PRIu64 " commands (%" PRIu64 " reads, %" PRIu64 " writes, %"
				PRIu64 " admin), %" PRIu64 " MiB read, %" PRIu64 " MiB written, %"
				PRIu64 " errors, %" PRIu64 " digest errors, %" PRIu64
				 " protocol errors, %" PRIu64 " buffer waits (%" PRIu64
				" for the host share), buffers %u/%u free\n",
				i, s.core == NVTCP_ENV_CORE_NONE ? -1 : (int)s.core,
				ticks ? 100.0 * (double)busy / (double)ticks : 0.0, s.connections,
				s.accepted, s.io.cmds, s.io.read_cmds, s.io.write_cmds,
				s.io.admin_cmds, s.io.bytes_read >> 20, s.io.bytes_written >> 20,
				s.io.errors, s.io.ddgst_errors, s.io.protocol_errors,
				s.io.buf_waits, s.io.host_buf_waits, s.bufs_free, s.bufs_total);
		total.cmds += s.io.cmds;
		total.bytes_read += s.io.bytes_read;
		total.bytes_written += s.io.bytes_written;
		total.errors += s.io.errors;
	}
	NVTCP_NOTICELOG("total: %" PRIu64 " commands, %" PRIu64 " MiB read, %" PRIu64
			" MiB written, %" PRIu64 " errors\n", total.cmds, total.bytes_read >> 20,
			total.bytes_written >> 20, total.errors);
	tgt_limits_log(tgt);
}

struct stats_walk {
	struct nvtcp_tgt *tgt;
	uint32_t pg;
	struct nvtcp_tgt_conn_stats_list *list;
	uint32_t cap;
	nvtcp_tgt_conn_stats_fn cb;
	void *cb_arg;
};

static void stats_on_pg(void *arg);

static void
stats_done(void *arg)
{
	struct stats_walk *w = arg;

	w->cb(w->cb_arg, w->list);
	free(w);
}

static void
stats_on_pg(void *arg)
{
	struct stats_walk *w = arg;
	struct tgt_pg *pg = &w->tgt->pgs[w->pg];
	struct tgt_conn *conn;

	TAILQ_FOREACH(conn, &pg->conns, link) {
		struct nvtcp_tgt_conn_stats *cs;

		if (w->list->count == w->cap) {
			uint32_t cap = w->cap ? w->cap * 2 : 16;
			void *p = realloc(w->list->conns, cap * sizeof(*cs));

			if (p == NULL) {
				break;
			}
			w->list->conns = p;
			w->cap = cap;
		}
		cs = &w->list->conns[w->list->count++];
		memset(cs, 0, sizeof(*cs));
		snprintf(cs->peer, sizeof(cs->peer), "%s", conn->peer);
		snprintf(cs->hostnqn, sizeof(cs->hostnqn), "%s", conn->hostnqn);
		if (conn->subsys != NULL) {
			snprintf(cs->subnqn, sizeof(cs->subnqn), "%s", conn->subsys->nqn);
		}
		cs->cntlid = conn->cntlid;
		cs->qid = conn->qid;
		cs->reactor = pg->idx;
		cs->hdgst = conn->params.hdgst;
		cs->ddgst = conn->params.ddgst;
		if (conn->auth != NULL) {
			cs->auth_required = true;
			cs->authenticated = conn->auth->authenticated;
			cs->auth_hash = conn->auth->result.hash_id;
			cs->auth_dhgroup = conn->auth->result.dhgroup_id;
			cs->auth_bidirectional = conn->auth->result.bidirectional;
		}
		cs->io = conn->stats.io;
	}
	w->pg++;
	if (w->pg < w->tgt->npgs) {
		tgt_send_msg(w->tgt->pgs[w->pg].reactor, stats_on_pg, w);
	} else {
		tgt_send_msg(w->tgt->mgmt, stats_done, w);
	}
}

int
nvtcp_tgt_get_conn_stats(struct nvtcp_tgt *tgt, nvtcp_tgt_conn_stats_fn cb, void *cb_arg)
{
	struct stats_walk *w;

	if (!tgt->started || cb == NULL) {
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return -ENOMEM;
	}
	w->list = calloc(1, sizeof(*w->list));
	if (w->list == NULL) {
		free(w);
		return -ENOMEM;
	}
	w->tgt = tgt;
	w->cb = cb;
	w->cb_arg = cb_arg;
	tgt_send_msg(tgt->pgs[0].reactor, stats_on_pg, w);
	return 0;
}

void
nvtcp_tgt_conn_stats_free(struct nvtcp_tgt_conn_stats_list *list)
{
	if (list != NULL) {
		free(list->conns);
		free(list);
	}
}
