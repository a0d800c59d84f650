/*
 * nvtcp_perf internals shared by the files of app/perf.
 *
 * Files:
 *   perf_opts.c    command line (spdk_nvme_perf compatible, plus ours), validation, usage
 *   perf_hist.c    log-linear latency histogram, percentiles
 *   perf_verify.c  data verification stamps, LBA-range partition and locks
 *   perf_worker.c  the I/O engine run by each worker reactor (the hot path)
 *   perf_report.c  results: spdk_nvme_perf tables, percentiles, histogram, progress line
 *   perf_json.c    the --json document and the environment description
 *   perf_tgt.c     the embedded target (no -r)
 *   perf_mpath.c   multipath (--multipath-policy): grouping, per-worker set-up, report
 *   perf_mpath_group.c  its pure logic (policy names, grouping)
 *   perf.c         main: start-up, attach, queue pairs, run, tear-down
 */
#ifndef NVTCP_PERF_H
#define NVTCP_PERF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include "nvtcp/env.h"
#include "nvtcp/fabrics.h"
#include "nvtcp/log.h"
#include "nvtcp/multipath.h"
#include "nvtcp/nvme.h"
#include "nvtcp/sock.h"

#include "perf_hist.h"
#include "perf_rate.h"
#include "perf_verify.h"

/** A recovery option not given: the driver's default applies. */
#define PERF_OPT_DRIVER_DEFAULT INT64_MIN
#define PERF_NAME "nvtcp_perf"

/** Most -r options. */
#define PERF_MAX_TRIDS 64
/** Most queue pairs per namespace and worker (-P). */
#define PERF_MAX_QPAIRS_PER_NS 256
/** Most unused queue pairs per controller (-U). */
#define PERF_MAX_UNUSED_QPAIRS 256
/** Largest queue depth (-q) per namespace and worker. */
#define PERF_MAX_QUEUE_DEPTH 65536
/** Largest I/O size (-o). */
#define PERF_MAX_IO_SIZE (64u << 20)
/** Longest run (-t) and warm-up (-a), seconds: one day, to catch typos. */
#define PERF_MAX_TIME_S 86400
/** Default keep-alive timeout, as spdk_nvme_perf. */
#define PERF_DEFAULT_KATO_MS 10000
/** Default RAM namespace of the embedded target. */
#define PERF_DEFAULT_TGT_NS_SIZE (256ull << 20)
/** Subsystem NQN of the embedded target. */
#define PERF_TGT_NQN "nqn.2014-08.io.nvtcp:perf"

/* ---- Options ------------------------------------------------------------------------------ */

/** A transport ID from -r, with the keys only perf understands taken out. */
struct perf_trid_entry {
	struct nvtcp_trid trid;
	/** Namespace to use ("ns:" key); 0 = every active namespace. */
	uint32_t nsid;
	/** The -r text as given (points into argv). */
	const char *text;
};

enum perf_poll_mode {
	/** One queue pair on a worker: poll it directly; more: through a poll group. */
	PERF_POLL_AUTO = 0,
	PERF_POLL_GROUP,
	PERF_POLL_QPAIR,
};

/** Embedded target backends (a subset of the target's). */
enum perf_tgt_backend {
	PERF_TGT_MALLOC = 0,
	PERF_TGT_NULL,
};

