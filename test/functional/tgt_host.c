/*
 * tgt_host: functional tests of nvtcp_tgt from the host side.
 *
 *   tgt_host verify  --port P --subnqn NQN [--digest none|hdgst|ddgst|both] [--qpairs N]
 *                    [--ios N] [--qd N] [--seed S] [--max-bs BYTES]
 *   tgt_host kato    --port P --subnqn NQN
 *   tgt_host garbage --port P --subnqn NQN [--denied-subnqn NQN]
 *   tgt_host reset   --port P --subnqn NQN [--qpairs N] [--digest ...]
 *   tgt_host dump    --port P --subnqn NQN --out FILE --bytes N
 *   tgt_host tls     --port P --psk FILE --hostnqn A --subnqn X ... (tgt_host_tls.c)
 *
 * verify: discovery log, Identify (controller, namespace list, namespace, descriptors),
 * random verified writes and reads of 512 B..1 MiB on several I/O queues at once (in-capsule
 * and R2T), Compare, Write Zeroes, Dataset Management, Flush, error log, shutdown.
 * kato: a silent controller is torn down after its keep-alive timeout, with its I/O queue.
 * reset: CC.EN = 0 with writes in flight deletes the I/O queues before CSTS.RDY reads 0; the
 * same QIDs connect again once re-enabled and serve verified I/O; CC.SHN deletes them too.
 * garbage: a misbehaving host, one rule broken per connection, each answered by the right
 * status or C2HTermReq (FES/FEI), while the target keeps serving.
 * dump: read the first N bytes of namespace 1 into FILE (tests compare it with the backing
 * file, or with a dump taken before a restart).
 *
 * Prints one line per check and "<MODE> PASSED" / "<MODE> FAILED"; exit 0 / 1.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/crc32c.h"
#include "nvtcp/util.h"
#include "tgt_host.h"

struct args {
	const char *addr;
	const char *port;
	const char *subnqn;
	const char *denied_subnqn;
	bool hdgst;
	bool ddgst;
	uint32_t qpairs;
	uint32_t ios;
	uint32_t qd;
	uint32_t max_bs;
	uint64_t seed;
	const char *out;
	uint64_t bytes;
};

static int g_failures;

#define CHECK(cond, ...)                                                                        \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			printf("FAIL %s:%d: ", __func__, __LINE__);                             \
			printf(__VA_ARGS__);                                                    \
			printf("\n");                                                           \
			fflush(stdout);                                                         \
			g_failures++;                                                           \
		}                                                                               \
	} while (0)

static uint64_t g_rng;

static uint64_t
rnd(void)
{
	/* xorshift64*: reproducible from --seed. */
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 2685821657736338717ull;
}

#define ST_SC(st) (((st) >> 1) & 0xFF)
#define ST_SCT(st) (((st) >> 9) & 0x7)
#define ST(sct, sc) ((uint16_t)(((sct) << 9) | ((sc) << 1)))

/* ---- Controller bring-up --------------------------------------------------------------- */

struct ctrl {
	struct th_queue admin;
	struct th_queue *io;
	uint32_t nio;
	uint16_t cntlid;
	uint32_t block_size;
	uint64_t nsze;
	uint32_t icd;
	uint32_t mdts_bytes;
};

static int
ctrl_connect(struct ctrl *c, const struct args *a, const char *subnqn, uint32_t kato)
{
	uint64_t cap;
	int st;

	memset(c, 0, sizeof(*c));
	if (th_open(&c->admin, a->addr, a->port, a->hdgst, a->ddgst, "admin") != 0) {
		printf("FAIL cannot open the admin queue to %s:%s\n", a->addr, a->port);
		g_failures++;
		return -1;
	}
	CHECK(c->admin.params.hdgst == a->hdgst && c->admin.params.ddgst == a->ddgst,
	      "digests granted h%d d%d, asked h%d d%d", c->admin.params.hdgst,
	      c->admin.params.ddgst, a->hdgst, a->ddgst);
	st = th_fabrics_connect(&c->admin, 0, 31, subnqn, th_hostnqn, th_hostid, 0xFFFF, kato, 0,
				NULL);
	if (st != 0) {
		printf("FAIL admin Connect to %s: status 0x%04x\n", subnqn, st);
		g_failures++;
		return -1;
	}
	c->cntlid = c->admin.cntlid;
	st = th_prop_get(&c->admin, NVTCP_NVME_PROP_CAP, true, &cap);
	CHECK(st == 0 && nvtcp_nvme_cap_css(cap) & 1, "CAP 0x%llx status %d",
	      (unsigned long long)cap, st);
	st = th_enable(&c->admin, nvtcp_nvme_cc_enable_value(0));
	CHECK(st == 0, "enable: %d", st);
	return st == 0 ? 0 : -1;
}

static int
ctrl_add_io(struct ctrl *c, const struct args *a, uint32_t n, uint8_t cattr)
{
	c->io = calloc(n, sizeof(*c->io));
	for (uint32_t i = 0; i < n; i++) {
		char name[16];
		int st;

		snprintf(name, sizeof(name), "io%u", i + 1);
		if (th_open(&c->io[i], a->addr, a->port, a->hdgst, a->ddgst, name) != 0) {
			printf("FAIL cannot open I/O queue %u\n", i + 1);
			g_failures++;
			return -1;
		}
		st = th_fabrics_connect(&c->io[i], (uint16_t)(i + 1), 63, a->subnqn, th_hostnqn,
					th_hostid, c->cntlid, 0, cattr, NULL);
		if (st != 0) {
			printf("FAIL I/O queue %u Connect: status 0x%04x\n", i + 1, st);
			g_failures++;
			return -1;
		}
		c->nio++;
	}
	return 0;
}

static void
ctrl_close(struct ctrl *c)
{
	for (uint32_t i = 0; i < c->nio; i++) {
		th_close(&c->io[i]);
	}
	free(c->io);
	th_close(&c->admin);
}

/* ---- verify ------------------------------------------------------------------------------ */

static void
check_discovery(const struct args *a)
{
	struct ctrl d;
	struct nvtcp_nvmf_disc_log_hdr hdr;
	uint8_t *log;
	bool found = false, current = false;
	uint64_t gen;
	int st;

	if (ctrl_connect(&d, a, NVTCP_NVMF_DISCOVERY_NQN, 0) != 0) {
		ctrl_close(&d);
		return;
	}
	st = th_get_log(&d.admin, NVTCP_NVME_LOG_DISCOVERY, 0, false, &hdr, sizeof(hdr), 0);
	CHECK(st == 0, "discovery log header: 0x%04x", st);
	gen = hdr.genctr;
	CHECK(hdr.numrec >= 2 && hdr.numrec < 64, "numrec %llu", (unsigned long long)hdr.numrec);
	log = calloc(hdr.numrec, 1024);
	/* The entries alone, by offset. */
	st = th_get_log(&d.admin, NVTCP_NVME_LOG_DISCOVERY, 0, false, log,
			(uint32_t)hdr.numrec * 1024, 1024);
	CHECK(st == 0, "discovery log entries: 0x%04x", st);
	for (uint64_t i = 0; st == 0 && i < hdr.numrec; i++) {
		const struct nvtcp_nvmf_disc_log_entry *e = (const void *)(log + i * 1024);

		CHECK(e->trtype == NVTCP_NVMF_TRTYPE_TCP, "entry %llu trtype %u",
		      (unsigned long long)i, e->trtype);
		if (e->subtype == NVTCP_NVMF_SUBTYPE_NVME && strcmp(e->subnqn, a->subnqn) == 0) {
			found = true;
		}
		if (e->subtype == NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT) {
			current = true;
			CHECK(strcmp(e->subnqn, NVTCP_NVMF_DISCOVERY_NQN) == 0, "current entry %s",
			      e->subnqn);
		}
	}
	CHECK(found, "%s not in the discovery log", a->subnqn);
	CHECK(current, "no current discovery subsystem entry");
	st = th_get_log(&d.admin, NVTCP_NVME_LOG_DISCOVERY, 0, false, &hdr, sizeof(hdr), 0);
	CHECK(st == 0 && hdr.genctr == gen, "genctr changed %llu -> %llu",
	      (unsigned long long)gen, (unsigned long long)hdr.genctr);
	/* An offset beyond the log is invalid. */
	st = th_get_log(&d.admin, NVTCP_NVME_LOG_DISCOVERY, 0, false, &hdr, 512, 1u << 20);
	CHECK(st == ST(0, NVTCP_NVME_SC_INVALID_FIELD) || st == (ST(0, NVTCP_NVME_SC_INVALID_FIELD) |
								 0x8000),
	      "offset beyond the log: 0x%04x", st);
	free(log);
	printf("ok discovery (%llu entries)\n", (unsigned long long)hdr.numrec);
	ctrl_close(&d);
}

