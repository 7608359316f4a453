//! Safe wrappers for the few host syscalls the kernel needs that std does
//! not offer. Buffers here are host memory; guest memory goes through
//! `mm::uaccess`.

use crate::abi::fcntl::{RESOLVE_BENEATH, RESOLVE_IN_ROOT};
use crate::abi::ioctl::{TCGETS, TCSETSW};
use crate::abi::mount::Statfs;
use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

fn check(rc: libc::c_long) -> std::io::Result<libc::c_long> {
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// How a host call that can wait indefinitely (opening a FIFO, taking a
/// file lock) waits. `Interruptible` only on a vCPU thread: a kick of the
/// thread (a guest signal, the process ending) ends the wait with EINTR,
/// even one that arrived just before the call started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    Uninterruptible,
    Interruptible,
}

/// A raw host syscall, waiting as asked.
///
/// # Safety
/// As for `syscall(2)`: the arguments must be valid for `nr`.
#[inline]
pub(crate) unsafe fn call(nr: libc::c_long, a: [u64; 6], wait: Wait) -> std::io::Result<libc::c_long> {
    // SAFETY: forwarded from the caller.
    let rc = unsafe { raw_waiting(nr, a, wait) };
    if rc < 0 {
        Err(std::io::Error::from_raw_os_error(-rc as i32))
    } else {
        Ok(rc)
    }
}

/// `call`'s raw form: the kernel's return, -errno on failure.
///
/// # Safety
/// As for `syscall(2)`: the arguments must be valid for `nr`.
#[inline]
pub(crate) unsafe fn raw_waiting(nr: libc::c_long, a: [u64; 6], wait: Wait) -> libc::c_long {
    match wait {
        // SAFETY: forwarded from the caller.
        Wait::Uninterruptible => unsafe { raw(nr, a) },
        // SAFETY: forwarded from the caller.
        Wait::Interruptible => unsafe { super::isyscall::interruptible_syscall(nr, a) },
    }
}

/// A host syscall with the `syscall` instruction itself: no libc wrapper
/// (musl's `syscall()` is variadic and goes through errno), the kernel's
/// own return (-errno on failure). Host code runs with Syscall User
/// Dispatch's selector at ALLOW, so the instruction may be anywhere.
///
/// # Safety
/// As for `syscall(2)`: the arguments must be valid for `nr`.
#[inline]
pub(crate) unsafe fn raw(nr: libc::c_long, a: [u64; 6]) -> libc::c_long {
    let rc: libc::c_long;
    // SAFETY: the caller vouches for the arguments; the kernel clobbers only
    // rax, rcx and r11, and uses no stack of ours.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") nr => rc,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], in("r10") a[3], in("r8") a[4], in("r9") a[5],
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        )
    };
    rc
}

/// An ioctl whose argument is a buffer the host kernel fills or reads.
pub(crate) fn ioctl_buf(fd: RawFd, request: u32, buf: &mut [u8]) -> std::io::Result<i32> {
    // SAFETY: `buf` is a valid host buffer sized by the caller for `request`.
    let rc = unsafe { libc::ioctl(fd, request as _, buf.as_mut_ptr()) };
    check(rc as libc::c_long).map(|r| r as i32)
}

/// An ioctl whose argument is an integer.
pub(crate) fn ioctl_int(fd: RawFd, request: u32, arg: u64) -> std::io::Result<i32> {
    // SAFETY: the request takes its argument by value.
    let rc = unsafe { libc::ioctl(fd, request as _, arg) };
    check(rc as libc::c_long).map(|r| r as i32)
}

/// An ioctl that returns a new descriptor (TIOCGPTPEER), which the
/// caller then owns.
pub(crate) fn ioctl_new_fd(fd: RawFd, request: u32, arg: u64) -> std::io::Result<OwnedFd> {
    // SAFETY: the request takes its argument by value.
    owned(check(unsafe { libc::ioctl(fd, request as _, arg) } as libc::c_long))
}

pub(crate) fn clock_gettime(clock: i32) -> std::io::Result<(i64, i64)> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid out-pointer.
    check(unsafe { libc::clock_gettime(clock, &mut ts) } as libc::c_long)?;
    Ok((ts.tv_sec, ts.tv_nsec))
}

/// The calling thread's CPU time: (user µs, system µs).
pub(crate) fn thread_rusage() -> (u64, u64) {
    let mut ru = unsafe_zeroed_rusage();
    // SAFETY: ru is a valid out-pointer; RUSAGE_THREAD has no other needs.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    let us = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    (us(ru.ru_utime), us(ru.ru_stime))
}