struct perf_opts {
	/* spdk_nvme_perf options */
	uint32_t queue_depth;           /**< -q, per namespace and worker */
	uint32_t io_size;               /**< -o, bytes */
	const char *workload;           /**< -w as given */
	bool random;                    /**< rand* workload */
	int rwmixread;                  /**< -M, or derived from -w (0..100) */
	bool mix_specified;             /**< -M given */
	uint32_t time_s;                /**< -t */
	uint32_t warmup_s;              /**< -a */
	const char *core_mask;          /**< -c as hexadecimal mask (NULL = core list or default) */
	const char *core_list;          /**< -c given as "[0-1,3]" */
	struct perf_trid_entry trids[PERF_MAX_TRIDS];
	uint32_t num_trids;             /**< -r count */
	uint32_t qpairs_per_ns;         /**< -P */
	uint32_t unused_qpairs;         /**< -U */
	int latency_level;              /**< -L count: 1 summary, 2 histogram */
	bool hdgst;                     /**< -H */
	bool ddgst;                     /**< -I */
	bool tls;                       /**< --tls, -S ssl, or a PSK */
	const char *psk_path;           /**< --psk / --psk-path */
	const char *dhchap_secret;      /**< --dhchap-secret / --dhchap-key (text or file) */
	const char *dhchap_ctrl_secret; /**< --dhchap-ctrl-secret / --dhchap-ctrlr-key */
	uint32_t reauth_interval_s;     /**< --reauth-interval, 0 = never */
	const char *reauth_secret;      /**< --reauth-dhchap-secret */
	uint32_t keepalive_ms;          /**< -k */
	size_t mem_size_mb;             /**< -s */
	enum nvtcp_env_huge huge;       /**< --no-huge / --huge */
	uint64_t number_ios;            /**< -d N */
	uint32_t number_ios_pct;        /**< -d N% */
	bool continue_on_error;         /**< -Q */
	uint32_t quiet_count;           /**< -Q value */
	uint32_t max_completions;       /**< -C */
	uint32_t io_queue_size;         /**< --io-queue-size, 0 = chosen */
	/* Recovery settings of the controllers: PERF_OPT_DRIVER_DEFAULT = the driver's. */
	int64_t io_timeout_ms;          /**< --io-timeout */
	int64_t admin_timeout_ms;       /**< --admin-timeout */
	int64_t reconnect_delay_ms;     /**< --reconnect-delay */
	int64_t ctrl_loss_tmo_s;        /**< --ctrl-loss-tmo (-1 = forever) */
	int64_t fast_io_fail_tmo_s;     /**< --fast-io-fail-tmo (-1 = off) */
	int64_t tcp_user_timeout_ms;    /**< --tcp-user-timeout */
	uint32_t io_unit_size;          /**< -O, 0 = io_size */
	uint32_t buf_align;             /**< -A */
	bool use_every_core;            /**< --use-every-core */
	bool transport_stats;           /**< --transport-stats */
	bool cpu_usage;                 /**< -m */
	enum nvtcp_log_level log_level; /**< --log-level, -G */
	bool log_level_set;
	/* nvtcp_perf's own */
	const char *json_path;          /**< --json */
	int progress;                   /**< --progress 1, --no-progress 0, auto -1 */
	bool verify;                    /**< -V/--verify */
	bool prefill;                   /**< --prefill: stamp every verified block first */
	uint32_t verify_seed;           /**< --seed, else random */
	bool seed_set;
	uint64_t rate_iops;             /**< --rate, 0 = unlimited */
	enum perf_poll_mode poll_mode;  /**< --poll */
	int sock_impl;                  /**< --sock-impl (enum nvtcp_sock_impl), 0 = default */
	uint64_t tgt_ns_size;           /**< --tgt-ns-size, 0 = default */
	uint32_t tgt_block_size;        /**< --tgt-block-size */
	enum perf_tgt_backend tgt_backend; /**< --tgt-backend */
	uint32_t tgt_max_queue_depth;   /**< derived */
	const char *tgt_listen;         /**< --tgt-listen ADDR:PORT for the embedded target */
	int mpath_policy;               /**< --multipath-policy, -1 = no multipath */
	bool help;                      /**< -h: basic usage */
	bool help_full;                 /**< -v / --help-full */
};

/** Returned by perf_opts_parse() when help was asked for. */
#define PERF_OPTS_HELP 1

/**
 * Parse and validate the command line. Nothing is printed; on error \p err names the option
 * and the bad value.
 *
 * \return 0, PERF_OPTS_HELP, or -EINVAL.
 */
int perf_opts_parse(struct perf_opts *o, int argc, char **argv, char *err, size_t errlen);

/**
 * Parse one -r value: SPDK's "ns:" key is taken out here, the rest goes to nvtcp_trid_parse().
 *
 * \return 0 or -EINVAL (err names the key).
 */
int perf_trid_entry_parse(struct perf_trid_entry *e, const char *str, char *err, size_t errlen);

/** Usage texts (-h, and -v / --help-full). */
void perf_usage_basic(FILE *f);
void perf_usage_full(FILE *f);

/**
 * Convert a core list ("0-1,3", cores below 1024) to a hexadecimal mask ("0xb"), since the
 * application framework takes masks.
 *
 * \return 0, -EINVAL (bad list) or -ENOSPC (\p len too small).
 */
int perf_core_list_to_mask(const char *list, char *buf, size_t len);

/** The workload name without "rand" ("read", "write" or "rw"). */
const char *perf_workload_base(const struct perf_opts *o);

/* ---- Run state ---------------------------------------------------------------------------- */

