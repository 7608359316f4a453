//! CPU feature facts the rest of nommu asks for.

use std::sync::OnceLock;

const HWCAP2_FSGSBASE: u64 = 1 << 1;

struct CpuFacts {
    xcr0: u64,
    mxcsr_mask: u32,
    hwcap: u64,
    hwcap2: u64,
    minsigstksz: u64,
    xsave_size: usize,
}

fn facts() -> &'static CpuFacts {
    static FACTS: OnceLock<CpuFacts> = OnceLock::new();
    FACTS.get_or_init(|| {
        // SAFETY: getauxval reads the process's own auxiliary vector.
        let (hwcap, hwcap2, minsigstksz) = unsafe {
            (
                libc::getauxval(libc::AT_HWCAP),
                libc::getauxval(libc::AT_HWCAP2),
                libc::getauxval(51 /* AT_MINSIGSTKSZ */),
            )
        };
        // CPUID leaf 0xD subleaf 0 EBX: size of the xsave image for the
        // features enabled in XCR0.
        let xsave_size = core::arch::x86_64::__cpuid_count(0xd, 0).ebx as usize;
        let (lo, hi): (u32, u32);
        // SAFETY: XGETBV with ECX=0 reads XCR0; x86-64 Linux with XSAVE
        // (required by nommu's entry path) enables it for user space.
        unsafe { core::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") hi, options(nomem, nostack)) };
        let mut fx = [0u8; 512 + 64];
        let off = fx.as_ptr().align_offset(16);
        // SAFETY: fxsave64 writes 512 bytes at a 16-byte-aligned address
        // inside `fx`.
        unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) fx.as_mut_ptr().add(off), options(nostack)) };
        let mask = u32::from_le_bytes(fx[off + 28..off + 32].try_into().unwrap());
        CpuFacts {
            xcr0: (hi as u64) << 32 | lo as u64,
            mxcsr_mask: if mask == 0 { 0xffbf } else { mask },
            hwcap,
            hwcap2,
            minsigstksz,
            xsave_size,
        }
    })
}

/// `rdfsbase`/`wrfsbase` usable from user space (kernel reports it in AT_HWCAP2).
pub fn has_fsgsbase() -> bool {
    std::env::var_os("NOMMU_NO_FSGSBASE").is_none() && facts().hwcap2 & HWCAP2_FSGSBASE != 0
}

/// AT_HWCAP as the host kernel gave it to us; guests see the same CPU.
pub fn hwcap() -> u64 {
    facts().hwcap
}

pub fn hwcap2() -> u64 {
    facts().hwcap2
}

pub fn minsigstksz() -> u64 {
    facts().minsigstksz
}

/// Bytes of a full `xsave` image on this CPU.
pub fn xsave_size() -> usize {
    facts().xsave_size
}

/// XCR0: the state components the OS enabled.
pub fn xcr0() -> u64 {
    facts().xcr0
}

/// MXCSR bits that may be set (others #GP in ldmxcsr/xrstor).
pub fn mxcsr_mask() -> u32 {
    facts().mxcsr_mask
}
