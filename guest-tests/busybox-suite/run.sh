#!/bin/sh
# busybox's own test suite, natively and under nommu.
#
#   guest-tests/busybox-suite/run.sh [OPTIONS] [APPLET...]
#
#   --native-only / --nommu-only   run one side only (no comparison)
#   --runtest-only / --hush-only   run one of the two suites only
#   APPLET...                      runtest: only these applets (default: all)
#
# Environment: OUT (work dir, default build/busybox-suite), NOMMU (the
# emulator, default target/release/nommu), NOMMU_MEM (arena, default the
# emulator's), TMO (seconds one applet process may run under nommu,
# default 180), JOBS (1 = all four runs one after the other, default 2 =
# two at a time), SKIP_TESTS (testsuite files removed from the copy,
# default mount.tests), REPORT (0: no nommu --report per run, for timing
# the suite: ~0.12 ms of CPU per applet process, and ~65 ns per syscall
# for the report's syscall counts — bc's test makes ~23 million — that
# the native side does not pay; default 1).
#
# Two suites, each run twice with the same rootfs/bin/busybox binary:
#
# 1. testsuite/runtest (busybox's `make check`). A copy of testsuite/ is
#    run with bindir=$OUT/<side>, which holds .config and `busybox`.
#    runtest links every applet name to "$bindir/busybox" in
#    $bindir/runtest-tempdir-links and puts that first in PATH; old-style
#    tests call "busybox APPLET". Native side: "$bindir/busybox" is a
#    symlink to rootfs/bin/busybox (exactly `make check`). nommu side: it
#    is `launch` (launch.c, built static-pie here), which on the host runs
#    the applet under `nommu run` (default root /: guest paths == host
#    paths, the guest starts in the host cwd) as $OUT/nommu/real/APPLET (a
#    symlink to busybox, so that comm is the applet's name) with the same
#    argv (`nommu run --argv0`), under a timeout of TMO seconds (its own,
#    as `timeout --foreground -k 5 TMO` would: an exec of coreutils'
#    timeout per applet cost ~0.5 ms that the native side does not pay);
#    inside nommu it execs that applet the same way. So every applet the harness
#    starts runs inside nommu, and an applet that execs another one by
#    PATH (xargs, find -exec, env, hush, `$(which busybox)`) finds the
#    same links and stays inside: the guest's PATH starts with
#    $OUT/nommu/links (applet -> launch) also where the harness's PATH
#    lacks runtest's links (old-style tests, where natively
#    `busybox xargs md5sum` runs the host's md5sum).
#    Programs named by absolute host paths (/bin/sh for awk's popen,
#    /bin/echo, /bin/false) are the host's, dynamically linked: nommu
#    refuses them (FAILURES.md lists those tests as not emulator bugs).
#    One edit to the copy: mdev.tests copies rootfs/bin/busybox, not
#    "$bindir/busybox", into its chroot jail on the nommu side.
#
# 2. shell/hush_test/run-all, as upstream runs it (host /bin/sh), each
#    test as "$THIS_SH ./x.tests" with THIS_SH=hush_test/hush -> the same
#    "$bindir/busybox" (native: busybox; nommu: launch, which gives the
#    guest THIS_SH=$OUT/nommu/real/hush: busybox itself, also as the
#    interpreter of the tests' #!$THIS_SH scripts). PATH starts with
#    $OUT/<side>/links (every applet -> "$bindir/busybox") on both sides,
#    so the tests' echo/cat/sed/printf (and run-all's own sed and diff)
#    are busybox applets, inside nommu on the nommu side. Stdin is a FIFO
#    that never delivers (a `read` blocks as on a terminal). One run-all
#    per hush-* module, each under a timeout.
#
# Results: $OUT/<side>/{runtest,hush}.log, the per-test failure output in
# $OUT/<side>/hush_test/*.fail, the summary in $OUT/summary.txt: counts,
# then the tests that pass natively but not under nommu. Those listed in
# guest-tests/busybox-suite/expected-failures.txt are shown as [known]
# (or [flaky]), others as [NEW]; exit status 1 when there is a [NEW] one.
set -u

