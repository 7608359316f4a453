//! Signals as x86-64 Linux defines them for user space: <asm/signal.h>
//! (numbers, `sa_flags`, `sigaltstack` flags, `stack_t`),
//! <asm-generic/signal-defs.h> (`how` of sigprocmask, SIG_DFL/SIG_IGN) and
//! <asm-generic/siginfo.h> (`si_code`s and `siginfo_t`).

/// Signals there are (`_NSIG`): the kernel's sigset is one 64-bit word.
pub const NSIG: usize = 64;
/// `sizeof(sigset_t)` as the kernel takes it (rt_sig* `sigsetsize`).
pub const SIGSET_SIZE: usize = NSIG / 8;

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGABRT: i32 = 6;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGKILL: i32 = 9;
pub const SIGUSR1: i32 = 10;
pub const SIGSEGV: i32 = 11;
pub const SIGUSR2: i32 = 12;
pub const SIGPIPE: i32 = 13;
pub const SIGALRM: i32 = 14;
pub const SIGTERM: i32 = 15;
pub const SIGSTKFLT: i32 = 16;
pub const SIGCHLD: i32 = 17;
pub const SIGCONT: i32 = 18;
pub const SIGSTOP: i32 = 19;
pub const SIGTSTP: i32 = 20;
pub const SIGTTIN: i32 = 21;
pub const SIGTTOU: i32 = 22;
pub const SIGURG: i32 = 23;
pub const SIGXCPU: i32 = 24;
pub const SIGXFSZ: i32 = 25;
pub const SIGVTALRM: i32 = 26;
pub const SIGPROF: i32 = 27;
pub const SIGWINCH: i32 = 28;
pub const SIGIO: i32 = 29;
pub const SIGPWR: i32 = 30;
pub const SIGSYS: i32 = 31;
/// The kernel's first real-time signal (C libraries keep the first few
/// for themselves and call a later one SIGRTMIN).
pub const SIGRTMIN: i32 = 32;
pub const SIGRTMAX: i32 = 64;

/// `how` of rt_sigprocmask.
pub const SIG_BLOCK: i32 = 0;
pub const SIG_UNBLOCK: i32 = 1;
pub const SIG_SETMASK: i32 = 2;

/// `sa_handler` values that are not handlers.
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

/// `sa_flags`.
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
pub const SA_SIGINFO: u64 = 0x0000_0004;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// `ss_flags` of sigaltstack.
pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
pub const SS_AUTODISARM: i32 = i32::MIN;
/// The smallest alternate stack sigaltstack takes.
pub const MINSIGSTKSZ: u64 = 2048;
pub const SIGSTKSZ: u64 = 8192;

/// `si_code`s any signal may carry: who sent it.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TIMER: i32 = -2;
pub const SI_MESGQ: i32 = -3;
pub const SI_ASYNCIO: i32 = -4;
pub const SI_SIGIO: i32 = -5;
pub const SI_TKILL: i32 = -6;

/// `si_code`s of SIGILL.
pub const ILL_ILLOPC: i32 = 1;
pub const ILL_ILLOPN: i32 = 2;
pub const ILL_ILLADR: i32 = 3;
pub const ILL_ILLTRP: i32 = 4;
pub const ILL_PRVOPC: i32 = 5;
pub const ILL_PRVREG: i32 = 6;
pub const ILL_COPROC: i32 = 7;
pub const ILL_BADSTK: i32 = 8;

/// `si_code`s of SIGFPE.
pub const FPE_INTDIV: i32 = 1;
pub const FPE_INTOVF: i32 = 2;
pub const FPE_FLTDIV: i32 = 3;
pub const FPE_FLTOVF: i32 = 4;
pub const FPE_FLTUND: i32 = 5;
pub const FPE_FLTRES: i32 = 6;
pub const FPE_FLTINV: i32 = 7;
pub const FPE_FLTSUB: i32 = 8;

/// `si_code`s of SIGSEGV.
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const SEGV_BNDERR: i32 = 3;
pub const SEGV_PKUERR: i32 = 4;

/// `si_code`s of SIGBUS.
pub const BUS_ADRALN: i32 = 1;
pub const BUS_ADRERR: i32 = 2;
pub const BUS_OBJERR: i32 = 3;
pub const BUS_MCEERR_AR: i32 = 4;
pub const BUS_MCEERR_AO: i32 = 5;

