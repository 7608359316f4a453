//! Guest C strings and pointer arrays (paths, argv, envp) read into host
//! buffers.

use super::UserMemory;
use crate::errno::{Errno, SysResult};
use std::mem::MaybeUninit;

impl UserMemory {
    /// A NUL-terminated string of at most `max` bytes (without the NUL);
    /// longer is `ENAMETOOLONG`.
    pub(crate) fn read_cstr(&self, addr: u64, max: usize) -> SysResult<Vec<u8>> {
        let mut out: Vec<u8> = Vec::with_capacity(64);
        let mut at = addr;
        loop {
            // A page at a time, so a string that ends just before unmapped
            // memory still works: the scan never touches the next page.
            let n = crate::mm::to_page_end(at) as usize;
            let found = self.with_host_ptr(at, n, |p, n| {
                // Copied as scanned, so a string another guest thread is
                // changing still comes out as one consistent string.
                for i in 0..n {
                    // SAFETY: [p, p+n) is checked guest memory; volatile
                    // reads, as other guest threads may be writing it.
                    let b = unsafe { p.add(i).read_volatile() };
                    if b == 0 {
                        return Ok(true);
                    }
                    if out.len() >= max {
                        return Err(Errno::ENAMETOOLONG);
                    }
                    out.push(b);
                }
                Ok(false)
            })??;
            if found {
                return Ok(out);
            }
            at = at.checked_add(n as u64).ok_or(Errno::EFAULT)?;
        }
    }

    /// A NUL-terminated string that fits in `buf` (NUL included), copied
    /// there without touching the heap: `Some(length)`, or `None` when it
    /// does not fit (then `read_cstr` reads it). The errors are those
    /// `read_cstr` would give for the same bytes.
    pub(crate) fn read_cstr_into(&self, addr: u64, buf: &mut [u8]) -> SysResult<Option<usize>> {
        // SAFETY: only initialised bytes are ever stored through the view.
        let buf = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        self.read_cstr_into_uninit(addr, buf)
    }

    /// `read_cstr_into` into a buffer that need not be initialised (a
    /// path's stack buffer is not zeroed first): on `Some(len)`, bytes
    /// `..=len` are.
    pub(crate) fn read_cstr_into_uninit(&self, addr: u64, buf: &mut [MaybeUninit<u8>]) -> SysResult<Option<usize>> {
        // Within the first page only: guest memory and guard pages come in
        // whole pages, so checking less of that page answers the same.
        let n = (crate::mm::to_page_end(addr) as usize).min(buf.len());
        let buf = &mut buf[..n];
        // Every path argument's case, checked with one load of each map
        // (`with_host_ptr` checks the same, and more, for the rest).
        if n != 0
            && self.in_arena(addr, n)
            && !Self::isolating()
            && self.guards.overlaps_in_word(addr, n as u64) == Some(false)
        {
            // SAFETY: [addr, addr+n) lies in the arena, mapped at the
            // guest's own addresses for the machine's lifetime, and holds no
            // guard page.
            return Ok(unsafe { copy_cstr(addr as *const u8, buf) });
        }
        // SAFETY: `with_host_ptr` checked [p, p+n) is guest memory.
        self.with_host_ptr(addr, n, |p, _| unsafe { copy_cstr(p, buf) })
    }

    /// A NULL-terminated array of pointers (argv, envp).
    pub(crate) fn read_ptr_array(&self, addr: u64, max: usize) -> SysResult<Vec<u64>> {
        let mut out = Vec::new();
        loop {
            let at = (out.len() as u64).checked_mul(8).and_then(|off| addr.checked_add(off)).ok_or(Errno::EFAULT)?;
            let p = self.read_u64(at)?;
            if p == 0 {
                return Ok(out);
            }
            if out.len() >= max {
                return Err(Errno::E2BIG);
            }
            out.push(p);
        }
    }
}

/// Copies the C string at `src` into `buf` up to and with its NUL, in one
/// pass, so what lands in `buf` is exactly what was scanned even if
/// another guest thread is writing the string: a word at a time, each
/// word read once, stored, then searched for the NUL. The NUL's index
/// (every byte up to it then initialised), or `None` when `buf` fills
/// first.
///
/// # Safety
/// [src, src + buf.len()) must be readable guest memory.
#[inline(always)]
unsafe fn copy_cstr(src: *const u8, buf: &mut [MaybeUninit<u8>]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut at = 0;
    for chunk in buf.chunks_exact_mut(8) {
        // SAFETY: [src+at, src+at+8) is within the caller's range.
        let w = unsafe { src.add(at).cast::<u64>().read_unaligned() };
        for (slot, b) in chunk.iter_mut().zip(w.to_ne_bytes()) {
            slot.write(b);
        }
        // The lowest byte flagged is the first zero byte (a false flag
        // only ever follows a real one).
        let zeros = w.wrapping_sub(ONES) & !w & HIGHS;
        if zeros != 0 {
            return Some(at.wrapping_add((zeros.trailing_zeros() >> 3) as usize));
        }
        at = at.wrapping_add(8);
    }
    for (i, slot) in buf.iter_mut().enumerate().skip(at) {
        // SAFETY: within the caller's range; volatile reads, as other
        // guest threads may be writing it.
        let b = unsafe { src.add(i).read_volatile() };
        slot.write(b);
        if b == 0 {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::copy_cstr;
    use std::mem::MaybeUninit;

    fn view(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
        // SAFETY: the tests store only initialised bytes through it.
        unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) }
    }

    #[test]
    fn copies_up_to_the_nul() {
        for len in 0..40usize {
            let mut src = [0xAAu8; 64];
            for (i, b) in src.iter_mut().take(len).enumerate() {
                *b = b'a' + (i % 26) as u8;
            }
            src[len] = 0;
            let mut buf = [0x55u8; 48];
            // SAFETY: src has 64 readable bytes, buf 48.
            let r = unsafe { copy_cstr(src.as_ptr(), view(&mut buf)) };
            assert_eq!(r, Some(len), "len {len}");
            assert_eq!(&buf[..=len], &src[..=len]);
        }
    }

    #[test]
    fn a_string_longer_than_the_buffer_is_none() {
        let src = [b'x'; 32];
        let mut buf = [0u8; 13];
        // SAFETY: src has 32 readable bytes, buf 13.
        assert_eq!(unsafe { copy_cstr(src.as_ptr(), view(&mut buf)) }, None);
        assert_eq!(buf, [b'x'; 13]);
    }
}
