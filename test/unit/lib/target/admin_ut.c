/*
 * Unit tests of lib/target/admin.c: Identify (controller, namespace, lists, descriptors, for
 * NVM and discovery controllers), Get Log Page (every page, offsets, partial lengths, bad
 * offsets, unknown pages, the discovery log), Get/Set Features.
 */
#include "tgt_ut.h"

#define GEN(sc) nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, (sc), true)
#define CS(sc) nvtcp_nvme_status(NVTCP_NVME_SCT_COMMAND_SPECIFIC, (sc), true)

static int
identify(struct ut_conn *u, uint8_t cns, uint32_t nsid, void *buf)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.nsid = nsid;
	cmd.cdw10 = cns;
	return ut_exec(u, &cmd, NULL, 0, buf, 4096, NULL);
}

static int
get_log(struct ut_conn *u, uint8_t lid, bool rae, void *buf, uint32_t len, uint64_t off)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_GET_LOG_PAGE;
	cmd.nsid = 0xFFFFFFFF;
	nvtcp_nvme_get_log_page_set(&cmd, lid, rae, len, off);
	return ut_exec(u, &cmd, NULL, 0, buf, len, NULL);
}

static int
feature(struct ut_conn *u, bool set, uint32_t cdw10, uint32_t cdw11, void *buf, uint32_t len,
	uint32_t *cdw0)
{
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_nvme_cpl cpl;
	int st;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = set ? NVTCP_NVME_OPC_SET_FEATURES : NVTCP_NVME_OPC_GET_FEATURES;
	cmd.cdw10 = cdw10;
	cmd.cdw11 = cdw11;
	if (set && len > 0) {
		st = ut_exec(u, &cmd, buf, len, NULL, 0, &cpl);
	} else {
		st = ut_exec(u, &cmd, NULL, 0, buf, len, &cpl);
	}
	if (cdw0 != NULL) {
		*cdw0 = cpl.cdw0;
	}
	return st;
}

static void
test_identify_controller(void)
{
	struct ut_conn u;
	uint8_t buf[4096];
	const struct nvtcp_nvme_ctrlr_data *cd = (const void *)buf;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	ut_admin_up(&u, false, false);
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_CTRLR, 0, buf) == 0);
	CU_ASSERT(memcmp(cd->sn, "NVTCP", 5) == 0);
	CU_ASSERT(memcmp(cd->mn, "nvtcp target", 12) == 0 && cd->mn[12] == ' ');
	CU_ASSERT(memcmp(cd->fr, "0.1.0   ", 8) == 0);
	CU_ASSERT(cd->mdts == 8);
	CU_ASSERT(cd->cntlid == u.cntlid);
	CU_ASSERT(cd->ver == 0x10300);
	CU_ASSERT(cd->cntrltype == NVTCP_NVME_CNTRLTYPE_IO);
	CU_ASSERT(cd->ctratt & NVTCP_NVME_CTRATT_HOST_ID_128_BIT);
	CU_ASSERT(cd->oacs == 0);
	CU_ASSERT(cd->acl == 3 && cd->aerl == 3);
	CU_ASSERT(cd->lpa == (NVTCP_NVME_LPA_COMMAND_EFFECTS | NVTCP_NVME_LPA_EXTENDED_DATA));
	CU_ASSERT(cd->elpe == 15);
	CU_ASSERT(cd->kas == 10);
	CU_ASSERT(cd->sqes == 0x66 && cd->cqes == 0x44);
	CU_ASSERT(cd->maxcmd == 128);
	CU_ASSERT(cd->nn == 32);
	CU_ASSERT(cd->oncs == (NVTCP_NVME_ONCS_COMPARE | NVTCP_NVME_ONCS_DSM |
			       NVTCP_NVME_ONCS_WRITE_ZEROES));
	CU_ASSERT(cd->vwc == NVTCP_NVME_VWC_PRESENT);
	CU_ASSERT(cd->sgls == (NVTCP_NVME_SGLS_SUPPORTED | NVTCP_NVME_SGLS_ADDRESS_AS_OFFSET |
			       NVTCP_NVME_SGLS_TRANSPORT));
	CU_ASSERT(strcmp(cd->subnqn, UT_NQN) == 0);
	CU_ASSERT(cd->ioccsz == (16384 + 64) / 16 && cd->iorcsz == 1 && cd->icdoff == 0);
	CU_ASSERT(cd->msdbd == 1 && cd->fcatt == 0);
	CU_ASSERT(cd->ofcs == NVTCP_NVME_OFCS_DISCONNECT);
	CU_ASSERT(cd->oaes == (NVTCP_NVME_OAES_NS_ATTRIBUTE_NOTICES |
			       NVTCP_NVME_OAES_ANA_CHANGE_NOTICES));
	/* ANA reporting (ana_ut.c checks the ANA fields). */
	CU_ASSERT(cd->cmic == (NVTCP_NVME_CMIC_MULTI_PORT | NVTCP_NVME_CMIC_MULTI_CTRLR |
			       NVTCP_NVME_CMIC_ANA));
	/* Unknown CNS. */
	CU_ASSERT(identify(&u, 0x10, 0, buf) == GEN(NVTCP_NVME_SC_INVALID_FIELD));
	/* The NVM command set specific controller data (CSI 0): zeroes; other CSIs: invalid. */
	{
		struct nvtcp_nvme_cmd cmd;
		uint8_t zero[4096] = {0};

		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
		cmd.cdw10 = NVTCP_NVME_IDENTIFY_CTRLR_IOCS;
		memset(buf, 0xFF, sizeof(buf));
		CU_ASSERT(ut_exec(&u, &cmd, NULL, 0, buf, 4096, NULL) == 0);
		CU_ASSERT(memcmp(buf, zero, sizeof(buf)) == 0);
		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
		cmd.cdw10 = NVTCP_NVME_IDENTIFY_CTRLR_IOCS;
		cmd.cdw11 = (uint32_t)NVTCP_NVME_CSI_ZNS << 24;
		CU_ASSERT(ut_exec(&u, &cmd, NULL, 0, buf, 4096, NULL) ==
			  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	}
	ut_conn_close(&u);
	ut_tgt_destroy();
}

