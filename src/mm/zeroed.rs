//! Zero-filled bitmaps over the arena's address range, reserved like the
//! arena itself (MAP_NORESERVE): a bitmap over 64 GiB of address space
//! costs host memory only where bits are set (or read: the zero page).

use memmap2::{MmapMut, MmapOptions};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

const WORDS_PER_PAGE: usize = super::PAGE_SIZE as usize / 8;

pub(crate) struct ZeroedWords {
    /// The reservation these words lie in (shared by the arrays of one
    /// `new_many`), None when empty.
    map: Option<Arc<MmapMut>>,
    /// Where they start in it, in words (page-aligned).
    start: usize,
    len: usize,
}

impl ZeroedWords {
    /// `len` words, all zero.
    pub(crate) fn new(len: usize) -> std::io::Result<ZeroedWords> {
        let [words] = ZeroedWords::new_many([len])?;
        Ok(words)
    }

    /// Arrays of the given lengths, all zero, from one host mapping: a
    /// machine's maps over its arena cost one `mmap` (and one mapping to
    /// tear down at exit), not one each. Each array starts on a page of its
    /// own, so pages one array touches are never another's.
    pub(crate) fn new_many<const N: usize>(lens: [usize; N]) -> std::io::Result<[ZeroedWords; N]> {
        let too_large = || std::io::Error::from_raw_os_error(libc::ENOMEM);
        let mut starts = [0usize; N];
        let mut total = 0usize;
        for (start, &len) in starts.iter_mut().zip(&lens) {
            *start = total;
            total = total
                .checked_add(len.checked_next_multiple_of(WORDS_PER_PAGE).ok_or_else(too_large)?)
                .ok_or_else(too_large)?;
        }
        let map = match total {
            0 => None,
            _ => {
                let bytes = total.checked_mul(8).ok_or_else(too_large)?;
                Some(Arc::new(MmapOptions::new().len(bytes).no_reserve_swap().map_anon()?))
            }
        };
        Ok(std::array::from_fn(|i| ZeroedWords {
            map: map.clone().filter(|_| lens[i] > 0),
            start: starts[i],
            len: lens[i],
        }))
    }
}

impl std::ops::Deref for ZeroedWords {
    type Target = [AtomicU64];

    fn deref(&self) -> &[AtomicU64] {
        match &self.map {
            // SAFETY: the mapping holds zero-filled, page-aligned u64s for as
            // long as `self` holds it, and `start + len` words lie inside it
            // (`new_many` sized it so); no other ZeroedWords covers these
            // words. AtomicU64 has the size, alignment and bit validity of
            // u64, and is only ever accessed atomically.
            Some(m) => unsafe {
                core::slice::from_raw_parts((m.as_ptr() as *const AtomicU64).add(self.start), self.len)
            },
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn zero_and_writable() {
        let w = ZeroedWords::new(1 << 20).unwrap();
        assert_eq!(w.len(), 1 << 20);
        assert!(w.iter().step_by(4096).all(|x| x.load(Ordering::Relaxed) == 0));
        w[12345].store(7, Ordering::Relaxed);
        assert_eq!(w[12345].load(Ordering::Relaxed), 7);
        assert!(ZeroedWords::new(0).unwrap().is_empty());
    }

    #[test]
    fn arrays_of_one_mapping_are_apart() {
        let [a, empty, b, c] = ZeroedWords::new_many([3, 0, WORDS_PER_PAGE + 1, 5]).unwrap();
        assert_eq!((a.len(), empty.len(), b.len(), c.len()), (3, 0, WORDS_PER_PAGE + 1, 5));
        a[2].store(1, Ordering::Relaxed);
        b[WORDS_PER_PAGE].store(2, Ordering::Relaxed);
        c[4].store(3, Ordering::Relaxed);
        // Each array on pages of its own, in order, one mapping.
        let page = |w: &ZeroedWords| w.as_ptr() as usize / super::super::PAGE_SIZE as usize;
        assert_eq!(page(&b), page(&a) + 1);
        assert_eq!(page(&c), page(&b) + 2);
        assert_eq!(b[0].load(Ordering::Relaxed), 0);
        assert_eq!(c[0].load(Ordering::Relaxed), 0);
        assert_eq!(c[4].load(Ordering::Relaxed), 3);
        drop((a, b));
        // The mapping lives while any array does.
        assert_eq!(c[4].load(Ordering::Relaxed), 3);
    }
}
