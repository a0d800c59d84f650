#!/usr/bin/env bash
# The nvtcp host against a target that breaks the protocol on purpose (test/tools/bad_target).
#
# For every bad_target case: start bad_target with the case (on a free port), drive the host
# with a tool that makes the case trigger (nvtcp_identify for the admin path, nvtcp_discover
# for discovery logs, bt_host for I/O), and check that
#   - the case really triggered (bad_target exit 0: otherwise the run proves nothing);
#   - the host did not crash (no signal, no sanitizer report) and did not hang (every run is
#     bounded: the tool's own timeout, then an outer one);
#   - where the host must refuse (expectation "fail"), the tool exits 1 and the host's log has a
#     line naming the problem (a per-case pattern); where the behaviour is legal or tolerable
#     ("tolerate"), either outcome passes, but a failure must still explain itself; where the
#     host must notice and retry ("recover"), the tool exits 0 and the log has the line.
#
# Recovery (reconnect after a reset) is being added to the host: bt_host reports resets and
# recoveries, and each line below says what it saw; RECOVERY_REQUIRED=1 makes a reset without
# a recovery a failure (turn it on once reconnect is done).
#
#   test/functional/host_misbehaving_target.sh            every case
#   CASES="hdgst_error r2t_zero_len" test/functional/host_misbehaving_target.sh
#   BUILD_DIR=build-san test/functional/host_misbehaving_target.sh   (sanitizer build)
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
BT=$BUILD_DIR/test/tools/bad_target
IDENTIFY=$BUILD_DIR/bin/nvtcp_identify
DISCOVER=$BUILD_DIR/bin/nvtcp_discover
BTHOST=$BUILD_DIR/test/tools/bt_host
NQN=nqn.2016-06.io.nvtcp:bad-target
WORK=$(mktemp -d -t nvtcp-badtgt.XXXXXX)
BT_PID=
# Every tool run is bounded twice: its own timeout (-t / --time-limit) and this outer one.
TOOL_TIMEOUT=${TOOL_TIMEOUT:-60}

