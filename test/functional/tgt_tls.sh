#!/usr/bin/env bash
# nvtcp_tgt's secure channel (TLS 1.3 with PSKs, issue 11), nvtcp and OpenSSL tools only.
#
# The target is configured with a JSON file (secure_channel per listener, a host object with a
# PSK file, connect_timeout_ms 2000) and serves:
#   $NQN_TLS  only $HOSTNQN, with a PSK: on a "required" and an "optional" listener;
#   $NQN      any host: on a plaintext listener (and the optional one).
# Checks:
#   1. a PSK file of mode 0644: nvtcp_tgt refuses to start, saying so;
#   2. the listeners print their mode; a plaintext host (tgt_host verify) works on the
#      plaintext and the optional listener, and keeps running (verified data) while 3-8 run;
#   3. a plaintext ICReq on the required listener: closed, "plaintext connection on a TLS-only
#      listener";
#   4. a TLS 1.2-only client (openssl s_client -tls1_2), 5. an unknown PSK identity, 6. the
#      right identity with a wrong key, 7. garbage after a TLS record header, 8. a peer that
#      closes in the middle of its ClientHello: each one "TLS handshake failed" line naming
#      the peer; never the key;
#   9. a peer that stalls mid-handshake is closed after connect_timeout_ms ("TLS handshake not
#      done within 2000 ms"), while the verified host goes on;
#  10. the target stops cleanly.
# Ports 5810-5812 (TGT_TLS_PORT base). Exit 0 pass, 1 fail.
set -uo pipefail
# shellcheck disable=SC1091
. "$(dirname "$0")/tgt_lib.sh"
trap 'exit 1' INT TERM

BASE=${TGT_TLS_PORT:-5810}
P_REQ=$BASE
P_OPT=$((BASE + 1))
P_PLAIN=$((BASE + 2))
NQN=nqn.2024-01.io.nvtcp:tls-open
NQN_TLS=nqn.2024-01.io.nvtcp:tls-only
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6
# The 32 ASCII bytes "00112233445566778899aabbccddeeff", hash 01 (a fixed test key).
PSK='NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:'

(umask 077 && printf '%s' "$PSK" >"$TMP/psk.txt")
cp "$TMP/psk.txt" "$TMP/psk644.txt" && chmod 0644 "$TMP/psk644.txt"

write_cfg() {
	cat >"$1" <<EOF
{
  "options": {"connect_timeout_ms": 2000},
  "listeners": [
    {"address": "127.0.0.1", "port": $P_PLAIN},
    {"address": "127.0.0.1", "port": $P_OPT, "secure_channel": "optional"}
  ],
  "subsystems": [
    {"nqn": "$NQN", "namespaces": [{"nsid": 1, "backend": "malloc", "size": "32M"}]},
    {"nqn": "$NQN_TLS", "allow_any_host": false,
     "hosts": [{"nqn": "$HOSTNQN", "psk": "$2"}],
     "listeners": [{"address": "127.0.0.1", "port": $P_REQ, "secure_channel": "required"}],
     "namespaces": [{"nsid": 1, "backend": "malloc", "size": "32M"}]}
  ]
}
EOF
}

# 1. A key file others can read is refused, by name.
write_cfg "$TMP/bad.json" "$TMP/psk644.txt"
if "$TGT_BIN" -m 0x1 --rpc-socket none --config "$TMP/bad.json" >"$TMP/bad.out" 2>&1; then
	log "FAIL: nvtcp_tgt started with a mode-0644 PSK file"
	failures+=("psk mode 0644")
elif ! grep -q "psk644.txt" "$TMP/bad.out" || ! grep -qi "mode\|permission" "$TMP/bad.out"; then
	log "FAIL: no clear message for the mode-0644 PSK file:"
	cat "$TMP/bad.out"
	failures+=("psk mode 0644 message")
else
	log "mode-0644 PSK file refused: $(grep -i 'psk' "$TMP/bad.out" | head -1)"
fi
if grep -q "MDAxMTIy" "$TMP/bad.out"; then
	failures+=("key material in the error")
fi

write_cfg "$TMP/tls.json" "$TMP/psk.txt"
tgt_start tls -m 0x1 --config "$TMP/tls.json" || finish
for p in "$P_OPT optional" "$P_REQ required"; do
	set -- $p
	grep -q "^nvtcp_tgt: port $1: secure channel $2 " "$TGT_OUT" || {
		log "FAIL: no 'port $1: secure channel $2' line"
		failures+=("listener $1 line")
	}
done

