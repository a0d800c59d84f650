/*
 * A configurable in-flight message editor for the engine tests: on the first message with
 * the given direction and AUTH_ID, set up to two bytes and/or change the length.
 */
#ifndef NVTCP_AUTH_UT_MUTATE_H
#define NVTCP_AUTH_UT_MUTATE_H

#include "auth_ut_common.h"

struct ut_mut {
	bool to_ctrl;
	uint8_t auth_id;
	int off[2];
	uint8_t val[2];
	/* New length (0: unchanged). */
	size_t len;
	/* Fill the DH value (after hl bytes, or 2 x hl for a Reply) with 0 and this last
	 * byte; -1: leave it. */
	int dh_last;
	bool done;
};

static struct ut_mut g_mut;

static inline void
ut_mut_reset(void)
{
	memset(&g_mut, 0, sizeof(g_mut));
	g_mut.off[0] = g_mut.off[1] = -1;
	g_mut.dh_last = -1;
}

static size_t
ut_mutate(bool to_ctrl, uint8_t *buf, size_t len, size_t cap)
{
	if (g_mut.done || to_ctrl != g_mut.to_ctrl || buf[1] != g_mut.auth_id) {
		return len;
	}
	g_mut.done = true;
	if (g_mut.dh_last >= 0) {
		size_t hl = buf[6], start = 16 + (buf[1] == NVTCP_AUTH_ID_REPLY ? 2 * hl : hl);

		memset(buf + start, 0, len - start);
		buf[len - 1] = (uint8_t)g_mut.dh_last;
	}
	for (int i = 0; i < 2; i++) {
		if (g_mut.off[i] >= 0) {
			buf[g_mut.off[i]] = g_mut.val[i];
		}
	}
	if (g_mut.len != 0) {
		if (g_mut.len > len && g_mut.len <= cap) {
			memset(buf + len, 0, g_mut.len - len);
		}
		len = g_mut.len <= cap ? g_mut.len : cap;
	}
	return len;
}

/* One byte edit of the first message \p auth_id in that direction. */
static inline void
ut_mut_byte(bool to_ctrl, uint8_t auth_id, int off, uint8_t val)
{
	ut_mut_reset();
	g_mut.to_ctrl = to_ctrl;
	g_mut.auth_id = auth_id;
	g_mut.off[0] = off;
	g_mut.val[0] = val;
}

#endif /* NVTCP_AUTH_UT_MUTATE_H */
