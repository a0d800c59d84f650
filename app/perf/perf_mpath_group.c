/*
 * nvtcp_perf multipath: the pure logic (policy names, grouping of paths by subsystem and
 * namespace), kept apart from perf_mpath.c so that unit tests can include it without the
 * driver.
 */
#include <errno.h>
#include <string.h>

#include "perf.h"

int
perf_mpath_policy_parse(const char *s, int *policy)
{
	static const char *const names[] = {
		[NVTCP_MPATH_POLICY_ACTIVE_PASSIVE] = "active-passive",
		[NVTCP_MPATH_POLICY_ROUND_ROBIN] = "round-robin",
		[NVTCP_MPATH_POLICY_QUEUE_DEPTH] = "queue-depth",
	};
	char buf[32];
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n >= sizeof(buf)) {
		return -EINVAL;
	}
	for (i = 0; i <= n; i++) {
		buf[i] = s[i] == '_' ? '-' : s[i];
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(buf, names[i]) == 0) {
			*policy = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

uint32_t
perf_mpath_group(const char *const *subnqn, const uint32_t *nsid, uint32_t n, uint32_t *group)
{
	uint32_t groups = 0;

	for (uint32_t i = 0; i < n; i++) {
		group[i] = UINT32_MAX;
		for (uint32_t j = 0; j < i; j++) {
			if (nsid[j] == nsid[i] && strcmp(subnqn[j], subnqn[i]) == 0) {
				group[i] = group[j];
				break;
			}
		}
		if (group[i] == UINT32_MAX) {
			group[i] = groups++;
		}
	}
	return groups;
}
