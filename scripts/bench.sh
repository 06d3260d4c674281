#!/bin/sh
# `make bench`: one table, every figure of vinit beside its baseline measured in
# the same run and its target, marked met or MISSED.
#
#   1. PID 1 of a namespace (examples/bench.rs, on the test harness): vinit's
#      init, Debian's sysvinit init and BusyBox init, each with a small inittab,
#      Debian's own inittab (stand-ins for getty and rc) and one with 50 respawn
#      entries: VmRSS and its anonymous (private) and file parts once idle. The
#      three booted side by side, taking turns for $RUNS rounds (default 5):
#      2,000 orphans exiting at once (reaped per second, PID 1's CPU), and the
#      telinit round trip (request to /run/initctl -> RUN_LVL record in utmp),
#      each the median of the rounds with their range. vinit with 1,000
#      supervised services and with none, in turn: PID 1's CPU per orphan
#      reaped. 20 supervised services tracked by cgroup and the same untracked
#      (no cgroup2), each stopped and started with `service` in turn: PID 1's
#      CPU per start and its VmRSS. vinit's init and rc booting a namespace $RUNS times through
#      Debian's inittab and rcS into a tree of scripts that sleep, on the
#      machine's clock: PID 1's exec to rc's first fork, a request for level
#      3 to rc's first fork there, rc's wall time minus the critical path per
#      level (medians). And the size of the binary.
#      The small build for BusyBox systems (`make small`: no rc feature, musl):
#      its size and its PID 1 with an inittab in BusyBox's grammar, beside
#      BusyBox's binary and its init with the same inittab.
#   2. The rc runner on generated script trees (`rc --root TREE 2`):
#      200 trivial scripts vs a sequential shell loop over the same links;
#      200 independent 50 ms scripts and a 200-script DAG of 50 ms scripts,
#      10 levels deep, vs max(critical path, total work / concurrency limit).
#      Each time is the best of $RUNS runs (default 5): the machine may be busy
#      with other work, which only ever adds time; the loop's runs and rc's
#      alternate.
#   3. The Debian VM (skipped with BENCH_VM=0): the root of the VM tests, with
#      two scripts of the bench's (one early in level S, one in level 3 only),
#      booted $BOOTS times each (default 5) with sysvinit + startpar and with
#      vinit's init + rc, alternating; the median uptime at which the serial
#      getty starts (rc 2 has ended) and the median of each boot pair's ratio,
#      with its 90 % bootstrap interval; PID 1's memory after boot; timed on the
#      guest's own clock (kernel log and rc's run record, medians): PID 1's exec
#      to rc's first fork, `telinit 3` to rc's first fork in level 3, and rc's
#      wall time minus the scripts' critical path in levels S, 2 and 3. Only
#      one VM runs at a time on the machine: the section holds the lock file
#      $VINIT_VM_LOCK (default target/vm/bench.lock).
#
# The table goes to standard output once everything is measured, its last line
# the number of targets missed; progress goes to standard error as it happens.
# Needs root (namespaces, chroot, mknod), as the tests do.
#
#   scripts/bench.sh [--strict]
#
# Exits 0 once every figure is measured, whatever targets were missed (each
# row says met or MISSED); with --strict (`make bench BENCH_STRICT=1`, for CI)
# a missed target exits 1. A measurement that fails exits 2.
set -eu
cd "$(dirname "$0")/.."
strict=0
case "${1-}" in
--strict) strict=1 ;;
"") ;;
*) echo "usage: $0 [--strict]" >&2; exit 2 ;;
esac
# set -e ends the script on a failed measurement: with status 2, apart from a miss.
work="" finished=0
trap 'status=$?; [ -z "$work" ] || rm -rf "$work"; [ "$status" -eq 0 ] || [ "$finished" = 1 ] || exit 2' EXIT
progress() { echo "bench: $*" >&2; }
progress "building"
# The binary alone, as `make build` makes it: built together with the examples, the
# dev-dependencies' features would change its dependencies' code.
cargo build --release --quiet --bins
cargo build --release --quiet --examples
make -s small >/dev/null
bin=$(pwd)/target/release/vinit
small=$(pwd)/target/small/$(uname -m)-unknown-linux-musl/release/vinit
bench=$(pwd)/target/release/examples/bench
work=$(mktemp -d)
table=$work/table

