/*
 * Unit tests of lib/nvme/ns_cmd.c: NVM commands end to end against the fake controller's RAM
 * namespaces (with and without digests), iovecs, splitting, Write Zeroes, Dataset Management,
 * Flush, Compare, raw commands, FUA, and the argument and LBA range checks.
 */
#include "nvme_ut.h"

struct env {
	struct fake_ctrlr *fc;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qp;
	struct nvtcp_ns *ns;
};

static void
env_setup(struct env *e, struct fake_ctrlr_cfg *cfg, bool digests)
{
	struct nvtcp_ctrlr_opts o;
	int rc;

	memset(e, 0, sizeof(*e));
	e->fc = fake_ctrlr_create(cfg);
	ut_opts(&o);
	o.hdgst = digests;
	o.ddgst = digests;
	CU_ASSERT_FATAL(ut_attach(e->fc, &o, UT_SUBNQN, &e->c) == 0);
	e->qp = nvtcp_ctrlr_alloc_io_qpair(e->c, NULL, &rc);
	CU_ASSERT_FATAL(e->qp != NULL);
	e->ns = nvtcp_ctrlr_get_ns(e->c, 1);
}

static void
env_teardown(struct env *e)
{
	CU_ASSERT_EQUAL(nvtcp_ctrlr_free_io_qpair(e->qp), 0);
	ut_teardown(e->fc, e->c);
}

static void
write_read(bool digests, uint32_t c2h_max, bool success, uint32_t r2t_chunk, uint32_t blocks)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct ut_cpl u = {0};
	static uint8_t data[1024 * 1024], buf[1024 * 1024];
	size_t len = (size_t)blocks * 512;

	fake_ctrlr_cfg_init(&cfg);
	cfg.c2h_pdu_max = c2h_max;
	cfg.c2h_success = success;
	cfg.r2t_chunk = r2t_chunk;
	cfg.r2t_at_once = 2;
	cfg.maxh2cdata = 16384;
	cfg.ns_blocks = 4096;
	env_setup(&e, &cfg, digests);
	ut_fill(data, len, blocks);
	memset(buf, 0, len);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, data, 7, blocks, ut_cpl_cb, &u, 0), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 1);
	CU_ASSERT_EQUAL(u.count, 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(fake_ctrlr_ns_data(e.fc, 1) + 7 * 512, data, len), 0);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 7, blocks, ut_cpl_cb, &u, 0), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 2);
	CU_ASSERT_EQUAL(u.count, 2);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(buf, data, len), 0);
	env_teardown(&e);
}

static void
test_write_read(void)
{
	write_read(false, 0, false, 0, 8);          /* in-capsule write */
	write_read(false, 0, false, 0, 200);        /* R2T write, one R2T, H2CData split */
	write_read(true, 4096, true, 8192, 200);    /* digests, 2 R2Ts at once, C2H split */
	write_read(true, 0, false, 0, 2047);        /* about 1 MiB: one command */
	write_read(false, 65536, true, 65536, 2047);
}

