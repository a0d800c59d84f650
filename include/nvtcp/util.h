/**
 * @file
 * Small helpers shared by every component: branch hints, alignment, strict number parsing,
 * fixed-width string fields and iovec arithmetic.
 */
#ifndef NVTCP_UTIL_H
#define NVTCP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define nvtcp_likely(x) __builtin_expect(!!(x), 1)
#define nvtcp_unlikely(x) __builtin_expect(!!(x), 0)

#define NVTCP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NVTCP_MAX(a, b) ((a) > (b) ? (a) : (b))
#define NVTCP_COUNTOF(arr) (sizeof(arr) / sizeof((arr)[0]))
#define NVTCP_CONTAINEROF(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
/** Round \p x up to a multiple of \p a (a power of two). */
#define NVTCP_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define NVTCP_IS_POWER_OF_2(x) ((x) != 0 && ((x) & ((x) - 1)) == 0)

/**
 * Parse an unsigned decimal or 0x-prefixed hexadecimal number, strictly: no sign, no trailing
 * characters, no overflow beyond \p max.
 *
 * \param str Text.
 * \param max Largest value accepted.
 * \param val Set on success.
 * \return 0, or -EINVAL (not a number) or -ERANGE (above max).
 */
int nvtcp_parse_u64(const char *str, uint64_t max, uint64_t *val);

/**
 * Parse a size with an optional binary suffix: "512", "4k", "1M", "1G", "2T" (K/M/G/T, case
 * insensitive, optional trailing "B" or "iB").
 *
 * \param str Text.
 * \param bytes Set on success.
 * \return 0, or -EINVAL / -ERANGE.
 */
int nvtcp_parse_size(const char *str, uint64_t *bytes);

/**
 * Copy a string into a fixed-width field, padding the rest with \p pad (NVMe uses spaces for
 * identify strings and NULs for NQNs). The field is not NUL-terminated when the string fills it.
 *
 * \param dst Field.
 * \param size Width of the field in bytes.
 * \param src NUL-terminated string.
 * \param pad Padding byte.
 * \return 0, or -ENAMETOOLONG when src is longer than the field (the field is filled anyway).
 */
int nvtcp_strcpy_pad(void *dst, size_t size, const char *src, int pad);

/**
 * Copy a fixed-width field (space- or NUL-padded) into a NUL-terminated string, trimming the
 * trailing padding. Bytes that are not printable ASCII are replaced by '.', so that text from
 * the network is always safe to print.
 *
 * \param dst Destination, at least \p size + 1 bytes.
 * \param src Field.
 * \param size Width of the field.
 * \return Length of the result.
 */
size_t nvtcp_str_from_field(char *dst, const void *src, size_t size);

/**
 * Format an error message into a caller's buffer, if it gave one (\p err NULL or \p errlen 0:
 * nothing is written). The text is truncated to fit and always NUL-terminated.
 */
void nvtcp_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Total length of an iovec list.
 *
 * \param iov iovec list.
 * \param iovcnt Number of entries.
 * \return Sum of the lengths.
 */
size_t nvtcp_iov_length(const struct iovec *iov, int iovcnt);

/**
 * Describe bytes [offset, offset + len) of an iovec list as a new list, without copying data.
 *
 * \param src Source list.
 * \param srccnt Entries in the source list.
 * \param offset First byte.
 * \param len Number of bytes.
 * \param dst Destination list.
 * \param dstmax Capacity of the destination list.
 * \return Number of entries written, or -EINVAL when the range exceeds the source, or
 *         -ENOBUFS when dstmax is too small.
 */
int nvtcp_iov_slice(const struct iovec *src, int srccnt, size_t offset, size_t len,
		    struct iovec *dst, int dstmax);

/**
 * Copy from a flat buffer into bytes [offset, offset + len) of an iovec list.
 *
 * \return Bytes copied (less than len only when the list is shorter).
 */
size_t nvtcp_iov_from_buf(const struct iovec *iov, int iovcnt, size_t offset, const void *buf,
			  size_t len);

/**
 * Copy bytes [offset, offset + len) of an iovec list into a flat buffer.
 *
 * \return Bytes copied (less than len only when the list is shorter).
 */
size_t nvtcp_iov_to_buf(const struct iovec *iov, int iovcnt, size_t offset, void *buf,
			size_t len);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_UTIL_H */
