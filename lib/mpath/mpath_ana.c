/*
 * ANA for the multipath layer: each path's state from the ANA log page (LID 0Ch), read when
 * the path is added, on an ANA change event, after an ANA status on I/O and after a
 * reconnect; ANATT for paths in change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvtcp/env.h"
#include "nvtcp/log.h"
#include "nvtcp/nvme_data_spec.h"
#include "mpath_internal.h"

/* Largest ANA log read: header, every group, every NSID; beyond it the groups at the end are
 * not seen (logged). */
#define ANA_LOG_MAX (256u * 1024)
/* Bound of the synchronous first read at add time. */
#define ANA_FIRST_READ_S 10

static const char *
traddr(const struct mpath_path *p)
{
	return nvtcp_ctrlr_get_trid(p->ctrlr)->traddr;
}

static const char *
trsvcid(const struct mpath_path *p)
{
	return nvtcp_ctrlr_get_trid(p->ctrlr)->trsvcid;
}

static void
set_state(struct mpath_path *p, uint8_t state, const char *why)
{
	if (p->ana_state == state) {
		return;
	}
	NVTCP_NOTICELOG("multipath %s: path %s:%s ANA group %u: %s -> %s (%s)\n", p->mns->subnqn,
			traddr(p), trsvcid(p), p->anagrpid, nvtcp_mpath_ana_state_str(p->ana_state),
			nvtcp_mpath_ana_state_str(state), why);
	p->ana_state = state;
	mpath_path_refresh(p);
	if (state == NVTCP_MPATH_ANA_CHANGE) {
		p->change_since_ticks = mpath_ticks();
		p->change_expired = false;
	}
}

static bool
valid_state(uint8_t s)
{
	return s == NVTCP_MPATH_ANA_OPTIMIZED || s == NVTCP_MPATH_ANA_NON_OPTIMIZED ||
	       s == NVTCP_MPATH_ANA_INACCESSIBLE || s == NVTCP_MPATH_ANA_PERSISTENT_LOSS ||
	       s == NVTCP_MPATH_ANA_CHANGE;
}

/* Walk the log within the bytes read; every count is checked against them. */
static void
parse_log(struct mpath_path *p)
{
	const uint8_t *b = p->ana_log;
	struct nvtcp_nvme_ana_log_hdr hdr;
	size_t off = sizeof(hdr);
	uint32_t g;

	memcpy(&hdr, b, sizeof(hdr));
	for (g = 0; g < hdr.ngrps; g++) {
		struct nvtcp_nvme_ana_group_desc d;
		uint8_t st;

		if (off + sizeof(d) > p->ana_log_len) {
			NVTCP_WARNLOG("multipath %s: path %s:%s: ANA log has %u groups, only %u fit "
				      "in the %u bytes read\n", p->mns->subnqn, traddr(p), trsvcid(p),
				      hdr.ngrps, g, p->ana_log_len);
			break;
		}
		memcpy(&d, b + off, sizeof(d));
		off += sizeof(d);
		if (d.nnsids > (p->ana_log_len - off) / 4) {
			NVTCP_ERRLOG("multipath %s: path %s:%s: ANA log group %u claims %u NSIDs, "
				     "beyond the %u bytes read\n", p->mns->subnqn, traddr(p),
				     trsvcid(p), d.anagrpid, d.nnsids, p->ana_log_len);
			return;
		}
		off += (size_t)d.nnsids * 4;
		if (d.anagrpid != p->anagrpid) {
			continue;
		}
		st = d.state & 0x0F;
		if (!valid_state(st)) {
			NVTCP_ERRLOG("multipath %s: path %s:%s: ANA log group %u has state 0x%x, "
				     "not a defined one: ignored\n", p->mns->subnqn, traddr(p),
				     trsvcid(p), d.anagrpid, st);
			return;
		}
		set_state(p, st, "ANA log");
		return;
	}
	NVTCP_WARNLOG("multipath %s: path %s:%s: ANA group %u is not in the ANA log: path "
		      "treated as inaccessible\n", p->mns->subnqn, traddr(p), trsvcid(p),
		      p->anagrpid);
	set_state(p, NVTCP_MPATH_ANA_INACCESSIBLE, "group missing from the ANA log");
}

static void
log_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct mpath_path *p = cb_arg;

	p->ana_read_busy = false;
	if (p->mns == NULL) {
		return; /* path removed while the read was on the wire: nothing to update */
	}
	p->mns->st.ana_log_reads++;
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		NVTCP_WARNLOG("multipath %s: path %s:%s: reading the ANA log failed: %s\n",
			      p->mns->subnqn, traddr(p), trsvcid(p),
			      nvtcp_nvme_status_str(cpl->status));
		return;
	}
	parse_log(p);
}

static int
issue_read(struct mpath_path *p)
{
	int rc;

	rc = nvtcp_ctrlr_cmd_get_log_page(p->ctrlr, NVTCP_NVME_LOG_ANA, 0, p->ana_log,
					  p->ana_log_len, 0, log_done, p);
	if (rc == 0) {
		p->ana_read_busy = true;
		p->ana_read_wanted = false;
	}
	return rc;
}

static void
aer_cb(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct mpath_path *p = cb_arg;

	if (p->prev_aer_cb != NULL) {
		p->prev_aer_cb(p->prev_aer_arg, cpl);
	}
	if (p->mns != NULL && p->ana_reporting &&
	    nvtcp_nvme_aer_type(cpl->cdw0) == NVTCP_NVME_AER_TYPE_NOTICE &&
	    nvtcp_nvme_aer_info(cpl->cdw0) == NVTCP_NVME_AER_NOTICE_ANA_CHANGE) {
		p->ana_read_wanted = true;
	}
}