static void
check_identify(struct ctrl *c, const struct args *a)
{
	uint8_t buf[4096];
	const struct nvtcp_nvme_ctrlr_data *cd = (const void *)buf;
	const struct nvtcp_nvme_ns_data *nd = (const void *)buf;
	const uint32_t *list = (const void *)buf;
	int st;

	st = th_identify(&c->admin, NVTCP_NVME_IDENTIFY_CTRLR, 0, buf);
	CHECK(st == 0, "identify controller: 0x%04x", st);
	CHECK(cd->cntlid == c->cntlid, "cntlid %u vs %u", cd->cntlid, c->cntlid);
	CHECK(strncmp(cd->subnqn, a->subnqn, 256) == 0, "subnqn %.64s", cd->subnqn);
	CHECK(cd->sn[0] != ' ' && cd->mn[0] != ' ', "empty SN/MN");
	CHECK(cd->sqes == 0x66 && cd->cqes == 0x44, "sqes 0x%x cqes 0x%x", cd->sqes, cd->cqes);
	CHECK(cd->ioccsz >= (8192 + 64) / 16, "ioccsz %u", cd->ioccsz);
	CHECK(cd->iorcsz == 1 && cd->icdoff == 0, "iorcsz %u icdoff %u", cd->iorcsz, cd->icdoff);
	CHECK(cd->nn >= 1 && (cd->oncs & NVTCP_NVME_ONCS_WRITE_ZEROES), "nn %u oncs 0x%x", cd->nn,
	      cd->oncs);
	c->icd = cd->ioccsz * 16 - 64;
	c->mdts_bytes = cd->mdts ? 4096u << cd->mdts : 0;
	st = th_identify(&c->admin, NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST, 0, buf);
	CHECK(st == 0 && list[0] == 1, "active ns list: 0x%04x first %u", st, list[0]);
	st = th_identify(&c->admin, NVTCP_NVME_IDENTIFY_NS, 1, buf);
	CHECK(st == 0, "identify ns: 0x%04x", st);
	c->block_size = nvtcp_nvme_ns_block_size(nd);
	c->nsze = nd->nsze;
	CHECK(c->block_size == 512 || c->block_size == 4096, "block size %u", c->block_size);
	st = th_identify(&c->admin, NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST, 1, buf);
	CHECK(st == 0 && buf[0] != 0, "ns descriptors: 0x%04x", st);
	st = th_identify(&c->admin, NVTCP_NVME_IDENTIFY_NS, 0, buf);
	CHECK(ST_SC(st) == NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT, "identify ns 0: 0x%04x", st);
	printf("ok identify (block %u, %llu blocks, icd %u, max transfer %u)\n", c->block_size,
	       (unsigned long long)c->nsze, c->icd, c->mdts_bytes);
}

struct slot {
	int cid;
	bool write;
	uint64_t off;
	uint32_t len;
	uint8_t *buf;
};

static void
rw_sqe(struct nvtcp_nvme_cmd *cmd, uint8_t opc, uint64_t slba, uint32_t nlb)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opc = opc;
	cmd->nsid = 1;
	nvtcp_nvme_rw_set(cmd, slba, nlb, 0);
}

static void
fill(uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t v = rnd();

		memcpy(p + i, &v, NVTCP_MIN(8u, len - i));
	}
}

static void
random_io(struct ctrl *c, const struct args *a)
{
	uint32_t bs = c->block_size, max_bs = a->max_bs;
	uint64_t slice, region;
	uint8_t *shadow;
	struct slot *slots;
	uint64_t writes = 0, reads = 0, bytes = 0, incaps = 0;

	if (c->mdts_bytes != 0 && max_bs > c->mdts_bytes) {
		max_bs = c->mdts_bytes;
	}
	slice = max_bs;
	region = slice * a->qd * c->nio;
	if (region > c->nsze * bs) {
		printf("FAIL namespace too small for the workload\n");
		g_failures++;
		return;
	}
	shadow = calloc(1, region);
	slots = calloc((size_t)a->qd * c->nio, sizeof(*slots));
	for (size_t i = 0; i < (size_t)a->qd * c->nio; i++) {
		slots[i].buf = malloc(max_bs);
	}
	/* The region starts zeroed by a Write Zeroes, so that the shadow is exact. */
	{
		struct nvtcp_nvme_cmd cmd;
		uint64_t blocks = region / bs;

		for (uint64_t lba = 0; lba < blocks; lba += 65536) {
			rw_sqe(&cmd, NVTCP_NVME_OPC_WRITE_ZEROES, lba,
			       (uint32_t)NVTCP_MIN(65536u, blocks - lba));
			CHECK(th_exec(&c->io[0], &cmd, NULL, 0, false, NULL) == 0, "write zeroes");
		}
	}
	for (uint32_t done = 0; done < a->ios && g_failures == 0;) {
		/* A round: qd commands per queue, each in its own slice, then their completions. */
		for (uint32_t q = 0; q < c->nio; q++) {
			for (uint32_t k = 0; k < a->qd; k++) {
				struct slot *s = &slots[q * a->qd + k];
				uint64_t base = (uint64_t)(q * a->qd + k) * slice;
				/* Sizes spread evenly over the powers of two. */
				uint32_t maxblk = max_bs / bs, e = 0, nblk;

				while ((1u << (e + 1)) <= maxblk) {
					e++;
				}
				nblk = 1 + (uint32_t)(rnd() % (1u << (rnd() % (e + 1))));
				uint64_t first;
				struct nvtcp_nvme_cmd cmd;
				bool inc;

				first = rnd() % ((slice / bs) - nblk + 1);

				s->write = rnd() % 2 == 0;
				s->off = base + first * bs;
				s->len = nblk * bs;
				rw_sqe(&cmd, s->write ? NVTCP_NVME_OPC_WRITE : NVTCP_NVME_OPC_READ,
				       s->off / bs, nblk);
				if (s->write) {
					fill(s->buf, s->len);
				}
				inc = s->write && s->len <= c->icd && rnd() % 4 != 0;
				incaps += inc;
				s->cid = th_submit(&c->io[q], &cmd, s->buf, s->len, inc);
				CHECK(s->cid >= 0, "submit");
			}
		}
		for (uint32_t q = 0; q < c->nio; q++) {
			for (uint32_t k = 0; k < a->qd; k++) {
				struct slot *s = &slots[q * a->qd + k];
				struct nvtcp_nvme_cpl cpl;
				int rc = th_wait(&c->io[q], s->cid, &cpl);

				CHECK(rc == 0 && (cpl.status & 0xFFFE) == 0,
				      "%s off %llu len %u: rc %d status 0x%04x", s->write ? "write" :
				      "read", (unsigned long long)s->off, s->len, rc, cpl.status);
				if (rc != 0) {
					break;
				}
				if (s->write) {
					memcpy(shadow + s->off, s->buf, s->len);
					writes++;
				} else {
					CHECK(memcmp(shadow + s->off, s->buf, s->len) == 0,
					      "read off %llu len %u: data mismatch",
					      (unsigned long long)s->off, s->len);
					reads++;
				}
				bytes += s->len;
				done++;
			}
		}
	}
	/* Read everything back at the end. */
	for (uint64_t off = 0; off < region && g_failures == 0; off += max_bs) {
		struct nvtcp_nvme_cmd cmd;

		rw_sqe(&cmd, NVTCP_NVME_OPC_READ, off / bs, max_bs / bs);
		CHECK(th_exec(&c->io[0], &cmd, slots[0].buf, max_bs, false, NULL) == 0, "read back");
		CHECK(memcmp(shadow + off, slots[0].buf, max_bs) == 0, "read back off %llu differs",
		      (unsigned long long)off);
	}
	printf("ok random I/O: %llu writes (%llu in-capsule), %llu reads, %llu MiB on %u queues, "
	       "queue depth %u, 512 B..%u B\n", (unsigned long long)writes,
	       (unsigned long long)incaps, (unsigned long long)reads,
	       (unsigned long long)(bytes >> 20), c->nio, a->qd, max_bs);
	for (size_t i = 0; i < (size_t)a->qd * c->nio; i++) {
		free(slots[i].buf);
	}
	free(slots);
	free(shadow);
}

