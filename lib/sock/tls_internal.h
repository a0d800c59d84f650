/*
 * Internals of the TLS secure channel of lib/sock (tls_psk.c, sock_tls.c), shared with the
 * unit tests and the fuzz harness.
 */
#ifndef NVTCP_TLS_INTERNAL_H
#define NVTCP_TLS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/** CRC-32 as the PSK interchange format uses it (IEEE 802.3, reflected; zlib's crc32()). */
uint32_t nvtcp_tls_crc32(const uint8_t *buf, size_t len);

#endif /* NVTCP_TLS_INTERNAL_H */
