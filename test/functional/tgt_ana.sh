#!/usr/bin/env bash
# Asymmetric Namespace Access of nvtcp_tgt (doc/multipath.md), hosts connected through two
# listeners of one subsystem:
#   - tgt_ana_host: Identify fields, the ANA log (layout, RGO, partial reads, bad offsets), the
#     Path Related statuses of I/O through inaccessible / persistent-loss / change paths while
#     the other path serves it, the ANA change AEN (only where the view changed; RAE honoured),
#     states flipped by nvmf_subsystem_listener_set_ana_state with the connections kept;
#   - nvmf_get_subsystems shows the states; bad RPC values are refused naming the field and
#     change nothing; save_config round-trips them through --config;
#   - the command line (--ana-state after --listen) and config errors.
# Ports 5400..5409 (this test's range).
set -uo pipefail
. "$(dirname "$0")/tgt_lib.sh"

RPC_PY=$ROOT/scripts/nvtcp-rpc
ANA_HOST=$BUILD_DIR/test/functional/tgt_ana_host
NQN=nqn.2024-01.io.nvtcp:ana
P1=5400 P2=5401 P3=5402
SOCK=$TMP/ana.sock

for b in "$ANA_HOST" "$RPC_PY"; do
	[ -x "$b" ] || { log "FAIL: $b not built"; failures+=("missing $b"); finish; }
done

rpc() { "$RPC_PY" -s "$SOCK" "$@"; }

# The subsystem of tgt_ana_host: NSID 1 and 2 in group 1, NSID 3 in its own group.
cat >"$TMP/ana.json" <<JSON
{
  "subsystems": [
    {
      "nqn": "$NQN", "allow_any_host": true, "max_namespaces": 4,
      "namespaces": [
        {"nsid": 1, "backend": "malloc", "size": "8M"},
        {"nsid": 2, "backend": "malloc", "size": "8M", "anagrpid": 1},
        {"nsid": 3, "backend": "malloc", "size": "8M"}
      ],
      "listeners": [
        {"address": "127.0.0.1", "port": $P1, "ana_state": "optimized"},
        {"address": "127.0.0.1", "port": $P2, "ana_state": "inaccessible"}
      ]
    }
  ]
}
JSON

# The flip command of tgt_ana_host: PORTNUM STATE [ANAGRPID].
cat >"$TMP/flip.sh" <<SH
#!/usr/bin/env bash
port=\$([ "\$1" = 1 ] && echo $P1 || echo $P2)
exec "$RPC_PY" -s "$SOCK" nvmf_subsystem_listener_set_ana_state "$NQN" -t tcp -a 127.0.0.1 \\
	-s "\$port" -n "\$2" \${3:+-g "\$3"}
SH
chmod +x "$TMP/flip.sh"

tgt_start ana -m 0x1 --rpc-socket "$SOCK" --config "$TMP/ana.json" || finish
check "two paths, ANA flips by RPC" "$ANA_HOST" --port1 "$P1" --port2 "$P2" --subnqn "$NQN" \
	--flip "$TMP/flip.sh"
# The connections were kept through every flip: the driver uses the same two controllers and
# their queues from the first check to the last (a closed queue fails every later command).

# ---- nvmf_get_subsystems, bad values ----------------------------------------------------------
# listener_state PORT: its "ana_state" in nvmf_get_subsystems.
listener_state() {
	rpc nvmf_get_subsystems | python3 -c '
import json, sys
for s in json.load(sys.stdin):
    if s["nqn"] != sys.argv[2]:
        continue
    for la in s.get("listen_addresses", []):
        if la["trsvcid"] == sys.argv[1]:
            print(la.get("ana_state", "-"), json.dumps(la.get("ana_groups", [])))' "$1" "$NQN"
}
got=$(listener_state $P1)
[ "$got" = "non_optimized []" ] || { log "FAIL: port $P1 state '$got'"; failures+=("get P1"); }
got=$(listener_state $P2)
[ "$got" = "optimized []" ] || { log "FAIL: port $P2 state '$got'"; failures+=("get P2"); }
rpc nvmf_subsystem_listener_set_ana_state "$NQN" -t tcp -a 127.0.0.1 -s $P2 -n inaccessible -g 3 >/dev/null ||
	failures+=("set group 3")
got=$(listener_state $P2)
want='optimized [{"anagrpid": 3, "ana_state": "inaccessible"}]'
[ "$got" = "$want" ] || { log "FAIL: port $P2 state '$got'"; failures+=("get P2 group 3"); }
log "ok nvmf_get_subsystems: $P1 non_optimized, $P2 optimized with group 3 inaccessible"

