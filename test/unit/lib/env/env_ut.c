/*
 * Unit tests of lib/env/env.c: option validation, and each memory mode (plain memory,
 * hugepages in-memory, hugepages with a file prefix, the AUTO fall-back).
 *
 * DPDK EAL can start once per process, so every test that starts it runs in a child process
 * (fork()); the parent never starts EAL. The hugepage tests run for real when hugepages are
 * free (see /proc/meminfo) and say plainly when they are not.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"

#include "ut.h"

#define CHILD_TIMEOUT_S 60
#define SMALL_MB 64

/* ---- Helpers ----------------------------------------------------------------------------- */

/* Run fn in a child process; returns its exit status (or -1 when it crashed or timed out). */
static int
run_child(int (*fn)(void *), void *arg)
{
	struct timespec start, now;
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		return -1;
	}
	if (pid == 0) {
		_exit(fn(arg));
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (r < 0 || now.tv_sec - start.tv_sec > CHILD_TIMEOUT_S) {
			fprintf(stderr, "child %d timed out\n", (int)pid);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(10000);
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "child died of signal %d\n", WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

/* Hugepage memory free for new mappings, from /proc/meminfo (default page size only). */
static unsigned long
meminfo_huge_free_mb(unsigned long *page_kb)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long free_pages = 0, rsvd = 0, kb = 0, v;
	char line[256];

	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Free: %lu", &v) == 1) {
			free_pages = v;
		} else if (sscanf(line, "HugePages_Rsvd: %lu", &v) == 1) {
			rsvd = v;
		} else if (sscanf(line, "Hugepagesize: %lu kB", &v) == 1) {
			kb = v;
		}
	}
	fclose(f);
	*page_kb = kb;
	return free_pages > rsvd ? (free_pages - rsvd) * kb / 1024 : 0;
}

/* Page size (kB) of the mapping that holds addr, from /proc/self/smaps; 0 if not found. */
static unsigned long
mapping_page_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	uintptr_t a = (uintptr_t)addr;
	unsigned long start, end, kb = 0, v;
	bool inside = false;
	char line[512];

	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		/* Mapping headers are "start-end perms ..."; no field line parses so. */
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			inside = a >= start && a < end;
		} else if (inside && sscanf(line, "KernelPageSize: %lu kB", &v) == 1) {
			kb = v;
			break;
		}
	}
	fclose(f);
	return kb;
}

static char g_logs[8192];

static void
log_capture(enum nvtcp_log_level level, const char *file, int line, const char *func,
	    const char *fmt, va_list ap)
{
	size_t off = strlen(g_logs);
	va_list copy;

	/* Keep printing, so a failing test shows why. */
	va_copy(copy, ap);
	vfprintf(stderr, fmt, copy);
	fputc('\n', stderr);
	va_end(copy);
	if (off < sizeof(g_logs) - 1) {
		off += (size_t)snprintf(g_logs + off, sizeof(g_logs) - off, "%d:", (int)level);
		if (off < sizeof(g_logs) - 1) {
			vsnprintf(g_logs + off, sizeof(g_logs) - off, fmt, ap);
		}
		off = strlen(g_logs);
		if (off < sizeof(g_logs) - 1) {
			g_logs[off] = '\n';
			g_logs[off + 1] = '\0';
		}
	}
}

/* Whether a message at this level was logged. */
static bool
logs_have_level(enum nvtcp_log_level level)
{
	char tag[8];

	snprintf(tag, sizeof(tag), "%d:", (int)level);
	if (strncmp(g_logs, tag, strlen(tag)) == 0) {
		return true;
	}
	snprintf(tag, sizeof(tag), "\n%d:", (int)level);
	return strstr(g_logs, tag) != NULL;
}

static void
logs_reset(void)
{
	g_logs[0] = '\0';
	nvtcp_log_set_callback(log_capture);
}

#define CHILD_CHECK(cond)                                                                      \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                                              \
		}                                                                              \
	} while (0)

/* ---- Option validation (no EAL start) --------------------------------------------------- */

static int
init_with(const char *mask, const char *list, int main_core)
{
	struct nvtcp_env_opts opts;

	nvtcp_env_opts_init(&opts);
	opts.core_mask = mask;
	opts.core_list = list;
	opts.main_core = main_core;
	opts.huge = NVTCP_ENV_HUGE_OFF;
	return nvtcp_env_init(&opts);
}

