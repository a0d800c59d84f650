/*
 * Helpers shared by the host driver's unit tests: completion recorders and loops that run the
 * driver and the fake controller until something happened (always bounded).
 */
#ifndef NVTCP_NVME_UT_H
#define NVTCP_NVME_UT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fake_ctrlr.h"
#include "nvme/nvme_internal.h"
#include "nvtcp/log.h"
#include "nvtcp/nvme.h"
#include "ut.h"

/** Upper bound of the iterations of every loop below. */
#define UT_MAX_ITERS 20000

/** Records the completions of commands that share it. */
struct ut_cpl {
	int count;
	struct nvtcp_nvme_cpl cpl;   /* the last one */
	int errors;
};

static inline void
ut_cpl_cb(void *arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct ut_cpl *u = arg;

	u->count++;
	u->cpl = *cpl;
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		u->errors++;
	}
}

static inline uint8_t
ut_sc(const struct nvtcp_nvme_cpl *cpl)
{
	return nvtcp_nvme_status_sc(cpl->status);
}

static inline uint8_t
ut_sct(const struct nvtcp_nvme_cpl *cpl)
{
	return nvtcp_nvme_status_sct(cpl->status);
}

/** Trid of the fake controller. */
static inline void
ut_trid(struct nvtcp_trid *t, const char *subnqn)
{
	nvtcp_trid_init(t);
	snprintf(t->traddr, sizeof(t->traddr), "127.0.0.1");
	snprintf(t->trsvcid, sizeof(t->trsvcid), "4420");
	snprintf(t->subnqn, sizeof(t->subnqn), "%s", subnqn);
}

/**
 * Options with a fixed host identity, so tests do not depend on /etc/nvme. Reconnect is off
 * (ctrl_loss_tmo_s 0): a lost connection fails the queue pair (and the controller) at once,
 * which is what the protocol tests check; the recovery tests (reset_ut, timeout_ut) use
 * ut_opts_recovery().
 */
static inline void
ut_opts(struct nvtcp_ctrlr_opts *o)
{
	nvtcp_ctrlr_opts_init(o);
	snprintf(o->host.hostnqn, sizeof(o->host.hostnqn),
		 "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555");
	memset(o->host.hostid, 0x11, sizeof(o->host.hostid));
	o->num_io_queues = 4;
	o->ctrl_loss_tmo_s = 0;
}

/** ut_opts() with the default recovery (Linux defaults: reconnect every 10 s for 600 s). */
static inline void
ut_opts_recovery(struct nvtcp_ctrlr_opts *o)
{
	ut_opts(o);
	o->ctrl_loss_tmo_s = 600;
}

/** Attach with the async API, pumping the fake; returns attach_poll's final result. */
static inline int
ut_attach(struct fake_ctrlr *fc, const struct nvtcp_ctrlr_opts *opts, const char *subnqn,
	  struct nvtcp_ctrlr **ctrlr)
{
	struct nvtcp_trid t;
	int rc, i;

	ut_trid(&t, subnqn);
	rc = nvtcp_ctrlr_attach_async(&t, opts, ctrlr);
	if (rc != 0) {
		return rc;
	}
	for (i = 0; i < UT_MAX_ITERS; i++) {
		rc = nvtcp_ctrlr_attach_poll(*ctrlr);
		if (rc != -EAGAIN) {
			return rc;
		}
		fake_ctrlr_poll(fc);
	}
	return -ETIME;
}

#define UT_SUBNQN "nqn.2024-01.io.test:fake"

/** Attach with defaults (fails the test when it does not work). */
static inline struct nvtcp_ctrlr *
ut_attach_default(struct fake_ctrlr *fc)
{
	struct nvtcp_ctrlr_opts o;
	struct nvtcp_ctrlr *c = NULL;

	ut_opts(&o);
	CU_ASSERT_FATAL(ut_attach(fc, &o, UT_SUBNQN, &c) == 0);
	return c;
}

/** Poll the queue pair (and the admin queue) and the fake until \p cond or the bound. */
#define UT_RUN_UNTIL(fc, ctrlr, qpair, cond)                                                   \
	do {                                                                                   \
		for (int _i = 0; _i < UT_MAX_ITERS && !(cond); _i++) {                          \
			if ((qpair) != NULL) {                                                 \
				(void)nvtcp_qpair_process_completions((qpair), 0);             \
			}                                                                      \
			if ((ctrlr) != NULL) {                                                 \
				(void)nvtcp_ctrlr_process_admin_completions(ctrlr);            \
			}                                                                      \
			fake_ctrlr_poll(fc);                                                   \
		}                                                                              \
	} while (0)

/** Poll a fixed number of rounds. */
static inline void
ut_rounds(struct fake_ctrlr *fc, struct nvtcp_ctrlr *c, struct nvtcp_qpair *qp, int n)
{
	for (int i = 0; i < n; i++) {
		if (qp != NULL) {
			(void)nvtcp_qpair_process_completions(qp, 0);
		}
		if (c != NULL) {
			(void)nvtcp_ctrlr_process_admin_completions(c);
		}
		fake_ctrlr_poll(fc);
	}
}

/** Detach and free the fake. */
static inline void
ut_teardown(struct fake_ctrlr *fc, struct nvtcp_ctrlr *c)
{
	if (c != NULL) {
		(void)nvtcp_ctrlr_detach(c);
	}
	fake_ctrlr_destroy(fc);
}

static inline void
ut_fill(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
	}
}

/* ---- Log capture: tests check the lines operators read ------------------------------------ */

static char g_ut_log[256 * 1024];
static size_t g_ut_log_len;

static inline void
ut_log_cb(enum nvtcp_log_level level, const char *file, int line, const char *func,
	  const char *fmt, va_list ap)
{
	int n;

	if (g_ut_log_len + 1 >= sizeof(g_ut_log)) {
		return;
	}
	n = vsnprintf(g_ut_log + g_ut_log_len, sizeof(g_ut_log) - g_ut_log_len, fmt, ap);
	if (n > 0) {
		g_ut_log_len = NVTCP_MIN(g_ut_log_len + (size_t)n, sizeof(g_ut_log) - 1);
	}
}

/** Capture log lines (NOTICE and above) from now on, forgetting earlier ones. */
static inline void
ut_log_start(void)
{
	g_ut_log_len = 0;
	g_ut_log[0] = '\0';
	nvtcp_log_set_callback(ut_log_cb);
}

static inline void
ut_log_stop(void)
{
	nvtcp_log_set_callback(NULL);
}

/** Whether a captured line contains \p s. */
static inline bool
ut_log_has(const char *s)
{
	return strstr(g_ut_log, s) != NULL;
}

/** The live fake connection of queue \p qid (the last one connected), or NULL. */
static inline struct fake_conn *
ut_conn_of(struct fake_ctrlr *fc, uint16_t qid)
{
	for (int i = fake_ctrlr_num_conns(fc) - 1; i >= 0; i--) {
		struct fake_conn *c = fake_ctrlr_conn(fc, i);

		if (fake_conn_qid(c) == qid && !fake_sock_is_closed(fake_conn_sock(c))) {
			return c;
		}
	}
	return NULL;
}

#endif /* NVTCP_NVME_UT_H */