static void
check_nvm_cmds(struct ctrl *c)
{
	uint32_t bs = c->block_size;
	uint8_t *buf = malloc(8 * bs), *cmp = malloc(8 * bs);
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_nvme_dsm_range r = {.nlb = 8, .slba = 100};
	uint64_t lba = 100;
	int st;

	fill(buf, 8 * bs);
	rw_sqe(&cmd, NVTCP_NVME_OPC_WRITE, lba, 8);
	CHECK(th_exec(&c->io[0], &cmd, buf, 8 * bs, false, NULL) == 0, "write");
	rw_sqe(&cmd, NVTCP_NVME_OPC_COMPARE, lba, 8);
	st = th_exec(&c->io[0], &cmd, buf, 8 * bs, false, NULL);
	CHECK(st == 0, "compare equal: 0x%04x", st);
	memcpy(cmp, buf, 8 * bs);
	cmp[bs * 3] ^= 1;
	st = th_exec(&c->io[0], &cmd, cmp, 8 * bs, false, NULL);
	CHECK(ST_SCT(st) == NVTCP_NVME_SCT_MEDIA_ERROR && ST_SC(st) == NVTCP_NVME_SC_COMPARE_FAILURE,
	      "compare different: 0x%04x", st);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FLUSH;
	cmd.nsid = 1;
	CHECK(th_exec(&c->io[0], &cmd, NULL, 0, false, NULL) == 0, "flush");
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_DATASET_MANAGEMENT;
	cmd.nsid = 1;
	cmd.cdw10 = 0;
	cmd.cdw11 = NVTCP_NVME_DSM_ATTR_DEALLOCATE;
	st = th_exec(&c->io[0], &cmd, &r, sizeof(r), true, NULL);
	CHECK(st == 0, "deallocate: 0x%04x", st);
	rw_sqe(&cmd, NVTCP_NVME_OPC_READ, lba, 8);
	CHECK(th_exec(&c->io[0], &cmd, buf, 8 * bs, false, NULL) == 0, "read");
	memset(cmp, 0, 8 * bs);
	CHECK(memcmp(buf, cmp, 8 * bs) == 0, "deallocated blocks do not read as zeroes");
	printf("ok compare, flush, dataset management\n");
	free(buf);
	free(cmp);
}

