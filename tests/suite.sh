# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Suite accounting for tests/run.sh and tests/vm/guest.sh. Source it; it defines functions
# and counters and runs nothing.
#
# Each suite must end with a line `N passed, N failed[, N skipped]`; a suite that ends
# without one (a crash, a timeout) counts as one failure, and so does one that exits non-zero
# while reporting no failure. suite_totals prints the totals as the last line and returns 1
# if anything failed.

PASSED=0 FAILED=0 SKIPPED=0
SUMMARY_RE='^([A-Za-z_-]+: )?([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'
SUITE_LOG=$(mktemp /tmp/stt-suite.XXXXXX)
trap 'rm -f "$SUITE_LOG"' EXIT

# run_suite NAME TIMEOUT CMD...
run_suite() {
	local name=$1 limit=$2 rc line p f s t0
	shift 2
	echo "# === $name"
	t0=$SECONDS
	timeout --kill-after=10 "$limit" "$@" </dev/null 2>&1 | tee "$SUITE_LOG"
	rc=${PIPESTATUS[0]}
	line=$(grep -E "$SUMMARY_RE" "$SUITE_LOG" | tail -n 1)
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
	echo "# $name: $p passed, $f failed, $s skipped (exit status $rc, $((SECONDS - t0))s)"
}

# skip_suite NAME REASON: a suite that cannot run here counts as one skip.
skip_suite() {
	echo "skip - $1: $2"
	SKIPPED=$((SKIPPED + 1))
}

# run_built NAME TIMEOUT PROGRAM [ARGS...]: run_suite if PROGRAM is built, else a skip.
run_built() {
	if [ -x "$3" ]; then
		run_suite "$@"
	else
		skip_suite "$1" "$3 is not built (run make)"
	fi
}

suite_totals() {
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
}
