/*
 * Shared by the libFuzzer harnesses of test/fuzz and the seed corpus generator (gen_corpus.c):
 * input formats and small helpers.
 */
#ifndef NVTCP_FUZZ_COMMON_H
#define NVTCP_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/log.h"

/*
 * Input of the tcp_rx harness: a configuration of FUZZ_TCP_RX_CFG_LEN bytes, then the byte
 * stream the receiver gets.
 */
#define FUZZ_TCP_RX_CFG_LEN 8

/* cfg[0]: flags. */
#define FUZZ_RX_CTRLR 0x01   /* controller role (else host) */
#define FUZZ_RX_HDGST 0x02   /* header digests (requested, or in force without IC) */
#define FUZZ_RX_DDGST 0x04   /* data digests */
#define FUZZ_RX_PRE_IC 0x08  /* the stream starts with the IC exchange: negotiate from it */
#define FUZZ_RX_DISCARD 0x10 /* the owner discards data instead of placing it */
#define FUZZ_RX_DEFER 0x20   /* the owner chooses destinations late (NVTCP_TCP_RX_WAIT) */
#define FUZZ_RX_NO_DIRECT 0x40 /* never read straight into destinations */
/* cfg[1]: our PDA (& 31). cfg[2]: the peer's PDA (& 31). cfg[3]: MAXH2CDATA = 4096 << (v % 8).
 * cfg[4]: max_data_len = 512 << (v % 14). cfg[5]: largest read, 1 + v * 16 bytes (0: 1-byte
 * reads are as likely as big ones: sizes 1..4096). cfg[6]: seed of the read sizes.
 * cfg[7]: receive buffer size, 256 << (v % 8). */

/* Commands the host-role owner has outstanding: CID i < FUZZ_RX_NCMDS, transfer length
 * FUZZ_RX_XFER(i); even CIDs read (expect C2HData), odd CIDs write (expect R2Ts). The
 * controller-role owner has an R2T outstanding for each odd CID, with TTAG = CID. */
#define FUZZ_RX_NCMDS 16
#define FUZZ_RX_XFER(cid) (512u * ((cid) + 1))

/* A harness's check: a failed one is a finding (libFuzzer reports the trap with the input). */
#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			__builtin_trap();                                                      \
		}                                                                              \
	} while (0)

/* libFuzzer's entry points (every harness defines them; -Wmissing-prototypes wants these). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Silence the libraries' error logs: every input is an error path. */
static inline void
fuzz_log_discard(enum nvtcp_log_level level, const char *file, int line, const char *func,
		 const char *fmt, va_list ap)
{
	(void)level;
	(void)file;
	(void)line;
	(void)func;
	(void)fmt;
	(void)ap;
}

/* The LLVMFuzzerInitialize of a harness whose only set-up is silencing the logs. */
#define FUZZ_INIT_SILENT()                                                                     \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                                      \
	{                                                                                      \
		(void)argc;                                                                    \
		(void)argv;                                                                    \
		nvtcp_log_set_callback(fuzz_log_discard);                                      \
		return 0;                                                                      \
	}

/*
 * The input of the text parsers' harnesses: byte 0 chooses the size of the error buffer
 * (data[0] % errmod, 0 meaning none), the rest is the text. Both are heap blocks of exactly
 * their size, so that AddressSanitizer catches a write past either; the error buffer starts
 * without a NUL, so that fuzz_text_err_ok() shows a message left unterminated.
 */
struct fuzz_text {
	char *str;     /* NUL-terminated copy of data[1..size) ("" for an empty input) */
	char *err;     /* NULL when errlen is 0 */
	size_t errlen;
	size_t len;    /* strlen-independent length of the text: size - 1 (0 for size 0) */
};

static inline void
fuzz_text_get(struct fuzz_text *t, const uint8_t *data, size_t size, size_t errmod)
{
	t->len = size > 0 ? size - 1 : 0;
	t->errlen = size > 0 ? data[0] % errmod : 0;
	t->str = malloc(t->len + 1);
	CHECK(t->str != NULL);
	if (t->len > 0) {
		memcpy(t->str, data + 1, t->len);
	}
	t->str[t->len] = '\0';
	t->err = NULL;
	if (t->errlen > 0) {
		t->err = malloc(t->errlen);
		CHECK(t->err != NULL);
		memset(t->err, 'x', t->errlen);
	}
}

/* A refused input's message, if asked for, is NUL-terminated within its buffer. */
static inline void
fuzz_text_err_ok(const struct fuzz_text *t)
{
	if (t->err != NULL) {
		CHECK(memchr(t->err, '\0', t->errlen) != NULL);
	}
}

static inline void
fuzz_text_put(struct fuzz_text *t)
{
	free(t->str);
	free(t->err);
}

#endif /* NVTCP_FUZZ_COMMON_H */
