/*
 * nvtcp_perf over host multipath (lib/mpath, --multipath-policy).
 *
 * The -r controllers whose namespaces share a subsystem NQN and NSID are folded into one
 * multipath namespace (the layer checks the identity when each path is added). Threading: the
 * layer wants one thread to own a multipath namespace, its paths' I/O queue pairs AND their
 * admin queues. The main thread attaches the controllers and connects the queue pairs as for
 * any run; from the moment the workers are prepared it stops polling the admin queues of
 * path controllers (perf.c, admin_poll()), and the one worker that drives the multipath
 * namespace creates it, adds the paths (reading the ANA logs) and polls everything through
 * nvtcp_mpath_ns_process_completions(). So a controller's namespaces must all be driven by
 * one worker, and each multipath namespace by exactly one worker (checked at set-up).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "nvtcp/util.h"

#include "perf.h"

int
perf_mpath_fold(void)
{
	const struct perf_opts *o = &g_perf.opts;
	const char **nqn = NULL;
	uint32_t *nsid = NULL, *group = NULL, groups, kept = 0;
	int rc = -ENOMEM;

	if (o->mpath_policy < 0) {
		return 0;
	}
	nqn = calloc(g_perf.num_nss, sizeof(*nqn));
	nsid = calloc(g_perf.num_nss, sizeof(*nsid));
	group = calloc(g_perf.num_nss, sizeof(*group));
	if (nqn == NULL || nsid == NULL || group == NULL) {
		fprintf(stderr, "%s: out of memory\n", PERF_NAME);
		goto out;
	}
	for (uint32_t i = 0; i < g_perf.num_nss; i++) {
		/* The subsystem NQN of the -r (or of the discovery log entry). */
		nqn[i] = g_perf.nss[i].ctrlr->trid.subnqn;
		nsid[i] = g_perf.nss[i].nsid;
	}
	groups = perf_mpath_group(nqn, nsid, g_perf.num_nss, group);
	for (uint32_t g = 0; g < groups; g++) {
		struct perf_ns *first = NULL;

		for (uint32_t i = 0; i < g_perf.num_nss; i++) {
			if (group[i] != g) {
				continue;
			}
			if (first == NULL) {
				/* Namespaces only move down: slot kept <= i is free or i itself. */
				g_perf.nss[kept] = g_perf.nss[i];
				first = &g_perf.nss[kept++];
				first->paths = calloc(g_perf.num_nss, sizeof(*first->paths));
				if (first->paths == NULL) {
					fprintf(stderr, "%s: out of memory\n", PERF_NAME);
					goto out;
				}
			}
			first->paths[first->num_paths++] = g_perf.nss[i].ctrlr;
			g_perf.nss[i].ctrlr->mpath = true;
		}
		snprintf(first->name, sizeof(first->name), "%s NSID %u (multipath, %u path%s)",
			 first->paths[0]->trid.subnqn, first->nsid, first->num_paths, first->num_paths == 1 ? "" : "s");
		printf("Multipath namespace %s, policy %s:", first->name,
		       nvtcp_mpath_policy_str((enum nvtcp_mpath_policy)o->mpath_policy));
		for (uint32_t p = 0; p < first->num_paths; p++) {
			printf(" %s:%s", first->paths[p]->trid.traddr, first->paths[p]->trid.trsvcid);
		}
		printf("\n");
	}
	/* Path entries folded into a group keep no pointers: clear the freed slots. */
	for (uint32_t i = kept; i < g_perf.num_nss; i++) {
		memset(&g_perf.nss[i], 0, sizeof(g_perf.nss[i]));
	}
	g_perf.num_nss = kept;
	rc = 0;
out:
	if (rc != 0) {
		g_perf.rc = 1;
	}
	free(nqn);
	free(nsid);
	free(group);
	return rc;
}

int
perf_mpath_check_workers(void)
{
	if (g_perf.opts.mpath_policy < 0) {
		return 0;
	}
	for (uint32_t i = 0; i < g_perf.num_nss; i++) {
		if (g_perf.nss[i].num_ctxs != 1) {
			fprintf(stderr, "%s: --multipath-policy: %s would be driven by %u worker cores; "
				"a multipath namespace needs exactly one (use fewer cores in -c)\n",
				PERF_NAME, g_perf.nss[i].name, g_perf.nss[i].num_ctxs);
			g_perf.rc = 1;
			return -EINVAL;
		}
	}
	/* A controller's admin queue has one owner: every namespace using it on one worker. */
	for (uint32_t a = 0; a < g_perf.num_ctxs; a++) {
		for (uint32_t b = a + 1; b < g_perf.num_ctxs; b++) {
			const struct perf_ns_ctx *x = &g_perf.ctxs[a], *y = &g_perf.ctxs[b];

			if (x->worker == y->worker) {
				continue;
			}
			for (uint32_t p = 0; p < (x->ns->num_paths != 0 ? x->ns->num_paths : 1u); p++) {
				const struct perf_ctrlr *pc = x->ns->num_paths ? x->ns->paths[p]
									     : x->ns->ctrlr;

				for (uint32_t r = 0; r < (y->ns->num_paths != 0 ? y->ns->num_paths : 1u); r++) {
					const struct perf_ctrlr *pr = y->ns->num_paths ?
								      y->ns->paths[r] : y->ns->ctrlr;

					if (pc == pr && pc->mpath) {
						fprintf(stderr, "%s: --multipath-policy: controller %s "
							"would be used by cores %u and %u; its "
							"namespaces must share one worker (use one "
							"core in -c)\n", PERF_NAME, pc->name,
							x->worker->core, y->worker->core);
						g_perf.rc = 1;
						return -EINVAL;
					}
				}
			}
		}
	}
	return 0;
}

