//! Finding and patching syscall sites (zpoline): every `syscall` (0f 05) and
//! `sysenter` (0f 34) in guest code becomes `call *%rax` (ff d0).

pub mod sweep;

use crate::mm::{sitemap::SiteMap, UserMemory};
use std::time::{Duration, Instant};

/// The two bytes written over each site.
pub const CALL_RAX: [u8; 2] = [0xff, 0xd0];

#[derive(Clone, Copy, Debug, Default)]
pub struct RewriteStats {
    pub bytes_scanned: u64,
    pub sites: u64,
    /// Sites where live red-zone data at rsp-8 is possible (see sweep.rs).
    pub redzone_sites: u64,
    pub elapsed: Duration,
}

impl RewriteStats {
    pub fn add(&mut self, other: &RewriteStats) {
        self.bytes_scanned += other.bytes_scanned;
        self.sites += other.sites;
        self.redzone_sites += other.redzone_sites;
        self.elapsed += other.elapsed;
    }
}

/// Scans `len` bytes of guest code at `addr` and rewrites its syscall sites
/// in place, recording them in `sites`.
pub fn rewrite_region(
    mem: &UserMemory,
    sites: &SiteMap,
    addr: u64,
    len: u64,
) -> Result<RewriteStats, crate::errno::Errno> {
    let start = Instant::now();
    let mut code = vec![0u8; len as usize];
    mem.read(addr, &mut code)?;
    let found = sweep::find_sites(&code, addr);
    for site in &found.sites {
        mem.write(site.addr, &CALL_RAX)?;
        sites.insert(site.addr);
    }
    Ok(RewriteStats {
        bytes_scanned: len,
        sites: found.sites.len() as u64,
        redzone_sites: found.sites.iter().filter(|s| s.redzone_risk).count() as u64,
        elapsed: start.elapsed(),
    })
}