static void
test_opts_defaults(void)
{
	struct nvtcp_env_opts opts;

	memset(&opts, 0x5a, sizeof(opts));
	nvtcp_env_opts_init(&opts);
	CU_ASSERT_STRING_EQUAL(opts.name, "nvtcp");
	CU_ASSERT_PTR_NULL(opts.core_mask);
	CU_ASSERT_PTR_NULL(opts.core_list);
	CU_ASSERT_EQUAL(opts.main_core, -1);
	CU_ASSERT_EQUAL(opts.mem_size_mb, 0);
	CU_ASSERT_EQUAL(opts.huge, NVTCP_ENV_HUGE_AUTO);
	CU_ASSERT_PTR_NULL(opts.file_prefix);
	CU_ASSERT_FALSE(opts.verbose);
	CU_ASSERT_FALSE(nvtcp_env_is_initialized());
	CU_ASSERT_FALSE(nvtcp_env_hugepages());
}

static void
test_bad_cores(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	char absent[32];

	logs_reset();
	CU_ASSERT_EQUAL(init_with("0xZZ", NULL, -1), -EINVAL);
	CU_ASSERT(strstr(g_logs, "0xZZ") != NULL);
	CU_ASSERT_EQUAL(init_with("0x", NULL, -1), -EINVAL);
	CU_ASSERT_EQUAL(init_with("", NULL, -1), -EINVAL);
	logs_reset();
	CU_ASSERT_EQUAL(init_with("0x0", NULL, -1), -EINVAL);
	CU_ASSERT(strstr(g_logs, "selects no core") != NULL);
	CU_ASSERT_EQUAL(init_with("-1", NULL, -1), -EINVAL);
	/* Core 200: above DPDK's limit. */
	CU_ASSERT_EQUAL(init_with("0x100000000000000000000000000000000000000000000000000", NULL, -1),
			-EINVAL);

	/* A core this machine does not have. */
	if (ncpu > 0 && ncpu < 100) {
		snprintf(absent, sizeof(absent), "0-%ld", ncpu);
		logs_reset();
		CU_ASSERT_EQUAL(init_with(NULL, absent, -1), -EINVAL);
		CU_ASSERT(strstr(g_logs, "do not exist") != NULL);
		snprintf(absent, sizeof(absent), "0x%lx", 1ul << ncpu);
		CU_ASSERT_EQUAL(init_with(absent, NULL, -1), -EINVAL);
	}

	CU_ASSERT_EQUAL(init_with(NULL, "", -1), -EINVAL);
	CU_ASSERT_EQUAL(init_with(NULL, "1-0", -1), -EINVAL);
	CU_ASSERT_EQUAL(init_with(NULL, "0,,1", -1), -EINVAL);
	CU_ASSERT_EQUAL(init_with(NULL, "0,", -1), -EINVAL);
	CU_ASSERT_EQUAL(init_with(NULL, "a", -1), -EINVAL);
	CU_ASSERT_EQUAL(init_with(NULL, "0-", -1), -EINVAL);
	CU_ASSERT_EQUAL(init_with(NULL, "0 1", -1), -EINVAL);
	CU_ASSERT_EQUAL(init_with(NULL, "999", -1), -EINVAL);
	/* The main core must be one of the cores. */
	logs_reset();
	CU_ASSERT_EQUAL(init_with(NULL, "0", 1), -EINVAL);
	CU_ASSERT(strstr(g_logs, "main core 1") != NULL);
	nvtcp_log_set_callback(NULL);
	CU_ASSERT_FALSE(nvtcp_env_is_initialized());
}

static void
test_bad_opts(void)
{
	struct nvtcp_env_opts opts;

	nvtcp_env_opts_init(&opts);
	opts.file_prefix = "a/b";
	CU_ASSERT_EQUAL(nvtcp_env_init(&opts), -EINVAL);
	opts.file_prefix = "";
	CU_ASSERT_EQUAL(nvtcp_env_init(&opts), -EINVAL);
	nvtcp_env_opts_init(&opts);
	opts.name = "";
	CU_ASSERT_EQUAL(nvtcp_env_init(&opts), -EINVAL);
	nvtcp_env_opts_init(&opts);
	opts.huge = (enum nvtcp_env_huge)42;
	CU_ASSERT_EQUAL(nvtcp_env_init(&opts), -EINVAL);
	nvtcp_env_opts_init(&opts);
	opts.mem_size_mb = (size_t)1 << 40;
	CU_ASSERT_EQUAL(nvtcp_env_init(&opts), -EINVAL);
	CU_ASSERT_FALSE(nvtcp_env_is_initialized());
}

