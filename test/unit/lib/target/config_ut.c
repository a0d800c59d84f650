/*
 * Unit tests of lib/target/config.c: a complete good document applied to a target, options,
 * the DMA estimate, and bad documents, each rejected with the key and its path.
 */
#include <sys/stat.h>

#include "tgt_ut.h"

static char g_path[64];

static void
write_doc(const char *text)
{
	FILE *f;

	snprintf(g_path, sizeof(g_path), "/tmp/nvtcp_config_ut_%d.json", (int)getpid());
	f = fopen(g_path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static const char *g_good =
	"{\n"
	"  \"options\": {\"max_queue_depth\": 64, \"in_capsule_data_size\": \"8K\",\n"
	"               \"max_io_size\": \"256K\", \"digests\": \"hdgst\", \"c2h_success\": \"always\",\n"
	"               \"buf_count\": 32, \"default_model\": \"config model\",\n"
	"               \"max_connections_per_addr\": 9, \"max_connections_per_host\": 8,\n"
	"               \"max_io_queues_per_host\": 7, \"max_queue_entries_per_host\": 600,\n"
	"               \"max_connections_per_subsys\": 5, \"host_buf_share\": 40},\n"
	"  \"listeners\": [{\"address\": \"127.0.0.1\", \"port\": 0}],\n"
	"  \"subsystems\": [\n"
	"    {\"nqn\": \"nqn.2024-01.io.nvtcp:cfg1\", \"serial\": \"SN123\", \"allow_any_host\": false,\n"
	"     \"hosts\": [\"" UT_HOSTNQN "\"], \"max_namespaces\": 8,\n"
	"     \"namespaces\": [{\"nsid\": 3, \"backend\": \"malloc\", \"size\": \"2M\", \"block_size\": 4096,\n"
	"                     \"uuid\": \"0b5b3d6e-3f1e-4a79-9c57-2f5a2c1d9e01\"},\n"
	"                    {\"backend\": \"null\", \"size\": 1048576}]},\n"
	"    {\"nqn\": \"nqn.2024-01.io.nvtcp:cfg2\",\n"
	"     \"listeners\": [{\"address\": \"127.0.0.1\", \"port\": \"5105\"}]}\n"
	"  ]\n"
	"}\n";

static void
test_good_document(void)
{
	struct nvtcp_tgt_opts o;
	struct tgt_subsys *s;
	struct tgt_ns *ns;
	uint64_t dma = 0;
	char err[256] = "";

	write_doc(g_good);
	nvtcp_tgt_opts_init(&o);
	CU_ASSERT(nvtcp_tgt_config_load_opts(g_path, &o, err, sizeof(err)) == 0);
	CU_ASSERT(o.max_queue_depth == 64 && o.in_capsule_data_size == 8192);
	CU_ASSERT(o.max_io_size == 256 * 1024 && o.hdgst && !o.ddgst);
	CU_ASSERT(o.c2h_success == NVTCP_TGT_C2H_SUCCESS_ALWAYS && o.buf_count == 32);
	CU_ASSERT(strcmp(o.default_model, "config model") == 0);
	CU_ASSERT(o.max_connections_per_addr == 9 && o.max_connections_per_host == 8);
	CU_ASSERT(o.max_io_queues_per_host == 7 && o.max_queue_entries_per_host == 600);
	CU_ASSERT(o.max_connections_per_subsys == 5 && o.host_buf_share == 40);
	CU_ASSERT(nvtcp_tgt_config_dma_bytes(g_path, &dma, err, sizeof(err)) == 0);
	CU_ASSERT(dma == (2u << 20) + 256 * 1024);

	CU_ASSERT_FATAL(ut_tgt_create(&o, 0, 512) != NULL);
	CU_ASSERT(nvtcp_tgt_config_load(g_ut_tgt, g_path, err, sizeof(err)) == 0);
	s = tgt_subsys_find(g_ut_tgt, "nqn.2024-01.io.nvtcp:cfg1");
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT(strcmp(s->sn, "SN123") == 0 && strcmp(s->mn, "config model") == 0);
	CU_ASSERT(!s->allow_any && s->max_ns == 8);
	CU_ASSERT(tgt_subsys_host_allowed(s, UT_HOSTNQN));
	CU_ASSERT(!tgt_subsys_host_allowed(s, "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000002"));
	ns = tgt_subsys_ns(s, 3);
	CU_ASSERT_FATAL(ns != NULL);
	CU_ASSERT(ns->block_size == 4096 && ns->num_blocks == 512);
	CU_ASSERT(ns->uuid[0] == 0x0b && ns->uuid[15] == 0x01);
	ns = tgt_subsys_ns(s, 1);
	CU_ASSERT(ns != NULL && ns->bdev->type == NVTCP_TGT_BACKEND_NULL);
	s = tgt_subsys_find(g_ut_tgt, "nqn.2024-01.io.nvtcp:cfg2");
	CU_ASSERT_FATAL(s != NULL);
	/* cfg2's own listener: open, not global. */
	CU_ASSERT(!TAILQ_EMPTY(&s->listeners));
	CU_ASSERT(tgt_listener_find(g_ut_tgt, "127.0.0.1", "5105") != NULL &&
		  !tgt_listener_find(g_ut_tgt, "127.0.0.1", "5105")->global);
	CU_ASSERT(nvtcp_tgt_listener_port(g_ut_tgt, 0) == 5105);
	CU_ASSERT(nvtcp_tgt_listener_port(g_ut_tgt, 1) != 0);
	ut_tgt_destroy();
	unlink(g_path);
}

static void
expect_error(const char *doc, const char *what)
{
	struct nvtcp_tgt_opts o;
	char err[256] = "";
	int rc;

	write_doc(doc);
	nvtcp_tgt_opts_init(&o);
	rc = nvtcp_tgt_config_load_opts(g_path, &o, err, sizeof(err));
	CU_ASSERT(rc == -EINVAL);
	CU_ASSERT(strstr(err, what) != NULL);
	if (strstr(err, what) == NULL) {
		fprintf(stderr, "  error '%s' does not contain '%s'\n", err, what);
	}
	/* The same document is refused by the loader without touching the target. */
	if (g_ut_tgt != NULL) {
		CU_ASSERT(nvtcp_tgt_config_load(g_ut_tgt, g_path, err, sizeof(err)) != 0);
		CU_ASSERT(strstr(err, what) != NULL);
	}
	unlink(g_path);
}

/* secure_channel per listener (names and SPDK's bool), hosts with PSKs (inline, file). */
static void
test_tls_document(void)
{
	static const char psk[] = "NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:";
	char doc[2048], keyfile[64], err[256] = "";
	struct tgt_subsys *s;
	struct tgt_listener *l;
	struct tgt_host *h;
	FILE *f;
	int n = 0;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 0, 512) != NULL);
	snprintf(keyfile, sizeof(keyfile), "/tmp/nvtcp_config_ut_%d.psk", (int)getpid());
	f = fopen(keyfile, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(psk, f);
	fclose(f);
	CU_ASSERT(chmod(keyfile, 0600) == 0);
	snprintf(doc, sizeof(doc),
		 "{\"listeners\": [{\"address\": \"127.0.0.1\", \"port\": 0, "
		 "\"secure_channel\": \"optional\"}, {\"address\": \"127.0.0.1\", \"port\": 0, "
		 "\"secure_channel\": true}],"
		 " \"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:tlsa\", \"allow_any_host\": false,"
		 " \"hosts\": [\"nqn.2024-01.io.nvtcp:plain\","
		 " {\"nqn\": \"nqn.2024-01.io.nvtcp:inline\", \"psk\": \"%s\"},"
		 " {\"nqn\": \"nqn.2024-01.io.nvtcp:file\", \"psk\": \"%s\"}]}]}", psk, keyfile);
	write_doc(doc);
	/* An inline key is refused, naming the host, never echoing the key. */
	CU_ASSERT(nvtcp_tgt_config_load(g_ut_tgt, g_path, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "$.subsystems[0].hosts[1]") != NULL &&
		  strstr(err, "inline key is refused") != NULL && strstr(err, "MDAx") == NULL);
	ut_poll();
	ut_tgt_destroy();
	CU_ASSERT_FATAL(ut_tgt_create(NULL, 0, 512) != NULL);
	snprintf(doc, sizeof(doc),
		 "{\"listeners\": [{\"address\": \"127.0.0.1\", \"port\": 0, "
		 "\"secure_channel\": \"optional\"}, {\"address\": \"127.0.0.1\", \"port\": 0, "
		 "\"secure_channel\": true}],"
		 " \"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:tlsa\", \"allow_any_host\": false,"
		 " \"hosts\": [\"nqn.2024-01.io.nvtcp:plain\","
		 " {\"nqn\": \"nqn.2024-01.io.nvtcp:file2\", \"psk\": \"%s\"},"
		 " {\"nqn\": \"nqn.2024-01.io.nvtcp:file\", \"psk\": \"%s\"}]},"
		 " {\"nqn\": \"nqn.2014-08.org.nvmexpress.discovery\","
		 " \"hosts\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:file\", \"psk\": \"%s\"}]}]}",
		 keyfile, keyfile, keyfile);
	write_doc(doc);
	err[0] = '\0';
	CU_ASSERT(nvtcp_tgt_config_load(g_ut_tgt, g_path, err, sizeof(err)) == 0);
	if (err[0] != '\0') {
		fprintf(stderr, "  %s\n", err);
	}
	TAILQ_FOREACH(l, &g_ut_tgt->listeners, link) {
		n++;
		if (n == 1) {
			CU_ASSERT(l->secure == NVTCP_TGT_SECURE_OPTIONAL);
		} else {
			CU_ASSERT(l->secure == NVTCP_TGT_SECURE_REQUIRED);
		}
	}
	CU_ASSERT(n == 2);
	s = tgt_subsys_find(g_ut_tgt, "nqn.2024-01.io.nvtcp:tlsa");
	CU_ASSERT_FATAL(s != NULL);
	n = 0;
	TAILQ_FOREACH(h, &s->hosts, link) {
		CU_ASSERT(h->has_psk == (n > 0));
		CU_ASSERT(!h->has_psk || (h->psk.len == 32 &&
					  memcmp(h->psk.key, "00112233445566778899aabbccddeeff", 32) == 0));
		CU_ASSERT((h->psk_path != NULL) == (n > 0));
		n++;
	}
	CU_ASSERT(n == 3);
	/* The discovery subsystem's host key is published with the others. */
	h = TAILQ_FIRST(&g_ut_tgt->disc->hosts);
	CU_ASSERT(h != NULL && h->has_psk && TAILQ_NEXT(h, link) == NULL);
	CU_ASSERT(g_ut_tgt->psk_table != NULL && g_ut_tgt->psk_table->n == 3);
	/* The discovery entry takes hosts only; save_config's mark for an unsaved key fails. */
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2014-08.org.nvmexpress.discovery\","
		     " \"namespaces\": []}]}",
		     "$.subsystems[0].namespaces: not for the discovery subsystem");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:tlsc\", \"hosts\":"
		     " [{\"nqn\": \"nqn.2024-01.io.nvtcp:h\", \"psk_unsaved\": true}]}]}",
		     "$.subsystems[0].hosts[0].psk_unsaved: the PSK of host "
		     "nqn.2024-01.io.nvtcp:h was given as a value");
	/* A key file others may read is refused, naming the mode. */
	CU_ASSERT(chmod(keyfile, 0644) == 0);
	snprintf(doc, sizeof(doc), "{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:tlsb\", "
		 "\"hosts\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:file\", \"psk\": \"%s\"}]}]}", keyfile);
	write_doc(doc);
	CU_ASSERT(nvtcp_tgt_config_load(g_ut_tgt, g_path, err, sizeof(err)) == -EPERM);
	CU_ASSERT(strstr(err, "$.subsystems[0].hosts[0]") != NULL && strstr(err, "0644") != NULL);
	CU_ASSERT(strstr(err, "MDAx") == NULL);
	unlink(keyfile);
	unlink(g_path);
	ut_poll();
	ut_tgt_destroy();
}

