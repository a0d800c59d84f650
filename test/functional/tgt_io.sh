#!/usr/bin/env bash
# nvtcp_tgt serving verified I/O on loopback:
#   - tgt_host (a small host built on lib/tcp): discovery, identify, random reads and writes of
#     512 B..1 MiB on 4 I/O queues at queue depth 4, in-capsule and R2T, compare, write
#     zeroes, dataset management, flush, error log, shutdown; without and with digests; on a
#     malloc namespace (512 B blocks) and a file namespace (4 KiB blocks);
#   - the nvtcp host (io_verify, nvtcp_discover, nvtcp_identify) when they are built: the same
#     with and without digests, several queue pairs;
# then a clean stop (every host disconnected, every resource freed).
set -uo pipefail
. "$(dirname "$0")/tgt_lib.sh"

MAL=nqn.2024-01.io.nvtcp:func-malloc
FILE=nqn.2024-01.io.nvtcp:func-file
NUL=nqn.2024-01.io.nvtcp:func-null

truncate -s 64M "$TMP/ns.img"
tgt_start io -m 0x1 --listen 127.0.0.1:0 \
	--subsys "$MAL" --ns malloc:256M \
	--subsys "$FILE" --ns "file:$TMP/ns.img:4096" \
	--subsys "$NUL" --ns null:1G || finish
P=${TGT_PORTS[0]}

check "tgt_host verify, malloc" "$TGT_HOST" verify --port "$P" --subnqn "$MAL" --qpairs 4 \
	--qd 4 --ios 2000
check "tgt_host verify, malloc, header+data digests" "$TGT_HOST" verify --port "$P" \
	--subnqn "$MAL" --qpairs 3 --qd 4 --ios 1500 --digest both
check "tgt_host verify, malloc, data digests" "$TGT_HOST" verify --port "$P" --subnqn "$MAL" \
	--qpairs 2 --qd 2 --ios 500 --digest ddgst
check "tgt_host verify, file (4 KiB blocks)" "$TGT_HOST" verify --port "$P" --subnqn "$FILE" \
	--qpairs 2 --qd 4 --ios 600
check "tgt_host verify, file, digests" "$TGT_HOST" verify --port "$P" --subnqn "$FILE" \
	--qpairs 2 --qd 2 --ios 300 --digest both

# The nvtcp host, when built by now.
IOV=$BUILD_DIR/test/tools/io_verify
DISC=$BUILD_DIR/bin/nvtcp_discover
IDENT=$BUILD_DIR/bin/nvtcp_identify
if [ -x "$IOV" ]; then
	T="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$P"
	check "io_verify, malloc" "$IOV" -r "$T subnqn:$MAL" -q 4 -d 8 -n 4000 \
		--min-size 512 --max-size 1M --region 64M --prefill
	check "io_verify, malloc, digests" "$IOV" -r "$T subnqn:$MAL" -q 2 -d 8 -n 2000 \
		--min-size 512 --max-size 1M --region 32M -H -I
	check "io_verify, file" "$IOV" -r "$T subnqn:$FILE" -q 2 -d 8 -n 1000 \
		--min-size 4k --max-size 1M --region 32M --prefill
else
	log "io_verify not built: skipped (tgt_host covered the same)"
fi
if [ -x "$DISC" ]; then
	check "nvtcp_discover" bash -c "'$DISC' -r 'traddr:127.0.0.1 trsvcid:$P' | grep -q '$NUL'"
fi
if [ -x "$IDENT" ]; then
	check "nvtcp_identify" bash -c "'$IDENT' -r 'trtype:tcp traddr:127.0.0.1 trsvcid:$P subnqn:$MAL' | grep -qi 'nvtcp target'"
fi

tgt_stop
grep -q 'disconnected from' "$TGT_LOG" || failures+=("no disconnect logged")
finish
