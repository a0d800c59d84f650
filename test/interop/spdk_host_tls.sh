#!/usr/bin/env bash
# Interop: SPDK v24.01's spdk_nvme_perf over TLS (-S ssl --psk-path) against nvtcp_tgt.
#
# The target (core 0) serves $NQN_TLS, only $HOSTNQN with a PSK, on a "required" listener
# ($SPDK_HOST_TLS_PORT, default 5830) and $NQN (any host) on a plaintext one (port + 1).
# Checks, with perf on core 1:
#   1. perf randrw 4 KiB over TLS without and with header+data digests (-H -I): exits 0 by
#      itself, IOPS > 0, no I/O error; the target logs the TLS session (cipher, identity) and
#      counts 0 digest/protocol errors;
#   2. perf with a wrong PSK and with a host NQN that has no key: no I/O, one "TLS handshake
#      failed" line each on the target;
#   3. the target stops cleanly.
# Exit 0 pass, 1 fail (NVTCP_SKIP_INTEROP=1: SKIPPED).
set -uo pipefail
# shellcheck disable=SC1091
. "$(dirname "$0")/../functional/tgt_lib.sh"
trap 'exit 1' INT TERM

PORT=${SPDK_HOST_TLS_PORT:-5830}
PPORT=$((PORT + 1))
NQN=nqn.2024-01.io.nvtcp:spdk-tls-open
NQN_TLS=nqn.2024-01.io.nvtcp:spdk-tls
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6
PSK='NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:'
# Another valid key (32 bytes "ffeeddccbbaa99887766554433221100").
WRONG='NVMeTLSkey-1:01:ZmZlZWRkY2NiYmFhOTk4ODc3NjY1NTQ0MzMyMjExMDBfBm/Y:'
TR="trtype:tcp adrfam:ipv4 traddr:127.0.0.1"
if [ -z "${SPDK_PEER:-}" ]; then
	for d in "$ROOT/../shared/peers/spdk" "$ROOT/../../shared/peers/spdk"; do
		[ -x "$d/run" ] && SPDK_PEER=$d && break
	done
fi
RUN=${SPDK_PEER:-$ROOT/../shared/peers/spdk}/run
MASK=0x2
(($(nproc) >= 2)) || MASK=0x1

if [ "${NVTCP_SKIP_INTEROP:-0}" = 1 ]; then
	echo "SKIPPED (NVTCP_SKIP_INTEROP=1)"
	exit 0
fi
if [ ! -x "$RUN" ]; then
	log "FAIL: no SPDK peer at $RUN"
	exit 1
fi
(umask 077 && printf '%s' "$PSK" >"$TMP/psk.txt" && printf '%s' "$WRONG" >"$TMP/wrong.txt")
python3 -c 'import base64,sys,zlib,struct; k=b"ffeeddccbbaa99887766554433221100"; \
assert sys.argv[1]=="NVMeTLSkey-1:01:"+base64.b64encode(k+struct.pack("<I",zlib.crc32(k))).decode()+":"' \
	"$WRONG" || { log "FAIL: the test's second key is malformed"; exit 1; }

tgt_start spdktls -m 0x1 --listen "127.0.0.1:$PORT" --secure-channel required \
	--listen "127.0.0.1:$PPORT" \
	--subsys "$NQN_TLS" --ns malloc:64M --allow-host "$HOSTNQN" --psk "$TMP/psk.txt" \
	--subsys "$NQN" --ns malloc:16M || finish

# perf NAME PSKFILE HOSTNQN EXTRA...: output in $TMP/NAME.perf; line-buffered so that what it
# printed survives a kill.
perf() {
	local name=$1 psk=$2 host=$3
	shift 3
	timeout -s KILL 60 stdbuf -oL -eL "$RUN" spdk_nvme_perf -c "$MASK" -S ssl --psk-path "$psk" \
		-r "$TR trsvcid:$PORT subnqn:$NQN_TLS hostnqn:$host" -q 32 -o 4096 -w randrw -M 50 \
		-t 3 "$@" >"$TMP/$name.perf" 2>&1
}

for dg in "" "-H -I"; do
	name="tls${dg:+-digests}"
	# shellcheck disable=SC2086
	perf "$name" "$TMP/psk.txt" "$HOSTNQN" $dg
	rc=$?
	iops=$(awk -F: '/^Total/ {split($2, a, " "); print int(a[1])}' "$TMP/$name.perf")
	if [ "$rc" != 0 ]; then
		log "FAIL: $name: spdk_nvme_perf exit $rc (IOPS ${iops:-none})"
		grep -i "error" "$TMP/$name.perf" | head -3
		failures+=("$name exit")
	fi
	if [ -z "$iops" ] || [ "$iops" -le 0 ]; then
		failures+=("$name no I/O")
	else
		log "$name: $iops IOPS"
	fi
	if grep -q "status: \|Failed to" "$TMP/$name.perf"; then
		failures+=("$name I/O errors")
	fi
done
grep -q "host $HOSTNQN .* connected to $NQN_TLS: .*, TLS TLS_AES_" "$TGT_LOG" ||
	failures+=("no TLS session line")

n=$(grep -c "TLS handshake failed" "$TGT_LOG")
perf wrong-psk "$TMP/wrong.txt" "$HOSTNQN"
perf no-key "$TMP/psk.txt" nqn.2024-01.io.nvtcp:keyless
m=$(grep -c "TLS handshake failed" "$TGT_LOG")
if ((m < n + 2)); then
	log "FAIL: wrong key / unknown identity: $((m - n)) 'TLS handshake failed' lines"
	failures+=("bad key lines")
else
	grep "TLS handshake failed" "$TGT_LOG" | tail -2 | cut -c1-200
fi
for f in wrong-psk no-key; do
	if grep -q "^Total.*[1-9]" "$TMP/$f.perf"; then
		failures+=("$f did I/O")
	fi
done

kill -USR1 "$TGT_PID"
sleep 0.5
grep "total:" "$TGT_LOG" | tail -1
if grep "reactor 0" "$TGT_LOG" | tail -1 | grep -q "[1-9][0-9]* digest errors\|[1-9][0-9]* protocol errors"; then
	failures+=("digest/protocol errors")
fi
tgt_stop
finish
