/*
 * Unit tests of lib/target/subsys.c: subsystems, hosts and namespaces on the management
 * reactor, serial numbers, and the discovery log as each host sees it.
 */
#include "tgt_ut.h"

#define NQN_A "nqn.2024-01.io.nvtcp:a"
#define NQN_B "nqn.2024-01.io.nvtcp:b"
#define HOST2 "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000002"

static void
test_subsystems_and_hosts(void)
{
	struct nvtcp_tgt_subsys_opts so;
	struct tgt_subsys *s;
	char err[256], sn1[21], sn2[21];

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 0, 512) != NULL);
	nvtcp_tgt_subsys_opts_init(&so);
	CU_ASSERT(so.allow_any_host && so.max_namespaces == 32);
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, "bogus", &so, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "bogus") != NULL);
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, NVTCP_NVMF_DISCOVERY_NQN, &so, err, sizeof(err)) ==
		  -EINVAL);
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, UT_NQN, &so, err, sizeof(err)) == -EEXIST);
	so.max_namespaces = 0;
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, NQN_A, &so, err, sizeof(err)) == -EINVAL);
	so.max_namespaces = 4;
	so.serial = "this serial is way too long";
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, NQN_A, &so, err, sizeof(err)) == -EINVAL);
	so.serial = NULL;
	so.model = "bad\tmodel";
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, NQN_A, &so, err, sizeof(err)) == -EINVAL);
	so.model = "Model A";
	so.allow_any_host = false;
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, NQN_A, &so, err, sizeof(err)) == 0);
	s = tgt_subsys_find(g_ut_tgt, NQN_A);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT(strcmp(s->mn, "Model A") == 0 && strlen(s->sn) == 20);
	/* Serial numbers are stable per NQN and differ between NQNs. */
	tgt_serial_from_nqn(NQN_A, sn1);
	tgt_serial_from_nqn(NQN_B, sn2);
	CU_ASSERT(strcmp(sn1, s->sn) == 0 && strcmp(sn1, sn2) != 0);
	/* Hosts. */
	CU_ASSERT(!tgt_subsys_host_allowed(s, UT_HOSTNQN));
	CU_ASSERT(nvtcp_tgt_subsys_add_host(g_ut_tgt, NQN_A, "host", err, sizeof(err)) == -EINVAL);
	CU_ASSERT(nvtcp_tgt_subsys_add_host(g_ut_tgt, NQN_B, UT_HOSTNQN, err, sizeof(err)) ==
		  -ENOENT);
	CU_ASSERT(nvtcp_tgt_subsys_add_host(g_ut_tgt, NQN_A, UT_HOSTNQN, err, sizeof(err)) == 0);
	CU_ASSERT(nvtcp_tgt_subsys_add_host(g_ut_tgt, NQN_A, UT_HOSTNQN, err, sizeof(err)) ==
		  -EEXIST);
	CU_ASSERT(tgt_subsys_host_allowed(s, UT_HOSTNQN));
	CU_ASSERT(!tgt_subsys_host_allowed(s, HOST2));
	CU_ASSERT(nvtcp_tgt_subsys_remove_host(g_ut_tgt, NQN_A, UT_HOSTNQN) == 0);
	CU_ASSERT(nvtcp_tgt_subsys_remove_host(g_ut_tgt, NQN_A, UT_HOSTNQN) == -ENOENT);
	CU_ASSERT(!tgt_subsys_host_allowed(s, UT_HOSTNQN));
	CU_ASSERT(nvtcp_tgt_subsys_set_allow_any_host(g_ut_tgt, NQN_A, true) == 0);
	CU_ASSERT(tgt_subsys_host_allowed(s, HOST2));
	/* The discovery subsystem is found by its NQN and allows everyone. */
	CU_ASSERT(tgt_subsys_find(g_ut_tgt, NVTCP_NVMF_DISCOVERY_NQN) == g_ut_tgt->disc);
	CU_ASSERT(nvtcp_tgt_remove_subsys(g_ut_tgt, NVTCP_NVMF_DISCOVERY_NQN) == -ENOENT);
	CU_ASSERT(nvtcp_tgt_remove_subsys(g_ut_tgt, NQN_A) == 0);
	ut_poll();
	CU_ASSERT(tgt_subsys_find(g_ut_tgt, NQN_A) == NULL);
	ut_tgt_destroy();
}

