/*
 * Unit tests of lib/target/ana.c: ANA state names, the ANA log page (contents, RGO, offsets),
 * the Identify fields, the Path Related statuses of I/O, the ANA change AEN (only to the
 * controllers whose view changed, Retain Async Event honoured) and the API's refusals.
 */
#include "tgt_ut.h"

/* Listener ports of these tests (5420..5429). */
#define P1 "5420"
#define P2 "5421"

static int
get_ana_log(struct ut_conn *u, bool rae, bool rgo, void *buf, uint32_t len, uint64_t off)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_GET_LOG_PAGE;
	cmd.nsid = 0xFFFFFFFFu;
	nvtcp_nvme_get_log_page_set(&cmd, NVTCP_NVME_LOG_ANA, rae, len, off);
	if (rgo) {
		cmd.cdw10 |= NVTCP_NVME_ANA_LOG_LSP_RGO;
	}
	return ut_exec(u, &cmd, NULL, 0, buf, len, NULL);
}

/* A live admin queue and one I/O queue that came in through listener \p port. */
static void
path_up(struct ut_conn *a, struct ut_conn *io, const char *port)
{
	struct tgt_listener *l = tgt_listener_find(g_ut_tgt, "127.0.0.1", port);

	CU_ASSERT_FATAL(l != NULL);
	CU_ASSERT_FATAL(ut_conn_open(a) == 0);
	a->conn->portid = l->portid;
	ut_icreq(a, false, false, 0);
	CU_ASSERT_FATAL(ut_connect(a, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	CU_ASSERT_FATAL(ut_prop(a, true, NVTCP_NVME_PROP_CC, false, nvtcp_nvme_cc_enable_value(0),
				NULL) == 0);
	CU_ASSERT_FATAL(ut_conn_open(io) == 0);
	io->conn->portid = l->portid;
	ut_icreq(io, false, false, 0);
	CU_ASSERT_FATAL(ut_connect(io, 1, 63, UT_NQN, UT_HOSTNQN, a->cntlid, 0, NULL) == 0);
}

/*
 * The subsystem of these tests: NSID 1 (ut_tgt_create) and 2 in group 1, NSID 3 in its own
 * group 3; listener P1 optimized, P2 inaccessible.
 */
static void
setup(void)
{
	struct nvtcp_tgt_listener_opts lo;
	struct nvtcp_tgt_ns_opts nso;
	char err[256];

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	nvtcp_tgt_ns_opts_init(&nso);
	nso.size = 1 << 20;
	nso.nsid = 2;
	nso.anagrpid = 1;
	CU_ASSERT_FATAL(nvtcp_tgt_add_ns(g_ut_tgt, UT_NQN, &nso, NULL, err, sizeof(err)) == 0);
	nso.nsid = 3;
	nso.anagrpid = 0;
	CU_ASSERT_FATAL(nvtcp_tgt_add_ns(g_ut_tgt, UT_NQN, &nso, NULL, err, sizeof(err)) == 0);
	nvtcp_tgt_listener_opts_init(&lo);
	CU_ASSERT(lo.ana_state == NVTCP_TGT_ANA_OPTIMIZED);
	CU_ASSERT_FATAL(nvtcp_tgt_subsys_add_listener_ext(g_ut_tgt, UT_NQN, "127.0.0.1", P1, &lo,
							  err, sizeof(err)) == 0);
	lo.ana_state = NVTCP_TGT_ANA_INACCESSIBLE;
	CU_ASSERT_FATAL(nvtcp_tgt_subsys_add_listener_ext(g_ut_tgt, UT_NQN, "127.0.0.1", P2, &lo,
							  err, sizeof(err)) == 0);
}

static int
set_state(const char *port, enum nvtcp_tgt_ana_state st, uint32_t grp)
{
	char err[256];

	return nvtcp_tgt_subsys_listener_set_ana_state(g_ut_tgt, UT_NQN, "127.0.0.1", port, st,
						       grp, err, sizeof(err));
}

static uint16_t
path_status(uint8_t sc)
{
	return nvtcp_nvme_status(NVTCP_NVME_SCT_PATH, sc, false);
}

static int
read_ns(struct ut_conn *io, uint32_t nsid)
{
	struct nvtcp_nvme_cmd cmd;
	uint8_t buf[512];

	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	cmd.nsid = nsid;
	return ut_exec(io, &cmd, NULL, 0, buf, sizeof(buf), NULL);
}

static void
test_state_names(void)
{
	enum nvtcp_tgt_ana_state st;

	CU_ASSERT(nvtcp_tgt_ana_state_parse("optimized", &st) == 0 &&
		  st == NVTCP_TGT_ANA_OPTIMIZED);
	CU_ASSERT(nvtcp_tgt_ana_state_parse("non_optimized", &st) == 0 &&
		  st == NVTCP_TGT_ANA_NON_OPTIMIZED);
	CU_ASSERT(nvtcp_tgt_ana_state_parse("non-optimized", &st) == 0 &&
		  st == NVTCP_TGT_ANA_NON_OPTIMIZED);
	CU_ASSERT(nvtcp_tgt_ana_state_parse("inaccessible", &st) == 0 && st == 0x3);
	CU_ASSERT(nvtcp_tgt_ana_state_parse("persistent-loss", &st) == 0 && st == 0x4);
	CU_ASSERT(nvtcp_tgt_ana_state_parse("change", &st) == 0 && st == 0xF);
	CU_ASSERT(nvtcp_tgt_ana_state_parse("Optimized", &st) == -EINVAL);
	CU_ASSERT(nvtcp_tgt_ana_state_parse("", &st) == -EINVAL);
	CU_ASSERT(nvtcp_tgt_ana_state_parse(NULL, &st) == -EINVAL);
	CU_ASSERT(nvtcp_tgt_ana_state_parse("a-very-long-name-that-is-no-state-at-all", &st) ==
		  -EINVAL);
	CU_ASSERT(strcmp(nvtcp_tgt_ana_state_str(NVTCP_TGT_ANA_PERSISTENT_LOSS),
			 "persistent_loss") == 0);
	CU_ASSERT(strcmp(nvtcp_tgt_ana_state_str((enum nvtcp_tgt_ana_state)5), "?") == 0);
}

static void
test_identify_and_log(void)
{
	struct ut_conn a, aio, b, bio;
	struct nvtcp_nvme_ctrlr_data cd;
	struct nvtcp_nvme_ns_data nd;
	struct nvtcp_nvme_ana_log_hdr h;
	struct nvtcp_nvme_ana_group_desc d;
	struct nvtcp_nvme_cmd cmd;
	uint8_t buf[4096], part[64];
	uint32_t nsid[3];

	setup();
	path_up(&a, &aio, P1);
	path_up(&b, &bio, P2);

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.cdw10 = NVTCP_NVME_IDENTIFY_CTRLR;
	CU_ASSERT(ut_exec(&a, &cmd, NULL, 0, &cd, sizeof(cd), NULL) == 0);
	CU_ASSERT(cd.cmic == (NVTCP_NVME_CMIC_MULTI_PORT | NVTCP_NVME_CMIC_MULTI_CTRLR |
			      NVTCP_NVME_CMIC_ANA));
	CU_ASSERT(cd.oaes & NVTCP_NVME_OAES_ANA_CHANGE_NOTICES);
	CU_ASSERT(cd.oaes & NVTCP_NVME_OAES_NS_ATTRIBUTE_NOTICES);
	CU_ASSERT(cd.anacap == 0x5F);
	CU_ASSERT(cd.anatt == TGT_ANATT_S);
	CU_ASSERT(cd.anagrpmax == cd.nn && cd.nanagrpid == cd.nn && cd.mnan == cd.nn);
	for (uint32_t n = 1; n <= 3; n++) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
		cmd.nsid = n;
		cmd.cdw10 = NVTCP_NVME_IDENTIFY_NS;
		CU_ASSERT(ut_exec(&a, &cmd, NULL, 0, &nd, sizeof(nd), NULL) == 0);
		CU_ASSERT(nd.anagrpid == (n == 3 ? 3u : 1u));
	}

	/* The whole page: 16 + (32 + 2 * 4) + (32 + 4) = 92 bytes, zeroes after. */
	memset(buf, 0xAA, sizeof(buf));
	CU_ASSERT(get_ana_log(&a, true, false, buf, sizeof(buf), 0) == 0);
	memcpy(&h, buf, sizeof(h));
	CU_ASSERT(h.ngrps == 2 && h.chgcnt == 0);
	memcpy(&d, buf + 16, sizeof(d));
	memcpy(nsid, buf + 48, 8);
	CU_ASSERT(d.anagrpid == 1 && d.nnsids == 2 && d.state == NVTCP_NVME_ANA_OPTIMIZED);
	CU_ASSERT(nsid[0] == 1 && nsid[1] == 2);
	memcpy(&d, buf + 56, sizeof(d));
	memcpy(nsid + 2, buf + 88, 4);
	CU_ASSERT(d.anagrpid == 3 && d.nnsids == 1 && d.state == NVTCP_NVME_ANA_OPTIMIZED &&
		  nsid[2] == 3);
	CU_ASSERT(buf[92] == 0 && buf[4095] == 0);
	/* Through the other listener: the same groups, inaccessible. */
	CU_ASSERT(get_ana_log(&b, true, false, buf, sizeof(buf), 0) == 0);
	memcpy(&d, buf + 16, sizeof(d));
	CU_ASSERT(d.state == NVTCP_NVME_ANA_INACCESSIBLE);
	memcpy(&d, buf + 56, sizeof(d));
	CU_ASSERT(d.state == NVTCP_NVME_ANA_INACCESSIBLE);
	/* Partial reads: the second descriptor alone; the last dword; past the end. */
	CU_ASSERT(get_ana_log(&b, true, false, part, 32, 56) == 0);
	CU_ASSERT(memcmp(part, buf + 56, 32) == 0);
	CU_ASSERT(get_ana_log(&b, true, false, part, 8, 88) == 0);
	CU_ASSERT(memcmp(part, buf + 88, 4) == 0 && part[4] == 0);
	CU_ASSERT(get_ana_log(&b, true, false, part, 4, 92) == 0);
	CU_ASSERT(get_ana_log(&b, true, false, part, 4, 96) ==
		  nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true));
	CU_ASSERT(get_ana_log(&b, true, false, part, 4, 6) ==
		  nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true));
	CU_ASSERT(get_ana_log(&b, true, false, part, 4, 1ull << 40) ==
		  nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true));
	/* Return Groups Only: no NSIDs, 16 + 2 * 32 bytes. */
	memset(buf, 0xAA, sizeof(buf));
	CU_ASSERT(get_ana_log(&a, true, true, buf, 128, 0) == 0);
	memcpy(&h, buf, sizeof(h));
	CU_ASSERT(h.ngrps == 2);
	memcpy(&d, buf + 16, sizeof(d));
	CU_ASSERT(d.anagrpid == 1 && d.nnsids == 0);
	memcpy(&d, buf + 48, sizeof(d));
	CU_ASSERT(d.anagrpid == 3 && d.nnsids == 0);
	CU_ASSERT(buf[80] == 0 && buf[127] == 0);

	/* I/O: served through P1, Path Related status through P2 (DNR clear). */
	CU_ASSERT(read_ns(&aio, 1) == 0);
	CU_ASSERT(read_ns(&bio, 1) == path_status(NVTCP_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE));
	CU_ASSERT(set_state(P2, NVTCP_TGT_ANA_PERSISTENT_LOSS, 3) == 0);
	CU_ASSERT(set_state(P2, NVTCP_TGT_ANA_NON_OPTIMIZED, 1) == 0);
	ut_poll();
	CU_ASSERT(read_ns(&bio, 1) == 0);
	CU_ASSERT(read_ns(&bio, 2) == 0);
	CU_ASSERT(read_ns(&bio, 3) ==
		  path_status(NVTCP_NVME_SC_ASYMMETRIC_ACCESS_PERSISTENT_LOSS));
	CU_ASSERT(set_state(P2, NVTCP_TGT_ANA_CHANGE, 0) == 0);
	CU_ASSERT(read_ns(&bio, 2) == path_status(NVTCP_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION));
	/* An unknown namespace stays Invalid Namespace, whatever the path's state. */
	CU_ASSERT(read_ns(&bio, 4) == nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC,
							 NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT,
							 true));
	/* The log of P2 changed three times (group 3, group 1, then every group), P1's not at
	 * all; each descriptor carries the count of its last change. */
	CU_ASSERT(get_ana_log(&b, true, false, buf, sizeof(buf), 0) == 0);
	memcpy(&h, buf, sizeof(h));
	CU_ASSERT(h.chgcnt == 3);
	memcpy(&d, buf + 16, sizeof(d));
	CU_ASSERT(d.state == NVTCP_NVME_ANA_CHANGE && d.chgcnt == 3);
	/* The same state again is no change. */
	CU_ASSERT(set_state(P2, NVTCP_TGT_ANA_CHANGE, 3) == 0);
	CU_ASSERT(get_ana_log(&b, true, false, buf, sizeof(buf), 0) == 0);
	memcpy(&h, buf, sizeof(h));
	CU_ASSERT(h.chgcnt == 3);
	CU_ASSERT(get_ana_log(&a, true, false, buf, sizeof(buf), 0) == 0);
	memcpy(&h, buf, sizeof(h));
	CU_ASSERT(h.chgcnt == 0);

	ut_conn_close(&bio);
	ut_conn_close(&b);
	ut_conn_close(&aio);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

