/*
 * Multipath namespace objects: creation, paths (identity check, add, remove), counters and
 * names. The I/O path is in mpath_io.c, ANA in mpath_ana.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvtcp/util.h"
#include "nvtcp/env.h"
#include "nvtcp/log.h"
#include "mpath_internal.h"

static uint64_t (*g_now)(void);
static uint64_t g_hz;
static pthread_once_t g_clock_once = PTHREAD_ONCE_INIT;

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Tools that never start the environment (DPDK) have no TSC rate: use the monotonic clock. */
static void
clock_choose(void)
{
	if (nvtcp_env_is_initialized() && nvtcp_env_get_ticks_hz() != 0) {
		g_hz = nvtcp_env_get_ticks_hz();
		__atomic_store_n(&g_now, nvtcp_env_get_ticks, __ATOMIC_RELEASE);
	} else {
		g_hz = 1000000000ull;
		__atomic_store_n(&g_now, mono_ns, __ATOMIC_RELEASE);
	}
}

uint64_t
mpath_ticks(void)
{
	/* Read on every poll: the once-check only until the clock is chosen (acquire pairs with
	 * pthread_once's completion; g_now is written once, inside it). */
	uint64_t (*now)(void) = __atomic_load_n(&g_now, __ATOMIC_ACQUIRE);

	if (__builtin_expect(now == NULL, 0)) {
		pthread_once(&g_clock_once, clock_choose);
		now = g_now;
	}
	return now();
}

uint64_t
mpath_hz(void)
{
	pthread_once(&g_clock_once, clock_choose);
	return g_hz;
}

void
nvtcp_mpath_ns_opts_init(struct nvtcp_mpath_ns_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->policy = NVTCP_MPATH_POLICY_ACTIVE_PASSIVE;
	opts->max_ios = 1024;
	opts->hold_timeout_ms = 0;
	opts->poll_qpairs = true;
	opts->poll_admin = true;
	opts->admin_poll_us = 1000;
}

int
nvtcp_mpath_ns_create(const struct nvtcp_mpath_ns_opts *opts, struct nvtcp_mpath_ns **out)
{
	struct nvtcp_mpath_ns *mns;
	uint32_t i;

	if (out == NULL) {
		return -EINVAL;
	}
	*out = NULL;
	mns = calloc(1, sizeof(*mns));
	if (mns == NULL) {
		return -ENOMEM;
	}
	if (opts != NULL) {
		mns->opts = *opts;
	} else {
		nvtcp_mpath_ns_opts_init(&mns->opts);
	}
	if (mns->opts.policy > NVTCP_MPATH_POLICY_QUEUE_DEPTH) {
		NVTCP_ERRLOG("multipath: policy %d is not one of active-passive, round-robin, "
			     "queue-depth\n", (int)mns->opts.policy);
		free(mns);
		return -EINVAL;
	}
	if (mns->opts.max_ios == 0 || mns->opts.max_ios > (1u << 20)) {
		NVTCP_ERRLOG("multipath: max_ios %u is not within 1..%u\n", mns->opts.max_ios,
			     1u << 20);
		free(mns);
		return -EINVAL;
	}
	if (mns->opts.hold_timeout_ms < -1) {
		NVTCP_ERRLOG("multipath: hold_timeout_ms %lld is below -1\n",
			     (long long)mns->opts.hold_timeout_ms);
		free(mns);
		return -EINVAL;
	}
	mns->ios = calloc(mns->opts.max_ios, sizeof(*mns->ios));
	mns->free_ios = calloc(mns->opts.max_ios, sizeof(*mns->free_ios));
	if (mns->ios == NULL || mns->free_ios == NULL) {
		free(mns->ios);
		free(mns->free_ios);
		free(mns);
		return -ENOMEM;
	}
	for (i = 0; i < mns->opts.max_ios; i++) {
		mns->ios[i].mns = mns;
		mns->free_ios[i] = &mns->ios[mns->opts.max_ios - 1 - i];
	}
	mns->num_free = mns->opts.max_ios;
	TAILQ_INIT(&mns->held);
	mns->admin_poll_ticks = mpath_hz() * mns->opts.admin_poll_us / 1000000;
	mns->hold_ticks = UINT64_MAX;
	*out = mns;
	return 0;
}

static bool
all_zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] != 0) {
			return false;
		}
	}
	return true;
}

