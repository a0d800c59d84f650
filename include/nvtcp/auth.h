/**
 * @file
 * NVMe in-band authentication: DH-HMAC-CHAP (NVMe Base Specification, "Authentication";
 * TP 8006), shared by the host (lib/nvme) and the target (lib/target).
 *
 * Three parts, none of which does I/O or keeps time (the callers carry the messages in
 * Authentication Send / Receive commands and bound each step with their own timers):
 * - Secrets: the "DHHC-1:HH:<base64(key || CRC-32)>:" format, secret files (mode 0600 or
 *   refused), generation, and the transformation of a secret by an NQN. Buffers holding
 *   secrets are wiped (OPENSSL_cleanse) when no longer needed.
 * - Algorithms: hash and DH group names and sizes, finite-field DH (RFC 7919 groups), the
 *   augmented challenge and the host and controller responses. OpenSSL 3 does the crypto.
 * - Two transaction engines, one per role, that consume and produce the wire messages of
 *   nvtcp/nvmf_auth_spec.h for one authentication transaction on one queue: the host side
 *   (Negotiate -> Challenge -> Reply -> Success1 [-> Success2]) and the controller side.
 *   They check transaction IDs, sequence numbers, lengths and identifiers, and report failures
 *   with the specification's reason code explanations.
 *
 * Nothing here ever logs or formats secret material into an error message.
 */
#ifndef NVTCP_AUTH_H
#define NVTCP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvtcp/nvmf_auth_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest secret (and hash output, SHA-512) in bytes. */
#define NVTCP_AUTH_KEY_MAX_LEN 64
/** Longest "DHHC-1:..." string with its NUL (64-byte key + CRC in base64 is 92 chars). */
#define NVTCP_AUTH_SECRET_STR_MAX_LEN 112
/** Largest DH public value (ffdhe8192) in bytes. */
#define NVTCP_AUTH_DH_MAX_LEN 1024
/** Largest message either side sends or receives (Reply with ffdhe8192 and SHA-512). */
#define NVTCP_AUTH_MSG_MAX_LEN (16 + 2 * NVTCP_AUTH_KEY_MAX_LEN + NVTCP_AUTH_DH_MAX_LEN)

/* ---- secrets ------------------------------------------------------------------------------ */

/** A DH-HMAC-CHAP secret. Wipe with nvtcp_auth_secret_wipe() when done. */
struct nvtcp_auth_secret {
	uint8_t key[NVTCP_AUTH_KEY_MAX_LEN];
	/** 32, 48 or 64. */
	uint32_t len;
	/** HH of the text form: 0 = not transformed, else the enum nvtcp_auth_hash_id that
	 * transforms it by an NQN. */
	uint8_t hash;
};

/**
 * Parse "DHHC-1:HH:<base64(key || CRC-32)>:", checking the prefix, HH (00..03), the base64,
 * the key length (32, 48 or 64 bytes; with HH != 00 it must match that hash's length, as the
 * specification requires) and the CRC-32. A trailing newline is tolerated.
 *
 * \param err One line naming what is wrong ("bad CRC-32", "key length 20: must be 32, 48 or
 *        64 bytes", ...), never the secret. May be NULL.
 * \return 0 or -EINVAL; \p secret is wiped on failure.
 */
int nvtcp_auth_secret_parse(const char *text, struct nvtcp_auth_secret *secret, char *err,
			    size_t errlen);

/**
 * Take a secret given as text ("DHHC-1:...") or as the path of a file holding it. A file must
 * be a regular file of the caller's user with no group/other permission bits (0600 or 0400),
 * otherwise it is refused with a message saying so. Read buffers are wiped.
 *
 * \return 0, -EPERM (mode/owner), -EINVAL (content), or the file's -errno.
 */
int nvtcp_auth_secret_load(const char *text_or_path, struct nvtcp_auth_secret *secret, char *err,
			   size_t errlen);

/** Format \p secret as "DHHC-1:HH:<base64>:" (with its CRC-32). \return 0 or -ENOSPC. */
int nvtcp_auth_secret_format(const struct nvtcp_auth_secret *secret, char *out, size_t outlen);

