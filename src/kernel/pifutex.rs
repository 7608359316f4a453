//! Priority-inheritance futexes: FUTEX_LOCK_PI, UNLOCK_PI, TRYLOCK_PI and
//! the requeue pair (WAIT_REQUEUE_PI, CMP_REQUEUE_PI), after Linux's
//! kernel/futex/pi.c and requeue.c.
//!
//! A PI futex word holds its owner's tid (`FUTEX_TID_MASK`), with
//! `FUTEX_WAITERS` and `FUTEX_OWNER_DIED`. Guest tids are nommu's, so the
//! host kernel cannot serve these words: this registry keeps, for each
//! word that has waiters, the owner as the kernel knows it and the queue
//! of waiting tasks, each asleep on a host futex of its own. An unlock
//! hands the lock to the first waiter (FIFO: there are no priorities to
//! inherit on the host), writing its tid into the word and waking exactly
//! it. A thread that exits hands over what it owns with
//! `FUTEX_OWNER_DIED`, after the robust-list walk (`kernel::robust`).
//!
//! Words are keyed by address: every guest process lives in the one
//! arena, so an address names the same word for all of them (a private
//! and a shared futex on one word are one lock here).
//!
//! Locking (the machine's order is on `kernel::process::Process`): the
//! registry's mutex comes before `Machine::tasks` (an owner is looked up
//! by tid while it is held) and before the locks a guest-memory access
//! may take; nothing else is taken under it, and no one holding another
//! lock takes it. Waiters sleep with it released.

use super::machine::Machine;
use super::task::TaskShared;
use crate::abi::futex::{FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::mm::UserMemory;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A waiter's state word, which it sleeps on. Written under the
/// registry's lock.
const WAITING: u32 = 0;
/// Moved from a condition word onto the PI lock (CMP_REQUEUE_PI).
const REQUEUED: u32 = 1;
/// The lock is the waiter's: an unlock, an owner's death or a requeue
/// handed it over and wrote the waiter's tid into the word.
const GRANTED: u32 = 2;

/// Linux's `max_lock_depth`: the longest chain of blocked owners the
/// deadlock check follows.
const MAX_LOCK_DEPTH: usize = 1024;

/// One task blocked in FUTEX_LOCK_PI or FUTEX_WAIT_REQUEUE_PI.
pub(crate) struct Waiter {
    tid: i32,
    state: AtomicU32,
    /// FUTEX_WAIT_REQUEUE_PI: the PI word it waits to be moved to.
    target: Option<u64>,
}

impl Waiter {
    /// None once the lock is the waiter's; else the value of its word to
    /// sleep on.
    pub(crate) fn pending(&self) -> Option<u32> {
        Some(self.state.load(Ordering::Acquire)).filter(|&s| s != GRANTED)
    }

    /// The word it sleeps on.
    pub(crate) fn word(&self) -> &AtomicU32 {
        &self.state
    }
}

/// The kernel's side of one contended PI word.
struct PiLock {
    /// The owner as the kernel knows it (None once it died).
    owner: Option<i32>,
    waiters: VecDeque<Arc<Waiter>>,
}

#[derive(Default)]
struct Registry {
    /// PI words that have waiters.
    locks: HashMap<u64, PiLock>,
    /// Condition words with FUTEX_WAIT_REQUEUE_PI waiters.
    conds: HashMap<u64, VecDeque<Arc<Waiter>>>,
    /// The PI word each blocked task waits for (the deadlock check).
    blocked_on: HashMap<i32, u64>,
}

/// What the atomic step of a lock found (Linux's `futex_lock_pi_atomic`).
enum Step {
    /// The word was free: it names the new owner now.
    Acquired,
    /// Owned by someone else: wait behind this owner (None: it died).
    Wait(Option<i32>),
    /// The word changed under us: look again.
    Retry,
}

/// How a wait that ended without the lock left the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Left {
    /// The lock was handed over after all: the caller owns it.
    Granted,
    /// Taken off a PI lock's queue.
    Lock,
    /// Taken off a condition word's queue (never requeued).
    Cond,
}

/// The machine's PI futexes.
#[derive(Default)]
pub struct PiFutexes {
    reg: Mutex<Registry>,
}

