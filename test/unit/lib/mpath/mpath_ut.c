/*
 * Unit tests of lib/mpath (mpath.c, mpath_io.c, mpath_ana.c) against fake controllers,
 * namespaces and queue pairs: identity checks, path selection by policy and ANA state,
 * failover, hold and resubmit (reconnect, inaccessible paths, hold timeout), exactly-once
 * completion, non-path errors, the ANA log parser, path removal.
 */
#include <errno.h>
#include <string.h>

#include "nvtcp/env.h"
#include "nvtcp/multipath.h"
#include "nvtcp/nvme_data_spec.h"

#include "ut.h"

/* ---- Fakes of the host driver ------------------------------------------------------------ */

#define FAKE_MAX_CMDS 256

struct fake_cmd {
	nvtcp_cmd_cb cb;
	void *cb_arg;
	uint64_t lba;
	bool write;
};

struct nvtcp_ns {
	struct nvtcp_ctrlr *ctrlr;
	struct nvtcp_nvme_ns_data data;
	uint8_t nguid[16];
	uint8_t uuid[16];
	bool has_uuid;
	uint32_t sector_size;
	uint64_t num_sectors;
};

struct nvtcp_ctrlr {
	struct nvtcp_nvme_ctrlr_data cdata;
	struct nvtcp_trid trid;
	struct nvtcp_ctrlr_opts opts;
	struct nvtcp_ns ns;
	enum nvtcp_ctrlr_state state;
	nvtcp_cmd_cb aer_cb;
	void *aer_arg;
	/* The ANA log it returns. */
	uint8_t ana_log[4096];
	uint32_t ana_log_len;
	/* A log read waiting for the admin poll. */
	nvtcp_cmd_cb log_cb;
	void *log_arg;
	void *log_buf;
	uint32_t log_len;
	uint32_t log_reads;
	uint32_t resets;
};

struct nvtcp_qpair {
	struct nvtcp_ctrlr *ctrlr;
	bool connected;
	bool failed;
	int submit_rc;
	struct fake_cmd cmds[FAKE_MAX_CMDS];
	uint32_t num_cmds;
	uint64_t submitted;
};

static uint64_t g_ticks = 1000;

uint64_t
nvtcp_env_get_ticks(void)
{
	return g_ticks;
}

bool
nvtcp_env_is_initialized(void)
{
	return true;
}

uint64_t
nvtcp_env_get_ticks_hz(void)
{
	return 1000; /* one tick per ms */
}

const struct nvtcp_nvme_ctrlr_data *
nvtcp_ctrlr_get_data(const struct nvtcp_ctrlr *c)
{
	return &c->cdata;
}

const struct nvtcp_trid *
nvtcp_ctrlr_get_trid(const struct nvtcp_ctrlr *c)
{
	return &c->trid;
}

const struct nvtcp_ctrlr_opts *
nvtcp_ctrlr_get_opts(const struct nvtcp_ctrlr *c)
{
	return &c->opts;
}

enum nvtcp_ctrlr_state
nvtcp_ctrlr_get_state(const struct nvtcp_ctrlr *c)
{
	return c->state;
}

struct nvtcp_ns *
nvtcp_ctrlr_get_ns(struct nvtcp_ctrlr *c, uint32_t nsid)
{
	return nsid == 1 ? &c->ns : NULL;
}

void
nvtcp_ctrlr_get_aer_callback(const struct nvtcp_ctrlr *c, nvtcp_cmd_cb *cb, void **cb_arg)
{
	*cb = c->aer_cb;
	*cb_arg = c->aer_arg;
}

void
nvtcp_ctrlr_register_aer_callback(struct nvtcp_ctrlr *c, nvtcp_cmd_cb cb, void *cb_arg)
{
	c->aer_cb = cb;
	c->aer_arg = cb_arg;
}

int
nvtcp_ctrlr_reset(struct nvtcp_ctrlr *c)
{
	c->resets++;
	return 0;
}

int
nvtcp_ctrlr_cmd_get_log_page(struct nvtcp_ctrlr *c, uint8_t lid, uint32_t nsid, void *buf,
			     uint32_t len, uint64_t offset, nvtcp_cmd_cb cb, void *cb_arg)
{
	(void)nsid;
	CU_ASSERT_EQUAL(lid, NVTCP_NVME_LOG_ANA);
	CU_ASSERT_EQUAL(offset, 0);
	if (c->log_cb != NULL) {
		return -EAGAIN;
	}
	c->log_cb = cb;
	c->log_arg = cb_arg;
	c->log_buf = buf;
	c->log_len = len;
	return 0;
}

int32_t
nvtcp_ctrlr_process_admin_completions(struct nvtcp_ctrlr *c)
{
	struct nvtcp_nvme_cpl cpl;
	nvtcp_cmd_cb cb = c->log_cb;

	if (c->state == NVTCP_CTRLR_STATE_FAILED) {
		return -ENXIO;
	}
	if (cb == NULL) {
		return 0;
	}
	memset(c->log_buf, 0, c->log_len);
	memcpy(c->log_buf, c->ana_log, c->ana_log_len < c->log_len ? c->ana_log_len : c->log_len);
	c->log_cb = NULL;
	c->log_reads++;
	memset(&cpl, 0, sizeof(cpl));
	cb(c->log_arg, &cpl);
	return 1;
}

