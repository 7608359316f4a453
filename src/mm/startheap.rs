//! The start-up heap: nommu's own allocations until pid 1 runs, bumped
//! from one static area instead of musl's allocator.
//!
//! Starting a machine allocates a few hundred small blocks (std's start,
//! the command line, the logger, the machine's tables, pid 1's image and
//! stack). musl's allocator (mallocng) serves them by growing its heap
//! one group at a time, each an `mmap` of 4–16 KiB (~30 host calls and
//! some `munmap`s at every start, BENCHMARKS.md, issue 17 round 5,
//! startup). Here they come from a zeroed static area (in .bss: no host
//! call, the first touch of each page is its fault, as before) until
//! `close` — pid 1 about to run — after which every allocation goes to
//! the system allocator (through `blockcache`) as before, so the syscall
//! paths allocate exactly as without it. A start-up block freed later is not reused (start-up
//! allocations mostly live as long as the machine); one too large for the
//! area, or one made after `close`, is the system allocator's. Freeing
//! costs every block one range check.
//! `NOMMU_START_HEAP=0` leaves everything to the system allocator.

use super::blockcache::BlockCache;
use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// The area's size: what `nommu run` of a small program allocates before
/// pid 1 runs, with room to spare.
const SIZE: usize = 256 << 10;
/// Larger blocks go to the system allocator even while the area is open.
const LARGEST: usize = 32 << 10;

#[repr(C, align(4096))]
struct Area(UnsafeCell<[u8; SIZE]>);

// SAFETY: the area is handed out in disjoint blocks (`NEXT` is bumped
// atomically); nothing reads or writes it as a whole.
unsafe impl Sync for Area {}

static AREA: Area = Area(UnsafeCell::new([0; SIZE]));
/// The offset of the area's first free byte.
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// `UNKNOWN` until the first allocation looks at the environment.
static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);
const UNKNOWN: u8 = 0;
const OPEN: u8 = 1;
const CLOSED: u8 = 2;

/// The global allocator of the `nommu` binary.
pub struct StartHeap;

/// Start-up is over: every later allocation is the system allocator's.
pub fn close() {
    STATE.store(CLOSED, Ordering::Relaxed);
}

fn base() -> usize {
    AREA.0.get() as usize
}

fn owns(p: *mut u8) -> bool {
    (p as usize).wrapping_sub(base()) < SIZE
}

/// Once closed (every allocation after start-up), a load and a compare.
#[inline]
fn is_closed() -> bool {
    STATE.load(Ordering::Relaxed) == CLOSED
}

fn is_open() -> bool {
    match STATE.load(Ordering::Relaxed) {
        OPEN => true,
        CLOSED => false,
        _ => {
            // SAFETY: getenv reads the environment musl set up before main
            // and allocates nothing; the name is NUL-terminated.
            let v = unsafe { libc::getenv(c"NOMMU_START_HEAP".as_ptr()) };
            // SAFETY: a non-null getenv result is a NUL-terminated string.
            let off = !v.is_null() && unsafe { std::ffi::CStr::from_ptr(v) } == c"0";
            let state = if off { CLOSED } else { OPEN };
            // A `close` in between wins.
            let _ = STATE.compare_exchange(UNKNOWN, state, Ordering::Relaxed, Ordering::Relaxed);
            STATE.load(Ordering::Relaxed) == OPEN
        }
    }
}

/// A block of the area, or `None` when it is closed or full.
fn bump(layout: Layout) -> Option<*mut u8> {
    if layout.size() > LARGEST || !is_open() {
        return None;
    }
    let base = base();
    let mut cur = NEXT.load(Ordering::Relaxed);
    loop {
        // Offsets within the area; the area's addresses never wrap.
        let start = base.checked_add(cur)?.checked_next_multiple_of(layout.align())?.checked_sub(base)?;
        let end = start.checked_add(layout.size()).filter(|&e| e <= SIZE)?;
        match NEXT.compare_exchange_weak(cur, end, Ordering::Relaxed, Ordering::Relaxed) {
            // SAFETY: start..end lies inside the area and was handed out
            // to no one else (the exchange above reserved it).
            Ok(_) => return Some(unsafe { AREA.0.get().cast::<u8>().add(start) }),
            Err(now) => cur = now,
        }
    }
}

