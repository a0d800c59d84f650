/*
 * Unit tests of lib/fabrics/host.c: the default host identity from hostnqn/hostid files (in a
 * temporary directory named by NVTCP_ETC_NVME), derivation of a missing half, the generated
 * identity (stable within the process, across threads), invalid files, and host ID parsing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvtcp/fabrics.h"
#include "nvtcp/nvmf_spec.h"

#include "fabrics/fabrics_internal.h"
#include "ut.h"

#define UUID_A "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define UUID_B "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
#define NQN_A NVTCP_NVMF_NQN_UUID_PREFIX UUID_A

static char g_dir[256];

static void
write_file(const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void
write_str(const char *name, const char *text)
{
	write_file(name, text, strlen(text));
}

static void
clear_dir(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/hostnqn", g_dir);
	if (unlink(path) != 0) {
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/hostid", g_dir);
	unlink(path);
}

static int
suite_init(void)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/nvtcp_host_ut.XXXXXX");
	if (mkdtemp(g_dir) == NULL) {
		return -1;
	}
	setenv("NVTCP_ETC_NVME", g_dir, 1);
	return 0;
}

static int
suite_fini(void)
{
	clear_dir();
	rmdir(g_dir);
	unsetenv("NVTCP_ETC_NVME");
	return 0;
}

static void
uuid_text(const uint8_t id[16], char *out)
{
	fabrics_uuid_format(id, out);
}

static void
test_generated(void)
{
	struct nvtcp_host_id a, b;
	char text[FABRICS_UUID_STR_LEN + 1], nqn[256];

	clear_dir();
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&a), 0);
	CU_ASSERT(nvtcp_nqn_valid(a.hostnqn, NULL, 0));
	/* The NQN is the UUID form of the host ID. */
	uuid_text(a.hostid, text);
	snprintf(nqn, sizeof(nqn), "%s%s", NVTCP_NVMF_NQN_UUID_PREFIX, text);
	CU_ASSERT_STRING_EQUAL(a.hostnqn, nqn);
	/* Not all zero: a real UUID was generated. */
	CU_ASSERT(memcmp(a.hostid, (uint8_t[16]){0}, 16) != 0);
	/* Stable within the process. */
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&b), 0);
	CU_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
}

static void *
thread_fn(void *arg)
{
	struct nvtcp_host_id *id = arg;

	if (nvtcp_host_id_default(id) != 0) {
		memset(id, 0, sizeof(*id));
	}
	return NULL;
}

static void
test_generated_across_threads(void)
{
	struct nvtcp_host_id ids[4], main_id;
	pthread_t th[4];

	clear_dir();
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(pthread_create(&th[i], NULL, thread_fn, &ids[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
	}
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&main_id), 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT(memcmp(&ids[i], &main_id, sizeof(main_id)) == 0);
	}
}

static void
test_both_files(void)
{
	struct nvtcp_host_id id;
	uint8_t expect[16];

	clear_dir();
	write_str("hostnqn", "nqn.2014-08.com.example:host-1\n");
	write_str("hostid", UUID_B "\n");
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), 0);
	CU_ASSERT_STRING_EQUAL(id.hostnqn, "nqn.2014-08.com.example:host-1");
	CU_ASSERT_EQUAL(nvtcp_host_id_parse(UUID_B, expect), 0);
	CU_ASSERT(memcmp(id.hostid, expect, 16) == 0);

	/* Whitespace around the first line and further lines are ignored. */
	write_str("hostnqn", "  " NQN_A " \t\r\nsecond line\n");
	write_str("hostid", "\t" UUID_A "   ");
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), 0);
	CU_ASSERT_STRING_EQUAL(id.hostnqn, NQN_A);
	CU_ASSERT_EQUAL(nvtcp_host_id_parse(UUID_A, expect), 0);
	CU_ASSERT(memcmp(id.hostid, expect, 16) == 0);

	/* A UUID NQN naming another UUID than hostid: both used as given (as Debian ships them). */
	write_str("hostid", UUID_B);
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), 0);
	CU_ASSERT_STRING_EQUAL(id.hostnqn, NQN_A);
	CU_ASSERT_EQUAL(nvtcp_host_id_parse(UUID_B, expect), 0);
	CU_ASSERT(memcmp(id.hostid, expect, 16) == 0);
}

static void
test_only_hostnqn(void)
{
	struct nvtcp_host_id id, gen;
	uint8_t expect[16];

	clear_dir();
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&gen), 0);

	/* UUID form: the host ID is its UUID. */
	write_str("hostnqn", NQN_A "\n");
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), 0);
	CU_ASSERT_STRING_EQUAL(id.hostnqn, NQN_A);
	CU_ASSERT_EQUAL(nvtcp_host_id_parse(UUID_A, expect), 0);
	CU_ASSERT(memcmp(id.hostid, expect, 16) == 0);

	/* Other forms: the process's generated UUID. */
	write_str("hostnqn", "nqn.2014-08.com.example:host-2");
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), 0);
	CU_ASSERT_STRING_EQUAL(id.hostnqn, "nqn.2014-08.com.example:host-2");
	CU_ASSERT(memcmp(id.hostid, gen.hostid, 16) == 0);
}