/* The hold bound follows the controllers' loss timeouts unless the application set one. */
static void
update_hold_ticks(struct nvtcp_mpath_ns *mns)
{
	uint64_t hz = mpath_hz();
	int64_t max_s = 0;
	uint32_t i;

	if (mns->opts.hold_timeout_ms == -1) {
		mns->hold_ticks = UINT64_MAX;
		return;
	}
	if (mns->opts.hold_timeout_ms > 0) {
		mns->hold_ticks = (uint64_t)mns->opts.hold_timeout_ms * hz / 1000;
		return;
	}
	for (i = 0; i < mns->num_paths; i++) {
		int32_t t = nvtcp_ctrlr_get_opts(mns->paths[i]->ctrlr)->ctrl_loss_tmo_s;

		if (t < 0) {
			mns->hold_ticks = UINT64_MAX;
			return;
		}
		if (t > max_s) {
			max_s = t;
		}
	}
	mns->hold_ticks = (uint64_t)max_s * hz;
}

/* The first path fixes the identity; every other must match it field by field. */
static int
check_identity(struct nvtcp_mpath_ns *mns, struct nvtcp_ctrlr *ctrlr, struct nvtcp_ns *ns,
	       char *err, size_t errlen)
{
	const struct nvtcp_nvme_ctrlr_data *cd = nvtcp_ctrlr_get_data(ctrlr);
	const struct nvtcp_nvme_ns_data *nd = nvtcp_ns_get_data(ns);
	const uint8_t *uuid = nvtcp_ns_get_uuid(ns);
	const uint8_t *nguid = nvtcp_ns_get_nguid(ns);
	const struct nvtcp_trid *t = nvtcp_ctrlr_get_trid(ctrlr);
	char nqn[257];

	memcpy(nqn, cd->subnqn, 256);
	nqn[256] = '\0';
	if (mns->num_paths == 0) {
		return 0;
	}
	if (strcmp(nqn, mns->subnqn) != 0) {
		nvtcp_errf(err, errlen, "path %s:%s: subsystem NQN '%s' is not the namespace's '%s'",
			   t->traddr, t->trsvcid, nqn, mns->subnqn);
		return -EINVAL;
	}
	if (all_zero(nguid, 16) && all_zero(nd->eui64, 8) && uuid == NULL) {
		nvtcp_errf(err, errlen, "path %s:%s: namespace %u has no NGUID, EUI64 or UUID: its "
			   "identity cannot be checked", t->traddr, t->trsvcid, nvtcp_ns_get_id(ns));
		return -EINVAL;
	}
	if (memcmp(nguid, mns->nguid, 16) != 0) {
		nvtcp_errf(err, errlen, "path %s:%s: namespace %u NGUID differs from the first path's",
			   t->traddr, t->trsvcid, nvtcp_ns_get_id(ns));
		return -EINVAL;
	}
	if (memcmp(nd->eui64, mns->eui64, 8) != 0) {
		nvtcp_errf(err, errlen, "path %s:%s: namespace %u EUI64 differs from the first path's",
			   t->traddr, t->trsvcid, nvtcp_ns_get_id(ns));
		return -EINVAL;
	}
	if ((uuid != NULL) != mns->has_uuid || (uuid != NULL && memcmp(uuid, mns->uuid, 16) != 0)) {
		nvtcp_errf(err, errlen, "path %s:%s: namespace %u UUID differs from the first path's",
			   t->traddr, t->trsvcid, nvtcp_ns_get_id(ns));
		return -EINVAL;
	}
	if (nvtcp_ns_get_sector_size(ns) != mns->sector_size ||
	    nvtcp_ns_get_num_sectors(ns) != mns->num_sectors) {
		nvtcp_errf(err, errlen, "path %s:%s: namespace %u is %llu blocks of %u bytes, the first "
			   "path's %llu of %u", t->traddr, t->trsvcid, nvtcp_ns_get_id(ns),
			   (unsigned long long)nvtcp_ns_get_num_sectors(ns),
			   nvtcp_ns_get_sector_size(ns), (unsigned long long)mns->num_sectors,
			   mns->sector_size);
		return -EINVAL;
	}
	return 0;
}

static void
set_identity(struct nvtcp_mpath_ns *mns, struct nvtcp_ctrlr *ctrlr, struct nvtcp_ns *ns)
{
	const uint8_t *uuid = nvtcp_ns_get_uuid(ns);

	memcpy(mns->subnqn, nvtcp_ctrlr_get_data(ctrlr)->subnqn, 256);
	mns->subnqn[256] = '\0';
	memcpy(mns->nguid, nvtcp_ns_get_nguid(ns), 16);
	memcpy(mns->eui64, nvtcp_ns_get_data(ns)->eui64, 8);
	mns->has_uuid = uuid != NULL;
	if (uuid != NULL) {
		memcpy(mns->uuid, uuid, 16);
	}
	mns->sector_size = nvtcp_ns_get_sector_size(ns);
	mns->num_sectors = nvtcp_ns_get_num_sectors(ns);
	mns->max_xfer = nvtcp_ns_get_max_io_xfer_size(ns);
}

