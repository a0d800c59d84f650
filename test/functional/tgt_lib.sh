# Helpers of the nvtcp_tgt functional and interop tests (sourced, not run).
#
#   tgt_start NAME ARGS...   start nvtcp_tgt with ARGS, wait for "nvtcp_tgt: ready" (30 s);
#                            sets TGT_PID, TGT_LOG, TGT_OUT and TGT_PORTS (listening ports,
#                            in the order of the listeners); its RPC socket is
#                            $TMP/NAME.sock
#   tgt_stop                 SIGTERM, wait (30 s); fails unless it exits 0 after
#                            "target destroyed"
#   check NAME CMD...        run CMD, record a failure when it exits non-zero
#   finish                   print the summary, exit 0 or 1
# Needs ROOT and BUILD_DIR (the test runner exports them).

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
TGT_BIN=$BUILD_DIR/bin/nvtcp_tgt
TGT_HOST=$BUILD_DIR/test/functional/tgt_host
TMP=$(mktemp -d /tmp/nvtcp-tgt-test.XXXXXX)
TGT_PID=
failures=()
t0=$(date +%s)

log() { echo "[$(($(date +%s) - t0)) s] $*"; }

tgt_cleanup() {
	if [ -n "$TGT_PID" ] && kill -0 "$TGT_PID" 2>/dev/null; then
		kill -KILL "$TGT_PID" 2>/dev/null
		wait "$TGT_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap tgt_cleanup EXIT

tgt_start() {
	local name=$1
	shift
	TGT_OUT=$TMP/$name.out
	TGT_LOG=$TMP/$name.log
	if [ ! -x "$TGT_BIN" ]; then
		log "FAIL: $TGT_BIN not built"
		failures+=("$name: no nvtcp_tgt")
		return 1
	fi
	# A socket of its own: tests (and helpers) run side by side. A later --rpc-socket in
	# ARGS wins.
	"$TGT_BIN" --rpc-socket "$TMP/$name.sock" "$@" >"$TGT_OUT" 2>"$TGT_LOG" &
	TGT_PID=$!
	for _ in $(seq 300); do
		if grep -q '^nvtcp_tgt: ready$' "$TGT_OUT" 2>/dev/null; then
			mapfile -t TGT_PORTS < <(sed -n 's/^nvtcp_tgt: listening on port \([0-9]*\)$/\1/p' "$TGT_OUT")
			log "nvtcp_tgt $* ready (pid $TGT_PID, ports ${TGT_PORTS[*]})"
			return 0
		fi
		if ! kill -0 "$TGT_PID" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	log "FAIL: nvtcp_tgt did not become ready"
	tail -n 20 "$TGT_LOG"
	failures+=("$name: start")
	kill -KILL "$TGT_PID" 2>/dev/null
	wait "$TGT_PID" 2>/dev/null
	TGT_PID=
	return 1
}

tgt_stop() {
	local rc
	[ -n "$TGT_PID" ] || return 1
	kill -TERM "$TGT_PID"
	for _ in $(seq 300); do
		kill -0 "$TGT_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$TGT_PID" 2>/dev/null; then
		log "FAIL: nvtcp_tgt did not stop within 30 s"
		failures+=("stop: timeout")
		kill -KILL "$TGT_PID"
	fi
	wait "$TGT_PID"
	rc=$?
	TGT_PID=
	if [ "$rc" != 0 ] || ! grep -q 'target destroyed' "$TGT_LOG"; then
		log "FAIL: nvtcp_tgt exited $rc"
		tail -n 20 "$TGT_LOG"
		failures+=("stop: exit $rc")
		return 1
	fi
	log "nvtcp_tgt stopped cleanly"
	return 0
}

check() {
	local name=$1 out rc
	shift
	out=$TMP/check.$RANDOM.out
	log "$name: $*"
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" != 0 ]; then
		log "FAIL: $name (exit $rc)"
		tail -n 30 "$out"
		failures+=("$name")
	else
		tail -n 3 "$out" | sed 's/^/    /'
	fi
	return "$rc"
}

finish() {
	echo
	if ((${#failures[@]})); then
		log "${#failures[@]} failed: ${failures[*]}"
		if [ -n "${TGT_LOG:-}" ] && [ -f "$TGT_LOG" ]; then
			echo "----- target log (tail) -----"
			tail -n 40 "$TGT_LOG"
		fi
		exit 1
	fi
	log "all passed"
	exit 0
}
