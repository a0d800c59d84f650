/*
 * Environment start-up: turns nvtcp_env_opts into a DPDK EAL argument vector and starts EAL.
 *
 * rte_eal_init() can run only once per process and cannot be undone, so every decision that
 * might make it fail is taken here first, with an error message that names the cause:
 * - the cores are parsed and checked against the CPUs this process may run on;
 * - the hugepage policy is resolved against the free (unreserved) hugepages in sysfs and a
 *   probe mapping, so that NVTCP_ENV_HUGE_AUTO can fall back to plain memory instead of
 *   failing inside EAL.
 *
 * Memory modes:
 * - hugepages, no file prefix: --in-memory (no runtime files, so any number of processes run
 *   side by side, and no hugetlbfs mount is needed);
 * - hugepages with a file prefix: --file-prefix (shared runtime files under that prefix);
 * - plain memory: --no-huge --no-shconf -m <size>; EAL requires a size in this mode and it is
 *   incompatible with --in-memory.
 *
 * DPDK's own log messages are routed into nvtcp's logger (stderr or the application's callback)
 * instead of DPDK's default of stdout plus syslog: the perf app's stdout is machine-read.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"
#include "nvtcp/util.h"

#include "env_internal.h"

/* Plain-memory size when the options ask for none: EAL needs one with --no-huge. */
#define ENV_NOHUGE_DEFAULT_MB 1024
/* Hugepage memory that must be free for AUTO/REQUIRE when mem_size_mb is 0 (grow on demand). */
#define ENV_HUGE_MIN_MB 256
#define ENV_MAX_ARGS 24
#define ENV_ARG_LEN 256
#define ENV_FILE_PREFIX_MAX 64

static bool g_initialized;
/* rte_eal_init() has been called: it cannot be called again, even after rte_eal_cleanup(). */
static bool g_eal_used;
static bool g_hugepages;
static bool g_verbose;
static FILE *g_log_stream;

/*
 * EAL may keep pointers into its argument vector, so it lives as long as the process.
 */
static char g_arg_store[ENV_MAX_ARGS][ENV_ARG_LEN];
static char *g_argv[ENV_MAX_ARGS + 1];
static int g_argc;

void
nvtcp_env_opts_init(struct nvtcp_env_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->name = "nvtcp";
	opts->main_core = -1;
	opts->huge = NVTCP_ENV_HUGE_AUTO;
}

bool
nvtcp_env_is_initialized(void)
{
	return g_initialized;
}

bool
nvtcp_env_hugepages(void)
{
	return g_hugepages;
}

/* ---- DPDK log messages ------------------------------------------------------------------- */

static enum nvtcp_log_level
dpdk_level(int rte_level)
{
	enum nvtcp_log_level level;

	if (rte_level <= (int)RTE_LOG_ERR) {
		level = NVTCP_LOG_ERROR;
	} else if (rte_level == (int)RTE_LOG_WARNING) {
		level = NVTCP_LOG_WARN;
	} else if (rte_level == (int)RTE_LOG_NOTICE) {
		level = NVTCP_LOG_NOTICE;
	} else if (rte_level == (int)RTE_LOG_INFO) {
		level = NVTCP_LOG_INFO;
	} else {
		level = NVTCP_LOG_DEBUG;
	}
	/* "verbose" asks to see DPDK's informational messages at the default log level. */
	if (g_verbose && level > NVTCP_LOG_NOTICE) {
		level = NVTCP_LOG_NOTICE;
	}
	return level;
}

static ssize_t
dpdk_log_write(void *cookie, const char *buf, size_t size)
{
	enum nvtcp_log_level level = dpdk_level(rte_log_cur_msg_loglevel());
	size_t pos = 0;

	/* Two threads' messages can share one flush: log them line by line. */
	while (pos < size) {
		const char *nl = memchr(buf + pos, '\n', size - pos);
		size_t len = nl != NULL ? (size_t)(nl - (buf + pos)) : size - pos;

		if (len > 0) {
			nvtcp_log(level, __FILE__, __LINE__, "dpdk", "%.*s", (int)len, buf + pos);
		}
		pos += len + (nl != NULL ? 1 : 0);
	}
	return (ssize_t)size;
}

