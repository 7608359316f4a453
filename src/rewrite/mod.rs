//! Finding and patching syscall sites (zpoline): every `syscall` (0f 05) and
//! `sysenter` (0f 34) in guest code becomes `call *%rax` (ff d0), unless
//! the `call` could clobber live red-zone data and a trap path exists to
//! take that site instead (docs/architecture.md, invariants 5 and 8).

pub mod sweep;
pub(crate) mod verdicts;

pub(crate) use crate::mm::sitemap::SitePolicy;
use crate::mm::{sitemap::SiteMap, UserMemory};
use std::time::{Duration, Instant};

/// The two bytes written over each site.
pub(crate) const CALL_RAX: [u8; 2] = [0xff, 0xd0];
pub(crate) const SYSCALL: [u8; 2] = [0x0f, 0x05];

#[derive(Clone, Copy, Debug, Default)]
pub struct RewriteStats {
    pub bytes_scanned: u64,
    /// Sites rewritten into `call *%rax`.
    pub sites: u64,
    /// Sites where live red-zone data at rsp-8 is possible (see sweep.rs).
    pub redzone_sites: u64,
    /// Sites left as `syscall` for the trap path.
    pub trap_sites: u64,
    pub elapsed: Duration,
}

impl RewriteStats {
    pub(crate) fn add(&mut self, other: &RewriteStats) {
        self.bytes_scanned += other.bytes_scanned;
        self.sites += other.sites;
        self.redzone_sites += other.redzone_sites;
        self.trap_sites += other.trap_sites;
        self.elapsed += other.elapsed;
    }
}

/// Scans `len` bytes of guest code at `addr` and rewrites its syscall sites
/// in place as `policy` says, recording them in `sites`.
pub(crate) fn rewrite_region(
    mem: &UserMemory,
    sites: &SiteMap,
    policy: SitePolicy,
    addr: u64,
    len: u64,
) -> Result<RewriteStats, crate::errno::Errno> {
    let start = Instant::now();
    let mut stats = RewriteStats { bytes_scanned: len, ..Default::default() };
    if policy == SitePolicy::TrapOnly {
        stats.elapsed = start.elapsed();
        return Ok(stats);
    }
    let mut code = vec![0u8; len as usize];
    mem.read(addr, &mut code)?;
    let found = sweep::find_sites(&code, addr);
    for site in &found.sites {
        stats.redzone_sites += site.redzone_risk as u64;
        if site.redzone_risk && policy == SitePolicy::SkipRedZone {
            stats.trap_sites += 1;
            continue;
        }
        // Recorded before the bytes change: a thread that runs the new
        // `call` must find its site in the map.
        sites.insert(site.addr);
        mem.write_code(site.addr, &CALL_RAX)?;
        stats.sites += 1;
    }
    stats.elapsed = start.elapsed();
    Ok(stats)
}

/// How far back from a trapped site `rewrite_trapped_site` looks for an
/// instruction boundary to decode from.
const LOOKBEHIND: u64 = 64;
const LOOKAHEAD: u64 = 64;

/// A `syscall` at `site` trapped: rewrite it on the spot when that is safe
/// (the bytes are still `syscall`, no red-zone use around it, the patch is
/// one atomic store). `lowest` is where the code's mapping starts. Returns
/// whether the site is now rewritten.
pub(crate) fn rewrite_trapped_site(mem: &UserMemory, sites: &SiteMap, site: u64, lowest: u64) -> bool {
    // One patcher at a time: a second thread that trapped on the same site
    // then finds it rewritten and leaves it (and the site map) alone.
    static PATCHING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = PATCHING.lock().unwrap_or_else(|e| e.into_inner());
    let from = site.saturating_sub(LOOKBEHIND).max(lowest);
    let mut code = vec![0u8; (site + 2 + LOOKAHEAD - from) as usize];
    if mem.read(from, &mut code).is_err() {
        // Near the end of guest memory: look at what there is.
        code.truncate((site + 2 - from) as usize);
        if mem.read(from, &mut code).is_err() {
            return false;
        }
    }
    let off = (site - from) as usize;
    if code[off..off + 2] != SYSCALL {
        return false;
    }
    let safe = verdicts::known(&code, off).unwrap_or_else(|| {
        let safe = sweep::site_is_safe(&code, from, off);
        verdicts::remember(&code, off, safe);
        safe
    });
    if !safe {
        return false;
    }
    sites.insert(site);
    match mem.patch_code_u16(site, SYSCALL, CALL_RAX) {
        Ok(true) => true,
        _ => {
            sites.clear_range(site, 1);
            false
        }
    }
}
