//! The asm that crosses between host and guest.
//!
//! * `nommu_enter_guest(area)`: saves the host's callee-saved registers and
//!   stack pointer in the area, loads the guest's state and jumps to it. It
//!   "returns" (through `nommu_host_return`) when the guest makes a syscall,
//!   takes a signal, or is kicked, with an `EXIT_*` code in `rax`. It is
//!   entered by `push` + `jmp` and left by `pop` + `jmp` (`Vcpu::run`), so
//!   that the CPU's return-stack buffer keeps the guest's return addresses
//!   across the host's work: the guest is re-entered by a `ret` the `call
//!   *%rax` predicted, and the guest's own returns are predicted again.
//! * `nommu_syscall_entry`: where the page-0 sled lands. The guest arrived by
//!   `call *%rax`, so `[rsp]` is its return address and `rsp + 8` its stack.
//!   `read` and `write` go to `fastrw.rs` first, which may make them
//!   without leaving the guest, or come back to `nommu_syscall_slow`.
//! * `nommu_signal_exit`: where a host signal handler sends a thread whose
//!   guest code it interrupted (the handler already copied the guest state).
//! * `nommu_entry_abort`: where a kick that lands inside the entry window is
//!   sent, so it is never lost between the run loop's last check and the
//!   jump into the guest (KVM's `immediate_exit` problem).
//!
//! Only xmm0-15 and MXCSR are saved on the fast path: nommu is a static musl
//! build, and host code on the syscall path touches no other vector state
//! (docs/architecture.md, invariant 4). Everything else stays live in the registers.

use super::area::{EntryArea, GuestRegs, EXIT_KICK, EXIT_SIGNAL, EXIT_SYSCALL};
use crate::abi::prctl::{ARCH_SET_FS, SYSCALL_DISPATCH_FILTER_ALLOW, SYSCALL_DISPATCH_FILTER_BLOCK};
use crate::abi::x86::{
    X86_EFLAGS_AF, X86_EFLAGS_CF, X86_EFLAGS_DF, X86_EFLAGS_FIXED, X86_EFLAGS_IF, X86_EFLAGS_OF, X86_EFLAGS_PF,
    X86_EFLAGS_SF, X86_EFLAGS_ZF,
};
use core::mem::offset_of;

const _: () = assert!(offset_of!(EntryArea, xmm) % 16 == 0);

/// MXCSR host code runs with: all exceptions masked, round to nearest.
const HOST_MXCSR: u32 = crate::abi::x86::MXCSR_DEFAULT;
#[no_mangle]
static NOMMU_HOST_MXCSR: u32 = HOST_MXCSR;

/// CF PF AF ZF SF OF: what `sahf` (and an `add` for OF) can restore.
const ARITH_FLAGS: u64 = X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF;
/// Everything else as host code has it: bit 1 (always set) and IF.
const PLAIN_FLAGS: u64 = X86_EFLAGS_FIXED | X86_EFLAGS_IF;

