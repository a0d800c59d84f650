#!/usr/bin/env bash
# Soak with faults: the host's recovery under a transport that keeps breaking.
#
# nvtcp_tgt (RAM namespace) behind test/tools/fault_proxy, which resets every connection 2-5 s
# after it opened and flips a bit every ~4 MB of each direction, with header and data digests
# on (a flip in a header is a digest error: TermReq, connection down, controller reset; in data,
# a data digest error: a Read is sent again (up to 3 times), any other command fails with
# Transient Transport Error). Then:
#   1. nvtcp_perf --verify at QD 32 on 4 queue pairs for SOAK_SECONDS (60): no mismatch, the
#      I/O accounting adds up (submitted = completed ok + completed with error), every errored
#      I/O was retried and verified (none given up), the controller reconnected each time
#      (reconnect lines in the log, reconnects counted), memory flat (RSS), and at the end
#      every task idle and every driver request back in its queue pair's pool.
#   2. host_io (test/functional/host_recovery) for SOAK_SECONDS / 2: one thread per queue pair,
#      the same checks plus exactly-once completion per command, nothing lost, every request
#      back in its pool at the end.
#
#   SOAK_SECONDS=20 SEED=7 test/functional/host_soak_faults.sh
# Ports 4460 (target) and 4461 (proxy).
set -uo pipefail
source "$(dirname "$0")/host_lib.sh"
need "$TGT" "$PERF" "$PROXY" "$HOSTIO"

SOAK_SECONDS=${SOAK_SECONDS:-60}
SEED=${SEED:-$(date +%s)}
NQN=nqn.2024-01.io.nvtcp:host-soak
TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:4461 subnqn:$NQN"
if (($(nproc) >= 2)); then
	PERF_MASK=0x2
else
	PERF_MASK=0x1
fi
port_free 4460
port_free 4461
log "seed $SEED, $SOAK_SECONDS s"
tgt_up soak 4460 --subsys "$NQN" --ns malloc:256M --max-queue-depth 128
# --global: one schedule for every connection, so the resets come every 2-5 s whatever the
# flips did to the connections in between.
proxy_up soak 4461 4460 --seed "$SEED" --global --reset-every 2000-5000 --flip-every-bytes 4M \
	--quiet --json "$WORK/proxy.json"

# ---- 1. nvtcp_perf --verify -------------------------------------------------------------------
rss_of() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }

log "+ nvtcp_perf -q 32 -o 4096 -w randrw -M 50 -t $SOAK_SECONDS -P 4 -V -H -I -Q 1000 (through the proxy)"
timeout --kill-after=5 $((SOAK_SECONDS + 90)) "$PERF" --no-progress --no-huge --log-level notice \
	-c "$PERF_MASK" -q 32 -o 4096 -w randrw -M 50 -t "$SOAK_SECONDS" -P 4 -V -H -I -Q 1000 \
	-r "$TRID" --json "$WORK/perf.json" > "$WORK/perf.out" 2>&1 &
PERF_PID=$!
sleep 0.5
PERF_CHILD=$(pgrep -P "$PERF_PID" -n)
RSS1=
RSS2=
# Sampled by the clock, not by counting sleeps: on a loaded machine each pass of this loop takes
# longer than its sleep, and a count would never reach the 3/4 mark before perf ends.
soak_t0=$(date +%s%N)
while kill -0 "$PERF_PID" 2>/dev/null; do
	el=$((($(date +%s%N) - soak_t0) / 100000000)) # tenths of a second
	[ -z "$RSS1" ] && ((el >= SOAK_SECONDS * 10 / 4)) && RSS1=$(rss_of "$PERF_CHILD")
	[ -z "$RSS2" ] && ((el >= SOAK_SECONDS * 10 * 3 / 4)) && RSS2=$(rss_of "$PERF_CHILD")
	sleep 0.1
done
wait "$PERF_PID"
PERF_RC=$?
grep -a -v "completed with error" "$WORK/perf.out" | grep -a -E \
	"^(I/O accounting|At the end|Verification|  )|Total|gave up" | sed 's/^/  | /'
log "nvtcp_perf exited $PERF_RC; RSS at 1/4 of the run: ${RSS1:-?} kB, at 3/4: ${RSS2:-?} kB"
# -Q: errored I/Os are retried, not failures; a mismatch, a given-up I/O, an accounting gap
# or anything left outstanding at the end makes the exit status 1.
check "nvtcp_perf passed (exit 0: verified, nothing given up, nothing left outstanding)" \
	test "$PERF_RC" -eq 0
