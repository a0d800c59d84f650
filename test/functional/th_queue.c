/*
 * The blocking test host of tgt_host.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "nvtcp/crc32c.h"
#include "nvtcp/util.h"
#include "tgt_host.h"

#define TH_RXBUF (512u * 1024)

const char *th_hostnqn = "nqn.2014-08.org.nvmexpress:uuid:8c1c3a4e-7f31-4b7a-9e62-1c3d5f7a9b21";
uint8_t th_hostid[16] = {0x8c, 0x1c, 0x3a, 0x4e, 0x7f, 0x31, 0x4b, 0x7a,
			 0x9e, 0x62, 0x1c, 0x3d, 0x5f, 0x7a, 0x9b, 0x21};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
writev_all(struct th_queue *q, struct iovec *iov, int n)
{
	int fd = q->fd;

	if (q->ssl != NULL) {
		for (int i = 0; i < n; i++) {
			if (th_tls_write(q, iov[i].iov_base, iov[i].iov_len) != 0) {
				return -EIO;
			}
		}
		return 0;
	}
	while (n > 0) {
		ssize_t r = writev(fd, iov, n);

		if (r < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		while (n > 0 && (size_t)r >= iov[0].iov_len) {
			r -= (ssize_t)iov[0].iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov[0].iov_base = (uint8_t *)iov[0].iov_base + r;
			iov[0].iov_len -= (size_t)r;
		}
	}
	return 0;
}

int
th_send_raw(struct th_queue *q, const void *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return writev_all(q, &iov, 1);
}

static int
send_pdu(struct th_queue *q, struct nvtcp_tcp_tx_pdu *pdu)
{
	struct iovec iov[NVTCP_TCP_TX_IOV_MAX];

	memcpy(iov, pdu->iov, sizeof(iov[0]) * (size_t)pdu->iovcnt);
	return writev_all(q, iov, pdu->iovcnt);
}

static struct th_cmd *
cmd_by_cid(struct th_queue *q, uint16_t cid)
{
	struct th_cmd *c = &q->cmds[cid % TH_MAX_CMDS];

	return c->busy && c->sqe.cid == cid ? c : NULL;
}

static int
send_h2c(struct th_queue *q, struct th_cmd *c, uint16_t ttag, uint32_t off, uint32_t len)
{
	struct nvtcp_tcp_tx_pdu *pdu = malloc(sizeof(*pdu));
	uint32_t end = off + len;
	int rc = 0;

	if (pdu == NULL) {
		return -ENOMEM;
	}
	while (off < end && rc == 0) {
		uint32_t n = NVTCP_MIN(q->params.maxh2cdata, end - off);
		struct iovec iov = {.iov_base = c->buf + off, .iov_len = n};

		nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_H2C_DATA);
		pdu->hdr.h2c_data.cccid = c->sqe.cid;
		pdu->hdr.h2c_data.ttag = ttag;
		pdu->hdr.h2c_data.datao = off;
		if (off + n == end) {
			pdu->hdr.ch.flags = NVTCP_TCP_FLAG_LAST_PDU;
		}
		rc = nvtcp_tcp_pdu_finish(pdu, &q->params, &iov, 1);
		if (rc == 0 && c->h2c_corrupt_ddgst && q->params.ddgst) {
			pdu->ddgst[0] ^= 0xFF;
			c->h2c_corrupt_ddgst = 0;
		}
		if (rc == 0) {
			rc = send_pdu(q, pdu);
		}
		off += n;
	}
	free(pdu);
	return rc;
}

static int
rx_header(void *ctx, struct nvtcp_tcp_rx *rx)
{
	struct th_queue *q = ctx;
	const union nvtcp_tcp_pdu_hdr *h = nvtcp_tcp_rx_hdr(rx);
	struct th_cmd *c;

	switch (h->ch.pdu_type) {
	case NVTCP_TCP_PDU_C2H_TERM_REQ:
		q->term = true;
		q->term_fes = h->term_req.fes;
		q->term_fei = h->term_req.fei;
		return NVTCP_TCP_RX_STOP;
	case NVTCP_TCP_PDU_IC_RESP: {
		struct nvtcp_tcp_ic_opts o;
		struct nvtcp_tcp_error err;

		nvtcp_tcp_ic_opts_init(&o);
		o.hdgst = q->hdgst_req;
		o.ddgst = q->ddgst_req;
		if (nvtcp_tcp_icresp_accept(&h->icresp, &o, &q->params, &err) != 0) {
			fprintf(stderr, "%s: bad ICResp\n", q->name);
			q->failed = true;
			return -1;
		}
		q->cpda = h->icresp.cpda;
		nvtcp_tcp_rx_set_params(rx, &q->params);
		return 0;
	}
	case NVTCP_TCP_PDU_CAPSULE_RESP:
		c = cmd_by_cid(q, h->rsp.rccqe.cid);
		if (c != NULL && c->done && c->allow_dup && !c->dup_done) {
			c->dup_cpl = h->rsp.rccqe;
			c->dup_done = true;
			return 0;
		}
		if (c == NULL || c->done) {
			fprintf(stderr, "%s: CapsuleResp for unknown cid %u\n", q->name,
				h->rsp.rccqe.cid);
			q->failed = true;
			return -1;
		}
		c->cpl = h->rsp.rccqe;
		c->done = true;
		return 0;
	case NVTCP_TCP_PDU_C2H_DATA:
		c = cmd_by_cid(q, h->c2h_data.cccid);
		if (c == NULL || h->c2h_data.datao + h->c2h_data.datal > c->len) {
			fprintf(stderr, "%s: C2HData cid %u datao %u datal %u out of range\n", q->name,
				h->c2h_data.cccid, h->c2h_data.datao, h->c2h_data.datal);
			q->failed = true;
			return -1;
		}
		{
			struct iovec iov = {.iov_base = c->buf, .iov_len = c->len};

			return nvtcp_tcp_rx_set_payload_at(rx, &iov, 1, h->c2h_data.datao) == 0 ? 0 :
			       -1;
		}
	case NVTCP_TCP_PDU_R2T:
		c = cmd_by_cid(q, h->r2t.cccid);
		if (c == NULL || h->r2t.r2to + h->r2t.r2tl > c->len || h->r2t.r2tl == 0) {
			fprintf(stderr, "%s: bad R2T cid %u off %u len %u\n", q->name, h->r2t.cccid,
				h->r2t.r2to, h->r2t.r2tl);
			q->failed = true;
			return -1;
		}
		q->r2ts++;
		q->last_r2tl = h->r2t.r2tl;
		return send_h2c(q, c, h->r2t.ttag, h->r2t.r2to, h->r2t.r2tl) == 0 ? 0 : -1;
	default:
		fprintf(stderr, "%s: unexpected PDU type %u\n", q->name, h->ch.pdu_type);
		q->failed = true;
		return -1;
	}
}

static int
rx_payload(void *ctx, struct nvtcp_tcp_rx *rx, bool ddgst_ok)
{
	struct th_queue *q = ctx;
	const union nvtcp_tcp_pdu_hdr *h = nvtcp_tcp_rx_hdr(rx);
	struct th_cmd *c = cmd_by_cid(q, h->c2h_data.cccid);

	if (c == NULL) {
		return 0;
	}
	c->c2h_bytes += h->c2h_data.datal;
	if (!ddgst_ok) {
		c->ddgst_error = true;
	}
	if ((h->ch.flags & NVTCP_TCP_FLAG_SUCCESS) && (h->ch.flags & NVTCP_TCP_FLAG_LAST_PDU)) {
		memset(&c->cpl, 0, sizeof(c->cpl));
		c->cpl.cid = c->sqe.cid;
		c->success_flag = true;
		c->done = true;
	}
	return 0;
}

static int
tcp_connect(const char *addr, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int fd, one = 1;

	if (getaddrinfo(addr, port, &hints, &res) != 0 || res == NULL) {
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		if (fd >= 0) {
			close(fd);
		}
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
th_open_raw(struct th_queue *q, const char *addr, const char *port, const char *name)
{
	struct nvtcp_tcp_rx_opts ro;

	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->timeout_ms = 10000;
	q->next_cid = 1;
	nvtcp_tcp_params_init(&q->params);
	q->rb.buf = malloc(TH_RXBUF);
	q->rb.size = TH_RXBUF;
	nvtcp_tcp_rx_opts_init(&ro);
	ro.role = NVTCP_TCP_ROLE_HOST;
	ro.max_data_len = 8u << 20;
	ro.header_cb = rx_header;
	ro.payload_cb = rx_payload;
	ro.cb_ctx = q;
	ro.name = q->name;
	if (q->rb.buf == NULL || nvtcp_tcp_rx_init(&q->rx, &ro) != 0) {
		return -1;
	}
	q->fd = tcp_connect(addr, port);
	return q->fd < 0 ? -1 : 0;
}

void
th_close(struct th_queue *q)
{
	th_tls_free(q);
	if (q->fd >= 0) {
		close(q->fd);
		q->fd = -1;
	}
	free(q->rb.buf);
	q->rb.buf = NULL;
}

/* Read once (waiting up to timeout_ms) and process. 1 = progress, 0 = timeout, -1 = end. */
static int
rx_once(struct th_queue *q, int timeout_ms)
{
	struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
	struct iovec iov[NVTCP_TCP_PDU_MAX_DATA_IOV];
	size_t direct = 0;
	ssize_t r;
	int rc, n;

	if (q->closed || q->term || q->failed) {
		return -1;
	}
	rc = nvtcp_tcp_rx_process(&q->rx, &q->rb);
	if (rc != 0) {
		if (rc == -EPROTO) {
			fprintf(stderr, "%s: our receiver rejected a PDU\n", q->name);
			q->failed = true;
		}
		return -1;
	}
	if (q->ssl == NULL || !th_tls_pending(q)) {
		rc = poll(&pfd, 1, timeout_ms);
		if (rc <= 0) {
			return 0;
		}
	}
	/* TLS hands over whole records: everything goes through the receive buffer. */
	n = q->ssl != NULL ? 0 : nvtcp_tcp_rx_direct_iov(&q->rx, iov, NVTCP_COUNTOF(iov));
	{
		struct iovec all[NVTCP_TCP_PDU_MAX_DATA_IOV + 1];
		size_t dlen = 0;

		for (int i = 0; i < n; i++) {
			all[i] = iov[i];
			dlen += iov[i].iov_len;
		}
		if (q->rb.head == q->rb.tail) {
			q->rb.head = q->rb.tail = 0;
		}
		all[n].iov_base = q->rb.buf + q->rb.tail;
		all[n].iov_len = q->rb.size - q->rb.tail;
		if (q->ssl != NULL) {
			r = th_tls_read(q, all[0].iov_base, all[0].iov_len);
			if (r == -EAGAIN) {
				return 0;
			}
		} else {
			r = readv(q->fd, all, n + 1);
		}
		if (r <= 0) {
			q->closed = true;
			return -1;
		}
		direct = NVTCP_MIN((size_t)r, dlen);
		if ((size_t)r > dlen) {
			q->rb.tail += (size_t)r - dlen;
		}
	}
	nvtcp_tcp_rx_direct_done(&q->rx, direct);
	rc = nvtcp_tcp_rx_process(&q->rx, &q->rb);
	if (rc == -EPROTO) {
		fprintf(stderr, "%s: our receiver rejected a PDU\n", q->name);
		q->failed = true;
		return -1;
	}
	if (q->rb.head > 0 && q->rb.size - q->rb.tail < q->rb.size / 4) {
		memmove(q->rb.buf, q->rb.buf + q->rb.head, q->rb.tail - q->rb.head);
		q->rb.tail -= q->rb.head;
		q->rb.head = 0;
	}
	return q->term ? -1 : 1;
}