static void
test_iovecs(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct ut_cpl u = {0};
	static uint8_t a[1000], b[3000], cbuf[4192], out[8192];
	struct iovec iov[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {cbuf, sizeof(cbuf)}};
	struct iovec riov[64];

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, true);
	ut_fill(a, sizeof(a), 1);
	ut_fill(b, sizeof(b), 2);
	ut_fill(cbuf, sizeof(cbuf), 3);
	/* 16 blocks = 8192 bytes = exactly the three buffers (in capsule, data digest). */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_writev(e.ns, e.qp, 0, 16, iov, 3, ut_cpl_cb, &u, 0), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(fake_ctrlr_ns_data(e.fc, 1), a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(memcmp(fake_ctrlr_ns_data(e.fc, 1) + 1000, b, sizeof(b)), 0);
	CU_ASSERT_EQUAL(memcmp(fake_ctrlr_ns_data(e.fc, 1) + 4000, cbuf, sizeof(cbuf)), 0);
	/* Read back into 64 iovecs of 128 bytes. */
	for (int i = 0; i < 64; i++) {
		riov[i].iov_base = out + i * 128;
		riov[i].iov_len = 128;
	}
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_readv(e.ns, e.qp, 0, 16, riov, 64, ut_cpl_cb, &u, 0), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 2);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(memcmp(out, fake_ctrlr_ns_data(e.fc, 1), 8192), 0);
	/* Too many iovecs, or too short. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_readv(e.ns, e.qp, 0, 16, riov, 65, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_readv(e.ns, e.qp, 0, 17, riov, 64, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_readv(e.ns, e.qp, 0, 1, riov, 0, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_readv(e.ns, e.qp, 0, 1, NULL, 1, ut_cpl_cb, &u, 0), -EINVAL);
	env_teardown(&e);
}

static void
test_range_checks(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct ut_cpl u = {0};
	uint8_t buf[512];
	struct nvtcp_nvme_dsm_range r = {.slba = 2040, .nlb = 9};

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, false);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 0, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 2048, 1, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 2047, 2, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, UINT64_MAX, 2, ut_cpl_cb, &u, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 0, 1, ut_cpl_cb, &u, 1u << 29), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, NULL, 0, 1, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, buf, 2048, 1, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write_zeroes(e.ns, e.qp, 0, 0, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write_zeroes(e.ns, e.qp, 1, 2048, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_compare(e.ns, e.qp, buf, 2048, 1, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_dataset_management(e.ns, e.qp, 4, &r, 1, ut_cpl_cb, &u),
			-EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_dataset_management(e.ns, e.qp, 4, &r, 0, ut_cpl_cb, &u),
			-EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(NULL, e.qp, buf, 0, 1, ut_cpl_cb, &u, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, NULL, buf, 0, 1, ut_cpl_cb, &u, 0), -EINVAL);
	/* The admin queue pair is not an I/O queue pair. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.c->adminq, buf, 0, 1, ut_cpl_cb, &u, 0), -EINVAL);
	ut_rounds(e.fc, NULL, e.qp, 3);
	CU_ASSERT_EQUAL(u.count, 0);
	CU_ASSERT_EQUAL(fake_ctrlr_count(e.fc, 1, NVTCP_NVME_OPC_READ, -1), 0);
	env_teardown(&e);
}

static void
test_other_commands(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct ut_cpl u = {0};
	static uint8_t buf[8192];
	uint8_t *store;
	struct nvtcp_nvme_dsm_range r[2] = {{.slba = 0, .nlb = 2}, {.slba = 10, .nlb = 1}};
	struct nvtcp_nvme_cmd cmd;
	const struct fake_cmd_record *rec;

	fake_ctrlr_cfg_init(&cfg);
	env_setup(&e, &cfg, false);
	store = fake_ctrlr_ns_data(e.fc, 1);
	memset(store, 0xEE, 2048 * 512);

	/* Write Zeroes, split at 65536 blocks only (no data): here one command. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write_zeroes(e.ns, e.qp, 100, 50, ut_cpl_cb, &u,
						  NVTCP_IO_FLAGS_FUA), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(store[100 * 512], 0);
	CU_ASSERT_EQUAL(store[150 * 512 - 1], 0);
	CU_ASSERT_EQUAL(store[150 * 512], 0xEE);
	rec = fake_ctrlr_last(e.fc, NVTCP_NVME_OPC_WRITE_ZEROES, -1);
	CU_ASSERT_EQUAL(rec->cmd.cdw12, 49 | NVTCP_NVME_RW_CDW12_FUA);
	CU_ASSERT_EQUAL(rec->cmd.dptr.sgl1.length, 0);

	/* Dataset Management: ranges copied at once (the caller's array may go away). */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_dataset_management(e.ns, e.qp, NVTCP_NVME_DSM_ATTR_DEALLOCATE,
							r, 2, ut_cpl_cb, &u), 0);
	memset(r, 0xFF, sizeof(r));
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 2);
	CU_ASSERT_EQUAL(u.errors, 0);
	rec = fake_ctrlr_last(e.fc, NVTCP_NVME_OPC_DATASET_MANAGEMENT, -1);
	CU_ASSERT_EQUAL(rec->cmd.cdw10, 1);
	CU_ASSERT_EQUAL(rec->cmd.cdw11, NVTCP_NVME_DSM_ATTR_DEALLOCATE);
	CU_ASSERT_EQUAL(rec->data_len, 32);
	CU_ASSERT_EQUAL(store[0], 0);
	CU_ASSERT_EQUAL(store[1023], 0);
	CU_ASSERT_EQUAL(store[1024], 0xEE);
	CU_ASSERT_EQUAL(store[10 * 512], 0);

	/* Flush. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_flush(e.ns, e.qp, ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 3);
	CU_ASSERT_EQUAL(fake_ctrlr_last(e.fc, NVTCP_NVME_OPC_FLUSH, -1)->cmd.nsid, 1);

	/* Compare: equal, then different (Compare Failure, SCT 2 SC 0x85). */
	memcpy(buf, store + 512 * 200, 1024);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_compare(e.ns, e.qp, buf, 200, 2, ut_cpl_cb, &u, 0), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 4);
	CU_ASSERT_EQUAL(u.errors, 0);
	buf[5] ^= 1;
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_compare(e.ns, e.qp, buf, 200, 2, ut_cpl_cb, &u, 0), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 5);
	CU_ASSERT_EQUAL(u.errors, 1);
	CU_ASSERT_EQUAL(ut_sct(&u.cpl), 2);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), 0x85);
	{
		struct iovec iov = {buf, 1024};

		CU_ASSERT_EQUAL(nvtcp_ns_cmd_comparev(e.ns, e.qp, 200, 2, &iov, 1, ut_cpl_cb, &u, 0),
				0);
		UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 6);
		CU_ASSERT_EQUAL(u.errors, 2);
	}

	/* Raw I/O command: a read. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_READ;
	cmd.nsid = 1;
	nvtcp_nvme_rw_set(&cmd, 100, 4, 0);
	CU_ASSERT_EQUAL(nvtcp_qpair_cmd_io_raw(e.qp, &cmd, buf, 2048, ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 7);
	CU_ASSERT_EQUAL(u.errors, 2);
	CU_ASSERT_EQUAL(memcmp(buf, store + 100 * 512, 2048), 0);
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	CU_ASSERT_EQUAL(nvtcp_qpair_cmd_io_raw(e.qp, &cmd, NULL, 0, ut_cpl_cb, &u), -EINVAL);
	cmd.opc = NVTCP_NVME_OPC_FLUSH;
	CU_ASSERT_EQUAL(nvtcp_qpair_cmd_io_raw(e.qp, &cmd, buf, 512, ut_cpl_cb, &u), -EINVAL);
	cmd.opc = NVTCP_NVME_OPC_READ;
	CU_ASSERT_EQUAL(nvtcp_qpair_cmd_io_raw(e.qp, &cmd, buf, 2 * 1024 * 1024, ut_cpl_cb, &u),
			-EINVAL);
	/* A raw command the controller refuses completes with its status. */
	cmd.opc = 0x7C;
	CU_ASSERT_EQUAL(nvtcp_qpair_cmd_io_raw(e.qp, &cmd, NULL, 0, ut_cpl_cb, &u), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 8);
	CU_ASSERT_EQUAL(ut_sc(&u.cpl), NVTCP_NVME_SC_INVALID_OPCODE);
	env_teardown(&e);
}

