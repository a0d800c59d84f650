/*
 * Unit tests of lib/target/limits.c: the per-address limit at accept, the per-host and
 * per-subsystem limits at Connect (with the status each refusal gets), the per-host share of
 * a reactor's buffers, the counters and snapshots, and that every teardown path (closed before
 * Connect, Connect refused before or after the charge, controller torn down, target destroyed)
 * brings the usage back to zero.
 */
#include "tgt_ut.h"

#define FAB(sc) nvtcp_nvme_status(NVTCP_NVME_SCT_COMMAND_SPECIFIC, (sc), true)
#define HOST_B "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-00000000000b"
#define SUBSYS_2 "nqn.2024-01.io.nvtcp:ut2"

static void
ut_opts(struct nvtcp_tgt_opts *o)
{
	nvtcp_tgt_opts_init(o);
	o->buf_count = 64;
}

/* The usage of \p key in a snapshot list (NULL when absent). */
static const struct nvtcp_tgt_usage *
find_usage(const struct nvtcp_tgt_usage *list, uint32_t n, const char *key)
{
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(list[i].key, key) == 0) {
			return &list[i];
		}
	}
	return NULL;
}

static void
expect_host(const char *hostnqn, uint32_t conns, uint32_t ioqs, uint32_t entries)
{
	struct nvtcp_tgt_limit_stats *st;
	const struct nvtcp_tgt_usage *u;

	CU_ASSERT_FATAL(nvtcp_tgt_get_limit_stats(g_ut_tgt, &st) == 0);
	u = find_usage(st->hosts, st->num_hosts, hostnqn);
	if (conns == 0) {
		CU_ASSERT(u == NULL);
	} else {
		CU_ASSERT_FATAL(u != NULL);
		CU_ASSERT(u->connections == conns);
		CU_ASSERT(u->io_queues == ioqs);
		CU_ASSERT(u->queue_entries == entries);
	}
	nvtcp_tgt_limit_stats_free(st);
}

/* Enable the controller of admin queue \p a and grant \p n I/O queues. */
static void
enable(struct ut_conn *a, uint32_t n)
{
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_nvme_cpl cpl;

	CU_ASSERT_FATAL(ut_prop(a, true, NVTCP_NVME_PROP_CC, false, nvtcp_nvme_cc_enable_value(0),
				NULL) == 0);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_SET_FEATURES;
	cmd.cdw10 = NVTCP_NVME_FEAT_NUMBER_OF_QUEUES;
	cmd.cdw11 = nvtcp_nvme_feat_num_queues(n, n);
	CU_ASSERT_FATAL(ut_exec(a, &cmd, NULL, 0, NULL, 0, &cpl) == 0);
}

static void
open_ic(struct ut_conn *u, bool ddgst)
{
	CU_ASSERT_FATAL(ut_conn_open(u) == 0);
	ut_icreq(u, false, ddgst, 0);
}

static void
expect_idle(void)
{
	CU_ASSERT(tgt_limits_idle(g_ut_tgt));
	CU_ASSERT(atomic_load(&g_ut_tgt->nconns) == 0);
	CU_ASSERT(TAILQ_EMPTY(&g_ut_tgt->pgs[0].hosts));
}

