/*
 * Unit tests of lib/env/ring.c: exact capacity, burst semantics, element sizes, and the
 * producer/consumer models under real concurrency (every element arrives exactly once, in
 * per-producer order).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvtcp/env.h"
#include "nvtcp/util.h"

#include "ut.h"
#include "ut_env.h"

#define DEADLINE_S 30

static int
suite_init(void)
{
	return ut_env_init("ring_ut", "0-1") == 0 ? 0 : -1;
}

static int
suite_fini(void)
{
	ut_env_fini();
	return 0;
}

static bool
past_deadline(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - t0->tv_sec > DEADLINE_S;
}

static void
test_exact_capacity(void)
{
	struct nvtcp_ring *r = nvtcp_ring_create(NVTCP_RING_SP_SC, 100, sizeof(uint64_t),
						 NVTCP_ENV_NUMA_ANY);
	uint64_t in[150], out[150];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (int i = 0; i < 150; i++) {
		in[i] = (uint64_t)i * 1000003;
	}
	/* Exactly 100 fit, not 127 or 99. */
	CU_ASSERT_EQUAL(nvtcp_ring_enqueue(r, in, 150), 100);
	CU_ASSERT_EQUAL(nvtcp_ring_count(r), 100);
	CU_ASSERT_EQUAL(nvtcp_ring_enqueue(r, in, 1), 0);
	/* Bursts: as many as there are. */
	CU_ASSERT_EQUAL(nvtcp_ring_dequeue(r, out, 30), 30);
	CU_ASSERT_EQUAL(nvtcp_ring_dequeue(r, out + 30, 150), 70);
	CU_ASSERT_EQUAL(nvtcp_ring_dequeue(r, out, 1), 0);
	CU_ASSERT_EQUAL(memcmp(in, out, 100 * sizeof(uint64_t)), 0);
	CU_ASSERT_EQUAL(nvtcp_ring_count(r), 0);
	/* Wrapping around many times keeps order. */
	for (uint64_t round = 0; round < 1000; round++) {
		uint64_t v[7], w[7];

		for (int i = 0; i < 7; i++) {
			v[i] = round * 7 + (uint64_t)i;
		}
		CU_ASSERT_EQUAL_FATAL(nvtcp_ring_enqueue(r, v, 7), 7);
		CU_ASSERT_EQUAL_FATAL(nvtcp_ring_dequeue(r, w, 7), 7);
		CU_ASSERT_EQUAL_FATAL(memcmp(v, w, sizeof(v)), 0);
	}
	/* Elements still queued are dropped with the ring. */
	CU_ASSERT_EQUAL(nvtcp_ring_enqueue(r, in, 5), 5);
	nvtcp_ring_free(r);
	nvtcp_ring_free(NULL);
}

static void
test_element_sizes(void)
{
	static const size_t sizes[] = {4, 8, 12, 16, 24, 64, 132};

	for (size_t s = 0; s < NVTCP_COUNTOF(sizes); s++) {
		size_t esz = sizes[s];
		struct nvtcp_ring *r = nvtcp_ring_create(NVTCP_RING_MP_MC, 5, esz,
							 NVTCP_ENV_NUMA_ANY);
		unsigned char in[5 * 132], out[5 * 132];

		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		for (size_t i = 0; i < 5 * esz; i++) {
			in[i] = (unsigned char)(i * 13 + esz);
		}
		CU_ASSERT_EQUAL(nvtcp_ring_enqueue(r, in, 3), 3);
		CU_ASSERT_EQUAL(nvtcp_ring_enqueue(r, in + 3 * esz, 3), 2);
		memset(out, 0, sizeof(out));
		CU_ASSERT_EQUAL(nvtcp_ring_dequeue(r, out, 5), 5);
		CU_ASSERT_EQUAL(memcmp(in, out, 5 * esz), 0);
		nvtcp_ring_free(r);
	}
}

