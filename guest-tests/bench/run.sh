#!/bin/bash
# Runs each benchmark natively, under nommu and under qemu-x86_64, one
# after the other, REPS times, and prints medians and ratios to native.
# The same static binary runs in all three columns.
# Usage: guest-tests/bench/run.sh NOMMU_BINARY [REPS]
set -euo pipefail
NOMMU=$(realpath "$1")
REPS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$HERE/../bin
BB=$(realpath "$HERE/../../rootfs/bin/busybox")
QEMU=$(command -v qemu-x86_64 || true)
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT

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
    awk -v name="$name" -v unit="$unit" -v n="$nm" -v e="$em" -v q="$qm" 'BEGIN {
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
bench "send1 + recv1 (socketpair)" ns/pair "$BIN/bench-syscalls-musl" sendrecv1 300000
bench "pipe round trip (2 procs)" us "$BIN/bench-spawn-musl" pipe_rtt 20000
bench "vfork + _exit + wait" us "$BIN/bench-spawn-musl" vfork_exit 2000
bench "vfork + execve + wait" us "$BIN/bench-spawn-musl" vfork_exec 300
# fork where there is one (natively, qemu), vfork under nommu (no fork).
bench "fork|vfork + execve + wait" us "$BIN/bench-spawn-musl" fork_exec 300
bench "hush: 100 x /bin/true" ms wall_ms "$BB" sh -c "i=0; while [ \$i -lt 100 ]; do $BB true; i=\$((i+1)); done"
bench "hush loop, 200000 iterations" ms wall_ms "$BB" sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'
bench "sha256 of 64 MiB" s "$BIN/bench-sha256-musl" 64
bench "busybox gzip of ~32 MiB" ms wall_ms "$BB" gzip -c "$DATA/gzip-input"
bench "start a static hello" ms wall_ms "$BIN/hello-musl"
