#!/usr/bin/env bash
# In-band authentication (DH-HMAC-CHAP, issue 12) between the nvtcp host tools and nvtcp_tgt:
#   - the matrix: every hash (sha256, sha384, sha512) x DH group {null, ffdhe2048, ffdhe8192},
#     unidirectional and bidirectional, with nvtcp_identify; the target is restricted to the
#     combination over RPC (its host entry replaced), so the negotiation must land on it, and
#     both sides must report it (identify's JSON, the target's "authenticated" line);
#   - nvtcp_perf -V on three I/O queues (each authenticates), bidirectional ffdhe2048:
#     verified;
#   - a wrong host secret and a wrong controller secret: exit 1 with "authentication failed",
#     the target logs the reason; no secret: the attach fails;
#   - authentication over TLS (a second listener, secure_channel required; the host entry has a
#     PSK as well as its DH-HMAC-CHAP keys): identify and nvtcp_perf -V (2 I/O queues),
#     bidirectional sha384/ffdhe3072; both the host (identify's JSON: tls_cipher and auth_*)
#     and the target (each queue's connect line says TLS, each queue authenticated) show both
#     in effect; over TLS a wrong DH-HMAC-CHAP secret is still refused (TLS does not replace
#     authentication); SC_C is 0 (no secure channel concatenation, doc/security.md);
#   - the target's output never holds a secret; it stops cleanly.
# Needs only the host tools' --dhchap-secret / --dhchap-ctrl-secret / --psk. Env:
# TGT_AUTH_PORT, TGT_AUTH_TLS_PORT (listen ports, default 0 = any). Exit 0 pass, 1 fail.
# The test functions run through check(), which shellcheck cannot follow.
# shellcheck disable=SC2317
set -uo pipefail
. "$(dirname "$0")/tgt_lib.sh"

NQN=nqn.2024-01.io.nvtcp:func-auth
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:4d2f7a0c-1b5e-4c3a-8f9d-6e0a1b2c3d4e
IDENT=$BUILD_DIR/bin/nvtcp_identify
PERF=$BUILD_DIR/bin/nvtcp_perf
RPC_PY=$ROOT/scripts/nvtcp-rpc
HMASK=0x2
(($(nproc) >= 2)) || HMASK=0x1

for b in "$IDENT" "$PERF" "$RPC_PY"; do
	[ -x "$b" ] || { log "FAIL: $b not built"; failures+=("missing $b"); finish; }
done

# gen HH LEN: a fresh DHHC-1 secret (random key of LEN bytes, transformation hash HH).
gen() {
	python3 -c 'import base64,os,struct,sys,zlib
n=int(sys.argv[2]); k=os.urandom(n)
print("DHHC-1:%s:%s:" % (sys.argv[1], base64.b64encode(k+struct.pack("<I",zlib.crc32(k))).decode()))' "$1" "$2"
}
umask 077
gen 01 32 >"$TMP/host.key"
gen 02 48 >"$TMP/ctrl.key"
gen 01 32 >"$TMP/wrong-host.key"
gen 00 64 >"$TMP/wrong-ctrl.key"
# A TLS PSK (interchange format, hash 01, 32 random bytes): no trailing newline, as SPDK wants.
python3 -c 'import base64,os,struct,sys,zlib
k=os.urandom(32)
sys.stdout.write("NVMeTLSkey-1:01:%s:" % base64.b64encode(k+struct.pack("<I",zlib.crc32(k))).decode())' \
	>"$TMP/psk.txt"

tgt_start auth -m 0x1 -L info --listen "127.0.0.1:${TGT_AUTH_PORT:-0}" \
	--listen "127.0.0.1:${TGT_AUTH_TLS_PORT:-0}" --secure-channel required \
	--subsys "$NQN" --ns malloc:64M \
	--allow-host "$HOSTNQN" --psk "$TMP/psk.txt" --dhchap-key "$TMP/host.key" || finish
TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:${TGT_PORTS[0]} subnqn:$NQN hostnqn:$HOSTNQN"
TRID_TLS="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:${TGT_PORTS[1]} subnqn:$NQN hostnqn:$HOSTNQN"

