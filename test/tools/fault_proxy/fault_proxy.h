/*
 * fault_proxy: a fault-injecting TCP proxy for NVMe/TCP reliability tests.
 *
 * Internal interfaces shared by the proxy's source files and its unit tests:
 * - schedule.c: the pure parts of the configuration (ranges, sizes, probabilities, directions,
 *   flip targets, PDU type lists, host:port) and the seeded random generator;
 * - pdu_track.c: the PDU-boundary tracker that follows the NVMe/TCP framing of one direction
 *   of a connection so that a fault can aim at a header, digest or data byte;
 * - proxy.c: connections, forwarding and fault injection (lib/sock, lib/reactor);
 * - main.c: the command line, the loop, the summary.
 *
 * Nothing here is part of the nvtcp libraries: it is test tooling.
 */
#ifndef FAULT_PROXY_H
#define FAULT_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ============================================================================================
 * Schedules and parsing (schedule.c)
 * ========================================================================================= */

/** An inclusive range of integers: a fixed value has lo == hi. */
struct fp_range {
	uint64_t lo;
	uint64_t hi;
};

/** Directions of a connection, as a bit mask. */
#define FP_DIR_H2C 0x1u /* host (client) to controller (server) */
#define FP_DIR_C2H 0x2u /* controller to host */
#define FP_DIR_BOTH (FP_DIR_H2C | FP_DIR_C2H)

/** Probabilities are kept in parts per million so that decisions are exact integers. */
#define FP_PPM 1000000u

/**
 * Parse "N" or "A-B" (inclusive, A <= B). With \p sizes, each number may carry a binary
 * suffix (k, M, G: "4M", "1k-8k").
 *
 * \return 0, or -EINVAL / -ERANGE.
 */
int fp_parse_range(const char *str, bool sizes, struct fp_range *range);

/**
 * Parse a probability: "0.05", "5%", "1", "0". Parts per million in \p ppm.
 *
 * \return 0 or -EINVAL (outside 0..1, malformed).
 */
int fp_parse_prob(const char *str, uint32_t *ppm);

/**
 * Split an optional direction suffix "@h2c", "@c2h" or "@both" off \p str (in place).
 *
 * \param str Option value; the suffix is removed.
 * \param dirs Set to the direction mask (FP_DIR_BOTH when there is no suffix).
 * \return 0 or -EINVAL (unknown direction).
 */
int fp_split_dir(char *str, unsigned int *dirs);

/** Parse "h2c", "c2h" or "both". */
int fp_parse_dir(const char *str, unsigned int *dirs);

/** Stall spec: "P:MS[-MS]" (probability per PDU boundary) or "A-B:MS[-MS]" (time based). */
struct fp_stall_spec {
	uint32_t ppm;         /* per-PDU probability (per-PDU form) */
	struct fp_range every; /* interval in ms (time form) */
	struct fp_range ms;   /* stall duration in ms */
};

/** Parse "P:MS[-MS]" of --stall. */
int fp_parse_stall(const char *str, struct fp_stall_spec *spec);

/** Parse "A[-B]:MS[-MS]" of --stall-every. */
int fp_parse_stall_every(const char *str, struct fp_stall_spec *spec);

/** Coalesce spec: "BYTES[:MS]": hold until BYTES are pending or the oldest waited MS. */
struct fp_coalesce_spec {
	uint64_t bytes;
	uint64_t ms;
};

/** Parse "BYTES[:MS]" of --coalesce (default MS 2). */
int fp_parse_coalesce(const char *str, struct fp_coalesce_spec *spec);

/** Regions of a PDU, as the tracker classifies its bytes. */
enum fp_region {
	FP_REGION_CH = 0,   /* common header, bytes 0..7 */
	FP_REGION_PSH,      /* rest of the header (hlen), and a TermReq's error data */
	FP_REGION_HDGST,    /* header digest */
	FP_REGION_PAD,      /* padding between header and data */
	FP_REGION_DATA,     /* data */
	FP_REGION_DDGST,    /* data digest */
	FP_REGION_UNKNOWN,  /* framing lost: the stream is no longer understood */
	FP_REGION_COUNT,
};