struct perf_ns_ctx;
struct perf_worker;

struct perf_ctrlr {
	struct nvtcp_ctrlr *ctrlr;
	struct nvtcp_trid trid;
	uint32_t nsid;                  /**< namespace filter from "ns:", 0 = all */
	char name[NVTCP_TRADDR_MAX_LEN + NVTCP_NQN_MAX_LEN + 32];
	char tls_cipher[48];            /**< TLS cipher suite; "" = plaintext */
	bool authenticated;             /**< DH-HMAC-CHAP on the admin queue */
	struct nvtcp_auth_result auth;  /**< ... and what it negotiated */
	struct nvtcp_qpair **unused_qpairs;
	uint32_t num_unused;
	bool ready;
	bool failed;
	bool detaching;
	bool mpath;                     /**< a path of a multipath namespace: its worker polls
					 *  its admin queue once the run is set up */
};

struct perf_ns {
	struct perf_ctrlr *ctrlr;
	struct nvtcp_ns *ns;
	uint32_t nsid;
	uint32_t block_size;
	uint64_t num_blocks;
	uint32_t io_blocks;             /**< blocks per I/O */
	uint64_t size_in_ios;           /**< whole I/Os that fit */
	uint32_t num_ctxs;              /**< ns_ctx using it */
	uint32_t qpair_size;            /**< queue size asked for its queue pairs */
	uint32_t qpair_requests;        /**< requests per queue pair */
	char name[sizeof(((struct perf_ctrlr *)0)->name) + 16];
	/* Multipath (--multipath-policy): the paths' controllers (path 0 = ctrlr) and, on the
	 * worker that owns them, the layer's namespace; NULL / 0 without multipath. */
	struct perf_ctrlr **paths;
	uint32_t num_paths;
	struct nvtcp_mpath_ns *mns;
	struct perf_mpath_path *path_stats; /**< per path, measured run */
	struct nvtcp_mpath_ns_stats mstats_begin; /**< the layer's counters, measured run */
	struct nvtcp_mpath_ns_stats mstats_end;
};

/** A path's counters over the measured run (perf_mpath.c). */
struct perf_mpath_path {
	struct nvtcp_mpath_path_stats begin;  /**< at the start of the measured run */
	struct nvtcp_mpath_path_stats end;    /**< when the worker finished */
	uint64_t qpair_reconnects;
};

/** One I/O context: a buffer and what is in flight with it. */
struct perf_task {
	struct perf_ns_ctx *ctx;
	void *buf;
	struct iovec *iov;
	int iovcnt;
	bool is_read;
	bool in_retry;                  /**< verify: the same I/O again after an error */
	uint32_t seq;                   /**< write stamp (verify) */
	uint32_t retries;
	uint64_t offset;                /**< in I/Os from the start of the namespace */
	uint64_t submit_tsc;
	struct perf_task *next;         /**< pending list */
};

/** CPU time of a thread, in clock ticks (sysconf(_SC_CLK_TCK)), from /proc. */
struct perf_cpu {
	uint64_t user;
	uint64_t sys;
	bool valid;
};

/**
 * Read a thread's user and kernel CPU time (/proc/self/task/TID/stat).
 *
 * \return 0 or a negative errno (cpu->valid false).
 */
int perf_thread_cpu(int tid, struct perf_cpu *cpu);

/** Counters of one namespace on one worker. */
struct perf_ns_stats {
	/* Read by the progress line on the main core with relaxed atomics. */
	_Atomic uint64_t io_completed;  /**< completions, ok or error */
	_Atomic uint64_t total_tsc;
	uint64_t io_submitted;
	uint64_t io_errors;             /**< completions with an error status */
	uint64_t read_errors;
	uint64_t write_errors;
	uint64_t submit_errors;         /**< submissions refused by the driver (not -EAGAIN) */
	uint64_t eagain;                /**< submissions refused with -EAGAIN, retried */
	uint64_t min_tsc;
	uint64_t max_tsc;
};

/** Driver counters summed over a worker's queue pairs (and its poll group). */
struct perf_drv_stats {
	uint64_t send_calls;
	uint64_t recv_calls;
	uint64_t epoll_calls;
	uint64_t polls;
	uint64_t idle_polls;
	uint64_t pdus_sent;
	uint64_t pdus_received;
	uint64_t completions;
	uint64_t queued;
	uint64_t reconnects;
};

