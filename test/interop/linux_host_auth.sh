#!/usr/bin/env bash
# Interop: the Linux kernel host (6.12, nvme-tcp with nvme-auth, in the QEMU guest of
# ../shared/peers/linux-host/run) against nvtcp_tgt requiring in-band authentication
# (DH-HMAC-CHAP) of its host.
#
# Runs (each ~20-30 s under software emulation; one admin and one I/O queue, both of which
# must authenticate):
#   1. unidirectional, target allows sha256 + ffdhe2048 only (key from the command line,
#      as a 0600 file: a secret given as text would show in this script's output);
#   2. bidirectional, sha512 + null (keys changed over RPC, given as 0600 files);
#   3. bidirectional, sha384 + ffdhe3072;
#   4. a wrong host secret: the connect must fail, the target logs "authentication failed"
#      with the reason, and the host never gets a controller;
#   5. a wrong controller secret (the host rejects the controller: Failure2).
# Each PASS run checks the target's "authenticated" lines for the admin and the I/O queue
# with the negotiated hash and group. The target's log must never hold a secret.
#
# Env: LINUX_HOST_AUTH_IO_MB (default 8), LINUX_HOST_AUTH_PORT (listen port, default 0 =
# any), NVME_HOST_PEER_DIR (default /tmp/nvtcp-tgt-linux-host). NVTCP_SKIP_INTEROP=1 skips.
set -uo pipefail
. "$(dirname "$0")/../functional/tgt_lib.sh"

# The peers sit next to the main checkout; a worktree under wt/ is one level deeper.
PEERS=${NVTCP_PEERS_DIR:-$ROOT/../shared/peers}
[ -d "$PEERS" ] || PEERS=$ROOT/../../shared/peers
RUN=$PEERS/linux-host/run
GEN=$PEERS/dhchap-secret
RPC_PY=$ROOT/scripts/nvtcp-rpc
NQN=nqn.2024-01.io.nvtcp:linux-auth
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:5d0c2a4e-8f31-4b7a-9e62-1c3d5f7a9b20
MB=${LINUX_HOST_AUTH_IO_MB:-8}
PORT=${LINUX_HOST_AUTH_PORT:-0}
export NVME_HOST_PEER_DIR=${NVME_HOST_PEER_DIR:-/tmp/nvtcp-tgt-linux-host}

if [ "${NVTCP_SKIP_INTEROP:-0}" = 1 ]; then
	echo "SKIPPED (NVTCP_SKIP_INTEROP=1)"
	exit 0
fi
for f in "$RUN" "$GEN"; do
	if [ ! -x "$f" ]; then
		log "FAIL: $f not found"
		exit 1
	fi
done

# Secrets: the host's transformed by its NQN with SHA-256 (HH 01), SHA-512 (03) and none (00);
# the controller's with SHA-384 (02). Distinct wrong ones for the failure runs.
K1=$("$GEN" --hmac 1 --nqn "$HOSTNQN")
K3=$("$GEN" --hmac 3 --nqn "$HOSTNQN")
C2=$("$GEN" --hmac 2)
KBAD=$("$GEN" --hmac 1 --nqn "$HOSTNQN")
CBAD=$("$GEN" --hmac 2)
umask 077
printf '%s\n' "$K3" >"$TMP/k3.key"
printf '%s\n' "$C2" >"$TMP/c2.key"
printf '%s\n' "$K1" >"$TMP/k1.key"

rpc() { "$RPC_PY" -s "$TMP/auth.sock" "$@" >/dev/null; }

# set_host KEYFILE [CTRLKEYFILE] HASHES GROUPS: replace the host's settings over RPC.
set_host() {
	local key=$1 ctrl=$2 hashes=$3 groups=$4 args=()
	args=(--dhchap-key "$key" --dhchap-hashes "$hashes" --dhchap-dhgroups "$groups")
	[ -n "$ctrl" ] && args+=(--dhchap-ctrlr-key "$ctrl")
	rpc nvmf_subsystem_remove_host "$NQN" "$HOSTNQN" &&
		rpc nvmf_subsystem_add_host "$NQN" "$HOSTNQN" "${args[@]}"
}

# host_run NAME EXPECT(pass|fail) env...: one run of the kernel host; prints its duration.
host_run() {
	local name=$1 expect=$2 rc attempt start
	shift 2
	log "linux host: $name"
	start=$(date +%s)
	for attempt in 1 2; do
		env NVME_HOST_NQN="$NQN" NVME_HOST_TARGET_PORT="$P" NVME_HOST_IO_MB="$MB" \
			NVME_HOST_HOSTNQN="$HOSTNQN" NVME_HOST_TIMEOUT=300 "$@" "$RUN" \
			>"$TMP/run.out" 2>&1
		rc=$?
		# A guest that did not boot is no verdict on the target (see linux_host.sh).
		if [ "$rc" = 2 ] && [ "$attempt" = 1 ] && grep -q 'VM did not start' "$TMP/run.out"; then
			log "linux host: the guest did not boot; booting it once more"
			continue
		fi
		break
	done
	grep -E 'authenticated|NVME-HOST' "$TMP/run.out" | head -8 | sed 's/^/    /'
	log "linux host: $name: exit $rc after $(($(date +%s) - start)) s"
	if [ "$expect" = pass ]; then
		if [ "$rc" != 0 ] || ! grep -q 'NVME-HOST-PASS' "$TMP/run.out"; then
			log "FAIL: $name: exit $rc"
			tail -n 30 "$TMP/run.out"
			failures+=("$name")
			return 1
		fi
	elif [ "$rc" != 1 ] || ! grep -q 'NVME-HOST-FAIL' "$TMP/run.out"; then
		log "FAIL: $name: expected the connect to fail (exit 1), got exit $rc"
		tail -n 30 "$TMP/run.out"
		failures+=("$name")
		return 1
	fi
	return 0
}

