/*
 * Connecting a queue pair: TCP connect -> [TLS handshake] -> ICReq/ICResp -> Fabrics Connect
 * -> [DH-HMAC-CHAP authentication, when the Connect response asks for it: auth.c], as a resumable
 * state machine (enum nvme_conn_state) with a deadline in every waiting state. The same
 * machine brings up the admin queue (qid 0, controller ID 0xFFFF) and every I/O queue (the
 * controller ID the admin Connect returned), and a reconnect can run it again on the same
 * queue pair: nvme_qpair_connect_start() resets the connection state and starts over.
 *
 * The ICResp and the Connect completion arrive through the normal receive path (tcp.c), which
 * calls back into nvme_qpair_connect_icresp_done() and connect_done().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nvme_internal.h"

static const char *
conn_state_str(uint8_t s)
{
	switch (s) {
	case NVME_CONN_IDLE: return "idle";
	case NVME_CONN_SOCK: return "TCP connect";
	case NVME_CONN_TLS: return "TLS handshake";
	case NVME_CONN_ICRESP: return "waiting for ICResp";
	case NVME_CONN_CONNECT: return "waiting for the Fabrics Connect response";
	case NVME_CONN_AUTH: return "authenticating";
	case NVME_CONN_DONE: return "connected";
	default: return "failed";
	}
}

void
nvme_qpair_connect_fail(struct nvtcp_qpair *qp, int rc, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nvme_qpair_fail(qp, rc, "%s", msg);
}

int
nvme_connect_status_decode(const struct nvtcp_nvme_cpl *cpl, char *reason, size_t len)
{
	uint8_t sct = nvtcp_nvme_status_sct(cpl->status);
	uint8_t sc = nvtcp_nvme_status_sc(cpl->status);
	uint16_t ipo = nvtcp_nvmf_connect_rsp_ipo(cpl->cdw0);
	bool in_data = nvtcp_nvmf_connect_rsp_iattr(cpl->cdw0) & NVTCP_NVMF_CONNECT_RSP_IATTR_DATA;

	if (sct != NVTCP_NVME_SCT_COMMAND_SPECIFIC) {
		snprintf(reason, len, "Connect failed: %s (SCT 0x%x, SC 0x%02x)",
			 nvtcp_nvme_sc_str(sct, sc), sct, sc);
		return -EIO;
	}
	switch (sc) {
	case NVTCP_NVMF_SC_CONNECT_INVALID_PARAMETERS:
		if (in_data) {
			switch (ipo) {
			case offsetof(struct nvtcp_nvmf_connect_data, subnqn):
				snprintf(reason, len, "Connect refused: subsystem NQN not found");
				return -EACCES;
			case offsetof(struct nvtcp_nvmf_connect_data, hostnqn):
				snprintf(reason, len, "Connect refused: host not allowed");
				return -EACCES;
			case offsetof(struct nvtcp_nvmf_connect_data, cntlid):
				snprintf(reason, len, "Connect refused: invalid controller ID");
				return -EINVAL;
			case offsetof(struct nvtcp_nvmf_connect_data, hostid):
				snprintf(reason, len, "Connect refused: invalid host ID");
				return -EINVAL;
			default:
				snprintf(reason, len, "Connect refused: invalid parameter at offset %u "
					 "of the Connect data", ipo);
				return -EINVAL;
			}
		}
		switch (ipo) {
		case offsetof(struct nvtcp_nvmf_connect_cmd, qid):
			snprintf(reason, len, "Connect refused: invalid queue ID");
			break;
		case offsetof(struct nvtcp_nvmf_connect_cmd, sqsize):
			snprintf(reason, len, "Connect refused: invalid queue size (SQSIZE)");
			break;
		case offsetof(struct nvtcp_nvmf_connect_cmd, kato):
			snprintf(reason, len, "Connect refused: invalid keep-alive timeout");
			break;
		default:
			snprintf(reason, len, "Connect refused: invalid parameter at offset %u of "
				 "the command", ipo);
			break;
		}
		return -EINVAL;
	case NVTCP_NVMF_SC_CONNECT_INVALID_HOST:
		snprintf(reason, len, "Connect refused: host not allowed");
		return -EACCES;
	case NVTCP_NVMF_SC_AUTH_REQUIRED:
		snprintf(reason, len, "Connect refused: authentication required (status 0x91, "
			 "not AUTHREQ in a successful Connect)");
		return -EACCES;
	case NVTCP_NVMF_SC_CONTROLLER_BUSY:
		snprintf(reason, len, "Connect refused: controller busy");
		return -EBUSY;
	case NVTCP_NVMF_SC_INCOMPATIBLE_FORMAT:
		snprintf(reason, len, "Connect refused: incompatible format");
		return -EPROTO;
	case NVTCP_NVMF_SC_CONNECT_RESTART_DISCOVERY:
		snprintf(reason, len, "Connect refused: restart discovery");
		return -EAGAIN;
	case NVTCP_NVMF_SC_INVALID_QUEUE_TYPE:
		snprintf(reason, len, "Connect refused: invalid queue type");
		return -EINVAL;
	default:
		snprintf(reason, len, "Connect failed: %s (SCT 0x%x, SC 0x%02x)",
			 nvtcp_nvme_cmd_sc_str(NVTCP_NVME_OPC_FABRICS, sct, sc), sct, sc);
		return -EIO;
	}
}

void
nvme_build_connect(struct nvtcp_qpair *qp, struct nvtcp_nvme_cmd *cmd)
{
	struct nvtcp_ctrlr *ctrlr = qp->ctrlr;
	struct nvtcp_nvmf_connect_data *data = qp->connect_data;
	struct nvtcp_nvmf_connect_cmd c;
	const char *hostnqn = ctrlr->trid.hostnqn[0] ? ctrlr->trid.hostnqn : ctrlr->opts.host.hostnqn;

	memset(&c, 0, sizeof(c));
	c.opc = NVTCP_NVME_OPC_FABRICS;
	c.fctype = NVTCP_NVMF_FCTYPE_CONNECT;
	c.recfmt = 0;
	c.qid = qp->qid;
	c.sqsize = (uint16_t)(qp->queue_size - 1);
	c.cattr = 0;
	c.kato = nvme_qpair_is_admin(qp) ? ctrlr->opts.kato_ms : 0;
	memcpy(cmd, &c, sizeof(*cmd));

	memset(data, 0, sizeof(*data));
	memcpy(data->hostid, ctrlr->opts.host.hostid, sizeof(data->hostid));
	/* I/O queues: the controller ID of the association they join (published by the admin
	 * thread with the association generation, copied when the connect started). */
	data->cntlid = nvme_qpair_is_admin(qp) ? NVTCP_NVMF_CNTLID_DYNAMIC : qp->cntlid;
	(void)nvtcp_strcpy_pad(data->subnqn, sizeof(data->subnqn), ctrlr->trid.subnqn, 0);
	(void)nvtcp_strcpy_pad(data->hostnqn, sizeof(data->hostnqn), hostnqn, 0);
}

