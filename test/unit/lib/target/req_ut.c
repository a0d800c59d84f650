/*
 * Unit tests of lib/target/req.c: command validation (flags, opcodes, namespaces, SGL type
 * and length against the transfer, MDTS, LBA range, CID conflicts, controller state) and the
 * NVM I/O commands (read, write in-capsule and by R2T, flush, write zeroes, dataset
 * management, compare) on malloc and null namespaces.
 */
#include "tgt_ut.h"

#define GEN(sc) nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, (sc), true)

static struct ut_conn g_a, g_io;

static void
up(void)
{
	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	ut_admin_up(&g_a, false, false);
	ut_io_up(&g_io, &g_a, 1, false, false, 0);
}

static void
down(void)
{
	ut_conn_close(&g_io);
	ut_conn_close(&g_a);
	ut_tgt_destroy();
}

static int
exec_sgl(struct nvtcp_nvme_cmd *cmd, uint8_t sgl_id, uint32_t sgl_len, uint64_t addr,
	 const void *icd, uint32_t icd_len, void *out, uint32_t out_len)
{
	cmd->dptr.sgl1.id = sgl_id;
	cmd->dptr.sgl1.length = sgl_len;
	cmd->dptr.sgl1.address = addr;
	return ut_exec(&g_io, cmd, icd, icd_len, out, out_len, NULL);
}

static void
test_sgl_and_flags(void)
{
	struct nvtcp_nvme_cmd cmd;
	uint8_t buf[8192];
	uint16_t cid;

	up();
	memset(buf, 0, sizeof(buf));
	/* PRP (PSDT 0) and fused commands are refused. */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	cid = ut_cmd(&g_io, &cmd, NULL, 0, 512);
	{
		struct nvtcp_tcp_tx_pdu *pdu = malloc(sizeof(*pdu));

		ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
		cmd.cid = 500;
		cmd.flags = 0;
		nvtcp_nvme_sgl_set_transport(&cmd.dptr.sgl1, 512);
		nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
		pdu->hdr.cmd.ccsqe = cmd;
		ut_send_pdu(&g_io, pdu, NULL, 0);
		cmd.cid = 501;
		cmd.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL | NVTCP_NVME_CMD_FLAGS_FUSE_FIRST;
		pdu->hdr.cmd.ccsqe = cmd;
		nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
		pdu->hdr.cmd.ccsqe = cmd;
		ut_send_pdu(&g_io, pdu, NULL, 0);
		free(pdu);
	}
	CU_ASSERT(ut_wait(&g_io, cid, buf, 512, NULL) == 0); /* the first, proper read */
	CU_ASSERT(ut_wait(&g_io, 500, NULL, 0, NULL) == GEN(NVTCP_NVME_SC_INVALID_FIELD));
	CU_ASSERT(ut_wait(&g_io, 501, NULL, 0, NULL) == GEN(NVTCP_NVME_SC_INVALID_FIELD));

	/* Data block with an address (keyed/PRP-like): descriptor type invalid. */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	CU_ASSERT(exec_sgl(&cmd, 0x00, 512, 0x1000, NULL, 0, buf, 512) ==
		  GEN(NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID));
	/* In-capsule data for a read. */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	CU_ASSERT(exec_sgl(&cmd, NVTCP_NVME_SGL_ID_INCAPSULE, 512, 0, buf, 512, buf, 512) ==
		  GEN(NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID));
	/* In-capsule at a non-zero offset. */
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 1);
	CU_ASSERT(exec_sgl(&cmd, NVTCP_NVME_SGL_ID_INCAPSULE, 512, 64, buf, 512, NULL, 0) ==
		  GEN(NVTCP_NVME_SC_INVALID_SGL_OFFSET));
	/* SGL length and in-capsule length disagree. */
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 2);
	CU_ASSERT(exec_sgl(&cmd, NVTCP_NVME_SGL_ID_INCAPSULE, 1024, 0, buf, 512, NULL, 0) ==
		  GEN(NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID));
	/* Transfer length and NLB disagree. */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 4);
	CU_ASSERT(exec_sgl(&cmd, NVTCP_NVME_SGL_ID_TRANSPORT, 512, 0, NULL, 0, buf, 512) ==
		  GEN(NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID));
	/* A transport SGL with in-capsule data. */
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 1);
	CU_ASSERT(exec_sgl(&cmd, NVTCP_NVME_SGL_ID_TRANSPORT, 512, 0, buf, 512, NULL, 0) ==
		  GEN(NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID));
	/* Data with a command that has none. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FLUSH;
	cmd.nsid = 1;
	CU_ASSERT(exec_sgl(&cmd, NVTCP_NVME_SGL_ID_INCAPSULE, 512, 0, buf, 512, NULL, 0) ==
		  GEN(NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID));
	/* In-capsule above the queue's IOCCSZ (16 KiB). */
	{
		static uint8_t big[20480];

		ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 40);
		CU_ASSERT(exec_sgl(&cmd, NVTCP_NVME_SGL_ID_INCAPSULE, sizeof(big), 0, big,
				   sizeof(big), NULL, 0) ==
			  GEN(NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID));
	}
	/* Above MDTS (1 MiB): 2 MiB. */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 4096);
	CU_ASSERT(exec_sgl(&cmd, NVTCP_NVME_SGL_ID_TRANSPORT, 2u << 20, 0, NULL, 0, NULL, 0) ==
		  GEN(NVTCP_NVME_SC_INVALID_FIELD));
	/* Unsupported descriptor types are refused as such whatever their length: the type is
	 * judged first (a Last Segment of 16 or 512 bytes, a Keyed Data Block, a Segment, and a
	 * Last Segment on a command without data). */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	CU_ASSERT(exec_sgl(&cmd, 0x30, 16, 0x1000, NULL, 0, buf, 512) ==
		  GEN(NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID));
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	CU_ASSERT(exec_sgl(&cmd, 0x30, 512, 0x1000, NULL, 0, buf, 512) ==
		  GEN(NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID));
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 1);
	CU_ASSERT(exec_sgl(&cmd, 0x34, 1u << 30, 0, NULL, 0, NULL, 0) ==
		  GEN(NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID));
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	CU_ASSERT(exec_sgl(&cmd, 0x40, 0, 0x1000, NULL, 0, buf, 512) ==
		  GEN(NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID));
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	CU_ASSERT(exec_sgl(&cmd, 0x20, 48, 0x1000, NULL, 0, buf, 512) ==
		  GEN(NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID));
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FLUSH;
	cmd.nsid = 1;
	CU_ASSERT(exec_sgl(&cmd, 0x30, 16, 0x1000, NULL, 0, NULL, 0) ==
		  GEN(NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID));
	/* A command without data and an empty descriptor of any type is fine. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FLUSH;
	cmd.nsid = 1;
	CU_ASSERT(exec_sgl(&cmd, 0x30, 0, 0, NULL, 0, NULL, 0) == 0);
	/* The connection is still fine. */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, buf, 512, NULL) == 0);
	CU_ASSERT(!fake_sock_is_closed(g_io.fake));
	down();
}

