//! Descriptor syscalls: I/O, offsets, duplication, fcntl, ioctl, pipes,
//! directory reading, and the f*() metadata calls.

use super::args::{
    Fd, InBytes, IntFlags, IovecIn, IovecOut, Mode, Opaque, OpenFlags, OutBytes, PipeFds, StatBuf, UserPtr,
};
use super::{arg_i32, SyscallCtx};
use crate::abi::dirent::{DIRENT64_ALIGN, DIRENT64_NAME_OFFSET, DT_DIR};
use crate::abi::fcntl::{
    AT_EMPTY_PATH, AT_FDCWD, FASYNC, FD_CLOEXEC, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETLK, F_GETPIPE_SZ,
    F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETFD, F_SETFL, F_SETLK, F_SETLKW, F_SETPIPE_SZ, LOCK_NB, MAX_RW_COUNT,
    O_ACCMODE, O_APPEND, O_CLOEXEC, O_DIRECT, O_NOATIME, O_NONBLOCK, O_RDONLY, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET,
    UIO_MAXIOV,
};
use crate::abi::ioctl::{
    FIOCLEX, FIONBIO, FIONCLEX, FIONREAD, TCFLSH, TCGETS, TCSBRK, TCSETS, TCSETSF, TCSETSW, TCXONC, TERMIOS_SIZE,
    TIOCGWINSZ, TIOCOUTQ, TIOCSWINSZ, WINSIZE_SIZE,
};
use crate::abi::signal::SIGPIPE;
use crate::abi::stat::S_IALLUGO;
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::fs::file::{DirEntry, FileKind};
use crate::fs::OpenFile;
use std::sync::Arc;

/// How many bytes one read or write moves at most of the `requested`.
fn rw_count(requested: usize) -> usize {
    requested.min(MAX_RW_COUNT)
}

/// A write that hit a closed pipe also raises SIGPIPE.
pub(crate) fn epipe(ctx: &mut SyscallCtx<'_>, r: SysResult<usize>) -> SysResult {
    if r == Err(Errno::EPIPE) {
        ctx.raise(SIGPIPE);
    }
    r.map(|n| n as u64)
}

/// Reads from a generated file at its offset.
fn read_generated(ctx: &SyscallCtx<'_>, f: &OpenFile, data: &[u8], buf: u64, len: usize, at: Option<u64>) -> SysResult {
    let mut pos = f.lock_pos();
    let start = at.unwrap_or(*pos).min(data.len() as u64) as usize;
    let n = len.min(data.len() - start);
    ctx.user().write(buf, &data[start..start + n])?;
    if at.is_none() {
        *pos = (start + n) as u64;
    }
    Ok(n as u64)
}

fn check_readable(f: &OpenFile) -> SysResult<()> {
    match &f.kind {
        FileKind::Dir(_) => Err(Errno::EISDIR),
        FileKind::Generated(_) if f.flags() as i32 & O_ACCMODE == O_WRONLY => Err(Errno::EBADF),
        _ => Ok(()),
    }
}

pub(crate) fn sys_read(ctx: &mut SyscallCtx<'_>, fd: Fd, buf: UserPtr<OutBytes>, count: usize) -> SysResult {
    ctx.with_file(fd.0 as u64, |ctx, f| match f.plain_host_fd() {
        // The common case first, with nothing else in its frame.
        Some(host_fd) => {
            let n = ctx.user().host_read(host_fd, buf.addr(), rw_count(count), false)?;
            super::fastrw::offer(ctx, false, fd.0, host_fd, buf.addr(), count);
            Ok(n as u64)
        }
        None => read_file(ctx, f, buf.addr(), rw_count(count)),
    })
}

#[inline(never)]
fn read_file(ctx: &mut SyscallCtx<'_>, f: &OpenFile, buf: u64, count: usize) -> SysResult {
    check_readable(f)?;
    match &f.kind {
        FileKind::Host(fd) if f.emulated().is_none() && !f.may_block() => {
            Ok(ctx.user().host_read(std::os::fd::AsRawFd::as_raw_fd(fd), buf, count, false)? as u64)
        }
        FileKind::Generated(d) => read_generated(ctx, f, d, buf, count, None),
        _ if f.emulated().is_some() => super::event::read_emulated(ctx, f, buf, count),
        _ if f.may_block() => {
            super::tty::read_check(ctx, f)?;
            let host_fd = f.host_fd()?;
            ctx.block_io(Errno::ERESTARTSYS, host_fd, libc::POLLIN, &[(buf, count as u64)], |ctx| {
                ctx.user().host_read(host_fd, buf, count, true)
            })
            .map(|n| n as u64)
        }
        _ => Ok(ctx.user().host_read(f.host_fd()?, buf, count, false)? as u64),
    }
}

