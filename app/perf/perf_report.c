/*
 * Human-readable results, laid out exactly as spdk_nvme_perf prints them (the results table,
 * the -L percentile summary and the -LL histogram), so that scripts that parse one parse the
 * other; then nvtcp_perf's additions: the I/O accounting and verification summary, and the
 * per-second progress line on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nvtcp/env.h"
#include "nvtcp/util.h"

#include "perf.h"

/* The percentiles of -L, as spdk_nvme_perf prints them. */
static const double g_cutoffs[] = {
	0.01, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999, 0.99999,
	0.999999, 0.9999999, -1,
};

double
perf_worker_seconds(const struct perf_worker *w)
{
	return g_perf.hz != 0 ? (double)w->elapsed_tsc / (double)g_perf.hz : 0.0;
}

static double
tsc_us(uint64_t tsc)
{
	return (double)tsc * 1000000.0 / (double)g_perf.hz;
}

static void
check_cutoff(void *ctx, uint64_t start, uint64_t end, uint64_t count, uint64_t total,
	     uint64_t so_far)
{
	const double **cutoff = ctx;
	double pct;

	if (count == 0) {
		return;
	}
	pct = (double)so_far / (double)total;
	while (**cutoff > 0 && pct >= **cutoff) {
		printf("%9.5f%% : %9.3fus\n", **cutoff * 100, tsc_us(end));
		(*cutoff)++;
	}
}

static void
print_bucket(void *ctx, uint64_t start, uint64_t end, uint64_t count, uint64_t total,
	     uint64_t so_far)
{
	if (count == 0) {
		return;
	}
	printf("%9.3f - %9.3f: %9.4f%%  (%9" PRIu64 ")\n", tsc_us(start), tsc_us(end),
	       (double)so_far * 100 / (double)total, count);
}

void
perf_report_print(FILE *f)
{
	double total_iops = 0, total_mibs = 0, min_so_far = (double)UINT64_MAX, max_so_far = 0;
	uint64_t total_io = 0, total_tsc = 0;
	uint32_t max_strlen = 0, ns_count = 0;

	for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
		max_strlen = NVTCP_MAX(max_strlen, (uint32_t)strlen(g_perf.ctxs[i].ns->name));
	}
	/* Which controllers' figures are over TLS (the device lines stay as SPDK's). */
	for (uint32_t i = 0; i < g_perf.num_ctrlrs; i++) {
		if (g_perf.ctrlrs[i].tls_cipher[0] != '\0') {
			fprintf(f, "TLS %s: %s\n", g_perf.ctrlrs[i].tls_cipher,
				g_perf.ctrlrs[i].name);
		}
	}
	fprintf(f, "========================================================\n");
	fprintf(f, "%*s\n", max_strlen + 60, "Latency(us)");
	fprintf(f, "%-*s: %10s %10s %10s %10s %10s\n", max_strlen + 13, "Device Information", "IOPS",
		"MiB/s", "Average", "min", "max");
	for (uint32_t wi = 0; wi < g_perf.num_workers; wi++) {
		struct perf_worker *w = &g_perf.workers[wi];
		double secs = perf_worker_seconds(w);

		for (uint32_t i = 0; i < w->num_ctxs; i++) {
			struct perf_ns_ctx *c = w->ctxs[i];
			uint64_t done = atomic_load(&c->stats.io_completed);
			uint64_t tsc = atomic_load(&c->stats.total_tsc);
			double iops, mibs, avg, mn, mx;

			if (done == 0 || secs <= 0) {
				continue;
			}
			iops = (double)done / secs;
			mibs = iops * g_perf.opts.io_size / (1024 * 1024);
			avg = tsc_us(tsc) / (double)done;
			mn = tsc_us(c->stats.min_tsc);
			mx = tsc_us(c->stats.max_tsc);
			min_so_far = mn < min_so_far ? mn : min_so_far;
			max_so_far = mx > max_so_far ? mx : max_so_far;
			fprintf(f, "%-*.*s from core %2u: %10.2f %10.2f %10.2f %10.2f %10.2f\n",
				max_strlen, max_strlen, c->ns->name, w->core, iops, mibs, avg, mn, mx);
			total_iops += iops;
			total_mibs += mibs;
			total_io += done;
			total_tsc += tsc;
			ns_count++;
		}
	}
	if (ns_count != 0 && total_io != 0) {
		fprintf(f, "========================================================\n");
		fprintf(f, "%-*s: %10.2f %10.2f %10.2f %10.2f %10.2f\n", max_strlen + 13, "Total",
			total_iops, total_mibs, tsc_us(total_tsc) / (double)total_io, min_so_far,
			max_so_far);
		fprintf(f, "\n");
	}
	fflush(f);
	if (g_perf.opts.latency_level == 0 || total_io == 0) {
		return;
	}
	for (uint32_t wi = 0; wi < g_perf.num_workers; wi++) {
		struct perf_worker *w = &g_perf.workers[wi];

		for (uint32_t i = 0; i < w->num_ctxs; i++) {
			const double *cutoff = g_cutoffs;

			printf("Summary latency data for %-43.43s from core %u:\n", w->ctxs[i]->ns->name,
			       w->core);
			printf("==============================================================="
			       "==================\n");
			perf_hist_iterate(w->ctxs[i]->hist, check_cutoff, &cutoff);
			printf("\n");
		}
	}
	if (g_perf.opts.latency_level == 1) {
		return;
	}
	for (uint32_t wi = 0; wi < g_perf.num_workers; wi++) {
		struct perf_worker *w = &g_perf.workers[wi];

		for (uint32_t i = 0; i < w->num_ctxs; i++) {
			printf("Latency histogram for %-43.43s from core %u:\n", w->ctxs[i]->ns->name,
			       w->core);
			printf("==============================================================="
			       "===============\n");
			printf("       Range in us     Cumulative    IO count\n");
			perf_hist_iterate(w->ctxs[i]->hist, print_bucket, NULL);
			printf("\n");
		}
	}
}

