/*
 * tgt_host tls: one admin queue over TLS whose PSK identity and Connect NQNs are chosen apart
 * (test/functional/tgt_tls_bind.sh).
 *
 *   tgt_host tls --port P --psk FILE --hostnqn A --subnqn X
 *                [--connect-hostnqn B] [--connect-subnqn Y]
 *                [--expect ok|invalid-host] [--close-mid-record]
 *
 * The handshake offers "NVMe0R0H A X" with the TLS PSK derived from FILE's key; the Connect
 * names B and Y (default A and X). --expect ok: the Connect succeeds, the controller enables
 * and Identify names Y; invalid-host: the Connect completes with Connect Invalid Host
 * (SCT 1h, SC 84h). --close-mid-record (with ok): after Identify, the start of an application
 * data record (header and part of its body) goes straight onto the socket, which is then
 * closed: a peer that dies mid-record.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/nvme_spec.h"
#include "nvtcp/nvmf_spec.h"
#include "tgt_host.h"

#define ST_SC(st) (((st) >> 1) & 0xFF)
#define ST_SCT(st) (((st) >> 9) & 0x7)

static int
usage_tls(void)
{
	fprintf(stderr, "usage: tgt_host tls --port P --psk FILE --hostnqn A --subnqn X "
		"[--connect-hostnqn B] [--connect-subnqn Y] [--expect ok|invalid-host] "
		"[--close-mid-record] [--addr A]\n");
	return 2;
}

int
tgt_host_tls_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"addr", required_argument, NULL, 'a'}, {"port", required_argument, NULL, 'p'},
		{"psk", required_argument, NULL, 'k'}, {"hostnqn", required_argument, NULL, 'h'},
		{"subnqn", required_argument, NULL, 'n'},
		{"connect-hostnqn", required_argument, NULL, 'H'},
		{"connect-subnqn", required_argument, NULL, 'N'},
		{"expect", required_argument, NULL, 'e'},
		{"close-mid-record", no_argument, NULL, 'c'}, {NULL, 0, NULL, 0},
	};
	const char *addr = "127.0.0.1", *port = NULL, *psk = NULL, *host = NULL, *sub = NULL;
	const char *chost = NULL, *csub = NULL, *expect = "ok";
	bool mid_record = false, ok;
	struct nvtcp_nvme_cpl cpl;
	struct th_queue q;
	uint8_t *buf;
	int ch, st;

	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'p': port = optarg; break;
		case 'k': psk = optarg; break;
		case 'h': host = optarg; break;
		case 'n': sub = optarg; break;
		case 'H': chost = optarg; break;
		case 'N': csub = optarg; break;
		case 'e': expect = optarg; break;
		case 'c': mid_record = true; break;
		default: return usage_tls();
		}
	}
	ok = strcmp(expect, "ok") == 0;
	if (port == NULL || psk == NULL || host == NULL || sub == NULL ||
	    (!ok && strcmp(expect, "invalid-host") != 0) || (mid_record && !ok)) {
		return usage_tls();
	}
	chost = chost != NULL ? chost : host;
	csub = csub != NULL ? csub : sub;
	printf("tgt_host tls: identity (%s, %s), Connect (%s, %s), expect %s\n", host, sub,
	       chost, csub, expect);
	if (th_open_raw(&q, addr, port, "tls-admin") != 0) {
		printf("FAIL cannot connect to %s:%s\n", addr, port);
		return 1;
	}
	if (th_tls_start(&q, psk, host, sub) != 0 || th_icreq(&q, false, false) != 0) {
		printf("FAIL no TLS queue (handshake or ICReq)\n");
		th_close(&q);
		return 1;
	}
	memset(&cpl, 0, sizeof(cpl));
	st = th_fabrics_connect(&q, 0, 31, csub, chost, th_hostid, 0xFFFF, 10000, 0, &cpl);
	if (!ok) {
		/* The status names the field: IATTR 1 (data), IPO the NQN's offset. */
		bool want = st > 0 && ST_SCT(st) == NVTCP_NVME_SCT_COMMAND_SPECIFIC &&
			    ST_SC(st) == NVTCP_NVMF_SC_CONNECT_INVALID_HOST;

		printf("%s Connect status 0x%04x (SCT %u SC 0x%02x), cdw0 0x%08x\n",
		       want ? "ok:" : "FAIL", st, st > 0 ? ST_SCT(st) : 0, st > 0 ? ST_SC(st) : 0,
		       cpl.cdw0);
		th_close(&q);
		printf("TLS %s\n", want ? "PASSED" : "FAILED");
		return want ? 0 : 1;
	}
	if (st != 0) {
		printf("FAIL Connect status 0x%04x\n", st);
		th_close(&q);
		return 1;
	}
	buf = calloc(1, 4096);
	st = buf == NULL ? -1 : th_enable(&q, nvtcp_nvme_cc_enable_value(0));
	st = st != 0 ? st : th_identify(&q, NVTCP_NVME_IDENTIFY_CTRLR, 0, buf);
	if (st != 0 ||
	    strncmp(((const struct nvtcp_nvme_ctrlr_data *)(void *)buf)->subnqn, csub, 256) != 0) {
		printf("FAIL enable/Identify over TLS: status 0x%04x\n", st);
		free(buf);
		th_close(&q);
		return 1;
	}
	printf("ok: controller %u of %s over TLS\n", q.cntlid, csub);
	free(buf);
	if (mid_record) {
		/* Application data, TLS 1.2 legacy version, 256 bytes announced, 40 sent. */
		uint8_t rec[5 + 40] = {0x17, 0x03, 0x03, 0x01, 0x00};

		memset(rec + 5, 0xA5, sizeof(rec) - 5);
		st = th_send_wire(&q, rec, sizeof(rec));
		printf("%s sent %zu bytes of a 261-byte record, closing\n", st == 0 ? "ok:" : "FAIL",
		       sizeof(rec));
		th_close(&q);
		printf("TLS %s\n", st == 0 ? "PASSED" : "FAILED");
		return st == 0 ? 0 : 1;
	}
	st = th_shutdown(&q);
	th_close(&q);
	printf("TLS %s\n", st == 0 ? "PASSED" : "FAILED");
	return st == 0 ? 0 : 1;
}
