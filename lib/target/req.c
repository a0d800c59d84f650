/*
 * Commands: parsing and validating a CapsuleCmd (queue state, flags, opcode, namespace, SGL
 * type and length against the transfer the opcode implies, LBA range), choosing where its data
 * goes (zero-copy into or out of namespace memory, discarded, or pool buffers), and executing
 * NVM I/O commands on the namespace backend. Fabrics and admin commands are dispatched to
 * ctrlr.c and admin.c.
 *
 * Every failure of a single command is a status in its CapsuleResp (the connection stays);
 * only framing violations end a connection (conn.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "target_internal.h"

#define ST(sct, sc, dnr) nvtcp_nvme_status((sct), (sc), (dnr))
#define GEN(sc) ST(NVTCP_NVME_SCT_GENERIC, (sc), true)

static struct tgt_req *
conn_take_req(struct tgt_conn *conn)
{
	struct tgt_req *req;

	if (nvtcp_unlikely(conn->nfree == 0)) {
		return NULL;
	}
	req = conn->free_reqs[--conn->nfree];
	conn->outstanding++;
	return req;
}

static void
req_reset(struct tgt_req *req, const struct nvtcp_nvme_cmd *cmd)
{
	req->cmd = *cmd;
	memset(&req->cpl, 0, sizeof(req->cpl));
	req->state = TGT_REQ_NEW;
	req->data_kind = TGT_DATA_NONE;
	req->xfer = NVTCP_NVME_DATA_NONE;
	req->incapsule = false;
	req->ddgst_error = false;
	req->use_success = false;
	req->resp_queued = false;
	req->close_after = false;
	req->cid_marked = false;
	req->xfer_len = 0;
	req->iovcnt = 0;
	req->nbufs = 0;
	req->cmp_nbufs = 0;
	req->h2c_next = 0;
	req->r2t_sent = 0;
	req->r2t_seq = 0;
	req->r2t_outstanding = 0;
	req->c2h_sent = 0;
	req->sends = 0;
	req->pdu_ctl_busy = false;
	req->pdu_data_busy = false;
	req->ns = NULL;
	req->msg_ctx = NULL;
}

/* Namespace of an I/O command, or NULL. */
static struct tgt_ns *
req_ns(struct tgt_req *req)
{
	struct tgt_subsys *s = req->conn->subsys;

	return s != NULL ? tgt_subsys_ns(s, req->cmd.nsid) : NULL;
}

static bool
lba_range_ok(const struct tgt_ns *ns, uint64_t slba, uint64_t nlb)
{
	return slba < ns->num_blocks && nlb <= ns->num_blocks - slba;
}

/*
 * Expected data length and direction of a command, or a status. Sets req->ns for I/O
 * commands (not yet counted in flight).
 */
