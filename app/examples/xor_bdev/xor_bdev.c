/*
 * nvtcp_xor_tgt: a custom namespace backend plugged into an embedded NVMe/TCP target.
 *
 *   nvtcp_xor_tgt -m 0x1 --port 4420 [--size 64M] [--key 0x5a]
 *
 * Serves nqn.2024-01.io.nvtcp:xor on 127.0.0.1:PORT (0 = any free port, printed) with one
 * namespace of the "xor" backend: RAM that holds every byte XOR-ed with a key, so what the
 * host reads back is what it wrote only if the backend transforms both ways correctly.
 *
 * It shows the whole backend interface of nvtcp/target_bdev.h:
 * - create() builds the namespace from its options and sets the properties;
 * - submit() does the work and, instead of completing inline, queues the operation on the
 *   submitting reactor's slot (io->reactor_ctx), as an asynchronous backend does;
 * - poll() runs on every reactor that has a slot and completes what it queued there, so the
 *   completion runs on the reactor that submitted, as the interface requires;
 * - reactor_fini() frees a reactor's slot, destroy() the namespace.
 * Registering it with nvtcp_tgt_bdev_register() is all it takes for nvtcp_tgt_add_ns()
 * (backend_name "xor"), a JSON configuration ("backend": "xor") or "--ns xor:64M" to use it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/app.h"
#include "nvtcp/target.h"
#include "nvtcp/target_bdev.h"
#include "nvtcp/util.h"

#define PROG "nvtcp_xor_tgt"
#define XOR_NQN "nqn.2024-01.io.nvtcp:xor"

/* ---- The backend ------------------------------------------------------------------------- */

struct xor_ns {
	uint8_t *mem;
	uint8_t key;
};

/* A reactor's slot: the operations it submitted, completed at its next poll. Only that
 * reactor touches it, so it needs no lock. */
struct xor_reactor {
	struct nvtcp_tgt_bdev_io *head;
	struct nvtcp_tgt_bdev_io *last;
};

/* The key of the running namespaces (set from --key before they are created). */
static uint8_t g_key = 0x5a;

static void
xor_copy(uint8_t *dst, const uint8_t *src, size_t len, uint8_t key)
{
	for (size_t i = 0; i < len; i++) {
		dst[i] = src[i] ^ key;
	}
}

static bool
in_range(const struct nvtcp_tgt_bdev *bdev, uint64_t off, uint64_t len)
{
	return off <= bdev->size && len <= bdev->size - off;
}

static int
xor_execute(struct nvtcp_tgt_bdev *bdev, struct nvtcp_tgt_bdev_io *io)
{
	struct xor_ns *ns = bdev->ctx;
	uint64_t off = io->offset;

	switch (io->op) {
	case NVTCP_TGT_BDEV_READ:
	case NVTCP_TGT_BDEV_WRITE:
		if (!in_range(bdev, io->offset, io->len)) {
			return -ERANGE;
		}
		for (int i = 0; i < io->iovcnt; i++) {
			if (io->op == NVTCP_TGT_BDEV_READ) {
				xor_copy(io->iov[i].iov_base, ns->mem + off, io->iov[i].iov_len,
					 ns->key);
			} else {
				xor_copy(ns->mem + off, io->iov[i].iov_base, io->iov[i].iov_len,
					 ns->key);
			}
			off += io->iov[i].iov_len;
		}
		return 0;
	case NVTCP_TGT_BDEV_WRITE_ZEROES:
		if (!in_range(bdev, io->offset, io->len)) {
			return -ERANGE;
		}
		/* A zero byte is stored as the key. */
		memset(ns->mem + io->offset, ns->key, io->len);
		return 0;
	case NVTCP_TGT_BDEV_DEALLOCATE:
		/* dealloc_zeroes is set: deallocated blocks must read as zeroes. */
		for (uint32_t i = 0; i < io->nranges; i++) {
			uint64_t roff = io->ranges[i].slba << io->block_shift;
			uint64_t rlen = (uint64_t)io->ranges[i].nlb << io->block_shift;

			if (!in_range(bdev, roff, rlen)) {
				return -ERANGE;
			}
			memset(ns->mem + roff, ns->key, rlen);
		}
		return 0;
	default:
		/* FLUSH is never sent: volatile_cache is false. */
		return -EINVAL;
	}
}