/// utime and stime of another host thread of this process, in clock ticks
/// (from the host's /proc: getrusage reports only on the calling thread).
pub(crate) fn thread_times(host_tid: i32) -> (u64, u64) {
    if host_tid == 0 {
        return (0, 0);
    }
    let Ok(stat) = std::fs::read_to_string(format!("/proc/self/task/{host_tid}/stat")) else {
        return (0, 0);
    };
    let after_comm = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after_comm.split_whitespace().collect();
    let get = |i: usize| f.get(i).and_then(|v| v.parse().ok()).unwrap_or(0);
    (get(11), get(12))
}

pub(crate) fn clock_getres(clock: i32) -> std::io::Result<(i64, i64)> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid out-pointer.
    check(unsafe { libc::clock_getres(clock, &mut ts) } as libc::c_long)?;
    Ok((ts.tv_sec, ts.tv_nsec))
}

/// posix_fadvise(2) on a host descriptor.
pub(crate) fn fadvise(fd: RawFd, offset: i64, len: i64, advice: i32) -> std::io::Result<()> {
    // SAFETY: advice only; no memory is passed.
    match unsafe { libc::posix_fadvise(fd, offset, len, advice) } {
        0 => Ok(()),
        e => Err(std::io::Error::from_raw_os_error(e)),
    }
}

pub(crate) fn getrlimit(resource: u32) -> std::io::Result<(u64, u64)> {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: r is a valid out-pointer.
    check(unsafe { libc::getrlimit(resource as _, &mut r) } as libc::c_long)?;
    Ok((r.rlim_cur, r.rlim_max))
}

/// The host CPU affinity mask of host thread `tid`, as raw bytes.
pub(crate) fn sched_getaffinity_of(tid: i32, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: raw syscall writing at most buf.len() bytes into buf.
    let rc = unsafe { libc::syscall(libc::SYS_sched_getaffinity, tid, buf.len(), buf.as_mut_ptr()) };
    check(rc).map(|r| r as usize)
}

pub(crate) struct Uname {
    pub nodename: Vec<u8>,
    pub release: Vec<u8>,
    pub version: Vec<u8>,
    pub domainname: Vec<u8>,
}

pub(crate) fn uname() -> std::io::Result<Uname> {
    // SAFETY: zeroed utsname is valid; uname fills it with NUL-terminated strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: u is a valid out-pointer.
    check(unsafe { libc::uname(&mut u) } as libc::c_long)?;
    let field = |f: &[libc::c_char]| f.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect::<Vec<u8>>();
    Ok(Uname {
        nodename: field(&u.nodename),
        release: field(&u.release),
        version: field(&u.version),
        domainname: field(&u.domainname),
    })
}

/// pipe2(2); the host ends are always close-on-exec (guest close-on-exec is
/// tracked in the guest's descriptor table).
pub(crate) fn pipe2(flags: i32) -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: fds is a valid out-array of two ints.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), flags | libc::O_CLOEXEC) } as libc::c_long)?;
    // SAFETY: pipe2 just returned these two fresh descriptors; we own them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

// ---- files -------------------------------------------------------------

