#!/usr/bin/env bash
# Resource limits: a greedy host (test/tools/greedy_host) takes every queue, controller and
# connection nvtcp_tgt lets it have, from 127.0.0.2; each limit must refuse it at the expected
# point with the expected status (per-host queue entries, I/O queues and queues at Connect,
# per-address connections at accept). While it holds everything, a well-behaved host
# (nvtcp_perf -V, another host NQN, source 127.0.0.1) must get all its queues and verify its
# data, and the target's RSS must stay within the bound the limits imply. Afterwards the
# per-host usage must be back to zero and the target must stop cleanly.
set -uo pipefail
. "$(dirname "$0")/tgt_lib.sh"

NQN=nqn.2024-01.io.nvtcp:limits
GREEDY_NQN=nqn.2014-08.org.nvmexpress:uuid:6eed7000-0000-4000-8000-00000000000a
GOOD_NQN=nqn.2014-08.org.nvmexpress:uuid:600d0000-0000-4000-8000-00000000000b
GREEDY=$ROOT/test/tools/greedy_host/greedy_host.py
PERF=$BUILD_DIR/bin/nvtcp_perf
PORT=5510

# Limits small enough to reach quickly, chosen so that each one is the first to bite at a
# different step of the greedy host (see greedy_host.py): 32 + 5 x 128 entries fit, a sixth
# 128-entry queue does not (772), and neither do a seventh and eighth, each then asked again
# with 16 entries (720); the ninth I/O queue is refused (8); one more controller fits (752
# entries), the next is refused (10 queues); then bare connections until the address holds
# 16. The host ends with 5 refusals: 3 of queue entries, 1 of I/O queues, 1 of queues.
cat >"$TMP/tgt.json" <<EOF
{
  "options": {
    "max_connections_per_addr": 16, "max_connections_per_host": 10,
    "max_io_queues_per_host": 8, "max_queue_entries_per_host": 772,
    "connect_timeout_ms": 120000
  },
  "listeners": [{"address": "127.0.0.1", "port": "$PORT"}],
  "subsystems": [{"nqn": "$NQN", "namespaces": [{"backend": "malloc", "size": "64M"}]}]
}
EOF

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

tgt_start limits -m 0x1 --config "$TMP/tgt.json" || finish
[ "${TGT_PORTS[0]}" = "$PORT" ] || { failures+=("port"); finish; }
sleep 0.5
rss0=$(rss_kib "$TGT_PID")

# greedy_start OUT ARGS...: run the greedy host from 127.0.0.2 until it holds everything it
# got (or fails); it lets go when greedy_stop closes its stdin.
greedy_start() {
	local out=$1
	shift
	rm -f "$TMP/gin"
	mkfifo "$TMP/gin"
	python3 "$GREEDY" --port "$PORT" --src 127.0.0.2 --subnqn "$NQN" "$@" \
		<"$TMP/gin" >"$out" 2>&1 &
	gpid=$!
	exec {gin}>"$TMP/gin"
	for _ in $(seq 300); do
		grep -q '^holding yes$' "$out" && break
		kill -0 "$gpid" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/    greedy: /' "$out"
}
greedy_stop() {
	exec {gin}>&-
	wait "$gpid" || failures+=("greedy host exit")
}

log "greedy host from 127.0.0.2"
greedy_start "$TMP/greedy.out" --hostnqn "$GREEDY_NQN"

expect() { # key value
	if grep -qx "$1 $2" "$TMP/greedy.out"; then
		log "ok: greedy $1 = $2"
	else
		log "FAIL: greedy $1: expected $2, got '$(sed -n "s/^$1 //p" "$TMP/greedy.out")'"
		failures+=("greedy $1")
	fi
}
# Statuses without the phase bit: DNR (0x4000) | SCT 1 (0x100) | SC.
expect granted 64
expect io_large_refusal 0x4182          # Connect Invalid Parameters (SQSIZE), entries
expect io_queues_large 5
expect io_refusal 0x4181                # Controller Busy: max_io_queues_per_host
expect io_queues 8
expect ctrlr_refusal 0x4181             # Controller Busy: max_connections_per_host
expect controllers 2
expect accept_refused yes               # closed at accept: max_connections_per_addr
expect connections 16

grep -q "Connect qid 6 of host $GREEDY_NQN .*max_queue_entries_per_host 772" "$TGT_LOG" ||
	failures+=("no log of the entries refusal")
grep -q "Connect qid 9 of host $GREEDY_NQN .*max_io_queues_per_host 8 reached" "$TGT_LOG" ||
	failures+=("no log of the I/O queue refusal")
grep -q "Connect qid 0 of host $GREEDY_NQN .*max_connections_per_host 10 reached" "$TGT_LOG" ||
	failures+=("no log of the per-host refusal")
grep -q "refusing 127.0.0.2:[0-9]* on 127.0.0.1:$PORT: max_connections_per_addr 16" \
	"$TGT_LOG" || failures+=("no log of the per-address refusal")

