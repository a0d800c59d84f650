/*
 * Unit tests of lib/nvme/auth.c: the DH-HMAC-CHAP state of the connect machine, driven through
 * the fake socket by the fake controller, which answers Authentication Send / Receive with
 * lib/auth's controller engine. Covered: the commands on the wire (SECP, SPSP, TL/AL, in the
 * right order, on every queue that asks), unidirectional and bidirectional success with the
 * negotiated result, wrong host and controller secrets (reason, queue, step, errno), a step
 * that gets no answer (bounded by the admin command timeout), a short and a full-length
 * Receive transfer, a secret configured for a controller that does not ask, the options'
 * checks, re-authentication of a live controller, and the reconnect authenticating again.
 */
#include "nvme_ut.h"

/* Fixed secrets (generated once by the test, formatted to text as a user would pass them). */
static struct nvtcp_auth_secret g_host_key, g_ctrl_key, g_other_key;
static char g_host_str[NVTCP_AUTH_SECRET_STR_MAX_LEN];
static char g_ctrl_str[NVTCP_AUTH_SECRET_STR_MAX_LEN];
static char g_other_str[NVTCP_AUTH_SECRET_STR_MAX_LEN];

static int
suite_init(void)
{
	if (nvtcp_auth_secret_generate(NVTCP_AUTH_HASH_SHA256, 32, &g_host_key) != 0 ||
	    nvtcp_auth_secret_generate(0, 48, &g_ctrl_key) != 0 ||
	    nvtcp_auth_secret_generate(NVTCP_AUTH_HASH_SHA256, 32, &g_other_key) != 0 ||
	    nvtcp_auth_secret_format(&g_host_key, g_host_str, sizeof(g_host_str)) != 0 ||
	    nvtcp_auth_secret_format(&g_ctrl_key, g_ctrl_str, sizeof(g_ctrl_str)) != 0 ||
	    nvtcp_auth_secret_format(&g_other_key, g_other_str, sizeof(g_other_str)) != 0) {
		return -1;
	}
	return 0;
}

/* A controller that asks for authentication on every queue, SHA-256 and ffdhe2048 only (the
 * host offers all; the fake picks the strongest it allows). */
static void
auth_cfg(struct fake_ctrlr_cfg *cfg, bool ctrl_key)
{
	fake_ctrlr_cfg_init(cfg);
	cfg->connect_authreq = NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR >> 16;
	cfg->auth_host_secret = &g_host_key;
	cfg->auth_ctrl_secret = ctrl_key ? &g_ctrl_key : NULL;
	cfg->auth_hash_mask = NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA256);
	cfg->auth_dhgroup_mask = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_2048);
}

static const struct nvtcp_nvmf_auth_cmd *
auth_cmd(const struct fake_cmd_record *r)
{
	return (const void *)&r->cmd;
}

/* The authentication commands of queue \p qid, in order: 'S' (Send) / 'R' (Receive). */
static void
auth_sequence(struct fake_ctrlr *fc, uint16_t qid, char *seq, size_t len)
{
	size_t n = 0;

	for (uint32_t i = 0; i < fake_ctrlr_num_cmds(fc) && n + 1 < len; i++) {
		const struct fake_cmd_record *r = fake_ctrlr_cmd(fc, i);
		const struct nvtcp_nvmf_auth_cmd *ac = auth_cmd(r);

		if (r->qid != qid || r->cmd.opc != NVTCP_NVME_OPC_FABRICS) {
			continue;
		}
		if (ac->fctype == NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND) {
			seq[n++] = 'S';
			/* The message travels in the capsule, TL its length. */
			CU_ASSERT_EQUAL(ac->len, r->data_len);
			CU_ASSERT_EQUAL(r->cmd.dptr.sgl1.id, NVTCP_NVME_SGL_ID_INCAPSULE);
		} else if (ac->fctype == NVTCP_NVMF_FCTYPE_AUTHENTICATION_RECV) {
			seq[n++] = 'R';
			CU_ASSERT_EQUAL(ac->len, NVTCP_AUTH_MSG_MAX_LEN);
			CU_ASSERT_EQUAL(r->data_len, 0);
		} else {
			continue;
		}
		CU_ASSERT_EQUAL(ac->secp, 0xE9);
		CU_ASSERT_EQUAL(ac->spsp0, 1);
		CU_ASSERT_EQUAL(ac->spsp1, 1);
		CU_ASSERT_EQUAL(r->cmd.flags, 0x40);
	}
	seq[n] = '\0';
}

