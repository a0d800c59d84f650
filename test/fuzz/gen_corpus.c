/*
 * Generator of the seed corpus of test/fuzz (make -C test/fuzz corpus).
 *
 *   gen_corpus <corpus dir>
 *
 * writes small, valid inputs for every harness: PDU streams of every type a host or a
 * controller receives, with and without digests, before and after the IC exchange, with
 * several data alignments and read patterns (tcp_rx); transport IDs (trid); NQNs and host IDs
 * (nqn); discovery log pages (discovery_log). PDUs are built with lib/tcp's own sender
 * (nvtcp_tcp_pdu_finish()), so seeds follow the framing rules exactly; the fuzzer mutates from
 * there. The output is deterministic: regenerating leaves the committed corpus unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "nvtcp/nvmf_spec.h"
#include "nvtcp/tcp_pdu.h"
#include "nvtcp/util.h"

static const char *g_dir;
static unsigned int g_files;

static void
die(const char *what)
{
	fprintf(stderr, "gen_corpus: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
write_file(const char *harness, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", g_dir, harness);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		die(path);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", g_dir, harness, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		die(path);
	}
	g_files++;
}

/* ---- tcp_rx --------------------------------------------------------------------------------- */

struct stream {
	uint8_t buf[65536];
	size_t len;
	struct nvtcp_tcp_params params; /* of the sender */
};

static void
put(struct stream *s, const void *p, size_t n)
{
	if (s->len + n > sizeof(s->buf)) {
		fprintf(stderr, "gen_corpus: stream too long\n");
		exit(1);
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

/* Append a PDU whose header fields are set: finish it and copy its bytes. */
static void
put_pdu(struct stream *s, struct nvtcp_tcp_tx_pdu *pdu, const void *data, size_t len)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};

	if (nvtcp_tcp_pdu_finish(pdu, &s->params, len > 0 ? &iov : NULL, len > 0 ? 1 : 0) != 0) {
		fprintf(stderr, "gen_corpus: cannot build a PDU of type %u\n", pdu->hdr.ch.pdu_type);
		exit(1);
	}
	for (int i = 0; i < pdu->iovcnt; i++) {
		put(s, pdu->iov[i].iov_base, pdu->iov[i].iov_len);
	}
}

static uint8_t g_data[8192];

static void
host_stream(struct stream *s, bool pre_ic, bool hd, bool dd)
{
	struct nvtcp_tcp_tx_pdu pdu;

	if (pre_ic) {
		struct nvtcp_tcp_icresp icresp;
		struct nvtcp_tcp_icreq icreq;
		struct nvtcp_tcp_ic_opts o;
		struct nvtcp_tcp_params p;
		struct nvtcp_tcp_error err;

		nvtcp_tcp_ic_opts_init(&o);
		o.hdgst = hd;
		o.ddgst = dd;
		o.pda = 0;
		nvtcp_tcp_icreq_build(&icreq, &o);
		if (nvtcp_tcp_icreq_accept(&icreq, &o, &icresp, &p, &err) != 0) {
			exit(1);
		}
		put(s, &icresp, sizeof(icresp));
	}
	/* A completion, read data in two PDUs (the last with SUCCESS), an R2T, a TermReq. */
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_RESP);
	pdu.hdr.rsp.rccqe.cid = 0;
	pdu.hdr.rsp.rccqe.sqhd = 1;
	put_pdu(s, &pdu, NULL, 0);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_C2H_DATA);
	pdu.hdr.c2h_data.cccid = 2;
	pdu.hdr.c2h_data.datao = 0;
	put_pdu(s, &pdu, g_data, 1024);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_C2H_DATA);
	pdu.hdr.ch.flags = NVTCP_TCP_FLAG_LAST_PDU | NVTCP_TCP_FLAG_SUCCESS;
	pdu.hdr.c2h_data.cccid = 2;
	pdu.hdr.c2h_data.datao = 1024;
	put_pdu(s, &pdu, g_data, 512);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_C2H_DATA);
	pdu.hdr.ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
	pdu.hdr.c2h_data.cccid = 4;
	pdu.hdr.c2h_data.datao = 0;
	put_pdu(s, &pdu, g_data, FUZZ_RX_XFER(4));
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_RESP);
	pdu.hdr.rsp.rccqe.cid = 4;
	put_pdu(s, &pdu, NULL, 0);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_R2T);
	pdu.hdr.r2t.cccid = 1;
	pdu.hdr.r2t.ttag = 1;
	pdu.hdr.r2t.r2to = 0;
	pdu.hdr.r2t.r2tl = FUZZ_RX_XFER(1);
	put_pdu(s, &pdu, NULL, 0);
	nvtcp_tcp_pdu_term_req(&pdu, NVTCP_TCP_PDU_C2H_TERM_REQ, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0,
			       g_data, 24);
	put(s, pdu.raw, pdu.hdr_area_len);
}