fn owned(rc: std::io::Result<libc::c_long>) -> std::io::Result<OwnedFd> {
    let fd = rc? as RawFd;
    // SAFETY: the syscall just returned this fresh descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// memfd_create(2) with the guest's flags; the result is always
/// close-on-exec on the host.
pub(crate) fn memfd_create(name: &CStr, flags: u32) -> std::io::Result<OwnedFd> {
    // SAFETY: name is a NUL-terminated string that outlives the call.
    owned(check(unsafe { libc::syscall(libc::SYS_memfd_create, name.as_ptr(), flags | libc::MFD_CLOEXEC) }))
}

#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// How often a scoped lookup raced by host mount or rename changes is
/// made again before its EAGAIN is let through.
const SCOPED_LOOKUP_ATTEMPTS: u32 = 1000;

/// openat2(2); the result is always close-on-exec on the host.
pub(crate) fn openat2(
    dirfd: BorrowedFd<'_>,
    path: &CStr,
    flags: i32,
    mode: u32,
    resolve: u64,
) -> std::io::Result<OwnedFd> {
    openat2_waiting(dirfd.as_raw_fd(), path, flags, mode, resolve, Wait::Uninterruptible)
}

/// `openat2`, which may wait (a FIFO waits for its other end).
pub(crate) fn openat2_waiting(
    dirfd: RawFd,
    path: &CStr,
    flags: i32,
    mode: u32,
    resolve: u64,
    wait: Wait,
) -> std::io::Result<OwnedFd> {
    let how = OpenHow { flags: (flags | libc::O_CLOEXEC) as u32 as u64, mode: mode as u64, resolve };
    let size = std::mem::size_of::<OpenHow>() as u64;
    let args = [dirfd as i64 as u64, path.as_ptr() as u64, &how as *const OpenHow as u64, size, 0, 0];
    // A scoped lookup (RESOLVE_IN_ROOT, RESOLVE_BENEATH) that climbs with
    // ".." fails with EAGAIN when any mount or rename on the host raced
    // with it; the lookup itself is fine, so it is made again, as openat2(2)
    // says. (A guest's open never fails that way on Linux.) Bounded, with
    // yields, in case mounts change without pause: EAGAIN only then.
    let scoped = resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH) != 0;
    let mut attempts = 0;
    let rc = loop {
        // SAFETY: path is NUL-terminated, how is a valid open_how of the size passed.
        let rc = unsafe { call(libc::SYS_openat2, args, wait) };
        match &rc {
            Err(e) if scoped && e.raw_os_error() == Some(libc::EAGAIN) && attempts < SCOPED_LOOKUP_ATTEMPTS => {
                attempts += 1;
                if attempts % 8 == 0 {
                    std::thread::yield_now();
                }
            }
            _ => break rc,
        }
    };
    #[cfg(feature = "profile-openat")]
    if rc.as_ref().is_err_and(|e| e.raw_os_error() == Some(libc::ENOSYS)) {
        // Profiling only (valgrind 3.19 does not know openat2): a plain
        // openat, without the resolve flags' containment.
        let args = [args[0], args[1], how.flags, how.mode, 0, 0];
        // SAFETY: as above.
        return owned(unsafe { call(libc::SYS_openat, args, wait) });
    }
    owned(rc)
}

/// open(2) of a host path chosen by nommu itself (devices, /proc/self/fd/N).
pub(crate) fn open(path: &CStr, flags: i32, mode: u32) -> std::io::Result<OwnedFd> {
    open_waiting(path, flags, mode, Wait::Uninterruptible)
}

/// `open`, which may wait (a FIFO waits for its other end).
pub(crate) fn open_waiting(path: &CStr, flags: i32, mode: u32, wait: Wait) -> std::io::Result<OwnedFd> {
    openat_waiting(libc::AT_FDCWD, path, flags, mode, wait)
}

/// openat(2) of `path` from `dirfd` (or `AT_FDCWD`), which may wait (a
/// FIFO waits for its other end); the result is always close-on-exec.
pub(crate) fn openat_waiting(dirfd: RawFd, path: &CStr, flags: i32, mode: u32, wait: Wait) -> std::io::Result<OwnedFd> {
    // A raw openat: musl's open() follows an O_CLOEXEC open with an
    // fcntl(F_SETFD) for old kernels, one host syscall too many here.
    let args = [dirfd as i64 as u64, path.as_ptr() as u64, (flags | libc::O_CLOEXEC) as u32 as u64, mode as u64, 0, 0];
    // SAFETY: path is NUL-terminated; a bad dirfd is the kernel's EBADF.
    owned(unsafe { call(libc::SYS_openat, args, wait) })
}

/// fstatat(2): the host's `struct stat`, which is the guest's too.
pub(crate) fn fstatat(dirfd: RawFd, path: &CStr, flags: i32) -> std::io::Result<crate::abi::types::Stat> {
    let mut st = crate::abi::types::Stat::default();
    fstatat_into(dirfd, path, flags, &mut st)?;
    Ok(st)
}

/// `fstatat` into the caller's `st` (a 144-byte value is copied with a
/// `memcpy` call at each move, and musl's is a `rep movsq`, slow to start).
pub(crate) fn fstatat_into(
    dirfd: RawFd,
    path: &CStr,
    flags: i32,
    st: &mut crate::abi::types::Stat,
) -> std::io::Result<()> {
    // SAFETY: st is an x86-64 `struct stat` (layout asserted in abi::types);
    // path is NUL-terminated.
    let a = [dirfd as u64, path.as_ptr() as u64, st as *mut _ as u64, flags as u64, 0, 0];
    // SAFETY: as above.
    unsafe { call(libc::SYS_newfstatat, a, Wait::Uninterruptible) }?;
    Ok(())
}

/// statx(2): the host's `struct statx`, which is the guest's too.
pub(crate) fn statx(dirfd: RawFd, path: &CStr, flags: i32, mask: u32) -> std::io::Result<crate::abi::types::Statx> {
    let mut stx = crate::abi::types::Statx::default();
    // SAFETY: stx is a `struct statx` (256 bytes, layout asserted in
    // abi::types); path is NUL-terminated.
    check(unsafe { libc::syscall(libc::SYS_statx, dirfd, path.as_ptr(), flags, mask, &mut stx as *mut _) })?;
    Ok(stx)
}

