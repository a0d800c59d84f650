#!/usr/bin/env bash
# Interop: the nvtcp host (nvtcp_identify, nvtcp_discover, nvtcp_perf -V) against SPDK v24.01's
# nvmf_tgt (../shared/peers/spdk, started here on core 0 with its own state directory), in two
# variants run one after the other (SPDK_TGT_VARIANTS, default "plain tls"). Each variant boots
# the peer once: SPDK refuses a secure channel on a subsystem that allows any host, and the
# plain variant checks exactly that (a host without a host NQN of its own), so the two cannot
# share one boot.
#
# plain: the peer serves $NQN (any host) with a 64 MiB malloc namespace of 4 KiB blocks on
# 127.0.0.1:$SPDK_TGT_PORT and its discovery subsystem on $SPDK_TGT_DISC_PORT (5320/5321 by
# default; SPDK defaults: 4 KiB in-capsule data, 128 KiB max I/O). Checks, the host on core 1:
#   1. identify (text and JSON, without and with digests): SPDK's serial and model, ns 1 of
#      16384 x 4096 B;
#   2. discover on the discovery port (text and JSON): $NQN at $SPDK_TGT_PORT, and the
#      current discovery subsystem;
#   3. nvtcp_perf -V (every write stamped, every read checked) randrw 4 KiB on 2 queue pairs,
#      without and with header and data digests; 128 KiB (R2T, several H2CData) with
#      digests; --prefill then verified randread with digests: exit 0, "Verification
#      PASSED", no mismatch, the I/O accounting adds up (JSON);
#   4. nvtcp_perf with -r without subnqn on the discovery port: finds $NQN and runs;
#   With -H -I the nvtcp host fails the connection when the controller declines a digest it
#   asked for, so a pass means both digests were in use.
#   5. SPDK logged no *ERROR* while serving these hosts.
#
# tls: the peer serves $TLS_NQN to $HOSTNQN only, with a 64 MiB malloc namespace of 4 KiB
# blocks, on a plain listener 127.0.0.1:$SPDK_TLS_TGT_PORT (5700) and a secure-channel
# listener on $SPDK_TLS_TGT_TLS_PORT (5701), PSK = the README's fixed test key (hash 01, 32
# bytes). Checks, the host on core 1:
#   1. nvtcp_identify --psk on the TLS port (text and JSON): TLS with TLS_AES_128_GCM_SHA256;
#   2. nvtcp_perf -V --psk randrw 4 KiB without and with digests, 128 KiB with digests, and the
#      SPDK-compatible spelling -S ssl --psk-path: verified, no mismatch; the JSON records
#      "tls": {"enabled": true, "cipher": ...} per device and in the total; the text says TLS;
#   3. bad cases, each exit 1 with one line on stderr naming the reason, within the timeout:
#      a wrong PSK ("TLS handshake failed"), plaintext to the TLS port, TLS to the plain port;
#      a key file of mode 0644 is refused before connecting, naming --psk;
#   4. the peer still serves (identify --psk again).
#
# Each variant's peer is stopped at its end (also on exit by a trap).
# Exit 0 pass, 1 fail. A peer that cannot start is a failure (exit 1), not a skip, unless
# NVTCP_SKIP_INTEROP=1 (then SKIPPED, exit 0, as the other interop tests).
#
# Env: SPDK_TGT_VARIANTS ("plain tls"), SPDK_TGT_PORT (5320), SPDK_TGT_DISC_PORT (5321),
#      SPDK_TGT_PEER_DIR (plain state directory, default /tmp/nvtcp-spdk-tgt-peer),
#      SPDK_TLS_TGT_PORT (5700), SPDK_TLS_TGT_TLS_PORT (5701), SPDK_TLS_TGT_PEER_DIR (tls state
#      directory, default /tmp/nvtcp-spdk-tls-peer), SPDK_PEER (the peer's folder), BUILD_DIR.
# The variants' functions are called by name ("variant_$v").
# shellcheck disable=SC2317
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
VARIANTS=${SPDK_TGT_VARIANTS:-plain tls}
# plain
PORT=${SPDK_TGT_PORT:-5320}
DPORT=${SPDK_TGT_DISC_PORT:-5321}
NQN=nqn.2016-06.io.spdk:nvtcp-interop
SN=SPDK00000000NVTCP01
MN="SPDK bdev Controller"
TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN"
# tls
TLS_PLAIN_PORT=${SPDK_TLS_TGT_PORT:-5700}
TPORT=${SPDK_TLS_TGT_TLS_PORT:-5701}
TLS_NQN=nqn.2016-06.io.spdk:nvtcp-tls
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6
# The README's fixed test key: the 32 ASCII bytes "00112233445566778899aabbccddeeff".
PSK='NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:'
TLS_TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$TPORT subnqn:$TLS_NQN hostnqn:$HOSTNQN"
PLAIN_TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$TLS_PLAIN_PORT subnqn:$TLS_NQN hostnqn:$HOSTNQN"

