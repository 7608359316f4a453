//! Freed arena pages that keep their host memory, up to a budget.
//!
//! Giving freed pages back to the host (`MADV_DONTNEED`) means the next
//! allocation there takes a page fault per page, each zero-filling a fresh
//! page and charging it to the cgroup: for an exec of busybox, 280 faults,
//! most of the exec's cost. So freed pages stay populated, and are zeroed
//! with a plain memset when allocated again; only beyond the budget do
//! they go back to the host.

use super::zeroed::ZeroedWords;
use super::PAGE_SIZE;
use std::sync::atomic::Ordering::Relaxed;

pub(crate) struct ResidentFree {
    base: u64,
    /// One bit per arena page: freed, still populated, not zero. (Atomic
    /// words only for their zeroed host mapping: every access is under
    /// `&mut self`.)
    bits: ZeroedWords,
    pages: u64,
    budget_pages: u64,
}

impl ResidentFree {
    /// Over the arena from `base`, in `bits` (a bit a page:
    /// `GuardMap::words_for` of the arena's size).
    pub(crate) fn new(base: u64, budget: u64, bits: ZeroedWords) -> ResidentFree {
        ResidentFree { base, bits, pages: 0, budget_pages: budget / PAGE_SIZE }
    }

    /// The arena pages [start, start+len) covers, as indices into `bits`
    /// (None when that is not inside the arena).
    fn page_indices(&self, start: u64, len: u64) -> Option<std::ops::Range<usize>> {
        let first = usize::try_from(start.checked_sub(self.base)? / PAGE_SIZE).ok()?;
        let end = first.checked_add(usize::try_from(len / PAGE_SIZE).ok()?)?;
        (end <= self.bits.len().saturating_mul(64)).then_some(first..end)
    }

    /// Records freed pages [start, start+len) as populated and dirty, if the
    /// budget allows; false if they must be given back to the host instead.
    pub(crate) fn keep(&mut self, start: u64, len: u64) -> bool {
        let n = len / PAGE_SIZE;
        if self.pages.saturating_add(n) > self.budget_pages {
            return false;
        }
        let Some(pages) = self.page_indices(start, len) else { return false };
        for p in pages {
            let word = &self.bits[p / 64];
            word.store(word.load(Relaxed) | 1 << (p % 64), Relaxed);
        }
        // Within the budget (checked above).
        self.pages = self.pages.saturating_add(n);
        true
    }

    /// Forgets the dirty pages of [start, start+len) (just allocated) and
    /// returns them as runs of (address, length) that need zeroing.
    pub(crate) fn take(&mut self, start: u64, len: u64) -> Vec<(u64, u64)> {
        let mut runs: Vec<(u64, u64)> = Vec::new();
        if self.pages == 0 {
            return runs;
        }
        let Some(pages) = self.page_indices(start, len) else { return runs };
        let mut p = pages.start;
        while p < pages.end {
            let word = self.bits[p / 64].load(Relaxed);
            if word == 0 && p.is_multiple_of(64) {
                p = p.saturating_add(64);
                continue;
            }
            let bit = 1u64 << (p % 64);
            if word & bit != 0 {
                self.bits[p / 64].store(word & !bit, Relaxed);
                self.pages = self.pages.saturating_sub(1);
                // An arena page: base + p * PAGE_SIZE lies in the arena.
                let addr = self.base.saturating_add((p as u64).saturating_mul(PAGE_SIZE));
                match runs.last_mut() {
                    Some((s, l)) if s.checked_add(*l) == Some(addr) => *l = l.saturating_add(PAGE_SIZE),
                    _ => runs.push((addr, PAGE_SIZE)),
                }
            }
            p = p.saturating_add(1);
        }
        runs
    }

    /// Pages kept now.
    #[cfg(test)]
    fn pages(&self) -> u64 {
        self.pages
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn keeps_within_the_budget_and_hands_back_runs() {
        let base = 0x100_0000;
        let bits = ZeroedWords::new(crate::mm::guard::GuardMap::words_for(1 << 24).unwrap()).unwrap();
        let mut r = ResidentFree::new(base, 8 * PAGE_SIZE, bits);
        assert!(r.keep(base + 2 * PAGE_SIZE, 3 * PAGE_SIZE));
        assert!(r.keep(base + 100 * PAGE_SIZE, 5 * PAGE_SIZE));
        assert!(!r.keep(base + 200 * PAGE_SIZE, PAGE_SIZE), "over the budget");
        assert_eq!(r.pages(), 8);
        assert_eq!(r.take(base, PAGE_SIZE), vec![], "a clean page");
        assert_eq!(
            r.take(base + 3 * PAGE_SIZE, 98 * PAGE_SIZE),
            vec![(base + 3 * PAGE_SIZE, 2 * PAGE_SIZE), (base + 100 * PAGE_SIZE, PAGE_SIZE)]
        );
        assert_eq!(r.pages(), 5);
        assert_eq!(r.take(base + 3 * PAGE_SIZE, 98 * PAGE_SIZE), vec![], "taken once");
        assert!(r.keep(base + 200 * PAGE_SIZE, PAGE_SIZE), "room again");
    }
}
