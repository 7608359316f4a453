//! Guest memory: the one arena, its page allocator, and user-pointer access.
//!
//! Addresses and lengths here often come from a guest, so arithmetic on
//! them is checked (clippy's `arithmetic_side_effects` is denied in this
//! module): a value that would wrap past 2^64 is an error, never a small
//! number.

pub mod abi_bytes;
pub mod alloc;
pub mod arena;
pub mod blockcache;
mod commit;
pub mod cstrbuf;
mod faultzone;
pub(crate) mod filemap;
pub mod fixed;
pub mod guard;
pub(crate) mod isolation;
pub mod memory;
pub mod resident;
pub mod sitemap;
pub(crate) mod smallcache;
pub(crate) mod stackgrow;
pub mod startheap;
mod text;
pub mod uaccess;
mod zeroed;

pub(crate) use alloc::{AllocStats, PageAllocator};
pub(crate) use arena::Arena;
pub use memory::{default_address_space, MemStats, Memory};
pub(crate) use uaccess::UserMemory;

pub(crate) use crate::abi::consts::{PAGE_SIZE, TASK_SIZE};
const PAGE_MASK: u64 = !(PAGE_SIZE - 1);

/// `x` rounded up to a whole page, or `None` when that passes 2^64.
pub(crate) fn checked_page_up(x: u64) -> Option<u64> {
    x.checked_next_multiple_of(PAGE_SIZE)
}

/// Linux's `PAGE_ALIGN(x)`, which wraps to 0 for `x` in the last page below
/// 2^64: what the memory syscalls compute, and then check for.
pub(crate) fn page_align_wrapping(x: u64) -> u64 {
    checked_page_up(x).unwrap_or(0)
}

/// `x` rounded up to a whole page, for values known to lie far below 2^64
/// (host sizes; ELF segment ends the loader checked against TASK_SIZE).
/// Guest-supplied values go through `checked_page_up`.
///
/// # Panics
/// On a value in the last page below 2^64, which only a bug can pass.
pub(crate) fn page_up(x: u64) -> u64 {
    checked_page_up(x).expect("page_up: a value in the last page below 2^64")
}

pub(crate) fn page_down(x: u64) -> u64 {
    x & PAGE_MASK
}

/// `x`'s offset within its page.
pub(crate) fn page_offset(x: u64) -> u64 {
    x & !PAGE_MASK
}

/// Bytes from `x` to the end of its page (1 to PAGE_SIZE).
pub(crate) fn to_page_end(x: u64) -> u64 {
    // page_offset(x) < PAGE_SIZE: cannot wrap.
    PAGE_SIZE.wrapping_sub(page_offset(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_rounding_never_wraps() {
        assert_eq!(checked_page_up(0), Some(0));
        assert_eq!(checked_page_up(1), Some(PAGE_SIZE));
        assert_eq!(checked_page_up(u64::MAX - PAGE_SIZE + 1), Some(u64::MAX - PAGE_SIZE + 1));
        assert_eq!(checked_page_up(u64::MAX - PAGE_SIZE + 2), None);
        assert_eq!(checked_page_up(u64::MAX), None);
        assert_eq!(page_align_wrapping(u64::MAX), 0);
        assert_eq!(page_align_wrapping(0x1001), 0x2000);
        assert_eq!((to_page_end(0x1000), to_page_end(0x1fff), to_page_end(u64::MAX)), (PAGE_SIZE, 1, 1));
    }
}