static void
connect_done(void *cb_arg, const struct nvtcp_nvme_cpl *cpl)
{
	struct nvtcp_qpair *qp = cb_arg;
	char reason[160];
	int rc;

	if (qp->conn_state != NVME_CONN_CONNECT) {
		return; /* failed meanwhile (completed by the failure path) */
	}
	if (nvtcp_nvme_cpl_is_error(cpl)) {
		rc = nvme_connect_status_decode(cpl, reason, sizeof(reason));
		NVME_QP_ERRLOG(qp, "%s (status 0x%04x, cdw0 0x%08x)\n", reason, cpl->status,
			       cpl->cdw0);
		nvme_qpair_connect_fail(qp, rc, "%s", reason);
		return;
	}
	if (nvme_qpair_is_admin(qp)) {
		qp->ctrlr->cntlid = nvtcp_nvmf_connect_rsp_cntlid(cpl->cdw0);
		qp->cntlid = qp->ctrlr->cntlid;
	} else if (nvtcp_nvmf_connect_rsp_cntlid(cpl->cdw0) != 0 &&
		   nvtcp_nvmf_connect_rsp_cntlid(cpl->cdw0) != qp->cntlid) {
		/* Linux and SPDK echo the controller ID; an I/O queue answer may also leave it
		 * zero (reserved). Another ID is suspicious but not fatal: the queue belongs to
		 * the controller named in the Connect data either way. */
		NVME_QP_WARNLOG(qp, "I/O Connect answered with controller ID %u, sent %u\n",
				nvtcp_nvmf_connect_rsp_cntlid(cpl->cdw0), qp->cntlid);
	}
	/* Every queue whose Connect response asks for it (AUTHREQ) authenticates before it
	 * counts as connected: auth.c finishes the connect when the transaction succeeded. */
	if (nvme_auth_connect_start(qp, nvtcp_nvmf_connect_rsp_authreq(cpl->cdw0)) != 1) {
		return;
	}
	nvme_qpair_connect_finish(qp);
}

