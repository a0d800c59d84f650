/*
 * nvtcp_identify: what the tool gathered from a controller, handed to the printer.
 */
#ifndef NVTCP_IDENTIFY_H
#define NVTCP_IDENTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "nvtcp/auth.h"
#include "nvtcp/nvme_spec.h"

#include "out.h"

/** One namespace: Identify Namespace (CNS 0) and its identification descriptors (CNS 3). */
struct id_ns {
	uint32_t nsid;
	bool data_ok;
	/** Why CNS 0 failed (when !data_ok). */
	char data_err[160];
	struct nvtcp_nvme_ns_data data;
	bool descs_ok;
	/** Why CNS 3 failed (when !descs_ok). */
	char descs_err[160];
	uint8_t descs[NVTCP_NVME_IDENTIFY_DATA_SIZE];
};

/** Everything printed about one controller. */
struct id_report {
	/** The transport ID, formatted. */
	const char *trid;
	/** Whether Identify Controller succeeded (else there is nothing to print). */
	bool have_cdata;
	/** Identify Controller (CNS 1) as returned. */
	struct nvtcp_nvme_ctrlr_data cdata;
	uint64_t cap;
	uint32_t vs;
	uint16_t cntlid;
	bool discovery;
	bool hdgst;
	bool ddgst;
	/** The TLS cipher suite, NULL without TLS. */
	const char *tls_cipher;
	bool authenticated;             /* DH-HMAC-CHAP on the admin queue */
	struct nvtcp_auth_result auth;
	uint32_t max_xfer;
	uint32_t num_io_queues;
	/** Host identity presented in Connect. */
	const char *hostnqn;
	/** Active namespaces (CNS 2), in order. */
	struct id_ns *ns;
	uint32_t num_ns;
	/** Why the namespace list could not be read ("" = it was). */
	char ns_list_err[160];
	/** Add hex dumps of the raw structures. */
	bool raw;
};

/** Describe the report through \p o (text or JSON). */
void id_print(struct out *o, const struct id_report *r);

#endif /* NVTCP_IDENTIFY_H */
