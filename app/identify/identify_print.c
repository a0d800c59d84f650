/*
 * nvtcp_identify: decoding of Identify Controller, Identify Namespace and the namespace
 * identification descriptors into labelled fields (rendered as text or JSON by out.c).
 *
 * Every field comes from the network: string fields are made printable, indexes are bounded,
 * descriptor lengths are checked before they are used.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nvtcp/util.h"

#include "identify.h"

/* Fixed-width identify string field -> printable, trimmed C string. */
#define FIELD_STR(dst, field) nvtcp_str_from_field((dst), (field), sizeof(field))

static bool
all_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

static void
hex_string(const uint8_t *p, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		sprintf(out + 2 * i, "%02x", p[i]);
	}
	out[2 * len] = '\0';
}

static void
uuid_string(const uint8_t *u, char *out)
{
	sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		u[13], u[14], u[15]);
}

static void
version_string(uint32_t ver, char *out, size_t len)
{
	if (ver == 0) {
		snprintf(out, len, "not reported");
	} else {
		snprintf(out, len, "%u.%u.%u", nvtcp_nvme_vs_major(ver), nvtcp_nvme_vs_minor(ver),
			 nvtcp_nvme_vs_tertiary(ver));
	}
}

/* A 128-bit little-endian counter as decimal (exact up to 2^64, approximate above). */
static void
u128_string(const uint8_t v[16], char *out, size_t len)
{
	uint64_t lo = 0, hi = 0;

	for (int i = 7; i >= 0; i--) {
		lo = (lo << 8) | v[i];
		hi = (hi << 8) | v[i + 8];
	}
	if (hi == 0) {
		snprintf(out, len, "%" PRIu64, lo);
	} else {
		snprintf(out, len, "%.6Le", (long double)hi * 18446744073709551616.0L + lo);
	}
}

static const char *
cntrltype_str(uint8_t t)
{
	switch (t) {
	case NVTCP_NVME_CNTRLTYPE_IO: return "I/O controller";
	case NVTCP_NVME_CNTRLTYPE_DISCOVERY: return "discovery controller";
	case NVTCP_NVME_CNTRLTYPE_ADMIN: return "administrative controller";
	case NVTCP_NVME_CNTRLTYPE_NOT_REPORTED: return "not reported";
	default: return "reserved";
	}
}

/* Maximum data transfer size in bytes from MDTS (units of CAP.MPSMIN pages); 0 = unlimited. */
static uint64_t
mdts_bytes(uint8_t mdts, uint64_t cap)
{
	uint32_t shift = 12 + nvtcp_nvme_cap_mpsmin(cap) + mdts;

	if (mdts == 0) {
		return 0;
	}
	return shift >= 64 ? UINT64_MAX : (uint64_t)1 << shift;
}

static void
print_cap(struct out *o, uint64_t cap, uint32_t vs)
{
	char buf[64];
	uint32_t css = nvtcp_nvme_cap_css(cap);

	out_section(o, "Controller Properties", "properties");
	out_hex(o, "CAP", "cap", cap, 16);
	out_u64(o, "  Maximum Queue Entries", "mqes", (uint64_t)nvtcp_nvme_cap_mqes(cap) + 1);
	out_bool(o, "  Contiguous Queues Required", "cqr", nvtcp_nvme_cap_cqr(cap));
	snprintf(buf, sizeof(buf), "%u ms", nvtcp_nvme_cap_to(cap) * 500);
	out_u64_note(o, "  Ready Timeout (500 ms units)", "to", nvtcp_nvme_cap_to(cap), NULL, buf);
	out_supp(o, "  NVM Command Set", "css_nvm", css & NVTCP_NVME_CAP_CSS_NVM);
	out_supp(o, "  I/O Command Sets", "css_iocs", css & NVTCP_NVME_CAP_CSS_IOCS);
	out_supp(o, "  Admin Command Set Only", "css_no_io", css & NVTCP_NVME_CAP_CSS_NO_IO);
	out_bytes(o, "  Memory Page Size Minimum", "mpsmin_bytes",
		  (uint64_t)1 << (12 + nvtcp_nvme_cap_mpsmin(cap)));
	out_bytes(o, "  Memory Page Size Maximum", "mpsmax_bytes",
		  (uint64_t)1 << (12 + nvtcp_nvme_cap_mpsmax(cap)));
	out_supp(o, "  NVM Subsystem Reset", "nssrs", nvtcp_nvme_cap_nssrs(cap));
	version_string(vs, buf, sizeof(buf));
	out_str(o, "VS (NVMe version)", "vs", buf);
	out_end(o);
}

