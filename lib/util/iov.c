/*
 * iovec arithmetic. Transport code describes PDU payloads as slices of the caller's iovec list
 * (no copies); these helpers do the offset bookkeeping in one place.
 */
#include <errno.h>
#include <string.h>

#include "nvtcp/util.h"

size_t
nvtcp_iov_length(const struct iovec *iov, int iovcnt)
{
	size_t len = 0;

	for (int i = 0; i < iovcnt; i++) {
		len += iov[i].iov_len;
	}
	return len;
}

int
nvtcp_iov_slice(const struct iovec *src, int srccnt, size_t offset, size_t len,
		struct iovec *dst, int dstmax)
{
	size_t total;
	int n = 0;

	if (srccnt < 0 || dstmax < 0) {
		return -EINVAL;
	}
	total = nvtcp_iov_length(src, srccnt);
	if (offset > total || len > total - offset) {
		return -EINVAL;
	}
	for (int i = 0; i < srccnt && len > 0; i++) {
		size_t ilen = src[i].iov_len;
		size_t take;

		if (offset >= ilen) {
			offset -= ilen;
			continue;
		}
		if (n == dstmax) {
			return -ENOBUFS;
		}
		take = NVTCP_MIN(ilen - offset, len);
		dst[n].iov_base = (char *)src[i].iov_base + offset;
		dst[n].iov_len = take;
		n++;
		len -= take;
		offset = 0;
	}
	return n;
}

/* Copy between [offset, offset + len) of the list and buf; to_iov chooses the direction. */
static size_t
iov_copy(const struct iovec *iov, int iovcnt, size_t offset, void *buf, size_t len, bool to_iov)
{
	char *p = buf;
	size_t done = 0;

	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t ilen = iov[i].iov_len;
		size_t n;

		if (offset >= ilen) {
			offset -= ilen;
			continue;
		}
		n = NVTCP_MIN(ilen - offset, len - done);
		if (to_iov) {
			memcpy((char *)iov[i].iov_base + offset, p + done, n);
		} else {
			memcpy(p + done, (char *)iov[i].iov_base + offset, n);
		}
		done += n;
		offset = 0;
	}
	return done;
}

size_t
nvtcp_iov_from_buf(const struct iovec *iov, int iovcnt, size_t offset, const void *buf,
		   size_t len)
{
	return iov_copy(iov, iovcnt, offset, (void *)buf, len, true);
}

size_t
nvtcp_iov_to_buf(const struct iovec *iov, int iovcnt, size_t offset, void *buf, size_t len)
{
	return iov_copy(iov, iovcnt, offset, buf, len, false);
}
