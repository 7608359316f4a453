//! A vCPU: one host thread's entry area plus the `run()` that enters guest
//! code and returns a typed exit (docs/architecture.md, "The run loop").

use super::area::{EntryArea, GuestRegs, XmmRegs, XsaveArea, EXIT_KICK, EXIT_SIGNAL, EXIT_SYSCALL};
use super::entry::nommu_enter_guest;
use super::hostsig::kick_signal;
use crate::abi::prctl::{ARCH_GET_FS, ARCH_SET_GS};
use crate::abi::x86::{Fpstate, XstateHeader, MXCSR_DEFAULT};
use core::mem::{offset_of, size_of};

/// Why `Vcpu::run` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VcpuExit {
    /// The guest made a syscall; `regs().rax` is its number and `regs().rip`
    /// the instruction after it. `trapped`: it came through the trap path
    /// (an instruction that was not rewritten), not through page 0.
    Syscall { trapped: bool },
    /// Guest code raised a synchronous signal.
    Fault { signo: i32, code: i32, addr: u64 },
    /// Another thread asked this one to look at pending work.
    Kick,
}

const SIGALTSTACK_SIZE: usize = 64 * 1024;
/// Where MXCSR, xmm0-15 and the header's XSTATE_BV are in an xsave image.
const XSAVE_MXCSR_OFFSET: usize = offset_of!(Fpstate, mxcsr);
const XSAVE_XMM_OFFSET: usize = offset_of!(Fpstate, xmm_space);
const XSAVE_XSTATE_BV_OFFSET: usize = size_of::<Fpstate>() + offset_of!(XstateHeader, xfeatures);
/// Every state component except PKRU (bit 9): the protection-key rights
/// are the host's (they make page 0 execute-only), never the guest's.
const XRSTOR_MASK_LOW: u32 = !(crate::abi::x86::XFEATURE_MASK_PKRU as u32);

/// Bound to the host thread that created it: GS points at its entry area.
/// (A vCPU made by `lend` or `detached` binds nothing itself.)
pub struct Vcpu {
    /// Dropped first: the thread lets go of the area and the alternate
    /// stack before they go away.
    binding: Option<Binding>,
    area: Box<EntryArea>,
    _altstack: Vec<u8>,
    host_tid: i32,
    /// The area the state is put aside in while the area is lent (`lend`),
    /// kept for the next time.
    spare: Option<Box<EntryArea>>,
}

/// The host thread's GS, dispatch selector and alternate stack point into
/// a vCPU's area and buffer.
struct Binding;

/// A vCPU's guest state, to go on with it on another host thread.
pub(crate) struct VcpuState {
    regs: GuestRegs,
    fs: u64,
    xstate: Vec<u8>,
}

/// A signal frame's image says it holds only the components frames carry.
fn only_frame_features(img: &mut [u8]) {
    let bv = u64::from_le_bytes(img[XSAVE_XSTATE_BV_OFFSET..XSAVE_XSTATE_BV_OFFSET + 8].try_into().unwrap());
    let bv = bv & super::cpu::frame_xfeatures();
    img[XSAVE_XSTATE_BV_OFFSET..XSAVE_XSTATE_BV_OFFSET + 8].copy_from_slice(&bv.to_le_bytes());
}

