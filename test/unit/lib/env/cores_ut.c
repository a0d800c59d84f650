/*
 * Unit tests of lib/env/cores.c: core identity and iteration, NUMA nodes, launching functions
 * on cores, and time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "nvtcp/env.h"

#include "ut.h"
#include "ut_env.h"

static int
suite_init(void)
{
	return ut_env_init("cores_ut", "0-1") == 0 ? 0 : -1;
}

static int
suite_fini(void)
{
	ut_env_fini();
	return 0;
}

static void
test_iteration(void)
{
	uint32_t core, n = 0, seen[4];

	CU_ASSERT_EQUAL(nvtcp_env_get_core_count(), 2);
	CU_ASSERT_EQUAL(nvtcp_env_get_main_core(), 0);
	CU_ASSERT_EQUAL(nvtcp_env_get_core(), 0);
	CU_ASSERT_EQUAL(nvtcp_env_get_first_core(), 0);
	CU_ASSERT_EQUAL(nvtcp_env_get_next_core(0), 1);
	CU_ASSERT_EQUAL(nvtcp_env_get_next_core(1), NVTCP_ENV_CORE_NONE);
	CU_ASSERT_EQUAL(nvtcp_env_get_next_core(NVTCP_ENV_CORE_NONE), NVTCP_ENV_CORE_NONE);
	NVTCP_ENV_FOREACH_CORE(core) {
		if (n < 4) {
			seen[n] = core;
		}
		n++;
	}
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT(seen[0] == 0 && seen[1] == 1);
}

static void
test_numa(void)
{
	/* This machine has one node; a machine without NUMA reports 0 too. */
	CU_ASSERT(nvtcp_env_get_numa_node(0) >= 0);
	CU_ASSERT(nvtcp_env_get_numa_node(1) >= 0);
	CU_ASSERT_EQUAL(nvtcp_env_get_numa_node(100000), 0);
}

static void *
plain_thread(void *arg)
{
	*(uint32_t *)arg = nvtcp_env_get_core();
	return NULL;
}

static void
test_plain_thread_has_no_core(void)
{
	uint32_t core = 0;
	pthread_t t;

	CU_ASSERT_FATAL(pthread_create(&t, NULL, plain_thread, &core) == 0);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(core, NVTCP_ENV_CORE_NONE);
}

static atomic_bool g_release;

static int
report_core(void *arg)
{
	*(uint32_t *)arg = nvtcp_env_get_core();
	return 77;
}

static int
wait_release(void *arg)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!atomic_load(&g_release)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 10) {
			return -ETIMEDOUT;
		}
	}
	return 5;
}

static void
test_launch(void)
{
	uint32_t core = 12345;

	CU_ASSERT_EQUAL(nvtcp_env_core_launch(1, report_core, &core), 0);
	CU_ASSERT_EQUAL(nvtcp_env_core_wait(1), 77);
	CU_ASSERT_EQUAL(core, 1);

	/* Busy core, main core, unknown cores, no function. */
	atomic_store(&g_release, false);
	CU_ASSERT_EQUAL(nvtcp_env_core_launch(1, wait_release, NULL), 0);
	CU_ASSERT_EQUAL(nvtcp_env_core_launch(1, report_core, &core), -EBUSY);
	atomic_store(&g_release, true);
	CU_ASSERT_EQUAL(nvtcp_env_core_wait(1), 5);
	CU_ASSERT_EQUAL(nvtcp_env_core_launch(0, report_core, &core), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_env_core_launch(2, report_core, &core), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_env_core_launch(NVTCP_ENV_CORE_NONE, report_core, &core), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_env_core_launch(1, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_env_core_wait(0), -EINVAL);
	/* The core is reusable after a wait. */
	core = 0;
	CU_ASSERT_EQUAL(nvtcp_env_core_launch(1, report_core, &core), 0);
	CU_ASSERT_EQUAL(nvtcp_env_core_wait(1), 77);
	CU_ASSERT_EQUAL(core, 1);
}

static void
test_time(void)
{
	uint64_t hz = nvtcp_env_get_ticks_hz();
	uint64_t t0, t1;
	struct timespec a, b;
	double elapsed;

	/* Any real TSC runs between 100 MHz and 10 GHz. */
	CU_ASSERT(hz > 100000000ull && hz < 10000000000ull);
	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = nvtcp_env_get_ticks();
	nvtcp_env_delay_us(20000);
	t1 = nvtcp_env_get_ticks();
	clock_gettime(CLOCK_MONOTONIC, &b);
	elapsed = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	/* Lower bounds only: the machine may be busy, but the delay is never short. */
	CU_ASSERT(t1 > t0);
	CU_ASSERT(t1 - t0 >= hz / 50);
	CU_ASSERT(elapsed >= 0.0195);
	CU_ASSERT(elapsed < 5.0);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("cores", suite_init, suite_fini);

	CU_ADD_TEST(s, test_iteration);
	CU_ADD_TEST(s, test_numa);
	CU_ADD_TEST(s, test_plain_thread_has_no_core);
	CU_ADD_TEST(s, test_launch);
	CU_ADD_TEST(s, test_time);
}

NVTCP_UT_MAIN(add_tests)