void
perf_report_transport_stats(FILE *f)
{
	for (uint32_t wi = 0; wi < g_perf.num_workers; wi++) {
		struct perf_worker *w = &g_perf.workers[wi];

		for (uint32_t i = 0; i < w->num_ctxs; i++) {
			const struct perf_ns_ctx *c = w->ctxs[i];
			const struct perf_drv_stats *d = &c->drv;

			fprintf(f, "\n====================\n");
			fprintf(f, "lcore %u, ns %s statistics:\n", w->core, c->ns->name);
			fprintf(f, "TCP transport:\n");
			fprintf(f, "\tpolls:              %" PRIu64 "\n", d->polls);
			fprintf(f, "\tidle_polls:         %" PRIu64 "\n", d->idle_polls);
			fprintf(f, "\tnvme_completions:   %" PRIu64 "\n", d->completions);
			fprintf(f, "\tsubmitted_requests: %" PRIu64 "\n", c->stats.io_submitted);
			fprintf(f, "\tqueued_requests:    %" PRIu64 "\n", d->queued);
			fprintf(f, "\tsend_calls:         %" PRIu64 "\n", d->send_calls);
			fprintf(f, "\trecv_calls:         %" PRIu64 "\n", d->recv_calls);
			fprintf(f, "\tpdus_sent:          %" PRIu64 "\n", d->pdus_sent);
			fprintf(f, "\tpdus_received:      %" PRIu64 "\n", d->pdus_received);
		}
		if (w->group != NULL || w->drv.epoll_calls != 0) {
			fprintf(f, "lcore %u poll group: polls %" PRIu64 ", idle_polls %" PRIu64
				", epoll_calls %" PRIu64 "\n", w->core, w->drv.polls,
				w->drv.idle_polls, w->drv.epoll_calls);
		}
	}
	fprintf(f, "\n");
}

void
perf_report_verify(FILE *f)
{
	uint64_t sub = 0, done = 0, err = 0, checked = 0, mism = 0, unw = 0, unk = 0, retr = 0;
	uint64_t gave = 0, writes = 0, busy = 0, held = 0;

	for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
		const struct perf_ns_ctx *c = &g_perf.ctxs[i];

		busy += c->end_tasks_busy;
		held += c->end_drv_outstanding;
		sub += c->stats.io_submitted;
		done += atomic_load(&c->stats.io_completed);
		err += c->stats.io_errors;
		checked += c->verify.reads_checked;
		mism += c->verify.mismatches;
		unw += c->verify.reads_unwritten;
		unk += c->verify.reads_unknown;
		retr += c->verify.retries;
		gave += c->verify.gave_up;
		writes += c->verify.writes_ok;
	}
	fprintf(f, "I/O accounting: submitted %" PRIu64 " = completed ok %" PRIu64
		" + completed with error %" PRIu64 "%s\n", sub, done - err, err,
		sub == done ? "" : "  ** DOES NOT ADD UP **");
	fprintf(f, "At the end: %" PRIu64 " I/Os still in flight, %" PRIu64 " driver requests "
		"not back in their pools%s\n", busy, held, busy + held == 0 ? "" : "  ** LEAK **");
	if (!g_perf.opts.verify) {
		return;
	}
	fprintf(f, "Verification (seed 0x%08x): %" PRIu64 " reads checked, %" PRIu64
		" mismatching blocks; %" PRIu64 " writes stamped\n", g_perf.opts.verify_seed, checked,
		mism, writes);
	fprintf(f, "  not checkable: %" PRIu64 " reads of blocks not written in this run, %" PRIu64
		" of blocks whose write failed\n", unw, unk);
	fprintf(f, "  errored I/Os retried: %" PRIu64 ", given up: %" PRIu64 "\n", retr, gave);
	/* A given-up I/O left its blocks unchecked (a write's content is unknown from then on):
	 * the run proved less than it was asked to. */
	fprintf(f, "Verification %s\n", mism != 0 ? "FAILED" : gave != 0 ? "INCOMPLETE" : "PASSED");
}

