/**
 * @file
 * NVMe/TCP secure channel: TLS 1.3 with pre-shared keys (NVMe/TCP Transport, TLS; TP 8011).
 *
 * Two parts:
 * - PSK handling: the PSK interchange format ("NVMeTLSkey-1:HH:<base64(key || CRC-32)>:"), key
 *   files (mode 0600 or refused), the retained PSK derived from a configured PSK and the host
 *   NQN, the PSK identity ("NVMe0R0H <hostnqn> <subnqn>"), and the TLS PSK derived from the
 *   retained PSK and the identity. All derivations use OpenSSL's HKDF; key buffers are wiped
 *   (OPENSSL_cleanse) when no longer needed. Where SPDK v24.01 and the specification differ,
 *   nvtcp interoperates with SPDK (doc/security.md says where).
 * - TLS sockets: an established TCP socket of lib/sock is turned into a TLS one in place
 *   (same struct nvtcp_sock, same group membership, same send queue semantics). The handshake
 *   is non-blocking and driven by nvtcp_sock_tls_handshake_poll() from the owner's poll loop;
 *   afterwards nvtcp_sock_readv()/recv_rxbuf()/writev_async()/flush() carry application data
 *   through TLS records with the posix implementation's exactness (partial sends, ordering,
 *   error and close handling). TLS 1.3 only, TLS_AES_128_GCM_SHA256 / TLS_AES_256_GCM_SHA384,
 *   no certificates, no session tickets, no early data.
 *
 * Nothing here ever logs key material; error messages name the reason, never the key.
 */
#ifndef NVTCP_TLS_H
#define NVTCP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nvtcp_sock;

/** Largest configured/retained/TLS PSK (SHA-384 length). */
#define NVTCP_TLS_PSK_MAX_LEN 48
/** Longest PSK identity (it must fit a uint8 length in the HKDF label). */
#define NVTCP_TLS_IDENTITY_MAX_LEN 255
/** Longest interchange-format string, with its NUL. */
#define NVTCP_TLS_INTERCHANGE_MAX_LEN 128

/** The hash indicator HH of the interchange format. */
enum nvtcp_tls_hash {
	/** 00: no transformation: the configured PSK is the retained PSK. */
	NVTCP_TLS_HASH_NONE = 0,
	/** 01: retained PSK derived with HKDF-SHA-256. */
	NVTCP_TLS_HASH_SHA256 = 1,
	/** 02: retained PSK derived with HKDF-SHA-384. */
	NVTCP_TLS_HASH_SHA384 = 2,
};

/** A configured PSK. Wipe with nvtcp_tls_psk_wipe() when done. */
struct nvtcp_tls_psk {
	uint8_t key[NVTCP_TLS_PSK_MAX_LEN];
	/** 32 or 48. */
	uint32_t len;
	enum nvtcp_tls_hash hash;
};

/**
 * Parse a PSK in the interchange format, checking the prefix, HH, the base64, the key length
 * (32 or 48 bytes) and the CRC-32.
 *
 * \param text "NVMeTLSkey-1:HH:<base64>:" (a trailing newline is tolerated).
 * \param psk Filled on success; wiped on failure.
 * \param err One line naming what is wrong ("bad CRC-32", "bad base64", "key length 20: must
 *        be 32 or 48 bytes", ...), never the key. May be NULL.
 * \param errlen Size of \p err.
 * \return 0 or -EINVAL.
 */
int nvtcp_tls_psk_parse(const char *text, struct nvtcp_tls_psk *psk, char *err, size_t errlen);

/**
 * Read a PSK file: one interchange-format key. The file must be a regular file owned by the
 * caller's user with no group or other permission bits (0600 or 0400); otherwise it is refused
 * with a message saying so. The read buffer is wiped.
 *
 * \return 0, -EPERM (mode/owner), -EINVAL (content, message in \p err), or the file's errno.
 */
int nvtcp_tls_psk_load_file(const char *path, struct nvtcp_tls_psk *psk, char *err,
			    size_t errlen);

/**
 * Format a PSK in the interchange format (for the key generator script and tests).
 *
 * \return 0, or -EINVAL / -ENOSPC.
 */
int nvtcp_tls_psk_format(const struct nvtcp_tls_psk *psk, char *out, size_t outlen);

/** Wipe a PSK (also safe on one that was never filled). */
void nvtcp_tls_psk_wipe(struct nvtcp_tls_psk *psk);

/**
 * The PSK identity a host offers for (hostnqn, subnqn): "NVMe0R0H <hostnqn> <subnqn>" where H
 * is 1 for a 32-byte and 2 for a 48-byte PSK (SPDK v24.01's choice; see doc/security.md).
 *
 * \return Its length, or -ENOSPC (longer than NVTCP_TLS_IDENTITY_MAX_LEN or \p len).
 */
int nvtcp_tls_psk_identity(const struct nvtcp_tls_psk *psk, const char *hostnqn,
			   const char *subnqn, char *out, size_t len);

/**
 * Split a PSK identity "NVMe0R0H <hostnqn> <subnqn>" (as a server receives it) into its parts,
 * e.g. for a PSK lookup by host and subsystem NQN.
 *
 * \param identity The identity bytes (need not be NUL-terminated).
 * \param len Their length.
 * \param hostnqn Filled with the host NQN (NUL-terminated); may be NULL.
 * \param hostlen Size of \p hostnqn.
 * \param subnqn Filled with the subsystem NQN (NUL-terminated); may be NULL.
 * \param sublen Size of \p subnqn.
 * \return H (1: 32-byte key, SHA-256; 2: 48-byte key, SHA-384), or -EINVAL when the identity
 *         is not of that form (or a part does not fit its buffer).
 */