static void
test_only_hostid(void)
{
	struct nvtcp_host_id id;
	uint8_t expect[16];

	clear_dir();
	/* Upper case in the file; the derived NQN is lower case, as the Linux host writes it. */
	write_str("hostid", "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6\n");
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), 0);
	CU_ASSERT_STRING_EQUAL(id.hostnqn, NQN_A);
	CU_ASSERT_EQUAL(nvtcp_host_id_parse(UUID_A, expect), 0);
	CU_ASSERT(memcmp(id.hostid, expect, 16) == 0);
}

static void
test_invalid_files(void)
{
	struct nvtcp_host_id id, before;
	char big[400];
	char path[512];

	memset(&before, 0x3C, sizeof(before));

	clear_dir();
	write_str("hostnqn", "not-an-nqn\n");
	id = before;
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), -EINVAL);
	CU_ASSERT(memcmp(&id, &before, sizeof(id)) == 0);

	clear_dir();
	write_str("hostid", "1234\n");
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), -EINVAL);

	clear_dir();
	write_str("hostnqn", NQN_A);
	write_str("hostid", UUID_A "x");
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), -EINVAL);

	/* An over-long first line. */
	clear_dir();
	memcpy(big, "nqn.2014-08.com.example:", 24);
	memset(big + 24, 'y', 300);
	write_file("hostnqn", big, 324);
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), -EINVAL);

	/* A NUL byte inside. */
	clear_dir();
	write_file("hostnqn", "nqn.2014-08.com.example:a\0b\n", 28);
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), -EINVAL);

	/* Present but unreadable (a directory in its place). */
	clear_dir();
	snprintf(path, sizeof(path), "%s/hostnqn", g_dir);
	CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), -EISDIR);
	clear_dir();

	/* Empty or blank files count as absent. */
	write_str("hostnqn", "");
	write_str("hostid", " \n\n");
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), 0);
	CU_ASSERT(nvtcp_nqn_valid(id.hostnqn, NULL, 0));

	CU_ASSERT_EQUAL(nvtcp_host_id_default(NULL), -EINVAL);
}

static void
test_host_id_parse(void)
{
	static const uint8_t ref[16] = {0xf8, 0x1d, 0x4f, 0xae, 0x7d, 0xec, 0x11, 0xd0,
					0xa7, 0x65, 0x00, 0xa0, 0xc9, 0x1e, 0x6b, 0xf6};
	uint8_t id[16];

	CU_ASSERT_EQUAL(nvtcp_host_id_parse(UUID_A, id), 0);
	CU_ASSERT(memcmp(id, ref, 16) == 0);
	CU_ASSERT_EQUAL(nvtcp_host_id_parse("", id), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_host_id_parse(UUID_A " ", id), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_host_id_parse("{" UUID_A "}", id), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_host_id_parse("f81d4fae7dec11d0a76500a0c91e6bf6", id), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_host_id_parse(NULL, id), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_host_id_parse(UUID_A, NULL), -EINVAL);
}

static void
test_default_dir_name(void)
{
	/* The override is honoured only when set and non-empty; check both directions. */
	struct nvtcp_host_id id;

	clear_dir();
	write_str("hostnqn", "nqn.2014-08.com.example:from-override");
	CU_ASSERT_EQUAL(nvtcp_host_id_default(&id), 0);
	CU_ASSERT_STRING_EQUAL(id.hostnqn, "nqn.2014-08.com.example:from-override");
	setenv("NVTCP_ETC_NVME", "", 1);
	/* Falls back to /etc/nvme, whatever it holds on this machine: it must not be the file
	 * in the temporary directory. */
	if (nvtcp_host_id_default(&id) == 0) {
		CU_ASSERT_STRING_NOT_EQUAL(id.hostnqn, "nqn.2014-08.com.example:from-override");
	}
	setenv("NVTCP_ETC_NVME", g_dir, 1);
	clear_dir();
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("host", suite_init, suite_fini);

	/* Threads first, so that they race for the first generation. */
	CU_ADD_TEST(s, test_generated_across_threads);
	CU_ADD_TEST(s, test_generated);
	CU_ADD_TEST(s, test_both_files);
	CU_ADD_TEST(s, test_only_hostnqn);
	CU_ADD_TEST(s, test_only_hostid);
	CU_ADD_TEST(s, test_invalid_files);
	CU_ADD_TEST(s, test_host_id_parse);
	CU_ADD_TEST(s, test_default_dir_name);
}

NVTCP_UT_MAIN(add_tests)
