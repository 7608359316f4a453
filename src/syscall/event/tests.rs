//! Argument errors of epoll, eventfd, timerfd and signalfd through the
//! table, as a guest meets them (what Linux answers was checked natively),
//! and the pure checks. Every wait has a zero timeout.

use super::fds::{check_settime, eventfd_flags, timerfd_args};
use super::*;
use crate::abi::event::*;
use crate::abi::types::Timespec;
use crate::syscall::args::SyscallArg;
use crate::syscall::testkit::{TestMachine, NEG};

const READ: u64 = crate::abi::names::number("read");
const WRITE: u64 = crate::abi::names::number("write");
const POLL: u64 = crate::abi::names::number("poll");
const SIGPROCMASK: u64 = crate::abi::names::number("rt_sigprocmask");
const GETPID: u64 = crate::abi::names::number("getpid");
const KILL: u64 = crate::abi::names::number("kill");
const EPOLL_CREATE: u64 = crate::abi::names::number("epoll_create");
const EPOLL_WAIT: u64 = crate::abi::names::number("epoll_wait");
const EPOLL_CTL: u64 = crate::abi::names::number("epoll_ctl");
const OPENAT: u64 = crate::abi::names::number("openat");
const EPOLL_PWAIT: u64 = crate::abi::names::number("epoll_pwait");
const SIGNALFD: u64 = crate::abi::names::number("signalfd");
const TIMERFD_CREATE: u64 = crate::abi::names::number("timerfd_create");
const EVENTFD: u64 = crate::abi::names::number("eventfd");
const TIMERFD_SETTIME: u64 = crate::abi::names::number("timerfd_settime");
const TIMERFD_GETTIME: u64 = crate::abi::names::number("timerfd_gettime");
const SIGNALFD4: u64 = crate::abi::names::number("signalfd4");
const EVENTFD2: u64 = crate::abi::names::number("eventfd2");
const EPOLL_CREATE1: u64 = crate::abi::names::number("epoll_create1");
const EPOLL_PWAIT2: u64 = crate::abi::names::number("epoll_pwait2");

const ADD: u64 = EPOLL_CTL_ADD as u64;
const DEL: u64 = EPOLL_CTL_DEL as u64;
const MOD: u64 = EPOLL_CTL_MOD as u64;

fn event(t: &TestMachine, offset: u64, events: u32, data: u64) -> u64 {
    t.put(offset, &[events.to_le_bytes().as_slice(), &data.to_le_bytes()].concat())
}

fn pipe(t: &mut TestMachine) -> (u64, u64) {
    t.pipe(0x900)
}