rpc() { "$RPC_PY" -s "$TMP/auth.sock" "$@" >/dev/null; }
# set_host HASH GROUP [CTRLKEY]: the host's entry allows exactly that combination (and keeps
# its TLS PSK for the secure-channel listener; the plaintext listener ignores it).
set_host() {
	local args=(--psk "$TMP/psk.txt" --dhchap-key "$TMP/host.key" --dhchap-hashes "$1"
		--dhchap-dhgroups "$2")
	[ -n "${3:-}" ] && args+=(--dhchap-ctrlr-key "$3")
	rpc nvmf_subsystem_remove_host "$NQN" "$HOSTNQN" &&
		rpc nvmf_subsystem_add_host "$NQN" "$HOSTNQN" "${args[@]}"
}
mark_log() { LOG_FROM=$(($(wc -l <"$TGT_LOG") + 1)); }
new_log() { tail -n +"$LOG_FROM" "$TGT_LOG"; }
# log_has ERE: a target log line since mark_log matches (no pipe into grep -q: with pipefail
# its early exit would fail the pipeline).
log_has() { new_log >"$TMP/new.log"; grep -qE -- "$1" "$TMP/new.log"; }

# combo HASH GROUP uni|bi: identify authenticates with exactly that, both sides say so.
combo() {
	local hash=$1 group=$2 dir=$3 ctrl=() start
	[ "$dir" = bi ] && ctrl=(--dhchap-ctrl-secret "$TMP/ctrl.key")
	set_host "$hash" "$group" "$([ "$dir" = bi ] && echo "$TMP/ctrl.key")" || return 1
	mark_log
	start=$(date +%s%N)
	"$IDENT" -t 30 -r "$TRID" --json --dhchap-secret "$TMP/host.key" "${ctrl[@]}" \
		>"$TMP/id.json" 2>"$TMP/id.err" || { cat "$TMP/id.err"; return 1; }
	echo "    $hash/$group/$dir: identify $((($(date +%s%N) - start) / 1000000)) ms"
	python3 - "$TMP/id.json" "$hash" "$group" "$dir" <<-'EOF' || return 1
		import json, sys
		d = json.load(open(sys.argv[1]))
		def find(o, k):
		    if isinstance(o, dict):
		        if k in o:
		            return o[k]
		        for v in o.values():
		            r = find(v, k)
		            if r is not None:
		                return r
		    elif isinstance(o, list):
		        for v in o:
		            r = find(v, k)
		            if r is not None:
		                return r
		    return None
		got = (find(d, "authenticated"), find(d, "auth_hash"), find(d, "auth_dhgroup"),
		       find(d, "auth_bidirectional"))
		want = (True, sys.argv[2], sys.argv[3], sys.argv[4] == "bi")
		assert got == want, "identify reports %s, want %s" % (got, want)
	EOF
	log_has "qid 0 authenticated: $hash, $group, $([ "$dir" = bi ] && echo bi || echo uni)directional" ||
		{ echo "no target line for qid 0 $hash/$group/$dir"; new_log | tail -n 5; return 1; }
}

for hash in sha256 sha384 sha512; do
	for group in null ffdhe2048 ffdhe8192; do
		for dir in uni bi; do
			check "authenticate $hash/$group/$dir" combo "$hash" "$group" "$dir"
		done
	done
done

# Verified I/O on three I/O queues, each of which authenticates.
perf_auth() {
	set_host sha512 ffdhe2048 "$TMP/ctrl.key" || return 1
	mark_log
	"$PERF" --no-progress -c "$HMASK" -V -r "$TRID" --dhchap-secret "$TMP/host.key" \
		--dhchap-ctrl-secret "$TMP/ctrl.key" -q 16 -o 4096 -w randrw -M 50 -t 2 -P 3 \
		>"$TMP/perf.out" 2>&1 || { tail -n 5 "$TMP/perf.out"; return 1; }
	grep -q "Verification PASSED" "$TMP/perf.out" || return 1
	grep -q "Authenticated to .*DH-HMAC-CHAP sha512 ffdhe2048 bidirectional" "$TMP/perf.out" ||
		return 1
	for q in 0 1 2 3; do
		log_has "qid $q authenticated: sha512, ffdhe2048, bidirectional" ||
			{ echo "qid $q did not authenticate"; return 1; }
	done
}
check "perf -V, 3 I/O queues, bidirectional" perf_auth

