#!/usr/bin/env bash
# Interop: nvtcp host in-band authentication (DH-HMAC-CHAP) against the Linux kernel target
# (nvmet, Debian's 6.12 kernel in a QEMU guest started by ../shared/peers/linux-nvmet).
#
#   test/interop/linux_nvmet_auth.sh          exit 0 pass, 1 fail
#
# The guest's DH-HMAC-CHAP settings are fixed at boot, so the target boots once per
# (hash, DH group) of the matrix, with a host secret and a controller secret, and each boot runs
# the same cases against it:
#   - unidirectional (--dhchap-secret) and bidirectional (--dhchap-secret and
#     --dhchap-ctrl-secret): nvtcp_identify --json must report the hash, the group and the
#     direction; nvtcp_perf -V --prefill --reauth-interval 1 (verified random read/write, with the
#     admin queue re-authenticated every second, on namespace 2, a 4 MiB RAM
#     disk written whole first so that every read is checked, 2 I/O queue pairs, each one
#     authenticated: the log says so per queue) must pass and its JSON report must record the
#     same result;
#   - in the first boot only: a wrong host secret (the controller's Failure1), a wrong controller
#     secret (the host's own check, Failure2) and no secret at all each fail with exit status 1
#     and one line on stderr naming the reason;
#   - every output (the library log at debug level included) is searched for the base64 of
#     every secret used: none may appear.
# Matrix: DHCHAP_HASHES x DHCHAP_GROUPS (default: sha256 sha384 sha512 x null ffdhe2048
# ffdhe8192; the issue's proof). The secrets' own transformation hash (HH) varies with the
# boot. A peer that cannot start is a failure, unless NVTCP_SKIP_INTEROP=1.
#
# Env: NVTCP_PEERS (the shared peers directory), NVMET_PORT (4420), NVMET_PEER_DIR (/tmp/linux-nvmet-auth-peer), NVMET_NQN, BUILD_DIR,
#      DHCHAP_HASHES, DHCHAP_GROUPS, LINUX_NVMET_AUTH_PERF_S (seconds of each perf run, 3: the re-authentication started after 1 s, ffdhe8192 in the emulated guest, must end within it).
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
# The shared peers next to the checkout (or next to the worktree directory of a checkout).
PEERS=${NVTCP_PEERS:-}
if [ -z "$PEERS" ]; then
	for d in "$ROOT/../shared/peers" "$ROOT/../../shared/peers"; do
		[ -x "$d/linux-nvmet/start" ] && PEERS=$d && break
	done
	PEERS=${PEERS:-$ROOT/../shared/peers}
fi
PEER=$PEERS/linux-nvmet
SECRET_GEN=$PEERS/dhchap-secret
SECRET=
export NVMET_PORT=${NVMET_PORT:-4420}
export NVMET_PEER_DIR=${NVMET_PEER_DIR:-/tmp/linux-nvmet-auth-peer}
export NVMET_NQN=${NVMET_NQN:-nqn.2024-01.io.test:kernel-target}
# Namespace 2 is a small RAM disk: perf -V --prefill writes all of it first, so that every read
# of the run is checked.
export NVMET_NS2_MB=4
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:6c1e4b52-35a7-4e0b-9c8d-2f4a17b9e3d1
read -r -a HASHES <<<"${DHCHAP_HASHES:-sha256 sha384 sha512}"
read -r -a GROUPS_LIST <<<"${DHCHAP_GROUPS:-null ffdhe2048 ffdhe8192}"
PERF_S=${LINUX_NVMET_AUTH_PERF_S:-3}
IDENTIFY=$BUILD_DIR/bin/nvtcp_identify
PERF=$BUILD_DIR/bin/nvtcp_perf
TRID="trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:$NVMET_PORT subnqn:$NVMET_NQN hostnqn:$HOSTNQN"
if (($(nproc) >= 2)); then
	HOST_MASK=0x2
