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
    pub(crate) fn new(base: u64, size: u64) -> GuardMap {
        let pages = size / super::PAGE_SIZE;
        let words = (0..pages.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
        GuardMap { base, pages, words }
    }

    /// The first and last arena page [addr, addr+len) touches (the range
    /// clipped to the arena), if any.
    fn page_range(&self, addr: u64, len: u64) -> Option<(u64, u64)> {
        let off = addr.checked_sub(self.base)?;
        let first = off / super::PAGE_SIZE;
        let last_page = self.pages.checked_sub(1)?;
        if first > last_page {
            return None;
        }
        // A range running past 2^64 still ends in the arena's last page.
        let last_byte = off.saturating_add(len.checked_sub(1)?);
        Some((first, (last_byte / super::PAGE_SIZE).min(last_page)))
    }

    /// The word holding `page`'s bit, and the bit.
    fn bit(page: u64) -> (usize, u64) {
        ((page / 64) as usize, 1u64 << (page % 64))
    }

    pub(crate) fn set(&self, addr: u64, len: u64, guarded: bool) {
        let Some((first, last)) = self.page_range(addr, len) else { return };
        for page in first..=last {
            let (w, bit) = Self::bit(page);
            if guarded {
                self.words[w].fetch_or(bit, Ordering::Release);
            } else {
                self.words[w].fetch_and(!bit, Ordering::Release);
            }
        }
    }

    /// Does [addr, addr+len) touch a guard page?
    pub(crate) fn overlaps(&self, addr: u64, len: u64) -> bool {
        let Some((first, last)) = self.page_range(addr, len) else { return false };
        let (first_word, last_word) = (first / 64, last / 64);
        (first_word..=last_word).any(|w| {
            let bits = self.words[w as usize].load(Ordering::Acquire);
            // The bits of pages first..=last within this word: from lo up
            // to hi (63 ^ hi is 63 - hi, as hi < 64).
            let lo = if w == first_word { first % 64 } else { 0 };
            let hi = if w == last_word { last % 64 } else { 63 };
            bits != 0 && bits & (u64::MAX << lo) & (u64::MAX >> (63 ^ hi)) != 0
        })
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
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
        assert!(g.overlaps(0x10000 + 71 * 4096, u64::MAX), "runs past 2^64");
        assert!(!g.overlaps(0x10000 + 72 * 4096, u64::MAX));
        assert!(!g.overlaps(0x10000 + 70 * 4096, 0));
        assert!(!g.overlaps(u64::MAX, u64::MAX), "above the arena");
        g.set(0x10000 + 70 * 4096, 2 * 4096, false);
        assert!(!g.overlaps(0x10000, 1 << 24));
        g.set(0x10000 + 130 * 4096, u64::MAX, true);
        assert!(g.overlaps(0x10000 + (1 << 24) - 1, 1), "to the arena's end");
        assert!(!g.overlaps(0x10000 + 129 * 4096, 4096));
    }
}