# expect_log NAME PATTERN: the target log (since the run began) must have a matching line.
expect_log() {
	# Not piped into grep -q: with pipefail its early exit would fail the pipeline.
	tail -n +"$LOG_FROM" "$TGT_LOG" >"$TMP/new.log"
	if ! grep -qE -- "$2" "$TMP/new.log"; then
		log "FAIL: $1: no target log line matching: $2"
		tail -n +"$LOG_FROM" "$TGT_LOG" | tail -n 20
		failures+=("$1: log")
	fi
}
mark_log() { LOG_FROM=$(($(wc -l <"$TGT_LOG") + 1)); }

# The namespace holds the passes (MB) plus the 4 MiB of random writes.
tgt_start auth -m 0x1 -L info --listen "127.0.0.1:$PORT" --subsys "$NQN" \
	--ns "malloc:$((MB + 36))M" --allow-host "$HOSTNQN" --dhchap-key "$TMP/k1.key" \
	--dhchap-hashes sha256 --dhchap-dhgroups ffdhe2048 || finish
P=${TGT_PORTS[0]}

mark_log
if host_run "unidirectional sha256/ffdhe2048" pass NVME_HOST_DHCHAP_SECRET="$K1"; then
	expect_log "uni" "qid 0 authenticated: sha256, ffdhe2048, unidirectional"
	expect_log "uni" "qid 1 authenticated: sha256, ffdhe2048, unidirectional"
fi

set_host "$TMP/k3.key" "$TMP/c2.key" sha256,sha384,sha512 null || failures+=("RPC set_host")
mark_log
if host_run "bidirectional sha512/null" pass NVME_HOST_DHCHAP_SECRET="$K3" \
	NVME_HOST_DHCHAP_CTRL_SECRET="$C2"; then
	expect_log "bi sha512" "qid 0 authenticated: sha512, null, bidirectional"
	expect_log "bi sha512" "qid 1 authenticated: sha512, null, bidirectional"
fi

set_host "$TMP/k3.key" "$TMP/c2.key" sha384 ffdhe3072 || failures+=("RPC set_host")
mark_log
if host_run "bidirectional sha384/ffdhe3072" pass NVME_HOST_DHCHAP_SECRET="$K3" \
	NVME_HOST_DHCHAP_CTRL_SECRET="$C2"; then
	expect_log "bi sha384" "qid 0 authenticated: sha384, ffdhe3072, bidirectional"
	expect_log "bi sha384" "qid 1 authenticated: sha384, ffdhe3072, bidirectional"
fi

set_host "$TMP/k1.key" "$TMP/c2.key" sha256 ffdhe2048 || failures+=("RPC set_host")
mark_log
host_run "wrong host secret" fail NVME_HOST_DHCHAP_SECRET="$KBAD"
expect_log "wrong host secret" \
	"authentication failed: host $HOSTNQN .*qid 0, step [a-z0-9_ ]+, reason authentication failed \(AUTH_Failure1 sent\)"
tail -n +"$LOG_FROM" "$TGT_LOG" >"$TMP/new.log"
if grep -q "controller [0-9]* qid 0 authenticated" "$TMP/new.log"; then
	log "FAIL: a wrong host secret authenticated"
	failures+=("wrong host secret authenticated")
fi

mark_log
host_run "wrong controller secret" fail NVME_HOST_DHCHAP_SECRET="$K1" \
	NVME_HOST_DHCHAP_CTRL_SECRET="$CBAD"
expect_log "wrong controller secret" \
	"authentication failed: host $HOSTNQN .*qid 0, step [a-z0-9_ ]+, reason .*the host's AUTH_Failure2"

tgt_stop

# No secret (nor its base64 body) in anything the target wrote.
for s in "$K1" "$K3" "$C2" "$KBAD" "$CBAD"; do
	body=$(echo "$s" | cut -d: -f3)
	if grep -qF -e "$body" "$TGT_LOG" "$TGT_OUT"; then
		log "FAIL: a secret appears in the target's output"
		failures+=("secret in the log")
	fi
done
grep -E 'authentication failed|authenticated:' "$TGT_LOG" | sed 's/^/    /' | head -20
finish