static void
print_oacs(struct out *o, uint16_t oacs)
{
	out_section(o, "Optional Admin Commands (OACS)", "oacs");
	out_supp(o, "Security Send/Receive", "security", oacs & NVTCP_NVME_OACS_SECURITY);
	out_supp(o, "Format NVM", "format", oacs & NVTCP_NVME_OACS_FORMAT);
	out_supp(o, "Firmware Commit/Download", "firmware", oacs & NVTCP_NVME_OACS_FIRMWARE);
	out_supp(o, "Namespace Management", "ns_management", oacs & NVTCP_NVME_OACS_NS_MANAGEMENT);
	out_supp(o, "Device Self-test", "device_self_test",
		 oacs & NVTCP_NVME_OACS_DEVICE_SELF_TEST);
	out_supp(o, "Directives", "directives", oacs & NVTCP_NVME_OACS_DIRECTIVES);
	out_supp(o, "NVMe-MI Send/Receive", "nvme_mi", oacs & NVTCP_NVME_OACS_NVME_MI);
	out_supp(o, "Virtualization Management", "virtualization",
		 oacs & NVTCP_NVME_OACS_VIRTUALIZATION);
	out_supp(o, "Doorbell Buffer Config", "doorbell_buffer_config",
		 oacs & NVTCP_NVME_OACS_DOORBELL_BUFFER_CONFIG);
	out_supp(o, "Get LBA Status", "get_lba_status", oacs & NVTCP_NVME_OACS_GET_LBA_STATUS);
	out_end(o);
}

static void
print_lpa(struct out *o, uint8_t lpa)
{
	out_section(o, "Log Page Attributes (LPA)", "lpa");
	out_supp(o, "Per-namespace SMART/Health Log", "ns_smart", lpa & NVTCP_NVME_LPA_NS_SMART);
	out_supp(o, "Commands Supported and Effects Log", "command_effects",
		 lpa & NVTCP_NVME_LPA_COMMAND_EFFECTS);
	out_supp(o, "Extended Data for Get Log Page", "extended_data",
		 lpa & NVTCP_NVME_LPA_EXTENDED_DATA);
	out_supp(o, "Telemetry Logs", "telemetry", lpa & NVTCP_NVME_LPA_TELEMETRY);
	out_supp(o, "Persistent Event Log", "persistent_event",
		 lpa & NVTCP_NVME_LPA_PERSISTENT_EVENT);
	out_end(o);
}

static void
print_oncs(struct out *o, uint16_t oncs)
{
	out_section(o, "Optional NVM Commands (ONCS)", "oncs");
	out_supp(o, "Compare", "compare", oncs & NVTCP_NVME_ONCS_COMPARE);
	out_supp(o, "Write Uncorrectable", "write_uncorrectable",
		 oncs & NVTCP_NVME_ONCS_WRITE_UNCORRECTABLE);
	out_supp(o, "Dataset Management", "dsm", oncs & NVTCP_NVME_ONCS_DSM);
	out_supp(o, "Write Zeroes", "write_zeroes", oncs & NVTCP_NVME_ONCS_WRITE_ZEROES);
	out_supp(o, "Save/Select in Features", "save_select",
		 oncs & NVTCP_NVME_ONCS_SAVE_SELECT_FEATURES);
	out_supp(o, "Reservations", "reservations", oncs & NVTCP_NVME_ONCS_RESERVATIONS);
	out_supp(o, "Timestamp", "timestamp", oncs & NVTCP_NVME_ONCS_TIMESTAMP);
	out_supp(o, "Verify", "verify", oncs & NVTCP_NVME_ONCS_VERIFY);
	out_supp(o, "Copy", "copy", oncs & NVTCP_NVME_ONCS_COPY);
	out_end(o);
}

