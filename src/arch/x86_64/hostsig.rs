//! Host signals that can interrupt guest code (docs/architecture.md, invariant 6).
//!
//! The handler is an asm stub: it runs on the thread's sigaltstack, finds the
//! thread's entry area through GS, switches FS back to the host's before any
//! Rust runs, and puts the interrupted FS back on the way out. The Rust part
//! turns a guest fault or a kick into a run-loop exit by editing the saved
//! context so that `sigreturn` lands in `nommu_signal_exit`.

use super::area::{EntryArea, GuestRegs};
use super::entry::{
    classify_host_rip, nommu_entry_abort, nommu_entry_by_jmp, nommu_entry_by_ret, nommu_signal_exit, StubRegion,
};
use super::fastrw::{self, FastRwPoint};
use crate::abi::consts::PAGE_SIZE;
use crate::abi::prctl::{ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, SYSCALL_DISPATCH_FILTER_ALLOW};
use crate::abi::seccomp::AUDIT_ARCH_X86_64;
use crate::abi::signal::{Siginfo, SEGV_ACCERR, SYS_SECCOMP, SYS_USER_DISPATCH};
use crate::abi::x86::{
    Fpstate, FpxSwBytes, Ucontext, XstateHeader, FP_XSTATE_MAGIC1, X86_EFLAGS_AC, X86_EFLAGS_DF, X86_EFLAGS_TF,
};
use core::mem::{offset_of, size_of};
use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The legacy fxsave area, and it with the xsave header: a smaller image
/// is an fxsave one.
const FXSAVE_SIZE: usize = size_of::<Fpstate>();
const XSAVE_HEADER_END: usize = FXSAVE_SIZE + size_of::<XstateHeader>();

/// Set once at start-up; read by the stub before it can touch GS.
#[no_mangle]
static mut NOMMU_STUB_FSGSBASE: u8 = 0;

core::arch::global_asm!(
    ".pushsection .text.nommu.hostsig,\"ax\",@progbits",
    ".globl nommu_host_signal_stub",
    "nommu_host_signal_stub:",
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "mov rbx, rdi",
    "mov r12, rsi",
    "mov r13, rdx",
    "cmp byte ptr [rip + NOMMU_STUB_FSGSBASE], 0",
    "je 2f",
    "rdgsbase r14",
    "jmp 3f",
    "2:",
    "sub rsp, 16",
    "mov edi, {arch_get_gs}",
    "mov rsi, rsp",
    "mov eax, {sys_arch_prctl}",
    "syscall",
    "mov r14, [rsp]",
    "add rsp, 16",
    "3:",
    "xor r15d, r15d",
    "test r14, r14",
    "jz 6f",
    // A thread with an entry area: remember the live FS, install the host's.
    "cmp byte ptr [rip + NOMMU_STUB_FSGSBASE], 0",
    "je 4f",
    "rdfsbase r15",
    "mov rax, [r14 + {host_fs}]",
    "wrfsbase rax",
    "jmp 6f",
    "4:",
    "sub rsp, 16",
    "mov edi, {arch_get_fs}",
    "mov rsi, rsp",
    "mov eax, {sys_arch_prctl}",
    "syscall",
    "mov r15, [rsp]",
    "add rsp, 16",
    "mov rsi, [r14 + {host_fs}]",
    "mov edi, {arch_set_fs}",
    "mov eax, {sys_arch_prctl}",
    "syscall",
    "6:",
    "mov rdi, rbx",
    "mov rsi, r12",
    "mov rdx, r13",
    "mov rcx, r14",
    "mov r8, r15",
    "call {handler}",
    "test r14, r14",
    "jz 9f",
    "cmp byte ptr [rip + NOMMU_STUB_FSGSBASE], 0",
    "je 7f",
    "wrfsbase r15",
    "jmp 9f",
    "7:",
    "mov rsi, r15",
    "mov edi, {arch_set_fs}",
    "mov eax, {sys_arch_prctl}",
    "syscall",
    "9:",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "ret",
    ".popsection",
    host_fs = const offset_of!(EntryArea, host_fs),
    arch_get_gs = const ARCH_GET_GS,
    arch_get_fs = const ARCH_GET_FS,
    arch_set_fs = const ARCH_SET_FS,
    sys_arch_prctl = const libc::SYS_arch_prctl,
    handler = sym host_signal,
);

extern "C" {
    fn nommu_host_signal_stub(signo: i32, info: *mut libc::siginfo_t, uc: *mut libc::c_void);
}

/// The host signal used to kick a vCPU thread out of guest code.
pub(crate) fn kick_signal() -> i32 {
    libc::SIGRTMAX() - 1
}