static int
xor_submit(struct nvtcp_tgt_bdev *bdev, struct nvtcp_tgt_bdev_io *io)
{
	struct xor_reactor *r = *io->reactor_ctx;

	io->status = xor_execute(bdev, io);
	if (r == NULL) {
		/* First operation on this reactor: its slot (once; never on later I/O). */
		r = calloc(1, sizeof(*r));
		if (r == NULL) {
			return 1; /* complete inline instead */
		}
		*io->reactor_ctx = r;
	}
	/* The queue link lives in the space the interface gives the backend (io->priv). */
	io->priv[0] = 0;
	if (r->last != NULL) {
		r->last->priv[0] = (uintptr_t)io;
	} else {
		r->head = io;
	}
	r->last = io;
	return 0;
}

static int
xor_poll(void *reactor_ctx)
{
	struct xor_reactor *r = reactor_ctx;
	struct nvtcp_tgt_bdev_io *io = r->head;
	int n = 0;

	/* Detach first: a callback may submit again, onto a fresh list. */
	r->head = NULL;
	r->last = NULL;
	while (io != NULL) {
		struct nvtcp_tgt_bdev_io *next = (struct nvtcp_tgt_bdev_io *)(uintptr_t)io->priv[0];

		io->cb(io);
		io = next;
		n++;
	}
	return n;
}

static void
xor_reactor_fini(void *reactor_ctx)
{
	free(reactor_ctx);
}

static void
xor_destroy(struct nvtcp_tgt_bdev *bdev)
{
	struct xor_ns *ns = bdev->ctx;

	free(ns->mem);
	free(ns);
	free(bdev);
}

static int
xor_create(const struct nvtcp_tgt_ns_opts *opts, uint32_t max_io_size,
	   struct nvtcp_tgt_bdev **pbdev, char *err, size_t errlen)
{
	struct nvtcp_tgt_bdev *bdev = calloc(1, sizeof(*bdev));
	struct xor_ns *ns = calloc(1, sizeof(*ns));

	if (bdev == NULL || ns == NULL || (ns->mem = malloc(opts->size)) == NULL) {
		snprintf(err, errlen, "xor: cannot allocate %llu bytes",
			 (unsigned long long)opts->size);
		free(bdev);
		free(ns);
		return -ENOMEM;
	}
	ns->key = g_key;
	/* A fresh namespace reads as zeroes. */
	memset(ns->mem, ns->key, opts->size);
	bdev->size = opts->size;
	bdev->block_size = opts->block_size;
	bdev->dealloc_zeroes = true;
	bdev->ctx = ns;
	*pbdev = bdev;
	return 0;
}

static const struct nvtcp_tgt_bdev_ops g_xor_ops = {
	.name = "xor",
	.create = xor_create,
	.submit = xor_submit,
	.poll = xor_poll,
	.reactor_fini = xor_reactor_fini,
	.destroy = xor_destroy,
};

/* ---- The program: an embedded target serving one xor namespace -------------------------- */

enum { OPT_PORT = 256, OPT_SIZE, OPT_KEY };

static const struct option g_long[] = {
	{"port", required_argument, NULL, OPT_PORT},
	{"size", required_argument, NULL, OPT_SIZE},
	{"key", required_argument, NULL, OPT_KEY},
	{NULL, 0, NULL, 0},
};

struct app {
	const char *port;
	uint64_t size;
	struct nvtcp_tgt *tgt;
	int exit_code;
};

