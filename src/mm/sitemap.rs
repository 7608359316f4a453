//! The set of rewritten syscall sites (docs/architecture.md, invariant 2).
//!
//! The entry path asks "is the return address minus 2 a site we rewrote?"
//! on every syscall, so arena addresses use a bitmap (one bit per byte of
//! arena's address range, lazily backed by zero pages); the rare image outside the arena
//! (an `ET_EXEC` at its link address) uses a sorted set.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::RwLock;

/// Arena bytes per chunk: one page of the bitmap.
const CHUNK: u64 = 4096 * 8;

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
    /// One bit per CHUNK bytes of arena: might a site lie there? Lets a
    /// sweep over a large range (freeing a 1 GiB reservation) skip the
    /// bitmap pages no site ever touched without reading them.
    chunks: super::zeroed::ZeroedWords,
    outside: RwLock<BTreeSet<u64>>,
}

impl SiteMap {
    #[cfg(test)]
    pub(crate) fn new(base: u64, size: u64) -> std::io::Result<SiteMap> {
        let (nwords, nchunks) = SiteMap::words_for(size)?;
        let [words, chunks] = super::zeroed::ZeroedWords::new_many([nwords, nchunks])?;
        Ok(SiteMap::with_words(base, size, words, chunks))
    }

    /// The words of the map and of its chunk map over `size` bytes.
    pub(crate) fn words_for(size: u64) -> std::io::Result<(usize, usize)> {
        let enomem = |_| std::io::Error::from_raw_os_error(libc::ENOMEM);
        Ok((
            usize::try_from(size.div_ceil(64)).map_err(enomem)?,
            usize::try_from(size.div_ceil(CHUNK).div_ceil(64)).map_err(enomem)?,
        ))
    }

    /// The map over `size` bytes from `base`, in zeroed words as long as
    /// `words_for(size)` says. Untouched zero pages (MAP_NORESERVE): an
    /// arena's address range costs nothing here until sites are recorded.
    pub(crate) fn with_words(
        base: u64,
        size: u64,
        words: super::zeroed::ZeroedWords,
        chunks: super::zeroed::ZeroedWords,
    ) -> SiteMap {
        debug_assert!(SiteMap::words_for(size).is_ok_and(|n| n == (words.len(), chunks.len())));
        SiteMap { base, size, words, chunks, outside: RwLock::new(BTreeSet::new()) }
    }

    /// The word and bit of the chunk holding arena address `addr`.
    fn chunk_index(&self, addr: u64) -> Option<(usize, u64)> {
        let off = addr.checked_sub(self.base)?;
        let c = off / CHUNK;
        (off < self.size).then(|| ((c / 64) as usize, 1u64 << (c % 64)))
    }

    /// Might a site lie in the chunk holding `addr`?
    fn chunk_marked(&self, addr: u64) -> bool {
        self.chunk_index(addr).is_none_or(|(w, bit)| self.chunks[w].load(Ordering::Acquire) & bit != 0)
    }

    /// The end of the chunk holding `addr`, or `end` if that comes first.
    fn chunk_end(addr: u64, end: u64) -> u64 {
        addr.checked_next_multiple_of(CHUNK)
            .filter(|&e| e > addr)
            .or_else(|| addr.checked_add(CHUNK))
            .map_or(end, |e| e.min(end))
    }

    fn index(&self, addr: u64) -> Option<(usize, u64)> {
        let off = addr.checked_sub(self.base)?;
        (off < self.size).then(|| ((off / 64) as usize, 1u64 << (off % 64)))
    }

    pub(crate) fn insert(&self, addr: u64) {
        match self.index(addr) {
            Some((w, bit)) => {
                // The chunk first: a sweep that sees the site saw the chunk.
                if let Some((cw, cbit)) = self.chunk_index(addr) {
                    self.chunks[cw].fetch_or(cbit, Ordering::Release);
                }
                self.words[w].fetch_or(bit, Ordering::Release);
            }
            None => {
                self.outside.write().unwrap_or_else(|e| e.into_inner()).insert(addr);
            }
        }
    }

