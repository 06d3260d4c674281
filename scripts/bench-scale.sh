#!/bin/sh
# The cost of a large inittab for PID 1 (a part of the benchmarks). Boots the
# release build of our init as PID 1 of a PID namespace (needs root, as the
# namespace tests do) with a 10,000-line inittab whose 2,000 level-2 entries
# run, and prints:
#   - PID 1's VmRSS after boot and after each of 20 `telinit q`;
#   - its CPU time (user + system, from /proc) per reload of the 10,000 lines;
#   - its CPU time to stop the 2,000 respawn entries (`telinit 3`).
# The measurement is the ignored test `scale_measurement` of
# tests/ns_robust_parse.rs; this script runs it and shows its figures.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! cargo test --release --quiet --test ns_robust_parse -- \
	--ignored --exact scale_measurement --nocapture >"$out" 2>&1; then
	cat "$out"
	exit 1
fi
echo "PID 1 with a 10,000-line inittab (2,000 entries running):"
grep -E '^(VmRSS|CPU)' "$out" | sed 's/^/  /'
