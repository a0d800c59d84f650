#!/usr/bin/env python3
"""A greedy NVMe/TCP host (Python standard library only), for test/functional/tgt_limits.sh.

It takes everything a target lets one host have, in this order, and reports what it got and
how each step ended:
  1. an admin queue, enabled, asking for 64 I/O queues;
  2. I/O queues 1, 2, ... of --sqsize entries; a queue refused with Connect Invalid
     Parameters on SQSIZE is asked again with --small-sqsize entries; it stops at the first
     other refusal (or when the grant is used up);
  3. more controllers (admin queues) until one is refused;
  4. bare connections (ICReq only, never a Connect) until the target closes one at accept.
Every refused Connect is reported with its status; connections stay open until a line is
read on stdin (or stdin closes), so the caller can measure the target while it holds them.

Output: one "key value" line per fact, e.g. "io_queues 8", "io_refusal 0x4181",
then "holding" when everything is open. Exit 0 when it ran (whatever it got), 1 on a
protocol error.
"""
import argparse
import socket
import struct
import sys
import uuid

ICREQ, ICRESP, C2H_TERM, CAPSULE_CMD, CAPSULE_RESP = 0, 1, 3, 4, 5
SGL_INCAPSULE, SGL_TRANSPORT = 0x01, 0x5A
PROP_CC, PROP_CSTS = 0x14, 0x1C
CC_ENABLE = 1 | (6 << 16) | (4 << 20)
SC_INVALID_PARAMETERS = 0x82


class Closed(Exception):
    """The target closed the connection."""


class Conn:
    def __init__(self, addr, port, src, timeout):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.bind((src, 0))
        self.sock.connect((addr, port))
        self.cid = 0

    def close(self):
        self.sock.close()

    def recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed()
            buf += chunk
        return bytes(buf)

    def recv_pdu(self):
        ch = self.recv_exact(8)
        ptype, _, hlen, _, plen = struct.unpack("<BBBBI", ch)
        if hlen < 8 or plen < hlen or plen > (1 << 24):
            raise RuntimeError("bad PDU header type %d hlen %d plen %d" % (ptype, hlen, plen))
        pdu = ch + self.recv_exact(plen - 8)
        if ptype == C2H_TERM:
            raise RuntimeError("C2HTermReq: FES %d" % struct.unpack_from("<H", pdu, 8)[0])
        return ptype, pdu

    def icreq(self):
        try:
            self.sock.sendall(struct.pack("<BBBBIHBBI112x", ICREQ, 0, 128, 0, 128, 0, 0, 0, 0))
        except (BrokenPipeError, ConnectionResetError):
            raise Closed()
        ptype, _ = self.recv_pdu()
        if ptype != ICRESP:
            raise RuntimeError("expected ICResp, got PDU type %d" % ptype)

    def command(self, opc, tail, fctype=None, nsid=0, icd=b""):
        """Send a command (no data or in-capsule data); return (status, cdw0)."""
        self.cid = (self.cid + 1) & 0xFFFF
        if fctype is None:
            head = struct.pack("<BBHI", opc, 0x40, self.cid, nsid)
        else:
            head = struct.pack("<BBHB3x", opc, 0x40, self.cid, fctype)
        sgl = struct.pack("<QI3xB", 0, len(icd), SGL_INCAPSULE if icd else SGL_TRANSPORT)
        sqe = head + bytes(16) + sgl + tail
        pdo = 72 if icd else 0
        self.sock.sendall(struct.pack("<BBBBI", CAPSULE_CMD, 0, 72, pdo, 72 + len(icd)) +
                          sqe + icd)
        ptype, pdu = self.recv_pdu()
        if ptype != CAPSULE_RESP:
            raise RuntimeError("expected CapsuleResp, got PDU type %d" % ptype)
        result, _, _, cid, st = struct.unpack_from("<QHHHH", pdu, 8)
        if cid != self.cid:
            raise RuntimeError("CapsuleResp for cid %d, expected %d" % (cid, self.cid))
        return st >> 1, result & 0xFFFFFFFF

    def connect(self, subnqn, hostnqn, hostid, qid, sqsize, cntlid=0xFFFF):
        data = bytearray(1024)
        data[0:16] = hostid.bytes
        struct.pack_into("<H", data, 16, cntlid)
        data[256:256 + len(subnqn)] = subnqn.encode()
        data[512:512 + len(hostnqn)] = hostnqn.encode()
        tail = struct.pack("<HHHBxI12x", 0, qid, sqsize - 1, 0, 0)
        return self.command(0x7F, tail, fctype=0x01, icd=bytes(data))

    def prop_set(self, offset, value):
        st, _ = self.command(0x7F, struct.pack("<B3xIQ8x", 0, offset, value), fctype=0x00)
        if st:
            raise RuntimeError("Property Set 0x%x: status 0x%x" % (offset, st))

    def prop_get(self, offset):
        st, v = self.command(0x7F, struct.pack("<B3xI16x", 0, offset), fctype=0x04)
        if st:
            raise RuntimeError("Property Get 0x%x: status 0x%x" % (offset, st))
        return v


