//! Interruptible host syscalls.
//!
//! A task that blocks in the host (a pipe read, a futex wait, a sleep) must
//! wake when a guest signal is posted to it. The poster sets the signal
//! pending and kicks the task's host thread; the kick handler has no
//! SA_RESTART, so a blocked host syscall returns EINTR. The race is a kick
//! that lands after the kernel's last look at its pending signals but
//! before the `syscall` instruction: it would be lost, and the task would
//! sleep. So the blocking syscall is issued from this stub, which checks
//! the thread's `kicked` flag inside a window; a kick whose interrupted rip
//! is in the window is sent to `nommu_isyscall_abort` instead (the same
//! idea as the guest entry window, and as rseq).

use super::area::EntryArea;
use core::mem::offset_of;

core::arch::global_asm!(
    ".pushsection .text.nommu.isyscall,\"ax\",@progbits",
    ".globl nommu_isyscall",
    // i64 nommu_isyscall(u64 nr, const u64 args[6]); the kick flag is in the
    // thread's entry area (%gs).
    "nommu_isyscall:",
    "mov rax, rdi",
    "mov r11, rsi",
    ".globl nommu_isyscall_window_start",
    "nommu_isyscall_window_start:",
    "cmp qword ptr gs:[{kicked}], 0",
    "jne nommu_isyscall_abort",
    "mov rdi, [r11]",
    "mov rsi, [r11 + 8]",
    "mov rdx, [r11 + 16]",
    "mov r10, [r11 + 24]",
    "mov r8, [r11 + 32]",
    "mov r9, [r11 + 40]",
    ".globl nommu_isyscall_window_last",
    "nommu_isyscall_window_last:",
    "syscall",
    "ret",
    ".globl nommu_isyscall_abort",
    "nommu_isyscall_abort:",
    "mov rax, -4", // -EINTR
    "ret",
    ".popsection",
    kicked = const offset_of!(EntryArea, kicked),
);

extern "C" {
    fn nommu_isyscall(nr: u64, args: *const [u64; 6]) -> i64;
    pub(crate) fn nommu_isyscall_window_start();
    pub(crate) fn nommu_isyscall_window_last();
    pub(crate) fn nommu_isyscall_abort();
}

/// True if `rip` is inside the window, i.e. the syscall has not started.
pub(crate) fn in_window(rip: u64) -> bool {
    let start = nommu_isyscall_window_start as *const () as u64;
    let last = nommu_isyscall_window_last as *const () as u64;
    (start..=last).contains(&rip)
}

pub(crate) fn abort_address() -> u64 {
    nommu_isyscall_abort as *const () as u64
}

/// Issues host syscall `nr`, returning -EINTR at once if this thread has
/// been kicked. Only for vCPU threads (GS must point at an entry area).
///
/// # Safety
/// The arguments must be valid for syscall `nr` (pointers to live memory
/// of the right size), as for a raw `syscall(2)`.
pub(crate) unsafe fn interruptible_syscall(nr: i64, args: [u64; 6]) -> i64 {
    // SAFETY: the caller guarantees the arguments; the stub preserves the
    // callee-saved registers and only reads `args`.
    unsafe { nommu_isyscall(nr as u64, &args) }
}
