//! Page-granular first-fit allocator over the arena, with coalescing.
//!
//! A no-MMU system lives and dies by fragmentation: every allocation needs a
//! physically contiguous run. The counters (used, free, largest free block)
//! are what `/proc/meminfo` and the memory-map report show.
//!
//! Every run lies inside the arena, a host mapping, so `start + len` of a
//! run never wraps; lengths callers pass are checked, and a range that
//! would pass 2^64 is simply not free.

use super::{checked_page_up, PAGE_SIZE};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocStats {
    pub total: u64,
    pub used: u64,
    pub peak_used: u64,
    pub free: u64,
    pub largest_free: u64,
    pub free_blocks: usize,
}

#[derive(Debug)]
pub(crate) struct PageAllocator {
    base: u64,
    size: u64,
    /// start -> length of each free run; runs never touch (always coalesced).
    free: BTreeMap<u64, u64>,
    used: u64,
    peak_used: u64,
}

/// The end of a run of the free list (inside the arena: cannot wrap).
fn run_end(start: u64, len: u64) -> u64 {
    start.saturating_add(len)
}

impl PageAllocator {
    pub(crate) fn new(base: u64, size: u64) -> Self {
        assert!(base.is_multiple_of(PAGE_SIZE) && size.is_multiple_of(PAGE_SIZE));
        assert!(base.checked_add(size).is_some(), "an arena that wraps past 2^64");
        let mut free = BTreeMap::new();
        if size > 0 {
            free.insert(base, size);
        }
        PageAllocator { base, size, free, used: 0, peak_used: 0 }
    }

    /// Lowest-addressed run of `len` bytes (rounded up to pages) whose start
    /// is a multiple of `align` (a power of two, at least a page).
    pub(crate) fn alloc(&mut self, len: u64, align: u64) -> Option<u64> {
        let len = checked_page_up(len.max(1))?;
        let align = align.max(PAGE_SIZE);
        debug_assert!(align.is_power_of_two());
        let (start, end, run) = self.free.iter().find_map(|(&s, &l)| {
            let aligned = s.checked_next_multiple_of(align)?;
            let end = aligned.checked_add(len)?;
            (end <= run_end(s, l)).then_some((aligned, end, (s, l)))
        })?;
        self.take(run, start, end);
        Some(start)
    }

    /// Claims exactly [start, start+len) if it is entirely free.
    pub(crate) fn alloc_at(&mut self, start: u64, len: u64) -> bool {
        let Some(end) = checked_page_up(len).and_then(|len| start.checked_add(len)) else {
            return false;
        };
        if !start.is_multiple_of(PAGE_SIZE) {
            return false;
        }
        let Some((&s, &l)) = self.free.range(..=start).next_back() else {
            return false;
        };
        if end > run_end(s, l) {
            return false;
        }
        self.take((s, l), start, end);
        true
    }

    /// Grows an allocation ending at `end` by `extra` bytes if the pages right
    /// after it are free (mremap in place).
    pub(crate) fn extend(&mut self, end: u64, extra: u64) -> bool {
        self.alloc_at(end, extra)
    }

    /// Takes [start, end) out of the free run (s, l), which holds it.
    fn take(&mut self, (s, l): (u64, u64), start: u64, end: u64) {
        self.free.remove(&s);
        if let Some(before) = start.checked_sub(s).filter(|&n| n > 0) {
            self.free.insert(s, before);
        }
        if let Some(after) = run_end(s, l).checked_sub(end).filter(|&n| n > 0) {
            self.free.insert(end, after);
        }
        // At most the arena's size: cannot saturate.
        self.used = self.used.saturating_add(end.saturating_sub(start));
        self.peak_used = self.peak_used.max(self.used);
    }

    /// Returns [start, start+len) to the free list, merging with neighbours.
    pub(crate) fn free(&mut self, start: u64, len: u64) {
        let arena_end = run_end(self.base, self.size);
        let room = if start >= self.base { arena_end.checked_sub(start) } else { None };
        let Some(mut len) = checked_page_up(len).filter(|&l| room.is_some_and(|room| l <= room)) else {
            debug_assert!(false, "freeing {start:#x}+{len:#x}, outside the arena");
            log::error!("freeing {start:#x}+{len:#x}, outside the arena: ignored");
            return;
        };
        debug_assert!(self.used >= len, "freeing more than was allocated");
        self.used = self.used.saturating_sub(len);
        let mut start = start;
        if let Some((&ps, &pl)) = self.free.range(..start).next_back() {
            debug_assert!(run_end(ps, pl) <= start, "double free at {start:#x}");
            if run_end(ps, pl) == start {
                self.free.remove(&ps);
                start = ps;
                // Both lie in the arena: their sum is at most its size.
                len = len.saturating_add(pl);
            }
        }
        if let Some(nl) = self.free.remove(&run_end(start, len)) {
            len = len.saturating_add(nl);
        }
        self.free.insert(start, len);
    }

    pub(crate) fn stats(&self) -> AllocStats {
        AllocStats {
            total: self.size,
            used: self.used,
            peak_used: self.peak_used,
            free: self.size.saturating_sub(self.used),
            largest_free: self.free.values().copied().max().unwrap_or(0),
            free_blocks: self.free.len(),
        }
    }

    /// The free runs in address order (for maps and pictures).
    pub(crate) fn free_runs(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.free.iter().map(|(&s, &l)| (s, l))
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    const P: u64 = PAGE_SIZE;

    #[test]
    fn first_fit_and_coalescing() {
        let mut a = PageAllocator::new(0x10000, 16 * P);
        let x = a.alloc(P, P).unwrap();
        let y = a.alloc(2 * P, P).unwrap();
        let z = a.alloc(P, P).unwrap();
        assert_eq!((x, y, z), (0x10000, 0x10000 + P, 0x10000 + 3 * P));
        a.free(y, 2 * P);
        assert_eq!(a.stats().free_blocks, 2);
        assert_eq!(a.stats().largest_free, 12 * P);
        a.free(x, P);
        a.free(z, P);
        let s = a.stats();
        assert_eq!((s.free_blocks, s.free, s.used), (1, 16 * P, 0));
        assert_eq!(s.peak_used, 4 * P);
    }

    #[test]
    fn alignment_and_exhaustion() {
        let mut a = PageAllocator::new(0x1000, 64 * P);
        let _ = a.alloc(P, P).unwrap();
        let big = a.alloc(P, 16 * P).unwrap();
        assert_eq!(big % (16 * P), 0);
        assert!(a.alloc(1000 * P, P).is_none());
        assert!(!a.alloc_at(big, P));
        assert!(a.extend(big + P, 2 * P));
    }

    #[test]
    fn lengths_near_2_pow_64_are_never_free() {
        let mut a = PageAllocator::new(0x10000, 16 * P);
        assert_eq!(a.alloc(u64::MAX, P), None);
        assert_eq!(a.alloc(u64::MAX - P + 2, P), None);
        assert_eq!(a.alloc(P, 1 << 63), None);
        assert!(!a.alloc_at(0x10000, u64::MAX));
        assert!(!a.alloc_at(u64::MAX - P + 1, 2 * P));
        assert!(!a.extend(0x10000 + P, u64::MAX - 0x10000));
        assert_eq!(a.stats().used, 0);
    }
}