bool
th_wait_closed(struct th_queue *q, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	while (!q->closed && now_ms() < end) {
		if (q->term || q->failed) {
			/* Drain: the close follows a TermReq. */
			char b[4096];
			struct pollfd pfd = {.fd = q->fd, .events = POLLIN};

			if (poll(&pfd, 1, 100) > 0 &&
			    (q->ssl != NULL ? th_tls_read(q, b, sizeof(b)) :
			     read(q->fd, b, sizeof(b))) <= 0) {
				q->closed = true;
			}
			continue;
		}
		rx_once(q, 100);
	}
	return q->closed;
}

bool
th_wait_term(struct th_queue *q, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	while (!q->term && !q->closed && !q->failed && now_ms() < end) {
		rx_once(q, 100);
	}
	return q->term;
}

int
th_open(struct th_queue *q, const char *addr, const char *port, bool hdgst, bool ddgst,
	const char *name)
{
	if (th_open_raw(q, addr, port, name) != 0) {
		return -1;
	}
	return th_icreq(q, hdgst, ddgst);
}

int
th_icreq(struct th_queue *q, bool hdgst, bool ddgst)
{
	struct nvtcp_tcp_ic_opts o;
	struct nvtcp_tcp_icreq icreq;
	uint64_t end;

	q->hdgst_req = hdgst;
	q->ddgst_req = ddgst;
	nvtcp_tcp_ic_opts_init(&o);
	o.hdgst = hdgst;
	o.ddgst = ddgst;
	nvtcp_tcp_icreq_build(&icreq, &o);
	if (th_send_raw(q, &icreq, sizeof(icreq)) != 0) {
		return -1;
	}
	end = now_ms() + (uint64_t)q->timeout_ms;
	while (nvtcp_tcp_rx_stats(&q->rx)->pdus == 0) {
		if (rx_once(q, 100) < 0 || now_ms() > end) {
			return -1;
		}
	}
	return 0;
}

