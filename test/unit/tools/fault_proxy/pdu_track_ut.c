/*
 * Unit tests of test/tools/fault_proxy/pdu_track.c: PDU layouts from common headers, the
 * byte-by-byte classification of streams cut at every kind of boundary, loss of framing, and
 * the choice of the byte a flip aims at.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pdu_track.c"
#include "schedule.c"

#include "ut.h"

static void
mk_ch(uint8_t *p, uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo, uint32_t plen)
{
	p[0] = type;
	p[1] = flags;
	p[2] = hlen;
	p[3] = pdo;
	p[4] = (uint8_t)plen;
	p[5] = (uint8_t)(plen >> 8);
	p[6] = (uint8_t)(plen >> 16);
	p[7] = (uint8_t)(plen >> 24);
}

static void
check_region(const struct fp_pdu_layout *l, enum fp_region r, uint32_t start, uint32_t len)
{
	CU_ASSERT_EQUAL(l->len[r], len);
	if (len != 0) {
		CU_ASSERT_EQUAL(l->start[r], start);
	}
}

static void
test_layout_valid(void)
{
	struct fp_pdu_layout l;
	uint8_t ch[8];

	/* CapsuleCmd without data. */
	mk_ch(ch, NVTCP_TCP_PDU_CAPSULE_CMD, 0, 72, 0, 72);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), 0);
	check_region(&l, FP_REGION_CH, 0, 8);
	check_region(&l, FP_REGION_PSH, 8, 64);
	check_region(&l, FP_REGION_HDGST, 0, 0);
	check_region(&l, FP_REGION_PAD, 72, 0);
	check_region(&l, FP_REGION_DATA, 0, 0);

	/* CapsuleCmd with header digest, no data. */
	mk_ch(ch, NVTCP_TCP_PDU_CAPSULE_CMD, NVTCP_TCP_FLAG_HDGSTF, 72, 0, 76);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), 0);
	check_region(&l, FP_REGION_HDGST, 72, 4);
	check_region(&l, FP_REGION_PAD, 76, 0);

	/* CapsuleCmd with 1024 bytes in capsule, both digests. */
	mk_ch(ch, NVTCP_TCP_PDU_CAPSULE_CMD, NVTCP_TCP_FLAG_HDGSTF | NVTCP_TCP_FLAG_DDGSTF, 72, 76,
	      76 + 1024 + 4);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), 0);
	check_region(&l, FP_REGION_HDGST, 72, 4);
	check_region(&l, FP_REGION_PAD, 76, 0);
	check_region(&l, FP_REGION_DATA, 76, 1024);
	check_region(&l, FP_REGION_DDGST, 1100, 4);

	/* C2HData with header digest and a 32-byte data alignment: 4 bytes of padding. */
	mk_ch(ch, NVTCP_TCP_PDU_C2H_DATA, NVTCP_TCP_FLAG_HDGSTF | NVTCP_TCP_FLAG_LAST_PDU, 24, 32,
	      32 + 4096);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), 0);
	check_region(&l, FP_REGION_PSH, 8, 16);
	check_region(&l, FP_REGION_HDGST, 24, 4);
	check_region(&l, FP_REGION_PAD, 28, 4);
	check_region(&l, FP_REGION_DATA, 32, 4096);
	check_region(&l, FP_REGION_DDGST, 0, 0);

	/* TermReq: the copied header belongs to the header. */
	mk_ch(ch, NVTCP_TCP_PDU_C2H_TERM_REQ, 0, 24, 0, 24 + 72);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), 0);
	check_region(&l, FP_REGION_PSH, 8, 88);
	check_region(&l, FP_REGION_PAD, 0, 0);

	/* ICReq. */
	mk_ch(ch, NVTCP_TCP_PDU_IC_REQ, 0, 128, 0, 128);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), 0);
	check_region(&l, FP_REGION_PSH, 8, 120);

	/* No data but a longer plen: framed, as junk padding. */
	mk_ch(ch, NVTCP_TCP_PDU_CAPSULE_RESP, 0, 24, 0, 40);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), 0);
	check_region(&l, FP_REGION_PAD, 24, 16);

	/* A bare common header (hlen 8, plen 8) is framable. */
	mk_ch(ch, 0x7f, 0, 8, 0, 8);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), 0);
	check_region(&l, FP_REGION_PSH, 8, 0);
}

