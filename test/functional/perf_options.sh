#!/usr/bin/env bash
# nvtcp_perf rejects bad command lines with one line that names the option (exit status 2),
# before starting anything; help exits 0.
set -uo pipefail
source "$(dirname "$0")/perf_lib.sh"
need_bins "$PERF"

BASE=(-q 32 -o 4096 -w randread -t 1)
n=0
bad() { # expected substring, then the arguments
	local want=$1 out rc
	shift
	n=$((n + 1))
	out=$(timeout 10 "$PERF" "$@" 2>&1)
	rc=$?
	if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
		printf '%s' "$out" | grep -qF -- "$want"; then
		echo "ok:   $* -> $out"
	else
		echo "FAIL: $* -> exit $rc, wanted exit 2 and one line with '$want', got:"
		printf '%s\n' "$out" | sed 's/^/  | /'
		FAILS=$((FAILS + 1))
	fi
}

bad "-q (--io-depth): '0'" -q 0 -o 4096 -w read -t 1
bad "-q (--io-depth): '-4'" -q -4 -o 4096 -w read -t 1
bad "-q (--io-depth): 'x'" -q x -o 4096 -w read -t 1
bad "missing -q (--io-depth)" -o 4096 -w read -t 1
bad "-o (--io-size): 1000 is not a multiple of the block size" -q 1 -o 1000 -w read -t 1
bad "missing -o (--io-size)" -q 1 -w read -t 1
bad "-w (--io-pattern): unknown workload 'sequential'" -q 1 -o 4k -w sequential -t 1
bad "-M (--rwmixread): '150' is out of range" -q 1 -o 4k -w randrw -M 150 -t 1
bad "-M (--rwmixread): must be given" -q 1 -o 4k -w rw -t 1
bad "-t (--time)" -q 1 -o 4k -w read -t 0
bad "missing -t (--time)" -q 1 -o 4k -w read
bad "-P (--num-qpairs)" "${BASE[@]}" -P 0
bad "-c (--core-mask): invalid core mask 'banana'" "${BASE[@]}" -c banana
bad "-k (--keepalive)" "${BASE[@]}" -k -1
bad "-r (--transport): invalid transport ID" "${BASE[@]}" -r "traddr:127.0.0.1 color:red"
bad "trtype" "${BASE[@]}" -r "trtype:rdma traddr:127.0.0.1"
bad "ns:" "${BASE[@]}" -r "traddr:127.0.0.1 ns:0"
bad "--rate" "${BASE[@]}" --rate 0
bad "--ctrl-loss-tmo: '-5'" "${BASE[@]}" --ctrl-loss-tmo -5
bad "--io-timeout: 'x'" "${BASE[@]}" --io-timeout x
bad "--json: empty file name" "${BASE[@]}" --json ""
bad "unknown option '--bogus'" "${BASE[@]}" --bogus
bad "-e (--metadata): not supported" "${BASE[@]}" -e PRACT=1
bad "-V (--verify): the null backend" "${BASE[@]}" -V --tgt-backend null
bad "--tgt-ns-size" "${BASE[@]}" --tgt-ns-size 1k
bad "only for the embedded target" "${BASE[@]}" -r "traddr:127.0.0.1" --tgt-block-size 4096
bad "unexpected argument '/dev/nvme0n1'" "${BASE[@]}" /dev/nvme0n1
# DH-HMAC-CHAP secrets: named by the option, never echoed (a value may be the secret itself).
R=(-r "traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2024-01.io.test:x")
bad "--dhchap-secret: bad CRC-32" "${BASE[@]}" "${R[@]}" \
	--dhchap-secret "DHHC-1:00:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmYAAAAA:"
printf 'DHHC-1:00:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmYAAAAA:\n' >"$WORK/dhchap_0644"
chmod 0644 "$WORK/dhchap_0644"
bad "--dhchap-key: secret file $WORK/dhchap_0644: mode 0644" "${BASE[@]}" "${R[@]}" \
	--dhchap-key "$WORK/dhchap_0644"
good_secret=$(python3 -c 'import base64,struct,zlib; k=b"00112233445566778899aabbccddeeff"; print("DHHC-1:00:"+base64.b64encode(k+struct.pack("<I",zlib.crc32(k))).decode()+":")')
bad "--dhchap-ctrl-secret: needs --dhchap-secret" "${BASE[@]}" "${R[@]}" \
	--dhchap-ctrl-secret "$good_secret"
out=$(timeout 10 "$PERF" "${BASE[@]}" "${R[@]}" --dhchap-secret \
	"DHHC-1:00:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmYAAAAA:" 2>&1)
if printf '%s' "$out" | grep -q "MDAxMTIy"; then
	echo "FAIL: a --dhchap-secret error shows the secret: $out"
	FAILS=$((FAILS + 1))
fi

out=$(timeout 10 "$PERF" -h 2>&1)
rc=$?
check "-h exits 0" [ "$rc" = 0 ]
check "-h shows the essential options" \
	bash -c 'printf "%s" "$1" | grep -q -- "--io-depth"' _ "$out"
out=$(timeout 10 "$PERF" --help-full 2>&1)
rc=$?
check "--help-full exits 0" [ "$rc" = 0 ]
check "--help-full documents --verify and --json" \
	bash -c 'printf "%s" "$1" | grep -q -- "--verify" && printf "%s" "$1" | grep -q -- "--json"' \
	_ "$out"

# A -r that cannot be reached fails cleanly (exit 1) and says why.
perf_run refused 120 "${BASE[@]}" -r "trtype:tcp traddr:127.0.0.1 trsvcid:1 subnqn:nqn.2014-08.io.x:y"
check "unreachable target: exit 1" [ "$PERF_RC" = 1 ]
check "unreachable target: says it cannot attach" out_has refused "cannot attach to"

echo "$n bad command lines checked"
finish
