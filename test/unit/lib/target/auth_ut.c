/*
 * Unit tests of lib/target/auth.c: DH-HMAC-CHAP on the target, driven over fake sockets by
 * lib/auth's host engine. Algorithm lists; a host's keys (text, 0600 file, refusals that never
 * show the secret); AUTHREQ.ATR in the Connect response and Authentication Required for
 * everything else until the queue has authenticated (CC.EN included); unidirectional and
 * bidirectional transactions on the admin and an I/O queue; a wrong secret (Failure1, then
 * the queue closes); malformed Authentication Send/Receive commands; the step timeout; the
 * per-address limit of authentications in progress; re-authentication; key rotation on live
 * queues (nvtcp_tgt_subsys_set_host_keys); save_config output.
 */
#include <sys/stat.h>

#include "nvtcp/auth.h"

#include "tgt_ut.h"

#define FAB(sc) nvtcp_nvme_status(NVTCP_NVME_SCT_COMMAND_SPECIFIC, (sc), true)
#define GEN(sc) nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, (sc), true)
#define AL 4096

static struct nvtcp_auth_secret g_hkey;
static struct nvtcp_auth_secret g_ckey;
static char g_hkey_text[NVTCP_AUTH_SECRET_STR_MAX_LEN];
static char g_ckey_text[NVTCP_AUTH_SECRET_STR_MAX_LEN];

static void
ut_opts(struct nvtcp_tgt_opts *o)
{
	nvtcp_tgt_opts_init(o);
	o->buf_count = 64;
}

static int
allow(const char *key, const char *ctrl, uint32_t hashes, uint32_t groups, char *err,
      size_t errlen)
{
	struct nvtcp_tgt_host_opts ho;

	nvtcp_tgt_host_opts_init(&ho);
	ho.dhchap_key = key;
	ho.dhchap_ctrl_key = ctrl;
	ho.dhchap_hashes = hashes;
	ho.dhchap_dhgroups = groups;
	(void)nvtcp_tgt_subsys_set_allow_any_host(g_ut_tgt, UT_NQN, false);
	return nvtcp_tgt_subsys_add_host_ext(g_ut_tgt, UT_NQN, UT_HOSTNQN, &ho, err, errlen);
}

static int
auth_send(struct ut_conn *u, const void *msg, uint32_t len)
{
	struct nvtcp_nvmf_auth_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.fctype = NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND;
	cmd.secp = NVTCP_AUTH_SECP;
	cmd.spsp0 = NVTCP_AUTH_SPSP0;
	cmd.spsp1 = NVTCP_AUTH_SPSP1;
	cmd.len = len;
	return ut_exec(u, (void *)&cmd, msg, len, NULL, 0, NULL);
}

static int
auth_recv(struct ut_conn *u, void *buf, uint32_t al)
{
	struct nvtcp_nvmf_auth_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.fctype = NVTCP_NVMF_FCTYPE_AUTHENTICATION_RECV;
	cmd.secp = NVTCP_AUTH_SECP;
	cmd.spsp0 = NVTCP_AUTH_SPSP0;
	cmd.spsp1 = NVTCP_AUTH_SPSP1;
	cmd.len = al;
	memset(buf, 0xAA, al);
	return ut_exec(u, (void *)&cmd, NULL, 0, buf, al, NULL);
}

/*
 * Run one transaction with the host engine: its final state (DONE or FAILED). A Failure1
 * received ends it as FAILED; \p res gets the negotiated parameters on DONE.
 */
/* Called once, after the host's first message (AUTH_Negotiate) went out (test_set_keys). */
static void (*g_after_negotiate)(void);

static enum nvtcp_auth_next
host_auth(struct ut_conn *u, const struct nvtcp_auth_secret *hkey,
	  const struct nvtcp_auth_secret *ckey, uint32_t hashes, uint32_t groups,
	  struct nvtcp_auth_result *res)
{
	struct nvtcp_auth_host_params p;
	struct nvtcp_auth_host *h;
	enum nvtcp_auth_next next = NVTCP_AUTH_NEXT_FAILED;
	static uint8_t buf[AL];
	static uint16_t tid = 1;

