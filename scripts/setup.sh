#!/usr/bin/env bash
# Reserves 2 MiB hugepages for DPDK and mounts hugetlbfs. Harmless to run twice: it only
# raises the reservation to what is asked and mounts only when nothing is mounted.
#
#   scripts/setup.sh           reserve HUGEMEM MiB (default 1024)
#   HUGEMEM=2048 scripts/setup.sh
#   scripts/setup.sh status    print the current state only
#   scripts/setup.sh reset     release the 2 MiB hugepages
#
# nvtcp runs without hugepages too (falling back to plain memory with a warning), so failing
# here is not fatal for the build or the tests.
set -euo pipefail

HUGEMEM=${HUGEMEM:-1024}
NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
FREE=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
MNT=/dev/hugepages

status() {
	local total free
	total=$(cat "$NR" 2>/dev/null || echo 0)
	free=$(cat "$FREE" 2>/dev/null || echo 0)
	echo "setup: 2 MiB hugepages: $total reserved ($((total * 2)) MiB), $free free"
	if grep -q " $MNT hugetlbfs " /proc/mounts 2>/dev/null; then
		echo "setup: hugetlbfs mounted at $MNT"
	else
		echo "setup: hugetlbfs not mounted (DPDK in-memory mode does not need it)"
	fi
}

case "${1:-}" in
status) status; exit 0 ;;
reset)
	echo 0 > "$NR"
	status
	exit 0
	;;
"") ;;
*) echo "usage: $0 [status|reset]" >&2; exit 2 ;;
esac

if ! [[ "$HUGEMEM" =~ ^[0-9]+$ ]] || ((HUGEMEM < 2)); then
	echo "setup: HUGEMEM must be a number of MiB >= 2, got '$HUGEMEM'" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ]; then
	echo "setup: not root: cannot reserve hugepages; nvtcp will fall back to plain memory" >&2
	status
	exit 1
fi
if [ ! -w "$NR" ]; then
	echo "setup: $NR is not writable (no 2 MiB hugepage support?); nvtcp will use plain memory" >&2
	exit 1
fi

want=$(((HUGEMEM + 1) / 2))
have=$(cat "$NR")
if ((have < want)); then
	echo "$want" > "$NR" || true
	got=$(cat "$NR")
	echo "setup: asked for $want hugepages (${HUGEMEM} MiB), the kernel reserved $got (had $have)"
	if ((got < want)); then
		echo "setup: memory is too fragmented for more; nvtcp uses what there is or falls back" >&2
	fi
else
	echo "setup: $have hugepages already reserved (>= $want wanted), nothing to do"
fi

if ! grep -q " $MNT hugetlbfs " /proc/mounts; then
	mkdir -p "$MNT"
	if mount -t hugetlbfs -o pagesize=2M nodev "$MNT"; then
		echo "setup: mounted hugetlbfs at $MNT"
	else
		echo "setup: could not mount hugetlbfs at $MNT (in-memory mode works without it)" >&2
	fi
fi
status
