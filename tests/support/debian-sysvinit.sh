#!/bin/sh
# Fetches Debian's real sysvinit binaries for the interop tests and unpacks
# them under target/debian/root (NEVER installs them on the host).
#
# Usage: tests/support/debian-sysvinit.sh [TARGET_DIR]
# Prints the unpacked root on stdout. Idempotent; concurrent callers
# serialize on a lock, and a finished unpack is marked so later calls are
# instant.
set -eu

target=${1:-$(dirname "$0")/../../target}
dir=$target/debian
root=$dir/root
packages="sysvinit-core sysvinit-utils"

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

if [ ! -e "$root/.complete" ]; then
	rm -rf "$root" "$dir/debs"
	mkdir -p "$dir/debs" "$root"
	# A machine may come without package lists: update once and retry.
	(cd "$dir/debs" && apt-get download -q $packages >&2) ||
		(apt-get update -q >&2 && cd "$dir/debs" && apt-get download -q $packages >&2) || {
		echo "debian-sysvinit.sh: 'apt-get download $packages' failed" >&2
		exit 1
	}
	for deb in "$dir"/debs/*.deb; do
		dpkg -x "$deb" "$root"
	done
	touch "$root/.complete"
fi

cd "$root" && pwd
