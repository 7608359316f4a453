//! Terminal requests that are the machine's business rather than the
//! host's: job control (controlling terminal, foreground group, session)
//! of the console and of the machine's ptys (`kernel::pty`), the pty
//! master's own requests (number, lock, peer, packet mode, TIOCSIG), and
//! the signals a tty sends its foreground group — Ctrl-C and friends typed
//! into a master, window-size changes — which the host cannot send because
//! its ptys belong to no host session.

use super::SyscallCtx;
use crate::abi::ioctl::TIOCGPTN;
use crate::abi::signal::{SIGCONT, SIG_IGN};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::fs::OpenFile;
use crate::kernel::pty::{self, JobControl, Tty};
use std::os::fd::RawFd;
use std::sync::Arc;

use crate::abi::ioctl::{
    IEXTEN, ISIG, TCFLSH, TCGETS, TCSETS, TCSETSF, TCSETSW, TCXONC, TIOCGPGRP, TIOCGPKT, TIOCGPTLCK, TIOCGPTPEER,
    TIOCGSID, TIOCGWINSZ, TIOCNOTTY, TIOCPKT, TIOCSCTTY, TIOCSIG, TIOCSPGRP, TIOCSPTLCK, TIOCSWINSZ, TOSTOP,
};
use crate::abi::signal::{SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH};

/// Whether the host says `fd` is a terminal: ENOTTY if not, and a hung-up
/// terminal's EIO (which Linux gives every request on it but TIOCSPGRP).
fn is_tty(fd: RawFd, req: u32) -> SysResult<()> {
    match host::ioctl_buf(fd, TCGETS, &mut [0u8; 64]) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EIO) && req != TIOCSPGRP => Err(Errno::EIO),
        Err(_) => Err(Errno::ENOTTY),
    }
}

/// The requests handled here (None: not one of them, the caller carries
/// on). `f` is a host file, `host_fd` its descriptor.
pub(crate) fn ioctl(
    ctx: &mut SyscallCtx<'_>,
    f: &Arc<OpenFile>,
    host_fd: RawFd,
    req: u32,
    arg: u64,
) -> Option<SysResult> {
    match req {
        TIOCGPGRP | TIOCSPGRP | TIOCSCTTY | TIOCNOTTY | TIOCGSID => {
            if let Err(e) = is_tty(host_fd, req) {
                return Some(Err(e));
            }
            Some(match pty::classify(f) {
                Tty::Console => console_jobs(ctx, req, arg),
                Tty::Master(n) => pty_jobs(ctx, f, n, true, req, arg),
                Tty::Slave(n) => pty_jobs(ctx, f, n, false, req, arg),
            })
        }
        TIOCGPTN | TIOCSPTLCK | TIOCGPTLCK | TIOCPKT | TIOCGPKT | TIOCGPTPEER | TIOCSIG => {
            Some(match pty::classify(f) {
                Tty::Master(n) => master_request(ctx, f, host_fd, n, req, arg),
                // Linux asks any terminal for its peer, and only a master
                // has one.
                _ if req == TIOCGPTPEER => is_tty(host_fd, req).and(Err(Errno::EIO)),
                _ => Err(Errno::ENOTTY),
            })
        }
        TCSETS | TCSETSW | TCSETSF | TCFLSH | TCXONC => match own_ctty(ctx, f) {
            Some(jobs) => check_change(ctx, jobs, SIGTTOU).err().map(Err),
            // The caller reads a new setting before the host sees the
            // request: a file that is no terminal is ENOTTY first.
            None => is_tty(host_fd, req).err().map(Err),
        },
        TIOCSWINSZ => match pty::classify(f) {
            Tty::Master(n) | Tty::Slave(n) => Some(resize(ctx, host_fd, n, arg)),
            Tty::Console => is_tty(host_fd, req).err().map(Err),
        },
        _ => None,
    }
}

