/*
 * Unit tests of lib/nvme/qpair_connect.c: the connect machine (ICReq contents, ICResp
 * validation with the TermReq it answers, digests the controller declines, PDUs before the
 * ICResp, deadlines) and the decoding of refused Connects.
 */
#include "nvme_ut.h"

static void
test_connect_status_decode(void)
{
	struct nvtcp_nvme_cpl cpl;
	char r[160];

	memset(&cpl, 0, sizeof(cpl));
	cpl.status = nvtcp_nvme_status(1, 0x82, true);
	cpl.cdw0 = nvtcp_nvmf_connect_rsp_invalid(true, 256);
	CU_ASSERT_EQUAL(nvme_connect_status_decode(&cpl, r, sizeof(r)), -EACCES);
	CU_ASSERT_STRING_EQUAL(r, "Connect refused: subsystem NQN not found");
	cpl.cdw0 = nvtcp_nvmf_connect_rsp_invalid(true, 512);
	CU_ASSERT_EQUAL(nvme_connect_status_decode(&cpl, r, sizeof(r)), -EACCES);
	CU_ASSERT_STRING_EQUAL(r, "Connect refused: host not allowed");
	cpl.cdw0 = nvtcp_nvmf_connect_rsp_invalid(true, 16);
	CU_ASSERT_EQUAL(nvme_connect_status_decode(&cpl, r, sizeof(r)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "controller ID"));
	cpl.cdw0 = nvtcp_nvmf_connect_rsp_invalid(false, 42);
	CU_ASSERT_EQUAL(nvme_connect_status_decode(&cpl, r, sizeof(r)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "queue ID"));
	cpl.cdw0 = nvtcp_nvmf_connect_rsp_invalid(false, 48);
	CU_ASSERT_EQUAL(nvme_connect_status_decode(&cpl, r, sizeof(r)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "keep-alive"));
	cpl.status = nvtcp_nvme_status(1, 0x84, true);
	CU_ASSERT_EQUAL(nvme_connect_status_decode(&cpl, r, sizeof(r)), -EACCES);
	CU_ASSERT_STRING_EQUAL(r, "Connect refused: host not allowed");
	cpl.status = nvtcp_nvme_status(1, 0x91, true);
	CU_ASSERT_EQUAL(nvme_connect_status_decode(&cpl, r, sizeof(r)), -EACCES);
	cpl.status = nvtcp_nvme_status(1, 0x81, false);
	CU_ASSERT_EQUAL(nvme_connect_status_decode(&cpl, r, sizeof(r)), -EBUSY);
	cpl.status = nvtcp_nvme_status(1, 0x80, true);
	CU_ASSERT_EQUAL(nvme_connect_status_decode(&cpl, r, sizeof(r)), -EPROTO);
	cpl.status = nvtcp_nvme_status(0, 0x02, true);
	CU_ASSERT_EQUAL(nvme_connect_status_decode(&cpl, r, sizeof(r)), -EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "Invalid Field"));
}

static void
test_icreq_contents(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	const struct nvtcp_tcp_params *p;

	fake_ctrlr_cfg_init(&cfg);
	cfg.cpda = 3;
	cfg.maxh2cdata = 65536;
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.hdgst = true;
	o.ddgst = true;
	o.hpda = 1;
	o.max_r2t = 2;
	o.tcp_user_timeout_ms = 7000;
	o.sock_rcvbuf = 1 << 20;
	CU_ASSERT_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c) == 0);
	/* The socket options reach the connection (I/O queue pairs share the code path). */
	{
		const struct nvtcp_sock_opts *so = fake_conn_sock_opts(fake_ctrlr_conn(fc, 0));

		CU_ASSERT_EQUAL(so->user_timeout_ms, 7000);
		CU_ASSERT_EQUAL(so->rcvbuf, 1 << 20);
		CU_ASSERT(so->nodelay);
		CU_ASSERT_EQUAL(so->connect_timeout_ms, o.connect_timeout_ms);
	}
	/* What the controller derived from our ICReq. */
	p = fake_conn_params(fake_ctrlr_conn(fc, 0));
	CU_ASSERT(p->hdgst);
	CU_ASSERT(p->ddgst);
	CU_ASSERT_EQUAL(p->maxr2t, 1);
	CU_ASSERT_EQUAL(p->tx_pda, 8);
	CU_ASSERT(nvtcp_ctrlr_hdgst_enabled(c));
	CU_ASSERT(nvtcp_ctrlr_ddgst_enabled(c));
	CU_ASSERT(nvtcp_ctrlr_get_opts(c)->hdgst);
	/* Our side uses the controller's CPDA and MAXH2CDATA. */
	CU_ASSERT_EQUAL(c->adminq->params.tx_pda, 16);
	CU_ASSERT_EQUAL(c->adminq->params.maxh2cdata, 65536);
	ut_teardown(fc, c);
}