struct perf_ns_ctx {
	struct perf_ns *ns;
	struct perf_worker *worker;
	struct nvtcp_qpair **qpairs;
	uint32_t num_qpairs;
	uint32_t last_qpair;
	uint32_t index;                 /**< among the ns_ctx of its namespace (verify partition) */
	struct perf_task *tasks;
	uint32_t num_tasks;
	void *buf_base;
	struct iovec *iov_base;
	uint32_t outstanding;
	uint64_t number_ios;            /**< stop after this many submissions (0 = no limit) */
	uint64_t seq_next;              /**< next sequential I/O */
	uint64_t seq_first;             /**< region of sequential I/O (verify partition) */
	uint64_t seq_count;
	uint64_t rng;
	bool draining;
	int status;                     /**< non-zero: the run failed for this context */
	struct perf_task *pending;      /**< waiting for a rate token or a retry */
	struct perf_task *pending_tail;
	struct perf_hist *hist;
	struct perf_ns_stats stats;
	struct perf_verify_ctx verify;
	struct perf_drv_stats drv;      /**< its queue pairs' counters over the measured run */
	struct nvtcp_qpair_stats *qp_snap; /**< per queue pair snapshot at measure start */
	uint32_t quiet;                 /**< -Q error log counter */
	bool prefilling;                /**< --prefill in progress */
	uint64_t prefill_next;          /**< next slot (offset in the region) to prefill */
	/* Read when the worker finished, before its queue pairs go: what had not come back. */
	uint32_t end_tasks_busy;        /**< tasks still in flight or waiting */
	uint64_t end_drv_outstanding;   /**< driver requests still held by its queue pairs */
	uint64_t end_reconnects;        /**< its queue pairs' reconnects since they were made */
};

enum perf_worker_state {
	PERF_W_IDLE = 0,
	PERF_W_PREFILL,                 /**< --prefill: stamping every slot before the run */
	PERF_W_PARKED,                  /**< prefilled, waiting for the start */
	PERF_W_WAIT,                    /**< waiting for the common start tick */
	PERF_W_RUN,
	PERF_W_DRAIN,
	PERF_W_DONE,
};

struct perf_worker {
	uint32_t core;
	struct nvtcp_reactor *reactor;
	struct perf_ns_ctx **ctxs;
	uint32_t num_ctxs;
	uint32_t num_qpairs;            /**< over every ns_ctx */
	uint32_t num_mpath;             /**< ns_ctx of multipath namespaces (polled by the layer) */
	struct nvtcp_poll_group *group; /**< NULL when polling queue pairs directly */
	struct nvtcp_poller *poller;
	enum perf_worker_state state;
	bool warmup;
	uint64_t start_tsc;             /**< common start (ticks) */
	uint64_t measure_tsc;           /**< start of the measured run (after warm-up) */
	uint64_t end_tsc;               /**< end of the current phase */
	uint64_t stop_tsc;              /**< when submission stopped */
	uint64_t drain_deadline;
	uint64_t elapsed_tsc;           /**< measured run length */
	/* --rate: this core's share of the rate */
	bool rate_on;
	uint64_t rate_iops;
	struct perf_rate rate;
	/* -m: busy and idle time of the loop */
	_Atomic uint64_t busy_tsc;
	_Atomic uint64_t idle_tsc;
	uint64_t last_tsc;
	struct nvtcp_poll_group_stats pg_snap;
	struct perf_drv_stats drv;      /**< summed over its ns_ctx (+ group) over the run */
	int tid;                        /**< its thread, for /proc */
	struct perf_cpu cpu_begin;      /**< its CPU time at the start of the measured run */
	struct perf_cpu cpu_end;
	struct perf_cpu tgt_cpu_begin;  /**< the embedded target's, same instants (worker 0) */
	struct perf_cpu tgt_cpu_end;
	int status;
	char err[1024];
};

/** The embedded target's state (perf_tgt.c). */
struct perf_tgt_info {
	bool enabled;
	uint32_t core;
	int tid;                        /**< its reactor's thread */
	uint16_t port;
	char addr[64];
	uint64_t ns_size;
	uint32_t block_size;
	const char *backend;
};