/* A host that must authenticate: secret files (text refused), both list forms. */
static void
test_dhchap_document(void)
{
	static const char key[] = "DHHC-1:00:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:";
	char doc[1024], keyfile[64], err[256] = "";
	const struct tgt_host *h;
	FILE *f;

	CU_ASSERT_FATAL(ut_tgt_create(NULL, 0, 512) != NULL);
	snprintf(keyfile, sizeof(keyfile), "/tmp/nvtcp_config_ut_%d.dhchap", (int)getpid());
	f = fopen(keyfile, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f, "%s\n", key);
	fclose(f);
	CU_ASSERT(chmod(keyfile, 0600) == 0);
	/* A secret written into the document is refused, without echoing it. */
	snprintf(doc, sizeof(doc),
		 "{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:auth\", \"allow_any_host\": false,"
		 " \"hosts\": [{\"nqn\": \"" UT_HOSTNQN "\", \"dhchap_key\": \"%s\","
		 " \"dhchap_ctrl_key\": \"%s\"}]}]}", keyfile, key);
	write_doc(doc);
	CU_ASSERT(nvtcp_tgt_config_load(g_ut_tgt, g_path, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "dhchap_ctrl_key: an inline secret is refused") != NULL);
	CU_ASSERT(strstr(err, key + 10) == NULL);
	CU_ASSERT(nvtcp_tgt_remove_subsys(g_ut_tgt, "nqn.2024-01.io.nvtcp:auth") == 0);
	ut_poll();
	snprintf(doc, sizeof(doc),
		 "{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:auth\", \"allow_any_host\": false,"
		 " \"hosts\": [{\"nqn\": \"" UT_HOSTNQN "\", \"dhchap_key\": \"%s\","
		 " \"dhchap_ctrl_key\": \"%s\", \"dhchap_hashes\": \"sha384,sha512\","
		 " \"dhchap_dhgroups\": [\"ffdhe2048\", \"ffdhe8192\"]}]}]}", keyfile, keyfile);
	write_doc(doc);
	CU_ASSERT(nvtcp_tgt_config_load(g_ut_tgt, g_path, err, sizeof(err)) == 0);
	h = tgt_subsys_host_find(tgt_subsys_find(g_ut_tgt, "nqn.2024-01.io.nvtcp:auth"), UT_HOSTNQN);
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(h->has_dhchap && h->has_dhchap_ctrl && h->dhchap_key.len == 32);
	CU_ASSERT(h->dhchap_key_path != NULL && strcmp(h->dhchap_key_path, keyfile) == 0);
	CU_ASSERT(h->dhchap_ctrl_key_path != NULL);
	CU_ASSERT(h->dhchap_hashes == ((1u << NVTCP_AUTH_HASH_SHA384) |
				       (1u << NVTCP_AUTH_HASH_SHA512)));
	CU_ASSERT(h->dhchap_dhgroups == ((1u << NVTCP_AUTH_DHGROUP_2048) |
					 (1u << NVTCP_AUTH_DHGROUP_8192)));
	unlink(g_path);
	unlink(keyfile);
	ut_tgt_destroy();
}

