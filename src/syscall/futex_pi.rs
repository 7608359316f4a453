//! futex(2)'s priority-inheritance operations: LOCK_PI, LOCK_PI2,
//! TRYLOCK_PI, UNLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI. Their words
//! hold guest tids, which the host kernel would take for its own, so the
//! kernel serves them (`kernel::pifutex`). Waits go through
//! `SyscallCtx::block`: a guest signal or exit_group ends them, and
//! LOCK_PI restarts after a handler (Linux's ERESTARTNOINTR), never EINTR.

use super::SyscallCtx;
use crate::abi::futex::{FUTEX_CLOCK_REALTIME, FUTEX_LOCK_PI, FUTEX_PRIVATE_FLAG};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::kernel::pifutex::{Left, Waiter};

/// An absolute timeout, if one was given.
fn deadline(ctx: &SyscallCtx<'_>, utime: u64) -> SysResult<Option<(i64, i64)>> {
    if utime == 0 {
        return Ok(None);
    }
    ctx.read_timespec(utime).map(Some)
}

/// Sleeps until the lock is handed to `w`, the deadline passes
/// (ETIMEDOUT), or a signal is pending (ERESTARTNOINTR).
fn sleep(ctx: &mut SyscallCtx<'_>, w: &Waiter, deadline: Option<(i64, i64)>, realtime: bool) -> SysResult<()> {
    ctx.block(Errno::ERESTARTNOINTR, |_| loop {
        let Some(seen) = w.pending() else { return Ok(()) };
        host::futex_wait_until_interruptible(w.word(), seen, deadline, realtime).map_err(Errno::from)?;
    })
}

/// A shared futex's key needs its page (Linux's get_futex_key); a
/// private one only the address.
fn check_key(ctx: &SyscallCtx<'_>, uaddr: u64, flags: u32) -> SysResult<()> {
    if uaddr & 3 != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & FUTEX_PRIVATE_FLAG == 0 {
        ctx.user().load_u32(uaddr)?;
    }
    Ok(())
}

/// FUTEX_LOCK_PI (its timeout is on CLOCK_REALTIME) and FUTEX_LOCK_PI2
/// (on CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME).
pub(super) fn lock(ctx: &mut SyscallCtx<'_>, uaddr: u64, cmd: u32, flags: u32, utime: u64) -> SysResult {
    let deadline = deadline(ctx, utime)?;
    let realtime = cmd == FUTEX_LOCK_PI || flags & FUTEX_CLOCK_REALTIME != 0;
    let Some(w) = ctx.m.pi_futexes.lock(ctx.m, uaddr, ctx.task.tid, false)? else {
        return Ok(0);
    };
    let Err(e) = sleep(ctx, &w, deadline, realtime) else {
        return Ok(0);
    };
    match ctx.m.pi_futexes.leave(&w, uaddr) {
        // Handed over just as the wait ended: the lock is ours.
        Left::Granted => Ok(0),
        _ => Err(e),
    }
}

/// FUTEX_TRYLOCK_PI: the lock if it is free, else EAGAIN.
pub(super) fn trylock(ctx: &mut SyscallCtx<'_>, uaddr: u64) -> SysResult {
    ctx.m.pi_futexes.lock(ctx.m, uaddr, ctx.task.tid, true).map(|_| 0)
}

/// FUTEX_UNLOCK_PI: EPERM unless the caller owns the word.
pub(super) fn unlock(ctx: &mut SyscallCtx<'_>, uaddr: u64) -> SysResult {
    ctx.m.pi_futexes.unlock(ctx.user(), uaddr, ctx.task.tid).map(|()| 0)
}