static uint16_t
req_expect(struct tgt_req *req, int64_t *exp, uint8_t *xfer, bool *lba_ok)
{
	struct tgt_conn *conn = req->conn;
	const struct nvtcp_nvme_cmd *cmd = &req->cmd;
	uint8_t fctype = nvtcp_nvmf_cmd_fctype(cmd);
	struct tgt_ns *ns;

	*exp = 0;
	*lba_ok = true;
	*xfer = NVTCP_NVME_DATA_NONE;

	if (conn->state != TGT_CONN_LIVE) {
		/* Only Connect on a queue that has no controller yet (Linux answers the same). */
		if (cmd->opc != NVTCP_NVME_OPC_FABRICS || fctype != NVTCP_NVMF_FCTYPE_CONNECT) {
			NVTCP_ERRLOG("%s: opcode 0x%02x fctype 0x%02x before Connect\n", conn->peer,
				     cmd->opc, fctype);
			return GEN(NVTCP_NVME_SC_INVALID_OPCODE);
		}
		if (conn->state == TGT_CONN_CONNECTING) {
			return GEN(NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR);
		}
		*exp = sizeof(struct nvtcp_nvmf_connect_data);
		*xfer = NVTCP_NVME_DATA_HOST_TO_CTRLR;
		return 0;
	}
	if (cmd->opc == NVTCP_NVME_OPC_FABRICS) {
		switch (fctype) {
		case NVTCP_NVMF_FCTYPE_CONNECT:
			return GEN(NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR);
		case NVTCP_NVMF_FCTYPE_PROPERTY_GET:
		case NVTCP_NVMF_FCTYPE_PROPERTY_SET:
			if (conn->qid != 0) {
				return GEN(NVTCP_NVME_SC_INVALID_OPCODE);
			}
			return 0;
		case NVTCP_NVMF_FCTYPE_DISCONNECT:
			return 0;
		default:
			return GEN(NVTCP_NVME_SC_INVALID_OPCODE);
		}
	}
	if (!tgt_ctrlr_ready(conn->ctrlr)) {
		return GEN(NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR);
	}
	if (conn->qid == 0) {
		*exp = tgt_admin_data_len(req);
		if (*exp < 0) {
			return GEN(NVTCP_NVME_SC_INVALID_OPCODE);
		}
		*xfer = *exp > 0 ? nvtcp_nvme_opc_data_xfer(cmd->opc) : NVTCP_NVME_DATA_NONE;
		return 0;
	}

	switch (cmd->opc) {
	case NVTCP_NVME_OPC_READ:
	case NVTCP_NVME_OPC_WRITE:
	case NVTCP_NVME_OPC_COMPARE:
	case NVTCP_NVME_OPC_WRITE_ZEROES:
	case NVTCP_NVME_OPC_FLUSH:
	case NVTCP_NVME_OPC_DATASET_MANAGEMENT:
		break;
	default:
		return GEN(NVTCP_NVME_SC_INVALID_OPCODE);
	}
	ns = req_ns(req);
	if (ns == NULL) {
		return GEN(NVTCP_NVME_SC_INVALID_NAMESPACE_OR_FORMAT);
	}
	{
		uint16_t ana = tgt_ana_io_status(conn->ctrlr, ns);

		if (nvtcp_unlikely(ana != 0)) {
			return ana;
		}
	}
	req->ns = ns;
	switch (cmd->opc) {
	case NVTCP_NVME_OPC_READ:
	case NVTCP_NVME_OPC_WRITE:
	case NVTCP_NVME_OPC_COMPARE:
		*exp = (int64_t)nvtcp_nvme_rw_nlb(cmd) << ns->block_shift;
		*xfer = nvtcp_nvme_opc_data_xfer(cmd->opc);
		*lba_ok = lba_range_ok(ns, nvtcp_nvme_rw_slba(cmd), nvtcp_nvme_rw_nlb(cmd));
		break;
	case NVTCP_NVME_OPC_WRITE_ZEROES:
		*lba_ok = lba_range_ok(ns, nvtcp_nvme_rw_slba(cmd), nvtcp_nvme_rw_nlb(cmd));
		break;
	case NVTCP_NVME_OPC_DATASET_MANAGEMENT:
		*exp = ((int64_t)(cmd->cdw10 & 0xFF) + 1) * sizeof(struct nvtcp_nvme_dsm_range);
		*xfer = NVTCP_NVME_DATA_HOST_TO_CTRLR;
		break;
	default:
		break;
	}
	return 0;
}