static void
icresp_fail(void (*tweak)(struct nvtcp_tcp_icresp *), uint16_t fes, uint32_t fei)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_tcp_icresp icr;
	uint16_t got_fes;
	uint32_t got_fei;

	memset(&icr, 0, sizeof(icr));
	icr.ch.pdu_type = NVTCP_TCP_PDU_IC_RESP;
	icr.ch.hlen = 128;
	icr.ch.plen = 128;
	icr.maxh2cdata = 131072;
	tweak(&icr);
	fake_ctrlr_cfg_init(&cfg);
	cfg.icresp_raw_set = true;
	memcpy(cfg.icresp_raw, &icr, sizeof(icr));
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	CU_ASSERT_EQUAL(ut_attach(fc, &o, UT_SUBNQN, &c), -EPROTO);
	fake_ctrlr_poll(fc);
	CU_ASSERT_FATAL(fake_conn_term_req(fake_ctrlr_conn(fc, 0), &got_fes, &got_fei, NULL, NULL));
	CU_ASSERT_EQUAL(got_fes, fes);
	CU_ASSERT_EQUAL(got_fei, fei);
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(c), "ICResp"));
	ut_teardown(fc, c);
}

static void tw_pfv(struct nvtcp_tcp_icresp *i) { i->pfv = 1; }
static void tw_maxh2c(struct nvtcp_tcp_icresp *i) { i->maxh2cdata = 1000; }
static void tw_cpda(struct nvtcp_tcp_icresp *i) { i->cpda = 40; }
static void tw_dgst(struct nvtcp_tcp_icresp *i) { i->dgst = 1; }

static void
test_icresp_invalid(void)
{
	icresp_fail(tw_pfv, NVTCP_TCP_FES_UNSUPPORTED_PARAMETER, 8);
	icresp_fail(tw_maxh2c, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 12);
	icresp_fail(tw_cpda, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 10);
	/* A digest the host did not ask for. */
	icresp_fail(tw_dgst, NVTCP_TCP_FES_INVALID_HEADER_FIELD, 11);
}

static void
test_digest_declined(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	uint16_t fes;
	uint32_t fei;

	fake_ctrlr_cfg_init(&cfg);
	cfg.allow_ddgst = false;
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.ddgst = true;
	CU_ASSERT_EQUAL(ut_attach(fc, &o, UT_SUBNQN, &c), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(c), "declined data digests"));
	fake_ctrlr_poll(fc);
	/* Not a protocol error: no TermReq, the connection is just closed. */
	CU_ASSERT_FALSE(fake_conn_term_req(fake_ctrlr_conn(fc, 0), &fes, &fei, NULL, NULL));
	CU_ASSERT(fake_sock_is_closed(fake_conn_sock(fake_ctrlr_conn(fc, 0))));
	ut_teardown(fc, c);
}

