# shellcheck shell=bash
# Faults of the two-path multipath tests (sourced by host_multipath.sh and
# perf_multipath.sh, not run): nvtcp_tgt serves subsystem $NQN on 127.0.0.1 ports $P1 and $P2
# with its RPC socket at $SOCK.
#
#   mpath_faults PID SECONDS   while PID runs, no step starting before 3 s or after SECONDS - 3 s
#                              (SECONDS - 3 - MP_CALM s: MP_CALM, default 0, keeps the end of the
#                              run free of faults): every 3 s flip the ANA states
#                              of the two listeners by RPC (non-optimized, inaccessible, change,
#                              swap), and once in six steps remove path 2's listener for 3 s
#                              (its connections closed) and add it back; both optimized at the
#                              end. With MP_PROXY_PID set (mpath_proxy_up), a seventh step
#                              takes the proxied path's link down for 3 s (fault_proxy
#                              SIGUSR1: every connection reset with RST, mid-PDU, while the
#                              target's listener stays; reconnects refused) and back up.
#   mpath_proxy_up TARGET_PORT  fault_proxy (test/tools/fault_proxy) on a free port in front of
#                              127.0.0.1:TARGET_PORT; sets MP_PROXY_PID, MP_PROXY_PORT and
#                              MP_PROXY_OUT (its log); mpath_proxy_down stops it.

rpc() { "$RPC_PY" -s "$SOCK" "$@" >/dev/null; }
ana() { rpc nvmf_subsystem_listener_set_ana_state "$NQN" -t tcp -a 127.0.0.1 -s "$1" -n "$2"; }

MP_PROXY_PID=

mpath_proxy_up() {
	local i
	MP_PROXY_OUT=$TMP/mp_proxy.out
	"$BUILD_DIR/test/tools/fault_proxy" -m 0x1 --no-huge --listen 127.0.0.1:0 \
		--connect "127.0.0.1:$1" --seed 13 >"$MP_PROXY_OUT" 2>&1 &
	MP_PROXY_PID=$!
	trap 'mpath_proxy_down; tgt_cleanup' EXIT
	for i in $(seq 100); do
		MP_PROXY_PORT=$(sed -n 's/^fault_proxy: ready: listening on [^:]*:\([0-9]*\) .*/\1/p' \
			"$MP_PROXY_OUT")
		[ -n "$MP_PROXY_PORT" ] && return 0
		kill -0 "$MP_PROXY_PID" 2>/dev/null || break
		sleep 0.1
	done
	log "FAIL: fault_proxy did not start"
	tail -n 5 "$MP_PROXY_OUT"
	return 1
}

mpath_proxy_down() {
	[ -n "$MP_PROXY_PID" ] || return 0
	kill -TERM "$MP_PROXY_PID" 2>/dev/null
	wait "$MP_PROXY_PID" 2>/dev/null
	MP_PROXY_PID=
}

mpath_faults() {
	local pid=$1 secs=$2 step=0 end steps=6
	[ -n "$MP_PROXY_PID" ] && steps=7
	sleep 3
	end=$(($(date +%s) + secs - 6 - ${MP_CALM:-0}))
	while [ "$(date +%s)" -lt "$end" ] && kill -0 "$pid" 2>/dev/null; do
		case $((step % steps)) in
		0) ana "$P1" non_optimized; ana "$P2" optimized ;;
		1) ana "$P1" inaccessible ;;
		2) ana "$P2" change; sleep 1; ana "$P2" optimized ;;
		3) ana "$P1" optimized; ana "$P2" inaccessible ;;
		4) # Path 2 goes away (its connections are closed) and comes back.
		   rpc nvmf_subsystem_remove_listener "$NQN" -t tcp -a 127.0.0.1 -s "$P2"
		   sleep 3
		   rpc nvmf_subsystem_add_listener "$NQN" -t tcp -a 127.0.0.1 -s "$P2" -n optimized ;;
		5) ana "$P1" optimized; ana "$P2" optimized ;;
		6) # The proxied path's connections are reset mid-stream; the listener stays.
		   kill -USR1 "$MP_PROXY_PID"
		   sleep 3
		   kill -USR1 "$MP_PROXY_PID" ;;
		esac
		log "step $step done"
		step=$((step + 1))
		sleep 3
	done
	ana "$P1" optimized
	ana "$P2" optimized
}