core::arch::global_asm!(
    ".pushsection .text.nommu.entry,\"ax\",@progbits",
    ".p2align 6",
    ".globl nommu_enter_guest",
    "nommu_enter_guest:",
    "push rbx",
    "push rbp",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "mov [rdi + {host_rsp}], rsp",
    // Everything from here to nommu_entry_window_end may be abandoned by a
    // kick: it only reads the area, so starting over loses nothing.
    ".globl nommu_entry_window_start",
    "nommu_entry_window_start:",
    "mov qword ptr [rdi + {in_guest}], 1",
    "cmp qword ptr [rdi + {kicked}], 0",
    "jne nommu_entry_abort",
    // MXCSR is nearly always the same on both sides: reload it only when
    // it differs. Host code always runs with HOST_MXCSR (every way out of
    // the guest puts it back), so the guest's is compared with that.
    "cmp dword ptr [rdi + {mxcsr}], {host_mxcsr}",
    "je 1f",
    "ldmxcsr [rdi + {mxcsr}]",
    "1:",
    "movaps xmm0, [rdi + {xmm} + 0*16]",
    "movaps xmm1, [rdi + {xmm} + 1*16]",
    "movaps xmm2, [rdi + {xmm} + 2*16]",
    "movaps xmm3, [rdi + {xmm} + 3*16]",
    "movaps xmm4, [rdi + {xmm} + 4*16]",
    "movaps xmm5, [rdi + {xmm} + 5*16]",
    "movaps xmm6, [rdi + {xmm} + 6*16]",
    "movaps xmm7, [rdi + {xmm} + 7*16]",
    "movaps xmm8, [rdi + {xmm} + 8*16]",
    "movaps xmm9, [rdi + {xmm} + 9*16]",
    "movaps xmm10, [rdi + {xmm} + 10*16]",
    "movaps xmm11, [rdi + {xmm} + 11*16]",
    "movaps xmm12, [rdi + {xmm} + 12*16]",
    "movaps xmm13, [rdi + {xmm} + 13*16]",
    "movaps xmm14, [rdi + {xmm} + 14*16]",
    "movaps xmm15, [rdi + {xmm} + 15*16]",
    "cmp qword ptr [rdi + {has_fsgsbase}], 0",
    "je 2f",
    "mov rax, [rdi + {guest_fs}]",
    "wrfsbase rax",
    "jmp 3f",
    "2:",
    "mov rsi, [rdi + {guest_fs}]",
    "mov r12, rdi",
    "mov edi, {arch_set_fs}",
    "mov eax, {sys_arch_prctl}",
    "syscall",
    "mov rdi, r12",
    "3:",
    // --isolate: the guest's protection-key rights from here on (the
    // window touches only the area and the guest's own stack after this).
    "cmp qword ptr [rdi + {switch_pkru}], 0",
    "je 7f",
    "mov eax, [rdi + {guest_pkru}]",
    "xor ecx, ecx",
    "xor edx, edx",
    "wrpkru",
    "7:",
    // The way in. Back from a syscall that came through the sled (rip and
    // rsp as the sled's `call` left them), the guest is entered by `ret`
    // through its own stack: the `call *%rax` pushed that return address on
    // the CPU's return-stack buffer, and a `ret` to it is predicted (a
    // `jmp` left it there, and every later return of the guest and of the
    // host mispredicted). Its red zone is dead there (invariant 5), so the
    // return address is written back where the `call` wrote it. Anywhere
    // else (a handler, a restart, a trapped syscall) it is a `jmp`.
    "lea rax, [rip + nommu_entry_by_jmp]",
    "mov rcx, [rdi + {rip}]",
    "cmp rcx, [rdi + {sled_rip}]",
    "jne 6f",
    "mov rcx, [rdi + {rsp}]",
    "cmp rcx, [rdi + {sled_rsp}]",
    "jne 6f",
    "lea rax, [rip + nommu_entry_by_ret]",
    "6:",
    "mov [rdi + {entry_tail}], rax",
    "mov qword ptr [rdi + {sled_rip}], 0",
    // The guest's flags. popfq is slow; when only the arithmetic flags
    // can differ from the host's (IF set, DF/TF/AC/ID/... clear, the
    // usual case), OF is made by an add and the rest loaded by sahf.
    "mov rax, [rdi + {rflags}]",
    "mov rcx, rax",
    "and rcx, {not_arith}",
    "cmp rcx, {plain_flags}",
    "jne 4f",
    "mov ecx, eax",
    "shr ecx, 4",
    "and ecx, 0x80",
    "add cl, cl",
    "mov ah, al",
    "sahf",
    "jmp 5f",
    "4:",
    "push qword ptr [rdi + {rflags}]",
    "popfq",
    "5:",
    "mov rax, [rdi + {rax}]",
    "mov rbx, [rdi + {rbx}]",
    "mov rcx, [rdi + {rcx}]",
    "mov rdx, [rdi + {rdx}]",
    "mov rsi, [rdi + {rsi}]",
    "mov rbp, [rdi + {rbp}]",
    "mov r8, [rdi + {r8}]",
    "mov r9, [rdi + {r9}]",
    "mov r10, [rdi + {r10}]",
    "mov r11, [rdi + {r11}]",
    "mov r12, [rdi + {r12}]",
    "mov r13, [rdi + {r13}]",
    "mov r14, [rdi + {r14}]",
    "mov r15, [rdi + {r15}]",
    "mov rsp, [rdi + {rsp}]",
    "mov rdi, [rdi + {rdi}]",
    "mov byte ptr gs:[{selector}], {block}",
    // Neither way touches the flags.
    "jmp qword ptr gs:[{entry_tail}]",
    ".globl nommu_entry_by_ret",
    "nommu_entry_by_ret:",
    // A fault here (another thread unmapped the stack meanwhile) is sent
    // to nommu_entry_by_jmp by the host signal handler.
    "push qword ptr gs:[{rip}]",
    "ret",
    ".globl nommu_entry_by_jmp",
    "nommu_entry_by_jmp:",
    "jmp qword ptr gs:[{rip}]",
    ".globl nommu_entry_window_end",
    "nommu_entry_window_end:",
    "int3",
    //
    // read and write may be made without leaving the guest (fastrw.rs)
    // when their slot is armed (its epoch is the area's: compared with
    // `not` + `lea` + `jrcxz`, which leave the guest's flags alone). The
    // stub gets rcx = the slot's offset. Here, before the entry, so that
    // `jrcxz` reaches them (no alignment between: 128 bytes at most).
    ".p2align 6",
    ".globl nommu_exit_stubs_start",
    "nommu_exit_stubs_start:",
    "10:",
    "mov r11, gs:[{slot_epoch}]",
    "not r11",
    "mov rcx, gs:[{fast_epoch}]",
    "lea rcx, [rcx + r11 + 1]",
    "jrcxz 12f",
    "jmp nommu_syscall_slow",
    "12:",
    "jmp nommu_fast_rw",
    "11:",
    "mov r11, gs:[{slot_epoch} + {fast_slot_size}]",
    "not r11",
    "mov rcx, gs:[{fast_epoch}]",
    "lea rcx, [rcx + r11 + 1]",
    "jrcxz 13f",
    "jmp nommu_syscall_slow",
    "13:",
    "mov ecx, {fast_slot_size}",
    "jmp nommu_fast_rw",
    //
    // The sled's jump lands here. Guest rsp points at the return address.
    ".globl nommu_syscall_entry",
    "nommu_syscall_entry:",
    "mov rcx, rax",
    "jrcxz 10b",
    "lea rcx, [rax - 1]",
    "jrcxz 11b",
    ".globl nommu_syscall_slow",
    "nommu_syscall_slow:",
    "mov byte ptr gs:[{selector}], {allow}",
    "mov gs:[{rax}], rax",
    "mov gs:[{rbx}], rbx",
    "mov gs:[{rcx}], rcx",
    "mov gs:[{rdx}], rdx",
    "mov gs:[{rsi}], rsi",
    "mov gs:[{rdi}], rdi",
    "mov gs:[{rbp}], rbp",
    "mov gs:[{r8}], r8",
    "mov gs:[{r9}], r9",
    "mov gs:[{r10}], r10",
    "mov gs:[{r11}], r11",
    "mov gs:[{r12}], r12",
    "mov gs:[{r13}], r13",
    "mov gs:[{r14}], r14",
    "mov gs:[{r15}], r15",
    "mov rax, [rsp]",
    "mov gs:[{rip}], rax",
    "mov gs:[{sled_rip}], rax",
    "lea rax, [rsp + 8]",
    "mov gs:[{rsp}], rax",
    "mov gs:[{sled_rsp}], rax",
    // Off the guest stack before anything is pushed: its red zone is live.
    "mov rsp, gs:[{host_rsp}]",
    "pushfq",
    "pop qword ptr gs:[{rflags}]",
    // cld is microcoded (~3 ns here); DF is nearly always clear already.
    "test byte ptr gs:[{rflags} + 1], {df_in_byte1}",
    "jz 8f",
    "cld",
    "8:",
    "mov rdi, gs:[{self_ptr}]",
    // --isolate: host code runs with every key granted.
    "cmp qword ptr [rdi + {switch_pkru}], 0",
    "je 9f",
    "mov eax, [rdi + {kernel_pkru}]",
    "xor ecx, ecx",
    "xor edx, edx",
    "wrpkru",
    "9:",
    "movaps [rdi + {xmm} + 0*16], xmm0",
    "movaps [rdi + {xmm} + 1*16], xmm1",
    "movaps [rdi + {xmm} + 2*16], xmm2",
    "movaps [rdi + {xmm} + 3*16], xmm3",
    "movaps [rdi + {xmm} + 4*16], xmm4",
    "movaps [rdi + {xmm} + 5*16], xmm5",
    "movaps [rdi + {xmm} + 6*16], xmm6",
    "movaps [rdi + {xmm} + 7*16], xmm7",
    "movaps [rdi + {xmm} + 8*16], xmm8",
    "movaps [rdi + {xmm} + 9*16], xmm9",
    "movaps [rdi + {xmm} + 10*16], xmm10",
    "movaps [rdi + {xmm} + 11*16], xmm11",
    "movaps [rdi + {xmm} + 12*16], xmm12",
    "movaps [rdi + {xmm} + 13*16], xmm13",
    "movaps [rdi + {xmm} + 14*16], xmm14",
    "movaps [rdi + {xmm} + 15*16], xmm15",
    "stmxcsr [rdi + {mxcsr}]",
    "cmp dword ptr [rdi + {mxcsr}], {host_mxcsr}",
    "je 1f",
    "ldmxcsr [rip + NOMMU_HOST_MXCSR]",
    "1:",
    "cmp qword ptr [rdi + {has_fsgsbase}], 0",
    "je 2f",
    "rdfsbase rax",
    "mov [rdi + {guest_fs}], rax",
    "mov rax, [rdi + {host_fs}]",
    "wrfsbase rax",
    "jmp 3f",
    "2:",
    // Without FSGSBASE the guest cannot change FS except through our
    // arch_prctl, so guest_fs in the area is already current.
    "call nommu_restore_host_fs_syscall",
    "3:",
    "mov qword ptr [rdi + {in_guest}], 0",
    "mov eax, {exit_syscall}",
    ".globl nommu_host_return",
    "nommu_host_return:",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbp",
    "pop rbx",
    // Not `ret`: the host came in by `jmp` (`Vcpu::run`), and the
    // return-stack buffer holds the guest's returns, which the next entry
    // consumes. An indirect jump to the one place the run loop waits.
    "pop rcx",
    "jmp rcx",
    ".globl nommu_syscall_entry_end",
    "nommu_syscall_entry_end:",
    //
    // A host signal handler interrupted guest code and saved its state.
    // The handler set rsp = host_rsp; FS still holds whatever was live.
    ".globl nommu_signal_exit",
    "nommu_signal_exit:",
    "cld",
    "ldmxcsr [rip + NOMMU_HOST_MXCSR]",
    "mov rdi, gs:[{self_ptr}]",
    "call nommu_leave_guest",
    "mov eax, {exit_signal}",
    "jmp nommu_host_return",
    //
    // A kick landed inside the entry window.
    ".globl nommu_entry_abort",
    "nommu_entry_abort:",
    "mov rsp, gs:[{host_rsp}]",
    "cld",
    "ldmxcsr [rip + NOMMU_HOST_MXCSR]",
    "mov rdi, gs:[{self_ptr}]",
    "call nommu_leave_guest",
    "mov eax, {exit_kick}",
    "jmp nommu_host_return",
    //
    // Out of guest code after a host signal (rsp on the host stack): the
    // kernel's PKRU under --isolate (the interrupted guest's came back
    // with sigreturn), the host's FS, and the area marked out of the guest.
    // rdi = area. Preserves rdi.
    "nommu_leave_guest:",
    "cmp qword ptr [rdi + {switch_pkru}], 0",
    "je 1f",
    "mov eax, [rdi + {kernel_pkru}]",
    "xor ecx, ecx",
    "xor edx, edx",
    "wrpkru",
    "1:",
    "call nommu_restore_host_fs",
    "mov qword ptr [rdi + {in_guest}], 0",
    "ret",
    //
    // rdi = area. Preserves rdi.
    "nommu_restore_host_fs:",
    "cmp qword ptr [rdi + {has_fsgsbase}], 0",
    "je nommu_restore_host_fs_syscall",
    "mov rax, [rdi + {host_fs}]",
    "wrfsbase rax",
    "ret",
    "nommu_restore_host_fs_syscall:",
    "push rdi",
    "mov rsi, [rdi + {host_fs}]",
    "mov edi, {arch_set_fs}",
    "mov eax, {sys_arch_prctl}",
    "syscall",
    "pop rdi",
    "ret",
    ".globl nommu_stubs_end",
    "nommu_stubs_end:",
    ".popsection",
    host_rsp = const offset_of!(EntryArea, host_rsp),
    fast_slot_size = const core::mem::size_of::<super::area::FastRwSlot>(),
    slot_epoch = const offset_of!(EntryArea, fast_rw) + offset_of!(super::area::FastRwSlot, epoch),
    fast_epoch = const offset_of!(EntryArea, fast_epoch),
    in_guest = const offset_of!(EntryArea, in_guest),
    sled_rip = const offset_of!(EntryArea, sled_rip),
    sled_rsp = const offset_of!(EntryArea, sled_rsp),
    entry_tail = const offset_of!(EntryArea, entry_tail),
    kicked = const offset_of!(EntryArea, kicked),
    selector = const offset_of!(EntryArea, dispatch_selector),
    block = const SYSCALL_DISPATCH_FILTER_BLOCK,
    allow = const SYSCALL_DISPATCH_FILTER_ALLOW,
    mxcsr = const offset_of!(EntryArea, mxcsr),
    host_mxcsr = const HOST_MXCSR,
    not_arith = const !ARITH_FLAGS,
    df_in_byte1 = const X86_EFLAGS_DF >> 8,
    plain_flags = const PLAIN_FLAGS,
    xmm = const offset_of!(EntryArea, xmm),
    has_fsgsbase = const offset_of!(EntryArea, has_fsgsbase),
    guest_fs = const offset_of!(EntryArea, guest_fs),
    host_fs = const offset_of!(EntryArea, host_fs),
    self_ptr = const offset_of!(EntryArea, self_ptr),
    switch_pkru = const offset_of!(EntryArea, switch_pkru),
    kernel_pkru = const offset_of!(EntryArea, kernel_pkru),
    guest_pkru = const offset_of!(EntryArea, guest_pkru),
    rflags = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, rflags),
    rip = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, rip),
    rax = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, rax),
    rbx = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, rbx),
    rcx = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, rcx),
    rdx = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, rdx),
    rsi = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, rsi),
    rdi = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, rdi),
    rbp = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, rbp),
    rsp = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, rsp),
    r8 = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, r8),
    r9 = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, r9),
    r10 = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, r10),
    r11 = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, r11),
    r12 = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, r12),
    r13 = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, r13),
    r14 = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, r14),
    r15 = const offset_of!(EntryArea, regs) + offset_of!(GuestRegs, r15),
    arch_set_fs = const ARCH_SET_FS,
    sys_arch_prctl = const libc::SYS_arch_prctl,
    exit_syscall = const EXIT_SYSCALL,
    exit_signal = const EXIT_SIGNAL,
    exit_kick = const EXIT_KICK,
);