pub(crate) fn sys_write(ctx: &mut SyscallCtx<'_>, fd: Fd, buf: UserPtr<InBytes>, count: usize) -> SysResult {
    ctx.with_file(fd.0 as u64, |ctx, f| match f.plain_host_fd() {
        Some(host_fd) => {
            let n = epipe(ctx, ctx.user().host_write(host_fd, buf.addr(), rw_count(count), false))?;
            super::fastrw::offer(ctx, true, fd.0, host_fd, buf.addr(), count);
            Ok(n)
        }
        None => write_file(ctx, f, buf.addr(), rw_count(count)),
    })
}

#[inline(never)]
fn write_file(ctx: &mut SyscallCtx<'_>, f: &OpenFile, buf: u64, count: usize) -> SysResult {
    if let FileKind::Generated(_) = &f.kind {
        return write_generated(ctx, f, buf, count);
    }
    let host_fd = f.host_fd().map_err(|_| Errno::EBADF)?;
    if f.emulated().is_none() && !f.may_block() {
        return epipe(ctx, ctx.user().host_write(host_fd, buf, count, false));
    }
    if f.emulated().is_some() {
        return super::syslog::write_emulated(ctx, f, &[(buf, count as u64)]);
    }
    let r = if f.may_block() {
        super::tty::write_check(ctx, f)?;
        ctx.block_io(Errno::ERESTARTSYS, host_fd, libc::POLLOUT, &[(buf, count as u64)], |ctx| {
            ctx.user().host_write(host_fd, buf, count, true)
        })
    } else {
        ctx.user().host_write(host_fd, buf, count, false)
    };
    if let Ok(n) = r {
        super::tty::typed(ctx, f, &[(buf, count as u64)], n);
    }
    epipe(ctx, r)
}

/// A write to a generated file open for writing (only /proc/sys
/// tunables open so): the kernel takes it.
fn write_generated(ctx: &mut SyscallCtx<'_>, f: &OpenFile, buf: u64, count: usize) -> SysResult {
    write_generated_iov(ctx, f, &[(buf, count as u64)], None)
}

/// `write_generated` of buffers `iov` (writev, pwritev: at `at`).
fn write_generated_iov(ctx: &mut SyscallCtx<'_>, f: &OpenFile, iov: &[(u64, u64)], at: Option<u64>) -> SysResult {
    if f.flags() as i32 & O_ACCMODE == O_RDONLY {
        return Err(Errno::EBADF);
    }
    // A tunable's value is short: a page of it is plenty.
    let mut data = Vec::new();
    for &(base, len) in iov {
        let room = (crate::abi::consts::PAGE_SIZE as usize).saturating_sub(data.len());
        let start = data.len();
        data.resize(start + room.min(len as usize), 0);
        ctx.user().read(base, &mut data[start..])?;
    }
    let mut pos = f.lock_pos();
    let n = crate::kernel::procsys::write(ctx.m, &f.path, at.unwrap_or(*pos), &data)?;
    if at.is_none() {
        *pos = pos.saturating_add(n);
    }
    Ok(n)
}

/// A file offset for pread64, pwrite64, preadv and pwritev: negative is
/// EINVAL.
fn valid_offset(offset: i64) -> SysResult<i64> {
    if offset < 0 {
        Err(Errno::EINVAL)
    } else {
        Ok(offset)
    }
}

pub(crate) fn sys_pread64(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    buf: UserPtr<OutBytes>,
    count: usize,
    offset: i64,
) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    check_readable(&f)?;
    let offset = valid_offset(offset)?;
    let (buf, count) = (buf.addr(), rw_count(count));
    // /dev/kmsg reads a record wherever it is asked to.
    if let Some(k) = f.emulated().and_then(crate::kernel::kmsg::of) {
        return super::syslog::read_kmsg(ctx, &f, k, buf, count);
    }
    match &f.kind {
        FileKind::Generated(d) => read_generated(ctx, &f, d, buf, count, Some(offset as u64)),
        _ => Ok(ctx.user().host_pread(f.host_fd()?, buf, count, offset)? as u64),
    }
}