/**
 * A fresh random secret of \p len bytes (32, 48 or 64) with transformation hash \p hash
 * (0 or an enum nvtcp_auth_hash_id whose length is \p len), from OpenSSL's CSPRNG.
 * \return 0 or -EINVAL / -EIO.
 */
int nvtcp_auth_secret_generate(uint8_t hash, uint32_t len, struct nvtcp_auth_secret *secret);

/** Wipe a secret. */
void nvtcp_auth_secret_wipe(struct nvtcp_auth_secret *secret);

/**
 * The key used in a response: the secret itself when its HH is 0, else
 * HMAC-HH(secret, nqn || "NVMe-over-Fabrics").
 *
 * \param out At least NVTCP_AUTH_KEY_MAX_LEN bytes; the caller wipes it.
 * \param outlen Set to the key's length.
 * \return 0 or -EINVAL / -EIO.
 */
int nvtcp_auth_secret_transform(const struct nvtcp_auth_secret *secret, const char *nqn,
				uint8_t *out, size_t *outlen);

/* ---- algorithms --------------------------------------------------------------------------- */

/** Digest length of a hash id (32, 48, 64), or 0 for an unknown id. */
size_t nvtcp_auth_hash_len(uint8_t hash_id);
/** "sha256", "sha384", "sha512", or NULL. */
const char *nvtcp_auth_hash_name(uint8_t hash_id);
/** Hash id from "sha256" / "hmac(sha256)" / "SHA-256" style names; -EINVAL if unknown. */
int nvtcp_auth_hash_from_name(const char *name);

/** Public value length of a DH group (0 for null, 256 .. 1024), or -EINVAL for unknown ids. */
int nvtcp_auth_dhgroup_len(uint8_t dhgroup_id);
/** "null", "ffdhe2048" .. "ffdhe8192", or NULL. */
const char *nvtcp_auth_dhgroup_name(uint8_t dhgroup_id);
/** DH group id from "null" / "ffdhe2048" ... names; -EINVAL if unknown. */
int nvtcp_auth_dhgroup_from_name(const char *name);

/** Name of a failure reason code explanation ("authentication failed", "DH group not
 * usable", ...); never NULL. */
const char *nvtcp_auth_failure_name(uint8_t explanation);

/** An ephemeral finite-field DH key pair. */
struct nvtcp_auth_dh;

/**
 * Generate an ephemeral key pair in \p dhgroup_id (not null) and write the public value,
 * big-endian and left-padded to the group's length, to \p pub.
 *
 * \return 0, -EINVAL (group), -ENOMEM or -EIO.
 */
int nvtcp_auth_dh_create(uint8_t dhgroup_id, struct nvtcp_auth_dh **dh, uint8_t *pub,
			 size_t publen);

/**
 * The shared secret with the peer's public value (which is validated: wrong length, 0, 1 or
 * p-1 and values >= p are refused with -EINVAL), big-endian, padded to the group's length.
 * The caller wipes \p secret.
 */
int nvtcp_auth_dh_derive(struct nvtcp_auth_dh *dh, const uint8_t *peer_pub, size_t peer_len,
			 uint8_t *secret, size_t secret_len);

/** Free (and wipe) a key pair; NULL is ignored. */
void nvtcp_auth_dh_free(struct nvtcp_auth_dh *dh);

/**
 * Augmented challenge: HMAC-H(H(dh_secret), challenge) with H the hash \p hash_id; when
 * \p dh_secret_len is 0 (null group) the challenge is copied unchanged.
 */
int nvtcp_auth_augment(uint8_t hash_id, const uint8_t *dh_secret, size_t dh_secret_len,
		       const uint8_t *challenge, size_t hl, uint8_t *out);

/**
 * Host response R1 = HMAC-H(key, C || le32(seqnum) || le16(t_id) || sc_c || "HostHost" ||
 * hostnqn || 0x00 || subnqn), with key the host secret transformed by the host NQN and C the
 * (augmented) challenge C1.
 */
int nvtcp_auth_host_response(uint8_t hash_id, const uint8_t *key, size_t keylen,
			     const uint8_t *challenge, size_t hl, uint32_t seqnum, uint16_t t_id,
			     uint8_t sc_c, const char *hostnqn, const char *subnqn, uint8_t *out);

