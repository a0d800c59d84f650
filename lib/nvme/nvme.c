/*
 * Process-wide pieces of the host driver: the clock, option defaults, host-side completion
 * statuses and the test hooks.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvme_internal.h"
#include "nvtcp/env.h"

/*
 * The clock. Timeouts and submit ticks use the environment's TSC when the environment is up
 * (cheap: one rdtsc per command), otherwise CLOCK_MONOTONIC, so that tools that never start
 * DPDK work too. The choice is made once, on first use, so deadlines never mix the two.
 */
static uint64_t (*g_now)(void);
static uint64_t g_hz;
static pthread_once_t g_clock_once = PTHREAD_ONCE_INIT;

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
clock_choose(void)
{
	if (g_now != NULL) {
		return; /* a test installed its own */
	}
	if (nvtcp_env_is_initialized() && nvtcp_env_get_ticks_hz() != 0) {
		g_now = nvtcp_env_get_ticks;
		g_hz = nvtcp_env_get_ticks_hz();
	} else {
		g_now = mono_ns;
		g_hz = 1000000000ull;
	}
}

uint64_t
nvme_ticks(void)
{
	pthread_once(&g_clock_once, clock_choose);
	return g_now();
}

uint64_t
nvme_ticks_hz(void)
{
	pthread_once(&g_clock_once, clock_choose);
	return g_hz;
}

uint64_t
nvme_ms_to_ticks(uint64_t ms)
{
	uint64_t hz = nvme_ticks_hz();

	/* Avoid overflow for long timeouts: ms * hz fits unless ms is absurd. */
	if (ms > UINT64_MAX / hz) {
		return UINT64_MAX / 2;
	}
	return ms * hz / 1000;
}

uint64_t
nvme_ticks_to_ms(uint64_t ticks)
{
	uint64_t hz = nvme_ticks_hz();

	return ticks / hz * 1000 + ticks % hz * 1000 / hz;
}

void
nvme_set_clock(uint64_t (*now)(void), uint64_t hz)
{
	pthread_once(&g_clock_once, clock_choose);
	if (now == NULL) {
		g_now = NULL;
		clock_choose();
		return;
	}
	g_now = now;
	g_hz = hz;
}

static nvme_connect_fn g_connect_fn;

void
nvme_set_connect_fn(nvme_connect_fn fn)
{
	g_connect_fn = fn;
}

struct nvtcp_sock *
nvme_sock_connect(const char *addr, const char *svc, const struct nvtcp_sock_opts *opts, int *rc)
{
	if (g_connect_fn != NULL) {
		return g_connect_fn(addr, svc, opts, rc);
	}
	return nvtcp_sock_connect_async(addr, svc, opts, rc);
}

static const struct nvme_tls_hooks g_tls_default = {
	.client = nvtcp_sock_tls_client,
	.poll = nvtcp_sock_tls_handshake_poll,
	.cipher = nvtcp_sock_tls_cipher,
	.error = nvtcp_sock_tls_error,
};
static const struct nvme_tls_hooks *g_tls = &g_tls_default;

void
nvme_set_tls_hooks(const struct nvme_tls_hooks *hooks)
{
	g_tls = hooks != NULL ? hooks : &g_tls_default;
}

const struct nvme_tls_hooks *
nvme_tls(void)
{
	return g_tls;
}

static void (*g_pause_fn)(void);

void
nvme_set_sync_pause_fn(void (*fn)(void))
{
	g_pause_fn = fn;
}

void
nvme_sync_pause(void)
{
	if (g_pause_fn != NULL) {
		g_pause_fn();
		return;
	}
	usleep(50);
}

void
nvme_cpl_host(struct nvtcp_nvme_cpl *cpl, uint16_t sqid, uint16_t cid, uint16_t status)
{
	memset(cpl, 0, sizeof(*cpl));
	cpl->sqid = sqid;
	cpl->cid = cid;
	cpl->status = status;
}

void
nvtcp_ctrlr_opts_init(struct nvtcp_ctrlr_opts *opts)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	memset(opts, 0, sizeof(*opts));
	rc = nvtcp_host_id_default(&opts->host);
	if (rc != 0) {
		/* Attach refuses an empty host NQN, naming the problem; the log says why. */
		NVTCP_ERRLOG("no default host identity: %s\n", strerror(-rc));
		memset(&opts->host, 0, sizeof(opts->host));
	}
	opts->admin_queue_size = NVTCP_NVMF_ADMIN_QUEUE_MIN_SIZE;
	opts->io_queue_size = 128;
	opts->num_io_queues = ncpu > 0 ? (uint32_t)ncpu : 1;
	opts->kato_ms = 5000;
	opts->hdgst = false;
	opts->ddgst = false;
	opts->hpda = 0;
	opts->max_r2t = 4;
	opts->connect_timeout_ms = 10000;
	opts->icresp_timeout_ms = 10000;
	opts->admin_timeout_ms = 60000;
	opts->io_timeout_ms = 30000;
	opts->reconnect_delay_ms = 10000;
	opts->ctrl_loss_tmo_s = 600;
	opts->fast_io_fail_tmo_s = -1;
	opts->sock_sndbuf = 0;
	opts->sock_rcvbuf = 0;
	opts->tcp_user_timeout_ms = 0;
}

void
nvtcp_discover_opts_init(struct nvtcp_discover_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	nvtcp_ctrlr_opts_init(&opts->ctrlr);
	opts->ctrlr.kato_ms = 0;
	opts->ctrlr.num_io_queues = 0;
	opts->follow_referrals = true;
	opts->max_referral_depth = 4;
	opts->max_entries = 1024;
	opts->max_restarts = 10;
}