# Start with no descriptors above 2: the hush redir tests count the open
# fds, and make, CI runners and terminals may leave some open (nommu
# passes only 0-2 to the guest, so natively they would show up). dash
# cannot close fds above 9: re-exec once through bash, which can.
if [ -z "${BBSUITE_CLEAN_FDS:-}" ] && command -v bash >/dev/null; then
	BBSUITE_CLEAN_FDS=1 exec bash -c '
		for f in /proc/$$/fd/*; do
			f=${f##*/}
			[ "$f" -gt 2 ] 2>/dev/null && eval "exec $f>&-"
		done
		exec "$0" "$@"' "$0" "$@"
fi
unset BBSUITE_CLEAN_FDS
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build/busybox-suite}
BB=$REPO/rootfs/bin/busybox
NOMMU=${NOMMU:-$REPO/target/release/nommu}
TMO=${TMO:-180}
JOBS=${JOBS:-2}
XFAIL=$HERE/expected-failures.txt
# nommu's on-disk image cache: the suite's own (README "The image cache on
# disk"), never the user's.
export XDG_CACHE_HOME=$OUT/xdg-cache
# mount.tests mounts tmpfs, loop devices and bind mounts on the host when
# run as root: not something to do to the host, and nommu has no mount(2).
SKIP_TESTS=${SKIP_TESTS-mount.tests}

SIDES="native nommu"
SUITES="runtest hush"
while [ $# -gt 0 ]; do
	case $1 in
	--native-only) SIDES=native ;;
	--nommu-only) SIDES=nommu ;;
	--runtest-only) SUITES=runtest ;;
	--hush-only) SUITES=hush ;;
	-h|--help) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
APPLETS="$*"

say() { echo "busybox-suite: $*" >&2; }
die() { say "$*"; exit 1; }

# The unpacked busybox source tree (rootfs/build-busybox.sh puts it there).
SRC=
for d in "$REPO"/build/busybox/busybox-[0-9]*/; do
	[ -f "$d/Makefile" ] && SRC=${d%/}
done
[ -n "$SRC" ] && [ -f "$SRC/.config" ] || die "no configured busybox source in build/busybox/ — run: make rootfs"
[ -x "$BB" ] || die "no $BB — run: make rootfs"
case $SIDES in *nommu*)
	[ -x "$NOMMU" ] || die "no $NOMMU — run: make"
	NOMMU=$(readlink -f "$NOMMU")
	[ "$(cat /proc/sys/vm/mmap_min_addr)" = 0 ] || die "vm.mmap_min_addr must be 0 — run: sudo sysctl -w vm.mmap_min_addr=0"
esac
TIMEOUT=$(command -v timeout) || die "needs timeout(1) (coreutils)"
command -v gcc >/dev/null || die "needs gcc (launch.c; testsuite/testing.sh builds an echo -ne helper)"
# Background jobs of a non-interactive shell start with SIGINT and SIGQUIT
# ignored (the two sides run side by side): give the suites the defaults.
DFL="$(command -v env) --default-signal=INT,QUIT"
$DFL true 2>/dev/null || DFL=

# ------------------------------------------------------------------ setup
# The nommu side's "$bindir/busybox" (see launch.c). With an emulator that
# has --report, every nommu run leaves a JSON report in $OUT/nommu/reports
# (unless REPORT=0).
build_launch() {
	REPORTS=
	help=$("$NOMMU" run --help 2>/dev/null)
	if [ "${REPORT:-1}" != 0 ] && echo "$help" | grep -q -- '--report'; then
		REPORTS=$OUT/nommu/reports
	fi
	# nommu runs the applet itself with the harness's argv[0] (no exec
	# of launch inside first) when it has --argv0.
	ARGV0=
	echo "$help" | grep -q -- '--argv0' && ARGV0=-DARGV0_OPTION
	gcc -specs="$REPO/guest-tests/musl-static-pie.specs" -static-pie -fPIE -O2 -Wall \
		-DBUSYBOX="\"$BB\"" -DNOMMU="\"$NOMMU\"" \
		-DTMO="\"$TMO\"" ${NOMMU_MEM:+-DMEM="\"$NOMMU_MEM\""} -DLINKS="\"$OUT/nommu/links\"" \
		${REPORTS:+-DREPORT_DIR="\"$REPORTS\""} -DREAL="\"$OUT/nommu/real\"" $ARGV0 \
		-o "$OUT/launch" "$HERE/launch.c" || die "cannot build $HERE/launch.c"
}

