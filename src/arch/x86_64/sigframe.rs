//! The x86-64 Linux `rt_sigframe` (`abi::x86::RtSigframe`), as a handler
//! sees it on its stack:
//!
//! ```text
//!   frame+0    pretcode (the sa_restorer the handler returns to)
//!   frame+8    struct ucontext: uc_flags, uc_link, uc_stack,
//!              uc_mcontext (struct sigcontext, 256 bytes), uc_sigmask
//!   frame+312  siginfo_t (128 bytes)
//!   ...        fpstate: xsave image, 64-byte aligned, above the frame
//! ```
//!
//! `frame + 8` is 16-byte aligned, as after a `call`.

use super::area::GuestRegs;
use crate::abi::signal::{Sigaltstack, Siginfo};
use crate::abi::x86::{
    Fpstate, FpxSwBytes, RtSigframe, Sigcontext, Ucontext, FIX_EFLAGS, FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2,
    FP_XSTATE_MAGIC2_SIZE, UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS, USER_CS, USER_DS, X86_EFLAGS_FIXED,
    X86_EFLAGS_IF,
};
use crate::errno::{Errno, SysResult};
use core::mem::{offset_of, size_of};
use vm_memory::ByteValued;

/// Guest memory as a signal frame is written to and read from. `mm`'s
/// `UserMemory` implements it; the trait lets this layer, which is below
/// `mm`, take it without importing it. An address the guest may not use
/// is `EFAULT`.
pub(crate) trait UserBytes {
    fn read(&self, addr: u64, buf: &mut [u8]) -> SysResult<()>;
    fn write(&self, addr: u64, buf: &[u8]) -> SysResult<()>;
}

const FRAME_SIZE: u64 = size_of::<RtSigframe>() as u64;
/// Where a handler's `ucontext_t *` and `siginfo_t *` arguments point,
/// from the frame.
pub(crate) const UC_OFFSET: u64 = offset_of!(RtSigframe, uc) as u64;
pub(crate) const INFO_OFFSET: u64 = offset_of!(RtSigframe, info) as u64;
/// Bytes below rsp a leaf function may use without moving rsp.
pub(crate) const RED_ZONE: u64 = 128;
/// Where `struct _fpx_sw_bytes` is in an xsave image.
const SW_BYTES: core::ops::Range<usize> =
    offset_of!(Fpstate, sw_reserved)..offset_of!(Fpstate, sw_reserved) + size_of::<FpxSwBytes>();

/// What goes into a frame.
pub(crate) struct FrameSpec<'a> {
    pub regs: &'a GuestRegs,
    /// Where the frame goes below (the stack pointer to use).
    pub sp: u64,
    /// The lowest address the frame may use (the base of the alternate
    /// stack it goes on, else 0): a frame that does not fit is EFAULT.
    pub floor: u64,
    pub blocked: u64,
    /// sigaltstack as saved in uc_stack.
    pub altstack: Sigaltstack,
    pub siginfo: Siginfo,
    pub xstate: &'a [u8],
    pub restorer: u64,
    /// For faults: trap number, error code, fault address (cr2).
    pub fault: Option<(u64, u64, u64)>,
}

fn sigcontext(r: &GuestRegs, fpstate: u64, trapno: u64, err: u64, cr2: u64) -> Sigcontext {
    Sigcontext {
        r8: r.r8,
        r9: r.r9,
        r10: r.r10,
        r11: r.r11,
        r12: r.r12,
        r13: r.r13,
        r14: r.r14,
        r15: r.r15,
        rdi: r.rdi,
        rsi: r.rsi,
        rbp: r.rbp,
        rbx: r.rbx,
        rdx: r.rdx,
        rax: r.rax,
        rcx: r.rcx,
        rsp: r.rsp,
        rip: r.rip,
        eflags: r.rflags,
        cs: USER_CS,
        ss: USER_DS,
        err,
        trapno,
        cr2,
        fpstate,
        ..Default::default()
    }
}

/// Writes a frame below `spec.sp`; returns the frame address (the
/// handler's rsp).
pub(crate) fn write_frame(mem: &dyn UserBytes, spec: &FrameSpec<'_>) -> SysResult<u64> {
    let xsize = spec.xstate.len() as u64;
    // The guest chose sp (its rsp, or its alternate stack): near 0 the
    // frame would wrap.
    let below = |a: u64, b: u64| a.checked_sub(b).ok_or(Errno::EFAULT);
    let extended_size = xsize + FP_XSTATE_MAGIC2_SIZE as u64;
    let fp = below(spec.sp, extended_size)? & !63;
    let frame = below(below(fp, FRAME_SIZE)? & !15, 8)?;
    if frame < spec.floor {
        return Err(Errno::EFAULT);
    }
    // The xsave image, with the software-reserved bytes saying how big it
    // is (their padding as the image has it), and the trailing magic.
    mem.write(fp, spec.xstate)?;
    if spec.xstate.len() >= size_of::<Fpstate>() {
        let mut sw = FpxSwBytes::default();
        sw.as_mut_slice().copy_from_slice(&spec.xstate[SW_BYTES]);
        sw.magic1 = FP_XSTATE_MAGIC1;
        sw.extended_size = extended_size as u32;
        sw.xfeatures = super::cpu::frame_xfeatures();
        sw.xstate_size = xsize as u32;
        mem.write(fp + SW_BYTES.start as u64, sw.as_slice())?;
    }
    mem.write(fp + xsize, &FP_XSTATE_MAGIC2.to_le_bytes())?;
    let (trapno, err, cr2) = spec.fault.unwrap_or((0, 0, 0));
    let rt = RtSigframe {
        pretcode: spec.restorer,
        uc: Ucontext {
            uc_flags: UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
            uc_link: 0,
            uc_stack: spec.altstack,
            uc_mcontext: sigcontext(spec.regs, fp, trapno, err, cr2),
            uc_sigmask: spec.blocked,
        },
        info: spec.siginfo,
    };
    mem.write(frame, rt.as_slice())?;
    Ok(frame)
}

/// What rt_sigreturn restores.
pub(crate) struct Restored {
    pub regs: GuestRegs,
    pub blocked: u64,
    pub altstack: Sigaltstack,
    /// Where the frame's xsave image is (`uc_mcontext.fpstate`), 0 for
    /// none. The caller reads it straight into the vCPU's image.
    pub fpstate: u64,
}

/// Reads the frame a handler returned through (`frame` = its rsp - 8 at
/// the rt_sigreturn call). Bad pointers are EFAULT (the caller kills the
/// task with SIGSEGV, as Linux does).
pub(crate) fn read_frame(mem: &dyn UserBytes, frame: u64) -> SysResult<Restored> {
    let mut rt = RtSigframe::default();
    mem.read(frame, rt.as_mut_slice())?;
    let m = &rt.uc.uc_mcontext;
    // What FIX_EFLAGS leaves out is as in any task making a syscall.
    let old_flags = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
    let mut regs = GuestRegs::from_sigcontext(m);
    regs.rflags = (old_flags & !FIX_EFLAGS) | (m.eflags & FIX_EFLAGS);
    Ok(Restored { regs, blocked: rt.uc.uc_sigmask, altstack: rt.uc.uc_stack, fpstate: m.fpstate })
}
