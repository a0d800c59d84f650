#!/usr/bin/env bash
# Faults inside TLS: the host's recovery when TLS records are corrupted or cut (issue 11).
#
# nvtcp_tgt (RAM namespace, a "required" TLS listener, one host with a PSK) behind
# test/tools/fault_proxy --tls, which follows the TLS records of each direction (it cannot see
# the PDUs inside), flips one bit in the body of an application_data record every ~2 MB of
# each direction once the handshake is past, and drops every connection 3-6 s after it
# opened (mostly mid-record). A flipped record fails its AEAD check at the receiver: the
# connection is torn down with an error naming the reason, the host reconnects (a new TLS
# handshake) and resubmits. Then:
#   1. nvtcp_perf -V --psk (QD 32, 4 queue pairs): no mismatch, accounting adds up, every errored
#      I/O retried and verified, none given up, nothing left outstanding;
#   2. host_io --psk: exactly-once completion per command, nothing lost, pools full;
#   3. the target logged the failed records as errors ("TLS connection of host ... failed:
#      decryption failed or bad record mac"), the host named them too ("TLS: ..."), no key
#      material anywhere, and the target is left with no connection and every buffer free.
#
#   TLS_FAULTS_SECONDS=20 SEED=7 TLS_FAULTS_PORT=4474 test/functional/host_tls_faults.sh
# Ports TLS_FAULTS_PORT (target, default 4474) and the next one (proxy).
set -uo pipefail
# shellcheck disable=SC1091
source "$(dirname "$0")/host_lib.sh"
need "$TGT" "$PERF" "$PROXY" "$HOSTIO"

SECONDS_RUN=${TLS_FAULTS_SECONDS:-20}
SEED=${SEED:-$(date +%s)}
TPORT=${TLS_FAULTS_PORT:-4474}
PPORT=$((TPORT + 1))
NQN=nqn.2024-01.io.nvtcp:host-tls-faults
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:5eed5eed-7f31-4b7a-9e62-1c3d5f7a9b21
TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$PPORT subnqn:$NQN hostnqn:$HOSTNQN"
RPC_PY=$ROOT/scripts/nvtcp-rpc
if (($(nproc) >= 2)); then
	PERF_MASK=0x2
else
	PERF_MASK=0x1
fi
(umask 077 && python3 -c 'import base64,os,struct,zlib; k=os.urandom(32); print("NVMeTLSkey-1:01:"+base64.b64encode(k+struct.pack("<I",zlib.crc32(k))).decode()+":")' >"$WORK/psk") ||
	{ echo "FAIL: cannot write the key file"; exit 1; }
port_free "$TPORT"
port_free "$PPORT"
log "seed $SEED, $SECONDS_RUN s"
tgt_up tls "$TPORT" --secure-channel required --subsys "$NQN" --ns malloc:8M \
	--allow-host "$HOSTNQN" --psk "$WORK/psk" --max-queue-depth 128
# --only-after-bytes: the handshake (a few hundred bytes) is never touched; flips land in
# application data. --global: the drops keep coming whatever the flips did.
proxy_up tls "$PPORT" "$TPORT" --tls --seed "$SEED" --global --reset-every 3000-6000 \
	--flip-every-bytes 2M --flip-where data --only-after-bytes 4k --quiet \
	--json "$WORK/proxy.json"

# ---- 1. nvtcp_perf --verify -------------------------------------------------------------------
log "+ nvtcp_perf -V --psk -q 32 -o 4096 -w randrw -M 50 -t $SECONDS_RUN -P 4 -Q 1000 (proxy)"
timeout --kill-after=5 $((SECONDS_RUN + 90)) "$PERF" --no-progress --no-huge --log-level notice \
	-c "$PERF_MASK" -q 32 -o 4096 -w randrw -M 50 -t "$SECONDS_RUN" -P 4 -V -Q 1000 \
	--psk "$WORK/psk" -r "$TRID" --json "$WORK/perf.json" >"$WORK/perf.out" 2>&1
PERF_RC=$?
log "nvtcp_perf exited $PERF_RC"
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
      "tls", t["tls"])