#[test]
fn pure_checks() {
    assert_eq!(epoll_create1_cloexec(IntFlags(0)), Ok(false));
    assert_eq!(epoll_create1_cloexec(IntFlags(EPOLL_CLOEXEC as u32)), Ok(true));
    assert_eq!(epoll_create1_cloexec(IntFlags(1)), Err(Errno::EINVAL));
    // An int: the upper half of its register is ignored.
    assert_eq!(epoll_create1_cloexec(IntFlags::from_reg(1 << 32)), Ok(false));
    assert_eq!(check_events(0x1000, 0), Err(Errno::EINVAL));
    assert_eq!(check_events(0x1000, -1), Err(Errno::EINVAL));
    assert_eq!(check_events(0x1000, EP_MAX_EVENTS), Ok(EP_MAX_EVENTS as usize));
    assert_eq!(check_events(0x1000, EP_MAX_EVENTS + 1), Err(Errno::EINVAL));
    assert_eq!(check_events(TASK_SIZE - 12, 2), Err(Errno::EFAULT));
    assert_eq!(check_events(u64::MAX - 4, 1), Err(Errno::EFAULT));
    // A bad address inside user space is found only when events are copied.
    assert_eq!(check_events(16, 1), Ok(1));
    assert_eq!(host_timeout_ms(None), -1);
    assert_eq!(host_timeout_ms(Some(Duration::ZERO)), 0);
    assert_eq!(host_timeout_ms(Some(Duration::from_nanos(1))), 1);
    assert_eq!(host_timeout_ms(Some(Duration::from_secs(u64::MAX))), i32::MAX);
    assert_eq!(eventfd_flags(IntFlags((EFD_SEMAPHORE | EFD_CLOEXEC) as u32)), Ok((EFD_SEMAPHORE, true)));
    assert_eq!(eventfd_flags(IntFlags(2)), Err(Errno::EINVAL));
    assert_eq!(timerfd_args(1, IntFlags(TFD_NONBLOCK as u32)), Ok((TFD_NONBLOCK, false)));
    assert_eq!(timerfd_args(2, IntFlags(0)), Err(Errno::EINVAL)); // a CPU-time clock
    assert_eq!(timerfd_args(1, IntFlags(EFD_SEMAPHORE as u32)), Err(Errno::EINVAL));
    let ts = |s, ns| Timespec { tv_sec: s, tv_nsec: ns };
    let spec = |v| Itimerspec { it_interval: ts(0, 0), it_value: v };
    assert_eq!(check_settime(IntFlags(3), &spec(ts(1, 0))), Ok(3));
    assert_eq!(check_settime(IntFlags(4), &spec(ts(1, 0))), Err(Errno::EINVAL));
    assert_eq!(check_settime(IntFlags(0), &spec(ts(-1, 0))), Err(Errno::EINVAL));
    assert_eq!(check_settime(IntFlags(0), &spec(ts(0, 1_000_000_000))), Err(Errno::EINVAL));
}

#[test]
fn epoll_create_and_ctl() {
    let mut t = TestMachine::new();
    let bad = t.bad_ptr();
    assert_eq!(t.errno(EPOLL_CREATE, &[0]), Errno::EINVAL);
    assert_eq!(t.errno(EPOLL_CREATE, &[NEG]), Errno::EINVAL);
    assert_eq!(t.errno(EPOLL_CREATE, &[1 << 32]), Errno::EINVAL); // an int: 0
    assert_eq!(t.errno(EPOLL_CREATE1, &[1]), Errno::EINVAL);
    let ep = t.value(EPOLL_CREATE1, &[EPOLL_CLOEXEC as u64]).unwrap();
    let ep2 = t.value(EPOLL_CREATE, &[1]).unwrap();
    let (r, w) = pipe(&mut t);
    let ev = event(&t, 0, EPOLLIN, 0x1234_5678_9abc_def0);
    assert_eq!(t.errno(EPOLL_CTL, &[ep, ADD, r, bad]), Errno::EFAULT);
    // The event is read before the descriptors are looked at.
    assert_eq!(t.errno(EPOLL_CTL, &[999, ADD, r, bad]), Errno::EFAULT);
    assert_eq!(t.errno(EPOLL_CTL, &[999, ADD, r, ev]), Errno::EBADF);
    assert_eq!(t.errno(EPOLL_CTL, &[ep, ADD, 999, ev]), Errno::EBADF);
    assert_eq!(t.errno(EPOLL_CTL, &[r, ADD, w, ev]), Errno::EINVAL); // not an epoll
    assert_eq!(t.errno(EPOLL_CTL, &[ep, ADD, ep, ev]), Errno::EINVAL); // itself
    assert_eq!(t.errno(EPOLL_CTL, &[ep, 99, r, ev]), Errno::EINVAL);
    assert_eq!(t.errno(EPOLL_CTL, &[ep, DEL, r, bad]), Errno::ENOENT);
    assert_eq!(t.errno(EPOLL_CTL, &[ep, MOD, r, ev]), Errno::ENOENT);
    assert_eq!(t.value(EPOLL_CTL, &[ep, ADD, r, ev]), Ok(0));
    assert_eq!(t.errno(EPOLL_CTL, &[ep, ADD, r, ev]), Errno::EEXIST);
    assert_eq!(t.value(EPOLL_CTL, &[ep, MOD, r, ev]), Ok(0));
    assert_eq!(t.value(EPOLL_CTL, &[ep, DEL, r, 0]), Ok(0));
    // A generated file cannot be polled (like a regular file).
    let path = t.cstr(0x100, "/proc/self/status");
    let status = t.value(OPENAT, &[crate::abi::fcntl::AT_FDCWD as u64, path, 0, 0]).unwrap();
    assert_eq!(t.errno(EPOLL_CTL, &[ep, ADD, status, ev]), Errno::EPERM);
    assert_eq!(t.errno(EPOLL_CTL, &[status, ADD, r, ev]), Errno::EINVAL);
    // Epolls nest; loops are refused.
    assert_eq!(t.value(EPOLL_CTL, &[ep, ADD, ep2, ev]), Ok(0));
    assert_eq!(t.errno(EPOLL_CTL, &[ep2, ADD, ep, ev]), Errno::ELOOP);
}