before=$(rpc nvmf_get_subsystems)
# bad PARAMS_JSON TEXT: refused with TEXT in the message, nothing changed.
bad() {
	local out
	if out=$(rpc call nvmf_subsystem_listener_set_ana_state "$1" 2>&1); then
		log "FAIL: accepted $1"
		failures+=("bad: $1")
	elif ! grep -qF -- "$2" <<<"$out"; then
		log "FAIL: $1: message '$out' lacks '$2'"
		failures+=("bad msg: $1")
	else
		log "ok refused $1: $(tail -n 1 <<<"$out")"
	fi
}
la="\"listen_address\": {\"trtype\": \"tcp\", \"traddr\": \"127.0.0.1\", \"trsvcid\": \"$P1\"}"
bad "{\"nqn\": \"$NQN\", $la, \"ana_state\": \"bogus\"}" "ana_state"
bad "{\"nqn\": \"$NQN\", $la, \"ana_state\": 3}" "ana_state"
bad "{\"nqn\": \"$NQN\", $la}" "ana_state: missing"
bad "{\"nqn\": \"$NQN\", $la, \"ana_state\": \"optimized\", \"anagrpid\": 0}" "anagrpid"
bad "{\"nqn\": \"$NQN\", $la, \"ana_state\": \"optimized\", \"anagrpid\": 5}" "anagrpid"
bad "{\"nqn\": \"$NQN\", $la, \"ana_state\": \"optimized\", \"anagrpid\": \"x\"}" "anagrpid"
bad "{\"nqn\": \"nqn.2024-01.io.nvtcp:none\", $la, \"ana_state\": \"optimized\"}" "nqn"
bad "{\"nqn\": \"$NQN\", \"listen_address\": {\"trtype\": \"tcp\", \"traddr\": \"127.0.0.1\", \"trsvcid\": \"$P3\"}, \"ana_state\": \"optimized\"}" "listen_address"
bad "{\"nqn\": \"$NQN\", $la, \"ana_state\": \"optimized\", \"extra\": 1}" "extra"
[ "$(rpc nvmf_get_subsystems)" = "$before" ] || { log "FAIL: a refused call changed state"; failures+=("all-or-nothing"); }

# ---- save_config round trip ---------------------------------------------------------------------
rpc save_config >"$TMP/saved.json" || failures+=("save_config")
tgt_stop || true
tgt_start ana2 -m 0x1 --rpc-socket "$SOCK" --config "$TMP/saved.json" || finish
after=$(rpc nvmf_get_subsystems)
if [ "$after" = "$before" ]; then
	log "ok save_config -> --config: the same ANA states and groups"
else
	log "FAIL: save_config round trip"
	diff <(echo "$before") <(echo "$after") | head -20
	failures+=("save_config round trip")
fi
tgt_stop || true

# ---- command line ----------------------------------------------------------------------------
tgt_start cli -m 0x1 --subsys "$NQN" --ns malloc:8M --listen "127.0.0.1:$P1" \
	--ana-state non-optimized --listen "127.0.0.1:$P3" || finish
SOCK=$TMP/cli.sock
got=$(listener_state $P1)
[ "$got" = "non_optimized []" ] || { log "FAIL: --ana-state: '$got'"; failures+=("cli state"); }
got=$(listener_state $P3)
[ "$got" = "- []" ] || { log "FAIL: global listener shows '$got'"; failures+=("cli global"); }
log "ok --ana-state: port $P1 is the subsystem's, non_optimized; port $P3 global"
tgt_stop || true

# cli_bad TEXT ARGS...: nvtcp_tgt refuses ARGS with TEXT on stderr.
cli_bad() {
	local text=$1
	shift
	if timeout 30 "$TGT_BIN" --rpc-socket none "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"; then
		log "FAIL: nvtcp_tgt accepted $*"
		failures+=("cli: $*")
	elif ! grep -qF -- "$text" "$TMP/bad.err"; then
		log "FAIL: $*: stderr lacks '$text'"
		cat "$TMP/bad.err"
		failures+=("cli msg: $*")
	else
		log "ok refused $*: $(grep -F -- "$text" "$TMP/bad.err" | head -n 1)"
	fi
}
cli_bad "--ana-state: 'bogus'" --subsys "$NQN" --ns malloc:8M --listen "127.0.0.1:$P1" --ana-state bogus
cli_bad "--ana-state" --ana-state optimized --subsys "$NQN" --listen "127.0.0.1:$P1"
cli_bad "--ana-state: needs a --subsys" --listen "127.0.0.1:$P1" --ana-state optimized

# ---- config errors ---------------------------------------------------------------------------
cfg_bad() {
	printf '%s\n' "$1" >"$TMP/bad.json"
	cli_bad "$2" --config "$TMP/bad.json"
}
cfg_bad "{\"subsystems\": [{\"nqn\": \"$NQN\", \"listeners\": [{\"address\": \"127.0.0.1\", \"port\": $P1, \"ana_state\": \"sideways\"}]}]}" \
	'subsystems[0].listeners[0].ana_state'
cfg_bad "{\"listeners\": [{\"address\": \"127.0.0.1\", \"port\": $P1, \"ana_groups\": [{\"anagrpid\": 1, \"ana_state\": \"optimized\"}]}]}" \
	'listeners[0].ana_groups'
cfg_bad "{\"listeners\": [{\"address\": \"127.0.0.1\", \"port\": $P1, \"ana_state\": \"inaccessible\"}]}" \
	'ana_state'
cfg_bad "{\"subsystems\": [{\"nqn\": \"$NQN\", \"max_namespaces\": 2, \"listeners\": [{\"address\": \"127.0.0.1\", \"port\": $P1, \"ana_groups\": [{\"anagrpid\": 3, \"ana_state\": \"optimized\"}]}]}]}" \
	'anagrpid'
cfg_bad "{\"subsystems\": [{\"nqn\": \"$NQN\", \"listeners\": [{\"address\": \"127.0.0.1\", \"port\": $P1, \"ana_groups\": [{\"anagrpid\": 1}]}]}]}" \
	'ana_groups[0].ana_state: missing'
cfg_bad "{\"subsystems\": [{\"nqn\": \"$NQN\", \"max_namespaces\": 2, \"namespaces\": [{\"backend\": \"malloc\", \"size\": \"1M\", \"anagrpid\": 3}]}]}" \
	'anagrpid'

finish