/// Grows the area's last block in place. Never shrinks it: the bytes
/// past `NEXT` must stay zero (`alloc_zeroed`) — a shrunk block keeps its
/// room instead.
fn grow_last(p: *mut u8, old: usize, new: usize) -> bool {
    if !is_open() {
        return false;
    }
    let start = (p as usize).wrapping_sub(base());
    let (Some(old_end), Some(end)) = (start.checked_add(old), start.checked_add(new).filter(|&e| e <= SIZE)) else {
        return false;
    };
    NEXT.compare_exchange(old_end, end, Ordering::Relaxed, Ordering::Relaxed).is_ok()
}

// SAFETY: blocks of the area are disjoint, aligned as asked and never
// handed out twice; everything else is the system allocator's, called
// with the layouts it gave its blocks.
unsafe impl GlobalAlloc for StartHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_closed() {
            // SAFETY: the caller's contract, passed on.
            return unsafe { BlockCache.alloc(layout) };
        }
        match bump(layout) {
            Some(p) => p,
            // SAFETY: the caller's contract, passed on.
            None => unsafe { BlockCache.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // The area starts zeroed and no block of it is handed out twice.
        match bump(layout) {
            Some(p) => p,
            // SAFETY: the caller's contract, passed on.
            None => unsafe { BlockCache.alloc_zeroed(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if !owns(p) {
            // SAFETY: p is a block of the system allocator with this layout.
            unsafe { BlockCache.dealloc(p, layout) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !owns(p) {
            // SAFETY: p is a block of the system allocator with this layout.
            return unsafe { BlockCache.realloc(p, layout, new_size) };
        }
        if new_size <= layout.size() || (new_size <= LARGEST && grow_last(p, layout.size(), new_size)) {
            return p;
        }
        // SAFETY: the caller's contract: new_size is non-zero and the
        // layout valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as above.
        let q = unsafe { self.alloc(new_layout) };
        if !q.is_null() {
            // SAFETY: p holds layout.size() bytes, q at least new_size;
            // two distinct blocks.
            unsafe { std::ptr::copy_nonoverlapping(p, q, layout.size().min(new_size)) };
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Other tests run machines, whose pid 1 closes the area at any time:
    // each check holds for a block of either allocator.
    #[test]
    fn blocks_are_aligned_zeroed_and_keep_their_bytes_when_resized() {
        let h = StartHeap;
        for align in [1usize, 8, 16, 64, 4096] {
            let l = Layout::from_size_align(100, align).unwrap();
            // SAFETY: a valid non-zero layout; the block is freed with it.
            unsafe {
                let p = h.alloc_zeroed(l);
                assert!(!p.is_null() && (p as usize).is_multiple_of(align));
                assert!(std::slice::from_raw_parts(p, 100).iter().all(|&b| b == 0));
                std::ptr::write_bytes(p, 0xab, 100);
                let q = h.realloc(p, l, 5000);
                assert!(!q.is_null() && (q as usize).is_multiple_of(align));
                assert!(std::slice::from_raw_parts(q, 100).iter().all(|&b| b == 0xab));
                let r = h.realloc(q, Layout::from_size_align(5000, align).unwrap(), 50);
                assert!(std::slice::from_raw_parts(r, 50).iter().all(|&b| b == 0xab));
                h.dealloc(r, Layout::from_size_align(50, align).unwrap());
            }
        }
    }

    #[test]
    fn large_blocks_and_blocks_after_close_are_the_systems() {
        let h = StartHeap;
        let l = Layout::from_size_align(LARGEST + 1, 8).unwrap();
        // SAFETY: a valid layout; freed with it.
        unsafe {
            let p = h.alloc(l);
            assert!(!owns(p));
            h.dealloc(p, l);
        }
        close();
        let l = Layout::from_size_align(16, 8).unwrap();
        // SAFETY: as above.
        unsafe {
            let p = h.alloc(l);
            assert!(!owns(p));
            h.dealloc(p, l);
        }
    }
}
