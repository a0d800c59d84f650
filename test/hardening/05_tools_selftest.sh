#!/usr/bin/env bash
# Hardening: the reliability test tools themselves, built with ASan/UBSan (build-san/), must be
# robust: fault_proxy's end-to-end self-test (NVMe/TCP through it with shaping, flips, drops,
# stalls, garbage streams, refused upstreams, too many connections) with the sanitizer builds
# of fault_proxy, bad_target and bt_host. (bad_target's cases run in
# test/functional/host_misbehaving_target.sh, under sanitizers in 04_san_functional.sh.)
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SAN_DIR=$ROOT/build-san
JOBS=${JOBS:-2}

if ! make -C "$ROOT" SAN=1 -j"$JOBS" all; then
	echo "FAIL: the SAN=1 build failed"
	exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
BUILD_DIR=$SAN_DIR "$ROOT/test/tools/fault_proxy/selftest.sh"
