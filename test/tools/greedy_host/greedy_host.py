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

With --auth-flood N it is instead a hostile host against a subsystem that requires DH-HMAC-CHAP
(test/functional/tgt_auth_host.sh): N admin-queue Connects, one after the other (--interval
apart); each one
that the target accepts (AUTHREQ.ATR set) then stalls without ever finishing its
transaction, in turn: sending nothing; sending AUTH_Negotiate (every hash and group: the
target picks its costliest allowed) and never reading the Challenge; or reading the Challenge and
never replying. Stalled connections are held until the target closes them (after the last
attempt, at most --hold seconds more). Output: "key value" lines: attempts, accepted (ATR
set), closed (by the target), max_hold_ms (longest time until the target closed a stalled
connection), still_open (left open by the target after --hold: should be 0), then
refused_STATUS counts (0x4181: Connect Controller Busy, DNR).
"""
import argparse
import select
import socket
import struct
import sys
import time
import uuid

ICREQ, ICRESP, C2H_TERM, CAPSULE_CMD, CAPSULE_RESP, C2H_DATA = 0, 1, 3, 4, 5, 7
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

    def auth_send(self, msg):
        """Authentication Send (SECP E9h, SPSP 01h/01h) of msg, in-capsule."""
        tail = struct.pack("<BBBBI16x", 0, 1, 1, 0xE9, len(msg))
        return self.command(0x7F, tail, fctype=0x05, icd=msg)

    def auth_receive(self, alen):
        """Authentication Receive of alen bytes: (status, data)."""
        self.cid = (self.cid + 1) & 0xFFFF
        head = struct.pack("<BBHB3x", 0x7F, 0x40, self.cid, 0x06)
        sgl = struct.pack("<QI3xB", 0, alen, SGL_TRANSPORT)
        tail = struct.pack("<BBBBI16x", 0, 1, 1, 0xE9, alen)
        self.sock.sendall(struct.pack("<BBBBI", CAPSULE_CMD, 0, 72, 0, 72) + head +
                          bytes(16) + sgl + tail)
        data = b""
        while True:
            ptype, pdu = self.recv_pdu()
            if ptype == C2H_DATA:
                flags, _, pdo = pdu[1], pdu[2], pdu[3]
                data += pdu[pdo:]
                if flags & 0x08:  # SUCCESS: no CapsuleResp follows
                    return 0, data
            elif ptype == CAPSULE_RESP:
                st = struct.unpack_from("<H", pdu, 8 + 14)[0]
                return st >> 1, data
            else:
                raise RuntimeError("unexpected PDU type %d" % ptype)

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


# AUTH_Negotiate: SC_C 0, one DH-HMAC-CHAP descriptor offering every hash and DH group,
# strongest first (as a real host does): the target picks the costliest its settings allow.
NEGOTIATE = (struct.pack("<BBHHBB", 0x00, 0x00, 0, 1, 0, 1) +
             struct.pack("<BBBB", 0x01, 0, 3, 6) + bytes([3, 2, 1]) + bytes(27) +
             bytes([5, 4, 3, 2, 1, 0]) + bytes(24))
assert len(NEGOTIATE) == 72


def auth_flood(a, hostid, say):
    """--auth-flood: see the module's docstring."""
    stats = {"attempts": 0, "accepted": 0, "closed": 0, "max_hold_ms": 0, "still_open": 0}
    refused = {}
    held = []

    def reap(wait):
        """Count the held connections the target has closed (waiting up to wait s)."""
        if not held:
            return
        r, _, _ = select.select([c.sock for c, _ in held], [], [], wait)
        for c, t in list(held):
            if c.sock not in r:
                continue
            try:
                data = c.sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                stats["closed"] += 1
                stats["max_hold_ms"] = max(stats["max_hold_ms"],
                                           int((time.monotonic() - t) * 1000))
                c.close()
                held.remove((c, t))

    def refuse(key):
        refused[key] = refused.get(key, 0) + 1

    # One attempt after another, as fast as the target answers: the stalled ones occupy
    # every authentication slot the target gives this address, the others are refused.
    while stats["attempts"] < a.auth_flood:
        reap(a.interval)
        stats["attempts"] += 1
        c = Conn(a.addr, a.port, a.src, a.timeout)
        try:
            c.icreq()
            st, cdw0 = c.connect(a.subnqn, a.hostnqn, hostid, 0, 32)
            if st != 0 or not cdw0 & (1 << 17):
                refuse(status_desc(st) if st else "no_atr")
                c.close()
                continue
            stats["accepted"] += 1
            kind = stats["accepted"] % 3
            if kind >= 1:
                # Negotiate: the target answers the Send once it has the message.
                st, _ = c.auth_send(NEGOTIATE)
                if st:
                    raise RuntimeError("AUTH_Negotiate: status 0x%04x" % st)
            if kind == 2:
                st, msg = c.auth_receive(2048)
                if st or len(msg) < 2 or msg[1] != 0x01:
                    raise RuntimeError("no DH-HMAC-CHAP_Challenge (status 0x%04x)" % st)
        except Closed:
            refuse("closed")
            c.close()
            continue
        held.append((c, time.monotonic()))
    deadline = time.monotonic() + a.hold
    while held and time.monotonic() < deadline:
        reap(0.05)
    stats["still_open"] = len(held)
    for c, _ in held:
        c.close()
    for k, v in stats.items():
        say(k, v)
    for k, v in sorted(refused.items()):
        say("refused_" + k, v)
    return 0


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
    ap.add_argument("--auth-flood", type=int, metavar="N",
                    help="hostile host: N stalled DH-HMAC-CHAP authentications (see above)")
    ap.add_argument("--interval", type=float, default=0.0,
                    help="--auth-flood: seconds between attempts (0: as fast as possible)")
    ap.add_argument("--hold", type=float, default=30.0,
                    help="--auth-flood: longest wait, after the last attempt, for the target "
                         "to close the stalled connections")
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

    if a.auth_flood is not None:
        return auth_flood(a, hostid, say)

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