pub(crate) fn sys_pwrite64(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    buf: UserPtr<InBytes>,
    count: usize,
    offset: i64,
) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    let offset = valid_offset(offset)?;
    let r = ctx.user().host_pwrite(f.host_fd().map_err(|_| Errno::EBADF)?, buf.addr(), rw_count(count), offset);
    epipe(ctx, r)
}

/// An iovec count: 0 to UIO_MAXIOV.
fn iovec_count(iovcnt: i32) -> SysResult<usize> {
    if !(0..=UIO_MAXIOV).contains(&iovcnt) {
        return Err(Errno::EINVAL);
    }
    Ok(iovcnt as usize)
}

/// Reads a guest iovec array into (base, len) pairs, checking the limits
/// Linux checks.
pub(crate) fn read_iovecs(ctx: &SyscallCtx<'_>, addr: u64, iovcnt: i32) -> SysResult<Vec<(u64, u64)>> {
    Ok(super::iovecs::Iovecs::new().read(ctx, addr, iovec_count(iovcnt)?)?.to_vec())
}

/// readv, writev, preadv, pwritev: `at` is the offset of the p*
/// versions.
fn rwv(ctx: &mut SyscallCtx<'_>, fd: Fd, iov: u64, iovcnt: i32, write: bool, at: Option<i64>) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    let mut iovecs = super::iovecs::Iovecs::new();
    let iov = iovecs.read(ctx, iov, iovec_count(iovcnt)?)?;
    let off = at.map(valid_offset).transpose()?;
    if f.emulated().is_some() && at.is_none() {
        return if write {
            super::syslog::write_emulated(ctx, &f, iov)
        } else {
            super::event::readv_emulated(ctx, &f, iov)
        };
    }
    if !write {
        check_readable(&f)?;
        if let FileKind::Generated(d) = &f.kind {
            let mut total = 0u64;
            for &(base, len) in iov {
                let pos = off.map(|o| o as u64 + total);
                let n = match read_generated(ctx, &f, d, base, len as usize, pos) {
                    Ok(n) => n,
                    // What the earlier buffers received counts (as on Linux).
                    Err(_) if total > 0 => break,
                    Err(e) => return Err(e),
                };
                total += n;
                if n < len {
                    break;
                }
            }
            return Ok(total);
        }
    } else if let FileKind::Generated(_) = &f.kind {
        return write_generated_iov(ctx, &f, iov, off.map(|o| o as u64));
    }
    let host_fd = f.host_fd().map_err(|_| Errno::EBADF)?;
    let r = if f.may_block() && off.is_none() {
        if write { super::tty::write_check(ctx, &f) } else { super::tty::read_check(ctx, &f) }?;
        let events = if write { libc::POLLOUT } else { libc::POLLIN };
        ctx.block_io(Errno::ERESTARTSYS, host_fd, events, iov, |ctx| {
            ctx.user().host_rwv(host_fd, iov, write, off, true)
        })
    } else {
        ctx.user().host_rwv(host_fd, iov, write, off, false)
    };
    if write {
        if let Ok(n) = r {
            super::tty::typed(ctx, &f, iov, n);
        }
        epipe(ctx, r)
    } else {
        r.map(|n| n as u64)
    }
}

pub(crate) fn sys_readv(ctx: &mut SyscallCtx<'_>, fd: Fd, iov: UserPtr<IovecOut>, iovcnt: i32) -> SysResult {
    rwv(ctx, fd, iov.addr(), iovcnt, false, None)
}

pub(crate) fn sys_writev(ctx: &mut SyscallCtx<'_>, fd: Fd, iov: UserPtr<IovecIn>, iovcnt: i32) -> SysResult {
    rwv(ctx, fd, iov.addr(), iovcnt, true, None)
}

pub(crate) fn sys_preadv(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    iov: UserPtr<Opaque>,
    iovcnt: i32,
    offset: i64,
) -> SysResult {
    rwv(ctx, fd, iov.addr(), iovcnt, false, Some(offset))
}

pub(crate) fn sys_pwritev(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    iov: UserPtr<Opaque>,
    iovcnt: i32,
    offset: i64,
) -> SysResult {
    rwv(ctx, fd, iov.addr(), iovcnt, true, Some(offset))
}