static void
test_unidirectional(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_auth_result res;
	struct nvtcp_qpair *qp;
	char seq[16];
	int rc;

	auth_cfg(&cfg, true);
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.dhchap_secret = g_host_str;
	ut_log_start();
	CU_ASSERT_EQUAL_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c), 0);
	ut_log_stop();
	/* The options only borrowed the string. */
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_opts(c)->dhchap_secret);
	CU_ASSERT_TRUE(nvtcp_ctrlr_get_auth_status(c, &res));
	CU_ASSERT_EQUAL(res.hash_id, NVTCP_AUTH_HASH_SHA256);
	CU_ASSERT_EQUAL(res.dhgroup_id, NVTCP_AUTH_DHGROUP_2048);
	CU_ASSERT_FALSE(res.bidirectional);
	CU_ASSERT_EQUAL(fake_ctrlr_auth_ok(fc), 1);
	/* Negotiate, Challenge, Reply, Success1: then the bring-up goes on. */
	auth_sequence(fc, 0, seq, sizeof(seq));
	CU_ASSERT_STRING_EQUAL(seq, "SRSR");
	CU_ASSERT_EQUAL(nvtcp_nvmf_cmd_fctype(&fake_ctrlr_cmd(fc, 5)->cmd),
			NVTCP_NVMF_FCTYPE_PROPERTY_GET);
	CU_ASSERT_TRUE(ut_log_has("authenticated: DH-HMAC-CHAP, hash sha256, DH group ffdhe2048, "
				  "unidirectional"));
	CU_ASSERT_FALSE(ut_log_has(g_host_str + 10));

	/* An I/O queue pair authenticates too before it counts as connected. */
	qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	CU_ASSERT_TRUE(nvtcp_qpair_is_connected(qp));
	CU_ASSERT_EQUAL(fake_ctrlr_auth_ok(fc), 2);
	auth_sequence(fc, 1, seq, sizeof(seq));
	CU_ASSERT_STRING_EQUAL(seq, "SRSR");
	CU_ASSERT_TRUE(qp->authenticated);
	CU_ASSERT_EQUAL(qp->auth_result.dhgroup_id, NVTCP_AUTH_DHGROUP_2048);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	ut_teardown(fc, c);
}

static void
test_bidirectional_full_transfer(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_auth_result res;
	char seq[16];

	/* As Linux nvmet: every Receive transfers the whole allocation length. */
	auth_cfg(&cfg, true);
	cfg.auth_recv_full = true;
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.dhchap_secret = g_host_str;
	o.dhchap_ctrl_secret = g_ctrl_str;
	CU_ASSERT_EQUAL_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c), 0);
	CU_ASSERT_TRUE(nvtcp_ctrlr_get_auth_status(c, &res));
	CU_ASSERT_TRUE(res.bidirectional);
	CU_ASSERT_EQUAL(res.hash_id, NVTCP_AUTH_HASH_SHA256);
	/* ... then Success2. */
	auth_sequence(fc, 0, seq, sizeof(seq));
	CU_ASSERT_STRING_EQUAL(seq, "SRSRS");
	CU_ASSERT_EQUAL(fake_ctrlr_auth_ok(fc), 1);
	ut_teardown(fc, c);
}

