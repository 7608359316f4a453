//! A process's share of the arena: the list of regions it owns.
//!
//! Without an MMU this is all a process's "address space" is: a set of
//! runs in the one arena, returned when the process lets go of them.

use crate::errno::{Errno, SysResult};
use crate::mm::{checked_page_up, Memory};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    Text,
    Data,
    Stack,
    Mmap,
}

impl RegionKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            RegionKind::Text => "text",
            RegionKind::Data => "data",
            RegionKind::Stack => "stack",
            RegionKind::Mmap => "mmap",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Region {
    pub start: u64,
    pub len: u64,
    pub kind: RegionKind,
}

impl Region {
    /// The first address past the region (`insert` checked that it does
    /// not wrap).
    pub(crate) fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Regions {
    /// start -> region; regions never overlap, and `start + len` of each
    /// fits in a u64.
    map: BTreeMap<u64, Region>,
    /// brk: on no-MMU Linux (binfmt_elf_fdpic) the break cannot grow; it
    /// may only move within [start_brk, end_brk], and end_brk == start_brk.
    pub start_brk: u64,
    pub brk: u64,
    /// An image mapped outside the arena at its link address.
    pub outside_image: Option<FixedImage>,
    /// SysV shared memory attached here, by the segment's one address
    /// (not regions: the segment's memory is the IPC object's, and goes
    /// when it is removed and nothing is attached).
    pub shm: BTreeMap<u64, ShmAttach>,
    /// What mmap made of the regions it created, by start: what nommu.c's
    /// rules for munmap and mremap look at (`syscall::mem::strict`).
    pub mappings: BTreeMap<u64, MapInfo>,
    /// Under `--isolate`, the protection key of the context's memory (0:
    /// none), and ranges recorded since their key was last given
    /// (`Mm::regions`' guard gives it when let go).
    key: u32,
    unkeyed: Vec<(u64, u64)>,
}

/// A mapping as Linux's no-MMU memory manager records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MapInfo {
    /// The size of the block allocated for it (nommu.c's vm_region).
    pub region_len: u64,
    /// How much of it the mapping covers (its VMA; mremap shrinks this).
    pub vma_len: u64,
    /// A file mapping (whole-only munmap).
    pub file: bool,
    /// Shared with the file or overlaid on it (`is_nommu_shared_mapping`).
    pub shared: bool,
}

/// An image at its link address outside the arena: the process's copy of
/// that range (`mm::fixed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FixedImage {
    pub start: u64,
    pub len: u64,
    pub id: u64,
}

/// The attachments of one shared memory segment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShmAttach {
    pub len: u64,
    /// How many times it is attached (each shmat returns the same address).
    pub count: u32,
    /// The process that attached it last.
    pub pid: i32,
}