uint32_t
nvtcp_ns_get_id(const struct nvtcp_ns *ns)
{
	(void)ns;
	return 1;
}

const struct nvtcp_nvme_ns_data *
nvtcp_ns_get_data(const struct nvtcp_ns *ns)
{
	return &ns->data;
}

const uint8_t *
nvtcp_ns_get_uuid(const struct nvtcp_ns *ns)
{
	return ns->has_uuid ? ns->uuid : NULL;
}

const uint8_t *
nvtcp_ns_get_nguid(const struct nvtcp_ns *ns)
{
	return ns->nguid;
}

uint32_t
nvtcp_ns_get_sector_size(const struct nvtcp_ns *ns)
{
	return ns->sector_size;
}

uint64_t
nvtcp_ns_get_num_sectors(const struct nvtcp_ns *ns)
{
	return ns->num_sectors;
}

uint32_t
nvtcp_ns_get_max_io_xfer_size(const struct nvtcp_ns *ns)
{
	(void)ns;
	return 128 * 1024;
}

struct nvtcp_ctrlr *
nvtcp_qpair_get_ctrlr(const struct nvtcp_qpair *q)
{
	return q->ctrlr;
}

bool
nvtcp_qpair_is_connected(const struct nvtcp_qpair *q)
{
	return q->connected;
}

static void complete_all(struct nvtcp_qpair *q, uint16_t status);
static uint16_t mkstatus(uint8_t sct, uint8_t sc, bool dnr);
static uint32_t g_fail_unsent_calls;

/* The fake's commands of a disconnected queue pair are all unsent. */
int
nvtcp_qpair_fail_unsent(struct nvtcp_qpair *q)
{
	uint32_t n = q->num_cmds;

	if (q->failed) {
		return -ENXIO;
	}
	if (q->connected) {
		return -EBUSY;
	}
	g_fail_unsent_calls++;
	complete_all(q, mkstatus(NVTCP_NVME_SCT_PATH, NVTCP_NVME_SC_HOST_PATH_ERROR, false));
	return (int)n;
}

int32_t
nvtcp_qpair_process_completions(struct nvtcp_qpair *q, uint32_t max)
{
	(void)max;
	return q->failed ? -ENXIO : 0;
}

static int
fake_submit(struct nvtcp_qpair *q, uint64_t lba, bool write, nvtcp_cmd_cb cb, void *cb_arg)
{
	if (q->failed) {
		return -ENXIO;
	}
	if (q->submit_rc != 0) {
		return q->submit_rc;
	}
	if (q->num_cmds == FAKE_MAX_CMDS) {
		return -EAGAIN;
	}
	q->cmds[q->num_cmds++] = (struct fake_cmd){cb, cb_arg, lba, write};
	q->submitted++;
	return 0;
}

int
nvtcp_ns_cmd_read(struct nvtcp_ns *ns, struct nvtcp_qpair *q, void *buf, uint64_t lba,
		  uint32_t n, nvtcp_cmd_cb cb, void *cb_arg, uint32_t f)
{
	(void)ns; (void)buf; (void)n; (void)f;
	return fake_submit(q, lba, false, cb, cb_arg);
}

int
nvtcp_ns_cmd_write(struct nvtcp_ns *ns, struct nvtcp_qpair *q, const void *buf, uint64_t lba,
		   uint32_t n, nvtcp_cmd_cb cb, void *cb_arg, uint32_t f)
{
	(void)ns; (void)buf; (void)n; (void)f;
	return fake_submit(q, lba, true, cb, cb_arg);
}

int
nvtcp_ns_cmd_readv(struct nvtcp_ns *ns, struct nvtcp_qpair *q, uint64_t lba, uint32_t n,
		   const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb, void *cb_arg, uint32_t f)
{
	(void)ns; (void)n; (void)iov; (void)iovcnt; (void)f;
	return fake_submit(q, lba, false, cb, cb_arg);
}

int
nvtcp_ns_cmd_writev(struct nvtcp_ns *ns, struct nvtcp_qpair *q, uint64_t lba, uint32_t n,
		    const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb, void *cb_arg, uint32_t f)
{
	(void)ns; (void)n; (void)iov; (void)iovcnt; (void)f;
	return fake_submit(q, lba, true, cb, cb_arg);
}

int
nvtcp_ns_cmd_flush(struct nvtcp_ns *ns, struct nvtcp_qpair *q, nvtcp_cmd_cb cb, void *cb_arg)
{
	(void)ns;
	return fake_submit(q, 0, true, cb, cb_arg);
}

/* ---- Helpers ------------------------------------------------------------------------------ */

static struct nvtcp_ctrlr g_c[3];
static struct nvtcp_qpair g_q[3];

static uint16_t
mkstatus(uint8_t sct, uint8_t sc, bool dnr)
{
	return (uint16_t)((sct << 9) | (sc << 1) | (dnr ? 0x8000 : 0));
}

