/*
 * Unit tests of lib/auth/dhchap_host.c: the host engine against the controller engine in
 * memory for every hash x DH group, unidirectional and bidirectional; its AUTH_Negotiate
 * layout; and its answers to a controller that misbehaves (wrong secret, bad Challenge or
 * Success1 fields, wrong transaction id, out-of-order messages, Failure1).
 */
#include "auth_ut_mutate.h"

static void
test_matrix(void)
{
	for (int bidir = 0; bidir <= 1; bidir++) {
		for (uint8_t h = NVTCP_AUTH_HASH_SHA256; h <= NVTCP_AUTH_HASH_SHA512; h++) {
			for (uint8_t g = NVTCP_AUTH_DHGROUP_NULL; g <= NVTCP_AUTH_DHGROUP_8192; g++) {
				struct nvtcp_auth_result hr, cr;
				struct ut_pair p;

				ut_pair_init(&p, bidir);
				p.hp.hash_mask = NVTCP_AUTH_HASH_BIT(h);
				p.hp.dhgroup_mask = NVTCP_AUTH_DHGROUP_BIT(g);
				ut_pair_create(&p);
				ut_pair_run(&p);
				CU_ASSERT_EQUAL(nvtcp_auth_host_next(p.host), NVTCP_AUTH_NEXT_DONE);
				CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p.ctrl), NVTCP_AUTH_NEXT_DONE);
				CU_ASSERT_EQUAL(p.msgs, bidir ? 5u : 4u);
				nvtcp_auth_host_result(p.host, &hr);
				nvtcp_auth_ctrl_result(p.ctrl, &cr);
				CU_ASSERT_EQUAL(hr.hash_id, h);
				CU_ASSERT_EQUAL(hr.dhgroup_id, g);
				CU_ASSERT_EQUAL(hr.bidirectional, (bool)bidir);
				CU_ASSERT_EQUAL(cr.hash_id, h);
				CU_ASSERT_EQUAL(cr.dhgroup_id, g);
				CU_ASSERT_EQUAL(cr.bidirectional, (bool)bidir);
				ut_pair_fini(&p);
			}
		}
	}
}

static void
test_negotiate_layout(void)
{
	uint8_t buf[256];
	struct ut_pair p;

	ut_pair_init(&p, false);
	ut_pair_create(&p);
	CU_ASSERT_EQUAL(nvtcp_auth_host_next(p.host), NVTCP_AUTH_NEXT_SEND);
	CU_ASSERT_EQUAL(nvtcp_auth_host_build(p.host, buf, 71), -ENOSPC);
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_host_build(p.host, buf, sizeof(buf)), 72);
	CU_ASSERT_EQUAL(buf[0], NVTCP_AUTH_TYPE_COMMON);
	CU_ASSERT_EQUAL(buf[1], NVTCP_AUTH_ID_NEGOTIATE);
	CU_ASSERT_EQUAL(buf[4], 0x34);
	CU_ASSERT_EQUAL(buf[5], 0x12);
	CU_ASSERT_EQUAL(buf[6], 0);   /* sc_c */
	CU_ASSERT_EQUAL(buf[7], 1);   /* napd */
	CU_ASSERT_EQUAL(buf[8], 1);   /* authid DH-HMAC-CHAP */
	CU_ASSERT_EQUAL(buf[10], 3);  /* halen */
	CU_ASSERT_EQUAL(buf[11], 6);  /* dhlen */
	/* Strongest first: hash ids at descriptor offset 4, group ids at 34. */
	CU_ASSERT_EQUAL(buf[8 + 4], 3);
	CU_ASSERT_EQUAL(buf[8 + 5], 2);
	CU_ASSERT_EQUAL(buf[8 + 6], 1);
	CU_ASSERT_EQUAL(buf[8 + 7], 0);
	CU_ASSERT_EQUAL(buf[8 + 34], 5);
	CU_ASSERT_EQUAL(buf[8 + 38], 1);
	CU_ASSERT_EQUAL(buf[8 + 39], 0);
	CU_ASSERT_EQUAL(nvtcp_auth_host_next(p.host), NVTCP_AUTH_NEXT_RECV);
	/* Building in a receive step is the caller's mistake. */
	CU_ASSERT_EQUAL(nvtcp_auth_host_build(p.host, buf, sizeof(buf)), -EINVAL);
	ut_pair_fini(&p);

	/* Masks: only what they allow is offered. */
	ut_pair_init(&p, false);
	p.hp.hash_mask = NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA256);
	p.hp.dhgroup_mask = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_NULL) |
			    NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_3072);
	ut_pair_create(&p);
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_host_build(p.host, buf, sizeof(buf)), 72);
	CU_ASSERT_EQUAL(buf[10], 1);
	CU_ASSERT_EQUAL(buf[11], 2);
	CU_ASSERT_EQUAL(buf[12], 1);
	CU_ASSERT_EQUAL(buf[8 + 34], 2);
	CU_ASSERT_EQUAL(buf[8 + 35], 0);
	ut_pair_fini(&p);
}

