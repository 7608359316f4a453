//! The machine's memory: arena + allocator + user access + site map.

use super::{
    checked_page_up,
    commit::Commit,
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
    /// Arena ranges backed by a host file mapping, shared (a guest's
    /// MAP_SHARED) or private (an image's read-only pages mapped from the
    /// image cache, a guest's MAP_PRIVATE file mapping, a library's
    /// rewritten text from the code cache): start -> len.
    pub(super) shared: Mutex<std::collections::BTreeMap<u64, u64>>,
    /// Freed pages kept populated (zeroed when allocated again).
    resident: Mutex<super::resident::ResidentFree>,
    /// Reservations cost nothing until used: PROT_NONE pages take address
    /// space only. Off on a strict no-MMU machine, where every allocated
    /// page is memory.
    pub(super) lazy: bool,
}

/// The arena's address range when reservations cost nothing: 64 GiB, or
/// 4 times `--mem` if that is more. Room for what programs reserve and
/// never use: 8 × 1 GiB, glibc's 64 MiB per thread arena (up to 8 per
/// core), JIT code ranges. Reserving it costs the host nothing
/// (MAP_NORESERVE); nommu's per-page bitmaps over it are 2 MiB each and
/// its per-byte site map 8 GiB of address space, touched only where code
/// lives.
pub fn default_address_space(mem: u64) -> u64 {
    (64u64 << 30).max(mem.saturating_mul(4))
}

/// What the machine's memory looks like: memory (`--mem`, what counts
/// against it) and address space (the arena's range, what is reserved).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemStats {
    /// `--mem`: memory the guests may commit.
    pub mem_total: u64,
    /// Committed now: accessible allocated pages (all allocated pages
    /// when reservations are off).
    pub committed: u64,
    pub peak_committed: u64,
    /// `mem_total - committed`.
    pub mem_free: u64,
    /// The arena's address range.
    pub space_total: u64,
    /// Address space allocated (accessible or not).
    pub reserved: u64,
    pub peak_reserved: u64,
    pub space_free: u64,
    /// The largest run of free address space, and how many runs there are.
    pub largest_free: u64,
    pub free_blocks: usize,
}

/// Larger frees go back to the host: big mappings are seldom written all
/// over (glibc's 8 MiB thread stacks, allocators' reservations).
const KEEP_AT_MOST: u64 = 2 << 20;

/// Freed memory kept populated: an eighth of `--mem`, at most 64 MiB.
fn resident_budget(mem: u64) -> u64 {
    (mem / 8).min(64 << 20)
}

/// The end of a range this module recorded itself (a shared mapping, an
/// image outside the arena): checked when recorded, so it cannot wrap.
fn end_of(start: u64, len: u64) -> u64 {
    start.saturating_add(len)
}

impl Memory {
    /// `size` bytes of memory, every allocated page of which counts
    /// (a strict no-MMU machine: reservations are memory).
    pub fn new(size: u64) -> std::io::Result<Memory> {
        Memory::build(Arena::reserve(size)?, size, false)
    }

    /// `mem` bytes of memory in an address range of up to `space` bytes
    /// (less if the host will not reserve that much, never less than
    /// `mem`): PROT_NONE pages take address space only.
    pub fn with_address_space(mem: u64, space: u64) -> std::io::Result<Memory> {
        Memory::build(Arena::reserve_up_to(space, mem)?, mem, true)
    }