static void
dpdk_log_redirect(void)
{
	cookie_io_functions_t io = {.write = dpdk_log_write};

	if (g_log_stream == NULL) {
		/* Kept for the life of the process: DPDK threads may log until they exit. */
		g_log_stream = fopencookie(NULL, "w", io);
	}
	if (g_log_stream != NULL) {
		rte_openlog_stream(g_log_stream);
	}
}

/* ---- Cores ------------------------------------------------------------------------------- */

/* Format a CPU set as a list: "0-3,6". */
static void
core_set_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && off < len; c++) {
		int end = c;

		if (!CPU_ISSET(c, set)) {
			continue;
		}
		while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, set)) {
			end++;
		}
		if (end == c) {
			off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? "," : "", c);
		} else {
			off += (size_t)snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", c,
						end);
		}
		c = end;
	}
}

static int
core_mask_parse(const char *mask, cpu_set_t *set)
{
	const char *p = mask;
	size_t ndigits;

	CPU_ZERO(set);
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
	}
	ndigits = strlen(p);
	if (ndigits == 0) {
		NVTCP_ERRLOG("invalid core mask '%s': no hexadecimal digits", mask);
		return -EINVAL;
	}
	/* The last digit holds cores 0-3. */
	for (size_t i = 0; i < ndigits; i++) {
		char ch = p[ndigits - 1 - i];
		int v;

		if (ch >= '0' && ch <= '9') {
			v = ch - '0';
		} else if (ch >= 'a' && ch <= 'f') {
			v = ch - 'a' + 10;
		} else if (ch >= 'A' && ch <= 'F') {
			v = ch - 'A' + 10;
		} else {
			NVTCP_ERRLOG("invalid core mask '%s': '%c' is not a hexadecimal digit", mask,
				     ch);
			return -EINVAL;
		}
		for (int b = 0; b < 4; b++) {
			size_t core = i * 4 + (size_t)b;

			if (!(v & (1 << b))) {
				continue;
			}
			if (core >= RTE_MAX_LCORE) {
				NVTCP_ERRLOG("invalid core mask '%s': core %zu is above the limit of "
					     "%d cores", mask, core, RTE_MAX_LCORE);
				return -EINVAL;
			}
			CPU_SET(core, set);
		}
	}
	if (CPU_COUNT(set) == 0) {
		NVTCP_ERRLOG("invalid core mask '%s': it selects no core", mask);
		return -EINVAL;
	}
	return 0;
}

static int
core_number(const char *list, const char **p, unsigned long *core)
{
	unsigned long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9') {
		NVTCP_ERRLOG("invalid core list '%s': expected a core number at '%s'", list, s);
		return -EINVAL;
	}
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v >= RTE_MAX_LCORE) {
			NVTCP_ERRLOG("invalid core list '%s': core numbers must be below %d", list,
				     RTE_MAX_LCORE);
			return -EINVAL;
		}
		s++;
	}
	*core = v;
	*p = s;
	return 0;
}

/* "0-3,6,8-9" */
static int
core_list_parse(const char *list, cpu_set_t *set)
{
	const char *p = list;
	int rc;

	CPU_ZERO(set);
	for (;;) {
		unsigned long first, last;

		rc = core_number(list, &p, &first);
		if (rc != 0) {
			return rc;
		}
		last = first;
		if (*p == '-') {
			p++;
			rc = core_number(list, &p, &last);
			if (rc != 0) {
				return rc;
			}
			if (last < first) {
				NVTCP_ERRLOG("invalid core list '%s': range %lu-%lu is reversed", list,
					     first, last);
				return -EINVAL;
			}
		}
		for (unsigned long c = first; c <= last; c++) {
			CPU_SET(c, set);
		}
		if (*p == '\0') {
			break;
		}
		if (*p != ',') {
			NVTCP_ERRLOG("invalid core list '%s': unexpected '%c'", list, *p);
			return -EINVAL;
		}
		p++;
	}
	return 0;
}

/*
 * Resolve the options' cores into a set of CPUs this process may run on, and the main core.
 */
