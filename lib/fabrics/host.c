/*
 * The host identity presented in Fabrics Connect: host NQN and 128-bit host ID.
 *
 * Found the way the Linux host finds it (nvme-cli/libnvme and the kernel's nvme-fabrics):
 * /etc/nvme/hostnqn holds the NQN and /etc/nvme/hostid the host ID as a UUID, each on the first
 * line (trailing whitespace and the newline are not part of the value). Using the same files
 * means a target's access list that names this machine's NQN admits nvtcp too, and a target
 * sees the same host whether the kernel or nvtcp connects.
 *
 * The directory can be moved with the environment variable NVTCP_ETC_NVME (tests, containers
 * that mount the host's identity elsewhere).
 *
 * When a file is missing:
 *   - no hostid: taken from the NQN when the NQN is in the UUID form, else generated;
 *   - no hostnqn: "nqn.2014-08.org.nvmexpress:uuid:<hostid>";
 *   - neither: both from one generated UUID.
 * The generated UUID is made once per process, so every controller a process attaches shows
 * the same host (a target ties controllers of one host together by NQN and host ID).
 * A file that is present but unreadable or invalid is an error: silently presenting another
 * identity would get the host refused, or worse, admitted as someone else.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "fabrics_internal.h"
#include "nvtcp/log.h"
#include "nvtcp/nvmf_spec.h"

/* Largest file content considered: an NQN line with generous room for trailing blanks. */
#define HOST_FILE_MAX 1024

static pthread_once_t g_gen_once = PTHREAD_ONCE_INIT;
static uint8_t g_gen_uuid[16];

static void
gen_uuid_init(void)
{
	uuid_t u;

	/* uuid_generate() uses the kernel's random source (a version 4 UUID) when available. */
	uuid_generate(u);
	memcpy(g_gen_uuid, u, sizeof(g_gen_uuid));
}

static const uint8_t *
generated_uuid(void)
{
	pthread_once(&g_gen_once, gen_uuid_init);
	return g_gen_uuid;
}

static const char *
etc_dir(void)
{
	const char *dir = getenv(FABRICS_ETC_NVME_ENV);

	return dir != NULL && dir[0] != '\0' ? dir : FABRICS_ETC_NVME_DEFAULT;
}

/*
 * Read the first line of \p path into \p line (leading and trailing whitespace removed).
 * Returns 0, -ENOENT when the file does not exist or holds nothing but whitespace, or another
 * negative errno (logged, naming the file).
 */
static int
read_first_line(const char *path, char *line, size_t size)
{
	char buf[HOST_FILE_MAX + 1];
	size_t len = 0, start, end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int rc = -errno;

		if (rc != -ENOENT) {
			NVTCP_ERRLOG("cannot read %s: %s\n", path, strerror(-rc));
		}
		return rc;
	}
	while (len < HOST_FILE_MAX) {
		n = read(fd, buf + len, HOST_FILE_MAX - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			int rc = -errno;

			NVTCP_ERRLOG("cannot read %s: %s\n", path, strerror(-rc));
			close(fd);
			return rc;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		NVTCP_ERRLOG("%s: contains a NUL byte\n", path);
		return -EINVAL;
	}
	end = strcspn(buf, "\n");
	start = 0;
	while (start < end && (buf[start] == ' ' || buf[start] == '\t' || buf[start] == '\r')) {
		start++;
	}
	while (end > start && (buf[end - 1] == ' ' || buf[end - 1] == '\t' ||
			       buf[end - 1] == '\r')) {
		end--;
	}
	if (end == start) {
		NVTCP_NOTICELOG("%s is empty: treated as absent\n", path);
		return -ENOENT;
	}
	if (end - start >= size) {
		NVTCP_ERRLOG("%s: first line is %zu bytes, longer than %zu\n", path, end - start,
			     size - 1);
		return -EINVAL;
	}
	memcpy(line, buf + start, end - start);
	line[end - start] = '\0';
	return 0;
}

