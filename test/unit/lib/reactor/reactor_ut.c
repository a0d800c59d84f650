/*
 * Unit tests of lib/reactor/reactor.c: reactors used by embedding (nvtcp_reactor_create() and
 * nvtcp_reactor_poll() on the caller's own thread): messages, full rings, active and timed
 * pollers, unregistration from inside pollers, statistics, destroy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvtcp/env.h"
#include "nvtcp/reactor.h"
#include "nvtcp/util.h"

#include "ut.h"
#include "ut_env.h"

static int
suite_init(void)
{
	return ut_env_init("reactor_ut", "0-1") == 0 ? 0 : -1;
}

static int
suite_fini(void)
{
	ut_env_fini();
	return 0;
}

static uint64_t
ms_to_ticks(uint64_t ms)
{
	return nvtcp_env_get_ticks_hz() * ms / 1000;
}

/* ---- Create, destroy, messages ----------------------------------------------------------- */

static void
test_create_destroy(void)
{
	struct nvtcp_reactor_opts opts;
	struct nvtcp_reactor *r;

	nvtcp_reactor_opts_init(&opts);
	CU_ASSERT_EQUAL(opts.msg_ring_size, 65536);
	CU_ASSERT_EQUAL(opts.msg_batch, 64);
	CU_ASSERT_PTR_NULL(nvtcp_reactor_get_current());
	r = nvtcp_reactor_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_EQUAL(nvtcp_reactor_get_current(), r);
	CU_ASSERT_EQUAL(nvtcp_reactor_get_core(r), 0);
	/* One reactor per thread. */
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_reactor_create(NULL));
	CU_ASSERT_EQUAL(errno, EEXIST);
	nvtcp_reactor_destroy(r);
	CU_ASSERT_PTR_NULL(nvtcp_reactor_get_current());
	nvtcp_reactor_destroy(NULL);

	opts.msg_batch = 0;
	errno = 0;
	CU_ASSERT_PTR_NULL(nvtcp_reactor_create(&opts));
	CU_ASSERT_EQUAL(errno, EINVAL);
	nvtcp_reactor_opts_init(&opts);
	opts.msg_ring_size = 0;
	CU_ASSERT_PTR_NULL(nvtcp_reactor_create(&opts));
	CU_ASSERT_PTR_NULL(nvtcp_reactor_get_current());
}

static uint32_t g_order[256];
static uint32_t g_norder;

static void
record_msg(void *arg)
{
	if (g_norder < 256) {
		g_order[g_norder] = (uint32_t)(uintptr_t)arg;
	}
	g_norder++;
}

static void
test_messages_batch_and_order(void)
{
	struct nvtcp_reactor *r = nvtcp_reactor_create(NULL);
	struct nvtcp_reactor_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	g_norder = 0;
	for (uintptr_t i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(nvtcp_reactor_send_msg(r, record_msg, (void *)i), 0);
	}
	/* At most msg_batch (64) per iteration, so pollers are not starved. */
	CU_ASSERT_EQUAL(nvtcp_reactor_poll(r), 64);
	CU_ASSERT_EQUAL(g_norder, 64);
	CU_ASSERT_EQUAL(nvtcp_reactor_poll(r), 36);
	CU_ASSERT_EQUAL(g_norder, 100);
	CU_ASSERT_EQUAL(nvtcp_reactor_poll(r), 0);
	for (uint32_t i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(g_order[i], i);
	}
	nvtcp_reactor_get_stats(r, &st);
	CU_ASSERT_EQUAL(st.msgs, 100);
	CU_ASSERT_EQUAL(st.iterations, 3);
	CU_ASSERT_EQUAL(st.poller_runs, 0);
	CU_ASSERT(st.busy_ticks > 0);
	nvtcp_reactor_destroy(r);
}