impl Vcpu {
    /// Makes the calling host thread a vCPU thread.
    pub fn new_on_current_thread() -> std::io::Result<Vcpu> {
        super::hostsig::install()?;
        if !super::cpu::xsave_fits(super::area::XSAVE_AREA_SIZE) {
            return Err(std::io::Error::other("CPU xsave image larger than nommu's buffer"));
        }
        let mut area = EntryArea::new_boxed();
        let mut altstack = vec![0u8; SIGALTSTACK_SIZE];
        // SAFETY: plain syscalls on this thread; the area and the altstack
        // are heap allocations owned by the returned Vcpu, which is !Send,
        // so they outlive every use by this thread's signal handlers.
        unsafe {
            let ss = libc::stack_t {
                ss_sp: altstack.as_mut_ptr() as *mut libc::c_void,
                ss_flags: 0,
                ss_size: altstack.len(),
            };
            if libc::sigaltstack(&ss, core::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let mut fs: u64 = 0;
            if libc::syscall(libc::SYS_arch_prctl, ARCH_GET_FS, &mut fs as *mut u64) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            area.host_fs = fs;
            let area_ptr = &mut *area as *mut EntryArea as u64;
            if libc::syscall(libc::SYS_arch_prctl, ARCH_SET_GS, area_ptr) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        super::systrap::enable_on_current_thread(&area.dispatch_selector as *const u64 as *const u8)?;
        if area.switch_pkru != 0 {
            // A thread started before the keys were taken has the host's
            // initial PKRU, which denies them.
            super::pkeys::wrpkru(area.kernel_pkru as u32);
        }
        let host_tid = current_host_tid();
        VCPU_THREAD_TID.with(|t| t.set(host_tid));
        let mut vcpu = Vcpu { binding: Some(Binding), area, _altstack: altstack, host_tid, spare: None };
        vcpu.reset_vector_state();
        // The thread has its own area and a task: it may take routed host
        // signals now (the thread was started with them blocked).
        vcpu.area.routes = 1;
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
        super::hostsig::set_routed_unblocked(true);
        Ok(vcpu)
    }

    /// The calling thread's vCPU: the one its last task left (`keep`), else
    /// a new one. (Host threads are reused, `kernel::threadpool`.)
    pub fn for_current_thread() -> std::io::Result<Vcpu> {
        match IDLE_VCPU.with(|v| v.borrow_mut().take()) {
            Some(mut vcpu) => {
                let area = &mut *vcpu.area;
                // Another task: the last one's armed fast calls are not its
                // (that one may have ended by a signal, with no syscall
                // to disarm them).
                area.fast_epoch += 1;
                area.regs = GuestRegs::default();
                area.guest_fs = 0;
                area.kicked = 0;
                area.sig_signo = 0;
                area.sig_code = 0;
                area.sig_addr = 0;
                area.sig_trapno = 0;
                area.sig_err = 0;
                vcpu.reset_vector_state();
                vcpu.area.set_pkru_switch();
                vcpu.area.routes = 1;
                // This thread's signal handler reads `routes` and writes
                // `routed_blocked`: in this order, one forwarded before
                // `routes` was set is seen here.
                core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
                if vcpu.area.routed_blocked != 0 {
                    // It forwarded one while it had no task.
                    vcpu.area.routed_blocked = 0;
                    super::hostsig::set_routed_unblocked(true);
                }
                Ok(vcpu)
            }
            None => Vcpu::new_on_current_thread(),
        }
    }

    /// The thread's task is over: its vCPU stays bound to the thread for
    /// the thread's next task (`for_current_thread`), which saves making
    /// and binding one (two allocations and five host calls each way).
    /// From now on a routed host signal this thread takes is forwarded
    /// (the kernel routes what it took before: `hostsignals::take`).
    pub fn keep(mut self) {
        self.area.routes = 0;
        // Before the kernel's last look (`hostsignals::take`), for this
        // thread's signal handler.
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
        if self.binding.is_some() && self.host_tid == current_host_tid_cached() {
            IDLE_VCPU.with(|v| *v.borrow_mut() = Some(self));
        }
    }

    /// Lends this thread's entry area to a vCPU for a vfork child that runs
    /// on this host thread while this vCPU's task is suspended. The child
    /// starts from this vCPU's registers and vector state; this vCPU keeps
    /// its own state aside until `take_back`. No host call: GS, the
    /// dispatch selector and the alternate signal stack stay as they are.
    pub(crate) fn lend(&mut self) -> Vcpu {
        let mut aside = self.spare.take().unwrap_or_else(EntryArea::new_boxed);
        aside.copy_guest_state(&self.area);
        if self.area.xstate_full == 0 {
            // The registers hold what is not in the area: into the image.
            save_live_xstate(&mut aside);
        }
        std::mem::swap(&mut self.area, &mut aside);
        aside.kicked = 0;
        // The thread's area goes to the child: the parent's slots are not its.
        aside.fast_epoch += 1;
        Vcpu { binding: None, area: aside, _altstack: Vec::new(), host_tid: self.host_tid, spare: None }
    }

    /// Takes back the area lent to `child` (`lend`), with this vCPU's state
    /// as it was put aside; `child` is done with this thread.
    pub(crate) fn take_back(&mut self, child: Vcpu) {
        let Vcpu { binding, mut area, .. } = child;
        debug_assert!(binding.is_none());
        let parent = &mut *self.area;
        if parent.xstate_full != 0 {
            // The child is done with the registers: the parent's vector
            // state goes back into them from the image it was put aside
            // in (as the next entry would load it), rather than ~12 KiB
            // of image being copied into the thread's area first.
            load_image(&parent.xsave, &mut parent.mxcsr, &mut parent.xmm);
            parent.xstate_full = 0;
        }
        area.copy_guest_state(parent);
        std::mem::swap(&mut self.area, &mut area);
        self.spare = Some(area);
    }

    /// The PKRU guest code runs with under `--isolate` (`pkeys.rs`);
    /// nothing changes when isolation is off.
    pub(crate) fn set_guest_pkru(&mut self, pkru: u32) {
        if self.area.switch_pkru == 0 {
            // An area made before the keys were taken, on a thread that
            // may still have the host's initial PKRU: the kernel's from now.
            self.area.set_pkru_switch();
            if self.area.switch_pkru != 0 {
                super::pkeys::wrpkru(self.area.kernel_pkru as u32);
            }
        }
        self.area.guest_pkru = pkru as u64;
    }

    /// A stand-in that binds nothing (a task's vCPU between two threads).
    /// Its area comes from the ones stand-ins gave back (`recycle_detached`):
    /// a fresh one cost musl's allocator an mmap here and a munmap on the
    /// thread that took the task. Its content means nothing.
    pub(crate) fn detached() -> Vcpu {
        let area = lock_detached().pop().unwrap_or_else(EntryArea::new_boxed);
        Vcpu { binding: None, area, _altstack: Vec::new(), host_tid: 0, spare: None }
    }

    /// Gives a stand-in's area back for the next `detached` (a vCPU that
    /// is bound, or lent a thread's area, is simply dropped).
    pub(crate) fn recycle_detached(self) {
        if self.binding.is_some() || self.host_tid != 0 || self.spare.is_some() {
            return;
        }
        let mut spares = lock_detached();
        if spares.len() < DETACHED_KEPT {
            spares.push(self.area);
        }
    }

    /// The guest state, to go on with on another thread (`set_state`).
    pub(crate) fn state(&mut self) -> VcpuState {
        VcpuState { regs: self.area.regs, fs: self.area.guest_fs, xstate: self.capture_xstate().to_vec() }
    }

    pub(crate) fn set_state(&mut self, state: &VcpuState) {
        self.disarm_fast_rw();
        self.area.regs = state.regs;
        self.area.guest_fs = state.fs;
        let image = &state.xstate;
        let _ = self.restore_xstate(|img| {
            let n = img.len().min(image.len());
            img[..n].copy_from_slice(&image[..n]);
            img[n..].fill(0);
            Ok::<(), ()>(())
        });
    }

    pub(crate) fn regs(&self) -> &GuestRegs {
        &self.area.regs
    }

    pub fn regs_mut(&mut self) -> &mut GuestRegs {
        &mut self.area.regs
    }

    /// Trap number and error code of the last fault exit.
    pub(crate) fn fault_details(&self) -> (u64, u64) {
        (self.area.sig_trapno, self.area.sig_err)
    }

    pub(crate) fn fs_base(&self) -> u64 {
        self.area.guest_fs
    }

    pub(crate) fn set_fs_base(&mut self, fs: u64) {
        self.area.guest_fs = fs;
    }

    /// Host thread id, for `kick_thread`.
    pub(crate) fn host_tid(&self) -> i32 {
        self.host_tid
    }

    /// Forget a pending kick; the caller then checks for work itself.
    pub(crate) fn clear_kick(&mut self) {
        self.area.kicked = 0;
    }

    /// `clear_kick`, saying whether a kick was pending. A plain load
    /// first: no kick is the common case, and an `xchg` (always a locked
    /// instruction) was ~13 ns of every syscall here (`perf`). A kick that
    /// lands after the load is left pending, as one after the swap would
    /// be (the entry window checks it again); the swap, one instruction,
    /// takes the one seen, so a kick is never lost.
    pub(crate) fn take_kick(&mut self) -> bool {
        let word = &mut self.area.kicked as *mut u64;
        // SAFETY: the area's own aligned u64; only this thread and its
        // signal handler touch it, atomically (one instruction each).
        let kicked = unsafe { core::sync::atomic::AtomicU64::from_ptr(word) };
        kicked.load(core::sync::atomic::Ordering::Relaxed) != 0
            && kicked.swap(0, core::sync::atomic::Ordering::Relaxed) != 0
    }

    /// Vector and FPU state as after execve: x87 and SSE in their initial
    /// configuration, every extended component in its init state. Only
    /// the legacy region and the header matter to `xrstor` (a component
    /// whose XSTATE_BV bit is clear is loaded in its init state); the
    /// frame-sized part (or more, before the first frame: see
    /// `frame_xsave_size_bound`) is cleared so frames show zeros there.
    pub(crate) fn reset_vector_state(&mut self) {
        let image = &mut self.area.xsave.0;
        let frame = super::cpu::frame_xsave_size_bound().min(super::area::XSAVE_AREA_SIZE);
        image[..frame.max(crate::abi::x86::XSAVE_LEGACY_AND_HEADER)].fill(0);
        image[0..2].copy_from_slice(&crate::abi::x86::FCW_DEFAULT.to_le_bytes());
        image[XSAVE_MXCSR_OFFSET..XSAVE_MXCSR_OFFSET + 4].copy_from_slice(&MXCSR_DEFAULT.to_le_bytes());
        self.area.xstate_full = 1;
    }

    /// The guest's complete vector/FPU state as a standard-format xsave
    /// image of the frame's size (for a signal frame). It is made in the
    /// area's own image, which then holds the complete state: no copy, no
    /// allocation (a heap buffer of this size cost musl's allocator an
    /// mmap and a munmap per signal).
    pub(crate) fn capture_xstate(&mut self) -> &[u8] {
        let size = super::cpu::frame_xsave_size();
        if self.area.xstate_full == 0 {
            save_live_xstate(&mut self.area);
        }
        let img = &mut self.area.xsave.0;
        only_frame_features(img);
        &img[..size]
    }

    /// Installs a guest-supplied xsave image (rt_sigreturn), which `read`
    /// copies into the area's image (the frame's size of it). It is made
    /// safe for xrstor first: a bad header or MXCSR would fault in nommu.
    pub(crate) fn restore_xstate<E>(&mut self, read: impl FnOnce(&mut [u8]) -> Result<(), E>) -> Result<(), E> {
        let size = super::cpu::frame_xsave_size();
        let img = &mut self.area.xsave.0;
        read(&mut img[..size])?;
        let mxcsr = u32::from_le_bytes(img[XSAVE_MXCSR_OFFSET..XSAVE_MXCSR_OFFSET + 4].try_into().unwrap());
        img[XSAVE_MXCSR_OFFSET..XSAVE_MXCSR_OFFSET + 4]
            .copy_from_slice(&(mxcsr & super::cpu::mxcsr_mask()).to_le_bytes());
        // The mask of MXCSR itself (fxsave's mxcsr_mask) must stay as is.
        // Components enabled on demand (AMX) are never restored: with
        // XFD armed, xrstor of them would fault in nommu. Components past
        // the frame's size are not in XSTATE_BV, so xrstor reads nothing
        // there.
        let allowed = super::cpu::frame_xfeatures() & !crate::abi::x86::XFEATURE_MASK_PKRU;
        let bv = u64::from_le_bytes(img[XSAVE_XSTATE_BV_OFFSET..XSAVE_XSTATE_BV_OFFSET + 8].try_into().unwrap());
        img[XSAVE_XSTATE_BV_OFFSET..crate::abi::x86::XSAVE_LEGACY_AND_HEADER].fill(0);
        img[XSAVE_XSTATE_BV_OFFSET..XSAVE_XSTATE_BV_OFFSET + 8].copy_from_slice(&(bv & allowed).to_le_bytes());
        self.area.xstate_full = 1;
        Ok(())
    }

    /// Copies the fast-path vector state (xmm0-15, MXCSR) from another
    /// vCPU: a vfork child continues with its parent's.
    pub(crate) fn copy_fast_vector_state(&mut self, xmm: [[u64; 2]; 16], mxcsr: u32) {
        self.reset_vector_state();
        let img = &mut self.area.xsave.0;
        img[XSAVE_MXCSR_OFFSET..XSAVE_MXCSR_OFFSET + 4].copy_from_slice(&mxcsr.to_le_bytes());
        for (i, x) in xmm.iter().enumerate() {
            let off = XSAVE_XMM_OFFSET + 16 * i;
            img[off..off + 8].copy_from_slice(&x[0].to_le_bytes());
            img[off + 8..off + 16].copy_from_slice(&x[1].to_le_bytes());
        }
        img[XSAVE_XSTATE_BV_OFFSET] = 0b10;
    }

    pub(crate) fn fast_vector_state(&self) -> ([[u64; 2]; 16], u32) {
        (self.area.xmm.0, self.area.mxcsr)
    }

    /// Enters guest code at `regs().rip` and runs it until the next exit.
    /// Inlined into the run loop, which never returns while the task runs:
    /// the host's calls between two entries are balanced, so the CPU's
    /// return-stack buffer still holds the guest's returns when it is
    /// entered again (entry.rs).
    #[inline(always)]
    pub(crate) fn run(&mut self) -> VcpuExit {
        if self.area.xstate_full != 0 {
            self.load_full_xstate();
        }
        let area: *mut EntryArea = &mut *self.area;
        let code: u64;
        // SAFETY: the area belongs to this thread (GS points at it) and holds
        // a complete guest state. nommu_enter_guest is called as a function
        // would be (a return address pushed, rsp aligned as after a call),
        // only by `jmp` (see entry.rs): it keeps the callee-saved registers
        // and comes back to label 2 on every exit, with the exit code in
        // rax, rsp restored, DF clear; it clobbers what a C call may.
        unsafe {
            core::arch::asm!(
                "lea rax, [rip + 2f]",
                "push rax",
                "jmp {enter}",
                "2:",
                enter = sym nommu_enter_guest,
                inout("rdi") area => _,
                out("rax") code,
                clobber_abi("C"),
            );
        }
        match code {
            EXIT_SYSCALL if self.area.fast_done != 0 => self.fast_rw_done(),
            EXIT_SYSCALL => VcpuExit::Syscall { trapped: false },
            EXIT_KICK => VcpuExit::Kick,
            EXIT_SIGNAL if self.area.sig_signo as i32 == kick_signal() => VcpuExit::Kick,
            // Only a trapped syscall makes the host stub exit with SIGSYS.
            EXIT_SIGNAL if self.area.sig_signo as i32 == libc::SIGSYS => VcpuExit::Syscall { trapped: true },
            EXIT_SIGNAL => VcpuExit::Fault {
                signo: self.area.sig_signo as i32,
                code: self.area.sig_code as i32,
                addr: self.area.sig_addr,
            },
            other => unreachable!("entry stub returned unknown exit code {other}"),
        }
    }

    /// The fast stub made a read or write and then saw a kick: the call
    /// is over (its result in rax), and the kick is the run loop's.
    #[cold]
    fn fast_rw_done(&mut self) -> VcpuExit {
        self.area.fast_done = 0;
        // This exit is the kick's (the run loop's after_kick runs once).
        self.take_kick();
        let r = &mut self.area.regs;
        // What the `syscall` instruction leaves behind on Linux.
        r.rcx = r.rip;
        r.r11 = r.rflags;
        VcpuExit::Kick
    }

    /// Drops every armed fast read/write (fastrw.rs): the next ones take
    /// the slow path. Every syscall the slow path handles starts so.
    #[inline(always)]
    pub(crate) fn disarm_fast_rw(&mut self) {
        self.area.fast_epoch += 1;
    }

    /// Did the syscall being handled come through the sled (not a trap)?
    pub(crate) fn entered_by_sled(&self) -> bool {
        self.area.sled_rip != 0 && self.area.sled_rip == self.area.regs.rip
    }

    /// Arms the fast path for the syscall being handled (read, `write`
    /// false; write, true), which came through the sled: the same call on
    /// guest descriptor `fd` from the same site is the host call on
    /// `host_fd`, for buffers within `window` (fastrw.rs says what the
    /// caller must make sure of).
    pub(crate) fn arm_fast_rw(&mut self, write: bool, fd: i32, host_fd: i32, window: (u64, u64)) {
        let area = &mut *self.area;
        area.fast_rw[write as usize] = super::area::FastRwSlot {
            epoch: area.fast_epoch,
            site: area.sled_rip,
            fd: u64::from(fd as u32),
            host_fd: u64::from(host_fd as u32),
            lo: window.0,
            hi: window.1,
        };
    }

    /// Puts the slow-path image into the registers. The entry window then
    /// reloads xmm0-15 and MXCSR (host code may clobber those), so copy them
    /// from the image into the fast-path slots first.
    fn load_full_xstate(&mut self) {
        let area = &mut *self.area;
        load_image(&area.xsave, &mut area.mxcsr, &mut area.xmm);
        area.xstate_full = 0;
    }
}

/// Loads a full xsave `image` into the registers, and its MXCSR and
/// xmm0-15 into the fast-path slots (`mxcsr`, `xmm`), which the entry
/// window loads (host code may clobber those registers meanwhile; it
/// leaves the rest alone: docs/architecture.md, invariant 4).
fn load_image(image: &XsaveArea, mxcsr: &mut u32, xmm: &mut XmmRegs) {
    let bytes = &image.0;
    let bv = u64::from_le_bytes(bytes[XSAVE_XSTATE_BV_OFFSET..XSAVE_XSTATE_BV_OFFSET + 8].try_into().unwrap());
    *mxcsr = u32::from_le_bytes(bytes[XSAVE_MXCSR_OFFSET..XSAVE_MXCSR_OFFSET + 4].try_into().unwrap());
    for (i, slot) in xmm.0.iter_mut().enumerate() {
        if bv & 0b10 == 0 {
            *slot = [0, 0];
            continue;
        }
        let off = XSAVE_XMM_OFFSET + 16 * i;
        let lo = u64::from_le_bytes(bytes[off..off + 8].try_into().unwrap());
        let hi = u64::from_le_bytes(bytes[off + 8..off + 16].try_into().unwrap());
        *slot = [lo, hi];
    }
    // SAFETY: the image is 64-byte aligned, at least as large as this
    // CPU's xsave size (checked when the first vCPU was made), and has a
    // valid xsave header (zeroed or written by the kernel). MXCSR is reset
    // right after so host code never runs with the guest's.
    unsafe {
        core::arch::asm!(
            "xrstor64 [{img}]",
            "ldmxcsr [{host_mxcsr}]",
            img = in(reg) bytes.as_ptr(),
            host_mxcsr = in(reg) &MXCSR_DEFAULT,
            in("eax") XRSTOR_MASK_LOW,
            in("edx") u32::MAX,
            options(nostack),
        );
    }
}

impl Drop for Binding {
    /// The thread lives on (it may run another task): nothing of it may
    /// still point at the area or the alternate stack, which go away now.
    fn drop(&mut self) {
        // The selector lives in the area.
        super::systrap::disable_on_current_thread();
        // SAFETY: plain syscalls on this thread. GS 0 tells the host signal
        // stub that this thread has no entry area; a disabled alternate
        // stack is never used again.
        unsafe {
            libc::syscall(libc::SYS_arch_prctl, ARCH_SET_GS, 0u64);
            let ss = libc::stack_t { ss_sp: core::ptr::null_mut(), ss_flags: libc::SS_DISABLE, ss_size: 0 };
            libc::sigaltstack(&ss, core::ptr::null_mut());
        }
    }
}

fn current_host_tid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// The vector state of the guest in `area` whose registers are live (all
/// but xmm0-15 and MXCSR, which are in the area) as a complete image in
/// the area, to be loaded at its next entry or put in a signal frame.
fn save_live_xstate(area: &mut EntryArea) {
    let img = &mut area.xsave.0;
    // xsave writes XSTATE_BV but no other header byte, and xrstor of a
    // standard image wants them zero.
    img[XSAVE_XSTATE_BV_OFFSET..crate::abi::x86::XSAVE_LEGACY_AND_HEADER].fill(0);
    // SAFETY: the image is 64-byte aligned and at least xsave_size bytes
    // (checked when the first vCPU was made); the mask excludes PKRU (the
    // host's, not the guest's).
    unsafe {
        core::arch::asm!(
            "xsave64 [{img}]",
            img = in(reg) img.as_mut_ptr(),
            in("eax") XRSTOR_MASK_LOW,
            in("edx") u32::MAX,
            options(nostack),
        );
    }
    img[XSAVE_MXCSR_OFFSET..XSAVE_MXCSR_OFFSET + 4].copy_from_slice(&area.mxcsr.to_le_bytes());
    for (i, x) in area.xmm.0.iter().enumerate() {
        let off = XSAVE_XMM_OFFSET + 16 * i;
        img[off..off + 8].copy_from_slice(&x[0].to_le_bytes());
        img[off + 8..off + 16].copy_from_slice(&x[1].to_le_bytes());
    }
    // xmm now live in the image: mark SSE state present.
    img[XSAVE_XSTATE_BV_OFFSET] |= 0b10;
    area.xstate_full = 1;
}

/// Areas of `Vcpu::detached` stand-ins, kept for the next one.
static DETACHED_AREAS: std::sync::Mutex<Vec<Box<EntryArea>>> = std::sync::Mutex::new(Vec::new());
const DETACHED_KEPT: usize = 4;

fn lock_detached() -> std::sync::MutexGuard<'static, Vec<Box<EntryArea>>> {
    DETACHED_AREAS.lock().unwrap_or_else(|e| e.into_inner())
}

std::thread_local! {
    /// The host tid of the calling thread if it is a vCPU thread, else 0.
    static VCPU_THREAD_TID: core::cell::Cell<i32> = const { core::cell::Cell::new(0) };
    /// The vCPU the thread's last task left (`Vcpu::keep`).
    static IDLE_VCPU: core::cell::RefCell<Option<Vcpu>> = const { core::cell::RefCell::new(None) };
}

fn current_host_tid_cached() -> i32 {
    VCPU_THREAD_TID.with(|t| t.get())
}

/// Asks the vCPU thread `host_tid` to leave guest code and check for work.
/// A thread never kicks itself: it is running host code, and its run loop
/// looks at its signals before guest code runs again, as a blocking wait
/// does before it blocks (`SyscallCtx::block`), and a vfork parent
/// suspended on this thread does when it resumes. The host signal a
/// self-kick would cost (tgkill, a host frame, sigreturn, then one more
/// exit from the entry window) was a third of a signal sent to oneself.
pub(crate) fn kick_thread(host_tid: i32) {
    static PID: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    if VCPU_THREAD_TID.with(|t| t.get()) == host_tid {
        return;
    }
    let pid = *PID.get_or_init(|| std::process::id() as i32);
    // SAFETY: tgkill to a thread of our own process; a stale tid at worst
    // returns ESRCH, which is ignored (the thread already exited).
    unsafe {
        libc::syscall(libc::SYS_tgkill, pid, host_tid, kick_signal());
    }
}