assert t["tls"]["enabled"], t["tls"]
assert v["mismatches"] == 0, v
assert t["accounting_ok"], t
assert t["io_submitted"] == t["io_completed_ok"] + t["io_errors"], t
assert v["gave_up"] == 0, v
assert v["retries"] == t["io_errors"], (v["retries"], t["io_errors"])
assert v["reads_checked"] > 100, v
assert t["io_errors"] > 0, "no I/O error at all: the faults did not reach the host"
assert t["resources_back"], t
assert t["end_tasks_in_flight"] == 0 and t["end_driver_requests_outstanding"] == 0, t
PY
RECONNECTED=$(grep -a -c "reconnected (attempt" "$WORK/perf.out")
log "perf: $RECONNECTED controller reconnects"
check "the controller reconnected after the faults" test "$RECONNECTED" -ge 2
check "no give-up, no controller failure" \
	bash -c "! grep -a -q -E 'gave up reconnecting|nvme_ctrlr_fail: ' '$WORK/perf.out'"

# ---- 2. host_io: exactly-once accounting over TLS --------------------------------------------
HALF=$((SECONDS_RUN / 2))
host_io hio $((HALF + 150)) -r "$TRID" --psk "$WORK/psk" -P 4 -q 32 -t "$HALF" --quiet \
	--expect-state live --resume-within 7 --min-reconnects 1
check "host_io over TLS: no mismatch, each command completed once, nothing lost, pools full" \
	test "$HIO_RC" = 0
check "host_io over TLS: commands failed and were retried (faults reached it)" \
	test "$(field hio errors)" -gt 0 -a "$(field hio gave_up)" = 0

proxy_down
check "the proxy flipped application_data records and dropped connections" \
	python3 - "$WORK/proxy.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("  proxy: connections", d["connections"], "faults", d["faults"],
      "flips by region", d["flips_by_region"], "records h2c", d["pdus_h2c"])
assert d["faults"]["flip"] > 3, d["faults"]
assert d["faults"]["reset-rst"] + d["faults"]["reset-fin"] > 1, d["faults"]
assert d["pdus_h2c"].get("application_data", 0) > 100, d["pdus_h2c"]
assert d["framing_lost_h2c"] == 0 and d["framing_lost_c2h"] == 0, d
PY
# Flips reach both sides: h2c ones fail at the target, c2h ones at the host.
check "the target logged failed records as errors, with the reason" \
	grep -a -q -E "error: .*TLS connection of host $HOSTNQN \(controller [0-9]+ queue [0-9]+\) failed: (decryption failed or bad record mac|peer closed the connection mid-record)" \
	"$WORK/tls.tgt.log"
check "the host named the failed records" \
	grep -a -q -E "TLS: (decryption failed or bad record mac|peer closed the connection mid-record)" \
	"$WORK/perf.out" "$WORK/hio.out"
KEYB64=$(cut -d: -f3 "$WORK/psk" | cut -c1-16)
check "no key material in any log" \
	bash -c "! grep -a -q -F '$KEYB64' '$WORK/tls.tgt.log' '$WORK/tls.tgt.out' '$WORK/perf.out' '$WORK/hio.out' '$WORK/tls.proxy.out'"
stats_clean() {
	for _ in $(seq 50); do
		if "$RPC_PY" -s "$WORK/tls.sock" nvmf_get_stats >"$WORK/stats.json" &&
			python3 - "$WORK/stats.json" <<-'EOF'; then
				import json, sys
				pgs = json.load(open(sys.argv[1]))["poll_groups"]
				conns = sum(p["connections"] for p in pgs)
				free = sum(p["bufs_free"] for p in pgs)
				total = sum(p["bufs_total"] for p in pgs)
				print("  target: connections %d, buffers %d/%d free" % (conns, free, total))
				sys.exit(0 if conns == 0 and free == total else 1)
			EOF
			return 0
		fi
		sleep 0.2
	done
	return 1
}
check "the target is left with no connection and every buffer free" stats_clean
tgt_down
finish