static void
ctrlr_stream(struct stream *s, bool pre_ic, bool hd, bool dd)
{
	struct nvtcp_tcp_tx_pdu pdu;

	if (pre_ic) {
		struct nvtcp_tcp_icreq icreq;
		struct nvtcp_tcp_ic_opts o;

		nvtcp_tcp_ic_opts_init(&o);
		o.hdgst = hd;
		o.ddgst = dd;
		nvtcp_tcp_icreq_build(&icreq, &o);
		put(s, &icreq, sizeof(icreq));
	}
	/* A command without data, one with in-capsule data, write data for an R2T, a TermReq. */
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
	pdu.hdr.cmd.ccsqe.opc = 0x06;
	pdu.hdr.cmd.ccsqe.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	pdu.hdr.cmd.ccsqe.cid = 7;
	nvtcp_nvme_sgl_set_transport(&pdu.hdr.cmd.ccsqe.dptr.sgl1, 4096);
	put_pdu(s, &pdu, NULL, 0);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
	pdu.hdr.cmd.ccsqe.opc = 0x01;
	pdu.hdr.cmd.ccsqe.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	pdu.hdr.cmd.ccsqe.cid = 8;
	nvtcp_nvme_sgl_set_incapsule(&pdu.hdr.cmd.ccsqe.dptr.sgl1, 0, 512);
	put_pdu(s, &pdu, g_data, 512);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_H2C_DATA);
	pdu.hdr.h2c_data.cccid = 1;
	pdu.hdr.h2c_data.ttag = 1;
	pdu.hdr.h2c_data.datao = 0;
	put_pdu(s, &pdu, g_data, 512);
	nvtcp_tcp_pdu_init(&pdu, NVTCP_TCP_PDU_H2C_DATA);
	pdu.hdr.ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
	pdu.hdr.h2c_data.cccid = 1;
	pdu.hdr.h2c_data.ttag = 1;
	pdu.hdr.h2c_data.datao = 512;
	put_pdu(s, &pdu, g_data, 512);
	nvtcp_tcp_pdu_term_req(&pdu, NVTCP_TCP_PDU_H2C_TERM_REQ, NVTCP_TCP_FES_HDGST_ERROR, 0, g_data,
			       72);
	put(s, pdu.raw, pdu.hdr_area_len);
}

static void
gen_tcp_rx(void)
{
	static const struct {
		uint8_t pda, chunk, rbuf;
		const char *tag;
	} shapes[] = {
		{0, 0, 4, "bulk"},      /* reads of 1..4096, 4 KiB buffer */
		{0, 1, 0, "tiny"},      /* reads of 1..17 bytes, 256-byte buffer */
		{7, 8, 2, "pda32"},     /* 32-byte data alignment */
		{31, 3, 7, "pda128"},   /* the largest alignment */
	};
	struct stream *s = malloc(sizeof(*s));
	uint8_t *file = malloc(FUZZ_TCP_RX_CFG_LEN + sizeof(s->buf));

	if (s == NULL || file == NULL) {
		die("malloc");
	}
	for (size_t i = 0; i < sizeof(g_data); i++) {
		g_data[i] = (uint8_t)(i * 7 + 3);
	}
	for (int role = 0; role < 2; role++) {
		for (int dg = 0; dg < 4; dg++) {
			for (int pre = 0; pre < 2; pre++) {
				for (size_t sh = 0; sh < NVTCP_COUNTOF(shapes); sh++) {
					bool hd = dg & 1, dd = dg & 2;
					uint8_t pda = pre ? 0 : shapes[sh].pda;
					uint8_t *cfg = file;
					char name[96];

					/* One alignment shape for the IC streams is enough. */
					if (pre && sh > 1) {
						continue;
					}
					memset(s, 0, sizeof(*s));
					nvtcp_tcp_params_init(&s->params);
					s->params.hdgst = hd;
					s->params.ddgst = dd;
					s->params.tx_pda = nvtcp_tcp_pda_to_align(pda);
					s->params.maxh2cdata = 32768;
					if (role == 0) {
						host_stream(s, pre, hd, dd);
					} else {
						ctrlr_stream(s, pre, hd, dd);
					}
					cfg[0] = (uint8_t)((role ? FUZZ_RX_CTRLR : 0) |
							   (hd ? FUZZ_RX_HDGST : 0) |
							   (dd ? FUZZ_RX_DDGST : 0) |
							   (pre ? FUZZ_RX_PRE_IC : 0) |
							   (sh == 2 ? FUZZ_RX_DEFER : 0) |
							   (sh == 3 ? FUZZ_RX_DISCARD : 0) |
							   (sh == 1 ? FUZZ_RX_NO_DIRECT : 0));
					cfg[1] = pda;
					cfg[2] = 0;
					cfg[3] = 3;               /* MAXH2CDATA 32 KiB */
					cfg[4] = 6;               /* max data 32 KiB */
					cfg[5] = shapes[sh].chunk;
					cfg[6] = (uint8_t)(sh == 2 ? 0x85 : 0x11 * (sh + 1));
					cfg[7] = shapes[sh].rbuf;
					memcpy(file + FUZZ_TCP_RX_CFG_LEN, s->buf, s->len);
					snprintf(name, sizeof(name), "%s_%s%s%s_%s%s",
						 role ? "ctrlr" : "host",
						 hd ? "hdgst" : "", dd ? "ddgst" : "",
						 hd || dd ? "" : "nodgst", pre ? "ic_" : "",
						 shapes[sh].tag);
					write_file("tcp_rx", name, file, FUZZ_TCP_RX_CFG_LEN + s->len);
				}
			}
		}
	}
	free(file);
	free(s);
}

