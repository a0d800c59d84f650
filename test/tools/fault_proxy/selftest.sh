#!/usr/bin/env bash
# End-to-end self-test of fault_proxy with real NVMe/TCP traffic: the nvtcp host (bt_host)
# talks to bad_target (behaving, --case none) through the proxy.
#
#   - shaping only (split into 1..64-byte sends with random delays; coalescing; a 4 KiB buffer
#     that forces back-pressure): every I/O must succeed and verify, the proxy must have framed
#     every PDU of both directions (no lost framing) and counted what it did;
#   - a bit flip in C2HData data with data digests on: the host must fail with a data digest
#     error; the proxy's log must name the flip (connection, direction, offset, region);
#   - a bit flip in a PDU header (not the common header) with header digests on: the host must
#     fail with a header digest error;
#   - the same flip schedule and seed twice on a deterministic workload: the same flip, at the
#     same offset and bit (reproducibility);
#   - a dropped connection (RST after 256 KiB): the host fails the queue pair with a clear
#     line, or recovers; never a hang or a crash;
#   - stalls shorter than every timeout: the run still succeeds.
#
#   BUILD_DIR=build-san test/tools/fault_proxy/selftest.sh   (the tools under sanitizers)
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
FP=${FP:-$BUILD_DIR/test/tools/fault_proxy}
BT=${BT:-$BUILD_DIR/test/tools/bad_target}
BH=${BH:-$BUILD_DIR/test/tools/bt_host}
NQN=nqn.2016-06.io.nvtcp:bad-target
WORK=$(mktemp -d -t nvtcp-fpself.XXXXXX)
BT_PID=
FP_PID=
FAILS=0

