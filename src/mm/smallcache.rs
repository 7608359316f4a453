//! Freed small blocks (up to 512 bytes) kept per host thread for reuse,
//! in front of the system allocator (musl's mallocng).
//!
//! mallocng spends ~30 ns on each `malloc` and `free` here (its groups'
//! metadata checks), and nommu makes ~110 of them per vfork + execve +
//! wait (argument lists, path buffers, region records): ~3.5 µs of that
//! benchmark (BENCHMARKS.md, issue 17 round 8). Rust tells `dealloc` the
//! block's size, so a freed block can go straight onto a per-thread stack
//! for its 16-byte size class, and the next block of that class comes
//! off it: a few instructions, no lock (the stacks are thread-local; a
//! block freed on another thread than the one that made it is just as
//! good, as every block of a class is made with the class's layout).
//!
//! At most `KEEP` blocks per class and thread are kept (~68 KiB a thread
//! at most). A thread-local destructor would need the thread-exit
//! machinery, which allocates; so a host thread that ends calls
//! `release_thread` (the vCPU pool's threads do, `kernel::threadpool`),
//! which frees its kept blocks and sends the thread's later frees (its
//! thread-locals' destructors) to the system allocator. A thread that
//! ends without it leaves at most that much behind.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;

/// Blocks up to this size are kept here.
pub(super) const SMALL: usize = 512;
/// The size classes: 16, 32, ..., 512 bytes.
const GRAIN: usize = 16;
const CLASSES: usize = SMALL / GRAIN;
/// Freed blocks kept per class and thread.
const KEEP: usize = 8;

struct Stacks {
    len: [u8; CLASSES],
    blocks: [[usize; KEEP]; CLASSES],
    /// `release_thread` ran: keep nothing more.
    released: bool,
}

thread_local! {
    // No destructor (see above), so const-initialised native TLS: one
    // FS-relative access.
    static KEPT: RefCell<Stacks> = const { RefCell::new(Stacks { len: [0; CLASSES], blocks: [[0; KEEP]; CLASSES], released: false }) };
}

/// The class of a block of `layout`, if it is one kept here.
#[inline]
pub(super) fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size();
    if size == 0 || size > SMALL || layout.align() > GRAIN {
        return None;
    }
    // size >= 1: no wrap.
    Some(size.wrapping_sub(1) / GRAIN)
}

/// The layout every block of `class` is made with.
fn class_layout(class: usize) -> Layout {
    // SAFETY: (class + 1) * 16 is at most 512, and alignment 16 is a
    // power of two: a valid layout.
    unsafe { Layout::from_size_align_unchecked(class.wrapping_add(1).wrapping_mul(GRAIN), GRAIN) }
}

/// A kept block of `class`, if this thread has one. (A signal handler
/// that allocates while its thread is in here finds the stacks borrowed
/// and goes to the system allocator.)
#[inline]
fn take(class: usize) -> Option<*mut u8> {
    KEPT.try_with(|k| {
        let mut k = k.try_borrow_mut().ok()?;
        let len = k.len[class].checked_sub(1)?;
        k.len[class] = len;
        Some(k.blocks[class][len as usize] as *mut u8)
    })
    .ok()
    .flatten()
}

/// Keeps `p` (a block of `class`) if there is room; false if not.
#[inline]
fn keep(class: usize, p: *mut u8) -> bool {
    KEPT.try_with(|k| {
        let Ok(mut k) = k.try_borrow_mut() else { return false };
        let len = k.len[class];
        if len as usize >= KEEP || k.released {
            return false;
        }
        k.blocks[class][len as usize] = p as usize;
        // len < KEEP: no wrap.
        k.len[class] = len.wrapping_add(1);
        true
    })
    .unwrap_or(false)
}

/// A block for `layout` (of `class`).
///
/// # Safety
/// As `GlobalAlloc::alloc`.
#[inline]
pub(super) unsafe fn alloc(class: usize) -> *mut u8 {
    // SAFETY: a valid non-zero layout.
    take(class).unwrap_or_else(|| unsafe { System.alloc(class_layout(class)) })
}

