/*
 * Unit tests of lib/auth/dhchap_ctrl.c: the controller engine's negotiation choice, its
 * answers to a host that misbehaves (wrong secret, bad Negotiate or Reply fields, wrong
 * transaction id, out-of-order messages, Failure2), bidirectional requests with and without a
 * controller secret, and misuse of the API.
 */
#include "auth_ut_mutate.h"

static void
pick(uint32_t host_hash, uint32_t host_dh, uint32_t ctrl_hash, uint32_t ctrl_dh,
     uint8_t exp_hash, uint8_t exp_dh)
{
	struct nvtcp_auth_result res;
	struct ut_pair p;

	ut_pair_init(&p, false);
	p.hp.hash_mask = host_hash;
	p.hp.dhgroup_mask = host_dh;
	p.cp.hash_mask = ctrl_hash;
	p.cp.dhgroup_mask = ctrl_dh;
	ut_pair_create(&p);
	ut_pair_run(&p);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p.ctrl), NVTCP_AUTH_NEXT_DONE);
	CU_ASSERT_EQUAL(nvtcp_auth_host_next(p.host), NVTCP_AUTH_NEXT_DONE);
	nvtcp_auth_ctrl_result(p.ctrl, &res);
	CU_ASSERT_EQUAL(res.hash_id, exp_hash);
	CU_ASSERT_EQUAL(res.dhgroup_id, exp_dh);
	CU_ASSERT_FALSE(res.bidirectional);
	ut_pair_fini(&p);
}

static void
test_negotiation_choice(void)
{
	const uint32_t h256 = NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA256);
	const uint32_t h384 = NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA384);
	const uint32_t gnull = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_NULL);
	const uint32_t g2048 = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_2048);
	const uint32_t g4096 = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_4096);

	/* Everything on both sides: the strongest of each. */
	pick(0, 0, 0, 0, NVTCP_AUTH_HASH_SHA512, NVTCP_AUTH_DHGROUP_8192);
	/* The controller's masks bound the choice. */
	pick(0, 0, h256 | h384, gnull | g2048, NVTCP_AUTH_HASH_SHA384, NVTCP_AUTH_DHGROUP_2048);
	pick(0, 0, h256, gnull, NVTCP_AUTH_HASH_SHA256, NVTCP_AUTH_DHGROUP_NULL);
	/* So does the host's offer. */
	pick(h256 | h384, gnull | g4096, 0, 0, NVTCP_AUTH_HASH_SHA384, NVTCP_AUTH_DHGROUP_4096);
}

static void
expect_neg_fail(uint32_t host_hash, uint32_t host_dh, uint32_t ctrl_hash, uint32_t ctrl_dh,
		uint8_t exp)
{
	struct ut_pair p;

	ut_pair_init(&p, false);
	p.hp.hash_mask = host_hash;
	p.hp.dhgroup_mask = host_dh;
	p.cp.hash_mask = ctrl_hash;
	p.cp.dhgroup_mask = ctrl_dh;
	ut_pair_create(&p);
	ut_pair_run(&p);
	ut_expect_failure1(&p, exp, "negotiate");
	ut_pair_fini(&p);
}

static void
test_not_allowed(void)
{
	expect_neg_fail(NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA256), 0,
			NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA512), 0,
			NVTCP_AUTH_FAIL_HASH_UNUSABLE);
	expect_neg_fail(0, NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_NULL), 0,
			NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_2048),
			NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE);
}

static void
test_wrong_host_secret(void)
{
	struct ut_pair p;

	for (int bidir = 0; bidir <= 1; bidir++) {
		ut_pair_init(&p, bidir);
		nvtcp_auth_secret_parse(OTHER_SECRET, &p.hs_host, NULL, 0);
		ut_pair_create(&p);
		ut_pair_run(&p);
		ut_expect_failure1(&p, NVTCP_AUTH_FAIL_FAILED, "reply");
		CU_ASSERT_STRING_EQUAL(nvtcp_auth_failure_name(NVTCP_AUTH_FAIL_FAILED),
				       "authentication failed");
		ut_pair_fini(&p);
	}
	/* The same secret transformed by another host NQN does not pass either. */
	ut_pair_init(&p, false);
	p.cp.hostnqn = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000000";
	ut_pair_create(&p);
	ut_pair_run(&p);
	ut_expect_failure1(&p, NVTCP_AUTH_FAIL_FAILED, "reply");
	ut_pair_fini(&p);
}

