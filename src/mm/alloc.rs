//! Page-granular first-fit allocator over the arena, with coalescing.
//!
//! A no-MMU system lives and dies by fragmentation: every allocation needs a
//! physically contiguous run. The counters (used, free, largest free block)
//! are what `/proc/meminfo` and the memory-map report show.

use super::PAGE_SIZE;
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
pub struct PageAllocator {
    base: u64,
    size: u64,
    /// start -> length of each free run; runs never touch (always coalesced).
    free: BTreeMap<u64, u64>,
    used: u64,
    peak_used: u64,
}

impl PageAllocator {
    pub fn new(base: u64, size: u64) -> Self {
        assert!(base.is_multiple_of(PAGE_SIZE) && size.is_multiple_of(PAGE_SIZE));
        let mut free = BTreeMap::new();
        if size > 0 {
            free.insert(base, size);
        }
        PageAllocator { base, size, free, used: 0, peak_used: 0 }
    }

    /// Lowest-addressed run of `len` bytes (rounded up to pages) whose start
    /// is a multiple of `align` (a power of two, at least a page).
    pub fn alloc(&mut self, len: u64, align: u64) -> Option<u64> {
        let len = super::page_up(len.max(1));
        let align = align.max(PAGE_SIZE);
        debug_assert!(align.is_power_of_two());
        let (start, run) = self.free.iter().find_map(|(&s, &l)| {
            let aligned = (s + align - 1) & !(align - 1);
            (aligned + len <= s + l).then_some((aligned, (s, l)))
        })?;
        self.take(run, start, len);
        Some(start)
    }

    /// Claims exactly [start, start+len) if it is entirely free.
    pub fn alloc_at(&mut self, start: u64, len: u64) -> bool {
        let len = super::page_up(len);
        if !start.is_multiple_of(PAGE_SIZE) {
            return false;
        }
        let Some((&s, &l)) = self.free.range(..=start).next_back() else {
            return false;
        };
        if start + len > s + l {
            return false;
        }
        self.take((s, l), start, len);
        true
    }

    /// Grows an allocation ending at `end` by `extra` bytes if the pages right
    /// after it are free (mremap in place).
    pub fn extend(&mut self, end: u64, extra: u64) -> bool {
        self.alloc_at(end, extra)
    }

    fn take(&mut self, (s, l): (u64, u64), start: u64, len: u64) {
        self.free.remove(&s);
        if start > s {
            self.free.insert(s, start - s);
        }
        if start + len < s + l {
            self.free.insert(start + len, s + l - (start + len));
        }
        self.used += len;
        self.peak_used = self.peak_used.max(self.used);
    }

    /// Returns [start, start+len) to the free list, merging with neighbours.
    pub fn free(&mut self, start: u64, len: u64) {
        let len = super::page_up(len);
        debug_assert!(start >= self.base && start + len <= self.base + self.size);
        self.used -= len;
        let mut start = start;
        let mut len = len;
        if let Some((&ps, &pl)) = self.free.range(..start).next_back() {
            debug_assert!(ps + pl <= start, "double free at {start:#x}");
            if ps + pl == start {
                self.free.remove(&ps);
                start = ps;
                len += pl;
            }
        }
        if let Some(&nl) = self.free.get(&(start + len)) {
            self.free.remove(&(start + len));
            len += nl;
        }
        self.free.insert(start, len);
    }

    pub fn stats(&self) -> AllocStats {
        AllocStats {
            total: self.size,
            used: self.used,
            peak_used: self.peak_used,
            free: self.size - self.used,
            largest_free: self.free.values().copied().max().unwrap_or(0),
            free_blocks: self.free.len(),
        }
    }

    /// The free runs in address order (for maps and pictures).
    pub fn free_runs(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.free.iter().map(|(&s, &l)| (s, l))
    }
}

#[cfg(test)]
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
}
