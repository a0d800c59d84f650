/*
 * The --json document: every figure of the run, the options and the environment, for scripts
 * (scripts/bench reads it). The schema is described in doc/perf.md; "schema_version" changes
 * when a field changes meaning or goes away (adding fields does not change it).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "nvtcp/env.h"
#include "nvtcp/util.h"

#include "perf.h"

#ifndef NVTCP_VERSION
#define NVTCP_VERSION "unknown"
#endif
#ifndef NVTCP_GIT
#define NVTCP_GIT ""
#endif

#define PERF_JSON_SCHEMA 1

static const double g_pcts[] = {0.01, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.98, 0.99, 0.995,
				0.999, 0.9999, 0.99999, 0.999999, 0.9999999};

static double
us(uint64_t tsc)
{
	return (double)tsc * 1000000.0 / (double)g_perf.hz;
}

static void
add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v != NULL ? json_object_new_string(v) : NULL);
}

static void
add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void
add_dbl(struct json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void
add_bool(struct json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

/* A recovery option: its value, or null when the driver's default applies. */
static void
add_opt(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, v == PERF_OPT_DRIVER_DEFAULT ? NULL :
				     json_object_new_int64(v));
}

static void
cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (f == NULL) {
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) == 0) {
			char *p = strchr(line, ':');

			if (p != NULL) {
				p += 1 + strspn(p + 1, " \t");
				p[strcspn(p, "\n")] = '\0';
				snprintf(buf, len, "%s", p);
			}
			break;
		}
	}
	fclose(f);
}