/// `si_code`s of SIGTRAP.
pub const TRAP_BRKPT: i32 = 1;
pub const TRAP_TRACE: i32 = 2;
pub const TRAP_BRANCH: i32 = 3;
pub const TRAP_HWBKPT: i32 = 4;

/// `si_code`s of SIGCHLD.
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_TRAPPED: i32 = 4;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

/// `si_code`s of SIGPOLL (SIGIO).
pub const POLL_IN: i32 = 1;
pub const POLL_OUT: i32 = 2;
pub const POLL_MSG: i32 = 3;
pub const POLL_ERR: i32 = 4;
pub const POLL_PRI: i32 = 5;
pub const POLL_HUP: i32 = 6;

/// `si_code`s of SIGSYS: which mechanism trapped the syscall.
pub const SYS_SECCOMP: i32 = 1;
pub const SYS_USER_DISPATCH: i32 = 2;

/// `stack_t`: an alternate signal stack (sigaltstack, `uc_stack`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigaltstack {
    pub ss_sp: u64,
    pub ss_flags: i32,
    pub __pad: i32,
    pub ss_size: u64,
}

/// `_sifields._kill`: kill, tkill and the kernel's own signals.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiKill {
    pub si_pid: i32,
    pub si_uid: u32,
}

/// `_sifields._rt`: sigqueue (the value is `union sigval`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiRt {
    pub si_pid: i32,
    pub si_uid: u32,
    pub si_value: u64,
}

/// `_sifields._sigchld`; the times are in clock ticks.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiChld {
    pub si_pid: i32,
    pub si_uid: u32,
    pub si_status: i32,
    pub __pad: i32,
    pub si_utime: i64,
    pub si_stime: i64,
}

/// `_sifields._sigfault`: SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP. What
/// follows the address depends on the code (`si_addr_lsb` for BUS_MCEERR_*,
/// `si_pkey` for SEGV_PKUERR).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiFault {
    pub si_addr: u64,
    pub si_addr_lsb: i16,
    pub __pad: [u16; 3],
    pub si_pkey: u32,
    pub __pad2: u32,
}

/// `_sifields._sigpoll`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiPoll {
    pub si_band: i64,
    pub si_fd: i32,
    pub __pad: i32,
}

/// `_sifields._sigsys`: a syscall seccomp or Syscall User Dispatch trapped.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiSys {
    pub si_call_addr: u64,
    pub si_syscall: i32,
    pub si_arch: u32,
}

/// Two 32-bit fields sharing one little-endian word of `__sifields`.
const fn pair(lo: u32, hi: u32) -> u64 {
    lo as u64 | (hi as u64) << 32
}

const fn halves(w: u64) -> (u32, u32) {
    (w as u32, (w >> 32) as u32)
}

/// One layout of `union __sifields`, kept as the union's words: a
/// `Siginfo` holds the 112 bytes as `[u64; 14]`, and each layout says how
/// it sits in them (x86-64 is little-endian), so no union and no
/// reinterpreting read is needed.
trait SiLayout: Sized {
    fn to_words(self, w: &mut [u64; 14]);
    fn from_words(w: &[u64; 14]) -> Self;
}

impl SiLayout for SiKill {
    fn to_words(self, w: &mut [u64; 14]) {
        w[0] = pair(self.si_pid as u32, self.si_uid);
    }
    fn from_words(w: &[u64; 14]) -> Self {
        let (pid, uid) = halves(w[0]);
        SiKill { si_pid: pid as i32, si_uid: uid }
    }
}

impl SiLayout for SiRt {
    fn to_words(self, w: &mut [u64; 14]) {
        w[0] = pair(self.si_pid as u32, self.si_uid);
        w[1] = self.si_value;
    }
    fn from_words(w: &[u64; 14]) -> Self {
        let (pid, uid) = halves(w[0]);
        SiRt { si_pid: pid as i32, si_uid: uid, si_value: w[1] }
    }
}