pub(crate) fn fstatfs(fd: RawFd) -> std::io::Result<Statfs> {
    let mut st = Statfs::default();
    // SAFETY: st is a `struct statfs` (120 bytes, layout asserted in
    // abi::mount), written by the kernel.
    check(unsafe { libc::syscall(libc::SYS_fstatfs, fd, &mut st as *mut Statfs) })?;
    Ok(st)
}

/// A `dev_t` from its major and minor numbers (glibc's encoding).
pub(crate) fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (major as u64, minor as u64);
    ((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff)
}

/// The major and minor numbers of a `dev_t` (glibc's encoding).
pub(crate) fn major_minor(dev: u64) -> (u32, u32) {
    let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff);
    let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0xff);
    (major as u32, minor as u32)
}

/// Is `dir` on a host tmpfs (its pages in memory)?
pub(crate) fn is_tmpfs(dir: &std::path::Path) -> bool {
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else { return false };
    let Ok(fd) = open(&c, libc::O_PATH | libc::O_DIRECTORY, 0) else { return false };
    fstatfs(fd.as_raw_fd()).is_ok_and(|st| st.f_type == crate::abi::magic::TMPFS_MAGIC)
}

pub(crate) fn mkdirat(dirfd: RawFd, name: &CStr, mode: u32) -> std::io::Result<()> {
    // SAFETY: name is NUL-terminated.
    check(unsafe { libc::mkdirat(dirfd, name.as_ptr(), mode) } as libc::c_long).map(drop)
}

pub(crate) fn mknodat(dirfd: RawFd, name: &CStr, mode: u32, dev: u64) -> std::io::Result<()> {
    // SAFETY: name is NUL-terminated.
    check(unsafe { libc::mknodat(dirfd, name.as_ptr(), mode, dev) } as libc::c_long).map(drop)
}

