#!/bin/sh
# Runs the fuzz targets one after the other (never two at once: the machine's
# cores are shared), each from the committed seeds plus its working corpus.
#
#   fuzz/run.sh --time SECONDS [TARGET...]   bounded time per target (CI smoke)
#   fuzz/run.sh --runs N [TARGET...]         N executions per target (the record)
#
# With no TARGET, every target of fuzz/Cargo.toml. Installs what it uses when
# missing: the nightly toolchain (through rustup) and cargo-fuzz. Prints one
# summary line per target: name, executions, seconds, executions per second.
# Exits non-zero on the first crash, leaving the input in fuzz/artifacts/.
# No sanitizer (-s none): the code is safe Rust, and AddressSanitizer made the
# runs about seven times slower; panics, overflow checks and debug assertions
# are what the targets catch.
set -eu
cd "$(dirname "$0")"

limit="" mode=${1:-}
case "$mode" in
--time) limit="-max_total_time=$2" ;;
--runs) limit="-runs=$2" ;;
*) echo "usage: fuzz/run.sh --time SECONDS|--runs N [TARGET...]" >&2; exit 2 ;;
esac
shift 2

if ! cargo +nightly --version >/dev/null 2>&1; then
	if command -v rustup >/dev/null 2>&1; then
		rustup toolchain install nightly --profile minimal
	else
		echo "fuzz/run.sh: no nightly toolchain and no rustup to install one: not fuzzing" >&2
		# A bounded smoke run (CI) is skipped; a recorded run must not be.
		[ "$mode" = --time ] && exit 0
		exit 1
	fi
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

targets=${*:-$(cargo +nightly fuzz list)}
nice cargo +nightly fuzz build -O -s none

for t in $targets; do
	mkdir -p "corpus/$t"
	log=$(mktemp)
	start=$(date +%s)
	# -close_fd_mask=3: the code under test may print (shutdown's usage); libFuzzer
	# keeps its own output. -timeout: a single input taking over 10 s is a finding.
	if ! nice cargo +nightly fuzz run -O -s none "$t" "corpus/$t" "seeds/$t" -- \
		"$limit" -close_fd_mask=3 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
		tail -n 60 "$log" >&2
		rm -f "$log"
		echo "fuzz/run.sh: $t failed (input saved under fuzz/artifacts/$t/)" >&2
		exit 1
	fi
	end=$(date +%s)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	secs=$((end - start)); [ "$secs" -gt 0 ] || secs=1
	printf '%-16s %10s runs %6s s %8s exec/s\n' "$t" "$runs" "$secs" "$((runs / secs))"
	rm -f "$log"
done