/// The console: one machine-wide foreground group that anyone may read
/// and set (what it always was); taking it as controlling terminal moves it
/// to the caller's session.
fn console_jobs(ctx: &mut SyscallCtx<'_>, req: u32, arg: u64) -> SysResult {
    let me = &ctx.task.process;
    match req {
        TIOCGPGRP => ctx.user().write_val(arg, ctx.m.terminals.console_pgrp())?,
        TIOCGSID => ctx.user().write_val(arg, me.sid())?,
        TIOCSPGRP => {
            let pgrp: i32 = ctx.user().read_val(arg)?;
            if pgrp < 0 {
                return Err(Errno::EINVAL);
            }
            ctx.m.terminals.set_console_pgrp(pgrp);
        }
        TIOCSCTTY => ctx.m.terminals.set_console(JobControl { session: me.sid(), pgrp: me.pgid() }),
        _ => {}
    }
    Ok(0)
}

/// Job control of pty `n`, through its slave or (`master`) its master, as
/// Linux's tty_jobctrl_ioctl does it.
fn pty_jobs(ctx: &mut SyscallCtx<'_>, f: &OpenFile, n: u32, master: bool, req: u32, arg: u64) -> SysResult {
    let m = ctx.m;
    let me = ctx.task.process.clone();
    let sid = me.sid();
    // A pty whose master is gone is hung up.
    let Some(jobs) = m.terminals.jobs(m, n) else {
        return Err(if req == TIOCSPGRP { Errno::ENOTTY } else { Errno::EIO });
    };
    let is_ctty = jobs.session != 0 && jobs.session == sid;
    match req {
        TIOCGPGRP | TIOCGSID if !master && !is_ctty => Err(Errno::ENOTTY),
        TIOCGPGRP => {
            ctx.user().write_val(arg, jobs.pgrp)?;
            Ok(0)
        }
        TIOCGSID if jobs.session == 0 => Err(Errno::ENOTTY),
        TIOCGSID => {
            ctx.user().write_val(arg, jobs.session)?;
            Ok(0)
        }
        TIOCSPGRP => {
            if is_ctty {
                check_change(ctx, jobs, SIGTTOU).map_err(|e| if e == Errno::EIO { Errno::ENOTTY } else { e })?;
            }
            let pgrp: i32 = ctx.user().read_val(arg)?;
            if pgrp < 0 {
                return Err(Errno::EINVAL);
            }
            if !is_ctty {
                return Err(Errno::ENOTTY);
            }
            let members: Vec<_> = m.live_processes().into_iter().filter(|p| p.pgid() == pgrp).collect();
            let Some(first) = members.first() else {
                return Err(Errno::ESRCH);
            };
            if first.sid() != sid {
                return Err(Errno::EPERM);
            }
            m.terminals.set_jobs(n, JobControl { pgrp, ..jobs });
            Ok(0)
        }
        TIOCSCTTY => {
            let leader = me.pid == sid;
            if leader && is_ctty {
                return Ok(0);
            }
            if !leader || m.terminals.has_ctty(m, sid) {
                return Err(Errno::EPERM);
            }
            // Another session's terminal: only stolen on request (guests
            // are root, so CAP_SYS_ADMIN holds).
            if jobs.session != 0 && arg != 1 {
                return Err(Errno::EPERM);
            }
            m.terminals.set_jobs(n, JobControl { session: sid, pgrp: me.pgid() });
            if !master {
                pty::watch_hangup(m, n, f);
            }
            Ok(0)
        }
        TIOCNOTTY if master || !is_ctty => Err(Errno::ENOTTY),
        TIOCNOTTY => {
            // A session leader lets the terminal go for its whole session,
            // and its foreground group hears of it. (Another member would
            // only drop it for itself; processes keep no terminal of their
            // own here, so that changes nothing.)
            if me.pid == sid {
                m.terminals.set_jobs(n, JobControl::default());
                pty::signal_group(m, jobs.pgrp, SIGHUP);
                pty::signal_group(m, jobs.pgrp, SIGCONT);
            }
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}

/// Linux's __tty_check_change, for a process whose controlling terminal
/// this is: outside the foreground group, its group gets `sig` (SIGTTIN
/// for reads, SIGTTOU for writes and changes) and the call restarts once
/// it may go on; if it ignores or blocks `sig`, reads fail with EIO and
/// the rest go ahead; an orphaned group gets EIO.
fn check_change(ctx: &mut SyscallCtx<'_>, jobs: JobControl, sig: i32) -> SysResult<()> {
    let me = ctx.task.process.clone();
    let pgid = me.pgid();
    if jobs.pgrp == 0 || jobs.pgrp == pgid {
        return Ok(());
    }
    let ignored = ctx.task.shared.blocks(sig) || me.sigactions().get(sig).sa_handler == SIG_IGN;
    if ignored {
        return if sig == SIGTTIN { Err(Errno::EIO) } else { Ok(()) };
    }
    if orphaned(ctx.m, pgid, me.sid()) {
        return Err(Errno::EIO);
    }
    pty::signal_group(ctx.m, pgid, sig);
    Err(Errno::ERESTARTSYS)
}

/// The job control of the pty slave `f` if it is the caller's controlling
/// terminal.
fn own_ctty(ctx: &SyscallCtx<'_>, f: &OpenFile) -> Option<JobControl> {
    let n = pty::slave_number(&f.path)?;
    let jobs = ctx.m.terminals.jobs(ctx.m, n)?;
    (jobs.session != 0 && jobs.session == ctx.task.process.sid()).then_some(jobs)
}

/// Before a read of `f`: a background process reading its pty gets
/// SIGTTIN. (Cheap for anything that is not a /dev/pts file.)
pub(crate) fn read_check(ctx: &mut SyscallCtx<'_>, f: &OpenFile) -> SysResult<()> {
    match own_ctty(ctx, f) {
        Some(jobs) => check_change(ctx, jobs, SIGTTIN),
        None => Ok(()),
    }
}

/// Before a write to `f`: with TOSTOP set, a background process writing to
/// its pty gets SIGTTOU.
pub(crate) fn write_check(ctx: &mut SyscallCtx<'_>, f: &OpenFile) -> SysResult<()> {
    let Some(jobs) = own_ctty(ctx, f) else { return Ok(()) };
    if jobs.pgrp == 0 || jobs.pgrp == ctx.task.process.pgid() {
        return Ok(());
    }
    let mut termios = [0u8; 64];
    host::ioctl_buf(f.host_fd()?, TCGETS, &mut termios)?;
    if u32::from_le_bytes([termios[12], termios[13], termios[14], termios[15]]) & TOSTOP == 0 {
        return Ok(());
    }
    check_change(ctx, jobs, SIGTTOU)
}

/// Whether process group `pgrp` (of session `sid`) is orphaned: no member
/// has a parent in another group of the same session (pid 1 does not
/// count, as on Linux).
fn orphaned(m: &crate::kernel::Machine, pgrp: i32, sid: i32) -> bool {
    !m.live_processes().iter().filter(|p| p.pgid() == pgrp).any(|p| {
        let ppid = p.ppid();
        ppid != 1 && m.process(ppid).is_some_and(|parent| parent.pgid() != pgrp && parent.sid() == sid)
    })
}

/// A pty master's own requests.
fn master_request(ctx: &mut SyscallCtx<'_>, f: &OpenFile, host_fd: RawFd, n: u32, req: u32, arg: u64) -> SysResult {
    match req {
        TIOCGPTN | TIOCGPTLCK | TIOCGPKT => {
            let mut v = [0u8; 4];
            host::ioctl_buf(host_fd, req, &mut v)?;
            ctx.user().write(arg, &v)?;
            Ok(0)
        }
        TIOCSPTLCK | TIOCPKT => {
            let mut v = [0u8; 4];
            ctx.user().read(arg, &mut v)?;
            host::ioctl_buf(host_fd, req, &mut v)?;
            Ok(0)
        }
        TIOCGPTPEER => {
            let limit = ctx.check_free_fds(1)?;
            let peer = Arc::new(pty::open_peer(f, arg)?);
            let cloexec = arg & crate::abi::fcntl::O_CLOEXEC as u64 != 0;
            Ok(ctx.task.process.files().install(limit, peer, cloexec)? as u64)
        }
        TIOCSIG => {
            let sig = arg as i32;
            if ![SIGINT, SIGQUIT, SIGTSTP].contains(&sig) {
                return Err(Errno::EINVAL);
            }
            let pgrp = ctx.m.terminals.jobs(ctx.m, n).map_or(0, |j| j.pgrp);
            pty::signal_group(ctx.m, pgrp, sig);
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}

/// TIOCSWINSZ on a pty: a new size is news for its foreground group.
fn resize(ctx: &mut SyscallCtx<'_>, host_fd: RawFd, n: u32, arg: u64) -> SysResult {
    let mut new = [0u8; 8];
    ctx.user().read(arg, &mut new)?;
    let mut old = [0u8; 8];
    let had = host::ioctl_buf(host_fd, TIOCGWINSZ, &mut old).is_ok();
    host::ioctl_buf(host_fd, TIOCSWINSZ, &mut new.clone())?;
    if had && old != new {
        let pgrp = ctx.m.terminals.jobs(ctx.m, n).map_or(0, |j| j.pgrp);
        pty::signal_group(ctx.m, pgrp, SIGWINCH);
    }
    Ok(0)
}

/// After `written` bytes of `iov` went into a file: if it is a pty master
/// whose slave has ISIG set, the interrupt, quit and suspend characters
/// among them signal the slave's foreground group (the host's line
/// discipline has done the rest: echo, flush).
pub(crate) fn typed(ctx: &SyscallCtx<'_>, f: &OpenFile, iov: &[(u64, u64)], written: usize) {
    if written == 0 || !pty::is_master(f) {
        return;
    }
    let Ok(host_fd) = f.host_fd() else { return };
    let mut termios = [0u8; 64];
    if host::ioctl_buf(host_fd, TCGETS, &mut termios).is_err() {
        return;
    }
    let lflag = u32::from_le_bytes([termios[12], termios[13], termios[14], termios[15]]);
    if lflag & ISIG == 0 {
        return;
    }
    let cc = &termios[17..36];
    let (vintr, vquit, vsusp, vlnext) = (cc[0], cc[1], cc[10], cc[15]);
    let lnext_on = lflag & IEXTEN != 0 && vlnext != 0;
    let mut signals = Vec::new();
    let mut literal = false;
    let mut left = written;
    let mut chunk = [0u8; 4096];
    for &(base, len) in iov {
        let mut off = 0u64;
        while off < len && left > 0 {
            let take = (len - off).min(chunk.len() as u64).min(left as u64) as usize;
            if ctx.user().read(base + off, &mut chunk[..take]).is_err() {
                return;
            }
            for &c in &chunk[..take] {
                if std::mem::take(&mut literal) || c == 0 {
                    continue;
                }
                if lnext_on && c == vlnext {
                    literal = true;
                } else if c == vintr {
                    signals.push(SIGINT);
                } else if c == vquit {
                    signals.push(SIGQUIT);
                } else if c == vsusp {
                    signals.push(SIGTSTP);
                }
            }
            off += take as u64;
            left -= take;
        }
    }
    if signals.is_empty() {
        return;
    }
    settle(f);
    let Ok(n) = pty::host_number(f) else { return };
    let pgrp = ctx.m.terminals.jobs(ctx.m, n).map_or(0, |j| j.pgrp);
    for sig in signals {
        pty::signal_group(ctx.m, pgrp, sig);
    }
}

/// Waits until the host's line discipline has taken in what was written
/// to master `f`: a poll of the slave runs the pending input work (Linux's
/// n_tty_poll), so the flush a signal character causes is over before the
/// signal lets the foreground group write again (on Linux the writer waits
/// for it on the terminal's lock).
fn settle(f: &OpenFile) {
    use crate::abi::fcntl::{O_NONBLOCK, O_RDONLY};
    if let Ok(peer) = pty::open_peer(f, (O_RDONLY | O_NONBLOCK) as u64) {
        if let Ok(fd) = peer.host_fd() {
            let mut p = [libc::pollfd { fd, events: libc::POLLIN, revents: 0 }];
            let _ = host::ppoll(&mut p, Some((0, 0)));
        }
    }
}

/// The terminal requests' argument errors through the table (what Linux
/// answers was checked natively, in a session of its own where that
/// matters).
#[cfg(test)]
mod tests {
    use crate::abi::fcntl::{AT_FDCWD, O_NOCTTY, O_RDWR};
    use crate::abi::ioctl::*;
    use crate::abi::names::number;
    use crate::errno::Errno;
    use crate::syscall::testkit::{TestMachine, NO_FD};

    const IOCTL: u64 = number("ioctl");
    const OPENAT: u64 = number("openat");
    /// A request no terminal knows.
    const UNKNOWN: u64 = 0x5499;

    fn open(t: &mut TestMachine, path: &str) -> u64 {
        let p = t.cstr(0xc00, path);
        t.value(OPENAT, &[AT_FDCWD as u64, p, (O_RDWR | O_NOCTTY) as u64, 0]).unwrap()
    }

    /// A new pty, unlocked: its master and its slave.
    fn pty(t: &mut TestMachine) -> (u64, u64) {
        let master = open(t, "/dev/ptmx");
        let v = t.put(0xb00, &0i32.to_ne_bytes());
        assert_eq!(t.value(IOCTL, &[master, TIOCSPTLCK as u64, v]), Ok(0));
        assert_eq!(t.value(IOCTL, &[master, TIOCGPTN as u64, v]), Ok(0));
        let n: u32 = t.m.mem.user.read_val(v).unwrap();
        (master, open(t, &format!("/dev/pts/{n}")))
    }

    #[test]
    fn what_is_no_terminal_is_enotty() {
        let mut t = TestMachine::new();
        let fds = t.scratch + 0x100;
        assert_eq!(t.value(number("pipe"), &[fds]), Ok(0));
        let pipe: i32 = t.m.mem.user.read_val(fds).unwrap();
        assert_eq!(t.value(number("socketpair"), &[1, 1, 0, fds]), Ok(0));
        let socket: i32 = t.m.mem.user.read_val(fds).unwrap();
        let (bad, v) = (t.bad_ptr(), t.scratch + 0x200);
        let requests = [
            TIOCGPGRP,
            TIOCSPGRP,
            TIOCGSID,
            TIOCSCTTY,
            TIOCNOTTY,
            TIOCGPTN,
            TIOCSPTLCK,
            TIOCGPTLCK,
            TIOCPKT,
            TIOCGPKT,
            TIOCSIG,
            TIOCGPTPEER,
            TIOCGWINSZ,
            TIOCSWINSZ,
            TCGETS,
            TCSETS,
            TCSETSW,
            TCSETSF,
        ];
        for fd in [pipe as u64, socket as u64] {
            for req in requests {
                assert_eq!(t.errno(IOCTL, &[fd, req as u64, v]), Errno::ENOTTY, "{req:#x} on {fd}");
                // Before the argument is looked at.
                assert_eq!(t.errno(IOCTL, &[fd, req as u64, bad]), Errno::ENOTTY, "{req:#x} on {fd}");
            }
            assert_eq!(t.errno(IOCTL, &[fd, UNKNOWN, 0]), Errno::ENOTTY);
        }
        assert_eq!(t.errno(IOCTL, &[NO_FD, TIOCGPGRP as u64, v]), Errno::EBADF);
    }

    #[test]
    fn master_requests() {
        let mut t = TestMachine::new();
        let (master, slave) = pty(&mut t);
        let (bad, v) = (t.bad_ptr(), t.scratch + 0x200);
        for req in [TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, TIOCPKT, TIOCGPKT, TIOCGPGRP, TIOCSPGRP] {
            assert_eq!(t.errno(IOCTL, &[master, req as u64, bad]), Errno::EFAULT, "{req:#x}");
        }
        for req in [TIOCGWINSZ, TIOCSWINSZ, TCGETS, TCSETS] {
            assert_eq!(t.errno(IOCTL, &[master, req as u64, bad]), Errno::EFAULT, "{req:#x}");
        }
        // Only SIGINT, SIGQUIT and SIGTSTP are typed.
        for sig in [0, 9, 65] {
            assert_eq!(t.errno(IOCTL, &[master, TIOCSIG as u64, sig]), Errno::EINVAL, "signal {sig}");
        }
        assert_eq!(t.value(IOCTL, &[master, TIOCSIG as u64, 2]), Ok(0));
        // No session has it: no foreground group, no session, not to be
        // set or let go.
        assert_eq!(t.value(IOCTL, &[master, TIOCGPGRP as u64, v]), Ok(0));
        assert_eq!(t.m.mem.user.read_val::<i32>(v), Ok(0));
        assert_eq!(t.errno(IOCTL, &[master, TIOCGSID as u64, v]), Errno::ENOTTY);
        let minus_one = t.put(0x300, &(-1i32).to_ne_bytes());
        assert_eq!(t.errno(IOCTL, &[master, TIOCSPGRP as u64, minus_one]), Errno::EINVAL);
        let own = t.put(0x310, &1i32.to_ne_bytes());
        assert_eq!(t.errno(IOCTL, &[master, TIOCSPGRP as u64, own]), Errno::ENOTTY);
        assert_eq!(t.errno(IOCTL, &[master, TIOCNOTTY as u64, 0]), Errno::ENOTTY);
        assert_eq!(t.errno(IOCTL, &[master, UNKNOWN, 0]), Errno::ENOTTY);
        // The request is an unsigned int.
        assert_eq!(t.value(IOCTL, &[master, 1 << 32 | TIOCGPTN as u64, v]), Ok(0));
        // The slave has none of the master's requests; its peer is EIO.
        for req in [TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, TIOCPKT, TIOCGPKT, TIOCSIG] {
            assert_eq!(t.errno(IOCTL, &[slave, req as u64, v]), Errno::ENOTTY, "{req:#x}");
        }
        assert_eq!(t.errno(IOCTL, &[slave, TIOCGPTPEER as u64, O_RDWR as u64]), Errno::EIO);
        assert_eq!(t.errno(IOCTL, &[slave, UNKNOWN, 0]), Errno::ENOTTY);
    }

    /// /dev/console and /dev/tty are Linux's nodes (devtmpfs modes); with
    /// no controlling terminal /dev/tty is ENXIO to open, still 5,0 to
    /// `stat` (checked natively after setsid).
    #[test]
    fn console_and_tty_nodes() {
        use crate::abi::stat::S_IFCHR;
        use crate::abi::types::Stat;
        use crate::arch::host::makedev;
        let mut t = TestMachine::new();
        let stat = |t: &mut TestMachine, path: &str| -> Stat {
            let (p, buf) = (t.cstr(0xc00, path), t.scratch + 0x400);
            assert_eq!(t.value(number("stat"), &[p, buf]), Ok(0), "{path}");
            t.m.mem.user.read_val(buf).unwrap()
        };
        let console = stat(&mut t, "/dev/console");
        assert_eq!((console.st_mode, console.st_rdev, console.st_uid), (S_IFCHR | 0o600, makedev(5, 1), 0));
        let tty = stat(&mut t, "/dev/tty");
        assert_eq!((tty.st_mode & !0o777, tty.st_rdev), (S_IFCHR, makedev(5, 0)));
        // The test process's session lets the console go (as after setsid).
        t.m.terminals.set_console(crate::kernel::pty::JobControl::default());
        let p = t.cstr(0xc00, "/dev/tty");
        assert_eq!(t.errno(OPENAT, &[AT_FDCWD as u64, p, O_RDWR as u64, 0]), Errno::ENXIO);
        assert_eq!(stat(&mut t, "/dev/tty").st_rdev, makedev(5, 0));
        assert_eq!(stat(&mut t, "/dev/console").st_ino, console.st_ino);
    }

    #[test]
    fn job_control_of_a_session_leaders_pty() {
        let mut t = TestMachine::new();
        let me = t.task.process.pid;
        assert_eq!(t.task.process.sid(), me, "the test process leads its session");
        // The console is session 1's, this process's: let it go, so that
        // the session has no controlling terminal (as after setsid).
        t.m.terminals.set_console(crate::kernel::pty::JobControl::default());
        let (master, slave) = pty(&mut t);
        let (bad, v) = (t.bad_ptr(), t.scratch + 0x200);
        // Not its controlling terminal yet.
        assert_eq!(t.errno(IOCTL, &[slave, TIOCGPGRP as u64, v]), Errno::ENOTTY);
        assert_eq!(t.errno(IOCTL, &[slave, TIOCGSID as u64, v]), Errno::ENOTTY);
        assert_eq!(t.errno(IOCTL, &[slave, TIOCNOTTY as u64, 0]), Errno::ENOTTY);
        assert_eq!(t.value(IOCTL, &[slave, TIOCSCTTY as u64, 0]), Ok(0));
        assert_eq!(t.value(IOCTL, &[slave, TIOCSCTTY as u64, 0]), Ok(0), "again: nothing to do");
        for (fd, req) in [(slave, TIOCGSID), (slave, TIOCGPGRP), (master, TIOCGSID)] {
            assert_eq!(t.errno(IOCTL, &[fd, req as u64, bad]), Errno::EFAULT);
            assert_eq!(t.value(IOCTL, &[fd, req as u64, v]), Ok(0));
            assert_eq!(t.m.mem.user.read_val::<i32>(v), Ok(me));
        }
        let pgrp = |t: &TestMachine, g: i32| t.put(0x300, &g.to_ne_bytes());
        let arg = pgrp(&t, -1);
        assert_eq!(t.errno(IOCTL, &[slave, TIOCSPGRP as u64, arg]), Errno::EINVAL);
        assert_eq!(t.errno(IOCTL, &[slave, TIOCSPGRP as u64, bad]), Errno::EFAULT);
        let arg = pgrp(&t, 99_999);
        assert_eq!(t.errno(IOCTL, &[slave, TIOCSPGRP as u64, arg]), Errno::ESRCH);
        let arg = pgrp(&t, me);
        assert_eq!(t.value(IOCTL, &[slave, TIOCSPGRP as u64, arg]), Ok(0));
        assert_eq!(t.value(IOCTL, &[master, TIOCSPGRP as u64, arg]), Ok(0));
        // One controlling terminal per session, even when asked to steal.
        let (_master2, slave2) = pty(&mut t);
        assert_eq!(t.errno(IOCTL, &[slave2, TIOCSCTTY as u64, 0]), Errno::EPERM);
        assert_eq!(t.errno(IOCTL, &[slave2, TIOCSCTTY as u64, 1]), Errno::EPERM);
        assert_eq!(t.errno(IOCTL, &[master, TIOCNOTTY as u64, 0]), Errno::ENOTTY);
    }
}
