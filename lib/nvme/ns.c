/*
 * Namespaces: the scan (enum nvme_scan_state), driven by admin completions: Identify active
 * namespace list (CNS 02h, page by page when there are more than 1024), then Identify
 * Namespace (CNS 00h) and the Namespace Identification Descriptors (CNS 03h) of each.
 *
 * A struct nvtcp_ns, once created, lives until detach: I/O threads hold pointers to it. A
 * rescan updates it in place (fields read on the I/O path are relaxed atomics) and marks
 * namespaces that went away inactive, so that I/O to them is refused instead of touching freed
 * memory.
 *
 * Every scan after the first compares what it finds with what the namespace was:
 * - identifiers (NGUID, EUI64, UUID) or LBA format changed: another namespace now has this ID,
 *   so the old one is "changed": inactive for good (I/O fails with Namespace Not Ready);
 * - size changed: a rescan after a Namespace Attribute Changed event applies it (an announced
 *   resize); the scan of a reconnect treats it as changed (nothing announced it, and the
 *   namespace may not hold the data the application wrote);
 * - not found: inactive (Invalid Namespace), active again if it comes back unchanged.
 * The application hears of each (nvtcp_ctrlr_register_ns_event_callback()) at the end of the
 * scan, on the admin thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"

#define NS_LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)
#define NS_STORE(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)

static void scan_finish(struct nvtcp_ctrlr *c, int rc);
static void scan_next_ns(struct nvtcp_ctrlr *c);

/* Index of the first namespace with id >= \p nsid. */
static uint32_t
ns_lower_bound(const struct nvtcp_ctrlr *c, uint32_t nsid)
{
	uint32_t lo = 0, hi = c->num_ns;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->ns[mid]->id < nsid) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static struct nvtcp_ns *
ns_find(const struct nvtcp_ctrlr *c, uint32_t nsid)
{
	uint32_t i = ns_lower_bound(c, nsid);

	return i < c->num_ns && c->ns[i]->id == nsid ? c->ns[i] : NULL;
}

static struct nvtcp_ns *
ns_get_or_create(struct nvtcp_ctrlr *c, uint32_t nsid)
{
	struct nvtcp_ns **arr, *ns = ns_find(c, nsid);
	uint32_t i;

	if (ns != NULL) {
		return ns;
	}
	if (c->num_ns >= NVME_MAX_NS_OBJECTS) {
		return NULL; /* the caller skips it: a bound, not an out-of-memory */
	}
	ns = calloc(1, sizeof(*ns));
	arr = realloc(c->ns, sizeof(*arr) * (c->num_ns + 1));
	if (ns == NULL || arr == NULL) {
		free(ns);
		if (arr != NULL) {
			c->ns = arr;
		}
		return NULL;
	}
	c->ns = arr;
	i = ns_lower_bound(c, nsid);
	memmove(&c->ns[i + 1], &c->ns[i], sizeof(*arr) * (c->num_ns - i));
	ns->ctrlr = c;
	ns->id = nsid;
	c->ns[i] = ns;
	c->num_ns++;
	return ns;
}

void
nvme_ns_free_all(struct nvtcp_ctrlr *c)
{
	for (uint32_t i = 0; i < c->num_ns; i++) {
		free(c->ns[i]);
	}
	free(c->ns);
	c->ns = NULL;
	c->num_ns = 0;
	c->num_active = 0;
}

static bool
scan_alive(struct nvtcp_ctrlr *c)
{
	return c->detach_state == NVME_DETACH_NONE &&
	       atomic_load(&c->state) != NVTCP_CTRLR_STATE_FAILED &&
	       c->adminq->state == NVME_QPAIR_CONNECTED;
}

static void
scan_touch(struct nvtcp_ctrlr *c)
{
	/* Bring-up bounds the scan by the time since its last command. */
	c->init_deadline = nvme_ticks() + nvme_ctrlr_cmd_timeout_ticks(c);
}