static uint16_t
req_parse(struct tgt_req *req, uint32_t icd)
{
	struct tgt_conn *conn = req->conn;
	const struct nvtcp_nvme_cmd *cmd = &req->cmd;
	const struct nvtcp_nvme_sgl_desc *sgl = &cmd->dptr.sgl1;
	int64_t exp;
	uint8_t xfer;
	bool lba_ok;
	uint16_t st;

	if (cmd->flags != NVTCP_NVME_CMD_FLAGS_PSDT_SGL) {
		/* PRPs mean nothing over fabrics; fused operations are not supported. */
		return GEN(NVTCP_NVME_SC_INVALID_FIELD);
	}
	st = req_expect(req, &exp, &xfer, &lba_ok);
	if (st != 0) {
		return st;
	}
	/* The descriptor type first: a descriptor we cannot interpret (a Last Segment, a Keyed
	 * Data Block, ...) has no length we could judge. A command without data may carry any
	 * descriptor of length 0: it is never used. */
	if ((exp != 0 || sgl->length != 0) && sgl->id != NVTCP_NVME_SGL_ID_INCAPSULE &&
	    sgl->id != NVTCP_NVME_SGL_ID_TRANSPORT) {
		return GEN(NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID);
	}
	if (exp == 0) {
		if (sgl->length != 0 || icd != 0) {
			return GEN(NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID);
		}
		if (!lba_ok) {
			return GEN(NVTCP_NVME_SC_LBA_OUT_OF_RANGE);
		}
		return 0;
	}
	if ((int64_t)sgl->length != exp) {
		return GEN(NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID);
	}
	if (exp > (int64_t)conn->tgt->opts.max_io_size) {
		/* Above MDTS. */
		return GEN(NVTCP_NVME_SC_INVALID_FIELD);
	}
	if (sgl->id == NVTCP_NVME_SGL_ID_INCAPSULE) {
		if (xfer != NVTCP_NVME_DATA_HOST_TO_CTRLR) {
			return GEN(NVTCP_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID);
		}
		if (sgl->address != 0) {
			return GEN(NVTCP_NVME_SC_INVALID_SGL_OFFSET);
		}
		if (sgl->length > conn->max_icd || sgl->length != icd) {
			return GEN(NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID);
		}
		req->incapsule = true;
	} else if (icd != 0) {
		/* A Transport Data Block: the data comes by R2T, not in the capsule. */
		return GEN(NVTCP_NVME_SC_DATA_SGL_LENGTH_INVALID);
	}
	if (!lba_ok) {
		return GEN(NVTCP_NVME_SC_LBA_OUT_OF_RANGE);
	}
	req->xfer = xfer;
	req->xfer_len = (uint32_t)exp;
	return 0;
}

/* The transfer goes straight to or from \p p (namespace memory), when the backend gave one. */
static void
req_set_direct(struct tgt_req *req, void *p)
{
	if (p != NULL) {
		req->iov[0].iov_base = p;
		req->iov[0].iov_len = req->xfer_len;
		req->iovcnt = 1;
		req->data_kind = TGT_DATA_DIRECT;
	}
}

/* Where the data of a write goes: straight into namespace memory, nowhere, or buffers. */
static void
req_write_dest(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct nvtcp_tgt_bdev *bdev;
	void *p;

	if (conn->qid == 0 || req->cmd.opc != NVTCP_NVME_OPC_WRITE) {
		return;
	}
	bdev = req->ns->bdev;
	if (bdev->discard_writes) {
		req->data_kind = TGT_DATA_DISCARD;
		return;
	}
	/* With data digests the data must be verified before it is committed: it goes to a
	 * buffer first. */
	if (conn->params.ddgst) {
		return;
	}
	p = tgt_bdev_write_ptr(bdev, nvtcp_nvme_rw_slba(&req->cmd) << req->ns->block_shift,
			       req->xfer_len);
	req_set_direct(req, p);
}

/* Zero-copy read: C2HData points into namespace memory (or the null backend's zeroes). */
static void
req_read_dest(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	struct nvtcp_tgt_bdev *bdev;
	void *p;

	if (conn->qid == 0 || req->cmd.opc != NVTCP_NVME_OPC_READ) {
		return;
	}
	bdev = req->ns->bdev;
	/* With data digests the digest must match the bytes sent even if a write on another
	 * queue changes the blocks meanwhile: copy first (the zeroes never change). */
	if (conn->params.ddgst && !bdev->read_ptr_stable) {
		return;
	}
	p = tgt_bdev_read_ptr(bdev, nvtcp_nvme_rw_slba(&req->cmd) << req->ns->block_shift,
			      req->xfer_len);
	req_set_direct(req, p);
}

static void
req_wait_bufs(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;

	req->state = TGT_REQ_NEED_BUF;
	TAILQ_INSERT_TAIL(&conn->pg->buf_wait, req, link);
	TGT_STAT_ADD(conn->stats.io.buf_waits, 1);
	TGT_STAT_ADD(conn->pg->stats.io.buf_waits, 1);
}