pub(crate) fn sys_lseek(ctx: &mut SyscallCtx<'_>, fd: Fd, offset: i64, whence: i32) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    if let Some(k) = f.emulated().and_then(crate::kernel::kmsg::of) {
        return k.seek(offset, whence);
    }
    let len = match &f.kind {
        FileKind::Host(_) => return Ok(host::lseek(f.host_fd()?, offset, whence)? as u64),
        FileKind::Generated(d) => d.len() as i64,
        FileKind::Dir(e) => e.lock().unwrap_or_else(|e| e.into_inner()).len() as i64 + 2,
    };
    let mut pos = f.lock_pos();
    // A sum past i64::MAX is negative in Linux's loff_t arithmetic: EINVAL.
    let new = match whence {
        SEEK_SET => Some(offset),
        SEEK_CUR => (*pos as i64).checked_add(offset),
        SEEK_END => len.checked_add(offset),
        _ => return Err(Errno::EINVAL),
    }
    .ok_or(Errno::EINVAL)?;
    if new < 0 {
        return Err(Errno::EINVAL);
    }
    *pos = new as u64;
    Ok(new as u64)
}

pub(crate) fn sys_close(ctx: &mut SyscallCtx<'_>, fd: Fd) -> SysResult {
    let file = ctx.task.process.files().close(fd.0)?;
    // The host close (the last reference) runs after the table is unlocked.
    drop(file);
    Ok(0)
}

pub(crate) fn sys_dup(ctx: &mut SyscallCtx<'_>, oldfd: Fd) -> SysResult {
    let limit = ctx.task.process.fd_limit();
    let mut files = ctx.task.process.files();
    let f = files.get(oldfd.0)?;
    Ok(files.install(limit, f, false)? as u64)
}

fn dup_to(ctx: &mut SyscallCtx<'_>, old: i32, new: i32, cloexec: bool) -> SysResult {
    let limit = ctx.task.process.fd_limit();
    let mut files = ctx.task.process.files();
    let f = files.get(old)?;
    Ok(files.install_at(new, limit, f, cloexec)? as u64)
}

pub(crate) fn sys_dup2(ctx: &mut SyscallCtx<'_>, oldfd: Fd, newfd: Fd) -> SysResult {
    let (old, new) = (oldfd.0, newfd.0);
    if old == new {
        ctx.task.process.files().get(old)?;
        return Ok(new as u64);
    }
    dup_to(ctx, old, new, false)
}

/// dup3's flags: O_CLOEXEC or nothing (an int: the upper half of the
/// register is not looked at). Whether the copy is close-on-exec.
fn dup3_cloexec(flags: IntFlags) -> SysResult<bool> {
    let flags = flags.0;
    if flags & !(O_CLOEXEC as u32) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(flags & (O_CLOEXEC as u32) != 0)
}

pub(crate) fn sys_dup3(ctx: &mut SyscallCtx<'_>, oldfd: Fd, newfd: Fd, flags: IntFlags) -> SysResult {
    let (old, new) = (oldfd.0, newfd.0);
    let cloexec = dup3_cloexec(flags)?;
    if old == new {
        return Err(Errno::EINVAL);
    }
    dup_to(ctx, old, new, cloexec)
}

/// Flags F_SETFL may change.
const SETFL_MASK: u32 = (O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME) as u32;

