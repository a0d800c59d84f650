/*
 * tgt_ana_host: Asymmetric Namespace Access of nvtcp_tgt seen by a host over two paths.
 *
 *   tgt_ana_host --port1 P1 --port2 P2 --subnqn NQN --flip SCRIPT
 *
 * Setup expected (tgt_ana.sh makes it): the subsystem listens on P1 (optimized) and P2
 * (inaccessible) as its own listeners; max_namespaces 4; NSID 1 and 2 in ANA group 1, NSID 3
 * in its own group 3. "SCRIPT PORTNUM STATE [ANAGRPID]" changes the state of listener 1 or 2 by
 * RPC (the target keeps the connections).
 *
 * Checks: Identify Controller (CMIC, OAES, ANACAP, ANATT, ANAGRPMAX, NANAGRPID, MNAN) and
 * Namespace (ANAGRPID); the ANA log (header, descriptors, NSIDs, RGO, partial reads, bad
 * offsets); I/O through each path (Path Related statuses: inaccessible, persistent loss,
 * change); the ANA change AEN on the controllers whose view changed only; Retain Async Event.
 * Prints one line per check and "ANA PASSED" / "ANA FAILED"; exit 0 / 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tgt_host.h"

static int g_failures;

#define CHECK(cond, ...)                                                                      \
	do {                                                                                  \
		if (cond) {                                                                   \
			printf("ok   ");                                                      \
		} else {                                                                      \
			printf("FAIL ");                                                      \
			g_failures++;                                                         \
		}                                                                             \
		printf(__VA_ARGS__);                                                          \
		printf("\n");                                                                 \
	} while (0)

struct path {
	const char *port;
	struct th_queue admin;
	struct th_queue io;
	int aer_cid;
};

static const char *g_subnqn;
static const char *g_flip;

static int
path_open(struct path *p, const char *port)
{
	int st;

	memset(p, 0, sizeof(*p));
	p->port = port;
	p->aer_cid = -1;
	if (th_open(&p->admin, "127.0.0.1", port, false, false, "admin") != 0) {
		return -1;
	}
	st = th_fabrics_connect(&p->admin, 0, 31, g_subnqn, th_hostnqn, th_hostid, 0xFFFF, 0, 0,
				NULL);
	if (st != 0 || th_enable(&p->admin, nvtcp_nvme_cc_enable_value(0)) != 0) {
		printf("FAIL port %s: admin Connect/enable status 0x%04x\n", port, st);
		return -1;
	}
	if (th_open(&p->io, "127.0.0.1", port, false, false, "io1") != 0) {
		return -1;
	}
	st = th_fabrics_connect(&p->io, 1, 63, g_subnqn, th_hostnqn, th_hostid, p->admin.cntlid, 0,
				0, NULL);
	if (st != 0) {
		printf("FAIL port %s: I/O Connect status 0x%04x\n", port, st);
		return -1;
	}
	return 0;
}

static void
flip(int portnum, const char *state, uint32_t grp)
{
	char cmd[1024];
	int rc;

	if (grp != 0) {
		snprintf(cmd, sizeof(cmd), "%s %d %s %u", g_flip, portnum, state, grp);
	} else {
		snprintf(cmd, sizeof(cmd), "%s %d %s", g_flip, portnum, state);
	}
	rc = system(cmd);
	CHECK(rc == 0, "RPC: listener %d group %u -> %s (exit %d)", portnum, grp, state, rc);
}

/* Status of a 4 KiB write (or read) at LBA 8 of \p nsid; \p buf 4096 bytes. */
static int
io(struct path *p, uint8_t opc, uint32_t nsid, void *buf)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = opc;
	cmd.nsid = nsid;
	nvtcp_nvme_rw_set(&cmd, 8, 8, 0);
	return th_exec(&p->io, &cmd, buf, 4096, opc == NVTCP_NVME_OPC_WRITE, NULL);
}

static int
get_log(struct path *p, bool rae, bool rgo, void *buf, uint32_t len, uint64_t off)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_GET_LOG_PAGE;
	cmd.nsid = 0xFFFFFFFFu;
	nvtcp_nvme_get_log_page_set(&cmd, NVTCP_NVME_LOG_ANA, rae, len, off);
	if (rgo) {
		cmd.cdw10 |= NVTCP_NVME_ANA_LOG_LSP_RGO;
	}
	return th_exec(&p->admin, &cmd, buf, len, false, NULL);
}