/// FUTEX_WAIT_REQUEUE_PI: waits on the condition word `uaddr` (while it
/// holds `val`) until a CMP_REQUEUE_PI moves the caller to the PI word
/// `uaddr2` and it gets that lock. The timeout is absolute, on
/// CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME.
pub(super) fn wait_requeue(
    ctx: &mut SyscallCtx<'_>,
    uaddr: u64,
    val: u32,
    utime: u64,
    uaddr2: u64,
    flags: u32,
) -> SysResult {
    let deadline = deadline(ctx, utime)?;
    if uaddr == uaddr2 {
        return Err(Errno::EINVAL);
    }
    check_key(ctx, uaddr2, flags)?;
    let w = ctx.m.pi_futexes.wait_requeue(ctx.user(), uaddr, val, uaddr2, ctx.task.tid)?;
    let Err(e) = sleep(ctx, &w, deadline, flags & FUTEX_CLOCK_REALTIME != 0) else {
        return Ok(0);
    };
    match (ctx.m.pi_futexes.leave(&w, uaddr), e) {
        (Left::Granted, _) => Ok(0),
        (_, Errno::ETIMEDOUT) => Err(Errno::ETIMEDOUT),
        // Woken by a signal before the requeue: restart the wait.
        (Left::Cond, e) => Err(e),
        // After it: the condition has moved on, so a restart would find
        // another value; Linux says EAGAIN at once.
        (Left::Lock, _) => Err(Errno::EAGAIN),
    }
}

/// FUTEX_CMP_REQUEUE_PI: `nr_wake` must be 1; `nr_requeue` is val2.
pub(super) fn cmp_requeue(
    ctx: &mut SyscallCtx<'_>,
    uaddr: u64,
    nr_wake: u32,
    nr_requeue: u32,
    uaddr2: u64,
    cmpval: u32,
    flags: u32,
) -> SysResult {
    // Both counts are ints.
    if (nr_wake as i32) < 0 || (nr_requeue as i32) < 0 || uaddr == uaddr2 || nr_wake != 1 {
        return Err(Errno::EINVAL);
    }
    check_key(ctx, uaddr, flags)?;
    check_key(ctx, uaddr2, flags)?;
    ctx.m.pi_futexes.cmp_requeue(ctx.m, uaddr, uaddr2, nr_requeue, cmpval)
}

// Argument errors through the table, as a guest meets them (Linux's
// answers were checked natively: guest-tests/src/thr_pi.c). Nothing here
// sleeps but until a deadline already past.
#[cfg(test)]
mod tests {
    use crate::abi::futex::*;
    use crate::abi::types::Timespec;
    use crate::errno::Errno;
    use crate::kernel::task::TaskShared;
    use crate::syscall::testkit::TestMachine;
    use std::sync::Arc;
    use vm_memory::ByteValued;

    const FUTEX: u64 = crate::abi::names::number("futex");
    const PRIVATE: u64 = FUTEX_PRIVATE_FLAG as u64;
    /// A tid no task has.
    const NOBODY: u32 = 0x3fff_fff0;

    fn op(cmd: u32) -> u64 {
        u64::from(cmd)
    }

    fn set(t: &TestMachine, addr: u64, v: u32) {
        t.m.mem.user.write_val(addr, v).unwrap();
    }

    fn get(t: &TestMachine, addr: u64) -> u32 {
        t.m.mem.user.read_val(addr).unwrap()
    }

    /// Another live task, whose tid words can name.
    fn other_task(t: &TestMachine) -> Arc<TaskShared> {
        let other = Arc::new(TaskShared::new(t.task.tid + 100, 0));
        t.m.register_task(&other);
        other
    }