static void
set_ana_log(struct nvtcp_ctrlr *c, uint32_t grp, uint8_t state)
{
	struct nvtcp_nvme_ana_log_hdr h;
	struct nvtcp_nvme_ana_group_desc d;
	uint32_t nsid = 1;

	memset(&h, 0, sizeof(h));
	memset(&d, 0, sizeof(d));
	h.chgcnt = 1;
	h.ngrps = 1;
	d.anagrpid = grp;
	d.nnsids = 1;
	d.state = state;
	memcpy(c->ana_log, &h, sizeof(h));
	memcpy(c->ana_log + sizeof(h), &d, sizeof(d));
	memcpy(c->ana_log + sizeof(h) + sizeof(d), &nsid, 4);
	c->ana_log_len = sizeof(h) + sizeof(d) + 4;
}

/* A controller of subsystem "nqn.test" with namespace 1 (NGUID 0x11.., 1 MiB of 512 B). */
static void
fake_init(int i, bool ana, uint8_t state)
{
	struct nvtcp_ctrlr *c = &g_c[i];
	struct nvtcp_qpair *q = &g_q[i];

	memset(c, 0, sizeof(*c));
	memset(q, 0, sizeof(*q));
	snprintf(c->cdata.subnqn, sizeof(c->cdata.subnqn), "nqn.test");
	snprintf(c->trid.traddr, sizeof(c->trid.traddr), "127.0.0.1");
	snprintf(c->trid.trsvcid, sizeof(c->trid.trsvcid), "%d", 4420 + i);
	c->opts.ctrl_loss_tmo_s = 2;
	c->state = NVTCP_CTRLR_STATE_LIVE;
	c->cdata.nn = 1;
	if (ana) {
		c->cdata.cmic = NVTCP_NVME_CMIC_ANA;
		c->cdata.anatt = 10;
		c->cdata.nanagrpid = 1;
		c->ns.data.anagrpid = 1;
		set_ana_log(c, 1, state);
	}
	c->ns.ctrlr = c;
	memset(c->ns.nguid, 0x11, 16);
	c->ns.sector_size = 512;
	c->ns.num_sectors = 2048;
	q->ctrlr = c;
	q->connected = true;
}

/* Complete the oldest command of a queue pair with a status. */
static bool
complete_one(struct nvtcp_qpair *q, uint16_t status)
{
	struct fake_cmd cmd;
	struct nvtcp_nvme_cpl cpl;

	if (q->num_cmds == 0) {
		return false;
	}
	cmd = q->cmds[0];
	memmove(&q->cmds[0], &q->cmds[1], (q->num_cmds - 1) * sizeof(cmd));
	q->num_cmds--;
	memset(&cpl, 0, sizeof(cpl));
	cpl.status = status;
	cmd.cb(cmd.cb_arg, &cpl);
	return true;
}

/* Complete the commands queued now (not those the completions submit again). */
static void
complete_all(struct nvtcp_qpair *q, uint16_t status)
{
	uint32_t n = q->num_cmds;

	while (n-- > 0 && complete_one(q, status)) {
	}
}

/* Application side: how many times each I/O completed and with what. */
#define APP_IOS 64
static uint32_t g_done[APP_IOS];
static uint16_t g_status[APP_IOS];

static void
app_cb(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	uintptr_t i = (uintptr_t)arg;

	g_done[i]++;
	g_status[i] = cpl->status;
}

static void
app_reset(void)
{
	memset(g_done, 0, sizeof(g_done));
	memset(g_status, 0, sizeof(g_status));
}

static char g_buf[4096];

static struct nvtcp_mpath_ns *
mk_mns(enum nvtcp_mpath_policy policy, int npaths, bool ana)
{
	struct nvtcp_mpath_ns_opts o;
	struct nvtcp_mpath_ns *mns = NULL;
	char err[256];
	int i;

	nvtcp_mpath_ns_opts_init(&o);
	o.policy = policy;
	o.max_ios = 64;
	o.admin_poll_us = 0;
	CU_ASSERT_EQUAL_FATAL(nvtcp_mpath_ns_create(&o, &mns), 0);
	for (i = 0; i < npaths; i++) {
		CU_ASSERT_EQUAL(nvtcp_mpath_ns_add_path(mns, &g_c[i], 1, &g_q[i], err, sizeof(err)),
				i);
	}
	return mns;
}

static struct nvtcp_mpath_path_stats
pstats(struct nvtcp_mpath_ns *mns, uint32_t i)
{
	struct nvtcp_mpath_path_stats s;

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_get_path_stats(mns, i, &s), 0);
	return s;
}

/* ---- Tests -------------------------------------------------------------------------------- */