fn grant(reg: &mut Registry, w: &Waiter) {
    reg.blocked_on.remove(&w.tid);
    w.state.store(GRANTED, Ordering::Release);
    host::futex_wake(&w.state, 1);
}

/// Whether `tid` is a live task that has not released its futexes yet.
fn alive(m: &Machine, tid: u32) -> bool {
    m.task(tid as i32).is_some_and(|t| !t.futex_dead())
}

impl PiFutexes {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.reg.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// FUTEX_LOCK_PI(2) and FUTEX_TRYLOCK_PI for `tid`: takes a free word,
    /// or (unless `try_only`: EAGAIN) queues the caller, whose `Waiter`
    /// is returned to sleep on. `Ok(None)`: the lock is the caller's.
    pub(crate) fn lock(&self, m: &Machine, uaddr: u64, tid: i32, try_only: bool) -> SysResult<Option<Arc<Waiter>>> {
        let mut reg = self.registry();
        let owner = loop {
            match lock_atomic(&reg, m, uaddr, tid, false)? {
                Step::Acquired => return Ok(None),
                Step::Wait(owner) => break owner,
                Step::Retry => continue,
            }
        };
        if try_only {
            return Err(Errno::EAGAIN);
        }
        check_deadlock(&reg, owner, tid)?;
        let w = Arc::new(Waiter { tid, state: AtomicU32::new(WAITING), target: None });
        reg.locks
            .entry(uaddr)
            .or_insert_with(|| PiLock { owner, waiters: VecDeque::new() })
            .waiters
            .push_back(w.clone());
        reg.blocked_on.insert(tid, uaddr);
        Ok(Some(w))
    }

    /// FUTEX_UNLOCK_PI by `tid`: the first waiter gets the lock, else the
    /// word becomes 0.
    pub(crate) fn unlock(&self, mem: &UserMemory, uaddr: u64, tid: i32) -> SysResult<()> {
        // As Linux: the word is read and its owner checked before the
        // address's alignment.
        if mem.read_val::<u32>(uaddr)? & FUTEX_TID_MASK != tid as u32 {
            return Err(Errno::EPERM);
        }
        let mut reg = self.registry();
        loop {
            let val = mem.load_u32(uaddr)?;
            if val & FUTEX_TID_MASK != tid as u32 {
                return Err(Errno::EPERM);
            }
            if let Some(lock) = reg.locks.get(&uaddr) {
                // The word says it is ours; the kernel must agree.
                if lock.owner != Some(tid) {
                    return Err(Errno::EINVAL);
                }
                let next = lock.waiters.front().expect("a PI lock in the registry has waiters").clone();
                // Linux keeps FUTEX_WAITERS while it has state for the
                // word, so the next unlock comes here too.
                if mem.cmpxchg_u32(uaddr, val, FUTEX_WAITERS | next.tid as u32)? != val {
                    continue;
                }
                hand_over(&mut reg, uaddr, &next);
                return Ok(());
            }
            // No waiters: free. One that changed meanwhile is user
            // space's business.
            return if mem.cmpxchg_u32(uaddr, val, 0)? == val { Ok(()) } else { Err(Errno::EAGAIN) };
        }
    }

    /// A LOCK_PI or WAIT_REQUEUE_PI wait ended without the lock (a
    /// timeout, a signal): leave whatever queue the waiter is on.
    pub(crate) fn leave(&self, w: &Arc<Waiter>, uaddr: u64) -> Left {
        let mut reg = self.registry();
        let Some(state) = w.pending() else { return Left::Granted };
        reg.blocked_on.remove(&w.tid);
        let (key, left) = match (w.target, state) {
            (Some(target), REQUEUED) => (target, Left::Lock),
            (Some(_), _) => {
                if let Some(q) = reg.conds.get_mut(&uaddr) {
                    q.retain(|x| !Arc::ptr_eq(x, w));
                    if q.is_empty() {
                        reg.conds.remove(&uaddr);
                    }
                }
                return Left::Cond;
            }
            (None, _) => (uaddr, Left::Lock),
        };
        if let Some(lock) = reg.locks.get_mut(&key) {
            lock.waiters.retain(|x| !Arc::ptr_eq(x, w));
            if lock.waiters.is_empty() {
                reg.locks.remove(&key);
            }
        }
        left
    }