int
nvtcp_mpath_ns_add_path(struct nvtcp_mpath_ns *mns, struct nvtcp_ctrlr *ctrlr, uint32_t nsid,
			struct nvtcp_qpair *qpair, char *err, size_t errlen)
{
	struct mpath_path *p;
	struct nvtcp_ns *ns;
	uint32_t i;
	int rc;

	nvtcp_errf(err, errlen, "%s", "");
	if (mns == NULL || ctrlr == NULL || qpair == NULL) {
		nvtcp_errf(err, errlen, "add path: controller and queue pair are required");
		return -EINVAL;
	}
	if (nvtcp_qpair_get_ctrlr(qpair) != ctrlr) {
		nvtcp_errf(err, errlen, "add path: the queue pair belongs to another controller");
		return -EINVAL;
	}
	for (i = 0; i < mns->num_paths; i++) {
		if (mns->paths[i]->ctrlr == ctrlr) {
			nvtcp_errf(err, errlen, "add path: controller %s:%s is a path already",
				   nvtcp_ctrlr_get_trid(ctrlr)->traddr,
				   nvtcp_ctrlr_get_trid(ctrlr)->trsvcid);
			return -EEXIST;
		}
	}
	if (mns->num_paths == MPATH_MAX_PATHS) {
		nvtcp_errf(err, errlen, "add path: %u paths at most", MPATH_MAX_PATHS);
		return -ENOSPC;
	}
	ns = nvtcp_ctrlr_get_ns(ctrlr, nsid);
	if (ns == NULL) {
		nvtcp_errf(err, errlen, "add path: controller %s:%s has no active namespace %u",
			   nvtcp_ctrlr_get_trid(ctrlr)->traddr, nvtcp_ctrlr_get_trid(ctrlr)->trsvcid,
			   nsid);
		return -ENOENT;
	}
	rc = check_identity(mns, ctrlr, ns, err, errlen);
	if (rc != 0) {
		NVTCP_ERRLOG("multipath: %s\n", err != NULL ? err : "identity mismatch");
		return rc;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return -ENOMEM;
	}
	p->mns = mns;
	p->ctrlr = ctrlr;
	p->ns = ns;
	p->nsid = nsid;
	p->qpair = qpair;
	p->anagrpid = nvtcp_ns_get_data(ns)->anagrpid;
	p->ana_state = NVTCP_MPATH_ANA_OPTIMIZED;
	mpath_path_refresh(p);
	if (mns->num_paths == 0) {
		set_identity(mns, ctrlr, ns);
	}
	rc = mpath_ana_path_init(p);
	if (rc != 0) {
		nvtcp_errf(err, errlen, "add path: out of memory for the ANA log");
		free(p);
		return rc;
	}
	if (nvtcp_ns_get_max_io_xfer_size(ns) < mns->max_xfer) {
		mns->max_xfer = nvtcp_ns_get_max_io_xfer_size(ns);
	}
	mns->paths[mns->num_paths++] = p;
	update_hold_ticks(mns);
	NVTCP_NOTICELOG("multipath %s nsid %u: path %u is %s:%s (ANA %s, group %u)\n", mns->subnqn,
			nsid, mns->num_paths - 1, nvtcp_ctrlr_get_trid(ctrlr)->traddr,
			nvtcp_ctrlr_get_trid(ctrlr)->trsvcid,
			p->ana_reporting ? "reported" : "not reported", p->anagrpid);
	return (int)(mns->num_paths - 1);
}

int
nvtcp_mpath_ns_remove_path(struct nvtcp_mpath_ns *mns, struct nvtcp_ctrlr *ctrlr)
{
	struct mpath_path *p = NULL;
	uint32_t i;

	if (mns == NULL) {
		return -EINVAL;
	}
	for (i = 0; i < mns->num_paths; i++) {
		if (mns->paths[i]->ctrlr == ctrlr) {
			p = mns->paths[i];
			break;
		}
	}
	if (p == NULL) {
		return -ENOENT;
	}
	p->removing = true;
	mpath_path_refresh(p);
	if (p->outstanding > 0 || p->ana_read_busy) {
		return -EBUSY;
	}
	memmove(&mns->paths[i], &mns->paths[i + 1], (mns->num_paths - i - 1) * sizeof(p));
	mns->num_paths--;
	mns->rr_next = 0;
	if (mpath_ana_path_fini(p)) {
		free(p);
	} else {
		p->mns = NULL;
	}
	update_hold_ticks(mns);
	return 0;
}