void
tgt_req_bufs_ready(struct tgt_req *req)
{
	if (req->xfer == NVTCP_NVME_DATA_HOST_TO_CTRLR) {
		tgt_req_send_r2ts(req);
	} else {
		req->state = TGT_REQ_EXEC;
		tgt_req_execute(req);
	}
}

static int
req_setup_data(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;
	int rc;

	if (req->xfer == NVTCP_NVME_DATA_NONE || req->xfer_len == 0) {
		req->state = TGT_REQ_EXEC;
		tgt_req_execute(req);
		return 0;
	}
	if (req->xfer == NVTCP_NVME_DATA_HOST_TO_CTRLR) {
		req_write_dest(req);
		if (req->incapsule) {
			req->state = TGT_REQ_RX_ICD;
			conn->rx_req = req;
			if (req->data_kind == TGT_DATA_DISCARD) {
				rc = nvtcp_tcp_rx_discard_payload(&conn->rx);
			} else if (req->data_kind == TGT_DATA_DIRECT || tgt_req_get_bufs(req)) {
				rc = nvtcp_tcp_rx_set_payload(&conn->rx, req->iov, req->iovcnt);
			} else {
				/* No buffer: the receive stream waits (NVTCP_TCP_RX_WAIT). */
				return 0;
			}
			if (rc != 0) {
				NVTCP_ERRLOG("%s: cannot place in-capsule data: %s\n", conn->peer,
					     strerror(-rc));
				return nvtcp_tcp_rx_fail(&conn->rx,
							 NVTCP_TCP_FES_INVALID_HEADER_FIELD, 0);
			}
			return 0;
		}
		if (req->data_kind == TGT_DATA_NONE && !tgt_req_get_bufs(req)) {
			req_wait_bufs(req);
			return 0;
		}
		tgt_req_send_r2ts(req);
		return 0;
	}
	req_read_dest(req);
	if (req->data_kind == TGT_DATA_NONE && !tgt_req_get_bufs(req)) {
		req_wait_bufs(req);
		return 0;
	}
	req->state = TGT_REQ_EXEC;
	tgt_req_execute(req);
	return 0;
}