void
nvme_qpair_connect_finish(struct nvtcp_qpair *qp)
{
	qp->conn_state = NVME_CONN_DONE;
	qp->state = NVME_QPAIR_CONNECTED;
	NVME_QP_INFOLOG(qp, "connected (controller ID %u, hdgst %d, ddgst %d, MAXH2CDATA %u)\n",
			qp->cntlid, qp->params.hdgst, qp->params.ddgst, qp->params.maxh2cdata);
	/* Commands submitted while connecting (or waiting through a reconnect) go out now. */
	nvme_qpair_connected(qp);
}

void
nvme_qpair_connect_icresp_done(struct nvtcp_qpair *qp)
{
	struct nvme_request *req = &qp->reqs[qp->num_reqs - 1];
	struct nvtcp_nvme_cmd cmd;
	struct iovec iov;
	int rc;

	if (qp->conn_state != NVME_CONN_ICRESP) {
		return;
	}
	nvme_build_connect(qp, &cmd);
	iov.iov_base = qp->connect_data;
	iov.iov_len = sizeof(*qp->connect_data);
	/* The last request is reserved for the Connect: commands queued by an async connect
	 * may hold every other one. */
	rc = nvme_req_setup(qp, req, &cmd, &iov, 1, sizeof(*qp->connect_data), connect_done, qp);
	if (rc != 0) {
		nvme_qpair_connect_fail(qp, rc, "cannot build the Fabrics Connect: %s",
					strerror(-rc));
		return;
	}
	req->internal = true;
	qp->conn_state = NVME_CONN_CONNECT;
	qp->deadline = nvme_ticks() + nvme_ctrlr_cmd_timeout_ticks(qp->ctrlr);
	nvme_req_submit(qp, req, true);
}