static int
scan_identify(struct nvtcp_ctrlr *c, uint8_t cns, uint32_t nsid, nvtcp_cmd_cb cb)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.nsid = nsid;
	cmd.cdw10 = NVTCP_NVME_IDENTIFY_CDW10(cns, 0);
	scan_touch(c);
	return nvme_admin_submit(c, &cmd, c->scan_buf, NVTCP_NVME_IDENTIFY_DATA_SIZE, cb, c);
}

static bool
scan_add_id(struct nvtcp_ctrlr *c, uint32_t nsid)
{
	if (c->scan_count == NVME_MAX_NAMESPACES) {
		NVTCP_WARNLOG("controller %s:%s: more than %u active namespaces; the rest are "
			      "ignored\n", c->trid.traddr, c->trid.trsvcid, NVME_MAX_NAMESPACES);
		return false;
	}
	c->scan_ids[c->scan_count++] = nsid;
	return true;
}

/* Controllers before NVMe 1.1 have no active list: every ID up to NN is a candidate. */
static void
scan_all_ids(struct nvtcp_ctrlr *c)
{
	uint32_t nn = c->cdata->nn;

	for (uint32_t id = 1; id <= nn && scan_add_id(c, id); id++) {
	}
	c->scan_state = NVME_SCAN_IDENTIFY_NS;
	c->scan_idx = 0;
	scan_next_ns(c);
}

static void scan_list_cb(void *cb_arg, const struct nvtcp_nvme_cpl *cpl);

static void
scan_list_page(struct nvtcp_ctrlr *c, uint32_t start)
{
	int rc = scan_identify(c, NVTCP_NVME_IDENTIFY_ACTIVE_NS_LIST, start, scan_list_cb);

	if (rc != 0) {
		scan_finish(c, rc);
	}
}

static void
scan_list_cb(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_ctrlr *c = cb_arg;
	const uint32_t *ids = (const uint32_t *)c->scan_buf;
	uint32_t nn = c->cdata->nn, last = c->scan_count ? c->scan_ids[c->scan_count - 1] : 0;
	uint32_t i;

	if (!scan_alive(c)) {
		scan_finish(c, -ENXIO);
		return;
	}
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		if (c->scan_pages == 0 && nvtcp_nvme_status_sct(cpl->status) == NVTCP_NVME_SCT_GENERIC &&
		    nvtcp_nvme_status_sc(cpl->status) == NVTCP_NVME_SC_INVALID_FIELD) {
			/* CNS 02h not supported after all. */
			scan_all_ids(c);
			return;
		}
		NVTCP_ERRLOG("controller %s:%s: Identify active namespace list failed: %s\n",
			     c->trid.traddr, c->trid.trsvcid, nvtcp_nvme_status_str(cpl->status));
		scan_finish(c, -EIO);
		return;
	}
	c->scan_pages++;
	for (i = 0; i < NVTCP_NVME_IDENTIFY_NS_LIST_MAX; i++) {
		uint32_t id = ids[i];

		if (id == 0) {
			break;
		}
		/* The list is in increasing order and within NN; a controller that says
		 * otherwise gets the valid prefix. */
		if (id <= last || (nn != 0 && id > nn) || id == NVTCP_NVME_NSID_ALL) {
			NVTCP_WARNLOG("controller %s:%s: active namespace list: NSID %u after %u "
				      "(NN %u) is out of order or range; list cut here\n",
				      c->trid.traddr, c->trid.trsvcid, id, last, nn);
			i = 0; /* no further page */
			break;
		}
		if (!scan_add_id(c, id)) {
			i = 0;
			break;
		}
		last = id;
	}
	/* A full page may be followed by another: ask for the IDs after the last one, at most
	 * as many pages as NN can fill. */
	if (i == NVTCP_NVME_IDENTIFY_NS_LIST_MAX && (nn == 0 || last < nn) &&
	    c->scan_pages <= nn / NVTCP_NVME_IDENTIFY_NS_LIST_MAX) {
		scan_list_page(c, last);
		return;
	}
	c->scan_state = NVME_SCAN_IDENTIFY_NS;
	c->scan_idx = 0;
	scan_next_ns(c);
}

