/*
 * Verification stamps, the partition of I/O slots between contexts, and the slot locks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf_verify.h"

/* Layout of the header at the start of each block (little-endian host order is fine: the
 * stamp is only ever read back by the same program). */
struct stamp_hdr {
	uint32_t magic;
	uint32_t seed;
	uint64_t lba;
	uint32_t seq;
	uint32_t nsid;
	uint64_t hdr_check;             /**< mix of the fields above: a torn header is caught */
};
_Static_assert(sizeof(struct stamp_hdr) == PERF_VERIFY_HDR_SIZE, "stamp header size");

/* A 64-bit finaliser (splitmix64): neighbouring inputs give unrelated outputs. */
static inline uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint64_t
block_key(uint64_t lba, uint32_t nsid, uint32_t seq, uint32_t seed)
{
	return mix64(lba ^ mix64(((uint64_t)seq << 32 | seed) ^ ((uint64_t)nsid << 17)));
}

/* Body word i of a block: distinct per position, so shifted or repeated data is caught. */
static inline uint64_t
body_word(uint64_t key, uint32_t i)
{
	return key ^ ((uint64_t)i * 0xd6e8feb86659fd93ull);
}

void
perf_verify_fill(void *buf, uint32_t block_size, uint32_t nblocks, uint64_t slba, uint32_t nsid,
		 uint32_t seq, uint32_t seed)
{
	uint32_t words = block_size / 8;

	for (uint32_t b = 0; b < nblocks; b++) {
		uint8_t *blk = (uint8_t *)buf + (size_t)b * block_size;
		uint64_t lba = slba + b, key = block_key(lba, nsid, seq, seed);
		struct stamp_hdr h = {
			.magic = PERF_VERIFY_MAGIC,
			.seed = seed,
			.lba = lba,
			.seq = seq,
			.nsid = nsid,
		};
		uint64_t *w = (uint64_t *)blk;

		h.hdr_check = key;
		memcpy(blk, &h, sizeof(h));
		for (uint32_t i = PERF_VERIFY_HDR_SIZE / 8; i < words; i++) {
			w[i] = body_word(key, i);
		}
	}
}

uint32_t
perf_verify_check(const void *buf, uint32_t block_size, uint32_t nblocks, uint64_t slba,
		  uint32_t nsid, uint32_t seq, uint32_t seed, struct perf_verify_mismatch *mm)
{
	uint32_t words = block_size / 8, bad = 0;

	for (uint32_t b = 0; b < nblocks; b++) {
		const uint8_t *blk = (const uint8_t *)buf + (size_t)b * block_size;
		uint64_t lba = slba + b, key = block_key(lba, nsid, seq, seed);
		const uint64_t *w = (const uint64_t *)blk;
		struct stamp_hdr h;
		bool hdr_ok;
		uint32_t i;

		memcpy(&h, blk, sizeof(h));
		hdr_ok = h.magic == PERF_VERIFY_MAGIC && h.seed == seed && h.lba == lba &&
			 h.seq == seq && h.nsid == nsid && h.hdr_check == key;
		i = PERF_VERIFY_HDR_SIZE / 8;
		if (hdr_ok) {
			for (; i < words; i++) {
				if (w[i] != body_word(key, i)) {
					break;
				}
			}
			if (i == words) {
				continue;
			}
		}
		if (bad++ > 0) {
			continue;
		}
		memset(mm, 0, sizeof(*mm));
		mm->lba = lba;
		mm->header_ok = hdr_ok;
		mm->exp_seq = seq;
		mm->exp_seed = seed;
		mm->got_magic = h.magic;
		mm->got_seed = h.seed;
		mm->got_lba = h.lba;
		mm->got_seq = h.seq;
		mm->got_nsid = h.nsid;
		if (hdr_ok) {
			mm->byte_offset = i * 8;
			mm->exp_word = body_word(key, i);
			mm->got_word = w[i];
		}
	}
	return bad;
}

void
perf_verify_format(const struct perf_verify_mismatch *mm, uint32_t nsid, char *buf, size_t len)
{
	if (mm->header_ok) {
		snprintf(buf, len,
			 "LBA %" PRIu64 ": data differs at byte %u: expected 0x%016" PRIx64
			 ", found 0x%016" PRIx64 " (header matched: write seq %u)",
			 mm->lba, mm->byte_offset, mm->exp_word, mm->got_word, mm->exp_seq);
	} else if (mm->got_magic != PERF_VERIFY_MAGIC) {
		snprintf(buf, len,
			 "LBA %" PRIu64 ": expected LBA %" PRIu64 " write seq %u seed 0x%08x nsid %u, "
			 "found no stamp (first bytes 0x%08x)",
			 mm->lba, mm->lba, mm->exp_seq, mm->exp_seed, nsid, mm->got_magic);
	} else {
		snprintf(buf, len,
			 "LBA %" PRIu64 ": expected LBA %" PRIu64 " write seq %u seed 0x%08x nsid %u, "
			 "found LBA %" PRIu64 " write seq %u seed 0x%08x nsid %u",
			 mm->lba, mm->lba, mm->exp_seq, mm->exp_seed, nsid, mm->got_lba, mm->got_seq,
			 mm->got_seed, mm->got_nsid);
	}
}

void
perf_verify_partition(uint64_t n, uint32_t k, uint32_t parts, uint64_t *first, uint64_t *count)
{
	unsigned __int128 a = (unsigned __int128)n * k / parts;
	unsigned __int128 b = (unsigned __int128)n * (k + 1) / parts;

	*first = (uint64_t)a;
	*count = (uint64_t)(b - a);
}

int
perf_verify_ctx_init(struct perf_verify_ctx *v, uint64_t first, uint64_t count, uint32_t nsid,
		     uint32_t seed)
{
	memset(v, 0, sizeof(*v));
	if (count == 0 || count > PERF_VERIFY_MAX_SLOTS) {
		return -EINVAL;
	}
	v->expected = calloc(count, sizeof(*v->expected));
	v->busy = calloc((count + 63) / 64, sizeof(*v->busy));
	if (v->expected == NULL || v->busy == NULL) {
		perf_verify_ctx_fini(v);
		return -ENOMEM;
	}
	v->enabled = true;
	v->first = first;
	v->count = count;
	v->nsid = nsid;
	v->seed = seed;
	v->next_seq = 1;
	return 0;
}

void
perf_verify_ctx_fini(struct perf_verify_ctx *v)
{
	free(v->expected);
	free(v->busy);
	v->expected = NULL;
	v->busy = NULL;
	v->enabled = false;
}

uint64_t
perf_verify_lock(struct perf_verify_ctx *v, uint64_t hint)
{
	uint64_t nwords = (v->count + 63) / 64, off = hint % v->count;
	uint64_t wi = off >> 6;

	/* Word by word from the hint, wrapping once: the first zero bit is a free slot. Bits
	 * beyond count in the last word are never set, so they are skipped explicitly. */
	for (uint64_t n = 0; n <= nwords; n++, wi = (wi + 1) % nwords) {
		uint64_t free_bits = ~v->busy[wi];

		if (n == 0) {
			free_bits &= ~0ull << (off & 63);
		}
		while (free_bits != 0) {
			uint64_t slot = (wi << 6) | (uint64_t)__builtin_ctzll(free_bits);

			if (slot >= v->count) {
				break;
			}
			v->busy[wi] |= 1ull << (slot & 63);
			return slot;
		}
	}
	return UINT64_MAX;
}