int
perf_mpath_ctx_prepare(struct perf_worker *w, struct perf_ns_ctx *c)
{
	struct perf_ns *ns = c->ns;
	struct nvtcp_mpath_ns_opts mo;
	char why[256];
	int rc;

	if (ns->num_paths == 0) {
		return 0;
	}
	nvtcp_mpath_ns_opts_init(&mo);
	mo.policy = (enum nvtcp_mpath_policy)g_perf.opts.mpath_policy;
	/* Every task may be outstanding, and a failed-over one holds its context. */
	mo.max_ios = c->num_tasks + 1;
	ns->path_stats = calloc(ns->num_paths, sizeof(*ns->path_stats));
	if (ns->path_stats == NULL) {
		return -ENOMEM;
	}
	rc = nvtcp_mpath_ns_create(&mo, &ns->mns);
	if (rc != 0) {
		snprintf(w->err, sizeof(w->err), "core %u: cannot create the multipath namespace "
			 "%s: %s", w->core, ns->name, strerror(-rc));
		return rc;
	}
	for (uint32_t p = 0; p < ns->num_paths; p++) {
		why[0] = '\0';
		rc = nvtcp_mpath_ns_add_path(ns->mns, ns->paths[p]->ctrlr, ns->nsid, c->qpairs[p],
					     why, sizeof(why));
		if (rc < 0) {
			snprintf(w->err, sizeof(w->err), "core %u: %.300s: path %.200s refused: %.400s", w->core,
				 ns->name, ns->paths[p]->name, why[0] ? why : strerror(-rc));
			return rc;
		}
	}
	w->num_mpath++;
	return 0;
}

void
perf_mpath_snap_begin(struct perf_ns_ctx *c)
{
	struct perf_ns *ns = c->ns;

	if (ns->mns == NULL) {
		return;
	}
	for (uint32_t p = 0; p < ns->num_paths; p++) {
		nvtcp_mpath_ns_get_path_stats(ns->mns, p, &ns->path_stats[p].begin);
	}
	nvtcp_mpath_ns_get_stats(ns->mns, &ns->mstats_begin);
}

void
perf_mpath_snap_end(struct perf_ns_ctx *c)
{
	struct perf_ns *ns = c->ns;

	if (ns->mns == NULL) {
		return;
	}
	for (uint32_t p = 0; p < ns->num_paths; p++) {
		struct nvtcp_qpair_stats qs;

		nvtcp_mpath_ns_get_path_stats(ns->mns, p, &ns->path_stats[p].end);
		nvtcp_qpair_get_stats(c->qpairs[p], &qs);
		ns->path_stats[p].qpair_reconnects = qs.reconnects;
	}
	nvtcp_mpath_ns_get_stats(ns->mns, &ns->mstats_end);
}

void
perf_mpath_ctx_cleanup(struct perf_ns_ctx *c)
{
	struct perf_ns *ns = c->ns;
	int rc;

	if (ns->mns == NULL) {
		return;
	}
	rc = nvtcp_mpath_ns_destroy(ns->mns);
	if (rc != 0) {
		/* Only after a drain timeout: I/Os still in the layer; the queue pairs are freed
		 * with the process, so the namespace is left rather than freed under them. */
		fprintf(stderr, "%s: %s: multipath namespace not destroyed: %s\n", PERF_NAME,
			ns->name, strerror(-rc));
		return;
	}
	ns->mns = NULL;
}

/* Measured-run values of one path. */
struct path_figures {
	uint64_t ios;
	uint64_t bytes;
	uint64_t errors;
	uint64_t failovers;
	double iops;
	double mibs;
	double share;
};