cleanup() {
	for p in $FP_PID $BT_PID; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

for b in "$FP" "$BT" "$BH"; do
	if [ ! -x "$b" ]; then
		echo "FAIL: $b is missing (make -C test/tools)"
		exit 1
	fi
done

# wait_ready file pattern: the port from a ready line.
wait_ready() {
	local file=$1 re=$2 port
	for _ in $(seq 200); do
		port=$(sed -n "s/$re/\\1/p" "$file" 2>/dev/null | head -n1)
		if [ -n "$port" ]; then
			echo "$port"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

bt_start() {
	"$BT" --listen 127.0.0.1:0 --subnqn "$NQN" --c2h-chunk 16k > "$WORK/bt.log" 2>&1 &
	BT_PID=$!
	BT_PORT=$(wait_ready "$WORK/bt.log" '^bad_target: ready: listening on 127.0.0.1:\([0-9]*\) .*') || {
		echo "FAIL: bad_target did not start"
		exit 1
	}
}

# fp_start name args...: a proxy in front of bad_target; sets FP_PORT.
fp_start() {
	local name=$1
	shift
	FP_NAME=$name
	"$FP" --listen 127.0.0.1:0 --connect "127.0.0.1:$BT_PORT" --json "$WORK/$name.json" \
		--log "$WORK/$name.fplog" "$@" > "$WORK/$name.fpout" 2>&1 &
	FP_PID=$!
	FP_PORT=$(wait_ready "$WORK/$name.fpout" '^fault_proxy: ready: listening on 127.0.0.1:\([0-9]*\) .*') || {
		echo "FAIL: fault_proxy did not start:"
		tail -5 "$WORK/$name.fpout"
		exit 1
	}
}

# fp_stop: SIGTERM; the proxy must exit 0 with its summary, and without a sanitizer report.
fp_stop() {
	local rc name=$FP_NAME
	kill -TERM "$FP_PID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$FP_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$FP_PID" 2>/dev/null
	wait "$FP_PID"
	rc=$?
	FP_PID=
	check "proxy exited cleanly (exit $rc) with its summary and JSON" \
		test "$rc" = 0 -a -s "$WORK/$name.json"
	check "no sanitizer report from the proxy" \
		not_grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/$name.fpout"
	grep -q '^SUMMARY ' "$WORK/$name.fpout" || {
		echo "  FAIL: no SUMMARY line"
		FAILS=$((FAILS + 1))
	}
}

not_grep() { ! grep -q "$@"; }

# host name args...: bt_host through the proxy; sets HOST_RC.
host() {
	local name=$1
	shift
	timeout -k 5 90 "$BH" -r "traddr:127.0.0.1 trsvcid:$FP_PORT subnqn:$NQN" --deadline 45 "$@" \
		> "$WORK/$name.host" 2>&1
	HOST_RC=$?
}

check() { # description, command...
	local what=$1
	shift
	if "$@"; then
		echo "  ok: $what"
	else
		echo "  FAIL: $what"
		FAILS=$((FAILS + 1))
	fi
}

json() { # file key: a top-level number of the JSON summary
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"
}

bt_start

echo "== shaping: split 1..64 bytes with 0..300 us delays, both directions"
fp_start split --seed 7 --split 1-64 --delay-us 0-300
host split -n 400 -q 8 --min-size 512 --max-size 32k
fp_stop
check "host succeeded through split/delayed segments (exit $HOST_RC)" test "$HOST_RC" = 0
check "proxy framed every PDU (no lost framing)" \
	test "$(json "$WORK/split.json" framing_lost_h2c)$(json "$WORK/split.json" framing_lost_c2h)" = 00
check "proxy saw CapsuleCmd, CapsuleResp and C2HData" test \
	"$(json "$WORK/split.json" pdus_h2c.CapsuleCmd)" -gt 0 -a \
	"$(json "$WORK/split.json" pdus_c2h.CapsuleResp)" -gt 0 -a \
	"$(json "$WORK/split.json" pdus_c2h.C2HData)" -gt 0
check "proxy saw R2Ts and H2CData (writes above the in-capsule size)" test \
	"$(json "$WORK/split.json" pdus_c2h.R2T)" -gt 0 -a \
	"$(json "$WORK/split.json" pdus_h2c.H2CData)" -gt 0
check "split sends and delayed chunks were counted" test \
	"$(json "$WORK/split.json" split_sends)" -gt 1000 -a \
	"$(json "$WORK/split.json" delayed_chunks)" -gt 0
check "no fault was injected" test "$(json "$WORK/split.json" faults_total)" = 0

echo "== shaping: coalescing into 64 KiB batches, and a 4 KiB buffer (back-pressure)"
fp_start coalesce --seed 7 --coalesce 64k:1
host coalesce -n 300 -q 8
fp_stop
check "host succeeded through coalesced segments (exit $HOST_RC)" test "$HOST_RC" = 0
check "coalesced sends were counted" test "$(json "$WORK/coalesce.json" coalesced_sends)" -gt 0
# Stalls make the destination stop draining: the 4 KiB ring fills and its source waits.
fp_start tiny --seed 7 --buffer-size 4k --stall-every 50-100:20
host tiny --seconds 2 -q 8 --min-size 32k --max-size 128k
fp_stop
check "host succeeded through a 4 KiB proxy buffer with stalls (exit $HOST_RC)" test "$HOST_RC" = 0
check "back-pressure engaged" test "$(json "$WORK/tiny.json" backpressure_waits)" -gt 0

echo "== a flip in C2HData data, data digests on"
fp_start ddflip --seed 11 --flip-every-bytes 128k@c2h --flip-where data --flip-pdu C2HData \
	--only-after-bytes 64k
host ddflip -H -I -n 2000 -q 1
fp_stop
# A Read whose data digest fails is sent again by the driver (up to 3 times), so the host
# recovers from a lone flip.
check "host recovered by re-sending the read (exit $HOST_RC, expected 0)" test "$HOST_RC" = 0
check "host named a data digest error" grep -q -i 'data digest' "$WORK/ddflip.host"
check "proxy logged the flip with connection, direction, offset and region" \
	grep -q -E '^FAULT #1 .*conn=[0-9]+ dir=c2h kind=flip off=[0-9]+ pdu=[0-9]+ type=C2HData region=data' \
	"$WORK/ddflip.fplog"
check "the JSON summary counts it" test "$(json "$WORK/ddflip.json" flips_by_region.data)" -ge 1

echo "== the same flip schedule twice (seed 11, one command at a time): the same flip"
fp_start ddflip2 --seed 11 --flip-every-bytes 128k@c2h --flip-where data --flip-pdu C2HData \
	--only-after-bytes 64k
host ddflip2 -H -I -n 2000 -q 1
fp_stop
# Where and which bit, not the byte values: those are the namespace's data, which the first run
# rewrote (its host now recovers from the flips and goes on writing).
first() { grep -m1 '^FAULT #1 ' "$1" | sed 's/ t=[0-9.]*//; s/ 0x[0-9a-f]*->0x[0-9a-f]*$//'; }
check "reproduced: $(first "$WORK/ddflip.fplog" | cut -c1-90)..." \
	test "$(first "$WORK/ddflip.fplog")" = "$(first "$WORK/ddflip2.fplog")" -a \
	-n "$(first "$WORK/ddflip.fplog")"

echo "== a flip in a PDU header (not the common header), header digests on"
fp_start hdflip --seed 3 --flip-every-bytes 64k@c2h --flip-where psh --only-after-bytes 32k
host hdflip -H -n 2000 -q 4
fp_stop
check "host failed (exit $HOST_RC, expected 1)" test "$HOST_RC" = 1
check "host named a header digest error" grep -q -i 'header digest' "$WORK/hdflip.host"
check "proxy logged a flip in region psh" grep -q -E '^FAULT .*kind=flip .*region=psh' \
	"$WORK/hdflip.fplog"

echo "== a dropped connection (RST after 256 KiB)"
fp_start reset --seed 5 --reset-after-bytes 256k --reset-how rst --only-after-bytes 1
host reset -n 5000 -q 8
fp_stop
check "proxy logged the reset" grep -q -E '^FAULT .*kind=reset-rst trigger=bytes' "$WORK/reset.fplog"
if ((HOST_RC == 0)); then
	check "host recovered from the drop" grep -q -E 'recoveries [1-9]' "$WORK/reset.host"
else
	check "host failed cleanly (exit $HOST_RC, expected 1; no hang, no crash)" test "$HOST_RC" = 1
	check "host said why (the connection was closed)" \
		grep -q -E 'connection (failed|closed|reset)|closed by the controller|queue pair failed' \
		"$WORK/reset.host"
fi

echo "== stalls of 100 ms every 300..500 ms, both directions"
fp_start stall --seed 9 --stall-every 300-500:100
host stall --seconds 3 -q 8
fp_stop
check "host succeeded despite the stalls (exit $HOST_RC)" test "$HOST_RC" = 0
check "stalls were injected and logged" grep -q -E '^FAULT .*kind=stall trigger=timer' \
	"$WORK/stall.fplog"

echo "== robustness: garbage streams, refused upstreams, too many connections"
fp_start garbage --seed 1 --max-conns 3 --split 1-300
python3 - "$FP_PORT" > "$WORK/garbage.py.out" 2>&1 <<'PY'
import os, socket, sys, time
port = int(sys.argv[1])
socks = []
# Five connections against --max-conns 3: two are reset; the others carry random bytes that
# are no NVMe/TCP stream at all (bad_target answers with a TermReq and closes).
for i in range(5):
    s = socket.create_connection(("127.0.0.1", port))
    socks.append(s)
    time.sleep(0.05)
# The first header claims plen 4, which no PDU can have: the proxy's tracker loses the
# framing there for sure (random bytes alone may look like one very long PDU).
for s in socks:
    try:
        s.sendall(bytes([4, 0, 72, 0, 4, 0, 0, 0]) + os.urandom(65536))
    except OSError:
        pass
for s in socks:
    s.settimeout(5)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()
print("garbage client done")
PY
sleep 0.3
fp_stop
check "the garbage client finished" grep -q 'garbage client done' "$WORK/garbage.py.out"
check "two connections refused (--max-conns 3)" test "$(json "$WORK/garbage.json" refused)" = 2
check "the proxy lost the framing of garbage and said so" \
	test "$(json "$WORK/garbage.json" framing_lost_h2c)" -ge 1

"$FP" --listen 127.0.0.1:0 --connect 127.0.0.1:1 --json "$WORK/refused.json" \
	> "$WORK/refused.fpout" 2>&1 &
FP_PID=$!
FP_NAME=refused
FP_PORT=$(wait_ready "$WORK/refused.fpout" '^fault_proxy: ready: listening on 127.0.0.1:\([0-9]*\) .*')
python3 -c 'import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])))
s.settimeout(5)
try:
    print("read", len(s.recv(10)))
except OSError as e:
    print("error", e)' "$FP_PORT" > "$WORK/refused.py.out" 2>&1
fp_stop
check "an upstream that refuses is counted, the client is closed" \
	test "$(json "$WORK/refused.json" upstream_failures)" = 1

kill -TERM "$BT_PID" 2>/dev/null
wait "$BT_PID"
bt_rc=$?
check "bad_target exited cleanly (exit $bt_rc)" test "$bt_rc" = 0
check "no sanitizer report from bad_target" \
	not_grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/bt.log"
BT_PID=

echo
if ((FAILS > 0)); then
	echo "fault_proxy selftest: $FAILS check(s) failed; logs:"
	for f in "$WORK"/*.host "$WORK"/*.fplog; do
		echo "---- $f"
		tail -n 6 "$f"
	done
	exit 1
fi
echo "fault_proxy selftest: PASS"