static void
usage(void)
{
	printf("Options:\n"
	       "  --port PORT   listen on 127.0.0.1:PORT (0 = any free port, printed)\n"
	       "  --size SIZE   namespace size (default 64M; a multiple of 512)\n"
	       "  --key BYTE    XOR key (default 0x5a)\n");
}

static int
parse_opt(int ch, const char *arg, void *ctx)
{
	struct app *a = ctx;
	char *end;
	unsigned long v;

	switch (ch) {
	case OPT_PORT:
		a->port = arg;
		return 0;
	case OPT_SIZE:
		return nvtcp_parse_size(arg, &a->size) == 0 && a->size > 0 && a->size % 512 == 0 ?
		       0 : -EINVAL;
	case OPT_KEY:
		v = strtoul(arg, &end, 0);
		if (*arg == '\0' || *end != '\0' || v > 255) {
			return -EINVAL;
		}
		g_key = (uint8_t)v;
		return 0;
	default:
		return -EINVAL;
	}
}

static void
destroyed(void *arg)
{
	struct app *a = arg;

	a->tgt = NULL;
	nvtcp_app_stop(a->exit_code);
}

static void
shutdown_cb(void *ctx)
{
	struct app *a = ctx;

	if (a->tgt == NULL) {
		nvtcp_app_stop(a->exit_code);
		return;
	}
	nvtcp_tgt_destroy(a->tgt, destroyed, a);
}

static void
started(void *arg, int status)
{
	struct app *a = arg;

	if (status != 0) {
		fprintf(stderr, PROG ": cannot start: %s\n", strerror(-status));
		a->exit_code = 1;
		nvtcp_tgt_destroy(a->tgt, destroyed, a);
		return;
	}
	printf(PROG ": listening on port %u\n", nvtcp_tgt_listener_port(a->tgt, 0));
	printf(PROG ": ready\n");
	fflush(stdout);
}

static void
start(void *ctx)
{
	struct app *a = ctx;
	struct nvtcp_tgt_ns_opts nso;
	char err[512];
	int rc;

	a->tgt = nvtcp_tgt_create(NULL, err, sizeof(err));
	if (a->tgt == NULL) {
		fprintf(stderr, PROG ": %s\n", err);
		nvtcp_app_stop(1);
		return;
	}
	nvtcp_tgt_ns_opts_init(&nso);
	nso.backend_name = "xor";
	nso.size = a->size;
	rc = nvtcp_tgt_add_subsys(a->tgt, XOR_NQN, NULL, err, sizeof(err));
	rc = rc ?: nvtcp_tgt_add_ns(a->tgt, XOR_NQN, &nso, NULL, err, sizeof(err));
	rc = rc ?: nvtcp_tgt_add_listener(a->tgt, "127.0.0.1", a->port, err, sizeof(err));
	rc = rc ?: nvtcp_tgt_start(a->tgt, started, a);
	if (rc != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		a->exit_code = 1;
		nvtcp_tgt_destroy(a->tgt, destroyed, a);
	}
}

int
main(int argc, char **argv)
{
	static struct app a = {.size = 64ull << 20};
	struct nvtcp_app_opts opts;
	int rc;

	nvtcp_app_opts_init(&opts, PROG);
	opts.shutdown_cb = shutdown_cb;
	opts.ctx = &a;
	rc = nvtcp_app_parse_args(argc, argv, &opts, NULL, g_long, parse_opt, usage, &a);
	if (rc != 0) {
		return rc > 0 ? 0 : 1;
	}
	if (a.port == NULL) {
		fprintf(stderr, PROG ": --port is required\n");
		return 1;
	}
	/* Before any namespace uses it; the registry keeps the pointer. */
	rc = nvtcp_tgt_bdev_register(&g_xor_ops);
	if (rc != 0) {
		fprintf(stderr, PROG ": cannot register the xor backend: %s\n", strerror(-rc));
		return 1;
	}
	rc = nvtcp_app_start(&opts, start, &a);
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", strerror(-rc));
		return 1;
	}
	return rc == 0 ? a.exit_code : 1;
}
