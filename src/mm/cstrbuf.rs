//! A C string read from guest memory into a buffer on the stack, kept
//! with its length so that it is a `&CStr` without a second scan for its
//! NUL (`CStr::from_bytes_until_nul` was ~80 instructions of every path
//! call, BENCHMARKS.md round 5).

use super::uaccess::UserMemory;
use crate::errno::SysResult;
use std::ffi::CStr;
use std::mem::MaybeUninit;

/// The bytes of a guest string up to its first NUL, and that NUL. The
/// buffer is not zeroed first (a path argument's 240 bytes were ~20
/// instructions of every path call).
pub struct CStrBuf<const N: usize> {
    buf: [MaybeUninit<u8>; N],
    /// Length without the NUL; `buf[..=len]` is initialised, `buf[len]` is
    /// 0 and no byte before it is.
    len: usize,
}

impl<const N: usize> Default for CStrBuf<N> {
    fn default() -> Self {
        const { assert!(N > 0) };
        let mut buf = [const { MaybeUninit::uninit() }; N];
        buf[0].write(0);
        CStrBuf { buf, len: 0 }
    }
}

impl<const N: usize> CStrBuf<N> {
    /// Reads the string at `addr` when it fits (NUL included): `false`
    /// when it does not (the buffer is then empty). Errors as
    /// `UserMemory::read_cstr_into`.
    pub(crate) fn read(&mut self, mem: &UserMemory, addr: u64) -> SysResult<bool> {
        self.len = 0;
        match mem.read_cstr_into_uninit(addr, &mut self.buf) {
            // `read_cstr_into_uninit` stops at the first NUL it copied, and
            // every byte up to it is initialised.
            Ok(Some(len)) if len < N => {
                self.len = len;
                Ok(true)
            }
            r => {
                self.buf[0].write(0);
                r.map(|_| false)
            }
        }
    }

    /// `buf[..=len]`: initialised (see `len`).
    fn with_nul(&self) -> &[u8] {
        let n = self.len.wrapping_add(1).min(N);
        // SAFETY: the first `len + 1` bytes are initialised (`len`'s
        // invariant, kept by `default` and `read`), and `n` is no more.
        unsafe { std::slice::from_raw_parts(self.buf.as_ptr().cast::<u8>(), n) }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.with_nul()[..self.len]
    }

    pub(crate) fn as_cstr(&self) -> &CStr {
        let with_nul = self.with_nul();
        debug_assert!(!with_nul[..self.len].contains(&0) && with_nul[self.len] == 0);
        // SAFETY: `buf[len]` is 0 and no byte before it is: `read` sets
        // `len` only to the position of the first NUL `read_cstr_into_uninit`
        // copied (it returns the first zero byte's index, every byte
        // before it copied and non-zero), and otherwise `len` is 0 with
        // `buf[0]` = 0. The fields are private to this module.
        unsafe { CStr::from_bytes_with_nul_unchecked(with_nul) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_a_valid_cstr() {
        let b = CStrBuf::<16>::default();
        assert_eq!(b.as_bytes(), b"");
        assert_eq!(b.as_cstr(), c"");
    }
}
