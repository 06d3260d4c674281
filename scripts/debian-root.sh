#!/usr/bin/env bash
# Builds (once) a Debian bookworm minbase root with sysvinit, sysv-rc, initscripts, cron,
# openssh-server and nginx, for the VM test that boots a real distribution (tests/vm_debian.rs).
#
#   scripts/debian-root.sh CACHE_DIR
#
# The root goes to CACHE_DIR/<key>/root and its path is printed on stdout (progress goes to
# stderr). <key> is a hash of the suite, the package list and this script, so a change to
# any of them builds a new root; older roots are removed. Running it again with a built root
# only prints the path. A lock on CACHE_DIR/lock makes parallel callers wait for one build.
#
# The mirror is the one apt uses on this machine (/etc/apt/sources.list*), or $DEBIAN_MIRROR.
# Needs root (debootstrap, chroot) and debootstrap (`make test` installs it).
#
# What differs from a plain debootstrap, all outside inittab and the init scripts:
#   - root's password is empty (`passwd -d root`), so the test logs in on the serial
#     console, where a getty runs from /etc/inittab.d/serial-console.tab (sysvinit 3.x reads
#     /etc/inittab.d/*.tab after /etc/inittab), so Debian's /etc/inittab stays byte for byte
#     as sysvinit-core ships it. The line is the one Debian's inittab has commented out for a
#     serial console (`#T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100`) at the VM's speed.
#     (init.autocon=1 on the kernel command line would not do: init reads /proc/cmdline
#     before anything has mounted /proc when there is no initramfs);
#   - /etc/fstab names the root disk (debootstrap leaves it unconfigured), /etc/hostname.
set -euo pipefail

SUITE=bookworm
# sysvinit-core brings Debian's /etc/inittab and /sbin/init; sysv-rc, insserv and startpar
# run /etc/init.d/rc; initscripts holds the rcS.d and rc0.d/rc6.d scripts; cron,
# openssh-server and nginx are daemons with LSB init scripts (nginx's master forks workers,
# which the supervision tests need); procps gives `ps`.
PACKAGES=sysvinit-core,sysv-rc,initscripts,insserv,startpar,cron,openssh-server,nginx,procps
# The disk the VM boots from (tests/common/vm.rs attaches it as NVMe, which Debian's cloud
# kernel has built in).
ROOT_DEVICE=/dev/nvme0n1

usage() {
	echo "usage: $0 CACHE_DIR" >&2
	exit 2
}

# The first http(s) URI of an apt source for $SUITE, from deb822 .sources files or
# one-line .list files.
apt_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$SUITE" '
			function flush() {
				if (uri != "" && suites ~ ("(^| )" suite "( |$)")) { print uri; found = 1; exit }
				uri = ""; suites = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { $1 = ""; suites = $0 " " }
			END { if (!found) flush() }
		' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI suite components...
		awk -v suite="$SUITE" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == suite) print $i
			}
		' "$f"
	done
}

[ $# -eq 1 ] || usage
cache=$1
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

key=$( (echo "$SUITE $PACKAGES $ROOT_DEVICE"; cat "$0") | sha256sum | cut -c1-16)
dir=$cache/$key

exec 9>"$cache/lock"
flock 9

if [ -e "$dir/done" ]; then
	echo "$dir/root"
	exit 0
fi

mirror=${DEBIAN_MIRROR:-$(apt_mirror | grep -m1 -E '^https?://' || true)}
if [ -z "$mirror" ]; then
	echo "$0: no apt source for $SUITE in /etc/apt/sources.list*; set DEBIAN_MIRROR" >&2
	exit 1
fi

# Roots from other keys are stale: a changed package list or script made them.
for old in "$cache"/*/; do
	[ "${old%/}" = "$dir" ] || rm -rf "${old%/}"
done
rm -rf "$dir"
mkdir -p "$dir"

echo "$0: debootstrap $SUITE from $mirror into $dir/root" >&2
start=$(date +%s)
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$dir/root" "$mirror" >&2 ||
	{
		tail -n 30 "$dir/root/debootstrap/debootstrap.log" >&2 || true
		exit 1
	}

root=$dir/root
chroot "$root" passwd -d root >&2
echo vinit-debian >"$root/etc/hostname"
mkdir -p "$root/etc/inittab.d"
echo 'T0:23:respawn:/sbin/getty -L ttyS0 115200 vt100' >"$root/etc/inittab.d/serial-console.tab"
cat >"$root/etc/fstab" <<EOF
# Written by scripts/debian-root.sh: the VM's root disk. No fsck (pass 0): the image is
# made fresh for every boot.
$ROOT_DEVICE / ext4 defaults 0 0
EOF
# debootstrap leaves the host's apt lists and downloaded packages behind; the VM needs neither.
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*

echo "$0: built in $(($(date +%s) - start)) s, $(du -sh "$root" | cut -f1)" >&2
touch "$dir/done"
echo "$root"