static void
test_layout_invalid(void)
{
	struct fp_pdu_layout l;
	uint8_t ch[8];

	mk_ch(ch, NVTCP_TCP_PDU_CAPSULE_RESP, 0, 24, 0, 4);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), -EPROTO); /* plen < 8 */
	mk_ch(ch, NVTCP_TCP_PDU_CAPSULE_RESP, 0, 4, 0, 24);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), -EPROTO); /* hlen < 8 */
	mk_ch(ch, NVTCP_TCP_PDU_CAPSULE_RESP, 0, 24, 0, 20);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), -EPROTO); /* hlen > plen */
	mk_ch(ch, NVTCP_TCP_PDU_CAPSULE_RESP, NVTCP_TCP_FLAG_HDGSTF, 24, 0, 26);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), -EPROTO); /* no room for the header digest */
	mk_ch(ch, NVTCP_TCP_PDU_C2H_DATA, NVTCP_TCP_FLAG_HDGSTF, 24, 24, 64);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), -EPROTO); /* pdo inside the header digest */
	mk_ch(ch, NVTCP_TCP_PDU_C2H_DATA, 0, 24, 128, 64);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), -EPROTO); /* pdo beyond plen */
	mk_ch(ch, NVTCP_TCP_PDU_C2H_DATA, NVTCP_TCP_FLAG_DDGSTF, 24, 24, 26);
	CU_ASSERT_EQUAL(fp_pdu_layout(ch, &l), -EPROTO); /* no room for the data digest */
}

/* A stream of PDUs and the expected class of every byte. */
#define STREAM_MAX 65536

struct stream {
	uint8_t bytes[STREAM_MAX];
	uint8_t region[STREAM_MAX];
	uint32_t pdu[STREAM_MAX];
	uint32_t pdu_off[STREAM_MAX];
	size_t len;
	uint32_t npdus;
	uint32_t types[16];
};

static struct stream g_s;

static void
stream_add(struct stream *s, uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo, uint32_t plen)
{
	struct fp_pdu_layout l;
	uint8_t *p = s->bytes + s->len;

	CU_ASSERT_FATAL(s->len + plen <= STREAM_MAX);
	mk_ch(p, type, flags, hlen, pdo, plen);
	for (uint32_t i = 8; i < plen; i++) {
		p[i] = (uint8_t)rand();
	}
	CU_ASSERT_FATAL(fp_pdu_layout(p, &l) == 0);
	for (uint32_t i = 0; i < plen; i++) {
		for (int r = 0; r < FP_REGION_UNKNOWN; r++) {
			if (l.len[r] != 0 && i >= l.start[r] && i < l.start[r] + l.len[r]) {
				s->region[s->len + i] = (uint8_t)r;
			}
		}
		s->pdu[s->len + i] = s->npdus;
		s->pdu_off[s->len + i] = i;
	}
	s->types[type & 15]++;
	s->npdus++;
	s->len += plen;
}

static void
stream_build(struct stream *s)
{
	const uint8_t hd = NVTCP_TCP_FLAG_HDGSTF, dd = NVTCP_TCP_FLAG_DDGSTF;

	memset(s, 0, sizeof(*s));
	srand(1);
	stream_add(s, NVTCP_TCP_PDU_IC_RESP, 0, 128, 0, 128);
	stream_add(s, NVTCP_TCP_PDU_CAPSULE_RESP, 0, 24, 0, 24);
	stream_add(s, NVTCP_TCP_PDU_CAPSULE_RESP, hd, 24, 0, 28);
	stream_add(s, NVTCP_TCP_PDU_C2H_DATA, hd | dd, 24, 32, 32 + 4096 + 4);
	stream_add(s, NVTCP_TCP_PDU_C2H_DATA, NVTCP_TCP_FLAG_LAST_PDU, 24, 24, 24 + 13);
	stream_add(s, NVTCP_TCP_PDU_R2T, hd, 24, 0, 28);
	stream_add(s, NVTCP_TCP_PDU_C2H_TERM_REQ, 0, 24, 0, 24 + 24);
	stream_add(s, NVTCP_TCP_PDU_CAPSULE_CMD, hd | dd, 72, 76, 76 + 1024 + 4);
	stream_add(s, NVTCP_TCP_PDU_H2C_DATA, dd, 24, 24, 24 + 8192 + 4);
}