/// getxattr(2) of a host path (following links, so `/proc/self/fd/N`
/// reaches an `O_PATH` descriptor's file): the value's length.
pub(crate) fn getxattr(path: &CStr, name: &CStr, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: both strings are NUL-terminated; buf is writable for its length.
    let n = check(
        unsafe { libc::getxattr(path.as_ptr(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) } as libc::c_long
    )?;
    Ok(n as usize)
}

/// fgetxattr(2): the value's length.
pub(crate) fn fgetxattr(fd: RawFd, name: &CStr, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: name is NUL-terminated; buf is writable for its length.
    let n = check(unsafe { libc::fgetxattr(fd, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) } as libc::c_long)?;
    Ok(n as usize)
}

pub(crate) fn fsetxattr(fd: RawFd, name: &CStr, value: &[u8], flags: i32) -> std::io::Result<()> {
    // SAFETY: name is NUL-terminated; value is readable for its length.
    check(unsafe { libc::fsetxattr(fd, name.as_ptr(), value.as_ptr().cast(), value.len(), flags) } as libc::c_long)
        .map(drop)
}

pub(crate) fn unlinkat(dirfd: RawFd, name: &CStr, flags: i32) -> std::io::Result<()> {
    // SAFETY: name is NUL-terminated.
    check(unsafe { libc::unlinkat(dirfd, name.as_ptr(), flags) } as libc::c_long).map(drop)
}

pub(crate) fn renameat2(olddir: RawFd, old: &CStr, newdir: RawFd, new: &CStr, flags: u32) -> std::io::Result<()> {
    // SAFETY: both names are NUL-terminated.
    check(unsafe { libc::syscall(libc::SYS_renameat2, olddir, old.as_ptr(), newdir, new.as_ptr(), flags) }).map(drop)
}

pub(crate) fn linkat(olddir: RawFd, old: &CStr, newdir: RawFd, new: &CStr, flags: i32) -> std::io::Result<()> {
    // SAFETY: both names are NUL-terminated.
    check(unsafe { libc::linkat(olddir, old.as_ptr(), newdir, new.as_ptr(), flags) } as libc::c_long).map(drop)
}

pub(crate) fn symlinkat(target: &CStr, dirfd: RawFd, name: &CStr) -> std::io::Result<()> {
    // SAFETY: both strings are NUL-terminated.
    check(unsafe { libc::symlinkat(target.as_ptr(), dirfd, name.as_ptr()) } as libc::c_long).map(drop)
}

pub(crate) fn readlinkat(dirfd: RawFd, name: &CStr) -> std::io::Result<Vec<u8>> {
    // On the stack: a 4 KiB heap buffer makes musl's allocator map and
    // unmap a group of its own for every call.
    let mut buf = [0u8; 4096];
    // SAFETY: buf is writable for its length; name is NUL-terminated.
    let n = check(unsafe { libc::readlinkat(dirfd, name.as_ptr(), buf.as_mut_ptr() as *mut libc::c_char, buf.len()) }
        as libc::c_long)?;
    Ok(buf[..(n as usize).min(buf.len())].to_vec())
}

/// Fills `buf` from the host's random source (getrandom(2), no flags:
/// waits for the pool's first initialisation only).
pub(crate) fn getrandom(buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: buf is writable for its length.
    let n = check(unsafe { libc::getrandom(buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) } as libc::c_long)?;
    Ok(n as usize)
}

pub(crate) fn fchmodat(dirfd: RawFd, path: &CStr, mode: u32) -> std::io::Result<()> {
    // SAFETY: path is NUL-terminated.
    check(unsafe { libc::fchmodat(dirfd, path.as_ptr(), mode, 0) } as libc::c_long).map(drop)
}

pub(crate) fn fchownat(dirfd: RawFd, path: &CStr, uid: u32, gid: u32, flags: i32) -> std::io::Result<()> {
    // SAFETY: path is NUL-terminated.
    check(unsafe { libc::fchownat(dirfd, path.as_ptr(), uid, gid, flags) } as libc::c_long).map(drop)
}

pub(crate) fn utimensat(dirfd: RawFd, path: &CStr, times: Option<[(i64, i64); 2]>, flags: i32) -> std::io::Result<()> {
    let ts = times.map(|t| t.map(|(s, ns)| libc::timespec { tv_sec: s, tv_nsec: ns }));
    let p = ts.as_ref().map_or(core::ptr::null(), |t| t.as_ptr());
    // SAFETY: path is NUL-terminated; p is null or two timespecs.
    check(unsafe { libc::utimensat(dirfd, path.as_ptr(), p, flags) } as libc::c_long).map(drop)
}

pub(crate) fn faccessat2(dirfd: RawFd, path: &CStr, mode: i32, flags: i32) -> std::io::Result<()> {
    // SAFETY: path is NUL-terminated.
    check(unsafe { libc::syscall(libc::SYS_faccessat2, dirfd, path.as_ptr(), mode, flags) }).map(drop)
}

pub(crate) fn truncate(path: &CStr, len: i64) -> std::io::Result<()> {
    // SAFETY: path is NUL-terminated.
    check(unsafe { libc::truncate(path.as_ptr(), len) } as libc::c_long).map(drop)
}

pub(crate) fn ftruncate(fd: RawFd, len: i64) -> std::io::Result<()> {
    // SAFETY: plain syscall on a descriptor.
    check(unsafe { libc::ftruncate(fd, len) } as libc::c_long).map(drop)
}

/// fsync, fdatasync, flock, fallocate, lseek, fcntl with integer arguments.
pub(crate) fn fsync(fd: RawFd, data_only: bool) -> std::io::Result<()> {
    // SAFETY: plain syscalls on a descriptor.
    check(unsafe {
        if data_only {
            libc::fdatasync(fd)
        } else {
            libc::fsync(fd)
        }
    } as libc::c_long)
    .map(drop)
}

pub(crate) fn flock(fd: RawFd, op: i32, wait: Wait) -> std::io::Result<()> {
    // SAFETY: plain syscall on a descriptor.
    unsafe { call(libc::SYS_flock, [fd as u64, op as u32 as u64, 0, 0, 0, 0], wait) }.map(drop)
}

pub(crate) fn fallocate(fd: RawFd, mode: i32, off: i64, len: i64) -> std::io::Result<()> {
    // SAFETY: plain syscall on a descriptor.
    check(unsafe { libc::fallocate(fd, mode, off, len) } as libc::c_long).map(drop)
}

pub(crate) fn lseek(fd: RawFd, off: i64, whence: i32) -> std::io::Result<i64> {
    // SAFETY: plain syscall on a descriptor.
    check(unsafe { libc::lseek(fd, off, whence) })
}

pub(crate) fn fcntl_int(fd: RawFd, cmd: i32, arg: i64) -> std::io::Result<i32> {
    // SAFETY: only called with commands whose argument is an integer.
    check(unsafe { libc::fcntl(fd, cmd, arg) } as libc::c_long).map(|r| r as i32)
}

/// fcntl with a `struct flock` (F_GETLK/F_SETLK/F_SETLKW/F_OFD_*).
pub(crate) fn fcntl_lock(fd: RawFd, cmd: i32, lock: &mut [u8; 32], wait: Wait) -> std::io::Result<i32> {
    let args = [fd as u64, cmd as u32 as u64, lock.as_mut_ptr() as u64, 0, 0, 0];
    // SAFETY: lock is a struct flock image (32 bytes on x86-64).
    unsafe { call(libc::SYS_fcntl, args, wait) }.map(|r| r as i32)
}

pub(crate) fn getdents64(fd: RawFd, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: buf is writable for its length.
    check(unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) }).map(|n| n as usize)
}

