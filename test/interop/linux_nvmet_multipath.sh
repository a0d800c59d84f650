#!/usr/bin/env bash
# Interop: the nvtcp host multipath layer (lib/mpath, through test/functional mpath_io)
# against the Linux kernel target with two ports to one subsystem (nvmet-tcp in the QEMU guest
# of ../shared/peers/linux-nvmet, NVMET_PORT and NVMET_PORT2; nvmet reports ANA).
#
#   test/interop/linux_nvmet_multipath.sh     exit 0 pass, 1 fail
#
# mpath_io keeps verified I/O (QD 32, round-robin; every write stamped, every read checked) on
# namespace 1 over both ports for MPATH_SECONDS (60) while the script, through linux-nvmet/ctl:
# makes port 1 inaccessible (port 2 optimized), then the reverse, puts port 2 in change and
# back, takes port 2 down (nvmet drops its controllers) and up again.
# Expected: 0 errors, 0 mismatches, nothing lost or completed twice, both paths carried I/O,
# I/Os failed over. A peer that cannot start is a failure, unless NVTCP_SKIP_INTEROP=1.
#
# Env: NVMET_PORT (4420), NVMET_PORT2 (4421), NVMET_PEER_DIR, NVMET_NQN (passed to the peer),
#      NVMET_PEER (the linux-nvmet directory; default ../shared/peers/linux-nvmet from the
#      repository), BUILD_DIR, MPATH_SECONDS.
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
PEER=${NVMET_PEER:-$ROOT/../shared/peers/linux-nvmet}
export NVMET_PORT=${NVMET_PORT:-4420}
export NVMET_PORT2=${NVMET_PORT2:-4421}
export NVMET_NQN=${NVMET_NQN:-nqn.2024-01.io.test:kernel-target}
export NVMET_ANA1=optimized NVMET_ANA2=optimized
SECONDS_RUN=${MPATH_SECONDS:-60}
MPIO=$BUILD_DIR/test/functional/mpath_io
TMP=$(mktemp -d /tmp/nvtcp-interop-mpath.XXXXXX)
failures=()
peer_started=0
t_start=$(date +%s)
trap cleanup EXIT

log() { echo "[$(($(date +%s) - t_start)) s] $*"; }

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	if [ -n "${MP_PID:-}" ] && kill -0 "$MP_PID" 2>/dev/null; then
		kill -TERM "$MP_PID" 2>/dev/null
		wait "$MP_PID" 2>/dev/null
	fi
	if [ "$peer_started" = 1 ]; then
		log "stopping the peer"
		"$PEER/stop" || true
	fi
	rm -rf "$TMP"
}

ctl() {
	if ! "$PEER/ctl" "$@" >>"$TMP/ctl.log" 2>&1; then
		log "FAIL: ctl $*"
		tail -n 3 "$TMP/ctl.log"
		failures+=("ctl $*")
	else
		log "ctl $*: $(tail -n 1 "$TMP/ctl.log")"
	fi
}

if [ ! -x "$MPIO" ]; then
	log "FAIL: $MPIO not built"
	exit 1
fi
if [ ! -x "$PEER/start" ]; then
	if [ "${NVTCP_SKIP_INTEROP:-0}" = 1 ]; then
		echo "SKIPPED: no linux-nvmet peer at $PEER"
		exit 0
	fi
	log "FAIL: no linux-nvmet peer at $PEER (set NVMET_PEER)"
	exit 1
fi
log "starting the kernel target (ports $NVMET_PORT, $NVMET_PORT2)"
if ! "$PEER/start" >"$TMP/start.log" 2>&1; then
	tail -n 20 "$TMP/start.log"
	if [ "${NVTCP_SKIP_INTEROP:-0}" = 1 ]; then
		echo "SKIPPED: the linux-nvmet peer did not start"
		exit 0
	fi
	log "FAIL: the linux-nvmet peer did not start"
	exit 1
fi
peer_started=1

R1="traddr:127.0.0.1 trsvcid:$NVMET_PORT subnqn:$NVMET_NQN"
R2="traddr:127.0.0.1 trsvcid:$NVMET_PORT2 subnqn:$NVMET_NQN"
"$MPIO" -r "$R1" -r "$R2" -q 32 -t "$SECONDS_RUN" -p round-robin --ctrl-loss-tmo 120 \
	--reconnect-delay 1000 --expect-all-paths >"$TMP/mp.out" 2>"$TMP/mp.err" &
MP_PID=$!
sleep 5
step=0
end=$(($(date +%s) + SECONDS_RUN - 12))
while [ "$(date +%s)" -lt "$end" ] && kill -0 "$MP_PID" 2>/dev/null; do
	case $((step % 5)) in
	0) ctl ana 1 inaccessible; ctl ana 2 optimized ;;
	1) ctl ana 1 optimized; ctl ana 2 inaccessible ;;
	2) ctl ana 2 change; sleep 2; ctl ana 2 optimized ;;
	3) ctl port-down 2; sleep 5; ctl port-up 2 ;;
	4) ctl ana 1 optimized; ctl ana 2 non-optimized ;;
	esac
	step=$((step + 1))
	sleep 4
done
ctl ana 1 optimized
ctl ana 2 optimized
wait "$MP_PID"
rc=$?
MP_PID=
grep -E '^t=' "$TMP/mp.out" | awk 'NR % 10 == 0' | cut -c1-400
tail -n 2 "$TMP/mp.out"
if [ "$rc" != 0 ]; then
	log "FAIL: mpath_io exit $rc"
	tail -n 20 "$TMP/mp.err"
	failures+=("mpath_io")
fi
if ! grep -q 'failovers=[1-9]' "$TMP/mp.out"; then
	log "FAIL: no I/O failed over (the ANA changes and the port drop did not reach the host?)"
	failures+=("no failover")
fi

if ((${#failures[@]})); then
	log "${#failures[@]} failed: ${failures[*]}"
	exit 1
fi
log "all passed"
exit 0