check "nvtcp_perf: no mismatch, accounting adds up, every error retried, none given up" \
	python3 - "$WORK/perf.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["results"]["total"]
v = t["verify"]
print("  io_submitted", t["io_submitted"], "ok", t["io_completed_ok"], "errors", t["io_errors"],
      "retries", v["retries"], "gave_up", v["gave_up"], "mismatches", v["mismatches"],
      "reads_checked", v["reads_checked"], "reconnects", t["driver"]["reconnects"],
      "left at the end: tasks", t["end_tasks_in_flight"], "driver requests",
      t["end_driver_requests_outstanding"])
assert v["mismatches"] == 0, v
assert t["accounting_ok"], t
assert t["io_submitted"] == t["io_completed_ok"] + t["io_errors"], t
assert v["gave_up"] == 0, v
assert v["retries"] == t["io_errors"], (v["retries"], t["io_errors"])
assert v["reads_checked"] > 10000, v
assert t["io_errors"] > 0, "no I/O error at all: the faults did not reach the host"
# Pools back to full: every task idle, every driver request back in its queue pair's pool.
assert t["resources_back"], t
assert t["end_tasks_in_flight"] == 0 and t["end_driver_requests_outstanding"] == 0, t
PY
RESETS=$(grep -a -c "resetting (" "$WORK/perf.out")
RECONNECTED=$(grep -a -c "reconnected (attempt" "$WORK/perf.out")
# Over the queue pairs' whole life, like the log lines (driver.reconnects is the measured time
# only: a reset in the drain after it is not there).
QRECONN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"]["total"]["qpair_reconnects_all"])' "$WORK/perf.json" 2>/dev/null || echo 0)
log "perf: $RESETS resets, $RECONNECTED controller reconnects, $QRECONN queue pair reconnects"
check "the controller reset at least $((SOAK_SECONDS / 6)) times and reconnected every time" \
	test "$RESETS" -ge $((SOAK_SECONDS / 6)) -a "$RECONNECTED" -ge $((RESETS - 1))
# A queue pair reconnects in its owner's poll to the controller's current association: when
# the proxy resets the controller again before that poll, the queue pair skips the dead
# association and joins the next one (as it should). So: 4 per reconnect, less a few skips.
SKIPS=$((RECONNECTED / 10 + 1))
check "every queue pair came back after the resets (4 per reconnect, at most $SKIPS skipped)" \
	test "$QRECONN" -ge $((4 * (RECONNECTED - SKIPS)))
check "no give-up, no controller failure" \
	bash -c "! grep -a -q -E 'gave up reconnecting|nvme_ctrlr_fail: ' '$WORK/perf.out'"
check "reconnect attempts logged as 'reconnect attempt X of Y (reason: ...)'" \
	grep -a -q -E "reconnect attempt [0-9]+ of 60 \(reason: " "$WORK/perf.out"
check "perf memory flat (RSS growth below 8 MiB from 1/4 to 3/4 of the run)" \
	test -n "$RSS1" -a -n "$RSS2" -a "$((RSS2 - RSS1))" -lt 8192

# ---- 2. host_io: one thread per queue pair, exactly-once accounting ---------------------------
HALF=$((SOAK_SECONDS / 2))
host_io hio $((HALF + 150)) -r "traddr:127.0.0.1 trsvcid:4461 subnqn:$NQN" -P 4 -q 32 -t "$HALF" \
	-H -I --quiet --expect-state live --resume-within 5 --min-reconnects $((HALF / 6))
check "host_io: no mismatch, each command completed once, nothing lost, pools full" \
	test "$HIO_RC" = 0
check "host_io: commands failed and were retried (faults reached it)" \
	test "$(field hio errors)" -gt 0 -a "$(field hio gave_up)" = 0
check "host_io: memory flat (RSS growth below 4 MiB over the last 3/4 of the run)" \
	test $(($(field hio rss_end_kb) - $(field hio rss_mid_kb))) -lt 4096

proxy_down
check "the proxy injected resets and bit flips" python3 - "$WORK/proxy.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("  proxy: connections", d["connections"], "faults", d["faults"],
      "flips by region", d["flips_by_region"])
assert d["faults"]["reset-rst"] + d["faults"]["reset-fin"] > 2, d["faults"]
assert d["faults"]["flip"] > 5, d["faults"]
PY
tgt_down
finish
