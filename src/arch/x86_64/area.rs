//! The per-thread entry area: everything the entry stubs need, reached
//! through `%gs:` (docs/architecture.md, invariant 3).
//!
//! The layout is `repr(C)` and the asm in `entry.rs` addresses fields with
//! `offset_of!` constants, so the two cannot drift apart.

/// The guest's general-purpose registers, rip, rflags and rsp.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuestRegs {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub rsp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub rflags: u64,
}

impl GuestRegs {
    /// The registers a signal frame's `sigcontext` holds (rflags as it
    /// says; callers that must not trust it filter it).
    pub(crate) fn from_sigcontext(m: &crate::abi::x86::Sigcontext) -> GuestRegs {
        GuestRegs {
            rax: m.rax,
            rbx: m.rbx,
            rcx: m.rcx,
            rdx: m.rdx,
            rsi: m.rsi,
            rdi: m.rdi,
            rbp: m.rbp,
            rsp: m.rsp,
            r8: m.r8,
            r9: m.r9,
            r10: m.r10,
            r11: m.r11,
            r12: m.r12,
            r13: m.r13,
            r14: m.r14,
            r15: m.r15,
            rip: m.rip,
            rflags: m.eflags,
        }
    }
}

/// Size reserved for a full `xsave` image; checked against CPUID at start-up.
pub(crate) const XSAVE_AREA_SIZE: usize = 16384;

/// xmm0-15, 16-byte aligned for movaps.
#[repr(C, align(16))]
pub(crate) struct XmmRegs(pub [[u64; 2]; 16]);

#[repr(C, align(64))]
pub(crate) struct XsaveArea(pub [u8; XSAVE_AREA_SIZE]);

/// Why `enter_guest` returned. Values are shared with the asm.
pub(crate) const EXIT_SYSCALL: u64 = 1;
pub(crate) const EXIT_SIGNAL: u64 = 2;
pub(crate) const EXIT_KICK: u64 = 3;

/// One armed fast read or write (`fastrw.rs`): while `epoch` is the
/// area's `fast_epoch`, a `read`/`write` of guest descriptor `fd` from the
/// syscall site that returns to `site`, with a buffer inside [lo, hi), is
/// the host call on `host_fd` made by the entry stub itself.
#[repr(C, align(64))]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FastRwSlot {
    pub epoch: u64,
    pub site: u64,
    pub fd: u64,
    pub host_fd: u64,
    pub lo: u64,
    pub hi: u64,
}

/// The slots, indexed by syscall number (read 0, write 1).
pub(crate) const FAST_RW_SLOTS: usize = 2;

#[repr(C, align(64))]
pub(crate) struct EntryArea {
    /// Linear address of this area, so asm can turn `%gs:` into a pointer.
    pub self_ptr: u64,
    pub regs: GuestRegs,
    /// Guest FS base (its TLS pointer).
    pub guest_fs: u64,
    /// This host thread's FS base (Rust's TLS).
    pub host_fs: u64,
    /// Host stack pointer inside `nommu_enter_guest`, after its pushes.
    pub host_rsp: u64,
    /// 1 while guest code may be running (set in the entry window).
    pub in_guest: u64,
    /// Set by the kick handler when it lands outside guest code; checked in
    /// the entry window so a kick can never be lost.
    pub kicked: u64,
    /// Syscall User Dispatch selector (low byte): BLOCK while guest code
    /// runs, ALLOW while host code does (see systrap.rs).
    pub dispatch_selector: u64,
    /// Where the last syscall through the sled came from (the return
    /// address its `call` pushed) and the guest rsp after it; `sled_rip` is
    /// 0 once the guest was entered again. Entry by `ret` is used only there.
    pub sled_rip: u64,
    pub sled_rsp: u64,
    /// The entry window's last jump: `nommu_entry_by_ret` or `_by_jmp`.
    pub entry_tail: u64,
    /// 1 when the CPU has FSGSBASE enabled for user space.
    pub has_fsgsbase: u64,
    /// 1 when `xsave` below holds the complete guest state (slow paths).
    pub xstate_full: u64,
    /// Result of a signal exit: signo, si_code, fault address.
    pub exit_reason: u64,
    pub sig_signo: u64,
    pub sig_code: u64,
    pub sig_addr: u64,
    /// Trap number and error code of a fault (for the guest's sigcontext).
    pub sig_trapno: u64,
    pub sig_err: u64,
    /// 1 while a task runs on this thread: a routed host signal it takes
    /// is recorded and becomes a kick (hostsig.rs); 0: it is forwarded.
    pub routes: u64,
    /// 1 once this thread forwarded a routed signal and so blocks them
    /// (the next task unblocks them).
    pub routed_blocked: u64,
    /// 1 under `--isolate`: the entry stubs switch PKRU between
    /// `kernel_pkru` and `guest_pkru` (`pkeys.rs`).
    pub switch_pkru: u64,
    /// PKRU host code runs with under `--isolate`.
    pub kernel_pkru: u64,
    /// PKRU the guest runs with under `--isolate` (its own key granted).
    pub guest_pkru: u64,
    /// The fast read/write path (`fastrw.rs`): the slots valid while
    /// their epoch is this one (bumped to drop them all), the guest's
    /// rdi, syscall number and arithmetic flags (`lahf` + `seto` in one
    /// word) while the stub runs, the host call's result, and 1 when the
    /// stub completed a call but left through the slow path (a kick).
    pub fast_epoch: u64,
    pub fast_rdi: u64,
    pub fast_nr: u64,
    pub fast_flags: u64,
    pub fast_result: u64,
    pub fast_done: u64,
    pub fast_rw: [FastRwSlot; FAST_RW_SLOTS],
    /// Guest MXCSR (fast path).
    pub mxcsr: u32,
    /// Guest xmm0-15 (fast path).
    pub xmm: XmmRegs,
    pub xsave: XsaveArea,
}