int
tgt_req_cmd_header(struct tgt_conn *conn)
{
	const struct nvtcp_tcp_cmd *pdu = &nvtcp_tcp_rx_hdr(&conn->rx)->cmd;
	uint32_t icd = nvtcp_tcp_rx_data_len(&conn->rx);
	struct tgt_req *req;
	uint16_t cid = pdu->ccsqe.cid;
	uint16_t st;

	req = conn_take_req(conn);
	if (req == NULL) {
		NVTCP_ERRLOG("%s: qid %u: command cid %u with %u commands outstanding on a queue "
			     "of %u entries\n", conn->peer, conn->qid, cid, conn->outstanding,
			     conn->qsize);
		return nvtcp_tcp_rx_fail(&conn->rx, NVTCP_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	}
	req_reset(req, &pdu->ccsqe);
	if (conn->qsize > 1) {
		conn->sqhd = (uint16_t)((conn->sqhd + 1) % conn->qsize);
	}
	if (conn->ctrlr != NULL) {
		if (conn->qid == 0) {
			conn->ctrlr->ka_activity = true;
		} else if (!__atomic_load_n(&conn->ctrlr->io_activity, __ATOMIC_RELAXED)) {
			__atomic_store_n(&conn->ctrlr->io_activity, 1, __ATOMIC_RELAXED);
		}
	}

	if (nvtcp_unlikely(conn->outstanding > conn->qsize)) {
		NVTCP_WARNLOG("%s: qid %u: cid %u exceeds the queue size %u (SQSIZE %u)\n",
			      conn->peer, conn->qid, cid, conn->qsize, conn->sqsize);
		st = GEN(NVTCP_NVME_SC_COMMAND_SEQUENCE_ERROR);
	} else if (nvtcp_unlikely(conn->cid_map[cid / 64] & (1ull << (cid % 64))) &&
		   !tgt_ctrlr_aer_forget(conn, cid)) {
		NVTCP_ERRLOG("%s: qid %u: cid %u is already outstanding\n", conn->peer, conn->qid,
			     cid);
		st = GEN(NVTCP_NVME_SC_COMMAND_ID_CONFLICT);
	} else {
		conn->cid_map[cid / 64] |= 1ull << (cid % 64);
		req->cid_marked = true;
		st = req_parse(req, icd);
	}
	if (nvtcp_unlikely(st != 0)) {
		req->ns = NULL;
		req->cpl.status = st;
		NVTCP_INFOLOG("%s: qid %u cid %u opcode 0x%02x nsid %u: %s (sct %u sc 0x%02x)\n",
			      conn->peer, conn->qid, cid, req->cmd.opc, req->cmd.nsid,
			      nvtcp_nvme_cmd_sc_str(req->cmd.opc, nvtcp_nvme_status_sct(st),
						    nvtcp_nvme_status_sc(st)),
			      nvtcp_nvme_status_sct(st), nvtcp_nvme_status_sc(st));
		if (icd > 0) {
			/* The command failed; its data is read and dropped (the stream goes on). */
			req->state = TGT_REQ_RX_ICD;
			conn->rx_req = req;
			if (nvtcp_tcp_rx_discard_payload(&conn->rx) != 0) {
				return nvtcp_tcp_rx_fail(&conn->rx,
							 NVTCP_TCP_FES_INVALID_HEADER_FIELD, 0);
			}
			return 0;
		}
		tgt_req_complete(req);
		return 0;
	}
	if (req->ns != NULL) {
		req->ns->inflight[conn->pg->idx].n++;
	}
	return req_setup_data(req);
}

int
tgt_req_cmd_payload(struct tgt_conn *conn, bool ddgst_ok)
{
	struct tgt_req *req = conn->rx_req;

	conn->rx_req = NULL;
	if (req == NULL || req->state != TGT_REQ_RX_ICD) {
		return 0;
	}
	if (req->cpl.status != 0) {
		tgt_req_complete(req);
		return 0;
	}
	if (!ddgst_ok) {
		TGT_STAT_ADD(conn->stats.io.ddgst_errors, 1);
		TGT_STAT_ADD(conn->pg->stats.io.ddgst_errors, 1);
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
					NVTCP_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR, false);
		return 0;
	}
	req->state = TGT_REQ_EXEC;
	tgt_req_execute(req);
	return 0;
}

/* ---- NVM I/O commands ------------------------------------------------------------------- */

static void
io_set_error(struct tgt_req *req, int err)
{
	if (err == -ERANGE) {
		tgt_req_set_status(req, NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_LBA_OUT_OF_RANGE, true);
	} else if (req->cmd.opc == NVTCP_NVME_OPC_READ || req->cmd.opc == NVTCP_NVME_OPC_COMPARE) {
		tgt_req_set_status(req, NVTCP_NVME_SCT_MEDIA_ERROR,
				   NVTCP_NVME_SC_UNRECOVERED_READ_ERROR, false);
	} else if (req->cmd.opc == NVTCP_NVME_OPC_WRITE ||
		   req->cmd.opc == NVTCP_NVME_OPC_WRITE_ZEROES) {
		tgt_req_set_status(req, NVTCP_NVME_SCT_MEDIA_ERROR, NVTCP_NVME_SC_WRITE_FAULTS,
				   false);
	} else {
		tgt_req_set_status(req, NVTCP_NVME_SCT_GENERIC,
				   NVTCP_NVME_SC_INTERNAL_DEVICE_ERROR, false);
	}
}

/* Compare the host's data (req->iov) with the namespace's (cmp_iov or memory). */
static bool
io_compare_equal(struct tgt_req *req, const uint8_t *ns_data)
{
	uint32_t off = 0;

	for (int i = 0; i < req->iovcnt; i++) {
		const uint8_t *host = req->iov[i].iov_base;
		size_t len = req->iov[i].iov_len;
		const uint8_t *mine = ns_data != NULL ? ns_data + off : req->cmp_bufs[i];

		if (memcmp(host, mine, len) != 0) {
			return false;
		}
		off += (uint32_t)len;
	}
	return true;
}

