#!/usr/bin/env bash
# Runs libFuzzer harnesses for a bounded time each and fails on any finding.
#
#   test/fuzz/run_fuzz.sh <build-fuzz dir> <seconds> <jobs> <harness>...
#
# Each harness starts from the committed seeds (test/fuzz/corpus/<h>, read only) plus what
# earlier runs found (<build-fuzz>/corpus/<h>, where new inputs go). Crashes, leaks, timeouts
# and out-of-memory inputs are written to <build-fuzz>/artifacts/<h>/ (cleared at the start of
# each run of that harness) and make the run fail; "make -C test/fuzz repro HARNESS=<h>
# INPUT=<file>" replays one. A summary line per harness gives executions, executions per
# second, coverage (cov: edges, ft: features) and corpus size.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fuzz_dir=$1
seconds=$2
jobs=$3
shift 3
harnesses=("$@")

case "$fuzz_dir" in /*) ;; *) fuzz_dir=$(pwd)/$fuzz_dir ;; esac
mkdir -p "$fuzz_dir/logs"

# Largest input per harness: PDU streams need room; text inputs do not.
max_len() {
	case "$1" in
	tcp_rx) echo 16384 ;;
	host_rx | target_rx) echo 65536 ;;
	discovery_log) echo 8192 ;;
	dhchap_msgs) echo 8192 ;;
	*) echo 1024 ;;
	esac
}

run_one() {
	local h=$1 bin=$fuzz_dir/fuzz_$1 seeds=$here/corpus/$1
	local work=$fuzz_dir/corpus/$1 art=$fuzz_dir/artifacts/$1 log=$fuzz_dir/logs/$1.log
	mkdir -p "$work" "$seeds"
	rm -rf "$art"
	mkdir -p "$art"
	# -timeout: one input taking 30 s is a hang (every input here runs in milliseconds; on a
	# loaded shared machine 10 s was seen to pass in a single free()); -rss_limit_mb: a leak
	# or a runaway allocation is a finding, not a machine in swap.
	"$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
		-max_len="$(max_len "$h")" -print_final_stats=1 -artifact_prefix="$art/" \
		"$work" "$seeds" > "$log" 2>&1
	echo $? > "$fuzz_dir/logs/$h.rc"
}

pids=()
for h in "${harnesses[@]}"; do
	if [ ! -x "$fuzz_dir/fuzz_$h" ]; then
		echo "fuzz: $fuzz_dir/fuzz_$h is missing (make -C test/fuzz)" >&2
		exit 1
	fi
	run_one "$h" &
	pids+=($!)
	while (($(jobs -rp | wc -l) >= jobs)); do
		wait -n
	done
done
wait

failed=0
printf '%-16s %-6s %12s %10s %8s %8s %8s  %s\n' harness result execs exec/s cov ft corpus \
	findings
for h in "${harnesses[@]}"; do
	log=$fuzz_dir/logs/$h.log
	rc=$(cat "$fuzz_dir/logs/$h.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<< "$last")
	ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<< "$last")
	corp=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<< "$last")
	findings=$(find "$fuzz_dir/artifacts/$h" -type f | wc -l)
	result=PASS
	if [ "$rc" != 0 ] || [ "$findings" != 0 ]; then
		result=FAIL
		failed=$((failed + 1))
	fi
	printf '%-16s %-6s %12s %10s %8s %8s %8s  %s\n' "$h" "$result" "${execs:-?}" "${eps:-?}" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$findings"
	if [ "$result" = FAIL ]; then
		echo "----- $h: exit $rc; last lines of $log -----"
		tail -n 40 "$log"
		find "$fuzz_dir/artifacts/$h" -type f -printf '  finding: %p\n'
		echo "  replay: make -C test/fuzz repro HARNESS=$h INPUT=<finding>"
		echo "-----"
	fi
done
if ((failed > 0)); then
	echo "fuzz: $failed harness(es) failed"
	exit 1
fi
echo "fuzz: all ${#harnesses[@]} harnesses ran ${seconds} s each with no finding"