    /// FUTEX_WAIT_REQUEUE_PI's first step: queues `tid` on the condition
    /// word `uaddr` if it still holds `val` (else EAGAIN), to be moved to
    /// the PI word `uaddr2` by a CMP_REQUEUE_PI.
    pub(crate) fn wait_requeue(
        &self,
        mem: &UserMemory,
        uaddr: u64,
        val: u32,
        uaddr2: u64,
        tid: i32,
    ) -> SysResult<Arc<Waiter>> {
        let mut reg = self.registry();
        if mem.load_u32(uaddr)? != val {
            return Err(Errno::EAGAIN);
        }
        let w = Arc::new(Waiter { tid, state: AtomicU32::new(WAITING), target: Some(uaddr2) });
        reg.conds.entry(uaddr).or_default().push_back(w.clone());
        Ok(w)
    }

    /// FUTEX_CMP_REQUEUE_PI (one to wake, as Linux insists): if `uaddr`
    /// still holds `cmpval`, its first waiter takes the PI word `uaddr2`
    /// if that is free, and up to `nr_requeue` more wait on `uaddr2`.
    /// Returns how many were woken or moved.
    pub(crate) fn cmp_requeue(
        &self,
        m: &Machine,
        uaddr: u64,
        uaddr2: u64,
        nr_requeue: u32,
        cmpval: u32,
    ) -> SysResult<u64> {
        let mem = &m.mem.user;
        let mut reg = self.registry();
        let (mut done, owner) = loop {
            if mem.load_u32(uaddr)? != cmpval {
                return Err(Errno::EAGAIN);
            }
            // The PI word is read (and so checked) whether or not anyone
            // waits, as Linux's futex_proxy_trylock_atomic does.
            mem.load_u32(uaddr2)?;
            let Some(top) = reg.conds.get(&uaddr).and_then(|q| q.front()).cloned() else {
                return Ok(0);
            };
            if top.target != Some(uaddr2) {
                return Err(Errno::EINVAL);
            }
            match lock_atomic(&reg, m, uaddr2, top.tid, nr_requeue > 0)? {
                Step::Retry => continue,
                Step::Wait(owner) => break (0u64, owner),
                Step::Acquired => {
                    pop_cond(&mut reg, uaddr);
                    grant(&mut reg, &top);
                    break (1, Some(top.tid));
                }
            }
        };
        // Linux moves up to nr_requeue besides the one it wakes (or
        // would have woken, had the PI word been free).
        while done <= u64::from(nr_requeue) {
            let Some(w) = reg.conds.get(&uaddr).and_then(|q| q.front()).cloned() else { break };
            if w.target != Some(uaddr2) {
                return Err(Errno::EINVAL);
            }
            // A deadlock leaves the waiter where it is, for user space
            // to sort out.
            check_deadlock(&reg, owner, w.tid)?;
            pop_cond(&mut reg, uaddr);
            let lock = reg.locks.entry(uaddr2).or_insert_with(|| PiLock { owner, waiters: VecDeque::new() });
            lock.waiters.push_back(w.clone());
            reg.blocked_on.insert(w.tid, uaddr2);
            // It sleeps on until the lock is handed over: no wake-up.
            w.state.store(REQUEUED, Ordering::Release);
            done = done.saturating_add(1);
        }
        Ok(done)
    }

    /// The futexes of a task that exits (or execs: `exiting` false):
    /// walks its robust list, then hands each PI lock it still owns to
    /// the lock's first waiter with FUTEX_OWNER_DIED (Linux's
    /// `exit_pi_state_list`).
    pub(crate) fn release(&self, m: &Machine, task: &TaskShared, exiting: bool) {
        let tid = task.tid;
        let (head, _) = *task.robust_list.lock().unwrap_or_else(|e| e.into_inner());
        let mut reg = self.registry();
        if exiting {
            task.set_futex_dead();
        }
        super::robust::walk(&m.mem.user, head, tid);
        let owned: Vec<u64> = reg.locks.iter().filter(|(_, l)| l.owner == Some(tid)).map(|(&a, _)| a).collect();
        for uaddr in owned {
            let Some(lock) = reg.locks.get(&uaddr) else { continue };
            let next = lock.waiters.front().expect("a PI lock in the registry has waiters").clone();
            let new = FUTEX_WAITERS | FUTEX_OWNER_DIED | next.tid as u32;
            let mem = &m.mem.user;
            // The word may change under us (user space sees no owner):
            // retry until the new owner is in it. Memory that is gone
            // leaves only the kernel's record.
            while let Ok(val) = mem.load_u32(uaddr) {
                match mem.cmpxchg_u32(uaddr, val, new) {
                    Ok(found) if found != val => continue,
                    _ => break,
                }
            }
            hand_over(&mut reg, uaddr, &next);
        }
    }
}