/* Feed the stream in chunks of 1..max bytes (max 0: all at once) and check every byte. */
static void
check_track(const struct stream *s, size_t max)
{
	struct fp_track t;
	size_t pos = 0;
	uint32_t ch_done = 0, ends = 0;

	fp_track_init(&t);
	while (pos < s->len) {
		/* Draw once: NVTCP_MIN evaluates its arguments twice. */
		size_t chunk = max == 0 ? s->len - pos : 1 + (size_t)rand() % max;
		size_t end = pos + NVTCP_MIN(chunk, s->len - pos);

		while (pos < end) {
			struct fp_span sp;
			size_t n = fp_track_step(&t, s->bytes + pos, end - pos, &sp);

			CU_ASSERT_FATAL(n >= 1 && n <= end - pos);
			CU_ASSERT_FATAL(sp.len == n);
			CU_ASSERT_FATAL(sp.stream_off == pos);
			for (size_t i = 0; i < n; i++) {
				CU_ASSERT_FATAL(sp.region == s->region[pos + i]);
				CU_ASSERT_FATAL(sp.pdu_index == s->pdu[pos + i]);
				CU_ASSERT_FATAL(sp.pdu_off + i == s->pdu_off[pos + i]);
			}
			if (sp.region == FP_REGION_CH) {
				/* A span never runs past the end of the common header. */
				CU_ASSERT_FATAL(sp.pdu_off + n <= 8);
				CU_ASSERT_FATAL(sp.ch_done == (sp.pdu_off + n == 8));
				CU_ASSERT_FATAL(sp.pdu_type == (sp.ch_done ? s->bytes[pos - sp.pdu_off] : -1));
			} else {
				CU_ASSERT_FATAL(!sp.ch_done);
				CU_ASSERT_FATAL(sp.pdu_type == s->bytes[pos - sp.pdu_off]);
			}
			ch_done += sp.ch_done;
			if (sp.pdu_end) {
				ends++;
				CU_ASSERT_FATAL(pos + n == s->len || s->pdu[pos + n] != sp.pdu_index);
			}
			pos += n;
		}
	}
	CU_ASSERT_EQUAL(ch_done, s->npdus);
	CU_ASSERT_EQUAL(ends, s->npdus);
	CU_ASSERT_EQUAL(t.pdu_index, s->npdus);
	CU_ASSERT_EQUAL(t.stream_off, s->len);
	CU_ASSERT(!t.lost);
	for (int i = 0; i < 16; i++) {
		CU_ASSERT_EQUAL(t.pdus_by_type[i], s->types[i]);
	}
}

static void
test_track_chunkings(void)
{
	stream_build(&g_s);
	check_track(&g_s, 0);     /* all at once */
	check_track(&g_s, 1);     /* byte by byte */
	check_track(&g_s, 3);
	check_track(&g_s, 7);
	check_track(&g_s, 9);
	for (int i = 0; i < 20; i++) {
		check_track(&g_s, 1 + (size_t)rand() % 5000);
	}
}

static void
test_track_lost(void)
{
	struct fp_track t;
	struct fp_span sp;
	uint8_t buf[64];
	size_t pos = 0;

	/* A valid CapsuleResp, then a header with plen 4: framing is lost after its CH. */
	memset(buf, 0xAB, sizeof(buf));
	mk_ch(buf, NVTCP_TCP_PDU_CAPSULE_RESP, 0, 24, 0, 24);
	mk_ch(buf + 24, NVTCP_TCP_PDU_CAPSULE_RESP, 0, 24, 0, 4);
	fp_track_init(&t);
	while (pos < 32) {
		pos += fp_track_step(&t, buf + pos, 32 - pos, &sp);
	}
	CU_ASSERT(t.lost);
	CU_ASSERT_EQUAL(t.lost_at, 32);
	CU_ASSERT_EQUAL(fp_track_pdu_type(&t), -1);
	CU_ASSERT_EQUAL(fp_track_step(&t, buf + 32, 32, &sp), 32);
	CU_ASSERT_EQUAL(sp.region, FP_REGION_UNKNOWN);
	CU_ASSERT_EQUAL(sp.stream_off, 32);
	CU_ASSERT_EQUAL(t.stream_off, 64);
	CU_ASSERT_EQUAL(t.pdus_by_type[NVTCP_TCP_PDU_CAPSULE_RESP], 1);
}