else
	HOST_MASK=0x1
fi
TMP=$(mktemp -d /tmp/nvtcp-interop-nvmet-auth.XXXXXX)
failures=()
passed=()
secrets=()
peer_started=0
t_start=$(date +%s)

log() { echo "[$(($(date +%s) - t_start)) s] $*"; }

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	if [ "$peer_started" = 1 ]; then
		log "stopping the peer"
		"$PEER/stop" >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	log "FAIL: $*"
	failures+=("$*")
}

# run NAME TIMEOUT CMD...: bounded; output in $TMP/NAME.{out,err}; the tail is shown.
run() {
	local name=$1 tmo=$2 rc
	shift 2
	log "\$ $(printf '%q ' "$@" | sed -E 's/DHHC-1:[0-9]{2}:[A-Za-z0-9+\/=]+:/DHHC-1:..:<secret>:/g')"
	timeout --kill-after=10 "$tmo" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	tail -n "${SHOW_LINES:-4}" "$TMP/$name.out" | sed 's/^/    /'
	if [ -s "$TMP/$name.err" ]; then
		echo "    --- stderr (tail) ---"
		tail -n 4 "$TMP/$name.err" | sed 's/^/    /'
	fi
	return $rc
}

# new_secret HMAC: a fresh DHHC-1 secret with transformation hash HMAC (0..3) in $SECRET,
# remembered so that the outputs can be searched for it.
new_secret() {
	SECRET=$("$SECRET_GEN" --hmac "$1") || return 1
	secrets+=("$SECRET")
}

boot() { # HASH GROUP KEY CTRL_KEY
	"$PEER/stop" >/dev/null 2>&1 || true
	peer_started=1
	export NVMET_HOSTNQN=$HOSTNQN NVMET_DHCHAP_KEY=$3 NVMET_DHCHAP_CTRL_KEY=$4
	export NVMET_DHCHAP_HASH="hmac($1)" NVMET_DHCHAP_DHGROUP=$2
	# Under software emulation on a loaded machine the guest kernel occasionally panics while
	# setting up its timer; that says nothing about nvtcp, so one more boot is allowed.
	timeout --kill-after=10 300 "$PEER/start" >"$TMP/start.log" 2>&1 && return 0
	log "the peer did not start; booting once more"
	"$PEER/stop" >/dev/null 2>&1
	timeout --kill-after=10 300 "$PEER/start" >"$TMP/start.log" 2>&1 && return 0
	sed 's/^/    /' "$TMP/start.log" | tail -n 20
	return 1
}

# identify_ok NAME HASH GROUP BIDIR ARGS...: attach, and the reported result is the configured one.
identify_ok() {
	local name=$1 hash=$2 group=$3 bidir=$4
	shift 4
	if ! SHOW_LINES=0 run "$name" 120 "$IDENTIFY" -r "$TRID" --json -L debug "$@"; then
		fail "$name: nvtcp_identify exit status $?"
		return 1
	fi
	python3 - "$TMP/$name.out" "$hash" "$group" "$bidir" <<-'EOF' || { fail "$name: wrong authentication result"; return 1; }
		import json, sys
		doc = json.load(open(sys.argv[1]))
		def find(o):
		    if isinstance(o, dict):
		        if "authenticated" in o:
		            return o
		        for v in o.values():
		            r = find(v)
		            if r is not None:
		                return r
		    return None
		a = find(doc)
		want = (True, sys.argv[2], sys.argv[3], sys.argv[4] == "1")
		got = (a["authenticated"], a.get("auth_hash"), a.get("auth_dhgroup"),
		       a.get("auth_bidirectional")) if a else None
		assert got == want, "got %r, want %r" % (got, want)
		print("    identify: authenticated, %s %s %s" % (want[1], want[2],
		      "bidirectional" if want[3] else "unidirectional"))
	EOF
	# The library says what it negotiated (admin queue) in its log.
	grep -q "authenticated: DH-HMAC-CHAP, hash $hash, DH group $group" "$TMP/$name.err" ||
		{ fail "$name: the log does not say what was negotiated"; return 1; }
}