static void
print_sgls(struct out *o, uint32_t sgls)
{
	static const char *const support[] = {"not supported", "supported",
					      "supported (dword aligned)", "reserved"};

	out_section(o, "SGL Support (SGLS)", "sgls");
	out_hex(o, "Value", "value", sgls, 8);
	out_str(o, "SGLs", "support", support[sgls & NVTCP_NVME_SGLS_SUPPORT_MASK]);
	out_supp(o, "Keyed SGL Data Block", "keyed", sgls & NVTCP_NVME_SGLS_KEYED);
	out_supp(o, "Bit Bucket Descriptor", "bit_bucket", sgls & NVTCP_NVME_SGLS_BIT_BUCKET);
	out_supp(o, "Byte Aligned Metadata", "metadata_byte_aligned",
		 sgls & NVTCP_NVME_SGLS_METADATA_BYTE_ALIGNED);
	out_supp(o, "SGL Longer than Data", "length_larger_than_data",
		 sgls & NVTCP_NVME_SGLS_LENGTH_LARGER_THAN_DATA);
	out_supp(o, "MPTR Pointing to an SGL", "mptr_sgl", sgls & NVTCP_NVME_SGLS_MPTR_SGL);
	out_supp(o, "Address as Offset", "address_as_offset",
		 sgls & NVTCP_NVME_SGLS_ADDRESS_AS_OFFSET);
	out_supp(o, "Transport SGL Data Block", "transport",
		 sgls & NVTCP_NVME_SGLS_TRANSPORT);
	out_end(o);
}

static void
print_entry_size(struct out *o, const char *label, const char *key, uint8_t v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "required %u bytes, maximum %u bytes", 1u << (v & 0xF),
		 1u << (v >> 4));
	if (o->json) {
		out_section(o, label, key);
		out_u64(o, "Required", "required_bytes", 1u << (v & 0xF));
		out_u64(o, "Maximum", "maximum_bytes", 1u << (v >> 4));
		out_end(o);
	} else {
		out_str(o, label, key, buf);
	}
}