static void
test_identity(void)
{
	struct nvtcp_mpath_ns *mns;
	char err[256];

	fake_init(0, false, 0);
	fake_init(1, false, 0);
	fake_init(2, false, 0);
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 1, false);
	/* Another subsystem. */
	snprintf(g_c[1].cdata.subnqn, sizeof(g_c[1].cdata.subnqn), "nqn.other");
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_add_path(mns, &g_c[1], 1, &g_q[1], err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "subsystem NQN"));
	/* Another NGUID. */
	fake_init(1, false, 0);
	g_c[1].ns.nguid[3] = 0x22;
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_add_path(mns, &g_c[1], 1, &g_q[1], err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "NGUID"));
	/* A UUID on one path only. */
	fake_init(1, false, 0);
	g_c[1].ns.has_uuid = true;
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_add_path(mns, &g_c[1], 1, &g_q[1], err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "UUID"));
	/* Another size. */
	fake_init(1, false, 0);
	g_c[1].ns.num_sectors = 4096;
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_add_path(mns, &g_c[1], 1, &g_q[1], err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "blocks"));
	/* No namespace identifier at all: cannot be checked. */
	fake_init(1, false, 0);
	memset(g_c[1].ns.nguid, 0, 16);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_add_path(mns, &g_c[1], 1, &g_q[1], err, sizeof(err)),
			-EINVAL);
	/* Wrong queue pair, missing namespace, duplicate controller. */
	fake_init(1, false, 0);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_add_path(mns, &g_c[1], 1, &g_q[2], err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_add_path(mns, &g_c[1], 7, &g_q[1], err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_add_path(mns, &g_c[0], 1, &g_q[0], err, sizeof(err)),
			-EEXIST);
	/* The same namespace through another controller. */
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_add_path(mns, &g_c[1], 1, &g_q[1], err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_get_num_paths(mns), 2);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_get_sector_size(mns), 512);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_get_num_sectors(mns), 2048);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

static void
test_policies(void)
{
	struct nvtcp_mpath_ns *mns;
	int i;

	/* Active-passive: the optimized path takes everything, wherever it is in the list. */
	fake_init(0, true, NVTCP_NVME_ANA_NON_OPTIMIZED);
	fake_init(1, true, NVTCP_NVME_ANA_OPTIMIZED);
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 2, true);
	CU_ASSERT_EQUAL(pstats(mns, 0).ana_state, NVTCP_MPATH_ANA_NON_OPTIMIZED);
	CU_ASSERT_EQUAL(pstats(mns, 1).ana_state, NVTCP_MPATH_ANA_OPTIMIZED);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, (uint64_t)i, 1, app_cb,
						    (void *)(uintptr_t)i, 0), 0);
	}
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 0);
	CU_ASSERT_EQUAL(g_q[1].num_cmds, 8);
	/* The optimized path reconnecting: a connected non-optimized one is better. */
	g_q[1].connected = false;
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 0, 1, app_cb, (void *)9, 0), 0);
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 1);
	complete_all(&g_q[0], 0);
	complete_all(&g_q[1], 0);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);

	/* Round-robin over the two optimized paths, skipping the non-optimized third. */
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	fake_init(1, true, NVTCP_NVME_ANA_OPTIMIZED);
	fake_init(2, true, NVTCP_NVME_ANA_NON_OPTIMIZED);
	mns = mk_mns(NVTCP_MPATH_POLICY_ROUND_ROBIN, 3, true);
	for (i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(nvtcp_mpath_ns_write(mns, g_buf, (uint64_t)i, 1, app_cb,
						     (void *)(uintptr_t)i, 0), 0);
	}
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 5);
	CU_ASSERT_EQUAL(g_q[1].num_cmds, 5);
	CU_ASSERT_EQUAL(g_q[2].num_cmds, 0);
	complete_all(&g_q[0], 0);
	complete_all(&g_q[1], 0);
	CU_ASSERT_EQUAL(pstats(mns, 0).ios, 5);
	CU_ASSERT_EQUAL(pstats(mns, 0).bytes, 5 * 512);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);

	/* Queue depth: the path with fewer outstanding I/Os. */
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	fake_init(1, true, NVTCP_NVME_ANA_OPTIMIZED);
	mns = mk_mns(NVTCP_MPATH_POLICY_QUEUE_DEPTH, 2, true);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 0, 1, app_cb, (void *)0, 0), 0);
	}
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 2);
	CU_ASSERT_EQUAL(g_q[1].num_cmds, 2);
	complete_all(&g_q[1], 0);
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 0, 1, app_cb, (void *)0, 0), 0);
	}
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 2);
	CU_ASSERT_EQUAL(g_q[1].num_cmds, 2);
	complete_all(&g_q[0], 0);
	complete_all(&g_q[1], 0);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

