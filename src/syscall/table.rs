//! The syscall table: number → name, argument kinds, handler. It doubles
//! as the list of what nommu supports (README, "Syscalls").

use super::{fs, info, mem, process, signal, time, Handler};
use std::sync::OnceLock;

/// How an argument is shown (trace) and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    Int,
    Hex,
    Fd,
    Ptr,
    Str,
    Len,
    Flags,
    Signal,
}

pub struct SyscallDef {
    pub nr: u64,
    pub name: &'static str,
    pub args: &'static [Arg],
    pub handler: Handler,
}

use Arg::*;

macro_rules! syscalls {
    ($($nr:literal $name:ident ($($arg:ident),*) => $handler:path;)*) => {
        pub static SYSCALLS: &[SyscallDef] = &[
            $(SyscallDef { nr: $nr, name: stringify!($name), args: &[$($arg),*], handler: $handler },)*
        ];
    };
}

syscalls! {
    0 read(Fd, Ptr, Len) => fs::sys_read;
    1 write(Fd, Ptr, Len) => fs::sys_write;
    3 close(Fd) => fs::sys_close;
    5 fstat(Fd, Ptr) => fs::sys_fstat;
    9 mmap(Ptr, Len, Flags, Flags, Fd, Hex) => mem::sys_mmap;
    10 mprotect(Ptr, Len, Flags) => mem::sys_mprotect;
    11 munmap(Ptr, Len) => mem::sys_munmap;
    12 brk(Ptr) => mem::sys_brk;
    13 rt_sigaction(Signal, Ptr, Ptr, Len) => signal::sys_rt_sigaction;
    14 rt_sigprocmask(Int, Ptr, Ptr, Len) => signal::sys_rt_sigprocmask;
    16 ioctl(Fd, Hex, Hex) => fs::sys_ioctl;
    19 readv(Fd, Ptr, Int) => fs::sys_readv;
    20 writev(Fd, Ptr, Int) => fs::sys_writev;
    22 pipe(Ptr) => fs::sys_pipe;
    24 sched_yield() => process::sys_sched_yield;
    25 mremap(Ptr, Len, Len, Flags, Ptr) => mem::sys_mremap;
    28 madvise(Ptr, Len, Int) => mem::sys_madvise;
    32 dup(Fd) => fs::sys_dup;
    33 dup2(Fd, Fd) => fs::sys_dup2;
    39 getpid() => process::sys_getpid;
    60 exit(Int) => process::sys_exit;
    63 uname(Ptr) => info::sys_uname;
    96 gettimeofday(Ptr, Ptr) => time::sys_gettimeofday;
    102 getuid() => process::sys_getuid;
    104 getgid() => process::sys_getgid;
    107 geteuid() => process::sys_geteuid;
    108 getegid() => process::sys_getegid;
    110 getppid() => process::sys_getppid;
    158 arch_prctl(Hex, Hex) => process::sys_arch_prctl;
    186 gettid() => process::sys_gettid;
    201 time(Ptr) => time::sys_time;
    204 sched_getaffinity(Int, Len, Ptr) => info::sys_sched_getaffinity;
    218 set_tid_address(Ptr) => process::sys_set_tid_address;
    228 clock_gettime(Int, Ptr) => time::sys_clock_gettime;
    229 clock_getres(Int, Ptr) => time::sys_clock_getres;
    231 exit_group(Int) => process::sys_exit_group;
    262 newfstatat(Fd, Str, Ptr, Flags) => fs::sys_newfstatat;
    273 set_robust_list(Ptr, Len) => process::sys_set_robust_list;
    274 get_robust_list(Int, Ptr, Ptr) => process::sys_get_robust_list;
    292 dup3(Fd, Fd, Flags) => fs::sys_dup3;
    293 pipe2(Ptr, Flags) => fs::sys_pipe2;
    302 prlimit64(Int, Int, Ptr, Ptr) => info::sys_prlimit64;
    318 getrandom(Ptr, Len, Flags) => info::sys_getrandom;
}

/// Syscalls that return ENOSYS on purpose, with the reason; libcs probe
/// these and cope, so they are not worth a warning.
pub const DELIBERATELY_UNSUPPORTED: &[(u64, &str)] =
    &[(334, "rseq needs the kernel to rewrite guest registers on preemption; libcs fall back")];

pub fn deliberately_unsupported(nr: u64) -> Option<&'static str> {
    DELIBERATELY_UNSUPPORTED.iter().find(|(n, _)| *n == nr).map(|(_, why)| *why)
}

/// Number of slots in the dispatch array; also the sled length.
pub const TABLE_LEN: usize = crate::arch::trampoline::SLED_LEN;

/// The definition for syscall `nr`, if nommu implements it.
pub fn lookup(nr: u64) -> Option<&'static SyscallDef> {
    static BY_NUMBER: OnceLock<Vec<Option<&'static SyscallDef>>> = OnceLock::new();
    let table = BY_NUMBER.get_or_init(|| {
        let mut t = vec![None; TABLE_LEN];
        for def in SYSCALLS {
            assert!(t[def.nr as usize].is_none(), "syscall {} listed twice", def.nr);
            t[def.nr as usize] = Some(def);
        }
        t
    });
    table.get(nr as usize).copied().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_linux_numbers() {
        for def in SYSCALLS {
            assert_eq!(crate::syscall::names::syscall_name(def.nr), Some(def.name), "syscall {}", def.nr);
            assert!(def.args.len() <= 6);
        }
        assert!(lookup(39).is_some());
        assert!(lookup(334).is_none()); // rseq: ENOSYS on purpose
        assert!(lookup(100_000).is_none());
    }
}
