#!/usr/bin/env bash
# Hardening (a): the whole tree builds with AddressSanitizer and UndefinedBehaviorSanitizer
# (make SAN=1, into build-san/), and every unit test passes under them.
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SAN_DIR=$ROOT/build-san
JOBS=${JOBS:-2}

echo "== make SAN=1 (build-san/)"
if ! make -C "$ROOT" SAN=1 -j"$JOBS" all; then
	echo "FAIL: the SAN=1 build failed"
	exit 1
fi

# Any sanitizer report fails the test binary: UBSan is built with -fno-sanitize-recover, and
# ASan aborts on its first error; leaks count too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== unit tests under ASan/UBSan"
BUILD_DIR=$SAN_DIR LOG_DIR=$SAN_DIR/test-logs/hardening-unit "$ROOT/test/run_tests.sh" unit
rc=$?
if ((rc != 0)); then
	echo "FAIL: unit tests under sanitizers (logs: $SAN_DIR/test-logs/hardening-unit)"
	exit 1
fi
echo "PASS: SAN build and unit tests"
