//! The SysV IPC and memfd guest tests (`guest-tests/src/ipc_*.c`,
//! `memfd.c`): each program runs natively and under `nommu run` in a
//! fresh directory, for musl and glibc builds, static and dynamic; stdout
//! and exit status must match. Natively they use the host's IPC objects,
//! under nommu the machine's own.

mod common;
use common::*;

#[test]
fn message_queues_types_limits_waits_and_errors() {
    each_libc("ipc_msg", |bin| {
        differential_in_dirs(bin, &[], &[], &[], 0);
    });
}

#[test]
fn semaphores_all_or_nothing_undo_timeouts_and_errors() {
    each_libc("ipc_sem", |bin| {
        differential_in_dirs(bin, &[], &[], &[], 0);
    });
}

#[test]
fn shared_memory_between_processes_removal_and_errors() {
    each_libc("ipc_shm", |bin| {
        differential_in_dirs(bin, &[], &[], &[], 0);
    });
}

#[test]
fn memfd_reads_writes_maps_seals_and_errors() {
    each_libc("memfd", |bin| {
        differential_in_dirs(bin, &[], &[], &[], 0);
    });
}
