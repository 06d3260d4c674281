#!/bin/sh
# Benchmarks of the rc runner (`make bench`). Builds the release binary, then
# generates init-script trees in a temporary directory and times
# `rc --root TREE 2` on each, beside its baseline and target:
#   1. 200 trivial scripts   vs a sequential shell loop over the same links
#                            (target: no slower than the loop);
#   2. 200 independent 50 ms scripts and
#   3. a 200-script DAG of 50 ms scripts, 10 levels deep
#                            (target: within 1.5x of max(critical path,
#                            total work / concurrency limit)).
# Each time is the best of $RUNS runs (default 5), for the baseline loop as for
# rc: the machine may be busy with other work, which only ever adds time.
# Exits 1 if a target is missed.
set -eu
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$(pwd)/target/release/vinit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

runs=${RUNS:-5}
cpus=$(nproc)
jobs=$((4 * cpus)); [ "$jobs" -lt 8 ] && jobs=8   # rc's default (rc.8)

now_ns() { date +%s%N; }

# tree DIR NAME DEPS BODY: one LSB script linked as rc2.d/S01NAME.
script() {
	mkdir -p "$1/etc/init.d" "$1/etc/rc2.d"
	cat >"$1/etc/init.d/$2" <<EOF
#!/bin/sh
### BEGIN INIT INFO
# Provides: $2
# Required-Start: $3
# Default-Start: 2
### END INIT INFO
$4
EOF
	chmod 755 "$1/etc/init.d/$2"
	ln -s "../init.d/$2" "$1/etc/rc2.d/S01$2"
}

# best COMMAND...: seconds (3 decimals), the best of $runs runs of COMMAND.
best() {
	n=0 min=""
	while [ $n -lt "$runs" ]; do
		t0=$(now_ns)
		"$@" >/dev/null
		t1=$(now_ns)
		t=$((t1 - t0))
		if [ -z "$min" ] || [ $t -lt "$min" ]; then min=$t; fi
		n=$((n + 1))
	done
	echo "$min" | awk '{ printf "%.3f", $1 / 1e9 }'
}

# time_rc DIR: seconds for `rc --root DIR 2`.
time_rc() {
	: >"$1/etc/insserv.conf"
	best "$bin" rc --root "$1" 2
}

# loop DIR: the baseline, each link of DIR/etc/rc2.d run in turn by the shell.
loop() {
	for s in "$1"/etc/rc2.d/S*; do "$s" start; done
}

failed=0
# report NAME MEASURED BASELINE_TEXT TARGET
report() {
	ok=$(echo "$2 $4" | awk '{ print ($1 <= $2) ? "ok" : "MISSED" }')
	[ "$ok" = ok ] || failed=1
	printf '%-34s %7.3f s   %-40s target <= %.3f s  %s\n' "$1" "$2" "$3" "$4" "$ok"
}

echo "rc benchmarks: $cpus CPUs, concurrency limit $jobs, best of $runs runs"

# 1. Trivial scripts.
d=$work/trivial
i=0; while [ $i -lt 200 ]; do script "$d" "t$i" "" "exit 0"; i=$((i + 1)); done
loop=$(best loop "$d")
ours=$(time_rc "$d")
report "200 trivial scripts" "$ours" "(sequential shell loop: $loop s)" "$loop"

# 2. Independent 50 ms scripts.
d=$work/independent
i=0; while [ $i -lt 200 ]; do script "$d" "s$i" "" "sleep 0.05"; i=$((i + 1)); done
ideal=$(awk -v j="$jobs" 'BEGIN { w = 200 * 0.05 / j; printf "%.3f", (w > 0.05 ? w : 0.05) }')
target=$(awk -v i="$ideal" 'BEGIN { printf "%.3f", 1.5 * i }')
report "200 independent 50 ms scripts" "$(time_rc "$d")" "(ideal max(0.050, 10.000/$jobs) = $ideal s)" "$target"

# 3. A DAG: 10 levels of 20; each script needs two of the level before.
d=$work/dag
level=0
while [ $level -lt 10 ]; do
	i=0
	while [ $i -lt 20 ]; do
		deps=""
		if [ $level -gt 0 ]; then
			p=$((level - 1))
			deps="d${p}_$i d${p}_$(((i + 7) % 20))"
		fi
		script "$d" "d${level}_$i" "$deps" "sleep 0.05"
		i=$((i + 1))
	done
	level=$((level + 1))
done
ideal=$(awk -v j="$jobs" 'BEGIN { w = 200 * 0.05 / j; printf "%.3f", (w > 0.5 ? w : 0.5) }')
target=$(awk -v i="$ideal" 'BEGIN { printf "%.3f", 1.5 * i }')
report "200-script DAG, 10 levels" "$(time_rc "$d")" "(ideal max(path 0.500, 10.000/$jobs) = $ideal s)" "$target"

exit $failed