static int
cmd_verify(const struct args *a)
{
	struct ctrl c;
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_nvme_cpl cpl;
	uint8_t log[64 * 16];
	int st;

	check_discovery(a);
	if (ctrl_connect(&c, a, a->subnqn, 30000) != 0) {
		ctrl_close(&c);
		return 1;
	}
	check_identify(&c, a);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_SET_FEATURES;
	cmd.cdw10 = NVTCP_NVME_FEAT_NUMBER_OF_QUEUES;
	cmd.cdw11 = nvtcp_nvme_feat_num_queues(a->qpairs, a->qpairs);
	st = th_exec(&c.admin, &cmd, NULL, 0, false, &cpl);
	CHECK(st == 0 && nvtcp_nvme_feat_num_queues_nsq(cpl.cdw0) >= a->qpairs,
	      "number of queues: 0x%04x cdw0 0x%x", st, cpl.cdw0);
	if (g_failures == 0 && ctrl_add_io(&c, a, a->qpairs, 0) == 0) {
		random_io(&c, a);
		check_nvm_cmds(&c);
	}
	/* An error lands in the error log. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = 0xC5;
	st = th_exec(&c.admin, &cmd, NULL, 0, false, NULL);
	CHECK(ST_SC(st) == NVTCP_NVME_SC_INVALID_OPCODE, "vendor opcode: 0x%04x", st);
	st = th_get_log(&c.admin, NVTCP_NVME_LOG_ERROR, 0xFFFFFFFF, false, log, sizeof(log), 0);
	CHECK(st == 0 && ((struct nvtcp_nvme_error_log_entry *)log)->error_count >= 1,
	      "error log: 0x%04x", st);
	st = th_shutdown(&c.admin);
	CHECK(st == 0, "shutdown: %d", st);
	ctrl_close(&c);
	printf("VERIFY %s\n", g_failures ? "FAILED" : "PASSED");
	return g_failures ? 1 : 0;
}

/* ---- dump ------------------------------------------------------------------------------ */

static int
cmd_dump(const struct args *a)
{
	struct ctrl c;
	uint32_t chunk = 128 * 1024;
	uint8_t *buf = malloc(chunk);
	FILE *f = fopen(a->out, "wb");

	if (buf == NULL || f == NULL) {
		printf("FAIL cannot open %s\n", a->out);
		free(buf);
		if (f != NULL) {
			fclose(f);
		}
		return 1;
	}
	if (ctrl_connect(&c, a, a->subnqn, 30000) == 0) {
		check_identify(&c, a);
		if (g_failures == 0 && ctrl_add_io(&c, a, 1, 0) == 0) {
			CHECK(a->bytes % c.block_size == 0 && a->bytes <= c.nsze * c.block_size,
			      "--bytes %llu: not whole blocks of the namespace",
			      (unsigned long long)a->bytes);
			for (uint64_t off = 0; off < a->bytes && g_failures == 0; off += chunk) {
				uint32_t len = (uint32_t)NVTCP_MIN((uint64_t)chunk, a->bytes - off);
				struct nvtcp_nvme_cmd cmd;

				rw_sqe(&cmd, NVTCP_NVME_OPC_READ, off / c.block_size,
				       len / c.block_size);
				CHECK(th_exec(&c.io[0], &cmd, buf, len, false, NULL) == 0,
				      "read off %llu", (unsigned long long)off);
				CHECK(fwrite(buf, 1, len, f) == len, "write %s", a->out);
			}
		}
		CHECK(th_shutdown(&c.admin) == 0, "shutdown");
	}
	ctrl_close(&c);
	CHECK(fclose(f) == 0, "close %s", a->out);
	free(buf);
	printf("DUMP %s\n", g_failures ? "FAILED" : "PASSED");
	return g_failures ? 1 : 0;
}

/* ---- kato ---------------------------------------------------------------------------------- */

static int
cmd_kato(const struct args *a)
{
	struct ctrl c;
	struct timespec t0, t1;
	double secs;

	if (ctrl_connect(&c, a, a->subnqn, 1000) != 0 || ctrl_add_io(&c, a, 1, 0) != 0) {
		ctrl_close(&c);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Silence: nothing more is sent on any queue. */
	CHECK(th_wait_closed(&c.admin, 5000), "admin queue still open after 5 s");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(secs >= 0.9 && secs <= 3.0, "torn down after %.2f s (KATO 1 s: expected 1..2 s)",
	      secs);
	CHECK(th_wait_closed(&c.io[0], 2000), "I/O queue still open");
	printf("ok keep-alive timeout: controller torn down after %.2f s\n", secs);
	/* A controller that keeps talking stays. */
	ctrl_close(&c);
	if (ctrl_connect(&c, a, a->subnqn, 1000) == 0) {
		for (int i = 0; i < 8; i++) {
			struct nvtcp_nvme_cmd cmd;

			memset(&cmd, 0, sizeof(cmd));
			cmd.opc = NVTCP_NVME_OPC_KEEP_ALIVE;
			CHECK(th_exec(&c.admin, &cmd, NULL, 0, false, NULL) == 0, "keep alive %d", i);
			usleep(400 * 1000);
		}
		printf("ok keep-alive every 0.4 s keeps the controller for 3.2 s\n");
	}
	ctrl_close(&c);
	printf("KATO %s\n", g_failures ? "FAILED" : "PASSED");
	return g_failures ? 1 : 0;
}

/* ---- reset --------------------------------------------------------------------------------- */

/* Wait until CSTS matches (csts & mask) == want; false after ~2 s. */
static bool
wait_csts(struct th_queue *admin, uint64_t mask, uint64_t want, uint64_t *csts)
{
	for (int i = 0; i < 200; i++) {
		if (th_prop_get(admin, NVTCP_NVME_PROP_CSTS, false, csts) != 0) {
			return false;
		}
		if ((*csts & mask) == want) {
			return true;
		}
		usleep(10000);
	}
	return false;
}

/* Write a block pattern (qid, round, lba) to \p n blocks from \p lba on \p q and read it back. */
static void
rw_check(struct ctrl *c, struct th_queue *q, uint64_t lba, uint32_t n, uint32_t round)
{
	uint32_t len = n * c->block_size;
	uint8_t *w = malloc(len), *r = calloc(1, len);
	struct nvtcp_nvme_cmd cmd;
	int st;

	for (uint32_t i = 0; i < len; i++) {
		w[i] = (uint8_t)(q->qid * 31 + round * 7 + (lba + i / c->block_size) + i);
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_WRITE;
	cmd.nsid = 1;
	nvtcp_nvme_rw_set(&cmd, lba, n, 0);
	st = th_exec(q, &cmd, w, len, false, NULL);
	CHECK(st == 0, "qid %u round %u: write of %u blocks at %llu: 0x%04x", q->qid, round, n,
	      (unsigned long long)lba, st);
	cmd.opc = NVTCP_NVME_OPC_READ;
	st = th_exec(q, &cmd, r, len, false, NULL);
	CHECK(st == 0 && memcmp(w, r, len) == 0, "qid %u round %u: read back at %llu: 0x%04x%s",
	      q->qid, round, (unsigned long long)lba, st,
	      st == 0 ? ", data differs" : "");
	free(w);
	free(r);
}

/*
 * Controller Level Reset by CC.EN = 0 with writes in flight on every I/O queue: the target
 * must delete the I/O queues (close their connections) before CSTS.RDY reads 0, refuse I/O
 * Connects while disabled, accept the same QIDs again once re-enabled, and serve verified I/O
 * on them. Then the same for a shutdown (CC.SHN) with I/O queues connected.
 */
static int
cmd_reset(const struct args *a)
{
	struct ctrl c;
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_nvme_cpl cpl;
	struct th_queue extra;
	uint64_t csts = 0;
	struct th_queue *old_io;
	uint32_t nq = a->qpairs, old_nio;
	uint8_t *bufs[TH_MAX_CMDS];
	int nbufs = 0, fails, st;

	/* The target closes queues we may still be sending on (R2T data): a failed send is
	 * what we expect there, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	if (ctrl_connect(&c, a, a->subnqn, 30000) != 0) {
		ctrl_close(&c);
		return 1;
	}
	check_identify(&c, a);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_SET_FEATURES;
	cmd.cdw10 = NVTCP_NVME_FEAT_NUMBER_OF_QUEUES;
	cmd.cdw11 = nvtcp_nvme_feat_num_queues(nq, nq);
	st = th_exec(&c.admin, &cmd, NULL, 0, false, &cpl);
	CHECK(st == 0, "number of queues: 0x%04x", st);
	if (g_failures != 0 || ctrl_add_io(&c, a, nq, 0) != 0) {
		ctrl_close(&c);
		return 1;
	}
	for (uint32_t i = 0; i < nq; i++) {
		rw_check(&c, &c.io[i], i * 64, 8, 0);
	}
	/* Writes in flight: sent, their data asked for by R2T and never sent. */
	for (uint32_t i = 0; i < nq; i++) {
		for (int k = 0; k < 4 && nbufs < TH_MAX_CMDS; k++) {
			uint32_t len = 64 * 1024;

			bufs[nbufs] = calloc(1, len);
			memset(&cmd, 0, sizeof(cmd));
			cmd.opc = NVTCP_NVME_OPC_WRITE;
			cmd.nsid = 1;
			nvtcp_nvme_rw_set(&cmd, 1024 + (uint64_t)k * 128, len / c.block_size, 0);
			CHECK(th_submit(&c.io[i], &cmd, bufs[nbufs], len, false) >= 0,
			      "qid %u: submit", i + 1);
			nbufs++;
		}
	}
	st = th_prop_set(&c.admin, NVTCP_NVME_PROP_CC, 0);
	CHECK(st == 0, "CC.EN = 0: 0x%04x", st);
	CHECK(wait_csts(&c.admin, NVTCP_NVME_CSTS_RDY, 0, &csts), "CSTS.RDY still 1 (0x%llx)",
	      (unsigned long long)csts);
	/* RDY 0 means the reset is done: the I/O queues are gone already. */
	for (uint32_t i = 0; i < nq; i++) {
		CHECK(th_wait_closed(&c.io[i], 500), "qid %u still connected after the reset",
		      i + 1);
	}
	if (g_failures == 0) {
		printf("ok CC.EN 0: %u I/O queues with writes in flight deleted, then CSTS.RDY 0\n",
		       nq);
	}
	/* Disabled: an I/O queue cannot connect. */
	if (th_open(&extra, a->addr, a->port, a->hdgst, a->ddgst, "extra") == 0) {
		st = th_fabrics_connect(&extra, 1, 63, a->subnqn, th_hostnqn, th_hostid, c.cntlid,
					0, 0, NULL);
		CHECK(ST_SC(st) == NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR,
		      "I/O Connect while disabled: 0x%04x", st);
		th_close(&extra);
	}
	/* Enabled again: the same QIDs connect (not Controller Busy: the old queues are gone
	 * even though we have not closed our side of them yet) and serve verified I/O. */
	old_io = c.io;
	old_nio = c.nio;
	c.io = NULL;
	c.nio = 0;
	st = th_enable(&c.admin, nvtcp_nvme_cc_enable_value(0));
	CHECK(st == 0, "enable again: %d", st);
	fails = g_failures;
	if (st == 0 && ctrl_add_io(&c, a, nq, 0) == 0) {
		for (uint32_t i = 0; i < nq; i++) {
			rw_check(&c, &c.io[i], i * 64, 16, 1);
		}
		if (g_failures == fails) {
			printf("ok re-enabled: QIDs 1..%u connected again, verified I/O\n", nq);
		}
	}
	for (uint32_t i = 0; i < old_nio; i++) {
		th_close(&old_io[i]);
	}
	free(old_io);
	fails = g_failures;
	/* Shutdown with the I/O queues connected: they go, then SHST complete and RDY 0. */
	st = th_shutdown(&c.admin);
	CHECK(st == 0, "shutdown: %d", st);
	for (uint32_t i = 0; i < c.nio; i++) {
		CHECK(th_wait_closed(&c.io[i], 500), "qid %u still connected after the shutdown",
		      i + 1);
	}
	CHECK(wait_csts(&c.admin, NVTCP_NVME_CSTS_RDY, 0, &csts), "CSTS 0x%llx after shutdown",
	      (unsigned long long)csts);
	if (g_failures == fails) {
		printf("ok CC.SHN: I/O queues deleted, SHST complete\n");
	}
	ctrl_close(&c);
	for (int i = 0; i < nbufs; i++) {
		free(bufs[i]);
	}
	printf("RESET %s\n", g_failures ? "FAILED" : "PASSED");
	return g_failures ? 1 : 0;
}

/* ---- garbage ------------------------------------------------------------------------------ */

/* A fresh connection past ICReq/ICResp, Connect and (for qid 0) CC.EN. */
static int
live_queue(struct th_queue *q, const struct args *a, bool hdgst, bool ddgst, uint16_t qid,
	   uint16_t cntlid, const char *name)
{
	if (th_open(q, a->addr, a->port, hdgst, ddgst, name) != 0) {
		return -1;
	}
	if (th_fabrics_connect(q, qid, 31, a->subnqn, th_hostnqn, th_hostid, cntlid, 0, 0,
			       NULL) != 0) {
		return -1;
	}
	if (qid == 0 && th_enable(q, nvtcp_nvme_cc_enable_value(0)) != 0) {
		return -1;
	}
	return 0;
}

static void
expect_term(struct th_queue *q, const char *what, uint16_t fes, uint32_t fei)
{
	bool term = th_wait_term(q, 5000);

	CHECK(term && q->term_fes == fes && q->term_fei == fei,
	      "%s: C2HTermReq %s FES 0x%x FEI %u, expected FES 0x%x FEI %u", what,
	      term ? "got" : "missing", q->term_fes, q->term_fei, fes, fei);
	CHECK(th_wait_closed(q, 5000), "%s: connection not closed after the TermReq", what);
	if (term && q->term_fes == fes && q->term_fei == fei) {
		printf("ok %s -> C2HTermReq FES 0x%x FEI %u, closed\n", what, fes, fei);
	}
}

static void
garbage_framing(const struct args *a)
{
	struct th_queue q;
	uint8_t pdu[256];
	struct nvtcp_tcp_icreq icreq;
	struct nvtcp_tcp_ic_opts o;

	nvtcp_tcp_ic_opts_init(&o);
	/* A PDU type a host never sends (CapsuleResp). */
	if (th_open_raw(&q, a->addr, a->port, "bad-type") == 0) {
		memset(pdu, 0, sizeof(pdu));
		pdu[0] = NVTCP_TCP_PDU_CAPSULE_RESP;
		pdu[2] = 24;
		pdu[4] = 24;
		th_send_raw(&q, pdu, 24);
		expect_term(&q, "host sends a CapsuleResp", NVTCP_TCP_FES_INVALID_HEADER_FIELD, 0);
	}
	th_close(&q);
	/* An undefined PDU type. */
	if (th_open_raw(&q, a->addr, a->port, "type-8") == 0) {
		memset(pdu, 0, sizeof(pdu));
		pdu[0] = 0x08;
		pdu[2] = 24;
		pdu[4] = 24;
		th_send_raw(&q, pdu, 24);
		expect_term(&q, "PDU type 0x08", NVTCP_TCP_FES_INVALID_HEADER_FIELD, 0);
	}
	th_close(&q);
	/* A CapsuleCmd before ICReq. */
	if (th_open_raw(&q, a->addr, a->port, "no-icreq") == 0) {
		memset(pdu, 0, sizeof(pdu));
		pdu[0] = NVTCP_TCP_PDU_CAPSULE_CMD;
		pdu[2] = 72;
		pdu[4] = 72;
		th_send_raw(&q, pdu, 72);
		expect_term(&q, "CapsuleCmd before ICReq", NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	}
	th_close(&q);
	/* ICReq with PFV 1. */
	if (th_open_raw(&q, a->addr, a->port, "pfv") == 0) {
		nvtcp_tcp_icreq_build(&icreq, &o);
		icreq.pfv = 1;
		th_send_raw(&q, &icreq, sizeof(icreq));
		expect_term(&q, "ICReq PFV 1", NVTCP_TCP_FES_UNSUPPORTED_PARAMETER, 8);
	}
	th_close(&q);
	/* ICReq with HPDA 32. */
	if (th_open_raw(&q, a->addr, a->port, "hpda") == 0) {
		nvtcp_tcp_icreq_build(&icreq, &o);
		icreq.hpda = 32;
		th_send_raw(&q, &icreq, sizeof(icreq));
		expect_term(&q, "ICReq HPDA 32", NVTCP_TCP_FES_INVALID_HEADER_FIELD, 10);
	}
	th_close(&q);
	/* ICReq with a wrong hlen. */
	if (th_open_raw(&q, a->addr, a->port, "hlen") == 0) {
		nvtcp_tcp_icreq_build(&icreq, &o);
		icreq.ch.hlen = 64;
		th_send_raw(&q, &icreq, sizeof(icreq));
		expect_term(&q, "ICReq hlen 64", NVTCP_TCP_FES_INVALID_HEADER_FIELD, 2);
	}
	th_close(&q);
	/* A second ICReq. */
	if (th_open(&q, a->addr, a->port, false, false, "icreq2") == 0) {
		nvtcp_tcp_icreq_build(&icreq, &o);
		th_send_raw(&q, &icreq, sizeof(icreq));
		expect_term(&q, "second ICReq", NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	}
	th_close(&q);
	/* A CapsuleCmd with hlen 64. */
	if (th_open(&q, a->addr, a->port, false, false, "cmd-hlen") == 0) {
		memset(pdu, 0, sizeof(pdu));
		pdu[0] = NVTCP_TCP_PDU_CAPSULE_CMD;
		pdu[2] = 64;
		pdu[4] = 72;
		th_send_raw(&q, pdu, 72);
		expect_term(&q, "CapsuleCmd hlen 64", NVTCP_TCP_FES_INVALID_HEADER_FIELD, 2);
	}
	th_close(&q);
	/* A CapsuleCmd announcing 64 MiB of data. */
	if (th_open(&q, a->addr, a->port, false, false, "plen") == 0) {
		uint32_t plen = 64u << 20;

		memset(pdu, 0, sizeof(pdu));
		pdu[0] = NVTCP_TCP_PDU_CAPSULE_CMD;
		pdu[2] = 72;
		pdu[3] = 72;
		memcpy(pdu + 4, &plen, 4);
		th_send_raw(&q, pdu, 72);
		expect_term(&q, "CapsuleCmd plen 64 MiB", NVTCP_TCP_FES_INVALID_HEADER_FIELD, 4);
	}
	th_close(&q);
	/* A header digest error. */
	if (th_open(&q, a->addr, a->port, true, false, "hdgst") == 0) {
		memset(pdu, 0, sizeof(pdu));
		pdu[0] = NVTCP_TCP_PDU_CAPSULE_CMD;
		pdu[1] = NVTCP_TCP_FLAG_HDGSTF;
		pdu[2] = 72;
		pdu[4] = 76;
		th_send_raw(&q, pdu, 76);
		expect_term(&q, "wrong header digest", NVTCP_TCP_FES_HDGST_ERROR, 0);
	}
	th_close(&q);
	/* H2CData with a transfer tag nobody issued. */
	if (th_open(&q, a->addr, a->port, false, false, "ttag") == 0) {
		struct nvtcp_tcp_h2c_data *h = (void *)pdu;

		memset(pdu, 0, sizeof(pdu));
		h->ch.pdu_type = NVTCP_TCP_PDU_H2C_DATA;
		h->ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
		h->ch.hlen = 24;
		h->ch.pdo = 24;
		h->ch.plen = 28;
		h->ttag = 77;
		h->datal = 4;
		th_send_raw(&q, pdu, 28);
		expect_term(&q, "H2CData with an unknown TTAG", NVTCP_TCP_FES_INVALID_HEADER_FIELD, 10);
	}
	th_close(&q);
	/* An H2CTermReq from the host: the target closes. */
	if (th_open(&q, a->addr, a->port, false, false, "h2cterm") == 0) {
		memset(pdu, 0, sizeof(pdu));
		pdu[0] = NVTCP_TCP_PDU_H2C_TERM_REQ;
		pdu[2] = 24;
		pdu[4] = 24;
		pdu[8] = NVTCP_TCP_FES_PDU_SEQUENCE_ERROR;
		th_send_raw(&q, pdu, 24);
		CHECK(th_wait_closed(&q, 5000), "H2CTermReq: connection not closed");
		printf("ok H2CTermReq from the host -> closed\n");
	}
	th_close(&q);
}

/* Sends a write of 64 KiB by R2T and answers its R2T wrongly. */
static void
garbage_h2c(const struct args *a, uint16_t cntlid, const char *what, int mode, uint16_t fes,
	    uint32_t fei)
{
	struct th_queue q;
	struct nvtcp_nvme_cmd cmd;
	uint8_t pdu[128];
	struct nvtcp_tcp_r2t r2t;
	struct nvtcp_tcp_h2c_data *h = (void *)pdu;
	uint32_t len = 64 * 1024;
	size_t got = 0;

	if (live_queue(&q, a, false, false, 1, cntlid, "h2c") != 0) {
		CHECK(0, "%s: cannot set up a queue", what);
		th_close(&q);
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_WRITE;
	cmd.nsid = 1;
	cmd.cid = 9;
	cmd.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	nvtcp_nvme_rw_set(&cmd, 0, len / 512, 0);
	nvtcp_nvme_sgl_set_transport(&cmd.dptr.sgl1, len);
	memset(pdu, 0, sizeof(pdu));
	pdu[0] = NVTCP_TCP_PDU_CAPSULE_CMD;
	pdu[2] = 72;
	pdu[4] = 72;
	memcpy(pdu + 8, &cmd, sizeof(cmd));
	th_send_raw(&q, pdu, 72);
	/* The R2T (24 bytes, no digest). */
	while (got < sizeof(r2t)) {
		ssize_t r = read(q.fd, (uint8_t *)&r2t + got, sizeof(r2t) - got);

		if (r <= 0) {
			break;
		}
		got += (size_t)r;
	}
	CHECK(got == sizeof(r2t) && r2t.ch.pdu_type == NVTCP_TCP_PDU_R2T && r2t.r2tl == len,
	      "%s: no R2T for the whole write", what);
	memset(pdu, 0, sizeof(pdu));
	h->ch.pdu_type = NVTCP_TCP_PDU_H2C_DATA;
	h->ch.hlen = 24;
	h->ch.pdo = 24;
	h->ch.plen = 24 + 4096;
	h->cccid = 9;
	h->ttag = r2t.ttag;
	h->datao = 0;
	h->datal = 4096;
	switch (mode) {
	case 0: /* wrong offset */
		h->datao = 8192;
		break;
	case 1: /* beyond the R2T */
		h->datao = len - 2048;
		h->ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
		break;
	case 2: /* LAST_PDU on the first PDU */
		h->ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
		break;
	case 3: /* wrong CID */
		h->cccid = 10;
		break;
	default:
		break;
	}
	{
		static uint8_t data[4096];

		th_send_raw(&q, pdu, 24);
		th_send_raw(&q, data, sizeof(data));
	}
	expect_term(&q, what, fes, fei);
	th_close(&q);
}

static void
expect_status(int st, uint16_t want, const char *what)
{
	CHECK(st >= 0 && (st & 0x7FFE) == want, "%s: status 0x%04x, expected 0x%04x", what, st,
	      want);
	if (st >= 0 && (st & 0x7FFE) == want) {
		printf("ok %s -> status 0x%04x\n", what, st);
	}
}

static void
garbage_commands(const struct args *a)
{
	struct th_queue adm, io, q;
	struct nvtcp_nvme_cmd cmd;
	struct nvtcp_nvme_cpl cpl;
	uint8_t buf[8192];
	int st;

	/* A command before Connect. */
	if (th_open(&q, a->addr, a->port, false, false, "pre-connect") == 0) {
		st = th_identify(&q, NVTCP_NVME_IDENTIFY_CTRLR, 0, buf);
		expect_status(st, ST(0, NVTCP_NVME_SC_INVALID_OPCODE), "Identify before Connect");
	}
	th_close(&q);
	/* Connect to an unknown subsystem: 0x4182 with IPO = subnqn in the data. */
	if (th_open(&q, a->addr, a->port, false, false, "bad-nqn") == 0) {
		st = th_fabrics_connect(&q, 0, 31, "nqn.2024-01.io.nvtcp:no-such-subsystem",
					th_hostnqn, th_hostid, 0xFFFF, 0, 0, &cpl);
		expect_status(st, ST(1, NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS),
			      "Connect to an unknown NQN");
		CHECK(nvtcp_nvmf_connect_rsp_ipo(cpl.cdw0) == 256 &&
		      nvtcp_nvmf_connect_rsp_iattr(cpl.cdw0) == 1, "IPO/IATTR 0x%x", cpl.cdw0);
		/* The queue can still connect properly afterwards. */
		st = th_fabrics_connect(&q, 0, 31, a->subnqn, th_hostnqn, th_hostid, 0xFFFF, 0, 0,
					NULL);
		expect_status(st, 0, "Connect after a refused Connect");
	}
	th_close(&q);
	if (a->denied_subnqn != NULL && th_open(&q, a->addr, a->port, false, false, "denied") == 0) {
		st = th_fabrics_connect(&q, 0, 31, a->denied_subnqn, th_hostnqn, th_hostid, 0xFFFF,
					0, 0, NULL);
		expect_status(st, ST(1, NVTCP_NVMF_SC_CONNECT_INVALID_HOST),
			      "Connect of a host not on the allow list");
		th_close(&q);
		/* Nor does the discovery log show that subsystem to this host. */
	}
	if (live_queue(&adm, a, false, false, 0, 0xFFFF, "adm") != 0) {
		CHECK(0, "admin queue set-up failed");
		th_close(&adm);
		return;
	}
	/* Connect of an I/O queue with a wrong controller ID or host. */
	if (th_open(&q, a->addr, a->port, false, false, "bad-cntlid") == 0) {
		st = th_fabrics_connect(&q, 1, 31, a->subnqn, th_hostnqn, th_hostid,
					(uint16_t)(adm.cntlid + 1000), 0, 0, &cpl);
		expect_status(st, ST(1, NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS),
			      "I/O Connect with an unknown cntlid");
		CHECK(nvtcp_nvmf_connect_rsp_ipo(cpl.cdw0) == 16, "IPO %u",
		      nvtcp_nvmf_connect_rsp_ipo(cpl.cdw0));
		st = th_fabrics_connect(&q, 1, 31, a->subnqn,
					"nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001",
					th_hostid, adm.cntlid, 0, 0, &cpl);
		expect_status(st, ST(1, NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS),
			      "I/O Connect of another host");
		st = th_fabrics_connect(&q, 1, 0, a->subnqn, th_hostnqn, th_hostid, adm.cntlid, 0, 0,
					&cpl);
		expect_status(st, ST(1, NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS),
			      "I/O Connect with SQSIZE 0");
	}
	th_close(&q);
	if (live_queue(&io, a, false, false, 1, adm.cntlid, "io") != 0) {
		CHECK(0, "I/O queue set-up failed");
		th_close(&io);
		th_close(&adm);
		return;
	}
	/* The same queue ID twice. */
	if (th_open(&q, a->addr, a->port, false, false, "dup-qid") == 0) {
		st = th_fabrics_connect(&q, 1, 31, a->subnqn, th_hostnqn, th_hostid, adm.cntlid, 0, 0,
					NULL);
		expect_status(st, ST(1, NVTCP_NVMF_SC_CONTROLLER_BUSY), "I/O Connect of a taken qid");
	}
	th_close(&q);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = 0xEE;
	expect_status(th_exec(&adm, &cmd, NULL, 0, false, NULL), ST(0, NVTCP_NVME_SC_INVALID_OPCODE),
		      "unknown admin opcode");
	expect_status(th_exec(&io, &cmd, NULL, 0, false, NULL), ST(0, NVTCP_NVME_SC_INVALID_OPCODE),
		      "unknown I/O opcode");
	/* Reads out of range, of a missing namespace, with a wrong SGL length. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_READ;
	cmd.nsid = 1;
	nvtcp_nvme_rw_set(&cmd, 0xFFFFFFFFull, 1, 0);
	expect_status(th_exec(&io, &cmd, buf, 512, false, NULL), ST(0, NVTCP_NVME_SC_LBA_OUT_OF_RANGE),
		      "read beyond the namespace");
	cmd.nsid = 77;
	nvtcp_nvme_rw_set(&cmd, 0, 1, 0);
	expect_status(th_exec(&io, &cmd, buf, 512, false, NULL),
		      ST(0, NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT), "read of NSID 77");
	cmd.nsid = 1;
	nvtcp_nvme_rw_set(&cmd, 0, 2, 0);
	expect_status(th_exec(&io, &cmd, buf, 512, false, NULL),
		      ST(0, NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID), "read with a short SGL");
	/* A write whose digest is wrong: Transient Transport Error, the queue stays. */
	th_close(&q);
	if (live_queue(&q, a, false, true, 2, adm.cntlid, "ddgst") == 0) {
		int cid;

		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = NVTCP_NVME_OPC_WRITE;
		cmd.nsid = 1;
		nvtcp_nvme_rw_set(&cmd, 0, 16, 0);
		cid = th_submit(&q, &cmd, buf, 8192, false);
		q.cmds[cid % TH_MAX_CMDS].h2c_corrupt_ddgst = 1;
		st = th_wait(&q, cid, &cpl) == 0 ? cpl.status & 0xFFFE : -1;
		expect_status(st, ST(0, NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR),
			      "H2CData with a wrong data digest");
		nvtcp_nvme_rw_set(&cmd, 0, 16, 0);
		cmd.opc = NVTCP_NVME_OPC_READ;
		expect_status(th_exec(&q, &cmd, buf, 8192, false, NULL), 0,
			      "read on the same queue afterwards");
	}
	th_close(&q);
	/* Two commands with the same CID in one segment. */
	{
		uint8_t two[144];
		struct nvtcp_nvme_cmd *c1 = (void *)(two + 8), *c2 = (void *)(two + 80);

		memset(two, 0, sizeof(two));
		for (int i = 0; i < 2; i++) {
			two[72 * i] = NVTCP_TCP_PDU_CAPSULE_CMD;
			two[72 * i + 2] = 72;
			two[72 * i + 4] = 72;
		}
		c1->opc = NVTCP_NVME_OPC_FLUSH;
		c1->nsid = 1;
		c1->cid = 200;
		c1->flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
		*c2 = *c1;
		memset(&io.cmds[200 % TH_MAX_CMDS], 0, sizeof(io.cmds[0]));
		io.cmds[200 % TH_MAX_CMDS].busy = true;
		io.cmds[200 % TH_MAX_CMDS].allow_dup = true;
		io.cmds[200 % TH_MAX_CMDS].sqe = *c1;
		th_send_raw(&io, two, sizeof(two));
		for (int i = 0; i < 40 && !io.cmds[200 % TH_MAX_CMDS].dup_done; i++) {
			th_poll(&io, 50);
		}
		{
			struct th_cmd *tc = &io.cmds[200 % TH_MAX_CMDS];
			uint16_t s1 = tc->cpl.status & 0xFFFE, s2 = tc->dup_cpl.status & 0xFFFE;

			st = !tc->done || !tc->dup_done ? -1 : s1 != 0 ? s1 : s2;
			CHECK(tc->done && tc->dup_done && (s1 == 0 || s2 == 0),
			      "duplicate CID: completions %d/%d status 0x%x/0x%x", tc->done,
			      tc->dup_done, s1, s2);
			tc->busy = false;
		}
		expect_status(st, ST(0, NVTCP_NVME_SC_COMMAND_ID_CONFLICT), "duplicate CID");
	}
	/* Properties: CAP cannot be written, a 4-byte read of CAP is refused. */
	expect_status(th_prop_set(&adm, NVTCP_NVME_PROP_CAP, 1), ST(0, NVTCP_NVME_SC_INVALID_FIELD),
		      "Property Set of CAP");
	expect_status(th_prop_get(&adm, NVTCP_NVME_PROP_CAP, false, NULL),
		      ST(0, NVTCP_NVME_SC_INVALID_FIELD), "4-byte Property Get of CAP");
	/* The Disconnect of an I/O queue closes it. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	((uint8_t *)&cmd)[4] = NVTCP_NVMF_FCTYPE_DISCONNECT;
	expect_status(th_exec(&io, &cmd, NULL, 0, false, NULL), 0, "Fabrics Disconnect");
	CHECK(th_wait_closed(&io, 3000), "queue not closed after Disconnect");
	th_close(&io);
	/* Bad H2CData on fresh queues (qid 1 is free again). */
	garbage_h2c(a, adm.cntlid, "H2CData at the wrong offset", 0,
		    NVTCP_TCP_FES_INVALID_HEADER_FIELD, 12);
	garbage_h2c(a, adm.cntlid, "H2CData beyond its R2T", 1, NVTCP_TCP_FES_DATA_OUT_OF_RANGE, 12);
	garbage_h2c(a, adm.cntlid, "H2CData LAST_PDU too early", 2,
		    NVTCP_TCP_FES_INVALID_HEADER_FIELD, 1);
	garbage_h2c(a, adm.cntlid, "H2CData of another CID", 3, NVTCP_TCP_FES_INVALID_HEADER_FIELD,
		    8);
	/* CC with the wrong entry sizes on a fresh controller: CFS. */
	if (th_open(&q, a->addr, a->port, false, false, "cfs") == 0 &&
	    th_fabrics_connect(&q, 0, 31, a->subnqn, th_hostnqn, th_hostid, 0xFFFF, 0, 0, NULL) ==
	    0) {
		uint64_t csts = 0;

		th_prop_set(&q, NVTCP_NVME_PROP_CC, NVTCP_NVME_CC_EN);
		th_prop_get(&q, NVTCP_NVME_PROP_CSTS, false, &csts);
		CHECK(csts == NVTCP_NVME_CSTS_CFS, "CC=1: CSTS 0x%llx", (unsigned long long)csts);
		if (csts == NVTCP_NVME_CSTS_CFS) {
			printf("ok CC.EN without IOSQES/IOCQES -> CSTS.CFS\n");
		}
	}
	th_close(&q);
	th_close(&adm);
}

/* Overfilling a queue: bounded, the target answers or terminates but does not grow. */
static void
garbage_flood(const struct args *a)
{
	struct th_queue adm, io;
	uint8_t *pdus;
	const uint32_t n = 32 + 40; /* SQSIZE 31: 32 entries, then 40 more */
	uint32_t errors = 0, ok = 0;

	if (live_queue(&adm, a, false, false, 0, 0xFFFF, "flood-adm") != 0 ||
	    live_queue(&io, a, false, false, 1, adm.cntlid, "flood-io") != 0) {
		CHECK(0, "flood: set-up failed");
		th_close(&io);
		th_close(&adm);
		return;
	}
	pdus = calloc(n, 72);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *p = pdus + 72 * i;
		struct nvtcp_nvme_cmd *c = (void *)(p + 8);

		p[0] = NVTCP_TCP_PDU_CAPSULE_CMD;
		p[2] = 72;
		p[4] = 72;
		c->opc = NVTCP_NVME_OPC_FLUSH;
		c->nsid = 1;
		c->cid = (uint16_t)(1000 + i);
		c->flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
		memset(&io.cmds[c->cid % TH_MAX_CMDS], 0, sizeof(io.cmds[0]));
		io.cmds[c->cid % TH_MAX_CMDS].busy = true;
		io.cmds[c->cid % TH_MAX_CMDS].sqe = *c;
	}
	th_send_raw(&io, pdus, (size_t)n * 72);
	for (int i = 0; i < 50 && !io.term && !io.closed; i++) {
		th_poll(&io, 50);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct th_cmd *c = &io.cmds[(1000 + i) % TH_MAX_CMDS];

		if (c->done) {
			(c->cpl.status & 0xFFFE) ? errors++ : ok++;
		}
	}
	CHECK(ok + errors == n || io.term, "flood: %u ok, %u errors, term %d of %u", ok, errors,
	      io.term, n);
	printf("ok %u commands on a queue of 32: %u completed, %u refused%s\n", n, ok, errors,
	       io.term ? ", then C2HTermReq" : "");
	free(pdus);
	th_close(&io);
	th_close(&adm);
}

static int
cmd_garbage(const struct args *a)
{
	garbage_framing(a);
	garbage_commands(a);
	garbage_flood(a);
	printf("GARBAGE %s\n", g_failures ? "FAILED" : "PASSED");
	return g_failures ? 1 : 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: tgt_host verify|kato|garbage|reset --port P --subnqn NQN "
		"[--addr A] "
		"[--digest none|hdgst|ddgst|both] [--qpairs N] [--ios N] [--qd N] [--seed S] "
		"[--max-bs B] [--denied-subnqn NQN]\n"
		"       tgt_host dump --port P --subnqn NQN --out FILE --bytes N\n"
		"       tgt_host tls --port P --psk FILE --hostnqn A --subnqn X ... (tls --help)\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"addr", required_argument, NULL, 'a'}, {"port", required_argument, NULL, 'p'},
		{"subnqn", required_argument, NULL, 'n'}, {"digest", required_argument, NULL, 'd'},
		{"qpairs", required_argument, NULL, 'q'}, {"ios", required_argument, NULL, 'i'},
		{"qd", required_argument, NULL, 'Q'}, {"seed", required_argument, NULL, 's'},
		{"max-bs", required_argument, NULL, 'b'},
		{"denied-subnqn", required_argument, NULL, 'D'},
		{"out", required_argument, NULL, 'o'}, {"bytes", required_argument, NULL, 'B'},
		{NULL, 0, NULL, 0},
	};
	struct args a = {.addr = "127.0.0.1", .qpairs = 4, .ios = 2000, .qd = 4,
			 .max_bs = 1024 * 1024, .seed = (uint64_t)time(NULL)};
	const char *mode;
	int ch;

	if (argc < 2) {
		usage();
		return 2;
	}
	mode = argv[1];
	if (strcmp(mode, "tls") == 0) {
		return tgt_host_tls_main(argc, argv);
	}
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': a.addr = optarg; break;
		case 'p': a.port = optarg; break;
		case 'n': a.subnqn = optarg; break;
		case 'D': a.denied_subnqn = optarg; break;
		case 'd':
			a.hdgst = strcmp(optarg, "hdgst") == 0 || strcmp(optarg, "both") == 0;
			a.ddgst = strcmp(optarg, "ddgst") == 0 || strcmp(optarg, "both") == 0;
			break;
		case 'q': a.qpairs = (uint32_t)atoi(optarg); break;
		case 'i': a.ios = (uint32_t)atoi(optarg); break;
		case 'Q': a.qd = (uint32_t)atoi(optarg); break;
		case 's': a.seed = strtoull(optarg, NULL, 0); break;
		case 'b': a.max_bs = (uint32_t)atoi(optarg); break;
		case 'o': a.out = optarg; break;
		case 'B': a.bytes = strtoull(optarg, NULL, 0); break;
		default: usage(); return 2;
		}
	}
	if (a.port == NULL || a.subnqn == NULL || a.qpairs == 0 || a.qd == 0 || a.max_bs < 4096) {
		usage();
		return 2;
	}
	g_rng = a.seed ? a.seed : 1;
	printf("tgt_host %s: %s:%s %s, seed %llu\n", mode, a.addr, a.port, a.subnqn,
	       (unsigned long long)a.seed);
	if (strcmp(mode, "verify") == 0) {
		return cmd_verify(&a);
	}
	if (strcmp(mode, "kato") == 0) {
		return cmd_kato(&a);
	}
	if (strcmp(mode, "garbage") == 0) {
		return cmd_garbage(&a);
	}
	if (strcmp(mode, "reset") == 0) {
		return cmd_reset(&a);
	}
	if (strcmp(mode, "dump") == 0) {
		if (a.out == NULL || a.bytes == 0) {
			usage();
			return 2;
		}
		return cmd_dump(&a);
	}
	usage();
	return 2;
}
