//! CPU feature facts the rest of nommu asks for.

use std::sync::OnceLock;

const HWCAP2_FSGSBASE: u64 = 1 << 1;

struct CpuFacts {
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
        CpuFacts { hwcap, hwcap2, minsigstksz, xsave_size }
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
