//! sysinfo(2)'s structure (<linux/sysinfo.h>).

/// x86-64 `struct sysinfo`. Memory sizes are in units of `mem_unit`
/// bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sysinfo {
    /// Seconds since boot.
    pub uptime: i64,
    /// 1, 5 and 15 minute load averages, scaled by 2^16.
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    pub procs: u16,
    pub pad: u16,
    pub __pad1: u32,
    pub totalhigh: u64,
    pub freehigh: u64,
    pub mem_unit: u32,
    pub __pad2: u32,
}

const _: () = {
    assert!(std::mem::size_of::<Sysinfo>() == 112);
    assert!(std::mem::offset_of!(Sysinfo, procs) == 80);
    assert!(std::mem::offset_of!(Sysinfo, mem_unit) == 104);
};