    fn build(arena: Arena, mem: u64, lazy: bool) -> std::io::Result<Memory> {
        crate::arch::hostsig::set_arena(arena.base(), arena.size());
        let limit = if lazy { checked_page_up(mem).unwrap_or(mem) } else { arena.size() };
        // The maps over the arena, one host mapping for all.
        let pages = super::guard::GuardMap::words_for(arena.size())?;
        let (site_words, site_chunks) = SiteMap::words_for(arena.size())?;
        let [guards, readonly, resident, site_words, site_chunks] =
            super::zeroed::ZeroedWords::new_many([pages, pages, pages, site_words, site_chunks])?;
        let user = UserMemory::new(&arena, limit, guards, readonly)?;
        let sites = SiteMap::with_words(arena.base(), arena.size(), site_words, site_chunks);
        let alloc = Mutex::new(PageAllocator::new(arena.base(), arena.size()));
        let resident = super::resident::ResidentFree::new(arena.base(), resident_budget(mem), resident);
        Ok(Memory {
            arena,
            user,
            sites,
            alloc,
            site_policy: Mutex::new(SitePolicy::RewriteAll),
            fixed: Default::default(),
            shared: Mutex::new(Default::default()),
            resident: Mutex::new(resident),
            lazy,
        })
    }

    /// Do PROT_NONE pages cost nothing (reservations on)?
    pub fn reservations_are_free(&self) -> bool {
        self.lazy
    }

    /// How code loaded from now on is rewritten (set once the machine knows
    /// which syscall paths it has).
    pub(crate) fn set_site_policy(&self, policy: SitePolicy) {
        *self.site_policy.lock().unwrap_or_else(|e| e.into_inner()) = policy;
    }