#[test]
fn epoll_wait_checks_and_keeps_data() {
    let mut t = TestMachine::new();
    let (s, bad) = (t.scratch, t.bad_ptr());
    let out = s + 0x200;
    let ep = t.value(EPOLL_CREATE1, &[0]).unwrap();
    let efd = t.value(EVENTFD, &[1]).unwrap();
    assert_eq!(t.errno(EPOLL_WAIT, &[ep, out, 0, 0]), Errno::EINVAL);
    assert_eq!(t.errno(EPOLL_WAIT, &[ep, out, NEG, 0]), Errno::EINVAL);
    assert_eq!(t.errno(EPOLL_WAIT, &[ep, TASK_SIZE - 4, 1, 0]), Errno::EFAULT);
    assert_eq!(t.errno(EPOLL_WAIT, &[999, out, 1, 0]), Errno::EBADF);
    assert_eq!(t.errno(EPOLL_WAIT, &[efd, out, 1, 0]), Errno::EINVAL);
    assert_eq!(t.value(EPOLL_WAIT, &[ep, out, 4, 0]), Ok(0));
    // Nothing to copy: a bad buffer is not looked at.
    assert_eq!(t.value(EPOLL_WAIT, &[ep, bad, 4, 0]), Ok(0));
    let ev = event(&t, 0, EPOLLIN | EPOLLOUT, u64::MAX - 1);
    assert_eq!(t.value(EPOLL_CTL, &[ep, ADD, efd, ev]), Ok(0));
    assert_eq!(t.errno(EPOLL_WAIT, &[ep, bad, 4, 0]), Errno::EFAULT);
    assert_eq!(t.value(EPOLL_WAIT, &[ep, out, 4, 0]), Ok(1));
    let got: EpollEvent = t.m.mem.user.read_val(out).unwrap();
    assert_eq!({ got.events }, EPOLLIN | EPOLLOUT);
    assert_eq!({ got.data }, u64::MAX - 1);
    // epoll_pwait: the mask's size, then the mask.
    let mask = t.put(0x300, &0u64.to_le_bytes());
    assert_eq!(t.errno(EPOLL_PWAIT, &[ep, out, 4, 0, mask, 4]), Errno::EINVAL);
    assert_eq!(t.errno(EPOLL_PWAIT, &[ep, out, 4, 0, bad, 8]), Errno::EFAULT);
    assert_eq!(t.errno(EPOLL_PWAIT, &[ep, out, 0, 0, mask, 4]), Errno::EINVAL);
    assert_eq!(t.value(EPOLL_PWAIT, &[ep, out, 4, 0, mask, 8]), Ok(1));
    assert_eq!(t.value(EPOLL_PWAIT, &[ep, out, 4, 0, 0, 4]), Ok(1));
    // epoll_pwait2: the timeout, then the mask.
    let zero = t.put(0x400, &[0u8; 16]);
    let late = t.put(0x410, &[0i64.to_le_bytes(), 1_000_000_000i64.to_le_bytes()].concat());
    assert_eq!(t.errno(EPOLL_PWAIT2, &[ep, out, 4, bad, 0, 8]), Errno::EFAULT);
    assert_eq!(t.errno(EPOLL_PWAIT2, &[ep, out, 4, late, 0, 8]), Errno::EINVAL);
    assert_eq!(t.errno(EPOLL_PWAIT2, &[ep, out, 4, zero, mask, 7]), Errno::EINVAL);
    assert_eq!(t.value(EPOLL_PWAIT2, &[ep, out, 4, zero, mask, 8]), Ok(1));
    // The temporary mask is gone again.
    assert_eq!(t.task.sigmask(), 0);
}