static void
test_pdu_before_icresp(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_trid t;
	uint8_t rsp[24];
	uint16_t fes;
	uint32_t fei;
	int rc = -EAGAIN;

	fake_ctrlr_cfg_init(&cfg);
	cfg.no_icresp = true;
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	ut_trid(&t, UT_SUBNQN);
	CU_ASSERT_FATAL(nvtcp_ctrlr_attach_async(&t, &o, &c) == 0);
	(void)nvtcp_ctrlr_attach_poll(c);
	fake_ctrlr_poll(fc);
	memset(rsp, 0, sizeof(rsp));
	rsp[0] = NVTCP_TCP_PDU_CAPSULE_RESP;
	rsp[2] = 24;
	rsp[4] = 24;
	fake_conn_send_raw(fake_ctrlr_conn(fc, 0), rsp, sizeof(rsp));
	for (int i = 0; i < 10 && rc == -EAGAIN; i++) {
		rc = nvtcp_ctrlr_attach_poll(c);
	}
	CU_ASSERT_EQUAL(rc, -EPROTO);
	fake_ctrlr_poll(fc);
	CU_ASSERT_FATAL(fake_conn_term_req(fake_ctrlr_conn(fc, 0), &fes, &fei, NULL, NULL));
	CU_ASSERT_EQUAL(fes, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR);
	ut_teardown(fc, c);
}

static void
test_io_connect_timeouts(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_qpair *qp;
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_opts(&o);
	o.icresp_timeout_ms = 100;
	o.admin_timeout_ms = 300;
	CU_ASSERT_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c) == 0);
	/* The I/O connection gets no ICResp: the synchronous allocation gives up in time. */
	fake_ctrlr_get_cfg(fc)->no_icresp = true;
	qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NULL(qp);
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	/* The queue ID is free again. */
	fake_ctrlr_get_cfg(fc)->no_icresp = false;
	qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	CU_ASSERT_EQUAL(nvtcp_qpair_get_id(qp), 1);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	/* The TCP connect is refused. */
	fake_ctrlr_get_cfg(fc)->refuse_connect = true;
	qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NULL(qp);
	CU_ASSERT_EQUAL(rc, -ECONNREFUSED);
	ut_teardown(fc, c);
}

/* ---- TLS (the fake socket carries no TLS: the TLS calls are replaced by a script) ---------- */

#define UT_PSK "NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:"

static struct {
	int clients;              /* nvtcp_sock_tls_client calls */
	int polls;
	int polls_to_finish;      /* handshake_poll answers 0 this often, then... */
	int result;               /* ... this (1 done, or a negative errno) */
	const char *reason;
	char hostnqn[256];
	char subnqn[256];
	uint32_t psk_len;
	uint32_t timeout_ms;
} g_tls;

static int
ut_tls_client(struct nvtcp_sock *sock, const struct nvtcp_tls_client_opts *opts, char *err,
	      size_t errlen)
{
	(void)sock;
	(void)err;
	(void)errlen;
	g_tls.clients++;
	g_tls.polls = 0;
	snprintf(g_tls.hostnqn, sizeof(g_tls.hostnqn), "%s", opts->hostnqn);
	snprintf(g_tls.subnqn, sizeof(g_tls.subnqn), "%s", opts->subnqn);
	g_tls.psk_len = opts->psk->len;
	g_tls.timeout_ms = opts->handshake_timeout_ms;
	return 0;
}

static int
ut_tls_poll(struct nvtcp_sock *sock, char *err, size_t errlen)
{
	(void)sock;
	if (g_tls.polls++ < g_tls.polls_to_finish) {
		return 0;
	}
	if (g_tls.result < 0) {
		snprintf(err, errlen, "%s", g_tls.reason);
	}
	return g_tls.result;
}

static const char *
ut_tls_cipher(const struct nvtcp_sock *sock)
{
	(void)sock;
	return "TLS_AES_128_GCM_SHA256";
}

static const struct nvme_tls_hooks g_ut_tls = {
	.client = ut_tls_client,
	.poll = ut_tls_poll,
	.cipher = ut_tls_cipher,
};

static void
ut_tls_script(int polls, int result, const char *reason)
{
	memset(&g_tls, 0, sizeof(g_tls));
	g_tls.polls_to_finish = polls;
	g_tls.result = result;
	g_tls.reason = reason;
	nvme_set_tls_hooks(&g_ut_tls);
}

