#!/usr/bin/env bash
# A hostile host cannot hurt nvtcp_tgt or its other hosts: while one host runs a verified
# random workload, another breaks every rule (bad PDU types and lengths, a second ICReq,
# header digest errors, unknown transfer tags, H2CData out of order or out of range, unknown
# opcodes, LBAs beyond the namespace, a Connect to a wrong NQN or as a host not on the allow
# list, duplicate CIDs, a flooded queue, CC without entry sizes) and must get the right status
# or C2HTermReq each time; a third controller goes silent and must be torn down by its
# keep-alive timeout; a fourth resets itself (CC.EN 0 with writes in flight: its I/O queues
# must go before CSTS.RDY reads 0, and connect again once re-enabled) and shuts down. The workload must pass, and the target must still serve and stop
# cleanly afterwards.
set -uo pipefail
. "$(dirname "$0")/tgt_lib.sh"

NQN=nqn.2024-01.io.nvtcp:robust
DENIED=nqn.2024-01.io.nvtcp:robust-private
RESET=nqn.2024-01.io.nvtcp:robust-reset

tgt_start robust -m 0x1 --listen 127.0.0.1:0 --subsys "$NQN" --ns malloc:128M \
	--subsys "$DENIED" \
	--allow-host nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555 \
	--ns malloc:8M --subsys "$RESET" --ns malloc:16M || finish
P=${TGT_PORTS[0]}

log "workload, garbage, keep-alive and controller reset at once"
"$TGT_HOST" verify --port "$P" --subnqn "$NQN" --qpairs 2 --qd 4 --ios 3000 --digest both \
	>"$TMP/verify.out" 2>&1 &
vpid=$!
"$TGT_HOST" garbage --port "$P" --subnqn "$NQN" --denied-subnqn "$DENIED" \
	>"$TMP/garbage.out" 2>&1 &
gpid=$!
"$TGT_HOST" kato --port "$P" --subnqn "$NQN" >"$TMP/kato.out" 2>&1 &
kpid=$!
"$TGT_HOST" reset --port "$P" --subnqn "$RESET" --qpairs 3 --digest ddgst >"$TMP/reset.out" 2>&1 &
rpid=$!
for p in "$vpid:verify" "$gpid:garbage" "$kpid:kato" "$rpid:reset"; do
	if ! wait "${p%%:*}"; then
		failures+=("${p#*:}")
		log "FAIL: ${p#*:}"
		tail -n 30 "$TMP/${p#*:}.out"
	else
		grep -c '^ok' "$TMP/${p#*:}.out" | sed "s/^/    ${p#*:}: /; s/$/ checks passed/"
	fi
done
grep -q 'protocol error: C2HTermReq' "$TGT_LOG" || failures+=("no TermReq logged")
grep -q 'keep-alive timeout' "$TGT_LOG" || failures+=("no keep-alive teardown logged")
grep -q 'reset or shut down by the host' "$TGT_LOG" || failures+=("no reset logged")

# Still serving.
check "tgt_host verify after the abuse" "$TGT_HOST" verify --port "$P" --subnqn "$NQN" \
	--qpairs 2 --qd 2 --ios 300
kill -USR1 "$TGT_PID"
sleep 0.5
grep -q 'protocol errors' "$TGT_LOG" || failures+=("SIGUSR1 printed no statistics")
tgt_stop
finish
