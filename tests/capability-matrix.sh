#!/bin/bash
# The tests whose behaviour depends on what the host gives nommu (page 0,
# PKU, FSGSBASE, the trap path; host mounts and a host tmpfs for the
# machine's memory file systems), once under every combination this host can
# provide that the two full passes of `make test` did not already cover.
# Each combination is asked of nommu itself (`nommu caps --machine`), so a
# switch that changes nothing on this host (NOMMU_NO_PKU=1 without PKU) is
# a combination already run, and skipped; each test asserts what its
# combination promises (tests/common: caps, null_faults_args).
#
#   tests/capability-matrix.sh NOMMU_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
nommu=${1:-target/release/nommu}

# What the host has at all, with nothing forced off.
describe() { env "$@" "$nommu" caps --machine | tr '\n' ' ' | sed 's/ $//'; }
echo "=== capability matrix: this host gives: $(describe)"

# The two full passes (Makefile: as is, then NOMMU_TRAP_ONLY=1).
declare -A seen
seen["$(describe)"]="full pass 1"
seen["$(describe NOMMU_TRAP_ONLY=1)"]="full pass 2"

combos=(
    "NOMMU_NO_PKU=1"
    "NOMMU_NO_FSGSBASE=1"
    "NOMMU_NO_PKU=1 NOMMU_NO_FSGSBASE=1"
    "NOMMU_NULL_GUARD=1"
    "NOMMU_NULL_GUARD=1 NOMMU_NO_PKU=1"
    "NOMMU_SYSCALL_TRAP=seccomp"
    "NOMMU_SYSCALL_TRAP=seccomp NOMMU_NO_PKU=1 NOMMU_NO_FSGSBASE=1"
    "NOMMU_SYSCALL_TRAP=seccomp NOMMU_TRAP_ONLY=1"
    "NOMMU_SYSCALL_TRAP=seccomp NOMMU_TRAP_ONLY=1 NOMMU_NO_FSGSBASE=1"
)

ran=0
skipped=0

# Whether combination $1 is the first with capabilities $2: it is then
# recorded and announced; else it is said to be skipped, and counted.
first_with_these_caps() {
    if [ -n "${seen[$2]:-}" ]; then
        echo "--- $1: same as ${seen[$2]} ($2), skipped"
        skipped=$((skipped + 1))
        return 1
    fi
    seen["$2"]="$1"
    echo "=== capability combination: $1 -> $2"
}
for combo in "${combos[@]}"; do
    # shellcheck disable=SC2086
    if ! caps=$(describe $combo 2>/dev/null); then
        echo "--- $combo: this host cannot provide it (nommu caps failed), skipped"
        skipped=$((skipped + 1))
        continue
    fi
    case "$caps" in
    *"trap=none"*)
        echo "--- $combo: no trap path here ($caps), skipped"
        skipped=$((skipped + 1))
        continue
        ;;
    esac
    first_with_these_caps "$combo" "$caps" || continue
    # shellcheck disable=SC2086
    # The comparisons with strace's text check decoding, the same on every
    # path: the two full passes run them.
    # --isolate switches PKRU in the entry stubs, whatever the entry path
    # (its tests skip where PKU is forced off, and test the refusal).
    env $combo cargo test --release --test differential --test trace --test isolate -- --test-threads=1 \
        --skip trace_matches_real_strace --skip decoding_to_straces_level \
        --skip thread_creation_decoded_as_strace_does --skip interface_requests_decoded_as_strace_does
    # shellcheck disable=SC2086
    env $combo cargo test --release --test processes -- --test-threads=1 signal sigaltstack vfork_clone
    # shellcheck disable=SC2086
    env $combo cargo test --release --test threads -- --test-threads=1 signals_to_threads raw_clone signal_storms
    ran=$((ran + 1))
done

# Cached opens without pins (a host without expedited membarrier): they
# take the directory cache's lock and clone its handle (`fs::pins`).
combo="NOMMU_NO_MEMBARRIER=1"
caps=$(describe $combo)
if first_with_these_caps "$combo" "$caps"; then
    env $combo cargo test --release --test files --test mounts -- --test-threads=1 --exact fs_directories_and_links \
        fs_open_flags_and_errors fs_fd_table fs_directory_cache_invalidation fs_escape_is_contained fs_chroot_jails \
        memory_file_mappings_and_tree_operations_on_tmpfs a_mount_point_opened_by_its_path_shows_the_mounted_tree
    env $combo cargo test --release --test threads -- --test-threads=1 sched
    ran=$((ran + 1))
fi

# The machine's memory file systems (tmpfs, ramfs, the initramfs root):
# host tmpfs mounts of their own (size= enforced) when nommu may mount;
# else directories in a host tmpfs; else, on disk, in the temporary
# directory. The tests ask `nommu caps` which one is in force.
fs_combos=(
    "NOMMU_NO_HOST_MOUNTS=1"
    "NOMMU_NO_HOST_MOUNTS=1 NOMMU_NO_HOST_TMPFS=1"
)
for combo in "${fs_combos[@]}"; do
    # shellcheck disable=SC2086
    caps=$(describe $combo)
    first_with_these_caps "$combo" "$caps" || continue
    # shellcheck disable=SC2086
    env $combo cargo test --release --test mounts --test initrd -- --test-threads=1
    # The boots that write to the machine's tmpfs and read its mounts.
    # shellcheck disable=SC2086
    env $combo cargo test --release --test console -- --test-threads=1 scripted_boot shell_as_init proc_reads
    ran=$((ran + 1))
