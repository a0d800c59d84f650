#!/usr/bin/env bash
# Interop: ../shared/peers/nvme_tcp_probe.py (a host written from the specifications) against
# nvtcp_tgt: ICReq, discovery, Identify, an I/O queue, in-capsule and R2T writes, verified
# reads, shutdown; on 512-byte and 4 KiB namespaces, and with R2Ts of several blocks.
set -uo pipefail
. "$(dirname "$0")/../functional/tgt_lib.sh"

PROBE=$ROOT/../shared/peers/nvme_tcp_probe.py
NQN=nqn.2024-01.io.nvtcp:probe
NQN4K=nqn.2024-01.io.nvtcp:probe-4k

if [ ! -f "$PROBE" ]; then
	log "FAIL: $PROBE not found"
	exit 1
fi
tgt_start probe -m 0x1 --listen 127.0.0.1:0 --subsys "$NQN" --ns malloc:64M || finish
P=${TGT_PORTS[0]}
check "probe, 512-byte blocks" python3 "$PROBE" --port "$P" --subnqn "$NQN" --timeout 20
check "probe, R2T of 64 blocks" python3 "$PROBE" --port "$P" --subnqn "$NQN" --r2t-blocks 64 \
	--lba 1000 --timeout 20
tgt_stop
# The probe writes 8 blocks in-capsule: with 4 KiB blocks that needs 32 KiB of in-capsule data.
tgt_start probe4k -m 0x1 --listen 127.0.0.1:0 --in-capsule 64K --subsys "$NQN4K" \
	--ns malloc:64M:4096 || finish
check "probe, 4 KiB blocks, 64 KiB in-capsule" python3 "$PROBE" --port "${TGT_PORTS[0]}" \
	--subnqn "$NQN4K" --r2t-blocks 32 --timeout 20
tgt_stop
finish