/// The synchronous signals that guest code can raise.
pub(crate) const GUEST_FAULT_SIGNALS: [i32; 5] =
    [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE, libc::SIGTRAP];

/// Installs the stub for guest faults and kicks. Call before any vCPU.
pub(crate) fn install() -> std::io::Result<()> {
    static FSGSBASE: OnceLock<()> = OnceLock::new();
    FSGSBASE.get_or_init(|| {
        // SAFETY: written once, before any vCPU thread exists; until then
        // the stub reads 0 and takes the FS/GS bases with arch_prctl,
        // which every host has.
        unsafe { NOMMU_STUB_FSGSBASE = super::cpu::has_fsgsbase() as u8 };
    });
    install_handlers()
}

/// The stub's handlers (guest faults, the kick, SIGSYS), once a process.
/// The `nommu` binary calls this before std's runtime starts: std, finding
/// SIGSEGV and SIGBUS handled, then makes no alternate signal stack of its
/// own for the main thread and for every thread it spawns (six host calls
/// a start; the stub runs on each vCPU thread's own stack).
pub fn install_handlers() -> std::io::Result<()> {
    static DONE: OnceLock<std::io::Result<()>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        for signo in GUEST_FAULT_SIGNALS.iter().copied().chain([kick_signal(), libc::SIGSYS]) {
            set_handler(signo, nommu_host_signal_stub as *const () as usize)?;
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(()),
        Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
    }
}

/// The routed host signals this process takes with the stub (a bit per
/// signal number, `1 << (signo - 1)`, as in a kernel sigset); 0 until
/// `route_signals` (in-process machines never route: Ctrl-C ends them).
static ROUTED_MASK: AtomicU64 = AtomicU64::new(0);
/// Routed signals taken by a thread with a task, not yet routed
/// (`take_routed`).
static ROUTED_PENDING: AtomicU64 = AtomicU64::new(0);

fn sigbit(signo: i32) -> u64 {
    1u64 << (signo - 1)
}

/// Makes `handled` routed signals: they get the stub, which records each
/// one taken on a thread with a task (`take_routed`) and kicks that
/// thread, and hands it on (`forward`) elsewhere. The caller has them
/// blocked on every thread (`set_routed_unblocked` opens them on a thread
/// that runs a task). Call once, before any other thread exists.
pub(crate) fn route_signals(handled: &[i32]) -> std::io::Result<()> {
    install()?;
    let mask = handled.iter().fold(0, |m, &s| m | sigbit(s));
    ROUTED_MASK.store(mask, Ordering::Relaxed);
    for &signo in handled {
        set_handler(signo, nommu_host_signal_stub as *const () as usize)?;
    }
    Ok(())
}

/// The routed signals taken since the last call, as a set of bits
/// (`1 << (signo - 1)`). One load when there are none.
#[inline]
pub(crate) fn take_routed() -> u64 {
    if ROUTED_PENDING.load(Ordering::Relaxed) == 0 {
        return 0;
    }
    ROUTED_PENDING.swap(0, Ordering::AcqRel)
}

/// Blocks (or unblocks) the routed signals on the calling thread; nothing
/// when no signal is routed.
pub(crate) fn set_routed_unblocked(unblocked: bool) {
    let mask = ROUTED_MASK.load(Ordering::Relaxed);
    if mask == 0 {
        return;
    }
    let how = if unblocked { libc::SIG_UNBLOCK } else { libc::SIG_BLOCK };
    // SAFETY: rt_sigprocmask with a kernel-sized (8-byte) set on the
    // calling thread.
    unsafe { libc::syscall(libc::SYS_rt_sigprocmask, how, &mask as *const u64, core::ptr::null_mut::<u64>(), 8) };
}

/// Runs `spawn` (which creates a host thread) with the routed signals
/// blocked: on x86-64 a new thread starts with its creator's GS base, so
/// until it binds an entry area of its own the stub would take the
/// creator's. The new thread inherits the blocked mask.
pub(crate) fn with_routed_blocked<T>(spawn: impl FnOnce() -> T) -> T {
    let mask = ROUTED_MASK.load(Ordering::Relaxed);
    if mask == 0 {
        return spawn();
    }
    let mut old: u64 = 0;
    // SAFETY: rt_sigprocmask on the calling thread with 8-byte sets.
    unsafe { libc::syscall(libc::SYS_rt_sigprocmask, libc::SIG_BLOCK, &mask as *const u64, &mut old as *mut u64, 8) };
    let r = spawn();
    // SAFETY: as above; puts the caller's mask back.
    unsafe {
        libc::syscall(libc::SYS_rt_sigprocmask, libc::SIG_SETMASK, &old as *const u64, core::ptr::null_mut::<u64>(), 8)
    };
    r
}

