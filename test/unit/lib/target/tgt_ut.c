/*
 * Unit tests of lib/target/tgt.c: options, create/start/destroy, listeners and accepting
 * real TCP connections, spreading them, statistics.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tgt_ut.h"

static void
test_opts(void)
{
	struct nvtcp_tgt_opts o;
	char err[256];
	struct {
		size_t off;
		uint32_t val;
		const char *name;
	} bad[] = {
		{offsetof(struct nvtcp_tgt_opts, max_queue_depth), 1, "max_queue_depth"},
		{offsetof(struct nvtcp_tgt_opts, max_queue_depth), 5000, "max_queue_depth"},
		{offsetof(struct nvtcp_tgt_opts, max_admin_queue_depth), 31, "max_admin_queue_depth"},
		{offsetof(struct nvtcp_tgt_opts, max_io_queues), 0, "max_io_queues"},
		{offsetof(struct nvtcp_tgt_opts, in_capsule_data_size), 4096, "in_capsule_data_size"},
		{offsetof(struct nvtcp_tgt_opts, in_capsule_data_size), 8200, "in_capsule_data_size"},
		{offsetof(struct nvtcp_tgt_opts, max_io_size), 3u << 20, "max_io_size"},
		{offsetof(struct nvtcp_tgt_opts, maxh2cdata), 2048, "maxh2cdata"},
		{offsetof(struct nvtcp_tgt_opts, maxh2cdata), 4098, "maxh2cdata"},
		{offsetof(struct nvtcp_tgt_opts, max_r2t_len), 100, "max_r2t_len"},
		{offsetof(struct nvtcp_tgt_opts, buf_size), 8192, "buf_size"},
		{offsetof(struct nvtcp_tgt_opts, buf_count), 4, "buf_count"},
		{offsetof(struct nvtcp_tgt_opts, rxbuf_size), 100, "rxbuf_size"},
		{offsetof(struct nvtcp_tgt_opts, max_connections), 0, "max_connections"},
	};

	nvtcp_tgt_opts_init(&o);
	CU_ASSERT(nvtcp_tgt_opts_check(&o, err, sizeof(err)) == 0);
	CU_ASSERT(o.max_queue_depth == 128 && o.in_capsule_data_size == 16384);
	CU_ASSERT(o.max_io_size == 1 << 20 && o.hdgst && o.ddgst);
	CU_ASSERT(o.c2h_success == NVTCP_TGT_C2H_SUCCESS_SQFLOW_DISABLED);
	for (size_t i = 0; i < NVTCP_COUNTOF(bad); i++) {
		nvtcp_tgt_opts_init(&o);
		memcpy((uint8_t *)&o + bad[i].off, &bad[i].val, sizeof(uint32_t));
		err[0] = '\0';
		CU_ASSERT(nvtcp_tgt_opts_check(&o, err, sizeof(err)) == -EINVAL);
		CU_ASSERT(strncmp(err, bad[i].name, strlen(bad[i].name)) == 0);
	}
	/* buf_size too small for max_io_size in 64 buffers. */
	nvtcp_tgt_opts_init(&o);
	o.max_io_size = 4u << 20;
	o.buf_size = 16384;
	CU_ASSERT(nvtcp_tgt_opts_check(&o, err, sizeof(err)) == -EINVAL);
	/* No reactor on the calling thread. */
	nvtcp_tgt_opts_init(&o);
	o.num_cores = 1;
	o.cores[0] = 0;
	/* The launcher is not running: core 0 has no reactor. */
	CU_ASSERT(nvtcp_tgt_create(&o, err, sizeof(err)) == NULL);
	CU_ASSERT(errno == ENODEV);
}