static void
test_per_addr(void)
{
	struct nvtcp_tgt_opts o;
	struct nvtcp_tgt_limit_stats *st;
	struct ut_conn u[4];
	struct nvtcp_sock *sock;
	struct fake_sock *fake;

	ut_opts(&o);
	o.max_connections_per_addr = 2;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 0, 512) != NULL);
	CU_ASSERT_FATAL(ut_conn_open(&u[0]) == 0);
	CU_ASSERT_FATAL(ut_conn_open(&u[1]) == 0);
	/* The third from 127.0.0.1 is refused before anything is allocated. */
	CU_ASSERT(ut_conn_open(&u[2]) != 0);
	CU_ASSERT(u[2].conn == NULL && fake_sock_is_closed(u[2].fake));
	CU_ASSERT(atomic_load(&g_ut_tgt->nconns) == 2);
	/* Another address is not affected. */
	memset(&u[3], 0, sizeof(u[3]));
	sock = fake_sock_create(&fake);
	CU_ASSERT_FATAL(sock != NULL);
	u[3].fake = fake;
	fake_sock_set_addrs(fake, "127.0.0.1", 4420, "127.0.0.2", 40000);
	CU_ASSERT(ut_conn_adopt(&u[3], &g_ut_tgt->pgs[0], sock, "127.0.0.2") == 0);
	CU_ASSERT_FATAL(nvtcp_tgt_get_limit_stats(g_ut_tgt, &st) == 0);
	CU_ASSERT(st->refusals[NVTCP_TGT_LIMIT_CONNECTIONS_PER_ADDR] == 1);
	CU_ASSERT(st->refusals[NVTCP_TGT_LIMIT_CONNECTIONS] == 0);
	CU_ASSERT(st->connections == 3);
	CU_ASSERT(st->num_addrs == 2 && st->num_hosts == 0);
	CU_ASSERT(find_usage(st->addrs, st->num_addrs, "127.0.0.1") != NULL &&
		  find_usage(st->addrs, st->num_addrs, "127.0.0.1")->connections == 2 &&
		  find_usage(st->addrs, st->num_addrs, "127.0.0.1")->refusals == 1);
	nvtcp_tgt_limit_stats_free(st);
	/* Closed before Connect: the address gets its slot back. */
	ut_conn_close(&u[0]);
	CU_ASSERT(atomic_load(&g_ut_tgt->nconns) == 2);
	ut_conn_close(&u[2]);
	CU_ASSERT(ut_conn_open(&u[2]) == 0);
	for (int i = 1; i < 4; i++) {
		ut_conn_close(&u[i]);
	}
	expect_idle();
	ut_tgt_destroy();
	CU_ASSERT(strcmp(nvtcp_tgt_limit_name(NVTCP_TGT_LIMIT_CONNECTIONS_PER_ADDR),
			 "max_connections_per_addr") == 0);
	CU_ASSERT(strcmp(nvtcp_tgt_limit_name(NVTCP_TGT_LIMIT_COUNT), "?") == 0);
}