/** Everything about the run; one per process. */
struct perf_app {
	struct perf_opts opts;
	uint64_t hz;
	uint32_t main_core;
	struct perf_ctrlr *ctrlrs;
	uint32_t num_ctrlrs;
	struct perf_ns *nss;
	uint32_t num_nss;
	struct perf_worker *workers;
	uint32_t num_workers;
	struct perf_ns_ctx *ctxs;
	uint32_t num_ctxs;
	struct perf_tgt_info tgt;
	atomic_bool exit;               /**< SIGINT/SIGTERM or a fatal error: stop the run */
	bool progress;
	bool progress_tty;
	uint64_t wall_start;            /**< time(NULL) at start */
	char core_mask_str[80];
	int rc;                         /**< exit status being built */
};

extern struct perf_app g_perf;

/* ---- perf_worker.c ------------------------------------------------------------------------ */

/** On the worker's reactor: allocate tasks and buffers, create the poll group. */
int perf_worker_prepare(struct perf_worker *w);
/** On the worker's reactor: start the I/O poller (the run starts at w->start_tsc). */
int perf_worker_start(struct perf_worker *w);
/** On the worker's reactor: write every slot of its verified regions once (--prefill);
 *  perf_worker_prefilled() is called when done. */
int perf_worker_prefill(struct perf_worker *w);
/** Called on the worker's reactor when its prefill has finished (implemented in perf.c). */
void perf_worker_prefilled(struct perf_worker *w);
/** On the worker's reactor: free what perf_worker_prepare() allocated. */
void perf_worker_cleanup(struct perf_worker *w);
/** Called on the worker's reactor when it has finished (implemented in perf.c). */
void perf_worker_finished(struct perf_worker *w);

/* ---- perf_report.c ------------------------------------------------------------------------ */

void perf_report_print(FILE *f);
void perf_report_transport_stats(FILE *f);
void perf_report_verify(FILE *f);
/** CPU split of the worker (and embedded target) threads, with -m. */
void perf_report_cpu(FILE *f);
/** Percent of \p secs spent in user and kernel mode between two snapshots. \return 0 or -1. */
int perf_cpu_pct(const struct perf_cpu *a, const struct perf_cpu *b, double secs, double *user,
		 double *sys);
/** One progress line (main core, once a second). */
void perf_report_progress(void);
void perf_report_progress_end(void);
/** Measured seconds of a worker. */
double perf_worker_seconds(const struct perf_worker *w);

/* ---- perf_json.c -------------------------------------------------------------------------- */

/** Write the --json document. \return 0 or a negative errno (message printed). */
int perf_json_write(const char *path);

/* ---- perf_mpath_group.c, perf_mpath.c (multipath) ---------------------------------------- */

/** Parse a --multipath-policy name ('_' may stand for '-'). \return 0 or -EINVAL. */
int perf_mpath_policy_parse(const char *s, int *policy);
/**
 * Group \p n paths: equal (subsystem NQN, NSID) pairs get the same group number, numbered in
 * order of first appearance. \return the number of groups.
 */
uint32_t perf_mpath_group(const char *const *subnqn, const uint32_t *nsid, uint32_t n,
			  uint32_t *group);
/** Main thread, after register_namespaces(): fold the namespaces of one subsystem into
 *  multipath namespaces. \return 0 or a negative errno (message printed). */
int perf_mpath_fold(void);
/** Main thread, after associate_workers(): check the one-worker-per-controller rule. */
int perf_mpath_check_workers(void);
/** Worker thread, in perf_worker_prepare(): create the multipath namespace of \p c. */
int perf_mpath_ctx_prepare(struct perf_worker *w, struct perf_ns_ctx *c);
/** Worker thread: counters at the start / end of the measured run. */
void perf_mpath_snap_begin(struct perf_ns_ctx *c);
void perf_mpath_snap_end(struct perf_ns_ctx *c);
/** Worker thread, in cleanup: destroy the multipath namespace. */
void perf_mpath_ctx_cleanup(struct perf_ns_ctx *c);
/** Per-path lines of the text report. */
void perf_mpath_report(FILE *f);
/** Per-path objects for --json (NULL without multipath). */
struct json_object *perf_mpath_json(const struct perf_ns_ctx *c);

/* ---- perf_tgt.c --------------------------------------------------------------------------- */

/** Start the embedded target on core \p core; \p done runs on the main reactor. */
int perf_tgt_start(uint32_t core, void (*done)(int rc));
/** Destroy it; \p done runs on the main reactor. */
void perf_tgt_stop(void (*done)(void));
/** Whether it is running. */
bool perf_tgt_running(void);
/** Fill the target's per-reactor statistics into a JSON object (json-c); may be NULL. */
struct json_object *perf_tgt_json(void);

#endif /* NVTCP_PERF_H */
