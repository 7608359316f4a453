//! signalfd: a descriptor that reads its reader's pending guest signals.
//!
//! Guest signals are nommu's, not the host's, so the kernel keeps each
//! signalfd's state here and gives it a host eventfd as a doorbell (the
//! host descriptor the guest's descriptor stands on). The doorbell is
//! readable exactly while a signal of the signalfd's mask is pending for
//! its reader, so poll, select and epoll — host calls on host descriptors —
//! see a signalfd ready when Linux would. The doorbell is brought up to
//! date (`changed`) wherever a signal becomes pending or is taken.
//!
//! Approximate: on Linux readiness is the polling *thread's* (its own
//! pending signals and its process's). Here the doorbell follows one
//! process, the signalfd's reader (whoever made it, then whoever last read
//! it or added it to an epoll), and counts the signals pending for any of
//! its threads. A read takes, as on Linux, only what the reading thread
//! may take: its own pending signals and its process's. Stop signals that
//! SIGCONT discards leave a doorbell rung until the next change.
//!
//! Lock order (the machine's is on `kernel::process::Process`): a
//! signalfd's `sync` lock is taken before the reader's `tasks` and pending
//! queues (it covers one look at them and the doorbell's update);
//! `REGISTRY` before a signalfd's `reader`, a leaf.

use super::process::Process;
use super::signal::{SigInfo, SigSet, UNBLOCKABLE};
use crate::abi::event::SignalfdSiginfo;
use crate::abi::signal::{CLD_CONTINUED, POLL_HUP, SIGCHLD, SI_KERNEL, SI_SIGIO, SI_TIMER};
use crate::arch::hostevent;
use crate::fs::file::Emulated;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

#[derive(Debug)]
pub(crate) struct SignalFd {
    mask: AtomicU64,
    /// A second host descriptor of the guest's eventfd (so the doorbell
    /// stays valid for as long as this state lives).
    doorbell: OwnedFd,
    reader: Mutex<Weak<Process>>,
    /// Makes one look at the pending signals and the doorbell's update
    /// one step, so that the last update wins with the latest state.
    sync: Mutex<()>,
}

impl Emulated for SignalFd {}

/// How many signalfds exist: signal paths skip the registry while none do.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static REGISTRY: Mutex<Vec<Weak<SignalFd>>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl SignalFd {
    /// The state of a new signalfd whose doorbell is `eventfd`, reading
    /// the signals of `mask` (less SIGKILL and SIGSTOP) for `reader`.
    pub(crate) fn new(eventfd: RawFd, mask: SigSet, reader: &Arc<Process>) -> std::io::Result<Arc<SignalFd>> {
        let s = Arc::new(SignalFd {
            mask: AtomicU64::new(mask & !UNBLOCKABLE),
            doorbell: hostevent::dup(eventfd)?,
            reader: Mutex::new(Arc::downgrade(reader)),
            sync: Mutex::new(()),
        });
        LIVE.fetch_add(1, Ordering::AcqRel);
        {
            let mut all = lock(&REGISTRY);
            all.retain(|w| w.strong_count() > 0);
            all.push(Arc::downgrade(&s));
        }
        s.sync_with(reader);
        Ok(s)
    }

    pub(crate) fn mask(&self) -> SigSet {
        self.mask.load(Ordering::Acquire)
    }

    /// signalfd4 on an existing signalfd: a new mask.
    pub(crate) fn set_mask(&self, mask: SigSet, reader: &Arc<Process>) {
        self.mask.store(mask & !UNBLOCKABLE, Ordering::Release);
        self.adopt(reader);
    }

    /// `p` reads (or waits for) this signalfd from now on.
    pub(crate) fn adopt(&self, p: &Arc<Process>) {
        *lock(&self.reader) = Arc::downgrade(p);
        self.sync_with(p);
    }

    fn reads_for(&self, p: &Arc<Process>) -> bool {
        Weak::as_ptr(&lock(&self.reader)) == Arc::as_ptr(p)
    }

    /// Makes the doorbell readable iff a signal of the mask is pending for
    /// a thread of `p`.
    fn sync_with(&self, p: &Process) {
        let _one_at_a_time = lock(&self.sync);
        let pending = {
            let tasks = p.tasks();
            let mut set = p.shared_pending().set();
            for t in tasks.iter() {
                set |= t.pending().set();
            }
            set
        };
        let want = pending & self.mask() != 0;
        let fd = self.doorbell.as_raw_fd();
        // The counter is only ever 0 or 1, so neither call can wait (the
        // guest's O_NONBLOCK, shared with this descriptor, does not matter).
        match hostevent::readable_now(fd) {
            Ok(false) if want => drop(hostevent::eventfd_add(fd, 1)),
            Ok(true) if !want => drop(hostevent::eventfd_take(fd)),
            _ => {}
        }
    }
}

