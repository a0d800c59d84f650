# Helpers of the nvtcp_perf functional tests (test/functional/perf_*.sh); sourced, not run.
# Each test prints what it checks and exits 0 (pass) or 1 (fail); every wait is bounded.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
PERF=$BUILD_DIR/bin/nvtcp_perf
TGT=$BUILD_DIR/bin/nvtcp_tgt
WORK=$(mktemp -d -t nvtcp-perf-test.XXXXXX)
TGT_PID=
TGT_PORT=
TGT_NQN=nqn.2014-08.io.nvtcp:perf-test
FAILS=0

# The perf cores: core 1 when there are two, so that the target keeps core 0.
if (($(nproc) >= 2)); then
	PERF_MASK=0x2
else
	PERF_MASK=0x1
fi

perf_lib_cleanup() {
	tgt_stop
	rm -rf "$WORK"
}
trap perf_lib_cleanup EXIT

check() { # description, then the command: counts a failure instead of exiting
	local what=$1
	shift
	if "$@"; then
		echo "ok:   $what"
	else
		echo "FAIL: $what"
		FAILS=$((FAILS + 1))
	fi
}

finish() {
	if ((FAILS > 0)); then
		echo "$FAILS check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

need_bins() {
	local b
	for b in "$@"; do
		if [ ! -x "$b" ]; then
			echo "FAIL: $b is not built"
			exit 1
		fi
	done
}

# tgt_start [extra nvtcp_tgt options]: a target on core 0, loopback, a free port, one RAM
# namespace of TGT_NS (default 128M). Sets TGT_PID and TGT_PORT.
tgt_start() {
	"$TGT" -m 0x1 --rpc-socket "$WORK/tgt.sock" --listen 127.0.0.1:0 --subsys "$TGT_NQN" \
		--ns "malloc:${TGT_NS:-128M}" "$@" \
		> "$WORK/tgt.log" 2>&1 &
	TGT_PID=$!
	# Up to 120 s: DPDK start-up can wait on a lock another DPDK process holds meanwhile.
	for _ in $(seq 1200); do
		if grep -q "nvtcp_tgt: ready" "$WORK/tgt.log"; then
			TGT_PORT=$(sed -n 's/^nvtcp_tgt: listening on port \([0-9]*\)$/\1/p' \
				"$WORK/tgt.log" | head -n1)
			[ -n "$TGT_PORT" ] && return 0
		fi
		kill -0 "$TGT_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL: nvtcp_tgt did not start:"
	sed 's/^/  /' "$WORK/tgt.log"
	exit 1
}

tgt_stop() {
	if [ -n "$TGT_PID" ] && kill -0 "$TGT_PID" 2>/dev/null; then
		kill -TERM "$TGT_PID" 2>/dev/null
		for _ in $(seq 100); do
			kill -0 "$TGT_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$TGT_PID" 2>/dev/null
		wait "$TGT_PID" 2>/dev/null
	fi
	TGT_PID=
}

tgt_trid() {
	echo "trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$TGT_PORT subnqn:$TGT_NQN"
}

# perf_run name timeout args...: runs nvtcp_perf, output in $WORK/name.out, status in PERF_RC.
perf_run() {
	local name=$1 tmo=$2
	shift 2
	echo "+ nvtcp_perf $*"
	timeout --kill-after=5 "$tmo" "$PERF" --no-progress "$@" > "$WORK/$name.out" 2>&1
	PERF_RC=$?
	sed 's/^/  | /' "$WORK/$name.out" | tail -n 40
}

out_has() { # name, fixed string
	grep -qF -- "$2" "$WORK/$1.out"
}
