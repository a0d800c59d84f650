#!/usr/bin/env bash
# The nvtcp host over TLS against nvtcp_tgt (issue 11): a "required" TLS listener and a plain
# one for a subsystem that allows one host with a PSK.
#   - nvtcp_identify --psk: TLS with TLS_AES_128_GCM_SHA256 (text and JSON);
#   - nvtcp_perf -V --psk: 4 KiB randrw without and with digests, 128 KiB randrw with digests
#     (R2T and H2CData through TLS records): verified, "tls" in the JSON per device and total;
#   - nvtcp_perf -S ssl --psk-path (SPDK's spelling): verified;
#   - each exit 1 with one line naming the reason: a wrong PSK, plaintext to the TLS listener,
#     TLS to the plain listener; the target serves on and stops cleanly.
# Exit 0 pass, 1 fail.
set -uo pipefail
. "$(dirname "$0")/tgt_lib.sh"

NQN=nqn.2024-01.io.nvtcp:func-tls
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:7a1e4c1e-55aa-4b1c-9e21-3c0ffee0a11c
IDENT=$BUILD_DIR/bin/nvtcp_identify
PERF=$BUILD_DIR/bin/nvtcp_perf
# The 32 ASCII bytes "00112233445566778899aabbccddeeff" and another 32 bytes, with CRC-32s.
(umask 077 &&
	printf '%s' 'NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:' >"$TMP/psk" &&
	python3 -c 'import base64,struct,zlib; k=b"ffeeddccbbaa99887766554433221100"; print("NVMeTLSkey-1:01:"+base64.b64encode(k+struct.pack("<I",zlib.crc32(k))).decode()+":")' >"$TMP/wrong") ||
	{ echo "FAIL: cannot write the key files"; exit 1; }

tgt_start tls -m 0x1 --listen 127.0.0.1:0 --secure-channel required --listen 127.0.0.1:0 \
	--subsys "$NQN" --ns malloc:64M --allow-host "$HOSTNQN" --psk "$TMP/psk" || finish
grep -q "secure channel required" "$TGT_OUT" || failures+=("nvtcp_tgt does not say which listener is secure")
TLS="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:${TGT_PORTS[0]} subnqn:$NQN hostnqn:$HOSTNQN"
PLAIN="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:${TGT_PORTS[1]} subnqn:$NQN hostnqn:$HOSTNQN"
HMASK=0x2
(($(nproc) >= 2)) || HMASK=0x1

identify_tls() {
	"$IDENT" -r "$TLS" --psk "$TMP/psk" >"$TMP/id.out" || return 1
	grep -q "^TLS Cipher Suite: *TLS_AES_128_GCM_SHA256$" "$TMP/id.out"
}
identify_json() {
	"$IDENT" -r "$TLS" --psk "$TMP/psk" --json -H -I >"$TMP/id.json" || return 1
	python3 -c 'import json,sys; s=json.dumps(json.load(open(sys.argv[1]))); assert "\"tls\": true" in s and "\"tls_cipher\": \"TLS_AES_128_GCM_SHA256\"" in s' "$TMP/id.json"
}
# perf_tls NAME ARGS...: verified, and the JSON records TLS per device and in the total.
perf_tls() {
	local name=$1
	shift
	"$PERF" --no-progress -c "$HMASK" -V --json "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>&1 ||
		{ tail -n 5 "$TMP/$name.out"; return 1; }
	grep -q "Verification PASSED" "$TMP/$name.out" || return 1
	grep -q "over TLS (TLS_AES_128_GCM_SHA256)" "$TMP/$name.out" || return 1
	python3 - "$TMP/$name.json" <<-'EOF'
		import json, sys
		r = json.load(open(sys.argv[1]))["results"]
		want = {"enabled": True, "cipher": "TLS_AES_128_GCM_SHA256"}
		assert r["total"]["tls"] == want, r["total"]["tls"]
		assert all(d["tls"] == want for d in r["devices"])
		assert r["total"]["verify"]["mismatches"] == 0 and r["total"]["io_errors"] == 0
		print("    %d I/Os verified over TLS" % r["total"]["io_completed_ok"])
	EOF
}
# refused NAME PATTERN CMD...: exit 1, exactly one line on stderr matching PATTERN.
refused() {
	local pat=$1 rc
	shift
	timeout 40 "$@" >/dev/null 2>"$TMP/refused.err"
	rc=$?
	cat "$TMP/refused.err"
	[ "$rc" = 1 ] && [ "$(wc -l <"$TMP/refused.err")" = 1 ] && grep -qE -- "$pat" "$TMP/refused.err"
}

check "identify --psk" identify_tls
check "identify --psk --json -H -I" identify_json
check "perf -V 4K randrw over TLS" perf_tls rw4k --psk "$TMP/psk" -r "$TLS" -q 32 -o 4096 \
	-w randrw -M 50 -t 2 -P 2
check "perf -V 4K randrw over TLS, digests" perf_tls rw4k_dg --psk "$TMP/psk" -r "$TLS" -H -I \
	-q 32 -o 4096 -w randrw -M 50 -t 2
check "perf -V 128K randrw over TLS, digests" perf_tls rw128k_dg --psk "$TMP/psk" -r "$TLS" \
	-H -I -q 8 -o 128k -w randrw -M 50 -t 2
check "perf -S ssl --psk-path" perf_tls spdk_spelling -S ssl --psk-path "$TMP/psk" -r "$TLS" \
	-q 8 -o 4096 -w randrw -M 50 -t 1
check "wrong PSK refused" refused "TLS handshake failed" "$IDENT" -t 15 -r "$TLS" --psk "$TMP/wrong"
check "plaintext to the TLS listener refused" refused "cannot attach" "$IDENT" -t 15 -r "$TLS"
check "TLS to the plain listener refused" refused "TLS handshake failed" "$IDENT" -t 15 \
	-r "$PLAIN" --psk "$TMP/psk"
check "still serving" identify_tls
tgt_stop
finish
