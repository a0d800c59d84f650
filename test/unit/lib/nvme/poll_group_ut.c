/*
 * Unit tests of lib/nvme/poll_group.c: many queue pairs polled together, the per-queue-pair
 * completion budget, counters, membership rules, a failing member.
 */
#include "nvme_ut.h"

static void
test_group_io(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_poll_group *g;
	struct nvtcp_qpair *qp[3];
	struct nvtcp_poll_group_stats st;
	struct ut_cpl u[3];
	static uint8_t buf[3][8][512];
	int64_t total = 0;
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	g = nvtcp_poll_group_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	memset(u, 0, sizeof(u));
	for (int i = 0; i < 3; i++) {
		qp[i] = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
		CU_ASSERT_PTR_NOT_NULL_FATAL(qp[i]);
		CU_ASSERT_EQUAL(nvtcp_poll_group_add(g, qp[i]), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_poll_group_add(g, qp[0]), -EBUSY);
	for (int i = 0; i < 3; i++) {
		for (int k = 0; k < 8; k++) {
			CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp[i], buf[i][k],
							  (uint64_t)k, 1, ut_cpl_cb, &u[i], 0), 0);
		}
	}
	/* A budget of 3 per queue pair per poll. */
	for (int it = 0; it < 100 && total < 24; it++) {
		int64_t n = nvtcp_poll_group_process_completions(g, 3);

		CU_ASSERT(n >= 0 && n <= 9);
		total += n;
		fake_ctrlr_poll(fc);
	}
	CU_ASSERT_EQUAL(total, 24);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(u[i].count, 8);
		CU_ASSERT_EQUAL(u[i].errors, 0);
	}
	nvtcp_poll_group_get_stats(g, &st);
	CU_ASSERT_EQUAL(st.completions, 24);
	CU_ASSERT(st.polls >= 3);
	CU_ASSERT(st.idle_polls < st.polls);
	CU_ASSERT(st.recv_calls >= 3);
	if (nvtcp_sock_get_default_impl() == NVTCP_SOCK_IMPL_URING) {
		/* Sends of plain sockets leave with the group's io_uring_enter(): at most one for
		 * the readiness and one for the sends per poll. */
		CU_ASSERT(st.epoll_calls <= 2 * st.polls);
	} else {
		CU_ASSERT(st.send_calls >= 3);
		CU_ASSERT(st.epoll_calls <= st.polls);
	}
	CU_ASSERT_EQUAL(st.queued, 0);
	/* Members cannot be freed; an empty group can be destroyed. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp[0]), -EBUSY);
	CU_ASSERT_EQUAL(nvtcp_poll_group_destroy(g), -EBUSY);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvtcp_poll_group_remove(g, qp[i]), 0);
		CU_ASSERT_EQUAL(nvtcp_poll_group_remove(g, qp[i]), -ENOENT);
	}
	/* The counters of the members that left stay in the group's totals. */
	{
		struct nvtcp_poll_group_stats st2;

		nvtcp_poll_group_get_stats(g, &st2);
		CU_ASSERT_EQUAL(st2.send_calls, st.send_calls);
		CU_ASSERT_EQUAL(st2.recv_calls, st.recv_calls);
	}
	CU_ASSERT_EQUAL(nvtcp_poll_group_destroy(g), 0);
	CU_ASSERT_EQUAL(nvtcp_poll_group_add(NULL, qp[0]), -EINVAL);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp[i]), 0);
	}
	ut_teardown(fc, c);
}

static void
test_group_failing_member(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_poll_group *g;
	struct nvtcp_qpair *qp[2];
	struct ut_cpl u[2];
	uint8_t buf[2][512];
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	g = nvtcp_poll_group_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	memset(u, 0, sizeof(u));
	for (int i = 0; i < 2; i++) {
		qp[i] = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
		CU_ASSERT_PTR_NOT_NULL_FATAL(qp[i]);
		CU_ASSERT_EQUAL(nvtcp_poll_group_add(g, qp[i]), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_poll_group_add(g, c->adminq), -EINVAL);
	fake_conn_set_manual(fake_ctrlr_conn(fc, 1), true);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp[0], buf[0], 0, 1, ut_cpl_cb,
					  &u[0], 0), 0);
	(void)nvtcp_poll_group_process_completions(g, 0);
	fake_ctrlr_poll(fc);
	/* The first member's controller side closes; the second goes on. */
	fake_sock_rx_close(fake_conn_sock(fake_ctrlr_conn(fc, 1)));
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(nvtcp_ctrlr_get_ns(c, 1), qp[1], buf[1], 0, 1, ut_cpl_cb,
					  &u[1], 0), 0);
	for (int it = 0; it < 20 && u[1].count == 0; it++) {
		CU_ASSERT(nvtcp_poll_group_process_completions(g, 0) >= 0);
		fake_ctrlr_poll(fc);
	}
	CU_ASSERT_EQUAL(u[0].count, 1);
	CU_ASSERT_EQUAL(ut_sc(&u[0].cpl), NVTCP_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(u[1].count, 1);
	CU_ASSERT_EQUAL(u[1].errors, 0);
	CU_ASSERT_FALSE(nvtcp_qpair_is_connected(qp[0]));
	CU_ASSERT(nvtcp_qpair_is_connected(qp[1]));
	/* Detach removes the members from the group and frees them. */
	ut_teardown(fc, c);
	CU_ASSERT_EQUAL(nvtcp_poll_group_destroy(g), 0);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("poll_group", NULL, NULL);

	CU_ADD_TEST(s, test_group_io);
	CU_ADD_TEST(s, test_group_failing_member);
}

NVTCP_UT_MAIN(add_tests)