	memset(&p, 0, sizeof(p));
	p.hostnqn = UT_HOSTNQN;
	p.subnqn = UT_NQN;
	p.host_secret = hkey;
	p.ctrl_secret = ckey;
	p.hash_mask = hashes;
	p.dhgroup_mask = groups;
	p.t_id = tid++;
	p.seqnum = 77;
	CU_ASSERT_FATAL(nvtcp_auth_host_create(&p, &h) == 0);
	for (int i = 0; i < 8; i++) {
		next = nvtcp_auth_host_next(h);
		if (next == NVTCP_AUTH_NEXT_SEND) {
			int n = nvtcp_auth_host_build(h, buf, sizeof(buf));

			CU_ASSERT_FATAL(n > 0);
			if (auth_send(u, buf, (uint32_t)n) != 0) {
				next = NVTCP_AUTH_NEXT_FAILED;
				break;
			}
			if (g_after_negotiate != NULL) {
				g_after_negotiate();
				g_after_negotiate = NULL;
			}
		} else if (next == NVTCP_AUTH_NEXT_RECV) {
			if (auth_recv(u, buf, AL) != 0) {
				next = NVTCP_AUTH_NEXT_FAILED;
				break;
			}
			(void)nvtcp_auth_host_process(h, buf, AL);
		} else {
			break;
		}
	}
	if (next == NVTCP_AUTH_NEXT_DONE && res != NULL) {
		nvtcp_auth_host_result(h, res);
	}
	nvtcp_auth_host_free(h);
	return next;
}

static void
open_connect(struct ut_conn *u, uint16_t qid, uint16_t cntlid, struct nvtcp_nvme_cpl *cpl)
{
	CU_ASSERT_FATAL(ut_conn_open(u) == 0);
	ut_icreq(u, false, false, 0);
	CU_ASSERT_FATAL(ut_connect(u, qid, 31, UT_NQN, UT_HOSTNQN, cntlid, 0, cpl) == 0);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void
test_mask_parse(void)
{
	char err[160], out[128];
	uint32_t m;

	CU_ASSERT(nvtcp_tgt_dhchap_mask_parse("sha256, hmac(sha512)", false, &m, err,
					      sizeof(err)) == 0);
	CU_ASSERT(m == (NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA256) |
			NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA512)));
	CU_ASSERT(nvtcp_tgt_dhchap_mask_format(m, false, out, sizeof(out)) == 0);
	CU_ASSERT_STRING_EQUAL(out, "sha256,sha512");
	CU_ASSERT(nvtcp_tgt_dhchap_mask_parse("null,ffdhe8192", true, &m, err, sizeof(err)) == 0);
	CU_ASSERT(m == (NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_NULL) |
			NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_8192)));
	CU_ASSERT(nvtcp_tgt_dhchap_mask_format(m, true, out, sizeof(out)) == 0);
	CU_ASSERT_STRING_EQUAL(out, "null,ffdhe8192");
	CU_ASSERT(nvtcp_tgt_dhchap_mask_parse("sha256,md5", false, &m, err, sizeof(err)) ==
		  -EINVAL);
	CU_ASSERT(strstr(err, "md5") != NULL);
	CU_ASSERT(nvtcp_tgt_dhchap_mask_parse("sha256,,sha384", false, &m, err, sizeof(err)) ==
		  -EINVAL);
	CU_ASSERT(strstr(err, "empty") != NULL);
	CU_ASSERT(nvtcp_tgt_dhchap_mask_parse("", true, &m, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(nvtcp_tgt_dhchap_mask_parse("ffdhe1024", true, &m, err, sizeof(err)) ==
		  -EINVAL);
	CU_ASSERT(nvtcp_tgt_dhchap_mask_format(NVTCP_AUTH_DHGROUP_ALL, true, out, 8) == -ENOSPC);
}

static void
test_host_keys(void)
{
	char err[256], path[64], bad[NVTCP_AUTH_SECRET_STR_MAX_LEN];
	struct nvtcp_tgt_opts o;
	const struct tgt_host *h;
	FILE *f;

	ut_opts(&o);
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	/* A controller key alone, unknown mask bits, a corrupt secret: refused, naming the
	 * field but never the secret. */
	CU_ASSERT(allow(NULL, g_ckey_text, 0, 0, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "dhchap_ctrl_key needs dhchap_key") != NULL);
	CU_ASSERT(allow(g_hkey_text, NULL, 1u << 7, 0, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "dhchap_hashes") != NULL);
	snprintf(bad, sizeof(bad), "%s", g_hkey_text);
	bad[12] = bad[12] == 'A' ? 'B' : 'A';
	CU_ASSERT(allow(bad, NULL, 0, 0, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "dhchap_key") != NULL);
	CU_ASSERT(strstr(err, bad + 10) == NULL);
	CU_ASSERT(strstr(err, g_hkey_text + 10) == NULL);
	/* A key file readable by others is refused; at 0600 it is taken (and its path kept
	 * for save_config). */
	snprintf(path, sizeof(path), "/tmp/auth_ut.%d.key", (int)getpid());
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f, "%s\n", g_ckey_text);
	fclose(f);
	CU_ASSERT(chmod(path, 0644) == 0);
	CU_ASSERT(allow(g_hkey_text, path, 0, 0, err, sizeof(err)) == -EPERM);
	CU_ASSERT(strstr(err, g_ckey_text + 10) == NULL);
	CU_ASSERT(chmod(path, 0600) == 0);
	CU_ASSERT(allow(g_hkey_text, path, 0, 0, err, sizeof(err)) == 0);
	h = tgt_subsys_host_find(tgt_subsys_find(g_ut_tgt, UT_NQN), UT_HOSTNQN);
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(h->has_dhchap && h->has_dhchap_ctrl);
	CU_ASSERT(h->dhchap_key_path == NULL);
	CU_ASSERT(h->dhchap_ctrl_key_path != NULL && strcmp(h->dhchap_ctrl_key_path, path) == 0);
	CU_ASSERT(h->dhchap_key.len == g_hkey.len &&
		  memcmp(h->dhchap_key.key, g_hkey.key, g_hkey.len) == 0);
	unlink(path);
	CU_ASSERT(nvtcp_tgt_subsys_remove_host(g_ut_tgt, UT_NQN, UT_HOSTNQN) == 0);
	ut_tgt_destroy();
}