impl Regions {
    /// Records [start, start+len) (len rounded up to pages) as the
    /// process's. A range that would wrap past 2^64 cannot be memory
    /// anyone allocated: it is refused (and logged).
    pub(crate) fn insert(&mut self, start: u64, len: u64, kind: RegionKind) {
        match checked_page_up(len).filter(|&l| start.checked_add(l).is_some()) {
            Some(len) => {
                self.map.insert(start, Region { start, len, kind });
                if self.key != 0 {
                    self.unkeyed.push((start, len));
                }
            }
            None => log::error!("region {start:#x}+{len:#x} wraps past 2^64: not recorded"),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Region> {
        self.map.values()
    }

    /// The region containing all of [addr, addr+len), if any.
    pub(crate) fn containing(&self, addr: u64, len: u64) -> Option<Region> {
        let end = addr.checked_add(len)?;
        let (_, r) = self.map.range(..=addr).next_back()?;
        (end <= r.end()).then_some(*r)
    }

    /// The region `addr` lies in (Linux's `vma_lookup`).
    pub(crate) fn at(&self, addr: u64) -> Option<Region> {
        let (_, r) = self.map.range(..=addr).next_back()?;
        (addr < r.end()).then_some(*r)
    }

    /// Is every page of [addr, addr+len) in one of the regions or shared
    /// memory attachments (adjacent ones together may cover it), or in the
    /// image outside the arena?
    pub(crate) fn covers(&self, addr: u64, len: u64) -> bool {
        addr.checked_add(len).is_some() && self.covered_from(addr, len) >= len
    }

    /// How much of [addr, addr+len) is covered from `addr` on without a
    /// hole (by regions, attachments or the image outside the arena): 0
    /// when `addr` itself is not mapped, `len` when all of it is.
    pub(crate) fn covered_from(&self, addr: u64, len: u64) -> u64 {
        let Some(end) = addr.checked_add(len) else { return 0 };
        if let Some(FixedImage { start: s, len: l, .. }) = self.outside_image {
            if addr >= s && addr < s.saturating_add(l) {
                return s.saturating_add(l).min(end).saturating_sub(addr);
            }
        }
        let regions = self.map.range(..end).map(|(_, r)| (r.start, r.end())).skip_while(|&(_, e)| e <= addr);
        let reached = if self.shm.is_empty() {
            Self::runs_reach(regions, addr, end)
        } else {
            // Attachments lie in the arena: their ends do not wrap.
            let shm = self.shm.range(..end).map(|(&s, a)| (s, s.saturating_add(a.len)));
            let mut runs: Vec<(u64, u64)> = regions.chain(shm.filter(|&(_, e)| e > addr)).collect();
            runs.sort_unstable();
            Self::runs_reach(runs.into_iter(), addr, end)
        };
        reached.min(end).saturating_sub(addr)
    }

    /// How far from `addr` (towards `end`) do the runs (start, end), in
    /// order of their starts, reach without a hole?
    fn runs_reach(runs: impl Iterator<Item = (u64, u64)>, addr: u64, end: u64) -> u64 {
        let mut at = addr;
        for (start, r_end) in runs {
            if start > at {
                return at;
            }
            at = at.max(r_end);
            if at >= end {
                return at;
            }
        }
        at
    }

    /// The parts of [addr, addr+len) that lie in the regions, in order
    /// (nothing if the range wraps past 2^64).
    pub(crate) fn pieces(&self, addr: u64, len: u64) -> Vec<(u64, u64)> {
        let Some(end) = addr.checked_add(len) else { return Vec::new() };
        self.map
            .range(..end)
            .map(|(_, r)| r)
            .filter(|r| r.end() > addr)
            .map(|r| {
                let (from, to) = (r.start.max(addr), r.end().min(end));
                // The region overlaps [addr, end): from < to.
                (from, to.saturating_sub(from))
            })
            .collect()
    }

    /// Unmaps [addr, addr+len) from every region it overlaps, returning the
    /// pages to the arena. Parts not owned are ignored.
    pub(crate) fn unmap(&mut self, mem: &Memory, addr: u64, len: u64) {
        for (start, len) in self.detach(addr, len) {
            mem.free(start, len);
        }
    }

    /// Like `unmap`, but hands the memory back to the caller instead of the
    /// arena (it is freed later): the pieces that were owned. A range that
    /// would run past 2^64 (rounded up to pages) detaches nothing: callers
    /// check lengths first, and no such range is anyone's memory.
    pub(crate) fn detach(&mut self, addr: u64, len: u64) -> Vec<(u64, u64)> {
        let Some(end) = checked_page_up(len).and_then(|len| addr.checked_add(len)) else {
            log::error!("unmapping {addr:#x}+{len:#x}, which runs past 2^64: nothing unmapped");
            return Vec::new();
        };
        let overlapping: Vec<Region> = self.map.range(..end).map(|(_, r)| *r).filter(|r| r.end() > addr).collect();
        let mut out = Vec::new();
        for r in overlapping {
            self.map.remove(&r.start);
            let cut_start = r.start.max(addr);
            let cut_end = r.end().min(end);
            // The pieces left keep the key they have.
            if let Some(before) = cut_start.checked_sub(r.start).filter(|&n| n > 0) {
                self.map.insert(r.start, Region { start: r.start, len: before, kind: r.kind });
            }
            if let Some(after) = r.end().checked_sub(cut_end).filter(|&n| n > 0) {
                self.map.insert(cut_end, Region { start: cut_end, len: after, kind: r.kind });
            }
            // The region overlaps [addr, end): cut_start < cut_end.
            out.push((cut_start, cut_end.saturating_sub(cut_start)));
        }
        out
    }

    /// Grows or shrinks the region that starts at `addr` (mremap): EFAULT
    /// if no region starts there, ENOMEM if the pages after it are taken
    /// (or, if `accessible`, would take more memory than there is).
    pub(crate) fn resize(&mut self, mem: &Memory, addr: u64, new_len: u64, accessible: bool) -> SysResult<()> {
        let r = *self.map.get(&addr).ok_or(Errno::EFAULT)?;
        let new_len = checked_page_up(new_len).ok_or(Errno::ENOMEM)?;
        let new_end = addr.checked_add(new_len).ok_or(Errno::ENOMEM)?;
        if let Some(shrink) = r.len.checked_sub(new_len) {
            self.unmap(mem, new_end, shrink);
            return Ok(());
        }
        // new_len > r.len here.
        if !mem.extend(r.end(), new_len.saturating_sub(r.len), accessible) {
            return Err(Errno::ENOMEM);
        }
        self.insert(addr, new_len, r.kind);
        Ok(())
    }

    /// Returns every region to the arena.
    pub(crate) fn release_all(&mut self, mem: &Memory) {
        if let Some(f) = self.outside_image.take() {
            mem.fixed_release(f.id);
        }
        let all: Vec<(u64, u64, bool)> = std::mem::take(&mut self.map)
            .into_values()
            .map(|r| (r.start, r.len, r.kind != RegionKind::Stack))
            .collect();
        mem.free_regions(&all);
    }

    /// shmat: one more attachment of the segment at `addr`.
    pub(crate) fn attach_shm(&mut self, addr: u64, len: u64, pid: i32) {
        let a = self.shm.entry(addr).or_insert(ShmAttach { len, count: 0, pid });
        a.count = a.count.saturating_add(1);
        a.pid = pid;
    }

    /// shmdt: one attachment fewer; false if nothing is attached at `addr`.
    pub(crate) fn detach_shm(&mut self, addr: u64) -> bool {
        let Some(a) = self.shm.get_mut(&addr) else { return false };
        a.count = a.count.saturating_sub(1);
        if a.count == 0 {
            self.shm.remove(&addr);
        }
        true
    }

    pub(crate) fn total(&self) -> u64 {
        // Regions do not overlap and each fits below 2^64: neither does the sum.
        self.map.values().fold(0u64, |sum, r| sum.saturating_add(r.len))
    }
}

/// A memory context: the regions one or more processes use. Without an
/// MMU this is all an "address space" is. A vfork child shares its
/// parent's (CLONE_VM): what it maps belongs to both, and stays with the
/// parent when the child execs or exits. The last user returns the
/// regions to the arena.
pub(crate) struct Mm {
    regions: std::sync::Mutex<Regions>,
    /// Under `--isolate`, the protection key its memory carries (0: none).
    key: u32,
    /// The fixed image's copy (0: none); it never changes.
    fixed: u64,
    machine: std::sync::Weak<super::Machine>,
    /// The membarrier(2) `REGISTER_*` commands made for it (the host's
    /// registration is nommu's, made once for all: `fs::pins`).
    membarrier: std::sync::atomic::AtomicU32,
}

impl Mm {
    pub(crate) fn new(mut regions: Regions, machine: std::sync::Weak<super::Machine>) -> Mm {
        let fixed = regions.outside_image.map_or(0, |f| f.id);
        let key = match (crate::arch::pkeys::keys(), machine.upgrade()) {
            (Some(keys), Some(m)) if m.config.isolate => {
                let (key, shared) = keys.take();
                if shared {
                    log::debug!("isolate: more memory contexts than keys: key {key} shared");
                }
                regions.key = key;
                for r in regions.map.values() {
                    m.mem.set_key(r.start, r.len, key);
                }
                key
            }
            _ => 0,
        };
        Mm { regions: std::sync::Mutex::new(regions), key, fixed, machine, membarrier: Default::default() }
    }

    /// The membarrier registrations made for this context (a mask of
    /// `REGISTER_*` commands).
    pub(crate) fn membarrier_registrations(&self) -> u32 {
        self.membarrier.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Records a membarrier registration (`cmd`, a `REGISTER_*` command).
    pub(crate) fn register_membarrier(&self, cmd: u32) {
        self.membarrier.fetch_or(cmd, std::sync::atomic::Ordering::AcqRel);
    }

    /// The protection key of its memory under `--isolate` (0: none).
    pub(crate) fn key(&self) -> u32 {
        self.key
    }

    /// An empty context (a process before its first exec, or a zombie).
    pub(crate) fn empty() -> Mm {
        Mm::new(Regions::default(), std::sync::Weak::new())
    }

    /// The copy of a fixed image the processes using this context run on
    /// (0: none).
    pub(crate) fn fixed(&self) -> u64 {
        self.fixed
    }

    pub(crate) fn regions(&self) -> RegionsGuard<'_> {
        RegionsGuard { regions: self.regions.lock().unwrap_or_else(|e| e.into_inner()), mm: self }
    }
}

/// The regions, locked; what was recorded meanwhile gets the context's
/// protection key when let go (`--isolate`).
pub(crate) struct RegionsGuard<'a> {
    regions: std::sync::MutexGuard<'a, Regions>,
    mm: &'a Mm,
}

impl std::ops::Deref for RegionsGuard<'_> {
    type Target = Regions;
    fn deref(&self) -> &Regions {
        &self.regions
    }
}