pub(crate) fn sendfile(
    out: RawFd,
    inp: RawFd,
    off: Option<&mut i64>,
    count: usize,
    wait: Wait,
) -> std::io::Result<usize> {
    let p = off.map_or(core::ptr::null_mut(), |o| o as *mut i64);
    let args = [out as u64, inp as u64, p as u64, count as u64, 0, 0];
    // SAFETY: p is null or a valid i64.
    unsafe { call(libc::SYS_sendfile, args, wait) }.map(|n| n as usize)
}

pub(crate) fn copy_file_range(
    inp: RawFd,
    off_in: Option<&mut i64>,
    out: RawFd,
    off_out: Option<&mut i64>,
    len: usize,
    flags: u32,
) -> std::io::Result<usize> {
    let pi = off_in.map_or(core::ptr::null_mut(), |o| o as *mut i64);
    let po = off_out.map_or(core::ptr::null_mut(), |o| o as *mut i64);
    // SAFETY: the offset pointers are null or valid i64s.
    check(unsafe { libc::syscall(libc::SYS_copy_file_range, inp, pi, out, po, len, flags) }).map(|n| n as usize)
}

/// ppoll(2) on host descriptors; `timeout` None waits forever. A kick of
/// this vCPU thread ends the wait with EINTR.
pub(crate) fn ppoll(fds: &mut [libc::pollfd], timeout: Option<(i64, i64)>) -> std::io::Result<usize> {
    let ts = timeout.map(|(s, ns)| libc::timespec { tv_sec: s, tv_nsec: ns });
    let p = ts.as_ref().map_or(core::ptr::null(), |t| t as *const libc::timespec);
    let args = [fds.as_mut_ptr() as u64, fds.len() as u64, p as u64, 0, 8, 0];
    // SAFETY: fds is a valid array of pollfd; p is null or a timespec.
    unsafe { call(libc::SYS_ppoll, args, Wait::Interruptible) }.map(|n| n as usize)
}

/// Sets the host umask (nommu keeps it 0 and applies each guest's own);
/// returns the previous one.
pub(crate) fn set_umask(mask: u32) -> u32 {
    // SAFETY: umask cannot fail.
    unsafe { libc::umask(mask) as u32 }
}

/// nommu's environment as `KEY=VALUE` byte strings, one allocation each
/// (`std::env::vars_os` makes two, and a third to join them). Entries
/// without a `=` after their first byte are left out, as std leaves them
/// out. Call before any other thread exists (nommu never changes its
/// environment, but the process's `environ` is not locked here).
pub fn environment() -> Vec<Vec<u8>> {
    environ_entries().filter(|e| e.len() > 1 && e[1..].contains(&b'=')).map(<[u8]>::to_vec).collect()
}

/// The entries of the process's environment, in order. nommu never
/// changes its environment, so they live, unchanged, as long as the
/// process.
pub(crate) fn environ_entries() -> impl Iterator<Item = &'static [u8]> {
    extern "C" {
        static environ: *const *const libc::c_char;
    }
    // SAFETY: `environ` is musl's NULL-terminated array of NUL-terminated
    // strings, set up before main and never changed by nommu.
    let mut p = unsafe { environ };
    std::iter::from_fn(move || {
        // SAFETY: as above: `p` walks the array up to its NULL.
        unsafe {
            if p.is_null() || (*p).is_null() {
                return None;
            }
            let entry: &'static [u8] = CStr::from_ptr(*p).to_bytes();
            p = p.add(1);
            Some(entry)
        }
    })
}

/// Ends the process now (`_exit(2)`): no atexit handlers, no clean-up of
/// what the kernel takes back with the process anyway.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: ends the process; nothing runs after it.
    unsafe { libc::_exit(code) }
}

/// Raises RLIMIT_NOFILE to its hard limit: all guest processes share the
/// host process's descriptor table.
pub(crate) fn raise_nofile_limit() {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: r is a valid out/in pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 && r.rlim_cur < r.rlim_max {
            r.rlim_cur = r.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}

// ---- futexes on kernel-owned words ------------------------------------------

use crate::abi::futex::{FUTEX_WAIT_PRIVATE, FUTEX_WAKE, FUTEX_WAKE_PRIVATE};

/// Wakes up to `n` waiters on `word`.
pub(crate) fn futex_wake(word: &std::sync::atomic::AtomicU32, n: i32) {
    // SAFETY: word is a live, aligned u32.
    unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), FUTEX_WAKE_PRIVATE, n, 0, 0, 0) };
}