/* Before authenticating: ATR set, everything but Authentication Send/Receive refused. */
static void
test_required_then_unidirectional(void)
{
	struct nvtcp_auth_result res;
	struct nvtcp_nvme_cpl cpl;
	struct nvtcp_tgt_opts o;
	struct nvtcp_nvme_cmd cmd;
	struct ut_conn a, q;
	char err[256];
	uint64_t v;

	ut_opts(&o);
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	CU_ASSERT_FATAL(allow(g_hkey_text, NULL, NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA384),
			      NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_2048), err,
			      sizeof(err)) == 0);
	open_connect(&a, 0, 0xFFFF, &cpl);
	CU_ASSERT(cpl.cdw0 & NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR);
	CU_ASSERT(ut_prop(&a, false, NVTCP_NVME_PROP_CAP, true, 0, NULL) ==
		  FAB(NVTCP_NVMF_SC_AUTH_REQUIRED));
	CU_ASSERT(ut_prop(&a, true, NVTCP_NVME_PROP_CC, false, nvtcp_nvme_cc_enable_value(0),
			  NULL) == FAB(NVTCP_NVMF_SC_AUTH_REQUIRED));
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_KEEP_ALIVE;
	CU_ASSERT(ut_exec(&a, &cmd, NULL, 0, NULL, 0, NULL) == FAB(NVTCP_NVMF_SC_AUTH_REQUIRED));
	CU_ASSERT(!tgt_ctrlr_ready(a.conn->ctrlr));
	/* The negotiation picks what the target allows, of what the host offers (all). */
	CU_ASSERT(host_auth(&a, &g_hkey, NULL, 0, 0, &res) == NVTCP_AUTH_NEXT_DONE);
	CU_ASSERT(res.hash_id == NVTCP_AUTH_HASH_SHA384);
	CU_ASSERT(res.dhgroup_id == NVTCP_AUTH_DHGROUP_2048);
	CU_ASSERT(!res.bidirectional);
	CU_ASSERT(a.conn->auth->authenticated);
	CU_ASSERT(ut_prop(&a, false, NVTCP_NVME_PROP_CAP, true, 0, &v) == 0);
	CU_ASSERT(ut_prop(&a, true, NVTCP_NVME_PROP_CC, false, nvtcp_nvme_cc_enable_value(0),
			  NULL) == 0);
	/* The I/O queue authenticates on its own. */
	open_connect(&q, 1, a.cntlid, &cpl);
	CU_ASSERT(cpl.cdw0 & NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FLUSH;
	cmd.nsid = 1;
	CU_ASSERT(ut_exec(&q, &cmd, NULL, 0, NULL, 0, NULL) == FAB(NVTCP_NVMF_SC_AUTH_REQUIRED));
	CU_ASSERT(host_auth(&q, &g_hkey, NULL, 0, 0, &res) == NVTCP_AUTH_NEXT_DONE);
	CU_ASSERT(ut_exec(&q, &cmd, NULL, 0, NULL, 0, NULL) == 0);
	/* Re-authentication on the live admin queue: a new transaction, the queue stays. */
	CU_ASSERT(host_auth(&a, &g_hkey, NULL, 0, 0, &res) == NVTCP_AUTH_NEXT_DONE);
	CU_ASSERT(a.conn->auth->transactions == 2);
	CU_ASSERT(ut_prop(&a, false, NVTCP_NVME_PROP_CAP, true, 0, &v) == 0);
	ut_conn_close(&q);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static struct nvtcp_tgt_conn_stats_list *g_cstats;

static void
conn_stats_cb(void *arg, struct nvtcp_tgt_conn_stats_list *list)
{
	g_cstats = list;
}

static void
test_bidirectional(void)
{
	struct nvtcp_auth_result res;
	struct nvtcp_nvme_cpl cpl;
	struct nvtcp_tgt_opts o;
	struct ut_conn a, b;
	char err[256];

	ut_opts(&o);
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	CU_ASSERT_FATAL(allow(g_hkey_text, g_ckey_text, 0,
			      NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_NULL), err,
			      sizeof(err)) == 0);
	open_connect(&a, 0, 0xFFFF, &cpl);
	CU_ASSERT(host_auth(&a, &g_hkey, &g_ckey, 0, 0, &res) == NVTCP_AUTH_NEXT_DONE);
	CU_ASSERT(res.bidirectional);
	CU_ASSERT(res.hash_id == NVTCP_AUTH_HASH_SHA512);
	CU_ASSERT(res.dhgroup_id == NVTCP_AUTH_DHGROUP_NULL);
	CU_ASSERT(ut_prop(&a, false, NVTCP_NVME_PROP_CAP, true, 0, NULL) == 0);
	/* The outcome is visible to the application (and in nvmf_get_stats). */
	g_cstats = NULL;
	CU_ASSERT(nvtcp_tgt_get_conn_stats(g_ut_tgt, conn_stats_cb, NULL) == 0);
	ut_poll();
	CU_ASSERT_FATAL(g_cstats != NULL && g_cstats->count == 1);
	CU_ASSERT(g_cstats->conns[0].auth_required && g_cstats->conns[0].authenticated);
	CU_ASSERT(g_cstats->conns[0].auth_hash == NVTCP_AUTH_HASH_SHA512);
	CU_ASSERT(g_cstats->conns[0].auth_dhgroup == NVTCP_AUTH_DHGROUP_NULL);
	CU_ASSERT(g_cstats->conns[0].auth_bidirectional);
	nvtcp_tgt_conn_stats_free(g_cstats);
	/* The host expects another controller key: it rejects the controller (Failure2), and
	 * the target closes the queue. */
	open_connect(&b, 0, 0xFFFF, &cpl);
	CU_ASSERT(host_auth(&b, &g_hkey, &g_hkey, 0, 0, NULL) == NVTCP_AUTH_NEXT_FAILED);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(b.fake));
	ut_conn_close(&b);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static void