static bool
nqn_uuid(const char *nqn, uint8_t uuid[16])
{
	static const char prefix[] = NVTCP_NVMF_NQN_UUID_PREFIX;
	const size_t plen = sizeof(prefix) - 1;

	return strncmp(nqn, prefix, plen) == 0 &&
	       fabrics_uuid_parse(nqn + plen, strlen(nqn + plen), uuid) == 0;
}

static void
nqn_from_uuid(const uint8_t uuid[16], char *nqn, size_t size)
{
	char text[FABRICS_UUID_STR_LEN + 1];

	fabrics_uuid_format(uuid, text);
	snprintf(nqn, size, "%s%s", NVTCP_NVMF_NQN_UUID_PREFIX, text);
}

int
nvtcp_host_id_default(struct nvtcp_host_id *id)
{
	char nqn_path[4096], id_path[4096];
	char nqn[NVTCP_NQN_MAX_LEN + 1];
	char idtext[64], reason[256];
	const char *dir = etc_dir();
	uint8_t hostid[16], nqnid[16];
	bool have_nqn, have_id;
	int rc;

	if (id == NULL) {
		return -EINVAL;
	}
	if (snprintf(nqn_path, sizeof(nqn_path), "%s/hostnqn", dir) >= (int)sizeof(nqn_path) ||
	    snprintf(id_path, sizeof(id_path), "%s/hostid", dir) >= (int)sizeof(id_path)) {
		NVTCP_ERRLOG("%s=%s: path too long\n", FABRICS_ETC_NVME_ENV, dir);
		return -ENAMETOOLONG;
	}

	rc = read_first_line(nqn_path, nqn, sizeof(nqn));
	if (rc != 0 && rc != -ENOENT) {
		return rc;
	}
	have_nqn = rc == 0;
	if (have_nqn && !nvtcp_nqn_valid(nqn, reason, sizeof(reason))) {
		NVTCP_ERRLOG("%s: invalid host NQN: %s\n", nqn_path, reason);
		return -EINVAL;
	}

	rc = read_first_line(id_path, idtext, sizeof(idtext));
	if (rc != 0 && rc != -ENOENT) {
		return rc;
	}
	have_id = rc == 0;
	if (have_id && nvtcp_host_id_parse(idtext, hostid) != 0) {
		NVTCP_ERRLOG("%s: '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n",
			     id_path, idtext);
		return -EINVAL;
	}

	if (have_nqn && have_id) {
		static bool noted; /* once per process: every nvtcp_ctrlr_opts_init() gets here */

		if (nqn_uuid(nqn, nqnid) && memcmp(nqnid, hostid, sizeof(hostid)) != 0 &&
		    !__atomic_exchange_n(&noted, true, __ATOMIC_RELAXED)) {
			/* Legal, and normal: Debian's nvme-cli package generates the two files
			 * from different UUIDs. Used as given, as the Linux host does. */
			NVTCP_DEBUGLOG("%s names a UUID different from the host ID in %s\n",
				       nqn_path, id_path);
		}
	} else if (have_nqn) {
		if (!nqn_uuid(nqn, hostid)) {
			memcpy(hostid, generated_uuid(), sizeof(hostid));
		}
	} else if (have_id) {
		nqn_from_uuid(hostid, nqn, sizeof(nqn));
	} else {
		memcpy(hostid, generated_uuid(), sizeof(hostid));
		nqn_from_uuid(hostid, nqn, sizeof(nqn));
	}

	memset(id, 0, sizeof(*id));
	snprintf(id->hostnqn, sizeof(id->hostnqn), "%s", nqn);
	memcpy(id->hostid, hostid, sizeof(id->hostid));
	return 0;
}

int
nvtcp_host_id_parse(const char *str, uint8_t hostid[16])
{
	if (str == NULL || hostid == NULL) {
		return -EINVAL;
	}
	return fabrics_uuid_parse(str, strlen(str), hostid);
}
