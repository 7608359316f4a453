//! The syscall table: number → name, argument kinds, handler. It doubles
//! as the list of what nommu supports (README, "Syscalls").

use super::args::SyscallArg;
use super::args::*;
use super::{
    chroot, event, file, futex, info, ipc, mem, mount, net, path, poll, process, signal, spawn, syslog, time, wait,
    xattr, Args, Handler,
};
use super::{SyscallCtx, SyscallReturn};
use crate::errno::SysResult;

/// How an argument is shown by `--trace` (and which are paths: `%file`).
/// Each argument type of `args` names one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    Int,
    Hex,
    /// A mode, in octal.
    Oct,
    /// A descriptor (AT_FDCWD by name).
    Fd,
    Ptr,
    /// A path or other NUL-terminated string.
    Str,
    Len,
    Flags,
    Signal,
    /// Bytes the caller passes in; the next argument is the length.
    InBuf,
    /// Bytes the kernel fills in; the return value is the length.
    OutBuf,
    /// Like OutBuf, with a terminating NUL the return value counts.
    OutBufNul,
    OpenFlags,
    AtFlags,
    Prot,
    MapFlags,
    /// struct stat the kernel fills in.
    Stat,
    /// A timespec the kernel fills in (shown after the call).
    Timespec,
    /// A timespec the caller passes in (shown before the call).
    TimespecIn,
    /// A sigaction the kernel fills in.
    Sigaction,
    /// A sigaction the caller passes in.
    SigactionIn,
    /// A signal set the kernel fills in.
    SigSetPtr,
    /// A signal set the caller passes in.
    SigSetIn,
    /// An iovec array the kernel fills; the next argument is the count.
    Iovec,
    /// An iovec array the kernel reads from.
    IovecIn,
    PipeFds,
    /// argv.
    StrArray,
    /// envp: shown as how many variables.
    EnvArray,
    /// A socket address passed in; the next argument is its length.
    SockAddr,
    /// A socket address filled in; the next argument points to its length.
    SockAddrOut,
    SockDomain,
    SockType,
    /// A `socklen_t` the kernel reads and updates.
    SockLen,
    /// An epoll_event passed in.
    EpollEvent,
    /// epoll_events filled in; the return value is how many.
    EpollEvents,
    /// An itimerspec passed in.
    ItimerspecIn,
    /// An itimerspec filled in.
    Itimerspec,
    /// A futex(2) operation with its flags.
    FutexOp,
    /// mount(2) flags.
    MountFlags,
    /// umount2(2) flags.
    UmountFlags,
}

/// How `--trace` shows what a syscall returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ret {
    Int,
    /// An address (mmap, brk, mremap), in hex.
    Addr,
}

pub(crate) struct SyscallDef {
    pub nr: u64,
    pub name: &'static str,
    /// The parameters' names, as the table declares them.
    pub params: &'static [&'static str],
    /// How each parameter is shown.
    pub args: &'static [Arg],
    pub ret: Ret,
    pub handler: Handler,
}

/// The table: `NR name(param: Type, ...) [-> Ret] => handler;`. The
/// macro makes each entry's `Handler`, which turns the registers into the
/// declared types and calls the handler with them.
macro_rules! syscalls {
    ($($nr:literal $name:ident $params:tt $(-> $ret:ident)? => $handler:path;)*) => {
        pub(crate) static SYSCALLS: &[SyscallDef] = &[
            $(syscall_def!($nr, $name, $params, [$($ret)?], $handler),)*
        ];
    };
}

