//! The machine's memory: arena + allocator + user access + site map.

use super::{
    checked_page_up,
    sitemap::{SiteMap, SitePolicy},
    AllocStats, Arena, PageAllocator, UserMemory, PAGE_SIZE,
};
use crate::errno::{Errno, SysResult};
use std::sync::Mutex;

/// Inaccessible bytes below each main stack (docs/architecture.md, "Memory": what a no-MMU
/// kernel cannot do, the host MMU can do for it).
pub(crate) const STACK_GUARD: u64 = 16 * PAGE_SIZE;

pub struct Memory {
    pub arena: Arena,
    pub user: UserMemory,
    pub sites: SiteMap,
    alloc: Mutex<PageAllocator>,
    site_policy: Mutex<SitePolicy>,
    /// Images at their link address outside the arena, taking turns
    /// (`mm::fixed`).
    pub(crate) fixed: super::fixed::FixedRanges,
    /// Arena ranges backed by a shared host file mapping (start -> len).
    shared: Mutex<std::collections::BTreeMap<u64, u64>>,
    /// Freed pages kept populated (zeroed when allocated again).
    resident: Mutex<super::resident::ResidentFree>,
}

/// Larger frees go back to the host: big mappings are seldom written all
/// over (glibc's 8 MiB thread stacks, allocators' reservations).
const KEEP_AT_MOST: u64 = 2 << 20;

/// Freed memory kept populated: an eighth of the arena, at most 64 MiB.
fn resident_budget(arena_size: u64) -> u64 {
    (arena_size / 8).min(64 << 20)
}

/// The end of a range this module recorded itself (a shared mapping, an
/// image outside the arena): checked when recorded, so it cannot wrap.
fn end_of(start: u64, len: u64) -> u64 {
    start.saturating_add(len)
}

impl Memory {
    pub fn new(size: u64) -> std::io::Result<Memory> {
        let arena = Arena::reserve(size)?;
        crate::arch::hostsig::set_arena(arena.base(), arena.size());
        let user = UserMemory::new(&arena)?;
        let sites = SiteMap::new(arena.base(), arena.size());
        let alloc = Mutex::new(PageAllocator::new(arena.base(), arena.size()));
        let resident = super::resident::ResidentFree::new(arena.base(), arena.size(), resident_budget(arena.size()));
        Ok(Memory {
            arena,
            user,
            sites,
            alloc,
            site_policy: Mutex::new(SitePolicy::RewriteAll),
            fixed: Default::default(),
            shared: Mutex::new(Default::default()),
            resident: Mutex::new(resident),
        })
    }

    /// How code loaded from now on is rewritten (set once the machine knows
    /// which syscall paths it has).
    pub(crate) fn set_site_policy(&self, policy: SitePolicy) {
        *self.site_policy.lock().unwrap_or_else(|e| e.into_inner()) = policy;
    }

