#!/usr/bin/env bash
# Interop: the Linux kernel host with native NVMe multipath (../shared/peers/linux-host/run with
# NVME_HOST_TARGET_PORT2) against nvtcp_tgt with two listeners of one subsystem, while this
# test changes nvtcp_tgt's ANA states by RPC between the host's rounds and drops a listener
# (nvmf_subsystem_remove_listener, then add it back). Every round of the host's write+verify
# passes must verify, the host must build one multipath head over both controllers, and its
# round lines must show the ANA states set here:
#   round 1: port 1 optimized, port 2 non-optimized (as started)
#   then     port 1 inaccessible, port 2 optimized            (I/O moves to port 2)
#   then     port 1 optimized; port 2's listener removed, re-added non-optimized after ~6 s
#            (the kernel reconnects within its reconnect delay)
#   then     port 1 non-optimized, port 2 optimized
# A peer that cannot run (exit 2) is a failure, unless NVTCP_SKIP_INTEROP=1 (SKIPPED, exit 0).
#
# Env: NVTCP_PEERS, LINUX_HOST_IO_MB (default 8), LINUX_HOST_PASSES (default 4), NVME_HOST_MP_POLICY
# (default round-robin), NVME_HOST_PEER_DIR (default /tmp/nvtcp-tgt-linux-host-ana).
# Ports 5410, 5411 (this test's range).
set -uo pipefail
. "$(dirname "$0")/../functional/tgt_lib.sh"

# NVTCP_PEERS: the peers directory (default ../shared/peers next to the checkout).
RUN=${NVTCP_PEERS:-$ROOT/../shared/peers}/linux-host/run
RPC_PY=$ROOT/scripts/nvtcp-rpc
NQN=nqn.2024-01.io.nvtcp:linux-ana
MB=${LINUX_HOST_IO_MB:-8}
PASSES=${LINUX_HOST_PASSES:-4}
P1=5410 P2=5411
export NVME_HOST_PEER_DIR=${NVME_HOST_PEER_DIR:-/tmp/nvtcp-tgt-linux-host-ana}

if [ "${NVTCP_SKIP_INTEROP:-0}" = 1 ]; then
	echo "SKIPPED (NVTCP_SKIP_INTEROP=1)"
	exit 0
fi
if [ ! -x "$RUN" ]; then
	log "FAIL: $RUN not found"
	exit 1
fi

tgt_start ana -m 0x1 -L info --subsys "$NQN" --ns malloc:$((MB + 132))M \
	--listen 127.0.0.1:$P1 --ana-state optimized \
	--listen 127.0.0.1:$P2 --ana-state non_optimized || finish
SOCK=$TMP/ana.sock
rpc() { "$RPC_PY" -s "$SOCK" "$@" >/dev/null; }
set_ana() { # PORT STATE
	log "ANA: port $1 -> $2"
	rpc nvmf_subsystem_listener_set_ana_state "$NQN" -t tcp -a 127.0.0.1 -s "$1" -n "$2" ||
		failures+=("set $1 $2")
}

OUT=$TMP/host.out
log "linux host: 2 paths, $PASSES rounds of $MB MiB, policy ${NVME_HOST_MP_POLICY:-round-robin}"
env NVME_HOST_NQN="$NQN" NVME_HOST_TARGET_PORT=$P1 NVME_HOST_TARGET_PORT2=$P2 \
	NVME_HOST_PASSES="$PASSES" NVME_HOST_IO_MB="$MB" \
	NVME_HOST_MP_POLICY="${NVME_HOST_MP_POLICY:-round-robin}" NVME_HOST_TIMEOUT=900 \
	"$RUN" >"$OUT" 2>&1 &
HOST_PID=$!

# wait_round K: until the host printed "pass K/N verified" (or ended).
wait_round() {
	while kill -0 "$HOST_PID" 2>/dev/null; do
		grep -q "pass $1/$PASSES verified" "$OUT" && return 0
		sleep 0.5
	done
	grep -q "pass $1/$PASSES verified" "$OUT"
}
# round_line K: the host's summary of round K.
round_line() { grep -m1 "pass $1/$PASSES verified" "$OUT"; }

if wait_round 1; then
	set_ana $P1 inaccessible
	set_ana $P2 optimized
fi
if wait_round 2; then
	set_ana $P1 optimized
	log "port $P2: listener removed"
	rpc nvmf_subsystem_remove_listener "$NQN" -t tcp -a 127.0.0.1 -s $P2 ||
		failures+=("remove listener")
	sleep 6
	log "port $P2: listener added back, non_optimized"
	rpc nvmf_subsystem_add_listener "$NQN" -t tcp -a 127.0.0.1 -s $P2 -n non_optimized ||
		failures+=("add listener")
fi
if wait_round 3; then
	set_ana $P1 non_optimized
	set_ana $P2 optimized
fi
wait "$HOST_PID"
rc=$?
sed 's/^/    /' "$OUT" | grep -E 'nvme-host: (pass|connected|subsystem|iopolicy|[0-9]+ random|disconnected|path)|NVME-HOST' | head -30
if [ "$rc" != 0 ] || ! grep -q 'NVME-HOST-PASS' "$OUT"; then
	log "FAIL: linux host exit $rc"
	tail -n 40 "$OUT"
	failures+=("linux host multipath")
fi
for k in $(seq "$PASSES"); do
	round_line "$k" >/dev/null || { log "FAIL: no verified round $k"; failures+=("round $k"); }
done
# The states the host saw: round 2 ran after port 1 became inaccessible.
if round_line 2 | grep -q 'inaccessible'; then
	log "ok round 2: the host saw port 1 inaccessible"
else
	log "FAIL: round 2 line lacks the inaccessible path: $(round_line 2)"
	failures+=("host saw inaccessible")
fi
if grep -q "ANA change notice" "$TGT_LOG"; then
	log "ok the target sent ANA change notices ($(grep -c 'ANA change notice' "$TGT_LOG"))"
else
	log "FAIL: no ANA change notice in the target log"
	failures+=("ANA notices")
fi
if grep -E 'protocol error|digest error' "$TGT_LOG"; then
	failures+=("protocol errors in the target log")
fi
tgt_stop
finish
