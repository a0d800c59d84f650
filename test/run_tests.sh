#!/usr/bin/env bash
# Runs nvtcp's tests and prints a summary. Used by "make test"; also runnable directly:
#
#   test/run_tests.sh                 every section: unit functional interop
#   test/run_tests.sh unit interop    only these sections
#   BUILD_DIR=build-san test/run_tests.sh unit
#
# Sections:
#   unit        every CUnit binary under $BUILD_DIR/test/unit
#   functional  test/functional/*.sh (our host against our target, on loopback)
#   interop     test/interop/*.sh (the Linux kernel target and host in QEMU guests)
#   hardening   test/hardening/*.sh (sanitizers, fuzzing, valgrind; "make test-hardening")
#
# Each test's output goes to $LOG_DIR/<name>.log and is shown (its tail) when it fails.
# A test script exits 0 for pass, 1 for fail; any other status is a failure too.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
LOG_DIR=${LOG_DIR:-$BUILD_DIR/test-logs}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}
SCRIPT_TIMEOUT=${SCRIPT_TIMEOUT:-1800}
export ROOT BUILD_DIR LOG_DIR

sections=("$@")
((${#sections[@]})) || sections=(unit functional interop)

mkdir -p "$LOG_DIR"
# Tests run python3 (the RPC client, fuzzers, JSON checks) hundreds of times. Where python3 is
# a version manager's shim (pyenv) each start costs seconds on a busy machine; Debian's own
# interpreter, which is what a fresh machine runs anyway, is used directly instead.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
	mkdir -p "$LOG_DIR/.bin"
	ln -sf /usr/bin/python3 "$LOG_DIR/.bin/python3"
	export PATH="$LOG_DIR/.bin:$PATH"
fi
names=()
results=()
times=()
failed=0

run_one() { # section name timeout command...
	local section=$1 name=$2 tmo=$3
	shift 3
	local log="$LOG_DIR/${name//\//_}.log" start end rc
	start=$(date +%s)
	printf '%-11s %-52s ' "$section" "$name"
	timeout --kill-after=10 "$tmo" "$@" > "$log" 2>&1
	rc=$?
	end=$(date +%s)
	names+=("$section/$name")
	times+=($((end - start)))
	if ((rc == 0)); then
		results+=(PASS)
		echo "PASS ($((end - start)) s)"
	else
		failed=$((failed + 1))
		if ((rc == 124 || rc == 137)); then
			results+=("FAIL (timeout ${tmo} s)")
		else
			results+=("FAIL (exit $rc)")
		fi
		echo "${results[-1]}"
		echo "----- last 40 lines of $log -----"
		tail -n 40 "$log"
		echo "-----"
	fi
}

run_unit() {
	local dir=$BUILD_DIR/test/unit
	if [ ! -d "$dir" ]; then
		echo "unit: no test binaries under $dir (build first: make)" >&2
		failed=$((failed + 1))
		names+=("unit/(build)")
		results+=("FAIL (no binaries)")
		times+=(0)
		return
	fi
	while IFS= read -r t; do
		run_one unit "${t#"$dir"/}" "$UNIT_TIMEOUT" "$t"
	done < <(find "$dir" -type f -name '*_ut' -perm -u+x | sort)
}

run_scripts() { # section dir
	local section=$1 dir=$ROOT/test/$1
	[ -d "$dir" ] || return 0
	while IFS= read -r t; do
		run_one "$section" "$(basename "$t" .sh)" "$SCRIPT_TIMEOUT" "$t"
	done < <(find "$dir" -maxdepth 1 -type f -name '*.sh' -perm -u+x | sort)
}

total_start=$(date +%s)
for s in "${sections[@]}"; do
	case "$s" in
	unit) run_unit ;;
	functional | interop | hardening) run_scripts "$s" ;;
	*) echo "run_tests: unknown section '$s' (unit, functional, interop, hardening)" >&2; exit 2 ;;
	esac
done
total_end=$(date +%s)

echo
echo "==================== nvtcp test summary ===================="
pass=0
for i in "${!names[@]}"; do
	printf '%-64s %-22s %5s s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
	[ "${results[$i]}" = PASS ] && pass=$((pass + 1))
done
echo "------------------------------------------------------------"
echo "passed $pass of ${#names[@]}, failed $failed, in $((total_end - total_start)) s (logs: $LOG_DIR)"
if ((${#names[@]} == 0)); then
	echo "no tests ran: that is a failure"
	exit 1
fi
((failed == 0))
