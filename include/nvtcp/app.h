/**
 * @file
 * Application framework: common command-line options, environment and reactor start-up, signal
 * handling and a clean stop. Used by nvtcp_tgt and available to any application built on the
 * reactors.
 */
#ifndef NVTCP_APP_H
#define NVTCP_APP_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of nvtcp_app_start(). Initialise with nvtcp_app_opts_init(). */
struct nvtcp_app_opts {
	/** Application name, for logs and usage. */
	const char *name;
	/** Hexadecimal core mask ("-m 0x3"); NULL = core 0 only. */
	const char *core_mask;
	/** Memory to reserve in MiB ("-s 512", or with a unit: "-s 2G"); 0 = on demand. */
	size_t mem_size_mb;
	/** Hugepage policy ("--no-huge" = OFF, "--huge" = REQUIRE; default AUTO). */
	enum nvtcp_env_huge huge;
	/** DPDK file prefix ("--file-prefix"); NULL = in-memory (default). */
	const char *file_prefix;
	/**
	 * Log level ("-L/--log-level"), applied by nvtcp_app_start(). Default: the current level
	 * (NVTCP_LOG_NOTICE unless the NVTCP_LOG_LEVEL environment variable says otherwise).
	 */
	enum nvtcp_log_level log_level;
	/**
	 * Called on the main reactor when SIGINT or SIGTERM arrives; it must eventually call
	 * nvtcp_app_stop(). NULL = stop at once with status 0. A second SIGINT or SIGTERM after
	 * the callback ran stops at once with status -EINTR.
	 */
	void (*shutdown_cb)(void *ctx);
	/** Called on the main reactor on SIGUSR1 (e.g. to print statistics). NULL = ignore. */
	void (*usr1_cb)(void *ctx);
	/** Context for the callbacks. */
	void *ctx;
};

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options.
 * \param name Application name.
 */
void nvtcp_app_opts_init(struct nvtcp_app_opts *opts, const char *name);

/**
 * Parser of an application's own options: returns 0, or a negative errno for a bad value. On an
 * error nvtcp_app_parse_args() prints the one-line message naming the option and its value, so
 * the parser need not print anything.
 *
 * \param ch The option: its short option character, or the val of its long option.
 * \param arg Its value, or NULL for an option without one.
 * \param ctx The ctx given to nvtcp_app_parse_args().
 */
typedef int (*nvtcp_app_parse_fn)(int ch, const char *arg, void *ctx);

/**
 * Parse the common options (-m/--cpumask, -s/--mem-size, --no-huge, --huge, --file-prefix,
 * -L/--log-level, -h/--help) and hand every other option to \p parse. An unknown option, a
 * missing or bad value, or a non-option argument prints one line naming it on stderr; --help
 * prints the usage on stdout. Application options must not reuse the common ones (that is
 * reported as an error). Can be called more than once per process.
 *
 * \param argc Argument count.
 * \param argv Arguments.
 * \param opts Filled in.
 * \param app_getopt Application short options (getopt syntax), may be NULL.
 * \param app_long Application long options (terminated by a zero entry), may be NULL.
 * \param parse Parser of the application's options, may be NULL.
 * \param usage Prints the application's own options, may be NULL.
 * \param ctx Passed to \p parse.
 * \return 0 to go on, 1 when help was printed (exit 0), or a negative errno (exit non-zero).
 */
int nvtcp_app_parse_args(int argc, char **argv, struct nvtcp_app_opts *opts, const char *app_getopt,
			 const struct option *app_long, nvtcp_app_parse_fn parse,
			 void (*usage)(void), void *ctx);

/**
 * Initialise the environment, start the reactors, run \p start_fn(\p ctx) on the main reactor,
 * and return when nvtcp_app_stop() is called, after the reactors and the environment are down.
 *
 * While it runs, SIGINT and SIGTERM call opts->shutdown_cb and SIGUSR1 calls opts->usr1_cb (on
 * the main reactor; the handlers themselves only set flags), and SIGPIPE is ignored. The
 * previous signal dispositions are restored on return. Since the environment starts once per
 * process, so does this.
 *
 * \param opts Options.
 * \param start_fn First function to run.
 * \param ctx Its argument.
 * \return The status given to nvtcp_app_stop(), or a negative errno when start-up failed
 *         (-EINVAL for missing arguments, -EBUSY when already running, or the error of
 *         nvtcp_env_init() / nvtcp_reactors_start()).
 */
int nvtcp_app_start(const struct nvtcp_app_opts *opts, void (*start_fn)(void *ctx), void *ctx);

/**
 * Stop the application: every reactor finishes its iteration and nvtcp_app_start() returns
 * \p rc. Callable from any reactor.
 *
 * \param rc Status for nvtcp_app_start() to return.
 */
void nvtcp_app_stop(int rc);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_APP_H */
