/*
 * Time and cores. Thin wrappers over DPDK's TSC and lcore calls; lcore ids equal CPU ids
 * because env.c always hands EAL a plain core list (-l), never an lcore-to-CPU mapping.
 */
#include <errno.h>

#include <numa.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"

#include "env_internal.h"

/* NUMA node of every core, looked up once: numa_node_of_cpu() reads sysfs. */
static int g_core_numa[RTE_MAX_LCORE];

void
env_cores_init(void)
{
	bool numa_ok = numa_available() >= 0;

	for (unsigned int c = 0; c < RTE_MAX_LCORE; c++) {
		int node = numa_ok ? numa_node_of_cpu((int)c) : 0;

		g_core_numa[c] = node >= 0 ? node : 0;
	}
}

uint64_t
nvtcp_env_get_ticks(void)
{
	return rte_get_tsc_cycles();
}

uint64_t
nvtcp_env_get_ticks_hz(void)
{
	return rte_get_tsc_hz();
}

void
nvtcp_env_delay_us(uint32_t us)
{
	rte_delay_us_block(us);
}

uint32_t
nvtcp_env_get_core(void)
{
	unsigned int id = rte_lcore_id();

	return id == LCORE_ID_ANY ? NVTCP_ENV_CORE_NONE : id;
}

uint32_t
nvtcp_env_get_core_count(void)
{
	return nvtcp_env_is_initialized() ? rte_lcore_count() : 0;
}

uint32_t
nvtcp_env_get_main_core(void)
{
	return nvtcp_env_is_initialized() ? rte_get_main_lcore() : NVTCP_ENV_CORE_NONE;
}

uint32_t
nvtcp_env_get_first_core(void)
{
	unsigned int c;

	if (!nvtcp_env_is_initialized()) {
		return NVTCP_ENV_CORE_NONE;
	}
	c = rte_get_next_lcore(-1, 0, 0);
	return c < RTE_MAX_LCORE ? c : NVTCP_ENV_CORE_NONE;
}

uint32_t
nvtcp_env_get_next_core(uint32_t core)
{
	unsigned int c;

	if (core >= RTE_MAX_LCORE) {
		return NVTCP_ENV_CORE_NONE;
	}
	c = rte_get_next_lcore(core, 0, 0);
	return c < RTE_MAX_LCORE ? c : NVTCP_ENV_CORE_NONE;
}

int
nvtcp_env_get_numa_node(uint32_t core)
{
	return core < RTE_MAX_LCORE ? g_core_numa[core] : 0;
}

int
nvtcp_env_core_launch(uint32_t core, int (*fn)(void *arg), void *arg)
{
	if (!nvtcp_env_is_initialized() || fn == NULL || core >= RTE_MAX_LCORE ||
	    !rte_lcore_is_enabled(core) || core == rte_get_main_lcore()) {
		return -EINVAL;
	}
	/* rte_eal_remote_launch() returns -EBUSY when the core still runs a function. */
	return rte_eal_remote_launch(fn, arg, core);
}

int
nvtcp_env_core_wait(uint32_t core)
{
	if (!nvtcp_env_is_initialized() || core >= RTE_MAX_LCORE || !rte_lcore_is_enabled(core) ||
	    core == rte_get_main_lcore()) {
		return -EINVAL;
	}
	return rte_eal_wait_lcore(core);
}
