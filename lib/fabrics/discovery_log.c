/*
 * Discovery log page (Get Log Page 0x70) decoding.
 *
 * Everything here comes from the network, so nothing is trusted: string fields may be padded
 * with spaces or NULs, may fill their field with no terminator, or may carry bytes that would
 * corrupt a terminal or a log; numeric fields may name transports we do not know. An entry is
 * decoded into a struct whose strings are NUL-terminated, trimmed and printable, or rejected
 * with a log line that names the field.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fabrics_internal.h"
#include "nvtcp/log.h"
#include "nvtcp/nvmf_spec.h"

int
nvtcp_discovery_log_hdr_parse(const struct nvtcp_nvmf_disc_log_hdr *hdr, uint64_t max_entries,
			      uint64_t *numrec, uint64_t *genctr)
{
	if (hdr == NULL || numrec == NULL || genctr == NULL) {
		return -EINVAL;
	}
	*numrec = hdr->numrec;
	*genctr = hdr->genctr;
	if (hdr->recfmt != 0) {
		NVTCP_ERRLOG("discovery log: record format %u is not supported (only 0)\n",
			     hdr->recfmt);
		return -EINVAL;
	}
	if (hdr->numrec > max_entries) {
		NVTCP_ERRLOG("discovery log: %llu records, more than the %llu accepted\n",
			     (unsigned long long)hdr->numrec, (unsigned long long)max_entries);
		return -E2BIG;
	}
	return 0;
}

/*
 * Decode a fixed-width text field: the text ends at the first NUL (or the end of the field) and
 * trailing spaces are padding. Every remaining byte must be printable ASCII.
 */
static int
field_to_str(const char *name, const void *src, size_t width, char *dst, size_t size)
{
	const unsigned char *s = src;
	size_t len = strnlen(src, width);

	while (len > 0 && s[len - 1] == ' ') {
		len--;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7E) {
			NVTCP_ERRLOG("discovery log entry: %s has a non-printable byte 0x%02x at "
				     "offset %zu\n", name, s[i], i);
			return -EINVAL;
		}
	}
	if (len >= size) {
		NVTCP_ERRLOG("discovery log entry: %s is %zu bytes long, more than %zu\n", name,
			     len, size - 1);
		return -EINVAL;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

int
nvtcp_discovery_entry_parse(const struct nvtcp_nvmf_disc_log_entry *raw,
			    struct nvtcp_discovery_entry *entry)
{
	struct nvtcp_discovery_entry e;
	int rc;

	if (raw == NULL || entry == NULL) {
		return -EINVAL;
	}
	memset(&e, 0, sizeof(e));
	nvtcp_trid_init(&e.trid);
	e.trid.trsvcid[0] = '\0';
	e.trtype = raw->trtype;
	e.adrfam = raw->adrfam;
	e.subtype = raw->subtype;
	e.treq = raw->treq;
	e.portid = raw->portid;
	e.cntlid = raw->cntlid;
	e.asqsz = raw->asqsz;
	e.eflags = raw->eflags;
	/* TSAS is transport specific: its first byte is SECTYPE only for TCP. */
	e.sectype = raw->trtype == NVTCP_NVMF_TRTYPE_TCP ? raw->tsas.tcp.sectype : 0;
	if (raw->adrfam == NVTCP_NVMF_ADRFAM_IPV6) {
		e.trid.adrfam = NVTCP_ADRFAM_IPV6;
	}

	rc = field_to_str("trsvcid", raw->trsvcid, sizeof(raw->trsvcid), e.trid.trsvcid,
			  sizeof(e.trid.trsvcid));
	if (rc == 0) {
		rc = field_to_str("subnqn", raw->subnqn, sizeof(raw->subnqn), e.trid.subnqn,
				  sizeof(e.trid.subnqn));
	}
	if (rc == 0) {
		rc = field_to_str("traddr", raw->traddr, sizeof(raw->traddr), e.trid.traddr,
				  sizeof(e.trid.traddr));
	}
	if (rc != 0) {
		return rc;
	}
	*entry = e;
	return 0;
}

void
nvtcp_discovery_entry_to_trid(const struct nvtcp_discovery_entry *entry, const char *traddr,
			      const char *trsvcid, struct nvtcp_trid *trid)
{
	*trid = entry->trid;
	trid->hostnqn[0] = '\0';
	if (traddr != NULL) {
		const char *why;
		size_t len = strlen(traddr);

		if (len >= sizeof(trid->traddr)) {
			/* Cannot be a usable address; make the failure visible at connect time. */
			NVTCP_ERRLOG("address override of %zu bytes is longer than %zu\n", len,
				     sizeof(trid->traddr) - 1);
			len = sizeof(trid->traddr) - 1;
		}
		memcpy(trid->traddr, traddr, len);
		trid->traddr[len] = '\0';
		/* The family follows the new address when it is numeric. */
		switch (fabrics_addr_classify(trid->traddr, &why)) {
		case FABRICS_ADDR_IPV4:
			trid->adrfam = NVTCP_ADRFAM_IPV4;
			break;
		case FABRICS_ADDR_IPV6:
			trid->adrfam = NVTCP_ADRFAM_IPV6;
			break;
		default:
			break;
		}
	}
	if (trsvcid != NULL) {
		size_t len = strlen(trsvcid);

		if (len >= sizeof(trid->trsvcid)) {
			NVTCP_ERRLOG("port override of %zu bytes is longer than %zu\n", len,
				     sizeof(trid->trsvcid) - 1);
			len = sizeof(trid->trsvcid) - 1;
		}
		memcpy(trid->trsvcid, trsvcid, len);
		trid->trsvcid[len] = '\0';
	}
}

const char *
nvtcp_trtype_str(uint8_t trtype)
{
	switch (trtype) {
	case NVTCP_NVMF_TRTYPE_RDMA: return "rdma";
	case NVTCP_NVMF_TRTYPE_FC: return "fc";
	case NVTCP_NVMF_TRTYPE_TCP: return "tcp";
	case NVTCP_NVMF_TRTYPE_LOOP: return "loop";
	default: return "unrecognized";
	}
}

const char *
nvtcp_adrfam_str(uint8_t adrfam)
{
	switch (adrfam) {
	case NVTCP_NVMF_ADRFAM_PCI: return "pci";
	case NVTCP_NVMF_ADRFAM_IPV4: return "ipv4";
	case NVTCP_NVMF_ADRFAM_IPV6: return "ipv6";
	case NVTCP_NVMF_ADRFAM_IB: return "infiniband";
	case NVTCP_NVMF_ADRFAM_FC: return "fibre-channel";
	case NVTCP_NVMF_ADRFAM_LOOP: return "loop";
	default: return "unrecognized";
	}
}

const char *
nvtcp_subtype_str(uint8_t subtype)
{
	switch (subtype) {
	case NVTCP_NVMF_SUBTYPE_DISCOVERY_REFERRAL: return "discovery subsystem referral";
	case NVTCP_NVMF_SUBTYPE_NVME: return "nvme subsystem";
	case NVTCP_NVMF_SUBTYPE_DISCOVERY_CURRENT: return "current discovery subsystem";
	default: return "unrecognized";
	}
}

const char *
nvtcp_treq_secure_channel_str(uint8_t treq)
{
	switch (treq & NVTCP_NVMF_TREQ_SECURE_CHANNEL_MASK) {
	case NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_SPECIFIED: return "not specified";
	case NVTCP_NVMF_TREQ_SECURE_CHANNEL_REQUIRED: return "required";
	case NVTCP_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED: return "not required";
	default: return "reserved";
	}
}