static void
test_wrong_secrets(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_trid t;
	char reason[256];
	int rc = 0;

	/* A wrong host secret: the controller's Failure1. */
	auth_cfg(&cfg, true);
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.dhchap_secret = g_other_str;
	ut_trid(&t, UT_SUBNQN);
	ut_log_start();
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_attach_ext(&t, &o, &rc, reason, sizeof(reason)));
	ut_log_stop();
	CU_ASSERT_EQUAL(rc, -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "authentication failed: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "(qid 0, step "));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "reported by the controller"));
	CU_ASSERT_EQUAL(fake_ctrlr_auth_failed(fc), 1);
	/* Logged once as an error (the attach's line), never with the secret. */
	CU_ASSERT_FALSE(ut_log_has("queue pair failed"));
	CU_ASSERT_TRUE(ut_log_has(reason));
	CU_ASSERT_FALSE(ut_log_has(g_other_str + 10));
	fake_ctrlr_destroy(fc);

	/* A wrong controller secret: this host's check fails, it sends a Failure2. */
	auth_cfg(&cfg, true);
	fc = fake_ctrlr_create(&cfg);
	o.dhchap_secret = g_host_str;
	o.dhchap_ctrl_secret = g_other_str;
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_attach_ext(&t, &o, &rc, reason, sizeof(reason)));
	CU_ASSERT_EQUAL(rc, -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "authentication failed: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "(qid 0, step success1, detected by the host)"));
	/* Negotiate, Challenge, Reply, Success1, Failure2. */
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, 0, NVTCP_NVME_OPC_FABRICS,
					 NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND), 3);
	CU_ASSERT_EQUAL(fake_ctrlr_auth_failed(fc), 1);
	fake_ctrlr_destroy(fc);

	/* The controller does not know the controller secret asked for. */
	auth_cfg(&cfg, false);
	fc = fake_ctrlr_create(&cfg);
	o.dhchap_ctrl_secret = g_ctrl_str;
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_attach_ext(&t, &o, &rc, reason, sizeof(reason)));
	CU_ASSERT_EQUAL(rc, -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "reported by the controller"));
	fake_ctrlr_destroy(fc);
}

static void
test_step_timeout(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_trid t;
	char reason[256];
	int rc = 0;

	auth_cfg(&cfg, false);
	cfg.auth_recv_hold = true;
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.dhchap_secret = g_host_str;
	o.admin_timeout_ms = 100;
	ut_trid(&t, UT_SUBNQN);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_attach_ext(&t, &o, &rc, reason, sizeof(reason)));
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "authentication failed: timed out"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "Authentication Receive (challenge)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "(qid 0, step challenge)"));
	fake_ctrlr_destroy(fc);
}

static void
test_not_asked_and_options(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_auth_result res;
	struct nvtcp_trid t;

	/* A secret for a controller that does not ask: connected without (as Linux). */
	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.dhchap_secret = g_host_str;
	CU_ASSERT_EQUAL_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c), 0);
	CU_ASSERT_FALSE(nvtcp_ctrlr_get_auth_status(c, &res));
	CU_ASSERT_EQUAL(res.hash_id, 0);
	CU_ASSERT_EQUAL(fake_ctrlr_count(fc, -1, NVTCP_NVME_OPC_FABRICS,
					 NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND), 0);
	ut_teardown(fc, c);

	/* Options: checked at attach, before any connection. */
	ut_trid(&t, UT_SUBNQN);
	ut_opts(&o);
	o.dhchap_ctrl_secret = g_ctrl_str;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -EINVAL);
	ut_opts(&o);
	o.dhchap_secret = "DHHC-1:01:bm90IGEgc2VjcmV0:";
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -EINVAL);
	ut_opts(&o);
	o.dhchap_secret = "/nonexistent/dhchap.key";
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -ENOENT);
	ut_opts(&o);
	o.dhchap_secret = g_host_str;
	o.dhchap_hash_mask = 0x1;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -EINVAL);
	o.dhchap_hash_mask = 0;
	o.dhchap_dhgroup_mask = 0x40;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_async(&t, &o, &c), -EINVAL);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_FALSE(nvtcp_ctrlr_get_auth_status(NULL, &res));
}

struct reauth_wait {
	int count;
	int rc;
};

static void
reauth_cb(void *arg, struct nvtcp_ctrlr *ctrlr, int rc)
{
	struct reauth_wait *w = arg;

	(void)ctrlr;
	w->count++;
	w->rc = rc;
}