static void
test_bidir_without_ctrl_secret(void)
{
	struct ut_pair p;

	ut_pair_init(&p, true);
	p.cp.ctrl_secret = NULL;
	ut_pair_create(&p);
	ut_pair_run(&p);
	ut_expect_failure1(&p, NVTCP_AUTH_FAIL_FAILED, "reply");
	ut_pair_fini(&p);
}

/* cvalid with S2 = 0 carries C2 for a secure channel, it asks for no controller response
 * (Linux nvmet); a host that wanted one then fails the transaction itself. */
static void
test_cvalid_s2_zero(void)
{
	struct nvtcp_auth_result res;
	struct ut_pair p;

	ut_pair_init(&p, true);
	ut_pair_create(&p);
	ut_mut_reset();
	g_mut.to_ctrl = true;
	g_mut.auth_id = NVTCP_AUTH_ID_REPLY;
	for (int i = 0; i < 2; i++) {
		g_mut.off[i] = 12 + i;
		g_mut.val[i] = 0;
	}
	/* S2 = 1: only its two low bytes need zeroing. */
	p.mutate = ut_mutate;
	p.hp.seqnum = 0x00000001;
	nvtcp_auth_host_free(p.host);
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_host_create(&p.hp, &p.host), 0);
	ut_pair_run(&p);
	CU_ASSERT_TRUE(g_mut.done);
	/* The controller answered with a Success1 without R2; the host wanted R2. */
	CU_ASSERT_EQUAL(nvtcp_auth_host_next(p.host), NVTCP_AUTH_NEXT_FAILED);
	CU_ASSERT_EQUAL(nvtcp_auth_host_failure(p.host, NULL, NULL), NVTCP_AUTH_FAIL_FAILED);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p.ctrl), NVTCP_AUTH_NEXT_FAILED);
	nvtcp_auth_ctrl_result(p.ctrl, &res);
	CU_ASSERT_FALSE(res.bidirectional);
	ut_pair_fini(&p);
}

static void
bad_host_msg(bool bidir, uint8_t auth_id, int off, uint8_t val, size_t len, int dh_last,
	     uint8_t exp, const char *step)
{
	struct ut_pair p;

	ut_pair_init(&p, bidir);
	p.hp.dhgroup_mask = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_2048);
	ut_pair_create(&p);
	ut_mut_byte(true, auth_id, off, val);
	g_mut.len = len;
	g_mut.dh_last = dh_last;
	p.mutate = ut_mutate;
	ut_pair_run(&p);
	CU_ASSERT_TRUE(g_mut.done);
	CU_ASSERT_EQUAL(p.ctrl_rc, 0);
	if (nvtcp_auth_ctrl_failure(p.ctrl, NULL, NULL) != exp) {
		fprintf(stderr, "msg %u off %d val %u len %zu: explanation %u, expected %u\n",
			auth_id, off, val, len, nvtcp_auth_ctrl_failure(p.ctrl, NULL, NULL), exp);
	}
	ut_expect_failure1(&p, exp, step);
	ut_pair_fini(&p);
}