impl Drop for SignalFd {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The pending signals of `p` changed (one was queued or taken): its
/// signalfds' doorbells follow. Called with no process lock held.
pub(crate) fn changed(p: &Arc<Process>) {
    if LIVE.load(Ordering::Acquire) == 0 {
        return;
    }
    let mine: Vec<Arc<SignalFd>> =
        lock(&REGISTRY).iter().filter_map(Weak::upgrade).filter(|s| s.reads_for(p)).collect();
    for s in mine {
        s.sync_with(p);
    }
}

/// The signalfd state behind an emulated file, if it is a signalfd.
pub(crate) fn of(e: &Arc<dyn Emulated>) -> Option<&SignalFd> {
    let any: &dyn std::any::Any = &**e;
    any.downcast_ref::<SignalFd>()
}

/// The highest si_code of SIGCHLD and of the SIGPOLL-style codes.
const NSIGCHLD: i32 = CLD_CONTINUED;
const NSIGPOLL: i32 = POLL_HUP;

/// What a read of a signalfd returns for `info`: the fields of its
/// siginfo layout, as Linux's signalfd_copyinfo chooses them.
pub(crate) fn siginfo(info: &SigInfo) -> SignalfdSiginfo {
    let mut s = SignalfdSiginfo {
        ssi_signo: info.signo as u32,
        ssi_errno: info.errno,
        ssi_code: info.code,
        ..Default::default()
    };
    let (code, signo) = (info.code, info.signo);
    let kernel_code = code > 0 && code < SI_KERNEL;
    if info.is_fault() {
        s.ssi_addr = info.addr;
    } else if kernel_code && signo == SIGCHLD && code <= NSIGCHLD {
        s.ssi_pid = info.pid as u32;
        s.ssi_uid = info.uid;
        s.ssi_status = info.status;
        s.ssi_utime = info.utime as u64;
        s.ssi_stime = info.stime as u64;
    } else if (kernel_code && code <= NSIGPOLL) || code == SI_SIGIO {
        // SIGPOLL's band and fd: nothing nommu sends fills them.
    } else if code == SI_TIMER || (code < 0 && !kernel_code) {
        // sigqueue and the other queued codes carry a value.
        s.ssi_pid = info.pid as u32;
        s.ssi_uid = info.uid;
        s.ssi_ptr = info.value;
        s.ssi_int = info.value as u32 as i32;
    } else {
        s.ssi_pid = info.pid as u32;
        s.ssi_uid = info.uid;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::signal::{SIGSEGV, SI_TKILL, SI_USER};

    #[test]
    fn siginfo_layouts_follow_the_code() {
        let kill = siginfo(&SigInfo { pid: 7, uid: 3, value: 9, ..SigInfo::user(10, SI_USER, 7) });
        assert_eq!((kill.ssi_signo, kill.ssi_pid, kill.ssi_uid, kill.ssi_ptr), (10, 7, 3, 0));
        let queued = siginfo(&SigInfo { value: 0x1_0000_0005, ..SigInfo::user(10, -1, 7) });
        assert_eq!((queued.ssi_pid, queued.ssi_ptr, queued.ssi_int), (7, 0x1_0000_0005, 5));
        let tkill = siginfo(&SigInfo::user(10, SI_TKILL, 8));
        assert_eq!((tkill.ssi_code, tkill.ssi_pid), (SI_TKILL, 8));
        let fault = siginfo(&SigInfo::fault(SIGSEGV, 1, 0x1000));
        assert_eq!((fault.ssi_addr, fault.ssi_pid), (0x1000, 0));
        let child = siginfo(&SigInfo { signo: SIGCHLD, code: 1, pid: 5, status: 3, utime: 2, ..Default::default() });
        assert_eq!((child.ssi_pid, child.ssi_status, child.ssi_utime), (5, 3, 2));
    }
}
