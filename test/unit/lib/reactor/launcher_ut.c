/*
 * Unit tests of lib/reactor/launcher.c: reactors on two cores started by the launcher,
 * messages between them (placement, per-sender order, back-pressure), stop with messages still
 * queued, start-up errors, and restart.
 *
 * Every scenario arms a watchdog poller, so a bug stops the reactors with a failure instead of
 * hanging the test.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "nvtcp/env.h"
#include "nvtcp/reactor.h"
#include "nvtcp/util.h"

#include "ut.h"
#include "ut_env.h"

#define WATCHDOG_US (20 * 1000 * 1000)

static int
suite_init(void)
{
	return ut_env_init("launcher_ut", "0-1") == 0 ? 0 : -1;
}

static int
suite_fini(void)
{
	ut_env_fini();
	return 0;
}

static atomic_bool g_watchdog_fired;
static struct nvtcp_poller *g_watchdog;

static int
watchdog(void *arg)
{
	atomic_store(&g_watchdog_fired, true);
	nvtcp_reactors_stop();
	return NVTCP_POLLER_BUSY;
}

static void
watchdog_arm(void)
{
	atomic_store(&g_watchdog_fired, false);
	g_watchdog = nvtcp_poller_register(watchdog, NULL, WATCHDOG_US);
	CU_ASSERT_PTR_NOT_NULL(g_watchdog);
}

/* ---- Ping-pong and ordering between two cores ------------------------------------------- */

#define PINGS 20000
#define ORDERED 200000

struct pp {
	uint64_t pings_on_1;
	uint64_t pongs_on_0;
	uint64_t misplaced;
	/* Ordering: sent by a poller on core 0, checked on core 1. */
	uint64_t sent;
	uint64_t next_expected;
	uint64_t out_of_order;
	uint64_t full;
	struct nvtcp_poller *sender;
	struct nvtcp_reactor_stats stats1;
	bool start_ok;
};

static struct pp g_pp;

static void pong(void *arg);

static void
ping(void *arg)
{
	if (nvtcp_env_get_core() != 1 || nvtcp_reactor_get_current() != nvtcp_reactor_get(1)) {
		g_pp.misplaced++;
	}
	g_pp.pings_on_1++;
	if (nvtcp_reactor_send_msg(nvtcp_reactor_get(0), pong, arg) != 0) {
		g_pp.misplaced++;
	}
}

static void
ordered_done(void *arg)
{
	/* Runs on core 0 after everything core 1 received. */
	nvtcp_reactors_stop();
}

static void
ordered_last(void *arg)
{
	/* On core 1: every ordered message before this one has run. */
	nvtcp_reactor_get_stats(nvtcp_reactor_get_current(), &g_pp.stats1);
	nvtcp_reactor_send_msg(nvtcp_reactor_get(0), ordered_done, NULL);
}

static void
ordered(void *arg)
{
	uint64_t seq = (uint64_t)(uintptr_t)arg;

	if (nvtcp_env_get_core() != 1) {
		g_pp.misplaced++;
	}
	if (seq != g_pp.next_expected) {
		g_pp.out_of_order++;
	}
	g_pp.next_expected = seq + 1;
}

/* Sends as many ordered messages as the ring takes, every iteration, until all are out. */
static int
ordered_sender(void *arg)
{
	struct nvtcp_reactor *r1 = nvtcp_reactor_get(1);
	uint64_t before = g_pp.sent;

	while (g_pp.sent < ORDERED) {
		if (nvtcp_reactor_send_msg(r1, ordered, (void *)(uintptr_t)g_pp.sent) != 0) {
			g_pp.full++;
			break;
		}
		g_pp.sent++;
	}
	if (g_pp.sent == ORDERED) {
		nvtcp_poller_unregister(&g_pp.sender);
		if (nvtcp_reactor_send_msg(r1, ordered_last, NULL) != 0) {
			/* Ring full right now: the watchdog will report it. */
			g_pp.misplaced++;
		}
	}
	return g_pp.sent != before ? NVTCP_POLLER_BUSY : NVTCP_POLLER_IDLE;
}