/** Masks of regions (1u << enum fp_region). */
#define FP_WHERE_CH (1u << FP_REGION_CH)
#define FP_WHERE_PSH (1u << FP_REGION_PSH)
#define FP_WHERE_HDR (FP_WHERE_CH | FP_WHERE_PSH)
#define FP_WHERE_HDGST (1u << FP_REGION_HDGST)
#define FP_WHERE_PAD (1u << FP_REGION_PAD)
#define FP_WHERE_DATA (1u << FP_REGION_DATA)
#define FP_WHERE_DDGST (1u << FP_REGION_DDGST)
#define FP_WHERE_DIGEST (FP_WHERE_HDGST | FP_WHERE_DDGST)
#define FP_WHERE_ANY ((1u << FP_REGION_COUNT) - 1)

/**
 * Parse a comma-separated list of flip targets: ch, psh, hdr, hdgst, pad, data, ddgst, digest,
 * any.
 */
int fp_parse_where(const char *str, unsigned int *mask);

/** Name of a region. */
const char *fp_region_str(enum fp_region region);

/**
 * Parse a comma-separated list of PDU types, by name (ICReq, ICResp, H2CTermReq, C2HTermReq,
 * CapsuleCmd, CapsuleResp, H2CData, C2HData, R2T; case-insensitive) or number (0x07).
 *
 * \param str List.
 * \param mask Set to a mask of bits (1u << type).
 * \return 0 or -EINVAL.
 */
int fp_parse_pdu_types(const char *str, uint32_t *mask);

/**
 * Split "host:port" ("127.0.0.1:4420", "[::1]:4420", "localhost:4420") into its parts.
 *
 * \return 0, -EINVAL (no port, empty host), or -ENAMETOOLONG.
 */
int fp_parse_hostport(const char *str, char *host, size_t hostlen, char *port, size_t portlen);

/** How a connection is dropped. */
enum fp_reset_how {
	FP_RESET_RST = 0, /* SO_LINGER 0: both peers see a reset */
	FP_RESET_FIN,     /* orderly shutdown: both peers see end of stream */
	FP_RESET_MIXED,   /* either, chosen at random per drop */
};

/** Parse "rst", "fin" or "mixed". */
int fp_parse_reset_how(const char *str, enum fp_reset_how *how);

/** A seeded generator (xoshiro256**); every decision of the proxy draws from one. */
struct fp_rng {
	uint64_t s[4];
};

/** Seed a generator; \p stream separates generators of one seed (e.g. the connection ID). */
void fp_rng_seed(struct fp_rng *rng, uint64_t seed, uint64_t stream);

/** Next 64 random bits. */
uint64_t fp_rng_next(struct fp_rng *rng);

/** Uniform in [0, n) (0 when n is 0). */
uint64_t fp_rng_below(struct fp_rng *rng, uint64_t n);

/** Uniform in [range->lo, range->hi]. */
uint64_t fp_rng_range(struct fp_rng *rng, const struct fp_range *range);

/** true with probability ppm / FP_PPM. */
bool fp_rng_chance(struct fp_rng *rng, uint32_t ppm);

/**
 * The byte count until the next event of an "every ~N bytes" schedule: a range as given, or
 * for a single value N, uniform in [N/2, N + N/2] so that events do not fall on a lattice.
 */
uint64_t fp_rng_every(struct fp_rng *rng, const struct fp_range *range);

/* ============================================================================================
 * PDU-boundary tracker (pdu_track.c)
 * ========================================================================================= */

/** Where each region of one PDU lies (offsets from the PDU start; len 0 = absent). */
struct fp_pdu_layout {
	uint32_t start[FP_REGION_COUNT];
	uint32_t len[FP_REGION_COUNT];
};

/**
 * Compute the layout of a PDU from its common header, the way a receiver would frame it.
 *
 * \param ch The 8 bytes of the common header.
 * \param layout Filled in.
 * \return 0, or -EPROTO when the header cannot be framed (plen < 8, hlen < 8 or > plen, pdo
 *         inside the header or beyond plen, digest bytes that do not fit): the stream is lost.
 */
int fp_pdu_layout(const uint8_t ch[8], struct fp_pdu_layout *layout);

/** TLS record framing (--tls): a 5-byte header (type, version, length), then the body. */
#define FP_TLS_HDR_LEN 5
/** TLS record content types (RFC 8446 5.1). */
#define FP_TLS_CHANGE_CIPHER_SPEC 20
#define FP_TLS_ALERT 21
#define FP_TLS_HANDSHAKE 22
#define FP_TLS_APPLICATION_DATA 23

