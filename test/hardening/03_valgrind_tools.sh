#!/usr/bin/env bash
# Hardening (c): nvtcp_identify and nvtcp_discover under valgrind memcheck against nvtcp_tgt on
# loopback: both must succeed with zero memcheck errors and zero definite or indirect leaks.
# The host driver bt_host (attach, I/O with verification, detach) runs the same way.
#
# Whatever cannot run is named, and fails the test: a skipped check is not a pass.
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
TGT=$BUILD_DIR/bin/nvtcp_tgt
IDENTIFY=$BUILD_DIR/bin/nvtcp_identify
DISCOVER=$BUILD_DIR/bin/nvtcp_discover
BTHOST=$BUILD_DIR/test/tools/bt_host
NQN=nqn.2016-06.io.nvtcp:valgrind
WORK=$(mktemp -d -t nvtcp-valgrind.XXXXXX)
TGT_PID=
FAILS=0
VG_TIMEOUT=${VG_TIMEOUT:-240}

cleanup() {
	if [ -n "$TGT_PID" ] && kill -0 "$TGT_PID" 2>/dev/null; then
		kill -TERM "$TGT_PID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$TGT_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$TGT_PID" 2>/dev/null
		wait "$TGT_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

if ! command -v valgrind > /dev/null; then
	echo "FAIL: valgrind is not installed (scripts/pkgdep.sh installs it)"
	exit 1
fi
# Built by "make test-hardening" (or "make"): this script checks, it does not build.
for b in "$TGT" "$IDENTIFY" "$DISCOVER" "$BTHOST"; do
	[ -x "$b" ] || fail "$b does not exist (build first: make): it cannot be checked"
done
((FAILS == 0)) || exit 1

# The target: loopback, a free port, one RAM namespace, discovery on the same port. Its reactor
# spins; the tools pin themselves to the first core, and under valgrind they are some 50 times
# slower: the target gets the other core when there is one, or a tool sharing a core with a
# spinning reactor can take minutes.
if (($(nproc) >= 2)); then
	TGT_MASK=0x2
else
	TGT_MASK=0x1
fi
"$TGT" -m "$TGT_MASK" --rpc-socket "$WORK/tgt.sock" --listen 127.0.0.1:0 --subsys "$NQN" --ns malloc:64M > "$WORK/tgt.log" 2>&1 &
TGT_PID=$!
PORT=
for _ in $(seq 300); do
	if grep -q "nvtcp_tgt: ready" "$WORK/tgt.log"; then
		PORT=$(sed -n 's/^nvtcp_tgt: listening on port \([0-9]*\)$/\1/p' "$WORK/tgt.log" | head -n1)
		break
	fi
	kill -0 "$TGT_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$PORT" ]; then
	echo "FAIL: nvtcp_tgt did not start:"
	sed 's/^/  /' "$WORK/tgt.log"
	exit 1
fi
TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN"

# vg name command...: memcheck with errors (including definite and indirect leaks) giving
# exit 99, so that they cannot hide behind the tool's own status.
vg() {
	local name=$1 rc
	shift
	echo "== valgrind $name"
	timeout -k 10 "$VG_TIMEOUT" valgrind --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--track-origins=yes --num-callers=30 --log-file="$WORK/$name.vg" \
		"$@" > "$WORK/$name.out" 2>&1
	rc=$?
	if ((rc == 99)); then
		fail "$name: memcheck errors or leaks:"
		grep -E -A25 '^==[0-9]+== ([A-Z].*(Invalid|uninitialised|definitely|indirectly|Mismatched|overlap)|.*lost in)' \
			"$WORK/$name.vg" | head -n 80 | sed 's/^/  /'
	elif ((rc == 124 || rc == 137)); then
		if [ -s "$WORK/$name.out" ]; then
			fail "$name: did not finish within $VG_TIMEOUT s under valgrind; its last lines:"
			tail -n 15 "$WORK/$name.out" | sed 's/^/  /'
		else
			# Not even the environment's start-up line (-L info): stuck in DPDK EAL.
			fail "$name: did not finish within $VG_TIMEOUT s under valgrind, without a" \
				"single log line: stuck starting the environment (DPDK EAL with" \
				"hugepages, which the tool uses whenever enough are free); the tool" \
				"needs a way to run without hugepages (e.g. --no-huge)"
		fi
	elif ((rc != 0)); then
		if grep -q -E 'environment|EAL' "$WORK/$name.out"; then
			fail "$name: exit $rc: the environment (DPDK) does not start under valgrind:" \
				"with free hugepages the tool uses them, and EAL's hugepage memory" \
				"cannot initialise under valgrind; the tool needs a way to run without" \
				"hugepages (e.g. a --no-huge option, as nvtcp_app_parse_args offers)"
		else
			fail "$name: exit $rc"
		fi
		tail -n 5 "$WORK/$name.out" | sed 's/^/  /'
	else
		grep -E 'ERROR SUMMARY|definitely|indirectly' "$WORK/$name.vg" | sed 's/^/  /'
		echo "  ok"
	fi
}

# -L info: when something goes wrong under valgrind, the log says how far it got.
vg identify "$IDENTIFY" -r "$TRID" -t 60 -L info
vg discover "$DISCOVER" -r "trtype:tcp traddr:127.0.0.1 trsvcid:$PORT" -t 60 -L info
vg bt_host "$BTHOST" -r "$TRID" -n 200 -q 4 --deadline 120

if ((FAILS > 0)); then
	echo "valgrind: $FAILS failed"
	exit 1
fi
echo "PASS: identify, discover and bt_host are clean under memcheck"
