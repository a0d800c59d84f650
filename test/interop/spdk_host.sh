#!/usr/bin/env bash
# Interop: SPDK v24.01's stock host tools (spdk_nvme_identify, spdk_nvme_discover,
# spdk_nvme_perf from ../shared/peers/spdk, run through its `run` script) against nvtcp_tgt.
#
# The target (core 0) serves:
#   $NQN       any host: ns 1 malloc 64 MiB, ns 2 a 32 MiB file (4 KiB blocks);
#   $NQN_PRIV  only $HOSTNQN: ns 1 malloc 16 MiB;
# on 127.0.0.1:$SPDK_HOST_PORT, plus discovery on $SPDK_HOST_DISC_PORT (5310/5311 by default).
# Checks, with the SPDK tools on core 1:
#   1. identify without hostnqn: (SPDK then sends an EMPTY host NQN): serial, model, health log,
#      no error; the target logs the empty host NQN once, naming the peer;
#   2. identify with hostnqn: on $NQN_PRIV works; without it, it is refused, with a clear
#      target log line;
#   3. identify of the discovery NQN on the discovery port and spdk_nvme_discover (with and
#      without -H): the log lists $NQN on both listeners and $NQN_PRIV only for $HOSTNQN;
#   4. spdk_nvme_perf randrw 4 KiB, without and with header+data digests (-H -I), and 128 KiB
#      (R2T) with digests: exit 0, IOPS > 0, no I/O error; the target's read/write counters
#      (SIGUSR1 statistics) grew by what perf reports (IOPS x time), 0 digest/protocol errors;
#      perf without subnqn attaches through the discovery log to $NQN on both listeners only;
#   5. data: spdk_nvme_perf has no verify option, so writes are checked on the file behind
#      ns 2: perf fills each write buffer with one byte (1..8), so every 4 KiB block of the
#      file must be all zero or one such byte throughout (a torn, shifted or misplaced
#      transfer breaks that); reads of those blocks with the data digest are checked by SPDK
#      (CRC32C of every C2HData PDU), which is all SPDK can verify of read data;
#   6. the target stops cleanly.
# Exit 0 pass, 1 fail. A peer that cannot run is a failure (NVTCP_SKIP_INTEROP=1: SKIPPED).
#
# Env: SPDK_HOST_PORT (5310), SPDK_HOST_DISC_PORT (5311), SPDK_PEER (the peer's folder),
#      SPDK_HOST_PERF_TIME (seconds per perf run, default 3), BUILD_DIR.
set -uo pipefail
# shellcheck disable=SC1091  # the helpers, checked on their own
. "$(dirname "$0")/../functional/tgt_lib.sh"
# A runner's timeout (SIGTERM) still runs tgt_lib's EXIT trap, which kills the target.
trap 'exit 1' INT TERM

PORT=${SPDK_HOST_PORT:-5310}
DPORT=${SPDK_HOST_DISC_PORT:-5311}
PERF_TIME=${SPDK_HOST_PERF_TIME:-3}
NQN=nqn.2024-01.io.nvtcp:spdk-host
NQN_PRIV=nqn.2024-01.io.nvtcp:spdk-host-private
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:6b1f3c2a-5d4e-4f60-8a7b-9c0d1e2f3a4b
SN=NVTCPSPDKINTEROP01
MN="nvtcp SPDK interop"
TR="trtype:tcp adrfam:ipv4 traddr:127.0.0.1"
# Worktrees live one level deeper than the main checkout; both find ../shared.
if [ -z "${SPDK_PEER:-}" ]; then
	for d in "$ROOT/../shared/peers/spdk" "$ROOT/../../shared/peers/spdk"; do
		[ -x "$d/run" ] && SPDK_PEER=$d && break
	done
fi
RUN=${SPDK_PEER:-$ROOT/../shared/peers/spdk}/run
if (($(nproc) >= 2)); then
	TOOL_MASK=0x2
else
	TOOL_MASK=0x1
fi

if [ "${NVTCP_SKIP_INTEROP:-0}" = 1 ]; then
	echo "SKIPPED (NVTCP_SKIP_INTEROP=1)"
	exit 0
fi
if [ ! -x "$RUN" ]; then
	log "FAIL: the SPDK peer's run script ($RUN) was not found; set SPDK_PEER"
	exit 1
fi

fail() {
	log "FAIL: $*"
	failures+=("$*")
}