static void
test_failover(void)
{
	struct nvtcp_mpath_ns *mns;
	struct nvtcp_mpath_ns_stats st;
	int i;

	app_reset();
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	fake_init(1, true, NVTCP_NVME_ANA_NON_OPTIMIZED);
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 2, true);
	for (i = 0; i < 16; i++) {
		CU_ASSERT_EQUAL(nvtcp_mpath_ns_write(mns, g_buf, (uint64_t)i, 1, app_cb,
						     (void *)(uintptr_t)i, 0), 0);
	}
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 16);
	/* Path 0 loses its connection: every command comes back Aborted - SQ Deletion. */
	g_q[0].connected = false;
	complete_all(&g_q[0], mkstatus(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_ABORTED_SQ_DELETION,
				       false));
	for (i = 0; i < 16; i++) {
		CU_ASSERT_EQUAL(g_done[i], 0);
	}
	CU_ASSERT_EQUAL(g_q[1].num_cmds, 16);
	complete_all(&g_q[1], 0);
	for (i = 0; i < 16; i++) {
		CU_ASSERT_EQUAL(g_done[i], 1);
		CU_ASSERT_EQUAL(g_status[i], 0);
	}
	CU_ASSERT_EQUAL(pstats(mns, 0).failovers, 16);
	CU_ASSERT_EQUAL(pstats(mns, 0).errors, 16);
	CU_ASSERT_EQUAL(pstats(mns, 0).ios, 0);
	CU_ASSERT_EQUAL(pstats(mns, 1).ios, 16);
	nvtcp_mpath_ns_get_stats(mns, &st);
	CU_ASSERT_EQUAL(st.retries, 16);
	CU_ASSERT_EQUAL(st.completed, 16);
	CU_ASSERT_EQUAL(st.errors, 0);

	/* ANA inaccessible on path 1 (now the only connected one) while path 0 is back: the
	 * status moves the I/O, marks path 1 and asks for the log. */
	app_reset();
	g_q[0].connected = true;
	g_q[1].connected = true;
	set_ana_log(&g_c[0], 1, NVTCP_NVME_ANA_INACCESSIBLE);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 0, 1, app_cb, (void *)0, 0), 0);
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 1); /* path 0 still believed optimized */
	complete_all(&g_q[0], mkstatus(NVTCP_NVME_SCT_PATH,
				       NVTCP_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE, false));
	CU_ASSERT_EQUAL(pstats(mns, 0).ana_state, NVTCP_MPATH_ANA_INACCESSIBLE);
	CU_ASSERT_EQUAL(g_q[1].num_cmds, 1);
	complete_all(&g_q[1], 0);
	CU_ASSERT_EQUAL(g_done[0], 1);
	CU_ASSERT_EQUAL(g_status[0], 0);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), 0); /* issues the read */
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), 0); /* completes it */
	CU_ASSERT_EQUAL(g_c[0].log_reads, 2); /* at add, then after the status */
	CU_ASSERT_EQUAL(pstats(mns, 0).ana_state, NVTCP_MPATH_ANA_INACCESSIBLE);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

static void
test_non_path_error(void)
{
	struct nvtcp_mpath_ns *mns;

	app_reset();
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	fake_init(1, true, NVTCP_NVME_ANA_OPTIMIZED);
	mns = mk_mns(NVTCP_MPATH_POLICY_ROUND_ROBIN, 2, true);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 0, 1, app_cb, (void *)0, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 1, 1, app_cb, (void *)1, 0), 0);
	/* A media error and an invalid field go to the application as they are. */
	complete_all(&g_q[0], mkstatus(NVTCP_NVME_SCT_MEDIA_ERROR, 0x81, false));
	complete_all(&g_q[1], mkstatus(NVTCP_NVME_SCT_GENERIC, 0x02, true));
	CU_ASSERT_EQUAL(g_done[0], 1);
	CU_ASSERT_EQUAL(g_status[0], mkstatus(NVTCP_NVME_SCT_MEDIA_ERROR, 0x81, false));
	CU_ASSERT_EQUAL(g_done[1], 1);
	CU_ASSERT_EQUAL(g_status[1], mkstatus(NVTCP_NVME_SCT_GENERIC, 0x02, true));
	CU_ASSERT_EQUAL(g_q[0].num_cmds + g_q[1].num_cmds, 0);
	CU_ASSERT_EQUAL(pstats(mns, 0).failovers + pstats(mns, 1).failovers, 0);
	/* Bad ranges are refused up front. */
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 2048, 1, app_cb, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 2047, 2, app_cb, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 0, 0, app_cb, NULL, 0), -EINVAL);
	/* A full queue pair is the caller's -EAGAIN, without leaking a context. */
	g_q[0].submit_rc = -EAGAIN;
	g_q[1].submit_rc = -EAGAIN;
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 0, 1, app_cb, NULL, 0), -EAGAIN);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

/* The single-path case: I/O waits across a reconnect and across an inaccessible period. */
static void
test_hold_single_path(void)
{
	struct nvtcp_mpath_ns *mns;
	struct nvtcp_mpath_ns_stats st;
	struct nvtcp_nvme_cpl aen;
	int i;

	app_reset();
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 1, true);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(nvtcp_mpath_ns_write(mns, g_buf, (uint64_t)i, 1, app_cb,
						     (void *)(uintptr_t)i, 0), 0);
	}
	/* The connection drops: the I/Os go back on the same (reconnecting) queue pair. */
	g_q[0].connected = false;
	g_c[0].state = NVTCP_CTRLR_STATE_RESETTING;
	complete_all(&g_q[0], mkstatus(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_ABORTED_SQ_DELETION,
				       false));
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 8);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(g_done[i], 0);
	}
	/* Reconnected; the target now says the path is inaccessible. */
	g_q[0].connected = true;
	g_c[0].state = NVTCP_CTRLR_STATE_LIVE;
	set_ana_log(&g_c[0], 1, NVTCP_NVME_ANA_INACCESSIBLE);
	complete_all(&g_q[0], mkstatus(NVTCP_NVME_SCT_PATH,
				       NVTCP_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE, false));
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 0);
	nvtcp_mpath_ns_get_stats(mns, &st);
	CU_ASSERT_EQUAL(st.held, 8);
	/* New I/O waits too. */
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 8, 1, app_cb, (void *)8, 0), 0);
	g_ticks += 500;
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), 0);
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 0);
	/* The ANA change event: the log says optimized again, the held I/Os go out. */
	set_ana_log(&g_c[0], 1, NVTCP_NVME_ANA_OPTIMIZED);
	memset(&aen, 0, sizeof(aen));
	aen.cdw0 = NVTCP_NVME_AER_TYPE_NOTICE | (NVTCP_NVME_AER_NOTICE_ANA_CHANGE << 8) |
		   (NVTCP_NVME_LOG_ANA << 16);
	g_c[0].aer_cb(g_c[0].aer_arg, &aen);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), 0); /* issues the read */
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), 0); /* reads it, resubmits */
	CU_ASSERT_EQUAL(pstats(mns, 0).ana_state, NVTCP_MPATH_ANA_OPTIMIZED);
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 9);
	complete_all(&g_q[0], 0);
	for (i = 0; i < 9; i++) {
		CU_ASSERT_EQUAL(g_done[i], 1);
		CU_ASSERT_EQUAL(g_status[i], 0);
	}
	nvtcp_mpath_ns_get_stats(mns, &st);
	CU_ASSERT_EQUAL(st.completed, 9);
	CU_ASSERT_EQUAL(st.errors, 0);
	CU_ASSERT_EQUAL(st.hold_timeouts, 0);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