/**
 * Controller response R2 = HMAC-H(key, C || le32(seqnum) || le16(t_id) || sc_c ||
 * "Controller" || subnqn || 0x00 || hostnqn), with key the controller secret transformed by
 * the subsystem NQN and C the (augmented) challenge C2.
 */
int nvtcp_auth_ctrl_response(uint8_t hash_id, const uint8_t *key, size_t keylen,
			     const uint8_t *challenge, size_t hl, uint32_t seqnum, uint16_t t_id,
			     uint8_t sc_c, const char *subnqn, const char *hostnqn, uint8_t *out);

/* ---- transaction engines ------------------------------------------------------------------ */

/** Bit of a hash id in a mask: (1u << NVTCP_AUTH_HASH_SHA256) ... */
#define NVTCP_AUTH_HASH_BIT(id) (1u << (id))
/** Bit of a DH group id in a mask: (1u << NVTCP_AUTH_DHGROUP_NULL) ... */
#define NVTCP_AUTH_DHGROUP_BIT(id) (1u << (id))
/** Every hash: SHA-256, SHA-384, SHA-512. */
#define NVTCP_AUTH_HASH_ALL 0x0Eu
/** Every DH group: null and ffdhe2048 .. ffdhe8192. */
#define NVTCP_AUTH_DHGROUP_ALL 0x3Fu

/** What the owner of a transaction does next. */
enum nvtcp_auth_next {
	/** Issue an Authentication Send with the message from ..._build(). */
	NVTCP_AUTH_NEXT_SEND,
	/** Issue an Authentication Receive (allocation length NVTCP_AUTH_MSG_MAX_LEN) and hand
	 * its data to ..._process(). (Host side.) */
	NVTCP_AUTH_NEXT_RECV,
	/** The transaction succeeded. */
	NVTCP_AUTH_NEXT_DONE,
	/** The transaction failed; ..._failure() tells why. */
	NVTCP_AUTH_NEXT_FAILED,
};

/** Outcome of a successful transaction, for the application to see. */
struct nvtcp_auth_result {
	uint8_t hash_id;
	uint8_t dhgroup_id;
	/** The controller proved itself too. */
	bool bidirectional;
};

/** Host side parameters; strings and secrets must outlive the transaction. */
struct nvtcp_auth_host_params {
	const char *hostnqn;
	const char *subnqn;
	/** The host's secret (required). */
	const struct nvtcp_auth_secret *host_secret;
	/** The controller's secret: set for bidirectional authentication, else NULL. */
	const struct nvtcp_auth_secret *ctrl_secret;
	/** Hashes and DH groups offered, as NVTCP_AUTH_*_BIT masks; 0 = all. Offered strongest
	 * first. */
	uint32_t hash_mask;
	uint32_t dhgroup_mask;
	/** Transaction ID to use. */
	uint16_t t_id;
	/** Sequence number S2 to use for bidirectional authentication (nonzero). */
	uint32_t seqnum;
	/** Queue ID, only to name the queue in the engine's protocol error logs. */
	uint16_t qid;
};

/** Host side of one transaction. */
struct nvtcp_auth_host;

/** Start a host transaction. \return 0, -EINVAL (params) or -ENOMEM. */
int nvtcp_auth_host_create(const struct nvtcp_auth_host_params *params,
			   struct nvtcp_auth_host **host);
/** What to do next. */
enum nvtcp_auth_next nvtcp_auth_host_next(const struct nvtcp_auth_host *host);
/**
 * Build the message of an NVTCP_AUTH_NEXT_SEND step (Negotiate, Reply, Success2 or Failure2)
 * into \p buf. \return its length, or -ENOSPC / -EINVAL (wrong step).
 */
int nvtcp_auth_host_build(struct nvtcp_auth_host *host, uint8_t *buf, size_t cap);
/**
 * Consume the data of an Authentication Receive (Challenge, Success1 or Failure1). A message
 * that is malformed, out of order or from another transaction moves the transaction to send
 * a Failure2 (or to fail, after a Failure1); so does a controller response that does not
 * match. \return 0, or -EINVAL when the message was bad (the next step says what follows).
 */