int
mpath_ana_path_init(struct mpath_path *p)
{
	const struct nvtcp_nvme_ctrlr_data *cd = nvtcp_ctrlr_get_data(p->ctrlr);
	uint64_t len, deadline;

	p->ana_reporting = (cd->cmic & NVTCP_NVME_CMIC_ANA) != 0 && p->anagrpid != 0;
	if (!p->ana_reporting) {
		return 0;
	}
	len = sizeof(struct nvtcp_nvme_ana_log_hdr) +
	      (uint64_t)(cd->nanagrpid ? cd->nanagrpid : 1) *
	      sizeof(struct nvtcp_nvme_ana_group_desc) + (uint64_t)cd->nn * 4;
	len = (len + 3) & ~3ull;
	if (len > ANA_LOG_MAX) {
		len = ANA_LOG_MAX;
	}
	p->ana_log = calloc(1, len);
	if (p->ana_log == NULL) {
		return -ENOMEM;
	}
	p->ana_log_len = (uint32_t)len;
	/* ANATT 0 would make "change" expire at once; give it the smallest sensible bound. */
	p->anatt_ticks = (uint64_t)(cd->anatt ? cd->anatt : 1) * mpath_hz();
	nvtcp_ctrlr_get_aer_callback(p->ctrlr, &p->prev_aer_cb, &p->prev_aer_arg);
	nvtcp_ctrlr_register_aer_callback(p->ctrlr, aer_cb, p);
	/* The path's first state is read before any I/O goes to it, so that an inaccessible
	 * path is not tried first. A failed read leaves it "optimized": an ANA status on I/O
	 * corrects that and asks for another read. */
	if (issue_read(p) != 0) {
		p->ana_read_wanted = true;
		return 0;
	}
	deadline = mpath_ticks() + ANA_FIRST_READ_S * mpath_hz();
	while (p->ana_read_busy && mpath_ticks() < deadline) {
		if (nvtcp_ctrlr_process_admin_completions(p->ctrlr) < 0) {
			break;
		}
	}
	return 0;
}

bool
mpath_ana_path_fini(struct mpath_path *p)
{
	nvtcp_cmd_cb cb;
	void *arg;
	bool unlinked = true;

	if (!p->ana_reporting) {
		return true;
	}
	nvtcp_ctrlr_get_aer_callback(p->ctrlr, &cb, &arg);
	if (cb == aer_cb && arg == p) {
		nvtcp_ctrlr_register_aer_callback(p->ctrlr, p->prev_aer_cb, p->prev_aer_arg);
	} else {
		/* Someone chained behind us: keep forwarding (the path object stays, detached
		 * from the namespace) rather than leave them a dangling argument. */
		NVTCP_WARNLOG("multipath: path %s:%s: another AER callback was registered after "
			      "the multipath layer's; it keeps forwarding to it\n", traddr(p),
			      trsvcid(p));
		unlinked = false;
	}
	free(p->ana_log);
	p->ana_log = NULL;
	p->ana_reporting = false;
	return unlinked;
}

void
mpath_ana_note_status(struct mpath_path *p, uint8_t sc)
{
	/* Without an ANA log nothing would ever bring the path back: fail over only. */
	if (!p->ana_reporting) {
		return;
	}
	switch (sc) {
	case NVTCP_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE:
		set_state(p, NVTCP_MPATH_ANA_INACCESSIBLE, "I/O status");
		break;
	case NVTCP_NVME_SC_ASYMMETRIC_ACCESS_PERSISTENT_LOSS:
		set_state(p, NVTCP_MPATH_ANA_PERSISTENT_LOSS, "I/O status");
		break;
	case NVTCP_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION:
		set_state(p, NVTCP_MPATH_ANA_CHANGE, "I/O status");
		break;
	default:
		return;
	}
	p->ana_read_wanted = true;
}

void
mpath_ana_poll(struct nvtcp_mpath_ns *mns)
{
	uint64_t now = mpath_ticks();
	uint32_t i;

	for (i = 0; i < mns->num_paths; i++) {
		struct mpath_path *p = mns->paths[i];
		bool live;

		if (!p->ana_reporting || p->failed) {
			continue;
		}
		live = nvtcp_ctrlr_get_state(p->ctrlr) == NVTCP_CTRLR_STATE_LIVE;
		if (!live) {
			/* The state may change while it reconnects: read it again once back. */
			p->ana_read_wanted = true;
			continue;
		}
		if (p->ana_state == NVTCP_MPATH_ANA_CHANGE && !p->change_expired &&
		    now - p->change_since_ticks > p->anatt_ticks) {
			/* ANATT passed without the transition ending: as Linux, reset the
			 * controller and read the state again once it is back. */
			p->change_expired = true;
			NVTCP_WARNLOG("multipath %s: path %s:%s stayed in ANA change beyond ANATT "
				      "(%llu s): resetting its controller\n", mns->subnqn,
				      traddr(p), trsvcid(p), (unsigned long long)
				      (p->anatt_ticks / mpath_hz()));
			nvtcp_ctrlr_reset(p->ctrlr);
			p->ana_read_wanted = true;
			continue;
		}
		if (p->ana_read_wanted && !p->ana_read_busy) {
			(void)issue_read(p);
		}
	}
}
