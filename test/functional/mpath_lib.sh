# shellcheck shell=bash
# Faults of the two-path multipath tests (sourced by host_multipath.sh and
# perf_multipath.sh, not run): nvtcp_tgt serves subsystem $NQN on 127.0.0.1 ports $P1 and $P2
# with its RPC socket at $SOCK.
#
#   mpath_faults PID SECONDS   while PID runs, for SECONDS - 6 s: every 3 s flip the ANA states
#                              of the two listeners by RPC (non-optimized, inaccessible, change,
#                              swap), and once in six steps remove path 2's listener for 3 s
#                              (its connections closed) and add it back; both optimized at the
#                              end.

rpc() { "$RPC_PY" -s "$SOCK" "$@" >/dev/null; }
ana() { rpc nvmf_subsystem_listener_set_ana_state "$NQN" -t tcp -a 127.0.0.1 -s "$1" -n "$2"; }

mpath_faults() {
	local pid=$1 secs=$2 step=0 end
	sleep 3
	end=$(($(date +%s) + secs - 6))
	while [ "$(date +%s)" -lt "$end" ] && kill -0 "$pid" 2>/dev/null; do
		case $((step % 6)) in
		0) ana "$P1" non_optimized; ana "$P2" optimized ;;
		1) ana "$P1" inaccessible ;;
		2) ana "$P2" change; sleep 1; ana "$P2" optimized ;;
		3) ana "$P1" optimized; ana "$P2" inaccessible ;;
		4) # Path 2 goes away (its connections are closed) and comes back.
		   rpc nvmf_subsystem_remove_listener "$NQN" -t tcp -a 127.0.0.1 -s "$P2"
		   sleep 3
		   rpc nvmf_subsystem_add_listener "$NQN" -t tcp -a 127.0.0.1 -s "$P2" -n optimized ;;
		5) ana "$P1" optimized; ana "$P2" optimized ;;
		esac
		log "step $step done"
		step=$((step + 1))
		sleep 3
	done
	ana "$P1" optimized
	ana "$P2" optimized
}
