#!/usr/bin/env bash
# Hardening (b): every libFuzzer harness of test/fuzz runs FUZZ_SECONDS (at least 60) with no
# finding. FUZZ_JOBS harnesses run at a time (default 2: one per core of the CI machine).
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-2}

if ((FUZZ_SECONDS < 60)); then
	echo "note: FUZZ_SECONDS=$FUZZ_SECONDS is below the 60 s the hardening section requires"
fi
if ! make -C "$ROOT/test/fuzz" -j2 all; then
	echo "FAIL: the fuzz harnesses do not build (clang and libclang-rt-14-dev: scripts/pkgdep.sh)"
	exit 1
fi
if ! make -C "$ROOT/test/fuzz" run FUZZ_SECONDS="$FUZZ_SECONDS" FUZZ_JOBS="$FUZZ_JOBS"; then
	echo "FAIL: fuzzing found something (artifacts in $ROOT/build-fuzz/artifacts/)"
	exit 1
fi
echo "PASS: fuzzing, $FUZZ_SECONDS s per harness, no finding"
