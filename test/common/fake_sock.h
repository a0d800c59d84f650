/*
 * A fake socket for unit tests: a real struct nvtcp_sock (send queue, flush, rxbuf receive,
 * groups, stats all work as usual) whose I/O goes to memory instead of the kernel.
 *
 * Inbound: bytes pushed with fake_sock_push_rx() are what the next reads return, at most
 * rx_chunk bytes per read; when none are left a read returns -EAGAIN, or -ECONNRESET once
 * fake_sock_rx_close() was called.
 * Outbound: every byte a send takes is appended to a capture buffer, at most tx_limit bytes
 * per send (0 = the send takes nothing, like a full kernel buffer).
 *
 * In a group the fake socket has no descriptor, so the group calls its callback on every poll.
 *
 * The struct fake_sock outlives its socket: closing the socket (nvtcp_sock_close(), e.g. by
 * the code under test) only marks it closed, so the test can still inspect what was sent.
 * fake_sock_destroy() frees it (and closes the socket if it is still open).
 *
 * Usage:
 *	struct fake_sock *fake;
 *	struct nvtcp_sock *sock = fake_sock_create(&fake);
 *	fake_sock_push_rx(fake, pdu, sizeof(pdu));
 *	... code under test reads and sends ...
 *	data = fake_sock_tx_data(fake, &len);
 *	fake_sock_destroy(&fake);
 */
#ifndef NVTCP_FAKE_SOCK_H
#define NVTCP_FAKE_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvtcp/sock.h"

struct fake_sock;

/** No limit (for fake_sock_set_tx_limit() and fake_sock_set_rx_chunk()). */
#define FAKE_SOCK_UNLIMITED SIZE_MAX

/**
 * Create a connected fake socket.
 *
 * \param fake Set to the fake's control handle.
 * \return The socket, or NULL when out of memory.
 */
struct nvtcp_sock *fake_sock_create(struct fake_sock **fake);

/**
 * Free the fake; closes its socket first if that is still open. Sets \p *fake to NULL.
 */
void fake_sock_destroy(struct fake_sock **fake);

/** The socket of the fake, or NULL once it was closed. */
struct nvtcp_sock *fake_sock_get_sock(struct fake_sock *fake);

/** Whether the socket was closed (by nvtcp_sock_close()). */
bool fake_sock_is_closed(const struct fake_sock *fake);

/* ---- Inbound ------------------------------------------------------------------------------- */

/** Append \p len bytes that the next reads return (aborts the test when out of memory). */
void fake_sock_push_rx(struct fake_sock *fake, const void *data, size_t len);

/**
 * At most \p n bytes per read (1 = a byte at a time); FAKE_SOCK_UNLIMITED (default) or 0 = no
 * limit.
 */
void fake_sock_set_rx_chunk(struct fake_sock *fake, size_t n);

/** After the bytes pushed so far, reads return -ECONNRESET (an orderly close by the peer). */
void fake_sock_rx_close(struct fake_sock *fake);

/** Make the next read return \p err (a negative errno) instead of reading. */
void fake_sock_fail_next_read(struct fake_sock *fake, int err);

/** Bytes pushed and not read yet. */
size_t fake_sock_rx_pending(const struct fake_sock *fake);

/* ---- Outbound ------------------------------------------------------------------------------ */

/**
 * Sent bytes not yet consumed by the test.
 *
 * \param fake Fake.
 * \param len Set to their number.
 * \return Pointer to them (valid until the next send or consume).
 */
const uint8_t *fake_sock_tx_data(const struct fake_sock *fake, size_t *len);

/** Drop the first \p n captured bytes (at most all of them). */
void fake_sock_tx_consume(struct fake_sock *fake, size_t n);

/** At most \p n bytes taken per send (0 = none: the flush sends nothing); default unlimited. */
void fake_sock_set_tx_limit(struct fake_sock *fake, size_t n);

/** Make the next send fail with \p err (a negative errno, e.g. -ECONNRESET). */
void fake_sock_fail_next(struct fake_sock *fake, int err);

/* ---- Counters and addresses ---------------------------------------------------------------- */

/** Read calls made on the fake (including -EAGAIN and failed ones). */
uint64_t fake_sock_read_calls(const struct fake_sock *fake);

/** Send calls made on the fake (including failed ones and ones that took nothing). */
uint64_t fake_sock_send_calls(const struct fake_sock *fake);

/** Number of iovecs of the largest send call so far. */
int fake_sock_max_send_iovcnt(const struct fake_sock *fake);

/**
 * Addresses nvtcp_sock_getaddr() reports (numeric IPv4 or IPv6). Defaults: local
 * 127.0.0.1:4420, peer 127.0.0.1:50000.
 *
 * \return 0, or -EINVAL for an address that is not numeric.
 */
int fake_sock_set_addrs(struct fake_sock *fake, const char *laddr, uint16_t lport,
			const char *raddr, uint16_t rport);

#endif /* NVTCP_FAKE_SOCK_H */