static void
test_reauthenticate_and_reconnect(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_auth_result res;
	struct reauth_wait w = {0};
	struct ut_cpl ka = {0};
	uint8_t buf[4096];

	auth_cfg(&cfg, true);
	fc = fake_ctrlr_create(&cfg);
	ut_opts_recovery(&o);
	o.dhchap_secret = g_host_str;
	CU_ASSERT_EQUAL_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c), 0);
	CU_ASSERT_EQUAL(fake_ctrlr_auth_ok(fc), 1);

	/* Argument checks. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate(c, NULL, NULL), -EINVAL);
	/* A live controller: a new transaction on the admin queue while commands run. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate(c, reauth_cb, &w), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate(c, reauth_cb, &w), -EBUSY);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_cmd_identify(c, NVTCP_NVME_IDENTIFY_CTRLR, 0, 0, buf,
						 sizeof(buf), ut_cpl_cb, &ka), 0);
	CU_ASSERT_EQUAL(w.count, 0); /* never from inside the call */
	UT_RUN_UNTIL(fc, c, NULL, w.count > 0 && ka.count > 0);
	CU_ASSERT_EQUAL(w.count, 1);
	CU_ASSERT_EQUAL(w.rc, 0);
	CU_ASSERT_EQUAL(ka.count, 1);
	CU_ASSERT_EQUAL(ka.errors, 0);
	CU_ASSERT_EQUAL(fake_ctrlr_auth_ok(fc), 2);
	CU_ASSERT_TRUE(nvtcp_ctrlr_get_auth_status(c, &res));
	CU_ASSERT_FALSE(res.bidirectional);

	/* A re-authentication the controller refuses (its secret changed): reported, the
	 * association stays (the controller decides what follows). */
	fake_ctrlr_get_cfg(fc)->auth_host_secret = &g_other_key;
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate(c, reauth_cb, &w), 0);
	UT_RUN_UNTIL(fc, c, NULL, w.count > 1);
	CU_ASSERT_EQUAL(w.count, 2);
	CU_ASSERT_EQUAL(w.rc, -EACCES);
	CU_ASSERT_EQUAL(fake_ctrlr_auth_failed(fc), 1);

	/* _ext: the rotated secret for this transaction only. Accepted by a controller that has
	 * it; the configured one is unchanged (a plain re-authentication still uses it). */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate_ext(c, g_other_str, NULL, reauth_cb, &w), 0);
	UT_RUN_UNTIL(fc, c, NULL, w.count > 2);
	CU_ASSERT_EQUAL(w.count, 3);
	CU_ASSERT_EQUAL(w.rc, 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate(c, reauth_cb, &w), 0);
	UT_RUN_UNTIL(fc, c, NULL, w.count > 3);
	CU_ASSERT_EQUAL(w.rc, -EACCES);
	fake_ctrlr_get_cfg(fc)->auth_host_secret = &g_host_key;
	/* A wrong secret given to _ext is refused by the controller; a malformed one at once. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate_ext(c, g_other_str, NULL, reauth_cb, &w), 0);
	UT_RUN_UNTIL(fc, c, NULL, w.count > 4);
	CU_ASSERT_EQUAL(w.rc, -EACCES);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate_ext(c, "DHHC-1:01:bm90IGEga2V5:", NULL,
						       reauth_cb, &w), -EINVAL);
	CU_ASSERT_EQUAL(w.count, 5);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate(c, reauth_cb, &w), 0);
	UT_RUN_UNTIL(fc, c, NULL, w.count > 5);
	CU_ASSERT_EQUAL(w.rc, 0);
	w.count = 2;

	/* The connection drops: the reconnect authenticates again before the controller is
	 * LIVE again. */
	fake_ctrlr_drop_all(fc);
	UT_RUN_UNTIL(fc, c, NULL, fake_ctrlr_num_assocs(fc) >= 2 &&
		     nvtcp_ctrlr_get_state(c) == NVTCP_CTRLR_STATE_LIVE);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(c), NVTCP_CTRLR_STATE_LIVE);
	/* The attach, 3 successful re-authentications above, this reconnect. */
	CU_ASSERT_EQUAL(fake_ctrlr_auth_ok(fc), 5);
	CU_ASSERT_TRUE(nvtcp_ctrlr_get_auth_status(c, &res));

	/* A re-authentication cut by detach completes once, with -ECANCELED. */
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate(c, reauth_cb, &w), 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_detach(c), 0);
	CU_ASSERT_EQUAL(w.count, 3);
	CU_ASSERT_EQUAL(w.rc, -ECANCELED);
	fake_ctrlr_destroy(fc);

	/* Without a secret there is nothing to re-authenticate with. */
	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_reauthenticate(c, reauth_cb, &w), -ENOKEY);
	ut_teardown(fc, c);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("auth", suite_init, NULL);

	CU_ADD_TEST(s, test_unidirectional);
	CU_ADD_TEST(s, test_bidirectional_full_transfer);
	CU_ADD_TEST(s, test_wrong_secrets);
	CU_ADD_TEST(s, test_step_timeout);
	CU_ADD_TEST(s, test_not_asked_and_options);
	CU_ADD_TEST(s, test_reauthenticate_and_reconnect);
}

NVTCP_UT_MAIN(add_tests)