static void
ns_apply_data(struct nvtcp_ns *ns, const struct nvtcp_nvme_ns_data *d)
{
	struct nvtcp_ctrlr *c = ns->ctrlr;
	uint32_t bs = nvtcp_nvme_ns_block_size(d);
	uint8_t idx = nvtcp_nvme_flbas_index(d->flbas);
	uint32_t ms = idx < 64 ? nvtcp_nvme_lbaf_ms(d->lbaf[idx]) : 0;
	bool extended = d->flbas & NVTCP_NVME_FLBAS_EXTENDED_METADATA;
	uint32_t xb = bs + (extended ? ms : 0);
	bool usable = bs != 0 && d->nsze != 0 && xb <= c->max_xfer;

	memcpy(&ns->data, d, sizeof(ns->data));
	NS_STORE(ns->sector_size, bs);
	NS_STORE(ns->md_size, ms);
	NS_STORE(ns->xfer_block, usable ? xb : 0);
	NS_STORE(ns->num_sectors, d->nsze);
	NS_STORE(ns->max_io_xfer, usable ? c->max_xfer / xb * xb : 0);
	if (!usable) {
		NVTCP_WARNLOG("controller %s:%s: namespace %u is not usable (size %llu blocks, "
			      "block size %u, FLBAS 0x%02x)\n", c->trid.traddr, c->trid.trsvcid, ns->id,
			      (unsigned long long)d->nsze, bs, d->flbas);
	}
	ns->identified = d->nsze != 0;
	if (!usable || ns->changed) {
		NS_STORE(ns->fail_status, ns->changed ? NVME_STATUS_NS_NOT_READY :
			 NVME_STATUS_INVALID_NS);
	}
	/* A namespace that changed stays inactive: its ID now names something else. */
	NS_STORE(ns->active, usable && !ns->changed);
}

static void
ns_mark_changed(struct nvtcp_ns *ns, const char *what)
{
	struct nvtcp_ctrlr *c = ns->ctrlr;

	NVTCP_ERRLOG("controller " NVME_CTRLR_FMT ": namespace %u changed %s: %s; it stays "
		     "inactive (I/O to it fails) until the controller is attached again\n",
		     NVME_CTRLR_ARGS(c), ns->id, c->reiniting ? "across the reconnect" :
		     "in a rescan", what);
	ns->changed = true;
	NS_STORE(ns->fail_status, NVME_STATUS_NS_NOT_READY);
	NS_STORE(ns->active, false);
}

/*
 * Compare a new Identify Namespace with what \p ns was. Returns false and a description when
 * it is another namespace (or the same one reformatted, or resized without notice).
 */
static bool
ns_same(const struct nvtcp_ns *ns, const struct nvtcp_nvme_ns_data *d, char *what, size_t len)
{
	const struct nvtcp_nvme_ns_data *o = &ns->data;
	uint8_t oi = nvtcp_nvme_flbas_index(o->flbas), ni = nvtcp_nvme_flbas_index(d->flbas);
	uint32_t oms = oi < 64 ? nvtcp_nvme_lbaf_ms(o->lbaf[oi]) : 0;
	uint32_t nms = ni < 64 ? nvtcp_nvme_lbaf_ms(d->lbaf[ni]) : 0;

	if (memcmp(o->nguid, d->nguid, sizeof(d->nguid)) != 0 ||
	    memcmp(o->eui64, d->eui64, sizeof(d->eui64)) != 0) {
		snprintf(what, len, "identifiers changed (NGUID/EUI64)");
		return false;
	}
	if (nvtcp_nvme_ns_block_size(o) != nvtcp_nvme_ns_block_size(d) || oms != nms ||
	    (o->flbas & NVTCP_NVME_FLBAS_EXTENDED_METADATA) !=
	    (d->flbas & NVTCP_NVME_FLBAS_EXTENDED_METADATA)) {
		snprintf(what, len, "LBA format changed (block size %u -> %u, metadata %u -> %u)",
			 nvtcp_nvme_ns_block_size(o), nvtcp_nvme_ns_block_size(d), oms, nms);
		return false;
	}
	if (o->nsze != d->nsze && ns->ctrlr->reiniting) {
		snprintf(what, len, "size changed from %llu to %llu blocks",
			 (unsigned long long)o->nsze, (unsigned long long)d->nsze);
		return false;
	}
	return true;
}