# perf_ok NAME HASH GROUP BIDIR ARGS...: verified I/O on 2 authenticated I/O queue pairs.
perf_ok() {
	local name=$1 hash=$2 group=$3 bidir=$4
	shift 4
	if ! run "$name" 180 "$PERF" --no-progress -c "$HOST_MASK" -V --prefill -P 2 -q 16 \
		-o 4096 -w randrw -M 50 -t "$PERF_S" --json "$TMP/$name.json" --log-level info \
		--reauth-interval 1 -r "$TRID ns:2" "$@"; then
		fail "$name: nvtcp_perf exit status $?"
		return 1
	fi
	grep -q "Verification PASSED" "$TMP/$name.out" || { fail "$name: no 'Verification PASSED'"; return 1; }
	# Re-authentication of the live admin queue every second during the verified I/O (nvmet
	# runs a new transaction on an authenticated queue); none may fail.
	grep -qE "^Re-authentications: [1-9][0-9]* started, [1-9][0-9]* succeeded, 0 failed" \
		"$TMP/$name.out" && grep -q "re-authenticated" "$TMP/$name.err" ||
		{ fail "$name: no successful re-authentication: $(grep '^Re-auth' "$TMP/$name.out")"; return 1; }
	# Each I/O queue authenticated on its own (nvmet asks on every queue).
	for q in 1 2; do
		grep -q "qid $q: authenticated: DH-HMAC-CHAP, hash $hash, DH group $group" "$TMP/$name.err" ||
			{ fail "$name: I/O queue $q did not authenticate"; return 1; }
	done
	python3 - "$TMP/$name.json" "$hash" "$group" "$bidir" <<-'EOF' || { fail "$name: the JSON report does not add up"; return 1; }
		import json, sys
		r = json.load(open(sys.argv[1]))["results"]
		t = r["total"]
		v = t["verify"]
		assert v["mismatches"] == 0 and v["gave_up"] == 0 and v["reads_checked"] > 0, v
		assert t["io_errors"] == 0 and t["io_completed_ok"] > 0, t
		want = {"enabled": True, "hash": sys.argv[2], "dhgroup": sys.argv[3],
		        "bidirectional": sys.argv[4] == "1"}
		assert all(d["auth"] == want for d in r["devices"]), [d["auth"] for d in r["devices"]]
		print("    perf -V: %d I/Os, %d reads checked, 0 mismatches, auth %r" %
		      (t["io_completed_ok"], v["reads_checked"], want))
	EOF
}

# refused NAME PATTERN ARGS...: nvtcp_identify fails: exit 1, one line on stderr matching PATTERN.
refused() {
	local name=$1 pat=$2 rc
	shift 2
	run "$name" 60 "$IDENTIFY" -t 20 -r "$TRID" "$@"
	rc=$?
	if [ "$rc" != 1 ]; then
		fail "$name: exit status $rc, expected 1"
		return 1
	fi
	if [ "$(wc -l <"$TMP/$name.err")" != 1 ] || ! grep -qE -- "$pat" "$TMP/$name.err"; then
		fail "$name: stderr is not one line matching '$pat'"
		return 1
	fi
}

if [ "${NVTCP_SKIP_INTEROP:-0}" = 1 ]; then
	echo "SKIPPED (NVTCP_SKIP_INTEROP=1)"
	exit 0
fi
for b in "$IDENTIFY" "$PERF"; do
	if [ ! -x "$b" ]; then
		echo "FAIL: $b is not built (run make first)"
		exit 1
	fi
done
if [ ! -x "$PEER/start" ] || [ ! -x "$SECRET_GEN" ]; then
	echo "FAIL: no Linux nvmet peer (or dhchap-secret) at $PEERS"
	exit 1
