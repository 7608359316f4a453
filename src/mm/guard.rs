//! Guard pages: arena pages the host MMU makes inaccessible (below each
//! main stack, and the guest's own PROT_NONE pages), so that a guest
//! overflowing a stack faults instead of silently writing over whatever
//! lies below. nommu's own accesses to guest
//! memory check this map first and answer `EFAULT`, since touching a guard
//! page from host code would crash the emulator.

use std::sync::atomic::Ordering;

pub struct GuardMap {
    base: u64,
    pages: u64,
    words: super::zeroed::ZeroedWords,
}

impl GuardMap {
    #[cfg(test)]
    pub(crate) fn new(base: u64, size: u64) -> std::io::Result<GuardMap> {
        Ok(GuardMap::with_words(base, size, super::zeroed::ZeroedWords::new(GuardMap::words_for(size)?)?))
    }

    /// The words a map over `size` bytes of arena needs.
    pub(crate) fn words_for(size: u64) -> std::io::Result<usize> {
        usize::try_from((size / super::PAGE_SIZE).div_ceil(64))
            .map_err(|_| std::io::Error::from_raw_os_error(libc::ENOMEM))
    }

    /// The map over `size` bytes from `base`, in `words` (`words_for(size)` long).
    pub(crate) fn with_words(base: u64, size: u64, words: super::zeroed::ZeroedWords) -> GuardMap {
        debug_assert!(GuardMap::words_for(size).is_ok_and(|n| n == words.len()));
        GuardMap { base, pages: size / super::PAGE_SIZE, words }
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
        let mut page = first;
        while page <= last {
            let (w, bit) = Self::bit(page);
            // A whole word at a time where the range covers one (a large
            // reservation is many thousands of pages).
            let whole = page.is_multiple_of(64) && last.checked_sub(page).is_some_and(|n| n >= 63);
            let (mask, n) = if whole { (u64::MAX, 64) } else { (bit, 1) };
            if guarded {
                self.words[w].fetch_or(mask, Ordering::Release);
            } else {
                self.words[w].fetch_and(!mask, Ordering::Release);
            }
            page = page.saturating_add(n);
        }
    }

    /// Does [addr, addr+len) touch a guard page? (Every syscall's buffer
    /// is checked: a range within one word of the map, 256 KiB, is one
    /// load.)
    #[inline]
    pub(crate) fn overlaps(&self, addr: u64, len: u64) -> bool {
        match self.overlaps_in_word(addr, len) {
            Some(answer) => answer,
            None => self.overlaps_any(addr, len),
        }
    }

    /// `overlaps` for a range within one word of the map (one load, no
    /// call); `None` for any other range.
    #[inline(always)]
    pub(crate) fn overlaps_in_word(&self, addr: u64, len: u64) -> Option<bool> {
        let (off, span) = (addr.checked_sub(self.base)?, len.checked_sub(1)?);
        let first = off / super::PAGE_SIZE;
        let last = off.saturating_add(span) / super::PAGE_SIZE;
        if first / 64 != last / 64 || first >= self.pages {
            return None;
        }
        // Bits past the arena's last page are never set.
        let bits = self.words[(first / 64) as usize].load(Ordering::Acquire);
        Some(bits & (u64::MAX << (first % 64)) & (u64::MAX >> (63 ^ (last % 64))) != 0)
    }

    /// The span of unguarded arena pages around [addr, addr+len), at most
    /// `reach` bytes beyond it on either side (page-aligned): `None` when
    /// the range is empty, leaves the arena or touches a guard page.
    pub(crate) fn clear_span(&self, addr: u64, len: u64, reach: u64) -> Option<(u64, u64)> {
        let (first, last) = self.page_range(addr, len)?;
        let arena_end = self.pages.checked_mul(super::PAGE_SIZE)?.checked_add(self.base)?;
        if addr.checked_add(len)? > arena_end || self.overlaps_any(addr, len) {
            return None;
        }
        let reach_pages = reach / super::PAGE_SIZE;
        let word = |page: u64| self.words[(page / 64) as usize].load(Ordering::Acquire);
        // Pages [lo, first) and (last, hi] are unguarded; a word at a time
        // where one is clear. Page numbers are below `pages`: no sum
        // here comes near 2^64.
        let floor = first.saturating_sub(reach_pages);
        let mut lo = first;
        while lo > floor {
            let below = lo.saturating_sub(1);
            let word_start = below & !63;
            let bits = word(below) & (u64::MAX >> (63 ^ (below % 64)));
            if bits != 0 {
                // Just above the highest guard page below `lo`.
                lo = word_start.saturating_add(64).saturating_sub(u64::from(bits.leading_zeros()));
                break;
            }
            lo = word_start;
        }
        let ceiling = last.saturating_add(reach_pages).min(self.pages.saturating_sub(1));
        let mut hi = last;
        while hi < ceiling {
            let above = hi.saturating_add(1);
            let word_start = above & !63;
            let bits = word(above) & (u64::MAX << (above % 64));
            if bits != 0 {
                // Just below the lowest guard page above `hi`.
                hi = word_start.saturating_add(u64::from(bits.trailing_zeros())).saturating_sub(1);
                break;
            }
            hi = word_start | 63;
        }
        let (lo, hi) = (lo.max(floor), hi.min(ceiling));
        let at = |page: u64| page.checked_mul(super::PAGE_SIZE)?.checked_add(self.base);
        Some((at(lo)?, at(hi.checked_add(1)?)?))
    }