int
nvtcp_mpath_ns_destroy(struct nvtcp_mpath_ns *mns)
{
	uint32_t i;

	if (mns == NULL) {
		return 0;
	}
	if (mns->outstanding > 0) {
		return -EBUSY;
	}
	for (i = 0; i < mns->num_paths; i++) {
		if (mns->paths[i]->ana_read_busy) {
			return -EBUSY;
		}
	}
	for (i = 0; i < mns->num_paths; i++) {
		if (mpath_ana_path_fini(mns->paths[i])) {
			free(mns->paths[i]);
		} else {
			mns->paths[i]->mns = NULL;
		}
	}
	free(mns->ios);
	free(mns->free_ios);
	free(mns);
	return 0;
}

uint32_t
nvtcp_mpath_ns_get_num_paths(const struct nvtcp_mpath_ns *mns)
{
	return mns->num_paths;
}

struct nvtcp_ctrlr *
nvtcp_mpath_ns_get_path_ctrlr(const struct nvtcp_mpath_ns *mns, uint32_t idx)
{
	return idx < mns->num_paths ? mns->paths[idx]->ctrlr : NULL;
}

int
nvtcp_mpath_ns_get_path_stats(const struct nvtcp_mpath_ns *mns, uint32_t idx,
			      struct nvtcp_mpath_path_stats *stats)
{
	const struct mpath_path *p;

	if (idx >= mns->num_paths) {
		return -ENOENT;
	}
	p = mns->paths[idx];
	*stats = p->st;
	stats->outstanding = p->outstanding;
	stats->ana_state = p->ana_state;
	stats->connected = nvtcp_qpair_is_connected(p->qpair);
	stats->failed = p->failed;
	stats->removing = p->removing;
	return 0;
}

void
nvtcp_mpath_ns_get_stats(const struct nvtcp_mpath_ns *mns, struct nvtcp_mpath_ns_stats *stats)
{
	*stats = mns->st;
}

uint32_t
nvtcp_mpath_ns_get_sector_size(const struct nvtcp_mpath_ns *mns)
{
	return mns->sector_size;
}

uint64_t
nvtcp_mpath_ns_get_num_sectors(const struct nvtcp_mpath_ns *mns)
{
	return mns->num_sectors;
}

uint32_t
nvtcp_mpath_ns_get_max_io_xfer_size(const struct nvtcp_mpath_ns *mns)
{
	return mns->max_xfer;
}

static const char *const policy_names[] = {
	[NVTCP_MPATH_POLICY_ACTIVE_PASSIVE] = "active-passive",
	[NVTCP_MPATH_POLICY_ROUND_ROBIN] = "round-robin",
	[NVTCP_MPATH_POLICY_QUEUE_DEPTH] = "queue-depth",
};

int
nvtcp_mpath_policy_parse(const char *s, enum nvtcp_mpath_policy *policy)
{
	char buf[32];
	size_t i;

	if (s == NULL || strlen(s) >= sizeof(buf)) {
		return -EINVAL;
	}
	for (i = 0; s[i] != '\0'; i++) {
		buf[i] = s[i] == '_' ? '-' : s[i];
	}
	buf[i] = '\0';
	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (strcmp(buf, policy_names[i]) == 0) {
			*policy = (enum nvtcp_mpath_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
nvtcp_mpath_policy_str(enum nvtcp_mpath_policy policy)
{
	return (unsigned)policy < sizeof(policy_names) / sizeof(policy_names[0]) ?
	       policy_names[policy] : "?";
}

const char *
nvtcp_mpath_ana_state_str(uint8_t state)
{
	switch (state) {
	case NVTCP_MPATH_ANA_OPTIMIZED: return "optimized";
	case NVTCP_MPATH_ANA_NON_OPTIMIZED: return "non-optimized";
	case NVTCP_MPATH_ANA_INACCESSIBLE: return "inaccessible";
	case NVTCP_MPATH_ANA_PERSISTENT_LOSS: return "persistent-loss";
	case NVTCP_MPATH_ANA_CHANGE: return "change";
	default: return "?";
	}
}
