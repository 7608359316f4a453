#!/bin/bash
# Runs each benchmark natively, under nommu and under qemu-x86_64, one
# after the other, REPS times, and prints medians and ratios to native.
# The same static binary runs in all three columns.
# Usage: guest-tests/bench/run.sh NOMMU_BINARY [REPS]
# BENCH_ONLY=REGEX runs only the rows whose name matches (grep -E);
# BENCH_SKIP_RUNTEST=1 leaves out busybox's runtest (minutes).
set -euo pipefail
NOMMU=$(realpath "$1")
REPS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$HERE/../bin
BB=$(realpath "$HERE/../../rootfs/bin/busybox")
QEMU=$(command -v qemu-x86_64 || true)
DATA=$(mktemp -d)
# nommu and the start rows' programs run from copies beside nommu: a
# freshly linked binary's page cache was written through the linker's
# mapping, in 4 KiB pages, and every start of it then costs more (each
# page fault maps fewer pages: ~10 us for nommu, ~3 us for a native
# hello) than after a reboot or an install, when the file is read in
# large folios (BENCHMARKS.md, issue 17 round 11). Rows measure the latter,
# for both columns.
COPIES=$(dirname "$NOMMU")/.bench.$$
mkdir "$COPIES"
trap 'rm -rf "$DATA" "$COPIES"' EXIT
cp -p "$NOMMU" "$COPIES/nommu"
NOMMU=$COPIES/nommu
cp -p "$BIN/hello-musl" "$BIN/hello-glibc" "$BIN/hello-glibc-dyn" "$COPIES/"