/**
 * Layout of a TLS record from its header: FP_REGION_CH the 5-byte header, FP_REGION_DATA the
 * body (TLS 1.3: ciphertext and AEAD tag once encrypted).
 *
 * \return 0, or -EPROTO for a header no TLS receiver would frame (unknown content type,
 *         major version not 3, body over 2^14 + 256 bytes).
 */
int fp_tls_layout(const uint8_t hdr[FP_TLS_HDR_LEN], struct fp_pdu_layout *layout,
		  uint32_t *rlen);

/** Name of a TLS record content type ("application_data", ...; "tls-N" for others). */
const char *fp_tls_type_str(int type);

/** Tracker of one direction of one connection. */
struct fp_track {
	bool tls;             /* TLS records (fp_track_init_tls) instead of NVMe/TCP PDUs */
	uint64_t stream_off;  /* bytes seen */
	uint64_t pdu_index;   /* PDUs started (the current one is pdu_index - 1 once started) */
	uint64_t pdu_start;   /* stream offset of the current PDU */
	uint32_t pdu_off;     /* bytes of the current PDU seen */
	uint8_t ch[8];        /* the current PDU's common header (pdu_off >= 8: complete) */
	struct fp_pdu_layout layout; /* valid once the header is complete */
	uint32_t plen;
	bool lost;            /* framing lost: everything from here is FP_REGION_UNKNOWN */
	uint64_t lost_at;     /* stream offset where it was lost */
	uint64_t pdus_by_type[16]; /* complete PDU headers seen, by type (index & 15) */
};

/** One classified stretch of the stream (fp_track_step()). */
struct fp_span {
	uint64_t stream_off;  /* stream offset of the first byte */
	uint32_t len;         /* bytes */
	enum fp_region region;
	uint64_t pdu_index;   /* PDU the bytes belong to (0-based) */
	uint32_t pdu_off;     /* offset of the first byte in its PDU */
	int pdu_type;         /* the PDU's type once its common header is complete, else -1 */
	/** The common header became complete with the last byte of this span: ch and layout
	 *  describe the PDU from now on. */
	bool ch_done;
	/** The span ends the PDU. */
	bool pdu_end;
};

/** Start tracking a stream at a PDU boundary. */
void fp_track_init(struct fp_track *t);
/** Start tracking a TLS stream at a record boundary: "PDUs" are then TLS records, their
 *  type the content type (pdus_by_type indexed by type & 15). */
void fp_track_init_tls(struct fp_track *t);

/**
 * Classify the next bytes: consumes from \p buf up to the end of the current region (and never
 * past the end of the common header, so that a caller learns the layout before the bytes that
 * follow it), and describes them in \p span.
 *
 * \param t Tracker.
 * \param buf Bytes (the original stream bytes, before any fault changed them).
 * \param len Bytes available (> 0).
 * \param span Filled in.
 * \return Bytes consumed (1..len).
 */
size_t fp_track_step(struct fp_track *t, const uint8_t *buf, size_t len, struct fp_span *span);

/** PDU type of the current PDU (valid once its header is complete), or -1. */
int fp_track_pdu_type(const struct fp_track *t);

/**
 * Choose the byte of a PDU to flip: uniformly among the bytes of the regions in \p where at
 * PDU offsets >= \p min_off (the bytes before it have already been forwarded).
 *
 * \param l Layout of the PDU.
 * \param where Mask of FP_WHERE_* regions.
 * \param min_off First PDU offset that may be chosen.
 * \param rng Generator.
 * \param off Set to the chosen PDU offset.
 * \param region Set to its region.
 * \return 0, or -ENOENT when no byte qualifies.
 */
int fp_flip_pick(const struct fp_pdu_layout *l, unsigned int where, uint32_t min_off,
		 struct fp_rng *rng, uint32_t *off, enum fp_region *region);

/* ============================================================================================
 * Configuration and run (proxy.c, main.c)
 * ========================================================================================= */

/** Everything the command line sets. */
struct fp_config {
	char listen_host[256];
	char listen_port[32];
	char connect_host[256];
	char connect_port[32];
	uint64_t seed;
	bool global;               /* one schedule for all connections instead of one each */
	bool tls;                  /* the streams are TLS: follow records, flip ciphertext */
	uint64_t only_after_bytes; /* per connection, both directions */
	uint64_t max_faults;       /* 0 = unlimited */
	uint32_t max_conns;
	uint64_t buffer_size;      /* per direction */

