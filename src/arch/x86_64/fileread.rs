//! nommu's own read-only mappings of files someone else may truncate (a
//! program being exec'd, read in place rather than copied): a page past
//! the file's new end raises SIGBUS, which in nommu's code would end the
//! machine. A read of a guarded range survives it instead: the page
//! becomes zeros, the read goes on, and its owner learns the file changed
//! under it (`FileReadGuard::torn`) and gives up on what it read.

use crate::abi::consts::PAGE_SIZE;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Mappings guarded at once; one more is read by copying instead.
const SLOTS: usize = 16;

/// Each slot's range [start, end) (start 0: free), and whether a page of
/// it was found past the file's end.
static START: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];
static END: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];
static TORN: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];

/// A guarded range; unguarded when dropped (before its mapping goes).
pub(crate) struct FileReadGuard {
    slot: usize,
}

impl FileReadGuard {
    /// Guards [start, start+len), nommu's read-only mapping of a file.
    /// None when every slot is taken.
    pub(crate) fn new(start: u64, len: u64) -> Option<FileReadGuard> {
        if start == 0 {
            return None;
        }
        let slot =
            (0..SLOTS).find(|&s| START[s].compare_exchange(0, start, Ordering::AcqRel, Ordering::Relaxed).is_ok())?;
        TORN[slot].store(false, Ordering::Relaxed);
        END[slot].store(start.saturating_add(len), Ordering::Release);
        Some(FileReadGuard { slot })
    }

    /// Was a page of the range past the file's end (read as zeros)?
    pub(crate) fn torn(&self) -> bool {
        TORN[self.slot].load(Ordering::Acquire)
    }
}

impl Drop for FileReadGuard {
    fn drop(&mut self) {
        END[self.slot].store(0, Ordering::Relaxed);
        START[self.slot].store(0, Ordering::Release);
    }
}

/// From the signal handler, for a SIGBUS at `addr` in nommu's own code:
/// if `addr` lies in a guarded range, its page is replaced by a zero page
/// (the access is retried) and the range marked torn. Async-signal-safe.
pub(super) fn recover(addr: u64) -> bool {
    let Some(slot) = (0..SLOTS).find(|&s| {
        let start = START[s].load(Ordering::Acquire);
        start != 0 && addr >= start && addr < END[s].load(Ordering::Acquire)
    }) else {
        return false;
    };
    let page = addr & !(PAGE_SIZE - 1);
    // SAFETY: one page of a guarded read-only file mapping of nommu's own
    // (its owner reads it, never writes it), replaced by a fresh readable
    // zero page; mmap is async-signal-safe.
    let p = unsafe {
        libc::mmap(
            page as *mut libc::c_void,
            PAGE_SIZE as usize,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    TORN[slot].store(true, Ordering::Release);
    p != libc::MAP_FAILED
}
