#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Run a command in a project tree inside a VM that boots a Debian kernel package under
# qemu (TCG: software emulation, no KVM needed). The guest's root is the host's /, shared
# read-only over virtio-9p under a tmpfs overlay: the guest runs the host's binaries and the
# tree as built on the host, and whatever it writes is lost when it powers off.
#
#   tests/vm/vm.sh [OPTIONS] -- COMMAND...
#   tests/vm/vm.sh --check          exit 0 if a VM can run here, else print why and exit 1
#
# COMMAND runs as root in TREE (the same path in the guest), with a fresh environment
# (STT_IN_VM=1; pass variables as `env VAR=VALUE COMMAND...`). Its output
# (stdout and stderr) is printed on stdout as it comes; vm.sh's own messages go to stderr as
# `# vm: ...` lines. The exit status is COMMAND's, or 124 if the time limit ran out, or 125
# if the guest ended without reporting a status (the console's tail is printed then).
#
# Options (and the environment variables they default to):
#   --kpkg PKG      Debian kernel package (KPKG; default: what linux-image-amd64 depends on,
#                   e.g. linux-image-6.1.0-57-amd64 on bookworm; a meta-package such as
#                   linux-image-6.12-amd64 is followed to its image package)
#   --tree DIR      the tree COMMAND runs in (STT_VM_TREE; default: the top of the git tree
#                   of the current directory, else the current directory)
#   --timeout S     time limit of the whole VM run in seconds (STT_VM_TIMEOUT; 3600)
#   --cache DIR     where the package is downloaded and unpacked (STT_VM_CACHE;
#                   /var/cache/stt-vm)
#   --mem MIB, --smp N   guest RAM and CPUs (STT_VM_MEM 2048, STT_VM_SMP 2)
#   --console FILE  keep the guest's serial console (kernel messages) in FILE
#
# The package is fetched with `apt-get download` (after `apt-get update` only if apt does
# not know it), unpacked with dpkg-deb -x and indexed with depmod, once per package.
# Needs root, qemu-system-x86, busybox-static and kmod (scripts/deps.sh installs them).
# In the guest: STT_IN_VM=1; bpffs, tracefs, debugfs, cgroup2, /dev/fd are mounted, and
# modprobe loads the package's own modules.
set -euo pipefail

KPKG=${KPKG:-}
TREE=${STT_VM_TREE:-}
TIMEOUT=${STT_VM_TIMEOUT:-3600}
CACHE=${STT_VM_CACHE:-/var/cache/stt-vm}
MEM=${STT_VM_MEM:-2048}
SMP=${STT_VM_SMP:-2}
CONSOLE_KEEP=''
CHECK=''
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Modules the initramfs needs to reach its root; their dependencies come along.
INITRD_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

