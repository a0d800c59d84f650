/*
 * nvtcp_discover --connect-all: the discovery-driven multipath set-up of lib/mpath
 * (nvtcp_mpath_connect_all()) run against the log just printed, as a check that a
 * subsystem's listeners really form one multipath namespace: each entry must become a path
 * (same namespace identity behind every listener), and each path's ANA state is shown.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "connect_all.h"
#include "nvtcp/multipath.h"
#include "nvtcp/nvmf_spec.h"
#include "tool.h"

/* Distinct listeners of \p subnqn among the NVMe entries (the log may repeat one). */
static size_t
count_paths(const struct nvtcp_discovery_entry *e, size_t count, const char *subnqn)
{
	size_t i, j, n = 0;

	for (i = 0; i < count; i++) {
		bool dup = false;

		if (e[i].subtype != NVTCP_NVMF_SUBTYPE_NVME || strcmp(e[i].trid.subnqn, subnqn) != 0) {
			continue;
		}
		for (j = 0; j < i && !dup; j++) {
			dup = e[j].subtype == NVTCP_NVMF_SUBTYPE_NVME &&
			      strcmp(e[j].trid.subnqn, subnqn) == 0 &&
			      strcmp(e[j].trid.traddr, e[i].trid.traddr) == 0 &&
			      strcmp(e[j].trid.trsvcid, e[i].trid.trsvcid) == 0;
		}
		n += !dup;
	}
	return n;
}

static int
one_subsystem(const struct nvtcp_trid *disc, size_t listed, const char *subnqn, uint32_t nsid,
	      const struct nvtcp_ctrlr_opts *copts, struct json_object *jarr)
{
	struct nvtcp_mpath_ns_opts mo;
	struct nvtcp_mpath_set *set = NULL;
	struct nvtcp_mpath_ns *mns;
	struct json_object *jns = NULL, *jpaths = NULL;
	char err[512];
	uint32_t i, n;
	int rc;

	nvtcp_mpath_ns_opts_init(&mo);
	mo.max_ios = 1;
	rc = nvtcp_mpath_connect_all(disc, subnqn, nsid, copts, &mo, &set, err, sizeof(err));
	if (rc != 0) {
		tool_fail_line("--connect-all: %s", err);
		return rc;
	}
	mns = nvtcp_mpath_set_get_ns(set);
	n = nvtcp_mpath_ns_get_num_paths(mns);
	if (jarr != NULL) {
		jns = json_object_new_object();
		jpaths = json_object_new_array();
		json_object_object_add(jns, "subnqn", json_object_new_string(subnqn));
		json_object_object_add(jns, "nsid", json_object_new_uint64(nsid));
		json_object_object_add(jns, "listed", json_object_new_uint64(listed));
		json_object_object_add(jns, "block_size",
				       json_object_new_uint64(nvtcp_mpath_ns_get_sector_size(mns)));
		json_object_object_add(jns, "blocks",
				       json_object_new_uint64(nvtcp_mpath_ns_get_num_sectors(mns)));
		json_object_object_add(jns, "paths", jpaths);
		json_object_array_add(jarr, jns);
	} else {
		printf("\nMultipath namespace %u of %s: %u of %zu listed paths, %llu blocks of %u "
		       "bytes\n", nsid, subnqn, n, listed,
		       (unsigned long long)nvtcp_mpath_ns_get_num_sectors(mns),
		       nvtcp_mpath_ns_get_sector_size(mns));
	}
	for (i = 0; i < n; i++) {
		struct nvtcp_ctrlr *c = nvtcp_mpath_ns_get_path_ctrlr(mns, i);
		const struct nvtcp_trid *t = nvtcp_ctrlr_get_trid(c);
		struct nvtcp_mpath_path_stats ps;

		nvtcp_mpath_ns_get_path_stats(mns, i, &ps);
		if (jpaths != NULL) {
			struct json_object *jp = json_object_new_object();

			json_object_object_add(jp, "traddr", json_object_new_string(t->traddr));
			json_object_object_add(jp, "trsvcid", json_object_new_string(t->trsvcid));
			json_object_object_add(jp, "cntlid",
					       json_object_new_uint64(nvtcp_ctrlr_get_cntlid(c)));
			json_object_object_add(jp, "ana_state", json_object_new_string(
						       nvtcp_mpath_ana_state_str(ps.ana_state)));
			json_object_object_add(jp, "connected", json_object_new_boolean(ps.connected));
			json_object_array_add(jpaths, jp);
		} else {
			printf("  path %u: %s:%s cntlid %u ana %s%s\n", i, t->traddr, t->trsvcid,
			       nvtcp_ctrlr_get_cntlid(c), nvtcp_mpath_ana_state_str(ps.ana_state),
			       ps.connected ? "" : " (not connected)");
		}
	}
	rc = 0;
	if (n < listed) {
		/* nvtcp_mpath_connect_all() skips an entry it cannot connect or whose namespace
		 * identity differs (its reason is in the library's warning); as a check, that is a
		 * failure. */
		tool_fail_line("--connect-all: %s: %zu listed paths, %u grouped (run with -L warn "
			       "for the reasons)", subnqn, listed, n);
		rc = -EIO;
	}
	nvtcp_mpath_set_free(set);
	return rc;
}

int
discover_connect_all(const struct nvtcp_trid *disc, const struct nvtcp_discovery_entry *e,
		     size_t count, const char *subnqn, uint32_t nsid,
		     const struct nvtcp_ctrlr_opts *copts, struct json_object *jroot)
{
	struct json_object *jarr = NULL;
	size_t i, done = 0;
	int rc;

	if (jroot != NULL) {
		jarr = json_object_new_array();
		json_object_object_add(jroot, "multipath", jarr);
	}
	for (i = 0; i < count; i++) {
		const char *nqn = e[i].trid.subnqn;
		bool earlier = false;

		if (e[i].subtype != NVTCP_NVMF_SUBTYPE_NVME ||
		    (subnqn != NULL && strcmp(nqn, subnqn) != 0)) {
			continue;
		}
		for (size_t j = 0; j < i && !earlier; j++) {
			earlier = e[j].subtype == NVTCP_NVMF_SUBTYPE_NVME &&
				  strcmp(e[j].trid.subnqn, nqn) == 0;
		}
		if (earlier) {
			continue;
		}
		done++;
		/* The first failure ends it: the tool reports one reason. */
		rc = one_subsystem(disc, count_paths(e, count, nqn), nqn, nsid, copts, jarr);
		if (rc != 0) {
			return rc;
		}
	}
	if (done == 0) {
		if (subnqn != NULL) {
			tool_fail_line("--connect-all: subsystem %s is not in the discovery log",
				       subnqn);
		} else {
			tool_fail_line("--connect-all: the discovery log lists no NVM subsystem");
		}
		return -ENOENT;
	}
	return 0;
}
