/*
 * Unit tests of lib/nvme/nvme.c: option defaults (as the Linux host), the clock helpers and
 * host-side completion statuses.
 */
#include "nvme_ut.h"

static void
test_ctrlr_opts_defaults(void)
{
	struct nvtcp_ctrlr_opts o;

	nvtcp_ctrlr_opts_init(&o);
	CU_ASSERT_EQUAL(o.kato_ms, 5000);
	CU_ASSERT_EQUAL(o.admin_queue_size, 32);
	CU_ASSERT_EQUAL(o.io_queue_size, 128);
	CU_ASSERT(o.num_io_queues >= 1);
	CU_ASSERT_FALSE(o.hdgst);
	CU_ASSERT_FALSE(o.ddgst);
	CU_ASSERT_EQUAL(o.hpda, 0);
	CU_ASSERT_EQUAL(o.max_r2t, 4);
	CU_ASSERT_EQUAL(o.connect_timeout_ms, 10000);
	CU_ASSERT_EQUAL(o.icresp_timeout_ms, 10000);
	CU_ASSERT_EQUAL(o.admin_timeout_ms, 60000);
	CU_ASSERT_EQUAL(o.io_timeout_ms, 30000);
	CU_ASSERT_EQUAL(o.reconnect_delay_ms, 10000);
	CU_ASSERT_EQUAL(o.ctrl_loss_tmo_s, 600);
	CU_ASSERT_EQUAL(o.fast_io_fail_tmo_s, -1);
	CU_ASSERT_EQUAL(o.sock_sndbuf, 0);
	CU_ASSERT_EQUAL(o.sock_rcvbuf, 0);
	CU_ASSERT_PTR_NULL(o.state_cb);
}

static void
test_discover_opts_defaults(void)
{
	struct nvtcp_discover_opts o;

	nvtcp_discover_opts_init(&o);
	CU_ASSERT_EQUAL(o.ctrlr.kato_ms, 0);
	CU_ASSERT(o.follow_referrals);
	CU_ASSERT_EQUAL(o.max_referral_depth, 4);
	CU_ASSERT_EQUAL(o.max_entries, 1024);
	CU_ASSERT_EQUAL(o.max_restarts, 10);
}

static uint64_t g_now;

static uint64_t
now_fn(void)
{
	return g_now;
}

static void
test_clock(void)
{
	nvme_set_clock(now_fn, 2000000000ull);
	g_now = 42;
	CU_ASSERT_EQUAL(nvme_ticks(), 42);
	CU_ASSERT_EQUAL(nvme_ticks_hz(), 2000000000ull);
	CU_ASSERT_EQUAL(nvme_ms_to_ticks(3), 6000000);
	CU_ASSERT_EQUAL(nvme_ticks_to_ms(6000000), 3);
	CU_ASSERT_EQUAL(nvme_ticks_to_ms(2000000000ull * 5 + 1000000), 5000);
	/* Huge timeouts do not overflow. */
	CU_ASSERT(nvme_ms_to_ticks(UINT64_MAX / 2) > nvme_ms_to_ticks(1000000));
	/* The default clock is monotonic and moves. */
	nvme_set_clock(NULL, 0);
	{
		uint64_t a = nvme_ticks(), b;

		for (volatile int i = 0; i < 100000; i++) {
		}
		b = nvme_ticks();
		CU_ASSERT(b >= a);
		CU_ASSERT(nvme_ticks_hz() > 0);
	}
}

static void
test_host_status(void)
{
	struct nvtcp_nvme_cpl cpl;

	nvme_cpl_host(&cpl, 3, 9, NVME_STATUS_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(cpl.sqid, 3);
	CU_ASSERT_EQUAL(cpl.cid, 9);
	CU_ASSERT_EQUAL(nvtcp_nvme_status_sct(cpl.status), 0);
	CU_ASSERT_EQUAL(nvtcp_nvme_status_sc(cpl.status), 0x08);
	CU_ASSERT_FALSE(nvtcp_nvme_status_dnr(cpl.status));
	CU_ASSERT(nvtcp_nvme_cpl_is_error(&cpl));
	nvme_cpl_host(&cpl, 3, 9, NVME_STATUS_TRANSIENT_TRANSPORT);
	CU_ASSERT_EQUAL(nvtcp_nvme_status_sc(cpl.status), 0x22);
	CU_ASSERT_FALSE(nvtcp_nvme_status_dnr(cpl.status));
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("nvme", NULL, NULL);

	CU_ADD_TEST(s, test_ctrlr_opts_defaults);
	CU_ADD_TEST(s, test_discover_opts_defaults);
	CU_ADD_TEST(s, test_clock);
	CU_ADD_TEST(s, test_host_status);
}

NVTCP_UT_MAIN(add_tests)