test_wrong_secret(void)
{
	struct nvtcp_nvme_cpl cpl;
	struct nvtcp_tgt_opts o;
	struct ut_conn a;
	char err[256];

	ut_opts(&o);
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	CU_ASSERT_FATAL(allow(g_hkey_text, NULL, 0, 0, err, sizeof(err)) == 0);
	open_connect(&a, 0, 0xFFFF, &cpl);
	/* The host engine gets a Failure1 for its Reply; the queue is closed after it. */
	CU_ASSERT(host_auth(&a, &g_ckey, NULL, 0, 0, NULL) == NVTCP_AUTH_NEXT_FAILED);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(a.fake));
	ut_conn_close(&a);
	ut_poll();
	/* Its slot went back with the connection. */
	CU_ASSERT(tgt_limits_idle(g_ut_tgt));
	ut_tgt_destroy();
}

static void
test_bad_commands(void)
{
	struct nvtcp_nvmf_auth_cmd cmd;
	struct nvtcp_nvme_cpl cpl;
	struct nvtcp_tgt_opts o;
	struct ut_conn a;
	uint8_t buf[AL];
	char err[256];

	ut_opts(&o);
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	CU_ASSERT_FATAL(allow(g_hkey_text, NULL, 0, 0, err, sizeof(err)) == 0);
	open_connect(&a, 0, 0xFFFF, &cpl);
	memset(buf, 0, sizeof(buf));
	/* Wrong SECP, SPSP, a TL of 0 or above the largest message. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.fctype = NVTCP_NVMF_FCTYPE_AUTHENTICATION_SEND;
	cmd.secp = 0xEA;
	cmd.spsp0 = 1;
	cmd.spsp1 = 1;
	cmd.len = 8;
	CU_ASSERT(ut_exec(&a, (void *)&cmd, buf, 8, NULL, 0, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	cmd.cid = 0;
	cmd.secp = NVTCP_AUTH_SECP;
	cmd.spsp1 = 2;
	CU_ASSERT(ut_exec(&a, (void *)&cmd, buf, 8, NULL, 0, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	cmd.cid = 0;
	cmd.spsp1 = 1;
	cmd.len = NVTCP_AUTH_MSG_MAX_LEN + 1;
	memset(&cmd.sgl1, 0, sizeof(cmd.sgl1));
	CU_ASSERT(ut_exec(&a, (void *)&cmd, buf, NVTCP_AUTH_MSG_MAX_LEN + 1, NULL, 0, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	/* A Receive before any transaction: Command Sequence Error. */
	CU_ASSERT(auth_recv(&a, buf, AL) == GEN(NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR));
	/* A Reply out of order: the engine answers with a Failure1 on the next Receive, and
	 * the queue closes after it. */
	memset(buf, 0, 64);
	buf[0] = NVTCP_AUTH_TYPE_DHCHAP;
	buf[1] = NVTCP_AUTH_ID_REPLY;
	CU_ASSERT(auth_send(&a, buf, 64) == 0);
	CU_ASSERT(auth_recv(&a, buf, AL) == 0);
	CU_ASSERT(buf[0] == NVTCP_AUTH_TYPE_COMMON && buf[1] == NVTCP_AUTH_ID_FAILURE1);
	/* The whole allocation length comes back: zeroes after the message. */
	CU_ASSERT(buf[AL - 1] == 0 && buf[100] == 0);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(a.fake));
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static void
test_timeout_and_limit(void)
{
	struct nvtcp_nvme_cpl cpl;
	struct nvtcp_tgt_opts o;
	struct nvtcp_tgt_limit_stats *st;
	struct ut_conn a, b, c;
	char err[256];

	ut_opts(&o);
	o.auth_timeout_ms = 200;
	o.max_auth_per_addr = 1;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	/* No DH: quick enough under valgrind that b's connect_timeout_ms does not expire. */
	CU_ASSERT_FATAL(allow(g_hkey_text, NULL, 0, NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_NULL),
			      err, sizeof(err)) == 0);
	open_connect(&a, 0, 0xFFFF, &cpl);
	/* A second queue in its first authentication from the same address: refused. */
	CU_ASSERT_FATAL(ut_conn_open(&b) == 0);
	ut_icreq(&b, false, false, 0);
	CU_ASSERT(ut_connect(&b, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) ==
		  FAB(NVTCP_NVMF_SC_CONTROLLER_BUSY));
	CU_ASSERT_FATAL(nvtcp_tgt_get_limit_stats(g_ut_tgt, &st) == 0);
	CU_ASSERT(st->refusals[NVTCP_TGT_LIMIT_AUTH_PER_ADDR] == 1);
	CU_ASSERT(st->num_addrs == 1 && st->addrs[0].authentications == 1);
	nvtcp_tgt_limit_stats_free(st);
	/* Once the first has authenticated, the slot is free again. */
	CU_ASSERT(host_auth(&a, &g_hkey, NULL, 0, 0, NULL) == NVTCP_AUTH_NEXT_DONE);
	ut_poll();
	CU_ASSERT(ut_connect(&b, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, &cpl) == 0);
	CU_ASSERT(cpl.cdw0 & NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR);
	/* b never negotiates: closed after auth_timeout_ms; a (authenticated) stays. */
	ut_poll_ms(500);
	CU_ASSERT(fake_sock_is_closed(b.fake));
	CU_ASSERT(!fake_sock_is_closed(a.fake));
	ut_conn_close(&b);
	/* With the slot back, another connection may authenticate. */
	open_connect(&c, 0, 0xFFFF, &cpl);
	CU_ASSERT(host_auth(&c, &g_hkey, NULL, 0, 0, NULL) == NVTCP_AUTH_NEXT_DONE);
	ut_conn_close(&c);
	ut_conn_close(&a);
	ut_poll();
	CU_ASSERT(tgt_limits_idle(g_ut_tgt));
	ut_tgt_destroy();
}

