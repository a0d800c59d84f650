#!/usr/bin/env bash
# Hardening (d): the functional tests (test/functional/*.sh: our host against our target on
# loopback, the misbehaving target, ...) with the ASan/UBSan build (build-san/). A run with no
# functional test is a failure, not a pass.
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SAN_DIR=$ROOT/build-san
JOBS=${JOBS:-2}

if [ -z "$(find "$ROOT/test/functional" -maxdepth 1 -name '*.sh' -perm -u+x 2>/dev/null)" ]; then
	echo "FAIL: there is no functional test to run under sanitizers yet"
	exit 1
fi
if ! make -C "$ROOT" SAN=1 -j"$JOBS" all; then
	echo "FAIL: the SAN=1 build failed"
	exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
BUILD_DIR=$SAN_DIR LOG_DIR=$SAN_DIR/test-logs/hardening-functional \
	"$ROOT/test/run_tests.sh" functional
rc=$?
if ((rc != 0)); then
	echo "FAIL: functional tests under sanitizers (logs: $SAN_DIR/test-logs/hardening-functional)"
	exit 1
fi
echo "PASS: functional tests under ASan/UBSan"
