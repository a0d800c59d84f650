/*
 * Discovery: reading a discovery controller's log consistently (Get Log Page 0x70: header,
 * entries, header again; start over when GENCTR changed) and nvtcp_discover(), which follows
 * referrals breadth first, each address once, up to a depth. Synchronous: for tools and set-up
 * code (the admin queue is polled here, with the command timeout as the bound).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"

#define DISC_HDR_LEN sizeof(struct nvtcp_nvmf_disc_log_hdr)
#define DISC_ENTRY_LEN sizeof(struct nvtcp_nvmf_disc_log_entry)

/* Read [offset, offset + len) of the discovery log and wait for it. */
static int
read_log_sync(struct nvtcp_ctrlr *c, void *buf, uint32_t len, uint64_t offset)
{
	struct nvme_wait w;
	uint64_t deadline;
	int rc;

	memset(&w, 0, sizeof(w));
	rc = nvme_get_log_page(c, NVTCP_NVME_LOG_DISCOVERY, false, 0, buf, len, offset, true,
			       nvme_wait_cb, &w);
	if (rc != 0) {
		return rc;
	}
	deadline = nvme_ticks() + nvme_ctrlr_cmd_timeout_ticks(c);
	while (!w.done) {
		int32_t n = nvtcp_ctrlr_process_admin_completions(c);

		if (n < 0 && !w.done) {
			return n; /* failed: every command was completed, this one too */
		}
		if (n == 0) {
			nvme_sync_pause();
		}
		if (!w.done && nvme_ticks() > deadline) {
			/* The command still references w on this stack: failing the controller
			 * completes it (with an error) before we return. */
			nvme_ctrlr_fail(c, -ETIMEDOUT, "Get Log Page (discovery) timed out");
			if (!w.done) {
				return -ETIMEDOUT;
			}
			break;
		}
	}
	if (nvtcp_nvme_cpl_is_error(&w.cpl)) {
		NVTCP_ERRLOG("controller %s:%s: Get Log Page 0x70 (offset %llu, %u bytes): %s\n",
			     c->trid.traddr, c->trid.trsvcid, (unsigned long long)offset, len,
			     nvtcp_nvme_status_str(w.cpl.status));
		return nvme_ticks() > deadline ? -ETIMEDOUT : -EIO;
	}
	return 0;
}

int
nvtcp_ctrlr_get_discovery_log(struct nvtcp_ctrlr *c, uint32_t max_entries, uint32_t max_restarts,
			      struct nvtcp_discovery_entry **entries, size_t *count)
{
	return nvtcp_ctrlr_get_discovery_log_ext(c, max_entries, max_restarts, entries, count,
						 NULL);
}

int
nvtcp_ctrlr_get_discovery_log_ext(struct nvtcp_ctrlr *c, uint32_t max_entries,
				  uint32_t max_restarts, struct nvtcp_discovery_entry **entries,
				  size_t *count, uint64_t *genctr_out)
{
	struct nvtcp_nvmf_disc_log_hdr *hdr = NULL;
	uint8_t *raw = NULL;
	uint64_t numrec, genctr, numrec2, genctr2;
	uint32_t attempt;
	int rc;

	if (c == NULL || entries == NULL || count == NULL) {
		return -EINVAL;
	}
	*entries = NULL;
	*count = 0;
	if (genctr_out != NULL) {
		*genctr_out = 0;
	}
	if (!c->discovery || nvtcp_ctrlr_get_state(c) != NVTCP_CTRLR_STATE_LIVE) {
		return -ENXIO;
	}
	/* Whatever the caller allows, a controller's NUMREC never makes us allocate more than
	 * NVME_DISC_MAX_ENTRIES records. */
	max_entries = NVTCP_MIN(max_entries, NVME_DISC_MAX_ENTRIES);
	hdr = malloc(DISC_HDR_LEN);
	if (hdr == NULL) {
		return -ENOMEM;
	}
	for (attempt = 0; attempt <= max_restarts; attempt++) {
		struct nvtcp_discovery_entry *out;
		size_t n = 0;

		rc = read_log_sync(c, hdr, DISC_HDR_LEN, 0);
		if (rc == 0) {
			rc = nvtcp_discovery_log_hdr_parse(hdr, max_entries, &numrec, &genctr);
		}
		if (rc != 0) {
			goto out;
		}
		if (numrec * DISC_ENTRY_LEN > UINT32_MAX - DISC_HDR_LEN) {
			rc = -E2BIG;
			goto out;
		}
		if (numrec > 0) {
			uint8_t *p = realloc(raw, numrec * DISC_ENTRY_LEN);

			if (p == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			raw = p;
			/* Split by the transfer limit by the driver (LPOL/LPOU advance). */
			rc = read_log_sync(c, raw, (uint32_t)(numrec * DISC_ENTRY_LEN), DISC_HDR_LEN);
			if (rc != 0) {
				goto out;
			}
		}
		rc = read_log_sync(c, hdr, DISC_HDR_LEN, 0);
		if (rc == 0) {
			rc = nvtcp_discovery_log_hdr_parse(hdr, max_entries, &numrec2, &genctr2);
		}
		if (rc != 0) {
			goto out;
		}
		if (genctr2 != genctr || numrec2 != numrec) {
			NVTCP_INFOLOG("discovery log of %s:%s changed while read (generation %llu -> "
				      "%llu): reading again\n", c->trid.traddr, c->trid.trsvcid,
				      (unsigned long long)genctr, (unsigned long long)genctr2);
			continue;
		}
		out = calloc(numrec > 0 ? numrec : 1, sizeof(*out));
		if (out == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (uint64_t i = 0; i < numrec; i++) {
			const void *e = raw + i * DISC_ENTRY_LEN;

			if (nvtcp_discovery_entry_parse(e, &out[n]) != 0) {
				NVTCP_WARNLOG("discovery log of %s:%s: entry %llu skipped\n",
					      c->trid.traddr, c->trid.trsvcid,
					      (unsigned long long)i);
				continue;
			}
			n++;
		}
		*entries = out;
		*count = n;
		if (genctr_out != NULL) {
			*genctr_out = genctr;
		}
		rc = 0;
		goto out;
	}
	NVTCP_ERRLOG("discovery log of %s:%s kept changing: gave up after %u restarts\n",
		     c->trid.traddr, c->trid.trsvcid, max_restarts);
	rc = -EAGAIN;
out:
	free(hdr);
	free(raw);
	return rc;
}

struct disc_target {
	struct nvtcp_trid trid;
	uint32_t depth;
};

static bool
disc_visited(const struct disc_target *list, size_t n, const struct nvtcp_trid *t)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].trid.traddr, t->traddr) == 0 &&
		    strcmp(list[i].trid.trsvcid, t->trsvcid) == 0) {
			return true;
		}
	}
	return false;
}