#[test]
fn eventfd_and_timerfd() {
    let mut t = TestMachine::new();
    let (s, bad) = (t.scratch, t.bad_ptr());
    assert_eq!(t.errno(EVENTFD2, &[0, 2]), Errno::EINVAL);
    let efd = t.value(EVENTFD2, &[3, (EFD_NONBLOCK | EFD_SEMAPHORE) as u64]).unwrap();
    assert_eq!(t.value(READ, &[efd, s, 8]), Ok(8));
    assert_eq!(t.m.mem.user.read_val::<u64>(s), Ok(1));
    assert_eq!(t.errno(READ, &[efd, s, 4]), Errno::EINVAL);
    let add = t.put(0x10, &u64::MAX.to_le_bytes());
    assert_eq!(t.errno(WRITE, &[efd, add, 8]), Errno::EINVAL);
    assert_eq!(t.errno(TIMERFD_CREATE, &[2, 0]), Errno::EINVAL);
    assert_eq!(t.errno(TIMERFD_CREATE, &[1, 1]), Errno::EINVAL);
    let tfd = t.value(TIMERFD_CREATE, &[1, TFD_NONBLOCK as u64]).unwrap();
    let spec = |v: i64| [0i64, 0, v, 0].iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let hour = t.put(0x100, &spec(3600));
    let negative = t.put(0x120, &spec(-1));
    let out = s + 0x200;
    assert_eq!(t.errno(TIMERFD_SETTIME, &[tfd, 0, bad, 0]), Errno::EFAULT);
    assert_eq!(t.errno(TIMERFD_SETTIME, &[tfd, 4, hour, 0]), Errno::EINVAL);
    assert_eq!(t.errno(TIMERFD_SETTIME, &[tfd, 0, negative, 0]), Errno::EINVAL);
    assert_eq!(t.errno(TIMERFD_SETTIME, &[999, 0, hour, 0]), Errno::EBADF);
    assert_eq!(t.errno(TIMERFD_SETTIME, &[efd, 0, hour, 0]), Errno::EINVAL);
    assert_eq!(t.value(TIMERFD_SETTIME, &[tfd, 0, hour, 0]), Ok(0));
    assert_eq!(t.errno(TIMERFD_SETTIME, &[tfd, 0, hour, bad]), Errno::EFAULT);
    assert_eq!(t.errno(TIMERFD_GETTIME, &[999, out]), Errno::EBADF);
    assert_eq!(t.errno(TIMERFD_GETTIME, &[efd, out]), Errno::EINVAL);
    assert_eq!(t.errno(TIMERFD_GETTIME, &[tfd, bad]), Errno::EFAULT);
    assert_eq!(t.value(TIMERFD_GETTIME, &[tfd, out]), Ok(0));
    let cur: Itimerspec = t.m.mem.user.read_val(out).unwrap();
    assert!(cur.it_value.tv_sec > 3500 && cur.it_value.tv_sec <= 3600);
    assert_eq!(t.errno(READ, &[tfd, s, 8]), Errno::EAGAIN);
}