	/* Drops. */
	bool reset_every_set;
	struct fp_range reset_every_ms;
	bool reset_bytes_set;
	struct fp_range reset_bytes;
	enum fp_reset_how reset_how;

	/* Bit flips. */
	bool flip_set;
	struct fp_range flip_every;
	unsigned int flip_dirs;
	unsigned int flip_where;   /* FP_WHERE_* */
	uint32_t flip_types;       /* mask of PDU types; 0 = all */

	/* Stalls. */
	bool stall_set;
	struct fp_stall_spec stall;
	unsigned int stall_dirs;
	bool stall_every_set;
	struct fp_stall_spec stall_every;
	unsigned int stall_every_dirs;

	/* Shaping. */
	bool delay_set;
	struct fp_range delay_us;
	unsigned int delay_dirs;
	bool split_set;
	struct fp_range split;
	unsigned int split_dirs;
	bool coalesce_set;
	struct fp_coalesce_spec coalesce;
	unsigned int coalesce_dirs;

	bool busy_poll;            /* never sleep when idle */
	const char *json_path;     /* summary as JSON on exit */
	const char *log_path;      /* fault log (default stdout) */
	bool quiet;                /* no per-fault lines */
};

/** Kinds of injected faults, for the counters. */
enum fp_fault_kind {
	FP_FAULT_RESET_RST = 0,
	FP_FAULT_RESET_FIN,
	FP_FAULT_FLIP,
	FP_FAULT_STALL,
	FP_FAULT_KIND_COUNT,
};

/** Totals, printed on exit. */
struct fp_stats {
	uint64_t conns_accepted;
	uint64_t conns_refused;        /* over max_conns, or while the link is down */
	uint64_t link_cuts;            /* connections reset by fp_proxy_set_link(DOWN) */
	uint64_t upstream_failures;    /* upstream connect failed */
	uint64_t conns_closed_client;  /* closed because the client went away */
	uint64_t conns_closed_server;  /* closed because the server went away */
	uint64_t bytes[2];             /* forwarded, [0] h2c, [1] c2h */
	uint64_t faults[FP_FAULT_KIND_COUNT];
	uint64_t flips_by_region[FP_REGION_COUNT];
	uint64_t delayed_chunks;
	uint64_t split_sends;
	uint64_t coalesced_sends;
	uint64_t backpressure_waits;   /* reads skipped because the buffer was full */
	uint64_t stalls_skipped;       /* stall points dropped (queue full) */
	uint64_t pdus[2][16];          /* PDU headers seen per direction and type */
	uint64_t framing_lost[2];      /* streams whose framing the tracker lost */
};

struct fp_proxy;

/** State of the proxied link, changed on demand (SIGUSR1/SIGUSR2 in the tool). */
enum fp_link {
	FP_LINK_UP = 0,    /**< forward (with the configured faults) */
	FP_LINK_DOWN,      /**< every connection reset (RST) at once; new ones reset on accept */
	FP_LINK_BLACKHOLE, /**< nothing read, forwarded or accepted; connections stay open */
};

/** Name of a link state ("up", "down", "blackhole"). */
const char *fp_link_str(enum fp_link state);

/**
 * Change the link state. Going DOWN resets every open connection now (mid-PDU as it falls);
 * going BLACKHOLE freezes every connection (the peers see silence, as with a pulled cable);
 * going UP resumes (frozen connections carry on with what the kernel buffered).
 */
void fp_proxy_set_link(struct fp_proxy *proxy, enum fp_link state);

/** Create the proxy: listen, and be ready to accept. Needs the reactor of the calling thread. */
int fp_proxy_create(const struct fp_config *cfg, FILE *log, struct fp_proxy **proxy);

/** The port actually listened on (when "0" was asked). */
uint16_t fp_proxy_port(const struct fp_proxy *proxy);

/** Close every connection (their counters go into the totals). */
void fp_proxy_close_all(struct fp_proxy *proxy);

/** Close every connection and the listener; free. */
void fp_proxy_destroy(struct fp_proxy *proxy);

/** The counters. */
const struct fp_stats *fp_proxy_stats(const struct fp_proxy *proxy);

/** Print the summary (human-readable) and optionally write it as JSON. */
void fp_proxy_print_summary(const struct fp_proxy *proxy, FILE *out);
int fp_proxy_write_json(const struct fp_proxy *proxy, const char *path);

/** Name of a fault kind. */
const char *fp_fault_kind_str(enum fp_fault_kind kind);

#endif /* FAULT_PROXY_H */
