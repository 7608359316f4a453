//! Freed blocks of middling size (513 B to 128 KiB) kept for reuse, in
//! front of the system allocator (musl's mallocng).
//!
//! mallocng gives a block of this size a group of its own, mapped with
//! `mmap`, and unmaps the group as soon as its last block is freed. A
//! block that is made and dropped once per exec or per wait (the new
//! stack's strings, the image's segment list, the old image's record, a
//! process's region list) then costs an `mmap` and a `munmap` every time,
//! and the `munmap` a TLB shootdown on every CPU the process ran on
//! (BENCHMARKS.md, issue 17 round 6: three such pairs per vfork + execve +
//! wait). Here such blocks are made in power-of-two size classes and up to
//! `KEEP` freed blocks of each class are kept, so the next block of the
//! class is one of them: no host call. At most `KEEP` × 255 KiB are kept.
//! Smaller blocks are kept per thread (`smallcache`), larger ones are
//! rare and mapped whole.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;

/// The smallest class: 1 KiB (blocks of 513..=1024 bytes).
const FIRST_SHIFT: u32 = 10;
/// The number of classes: 1 KiB to 128 KiB.
const CLASSES: usize = 8;
/// Freed blocks kept per class.
const KEEP: usize = 4;
/// Blocks up to this size are `smallcache`'s.
const SMALL: usize = super::smallcache::SMALL;
/// The alignment every class block has (mallocng's).
const ALIGN: usize = 16;

/// The kept blocks of one class (addresses; the first `len` are valid).
struct Kept {
    len: usize,
    blocks: [usize; KEEP],
}

static KEPT: [Mutex<Kept>; CLASSES] = [const { Mutex::new(Kept { len: 0, blocks: [0; KEEP] }) }; CLASSES];

/// The class of a block of `layout`, if it is one kept here.
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size();
    if size <= SMALL || layout.align() > ALIGN {
        return None;
    }
    let shift = size.next_power_of_two().trailing_zeros().max(FIRST_SHIFT);
    let class = shift.checked_sub(FIRST_SHIFT)? as usize;
    (class < CLASSES).then_some(class)
}

/// The layout every block of `class` is made with.
fn class_layout(class: usize) -> Layout {
    // `class` < CLASSES: the shift stays below 18.
    let size = (1usize << FIRST_SHIFT).wrapping_shl(class as u32);
    // SAFETY: a power of two no larger than 128 KiB and alignment 16 are
    // a valid layout.
    unsafe { Layout::from_size_align_unchecked(size, ALIGN) }
}

fn kept(class: usize) -> std::sync::MutexGuard<'static, Kept> {
    KEPT[class].lock().unwrap_or_else(|e| e.into_inner())
}

fn take(class: usize) -> Option<*mut u8> {
    let mut k = kept(class);
    let len = k.len.checked_sub(1)?;
    k.len = len;
    Some(k.blocks[len] as *mut u8)
}

/// Keeps `p` (a block of `class`) if there is room; false if not.
fn keep(class: usize, p: *mut u8) -> bool {
    let mut k = kept(class);
    let len = k.len;
    if len == KEEP {
        return false;
    }
    k.blocks[len] = p as usize;
    k.len = len.saturating_add(1);
    true
}

/// Which cache a block of a layout belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Small(usize),
    Middling(usize),
    System,
}

fn kind_of(layout: Layout) -> Kind {
    if let Some(c) = super::smallcache::class_of(layout) {
        return Kind::Small(c);
    }
    class_of(layout).map_or(Kind::System, Kind::Middling)
}

/// `BlockCache::alloc` of a block too large for `smallcache`.
///
/// # Safety
/// As `GlobalAlloc::alloc`.
unsafe fn alloc_large(layout: Layout) -> *mut u8 {
    match class_of(layout) {
        Some(c) => take(c).unwrap_or_else(|| {
            // SAFETY: a valid non-zero layout.
            unsafe { System.alloc(class_layout(c)) }
        }),
        // SAFETY: the caller's contract, passed on.
        None => unsafe { System.alloc(layout) },
    }
}

/// `BlockCache::dealloc` of a block too large for `smallcache`.
///
/// # Safety
/// As `GlobalAlloc::dealloc`.
unsafe fn dealloc_large(p: *mut u8, layout: Layout) {
    match class_of(layout) {
        Some(c) if keep(c, p) => {}
        // SAFETY: p is a block of the system allocator, made with its
        // class's layout.
        Some(c) => unsafe { System.dealloc(p, class_layout(c)) },
        // SAFETY: the caller's contract, passed on.
        None => unsafe { System.dealloc(p, layout) },
    }
}

