#!/usr/bin/env bash
# Installs the Debian 12 packages nvtcp needs to build and test. Idempotent; quick when
# everything is present.
#
#   scripts/pkgdep.sh              install whatever is missing (as root)
#   scripts/pkgdep.sh --if-missing the same, silent when nothing is missing (used by make)
#   scripts/pkgdep.sh --check      only report; exit 1 when something is missing
set -euo pipefail

# Build: compiler, pkg-config and the libraries (DPDK, ISA-L, libuuid, libnuma, json-c, liburing,
# OpenSSL 3 for TLS, CUnit).
# Tests: python3 (protocol probe), clang + compiler-rt (libFuzzer), valgrind, iproute2, procps.
PKGS=(
	gcc make pkg-config
	libdpdk-dev libisal-dev uuid-dev libnuma-dev libjson-c-dev liburing-dev libssl-dev libcunit1-dev
	python3 clang libclang-rt-14-dev valgrind iproute2 procps
)

mode=install
case "${1:-}" in
--if-missing) mode=quiet ;;
--check) mode=check ;;
"") ;;
*) echo "usage: $0 [--if-missing|--check]" >&2; exit 2 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} == 0)); then
	[ "$mode" = quiet ] || echo "pkgdep: all ${#PKGS[@]} packages are installed"
	exit 0
fi

if [ "$mode" = check ]; then
	echo "pkgdep: missing: ${missing[*]}"
	exit 1
fi

if [ "$(id -u)" != 0 ]; then
	echo "pkgdep: missing ${missing[*]}; run as root to install them" >&2
	exit 1
fi

echo "pkgdep: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh them only when an install fails.
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
fi
echo "pkgdep: done"