static int
tcp_client(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_listen_accept_destroy(void)
{
	struct nvtcp_tgt_opts o;
	struct nvtcp_tgt_reactor_stats rs;
	struct nvtcp_tcp_icreq icreq;
	struct nvtcp_tcp_ic_opts ico;
	char err[256];
	uint16_t port;
	int fds[3];

	nvtcp_tgt_opts_init(&o);
	o.buf_count = 32;
	o.max_connections = 2;
	CU_ASSERT_FATAL(ut_tgt_create(&o, 1 << 20, 512) != NULL);
	CU_ASSERT(nvtcp_tgt_num_reactors(g_ut_tgt) == 1);
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", "0", err, sizeof(err)) == 0);
	{
		char bound[16];

		/* Port 0 twice: two listeners on two free ports; the same port twice: refused. */
		snprintf(bound, sizeof(bound), "%u", nvtcp_tgt_listener_port(g_ut_tgt, 0));
		CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", bound, err, sizeof(err)) ==
			  -EEXIST);
		CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", "0", err, sizeof(err)) == 0);
		CU_ASSERT(nvtcp_tgt_listener_port(g_ut_tgt, 1) != 0);
		CU_ASSERT(nvtcp_tgt_listener_port(g_ut_tgt, 1) != nvtcp_tgt_listener_port(g_ut_tgt, 0));
		snprintf(bound, sizeof(bound), "%u", nvtcp_tgt_listener_port(g_ut_tgt, 1));
		CU_ASSERT(nvtcp_tgt_remove_listener(g_ut_tgt, "127.0.0.1", bound) == 0);
	}
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "localhost", "0", err, sizeof(err)) == -EINVAL);
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", "99999", err, sizeof(err)) ==
		  -EINVAL);
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "::1", "0", err, sizeof(err)) == 0 ||
		  strstr(err, "cannot listen") != NULL);
	port = nvtcp_tgt_listener_port(g_ut_tgt, 0);
	CU_ASSERT(port != 0);
	CU_ASSERT(nvtcp_tgt_listener_port(g_ut_tgt, 5) == 0);
	/* Accepting: two connections are taken, the third is over max_connections. */
	for (int i = 0; i < 3; i++) {
		fds[i] = tcp_client(port);
		CU_ASSERT(fds[i] >= 0);
		ut_poll_ms(5);
		ut_poll();
	}
	CU_ASSERT(atomic_load(&g_ut_tgt->nconns) == 2);
	CU_ASSERT(nvtcp_tgt_get_reactor_stats(g_ut_tgt, 0, &rs) == 0);
	CU_ASSERT(rs.connections == 2 && rs.accepted == 2);
	CU_ASSERT(rs.bufs_total == 32 && rs.bufs_free == 32);
	CU_ASSERT(nvtcp_tgt_get_reactor_stats(g_ut_tgt, 1, &rs) == -ENOENT);
	{
		char b;

		/* The refused one is closed at once. */
		CU_ASSERT(read(fds[2], &b, 1) == 0);
	}
	/* An ICReq on a real socket gets its ICResp. */
	nvtcp_tcp_ic_opts_init(&ico);
	nvtcp_tcp_icreq_build(&icreq, &ico);
	CU_ASSERT(write(fds[0], &icreq, sizeof(icreq)) == (ssize_t)sizeof(icreq));
	ut_poll_ms(5);
	ut_poll();
	{
		struct nvtcp_tcp_icresp r;

		CU_ASSERT(read(fds[0], &r, sizeof(r)) == (ssize_t)sizeof(r));
		CU_ASSERT(r.ch.pdu_type == NVTCP_TCP_PDU_IC_RESP);
	}
	/* Destroy with live connections: every one is closed. */
	ut_tgt_destroy();
	CU_ASSERT(g_ut_destroyed);
	for (int i = 0; i < 2; i++) {
		char b[256];
		ssize_t n;

		while ((n = read(fds[i], b, sizeof(b))) > 0) {
		}
		CU_ASSERT(n == 0);
		close(fds[i]);
	}
	close(fds[2]);
}