static void
print_ctrlr(struct out *o, const struct id_report *r)
{
	const struct nvtcp_nvme_ctrlr_data *c = &r->cdata;
	char buf[300];
	uint64_t mdts = mdts_bytes(c->mdts, r->cap);

	out_section(o, "Controller", "controller");
	out_hex(o, "Vendor ID (VID)", "vid", c->vid, 4);
	out_hex(o, "Subsystem Vendor ID (SSVID)", "ssvid", c->ssvid, 4);
	FIELD_STR(buf, c->sn);
	out_str(o, "Serial Number (SN)", "sn", buf);
	FIELD_STR(buf, c->mn);
	out_str(o, "Model Number (MN)", "mn", buf);
	FIELD_STR(buf, c->fr);
	out_str(o, "Firmware Revision (FR)", "fr", buf);
	out_u64(o, "Recommended Arbitration Burst", "rab", c->rab);
	snprintf(buf, sizeof(buf), "%02x%02x%02x", c->ieee[2], c->ieee[1], c->ieee[0]);
	out_str(o, "IEEE OUI", "ieee", buf);
	out_section(o, "Multi-path I/O (CMIC)", "cmic");
	out_bool(o, "May Have Multiple Subsystem Ports", "multi_port",
		 c->cmic & NVTCP_NVME_CMIC_MULTI_PORT);
	out_bool(o, "May Have Multiple Controllers", "multi_ctrlr",
		 c->cmic & NVTCP_NVME_CMIC_MULTI_CTRLR);
	out_bool(o, "Asymmetric Namespace Access", "ana", c->cmic & NVTCP_NVME_CMIC_ANA);
	out_end(o);
	if (mdts == 0) {
		out_u64_note(o, "Max Data Transfer Size (MDTS)", "mdts", c->mdts, NULL, "unlimited");
		if (o->json) {
			out_none(o, "", "mdts_bytes", "");
		}
	} else {
		snprintf(buf, sizeof(buf), "%" PRIu64 " bytes", mdts);
		out_u64_note(o, "Max Data Transfer Size (MDTS)", "mdts", c->mdts, NULL, buf);
		if (o->json) {
			out_u64(o, "", "mdts_bytes", mdts);
		}
	}
	out_u64(o, "Controller ID (CNTLID)", "cntlid", c->cntlid);
	version_string(c->ver, buf, sizeof(buf));
	out_str(o, "NVMe Version (VER)", "ver", buf);
	out_u64(o, "RTD3 Resume Latency (us)", "rtd3r", c->rtd3r);
	out_u64(o, "RTD3 Entry Latency (us)", "rtd3e", c->rtd3e);
	out_section(o, "Optional Asynchronous Events (OAES)", "oaes");
	out_supp(o, "Namespace Attribute Notices", "ns_attribute",
		 c->oaes & NVTCP_NVME_OAES_NS_ATTRIBUTE_NOTICES);
	out_supp(o, "Firmware Activation Notices", "fw_activation",
		 c->oaes & NVTCP_NVME_OAES_FW_ACTIVATION_NOTICES);
	out_supp(o, "ANA Change Notices", "ana_change",
		 c->oaes & NVTCP_NVME_OAES_ANA_CHANGE_NOTICES);
	out_supp(o, "Discovery Log Change Notices", "discovery_log_change",
		 c->oaes & NVTCP_NVME_OAES_DISCOVERY_LOG_CHANGE_NOTICES);
	out_end(o);
	out_supp(o, "128-bit Host Identifier (CTRATT)", "host_id_128",
		 c->ctratt & NVTCP_NVME_CTRATT_HOST_ID_128_BIT);
	out_str(o, "Controller Type (CNTRLTYPE)", "cntrltype", cntrltype_str(c->cntrltype));
	if (all_zero(c->fguid, sizeof(c->fguid))) {
		out_none(o, "FRU GUID", "fguid", "not reported");
	} else {
		hex_string(c->fguid, sizeof(c->fguid), buf);
		out_str(o, "FRU GUID", "fguid", buf);
	}
	print_oacs(o, c->oacs);
	out_u64(o, "Abort Command Limit", "acl", (uint64_t)c->acl + 1);
	out_u64(o, "Async Event Request Limit", "aerl", (uint64_t)c->aerl + 1);
	out_hex(o, "Firmware Updates (FRMW)", "frmw", c->frmw, 2);
	print_lpa(o, c->lpa);
	out_u64(o, "Error Log Page Entries", "elpe", (uint64_t)c->elpe + 1);
	out_u64(o, "Power States", "npss", (uint64_t)c->npss + 1);
	if (c->kas == 0) {
		out_u64_note(o, "Keep Alive Granularity (KAS)", "kas", 0, NULL,
			     "keep alive not supported");
	} else {
		snprintf(buf, sizeof(buf), "%u ms", (unsigned int)c->kas * 100);
		out_u64_note(o, "Keep Alive Granularity (KAS)", "kas", c->kas, NULL, buf);
	}
	if (!all_zero(c->tnvmcap, sizeof(c->tnvmcap))) {
		u128_string(c->tnvmcap, buf, sizeof(buf));
		out_str(o, "Total NVM Capacity (bytes)", "tnvmcap", buf);
	}

	out_section(o, "NVM Command Set Attributes", "nvm");
	print_entry_size(o, "Submission Queue Entry Size", "sqes", c->sqes);
	print_entry_size(o, "Completion Queue Entry Size", "cqes", c->cqes);
	out_u64(o, "Maximum Outstanding Commands", "maxcmd", c->maxcmd);
	out_u64(o, "Number of Namespaces (NN)", "nn", c->nn);
	print_oncs(o, c->oncs);
	out_supp(o, "Fused Compare and Write", "fused_compare_write",
		 c->fuses & NVTCP_NVME_FUSES_COMPARE_AND_WRITE);
	out_bool(o, "Volatile Write Cache Present", "vwc", c->vwc & NVTCP_NVME_VWC_PRESENT);
	out_u64(o, "Atomic Write Unit Normal (blocks)", "awun", (uint64_t)c->awun + 1);
	out_u64(o, "Atomic Write Unit Power Fail (blocks)", "awupf", (uint64_t)c->awupf + 1);
	print_sgls(o, c->sgls);
	out_end(o);

	FIELD_STR(buf, c->subnqn);
	out_str(o, "Subsystem NQN (SUBNQN)", "subnqn", buf);

	out_section(o, "NVMe over Fabrics Attributes", "fabrics");
	out_u64(o, "I/O Command Capsule Size (IOCCSZ, 16 B)", "ioccsz", c->ioccsz);
	out_bytes(o, "  Command Capsule", "ioccsz_bytes", (uint64_t)c->ioccsz * 16);
	out_bytes(o, "  In-capsule Data", "in_capsule_data_bytes",
		  c->ioccsz * 16u >= 64 ? (uint64_t)c->ioccsz * 16 - 64 : 0);
	out_bytes(o, "I/O Response Capsule Size (IORCSZ)", "iorcsz_bytes",
		  (uint64_t)c->iorcsz * 16);
	out_bytes(o, "In-capsule Data Offset (ICDOFF)", "icdoff_bytes", (uint64_t)c->icdoff * 16);
	out_str(o, "Controller Model (FCATT)", "model",
		(c->fcatt & NVTCP_NVME_FCATT_STATIC_MODEL) ? "static" : "dynamic");
	out_u64(o, "Max SGL Data Block Descriptors", "msdbd", c->msdbd);
	out_supp(o, "Disconnect Command (OFCS)", "disconnect",
		 c->ofcs & NVTCP_NVME_OFCS_DISCONNECT);
	out_end(o);
	out_end(o);
}

