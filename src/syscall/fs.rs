//! File descriptor I/O (so far: the host's stdio behind guest fds).

use super::{arg_i32, Args, SyscallCtx};
use crate::errno::{Errno, SysResult};
use crate::fs::OpenFile;
use std::sync::Arc;

/// Linux caps a single read/write at INT_MAX rounded down to a page.
const MAX_RW_COUNT: u64 = 0x7fff_f000;
const UIO_MAXIOV: u64 = 1024;

fn file(ctx: &SyscallCtx<'_>, fd: u64) -> SysResult<Arc<OpenFile>> {
    ctx.task.process.files().get(arg_i32(fd))
}

pub fn sys_read(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = file(ctx, a[0])?;
    let n = ctx.user().host_read(f.host_fd(), a[1], a[2].min(MAX_RW_COUNT) as usize)?;
    Ok(n as u64)
}

pub fn sys_write(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = file(ctx, a[0])?;
    let n = ctx.user().host_write(f.host_fd(), a[1], a[2].min(MAX_RW_COUNT) as usize)?;
    Ok(n as u64)
}

/// Reads a guest iovec array into (base, len) pairs, checking the limits
/// Linux checks.
fn read_iovecs(ctx: &SyscallCtx<'_>, addr: u64, count: u64) -> SysResult<Vec<(u64, u64)>> {
    let count = arg_i32(count);
    if count < 0 || count as u64 > UIO_MAXIOV {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; 16 * count as usize];
    ctx.user().read(addr, &mut raw)?;
    let mut total: u64 = 0;
    let mut iov = Vec::with_capacity(count as usize);
    for c in raw.chunks_exact(16) {
        let base = u64::from_le_bytes(c[..8].try_into().unwrap());
        let len = u64::from_le_bytes(c[8..].try_into().unwrap());
        if len as i64 <= -1 {
            return Err(Errno::EINVAL);
        }
        total = total.checked_add(len).filter(|&t| t <= i64::MAX as u64).ok_or(Errno::EINVAL)?;
        iov.push((base, len));
    }
    Ok(iov)
}

pub fn sys_readv(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = file(ctx, a[0])?;
    let iov = read_iovecs(ctx, a[1], a[2])?;
    Ok(ctx.user().host_rwv(f.host_fd(), &iov, false)? as u64)
}

pub fn sys_writev(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = file(ctx, a[0])?;
    let iov = read_iovecs(ctx, a[1], a[2])?;
    Ok(ctx.user().host_rwv(f.host_fd(), &iov, true)? as u64)
}

pub fn sys_fstat(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = file(ctx, a[0])?;
    let st = crate::arch::host::fstat_raw(f.host_fd())?;
    ctx.user().write(a[1], &st)?;
    Ok(0)
}

const AT_EMPTY_PATH: u64 = 0x1000;

/// Only the `fstatat(fd, "", AT_EMPTY_PATH)` form so far (what libc stdio
/// uses); paths come with the file system.
pub fn sys_newfstatat(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let path = ctx.user().read_cstr(a[1], 4095)?;
    if !path.is_empty() {
        return Err(Errno::ENOSYS);
    }
    if a[3] & AT_EMPTY_PATH == 0 {
        return Err(Errno::ENOENT);
    }
    sys_fstat(ctx, &[a[0], a[2], 0, 0, 0, 0])
}

const TCGETS: u64 = 0x5401;
const TIOCGWINSZ: u64 = 0x5413;
/// sizeof(struct termios) as the kernel's TCGETS writes it.
const KERNEL_TERMIOS_SIZE: usize = 36;
const WINSIZE_SIZE: usize = 8;

pub fn sys_ioctl(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = file(ctx, a[0])?;
    let size = match a[1] & 0xffff_ffff {
        TCGETS => KERNEL_TERMIOS_SIZE,
        TIOCGWINSZ => WINSIZE_SIZE,
        _ => return Err(Errno::ENOTTY),
    };
    let mut buf = [0u8; 64];
    crate::arch::host::ioctl_buf(f.host_fd(), a[1] & 0xffff_ffff, &mut buf)?;
    ctx.user().write(a[2], &buf[..size])?;
    Ok(0)
}

const O_CLOEXEC: u64 = 0o2000000;
const O_NONBLOCK: u64 = 0o4000;
const O_DIRECT: u64 = 0o40000;

pub fn sys_close(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    ctx.task.process.files().close(arg_i32(a[0]))?;
    Ok(0)
}

pub fn sys_dup(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let mut files = ctx.task.process.files();
    let f = files.get(arg_i32(a[0]))?;
    Ok(files.install(f, false)? as u64)
}

fn dup_to(ctx: &mut SyscallCtx<'_>, old: i32, new: i32, cloexec: bool) -> SysResult {
    let mut files = ctx.task.process.files();
    let f = files.get(old)?;
    Ok(files.install_at(new, f, cloexec)? as u64)
}

pub fn sys_dup2(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (old, new) = (arg_i32(a[0]), arg_i32(a[1]));
    if old == new {
        ctx.task.process.files().get(old)?;
        return Ok(new as u64);
    }
    dup_to(ctx, old, new, false)
}

pub fn sys_dup3(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (old, new, flags) = (arg_i32(a[0]), arg_i32(a[1]), a[2]);
    if flags & !O_CLOEXEC != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    dup_to(ctx, old, new, flags & O_CLOEXEC != 0)
}

pub fn sys_pipe2(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let flags = a[1];
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    let (r, w) = crate::arch::host::pipe2((flags & (O_NONBLOCK | O_DIRECT)) as i32)?;
    let status = (flags & O_NONBLOCK) as u32;
    let cloexec = flags & O_CLOEXEC != 0;
    let mut files = ctx.task.process.files();
    let rfd = files.install(Arc::new(OpenFile::from_host(r, libc::O_RDONLY as u32 | status)), cloexec)?;
    let wfd = match files.install(Arc::new(OpenFile::from_host(w, libc::O_WRONLY as u32 | status)), cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = files.close(rfd);
            return Err(e);
        }
    };
    let mut pair = [0u8; 8];
    pair[..4].copy_from_slice(&rfd.to_le_bytes());
    pair[4..].copy_from_slice(&wfd.to_le_bytes());
    if let Err(e) = ctx.user().write(a[0], &pair) {
        let _ = files.close(rfd);
        let _ = files.close(wfd);
        return Err(e);
    }
    Ok(0)
}

pub fn sys_pipe(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    sys_pipe2(ctx, &[a[0], 0, 0, 0, 0, 0])
}