static int
cores_resolve(const struct nvtcp_env_opts *opts, cpu_set_t *set, int *main_core)
{
	cpu_set_t allowed, missing;
	char buf[256];
	int rc;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
		rc = -errno;
		NVTCP_ERRLOG("cannot read this process's CPU affinity: %s", strerror(errno));
		return rc;
	}
	if (opts->core_mask != NULL) {
		rc = core_mask_parse(opts->core_mask, set);
	} else if (opts->core_list != NULL) {
		rc = core_list_parse(opts->core_list, set);
	} else {
		/* Default: the first CPU we may run on (core 0 unless a cpuset says otherwise). */
		CPU_ZERO(set);
		for (int c = 0; c < RTE_MAX_LCORE; c++) {
			if (CPU_ISSET(c, &allowed)) {
				CPU_SET(c, set);
				break;
			}
		}
		rc = CPU_COUNT(set) > 0 ? 0 : -ENODEV;
		if (rc != 0) {
			NVTCP_ERRLOG("no CPU below %d is available to this process", RTE_MAX_LCORE);
		}
	}
	if (rc != 0) {
		return rc;
	}
	CPU_ZERO(&missing);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, set) && !CPU_ISSET(c, &allowed)) {
			CPU_SET(c, &missing);
		}
	}
	if (CPU_COUNT(&missing) > 0) {
		char avail[256];

		core_set_format(&missing, buf, sizeof(buf));
		core_set_format(&allowed, avail, sizeof(avail));
		NVTCP_ERRLOG("core(s) %s of '%s' do not exist on this machine or are not available to "
			     "this process (available: %s)", buf,
			     opts->core_mask ? opts->core_mask : opts->core_list, avail);
		return -EINVAL;
	}
	if (opts->main_core >= 0) {
		if (opts->main_core >= CPU_SETSIZE || !CPU_ISSET(opts->main_core, set)) {
			core_set_format(set, buf, sizeof(buf));
			NVTCP_ERRLOG("main core %d is not one of the selected cores (%s)",
				     opts->main_core, buf);
			return -EINVAL;
		}
		*main_core = opts->main_core;
	} else {
		*main_core = -1;
		for (int c = 0; c < CPU_SETSIZE && *main_core < 0; c++) {
			if (CPU_ISSET(c, set)) {
				*main_core = c;
			}
		}
	}
	return 0;
}

/* ---- Hugepages --------------------------------------------------------------------------- */

static bool
read_u64_file(const char *path, uint64_t *val)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (f == NULL) {
		return false;
	}
	ok = fscanf(f, "%" SCNu64, val) == 1;
	fclose(f);
	return ok;
}

/*
 * Hugepage memory that a new mapping can still get: free pages minus the pages other
 * mappings have reserved but not yet touched. Also returns the page size with the most of it.
 */
static uint64_t
huge_available(uint64_t *page_size)
{
	DIR *d = opendir("/sys/kernel/mm/hugepages");
	uint64_t total = 0, best = 0;
	struct dirent *de;

	*page_size = 0;
	if (d == NULL) {
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t kb, free_pages, resv_pages, bytes;
		char path[512];

		if (sscanf(de->d_name, "hugepages-%" SCNu64 "kB", &kb) != 1) {
			continue;
		}
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/free_hugepages",
			 de->d_name);
		if (!read_u64_file(path, &free_pages)) {
			continue;
		}
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/resv_hugepages",
			 de->d_name);
		if (!read_u64_file(path, &resv_pages)) {
			resv_pages = 0;
		}
		bytes = free_pages > resv_pages ? (free_pages - resv_pages) * kb * 1024 : 0;
		total += bytes;
		if (bytes > best) {
			best = bytes;
			*page_size = kb * 1024;
		}
	}
	closedir(d);
	return total;
}

static bool
hugetlbfs_mounted(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[512];
	bool found = false;

	if (f == NULL) {
		return false;
	}
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char dev[128], dir[256], type[64];

		if (sscanf(line, "%127s %255s %63s", dev, dir, type) == 3 &&
		    strcmp(type, "hugetlbfs") == 0) {
			found = true;
		}
	}
	fclose(f);
	return found;
}

/*
 * Whether hugepages can back need_mb; if not, why (for the warning or error).
 */