static const char *
rp_str(uint8_t rp)
{
	static const char *const names[] = {"best", "better", "good", "degraded"};

	return names[rp & 3];
}

static void
print_lbafs(struct out *o, const struct nvtcp_nvme_ns_data *d)
{
	uint8_t in_use = nvtcp_nvme_flbas_index(d->flbas);
	/* NLBAF is 0's based; the array holds 64 formats whatever the controller claims. */
	unsigned int count = (unsigned int)d->nlbaf + 1 > 64 ? 64 : (unsigned int)d->nlbaf + 1;
	char title[64], buf[160];

	out_array(o, "LBA Formats", "lba_formats");
	for (unsigned int i = 0; i < count; i++) {
		uint32_t f = d->lbaf[i];
		uint8_t lbads = nvtcp_nvme_lbaf_lbads(f);

		if (o->json) {
			out_section(o, "", "");
			out_u64(o, "", "index", i);
			if (lbads >= 9 && lbads <= 31) {
				out_u64(o, "", "data_size", 1u << lbads);
			} else {
				out_none(o, "", "data_size", "");
			}
			out_u64(o, "", "lbads", lbads);
			out_u64(o, "", "metadata_size", nvtcp_nvme_lbaf_ms(f));
			out_str(o, "", "relative_performance", rp_str(nvtcp_nvme_lbaf_rp(f)));
			out_bool(o, "", "in_use", i == in_use);
			out_end(o);
			continue;
		}
		snprintf(title, sizeof(title), "LBA Format #%02u", i);
		if (lbads >= 9 && lbads <= 31) {
			snprintf(buf, sizeof(buf), "data %u bytes, metadata %u bytes, %s performance%s",
				 1u << lbads, nvtcp_nvme_lbaf_ms(f), rp_str(nvtcp_nvme_lbaf_rp(f)),
				 i == in_use ? "  <== in use" : "");
		} else {
			snprintf(buf, sizeof(buf), "invalid LBADS %u%s", lbads,
				 i == in_use ? "  <== in use" : "");
		}
		out_str(o, title, "", buf);
	}
	if (in_use >= count && !o->json) {
		snprintf(buf, sizeof(buf), "FLBAS selects format %u, beyond NLBAF", in_use);
		out_str(o, "Warning", "", buf);
	}
	out_end(o);
}

