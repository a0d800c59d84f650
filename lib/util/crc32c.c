/*
 * CRC32C for NVMe/TCP digests. ISA-L's crc32_iscsi() is the reflected Castagnoli CRC without
 * the initial and final inversion, so a running value starts at ~0 and is inverted at the end
 * (nvtcp_crc32c_finish()).
 */
#include <limits.h>

#include <isa-l/crc.h>

#include "nvtcp/crc32c.h"

uint32_t
nvtcp_crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	/* crc32_iscsi() takes an int length: feed huge buffers in pieces. */
	const unsigned char *p = buf;

	while (len > 0) {
		size_t n = len > (size_t)INT_MAX ? (size_t)INT_MAX & ~(size_t)7 : len;

		crc = crc32_iscsi((unsigned char *)p, (int)n, crc);
		p += n;
		len -= n;
	}
	return crc;
}

uint32_t
nvtcp_crc32c_update_iov(uint32_t crc, const struct iovec *iov, int iovcnt, size_t skip,
			size_t len)
{
	for (int i = 0; i < iovcnt && len > 0; i++) {
		size_t ilen = iov[i].iov_len;

		if (skip >= ilen) {
			skip -= ilen;
			continue;
		}
		size_t n = ilen - skip;

		if (n > len) {
			n = len;
		}
		crc = nvtcp_crc32c_update(crc, (const uint8_t *)iov[i].iov_base + skip, n);
		len -= n;
		skip = 0;
	}
	return crc;
}