static void
test_create_params(void)
{
	struct nvtcp_auth_host *h = (void *)1;
	struct ut_pair p;

	ut_pair_init(&p, true);
	p.hp.seqnum = 0;
	CU_ASSERT_EQUAL(nvtcp_auth_host_create(&p.hp, &h), -EINVAL);
	CU_ASSERT_PTR_NULL(h);
	p.hp.seqnum = 1;
	p.hp.hash_mask = 0x10;
	CU_ASSERT_EQUAL(nvtcp_auth_host_create(&p.hp, &h), -EINVAL);
	p.hp.hash_mask = 0;
	p.hp.dhgroup_mask = 0x40;
	CU_ASSERT_EQUAL(nvtcp_auth_host_create(&p.hp, &h), -EINVAL);
	p.hp.dhgroup_mask = 0;
	p.hp.host_secret = NULL;
	CU_ASSERT_EQUAL(nvtcp_auth_host_create(&p.hp, &h), -EINVAL);
	p.hp.host_secret = &p.hs_host;
	p.hp.hostnqn = NULL;
	CU_ASSERT_EQUAL(nvtcp_auth_host_create(&p.hp, &h), -EINVAL);
	p.hp.hostnqn = HOSTNQN;
	p.hs_host.len = 20;
	CU_ASSERT_EQUAL(nvtcp_auth_host_create(&p.hp, &h), -EINVAL);
	ut_pair_fini(&p);
	nvtcp_auth_host_free(NULL);
}

static void
test_wrong_ctrl_secret(void)
{
	struct ut_pair p;

	ut_pair_init(&p, true);
	nvtcp_auth_secret_parse(OTHER_SECRET, &p.cs_host, NULL, 0);
	ut_pair_create(&p);
	ut_pair_run(&p);
	ut_expect_failure2(&p, NVTCP_AUTH_FAIL_FAILED, "success1");
	CU_ASSERT_EQUAL(p.host_rc, -EINVAL);
	ut_pair_fini(&p);
}

/* One edit of the Challenge (or Success1) and the Failure2 the host must answer with. */
static void
bad_ctrl_msg(bool bidir, uint8_t auth_id, int off, uint8_t val, size_t len, int dh_last,
	     uint32_t host_dh_mask, uint8_t exp, const char *step)
{
	struct ut_pair p;

	ut_pair_init(&p, bidir);
	p.hp.dhgroup_mask = host_dh_mask;
	ut_pair_create(&p);
	ut_mut_byte(false, auth_id, off, val);
	g_mut.len = len;
	g_mut.dh_last = dh_last;
	p.mutate = ut_mutate;
	ut_pair_run(&p);
	CU_ASSERT_TRUE(g_mut.done);
	ut_expect_failure2(&p, exp, step);
	CU_ASSERT_EQUAL(p.host_rc, -EINVAL);
	ut_pair_fini(&p);
}

static void
test_bad_challenge(void)
{
	const uint32_t g2048 = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_2048);
	const uint32_t gnull = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_NULL);
	const uint8_t ch = NVTCP_AUTH_ID_CHALLENGE;

	/* Transaction id, message kind. */
	bad_ctrl_msg(false, ch, 4, 0x35, 0, -1, g2048, NVTCP_AUTH_FAIL_INCORRECT_MESSAGE,
		     "challenge");
	bad_ctrl_msg(false, ch, 1, NVTCP_AUTH_ID_SUCCESS1, 0, -1, g2048,
		     NVTCP_AUTH_FAIL_INCORRECT_MESSAGE, "challenge");
	bad_ctrl_msg(false, ch, 0, NVTCP_AUTH_TYPE_COMMON, 0, -1, g2048,
		     NVTCP_AUTH_FAIL_INCORRECT_MESSAGE, "challenge");
	/* Unknown hash, hash and group not offered, unknown group. */
	bad_ctrl_msg(false, ch, 8, 4, 0, -1, g2048, NVTCP_AUTH_FAIL_HASH_UNUSABLE, "challenge");
	bad_ctrl_msg(false, ch, 8, 0, 0, -1, g2048, NVTCP_AUTH_FAIL_HASH_UNUSABLE, "challenge");
	bad_ctrl_msg(false, ch, 9, NVTCP_AUTH_DHGROUP_3072, 0, -1, g2048,
		     NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE, "challenge");
	bad_ctrl_msg(false, ch, 9, 9, 0, -1, g2048, NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE, "challenge");
	/* hl not the hash's (oversized), dhvlen wrong, truncated, shorter than a header. */
	bad_ctrl_msg(false, ch, 6, 200, 0, -1, g2048, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD,
		     "challenge");
	bad_ctrl_msg(false, ch, 10, 0xff, 0, -1, g2048, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD,
		     "challenge");
	bad_ctrl_msg(false, ch, 10, 4, 0, -1, gnull, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD,
		     "challenge");
	bad_ctrl_msg(false, ch, -1, 0, 16 + 64 + 255, -1, g2048,
		     NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "challenge");
	bad_ctrl_msg(false, ch, -1, 0, 15, -1, g2048, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD,
		     "challenge");
	bad_ctrl_msg(false, ch, -1, 0, 3, -1, g2048, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD,
		     "challenge");
	/* DH public values 0 and 1. */
	bad_ctrl_msg(false, ch, -1, 0, 0, 0, g2048, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD,
		     "challenge");
	bad_ctrl_msg(false, ch, -1, 0, 0, 1, g2048, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD,
		     "challenge");
}