static void
test_track_pdu_type(void)
{
	struct fp_track t;
	struct fp_span sp;
	uint8_t buf[24];

	mk_ch(buf, NVTCP_TCP_PDU_R2T, 0, 24, 0, 24);
	fp_track_init(&t);
	CU_ASSERT_EQUAL(fp_track_pdu_type(&t), -1);
	CU_ASSERT_EQUAL(fp_track_step(&t, buf, 5, &sp), 5);
	CU_ASSERT_EQUAL(fp_track_pdu_type(&t), -1);
	CU_ASSERT_EQUAL(fp_track_step(&t, buf + 5, 19, &sp), 3);
	CU_ASSERT(sp.ch_done);
	CU_ASSERT_EQUAL(fp_track_pdu_type(&t), NVTCP_TCP_PDU_R2T);
	CU_ASSERT_EQUAL(fp_track_step(&t, buf + 8, 16, &sp), 16);
	CU_ASSERT(sp.pdu_end);
	CU_ASSERT_EQUAL(sp.region, FP_REGION_PSH);
}

static void
test_flip_pick(void)
{
	struct fp_pdu_layout l;
	struct fp_rng rng;
	enum fp_region region;
	uint32_t off;
	uint8_t ch[8];
	bool seen_ch[8] = {false};

	fp_rng_seed(&rng, 5, 0);
	mk_ch(ch, NVTCP_TCP_PDU_C2H_DATA, NVTCP_TCP_FLAG_HDGSTF | NVTCP_TCP_FLAG_DDGSTF, 24, 32,
	      32 + 512 + 4);
	CU_ASSERT_FATAL(fp_pdu_layout(ch, &l) == 0);

	for (int i = 0; i < 2000; i++) {
		CU_ASSERT_FATAL(fp_flip_pick(&l, FP_WHERE_DATA, 0, &rng, &off, &region) == 0);
		CU_ASSERT_FATAL(region == FP_REGION_DATA && off >= 32 && off < 544);
		CU_ASSERT_FATAL(fp_flip_pick(&l, FP_WHERE_DATA, 300, &rng, &off, &region) == 0);
		CU_ASSERT_FATAL(off >= 300 && off < 544);
		CU_ASSERT_FATAL(fp_flip_pick(&l, FP_WHERE_DIGEST, 0, &rng, &off, &region) == 0);
		CU_ASSERT_FATAL((region == FP_REGION_HDGST && off >= 24 && off < 28) ||
				(region == FP_REGION_DDGST && off >= 544 && off < 548));
		CU_ASSERT_FATAL(fp_flip_pick(&l, FP_WHERE_HDR, 0, &rng, &off, &region) == 0);
		CU_ASSERT_FATAL(off < 24);
		CU_ASSERT_FATAL(region == (off < 8 ? FP_REGION_CH : FP_REGION_PSH));
		if (off < 8) {
			seen_ch[off] = true;
		}
		CU_ASSERT_FATAL(fp_flip_pick(&l, FP_WHERE_ANY, 0, &rng, &off, &region) == 0);
		CU_ASSERT_FATAL(off < 548);
	}
	/* Every byte of the common header can be hit. */
	for (int i = 0; i < 8; i++) {
		CU_ASSERT(seen_ch[i]);
	}
	/* Nothing eligible: past the data, or a region the PDU does not have. */
	CU_ASSERT_EQUAL(fp_flip_pick(&l, FP_WHERE_DATA, 544, &rng, &off, &region), -ENOENT);
	CU_ASSERT_EQUAL(fp_flip_pick(&l, FP_WHERE_HDR, 24, &rng, &off, &region), -ENOENT);
	mk_ch(ch, NVTCP_TCP_PDU_CAPSULE_RESP, 0, 24, 0, 24);
	CU_ASSERT_FATAL(fp_pdu_layout(ch, &l) == 0);
	CU_ASSERT_EQUAL(fp_flip_pick(&l, FP_WHERE_DATA | FP_WHERE_DIGEST, 0, &rng, &off, &region),
			-ENOENT);
	CU_ASSERT_EQUAL(fp_flip_pick(&l, 0, 0, &rng, &off, &region), -ENOENT);
}

