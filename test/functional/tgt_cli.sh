#!/usr/bin/env bash
# nvtcp_tgt's command line and JSON configuration: every bad option or document is refused
# with one line on stderr that names the option or the key; a good configuration starts,
# prints the ready marker, serves, prints statistics on SIGUSR1 and stops cleanly on SIGINT.
set -uo pipefail
. "$(dirname "$0")/tgt_lib.sh"

# expect_error "what" "text the one line must contain" args...
expect_error() {
	local what=$1 want=$2 lines rc
	shift 2
	timeout 20 "$TGT_BIN" --rpc-socket "$TMP/err.sock" "$@" >"$TMP/err.out" 2>"$TMP/err.log"
	rc=$?
	lines=$(grep -vc '^\[' "$TMP/err.log")
	if [ "$rc" = 0 ] || [ "$rc" = 124 ] || ! grep -qF -- "$want" "$TMP/err.log" || [ "$lines" != 1 ]; then
		log "FAIL: $what: exit $rc, $lines line(s), want '$want':"
		cat "$TMP/err.log"
		failures+=("$what")
	else
		log "ok $what: $(grep -v '^\[' "$TMP/err.log")"
	fi
}

NQN=nqn.2024-01.io.nvtcp:cli
expect_error "--ns before --subsys" "--ns: applies to the last --subsys" \
	--listen 127.0.0.1:0 --ns malloc:1M
expect_error "bad --ns size" "--ns: 'malloc:12X'" --listen 127.0.0.1:0 --subsys "$NQN" \
	--ns malloc:12X
expect_error "bad --ns block size" "--ns: 'null:1M:1024'" --listen 127.0.0.1:0 \
	--subsys "$NQN" --ns null:1M:1024
expect_error "bad --listen" "--listen: 'localhost'" --listen localhost --subsys "$NQN"
expect_error "bad --digests" "--digests: 'sha'" --listen 127.0.0.1:0 --digests sha
expect_error "bad --max-queue-depth" "--max-queue-depth: max_queue_depth 1" --listen 127.0.0.1:0 \
	--max-queue-depth 1
expect_error "bad --max-connections-per-host" "--max-connections-per-host: 'many' is not a number" \
	--listen 127.0.0.1:0 --max-connections-per-host many
expect_error "bad --max-connections-per-addr" "--max-connections-per-addr: '-1' is not a number" \
	--listen 127.0.0.1:0 --max-connections-per-addr -1
expect_error "bad --subsys" "--subsys: 'demo'" --listen 127.0.0.1:0 --subsys demo
expect_error "bad --allow-host" "--allow-host: 'me'" --listen 127.0.0.1:0 --subsys "$NQN" \
	--allow-host me
expect_error "--dhchap-key before --allow-host" "--dhchap-key: applies to the last --allow-host" \
	--listen 127.0.0.1:0 --subsys "$NQN" --dhchap-key /x
expect_error "bad --dhchap-hashes" "--dhchap-hashes: unknown hash 'md5'" --listen 127.0.0.1:0 \
	--subsys "$NQN" --allow-host "$NQN:h" --dhchap-key /x --dhchap-hashes sha256,md5
expect_error "--dhchap-ctrl-key alone" "dhchap_ctrl_key needs dhchap_key" --listen 127.0.0.1:0 \
	--subsys "$NQN" --allow-host "$NQN:h" --dhchap-ctrl-key /x
# A corrupt secret is refused naming the option, never showing the secret.
BADKEY='DHHC-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiX:'
expect_error "bad --dhchap-key" "dhchap_key: " --listen 127.0.0.1:0 --subsys "$NQN" \
	--allow-host "$NQN:h" --dhchap-key "$BADKEY"
if grep -qF "MDAxMTIy" "$TMP/err.log"; then
	log "FAIL: the rejected secret is printed"
	failures+=("secret printed")
fi
(umask 022 && echo "DHHC-1:00:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:" >"$TMP/open.key")
expect_error "--dhchap-key file readable by others" "$TMP/open.key" --listen 127.0.0.1:0 \
	--subsys "$NQN" --allow-host "$NQN:h" --dhchap-key "$TMP/open.key"
expect_error "unknown option" "unknown option '--bogus'" --bogus
expect_error "nothing to listen on" "nothing to listen on" --rpc-socket none --subsys "$NQN"
expect_error "bad --rpc-socket" "--rpc-socket: '' must be" --rpc-socket "" --subsys "$NQN"
expect_error "missing --config file" "$TMP/none.json" --config "$TMP/none.json"
printf '{"subsystems": [{"nqn": "%s", "namespaces": [{"size": "1M", "block_size": 520}]}]}\n' \
	"$NQN" >"$TMP/bad.json"
expect_error "bad key in --config" '$.subsystems[0].namespaces[0].block_size' \
	--config "$TMP/bad.json"
printf '{"listeners": [{"address": "127.0.0.1", "port": 0, "proto": "tcp"}]}\n' >"$TMP/bad2.json"
expect_error "unknown key in --config" '$.listeners[0].proto: unknown key' --config "$TMP/bad2.json"
printf '{"options": {"max_io_size": 1234}}\n' >"$TMP/bad3.json"
expect_error "bad option in --config" '$.options' --config "$TMP/bad3.json"

cat >"$TMP/good.json" <<JSON
{
  "options": {"max_queue_depth": 64, "in_capsule_data_size": "8K", "digests": "both",
              "buf_count": 256},
  "listeners": [{"address": "127.0.0.1", "port": 0}],
  "subsystems": [
    {"nqn": "$NQN", "serial": "CLI0001", "model": "cli test",
     "namespaces": [{"nsid": 1, "backend": "malloc", "size": "64M"},
                    {"nsid": 2, "backend": "null", "size": "1G", "block_size": 4096}]}
  ]
}
JSON
tgt_start good --config "$TMP/good.json" -m 0x1 || finish
check "tgt_host verify via --config" "$TGT_HOST" verify --port "${TGT_PORTS[0]}" \
	--subnqn "$NQN" --qpairs 2 --qd 2 --ios 300 --max-bs 262144
kill -USR1 "$TGT_PID"
sleep 0.5
if ! grep -q 'reactor 0 (core 0)' "$TGT_LOG"; then
	failures+=("SIGUSR1 statistics")
fi
# SIGINT stops as cleanly as SIGTERM.
kill -INT "$TGT_PID"
for _ in $(seq 300); do kill -0 "$TGT_PID" 2>/dev/null || break; sleep 0.1; done
wait "$TGT_PID"
rc=$?
TGT_PID=
if [ "$rc" != 0 ] || ! grep -q 'target destroyed' "$TGT_LOG"; then
	failures+=("SIGINT stop: exit $rc")
else
	log "ok SIGINT: clean stop"
fi
finish