/// Sleeps while `word == expected`; returns early (EINTR) when this vCPU
/// thread is kicked. Spurious wake-ups are possible: callers loop.
pub(crate) fn futex_wait_interruptible(word: &std::sync::atomic::AtomicU32, expected: u32) -> std::io::Result<()> {
    let args = [word.as_ptr() as u64, u64::from(FUTEX_WAIT_PRIVATE), expected as u64, 0, 0, 0];
    // SAFETY: a FUTEX_WAIT on a live u32 with no timeout.
    let rc = unsafe { super::isyscall::interruptible_syscall(libc::SYS_futex, args) };
    match rc {
        0 => Ok(()),
        e if e == -(libc::EAGAIN as i64) => Ok(()),
        e => Err(std::io::Error::from_raw_os_error(-e as i32)),
    }
}

/// FUTEX_WAKE on a guest word (an arena address is a host address).
pub(crate) fn futex_wake_addr(addr: u64, n: i32) {
    // SAFETY: FUTEX_WAKE only uses the address as a key; it never touches
    // memory that is not mapped (EFAULT).
    unsafe { libc::syscall(libc::SYS_futex, addr as *const u32, FUTEX_WAKE, n, 0, 0, 0) };
}

/// Like `futex_wait_interruptible`, for at most `timeout`; ETIMEDOUT then.
pub(crate) fn futex_wait_timeout_interruptible(
    word: &std::sync::atomic::AtomicU32,
    expected: u32,
    timeout: std::time::Duration,
) -> std::io::Result<()> {
    let ts = libc::timespec { tv_sec: timeout.as_secs() as i64, tv_nsec: timeout.subsec_nanos() as i64 };
    let args = [word.as_ptr() as u64, u64::from(FUTEX_WAIT_PRIVATE), expected as u64, &ts as *const _ as u64, 0, 0];
    // SAFETY: a FUTEX_WAIT on a live u32 with a relative timeout.
    let rc = unsafe { super::isyscall::interruptible_syscall(libc::SYS_futex, args) };
    match rc {
        0 => Ok(()),
        e if e == -(libc::EAGAIN as i64) => Ok(()),
        e => Err(std::io::Error::from_raw_os_error(-e as i32)),
    }
}

/// Sleeps while `word == expected`, until `deadline` if given: an
/// absolute time on CLOCK_REALTIME when `realtime`, else on
/// CLOCK_MONOTONIC (FUTEX_WAIT_BITSET), so retries after spurious wake-ups
/// do not stretch it. Returns early (EINTR) when this vCPU thread is
/// kicked; ETIMEDOUT at the deadline. Callers loop.
pub(crate) fn futex_wait_until_interruptible(
    word: &std::sync::atomic::AtomicU32,
    expected: u32,
    deadline: Option<(i64, i64)>,
    realtime: bool,
) -> std::io::Result<()> {
    use crate::abi::futex::{FUTEX_BITSET_MATCH_ANY, FUTEX_CLOCK_REALTIME, FUTEX_PRIVATE_FLAG, FUTEX_WAIT_BITSET};
    let ts = deadline.map(|(s, ns)| libc::timespec { tv_sec: s, tv_nsec: ns });
    let t = ts.as_ref().map_or(0, |t| t as *const libc::timespec as u64);
    let op = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | if realtime { FUTEX_CLOCK_REALTIME } else { 0 };
    let args = [word.as_ptr() as u64, u64::from(op), expected as u64, t, 0, u64::from(FUTEX_BITSET_MATCH_ANY)];
    // SAFETY: a FUTEX_WAIT_BITSET on a live u32 with a live absolute
    // timespec (or none).
    let rc = unsafe { super::isyscall::interruptible_syscall(libc::SYS_futex, args) };
    match rc {
        0 => Ok(()),
        e if e == -(libc::EAGAIN as i64) => Ok(()),
        e => Err(std::io::Error::from_raw_os_error(-e as i32)),
    }
}