/// `alloc`, zeroed (`size` bytes at least: the caller's layout's).
///
/// # Safety
/// As `GlobalAlloc::alloc_zeroed`.
pub(super) unsafe fn alloc_zeroed(class: usize, size: usize) -> *mut u8 {
    match take(class) {
        Some(p) => {
            // SAFETY: p is a block of the class, at least `size` bytes,
            // now the caller's alone.
            unsafe { std::ptr::write_bytes(p, 0, size) };
            p
        }
        // SAFETY: a valid non-zero layout.
        None => unsafe { System.alloc_zeroed(class_layout(class)) },
    }
}

/// Frees `p`, a block of `class`.
///
/// # Safety
/// As `GlobalAlloc::dealloc`; `p` was made by `alloc`/`alloc_zeroed` of
/// this class.
#[inline]
pub(super) unsafe fn dealloc(class: usize, p: *mut u8) {
    if !keep(class, p) {
        // SAFETY: p is a block of the system allocator, made with the
        // class's layout.
        unsafe { System.dealloc(p, class_layout(class)) }
    }
}

/// Frees the calling thread's kept blocks, and keeps none from now on:
/// for a host thread about to end.
pub(crate) fn release_thread() {
    let _ = KEPT.try_with(|k| {
        let Ok(mut k) = k.try_borrow_mut() else { return };
        k.released = true;
        for class in 0..CLASSES {
            let n = std::mem::take(&mut k.len[class]) as usize;
            for &p in &k.blocks[class][..n] {
                // SAFETY: a kept block of the class: the system
                // allocator's, made with the class's layout, owned by
                // the cache alone.
                unsafe { System.dealloc(p as *mut u8, class_layout(class)) };
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_16_byte_steps_to_512() {
        let l = |s| Layout::from_size_align(s, 8).unwrap();
        assert_eq!(class_of(l(0)), None);
        assert_eq!(class_of(l(1)), Some(0));
        assert_eq!(class_of(l(16)), Some(0));
        assert_eq!(class_of(l(17)), Some(1));
        assert_eq!(class_of(l(512)), Some(31));
        assert_eq!(class_of(l(513)), None);
        assert_eq!(class_of(Layout::from_size_align(64, 32).unwrap()), None, "over-aligned: the system's");
    }

    #[test]
    fn a_freed_block_comes_back_and_zeroed_when_asked() {
        // SAFETY: blocks of class 2 (33..=48 bytes), each freed once.
        unsafe {
            let p = alloc(2);
            assert!(!p.is_null() && (p as usize).is_multiple_of(16));
            std::ptr::write_bytes(p, 0x5a, 48);
            dealloc(2, p);
            let q = alloc_zeroed(2, 40);
            assert_eq!(q, p, "the kept block is reused");
            assert!(std::slice::from_raw_parts(q, 40).iter().all(|&b| b == 0));
            dealloc(2, q);
            // More than KEEP at once: the rest go back to the system.
            let many: Vec<*mut u8> = (0..KEEP * 2).map(|_| alloc(5)).collect();
            for &b in &many {
                std::ptr::write_bytes(b, 1, 96);
            }
            for b in many {
                dealloc(5, b);
            }
        }
    }

    #[test]
    fn a_released_thread_keeps_nothing() {
        std::thread::spawn(|| {
            let kept = || KEPT.with(|k| k.borrow().len.iter().map(|&n| n as usize).sum::<usize>());
            // SAFETY: blocks of class 1, each freed once.
            unsafe {
                let p = alloc(1);
                dealloc(1, p);
                assert_eq!(kept(), 1);
                release_thread();
                assert_eq!(kept(), 0);
                let q = alloc(1);
                dealloc(1, q);
                assert_eq!(kept(), 0, "freed to the system after release");
            }
        })
        .join()
        .expect("thread");
    }
}