static void
test_namespaces(void)
{
	struct nvtcp_tgt_subsys_opts so;
	struct nvtcp_tgt_ns_opts nso;
	enum nvtcp_tgt_backend be;
	uint32_t nsid = 0;
	char err[256];

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 0, 512) != NULL);
	CU_ASSERT(nvtcp_tgt_backend_parse("malloc", &be) == 0 && be == NVTCP_TGT_BACKEND_MALLOC);
	CU_ASSERT(nvtcp_tgt_backend_parse("null", &be) == 0 && be == NVTCP_TGT_BACKEND_NULL);
	CU_ASSERT(nvtcp_tgt_backend_parse("file", &be) == 0 && be == NVTCP_TGT_BACKEND_FILE);
	CU_ASSERT(nvtcp_tgt_backend_parse("disk", &be) == -EINVAL);
	nvtcp_tgt_subsys_opts_init(&so);
	so.max_namespaces = 2;
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, NQN_A, &so, err, sizeof(err)) == 0);
	nvtcp_tgt_ns_opts_init(&nso);
	nso.size = 1 << 20;
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, NQN_B, &nso, &nsid, err, sizeof(err)) == -ENOENT);
	nso.block_size = 1024;
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, NQN_A, &nso, &nsid, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "512 or 4096") != NULL);
	nso.block_size = 512;
	nso.size = 1000;
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, NQN_A, &nso, &nsid, err, sizeof(err)) == -EINVAL);
	nso.size = 1 << 20;
	nso.nsid = 3;
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, NQN_A, &nso, &nsid, err, sizeof(err)) == -EINVAL);
	nso.nsid = 2;
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, NQN_A, &nso, &nsid, err, sizeof(err)) == 0);
	CU_ASSERT(nsid == 2);
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, NQN_A, &nso, &nsid, err, sizeof(err)) == -EEXIST);
	nso.nsid = 0;
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, NQN_A, &nso, &nsid, err, sizeof(err)) == 0);
	CU_ASSERT(nsid == 1);
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, NQN_A, &nso, &nsid, err, sizeof(err)) == -ENOSPC);
	/* A namespace too large for the DMA memory. */
	nso.size = 1ull << 40;
	CU_ASSERT(nvtcp_tgt_remove_ns(g_ut_tgt, NQN_A, 1) == 0);
	CU_ASSERT(nvtcp_tgt_add_ns(g_ut_tgt, NQN_A, &nso, &nsid, err, sizeof(err)) == -ENOMEM);
	CU_ASSERT(nvtcp_tgt_remove_ns(g_ut_tgt, NQN_A, 1) == -ENOENT);
	ut_poll();
	CU_ASSERT(TAILQ_EMPTY(&g_ut_tgt->dying_ns));
	ut_tgt_destroy();
}

static void
test_discovery_log_build(void)
{
	struct nvtcp_tgt_subsys_opts so;
	const struct nvtcp_nvmf_disc_log_hdr *hdr;
	const struct nvtcp_nvmf_disc_log_entry *e;
	uint64_t gen;
	size_t len;
	char err[256];
	void *log;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 0, 512) != NULL);
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", "0", err, sizeof(err)) == 0);
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "0.0.0.0", "0", err, sizeof(err)) == 0);
	nvtcp_tgt_subsys_opts_init(&so);
	so.allow_any_host = false;
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, NQN_A, &so, err, sizeof(err)) == 0);
	CU_ASSERT(nvtcp_tgt_subsys_add_host(g_ut_tgt, NQN_A, HOST2, err, sizeof(err)) == 0);
	/* UT_HOSTNQN: UT_NQN on both listeners + the current entry of the first. */
	log = tgt_discovery_log_build(g_ut_tgt, UT_HOSTNQN, "10.1.2.3",
				      nvtcp_tgt_listener_port(g_ut_tgt, 0), &len);
	CU_ASSERT_FATAL(log != NULL);
	hdr = log;
	e = (const void *)((const uint8_t *)log + 1024);
	CU_ASSERT(hdr->numrec == 3 && len == 4 * 1024);
	CU_ASSERT(strcmp(e[0].subnqn, UT_NQN) == 0 && strcmp(e[0].traddr, "127.0.0.1") == 0);
	/* The wildcard listener shows the address the host came in on. */
	CU_ASSERT(strcmp(e[1].subnqn, UT_NQN) == 0 && strcmp(e[1].traddr, "10.1.2.3") == 0);
	CU_ASSERT(e[0].portid == 1 && e[1].portid == 2);
	CU_ASSERT(e[2].subtype == NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT && e[2].portid == 1);
	gen = hdr->genctr;
	free(log);
	/* HOST2 also sees NQN_A. */
	log = tgt_discovery_log_build(g_ut_tgt, HOST2, "10.1.2.3", 1, &len);
	CU_ASSERT(((struct nvtcp_nvmf_disc_log_hdr *)log)->numrec == 4);
	free(log);
	/* Changes move the generation counter. */
	CU_ASSERT(nvtcp_tgt_remove_listener(g_ut_tgt, "0.0.0.0", "0") == 0);
	CU_ASSERT(nvtcp_tgt_remove_listener(g_ut_tgt, "0.0.0.0", "0") == -ENOENT);
	log = tgt_discovery_log_build(g_ut_tgt, UT_HOSTNQN, "10.1.2.3", 1, &len);
	CU_ASSERT(((struct nvtcp_nvmf_disc_log_hdr *)log)->genctr > gen);
	CU_ASSERT(((struct nvtcp_nvmf_disc_log_hdr *)log)->numrec == 1);
	free(log);
	ut_tgt_destroy();
}