static void
print_descs(struct out *o, const struct id_ns *ns)
{
	char buf[64];
	size_t off = 0;

	if (!ns->descs_ok) {
		out_none(o, "Identification Descriptors", "descriptors", ns->descs_err);
		return;
	}
	out_array(o, "Identification Descriptors", "descriptors");
	while (off + sizeof(struct nvtcp_nvme_ns_id_desc) <= sizeof(ns->descs)) {
		const struct nvtcp_nvme_ns_id_desc *h = (const void *)(ns->descs + off);
		const uint8_t *v = ns->descs + off + sizeof(*h);
		const char *type = NULL, *key = NULL;
		size_t want = 0;

		if (h->nidt == 0) {
			break;
		}
		if (off + sizeof(*h) + h->nidl > sizeof(ns->descs)) {
			out_str(o, "Malformed", "malformed", "descriptor runs past the 4096-byte list");
			break;
		}
		switch (h->nidt) {
		case NVTCP_NVME_NIDT_EUI64:
			type = "EUI64";
			key = "eui64";
			want = NVTCP_NVME_NIDT_EUI64_LEN;
			break;
		case NVTCP_NVME_NIDT_NGUID:
			type = "NGUID";
			key = "nguid";
			want = NVTCP_NVME_NIDT_NGUID_LEN;
			break;
		case NVTCP_NVME_NIDT_UUID:
			type = "UUID";
			key = "uuid";
			want = NVTCP_NVME_NIDT_UUID_LEN;
			break;
		case NVTCP_NVME_NIDT_CSI:
			type = "Command Set Identifier";
			key = "csi";
			want = NVTCP_NVME_NIDT_CSI_LEN;
			break;
		default:
			break;
		}
		if (o->json) {
			out_section(o, "", "");
			out_u64(o, "", "nidt", h->nidt);
			out_u64(o, "", "nidl", h->nidl);
		}
		if (type == NULL || h->nidl != want) {
			char label[48];

			snprintf(label, sizeof(label), "Descriptor type %u", h->nidt);
			snprintf(buf, sizeof(buf), "%s, %u bytes%s", type ? type : "unknown type",
				 h->nidl, type ? " (invalid length)" : "");
			out_str(o, label, "note", buf);
		} else if (h->nidt == NVTCP_NVME_NIDT_UUID) {
			uuid_string(v, buf);
			out_str(o, type, key, buf);
		} else if (h->nidt == NVTCP_NVME_NIDT_CSI) {
			snprintf(buf, sizeof(buf), "%u (%s)", v[0],
				 v[0] == NVTCP_NVME_CSI_NVM ? "NVM" :
				 v[0] == NVTCP_NVME_CSI_ZNS ? "zoned" :
				 v[0] == NVTCP_NVME_CSI_KV ? "key value" : "other");
			if (o->json) {
				out_u64(o, type, key, v[0]);
			} else {
				out_str(o, type, key, buf);
			}
		} else {
			hex_string(v, want, buf);
			out_str(o, type, key, buf);
		}
		if (o->json) {
			out_end(o);
		}
		off += sizeof(*h) + h->nidl;
	}
	out_end(o);
}

static void
print_count(struct out *o, const char *label, const char *key, uint64_t blocks,
	    uint32_t block_size)
{
	char human[32], buf[96];

	if (o->json) {
		out_u64(o, label, key, blocks);
		return;
	}
	if (block_size == 0) {
		snprintf(buf, sizeof(buf), "%" PRIu64 " blocks", blocks);
	} else {
		out_fmt_size(blocks * block_size, human, sizeof(human));
		snprintf(buf, sizeof(buf), "%" PRIu64 " blocks (%s)", blocks, human);
	}
	out_str(o, label, key, buf);
}

static void
print_ns(struct out *o, const struct id_report *r, const struct id_ns *ns)
{
	const struct nvtcp_nvme_ns_data *d = &ns->data;
	char title[64], buf[64];
	uint32_t bs;

	snprintf(title, sizeof(title), "Namespace %u", ns->nsid);
	out_section(o, title, "");
	out_u64(o, "Namespace ID", "nsid", ns->nsid);
	if (!ns->data_ok) {
		out_str(o, "Identify Namespace", "error", ns->data_err);
		out_end(o);
		return;
	}
	bs = nvtcp_nvme_ns_block_size(d);
	if (bs == 0) {
		out_str(o, "Block Size", "block_size_error", "invalid formatted LBA format");
	} else {
		out_u64(o, "Block Size (bytes)", "block_size", bs);
	}
	print_count(o, "Size (NSZE)", "nsze", d->nsze, bs);
	print_count(o, "Capacity (NCAP)", "ncap", d->ncap, bs);
	print_count(o, "Utilization (NUSE)", "nuse", d->nuse, bs);
	if (o->json && bs != 0) {
		out_u64(o, "", "size_bytes", d->nsze * bs);
	}
	out_supp(o, "Thin Provisioning", "thin_provisioning",
		 d->nsfeat & NVTCP_NVME_NSFEAT_THIN_PROVISIONING);
	out_supp(o, "Deallocated Block Error", "deallocated_error",
		 d->nsfeat & NVTCP_NVME_NSFEAT_DEALLOCATED_ERROR);
	out_bool(o, "Shared (multi-path)", "shared", d->nmic & NVTCP_NVME_NMIC_SHARED);
	out_bool(o, "Write Protected", "write_protected",
		 d->nsattr & NVTCP_NVME_NSATTR_WRITE_PROTECTED);
	out_u64(o, "Metadata per Block (bytes)", "metadata_size",
		nvtcp_nvme_flbas_index(d->flbas) < 64 ?
		nvtcp_nvme_lbaf_ms(d->lbaf[nvtcp_nvme_flbas_index(d->flbas)]) : 0);
	out_bool(o, "Extended LBA (metadata inline)", "extended_lba",
		 d->flbas & NVTCP_NVME_FLBAS_EXTENDED_METADATA);
	if (d->noiob != 0) {
		out_u64(o, "Optimal I/O Boundary (blocks)", "noiob", d->noiob);
	}
	if (d->anagrpid != 0) {
		out_u64(o, "ANA Group ID", "anagrpid", d->anagrpid);
	}
	if (all_zero(d->nguid, sizeof(d->nguid))) {
		out_none(o, "NGUID", "nguid", "not reported");
	} else {
		hex_string(d->nguid, sizeof(d->nguid), buf);
		out_str(o, "NGUID", "nguid", buf);
	}
	if (all_zero(d->eui64, sizeof(d->eui64))) {
		out_none(o, "EUI64", "eui64", "not reported");
	} else {
		hex_string(d->eui64, sizeof(d->eui64), buf);
		out_str(o, "EUI64", "eui64", buf);
	}
	print_lbafs(o, d);
	print_descs(o, ns);
	if (r->raw) {
		out_raw(o, "Raw Identify Namespace data", "raw_identify", d, sizeof(*d));
		if (ns->descs_ok) {
			out_raw(o, "Raw Namespace Identification Descriptors", "raw_descriptors",
				ns->descs, sizeof(ns->descs));
		}
	}
	out_end(o);
}