#[test]
fn signalfd_reads_pending_signals() {
    let mut t = TestMachine::new();
    let (s, bad) = (t.scratch, t.bad_ptr());
    let usr1 = t.put(0, &(1u64 << 9).to_le_bytes());
    let (r, _w) = pipe(&mut t);
    assert_eq!(t.errno(SIGNALFD4, &[NEG, usr1, 4, 0]), Errno::EINVAL);
    assert_eq!(t.errno(SIGNALFD4, &[NEG, bad, 8, 0]), Errno::EFAULT);
    assert_eq!(t.errno(SIGNALFD4, &[NEG, usr1, 8, 1]), Errno::EINVAL);
    assert_eq!(t.errno(SIGNALFD4, &[999, usr1, 8, 0]), Errno::EBADF);
    assert_eq!(t.errno(SIGNALFD4, &[r, usr1, 8, 0]), Errno::EINVAL);
    assert_eq!(t.errno(SIGNALFD, &[NEG - 1, usr1, 8]), Errno::EBADF);
    let sfd = t.value(SIGNALFD4, &[NEG, usr1, 8, SFD_NONBLOCK as u64]).unwrap();
    assert_eq!(t.value(SIGNALFD4, &[sfd, usr1, 8, 0]), Ok(sfd));
    let buf = s + 0x100;
    assert_eq!(t.errno(READ, &[sfd, buf, 127]), Errno::EINVAL);
    assert_eq!(t.errno(READ, &[sfd, buf, 128]), Errno::EAGAIN);
    assert_eq!(t.errno(WRITE, &[sfd, usr1, 8]), Errno::EINVAL);
    // SIGUSR1 blocked and sent: the signalfd is readable and reads it.
    assert_eq!(t.value(SIGPROCMASK, &[0, usr1, 0, 8]), Ok(0));
    let pid = t.value(GETPID, &[]).unwrap();
    assert_eq!(t.value(KILL, &[pid, 10]), Ok(0));
    let pollfd = t.put(0x80, &[(sfd as i32).to_le_bytes(), [1, 0, 0, 0]].concat());
    assert_eq!(t.value(POLL, &[pollfd, 1, 0]), Ok(1));
    assert_eq!(t.value(READ, &[sfd, buf, 256]), Ok(128));
    let info: SignalfdSiginfo = t.m.mem.user.read_val(buf).unwrap();
    assert_eq!((info.ssi_signo, info.ssi_code, info.ssi_pid), (10, 0, pid as u32));
    assert_eq!(t.value(POLL, &[pollfd, 1, 0]), Ok(0));
    assert_eq!(t.errno(READ, &[sfd, buf, 128]), Errno::EAGAIN);
    // A failed copy loses the signal, as on Linux.
    assert_eq!(t.value(KILL, &[pid, 10]), Ok(0));
    assert_eq!(t.errno(READ, &[sfd, bad, 128]), Errno::EFAULT);
    assert_eq!(t.value(POLL, &[pollfd, 1, 0]), Ok(0));
}

#[test]
fn inotify_argument_errors() {
    use crate::abi::names::number as nr;
    let mut t = TestMachine::new();
    assert_eq!(t.errno(nr("inotify_init1"), &[0x10]), Errno::EINVAL);
    let fd = t.value(nr("inotify_init1"), &[IN_NONBLOCK as u64]).unwrap();
    let dot = t.cstr(0x100, "/");
    // The mask first, then the descriptor, then the path.
    assert_eq!(t.errno(nr("inotify_add_watch"), &[999, dot, 0]), Errno::EINVAL);
    assert_eq!(t.errno(nr("inotify_add_watch"), &[999, dot, 0x100]), Errno::EBADF);
    assert_eq!(t.errno(nr("inotify_add_watch"), &[0, dot, 0x100]), Errno::EINVAL);
    let both = u64::from(0x100 | IN_MASK_ADD | IN_MASK_CREATE);
    assert_eq!(t.errno(nr("inotify_add_watch"), &[fd, dot, both]), Errno::EINVAL);
    assert_eq!(t.errno(nr("inotify_add_watch"), &[fd, t.bad_ptr(), 0x100]), Errno::EFAULT);
    // /proc is generated: nothing to watch there.
    let proc_path = t.cstr(0x200, "/proc/self/status");
    assert_eq!(t.errno(nr("inotify_add_watch"), &[fd, proc_path, 0x100]), Errno::EACCES);
    assert_eq!(t.errno(nr("inotify_rm_watch"), &[fd, 12345]), Errno::EINVAL);
    assert_eq!(t.errno(nr("inotify_rm_watch"), &[0, 1]), Errno::EINVAL);
}