pub(crate) fn sys_fcntl(ctx: &mut SyscallCtx<'_>, fd: Fd, cmd: i32, arg: u64) -> SysResult {
    let fd = fd.0;
    let process = ctx.task.process.clone();
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let limit = process.fd_limit();
            let min = usize::try_from(arg_i32(arg)).map_err(|_| Errno::EINVAL)?;
            if min >= limit {
                return Err(Errno::EINVAL);
            }
            let mut files = process.files();
            let f = files.get(fd)?;
            Ok(files.install_from(min, limit, f, cmd == F_DUPFD_CLOEXEC)? as u64)
        }
        F_GETFD => Ok(if process.files().entry(fd)?.cloexec { FD_CLOEXEC as u64 } else { 0 }),
        F_SETFD => {
            process.files().set_cloexec(fd, arg_i32(arg) & FD_CLOEXEC != 0)?;
            Ok(0)
        }
        F_GETFL => {
            let f = ctx.file(fd as u64)?;
            match f.kind {
                FileKind::Host(_) => {
                    let fl = host::fcntl_int(f.host_fd()?, F_GETFL, 0)? & !(f.hidden_host_flags() as i32);
                    // /dev/kmsg's host descriptor is a pipe's read end.
                    match f.emulated().and_then(crate::kernel::kmsg::of) {
                        Some(k) => Ok(((fl & !O_ACCMODE) | k.access_mode()) as u64),
                        None => Ok(fl as u64),
                    }
                }
                _ => Ok(f.flags() as u64),
            }
        }
        F_SETFL => {
            let f = ctx.file(fd as u64)?;
            match f.kind {
                FileKind::Host(_) => Ok(host::fcntl_int(f.host_fd()?, F_SETFL, arg as u32 as i64)? as u64),
                _ => {
                    f.set_flags((f.flags() & !SETFL_MASK) | (arg as u32 & SETFL_MASK));
                    Ok(0)
                }
            }
        }
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW => {
            let f = ctx.file(fd as u64)?;
            let mut lock = [0u8; 32];
            ctx.user().read(arg, &mut lock)?;
            let host_fd = f.host_fd().map_err(|_| Errno::EBADF)?;
            if matches!(cmd, F_SETLKW | F_OFD_SETLKW) {
                // Waits for the lock until a signal ends the wait.
                ctx.block(Errno::ERESTARTSYS, |_| {
                    Ok(host::fcntl_lock(host_fd, cmd, &mut lock, host::Wait::Interruptible)?)
                })?;
            } else {
                host::fcntl_lock(host_fd, cmd, &mut lock, host::Wait::Uninterruptible)?;
            }
            if matches!(cmd, F_GETLK | F_OFD_GETLK) {
                ctx.user().write(arg, &lock)?;
            }
            Ok(0)
        }
        F_GETPIPE_SZ | F_SETPIPE_SZ => {
            let f = ctx.file(fd as u64)?;
            Ok(host::fcntl_int(f.host_fd().map_err(|_| Errno::EBADF)?, cmd, arg as u32 as i64)? as u64)
        }
        // Seals are the host memfd's (files that are not shmem: EINVAL).
        crate::abi::fcntl::F_ADD_SEALS | crate::abi::fcntl::F_GET_SEALS => {
            let f = ctx.file(fd as u64)?;
            Ok(host::fcntl_int(f.host_fd()?, cmd, arg as u32 as i64)? as u64)
        }
        _ => {
            process.files().get(fd)?;
            log::debug!("fcntl command {cmd} not supported");
            Err(Errno::EINVAL)
        }
    }
}

pub(crate) fn sys_ioctl(ctx: &mut SyscallCtx<'_>, fd: Fd, request: u64, arg: u64) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    // The request is an unsigned int: the upper half of its register is
    // not looked at.
    let req = request as u32;
    match req {
        FIOCLEX | FIONCLEX => {
            ctx.task.process.files().set_cloexec(fd.0, req == FIOCLEX)?;
            return Ok(0);
        }
        FIONBIO => {
            let on: i32 = ctx.user().read_val(arg)?;
            let host_fd = f.host_fd().map_err(|_| Errno::ENOTTY)?;
            let fl = host::fcntl_int(host_fd, F_GETFL, 0)?;
            let fl = if on != 0 { fl | O_NONBLOCK } else { fl & !O_NONBLOCK };
            host::fcntl_int(host_fd, F_SETFL, fl as i64)?;
            return Ok(0);
        }
        _ => {}
    }
    // /dev/kmsg has no ioctls (its host descriptor, a pipe, has some).
    if f.emulated().and_then(crate::kernel::kmsg::of).is_some() {
        return Err(Errno::ENOTTY);
    }
    let host_fd = f.host_fd().map_err(|_| Errno::ENOTTY)?;
    if let Some(r) = super::net::ioctl::interface_ioctl(ctx, host_fd, req, arg) {
        return r;
    }
    // Job control and the pty requests (syscall/tty.rs).
    if let Some(r) = super::tty::ioctl(ctx, &f, host_fd, req, arg) {
        return r;
    }
    let out = |ctx: &SyscallCtx<'_>, size: usize| -> SysResult {
        let mut buf = [0u8; 64];
        host::ioctl_buf(host_fd, req, &mut buf)?;
        ctx.user().write(arg, &buf[..size])?;
        Ok(0)
    };
    let inp = |ctx: &SyscallCtx<'_>, size: usize| -> SysResult {
        let mut buf = [0u8; 64];
        ctx.user().read(arg, &mut buf[..size])?;
        host::ioctl_buf(host_fd, req, &mut buf)?;
        Ok(0)
    };
    match req {
        TCGETS => out(ctx, TERMIOS_SIZE),
        TIOCGWINSZ => out(ctx, WINSIZE_SIZE),
        FIONREAD | TIOCOUTQ => out(ctx, 4),
        TCSETS | TCSETSW | TCSETSF => inp(ctx, TERMIOS_SIZE),
        TIOCSWINSZ => inp(ctx, WINSIZE_SIZE),
        TCSBRK | TCXONC | TCFLSH => Ok(host::ioctl_int(host_fd, req, arg)? as u64),
        _ => Err(Errno::ENOTTY),
    }
}

