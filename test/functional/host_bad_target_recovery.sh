#!/usr/bin/env bash
# The host's recovery from a target that breaks the protocol (test/tools/bad_target).
#
# Each case misbehaves once on a live association (after I/O has flowed: --after), then the
# target behaves again. host_io drives I/O with verification on two queue pairs, and for each
# case the test checks that the host
#   - failed that connection with a clear log line (a per-case pattern),
#   - recovered: reset the controller, reconnected, and I/O resumed (or, for the cases that
#     never stop misbehaving, failed cleanly: FAILED, every command completed once),
#   - never crashed or hung: host_io exits 0 (no mismatch, each command completed once, nothing
#     lost, every request back) within its bound, and bad_target confirms the case triggered.
# (test/functional/host_misbehaving_target.sh checks the first-failure side of every case with
# the tools; this one checks what comes after.)
#
#   CASES="resp_unknown_cid close_rst" test/functional/host_bad_target_recovery.sh
# Port 4463.
set -uo pipefail
source "$(dirname "$0")/host_lib.sh"
need "$BADTGT" "$HOSTIO"

PORT=4463
NQN=nqn.2016-06.io.nvtcp:bad-target
port_free $PORT

# name | bad_target args | host_io args | expect | host log pattern
#   expect: live (reconnects, I/O resumes), failed (fails cleanly), any (either; the case keeps
#   misbehaving after each reconnect), noreset (handled without a reset)
TABLE=$(cat <<'EOF'
resp_unknown_cid     | --qid 1 --after 100 |                   | live    | CapsuleResp for CID [0-9]+, which is not outstanding
resp_duplicate       | --qid 1 --after 100 |                   | live    | which is not outstanding|data bytes received: failing it
resp_stale_cid       | --qid 1 --after 100 |                   | live    | which is not outstanding
c2h_unknown_cid      | --qid 1 --after 100 |                   | live    | C2HData for CID [0-9]+, which is not outstanding
c2h_beyond_end       | --qid 1 --after 100 |                   | live    | beyond the transfer length
c2h_offset_gap       | --qid 1 --after 100 |                   | live    | DATAO [0-9]+, expected
c2h_overlap          | --qid 1 --after 100 |                   | live    | DATAO [0-9]+, expected
success_early        | --qid 1 --after 100 |                   | live    | SUCCESS
resp_bad_hlen        | --qid 1 --after 100 |                   | live    | hlen
unknown_pdu_type     | --qid 1 --after 100 |                   | live    | protocol error
capsule_cmd_to_host  | --qid 1 --after 100 |                   | live    | protocol error
r2t_for_read         | --qid 1 --after 100 |                   | live    | R2T for CID
r2t_zero_len         | --qid 1 --after 20  | -o 16384          | live    | R2TL 0
r2t_beyond_end       | --qid 1 --after 20  | -o 16384          | live    | beyond the transfer length
c2h_for_write        | --qid 1 --after 20  | -o 16384          | live    | C2HData for CID .* no data to the host|transfers no data
r2t_too_many         | --qid 1 --after 5 --r2t-chunk 4096 | -o 65536 | live | R2Ts already active
c2h_term_req         | --qid 1 --after 100 |                   | live    | received C2HTermReq
close_rst            | --qid 1 --after 100 |                   | live    | connection closed by the controller|receive failed
close_fin            | --qid 1 --after 100 |                   | live    | connection closed by the controller
hdgst_error          | --qid 1 --after 100 | -H                | live    | Header Digest Error
ddgst_error          | --qid 1 --after 100 | -H -I             | noreset | data digest mismatch
drop_one             | --qid 1 --after 100 | --io-timeout 1500 | live    | timed out: no completion within 1500 ms
close_rst            | --qid 0 --after 16  | --kato 1000       | live    | qid 0: connection failed
resp_unknown_cid     | --qid 0 --after 16  | --kato 1000       | live    | qid 0: .*which is not outstanding
no_keepalive_reply   |                     | --kato 1000       | any     | keep-alive timed out: no response within 1000 ms
never_answer         | --qid 1 --after 100 | --kato 1000 --io-timeout 1500 --admin-timeout 1500 --ctrl-loss-tmo 4 --reconnect-delay 1000 | failed | gave up reconnecting
EOF
)

run_case() { # name, bt args, host args, expect, pattern, run index
	local name=$1 btargs=$2 hargs=$3 expect=$4 pattern=$5 tag="$1${2:+ $2}"
	local bt_pid bt_rc log=$WORK/bt.$6 state resets ok=true

	# shellcheck disable=SC2086 # argument lists
	"$BADTGT" --listen "127.0.0.1:$PORT" --subnqn "$NQN" --case "$name" --timeout 120 $btargs \
		> "$log" 2>&1 &
	bt_pid=$!
	if ! wait_line "$log" "bad_target: ready" 100 "$bt_pid"; then
		log "FAIL: $tag: bad_target did not start"
		tail -n 5 "$log"
		FAILS=$((FAILS + 1))
		return
	fi
	local extra="--expect-state live --min-reconnects 1 --resume-within 2"
	case "$expect" in
	failed) extra="--expect-state failed" ;;
	any | noreset) extra="" ;;
	esac
	# shellcheck disable=SC2086
	host_io "case$6" 100 -r "traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN" -P 2 -q 8 -t 4 \
		$hargs $extra
	kill -TERM "$bt_pid" 2>/dev/null
	wait "$bt_pid"
	bt_rc=$?
	if ! grep -aq "triggered=1\|triggered=[1-9]" "$log"; then
		log "FAIL: $tag: the case never triggered (bad_target exit $bt_rc)"
		ok=false
	fi
	if [ "$HIO_RC" != 0 ]; then
		log "FAIL: $tag: host_io exit $HIO_RC (crash, hang, lost or mismatched I/O, or state)"
		ok=false
	fi
	if ! log_has "case$6" "$pattern"; then
		log "FAIL: $tag: no host log line matching '$pattern'"
		grep -a -E "error|warn" "$WORK/case$6.out" | head -n 5 | sed 's/^/  | /'
		ok=false
	fi
	state=$(field "case$6" final_state)
	resets=$(field "case$6" resets)
	case "$expect" in
	noreset)
		if [ "$resets" != 0 ] || [ "$state" != live ]; then
			log "FAIL: $tag: expected no reset (resets=$resets, state $state)"
			ok=false
		fi
		;;
	any)
		if [ "${resets:-0}" -lt 1 ] || [ "$state" = failed ]; then
			log "FAIL: $tag: expected resets and no failure (resets=$resets, state $state)"
			ok=false
		fi
		;;
	esac
	if $ok; then
		log "ok:   $tag: $expect (state $state, resets $resets)"
	else
		FAILS=$((FAILS + 1))
	fi
}

i=0
while IFS='|' read -r name btargs hargs expect pattern; do
	name=$(echo "$name" | xargs)
	[ -n "$name" ] || continue
	if [ -n "${CASES:-}" ] && [[ " $CASES " != *" $name "* ]]; then
		continue
	fi
	btargs=$(echo "$btargs" | xargs)
	hargs=$(echo "$hargs" | xargs)
	expect=$(echo "$expect" | xargs)
	pattern=$(echo "$pattern" | sed 's/^ *//; s/ *$//')
	i=$((i + 1))
	run_case "$name" "$btargs" "$hargs" "$expect" "$pattern" "$i"
done <<< "$TABLE"
finish
