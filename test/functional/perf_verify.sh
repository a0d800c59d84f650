#!/usr/bin/env bash
# nvtcp_perf --verify against nvtcp_tgt (started here on a free port): mixed reads and writes
# on several queue pairs for a few seconds, then sequential large I/O, a completion budget on a
# poll group, --prefill, another seed; there must be no mismatch, the I/O accounting must add
# up, and the exit status must be 0. Then the other socket implementation (--sock-impl) and a
# -r without subnqn (discovery).
set -uo pipefail
source "$(dirname "$0")/perf_lib.sh"
need_bins "$PERF" "$TGT"
# A small namespace: writes soon cover it, so many reads are checked even on a slow machine,
# and --prefill below is quick.
TGT_NS=16M tgt_start --max-queue-depth 256

perf_run rw4k 120 -c "$PERF_MASK" -q 32 -o 4096 -w randrw -M 50 -t 4 -P 4 -V \
	-r "$(tgt_trid)" --json "$WORK/rw4k.json"
check "4 KiB randrw --verify on 4 queue pairs exits 0" [ "$PERF_RC" = 0 ]
check "verification passed" out_has rw4k "Verification PASSED"
check "accounting printed and adds up" grep -qE \
	"^I/O accounting: submitted ([0-9]+) = completed ok \1 \+ completed with error 0$" \
	"$WORK/rw4k.out"
check "JSON: no mismatch, writes stamped, accounting ok" python3 - "$WORK/rw4k.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["results"]["total"]
# Counts depend on the machine's load: only what must hold whatever the speed is asserted.
assert t["verify"]["mismatches"] == 0, t["verify"]
assert t["verify"]["writes_stamped"] > 0, t["verify"]
assert t["verify"]["reads_after_failed_write"] == 0 and t["verify"]["gave_up"] == 0, t["verify"]
assert t["accounting_ok"] and t["io_submitted"] == t["io_completed_ok"] + t["io_errors"], t
assert d["results"]["devices"][0]["qpairs"] == 4
PY

perf_run rw128k 120 -c "$PERF_MASK" -q 8 -o 128k -w rw -M 50 -t 3 -P 2 -V -r "$(tgt_trid)"
check "128 KiB sequential rw --verify exits 0" [ "$PERF_RC" = 0 ]
check "128 KiB: verification passed" out_has rw128k "Verification PASSED"

# A completion budget per poll (-C) on a poll group of several queue pairs: completions left
# over at the budget must still be delivered (at the end of the run nothing else arrives to
# wake the socket up), so the run drains at once and the accounting adds up.
perf_run budget 120 -c "$PERF_MASK" -q 32 -o 4096 -w randrw -M 50 -t 2 -P 4 -C 2 --poll group -V \
	-r "$(tgt_trid)"
check "-C 2 on a poll group: exits 0" [ "$PERF_RC" = 0 ]
check "-C 2 on a poll group: accounting adds up" grep -qE \
	"^I/O accounting: submitted ([0-9]+) = completed ok \1 \+ completed with error 0$" \
	"$WORK/budget.out"

# --prefill stamps every block first, so a read-only run checks every single read.
perf_run prefill 120 -c "$PERF_MASK" -q 16 -o 4096 -w randread -t 2 -P 2 -V --prefill \
	-r "$(tgt_trid)" --json "$WORK/prefill.json"
check "--prefill: exits 0" [ "$PERF_RC" = 0 ]
check "--prefill: every read was checked" python3 - "$WORK/prefill.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["results"]["total"]
v = t["verify"]
assert v["mismatches"] == 0 and v["reads_unwritten"] == 0, v
assert v["reads_checked"] == t["io_completed_ok"] > 0, (v, t["io_completed_ok"])
PY

# A second run with another seed on the same namespace: blocks the first run left are not
# this run's, so they are never compared (their slots count as unwritten) and it passes.
perf_run seed 120 -c "$PERF_MASK" -q 16 -o 4096 -w randrw -M 90 -t 2 -V --seed 7 \
	-r "$(tgt_trid)"
check "second run with another seed passes" [ "$PERF_RC" = 0 ]
check "seed is reported" out_has seed "seed 0x00000007"

# The other socket implementation (io_uring groups, or posix when the suite already runs on
# uring through NVTCP_SOCK_IMPL), host and embedded target alike in one process: verified
# mixed I/O on 4 queue pairs of one poll group. The whole suite runs on either with
# NVTCP_SOCK_IMPL=posix|uring (doc/testing.md).
OTHER_IMPL=uring
[ "${NVTCP_SOCK_IMPL:-posix}" = uring ] && OTHER_IMPL=posix
perf_run impl 120 -c "$PERF_MASK" -q 32 -o 4096 -w randrw -M 50 -t 2 -P 4 -V \
	--sock-impl "$OTHER_IMPL" --tgt-ns-size 16M --json "$WORK/impl.json"
check "--sock-impl $OTHER_IMPL (host and embedded target): verified, accounting adds up" \
	python3 - "$WORK/impl.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["results"]["total"]
assert t["verify"]["mismatches"] == 0 and t["verify"]["reads_checked"] > 0, t["verify"]
assert t["accounting_ok"] and t["io_errors"] == 0 and t["io_completed_ok"] > 0, t
PY

# Without subnqn, -r means every NVMe subsystem the discovery service at that address lists.
perf_run discovery 120 -c "$PERF_MASK" -q 4 -o 4096 -w randread -t 1 \
	-r "trtype:tcp traddr:127.0.0.1 trsvcid:$TGT_PORT"
check "-r without subnqn: discovers the subsystem and runs" [ "$PERF_RC" = 0 ]
check "-r without subnqn: attached to the discovered subsystem" \
	out_has discovery "Attached to NVMeoF Controller at TCP (addr:127.0.0.1 subnqn:$TGT_NQN)"

finish