IDENTIFY=$BUILD_DIR/bin/nvtcp_identify
DISCOVER=$BUILD_DIR/bin/nvtcp_discover
PERF=$BUILD_DIR/bin/nvtcp_perf
if [ -z "${SPDK_PEER:-}" ]; then
	for d in "$ROOT/../shared/peers/spdk" "$ROOT/../../shared/peers/spdk"; do
		[ -x "$d/start" ] && SPDK_PEER=$d && break
	done
fi
PEER=${SPDK_PEER:-$ROOT/../shared/peers/spdk}
if (($(nproc) >= 2)); then
	HOST_MASK=0x2
else
	HOST_MASK=0x1
fi
TMP=$(mktemp -d /tmp/nvtcp-interop-spdk-tgt.XXXXXX)
failures=()
peer_started=0
t_start=$(date +%s)

log() { echo "[$(($(date +%s) - t_start)) s] $*"; }

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	if [ "$peer_started" = 1 ]; then
		log "stopping the SPDK peer"
		timeout --kill-after=10 60 "$PEER/stop" || log "the SPDK peer's stop failed"
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	log "FAIL: $*"
	failures+=("$*")
}

# run NAME TIMEOUT CMD...: bounded; output in $TMP/NAME.{out,err}; the tail is shown.
run() {
	local name=$1 tmo=$2 rc
	shift 2
	log "\$ $(printf '%q ' "$@")"
	timeout --kill-after=10 "$tmo" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	tail -n "${SHOW_LINES:-6}" "$TMP/$name.out" | sed 's/^/    /'
	if [ -s "$TMP/$name.err" ]; then
		echo "    --- stderr ---"
		tail -n 10 "$TMP/$name.err" | sed 's/^/    /'
	fi
	return "$rc"
}

# peer_start VARIANT: the peer's settings for that variant (see its README). Its own state
# directory and no core lock files, so that other SPDK peers on this machine are left alone.
peer_start() {
	export SPDK_CPUMASK=0x1 SPDK_TGT_ARGS=--disable-cpumask-locks SPDK_MALLOC_MB=64
	export SPDK_BLOCK_SIZE=4096
	if [ "$1" = plain ]; then
		export SPDK_PEER_DIR=${SPDK_TGT_PEER_DIR:-/tmp/nvtcp-spdk-tgt-peer}
		export SPDK_PORT=$PORT SPDK_DISC_PORT=$DPORT SPDK_TLS_PORT=0 SPDK_HOSTNQN='' SPDK_PSK=''
		export SPDK_NQN=$NQN SPDK_SERIAL=$SN SPDK_MODEL=$MN
		log "starting SPDK's nvmf_tgt: $NQN on 127.0.0.1:$PORT, discovery on $DPORT, state $SPDK_PEER_DIR"
	else
		export SPDK_PEER_DIR=${SPDK_TLS_TGT_PEER_DIR:-/tmp/nvtcp-spdk-tls-peer}
		export SPDK_PORT=$TLS_PLAIN_PORT SPDK_DISC_PORT=0 SPDK_TLS_PORT=$TPORT
		export SPDK_HOSTNQN=$HOSTNQN SPDK_PSK=$PSK SPDK_NQN=$TLS_NQN
		unset SPDK_SERIAL SPDK_MODEL
		log "starting SPDK's nvmf_tgt: $TLS_NQN plain on $TLS_PLAIN_PORT, TLS on $TPORT, state $SPDK_PEER_DIR"
	fi
	peer_started=1
	if ! timeout --kill-after=10 120 "$PEER/start" >"$TMP/start.out" 2>"$TMP/start.err"; then
		sed 's/^/    /' "$TMP/start.out" "$TMP/start.err"
		echo "FAIL: the SPDK peer did not start (above; its log: $SPDK_PEER_DIR/nvmf_tgt.log)"
		exit 1
	fi
	sed 's/^/    /' "$TMP/start.out"
}

peer_stop() {
	log "stopping the SPDK peer"
	if timeout --kill-after=10 60 "$PEER/stop"; then
		peer_started=0
	else
		fail "the SPDK peer's stop failed"
	fi
}

if [ "${NVTCP_SKIP_INTEROP:-0}" = 1 ]; then
	echo "SKIPPED (NVTCP_SKIP_INTEROP=1)"
	exit 0