static bool
huge_usable(const struct nvtcp_env_opts *opts, uint64_t need_mb, char *why, size_t whylen)
{
	uint64_t page_size;
	uint64_t avail = huge_available(&page_size);
	void *probe;

	if (avail < need_mb << 20) {
		snprintf(why, whylen, "%" PRIu64 " MiB of hugepages free, %" PRIu64 " MiB needed",
			 avail >> 20, need_mb);
		return false;
	}
	if (opts->file_prefix != NULL && !hugetlbfs_mounted()) {
		snprintf(why, whylen, "no hugetlbfs is mounted (needed with a file prefix)");
		return false;
	}
	/* The counters can say yes while the kernel says no (e.g. a cgroup hugetlb limit): one
	 * mapping, not touched, so a refusal is an error code here rather than a SIGBUS in EAL. */
	probe = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
		     ((__builtin_ctzll(page_size)) << MAP_HUGE_SHIFT), -1, 0);
	if (probe == MAP_FAILED) {
		snprintf(why, whylen, "the kernel refused a %" PRIu64 " kB hugepage mapping (%s)",
			 page_size >> 10, strerror(errno));
		return false;
	}
	munmap(probe, page_size);
	return true;
}

static int
huge_choose(const struct nvtcp_env_opts *opts, bool *use_huge)
{
	uint64_t need_mb = opts->mem_size_mb > 0 ? opts->mem_size_mb : ENV_HUGE_MIN_MB;
	char why[256];

	switch (opts->huge) {
	case NVTCP_ENV_HUGE_OFF:
		*use_huge = false;
		return 0;
	case NVTCP_ENV_HUGE_AUTO:
	case NVTCP_ENV_HUGE_REQUIRE:
		break;
	default:
		NVTCP_ERRLOG("invalid hugepage policy %d", (int)opts->huge);
		return -EINVAL;
	}
	if (huge_usable(opts, need_mb, why, sizeof(why))) {
		*use_huge = true;
		return 0;
	}
	if (opts->huge == NVTCP_ENV_HUGE_REQUIRE) {
		NVTCP_ERRLOG("hugepages are required but cannot be used: %s (reserve them with "
			     "'echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages')",
			     why);
		return -ENOMEM;
	}
	NVTCP_WARNLOG("not using hugepages: %s; falling back to plain memory", why);
	*use_huge = false;
	return 0;
}

/* ---- EAL --------------------------------------------------------------------------------- */

static int
arg_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
arg_add(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (g_argc >= ENV_MAX_ARGS) {
		return -E2BIG;
	}
	va_start(ap, fmt);
	n = vsnprintf(g_arg_store[g_argc], ENV_ARG_LEN, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= ENV_ARG_LEN) {
		return -E2BIG;
	}
	g_argv[g_argc] = g_arg_store[g_argc];
	g_argc++;
	g_argv[g_argc] = NULL;
	return 0;
}

static bool
mempool_driver_present(const char *name)
{
	for (uint32_t i = 0; i < rte_mempool_ops_table.num_ops; i++) {
		if (strcmp(rte_mempool_ops_table.ops[i].name, name) == 0) {
			return true;
		}
	}
	return false;
}

static int
args_build(const struct nvtcp_env_opts *opts, const cpu_set_t *cores, int main_core,
	   bool use_huge, size_t *mem_mb)
{
	char list[512];
	int rc = 0;

	core_set_format(cores, list, sizeof(list));
	g_argc = 0;
	rc |= arg_add("%s", opts->name != NULL ? opts->name : "nvtcp");
	rc |= arg_add("-l");
	rc |= arg_add("%s", list);
	rc |= arg_add("--main-lcore=%d", main_core);
	/* We drive no PCI device and use no telemetry socket; without these EAL probes the bus
	 * and creates a socket per process. */
	rc |= arg_add("--no-pci");
	rc |= arg_add("--no-telemetry");
	/* Our memory is never handed to a device, so virtual addresses serve as IOVAs; that also
	 * spares EAL from reading physical addresses, which needs privileges. */
	rc |= arg_add("--iova-mode=va");
	if (!opts->verbose) {
		rc |= arg_add("--log-level=error");
	}
	*mem_mb = opts->mem_size_mb;
	if (use_huge) {
		if (opts->file_prefix != NULL) {
			rc |= arg_add("--file-prefix=%s", opts->file_prefix);
		} else {
			rc |= arg_add("--in-memory");
		}
		if (opts->mem_size_mb > 0) {
			rc |= arg_add("-m");
			rc |= arg_add("%zu", opts->mem_size_mb);
		}
	} else {
		if (*mem_mb == 0) {
			*mem_mb = ENV_NOHUGE_DEFAULT_MB;
		}
		rc |= arg_add("--no-huge");
		rc |= arg_add("--no-shconf");
		rc |= arg_add("-m");
		rc |= arg_add("%zu", *mem_mb);
	}
	return rc != 0 ? -E2BIG : 0;
}

