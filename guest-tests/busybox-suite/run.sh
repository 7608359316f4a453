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
# emulator's), TMO (seconds one applet process may run, default 60),
# JOBS (1 = run the native and the nommu side one after the other),
# SKIP_TESTS (files removed from the testsuite copy, default mount.tests).
#
# Two suites, each run twice with the same rootfs/bin/busybox binary:
#
# 1. testsuite/runtest (busybox's `make check`). A copy of testsuite/ is
#    run with bindir=$OUT/<side>, which holds .config and `busybox`.
#    runtest links every applet name to "$bindir/busybox" in
#    $bindir/runtest-tempdir-links and puts that first in PATH, and the
#    old-style tests call "$bindir/busybox APPLET". Here "$bindir/busybox"
#    is a small wrapper script (harness side: host /bin/sh runs the test
#    scripts) that starts the applet through the runner: natively, or
#    `nommu run` with the default root / (guest paths == host paths, the
#    guest starts in the host cwd). The wrapper puts $OUT/<side>/guest-bin
#    (one symlink per applet to the static busybox) first in PATH, so an
#    applet that execs another program by name (xargs, find -exec, env,
#    hush) lands on the static busybox, which nommu can run; the host's
#    dynamically linked programs cannot run inside nommu. Both sides use
#    the same wrapper and PATH, so the only difference is the runner.
#
# 2. shell/hush_test/run-all, as upstream runs it: the harness (run-all,
#    diff, sed) is the host's /bin/sh and tools, and every test script runs
#    as "$THIS_SH ./x.tests" with THIS_SH=hush_test/hush. Here that ./hush
#    is the same wrapper (hush natively, or `nommu run .../guest-bin/hush`),
#    which also points THIS_SH at guest-bin/hush so that the tests'
#    "$THIS_SH -c ..." inside the guest run the static busybox. (Running
#    run-all itself under hush would leak hush's script fds 10 and 255 into
#    every test and fail five redir tests natively.) One run-all per hush-*
#    module, each under a timeout.
#
# Results: $OUT/<side>/runtest.log, $OUT/<side>/hush.log, summaries in
# $OUT/summary.txt. Tests that pass natively but fail under nommu are
# listed; those named in guest-tests/busybox-suite/expected-failures.txt
# are reported as known. Exit status 0 when every such regression is known.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build/busybox-suite}
BB=$REPO/rootfs/bin/busybox
NOMMU=${NOMMU:-$REPO/target/release/nommu}
TMO=${TMO:-60}
JOBS=${JOBS:-2}
XFAIL=$HERE/expected-failures.txt
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
# Background jobs of a non-interactive shell start with SIGINT and SIGQUIT
# ignored (the two sides run in parallel): give the suites the defaults.
DFL="$(command -v env) --default-signal=INT,QUIT"
$DFL true 2>/dev/null || DFL=
command -v gcc >/dev/null || die "needs gcc (testsuite/testing.sh builds an echo -ne helper)"

