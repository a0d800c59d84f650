#!/usr/bin/env bash
# Target restart: nvtcp_tgt stops mid-run for OUTAGE seconds (15) and starts again.
#
# The target keeps its identity and data across the restart (a JSON configuration with a fixed
# serial, UUID and NGUID, and a file-backed namespace in the test's work directory), so that
# the host's re-validation accepts it and host_io's verification spans the outage: blocks
# written before are read back after.
#   1. defaults (reconnect every 10 s, ctrl_loss_tmo 600 s): the controller resets, the
#      attempts fail while the target is down ("reconnect attempt X of 60 ... failed"), the
#      first one after the restart succeeds; I/O resumes; nothing lost, nothing mismatched.
#   2. ctrl_loss_tmo 5 s (shorter than the outage), reconnect_delay 2 s: the host gives up
#      after 3 attempts, the controller is FAILED, every command fails cleanly (those waiting
#      with Host Path Error, DNR set), and the process stays healthy (clean detach, exit 0)
#      even when the target comes back.
#   3. fast_io_fail_tmo 3 s: during the outage commands fail fast with Host Path Error (DNR
#      clear); after the restart I/O resumes.
# Port 4462.
set -uo pipefail
source "$(dirname "$0")/host_lib.sh"
need "$TGT" "$HOSTIO"

OUTAGE=${OUTAGE:-15}
NQN=nqn.2024-01.io.nvtcp:host-restart
PORT=4462
HTRID="traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN"
port_free $PORT

cat > "$WORK/tgt.json" <<EOF
{
  "subsystems": [
    {
      "nqn": "$NQN", "serial": "HOSTRESTART01", "model": "nvtcp restart test",
      "namespaces": [
        {"nsid": 1, "backend": "file", "path": "$WORK/ns1.img", "size": "64M",
         "block_size": 512, "create": true,
         "uuid": "6c2f4a1e-9b3d-4e57-8a21-0f4d6b8c9e10",
         "nguid": "6c2f4a1e9b3d4e578a210f4d6b8c9e10"}
      ]
    }
  ]
}
EOF

restart_target() { # name, seconds before the stop
	sleep "$2"
	tgt_down
	log "target down for $OUTAGE s"
	sleep "$OUTAGE"
	tgt_up "$1.2" $PORT --config "$WORK/tgt.json"
}

# ---- 1. Recovery with the defaults ------------------------------------------------------------
tgt_up restart $PORT --config "$WORK/tgt.json"
host_io_bg restart 240 -r "$HTRID" -P 4 -q 16 -t $((OUTAGE + 30)) --expect-state live \
	--min-reconnects 1 --resume-within 3
restart_target restart 6
host_io_wait
check "defaults: I/O resumed after the restart, nothing lost or mismatched" test "$HIO_RC" = 0
check "defaults: attempts failed while the target was down, logged 'X of 60'" \
	log_has restart "reconnect attempt [0-9]+ of 60 failed: TCP connect .*refused"
check "defaults: reconnected with the next attempt after the restart" \
	log_has restart "reconnected \(attempt [0-9]+ of 60"
check "defaults: the reconnect waited reconnect_delay (10 s) between attempts" \
	log_has restart "next in 10000 ms"
check "defaults: blocks written before the outage were read back after it" \
	test "$(field restart mismatches)" = 0 -a "$(field restart ok)" -gt 1000
tgt_down

# ---- 2. ctrl_loss_tmo shorter than the outage --------------------------------------------------
tgt_up giveup $PORT --config "$WORK/tgt.json"
host_io_bg giveup 240 -r "$HTRID" -P 4 -q 16 -t $((OUTAGE + 10)) --ctrl-loss-tmo 5 \
	--reconnect-delay 2000 --expect-state failed
restart_target giveup 4
host_io_wait
check "ctrl_loss_tmo 5: every command completed once, cleanly; clean exit" test "$HIO_RC" = 0
check "ctrl_loss_tmo 5: gave up after 3 attempts (ceil(5 s / 2 s))" \
	log_has giveup "reconnect attempt 3 of 3 failed.*|gave up reconnecting after 3 attempts"
check "ctrl_loss_tmo 5: the controller is FAILED for good, also after the target is back" \
	test "$(field giveup final_state)" = failed
check "ctrl_loss_tmo 5: waiting commands failed with Host Path Error, DNR set" \
	log_has giveup "SCT 3 SC 0x70 DNR \(not retryable\)"
check "ctrl_loss_tmo 5: every queue pair reported its failure (-ENXIO from its poll)" \
	test "$(field giveup qpairs_failed)" = 4
check "ctrl_loss_tmo 5: detach was clean" log_has giveup "^host_io: detach clean"
tgt_down

# ---- 3. fast_io_fail ---------------------------------------------------------------------------
tgt_up fastfail $PORT --config "$WORK/tgt.json"
host_io_bg fastfail 240 -r "$HTRID" -P 2 -q 8 -t $((OUTAGE + 20)) --fast-io-fail 3 \
	--reconnect-delay 2000 --expect-state live --min-reconnects 1 --resume-within 3
restart_target fastfail 4
host_io_wait
check "fast_io_fail 3: I/O resumed, nothing lost or mismatched" test "$HIO_RC" = 0
check "fast_io_fail 3: expiry logged" log_has fastfail "fast_io_fail_tmo \(3 s\) expired"
check "fast_io_fail 3: commands failed fast with Host Path Error (retryable)" \
	test "$(field fastfail path_errors)" -gt 0
tgt_down
finish