static void
test_ring_full(void)
{
	struct nvtcp_reactor_opts opts;
	struct nvtcp_reactor *r;

	nvtcp_reactor_opts_init(&opts);
	opts.msg_ring_size = 8;
	opts.msg_batch = 4;
	r = nvtcp_reactor_create(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	g_norder = 0;
	for (uintptr_t i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(nvtcp_reactor_send_msg(r, record_msg, (void *)i), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_reactor_send_msg(r, record_msg, (void *)99), -ENOMEM);
	CU_ASSERT_EQUAL(nvtcp_reactor_poll(r), 4);
	for (uintptr_t i = 8; i < 12; i++) {
		CU_ASSERT_EQUAL(nvtcp_reactor_send_msg(r, record_msg, (void *)i), 0);
	}
	CU_ASSERT_EQUAL(nvtcp_reactor_send_msg(r, record_msg, (void *)99), -ENOMEM);
	while (nvtcp_reactor_poll(r) > 0) {
	}
	/* The refused ones never ran; the others ran in order. */
	CU_ASSERT_EQUAL(g_norder, 12);
	for (uint32_t i = 0; i < 12; i++) {
		CU_ASSERT_EQUAL(g_order[i], i);
	}
	nvtcp_reactor_destroy(r);
}

static void
test_destroy_runs_pending(void)
{
	struct nvtcp_reactor *r = nvtcp_reactor_create(NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	g_norder = 0;
	for (uintptr_t i = 0; i < 200; i++) {
		CU_ASSERT_EQUAL(nvtcp_reactor_send_msg(r, record_msg, (void *)i), 0);
	}
	nvtcp_reactor_destroy(r);
	CU_ASSERT_EQUAL(g_norder, 200);
}

/* ---- Pollers ----------------------------------------------------------------------------- */

struct counter {
	uint64_t calls;
	int ret;
};

static int
count_poller(void *arg)
{
	struct counter *c = arg;

	c->calls++;
	return c->ret;
}

static void
test_active_pollers_and_stats(void)
{
	struct nvtcp_reactor *r = nvtcp_reactor_create(NULL);
	struct counter busy = {.ret = NVTCP_POLLER_BUSY}, idle = {.ret = NVTCP_POLLER_IDLE};
	struct nvtcp_poller *pb, *pi;
	struct nvtcp_reactor_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	pi = nvtcp_poller_register(count_poller, &idle, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pi);
	for (int i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(nvtcp_reactor_poll(r), 0);
	}
	CU_ASSERT_EQUAL(idle.calls, 100);
	nvtcp_reactor_get_stats(r, &st);
	CU_ASSERT_EQUAL(st.iterations, 100);
	CU_ASSERT_EQUAL(st.poller_runs, 100);
	CU_ASSERT_EQUAL(st.busy_ticks, 0);
	CU_ASSERT(st.idle_ticks > 0);

	pb = nvtcp_poller_register(count_poller, &busy, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
	for (int i = 0; i < 50; i++) {
		CU_ASSERT_EQUAL(nvtcp_reactor_poll(r), 1);
	}
	CU_ASSERT_EQUAL(busy.calls, 50);
	CU_ASSERT_EQUAL(idle.calls, 150);
	nvtcp_reactor_get_stats(r, &st);
	CU_ASSERT_EQUAL(st.iterations, 150);
	CU_ASSERT_EQUAL(st.poller_runs, 200);
	CU_ASSERT(st.busy_ticks > 0);

	nvtcp_poller_unregister(&pb);
	CU_ASSERT_PTR_NULL(pb);
	nvtcp_poller_unregister(&pb);
	CU_ASSERT_EQUAL(nvtcp_reactor_poll(r), 0);
	CU_ASSERT_EQUAL(busy.calls, 50);
	CU_ASSERT_EQUAL(idle.calls, 151);
	nvtcp_poller_unregister(&pi);
	nvtcp_reactor_poll(r);
	CU_ASSERT_EQUAL(idle.calls, 151);
	nvtcp_reactor_destroy(r);
}

struct timed {
	uint64_t calls;
	uint64_t registered;
	uint64_t first;
};

static int
timed_poller(void *arg)
{
	struct timed *t = arg;

	if (t->calls == 0) {
		t->first = nvtcp_env_get_ticks();
	}
	t->calls++;
	return NVTCP_POLLER_BUSY;
}

/*
 * Only bounds that hold on a loaded machine: a timed poller never runs before its first
 * period, and never more than once per period (so calls <= elapsed / period). How often it
 * does run depends on the scheduler and is not asserted beyond "at least once".
 */
static void
test_timed_poller_period(void)
{
	struct nvtcp_reactor *r = nvtcp_reactor_create(NULL);
	struct timed t = {0};
	uint64_t period = ms_to_ticks(20), elapsed;
	struct nvtcp_poller *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	t.registered = nvtcp_env_get_ticks();
	p = nvtcp_poller_register(timed_poller, &t, 20000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	do {
		nvtcp_reactor_poll(r);
		elapsed = nvtcp_env_get_ticks() - t.registered;
	} while ((elapsed < ms_to_ticks(300) || t.calls == 0) && elapsed < ms_to_ticks(10000));
	CU_ASSERT(t.calls >= 1);
	CU_ASSERT(t.first - t.registered >= period);
	CU_ASSERT(t.calls <= elapsed / period);
	nvtcp_poller_unregister(&p);
	CU_ASSERT_PTR_NULL(p);
	nvtcp_reactor_destroy(r);
}

static bool
all_called(const struct timed *t, int n)
{
	for (int i = 0; i < n; i++) {
		if (t[i].calls == 0) {
			return false;
		}
	}
	return true;
}

/* Many timed pollers with different periods, some unregistered midway: the heap keeps each
 * one's schedule. */
static void
test_many_timed_pollers(void)
{
	struct nvtcp_reactor *r = nvtcp_reactor_create(NULL);
	enum { N = 64 };
	struct timed t[N];
	struct nvtcp_poller *p[N];
	uint64_t period[N], start, stop_calls[N], hz = nvtcp_env_get_ticks_hz();

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (int i = 0; i < N; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		period[i] = 1000 + (uint64_t)(i * 37 % 9) * 1000;
		t[i].registered = nvtcp_env_get_ticks();
		p[i] = nvtcp_poller_register(timed_poller, &t[i], period[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
	}
	start = nvtcp_env_get_ticks();
	while ((nvtcp_env_get_ticks() - start < ms_to_ticks(60) || !all_called(t, N)) &&
	       nvtcp_env_get_ticks() - start < ms_to_ticks(10000)) {
		nvtcp_reactor_poll(r);
	}
	CU_ASSERT(all_called(t, N));
	/* Take out every third one, from various heap positions. */
	for (int i = 0; i < N; i += 3) {
		nvtcp_poller_unregister(&p[i]);
		stop_calls[i] = t[i].calls;
	}
	start = nvtcp_env_get_ticks();
	while (nvtcp_env_get_ticks() - start < ms_to_ticks(60)) {
		nvtcp_reactor_poll(r);
	}
	for (int i = 0; i < N; i++) {
		uint64_t pt = hz * period[i] / 1000000;

		CU_ASSERT(t[i].first - t[i].registered >= pt);
		CU_ASSERT(t[i].calls <= (nvtcp_env_get_ticks() - t[i].registered) / pt);
		if (i % 3 == 0) {
			CU_ASSERT_EQUAL(t[i].calls, stop_calls[i]);
		} else {
			nvtcp_poller_unregister(&p[i]);
		}
	}
	nvtcp_reactor_destroy(r);
}

/* Pollers that unregister themselves and each other while the reactor walks its lists. */
struct unreg {
	struct nvtcp_poller *self;
	struct nvtcp_poller **victim;
	uint64_t calls;
	uint64_t unreg_at;
};

static int
unreg_poller(void *arg)
{
	struct unreg *u = arg;

	u->calls++;
	if (u->calls == u->unreg_at) {
		if (u->victim != NULL) {
			nvtcp_poller_unregister(u->victim);
		} else {
			nvtcp_poller_unregister(&u->self);
		}
	}
	return NVTCP_POLLER_BUSY;
}

static void
test_unregister_inside_pollers(void)
{
	struct nvtcp_reactor *r = nvtcp_reactor_create(NULL);
	/* a: itself on call 3; b: c (after it in the list) on call 1; d: b (before it) on call 2;
	 * ta: timed, itself on call 1; tb: timed, tc on call 1. */
	struct unreg a = {.unreg_at = 3}, b = {.unreg_at = 1}, c = {0}, d = {.unreg_at = 2};
	struct unreg ta = {.unreg_at = 1}, tb = {.unreg_at = 1}, tc = {0};
	uint64_t start;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	a.self = nvtcp_poller_register(unreg_poller, &a, 0);
	b.self = nvtcp_poller_register(unreg_poller, &b, 0);
	c.self = nvtcp_poller_register(unreg_poller, &c, 0);
	d.self = nvtcp_poller_register(unreg_poller, &d, 0);
	b.victim = &c.self;
	d.victim = &b.self;
	/* tc is due well after tb, so tb runs (and removes it) first. */
	tc.self = nvtcp_poller_register(unreg_poller, &tc, 50000);
	ta.self = nvtcp_poller_register(unreg_poller, &ta, 1000);
	tb.self = nvtcp_poller_register(unreg_poller, &tb, 1000);
	tb.victim = &tc.self;
	CU_ASSERT_FATAL(a.self && b.self && c.self && d.self && ta.self && tb.self && tc.self);

	start = nvtcp_env_get_ticks();
	for (int i = 0; (i < 10 || nvtcp_env_get_ticks() - start < ms_to_ticks(100) ||
			 ta.calls == 0 || tb.calls == 0) &&
			nvtcp_env_get_ticks() - start < ms_to_ticks(10000); i++) {
		nvtcp_reactor_poll(r);
	}
	CU_ASSERT_EQUAL(a.calls, 3);
	CU_ASSERT_PTR_NULL(a.self);
	/* b ran twice: it was unregistered by d during its second iteration. */
	CU_ASSERT_EQUAL(b.calls, 2);
	CU_ASSERT_PTR_NULL(b.self);
	/* c was removed before its turn in the first iteration. */
	CU_ASSERT_EQUAL(c.calls, 0);
	CU_ASSERT_PTR_NULL(c.self);
	CU_ASSERT(d.calls >= 10);
	CU_ASSERT_EQUAL(ta.calls, 1);
	CU_ASSERT_PTR_NULL(ta.self);
	CU_ASSERT(tb.calls >= 1);
	CU_ASSERT_EQUAL(tc.calls, 0);
	CU_ASSERT_PTR_NULL(tc.self);
	nvtcp_poller_unregister(&d.self);
	nvtcp_poller_unregister(&tb.self);
	nvtcp_reactor_destroy(r);
}

/* Pollers registered from inside pollers run from a later point on; remaining pollers are
 * dropped by destroy. */
static struct counter g_late;

static int
registering_poller(void *arg)
{
	struct nvtcp_poller **out = arg;

	if (*out == NULL) {
		*out = nvtcp_poller_register(count_poller, &g_late, 0);
	}
	return NVTCP_POLLER_IDLE;
}

static void
test_register_inside_and_destroy(void)
{
	struct nvtcp_reactor *r = nvtcp_reactor_create(NULL);
	struct nvtcp_poller *late = NULL, *reg;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	memset(&g_late, 0, sizeof(g_late));
	reg = nvtcp_poller_register(registering_poller, &late, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reg);
	for (int i = 0; i < 5; i++) {
		nvtcp_reactor_poll(r);
	}
	CU_ASSERT_PTR_NOT_NULL(late);
	CU_ASSERT(g_late.calls >= 4);
	/* Leave both registered, plus a timed one: destroy frees them (ASan checks). */
	CU_ASSERT_PTR_NOT_NULL(nvtcp_poller_register(count_poller, &g_late, 100000));
	nvtcp_reactor_destroy(r);
	/* Without a reactor, no poller. */
	CU_ASSERT_PTR_NULL(nvtcp_poller_register(count_poller, &g_late, 0));
}

/* ---- Embedding on a plain thread --------------------------------------------------------- */

struct embed {
	struct nvtcp_reactor *_Atomic reactor;
	pthread_t thread;
	atomic_bool quit;
	uint64_t msgs_on_thread;
	uint64_t msgs_elsewhere;
	uint64_t next_seq;
	uint64_t out_of_order;
	uint32_t core;
	struct counter poller;
	int rc;
};

struct embed_seq {
	struct embed *e;
	uint64_t seq;
};

static struct embed_seq g_seqs[5000];

static void
embed_seq_msg(void *arg)
{
	struct embed_seq *s = arg;

	if (pthread_equal(pthread_self(), s->e->thread)) {
		s->e->msgs_on_thread++;
	} else {
		s->e->msgs_elsewhere++;
	}
	if (s->seq != s->e->next_seq) {
		s->e->out_of_order++;
	}
	s->e->next_seq = s->seq + 1;
}

static void
embed_quit(void *arg)
{
	atomic_store(&((struct embed *)arg)->quit, true);
}

static void *
embed_thread(void *arg)
{
	struct embed *e = arg;
	struct nvtcp_reactor *r = nvtcp_reactor_create(NULL);
	struct nvtcp_poller *p;
	uint64_t start = nvtcp_env_get_ticks();

	if (r == NULL) {
		e->rc = -errno;
		return NULL;
	}
	e->core = nvtcp_reactor_get_core(r);
	p = nvtcp_poller_register(count_poller, &e->poller, 0);
	atomic_store(&e->reactor, r);
	while (!atomic_load(&e->quit)) {
		nvtcp_reactor_poll(r);
		if (nvtcp_env_get_ticks() - start > ms_to_ticks(20000)) {
			e->rc = -ETIMEDOUT;
			break;
		}
	}
	nvtcp_poller_unregister(&p);
	nvtcp_reactor_destroy(r);
	return NULL;
}

static void
test_embedded_plain_thread(void)
{
	struct embed e;
	struct nvtcp_reactor *r;
	uint64_t start;

	memset(&e, 0, sizeof(e));
	CU_ASSERT_FATAL(pthread_create(&e.thread, NULL, embed_thread, &e) == 0);
	start = nvtcp_env_get_ticks();
	while ((r = atomic_load(&e.reactor)) == NULL && e.rc == 0 &&
	       nvtcp_env_get_ticks() - start < ms_to_ticks(10000)) {
	}
	CU_ASSERT_PTR_NOT_NULL(r);
	if (r != NULL) {
		/* From the main thread, which is not a reactor here. */
		for (uint64_t i = 0; i < NVTCP_COUNTOF(g_seqs); i++) {
			g_seqs[i] = (struct embed_seq){.e = &e, .seq = i};
			CU_ASSERT_EQUAL(nvtcp_reactor_send_msg(r, embed_seq_msg, &g_seqs[i]), 0);
		}
		CU_ASSERT_EQUAL(nvtcp_reactor_send_msg(r, embed_quit, &e), 0);
	}
	pthread_join(e.thread, NULL);
	CU_ASSERT_EQUAL(e.rc, 0);
	CU_ASSERT_EQUAL(e.core, NVTCP_ENV_CORE_NONE);
	CU_ASSERT_EQUAL(e.msgs_on_thread, NVTCP_COUNTOF(g_seqs));
	CU_ASSERT_EQUAL(e.msgs_elsewhere, 0);
	CU_ASSERT_EQUAL(e.out_of_order, 0);
	CU_ASSERT(e.poller.calls > 0);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("reactor", suite_init, suite_fini);

	CU_ADD_TEST(s, test_create_destroy);
	CU_ADD_TEST(s, test_messages_batch_and_order);
	CU_ADD_TEST(s, test_ring_full);
	CU_ADD_TEST(s, test_destroy_runs_pending);
	CU_ADD_TEST(s, test_active_pollers_and_stats);
	CU_ADD_TEST(s, test_timed_poller_period);
	CU_ADD_TEST(s, test_many_timed_pollers);
	CU_ADD_TEST(s, test_unregister_inside_pollers);
	CU_ADD_TEST(s, test_register_inside_and_destroy);
	CU_ADD_TEST(s, test_embedded_plain_thread);
}

NVTCP_UT_MAIN(add_tests)
