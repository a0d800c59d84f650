#!/usr/bin/env bash
# Interop: the nvtcp host (nvtcp_discover, nvtcp_identify, io_verify) against the real Linux
# kernel NVMe/TCP target (nvmet-tcp, in a QEMU guest started by ../shared/peers/linux-nvmet).
#
#   test/interop/linux_nvmet.sh          exit 0 pass, 1 fail
#
# Checks, in order:
#   1. discovery: the log lists the subsystem $NVMET_NQN (text and JSON output); with the
#      default port 4420, also the 8009 -> 4420 fall-back when nothing listens on 8009;
#   2. identify: the controller and both namespaces (text, JSON, hex dump); a Connect to an
#      unknown NQN fails with exactly one line on stderr;
#   3. io_verify on both namespaces, several I/O queue pairs in one poll group: at least
#      2,000 mixed random reads and writes of 512 B .. 1 MiB, every block read verified,
#      once without digests and once with header and data digests.
# The peer is stopped at the end. A peer that cannot start is a failure, unless
# NVTCP_SKIP_INTEROP=1 (then the test prints SKIPPED and passes).
#
# Env: NVMET_PORT, NVMET_PEER_DIR, NVMET_NQN (passed to the peer; defaults 4420,
#      /tmp/linux-nvmet-peer, nqn.2024-01.io.test:kernel-target), BUILD_DIR,
#      LINUX_NVMET_IOS (random I/Os per digest setting, default 2000, at least 2000),
#      LINUX_NVMET_REGION (bytes of each namespace used, default 16M).
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
PEER=$ROOT/../shared/peers/linux-nvmet
export NVMET_PORT=${NVMET_PORT:-4420}
export NVMET_NQN=${NVMET_NQN:-nqn.2024-01.io.test:kernel-target}
PORT=$NVMET_PORT
NQN=$NVMET_NQN
IOS=${LINUX_NVMET_IOS:-2000}
REGION=${LINUX_NVMET_REGION:-16M}
DISCOVER=$BUILD_DIR/bin/nvtcp_discover
IDENTIFY=$BUILD_DIR/bin/nvtcp_identify
IO_VERIFY=$BUILD_DIR/test/tools/io_verify
TMP=$(mktemp -d /tmp/nvtcp-interop-nvmet.XXXXXX)
TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN"
failures=()
peer_started=0
t_start=$(date +%s)
trap cleanup EXIT

log() { echo "[$(($(date +%s) - t_start)) s] $*"; }

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	if [ "$peer_started" = 1 ]; then
		log "stopping the peer"
		"$PEER/stop" || true
	fi
	rm -rf "$TMP"
}

fail() {
	log "FAIL: $*"
	failures+=("$*")
}

# run NAME TIMEOUT CMD...: run with a bound, output in $TMP/NAME.{out,err}, shown in the log.
run() {
	local name=$1 tmo=$2 rc
	shift 2
	log "\$ $(printf '%q ' "$@")"
	timeout --kill-after=10 "$tmo" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err"
	rc=$?
	sed 's/^/    /' "$TMP/$name.out"
	if [ -s "$TMP/$name.err" ]; then
		echo "    --- stderr ---"
		sed 's/^/    /' "$TMP/$name.err"
	fi
	log "exit $rc"
	return $rc
}

if ((IOS < 2000)); then
	echo "FAIL: LINUX_NVMET_IOS=$IOS: at least 2000 I/Os per digest setting are required"
	exit 1
fi
for b in "$DISCOVER" "$IDENTIFY" "$IO_VERIFY"; do
	if [ ! -x "$b" ]; then
		echo "FAIL: $b is not built (run make first)"
		exit 1
	fi
done
if [ ! -x "$PEER/start" ]; then
	if [ "${NVTCP_SKIP_INTEROP:-0}" = 1 ]; then
		echo "SKIPPED: no Linux nvmet peer at $PEER (NVTCP_SKIP_INTEROP=1)"
		exit 0
	fi
	echo "FAIL: no Linux nvmet peer at $PEER"
	exit 1
fi

log "starting the Linux kernel target: port $PORT, nqn $NQN"
peer_started=1
# Under software emulation on a loaded machine the guest kernel occasionally panics while
# setting up its timer; that says nothing about nvtcp, so one more boot is allowed.
if ! timeout --kill-after=10 300 "$PEER/start" &&
	! { log "the peer did not start; stopping it and booting once more"; "$PEER/stop" >/dev/null 2>&1
		timeout --kill-after=10 300 "$PEER/start"; }; then
	if [ "${NVTCP_SKIP_INTEROP:-0}" = 1 ]; then
		echo "SKIPPED: the Linux nvmet peer did not start (NVTCP_SKIP_INTEROP=1)"
		exit 0
	fi
	echo "FAIL: the Linux nvmet peer did not start (see its console log above)"
	exit 1
fi