static void
test_identify_namespaces(void)
{
	struct ut_conn u;
	struct nvtcp_tgt_ns_opts nso;
	uint8_t buf[4096], zero[4096] = {0};
	const struct nvtcp_nvme_ns_data *nd = (const void *)buf;
	const uint32_t *list = (const void *)buf;
	char err[128];

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	nvtcp_tgt_ns_opts_init(&nso);
	nso.nsid = 5;
	nso.size = 8 << 20;
	nso.block_size = 4096;
	for (int i = 0; i < 16; i++) {
		nso.uuid[i] = (uint8_t)(0x10 + i);
	}
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, UT_NQN, &nso, NULL, err, sizeof(err)) == 0);
	ut_admin_up(&u, false, false);
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_NS, 5, buf) == 0);
	CU_ASSERT(nd->nsze == 2048 && nd->ncap == 2048 && nd->nuse == 2048);
	CU_ASSERT(nd->nlbaf == 0 && nd->flbas == 0);
	CU_ASSERT(nvtcp_nvme_ns_block_size(nd) == 4096);
	CU_ASSERT(nd->nmic == NVTCP_NVME_NMIC_SHARED);
	CU_ASSERT((nd->dlfeat & NVTCP_NVME_DLFEAT_READ_MASK) == NVTCP_NVME_DLFEAT_READ_ZEROES);
	/* The NGUID defaults to the UUID. */
	CU_ASSERT(memcmp(nd->nguid, nso.uuid, 16) == 0);
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_NS, 1, buf) == 0);
	CU_ASSERT(nvtcp_nvme_ns_block_size(nd) == 512 && nd->nsze == 2048);
	/* Inactive NSID in range: zeroes. Out of range and broadcast: invalid. */
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_NS, 2, buf) == 0);
	CU_ASSERT(memcmp(buf, zero, sizeof(buf)) == 0);
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_NS, 33, buf) ==
		  GEN(NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT));
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_NS, 0xFFFFFFFF, buf) ==
		  GEN(NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT));
	/* Active lists: all, and after NSID 1. */
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST, 0, buf) == 0);
	CU_ASSERT(list[0] == 1 && list[1] == 5 && list[2] == 0);
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST, 1, buf) == 0);
	CU_ASSERT(list[0] == 5 && list[1] == 0);
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST, 0xFFFFFFFE, buf) ==
		  GEN(NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT));
	/* Descriptors: NGUID, UUID, CSI. */
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST, 5, buf) == 0);
	CU_ASSERT(buf[0] == NVTCP_NVME_NIDT_NGUID && buf[1] == 16);
	CU_ASSERT(buf[20] == NVTCP_NVME_NIDT_UUID && buf[21] == 16);
	CU_ASSERT(memcmp(buf + 24, nso.uuid, 16) == 0);
	CU_ASSERT(buf[40] == NVTCP_NVME_NIDT_CSI && buf[41] == 1 && buf[44] == NVTCP_NVME_CSI_NVM);
	CU_ASSERT(identify(&u, NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST, 2, buf) ==
		  GEN(NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT));
	ut_conn_close(&u);
	ut_tgt_destroy();
}

