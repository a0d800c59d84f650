/**
 * @file
 * Control plane: transport IDs, host identity (NQN and host ID), NQN validation and discovery
 * log parsing. Pure data handling: nothing here talks to the network (the discovery client that
 * reads a log from a controller is in nvme.h).
 */
#ifndef NVTCP_FABRICS_H
#define NVTCP_FABRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvtcp/nvme_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest NQN (NVMe Base: 223 bytes, UTF-8), without the terminating NUL. */
#define NVTCP_NQN_MAX_LEN 223
/** Longest transport address (field width of the discovery log entry). */
#define NVTCP_TRADDR_MAX_LEN 255
/** Longest transport service ID (port). */
#define NVTCP_TRSVCID_MAX_LEN 31
/** The well-known discovery subsystem NQN. */
#define NVTCP_DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"
/** Default ports. */
#define NVTCP_DISCOVERY_PORT "8009"
#define NVTCP_IO_PORT "4420"

/** Transport types (values of the discovery log entry's TRTYPE). */
enum nvtcp_trtype {
	NVTCP_TRTYPE_TCP = 3,
};

/** Address families (values of the discovery log entry's ADRFAM). */
enum nvtcp_adrfam {
	NVTCP_ADRFAM_IPV4 = 1,
	NVTCP_ADRFAM_IPV6 = 2,
};

/**
 * A transport ID: where a controller is. The string form is SPDK's:
 * "trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn... hostnqn:nqn..."
 * (keys case-insensitive; "key:value" or "key=value"; separated by spaces or tabs).
 */
struct nvtcp_trid {
	enum nvtcp_trtype trtype;
	enum nvtcp_adrfam adrfam;
	/** Address: numeric IPv4/IPv6, or a host name. */
	char traddr[NVTCP_TRADDR_MAX_LEN + 1];
	/** Port. */
	char trsvcid[NVTCP_TRSVCID_MAX_LEN + 1];
	/** Subsystem NQN ("" = not given). */
	char subnqn[NVTCP_NQN_MAX_LEN + 1];
	/** Host NQN to use ("" = the default host NQN). */
	char hostnqn[NVTCP_NQN_MAX_LEN + 1];
};

/**
 * Parse a transport ID string. Missing keys keep the values already in \p trid, so callers can
 * preset defaults (nvtcp_trid_init()). Unknown keys, bad values and over-long values are errors.
 *
 * \param trid Filled in.
 * \param str Text.
 * \param err Set to a one-line message naming the bad key or value (may be NULL).
 * \param errlen Size of \p err.
 * \return 0 or -EINVAL.
 */
int nvtcp_trid_parse(struct nvtcp_trid *trid, const char *str, char *err, size_t errlen);

/**
 * Defaults: TCP, IPv4 (or IPv6 once traddr has a ':'), port 4420, no NQNs.
 *
 * \param trid Transport ID.
 */
void nvtcp_trid_init(struct nvtcp_trid *trid);

/**
 * Format a transport ID in the string form (keys that are empty are left out).
 *
 * \param trid Transport ID.
 * \param buf Output.
 * \param len Size of \p buf.
 * \return Length written (as snprintf), or -ENOSPC when truncated.
 */
int nvtcp_trid_format(const struct nvtcp_trid *trid, char *buf, size_t len);

/**
 * Check an NQN: length 1..223, the "nqn.yyyy-mm.reverse-domain:..." form or the UUID form
 * "nqn.2014-08.org.nvmexpress:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", or the discovery NQN.
 *
 * \param nqn Text.
 * \param err One-line reason when invalid (may be NULL).
 * \param errlen Size of \p err.
 * \return true when valid.
 */
bool nvtcp_nqn_valid(const char *nqn, char *err, size_t errlen);

/** The identity this host presents in Fabrics Connect. */
struct nvtcp_host_id {
	char hostnqn[NVTCP_NQN_MAX_LEN + 1];
	uint8_t hostid[16];
};

