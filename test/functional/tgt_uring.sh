#!/usr/bin/env bash
# nvtcp_tgt with uring (io_uring) namespaces on
#   (a) a regular file (512 B blocks), (b) a loop device over a file (4 KiB blocks, when
#   losetup works), (c) a brd RAM disk (when "modprobe brd" works; skipped with a message
#   where the kernel has no brd);
# each: tgt_host verify (random 512 B..1 MiB I/O, so both the O_DIRECT and the page-cache
# paths, Compare, Write Zeroes, Deallocate reading zeroes, Flush; without and with digests)
# and nvtcp_perf -V (4 KiB randrw, QD32, verified). Then the data persists: a dump through
# the target equals the backing file/device, and equals a dump taken after a restart (which
# configures the same namespaces from a JSON file).
set -uo pipefail
. "$(dirname "$0")/tgt_lib.sh"

PERF=$BUILD_DIR/bin/nvtcp_perf
NQN=nqn.2024-01.io.nvtcp:uring
DUMP_BYTES=$((16 << 20))
LOOP=
BRD_LOADED=
if (($(nproc) >= 2)); then PERF_MASK=0x2; else PERF_MASK=0x1; fi

uring_cleanup() {
	if [ -n "$TGT_PID" ] && kill -0 "$TGT_PID" 2>/dev/null; then
		kill -KILL "$TGT_PID" 2>/dev/null
		wait "$TGT_PID" 2>/dev/null
		TGT_PID=
	fi
	[ -z "$LOOP" ] || losetup -d "$LOOP" 2>/dev/null
	[ -z "$BRD_LOADED" ] || rmmod brd 2>/dev/null
	tgt_cleanup
}
trap uring_cleanup EXIT

# Backing stores: NAMES[i] is served as subsystem $NQN-NAME, from DEVS[i], with BS[i].
NAMES=(file)
DEVS=("$TMP/uring.img")
BS=(512)
truncate -s 64M "$TMP/uring.img"

truncate -s 64M "$TMP/loop.img"
if LOOP=$(losetup -f --show "$TMP/loop.img" 2>"$TMP/losetup.err"); then
	log "loop device $LOOP over $TMP/loop.img"
	NAMES+=(loop)
	DEVS+=("$LOOP")
	BS+=(4096)
else
	LOOP=
	log "SKIP loop: losetup failed: $(cat "$TMP/losetup.err")"
fi

if lsmod 2>/dev/null | grep -q '^brd '; then
	log "SKIP brd: brd is already loaded (its RAM disks may be someone else's)"
elif ! command -v modprobe >/dev/null || [ ! -d "/lib/modules/$(uname -r)" ]; then
	log "SKIP brd: no modprobe or no /lib/modules/$(uname -r) (kernel modules not installed)"
elif modprobe brd rd_nr=1 rd_size=65536 2>"$TMP/modprobe.err" && [ -b /dev/ram0 ]; then
	BRD_LOADED=1
	log "brd RAM disk /dev/ram0"
	NAMES+=(brd)
	DEVS+=(/dev/ram0)
	BS+=(512)
else
	log "SKIP brd: modprobe brd failed: $(tr '\n' ' ' <"$TMP/modprobe.err")"
fi

TGT_ARGS=(-m 0x1 --listen 127.0.0.1:0)
for i in "${!NAMES[@]}"; do
	TGT_ARGS+=(--subsys "$NQN-${NAMES[$i]}" --ns "uring:${DEVS[$i]}:${BS[$i]}")
done

tgt_start uring "${TGT_ARGS[@]}" || finish
P=${TGT_PORTS[0]}
check "namespaces logged as uring" grep -q "namespace 1: uring" "$TGT_LOG"

for i in "${!NAMES[@]}"; do
	n=${NAMES[$i]}
	check "tgt_host verify, uring $n (${BS[$i]} B blocks)" "$TGT_HOST" verify --port "$P" \
		--subnqn "$NQN-$n" --qpairs 2 --qd 4 --ios 800
	check "tgt_host verify, uring $n, digests" "$TGT_HOST" verify --port "$P" \
		--subnqn "$NQN-$n" --qpairs 2 --qd 2 --ios 300 --digest both
	if [ -x "$PERF" ]; then
		check "nvtcp_perf -V 4 KiB randrw QD32, uring $n" bash -c "timeout -k 5 120 '$PERF' \
			--no-progress -c $PERF_MASK -q 32 -o 4096 -w randrw -M 50 -t 3 -P 2 -V \
			-r 'trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$P subnqn:$NQN-$n' \
			>'$TMP/perf-$n.out' 2>&1; rc=\$?; tail -n 4 '$TMP/perf-$n.out'; \
			[ \$rc = 0 ] && grep -q 'Verification PASSED' '$TMP/perf-$n.out'"
	fi
	check "dump through the target, uring $n" "$TGT_HOST" dump --port "$P" \
		--subnqn "$NQN-$n" --out "$TMP/before-$n.bin" --bytes "$DUMP_BYTES"
	check "dump equals the backing store, uring $n" \
		cmp "$TMP/before-$n.bin" <(head -c "$DUMP_BYTES" "${DEVS[$i]}")
done
tgt_stop

# The data is still there after a restart, this time configured by JSON ("backend": "uring").
{
	echo '{"listeners": [{"address": "127.0.0.1", "port": 0}], "subsystems": ['
	for i in "${!NAMES[@]}"; do
		((i == 0)) || echo ','
		echo "{\"nqn\": \"$NQN-${NAMES[$i]}\", \"namespaces\": [{\"backend\": \"uring\","
		echo " \"path\": \"${DEVS[$i]}\", \"block_size\": ${BS[$i]}}]}"
	done
	echo ']}'
} >"$TMP/uring.json"
tgt_start uring2 -m 0x1 --config "$TMP/uring.json" || finish
P=${TGT_PORTS[0]}
for i in "${!NAMES[@]}"; do
	n=${NAMES[$i]}
	check "dump after restart, uring $n" "$TGT_HOST" dump --port "$P" --subnqn "$NQN-$n" \
		--out "$TMP/after-$n.bin" --bytes "$DUMP_BYTES"
	check "data persisted across the restart, uring $n" \
		cmp "$TMP/before-$n.bin" "$TMP/after-$n.bin"
done
uuids() { grep -o 'namespace 1: uring.*uuid [0-9a-f-]*' "$1" | sed 's/.*uuid //' | sort; }
uuids "$TMP/uring.log" >"$TMP/uuids1"
uuids "$TMP/uring2.log" >"$TMP/uuids2"
check "namespace UUIDs (${#NAMES[@]}) stable across the restart" bash -c \
	"[ \$(wc -l <'$TMP/uuids1') = ${#NAMES[@]} ] && cmp '$TMP/uuids1' '$TMP/uuids2'"
tgt_stop

# A path that cannot be opened is refused with a message naming it.
check "bad path refused" bash -c "! timeout -k 5 60 '$TGT_BIN' -m 0x1 --listen 127.0.0.1:0 \
	--subsys $NQN-bad --ns uring:$TMP/no/such/dir/img >'$TMP/bad.out' 2>&1 && \
	grep -q 'no/such/dir/img' '$TMP/bad.out'"
finish