static void
test_bad_documents(void)
{
	CU_ASSERT_FATAL(ut_tgt_create(NULL, 0, 512) != NULL);
	expect_error("{\"options\": {\"max_queue_depth\": 1}}",
		     "$.options.max_queue_depth: 1 is not in 2..4096");
	expect_error("{\"options\": {\"queue_depth\": 4}}", "$.options.queue_depth: unknown key");
	expect_error("{\"options\": {\"host_buf_share\": 0}}",
		     "$.options.host_buf_share: 0 is not in 1..100");
	expect_error("{\"options\": {\"max_connections_per_host\": -1}}",
		     "$.options.max_connections_per_host");
	expect_error("{\"options\": {\"digests\": \"crc\"}}",
		     "$.options.digests: 'crc' is not none, hdgst, ddgst or both");
	expect_error("{\"options\": {\"max_io_size\": \"lots\"}}",
		     "$.options.max_io_size: 'lots' is not a size");
	expect_error("{\"options\": {\"max_io_size\": \"3M\"}}", "max_io_size 3145728");
	expect_error("{\"listeners\": [{\"address\": \"127.0.0.1\"}]}", "$.listeners[0].port: missing");
	expect_error("{\"listeners\": [{\"address\": \"127.0.0.1\", \"port\": 70000}]}",
		     "$.listeners[0].port: 70000 is not in 0..65535");
	expect_error("{\"subsystems\": [{\"nqn\": \"bad nqn\"}]}", "$.subsystems[0].nqn: 'bad nqn'");
	expect_error("{\"listeners\": [{\"address\": \"127.0.0.1\", \"port\": 1, "
		     "\"secure_channel\": \"tls\"}]}",
		     "$.listeners[0].secure_channel: 'tls' is not none, optional, required");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"hosts\": "
		     "[{\"psk\": \"/x\"}]}]}", "$.subsystems[0].hosts[0].nqn: missing");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"hosts\": "
		     "[{\"nqn\": \"nqn.2024-01.io.nvtcp:h\", \"key\": \"x\"}]}]}",
		     "$.subsystems[0].hosts[0].key: unknown key");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"hosts\": "
		     "[{\"nqn\": \"nqn.2024-01.io.nvtcp:h\", \"dhchap_key\": \"/k\", "
		     "\"dhchap_dhgroups\": [\"null\", \"ffdhe1024\"]}]}]}",
		     "$.subsystems[0].hosts[0].dhchap_dhgroups[1]: unknown DH group 'ffdhe1024'");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"hosts\": "
		     "[{\"nqn\": \"nqn.2024-01.io.nvtcp:h\", \"dhchap_key\": \"/k\", "
		     "\"dhchap_hashes\": 3}]}]}",
		     "$.subsystems[0].hosts[0].dhchap_hashes: must be a non-empty array");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"hosts\": [7]}]}",
		     "$.subsystems[0].hosts[0]: must be a host NQN or an {nqn, psk} object");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"namespaces\": "
		     "[{\"size\": \"1M\", \"block_size\": 1024}]}]}",
		     "$.subsystems[0].namespaces[0].block_size: must be 512 or 4096");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"namespaces\": "
		     "[{\"backend\": \"malloc\"}]}]}",
		     "$.subsystems[0].namespaces[0].size: missing");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"namespaces\": "
		     "[{\"backend\": \"file\"}]}]}",
		     "$.subsystems[0].namespaces[0].path: missing");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"namespaces\": "
		     "[{\"backend\": \"tape\", \"size\": 4096}]}]}",
		     "$.subsystems[0].namespaces[0].backend: 'tape' is not a backend (registered: "
		     "malloc, null, file, uring)");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"namespaces\": "
		     "[{\"backend\": \"uring\"}]}]}",
		     "$.subsystems[0].namespaces[0].path: missing (required by the uring backend)");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"namespaces\": "
		     "[{\"backend\": \"null\", \"size\": 4096, \"path\": \"/tmp/x\"}]}]}",
		     "$.subsystems[0].namespaces[0].path: the null backend takes no path");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"namespaces\": "
		     "[{\"backend\": \"uring\", \"path\": \"/tmp/x\", \"workers\": 4}]}]}",
		     "$.subsystems[0].namespaces[0].workers: only the file backend has worker "
		     "threads");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"namespaces\": "
		     "[{\"nsid\": 2, \"size\": 4096}, {\"nsid\": 2, \"size\": 4096}]}]}",
		     "$.subsystems[0].namespaces[1].nsid: 2 is used twice");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"hosts\": [3]}]}",
		     "$.subsystems[0].hosts[0]: must be a host NQN or an {nqn, psk} object");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\"}, "
		     "{\"nqn\": \"nqn.2024-01.io.nvtcp:a\"}]}",
		     "$.subsystems[1].nqn: nqn.2024-01.io.nvtcp:a is used twice");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", "
		     "\"namespaces\": [{\"size\": 4096, \"uuid\": \"xyz\"}]}]}",
		     "$.subsystems[0].namespaces[0].uuid: 'xyz' is not a UUID");
	expect_error("{\"listeners\": 5}", "$.listeners: must be an array");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"listeners\": "
		     "[{\"address\": \"127.0.0.1\", \"port\": 0}]}]}",
		     "$.subsystems[0].listeners[0].port: 0 is not allowed");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"listeners\": "
		     "[{\"addr\": \"127.0.0.1\", \"port\": 5}]}]}",
		     "$.subsystems[0].listeners[0].addr: unknown key");
	expect_error("{\"subsystems\": [{\"nqn\": \"nqn.2024-01.io.nvtcp:a\", \"namespaces\": "
		     "[{\"backend\": \"file\", \"path\": \"/x\", \"bdev_name\": \"/y\"}]}]}",
		     "$.subsystems[0].namespaces[0].bdev_name: give path or bdev_name");
	expect_error("[1, 2]", "$: the document must be an object");
	expect_error("{\"options\": {\n  \"max_queue_depth\": 4,,\n}}", ":2:");
	expect_error("{\"options\": {}} trailing", "text after the JSON document");
	expect_error("{\"extra\": 1}", "$.extra: unknown key");
	/* Nothing of those reached the target. */
	CU_ASSERT(tgt_subsys_find(g_ut_tgt, "nqn.2024-01.io.nvtcp:a") == NULL);
	/* A missing file. */
	{
		char err[256];

		CU_ASSERT(nvtcp_tgt_config_load(g_ut_tgt, "/nonexistent/x.json", err,
						sizeof(err)) == -ENOENT);
	}
	ut_tgt_destroy();
}

static int
suite_init(void)
{
	return ut_env_setup("config_ut");
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
	CU_pSuite s = CU_add_suite("target_config", suite_init, suite_fini);

	CU_ADD_TEST(s, test_good_document);
	CU_ADD_TEST(s, test_bad_documents);
	CU_ADD_TEST(s, test_dhchap_document);
	CU_ADD_TEST(s, test_tls_document);
}

NVTCP_UT_MAIN(add_tests)