/* ---- Text harnesses ------------------------------------------------------------------------- */

static void
write_text(const char *harness, const char *name, uint8_t lead, const char *text)
{
	size_t n = strlen(text);
	uint8_t *buf = malloc(n + 1);

	if (buf == NULL) {
		die("malloc");
	}
	buf[0] = lead; /* the harnesses take the error buffer size from the first byte */
	memcpy(buf + 1, text, n);
	write_file(harness, name, buf, n + 1);
	free(buf);
}

static void
gen_trid(void)
{
	static const char *const trids[] = {
		"trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:4420 "
		"subnqn:nqn.2016-06.io.spdk:cnode1",
		"trtype=TCP traddr=::1 trsvcid=4420 subnqn=nqn.2014-08.org.nvmexpress.discovery",
		"traddr:fe80::1%eth0 adrfam:ipv6 trsvcid:8009",
		"traddr:storage-1.example.com trsvcid:4420 subnqn:nqn.2019-01.com.example:ssd "
		"hostnqn:nqn.2014-08.org.nvmexpress:uuid:5d0c2a4e-8f31-4b7a-9e62-1c3d5f7a9b20",
		"  traddr:10.0.0.1\ttrsvcid:1  ",
		"traddr:127.0.0.1 traddr:127.0.0.2",
		"trtype:rdma traddr:1.2.3.4",
		"traddr:[::1] trsvcid:4420",
		"priority:1 traddr:1.1.1.1",
		"traddr:999.1.1.1",
	};

	for (size_t i = 0; i < NVTCP_COUNTOF(trids); i++) {
		char name[32];

		snprintf(name, sizeof(name), "trid_%02zu", i);
		write_text("trid", name, (uint8_t)(i * 13), trids[i]);
	}
}

static void
gen_nqn(void)
{
	static const char *const nqns[] = {
		"nqn.2014-08.org.nvmexpress.discovery",
		"nqn.2014-08.org.nvmexpress:uuid:5d0c2a4e-8f31-4b7a-9e62-1c3d5f7a9b20",
		"nqn.2016-06.io.spdk:cnode1",
		"nqn.2019-01.com.example:\xc3\xa9t\xc3\xa9-\xe2\x82\xac",
		"nqn.2014-08.org.nvmexpress:uuid:5D0C2A4E-8F31-4B7A-9E62-1C3D5F7A9B2",
		"5d0c2a4e-8f31-4b7a-9e62-1c3d5f7a9b20",
		"nqn.20x4-08.org:bad",
		"nqn.2014-13.org.example:month",
	};

	for (size_t i = 0; i < NVTCP_COUNTOF(nqns); i++) {
		char name[32];

		snprintf(name, sizeof(name), "nqn_%02zu", i);
		write_text("nqn", name, (uint8_t)(i * 11 + 1), nqns[i]);
	}
}