# Authentication over TLS. The NVMe/TCP transport allows DH-HMAC-CHAP inside an established
# TLS channel with SC_C = 0 (no secure channel concatenation, which nvtcp does not offer: its
# target never sets AUTHREQ.ASCR); each protects against something else (TLS: the traffic;
# DH-HMAC-CHAP: which host NQN and, bidirectionally, which controller).
# tls_conn_ok QID...: since mark_log, each queue connected over TLS and authenticated.
tls_conn_ok() {
	local q
	for q in "$@"; do
		if [ "$q" = 0 ]; then
			log_has "connected to $NQN: controller [0-9]+, admin queue .* TLS TLS_AES_128_GCM_SHA256" ||
				{ echo "admin queue not over TLS"; return 1; }
		else
			log_has "I/O queue $q connected, .* TLS TLS_AES_128_GCM_SHA256" ||
				{ echo "I/O queue $q not over TLS"; return 1; }
		fi
		log_has "qid $q authenticated: sha384, ffdhe3072, bidirectional" ||
			{ echo "qid $q did not authenticate"; return 1; }
	done
}
tls_identify() {
	set_host sha384 ffdhe3072 "$TMP/ctrl.key" || return 1
	mark_log
	"$IDENT" -t 30 -r "$TRID_TLS" --json --psk "$TMP/psk.txt" --dhchap-secret "$TMP/host.key" \
		--dhchap-ctrl-secret "$TMP/ctrl.key" >"$TMP/id.json" 2>"$TMP/id.err" ||
		{ cat "$TMP/id.err"; return 1; }
	python3 - "$TMP/id.json" <<-'EOF' || return 1
		import json, sys
		d = json.load(open(sys.argv[1]))
		got = (d.get("tls"), d.get("tls_cipher"), d.get("authenticated"), d.get("auth_hash"),
		       d.get("auth_dhgroup"), d.get("auth_bidirectional"))
		want = (True, "TLS_AES_128_GCM_SHA256", True, "sha384", "ffdhe3072", True)
		assert got == want, "identify reports %s, want %s" % (got, want)
		print("    identify: TLS %s, DH-HMAC-CHAP %s/%s, bidirectional" % (got[1], got[3], got[4]))
	EOF
	tls_conn_ok 0
}
check "TLS + authentication: identify, bidirectional sha384/ffdhe3072" tls_identify
tls_perf() {
	mark_log
	"$PERF" --no-progress -c "$HMASK" -V -r "$TRID_TLS" --psk "$TMP/psk.txt" \
		--dhchap-secret "$TMP/host.key" --dhchap-ctrl-secret "$TMP/ctrl.key" -q 16 -o 4096 \
		-w randrw -M 50 -t 2 -P 2 >"$TMP/perf.out" 2>&1 || { tail -n 5 "$TMP/perf.out"; return 1; }
	grep -q "Verification PASSED" "$TMP/perf.out" || return 1
	grep -q "Authenticated to .*DH-HMAC-CHAP sha384 ffdhe3072 bidirectional" "$TMP/perf.out" ||
		return 1
	grep -q "over TLS (TLS_AES_128_GCM_SHA256)" "$TMP/perf.out" || return 1
	tls_conn_ok 0 1 2
}
check "TLS + authentication: perf -V, 2 I/O queues" tls_perf

# refused NAME PATTERN LOGPATTERN ARGS...: the attach fails (exit 1) with PATTERN on stderr;
# the target logs LOGPATTERN.
refused() {
	local pat=$1 logpat=$2 rc
	shift 2
	mark_log
	"$IDENT" -t 15 -r "${REFUSE_TRID:-$TRID}" "$@" >/dev/null 2>"$TMP/refused.err"
	rc=$?
	sed 's/^/    /' "$TMP/refused.err" | head -n 3
	[ "$rc" = 1 ] && grep -qE -- "$pat" "$TMP/refused.err" || return 1
	sleep 0.2
	log_has "$logpat" || { echo "target log lacks: $logpat"; return 1; }
}
set_host sha256,sha384,sha512 null,ffdhe2048 "$TMP/ctrl.key" || failures+=("RPC set_host")
check "wrong host secret" refused "authentication failed" \
	"authentication failed: host $HOSTNQN .*qid 0, step reply, reason authentication failed \(AUTH_Failure1 sent\)" \
	--dhchap-secret "$TMP/wrong-host.key"
check "wrong controller secret" refused "authentication failed" \
	"authentication failed: host $HOSTNQN .*qid 0, step success2, reason authentication failed \(the host's AUTH_Failure2\)" \
	--dhchap-secret "$TMP/host.key" --dhchap-ctrl-secret "$TMP/wrong-ctrl.key"
check "no secret" refused "authenticat" "controller [0-9]+ qid 0: authentication required"
REFUSE_TRID=$TRID_TLS check "TLS + wrong host secret" refused "authentication failed" \
	"authentication failed: host $HOSTNQN .*qid 0, step reply, reason authentication failed \(AUTH_Failure1 sent\)" \
	--psk "$TMP/psk.txt" --dhchap-secret "$TMP/wrong-host.key"

tgt_stop
for f in host.key ctrl.key wrong-host.key wrong-ctrl.key psk.txt; do
	body=$(cut -d: -f3 "$TMP/$f")
	if grep -qF -e "$body" "$TGT_LOG" "$TGT_OUT"; then
		log "FAIL: the $f secret appears in the target's output"
		failures+=("secret in the target log")
	fi
done
finish
