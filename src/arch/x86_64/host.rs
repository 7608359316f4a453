//! Safe wrappers for the few host syscalls the kernel needs that std does
//! not offer. Buffers here are host memory; guest memory goes through
//! `mm::uaccess`.

use std::os::fd::RawFd;

fn check(rc: libc::c_long) -> std::io::Result<libc::c_long> {
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// An ioctl whose argument is a buffer the host kernel fills or reads.
pub fn ioctl_buf(fd: RawFd, request: u64, buf: &mut [u8]) -> std::io::Result<i32> {
    // SAFETY: `buf` is a valid host buffer sized by the caller for `request`.
    let rc = unsafe { libc::ioctl(fd, request as _, buf.as_mut_ptr()) };
    check(rc as libc::c_long).map(|r| r as i32)
}

/// An ioctl whose argument is an integer.
pub fn ioctl_int(fd: RawFd, request: u64, arg: u64) -> std::io::Result<i32> {
    // SAFETY: the request takes its argument by value.
    let rc = unsafe { libc::ioctl(fd, request as _, arg) };
    check(rc as libc::c_long).map(|r| r as i32)
}

pub fn clock_gettime(clock: i32) -> std::io::Result<(i64, i64)> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid out-pointer.
    check(unsafe { libc::clock_gettime(clock, &mut ts) } as libc::c_long)?;
    Ok((ts.tv_sec, ts.tv_nsec))
}

pub fn clock_getres(clock: i32) -> std::io::Result<(i64, i64)> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid out-pointer.
    check(unsafe { libc::clock_getres(clock, &mut ts) } as libc::c_long)?;
    Ok((ts.tv_sec, ts.tv_nsec))
}

pub fn getrlimit(resource: u32) -> std::io::Result<(u64, u64)> {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: r is a valid out-pointer.
    check(unsafe { libc::getrlimit(resource as _, &mut r) } as libc::c_long)?;
    Ok((r.rlim_cur, r.rlim_max))
}

/// The host CPU affinity mask of the calling thread, as raw bytes.
pub fn sched_getaffinity(buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: raw syscall writing at most buf.len() bytes into buf.
    let rc = unsafe { libc::syscall(libc::SYS_sched_getaffinity, 0, buf.len(), buf.as_mut_ptr()) };
    check(rc).map(|r| r as usize)
}

/// fstat(2) into a raw `struct stat` image (144 bytes on x86-64).
pub fn fstat_raw(fd: RawFd) -> std::io::Result<[u8; 144]> {
    let mut buf = [0u8; 144];
    // SAFETY: buf is exactly sizeof(struct stat) on x86-64.
    check(unsafe { libc::syscall(libc::SYS_fstat, fd, buf.as_mut_ptr()) })?;
    Ok(buf)
}

pub struct Uname {
    pub sysname: Vec<u8>,
    pub nodename: Vec<u8>,
    pub release: Vec<u8>,
    pub version: Vec<u8>,
    pub machine: Vec<u8>,
    pub domainname: Vec<u8>,
}

pub fn uname() -> std::io::Result<Uname> {
    // SAFETY: zeroed utsname is valid; uname fills it with NUL-terminated strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: u is a valid out-pointer.
    check(unsafe { libc::uname(&mut u) } as libc::c_long)?;
    let field = |f: &[libc::c_char]| f.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect::<Vec<u8>>();
    Ok(Uname {
        sysname: field(&u.sysname),
        nodename: field(&u.nodename),
        release: field(&u.release),
        version: field(&u.version),
        machine: field(&u.machine),
        domainname: field(&u.domainname),
    })
}

pub fn host_pid() -> i32 {
    std::process::id() as i32
}

/// pipe2(2); the host ends are always close-on-exec (guest close-on-exec is
/// tracked in the guest's descriptor table).
pub fn pipe2(flags: i32) -> std::io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0i32; 2];
    // SAFETY: fds is a valid out-array of two ints.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), flags | libc::O_CLOEXEC) } as libc::c_long)?;
    // SAFETY: pipe2 just returned these two fresh descriptors; we own them.
    Ok(unsafe { (std::os::fd::OwnedFd::from_raw_fd(fds[0]), std::os::fd::OwnedFd::from_raw_fd(fds[1])) })
}