    #[test]
    fn lock_unlock_trylock() {
        let mut t = TestMachine::new();
        let me = t.task.tid as u32;
        let (w, bad) = (t.put(0, &0u32.to_le_bytes()), t.bad_ptr());
        for private in [0, PRIVATE] {
            let (lock, unlock, trylock) =
                (op(FUTEX_LOCK_PI) | private, op(FUTEX_UNLOCK_PI) | private, op(FUTEX_TRYLOCK_PI) | private);
            set(&t, w, 0);
            assert_eq!(t.value(FUTEX, &[w, lock]), Ok(0));
            assert_eq!(get(&t, w), me);
            assert_eq!(t.errno(FUTEX, &[w, lock]), Errno::EDEADLK);
            assert_eq!(t.errno(FUTEX, &[w, trylock]), Errno::EDEADLK);
            assert_eq!(t.value(FUTEX, &[w, unlock]), Ok(0));
            assert_eq!(get(&t, w), 0);
            assert_eq!(t.errno(FUTEX, &[w, unlock]), Errno::EPERM);
            assert_eq!(t.value(FUTEX, &[w, trylock]), Ok(0));
            // FUTEX_WAITERS with nobody waiting: the unlock frees it.
            set(&t, w, me | FUTEX_WAITERS);
            assert_eq!(t.value(FUTEX, &[w, unlock]), Ok(0));
            assert_eq!(get(&t, w), 0);
            // An owner that died leaves OWNER_DIED, which the next owner keeps.
            set(&t, w, FUTEX_OWNER_DIED);
            assert_eq!(t.value(FUTEX, &[w, lock]), Ok(0));
            assert_eq!(get(&t, w), me | FUTEX_OWNER_DIED);
            // No such thread: ESRCH, with FUTEX_WAITERS set on the way.
            set(&t, w, NOBODY);
            assert_eq!(t.errno(FUTEX, &[w, lock]), Errno::ESRCH);
            assert_eq!(get(&t, w), NOBODY | FUTEX_WAITERS);
            assert_eq!(t.errno(FUTEX, &[w, trylock]), Errno::ESRCH);
            // Addresses.
            assert_eq!(t.errno(FUTEX, &[w + 1, lock]), Errno::EINVAL);
            assert_eq!(t.errno(FUTEX, &[w + 2, trylock]), Errno::EINVAL);
            assert_eq!(t.errno(FUTEX, &[bad, lock]), Errno::EFAULT);
            assert_eq!(t.errno(FUTEX, &[bad, trylock]), Errno::EFAULT);
            assert_eq!(t.errno(FUTEX, &[bad, unlock]), Errno::EFAULT);
            // UNLOCK_PI reads the word and checks its owner first.
            set(&t, w, 0);
            assert_eq!(t.errno(FUTEX, &[w + 1, unlock]), Errno::EPERM);
        }
        // LOCK_PI's clock is CLOCK_REALTIME already.
        let realtime = u64::from(FUTEX_CLOCK_REALTIME);
        assert_eq!(t.errno(FUTEX, &[w, op(FUTEX_LOCK_PI) | realtime]), Errno::ENOSYS);
        assert_eq!(t.errno(FUTEX, &[w, op(FUTEX_TRYLOCK_PI) | realtime]), Errno::ENOSYS);
        assert_eq!(t.errno(FUTEX, &[w, op(FUTEX_UNLOCK_PI) | realtime]), Errno::ENOSYS);
    }

    #[test]
    fn owned_by_another_task() {
        let mut t = TestMachine::new();
        let other = other_task(&t);
        let w = t.put(0, &(other.tid as u32).to_le_bytes());
        let past = t.put(0x10, Timespec { tv_sec: 1, tv_nsec: 0 }.as_slice());
        let late = t.put(0x20, Timespec { tv_sec: 1, tv_nsec: 1_000_000_000 }.as_slice());
        let bad = t.bad_ptr();
        assert_eq!(t.errno(FUTEX, &[w, op(FUTEX_UNLOCK_PI)]), Errno::EPERM);
        assert_eq!(t.errno(FUTEX, &[w, op(FUTEX_TRYLOCK_PI)]), Errno::EAGAIN);
        assert_eq!(get(&t, w), other.tid as u32 | FUTEX_WAITERS);
        // Deadlines already past, on each clock.
        for cmd in [op(FUTEX_LOCK_PI), op(FUTEX_LOCK_PI2), op(FUTEX_LOCK_PI2) | u64::from(FUTEX_CLOCK_REALTIME)] {
            assert_eq!(t.errno(FUTEX, &[w, cmd | PRIVATE, 0, past]), Errno::ETIMEDOUT, "op {cmd:#x}");
            // The timeout is read (and checked) before the word.
            assert_eq!(t.errno(FUTEX, &[w, cmd, 0, late]), Errno::EINVAL);
            assert_eq!(t.errno(FUTEX, &[w, cmd, 0, bad]), Errno::EFAULT);
        }
        // The timed-out waiter left no state behind: the word is
        // consistent with a fresh look.
        assert_eq!(t.errno(FUTEX, &[w, op(FUTEX_TRYLOCK_PI)]), Errno::EAGAIN);
        // Once the owner has released its futexes on the way out, it owns
        // nothing: ESRCH.
        other.set_futex_dead();
        assert_eq!(t.errno(FUTEX, &[w, op(FUTEX_LOCK_PI), 0, past]), Errno::ESRCH);
        t.m.unregister_task(other.tid);
    }

