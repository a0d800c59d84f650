/*
 * Interop check of the host driver against a real NVMe/TCP target (the Linux kernel target of
 * /work/shared/peers/linux-nvmet). Not a unit test (it needs the target), so its name does not
 * end in _ut and the unit runner skips it.
 *
 *   nvme_kernel_target <addr> <port> <subnqn> [hdgst] [ddgst] [ka]
 *
 * Steps: discovery; attach; identify; several I/O queue pairs (IDs 1..N); on each namespace
 * in-capsule writes (<= the in-capsule size), R2T writes (larger), reads, iovecs, a transfer
 * above the 1 MiB limit (split), Write Zeroes, Compare, Flush, Dataset Management; random
 * I/O at queue depth 32 on three queue pairs in a poll group with verification; admin
 * commands; optionally an idle period longer than KATO (keep-alive); detach with shutdown.
 * Prints one line per step and "RESULT: PASS" or "RESULT: FAIL".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/log.h"
#include "nvtcp/nvme.h"
#include "nvtcp/util.h"

static int g_fail;

#define CHECK(cond, ...)                                                                       \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			printf("  FAIL %s:%d: ", __func__, __LINE__);                          \
			printf(__VA_ARGS__);                                                   \
			printf("\n");                                                          \
			g_fail++;                                                              \
		}                                                                              \
	} while (0)

struct waiter {
	int done;
	struct nvtcp_nvme_cpl cpl;
};

static void
wait_cb(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct waiter *w = arg;

	w->done++;
	w->cpl = *cpl;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Poll until the waiter completed (bounded: 30 s). */
static int
wait_io(struct nvtcp_ctrlr *c, struct nvtcp_qpair *qp, struct waiter *w, int n)
{
	double end = now_s() + 30;

	while (w->done < n && now_s() < end) {
		if (qp != NULL && nvtcp_qpair_process_completions(qp, 0) < 0) {
			return -ENXIO;
		}
		if (nvtcp_ctrlr_process_admin_completions(c) < 0) {
			return -ENXIO;
		}
	}
	return w->done >= n ? 0 : -ETIMEDOUT;
}

static int
status_ok(const struct waiter *w)
{
	return !nvtcp_nvme_cpl_is_error(&w->cpl);
}