static void
test_opcodes_and_namespaces(void)
{
	struct nvtcp_nvme_cmd cmd;
	uint8_t buf[4096];

	up();
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = 0x7E;
	cmd.nsid = 1;
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, NULL, 0, NULL) == GEN(NVTCP_NVME_SC_INVALID_OPCODE));
	/* An admin opcode on an I/O queue. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.cdw10 = 1;
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, buf, 4096, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_OPCODE));
	/* Property Get on an I/O queue. */
	CU_ASSERT(ut_prop(&g_io, false, NVTCP_NVME_PROP_CSTS, false, 0, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_OPCODE));
	/* NSIDs 0, 2, broadcast. */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	cmd.nsid = 0;
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, buf, 512, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT));
	cmd.nsid = 2;
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, buf, 512, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT));
	cmd.nsid = 0xFFFFFFFF;
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, buf, 512, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT));
	/* LBA range: 2048 blocks; the last one is fine, one more is not; overflow too. */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 2047, 1);
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, buf, 512, NULL) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 2047, 2);
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, buf, 1024, NULL) ==
		  GEN(NVTCP_NVME_SC_LBA_OUT_OF_RANGE));
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE_ZEROES, 0xFFFFFFFFFFFFFFFFull, 2);
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, NULL, 0, NULL) == GEN(NVTCP_NVME_SC_LBA_OUT_OF_RANGE));
	down();
}

