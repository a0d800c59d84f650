/*
 * NVM I/O commands: Read, Write, Compare (contiguous buffers and iovecs), Write Zeroes, Flush,
 * Dataset Management and raw I/O commands. Ranges are checked against the namespace before
 * anything is sent; transfers above the limit are split by qpair.c.
 */
#include <errno.h>
#include <string.h>

#include "nvme_internal.h"

#define NS_LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

static inline int
io_check(const struct nvtcp_ns *ns, const struct nvtcp_qpair *qp)
{
	if (nvtcp_unlikely(ns == NULL || qp == NULL || ns->ctrlr != qp->ctrlr ||
			   nvme_qpair_is_admin(qp))) {
		return -EINVAL;
	}
	if (nvtcp_unlikely(qp->state == NVME_QPAIR_FAILED || qp->state == NVME_QPAIR_DISCONNECTED ||
			   !NS_LOAD(ns->active))) {
		return -ENXIO;
	}
	return 0;
}

static inline int
range_check(const struct nvtcp_ns *ns, uint64_t lba, uint64_t count)
{
	uint64_t nsze = NS_LOAD(ns->num_sectors);

	if (nvtcp_unlikely(count == 0 || lba >= nsze || count > nsze - lba)) {
		return -EINVAL;
	}
	return 0;
}

static inline void
desc_init(struct nvme_io_desc *d, uint8_t kind, uint8_t opc, struct nvtcp_ns *ns, uint32_t nsid,
	  nvtcp_cmd_cb cb, void *cb_arg)
{
	memset(&d->cmd, 0, sizeof(d->cmd));
	d->cmd.opc = opc;
	d->cmd.nsid = nsid;
	d->ns = ns;
	d->kind = kind;
	d->internal = false;
	d->dsm_buf = -1;
	d->cb = cb;
	d->cb_arg = cb_arg;
	d->iovcnt = 0;
	d->len = 0;
}

static int
submit_rw(struct nvtcp_ns *ns, struct nvtcp_qpair *qp, uint8_t opc, const struct iovec *iov,
	  int iovcnt, uint64_t lba, uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg,
	  uint32_t io_flags)
{
	struct nvme_io_desc d;
	uint32_t xb;
	uint64_t len;
	int rc;

	rc = io_check(ns, qp);
	if (nvtcp_unlikely(rc != 0)) {
		return rc;
	}
	if (nvtcp_unlikely((io_flags & ~(NVTCP_IO_FLAGS_FUA | NVTCP_IO_FLAGS_LIMITED_RETRY)) != 0 ||
			   range_check(ns, lba, lba_count) != 0 || iovcnt <= 0 ||
			   iovcnt > NVTCP_MAX_IOVCNT || iov == NULL)) {
		return -EINVAL;
	}
	xb = NS_LOAD(ns->xfer_block);
	len = (uint64_t)lba_count * xb;
	if (nvtcp_unlikely(nvtcp_iov_length(iov, iovcnt) < len)) {
		return -EINVAL;
	}
	desc_init(&d, NVME_DESC_LBA, opc, ns, ns->id, cb, cb_arg);
	d.cmd.cdw12 = io_flags;
	d.lba = lba;
	d.nlb = lba_count;
	d.block_size = xb;
	d.max_blocks = NVTCP_MIN(qp->max_xfer / xb, NVTCP_NVME_RW_MAX_BLOCKS);
	d.len = len;
	d.iovcnt = iovcnt;
	memcpy(d.iov, iov, sizeof(*iov) * (size_t)iovcnt);
	if (d.iov[0].iov_len == SIZE_MAX) {
		d.iov[0].iov_len = len; /* a contiguous buffer: exactly the transfer */
	}
	return nvme_qpair_submit_desc(qp, &d);
}

int
nvtcp_ns_cmd_read(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, void *buf, uint64_t lba,
		  uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags)
{
	struct iovec iov = {.iov_base = buf, .iov_len = SIZE_MAX};

	if (buf == NULL) {
		return -EINVAL;
	}
	return submit_rw(ns, qpair, NVTCP_NVME_OPC_READ, &iov, 1, lba, lba_count, cb, cb_arg,
			 io_flags);
}

int
nvtcp_ns_cmd_write(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, const void *buf, uint64_t lba,
		   uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = SIZE_MAX};

	if (buf == NULL) {
		return -EINVAL;
	}
	return submit_rw(ns, qpair, NVTCP_NVME_OPC_WRITE, &iov, 1, lba, lba_count, cb, cb_arg,
			 io_flags);
}

int
nvtcp_ns_cmd_readv(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, uint64_t lba,
		   uint32_t lba_count, const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb,
		   void *cb_arg, uint32_t io_flags)
{
	return submit_rw(ns, qpair, NVTCP_NVME_OPC_READ, iov, iovcnt, lba, lba_count, cb, cb_arg,
			 io_flags);
}

int
nvtcp_ns_cmd_writev(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, uint64_t lba,
		    uint32_t lba_count, const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb,
		    void *cb_arg, uint32_t io_flags)
{
	return submit_rw(ns, qpair, NVTCP_NVME_OPC_WRITE, iov, iovcnt, lba, lba_count, cb, cb_arg,
			 io_flags);
}