/* Enable ANA change notices (or not) and hold one AER; returns its CID. */
static uint16_t
arm(struct ut_conn *u, uint32_t aec)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_SET_FEATURES;
	cmd.cdw10 = NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION;
	cmd.cdw11 = aec;
	CU_ASSERT(ut_exec(u, &cmd, NULL, 0, NULL, 0, NULL) == 0);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST;
	return ut_cmd(u, &cmd, NULL, 0, 0);
}

static bool
got_ana_aen(struct ut_conn *u, uint16_t cid)
{
	struct nvtcp_nvme_cpl cpl;

	ut_poll();
	if (ut_recv(u) != NVTCP_TCP_PDU_CAPSULE_RESP) {
		return false;
	}
	cpl = ut_hdr(u)->rsp.rccqe;
	return cpl.cid == cid && (cpl.status & 0xFFFE) == 0 &&
	       nvtcp_nvme_aer_type(cpl.cdw0) == NVTCP_NVME_AER_TYPE_NOTICE &&
	       nvtcp_nvme_aer_info(cpl.cdw0) == NVTCP_NVME_AER_NOTICE_ANA_CHANGE &&
	       nvtcp_nvme_aer_log_page(cpl.cdw0) == NVTCP_NVME_LOG_ANA;
}

static void
test_aen(void)
{
	struct ut_conn a, aio, b, bio, c, cio;
	uint8_t buf[512];
	uint16_t ca, cb, cc;

	setup();
	path_up(&a, &aio, P1);
	path_up(&b, &bio, P2);
	path_up(&c, &cio, P1);
	/* The AEC bit is accepted for an I/O controller. */
	ca = arm(&a, NVTCP_NVME_AEC_ANA_CHANGE_NOTICES);
	cb = arm(&b, NVTCP_NVME_AEC_ANA_CHANGE_NOTICES);
	/* c has notices disabled. */
	cc = arm(&c, NVTCP_NVME_AEC_NS_ATTRIBUTE_NOTICES);

	/* A change through P2 reaches b only; setting the same state again reaches nobody. */
	CU_ASSERT(set_state(P2, NVTCP_TGT_ANA_OPTIMIZED, 0) == 0);
	CU_ASSERT(got_ana_aen(&b, cb));
	CU_ASSERT(ut_recv(&a) == -1);
	CU_ASSERT(ut_recv(&c) == -1);
	cb = arm(&b, NVTCP_NVME_AEC_ANA_CHANGE_NOTICES);
	CU_ASSERT(get_ana_log(&b, false, false, buf, sizeof(buf), 0) == 0);
	CU_ASSERT(set_state(P2, NVTCP_TGT_ANA_OPTIMIZED, 0) == 0);
	ut_poll();
	CU_ASSERT(ut_recv(&b) == -1);
	/* P1: a is told, c (notices disabled) is not, but its log shows the change. */
	CU_ASSERT(set_state(P1, NVTCP_TGT_ANA_NON_OPTIMIZED, 3) == 0);
	CU_ASSERT(got_ana_aen(&a, ca));
	CU_ASSERT(ut_recv(&c) == -1);
	CU_ASSERT(get_ana_log(&c, false, true, buf, 80, 0) == 0);
	CU_ASSERT(buf[48 + 16] == NVTCP_NVME_ANA_NON_OPTIMIZED && buf[16 + 16] == 1);
	/* A group without namespaces changes nothing a host can see: no notice. */
	ca = arm(&a, NVTCP_NVME_AEC_ANA_CHANGE_NOTICES);
	ut_poll();
	CU_ASSERT(get_ana_log(&a, false, false, buf, sizeof(buf), 0) == 0); /* unmask */
	CU_ASSERT(set_state(P1, NVTCP_TGT_ANA_INACCESSIBLE, 4) == 0);
	ut_poll();
	CU_ASSERT(ut_recv(&a) == -1);
	/* Masked after a notice until the log is read with RAE clear. */
	CU_ASSERT(set_state(P1, NVTCP_TGT_ANA_INACCESSIBLE, 1) == 0);
	CU_ASSERT(got_ana_aen(&a, ca));
	ca = arm(&a, NVTCP_NVME_AEC_ANA_CHANGE_NOTICES);
	CU_ASSERT(get_ana_log(&a, true, false, buf, sizeof(buf), 0) == 0); /* RAE set */
	CU_ASSERT(set_state(P1, NVTCP_TGT_ANA_CHANGE, 1) == 0);
	ut_poll();
	CU_ASSERT(ut_recv(&a) == -1);
	CU_ASSERT(get_ana_log(&a, false, false, buf, sizeof(buf), 0) == 0); /* RAE clear */
	CU_ASSERT(set_state(P1, NVTCP_TGT_ANA_OPTIMIZED, 0) == 0);
	CU_ASSERT(got_ana_aen(&a, ca));
	/* The connections are all still up and serve I/O. */
	CU_ASSERT(read_ns(&aio, 1) == 0 && read_ns(&bio, 1) == 0 && read_ns(&cio, 3) == 0);
	(void)cc;
	(void)cb;

	ut_conn_close(&cio);
	ut_conn_close(&c);
	ut_conn_close(&bio);
	ut_conn_close(&b);
	ut_conn_close(&aio);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static void
test_api_errors(void)
{
	struct nvtcp_tgt_listener_opts lo;
	struct nvtcp_tgt_ns_opts nso;
	char err[256];

	setup();
	err[0] = '\0';
	CU_ASSERT(nvtcp_tgt_subsys_listener_set_ana_state(g_ut_tgt, "nqn.2024-01.io.nvtcp:none",
							  "127.0.0.1", P1,
							  NVTCP_TGT_ANA_OPTIMIZED, 0, err,
							  sizeof(err)) == -ENOENT);
	CU_ASSERT(strncmp(err, "nqn:", 4) == 0);
	CU_ASSERT(nvtcp_tgt_subsys_listener_set_ana_state(g_ut_tgt, UT_NQN, "127.0.0.1", "5429",
							  NVTCP_TGT_ANA_OPTIMIZED, 0, err,
							  sizeof(err)) == -ENOENT);
	CU_ASSERT(strncmp(err, "listen_address:", 15) == 0);
	CU_ASSERT(nvtcp_tgt_subsys_listener_set_ana_state(g_ut_tgt, UT_NQN, "127.0.0.1", "x",
							  NVTCP_TGT_ANA_OPTIMIZED, 0, err,
							  sizeof(err)) == -EINVAL);
	CU_ASSERT(nvtcp_tgt_subsys_listener_set_ana_state(g_ut_tgt, UT_NQN, "127.0.0.1", P1,
							  (enum nvtcp_tgt_ana_state)7, 0, err,
							  sizeof(err)) == -EINVAL);
	CU_ASSERT(strncmp(err, "ana_state:", 10) == 0);
	CU_ASSERT(nvtcp_tgt_subsys_listener_set_ana_state(g_ut_tgt, UT_NQN, "127.0.0.1", P1,
							  NVTCP_TGT_ANA_OPTIMIZED, 1000, err,
							  sizeof(err)) == -EINVAL);
	CU_ASSERT(strncmp(err, "anagrpid:", 9) == 0);
	/* A global listener has no ANA state of its own. */
	nvtcp_tgt_listener_opts_init(&lo);
	lo.ana_state = NVTCP_TGT_ANA_INACCESSIBLE;
	CU_ASSERT(nvtcp_tgt_add_listener_ext(g_ut_tgt, "127.0.0.1", "5422", &lo, err,
					     sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "ana_state") != NULL);
	lo.ana_state = (enum nvtcp_tgt_ana_state)9;
	CU_ASSERT(nvtcp_tgt_subsys_add_listener_ext(g_ut_tgt, UT_NQN, "127.0.0.1", "5423", &lo,
						    err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strncmp(err, "ana_state:", 10) == 0);
	/* A namespace's group must be one the subsystem can have. */
	nvtcp_tgt_ns_opts_init(&nso);
	nso.size = 1 << 20;
	nso.anagrpid = 100000;
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, UT_NQN, &nso, NULL, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "anagrpid") != NULL);
	ut_tgt_destroy();
}

static int
suite_init(void)
{
	return ut_env_setup("ana_ut");
}

static int
suite_fini(void)
{
	ut_env_teardown();
	return 0;
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("target_ana", suite_init, suite_fini);

	CU_ADD_TEST(s, test_state_names);
	CU_ADD_TEST(s, test_identify_and_log);
	CU_ADD_TEST(s, test_aen);
	CU_ADD_TEST(s, test_api_errors);
}

NVTCP_UT_MAIN(add_tests)