static int
append(void **arr, size_t *n, size_t *cap, size_t elt, const void *v)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void *p = realloc(*arr, ncap * elt);

		if (p == NULL) {
			return -ENOMEM;
		}
		*arr = p;
		*cap = ncap;
	}
	memcpy((uint8_t *)*arr + *n * elt, v, elt);
	(*n)++;
	return 0;
}

int
nvtcp_discover(const struct nvtcp_trid *trid, const struct nvtcp_discover_opts *opts,
	       struct nvtcp_discovery_entry **entries, size_t *count)
{
	struct nvtcp_discover_opts o;
	struct disc_target *queue = NULL, first;
	struct nvtcp_discovery_entry *res = NULL;
	size_t nqueue = 0, capqueue = 0, nres = 0, capres = 0;
	int rc = 0;

	if (trid == NULL || entries == NULL || count == NULL) {
		return -EINVAL;
	}
	*entries = NULL;
	*count = 0;
	if (opts != NULL) {
		o = *opts;
	} else {
		nvtcp_discover_opts_init(&o);
	}
	memset(&first, 0, sizeof(first));
	first.trid = *trid;
	if (first.trid.subnqn[0] == '\0') {
		snprintf(first.trid.subnqn, sizeof(first.trid.subnqn), "%s", NVTCP_DISCOVERY_NQN);
	}
	if (first.trid.trsvcid[0] == '\0') {
		snprintf(first.trid.trsvcid, sizeof(first.trid.trsvcid), "%s", NVTCP_DISCOVERY_PORT);
	}
	rc = append((void **)&queue, &nqueue, &capqueue, sizeof(*queue), &first);
	/* queue[] keeps every address ever queued, so that each is visited once. */
	for (size_t next = 0; rc == 0 && next < nqueue; next++) {
		struct disc_target cur = queue[next];
		struct nvtcp_discovery_entry *ents = NULL;
		struct nvtcp_ctrlr *c;
		size_t n = 0;
		int r;

		c = nvtcp_ctrlr_attach(&cur.trid, &o.ctrlr, &r);
		if (c != NULL) {
			r = nvtcp_ctrlr_get_discovery_log(c, o.max_entries, o.max_restarts, &ents, &n);
			(void)nvtcp_ctrlr_detach(c);
		}
		if (r != 0) {
			if (next == 0) {
				rc = r;
				break;
			}
			NVTCP_WARNLOG("discovery referral %s:%s skipped: %s\n", cur.trid.traddr,
				      cur.trid.trsvcid, strerror(-r));
			continue;
		}
		for (size_t i = 0; i < n && rc == 0; i++) {
			if (ents[i].subtype == NVTCP_NVMF_SUBTYPE_DISCOVERY_REFERRAL) {
				struct disc_target t;

				if (!o.follow_referrals || cur.depth + 1 > o.max_referral_depth) {
					continue;
				}
				memset(&t, 0, sizeof(t));
				nvtcp_discovery_entry_to_trid(&ents[i], NULL, NULL, &t.trid);
				if (t.trid.subnqn[0] == '\0') {
					snprintf(t.trid.subnqn, sizeof(t.trid.subnqn), "%s",
						 NVTCP_DISCOVERY_NQN);
				}
				memcpy(t.trid.hostnqn, trid->hostnqn, sizeof(t.trid.hostnqn));
				t.depth = cur.depth + 1;
				if (!disc_visited(queue, nqueue, &t.trid)) {
					rc = append((void **)&queue, &nqueue, &capqueue, sizeof(*queue), &t);
				}
				continue;
			}
			rc = append((void **)&res, &nres, &capres, sizeof(*res), &ents[i]);
		}
		free(ents);
	}
	free(queue);
	if (rc != 0) {
		free(res);
		return rc;
	}
	*entries = res;
	*count = nres;
	return 0;
}
