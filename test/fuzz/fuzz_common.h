/*
 * Shared by the libFuzzer harnesses of test/fuzz and the seed corpus generator (gen_corpus.c):
 * input formats and small helpers.
 */
#ifndef NVTCP_FUZZ_COMMON_H
#define NVTCP_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

#endif /* NVTCP_FUZZ_COMMON_H */