int
nvme_qpair_connect_start(struct nvtcp_qpair *qp)
{
	struct nvtcp_ctrlr *ctrlr = qp->ctrlr;
	struct nvtcp_sock_opts so;
	int rc;

	nvme_qpair_close_sock(qp);
	rc = nvme_tcp_conn_init(qp);
	if (rc != 0) {
		return rc;
	}
	qp->state = NVME_QPAIR_CONNECTING;
	qp->conn_state = NVME_CONN_SOCK;
	qp->fail_rc = 0;
	qp->fail_reason[0] = '\0';
	qp->tls_cipher[0] = '\0';
	qp->sock_error = 0;
	/* lib/sock bounds the TCP connect with connect_timeout_ms; this deadline also holds
	 * when that is 0 ("none"): no wait of the machine is unbounded. */
	qp->deadline = nvme_ticks() + nvme_ms_to_ticks(ctrlr->opts.connect_timeout_ms != 0 ?
						       ctrlr->opts.connect_timeout_ms :
						       NVME_DEFAULT_CONNECT_TIMEOUT_MS);

	nvtcp_sock_opts_init(&so);
	so.sndbuf = ctrlr->opts.sock_sndbuf;
	so.rcvbuf = ctrlr->opts.sock_rcvbuf;
	so.nodelay = true;
	so.connect_timeout_ms = ctrlr->opts.connect_timeout_ms;
	so.user_timeout_ms = ctrlr->opts.tcp_user_timeout_ms;
	qp->sock = nvme_sock_connect(ctrlr->trid.traddr, ctrlr->trid.trsvcid, &so, &rc);
	if (qp->sock == NULL) {
		nvme_qpair_connect_fail(qp, rc, "TCP connect to %s:%s failed: %s",
					ctrlr->trid.traddr, ctrlr->trid.trsvcid, strerror(-rc));
		return rc;
	}
	if (qp->group != NULL) {
		rc = nvme_poll_group_sock_add(qp);
		if (rc != 0) {
			nvme_qpair_connect_fail(qp, rc, "cannot add the socket to the poll group: %s",
						strerror(-rc));
			return rc;
		}
	}
	rc = nvme_qpair_connect_poll(qp);
	return rc == -EAGAIN ? 0 : rc;
}

static int conn_poll_tls(struct nvtcp_qpair *qp);

/* Connection up (TCP, then TLS when asked): the ICReq goes out and the receive path starts
 * reading (conn_state >= ICRESP). */
static int
conn_send_icreq(struct nvtcp_qpair *qp)
{
	int rc;

	rc = nvme_tcp_send_icreq(qp);
	if (rc != 0) {
		nvme_qpair_connect_fail(qp, rc, "cannot build the ICReq: %s", strerror(-rc));
		return rc;
	}
	qp->conn_state = NVME_CONN_ICRESP;
	qp->deadline = nvme_ticks() + nvme_ms_to_ticks(qp->ctrlr->opts.icresp_timeout_ms);
	if (nvtcp_sock_flush(qp->sock) < 0 || qp->sock_error != 0) {
		nvme_qpair_connect_fail(qp, qp->sock_error ? qp->sock_error : -EIO,
					"cannot send the ICReq");
		return qp->fail_rc;
	}
	return -EAGAIN;
}

static uint32_t
conn_timeout_ms(const struct nvtcp_ctrlr *ctrlr)
{
	return ctrlr->opts.connect_timeout_ms != 0 ? ctrlr->opts.connect_timeout_ms :
	       NVME_DEFAULT_CONNECT_TIMEOUT_MS;
}

/* TCP is up: start the TLS client. Nothing has been queued on the socket yet (the ICReq
 * waits for the handshake), as the TLS socket requires. */
static int
conn_start_tls(struct nvtcp_qpair *qp)
{
	struct nvtcp_ctrlr *ctrlr = qp->ctrlr;
	struct nvtcp_tls_client_opts to;
	char err[128];
	int rc;

	nvtcp_tls_client_opts_init(&to);
	to.psk = &ctrlr->tls_psk;
	/* The identity and the derived keys use the host NQN the Connect sends. */
	to.hostnqn = ctrlr->trid.hostnqn[0] ? ctrlr->trid.hostnqn : ctrlr->opts.host.hostnqn;
	to.subnqn = ctrlr->trid.subnqn;
	to.handshake_timeout_ms = conn_timeout_ms(ctrlr);
	err[0] = '\0';
	rc = nvme_tls()->client(qp->sock, &to, err, sizeof(err));
	if (rc != 0) {
		nvme_qpair_connect_fail(qp, rc, "TLS setup failed: %s", err[0] ? err :
					strerror(-rc));
		return rc;
	}
	qp->conn_state = NVME_CONN_TLS;
	/* The handshake gets the whole connect timeout of its own. */
	qp->deadline = nvme_ticks() + nvme_ms_to_ticks(conn_timeout_ms(ctrlr));
	return -EAGAIN;
}