# setup SIDE: $OUT/SIDE = { busybox, links/, .config, testsuite/ (a
#   copy), scripts examples (links into the source), hush_test/ (a copy) }
setup() {
	side=$1
	T=$OUT/$side
	rm -rf "$T"
	mkdir -p "$T/links"
	case $side in
	native) ln -s "$BB" "$T/busybox" ;;
	nommu) cp "$OUT/launch" "$T/busybox"; mkdir -p "$T/reports" "$T/real" ;;
	esac
	for a in busybox $("$BB" --list); do
		ln -s "$T/busybox" "$T/links/$a"
		[ "$side" = nommu ] && ln -s "$BB" "$T/real/$a"
	done
	cp "$SRC/.config" "$T/.config"
	cp -pPR "$SRC/testsuite" "$T/testsuite"
	for t in $SKIP_TESTS; do
		rm -rf "$T/testsuite/$t"
	done
	# mdev.tests copies "../busybox" into a chroot jail and runs it there
	# (inside nommu on the nommu side): that must be busybox itself, not
	# launch, which cannot reach rootfs/bin/busybox from inside the jail.
	[ "$side" = nommu ] && [ -f "$T/testsuite/mdev.tests" ] &&
		sed -i "s|^cp \.\./busybox |cp $BB |" "$T/testsuite/mdev.tests"
	ln -s "$SRC/scripts" "$T/scripts"
	ln -s "$SRC/examples" "$T/examples"
	cp -pPR "$SRC/shell/hush_test" "$T/hush_test"
	ln -s "$T/busybox" "$T/hush_test/hush"
	cp "$SRC/.config" "$T/hush_test/.config"
}

# ------------------------------------------------------------------ runtest
run_runtest() {
	side=$1
	T=$OUT/$side
	cd "$T/testsuite" || return 1
	# As busybox's `make check`: bindir=objtree, srcdir=the source testsuite.
	# Stdin from /dev/null: nothing may wait on the terminal. SHELL (used
	# by taskset.tests as "taskset MASK $SHELL -c ...") is busybox sh: a
	# host shell is dynamically linked and cannot run inside nommu.
	# (Not in $bindir: old-style tests run "sh -x -e" with $bindir first
	# in PATH, and that sh must stay the host's, as in `make check`.)
	SHELL=$T/links/sh bindir=$T srcdir=$SRC/testsuite \
		$TIMEOUT -k 10 1800 $DFL ./runtest $APPLETS </dev/null >"$T/runtest.log" 2>&1
	echo $? > "$T/runtest.rc"
}

# ------------------------------------------------------------------ hush
run_hush() {
	side=$1
	T=$OUT/$side
	cd "$T/hush_test" || return 1
	: > "$T/hush.log"
	# Stdin: a FIFO opened read-write, so a read from it blocks as on a
	# terminal (signal_read1 expects `read` to wait; /dev/null's EOF
	# makes it racy).
	rm -f "$T/stdin.fifo"
	mkfifo "$T/stdin.fifo"
	for m in $(ls -d hush-*); do
		PATH=$T/links:$PATH $TIMEOUT -k 10 600 $DFL ./run-all "$m" \
			<>"$T/stdin.fifo" >>"$T/hush.log" 2>&1
		rc=$?
		[ $rc = 124 ] || [ $rc = 137 ] && echo "$m: TIMEOUT (rc $rc)" >> "$T/hush.log"
	done
	echo >> "$T/hush.log"
}