say() { echo "# vm: $*" >&2; }
die() {
	say "$*"
	exit 125
}
usage() {
	sed -n '/^#   tests/,/^#   tests.*--check/p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--kpkg) KPKG=$2; shift 2 ;;
	--tree) TREE=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--cache) CACHE=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--console) CONSOLE_KEEP=$2; shift 2 ;;
	--check) CHECK=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ -n "$CHECK" ] || [ $# -gt 0 ] || usage
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout: not a number of seconds: $TIMEOUT"

# Can a VM run here? Prints the reason when not.
check() {
	local c
	[ "$(id -u)" -eq 0 ] || { echo "not root"; return 1; }
	for c in qemu-system-x86_64 depmod modprobe dpkg-deb apt-get apt-cache; do
		command -v "$c" >/dev/null || { echo "$c is not installed (scripts/deps.sh)"; return 1; }
	done
	[ -x /bin/busybox ] && file_is_static /bin/busybox ||
		{ echo "no static /bin/busybox (busybox-static; scripts/deps.sh)"; return 1; }
	[ "$(uname -m)" == x86_64 ] || { echo "not an x86_64 host"; return 1; }
}

# A static binary has no program interpreter.
file_is_static() { ! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; }

if [ -n "$CHECK" ]; then
	check
	exit
fi
reason=$(check) || die "cannot run a VM: $reason"

if [ -z "$TREE" ]; then
	TREE=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
fi
abs=$(cd "$TREE" 2>/dev/null && pwd) || die "no directory $TREE"
TREE=$abs
# The guest mounts its own /run, /dev, /proc and /sys over the host's, and its own /tmp
# unless the tree is there (a clone in /tmp: the guest then keeps the host's /tmp, under
# the same writable overlay as the rest of /).
case $TREE/ in
/run/* | /dev/* | /proc/* | /sys/*)
	die "the tree $TREE is under a directory the guest mounts its own (tmpfs) over: move it" ;;
esac
HOSTTMP=0
case $TREE/ in /tmp/*) HOSTTMP=1 ;; esac

# Everything of this run lives in one temporary directory: the initramfs and the results
# share. qemu runs under `timeout` (QEMU_PID is that process); both go on exit.
W=$(mktemp -d /tmp/stt-vm.XXXXXX)
QEMU_PID='' TAIL_PID=''
cleanup() {
	local pid
	set +e
	for pid in $QEMU_PID $TAIL_PID; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM HUP

# Follow a meta-package (linux-image-amd64, linux-image-6.12-amd64) to the image package.
resolve_kpkg() {
	local p=$1 dep _
	for _ in 1 2 3; do
		dep=$(apt-cache depends "$p" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ {print $2; exit}')
		[ -n "$dep" ] || break
		p=$dep
	done
	echo "$p"
}

known() { apt-cache show "$1" >/dev/null 2>&1; }

# Fetch, unpack and index the kernel package once: $CACHE/$KPKG/ (a stamp file names the
# .deb it came from). Sets KDIR and KVER.
prepare_kernel() {
	local deb
	KDIR=$CACHE/$KPKG
	if [ ! -e "$KDIR/.stt-vm-unpacked" ]; then
		deb=$(ls "$CACHE/${KPKG}"_*.deb 2>/dev/null | tail -n 1 || true)
		if [ -z "$deb" ]; then
			if ! known "$KPKG"; then
				say "apt does not know $KPKG: apt-get update"
				apt-get update -q >&2 </dev/null || die "apt-get update failed"
				known "$KPKG" || die "no Debian package $KPKG"
			fi
			say "downloading $KPKG"
			(cd "$CACHE" && apt-get download -q "$KPKG" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
				true
			deb=$(ls "$CACHE/${KPKG}"_*.deb 2>/dev/null | tail -n 1 || true)
			[ -n "$deb" ] || die "apt-get download $KPKG failed"
		fi
		say "unpacking $(basename "$deb")"
		rm -rf "$KDIR"
		dpkg-deb -x "$deb" "$KDIR.tmp" || die "dpkg-deb -x $deb failed"
		KVER=$(ls "$KDIR.tmp/lib/modules" 2>/dev/null | head -n 1)
		[ -n "$KVER" ] || die "$deb has no lib/modules/<version>"
		depmod -b "$KDIR.tmp" "$KVER" || die "depmod failed"
		basename "$deb" >"$KDIR.tmp/.stt-vm-unpacked"
		mv "$KDIR.tmp" "$KDIR"
	fi
	KVER=$(ls "$KDIR/lib/modules" | head -n 1)
	[ -f "$KDIR/boot/vmlinuz-$KVER" ] || die "no $KDIR/boot/vmlinuz-$KVER"
}

# The initramfs: busybox, INITRD_MODULES with their dependencies (in load order, from the
# package's modules.dep; compressed ones unpacked for busybox's insmod), tests/vm/init.
build_initramfs() {
	local d=$W/initramfs m f name
	mkdir -p "$d"/{bin,dev,proc,sys,modules,lower,rw,newroot}
	cp /bin/busybox "$d/bin/busybox"
	ln -s busybox "$d/bin/sh"
	cp "$HERE/init" "$d/init"
	chmod 0755 "$d/init"
	: >"$d/modules/order"
	for m in "${INITRD_MODULES[@]}"; do
		modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" ||
			die "module $m (or a dependency) is missing from $KPKG"
	done | awk '$1 == "insmod" && !seen[$2]++ {print $2}' >"$W/modules.list"
	while read -r f; do
		name=$(basename "$f")
		case $name in
		*.ko.xz) xz -dc "$f" >"$d/modules/${name%.xz}"; name=${name%.xz} ;;
		*.ko.zst) zstd -qdc "$f" >"$d/modules/${name%.zst}"; name=${name%.zst} ;;
		*.ko.gz) gzip -dc "$f" >"$d/modules/${name%.gz}"; name=${name%.gz} ;;
		*) cp "$f" "$d/modules/" ;;
		esac
		echo "$name" >>"$d/modules/order"
	done <"$W/modules.list"
	[ -s "$d/modules/order" ] || say "note: $KPKG has virtio, 9p and overlay built in"
	(cd "$d" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$W/initramfs.gz"
}

mkdir -p "$CACHE"
# One download or unpack at a time; concurrent runs of the same package wait here.
exec 9>"$CACHE/.lock"
flock 9
[ -n "$KPKG" ] && [ "$KPKG" != default ] || KPKG=linux-image-amd64
if ! known "$KPKG" && [ ! -e "$CACHE/$KPKG/.stt-vm-unpacked" ]; then
	say "apt does not know $KPKG: apt-get update"
	apt-get update -q >&2 </dev/null || die "apt-get update failed"
fi
[ -e "$CACHE/$KPKG/.stt-vm-unpacked" ] || KPKG=$(resolve_kpkg "$KPKG")
prepare_kernel
flock -u 9
exec 9>&-
build_initramfs

# The command, run by the guest's init in the tree.
RES=$W/results
mkdir -p "$RES"
{
	printf 'cd %q || exit 125\n' "$TREE"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$RES/cmd.sh"
: >"$RES/output"

say "$KPKG ($KVER), tree $TREE, ${MEM} MiB, $SMP CPUs, limit ${TIMEOUT}s: $*"
start=$(date +%s)
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
	-accel tcg -cpu max -m "$MEM" -smp "$SMP" \
	-nographic -monitor none -serial "file:$W/console.log" -no-reboot -nic none \
	-kernel "$KDIR/boot/vmlinuz-$KVER" -initrd "$W/initramfs.gz" \
	-append "console=ttyS0 rdinit=/init panic=-1 loglevel=4 mitigations=off sttvm_hosttmp=$HOSTTMP sttvm_kmods=$KDIR/lib/modules/$KVER" \
	-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap" \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-fsdev "local,id=results,path=$RES,security_model=none,multidevs=remap" \
	-device virtio-9p-pci,fsdev=results,mount_tag=results \
	</dev/null >"$W/qemu.log" 2>&1 &
QEMU_PID=$!
# The guest's output as it comes; tail ends once qemu has (after a last read).
tail -c +1 -f --pid="$QEMU_PID" "$RES/output" &
TAIL_PID=$!
rc=0
wait "$QEMU_PID" || rc=$?
QEMU_PID=''
wait "$TAIL_PID" || true
TAIL_PID=''
took=$(($(date +%s) - start))
[ -z "$CONSOLE_KEEP" ] || cp "$W/console.log" "$CONSOLE_KEEP"

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	say "time limit of ${TIMEOUT}s reached: qemu killed"
	status=124
elif [ -s "$RES/status" ]; then
	status=$(cat "$RES/status")
else
	say "the guest ended without a status (qemu exit status $rc); console and qemu output:"
	tail -n 40 "$W/console.log" "$W/qemu.log" | sed 's/\r$//; s/^/# vm:   /' >&2
	[ ! -s "$RES/init.err" ] || sed 's/^/# vm:   /' "$RES/init.err" >&2
	status=125
fi
say "guest booted in $(cat "$RES/boot-time" 2>/dev/null || echo ?)s of its uptime; ${took}s in all; exit status $status"
exit "$status"