static void
gen_psk_interchange(void)
{
	static const char *const keys[] = {
		"NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:",
		"NVMeTLSkey-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:",
		"NVMeTLSkey-1:00:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:\n",
		"NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZxJEiQ:",
		"NVMeTLSkey-1:03:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:",
		"NVMeTLSkey-1:00:AAECAwQFBgcICQoLDA0ODxAREhOk/907:",
		"NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEi=:",
		"NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ",
		/* PSK identities (the harness parses the text as one too). */
		("NVMe0R01 nqn.2014-08.org.nvmexpress:uuid:5d0c2a4e-8f31-4b7a-9e62-1c3d5f7a9b20 "
		 "nqn.2016-06.io.spdk:cnode1"),
		"NVMe0R02 nqn.2014-08.org.nvmexpress:uuid:host nqn.2019-01.com.example:ssd",
	};

	for (size_t i = 0; i < NVTCP_COUNTOF(keys); i++) {
		char name[32];

		snprintf(name, sizeof(name), "psk_%02zu", i);
		write_text("psk_interchange", name, (uint8_t)(i * 13 + 5), keys[i]);
	}
}

static void
gen_dhchap_secret(void)
{
	static const char *const secrets[] = {
		"DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		"DHHC-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:",
		("DHHC-1:03:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1"
		 "Njc4OTo7PD0+P4zODhA=:"),
		"DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:\n",
		"DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaS:",
		"DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhOk/907:",
		"DHHC-1:04:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		"DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR",
	};

	for (size_t i = 0; i < NVTCP_COUNTOF(secrets); i++) {
		char name[32];

		snprintf(name, sizeof(name), "dhchap_%02zu", i);
		write_text("dhchap_secret", name, (uint8_t)(i * 13 + 7), secrets[i]);
	}
}

static void
pad(char *dst, size_t size, const char *src, char fill)
{
	memset(dst, fill, size);
	memcpy(dst, src, NVTCP_MIN(strlen(src), size));
}

static void
gen_discovery_log(void)
{
	static uint8_t page[1024 * 4];
	struct nvtcp_nvmf_disc_log_hdr *h = (void *)page;
	struct nvtcp_nvmf_disc_log_entry *e = (void *)(page + 1024);

	memset(page, 0, sizeof(page));
	h->genctr = 7;
	h->numrec = 3;
	e[0].trtype = NVTCP_NVMF_TRTYPE_TCP;
	e[0].adrfam = NVTCP_NVMF_ADRFAM_IPV4;
	e[0].subtype = NVTCP_NVMF_SUBTYPE_NVME;
	e[0].treq = NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED;
	e[0].portid = 1;
	e[0].cntlid = 0xFFFF;
	e[0].asqsz = 32;
	pad(e[0].trsvcid, sizeof(e[0].trsvcid), "4420", ' ');
	pad(e[0].subnqn, sizeof(e[0].subnqn), "nqn.2016-06.io.spdk:cnode1", '\0');
	pad(e[0].traddr, sizeof(e[0].traddr), "10.0.0.2", ' ');
	e[1] = e[0];
	e[1].adrfam = NVTCP_NVMF_ADRFAM_IPV6;
	e[1].subtype = NVTCP_NVMF_SUBTYPE_DISCOVERY_REFERRAL;
	pad(e[1].trsvcid, sizeof(e[1].trsvcid), "8009", '\0');
	pad(e[1].subnqn, sizeof(e[1].subnqn), NVTCP_NVMF_DISCOVERY_NQN, '\0');
	pad(e[1].traddr, sizeof(e[1].traddr), "fd00::2", '\0');
	e[2] = e[0];
	e[2].subtype = NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT;
	e[2].tsas.tcp.sectype = NVTCP_NVMF_TCP_SECTYPE_TLS13;
	e[2].eflags = NVTCP_NVMF_EFLAGS_DUPRETINFO | NVTCP_NVMF_EFLAGS_EPCSD;
	write_file("discovery_log", "three_entries", page, sizeof(page));
	h->numrec = 1;
	write_file("discovery_log", "one_entry", page, 2048);
	h->numrec = 0;
	write_file("discovery_log", "empty", page, 1024);
	h->numrec = 1000;
	write_file("discovery_log", "numrec_too_big", page, 2048);
	/* A short buffer: the entry decoder alone. */
	write_file("discovery_log", "entry_only", (uint8_t *)e, 1000);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus <corpus dir>\n");
		return 2;
	}
	g_dir = argv[1];
	if (mkdir(g_dir, 0755) != 0 && errno != EEXIST) {
		die(g_dir);
	}
	gen_tcp_rx();
	gen_trid();
	gen_nqn();
	gen_psk_interchange();
	gen_dhchap_secret();
	gen_discovery_log();
	printf("gen_corpus: %u files in %s\n", g_files, g_dir);
	return 0;
}