/* Hosts without a key are not asked to authenticate and cannot start a transaction. */
static void
test_no_key(void)
{
	struct nvtcp_nvme_cpl cpl;
	struct nvtcp_tgt_opts o;
	struct ut_conn a;
	uint8_t buf[64];

	ut_opts(&o);
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	open_connect(&a, 0, 0xFFFF, &cpl);
	CU_ASSERT(!(cpl.cdw0 & NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR));
	memset(buf, 0, sizeof(buf));
	CU_ASSERT(auth_send(&a, buf, sizeof(buf)) == GEN(NVTCP_NVME_SC_INVALID_FIELD));
	CU_ASSERT(ut_prop(&a, false, NVTCP_NVME_PROP_CAP, true, 0, NULL) == 0);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static int
suite_init(void)
{
	if (ut_env_setup("auth_ut") != 0 ||
	    nvtcp_auth_secret_generate(NVTCP_AUTH_HASH_SHA256, 32, &g_hkey) != 0 ||
	    nvtcp_auth_secret_generate(0, 48, &g_ckey) != 0 ||
	    nvtcp_auth_secret_format(&g_hkey, g_hkey_text, sizeof(g_hkey_text)) != 0 ||
	    nvtcp_auth_secret_format(&g_ckey, g_ckey_text, sizeof(g_ckey_text)) != 0) {
		return -1;
	}
	return 0;
}

static int
suite_fini(void)
{
	nvtcp_auth_secret_wipe(&g_hkey);
	nvtcp_auth_secret_wipe(&g_ckey);
	ut_env_teardown();
	return 0;
}

static struct nvtcp_auth_secret g_nkey;
static char g_nkey_text[NVTCP_AUTH_SECRET_STR_MAX_LEN];

static int
set_keys(const char *hostnqn, const char *key, const char *ctrl, uint32_t hashes, char *err,
	 size_t errlen)
{
	struct nvtcp_tgt_host_opts ho;

	nvtcp_tgt_host_opts_init(&ho);
	ho.dhchap_key = key;
	ho.dhchap_ctrl_key = ctrl;
	ho.dhchap_hashes = hashes;
	return nvtcp_tgt_subsys_set_host_keys(g_ut_tgt, UT_NQN, hostnqn, &ho, err, errlen);
}

static bool
queue_has_key(const struct ut_conn *u, const struct nvtcp_auth_secret *k)
{
	const struct tgt_auth *a = u->conn->auth;

	return a != NULL && a->keys.host.len == k->len &&
	       memcmp(a->keys.host.key, k->key, k->len) == 0;
}

/* Rotation while a transaction runs: it goes on with its key; the next one takes the new. */
static void
rotate_back_mid_transaction(void)
{
	char err[256];

	CU_ASSERT(set_keys(UT_HOSTNQN, g_hkey_text, NULL, 0, err, sizeof(err)) == 0);
	ut_poll();
}

/*
 * Key rotation (nvmf_subsystem_set_keys): refusals name the field and change nothing; the new
 * keys reach the live admin and I/O queues (re-authentication with them succeeds, with the
 * old ones it fails) and new Connects; a transaction in progress keeps its keys; a queue that
 * connected while its host had no key stays as it was.
 */
static void
test_set_keys(void)
{
	struct nvtcp_auth_result res;
	struct nvtcp_nvme_cpl cpl;
	struct nvtcp_tgt_opts o;
	struct nvtcp_tgt_host_opts ho;
	struct nvtcp_tls_psk psk = {.len = 32};
	const struct tgt_host *h;
	struct ut_conn a, q, b, c;
	char err[256], bad[NVTCP_AUTH_SECRET_STR_MAX_LEN];
	uint64_t v;

	CU_ASSERT_FATAL(nvtcp_auth_secret_generate(NVTCP_AUTH_HASH_SHA384, 48, &g_nkey) == 0);
	CU_ASSERT_FATAL(nvtcp_auth_secret_format(&g_nkey, g_nkey_text, sizeof(g_nkey_text)) == 0);
	ut_opts(&o);
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	CU_ASSERT_FATAL(allow(g_hkey_text, NULL, NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA384),
			      NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_NULL), err,
			      sizeof(err)) == 0);
	open_connect(&a, 0, 0xFFFF, &cpl);
	CU_ASSERT(host_auth(&a, &g_hkey, NULL, 0, 0, &res) == NVTCP_AUTH_NEXT_DONE);
	CU_ASSERT(ut_prop(&a, true, NVTCP_NVME_PROP_CC, false, nvtcp_nvme_cc_enable_value(0),
			  NULL) == 0);
	ut_poll();
	open_connect(&q, 1, a.cntlid, &cpl);
	CU_ASSERT(host_auth(&q, &g_hkey, NULL, 0, 0, &res) == NVTCP_AUTH_NEXT_DONE);

	/* Refused, naming the field, never echoing a secret; the host keeps its keys. */
	CU_ASSERT(set_keys("nqn.2024-01.io.nvtcp:nobody", g_nkey_text, NULL, 0, err,
			   sizeof(err)) == -ENOENT);
	CU_ASSERT(strstr(err, "host: nqn.2024-01.io.nvtcp:nobody is not allowed") != NULL);
	CU_ASSERT(nvtcp_tgt_subsys_set_host_keys(g_ut_tgt, "nqn.2024-01.io.nvtcp:none", UT_HOSTNQN,
						 NULL, err, sizeof(err)) == -ENOENT);
	CU_ASSERT(strstr(err, "nqn: no subsystem") != NULL);
	CU_ASSERT(set_keys(UT_HOSTNQN, NULL, NULL, 0, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "dhchap_key: missing") != NULL);
	CU_ASSERT(set_keys(UT_HOSTNQN, g_nkey_text, NULL, 1u << 9, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "dhchap_hashes") != NULL);
	snprintf(bad, sizeof(bad), "%s", g_nkey_text);
	bad[12] = bad[12] == 'A' ? 'B' : 'A';
	CU_ASSERT(set_keys(UT_HOSTNQN, g_nkey_text, bad, 0, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "dhchap_ctrl_key") != NULL);
	CU_ASSERT(strstr(err, bad + 10) == NULL && strstr(err, g_nkey_text + 10) == NULL);
	nvtcp_tgt_host_opts_init(&ho);
	ho.dhchap_key = g_nkey_text;
	ho.psk = &psk;
	CU_ASSERT(nvtcp_tgt_subsys_set_host_keys(g_ut_tgt, UT_NQN, UT_HOSTNQN, &ho, err,
						 sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "psk:") != NULL);
	h = tgt_subsys_host_find(tgt_subsys_find(g_ut_tgt, UT_NQN), UT_HOSTNQN);
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(h->dhchap_key.len == g_hkey.len && !h->has_dhchap_ctrl);
	ut_poll();
	CU_ASSERT(queue_has_key(&a, &g_hkey) && queue_has_key(&q, &g_hkey));

	/* The rotation: the host entry and, once the messages ran, both live queues. The
	 * restriction to SHA-384 / null stays (0 masks keep it). */
	CU_ASSERT(set_keys(UT_HOSTNQN, g_nkey_text, g_ckey_text, 0, err, sizeof(err)) == 0);
	CU_ASSERT(h->dhchap_key.len == g_nkey.len && h->has_dhchap_ctrl);
	CU_ASSERT(h->dhchap_hashes == NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA384));
	CU_ASSERT(h->dhchap_dhgroups == NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_NULL));
	ut_poll();
	CU_ASSERT(queue_has_key(&a, &g_nkey) && queue_has_key(&q, &g_nkey));
	CU_ASSERT(a.conn->auth->keys.has_ctrl && q.conn->auth->keys.has_ctrl);
	/* Re-authentication with the new keys (bidirectional now possible) on both queues;
	 * the queues stay usable. */
	CU_ASSERT(host_auth(&q, &g_nkey, &g_ckey, 0, 0, &res) == NVTCP_AUTH_NEXT_DONE);
	CU_ASSERT(res.bidirectional && res.hash_id == NVTCP_AUTH_HASH_SHA384);
	CU_ASSERT(host_auth(&a, &g_nkey, NULL, 0, 0, &res) == NVTCP_AUTH_NEXT_DONE);
	CU_ASSERT(ut_prop(&a, false, NVTCP_NVME_PROP_CAP, true, 0, &v) == 0);
	/* New Connects: the old secret fails, the new one passes. */
	open_connect(&b, 0, 0xFFFF, &cpl);
	CU_ASSERT(host_auth(&b, &g_hkey, NULL, 0, 0, NULL) == NVTCP_AUTH_NEXT_FAILED);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(b.fake));
	ut_conn_close(&b);
	open_connect(&c, 0, 0xFFFF, &cpl);
	CU_ASSERT(host_auth(&c, &g_nkey, NULL, 0, 0, NULL) == NVTCP_AUTH_NEXT_DONE);
	ut_conn_close(&c);

	/* Rotated back while the admin queue's transaction runs (after its Negotiate): that
	 * transaction finishes with the key it started with, the next one needs the new. */
	g_after_negotiate = rotate_back_mid_transaction;
	CU_ASSERT(host_auth(&a, &g_nkey, NULL, 0, 0, &res) == NVTCP_AUTH_NEXT_DONE);
	CU_ASSERT(g_after_negotiate == NULL);
	CU_ASSERT(a.conn->auth->pending != NULL);
	CU_ASSERT(queue_has_key(&q, &g_hkey));
	CU_ASSERT(host_auth(&a, &g_hkey, NULL, 0, 0, &res) == NVTCP_AUTH_NEXT_DONE);
	CU_ASSERT(a.conn->auth->pending == NULL && queue_has_key(&a, &g_hkey));
	/* And with the replaced key, a re-authentication fails (the queue is closed). */
	CU_ASSERT(host_auth(&q, &g_nkey, NULL, 0, 0, NULL) == NVTCP_AUTH_NEXT_FAILED);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(q.fake));
	ut_conn_close(&q);
	ut_conn_close(&a);
	ut_poll();

	/* A host allowed without a key whose queue connected then: set_keys gives the host
	 * keys for its next Connects; the queue connected without them goes on as it was. */
	CU_ASSERT(nvtcp_tgt_subsys_remove_host(g_ut_tgt, UT_NQN, UT_HOSTNQN) == 0);
	CU_ASSERT(nvtcp_tgt_subsys_add_host(g_ut_tgt, UT_NQN, UT_HOSTNQN, err, sizeof(err)) == 0);
	open_connect(&a, 0, 0xFFFF, &cpl);
	CU_ASSERT(!(cpl.cdw0 & NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR));
	CU_ASSERT(set_keys(UT_HOSTNQN, g_nkey_text, NULL, 0, err, sizeof(err)) == 0);
	ut_poll();
	CU_ASSERT(a.conn->auth == NULL);
	CU_ASSERT(ut_prop(&a, false, NVTCP_NVME_PROP_CAP, true, 0, &v) == 0);
	open_connect(&b, 0, 0xFFFF, &cpl);
	CU_ASSERT(cpl.cdw0 & NVTCP_NVMF_CONNECT_RSP_AUTHREQ_ATR);
	CU_ASSERT(host_auth(&b, &g_nkey, NULL, 0, 0, NULL) == NVTCP_AUTH_NEXT_DONE);
	ut_conn_close(&b);
	ut_conn_close(&a);
	ut_poll();
	CU_ASSERT(tgt_limits_idle(g_ut_tgt));
	ut_tgt_destroy();
	nvtcp_auth_secret_wipe(&g_nkey);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("target_auth", suite_init, suite_fini);

	CU_ADD_TEST(s, test_mask_parse);
	CU_ADD_TEST(s, test_host_keys);
	CU_ADD_TEST(s, test_required_then_unidirectional);
	CU_ADD_TEST(s, test_bidirectional);
	CU_ADD_TEST(s, test_wrong_secret);
	CU_ADD_TEST(s, test_bad_commands);
	CU_ADD_TEST(s, test_timeout_and_limit);
	CU_ADD_TEST(s, test_no_key);
	CU_ADD_TEST(s, test_set_keys);
}

NVTCP_UT_MAIN(add_tests)
