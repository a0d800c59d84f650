/*
 * Internals shared by the files of lib/env.
 */
#ifndef NVTCP_ENV_INTERNAL_H
#define NVTCP_ENV_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

/* cores.c: cache the NUMA node of every core of the mask (after rte_eal_init()). */
void env_cores_init(void);

#endif /* NVTCP_ENV_INTERNAL_H */
