#!/usr/bin/env bash
# Instructions per I/O of the host multipath layer (lib/mpath) with one path, against the plain
# host (no layer): nvtcp_perf 4 KiB random read QD32 under valgrind's callgrind against an
# nvtcp_tgt started here, with the slope method: each mode runs SHORT and LONG I/Os (-d, an exact
# count) and the figure is (Ir(LONG) - Ir(SHORT)) / (LONG - SHORT), so start-up, connect and
# tear-down cancel out. Instructions are counted in nvtcp_perf only (the target runs natively).
# Polls that find nothing also count: they are part of the per-I/O cost as run here, and they
# make the whole-process figures vary by a few hundred instructions between runs. The layer's
# own instructions (self cost of the functions in lib/mpath, from callgrind_annotate, same
# slope) do not depend on that and are printed too.
#
#   scripts/mpath_overhead.sh [SHORT [LONG]]      (defaults 10000 and 50000)
#
# Env: BUILD_DIR (default ./build), PORT (default 5730), TGT_CORE (0), PERF_CORE (1),
# OUT (work directory, default a fresh one under /tmp). Prints one line per run and a summary:
#   plain: N instr/IO   layer: N instr/IO   overhead: N instr/IO
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SHORT=${1:-10000}
LONG=${2:-50000}
PORT=${PORT:-5730}
TGT_CORE=${TGT_CORE:-0}
PERF_CORE=${PERF_CORE:-1}
OUT=${OUT:-$(mktemp -d /tmp/nvtcp-mpath-overhead.XXXXXX)}
mkdir -p "$OUT"
NQN=nqn.2024-01.io.nvtcp:overhead
TGT=$BUILD_DIR/bin/nvtcp_tgt
PERF=$BUILD_DIR/bin/nvtcp_perf

command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
for b in "$TGT" "$PERF"; do
	[ -x "$b" ] || { echo "$b is missing: build first (make)" >&2; exit 1; }
done
[ "$LONG" -gt "$SHORT" ] || { echo "LONG ($LONG) must be above SHORT ($SHORT)" >&2; exit 2; }

"$TGT" -m "$(printf '0x%x' $((1 << TGT_CORE)))" --no-huge --listen "127.0.0.1:$PORT" \
	--subsys "$NQN" --ns malloc:64M >"$OUT/tgt.log" 2>&1 &
TGT_PID=$!
trap 'kill "$TGT_PID" 2>/dev/null; wait "$TGT_PID" 2>/dev/null' EXIT
for _ in $(seq 300); do
	grep -q 'nvtcp_tgt: ready' "$OUT/tgt.log" && break
	kill -0 "$TGT_PID" 2>/dev/null || { cat "$OUT/tgt.log" >&2; exit 1; }
	sleep 0.1
done
TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN"

# Total instructions (Ir) of one run of N I/Os.
run() {
	local mode=$1 n=$2 extra=() f
	[ "$mode" = layer ] && extra=(--multipath-policy round-robin)
	f=$OUT/cg.$mode.$n
	valgrind --tool=callgrind --callgrind-out-file="$f" \
		"$PERF" -q 32 -o 4k -w randread -t 3600 -d "$n" -c "$(printf '0x%x' \
		$((1 << PERF_CORE)))" --no-huge -s 256 --no-progress -r "$TRID" "${extra[@]}" \
		>"$f.out" 2>&1 || { tail -n 20 "$f.out" >&2; exit 1; }
	sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f" | head -n 1
}

# Self instructions of lib/mpath's functions in a run's profile.
mpath_self() {
	callgrind_annotate --inclusive=no --auto=no --threshold=100 "$1" 2>/dev/null |
		awk '/lib\/mpath\/.*\[/ && !/=>/ { gsub(",", "", $1); n += $1 } END { print n + 0 }'
}

declare -A IPIO
for mode in plain layer; do
	s=$(run "$mode" "$SHORT")
	l=$(run "$mode" "$LONG")
	IPIO[$mode]=$(( (l - s) / (LONG - SHORT) ))
	echo "$mode: Ir($SHORT)=$s Ir($LONG)=$l -> ${IPIO[$mode]} instructions/IO"
done
ms=$(mpath_self "$OUT/cg.layer.$SHORT")
ml=$(mpath_self "$OUT/cg.layer.$LONG")
echo "lib/mpath's own instructions: $ms -> $ml: $(( (ml - ms) / (LONG - SHORT) )) instructions/IO"
callgrind_annotate --inclusive=no --auto=no --threshold=100 "$OUT/cg.layer.$LONG" 2>/dev/null |
	grep 'lib/mpath/' | sed 's/^/    /'
echo "plain: ${IPIO[plain]} instr/IO   layer: ${IPIO[layer]} instr/IO   overhead: \
$((IPIO[layer] - IPIO[plain])) instr/IO (4 KiB randread QD32, one path; files in $OUT)"
