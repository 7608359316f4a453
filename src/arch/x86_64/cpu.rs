//! CPU feature facts the rest of nommu asks for.

use crate::abi::auxv::{AT_HWCAP, AT_HWCAP2, AT_MINSIGSTKSZ};
use crate::abi::x86::{Fpstate, HWCAP2_FSGSBASE, XSAVE_LEGACY_AND_HEADER};
use core::mem::{offset_of, size_of};
use std::sync::OnceLock;

/// What the auxiliary vector, XGETBV and FXSAVE say: cheap to learn.
/// What only CPUID says is learnt when first needed (`xsave_size`,
/// `frame`): in a virtual machine every CPUID is a trap into the
/// hypervisor, 20 µs each on the machine of BENCHMARKS.md, and a program
/// that takes no signal needs none but one.
struct CpuFacts {
    mxcsr_mask: u32,
    hwcap: u64,
    hwcap2: u64,
    minsigstksz: u64,
    xcr0: u64,
}

/// The signal frame's xsave components and size (`frame_xstate`).
struct FrameFacts {
    xfeatures: u64,
    xsave_size: usize,
}

/// State components a signal frame carries, and the size of their
/// standard-format xsave image. Linux leaves out the components it enables
/// on demand (AMX tile data, marked "XFD supported" in CPUID): a task that
/// did not ask for them gets frames without them, 2.7 KiB on an AVX-512 CPU
/// instead of 11 KiB with AMX, so an 8 KiB sigaltstack works there.
fn frame_xstate(xcr0: u64) -> (u64, usize) {
    const XFD_SUPPORTED: u32 = 1 << 2;
    let mut features = xcr0 & 0b11;
    let mut end = XSAVE_LEGACY_AND_HEADER;
    for i in 2..63 {
        if xcr0 & (1 << i) == 0 {
            continue;
        }
        let leaf = core::arch::x86_64::__cpuid_count(0xd, i);
        if leaf.ecx & XFD_SUPPORTED != 0 {
            continue;
        }
        features |= 1 << i;
        // Supervisor components (offset 0) never reach a user frame.
        if leaf.ebx != 0 {
            end = end.max(leaf.ebx as usize + leaf.eax as usize);
        }
    }
    (features, end)
}

fn facts() -> &'static CpuFacts {
    static FACTS: OnceLock<CpuFacts> = OnceLock::new();
    FACTS.get_or_init(|| {
        // SAFETY: getauxval reads the process's own auxiliary vector.
        let (hwcap, hwcap2, minsigstksz) =
            unsafe { (libc::getauxval(AT_HWCAP), libc::getauxval(AT_HWCAP2), libc::getauxval(AT_MINSIGSTKSZ)) };
        let (lo, hi): (u32, u32);
        // SAFETY: XGETBV with ECX=0 reads XCR0; x86-64 Linux with XSAVE
        // (required by nommu's entry path) enables it for user space.
        unsafe { core::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") hi, options(nomem, nostack)) };
        // An fxsave area and room to align it to 16.
        let mut fx = [0u8; size_of::<Fpstate>() + 16];
        let off = fx.as_ptr().align_offset(16);
        // SAFETY: fxsave64 writes 512 bytes at a 16-byte-aligned address
        // inside `fx`.
        unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) fx.as_mut_ptr().add(off), options(nostack)) };
        let at = off + offset_of!(Fpstate, mxcsr_mask);
        let mask = u32::from_le_bytes(fx[at..at + 4].try_into().unwrap());
        let xcr0 = (hi as u64) << 32 | lo as u64;
        CpuFacts { mxcsr_mask: if mask == 0 { 0xffbf } else { mask }, hwcap, hwcap2, minsigstksz, xcr0 }
    })
}

static FRAME: OnceLock<FrameFacts> = OnceLock::new();

fn frame() -> &'static FrameFacts {
    FRAME.get_or_init(|| {
        let (xfeatures, xsave_size) = frame_xstate(facts().xcr0);
        FrameFacts { xfeatures, xsave_size }
    })
}

/// `rdfsbase`/`wrfsbase` usable from user space (kernel reports it in AT_HWCAP2).
pub(crate) fn has_fsgsbase() -> bool {
    !super::caps::forced_off(super::caps::Switch::NoFsgsbase) && cpu_has_fsgsbase()
}

