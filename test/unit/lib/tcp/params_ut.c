/*
 * Unit tests of lib/tcp/params.c: the pre-IC connection parameters and their validation.
 */
#include <errno.h>
#include <string.h>

#include "nvtcp/tcp_pdu.h"

#include "ut.h"

static void
test_init(void)
{
	struct nvtcp_tcp_params p;

	memset(&p, 0xA5, sizeof(p));
	nvtcp_tcp_params_init(&p);
	CU_ASSERT_FALSE(p.hdgst);
	CU_ASSERT_FALSE(p.ddgst);
	CU_ASSERT_EQUAL(p.rx_pda, 4);
	CU_ASSERT_EQUAL(p.tx_pda, 4);
	CU_ASSERT_EQUAL(p.maxh2cdata, NVTCP_TCP_MAXH2CDATA_MIN);
	CU_ASSERT_EQUAL(p.maxr2t, 0);
	CU_ASSERT_EQUAL(nvtcp_tcp_params_check(&p), 0);
}

static void
test_check(void)
{
	struct nvtcp_tcp_params p;
	static const uint32_t good[] = { 4, 8, 12, 16, 64, 124, 128 };
	static const uint32_t bad[] = { 0, 1, 2, 3, 5, 6, 130, 132, 256, UINT32_MAX };

	CU_ASSERT_EQUAL(nvtcp_tcp_params_check(NULL), -EINVAL);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		nvtcp_tcp_params_init(&p);
		p.rx_pda = good[i];
		p.tx_pda = good[i];
		CU_ASSERT_EQUAL(nvtcp_tcp_params_check(&p), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nvtcp_tcp_params_init(&p);
		p.rx_pda = bad[i];
		CU_ASSERT_EQUAL(nvtcp_tcp_params_check(&p), -EINVAL);
		nvtcp_tcp_params_init(&p);
		p.tx_pda = bad[i];
		CU_ASSERT_EQUAL(nvtcp_tcp_params_check(&p), -EINVAL);
	}
	nvtcp_tcp_params_init(&p);
	p.maxh2cdata = 4092;
	CU_ASSERT_EQUAL(nvtcp_tcp_params_check(&p), -EINVAL);
	p.maxh2cdata = 4098;
	CU_ASSERT_EQUAL(nvtcp_tcp_params_check(&p), -EINVAL);
	p.maxh2cdata = 4u << 20;
	CU_ASSERT_EQUAL(nvtcp_tcp_params_check(&p), 0);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("tcp_params", NULL, NULL);

	CU_ADD_TEST(s, test_init);
	CU_ADD_TEST(s, test_check);
}

NVTCP_UT_MAIN(add_tests)