static void
test_bad_negotiate(void)
{
	const uint8_t n = NVTCP_AUTH_ID_NEGOTIATE;
	struct ut_pair p;

	bad_host_msg(false, n, 7, 0, 0, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "negotiate");
	bad_host_msg(false, n, 7, 2, 0, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "negotiate");
	bad_host_msg(false, n, 8, 2, 0, -1, NVTCP_AUTH_FAIL_PROTOCOL_UNUSABLE, "negotiate");
	bad_host_msg(false, n, 6, 1, 0, -1, NVTCP_AUTH_FAIL_CONCAT_MISMATCH, "negotiate");
	bad_host_msg(false, n, 10, 31, 0, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "negotiate");
	bad_host_msg(false, n, 11, 200, 0, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "negotiate");
	bad_host_msg(false, n, 10, 0, 0, -1, NVTCP_AUTH_FAIL_HASH_UNUSABLE, "negotiate");
	bad_host_msg(false, n, 11, 0, 0, -1, NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE, "negotiate");
	/* Unknown ids only. */
	ut_pair_init(&p, false);
	ut_pair_create(&p);
	ut_mut_byte(true, n, 10, 1);
	g_mut.off[1] = 12;
	g_mut.val[1] = 9;
	p.mutate = ut_mutate;
	ut_pair_run(&p);
	ut_expect_failure1(&p, NVTCP_AUTH_FAIL_HASH_UNUSABLE, "negotiate");
	ut_pair_fini(&p);
	bad_host_msg(false, n, 8 + 34, 77, 0, -1, NVTCP_AUTH_FAIL_DHGROUP_UNUSABLE, "negotiate");
	/* Truncated descriptor, truncated header. */
	bad_host_msg(false, n, -1, 0, 71, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "negotiate");
	bad_host_msg(false, n, -1, 0, 7, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "negotiate");
	/* Out of order: something else first. */
	bad_host_msg(false, n, 1, NVTCP_AUTH_ID_REPLY, 0, -1, NVTCP_AUTH_FAIL_INCORRECT_MESSAGE,
		     "negotiate");
}

static void
test_bad_reply(void)
{
	const uint8_t r = NVTCP_AUTH_ID_REPLY;

	/* Transaction id, message kind. */
	bad_host_msg(false, r, 4, 0x99, 0, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "reply");
	bad_host_msg(false, r, 1, NVTCP_AUTH_ID_SUCCESS2, 0, -1,
		     NVTCP_AUTH_FAIL_INCORRECT_MESSAGE, "reply");
	bad_host_msg(false, r, 0, NVTCP_AUTH_TYPE_COMMON, 0, -1,
		     NVTCP_AUTH_FAIL_INCORRECT_MESSAGE, "reply");
	/* hl oversized / undersized, dhvlen wrong, truncated. */
	bad_host_msg(false, r, 6, 255, 0, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "reply");
	bad_host_msg(false, r, 6, 32, 0, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "reply");
	bad_host_msg(false, r, 11, 0xff, 0, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "reply");
	bad_host_msg(false, r, 10, 1, 0, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "reply");
	bad_host_msg(false, r, -1, 0, 16 + 128 + 255, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD,
		     "reply");
	bad_host_msg(false, r, -1, 0, 12, -1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "reply");
	/* A wrong response, a DH value of 1. */
	bad_host_msg(false, r, 16, 0x00, 0, -1, NVTCP_AUTH_FAIL_FAILED, "reply");
	bad_host_msg(false, r, -1, 0, 0, 1, NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD, "reply");
}