# ---- 1. Discovery -----------------------------------------------------------------------------
if run discover 120 "$DISCOVER" -r "traddr:127.0.0.1 trsvcid:$PORT"; then
	grep -q "^subnqn:  $NQN\$" "$TMP/discover.out" ||
		fail "discover: the log does not list $NQN"
	grep -q '^subtype: nvme subsystem$' "$TMP/discover.out" ||
		fail "discover: no 'nvme subsystem' entry"
	grep -q '^=====Discovery Log Entry 0======$' "$TMP/discover.out" ||
		fail "discover: output is not in the nvme discover format"
else
	fail "discover: exit status $?"
fi
if run discover_json 120 "$DISCOVER" -r "traddr:127.0.0.1 trsvcid:$PORT" --json; then
	python3 - "$TMP/discover_json.out" "$NQN" <<-'EOF' || fail "discover --json: bad document"
		import json, sys
		doc = json.load(open(sys.argv[1]))
		recs = doc["records"]
		assert doc["numrec"] == len(recs), "numrec does not match the records"
		assert any(r["subnqn"] == sys.argv[2] and r["subtype"] == "nvme subsystem"
		           and r["trtype"] == "tcp" for r in recs), "subsystem not listed"
	EOF
else
	fail "discover --json: exit status $?"
fi
# The default port is 8009; when nothing listens there, the tool must say so and use 4420.
if [ "$PORT" = 4420 ] && ! (exec 3<>/dev/tcp/127.0.0.1/8009) 2>/dev/null; then
	if run discover_fallback 120 "$DISCOVER" -r "traddr:127.0.0.1"; then
		grep -q 'trying port 4420' "$TMP/discover_fallback.err" ||
			fail "discover: no notice of the 8009 -> 4420 fall-back on stderr"
		grep -q "^subnqn:  $NQN\$" "$TMP/discover_fallback.out" ||
			fail "discover (fall-back): the log does not list $NQN"
	else
		fail "discover (fall-back to 4420): exit status $?"
	fi
fi

# ---- 2. Identify ------------------------------------------------------------------------------
if run identify 120 "$IDENTIFY" -r "$TRID"; then
	for ns in 1 2; do
		grep -q "^Namespace $ns\$" "$TMP/identify.out" ||
			fail "identify: namespace $ns not shown"
	done
	grep -q "Subsystem NQN (SUBNQN): *$NQN\$" "$TMP/identify.out" ||
		fail "identify: SUBNQN not shown"
	grep -q '<== in use' "$TMP/identify.out" ||
		fail "identify: the LBA format in use is not marked"
else
	fail "identify: exit status $?"
fi
if run identify_json 120 "$IDENTIFY" -r "$TRID" --json -x; then
	python3 - "$TMP/identify_json.out" "$NQN" <<-'EOF' || fail "identify --json: bad document"
		import json, sys
		doc = json.load(open(sys.argv[1]))
		c = doc["controller"]
		assert c["subnqn"] == sys.argv[2], "subnqn"
		assert len(doc["raw_identify_controller"]) == 8192, "raw identify dump"
		nss = doc["namespaces"]
		assert [n["nsid"] for n in nss] == [1, 2], "namespaces %r" % [n["nsid"] for n in nss]
		for n in nss:
		    assert n["block_size"] in (512, 4096), "block size"
		    assert n["nsze"] > 0 and n["size_bytes"] == n["nsze"] * n["block_size"]
		    assert sum(1 for f in n["lba_formats"] if f["in_use"]) == 1, "format in use"
	EOF
else
	fail "identify --json -x: exit status $?"
fi
# An unknown subsystem NQN: refused by Connect, reported in one line.
run identify_badnqn 120 "$IDENTIFY" -r "traddr:127.0.0.1 trsvcid:$PORT subnqn:nqn.2024-01.io.test:no-such"
rc=$?
if [ "$rc" != 1 ]; then
	fail "identify with an unknown NQN: exit status $rc, expected 1"
elif [ "$(wc -l < "$TMP/identify_badnqn.err")" != 1 ]; then
	fail "identify with an unknown NQN: stderr is not exactly one line"
fi

# ---- 3. Data verification, without and with digests -----------------------------------------
# First prove that the checker catches corruption at all.
run io_verify_selftest 60 "$IO_VERIFY" --self-test || fail "io_verify --self-test: exit status $?"
IOV_ARGS=(-r "$TRID" -q 4 -d 8 -n "$IOS" --min-size 512 --max-size 1M --read-pct 50
	--region "$REGION" --prefill --time-limit 240 -v)
if run io_verify 300 "$IO_VERIFY" "${IOV_ARGS[@]}"; then
	grep -q 'io_verify: PASSED' "$TMP/io_verify.out" || fail "io_verify: no PASSED line"
else
	fail "io_verify (no digests): exit status $?"
fi
if run io_verify_digests 300 "$IO_VERIFY" "${IOV_ARGS[@]}" -H -I; then
	grep -q 'header digest on, data digest on' "$TMP/io_verify_digests.out" ||
		fail "io_verify -H -I: digests not in use"
else
	fail "io_verify (header and data digests): exit status $?"
fi

log "done in $(($(date +%s) - t_start)) s"
if ((${#failures[@]})); then
	echo "FAILED (${#failures[@]}):"
	printf '  %s\n' "${failures[@]}"
	exit 1
fi
echo "PASSED"
exit 0