extern "C" {
    pub(crate) fn nommu_enter_guest(area: *mut EntryArea) -> u64;
    pub(crate) fn nommu_syscall_entry();
    pub(crate) fn nommu_entry_window_start();
    pub(crate) fn nommu_entry_window_end();
    pub(crate) fn nommu_entry_by_ret();
    pub(crate) fn nommu_entry_by_jmp();
    pub(crate) fn nommu_signal_exit();
    pub(crate) fn nommu_entry_abort();
    pub(crate) fn nommu_exit_stubs_start();
    pub(crate) fn nommu_stubs_end();
}

/// Where in the host's text an interrupted thread was, for the signal stubs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StubRegion {
    /// Between the last pending-work check and the jump into the guest.
    EntryWindow,
    /// Inside the exit paths: on its way back to the run loop.
    ExitPath,
    Elsewhere,
}

pub(crate) fn classify_host_rip(rip: u64) -> StubRegion {
    let window =
        nommu_entry_window_start as *const () as usize as u64..=nommu_entry_window_end as *const () as usize as u64;
    let exits = nommu_exit_stubs_start as *const () as usize as u64..nommu_stubs_end as *const () as usize as u64;
    if window.contains(&rip) {
        StubRegion::EntryWindow
    } else if exits.contains(&rip) {
        StubRegion::ExitPath
    } else {
        StubRegion::Elsewhere
    }
}