# 2. Plaintext hosts: a short run on the optional listener, a long one in the background.
check "plaintext on the optional listener" "$TGT_HOST" verify --port "$P_OPT" --subnqn "$NQN" \
	--ios 2000
timeout 120 "$TGT_HOST" verify --port "$P_PLAIN" --subnqn "$NQN" --ios "${TGT_TLS_BG_IOS:-60000}" \
	--qd 8 >"$TMP/bg.out" 2>&1 &
BG=$!

expect_log() {
	local name=$1 pattern=$2 before=$3
	for _ in $(seq 50); do
		if [ "$(grep -c -- "$pattern" "$TGT_LOG")" -gt "$before" ]; then
			log "$name: $(grep -- "$pattern" "$TGT_LOG" | tail -1 | cut -c1-200)"
			return 0
		fi
		sleep 0.1
	done
	log "FAIL: $name: no '$pattern' in the target log"
	failures+=("$name")
	return 1
}
count() { grep -c -- "$1" "$TGT_LOG"; }

# 3. Plaintext on the TLS-only listener.
n=$(count "plaintext connection on a TLS-only listener")
if "$TGT_HOST" verify --port "$P_REQ" --subnqn "$NQN_TLS" --ios 10 >"$TMP/plain.out" 2>&1; then
	failures+=("plaintext accepted on required")
fi
expect_log "plaintext on required" "plaintext connection on a TLS-only listener" "$n"

# 4-6. OpenSSL clients. s_client's -psk is the TLS PSK itself: the right identity with the
# configured key still fails (the target derives the TLS PSK), like a wrong key would.
KEYHEX=3030313132323333343435353636373738383939616162626363646465656666
ID="NVMe0R01 $HOSTNQN $NQN_TLS"
sclient() { timeout 10 openssl s_client -connect "127.0.0.1:$P_REQ" -quiet "$@" </dev/null; }
n=$(count "TLS handshake failed")
sclient -tls1_2 -psk "$KEYHEX" -psk_identity "$ID" >"$TMP/s12.out" 2>&1
expect_log "TLS 1.2-only client" "TLS handshake failed" "$n"
n=$(count "TLS handshake failed")
sclient -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 -psk "$KEYHEX" \
	-psk_identity "NVMe0R01 nqn.2024-01.io.nvtcp:stranger $NQN_TLS" >"$TMP/sid.out" 2>&1
expect_log "unknown identity" "TLS handshake failed" "$n"
n=$(count "TLS handshake failed")
sclient -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 -psk "$KEYHEX" -psk_identity "$ID" \
	>"$TMP/skey.out" 2>&1
expect_log "wrong key" "TLS handshake failed" "$n"

# Raw bytes to the required listener: send DATA (hex), stay HOLD seconds, close.
rawsend() {
	python3 - "$P_REQ" "$1" "$2" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(bytes.fromhex(sys.argv[2]))
time.sleep(float(sys.argv[3]))
s.close()
PY
}
# The start of a ClientHello: a handshake record of 256 bytes of which 9 are sent.
HALF_HELLO=160301010001000100fc0303

# 7. A TLS handshake record header followed by garbage.
n=$(count "TLS handshake failed")
rawsend "1603010020$(printf '6761726261676521%.0s' 1 2 3 4)" 1
expect_log "garbage ClientHello" "TLS handshake failed" "$n"

# 8. Half a ClientHello, then close.
n=$(count "TLS handshake failed")
rawsend "$HALF_HELLO" 0.2
expect_log "peer closed mid-handshake" "TLS handshake failed" "$n"

# 9. Half a ClientHello, then silence: closed by connect_timeout_ms.
# The target's connect timer or the TLS layer's own deadline (the same 2000 ms) ends it,
# whichever looks first.
STALLED="TLS handshake not done within 2000 ms\|TLS handshake timed out after 2000 ms"
n=$(count "$STALLED")
rawsend "$HALF_HELLO" 4 &
STALL=$!
sleep 2.5
expect_log "stalled handshake" "$STALLED" "$n"
wait "$STALL" 2>/dev/null

if grep -q "MDAxMTIy\|3030313132" "$TGT_LOG"; then
	log "FAIL: key material in the target log"
	failures+=("key in log")
fi

# The plaintext host ran through all of it, with verified data.
wait "$BG"
rc=$?
if [ "$rc" != 0 ]; then
	log "FAIL: the concurrent verified host failed (exit $rc)"
	tail -5 "$TMP/bg.out"
	failures+=("concurrent host")
else
	log "concurrent verified host: $(tail -1 "$TMP/bg.out")"
fi

tgt_stop
finish