/* I/Os left unsent in a queue pair that lost its connection move to a connected path at the
 * next poll; with no connected path they wait there (the single-path hold). */
static void
test_stranded_unsent(void)
{
	struct nvtcp_mpath_ns *mns;
	int i;

	app_reset();
	g_fail_unsent_calls = 0;
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	fake_init(1, true, NVTCP_NVME_ANA_NON_OPTIMIZED);
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 2, true);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, (uint64_t)i, 1, app_cb,
						    (void *)(uintptr_t)i, 0), 0);
	}
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 8);
	/* Both connections drop before the commands went out: nothing to move them to. */
	g_q[0].connected = false;
	g_q[1].connected = false;
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), 0);
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 8);
	CU_ASSERT_EQUAL(g_fail_unsent_calls, 0);
	/* Path 1 is back: the stranded commands fail over to it. */
	g_q[1].connected = true;
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), 0);
	CU_ASSERT_EQUAL(g_fail_unsent_calls, 1);
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 0);
	CU_ASSERT_EQUAL(g_q[1].num_cmds, 8);
	CU_ASSERT_EQUAL(pstats(mns, 0).failovers, 8);
	CU_ASSERT_EQUAL(pstats(mns, 0).outstanding, 0);
	complete_all(&g_q[1], 0);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(g_done[i], 1);
		CU_ASSERT_EQUAL(g_status[i], 0);
	}
	/* Nothing outstanding on the reconnecting path: not touched again. */
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), 0);
	CU_ASSERT_EQUAL(g_fail_unsent_calls, 1);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

static void
test_hold_timeout(void)
{
	struct nvtcp_mpath_ns *mns;
	struct nvtcp_mpath_ns_stats st;

	app_reset();
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 1, true);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 0, 1, app_cb, (void *)0, 0), 0);
	/* The controller fails for good (ctrl_loss_tmo 2 s). */
	g_c[0].state = NVTCP_CTRLR_STATE_FAILED;
	g_q[0].failed = true;
	complete_all(&g_q[0], mkstatus(NVTCP_NVME_SCT_PATH, NVTCP_NVME_SC_HOST_PATH_ERROR, true));
	CU_ASSERT_EQUAL(g_done[0], 0);
	g_ticks += 1000;
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), 0);
	CU_ASSERT_EQUAL(g_done[0], 0);
	g_ticks += 1500;
	/* Held past the controllers' loss timeout: fails once, with the path error; then
	 * nothing is outstanding and every path has failed. */
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), -ENXIO);
	CU_ASSERT_EQUAL(g_done[0], 1);
	CU_ASSERT_EQUAL(g_status[0], mkstatus(NVTCP_NVME_SCT_PATH, NVTCP_NVME_SC_HOST_PATH_ERROR,
					      true));
	nvtcp_mpath_ns_get_stats(mns, &st);
	CU_ASSERT_EQUAL(st.hold_timeouts, 1);
	CU_ASSERT_EQUAL(st.errors, 1);
	/* Nothing outstanding, every path failed. */
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_process_completions(mns, 0), -ENXIO);
	CU_ASSERT_EQUAL(g_done[0], 1);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

/* Random statuses over three paths: every I/O completes exactly once, successfully unless a
 * non-path error was injected for it. */