/* Per-subsystem listeners: a shared socket, the Connect rule and the discovery log. */
static void
test_subsys_listeners(void)
{
	const struct nvtcp_nvmf_disc_log_hdr *hdr;
	const struct nvtcp_nvmf_disc_log_entry *e;
	struct tgt_listener *l;
	struct tgt_subsys *a, *ut;
	uint16_t gport;
	size_t len;
	char err[256];
	void *log;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 0, 512) != NULL);
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", "0", err, sizeof(err)) == 0);
	gport = nvtcp_tgt_listener_port(g_ut_tgt, 0);
	CU_ASSERT(nvtcp_tgt_add_subsys(g_ut_tgt, NQN_A, NULL, err, sizeof(err)) == 0);
	CU_ASSERT(nvtcp_tgt_subsys_add_listener(g_ut_tgt, NQN_A, "127.0.0.1", "5101", err,
						sizeof(err)) == 0);
	CU_ASSERT(nvtcp_tgt_subsys_add_listener(g_ut_tgt, NQN_A, "127.0.0.1", "5101", err,
						sizeof(err)) == -EEXIST);
	CU_ASSERT(nvtcp_tgt_subsys_add_listener(g_ut_tgt, NQN_A, "127.0.0.1", "0", err,
						sizeof(err)) == -EINVAL);
	CU_ASSERT(nvtcp_tgt_subsys_add_listener(g_ut_tgt, NQN_B, "127.0.0.1", "5101", err,
						sizeof(err)) == -ENOENT);
	CU_ASSERT(nvtcp_tgt_subsys_add_listener(g_ut_tgt, NQN_A, "bad", "5101", err,
						sizeof(err)) == -EINVAL);
	/* UT_NQN shares A's socket: one open listener, two references. */
	CU_ASSERT(nvtcp_tgt_subsys_add_listener(g_ut_tgt, UT_NQN, "127.0.0.1", "5101", err,
						sizeof(err)) == 0);
	l = tgt_listener_find(g_ut_tgt, "127.0.0.1", "5101");
	CU_ASSERT_FATAL(l != NULL);
	CU_ASSERT(l->sock != NULL && !l->global && l->subsys_refs == 2);
	CU_ASSERT(g_ut_tgt->nlisteners == 2);
	a = tgt_subsys_find(g_ut_tgt, NQN_A);
	ut = tgt_subsys_find(g_ut_tgt, UT_NQN);
	CU_ASSERT(tgt_subsys_listener_allowed(g_ut_tgt, a, l->portid));
	CU_ASSERT(tgt_subsys_listener_allowed(g_ut_tgt, a, 1));
	/* Discovery through the global listener: UT_NQN and A on both listeners + current. */
	log = tgt_discovery_log_build(g_ut_tgt, UT_HOSTNQN, "127.0.0.1", gport, &len);
	CU_ASSERT_FATAL(log != NULL);
	hdr = log;
	CU_ASSERT(hdr->numrec == 5);
	free(log);
	/* Once UT_NQN drops it, only A is listed on 5101, and UT_NQN may not use it. */
	CU_ASSERT(nvtcp_tgt_subsys_remove_listener(g_ut_tgt, UT_NQN, "127.0.0.1", "5101") == 0);
	CU_ASSERT(nvtcp_tgt_subsys_remove_listener(g_ut_tgt, UT_NQN, "127.0.0.1", "5101") ==
		  -ENOENT);
	CU_ASSERT(l->sock != NULL && l->subsys_refs == 1);
	CU_ASSERT(!tgt_subsys_listener_allowed(g_ut_tgt, ut, l->portid));
	log = tgt_discovery_log_build(g_ut_tgt, UT_HOSTNQN, "127.0.0.1", gport, &len);
	hdr = log;
	e = (const void *)((const uint8_t *)log + 1024);
	CU_ASSERT(hdr->numrec == 4);
	CU_ASSERT(strcmp(e[2].subnqn, NQN_A) == 0 && strcmp(e[2].trsvcid, "5101") == 0);
	free(log);
	/* A global listener on the same address shares the socket; removing it again leaves
	 * A's. */
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", "5101", err, sizeof(err)) == 0);
	CU_ASSERT(l->global && g_ut_tgt->nlisteners == 2);
	CU_ASSERT(tgt_subsys_listener_allowed(g_ut_tgt, ut, l->portid));
	CU_ASSERT(nvtcp_tgt_remove_listener(g_ut_tgt, "127.0.0.1", "5101") == 0);
	CU_ASSERT(nvtcp_tgt_remove_listener(g_ut_tgt, "127.0.0.1", "5101") == -ENOENT);
	CU_ASSERT(tgt_listener_find(g_ut_tgt, "127.0.0.1", "5101") == l && !l->global);
	/* Removing the subsystem releases its last reference: the socket closes. */
	CU_ASSERT(nvtcp_tgt_remove_subsys(g_ut_tgt, NQN_A) == 0);
	CU_ASSERT(tgt_listener_find(g_ut_tgt, "127.0.0.1", "5101") == NULL);
	CU_ASSERT(g_ut_tgt->nlisteners == 1);
	ut_poll();
	ut_tgt_destroy();
}