# spdk NAME TMO TOOL ARGS...: run an SPDK tool through the peer, output in $TMP/NAME.out
# (stdout and stderr), status in RC.
spdk() {
	local name=$1 tmo=$2
	shift 2
	log "\$ run $*"
	timeout --kill-after=5 "$tmo" "$RUN" "$@" >"$TMP/$name.out" 2>&1
	RC=$?
	# DPDK's PCI probe of the VM's virtio NIC is noise (the tools do not use PCI here).
	grep -v -e '^EAL: ' -e 'eth_virtio_pci_init' "$TMP/$name.out" >"$TMP/$name.txt"
}

show() { # NAME [LINES]: the tail of a tool's output, indented
	tail -n "${2:-8}" "$TMP/$1.txt" | sed 's/^/    /'
}

has() { # NAME fixed-string
	grep -qF -- "$2" "$TMP/$1.txt"
}

# SPDK's error lines: its logger's *ERROR*, and perf's per-I/O failures.
no_spdk_errors() { # NAME
	if grep -E '\*ERROR\*|completed with error|starting I/O failed|failed with' \
		"$TMP/$1.txt" >"$TMP/$1.err"; then
		fail "$1: SPDK reported errors:"
		sed 's/^/    /' "$TMP/$1.err" | head -n 10
		return 1
	fi
	return 0
}

# The target's cumulative counters (one reactor): "READS WRITES DIGEST_ERRORS PROTO_ERRORS".
tgt_counters() {
	local before n
	before=$(grep -c 'nvtcp_tgt_log_stats: total:' "$TGT_LOG")
	kill -USR1 "$TGT_PID" || return 1
	for _ in $(seq 50); do
		n=$(grep -c 'nvtcp_tgt_log_stats: total:' "$TGT_LOG")
		((n > before)) && break
		sleep 0.1
	done
	grep 'nvtcp_tgt_log_stats: reactor 0 ' "$TGT_LOG" | tail -n 1 | sed -n \
		's/.*commands (\([0-9]*\) reads, \([0-9]*\) writes,.* \([0-9]*\) digest errors, \([0-9]*\) protocol errors.*/\1 \2 \3 \4/p'
}

# perf_run NAME PERF-ARGS...: spdk_nvme_perf for $PERF_TIME s; checks exit status, IOPS,
# errors, and that the target counted what perf reports.
perf_run() {
	local name=$1 c0 c1 iops expect got
	shift
	c0=$(tgt_counters)
	spdk "$name" $((PERF_TIME + 60)) spdk_nvme_perf -c "$TOOL_MASK" -t "$PERF_TIME" "$@"
	show "$name" 4
	c1=$(tgt_counters)
	if [ "$RC" != 0 ]; then
		fail "$name: spdk_nvme_perf exited $RC"
		show "$name" 30
		return 1
	fi
	no_spdk_errors "$name" || return 1
	iops=$(awk '/^Total +:/ {print $3}' "$TMP/$name.txt")
	if [ -z "$iops" ] || ! awk -v i="$iops" 'BEGIN {exit !(i > 0)}'; then
		fail "$name: no positive Total IOPS in perf's output ('$iops')"
		return 1
	fi
	read -r r0 w0 _ _ <<<"$c0"
	read -r r1 w1 d1 p1 <<<"$c1"
	if [ -z "${r0:-}" ] || [ -z "${r1:-}" ]; then
		fail "$name: could not read the target's statistics"
		return 1
	fi
	got=$(((r1 - r0) + (w1 - w0)))
	expect=$(awk -v i="$iops" -v t="$PERF_TIME" 'BEGIN {printf "%d", i * t}')
	log "$name: perf Total $iops IOPS x $PERF_TIME s = $expect I/Os; target counted" \
		"$((r1 - r0)) reads + $((w1 - w0)) writes = $got, $d1 digest errors, $p1 protocol errors"
	# The target also counts I/O in flight at the start and end of perf's window: a queue
	# depth or two, and the ramp-up; a real accounting error is far outside this band.
	if ! awk -v g="$got" -v e="$expect" 'BEGIN {exit !(g >= 0.8 * e - 256 && g <= 1.25 * e + 256)}'; then
		fail "$name: the target counted $got I/Os, perf reports $expect"
	fi
	if [ "$d1" != 0 ] || [ "$p1" != 0 ]; then
		fail "$name: the target counted $d1 digest errors and $p1 protocol errors"
	fi
	case " $* " in
	*" -M 50 "*)
		if ((r1 == r0 || w1 == w0)); then
			fail "$name: a 50/50 mix, but the target saw $((r1 - r0)) reads, $((w1 - w0)) writes"
		fi
		;;
	esac
	return 0
}

