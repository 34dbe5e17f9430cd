#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The tests run inside the VM of tests/vm/vm.sh (make test-vm, make test-kernels), in the
# project tree that is the current directory:
#   1. stt_progcheck on build/*.bpf.o: does this kernel's verifier accept each program alone;
#   2. build/stt_unit and build/reasm_test;
#   3. the namespace suites named by the arguments (or STT_VM_SUITES): names of
#      tests/netns/test_*.sh (test_basic or basic), "all" or "none"; default: VM_CI_SUITES.
# Every step through tests/suite.sh's accounting, as tests/run.sh does it; the last line is
# the totals `N passed, N failed, N skipped`, and the exit status 1 if anything failed.
# The tools must be built on the host (make test-tools): building under emulation is slow.
#
#   tests/vm/guest.sh [SUITE...]       env: STT_VM_NETNS_TIMEOUT (s per suite, 1800)
set -u

# The CI subset (make test-vm): what fits in about 15 minutes of emulation on 2 cores, the
# suites nearest the kernel (attach paths, upgrades, TC and XDP, IPv6). Measured on Linux
# 6.1 under TCG, 2 cores: basic 103 s, ops 356 s, faults 185 s, ipv6 155 s; the others:
# header 285 (the header checks on 6.1's verifier); the others: apply 591, large 252, qos 240,
# hostile 165, exhaust 98, obs 80, mcast 77 (all: 44 min).
VM_CI_SUITES="test_basic test_ops test_faults test_ipv6 test_header"

# tests/suite.sh comes from the tree this script is in, which need not be the tree tested.
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../suite.sh
source "$SELF/tests/suite.sh"

NETNS_TIMEOUT=${STT_VM_NETNS_TIMEOUT:-1800}
if [ $# -gt 0 ]; then
	SUITES="$*"
else
	SUITES=${STT_VM_SUITES:-$VM_CI_SUITES}
fi
case $SUITES in
all) SUITES=$(cd tests/netns && ls test_*.sh | sed 's/\.sh$//') ;;
none) SUITES='' ;;
esac

# What the tests need that a bare guest may lack (vm.sh's init mounts all of it; this is
# for other VMs and for runs on a host).
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
ip link set lo up 2>/dev/null

echo "# guest: Linux $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) MiB;" \
	"tree $PWD at $(git log -1 --format=%h 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (modified)');" \
	"suites: $SUITES"

# 1. Each BPF program on its own through this kernel's verifier.
objs=(build/*.bpf.o)
if [ ! -e "${objs[0]}" ]; then
	skip_suite "BPF program load check" "no build/*.bpf.o (run make test-tools on the host)"
elif [ -x build/stt_progcheck ]; then
	run_suite "BPF program load check" 600 build/stt_progcheck "${objs[@]}"
elif [ -x "$SELF/build/stt_progcheck" ]; then
	run_suite "BPF program load check" 600 "$SELF/build/stt_progcheck" "${objs[@]}"
else
	skip_suite "BPF program load check" "build/stt_progcheck is not built (run make test-tools on the host)"
fi

# 2. The unit tests (BPF_PROG_TEST_RUN on this kernel) and the reassembly tests.
run_built "unit tests" 1200 build/stt_unit
run_built "reassembly unit tests" 300 build/reasm_test

# 3. The namespace suites.
for t in $SUITES; do
	t=tests/netns/test_${t#test_}
	t=${t%.sh}.sh
	if [ -e "$t" ]; then
		run_suite "$t" "$NETNS_TIMEOUT" bash "$t"
	else
		echo "not ok - $t: no such suite"
		FAILED=$((FAILED + 1))
	fi
done

suite_totals
