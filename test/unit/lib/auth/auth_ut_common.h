/*
 * Helpers of the engine unit tests: a host and a controller transaction talking to each
 * other in memory, with a hook that may alter (or replace) each message in flight.
 */
#ifndef NVTCP_AUTH_UT_COMMON_H
#define NVTCP_AUTH_UT_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_internal.h"
#include "nvtcp/auth.h"
#include "nvtcp/log.h"
#include "ut.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define SUBNQN "nqn.2016-06.io.spdk:cnode1"
#define HOST_SECRET "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define CTRL_SECRET                                                                            \
	"DHHC-1:03:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4" \
	"OTo7PD0+P4zODhA=:"
#define OTHER_SECRET                                                                           \
	"DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"

/* Alters a message: to_ctrl tells the direction; returns the new length. */
typedef size_t (*ut_mutate_fn)(bool to_ctrl, uint8_t *buf, size_t len, size_t cap);

struct ut_pair {
	struct nvtcp_auth_secret hs_host, cs_host; /* what the host holds */
	struct nvtcp_auth_secret hs_ctrl, cs_ctrl; /* what the controller holds */
	struct nvtcp_auth_host_params hp;
	struct nvtcp_auth_ctrl_params cp;
	struct nvtcp_auth_host *host;
	struct nvtcp_auth_ctrl *ctrl;
	ut_mutate_fn mutate;
	/* rc of the last process() call on each side. */
	int host_rc, ctrl_rc;
	unsigned int msgs;
};

static void
ut_log_quiet(enum nvtcp_log_level level, const char *file, int line, const char *func,
	     const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* The engines log every protocol error; the tests check the outcome instead. Make
	 * sure no secret reaches the log anyway. */
	if (strstr(msg, "AAECAwQF") != NULL) {
		fprintf(stderr, "secret material in a log message: %s\n", msg);
		abort();
	}
}

/* Parses the secrets; bidir gives the host a controller secret. */
static inline void
ut_pair_init(struct ut_pair *p, bool bidir)
{
	nvtcp_log_set_callback(ut_log_quiet);
	memset(p, 0, sizeof(*p));
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_secret_parse(HOST_SECRET, &p->hs_host, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_secret_parse(HOST_SECRET, &p->hs_ctrl, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_secret_parse(CTRL_SECRET, &p->cs_host, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_secret_parse(CTRL_SECRET, &p->cs_ctrl, NULL, 0), 0);
	p->hp.hostnqn = HOSTNQN;
	p->hp.subnqn = SUBNQN;
	p->hp.host_secret = &p->hs_host;
	p->hp.ctrl_secret = bidir ? &p->cs_host : NULL;
	p->hp.t_id = 0x1234;
	p->hp.seqnum = 0xcafe0001;
	p->cp.hostnqn = HOSTNQN;
	p->cp.subnqn = SUBNQN;
	p->cp.host_secret = &p->hs_ctrl;
	p->cp.ctrl_secret = &p->cs_ctrl;
	p->cp.seqnum = 0x0badf00d;
}

static inline void
ut_pair_create(struct ut_pair *p)
{
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_host_create(&p->hp, &p->host), 0);
	CU_ASSERT_EQUAL_FATAL(nvtcp_auth_ctrl_create(&p->cp, &p->ctrl), 0);
}

/* Runs the exchange until neither side can make progress. */
static inline void
ut_pair_run(struct ut_pair *p)
{
	uint8_t buf[NVTCP_AUTH_MSG_MAX_LEN + 64];
	int n;

	for (int i = 0; i < 16; i++) {
		enum nvtcp_auth_next hn = nvtcp_auth_host_next(p->host);

		if (hn == NVTCP_AUTH_NEXT_SEND) {
			n = nvtcp_auth_host_build(p->host, buf, NVTCP_AUTH_MSG_MAX_LEN);
			CU_ASSERT_FATAL(n > 0);
			p->msgs++;
			if (p->mutate != NULL) {
				n = (int)p->mutate(true, buf, (size_t)n, sizeof(buf));
			}
			if (nvtcp_auth_ctrl_next(p->ctrl) == NVTCP_AUTH_NEXT_FAILED) {
				continue;
			}
			p->ctrl_rc = nvtcp_auth_ctrl_process(p->ctrl, buf, (size_t)n);
		} else if (hn == NVTCP_AUTH_NEXT_RECV) {
			if (nvtcp_auth_ctrl_next(p->ctrl) != NVTCP_AUTH_NEXT_SEND) {
				return;
			}
			n = nvtcp_auth_ctrl_build(p->ctrl, buf, NVTCP_AUTH_MSG_MAX_LEN);
			CU_ASSERT_FATAL(n > 0);
			p->msgs++;
			if (p->mutate != NULL) {
				n = (int)p->mutate(false, buf, (size_t)n, sizeof(buf));
			}
			p->host_rc = nvtcp_auth_host_process(p->host, buf, (size_t)n);
		} else {
			return;
		}
	}
}

static inline void
ut_pair_fini(struct ut_pair *p)
{
	nvtcp_auth_host_free(p->host);
	nvtcp_auth_ctrl_free(p->ctrl);
	nvtcp_auth_secret_wipe(&p->hs_host);
	nvtcp_auth_secret_wipe(&p->cs_host);
	nvtcp_auth_secret_wipe(&p->hs_ctrl);
	nvtcp_auth_secret_wipe(&p->cs_ctrl);
}

/* The host failed with a Failure2 of \p exp that the controller received. */
static inline void
ut_expect_failure2(struct ut_pair *p, uint8_t exp, const char *step)
{
	const char *s = NULL;
	bool by = true;

	CU_ASSERT_EQUAL(nvtcp_auth_host_next(p->host), NVTCP_AUTH_NEXT_FAILED);
	CU_ASSERT_EQUAL(nvtcp_auth_host_failure(p->host, &by, &s), exp);
	CU_ASSERT_FALSE(by);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, step);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p->ctrl), NVTCP_AUTH_NEXT_FAILED);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_failure(p->ctrl, &by, NULL), exp);
	CU_ASSERT_TRUE(by);
}

/* The controller failed the host with a Failure1 of \p exp that the host received. */
static inline void
ut_expect_failure1(struct ut_pair *p, uint8_t exp, const char *step)
{
	const char *s = NULL;
	bool by = false;

	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_next(p->ctrl), NVTCP_AUTH_NEXT_FAILED);
	CU_ASSERT_EQUAL(nvtcp_auth_ctrl_failure(p->ctrl, &by, &s), exp);
	CU_ASSERT_FALSE(by);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, step);
	CU_ASSERT_EQUAL(nvtcp_auth_host_next(p->host), NVTCP_AUTH_NEXT_FAILED);
	CU_ASSERT_EQUAL(nvtcp_auth_host_failure(p->host, &by, NULL), exp);
	CU_ASSERT_TRUE(by);
}

#endif /* NVTCP_AUTH_UT_COMMON_H */