/// pipe2's flags: O_CLOEXEC, O_NONBLOCK, O_DIRECT. The flags for the host
/// pipe, and whether the ends are close-on-exec.
fn pipe2_flags(flags: OpenFlags) -> SysResult<(i32, bool)> {
    let flags = flags.0 as i32;
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok((flags & (O_NONBLOCK | O_DIRECT), flags & O_CLOEXEC != 0))
}

pub(crate) fn sys_pipe2(ctx: &mut SyscallCtx<'_>, fds: UserPtr<PipeFds>, flags: OpenFlags) -> SysResult {
    let (host_flags, cloexec) = pipe2_flags(flags)?;
    ctx.check_free_fds(2)?;
    let (r, w) = host::pipe2(host_flags).map_err(|e| super::host_table_full_is_enfile(e.into()))?;
    let limit = ctx.task.process.fd_limit();
    let mut files = ctx.task.process.files();
    let rfd = files.install(limit, Arc::new(OpenFile::host(r, b"pipe:".to_vec())), cloexec)?;
    let wfd = match files.install(limit, Arc::new(OpenFile::host(w, b"pipe:".to_vec())), cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = files.close(rfd);
            return Err(e);
        }
    };
    let mut pair = [0u8; 8];
    pair[..4].copy_from_slice(&rfd.to_le_bytes());
    pair[4..].copy_from_slice(&wfd.to_le_bytes());
    if let Err(e) = ctx.user().write(fds.addr(), &pair) {
        let _ = files.close(rfd);
        let _ = files.close(wfd);
        return Err(e);
    }
    Ok(0)
}

pub(crate) fn sys_pipe(ctx: &mut SyscallCtx<'_>, fds: UserPtr<PipeFds>) -> SysResult {
    sys_pipe2(ctx, fds, OpenFlags(0))
}

/// Writes linux_dirent64 records for a generated directory ("." and ".."
/// first), from the entry index kept as the file offset.
fn getdents_generated(ctx: &SyscallCtx<'_>, f: &OpenFile, entries: &[DirEntry], buf: u64, len: usize) -> SysResult {
    let dots = [
        DirEntry { ino: 1, kind: DT_DIR, name: b".".to_vec() },
        DirEntry { ino: 1, kind: DT_DIR, name: b"..".to_vec() },
    ];
    let mut pos = f.lock_pos();
    let mut out = Vec::new();
    let mut i = *pos as usize;
    while let Some(e) = dots.get(i).or_else(|| entries.get(i.wrapping_sub(2))) {
        let reclen = (DIRENT64_NAME_OFFSET + e.name.len() + 1).next_multiple_of(DIRENT64_ALIGN);
        if out.len() + reclen > len {
            break;
        }
        let start = out.len();
        out.extend_from_slice(&e.ino.to_le_bytes());
        out.extend_from_slice(&((i + 1) as i64).to_le_bytes());
        out.extend_from_slice(&(reclen as u16).to_le_bytes());
        out.push(e.kind);
        out.extend_from_slice(&e.name);
        out.resize(start + reclen, 0);
        i += 1;
    }
    if out.is_empty() && dots.get(i).or_else(|| entries.get(i.wrapping_sub(2))).is_some() {
        return Err(Errno::EINVAL);
    }
    ctx.user().write(buf, &out)?;
    *pos = i as u64;
    Ok(out.len() as u64)
}

