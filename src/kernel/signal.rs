//! Signal numbers, actions, masks, pending queues and default actions.

use crate::errno::{Errno, SysResult};
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) const NSIG: usize = 64;
pub(crate) const SIGKILL: i32 = 9;
pub(crate) const SIGSTOP: i32 = 19;

/// Kernel `struct sigaction` for rt_sigaction on x86-64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

pub(crate) type SigSet = u64;

/// The bit for signal `signo` (1-based) in a sigset.
pub(crate) fn sigbit(signo: i32) -> SigSet {
    1u64 << (signo - 1)
}

/// SIGKILL and SIGSTOP can never be blocked.
pub(crate) const UNBLOCKABLE: SigSet = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

pub(crate) fn signal_name(signo: i32) -> String {
    const NAMES: [&str; 32] = [
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
        1..=31 => NAMES[signo as usize].to_string(),
        32..=64 => format!("SIGRT{}", signo - 32),
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

pub(crate) const SIGQUIT: i32 = 3;
pub(crate) const SIGILL: i32 = 4;
pub(crate) const SIGTRAP: i32 = 5;
pub(crate) const SIGABRT: i32 = 6;
pub(crate) const SIGBUS: i32 = 7;
pub(crate) const SIGFPE: i32 = 8;
pub(crate) const SIGSEGV: i32 = 11;
pub(crate) const SIGPIPE: i32 = 13;
pub(crate) const SIGALRM: i32 = 14;
pub(crate) const SIGCHLD: i32 = 17;
pub(crate) const SIGCONT: i32 = 18;
pub(crate) const SIGTSTP: i32 = 20;
pub(crate) const SIGTTIN: i32 = 21;
pub(crate) const SIGTTOU: i32 = 22;
pub(crate) const SIGURG: i32 = 23;
pub(crate) const SIGXCPU: i32 = 24;
pub(crate) const SIGXFSZ: i32 = 25;
pub(crate) const SIGWINCH: i32 = 28;
pub(crate) const SIGSYS: i32 = 31;
pub(crate) const SIGRTMIN: i32 = 32;

pub(crate) const SIG_DFL: u64 = 0;
pub(crate) const SIG_IGN: u64 = 1;

pub(crate) const SA_NOCLDSTOP: u64 = 0x1;
pub(crate) const SA_NOCLDWAIT: u64 = 0x2;
pub(crate) const SA_ONSTACK: u64 = 0x0800_0000;
pub(crate) const SA_RESTART: u64 = 0x1000_0000;
pub(crate) const SA_NODEFER: u64 = 0x4000_0000;
pub(crate) const SA_RESETHAND: u64 = 0x8000_0000;

// si_code values.
pub(crate) const SI_USER: i32 = 0;
pub(crate) const SI_KERNEL: i32 = 0x80;
pub(crate) const SI_TKILL: i32 = -6;
pub(crate) const CLD_EXITED: i32 = 1;
pub(crate) const CLD_KILLED: i32 = 2;
pub(crate) const CLD_DUMPED: i32 = 3;
pub(crate) const CLD_STOPPED: i32 = 5;
pub(crate) const CLD_CONTINUED: i32 = 6;

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

    /// The 128-byte `siginfo_t` for x86-64.
    pub(crate) fn to_bytes(self) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&self.signo.to_le_bytes());
        b[4..8].copy_from_slice(&self.errno.to_le_bytes());
        b[8..12].copy_from_slice(&self.code.to_le_bytes());
        if self.is_fault() {
            b[16..24].copy_from_slice(&self.addr.to_le_bytes());
        } else if self.signo == SIGCHLD {
            b[16..20].copy_from_slice(&self.pid.to_le_bytes());
            b[20..24].copy_from_slice(&self.uid.to_le_bytes());
            b[24..28].copy_from_slice(&self.status.to_le_bytes());
            b[32..40].copy_from_slice(&self.utime.to_le_bytes());
            b[40..48].copy_from_slice(&self.stime.to_le_bytes());
        } else {
            b[16..20].copy_from_slice(&self.pid.to_le_bytes());
            b[20..24].copy_from_slice(&self.uid.to_le_bytes());
            b[24..32].copy_from_slice(&self.value.to_le_bytes());
        }
        b
    }

    /// Reads what rt_sigqueueinfo passes in.
    pub(crate) fn from_bytes(b: &[u8; 128]) -> SigInfo {
        let i32_at = |o: usize| i32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        SigInfo {
            signo: i32_at(0),
            errno: i32_at(4),
            code: i32_at(8),
            pid: i32_at(16),
            uid: i32_at(20) as u32,
            value: u64::from_le_bytes(b[24..32].try_into().unwrap()),
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

pub(crate) const SS_ONSTACK: i32 = 1;
pub(crate) const SS_DISABLE: i32 = 2;
pub(crate) const SS_AUTODISARM: i32 = 1 << 31;

impl AltStack {
    pub(crate) fn disabled() -> AltStack {
        AltStack { sp: 0, flags: SS_DISABLE, size: 0 }
    }

    pub(crate) fn contains(&self, sp: u64) -> bool {
        self.flags & SS_DISABLE == 0 && sp > self.sp && sp <= self.sp + self.size
    }
}
