//! Signal numbers, actions and masks (the state; delivery comes with the
//! processes work).

use crate::errno::{Errno, SysResult};

pub const NSIG: usize = 64;
pub const SIGKILL: i32 = 9;
pub const SIGSTOP: i32 = 19;

/// Kernel `struct sigaction` for rt_sigaction on x86-64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

pub type SigSet = u64;

/// The bit for signal `signo` (1-based) in a sigset.
pub fn sigbit(signo: i32) -> SigSet {
    1u64 << (signo - 1)
}

/// SIGKILL and SIGSTOP can never be blocked.
pub const UNBLOCKABLE: SigSet = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

pub fn check_signo(signo: u64) -> SysResult<i32> {
    if (1..=NSIG as u64).contains(&signo) {
        Ok(signo as i32)
    } else {
        Err(Errno::EINVAL)
    }
}

pub fn signal_name(signo: i32) -> String {
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
pub struct SigActions {
    actions: [SigAction; NSIG],
}

impl Default for SigActions {
    fn default() -> Self {
        SigActions { actions: [SigAction::default(); NSIG] }
    }
}

impl SigActions {
    pub fn get(&self, signo: i32) -> SigAction {
        self.actions[(signo - 1) as usize]
    }

    pub fn set(&mut self, signo: i32, act: SigAction) -> SysResult<()> {
        if signo == SIGKILL || signo == SIGSTOP {
            return Err(Errno::EINVAL);
        }
        self.actions[(signo - 1) as usize] = act;
        Ok(())
    }
}