/* ---- Progress line ------------------------------------------------------------------------ */

static uint64_t g_prev_io, g_prev_tsc, g_prev_busy, g_prev_idle;
static bool g_progress_printed;

void
perf_report_progress(void)
{
	uint64_t io = 0, tsc = 0, busy = 0, idle = 0, dio, dtsc;
	const struct perf_opts *o = &g_perf.opts;
	bool warmup = false;
	char line[256];
	int n;

	for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
		io += atomic_load_explicit(&g_perf.ctxs[i].stats.io_completed, memory_order_relaxed);
		tsc += atomic_load_explicit(&g_perf.ctxs[i].stats.total_tsc, memory_order_relaxed);
	}
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		busy += atomic_load_explicit(&g_perf.workers[i].busy_tsc, memory_order_relaxed);
		idle += atomic_load_explicit(&g_perf.workers[i].idle_tsc, memory_order_relaxed);
		/* From the clock, not the worker's state, which that core owns. */
		warmup |= o->warmup_s > 0 && nvtcp_env_get_ticks() < g_perf.workers[i].start_tsc +
						(uint64_t)o->warmup_s * g_perf.hz;
	}
	if (io < g_prev_io || tsc < g_prev_tsc) {
		/* The counters were reset at the end of the warm-up. */
		g_prev_io = 0;
		g_prev_tsc = 0;
	}
	dio = io - g_prev_io;
	dtsc = tsc - g_prev_tsc;
	g_prev_io = io;
	g_prev_tsc = tsc;
	n = snprintf(line, sizeof(line), "%s%9" PRIu64 " IOPS, %8.2f MiB/s, %8.2f us average",
		     warmup ? "[warmup] " : "", dio, (double)dio * o->io_size / (1024 * 1024),
		     dio != 0 ? tsc_us(dtsc) / (double)dio : 0.0);
	if (o->cpu_usage && n > 0 && (size_t)n < sizeof(line)) {
		uint64_t db = busy - g_prev_busy, di = idle - g_prev_idle;

		snprintf(line + n, sizeof(line) - (size_t)n, "%3u Core(s): %6.2f%% Busy",
			 g_perf.num_workers, db + di != 0 ? (double)db * 100 / (double)(db + di) : 0);
	}
	g_prev_busy = busy;
	g_prev_idle = idle;
	if (g_perf.progress_tty) {
		fprintf(stderr, "\r%s\033[K", line);
	} else {
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
	g_progress_printed = true;
}

void
perf_report_progress_end(void)
{
	if (g_progress_printed && g_perf.progress_tty) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
}

/* ---- CPU split ---------------------------------------------------------------------------- */

int
perf_cpu_pct(const struct perf_cpu *a, const struct perf_cpu *b, double secs, double *user,
	     double *sys)
{
	double tck = (double)sysconf(_SC_CLK_TCK);

	if (!a->valid || !b->valid || secs <= 0 || tck <= 0) {
		return -1;
	}
	*user = (double)(b->user - a->user) / tck / secs * 100;
	*sys = (double)(b->sys - a->sys) / tck / secs * 100;
	return 0;
}

void
perf_report_cpu(FILE *f)
{
	double u, k;

	fprintf(f, "CPU time during the measured run (user = nvtcp_perf, driver and target code; "
		"kernel = TCP/IP and system calls):\n");
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		const struct perf_worker *w = &g_perf.workers[i];

		if (perf_cpu_pct(&w->cpu_begin, &w->cpu_end, perf_worker_seconds(w), &u, &k) == 0) {
			fprintf(f, "  core %2u %-19s %5.1f%% user, %5.1f%% kernel\n", w->core,
				"(I/O worker):", u, k);
		}
		if (perf_cpu_pct(&w->tgt_cpu_begin, &w->tgt_cpu_end, perf_worker_seconds(w), &u,
				 &k) == 0) {
			fprintf(f, "  core %2u %-19s %5.1f%% user, %5.1f%% kernel\n",
				g_perf.tgt.core, "(embedded target):", u, k);
		}
	}
	fprintf(f, "\n");
}