pub(crate) fn sys_getdents64(ctx: &mut SyscallCtx<'_>, fd: Fd, dirent: UserPtr<Opaque>, count: usize) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    // The count is an unsigned int: the upper half of its register is not
    // looked at.
    let len = (count as u32 as usize).min(1 << 20);
    match &f.kind {
        FileKind::Dir(entries) => {
            // Like procfs, a directory read from the start sees the state
            // of now (e.g. /proc/self/fd including the listing's own fd).
            if *f.lock_pos() == 0 {
                let fresh = crate::fs::vfs::relist(&ctx.m.root, &ctx.procfs(), &f.path);
                if let Some(fresh) = fresh {
                    *entries.lock().unwrap_or_else(|e| e.into_inner()) = fresh;
                }
            }
            let entries = entries.lock().unwrap_or_else(|e| e.into_inner()).clone();
            getdents_generated(ctx, &f, &entries, dirent.addr(), len)
        }
        FileKind::Generated(_) => Err(Errno::ENOTDIR),
        FileKind::Host(_) => {
            let host_fd = f.host_fd()?;
            let mut buf = vec![0u8; len];
            // Entries the guest cannot receive must not be used up: Linux
            // leaves the position at the first one it could not copy.
            let before = host::lseek(host_fd, 0, SEEK_CUR);
            let n = host::getdents64(host_fd, &mut buf)?;
            crate::fs::devnode::fix_dirents(host_fd, &mut buf[..n]);
            if let Err(e) = ctx.user().write(dirent.addr(), &buf[..n]) {
                if let Ok(pos) = before {
                    let _ = host::lseek(host_fd, pos, SEEK_SET);
                }
                return Err(e);
            }
            Ok(n as u64)
        }
    }
}

pub(crate) fn sys_fstat(ctx: &mut SyscallCtx<'_>, fd: Fd, statbuf: UserPtr<StatBuf>) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    let mut st = crate::fs::vfs::fstat(&f)?;
    if let Ok(host_fd) = f.host_fd() {
        ctx.m.root.fix_stat(host_fd, &mut st);
    }
    ctx.user().write_val(statbuf.addr(), st)?;
    Ok(0)
}

/// The open file `fd` and its host descriptor; `not_host` when it has none.
fn host_file(ctx: &SyscallCtx<'_>, fd: Fd, not_host: Errno) -> SysResult<(Arc<OpenFile>, i32)> {
    let f = ctx.file(fd.0 as u64)?;
    let h = f.host_fd().map_err(|_| not_host)?;
    Ok((f, h))
}

pub(crate) fn sys_fsync(ctx: &mut SyscallCtx<'_>, fd: Fd) -> SysResult {
    let (_f, host_fd) = host_file(ctx, fd, Errno::EINVAL)?;
    host::fsync(host_fd, false)?;
    Ok(0)
}

pub(crate) fn sys_fdatasync(ctx: &mut SyscallCtx<'_>, fd: Fd) -> SysResult {
    let (_f, host_fd) = host_file(ctx, fd, Errno::EINVAL)?;
    host::fsync(host_fd, true)?;
    Ok(0)
}

pub(crate) fn sys_ftruncate(ctx: &mut SyscallCtx<'_>, fd: Fd, length: i64) -> SysResult {
    let (_f, host_fd) = host_file(ctx, fd, Errno::EINVAL)?;
    host::ftruncate(host_fd, length)?;
    Ok(0)
}

pub(crate) fn sys_fallocate(ctx: &mut SyscallCtx<'_>, fd: Fd, mode: i32, offset: i64, len: i64) -> SysResult {
    let (_f, host_fd) = host_file(ctx, fd, Errno::ENODEV)?;
    host::fallocate(host_fd, mode, offset, len)?;
    Ok(0)
}

pub(crate) fn sys_flock(ctx: &mut SyscallCtx<'_>, fd: Fd, operation: i32) -> SysResult {
    let (_f, host_fd) = host_file(ctx, fd, Errno::EINVAL)?;
    if operation & LOCK_NB == 0 {
        // Waits for the lock until a signal ends the wait.
        ctx.block(Errno::ERESTARTSYS, |_| Ok(host::flock(host_fd, operation, host::Wait::Interruptible)?))?;
    } else {
        host::flock(host_fd, operation, host::Wait::Uninterruptible)?;
    }
    Ok(0)
}