static int
conn_poll_sock(struct nvtcp_qpair *qp)
{
	struct nvtcp_ctrlr *ctrlr = qp->ctrlr;
	int rc;

	rc = nvtcp_sock_connect_poll(qp->sock);
	if (rc == -EINPROGRESS && nvme_ticks() > qp->deadline) {
		rc = -ETIMEDOUT;
	}
	if (rc == -EINPROGRESS) {
		return -EAGAIN;
	}
	if (rc != 0) {
		nvme_qpair_connect_fail(qp, rc, "TCP connect to %s:%s failed: %s",
					ctrlr->trid.traddr, ctrlr->trid.trsvcid, strerror(-rc));
		return rc;
	}
	if (ctrlr->tls) {
		rc = conn_start_tls(qp);
		if (rc != -EAGAIN) {
			return rc;
		}
		/* Send the ClientHello now rather than one poll later. */
		return conn_poll_tls(qp);
	}
	return conn_send_icreq(qp);
}

/* Never a plaintext fallback: any failure here fails the connection (and the attach, or the
 * reconnect attempt, with the reason). */
static int
conn_poll_tls(struct nvtcp_qpair *qp)
{
	const char *cipher;
	char err[128];
	int rc;

	err[0] = '\0';
	rc = nvme_tls()->poll(qp->sock, err, sizeof(err));
	if (rc == 0 && nvme_ticks() > qp->deadline) {
		nvme_qpair_connect_fail(qp, -ETIMEDOUT, "TLS handshake failed: timed out (%u ms)",
					conn_timeout_ms(qp->ctrlr));
		return -ETIMEDOUT;
	}
	if (rc == 0) {
		return -EAGAIN;
	}
	if (rc < 0) {
		nvme_qpair_connect_fail(qp, rc, "TLS handshake failed: %s", err[0] ? err :
					strerror(-rc));
		return rc;
	}
	cipher = nvme_tls()->cipher(qp->sock);
	snprintf(qp->tls_cipher, sizeof(qp->tls_cipher), "%s", cipher != NULL ? cipher :
		 "unknown");
	NVME_QP_INFOLOG(qp, "TLS established (%s)\n", qp->tls_cipher);
	return conn_send_icreq(qp);
}

static int
conn_poll_wait(struct nvtcp_qpair *qp)
{
	struct nvtcp_ctrlr *ctrlr = qp->ctrlr;

	if (nvme_ticks() > qp->deadline) {
		uint64_t ms = qp->conn_state == NVME_CONN_ICRESP ? ctrlr->opts.icresp_timeout_ms :
			      nvme_ticks_to_ms(nvme_ctrlr_cmd_timeout_ticks(ctrlr));

		nvme_qpair_connect_fail(qp, -ETIMEDOUT, "timed out %s (%llu ms)",
					conn_state_str(qp->conn_state), (unsigned long long)ms);
		return -ETIMEDOUT;
	}
	return -EAGAIN;
}

int
nvme_qpair_connect_poll(struct nvtcp_qpair *qp)
{
	switch (qp->conn_state) {
	case NVME_CONN_SOCK:
		return conn_poll_sock(qp);
	case NVME_CONN_TLS:
		return conn_poll_tls(qp);
	case NVME_CONN_ICRESP:
	case NVME_CONN_CONNECT:
		return conn_poll_wait(qp);
	case NVME_CONN_AUTH:
		return nvme_auth_connect_poll(qp);
	case NVME_CONN_DONE:
		return 0;
	case NVME_CONN_FAILED:
		return qp->fail_rc != 0 ? qp->fail_rc : -EIO;
	default:
		return -EINVAL;
	}
}
