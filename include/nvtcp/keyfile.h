/**
 * @file
 * The text form shared by NVMe/TCP TLS PSKs and DH-HMAC-CHAP secrets,
 * "<PREFIX>HH:<base64(key || CRC-32 LE)>:" (NVMe TCP Transport Specification, "PSK
 * Interchange Format"; NVMe Base Specification, "DH-HMAC-CHAP secret representation"), and
 * the key files that hold one such string.
 *
 * The two formats differ only in their prefix, the hash indicators and key lengths they
 * allow, and the words of their error messages (enum nvtcp_keyfile_kind). lib/sock
 * (tls_psk.c) and lib/auth (secret.c) wrap these functions in their own types. Error messages
 * name the field and the reason, never key material; every buffer that held key material is
 * wiped before it is released.
 */
#ifndef NVTCP_KEYFILE_H
#define NVTCP_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest key of any format (DH-HMAC-CHAP with SHA-512). */
#define NVTCP_KEYFILE_KEY_MAX_LEN 64

/** The two formats. */
enum nvtcp_keyfile_kind {
	/** "NVMeTLSkey-1:": TLS PSKs of 32 or 48 bytes, hash indicators 00 to 02. */
	NVTCP_KEYFILE_TLS_PSK,
	/** "DHHC-1:": DH-HMAC-CHAP secrets of 32, 48 or 64 bytes, hash indicators 00 to 03; a
	 * file may also be 0400, and a file name may be a mistyped secret. */
	NVTCP_KEYFILE_DHCHAP,
};

/**
 * CRC-32 of the key formats (IEEE 802.3, reflected: zlib's crc32()).
 *
 * \param buf Bytes (may be NULL when len is 0).
 * \param len Number of bytes.
 * \return The CRC.
 */
uint32_t nvtcp_keyfile_crc32(const uint8_t *buf, size_t len);

/**
 * Parse one key string of format \p kind (a trailing newline is tolerated).
 *
 * \param kind The format.
 * \param text NUL-terminated text.
 * \param key Receives the key on success (up to NVTCP_KEYFILE_KEY_MAX_LEN bytes); untouched
 *            on failure.
 * \param len Receives the key length on success.
 * \param hash Receives the hash indicator on success.
 * \param err Receives the reason on failure (may be NULL).
 * \param errlen Size of err.
 * \return 0 or -EINVAL.
 */
int nvtcp_keyfile_parse(enum nvtcp_keyfile_kind kind, const char *text, uint8_t *key,
			uint32_t *len, uint8_t *hash, char *err, size_t errlen);

/**
 * Format a key as a string of format \p kind.
 *
 * \return 0, -EINVAL (a length or hash the format refuses) or -ENOSPC (\p out too small: it is
 *         wiped).
 */
int nvtcp_keyfile_format(enum nvtcp_keyfile_kind kind, const uint8_t *key, uint32_t len,
			 uint8_t hash, char *out, size_t outlen);

/**
 * Read and parse a key file: a regular file owned by the effective user, with no group or other
 * permission bits, holding one key string of format \p kind.
 *
 * \param kind The format.
 * \param path File name.
 * \param key, len, hash As for nvtcp_keyfile_parse().
 * \param err Receives the reason (with the file name) on failure (may be NULL).
 * \param errlen Size of err.
 * \return 0, -EPERM (not a regular file, owner or mode), -EINVAL (content) or -errno of
 *         open()/fstat()/read().
 */
int nvtcp_keyfile_load(enum nvtcp_keyfile_kind kind, const char *path, uint8_t *key,
		       uint32_t *len, uint8_t *hash, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_KEYFILE_H */
