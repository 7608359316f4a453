//! The fast read/write path: `read` and `write` of a plain host file made
//! by the entry stub itself, without leaving the guest's context.
//!
//! A `read(fd, buf, n)` of a regular file costs the host call plus what
//! nommu adds around it; through the slow path that is the whole entry
//! (all registers, xmm0-15, the FS base switched twice) and the handler.
//! Here the handler, after a slow call that succeeded, *arms* a slot of
//! the entry area (`Vcpu::arm_fast_rw`): guest descriptor `fd` is host
//! descriptor `host_fd`, for calls from the one syscall site it came from
//! (whose return address is `site`: the site was checked then, as every
//! sled entry is), with buffers inside [lo, hi) (arena memory without a
//! guard page: nothing for the slow path to grow or refuse). The next such
//! call is made right here, with the guest's FS, stack and vector state
//! untouched, and returns with `ret`.
//!
//! Every slow syscall drops every slot first (`fast_epoch`), so nothing a
//! syscall changes (the descriptor table, the memory map, the program)
//! is ever seen stale: only a read or write that succeeded re-arms, and
//! only for a process that has one task (nobody else can close the
//! descriptor while the stub uses it). A vCPU that changes task drops them
//! too (`EntryArea::copy_guest_state`).
//!
//! What the stub hands to the slow path instead of finishing the call:
//! - anything not armed, or armed for another descriptor, site, epoch or
//!   buffer (`nommu_fast_rw_bail`: as if the sled had gone straight to
//!   the slow entry);
//! - an error from the host (the slow path makes the call again, with its
//!   own answers: EFAULT, EINTR, EPIPE's SIGPIPE; a failed read or write
//!   moved no data, so making it again is safe);
//! - a pending kick (signals to deliver): before the host call, the call
//!   is made by the slow path; after it, the result stands and the run
//!   loop sees the kick (`nommu_fast_rw_done_slow`, `fast_done`).
//!
//! The guest's flags are kept as a real syscall keeps them (`lahf`, `seto`,
//! then `add` + `sahf` back, as the entry window does).
//!
//! A kick can land anywhere in the stub; the host signal handler asks
//! `region` where, and sends the thread to the matching way out (see
//! `FastRwPoint`).

use super::area::{EntryArea, FastRwSlot};
use core::mem::{offset_of, size_of};

const _: () = assert!(size_of::<FastRwSlot>() == 64);