pub(crate) fn sys_fstatfs(ctx: &mut SyscallCtx<'_>, fd: Fd, buf: UserPtr<Opaque>) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    let st = match f.host_fd() {
        Ok(host_fd) => super::mount::statfs_at(ctx, ctx.m.root.guest_path_of(host_fd).as_deref(), host_fd)?,
        Err(_) => crate::fs::vfs::proc_statfs(),
    };
    ctx.user().write_obj(buf.addr(), &st)?;
    Ok(0)
}

/// Reads an optional guest `loff_t *`.
fn read_off(ctx: &SyscallCtx<'_>, ptr: UserPtr<Opaque>) -> SysResult<Option<i64>> {
    if ptr.is_null() {
        return Ok(None);
    }
    Ok(Some(ctx.user().read_val::<i64>(ptr.addr())?))
}

pub(crate) fn sys_sendfile(
    ctx: &mut SyscallCtx<'_>,
    out_fd: Fd,
    in_fd: Fd,
    offset: UserPtr<Opaque>,
    count: usize,
) -> SysResult {
    let (o, out) = host_file(ctx, out_fd, Errno::EINVAL)?;
    let (i, inp) = host_file(ctx, in_fd, Errno::EINVAL)?;
    let mut off = read_off(ctx, offset)?;
    let count = rw_count(count);
    let r = if o.may_block() || i.may_block() {
        // A pipe at either end can wait, until a signal ends the wait.
        ctx.block(Errno::ERESTARTSYS, |_| Ok(host::sendfile(out, inp, off.as_mut(), count, host::Wait::Interruptible)?))
    } else {
        host::sendfile(out, inp, off.as_mut(), count, host::Wait::Uninterruptible).map_err(Errno::from)
    };
    if let (Some(o), Ok(_)) = (off, &r) {
        ctx.user().write_val(offset.addr(), o)?;
    }
    epipe(ctx, r)
}

pub(crate) fn sys_copy_file_range(
    ctx: &mut SyscallCtx<'_>,
    fd_in: Fd,
    off_in: UserPtr<Opaque>,
    fd_out: Fd,
    off_out: UserPtr<Opaque>,
    len: usize,
    flags: IntFlags,
) -> SysResult {
    let (_i, inp) = host_file(ctx, fd_in, Errno::EINVAL)?;
    let (_o, out) = host_file(ctx, fd_out, Errno::EINVAL)?;
    let mut in_pos = read_off(ctx, off_in)?;
    let mut out_pos = read_off(ctx, off_out)?;
    // The flags are an unsigned int.
    let flags = flags.0;
    let n = host::copy_file_range(inp, in_pos.as_mut(), out, out_pos.as_mut(), rw_count(len), flags)?;
    if let Some(pos) = in_pos {
        ctx.user().write_val(off_in.addr(), pos)?;
    }
    if let Some(pos) = out_pos {
        ctx.user().write_val(off_out.addr(), pos)?;
    }
    Ok(n as u64)
}

pub(crate) fn sys_fchmod(ctx: &mut SyscallCtx<'_>, fd: Fd, mode: Mode) -> SysResult {
    let (_f, host_fd) = host_file(ctx, fd, Errno::EPERM)?;
    let link = std::ffi::CString::new(format!("/proc/self/fd/{host_fd}")).map_err(|_| Errno::EINVAL)?;
    host::fchmodat(AT_FDCWD, &link, mode.0 & S_IALLUGO)?;
    ctx.m.root.dirs.invalidate();
    Ok(0)
}

pub(crate) fn sys_fchown(ctx: &mut SyscallCtx<'_>, fd: Fd, owner: u32, group: u32) -> SysResult {
    let (_f, host_fd) = host_file(ctx, fd, Errno::EPERM)?;
    host::fchownat(host_fd, c"", owner, group, AT_EMPTY_PATH)?;
    ctx.m.root.dirs.invalidate();
    Ok(0)
}

pub(crate) fn sys_fchdir(ctx: &mut SyscallCtx<'_>, fd: Fd) -> SysResult {
    let base = ctx.at(fd.0 as u64, b".")?;
    let (path, fd) = crate::fs::vfs::directory(&ctx.m.root, &ctx.procfs(), base)?;
    let mut fs = ctx.task.process.fs();
    fs.cwd = path;
    fs.cwd_fd = fd.map(Arc::new);
    drop(fs);
    ctx.m.root.dirs.invalidate();
    Ok(0)
}

#[cfg(test)]
mod tests;