static struct json_object *
environment(void)
{
	struct json_object *e = json_object_new_object(), *cores = json_object_new_array();
	struct json_object *workers = json_object_new_array();
	char host[256] = "", model[256], kernel[600], when[64];
	struct utsname u;
	time_t t = (time_t)g_perf.wall_start;
	struct tm tm;
	uint32_t core;

	gethostname(host, sizeof(host) - 1);
	add_str(e, "hostname", host);
	if (uname(&u) == 0) {
		snprintf(kernel, sizeof(kernel), "%s %s %s %s", u.sysname, u.release, u.version,
			 u.machine);
		add_str(e, "kernel", kernel);
	}
	cpu_model(model, sizeof(model));
	add_str(e, "cpu_model", model);
	add_u64(e, "online_cpus", (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
	add_str(e, "core_mask", g_perf.core_mask_str);
	NVTCP_ENV_FOREACH_CORE(core) {
		json_object_array_add(cores, json_object_new_uint64(core));
	}
	json_object_object_add(e, "cores", cores);
	add_u64(e, "main_core", g_perf.main_core);
	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		json_object_array_add(workers, json_object_new_uint64(g_perf.workers[i].core));
	}
	json_object_object_add(e, "worker_cores", workers);
	json_object_object_add(e, "target_core", g_perf.tgt.enabled ?
			       json_object_new_uint64(g_perf.tgt.core) : NULL);
	add_bool(e, "hugepages", nvtcp_env_hugepages());
	add_u64(e, "mem_size_mb", g_perf.opts.mem_size_mb);
	add_str(e, "nvtcp_version", NVTCP_VERSION);
	add_str(e, "nvtcp_git", NVTCP_GIT);
	add_u64(e, "tsc_hz", g_perf.hz);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	add_str(e, "start_time", when);
	return e;
}

static struct json_object *
options(void)
{
	const struct perf_opts *o = &g_perf.opts;
	struct json_object *j = json_object_new_object(), *trids = json_object_new_array();
	static const char *const poll_names[] = {"auto", "group", "qpair"};

	add_u64(j, "queue_depth", o->queue_depth);
	add_u64(j, "io_size", o->io_size);
	add_str(j, "workload", o->workload);
	add_u64(j, "rwmixread", (uint64_t)o->rwmixread);
	add_u64(j, "time_s", o->time_s);
	add_u64(j, "warmup_s", o->warmup_s);
	add_str(j, "core_mask", g_perf.core_mask_str);
	for (uint32_t i = 0; i < o->num_trids; i++) {
		const struct perf_trid_entry *e = &o->trids[i];
		struct json_object *t = json_object_new_object();
		char buf[1024];

		add_str(t, "text", e->text);
		if (nvtcp_trid_format(&e->trid, buf, sizeof(buf)) >= 0) {
			add_str(t, "trid", buf);
		}
		add_str(t, "traddr", e->trid.traddr);
		add_str(t, "trsvcid", e->trid.trsvcid);
		add_str(t, "subnqn", e->trid.subnqn);
		add_u64(t, "nsid", e->nsid);
		json_object_array_add(trids, t);
	}
	json_object_object_add(j, "trids", trids);
	add_u64(j, "qpairs_per_ns", o->qpairs_per_ns);
	add_u64(j, "unused_qpairs", o->unused_qpairs);
	add_u64(j, "latency_level", (uint64_t)o->latency_level);
	add_bool(j, "hdgst", o->hdgst);
	add_bool(j, "ddgst", o->ddgst);
	add_bool(j, "tls", o->tls);
	/* Whether secrets were given, never the secrets. */
	add_bool(j, "dhchap", o->dhchap_secret != NULL);
	add_bool(j, "dhchap_bidirectional", o->dhchap_ctrl_secret != NULL);
	add_u64(j, "keepalive_ms", o->keepalive_ms);
	add_u64(j, "number_ios", o->number_ios);
	add_u64(j, "number_ios_pct", o->number_ios_pct);
	add_bool(j, "continue_on_error", o->continue_on_error);
	add_u64(j, "max_completions", o->max_completions);
	add_u64(j, "io_queue_size", o->io_queue_size);
	add_opt(j, "io_timeout_ms", o->io_timeout_ms);
	add_opt(j, "admin_timeout_ms", o->admin_timeout_ms);
	add_opt(j, "reconnect_delay_ms", o->reconnect_delay_ms);
	add_opt(j, "ctrl_loss_tmo_s", o->ctrl_loss_tmo_s);
	add_opt(j, "fast_io_fail_tmo_s", o->fast_io_fail_tmo_s);
	add_opt(j, "tcp_user_timeout_ms", o->tcp_user_timeout_ms);
	add_u64(j, "io_unit_size", o->io_unit_size);
	add_u64(j, "buffer_alignment", o->buf_align);
	add_bool(j, "use_every_core", o->use_every_core);
	add_bool(j, "verify", o->verify);
	add_u64(j, "verify_seed", o->verify_seed);
	add_u64(j, "rate_iops", o->rate_iops);
	add_str(j, "poll", poll_names[o->poll_mode]);
	add_str(j, "multipath_policy", o->mpath_policy < 0 ? NULL : nvtcp_mpath_policy_str(
			(enum nvtcp_mpath_policy)o->mpath_policy));
	return j;
}

static struct json_object *
latency(const struct perf_hist *h, uint64_t done, uint64_t total_tsc, uint64_t min_tsc,
	uint64_t max_tsc)
{
	struct json_object *l = json_object_new_object(), *pcts = json_object_new_array();

	add_dbl(l, "average", done != 0 ? us(total_tsc) / (double)done : 0.0);
	add_dbl(l, "min", done != 0 ? us(min_tsc) : 0.0);
	add_dbl(l, "max", us(max_tsc));
	add_dbl(l, "p50", us(perf_hist_percentile(h, 0.50)));
	add_dbl(l, "p90", us(perf_hist_percentile(h, 0.90)));
	add_dbl(l, "p99", us(perf_hist_percentile(h, 0.99)));
	add_dbl(l, "p99_9", us(perf_hist_percentile(h, 0.999)));
	add_dbl(l, "p99_99", us(perf_hist_percentile(h, 0.9999)));
	for (size_t i = 0; i < NVTCP_COUNTOF(g_pcts); i++) {
		struct json_object *p = json_object_new_object();

		add_dbl(p, "percent", g_pcts[i] * 100);
		add_dbl(p, "us", us(perf_hist_percentile(h, g_pcts[i])));
		json_object_array_add(pcts, p);
	}
	json_object_object_add(l, "percentiles", pcts);
	return l;
}

static void
hist_bucket(void *ctx, uint64_t start, uint64_t end, uint64_t count, uint64_t total,
	    uint64_t so_far)
{
	struct json_object *arr = ctx, *b;

	if (count == 0) {
		return;
	}
	b = json_object_new_array();
	json_object_array_add(b, json_object_new_double(us(start)));
	json_object_array_add(b, json_object_new_double(us(end)));
	json_object_array_add(b, json_object_new_uint64(count));
	json_object_array_add(arr, b);
}

static struct json_object *
drv_json(const struct perf_drv_stats *d, uint64_t ios)
{
	struct json_object *j = json_object_new_object();
	double n = ios != 0 ? (double)ios : 1.0;

	add_u64(j, "send_calls", d->send_calls);
	add_u64(j, "recv_calls", d->recv_calls);
	add_u64(j, "epoll_calls", d->epoll_calls);
	add_u64(j, "polls", d->polls);
	add_u64(j, "idle_polls", d->idle_polls);
	add_u64(j, "pdus_sent", d->pdus_sent);
	add_u64(j, "pdus_received", d->pdus_received);
	add_u64(j, "completions", d->completions);
	add_u64(j, "queued", d->queued);
	add_u64(j, "reconnects", d->reconnects);
	add_dbl(j, "send_calls_per_io", (double)d->send_calls / n);
	add_dbl(j, "recv_calls_per_io", (double)d->recv_calls / n);
	add_dbl(j, "epoll_calls_per_io", (double)d->epoll_calls / n);
	return j;
}

/* Whether the connection used TLS and with which cipher suite (null without TLS). */
static struct json_object *
tls_json(const char *cipher)
{
	struct json_object *j = json_object_new_object();

	add_bool(j, "enabled", cipher != NULL && cipher[0] != '\0');
	add_str(j, "cipher", cipher != NULL && cipher[0] != '\0' ? cipher : NULL);
	return j;
}

/* Whether the controller authenticated (DH-HMAC-CHAP) and what was negotiated. */
static struct json_object *
auth_json(const struct perf_ctrlr *pc)
{
	struct json_object *j = json_object_new_object();
	const char *h = pc->authenticated ? nvtcp_auth_hash_name(pc->auth.hash_id) : NULL;
	const char *g = pc->authenticated ? nvtcp_auth_dhgroup_name(pc->auth.dhgroup_id) : NULL;

	add_bool(j, "enabled", pc->authenticated);
	add_str(j, "hash", h);
	add_str(j, "dhgroup", g);
	add_bool(j, "bidirectional", pc->authenticated && pc->auth.bidirectional);
	return j;
}

static struct json_object *
verify_json(const struct perf_verify_ctx *v)
{
	struct json_object *j = json_object_new_object();

	add_u64(j, "reads_checked", v->reads_checked);
	add_u64(j, "mismatches", v->mismatches);
	add_u64(j, "reads_unwritten", v->reads_unwritten);
	add_u64(j, "reads_after_failed_write", v->reads_unknown);
	add_u64(j, "writes_stamped", v->writes_ok);
	add_u64(j, "retries", v->retries);
	add_u64(j, "gave_up", v->gave_up);
	return j;
}

static void
cpu_entry(struct json_object *arr, uint32_t core, const char *role, const struct perf_cpu *a,
	  const struct perf_cpu *b, double secs)
{
	struct json_object *c;
	double u, k;

	if (perf_cpu_pct(a, b, secs, &u, &k) != 0) {
		return;
	}
	c = json_object_new_object();
	add_u64(c, "core", core);
	add_str(c, "role", role);
	add_dbl(c, "user_pct", u);
	add_dbl(c, "kernel_pct", k);
	json_object_array_add(arr, c);
}

/* Where each core's time went over the measured run: user space vs kernel. */
static struct json_object *
cpu_json(void)
{
	struct json_object *arr = json_object_new_array();

	for (uint32_t i = 0; i < g_perf.num_workers; i++) {
		const struct perf_worker *w = &g_perf.workers[i];

		cpu_entry(arr, w->core, "worker", &w->cpu_begin, &w->cpu_end, perf_worker_seconds(w));
		cpu_entry(arr, g_perf.tgt.core, "target", &w->tgt_cpu_begin, &w->tgt_cpu_end,
			  perf_worker_seconds(w));
	}
	return arr;
}

static struct json_object *
results(void)
{
	struct json_object *r = json_object_new_object(), *devs = json_object_new_array();
	struct json_object *workers = json_object_new_array(), *tot = json_object_new_object();
	struct perf_hist *all = calloc(1, sizeof(*all));
	uint64_t t_done = 0, t_tsc = 0, t_min = UINT64_MAX, t_max = 0, t_sub = 0, t_err = 0;
	uint64_t t_busy = 0, t_held = 0, t_reconn = 0;
	const char *t_cipher = NULL;
	bool t_mixed = false;
	struct perf_drv_stats t_drv;
	struct perf_verify_ctx t_ver;
	double t_iops = 0, t_mibs = 0, t_secs = 0;

	memset(&t_drv, 0, sizeof(t_drv));
	memset(&t_ver, 0, sizeof(t_ver));
	for (uint32_t wi = 0; wi < g_perf.num_workers; wi++) {
		struct perf_worker *w = &g_perf.workers[wi];
		double secs = perf_worker_seconds(w);
		struct json_object *wj = json_object_new_object();
		uint64_t w_done = 0;

		for (uint32_t i = 0; i < w->num_ctxs; i++) {
			struct perf_ns_ctx *c = w->ctxs[i];
			struct json_object *d = json_object_new_object(), *h = json_object_new_array();
			uint64_t done = atomic_load(&c->stats.io_completed);
			uint64_t tsc = atomic_load(&c->stats.total_tsc);
			double iops = secs > 0 ? (double)done / secs : 0;

			add_str(d, "name", c->ns->name);
			add_str(d, "controller", c->ns->ctrlr->name);
			add_u64(d, "nsid", c->ns->nsid);
			add_u64(d, "core", w->core);
			add_u64(d, "block_size", c->ns->block_size);
			add_u64(d, "num_blocks", c->ns->num_blocks);
			add_u64(d, "qpairs", c->num_qpairs);
			add_dbl(d, "seconds", secs);
			add_u64(d, "io_submitted", c->stats.io_submitted);
			add_u64(d, "io_completed", done);
			add_u64(d, "io_completed_ok", done - c->stats.io_errors);
			add_u64(d, "io_errors", c->stats.io_errors);
			add_u64(d, "read_errors", c->stats.read_errors);
			add_u64(d, "write_errors", c->stats.write_errors);
			add_u64(d, "submit_errors", c->stats.submit_errors);
			add_u64(d, "eagain", c->stats.eagain);
			add_u64(d, "tasks", c->num_tasks);
			add_u64(d, "end_tasks_in_flight", c->end_tasks_busy);
			add_u64(d, "end_driver_requests_outstanding", c->end_drv_outstanding);
			add_dbl(d, "iops", iops);
			add_dbl(d, "mib_s", iops * g_perf.opts.io_size / (1024 * 1024));
			json_object_object_add(d, "latency_us", latency(c->hist, done, tsc,
									c->stats.min_tsc,
									c->stats.max_tsc));
			perf_hist_iterate(c->hist, hist_bucket, h);
			json_object_object_add(d, "histogram_us", h);
			json_object_object_add(d, "driver", drv_json(&c->drv, done));
			json_object_object_add(d, "tls", tls_json(c->ns->ctrlr->tls_cipher));
			json_object_object_add(d, "auth", auth_json(c->ns->ctrlr));
			if (c->ns->path_stats != NULL) {
				json_object_object_add(d, "multipath", perf_mpath_json(c));
			}
			if (t_cipher == NULL) {
				t_cipher = c->ns->ctrlr->tls_cipher;
			} else if (strcmp(t_cipher, c->ns->ctrlr->tls_cipher) != 0) {
				t_mixed = true;
			}
			if (g_perf.opts.verify) {
				json_object_object_add(d, "verify", verify_json(&c->verify));
			}
			json_object_array_add(devs, d);

			t_done += done;
			t_tsc += tsc;
			t_sub += c->stats.io_submitted;
			t_err += c->stats.io_errors;
			t_min = NVTCP_MIN(t_min, c->stats.min_tsc);
			t_max = NVTCP_MAX(t_max, c->stats.max_tsc);
			t_iops += iops;
			t_mibs += iops * g_perf.opts.io_size / (1024 * 1024);
			w_done += done;
			if (all != NULL) {
				perf_hist_merge(all, c->hist);
			}
			t_ver.reads_checked += c->verify.reads_checked;
			t_ver.mismatches += c->verify.mismatches;
			t_ver.reads_unwritten += c->verify.reads_unwritten;
			t_ver.reads_unknown += c->verify.reads_unknown;
			t_ver.writes_ok += c->verify.writes_ok;
			t_ver.retries += c->verify.retries;
			t_ver.gave_up += c->verify.gave_up;
			t_busy += c->end_tasks_busy;
			t_held += c->end_drv_outstanding;
			t_reconn += c->end_reconnects;
		}
		add_u64(wj, "core", w->core);
		add_dbl(wj, "seconds", secs);
		add_u64(wj, "io_completed", w_done);
		add_str(wj, "poll", w->group != NULL || w->drv.epoll_calls != 0 ? "group" : "qpair");
		json_object_object_add(wj, "driver", drv_json(&w->drv, w_done));
		if (g_perf.opts.cpu_usage) {
			uint64_t b = atomic_load(&w->busy_tsc), id = atomic_load(&w->idle_tsc);

			add_dbl(wj, "busy_pct", b + id != 0 ? (double)b * 100 / (double)(b + id) : 0);
		}
		json_object_array_add(workers, wj);
		t_drv.send_calls += w->drv.send_calls;
		t_drv.recv_calls += w->drv.recv_calls;
		t_drv.epoll_calls += w->drv.epoll_calls;
		t_drv.polls += w->drv.polls;
		t_drv.idle_polls += w->drv.idle_polls;
		t_drv.pdus_sent += w->drv.pdus_sent;
		t_drv.pdus_received += w->drv.pdus_received;
		t_drv.completions += w->drv.completions;
		t_drv.queued += w->drv.queued;
		t_drv.reconnects += w->drv.reconnects;
		t_secs = NVTCP_MAX(t_secs, secs);
	}
	json_object_object_add(r, "devices", devs);
	/* The total says TLS only when every device used the same cipher suite (or none). */
	json_object_object_add(tot, "tls", tls_json(t_mixed ? "mixed" : t_cipher));
	add_dbl(tot, "seconds", t_secs);
	add_u64(tot, "io_submitted", t_sub);
	add_u64(tot, "io_completed", t_done);
	add_u64(tot, "io_completed_ok", t_done - t_err);
	add_u64(tot, "io_errors", t_err);
	add_bool(tot, "accounting_ok", t_sub == t_done);
	add_u64(tot, "end_tasks_in_flight", t_busy);
	add_u64(tot, "end_driver_requests_outstanding", t_held);
	add_bool(tot, "resources_back", t_busy + t_held == 0);
	/* driver.reconnects covers the measured time; this, the queue pairs' whole life. */
	add_u64(tot, "qpair_reconnects_all", t_reconn);
	add_dbl(tot, "iops", t_iops);
	add_dbl(tot, "mib_s", t_mibs);
	if (all != NULL) {
		json_object_object_add(tot, "latency_us", latency(all, t_done, t_tsc,
								  t_done != 0 ? t_min : 0, t_max));
	}
	json_object_object_add(tot, "driver", drv_json(&t_drv, t_done));
	if (g_perf.opts.verify) {
		json_object_object_add(tot, "verify", verify_json(&t_ver));
	}
	json_object_object_add(r, "total", tot);
	{
		struct json_object *s = json_object_new_object();
		double n = t_done != 0 ? (double)t_done : 1.0;

		add_u64(s, "io_completed", t_done);
		add_dbl(s, "send", (double)t_drv.send_calls / n);
		add_dbl(s, "recv", (double)t_drv.recv_calls / n);
		add_dbl(s, "epoll", (double)t_drv.epoll_calls / n);
		add_dbl(s, "total", (double)(t_drv.send_calls + t_drv.recv_calls +
					     t_drv.epoll_calls) / n);
		json_object_object_add(r, "syscalls_per_io", s);
	}
	json_object_object_add(r, "workers", workers);
	json_object_object_add(r, "cpu", cpu_json());
	free(all);
	return r;
}

int
perf_json_write(const char *path)
{
	struct json_object *root = json_object_new_object(), *tgt;
	const char *text;
	FILE *f;
	int rc = 0;

	add_str(root, "tool", PERF_NAME);
	add_u64(root, "schema_version", PERF_JSON_SCHEMA);
	add_str(root, "nvtcp_version", NVTCP_VERSION);
	json_object_object_add(root, "environment", environment());
	json_object_object_add(root, "options", options());
	tgt = json_object_new_object();
	add_bool(tgt, "embedded", g_perf.tgt.enabled);
	if (g_perf.tgt.enabled) {
		add_u64(tgt, "core", g_perf.tgt.core);
		add_str(tgt, "address", g_perf.tgt.addr);
		add_u64(tgt, "port", g_perf.tgt.port);
		add_str(tgt, "backend", g_perf.tgt.backend);
		add_u64(tgt, "ns_size", g_perf.tgt.ns_size);
		add_u64(tgt, "block_size", g_perf.tgt.block_size);
		json_object_object_add(tgt, "reactors", perf_tgt_json());
	}
	json_object_object_add(root, "target", tgt);
	json_object_object_add(root, "results", results());
	add_u64(root, "exit_status", g_perf.rc != 0 ? 1 : 0);

	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "%s: --json: cannot write '%s': %s\n", PERF_NAME, path,
			strerror(errno));
		rc = -errno;
	} else {
		if (fprintf(f, "%s\n", text) < 0 || (f != stdout ? fclose(f) : fflush(f)) != 0) {
			fprintf(stderr, "%s: --json: writing '%s' failed: %s\n", PERF_NAME, path,
				strerror(errno));
			rc = -EIO;
		}
	}
	json_object_put(root);
	return rc;
}