core::arch::global_asm!(
    ".pushsection .text.nommu.fastrw,\"ax\",@progbits",
    ".p2align 6",
    // From the sled's dispatch (entry.rs): rax = the syscall number (0 or
    // 1), rcx = its slot's offset, [rsp] = the site's return address, the
    // guest's flags live. Nothing guest-visible changed yet.
    ".globl nommu_fast_rw",
    "nommu_fast_rw:",
    "mov gs:[{fast_rdi}], rdi",
    "mov gs:[{fast_nr}], rax",
    "lahf",
    "seto al",
    "mov gs:[{fast_flags}], ax",
    ".globl nommu_fast_rw_checks",
    "nommu_fast_rw_checks:",
    "mov rax, gs:[{fast_epoch}]",
    "cmp rax, gs:[rcx + {slot_epoch}]",
    "jne nommu_fast_rw_bail",
    "cmp edi, gs:[rcx + {slot_fd}]",
    "jne nommu_fast_rw_bail",
    "mov rax, [rsp]",
    "cmp rax, gs:[rcx + {slot_site}]",
    "jne nommu_fast_rw_bail",
    // lo <= buf and count <= hi - buf.
    "cmp rsi, gs:[rcx + {slot_lo}]",
    "jb nommu_fast_rw_bail",
    "mov rax, gs:[rcx + {slot_hi}]",
    "sub rax, rsi",
    "jb nommu_fast_rw_bail",
    "cmp rdx, rax",
    "ja nommu_fast_rw_bail",
    "cmp qword ptr gs:[{kicked}], 0",
    "jne nommu_fast_rw_bail",
    "mov edi, gs:[rcx + {slot_host_fd}]",
    "mov rax, gs:[{fast_nr}]",
    // nommu's own text: Syscall User Dispatch lets it through.
    ".globl nommu_fast_rw_syscall",
    "nommu_fast_rw_syscall:",
    "syscall",
    ".globl nommu_fast_rw_post",
    "nommu_fast_rw_post:",
    "mov gs:[{fast_result}], rax",
    "mov rdi, gs:[{fast_rdi}]",
    "cmp rax, -4095",
    "jae nommu_fast_rw_bail",
    "cmp qword ptr gs:[{kicked}], 0",
    "jne nommu_fast_rw_done_slow",
    "mov ax, gs:[{fast_flags}]",
    "add al, 0x7f",
    "sahf",
    "mov rax, gs:[{fast_result}]",
    ".globl nommu_fast_rw_ret",
    "nommu_fast_rw_ret:",
    "ret",
    // Not made here: the slow entry makes it, from the guest's registers.
    ".globl nommu_fast_rw_bail",
    "nommu_fast_rw_bail:",
    "mov rdi, gs:[{fast_rdi}]",
    "mov ax, gs:[{fast_flags}]",
    "add al, 0x7f",
    "sahf",
    "mov rax, gs:[{fast_nr}]",
    "jmp nommu_syscall_slow",
    // Made, and a kick is pending: out through the slow entry with the
    // result, which the run loop takes as done (`fast_done`).
    ".globl nommu_fast_rw_done_slow",
    "nommu_fast_rw_done_slow:",
    "mov qword ptr gs:[{fast_done}], 1",
    "mov rdi, gs:[{fast_rdi}]",
    "mov ax, gs:[{fast_flags}]",
    "add al, 0x7f",
    "sahf",
    "mov rax, gs:[{fast_result}]",
    "jmp nommu_syscall_slow",
    ".globl nommu_fast_rw_end",
    "nommu_fast_rw_end:",
    "int3",
    ".popsection",
    fast_rdi = const offset_of!(EntryArea, fast_rdi),
    fast_nr = const offset_of!(EntryArea, fast_nr),
    fast_flags = const offset_of!(EntryArea, fast_flags),
    fast_epoch = const offset_of!(EntryArea, fast_epoch),
    fast_result = const offset_of!(EntryArea, fast_result),
    fast_done = const offset_of!(EntryArea, fast_done),
    kicked = const offset_of!(EntryArea, kicked),
    slot_epoch = const offset_of!(EntryArea, fast_rw) + offset_of!(FastRwSlot, epoch),
    slot_site = const offset_of!(EntryArea, fast_rw) + offset_of!(FastRwSlot, site),
    slot_fd = const offset_of!(EntryArea, fast_rw) + offset_of!(FastRwSlot, fd),
    slot_host_fd = const offset_of!(EntryArea, fast_rw) + offset_of!(FastRwSlot, host_fd),
    slot_lo = const offset_of!(EntryArea, fast_rw) + offset_of!(FastRwSlot, lo),
    slot_hi = const offset_of!(EntryArea, fast_rw) + offset_of!(FastRwSlot, hi),
);

extern "C" {
    fn nommu_fast_rw();
    fn nommu_fast_rw_checks();
    fn nommu_fast_rw_syscall();
    fn nommu_fast_rw_post();
    fn nommu_fast_rw_ret();
    fn nommu_fast_rw_bail();
    fn nommu_fast_rw_done_slow();
    fn nommu_fast_rw_end();
}

/// Where in the stub a host signal found the thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FastRwPoint {
    /// Saving the guest's registers, or on a way out to the slow entry:
    /// a kick is only recorded (the checks, or the run loop, see it).
    Passing,
    /// The checks, up to and on the host call (not made, or restarted):
    /// send the thread to `bail_address` (the slow path makes the call).
    BeforeCall,
    /// The host call returned; the result is in rax at `post_address`,
    /// in the area's `fast_result` after: finish through `done_address`
    /// (or `bail_address` if it failed).
    AfterCall,
}

fn addr(f: unsafe extern "C" fn()) -> u64 {
    f as *const () as usize as u64
}

/// Where `rip` is in the stub, if it is.
pub(crate) fn region(rip: u64) -> Option<FastRwPoint> {
    if !(addr(nommu_fast_rw)..addr(nommu_fast_rw_end)).contains(&rip) {
        return None;
    }
    Some(if (addr(nommu_fast_rw_checks)..=addr(nommu_fast_rw_syscall)).contains(&rip) {
        FastRwPoint::BeforeCall
    } else if (addr(nommu_fast_rw_post)..=addr(nommu_fast_rw_ret)).contains(&rip) {
        FastRwPoint::AfterCall
    } else {
        FastRwPoint::Passing
    })
}

/// The first instruction after the host call (rax holds its result).
pub(crate) fn post_address() -> u64 {
    addr(nommu_fast_rw_post)
}

pub(crate) fn bail_address() -> u64 {
    addr(nommu_fast_rw_bail)
}

pub(crate) fn done_address() -> u64 {
    addr(nommu_fast_rw_done_slow)
}

/// Is `rax` a host call's error return (-4095..-1)?
pub(crate) fn is_host_error(rax: u64) -> bool {
    rax >= (-4095i64) as u64
}