cleanup() {
	if [ -n "$BT_PID" ] && kill -0 "$BT_PID" 2>/dev/null; then
		kill "$BT_PID" 2>/dev/null
		wait "$BT_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

for b in "$BT" "$IDENTIFY" "$DISCOVER" "$BTHOST"; do
	if [ ! -x "$b" ]; then
		echo "FAIL: $b is missing (build it: make, and make -C test/tools)"
		exit 1
	fi
done

# Case table: name | bad_target args | driver | driver args | expectation | pattern
#   driver: identify, discover, io (bt_host: 300 verified reads and writes) or host (bt_host
#   running 8 s, for keep-alive cases); bt_host polls the admin queue, and its --deadline
#   reports commands that never complete (a hang) in seconds
#   expectation: fail (the host must refuse, exit 1, with a log line matching pattern) or
#   tolerate (legal or harmless: either outcome, no crash, no hang), or recover (the host
#   must notice, with a log line matching pattern, and still complete every I/O: exit 0)
TABLE=$(cat <<'EOF'
no_icresp                  |                   | identify |        | fail     | ICResp
icresp_twice               |                   | identify |        | fail     | ICResp
resp_before_icresp         |                   | identify |        | fail     | CapsuleResp.*ICResp|before the ICResp
icresp_bad_pfv             |                   | identify |        | fail     | PFV|format version
icresp_bad_cpda            |                   | identify |        | fail     | CPDA
icresp_bad_hlen            |                   | identify |        | fail     | hlen
icresp_bad_plen            |                   | identify |        | fail     | plen
icresp_maxh2cdata_tiny     |                   | identify |        | fail     | MAXH2CDATA
icresp_maxh2cdata_unaligned|                   | identify |        | fail     | MAXH2CDATA
icresp_maxh2cdata_huge     |                   | io       |        | tolerate | MAXH2CDATA
icresp_dgst_unrequested    |                   | identify |        | fail     | DGST|digest
capsule_cmd_to_host        |                   | identify |        | fail     | CapsuleCmd|type 0x04
h2c_data_to_host           |                   | identify |        | fail     | H2CData|type 0x06
icreq_to_host              |                   | identify |        | fail     | ICReq|type 0x00
unknown_pdu_type           |                   | identify |        | fail     | type 0x0a|unknown PDU
r2t_for_read               |                   | io       |        | fail     | R2T
c2h_for_write              |                   | io       |        | fail     | C2HData
resp_bad_hlen              |                   | identify |        | fail     | hlen
resp_bad_plen              |                   | identify |        | fail     | plen
c2h_bad_pdo                |                   | identify |        | fail     | pdo
c2h_bad_datal              |                   | identify |        | fail     | datal|DATAL
c2h_plen_huge              |                   | identify |        | fail     | plen
hdgstf_missing             |                   | io       | -H     | fail     | HDGSTF|digest
resp_unknown_cid           |                   | identify |        | fail     | CID
resp_duplicate             |                   | identify |        | fail     | CID
resp_stale_cid             |                   | identify |        | fail     | CID
c2h_unknown_cid            |                   | identify |        | fail     | CID
r2t_unknown_cid            |                   | identify |        | fail     | CID
c2h_beyond_end             |                   | identify |        | fail     | DATAO|beyond|range
c2h_offset_gap             |                   | identify |        | fail     | DATAO|offset
c2h_overlap                |                   | identify |        | fail     | DATAO|offset
success_without_last       |                   | identify |        | fail     | SUCCESS
success_early              |                   | identify |        | fail     | SUCCESS
resp_before_data           |                   | identify |        | fail     | data bytes|DATAO|completed
last_pdu_early             |                   | io       |        | fail     | LAST_PDU
resp_during_write          |                   | io       |        | tolerate | R2T|completed
r2t_beyond_end             |                   | io       |        | fail     | R2T.*(beyond|range)
r2t_zero_len               |                   | io       |        | fail     | R2TL|R2T
r2t_too_many               |                   | io       |        | fail     | R2T
hdgst_error                |                   | io       | -H     | fail     | [Hh]eader [Dd]igest
ddgst_error                |                   | io       | -H -I  | fail     | data digest mismatch
c2h_term_req               |                   | identify |        | fail     | TermReq
close_rst                  |                   | identify |        | fail     | closed|reset|connection
close_fin                  |                   | identify |        | fail     | closed|connection
never_answer               |                   | identify |        | fail     | timed out|timeout
drop_one                   |                   | identify |        | fail     | timed out|timeout
no_keepalive_reply         |                   | host     |        | fail     | [Kk]eep.?[Aa]live
connect_reject             |                   | identify |        | fail     | Connect
connect_cntlid_mismatch    |                   | io       |        | tolerate | [Cc]ontroller ID|cntlid|CNTLID
csts_never_ready           |                   | identify |        | fail     | timed out|RDY|ready
csts_cfs                   |                   | identify |        | fail     | CFS|fatal
mdts_absurd                |                   | io       |        | tolerate | MDTS
ioccsz_tiny                |                   | io       |        | tolerate | IOCCSZ|capsule
ioccsz_huge                |                   | io       |        | tolerate | IOCCSZ|capsule
nn_huge                    |                   | io       |        | tolerate | NN|namespace
ns_list_absurd             |                   | identify |        | fail     | NSID|namespace
mqes_zero                  |                   | io       |        | fail     | queue size|MQES
lba_size_absurd            |                   | io       |        | fail     | namespace|LBA|block
nsze_zero                  |                   | io       |        | fail     | namespace
numrec_huge                |                   | discover |        | fail     | NUMREC|records|entries
genctr_churn               |                   | discover |        | fail     | GENCTR|generation|changed|restart
noq_excess                 |                   | io       |        | tolerate | queues
resp_bad_hlen              | --qid 1 --after 5 | io       |        | fail     | hlen
c2h_term_req               | --qid 1 --after 5 | io       |        | fail     | TermReq
close_rst                  | --qid 1 --after 5 | io       |        | fail     | closed|reset|connection
never_answer               | --qid 1 --after 5 | host     |        | fail     | [Kk]eep.?[Aa]live|timed out|timeout
ddgst_error                | --qid 1 --after 5 | io       | -H -I  | recover  | data digest mismatch: sending the command again
EOF
)

FAILS=0
RUNS=0
FAILED_CASES=()

# Start bad_target; sets BT_PID and BT_PORT.
bt_start() { # log, args...
	local log=$1
	shift
	"$BT" --listen 127.0.0.1:0 --subnqn "$NQN" "$@" > "$log" 2>&1 &
	BT_PID=$!
	BT_PORT=
	for _ in $(seq 100); do
		BT_PORT=$(sed -n 's/^bad_target: ready: listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' \
			"$log" 2>/dev/null)
		[ -n "$BT_PORT" ] && return 0
		kill -0 "$BT_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "  bad_target did not start:"
	tail -5 "$log"
	return 1
}

# Stop bad_target; sets BT_RC.
bt_stop() {
	local i
	for i in $(seq 50); do
		kill -0 "$BT_PID" 2>/dev/null || break
		((i == 20)) && kill "$BT_PID" 2>/dev/null
		sleep 0.1
	done
	kill -9 "$BT_PID" 2>/dev/null
	wait "$BT_PID"
	BT_RC=$?
	BT_PID=
}

trim() {
	local s=$1
	s=${s#"${s%%[![:space:]]*}"}
	s=${s%"${s##*[![:space:]]}"}
	printf '%s' "$s"
}

secs() { # start_ns end_ns
	local ms=$((($2 - $1) / 1000000))
	printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

run_case() { # name, bt args, driver, driver args, expectation, pattern
	local name=$1 btargs=$2 driver=$3 dargs=$4 expect=$5 pattern=$6
	local tag=$name${btargs:+_q} log=$WORK/$name.$RUNS
	local trid rc why="" t0 t1

	RUNS=$((RUNS + 1))
	# shellcheck disable=SC2086 # btargs is a list of options
	if ! bt_start "$log.bt" --case "$name" --exit-when-idle 300 --timeout 120 $btargs; then
		FAILS=$((FAILS + 1))
		FAILED_CASES+=("$tag")
		return
	fi
	trid="traddr:127.0.0.1 trsvcid:$BT_PORT subnqn:$NQN"
	t0=$(date +%s%N)
	case "$driver" in
	identify)
		# shellcheck disable=SC2086
		timeout -k 5 "$TOOL_TIMEOUT" "$IDENTIFY" -r "$trid" -t 8 -L error $dargs \
			> "$log.out" 2>&1
		rc=$?
		;;
	discover)
		# shellcheck disable=SC2086
		timeout -k 5 "$TOOL_TIMEOUT" "$DISCOVER" -r "traddr:127.0.0.1 trsvcid:$BT_PORT" \
			-t 8 -L error $dargs > "$log.out" 2>&1
		rc=$?
		;;
	host)
		# shellcheck disable=SC2086
		timeout -k 5 "$TOOL_TIMEOUT" "$BTHOST" -r "$trid" --seconds 8 --deadline 25 \
			--kato 5000 $dargs > "$log.out" 2>&1
		rc=$?
		;;
	io)
		# bt_host: reads and writes of 4..64 KiB (above the 8 KiB in-capsule limit, so
		# writes go by R2T), every read verified; --deadline ends a run whose commands
		# never complete (exit 3), so a hang costs seconds, not minutes.
		# shellcheck disable=SC2086
		timeout -k 5 "$TOOL_TIMEOUT" "$BTHOST" -r "$trid" -n 300 -q 4 --min-size 4k \
			--max-size 64k --deadline 15 $dargs > "$log.out" 2>&1
		rc=$?
		;;
	esac
	t1=$(date +%s%N)
	bt_stop

	if ((rc == 124 || rc == 137)); then
		why="the host hung (killed after ${TOOL_TIMEOUT} s)"
	elif ((rc >= 128)); then
		why="the host crashed (signal $((rc - 128)))"
	elif grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log.out"; then
		why="sanitizer report"
	elif ((rc == 3)) && { [ "$driver" = host ] || [ "$driver" = io ]; }; then
		why="commands never completed by the bt_host deadline: not timed out, not failed"
	elif ((BT_RC != 0)); then
		why="the case did not trigger (bad_target exit $BT_RC): the run proves nothing"
	elif [ "$expect" = fail ] && ((rc != 1)); then
		why="the host accepted it (exit $rc), it must refuse"
	elif [ "$expect" = recover ] && ((rc != 0)); then
		why="the host failed (exit $rc), it must recover (retry) and complete every I/O"
	elif [ "$expect" = recover ] && ! grep -q -E -- "$pattern" "$log.out"; then
		why="every I/O completed, but no log line matches /$pattern/: not noticed?"
	elif ((rc == 1)) && ! grep -q -E -- "$pattern" "$log.out"; then
		why="the host failed, but no log line matches /$pattern/"
	elif ((rc != 0 && rc != 1)); then
		why="unexpected exit $rc"
	elif [ "${RECOVERY_REQUIRED:-0}" = 1 ] &&
		grep -q -E 'bt_host: .* [1-9][0-9]* resets, 0 recoveries' "$log.out"; then
		why="the host reset the controller but did not recover"
	fi
	if [ -n "$why" ]; then
		printf 'FAIL  %-28s %-18s %-8s %6s s  %s\n' "$name" "$btargs" "$driver" \
			"$(secs "$t0" "$t1")" "$why"
		echo "  ---- host (last lines) ----"
		tail -n 8 "$log.out" | sed 's/^/  /'
		echo "  ---- bad_target ----"
		grep -E 'TRIGGERED|never triggered|summary' "$log.bt" | tail -n 4 | sed 's/^/  /'
		FAILS=$((FAILS + 1))
		FAILED_CASES+=("$tag")
	else
		printf 'ok    %-28s %-18s %-8s %6s s  exit %d: %s%s\n' "$name" "$btargs" "$driver" \
			"$(secs "$t0" "$t1")" "$rc" \
			"$( (grep -o -E -- "$pattern" "$log.out" || echo '-') | head -n 1 | cut -c1-60)" \
			"$(sed -n 's/^bt_host: .*, \([0-9]* resets, [0-9]* recoveries\)$/ (\1)/p' "$log.out")"
	fi
}

want=" ${CASES:-} "
while IFS='|' read -r name btargs driver dargs expect pattern; do
	name=$(trim "$name")
	[ -z "$name" ] && continue
	if [ -n "${CASES:-}" ] && [[ $want != *" $name "* ]]; then
		continue
	fi
	run_case "$name" "$(trim "$btargs")" "$(trim "$driver")" "$(trim "$dargs")" \
		"$(trim "$expect")" "$(trim "$pattern")"
done <<< "$TABLE"

# Every case bad_target knows must be in the table (a new case without a host check is a gap).
while read -r c _; do
	[ "$c" = none ] && continue
	if ! grep -q -E "^$c *\|" <<< "$TABLE"; then
		echo "FAIL  bad_target case '$c' has no entry in this test"
		FAILS=$((FAILS + 1))
	fi
done < <("$BT" --list)

echo
if ((RUNS == 0)); then
	echo "FAIL: no case ran (CASES='${CASES:-}')"
	exit 1
fi
echo "host_misbehaving_target: $RUNS runs, $FAILS failed${FAILED_CASES[*]:+: ${FAILED_CASES[*]}}"
((FAILS == 0))