int
th_submit(struct th_queue *q, const struct nvtcp_nvme_cmd *sqe, void *buf, uint32_t len,
	  bool incapsule)
{
	struct nvtcp_tcp_tx_pdu *pdu;
	struct th_cmd *c;
	uint16_t cid;
	int rc;

	for (int tries = 0;; tries++) {
		cid = q->next_cid++;
		if (q->next_cid == 0) {
			q->next_cid = 1;
		}
		if (!q->cmds[cid % TH_MAX_CMDS].busy) {
			break;
		}
		if (tries > TH_MAX_CMDS) {
			return -1;
		}
	}
	c = &q->cmds[cid % TH_MAX_CMDS];
	memset(c, 0, sizeof(*c));
	c->busy = true;
	c->sqe = *sqe;
	c->sqe.cid = cid;
	c->sqe.flags = NVTCP_NVME_CMD_FLAGS_PSDT_SGL;
	c->buf = buf;
	c->len = len;
	if (incapsule) {
		nvtcp_nvme_sgl_set_incapsule(&c->sqe.dptr.sgl1, 0, len);
	} else {
		nvtcp_nvme_sgl_set_transport(&c->sqe.dptr.sgl1, len);
	}
	pdu = malloc(sizeof(*pdu));
	if (pdu == NULL) {
		return -1;
	}
	nvtcp_tcp_pdu_init(pdu, NVTCP_TCP_PDU_CAPSULE_CMD);
	pdu->hdr.cmd.ccsqe = c->sqe;
	{
		struct iovec iov = {.iov_base = buf, .iov_len = len};

		rc = nvtcp_tcp_pdu_finish(pdu, &q->params, incapsule ? &iov : NULL,
					  incapsule && len > 0 ? 1 : 0);
	}
	if (rc == 0) {
		rc = send_pdu(q, pdu);
	}
	free(pdu);
	return rc == 0 ? cid : -1;
}