static void
test_log_pages(void)
{
	struct ut_conn u, io;
	struct nvtcp_nvme_cmd cmd;
	uint8_t buf[4096], part[64];
	const struct nvtcp_nvme_error_log_entry *e = (const void *)buf;
	const struct nvtcp_nvme_health_log *h = (const void *)buf;
	const struct nvtcp_nvme_firmware_log *fw = (const void *)buf;
	const uint32_t *eff = (const void *)buf;
	uint64_t v;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	ut_admin_up(&u, false, false);
	ut_io_up(&io, &u, 1, false, false, 0);
	/* Two errors on the admin queue. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = 0xC1;
	CU_ASSERT(ut_exec(&u, &cmd, NULL, 0, NULL, 0, NULL) == GEN(NVTCP_NVME_SC_INVALID_OPCODE));
	cmd.opc = 0xC3;
	cmd.cid = 0;
	CU_ASSERT(ut_exec(&u, &cmd, NULL, 0, NULL, 0, NULL) == GEN(NVTCP_NVME_SC_INVALID_OPCODE));
	CU_ASSERT(get_log(&u, NVTCP_NVME_LOG_ERROR, false, buf, 16 * 64, 0) == 0);
	CU_ASSERT(e[0].error_count == 2 && e[1].error_count == 1 && e[2].error_count == 0);
	CU_ASSERT(e[0].sqid == 0 && e[0].status == GEN(NVTCP_NVME_SC_INVALID_OPCODE));
	/* The same page from offset 64, 64 bytes: the second entry. */
	CU_ASSERT(get_log(&u, NVTCP_NVME_LOG_ERROR, false, part, 64, 64) == 0);
	CU_ASSERT(memcmp(part, &e[1], 64) == 0);
	/* Offsets: not a dword multiple, beyond the page. */
	CU_ASSERT(get_log(&u, NVTCP_NVME_LOG_ERROR, false, part, 64, 2) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	CU_ASSERT(get_log(&u, NVTCP_NVME_LOG_ERROR, false, part, 64, 4096) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	/* SMART after some I/O on the I/O queue. */
	for (int i = 0; i < 3; i++) {
		ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 8);
		CU_ASSERT(ut_exec(&io, &cmd, NULL, 0, buf, 4096, NULL) == 0);
	}
	CU_ASSERT(get_log(&u, NVTCP_NVME_LOG_HEALTH_INFORMATION, false, buf, 512, 0) == 0);
	memcpy(&v, h->host_read_commands, 8);
	CU_ASSERT(v == 3);
	memcpy(&v, h->data_units_read, 8);
	CU_ASSERT(v == 1);
	/* Two bad opcodes and two bad offsets. */
	memcpy(&v, h->num_error_info_log_entries, 8);
	CU_ASSERT(v == 4);
	CU_ASSERT(h->available_spare == 100);
	/* A longer read than the page: zero-filled. */
	memset(buf, 0xFF, sizeof(buf));
	CU_ASSERT(get_log(&u, NVTCP_NVME_LOG_HEALTH_INFORMATION, false, buf, 1024, 0) == 0);
	CU_ASSERT(buf[600] == 0 && buf[1023] == 0);
	/* Firmware slots. */
	CU_ASSERT(get_log(&u, NVTCP_NVME_LOG_FIRMWARE_SLOT, false, buf, 512, 0) == 0);
	CU_ASSERT(fw->afi == 1 && memcmp(fw->frs[0], "0.1.0   ", 8) == 0);
	/* Command effects. */
	CU_ASSERT(get_log(&u, NVTCP_NVME_LOG_COMMAND_EFFECTS, false, buf, 4096, 0) == 0);
	CU_ASSERT(eff[NVTCP_NVME_OPC_IDENTIFY] == 1);
	CU_ASSERT(eff[256 + NVTCP_NVME_OPC_WRITE] == 3);
	CU_ASSERT(eff[256 + NVTCP_NVME_OPC_READ] == 1);
	CU_ASSERT(eff[NVTCP_NVME_OPC_FORMAT_NVM] == 0);
	/* Unknown and discovery pages on an NVM controller. */
	CU_ASSERT(get_log(&u, 0x0A, false, buf, 512, 0) == CS(NVTCP_NVME_SC_INVALID_LOG_PAGE));
	CU_ASSERT(get_log(&u, NVTCP_NVME_LOG_DISCOVERY, false, buf, 1024, 0) ==
		  CS(NVTCP_NVME_SC_INVALID_LOG_PAGE));
	/* Length beyond MDTS. */
	{
		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = NVTCP_NVME_OPC_GET_LOG_PAGE;
		nvtcp_nvme_get_log_page_set(&cmd, NVTCP_NVME_LOG_ERROR, false, 2u << 20, 0);
		cmd.dptr.sgl1.id = NVTCP_NVME_SGL_ID_TRANSPORT;
		cmd.dptr.sgl1.length = 2u << 20;
		CU_ASSERT(ut_exec(&u, &cmd, NULL, 0, NULL, 0, NULL) == GEN(NVTCP_NVME_SC_INVALID_FIELD));
	}
	ut_conn_close(&io);
	ut_conn_close(&u);
	ut_tgt_destroy();
}

static void
test_discovery_controller(void)
{
	struct ut_conn d;
	struct nvtcp_tgt_subsys_opts so;
	uint8_t buf[4096];
	const struct nvtcp_nvme_ctrlr_data *cd = (const void *)buf;
	const struct nvtcp_nvmf_disc_log_hdr *hdr = (const void *)buf;
	const struct nvtcp_nvmf_disc_log_entry *e = (const void *)buf;
	char err[128];

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", "0", err, sizeof(err)) == 0);
	/* A subsystem this host may not see. */
	nvtcp_tgt_subsys_opts_init(&so);
	so.allow_any_host = false;
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, "nqn.2024-01.io.nvtcp:private", &so, err,
				       sizeof(err)) == 0);
	CU_ASSERT_FATAL(ut_conn_open(&d) == 0);
	/* The fake socket's local port is 4420; make it the listener's so that the current
	 * discovery entry names it. */
	fake_sock_set_addrs(d.fake, "127.0.0.1", nvtcp_tgt_listener_port(g_ut_tgt, 0),
			    "127.0.0.1", 50000);
	nvtcp_sock_getaddr(fake_sock_get_sock(d.fake), d.conn->local_addr, &d.conn->local_port,
			   NULL, NULL, sizeof(d.conn->local_addr));
	ut_icreq(&d, false, false, 0);
	CU_ASSERT(ut_connect(&d, 0, 31, NVTCP_NVMF_DISCOVERY_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	CU_ASSERT(ut_prop(&d, true, NVTCP_NVME_PROP_CC, false, NVTCP_NVME_CC_EN, NULL) == 0);
	CU_ASSERT(identify(&d, NVTCP_NVME_IDENTIFY_CTRLR, 0, buf) == 0);
	CU_ASSERT(cd->cntrltype == NVTCP_NVME_CNTRLTYPE_DISCOVERY);
	CU_ASSERT(strcmp(cd->subnqn, NVTCP_NVMF_DISCOVERY_NQN) == 0);
	CU_ASSERT(cd->oaes == NVTCP_NVME_OAES_DISCOVERY_LOG_CHANGE_NOTICES);
	CU_ASSERT(cd->nn == 0);
	CU_ASSERT(identify(&d, NVTCP_NVME_IDENTIFY_NS, 1, buf) == GEN(NVTCP_NVME_SC_INVALID_FIELD));
	/* Header: one NVM subsystem (the private one is hidden) + the current entry. */
	CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_DISCOVERY, false, buf, 1024, 0) == 0);
	CU_ASSERT(hdr->numrec == 2 && hdr->recfmt == 0 && hdr->genctr > 0);
	CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_DISCOVERY, false, buf, 1024, 1024) == 0);
	CU_ASSERT(e->trtype == NVTCP_NVMF_TRTYPE_TCP && e->adrfam == NVTCP_NVMF_ADRFAM_IPV4);
	CU_ASSERT(e->subtype == NVTCP_NVMF_SUBTYPE_NVME);
	CU_ASSERT(strcmp(e->subnqn, UT_NQN) == 0);
	CU_ASSERT(strcmp(e->traddr, "127.0.0.1") == 0);
	CU_ASSERT(atoi(e->trsvcid) == nvtcp_tgt_listener_port(g_ut_tgt, 0));
	CU_ASSERT(e->portid == 1 && e->cntlid == 0xFFFF && e->asqsz == 32);
	CU_ASSERT(e->treq == NVTCP_NVMF_TREQ_DISABLE_SQ_FLOW_CONTROL);
	/* The second entry, by offset and a partial length: its first 512 bytes. */
	CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_DISCOVERY, false, buf, 512, 2048) == 0);
	CU_ASSERT(e->subtype == NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT);
	CU_ASSERT(strcmp(e->subnqn, NVTCP_NVMF_DISCOVERY_NQN) == 0);
	CU_ASSERT(e->eflags == (NVTCP_NVMF_EFLAGS_DUPRETINFO | NVTCP_NVMF_EFLAGS_EPCSD));
	/* Beyond the log. */
	CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_DISCOVERY, false, buf, 512, 3 * 1024 + 4) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	/* Allowed now: three records, and a new generation. */
	{
		uint64_t gen;

		CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_DISCOVERY, false, buf, 1024, 0) == 0);
		gen = hdr->genctr;
		CU_ASSERT(nvtcp_tgt_subsys_add_host(g_ut_tgt, "nqn.2024-01.io.nvtcp:private",
						    UT_HOSTNQN, err, sizeof(err)) == 0);
		CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_DISCOVERY, false, buf, 1024, 0) == 0);
		CU_ASSERT(hdr->numrec == 3 && hdr->genctr != gen);
	}
	/* Only the discovery log page. */
	CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_ERROR, false, buf, 64, 0) ==
		  CS(NVTCP_NVME_SC_INVALID_LOG_PAGE));
	ut_conn_close(&d);
	ut_tgt_destroy();
}