impl SiLayout for SiChld {
    fn to_words(self, w: &mut [u64; 14]) {
        w[0] = pair(self.si_pid as u32, self.si_uid);
        w[1] = pair(self.si_status as u32, self.__pad as u32);
        w[2] = self.si_utime as u64;
        w[3] = self.si_stime as u64;
    }
    fn from_words(w: &[u64; 14]) -> Self {
        let ((pid, uid), (status, pad)) = (halves(w[0]), halves(w[1]));
        let (si_utime, si_stime) = (w[2] as i64, w[3] as i64);
        SiChld { si_pid: pid as i32, si_uid: uid, si_status: status as i32, __pad: pad as i32, si_utime, si_stime }
    }
}

impl SiLayout for SiFault {
    fn to_words(self, w: &mut [u64; 14]) {
        let [p0, p1, p2] = self.__pad.map(u64::from);
        w[0] = self.si_addr;
        w[1] = u64::from(self.si_addr_lsb as u16) | p0 << 16 | p1 << 32 | p2 << 48;
        w[2] = pair(self.si_pkey, self.__pad2);
    }
    fn from_words(w: &[u64; 14]) -> Self {
        let (si_pkey, __pad2) = halves(w[2]);
        let __pad = [(w[1] >> 16) as u16, (w[1] >> 32) as u16, (w[1] >> 48) as u16];
        SiFault { si_addr: w[0], si_addr_lsb: w[1] as u16 as i16, __pad, si_pkey, __pad2 }
    }
}

impl SiLayout for SiPoll {
    fn to_words(self, w: &mut [u64; 14]) {
        w[0] = self.si_band as u64;
        w[1] = pair(self.si_fd as u32, self.__pad as u32);
    }
    fn from_words(w: &[u64; 14]) -> Self {
        let (fd, pad) = halves(w[1]);
        SiPoll { si_band: w[0] as i64, si_fd: fd as i32, __pad: pad as i32 }
    }
}

impl SiLayout for SiSys {
    fn to_words(self, w: &mut [u64; 14]) {
        w[0] = self.si_call_addr;
        w[1] = pair(self.si_syscall as u32, self.si_arch);
    }
    fn from_words(w: &[u64; 14]) -> Self {
        let (syscall, arch) = halves(w[1]);
        SiSys { si_call_addr: w[0], si_syscall: syscall as i32, si_arch: arch }
    }
}

/// x86-64 `siginfo_t` (128 bytes): the three ints, then `__sifields`,
/// which is 8-byte aligned. The fields are private so that they are only
/// ever set whole, in one layout, by the constructors.
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Siginfo {
    pub si_signo: i32,
    pub si_errno: i32,
    pub si_code: i32,
    pub __pad0: i32,
    sifields: [u64; 14],
}

impl Siginfo {
    fn with(si_signo: i32, si_code: i32, layout: impl SiLayout) -> Siginfo {
        let mut info = Siginfo { si_signo, si_code, ..Default::default() };
        layout.to_words(&mut info.sifields);
        info
    }

    pub fn kill(si_signo: i32, si_code: i32, kill: SiKill) -> Siginfo {
        Siginfo::with(si_signo, si_code, kill)
    }

    pub fn rt(si_signo: i32, si_code: i32, rt: SiRt) -> Siginfo {
        Siginfo::with(si_signo, si_code, rt)
    }

    pub fn chld(si_signo: i32, si_code: i32, chld: SiChld) -> Siginfo {
        Siginfo::with(si_signo, si_code, chld)
    }

    pub fn fault(si_signo: i32, si_code: i32, fault: SiFault) -> Siginfo {
        Siginfo::with(si_signo, si_code, fault)
    }

    pub fn poll(si_signo: i32, si_code: i32, poll: SiPoll) -> Siginfo {
        Siginfo::with(si_signo, si_code, poll)
    }

    pub fn sys(si_signo: i32, si_code: i32, sys: SiSys) -> Siginfo {
        Siginfo::with(si_signo, si_code, sys)
    }

    pub fn raw(&self) -> [u64; 14] {
        self.sifields
    }

    pub fn kill_fields(&self) -> SiKill {
        SiKill::from_words(&self.sifields)
    }

    pub fn rt_fields(&self) -> SiRt {
        SiRt::from_words(&self.sifields)
    }

    pub fn chld_fields(&self) -> SiChld {
        SiChld::from_words(&self.sifields)
    }

    pub fn fault_fields(&self) -> SiFault {
        SiFault::from_words(&self.sifields)
    }