    #[test]
    fn requeue_pi_argument_errors() {
        let mut t = TestMachine::new();
        let (cond, lock) = (t.put(0, &0u32.to_le_bytes()), t.put(4, &0u32.to_le_bytes()));
        let past = t.put(0x10, Timespec { tv_sec: 1, tv_nsec: 0 }.as_slice());
        let bad = t.bad_ptr();
        for private in [0, PRIVATE] {
            let (wait, cmp) = (op(FUTEX_WAIT_REQUEUE_PI) | private, op(FUTEX_CMP_REQUEUE_PI) | private);
            assert_eq!(t.errno(FUTEX, &[cond, wait, 0, 0, cond]), Errno::EINVAL);
            assert_eq!(t.errno(FUTEX, &[cond, wait, 0, 0, lock + 1]), Errno::EINVAL);
            assert_eq!(t.errno(FUTEX, &[cond, wait, 5, 0, lock]), Errno::EAGAIN);
            assert_eq!(t.errno(FUTEX, &[bad, wait, 0, 0, lock]), Errno::EFAULT);
            assert_eq!(t.errno(FUTEX, &[cond, wait, 0, past, lock]), Errno::ETIMEDOUT);
            let realtime = u64::from(FUTEX_CLOCK_REALTIME);
            assert_eq!(t.errno(FUTEX, &[cond, wait | realtime, 0, past, lock]), Errno::ETIMEDOUT);
            // One to wake, no fewer and no more; counts are ints.
            assert_eq!(t.errno(FUTEX, &[cond, cmp, 1, 1, cond, 0]), Errno::EINVAL);
            assert_eq!(t.errno(FUTEX, &[cond, cmp, 2, 1, lock, 0]), Errno::EINVAL);
            assert_eq!(t.errno(FUTEX, &[cond, cmp, 0, 1, lock, 0]), Errno::EINVAL);
            assert_eq!(t.errno(FUTEX, &[cond, cmp, 1, 0xffff_ffff, lock, 0]), Errno::EINVAL);
            assert_eq!(t.errno(FUTEX, &[cond, cmp, 1, 1, lock, 7]), Errno::EAGAIN);
            assert_eq!(t.errno(FUTEX, &[cond, cmp, 1, 1, lock + 2, 0]), Errno::EINVAL);
            assert_eq!(t.errno(FUTEX, &[cond, cmp, 1, 1, bad, 0]), Errno::EFAULT);
            assert_eq!(t.value(FUTEX, &[cond, cmp, 1, 1, lock, 0]), Ok(0));
            // The count's register is an int too: the upper half is ignored.
            assert_eq!(t.value(FUTEX, &[cond, cmp, 1, 1 << 32 | 1, lock, 0]), Ok(0));
        }
        assert_eq!(
            t.errno(FUTEX, &[cond, op(FUTEX_CMP_REQUEUE_PI) | u64::from(FUTEX_CLOCK_REALTIME), 1, 1, lock]),
            Errno::ENOSYS
        );
    }

    /// A dying thread's robust list: a PI entry it owns gets OWNER_DIED
    /// (with FUTEX_WAITERS kept), one it does not own is left alone.
    #[test]
    fn exit_marks_robust_pi_words() {
        let t = TestMachine::new();
        let me = t.task.tid as u32;
        // head at 0x100 -> entry A (PI) at 0x200 -> entry B at 0x300 -> head;
        // each word 8 bytes after its entry.
        let (head, a, b) = (t.scratch + 0x100, t.scratch + 0x200, t.scratch + 0x300);
        t.m.mem.user.write_val(head, RobustListHead { list: a | 1, futex_offset: 8, list_op_pending: 0 }).unwrap();
        t.m.mem.user.write_val(a, b).unwrap();
        t.m.mem.user.write_val(b, head).unwrap();
        set(&t, a + 8, me | FUTEX_WAITERS);
        set(&t, b + 8, NOBODY);
        *t.task.shared.robust_list.lock().unwrap() = (head, 24);
        t.m.pi_futexes.release(&t.m, &t.task.shared, true);
        assert_eq!(get(&t, a + 8), FUTEX_WAITERS | FUTEX_OWNER_DIED);
        assert_eq!(get(&t, b + 8), NOBODY);
        assert!(t.task.shared.futex_dead());
    }
}