static void scan_ns_cb(void *cb_arg, const struct nvtcp_nvme_cpl *cpl);
static void scan_desc_cb(void *cb_arg, const struct nvtcp_nvme_cpl *cpl);

static void
scan_next_ns(struct nvtcp_ctrlr *c)
{
	int rc;

	if (c->scan_idx >= c->scan_count) {
		scan_finish(c, 0);
		return;
	}
	c->scan_state = NVME_SCAN_IDENTIFY_NS;
	rc = scan_identify(c, NVTCP_NVME_IDENTIFY_NS, c->scan_ids[c->scan_idx], scan_ns_cb);
	if (rc != 0) {
		scan_finish(c, rc);
	}
}

static void
scan_ns_cb(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_ctrlr *c = cb_arg;
	uint32_t nsid = c->scan_ids[c->scan_idx];
	struct nvtcp_ns *ns;
	int rc;

	if (!scan_alive(c)) {
		scan_finish(c, -ENXIO);
		return;
	}
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		NVTCP_WARNLOG("controller %s:%s: Identify Namespace %u failed: %s\n",
			      c->trid.traddr, c->trid.trsvcid, nsid,
			      nvtcp_nvme_status_str(cpl->status));
		if (nvtcp_nvme_status_sct(cpl->status) == NVTCP_NVME_SCT_GENERIC &&
		    nvtcp_nvme_status_sc(cpl->status) == NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT) {
			/* It went away since the list was read: skip it. */
			c->scan_idx++;
			scan_next_ns(c);
			return;
		}
		/* Anything else (a transport error, a data digest error...) says nothing about the
		 * namespace: the scan fails rather than sweep away a namespace that is there. */
		scan_finish(c, -EIO);
		return;
	}
	ns = ns_get_or_create(c, nsid);
	if (ns == NULL) {
		if (c->num_ns >= NVME_MAX_NS_OBJECTS) {
			NVTCP_WARNLOG("controller " NVME_CTRLR_FMT ": namespace %u ignored: %u "
				      "namespace IDs seen already\n", NVME_CTRLR_ARGS(c), nsid,
				      c->num_ns);
			c->scan_idx++;
			scan_next_ns(c);
			return;
		}
		scan_finish(c, -ENOMEM);
		return;
	}
	ns->scan_gen = c->scan_gen;
	if (ns->identified) {
		char what[128];

		if (ns->changed) {
			/* Stays changed; its old data stays what the application knew. */
			c->scan_idx++;
			scan_next_ns(c);
			return;
		}
		if (!ns_same(ns, (const struct nvtcp_nvme_ns_data *)c->scan_buf, what,
			     sizeof(what))) {
			ns_mark_changed(ns, what);
			c->scan_idx++;
			scan_next_ns(c);
			return;
		}
	}
	ns_apply_data(ns, (const struct nvtcp_nvme_ns_data *)c->scan_buf);
	if (c->vs < NVTCP_NVME_VS(1, 3, 0)) {
		c->scan_idx++;
		scan_next_ns(c);
		return;
	}
	c->scan_state = NVME_SCAN_NS_DESC;
	rc = scan_identify(c, NVTCP_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST, nsid, scan_desc_cb);
	if (rc != 0) {
		scan_finish(c, rc);
	}
}

/* The UUID of a descriptor list (false when it has none). */
static bool
ns_parse_desc(const uint8_t *buf, uint8_t uuid[16])
{
	uint32_t off = 0;
	bool found = false;

	while (off + sizeof(struct nvtcp_nvme_ns_id_desc) <= NVTCP_NVME_IDENTIFY_DATA_SIZE) {
		const struct nvtcp_nvme_ns_id_desc *d = (const void *)(buf + off);
		uint32_t end = off + (uint32_t)sizeof(*d) + d->nidl;

		if (d->nidt == 0 || end > NVTCP_NVME_IDENTIFY_DATA_SIZE) {
			break;
		}
		if (d->nidt == NVTCP_NVME_NIDT_UUID && d->nidl == NVTCP_NVME_NIDT_UUID_LEN) {
			memcpy(uuid, buf + off + sizeof(*d), 16);
			found = true;
		}
		off = end;
	}
	return found;
}