    /// Records the sites `base + off` (ascending: a chunk is looked at
    /// once per run of its sites) of an image
    /// just placed at `base`, page-aligned, in memory no task runs yet.
    /// No other writer can touch the bitmap words of those pages then (a
    /// word covers 64 bytes of one page), so each word is written with a
    /// plain load and store instead of a locked read-modify-write per
    /// site (~256 of them for busybox at every exec); a chunk's mark,
    /// which neighbouring memory shares, is still set atomically, once.
    pub(crate) fn insert_fresh_image(&self, base: u64, offsets: &[u64]) {
        let mut marked_chunk = None;
        for &off in offsets {
            let Some(addr) = base.checked_add(off) else { continue };
            let (Some((w, bit)), Some((cw, cbit))) = (self.index(addr), self.chunk_index(addr)) else {
                self.insert(addr);
                continue;
            };
            // The chunk first: a sweep that sees the site saw the chunk.
            if marked_chunk != Some((cw, cbit)) {
                if self.chunks[cw].load(Ordering::Acquire) & cbit == 0 {
                    self.chunks[cw].fetch_or(cbit, Ordering::Release);
                }
                marked_chunk = Some((cw, cbit));
            }
            let word = &self.words[w];
            word.store(word.load(Ordering::Relaxed) | bit, Ordering::Release);
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
            if self.index(addr).is_some() && !self.chunk_marked(addr) {
                // No site in this chunk (its start is a multiple of 64).
                addr = Self::chunk_end(addr, end);
                continue;
            }
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
            if self.index(addr).is_some() {
                let chunk_end = Self::chunk_end(addr, end);
                if !self.chunk_marked(addr) {
                    addr = chunk_end;
                    continue;
                }
                if addr.is_multiple_of(CHUNK) && chunk_end.checked_sub(addr) == Some(CHUNK) {
                    // All of the chunk goes: so does its mark (freed memory
                    // gets no new sites meanwhile).
                    if let Some((cw, cbit)) = self.chunk_index(addr) {
                        self.chunks[cw].fetch_and(!cbit, Ordering::Release);
                    }
                }
                self.clear_bits(addr, chunk_end);
                addr = chunk_end;
                continue;
            }
            // Outside the arena: the sorted set.
            let mut set = self.outside.write().unwrap_or_else(|e| e.into_inner());
            let doomed: Vec<u64> = set.range(start..end).copied().collect();
            for a in doomed {
                set.remove(&a);
            }
            return;
        }
    }
}

impl SiteMap {
    /// Forgets the sites in [addr, end), a range inside the arena.
    fn clear_bits(&self, mut addr: u64, end: u64) {
        while addr < end {
            let Some((w, bit)) = self.index(addr) else { return };
            if addr.is_multiple_of(64) && end.checked_sub(addr).is_some_and(|n| n >= 64) {
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
            } else {
                self.words[w].fetch_and(!bit, Ordering::Release);
                // addr < end: cannot wrap.
                addr = addr.saturating_add(1);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_image_records_its_sites_as_insert_does() {
        let base = 0x10_0000;
        let map = SiteMap::new(base, 1 << 20).unwrap();
        let one_by_one = SiteMap::new(base, 1 << 20).unwrap();
        let image = base + 0x8000;
        let offsets = [0, 2, 63, 64, 4095, 4096, CHUNK - 1, CHUNK, 3 * CHUNK + 5];
        map.insert(image - 1); // a neighbour's site, in the same chunk
        map.insert_fresh_image(image, &offsets);
        one_by_one.insert(image - 1);
        for o in offsets {
            one_by_one.insert(image + o);
        }
        let all = |m: &SiteMap| m.collect_range(base, 1 << 20);
        assert_eq!(all(&map), all(&one_by_one));
        assert_eq!(all(&map).len(), offsets.len() + 1);
        // Outside the arena: the sorted set, as insert.
        map.insert_fresh_image(0x1000, &[0x10]);
        assert!(map.contains(0x1010));
    }

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

    #[test]
    fn chunks_without_sites_are_skipped_and_marks_go_with_them() {
        let base = 0x100_0000;
        let map = SiteMap::new(base, 1 << 24).unwrap();
        let (a, b, c) = (base + 3 * CHUNK + 5, base + 10 * CHUNK, base + 10 * CHUNK + 64 * 5 + 1);
        for s in [a, b, c] {
            map.insert(s);
        }
        assert_eq!(map.collect_range(base, 1 << 24), vec![a, b, c]);
        assert_eq!(map.collect_range(a + 1, 8 * CHUNK), vec![b, c]);
        map.clear_range(base, 4 * CHUNK);
        assert!(!map.contains(a) && !map.chunk_marked(a), "a whole chunk cleared: its mark too");
        map.clear_range(b, 1);
        assert!(!map.contains(b) && map.contains(c) && map.chunk_marked(c), "a part: the mark stays");
        map.insert(a);
        assert_eq!(map.collect_range(base, 1 << 24), vec![a, c]);
        map.clear_range(base + 10 * CHUNK + 1, CHUNK);
        assert_eq!(map.collect_range(base, 1 << 24), vec![a]);
    }
}