truncate -s 32M "$TMP/ns2.img"
tgt_start spdk -m 0x1 --listen "127.0.0.1:$PORT" --discovery-port "$DPORT" \
	--subsys "$NQN" --serial "$SN" --model "$MN" --ns malloc:64M:4096 \
	--ns "file:$TMP/ns2.img:4096" \
	--subsys "$NQN_PRIV" --allow-host "$HOSTNQN" --ns malloc:16M || finish

# ---- 1. identify with an empty host NQN ------------------------------------------------------
spdk id 60 spdk_nvme_identify -r "$TR trsvcid:$PORT subnqn:$NQN"
show id 3
if [ "$RC" != 0 ]; then
	fail "identify (empty host NQN) exited $RC"
	show id 20
else
	no_spdk_errors id
	has id "Serial Number:                         $SN" || fail "identify: serial $SN not shown"
	has id "Model Number:                          $MN" || fail "identify: model '$MN' not shown"
	has id "Subsystem NQN:                         $NQN" || fail "identify: subsystem NQN"
	has id "Health Information" || fail "identify: no health log (Temperature Threshold feature)"
	has id "Size (in LBAs):                        16384" || fail "identify: ns 1 of 16384 LBAs"
	has id "Size (in LBAs):                        8192" || fail "identify: ns 2 of 8192 LBAs"
	grep -q 'get_feature(0x[0-9a-f]*) failed' "$TMP/id.txt" &&
		fail "identify: a Get Features failed: $(grep -m1 'get_feature' "$TMP/id.txt")"
fi
if ! grep -qE "127\.0\.0\.1:[0-9]+: controller [0-9]+: the host sent an empty host NQN; accepted because $NQN admits any host" "$TGT_LOG"; then
	fail "target log: no notice of the empty host NQN accepted on $NQN"
fi
grep -q "host (empty host NQN) (127.0.0.1:" "$TGT_LOG" ||
	fail "target log: the empty host NQN is not shown as '(empty host NQN)'"

# ---- 2. a subsystem with a host list ----------------------------------------------------------
spdk idpriv 60 spdk_nvme_identify -r "$TR trsvcid:$PORT subnqn:$NQN_PRIV hostnqn:$HOSTNQN"
show idpriv 2
if [ "$RC" != 0 ]; then
	fail "identify with hostnqn:$HOSTNQN on $NQN_PRIV exited $RC"
	show idpriv 20
else
	no_spdk_errors idpriv
	has idpriv "Subsystem NQN:                         $NQN_PRIV" ||
		fail "identify with hostnqn: not the subsystem $NQN_PRIV"
fi
spdk idrefused 60 spdk_nvme_identify -r "$TR trsvcid:$PORT subnqn:$NQN_PRIV"
show idrefused 3
if [ "$RC" = 0 ]; then
	fail "identify without hostnqn: on $NQN_PRIV (hosts listed) was not refused"
elif ! grep -qF "refused: empty host NQN: $NQN_PRIV admits listed hosts only" "$TGT_LOG"; then
	fail "target log: no clear refusal of the empty host NQN on $NQN_PRIV"
else
	log "refused as expected (exit $RC): $(grep -F -m1 "admits listed hosts only" "$TGT_LOG" |
		sed 's/^.*connect_reply: //')"
fi

# ---- 3. discovery ----------------------------------------------------------------------------
spdk iddisc 60 spdk_nvme_identify -r "$TR trsvcid:$DPORT subnqn:nqn.2014-08.org.nvmexpress.discovery"
if [ "$RC" != 0 ]; then
	fail "identify of the discovery NQN on $DPORT exited $RC"
	show iddisc 20
else
	no_spdk_errors iddisc
	n=$(grep -c "NVM Subsystem Qualified Name: *$NQN\$" "$TMP/iddisc.txt")
	log "identify on the discovery port: $n records of $NQN"
	[ "$n" = 2 ] || fail "discovery log (identify): $n records of $NQN, expected 2 (two listeners)"
	has iddisc "$NQN_PRIV" && fail "discovery log (empty host NQN) lists $NQN_PRIV"
	has iddisc "Current Discovery Subsystem" || fail "discovery log: no current discovery entry"