    pub fn poll_fields(&self) -> SiPoll {
        SiPoll::from_words(&self.sifields)
    }

    pub fn sys_fields(&self) -> SiSys {
        SiSys::from_words(&self.sifields)
    }
}

impl std::fmt::Debug for Siginfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Siginfo")
            .field("si_signo", &self.si_signo)
            .field("si_errno", &self.si_errno)
            .field("si_code", &self.si_code)
            .field("sifields", &self.raw())
            .finish()
    }
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<Sigaltstack>() == 24);
    assert!(offset_of!(Sigaltstack, ss_size) == 16);
    assert!(size_of::<SiChld>() == 32);
    assert!(offset_of!(SiChld, si_utime) == 16);
    assert!(size_of::<SiFault>() == 24);
    assert!(offset_of!(SiFault, si_addr_lsb) == 8);
    assert!(offset_of!(SiFault, si_pkey) == 16);
    assert!(size_of::<SiRt>() == 16);
    assert!(size_of::<SiPoll>() == 16);
    assert!(size_of::<SiSys>() == 16);
    assert!(size_of::<Siginfo>() == 128);
    assert!(offset_of!(Siginfo, sifields) == 16);
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The union's layouts sit where Linux's do: word 0 is bytes 16..24 of
    /// `siginfo_t`, and so on (little-endian halves).
    #[test]
    fn siginfo_layouts() {
        let chld = SiChld { si_pid: 7, si_uid: 8, si_status: 9, si_utime: 10, si_stime: 11, ..Default::default() };
        let chld = Siginfo::chld(SIGCHLD, CLD_EXITED, chld);
        assert_eq!(chld.raw()[..4], [0x8_0000_0007, 9, 10, 11]);
        let rt = Siginfo::rt(SIGUSR1, SI_QUEUE, SiRt { si_pid: 3, si_uid: 4, si_value: 5 });
        assert_eq!(rt.raw()[..2], [0x4_0000_0003, 5]);
        let fault = SiFault { si_addr: 0x1000, si_addr_lsb: 12, si_pkey: 2, ..Default::default() };
        let fault = Siginfo::fault(SIGSEGV, SEGV_PKUERR, fault);
        assert_eq!(fault.raw()[..3], [0x1000, 12, 2]);
        let sys = Siginfo::sys(SIGSYS, SYS_SECCOMP, SiSys { si_call_addr: 1, si_syscall: 2, si_arch: 3 });
        assert_eq!(sys.raw()[..2], [1, 0x3_0000_0002]);
        let poll = Siginfo::poll(SIGIO, POLL_IN, SiPoll { si_band: 1, si_fd: 2, ..Default::default() });
        assert_eq!(poll.raw()[..2], [1, 2]);
    }

    /// What a layout writes, it reads back, pads included.
    #[test]
    fn siginfo_layouts_round_trip() {
        let chld = SiChld { si_pid: -7, si_uid: 8, si_status: -9, __pad: 1, si_utime: -10, si_stime: 11 };
        assert_eq!(Siginfo::chld(SIGCHLD, CLD_EXITED, chld).chld_fields(), chld);
        let fault = SiFault { si_addr: 0x1000, si_addr_lsb: -12, __pad: [1, 2, 3], si_pkey: 2, __pad2: 4 };
        assert_eq!(Siginfo::fault(SIGSEGV, SEGV_PKUERR, fault).fault_fields(), fault);
        let sys = SiSys { si_call_addr: u64::MAX, si_syscall: -2, si_arch: 0xc000_003e };
        assert_eq!(Siginfo::sys(SIGSYS, SYS_SECCOMP, sys).sys_fields(), sys);
        let poll = SiPoll { si_band: -1, si_fd: -2, __pad: 3 };
        assert_eq!(Siginfo::poll(SIGIO, POLL_IN, poll).poll_fields(), poll);
        let rt = SiRt { si_pid: -3, si_uid: u32::MAX, si_value: 5 };
        assert_eq!(Siginfo::rt(SIGUSR1, SI_QUEUE, rt).rt_fields(), rt);
        let kill = SiKill { si_pid: 1, si_uid: 2 };
        assert_eq!(Siginfo::kill(SIGTERM, SI_USER, kill).kill_fields(), kill);
    }
}