/// A routed signal reached a thread that cannot route it (no task runs on
/// it): from its handler's return on the thread blocks them all, and the
/// signal goes to the process again, for a thread that does not block it
/// (or to wait, pending, until one unblocks them). Async-signal-safe.
fn forward(signo: i32, uc: *mut Ucontext, area: *mut EntryArea) {
    let mask = ROUTED_MASK.load(Ordering::Relaxed);
    // SAFETY: the kernel passes a valid ucontext; `area`, when not null,
    // is this thread's own entry area (GS base), whose selector must allow
    // the host call for as long as it lasts.
    unsafe {
        (*uc).uc_sigmask |= mask;
        match area.as_mut() {
            Some(area) => {
                area.routed_blocked = 1;
                let selector = area.dispatch_selector;
                area.dispatch_selector = SYSCALL_DISPATCH_FILTER_ALLOW as u64;
                libc::kill(libc::getpid(), signo);
                area.dispatch_selector = selector;
            }
            None => {
                libc::kill(libc::getpid(), signo);
            }
        }
    }
}

fn set_handler(signo: i32, handler: usize) -> std::io::Result<()> {
    // SAFETY: a zeroed sigaction is a valid starting point; the handler is
    // either our stub (which follows the SA_SIGINFO ABI) or SIG_DFL.
    unsafe {
        let mut sa: libc::sigaction = core::mem::zeroed();
        sa.sa_sigaction = handler;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
        libc::sigfillset(&mut sa.sa_mask);
        if libc::sigaction(signo, &sa, core::ptr::null_mut()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A fault in nommu's own code: let it take its default action (a core
/// dump) when the faulting instruction runs again. A trapped syscall does
/// not run again, so it is raised anew (delivered once this handler ends).
fn crash_with(signo: i32) {
    let _ = set_handler(signo, libc::SIG_DFL);
    if signo == libc::SIGSYS {
        // SAFETY: tgkill to the calling thread.
        unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), libc::gettid(), signo) };
    }
}

/// The arena, for `recover_arena_fault`: [base, base+size).
static ARENA_BASE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
static ARENA_SIZE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Tells the signal handler where the arena is (once, at start-up).
pub(crate) fn set_arena(base: u64, size: u64) {
    ARENA_BASE.store(base, core::sync::atomic::Ordering::Relaxed);
    ARENA_SIZE.store(size, core::sync::atomic::Ordering::Relaxed);
}

/// A fault in nommu's own code that a race, not a bug, can cause: on an
/// arena page (`recover_arena_fault`), or past the end of a file nommu
/// reads in place (`fileread`). The access is retried.
fn recover_own_fault(signo: i32, info: &libc::siginfo_t) -> bool {
    // SAFETY: for SIGBUS the kernel fills si_addr.
    recover_arena_fault(signo, info)
        || (signo == libc::SIGBUS && super::fileread::recover(unsafe { info.si_addr() } as u64))
}

