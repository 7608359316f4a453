#!/bin/bash
# Runs each benchmark natively, under nommu and under qemu-x86_64, one
# after the other, REPS times, and prints medians and ratios to native.
# Usage: guest-tests/bench/run.sh NOMMU_BINARY [REPS]
set -euo pipefail
NOMMU=$1
REPS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$HERE/../bin
QEMU=$(command -v qemu-x86_64 || true)

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# bench NAME UNIT COMMAND...  (the command prints "<number> <unit>...")
bench() {
    local name=$1 unit=$2; shift 2
    local n=() e=() q=()
    for _ in $(seq "$REPS"); do
        n+=("$("$@" | awk '{print $1}')")
        e+=("$("$NOMMU" run "$@" | awk '{print $1}')")
        if [ -n "$QEMU" ]; then q+=("$("$QEMU" "$@" | awk '{print $1}')"); fi
    done
    local nm em qm
    nm=$(printf '%s\n' "${n[@]}" | median)
    em=$(printf '%s\n' "${e[@]}" | median)
    if [ -n "$QEMU" ]; then qm=$(printf '%s\n' "${q[@]}" | median); else qm=NA; fi
    awk -v name="$name" -v unit="$unit" -v n="$nm" -v e="$em" -v q="$qm" 'BEGIN {
        qr = (q == "NA") ? "NA" : sprintf("%.2f", q / n);
        printf "| %-22s | %10.1f %-7s | %10.1f | %10s | %6.2f | %6s |\n", name, n, unit, e, q, e / n, qr }'
}

echo "| benchmark              |   native            |   nommu    |   qemu     | nommu/native | qemu/native |"
echo "|------------------------|---------------------|------------|------------|--------|--------|"
for libc in musl glibc; do
    bench "getpid ($libc)" ns/call "$BIN/bench-getpid-$libc" 5000000
done