static void
io_done(struct nvtcp_tgt_bdev_io *io)
{
	struct tgt_req *req = NVTCP_CONTAINEROF(io, struct tgt_req, bio);

	if (io->status != 0) {
		if (io->status != -ERANGE) {
			NVTCP_ERRLOG("%s: qid %u cid %u: backend %s failed: %s\n", req->conn->peer,
				     req->conn->qid, req->cmd.cid, io->bdev->ops->name,
				     strerror(-io->status));
		}
		io_set_error(req, io->status);
	} else if (req->cmd.opc == NVTCP_NVME_OPC_COMPARE && !io_compare_equal(req, NULL)) {
		tgt_req_set_status(req, NVTCP_NVME_SCT_MEDIA_ERROR, NVTCP_NVME_SC_COMPARE_FAILURE,
				   false);
	}
	tgt_req_complete(req);
}

static void
io_submit(struct tgt_req *req, enum nvtcp_tgt_bdev_op op, uint64_t off, uint64_t len,
	  const struct iovec *iov, int iovcnt)
{
	struct nvtcp_tgt_bdev_io *io = &req->bio;
	struct nvtcp_tgt_bdev *bdev = req->ns->bdev;

	io->op = op;
	io->offset = off;
	io->len = len;
	io->iov = iov;
	io->iovcnt = iovcnt;
	io->status = 0;
	io->cb = io_done;
	io->reactor_ctx = &req->conn->pg->bdev_ctx[bdev->type];
	io->bdev = bdev;
	io->block_shift = req->ns->block_shift;
	if (bdev->ops->submit(bdev, io) == 1) {
		io_done(io);
	}
}

static void
io_dsm(struct tgt_req *req)
{
	const struct nvtcp_nvme_dsm_range *r = req->iov[0].iov_base;
	uint32_t nr = (req->cmd.cdw10 & 0xFF) + 1;
	struct nvtcp_tgt_bdev_io *io = &req->bio;

	/* At most 256 ranges of 16 bytes: one buffer (at least 16 KiB) holds them all. */
	for (uint32_t i = 0; i < nr; i++) {
		if (r[i].nlb != 0 && !lba_range_ok(req->ns, r[i].slba, r[i].nlb)) {
			tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC,
						NVTCP_NVME_SC_LBA_OUT_OF_RANGE, true);
			return;
		}
	}
	if (!(req->cmd.cdw11 & NVTCP_NVME_DSM_ATTR_DEALLOCATE)) {
		/* Attributes are hints only. */
		tgt_req_complete(req);
		return;
	}
	io->ranges = r;
	io->nranges = nr;
	io_submit(req, NVTCP_TGT_BDEV_DEALLOCATE, 0, 0, NULL, 0);
}