macro_rules! syscall_def {
    ($nr:literal, $name:ident, ($($p:ident : $t:ty),* $(,)?), [$($ret:ident)?], $handler:path) => {
        SyscallDef {
            nr: $nr,
            name: stringify!($name),
            params: &[$(stringify!($p)),*],
            args: &[$(<$t as SyscallArg>::SHOW),*],
            ret: ret_kind!($($ret)?),
            handler: {
                // A syscall without parameters reads no register.
                #[allow(unused_variables)]
                fn entry(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult<SyscallReturn> {
                    typed_call!($handler, ctx, a, [0 1 2 3 4 5], [] $(, $t)*)
                }
                entry
            },
        }
    };
}

/// Calls `$h` with each declared type made from the next register; more
/// than six parameters do not match and fail the build.
macro_rules! typed_call {
    ($h:path, $ctx:ident, $a:ident, [$i:tt $($is:tt)*], [$($done:expr),*], $t:ty $(, $ts:ty)*) => {
        typed_call!($h, $ctx, $a, [$($is)*], [$($done,)* <$t as SyscallArg>::from_reg($a[$i])] $(, $ts)*)
    };
    ($h:path, $ctx:ident, $a:ident, [$($is:tt)*], [$($done:expr),*]) => {
        $h($ctx $(, $done)*).map(Into::into)
    };
}

macro_rules! ret_kind {
    () => {
        Ret::Int
    };
    ($r:ident) => {
        Ret::$r
    };
}

syscalls! {
    0 read(fd: Fd, buf: UserPtr<OutBytes>, count: usize) => file::sys_read;
    1 write(fd: Fd, buf: UserPtr<InBytes>, count: usize) => file::sys_write;
    2 open(pathname: UserPtr<CStr>, flags: OpenFlags, mode: Mode) => path::sys_open;
    3 close(fd: Fd) => file::sys_close;
    4 stat(pathname: UserPtr<CStr>, statbuf: UserPtr<StatBuf>) => path::sys_stat;
    5 fstat(fd: Fd, statbuf: UserPtr<StatBuf>) => file::sys_fstat;
    6 lstat(pathname: UserPtr<CStr>, statbuf: UserPtr<StatBuf>) => path::sys_lstat;
    7 poll(fds: UserPtr<Opaque>, nfds: u32, timeout_ms: i32) => poll::sys_poll;
    8 lseek(fd: Fd, offset: i64, whence: i32) => file::sys_lseek;
    9 mmap(addr: UserPtr<Opaque>, length: usize, prot: Prot, flags: MapFlags, fd: Fd, offset: u64) -> Addr => mem::sys_mmap;
    10 mprotect(addr: UserPtr<Opaque>, len: usize, prot: ProtLong) => mem::sys_mprotect;
    11 munmap(addr: UserPtr<Opaque>, length: usize) => mem::sys_munmap;
    12 brk(brk: UserPtr<Opaque>) -> Addr => mem::sys_brk;
    13 rt_sigaction(sig: Signal, act: UserPtr<SigactionIn>, oact: UserPtr<SigactionOut>, sigsetsize: usize) => signal::sys_rt_sigaction;
    15 rt_sigreturn() => signal::sys_rt_sigreturn;
    14 rt_sigprocmask(how: i32, set: UserPtr<SigSetIn>, oset: UserPtr<SigSetOut>, sigsetsize: usize) => signal::sys_rt_sigprocmask;
    16 ioctl(fd: Fd, request: u64, arg: u64) => file::sys_ioctl;
    17 pread64(fd: Fd, buf: UserPtr<OutBytes>, count: usize, offset: i64) => file::sys_pread64;
    18 pwrite64(fd: Fd, buf: UserPtr<InBytes>, count: usize, offset: i64) => file::sys_pwrite64;
    19 readv(fd: Fd, iov: UserPtr<IovecOut>, iovcnt: i32) => file::sys_readv;
    20 writev(fd: Fd, iov: UserPtr<IovecIn>, iovcnt: i32) => file::sys_writev;
    21 access(pathname: UserPtr<CStr>, mode: IntFlags) => path::sys_access;
    22 pipe(fds: UserPtr<PipeFds>) => file::sys_pipe;
    23 select(nfds: i32, readfds: UserPtr<Opaque>, writefds: UserPtr<Opaque>, exceptfds: UserPtr<Opaque>, tvp: UserPtr<Opaque>) => poll::sys_select;
    24 sched_yield() => process::sys_sched_yield;
    25 mremap(old_address: UserPtr<Opaque>, old_size: usize, new_size: usize, flags: Flags, new_address: UserPtr<Opaque>) -> Addr => mem::sys_mremap;
    26 msync(addr: UserPtr<Opaque>, length: usize, flags: Flags) => mem::sys_msync;
    28 madvise(addr: UserPtr<Opaque>, length: usize, advice: i32) => mem::sys_madvise;
    29 shmget(key: IpcKey, size: usize, shmflg: Mode) => ipc::shm::sys_shmget;
    30 shmat(shmid: i32, shmaddr: UserPtr<Opaque>, shmflg: Flags) -> Addr => ipc::shm::sys_shmat;
    31 shmctl(shmid: i32, cmd: i32, buf: UserPtr<Opaque>) => ipc::shm::sys_shmctl;
    32 dup(oldfd: Fd) => file::sys_dup;
    33 dup2(oldfd: Fd, newfd: Fd) => file::sys_dup2;
    35 nanosleep(request: UserPtr<TimespecIn>, remain: UserPtr<Opaque>) => time::sys_nanosleep;
    34 pause() => signal::sys_pause;
    36 getitimer(which: i32, curr_value: UserPtr<Opaque>) => time::sys_getitimer;
    37 alarm(seconds: u32) => time::sys_alarm;
    38 setitimer(which: i32, new_value: UserPtr<Opaque>, old_value: UserPtr<Opaque>) => time::sys_setitimer;
    39 getpid() => process::sys_getpid;
    40 sendfile(out_fd: Fd, in_fd: Fd, offset: UserPtr<Opaque>, count: usize) => file::sys_sendfile;
    41 socket(domain: SockDomain, type_: SockType, protocol: i32) => net::sys_socket;
    42 connect(sockfd: Fd, addr: UserPtr<SockAddrIn>, addrlen: u32) => net::sys_connect;
    43 accept(sockfd: Fd, addr: UserPtr<SockAddrOut>, addrlen: UserPtr<SockLen>) => net::sys_accept;
    44 sendto(sockfd: Fd, buf: UserPtr<InBytes>, len: usize, flags: IntFlags, dest_addr: UserPtr<SockAddrIn>, addrlen: u32) => net::sys_sendto;
    45 recvfrom(sockfd: Fd, buf: UserPtr<OutBytes>, len: usize, flags: IntFlags, src_addr: UserPtr<SockAddrOut>, addrlen: UserPtr<SockLen>) => net::sys_recvfrom;
    46 sendmsg(sockfd: Fd, msg: UserPtr<Opaque>, flags: IntFlags) => net::sys_sendmsg;
    47 recvmsg(sockfd: Fd, msg: UserPtr<Opaque>, flags: IntFlags) => net::sys_recvmsg;
    48 shutdown(sockfd: Fd, how: i32) => net::sys_shutdown;
    49 bind(sockfd: Fd, addr: UserPtr<SockAddrIn>, addrlen: u32) => net::sys_bind;
    50 listen(sockfd: Fd, backlog: i32) => net::sys_listen;
    51 getsockname(sockfd: Fd, addr: UserPtr<SockAddrOut>, addrlen: UserPtr<SockLen>) => net::sys_getsockname;
    52 getpeername(sockfd: Fd, addr: UserPtr<SockAddrOut>, addrlen: UserPtr<SockLen>) => net::sys_getpeername;
    53 socketpair(domain: SockDomain, type_: SockType, protocol: i32, sv: UserPtr<PipeFds>) => net::sys_socketpair;
    54 setsockopt(sockfd: Fd, level: i32, optname: i32, optval: UserPtr<InBytes>, optlen: u32) => net::sys_setsockopt;
    55 getsockopt(sockfd: Fd, level: i32, optname: i32, optval: UserPtr<Opaque>, optlen: UserPtr<SockLen>) => net::sys_getsockopt;
    56 clone(flags: Flags, stack: UserPtr<Opaque>, parent_tid: UserPtr<Opaque>, child_tid: UserPtr<Opaque>, tls: u64) => spawn::sys_clone;
    57 fork() => spawn::sys_fork;
    58 vfork() => spawn::sys_vfork;
    59 execve(path: UserPtr<CStr>, argv: UserPtr<Argv>, envp: UserPtr<Envp>) => spawn::sys_execve;
    60 exit(status: i32) => process::sys_exit;
    61 wait4(pid: Pid, wstatus: UserPtr<Opaque>, options: Flags, rusage: UserPtr<Opaque>) => wait::sys_wait4;
    62 kill(pid: Pid, sig: Signal) => signal::sys_kill;
    63 uname(buf: UserPtr<Opaque>) => info::sys_uname;
    64 semget(key: IpcKey, nsems: i32, semflg: Mode) => ipc::sem::sys_semget;
    65 semop(semid: i32, sops: UserPtr<Opaque>, nsops: u32) => ipc::sem::sys_semop;
    66 semctl(semid: i32, semnum: i32, cmd: i32, arg: u64) => ipc::sem::sys_semctl;
    67 shmdt(shmaddr: UserPtr<Opaque>) => ipc::shm::sys_shmdt;
    68 msgget(key: IpcKey, msgflg: Mode) => ipc::msg::sys_msgget;
    69 msgsnd(msqid: i32, msgp: UserPtr<Opaque>, msgsz: usize, msgflg: Flags) => ipc::msg::sys_msgsnd;
    70 msgrcv(msqid: i32, msgp: UserPtr<Opaque>, msgsz: usize, msgtyp: i64, msgflg: Flags) => ipc::msg::sys_msgrcv;
    71 msgctl(msqid: i32, cmd: i32, buf: UserPtr<Opaque>) => ipc::msg::sys_msgctl;
    72 fcntl(fd: Fd, cmd: i32, arg: u64) => file::sys_fcntl;
    73 flock(fd: Fd, operation: i32) => file::sys_flock;
    74 fsync(fd: Fd) => file::sys_fsync;
    75 fdatasync(fd: Fd) => file::sys_fdatasync;
    76 truncate(pathname: UserPtr<CStr>, length: i64) => path::sys_truncate;
    77 ftruncate(fd: Fd, length: i64) => file::sys_ftruncate;
    79 getcwd(buf: UserPtr<OutCStr>, size: usize) => path::sys_getcwd;
    80 chdir(pathname: UserPtr<CStr>) => path::sys_chdir;
    81 fchdir(fd: Fd) => file::sys_fchdir;
    82 rename(oldpath: UserPtr<CStr>, newpath: UserPtr<CStr>) => path::sys_rename;
    83 mkdir(pathname: UserPtr<CStr>, mode: Mode) => path::sys_mkdir;
    84 rmdir(pathname: UserPtr<CStr>) => path::sys_rmdir;
    85 creat(pathname: UserPtr<CStr>, mode: Mode) => path::sys_creat;
    86 link(oldpath: UserPtr<CStr>, newpath: UserPtr<CStr>) => path::sys_link;
    87 unlink(pathname: UserPtr<CStr>) => path::sys_unlink;
    88 symlink(target: UserPtr<CStr>, linkpath: UserPtr<CStr>) => path::sys_symlink;
    89 readlink(pathname: UserPtr<CStr>, buf: UserPtr<OutBytes>, bufsiz: usize) => path::sys_readlink;
    90 chmod(pathname: UserPtr<CStr>, mode: Mode) => path::sys_chmod;
    91 fchmod(fd: Fd, mode: Mode) => file::sys_fchmod;
    92 chown(pathname: UserPtr<CStr>, owner: u32, group: u32) => path::sys_chown;
    93 fchown(fd: Fd, owner: u32, group: u32) => file::sys_fchown;
    94 lchown(pathname: UserPtr<CStr>, owner: u32, group: u32) => path::sys_lchown;
    95 umask(mask: Mode) => path::sys_umask;
    96 gettimeofday(tv: UserPtr<Opaque>, tz: UserPtr<Opaque>) => time::sys_gettimeofday;
    98 getrusage(who: i32, usage: UserPtr<Opaque>) => time::sys_getrusage;
    99 sysinfo(info: UserPtr<Opaque>) => info::sys_sysinfo;
    100 times(buf: UserPtr<Opaque>) => time::sys_times;
    102 getuid() => process::sys_getuid;
    103 syslog(action: i32, buf: UserPtr<OutBytes>, len: i32) => syslog::sys_syslog;
    104 getgid() => process::sys_getgid;
    105 setuid(uid: u32) => process::sys_setuid;
    106 setgid(gid: u32) => process::sys_setgid;
    107 geteuid() => process::sys_geteuid;
    108 getegid() => process::sys_getegid;
    109 setpgid(pid: Pid, pgid: Pid) => process::sys_setpgid;
    110 getppid() => process::sys_getppid;
    111 getpgrp() => process::sys_getpgrp;
    113 setreuid(ruid: u32, euid: u32) => process::sys_setreuid;
    114 setregid(rgid: u32, egid: u32) => process::sys_setregid;
    115 getgroups(size: i32, list: UserPtr<Opaque>) => process::sys_getgroups;
    116 setgroups(size: u32, list: UserPtr<Opaque>) => process::sys_setgroups;
    117 setresuid(ruid: u32, euid: u32, suid: u32) => process::sys_setresuid;
    118 getresuid(ruid: UserPtr<Opaque>, euid: UserPtr<Opaque>, suid: UserPtr<Opaque>) => process::sys_getresuid;
    119 setresgid(rgid: u32, egid: u32, sgid: u32) => process::sys_setresgid;
    120 getresgid(rgid: UserPtr<Opaque>, egid: UserPtr<Opaque>, sgid: UserPtr<Opaque>) => process::sys_getresgid;
    112 setsid() => process::sys_setsid;
    121 getpgid(pid: Pid) => process::sys_getpgid;
    122 setfsuid(fsuid: u32) => process::sys_setfsuid;
    123 setfsgid(fsgid: u32) => process::sys_setfsgid;
    124 getsid(pid: Pid) => process::sys_getsid;
    127 rt_sigpending(set: UserPtr<Opaque>, sigsetsize: usize) => signal::sys_rt_sigpending;
    128 rt_sigtimedwait(set: UserPtr<Opaque>, info: UserPtr<Opaque>, timeout: UserPtr<Opaque>, sigsetsize: usize) => signal::sys_rt_sigtimedwait;
    129 rt_sigqueueinfo(pid: Pid, sig: Signal, info: UserPtr<Opaque>) => signal::sys_rt_sigqueueinfo;
    130 rt_sigsuspend(mask: UserPtr<Opaque>, sigsetsize: usize) => signal::sys_rt_sigsuspend;
    131 sigaltstack(ss: UserPtr<Opaque>, old_ss: UserPtr<Opaque>) => signal::sys_sigaltstack;
    133 mknod(pathname: UserPtr<CStr>, mode: u32, dev: u32) => path::sys_mknod;
    137 statfs(pathname: UserPtr<CStr>, buf: UserPtr<Opaque>) => path::sys_statfs;
    138 fstatfs(fd: Fd, buf: UserPtr<Opaque>) => file::sys_fstatfs;
    143 sched_getparam(pid: Pid, param: UserPtr<Opaque>) => info::sys_sched_getparam;
    144 sched_setscheduler(pid: Pid, policy: u32, param: UserPtr<Opaque>) => info::sys_sched_setscheduler;
    145 sched_getscheduler(pid: Pid) => info::sys_sched_getscheduler;
    146 sched_get_priority_max(policy: i32) => info::sys_sched_get_priority_max;
    147 sched_get_priority_min(policy: i32) => info::sys_sched_get_priority_min;
    149 mlock(addr: UserPtr<Opaque>, len: usize) => mem::sys_mlock;
    150 munlock(addr: UserPtr<Opaque>, len: usize) => mem::sys_munlock;
    157 prctl(option: i32, arg2: u64, arg3: u64, arg4: u64, arg5: u64) => process::sys_prctl;
    158 arch_prctl(code: u32, addr: u64) => process::sys_arch_prctl;
    165 mount(source: UserPtr<CStr>, target: UserPtr<CStr>, fstype: UserPtr<CStr>, flags: MountFlags, data: UserPtr<CStr>) => mount::sys_mount;
    166 umount2(target: UserPtr<CStr>, flags: UmountFlags) => mount::sys_umount2;
    169 reboot(magic: u32, magic2: u32, cmd: u32, arg: UserPtr<Opaque>) => process::sys_reboot;
    161 chroot(pathname: UserPtr<CStr>) => chroot::sys_chroot;
    162 sync() => info::sys_sync;
    170 sethostname(name: UserPtr<CStr>, len: usize) => info::sys_sethostname;
    171 setdomainname(name: UserPtr<CStr>, len: usize) => info::sys_setdomainname;
    186 gettid() => process::sys_gettid;
    188 setxattr(path: UserPtr<CStr>, name: UserPtr<CStr>, value: UserPtr<Opaque>, size: usize, flags: IntFlags) => xattr::sys_setxattr;
    189 lsetxattr(path: UserPtr<CStr>, name: UserPtr<CStr>, value: UserPtr<Opaque>, size: usize, flags: IntFlags) => xattr::sys_lsetxattr;
    190 fsetxattr(fd: Fd, name: UserPtr<CStr>, value: UserPtr<Opaque>, size: usize, flags: IntFlags) => xattr::sys_fsetxattr;
    191 getxattr(path: UserPtr<CStr>, name: UserPtr<CStr>, value: UserPtr<Opaque>, size: usize) => xattr::sys_getxattr;
    192 lgetxattr(path: UserPtr<CStr>, name: UserPtr<CStr>, value: UserPtr<Opaque>, size: usize) => xattr::sys_lgetxattr;
    193 fgetxattr(fd: Fd, name: UserPtr<CStr>, value: UserPtr<Opaque>, size: usize) => xattr::sys_fgetxattr;
    194 listxattr(path: UserPtr<CStr>, list: UserPtr<Opaque>, size: usize) => xattr::sys_listxattr;
    195 llistxattr(path: UserPtr<CStr>, list: UserPtr<Opaque>, size: usize) => xattr::sys_llistxattr;
    196 flistxattr(fd: Fd, list: UserPtr<Opaque>, size: usize) => xattr::sys_flistxattr;
    197 removexattr(path: UserPtr<CStr>, name: UserPtr<CStr>) => xattr::sys_removexattr;
    198 lremovexattr(path: UserPtr<CStr>, name: UserPtr<CStr>) => xattr::sys_lremovexattr;
    199 fremovexattr(fd: Fd, name: UserPtr<CStr>) => xattr::sys_fremovexattr;
    200 tkill(tid: Pid, sig: Signal) => signal::sys_tkill;
    201 time(tloc: UserPtr<Opaque>) => time::sys_time;
    202 futex(uaddr: UserPtr<Opaque>, op: FutexOp, val: u32, utime: UserPtr<Opaque>, uaddr2: UserPtr<Opaque>, val3: u32) => futex::sys_futex;
    203 sched_setaffinity(pid: Pid, len: u32, mask: UserPtr<Opaque>) => info::sys_sched_setaffinity;
    204 sched_getaffinity(pid: Pid, len: u32, mask: UserPtr<Opaque>) => info::sys_sched_getaffinity;
    213 epoll_create(size: i32) => event::sys_epoll_create;
    217 getdents64(fd: Fd, dirent: UserPtr<Opaque>, count: usize) => file::sys_getdents64;
    218 set_tid_address(tidptr: UserPtr<Opaque>) => process::sys_set_tid_address;
    220 semtimedop(semid: i32, sops: UserPtr<Opaque>, nsops: u32, timeout: UserPtr<TimespecIn>) => ipc::sem::sys_semtimedop;
    221 fadvise64(fd: Fd, offset: i64, len: i64, advice: i32) => xattr::sys_fadvise64;
    228 clock_gettime(clock: i32, tp: UserPtr<TimespecOut>) => time::sys_clock_gettime;
    229 clock_getres(clock: i32, res: UserPtr<Opaque>) => time::sys_clock_getres;
    230 clock_nanosleep(clock: i32, flags: Flags, request: UserPtr<TimespecIn>, remain: UserPtr<Opaque>) => time::sys_clock_nanosleep;
    231 exit_group(status: i32) => process::sys_exit_group;
    232 epoll_wait(epfd: Fd, events: UserPtr<EpollEventsOut>, maxevents: i32, timeout: i32) => event::sys_epoll_wait;
    233 epoll_ctl(epfd: Fd, op: i32, fd: Fd, event: UserPtr<EpollEventIn>) => event::sys_epoll_ctl;
    234 tgkill(tgid: Pid, tid: Pid, sig: Signal) => signal::sys_tgkill;
    247 waitid(idtype: i32, id: Pid, infop: UserPtr<Opaque>, options: Flags, rusage: UserPtr<Opaque>) => wait::sys_waitid;
    253 inotify_init() => event::sys_inotify_init;
    254 inotify_add_watch(fd: Fd, pathname: UserPtr<CStr>, mask: IntFlags) => event::sys_inotify_add_watch;
    255 inotify_rm_watch(fd: Fd, wd: i32) => event::sys_inotify_rm_watch;
    257 openat(dirfd: Fd, pathname: UserPtr<CStr>, flags: OpenFlags, mode: Mode) => path::sys_openat;
    258 mkdirat(dirfd: Fd, pathname: UserPtr<CStr>, mode: Mode) => path::sys_mkdirat;
    259 mknodat(dirfd: Fd, pathname: UserPtr<CStr>, mode: u32, dev: u32) => path::sys_mknodat;
    260 fchownat(dirfd: Fd, pathname: UserPtr<CStr>, owner: u32, group: u32, flags: IntFlags) => path::sys_fchownat;
    262 newfstatat(dirfd: Fd, pathname: UserPtr<CStr>, statbuf: UserPtr<StatBuf>, flags: AtFlags) => path::sys_newfstatat;
    263 unlinkat(dirfd: Fd, pathname: UserPtr<CStr>, flags: AtFlags) => path::sys_unlinkat;
    264 renameat(olddirfd: Fd, oldpath: UserPtr<CStr>, newdirfd: Fd, newpath: UserPtr<CStr>) => path::sys_renameat;
    265 linkat(olddirfd: Fd, oldpath: UserPtr<CStr>, newdirfd: Fd, newpath: UserPtr<CStr>, flags: IntFlags) => path::sys_linkat;
    266 symlinkat(target: UserPtr<CStr>, newdirfd: Fd, linkpath: UserPtr<CStr>) => path::sys_symlinkat;
    267 readlinkat(dirfd: Fd, pathname: UserPtr<CStr>, buf: UserPtr<OutBytes>, bufsiz: usize) => path::sys_readlinkat;
    268 fchmodat(dirfd: Fd, pathname: UserPtr<CStr>, mode: Mode) => path::sys_fchmodat;
    269 faccessat(dirfd: Fd, pathname: UserPtr<CStr>, mode: i32) => path::sys_faccessat;
    270 pselect6(nfds: i32, readfds: UserPtr<Opaque>, writefds: UserPtr<Opaque>, exceptfds: UserPtr<Opaque>, tsp: UserPtr<Opaque>, sigmask_and_size: UserPtr<Opaque>) => poll::sys_pselect6;
    271 ppoll(fds: UserPtr<Opaque>, nfds: u32, tsp: UserPtr<Opaque>, sigmask: UserPtr<Opaque>, sigsetsize: usize) => poll::sys_ppoll;
    273 set_robust_list(head: UserPtr<Opaque>, len: usize) => process::sys_set_robust_list;
    274 get_robust_list(pid: Pid, head_ptr: UserPtr<Opaque>, len_ptr: UserPtr<Opaque>) => process::sys_get_robust_list;
    280 utimensat(dirfd: Fd, pathname: UserPtr<CStr>, times: UserPtr<Opaque>, flags: AtFlags) => path::sys_utimensat;
    281 epoll_pwait(epfd: Fd, events: UserPtr<EpollEventsOut>, maxevents: i32, timeout: i32, sigmask: UserPtr<SigSetIn>, sigsetsize: usize) => event::sys_epoll_pwait;
    282 signalfd(fd: Fd, mask: UserPtr<SigSetIn>, sizemask: usize) => event::sys_signalfd;
    283 timerfd_create(clockid: i32, flags: IntFlags) => event::sys_timerfd_create;
    284 eventfd(count: u32) => event::sys_eventfd;
    285 fallocate(fd: Fd, mode: i32, offset: i64, len: i64) => file::sys_fallocate;
    286 timerfd_settime(fd: Fd, flags: IntFlags, new_value: UserPtr<ItimerspecIn>, old_value: UserPtr<ItimerspecOut>) => event::sys_timerfd_settime;
    287 timerfd_gettime(fd: Fd, curr_value: UserPtr<ItimerspecOut>) => event::sys_timerfd_gettime;
    288 accept4(sockfd: Fd, addr: UserPtr<SockAddrOut>, addrlen: UserPtr<SockLen>, flags: SockType) => net::sys_accept4;
    289 signalfd4(fd: Fd, mask: UserPtr<SigSetIn>, sizemask: usize, flags: IntFlags) => event::sys_signalfd4;
    290 eventfd2(count: u32, flags: IntFlags) => event::sys_eventfd2;
    291 epoll_create1(flags: IntFlags) => event::sys_epoll_create1;
    292 dup3(oldfd: Fd, newfd: Fd, flags: IntFlags) => file::sys_dup3;
    293 pipe2(fds: UserPtr<PipeFds>, flags: OpenFlags) => file::sys_pipe2;
    294 inotify_init1(flags: IntFlags) => event::sys_inotify_init1;
    295 preadv(fd: Fd, iov: UserPtr<Opaque>, iovcnt: i32, offset: i64) => file::sys_preadv;
    296 pwritev(fd: Fd, iov: UserPtr<Opaque>, iovcnt: i32, offset: i64) => file::sys_pwritev;
    297 rt_tgsigqueueinfo(tgid: Pid, tid: Pid, sig: Signal, info: UserPtr<Opaque>) => signal::sys_rt_tgsigqueueinfo;
    302 prlimit64(pid: Pid, resource: u32, new_limit: UserPtr<Opaque>, old_limit: UserPtr<Opaque>) => info::sys_prlimit64;
    299 recvmmsg(sockfd: Fd, msgvec: UserPtr<Opaque>, vlen: u32, flags: IntFlags, timeout: UserPtr<TimespecIn>) => net::sys_recvmmsg;
    306 syncfs(fd: Fd) => info::sys_syncfs;
    307 sendmmsg(sockfd: Fd, msgvec: UserPtr<Opaque>, vlen: u32, flags: IntFlags) => net::sys_sendmmsg;
    309 getcpu(cpu: UserPtr<Opaque>, node: UserPtr<Opaque>, cache: UserPtr<Opaque>) => info::sys_getcpu;
    316 renameat2(olddirfd: Fd, oldpath: UserPtr<CStr>, newdirfd: Fd, newpath: UserPtr<CStr>, flags: IntFlags) => path::sys_renameat2;
    318 getrandom(buf: UserPtr<Opaque>, count: usize, flags: IntFlags) => info::sys_getrandom;
    319 memfd_create(name: UserPtr<CStr>, flags: IntFlags) => ipc::sys_memfd_create;
    322 execveat(dirfd: Fd, path: UserPtr<CStr>, argv: UserPtr<Argv>, envp: UserPtr<Envp>, flags: AtFlags) => spawn::sys_execveat;
    324 membarrier(cmd: i32, flags: IntFlags, cpu_id: i32) => info::sys_membarrier;
    325 mlock2(addr: UserPtr<Opaque>, len: usize, flags: Flags) => mem::sys_mlock2;
    326 copy_file_range(fd_in: Fd, off_in: UserPtr<Opaque>, fd_out: Fd, off_out: UserPtr<Opaque>, len: usize, flags: IntFlags) => file::sys_copy_file_range;
    332 statx(dirfd: Fd, pathname: UserPtr<CStr>, flags: IntFlags, mask: u64, statxbuf: UserPtr<Opaque>) => path::sys_statx;
    435 clone3(uargs: UserPtr<Opaque>, size: usize) => spawn::sys_clone3;
    439 faccessat2(dirfd: Fd, pathname: UserPtr<CStr>, mode: IntFlags, flags: IntFlags) => path::sys_faccessat2;
    441 epoll_pwait2(epfd: Fd, events: UserPtr<EpollEventsOut>, maxevents: i32, timeout: UserPtr<TimespecIn>, sigmask: UserPtr<SigSetIn>, sigsetsize: usize) => event::sys_epoll_pwait2;
    452 fchmodat2(dirfd: Fd, pathname: UserPtr<CStr>, mode: u64, flags: IntFlags) => path::sys_fchmodat2;
}

/// Syscalls that return ENOSYS on purpose, with the reason; libcs probe
/// these and cope, so they are not worth a warning.
pub(crate) const DELIBERATELY_UNSUPPORTED: &[(u64, &str)] =
    &[(334, "rseq needs the kernel to rewrite guest registers on preemption; libcs fall back")];

pub(crate) fn deliberately_unsupported(nr: u64) -> Option<&'static str> {
    DELIBERATELY_UNSUPPORTED.iter().find(|(n, _)| *n == nr).map(|(_, why)| *why)
}

/// Number of slots in the dispatch array; also the sled length.
pub(crate) const TABLE_LEN: usize = crate::arch::trampoline::SLED_LEN;

/// Definitions by number, built at compile time (a duplicate number fails
/// the build).
static BY_NUMBER: [Option<&SyscallDef>; TABLE_LEN] = {
    let mut t: [Option<&SyscallDef>; TABLE_LEN] = [None; TABLE_LEN];
    let mut i = 0;
    while i < SYSCALLS.len() {
        let def = &SYSCALLS[i];
        assert!(t[def.nr as usize].is_none(), "a syscall is listed twice");
        t[def.nr as usize] = Some(def);
        i += 1;
    }
    t
};

/// The definition for syscall `nr`, if nommu implements it.
#[inline]
pub(crate) fn lookup(nr: u64) -> Option<&'static SyscallDef> {
    BY_NUMBER.get(nr as usize).copied().flatten()
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
