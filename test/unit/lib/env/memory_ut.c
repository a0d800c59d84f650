/*
 * Unit tests of lib/env/memory.c: DMA allocations (alignment, zeroing) and pools (counts,
 * exhaustion, bulk all-or-none, concurrent use from an environment core and plain threads).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"
#include "nvtcp/util.h"

#include "ut.h"
#include "ut_env.h"

static int
suite_init(void)
{
	return ut_env_init("memory_ut", "0-1") == 0 ? 0 : -1;
}

static int
suite_fini(void)
{
	ut_env_fini();
	return 0;
}

static bool
all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++) {
		if (c[i] != 0) {
			return false;
		}
	}
	return true;
}

static void
test_dma_alignment(void)
{
	static const size_t aligns[] = {0, 8, 64, 512, 4096, 65536, 2 << 20};
	static const size_t sizes[] = {1, 63, 4096, 100000};

	for (size_t a = 0; a < NVTCP_COUNTOF(aligns); a++) {
		for (size_t s = 0; s < NVTCP_COUNTOF(sizes); s++) {
			size_t want = aligns[a] ? aligns[a] : 64;
			void *p = nvtcp_dma_zmalloc(sizes[s], aligns[a], NVTCP_ENV_NUMA_ANY);

			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			CU_ASSERT_EQUAL((uintptr_t)p % want, 0);
			CU_ASSERT(all_zero(p, sizes[s]));
			nvtcp_dma_free(p);
		}
	}
	/* On the core's own node too. */
	void *p = nvtcp_dma_zmalloc(4096, 4096, nvtcp_env_get_numa_node(0));

	CU_ASSERT_PTR_NOT_NULL(p);
	nvtcp_dma_free(p);
}

static void
test_dma_zeroing_and_errors(void)
{
	/* Memory handed back dirty comes out zeroed again. */
	for (int i = 0; i < 8; i++) {
		unsigned char *p = nvtcp_dma_zmalloc(1 << 16, 0, NVTCP_ENV_NUMA_ANY);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT(all_zero(p, 1 << 16));
		memset(p, 0xa5, 1 << 16);
		nvtcp_dma_free(p);
	}
	CU_ASSERT_PTR_NULL(nvtcp_dma_zmalloc(0, 0, NVTCP_ENV_NUMA_ANY));
	CU_ASSERT_PTR_NULL(nvtcp_dma_zmalloc(64, 3, NVTCP_ENV_NUMA_ANY));
	/* More than the whole arena. */
	CU_ASSERT_PTR_NULL(nvtcp_dma_zmalloc((size_t)64 << 30, 0, NVTCP_ENV_NUMA_ANY));
	nvtcp_dma_free(NULL);
}