int nvtcp_auth_host_process(struct nvtcp_auth_host *host, const uint8_t *buf, size_t len);
/** After NVTCP_AUTH_NEXT_DONE: what was negotiated. */
void nvtcp_auth_host_result(const struct nvtcp_auth_host *host, struct nvtcp_auth_result *res);
/**
 * After NVTCP_AUTH_NEXT_FAILED (or while a Failure2 is pending): the reason code explanation,
 * whether it was the controller that reported it (Failure1) or this host (Failure2), and the
 * step it happened in ("negotiate", "challenge", "reply", "success1").
 */
uint8_t nvtcp_auth_host_failure(const struct nvtcp_auth_host *host, bool *by_controller,
				const char **step);
/** Free (and wipe) a host transaction; NULL is ignored. */
void nvtcp_auth_host_free(struct nvtcp_auth_host *host);

/** Controller side parameters; strings and secrets must outlive the transaction. */
struct nvtcp_auth_ctrl_params {
	const char *hostnqn;
	const char *subnqn;
	/** The secret the host must prove (required). */
	const struct nvtcp_auth_secret *host_secret;
	/** The controller's own secret: bidirectional authentication is possible only with it;
	 * a host that asks for it without one configured gets a Failure1. */
	const struct nvtcp_auth_secret *ctrl_secret;
	/** Hashes and DH groups allowed, as masks; 0 = all. The strongest common choice of
	 * the host's offer is picked. */
	uint32_t hash_mask;
	uint32_t dhgroup_mask;
	/** Sequence number S1 to use (nonzero). */
	uint32_t seqnum;
	/** Queue ID, only to name the queue in the engine's protocol error logs. */
	uint16_t qid;
};

/** Controller side of one transaction. */
struct nvtcp_auth_ctrl;

/** Start a controller transaction. \return 0, -EINVAL or -ENOMEM. */
int nvtcp_auth_ctrl_create(const struct nvtcp_auth_ctrl_params *params,
			   struct nvtcp_auth_ctrl **ctrl);
/**
 * Consume the data of an Authentication Send (Negotiate, Reply, Success2 or Failure2).
 * A Failure2 is also taken after NVTCP_AUTH_NEXT_DONE (a host that rejects a unidirectional
 * Success1) and moves the transaction to NVTCP_AUTH_NEXT_FAILED.
 * \return 0 when the message was accepted or turned into a pending Failure1 (the protocol
 * answer), -EINVAL when it is not an authentication message this step can take at all
 * (shorter than the 6-byte header, unknown AUTH_TYPE, or the transaction is over; the
 * command then fails with Invalid Field).
 */
int nvtcp_auth_ctrl_process(struct nvtcp_auth_ctrl *ctrl, const uint8_t *buf, size_t len);
/**
 * Build the answer for an Authentication Receive of allocation length \p cap (Challenge,
 * Success1 or Failure1). \return its length, -ENOSPC when \p cap is too small, -EINVAL when
 * no answer is due at this step.
 */
int nvtcp_auth_ctrl_build(struct nvtcp_auth_ctrl *ctrl, uint8_t *buf, size_t cap);
/** NVTCP_AUTH_NEXT_SEND (an answer is due: the host's Receive), _RECV (waiting for the host's
 * Send), _DONE or _FAILED. */
enum nvtcp_auth_next nvtcp_auth_ctrl_next(const struct nvtcp_auth_ctrl *ctrl);
/** After NVTCP_AUTH_NEXT_DONE: what was negotiated. */
void nvtcp_auth_ctrl_result(const struct nvtcp_auth_ctrl *ctrl, struct nvtcp_auth_result *res);
/** After a failure: reason code explanation, who reported it (true: the host's Failure2),
 * and the step name. */
uint8_t nvtcp_auth_ctrl_failure(const struct nvtcp_auth_ctrl *ctrl, bool *by_host,
				const char **step);
/** Free (and wipe) a controller transaction; NULL is ignored. */
void nvtcp_auth_ctrl_free(struct nvtcp_auth_ctrl *ctrl);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_AUTH_H */