static void
test_create_errors(void)
{
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_ring_create(NVTCP_RING_SP_SC, 16, 6, NVTCP_ENV_NUMA_ANY));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_ring_create(NVTCP_RING_SP_SC, 16, 0, NVTCP_ENV_NUMA_ANY));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_ring_create(NVTCP_RING_SP_SC, 0, 8, NVTCP_ENV_NUMA_ANY));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_ring_create((enum nvtcp_ring_type)9, 16, 8, NVTCP_ENV_NUMA_ANY));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_ring_create(NVTCP_RING_SP_SC, (size_t)1 << 32, 8,
					     NVTCP_ENV_NUMA_ANY));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* Many rings at once: names never collide. */
	struct nvtcp_ring *rs[50];

	for (int i = 0; i < 50; i++) {
		rs[i] = nvtcp_ring_create(NVTCP_RING_SP_SC, 4, 8, NVTCP_ENV_NUMA_ANY);
		CU_ASSERT_PTR_NOT_NULL(rs[i]);
	}
	for (int i = 0; i < 50; i++) {
		nvtcp_ring_free(rs[i]);
	}
}

/* ---- Concurrency -------------------------------------------------------------------------- */

#define PER_PRODUCER 300000

struct elt {
	uint32_t producer;
	uint32_t seq;
};

struct prod_arg {
	struct nvtcp_ring *ring;
	uint32_t id;
	atomic_bool *abort;
	int rc;
};

static int
producer(void *varg)
{
	struct prod_arg *a = varg;
	struct timespec t0;
	struct elt burst[16];
	uint32_t seq = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (seq < PER_PRODUCER) {
		uint32_t n = NVTCP_MIN(16u, PER_PRODUCER - seq);
		size_t done;

		/* Vary the burst so partial enqueues happen. */
		n = 1 + (seq * 7) % n;
		for (uint32_t i = 0; i < n; i++) {
			burst[i].producer = a->id;
			burst[i].seq = seq + i;
		}
		done = nvtcp_ring_enqueue(a->ring, burst, n);
		seq += (uint32_t)done;
		if (done == 0 && past_deadline(&t0)) {
			a->rc = -ETIMEDOUT;
			return a->rc;
		}
		if (atomic_load(a->abort)) {
			a->rc = -ECANCELED;
			return a->rc;
		}
	}
	a->rc = 0;
	return 0;
}

static void *
producer_pthread(void *arg)
{
	producer(arg);
	return NULL;
}

/*
 * Consume everything from nprod producers; every element must carry the next sequence
 * number of its producer.
 */
static void
consume_all(struct nvtcp_ring *r, uint32_t nprod, atomic_bool *abort)
{
	uint32_t next[3] = {0};
	uint64_t total = 0, bad = 0;
	struct timespec t0;
	struct elt buf[32];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (total < (uint64_t)nprod * PER_PRODUCER) {
		size_t n = nvtcp_ring_dequeue(r, buf, 32);

		for (size_t i = 0; i < n; i++) {
			if (buf[i].producer >= nprod || buf[i].seq != next[buf[i].producer]) {
				bad++;
				continue;
			}
			next[buf[i].producer]++;
		}
		total += n;
		if (n == 0 && past_deadline(&t0)) {
			break;
		}
	}
	atomic_store(abort, true);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(total, (uint64_t)nprod * PER_PRODUCER);
	for (uint32_t p = 0; p < nprod; p++) {
		CU_ASSERT_EQUAL(next[p], PER_PRODUCER);
	}
	/* Nothing extra. */
	CU_ASSERT_EQUAL(nvtcp_ring_count(r), 0);
}

static void
test_sp_sc_two_threads(void)
{
	struct nvtcp_ring *r = nvtcp_ring_create(NVTCP_RING_SP_SC, 64, sizeof(struct elt),
						 NVTCP_ENV_NUMA_ANY);
	atomic_bool abort = false;
	struct prod_arg a = {.ring = r, .id = 0, .abort = &abort, .rc = -1};

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_FATAL(nvtcp_env_core_launch(1, producer, &a) == 0);
	consume_all(r, 1, &abort);
	CU_ASSERT_EQUAL(nvtcp_env_core_wait(1), 0);
	nvtcp_ring_free(r);
}