/* TREQ / TSAS of TLS listeners, one mode per socket, and the published PSK table. */
static void
test_secure_channel_and_psks(void)
{
	static const enum nvtcp_tgt_secure_channel modes[] = {
		NVTCP_TGT_SECURE_NONE, NVTCP_TGT_SECURE_OPTIONAL, NVTCP_TGT_SECURE_REQUIRED,
	};
	static const char host[] = "nqn.2024-01.io.nvtcp:h1";
	const struct nvtcp_nvmf_disc_log_hdr *hdr;
	const struct nvtcp_nvmf_disc_log_entry *e;
	struct nvtcp_tgt_listener_opts lo;
	struct nvtcp_tgt_host_opts ho;
	struct nvtcp_tls_psk psk, got;
	char id[300], err[256];
	uint16_t ports[3];
	size_t len;
	void *log;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 0, 512) != NULL);
	for (int i = 0; i < 3; i++) {
		nvtcp_tgt_listener_opts_init(&lo);
		lo.secure_channel = modes[i];
		CU_ASSERT(nvtcp_tgt_add_listener_ext(g_ut_tgt, "127.0.0.1", "0", &lo, err,
						     sizeof(err)) == 0);
		ports[i] = nvtcp_tgt_listener_port(g_ut_tgt, (uint32_t)i);
		CU_ASSERT(nvtcp_tgt_listener_secure_channel(g_ut_tgt, (uint32_t)i) == modes[i]);
	}
	lo.secure_channel = (enum nvtcp_tgt_secure_channel)7;
	CU_ASSERT(nvtcp_tgt_add_listener_ext(g_ut_tgt, "127.0.0.1", "0", &lo, err,
					     sizeof(err)) == -EINVAL);
	/* A socket has one mode: asking for the same address with another one fails. */
	lo.secure_channel = NVTCP_TGT_SECURE_REQUIRED;
	CU_ASSERT(nvtcp_tgt_subsys_add_listener_ext(g_ut_tgt, UT_NQN, "127.0.0.1", "5850", &lo, err,
						    sizeof(err)) == 0);
	CU_ASSERT(nvtcp_tgt_add_listener(g_ut_tgt, "127.0.0.1", "5850", err, sizeof(err)) ==
		  -EINVAL);
	CU_ASSERT(strstr(err, "already has secure_channel required") != NULL);
	CU_ASSERT(nvtcp_tgt_subsys_remove_listener(g_ut_tgt, UT_NQN, "127.0.0.1", "5850") == 0);

	log = tgt_discovery_log_build(g_ut_tgt, UT_HOSTNQN, "127.0.0.1", ports[0], &len);
	CU_ASSERT_FATAL(log != NULL);
	hdr = log;
	e = (const void *)((const uint8_t *)log + 1024);
	CU_ASSERT(hdr->numrec == 4);
	for (uint64_t i = 0; i < hdr->numrec; i++) {
		uint8_t sc = e[i].treq & NVTCP_NVMF_TREQ_SECURE_CHANNEL_MASK;

		CU_ASSERT(e[i].treq & NVTCP_NVMF_TREQ_DISABLE_SQ_FLOW_CONTROL);
		if (atoi(e[i].trsvcid) == ports[2]) {
			CU_ASSERT(sc == NVTCP_NVMF_TREQ_SECURE_CHANNEL_REQUIRED);
			CU_ASSERT(e[i].tsas.tcp.sectype == NVTCP_NVMF_TCP_SECTYPE_TLS13);
		} else if (atoi(e[i].trsvcid) == ports[1]) {
			CU_ASSERT(sc == NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED);
			CU_ASSERT(e[i].tsas.tcp.sectype == NVTCP_NVMF_TCP_SECTYPE_TLS13);
		} else {
			CU_ASSERT(sc == NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_SPECIFIED);
			CU_ASSERT(e[i].tsas.tcp.sectype == NVTCP_NVMF_TCP_SECTYPE_NONE);
		}
	}
	free(log);

	/* A host with a PSK: published, found by its identity only (identity parsing itself:
	 * nvtcp_tls_identity_parse, test/unit/lib/sock/tls_psk_ut.c). */
	snprintf(id, sizeof(id), "NVMe0R01 %s %s", host, UT_NQN);
	memset(&psk, 0, sizeof(psk));
	memset(psk.key, 0x5a, 32);
	psk.len = 32;
	psk.hash = NVTCP_TLS_HASH_SHA256;
	nvtcp_tgt_host_opts_init(&ho);
	ho.psk = &psk;
	ho.psk_path = "/nonexistent";
	CU_ASSERT(nvtcp_tgt_subsys_add_host_ext(g_ut_tgt, UT_NQN, host, &ho, err, sizeof(err)) ==
		  -EINVAL);
	ho.psk_path = NULL;
	CU_ASSERT(g_ut_tgt->psk_table == NULL);
	CU_ASSERT(nvtcp_tgt_subsys_add_host_ext(g_ut_tgt, UT_NQN, host, &ho, err, sizeof(err)) == 0);
	CU_ASSERT(tgt_subsys_host_has_psk(tgt_subsys_find(g_ut_tgt, UT_NQN), host));
	CU_ASSERT(tgt_psk_lookup(g_ut_tgt, id, strlen(id), &got) == 0);
	CU_ASSERT(got.len == 32 && memcmp(got.key, psk.key, 32) == 0);
	/* H 2 names a 48-byte key: not this one. */
	id[7] = '2';
	CU_ASSERT(tgt_psk_lookup(g_ut_tgt, id, strlen(id), &got) == -ENOENT);
	snprintf(id, sizeof(id), "NVMe0R01 %s %s", UT_HOSTNQN, UT_NQN);
	CU_ASSERT(tgt_psk_lookup(g_ut_tgt, id, strlen(id), &got) == -ENOENT);
	snprintf(id, sizeof(id), "NVMe0R01 %s nqn.2024-01.io.nvtcp:other", host);
	CU_ASSERT(tgt_psk_lookup(g_ut_tgt, id, strlen(id), &got) == -ENOENT);
	CU_ASSERT(tgt_psk_lookup(g_ut_tgt, "garbage", 7, &got) == -ENOENT);
	/* Removed: the key goes with it (the old table after the pgs' round trip). */
	CU_ASSERT(nvtcp_tgt_subsys_remove_host(g_ut_tgt, UT_NQN, host) == 0);
	CU_ASSERT(g_ut_tgt->psk_table == NULL);
	snprintf(id, sizeof(id), "NVMe0R01 %s %s", host, UT_NQN);
	CU_ASSERT(tgt_psk_lookup(g_ut_tgt, id, strlen(id), &got) == -ENOENT);
	ut_poll();
	/* Removing the subsystem withdraws its hosts' keys too. */
	CU_ASSERT(nvtcp_tgt_subsys_add_host_ext(g_ut_tgt, UT_NQN, host, &ho, err, sizeof(err)) == 0);
	CU_ASSERT(g_ut_tgt->psk_table != NULL && g_ut_tgt->psk_table->n == 1);
	CU_ASSERT(nvtcp_tgt_remove_subsys(g_ut_tgt, UT_NQN) == 0);
	CU_ASSERT(g_ut_tgt->psk_table == NULL);
	ut_poll();
	ut_tgt_destroy();
}

static int
suite_init(void)
{
	return ut_env_setup("subsys_ut");
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
	CU_pSuite s = CU_add_suite("target_subsys", suite_init, suite_fini);

	CU_ADD_TEST(s, test_subsystems_and_hosts);
	CU_ADD_TEST(s, test_namespaces);
	CU_ADD_TEST(s, test_discovery_log_build);
	CU_ADD_TEST(s, test_subsys_listeners);
	CU_ADD_TEST(s, test_secure_channel_and_psks);
}

NVTCP_UT_MAIN(add_tests)
