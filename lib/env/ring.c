/*
 * Lockless rings over rte_ring with by-value elements.
 *
 * RING_F_EXACT_SZ makes the usable capacity exactly the count asked for (a plain rte_ring of
 * size N holds N - 1), so "a ring of 64 messages" really holds 64.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"

struct nvtcp_ring {
	struct rte_ring *ring;
	unsigned int esize;
};

struct nvtcp_ring *
nvtcp_ring_create(enum nvtcp_ring_type type, size_t count, size_t elt_size, int numa_node)
{
	static atomic_uint s_seq;
	char name[RTE_RING_NAMESIZE];
	struct nvtcp_ring *ring;
	unsigned int flags = RING_F_EXACT_SZ;
	int socket = numa_node == NVTCP_ENV_NUMA_ANY ? SOCKET_ID_ANY : numa_node;

	switch (type) {
	case NVTCP_RING_SP_SC:
		flags |= RING_F_SP_ENQ | RING_F_SC_DEQ;
		break;
	case NVTCP_RING_MP_SC:
		flags |= RING_F_SC_DEQ;
		break;
	case NVTCP_RING_MP_MC:
		break;
	default:
		errno = EINVAL;
		return NULL;
	}
	if (count == 0 || count > RTE_RING_SZ_MASK || elt_size == 0 || elt_size % 4 != 0 ||
	    elt_size > UINT16_MAX) {
		errno = EINVAL;
		return NULL;
	}
	ring = rte_zmalloc_socket(NULL, sizeof(*ring), 0, socket);
	if (ring == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* Memzone names are process-wide and must be unique. */
	snprintf(name, sizeof(name), "nvtcp_ring%u", atomic_fetch_add(&s_seq, 1));
	ring->esize = (unsigned int)elt_size;
	ring->ring = rte_ring_create_elem(name, (unsigned int)elt_size, (unsigned int)count, socket,
					  flags);
	if (ring->ring == NULL) {
		errno = rte_errno != 0 ? rte_errno : ENOMEM;
		NVTCP_ERRLOG("cannot create ring of %zu x %zu bytes: %s", count, elt_size,
			     rte_strerror(errno));
		rte_free(ring);
		return NULL;
	}
	return ring;
}

void
nvtcp_ring_free(struct nvtcp_ring *ring)
{
	if (ring == NULL) {
		return;
	}
	rte_ring_free(ring->ring);
	rte_free(ring);
}

size_t
nvtcp_ring_enqueue(struct nvtcp_ring *ring, const void *elts, size_t count)
{
	return rte_ring_enqueue_burst_elem(ring->ring, elts, ring->esize, (unsigned int)count,
					   NULL);
}

size_t
nvtcp_ring_dequeue(struct nvtcp_ring *ring, void *elts, size_t count)
{
	return rte_ring_dequeue_burst_elem(ring->ring, elts, ring->esize, (unsigned int)count,
					   NULL);
}

size_t
nvtcp_ring_count(const struct nvtcp_ring *ring)
{
	return rte_ring_count(ring->ring);
}
