//! futex(2): guest futex words are arena addresses, which are host
//! addresses, so the host kernel does the waiting and waking. Waits go
//! through the interruptible stub so guest signals and exit_group end them.

use super::args::{FutexOp, Opaque, UserPtr};
use super::futex_pi;
use super::SyscallCtx;
use crate::abi::futex::*;
use crate::abi::time::CLOCK_MONOTONIC;
use crate::arch::host;
use crate::errno::{Errno, SysResult};

/// Sleeps on `uaddr` while it holds `val`, until `deadline` (absolute, on
/// `clock`) if given. Implemented as FUTEX_WAIT_BITSET with an absolute
/// time, so retries after spurious kicks do not stretch the timeout.
fn wait(
    ctx: &mut SyscallCtx<'_>,
    uaddr: u64,
    val: u32,
    flags: u32,
    bitset: u32,
    deadline: Option<(i64, i64)>,
) -> SysResult {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let ts = deadline.map(|(s, ns)| libc::timespec { tv_sec: s, tv_nsec: ns });
    let op = FUTEX_WAIT_BITSET | (flags & (FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME));
    let restart = if deadline.is_some() { Errno::ERESTARTNOHAND } else { Errno::ERESTARTSYS };
    // A word inside a fixed image (a static lock: Python's GIL) is compared
    // by the host at the wait's start, in whichever copy the range shows
    // then. A timed wait lets the range go anyway: a wrong compare is a
    // spurious EAGAIN or a wait its timeout ends (and wakes from this
    // process still find it: a private futex is keyed by its address). An
    // untimed one keeps the range (`block_parked`).
    let touches: &[(u64, u64)] = if deadline.is_some() { &[] } else { &[(uaddr, 4)] };
    ctx.block_parked(restart, touches, |ctx| ctx.user().host_futex(uaddr, op, val, ts.as_ref(), bitset))
        .map(|n| n as u64)
}

