/**
 * @file
 * CRC32C (Castagnoli), as used by NVMe/TCP header and data digests, computed with ISA-L.
 *
 * The digest of a buffer is nvtcp_crc32c_finish(nvtcp_crc32c_update(NVTCP_CRC32C_INIT, buf, len)).
 */
#ifndef NVTCP_CRC32C_H
#define NVTCP_CRC32C_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Initial value of a running CRC32C. */
#define NVTCP_CRC32C_INIT 0xFFFFFFFFu

/**
 * Extend a running CRC32C over a buffer.
 *
 * \param crc Running value (NVTCP_CRC32C_INIT to start).
 * \param buf Data.
 * \param len Length of data in bytes.
 * \return The new running value.
 */
uint32_t nvtcp_crc32c_update(uint32_t crc, const void *buf, size_t len);

/**
 * Extend a running CRC32C over an iovec list, starting at byte offset \p skip of the list and
 * covering \p len bytes (or to the end of the list when fewer remain).
 *
 * \param crc Running value.
 * \param iov iovec list.
 * \param iovcnt Number of iovecs.
 * \param skip Bytes of the list to pass over first.
 * \param len Bytes to cover.
 * \return The new running value.
 */
uint32_t nvtcp_crc32c_update_iov(uint32_t crc, const struct iovec *iov, int iovcnt, size_t skip,
				 size_t len);

/**
 * Finish a running CRC32C: the value as stored on the wire (little-endian) by NVMe/TCP.
 *
 * \param crc Running value.
 * \return The final CRC32C.
 */
static inline uint32_t
nvtcp_crc32c_finish(uint32_t crc)
{
	return crc ^ 0xFFFFFFFFu;
}

/**
 * CRC32C of one buffer.
 *
 * \param buf Data.
 * \param len Length in bytes.
 * \return The final CRC32C.
 */
static inline uint32_t
nvtcp_crc32c(const void *buf, size_t len)
{
	return nvtcp_crc32c_finish(nvtcp_crc32c_update(NVTCP_CRC32C_INIT, buf, len));
}

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_CRC32C_H */