/// clock_nanosleep until an absolute time; ends early with EINTR when this
/// vCPU thread is kicked. Err carries the errno.
pub(crate) fn clock_nanosleep_abs_interruptible(clock: i32, t: (i64, i64)) -> Result<(), i32> {
    let ts = libc::timespec { tv_sec: t.0, tv_nsec: t.1 };
    let args = [clock as u64, libc::TIMER_ABSTIME as u64, &ts as *const _ as u64, 0, 0, 0];
    // SAFETY: ts is a valid timespec; no remaining-time pointer.
    let rc = unsafe { super::isyscall::interruptible_syscall(libc::SYS_clock_nanosleep, args) };
    if rc == 0 {
        Ok(())
    } else {
        Err(-rc as i32)
    }
}

// ---- host signals routed to the guest -------------------------------------

fn sigset_of(signals: &[i32]) -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill a local sigset_t.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Blocks `signals` in the calling thread (and so in every thread it
/// starts afterwards); `to_default` get their default disposition: an
/// ignored signal (inherited from the parent) would be discarded before
/// sigwaitinfo.
pub(crate) fn block_signals(signals: &[i32], to_default: &[i32]) {
    let set = sigset_of(signals);
    // SAFETY: set is a valid sigset_t; SIG_DFL is a valid disposition.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, core::ptr::null_mut());
        for &s in to_default {
            libc::signal(s, libc::SIG_DFL);
        }
    }
}

/// Waits for one of `signals` (which must be blocked); returns its number.
pub(crate) fn wait_for_signal(signals: &[i32]) -> i32 {
    let set = sigset_of(signals);
    loop {
        // SAFETY: set is valid; no siginfo is requested.
        let s = unsafe { libc::sigwaitinfo(&set, core::ptr::null_mut()) };
        if s > 0 {
            return s;
        }
    }
}

/// Stops the whole emulator (job control: the guest's foreground program
/// stopped, so the host shell gets the terminal back).
pub(crate) fn stop_self() {
    // SAFETY: signalling our own process.
    unsafe { libc::kill(libc::getpid(), libc::SIGSTOP) };
}

/// The terminal settings of stdin, if it is a terminal.
pub fn save_terminal() -> Option<[u8; 64]> {
    let mut t = [0u8; 64];
    ioctl_buf(0, TCGETS, &mut t).ok().map(|_| t)
}

pub fn restore_terminal(t: &[u8; 64]) {
    let mut t = *t;
    let _ = ioctl_buf(0, TCSETSW, &mut t);
}

pub(crate) fn syncfs(fd: RawFd) {
    // SAFETY: plain syscall on a descriptor.
    unsafe { libc::syncfs(fd) };
}

pub(crate) fn sched_setaffinity(host_tid: i32, mask: &[u8]) -> std::io::Result<()> {
    // SAFETY: mask is a readable buffer of its length.
    check(unsafe { libc::syscall(libc::SYS_sched_setaffinity, host_tid, mask.len(), mask.as_ptr()) }).map(drop)
}

/// (cpu, node) the calling thread runs on.
pub(crate) fn getcpu() -> (u32, u32) {
    let (mut cpu, mut node) = (0u32, 0u32);
    // SAFETY: two valid out-pointers.
    unsafe { libc::syscall(libc::SYS_getcpu, &mut cpu as *mut u32, &mut node as *mut u32, 0usize) };
    (cpu, node)
}

pub(crate) fn membarrier(cmd: i32, flags: u32, cpu_id: i32) -> std::io::Result<i64> {
    // SAFETY: membarrier takes no pointers.
    check(unsafe { libc::syscall(libc::SYS_membarrier, cmd, flags, cpu_id) })
}

/// Names the calling thread (what ps, top and gdb show), at most 15 bytes.
pub(crate) fn set_thread_name(name: &str) {
    let mut buf = [0u8; 16];
    let n = name.len().min(15);
    buf[..n].copy_from_slice(&name.as_bytes()[..n]);
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, buf.as_ptr()) };
}

/// How late the calling thread's timed waits may end, in nanoseconds
/// (Linux's timer slack; 50 µs by default). A thread that stands in for a
/// host timer (ITIMER_REAL) takes 1 ns, as the kernel's own hrtimers do.
pub(crate) fn set_timer_slack(ns: u64) {
    // SAFETY: PR_SET_TIMERSLACK takes a number, no pointers.
    unsafe { libc::prctl(crate::abi::prctl::PR_SET_TIMERSLACK, ns) };
}

/// User + system CPU time of the whole emulator (every guest thread).
pub(crate) fn process_cpu_seconds() -> f64 {
    let mut r: libc::rusage = unsafe_zeroed_rusage();
    // SAFETY: r is a valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut r) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(r.ru_utime) + tv(r.ru_stime)
}

fn unsafe_zeroed_rusage() -> libc::rusage {
    // SAFETY: rusage is plain integers; all-zero is valid.
    unsafe { std::mem::zeroed() }
}