static void
io_execute(struct tgt_req *req)
{
	struct tgt_ns *ns = req->ns;
	struct nvtcp_tgt_bdev *bdev = ns->bdev;
	const struct nvtcp_nvme_cmd *cmd = &req->cmd;
	uint64_t off = nvtcp_nvme_rw_slba(cmd) << ns->block_shift;
	uint64_t len = (uint64_t)nvtcp_nvme_rw_nlb(cmd) << ns->block_shift;

	switch (cmd->opc) {
	case NVTCP_NVME_OPC_READ:
		if (req->data_kind == TGT_DATA_DIRECT) {
			tgt_req_complete(req);
			return;
		}
		io_submit(req, NVTCP_TGT_BDEV_READ, off, len, req->iov, req->iovcnt);
		return;
	case NVTCP_NVME_OPC_WRITE:
		if (req->data_kind == TGT_DATA_DIRECT || req->data_kind == TGT_DATA_DISCARD) {
			/* Already in place (or dropped). */
			tgt_req_complete(req);
			return;
		}
		req->bio.fua = (cmd->cdw12 & NVTCP_NVME_RW_CDW12_FUA) != 0 ||
			       !__atomic_load_n(&req->conn->ctrlr->vwc, __ATOMIC_RELAXED);
		io_submit(req, NVTCP_TGT_BDEV_WRITE, off, len, req->iov, req->iovcnt);
		return;
	case NVTCP_NVME_OPC_COMPARE: {
		void *p = tgt_bdev_read_ptr(bdev, off, len);

		if (p != NULL) {
			if (!io_compare_equal(req, p)) {
				tgt_req_set_status(req, NVTCP_NVME_SCT_MEDIA_ERROR,
						   NVTCP_NVME_SC_COMPARE_FAILURE, false);
			}
			tgt_req_complete(req);
			return;
		}
		for (uint32_t i = 0; i < req->cmp_nbufs; i++) {
			req->cmp_iov[i].iov_base = req->cmp_bufs[i];
			req->cmp_iov[i].iov_len = req->iov[i].iov_len;
		}
		io_submit(req, NVTCP_TGT_BDEV_READ, off, len, req->cmp_iov, (int)req->cmp_nbufs);
		return;
	}
	case NVTCP_NVME_OPC_WRITE_ZEROES:
		io_submit(req, NVTCP_TGT_BDEV_WRITE_ZEROES, off, len, NULL, 0);
		return;
	case NVTCP_NVME_OPC_FLUSH:
		if (!bdev->volatile_cache) {
			tgt_req_complete(req);
			return;
		}
		io_submit(req, NVTCP_TGT_BDEV_FLUSH, 0, 0, NULL, 0);
		return;
	case NVTCP_NVME_OPC_DATASET_MANAGEMENT:
		io_dsm(req);
		return;
	default:
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_OPCODE,
					true);
	}
}

/* ---- Dispatch ------------------------------------------------------------------------------- */

static void
exec_fabrics(struct tgt_req *req)
{
	switch (nvtcp_nvmf_cmd_fctype(&req->cmd)) {
	case NVTCP_NVMF_FCTYPE_CONNECT:
		tgt_ctrlr_connect(req);
		return;
	case NVTCP_NVMF_FCTYPE_PROPERTY_GET:
		tgt_ctrlr_prop_get(req);
		return;
	case NVTCP_NVMF_FCTYPE_PROPERTY_SET:
		tgt_ctrlr_prop_set(req);
		return;
	case NVTCP_NVMF_FCTYPE_DISCONNECT:
		if (req->conn->qid == 0) {
			/* The admin queue goes with the controller, not by Disconnect. */
			tgt_req_complete_status(req, NVTCP_NVME_SCT_COMMAND_SPECIFIC,
						NVTCP_NVMF_SC_INVALID_QUEUE_TYPE, true);
			return;
		}
		req->close_after = true;
		tgt_req_complete(req);
		return;
	default:
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_OPCODE,
					true);
	}
}

void
tgt_req_execute(struct tgt_req *req)
{
	struct tgt_conn *conn = req->conn;

	req->state = TGT_REQ_EXEC;
	if (req->cmd.opc == NVTCP_NVME_OPC_FABRICS) {
		exec_fabrics(req);
		return;
	}
	if (conn->qid > 0) {
		io_execute(req);
		return;
	}
	switch (req->cmd.opc) {
	case NVTCP_NVME_OPC_IDENTIFY:
		tgt_admin_identify(req);
		break;
	case NVTCP_NVME_OPC_GET_LOG_PAGE:
		tgt_admin_get_log_page(req);
		break;
	case NVTCP_NVME_OPC_GET_FEATURES:
		tgt_admin_get_features(req);
		break;
	case NVTCP_NVME_OPC_SET_FEATURES:
		tgt_admin_set_features(req);
		break;
	case NVTCP_NVME_OPC_ABORT:
		tgt_ctrlr_abort(req);
		break;
	case NVTCP_NVME_OPC_ASYNC_EVENT_REQUEST:
		tgt_ctrlr_aer(req);
		break;
	case NVTCP_NVME_OPC_KEEP_ALIVE:
		tgt_ctrlr_keep_alive(req);
		break;
	default:
		tgt_req_complete_status(req, NVTCP_NVME_SCT_GENERIC, NVTCP_NVME_SC_INVALID_OPCODE,
					true);
	}
}