# ------------------------------------------------------------------ setup
# setup SIDE: $OUT/SIDE = { busybox (wrapper), .config, guest-bin/,
#   testsuite/ (copy), scripts examples (links into the source), hush_test/ }
setup() {
	side=$1
	T=$OUT/$side
	rm -rf "$T"
	mkdir -p "$T/guest-bin"
	for a in busybox $("$BB" --list); do
		ln -s "$BB" "$T/guest-bin/$a"
	done
	case $side in
	native) runner= ;;
	nommu) runner="$NOMMU run${NOMMU_MEM:+ --mem $NOMMU_MEM}" ;;
	esac
	cat > "$T/busybox" <<-EOF
	#!/bin/sh
	# Generated by guest-tests/busybox-suite/run.sh: run the busybox applet
	# named by \$0 (or busybox itself) $( [ "$side" = nommu ] && echo "inside nommu" || echo "natively" ).
	GB=$T/guest-bin
	PATH=\$GB:\$PATH
	export PATH
	n=\${0##*/}
	# hush_test: "\$THIS_SH -c ..." must name a static binary inside the guest.
	if [ -n "\${THIS_SH:-}" ]; then THIS_SH=\$GB/hush; export THIS_SH; fi
	case \$n in
	busybox*) set -- $BB "\$@" ;;
	*) if [ -e "\$GB/\$n" ]; then set -- "\$GB/\$n" "\$@"; else set -- $BB "\$n" "\$@"; fi ;;
	esac
	exec $TIMEOUT --foreground -k 5 $TMO $runner "\$@"
	EOF
	chmod +x "$T/busybox"
	cp "$SRC/.config" "$T/.config"
	cp -pPR "$SRC/testsuite" "$T/testsuite"
	for t in $SKIP_TESTS; do
		rm -rf "$T/testsuite/$t"
	done
	ln -s "$SRC/scripts" "$T/scripts"
	ln -s "$SRC/examples" "$T/examples"
	# hush_test: ./hush is the wrapper (run as hush), .config next to it.
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
	# Stdin from /dev/null: nothing may wait on the terminal.
	bindir=$T srcdir=$SRC/testsuite \
		$TIMEOUT -k 10 1800 $DFL ./runtest $APPLETS </dev/null >"$T/runtest.log" 2>&1
	echo $? > "$T/runtest.rc"
}

# ------------------------------------------------------------------ hush
run_hush() {
	side=$1
	T=$OUT/$side
	cd "$T/hush_test" || return 1
	: > "$T/hush.log"
	for m in $(ls -d hush-*); do
		$TIMEOUT -k 10 600 $DFL ./run-all "$m" </dev/null >>"$T/hush.log" 2>&1
		rc=$?
		[ $rc = 124 ] || [ $rc = 137 ] && echo "$m: TIMEOUT (rc $rc)" >> "$T/hush.log"
	done
	echo >> "$T/hush.log"
}

run_side() {
	side=$1
	start=$(date +%s)
	for s in $SUITES; do
		s0=$(date +%s)
		run_$s "$side"
		echo "$s $(( $(date +%s) - s0 ))" >> "$OUT/$side/times"
	done
	echo "total $(( $(date +%s) - start ))" >> "$OUT/$side/times"
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
	regress=0
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
				if [ -f "$XFAIL" ] && grep -qxF "$s	$t" "$XFAIL"; then
					echo "  [known] $t" >> "$S"
				else
					echo "  [NEW]   $t" >> "$S"
					regress=$((regress + 1))
				fi
			done < "$OUT/$s.regressions"
			if [ -s "$OUT/$s.fixed" ]; then
				echo "$s: fail natively, pass under nommu:" >> "$S"
				sed 's/^/  /' "$OUT/$s.fixed" >> "$S"
			fi
			if [ -f "$XFAIL" ]; then
				grep "^$s	" "$XFAIL" | cut -f2 | sort | comm -23 - "$OUT/$s.regressions" > "$OUT/$s.xpass"
				if [ -s "$OUT/$s.xpass" ]; then
					echo "$s: listed in expected-failures.txt but passing now (remove them):" >> "$S"
					sed 's/^/  /' "$OUT/$s.xpass" >> "$S"
				fi
			fi
		done
	fi
	for side in $SIDES; do
		echo "$side wall time: $(sed -n 's/^total //p' "$OUT/$side/times")s" >> "$S"
	done
	echo "logs: $OUT/{native,nommu}/{runtest,hush}.log" >> "$S"
	cat "$S"
	[ $regress = 0 ]
}

# ------------------------------------------------------------------ main
mkdir -p "$OUT"
t0=$(date +%s)
for side in $SIDES; do
	setup "$side"
done
if [ "$JOBS" -gt 1 ]; then
	for side in $SIDES; do
		say "running $SUITES, $side (log: $OUT/$side/)"
		run_side "$side" &
	done
	wait
else
	for side in $SIDES; do
		say "running $SUITES, $side (log: $OUT/$side/)"
		run_side "$side"
	done
fi
say "done in $(( $(date +%s) - t0 ))s"
summarise