/* Option checks at attach: nothing connects when they fail. */
static void
test_tls_options(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_tls_script(0, 1, NULL);
	ut_opts(&o);
	o.tls = true;                     /* without a key */
	CU_ASSERT_EQUAL(ut_attach(fc, &o, UT_SUBNQN, &c), -EINVAL);
	o.psk = UT_PSK;
	o.psk_path = "/nonexistent";      /* both */
	CU_ASSERT_EQUAL(ut_attach(fc, &o, UT_SUBNQN, &c), -EINVAL);
	o.psk = "NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiR:"; /* bad CRC */
	o.psk_path = NULL;
	CU_ASSERT_EQUAL(ut_attach(fc, &o, UT_SUBNQN, &c), -EINVAL);
	o.psk = NULL;
	o.psk_path = "/nonexistent/psk";
	CU_ASSERT(ut_attach(fc, &o, UT_SUBNQN, &c) < 0);
	CU_ASSERT_EQUAL(fake_ctrlr_num_conns(fc), 0);
	CU_ASSERT_EQUAL(g_tls.clients, 0);
	nvme_set_tls_hooks(NULL);
	fake_ctrlr_destroy(fc);
}

/* A failed handshake fails the attach with its reason; not one plaintext byte is sent. */
static void
test_tls_handshake_failed(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_tls_script(2, -EACCES, "unknown PSK identity");
	ut_opts(&o);
	o.psk = UT_PSK;                   /* implies TLS */
	CU_ASSERT_EQUAL(ut_attach(fc, &o, UT_SUBNQN, &c), -EACCES);
	CU_ASSERT_STRING_EQUAL(nvtcp_ctrlr_get_failure_reason(c) +
			       strlen(nvtcp_ctrlr_get_failure_reason(c)) -
			       strlen("TLS handshake failed: unknown PSK identity"),
			       "TLS handshake failed: unknown PSK identity");
	CU_ASSERT_EQUAL(g_tls.clients, 1);
	CU_ASSERT_EQUAL(g_tls.polls, 3);
	/* The identity is made of the Connect's host NQN and the subsystem NQN. */
	CU_ASSERT_STRING_EQUAL(g_tls.hostnqn, o.host.hostnqn);
	CU_ASSERT_STRING_EQUAL(g_tls.subnqn, UT_SUBNQN);
	CU_ASSERT_EQUAL(g_tls.psk_len, 32);
	CU_ASSERT_EQUAL(g_tls.timeout_ms, o.connect_timeout_ms);
	fake_ctrlr_poll(fc);
	CU_ASSERT_EQUAL(fake_sock_send_calls(fake_conn_sock(fake_ctrlr_conn(fc, 0))), 0);
	CU_ASSERT_EQUAL(fake_ctrlr_num_cmds(fc), 0);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_tls_cipher(c));
	nvme_set_tls_hooks(NULL);
	ut_teardown(fc, c);
}

/* A handshake that never completes is bounded by the connect timeout. */
static void
test_tls_handshake_timeout(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_trid t;
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_tls_script(1000000, 1, NULL);
	ut_opts(&o);
	o.psk = UT_PSK;
	o.connect_timeout_ms = 100;
	ut_trid(&t, UT_SUBNQN);
	CU_ASSERT_FATAL(nvtcp_ctrlr_attach_async(&t, &o, &c) == 0);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_poll(c), -EAGAIN);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_attach_poll(c), -EAGAIN);
	ut_clock_advance_ms(150);
	rc = nvtcp_ctrlr_attach_poll(c);
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(c),
				      "TLS handshake failed: timed out"));
	CU_ASSERT_EQUAL(fake_sock_send_calls(fake_conn_sock(fake_ctrlr_conn(fc, 0))), 0);
	nvme_set_tls_hooks(NULL);
	ut_teardown(fc, c);
}

/* Handshake done: the ICReq follows; every queue pair (admin and I/O) runs TLS; the cipher is
 * reported. */