/* A discovery controller of a host with an empty host NQN sees only what any host may see. */
static void
test_discovery_empty_hostnqn(void)
{
	struct ut_conn d;
	struct nvtcp_tgt_subsys_opts so;
	uint8_t buf[4096];
	const struct nvtcp_nvmf_disc_log_hdr *hdr = (const void *)buf;
	const struct nvtcp_nvmf_disc_log_entry *e = (const void *)buf;
	char err[128];

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", "0", err, sizeof(err)) == 0);
	nvtcp_tgt_subsys_opts_init(&so);
	so.allow_any_host = false;
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, "nqn.2024-01.io.nvtcp:private", &so, err,
				       sizeof(err)) == 0);
	CU_ASSERT(nvtcp_tgt_subsys_add_host(g_ut_tgt, "nqn.2024-01.io.nvtcp:private", UT_HOSTNQN,
					    err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(ut_conn_open(&d) == 0);
	fake_sock_set_addrs(d.fake, "127.0.0.1", nvtcp_tgt_listener_port(g_ut_tgt, 0),
			    "127.0.0.1", 50000);
	nvtcp_sock_getaddr(fake_sock_get_sock(d.fake), d.conn->local_addr, &d.conn->local_port,
			   NULL, NULL, sizeof(d.conn->local_addr));
	ut_icreq(&d, false, false, 0);
	CU_ASSERT(ut_connect(&d, 0, 31, NVTCP_NVMF_DISCOVERY_NQN, "", 0xFFFF, 0, NULL) == 0);
	CU_ASSERT(ut_prop(&d, true, NVTCP_NVME_PROP_CC, false, NVTCP_NVME_CC_EN, NULL) == 0);
	/* The any-host subsystem and the current entry; not the private one. */
	CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_DISCOVERY, false, buf, 1024, 0) == 0);
	CU_ASSERT(hdr->numrec == 2);
	CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_DISCOVERY, false, buf, 1024, 1024) == 0);
	CU_ASSERT(e->subtype == NVTCP_NVMF_SUBTYPE_NVME && strcmp(e->subnqn, UT_NQN) == 0);
	CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_DISCOVERY, false, buf, 1024, 2048) == 0);
	CU_ASSERT(e->subtype == NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT);
	/* Once the NVM subsystem lists hosts, it is hidden from the empty NQN as well. */
	CU_ASSERT(nvtcp_tgt_subsys_set_allow_any_host(g_ut_tgt, UT_NQN, false) == 0);
	CU_ASSERT(get_log(&d, NVTCP_NVME_LOG_DISCOVERY, false, buf, 1024, 0) == 0);
	CU_ASSERT(hdr->numrec == 1);
	ut_conn_close(&d);
	ut_tgt_destroy();
}