static void
test_mp_sc_three_threads(void)
{
	struct nvtcp_ring *r = nvtcp_ring_create(NVTCP_RING_MP_SC, 128, sizeof(struct elt),
						 NVTCP_ENV_NUMA_ANY);
	atomic_bool abort = false;
	struct prod_arg a[2] = {
		{.ring = r, .id = 0, .abort = &abort, .rc = -1},
		{.ring = r, .id = 1, .abort = &abort, .rc = -1},
	};
	pthread_t plain;
	cpu_set_t all;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	/* One producer on environment core 1, one on a plain thread free to run anywhere. */
	CU_ASSERT_FATAL(nvtcp_env_core_launch(1, producer, &a[0]) == 0);
	CU_ASSERT_FATAL(pthread_create(&plain, NULL, producer_pthread, &a[1]) == 0);
	CPU_ZERO(&all);
	CPU_SET(0, &all);
	CPU_SET(1, &all);
	pthread_setaffinity_np(plain, sizeof(all), &all);
	consume_all(r, 2, &abort);
	CU_ASSERT_EQUAL(nvtcp_env_core_wait(1), 0);
	pthread_join(plain, NULL);
	CU_ASSERT_EQUAL(a[1].rc, 0);
	nvtcp_ring_free(r);
}

/*
 * MP_MC: two threads on two cores both produce and consume; together they see every element
 * exactly once. (Threads sharing a multi-producer or multi-consumer side must not share a CPU:
 * see nvtcp_ring_create().)
 */
struct mc_arg {
	struct nvtcp_ring *ring;
	uint32_t id;
	_Atomic uint8_t *seen;
	atomic_ulong *total;
	uint64_t dups;
	int rc;
};

static int
mc_worker(void *varg)
{
	struct mc_arg *a = varg;
	struct elt out[8], in[8];
	struct timespec t0;
	uint32_t seq = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	a->rc = 0;
	while (atomic_load(a->total) < 2ull * PER_PRODUCER) {
		uint32_t n = NVTCP_MIN(8u, PER_PRODUCER - seq);
		size_t got;

		for (uint32_t i = 0; i < n; i++) {
			out[i] = (struct elt){.producer = a->id, .seq = seq + i};
		}
		seq += (uint32_t)nvtcp_ring_enqueue(a->ring, out, n);
		got = nvtcp_ring_dequeue(a->ring, in, 1 + seq % 8);
		for (size_t i = 0; i < got; i++) {
			size_t idx = (size_t)in[i].producer * PER_PRODUCER + in[i].seq;

			if (in[i].producer > 1 || in[i].seq >= PER_PRODUCER ||
			    atomic_exchange(&a->seen[idx], 1) != 0) {
				a->dups++;
			}
		}
		atomic_fetch_add(a->total, got);
		if (got == 0 && past_deadline(&t0)) {
			a->rc = -ETIMEDOUT;
			break;
		}
	}
	return a->rc;
}

static void
test_mp_mc(void)
{
	struct nvtcp_ring *r = nvtcp_ring_create(NVTCP_RING_MP_MC, 64, sizeof(struct elt),
						 NVTCP_ENV_NUMA_ANY);
	_Atomic uint8_t *seen = calloc(2 * PER_PRODUCER, 1);
	atomic_ulong total = 0;
	struct mc_arg w[2] = {
		{.ring = r, .id = 0, .seen = seen, .total = &total},
		{.ring = r, .id = 1, .seen = seen, .total = &total},
	};

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	CU_ASSERT_FATAL(nvtcp_env_core_launch(1, mc_worker, &w[1]) == 0);
	CU_ASSERT_EQUAL(mc_worker(&w[0]), 0);
	CU_ASSERT_EQUAL(nvtcp_env_core_wait(1), 0);
	CU_ASSERT_EQUAL(w[0].dups + w[1].dups, 0);
	CU_ASSERT_EQUAL(atomic_load(&total), 2ull * PER_PRODUCER);
	for (size_t i = 0; i < 2 * PER_PRODUCER; i++) {
		if (!seen[i]) {
			CU_FAIL("an element never arrived");
			break;
		}
	}
	CU_ASSERT_EQUAL(nvtcp_ring_count(r), 0);
	free((void *)seen);
	nvtcp_ring_free(r);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("ring", suite_init, suite_fini);

	CU_ADD_TEST(s, test_exact_capacity);
	CU_ADD_TEST(s, test_element_sizes);
	CU_ADD_TEST(s, test_create_errors);
	CU_ADD_TEST(s, test_sp_sc_two_threads);
	CU_ADD_TEST(s, test_mp_sc_three_threads);
	CU_ADD_TEST(s, test_mp_mc);
}

NVTCP_UT_MAIN(add_tests)