static void
test_require_too_much(void)
{
	unsigned long page_kb;
	unsigned long avail = meminfo_huge_free_mb(&page_kb);
	struct nvtcp_env_opts opts;

	/* More than is free: REQUIRE fails cleanly, before EAL is touched. */
	nvtcp_env_opts_init(&opts);
	opts.core_list = "0";
	opts.huge = NVTCP_ENV_HUGE_REQUIRE;
	opts.mem_size_mb = avail + 4096;
	logs_reset();
	CU_ASSERT_EQUAL(nvtcp_env_init(&opts), -ENOMEM);
	CU_ASSERT(strstr(g_logs, "hugepages are required") != NULL);
	CU_ASSERT(strstr(g_logs, "MiB needed") != NULL);
	nvtcp_log_set_callback(NULL);
	CU_ASSERT_FALSE(nvtcp_env_is_initialized());
}

/* ---- Modes (each in a child) ------------------------------------------------------------ */

/* What every mode must provide once up: cores, memory, a pool, time. */
static int
check_running_env(unsigned long want_page_kb)
{
	struct nvtcp_mempool *mp;
	void *buf, *obj;
	unsigned long kb;

	CHILD_CHECK(nvtcp_env_is_initialized());
	CHILD_CHECK(nvtcp_env_get_core() == 0);
	CHILD_CHECK(nvtcp_env_get_main_core() == 0);
	CHILD_CHECK(nvtcp_env_get_ticks_hz() > 0);
	buf = nvtcp_dma_zmalloc(1 << 20, 0, NVTCP_ENV_NUMA_ANY);
	CHILD_CHECK(buf != NULL);
	kb = mapping_page_kb(buf);
	fprintf(stderr, "DMA buffer %p is on %lu kB pages\n", buf, kb);
	CHILD_CHECK(kb == want_page_kb);
	nvtcp_dma_free(buf);
	/* The mempool ring driver is a DPDK plugin: pools prove it was loaded. */
	mp = nvtcp_mempool_create("env_ut_pool", 128, 256, 0, NVTCP_ENV_NUMA_ANY);
	CHILD_CHECK(mp != NULL);
	obj = nvtcp_mempool_get(mp);
	CHILD_CHECK(obj != NULL);
	nvtcp_mempool_put(mp, obj);
	nvtcp_mempool_free(mp);
	return 0;
}

static int
child_nohuge(void *arg)
{
	struct nvtcp_env_opts opts;
	struct timespec t0, t1;
	double secs;
	int rc;

	logs_reset();
	nvtcp_env_opts_init(&opts);
	opts.name = "env_ut";
	opts.core_list = "0-1";
	opts.mem_size_mb = SMALL_MB;
	opts.huge = NVTCP_ENV_HUGE_OFF;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = nvtcp_env_init(&opts);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "plain-memory init took %.3f s\n", secs);
	CHILD_CHECK(rc == 0);
	CHILD_CHECK(!nvtcp_env_hugepages());
	CHILD_CHECK(nvtcp_env_get_core_count() == 2);
	/* One NOTICE line naming cores and memory mode, and nothing louder. */
	CHILD_CHECK(strstr(g_logs, "2:environment up") != NULL);
	CHILD_CHECK(strstr(g_logs, "cores 0-1") != NULL);
	CHILD_CHECK(strstr(g_logs, "plain (no hugepages)") != NULL);
	CHILD_CHECK(!logs_have_level(NVTCP_LOG_ERROR) && !logs_have_level(NVTCP_LOG_WARN));
	CHILD_CHECK(check_running_env(4) == 0);
	/* A second init, before and after fini, is refused: EAL starts once per process. */
	CHILD_CHECK(nvtcp_env_init(&opts) == -EALREADY);
	nvtcp_env_fini();
	CHILD_CHECK(!nvtcp_env_is_initialized());
	CHILD_CHECK(nvtcp_env_init(&opts) == -EALREADY);
	nvtcp_env_fini();
	return 0;
}

static void
test_mode_nohuge(void)
{
	CU_ASSERT_EQUAL(run_child(child_nohuge, NULL), 0);
}

