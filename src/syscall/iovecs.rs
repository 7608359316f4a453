//! A guest iovec array read for one call: up to `INLINE` entries live on
//! the stack (readv/writev of a few buffers, as stdio and shells make
//! them, allocate nothing), more go to the heap.

use super::SyscallCtx;
use crate::errno::{Errno, SysResult};
use std::ops::Deref;

const INLINE: usize = 8;

/// (base, len) pairs, as Linux's `import_iovec` checked them.
pub(crate) struct Iovecs {
    inline: [(u64, u64); INLINE],
    len: usize,
    heap: Vec<(u64, u64)>,
}

impl Deref for Iovecs {
    type Target = [(u64, u64)];
    fn deref(&self) -> &[(u64, u64)] {
        if self.heap.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }
}

impl Iovecs {
    pub(crate) fn new() -> Iovecs {
        Iovecs { inline: [(0, 0); INLINE], len: 0, heap: Vec::new() }
    }

    /// Reads `count` guest iovecs at `addr` (`count` already checked
    /// against UIO_MAXIOV): EFAULT for an unreadable array, EINVAL for a
    /// negative length or a total beyond `ssize_t`, as Linux.
    /// (Filled in place: the caller's `Iovecs` is not copied out.)
    pub(crate) fn read(&mut self, ctx: &SyscallCtx<'_>, addr: u64, count: usize) -> SysResult<&[(u64, u64)]> {
        let v = self;
        let mut small = [0u8; 16 * INLINE];
        let mut big = Vec::new();
        let raw: &mut [u8] = if count <= INLINE {
            &mut small[..16 * count]
        } else {
            big.resize(16 * count, 0);
            v.heap.reserve_exact(count);
            &mut big
        };
        ctx.user().read(addr, raw)?;
        let mut total: u64 = 0;
        for c in raw.chunks_exact(16) {
            let base = u64::from_le_bytes(c[..8].try_into().unwrap_or_default());
            let len = u64::from_le_bytes(c[8..].try_into().unwrap_or_default());
            if len as i64 <= -1 {
                return Err(Errno::EINVAL);
            }
            total = total.checked_add(len).filter(|&t| t <= i64::MAX as u64).ok_or(Errno::EINVAL)?;
            if count <= INLINE {
                v.inline[v.len] = (base, len);
                v.len += 1;
            } else {
                v.heap.push((base, len));
            }
        }
        Ok(&**v)
    }
}