void
id_print(struct out *o, const struct id_report *r)
{
	char title[512];

	if (!o->json) {
		snprintf(title, sizeof(title), "NVMe over Fabrics controller at %s", r->trid);
		out_section(o, title, "");
	}
	out_str(o, "Transport ID", "transport_id", r->trid);
	out_str(o, "Host NQN", "hostnqn", r->hostnqn);
	out_u64(o, "Controller ID (from Connect)", "connect_cntlid", r->cntlid);
	out_bool(o, "Discovery Controller", "discovery", r->discovery);
	out_bool(o, "Header Digest", "hdgst", r->hdgst);
	out_bool(o, "Data Digest", "ddgst", r->ddgst);
	out_bool(o, "TLS", "tls", r->tls_cipher != NULL);
	if (r->tls_cipher != NULL) {
		out_str(o, "TLS Cipher Suite", "tls_cipher", r->tls_cipher);
	}
	out_bool(o, "In-band Authentication (DH-HMAC-CHAP)", "authenticated", r->authenticated);
	if (r->authenticated) {
		const char *h = nvtcp_auth_hash_name(r->auth.hash_id);
		const char *g = nvtcp_auth_dhgroup_name(r->auth.dhgroup_id);

		out_str(o, "Authentication Hash", "auth_hash", h != NULL ? h : "unknown");
		out_str(o, "Authentication DH Group", "auth_dhgroup", g != NULL ? g : "unknown");
		out_bool(o, "Authentication Bidirectional", "auth_bidirectional",
			 r->auth.bidirectional);
	}
	out_bytes(o, "Max Transfer per Command (host)", "max_xfer_bytes", r->max_xfer);
	if (!r->discovery) {
		out_u64(o, "I/O Queues Granted", "num_io_queues", r->num_io_queues);
	}
	if (!o->json) {
		out_end(o);
	}
	print_cap(o, r->cap, r->vs);
	print_ctrlr(o, r);
	if (r->raw) {
		out_raw(o, "Raw Identify Controller data", "raw_identify_controller", &r->cdata,
			sizeof(r->cdata));
	}
	if (r->discovery) {
		return;
	}
	if (r->ns_list_err[0] != '\0') {
		out_none(o, "Active Namespaces", "namespaces", r->ns_list_err);
		return;
	}
	out_array(o, "Active Namespaces", "namespaces");
	if (r->num_ns == 0 && !o->json) {
		out_str(o, "Namespaces", "", "none");
	}
	for (uint32_t i = 0; i < r->num_ns; i++) {
		print_ns(o, r, &r->ns[i]);
	}
	out_end(o);
}