/* The state of group \p grp in a full ANA log, or -1; also checks the layout. */
static int
log_state(struct path *p, uint32_t grp, uint64_t *chgcnt, bool rae)
{
	uint8_t buf[4096];
	struct nvtcp_nvme_ana_log_hdr h;
	size_t off = sizeof(h);
	int state = -1;

	memset(buf, 0xAA, sizeof(buf));
	if (get_log(p, rae, false, buf, sizeof(buf), 0) != 0) {
		return -1;
	}
	memcpy(&h, buf, sizeof(h));
	if (chgcnt != NULL) {
		*chgcnt = h.chgcnt;
	}
	for (uint16_t i = 0; i < h.ngrps && off + 32 <= sizeof(buf); i++) {
		struct nvtcp_nvme_ana_group_desc d;

		memcpy(&d, buf + off, sizeof(d));
		if (d.anagrpid == grp) {
			state = d.state;
		}
		off += sizeof(d) + 4u * d.nnsids;
	}
	return state;
}

static void
arm_aer(struct path *p)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST;
	p->aer_cid = th_submit(&p->admin, &cmd, NULL, 0, false);
}

/* Wait up to \p ms for the AER: true when it completed as an ANA change notice. */
static bool
aer_ana(struct path *p, int ms)
{
	struct th_cmd *c;

	if (p->aer_cid < 0) {
		return false;
	}
	c = &p->admin.cmds[p->aer_cid];
	if (!c->done) {
		(void)th_poll(&p->admin, ms);
	}
	if (!c->done) {
		return false;
	}
	p->aer_cid = -1;
	c->busy = false;
	return (c->cpl.status & 0xFFFE) == 0 &&
	       nvtcp_nvme_aer_type(c->cpl.cdw0) == NVTCP_NVME_AER_TYPE_NOTICE &&
	       nvtcp_nvme_aer_info(c->cpl.cdw0) == NVTCP_NVME_AER_NOTICE_ANA_CHANGE &&
	       nvtcp_nvme_aer_log_page(c->cpl.cdw0) == NVTCP_NVME_LOG_ANA;
}

static uint16_t
path_st(uint8_t sc)
{
	return nvtcp_nvme_status(NVTCP_NVME_SCT_PATH, sc, false);
}

static void
check_identify(struct path *p)
{
	struct nvtcp_nvme_ctrlr_data cd;
	struct nvtcp_nvme_ns_data nd;

	CHECK(th_identify(&p->admin, NVTCP_NVME_IDENTIFY_CTRLR, 0, &cd) == 0,
	      "port %s: Identify Controller", p->port);
	CHECK((cd.cmic & 0x0B) == 0x0B, "CMIC 0x%02x: multi-port, multi-controller, ANA", cd.cmic);
	CHECK(cd.oaes & NVTCP_NVME_OAES_ANA_CHANGE_NOTICES, "OAES 0x%08x has ANA change notices",
	      cd.oaes);
	CHECK(cd.anacap == 0x5F, "ANACAP 0x%02x (all five states, static ANAGRPID)", cd.anacap);
	CHECK(cd.anatt > 0, "ANATT %u s", cd.anatt);
	CHECK(cd.anagrpmax == 4 && cd.nanagrpid == 4 && cd.mnan == 4 && cd.nn == 4,
	      "ANAGRPMAX %u NANAGRPID %u MNAN %u NN %u (max_namespaces 4)", cd.anagrpmax,
	      cd.nanagrpid, cd.mnan, cd.nn);
	for (uint32_t nsid = 1; nsid <= 3; nsid++) {
		uint32_t want = nsid == 3 ? 3 : 1;

		CHECK(th_identify(&p->admin, NVTCP_NVME_IDENTIFY_NS, nsid, &nd) == 0 &&
		      nd.anagrpid == want && (nd.nmic & 1), "NSID %u: ANAGRPID %u (want %u), NMIC %u",
		      nsid, nd.anagrpid, want, nd.nmic);
	}
}