/// Memory protection keys: the CPU has them (CPUID.7.0:ECX.PKU) and the
/// kernel switched them on (ECX.OSPKE, which mirrors CR4.PKE). Linux then
/// makes `PROT_EXEC`-only mappings execute-only with a reserved key.
///
/// Read from XCR0 rather than CPUID (a trap in a virtual machine): Linux
/// enables the PKRU state component (XCR0 bit 9) exactly when OSPKE is
/// on (its `xsave_cpuid_features` table), and OSPKE implies PKU.
pub(crate) fn cpu_has_pku() -> bool {
    facts().xcr0 & crate::abi::x86::XFEATURE_MASK_PKRU != 0
}

/// The CPU offers FSGSBASE to user space, whatever `NOMMU_NO_FSGSBASE` says.
pub(crate) fn cpu_has_fsgsbase() -> bool {
    facts().hwcap2 & HWCAP2_FSGSBASE != 0
}

/// AT_HWCAP as the host kernel gave it to us; guests see the same CPU.
pub(crate) fn hwcap() -> u64 {
    facts().hwcap
}

pub(crate) fn hwcap2() -> u64 {
    facts().hwcap2
}

pub(crate) fn minsigstksz() -> u64 {
    facts().minsigstksz
}

/// Bytes of a full `xsave` image on this CPU.
pub(crate) fn xsave_size() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    // CPUID leaf 0xD subleaf 0 EBX: size of the xsave image for the
    // features enabled in XCR0.
    *SIZE.get_or_init(|| core::arch::x86_64::__cpuid_count(0xd, 0).ebx as usize)
}

/// Bytes of the xsave image in a signal frame (`frame_xstate`).
pub(crate) fn frame_xsave_size() -> usize {
    frame().xsave_size
}

/// At least the bytes of a full `xsave` image, without a CPUID when the
/// kernel says: AT_MINSIGSTKSZ (x86 Linux 5.14 and later) is the size of
/// a signal frame that holds the standard-format xsave image of every
/// user state component XCR0 enables (Linux's `fpu_user_cfg.max_size`,
/// which it takes from CPUID.(0xD,0).EBX, the value of `xsave_size`)
/// plus siginfo, ucontext and padding. 11952 against 11008 on the
/// machine of BENCHMARKS.md, where a CPUID costs 8.5 µs (a trap into the
/// hypervisor) and this one was the only CPUID of a run of a program
/// that takes no signal. Without AT_MINSIGSTKSZ (older kernels):
/// `xsave_size`.
pub(crate) fn xsave_size_bound() -> usize {
    match usize::try_from(minsigstksz()) {
        Ok(n) if n > XSAVE_LEGACY_AND_HEADER => n,
        _ => xsave_size(),
    }
}

/// Does a full `xsave` image fit in `bytes`? Asks CPUID only when the
/// bound (`xsave_size_bound`) does not settle it.
pub(crate) fn xsave_fits(bytes: usize) -> bool {
    xsave_size_bound() <= bytes || xsave_size() <= bytes
}

/// At least the bytes of a signal frame's xsave image, without a CPUID of
/// its own: the frame's size once a frame was made, else the bound of
/// the full xsave size (`xsave_size_bound`). Finding the frame's size
/// asks CPUID once per enabled component (6 on an AVX-512 + AMX CPU,
/// ~40 µs in a VM), which a program that takes no signal never needs.
pub(crate) fn frame_xsave_size_bound() -> usize {
    FRAME.get().map_or_else(xsave_size_bound, |f| f.xsave_size)
}

/// The state components a signal frame carries (`frame_xstate`).
pub(crate) fn frame_xfeatures() -> u64 {
    frame().xfeatures
}

/// MXCSR bits that may be set (others #GP in ldmxcsr/xrstor).
pub(crate) fn mxcsr_mask() -> u32 {
    facts().mxcsr_mask
}

#[cfg(test)]
mod tests {
    #[test]
    fn xsave_size_bound_is_a_bound() {
        assert!(super::xsave_size_bound() >= super::xsave_size());
        assert!(super::xsave_fits(super::xsave_size()));
        assert!(super::frame_xsave_size_bound() >= super::frame_xsave_size());
    }
}
