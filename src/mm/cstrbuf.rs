//! A C string read from guest memory into a buffer on the stack, kept
//! with its length so that it is a `&CStr` without a second scan for its
//! NUL (`CStr::from_bytes_until_nul` was ~80 instructions of every path
//! call, BENCHMARKS.md round 5).

use super::uaccess::UserMemory;
use crate::errno::SysResult;
use std::ffi::CStr;

/// The bytes of a guest string up to its first NUL, and that NUL.
pub struct CStrBuf<const N: usize> {
    buf: [u8; N],
    /// Length without the NUL; `buf[len]` is 0 and no byte before it is.
    len: usize,
}

impl<const N: usize> Default for CStrBuf<N> {
    fn default() -> Self {
        CStrBuf { buf: [0; N], len: 0 }
    }
}

impl<const N: usize> CStrBuf<N> {
    /// Reads the string at `addr` when it fits (NUL included): `false`
    /// when it does not (the buffer is then empty). Errors as
    /// `UserMemory::read_cstr_into`.
    pub(crate) fn read(&mut self, mem: &UserMemory, addr: u64) -> SysResult<bool> {
        self.len = 0;
        let r = mem.read_cstr_into(addr, &mut self.buf);
        match r {
            // `read_cstr_into` stops at the first NUL it copied.
            Ok(Some(len)) if self.buf.get(len) == Some(&0) => {
                self.len = len;
                Ok(true)
            }
            _ => {
                self.buf[0] = 0;
                r.map(|_| false)
            }
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub(crate) fn as_cstr(&self) -> &CStr {
        let with_nul = &self.buf[..=self.len];
        debug_assert!(!with_nul[..self.len].contains(&0) && with_nul[self.len] == 0);
        // SAFETY: `buf[len]` is 0 and no byte before it is: `read` sets
        // `len` only to the position of the first NUL `read_cstr_into`
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
