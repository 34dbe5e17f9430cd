# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Reporting for the namespace tests: one TAP-like line per test (`ok - NAME`,
# `not ok - NAME: why`, `skip - NAME: reason`), diagnostics as `#   ` lines, and the summary
# line tests/run.sh reads. Source it (after scripts/lib.sh); end the test with
# `harness_summary`, whose status says whether anything failed.

PASSED=0 FAILED=0 SKIPPED=0
ok() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
not_ok() { echo "not ok - $1${2:+: $2}"; FAILED=$((FAILED + 1)); }
skip() { echo "skip - $1: $2"; SKIPPED=$((SKIPPED + 1)); }
diag() { sed 's/^/#   /'; }

harness_summary() {
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
}

# Packet captures of a test: capture NAME NS DEV [FILTER...] starts one into
# $TMP/NAME.pcap (stt_capture_start) and sets LAST_CAP; captures_kill, in the test's
# cleanup, stops whatever is still running.
CAP_PIDS=() LAST_CAP=''
capture() {
	local name=$1 ns=$2 dev=$3
	shift 3
	stt_capture_start "$ns" "$dev" "$TMP/$name.pcap" "$@" || return 1
	CAP_PIDS+=("$STT_CAP_PID")
	LAST_CAP=$STT_CAP_PID
}

captures_kill() {
	local pid
	for pid in "${CAP_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	CAP_PIDS=()
}