/// `utime` is a timeout for the waits and a count (val2, its low 32 bits)
/// for the requeues and FUTEX_WAKE_OP.
pub(crate) fn sys_futex(
    ctx: &mut SyscallCtx<'_>,
    uaddr: UserPtr<Opaque>,
    op: FutexOp,
    val: u32,
    utime: UserPtr<Opaque>,
    uaddr2: UserPtr<Opaque>,
    val3: u32,
) -> SysResult {
    let (uaddr, op, utime, uaddr2) = (uaddr.addr(), op.0, utime.addr(), uaddr2.addr());
    let cmd = op & FUTEX_CMD_MASK;
    let flags = op & !FUTEX_CMD_MASK;
    // Only the waits with an absolute timeout choose their clock (FUTEX_WAIT's
    // is relative): checked before the address, as Linux does.
    if flags & FUTEX_CLOCK_REALTIME != 0 && !matches!(cmd, FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI | FUTEX_LOCK_PI2) {
        return Err(Errno::ENOSYS);
    }
    // FUTEX_UNLOCK_PI reads the word and checks its owner first.
    if uaddr % 4 != 0 && cmd != FUTEX_UNLOCK_PI {
        return Err(Errno::EINVAL);
    }
    let private = flags & FUTEX_PRIVATE_FLAG;
    match cmd {
        FUTEX_WAIT => {
            // A relative timeout, always on CLOCK_MONOTONIC.
            let deadline = if utime != 0 {
                let (s, ns) = ctx.read_timespec(utime)?;
                let (now_s, now_ns) = host::clock_gettime(CLOCK_MONOTONIC)?;
                let total = now_ns + ns;
                // A huge timeout is "forever"; do not overflow.
                now_s
                    .checked_add(s)
                    .and_then(|t| t.checked_add(total / 1_000_000_000))
                    .map(|sec| (sec, total % 1_000_000_000))
            } else {
                None
            };
            wait(ctx, uaddr, val, private, FUTEX_BITSET_MATCH_ANY, deadline)
        }
        FUTEX_WAIT_BITSET => {
            let deadline = if utime != 0 { Some(ctx.read_timespec(utime)?) } else { None };
            wait(ctx, uaddr, val, flags, val3, deadline)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let (op, bitset) = if cmd == FUTEX_WAKE { (FUTEX_WAKE, 0) } else { (FUTEX_WAKE_BITSET, val3) };
            if cmd == FUTEX_WAKE_BITSET && bitset == 0 {
                return Err(Errno::EINVAL);
            }
            // A wake only uses the address as a key; the host checks it.
            Ok(ctx.user().host_futex_wake(uaddr, op | private, val, bitset)? as u64)
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE | FUTEX_WAKE_OP => {
            // The fourth argument is a count (val2), not a pointer.
            let n = ctx.user().host_futex_val2(uaddr, cmd | private, val, utime as u32, uaddr2, val3)?;
            Ok(n as u64)
        }
        // Priority inheritance: the words hold guest tids, which the host
        // would take for its own; the kernel serves them.
        FUTEX_LOCK_PI | FUTEX_LOCK_PI2 => futex_pi::lock(ctx, uaddr, cmd, flags, utime),
        FUTEX_TRYLOCK_PI => futex_pi::trylock(ctx, uaddr),
        FUTEX_UNLOCK_PI => futex_pi::unlock(ctx, uaddr),
        FUTEX_WAIT_REQUEUE_PI => futex_pi::wait_requeue(ctx, uaddr, val, utime, uaddr2, flags),
        FUTEX_CMP_REQUEUE_PI => futex_pi::cmp_requeue(ctx, uaddr, val, utime as u32, uaddr2, val3, flags),
        _ => Err(Errno::ENOSYS),
    }
}

// Argument errors through the table, as a guest meets them (what Linux
// answers was checked natively). Every wait finds a value other than the
// expected one, so nothing sleeps.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::names::number as nr;
    use crate::abi::types::Timespec;
    use crate::syscall::testkit::TestMachine;
    use vm_memory::ByteValued;

    /// Two futex words holding 1, and a timespec after them.
    fn words(t: &TestMachine, tv_sec: i64, tv_nsec: i64) -> (u64, u64) {
        let w = t.put(0, &[1u32.to_le_bytes(), 1u32.to_le_bytes()].concat());
        let ts = t.put(0x10, Timespec { tv_sec, tv_nsec }.as_slice());
        (w, ts)
    }

    #[test]
    fn futex_argument_errors() {
        let mut t = TestMachine::new();
        let bad = t.bad_ptr();
        let (w, late) = words(&t, 0, 1_000_000_000);
        let negative = t.put(0x20, Timespec { tv_sec: -1, tv_nsec: 0 }.as_slice());
        let any = u64::from(FUTEX_BITSET_MATCH_ANY);
        for private in [0, u64::from(FUTEX_PRIVATE_FLAG)] {
            let (wait, wake) = (u64::from(FUTEX_WAIT) | private, u64::from(FUTEX_WAKE) | private);
            let (wait_bitset, wake_bitset) =
                (u64::from(FUTEX_WAIT_BITSET) | private, u64::from(FUTEX_WAKE_BITSET) | private);
            assert_eq!(t.errno(nr("futex"), &[w + 1, wait, 0, 0, 0, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("futex"), &[w + 2, wake, 1, 0, 0, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("futex"), &[bad, wait, 0, 0, 0, 0]), Errno::EFAULT);
            assert_eq!(t.errno(nr("futex"), &[w, wait, 0, 0, 0, 0]), Errno::EAGAIN);
            assert_eq!(t.errno(nr("futex"), &[w, wait_bitset, 0, 0, 0, any]), Errno::EAGAIN);
            // The timeout is read (and checked) before the word.
            assert_eq!(t.errno(nr("futex"), &[w, wait, 0, bad, 0, 0]), Errno::EFAULT);
            assert_eq!(t.errno(nr("futex"), &[w, wait, 0, late, 0, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("futex"), &[w, wait, 0, negative, 0, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("futex"), &[w, wait_bitset, 0, late, 0, any]), Errno::EINVAL);
            assert_eq!(t.errno(nr("futex"), &[w, wait_bitset, 0, 0, 0, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("futex"), &[w, wake_bitset, 1, 0, 0, 0]), Errno::EINVAL);
            // Past the last operation.
            for op in [u64::from(FUTEX_LOCK_PI2) + 1, 99] {
                assert_eq!(t.errno(nr("futex"), &[w, op | private, 0, 0, 0, 0]), Errno::ENOSYS, "op {op}");
            }
            let realtime = u64::from(FUTEX_CLOCK_REALTIME);
            assert_eq!(t.errno(nr("futex"), &[w, wake | realtime, 1, 0, 0, 0]), Errno::ENOSYS);
            // FUTEX_WAIT's timeout is relative: it takes no clock. The clock
            // is checked before the address.
            assert_eq!(t.errno(nr("futex"), &[w, wait | realtime, 1, 0, 0, 0]), Errno::ENOSYS);
            assert_eq!(t.errno(nr("futex"), &[w + 1, wait | realtime, 1, 0, 0, 0]), Errno::ENOSYS);
            assert_eq!(t.errno(nr("futex"), &[bad, wake | realtime, 1, 0, 0, 0]), Errno::ENOSYS);
            assert_eq!(t.errno(nr("futex"), &[w, wait_bitset | realtime, 0, 0, 0, any]), Errno::EAGAIN);
            // Requeues: the expected value, the second word.
            let (requeue, cmp_requeue, wake_op) = (
                u64::from(FUTEX_REQUEUE) | private,
                u64::from(FUTEX_CMP_REQUEUE) | private,
                u64::from(FUTEX_WAKE_OP) | private,
            );
            assert_eq!(t.errno(nr("futex"), &[w, cmp_requeue, 1, 1, w + 4, 0]), Errno::EAGAIN);
            assert_eq!(t.errno(nr("futex"), &[w, requeue, 1, 1, w + 5, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("futex"), &[w, wake_op, 1, 1, bad, 0]), Errno::EFAULT);
            // op is an int: the upper half is ignored.
            assert_eq!(t.value(nr("futex"), &[w, 1 << 32 | wake, 1, 0, 0, 0]), Ok(0));
        }
        // A shared futex's key needs the page; a private one only the address.
        let wake = u64::from(FUTEX_WAKE);
        assert_eq!(t.errno(nr("futex"), &[bad, wake, 1, 0, 0, 0]), Errno::EFAULT);
        assert_eq!(t.value(nr("futex"), &[bad, wake | u64::from(FUTEX_PRIVATE_FLAG), 1, 0, 0, 0]), Ok(0));
        let requeue = u64::from(FUTEX_REQUEUE);
        assert_eq!(t.errno(nr("futex"), &[w, requeue, 1, 1, bad, 0]), Errno::EFAULT);
    }
}
