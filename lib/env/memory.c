/*
 * DMA-safe memory and object pools.
 *
 * A struct nvtcp_mempool is a struct rte_mempool under another name: get and put are on the
 * I/O path, so they are one call into DPDK's inline per-lcore cache code with no wrapper state
 * to load.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"
#include "nvtcp/util.h"

#define MP(mp) ((struct rte_mempool *)(mp))

void *
nvtcp_dma_zmalloc(size_t size, size_t align, int numa_node)
{
	if (size == 0 || (align != 0 && !NVTCP_IS_POWER_OF_2(align))) {
		return NULL;
	}
	/* rte_zmalloc_socket() treats align 0 as cache-line alignment. */
	return rte_zmalloc_socket(NULL, size, (unsigned int)align,
				  numa_node == NVTCP_ENV_NUMA_ANY ? SOCKET_ID_ANY : numa_node);
}

void
nvtcp_dma_free(void *buf)
{
	rte_free(buf);
}

struct nvtcp_mempool *
nvtcp_mempool_create(const char *name, size_t count, size_t elt_size, size_t cache_size,
		     int numa_node)
{
	static atomic_uint s_seq;
	char auto_name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;

	if (count == 0 || count > UINT32_MAX / 2 || elt_size == 0 || elt_size > UINT32_MAX ||
	    cache_size > RTE_MEMPOOL_CACHE_MAX_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	if (name == NULL) {
		snprintf(auto_name, sizeof(auto_name), "nvtcp_mp%u", atomic_fetch_add(&s_seq, 1));
		name = auto_name;
	}
	if (strlen(name) >= RTE_MEMPOOL_NAMESIZE) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	/* DPDK rejects a cache above count / 1.5 (objects parked in per-core caches would leave
	 * the others empty); shrink it rather than fail small pools created with the default. */
	if (cache_size * 3 / 2 > count) {
		cache_size = count * 2 / 3;
	}
	mp = rte_mempool_create(name, (unsigned int)count, (unsigned int)elt_size,
				(unsigned int)cache_size, 0, NULL, NULL, NULL, NULL,
				numa_node == NVTCP_ENV_NUMA_ANY ? SOCKET_ID_ANY : numa_node, 0);
	if (mp == NULL) {
		errno = rte_errno != 0 ? rte_errno : ENOMEM;
		NVTCP_ERRLOG("cannot create pool '%s' of %zu x %zu bytes: %s", name, count, elt_size,
			     rte_strerror(errno));
		return NULL;
	}
	return (struct nvtcp_mempool *)mp;
}

void
nvtcp_mempool_free(struct nvtcp_mempool *mp)
{
	unsigned int out;

	if (mp == NULL) {
		return;
	}
	out = rte_mempool_in_use_count(MP(mp));
	if (out != 0) {
		NVTCP_WARNLOG("pool '%s' freed with %u of %u objects still in use (leak)",
			      MP(mp)->name, out, MP(mp)->size);
	}
	rte_mempool_free(MP(mp));
}

void *
nvtcp_mempool_get(struct nvtcp_mempool *mp)
{
	void *obj;

	return rte_mempool_get(MP(mp), &obj) == 0 ? obj : NULL;
}

int
nvtcp_mempool_get_bulk(struct nvtcp_mempool *mp, void **objs, size_t count)
{
	/* rte_mempool_get_bulk() is all-or-none, but fails a request for nothing. */
	if (nvtcp_unlikely(count == 0)) {
		return 0;
	}
	return rte_mempool_get_bulk(MP(mp), objs, (unsigned int)count) == 0 ? 0 : -ENOMEM;
}

void
nvtcp_mempool_put(struct nvtcp_mempool *mp, void *obj)
{
	rte_mempool_put(MP(mp), obj);
}

void
nvtcp_mempool_put_bulk(struct nvtcp_mempool *mp, void **objs, size_t count)
{
	rte_mempool_put_bulk(MP(mp), objs, (unsigned int)count);
}

size_t
nvtcp_mempool_count(const struct nvtcp_mempool *mp)
{
	return rte_mempool_avail_count(MP(mp));
}

size_t
nvtcp_mempool_capacity(const struct nvtcp_mempool *mp)
{
	return MP(mp)->size;
}
