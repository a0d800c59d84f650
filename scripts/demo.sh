#!/usr/bin/env bash
# The "make demo" run: nvtcp_tgt on loopback with a RAM namespace on core 0, nvtcp_perf on
# core 1: a 4 KiB random-read run and a 128 KiB sequential-read run, each with latency
# percentiles. The target is stopped however the script ends.
#
#   scripts/demo.sh                 (make demo builds first and reserves hugepages)
#   DEMO_TIME=10 scripts/demo.sh    seconds per run (default 5)
#   BUILD_DIR=build-san scripts/demo.sh
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
BIN=$BUILD_DIR/bin
TIME=${DEMO_TIME:-5}
NQN=nqn.2014-08.io.nvtcp:demo
LOG=$(mktemp -t nvtcp-demo-tgt.XXXXXX)
TGT_PID=

die() {
	echo "demo: $*" >&2
	exit 1
}

cleanup() {
	if [ -n "$TGT_PID" ] && kill -0 "$TGT_PID" 2>/dev/null; then
		kill -TERM "$TGT_PID" 2>/dev/null
		# Bounded: a target that does not stop in 10 s is killed.
		for _ in $(seq 100); do
			kill -0 "$TGT_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$TGT_PID" 2>/dev/null
		wait "$TGT_PID" 2>/dev/null
	fi
	rm -f "$LOG" "$LOG.sock"
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

for b in nvtcp_tgt nvtcp_perf; do
	[ -x "$BIN/$b" ] || die "$BIN/$b is missing: build first (make, or make demo)"
done
[[ "$TIME" =~ ^[0-9]+$ ]] && ((TIME > 0)) || die "DEMO_TIME must be a number of seconds, got '$TIME'"

ncpu=$(nproc)
if ((ncpu >= 2)); then
	TGT_MASK=0x1
	PERF_MASK=0x2
	where="target on core 0, nvtcp_perf on core 1"
else
	TGT_MASK=0x1
	PERF_MASK=0x1
	where="one core only: target and nvtcp_perf share core 0 (figures will be much lower)"
fi

echo "nvtcp demo: $where"
"$ROOT/scripts/setup.sh" status 2>/dev/null | sed 's/^/  /'

# Port 0: the target picks a free port and prints it, so the demo never collides.
"$BIN/nvtcp_tgt" -m "$TGT_MASK" --rpc-socket "$LOG.sock" --listen 127.0.0.1:0 --subsys "$NQN" \
	--ns malloc:256M \
	--c2h-success always > "$LOG" 2>&1 &
TGT_PID=$!
PORT=
# Up to 120 s: DPDK start-up can wait on a lock another DPDK process holds meanwhile.
for _ in $(seq 1200); do
	if grep -q "nvtcp_tgt: ready" "$LOG" 2>/dev/null; then
		PORT=$(sed -n 's/^nvtcp_tgt: listening on port \([0-9]*\)$/\1/p' "$LOG" | head -n1)
		break
	fi
	kill -0 "$TGT_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$PORT" ]; then
	echo "demo: nvtcp_tgt did not start; its output:" >&2
	sed 's/^/  /' "$LOG" >&2
	exit 1
fi
echo "nvtcp_tgt: listening on 127.0.0.1:$PORT, subsystem $NQN, 256 MiB RAM namespace (pid $TGT_PID)"
TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN"

run() { # title, perf arguments...
	local title=$1
	shift
	echo
	echo "=== $title ==="
	echo "$ nvtcp_perf -c $PERF_MASK $* -t $TIME -L -r '$TRID'"
	if ! "$BIN/nvtcp_perf" -c "$PERF_MASK" "$@" -t "$TIME" -L -r "$TRID" --no-progress; then
		echo "demo: the run '$title' failed (see the messages above)" >&2
		if ! kill -0 "$TGT_PID" 2>/dev/null; then
			echo "demo: nvtcp_tgt has exited; its output:" >&2
			sed 's/^/  /' "$LOG" >&2
		fi
		exit 1
	fi
}

run "4 KiB random reads, queue depth 32" -q 32 -o 4096 -w randread
run "128 KiB sequential reads, queue depth 8" -q 8 -o 131072 -w read

echo
echo "demo: done. Every option: doc/perf.md; the benchmark suite: scripts/bench (doc/performance.md)."