int nvtcp_tls_identity_parse(const char *identity, size_t len, char *hostnqn, size_t hostlen,
			     char *subnqn, size_t sublen);

/**
 * Derive the retained PSK: HKDF-Expand-Label(HKDF-Extract(0, PSK), "HostNQN", hostnqn, L) with
 * the hash of HH; HH 00 copies the configured PSK.
 *
 * \param out At least NVTCP_TLS_PSK_MAX_LEN bytes; \p *out_len set.
 * \return 0 or -EINVAL / -EIO (OpenSSL failure).
 */
int nvtcp_tls_derive_retained(const struct nvtcp_tls_psk *psk, const char *hostnqn, uint8_t *out,
			      size_t *out_len);

/**
 * Derive the TLS PSK from the retained PSK and the PSK identity:
 * HKDF-Expand-Label(HKDF-Extract(0, retained), "nvme-tls-psk", identity, L), hash by length.
 *
 * \return 0 or -EINVAL / -EIO.
 */
int nvtcp_tls_derive_tls_psk(const uint8_t *retained, size_t retained_len, const char *identity,
			     uint8_t *out, size_t *out_len);

/** Client (host) side of a TLS socket. Initialise with nvtcp_tls_client_opts_init(). */
struct nvtcp_tls_client_opts {
	/** The configured PSK (copied; the caller may wipe its own copy afterwards). */
	const struct nvtcp_tls_psk *psk;
	/** Host NQN and subsystem NQN: they make the identity and the derived keys. */
	const char *hostnqn;
	const char *subnqn;
	/** The handshake fails with -ETIMEDOUT after this long. Default 10000 ms. */
	uint32_t handshake_timeout_ms;
};

/** Fill \p opts with defaults. */
void nvtcp_tls_client_opts_init(struct nvtcp_tls_client_opts *opts);

/**
 * Find the TLS PSK for an identity offered by a client (server side). Called on the thread
 * that polls the handshake.
 *
 * \param ctx The server options' ctx.
 * \param identity The identity bytes (not NUL-terminated).
 * \param identity_len Their length.
 * \param key Set to the configured PSK of that host (the server derives the retained and TLS
 *        PSKs from it and the identity's host NQN).
 * \return 0 when found, -ENOENT for an unknown identity.
 */
typedef int (*nvtcp_tls_psk_lookup_fn)(void *ctx, const char *identity, size_t identity_len,
				       struct nvtcp_tls_psk *key);

/** Server (target) side of a TLS socket. Initialise with nvtcp_tls_server_opts_init(). */
struct nvtcp_tls_server_opts {
	nvtcp_tls_psk_lookup_fn lookup;
	void *ctx;
	/** Default 10000 ms. */
	uint32_t handshake_timeout_ms;
};

/** Fill \p opts with defaults. */
void nvtcp_tls_server_opts_init(struct nvtcp_tls_server_opts *opts);

/**
 * Start TLS as a client on a connected socket. Nothing may have been sent or queued on it yet.
 *
 * \return 0, or a negative errno with \p err naming the reason.
 */
int nvtcp_sock_tls_client(struct nvtcp_sock *sock, const struct nvtcp_tls_client_opts *opts,
			  char *err, size_t errlen);

/**
 * Start TLS as a server on an accepted socket.
 *
 * \return 0, or a negative errno with \p err naming the reason.
 */
int nvtcp_sock_tls_server(struct nvtcp_sock *sock, const struct nvtcp_tls_server_opts *opts,
			  char *err, size_t errlen);

/**
 * Drive the handshake without blocking.
 *
 * \param err On failure, the reason in one line ("unknown PSK identity", "peer offered only
 *        TLS 1.2", "handshake timed out", "peer closed during the handshake", "not a TLS
 *        ClientHello", the TLS alert name, ...), never key material. May be NULL.
 * \return 1 when the handshake is complete, 0 while it is in progress, a negative errno when
 *         it failed (the socket is then unusable and should be closed).
 */
int nvtcp_sock_tls_handshake_poll(struct nvtcp_sock *sock, char *err, size_t errlen);

/**
 * Peek (MSG_PEEK, no consumption) at the first bytes of an accepted socket to tell a TLS
 * ClientHello from a plaintext NVMe/TCP ICReq (for "optional" secure-channel listeners).
 *
 * \return 1 TLS, 0 plaintext, -EAGAIN when not enough bytes have arrived yet, or a negative
 *         errno.
 */
int nvtcp_sock_tls_detect(struct nvtcp_sock *sock);

/** Whether \p sock carries TLS. */
bool nvtcp_sock_is_tls(const struct nvtcp_sock *sock);

/**
 * Why the record layer of a TLS socket failed after the handshake, once a receive or send
 * returned -EPROTO: "peer closed the connection mid-record" (the connection ended inside a
 * record), OpenSSL's reason for a record that failed its check (e.g. "decryption failed or
 * bad record mac"), ... A static string without key material.
 *
 * \return The reason, or NULL (not TLS, no failure, or a plain close / socket error).
 */
const char *nvtcp_sock_tls_error(const struct nvtcp_sock *sock);

/** The negotiated cipher suite name (e.g. "TLS_AES_128_GCM_SHA256"), or NULL. */
const char *nvtcp_sock_tls_cipher(const struct nvtcp_sock *sock);

/** Server side: the PSK identity the client authenticated with (NUL-terminated), or NULL. */
const char *nvtcp_sock_tls_identity(const struct nvtcp_sock *sock);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_TLS_H */