static void
test_bad_success2_and_failure2(void)
{
	uint8_t buf[NVTCP_AUTH_MSG_MAX_LEN];
	const char *step = NULL;
	struct ut_pair p;
	bool by = false;
	int n;

	/* Success2 of another transaction: Failure1, incorrect payload. */
	ut_pair_init(&p, true);
	ut_pair_create(&p);
	ut_mut_byte(true, NVTCP_AUTH_ID_SUCCESS2, 5, 0x77);
	p.mutate = ut_mutate;
	ut_pair_run(&p);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p.ctrl), NVTCP_AUTH_NEXT_SEND);
	n = nvtcp_auth_ctrl_build(p.ctrl, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(buf[1], NVTCP_AUTH_ID_FAILURE1);
	CU_ASSERT_EQUAL(buf[6], NVTCP_AUTH_FAILURE_REASON_FAILED);
	CU_ASSERT_EQUAL(buf[7], NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_failure(p.ctrl, &by, &step),
			NVTCP_AUTH_FAIL_INCORRECT_PAYLOAD);
	CU_ASSERT_FALSE(by);
	CU_ASSERT_STRING_EQUAL(step, "success2");
	ut_pair_fini(&p);

	/* A host that gives up with a Failure2 instead of its Reply. */
	ut_pair_init(&p, false);
	ut_pair_create(&p);
	n = nvtcp_auth_host_build(p.host, buf, sizeof(buf));
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_process(p.ctrl, buf, (size_t)n), 0);
	n = nvtcp_auth_ctrl_build(p.ctrl, buf, sizeof(buf));
	CU_ASSERT(n > 0);
	memset(buf, 0, 8);
	buf[1] = NVTCP_AUTH_ID_FAILURE2;
	buf[6] = 1;
	buf[7] = NVTCP_AUTH_FAIL_HASH_UNUSABLE;
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_process(p.ctrl, buf, 8), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p.ctrl), NVTCP_AUTH_NEXT_FAILED);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_failure(p.ctrl, &by, &step), NVTCP_AUTH_FAIL_HASH_UNUSABLE);
	CU_ASSERT_TRUE(by);
	CU_ASSERT_STRING_EQUAL(step, "reply");
	/* Over: nothing more is taken. */
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_process(p.ctrl, buf, 8), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_build(p.ctrl, buf, sizeof(buf)), -EINVAL);
	ut_pair_fini(&p);
}

static void
test_misuse(void)
{
	uint8_t buf[NVTCP_AUTH_MSG_MAX_LEN];
	struct nvtcp_auth_ctrl *c = (void *)1;
	struct ut_pair p;
	int n;

	ut_pair_init(&p, false);
	p.cp.seqnum = 0;
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_create(&p.cp, &c), -EINVAL);
	CU_ASSERT_PTR_NULL(c);
	p.cp.seqnum = 7;
	p.cp.dhgroup_mask = 0x80;
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_create(&p.cp, &c), -EINVAL);
	p.cp.dhgroup_mask = 0;
	p.cp.host_secret = NULL;
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_create(&p.cp, &c), -EINVAL);
	p.cp.host_secret = &p.hs_ctrl;
	ut_pair_create(&p);

	/* Not authentication messages at all: the command fails, the state stays. */
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_process(p.ctrl, buf, 5), -EINVAL);
	buf[0] = 7;
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_process(p.ctrl, buf, 72), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_process(p.ctrl, NULL, 72), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p.ctrl), NVTCP_AUTH_NEXT_RECV);
	/* Nothing to answer yet. */
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_build(p.ctrl, buf, sizeof(buf)), -EINVAL);

	n = nvtcp_auth_host_build(p.host, buf, sizeof(buf));
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_process(p.ctrl, buf, (size_t)n), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p.ctrl), NVTCP_AUTH_NEXT_SEND);
	/* The Challenge does not fit a small Receive; the transaction waits for a bigger
	 * one. */
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_build(p.ctrl, buf, 16), -ENOSPC);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p.ctrl), NVTCP_AUTH_NEXT_SEND);
	/* A second Send while an answer is due: out of order. */
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_process(p.ctrl, buf, (size_t)n), 0);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_failure(p.ctrl, NULL, NULL),
			NVTCP_AUTH_FAIL_INCORRECT_MESSAGE);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_build(p.ctrl, buf, 7), -ENOSPC);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_build(p.ctrl, buf, 8), 8);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p.ctrl), NVTCP_AUTH_NEXT_FAILED);
	ut_pair_fini(&p);
	nvtcp_auth_ctrl_free(NULL);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("dhchap_ctrl", NULL, NULL);

	CU_ADD_TEST(s, test_negotiation_choice);
	CU_ADD_TEST(s, test_not_allowed);
	CU_ADD_TEST(s, test_wrong_host_secret);
	CU_ADD_TEST(s, test_bidir_without_ctrl_secret);
	CU_ADD_TEST(s, test_cvalid_s2_zero);
	CU_ADD_TEST(s, test_bad_negotiate);
	CU_ADD_TEST(s, test_bad_reply);
	CU_ADD_TEST(s, test_bad_success2_and_failure2);
	CU_ADD_TEST(s, test_misuse);
}

NVTCP_UT_MAIN(add_tests)