static void
scan_desc_cb(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_ctrlr *c = cb_arg;
	struct nvtcp_ns *ns;

	if (!scan_alive(c)) {
		scan_finish(c, -ENXIO);
		return;
	}
	ns = ns_find(c, c->scan_ids[c->scan_idx]);
	if (ns != NULL && !ns->changed && !nvtcp_nvme_cpl_is_error(cpl)) {
		uint8_t uuid[16];
		bool has = ns_parse_desc(c->scan_buf, uuid);

		if (has && ns->has_uuid && memcmp(uuid, ns->uuid, sizeof(uuid)) != 0) {
			ns_mark_changed(ns, "identifiers changed (UUID)");
		} else if (has) {
			memcpy(ns->uuid, uuid, sizeof(uuid));
			ns->has_uuid = true;
		}
	}
	/* Descriptors are optional: an error only means no UUID. */
	c->scan_idx++;
	scan_next_ns(c);
}

/* Tell the application what changed since it was last told (the first attach's scan is not
 * reported: the application enumerates what attach found). */
static void
report_events(struct nvtcp_ctrlr *c)
{
	for (uint32_t i = 0; i < c->num_ns; i++) {
		struct nvtcp_ns *ns = c->ns[i];
		bool act = NS_LOAD(ns->active);
		uint64_t nsze = NS_LOAD(ns->num_sectors);
		int ev = -1;

		if (ns->changed) {
			if (!ns->reported_changed) {
				ev = NVTCP_NS_EVENT_CHANGED;
			}
			ns->reported_changed = true;
		} else if (!c->attached) {
			/* The first attach's scan: the application enumerates it. */
		} else if (ns->reported_active && !act) {
			ev = NVTCP_NS_EVENT_REMOVED;
			NVTCP_WARNLOG("controller " NVME_CTRLR_FMT ": namespace %u is gone: its I/O "
				      "fails\n", NVME_CTRLR_ARGS(c), ns->id);
		} else if (!ns->reported_active && act) {
			ev = NVTCP_NS_EVENT_ADDED;
			NVTCP_NOTICELOG("controller " NVME_CTRLR_FMT ": namespace %u is active "
					"(%llu blocks)\n", NVME_CTRLR_ARGS(c), ns->id,
					(unsigned long long)nsze);
		} else if (act && ns->reported_nsze != nsze) {
			ev = NVTCP_NS_EVENT_RESIZED;
			NVTCP_NOTICELOG("controller " NVME_CTRLR_FMT ": namespace %u resized from %llu "
					"to %llu blocks\n", NVME_CTRLR_ARGS(c), ns->id,
					(unsigned long long)ns->reported_nsze,
					(unsigned long long)nsze);
		}
		ns->reported_active = act;
		ns->reported_nsze = nsze;
		if (ev >= 0 && c->ns_cb != NULL) {
			c->ns_cb(c->ns_cb_arg, c, ns->id, (enum nvtcp_ns_event)ev);
		}
	}
}

static void
scan_finish(struct nvtcp_ctrlr *c, int rc)
{
	void (*done)(struct nvtcp_ctrlr *, int) = c->scan_done;

	if (rc == 0) {
		/* Mark and sweep: what this scan did not find is inactive. */
		uint32_t active = 0;

		for (uint32_t i = 0; i < c->num_ns; i++) {
			struct nvtcp_ns *ns = c->ns[i];

			if (ns->scan_gen != c->scan_gen && NS_LOAD(ns->active)) {
				NS_STORE(ns->fail_status, NVME_STATUS_INVALID_NS);
				NS_STORE(ns->active, false);
			}
			if (NS_LOAD(ns->active)) {
				active++;
			}
		}
		c->num_active = active;
		report_events(c);
	}
	c->scan_state = NVME_SCAN_DONE;
	c->scan_done = NULL;
	if (done != NULL) {
		done(c, rc);
	}
	if (c->scan_pending && scan_alive(c)) {
		c->scan_pending = false;
		nvme_ns_scan_start(c, NULL);
	}
}

