//! The x86-64 Linux `rt_sigframe`, as a handler sees it on its stack:
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
use crate::abi::signal::Siginfo;
use crate::errno::{Errno, SysResult};

/// Guest memory as a signal frame is written to and read from. `mm`'s
/// `UserMemory` implements it; the trait lets this layer, which is below
/// `mm`, take it without importing it. An address the guest may not use
/// is `EFAULT`.
pub(crate) trait UserBytes {
    fn read(&self, addr: u64, buf: &mut [u8]) -> SysResult<()>;
    fn write(&self, addr: u64, buf: &[u8]) -> SysResult<()>;
}

const UC_OFF: u64 = 8;
const MCONTEXT_OFF: u64 = UC_OFF + 40;
const SIGMASK_OFF: u64 = MCONTEXT_OFF + 256;
const SIGINFO_OFF: u64 = SIGMASK_OFF + 8;
pub(crate) const FRAME_SIZE: u64 = SIGINFO_OFF + 128;
/// Bytes below rsp a leaf function may use without moving rsp.
pub(crate) const RED_ZONE: u64 = 128;

const UC_FP_XSTATE: u64 = 1;
const UC_SIGCONTEXT_SS: u64 = 2;
const UC_STRICT_RESTORE_SS: u64 = 4;
use crate::abi::consts::{FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2};
const USER_CS: u64 = 0x33;
const USER_SS: u64 = 0x2b;
/// rflags bits a sigreturn may change (AC OF DF TF SF ZF AF PF CF, RF...).
const FIX_EFLAGS: u64 = 0x0004_0DD5 | (1 << 16) | (1 << 8);

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
    pub altstack: (u64, i32, u64),
    pub siginfo: Siginfo,
    pub xstate: &'a [u8],
    pub restorer: u64,
    /// For faults: trap number, error code, fault address (cr2).
    pub fault: Option<(u64, u64, u64)>,
}

fn words(v: &[u64]) -> Vec<u8> {
    v.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn sigcontext(r: &GuestRegs, fpstate: u64, trapno: u64, err: u64, cr2: u64) -> Vec<u8> {
    let mut w = vec![
        r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx, r.rsp,
        r.rip, r.rflags,
    ];
    // cs, gs, fs, ss (16 bits each).
    w.push(USER_CS | (USER_SS << 48));
    w.extend([err, trapno, 0 /* oldmask */, cr2, fpstate]);
    w.extend([0u64; 8]);
    words(&w)
}

/// Writes a frame below `spec.sp`; returns the frame address (the
/// handler's rsp).
pub(crate) fn write_frame(mem: &dyn UserBytes, spec: &FrameSpec<'_>) -> SysResult<u64> {
    let xsize = spec.xstate.len() as u64;
    // The guest chose sp (its rsp, or its alternate stack): near 0 the
    // frame would wrap.
    let below = |a: u64, b: u64| a.checked_sub(b).ok_or(Errno::EFAULT);
    let fp = below(spec.sp, xsize + 4)? & !63;
    let frame = below(below(fp, FRAME_SIZE)? & !15, 8)?;
    if frame < spec.floor {
        return Err(Errno::EFAULT);
    }
    // The xsave image, with the software-reserved bytes saying how big it
    // is, and the trailing magic.
    let mut image = spec.xstate.to_vec();
    if image.len() >= 512 {
        image[464..468].copy_from_slice(&FP_XSTATE_MAGIC1.to_le_bytes());
        image[468..472].copy_from_slice(&((xsize + 4) as u32).to_le_bytes());
        image[472..480].copy_from_slice(&super::cpu::frame_xfeatures().to_le_bytes());
        image[480..484].copy_from_slice(&(xsize as u32).to_le_bytes());
    }
    mem.write(fp, &image)?;
    mem.write(fp + xsize, &FP_XSTATE_MAGIC2.to_le_bytes())?;
    let (ss_sp, ss_flags, ss_size) = spec.altstack;
    let mut head = words(&[
        spec.restorer,
        UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
        0,
        ss_sp,
        ss_flags as u32 as u64,
        ss_size,
    ]);
    let (trapno, err, cr2) = spec.fault.unwrap_or((0, 0, 0));
    head.extend(sigcontext(spec.regs, fp, trapno, err, cr2));
    head.extend(spec.blocked.to_le_bytes());
    head.extend(vm_memory::ByteValued::as_slice(&spec.siginfo));
    debug_assert_eq!(head.len() as u64, FRAME_SIZE);
    mem.write(frame, &head)?;
    Ok(frame)
}

/// What rt_sigreturn restores.
pub(crate) struct Restored {
    pub regs: GuestRegs,
    pub blocked: u64,
    pub altstack: (u64, i32, u64),
    pub xstate: Option<Vec<u8>>,
}

/// Reads the frame a handler returned through (`frame` = its rsp - 8 at
/// the rt_sigreturn call). Bad pointers are EFAULT (the caller kills the
/// task with SIGSEGV, as Linux does).
pub(crate) fn read_frame(mem: &dyn UserBytes, frame: u64, xsave_size: usize) -> SysResult<Restored> {
    let mut raw = vec![0u8; FRAME_SIZE as usize];
    mem.read(frame, &mut raw)?;
    let w = |off: u64| u64::from_le_bytes(raw[off as usize..off as usize + 8].try_into().unwrap());
    let m = |i: u64| w(MCONTEXT_OFF + 8 * i);
    let old_flags = 0x202;
    let regs = GuestRegs {
        r8: m(0),
        r9: m(1),
        r10: m(2),
        r11: m(3),
        r12: m(4),
        r13: m(5),
        r14: m(6),
        r15: m(7),
        rdi: m(8),
        rsi: m(9),
        rbp: m(10),
        rbx: m(11),
        rdx: m(12),
        rax: m(13),
        rcx: m(14),
        rsp: m(15),
        rip: m(16),
        rflags: (old_flags & !FIX_EFLAGS) | (m(17) & FIX_EFLAGS),
    };
    let fp = m(23);
    let xstate = if fp != 0 {
        let mut img = vec![0u8; xsave_size];
        mem.read(fp, &mut img)?;
        Some(img)
    } else {
        None
    };
    let altstack = (w(UC_OFF + 16), w(UC_OFF + 24) as u32 as i32, w(UC_OFF + 32));
    Ok(Restored { regs, blocked: w(SIGMASK_OFF), altstack, xstate })
}