#[test]
fn inotify_init_makes_a_plain_inotify_descriptor() {
    use crate::abi::names::number as nr;
    let mut t = TestMachine::new();
    let fd = t.value(nr("inotify_init"), &[]).unwrap();
    // Neither close-on-exec nor non-blocking, and an inotify: it watches.
    assert_eq!(t.task.process.files().entry(fd as i32).map(|e| e.cloexec), Ok(false));
    assert_eq!(t.value(nr("fcntl"), &[fd, 3, 0]).map(|fl| fl & 0o4000), Ok(0)); // F_GETFL: no O_NONBLOCK
    let root = t.cstr(0x100, "/");
    assert!(t.value(nr("inotify_add_watch"), &[fd, root, 0x100]).unwrap() >= 1);
    // No descriptor left under RLIMIT_NOFILE: EMFILE, as for every new one.
    let limit = t.put(0x200, &[(fd + 1).to_le_bytes(), 4096u64.to_le_bytes()].concat());
    const RLIMIT_NOFILE: u64 = 7;
    assert_eq!(t.value(nr("prlimit64"), &[0, RLIMIT_NOFILE, limit, 0]), Ok(0));
    assert_eq!(t.errno(nr("inotify_init"), &[]), Errno::EMFILE);
    assert_eq!(t.errno(EVENTFD, &[0]), Errno::EMFILE);
    assert_eq!(t.errno(EPOLL_CREATE1, &[0]), Errno::EMFILE);
}

#[test]
fn int_arguments_ignore_their_upper_half() {
    use crate::abi::names::number as nr;
    const HIGH: u64 = 1 << 32;
    let mut t = TestMachine::new();
    let s = t.scratch;
    // eventfd's count is an unsigned int.
    let efd = t.value(EVENTFD2, &[HIGH | 5, 0]).unwrap();
    assert_eq!(t.value(READ, &[efd, s, 8]), Ok(8));
    assert_eq!(t.m.mem.user.read_val::<u64>(s), Ok(5));
    assert!(t.value(TIMERFD_CREATE, &[HIGH | 1, 0]).is_ok());
    assert!(t.value(nr("inotify_init1"), &[HIGH]).is_ok());
    let ep = t.value(EPOLL_CREATE1, &[0]).unwrap();
    let ev = event(&t, 0x100, EPOLLIN, 0);
    assert_eq!(t.value(EPOLL_CTL, &[HIGH | ep, HIGH | ADD, HIGH | efd, ev]), Ok(0));
    // maxevents 1 and a timeout of 0 (not -1: this must not wait).
    assert_eq!(t.value(EPOLL_WAIT, &[ep, s + 0x200, HIGH | 1, HIGH]), Ok(0));
    assert_eq!(t.value(EPOLL_CTL, &[ep, HIGH | DEL, efd, 0]), Ok(0));
    let inotify = t.value(nr("inotify_init1"), &[0]).unwrap();
    let root = t.cstr(0x300, "/");
    let wd = t.value(nr("inotify_add_watch"), &[inotify, root, HIGH | 0x100]).unwrap();
    assert_eq!(t.value(nr("inotify_rm_watch"), &[inotify, HIGH | wd]), Ok(0));
}
