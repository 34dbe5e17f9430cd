#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Run every test suite: the unit tests (build/stt_unit), each tests/netns/test_*.sh, and a
# subset once more inside a VM on Debian 12's kernel (make test-vm; STT_VM=0 skips it).
# Each suite must end with a line `N passed, N failed[, N skipped]` (tests/suite.sh counts
# them). The last line printed here is the totals; exit 1 on failure.
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

# shellcheck source=suite.sh
source tests/suite.sh

# The product code's style (make format-check): clang-format clean, short functions.
if command -v clang-format >/dev/null; then
	run_suite "style (make format-check)" 120 make --no-print-directory -s format-check
else
	skip_suite "style (make format-check)" "clang-format is not installed (scripts/deps.sh)"
fi
run_built "unit tests" 300 build/stt_unit
run_built "reassembly unit tests" 120 build/reasm_test
run_built "fleet schema unit tests" 60 build/fleet_test
# The etcd client against etcd servers it starts itself (loopback, private data directories).
run_built "etcd client tests" 120 build/etcd_test

# The BPF programs fuzzed through BPF_PROG_TEST_RUN: a short run (tests/fuzz/README.md).
run_built "BPF fuzz (short run)" 300 build/stt_bpf_fuzz -n 2000

# The same tests built with ASan+UBSan, and a short run of each libFuzzer target (make
# fuzz-build; see tests/fuzz/README.md). FUZZ_SHORT: seconds per target (default 10).
if [ -x build/reasm_test_asan ]; then
	run_suite "reassembly unit tests (ASan+UBSan)" 300 env ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build/reasm_test_asan
else
	skip_suite "reassembly unit tests (ASan+UBSan)" "not built (run make fuzz-build)"
fi
if [ -x build/stt_unit_asan ]; then
	run_suite "unit tests (ASan+UBSan)" 300 env ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build/stt_unit_asan
else
	skip_suite "unit tests (ASan+UBSan)" "not built (run make fuzz-build)"
fi
for t in fuzz_reasm fuzz_parsers fuzz_piece fuzz_apply fuzz_fleet; do
	if [ -x "build/fuzz/$t" ]; then
		run_suite "fuzz: $t" 180 tests/fuzz/run_short.sh "$t" "${FUZZ_SHORT:-10}"
	else
		skip_suite "fuzz: $t" "build/fuzz/$t is not built (run make fuzz-build)"
	fi
done

for t in tests/netns/test_*.sh; do
	[ -e "$t" ] || continue
	run_suite "$t" 900 bash "$t"
done

# The unit tests, the BPF programs' load check and a subset of the namespace suites once more
# inside a VM on Debian 12's own kernel (make test-vm, tests/vm/). STT_VM=0 skips it; inside
# that VM (STT_IN_VM=1) it is not run again.
VM_SUITE="Debian 12 kernel in a VM (make test-vm)"
if [ "${STT_VM:-1}" = 0 ]; then
	skip_suite "$VM_SUITE" "STT_VM=0 in the environment"
elif [ -n "${STT_IN_VM:-}" ]; then
	skip_suite "$VM_SUITE" "already inside the VM"
elif ! reason=$(tests/vm/vm.sh --check 2>&1); then
	skip_suite "$VM_SUITE" "qemu cannot run here: $reason"
else
	run_suite "$VM_SUITE" 2400 make --no-print-directory -s test-vm
fi

suite_totals