/* --tls: records framed by their 5-byte header, cut at every byte; bad headers lose track. */
static void
test_track_tls(void)
{
	/* A handshake record of 3 bytes, an empty alert, application data of 40 bytes. */
	static const uint8_t hs[] = {22, 3, 1, 0, 3, 0xA, 0xB, 0xC};
	static const uint8_t al[] = {21, 3, 3, 0, 0};
	uint8_t stream[sizeof(hs) + sizeof(al) + 45], bad[5] = {24, 3, 3, 0, 1};
	struct fp_pdu_layout l;
	struct fp_track t;
	struct fp_span sp;
	uint32_t rlen = 0;

	memcpy(stream, hs, sizeof(hs));
	memcpy(stream + sizeof(hs), al, sizeof(al));
	stream[sizeof(hs) + sizeof(al)] = 23;
	stream[sizeof(hs) + sizeof(al) + 1] = 3;
	stream[sizeof(hs) + sizeof(al) + 2] = 3;
	stream[sizeof(hs) + sizeof(al) + 3] = 0;
	stream[sizeof(hs) + sizeof(al) + 4] = 40;
	memset(stream + sizeof(hs) + sizeof(al) + 5, 0x5A, 40);

	CU_ASSERT_EQUAL(fp_tls_layout(stream + sizeof(hs) + sizeof(al), &l, &rlen), 0);
	CU_ASSERT_EQUAL(rlen, 45);
	check_region(&l, FP_REGION_CH, 0, 5);
	check_region(&l, FP_REGION_DATA, 5, 40);
	check_region(&l, FP_REGION_PSH, 0, 0);
	CU_ASSERT_EQUAL(fp_tls_layout(bad, &l, &rlen), -EPROTO);
	bad[0] = 23;
	bad[1] = 2;
	CU_ASSERT_EQUAL(fp_tls_layout(bad, &l, &rlen), -EPROTO);
	bad[1] = 3;
	bad[3] = 0x41; /* 16640 + 1: over 2^14 + 256 */
	CU_ASSERT_EQUAL(fp_tls_layout(bad, &l, &rlen), -EPROTO);
	CU_ASSERT_STRING_EQUAL(fp_tls_type_str(23), "application_data");

	/* One byte at a time: every boundary lands where the records end. */
	fp_track_init_tls(&t);
	for (size_t i = 0; i < sizeof(stream); i++) {
		CU_ASSERT_EQUAL(fp_track_step(&t, stream + i, 1, &sp), 1);
		if (i == 4 || i == 12 || i == 17) {
			CU_ASSERT(sp.ch_done);
		}
		CU_ASSERT_EQUAL(sp.pdu_end, i == 7 || i == 12 || i == sizeof(stream) - 1);
		if (i >= 18) {
			CU_ASSERT_EQUAL(sp.region, FP_REGION_DATA);
			CU_ASSERT_EQUAL(sp.pdu_type, 23);
		}
	}
	CU_ASSERT(!t.lost);
	CU_ASSERT_EQUAL(t.pdu_index, 3);
	CU_ASSERT_EQUAL(t.pdus_by_type[22 & 15], 1);
	CU_ASSERT_EQUAL(t.pdus_by_type[21 & 15], 1);
	CU_ASSERT_EQUAL(t.pdus_by_type[23 & 15], 1);
	/* All at once: the header stops at 5 bytes, the body is one span. */
	fp_track_init_tls(&t);
	CU_ASSERT_EQUAL(fp_track_step(&t, stream, sizeof(stream), &sp), 5);
	CU_ASSERT_EQUAL(fp_track_pdu_type(&t), 22);
	CU_ASSERT_EQUAL(fp_track_step(&t, stream + 5, sizeof(stream) - 5, &sp), 3);
	CU_ASSERT(sp.pdu_end && sp.region == FP_REGION_DATA);
	/* Garbage instead of a record: lost, then everything is unknown. */
	fp_track_init_tls(&t);
	bad[0] = 0x47;
	CU_ASSERT_EQUAL(fp_track_step(&t, bad, 5, &sp), 5);
	CU_ASSERT(t.lost);
	CU_ASSERT_EQUAL(fp_track_step(&t, stream, 8, &sp), 8);
	CU_ASSERT_EQUAL(sp.region, FP_REGION_UNKNOWN);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("fault_proxy_pdu_track", NULL, NULL);

	CU_ADD_TEST(s, test_layout_valid);
	CU_ADD_TEST(s, test_layout_invalid);
	CU_ADD_TEST(s, test_track_chunkings);
	CU_ADD_TEST(s, test_track_lost);
	CU_ADD_TEST(s, test_track_pdu_type);
	CU_ADD_TEST(s, test_flip_pick);
	CU_ADD_TEST(s, test_track_tls);
}

NVTCP_UT_MAIN(add_tests)
