/*
 * fault_proxy: connections, forwarding and fault injection.
 *
 * Every accepted connection (the client side, normally the host) gets its own upstream
 * connection (the server side, normally the target). Each direction is a pipe: a bounded ring
 * buffer filled by reads from its source socket and drained by send requests on its destination
 * socket. A pipe reads only when its ring has room, so a destination that does not drain stops
 * the reading of its source (back-pressure, bounded memory).
 *
 * Bytes are classified by a PDU-boundary tracker as they are read, before anything touches
 * them; bit flips are applied in the ring before the bytes are handed to a send request, and
 * never after (a queued byte may already be on the wire).
 *
 * Discrete faults (drops, flips, stalls) start on a connection once --only-after-bytes have
 * passed through it; shaping (delay, split, coalesce) applies from the first byte. Random
 * decisions come from generators seeded from --seed and the connection ID (or one global
 * generator with --global), so that a run over the same traffic repeats.
 *
 * Everything runs on one thread, in one reactor poller.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fault_proxy.h"
#include "nvtcp/log.h"
#include "nvtcp/nvme_tcp_spec.h"
#include "nvtcp/reactor.h"
#include "nvtcp/sock.h"
#include "nvtcp/util.h"
/* For the descriptor: dropping a connection with a reset needs SO_LINGER, which lib/sock
 * does not offer (see the report). */
#include "sock_internal.h"

#define FP_REQS 64              /* send requests in flight per pipe */
#define FP_DELAY_RECS 1024      /* release records of delayed chunks per pipe */
#define FP_STALL_POINTS 64      /* pending per-PDU stall points per pipe */
#define FP_SPLIT_PER_POLL 32    /* split sends per pipe per poll */
#define FP_DRAIN_TIMEOUT_US 2000000
#define FP_CLOSED_KEEP 1024     /* closed connections remembered for the JSON summary */

enum { H2C = 0, C2H = 1 };

static const char *const g_dir_names[2] = {"h2c", "c2h"};

struct fp_pipe;

struct fp_req {
	struct nvtcp_sock_request req;
	struct iovec iov[2];
	struct fp_pipe *pipe;
	uint32_t len;
};

struct fp_delay_rec {
	uint64_t end;        /* stream offset: bytes before it ... */
	uint64_t release_us; /* ... may leave from this time */
};

struct fp_stall_pt {
	uint64_t off;  /* stream offset of a PDU boundary */
	uint32_t ms;
};

/* Schedule state: one per connection, or one shared by all with --global. */
struct fp_sched {
	struct fp_rng rng;
	bool reset_armed;
	uint64_t reset_deadline_us;
	uint64_t reset_bytes_left;
	uint64_t flip_countdown[2];
	bool flip_armed[2];
	uint64_t stall_every_next_us[2];
};

struct fp_pipe {
	struct fp_conn *conn;
	int dir;
	uint8_t *buf;
	uint64_t size;
	uint64_t rcvd;    /* bytes read from the source (the stream offset) */
	uint64_t queued;  /* bytes handed to send requests */
	uint64_t sent;    /* bytes whose send completed */
	uint64_t released; /* bytes whose delay has passed */
	bool src_done;    /* the source closed or failed */
	struct fp_track track;

	struct fp_delay_rec delay[FP_DELAY_RECS];
	uint32_t dhead, dcount;
	struct fp_stall_pt stalls[FP_STALL_POINTS];
	uint32_t shead, scount;
	uint64_t stalled_until_us;
	uint64_t coalesce_since_us;

	/* A flip chosen and waiting for its byte. */
	bool flip_pending;
	uint64_t flip_pdu;
	uint32_t flip_off;
	enum fp_region flip_region;
	uint64_t flip_tried_pdu; /* PDU index + 1 already considered for the armed flip */

	struct fp_req reqs[FP_REQS];
	uint32_t req_next;
	uint32_t inflight;
};

enum fp_conn_state {
	FP_CONN_CONNECTING,
	FP_CONN_OPEN,
	FP_CONN_DRAINING,
	FP_CONN_DEAD,
};

struct fp_conn {
	struct fp_proxy *proxy;
	uint32_t id;
	enum fp_conn_state state;
	struct nvtcp_sock *sock[2]; /* [H2C] client (source of h2c), [C2H] server */
	struct fp_pipe pipe[2];
	char client_addr[80];
	uint64_t bytes_total;       /* both directions, read */
	bool active;                /* past --only-after-bytes */
	uint64_t faults;
	uint64_t drain_deadline_us;
	const char *close_reason;
	struct fp_sched own_sched;
	struct fp_sched *sched;
	TAILQ_ENTRY(fp_conn) link;
};

struct fp_closed {
	uint32_t id;
	uint64_t bytes[2];
	uint64_t faults;
	const char *reason;
};