runs=${RUNS:-5}
boots=${BOOTS:-5}
cpus=$(nproc)
jobs=$((4 * cpus)); [ "$jobs" -lt 8 ] && jobs=8   # rc's default (rc.8)
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)

targets=0 missed=0
# row FIGURE VALUE BASELINE TARGET_TEXT MET(yes|no|-): a line of the table.
row() {
	case $5 in
	yes) mark=met; targets=$((targets + 1)) ;;
	no) mark=MISSED; targets=$((targets + 1)); missed=$((missed + 1)) ;;
	*) mark="" ;;
	esac
	printf '%-40s %-12s %-36s %-30s %s\n' "$1" "$2" "$3" "$4" "$mark" >>"$table"
}
# holds A OP B: awk comparison of two numbers, printing yes or no.
holds() { awk -v a="$1" -v b="$3" "BEGIN { print (a $2 b) ? \"yes\" : \"no\" }"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

{
	echo "vinit benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $cpus CPUs ($model)"
	echo
	printf '%-40s %-12s %-36s %-30s %s\n' figure vinit baseline target ""
} >"$table"

# 1. PID 1 in a namespace.
progress "PID 1 in a namespace: memory of vinit, sysvinit and busybox on three inittabs"
"$bench" ns >"$work/ns"
get() { awk -F '\t' -v f="$1" -v s="$2" '$1 == f && $2 == s { print $3 }' "$work/ns"; }

# memory PREFIX WHAT: the memory rows of one inittab (figures PREFIX:VmRSS...).
memory() {
	rss=$(get "$1VmRSS" vinit) sysv_rss=$(get "$1VmRSS" sysvinit) bb_rss=$(get "$1VmRSS" busybox)
	row "PID 1 VmRSS, $2 (kB)" "$rss" "sysvinit $sysv_rss, busybox $bb_rss" \
		"<= 1.0x sysvinit: $(ratio "$rss" "$sysv_rss")x" "$(holds "$rss" '<=' "$sysv_rss")"
	stretch=$((sysv_rss * 3 / 4))
	row "  stretch" "$rss" "0.75 x sysvinit = $stretch" "<= 0.75x sysvinit" "$(holds "$rss" '<=' "$stretch")"
	anon=$(get "$1RssAnon" vinit) sysv_anon=$(get "$1RssAnon" sysvinit)
	row "  private (RssAnon, kB)" "$anon" "sysvinit $sysv_anon, busybox $(get "$1RssAnon" busybox)" \
		"<= sysvinit" "$(holds "$anon" '<=' "$sysv_anon")"
	row "  file pages (RssFile, kB)" "$(get "$1RssFile" vinit)" \
		"sysvinit $(get "$1RssFile" sysvinit), busybox $(get "$1RssFile" busybox)" "-" -
}
memory "" "small inittab"
memory "debian:" "Debian's inittab"
memory "respawn50:" "50 respawn entries"
size=$(stat -c %s "$bin")
sysv_init=$(find target/debian-pkg/sysvinit-core+sysvinit-utils/root -path '*sbin/init' -type f | head -n 1)
row "binary size (bytes)" "$size" "sysvinit init $(stat -c %s "$sysv_init"), busybox $(stat -c %s /bin/busybox)" \
	"- (what PID 1 maps: see VmRSS)" -

progress "PID 1 in a namespace: orphans and telinit, $runs rounds, the inits in turn"
"$bench" reap "$runs" >"$work/reap"
reap() { awk -F '\t' -v f="$1" -v s="$2" '$1 == f && $2 == s { print $3 }' "$work/reap"; }
orph=$(reap orphans_per_s vinit) sysv_orph=$(reap orphans_per_s sysvinit)
row "orphans reaped per second (2,000)" "$orph" "sysvinit $sysv_orph, busybox $(reap orphans_per_s busybox)" \
	">= sysvinit (medians of $runs)" "$(holds "$orph" '>=' "$sysv_orph")"
row "  range" "$(reap orphans_per_s_range vinit)" \
	"sysvinit $(reap orphans_per_s_range sysvinit)" "-" -
row "  PID 1 CPU for them, median (ms)" "$(reap orphans_cpu_ms vinit)" \
	"sysvinit $(reap orphans_cpu_ms sysvinit), busybox $(reap orphans_cpu_ms busybox)" "-" -
row "  range" "$(reap orphans_cpu_ms_range vinit)" \
	"sysvinit $(reap orphans_cpu_ms_range sysvinit)" "-" -
tel=$(reap telinit_ms vinit) sysv_tel=$(reap telinit_ms sysvinit)
row "telinit round trip (ms)" "$tel" "sysvinit $sysv_tel" \
	"<= sysvinit (medians of $runs)" "$(holds "$tel" '<=' "$sysv_tel")"
row "  range" "$(reap telinit_ms_range vinit)" "sysvinit $(reap telinit_ms_range sysvinit)" "-" -

progress "PID 1 in a namespace: CPU per orphan with 1,000 supervised services, $runs rounds"
"$bench" supervise "$runs" >"$work/supervise"
sup() { awk -F '\t' -v f="$1" -v s="$2" '$1 == f && $2 == s { print $3 }' "$work/supervise"; }
per=$(sup orphan_cpu_ms services)
row "PID 1 CPU per orphan, 1,000 services (ms)" "$per" "no services $(sup orphan_cpu_ms none)" \
	"<= 0.5 (median of $runs)" "$(holds "$per" '<=' 0.5)"
row "  range" "$(sup orphan_cpu_ms_range services)" "no services $(sup orphan_cpu_ms_range none)" "-" -

progress "PID 1 in a namespace: what tracking services by cgroup costs, $runs rounds"
"$bench" tracking "$runs" >"$work/tracking"
trk() { awk -F '\t' -v f="$1" -v s="$2" '$1 == f && $2 == s { print $3 }' "$work/tracking"; }
row "PID 1 CPU per service start, tracked (ms)" "$(trk start_cpu_ms tracked)" \
	"untracked $(trk start_cpu_ms untracked)" "-" -
row "  range" "$(trk start_cpu_ms_range tracked)" "untracked $(trk start_cpu_ms_range untracked)" "-" -
rss=$(trk tracking:VmRSS tracked) base=$(trk tracking:VmRSS untracked)
bound=$(awk -v b="$base" 'BEGIN { print 1.05 * b }')
row "PID 1 VmRSS, 20 tracked services (kB)" "$rss" "untracked $base" \
	"<= 1.05x untracked: $(ratio "$rss" "$base")x" "$(holds "$rss" '<=' "$bound")"
row "  private (RssAnon, kB)" "$(trk tracking:RssAnon tracked)" "untracked $(trk tracking:RssAnon untracked)" "-" -

progress "PID 1 in a namespace: vinit and rc through Debian's inittab and rcS, $runs boots"
"$bench" boot "$runs" >"$work/boot"
boot() { awk -F '\t' -v f="$1" '$1 == f && $2 == "vinit" { print $3 }' "$work/boot"; }
fork=$(boot boot_exec_to_fork_ms)
row "namespace boot: PID 1 exec to rc's 1st fork (ms)" "$fork" "range $(boot boot_exec_to_fork_ms_range)" \
	"<= 20 (median of $runs)" "$(holds "$fork" '<=' 20)"
fork=$(boot boot_telinit_to_fork_ms)
row "  level 3 requested to rc's 1st fork (ms)" "$fork" "range $(boot boot_telinit_to_fork_ms_range)" \
	"<= 20" "$(holds "$fork" '<=' 20)"
for level in S 2 3; do
	pct=$(boot "boot_rc_overhead_pct_$level")
	row "  rc $level: wall - critical path (ms)" "$(boot "boot_rc_overhead_ms_$level")" \
		"$pct % of the critical path" "<= 3 %" "$(holds "$pct" '<=' 3)"
done

# 1b. The small build, with a BusyBox inittab.
"$bench" ns-busybox "$small" >>"$work/ns"
small_size=$(stat -c %s "$small") bb_size=$(stat -c %s /bin/busybox)
row "small build: binary size (bytes)" "$small_size" "busybox $bb_size" \
	"<= 1 MiB (1048576)" "$(holds "$small_size" '<=' 1048576)"
rss=$(get VmRSS_busybox_inittab vinit) bb_rss=$(get VmRSS_busybox_inittab busybox)
row "small build: PID 1 VmRSS (kB)" "$rss" "busybox init $bb_rss, same inittab" \
	"<= busybox init" "$(holds "$rss" '<=' "$bb_rss")"
row "  of it private (RssAnon, kB)" "$(get RssAnon_busybox_inittab vinit)" \
	"busybox init $(get RssAnon_busybox_inittab busybox)" "-" -

# 2. The rc runner.
now_ns() { date +%s%N; }

# script DIR NAME DEPS BODY: one LSB script linked as rc2.d/S01NAME.
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

# once COMMAND...: seconds (3 decimals) for one run of COMMAND.
once() {
	t0=$(now_ns)
	"$@" >/dev/null
	t1=$(now_ns)
	echo $((t1 - t0)) | awk '{ printf "%.3f", $1 / 1e9 }'
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

progress "rc: 200 trivial scripts against a shell loop, best of $runs"
# 2.1 Trivial scripts: runs of the loop and of rc alternate, so that a change in
# the machine's load falls on both.
d=$work/trivial
i=0; while [ $i -lt 200 ]; do script "$d" "t$i" "" "exit 0"; i=$((i + 1)); done
: >"$d/etc/insserv.conf"
loop="" ours="" n=0
while [ $n -lt "$runs" ]; do
	loop=$(once loop "$d" | awk -v m="$loop" '{ print (m == "" || $1 < m) ? $1 : m }')
	ours=$(once "$bin" rc --root "$d" 2 | awk -v m="$ours" '{ print (m == "" || $1 < m) ? $1 : m }')
	n=$((n + 1))
done
bound=$(awk -v l="$loop" 'BEGIN { printf "%.4f", 0.8 * l }')
row "rc: 200 trivial scripts (s)" "$ours" "sequential shell loop $loop" \
	"<= 0.8x loop: $(ratio "$ours" "$loop")x" "$(holds "$ours" '<=' "$bound")"

# 2.2 Independent 50 ms scripts.
progress "rc: 200 independent 50 ms scripts"
d=$work/independent
i=0; while [ $i -lt 200 ]; do script "$d" "s$i" "" "sleep 0.05"; i=$((i + 1)); done
ideal=$(awk -v j="$jobs" 'BEGIN { w = 200 * 0.05 / j; printf "%.3f", (w > 0.05 ? w : 0.05) }')
target=$(awk -v i="$ideal" 'BEGIN { printf "%.3f", 1.5 * i }')
ours=$(time_rc "$d")
row "rc: 200 independent 50 ms scripts (s)" "$ours" "ideal $ideal (limit $jobs)" \
	"<= 1.5x ideal = $target" "$(holds "$ours" '<=' "$target")"

# 2.3 A DAG: 10 levels of 20; each script needs two of the level before.
progress "rc: a 200-script DAG"
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
ours=$(time_rc "$d")
row "rc: 200-script DAG, 10 levels (s)" "$ours" "ideal $ideal (path 0.5)" \
	"<= 1.5x ideal = $target" "$(holds "$ours" '<=' "$target")"

# 3. The Debian VM.
if [ "${BENCH_VM:-1}" != 0 ]; then
	progress "Debian VM: $boots boots each of sysvinit and vinit"
	lock=${VINIT_VM_LOCK:-target/vm/bench.lock}
	mkdir -p "$(dirname "$lock")"
	flock "$lock" "$bench" vm "$boots" >"$work/vm"
	vm() { awk -F '\t' -v f="$1" -v s="$2" '$1 == f && $2 == s { print $3 }' "$work/vm"; }
	med() { vm "$1" "$2" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	all() { vm "$1" "$2" | tr '\n' ' '; }
	ours=$(med vm_getty_s vinit) theirs=$(med vm_getty_s sysvinit)
	interval=$(vm vm_ratio_interval vinit)
	row "Debian VM: uptime at getty, median (s)" "$ours" "sysvinit+startpar $theirs" "-" -
	row "  each boot (s)" "$(all vm_getty_s vinit)" "$(all vm_getty_s sysvinit)" "-" -
	row "  vinit/sysvinit, median of pairs" "$(vm vm_ratio vinit)" "90 % interval $interval (bootstrap)" \
		"interval below 1.0" "$(holds "${interval#*-}" '<' 1.0)"
	row "  scripts' critical path, median (s)" "$(med vm_critical_path_s vinit)" \
		"(rc S + rc 2, from the run record)" "-" -
	rss=$(med vm_VmRSS vinit) sysv_rss=$(med vm_VmRSS sysvinit)
	row "Debian VM: PID 1 VmRSS, median (kB)" "$rss" "sysvinit $sysv_rss" \
		"<= 1.0x sysvinit: $(ratio "$rss" "$sysv_rss")x" "$(holds "$rss" '<=' "$sysv_rss")"
	stretch=$((sysv_rss * 3 / 4))
	row "  stretch" "$rss" "0.75 x sysvinit = $stretch" "<= 0.75x sysvinit" "$(holds "$rss" '<=' "$stretch")"
	anon=$(med vm_RssAnon vinit) sysv_anon=$(med vm_RssAnon sysvinit)
	row "  private (RssAnon, kB)" "$anon" "sysvinit $sysv_anon" "<= sysvinit" "$(holds "$anon" '<=' "$sysv_anon")"
	row "  file pages (RssFile, kB)" "$(med vm_RssFile vinit)" "sysvinit $(med vm_RssFile sysvinit)" "-" -
	fork=$(med vm_exec_to_fork_ms vinit)
	row "Debian VM: PID 1 exec to rc's 1st fork (ms)" "$fork" \
		"to 1st script running: $(med vm_exec_to_script_ms vinit), sysvinit $(med vm_exec_to_script_ms sysvinit)" \
		"<= 20" "$(holds "$fork" '<=' 20)"
	fork=$(med vm_telinit_to_fork_ms vinit)
	row "  telinit 3 to rc's 1st fork (ms)" "$fork" \
		"to the script running: $(med vm_telinit_to_script_ms vinit), sysvinit $(med vm_telinit_to_script_ms sysvinit)" \
		"<= 20" "$(holds "$fork" '<=' 20)"
	for level in S 2 3; do
		pct=$(med "vm_rc_overhead_pct_$level" vinit)
		row "  rc $level: wall - critical path (ms)" "$(med "vm_rc_overhead_ms_$level" vinit)" \
			"$pct % of the critical path" "<= 3 %" "$(holds "$pct" '<=' 3)"
	done
fi

cat "$table"
echo
if [ "$missed" -eq 0 ]; then
	echo "targets missed: 0 of $targets"
else
	echo "targets missed: $missed of $targets (MISSED above)"
fi
finished=1
if [ "$strict" = 1 ] && [ "$missed" -gt 0 ]; then
	exit 1
fi
