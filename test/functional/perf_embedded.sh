#!/usr/bin/env bash
# nvtcp_perf without -r runs its embedded target (loopback, RAM namespace) and says so, on its
# own core with two cores, and sharing the only core with one.
set -uo pipefail
source "$(dirname "$0")/perf_lib.sh"
need_bins "$PERF"

if (($(nproc) >= 2)); then
	perf_run two 120 -c 0x3 -q 16 -o 4096 -w randread -t 2
	check "embedded, 2 cores: exits 0" [ "$PERF_RC" = 0 ]
	check "embedded, 2 cores: says so, target on core 1" \
		out_has two "Embedded NVMe/TCP target (no -r given): core 1"
	check "embedded, 2 cores: I/O from core 0" grep -qE "NSID 1 from core +0:" "$WORK/two.out"
	check "embedded, 2 cores: a Total row" grep -qE "^Total +:" "$WORK/two.out"
fi

perf_run one 120 -c 0x1 -q 8 -o 4096 -w randrw -M 50 -t 2 -V --tgt-ns-size 64M
check "embedded, 1 core, verify: exits 0" [ "$PERF_RC" = 0 ]
check "embedded, 1 core: says so" out_has one "Embedded NVMe/TCP target (no -r given): core 0"
check "embedded, 1 core: 64 MiB namespace" out_has one "namespace of 64 MiB"
check "embedded, 1 core: verification passed" out_has one "Verification PASSED"

perf_run bs4k 120 -c 0x1 -q 4 -o 4096 -w read -t 1 --tgt-block-size 4096 --tgt-ns-size 16M -L
check "embedded 4096-byte blocks: exits 0" [ "$PERF_RC" = 0 ]
check "embedded 4096-byte blocks: said" out_has bs4k "with 4096-byte blocks"
check "-L prints the percentile summary" out_has bs4k "Summary latency data for"

perf_run bad_bs 120 -c 0x1 -q 4 -o 512 -w read -t 1 --tgt-block-size 4096 --tgt-ns-size 16M
check "-o below the block size: fails" [ "$PERF_RC" = 1 ]
check "-o below the block size: names -o and the block size" \
	out_has bad_bs "-o (--io-size) 512 is not a multiple of the block size 4096"

finish
