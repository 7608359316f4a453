//! The machine's terminals: the console and the pseudo-terminals guests
//! open through /dev/ptmx, with what Linux keeps on a tty for job control.
//!
//! A pty is the host's: opening /dev/ptmx opens the host's, so reads,
//! writes, poll, termios and the line discipline are the host kernel's.
//! The machine keeps which host pty numbers are its own (a master opened
//! inside it is still open): /dev/pts lists those and only those can be
//! opened, so a guest never reaches another host terminal.
//!
//! Process groups and sessions are the guest's, so each terminal's job
//! control is kept here: the session it is the controlling terminal of and
//! its foreground process group (Linux's `tty->ctrl`). The host ptys
//! belong to no host session (they are opened with O_NOCTTY), so the
//! signals a host tty would send its foreground group (Ctrl-C typed into
//! the master, a window-size change) are sent by the machine
//! (`syscall::tty`). The console keeps the virtual, machine-wide behaviour
//! it always had: anyone may read and set its foreground group.

use super::lifecycle::send_to_process;
use super::machine::Machine;
use super::signal::SigInfo;
use crate::abi::signal::{SIGCONT, SIGHUP, SI_KERNEL};
use crate::arch::host;
use crate::arch::hostwatch::HangupSet;
use crate::errno::SysResult;
use crate::fs::node::Ctty;
use crate::fs::OpenFile;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use crate::abi::fcntl::O_NOCTTY;
use crate::abi::ioctl::{TIOCGPTN, TIOCGPTPEER};

/// Job control of one terminal: the session whose controlling terminal it
/// is and its foreground process group (0: none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct JobControl {
    pub session: i32,
    pub pgrp: i32,
}

#[derive(Debug)]
struct Pty {
    /// The master's open file descriptions in the machine (opened in it,
    /// or received over a socket): the number is ours while one lives.
    masters: Vec<Weak<OpenFile>>,
    /// Tells this pty from an earlier one of the same number.
    serial: u32,
    jobs: JobControl,
}

/// The console and the machine's ptys. Both locks are leaves (see
/// `kernel::process::Process`): records are copied out before processes
/// are looked at.
#[derive(Debug)]
pub(crate) struct Terminals {
    console: Mutex<JobControl>,
    ptys: Mutex<BTreeMap<u32, Pty>>,
    serial: AtomicU32,
    /// Controlling-terminal slaves watched for their master's close (made
    /// with the thread that waits on it, at the first use).
    hangups: OnceLock<Option<Arc<HangupSet>>>,
}

impl Default for Terminals {
    /// The console is pid 1's controlling terminal, pid 1 its foreground.
    fn default() -> Self {
        Terminals {
            console: Mutex::new(JobControl { session: 1, pgrp: 1 }),
            ptys: Mutex::new(BTreeMap::new()),
            serial: AtomicU32::new(0),
            hangups: OnceLock::new(),
        }
    }
}

/// Which of the machine's terminals an open file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tty {
    /// Any other terminal: the console (the host terminal nommu runs on,
    /// and /dev/tty of a process without a pty).
    Console,
    /// The master of pty N.
    Master(u32),
    /// The slave of pty N (/dev/pts/N).
    Slave(u32),
}