int
nvtcp_ns_cmd_compare(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, const void *buf, uint64_t lba,
		     uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = SIZE_MAX};

	if (buf == NULL) {
		return -EINVAL;
	}
	return submit_rw(ns, qpair, NVTCP_NVME_OPC_COMPARE, &iov, 1, lba, lba_count, cb, cb_arg,
			 io_flags);
}

int
nvtcp_ns_cmd_comparev(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, uint64_t lba,
		      uint32_t lba_count, const struct iovec *iov, int iovcnt, nvtcp_cmd_cb cb,
		      void *cb_arg, uint32_t io_flags)
{
	return submit_rw(ns, qpair, NVTCP_NVME_OPC_COMPARE, iov, iovcnt, lba, lba_count, cb, cb_arg,
			 io_flags);
}

int
nvtcp_ns_cmd_write_zeroes(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, uint64_t lba,
			  uint32_t lba_count, nvtcp_cmd_cb cb, void *cb_arg, uint32_t io_flags)
{
	struct nvme_io_desc d;
	int rc = io_check(ns, qpair);

	if (rc != 0) {
		return rc;
	}
	if ((io_flags & ~(NVTCP_IO_FLAGS_FUA | NVTCP_IO_FLAGS_LIMITED_RETRY)) != 0 ||
	    range_check(ns, lba, lba_count) != 0) {
		return -EINVAL;
	}
	desc_init(&d, NVME_DESC_LBA, NVTCP_NVME_OPC_WRITE_ZEROES, ns, ns->id, cb, cb_arg);
	d.cmd.cdw12 = io_flags;
	d.lba = lba;
	d.nlb = lba_count;
	d.block_size = 0; /* no data: only the 16-bit NLB limits one command */
	d.max_blocks = NVTCP_NVME_RW_MAX_BLOCKS;
	return nvme_qpair_submit_desc(qpair, &d);
}

int
nvtcp_ns_cmd_flush(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair, nvtcp_cmd_cb cb, void *cb_arg)
{
	struct nvme_io_desc d;
	int rc = io_check(ns, qpair);

	if (rc != 0) {
		return rc;
	}
	desc_init(&d, NVME_DESC_RAW, NVTCP_NVME_OPC_FLUSH, ns, ns->id, cb, cb_arg);
	return nvme_qpair_submit_desc(qpair, &d);
}

int
nvtcp_ns_cmd_dataset_management(struct nvtcp_ns *ns, struct nvtcp_qpair *qpair,
				uint32_t attributes, const struct nvtcp_nvme_dsm_range *ranges,
				uint16_t num_ranges, nvtcp_cmd_cb cb, void *cb_arg)
{
	struct nvme_io_desc d;
	int rc = io_check(ns, qpair);
	int idx;

	if (rc != 0) {
		return rc;
	}
	if (ranges == NULL || num_ranges == 0 || num_ranges > NVTCP_NVME_DSM_MAX_RANGES) {
		return -EINVAL;
	}
	for (uint16_t i = 0; i < num_ranges; i++) {
		if (range_check(ns, ranges[i].slba, ranges[i].nlb) != 0) {
			return -EINVAL;
		}
	}
	/* The ranges are copied now (the caller's array may be on its stack). */
	idx = nvme_dsm_buf_get(qpair);
	if (idx < 0) {
		return -EAGAIN;
	}
	memcpy(nvme_dsm_buf_addr(qpair, idx), ranges, sizeof(*ranges) * num_ranges);
	desc_init(&d, NVME_DESC_RAW, NVTCP_NVME_OPC_DATASET_MANAGEMENT, ns, ns->id, cb,
		  cb_arg);
	d.cmd.cdw10 = nvtcp_nvme_dsm_cdw10(num_ranges);
	d.cmd.cdw11 = attributes;
	d.dsm_buf = (int16_t)idx;
	d.len = sizeof(*ranges) * num_ranges;
	d.iovcnt = 1;
	d.iov[0].iov_base = nvme_dsm_buf_addr(qpair, idx);
	d.iov[0].iov_len = d.len;
	rc = nvme_qpair_submit_desc(qpair, &d);
	if (rc != 0) {
		nvme_dsm_buf_put(qpair, idx);
	}
	return rc;
}

int
nvtcp_qpair_cmd_io_raw(struct nvtcp_qpair *qpair, const struct nvtcp_nvme_cmd *cmd, void *buf,
		       uint32_t len, nvtcp_cmd_cb cb, void *cb_arg)
{
	enum nvtcp_nvme_data_xfer xfer;
	struct nvme_io_desc d;

	if (qpair == NULL || cmd == NULL || nvme_qpair_is_admin(qpair) ||
	    cmd->opc == NVTCP_NVME_OPC_FABRICS || (len > 0 && buf == NULL) ||
	    len > qpair->max_xfer) {
		return -EINVAL;
	}
	xfer = nvtcp_nvme_opc_data_xfer(cmd->opc);
	if (len > 0 && (xfer == NVTCP_NVME_DATA_NONE || xfer == NVTCP_NVME_DATA_BIDIRECTIONAL)) {
		return -EINVAL;
	}
	desc_init(&d, NVME_DESC_RAW, cmd->opc, NULL, cmd->nsid, cb, cb_arg);
	d.cmd = *cmd;
	d.len = len;
	d.iovcnt = len > 0 ? 1 : 0;
	d.iov[0].iov_base = buf;
	d.iov[0].iov_len = len;
	return nvme_qpair_submit_desc(qpair, &d);
}