# run_queue SIDE:SUITE...: one after the other, each timed.
run_queue() {
	for task; do
		side=${task%:*}
		s=${task#*:}
		s0=$(date +%s)
		run_$s "$side"
		echo "$s $(( $(date +%s) - s0 ))" >> "$OUT/$side/times"
	done
}

# ------------------------------------------------------------------ results
# Normalised result lines "RESULT<TAB>name" (runtest: name#N for the N-th
# test of that name; hush: module/file).
results_runtest() {
	awk '/^(PASS|FAIL|SKIPPED|UNTESTED): /{
		r=$1; sub(/:$/,"",r); n=$0; sub(/^[A-Z]*: /,"",n)
		k=n; c[k]++; if (c[k]>1) k=k "#" c[k]
		print r "\t" k }' "$1"
}
results_hush() {
	# "hush-arith/arith.tests: ok" / " fail (1)" / " skip (...)"
	awk '/^hush-[^:]*:/{
		n=$0; sub(/:.*/,"",n); r=$0; sub(/^[^:]*: */,"",r)
		if (r ~ /^ok/) r="PASS"; else if (r ~ /^skip/) r="SKIPPED"; else r="FAIL"
		print r "\t" n }
	     / TIMEOUT /{ print "FAIL\t" $1 "(timeout)" }' "$1"
}
count() { # count FILE RESULT
	grep -c "^$2	" "$1" 2>/dev/null || true
}
# expected-failures.txt: "SUITE<TAB>TEST<TAB>CAUSE" lines, # comments.
# CAUSE "F ..." marks a test whose outcome depends on timing (on both
# sides): [flaky] when it fails, and no "passing now" when it passes.
known() { # known SUITE TEST -> prints the CAUSE
	[ -f "$XFAIL" ] && grep -v '^#' "$XFAIL" |
		awk -F'\t' -v s="$1" -v t="$2" '$1 == s && $2 == t { print $3; f = 1 } END { exit !f }'
}

# What the nommu runs' --report files say, added up: how runs ended
# other than by exit, the syscalls that returned ENOSYS, the no-MMU
# incompatibilities met (each with the number of runs).
reports() {
	R=$OUT/nommu/reports
	[ -d "$R" ] || return 0
	n=$(find "$R" -name '*.json' | wc -l)
	[ "$n" -gt 0 ] || return 0
	echo ""
	echo "nommu --report over $n runs:"
	find "$R" -name '*.json' -exec cat {} + | tr -d '\n' | sed 's/}{/}\n{/g' > "$OUT/nommu/reports.all"
	echo >> "$OUT/nommu/reports.all"
	grep -o '"status": {[^}]*}' "$OUT/nommu/reports.all" | grep -v '"exited"' |
		sort | uniq -c | sed 's/^/  ended: /'
	grep -o '"enosys": \[[^]]*\]' "$OUT/nommu/reports.all" |
		sed 's/^[^[]*\[//; s/\]$//' | tr ',' '\n' | sed 's/^ *"//; s/"$//' |
		grep . | sort | uniq -c | sort -rn | sed "s/^/  enosys: /"
	# Each incompatibility is an object; its call and strict answer count.
	grep -o '"call": "[^"]*", "strict": "[^"]*"' "$OUT/nommu/reports.all" |
		sed 's/^"call": "//; s/", "strict": "/ -> /; s/"$//' |
		sort | uniq -c | sort -rn | sed "s/^/  nommu_incompatibilities: /"
}

