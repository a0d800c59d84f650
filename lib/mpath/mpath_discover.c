/*
 * Discovery-driven set-up of a multipath namespace: read a discovery service's log, connect to
 * every entry of one subsystem, and group them into one multipath namespace. Set-up code
 * (synchronous), not the I/O path.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/util.h"
#include "nvtcp/log.h"
#include "nvtcp/nvmf_spec.h"
#include "mpath_internal.h"

struct nvtcp_mpath_set {
	struct nvtcp_mpath_ns *mns;
	uint32_t num;
	struct nvtcp_ctrlr *ctrlrs[MPATH_MAX_PATHS];
	struct nvtcp_qpair *qpairs[MPATH_MAX_PATHS];
};

static bool
seen(const struct nvtcp_discovery_entry *e, size_t n, const struct nvtcp_discovery_entry *x)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(e[i].trid.traddr, x->trid.traddr) == 0 &&
		    strcmp(e[i].trid.trsvcid, x->trid.trsvcid) == 0 &&
		    strcmp(e[i].trid.subnqn, x->trid.subnqn) == 0) {
			return true;
		}
	}
	return false;
}

int
nvtcp_mpath_connect_all(const struct nvtcp_trid *disc, const char *subnqn, uint32_t nsid,
			const struct nvtcp_ctrlr_opts *copts,
			const struct nvtcp_mpath_ns_opts *mopts, struct nvtcp_mpath_set **out,
			char *err, size_t errlen)
{
	struct nvtcp_discover_opts dopts;
	struct nvtcp_discovery_entry *entries = NULL;
	struct nvtcp_mpath_set *set;
	char why[256];
	size_t count = 0, i;
	int rc;

	nvtcp_errf(err, errlen, "%s", "");
	if (disc == NULL || subnqn == NULL || out == NULL) {
		nvtcp_errf(err, errlen, "connect all: discovery address and subsystem NQN required");
		return -EINVAL;
	}
	*out = NULL;
	nvtcp_discover_opts_init(&dopts);
	if (copts != NULL) {
		dopts.ctrlr.host = copts->host;
	}
	rc = nvtcp_discover(disc, &dopts, &entries, &count);
	if (rc != 0) {
		nvtcp_errf(err, errlen, "connect all: discovery at %s:%s failed: %s", disc->traddr,
			   disc->trsvcid, strerror(-rc));
		return rc;
	}
	set = calloc(1, sizeof(*set));
	if (set == NULL) {
		free(entries);
		return -ENOMEM;
	}
	rc = nvtcp_mpath_ns_create(mopts, &set->mns);
	if (rc != 0) {
		nvtcp_errf(err, errlen, "connect all: bad multipath options");
		free(entries);
		free(set);
		return rc;
	}
	for (i = 0; i < count && set->num < MPATH_MAX_PATHS; i++) {
		const struct nvtcp_discovery_entry *e = &entries[i];
		struct nvtcp_ctrlr *c;
		struct nvtcp_qpair *q;

		if (e->subtype != NVTCP_NVMF_SUBTYPE_NVME || strcmp(e->trid.subnqn, subnqn) != 0 ||
		    seen(entries, i, e)) {
			continue;
		}
		c = nvtcp_ctrlr_attach_ext(&e->trid, copts, &rc, why, sizeof(why));
		if (c == NULL) {
			/* A path that is down at set-up is not fatal while another works. */
			NVTCP_WARNLOG("multipath: path %s:%s of %s not connected: %s\n",
				      e->trid.traddr, e->trid.trsvcid, subnqn, why);
			continue;
		}
		q = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
		if (q == NULL) {
			NVTCP_WARNLOG("multipath: path %s:%s of %s: no I/O queue pair: %s\n",
				      e->trid.traddr, e->trid.trsvcid, subnqn, strerror(-rc));
			nvtcp_ctrlr_detach(c);
			continue;
		}
		rc = nvtcp_mpath_ns_add_path(set->mns, c, nsid, q, why, sizeof(why));
		if (rc < 0) {
			NVTCP_WARNLOG("multipath: path %s:%s of %s refused: %s\n", e->trid.traddr,
				      e->trid.trsvcid, subnqn, why);
			nvtcp_ctrlr_free_io_qpair(q);
			nvtcp_ctrlr_detach(c);
			continue;
		}
		set->ctrlrs[set->num] = c;
		set->qpairs[set->num] = q;
		set->num++;
	}
	free(entries);
	if (set->num == 0) {
		nvtcp_errf(err, errlen, "connect all: no usable path to %s (namespace %u) in the log of "
			   "%s:%s", subnqn, nsid, disc->traddr, disc->trsvcid);
		nvtcp_mpath_set_free(set);
		return -ENOENT;
	}
	*out = set;
	return 0;
}

struct nvtcp_mpath_ns *
nvtcp_mpath_set_get_ns(const struct nvtcp_mpath_set *set)
{
	return set->mns;
}

uint32_t
nvtcp_mpath_set_get_num_ctrlrs(const struct nvtcp_mpath_set *set)
{
	return set->num;
}

struct nvtcp_ctrlr *
nvtcp_mpath_set_get_ctrlr(const struct nvtcp_mpath_set *set, uint32_t idx)
{
	return idx < set->num ? set->ctrlrs[idx] : NULL;
}

int
nvtcp_mpath_set_free(struct nvtcp_mpath_set *set)
{
	uint32_t i;
	int rc;

	if (set == NULL) {
		return 0;
	}
	rc = nvtcp_mpath_ns_destroy(set->mns);
	if (rc != 0) {
		return rc;
	}
	for (i = 0; i < set->num; i++) {
		nvtcp_ctrlr_free_io_qpair(set->qpairs[i]);
		nvtcp_ctrlr_detach(set->ctrlrs[i]);
	}
	free(set);
	return 0;
}
