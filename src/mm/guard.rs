//! Guard pages: arena pages the host MMU makes inaccessible (below each
//! main stack, and the guest's own PROT_NONE pages), so that a guest
//! overflowing a stack faults instead of silently writing over whatever
//! lies below. nommu's own accesses to guest
//! memory check this map first and answer `EFAULT`, since touching a guard
//! page from host code would crash the emulator.

use std::sync::atomic::{AtomicU64, Ordering};

pub struct GuardMap {
    base: u64,
    pages: u64,
    words: Box<[AtomicU64]>,
}

impl GuardMap {
    pub fn new(base: u64, size: u64) -> GuardMap {
        let pages = size / super::PAGE_SIZE;
        let words = (0..pages.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
        GuardMap { base, pages, words }
    }

    fn page_range(&self, addr: u64, len: u64) -> Option<(u64, u64)> {
        let off = addr.checked_sub(self.base)?;
        let first = off / super::PAGE_SIZE;
        if first >= self.pages || len == 0 {
            return None;
        }
        let last = (off.saturating_add(len - 1) / super::PAGE_SIZE).min(self.pages - 1);
        Some((first, last))
    }

    pub fn set(&self, addr: u64, len: u64, guarded: bool) {
        let Some((first, last)) = self.page_range(addr, len) else { return };
        for page in first..=last {
            let (w, bit) = ((page / 64) as usize, 1u64 << (page % 64));
            if guarded {
                self.words[w].fetch_or(bit, Ordering::Release);
            } else {
                self.words[w].fetch_and(!bit, Ordering::Release);
            }
        }
    }

    /// Does [addr, addr+len) touch a guard page?
    pub fn overlaps(&self, addr: u64, len: u64) -> bool {
        let Some((first, last)) = self.page_range(addr, len) else { return false };
        let mut page = first;
        while page <= last {
            let w = self.words[(page / 64) as usize].load(Ordering::Acquire);
            if w != 0 {
                let lo = page % 64;
                let hi = (last - (page - lo)).min(63);
                let mask = (u64::MAX >> (63 - hi)) & (u64::MAX << lo);
                if w & mask != 0 {
                    return true;
                }
            }
            page = (page / 64 + 1) * 64;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let g = GuardMap::new(0x10000, 1 << 24);
        g.set(0x10000 + 70 * 4096, 2 * 4096, true);
        assert!(g.overlaps(0x10000 + 70 * 4096, 1));
        assert!(g.overlaps(0x10000 + 71 * 4096 + 4095, 1));
        assert!(!g.overlaps(0x10000 + 72 * 4096, 4096));
        assert!(!g.overlaps(0x10000 + 69 * 4096, 4096));
        assert!(g.overlaps(0x10000 + 69 * 4096, 4097));
        assert!(g.overlaps(0x10000, 1 << 24));
        assert!(!g.overlaps(0x10000, 64 * 4096));
        assert!(!g.overlaps(0, 0x10000), "below the arena");
        g.set(0x10000 + 70 * 4096, 2 * 4096, false);
        assert!(!g.overlaps(0x10000, 1 << 24));
    }
}