    /// `overlaps` for any range.
    fn overlaps_any(&self, addr: u64, len: u64) -> bool {
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

    /// How many pages of [addr, addr+len) (clipped to the arena) are
    /// guarded.
    pub(crate) fn count(&self, addr: u64, len: u64) -> u64 {
        let Some((first, last)) = self.page_range(addr, len) else { return 0 };
        let (first_word, last_word) = (first / 64, last / 64);
        (first_word..=last_word)
            .map(|w| {
                let bits = self.words[w as usize].load(Ordering::Acquire);
                let lo = if w == first_word { first % 64 } else { 0 };
                let hi = if w == last_word { last % 64 } else { 63 };
                u64::from((bits & (u64::MAX << lo) & (u64::MAX >> (63 ^ hi))).count_ones())
            })
            .sum()
    }

    /// The runs of pages of [addr, addr+len) (clipped to the arena) that
    /// are guarded (`guarded`) or not, as (address, length) in order.
    pub(crate) fn runs(&self, addr: u64, len: u64, guarded: bool) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        let Some((first, last)) = self.page_range(addr, len) else { return out };
        let want = if guarded { u64::MAX } else { 0 };
        let mut page = first;
        while page <= last {
            let (w, bit) = Self::bit(page);
            let bits = self.words[w].load(Ordering::Acquire);
            // A whole word of pages alike is one step.
            let whole = page.is_multiple_of(64) && last.checked_sub(page).is_some_and(|n| n >= 63);
            let (n, matches): (u64, bool) = if whole && (bits == 0 || bits == u64::MAX) {
                (64, bits == want)
            } else {
                (1, (bits & bit != 0) == guarded)
            };
            if matches {
                // Pages of the arena: their addresses do not wrap.
                let at = self.base.saturating_add(page.saturating_mul(super::PAGE_SIZE));
                let l = n.saturating_mul(super::PAGE_SIZE);
                match out.last_mut() {
                    Some((s, sl)) if s.saturating_add(*sl) == at => *sl = sl.saturating_add(l),
                    _ => out.push((at, l)),
                }
            }
            page = page.saturating_add(n);
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let g = GuardMap::new(0x10000, 1 << 24).unwrap();
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

    #[test]
    fn clear_spans() {
        let base = 0x10000;
        let g = GuardMap::new(base, 1 << 24).unwrap();
        g.set(base + 10 * 4096, 4096, true);
        g.set(base + 40 * 4096, 4096, true);
        let page = |n: u64| base + n * 4096;
        assert_eq!(g.clear_span(page(20) + 5, 100, 1 << 20), Some((page(11), page(40))), "between two guards");
        assert_eq!(g.clear_span(page(20), 4096, 4 * 4096), Some((page(16), page(25))), "reach bounds it");
        assert_eq!(g.clear_span(page(2), 10, 1 << 30), Some((page(0), page(10))), "from the arena's start");
        let end = base + (1 << 24);
        assert_eq!(g.clear_span(end - 1, 1, 1 << 30), Some((page(41), end)), "to the arena's end");
        assert_eq!(g.clear_span(page(10) - 1, 2, 1 << 20), None, "over a guard");
        assert_eq!(g.clear_span(page(20), 0, 1 << 20), None, "empty");
        assert_eq!(g.clear_span(end - 1, 2, 1 << 20), None, "past the end");
        assert_eq!(g.clear_span(base - 1, 2, 1 << 20), None, "below the arena");
        assert_eq!(g.clear_span(page(20), u64::MAX, 1 << 20), None, "runs past 2^64");
    }

    #[test]
    fn counts_and_runs() {
        let base = 0x10000;
        let g = GuardMap::new(base, 1 << 24).unwrap();
        g.set(base + 3 * 4096, 200 * 4096, true);
        g.set(base + 100 * 4096, 4096, false);
        assert_eq!(g.count(base, 1 << 24), 199);
        assert_eq!(g.count(base + 4 * 4096, 4096), 1);
        assert_eq!(g.count(base + 100 * 4096, 4096), 0);
        assert_eq!(g.count(base + 64 * 4096, 64 * 4096), 63);
        assert_eq!(g.count(0, 1 << 30), 0, "starts below the arena");
        assert_eq!(g.runs(base, 300 * 4096, true), vec![(base + 3 * 4096, 97 * 4096), (base + 101 * 4096, 102 * 4096)]);
        assert_eq!(
            g.runs(base + 2 * 4096, 300 * 4096, false),
            vec![(base + 2 * 4096, 4096), (base + 100 * 4096, 4096), (base + 203 * 4096, 99 * 4096)]
        );
        assert_eq!(g.runs(base + 100 * 4096, 1, false), vec![(base + 100 * 4096, 4096)]);
        assert!(g.runs(base + 100 * 4096, 0, false).is_empty());
    }
}