static void
pong(void *arg)
{
	uint64_t n = (uint64_t)(uintptr_t)arg;

	if (nvtcp_env_get_core() != 0) {
		g_pp.misplaced++;
	}
	g_pp.pongs_on_0++;
	if (n + 1 < PINGS) {
		nvtcp_reactor_send_msg(nvtcp_reactor_get(1), ping, (void *)(uintptr_t)(n + 1));
		return;
	}
	/* Ping-pong done: now the ordering run. */
	g_pp.sender = nvtcp_poller_register(ordered_sender, NULL, 0);
	if (g_pp.sender == NULL) {
		g_pp.misplaced++;
		nvtcp_reactors_stop();
	}
}

static void
pp_start(void *arg)
{
	g_pp.start_ok = nvtcp_env_get_core() == 0 &&
			nvtcp_reactor_get_current() == nvtcp_reactor_get(0) &&
			nvtcp_reactor_get(1) != NULL && nvtcp_reactor_get(2) == NULL &&
			nvtcp_reactor_get_core(nvtcp_reactor_get(1)) == 1 &&
			!nvtcp_reactors_stopping() && arg == &g_pp;
	watchdog_arm();
	nvtcp_reactor_send_msg(nvtcp_reactor_get(1), ping, (void *)0);
}

static void
test_two_cores(void)
{
	memset(&g_pp, 0, sizeof(g_pp));
	CU_ASSERT_EQUAL(nvtcp_reactors_start(pp_start, &g_pp), 0);
	CU_ASSERT_FALSE(atomic_load(&g_watchdog_fired));
	CU_ASSERT(g_pp.start_ok);
	CU_ASSERT_EQUAL(g_pp.misplaced, 0);
	CU_ASSERT_EQUAL(g_pp.pings_on_1, PINGS);
	CU_ASSERT_EQUAL(g_pp.pongs_on_0, PINGS);
	CU_ASSERT_EQUAL(g_pp.sent, ORDERED);
	CU_ASSERT_EQUAL(g_pp.next_expected, ORDERED);
	CU_ASSERT_EQUAL(g_pp.out_of_order, 0);
	/* Core 1 counted its messages and iterations (read from inside a message, so the
	 * batch being executed, at most msg_batch = 64 messages, is not counted yet). */
	CU_ASSERT(g_pp.stats1.msgs >= PINGS + ORDERED - 64);
	CU_ASSERT(g_pp.stats1.msgs <= PINGS + ORDERED);
	CU_ASSERT(g_pp.stats1.iterations > 0);
	CU_ASSERT(g_pp.stats1.busy_ticks > 0);
	/* After the launcher returns, its reactors are gone. */
	CU_ASSERT_PTR_NULL(nvtcp_reactor_get(0));
	CU_ASSERT_PTR_NULL(nvtcp_reactor_get(1));
	CU_ASSERT_PTR_NULL(nvtcp_reactor_get_current());
	CU_ASSERT(nvtcp_reactors_stopping());
	printf("(ring full %" PRIu64 " times) ", g_pp.full);
}

/* ---- Stop with messages queued ------------------------------------------------------------ */

#define PENDING 5000

static atomic_uint_fast64_t g_ran_on_1;
static atomic_uint_fast64_t g_ran_on_0;
static atomic_uint_fast64_t g_bounced;
static atomic_uint_fast64_t g_misplaced_stop;

static void
on_0(void *arg)
{
	if (nvtcp_reactor_get_current() != nvtcp_reactor_get(0)) {
		atomic_fetch_add(&g_misplaced_stop, 1);
	}
	atomic_fetch_add(&g_ran_on_0, 1);
}

