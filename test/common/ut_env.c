/*
 * See ut_env.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/env.h"

#include "ut_env.h"

/* Enough for the pools and rings of any unit test, small enough to start fast. */
#define UT_ENV_MEM_MB 256

int
ut_env_init(const char *name, const char *core_list)
{
	struct nvtcp_env_opts opts;
	const char *huge = getenv("NVTCP_UT_HUGE");
	int rc;

	nvtcp_env_opts_init(&opts);
	opts.name = name;
	opts.core_list = core_list != NULL ? core_list : "0";
	opts.mem_size_mb = UT_ENV_MEM_MB;
	opts.huge = NVTCP_ENV_HUGE_OFF;
	if (huge != NULL && huge[0] != '\0') {
		if (strcmp(huge, "auto") == 0) {
			opts.huge = NVTCP_ENV_HUGE_AUTO;
		} else if (strcmp(huge, "on") == 0) {
			opts.huge = NVTCP_ENV_HUGE_REQUIRE;
		} else if (strcmp(huge, "off") != 0) {
			fprintf(stderr, "%s: NVTCP_UT_HUGE=%s is not auto, on or off\n", name, huge);
			return -EINVAL;
		}
	}
	rc = nvtcp_env_init(&opts);
	if (rc != 0) {
		fprintf(stderr, "%s: cannot initialise the environment on cores %s: %s\n", name,
			opts.core_list, strerror(-rc));
	}
	return rc;
}

void
ut_env_fini(void)
{
	nvtcp_env_fini();
}
