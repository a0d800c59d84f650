#!/usr/bin/env bash
# The control plane cannot disturb the data path: nvtcp_perf runs verified mixed I/O against
# nvtcp_tgt while test/tools/rpc_fuzz hammers the target's JSON-RPC socket (malformed and
# oversize documents, stalled half requests, wrong parameter types, 100 clients at once).
# Verification must pass with no I/O error, the fuzzer must see well-formed answers throughout,
# the subsystems must be exactly as before (no failed call changed anything), and the target
# must still answer and stop cleanly.
set -uo pipefail
source "$(dirname "$0")/perf_lib.sh"
need_bins "$PERF" "$TGT"
RPC=$ROOT/scripts/nvtcp-rpc
FUZZ=$ROOT/test/tools/rpc_fuzz
SOCK=$WORK/rpc.sock

TGT_NS=16M tgt_start --rpc-socket "$SOCK"
check "the RPC socket exists with mode 0600" [ "$(stat -c %a "$SOCK" 2>/dev/null)" = 600 ]
"$RPC" -s "$SOCK" nvmf_get_subsystems > "$WORK/before.json"
check "nvmf_get_subsystems answers before" [ -s "$WORK/before.json" ]

# The same run without the fuzzer first: its IOPS and worst latency are the yardstick.
"$PERF" -c "$PERF_MASK" -q 32 -o 4096 -w randrw -M 50 -t 4 -P 4 -V -r "$(tgt_trid)" \
	--json "$WORK/base.json" > "$WORK/base.out" 2>&1
check "baseline verified perf exits 0" grep -q "Verification PASSED" "$WORK/base.out"

# Perf runs longer than the fuzzer, so every fuzz mode overlaps verified I/O. Stalled half
# requests are held 3 s: a reactor that waited on one would show it as a latency that long.
"$PERF" -c "$PERF_MASK" -q 32 -o 4096 -w randrw -M 50 -t 14 -P 4 -V -r "$(tgt_trid)" \
	--json "$WORK/perf.json" > "$WORK/perf.out" 2>&1 &
perf_pid=$!
sleep 2
timeout 60 python3 "$FUZZ" -s "$SOCK" -d 10 --seed 1234 --stall-seconds 3 > "$WORK/fuzz.out" 2>&1
fuzz_rc=$?
wait "$perf_pid"
perf_rc=$?
sed 's/^/  fuzz: /' "$WORK/fuzz.out" | tail -n 15
grep -E 'IOPS|Verification|accounting' "$WORK/perf.out" | sed 's/^/  perf: /' | tail -n 6
check "rpc_fuzz: the server kept answering, every answer well-formed" [ "$fuzz_rc" = 0 ]
check "perf exits 0 while the socket is fuzzed" [ "$perf_rc" = 0 ]
check "verification passed" grep -q "Verification PASSED" "$WORK/perf.out"
check "no I/O error, accounting adds up" grep -qE \
	"^I/O accounting: submitted ([0-9]+) = completed ok \1 \+ completed with error 0$" \
	"$WORK/perf.out"
check "perf JSON: no mismatch" python3 - "$WORK/perf.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["results"]["total"]
assert t["verify"]["mismatches"] == 0 and t["io_errors"] == 0, t
assert t["io_completed_ok"] > 0, t
PY
# The fuzzer is a busy Python process on a 2-core machine, so throughput shares the CPU with
# it; the ratio is reported, and what must hold is that no I/O waited on the control plane.
check "no I/O waited on a stalled RPC client (max latency < 1.5 s)" python3 - \
	"$WORK/base.json" "$WORK/perf.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["results"]["total"]
f = json.load(open(sys.argv[2]))["results"]["total"]
print("  IOPS under fuzzing / without: %.0f / %.0f = %.2f; max latency %.0f us / %.0f us"
      % (f["iops"], b["iops"], f["iops"] / b["iops"], f["latency_us"]["max"],
         b["latency_us"]["max"]))
assert f["latency_us"]["max"] < 1.5e6, f["latency_us"]
PY
"$RPC" -s "$SOCK" nvmf_get_subsystems > "$WORK/after.json"
check "nothing changed by the failed calls" cmp -s "$WORK/before.json" "$WORK/after.json"
check "the target still answers spdk_get_version" "$RPC" -s "$SOCK" spdk_get_version
check "the target is alive" kill -0 "$TGT_PID"
tgt_stop
check "the socket file is removed at exit" [ ! -e "$SOCK" ]
finish