struct fp_proxy {
	struct fp_config cfg;
	FILE *log;
	struct nvtcp_sock *lsock;
	uint16_t port;
	struct nvtcp_sock_group *group;
	struct nvtcp_poller *poller;
	TAILQ_HEAD(, fp_conn) conns;
	uint32_t nconns;
	uint32_t next_id;
	struct fp_sched global;
	bool global_active;
	uint64_t fault_seq;
	uint64_t start_us;
	struct fp_stats stats;
	struct fp_closed closed[FP_CLOSED_KEEP];
	uint64_t nclosed;
	enum fp_link link;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

const char *
fp_fault_kind_str(enum fp_fault_kind kind)
{
	switch (kind) {
	case FP_FAULT_RESET_RST: return "reset-rst";
	case FP_FAULT_RESET_FIN: return "reset-fin";
	case FP_FAULT_FLIP: return "flip";
	case FP_FAULT_STALL: return "stall";
	default: return "?";
	}
}

static bool
fault_allowed(const struct fp_proxy *p)
{
	return p->cfg.max_faults == 0 || p->fault_seq < p->cfg.max_faults;
}

/* One log line per fault: what, where and when, to reproduce and understand a failing run. */
static void __attribute__((format(printf, 5, 6)))
log_fault(struct fp_proxy *p, struct fp_conn *c, int dir, enum fp_fault_kind kind,
	  const char *fmt, ...)
{
	va_list ap;

	p->fault_seq++;
	p->stats.faults[kind]++;
	c->faults++;
	if (p->cfg.quiet) {
		return;
	}
	fprintf(p->log, "FAULT #%llu t=%.6f conn=%u dir=%s kind=%s ", (unsigned long long)p->fault_seq,
		(double)(now_us() - p->start_us) / 1e6, c->id, dir < 0 ? "both" : g_dir_names[dir],
		fp_fault_kind_str(kind));
	va_start(ap, fmt);
	vfprintf(p->log, fmt, ap);
	va_end(ap);
	fputc('\n', p->log);
	fflush(p->log);
}

static void __attribute__((format(printf, 3, 4)))
log_conn(struct fp_proxy *p, struct fp_conn *c, const char *fmt, ...)
{
	va_list ap;

	if (p->cfg.quiet) {
		return;
	}
	fprintf(p->log, "CONN t=%.6f conn=%u ", (double)(now_us() - p->start_us) / 1e6, c->id);
	va_start(ap, fmt);
	vfprintf(p->log, fmt, ap);
	va_end(ap);
	fputc('\n', p->log);
	fflush(p->log);
}

/* ---- Schedules ----------------------------------------------------------------------------- */

static void
sched_init(struct fp_proxy *p, struct fp_sched *s, uint64_t stream)
{
	const struct fp_config *cfg = &p->cfg;

	memset(s, 0, sizeof(*s));
	fp_rng_seed(&s->rng, cfg->seed, stream);
	for (int d = 0; d < 2; d++) {
		if (cfg->flip_set) {
			s->flip_countdown[d] = fp_rng_every(&s->rng, &cfg->flip_every);
		}
	}
	if (cfg->reset_bytes_set) {
		s->reset_bytes_left = fp_rng_range(&s->rng, &cfg->reset_bytes);
	}
}

/* Timers start when faults become active (the connection, or the first one for --global). */
static void
sched_start(struct fp_proxy *p, struct fp_sched *s, uint64_t now)
{
	const struct fp_config *cfg = &p->cfg;

	if (cfg->reset_every_set) {
		s->reset_armed = true;
		s->reset_deadline_us = now + fp_rng_range(&s->rng, &cfg->reset_every_ms) * 1000;
	}
	for (int d = 0; d < 2; d++) {
		if (cfg->stall_every_set && (cfg->stall_every_dirs & (1u << d))) {
			s->stall_every_next_us[d] =
				now + fp_rng_range(&s->rng, &cfg->stall_every.every) * 1000;
		}
	}
}

/* ---- Connection teardown ------------------------------------------------------------------- */

static void
sock_set_rst(struct nvtcp_sock *sock)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	if (sock != NULL && sock->fd >= 0) {
		(void)setsockopt(sock->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
}

/* An orderly end of stream: FIN, then discard what the peer still sends us, so that the close
 * does not turn into a reset because of unread data. */
static void
sock_set_fin(struct nvtcp_sock *sock)
{
	uint8_t junk[4096];

	if (sock == NULL || sock->fd < 0) {
		return;
	}
	(void)shutdown(sock->fd, SHUT_WR);
	for (int i = 0; i < 256; i++) {
		if (recv(sock->fd, junk, sizeof(junk), MSG_DONTWAIT) <= 0) {
			break;
		}
	}
}

static void
conn_remember(struct fp_proxy *p, struct fp_conn *c)
{
	struct fp_closed *rec = &p->closed[p->nclosed % FP_CLOSED_KEEP];

	rec->id = c->id;
	rec->bytes[H2C] = c->pipe[H2C].sent;
	rec->bytes[C2H] = c->pipe[C2H].sent;
	rec->faults = c->faults;
	rec->reason = c->close_reason != NULL ? c->close_reason : "?";
	p->nclosed++;
}

/* Close both sockets now (with a reset or a FIN) and mark the connection dead; it is freed
 * by the poller, never inside a socket callback. */
static void
conn_close(struct fp_conn *c, bool rst, const char *reason)
{
	struct fp_proxy *p = c->proxy;

	if (c->state == FP_CONN_DEAD) {
		return;
	}
	if (c->close_reason == NULL) {
		c->close_reason = reason;
	}
	for (int i = 0; i < 2; i++) {
		if (c->sock[i] == NULL) {
			continue;
		}
		if (rst) {
			sock_set_rst(c->sock[i]);
		} else {
			sock_set_fin(c->sock[i]);
		}
		/* Queued send requests complete with -ECANCELED from inside the close. */
		nvtcp_sock_close(&c->sock[i]);
	}
	for (int d = 0; d < 2; d++) {
		if (c->pipe[d].track.lost) {
			p->stats.framing_lost[d]++;
		}
		for (int t = 0; t < 16; t++) {
			p->stats.pdus[d][t] += c->pipe[d].track.pdus_by_type[t];
		}
	}
	log_conn(p, c, "close reason=\"%s\" h2c=%llu c2h=%llu faults=%llu", c->close_reason,
		 (unsigned long long)c->pipe[H2C].sent, (unsigned long long)c->pipe[C2H].sent,
		 (unsigned long long)c->faults);
	conn_remember(p, c);
	c->state = FP_CONN_DEAD;
}

static void
conn_free(struct fp_conn *c)
{
	struct fp_proxy *p = c->proxy;

	TAILQ_REMOVE(&p->conns, c, link);
	p->nconns--;
	for (int d = 0; d < 2; d++) {
		free(c->pipe[d].buf);
	}
	free(c);
}

/* Drop a connection as a fault. */
static void
conn_drop(struct fp_conn *c, const char *why)
{
	struct fp_proxy *p = c->proxy;
	enum fp_reset_how how = p->cfg.reset_how;
	bool rst;

	if (c->state == FP_CONN_DEAD || c->state == FP_CONN_CONNECTING) {
		return;
	}
	if (how == FP_RESET_MIXED) {
		how = (fp_rng_next(&c->sched->rng) & 1) ? FP_RESET_FIN : FP_RESET_RST;
	}
	rst = how == FP_RESET_RST;
	log_fault(p, c, -1, rst ? FP_FAULT_RESET_RST : FP_FAULT_RESET_FIN,
		  "trigger=%s h2c_off=%llu c2h_off=%llu", why,
		  (unsigned long long)c->pipe[H2C].queued, (unsigned long long)c->pipe[C2H].queued);
	conn_close(c, rst, rst ? "fault: reset (RST)" : "fault: reset (FIN)");
}

/* ---- Sending ------------------------------------------------------------------------------- */

static void
req_done(void *arg, int status)
{
	struct fp_req *r = arg;
	struct fp_pipe *pipe = r->pipe;
	struct fp_conn *c = pipe->conn;

	/* Requests complete in order, so sent only grows. */
	pipe->sent += r->len;
	pipe->inflight--;
	if (status == 0) {
		c->proxy->stats.bytes[pipe->dir] += r->len;
	} else if (status != -ECANCELED && c->state != FP_CONN_DEAD) {
		/* The destination failed; the poller closes the connection. */
		if (c->close_reason == NULL) {
			c->close_reason = pipe->dir == H2C ? "server connection failed on send" :
					  "client connection failed on send";
		}
		pipe->src_done = true;
		pipe->conn->pipe[!pipe->dir].src_done = true;
	}
}

/* Hand bytes [queued, queued + len) to one send request. */
static bool
pipe_send(struct fp_pipe *pipe, uint64_t len)
{
	struct nvtcp_sock *dst = pipe->conn->sock[!pipe->dir];
	struct fp_req *r;
	uint64_t pos, first;

	if (pipe->inflight == FP_REQS || dst == NULL) {
		return false;
	}
	r = &pipe->reqs[pipe->req_next];
	pipe->req_next = (pipe->req_next + 1) % FP_REQS;
	pos = pipe->queued % pipe->size;
	first = NVTCP_MIN(len, pipe->size - pos);
	r->iov[0].iov_base = pipe->buf + pos;
	r->iov[0].iov_len = first;
	r->iov[1].iov_base = pipe->buf;
	r->iov[1].iov_len = len - first;
	r->len = (uint32_t)len;
	r->pipe = pipe;
	r->req.iov = r->iov;
	r->req.iovcnt = len > first ? 2 : 1;
	r->req.cb = req_done;
	r->req.cb_arg = r;
	pipe->queued += len;
	pipe->inflight++;
	nvtcp_sock_writev_async(dst, &r->req);
	return true;
}

static bool
dir_has(unsigned int mask, int dir)
{
	return (mask & (1u << dir)) != 0;
}

static void
pipe_stall(struct fp_pipe *pipe, uint64_t now, uint32_t ms, const char *why)
{
	struct fp_conn *c = pipe->conn;

	pipe->stalled_until_us = now + (uint64_t)ms * 1000;
	log_fault(c->proxy, c, pipe->dir, FP_FAULT_STALL, "trigger=%s off=%llu ms=%u", why,
		  (unsigned long long)pipe->queued, ms);
}

/* Move what may leave now from the ring to the destination socket. Returns true on progress. */
static bool
pipe_pump(struct fp_pipe *pipe, uint64_t now)
{
	struct fp_conn *c = pipe->conn;
	struct fp_proxy *p = c->proxy;
	const struct fp_config *cfg = &p->cfg;
	struct nvtcp_sock *dst = c->sock[!pipe->dir];
	uint64_t limit, avail;
	bool progress = false;

	if (dst == NULL || now < pipe->stalled_until_us || p->link == FP_LINK_BLACKHOLE) {
		return false;
	}
	/* Delayed chunks become eligible in order. */
	limit = pipe->rcvd;
	if (cfg->delay_set && dir_has(cfg->delay_dirs, pipe->dir)) {
		while (pipe->dcount > 0 && pipe->delay[pipe->dhead].release_us <= now) {
			pipe->released = pipe->delay[pipe->dhead].end;
			pipe->dhead = (pipe->dhead + 1) % FP_DELAY_RECS;
			pipe->dcount--;
		}
		limit = pipe->released;
	}
	/* A stall point stops the flow at its PDU boundary, then holds it. */
	if (pipe->scount > 0) {
		struct fp_stall_pt *sp = &pipe->stalls[pipe->shead];

		if (pipe->queued >= sp->off) {
			uint32_t ms = sp->ms;

			pipe->shead = (pipe->shead + 1) % FP_STALL_POINTS;
			pipe->scount--;
			if (c->state == FP_CONN_OPEN && fault_allowed(p)) {
				pipe_stall(pipe, now, ms, "pdu");
				return true;
			}
		} else if (sp->off < limit) {
			limit = sp->off;
		}
	}
	avail = limit - pipe->queued;
	if (avail == 0) {
		pipe->coalesce_since_us = 0;
		return false;
	}
	if (cfg->coalesce_set && dir_has(cfg->coalesce_dirs, pipe->dir) &&
	    c->state == FP_CONN_OPEN) {
		if (pipe->coalesce_since_us == 0) {
			pipe->coalesce_since_us = now;
		}
		/* A batch larger than the ring could never fill: the ring is the limit. */
		if (avail < NVTCP_MIN(cfg->coalesce.bytes, pipe->size) &&
		    now - pipe->coalesce_since_us < cfg->coalesce.ms * 1000) {
			return false;
		}
		if (pipe_send(pipe, avail)) {
			p->stats.coalesced_sends++;
			pipe->coalesce_since_us = 0;
			progress = true;
		}
	} else if (cfg->split_set && dir_has(cfg->split_dirs, pipe->dir)) {
		/* One sendmsg() per chunk: with TCP_NODELAY each becomes its own segment. */
		for (int i = 0; i < FP_SPLIT_PER_POLL && avail > 0; i++) {
			/* NVTCP_MIN/MAX evaluate their arguments twice: draw once. */
			uint64_t n = fp_rng_range(&c->sched->rng, &cfg->split);

			n = NVTCP_MIN(avail, NVTCP_MAX(n, (uint64_t)1));

			if (!pipe_send(pipe, n)) {
				break;
			}
			p->stats.split_sends++;
			progress = true;
			avail -= n;
			if (nvtcp_sock_flush(dst) <= 0) {
				break; /* the kernel took nothing: try again next poll */
			}
		}
	} else if (pipe_send(pipe, avail)) {
		progress = true;
	}
	if (progress && dst != NULL) {
		(void)nvtcp_sock_flush(dst);
	}
	return progress;
}

/* ---- Receiving and classifying ------------------------------------------------------------- */

static void
flip_apply(struct fp_pipe *pipe, uint64_t stream_off, const struct fp_span *span)
{
	struct fp_conn *c = pipe->conn;
	struct fp_proxy *p = c->proxy;
	uint8_t *b = &pipe->buf[stream_off % pipe->size];
	unsigned int bit = (unsigned int)fp_rng_below(&c->sched->rng, 8);
	uint8_t old = *b;
	int type = span->pdu_type;

	*b ^= (uint8_t)(1u << bit);
	p->stats.flips_by_region[pipe->flip_region]++;
	log_fault(p, c, pipe->dir, FP_FAULT_FLIP,
		  "off=%llu pdu=%llu type=%s region=%s pdu_off=%u bit=%u 0x%02x->0x%02x",
		  (unsigned long long)stream_off, (unsigned long long)span->pdu_index,
		  type < 0 ? "unknown" : p->cfg.tls ? fp_tls_type_str(type) :
		  nvtcp_tcp_pdu_type_str((uint8_t)type),
		  fp_region_str(pipe->flip_region), pipe->flip_off, bit, old, *b);
}

/* Decide and apply flips over one span of freshly read bytes. */
static void
flip_span(struct fp_pipe *pipe, const struct fp_span *span)
{
	struct fp_conn *c = pipe->conn;
	struct fp_proxy *p = c->proxy;
	const struct fp_config *cfg = &p->cfg;
	struct fp_sched *s = c->sched;
	int d = pipe->dir;
	uint64_t arm_off = span->stream_off + span->len; /* no arming in this span */

	if (!cfg->flip_set || !dir_has(cfg->flip_dirs, d) || !c->active) {
		return;
	}
	if (!s->flip_armed[d]) {
		if (s->flip_countdown[d] > span->len) {
			s->flip_countdown[d] -= span->len;
		} else {
			arm_off = span->stream_off + s->flip_countdown[d] - 1;
			s->flip_countdown[d] = 0;
			s->flip_armed[d] = true;
		}
	} else {
		arm_off = span->stream_off;
	}

	if (s->flip_armed[d] && !pipe->flip_pending && fault_allowed(p)) {
		/* Earliest byte that may change: not yet queued, and not before the arming. */
		uint64_t min_stream = NVTCP_MAX(NVTCP_MAX(pipe->queued, arm_off), span->stream_off);

		if (span->region == FP_REGION_UNKNOWN) {
			if ((cfg->flip_where & (1u << FP_REGION_UNKNOWN)) &&
			    min_stream < span->stream_off + span->len) {
				pipe->flip_pending = true;
				pipe->flip_pdu = span->pdu_index;
				pipe->flip_region = FP_REGION_UNKNOWN;
				pipe->flip_off = (uint32_t)(min_stream - span->stream_off);
				s->flip_armed[d] = false;
				s->flip_countdown[d] = fp_rng_every(&s->rng, &cfg->flip_every);
				flip_apply(pipe, min_stream, span);
				pipe->flip_pending = false;
			}
			return;
		}
		/* Once the header is known, pick a byte of this PDU (once per PDU). */
		if ((span->ch_done || span->region != FP_REGION_CH) &&
		    pipe->flip_tried_pdu != span->pdu_index + 1) {
			int type = span->pdu_type;
			uint32_t min_off, off;
			enum fp_region region;

			pipe->flip_tried_pdu = span->pdu_index + 1;
			min_off = (uint32_t)(min_stream - pipe->track.pdu_start);
			/* TLS: only application data records, whose AEAD check a flip must
			 * fail (a flipped handshake record is a handshake failure, tested
			 * elsewhere). */
			bool type_ok = cfg->tls ? type == FP_TLS_APPLICATION_DATA :
				       type >= 0 && (cfg->flip_types == 0 ||
						     (cfg->flip_types & (1u << type)));

			if (type_ok &&
			    fp_flip_pick(&pipe->track.layout, cfg->flip_where, min_off, &s->rng,
					 &off, &region) == 0) {
				pipe->flip_pending = true;
				pipe->flip_pdu = span->pdu_index;
				pipe->flip_off = off;
				pipe->flip_region = region;
				s->flip_armed[d] = false;
				s->flip_countdown[d] = fp_rng_every(&s->rng, &cfg->flip_every);
			}
		}
	}

	if (pipe->flip_pending && pipe->flip_pdu == span->pdu_index &&
	    pipe->flip_off >= span->pdu_off && pipe->flip_off < span->pdu_off + span->len) {
		flip_apply(pipe, span->stream_off + (pipe->flip_off - span->pdu_off), span);
		pipe->flip_pending = false;
	} else if (pipe->flip_pending && span->pdu_end && pipe->flip_pdu == span->pdu_index) {
		/* Cannot happen (the target lies within the PDU); never leave a flip hanging. */
		pipe->flip_pending = false;
	}
}

static void
stall_span(struct fp_pipe *pipe, const struct fp_span *span)
{
	struct fp_conn *c = pipe->conn;
	struct fp_proxy *p = c->proxy;
	const struct fp_config *cfg = &p->cfg;

	if (!cfg->stall_set || !dir_has(cfg->stall_dirs, pipe->dir) || !c->active ||
	    span->pdu_off != 0 || span->region != FP_REGION_CH) {
		return;
	}
	if (!fp_rng_chance(&c->sched->rng, cfg->stall.ppm)) {
		return;
	}
	if (pipe->scount == FP_STALL_POINTS) {
		p->stats.stalls_skipped++;
		return;
	}
	pipe->stalls[(pipe->shead + pipe->scount) % FP_STALL_POINTS] = (struct fp_stall_pt){
		.off = span->stream_off,
		.ms = (uint32_t)fp_rng_range(&c->sched->rng, &cfg->stall.ms),
	};
	pipe->scount++;
}

/* Bytes [from, from + n) of the stream just landed in the ring. */
static void
pipe_classify(struct fp_pipe *pipe, uint64_t from, uint64_t n)
{
	while (n > 0) {
		uint64_t pos = from % pipe->size;
		size_t len = (size_t)NVTCP_MIN(n, pipe->size - pos);
		struct fp_span span;
		size_t used = fp_track_step(&pipe->track, pipe->buf + pos, len, &span);

		stall_span(pipe, &span);
		flip_span(pipe, &span);
		from += used;
		n -= used;
	}
}

static void
conn_account(struct fp_conn *c, uint64_t n, uint64_t now)
{
	struct fp_proxy *p = c->proxy;
	const struct fp_config *cfg = &p->cfg;

	c->bytes_total += n;
	if (!c->active && c->bytes_total >= cfg->only_after_bytes) {
		c->active = true;
		if (!cfg->global) {
			sched_start(p, c->sched, now);
		} else if (!p->global_active) {
			p->global_active = true;
			sched_start(p, c->sched, now);
		}
	}
	if (c->active && cfg->reset_bytes_set) {
		c->sched->reset_bytes_left -= NVTCP_MIN(c->sched->reset_bytes_left, n);
	}
}

static void
pipe_delay_record(struct fp_pipe *pipe, uint64_t end, uint64_t now)
{
	struct fp_conn *c = pipe->conn;
	const struct fp_config *cfg = &c->proxy->cfg;
	uint64_t release = now + fp_rng_range(&c->sched->rng, &cfg->delay_us);
	struct fp_delay_rec *last = NULL;

	if (pipe->dcount > 0) {
		last = &pipe->delay[(pipe->dhead + pipe->dcount - 1) % FP_DELAY_RECS];
		/* A stream keeps its order: no chunk may overtake the one before it. */
		release = NVTCP_MAX(release, last->release_us);
	}
	if (pipe->dcount == FP_DELAY_RECS) {
		last->end = end;
		last->release_us = release;
		return;
	}
	pipe->delay[(pipe->dhead + pipe->dcount) % FP_DELAY_RECS] =
		(struct fp_delay_rec){.end = end, .release_us = release};
	pipe->dcount++;
	c->proxy->stats.delayed_chunks++;
}

/* The source of a pipe may be readable. */
static void
pipe_readable(void *arg, struct nvtcp_sock_group *group, struct nvtcp_sock *sock)
{
	struct fp_pipe *pipe = arg;
	struct fp_conn *c = pipe->conn;
	struct fp_proxy *p = c->proxy;
	uint64_t used = pipe->rcvd - pipe->sent, room = pipe->size - used, pos;
	struct iovec iov[2];
	ssize_t n;

	if (c->state != FP_CONN_OPEN || pipe->src_done || p->link == FP_LINK_BLACKHOLE) {
		return;
	}
	if (room == 0) {
		/* Back-pressure: the destination is not draining; leave the bytes in the kernel. */
		p->stats.backpressure_waits++;
		return;
	}
	pos = pipe->rcvd % pipe->size;
	iov[0].iov_base = pipe->buf + pos;
	iov[0].iov_len = NVTCP_MIN(room, pipe->size - pos);
	iov[1].iov_base = pipe->buf;
	iov[1].iov_len = room - iov[0].iov_len;
	n = nvtcp_sock_readv(sock, iov, iov[1].iov_len > 0 ? 2 : 1);
	if (n == -EAGAIN) {
		return;
	}
	if (n <= 0) {
		/* The source closed (or reset): forward what is buffered, then close. */
		pipe->src_done = true;
		nvtcp_sock_group_remove(group, sock);
		if (c->close_reason == NULL) {
			c->close_reason = pipe->dir == H2C ? "client closed" : "server closed";
			if (pipe->dir == H2C) {
				p->stats.conns_closed_client++;
			} else {
				p->stats.conns_closed_server++;
			}
		}
		return;
	}
	{
		uint64_t from = pipe->rcvd, now = now_us();

		pipe->rcvd += (uint64_t)n;
		conn_account(c, (uint64_t)n, now);
		pipe_classify(pipe, from, (uint64_t)n);
		if (p->cfg.delay_set && dir_has(p->cfg.delay_dirs, pipe->dir)) {
			pipe_delay_record(pipe, pipe->rcvd, now);
		}
	}
}

/* ---- Connections --------------------------------------------------------------------------- */

static void
conn_open(struct fp_conn *c)
{
	struct fp_proxy *p = c->proxy;

	for (int d = 0; d < 2; d++) {
		int rc = nvtcp_sock_group_add(p->group, c->sock[d], pipe_readable, &c->pipe[d]);

		if (rc != 0) {
			log_conn(p, c, "cannot poll its sockets: %s", strerror(-rc));
			conn_close(c, true, "internal: group add failed");
			return;
		}
	}
	c->state = FP_CONN_OPEN;
	log_conn(p, c, "open client=%s upstream=%s:%s", c->client_addr, p->cfg.connect_host,
		 p->cfg.connect_port);
	if (p->cfg.only_after_bytes == 0) {
		conn_account(c, 0, now_us());
	}
}

static int
conn_create(struct fp_proxy *p, struct nvtcp_sock *client)
{
	struct fp_conn *c = calloc(1, sizeof(*c));
	struct nvtcp_sock_opts opts;
	char raddr[64] = "?";
	uint16_t rport = 0;
	int rc;

	if (c == NULL) {
		return -ENOMEM;
	}
	c->proxy = p;
	c->id = ++p->next_id;
	c->state = FP_CONN_CONNECTING;
	c->sock[H2C] = client;
	for (int d = 0; d < 2; d++) {
		struct fp_pipe *pipe = &c->pipe[d];

		pipe->conn = c;
		pipe->dir = d;
		pipe->size = p->cfg.buffer_size;
		pipe->buf = malloc(pipe->size);
		if (pipe->buf == NULL) {
			free(c->pipe[0].buf);
			free(c);
			return -ENOMEM;
		}
		if (p->cfg.tls) {
			fp_track_init_tls(&pipe->track);
		} else {
			fp_track_init(&pipe->track);
		}
	}
	if (p->cfg.global) {
		c->sched = &p->global;
	} else {
		sched_init(p, &c->own_sched, c->id);
		c->sched = &c->own_sched;
	}
	(void)nvtcp_sock_getaddr(client, NULL, NULL, raddr, &rport, sizeof(raddr));
	snprintf(c->client_addr, sizeof(c->client_addr), "%s:%u", raddr, rport);
	TAILQ_INSERT_TAIL(&p->conns, c, link);
	p->nconns++;
	p->stats.conns_accepted++;

	nvtcp_sock_opts_init(&opts);
	opts.connect_timeout_ms = 5000;
	c->sock[C2H] = nvtcp_sock_connect_async(p->cfg.connect_host, p->cfg.connect_port, &opts, &rc);
	if (c->sock[C2H] == NULL) {
		p->stats.upstream_failures++;
		log_conn(p, c, "upstream connect to %s:%s failed: %s", p->cfg.connect_host,
			 p->cfg.connect_port, strerror(-rc));
		conn_close(c, true, "upstream connect failed");
	}
	return 0;
}

static void
accept_readable(void *arg, struct nvtcp_sock_group *group, struct nvtcp_sock *lsock)
{
	struct fp_proxy *p = arg;

	if (p->link == FP_LINK_BLACKHOLE) {
		/* Left in the backlog: the kernel completes the handshake, nothing answers. */
		return;
	}
	for (int i = 0; i < 16; i++) {
		int rc;
		struct nvtcp_sock *s = nvtcp_sock_accept(lsock, &rc);

		if (s == NULL) {
			if (rc != -EAGAIN) {
				fprintf(p->log, "ERROR accept failed: %s\n", strerror(-rc));
			}
			return;
		}
		if (p->link == FP_LINK_DOWN) {
			p->stats.conns_refused++;
			sock_set_rst(s);
			nvtcp_sock_close(&s);
			continue;
		}
		if (p->nconns >= p->cfg.max_conns) {
			p->stats.conns_refused++;
			fprintf(p->log, "WARN connection refused: %u connections open (--max-conns)\n",
				p->nconns);
			sock_set_rst(s);
			nvtcp_sock_close(&s);
			continue;
		}
		rc = conn_create(p, s);
		if (rc != 0) {
			fprintf(p->log, "ERROR cannot set up a connection: %s\n", strerror(-rc));
			sock_set_rst(s);
			nvtcp_sock_close(&s);
		}
	}
}

/* Timed faults of one schedule; \p c is the connection (NULL: global, all connections). */
static bool
sched_timers(struct fp_proxy *p, struct fp_sched *s, struct fp_conn *c, uint64_t now)
{
	const struct fp_config *cfg = &p->cfg;
	bool progress = false;

	if (cfg->reset_every_set && s->reset_armed && now >= s->reset_deadline_us) {
		s->reset_deadline_us = now + fp_rng_range(&s->rng, &cfg->reset_every_ms) * 1000;
		if (c != NULL) {
			s->reset_armed = false; /* a connection is dropped once */
			if (fault_allowed(p)) {
				conn_drop(c, "timer");
			}
		} else {
			struct fp_conn *it;

			TAILQ_FOREACH(it, &p->conns, link) {
				if (it->active && fault_allowed(p)) {
					conn_drop(it, "global-timer");
				}
			}
		}
		progress = true;
	}
	if (cfg->reset_bytes_set && s->reset_bytes_left == 0) {
		if (c != NULL) {
			s->reset_bytes_left = UINT64_MAX; /* a connection is dropped once */
			if (fault_allowed(p)) {
				conn_drop(c, "bytes");
			}
		} else {
			s->reset_bytes_left = fp_rng_range(&s->rng, &cfg->reset_bytes);
			struct fp_conn *it;

			TAILQ_FOREACH(it, &p->conns, link) {
				if (it->active && fault_allowed(p)) {
					conn_drop(it, "global-bytes");
				}
			}
		}
		progress = true;
	}
	for (int d = 0; d < 2; d++) {
		uint32_t ms;

		if (!cfg->stall_every_set || s->stall_every_next_us[d] == 0 ||
		    now < s->stall_every_next_us[d]) {
			continue;
		}
		ms = (uint32_t)fp_rng_range(&s->rng, &cfg->stall_every.ms);
		s->stall_every_next_us[d] = now + (uint64_t)ms * 1000 +
					    fp_rng_range(&s->rng, &cfg->stall_every.every) * 1000;
		if (c != NULL) {
			if (c->state == FP_CONN_OPEN && fault_allowed(p)) {
				pipe_stall(&c->pipe[d], now, ms, "timer");
			}
		} else {
			struct fp_conn *it;

			TAILQ_FOREACH(it, &p->conns, link) {
				if (it->active && it->state == FP_CONN_OPEN && fault_allowed(p)) {
					pipe_stall(&it->pipe[d], now, ms, "global-timer");
				}
			}
		}
		progress = true;
	}
	return progress;
}

static bool
conn_poll(struct fp_conn *c, uint64_t now)
{
	struct fp_proxy *p = c->proxy;
	bool progress = false;

	if (c->state == FP_CONN_CONNECTING) {
		int rc = nvtcp_sock_connect_poll(c->sock[C2H]);

		if (rc == -EINPROGRESS) {
			return false;
		}
		if (rc != 0) {
			p->stats.upstream_failures++;
			log_conn(p, c, "upstream connect to %s:%s failed: %s", p->cfg.connect_host,
				 p->cfg.connect_port, strerror(-rc));
			/* The client sees a reset, as if the target had refused it. */
			conn_close(c, true, "upstream connect failed");
			return true;
		}
		conn_open(c);
		return true;
	}
	if (c->state == FP_CONN_OPEN && (c->pipe[H2C].src_done || c->pipe[C2H].src_done)) {
		c->state = FP_CONN_DRAINING;
		c->drain_deadline_us = now + FP_DRAIN_TIMEOUT_US;
		progress = true;
	}
	if (c->state == FP_CONN_OPEN && c->active && !p->cfg.global) {
		progress |= sched_timers(p, c->sched, c, now);
	}
	if (c->state == FP_CONN_OPEN || c->state == FP_CONN_DRAINING) {
		for (int d = 0; d < 2; d++) {
			progress |= pipe_pump(&c->pipe[d], now);
		}
	}
	if (c->state == FP_CONN_DRAINING) {
		/* The side that closed gets nothing more; the other gets what was buffered
		 * for it (a TermReq just before a close must arrive), then an end of stream. */
		bool drained = true;

		for (int d = 0; d < 2; d++) {
			struct fp_pipe *pipe = &c->pipe[d];

			if (pipe->src_done && c->sock[!d] != NULL && pipe->sent < pipe->rcvd) {
				drained = false;
			}
		}
		if (drained || now >= c->drain_deadline_us) {
			conn_close(c, false, drained ? "peer closed" : "peer closed (drain timeout)");
			progress = true;
		}
	}
	return progress;
}

static int
proxy_poll(void *arg)
{
	struct fp_proxy *p = arg;
	struct fp_conn *c, *next;
	uint64_t now;
	bool progress = false;
	int rc;

	rc = nvtcp_sock_group_poll(p->group, 0);
	now = now_us();
	if (p->cfg.global && p->global_active) {
		progress |= sched_timers(p, &p->global, NULL, now);
	}
	for (c = TAILQ_FIRST(&p->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (p->link == FP_LINK_BLACKHOLE && c->state != FP_CONN_DEAD) {
			continue; /* frozen: no connect completion, no drain deadline */
		}
		progress |= conn_poll(c, now);
		if (c->state == FP_CONN_DEAD) {
			conn_free(c);
			progress = true;
		}
	}
	/* Sockets whose reads moved bytes count as work through the pumps; a callback on a
	 * full ring does not. */
	return progress || rc < 0 ? NVTCP_POLLER_BUSY : NVTCP_POLLER_IDLE;
}

/* ---- Life cycle ---------------------------------------------------------------------------- */

int
fp_proxy_create(const struct fp_config *cfg, FILE *log, struct fp_proxy **proxy)
{
	struct fp_proxy *p = calloc(1, sizeof(*p));
	struct nvtcp_sock_opts opts;
	int rc;

	if (p == NULL) {
		return -ENOMEM;
	}
	p->cfg = *cfg;
	p->log = log;
	p->start_us = now_us();
	TAILQ_INIT(&p->conns);
	sched_init(p, &p->global, 0);
	nvtcp_sock_opts_init(&opts);
	p->lsock = nvtcp_sock_listen(cfg->listen_host, cfg->listen_port, &opts, &rc);
	if (p->lsock == NULL) {
		free(p);
		return rc;
	}
	rc = nvtcp_sock_getaddr(p->lsock, NULL, &p->port, NULL, NULL, INET6_ADDRSTRLEN);
	if (rc == 0) {
		p->group = nvtcp_sock_group_create();
		rc = p->group == NULL ? -ENOMEM : 0;
	}
	if (rc == 0) {
		rc = nvtcp_sock_group_add(p->group, p->lsock, accept_readable, p);
	}
	if (rc == 0) {
		p->poller = nvtcp_poller_register(proxy_poll, p, 0);
		rc = p->poller == NULL ? -ENOMEM : 0;
	}
	if (rc != 0) {
		nvtcp_sock_close(&p->lsock);
		nvtcp_sock_group_destroy(&p->group);
		free(p);
		return rc;
	}
	*proxy = p;
	return 0;
}

uint16_t
fp_proxy_port(const struct fp_proxy *p)
{
	return p->port;
}

const struct fp_stats *
fp_proxy_stats(const struct fp_proxy *p)
{
	return &p->stats;
}

const char *
fp_link_str(enum fp_link state)
{
	switch (state) {
	case FP_LINK_UP:
		return "up";
	case FP_LINK_DOWN:
		return "down";
	case FP_LINK_BLACKHOLE:
		return "blackhole";
	}
	return "?";
}

void
fp_proxy_set_link(struct fp_proxy *p, enum fp_link state)
{
	struct fp_conn *c;
	uint64_t cut = 0;

	if (state == FP_LINK_DOWN) {
		TAILQ_FOREACH(c, &p->conns, link) {
			if (c->state != FP_CONN_DEAD) {
				log_fault(p, c, -1, FP_FAULT_RESET_RST,
					  "trigger=link-down h2c_off=%llu c2h_off=%llu",
					  (unsigned long long)c->pipe[H2C].queued,
					  (unsigned long long)c->pipe[C2H].queued);
				conn_close(c, true, "link down (RST)");
				cut++;
			}
		}
		p->stats.link_cuts += cut;
	}
	fprintf(p->log, "fault_proxy: link %s -> %s (%llu connections reset)\n",
		fp_link_str(p->link), fp_link_str(state), (unsigned long long)cut);
	fflush(p->log);
	p->link = state;
}

void
fp_proxy_close_all(struct fp_proxy *p)
{
	struct fp_conn *c;

	while ((c = TAILQ_FIRST(&p->conns)) != NULL) {
		conn_close(c, false, "proxy exit");
		conn_free(c);
	}
}

void
fp_proxy_destroy(struct fp_proxy *p)
{
	if (p == NULL) {
		return;
	}
	nvtcp_poller_unregister(&p->poller);
	fp_proxy_close_all(p);
	nvtcp_sock_close(&p->lsock);
	nvtcp_sock_group_destroy(&p->group);
	free(p);
}

/* ---- Summary ------------------------------------------------------------------------------- */

static uint64_t
faults_total(const struct fp_stats *s)
{
	uint64_t n = 0;

	for (int k = 0; k < FP_FAULT_KIND_COUNT; k++) {
		n += s->faults[k];
	}
	return n;
}

void
fp_proxy_print_summary(const struct fp_proxy *p, FILE *out)
{
	const struct fp_stats *s = &p->stats;

	fprintf(out, "SUMMARY seed=%llu connections=%llu refused=%llu upstream_failures=%llu "
		"link_cuts=%llu bytes_h2c=%llu bytes_c2h=%llu faults=%llu",
		(unsigned long long)p->cfg.seed, (unsigned long long)s->conns_accepted,
		(unsigned long long)s->conns_refused, (unsigned long long)s->upstream_failures,
		(unsigned long long)s->link_cuts,
		(unsigned long long)s->bytes[H2C], (unsigned long long)s->bytes[C2H],
		(unsigned long long)faults_total(s));
	for (int k = 0; k < FP_FAULT_KIND_COUNT; k++) {
		fprintf(out, " %s=%llu", fp_fault_kind_str((enum fp_fault_kind)k),
			(unsigned long long)s->faults[k]);
	}
	fprintf(out, " delayed_chunks=%llu split_sends=%llu coalesced_sends=%llu "
		"backpressure_waits=%llu stalls_skipped=%llu framing_lost=%llu/%llu\n",
		(unsigned long long)s->delayed_chunks, (unsigned long long)s->split_sends,
		(unsigned long long)s->coalesced_sends, (unsigned long long)s->backpressure_waits,
		(unsigned long long)s->stalls_skipped, (unsigned long long)s->framing_lost[H2C],
		(unsigned long long)s->framing_lost[C2H]);
	fflush(out);
}

static json_object *
json_u64(uint64_t v)
{
	return json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

int
fp_proxy_write_json(const struct fp_proxy *p, const char *path)
{
	const struct fp_stats *s = &p->stats;
	json_object *root = json_object_new_object(), *o, *arr;
	struct fp_conn *c;
	uint64_t first;
	int rc;

	if (root == NULL) {
		return -ENOMEM;
	}
	json_object_object_add(root, "seed", json_u64(p->cfg.seed));
	json_object_object_add(root, "port", json_object_new_int(p->port));
	json_object_object_add(root, "connections", json_u64(s->conns_accepted));
	json_object_object_add(root, "refused", json_u64(s->conns_refused));
	json_object_object_add(root, "link_cuts", json_u64(s->link_cuts));
	json_object_object_add(root, "upstream_failures", json_u64(s->upstream_failures));
	json_object_object_add(root, "closed_by_client", json_u64(s->conns_closed_client));
	json_object_object_add(root, "closed_by_server", json_u64(s->conns_closed_server));
	json_object_object_add(root, "bytes_h2c", json_u64(s->bytes[H2C]));
	json_object_object_add(root, "bytes_c2h", json_u64(s->bytes[C2H]));
	json_object_object_add(root, "faults_total", json_u64(faults_total(s)));
	o = json_object_new_object();
	for (int k = 0; k < FP_FAULT_KIND_COUNT; k++) {
		json_object_object_add(o, fp_fault_kind_str((enum fp_fault_kind)k),
				       json_u64(s->faults[k]));
	}
	json_object_object_add(root, "faults", o);
	o = json_object_new_object();
	for (int r = 0; r < FP_REGION_COUNT; r++) {
		json_object_object_add(o, fp_region_str((enum fp_region)r),
				       json_u64(s->flips_by_region[r]));
	}
	json_object_object_add(root, "flips_by_region", o);
	json_object_object_add(root, "delayed_chunks", json_u64(s->delayed_chunks));
	json_object_object_add(root, "split_sends", json_u64(s->split_sends));
	json_object_object_add(root, "coalesced_sends", json_u64(s->coalesced_sends));
	json_object_object_add(root, "backpressure_waits", json_u64(s->backpressure_waits));
	json_object_object_add(root, "stalls_skipped", json_u64(s->stalls_skipped));
	for (int d = 0; d < 2; d++) {
		char key[32];

		o = json_object_new_object();
		for (int t = 0; t < 16; t++) {
			if (s->pdus[d][t] != 0) {
				/* TLS: content types 20..23 were counted at type & 15. */
				json_object_object_add(o, p->cfg.tls ? fp_tls_type_str(t + 16) :
						       nvtcp_tcp_pdu_type_str((uint8_t)t),
						       json_u64(s->pdus[d][t]));
			}
		}
		snprintf(key, sizeof(key), "pdus_%s", g_dir_names[d]);
		json_object_object_add(root, key, o);
		snprintf(key, sizeof(key), "framing_lost_%s", g_dir_names[d]);
		json_object_object_add(root, key, json_u64(s->framing_lost[d]));
	}
	arr = json_object_new_array();
	first = p->nclosed > FP_CLOSED_KEEP ? p->nclosed - FP_CLOSED_KEEP : 0;
	for (uint64_t i = first; i < p->nclosed; i++) {
		const struct fp_closed *rec = &p->closed[i % FP_CLOSED_KEEP];

		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(rec->id));
		json_object_object_add(o, "bytes_h2c", json_u64(rec->bytes[H2C]));
		json_object_object_add(o, "bytes_c2h", json_u64(rec->bytes[C2H]));
		json_object_object_add(o, "faults", json_u64(rec->faults));
		json_object_object_add(o, "closed", json_object_new_string(rec->reason));
		json_object_array_add(arr, o);
	}
	TAILQ_FOREACH(c, &p->conns, link) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(c->id));
		json_object_object_add(o, "bytes_h2c", json_u64(c->pipe[H2C].sent));
		json_object_object_add(o, "bytes_c2h", json_u64(c->pipe[C2H].sent));
		json_object_object_add(o, "faults", json_u64(c->faults));
		json_object_object_add(o, "closed", NULL);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "connection_list", arr);
	rc = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY) == 0 ? 0 : -EIO;
	json_object_put(root);
	return rc;
}
