/*
 * nvtcp_hello_world: the smallest complete program on the nvtcp host API.
 *
 *   nvtcp_hello_world -r 'traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1'
 *
 * It attaches to a controller, allocates one I/O queue pair, writes "Hello world!" into the
 * first block of the first namespace, reads the block back, checks it and prints it, then
 * frees everything. Read it top to bottom: each step is one call, and the comments say what an
 * application embedding the driver must know about it.
 *
 * Warning: it overwrites logical block --lba (0 by default) of the namespace.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/env.h"
#include "nvtcp/fabrics.h"
#include "nvtcp/log.h"
#include "nvtcp/nvme.h"
#include "nvtcp/util.h"

#define MESSAGE "Hello world!\n"

/* Completion state of one command. The driver calls io_done() from inside the poll call. */
struct io_wait {
	bool done;
	struct nvtcp_nvme_cpl cpl;
};

static void
io_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct io_wait *w = cb_arg;

	/* cpl is valid only during the callback: copy what is needed. */
	w->cpl = *cpl;
	w->done = true;
}

/*
 * Nothing runs in the background: the command progresses (is sent, its data moves, its
 * completion is received) only while the application polls its queue pair.
 */
static int
wait_io(struct nvtcp_qpair *qpair, struct io_wait *w, const char *what)
{
	while (!w->done) {
		if (nvtcp_qpair_process_completions(qpair, 0) < 0) {
			fprintf(stderr, "%s: the queue pair failed\n", what);
			return -1;
		}
	}
	if (nvtcp_nvme_cpl_is_error(&w->cpl)) {
		fprintf(stderr, "%s failed: %s\n", what, nvtcp_nvme_status_str(w->cpl.status));
		return -1;
	}
	return 0;
}

static void
usage(void)
{
	printf("Usage: nvtcp_hello_world -r TRID [-H] [-I] [--lba N]\n"
	       "  -r TRID   controller, e.g. 'traddr:127.0.0.1 trsvcid:4420 subnqn:nqn...'\n"
	       "  -H, -I    ask for header / data digests\n"
	       "  --lba N   block to overwrite (default 0)\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"lba", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct nvtcp_ctrlr_opts copts;
	struct nvtcp_trid trid;
	struct nvtcp_ctrlr *ctrlr;
	struct nvtcp_qpair *qpair;
	struct nvtcp_ns *ns;
	struct io_wait w;
	char err[256];
	char *wbuf = NULL, *rbuf = NULL;
	uint64_t lba = 0;
	uint32_t block;
	int ch, rc, status = 1;
	bool have_trid = false;

	/* 1. Where to connect: a transport ID string as SPDK writes it. Defaults first (TCP,
	 *    port 4420), then the user's keys on top. */
	nvtcp_trid_init(&trid);
	nvtcp_ctrlr_opts_init(&copts);
	while ((ch = getopt_long(argc, argv, "r:HIh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (nvtcp_trid_parse(&trid, optarg, err, sizeof(err)) != 0) {
				fprintf(stderr, "-r: %s\n", err);
				return 2;
			}
			have_trid = true;
			break;
		case 'H':
			copts.hdgst = true;
			break;
		case 'I':
			copts.ddgst = true;
			break;
		case 'l':
			if (nvtcp_parse_u64(optarg, UINT64_MAX, &lba) != 0) {
				fprintf(stderr, "--lba: '%s' is not a number\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (!have_trid || trid.traddr[0] == '\0' || trid.subnqn[0] == '\0') {
		fprintf(stderr, "-r with traddr and subnqn is required (see --help)\n");
		return 2;
	}

	/* 2. The environment (memory, time) must be up before the driver is used. The defaults
	 *    run on one core, without shared files, so any number of processes can run. */
	nvtcp_log_set_level(NVTCP_LOG_WARN);
	rc = nvtcp_env_init(NULL);
	if (rc != 0) {
		fprintf(stderr, "environment: %s\n", strerror(-rc));
		return 1;
	}

	/* 3. Attach: TCP connection, NVMe/TCP and Fabrics connect, controller enable, identify.
	 *    nvtcp_ctrlr_attach() waits until the controller is ready (an event loop would use
	 *    nvtcp_ctrlr_attach_async() and nvtcp_ctrlr_attach_poll() instead). */
	ctrlr = nvtcp_ctrlr_attach(&trid, &copts, &rc);
	if (ctrlr == NULL) {
		fprintf(stderr, "attach to %s failed: %s\n", trid.traddr, strerror(-rc));
		goto out_env;
	}

	/* 4. The first active namespace and its block size. */
	ns = nvtcp_ctrlr_get_ns(ctrlr, nvtcp_ctrlr_get_first_active_ns(ctrlr));
	if (ns == NULL) {
		fprintf(stderr, "the subsystem has no active namespace\n");
		goto out_detach;
	}
	block = nvtcp_ns_get_sector_size(ns);
	if (lba >= nvtcp_ns_get_num_sectors(ns)) {
		fprintf(stderr, "--lba %llu is beyond the namespace\n", (unsigned long long)lba);
		goto out_detach;
	}

	/* 5. An I/O queue pair: its own TCP connection. It belongs to this thread: submit and
	 *    poll it here, with no locks. */
	qpair = nvtcp_ctrlr_alloc_io_qpair(ctrlr, NULL, &rc);
	if (qpair == NULL) {
		fprintf(stderr, "I/O queue pair: %s\n", strerror(-rc));
		goto out_detach;
	}

	/* 6. Data buffers: ordinary memory is fine for TCP (the socket copies it). */
	wbuf = calloc(1, block);
	rbuf = calloc(1, block);
	if (wbuf == NULL || rbuf == NULL) {
		fprintf(stderr, "out of memory\n");
		goto out_qpair;
	}
	snprintf(wbuf, block, "%s", MESSAGE);

	/* 7. Write one block, then poll until the callback has run. A return of -EAGAIN would
	 *    mean "queue full, poll and retry"; with one command that cannot happen. */
	memset(&w, 0, sizeof(w));
	rc = nvtcp_ns_cmd_write(ns, qpair, wbuf, lba, 1, io_done, &w, 0);
	if (rc != 0 || wait_io(qpair, &w, "write") != 0) {
		if (rc != 0) {
			fprintf(stderr, "write: %s\n", strerror(-rc));
		}
		goto out_qpair;
	}

	/* 8. Read it back the same way and compare. */
	memset(&w, 0, sizeof(w));
	rc = nvtcp_ns_cmd_read(ns, qpair, rbuf, lba, 1, io_done, &w, 0);
	if (rc != 0 || wait_io(qpair, &w, "read") != 0) {
		if (rc != 0) {
			fprintf(stderr, "read: %s\n", strerror(-rc));
		}
		goto out_qpair;
	}
	if (memcmp(wbuf, rbuf, block) != 0) {
		fprintf(stderr, "the block read back differs from the block written\n");
		goto out_qpair;
	}
	printf("%s", rbuf);
	status = 0;

	/* 9. Tear down in reverse order: queue pair, controller (shutdown), environment. */
out_qpair:
	/* The queue pair first: once it is freed no command can still touch the buffers. */
	nvtcp_ctrlr_free_io_qpair(qpair);
	free(wbuf);
	free(rbuf);
out_detach:
	nvtcp_ctrlr_detach(ctrlr);
out_env:
	nvtcp_env_fini();
	return status;
}