static void
test_exactly_once(void)
{
	struct nvtcp_mpath_ns *mns;
	static const uint16_t path_errs[] = {
		(NVTCP_NVME_SCT_GENERIC << 9) | (NVTCP_NVME_SC_ABORTED_SQ_DELETION << 1),
		(NVTCP_NVME_SCT_GENERIC << 9) | (NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR << 1),
		(NVTCP_NVME_SCT_PATH << 9) | (NVTCP_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION << 1),
		(NVTCP_NVME_SCT_PATH << 9) | (NVTCP_NVME_SC_HOST_PATH_ERROR << 1),
	};
	uint32_t seed = 12345, round, i, total_done;

	app_reset();
	for (i = 0; i < 3; i++) {
		fake_init((int)i, false, 0);
	}
	mns = mk_mns(NVTCP_MPATH_POLICY_QUEUE_DEPTH, 3, false);
	for (i = 0; i < APP_IOS; i++) {
		CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, i, 1, app_cb, (void *)(uintptr_t)i,
						    0), 0);
	}
	for (round = 0; round < 10000; round++) {
		uint32_t qi;

		seed = seed * 1103515245u + 12345u;
		qi = (seed >> 16) % 3;
		if (g_q[qi].num_cmds == 0) {
			continue;
		}
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 3 == 0) {
			complete_one(&g_q[qi], 0);
		} else {
			complete_one(&g_q[qi], path_errs[(seed >> 16) % 4]);
		}
		nvtcp_mpath_ns_process_completions(mns, 0);
	}
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 3; i++) {
			complete_all(&g_q[i], 0);
		}
		nvtcp_mpath_ns_process_completions(mns, 0);
	}
	total_done = 0;
	for (i = 0; i < APP_IOS; i++) {
		CU_ASSERT_EQUAL(g_done[i], 1);
		CU_ASSERT_EQUAL(g_status[i], 0);
		total_done += g_done[i];
	}
	CU_ASSERT_EQUAL(total_done, APP_IOS);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

static void
test_ana_log_parse(void)
{
	struct nvtcp_mpath_ns *mns;
	struct nvtcp_nvme_ana_log_hdr h;
	struct nvtcp_nvme_ana_group_desc d;

	/* Two groups, ours second: found past the first's NSID list. */
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	g_c[0].ns.data.anagrpid = 2;
	g_c[0].cdata.nanagrpid = 2;
	g_c[0].cdata.nn = 4;
	memset(&h, 0, sizeof(h));
	h.ngrps = 2;
	memcpy(g_c[0].ana_log, &h, sizeof(h));
	memset(&d, 0, sizeof(d));
	d.anagrpid = 1;
	d.nnsids = 3;
	d.state = NVTCP_NVME_ANA_OPTIMIZED;
	memcpy(g_c[0].ana_log + 16, &d, sizeof(d));
	memset(g_c[0].ana_log + 48, 0xAB, 12);
	d.anagrpid = 2;
	d.nnsids = 1;
	d.state = NVTCP_NVME_ANA_NON_OPTIMIZED;
	memcpy(g_c[0].ana_log + 60, &d, sizeof(d));
	g_c[0].ana_log_len = 96;
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 1, true);
	CU_ASSERT_EQUAL(pstats(mns, 0).ana_state, NVTCP_MPATH_ANA_NON_OPTIMIZED);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);

	/* A group claiming more NSIDs than were read: the log is rejected, state unchanged. */
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	memset(&h, 0, sizeof(h));
	h.ngrps = 1;
	memcpy(g_c[0].ana_log, &h, sizeof(h));
	memset(&d, 0, sizeof(d));
	d.anagrpid = 1;
	d.nnsids = 0xFFFFFFFF;
	d.state = NVTCP_NVME_ANA_INACCESSIBLE;
	memcpy(g_c[0].ana_log + 16, &d, sizeof(d));
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 1, true);
	CU_ASSERT_EQUAL(pstats(mns, 0).ana_state, NVTCP_MPATH_ANA_OPTIMIZED);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);

	/* An undefined state value is ignored; a log without our group makes it inaccessible. */
	fake_init(0, true, 0x7);
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 1, true);
	CU_ASSERT_EQUAL(pstats(mns, 0).ana_state, NVTCP_MPATH_ANA_OPTIMIZED);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	set_ana_log(&g_c[0], 5, NVTCP_NVME_ANA_OPTIMIZED);
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 1, true);
	CU_ASSERT_EQUAL(pstats(mns, 0).ana_state, NVTCP_MPATH_ANA_INACCESSIBLE);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

static void
test_anatt(void)
{
	struct nvtcp_mpath_ns *mns;

	fake_init(0, true, NVTCP_NVME_ANA_CHANGE);
	g_c[0].opts.ctrl_loss_tmo_s = 30; /* the hold outlasts ANATT here */
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 1, true);
	CU_ASSERT_EQUAL(pstats(mns, 0).ana_state, NVTCP_MPATH_ANA_CHANGE);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 0, 1, app_cb, (void *)0, 0), 0);
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 0); /* waits */
	g_ticks += 9000;
	nvtcp_mpath_ns_process_completions(mns, 0);
	CU_ASSERT_EQUAL(g_c[0].resets, 0);
	g_ticks += 2000; /* ANATT is 10 s */
	nvtcp_mpath_ns_process_completions(mns, 0);
	CU_ASSERT_EQUAL(g_c[0].resets, 1);
	/* Back after the reset, the log says optimized: the I/O goes out. */
	set_ana_log(&g_c[0], 1, NVTCP_NVME_ANA_OPTIMIZED);
	nvtcp_mpath_ns_process_completions(mns, 0);
	nvtcp_mpath_ns_process_completions(mns, 0);
	CU_ASSERT_EQUAL(g_q[0].num_cmds, 1);
	complete_all(&g_q[0], 0);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