/* NULL options: the defaults (core 0, AUTO). */
static int
child_defaults(void *arg)
{
	unsigned long page_kb;

	meminfo_huge_free_mb(&page_kb);
	logs_reset();
	CHILD_CHECK(nvtcp_env_init(NULL) == 0);
	CHILD_CHECK(nvtcp_env_get_core_count() == 1);
	/* Which mode AUTO picks depends on what other processes hold; it must say which. */
	if (nvtcp_env_hugepages()) {
		CHILD_CHECK(strstr(g_logs, "hugepages, in-memory") != NULL);
	} else {
		CHILD_CHECK(strstr(g_logs, "1:not using hugepages") != NULL);
	}
	CHILD_CHECK(check_running_env(nvtcp_env_hugepages() ? page_kb : 4) == 0);
	nvtcp_env_fini();
	return 0;
}

static void
test_mode_defaults(void)
{
	CU_ASSERT_EQUAL(run_child(child_defaults, NULL), 0);
}

static int
child_huge(void *arg)
{
	const char *prefix = arg;
	struct nvtcp_env_opts opts;
	unsigned long page_kb;

	meminfo_huge_free_mb(&page_kb);
	logs_reset();
	nvtcp_env_opts_init(&opts);
	opts.name = "env_ut";
	opts.core_list = "0";
	opts.mem_size_mb = SMALL_MB;
	opts.huge = NVTCP_ENV_HUGE_REQUIRE;
	opts.file_prefix = prefix;
	CHILD_CHECK(nvtcp_env_init(&opts) == 0);
	CHILD_CHECK(nvtcp_env_hugepages());
	CHILD_CHECK(strstr(g_logs, prefix ? "hugepages, file prefix" : "hugepages, in-memory"));
	CHILD_CHECK(check_running_env(page_kb) == 0);
	nvtcp_env_fini();
	return 0;
}

static bool
huge_available(const char *what)
{
	unsigned long page_kb;
	unsigned long mb = meminfo_huge_free_mb(&page_kb);

	if (mb < SMALL_MB) {
		printf("\n  NOTE: only %lu MiB of hugepages free: %s NOT exercised (reserve them: "
		       "echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)\n",
		       mb, what);
		return false;
	}
	return true;
}

static void
test_mode_huge_in_memory(void)
{
	if (!huge_available("hugepage in-memory mode")) {
		/* Then REQUIRE must fail (checked in the child, where EAL may run). */
		CU_ASSERT_NOT_EQUAL(run_child(child_huge, NULL), 0);
		return;
	}
	CU_ASSERT_EQUAL(run_child(child_huge, NULL), 0);
}

/* DPDK keeps runtime files and hugepage files under a prefix: remove ours afterwards. */
static void
prefix_cleanup(const char *prefix)
{
	const char *dirs[] = {"/var/run/dpdk", "/dev/hugepages"};
	char path[512];

	for (size_t i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		if (d == NULL) {
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, prefix, strlen(prefix)) != 0) {
				continue;
			}
			snprintf(path, sizeof(path), "%s/%s", dirs[i], de->d_name);
			if (de->d_type == DT_DIR) {
				DIR *sub = opendir(path);
				struct dirent *se;
				char file[1024];

				while (sub != NULL && (se = readdir(sub)) != NULL) {
					if (se->d_name[0] != '.') {
						snprintf(file, sizeof(file), "%s/%s", path, se->d_name);
						unlink(file);
					}
				}
				if (sub != NULL) {
					closedir(sub);
				}
				rmdir(path);
			} else {
				unlink(path);
			}
		}
		closedir(d);
	}
}

static void
test_mode_huge_file_prefix(void)
{
	char prefix[64];
	FILE *m;
	bool mounted = false;
	char line[512];

	if (!huge_available("hugepage file-prefix mode")) {
		return;
	}
	m = fopen("/proc/mounts", "r");
	while (m != NULL && fgets(line, sizeof(line), m) != NULL) {
		mounted |= strstr(line, " hugetlbfs ") != NULL;
	}
	if (m != NULL) {
		fclose(m);
	}
	if (!mounted) {
		printf("\n  NOTE: no hugetlbfs mounted: file-prefix mode NOT exercised\n");
		return;
	}
	snprintf(prefix, sizeof(prefix), "nvtcp_env_ut_%d", (int)getpid());
	CU_ASSERT_EQUAL(run_child(child_huge, prefix), 0);
	prefix_cleanup(prefix);
}

