#!/usr/bin/env bash
# nvtcp_tgt's JSON-RPC control plane, driven with scripts/nvtcp-rpc while hosts are connected:
#   - a subsystem built at run time (namespace, own listener) serves verified I/O;
#   - a namespace added and removed under verified perf: the host sees both events (AEN, then
#     its rescan logs them), perf is undisturbed;
#   - a host removed from the allow list loses its connection, a second host keeps its own;
#   - a subsystem listener removed closes only the connections that came through it, and a
#     Connect through another subsystem's listener is refused;
#   - a subsystem deleted during verified perf on another subsystem: that perf is undisturbed;
#   - bad parameters for every method are refused and change nothing (nvmf_get_subsystems
#     before and after);
#   - TLS keys by file only: an inline key is refused without being echoed; a host key and a
#     discovery key given as files;
#   - save_config (no key material in it), restart with --config, the same
#     nvmf_get_subsystems (keys read back from their files).
# Ports TGT_RPC_PORT..+9 (default 5120..5129, this test's range).
set -uo pipefail
# shellcheck disable=SC1091
. "$(dirname "$0")/tgt_lib.sh"

RPC_PY=$ROOT/scripts/nvtcp-rpc
PERF=$BUILD_DIR/bin/nvtcp_perf
IDENT=$BUILD_DIR/bin/nvtcp_identify
SOCK=$TMP/rpc.sock
A=nqn.2024-01.io.nvtcp:rpc-a
B=nqn.2024-01.io.nvtcp:rpc-b
C=nqn.2024-01.io.nvtcp:rpc-c
H1=nqn.2014-08.org.nvmexpress:uuid:11111111-1111-4111-8111-111111111111
H2=nqn.2014-08.org.nvmexpress:uuid:22222222-2222-4222-8222-222222222222
BASE=${TGT_RPC_PORT:-5120}
PA=$BASE PB=$((BASE + 1)) PC1=$((BASE + 2)) PC2=$((BASE + 3)) PX=$((BASE + 4))
if (($(nproc) >= 2)); then PERF_MASK=0x2; else PERF_MASK=0x1; fi

for b in "$PERF" "$IDENT" "$RPC_PY"; do
	[ -x "$b" ] || { log "FAIL: $b not built"; failures+=("missing $b"); finish; }
done

rpc() { "$RPC_PY" -s "$SOCK" "$@"; }
trid() { echo "trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$1 subnqn:$2${3:+ hostnqn:$3}"; }

# perf_bg NAME SECONDS TRID [read]: verified random read/write in the background (PID in
# PERF_PID); with "read", unverified random reads (a second host on a namespace that a verified
# perf writes would see that perf's stamps) that stop 3 s after losing their controller.
perf_bg() {
	local io=(-w randrw -M 50 -V)
	# The "read" perfs are the ones a case disconnects: they give up reconnecting after 3 s
	# instead of trying until their run time ends.
	[ "${4:-}" = read ] && io=(-w randread --ctrl-loss-tmo 3)
	timeout --kill-after=5 $(($2 + 60)) "$PERF" --no-progress --log-level notice \
		-c "$PERF_MASK" -q 8 -o 4096 "${io[@]}" -t "$2" -r "$3" \
		>"$TMP/$1.perf" 2>&1 &
	PERF_PID=$!
}

# perf_wait PID NAME WANT: WANT "ok" = exit 0 with no verify error, "fail" = non-zero exit.
perf_wait() {
	local rc
	wait "$1"
	rc=$?
	if [ "$3" = ok ] && [ "$rc" = 0 ] && ! grep -q 'Verification FAILED' "$TMP/$2.perf"; then
		log "ok $2: perf exit 0$(grep -q 'Verification PASSED' "$TMP/$2.perf" && echo ", verified")"
	elif [ "$3" = fail ] && [ "$rc" != 0 ]; then
		log "ok $2: perf ended with exit $rc, as its connection was closed"
	else
		log "FAIL: $2: perf exit $rc, wanted $3"
		tail -n 15 "$TMP/$2.perf"
		failures+=("$2")
	fi
}