impl std::ops::DerefMut for RegionsGuard<'_> {
    fn deref_mut(&mut self) -> &mut Regions {
        &mut self.regions
    }
}

impl Drop for RegionsGuard<'_> {
    fn drop(&mut self) {
        if self.regions.unkeyed.is_empty() {
            return;
        }
        let unkeyed = std::mem::take(&mut self.regions.unkeyed);
        if let Some(m) = self.mm.machine.upgrade() {
            for (start, len) in unkeyed {
                // Still the context's (not unmapped again meanwhile).
                if self.regions.covers(start, len) {
                    m.mem.set_key(start, len, self.mm.key);
                }
            }
        }
    }
}

impl Drop for Mm {
    fn drop(&mut self) {
        if let Some(m) = self.machine.upgrade() {
            let regions = self.regions.get_mut().unwrap_or_else(|e| e.into_inner());
            for (addr, a) in std::mem::take(&mut regions.shm) {
                let mut shm = m.ipc.shm();
                for _ in 0..a.count {
                    shm.detach(&m.mem, addr, a.pid);
                }
            }
            regions.release_all(&m.mem);
        }
        if let Some(keys) = crate::arch::pkeys::keys().filter(|_| self.key != 0) {
            keys.release(self.key);
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn covers_adjacent_regions_but_not_holes() {
        let mut r = Regions::default();
        r.insert(0x10000, 0x2000, RegionKind::Text);
        r.insert(0x12000, 0x1000, RegionKind::Data);
        r.insert(0x20000, 0x1000, RegionKind::Mmap);
        assert!(r.covers(0x10000, 0x3000), "two adjacent regions");
        assert!(r.covers(0x11000, 0x1800));
        assert!(!r.covers(0x10000, 0x4000), "runs into a hole");
        assert!(!r.covers(0xf000, 0x2000), "starts before");
        assert!(!r.covers(0x13000, 0x1000), "a hole");
        assert!(r.covers(0x20000, 0x1000));
        assert_eq!(r.covered_from(0x11000, 0x10000), 0x2000, "up to the hole");
        assert_eq!(r.covered_from(0x13000, 0x1000), 0, "starts in the hole");
        assert_eq!(r.covered_from(0x10000, 0x1800), 0x1800);
        assert!(!r.covers(0x12000, 0xf000), "spans the hole to the next");
        assert!(!r.covers(u64::MAX - 0xfff, 0x2000), "wraps");
        assert!(!r.covers(0x10000, u64::MAX), "wraps");
        assert!(r.containing(0x10000, u64::MAX).is_none(), "wraps");
        assert!(r.containing(0x10000, 0x2000).is_some());
        assert_eq!(r.at(0x12fff).map(|r| r.start), Some(0x12000));
        assert!(r.at(0x13000).is_none());
        assert_eq!(r.pieces(0x11000, 0x10000), vec![(0x11000, 0x1000), (0x12000, 0x1000), (0x20000, 0x1000)]);
        assert!(r.pieces(0x11000, u64::MAX).is_empty());
        r.outside_image = Some(FixedImage { start: 0x400000, len: 0x5000, id: 1 });
        assert!(r.covers(0x401000, 0x1000));
        assert!(!r.covers(0x404000, 0x2000));
    }

    #[test]
    fn under_a_key_what_is_recorded_waits_for_it_and_what_is_left_keeps_it() {
        let mut r = Regions::default();
        r.insert(0x10000, 0x1000, RegionKind::Mmap);
        assert!(r.unkeyed.is_empty(), "no key: nothing to give");
        r.key = 3;
        r.insert(0x20000, 0x3000, RegionKind::Mmap);
        assert_eq!(r.unkeyed, vec![(0x20000, 0x3000)]);
        r.unkeyed.clear();
        // An unmap in the middle leaves two pieces that already carry it.
        assert_eq!(r.detach(0x21000, 0x1000), vec![(0x21000, 0x1000)]);
        assert!(r.unkeyed.is_empty());
        assert!(r.covers(0x20000, 0x1000) && r.covers(0x22000, 0x1000));
    }

    #[test]
    fn shared_memory_attachments_count_as_covered() {
        let mut r = Regions::default();
        r.insert(0x10000, 0x1000, RegionKind::Mmap);
        r.insert(0x13000, 0x1000, RegionKind::Mmap);
        assert!(!r.covers(0x10000, 0x4000));
        r.attach_shm(0x11000, 0x2000, 7);
        assert!(r.covers(0x10000, 0x4000), "region, attachment, region");
        assert!(r.covers(0x11800, 0x800));
        assert!(!r.covers(0x10000, 0x5000));
        r.attach_shm(0x11000, 0x2000, 7);
        assert!(r.detach_shm(0x11000) && r.covers(0x12000, 0x1000), "attached twice, detached once");
        assert!(r.detach_shm(0x11000) && !r.detach_shm(0x11000));
        assert!(!r.covers(0x12000, 0x1000));
        assert!(r.pieces(0x11000, 0x2000).is_empty(), "an attachment is no region of the process");
    }

    #[test]
    fn a_length_that_wraps_detaches_nothing() {
        let mut r = Regions::default();
        r.insert(0x10000, 0x4000, RegionKind::Mmap);
        r.insert(0x20000, 0x1000, RegionKind::Mmap);
        r.insert(u64::MAX - 0xfff, 0x2000, RegionKind::Mmap);
        assert_eq!(r.iter().count(), 2, "a region that wraps is refused");
        assert!(r.detach(0x11000, u64::MAX - 0xfff).is_empty());
        assert!(r.detach(0x11000, u64::MAX).is_empty());
        assert_eq!(r.total(), 0x5000);
        assert_eq!(r.detach(0x11000, 0x1001), vec![(0x11000, 0x2000)]);
        let left: Vec<(u64, u64)> = r.iter().map(|r| (r.start, r.len)).collect();
        assert_eq!(left, vec![(0x10000, 0x1000), (0x13000, 0x1000), (0x20000, 0x1000)]);
    }
}