# What the greedy host may hold: 16 connections (struct, 64 KiB receive buffer, 8 KiB CID
# map: ~87 KiB) and 772 queue entries (~5.8 KiB of requests each), ~5.8 MiB in all; allow
# 16 MiB for the allocator and socket buffers. Without the limits it would take 65 queues of
# 128 entries (~54 MiB).
rss1=$(rss_kib "$TGT_PID")
log "target RSS: ${rss0} KiB before, ${rss1} KiB with the greedy host at its limits"
if ((rss1 - rss0 > 16 * 1024)); then
	failures+=("RSS grew by $((rss1 - rss0)) KiB")
fi

log "a well-behaved host while the greedy one holds on"
check "perf -V, 4 queues of 128, other host NQN" timeout 120 "$PERF" --no-progress -c 0x1 \
	-q 32 -o 4096 -w randrw -M 50 -t 3 -P 4 -V \
	-r "trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN hostnqn:$GOOD_NQN"
grep -q "Connect .* of host $GOOD_NQN .*refused" "$TGT_LOG" && failures+=("good host refused")

kill -USR1 "$TGT_PID"
sleep 0.5
grep -q "limits: host $GREEDY_NQN: 10 queues, 8 I/O queues, 752 queue entries, 5 refusals" \
	"$TGT_LOG" || failures+=("usage of the greedy host in the statistics")
grep -q "limits: address 127.0.0.2: 16 connections, 1 refusals" "$TGT_LOG" ||
	failures+=("usage of 127.0.0.2 in the statistics")
grep -q "refusals: max_connections 0, max_connections_per_addr 1, max_connections_per_host 1, max_io_queues_per_host 1, max_queue_entries_per_host 3, max_connections_per_subsys 0" \
	"$TGT_LOG" || failures+=("refusal counters")
# The same figures through the control plane (nvmf_get_stats.resource_limits).
check "nvmf_get_stats reports the limits, refusals and usage" python3 - \
	"$ROOT/scripts/nvtcp-rpc" "$TMP/limits.sock" "$GREEDY_NQN" <<'PY'
import json, subprocess, sys
rpc, sock, greedy = sys.argv[1:4]
st = json.loads(subprocess.run([sys.executable, rpc, "-s", sock, "nvmf_get_stats"],
                               check=True, capture_output=True, text=True).stdout)
rl = st["resource_limits"]
lim = {k: (v["value"], v["refusals"]) for k, v in rl["limits"].items()}
assert lim["max_connections_per_addr"] == (16, 1), lim
assert lim["max_connections_per_host"] == (10, 1), lim
assert lim["max_io_queues_per_host"] == (8, 1), lim
assert lim["max_queue_entries_per_host"] == (772, 3), lim
h = [x for x in rl["hosts"] if x["hostnqn"] == greedy]
assert h and (h[0]["connections"], h[0]["io_queues"], h[0]["queue_entries"],
              h[0]["refusals"]) == (10, 8, 752, 5), rl["hosts"]
a = [x for x in rl["addresses"] if x["address"] == "127.0.0.2"]
assert a and (a[0]["connections"], a[0]["refusals"]) == (16, 1), rl["addresses"]
print("resource_limits:", json.dumps(rl["limits"]))
PY

log "the greedy host lets go"
greedy_stop
sleep 0.5
lines=$(wc -l <"$TGT_LOG")
kill -USR1 "$TGT_PID"
sleep 0.5
tail -n +"$((lines + 1))" "$TGT_LOG" >"$TMP/after.log"
grep -q "limits: 0 connections" "$TMP/after.log" || failures+=("connections left")
grep -q "limits: host " "$TMP/after.log" && failures+=("host usage left")
grep -q "limits: address " "$TMP/after.log" && failures+=("address usage left")
tgt_stop
grep -q "not back to zero" "$TGT_LOG" && failures+=("accounting at destroy")

# The same greedy host without the limits (0 = none): what they saved. It stops at 80
# connections: 64 I/O queues of 128 entries and 16 controllers.
sed -i 's/"max_connections_per_addr": 16, "max_connections_per_host": 10,/"max_connections_per_addr": 0, "max_connections_per_host": 0,/;
	s/"max_io_queues_per_host": 8, "max_queue_entries_per_host": 772,/"max_io_queues_per_host": 0, "max_queue_entries_per_host": 0,/' "$TMP/tgt.json"
tgt_start nolimits -m 0x1 --config "$TMP/tgt.json" || finish
sleep 0.5
rss0=$(rss_kib "$TGT_PID")
log "greedy host, no limits"
greedy_start "$TMP/greedy2.out" --hostnqn "$GREEDY_NQN" --max-conns 80
grep -qx "io_queues 64" "$TMP/greedy2.out" || failures+=("no limits: 64 I/O queues")
grep -qx "connections 80" "$TMP/greedy2.out" || failures+=("no limits: 80 connections")
rss1=$(rss_kib "$TGT_PID")
log "target RSS without limits: ${rss0} KiB before, ${rss1} KiB with the greedy host"
if ((rss1 - rss0 < 32 * 1024)); then
	failures+=("without limits RSS grew by only $((rss1 - rss0)) KiB (expected ~54 MiB)")
fi
greedy_stop
tgt_stop
finish