def status_desc(st):
    """SCT/SC/DNR of a 15-bit status (without phase) as 0xSSSS."""
    return "0x%04x" % st


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--src", default="127.0.0.1", help="source address to bind")
    ap.add_argument("--subnqn", required=True)
    ap.add_argument("--hostnqn", required=True)
    ap.add_argument("--sqsize", type=int, default=128, help="I/O queue entries")
    ap.add_argument("--small-sqsize", type=int, default=16)
    ap.add_argument("--max-conns", type=int, default=4096, help="safety stop")
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()
    hostid = uuid.uuid4()
    conns = []

    def new_conn():
        c = Conn(a.addr, a.port, a.src, a.timeout)
        conns.append(c)
        c.icreq()
        return c

    def say(k, v):
        print("%s %s" % (k, v), flush=True)

    # 1. Admin queue, enabled, 64 I/O queues asked for.
    adm = new_conn()
    st, cntlid = adm.connect(a.subnqn, a.hostnqn, hostid, 0, 32)
    if st:
        raise RuntimeError("admin Connect refused: status %s" % status_desc(st))
    adm.prop_set(PROP_CC, CC_ENABLE)
    while not adm.prop_get(PROP_CSTS) & 1:
        pass
    st, granted = adm.command(0x09, struct.pack("<6I", 0x07, (63 << 16) | 63, 0, 0, 0, 0))
    nq = (granted & 0xFFFF) + 1 if st == 0 else 0
    say("granted", nq)
    # 2. Every I/O queue it may have.
    ioq = big = 0
    for qid in range(1, nq + 1):
        c = new_conn()
        st, _ = c.connect(a.subnqn, a.hostnqn, hostid, qid, a.sqsize, cntlid)
        if st == 0:
            big += 1
        elif (st & 0xFF) == SC_INVALID_PARAMETERS and ((st >> 8) & 7) == 1:
            say("io_large_refusal", status_desc(st))
            st, _ = c.connect(a.subnqn, a.hostnqn, hostid, qid, a.small_sqsize, cntlid)
        if st != 0:
            say("io_refusal", status_desc(st))
            break
        ioq += 1
    say("io_queues", ioq)
    say("io_queues_large", big)
    # 3. More controllers until refused.
    ctrlrs = 1
    while len(conns) < a.max_conns:
        c = new_conn()
        st, _ = c.connect(a.subnqn, a.hostnqn, hostid, 0, 32)
        if st != 0:
            say("ctrlr_refusal", status_desc(st))
            break
        ctrlrs += 1
    say("controllers", ctrlrs)
    # 4. Bare connections until one is closed at accept.
    while len(conns) < a.max_conns:
        try:
            new_conn()
        except (Closed, ConnectionRefusedError):
            conns.pop().close()
            say("accept_refused", "yes")
            break
    say("connections", len(conns))
    say("holding", "yes")
    sys.stdin.readline()
    for c in conns:
        c.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError, Closed) as e:
        print("error %s" % (e or "the target closed a connection"), file=sys.stderr,
              flush=True)
        sys.exit(1)