static void
test_cid_conflict(void)
{
	struct nvtcp_nvme_cmd cmd;
	uint8_t pdus[144];
	int t, conflicts = 0, ok = 0;

	up();
	memset(pdus, 0, sizeof(pdus));
	for (int i = 0; i < 2; i++) {
		struct nvtcp_nvme_cmd *c = (void *)(pdus + 72 * i + 8);

		pdus[72 * i] = NVTCP_TCP_PDU_CAPSULE_CMD;
		pdus[72 * i + 2] = 72;
		pdus[72 * i + 4] = 72;
		c->opc = NVTCP_NVME_OPC_FLUSH;
		c->nsid = 1;
		c->cid = 77;
		c->flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	}
	ut_send(&g_io, pdus, sizeof(pdus));
	ut_poll();
	while ((t = ut_recv(&g_io)) == NVTCP_TCP_PDU_CAPSULE_RESP) {
		uint16_t st = ut_hdr(&g_io)->rsp.rccqe.status & 0xFFFE;

		conflicts += st == GEN(NVTCP_NVME_SC_COMMAND_ID_CONFLICT);
		ok += st == 0;
	}
	CU_ASSERT(ok == 1 && conflicts == 1);
	/* The CID is free again afterwards. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FLUSH;
	cmd.nsid = 1;
	cmd.cid = 77;
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, NULL, 0, NULL) == 0);
	down();
}

static void
test_io_commands(void)
{
	struct nvtcp_nvme_cmd cmd;
	static uint8_t data[65536], back[65536], zero[65536];
	struct nvtcp_nvme_dsm_range r[2] = {{.nlb = 8, .slba = 0}, {.nlb = 8, .slba = 64}};
	uint16_t cid;

	up();
	for (uint32_t i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i * 13 + 1);
	}
	/* In-capsule write, R2T write, reads back. */
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 16);
	cid = ut_cmd(&g_io, &cmd, data, 8192, 8192);
	CU_ASSERT(ut_wait(&g_io, cid, NULL, 0, NULL) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 16, 128);
	cid = ut_cmd(&g_io, &cmd, NULL, 0, 65536);
	ut_poll();
	CU_ASSERT_FATAL(ut_recv(&g_io) == NVTCP_TCP_PDU_R2T);
	{
		struct nvtcp_tcp_r2t r2t = ut_hdr(&g_io)->r2t;
		struct nvtcp_tcp_tx_pdu *pdu = malloc(sizeof(*pdu));

		CU_ASSERT(r2t.r2to == 0 && r2t.r2tl == 65536);
		nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_H2C_DATA);
		pdu->hdr.h2c_data.cccid = cid;
		pdu->hdr.h2c_data.ttag = r2t.ttag;
		pdu->hdr.ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
		ut_send_pdu(&g_io, pdu, data, 65536);
		free(pdu);
	}
	CU_ASSERT(ut_wait(&g_io, cid, NULL, 0, NULL) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 16);
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, back, 8192, NULL) == 0);
	CU_ASSERT(memcmp(back, data, 8192) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 16, 128);
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, back, 65536, NULL) == 0);
	CU_ASSERT(memcmp(back, data, 65536) == 0);
	/* Compare: equal, then one bit off. */
	ut_rw(&cmd, NVTCP_NVME_OPC_COMPARE, 0, 16);
	CU_ASSERT(ut_exec(&g_io, &cmd, data, 8192, NULL, 0, NULL) == 0);
	memcpy(back, data, 8192);
	back[4000] ^= 0x10;
	ut_rw(&cmd, NVTCP_NVME_OPC_COMPARE, 0, 16);
	CU_ASSERT(ut_exec(&g_io, &cmd, back, 8192, NULL, 0, NULL) ==
		  nvtcp_nvme_status(NVTCP_NVME_SCT_MEDIA_ERROR, NVTCP_NVME_SC_COMPARE_FAILURE, false));
	/* Write Zeroes. */
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE_ZEROES, 4, 4);
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, NULL, 0, NULL) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 16);
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, back, 8192, NULL) == 0);
	CU_ASSERT(memcmp(back, data, 2048) == 0);
	CU_ASSERT(memcmp(back + 2048, zero, 2048) == 0);
	CU_ASSERT(memcmp(back + 4096, data + 4096, 4096) == 0);
	/* Dataset Management: deallocate two ranges; a range out of bounds is refused. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_DATASET_MANAGEMENT;
	cmd.nsid = 1;
	cmd.cdw10 = 1;
	cmd.cdw11 = NVTCP_NVME_DSM_ATTR_DEALLOCATE;
	CU_ASSERT(ut_exec(&g_io, &cmd, r, sizeof(r), NULL, 0, NULL) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 64, 8);
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, back, 4096, NULL) == 0);
	CU_ASSERT(memcmp(back, zero, 4096) == 0);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_DATASET_MANAGEMENT;
	cmd.nsid = 1;
	cmd.cdw11 = NVTCP_NVME_DSM_ATTR_DEALLOCATE;
	r[0].slba = 2040;
	r[0].nlb = 16;
	CU_ASSERT(ut_exec(&g_io, &cmd, r, 16, NULL, 0, NULL) == GEN(NVTCP_NVME_SC_LBA_OUT_OF_RANGE));
	/* Flush. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FLUSH;
	cmd.nsid = 1;
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, NULL, 0, NULL) == 0);
	CU_ASSERT(g_io.conn->stats.io.write_cmds == 2);
	CU_ASSERT(g_io.conn->stats.io.bytes_written == 8192 + 65536);
	down();
}

static void
test_null_backend_and_4k(void)
{
	struct nvtcp_tgt_ns_opts nso;
	struct nvtcp_nvme_cmd cmd;
	static uint8_t data[8192], back[8192];
	char err[128];
	uint32_t nsid = 0;
	uint16_t cid;

	up();
	nvtcp_tgt_ns_opts_init(&nso);
	nso.backend = NVTCP_TGT_BACKEND_NULL;
	nso.size = 1 << 30;
	nso.block_size = 4096;
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, UT_NQN, &nso, &nsid, err, sizeof(err)) == 0);
	CU_ASSERT(nsid == 2);
	ut_poll();
	memset(data, 0xEE, sizeof(data));
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 7, 2);
	cmd.nsid = 2;
	cid = ut_cmd(&g_io, &cmd, data, 8192, 8192);
	CU_ASSERT(ut_wait(&g_io, cid, NULL, 0, NULL) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 7, 2);
	cmd.nsid = 2;
	memset(back, 1, sizeof(back));
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, back, 8192, NULL) == 0);
	memset(data, 0, sizeof(data));
	CU_ASSERT(memcmp(back, data, sizeof(back)) == 0);
	/* 4 KiB blocks: 512 bytes is not a whole block. */
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	cmd.nsid = 2;
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, back, 512, NULL) ==
		  GEN(NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID));
	/* Removing the namespace: commands for it fail, the queue stays. */
	CU_ASSERT(nvtcp_tgt_remove_ns(g_ut_tgt, UT_NQN, 2) == 0);
	ut_poll();
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 1);
	cmd.nsid = 2;
	CU_ASSERT(ut_exec(&g_io, &cmd, NULL, 0, back, 4096, NULL) ==
		  GEN(NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT));
	CU_ASSERT(TAILQ_EMPTY(&g_ut_tgt->dying_ns));
	down();
}

