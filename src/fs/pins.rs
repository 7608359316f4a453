//! Host descriptors that readers use without a lock or a reference (the
//! directory cache's `DirCache::pinned`), and the rule for closing them:
//! not while a reader may still be inside the call it read one for.
//!
//! Hazard pointers with an asymmetric fence. A reader publishes the
//! descriptor it is about to use in its host thread's pin with a plain
//! store, then checks that the slot it read it from still holds it, and
//! clears the pin when its host call is done: no locked instruction (a
//! mutex and a reference count were four of them for every cached open,
//! BENCHMARKS.md round 12). The writer pays instead: a handle it replaced
//! is only retired, and `reclaim` closes the retired handles no pin names
//! after making every thread of nommu pass a full memory barrier
//! (membarrier(2) `MEMBARRIER_CMD_PRIVATE_EXPEDITED`: an IPI to the CPUs
//! running them; a thread not running passed one when it was switched
//! out). Either the reader's pin is visible then, and its handle stays
//! open, or its check came after the barrier and saw the slot change, and
//! it does not use the handle. A pin names one descriptor, so a reader
//! that waits long in its host call (a FIFO's open) keeps one handle open,
//! never the rest.
//!
//! Without the expedited barrier (a host before Linux 4.14, or
//! `NOMMU_NO_MEMBARRIER=1`) there are no pins: readers take the locked
//! way and replaced handles close at once.

use crate::abi::sched::{
    MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_QUERY, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
};
use crate::arch::caps::{Feature, Switch};
use std::cell::Cell;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{compiler_fence, AtomicBool, AtomicI32, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

/// Host threads that can hold a pin at once; a thread past that takes the
/// locked way.
const PINS: usize = 256;

/// A pin that names no descriptor.
const NONE: RawFd = -1;

/// One host thread's pin, on a cache line of its own (a reader's store
/// must not bounce another's line).
#[repr(align(64))]
struct Pin {
    /// The descriptor the thread may be using, or `NONE`.
    fd: AtomicI32,
    /// Some host thread owns this pin.
    taken: AtomicBool,
}

static TABLE: [Pin; PINS] = [const { Pin { fd: AtomicI32::new(NONE), taken: AtomicBool::new(false) } }; PINS];

/// Pins ever handed out (those above are all free): the writer's scan.
static HANDED_OUT: AtomicUsize = AtomicUsize::new(0);

/// 0: not asked yet; 1: in force; 2: not.
static STATE: AtomicU8 = AtomicU8::new(0);

/// This thread's pin: 0 not taken yet, `NO_PIN` none to be had, else its
/// index + 1.
const NO_PIN: usize = usize::MAX;

thread_local! {
    // Const-initialised, no destructor: one FS-relative access.
    static MINE: Cell<usize> = const { Cell::new(0) };
}

/// Registers nommu for expedited barriers, once: whether pins are in
/// force (the host's answer, or the switch's).
pub(crate) fn activate() -> Feature {
    let forced_off = crate::arch::caps::forced_off(Switch::NoMembarrier);
    let feature = match STATE.load(Ordering::Acquire) {
        1 => Feature::InForce,
        _ if forced_off => Feature::ForcedOff(Switch::NoMembarrier),
        0 if host_has_expedited() => Feature::InForce,
        _ => Feature::Absent,
    };
    STATE.store(if feature.in_force() { 1 } else { 2 }, Ordering::Release);
    feature
}

/// Does the host give this process expedited barriers (now registered)?
fn host_has_expedited() -> bool {
    let Ok(cmds) = crate::arch::host::membarrier(MEMBARRIER_CMD_QUERY, 0, 0) else { return false };
    cmds & i64::from(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0
        && crate::arch::host::membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0).is_ok()
}

/// Are pins in force (`activate` said so)?
#[inline]
pub(crate) fn enabled() -> bool {
    STATE.load(Ordering::Relaxed) == 1
}

/// This thread's pin, taken now if it has none yet.
fn mine() -> Option<&'static Pin> {
    let i = MINE.with(Cell::get);
    if let Some(p) = i.checked_sub(1).and_then(|i| TABLE.get(i)) {
        return Some(p);
    }
    if i == NO_PIN {
        return None;
    }
    let free =
        TABLE.iter().position(|p| p.taken.compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed).is_ok());
    MINE.with(|m| m.set(free.map_or(NO_PIN, |i| i + 1)));
    let i = free?;
    HANDED_OUT.fetch_max(i + 1, Ordering::AcqRel);
    TABLE.get(i)
}