/**
 * The default host identity, as the Linux host finds it: /etc/nvme/hostnqn and /etc/nvme/hostid
 * when present and valid; otherwise a generated one (hostnqn
 * "nqn.2014-08.org.nvmexpress:uuid:<uuid>" with the same UUID as host ID). The generated identity
 * is created once per process and then reused, so every controller of a process shows the same.
 * When only one of the files exists, the other is derived (host ID from a uuid NQN, or NQN from
 * the host ID). The environment variable NVTCP_ETC_NVME, when set and not empty, names another
 * directory to read hostnqn and hostid from (tests, containers).
 *
 * \param id Filled in.
 * \return 0, or a negative errno when a file exists but is invalid (the message names it).
 */
int nvtcp_host_id_default(struct nvtcp_host_id *id);

/**
 * Parse a host ID in UUID text form.
 *
 * \param str "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
 * \param hostid Filled in.
 * \return 0 or -EINVAL.
 */
int nvtcp_host_id_parse(const char *str, uint8_t hostid[16]);

/* ---- Discovery log ------------------------------------------------------------------------ */

/** One discovery log entry, decoded and made safe to print. */
struct nvtcp_discovery_entry {
	/** The transport ID the entry names (subnqn and traddr/trsvcid from the entry). */
	struct nvtcp_trid trid;
	/** Subsystem type: NVTCP_NVMF_SUBTYPE_* (1 referral, 2 NVM, 3 current discovery). */
	uint8_t subtype;
	/** Transport requirements (TREQ). */
	uint8_t treq;
	uint16_t portid;
	uint16_t cntlid;
	/** Admin max SQ size. */
	uint16_t asqsz;
	/** Entry flags (EFLAGS). */
	uint16_t eflags;
	/** TCP security type from TSAS (0 none, 1 TLS 1.2, 2 TLS 1.3). */
	uint8_t sectype;
	/** Raw transport type and address family of the entry. */
	uint8_t trtype;
	uint8_t adrfam;
};

/**
 * Check a discovery log header and return how many entries it declares.
 *
 * \param hdr First 1024 bytes of the log.
 * \param max_entries Largest number of entries the caller accepts.
 * \param numrec Set to NUMREC.
 * \param genctr Set to GENCTR.
 * \return 0, -EINVAL (unsupported RECFMT), or -E2BIG (NUMREC above max_entries).
 */
int nvtcp_discovery_log_hdr_parse(const struct nvtcp_nvmf_disc_log_hdr *hdr, uint64_t max_entries,
				  uint64_t *numrec, uint64_t *genctr);

/**
 * Decode one entry. Strings are trimmed of their space/NUL padding; non-printable bytes are
 * rejected.
 *
 * \param raw The 1024-byte entry.
 * \param entry Filled in.
 * \return 0, or -EINVAL with a log line naming the bad field (unknown TRTYPE/ADRFAM values are
 *         not errors: they are kept raw and the trid is left TCP/IPv4).
 */
int nvtcp_discovery_entry_parse(const struct nvtcp_nvmf_disc_log_entry *raw,
				struct nvtcp_discovery_entry *entry);

/**
 * The transport ID to connect to an entry, with the address optionally overridden (discovery log
 * entries give the target's own view of its address, which may not be reachable from here).
 *
 * \param entry Entry.
 * \param traddr Address to use instead of the entry's (NULL = the entry's).
 * \param trsvcid Port to use instead (NULL = the entry's).
 * \param trid Filled in.
 */
void nvtcp_discovery_entry_to_trid(const struct nvtcp_discovery_entry *entry, const char *traddr,
				   const char *trsvcid, struct nvtcp_trid *trid);

/**
 * Human-readable names for printing: "tcp", "ipv4", "nvme subsystem", "discovery subsystem
 * referral", "current discovery subsystem", "not specified"/"required"/"not required".
 */
const char *nvtcp_trtype_str(uint8_t trtype);
const char *nvtcp_adrfam_str(uint8_t adrfam);
const char *nvtcp_subtype_str(uint8_t subtype);
const char *nvtcp_treq_secure_channel_str(uint8_t treq);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_FABRICS_H */