static void
check_log_layout(struct path *p)
{
	uint8_t buf[4096], part[64];
	struct nvtcp_nvme_ana_log_hdr h;
	struct nvtcp_nvme_ana_group_desc d1, d3;
	uint32_t nsids[3];
	int st;

	memset(buf, 0xAA, sizeof(buf));
	st = get_log(p, true, false, buf, sizeof(buf), 0);
	memcpy(&h, buf, sizeof(h));
	memcpy(&d1, buf + 16, sizeof(d1));
	memcpy(nsids, buf + 48, 8);
	memcpy(&d3, buf + 56, sizeof(d3));
	memcpy(nsids + 2, buf + 88, 4);
	CHECK(st == 0 && h.ngrps == 2, "ANA log: status 0x%04x, %u groups (want 2)", st, h.ngrps);
	CHECK(d1.anagrpid == 1 && d1.nnsids == 2 && nsids[0] == 1 && nsids[1] == 2,
	      "group 1: NSIDs %u,%u (n %u)", nsids[0], nsids[1], d1.nnsids);
	CHECK(d3.anagrpid == 3 && d3.nnsids == 1 && nsids[2] == 3, "group 3: NSID %u (n %u)",
	      nsids[2], d3.nnsids);
	CHECK(buf[92] == 0, "the page ends at 92 bytes, zero-filled after (0x%02x)", buf[92]);
	/* Partial read: the second descriptor alone. */
	st = get_log(p, true, false, part, 32, 56);
	CHECK(st == 0 && memcmp(part, buf + 56, 32) == 0, "offset 56 length 32 = group 3 (0x%04x)",
	      st);
	st = get_log(p, true, false, part, 4, 2);
	CHECK(st == nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true),
	      "offset 2 (not dword aligned): Invalid Field (0x%04x)", st);
	st = get_log(p, true, false, part, 4, 96);
	CHECK(st == nvtcp_nvme_status(NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_FIELD, true),
	      "offset 96 past the 92-byte page: Invalid Field (0x%04x)", st);
	memset(buf, 0xAA, sizeof(buf));
	st = get_log(p, true, true, buf, 128, 0);
	memcpy(&h, buf, sizeof(h));
	memcpy(&d1, buf + 16, sizeof(d1));
	memcpy(&d3, buf + 48, sizeof(d3));
	CHECK(st == 0 && h.ngrps == 2 && d1.anagrpid == 1 && d1.nnsids == 0 && d3.anagrpid == 3 &&
	      d3.nnsids == 0 && buf[80] == 0, "RGO: 2 groups without NSIDs, 80 bytes");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"port1", required_argument, NULL, '1'}, {"port2", required_argument, NULL, '2'},
		{"subnqn", required_argument, NULL, 'n'}, {"flip", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const char *port1 = NULL, *port2 = NULL;
	struct path a, b;
	uint8_t wbuf[4096], rbuf[4096];
	uint64_t cnt0 = 0, cnt1 = 0;
	int ch, st;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case '1': port1 = optarg; break;
		case '2': port2 = optarg; break;
		case 'n': g_subnqn = optarg; break;
		case 'f': g_flip = optarg; break;
		default: return 2;
		}
	}
	if (port1 == NULL || port2 == NULL || g_subnqn == NULL || g_flip == NULL) {
		fprintf(stderr, "usage: tgt_ana_host --port1 P --port2 P --subnqn NQN --flip CMD\n");
		return 2;
	}
	if (path_open(&a, port1) != 0 || path_open(&b, port2) != 0) {
		printf("ANA FAILED\n");
		return 1;
	}
	check_identify(&a);
	check_log_layout(&a);
	CHECK(log_state(&a, 1, &cnt0, true) == NVTCP_NVME_ANA_OPTIMIZED &&
	      log_state(&b, 1, NULL, true) == NVTCP_NVME_ANA_INACCESSIBLE,
	      "initial: group 1 optimized via port 1, inaccessible via port 2");

	for (size_t i = 0; i < sizeof(wbuf); i++) {
		wbuf[i] = (uint8_t)(i * 7 + 3);
	}
	st = io(&a, NVTCP_NVME_OPC_WRITE, 1, wbuf);
	CHECK(st == 0, "write through the optimized path: 0x%04x", st);
	st = io(&b, NVTCP_NVME_OPC_READ, 1, rbuf);
	CHECK(st == path_st(NVTCP_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE),
	      "read through the inaccessible path: 0x%04x (SCT 3 SC 2, DNR clear)", st);
	st = io(&b, NVTCP_NVME_OPC_WRITE, 3, wbuf);
	CHECK(st == path_st(NVTCP_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE),
	      "write of NSID 3 (group 3) through port 2: 0x%04x", st);

	/* Enable ANA change notices on both controllers and hold an AER on each. */
	for (struct path *p = &a; p != NULL; p = p == &a ? &b : NULL) {
		struct nvtcp_nvme_cmd cmd;

		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = NVTCP_NVME_OPC_SET_FEATURES;
		cmd.cdw10 = NVTCP_NVME_FEAT_ASYNC_EVENT_CONFIGURATION;
		cmd.cdw11 = NVTCP_NVME_AEC_ANA_CHANGE_NOTICES;
		st = th_exec(&p->admin, &cmd, NULL, 0, false, NULL);
		CHECK(st == 0, "port %s: Set Features AEC bit 11: 0x%04x", p->port, st);
		arm_aer(p);
	}

	/* Swap: port 1 inaccessible, port 2 optimized. */
	flip(1, "inaccessible", 0);
	flip(2, "optimized", 0);
	CHECK(aer_ana(&a, 3000) && aer_ana(&b, 3000), "both controllers got an ANA change notice");
	CHECK(log_state(&a, 1, &cnt1, false) == NVTCP_NVME_ANA_INACCESSIBLE && cnt1 > cnt0,
	      "port 1 log: inaccessible, change count %llu -> %llu", (unsigned long long)cnt0,
	      (unsigned long long)cnt1);
	CHECK(log_state(&b, 1, NULL, false) == NVTCP_NVME_ANA_OPTIMIZED, "port 2 log: optimized");
	st = io(&b, NVTCP_NVME_OPC_READ, 1, rbuf);
	CHECK(st == 0 && memcmp(rbuf, wbuf, sizeof(rbuf)) == 0,
	      "read through port 2 returns what port 1 wrote: 0x%04x", st);
	st = io(&a, NVTCP_NVME_OPC_READ, 1, rbuf);
	CHECK(st == path_st(NVTCP_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE),
	      "read through port 1 now: 0x%04x", st);

	/* Only the controller whose view changes is told; one group alone. */
	arm_aer(&a);
	arm_aer(&b);
	flip(1, "persistent_loss", 3);
	CHECK(aer_ana(&a, 3000), "port 1 controller: notice for group 3");
	CHECK(!aer_ana(&b, 1000), "port 2 controller: no notice (its view did not change)");
	CHECK(log_state(&a, 3, NULL, true) == NVTCP_NVME_ANA_PERSISTENT_LOSS &&
	      log_state(&a, 1, NULL, true) == NVTCP_NVME_ANA_INACCESSIBLE,
	      "port 1: group 3 persistent loss, group 1 still inaccessible (read with RAE)");
	st = io(&a, NVTCP_NVME_OPC_READ, 3, rbuf);
	CHECK(st == path_st(NVTCP_NVME_SC_ASYMMETRIC_ACCESS_PERSISTENT_LOSS),
	      "NSID 3 through port 1: 0x%04x (SCT 3 SC 1)", st);

	/* RAE set on that read: the event stays masked, a new change is not reported... */
	arm_aer(&a);
	flip(1, "change", 0);
	CHECK(!aer_ana(&a, 1000), "no notice while the log was read with RAE set");
	st = io(&a, NVTCP_NVME_OPC_READ, 1, rbuf);
	CHECK(st == path_st(NVTCP_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION),
	      "NSID 1 through port 1 in change: 0x%04x (SCT 3 SC 3)", st);
	/* ... until it is read without RAE. */
	CHECK(log_state(&a, 1, NULL, false) == NVTCP_NVME_ANA_CHANGE, "port 1 log: change");
	flip(1, "non_optimized", 0);
	CHECK(aer_ana(&a, 3000), "notice again after a read with RAE clear");
	st = io(&a, NVTCP_NVME_OPC_READ, 1, rbuf);
	CHECK(st == 0 && memcmp(rbuf, wbuf, sizeof(rbuf)) == 0,
	      "NSID 1 through the non-optimized port 1: 0x%04x", st);
	CHECK(log_state(&a, 1, NULL, false) == NVTCP_NVME_ANA_NON_OPTIMIZED &&
	      log_state(&a, 3, NULL, false) == NVTCP_NVME_ANA_NON_OPTIMIZED,
	      "port 1 log: every group non-optimized");

	th_shutdown(&a.admin);
	th_shutdown(&b.admin);
	th_close(&a.io);
	th_close(&b.io);
	th_close(&a.admin);
	th_close(&b.admin);
	printf("ANA %s\n", g_failures == 0 ? "PASSED" : "FAILED");
	return g_failures == 0 ? 0 : 1;
}
