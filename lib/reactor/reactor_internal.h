/*
 * Internals shared by the files of lib/reactor (reactor.c, launcher.c, app.c).
 */
#ifndef NVTCP_REACTOR_INTERNAL_H
#define NVTCP_REACTOR_INTERNAL_H

#include <stdint.h>

#include "nvtcp/reactor.h"

/*
 * Allocate a reactor for \p core without binding it to the calling thread: the launcher
 * creates every reactor on the main thread before any worker starts, so that messages sent to a
 * worker before its thread runs wait in its ring. Returns NULL with errno set.
 */
struct nvtcp_reactor *reactor_alloc(const struct nvtcp_reactor_opts *opts, uint32_t core);

/* Make \p reactor (or NULL) the calling thread's current reactor. */
void reactor_set_current(struct nvtcp_reactor *reactor);

/*
 * Execute the reactor's pending messages until its ring is empty (bounded, so that a message
 * that keeps re-sending itself cannot hold up a stop forever). Returns the number executed.
 */
uint64_t reactor_drain(struct nvtcp_reactor *reactor);

/*
 * Free a reactor: remaining pollers are dropped, messages still queued are not executed (call
 * reactor_drain() first). Clears the calling thread's current reactor if it is this one.
 */
void reactor_free(struct nvtcp_reactor *reactor);

#endif /* NVTCP_REACTOR_INTERNAL_H */