wanted() { [ -z "${BENCH_ONLY:-}" ] || printf '%s\n' "$1" | grep -Eq -- "$BENCH_ONLY"; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Wall time of a command in milliseconds (for programs that do not time
# themselves). $EPOCHREALTIME, not $(date): a date process started after
# the command would be counted with it (about 1-2 ms).
wall_ms() {
    local t0 t1
    t0=$EPOCHREALTIME
    "$@" >/dev/null
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f ms\n", (b - a) * 1000}'
}

# bench NAME UNIT COMMAND...  (the command prints "<number> <unit>...")
bench() {
    local name=$1 unit=$2; shift 2
    wanted "$name" || return 0
    local n=() e=() q=()
    for _ in $(seq "$REPS"); do
        n+=("$("$@" | awk '{print $1}')")
        e+=("$(nommu_wrap "$@" | awk '{print $1}')")
        if [ -n "$QEMU" ]; then q+=("$(qemu_wrap "$@" | awk '{print $1}')"); fi
    done
    local nm em qm
    nm=$(printf '%s\n' "${n[@]}" | median)
    em=$(printf '%s\n' "${e[@]}" | median)
    if [ -n "$QEMU" ]; then qm=$(printf '%s\n' "${q[@]}" | median); else qm=NA; fi
    row "$name" "$unit" "$nm" "$em" "$qm"
}

# row NAME UNIT NATIVE NOMMU QEMU (QEMU may be NA)
row() {
    awk -v name="$1" -v unit="$2" -v n="$3" -v e="$4" -v q="$5" 'BEGIN {
        qr = (q == "NA") ? "NA" : sprintf("%.2f", q / n);
        printf "| %-28s | %-11s | %12.3f | %12.3f | %12s | %6.2f | %6s |\n", name, unit, n, e, q, e / n, qr }'
}

# Runs "PROGRAM ARGS" (or "wall_ms PROGRAM ARGS") under nommu / qemu.
nommu_wrap() {
    if [ "$1" = wall_ms ]; then shift; wall_ms "$NOMMU" run "$@"; else "$NOMMU" run "$@"; fi
}
qemu_wrap() {
    if [ "$1" = wall_ms ]; then shift; wall_ms "$QEMU" "$@"; else "$QEMU" "$@"; fi
}

head -c 11000000 /dev/urandom | od -An -tx1 > "$DATA/gzip-input"   # ~32 MiB of text

echo "| benchmark                    | unit        |       native |        nommu |         qemu | nommu/native | qemu/native |"
echo "|------------------------------|-------------|--------------|--------------|--------------|--------|--------|"
for libc in musl glibc; do
    bench "getpid ($libc)" ns/call "$BIN/bench-getpid-$libc" 2000000
done
for mode in read1 write1 stat openclose; do
    bench "$mode" ns/call "$BIN/bench-syscalls-musl" "$mode" 300000
done
# A file of the host's root (nommu's default --root /): a real path walk.
bench "stat /etc/passwd" ns/call "$BIN/bench-syscalls-musl" stat 300000 /etc/passwd
bench "open + close /etc/passwd" ns/call "$BIN/bench-syscalls-musl" openclose 300000 /etc/passwd
bench "send1 + recv1 (socketpair)" ns/pair "$BIN/bench-syscalls-musl" sendrecv1 300000
bench "pipe round trip (2 procs)" us "$BIN/bench-spawn-musl" pipe_rtt 20000
bench "vfork + _exit + wait" us "$BIN/bench-spawn-musl" vfork_exit 2000
bench "vfork + execve + wait" us "$BIN/bench-spawn-musl" vfork_exec 300
# fork where there is one (natively, qemu), vfork under nommu (no fork).
bench "fork|vfork + execve + wait" us "$BIN/bench-spawn-musl" fork_exec 300
for mode in self thread itimer; do
    bench "signal: $mode" us/signal "$BIN/bench-signals-musl" "$mode" 20000
done
# CPython's own signal stress tests (Debian's python3, a fixed-address
# dynamic program), when the test package is installed
# (apt-get install libpython3.11-testsuite).
if /usr/bin/python3 -c 'import test.test_signal' 2>/dev/null; then
    # (no qemu column: qemu-user 7.2 crashes in test_stress_modifying_handlers)
    QEMU='' bench "CPython test_signal stress" ms wall_ms /usr/bin/python3 -m test -q test_signal -m '*stress*'
elif wanted "CPython test_signal stress"; then
    echo "(CPython test_signal stress: skipped, no test.test_signal; apt-get install libpython3.11-testsuite)" >&2
fi
# Host programs users run under `nommu run`: Debian's python3 and gcc are
# non-PIE (ET_EXEC at 0x400000) and dynamically linked.
if [ -x /usr/bin/python3 ]; then
    bench "python3 -c pass" ms wall_ms /usr/bin/python3 -c pass
fi
if [ -x /usr/bin/gcc ]; then
    printf 'int main(void) { return 0; }\n' > "$DATA/empty.c"
    # (no qemu column: gcc's own children, cc1, as and ld, would run
    # natively under it, not emulated: no comparison)
    QEMU='' bench "gcc -O2 of an empty program" ms wall_ms /usr/bin/gcc -O2 -o "$DATA/empty" "$DATA/empty.c"
fi
bench "hush: 100 x /bin/true" ms wall_ms "$BB" sh -c "i=0; while [ \$i -lt 100 ]; do $BB true; i=\$((i+1)); done"
bench "hush loop, 200000 iterations" ms wall_ms "$BB" sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'
# The same programs beside 100 sleeping background jobs (what an exec and a
# wait cost as the machine fills; no qemu column: 100 emulators at once).
QEMU='' bench "hush: 1000 x true, 100 jobs" ms wall_ms "$BB" sh -c "i=0; p=; while [ \$i -lt 100 ]; do $BB sleep 1000 & p=\"\$p \$!\"; i=\$((i+1)); done; i=0; while [ \$i -lt 1000 ]; do $BB true; i=\$((i+1)); done; kill \$p"
bench "sha256 of 64 MiB" s "$BIN/bench-sha256-musl" 64
bench "busybox gzip of ~32 MiB" ms wall_ms "$BB" gzip -c "$DATA/gzip-input"
bench "start a static hello" ms wall_ms "$COPIES/hello-musl"

# Start-up without a shell's fork in the measurement: posix_spawn + waitpid
# from a native harness, 200 times, median.
bench_start() {
    local name=$1; shift
    wanted "$name" || return 0
    local n=() e=() q=()
    for _ in $(seq "$REPS"); do
        n+=("$("$BIN/bench-startup-musl" 200 "$@" | awk '{print $1}')")
        e+=("$("$BIN/bench-startup-musl" 200 "$NOMMU" run "$@" | awk '{print $1}')")
        if [ -n "$QEMU" ]; then q+=("$("$BIN/bench-startup-musl" 200 "$QEMU" "$@" | awk '{print $1}')"); fi
    done
    row "$name" ms "$(printf '%s\n' "${n[@]}" | median)" "$(printf '%s\n' "${e[@]}" | median)" \
        "$( [ -n "$QEMU" ] && printf '%s\n' "${q[@]}" | median || echo NA)"
}
bench_start "start: static hello (musl)" "$COPIES/hello-musl"
bench_start "start: static hello (glibc)" "$COPIES/hello-glibc"
# A dynamically linked one: ld.so maps libc.so.6 (~2 MiB) and the rest.
bench_start "start: dynamic hello (glibc)" "$COPIES/hello-glibc-dyn"

# What a sleeping process costs: 50 `busybox sleep`s started by busybox sh.
# nommu: the machine's MemFree before and after (arena in use); natively:
# the processes' proportional set size (Pss, /proc/PID/smaps_rollup).
SLEEPERS='n=50; i=0; pids=
free_kib() { while read k v u; do [ "$k" = MemFree: ] && { echo $v; return; }; done < /proc/meminfo; }
f0=$(free_kib)
while [ $i -lt $n ]; do "$2" sleep 1000 & pids="$pids $!"; i=$((i+1)); done
sleep 1
if [ "$1" = pss ]; then
  t=0; for p in $pids; do while read k v u; do [ "$k" = Pss: ] && t=$((t+v)); done < /proc/$p/smaps_rollup; done
else
  t=$((f0 - $(free_kib)))
fi
kill $pids; wait
echo $((t / n)) KiB'
mem_row() {
    local n=() e=()
    wanted "a sleeping busybox process" || return 0
    for _ in $(seq "$REPS"); do
        n+=("$("$BB" sh -c "$SLEEPERS" sh pss "$BB" | awk '{print $1}')")
        e+=("$("$NOMMU" run --mem 1G "$BB" sh -c "$SLEEPERS" sh free "$BB" | awk '{print $1}')")
    done
    row "a sleeping busybox process" KiB "$(printf '%s\n' "${n[@]}" | median)" "$(printf '%s\n' "${e[@]}" | median)" NA
}
mem_row

# busybox's own test suite (testsuite/runtest), wall time of the whole
# suite on each side, once (minutes). BENCH_SKIP_RUNTEST=1 leaves it out.
if [ -z "${BENCH_SKIP_RUNTEST:-}" ] && wanted "busybox runtest" && ls -d "$HERE"/../../build/busybox/busybox-[0-9]*/ >/dev/null 2>&1; then
    # "WALL CPU": seconds of wall time, and of CPU time (user + system of
    # every process the suite started: bc's CPU-bound pipelines make the
    # wall time follow whatever else the machine runs).
    suite_s() {
        local t0=$EPOCHREALTIME
        # REPORT=0: the per-run JSON reports are the test run's, not timed.
        local cpu
        cpu=$( (OUT=$DATA/bbsuite NOMMU=$NOMMU JOBS=1 REPORT=0 "$HERE/../busybox-suite/run.sh" --runtest-only "$1" >/dev/null 2>&1
            times) | awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
        awk -v a="$t0" -v b="$EPOCHREALTIME" -v c="$cpu" 'BEGIN {printf "%.1f %.1f\n", b - a, c}'
    }
    read -r nw nc <<<"$(suite_s --native-only)"
    read -r ew ec <<<"$(suite_s --nommu-only)"
    row "busybox runtest (once)" s "$nw" "$ew" NA
    row "busybox runtest, CPU" s "$nc" "$ec" NA
fi

# The host's floor for nommu's file syscalls: nommu keeps Syscall User
# Dispatch armed (its trap fallback for syscalls that were not rewritten),
# so every host call it makes takes the host kernel's syscall-work path.
# The same loops natively with SUD armed (BENCH_ARM_SUD=1, selector ALLOW)
# pay that too; nommu's ratio to them is its own share.
floor_row() {
    local name=$1; shift
    wanted "floor: $name" || return 0
    local n=() s=() e=()
    for _ in $(seq "$REPS"); do
        n+=("$("$BIN/bench-syscalls-musl" "$@" | awk '{print $1}')")
        s+=("$(BENCH_ARM_SUD=1 "$BIN/bench-syscalls-musl" "$@" | awk '{print $1}')")
        e+=("$("$NOMMU" run "$BIN/bench-syscalls-musl" "$@" | awk '{print $1}')")
    done
    awk -v name="$name" -v n="$(printf '%s\n' "${n[@]}" | median)" -v s="$(printf '%s\n' "${s[@]}" | median)" \
        -v e="$(printf '%s\n' "${e[@]}" | median)" 'BEGIN {
        printf "| %-28s | %12.1f | %12.1f | %12.1f | %6.2f | %6.2f |\n", name, n, s, e, e / n, e / s }'
}
if [ -z "${BENCH_ONLY:-}" ] || printf 'floor: \n' | grep -Eq -- "$BENCH_ONLY"; then
    echo
    echo "Host floor (ns/call): natively, natively with SUD armed, under nommu"
    echo
    echo "| benchmark                    |       native |   native+SUD |        nommu | nommu/native | nommu/(native+SUD) |"
    echo "|------------------------------|--------------|--------------|--------------|--------|--------|"
    for mode in read1 write1 stat openclose; do
        floor_row "$mode" "$mode" 300000
    done
    floor_row "stat /etc/passwd" stat 300000 /etc/passwd
    floor_row "open + close /etc/passwd" openclose 300000 /etc/passwd
fi