fi
for b in "$IDENTIFY" "$DISCOVER" "$PERF"; do
	if [ ! -x "$b" ]; then
		echo "FAIL: $b is not built (run make first)"
		exit 1
	fi
done
if [ ! -x "$PEER/start" ]; then
	echo "FAIL: no SPDK peer at $PEER (set SPDK_PEER)"
	exit 1
fi
for v in $VARIANTS; do
	case "$v" in plain | tls) ;; *) echo "FAIL: SPDK_TGT_VARIANTS: '$v' is not plain or tls"; exit 1 ;; esac
done

# ==== plain ======================================================================================
variant_plain() {
	SPDK_LOG=$SPDK_PEER_DIR/nvmf_tgt.log
	log_lines0=$(wc -l <"$SPDK_LOG")

	# ---- 1. Identify ------------------------------------------------------------------------------
	id_check() { # NAME
		grep -q "Serial Number (SN): *$SN\$" "$TMP/$1.out" || fail "$1: serial $SN not shown"
		grep -q "Model Number (MN): *$MN\$" "$TMP/$1.out" || fail "$1: model '$MN' not shown"
		grep -q "Subsystem NQN (SUBNQN): *$NQN\$" "$TMP/$1.out" || fail "$1: SUBNQN not shown"
		grep -q '^Namespace 1$' "$TMP/$1.out" || fail "$1: namespace 1 not shown"
	}
	if run identify 60 "$IDENTIFY" -r "$TRID"; then
		id_check identify
	else
		fail "identify: exit status $?"
	fi
	if run identify_digests 60 "$IDENTIFY" -r "$TRID" -H -I; then
		id_check identify_digests
	else
		fail "identify -H -I: exit status $?"
	fi
	if SHOW_LINES=0 run identify_json 60 "$IDENTIFY" -r "$TRID" --json; then
		python3 - "$TMP/identify_json.out" "$NQN" "$SN" "$MN" <<-'EOF' ||
			import json, sys
			doc = json.load(open(sys.argv[1]))
			c = doc["controller"]
			assert c["subnqn"] == sys.argv[2], c["subnqn"]
			assert c["sn"] == sys.argv[3] and c["mn"] == sys.argv[4], (c["sn"], c["mn"])
			ns = doc["namespaces"]
			assert [n["nsid"] for n in ns] == [1], [n["nsid"] for n in ns]
			assert ns[0]["block_size"] == 4096 and ns[0]["nsze"] == 16384, ns[0]
			print("    identify --json: %s / %s, ns 1: %d x %d B" %
			      (c["sn"], c["mn"], ns[0]["nsze"], ns[0]["block_size"]))
		EOF
			fail "identify --json: unexpected document"
	else
		fail "identify --json: exit status $?"
	fi

	# ---- 2. Discovery -----------------------------------------------------------------------------
	if SHOW_LINES=12 run discover 60 "$DISCOVER" -r "traddr:127.0.0.1 trsvcid:$DPORT"; then
		grep -q "^subnqn:  $NQN\$" "$TMP/discover.out" || fail "discover: $NQN not listed"
		grep -q "^trsvcid: $PORT\$" "$TMP/discover.out" || fail "discover: port $PORT not listed"
	else
		fail "discover: exit status $?"
	fi
	if SHOW_LINES=0 run discover_json 60 "$DISCOVER" -r "traddr:127.0.0.1 trsvcid:$DPORT" --json -H -I; then
		python3 - "$TMP/discover_json.out" "$NQN" "$PORT" <<-'EOF' || fail "discover --json: unexpected"
			import json, sys
			doc = json.load(open(sys.argv[1]))
			recs = doc["records"]
			assert doc["numrec"] == len(recs), "numrec does not match the records"
			assert any(r["subnqn"] == sys.argv[2] and r["subtype"] == "nvme subsystem" and
			           r["trtype"] == "tcp" and str(r["trsvcid"]).strip() == sys.argv[3]
			           for r in recs), recs
			assert any(r["subtype"] == "current discovery subsystem" for r in recs), recs
			print("    discover --json -H -I: %d records" % len(recs))
		EOF
	else
		fail "discover --json -H -I: exit status $?"
	fi

	# ---- 3. Verified perf -------------------------------------------------------------------------
	# perf_v NAME ARGS...: nvtcp_perf -V with a JSON report; must pass with no mismatch.
	perf_v_plain() {
		local name=$1
		shift
		if ! SHOW_LINES=12 run "$name" 120 "$PERF" --no-progress -c "$HOST_MASK" -V \
			--json "$TMP/$name.json" "$@"; then
			fail "$name: nvtcp_perf exit status $?"
			return
		fi
		grep -q "Verification PASSED" "$TMP/$name.out" || fail "$name: no 'Verification PASSED'"
		python3 - "$TMP/$name.json" <<-'EOF' || fail "$name: the JSON report does not add up"
			import json, sys
			t = json.load(open(sys.argv[1]))["results"]["total"]
			v = t["verify"]
			assert v["mismatches"] == 0, v
			assert v["reads_after_failed_write"] == 0 and v["gave_up"] == 0, v
			assert t["io_errors"] == 0, t["io_errors"]
			assert t["accounting_ok"] and t["io_submitted"] == t["io_completed_ok"], t
			assert t["io_completed_ok"] > 0, t
			assert v["writes_stamped"] > 0 or v["reads_checked"] > 0, v
			print("    verified: %d writes stamped, %d reads checked, 0 mismatches, %d I/Os" %
			      (v["writes_stamped"], v["reads_checked"], t["io_completed_ok"]))
		EOF
	}
	perf_v_plain rw4k -r "$TRID" -q 32 -o 4096 -w randrw -M 50 -t 3 -P 2
	perf_v_plain rw4k_digests -r "$TRID" -H -I -q 32 -o 4096 -w randrw -M 50 -t 3 -P 2
	# 128 KiB: SPDK's in-capsule limit is 4 KiB, so every write goes through R2T and H2CData.
	perf_v_plain rw128k_digests -r "$TRID" -H -I -q 8 -o 128k -w randrw -M 50 -t 3
	# Every block written first, so that every read of the run is checked.
	perf_v_plain prefill_read -r "$TRID" -H -I -q 16 -o 4096 -w randread -t 2 --prefill

	# ---- 4. perf through the discovery service -----------------------------------------------------
	if run perf_disc 120 "$PERF" --no-progress -c "$HOST_MASK" -q 4 -o 4096 -w randread -t 1 \
		-r "trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$DPORT"; then
		grep -qF "subnqn:$NQN)" "$TMP/perf_disc.out" ||
			fail "perf via discovery: not attached to $NQN"
	else
		fail "perf via discovery on $DPORT: exit status $?"
	fi

	# ---- 5. SPDK's side ---------------------------------------------------------------------------
	if tail -n +"$((log_lines0 + 1))" "$SPDK_LOG" | grep -F '*ERROR*' >"$TMP/spdk_errors"; then
		fail "SPDK's nvmf_tgt logged errors while serving the nvtcp host:"
		head -n 10 "$TMP/spdk_errors" | sed 's/^/    /'
	fi
}

