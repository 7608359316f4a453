//! The SysV IPC and memfd guest tests (`guest-tests/src/ipc_*.c`,
//! `memfd.c`): each program runs natively and under `nommu run` in a
//! fresh directory, for musl and glibc builds, static and dynamic; stdout
//! and exit status must match. Natively they use the host's IPC objects,
//! under nommu the machine's own.

mod common;
use common::*;

guest_program_tests! {
    message_queues_types_limits_waits_and_errors: "ipc_msg";
    semaphores_all_or_nothing_undo_timeouts_and_errors: "ipc_sem";
    shared_memory_between_processes_removal_and_errors: "ipc_shm";
    memfd_reads_writes_maps_seals_and_errors: "memfd";
}