static int
opts_check(const struct nvtcp_env_opts *opts)
{
	if (opts->name != NULL && (opts->name[0] == '\0' || strlen(opts->name) >= ENV_ARG_LEN)) {
		NVTCP_ERRLOG("invalid environment name");
		return -EINVAL;
	}
	if (opts->file_prefix != NULL) {
		size_t len = strlen(opts->file_prefix);

		if (len == 0 || len > ENV_FILE_PREFIX_MAX || strchr(opts->file_prefix, '/')) {
			NVTCP_ERRLOG("invalid file prefix '%s': 1 to %d characters, no '/'",
				     opts->file_prefix, ENV_FILE_PREFIX_MAX);
			return -EINVAL;
		}
	}
	if (opts->mem_size_mb > (size_t)1 << 30) {
		NVTCP_ERRLOG("memory size %zu MiB is too large", opts->mem_size_mb);
		return -EINVAL;
	}
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
nvtcp_env_init(const struct nvtcp_env_opts *user_opts)
{
	struct nvtcp_env_opts defaults;
	const struct nvtcp_env_opts *opts = user_opts;
	cpu_set_t cores;
	int main_core, rc;
	bool use_huge;
	size_t mem_mb;
	char list[512], mem[64];
	double t0;

	if (g_initialized) {
		NVTCP_ERRLOG("the environment is already initialised");
		return -EALREADY;
	}
	if (g_eal_used) {
		NVTCP_ERRLOG("the environment cannot be initialised twice in one process (DPDK "
			     "EAL can start only once)");
		return -EALREADY;
	}
	if (opts == NULL) {
		nvtcp_env_opts_init(&defaults);
		opts = &defaults;
	}
	rc = opts_check(opts);
	if (rc != 0) {
		return rc;
	}
	rc = cores_resolve(opts, &cores, &main_core);
	if (rc != 0) {
		return rc;
	}
	rc = huge_choose(opts, &use_huge);
	if (rc != 0) {
		return rc;
	}
	rc = args_build(opts, &cores, main_core, use_huge, &mem_mb);
	if (rc != 0) {
		NVTCP_ERRLOG("environment options too long");
		return rc;
	}

	g_verbose = opts->verbose;
	dpdk_log_redirect();
	t0 = now_s();
	g_eal_used = true;
	if (rte_eal_init(g_argc, g_argv) < 0) {
		rc = rte_errno != 0 ? -rte_errno : -EIO;
		NVTCP_ERRLOG("DPDK EAL initialisation failed: %s", rte_strerror(-rc));
		return rc;
	}
	if (!mempool_driver_present("ring_mp_mc")) {
		/* Debian's DPDK loads its drivers, the mempool ring among them, as plugins; without
		 * it no pool can be created. Fail now rather than at the first pool. */
		NVTCP_ERRLOG("the DPDK mempool driver 'ring_mp_mc' is not loaded (is the DPDK "
			     "plugin directory %s present?)", RTE_EAL_PMD_PATH);
		rte_eal_cleanup();
		return -ENOENT;
	}
	g_hugepages = use_huge;
	g_initialized = true;
	env_cores_init();

	core_set_format(&cores, list, sizeof(list));
	if (mem_mb > 0) {
		snprintf(mem, sizeof(mem), "%zu MiB reserved", mem_mb);
	} else {
		snprintf(mem, sizeof(mem), "allocated on demand");
	}
	NVTCP_NOTICELOG("environment up in %.2f s: cores %s (main %d), memory: %s%s%s, %s",
			now_s() - t0, list, main_core,
			use_huge ? "hugepages, " : "plain (no hugepages)",
			use_huge ? (opts->file_prefix ? "file prefix " : "in-memory") : "",
			use_huge && opts->file_prefix ? opts->file_prefix : "", mem);
	return 0;
}

void
nvtcp_env_fini(void)
{
	if (!g_initialized) {
		return;
	}
	rte_eal_cleanup();
	g_initialized = false;
	g_hugepages = false;
}