fi

hh_of() { case $1 in sha256) echo 1 ;; sha384) echo 2 ;; *) echo 3 ;; esac; }

first=1
for hash in "${HASHES[@]}"; do
	for group in "${GROUPS_LIST[@]}"; do
		tag="$hash/$group"
		# The host secret is transformed with the boot's hash (HH = 1..3), the controller
		# secret with another one, or not at all (HH 0).
		hh=$(hh_of "$hash")
		if ! new_secret "$hh"; then
			fail "$tag: cannot generate a secret"
			continue
		fi
		key=$SECRET
		if ! new_secret $(((hh + 1) % 4)); then
			fail "$tag: cannot generate a secret"
			continue
		fi
		ctrl_key=$SECRET
		log "==== $tag: booting the target (host and controller secrets configured)"
		t0=$(date +%s)
		if ! boot "$hash" "$group" "$key" "$ctrl_key"; then
			fail "$tag: the peer did not start"
			continue
		fi
		log "booted in $(($(date +%s) - t0)) s"
		# Secrets as a 0600 file for one of the two runs each, as text for the other.
		kf=$TMP/key.$hash.$group
		(umask 077 && printf '%s\n' "$key" >"$kf")
		c=${hash}_${group}
		identify_ok "uni_identify_$c" "$hash" "$group" 0 --dhchap-secret "$key" &&
			perf_ok "uni_perf_$c" "$hash" "$group" 0 --dhchap-secret "$kf" &&
			passed+=("$tag unidirectional")
		identify_ok "bi_identify_$c" "$hash" "$group" 1 --dhchap-secret "$kf" \
			--dhchap-ctrl-secret "$ctrl_key" &&
			perf_ok "bi_perf_$c" "$hash" "$group" 1 --dhchap-secret "$key" \
				--dhchap-ctrl-secret "$ctrl_key" &&
			passed+=("$tag bidirectional")
		if [ "$first" = 1 ]; then
			first=0
			new_secret "$hh" && wrong=$SECRET
			refused "wrong_host_secret" \
				'authentication failed: authentication failed \(qid 0, step [a-z0-9]+, reported by the controller\)' \
				--dhchap-secret "$wrong" && passed+=("$tag wrong host secret refused")
			refused "wrong_ctrl_secret" \
				'authentication failed: authentication failed \(qid 0, step success1, detected by the host\)' \
				--dhchap-secret "$key" --dhchap-ctrl-secret "$wrong" &&
				passed+=("$tag wrong controller secret refused")
			refused "no_secret" 'requires in-band authentication .*no DH-HMAC-CHAP secret' &&
				passed+=("$tag no secret refused")
			# Still serving the right host after the refusals.
			identify_ok "after_refusals_$c" "$hash" "$group" 0 --dhchap-secret "$key" ||
				true
		fi
		log "$tag done in $(($(date +%s) - t0)) s"
	done
done

# No secret in any output: the base64 of each one (what a leak would show).
for s in "${secrets[@]}"; do
	b64=${s#DHHC-1:??:}
	b64=${b64%:}
	if grep -qF -- "$b64" "$TMP"/*.out "$TMP"/*.err "$TMP"/*.json 2>/dev/null; then
		fail "a secret appears in the output: $(grep -lF -- "$b64" "$TMP"/*.out "$TMP"/*.err \
			"$TMP"/*.json 2>/dev/null | head -n 3 | xargs -n1 basename | tr '\n' ' ')"
	fi
done

log "stopping the peer"
"$PEER/stop" >/dev/null 2>&1 && peer_started=0
echo
log "passed (${#passed[@]}):"
printf '  + %s\n' "${passed[@]}"
if ((${#failures[@]})); then
	log "${#failures[@]} failed:"
	printf '  - %s\n' "${failures[@]}"
	exit 1
fi
log "all passed"
exit 0