summarise() {
	S=$OUT/summary.txt
	: > "$S"
	for s in $SUITES; do
		for side in $SIDES; do
			f=$OUT/$side/$s.log
			[ -f "$f" ] || continue
			results_$s "$f" > "$OUT/$side/$s.results"
			r=$OUT/$side/$s.results
			printf '%-8s %-7s PASS %4s  FAIL %4s  SKIPPED %3s  UNTESTED %3s   (%ss)\n' \
				"$s" "$side" "$(count "$r" PASS)" "$(count "$r" FAIL)" \
				"$(count "$r" SKIPPED)" "$(count "$r" UNTESTED)" \
				"$(sed -n "s/^$s //p" "$OUT/$side/times" 2>/dev/null)" >> "$S"
		done
	done
	new=0
	if [ "$SIDES" = "native nommu" ]; then
		for s in $SUITES; do
			grep '^PASS	' "$OUT/native/$s.results" | cut -f2 | sort > "$OUT/$s.native-pass"
			grep -v '^PASS	' "$OUT/nommu/$s.results" | cut -f2 | sort > "$OUT/$s.nommu-notpass"
			comm -12 "$OUT/$s.native-pass" "$OUT/$s.nommu-notpass" > "$OUT/$s.regressions"
			grep '^FAIL	' "$OUT/native/$s.results" | cut -f2 | sort > "$OUT/$s.native-fail"
			grep '^PASS	' "$OUT/nommu/$s.results" | cut -f2 | sort > "$OUT/$s.nommu-pass"
			comm -12 "$OUT/$s.native-fail" "$OUT/$s.nommu-pass" > "$OUT/$s.fixed"
			echo "" >> "$S"
			echo "$s: pass natively, not under nommu ($(wc -l < "$OUT/$s.regressions")):" >> "$S"
			while IFS= read -r t; do
				if cause=$(known "$s" "$t"); then
					case $cause in
					F*) echo "  [flaky] $t" >> "$S" ;;
					*) echo "  [known] $t" >> "$S" ;;
					esac
				else
					echo "  [NEW]   $t" >> "$S"
					new=$((new + 1))
				fi
			done < "$OUT/$s.regressions"
			if [ -s "$OUT/$s.fixed" ]; then
				echo "$s: fail natively, pass under nommu:" >> "$S"
				while IFS= read -r t; do
					case $(known "$s" "$t") in
					F*) echo "  [flaky] $t" >> "$S" ;;
					*) echo "          $t" >> "$S" ;;
					esac
				done < "$OUT/$s.fixed"
			fi
			if [ -f "$XFAIL" ] && [ -z "$APPLETS" ]; then
				grep -v '^#' "$XFAIL" | awk -F'\t' -v s="$s" '$1 == s && $3 !~ /^F/ { print $2 }' | sort |
					comm -23 - "$OUT/$s.regressions" > "$OUT/$s.xpass"
				if [ -s "$OUT/$s.xpass" ]; then
					echo "$s: in expected-failures.txt but passing now (remove them):" >> "$S"
					sed 's/^/  /' "$OUT/$s.xpass" >> "$S"
				fi
			fi
		done
	fi
	reports >> "$S"
	echo "" >> "$S"
	echo "wall time: ${WALL}s (JOBS=$JOBS)" >> "$S"
	echo "logs: $OUT/{native,nommu}/{runtest,hush}.log, hush_test/*.fail" >> "$S"
	cat "$S"
	[ $new = 0 ]
}

# ------------------------------------------------------------------ main
mkdir -p "$OUT"
t0=$(date +%s)
case $SIDES in *nommu*) build_launch ;; esac
for side in $SIDES; do
	setup "$side"
done
# The tasks, heaviest first (nommu runtest ~4, nommu hush ~2, native ~1
# each), dealt to JOBS=2 queues by least load: on two CPUs the nommu
# runtest runs beside everything else.
weight() {
	case $1 in nommu:runtest) echo 4 ;; nommu:hush) echo 2 ;; *) echo 1 ;; esac
}
TASKS=
for t in nommu:runtest nommu:hush native:runtest native:hush; do
	case " $SIDES " in *" ${t%:*} "*) ;; *) continue ;; esac
	case " $SUITES " in *" ${t#*:} "*) ;; *) continue ;; esac
	TASKS="$TASKS $t"
done
say "running$TASKS (logs: $OUT/{native,nommu}/)"
if [ "$JOBS" -gt 1 ]; then
	qa= qb= la=0 lb=0
	for t in $TASKS; do
		w=$(weight "$t")
		if [ $la -le $lb ]; then qa="$qa $t"; la=$((la + w)); else qb="$qb $t"; lb=$((lb + w)); fi
	done
	run_queue $qa &
	[ -n "$qb" ] && run_queue $qb &
	wait
else
	run_queue $TASKS
fi
WALL=$(( $(date +%s) - t0 ))
say "done in ${WALL}s"
summarise