/// The system allocator with freed small blocks (per thread) and
/// middling ones kept for reuse.
pub struct BlockCache;

// SAFETY: a block of a class is made with its class's layout (at least
// the size asked, alignment 16 ≥ the one asked) and freed with it; a
// kept block is handed out to one caller only (taken under its class's
// lock, or from the thread's own stack); every other block is the system
// allocator's, called with the caller's layouts.
unsafe impl GlobalAlloc for BlockCache {
    // The small classes are tried inline: most of nommu's blocks are
    // theirs (an open's file and path), and a call chain through the
    // other kinds cost ~40 instructions a block.
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match super::smallcache::class_of(layout) {
            // SAFETY: the caller's contract, passed on.
            Some(c) => unsafe { super::smallcache::alloc(c) },
            // SAFETY: as above.
            None => unsafe { alloc_large(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match kind_of(layout) {
            // SAFETY: the caller's contract, passed on.
            Kind::Small(c) => unsafe { super::smallcache::alloc_zeroed(c, layout.size()) },
            Kind::Middling(c) => match take(c) {
                Some(p) => {
                    // SAFETY: p is a block of the class, at least
                    // layout.size() bytes, now the caller's alone.
                    unsafe { std::ptr::write_bytes(p, 0, layout.size()) };
                    p
                }
                // SAFETY: a valid non-zero layout.
                None => unsafe { System.alloc_zeroed(class_layout(c)) },
            },
            // SAFETY: the caller's contract, passed on.
            Kind::System => unsafe { System.alloc_zeroed(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        match super::smallcache::class_of(layout) {
            // SAFETY: p was made by `alloc` of this class (same layout).
            Some(c) => unsafe { super::smallcache::dealloc(c, p) },
            // SAFETY: the caller's contract, passed on.
            None => unsafe { dealloc_large(p, layout) },
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract: new_size is non-zero and, rounded
        // up to the alignment, no larger than isize::MAX.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (kind_of(layout), kind_of(new_layout)) {
            // SAFETY: neither block is a class block: the caller's
            // contract, passed on.
            (Kind::System, Kind::System) => unsafe { System.realloc(p, layout, new_size) },
            // The block already has the room (its class's size).
            (a, b) if a == b => p,
            _ => {
                // SAFETY: a valid non-zero layout.
                let q = unsafe { self.alloc(new_layout) };
                if !q.is_null() {
                    // SAFETY: p holds layout.size() bytes, q at least
                    // new_size; two distinct live blocks. p is freed with
                    // the layout it was made with.
                    unsafe {
                        std::ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                        self.dealloc(p, layout);
                    }
                }
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_513_bytes_to_128_kib() {
        let l = |s| Layout::from_size_align(s, 8).unwrap();
        assert_eq!(class_of(l(512)), None);
        assert_eq!(class_of(l(513)), Some(0));
        assert_eq!(class_of(l(1024)), Some(0));
        assert_eq!(class_of(l(1025)), Some(1));
        assert_eq!(class_of(l(4096)), Some(2));
        assert_eq!(class_of(l(128 << 10)), Some(7));
        assert_eq!(class_of(l((128 << 10) + 1)), None);
        assert_eq!(class_of(Layout::from_size_align(4096, 64).unwrap()), None, "over-aligned: the system's");
    }

    #[test]
    fn blocks_keep_their_bytes_across_classes_and_come_back_zeroed() {
        let a = BlockCache;
        for (from, to) in [
            (100usize, 3000usize),
            (3000, 3500),
            (3000, 100_000),
            (100_000, 600),
            (600, 200_000),
            (20, 30),
            (30, 40),
            (400, 20),
        ] {
            let l = Layout::from_size_align(from, 8).unwrap();
            // SAFETY: valid non-zero layouts; each block is freed with the
            // layout it has at the time.
            unsafe {
                let p = a.alloc(l);
                assert!(!p.is_null() && (p as usize).is_multiple_of(8));
                std::ptr::write_bytes(p, 0x5a, from);
                let q = a.realloc(p, l, to);
                assert!(std::slice::from_raw_parts(q, from.min(to)).iter().all(|&b| b == 0x5a), "{from} -> {to}");
                a.dealloc(q, Layout::from_size_align(to, 8).unwrap());
                // A block of the same class again: zeroed when asked.
                let z = a.alloc_zeroed(Layout::from_size_align(to, 8).unwrap());
                assert!(std::slice::from_raw_parts(z, to).iter().all(|&b| b == 0), "{to}");
                a.dealloc(z, Layout::from_size_align(to, 8).unwrap());
            }
        }
    }
}