# ==== tls ========================================================================================
variant_tls() {
	# ---- 1. Identify over TLS ---------------------------------------------------------------------
	if run identify 60 "$IDENTIFY" -r "$TLS_TRID" --psk "$TMP/psk"; then
		grep -q "^TLS: *yes" "$TMP/identify.out" || grep -q "TLS Cipher Suite: *TLS_AES_128_GCM_SHA256" \
			"$TMP/identify.out" || fail "identify --psk: TLS not shown"
		grep -q '^Namespace 1$' "$TMP/identify.out" || fail "identify --psk: namespace 1 not shown"
	else
		fail "identify --psk: exit status $?"
	fi
	if SHOW_LINES=0 run identify_json 60 "$IDENTIFY" -r "$TLS_TRID" --psk "$TMP/psk" --json -H -I; then
		python3 - "$TMP/identify_json.out" <<-'EOF' || fail "identify --json: TLS not recorded"
			import json, sys
			doc = json.load(open(sys.argv[1]))
			flat = json.dumps(doc)
			assert '"tls": true' in flat and '"tls_cipher": "TLS_AES_128_GCM_SHA256"' in flat, flat[:400]
			print("    identify --json -H -I --psk: tls true, TLS_AES_128_GCM_SHA256")
		EOF
	else
		fail "identify --json -H -I --psk: exit status $?"
	fi

	# ---- 2. Verified perf over TLS ----------------------------------------------------------------
	perf_v_tls() { # NAME ARGS...
		local name=$1
		shift
		if ! SHOW_LINES=14 run "$name" 120 "$PERF" --no-progress -c "$HOST_MASK" -V \
			--json "$TMP/$name.json" "$@"; then
			fail "$name: nvtcp_perf exit status $?"
			return
		fi
		grep -q "Verification PASSED" "$TMP/$name.out" || fail "$name: no 'Verification PASSED'"
		grep -q "over TLS (TLS_AES_128_GCM_SHA256)" "$TMP/$name.out" ||
			fail "$name: the text does not say TLS"
		python3 - "$TMP/$name.json" <<-'EOF' || fail "$name: the JSON report does not add up"
			import json, sys
			r = json.load(open(sys.argv[1]))["results"]
			t = r["total"]
			v = t["verify"]
			assert v["mismatches"] == 0 and v["gave_up"] == 0, v
			assert t["io_errors"] == 0 and t["io_completed_ok"] > 0, t
			want = {"enabled": True, "cipher": "TLS_AES_128_GCM_SHA256"}
			assert t["tls"] == want, t["tls"]
			assert all(d["tls"] == want for d in r["devices"]), [d["tls"] for d in r["devices"]]
			print("    verified over TLS: %d writes, %d reads checked, 0 mismatches" %
			      (v["writes_stamped"], v["reads_checked"]))
		EOF
	}
	perf_v_tls rw4k --psk "$TMP/psk" -r "$TLS_TRID" -q 32 -o 4096 -w randrw -M 50 -t 3 -P 2
	perf_v_tls rw4k_digests --psk "$TMP/psk" -r "$TLS_TRID" -H -I -q 32 -o 4096 -w randrw -M 50 -t 3 -P 2
	perf_v_tls rw128k_digests --psk "$TMP/psk" -r "$TLS_TRID" -H -I -q 8 -o 128k -w randrw -M 50 -t 3
	perf_v_tls spdk_spelling -S ssl --psk-path "$TMP/psk" -r "$TLS_TRID" -q 16 -o 4096 -w randrw -M 50 -t 2

	# ---- 3. Clean failures ------------------------------------------------------------------------
	# bad NAME PATTERN CMD...: exit 1, one line on stderr matching PATTERN, within 40 s.
	bad() {
		local name=$1 pat=$2 rc
		shift 2
		run "$name" 40 "$@"
		rc=$?
		if [ "$rc" != 1 ]; then
			fail "$name: exit status $rc, expected 1"
		fi
		if [ "$(wc -l <"$TMP/$name.err")" != 1 ] || ! grep -qE -- "$pat" "$TMP/$name.err"; then
			fail "$name: stderr is not one line matching '$pat'"
		fi
	}
	bad wrong_psk 'TLS handshake failed' "$IDENTIFY" -t 15 -r "$TLS_TRID" --psk "$TMP/wrong_psk"
	bad plain_to_tls 'cannot attach' "$IDENTIFY" -t 15 -r "$TLS_TRID"
	bad tls_to_plain 'TLS handshake failed' "$IDENTIFY" -t 15 -r "$PLAIN_TRID" --psk "$TMP/psk"
	bad mode_0644 '--psk: .*psk_0644.*0600' "$IDENTIFY" -r "$TLS_TRID" --psk "$TMP/psk_0644"
	if run perf_0644 20 "$PERF" -r "$TLS_TRID" --psk-path "$TMP/psk_0644" -q 1 -o 4096 -w read -t 1; then
		fail "perf --psk-path with a 0644 key: accepted"
	elif ! grep -q -- "--psk-path: .*psk_0644.*0600" "$TMP/perf_0644.err"; then
		fail "perf --psk-path with a 0644 key: the error does not name the option and file"
	fi

	# ---- 4. Still serving --------------------------------------------------------------------------
	run identify_after 60 "$IDENTIFY" -r "$TLS_TRID" --psk "$TMP/psk" >/dev/null ||
		fail "identify --psk after the bad cases: exit status $?"
}

# Key files of the tls variant: the right key, a wrong (valid) key, and the right key readable
# by others.
(umask 077 && printf '%s' "$PSK" >"$TMP/psk" &&
	python3 -c 'import base64,struct,zlib; k=b"ffeeddccbbaa99887766554433221100"; print("NVMeTLSkey-1:01:"+base64.b64encode(k+struct.pack("<I",zlib.crc32(k))).decode()+":")' >"$TMP/wrong_psk" &&
	cp "$TMP/psk" "$TMP/psk_0644" && chmod 0644 "$TMP/psk_0644") ||
	{ echo "FAIL: cannot write the key files"; exit 1; }

for v in $VARIANTS; do
	log "==== variant $v ===="
	peer_start "$v"
	"variant_$v"
	peer_stop
done

echo
if ((${#failures[@]})); then
	log "${#failures[@]} failed:"
	printf '  - %s\n' "${failures[@]}"
	echo "----- SPDK nvmf_tgt log (tail) -----"
	tail -n 30 "$SPDK_PEER_DIR/nvmf_tgt.log"
	exit 1
fi
log "all passed"
exit 0
