#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Install the build and test dependencies of sttctl on Debian 12, and mount bpffs.
# Idempotent and non-interactive: asks apt only when a package is missing.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

PKGS=(clang llvm libbpf-dev bpftool libxdp-dev xdp-tools libelf-dev zlib1g-dev
      libjson-c-dev libmnl-dev libmicrohttpd-dev iproute2 ethtool tcpdump tshark iperf3 iputils-ping
      pkg-config make gcc libc6-dev jq curl
      libclang-rt-14-dev  # libFuzzer + ASan/UBSan runtimes of clang 14 (make fuzz-build)
      clang-format        # make format, make format-check (a suite of make test)
      # sttctl fleet: etcd's JSON gateway over libcurl (base64 from libcrypto); the tests'
      # own etcd servers
      libcurl4-openssl-dev libssl-dev etcd-server etcd-client openssl
      # make test-vm (tests/vm/vm.sh): qemu to boot Debian's kernel package, busybox-static
      # for its initramfs, kmod for depmod on the unpacked package and modprobe in the guest
      qemu-system-x86 busybox-static kmod)

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root (apt-get install, mount bpffs)" >&2
	exit 1
fi

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps.sh: installing: ${missing[*]}"
	# tshark asks whether non-root users may capture; answer it before it is asked.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
	apt-get update -q </dev/null
	apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}" </dev/null
fi

if ! mountpoint -q /sys/fs/bpf; then
	mkdir -p /sys/fs/bpf
	mount -t bpf bpf /sys/fs/bpf
fi
