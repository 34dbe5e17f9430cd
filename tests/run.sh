#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Run every test suite: the unit tests (build/stt_unit) and each tests/netns/test_*.sh.
# Each suite must end with a line `N passed, N failed[, N skipped]`; a suite that ends
# without one (a crash, a timeout) counts as one failure, and so does one that exits non-zero
# while reporting no failure. The last line printed here is the totals; exit 1 on failure.
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

PASSED=0 FAILED=0 SKIPPED=0
SUMMARY_RE='^([A-Za-z_-]+: )?([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'
LOG=$(mktemp /tmp/stt-run.XXXXXX)
trap 'rm -f "$LOG"' EXIT

# run_suite NAME TIMEOUT CMD...
run_suite() {
	local name=$1 limit=$2 rc line p f s
	shift 2
	echo "# === $name"
	timeout --kill-after=10 "$limit" "$@" </dev/null 2>&1 | tee "$LOG"
	rc=${PIPESTATUS[0]}
	line=$(grep -E "$SUMMARY_RE" "$LOG" | tail -n 1)
	if [ -z "$line" ]; then
		[ "$rc" -eq 124 ] && echo "# $name: timed out after ${limit}s"
		echo "not ok - $name: ended without a summary line (exit status $rc)"
		FAILED=$((FAILED + 1))
		return
	fi
	[[ $line =~ $SUMMARY_RE ]]
	p=${BASH_REMATCH[2]} f=${BASH_REMATCH[3]} s=${BASH_REMATCH[5]:-0}
	PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name: exit status $rc although it reported no failure"
		FAILED=$((FAILED + 1))
	fi
	echo "# $name: $p passed, $f failed, $s skipped (exit status $rc)"
}

if [ -x build/stt_unit ]; then
	run_suite "unit tests" 300 build/stt_unit
else
	echo "skip - unit tests: build/stt_unit is not built (run make)"
	SKIPPED=$((SKIPPED + 1))
fi

if [ -x build/reasm_test ]; then
	run_suite "reassembly unit tests" 120 build/reasm_test
else
	echo "skip - reassembly unit tests: build/reasm_test is not built (run make)"
	SKIPPED=$((SKIPPED + 1))
fi

# The BPF programs fuzzed through BPF_PROG_TEST_RUN: a short run (tests/fuzz/README.md).
if [ -x build/stt_bpf_fuzz ]; then
	run_suite "BPF fuzz (short run)" 300 build/stt_bpf_fuzz -n 2000
else
	echo "skip - BPF fuzz: build/stt_bpf_fuzz is not built (run make)"
	SKIPPED=$((SKIPPED + 1))
fi

# The same tests built with ASan+UBSan, and a short run of each libFuzzer target (make
# fuzz-build; see tests/fuzz/README.md). FUZZ_SHORT: seconds per target (default 10).
if [ -x build/reasm_test_asan ]; then
	run_suite "reassembly unit tests (ASan+UBSan)" 300 env ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build/reasm_test_asan
else
	echo "skip - reassembly unit tests (ASan+UBSan): not built (run make fuzz-build)"
	SKIPPED=$((SKIPPED + 1))
fi
if [ -x build/stt_unit_asan ]; then
	run_suite "unit tests (ASan+UBSan)" 300 env ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build/stt_unit_asan
else
	echo "skip - unit tests (ASan+UBSan): not built (run make fuzz-build)"
	SKIPPED=$((SKIPPED + 1))
fi
for t in fuzz_reasm fuzz_parsers fuzz_piece fuzz_apply; do
	if [ -x "build/fuzz/$t" ]; then
		run_suite "fuzz: $t" 180 tests/fuzz/run_short.sh "$t" "${FUZZ_SHORT:-10}"
	else
		echo "skip - fuzz: $t: build/fuzz/$t is not built (run make fuzz-build)"
		SKIPPED=$((SKIPPED + 1))
	fi
done

for t in tests/netns/test_*.sh; do
	[ -e "$t" ] || continue
	run_suite "$t" 900 bash "$t"
done

echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