static void
test_not_ready(void)
{
	struct ut_conn u;
	struct nvtcp_nvme_cmd cmd;
	uint8_t buf[4096];

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	CU_ASSERT_FATAL(ut_conn_open(&u) == 0);
	ut_icreq(&u, false, false, 0);
	/* Before Connect: only Connect. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.cdw10 = 1;
	CU_ASSERT(ut_exec(&u, &cmd, NULL, 0, buf, 4096, NULL) == GEN(NVTCP_NVME_SC_INVALID_OPCODE));
	CU_ASSERT(ut_connect(&u, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	/* Before CC.EN: Command Sequence Error. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.cdw10 = 1;
	CU_ASSERT(ut_exec(&u, &cmd, NULL, 0, buf, 4096, NULL) ==
		  GEN(NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR));
	/* A second Connect on a connected queue. */
	CU_ASSERT(ut_connect(&u, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) ==
		  GEN(NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR));
	ut_conn_close(&u);
	ut_tgt_destroy();
}

static int
suite_init(void)
{
	return ut_env_setup("req_ut");
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
	CU_pSuite s = CU_add_suite("target_req", suite_init, suite_fini);

	CU_ADD_TEST(s, test_sgl_and_flags);
	CU_ADD_TEST(s, test_opcodes_and_namespaces);
	CU_ADD_TEST(s, test_cid_conflict);
	CU_ADD_TEST(s, test_io_commands);
	CU_ADD_TEST(s, test_null_backend_and_4k);
	CU_ADD_TEST(s, test_not_ready);
}

NVTCP_UT_MAIN(add_tests)