static void
figures(const struct perf_ns_ctx *c, uint32_t p, struct path_figures *f)
{
	const struct perf_mpath_path *ps = &c->ns->path_stats[p];
	double secs = perf_worker_seconds(c->worker);
	uint64_t all = 0;

	for (uint32_t q = 0; q < c->ns->num_paths; q++) {
		all += c->ns->path_stats[q].end.ios - c->ns->path_stats[q].begin.ios;
	}
	f->ios = ps->end.ios - ps->begin.ios;
	f->bytes = ps->end.bytes - ps->begin.bytes;
	f->errors = ps->end.errors - ps->begin.errors;
	f->failovers = ps->end.failovers - ps->begin.failovers;
	f->iops = secs > 0 ? (double)f->ios / secs : 0;
	f->mibs = secs > 0 ? (double)f->bytes / secs / (1024 * 1024) : 0;
	f->share = all != 0 ? 100.0 * (double)f->ios / (double)all : 0;
}

static const char *
path_conn(const struct nvtcp_mpath_path_stats *s)
{
	return s->failed ? "failed" : s->connected ? "connected" : "reconnecting";
}

void
perf_mpath_report(FILE *f)
{
	for (uint32_t i = 0; i < g_perf.num_ctxs; i++) {
		const struct perf_ns_ctx *c = &g_perf.ctxs[i];
		const struct perf_ns *ns = c->ns;
		const struct nvtcp_mpath_ns_stats *b = &ns->mstats_begin, *e = &ns->mstats_end;

		if (ns->path_stats == NULL) {
			continue;
		}
		fprintf(f, "\nMultipath %s, policy %s: retries %" PRIu64 ", held %" PRIu64
			", hold timeouts %" PRIu64 ", ANA log reads %" PRIu64 "\n", ns->name,
			nvtcp_mpath_policy_str((enum nvtcp_mpath_policy)g_perf.opts.mpath_policy),
			e->retries - b->retries, e->held - b->held,
			e->hold_timeouts - b->hold_timeouts, e->ana_log_reads - b->ana_log_reads);
		for (uint32_t p = 0; p < ns->num_paths; p++) {
			const struct perf_ctrlr *pc = ns->paths[p];
			const struct perf_mpath_path *ps = &ns->path_stats[p];
			struct path_figures fg;

			figures(c, p, &fg);
			fprintf(f, "  path %u %s:%s ANA %s %s: IOPS %10.2f MiB/s %8.2f share %5.1f%% "
				"failovers %" PRIu64 " errors %" PRIu64 " reconnects %" PRIu64 "\n",
				p, pc->trid.traddr, pc->trid.trsvcid,
				nvtcp_mpath_ana_state_str(ps->end.ana_state), path_conn(&ps->end),
				fg.iops, fg.mibs, fg.share, fg.failovers, fg.errors,
				ps->qpair_reconnects);
		}
	}
}

static void
put_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static void
put_dbl(struct json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

struct json_object *
perf_mpath_json(const struct perf_ns_ctx *c)
{
	const struct perf_ns *ns = c->ns;
	const struct nvtcp_mpath_ns_stats *b = &ns->mstats_begin, *e = &ns->mstats_end;
	struct json_object *m, *arr;

	if (ns->path_stats == NULL) {
		return NULL;
	}
	m = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(m, "policy", json_object_new_string(
		nvtcp_mpath_policy_str((enum nvtcp_mpath_policy)g_perf.opts.mpath_policy)));
	put_u64(m, "retries", e->retries - b->retries);
	put_u64(m, "held", e->held - b->held);
	put_u64(m, "hold_timeouts", e->hold_timeouts - b->hold_timeouts);
	put_u64(m, "ana_log_reads", e->ana_log_reads - b->ana_log_reads);
	for (uint32_t p = 0; p < ns->num_paths; p++) {
		const struct perf_ctrlr *pc = ns->paths[p];
		const struct perf_mpath_path *ps = &ns->path_stats[p];
		struct json_object *j = json_object_new_object();
		struct path_figures fg;
		char trid[NVTCP_TRADDR_MAX_LEN + NVTCP_TRSVCID_MAX_LEN + 8];

		figures(c, p, &fg);
		snprintf(trid, sizeof(trid), "%s:%s", pc->trid.traddr, pc->trid.trsvcid);
		json_object_object_add(j, "trid", json_object_new_string(trid));
		json_object_object_add(j, "controller", json_object_new_string(pc->name));
		json_object_object_add(j, "ana_state",
				       json_object_new_string(nvtcp_mpath_ana_state_str(
					       ps->end.ana_state)));
		json_object_object_add(j, "state", json_object_new_string(path_conn(&ps->end)));
		put_u64(j, "ios", fg.ios);
		put_u64(j, "bytes", fg.bytes);
		put_dbl(j, "iops", fg.iops);
		put_dbl(j, "mib_s", fg.mibs);
		put_dbl(j, "share_pct", fg.share);
		put_u64(j, "failovers", fg.failovers);
		put_u64(j, "errors", fg.errors);
		put_u64(j, "reconnects", ps->qpair_reconnects);
		json_object_array_add(arr, j);
	}
	json_object_object_add(m, "paths", arr);
	return m;
}