impl EntryArea {
    pub(crate) fn new_boxed() -> Box<EntryArea> {
        // Made zeroed in place: a 16 KiB value built on the stack and
        // moved into its box touched 4 more pages of the main thread's
        // stack (page faults) and copied them.
        // SAFETY: every field is an integer or an array of integers, for
        // which all zero bytes are a valid value.
        let mut area = unsafe { Box::<EntryArea>::new_zeroed().assume_init() };
        area.dispatch_selector = crate::abi::prctl::SYSCALL_DISPATCH_FILTER_ALLOW as u64;
        area.has_fsgsbase = super::cpu::has_fsgsbase() as u64;
        area.mxcsr = crate::abi::x86::MXCSR_DEFAULT;
        // Slots start at epoch 0: never current.
        area.fast_epoch = 1;
        area.set_pkru_switch();
        area.self_ptr = &*area as *const EntryArea as u64;
        area
    }

    /// Whether (and to what) the entry stubs switch PKRU: as the keys
    /// say now (`pkeys::allocate` may come after the area was made).
    pub(crate) fn set_pkru_switch(&mut self) {
        match super::pkeys::kernel_pkru() {
            Some(kernel) => {
                self.switch_pkru = 1;
                self.kernel_pkru = kernel as u64;
                if self.guest_pkru == 0 {
                    self.guest_pkru = kernel as u64;
                }
            }
            None => self.switch_pkru = 0,
        }
    }

    /// Copies a guest's state (registers, FS base, vector state, the last
    /// exit) from another area; what binds the area to its thread (its own
    /// address, the host's FS and stack, the selector, kicks) stays.
    pub(crate) fn copy_guest_state(&mut self, from: &EntryArea) {
        // Another task's state: the armed fast calls were the last one's.
        self.fast_epoch += 1;
        self.regs = from.regs;
        self.guest_fs = from.guest_fs;
        self.guest_pkru = from.guest_pkru;
        self.xstate_full = from.xstate_full;
        self.exit_reason = from.exit_reason;
        self.sig_signo = from.sig_signo;
        self.sig_code = from.sig_code;
        self.sig_addr = from.sig_addr;
        self.sig_trapno = from.sig_trapno;
        self.sig_err = from.sig_err;
        self.mxcsr = from.mxcsr;
        self.xmm.0 = from.xmm.0;
        // Without `xstate_full` the image is not the guest's state (the
        // registers hold it: `Vcpu::lend` saves them into this area next),
        // and it is ~12 KiB on an AVX-512 + AMX CPU: twice per vfork.
        if from.xstate_full != 0 {
            let size = super::cpu::xsave_size_bound().min(XSAVE_AREA_SIZE);
            self.xsave.0[..size].copy_from_slice(&from.xsave.0[..size]);
        }
    }
}