/// `next` (the first waiter of `uaddr`, whose tid the word now holds)
/// becomes the owner.
fn hand_over(reg: &mut Registry, uaddr: u64, next: &Arc<Waiter>) {
    if let Some(lock) = reg.locks.get_mut(&uaddr) {
        lock.waiters.pop_front();
        lock.owner = Some(next.tid);
        if lock.waiters.is_empty() {
            reg.locks.remove(&uaddr);
        }
    }
    grant(reg, next);
}

fn pop_cond(reg: &mut Registry, uaddr: u64) {
    if let Some(q) = reg.conds.get_mut(&uaddr) {
        q.pop_front();
        if q.is_empty() {
            reg.conds.remove(&uaddr);
        }
    }
}

/// Linux's `futex_lock_pi_atomic`: one look at the word on behalf of
/// `tid`; `set_waiters` (a requeue with more to move) marks a word taken
/// for `tid` as contended.
fn lock_atomic(reg: &Registry, m: &Machine, uaddr: u64, tid: i32, set_waiters: bool) -> SysResult<Step> {
    let mem = &m.mem.user;
    let val = mem.load_u32(uaddr)?;
    let pid = val & FUTEX_TID_MASK;
    if pid == tid as u32 {
        return Err(Errno::EDEADLK);
    }
    // Waiters already: the word must agree with the kernel's owner.
    if let Some(lock) = reg.locks.get(&uaddr) {
        return attach_to_lock(lock, val).map(|()| Step::Wait(lock.owner));
    }
    if pid == 0 {
        // Free (maybe with OWNER_DIED, which the new owner keeps).
        let mut new = (val & FUTEX_OWNER_DIED) | tid as u32;
        if set_waiters {
            new |= FUTEX_WAITERS;
        }
        return Ok(if mem.cmpxchg_u32(uaddr, val, new)? == val { Step::Acquired } else { Step::Retry });
    }
    // The first waiter: mark the word contended, then find its owner.
    let contended = val | FUTEX_WAITERS;
    if contended != val && mem.cmpxchg_u32(uaddr, val, contended)? != val {
        return Ok(Step::Retry);
    }
    if alive(m, pid) {
        return Ok(Step::Wait(Some(pid as i32)));
    }
    // No such thread. If it was exiting, its robust-list walk may have
    // changed the word meanwhile: look again; else the word is bogus.
    if mem.load_u32(uaddr)? != contended {
        return Ok(Step::Retry);
    }
    Err(Errno::ESRCH)
}

/// Linux's `attach_to_pi_state`: EINVAL when the word and the kernel's
/// record of the owner disagree (user space changed the word).
fn attach_to_lock(lock: &PiLock, val: u32) -> SysResult<()> {
    let pid = val & FUTEX_TID_MASK;
    if val & FUTEX_OWNER_DIED != 0 {
        match lock.owner {
            None if pid != 0 => return Err(Errno::EINVAL),
            None => return Ok(()),
            Some(_) if pid == 0 => return Ok(()),
            Some(_) => {}
        }
    } else if lock.owner.is_none() {
        return Err(Errno::EINVAL);
    }
    if lock.owner != Some(pid as i32) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// EDEADLK when `tid` waiting behind `owner` would close a circle of
/// tasks each waiting for a lock the next one owns.
fn check_deadlock(reg: &Registry, owner: Option<i32>, tid: i32) -> SysResult<()> {
    let mut cur = owner;
    for _ in 0..MAX_LOCK_DEPTH {
        let Some(o) = cur else { return Ok(()) };
        if o == tid {
            return Err(Errno::EDEADLK);
        }
        let Some(addr) = reg.blocked_on.get(&o) else { return Ok(()) };
        cur = reg.locks.get(addr).and_then(|l| l.owner);
    }
    Err(Errno::EDEADLK)
}
