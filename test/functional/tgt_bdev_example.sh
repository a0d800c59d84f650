#!/usr/bin/env bash
# The example custom backend (app/examples/xor_bdev, "xor": RAM kept XOR-ed with a key,
# completions deferred to its per-reactor poll) through the public backend interface:
# nvtcp_xor_tgt serves it; tgt_host verify (every NVM command, with and without digests) and
# nvtcp_perf -V must pass; a clean stop; and nvtcp_tgt, which does not register it, refuses
# "--ns xor:..." naming the backends it has.
set -uo pipefail
. "$(dirname "$0")/tgt_lib.sh"

XOR_BIN=$BUILD_DIR/bin/nvtcp_xor_tgt
PERF=$BUILD_DIR/bin/nvtcp_perf
NQN=nqn.2024-01.io.nvtcp:xor
if (($(nproc) >= 2)); then PERF_MASK=0x2; else PERF_MASK=0x1; fi

if [ ! -x "$XOR_BIN" ]; then
	log "FAIL: $XOR_BIN not built"
	failures+=("no nvtcp_xor_tgt")
	finish
fi
"$XOR_BIN" -m 0x1 --port 0 --size 64M --key 0xa5 >"$TMP/xor.out" 2>"$TMP/xor.log" &
TGT_PID=$!
TGT_LOG=$TMP/xor.log
P=
for _ in $(seq 300); do
	if grep -q '^nvtcp_xor_tgt: ready$' "$TMP/xor.out" 2>/dev/null; then
		P=$(sed -n 's/^nvtcp_xor_tgt: listening on port \([0-9]*\)$/\1/p' "$TMP/xor.out")
		break
	fi
	kill -0 "$TGT_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$P" ]; then
	log "FAIL: nvtcp_xor_tgt did not start"
	cat "$TMP/xor.out" "$TMP/xor.log"
	failures+=("start")
	finish
fi
log "nvtcp_xor_tgt ready on port $P"
check "namespace uses the xor backend" grep -q "namespace 1: xor" "$TMP/xor.log"

check "tgt_host verify, xor" "$TGT_HOST" verify --port "$P" --subnqn "$NQN" --qpairs 2 \
	--qd 4 --ios 1000
check "tgt_host verify, xor, digests" "$TGT_HOST" verify --port "$P" --subnqn "$NQN" \
	--qpairs 2 --qd 2 --ios 300 --digest both
if [ -x "$PERF" ]; then
	check "nvtcp_perf -V 4 KiB randrw QD32, xor" bash -c "timeout -k 5 120 '$PERF' \
		--no-progress -c $PERF_MASK -q 32 -o 4096 -w randrw -M 50 -t 2 -P 2 -V \
		-r 'trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$P subnqn:$NQN' \
		>'$TMP/perf.out' 2>&1; rc=\$?; tail -n 3 '$TMP/perf.out'; \
		[ \$rc = 0 ] && grep -q 'Verification PASSED' '$TMP/perf.out'"
fi

kill -TERM "$TGT_PID"
for _ in $(seq 300); do
	kill -0 "$TGT_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$TGT_PID"
rc=$?
TGT_PID=
check "nvtcp_xor_tgt stops cleanly (exit 0, target destroyed)" \
	bash -c "[ $rc = 0 ] && grep -q 'target destroyed' '$TMP/xor.log'"

check "nvtcp_tgt refuses an unregistered backend, naming the known ones" bash -c \
	"! timeout -k 5 60 '$TGT_BIN' -m 0x1 --listen 127.0.0.1:0 --subsys $NQN --ns xor:64M \
	>'$TMP/bad.out' 2>&1 && grep -q \"'xor:64M' is not\" '$TMP/bad.out' && \
	grep -q 'uring' '$TMP/bad.out'"
finish