/// A held pin: the descriptor it names stays open while it lives.
pub(crate) struct Held(&'static Pin);

impl Drop for Held {
    fn drop(&mut self) {
        // Everything done with the descriptor before the pin lets it go.
        self.0.fd.store(NONE, Ordering::Release);
    }
}

/// Names `fd` in this thread's pin (`None`: pins are not in force, or
/// this thread has none). The caller must then check that `fd` is still
/// where it read it from before it uses it (`DirCache::pinned`). Not
/// nested: a reader holds it only around its own check and host call.
#[inline]
pub(crate) fn hold(fd: RawFd) -> Option<Held> {
    if !enabled() {
        return None;
    }
    let p = mine()?;
    debug_assert_eq!(p.fd.load(Ordering::Relaxed), NONE, "pins do not nest");
    p.fd.store(fd, Ordering::Relaxed);
    // The compiler keeps the caller's check after the store; the CPU may
    // not (a load can pass an older store), which `reclaim`'s barrier
    // covers.
    compiler_fence(Ordering::SeqCst);
    Some(Held(p))
}

/// Closes the handles in `retired` that no pin names (they left their
/// slots before this call); keeps the rest for a later call.
pub(crate) fn reclaim(retired: &mut Vec<Arc<OwnedFd>>) {
    if retired.is_empty() {
        return;
    }
    if enabled() && crate::arch::host::membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0).is_err() {
        return;
    }
    let n = HANDED_OUT.load(Ordering::Acquire).min(PINS);
    let in_use = |fd: RawFd| TABLE[..n].iter().any(|p| p.fd.load(Ordering::Acquire) == fd);
    retired.retain(|h| in_use(h.as_raw_fd()));
}

/// The calling thread ends: its pin goes back (the thread pool's threads
/// call this, as `smallcache::release_thread`).
pub(crate) fn release_thread() {
    let i = MINE.with(|m| m.replace(NO_PIN));
    if let Some(p) = i.checked_sub(1).and_then(|i| TABLE.get(i)) {
        p.taken.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle() -> Arc<OwnedFd> {
        Arc::new(OwnedFd::from(std::fs::File::open("/").expect("/")))
    }

    #[test]
    fn a_pinned_handle_stays_retired_until_its_pin_goes() {
        if !activate().in_force() {
            return;
        }
        let (kept, free) = (handle(), handle());
        let fd = kept.as_raw_fd();
        let held = hold(fd).expect("a pin");
        // Reclaimed from another thread: the pin shows after the barrier.
        let mut retired = vec![kept, free];
        retired = std::thread::scope(|s| {
            s.spawn(move || {
                reclaim(&mut retired);
                retired
            })
            .join()
            .expect("joined")
        });
        assert_eq!(retired.iter().map(|h| h.as_raw_fd()).collect::<Vec<_>>(), [fd], "only the pinned one kept");
        drop(held);
        reclaim(&mut retired);
        assert!(retired.is_empty());
    }

    #[test]
    fn a_released_thread_holds_no_pin() {
        if !activate().in_force() {
            return;
        }
        std::thread::spawn(|| {
            drop(hold(0).expect("a pin"));
            release_thread();
            assert!(hold(0).is_none(), "a released thread holds no pin");
        })
        .join()
        .expect("joined");
    }
}