static void
test_tls_connected(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	struct nvtcp_qpair *qp;
	int rc;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_tls_script(3, 1, NULL);
	ut_opts(&o);
	o.tls = true;
	o.psk = UT_PSK;
	CU_ASSERT_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c) == 0);
	CU_ASSERT_EQUAL(g_tls.clients, 1);
	CU_ASSERT_STRING_EQUAL(nvtcp_ctrlr_get_tls_cipher(c), "TLS_AES_128_GCM_SHA256");
	/* The options keep no pointer to the caller's key. */
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_opts(c)->psk);
	qp = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	CU_ASSERT_EQUAL(g_tls.clients, 2);
	CU_ASSERT_STRING_EQUAL(nvtcp_qpair_get_tls_cipher(qp), "TLS_AES_128_GCM_SHA256");
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(qp), 0);
	nvme_set_tls_hooks(NULL);
	ut_teardown(fc, c);

	/* A plaintext controller never starts TLS. */
	fc = fake_ctrlr_create(&cfg);
	ut_tls_script(0, 1, NULL);
	c = ut_attach_default(fc);
	CU_ASSERT_EQUAL(g_tls.clients, 0);
	CU_ASSERT_PTR_NULL(nvtcp_ctrlr_get_tls_cipher(c));
	nvme_set_tls_hooks(NULL);
	ut_teardown(fc, c);
}

/* A reconnect runs the handshake again; a failed one fails the attempt with its reason and
 * never falls back to plaintext. */
static void
test_tls_reconnect(void)
{
	struct fake_ctrlr_cfg cfg;
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;
	int i;

	fake_ctrlr_cfg_init(&cfg);
	fc = fake_ctrlr_create(&cfg);
	ut_tls_script(1, 1, NULL);
	ut_opts_recovery(&o);
	o.psk = UT_PSK;
	CU_ASSERT_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c) == 0);
	CU_ASSERT_EQUAL(g_tls.clients, 1);

	/* The next handshakes fail: the attempt fails with the TLS reason, nothing is sent. */
	g_tls.result = -ECONNRESET;
	g_tls.reason = "peer closed during the handshake";
	fake_ctrlr_drop_all(fc);
	for (i = 0; i < 50 && g_tls.clients < 2; i++) {
		(void)nvtcp_ctrlr_process_admin_completions(c);
		fake_ctrlr_poll(fc);
	}
	for (i = 0; i < 20; i++) {
		(void)nvtcp_ctrlr_process_admin_completions(c);
		fake_ctrlr_poll(fc);
	}
	CU_ASSERT_EQUAL(g_tls.clients, 2);
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(c), NVTCP_CTRLR_STATE_RESETTING);
	CU_ASSERT_PTR_NOT_NULL(strstr(nvtcp_ctrlr_get_failure_reason(c),
				      "TLS handshake failed: peer closed during the handshake"));
	CU_ASSERT_EQUAL(fake_sock_send_calls(fake_conn_sock(fake_ctrlr_conn(fc,
				fake_ctrlr_num_conns(fc) - 1))), 0);

	/* The next attempt's handshake succeeds: back to READY over TLS. */
	g_tls.result = 1;
	ut_clock_advance_ms(o.reconnect_delay_ms + 1);
	for (i = 0; i < 200 && nvtcp_ctrlr_get_state(c) != NVTCP_CTRLR_STATE_LIVE; i++) {
		(void)nvtcp_ctrlr_process_admin_completions(c);
		fake_ctrlr_poll(fc);
	}
	CU_ASSERT_EQUAL(nvtcp_ctrlr_get_state(c), NVTCP_CTRLR_STATE_LIVE);
	CU_ASSERT_EQUAL(g_tls.clients, 3);
	CU_ASSERT_STRING_EQUAL(nvtcp_ctrlr_get_tls_cipher(c), "TLS_AES_128_GCM_SHA256");
	nvme_set_tls_hooks(NULL);
	ut_teardown(fc, c);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("qpair_connect", NULL, NULL);

	CU_ADD_TEST(s, test_connect_status_decode);
	CU_ADD_TEST(s, test_icreq_contents);
	CU_ADD_TEST(s, test_icresp_invalid);
	CU_ADD_TEST(s, test_digest_declined);
	CU_ADD_TEST(s, test_pdu_before_icresp);
	CU_ADD_TEST(s, test_io_connect_timeouts);
	CU_ADD_TEST(s, test_tls_options);
	CU_ADD_TEST(s, test_tls_handshake_failed);
	CU_ADD_TEST(s, test_tls_handshake_timeout);
	CU_ADD_TEST(s, test_tls_connected);
	CU_ADD_TEST(s, test_tls_reconnect);
}

NVTCP_UT_MAIN(add_tests)