static void
test_pool_basic(void)
{
	struct nvtcp_mempool *mp = nvtcp_mempool_create("mut_basic", 1000, 100, 32,
							NVTCP_ENV_NUMA_ANY);
	static void *objs[1000];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
	CU_ASSERT_EQUAL(nvtcp_mempool_capacity(mp), 1000);
	CU_ASSERT_EQUAL(nvtcp_mempool_count(mp), 1000);
	for (int i = 0; i < 1000; i++) {
		objs[i] = nvtcp_mempool_get(mp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
		/* Objects are cache-line aligned and the whole element is ours. */
		CU_ASSERT_EQUAL((uintptr_t)objs[i] % 64, 0);
		memset(objs[i], i & 0xff, 100);
	}
	CU_ASSERT_EQUAL(nvtcp_mempool_count(mp), 0);
	CU_ASSERT_PTR_NULL(nvtcp_mempool_get(mp));
	/* No object was handed out twice: each still holds its own pattern. */
	for (int i = 0; i < 1000; i++) {
		unsigned char *o = objs[i];

		CU_ASSERT(o[0] == (i & 0xff) && o[99] == (i & 0xff));
	}
	for (int i = 0; i < 1000; i++) {
		nvtcp_mempool_put(mp, objs[i]);
	}
	CU_ASSERT_EQUAL(nvtcp_mempool_count(mp), 1000);
	nvtcp_mempool_free(mp);
	nvtcp_mempool_free(NULL);
}

static void
test_pool_bulk(void)
{
	struct nvtcp_mempool *mp = nvtcp_mempool_create("mut_bulk", 10, 64, 0,
							NVTCP_ENV_NUMA_ANY);
	void *objs[11] = {NULL};

	CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
	/* All or none. */
	CU_ASSERT_EQUAL(nvtcp_mempool_get_bulk(mp, objs, 11), -ENOMEM);
	CU_ASSERT_PTR_NULL(objs[0]);
	CU_ASSERT_EQUAL(nvtcp_mempool_count(mp), 10);
	CU_ASSERT_EQUAL(nvtcp_mempool_get_bulk(mp, objs, 4), 0);
	CU_ASSERT_EQUAL(nvtcp_mempool_count(mp), 6);
	CU_ASSERT_EQUAL(nvtcp_mempool_get_bulk(mp, objs + 4, 7), -ENOMEM);
	CU_ASSERT_EQUAL(nvtcp_mempool_count(mp), 6);
	CU_ASSERT_EQUAL(nvtcp_mempool_get_bulk(mp, objs + 4, 6), 0);
	CU_ASSERT_EQUAL(nvtcp_mempool_count(mp), 0);
	for (int i = 0; i < 10; i++) {
		for (int j = i + 1; j < 10; j++) {
			CU_ASSERT(objs[i] != objs[j]);
		}
	}
	nvtcp_mempool_put_bulk(mp, objs, 10);
	CU_ASSERT_EQUAL(nvtcp_mempool_count(mp), 10);
	CU_ASSERT_EQUAL(nvtcp_mempool_get_bulk(mp, objs, 0), 0);
	nvtcp_mempool_free(mp);
}

static void
test_pool_create_errors(void)
{
	struct nvtcp_mempool *mp, *dup;

	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_mempool_create("mut_zero", 0, 64, 0, NVTCP_ENV_NUMA_ANY));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(nvtcp_mempool_create("mut_zero", 10, 0, 0, NVTCP_ENV_NUMA_ANY));
	CU_ASSERT_PTR_NULL(nvtcp_mempool_create("mut_cache", 10000, 64, 513, NVTCP_ENV_NUMA_ANY));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(nvtcp_mempool_create("a_name_that_is_much_too_long", 10, 64, 0,
						NVTCP_ENV_NUMA_ANY));
	CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
	mp = nvtcp_mempool_create("mut_dup", 10, 64, 0, NVTCP_ENV_NUMA_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
	dup = nvtcp_mempool_create("mut_dup", 10, 64, 0, NVTCP_ENV_NUMA_ANY);
	CU_ASSERT_PTR_NULL(dup);
	CU_ASSERT_EQUAL(errno, EEXIST);
	nvtcp_mempool_free(mp);
	/* A small pool with the default cache still works (the cache shrinks to fit). */
	mp = nvtcp_mempool_create("mut_small", 8, 64, NVTCP_MEMPOOL_CACHE_DEFAULT,
				  NVTCP_ENV_NUMA_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
	CU_ASSERT_EQUAL(nvtcp_mempool_count(mp), 8);
	nvtcp_mempool_free(mp);
	/* A NULL name gets a unique one. */
	mp = nvtcp_mempool_create(NULL, 8, 64, 0, NVTCP_ENV_NUMA_ANY);
	dup = nvtcp_mempool_create(NULL, 8, 64, 0, NVTCP_ENV_NUMA_ANY);
	CU_ASSERT(mp != NULL && dup != NULL);
	nvtcp_mempool_free(mp);
	nvtcp_mempool_free(dup);
}

static char g_log[512];

static void
log_capture(enum nvtcp_log_level level, const char *file, int line, const char *func,
	    const char *fmt, va_list ap)
{
	if (level == NVTCP_LOG_WARN) {
		vsnprintf(g_log, sizeof(g_log), fmt, ap);
	}
}

static void
test_pool_leak_warning(void)
{
	struct nvtcp_mempool *mp = nvtcp_mempool_create("mut_leak", 16, 64, 0,
							NVTCP_ENV_NUMA_ANY);
	void *objs[3];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
	CU_ASSERT_EQUAL(nvtcp_mempool_get_bulk(mp, objs, 3), 0);
	g_log[0] = '\0';
	nvtcp_log_set_callback(log_capture);
	nvtcp_mempool_free(mp);
	nvtcp_log_set_callback(NULL);
	CU_ASSERT(strstr(g_log, "mut_leak") != NULL);
	CU_ASSERT(strstr(g_log, "3 of 16") != NULL);
}

/* ---- Concurrency -------------------------------------------------------------------------- */

#define CONC_OBJS 2048
#define CONC_ELT 128
#define CONC_ITERS 200000

struct conc_obj {
	_Atomic uint64_t owner;
	uint64_t pattern[(CONC_ELT - 8) / 8];
};

struct conc_arg {
	struct nvtcp_mempool *mp;
	uint64_t id;
	uint64_t errors;
	uint64_t done;
};

static int
conc_worker(void *varg)
{
	struct conc_arg *a = varg;
	struct conc_obj *objs[16];
	struct timespec t0, now;
	uint64_t seed = a->id * 2654435761u;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t it = 0; it < CONC_ITERS; it++) {
		size_t n;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		n = 1 + (seed >> 33) % 16;
		if (n == 1) {
			objs[0] = nvtcp_mempool_get(a->mp);
			if (objs[0] == NULL) {
				continue;
			}
		} else if (nvtcp_mempool_get_bulk(a->mp, (void **)objs, n) != 0) {
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t expected = 0;

			/* An object handed to two threads at once would fail this. */
			if (!atomic_compare_exchange_strong(&objs[i]->owner, &expected, a->id)) {
				a->errors++;
			}
			for (size_t w = 0; w < NVTCP_COUNTOF(objs[i]->pattern); w++) {
				objs[i]->pattern[w] = a->id ^ it;
			}
		}
		for (size_t i = 0; i < n; i++) {
			for (size_t w = 0; w < NVTCP_COUNTOF(objs[i]->pattern); w++) {
				if (objs[i]->pattern[w] != (a->id ^ it)) {
					a->errors++;
					break;
				}
			}
			atomic_store(&objs[i]->owner, 0);
		}
		if (n == 1) {
			nvtcp_mempool_put(a->mp, objs[0]);
		} else {
			nvtcp_mempool_put_bulk(a->mp, (void **)objs, n);
		}
		a->done++;
		if ((it & 1023) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec > 30) {
				a->errors++;
				break;
			}
		}
	}
	return 0;
}