static struct nvtcp_tgt_conn_stats_list *g_list;

static void
conn_stats_cb(void *arg, struct nvtcp_tgt_conn_stats_list *list)
{
	g_list = list;
}

static void
test_stats(void)
{
	struct ut_conn a, io;
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_tgt_reactor_stats rs;
	uint8_t buf[4096];

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 1 << 20, 512) != NULL);
	ut_admin_up(&a, false, false);
	ut_io_up(&io, &a, 1, false, true, 0);
	for (int i = 0; i < 5; i++) {
		ut_rw(&cmd, NVTCP_NVME_OPC_READ, 0, 8);
		CU_ASSERT(ut_exec(&io, &cmd, NULL, 0, buf, 4096, NULL) == 0);
	}
	ut_rw(&cmd, NVTCP_NVME_OPC_WRITE, 0, 8);
	CU_ASSERT(ut_exec(&io, &cmd, buf, 4096, NULL, 0, NULL) == 0);
	ut_rw(&cmd, NVTCP_NVME_OPC_READ, 1 << 20, 8);
	CU_ASSERT(ut_exec(&io, &cmd, NULL, 0, buf, 4096, NULL) != 0);
	CU_ASSERT(nvtcp_tgt_get_reactor_stats(g_ut_tgt, 0, &rs) == 0);
	CU_ASSERT(rs.io.read_cmds == 5 && rs.io.write_cmds == 1);
	CU_ASSERT(rs.io.bytes_read == 5 * 4096 && rs.io.bytes_written == 4096);
	CU_ASSERT(rs.io.errors == 1);
	CU_ASSERT(rs.io.admin_cmds >= 3);
	g_list = NULL;
	CU_ASSERT(nvtcp_tgt_get_conn_stats(g_ut_tgt, conn_stats_cb, NULL) == 0);
	ut_poll();
	CU_ASSERT_FATAL(g_list != NULL);
	CU_ASSERT(g_list->count == 2);
	for (uint32_t i = 0; i < g_list->count; i++) {
		const struct nvtcp_tgt_conn_stats *cs = &g_list->conns[i];

		CU_ASSERT(strcmp(cs->hostnqn, UT_HOSTNQN) == 0 && strcmp(cs->subnqn, UT_NQN) == 0);
		CU_ASSERT(cs->cntlid == a.cntlid);
		if (cs->qid == 1) {
			CU_ASSERT(cs->ddgst && !cs->hdgst);
			CU_ASSERT(cs->io.read_cmds == 5 && cs->io.errors == 1);
		}
	}
	nvtcp_tgt_conn_stats_free(g_list);
	nvtcp_tgt_log_stats(g_ut_tgt);
	ut_conn_close(&io);
	ut_conn_close(&a);
	ut_tgt_destroy();
}

static void
test_destroy_unstarted(void)
{
	struct nvtcp_tgt_opts o;
	char err[256];

	nvtcp_tgt_opts_init(&o);
	o.reactors = &g_ut_reactor;
	o.num_reactors = 1;
	g_ut_tgt = nvtcp_tgt_create(&o, err, sizeof(err));
	CU_ASSERT_FATAL(g_ut_tgt != NULL);
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", "0", err, sizeof(err)) == 0);
	/* Not open before start. */
	CU_ASSERT(nvtcp_tgt_listener_port(g_ut_tgt, 0) == 0);
	ut_tgt_destroy();
	CU_ASSERT(g_ut_destroyed);
}

static int
suite_init(void)
{
	return ut_env_setup("tgt_ut");
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
	CU_pSuite s = CU_add_suite("target_tgt", suite_init, suite_fini);

	CU_ADD_TEST(s, test_opts);
	CU_ADD_TEST(s, test_listen_accept_destroy);
	CU_ADD_TEST(s, test_stats);
	CU_ADD_TEST(s, test_destroy_unstarted);
}

NVTCP_UT_MAIN(add_tests)