    pub(crate) fn site_policy(&self) -> SitePolicy {
        *self.site_policy.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn allocator(&self) -> std::sync::MutexGuard<'_, PageAllocator> {
        self.alloc.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn resident(&self) -> std::sync::MutexGuard<'_, super::resident::ResidentFree> {
        self.resident.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Zeroes what was freed into [start, start+len) (whole pages, just
    /// allocated) and kept populated.
    fn zero_resident(&self, start: u64, len: u64) {
        let runs = self.resident().take(start, len);
        for (s, l) in runs {
            self.arena.zero(s, l);
        }
    }

    /// Zeroed, page-aligned arena memory.
    pub fn alloc(&self, len: u64, align: u64) -> SysResult<u64> {
        let len = checked_page_up(len.max(1)).filter(|&l| l <= self.arena.size()).ok_or(Errno::ENOMEM)?;
        let start = self.allocator().alloc(len, align).ok_or(Errno::ENOMEM)?;
        self.zero_resident(start, len);
        Ok(start)
    }

    /// A main stack of `len` bytes with `STACK_GUARD` inaccessible bytes
    /// below it, so that an overflow faults: returns (allocation start,
    /// allocation length, stack bottom). Freeing the allocation removes
    /// the guard.
    pub(crate) fn alloc_stack(&self, len: u64) -> SysResult<(u64, u64, u64)> {
        let total = checked_page_up(len).and_then(|l| l.checked_add(STACK_GUARD)).ok_or(Errno::ENOMEM)?;
        let start = self.alloc(total, PAGE_SIZE)?;
        // Without the guard the stack still works (as on a no-MMU kernel).
        let _ = self.set_inaccessible(start, STACK_GUARD, true);
        // Inside the allocation, which lies in the arena: cannot wrap.
        Ok((start, total, start.saturating_add(STACK_GUARD)))
    }

    /// PROT_NONE for arena pages the caller owns: the host MMU makes them
    /// inaccessible (guest code touching them gets SIGSEGV) and nommu's own
    /// accesses answer EFAULT; or accessible again. A no-MMU kernel cannot
    /// do this; nommu can, so guard pages (thread stacks, allocators'
    /// reservations) behave as the program expects. Pages outside the
    /// arena stay accessible.
    pub(crate) fn set_inaccessible(&self, addr: u64, len: u64, inaccessible: bool) -> SysResult<()> {
        let len = checked_page_up(len).ok_or(Errno::ENOMEM)?;
        if len == 0 || !self.arena.contains(addr, len) {
            return Ok(());
        }
        if !inaccessible && !self.user.guards.overlaps(addr, len) {
            return Ok(());
        }
        // Marked before the host protection and unmarked after it: nommu
        // never reads a page it believes accessible while the host has it
        // PROT_NONE, except across another thread's racing mprotect (see
        // `arch::hostsig`, which gives such a page back to the guest).
        if inaccessible {
            self.user.guards.set(addr, len, true);
        }
        if let Err(e) = self.arena.protect(addr, len, inaccessible) {
            log::error!("cannot change the protection of {addr:#x}+{len:#x}: {e}");
            if inaccessible {
                self.user.guards.set(addr, len, false);
            }
            return Err(Errno::ENOMEM);
        }
        if !inaccessible {
            self.user.guards.set(addr, len, false);
        }
        Ok(())
    }

    /// Is any page of [addr, addr+len) inaccessible?
    pub(crate) fn is_inaccessible(&self, addr: u64, len: u64) -> bool {
        self.user.guards.overlaps(addr, len)
    }

    /// Which pages of [addr, addr+len) are inaccessible, as offsets from
    /// `addr` (for moving a mapping with its protection).
    pub(crate) fn inaccessible_pages(&self, addr: u64, len: u64) -> Vec<u64> {
        if !self.is_inaccessible(addr, len) {
            return Vec::new();
        }
        (0..len)
            .step_by(PAGE_SIZE as usize)
            .filter(|&off| addr.checked_add(off).is_some_and(|page| self.user.guards.overlaps(page, PAGE_SIZE)))
            .collect()
    }

    /// Makes [addr, addr+len) (arena memory the caller owns) a shared
    /// mapping of `len` bytes of host file `fd` at `off`.
    pub(crate) fn map_shared_file(&self, addr: u64, len: u64, fd: i32, off: u64, exec: bool) -> SysResult<()> {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let len = checked_page_up(len).filter(|&l| self.arena.contains(addr, l)).ok_or(Errno::EINVAL)?;
        self.arena.map_shared_file(addr, len, fd, off, exec).map_err(Errno::from)?;
        shared.insert(addr, len);
        Ok(())
    }

    /// Ends the shared file mappings in [start, start+len): the pages
    /// become private anonymous memory again. False if that failed (the
    /// pages then stay out of circulation).
    fn unshare(&self, start: u64, len: u64) -> bool {
        let Some(end) = start.checked_add(len) else { return false };
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let overlapping: Vec<(u64, u64)> =
            shared.range(..end).map(|(&s, &l)| (s, l)).filter(|&(s, l)| end_of(s, l) > start).collect();
        for (s, l) in overlapping {
            shared.remove(&s);
            let (cut_start, cut_end) = (s.max(start), end_of(s, l).min(end));
            if let Some(before) = cut_start.checked_sub(s).filter(|&n| n > 0) {
                shared.insert(s, before);
            }
            if let Some(after) = end_of(s, l).checked_sub(cut_end).filter(|&n| n > 0) {
                shared.insert(cut_end, after);
            }
            // s < end and start < s + l, so cut_start < cut_end.
            if let Err(e) = self.arena.map_anonymous(cut_start, cut_end.saturating_sub(cut_start)) {
                log::error!("cannot end the shared mapping at {cut_start:#x}: {e}");
                return false;
            }
        }
        true
    }

    /// msync(2): writes back the shared file mappings in the range.
    pub(crate) fn msync(&self, addr: u64, len: u64, flags: i32) -> SysResult<()> {
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        let shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        for (&s, &l) in shared.range(..end).filter(|(&s, &l)| end_of(s, l) > addr) {
            let (from, to) = (s.max(addr), end_of(s, l).min(end));
            // The entry overlaps [addr, end): from < to.
            self.arena.msync(from, to.saturating_sub(from), flags).map_err(Errno::from)?;
        }
        Ok(())
    }

    /// Claims [addr, addr+len) if free.
    pub(crate) fn alloc_at(&self, addr: u64, len: u64) -> SysResult<()> {
        let len = checked_page_up(len).ok_or(Errno::ENOMEM)?;
        if self.allocator().alloc_at(addr, len) {
            self.zero_resident(addr, len);
            Ok(())
        } else {
            Err(Errno::ENOMEM)
        }
    }

    /// Grows an allocation that ends at `end` in place.
    pub(crate) fn extend(&self, end: u64, extra: u64) -> bool {
        let Some(extra) = checked_page_up(extra) else { return false };
        let grown = self.allocator().extend(end, extra);
        if grown {
            self.zero_resident(end, extra);
        }
        grown
    }

    /// Returns memory to the arena. It reads as zero when handed out again
    /// (kept populated within a budget, see `resident`).
    /// Images outside the arena are not freed here but dropped with
    /// `fixed_release`.
    pub fn free(&self, start: u64, len: u64) {
        self.free_as(start, len, true);
    }

    /// `free`, saying whether the memory was likely written all over (an
    /// image, a heap) rather than touched here and there (a stack): only
    /// such memory is worth keeping populated, since zeroing it all costs
    /// more than faulting in the few pages the next owner touches.
    pub(crate) fn free_as(&self, start: u64, len: u64, mostly_written: bool) {
        let Some(len) = checked_page_up(len) else {
            log::error!("freeing {start:#x}+{len:#x}, which runs past 2^64: ignored");
            return;
        };
        if !self.arena.contains(start, len) {
            log::error!("freeing {start:#x}+{len:#x}, outside the arena: ignored");
            return;
        }
        self.sites.clear_range(start, len);
        if !self.unshare(start, len) {
            return;
        }
        if self.set_inaccessible(start, len, false).is_err() {
            // Leave the pages guarded and out of circulation rather than
            // hand out memory nobody can use.
            return;
        }
        // Marked before the allocator can hand the pages out again.
        if !(mostly_written && len <= KEEP_AT_MOST && self.resident().keep(start, len)) {
            self.arena.discard(start, len);
        }
        self.allocator().free(start, len);
    }

    pub fn stats(&self) -> AllocStats {
        self.allocator().stats()
    }

    pub fn free_runs(&self) -> Vec<(u64, u64)> {
        self.allocator().free_runs().collect()
    }
}