    pub(crate) fn site_policy(&self) -> SitePolicy {
        *self.site_policy.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn allocator(&self) -> std::sync::MutexGuard<'_, PageAllocator> {
        self.alloc.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn resident(&self) -> std::sync::MutexGuard<'_, super::resident::ResidentFree> {
        self.resident.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn commit(&self) -> std::sync::MutexGuard<'_, Commit> {
        self.user.commit.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn uncharge(&self, bytes: u64) {
        self.commit().uncharge(bytes);
    }

    /// The bytes of [addr, addr+len) (allocated arena pages) that count
    /// against `--mem`: the accessible ones but read-only text, or all
    /// when reservations are off.
    fn charged_in(&self, addr: u64, len: u64) -> u64 {
        if !self.lazy {
            return len;
        }
        let pages = self.user.guards.count(addr, len).saturating_add(self.user.readonly.count(addr, len));
        len.saturating_sub(pages.saturating_mul(PAGE_SIZE))
    }

    /// Zeroes what was freed into [start, start+len) (whole pages, just
    /// allocated) and kept populated.
    fn zero_resident(&self, start: u64, len: u64) {
        let runs = self.resident().take(start, len);
        for (s, l) in runs {
            self.arena.zero(s, l);
        }
    }

    /// Zeroed, page-aligned arena memory: committed (ENOMEM past `--mem`).
    pub fn alloc(&self, len: u64, align: u64) -> SysResult<u64> {
        let len = checked_page_up(len.max(1)).filter(|&l| l <= self.arena.size()).ok_or(Errno::ENOMEM)?;
        let start = self.alloc_charged(len, align, len)?;
        self.zero_resident(start, len);
        Ok(start)
    }

    /// Page-aligned arena memory, NOT zeroed: for an image the caller
    /// writes or maps over every page of (what was kept populated there is
    /// forgotten, not zeroed). Committed but for `readonly` bytes the
    /// caller maps read-only (`map_readonly_file`), when reservations are
    /// on.
    pub(crate) fn alloc_overwritten(&self, len: u64, align: u64, readonly: u64) -> SysResult<u64> {
        let len = checked_page_up(len.max(1)).filter(|&l| l <= self.arena.size()).ok_or(Errno::ENOMEM)?;
        let charge = if self.lazy { len.saturating_sub(readonly) } else { len };
        let start = self.alloc_charged(len, align, charge)?;
        drop(self.resident().take(start, len));
        Ok(start)
    }

    /// Zeroed, page-aligned arena address space, all of it inaccessible
    /// (PROT_NONE): it costs no memory until made accessible (unless
    /// reservations are off).
    pub(crate) fn alloc_inaccessible(&self, len: u64, align: u64) -> SysResult<u64> {
        let len = checked_page_up(len.max(1)).filter(|&l| l <= self.arena.size()).ok_or(Errno::ENOMEM)?;
        let charge = if self.lazy { 0 } else { len };
        let start = self.alloc_charged(len, align, charge)?;
        if let Err(e) = self.reserve_fresh(start, len) {
            self.unalloc(start, len, charge);
            return Err(e);
        }
        Ok(start)
    }

    /// `len` bytes of address space, committing `charge` bytes: ENOMEM if
    /// either runs out. (Committed only once allocated, so that the peak
    /// counts what was in use.)
    fn alloc_charged(&self, len: u64, align: u64, charge: u64) -> SysResult<u64> {
        let mut commit = self.commit();
        if !commit.fits(charge) {
            return Err(Errno::ENOMEM);
        }
        let start = self.allocator().alloc(len, align).ok_or(Errno::ENOMEM)?;
        commit.charge(charge);
        drop(commit);
        self.key_allocated(start, len);
        Ok(start)
    }

    /// Undoes an allocation that was never handed out (its pages are
    /// accessible and hold nothing): `charge` was committed for it.
    fn unalloc(&self, start: u64, len: u64, charge: u64) {
        self.allocator().free(start, len);
        self.uncharge(charge);
    }

    /// Makes just-allocated [start, start+len) zeroed and inaccessible:
    /// what was kept populated there goes back to the host.
    fn reserve_fresh(&self, start: u64, len: u64) -> SysResult<()> {
        for (s, l) in self.resident().take(start, len) {
            self.arena.discard(s, l);
        }
        self.user.guards.set(start, len, true);
        if let Err(e) = self.arena.protect(start, len, true) {
            log::error!("cannot reserve {start:#x}+{len:#x}: {e}");
            // Accessible as allocated: `free` gives it back as such.
            self.user.guards.set(start, len, false);
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    /// PROT_NONE for arena pages the caller owns: the host MMU makes them
    /// inaccessible (guest code touching them gets SIGSEGV) and nommu's own
    /// accesses answer EFAULT; or accessible again. A no-MMU kernel cannot
    /// do this; nommu can, so guard pages (thread stacks, allocators'
    /// reservations) behave as the program expects. Pages outside the
    /// arena stay accessible.
    ///
    /// Making pages accessible commits them (ENOMEM past `--mem`, and
    /// nothing changes); making them inaccessible uncommits them, their
    /// contents kept.
    pub(crate) fn set_inaccessible(&self, addr: u64, len: u64, inaccessible: bool) -> SysResult<()> {
        let len = checked_page_up(len).ok_or(Errno::ENOMEM)?;
        if len == 0 || !self.arena.contains(addr, len) {
            return Ok(());
        }
        if !inaccessible && !self.user.guards.overlaps(addr, len) {
            return Ok(());
        }
        // Held until the guard map says what the count says.
        let mut commit = self.commit();
        let guarded = self.user.guards.count(addr, len).saturating_mul(PAGE_SIZE);
        let (charge, uncharge) = match (self.lazy, inaccessible) {
            (false, _) => (0, 0),
            (true, false) => (guarded, 0),
            (true, true) => (0, self.charged_in(addr, len)),
        };
        if !commit.charge(charge) {
            return Err(Errno::ENOMEM);
        }
        if let Err(e) = self.protect(addr, len, inaccessible) {
            commit.uncharge(charge);
            return Err(e);
        }
        if inaccessible {
            // Read-only text made inaccessible is plain memory from now
            // on: committed when made accessible again.
            self.user.readonly.set(addr, len, false);
        }
        commit.uncharge(uncharge);
        Ok(())
    }

    /// The guard map and the host protection of [addr, addr+len), with no
    /// accounting.
    pub(super) fn protect(&self, addr: u64, len: u64, inaccessible: bool) -> SysResult<()> {
        // Marked before the host protection and unmarked after it: nommu
        // never reads a page it believes accessible while the host has it
        // PROT_NONE, except across another thread's racing mprotect (see
        // `arch::hostsig`, which gives such a page back to the guest).
        if inaccessible {
            self.user.guards.set(addr, len, true);
        } else if self.user.readonly.overlaps(addr, len) {
            // Read-only text in the range stays read-only on the host.
            for (s, l) in self.user.guards.runs(addr, len, true) {
                if let Err(e) = self.arena.protect(s, l, false) {
                    log::error!("cannot change the protection of {s:#x}+{l:#x}: {e}");
                    return Err(Errno::ENOMEM);
                }
                self.user.guards.set(s, l, false);
            }
            return Ok(());
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

    /// Are some pages of [addr, addr+len) accessible and some not (two
    /// mappings, to Linux)?
    pub(crate) fn mixed_access(&self, addr: u64, len: u64) -> bool {
        let guarded = self.user.guards.count(addr, len);
        guarded != 0 && guarded < len / PAGE_SIZE
    }

    /// The accessible runs of [addr, addr+len) (arena pages), in order.
    pub(crate) fn accessible_runs(&self, addr: u64, len: u64) -> Vec<(u64, u64)> {
        if !self.arena.contains(addr, len) {
            return vec![(addr, len)];
        }
        self.user.guards.runs(addr, len, false)
    }

    /// Moves the contents of [from, from+len) to [to, to+len), two arena
    /// ranges with the same pages inaccessible (mremap): inaccessible
    /// pages move too, as far as they hold anything (host-resident).
    pub(crate) fn move_contents(&self, from: u64, to: u64, len: u64) -> SysResult<()> {
        if !self.arena.contains(from, len) || !self.arena.contains(to, len) {
            return Err(Errno::EFAULT);
        }
        for (s, l) in self.user.guards.runs(from, len, false) {
            // Inside [from, from+len): s - from + to lies inside [to, to+len).
            let n = usize::try_from(l).map_err(|_| Errno::ENOMEM)?;
            self.user.copy_within(s, to.saturating_add(s.saturating_sub(from)), n)?;
        }
        for (s, l) in self.user.guards.runs(from, len, true) {
            for (rs, rl) in self.arena.resident_runs(s, l) {
                let dst = to.saturating_add(rs.saturating_sub(from));
                // Opened to nommu for the copy only; the guard map still
                // says inaccessible, so syscalls meanwhile answer EFAULT.
                self.arena.protect(rs, rl, false).map_err(|_| Errno::ENOMEM)?;
                let opened = self.arena.protect(dst, rl, false);
                if opened.is_ok() {
                    self.arena.copy(rs, dst, rl);
                    let _ = self.arena.protect(dst, rl, true);
                }
                let _ = self.arena.protect(rs, rl, true);
                opened.map_err(|_| Errno::ENOMEM)?;
            }
        }
        Ok(())
    }

    /// Is any page of [addr, addr+len) inaccessible?
    pub(crate) fn is_inaccessible(&self, addr: u64, len: u64) -> bool {
        self.user.guards.overlaps(addr, len)
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

    /// Makes [addr, addr+len) (arena memory the caller owns, with no file
    /// mapping in it) a private mapping of host file `fd` at `off`
    /// (`Arena::map_private_file`); its end ends the mapping (`free`).
    /// The memory stays committed as the caller allocated it: a written
    /// page is the mapping's own.
    pub(crate) fn map_private_file(&self, addr: u64, len: u64, fd: i32, off: u64) -> SysResult<()> {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let len = checked_page_up(len).filter(|&l| self.arena.contains(addr, l)).ok_or(Errno::EINVAL)?;
        self.arena.map_private_file(addr, len, fd, off).map_err(Errno::from)?;
        shared.insert(addr, len);
        Ok(())
    }

    /// Ends the file mappings (shared or private) in [start, start+len):
    /// the pages become private anonymous memory again, fresh and zero.
    /// Some(how many bytes were file mappings), or None if that failed
    /// (the pages then stay out of circulation).
    fn unshare(&self, start: u64, len: u64) -> Option<u64> {
        let end = start.checked_add(len)?;
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let overlapping: Vec<(u64, u64)> =
            shared.range(..end).map(|(&s, &l)| (s, l)).filter(|&(s, l)| end_of(s, l) > start).collect();
        let mut any = 0u64;
        // Cuts that touch end in one host call.
        let mut cuts: Vec<(u64, u64)> = Vec::new();
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
            any = any.saturating_add(cut_end.saturating_sub(cut_start));
            match cuts.last_mut() {
                Some(last) if last.1 == cut_start => last.1 = cut_end,
                _ => cuts.push((cut_start, cut_end)),
            }
        }
        for (cut_start, cut_end) in cuts {
            if let Err(e) = self.arena.map_anonymous(cut_start, cut_end.saturating_sub(cut_start)) {
                log::error!("cannot end the shared mapping at {cut_start:#x}: {e}");
                return None;
            }
        }
        Some(any)
    }

    /// Ends the file mappings in [start, start+len), which stay the
    /// caller's (a MAP_FIXED mapping replaces them): the pages become
    /// private anonymous zero pages, so nothing the new mapping writes
    /// there reaches a file. How many bytes were file mappings (their
    /// pages lost their protection key: the caller gives it back).
    pub(crate) fn end_file_mappings(&self, start: u64, len: u64) -> SysResult<u64> {
        self.unshare(start, len).ok_or(Errno::ENOMEM)
    }

    /// Forgets the syscall sites in [start, start+len) that lie outside
    /// file mappings: MADV_DONTNEED made that memory zero (a file
    /// mapping's pages read back the file's, its sites with them).
    pub(crate) fn forget_discarded_sites(&self, start: u64, len: u64) {
        let end = end_of(start, len);
        let shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let mut at = start;
        for (&s, &l) in shared.range(..end).filter(|(&s, &l)| end_of(s, l) > start) {
            if s > at {
                self.sites.clear_range(at, s.saturating_sub(at));
            }
            at = at.max(end_of(s, l));
        }
        if at < end {
            self.sites.clear_range(at, end.saturating_sub(at));
        }
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

    /// Claims [addr, addr+len) if free (committed: ENOMEM past `--mem`).
    pub(crate) fn alloc_at(&self, addr: u64, len: u64) -> SysResult<()> {
        let len = checked_page_up(len).ok_or(Errno::ENOMEM)?;
        let mut commit = self.commit();
        if !commit.fits(len) || !self.allocator().alloc_at(addr, len) {
            return Err(Errno::ENOMEM);
        }
        commit.charge(len);
        drop(commit);
        self.key_allocated(addr, len);
        self.zero_resident(addr, len);
        Ok(())
    }

    /// Grows an allocation that ends at `end` in place, by pages that are
    /// accessible or not. False if the pages are taken, or would take
    /// more than `--mem`.
    pub(crate) fn extend(&self, end: u64, extra: u64, accessible: bool) -> bool {
        let Some(extra) = checked_page_up(extra) else { return false };
        let charge = if accessible || !self.lazy { extra } else { 0 };
        let mut commit = self.commit();
        if !commit.fits(charge) || !self.allocator().extend(end, extra) {
            return false;
        }
        commit.charge(charge);
        drop(commit);
        self.key_allocated(end, extra);
        if accessible {
            self.zero_resident(end, extra);
        } else if self.reserve_fresh(end, extra).is_err() {
            self.unalloc(end, extra, charge);
            return false;
        }
        true
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
        let Some(unshared) = self.unshare(start, len) else { return };
        self.free_unshared(start, len, mostly_written, unshared);
    }

    /// `free_as` of several regions (start, len, mostly written), sorted
    /// and not overlapping: the file mappings of each contiguous run end
    /// in one host call, not one per region (an image's text, rodata and
    /// headers are one mapping split into regions).
    pub(crate) fn free_regions(&self, regions: &[(u64, u64, bool)]) {
        let paged: Option<Vec<(u64, u64, bool)>> = regions
            .iter()
            .map(|&(s, l, w)| checked_page_up(l).filter(|&l| self.arena.contains(s, l)).map(|l| (s, l, w)))
            .collect();
        let Some(paged) = paged.filter(|p| p.iter().all(|&(s, _, _)| s % PAGE_SIZE == 0)) else {
            // Something odd (free_as logs it): one at a time.
            regions.iter().for_each(|&(s, l, w)| self.free_as(s, l, w));
            return;
        };
        for run in paged.chunk_by(|x, y| end_of(x.0, x.1) == y.0) {
            let [(s, l, w)] = run else {
                let (run_start, last) = (run[0].0, run[run.len().saturating_sub(1)]);
                let run_len = end_of(last.0, last.1).saturating_sub(run_start);
                let counts: Vec<u64> = run.iter().map(|&(s, l, _)| self.shared_in(s, l)).collect();
                self.sites.clear_range(run_start, run_len);
                if self.unshare(run_start, run_len).is_some() {
                    for (&(s, l, w), unshared) in run.iter().zip(counts) {
                        self.free_unshared(s, l, w, unshared);
                    }
                }
                continue;
            };
            self.free_as(*s, *l, *w);
        }
    }

    /// Bytes of [start, start+len) that are file mappings.
    fn shared_in(&self, start: u64, len: u64) -> u64 {
        let end = end_of(start, len);
        let shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared
            .range(..end)
            .filter(|&(&s, &l)| end_of(s, l) > start)
            .map(|(&s, &l)| end_of(s, l).min(end).saturating_sub(s.max(start)))
            .sum()
    }

    /// The rest of `free_as` once the range's file mappings have ended
    /// (`unshared` bytes of it were ones).
    fn free_unshared(&self, start: u64, len: u64, mostly_written: bool, unshared: u64) {
        {
            let mut commit = self.commit();
            let charged = self.charged_in(start, len);
            // The file mappings ended (`unshare`): no read-only text left.
            self.user.readonly.set(start, len, false);
            self.user.stacks.forget(start, len);
            if self.user.guards.overlaps(start, len) && self.protect(start, len, false).is_err() {
                // Leave the pages guarded and out of circulation rather
                // than hand out memory nobody can use.
                return;
            }
            commit.uncharge(charged);
        }
        // Marked before the allocator can hand the pages out again.
        // Pages that were a file mapping are fresh zero pages now: nothing
        // to keep, nothing to give back when that was all of them.
        let kept = mostly_written && unshared == 0 && len <= KEEP_AT_MOST && self.resident().keep(start, len);
        if !kept && unshared < len {
            self.arena.discard(start, len);
        }
        self.key_freed(start, len);
        self.allocator().free(start, len);
    }

    pub fn stats(&self) -> MemStats {
        let a: AllocStats = self.allocator().stats();
        let c = self.commit();
        let mem_total = if self.lazy { c.limit() } else { a.total };
        MemStats {
            mem_total,
            committed: c.committed(),
            peak_committed: c.peak(),
            mem_free: mem_total.saturating_sub(c.committed()),
            space_total: a.total,
            reserved: a.used,
            peak_reserved: a.peak_used,
            space_free: a.free,
            largest_free: a.largest_free,
            free_blocks: a.free_blocks,
        }
    }

    pub fn free_runs(&self) -> Vec<(u64, u64)> {
        self.allocator().free_runs().collect()
    }
}

impl Memory {
    /// Memory as Linux's no-MMU kernel hands a mapping out (`--strict`):
    /// mm/nommu.c `do_mmap_private` asks `alloc_pages_exact` for `len`,
    /// which takes a naturally aligned free block of 2^order pages from the
    /// buddy allocator (`get_order`) and frees the pages past `len`. So an
    /// allocation fails when no aligned block of that order is free, even
    /// if enough memory is: fragmentation fails as on a board. (The arena
    /// stands for physical memory; alignment is of arena addresses.)
    pub(crate) fn alloc_block(&self, len: u64) -> SysResult<u64> {
        let len = checked_page_up(len.max(1)).filter(|&l| l <= self.arena.size()).ok_or(Errno::ENOMEM)?;
        let block = len.checked_next_power_of_two().filter(|&b| b <= self.arena.size()).ok_or(Errno::ENOMEM)?;
        let start = self.alloc(block, block)?;
        if let Some(tail) = block.checked_sub(len).filter(|&t| t > 0) {
            // Inside the block just allocated: cannot wrap.
            self.free(start.saturating_add(len), tail);
        }
        Ok(start)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    const MIB: u64 = 1 << 20;

    #[test]
    fn reservations_take_address_space_and_accessible_pages_memory() {
        let m = Memory::with_address_space(16 * MIB, 1 << 30).unwrap();
        let r = m.alloc_inaccessible(512 * MIB, PAGE_SIZE).unwrap();
        let st = m.stats();
        assert_eq!((st.mem_total, st.committed, st.reserved, st.space_total), (16 * MIB, 0, 512 * MIB, 1 << 30));
        assert!(m.is_inaccessible(r, 512 * MIB) && !m.mixed_access(r, 512 * MIB));
        m.set_inaccessible(r + 64 * MIB, 8 * MIB, false).unwrap();
        assert!(m.mixed_access(r, 512 * MIB));
        assert_eq!(m.accessible_runs(r, 512 * MIB), vec![(r + 64 * MIB, 8 * MIB)]);
        m.user.write(r + 64 * MIB, b"kept").unwrap();
        assert_eq!(m.stats().committed, 8 * MIB);
        assert_eq!(m.set_inaccessible(r, 16 * MIB, false), Err(Errno::ENOMEM), "past --mem");
        assert!(m.is_inaccessible(r, 1) && m.stats().committed == 8 * MIB, "nothing changed");
        assert_eq!(m.alloc(9 * MIB, PAGE_SIZE), Err(Errno::ENOMEM));
        let a = m.alloc(8 * MIB, PAGE_SIZE).unwrap();
        assert_eq!((m.stats().committed, m.stats().mem_free), (16 * MIB, 0));
        m.free(a, 8 * MIB);
        // Uncommitted, contents kept; committed again, contents there.
        m.set_inaccessible(r + 64 * MIB, 8 * MIB, true).unwrap();
        assert_eq!(m.stats().committed, 0);
        m.set_inaccessible(r + 64 * MIB, 4096, false).unwrap();
        let mut buf = [0u8; 4];
        m.user.read(r + 64 * MIB, &mut buf).unwrap();
        assert_eq!((&buf, m.stats().committed), (b"kept", 4096));
        // Grown in place by reserved pages: no memory.
        assert!(m.extend(r + 512 * MIB, 256 * MIB, false));
        assert!(!m.extend(r + 768 * MIB, 17 * MIB, true), "past --mem");
        assert_eq!((m.stats().committed, m.stats().reserved), (4096, 768 * MIB));
        m.free(r, 768 * MIB);
        let st = m.stats();
        assert_eq!((st.committed, st.reserved, st.peak_committed, st.peak_reserved), (0, 0, 16 * MIB, 768 * MIB));
        assert!(!m.is_inaccessible(r, 768 * MIB), "freed pages are no longer guarded");
    }

    #[test]
    fn paths_are_read_and_small_buffers_written_at_every_length_and_alignment() {
        let m = Memory::new(16 * MIB).unwrap();
        let a = m.alloc(2 * PAGE_SIZE, PAGE_SIZE).unwrap();
        for len in 0..40u64 {
            for skew in 0..9u64 {
                let at = a + skew;
                let text: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                m.user.write(at, &[text.as_slice(), b"\0", b"junk"].concat()).unwrap();
                let mut buf = [0xffu8; 64];
                assert_eq!(m.user.read_cstr_into(at, &mut buf).unwrap(), Some(len as usize), "{len} at +{skew}");
                assert_eq!(&buf[..len as usize], text.as_slice());
                let mut back = vec![0u8; len as usize + 1];
                m.user.read(at, &mut back).unwrap();
                assert_eq!(back, [text.as_slice(), b"\0"].concat());
            }
        }
        // No NUL within the buffer: None (the caller reads it the long way).
        m.user.write(a, &[b'x'; 64]).unwrap();
        assert_eq!(m.user.read_cstr_into(a, &mut [0u8; 16]).unwrap(), None);
        // A string that ends right at the page's end; one that would go on
        // into the next page is not read past the page here.
        let end = a + PAGE_SIZE;
        m.user.write(end - 12, b"abcdefghijk\0").unwrap();
        assert_eq!(m.user.read_cstr_into(end - 12, &mut [0u8; 64]).unwrap(), Some(11));
        m.user.write(end - 5, b"abcdefgh\0").unwrap();
        assert_eq!(m.user.read_cstr_into(end - 5, &mut [0u8; 64]).unwrap(), None);
        m.free(a, 2 * PAGE_SIZE);
    }

    #[test]
    fn regions_of_one_file_mapping_free_together() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let m = Memory::new(16 * MIB).unwrap();
        let path = std::env::temp_dir().join(format!("nommu-free-regions-{}", std::process::id()));
        let mut f = std::fs::File::options().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
        f.write_all(&[b'x'; 3 * PAGE_SIZE as usize]).unwrap();
        let a = m.alloc(5 * PAGE_SIZE, PAGE_SIZE).unwrap();
        m.map_shared_file(a + PAGE_SIZE, 3 * PAGE_SIZE, f.as_raw_fd(), 0, false).unwrap();
        drop(f);
        std::fs::remove_file(&path).unwrap();
        m.user.write(a, b"data").unwrap();
        let mut buf = [0u8; 2];
        m.user.read(a + 3 * PAGE_SIZE, &mut buf).unwrap();
        assert_eq!(&buf, b"xx");
        // A data page, the mapping split in two regions, a stack page.
        let regions = [
            (a, PAGE_SIZE, true),
            (a + PAGE_SIZE, PAGE_SIZE, true),
            (a + 2 * PAGE_SIZE, 2 * PAGE_SIZE, true),
            (a + 4 * PAGE_SIZE, PAGE_SIZE, false),
        ];
        m.free_regions(&regions);
        assert_eq!((m.stats().committed, m.shared_in(a, 5 * PAGE_SIZE)), (0, 0));
        let b = m.alloc(5 * PAGE_SIZE, PAGE_SIZE).unwrap();
        assert_eq!(b, a, "all of it back in the allocator");
        let mut all = vec![1u8; 5 * PAGE_SIZE as usize];
        m.user.read(b, &mut all).unwrap();
        assert!(all.iter().all(|&c| c == 0), "reads as zero, the file's pages gone");
        m.free(b, 5 * PAGE_SIZE);
    }

    #[test]
    fn without_reservations_every_allocated_page_is_memory() {
        let m = Memory::new(16 * MIB).unwrap();
        assert!(!m.reservations_are_free());
        assert_eq!(m.alloc_inaccessible(32 * MIB, PAGE_SIZE), Err(Errno::ENOMEM));
        let r = m.alloc_inaccessible(8 * MIB, PAGE_SIZE).unwrap();
        assert_eq!(m.stats().committed, 8 * MIB);
        m.set_inaccessible(r, 4 * MIB, false).unwrap();
        assert_eq!(m.stats().committed, 8 * MIB);
        m.free(r, 8 * MIB);
        let st = m.stats();
        assert_eq!((st.committed, st.mem_total, st.space_total), (0, 16 * MIB, 16 * MIB));
    }
}
