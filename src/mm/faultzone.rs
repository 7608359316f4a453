//! A host range that is never accessible, for guest buffers Linux would
//! accept but nommu cannot hand to the host as they are.
//!
//! Linux checks a read buffer only with `access_ok` (below TASK_SIZE) and
//! finds a bad page when it copies into it: a read at end of file, or
//! from a pipe whose writers are gone, returns 0 whatever the buffer is,
//! and one with data fails with EFAULT without consuming any. A user-half
//! address that is not guest memory may be nommu's own memory, so it must
//! never reach the host; the same host call aimed at this range (same
//! length, `PROT_NONE`, reserved once, never backed) makes the host kernel
//! answer exactly as Linux answers the guest.

use crate::abi::consts::TASK_SIZE;
use crate::abi::fcntl::MAX_RW_COUNT;
use std::sync::OnceLock;

/// The reserved range's start (0 if the host refused it), MAX_RW_COUNT
/// long: no transfer is longer.
fn zone() -> usize {
    static ZONE: OnceLock<usize> = OnceLock::new();
    *ZONE.get_or_init(|| {
        // SAFETY: a fresh anonymous PROT_NONE mapping at an address the
        // host chooses; nothing else is touched.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                MAX_RW_COUNT,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            0
        } else {
            p as usize
        }
    })
}

/// A host pointer that faults at once, standing for the guest range
/// `[addr, addr + len)` that is not guest memory, and the length to use
/// with it; `None` when Linux's `access_ok` refuses the range (EFAULT
/// before anything is looked at).
pub(crate) fn stand_in(addr: u64, len: usize) -> Option<(*mut u8, usize)> {
    if addr.checked_add(len as u64).is_none_or(|end| end > TASK_SIZE) {
        return None;
    }
    match zone() {
        0 => None,
        z => Some((z as *mut u8, len.min(MAX_RW_COUNT))),
    }
}