static void *
conc_pthread(void *arg)
{
	conc_worker(arg);
	return NULL;
}

static void
test_pool_concurrent(void)
{
	struct nvtcp_mempool *mp = nvtcp_mempool_create("mut_conc", CONC_OBJS, CONC_ELT, 64,
							NVTCP_ENV_NUMA_ANY);
	struct conc_arg args[3];
	pthread_t plain;
	cpu_set_t all;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
	for (int i = 0; i < 3; i++) {
		args[i] = (struct conc_arg){.mp = mp, .id = (uint64_t)i + 1};
	}
	/* Core 1 (per-core cache), a plain thread (shared pool only), and the main core. */
	CU_ASSERT_FATAL(nvtcp_env_core_launch(1, conc_worker, &args[0]) == 0);
	CU_ASSERT_FATAL(pthread_create(&plain, NULL, conc_pthread, &args[1]) == 0);
	CPU_ZERO(&all);
	CPU_SET(0, &all);
	CPU_SET(1, &all);
	pthread_setaffinity_np(plain, sizeof(all), &all);
	conc_worker(&args[2]);
	CU_ASSERT_EQUAL(nvtcp_env_core_wait(1), 0);
	pthread_join(plain, NULL);

	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(args[i].errors, 0);
		CU_ASSERT(args[i].done > 0);
	}
	/* Every object came back (including those parked in per-core caches). */
	CU_ASSERT_EQUAL(nvtcp_mempool_count(mp), CONC_OBJS);
	nvtcp_mempool_free(mp);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("memory", suite_init, suite_fini);

	CU_ADD_TEST(s, test_dma_alignment);
	CU_ADD_TEST(s, test_dma_zeroing_and_errors);
	CU_ADD_TEST(s, test_pool_basic);
	CU_ADD_TEST(s, test_pool_bulk);
	CU_ADD_TEST(s, test_pool_create_errors);
	CU_ADD_TEST(s, test_pool_leak_warning);
	CU_ADD_TEST(s, test_pool_concurrent);
}

NVTCP_UT_MAIN(add_tests)
