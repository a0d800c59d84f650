#!/usr/bin/env bash
# What a TLS session binds on nvtcp_tgt (issue 11), on one "required" listener:
#   subsystem X allows host A (key KA) and host B (key KB); subsystem Y allows host A (key KA);
#   the discovery subsystem gives host A a PSK (key KD) through --subsys <discovery NQN>.
# Checks:
#   1. tgt_host tls, identity (A, X), Connect (A, X): a controller, Identify over TLS;
#   2. identity (A, X), Connect as B: Connect Invalid Host, one log line naming both NQNs;
#   3. identity (A, X), Connect to Y: Connect Invalid Host, one log line naming both NQNs;
#   4. a live controller whose peer sends half a TLS record and closes: one error line naming
#      the peer, the host and "peer closed the connection mid-record"; the controller goes;
#   5. nvtcp_discover --psk KD as A through the required listener lists X and Y; without a
#      PSK, and as B (no discovery key), it is refused with one line;
#   6. host B (nvtcp_perf -V --psk KB on X) runs verified through all of it;
#   7. afterwards no connection is left and every buffer is back (nvmf_get_stats), no key
#      material in any log, and the target stops cleanly (with build-san: no leak).
# Listens on an ephemeral port. Exit 0 pass, 1 fail.
set -uo pipefail
# shellcheck disable=SC1091
. "$(dirname "$0")/tgt_lib.sh"
trap 'exit 1' INT TERM

X=nqn.2024-01.io.nvtcp:bind-x
Y=nqn.2024-01.io.nvtcp:bind-y
DISC=nqn.2014-08.org.nvmexpress.discovery
A=nqn.2014-08.org.nvmexpress:uuid:0a0a0a0a-1111-4222-8333-444455556666
B=nqn.2014-08.org.nvmexpress:uuid:0b0b0b0b-1111-4222-8333-444455556666
PERF=$BUILD_DIR/bin/nvtcp_perf
DISCOVER=$BUILD_DIR/bin/nvtcp_discover
RPC_PY=$ROOT/scripts/nvtcp-rpc

# Fresh interchange-format keys (32 bytes, hash 01) for A on X/Y, B on X, A on discovery.
genkey() {
	(umask 077 && python3 -c 'import base64,os,struct,zlib; k=os.urandom(32); print("NVMeTLSkey-1:01:"+base64.b64encode(k+struct.pack("<I",zlib.crc32(k))).decode()+":")' >"$1")
}
for k in ka kb kd; do
	genkey "$TMP/$k" || { echo "FAIL: cannot write the key files"; exit 1; }
done

tgt_start bind -m 0x1 --listen 127.0.0.1:0 --secure-channel required \
	--subsys "$X" --ns malloc:32M --allow-host "$A" --psk "$TMP/ka" --allow-host "$B" --psk "$TMP/kb" \
	--subsys "$Y" --ns malloc:32M --allow-host "$A" --psk "$TMP/ka" \
	--subsys "$DISC" --allow-host "$A" --psk "$TMP/kd" || finish
P=${TGT_PORTS[0]}
count() { grep -c -- "$1" "$TGT_LOG"; }
expect_log() {
	local name=$1 pattern=$2 before=$3
	for _ in $(seq 50); do
		if [ "$(count "$pattern")" -gt "$before" ]; then
			log "$name: $(grep -- "$pattern" "$TGT_LOG" | tail -1 | cut -c1-240)"
			return 0
		fi
		sleep 0.1
	done
	log "FAIL: $name: no '$pattern' in the target log"
	failures+=("$name")
	return 1
}

# 6. Host B: verified I/O over TLS while the others misbehave.
HMASK=0x2
(($(nproc) >= 2)) || HMASK=0x1
timeout 120 "$PERF" --no-progress -c "$HMASK" -V --psk "$TMP/kb" -q 8 -o 4096 -w randrw -M 50 \
	-t "${TGT_TLS_BIND_SECS:-12}" \
	-r "trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$P subnqn:$X hostnqn:$B" \
	>"$TMP/bg.out" 2>&1 &
BG=$!

# 1-3. The identity binds the Connect's NQNs.
check "identity (A,X), Connect (A,X)" "$TGT_HOST" tls --port "$P" --psk "$TMP/ka" \
	--hostnqn "$A" --subnqn "$X"