done
# The old exec (not a capability, so always run): each process gets a
# copy of its whole image and its whole stack committed at exec
# (docs/architecture.md, "Exec without copying").
echo "=== exec switch: NOMMU_EXEC_MAP=0"
NOMMU_EXEC_MAP=0 cargo test --release --test processes --test busybox --test dynamic -- --test-threads=1
ran=$((ran + 1))
# The timer wheel for every ITIMER_REAL (not a capability, so always run):
# by default a timer whose SIGALRM goes to the thread that set it is a
# host POSIX timer aimed at that thread (docs/architecture.md).
echo "=== itimer switch: NOMMU_HOST_ITIMER=0"
NOMMU_HOST_ITIMER=0 cargo test --release --test processes --test threads -- --test-threads=1 alarm signal
ran=$((ran + 1))
# pid 1's full teardown (not a capability, so always run): by default
# `nommu run` leaves pid 1's memory and descriptors to its own exit.
echo "=== init teardown switch: NOMMU_INIT_TEARDOWN=1"
NOMMU_INIT_TEARDOWN=1 cargo test --release --test differential -- --test-threads=1
NOMMU_INIT_TEARDOWN=1 cargo test --release --test console -- --test-threads=1 scripted_boot shell_as_init uml_style
ran=$((ran + 1))
# The start-up heap off (not a capability, so always run): by default
# nommu's allocations until pid 1 runs come from one static area.
echo "=== start heap switch: NOMMU_START_HEAP=0"
NOMMU_START_HEAP=0 cargo test --release --test differential -- --test-threads=1
NOMMU_START_HEAP=0 cargo test --release --test console -- --test-threads=1 scripted_boot uml_style quiet_boot
ran=$((ran + 1))
# The exec'd vfork child handed to a thread of its own at its exec (not a
# capability, so always run): by default it runs first on its parent's
# host thread (docs/architecture.md, "vfork children").
echo "=== vfork switch: NOMMU_CHILD_FIRST=0"
NOMMU_CHILD_FIRST=0 cargo test --release --test processes --test busybox -- --test-threads=1
ran=$((ran + 1))
# Lookups from a directory descriptor by the full walk from the root (not
# a capability, so always run): by default the host looks them up from the
# directory's own handle (docs/architecture.md, `fs::dirat`). Not
# fs_dirfd: the old walk finds nothing from a removed directory, not even
# "." (README).
echo "=== dirfd switch: NOMMU_DIRFD_HANDLE=0"
NOMMU_DIRFD_HANDLE=0 cargo test --release --test files --test mounts -- --test-threads=1 --exact fs_directories_and_links \
    fs_open_flags_and_errors fs_directory_cache_invalidation fs_escape_is_contained fs_chroot_jails memory_file_mappings_and_tree_operations_on_tmpfs
ran=$((ran + 1))
# A cached directory's stat with its handle cloned out of the cache (not
# a capability, so always run): by default the handle is read without the
# cache's lock, its answer checked against the slot's sequence number
# (`fs::dcache::DirCache::peek`; docs/architecture.md, "Paths in one host
# call").
echo "=== dcache switch: NOMMU_DCACHE_BORROW=0"
NOMMU_DCACHE_BORROW=0 cargo test --release --test files --test mounts -- --test-threads=1 --exact fs_directories_and_links \
    fs_directory_cache_invalidation fs_escape_is_contained fs_chroot_jails memory_file_mappings_and_tree_operations_on_tmpfs
ran=$((ran + 1))
# Reads and writes of plain files made by the slow path only (not a
# capability, so always run): by default the entry stub makes them itself
# once armed (docs/architecture.md, "The fast read/write path").
echo "=== fast read/write switch: NOMMU_FAST_RW=0"
NOMMU_FAST_RW=0 cargo test --release --test files -- --test-threads=1 --exact fs_fast_read_write_path \
    fs_read_write_seek_and_large_files
ran=$((ran + 1))
# The routing thread for host signals sent to nommu (not a capability, so
# always run): by default the vCPU threads take them (docs/architecture.md,
# invariant 6).
echo "=== host-signal switch: NOMMU_HOST_SIGNAL_THREAD=1"
NOMMU_HOST_SIGNAL_THREAD=1 cargo test --release --test hostsignals --test tty --test pty -- --test-threads=1
# The boots whose signals come from a terminal (Ctrl-C) or end the machine.
NOMMU_HOST_SIGNAL_THREAD=1 cargo test --release --test console -- --test-threads=1 interactive_console \
    scripted_boot console_names getty
ran=$((ran + 1))
echo "=== capability matrix: $ran combinations run beyond the two full passes, $skipped skipped"
