/*
 * Shared scaffolding of the CUnit unit tests: a main() that runs every registered suite and
 * exits non-zero when any assertion failed, so the runner (test/run_tests.sh) can count them.
 *
 * Usage in foo_ut.c:
 *
 *	static void test_x(void) { CU_ASSERT(...); }
 *	static void add_tests(void) {
 *		CU_pSuite s = CU_add_suite("foo", NULL, NULL);
 *		CU_ADD_TEST(s, test_x);
 *	}
 *	NVTCP_UT_MAIN(add_tests)
 */
#ifndef NVTCP_UT_H
#define NVTCP_UT_H

#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

static inline int
nvtcp_ut_run(void (*add)(void))
{
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: cannot initialise the registry\n");
		return 2;
	}
	add();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (CU_get_number_of_suites_failed() > 0) {
		/* A suite whose init failed ran none of its tests: that is a failure too. */
		failures += CU_get_number_of_suites_failed();
	}
	CU_cleanup_registry();
	return failures == 0 ? 0 : 1;
}

#define NVTCP_UT_MAIN(add)                                                                     \
	int main(void)                                                                         \
	{                                                                                      \
		return nvtcp_ut_run(add);                                                      \
	}

#endif /* NVTCP_UT_H */