fi
# spdk_nvme_discover prints the log, then waits for AENs until SIGINT.
disc_check() { # NAME EXPECT-PRIVATE(0/1)
	local name=$1 priv=$2 n
	if [ "$RC" != 0 ] && [ "$RC" != 124 ]; then
		fail "$name: spdk_nvme_discover exited $RC"
		show "$name" 20
		return
	fi
	no_spdk_errors "$name"
	has "$name" "Discovery Log Page" || { fail "$name: no discovery log printed"; return; }
	n=$(grep -c "NVM Subsystem Qualified Name: *$NQN\$" "$TMP/$name.txt")
	[ "$n" = 2 ] || fail "$name: $n records of $NQN, expected 2"
	if [ "$priv" = 1 ]; then
		has "$name" "$NQN_PRIV" || fail "$name: $NQN_PRIV not listed for its host"
	else
		has "$name" "$NQN_PRIV" && fail "$name: $NQN_PRIV listed for another host"
	fi
	log "$name: $(grep -m1 'Number of Records' "$TMP/$name.txt")"
}
# discover NAME ARGS...: spdk_nvme_discover, stopped by SIGINT after 4 s (exit 124).
discover() {
	local name=$1
	shift
	log "\$ run spdk_nvme_discover $* (SIGINT after 4 s)"
	timeout -s INT --kill-after=10 4 "$RUN" spdk_nvme_discover "$@" >"$TMP/$name.out" 2>&1
	RC=$?
	grep -v -e '^EAL: ' -e 'eth_virtio_pci_init' "$TMP/$name.out" >"$TMP/$name.txt"
}
# Its default host NQN is a random uuid NQN: $NQN_PRIV must not be listed; with -H it is.
discover disc -r "$TR trsvcid:$DPORT"
disc_check disc 0
discover dischost -H "$HOSTNQN" -r "$TR trsvcid:$DPORT"
disc_check dischost 1

# ---- 4. perf ---------------------------------------------------------------------------------
perf_run rw4k -r "$TR trsvcid:$PORT subnqn:$NQN ns:1" -q 32 -o 4096 -w randrw -M 50
perf_run rw4k_digests -H -I -r "$TR trsvcid:$PORT subnqn:$NQN ns:1" -q 32 -o 4096 \
	-w randrw -M 50
grep -q "digests header/data" "$TGT_LOG" || fail "target log: no queue with both digests"
# 128 KiB: above the 16 KiB in-capsule size, so writes go through R2T and H2CData.
perf_run rw128k_digests -H -I -r "$TR trsvcid:$PORT subnqn:$NQN ns:1" -q 8 -o 131072 \
	-w randrw -M 50
perf_run rw4k_hostnqn -r "$TR trsvcid:$PORT subnqn:$NQN_PRIV hostnqn:$HOSTNQN" -q 16 \
	-o 4096 -w randrw -M 50
# Without subnqn, perf attaches to every NVM subsystem the discovery log lists for its (empty)
# host NQN: $NQN through both listeners, not $NQN_PRIV.
if perf_run via_discovery -r "$TR trsvcid:$DPORT" -q 8 -o 4096 -w randread; then
	n=$(grep -c "^Attached to NVMe over Fabrics controller at 127.0.0.1:[0-9]*: $NQN\$" \
		"$TMP/via_discovery.txt")
	[ "$n" = 2 ] || fail "perf via discovery: attached $n times to $NQN, expected 2"
	has via_discovery "$NQN_PRIV" && fail "perf via discovery: attached to $NQN_PRIV"
fi

# ---- 5. data of SPDK's writes, on the file behind ns 2 ----------------------------------------
perf_run write_file -H -I -r "$TR trsvcid:$PORT subnqn:$NQN ns:2" -q 16 -o 4096 -w randwrite
perf_run read_file -I -r "$TR trsvcid:$PORT subnqn:$NQN ns:2" -q 16 -o 4096 -w randread
if ! python3 - "$TMP/ns2.img" >"$TMP/blocks.out" 2>&1 <<'PY'; then
import sys
data = open(sys.argv[1], "rb").read()
zero = written = 0
bad = []
for off in range(0, len(data), 4096):
    b = data[off:off + 4096]
    v = b[0]
    if b.count(v) != len(b) or v > 8:
        bad.append(off // 4096)
    elif v == 0:
        zero += 1
    else:
        written += 1
print(f"{written} blocks written by SPDK perf (uniform 1..8), {zero} zero, {len(bad)} bad")
if bad:
    print("bad blocks (not one SPDK pattern byte throughout):", bad[:10])
sys.exit(1 if bad or written == 0 else 0)
PY
	fail "data on the file namespace: $(tail -n 2 "$TMP/blocks.out" | tr '\n' ' ')"
else
	log "file namespace: $(cat "$TMP/blocks.out")"
fi

# ---- 6. clean stop ---------------------------------------------------------------------------
tgt_stop || true
finish