/* AUTO with more memory than hugepages can give: plain memory and a warning with the reason. */
static int
child_auto_fallback(void *arg)
{
	unsigned long page_kb;
	unsigned long avail = meminfo_huge_free_mb(&page_kb);
	struct nvtcp_env_opts opts;

	logs_reset();
	nvtcp_env_opts_init(&opts);
	opts.name = "env_ut";
	opts.core_list = "0";
	opts.mem_size_mb = avail + 128;
	opts.huge = NVTCP_ENV_HUGE_AUTO;
	CHILD_CHECK(nvtcp_env_init(&opts) == 0);
	CHILD_CHECK(!nvtcp_env_hugepages());
	CHILD_CHECK(strstr(g_logs, "1:not using hugepages") != NULL);
	CHILD_CHECK(strstr(g_logs, "MiB needed") != NULL);
	CHILD_CHECK(check_running_env(4) == 0);
	nvtcp_env_fini();
	return 0;
}

static void
test_mode_auto_fallback(void)
{
	CU_ASSERT_EQUAL(run_child(child_auto_fallback, NULL), 0);
}

/* AUTO with enough hugepages free: hugepages, no warning. */
static int
child_auto_huge(void *arg)
{
	unsigned long page_kb;
	struct nvtcp_env_opts opts;

	meminfo_huge_free_mb(&page_kb);
	logs_reset();
	nvtcp_env_opts_init(&opts);
	opts.core_list = "0";
	opts.mem_size_mb = SMALL_MB;
	CHILD_CHECK(nvtcp_env_init(&opts) == 0);
	CHILD_CHECK(nvtcp_env_hugepages());
	CHILD_CHECK(!logs_have_level(NVTCP_LOG_WARN) && !logs_have_level(NVTCP_LOG_ERROR));
	CHILD_CHECK(check_running_env(page_kb) == 0);
	nvtcp_env_fini();
	return 0;
}

static void
test_mode_auto_huge(void)
{
	if (!huge_available("hugepage AUTO mode")) {
		return;
	}
	CU_ASSERT_EQUAL(run_child(child_auto_huge, NULL), 0);
}

/* Two plain-memory environments side by side: in-memory mode shares nothing. */
static int
child_hold(void *arg)
{
	struct nvtcp_env_opts opts;
	unsigned long page_kb;

	meminfo_huge_free_mb(&page_kb);
	nvtcp_env_opts_init(&opts);
	opts.core_list = "0";
	opts.mem_size_mb = SMALL_MB;
	opts.huge = *(enum nvtcp_env_huge *)arg;
	CHILD_CHECK(nvtcp_env_init(&opts) == 0);
	CHILD_CHECK(check_running_env(nvtcp_env_hugepages() ? page_kb : 4) == 0);
	/* Give the sibling time to start while this one is up. */
	usleep(300000);
	nvtcp_env_fini();
	return 0;
}

static void
test_side_by_side(void)
{
	enum nvtcp_env_huge modes[2] = {NVTCP_ENV_HUGE_OFF, NVTCP_ENV_HUGE_AUTO};
	pid_t pids[2];

	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			_exit(child_hold(&modes[i]));
		}
		CU_ASSERT_FATAL(pids[i] > 0);
	}
	for (int i = 0; i < 2; i++) {
		int status = -1;

		for (int t = 0; t < CHILD_TIMEOUT_S * 100; t++) {
			if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				break;
			}
			usleep(10000);
		}
		if (!WIFEXITED(status)) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &status, 0);
			CU_FAIL("side-by-side child did not finish");
			continue;
		}
		CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
	}
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("env", NULL, NULL);

	CU_ADD_TEST(s, test_opts_defaults);
	CU_ADD_TEST(s, test_bad_cores);
	CU_ADD_TEST(s, test_bad_opts);
	CU_ADD_TEST(s, test_require_too_much);
	CU_ADD_TEST(s, test_mode_nohuge);
	CU_ADD_TEST(s, test_mode_defaults);
	CU_ADD_TEST(s, test_mode_huge_in_memory);
	CU_ADD_TEST(s, test_mode_huge_file_prefix);
	CU_ADD_TEST(s, test_mode_auto_fallback);
	CU_ADD_TEST(s, test_mode_auto_huge);
	CU_ADD_TEST(s, test_side_by_side);
}

NVTCP_UT_MAIN(add_tests)