static void
test_remove_path(void)
{
	struct nvtcp_mpath_ns *mns;

	app_reset();
	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	fake_init(1, true, NVTCP_NVME_ANA_OPTIMIZED);
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 2, true);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 0, 1, app_cb, (void *)0, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_remove_path(mns, &g_c[0]), -EBUSY);
	/* No new I/O goes to a path being removed. */
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_read(mns, g_buf, 1, 1, app_cb, (void *)1, 0), 0);
	CU_ASSERT_EQUAL(g_q[1].num_cmds, 1);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), -EBUSY);
	complete_all(&g_q[0], 0);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_remove_path(mns, &g_c[0]), 0);
	CU_ASSERT_PTR_NULL(g_c[0].aer_cb); /* unhooked */
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_remove_path(mns, &g_c[0]), -ENOENT);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_get_num_paths(mns), 1);
	CU_ASSERT_PTR_EQUAL(nvtcp_mpath_ns_get_path_ctrlr(mns, 0), &g_c[1]);
	complete_all(&g_q[1], 0);
	CU_ASSERT_EQUAL(g_done[0], 1);
	CU_ASSERT_EQUAL(g_done[1], 1);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

static uint32_t g_app_aers;

static void
app_aer(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	(void)arg;
	(void)cpl;
	g_app_aers++;
}

/* The layer chains in front of the application's AER callback, forwards every event, and
 * gives the controller back its callback when the path is removed. */
static void
test_aer_chain(void)
{
	struct nvtcp_mpath_ns *mns;
	struct nvtcp_nvme_cpl aen;

	fake_init(0, true, NVTCP_NVME_ANA_OPTIMIZED);
	g_c[0].aer_cb = app_aer;
	g_c[0].aer_arg = &g_app_aers;
	g_app_aers = 0;
	mns = mk_mns(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE, 1, true);
	CU_ASSERT(g_c[0].aer_cb != app_aer);
	memset(&aen, 0, sizeof(aen));
	aen.cdw0 = NVTCP_NVME_AER_TYPE_NOTICE | (NVTCP_NVME_AER_NOTICE_ANA_CHANGE << 8) |
		   (NVTCP_NVME_LOG_ANA << 16);
	set_ana_log(&g_c[0], 1, NVTCP_NVME_ANA_NON_OPTIMIZED);
	g_c[0].aer_cb(g_c[0].aer_arg, &aen);
	CU_ASSERT_EQUAL(g_app_aers, 1);
	nvtcp_mpath_ns_process_completions(mns, 0);
	nvtcp_mpath_ns_process_completions(mns, 0);
	CU_ASSERT_EQUAL(pstats(mns, 0).ana_state, NVTCP_MPATH_ANA_NON_OPTIMIZED);
	/* Another notice (namespace attribute changed) is forwarded and reads nothing. */
	aen.cdw0 = NVTCP_NVME_AER_TYPE_NOTICE | (NVTCP_NVME_AER_NOTICE_NS_ATTR_CHANGED << 8);
	g_c[0].aer_cb(g_c[0].aer_arg, &aen);
	CU_ASSERT_EQUAL(g_app_aers, 2);
	nvtcp_mpath_ns_process_completions(mns, 0);
	CU_ASSERT_PTR_NULL(g_c[0].log_cb);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_remove_path(mns, &g_c[0]), 0);
	CU_ASSERT(g_c[0].aer_cb == app_aer);
	CU_ASSERT_PTR_EQUAL(g_c[0].aer_arg, &g_app_aers);
	CU_ASSERT_EQUAL(nvtcp_mpath_ns_destroy(mns), 0);
}

static void
test_names(void)
{
	enum nvtcp_mpath_policy p;

	CU_ASSERT_EQUAL(nvtcp_mpath_policy_parse("round_robin", &p), 0);
	CU_ASSERT_EQUAL(p, NVTCP_MPATH_POLICY_ROUND_ROBIN);
	CU_ASSERT_EQUAL(nvtcp_mpath_policy_parse("queue-depth", &p), 0);
	CU_ASSERT_EQUAL(p, NVTCP_MPATH_POLICY_QUEUE_DEPTH);
	CU_ASSERT_EQUAL(nvtcp_mpath_policy_parse("fastest", &p), -EINVAL);
	CU_ASSERT_STRING_EQUAL(nvtcp_mpath_policy_str(NVTCP_MPATH_POLICY_ACTIVE_PASSIVE),
			       "active-passive");
	CU_ASSERT_STRING_EQUAL(nvtcp_mpath_ana_state_str(NVTCP_MPATH_ANA_CHANGE), "change");
	CU_ASSERT_STRING_EQUAL(nvtcp_mpath_ana_state_str(9), "?");
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("mpath", NULL, NULL);

	CU_ADD_TEST(s, test_identity);
	CU_ADD_TEST(s, test_policies);
	CU_ADD_TEST(s, test_failover);
	CU_ADD_TEST(s, test_non_path_error);
	CU_ADD_TEST(s, test_hold_single_path);
	CU_ADD_TEST(s, test_stranded_unsent);
	CU_ADD_TEST(s, test_hold_timeout);
	CU_ADD_TEST(s, test_exactly_once);
	CU_ADD_TEST(s, test_ana_log_parse);
	CU_ADD_TEST(s, test_anatt);
	CU_ADD_TEST(s, test_remove_path);
	CU_ADD_TEST(s, test_aer_chain);
	CU_ADD_TEST(s, test_names);
}

NVTCP_UT_MAIN(add_tests)
