/*
 * A small blocking NVMe/TCP host for the target's functional tests (tgt_host.c): framing by
 * lib/tcp, plain blocking sockets, one command table per queue. It can also send raw bytes,
 * so that the garbage tests can break every rule on purpose.
 */
#ifndef TGT_HOST_H
#define TGT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvtcp/nvme_spec.h"
#include "nvtcp/tcp_pdu.h"

#define TH_MAX_CMDS 256

struct th_cmd {
	bool busy;
	bool done;
	bool ddgst_error;       /* a C2HData data digest did not match */
	bool success_flag;      /* completed by C2HData SUCCESS */
	struct nvtcp_nvme_cmd sqe;
	uint8_t *buf;
	uint32_t len;
	uint32_t c2h_bytes;
	struct nvtcp_nvme_cpl cpl;
	/* A second CapsuleResp with this CID (duplicate CID tests). */
	bool allow_dup;
	bool dup_done;
	struct nvtcp_nvme_cpl dup_cpl;
	/* R2T handling test knobs. */
	int h2c_corrupt_ddgst;  /* send a wrong data digest on the first H2CData */
};

struct th_queue {
	int fd;
	/* TLS (th_tls.c): an OpenSSL SSL * carrying every PDU once set; NULL = plaintext. */
	void *ssl;
	char name[32];
	uint16_t qid;
	uint16_t cntlid;
	uint16_t next_cid;
	bool hdgst_req;
	bool ddgst_req;
	struct nvtcp_tcp_params params;
	uint32_t cpda;
	struct nvtcp_tcp_rx rx;
	struct nvtcp_sock_rxbuf rb;
	struct th_cmd cmds[TH_MAX_CMDS];
	/* A C2HTermReq arrived. */
	bool term;
	uint16_t term_fes;
	uint32_t term_fei;
	bool closed;            /* the target closed the connection */
	bool failed;            /* our own protocol error */
	int timeout_ms;
	uint32_t r2ts;
	uint32_t last_r2tl;
};

/* Connect TCP and exchange ICReq/ICResp (digests requested as asked). */
int th_open(struct th_queue *q, const char *addr, const char *port, bool hdgst, bool ddgst,
	    const char *name);
/* Exchange ICReq/ICResp on an open queue (after th_open_raw, or th_tls_start). */
int th_icreq(struct th_queue *q, bool hdgst, bool ddgst);
/* Connect TCP only (no ICReq). */
int th_open_raw(struct th_queue *q, const char *addr, const char *port, const char *name);
void th_close(struct th_queue *q);
/* Send raw bytes. */
int th_send_raw(struct th_queue *q, const void *buf, size_t len);
/* Wait for the target to close the connection (true) within timeout_ms. */
bool th_wait_closed(struct th_queue *q, int timeout_ms);
/* Wait for a C2HTermReq (and then the close); true when one came. */
bool th_wait_term(struct th_queue *q, int timeout_ms);

/* Submit a command: data is in-capsule when \p incapsule (host to controller only). Returns
 * the CID, or -1. The SQE's CID and SGL are filled in. */
int th_submit(struct th_queue *q, const struct nvtcp_nvme_cmd *sqe, void *buf, uint32_t len,
	      bool incapsule);
/* Wait for a command: 0 done (cpl in *cpl), -1 on timeout/close/TermReq. */
int th_wait(struct th_queue *q, int cid, struct nvtcp_nvme_cpl *cpl);
/* Submit and wait. Returns the status word, or -1. */
int th_exec(struct th_queue *q, const struct nvtcp_nvme_cmd *sqe, void *buf, uint32_t len,
	    bool incapsule, struct nvtcp_nvme_cpl *cpl);
/* Process input until nothing arrives for timeout_ms or every command is done. */
int th_poll(struct th_queue *q, int timeout_ms);

/*
 * TLS 1.3 with a PSK (th_tls.c), for the tests of the target's secure channel: the handshake
 * offers the identity "NVMe0R0H <id_hostnqn> <id_subnqn>" and the TLS PSK derived from
 * \p psk_path's key for it, whatever NQNs the queue's Connect later names. On an open raw
 * queue; after it every PDU goes through TLS. 0, or -1 with the reason on stderr.
 */
int th_tls_start(struct th_queue *q, const char *psk_path, const char *id_hostnqn,
		 const char *id_subnqn);
/* Write raw bytes to the TCP socket under TLS (a broken record, for the close tests). */
int th_send_wire(struct th_queue *q, const void *buf, size_t len);
/* TLS-aware I/O of th_queue.c (th_tls.c). */
ssize_t th_tls_read(struct th_queue *q, void *buf, size_t len);
int th_tls_write(struct th_queue *q, const void *buf, size_t len);
bool th_tls_pending(struct th_queue *q);
void th_tls_free(struct th_queue *q);

/* Fabrics helpers; return the status word (0 = success) or -1. */
int th_fabrics_connect(struct th_queue *q, uint16_t qid, uint16_t sqsize, const char *subnqn,
		       const char *hostnqn, const uint8_t hostid[16], uint16_t cntlid,
		       uint32_t kato, uint8_t cattr, struct nvtcp_nvme_cpl *cpl);
int th_prop_get(struct th_queue *q, uint32_t ofst, bool size8, uint64_t *val);
int th_prop_set(struct th_queue *q, uint32_t ofst, uint32_t val);
/* CC.EN with the NVM entry sizes, then wait for CSTS.RDY (or CFS). */
int th_enable(struct th_queue *q, uint32_t cc);
int th_shutdown(struct th_queue *q);
int th_identify(struct th_queue *q, uint8_t cns, uint32_t nsid, void *buf);
int th_get_log(struct th_queue *q, uint8_t lid, uint32_t nsid, bool rae, void *buf, uint32_t len,
	       uint64_t off);

/* The "tls" mode (tgt_host_tls.c): argv as main's. */
int tgt_host_tls_main(int argc, char **argv);

/* The host identity used by the tests. */
extern const char *th_hostnqn;
extern uint8_t th_hostid[16];

#endif