# wait_log FILE TEXT: up to 20 s for TEXT to appear.
wait_log() {
	for _ in $(seq 200); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Connected from the target's point of view (nvmf_get_stats qpairs).
host_conns() { rpc nvmf_get_stats | grep -c "\"hostnqn\": \"$1\""; }

# wait_conns HOSTNQN...: up to 30 s until each host has its admin and I/O queue connected (a
# loaded machine can take many seconds to start a perf; a fixed sleep made the cases below
# act on a perf that had not connected yet, or had already finished).
wait_conns() {
	local h ok
	for _ in $(seq 60); do
		ok=1
		for h in "$@"; do
			[ "$(host_conns "$h")" -ge 2 ] || ok=0
		done
		((ok)) && return 0
		sleep 0.5
	done
	return 1
}

tgt_start rpc -m 0x1 --rpc-socket "$SOCK" || finish
grep -q "^nvtcp_tgt: rpc socket $SOCK\$" "$TGT_OUT" || failures+=("rpc socket line")
[ "$(stat -c %a "$SOCK")" = 600 ] || failures+=("socket mode $(stat -c %a "$SOCK")")
# A second target on the same (live) socket is refused with a clear message.
if timeout 30 "$TGT_BIN" -m 0x1 --rpc-socket "$SOCK" >"$TMP/second.out" 2>"$TMP/second.log"; then
	log "FAIL: a second target took a live socket"; failures+=("live socket")
elif grep -q -- "--rpc-socket $SOCK: .*" "$TMP/second.log"; then
	log "ok second target refused: $(grep -- '--rpc-socket' "$TMP/second.log")"
else
	log "FAIL: second target: no --rpc-socket message"; cat "$TMP/second.log"
	failures+=("live socket message")
fi

# ---- Build subsystems at run time ----------------------------------------------------------
check "version" bash -c "'$RPC_PY' -s '$SOCK' spdk_get_version | grep -q '\"nvtcp v'"
check "create A" rpc nvmf_create_subsystem "$A" -a -s RPCSERIAL01
check "A: malloc ns" bash -c "[ \"\$('$RPC_PY' -s '$SOCK' nvmf_subsystem_add_ns '$A' --backend malloc --size 32M)\" = 1 ]"
check "A: listener" rpc nvmf_subsystem_add_listener "$A" -t tcp -a 127.0.0.1 -s "$PA"
check "create B (allowed hosts)" rpc nvmf_create_subsystem "$B" -m 4
check "B: ns" rpc nvmf_subsystem_add_ns "$B" --backend malloc --size 16M -n 2
check "B: host 1" rpc nvmf_subsystem_add_host "$B" "$H1"
check "B: host 2" rpc nvmf_subsystem_add_host "$B" "$H2"
check "B: listener" rpc nvmf_subsystem_add_listener "$B" -t TCP -a 127.0.0.1 -s "$PB" -f ipv4
check "create C" rpc nvmf_create_subsystem "$C" -a
check "C: malloc ns, 4 KiB blocks" rpc nvmf_subsystem_add_ns "$C" --backend malloc --size 16M \
	--block-size 4096
check "C: listener 1" rpc nvmf_subsystem_add_listener "$C" -t tcp -a 127.0.0.1 -s "$PC1"
check "C: listener 2" rpc nvmf_subsystem_add_listener "$C" -t tcp -a 127.0.0.1 -s "$PC2"
check "identify A through its listener" bash -c "'$IDENT' -r '$(trid "$PA" "$A")' | grep -qi 'RPCSERIAL01'"
# A Connect to A through C's listener is refused, and the target says why.
if "$IDENT" -r "$(trid $PC1 $A)" >"$TMP/cross.out" 2>&1; then
	log "FAIL: A was reachable through C's listener"
	failures+=("cross-listener connect")
elif ! grep -q "does not listen on 127.0.0.1:$PC1" "$TGT_LOG"; then
	log "FAIL: no log line for the refused cross-listener Connect"
	failures+=("cross-listener log")
else
	log "ok Connect to A through C's listener refused"
fi
# Discovery through A's listener: A on its own listener, B and C on theirs (no global ones).
if "$BUILD_DIR/bin/nvtcp_discover" -r "traddr:127.0.0.1 trsvcid:$PA" >"$TMP/disc.out" 2>&1 &&
	grep -q "$A" "$TMP/disc.out" && grep -q "$C" "$TMP/disc.out" &&
	grep -q "$PC2" "$TMP/disc.out"; then
	log "ok discovery lists each subsystem's listeners"
else
	log "FAIL: discovery log"; cat "$TMP/disc.out"; failures+=("discovery")
fi

# ---- Namespaces under verified I/O: events seen by the host --------------------------------
perf_bg nsperf 15 "$(trid "$PA" "$A")"
NSPERF=$PERF_PID
sleep 4
check "A: add ns 2 while connected" rpc nvmf_subsystem_add_ns "$A" --backend malloc --size 8M -n 2
if wait_log "$TMP/nsperf.perf" "namespace 2 is active"; then
	log "ok host saw namespace 2 appear (AEN + Changed Namespace List)"
else
	log "FAIL: host did not report namespace 2"; failures+=("ns add AEN")
fi
check "A: remove ns 2 while connected" rpc nvmf_subsystem_remove_ns "$A" 2
if wait_log "$TMP/nsperf.perf" "namespace 2 is gone"; then
	log "ok host saw namespace 2 go"
else
	log "FAIL: host did not report namespace 2 removed"; failures+=("ns remove AEN")
fi
perf_wait "$NSPERF" nsperf ok

# ---- Hosts: removing one closes only its connections --------------------------------------
# Host 1's perf ends by being removed (its length only bounds a failure); host 2's must
# outlive the removal.
perf_bg h1 60 "$(trid $PB $B $H1)" read
H1PID=$PERF_PID
perf_bg h2 20 "$(trid $PB $B $H2)"
H2PID=$PERF_PID
if wait_conns "$H1" "$H2"; then
	log "ok both hosts connected"
else
	log "FAIL: hosts not connected"; failures+=("hosts connected")
fi
check "B: remove host 1" rpc nvmf_subsystem_remove_host "$B" "$H1"
check "host 1's controller torn down" wait_log "$TGT_LOG" "of host $H1 on $B: torn down: host removed"
sleep 1
if [ "$(host_conns "$H1")" = 0 ] && [ "$(host_conns "$H2")" -ge 2 ]; then
	log "ok host 1 disconnected, host 2 still connected"
else
	log "FAIL: after remove_host: host1 $(host_conns "$H1") host2 $(host_conns "$H2") connections"
	failures+=("remove_host scope")
fi
perf_wait "$H2PID" h2 ok
perf_wait "$H1PID" h1 fail

# ---- Listeners: removing one closes only the connections through it -----------------------
perf_bg c1 15 "$(trid $PC1 $C)"
C1PID=$PERF_PID
perf_bg c2 60 "$(trid $PC2 $C)" read
C2PID=$PERF_PID
sleep 5
check "C: remove listener 2" rpc nvmf_subsystem_remove_listener "$C" -t tcp -a 127.0.0.1 -s "$PC2"
check "the controller through listener 2 torn down" wait_log "$TGT_LOG" "torn down: its listener was removed"
perf_wait "$C1PID" c1 ok
perf_wait "$C2PID" c2 fail
if "$IDENT" -r "$(trid $PC2 $C)" -t 5 >/dev/null 2>&1; then
	log "FAIL: listener 2 still accepts"; failures+=("listener closed")
fi

# ---- Delete a subsystem during verified perf on another ------------------------------------
perf_bg keep 15 "$(trid "$PA" "$A")"
KEEP=$PERF_PID
perf_bg gone 60 "$(trid $PC1 $C)" read
GONE=$PERF_PID
sleep 5
check "delete C (answers once drained)" rpc nvmf_delete_subsystem "$C"
if rpc nvmf_get_subsystems "$C" >/dev/null 2>&1; then
	log "FAIL: C still listed"; failures+=("delete C")
fi
perf_wait "$KEEP" keep ok
perf_wait "$GONE" gone fail

# ---- Bad parameters change nothing ----------------------------------------------------------
rpc nvmf_get_subsystems >"$TMP/before.json" || failures+=("get before")
# bad METHOD PARAMS EXPECTED-MESSAGE-PART
bad() {
	local out
	if out=$("$RPC_PY" -s "$SOCK" call "$1" "$2" 2>&1); then
		log "FAIL: $1 $2 succeeded: $out"; failures+=("bad $1")
	elif ! grep -qF -- "$3" <<<"$out"; then
		log "FAIL: $1 $2: '$out' lacks '$3'"; failures+=("bad $1 message")
	else
		log "ok refused $1 $2: $out"
	fi
}
bad spdk_get_version '{"x":1}' "x: unknown key"
bad framework_get_reactors '[1]' "params: must be an object"
bad nvmf_get_subsystems '{"nqn":5}' "nqn: must be a string"
bad nvmf_get_subsystems '{"nqn":"nqn.2024-01.io.nvtcp:none"}' "no subsystem"
bad nvmf_create_subsystem '{}' "nqn: missing"
bad nvmf_create_subsystem "{\"nqn\":\"$A\"}" "already exists"
bad nvmf_create_subsystem '{"nqn":"nqn.2024-01.io.nvtcp:n","max_namespaces":0}' "max_namespaces"
bad nvmf_create_subsystem '{"nqn":"nqn.2024-01.io.nvtcp:n","serial_number":"x","tgt_name":"t"}' "tgt_name: unknown key"
bad nvmf_create_subsystem '{"nqn":"not-an-nqn"}' "not-an-nqn"
bad nvmf_create_subsystem '{"nqn":"nqn.2024-01.io.nvtcp:n","serial_number":"012345678901234567890"}' "serial"
bad nvmf_delete_subsystem '{"nqn":"nqn.2024-01.io.nvtcp:none"}' "no subsystem"
bad nvmf_delete_subsystem '{"nqn":"nqn.2014-08.org.nvmexpress.discovery"}' "discovery"
bad nvmf_subsystem_add_ns "{\"nqn\":\"$A\",\"namespace\":{\"backend\":\"malloc\",\"size\":\"1M\",\"block_size\":1024}}" "namespace.block_size: must be 512 or 4096"
bad nvmf_subsystem_add_ns "{\"nqn\":\"$A\",\"namespace\":{\"backend\":\"ram\",\"size\":\"1M\"}}" "namespace.backend"
bad nvmf_subsystem_add_ns "{\"nqn\":\"$A\",\"namespace\":{\"backend\":\"malloc\"}}" "namespace.size: missing"
bad nvmf_subsystem_add_ns "{\"nqn\":\"$A\",\"namespace\":{\"backend\":\"malloc\",\"size\":\"1M\",\"nsid\":1}}" "taken"
bad nvmf_subsystem_add_ns "{\"nqn\":\"$A\",\"namespace\":{\"backend\":\"malloc\",\"size\":\"1M\",\"uuid\":\"zz\"}}" "namespace.uuid"
bad nvmf_subsystem_add_ns "{\"nqn\":\"$A\",\"namespace\":{\"backend\":\"malloc\",\"size\":\"1M\",\"nsid\":99}}" "namespace.nsid"
bad nvmf_subsystem_add_ns "{\"nqn\":\"$A\",\"namespace\":{\"backend\":\"malloc\",\"size\":\"100T\"}}" "malloc namespace"
bad nvmf_subsystem_add_ns "{\"nqn\":\"$A\"}" "namespace: missing"
bad nvmf_subsystem_remove_ns "{\"nqn\":\"$A\",\"nsid\":7}" "no namespace 7"
bad nvmf_subsystem_remove_ns "{\"nqn\":\"$A\",\"nsid\":\"1\"}" "nsid: must be a number"
bad nvmf_subsystem_add_listener "{\"nqn\":\"$A\",\"listen_address\":{\"trtype\":\"rdma\",\"traddr\":\"127.0.0.1\",\"trsvcid\":\"$PX\"}}" "listen_address.trtype"
bad nvmf_subsystem_add_listener "{\"nqn\":\"$A\",\"listen_address\":{\"trtype\":\"tcp\",\"traddr\":\"127.0.0.1\",\"trsvcid\":\"$PX\",\"adrfam\":\"ipv6\"}}" "listen_address.adrfam"
bad nvmf_subsystem_add_listener "{\"nqn\":\"$A\",\"listen_address\":{\"trtype\":\"tcp\",\"traddr\":\"localhost\",\"trsvcid\":\"$PX\"}}" "listen_address.traddr"
bad nvmf_subsystem_add_listener "{\"nqn\":\"$A\",\"listen_address\":{\"trtype\":\"tcp\",\"traddr\":\"127.0.0.1\",\"trsvcid\":\"70000\"}}" "listen_address.trsvcid"
bad nvmf_subsystem_add_listener "{\"nqn\":\"$A\",\"listen_address\":{\"trtype\":\"tcp\",\"traddr\":\"127.0.0.1\",\"trsvcid\":\"$PA\"}}" "already listens"
bad nvmf_subsystem_add_listener "{\"nqn\":\"$A\",\"listen_address\":{\"trtype\":\"tcp\",\"traddr\":\"127.0.0.2\",\"trsvcid\":\"$PX\",\"secure_channel\":\"tls\"}}" "listen_address.secure_channel: 'tls' is not none, optional, required"
bad nvmf_subsystem_remove_listener "{\"nqn\":\"$A\",\"listen_address\":{\"trtype\":\"tcp\",\"traddr\":\"127.0.0.1\",\"trsvcid\":\"$PB\"}}" "does not listen"
bad nvmf_subsystem_add_host "{\"nqn\":\"$B\",\"host\":\"$H2\"}" "already allowed"
bad nvmf_subsystem_add_host "{\"nqn\":\"$B\",\"host\":\"bad host\"}" "host: 'bad host'"
bad nvmf_subsystem_remove_host "{\"nqn\":\"$B\",\"host\":\"$H1\"}" "not allowed"
bad nvmf_subsystem_allow_any_host "{\"nqn\":\"$B\",\"allow_any_host\":\"yes\"}" "allow_any_host: must be true or false"
bad nvmf_subsystem_allow_any_host "{\"nqn\":\"$B\"}" "allow_any_host: missing"
bad nvmf_get_stats '{"a":1}' "a: unknown key"
bad save_config '{"filename":"x"}' "filename: unknown key"
rpc nvmf_get_subsystems >"$TMP/after.json" || failures+=("get after")
if cmp -s "$TMP/before.json" "$TMP/after.json"; then
	log "ok bad calls changed nothing"
else
	log "FAIL: bad calls changed the subsystems"; diff "$TMP/before.json" "$TMP/after.json" | head
	failures+=("bad calls changed state")
fi
check "nvmf_get_stats" bash -c "'$RPC_PY' -s '$SOCK' nvmf_get_stats | grep -q poll_groups"
check "framework_get_reactors" bash -c "'$RPC_PY' -s '$SOCK' framework_get_reactors | grep -q tick_rate"

# ---- TLS keys: files only ---------------------------------------------------------------------
KEY='NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:'
(umask 077 && printf '%s' "$KEY" >"$TMP/h2.psk")
bad nvmf_subsystem_add_host "{\"nqn\":\"$B\",\"host\":\"$H1\",\"psk\":\"$KEY\"}" \
	"psk: an inline key is refused"
if "$RPC_PY" -s "$SOCK" call nvmf_subsystem_add_host \
	"{\"nqn\":\"$B\",\"host\":\"$H1\",\"psk\":\"$KEY\"}" 2>&1 | grep -q "MDAxMTIy"; then
	log "FAIL: the refusal echoes the key"
	failures+=("inline key echoed")
fi
check "B: H1 with a key file" rpc nvmf_subsystem_add_host "$B" "$H1" --psk "$TMP/h2.psk"
check "discovery: H2 with a key file" rpc nvmf_subsystem_add_host \
	nqn.2014-08.org.nvmexpress.discovery "$H2" --psk "$TMP/h2.psk"

# ---- save_config and restart -----------------------------------------------------------------
rpc save_config >"$TMP/saved.json" || failures+=("save_config")
if grep -q "MDAxMTIy\|NVMeTLSkey" "$TMP/saved.json"; then
	log "FAIL: save_config wrote key material"
	failures+=("key material in save_config")
elif ! grep -qF "$TMP/h2.psk" "$TMP/saved.json"; then
	log "FAIL: save_config lost the key file paths"
	failures+=("save_config key paths")
else
	log "ok save_config names the key files, holds no key material"
fi
rpc nvmf_get_subsystems >"$TMP/live.json"
tgt_stop || true
[ -e "$SOCK" ] && { log "FAIL: socket left behind"; failures+=("socket removed"); }
tgt_start restart -m 0x1 --rpc-socket "$SOCK" --config "$TMP/saved.json" || finish
rpc nvmf_get_subsystems >"$TMP/restored.json"
if cmp -s "$TMP/live.json" "$TMP/restored.json"; then
	log "ok the restarted target reports the same subsystems (uuids, serials, listeners)"
else
	log "FAIL: restored subsystems differ"; diff "$TMP/live.json" "$TMP/restored.json" | head -20
	failures+=("save_config round trip")
fi
check "restored A serves verified I/O" "$PERF" --no-progress -c "$PERF_MASK" -q 8 -o 4096 \
	-w randrw -M 50 -t 2 -V -r "$(trid "$PA" "$A")"
tgt_stop
finish