/// nommu's own code faulted on an arena page, which it only ever touches
/// after checking it is guest memory it may use. Two races can still get
/// here, and neither may kill the machine:
/// - SIGBUS: a page of a shared file mapping that lies past the file's
///   end (someone truncated the file after it was mapped). The page
///   becomes plain zeroed memory.
/// - SIGSEGV on an inaccessible (PROT_NONE) page: another guest thread
///   made it so while a syscall was copying to or from it. The page is
///   given back to the guest readable and writable (it stays marked, so
///   later syscalls answer EFAULT for it): the guest loses the protection
///   it raced against, nothing else.
///
/// Either way the access is retried.
fn recover_arena_fault(signo: i32, info: &libc::siginfo_t) -> bool {
    let file_past_eof = signo == libc::SIGBUS;
    let inaccessible = signo == libc::SIGSEGV && info.si_code == SEGV_ACCERR;
    if !file_past_eof && !inaccessible {
        return false;
    }
    // SAFETY: for SIGBUS and SIGSEGV the kernel fills si_addr.
    let addr = unsafe { info.si_addr() } as u64;
    let (base, size) = (
        ARENA_BASE.load(core::sync::atomic::Ordering::Relaxed),
        ARENA_SIZE.load(core::sync::atomic::Ordering::Relaxed),
    );
    if addr < base || addr >= base + size {
        return false;
    }
    let page = addr & !(PAGE_SIZE - 1);
    let rwx = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
    if inaccessible {
        // SAFETY: one page of our own arena; mprotect is async-signal-safe.
        return unsafe { libc::mprotect(page as *mut libc::c_void, PAGE_SIZE as usize, rwx) } == 0;
    }
    // SAFETY: replaces one page of our own arena (only file-backed pages
    // raise SIGBUS there) with fresh anonymous memory; mmap is
    // async-signal-safe.
    let p = unsafe {
        libc::mmap(
            page as *mut libc::c_void,
            PAGE_SIZE as usize,
            rwx,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    p != libc::MAP_FAILED
}

/// Under `--isolate` (`pkeys.rs`) Linux enters this handler with its
/// initial PKRU, which grants key 0 only. That is enough: the handler
/// touches the entry area, the alternate stack and the signal frame
/// (nommu's own memory, key 0) and changes arena pages only through
/// mprotect/mmap, never by access. The interrupted PKRU comes back with
/// sigreturn, and a guest sent to an exit stub (`nommu_signal_exit`,
/// `nommu_entry_abort`) gets the kernel's there.
extern "C" fn host_signal(
    signo: i32,
    info: *mut libc::siginfo_t,
    uc: *mut Ucontext,
    area: *mut EntryArea,
    interrupted_fs: u64,
) {
    // SAFETY: the kernel passes a valid siginfo.
    if signo == libc::SIGSYS && !is_trapped_syscall(unsafe { &*info }) {
        // Somebody sent nommu a SIGSYS by hand: nothing to do.
        return;
    }
    let mut signo = signo;
    let routed = (1..=64).contains(&signo) && ROUTED_MASK.load(Ordering::Relaxed) & sigbit(signo) != 0;
    if routed {
        // SAFETY: `area`, when not null, is this thread's own entry area.
        if area.is_null() || unsafe { (*area).routes } == 0 {
            forward(signo, uc, area);
            return;
        }
        // A task runs here: record it for the kernel, which routes it
        // where it looks at kicks, and kick this thread.
        ROUTED_PENDING.fetch_or(sigbit(signo), Ordering::AcqRel);
        signo = kick_signal();
    }
    let is_kick = signo == kick_signal();
    if area.is_null() {
        // SAFETY: the kernel passes a valid siginfo.
        if !is_kick && !recover_own_fault(signo, unsafe { &*info }) {
            crash_with(signo);
        }
        return;
    }
    // SAFETY: the kernel passes valid siginfo and ucontext pointers; `area`
    // is this thread's own entry area (GS base), only ever touched by this
    // thread, and the interrupted code is not using it while we run.
    let (area, info, uc) = unsafe { (&mut *area, &*info, &mut *uc) };
    let rip = uc.uc_mcontext.rip;
    // Host code runs with syscalls allowed; the interrupted code gets its
    // selector back unless it is being sent to an exit stub.
    let selector = area.dispatch_selector;
    area.dispatch_selector = SYSCALL_DISPATCH_FILTER_ALLOW as u64;
    handle_in_area(signo, is_kick, area, info, uc, interrupted_fs);
    if uc.uc_mcontext.rip == rip || uc.uc_mcontext.rip == nommu_entry_by_jmp as *const () as usize as u64 {
        area.dispatch_selector = selector;
    }
}

fn handle_in_area(
    signo: i32,
    is_kick: bool,
    area: &mut EntryArea,
    info: &libc::siginfo_t,
    uc: &mut Ucontext,
    interrupted_fs: u64,
) {
    let rip = uc.uc_mcontext.rip;
    if !is_kick && rip == nommu_entry_by_ret as *const () as usize as u64 {
        // The return address could not be written back to the guest's
        // stack (another thread unmapped or protected it since the
        // guest's `call`): enter by `jmp` instead, as a native syscall
        // would return without touching the stack.
        uc.uc_mcontext.rip = nommu_entry_by_jmp as *const () as usize as u64;
        return;
    }
    if is_kick && super::isyscall::in_window(rip) {
        // About to block in the host: do not.
        uc.uc_mcontext.rip = super::isyscall::abort_address();
        area.kicked = 1;
        return;
    }
    if let Some(point) = super::fastrw::region(rip) {
        fast_rw_interrupted(point, is_kick, signo, area, uc);
        return;
    }
    match classify_host_rip(rip) {
        StubRegion::EntryWindow if is_kick => {
            uc.uc_mcontext.rip = nommu_entry_abort as *const () as usize as u64;
        }
        StubRegion::EntryWindow | StubRegion::ExitPath => {
            if is_kick {
                area.kicked = 1;
            } else {
                crash_with(signo);
            }
        }
        StubRegion::Elsewhere if area.in_guest != 0 => {
            save_guest_state(area, uc);
            if area.has_fsgsbase != 0 {
                // Guest code may set FS with wrfsbase; without FSGSBASE only
                // our arch_prctl can, and the area is already current.
                area.guest_fs = interrupted_fs;
            }
            area.sig_signo = signo as u64;
            // SAFETY: for fault signals the kernel fills si_addr.
            area.sig_addr = unsafe { info.si_addr() } as u64;
            area.sig_code = info.si_code as u64;
            if signo == libc::SIGSYS {
                // The syscall did not run; its number is in the siginfo
                // (seccomp leaves -ENOSYS in rax). Another ABI (int 0x80)
                // gets a number no table has.
                let (nr, arch) = trapped_syscall(info);
                area.regs.rax = if arch == AUDIT_ARCH_X86_64 { nr as u64 } else { u64::MAX };
            }
            area.sig_trapno = uc.uc_mcontext.trapno;
            area.sig_err = uc.uc_mcontext.err;
            uc.uc_mcontext.rip = nommu_signal_exit as *const () as usize as u64;
            uc.uc_mcontext.rsp = area.host_rsp;
            uc.uc_mcontext.eflags &= !(X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_AC);
        }
        StubRegion::Elsewhere => {
            if is_kick {
                area.kicked = 1;
            } else if !recover_own_fault(signo, info) {
                crash_with(signo);
            }
        }
    }
}

/// A host signal inside the fast read/write stub (fastrw.rs), which runs
/// with the guest's registers live: a kick sends the thread out through
/// the slow entry, with the call made there or, once the host made it,
/// done; anything else is nommu's own fault.
fn fast_rw_interrupted(point: FastRwPoint, is_kick: bool, signo: i32, area: &mut EntryArea, uc: &mut Ucontext) {
    if !is_kick {
        crash_with(signo);
    }
    area.kicked = 1;
    match point {
        FastRwPoint::Passing => {}
        FastRwPoint::BeforeCall => uc.uc_mcontext.rip = fastrw::bail_address(),
        FastRwPoint::AfterCall => {
            if uc.uc_mcontext.rip == fastrw::post_address() {
                area.fast_result = uc.uc_mcontext.rax;
            }
            uc.uc_mcontext.rip =
                if fastrw::is_host_error(area.fast_result) { fastrw::bail_address() } else { fastrw::done_address() };
        }
    }
}

fn is_trapped_syscall(info: &libc::siginfo_t) -> bool {
    matches!(info.si_code, SYS_SECCOMP | SYS_USER_DISPATCH)
}

const _: () = assert!(core::mem::size_of::<libc::siginfo_t>() == core::mem::size_of::<Siginfo>());

/// `si_syscall` and `si_arch` of a SIGSYS siginfo.
fn trapped_syscall(info: &libc::siginfo_t) -> (i32, u32) {
    // SAFETY: libc's siginfo_t is the kernel's, 128 bytes as `Siginfo` is;
    // any bytes are a valid `Siginfo`.
    let sys = unsafe { (info as *const libc::siginfo_t as *const Siginfo).read_unaligned() }.sys_fields();
    (sys.si_syscall, sys.si_arch)
}

fn save_guest_state(area: &mut EntryArea, uc: &Ucontext) {
    let m = &uc.uc_mcontext;
    area.regs = GuestRegs::from_sigcontext(m);
    if m.fpstate == 0 {
        return;
    }
    let fp = m.fpstate as *const u8;
    // SAFETY: fpstate points at the kernel-written fxsave/xsave image in
    // this signal frame; its software-reserved bytes say how large it is.
    let sw = unsafe { (fp.add(offset_of!(Fpstate, sw_reserved)) as *const FpxSwBytes).read_unaligned() };
    let len = if sw.magic1 == FP_XSTATE_MAGIC1 { sw.xstate_size as usize } else { FXSAVE_SIZE };
    let len = len.min(area.xsave.0.len());
    // SAFETY: `len` bytes are readable at fp (bounded by the frame's own
    // size field and by our buffer).
    let image = unsafe { core::slice::from_raw_parts(fp, len) };
    area.xsave.0[..len].copy_from_slice(image);
    if len < XSAVE_HEADER_END {
        // A legacy fxsave image: mark x87 and SSE as present, no extensions.
        area.xsave.0[FXSAVE_SIZE..XSAVE_HEADER_END].fill(0);
        area.xsave.0[FXSAVE_SIZE] = 0b11;
    }
    area.xstate_full = 1;
}
