//! Signal dispositions, masks, pending queues and default actions (the
//! numbers, flags and `siginfo_t` are `abi::signal`'s).

use crate::abi::signal::*;
use crate::errno::{Errno, SysResult};
use std::sync::atomic::{AtomicU64, Ordering};

/// A disposition is the kernel's `struct sigaction`, as rt_sigaction
/// passes it.
pub(crate) use crate::abi::types::KernelSigaction as SigAction;

pub(crate) type SigSet = u64;

/// The bit for signal `signo` (1-based) in a sigset.
pub(crate) fn sigbit(signo: i32) -> SigSet {
    1u64 << (signo - 1)
}

/// SIGKILL and SIGSTOP can never be blocked.
pub(crate) const UNBLOCKABLE: SigSet = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

pub(crate) fn signal_name(signo: i32) -> String {
    const NAMES: [&str; SIGRTMIN as usize] = [
        "0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match signo {
        1..SIGRTMIN => NAMES[signo as usize].to_string(),
        SIGRTMIN..=SIGRTMAX => format!("SIGRT{}", signo - SIGRTMIN),
        _ => format!("signal {signo}"),
    }
}

/// Per-process signal dispositions.
#[derive(Clone, Debug)]
pub(crate) struct SigActions {
    actions: [SigAction; NSIG],
}

impl Default for SigActions {
    fn default() -> Self {
        SigActions { actions: [SigAction::default(); NSIG] }
    }
}

impl SigActions {
    pub(crate) fn get(&self, signo: i32) -> SigAction {
        self.actions[(signo - 1) as usize]
    }

    pub(crate) fn set(&mut self, signo: i32, act: SigAction) -> SysResult<()> {
        if signo == SIGKILL || signo == SIGSTOP {
            return Err(Errno::EINVAL);
        }
        self.actions[(signo - 1) as usize] = act;
        Ok(())
    }
}

/// What happens to a process when a signal with SIG_DFL arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DefaultAction {
    Terminate,
    /// Terminate, and a real kernel would dump core.
    Core,
    Ignore,
    Stop,
    Continue,
}

pub(crate) fn default_action(signo: i32) -> DefaultAction {
    match signo {
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGCONT => DefaultAction::Continue,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ | SIGSYS => {
            DefaultAction::Core
        }
        _ => DefaultAction::Terminate,
    }
}

/// The part of `siginfo_t` nommu fills in (the rest is zero).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    /// si_pid / si_uid (kill, SIGCHLD), or si_addr (faults): the union's
    /// first words.
    pub pid: i32,
    pub uid: u32,
    /// SIGCHLD: si_status; sigqueue: si_value (low word).
    pub status: i32,
    pub addr: u64,
    /// sigqueue's si_value (pointer-sized).
    pub value: u64,
    /// SIGCHLD: user and system time in clock ticks.
    pub utime: i64,
    pub stime: i64,
    /// SEGV_PKUERR: the protection key of the page hit (`--isolate`).
    pub pkey: u32,
}

impl SigInfo {
    pub(crate) fn user(signo: i32, code: i32, pid: i32) -> SigInfo {
        SigInfo { signo, code, pid, ..Default::default() }
    }

    pub(crate) fn fault(signo: i32, code: i32, addr: u64) -> SigInfo {
        SigInfo { signo, code, addr, ..Default::default() }
    }

    pub(crate) fn is_fault(&self) -> bool {
        matches!(self.signo, SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGTRAP) && self.code > 0
    }

    /// The `siginfo_t` a guest reads: the fault layout for faults, the
    /// SIGCHLD one for SIGCHLD, else kill's with sigqueue's value.
    pub(crate) fn to_user(self) -> Siginfo {
        let mut info = if self.is_fault() {
            Siginfo::fault(
                self.signo,
                self.code,
                SiFault { si_addr: self.addr, si_pkey: self.pkey, ..Default::default() },
            )
        } else if self.signo == SIGCHLD {
            let chld = SiChld {
                si_pid: self.pid,
                si_uid: self.uid,
                si_status: self.status,
                si_utime: self.utime,
                si_stime: self.stime,
                ..Default::default()
            };
            Siginfo::chld(self.signo, self.code, chld)
        } else {
            Siginfo::rt(self.signo, self.code, SiRt { si_pid: self.pid, si_uid: self.uid, si_value: self.value })
        };
        info.si_errno = self.errno;
        info
    }

    /// What rt_sigqueueinfo passes in: kill's fields and sigqueue's value.
    pub(crate) fn from_user(info: &Siginfo) -> SigInfo {
        let rt = info.rt_fields();
        SigInfo {
            signo: info.si_signo,
            errno: info.si_errno,
            code: info.si_code,
            pid: rt.si_pid,
            uid: rt.si_uid,
            value: rt.si_value,
            ..Default::default()
        }
    }
}

/// Pending signals: standard signals are a set (one instance each), real-
/// time signals queue.
#[derive(Clone, Debug, Default)]
pub(crate) struct SigQueue {
    entries: Vec<SigInfo>,
}

/// Bumped after every change that can give a task something to do on its
/// way back into guest code: a signal queued, a group exit or a stop begun
/// or ended. (A task's own mask change forgets what it saw instead.) A task that saw the current value and found
/// nothing to do can skip `deliver`'s locks (the fast path of every
/// syscall); any later change moves the value on and sends it the slow way.
static SIGNAL_EPOCH: AtomicU64 = AtomicU64::new(0);

pub(crate) fn signal_epoch() -> u64 {
    SIGNAL_EPOCH.load(Ordering::Acquire)
}

pub(crate) fn bump_signal_epoch() {
    SIGNAL_EPOCH.fetch_add(1, Ordering::AcqRel);
}

impl SigQueue {
    pub(crate) fn set(&self) -> SigSet {
        self.entries.iter().fold(0, |s, i| s | sigbit(i.signo))
    }

    /// Adds a signal; a standard signal already pending is not queued twice.
    /// Returns whether it was queued (whether the target has news).
    pub(crate) fn push(&mut self, info: SigInfo) -> bool {
        if info.signo < SIGRTMIN && self.entries.iter().any(|e| e.signo == info.signo) {
            return false;
        }
        self.entries.push(info);
        bump_signal_epoch();
        true
    }

    /// Removes and returns the lowest-numbered pending signal not in `mask`
    /// (synchronous faults first, as Linux does).
    pub(crate) fn take(&mut self, mask: SigSet) -> Option<SigInfo> {
        let pick = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| mask & sigbit(e.signo) == 0)
            .min_by_key(|(_, e)| (!e.is_fault(), e.signo))
            .map(|(i, _)| i)?;
        Some(self.entries.remove(pick))
    }

    /// Drops every pending instance of the signals in `set`.
    pub(crate) fn discard(&mut self, set: SigSet) {
        self.entries.retain(|e| set & sigbit(e.signo) == 0);
    }
}

/// sigaltstack state of a task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u64,
    pub flags: i32,
    pub size: u64,
}

impl AltStack {
    pub(crate) fn disabled() -> AltStack {
        AltStack { sp: 0, flags: SS_DISABLE, size: 0 }
    }

    pub(crate) fn contains(&self, sp: u64) -> bool {
        self.flags & SS_DISABLE == 0 && sp > self.sp && sp <= self.sp + self.size
    }
}
