#!/usr/bin/env bash
# nvtcp_perf over host multipath (--multipath-policy, doc/perf.md): two -r of one nvtcp_tgt
# subsystem form one multipath namespace. A verified run (-V --prefill, random read/write,
# QD 32) goes on while mpath_faults (mpath_lib.sh) flips the listeners' ANA states by RPC and
# removes path 2's listener for 3 s and adds it back. Expected: exit 0, 0 errors, 0
# mismatches (Verification PASSED), both paths carried I/O, I/Os failed over, and the --json
# document has one object per path. Then each policy runs briefly without faults, two
# subsystems run on two worker cores (one multipath namespace each), and bad set-ups are refused.
# Ports 5552..5553 (MPATH_PORT1/MPATH_PORT2 override). DURATION (default 30) sets the fault run.
set -uo pipefail
. "$(dirname "$0")/tgt_lib.sh"
. "$(dirname "$0")/mpath_lib.sh"

RPC_PY=$ROOT/scripts/nvtcp-rpc
PERF=$BUILD_DIR/bin/nvtcp_perf
NQN=nqn.2024-01.io.nvtcp:perfmpath
NQN2=nqn.2024-01.io.nvtcp:perfmpath2
P1=${MPATH_PORT1:-5552} P2=${MPATH_PORT2:-5553}
SOCK=$TMP/pm.sock
DURATION=${DURATION:-30}
PY=${PYTHON:-python3}

for b in "$PERF" "$RPC_PY"; do
	[ -x "$b" ] || { log "FAIL: $b not built"; failures+=("missing $b"); finish; }
done

cat >"$TMP/pm.json" <<JSON
{
  "subsystems": [
    {
      "nqn": "$NQN", "allow_any_host": true,
      "namespaces": [ {"nsid": 1, "backend": "malloc", "size": "16M"} ],
      "listeners": [
        {"address": "127.0.0.1", "port": $P1, "ana_state": "optimized"},
        {"address": "127.0.0.1", "port": $P2, "ana_state": "optimized"}
      ]
    },
    {
      "nqn": "$NQN2", "allow_any_host": true,
      "namespaces": [ {"nsid": 1, "backend": "malloc", "size": "16M"} ],
      "listeners": [
        {"address": "127.0.0.1", "port": $P1}, {"address": "127.0.0.1", "port": $P2}
      ]
    }
  ]
}
JSON

tgt_start pm -m 0x1 --rpc-socket "$SOCK" --config "$TMP/pm.json" || finish

R1="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$P1 subnqn:$NQN"
R2="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$P2 subnqn:$NQN"
# One worker core (-c 0x1): a multipath namespace and its paths' admin queues have one owner.
PERF_ARGS=(-q 32 -o 4k -w randrw -M 50 -c 0x1 --no-huge -s 256 --no-progress
	   --reconnect-delay 1000 --ctrl-loss-tmo 60 -r "$R1" -r "$R2")

# ---- Verified run across ANA flips and a dropped path -----------------------------------------
"$PERF" "${PERF_ARGS[@]}" -t "$DURATION" -V --prefill --multipath-policy round-robin \
	--json "$TMP/faults.json" >"$TMP/faults.out" 2>"$TMP/faults.err" &
PERF_PID=$!
mpath_faults "$PERF_PID" "$DURATION"
wait "$PERF_PID"
rc=$?
grep -E '^(Total|Multipath|  path|I/O accounting|Verification)' "$TMP/faults.out"
if [ "$rc" != 0 ] || ! grep -q '^Verification PASSED' "$TMP/faults.out"; then
	log "FAIL: faults: nvtcp_perf exit $rc"
	tail -n 20 "$TMP/faults.err"
	failures+=("faults run")
fi
if ! grep -q 'completed with error 0$' "$TMP/faults.out"; then
	log "FAIL: faults: I/O errors reached nvtcp_perf"
	failures+=("faults errors")
fi
# Both paths carried I/O, I/O failed over, and the JSON has both paths.
if ! "$PY" - "$TMP/faults.json" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
devs = [d for d in doc["results"]["devices"] if "multipath" in d]
assert len(devs) == 1, "one multipath device expected, got %d" % len(devs)
m = devs[0]["multipath"]
paths = m["paths"]
assert len(paths) == 2, "two paths expected"
for p in paths:
    for k in ("trid", "ana_state", "state", "ios", "iops", "mib_s", "share_pct",
              "failovers", "errors", "reconnects"):
        assert k in p, "path object without " + k
    assert p["ios"] > 0, "path %s carried no I/O" % p["trid"]
assert sum(p["failovers"] for p in paths) > 0, "no I/O failed over"
assert devs[0]["io_errors"] == 0, "I/O errors"
print("json: paths %s, failovers %s, retries %d" %
      ([p["ios"] for p in paths], [p["failovers"] for p in paths], m["retries"]))
PYEOF
then
	log "FAIL: faults: --json per-path check"
	failures+=("faults json")
fi

# ---- Each policy, no faults: exit 0, verification passes --------------------------------------
for pol in active-passive round-robin queue-depth; do
	check "policy $pol" "$PERF" "${PERF_ARGS[@]}" -t 3 -V --multipath-policy "$pol"
done

# ---- Two subsystems, two worker cores: each worker owns one multipath namespace ------------
# (the second worker is not the main core: the admin queues of its paths move to it)
"$PERF" -q 16 -o 4k -w randrw -M 50 -c 0x3 --no-huge -s 512 --no-progress -t 3 -V \
	--multipath-policy round-robin -r "$R1" -r "$R2" \
	-r "trtype:tcp traddr:127.0.0.1 trsvcid:$P1 subnqn:$NQN2" \
	-r "trtype:tcp traddr:127.0.0.1 trsvcid:$P2 subnqn:$NQN2" >"$TMP/w2.out" 2>&1
rc=$?
grep -E '^(Associating|  path|Verification)' "$TMP/w2.out"
if [ "$rc" != 0 ] || [ "$(grep -c '^Multipath .*: retries' "$TMP/w2.out")" != 2 ] ||
   [ "$(grep -c '^Associating .* with lcore [01]$' "$TMP/w2.out")" != 2 ]; then
	log "FAIL: two multipath namespaces on two workers (exit $rc)"
	tail -n 20 "$TMP/w2.out"
	failures+=("two workers, two namespaces")
fi

# ---- Refusals: bad policy, more than one worker for the namespace -----------------------------
if "$PERF" "${PERF_ARGS[@]}" -t 1 --multipath-policy fastest >"$TMP/bad.out" 2>&1; then
	log "FAIL: an unknown policy was accepted"
	failures+=("bad policy")
fi
grep -q 'multipath-policy.*unknown policy' "$TMP/bad.out" || failures+=("bad policy message")
# Two worker cores for one multipath namespace: refused at set-up (one owner per path).
if "$PERF" "${PERF_ARGS[@]}" -c 0x3 -t 1 --multipath-policy round-robin >"$TMP/two.out" 2>&1
then
	log "FAIL: two workers on one multipath namespace were accepted"
	failures+=("two workers")
fi
grep -q 'needs exactly one' "$TMP/two.out" || { cat "$TMP/two.out"; failures+=("two workers message"); }
tgt_stop
finish
