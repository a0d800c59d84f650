#!/usr/bin/env bash
# nvtcp_perf --json writes a document that parses and holds the figures, the options and the
# environment, including system calls per I/O from the driver's counters.
set -uo pipefail
source "$(dirname "$0")/perf_lib.sh"
need_bins "$PERF"

perf_run run 120 -c "$PERF_MASK" -q 16 -o 4096 -w randrw -M 70 -t 2 -a 1 -L --json "$WORK/out.json" \
	--io-timeout 20000 --ctrl-loss-tmo -1 --tcp-user-timeout 15000
check "run exits 0" [ "$PERF_RC" = 0 ]
check "python3 -m json.tool accepts it" python3 -m json.tool "$WORK/out.json" /dev/null
check "fields present and sane" python3 - "$WORK/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tool"] == "nvtcp_perf" and d["schema_version"] == 1
e = d["environment"]
for k in ("hostname", "kernel", "cpu_model", "core_mask", "cores", "worker_cores", "hugepages",
          "nvtcp_version", "tsc_hz", "start_time", "mem_size_mb"):
    assert k in e, k
assert isinstance(e["hugepages"], bool)
o = d["options"]
assert o["queue_depth"] == 16 and o["io_size"] == 4096 and o["workload"] == "randrw"
assert o["rwmixread"] == 70 and o["time_s"] == 2 and o["warmup_s"] == 1
assert o["io_timeout_ms"] == 20000 and o["ctrl_loss_tmo_s"] == -1, o
assert o["tcp_user_timeout_ms"] == 15000 and o["reconnect_delay_ms"] is None, o
assert d["target"]["embedded"] is True and d["target"]["port"] > 0
assert len(d["target"]["reactors"]) == 1 and d["target"]["reactors"][0]["cmds"] > 0
r = d["results"]
t = r["total"]
assert t["iops"] > 0 and t["mib_s"] > 0 and t["io_completed"] > 0
assert t["accounting_ok"]
assert t["resources_back"] and t["end_tasks_in_flight"] == 0, t
assert t["end_driver_requests_outstanding"] == 0, t
lat = t["latency_us"]
assert 0 < lat["min"] <= lat["average"] <= lat["max"], lat
assert lat["p50"] <= lat["p99"] <= lat["p99_99"], lat
assert len(lat["percentiles"]) == 15
s = r["syscalls_per_io"]
for k in ("send", "recv", "epoll", "total"):
    assert s[k] >= 0, (k, s)
assert s["send"] > 0 and s["recv"] > 0, s
dev = r["devices"][0]
assert dev["nsid"] == 1 and dev["io_completed"] == t["io_completed"]
assert sum(b[2] for b in dev["histogram_us"]) == dev["io_completed"]
assert dev["driver"]["send_calls"] > 0 and dev["driver"]["pdus_sent"] > 0
assert r["workers"][0]["io_completed"] == t["io_completed"]
assert d["exit_status"] == 0
print("iops %.0f, syscalls/IO send %.3f recv %.3f" % (t["iops"], s["send"], s["recv"]))
PY

# --json - writes the document to stdout after the human-readable report.
perf_run stdout 120 -c "$PERF_MASK" -q 4 -o 4096 -w read -t 1 --json -
check "--json - goes to stdout" python3 - "$WORK/stdout.out" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
doc = json.loads(text[text.index("\n{") + 1:])
assert doc["results"]["total"]["io_completed"] > 0
PY

finish
