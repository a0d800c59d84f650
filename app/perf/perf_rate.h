/*
 * The --rate limiter: a token bucket per core in the form of GCRA (a "theoretical arrival
 * time" that advances by one interval per I/O), on the tick counter, in fixed point so that
 * rates that do not divide the tick rate do not drift.
 *
 * A core that fell behind (descheduled, or its I/Os were slow) may catch up on at most a
 * window's worth of I/Os; older backlog is forgotten, so a long stall does not turn into a
 * long burst. The burst is also bounded by the queue depth, since only idle tasks can start.
 */
#ifndef NVTCP_PERF_RATE_H
#define NVTCP_PERF_RATE_H

#include <stdbool.h>
#include <stdint.h>

/** Fraction bits of the limiter's clock. */
#define PERF_RATE_FRAC 16

struct perf_rate {
	uint64_t interval;      /**< ticks per I/O, fixed point */
	uint64_t window;        /**< backlog that may be caught up, fixed point */
	uint64_t tat;           /**< next permitted start, fixed point, relative to origin */
	uint64_t origin;        /**< tick the clock counts from */
};

/**
 * Set a limiter up.
 *
 * \param r Limiter.
 * \param hz Ticks per second.
 * \param iops I/Os per second (> 0).
 * \param window_us Backlog that may be caught up after a stall, in microseconds.
 * \param origin Tick of the start (the clock covers 2^48 ticks from it: days).
 */
static inline void
perf_rate_init(struct perf_rate *r, uint64_t hz, uint64_t iops, uint64_t window_us,
	       uint64_t origin)
{
	r->interval = (uint64_t)(((unsigned __int128)hz << PERF_RATE_FRAC) / iops);
	if (r->interval == 0) {
		r->interval = 1;
	}
	r->window = (uint64_t)(((unsigned __int128)hz * window_us / 1000000) << PERF_RATE_FRAC);
	if (r->window < r->interval) {
		r->window = r->interval;
	}
	r->tat = 0;
	r->origin = origin;
}

/**
 * Take a token at tick \p now (>= origin).
 *
 * \return true when an I/O may start now.
 */
static inline bool
perf_rate_take(struct perf_rate *r, uint64_t now)
{
	uint64_t t = (now - r->origin) << PERF_RATE_FRAC;

	if (r->tat + r->window < t) {
		/* Behind by more than the window: forget the older backlog. */
		r->tat = t - r->window;
	}
	if (r->tat > t) {
		return false;
	}
	r->tat += r->interval;
	return true;
}

#endif /* NVTCP_PERF_RATE_H */