static void
test_split_large_and_dsm_pool(void)
{
	struct fake_ctrlr_cfg cfg;
	struct env e;
	struct ut_cpl u = {0};
	static uint8_t data[51200], buf[51200];
	struct nvtcp_nvme_dsm_range r = {.slba = 0, .nlb = 1};
	int ok = 0;

	fake_ctrlr_cfg_init(&cfg);
	cfg.cdata.mdts = 1;
	env_setup(&e, &cfg, true);
	ut_fill(data, sizeof(data), 4);
	/* 100 blocks with an 8 KiB limit: 6 x 16 blocks + 4. */
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_write(e.ns, e.qp, data, 1000, 100, ut_cpl_cb, &u, 0), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 1);
	CU_ASSERT_EQUAL(u.errors, 0);
	CU_ASSERT_EQUAL(fake_ctrlr_count(e.fc, 1, NVTCP_NVME_OPC_WRITE, -1), 7);
	CU_ASSERT_EQUAL(nvtcp_nvme_rw_nlb(&fake_ctrlr_last(e.fc, NVTCP_NVME_OPC_WRITE, -1)->cmd), 4);
	CU_ASSERT_EQUAL(nvtcp_ns_cmd_read(e.ns, e.qp, buf, 1000, 100, ut_cpl_cb, &u, 0), 0);
	UT_RUN_UNTIL(e.fc, NULL, e.qp, u.count == 2);
	CU_ASSERT_EQUAL(memcmp(buf, data, sizeof(data)), 0);
	/* DSM range buffers are a bounded pool: -EAGAIN when all are in use. */
	fake_conn_set_manual(fake_ctrlr_conn(e.fc, 1), true);
	for (int i = 0; i < 20; i++) {
		if (nvtcp_ns_cmd_dataset_management(e.ns, e.qp, 4, &r, 1, ut_cpl_cb, &u) == 0) {
			ok++;
		}
	}
	CU_ASSERT_EQUAL(ok, 16);
	env_teardown(&e);
	CU_ASSERT_EQUAL(u.count, 2 + 16);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("ns_cmd", NULL, NULL);

	CU_ADD_TEST(s, test_write_read);
	CU_ADD_TEST(s, test_iovecs);
	CU_ADD_TEST(s, test_range_checks);
	CU_ADD_TEST(s, test_other_commands);
	CU_ADD_TEST(s, test_split_large_and_dsm_pool);
}

NVTCP_UT_MAIN(add_tests)