impl Pty {
    fn live(&self) -> bool {
        self.masters.iter().any(|w| w.strong_count() > 0)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Paths an open master is known by.
const MASTER_PATHS: [&[u8]; 2] = [b"/dev/ptmx", b"/dev/pts/ptmx"];

/// Whether `f` was opened as a pty master. Cheap: /dev is the machine's,
/// so only an open of its ptmx node gives these paths.
pub(crate) fn is_master(f: &OpenFile) -> bool {
    MASTER_PATHS.contains(&f.path.as_bytes())
}

/// The number in a /dev/pts/N path (canonical decimal only).
pub(crate) fn slave_number(path: &[u8]) -> Option<u32> {
    let n = path.strip_prefix(b"/dev/pts/")?;
    if n.is_empty() || (n[0] == b'0' && n.len() > 1) || !n.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(n).ok()?.parse().ok()
}

/// The guest path of slave N.
pub(crate) fn slave_path(n: u32) -> Vec<u8> {
    format!("/dev/pts/{n}").into_bytes()
}

/// The host's number of the pty whose master is `f`.
pub(crate) fn host_number(f: &OpenFile) -> SysResult<u32> {
    let mut buf = [0u8; 4];
    host::ioctl_buf(f.host_fd()?, TIOCGPTN, &mut buf)?;
    Ok(u32::from_le_bytes(buf))
}

/// Which terminal `f` is, from the path it was opened by (a master's
/// number is asked of the host). Not asked whether it is a terminal at all.
pub(crate) fn classify(f: &OpenFile) -> Tty {
    if is_master(f) {
        if let Ok(n) = host_number(f) {
            return Tty::Master(n);
        }
    }
    slave_number(&f.path).map_or(Tty::Console, Tty::Slave)
}

/// Whether session `sid` still has its leader (Linux drops a terminal's
/// session and foreground group when the session leader exits).
pub(crate) fn session_alive(m: &Machine, sid: i32) -> bool {
    sid > 0 && m.process(sid).is_some_and(|p| !p.is_zombie() && p.sid() == sid)
}

impl Terminals {
    /// The console's foreground process group.
    pub(crate) fn console_pgrp(&self) -> i32 {
        lock(&self.console).pgrp
    }

    pub(crate) fn set_console_pgrp(&self, pgrp: i32) {
        lock(&self.console).pgrp = pgrp;
    }

    /// The console becomes the controlling terminal of `session`, with
    /// `pgrp` in the foreground.
    pub(crate) fn set_console(&self, jobs: JobControl) {
        *lock(&self.console) = jobs;
    }

    /// Records a master that came into the machine: its number becomes
    /// ours (a new pty, unless another description of it is here already).
    pub(crate) fn add_master(&self, f: &Arc<OpenFile>) -> SysResult<u32> {
        let n = host_number(f)?;
        let mut ptys = lock(&self.ptys);
        for p in ptys.values_mut() {
            p.masters.retain(|w| w.strong_count() > 0);
        }
        ptys.retain(|_, p| !p.masters.is_empty());
        match ptys.get_mut(&n) {
            Some(p) => p.masters.push(Arc::downgrade(f)),
            None => {
                let serial = self.serial.fetch_add(1, Ordering::Relaxed);
                ptys.insert(n, Pty { masters: vec![Arc::downgrade(f)], serial, jobs: JobControl::default() });
            }
        }
        Ok(n)
    }

    /// The numbers of the machine's ptys (their masters are open).
    pub(crate) fn numbers(&self) -> Vec<u32> {
        lock(&self.ptys).iter().filter(|(_, p)| p.live()).map(|(n, _)| *n).collect()
    }

    /// Job control of pty `n` as it stands (its session's leader alive),
    /// or None if `n` is not one of the machine's ptys.
    pub(crate) fn jobs(&self, m: &Machine, n: u32) -> Option<JobControl> {
        let jobs = lock(&self.ptys).get(&n).filter(|p| p.live()).map(|p| p.jobs)?;
        if jobs.session != 0 && !session_alive(m, jobs.session) {
            self.set_jobs(n, JobControl::default());
            return Some(JobControl::default());
        }
        Some(jobs)
    }

    pub(crate) fn set_jobs(&self, n: u32, jobs: JobControl) {
        if let Some(p) = lock(&self.ptys).get_mut(&n) {
            p.jobs = jobs;
        }
    }

    /// The pty that is the controlling terminal of session `sid`.
    pub(crate) fn ctty_pty(&self, m: &Machine, sid: i32) -> Option<u32> {
        let candidates: Vec<u32> =
            lock(&self.ptys).iter().filter(|(_, p)| p.jobs.session == sid && p.live()).map(|(n, _)| *n).collect();
        candidates.into_iter().find(|&n| self.jobs(m, n).is_some_and(|j| j.session == sid))
    }

    /// The controlling terminal of session `sid`: a pty, or the console
    /// (while the session's leader lives, as Linux drops it at the
    /// leader's exit).
    pub(crate) fn ctty(&self, m: &Machine, sid: i32) -> Option<Ctty> {
        if let Some(n) = self.ctty_pty(m, sid) {
            return Some(Ctty::Pty(n));
        }
        (lock(&self.console).session == sid && session_alive(m, sid)).then_some(Ctty::Console)
    }

    /// Whether session `sid` has a controlling terminal (the console or a
    /// pty).
    pub(crate) fn has_ctty(&self, m: &Machine, sid: i32) -> bool {
        self.ctty(m, sid).is_some()
    }
}

/// A descriptor received over a socket: if it is a pty master, its number
/// is the machine's too.
pub(crate) fn received(m: &Machine, f: &Arc<OpenFile>) {
    if is_master(f) {
        let _ = m.terminals.add_master(f);
    }
}

/// An open file just opened in `m` by `p` with `flags`: a master's number
/// becomes the machine's; a slave opened without O_NOCTTY by a session
/// leader without a controlling terminal becomes its controlling terminal
/// (if no session has it), as Linux's open does.
#[inline]
pub(crate) fn opened(m: &Machine, p: &super::Process, f: &Arc<OpenFile>, flags: i32) {
    // Masters and slaves are all named under /dev/ (one compare, inline,
    // for every other open).
    if f.path.starts_with(b"/dev/") {
        opened_in_dev(m, p, f, flags);
    }
}

fn opened_in_dev(m: &Machine, p: &super::Process, f: &Arc<OpenFile>, flags: i32) {
    if is_master(f) && flags & crate::abi::fcntl::O_PATH == 0 {
        if let Err(e) = m.terminals.add_master(f) {
            log::debug!("a pty master without a number: {e:?}");
        }
        return;
    }
    let Some(n) = slave_number(&f.path) else { return };
    let sid = p.sid();
    if flags & (O_NOCTTY | crate::abi::fcntl::O_PATH) != 0 || p.pid != sid || flags & 3 == libc::O_WRONLY {
        return;
    }
    if m.terminals.jobs(m, n).is_some_and(|j| j.session == 0) && !m.terminals.has_ctty(m, sid) {
        m.terminals.set_jobs(n, JobControl { session: sid, pgrp: p.pgid() });
        watch_hangup(m, n, f);
    }
}

/// Slave `f` of pty `n` has just become a controlling terminal: when the
/// master is closed, the session's leader gets SIGHUP and SIGCONT and the
/// terminal is nobody's, as Linux's hangup does. (The host reports the
/// close as a hangup of the slave.)
pub(crate) fn watch_hangup(m: &Machine, n: u32, f: &OpenFile) {
    let Ok(fd) = f.host_fd() else { return };
    let Some(serial) = lock(&m.terminals.ptys).get(&n).map(|p| p.serial) else { return };
    let set = m.terminals.hangups.get_or_init(|| {
        let set = HangupSet::new().map(Arc::new);
        let spawned = set.as_ref().map_err(|e| e.to_string()).and_then(|set| {
            let (watch, machine) = (set.clone(), Arc::downgrade(&m.arc()));
            let thread = std::thread::Builder::new().name("pty-hangups".into());
            super::hostthread::spawn(thread, move || hangups(&watch, &machine)).map_err(|e| e.to_string())
        });
        if let Err(e) = spawned {
            log::warn!("pty hangups will not be seen: {e}");
            return None;
        }
        set.ok()
    });
    let Some(set) = set else { return };
    if let Err(e) = set.watch(fd, (u64::from(serial) << 32) | u64::from(n)) {
        log::debug!("cannot watch pty {n} for hangups: {e}");
    }
}

/// The hangup thread: waits for watched slaves to hang up while the
/// machine lives.
fn hangups(set: &HangupSet, machine: &Weak<Machine>) {
    loop {
        let tokens = set.wait(1000);
        let Some(m) = machine.upgrade() else { return };
        for token in tokens {
            hang_up(&m, token as u32, (token >> 32) as u32);
        }
    }
}

fn hang_up(m: &Machine, n: u32, serial: u32) {
    let jobs = match lock(&m.terminals.ptys).get_mut(&n) {
        Some(p) if p.serial == serial => std::mem::take(&mut p.jobs),
        _ => return,
    };
    if !session_alive(m, jobs.session) {
        return;
    }
    if let Some(leader) = m.process(jobs.session) {
        for signo in [SIGHUP, SIGCONT] {
            send_to_process(m, &leader, SigInfo::user(signo, SI_KERNEL, 0), false);
        }
    }
}

/// Process `p` has exited: if it led a session with a pty as controlling
/// terminal, the terminal's foreground group gets SIGHUP and the terminal
/// is nobody's (Linux's disassociate_ctty on exit).
pub(crate) fn exited(m: &Machine, p: &super::Process) {
    let sid = p.sid();
    if p.pid != sid {
        return;
    }
    let mut ptys = lock(&m.terminals.ptys);
    let Some(pty) = ptys.values_mut().find(|t| t.jobs.session == sid) else { return };
    let jobs = std::mem::take(&mut pty.jobs);
    drop(ptys);
    signal_group(m, jobs.pgrp, libc::SIGHUP);
}

/// Sends `signo` from the kernel to every live process of group `pgrp`.
pub(crate) fn signal_group(m: &Machine, pgrp: i32, signo: i32) {
    if pgrp <= 0 {
        return;
    }
    let info = SigInfo::user(signo, SI_KERNEL, 0);
    for p in m.live_processes().into_iter().filter(|p| p.pgid() == pgrp) {
        send_to_process(m, &p, info, false);
    }
}

/// A new host descriptor for the slave of the master `f` (TIOCGPTPEER),
/// with `flags` (O_CLOEXEC is the guest's business: the host one always
/// has it).
pub(crate) fn open_peer(f: &OpenFile, flags: u64) -> SysResult<OpenFile> {
    let n = host_number(f)?;
    let host_flags = flags | libc::O_CLOEXEC as u64 | O_NOCTTY as u64;
    let fd = host::ioctl_new_fd(f.host_fd()?, TIOCGPTPEER, host_flags)?;
    Ok(OpenFile::host(fd, slave_path(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slave_numbers_are_canonical_decimal() {
        assert_eq!(slave_number(b"/dev/pts/0"), Some(0));
        assert_eq!(slave_number(b"/dev/pts/17"), Some(17));
        for bad in [&b"/dev/pts/"[..], b"/dev/pts/01", b"/dev/pts/ptmx", b"/dev/pts/1/x", b"/dev/tty1", b"/dev/pts/-1"]
        {
            assert_eq!(slave_number(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(slave_number(b"/dev/pts/99999999999"), None);
        assert_eq!(slave_path(3), b"/dev/pts/3");
    }
}