static void
test_per_host_queues(void)
{
	struct nvtcp_tgt_opts o;
	struct nvtcp_tgt_limit_stats *st;
	struct ut_conn a, q1, q2, q3, q1b, b, c, other;

	ut_opts(&o);
	o.max_connections_per_host = 4;
	o.max_io_queues_per_host = 2;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	open_ic(&a, false);
	CU_ASSERT_FATAL(ut_connect(&a, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	enable(&a, 4);
	expect_host(UT_HOSTNQN, 1, 0, 32);
	open_ic(&q1, false);
	CU_ASSERT(ut_connect(&q1, 1, 15, UT_NQN, UT_HOSTNQN, a.cntlid, 0, NULL) == 0);
	expect_host(UT_HOSTNQN, 2, 1, 48);
	/* Charged on M, then refused on the controller's reactor (qid 1 taken): uncharged. */
	open_ic(&q1b, false);
	CU_ASSERT(ut_connect(&q1b, 1, 15, UT_NQN, UT_HOSTNQN, a.cntlid, 0, NULL) ==
		  FAB(NVTCP_NVMF_SC_CONTROLLER_BUSY));
	ut_poll();
	expect_host(UT_HOSTNQN, 2, 1, 48);
	open_ic(&q2, false);
	CU_ASSERT(ut_connect(&q2, 2, 15, UT_NQN, UT_HOSTNQN, a.cntlid, 0, NULL) == 0);
	expect_host(UT_HOSTNQN, 3, 2, 64);
	/* A third I/O queue: max_io_queues_per_host. */
	open_ic(&q3, false);
	CU_ASSERT(ut_connect(&q3, 3, 15, UT_NQN, UT_HOSTNQN, a.cntlid, 0, NULL) ==
		  FAB(NVTCP_NVMF_SC_CONTROLLER_BUSY));
	CU_ASSERT(q3.conn->state == TGT_CONN_CONNECT_WAIT);
	expect_host(UT_HOSTNQN, 3, 2, 64);
	/* A second controller fits (4 queues), a third does not. */
	open_ic(&b, false);
	CU_ASSERT(ut_connect(&b, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	open_ic(&c, false);
	CU_ASSERT(ut_connect(&c, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) ==
		  FAB(NVTCP_NVMF_SC_CONTROLLER_BUSY));
	expect_host(UT_HOSTNQN, 4, 2, 96);
	/* Another host is not affected. */
	open_ic(&other, false);
	CU_ASSERT(ut_connect(&other, 0, 31, UT_NQN, HOST_B, 0xFFFF, 0, NULL) == 0);
	expect_host(HOST_B, 1, 0, 32);
	CU_ASSERT_FATAL(nvtcp_tgt_get_limit_stats(g_ut_tgt, &st) == 0);
	CU_ASSERT(st->refusals[NVTCP_TGT_LIMIT_IO_QUEUES_PER_HOST] == 1);
	CU_ASSERT(st->refusals[NVTCP_TGT_LIMIT_CONNECTIONS_PER_HOST] == 1);
	CU_ASSERT(st->refusals[NVTCP_TGT_LIMIT_QUEUE_ENTRIES_PER_HOST] == 0);
	CU_ASSERT(find_usage(st->hosts, st->num_hosts, UT_HOSTNQN)->refusals == 2);
	CU_ASSERT(st->num_subsys == 1 && st->subsys[0].connections == 5 &&
		  st->subsys[0].io_queues == 2);
	nvtcp_tgt_limit_stats_free(st);
	/* The first controller goes (its I/O queues with it): room for the refused ones. */
	fake_sock_rx_close(a.fake);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(q1.fake) && fake_sock_is_closed(q2.fake));
	expect_host(UT_HOSTNQN, 1, 0, 32);
	CU_ASSERT(ut_connect(&c, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	expect_host(UT_HOSTNQN, 2, 0, 64);
	/* Disconnect some; the ones left are closed by the destroy (which checks the tables
	 * are empty once every connection is gone). */
	ut_conn_close(&a);
	ut_conn_close(&q1);
	ut_conn_close(&q1b);
	ut_conn_close(&q2);
	ut_conn_close(&q3);
	ut_conn_close(&b);
	expect_host(UT_HOSTNQN, 1, 0, 32);
	ut_tgt_destroy();
	CU_ASSERT(g_ut_destroyed);
	ut_conn_close(&c);
	ut_conn_close(&other);
}

static void
test_per_host_entries_and_subsys(void)
{
	struct nvtcp_tgt_opts o;
	struct nvtcp_tgt_limit_stats *st;
	struct nvtcp_nvme_cpl cpl;
	struct ut_conn a, q, b, d;
	char err[256];

	ut_opts(&o);
	o.max_queue_entries_per_host = 80;
	o.max_connections_per_subsys = 2;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	CU_ASSERT_FATAL(nvtcp_tgt_add_subsys(g_ut_tgt, SUBSYS_2, NULL, err, sizeof(err)) == 0);
	open_ic(&a, false);
	CU_ASSERT_FATAL(ut_connect(&a, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	enable(&a, 2);
	/* 32 + 64 > 80: Invalid Parameters on SQSIZE (byte 44 of the SQE); 32 + 48 fits. */
	open_ic(&q, false);
	CU_ASSERT(ut_connect(&q, 1, 63, UT_NQN, UT_HOSTNQN, a.cntlid, 0, &cpl) ==
		  FAB(NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS));
	CU_ASSERT(nvtcp_nvmf_connect_rsp_ipo(cpl.cdw0) == 44);
	CU_ASSERT(nvtcp_nvmf_connect_rsp_iattr(cpl.cdw0) == 0);
	CU_ASSERT(ut_connect(&q, 1, 47, UT_NQN, UT_HOSTNQN, a.cntlid, 0, NULL) == 0);
	expect_host(UT_HOSTNQN, 2, 1, 80);
	/* The subsystem is full (2 queues) for every host; another subsystem is not. */
	open_ic(&b, false);
	CU_ASSERT(ut_connect(&b, 0, 31, UT_NQN, HOST_B, 0xFFFF, 0, NULL) ==
		  FAB(NVTCP_NVMF_SC_CONTROLLER_BUSY));
	CU_ASSERT(ut_connect(&b, 0, 31, SUBSYS_2, HOST_B, 0xFFFF, 0, NULL) == 0);
	/* The discovery subsystem counts as a subsystem of its own. */
	open_ic(&d, false);
	CU_ASSERT(ut_connect(&d, 0, 31, NVTCP_NVMF_DISCOVERY_NQN, HOST_B, 0xFFFF, 0, NULL) == 0);
	expect_host(HOST_B, 2, 0, 64);
	CU_ASSERT_FATAL(nvtcp_tgt_get_limit_stats(g_ut_tgt, &st) == 0);
	CU_ASSERT(st->refusals[NVTCP_TGT_LIMIT_QUEUE_ENTRIES_PER_HOST] == 1);
	CU_ASSERT(st->refusals[NVTCP_TGT_LIMIT_CONNECTIONS_PER_SUBSYS] == 1);
	CU_ASSERT(st->num_subsys == 3);
	CU_ASSERT(find_usage(st->subsys, st->num_subsys, UT_NQN)->connections == 2);
	CU_ASSERT(find_usage(st->subsys, st->num_subsys, UT_NQN)->refusals == 1);
	CU_ASSERT(find_usage(st->subsys, st->num_subsys, UT_NQN)->queue_entries == 80);
	nvtcp_tgt_limit_stats_free(st);
	/* Removing the subsystem tears its controllers down: their usage goes. */
	CU_ASSERT(nvtcp_tgt_remove_subsys(g_ut_tgt, UT_NQN) == 0);
	ut_poll();
	expect_host(UT_HOSTNQN, 0, 0, 0);
	expect_host(HOST_B, 2, 0, 64);
	ut_conn_close(&a);
	ut_conn_close(&q);
	ut_conn_close(&b);
	ut_conn_close(&d);
	expect_idle();
	ut_tgt_destroy();
}

/* Send a Connect without waiting for its answer. */
static void
send_connect(struct ut_conn *u, uint16_t qid, uint16_t cntlid)
{
	struct nvtcp_nvmf_connect_cmd cmd;
	struct nvtcp_nvmf_connect_data data;

	memset(&cmd, 0, sizeof(cmd));
	memset(&data, 0, sizeof(data));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.fctype = NVTCP_NVMF_FCTYPE_CONNECT;
	cmd.qid = qid;
	cmd.sqsize = 31;
	memcpy(data.hostid, g_ut_hostid, 16);
	data.cntlid = cntlid;
	snprintf(data.subnqn, sizeof(data.subnqn), "%s", UT_NQN);
	snprintf(data.hostnqn, sizeof(data.hostnqn), "%s", UT_HOSTNQN);
	ut_cmd(u, (void *)&cmd, &data, sizeof(data), 0);
}

static void
test_close_during_connect(void)
{
	struct ut_conn a, q;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	/* The admin queue closes while its Connect is charged on M. */
	open_ic(&a, false);
	send_connect(&a, 0, 0xFFFF);
	fake_sock_rx_close(a.fake);
	ut_poll();
	CU_ASSERT(fake_sock_is_closed(a.fake));
	expect_idle();
	CU_ASSERT(atomic_load(&g_ut_tgt->nctrlrs) == 0);
	ut_conn_close(&a);
	/* Same for an I/O queue of a live controller. */
	open_ic(&a, false);
	CU_ASSERT_FATAL(ut_connect(&a, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	enable(&a, 1);
	open_ic(&q, false);
	send_connect(&q, 1, a.cntlid);
	fake_sock_rx_close(q.fake);
	ut_poll();
	expect_host(UT_HOSTNQN, 1, 0, 32);
	CU_ASSERT(a.conn->ctrlr->nioq == 0);
	ut_conn_close(&q);
	ut_conn_close(&a);
	expect_idle();
	ut_tgt_destroy();
}

/* A 1 MiB write with its data to come by R2T (data digests force pool buffers). */
static uint16_t
write_1m(struct ut_conn *u, uint64_t slba)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_WRITE;
	cmd.nsid = 1;
	cmd.cdw10 = (uint32_t)slba;
	cmd.cdw12 = 2048 - 1;
	return ut_cmd(u, &cmd, NULL, 0, 1 << 20);
}

static void
test_host_buf_share(void)
{
	struct nvtcp_tgt_opts o;
	struct nvtcp_tgt_limit_stats *st;
	struct ut_conn a, q1, q2, other;
	struct tgt_pg *pg;

	/* 64 buffers of 64 KiB: one connection may hold 32, one host 32 (50 %). */
	ut_opts(&o);
	o.host_buf_share = 50;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 8 << 20, 512) != NULL);
	pg = &g_ut_tgt->pgs[0];
	CU_ASSERT(pg->host_buf_cap == 32 && pg->conn_buf_cap == 32);
	open_ic(&a, false);
	CU_ASSERT_FATAL(ut_connect(&a, 0, 31, UT_NQN, UT_HOSTNQN, 0xFFFF, 0, NULL) == 0);
	enable(&a, 2);
	open_ic(&q1, true);
	CU_ASSERT_FATAL(ut_connect(&q1, 1, 31, UT_NQN, UT_HOSTNQN, a.cntlid, 0, NULL) == 0);
	open_ic(&q2, true);
	CU_ASSERT_FATAL(ut_connect(&q2, 2, 31, UT_NQN, UT_HOSTNQN, a.cntlid, 0, NULL) == 0);
	CU_ASSERT_FATAL(q1.conn->host != NULL && q1.conn->host == q2.conn->host);
	/* Two 1 MiB writes on q1 take the host's 32 buffers: q2's waits for its host. */
	write_1m(&q1, 0);
	write_1m(&q1, 2048);
	ut_poll();
	CU_ASSERT(q1.conn->host->bufs_held == 32 && q1.conn->bufs_held == 32);
	write_1m(&q2, 4096);
	ut_poll();
	CU_ASSERT(q2.conn->bufs_held == 0);
	CU_ASSERT(pg->stats.io.host_buf_waits == 1);
	/* Another host still gets buffers from the same reactor. */
	open_ic(&other, true);
	CU_ASSERT_FATAL(ut_connect(&other, 0, 31, UT_NQN, HOST_B, 0xFFFF, 0, NULL) == 0);
	CU_ASSERT(other.conn->host != q1.conn->host);
	CU_ASSERT_FATAL(nvtcp_tgt_get_limit_stats(g_ut_tgt, &st) == 0);
	CU_ASSERT(st->host_buf_waits == 1);
	nvtcp_tgt_limit_stats_free(st);
	/* q1 goes: its buffers return, q2's write gets them. */
	ut_conn_close(&q1);
	ut_poll();
	CU_ASSERT(q2.conn->bufs_held == 16 && q2.conn->host->bufs_held == 16);
	ut_conn_close(&q2);
	ut_conn_close(&a);
	ut_conn_close(&other);
	expect_idle();
	CU_ASSERT(pg->bufs.nfree == pg->bufs.count);
	ut_tgt_destroy();
}

static void
test_opts(void)
{
	struct nvtcp_tgt_opts o;
	char err[128];

	nvtcp_tgt_opts_init(&o);
	CU_ASSERT(o.max_connections_per_addr == 256 && o.max_connections_per_host == 256);
	CU_ASSERT(o.max_io_queues_per_host == 256 && o.max_queue_entries_per_host == 32768);
	CU_ASSERT(o.max_connections_per_subsys == 0 && o.host_buf_share == 75);
	CU_ASSERT(nvtcp_tgt_opts_check(&o, err, sizeof(err)) == 0);
	o.host_buf_share = 0;
	CU_ASSERT(nvtcp_tgt_opts_check(&o, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "host_buf_share") != NULL);
	o.host_buf_share = 101;
	CU_ASSERT(nvtcp_tgt_opts_check(&o, err, sizeof(err)) == -EINVAL);
}

static int
suite_init(void)
{
	return ut_env_setup("limits_ut");
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
	CU_pSuite s = CU_add_suite("target_limits", suite_init, suite_fini);

	CU_ADD_TEST(s, test_opts);
	CU_ADD_TEST(s, test_per_addr);
	CU_ADD_TEST(s, test_per_host_queues);
	CU_ADD_TEST(s, test_per_host_entries_and_subsys);
	CU_ADD_TEST(s, test_close_during_connect);
	CU_ADD_TEST(s, test_host_buf_share);
}

NVTCP_UT_MAIN(add_tests)
