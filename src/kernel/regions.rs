//! A process's share of the arena: the list of regions it owns.
//!
//! Without an MMU this is all a process's "address space" is: a set of
//! runs in the one arena, returned when the process lets go of them.

use crate::errno::{Errno, SysResult};
use crate::mm::{page_up, Memory};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    Text,
    Data,
    Stack,
    Mmap,
}

impl RegionKind {
    pub fn name(self) -> &'static str {
        match self {
            RegionKind::Text => "text",
            RegionKind::Data => "data",
            RegionKind::Stack => "stack",
            RegionKind::Mmap => "mmap",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Region {
    pub start: u64,
    pub len: u64,
    pub kind: RegionKind,
}

#[derive(Debug, Default)]
pub struct Regions {
    map: BTreeMap<u64, Region>,
    /// brk: on no-MMU Linux (binfmt_elf_fdpic) the break cannot grow; it
    /// may only move within [start_brk, end_brk], and end_brk == start_brk.
    pub start_brk: u64,
    pub brk: u64,
    /// An image mapped outside the arena at its link address (start, len).
    pub outside_image: Option<(u64, u64)>,
}

impl Regions {
    pub fn insert(&mut self, start: u64, len: u64, kind: RegionKind) {
        self.map.insert(start, Region { start, len: page_up(len), kind });
    }

    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.map.values()
    }

    /// The region containing all of [addr, addr+len), if any.
    pub fn containing(&self, addr: u64, len: u64) -> Option<Region> {
        let (_, r) = self.map.range(..=addr).next_back()?;
        (addr + len <= r.start + r.len).then_some(*r)
    }

    /// Is every page of [addr, addr+len) in one of the regions (adjacent
    /// regions together may cover it), or in the image outside the arena?
    pub fn covers(&self, addr: u64, len: u64) -> bool {
        let Some(end) = addr.checked_add(len) else { return false };
        if let Some((s, l)) = self.outside_image {
            if addr >= s && end <= s + l {
                return true;
            }
        }
        let mut at = addr;
        for r in self.map.range(..end).map(|(_, r)| r).skip_while(|r| r.start + r.len <= addr) {
            if r.start > at {
                return false;
            }
            at = at.max(r.start + r.len);
            if at >= end {
                return true;
            }
        }
        at >= end
    }

    /// Unmaps [addr, addr+len) from every region it overlaps, returning the
    /// pages to the arena. Parts not owned are ignored.
    pub fn unmap(&mut self, mem: &Memory, addr: u64, len: u64) {
        for (start, len) in self.detach(addr, len) {
            mem.free(start, len);
        }
    }

    /// Like `unmap`, but hands the memory back to the caller instead of the
    /// arena (it is freed later): the pieces that were owned.
    pub fn detach(&mut self, addr: u64, len: u64) -> Vec<(u64, u64)> {
        let end = addr.saturating_add(page_up(len));
        let overlapping: Vec<Region> =
            self.map.range(..end).map(|(_, r)| *r).filter(|r| r.start + r.len > addr).collect();
        let mut out = Vec::new();
        for r in overlapping {
            self.map.remove(&r.start);
            let cut_start = r.start.max(addr);
            let cut_end = (r.start + r.len).min(end);
            if r.start < cut_start {
                self.insert(r.start, cut_start - r.start, r.kind);
            }
            if cut_end < r.start + r.len {
                self.insert(cut_end, r.start + r.len - cut_end, r.kind);
            }
            out.push((cut_start, cut_end - cut_start));
        }
        out
    }

    /// Grows or shrinks the region that starts at `addr` (mremap).
    pub fn resize(&mut self, mem: &Memory, addr: u64, new_len: u64) -> SysResult<()> {
        let r = *self.map.get(&addr).ok_or(Errno::EFAULT)?;
        let new_len = page_up(new_len);
        if new_len <= r.len {
            self.unmap(mem, addr + new_len, r.len - new_len);
            return Ok(());
        }
        if !mem.extend(addr + r.len, new_len - r.len) {
            return Err(Errno::ENOMEM);
        }
        self.insert(addr, new_len, r.kind);
        Ok(())
    }

    /// Returns every region to the arena.
    pub fn release_all(&mut self, mem: &Memory) {
        if let Some((start, len)) = self.outside_image.take() {
            mem.free(start, len);
        }
        for (_, r) in std::mem::take(&mut self.map) {
            mem.free_as(r.start, r.len, r.kind != RegionKind::Stack);
        }
    }

    pub fn total(&self) -> u64 {
        self.map.values().map(|r| r.len).sum()
    }
}

/// A memory context: the regions one or more processes use. Without an
/// MMU this is all an "address space" is. A vfork child shares its
/// parent's (CLONE_VM): what it maps belongs to both, and stays with the
/// parent when the child execs or exits. The last user returns the
/// regions to the arena.
pub struct Mm {
    regions: std::sync::Mutex<Regions>,
    machine: std::sync::Weak<super::Machine>,
}

impl Mm {
    pub fn new(regions: Regions, machine: std::sync::Weak<super::Machine>) -> Mm {
        Mm { regions: std::sync::Mutex::new(regions), machine }
    }

    /// An empty context (a process before its first exec, or a zombie).
    pub fn empty() -> Mm {
        Mm::new(Regions::default(), std::sync::Weak::new())
    }

    pub fn regions(&self) -> std::sync::MutexGuard<'_, Regions> {
        self.regions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Mm {
    fn drop(&mut self) {
        if let Some(m) = self.machine.upgrade() {
            self.regions.get_mut().unwrap_or_else(|e| e.into_inner()).release_all(&m.mem);
        }
    }
}

#[cfg(test)]
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
        assert!(!r.covers(0x12000, 0xf000), "spans the hole to the next");
        assert!(!r.covers(u64::MAX - 0xfff, 0x2000), "wraps");
        r.outside_image = Some((0x400000, 0x5000));
        assert!(r.covers(0x401000, 0x1000));
        assert!(!r.covers(0x404000, 0x2000));
    }
}
