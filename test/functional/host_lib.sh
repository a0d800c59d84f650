# Helpers of the host recovery tests (test/functional/host_*.sh); sourced, not run.
#
#   need BIN...                 fail unless every binary is built
#   port_free PORT              fail (naming it) when something listens on PORT already
#   tgt_up NAME PORT ARGS...    start nvtcp_tgt on 127.0.0.1:PORT, wait for "ready" (30 s)
#   tgt_down                    SIGTERM (then SIGKILL after 20 s); waits
#   proxy_up NAME LPORT CPORT ARGS...  start fault_proxy LPORT -> CPORT, wait for "ready"
#   proxy_down                  SIGTERM (it prints its summary), waits
#   host_io NAME TIMEOUT ARGS...   run build/test/functional/host_io; output in $WORK/NAME.out,
#                               status in HIO_RC, the result line in HIO_RESULT
#   field NAME KEY              a key=value of the result line
#   check DESCRIPTION CMD...    record a failure instead of exiting
#   finish                      summary, exit 0 or 1
# Only processes started here are stopped, by their PID.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
TGT=$BUILD_DIR/bin/nvtcp_tgt
PERF=$BUILD_DIR/bin/nvtcp_perf
PROXY=$BUILD_DIR/test/tools/fault_proxy
BADTGT=$BUILD_DIR/test/tools/bad_target
HOSTIO=$BUILD_DIR/test/functional/host_io
WORK=$(mktemp -d -t nvtcp-host.XXXXXX)
TGT_PID=
PROXY_PID=
FAILS=0
T0=$(date +%s)

log() { echo "[$(($(date +%s) - T0)) s] $*"; }

host_lib_cleanup() {
	local p
	for p in "$PROXY_PID" "$TGT_PID"; do
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			kill -KILL "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	if [ "${KEEP_WORK:-0}" = 1 ]; then
		echo "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap host_lib_cleanup EXIT

need() {
	local b
	for b in "$@"; do
		if [ ! -x "$b" ]; then
			echo "FAIL: $b is not built (make; make -C test/tools; make -C test/functional)"
			exit 1
		fi
	done
}

port_free() {
	if command -v ss > /dev/null && ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; then
		echo "FAIL: port $1 is in use by another process; these tests use 4460-4469"
		exit 1
	fi
}

check() {
	local what=$1
	shift
	if "$@"; then
		log "ok:   $what"
	else
		log "FAIL: $what"
		FAILS=$((FAILS + 1))
	fi
}

finish() {
	if ((FAILS > 0)); then
		log "$FAILS check(s) failed (KEEP_WORK=1 keeps the logs)"
		exit 1
	fi
	log "all checks passed"
	exit 0
}

wait_line() { # file, fixed string, tenths of seconds, pid
	local i
	for i in $(seq "$3"); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

tgt_up() { # name, port, args...
	local name=$1 port=$2
	shift 2
	"$TGT" -m 0x1 --no-huge --rpc-socket "$WORK/$name.sock" --listen "127.0.0.1:$port" "$@" \
		> "$WORK/$name.tgt.out" \
		2> "$WORK/$name.tgt.log" &
	TGT_PID=$!
	if ! wait_line "$WORK/$name.tgt.out" "nvtcp_tgt: ready" 600 "$TGT_PID"; then
		echo "FAIL: nvtcp_tgt did not start:"
		tail -n 20 "$WORK/$name.tgt.log"
		exit 1
	fi
	log "nvtcp_tgt up on port $port (pid $TGT_PID)"
}

tgt_down() {
	local i
	[ -n "$TGT_PID" ] || return 0
	kill -TERM "$TGT_PID" 2>/dev/null
	for i in $(seq 200); do
		kill -0 "$TGT_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$TGT_PID" 2>/dev/null
	wait "$TGT_PID" 2>/dev/null
	log "nvtcp_tgt (pid $TGT_PID) stopped"
	TGT_PID=
}

proxy_up() { # name, listen port, connect port, args...
	local name=$1 lport=$2 cport=$3
	shift 3
	"$PROXY" -m 0x1 --no-huge --listen "127.0.0.1:$lport" --connect "127.0.0.1:$cport" "$@" \
		> "$WORK/$name.proxy.out" 2>&1 &
	PROXY_PID=$!
	if ! wait_line "$WORK/$name.proxy.out" "fault_proxy: ready" 600 "$PROXY_PID"; then
		echo "FAIL: fault_proxy did not start:"
		tail -n 20 "$WORK/$name.proxy.out"
		exit 1
	fi
	log "fault_proxy up: $lport -> $cport $*"
}

proxy_down() {
	local i
	[ -n "$PROXY_PID" ] || return 0
	kill -TERM "$PROXY_PID" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$PROXY_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	PROXY_PID=
}

host_io() { # name, timeout, args...
	local name=$1 tmo=$2
	shift 2
	log "+ host_io $*"
	timeout --kill-after=5 "$tmo" "$HOSTIO" "$@" > "$WORK/$name.out" 2>&1
	HIO_RC=$?
	HIO_RESULT=$(grep -a '^host_io: result' "$WORK/$name.out" | tail -n 1)
	grep -a -E '^host_io: (result|FAIL|mismatch|detach|\[[0-9.]+\] (controller|namespace))' \
		"$WORK/$name.out" | tail -n 12 | sed 's/^/  | /'
	if ((HIO_RC > 1)); then
		echo "  host_io exited $HIO_RC (signal or timeout): last lines:"
		tail -n 15 "$WORK/$name.out" | sed 's/^/  | /'
	fi
}

host_io_bg() { # name, timeout, args...: host_io in the background (host_io_wait collects it)
	local name=$1 tmo=$2
	shift 2
	log "+ host_io (background) $*"
	timeout --kill-after=5 "$tmo" "$HOSTIO" "$@" > "$WORK/$name.out" 2>&1 &
	HIO_PID=$!
	HIO_NAME=$name
}

host_io_wait() {
	wait "$HIO_PID"
	HIO_RC=$?
	HIO_RESULT=$(grep -a '^host_io: result' "$WORK/$HIO_NAME.out" | tail -n 1)
	grep -a -E '^host_io: (result|FAIL|mismatch|detach|\[[0-9.]+\] (controller|namespace))' \
		"$WORK/$HIO_NAME.out" | tail -n 12 | sed 's/^/  | /'
	if ((HIO_RC > 1)); then
		echo "  host_io exited $HIO_RC (signal or timeout): last lines:"
		tail -n 15 "$WORK/$HIO_NAME.out" | sed 's/^/  | /'
	fi
}

field() { # name, key: prints the value of key= on the result line of that run
	grep -a '^host_io: result' "$WORK/$1.out" | tail -n 1 | tr ' ' '\n' |
		sed -n "s/^$2=//p"
}

log_has() { # name, extended regex: the host's output (log lines included) matches
	grep -aqE -- "$2" "$WORK/$1.out"
}
