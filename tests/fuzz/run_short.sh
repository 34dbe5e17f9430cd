#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Run one libFuzzer target for a while and report it as a test suite.
#
#   tests/fuzz/run_short.sh TARGET [SECONDS] [libFuzzer flags...]
#
# TARGET is fuzz_reasm, fuzz_parsers, fuzz_piece, fuzz_apply or fuzz_fleet (built by `make fuzz-build` into
# build/fuzz/). SECONDS defaults to 10 (the run in `make test`); `make fuzz` uses the same
# script with FUZZ_TIME. The fuzzer starts from build/fuzz/corpus/TARGET (its working corpus,
# kept between runs, where new inputs go), the committed seeds tests/fuzz/corpus/TARGET and
# the committed reproducers tests/fuzz/crashes/TARGET. A crash leaves its input in
# build/fuzz/artifacts/TARGET/.
#
# Known, reported bugs are reported as TODO (STT_FUZZ_KNOWN=todo, see README.md): counted
# neither as passed nor as failed, like the unit tests' test_todo(). Prints, last:
#   1 passed, 0 failed   no failure (and no known bug hit)
#   0 passed, 0 failed   only known bugs (TODO)
#   0 passed, 1 failed   a crash, a failed check, a leak, a timeout, or no such target
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

if [ $# -lt 1 ]; then
	echo "usage: $0 TARGET [SECONDS] [libFuzzer flags...]" >&2
	exit 2
fi
t=$1
secs=${2:-10}
shift $(($# >= 2 ? 2 : 1))

bin=build/fuzz/$t
if [ ! -x "$bin" ]; then
	echo "not ok - $t: $bin is not built (make fuzz-build)"
	echo "0 passed, 1 failed"
	exit 1
fi

case $t in
fuzz_parsers) max_len=1024 ;;
fuzz_piece) max_len=16384 ;;
fuzz_apply) max_len=8192 ;;
*) max_len=4096 ;;
esac

work=build/fuzz/corpus/$t
art=build/fuzz/artifacts/$t
mkdir -p "$work" "$art"
dirs=("$work" "tests/fuzz/corpus/$t")
[ -d "tests/fuzz/crashes/$t" ] && dirs+=("tests/fuzz/crashes/$t")
log=$(mktemp /tmp/stt-fuzz.XXXXXX)
trap 'rm -f "$log"' EXIT

export STT_FUZZ_KNOWN=todo
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len="$max_len" \
	-print_final_stats=1 -artifact_prefix="$art/" "$@" "${dirs[@]}" >"$log" 2>&1
rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' ||
	true)
echo "# $t: ${secs}s, ${runs:-?} executions, ${cov:-no coverage line}, exit status $rc"
todo=$(grep -E '^# TODO known bug' "$log" | sort -u)
[ -n "$todo" ] && echo "$todo"

if [ "$rc" -ne 0 ]; then
	# The report of the failure: the check or sanitizer message and its stack.
	grep -v -E '^#[0-9]+|^\s+NEW_FUNC|^(INFO|MERGE-OUTER):' "$log" | tail -n 60 | sed 's/^/#   /'
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	echo "not ok - $t: failed (exit status $rc)${crash:+, input in $crash}"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ -n "$todo" ]; then
	echo "not ok - $t: ${secs}s of fuzzing # TODO $(echo "$todo" | wc -l) known bug(s)," \
		"see tests/fuzz/README.md"
	echo "0 passed, 0 failed"
	exit 0
fi
echo "ok - $t: ${secs}s of fuzzing"
echo "1 passed, 0 failed"