static void
fill(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

static void
step_discovery(const char *addr, const char *port, const char *subnqn)
{
	struct nvtcp_discover_opts o;
	struct nvtcp_discovery_entry *e = NULL;
	struct nvtcp_trid t;
	size_t n = 0;
	int rc, found = 0;

	nvtcp_discover_opts_init(&o);
	nvtcp_trid_init(&t);
	snprintf(t.traddr, sizeof(t.traddr), "%s", addr);
	snprintf(t.trsvcid, sizeof(t.trsvcid), "%s", port);
	rc = nvtcp_discover(&t, &o, &e, &n);
	CHECK(rc == 0, "nvtcp_discover: %s", strerror(-rc));
	for (size_t i = 0; i < n; i++) {
		printf("  discovery entry %zu: subtype %u, %s:%s %s\n", i, e[i].subtype,
		       e[i].trid.traddr, e[i].trid.trsvcid, e[i].trid.subnqn);
		found += strcmp(e[i].trid.subnqn, subnqn) == 0;
	}
	CHECK(found >= 1, "subsystem %s not in the discovery log", subnqn);
	free(e);
	printf("discovery: %zu entries\n", n);
}

/* Write then read back [lba, lba + blocks) through contiguous buffers. */
static void
rw_check(struct nvtcp_ctrlr *c, struct nvtcp_qpair *qp, struct nvtcp_ns *ns, uint64_t lba,
	 uint32_t blocks, const char *what)
{
	uint32_t bs = nvtcp_ns_get_sector_size(ns);
	size_t len = (size_t)blocks * bs;
	uint8_t *w = malloc(len), *r = malloc(len);
	struct waiter wt = {0};
	int rc;

	fill(w, len, lba * 31 + blocks);
	memset(r, 0, len);
	rc = nvtcp_ns_cmd_write(ns, qp, w, lba, blocks, wait_cb, &wt, 0);
	CHECK(rc == 0, "%s: write submit %s", what, strerror(-rc));
	CHECK(wait_io(c, qp, &wt, 1) == 0 && status_ok(&wt), "%s: write status 0x%04x", what,
	      wt.cpl.status);
	rc = nvtcp_ns_cmd_read(ns, qp, r, lba, blocks, wait_cb, &wt, 0);
	CHECK(rc == 0, "%s: read submit %s", what, strerror(-rc));
	CHECK(wait_io(c, qp, &wt, 2) == 0 && status_ok(&wt), "%s: read status 0x%04x", what,
	      wt.cpl.status);
	CHECK(memcmp(w, r, len) == 0, "%s: data mismatch", what);
	printf("  %s: %zu bytes written and read back\n", what, len);
	free(w);
	free(r);
}

static void
step_ns(struct nvtcp_ctrlr *c, struct nvtcp_qpair *qp, struct nvtcp_ns *ns)
{
	uint32_t bs = nvtcp_ns_get_sector_size(ns);
	uint32_t inc = 16384 / bs;
	struct waiter wt = {0};
	uint8_t *a, *b;
	int rc;

	printf("namespace %u: %llu blocks of %u bytes, max transfer %u\n", nvtcp_ns_get_id(ns),
	       (unsigned long long)nvtcp_ns_get_num_sectors(ns), bs,
	       nvtcp_ns_get_max_io_xfer_size(ns));
	rw_check(c, qp, ns, 0, 1, "one block (in-capsule)");
	rw_check(c, qp, ns, 8, 4096 / bs, "4 KiB (in-capsule)");
	rw_check(c, qp, ns, 64, inc, "16 KiB (in-capsule, the limit)");
	rw_check(c, qp, ns, 128, inc + 1, "16 KiB + 1 block (R2T)");
	rw_check(c, qp, ns, 256, 65536 / bs, "64 KiB (R2T)");
	rw_check(c, qp, ns, 1024, 1048576 / bs, "1 MiB (R2T)");
	rw_check(c, qp, ns, 4096, 3 * 1048576 / bs + 3, "3 MiB + 3 blocks (split)");

	/* iovecs: 5 pieces of odd sizes summing to 40 KiB. */
	{
		size_t len = 40960, sz[5] = {512, 7680, 1024, 20480, 11264}, offs[5], off = 0;
		struct iovec iov[5];
		uint8_t *r = calloc(1, len);

		a = malloc(len);
		fill(a, len, 99);
		for (int i = 0; i < 5; i++) {
			offs[i] = off;
			iov[i].iov_base = a + off;
			iov[i].iov_len = sz[i];
			off += sz[i];
		}
		rc = nvtcp_ns_cmd_writev(ns, qp, 20000, (uint32_t)(len / bs), iov, 5, wait_cb, &wt, 0);
		CHECK(rc == 0 && wait_io(c, qp, &wt, 1) == 0 && status_ok(&wt), "writev");
		for (int i = 0; i < 5; i++) {
			iov[i].iov_base = r + offs[i];
		}
		rc = nvtcp_ns_cmd_readv(ns, qp, 20000, (uint32_t)(len / bs), iov, 5, wait_cb, &wt, 0);
		CHECK(rc == 0 && wait_io(c, qp, &wt, 2) == 0 && status_ok(&wt), "readv");
		CHECK(memcmp(a, r, len) == 0, "writev/readv data mismatch");
		/* Compare: equal, then not. */
		rc = nvtcp_ns_cmd_compare(ns, qp, a, 20000, 8, wait_cb, &wt, 0);
		CHECK(rc == 0 && wait_io(c, qp, &wt, 3) == 0, "compare");
		printf("  compare (equal): status 0x%04x (%s)\n", wt.cpl.status,
		       nvtcp_nvme_status_str(wt.cpl.status));
		a[10] ^= 0xFF;
		rc = nvtcp_ns_cmd_compare(ns, qp, a, 20000, 8, wait_cb, &wt, 0);
		CHECK(rc == 0 && wait_io(c, qp, &wt, 4) == 0, "compare");
		printf("  compare (different): status 0x%04x (%s)\n", wt.cpl.status,
		       nvtcp_nvme_status_str(wt.cpl.status));
		free(a);
		free(r);
		printf("  iovecs: 40 KiB in 5 pieces written and read back\n");
	}

	/* Write Zeroes, Flush, DSM. */
	b = malloc(8 * bs);
	memset(&wt, 0, sizeof(wt));
	rc = nvtcp_ns_cmd_write_zeroes(ns, qp, 8, 8, wait_cb, &wt, 0);
	CHECK(rc == 0 && wait_io(c, qp, &wt, 1) == 0, "write zeroes");
	printf("  write zeroes: status 0x%04x (%s)\n", wt.cpl.status,
	       nvtcp_nvme_status_str(wt.cpl.status));
	if (status_ok(&wt)) {
		rc = nvtcp_ns_cmd_read(ns, qp, b, 8, 8, wait_cb, &wt, 0);
		CHECK(rc == 0 && wait_io(c, qp, &wt, 2) == 0 && status_ok(&wt), "read zeroes");
		for (uint32_t i = 0; i < 8 * bs; i++) {
			if (b[i] != 0) {
				CHECK(0, "write zeroes left data at byte %u", i);
				break;
			}
		}
	}
	memset(&wt, 0, sizeof(wt));
	rc = nvtcp_ns_cmd_flush(ns, qp, wait_cb, &wt);
	CHECK(rc == 0 && wait_io(c, qp, &wt, 1) == 0 && status_ok(&wt), "flush 0x%04x",
	      wt.cpl.status);
	{
		struct nvtcp_nvme_dsm_range r = {.slba = 30000, .nlb = 64};

		rc = nvtcp_ns_cmd_dataset_management(ns, qp, NVTCP_NVME_DSM_ATTR_DEALLOCATE, &r, 1,
						     wait_cb, &wt);
		CHECK(rc == 0 && wait_io(c, qp, &wt, 2) == 0, "dsm");
		printf("  dataset management (deallocate): status 0x%04x (%s)\n", wt.cpl.status,
		       nvtcp_nvme_status_str(wt.cpl.status));
	}
	free(b);
	/* FUA write. */
	{
		uint8_t *w = malloc(bs);

		fill(w, bs, 5);
		memset(&wt, 0, sizeof(wt));
		rc = nvtcp_ns_cmd_write(ns, qp, w, 40000, 1, wait_cb, &wt, NVTCP_IO_FLAGS_FUA);
		CHECK(rc == 0 && wait_io(c, qp, &wt, 1) == 0 && status_ok(&wt), "FUA write");
		free(w);
	}
}

struct rnd_io {
	struct nvtcp_ns *ns;
	struct nvtcp_qpair *qp;
	uint8_t *buf;
	uint8_t *expect;
	uint64_t lba;
	int phase;      /* 0 writing, 1 reading */
	int remaining;
	int *errors;
	int *done;
};

static void rnd_next(struct rnd_io *io);

static void
rnd_cb(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct rnd_io *io = arg;

	if (nvtcp_nvme_cpl_is_error(cpl)) {
		(*io->errors)++;
	}
	if (io->phase == 1 && memcmp(io->buf, io->expect, 4096) != 0) {
		(*io->errors)++;
	}
	io->remaining--;
	rnd_next(io);
}

static void
rnd_next(struct rnd_io *io)
{
	int rc;

	if (io->remaining <= 0) {
		(*io->done)++;
		return;
	}
	if ((io->remaining & 1) == 0) {
		io->phase = 0;
		io->lba = (uint64_t)(rand() % 4096) * 8 + 50000;
		fill(io->expect, 4096, io->lba);
		memcpy(io->buf, io->expect, 4096);
		rc = nvtcp_ns_cmd_write(io->ns, io->qp, io->buf, io->lba, 8, rnd_cb, io, 0);
	} else {
		io->phase = 1;
		memset(io->buf, 0, 4096);
		rc = nvtcp_ns_cmd_read(io->ns, io->qp, io->buf, io->lba, 8, rnd_cb, io, 0);
	}
	if (rc != 0) {
		(*io->errors)++;
		(*io->done)++;
	}
}

static void
step_poll_group(struct nvtcp_ctrlr *c, struct nvtcp_qpair **qps, int nq, struct nvtcp_ns *ns)
{
	struct nvtcp_poll_group *g = nvtcp_poll_group_create();
	struct nvtcp_poll_group_stats st;
	enum { QD = 32, OPS = 200 };
	struct rnd_io *ios = calloc((size_t)nq * QD, sizeof(*ios));
	int errors = 0, done = 0, n = nq * QD;
	double t0 = now_s(), end = t0 + 60;

	CHECK(g != NULL, "poll group");
	for (int q = 0; q < nq; q++) {
		CHECK(nvtcp_poll_group_add(g, qps[q]) == 0, "poll group add");
	}
	/* Each slot works on its own LBA range stripe to keep the verification exact. */
	for (int i = 0; i < n; i++) {
		ios[i].ns = ns;
		ios[i].qp = qps[i % nq];
		ios[i].buf = malloc(4096);
		ios[i].expect = malloc(4096);
		ios[i].remaining = OPS;
		ios[i].errors = &errors;
		ios[i].done = &done;
	}
	srand(7);
	for (int i = 0; i < n; i++) {
		rnd_next(&ios[i]);
	}
	while (done < n && now_s() < end) {
		if (nvtcp_poll_group_process_completions(g, 0) < 0) {
			break;
		}
		(void)nvtcp_ctrlr_process_admin_completions(c);
	}
	CHECK(done == n, "random I/O: %d of %d slots finished", done, n);
	CHECK(errors == 0, "random I/O: %d errors", errors);
	nvtcp_poll_group_get_stats(g, &st);
	printf("poll group: %d queue pairs x QD %d, %d ops in %.2f s; polls %llu (idle %llu), "
	       "completions %llu, recv %llu, send %llu, epoll %llu\n", nq, QD, n * OPS,
	       now_s() - t0, (unsigned long long)st.polls, (unsigned long long)st.idle_polls,
	       (unsigned long long)st.completions, (unsigned long long)st.recv_calls,
	       (unsigned long long)st.send_calls, (unsigned long long)st.epoll_calls);
	for (int q = 0; q < nq; q++) {
		CHECK(nvtcp_poll_group_remove(g, qps[q]) == 0, "poll group remove");
	}
	CHECK(nvtcp_poll_group_destroy(g) == 0, "poll group destroy");
	for (int i = 0; i < n; i++) {
		free(ios[i].buf);
		free(ios[i].expect);
	}
	free(ios);
	(void)c;
}

static void
step_admin(struct nvtcp_ctrlr *c)
{
	static uint8_t buf[4096];
	struct waiter wt = {0};
	int rc;

	rc = nvtcp_ctrlr_cmd_get_log_page(c, NVTCP_NVME_LOG_HEALTH_INFORMATION,
					  NVTCP_NVME_NSID_ALL, buf, 512, 0, wait_cb, &wt);
	CHECK(rc == 0 && wait_io(c, NULL, &wt, 1) == 0 && status_ok(&wt), "health log 0x%04x",
	      wt.cpl.status);
	rc = nvtcp_ctrlr_cmd_get_feature(c, NVTCP_NVME_FEAT_NUMBER_OF_QUEUES, 0, NULL, 0, wait_cb,
					 &wt);
	CHECK(rc == 0 && wait_io(c, NULL, &wt, 2) == 0 && status_ok(&wt), "get features");
	printf("admin: health log read; Number of Queues feature 0x%08x\n", wt.cpl.cdw0);
	rc = nvtcp_ctrlr_cmd_identify(c, NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST, 0, 0, buf, 4096,
				      wait_cb, &wt);
	CHECK(rc == 0 && wait_io(c, NULL, &wt, 3) == 0 && status_ok(&wt), "identify list");
}

int
main(int argc, char **argv)
{
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c;
	struct nvtcp_qpair *qps[3];
	struct nvtcp_trid t;
	const struct nvtcp_nvme_ctrlr_data *d;
	char mn[41], sn[21], fr[9];
	bool ka = false;
	uint32_t nsid;
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: %s addr port subnqn [hdgst] [ddgst] [ka]\n", argv[0]);
		return 2;
	}
	nvtcp_ctrlr_opts_init(&o);
	for (int i = 4; i < argc; i++) {
		o.hdgst |= strcmp(argv[i], "hdgst") == 0;
		o.ddgst |= strcmp(argv[i], "ddgst") == 0;
		ka |= strcmp(argv[i], "ka") == 0;
	}
	o.num_io_queues = 3;
	printf("target %s:%s %s, hdgst %d, ddgst %d\n", argv[1], argv[2], argv[3], o.hdgst,
	       o.ddgst);
	step_discovery(argv[1], argv[2], argv[3]);

	nvtcp_trid_init(&t);
	snprintf(t.traddr, sizeof(t.traddr), "%s", argv[1]);
	snprintf(t.trsvcid, sizeof(t.trsvcid), "%s", argv[2]);
	snprintf(t.subnqn, sizeof(t.subnqn), "%s", argv[3]);
	c = nvtcp_ctrlr_attach(&t, &o, &rc);
	if (c == NULL) {
		printf("attach failed: %s\nRESULT: FAIL\n", strerror(-rc));
		return 1;
	}
	d = nvtcp_ctrlr_get_data(c);
	nvtcp_str_from_field(mn, d->mn, sizeof(d->mn));
	nvtcp_str_from_field(sn, d->sn, sizeof(d->sn));
	nvtcp_str_from_field(fr, d->fr, sizeof(d->fr));
	printf("attached: cntlid %u, MN \"%s\", SN \"%s\", FR \"%s\", VS %u.%u, MDTS %u, IOCCSZ %u, "
	       "MAXCMD %u, NN %u, AERL %u; %u I/O queues, %u namespaces, max transfer %u, "
	       "hdgst %d, ddgst %d\n", nvtcp_ctrlr_get_cntlid(c), mn, sn, fr,
	       nvtcp_nvme_vs_major(nvtcp_ctrlr_get_vs(c)), nvtcp_nvme_vs_minor(nvtcp_ctrlr_get_vs(c)),
	       d->mdts, d->ioccsz, d->maxcmd, d->nn, d->aerl, nvtcp_ctrlr_get_num_io_queues(c),
	       nvtcp_ctrlr_get_num_active_ns(c), nvtcp_ctrlr_get_max_xfer_size(c),
	       nvtcp_ctrlr_hdgst_enabled(c), nvtcp_ctrlr_ddgst_enabled(c));
	CHECK(nvtcp_ctrlr_hdgst_enabled(c) == o.hdgst, "header digest not as asked");
	CHECK(nvtcp_ctrlr_ddgst_enabled(c) == o.ddgst, "data digest not as asked");
	for (int i = 0; i < 3; i++) {
		qps[i] = nvtcp_ctrlr_alloc_io_qpair(c, NULL, &rc);
		CHECK(qps[i] != NULL, "I/O queue pair %d: %s", i + 1, strerror(-rc));
		if (qps[i] == NULL) {
			printf("RESULT: FAIL\n");
			return 1;
		}
		CHECK(nvtcp_qpair_get_id(qps[i]) == i + 1, "queue ID %u", nvtcp_qpair_get_id(qps[i]));
	}
	printf("I/O queue pairs: IDs %u %u %u\n", nvtcp_qpair_get_id(qps[0]),
	       nvtcp_qpair_get_id(qps[1]), nvtcp_qpair_get_id(qps[2]));
	for (nsid = nvtcp_ctrlr_get_first_active_ns(c); nsid != 0;
	     nsid = nvtcp_ctrlr_get_next_active_ns(c, nsid)) {
		step_ns(c, qps[nsid % 3], nvtcp_ctrlr_get_ns(c, nsid));
	}
	step_poll_group(c, qps, 3, nvtcp_ctrlr_get_ns(c, nvtcp_ctrlr_get_first_active_ns(c)));
	step_admin(c);
	if (ka) {
		/* Idle for longer than KATO: only keep-alives keep the controller. */
		double end = now_s() + 12;

		while (now_s() < end) {
			CHECK(nvtcp_ctrlr_process_admin_completions(c) >= 0, "admin queue failed");
			for (int i = 0; i < 3; i++) {
				(void)nvtcp_qpair_process_completions(qps[i], 0);
			}
			usleep(10000);
		}
		rw_check(c, qps[0], nvtcp_ctrlr_get_ns(c, nvtcp_ctrlr_get_first_active_ns(c)), 0, 8,
			 "after 12 s idle (KATO 5 s)");
		printf("keep-alive: controller %s after 12 s idle\n",
		       nvtcp_ctrlr_get_state(c) == NVTCP_CTRLR_STATE_LIVE ? "live" : "NOT live");
	}
	for (int i = 0; i < 3; i++) {
		struct nvtcp_qpair_stats st;

		nvtcp_qpair_get_stats(qps[i], &st);
		printf("qid %u: submitted %llu completed %llu errors %llu pdus sent %llu received %llu "
		       "send calls %llu recv calls %llu\n", nvtcp_qpair_get_id(qps[i]),
		       (unsigned long long)st.submitted, (unsigned long long)st.completed,
		       (unsigned long long)st.errors, (unsigned long long)st.pdus_sent,
		       (unsigned long long)st.pdus_received, (unsigned long long)st.send_calls,
		       (unsigned long long)st.recv_calls);
	}
	CHECK(nvtcp_ctrlr_free_io_qpair(qps[2]) == 0, "free qpair");
	rc = nvtcp_ctrlr_detach(c);
	CHECK(rc == 0, "detach (shutdown): %s", strerror(-rc));
	printf("detach: %s\n", rc == 0 ? "shutdown complete" : strerror(-rc));
	printf("RESULT: %s\n", g_fail == 0 ? "PASS" : "FAIL");
	return g_fail == 0 ? 0 : 1;
}