static void
test_features(void)
{
	struct ut_conn u;
	uint8_t hostid[16];
	uint32_t cdw0;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	ut_admin_up(&u, false, false);
	/* Number of Queues: the default is the maximum; ask for 4, then 200 (capped). */
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_NUMBER_OF_QUEUES, 0, NULL, 0, &cdw0) == 0);
	CU_ASSERT(cdw0 == ((64u - 1) | ((64u - 1) << 16)));
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_NUMBER_OF_QUEUES,
			  nvtcp_nvme_feat_num_queues(4, 4), NULL, 0, &cdw0) == 0);
	CU_ASSERT(cdw0 == 0x00030003);
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_NUMBER_OF_QUEUES,
			  nvtcp_nvme_feat_num_queues(200, 100), NULL, 0, &cdw0) == 0);
	CU_ASSERT(cdw0 == ((64u - 1) | ((64u - 1) << 16)));
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_NUMBER_OF_QUEUES, 0xFFFF, NULL, 0, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	/* Volatile write cache. */
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE, 0, NULL, 0, &cdw0) == 0);
	CU_ASSERT(cdw0 == 1);
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE, 0, NULL, 0, NULL) == 0);
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE, 0, NULL, 0, &cdw0) == 0);
	CU_ASSERT(cdw0 == 0);
	/* Default select reports the default. */
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE | (1u << 8), 0, NULL, 0,
			  &cdw0) == 0);
	CU_ASSERT(cdw0 == 1);
	/* Supported capabilities: changeable, not saveable. */
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE | (3u << 8), 0, NULL, 0,
			  &cdw0) == 0);
	CU_ASSERT(cdw0 == (1u << 2));
	/* Saving is not supported. */
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_VOLATILE_WRITE_CACHE |
			  NVTCP_NVME_SET_FEAT_CDW10_SV, 1, NULL, 0, NULL) ==
		  CS(NVTCP_NVME_SC_FEATURE_ID_NOT_SAVEABLE));
	/* Async event configuration: unsupported bits are refused. */
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION, 0xFF, NULL, 0, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	/* What SPDK's host sets: critical warnings 4:0 and namespace notices. */
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION,
			  0x1F | NVTCP_NVME_AEC_NS_ATTRIBUTE_NOTICES, NULL, 0, NULL) == 0);
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION, 0, NULL, 0, &cdw0) ==
		  0);
	CU_ASSERT(cdw0 == (0x1F | NVTCP_NVME_AEC_NS_ATTRIBUTE_NOTICES));
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION,
			  0x20 | NVTCP_NVME_AEC_NS_ATTRIBUTE_NOTICES, NULL, 0, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION,
			  NVTCP_NVME_AEC_NS_ATTRIBUTE_NOTICES, NULL, 0, NULL) == 0);
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION, 0, NULL, 0, &cdw0) ==
		  0);
	CU_ASSERT(cdw0 == NVTCP_NVME_AEC_NS_ATTRIBUTE_NOTICES);
	/* Keep Alive Timer. */
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_KEEP_ALIVE_TIMER, 15000, NULL, 0, NULL) == 0);
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_KEEP_ALIVE_TIMER, 0, NULL, 0, &cdw0) == 0);
	CU_ASSERT(cdw0 == 15000);
	CU_ASSERT(u.conn->ctrlr->ka_poller != NULL);
	/* Host Identifier: 128-bit only; cannot be set. */
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_HOST_IDENTIFIER, 1, hostid, 16, NULL) == 0);
	CU_ASSERT(memcmp(hostid, g_ut_hostid, 16) == 0);
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_HOST_IDENTIFIER, 0, hostid, 16, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_HOST_IDENTIFIER, 1, hostid, 16, NULL) ==
		  GEN(NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR));
	/* Power management: only state 0. Arbitration is stored. */
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_POWER_MANAGEMENT, 1, NULL, 0, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_ARBITRATION, 0x03020103, NULL, 0, NULL) == 0);
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_ARBITRATION, 0, NULL, 0, &cdw0) == 0);
	CU_ASSERT(cdw0 == 0x03020103);
	/* Unsupported features. */
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_LBA_RANGE_TYPE, 0, NULL, 0, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	/* Temperature Threshold (mandatory; SPDK's identify needs it to print the health log):
	 * the composite temperature's over (default 343 K) and under (default 0) thresholds. */
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD, 0, NULL, 0, &cdw0) ==
		  0);
	CU_ASSERT(cdw0 == 343);
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD, 1u << 20, NULL, 0,
			  &cdw0) == 0);
	CU_ASSERT(cdw0 == 0);
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD, 350, NULL, 0, NULL) == 0);
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD, (1u << 20) | 260, NULL, 0,
			  NULL) == 0);
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD, 0, NULL, 0, &cdw0) ==
		  0);
	CU_ASSERT(cdw0 == 350);
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD, 1u << 20, NULL, 0,
			  &cdw0) == 0);
	CU_ASSERT(cdw0 == 260);
	/* Default (SEL 1) is still 343 K. */
	CU_ASSERT(feature(&u, false,
			  NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD |
				  (NVTCP_NVME_FEAT_SEL_DEFAULT << NVTCP_NVME_GET_FEAT_CDW10_SEL_SHIFT),
			  0, NULL, 0, &cdw0) == 0);
	CU_ASSERT(cdw0 == 343);
	/* No sensor 1, no THSEL 2. */
	CU_ASSERT(feature(&u, false, NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD, 1u << 16, NULL, 0,
			  NULL) == GEN(NVTCP_NVME_SC_INVALID_FIELD));
	CU_ASSERT(feature(&u, true, NVTCP_NVME_FEAT_TEMPERATURE_THRESHOLD, (2u << 20) | 300, NULL, 0,
			  NULL) == GEN(NVTCP_NVME_SC_INVALID_FIELD));
	ut_conn_close(&u);
	ut_tgt_destroy();
}

static int
suite_init(void)
{
	return ut_env_setup("admin_ut");
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
	CU_pSuite s = CU_add_suite("target_admin", suite_init, suite_fini);

	CU_ADD_TEST(s, test_identify_controller);
	CU_ADD_TEST(s, test_identify_namespaces);
	CU_ADD_TEST(s, test_log_pages);
	CU_ADD_TEST(s, test_discovery_controller);
	CU_ADD_TEST(s, test_discovery_empty_hostnqn);
	CU_ADD_TEST(s, test_features);
}

NVTCP_UT_MAIN(add_tests)