static void
test_bad_success1(void)
{
	const uint32_t g2048 = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_2048);
	const uint8_t s1 = NVTCP_AUTH_ID_SUCCESS1;

	/* No R2 although one was asked for; a wrong R2; wrong hl; truncated R2. */
	bad_ctrl_msg(true, s1, 8, 0, 0, -1, g2048, NVTCP_AUTH_FAIL_FAILED, "success1");
	bad_ctrl_msg(true, s1, 16, 0x5a, 0, -1, g2048, NVTCP_AUTH_FAIL_FAILED, "success1");
	bad_ctrl_msg(true, s1, 6, 32, 0, -1, g2048, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "success1");
	bad_ctrl_msg(true, s1, -1, 0, 16 + 10, -1, g2048, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD,
		     "success1");
	bad_ctrl_msg(false, s1, 4, 0, 0, -1, g2048, NVTCP_AUTH_FAIL_INCORRECT_MESSAGE,
		     "success1");
	bad_ctrl_msg(false, s1, 1, NVTCP_AUTH_ID_CHALLENGE, 0, -1, g2048,
		     NVTCP_AUTH_FAIL_INCORRECT_MESSAGE, "success1");
}

static void
test_failure1_and_misuse(void)
{
	uint8_t buf[NVTCP_AUTH_MSG_MAX_LEN];
	const char *step = NULL;
	struct nvtcp_auth_result res;
	struct ut_pair p;
	bool by = false;
	int n;

	ut_pair_init(&p, false);
	ut_pair_create(&p);
	n = nvtcp_auth_host_build(p.host, buf, sizeof(buf));
	CU_ASSERT_FATAL(n > 0);
	/* Processing in a send step: refused, nothing changes. */
	CU_ASSERT_EQUAL(nvtcp_auth_host_build(p.host, buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_host_next(p.host), NVTCP_AUTH_NEXT_RECV);
	/* A Failure1 (even a short one) ends the transaction, reported as the controller's. */
	memset(buf, 0, 8);
	buf[1] = NVTCP_AUTH_ID_FAILURE1;
	buf[6] = 1;
	buf[7] = NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE;
	CU_ASSERT_EQUAL(nvtcp_auth_host_process(p.host, buf, 8), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_host_next(p.host), NVTCP_AUTH_NEXT_FAILED);
	CU_ASSERT_EQUAL(nvtcp_auth_host_failure(p.host, &by, &step),
			NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE);
	CU_ASSERT_TRUE(by);
	CU_ASSERT_STRING_EQUAL(step, "challenge");
	nvtcp_auth_host_result(p.host, &res);
	CU_ASSERT_EQUAL(res.hash_id, 0);
	/* Nothing more is taken or built. */
	CU_ASSERT_EQUAL(nvtcp_auth_host_process(p.host, buf, 8), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_host_build(p.host, buf, sizeof(buf)), -EINVAL);
	ut_pair_fini(&p);

	/* A Reply that does not fit the caller's buffer. */
	ut_pair_init(&p, true);
	p.hp.dhgroup_mask = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_8192);
	ut_pair_create(&p);
	n = nvtcp_auth_host_build(p.host, buf, sizeof(buf));
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_process(p.ctrl, buf, (size_t)n), 0);
	n = nvtcp_auth_ctrl_build(p.ctrl, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 16 + 64 + 1024);
	CU_ASSERT_EQUAL(nvtcp_auth_host_process(p.host, buf, (size_t)n), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_host_build(p.host, buf, 16 + 128 + 1023), -ENOSPC);
	CU_ASSERT_EQUAL(nvtcp_auth_host_build(p.host, buf, sizeof(buf)), 16 + 128 + 1024);
	CU_ASSERT_EQUAL(NVTCP_AUTH_MSG_MAX_LEN, 16 + 128 + 1024);
	ut_pair_fini(&p);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("dhchap_host", NULL, NULL);

	CU_ADD_TEST(s, test_matrix);
	CU_ADD_TEST(s, test_negotiate_layout);
	CU_ADD_TEST(s, test_create_params);
	CU_ADD_TEST(s, test_wrong_ctrl_secret);
	CU_ADD_TEST(s, test_bad_challenge);
	CU_ADD_TEST(s, test_bad_success1);
	CU_ADD_TEST(s, test_failure1_and_misuse);
}

NVTCP_UT_MAIN(add_tests)