int
th_wait(struct th_queue *q, int cid, struct nvtcp_nvme_cpl *cpl)
{
	struct th_cmd *c = &q->cmds[cid % TH_MAX_CMDS];
	uint64_t end = now_ms() + (uint64_t)q->timeout_ms;

	while (!c->done) {
		if (rx_once(q, 100) < 0 || now_ms() > end) {
			if (!c->done) {
				return -1;
			}
		}
	}
	if (cpl != NULL) {
		*cpl = c->cpl;
	}
	c->busy = false;
	return 0;
}

int
th_poll(struct th_queue *q, int timeout_ms)
{
	return rx_once(q, timeout_ms);
}

int
th_exec(struct th_queue *q, const struct nvtcp_nvme_cmd *sqe, void *buf, uint32_t len,
	bool incapsule, struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_nvme_cpl tmp;
	int cid = th_submit(q, sqe, buf, len, incapsule);

	if (cid < 0 || th_wait(q, cid, &tmp) != 0) {
		return -1;
	}
	if (cpl != NULL) {
		*cpl = tmp;
	}
	return tmp.status & 0xFFFE;
}

int
th_fabrics_connect(struct th_queue *q, uint16_t qid, uint16_t sqsize, const char *subnqn,
		   const char *hostnqn, const uint8_t hostid[16], uint16_t cntlid, uint32_t kato,
		   uint8_t cattr, struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_nvmf_connect_cmd cmd;
	struct nvtcp_nvmf_connect_data data;
	struct nvtcp_nvme_cpl tmp;
	int st;

	memset(&cmd, 0, sizeof(cmd));
	memset(&data, 0, sizeof(data));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.fctype = NVTCP_NVMF_FCTYPE_CONNECT;
	cmd.qid = qid;
	cmd.sqsize = sqsize;
	cmd.kato = kato;
	cmd.cattr = cattr;
	memcpy(data.hostid, hostid, 16);
	data.cntlid = cntlid;
	snprintf(data.subnqn, sizeof(data.subnqn), "%s", subnqn);
	snprintf(data.hostnqn, sizeof(data.hostnqn), "%s", hostnqn);
	st = th_exec(q, (const void *)&cmd, &data, sizeof(data), true, &tmp);
	if (st == 0) {
		q->qid = qid;
		q->cntlid = tmp.cdw0 & 0xFFFF;
	}
	if (cpl != NULL) {
		*cpl = tmp;
	}
	return st;
}