static void
on_1(void *arg)
{
	if (nvtcp_reactor_get_current() != nvtcp_reactor_get(1)) {
		atomic_fetch_add(&g_misplaced_stop, 1);
	}
	atomic_fetch_add(&g_ran_on_1, 1);
	/* Sent while stopping, maybe to a reactor whose loop has already ended. */
	if ((uintptr_t)arg % 10 == 0 &&
	    nvtcp_reactor_send_msg(nvtcp_reactor_get(0), on_0, NULL) == 0) {
		atomic_fetch_add(&g_bounced, 1);
	}
}

static void
stop_start(void *arg)
{
	watchdog_arm();
	/* Queue work on core 1 (whose thread may not even have polled yet) and on ourselves,
	 * then stop at once. */
	for (uintptr_t i = 0; i < PENDING; i++) {
		CU_ASSERT_EQUAL(nvtcp_reactor_send_msg(nvtcp_reactor_get(1), on_1, (void *)i), 0);
		CU_ASSERT_EQUAL(nvtcp_reactor_send_msg(nvtcp_reactor_get(0), on_0, NULL), 0);
	}
	nvtcp_reactors_stop();
	CU_ASSERT(nvtcp_reactors_stopping());
}

static void
test_stop_runs_pending(void)
{
	atomic_store(&g_ran_on_0, 0);
	atomic_store(&g_ran_on_1, 0);
	atomic_store(&g_bounced, 0);
	atomic_store(&g_misplaced_stop, 0);
	CU_ASSERT_EQUAL(nvtcp_reactors_start(stop_start, NULL), 0);
	CU_ASSERT_FALSE(atomic_load(&g_watchdog_fired));
	CU_ASSERT_EQUAL(atomic_load(&g_ran_on_1), PENDING);
	CU_ASSERT_EQUAL(atomic_load(&g_bounced), PENDING / 10);
	CU_ASSERT_EQUAL(atomic_load(&g_ran_on_0), PENDING + PENDING / 10);
	CU_ASSERT_EQUAL(atomic_load(&g_misplaced_stop), 0);
}

/* ---- Errors and restart ------------------------------------------------------------------- */

static void *
start_from_other_thread(void *arg)
{
	*(int *)arg = nvtcp_reactors_start(NULL, NULL);
	return NULL;
}

static void
nested_start(void *arg)
{
	/* Already running. */
	*(int *)arg = nvtcp_reactors_start(NULL, NULL);
	nvtcp_reactors_stop();
}

static void
test_start_errors(void)
{
	struct nvtcp_reactor *r;
	pthread_t t;
	int rc = 0;

	/* Not the main thread. */
	CU_ASSERT_FATAL(pthread_create(&t, NULL, start_from_other_thread, &rc) == 0);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	/* The main thread already has its own reactor. */
	r = nvtcp_reactor_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(nvtcp_reactors_start(NULL, NULL), -EEXIST);
	nvtcp_reactor_destroy(r);
	/* From inside a running launcher. */
	rc = 0;
	CU_ASSERT_EQUAL(nvtcp_reactors_start(nested_start, &rc), 0);
	CU_ASSERT(rc == -EBUSY || rc == -EINVAL || rc == -EEXIST);
	CU_ASSERT_NOT_EQUAL(rc, 0);
}

static int g_restarts;

static void
restart_start(void *arg)
{
	g_restarts++;
	nvtcp_reactors_stop();
}

static void
test_restart(void)
{
	g_restarts = 0;
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(nvtcp_reactors_start(restart_start, NULL), 0);
	}
	CU_ASSERT_EQUAL(g_restarts, 5);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("launcher", suite_init, suite_fini);

	CU_ADD_TEST(s, test_two_cores);
	CU_ADD_TEST(s, test_stop_runs_pending);
	CU_ADD_TEST(s, test_start_errors);
	CU_ADD_TEST(s, test_restart);
}

NVTCP_UT_MAIN(add_tests)