void
nvme_ns_scan_start(struct nvtcp_ctrlr *c, void (*done)(struct nvtcp_ctrlr *, int))
{
	if (c->scan_state != NVME_SCAN_IDLE && c->scan_state != NVME_SCAN_DONE) {
		c->scan_pending = true;
		return;
	}
	if (c->scan_ids == NULL) {
		c->scan_ids = calloc(NVME_MAX_NAMESPACES, sizeof(*c->scan_ids));
		if (c->scan_ids == NULL) {
			if (done != NULL) {
				done(c, -ENOMEM);
			}
			return;
		}
	}
	c->scan_done = done;
	c->scan_gen++;
	c->scan_count = 0;
	c->scan_pages = 0;
	c->scan_idx = 0;
	c->scan_state = NVME_SCAN_LIST;
	if (c->vs != 0 && c->vs < NVTCP_NVME_VS(1, 1, 0)) {
		scan_all_ids(c);
		return;
	}
	scan_list_page(c, 0);
}

/* ---- Getters ------------------------------------------------------------------------------ */

uint32_t
nvtcp_ctrlr_get_first_active_ns(const struct nvtcp_ctrlr *c)
{
	return nvtcp_ctrlr_get_next_active_ns(c, 0);
}

uint32_t
nvtcp_ctrlr_get_next_active_ns(const struct nvtcp_ctrlr *c, uint32_t nsid)
{
	if (nsid == UINT32_MAX) {
		return 0;
	}
	for (uint32_t i = ns_lower_bound(c, nsid + 1); i < c->num_ns; i++) {
		if (NS_LOAD(c->ns[i]->active)) {
			return c->ns[i]->id;
		}
	}
	return 0;
}

uint32_t
nvtcp_ctrlr_get_num_active_ns(const struct nvtcp_ctrlr *c)
{
	return c->num_active;
}

struct nvtcp_ns *
nvtcp_ctrlr_get_ns(struct nvtcp_ctrlr *c, uint32_t nsid)
{
	struct nvtcp_ns *ns = ns_find(c, nsid);

	return ns != NULL && NS_LOAD(ns->active) ? ns : NULL;
}

uint32_t
nvtcp_ns_get_id(const struct nvtcp_ns *ns)
{
	return ns->id;
}

const struct nvtcp_nvme_ns_data *
nvtcp_ns_get_data(const struct nvtcp_ns *ns)
{
	return &ns->data;
}

uint64_t
nvtcp_ns_get_num_sectors(const struct nvtcp_ns *ns)
{
	return NS_LOAD(ns->num_sectors);
}

uint32_t
nvtcp_ns_get_sector_size(const struct nvtcp_ns *ns)
{
	return NS_LOAD(ns->sector_size);
}

uint32_t
nvtcp_ns_get_md_size(const struct nvtcp_ns *ns)
{
	return NS_LOAD(ns->md_size);
}

uint64_t
nvtcp_ns_get_size(const struct nvtcp_ns *ns)
{
	return NS_LOAD(ns->num_sectors) * NS_LOAD(ns->sector_size);
}

uint32_t
nvtcp_ns_get_max_io_xfer_size(const struct nvtcp_ns *ns)
{
	return NS_LOAD(ns->max_io_xfer);
}

const uint8_t *
nvtcp_ns_get_uuid(const struct nvtcp_ns *ns)
{
	return ns->has_uuid ? ns->uuid : NULL;
}

const uint8_t *
nvtcp_ns_get_nguid(const struct nvtcp_ns *ns)
{
	return ns->data.nguid;
}

struct nvtcp_ctrlr *
nvtcp_ns_get_ctrlr(const struct nvtcp_ns *ns)
{
	return ns->ctrlr;
}