int
th_prop_get(struct th_queue *q, uint32_t ofst, bool size8, uint64_t *val)
{
	struct nvtcp_nvmf_prop_get_cmd cmd;
	struct nvtcp_nvme_cpl cpl;
	int st;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.fctype = NVTCP_NVMF_FCTYPE_PROPERTY_GET;
	cmd.attrib = size8 ? NVTCP_NVMF_PROP_SIZE_8 : NVTCP_NVMF_PROP_SIZE_4;
	cmd.ofst = ofst;
	st = th_exec(q, (const void *)&cmd, NULL, 0, false, &cpl);
	if (st == 0 && val != NULL) {
		*val = cpl.cdw0 | ((uint64_t)cpl.cdw1 << 32);
	}
	return st;
}

int
th_prop_set(struct th_queue *q, uint32_t ofst, uint32_t val)
{
	struct nvtcp_nvmf_prop_set_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_FABRICS;
	cmd.fctype = NVTCP_NVMF_FCTYPE_PROPERTY_SET;
	cmd.attrib = NVTCP_NVMF_PROP_SIZE_4;
	cmd.ofst = ofst;
	cmd.value = val;
	return th_exec(q, (const void *)&cmd, NULL, 0, false, NULL);
}

int
th_enable(struct th_queue *q, uint32_t cc)
{
	uint64_t csts = 0;
	int st = th_prop_set(q, NVTCP_NVME_PROP_CC, cc);

	if (st != 0) {
		return st;
	}
	for (int i = 0; i < 100; i++) {
		st = th_prop_get(q, NVTCP_NVME_PROP_CSTS, false, &csts);
		if (st != 0) {
			return st;
		}
		if (csts & (NVTCP_NVME_CSTS_RDY | NVTCP_NVME_CSTS_CFS)) {
			return (csts & NVTCP_NVME_CSTS_RDY) ? 0 : 0x1000;
		}
		usleep(10000);
	}
	return -1;
}

int
th_shutdown(struct th_queue *q)
{
	uint64_t cc = 0, csts = 0;
	int st = th_prop_get(q, NVTCP_NVME_PROP_CC, false, &cc);

	if (st != 0) {
		return st;
	}
	st = th_prop_set(q, NVTCP_NVME_PROP_CC, (uint32_t)(cc & ~NVTCP_NVME_CC_SHN_MASK) |
			 (NVTCP_NVME_SHN_NORMAL << NVTCP_NVME_CC_SHN_SHIFT));
	for (int i = 0; st == 0 && i < 100; i++) {
		st = th_prop_get(q, NVTCP_NVME_PROP_CSTS, false, &csts);
		if (st == 0 && nvtcp_nvme_csts_shst(csts) == NVTCP_NVME_SHST_COMPLETE) {
			return 0;
		}
		usleep(10000);
	}
	return st != 0 ? st : -1;
}

int
th_identify(struct th_queue *q, uint8_t cns, uint32_t nsid, void *buf)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_IDENTIFY;
	cmd.nsid = nsid;
	cmd.cdw10 = cns;
	return th_exec(q, &cmd, buf, 4096, false, NULL);
}

int
th_get_log(struct th_queue *q, uint8_t lid, uint32_t nsid, bool rae, void *buf, uint32_t len,
	   uint64_t off)
{
	struct nvtcp_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = NVTCP_NVME_OPC_GET_LOG_PAGE;
	cmd.nsid = nsid;
	nvtcp_nvme_get_log_page_set(&cmd, lid, rae, len, off);
	return th_exec(q, &cmd, buf, len, false, NULL);
}