PAT_B="host NQN $B differs from the TLS PSK identity's $A"
n=$(count "$PAT_B")
check "identity (A,X), Connect as B refused" "$TGT_HOST" tls --port "$P" --psk "$TMP/ka" \
	--hostnqn "$A" --subnqn "$X" --connect-hostnqn "$B" --expect invalid-host
expect_log "Connect as B" "$PAT_B" "$n"
PAT_Y="subsystem NQN $Y differs from the TLS PSK identity's $X"
n=$(count "$PAT_Y")
check "identity (A,X), Connect to Y refused" "$TGT_HOST" tls --port "$P" --psk "$TMP/ka" \
	--hostnqn "$A" --subnqn "$X" --connect-subnqn "$Y" --expect invalid-host
expect_log "Connect to Y" "$PAT_Y" "$n"

# 4. Half a record, then close, on a live controller.
MID="error: .*TLS connection of host $A (controller [0-9]* queue 0) failed: peer closed the connection mid-record"
n=$(count "$MID")
check "close mid-record" "$TGT_HOST" tls --port "$P" --psk "$TMP/ka" --hostnqn "$A" \
	--subnqn "$X" --close-mid-record
expect_log "peer closed mid-record" "$MID" "$n"

# 5. Discovery through the required listener.
DTRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$P"
disc_tls() {
	"$DISCOVER" -t 15 -r "$DTRID" --hostnqn "$A" --psk "$TMP/kd" --json >"$TMP/disc.json" ||
		return 1
	python3 - "$TMP/disc.json" "$X" "$Y" <<-'EOF'
		import json, sys
		d = json.load(open(sys.argv[1]))
		s = json.dumps(d)
		for nqn in sys.argv[2:]:
		    assert nqn in s, nqn + " not in the discovery log"
		print("    discovery over TLS lists " + " ".join(sys.argv[2:]))
	EOF
}
refused() {
	local pat=$1 rc
	shift
	timeout 40 "$@" >/dev/null 2>"$TMP/refused.err"
	rc=$?
	cat "$TMP/refused.err"
	[ "$rc" = 1 ] && [ "$(wc -l <"$TMP/refused.err")" = 1 ] && grep -qE -- "$pat" "$TMP/refused.err"
}
check "discover --psk through the required listener" disc_tls
check "discover without a PSK refused" refused "cannot|refused|closed" "$DISCOVER" -t 10 \
	-r "$DTRID" --hostnqn "$A"
check "discover as B (no discovery key) refused" refused "TLS handshake failed" "$DISCOVER" \
	-t 10 -r "$DTRID" --hostnqn "$B" --psk "$TMP/kb"

wait "$BG"
rc=$?
if [ "$rc" != 0 ] || ! grep -q "Verification PASSED" "$TMP/bg.out"; then
	log "FAIL: host B's verified run failed (exit $rc)"
	tail -5 "$TMP/bg.out"
	failures+=("concurrent TLS host")
else
	log "host B over TLS throughout: $(grep -m1 "Verification PASSED" "$TMP/bg.out")"
fi

# 7. Nothing left behind: no connection, every buffer free.
stats_clean() {
	for _ in $(seq 30); do
		if "$RPC_PY" -s "$TMP/bind.sock" nvmf_get_stats >"$TMP/stats.json" &&
			python3 - "$TMP/stats.json" <<-'EOF'; then
				import json, sys
				pgs = json.load(open(sys.argv[1]))["poll_groups"]
				conns = sum(p["connections"] for p in pgs)
				free = sum(p["bufs_free"] for p in pgs)
				total = sum(p["bufs_total"] for p in pgs)
				print("    connections %d, buffers %d/%d free" % (conns, free, total))
				sys.exit(0 if conns == 0 and free == total else 1)
			EOF
			return 0
		fi
		sleep 0.2
	done
	return 1
}
check "no connection or buffer left" stats_clean
for f in "$TGT_LOG" "$TGT_OUT" "$TMP"/check.*.out "$TMP/bg.out"; do
	for k in ka kb kd; do
		if grep -qF "$(cut -d: -f3 "$TMP/$k" | cut -c1-16)" "$f" 2>/dev/null; then
			log "FAIL: key material of $k in $f"
			failures+=("key in $(basename "$f")")
		fi
	done
done
tgt_stop
finish
