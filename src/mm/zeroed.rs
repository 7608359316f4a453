//! Zero-filled bitmaps over the arena's address range, reserved like the
//! arena itself (MAP_NORESERVE): a bitmap over 64 GiB of address space
//! costs host memory only where bits are set (or read: the zero page).

use memmap2::{MmapMut, MmapOptions};
use std::sync::atomic::AtomicU64;

pub(crate) struct ZeroedWords {
    map: Option<MmapMut>,
    len: usize,
}

impl ZeroedWords {
    /// `len` words, all zero.
    pub(crate) fn new(len: usize) -> std::io::Result<ZeroedWords> {
        if len == 0 {
            return Ok(ZeroedWords { map: None, len: 0 });
        }
        let bytes = len.checked_mul(8).ok_or_else(|| std::io::Error::from_raw_os_error(libc::ENOMEM))?;
        let map = MmapOptions::new().len(bytes).no_reserve_swap().map_anon()?;
        Ok(ZeroedWords { map: Some(map), len })
    }
}

impl std::ops::Deref for ZeroedWords {
    type Target = [AtomicU64];

    fn deref(&self) -> &[AtomicU64] {
        match &self.map {
            // SAFETY: the mapping holds `len` zero-filled, page-aligned u64s
            // for as long as `self` lives; AtomicU64 has the size, alignment
            // and bit validity of u64, and is only ever accessed atomically.
            Some(m) => unsafe { core::slice::from_raw_parts(m.as_ptr() as *const AtomicU64, self.len) },
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
}
