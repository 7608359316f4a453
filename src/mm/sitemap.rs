//! The set of rewritten syscall sites (docs/architecture.md, invariant 2).
//!
//! The entry path asks "is the return address minus 2 a site we rewrote?"
//! on every syscall, so arena addresses use a bitmap (one bit per byte of
//! arena's address range, lazily backed by zero pages); the rare image outside the arena
//! (an `ET_EXEC` at its link address) uses a sorted set.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::RwLock;

/// Which syscall sites get rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SitePolicy {
    /// No trap path exists: every site is rewritten, red-zone risk or not.
    RewriteAll,
    /// Sites that may hold live red-zone data are left to the trap path.
    SkipRedZone,
    /// No page 0: nothing is rewritten, every syscall takes the trap path.
    TrapOnly,
}

pub struct SiteMap {
    base: u64,
    size: u64,
    words: super::zeroed::ZeroedWords,
    outside: RwLock<BTreeSet<u64>>,
}

impl SiteMap {
    pub(crate) fn new(base: u64, size: u64) -> std::io::Result<SiteMap> {
        let nwords = usize::try_from(size.div_ceil(64)).map_err(|_| std::io::Error::from_raw_os_error(libc::ENOMEM))?;
        // Untouched zero pages (MAP_NORESERVE): an arena's address range
        // costs nothing here until sites are recorded.
        let words = super::zeroed::ZeroedWords::new(nwords)?;
        Ok(SiteMap { base, size, words, outside: RwLock::new(BTreeSet::new()) })
    }

    fn index(&self, addr: u64) -> Option<(usize, u64)> {
        let off = addr.checked_sub(self.base)?;
        (off < self.size).then(|| ((off / 64) as usize, 1u64 << (off % 64)))
    }

    pub(crate) fn insert(&self, addr: u64) {
        match self.index(addr) {
            Some((w, bit)) => {
                self.words[w].fetch_or(bit, Ordering::Release);
            }
            None => {
                self.outside.write().unwrap_or_else(|e| e.into_inner()).insert(addr);
            }
        }
    }

    pub(crate) fn contains(&self, addr: u64) -> bool {
        match self.index(addr) {
            Some((w, bit)) => self.words[w].load(Ordering::Acquire) & bit != 0,
            None => self.outside.read().unwrap_or_else(|e| e.into_inner()).contains(&addr),
        }
    }

    /// Every recorded site in [start, start+len), in order (a range
    /// running past 2^64 ends there).
    pub(crate) fn collect_range(&self, start: u64, len: u64) -> Vec<u64> {
        let mut out = Vec::new();
        let end = start.saturating_add(len);
        let mut addr = start & !63;
        while addr < end {
            if let Some((w, _)) = self.index(addr) {
                let mut bits = self.words[w].load(Ordering::Acquire);
                while bits != 0 {
                    // addr is a multiple of 64 in the arena; b < 64.
                    let a = addr | u64::from(bits.trailing_zeros());
                    if a >= start && a < end {
                        out.push(a);
                    }
                    bits &= bits.wrapping_sub(1); // clears the lowest set bit; bits != 0
                }
            } else {
                let set = self.outside.read().unwrap_or_else(|e| e.into_inner());
                return set.range(start..end).copied().collect();
            }
            let Some(next) = addr.checked_add(64) else { break };
            addr = next;
        }
        out
    }

    /// Forgets every site in [start, start+len) (the memory was freed; a
    /// range running past 2^64 ends there).
    pub(crate) fn clear_range(&self, start: u64, len: u64) {
        let end = start.saturating_add(len);
        let mut addr = start;
        while addr < end {
            match self.index(addr) {
                Some((w, _)) if addr.is_multiple_of(64) && end.checked_sub(addr).is_some_and(|n| n >= 64) => {
                    // All whole words in one pass. Reading first leaves the
                    // bitmap pages no site ever touched unpopulated (most
                    // freed memory is data, stacks, heaps).
                    let whole = usize::try_from(end.saturating_sub(addr) / 64).unwrap_or(usize::MAX);
                    let last = w.saturating_add(whole).min(self.words.len());
                    for word in &self.words[w..last] {
                        if word.load(Ordering::Relaxed) != 0 {
                            word.store(0, Ordering::Release);
                        }
                    }
                    // last > w: at least this word was cleared.
                    let cleared = (last.saturating_sub(w) as u64).saturating_mul(64);
                    addr = addr.saturating_add(cleared);
                }
                Some((w, bit)) => {
                    self.words[w].fetch_and(!bit, Ordering::Release);
                    // addr < end: cannot wrap.
                    addr = addr.saturating_add(1);
                }
                None => {
                    let mut set = self.outside.write().unwrap_or_else(|e| e.into_inner());
                    let doomed: Vec<u64> = set.range(start..end).copied().collect();
                    for a in doomed {
                        set.remove(&a);
                    }
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn clear_range_forgets_exactly_the_range() {
        let base = 0x10_0000;
        let map = SiteMap::new(base, 1 << 20).unwrap();
        let sites = [base + 3, base + 64, base + 100, base + 4096 + 7, base + 8191, base + 8192, base + 9000];
        for s in sites {
            map.insert(s);
        }
        map.insert(0x1000); // outside the arena
        map.clear_range(base + 64, 8192 - 64 + 1); // [base+64, base+8193)
        let left: Vec<u64> = sites.iter().copied().filter(|&s| map.contains(s)).collect();
        assert_eq!(left, vec![base + 3, base + 9000]);
        assert!(map.contains(0x1000));
        map.clear_range(0x1000, 1);
        assert!(!map.contains(0x1000));
        map.clear_range(base, 1 << 20);
        assert!(!map.contains(base + 3) && !map.contains(base + 9000));
    }
}
