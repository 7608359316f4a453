//! What x86-64 Linux shows user space of the CPU: rflags bits
//! (<asm/processor-flags.h>), the signal frame (<asm/sigcontext.h>,
//! <asm/ucontext.h>, and the kernel's `struct rt_sigframe` from
//! <asm/sigframe.h>), the user segment selectors (<asm/segment.h>), page
//! fault trap number and error code bits (<asm/trapnr.h>, <asm/trap_pf.h>),
//! AT_HWCAP2 bits (<asm/hwcap2.h>) and the FPU state a new task starts
//! with (<asm/fpu/types.h>).

use super::signal::{Sigaltstack, Siginfo};

/// rflags bits.
pub const X86_EFLAGS_CF: u64 = 1 << 0;
/// Bit 1 reads as 1 always.
pub const X86_EFLAGS_FIXED: u64 = 1 << 1;
pub const X86_EFLAGS_PF: u64 = 1 << 2;
pub const X86_EFLAGS_AF: u64 = 1 << 4;
pub const X86_EFLAGS_ZF: u64 = 1 << 6;
pub const X86_EFLAGS_SF: u64 = 1 << 7;
pub const X86_EFLAGS_TF: u64 = 1 << 8;
pub const X86_EFLAGS_IF: u64 = 1 << 9;
pub const X86_EFLAGS_DF: u64 = 1 << 10;
pub const X86_EFLAGS_OF: u64 = 1 << 11;
pub const X86_EFLAGS_RF: u64 = 1 << 16;
pub const X86_EFLAGS_AC: u64 = 1 << 18;

/// The rflags bits rt_sigreturn takes from the frame (arch/x86/kernel/
/// signal.c); the others stay as they were.
pub const FIX_EFLAGS: u64 = X86_EFLAGS_AC
    | X86_EFLAGS_OF
    | X86_EFLAGS_DF
    | X86_EFLAGS_TF
    | X86_EFLAGS_SF
    | X86_EFLAGS_ZF
    | X86_EFLAGS_AF
    | X86_EFLAGS_PF
    | X86_EFLAGS_CF
    | X86_EFLAGS_RF;

/// Segment selectors of 64-bit user code and data (`__USER_CS`,
/// `__USER_DS`), as a signal frame records them.
pub const USER_CS: u16 = 0x33;
pub const USER_DS: u16 = 0x2b;

/// The page fault's trap number, and the bits of its error code.
pub const X86_TRAP_PF: u64 = 14;
pub const X86_PF_PROT: u64 = 1 << 0;
pub const X86_PF_WRITE: u64 = 1 << 1;
pub const X86_PF_USER: u64 = 1 << 2;
pub const X86_PF_RSVD: u64 = 1 << 3;
pub const X86_PF_INSTR: u64 = 1 << 4;
pub const X86_PF_PK: u64 = 1 << 5;

/// AT_HWCAP2 bits.
pub const HWCAP2_RING3MWAIT: u64 = 1 << 0;
pub const HWCAP2_FSGSBASE: u64 = 1 << 1;

/// MXCSR of a new task: every exception masked, round to nearest.
pub const MXCSR_DEFAULT: u32 = 0x1f80;
/// The x87 control word of a new task (`fninit`'s).
pub const FCW_DEFAULT: u16 = 0x37f;

/// The PKRU state component of XCR0 and of xsave images.
pub const XFEATURE_MASK_PKRU: u64 = 1 << 9;

/// `uc_flags` of a signal frame.
pub const UC_FP_XSTATE: u64 = 0x1;
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// The magic numbers that mark an xsave image in a signal frame: the first
/// in `sw_reserved`, the second in the 4 bytes after the image.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
pub const FP_XSTATE_MAGIC2_SIZE: usize = 4;

/// `struct _fpx_sw_bytes`: what the software-reserved bytes of a frame's
/// fxsave area say about the xsave image around them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FpxSwBytes {
    pub magic1: u32,
    /// The image and FP_XSTATE_MAGIC2 after it.
    pub extended_size: u32,
    pub xfeatures: u64,
    pub xstate_size: u32,
    pub padding: [u32; 7],
}

/// `struct _fpstate_64`: the legacy fxsave area, the first 512 bytes of
/// every xsave image.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fpstate {
    pub cwd: u16,
    pub swd: u16,
    pub twd: u16,
    pub fop: u16,
    pub rip: u64,
    pub rdp: u64,
    pub mxcsr: u32,
    pub mxcsr_mask: u32,
    pub st_space: [u32; 32],
    pub xmm_space: [u32; 64],
    pub reserved2: [u32; 12],
    pub sw_reserved: FpxSwBytes,
}

/// `struct _header`: the xsave header after the legacy area.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XstateHeader {
    pub xfeatures: u64,
    pub reserved1: [u64; 2],
    pub reserved2: [u64; 5],
}

/// The legacy area and the xsave header: where the extended components of
/// a standard-format xsave image begin.
pub const XSAVE_LEGACY_AND_HEADER: usize = std::mem::size_of::<Fpstate>() + std::mem::size_of::<XstateHeader>();

/// `struct sigcontext` (64-bit): the registers in a signal frame.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigcontext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    /// Where the fxsave/xsave image is (0: none).
    pub fpstate: u64,
    pub reserved1: [u64; 8],
}

/// `struct ucontext` as x86-64 signal frames hold it (the kernel's
/// sigset: one word).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ucontext {
    pub uc_flags: u64,
    pub uc_link: u64,
    pub uc_stack: Sigaltstack,
    pub uc_mcontext: Sigcontext,
    pub uc_sigmask: u64,
}

/// `struct rt_sigframe`: what a handler finds at its stack pointer, the
/// return address (`sa_restorer`) first. The xsave image lies above it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtSigframe {
    pub pretcode: u64,
    pub uc: Ucontext,
    pub info: Siginfo,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<FpxSwBytes>() == 48);
    assert!(size_of::<Fpstate>() == 512);
    assert!(offset_of!(Fpstate, mxcsr) == 24);
    assert!(offset_of!(Fpstate, xmm_space) == 160);
    assert!(offset_of!(Fpstate, sw_reserved) == 464);
    assert!(size_of::<XstateHeader>() == 64);
    assert!(size_of::<Sigcontext>() == 256);
    assert!(offset_of!(Sigcontext, cs) == 144);
    assert!(offset_of!(Sigcontext, fpstate) == 184);
    assert!(size_of::<Ucontext>() == 304);
    assert!(offset_of!(Ucontext, uc_mcontext) == 40);
    assert!(offset_of!(RtSigframe, info) == 312);
    assert!(size_of::<RtSigframe>() == 440);
};
