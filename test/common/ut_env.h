/*
 * The DPDK environment for unit tests: in-memory (no shared files, so test binaries run side
 * by side), a small plain-memory arena so that tests never depend on hugepages, and quiet.
 *
 * The hugepage mode follows the environment variable NVTCP_UT_HUGE:
 *   off  (default) plain memory;
 *   auto hugepages when enough are free, else plain memory;
 *   on   hugepages or fail.
 */
#ifndef NVTCP_UT_ENV_H
#define NVTCP_UT_ENV_H

/**
 * Initialise the environment for a unit test. Call once per process (DPDK EAL cannot start
 * twice), e.g. from a suite's init function.
 *
 * \param name Process name (for logs).
 * \param core_list Cores, e.g. "0" or "0-1"; NULL = core 0.
 * \return 0 or a negative errno (also printed).
 */
int ut_env_init(const char *name, const char *core_list);

/**
 * Release the environment from ut_env_init().
 */
void ut_env_fini(void);

#endif /* NVTCP_UT_ENV_H */
