//! Descriptor syscalls: I/O, offsets, duplication, fcntl, ioctl, pipes,
//! directory reading, and the f*() metadata calls.

use super::{arg_i32, Args, SyscallCtx};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::fs::file::{DirEntry, FileKind, DT_DIR};
use crate::fs::OpenFile;
use std::sync::Arc;

/// Linux caps a single read/write at INT_MAX rounded down to a page.
const MAX_RW_COUNT: u64 = 0x7fff_f000;
const UIO_MAXIOV: u64 = 1024;
const O_CLOEXEC: u64 = 0o2000000;
const O_NONBLOCK: u64 = 0o4000;
const O_DIRECT: u64 = 0o40000;
const SIGPIPE: i32 = 13;

fn count(n: u64) -> usize {
    n.min(MAX_RW_COUNT) as usize
}

/// A write that hit a closed pipe also raises SIGPIPE.
fn epipe(ctx: &mut SyscallCtx<'_>, r: SysResult<usize>) -> SysResult {
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
        FileKind::Generated(_) if f.flags() & 3 == libc::O_WRONLY as u32 => Err(Errno::EBADF),
        _ => Ok(()),
    }
}

pub fn sys_read(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = ctx.file(a[0])?;
    check_readable(&f)?;
    match &f.kind {
        FileKind::Generated(d) => read_generated(ctx, &f, d, a[1], count(a[2]), None),
        _ if f.may_block() => {
            let fd = f.host_fd()?;
            ctx.block(Errno::ERESTARTSYS, |ctx| ctx.user().host_read(fd, a[1], count(a[2]), true)).map(|n| n as u64)
        }
        _ => Ok(ctx.user().host_read(f.host_fd()?, a[1], count(a[2]), false)? as u64),
    }
}

pub fn sys_write(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = ctx.file(a[0])?;
    let fd = f.host_fd().map_err(|_| Errno::EBADF)?;
    let r = if f.may_block() {
        ctx.block(Errno::ERESTARTSYS, |ctx| ctx.user().host_write(fd, a[1], count(a[2]), true))
    } else {
        ctx.user().host_write(fd, a[1], count(a[2]), false)
    };
    epipe(ctx, r)
}

fn offset(v: u64) -> SysResult<i64> {
    let off = v as i64;
    if off < 0 {
        Err(Errno::EINVAL)
    } else {
        Ok(off)
    }
}

pub fn sys_pread64(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = ctx.file(a[0])?;
    check_readable(&f)?;
    let off = offset(a[3])?;
    match &f.kind {
        FileKind::Generated(d) => read_generated(ctx, &f, d, a[1], count(a[2]), Some(off as u64)),
        _ => Ok(ctx.user().host_pread(f.host_fd()?, a[1], count(a[2]), off)? as u64),
    }
}

pub fn sys_pwrite64(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = ctx.file(a[0])?;
    let off = offset(a[3])?;
    let r = ctx.user().host_pwrite(f.host_fd().map_err(|_| Errno::EBADF)?, a[1], count(a[2]), off);
    epipe(ctx, r)
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

fn rwv(ctx: &mut SyscallCtx<'_>, a: &Args, write: bool, at: Option<u64>) -> SysResult {
    let f = ctx.file(a[0])?;
    let iov = read_iovecs(ctx, a[1], a[2])?;
    let off = at.map(offset).transpose()?;
    if !write {
        check_readable(&f)?;
        if let FileKind::Generated(d) = &f.kind {
            let mut total = 0u64;
            for (base, len) in iov {
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
    }
    let fd = f.host_fd().map_err(|_| Errno::EBADF)?;
    let r = if f.may_block() && off.is_none() {
        ctx.block(Errno::ERESTARTSYS, |ctx| ctx.user().host_rwv(fd, &iov, write, off, true))
    } else {
        ctx.user().host_rwv(fd, &iov, write, off, false)
    };
    if write {
        epipe(ctx, r)
    } else {
        r.map(|n| n as u64)
    }
}

pub fn sys_readv(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    rwv(ctx, a, false, None)
}

pub fn sys_writev(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    rwv(ctx, a, true, None)
}

pub fn sys_preadv(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    rwv(ctx, a, false, Some(a[3]))
}

pub fn sys_pwritev(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    rwv(ctx, a, true, Some(a[3]))
}

pub fn sys_lseek(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = ctx.file(a[0])?;
    let (off, whence) = (a[1] as i64, arg_i32(a[2]));
    let len = match &f.kind {
        FileKind::Host(_) => return Ok(host::lseek(f.host_fd()?, off, whence)? as u64),
        FileKind::Generated(d) => d.len() as i64,
        FileKind::Dir(e) => e.lock().unwrap_or_else(|e| e.into_inner()).len() as i64 + 2,
    };
    let mut pos = f.lock_pos();
    let new = match whence {
        libc::SEEK_SET => off,
        libc::SEEK_CUR => *pos as i64 + off,
        libc::SEEK_END => len + off,
        _ => return Err(Errno::EINVAL),
    };
    if new < 0 {
        return Err(Errno::EINVAL);
    }
    *pos = new as u64;
    Ok(new as u64)
}

pub fn sys_close(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let file = ctx.task.process.files().close(arg_i32(a[0]))?;
    // The host close (the last reference) runs after the table is unlocked.
    drop(file);
    Ok(0)
}

pub fn sys_dup(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let limit = ctx.task.process.fd_limit();
    let mut files = ctx.task.process.files();
    let f = files.get(arg_i32(a[0]))?;
    Ok(files.install(limit, f, false)? as u64)
}

fn dup_to(ctx: &mut SyscallCtx<'_>, old: i32, new: i32, cloexec: bool) -> SysResult {
    let limit = ctx.task.process.fd_limit();
    let mut files = ctx.task.process.files();
    let f = files.get(old)?;
    Ok(files.install_at(new, limit, f, cloexec)? as u64)
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

const F_DUPFD: i32 = 0;
const F_GETFD: i32 = 1;
const F_SETFD: i32 = 2;
const F_GETFL: i32 = 3;
const F_SETFL: i32 = 4;
const F_GETLK: i32 = 5;
const F_SETLK: i32 = 6;
const F_SETLKW: i32 = 7;
const F_OFD_GETLK: i32 = 36;
const F_OFD_SETLK: i32 = 37;
const F_OFD_SETLKW: i32 = 38;
const F_DUPFD_CLOEXEC: i32 = 1030;
const F_SETPIPE_SZ: i32 = 1031;
const F_GETPIPE_SZ: i32 = 1032;
const FD_CLOEXEC: u64 = 1;
/// Flags F_SETFL may change.
const SETFL_MASK: u32 = 0o2000 | 0o4000 | 0o20000 | 0o40000 | 0o1000000;

pub fn sys_fcntl(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (fd, cmd, arg) = (arg_i32(a[0]), arg_i32(a[1]), a[2]);
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
        F_GETFD => Ok(process.files().entry(fd)?.cloexec as u64),
        F_SETFD => {
            process.files().set_cloexec(fd, arg & FD_CLOEXEC != 0)?;
            Ok(0)
        }
        F_GETFL => {
            let f = ctx.file(a[0])?;
            match f.kind {
                FileKind::Host(_) => Ok(host::fcntl_int(f.host_fd()?, F_GETFL, 0)? as u64),
                _ => Ok(f.flags() as u64),
            }
        }
        F_SETFL => {
            let f = ctx.file(a[0])?;
            match f.kind {
                FileKind::Host(_) => Ok(host::fcntl_int(f.host_fd()?, F_SETFL, arg as u32 as i64)? as u64),
                _ => {
                    f.set_flags((f.flags() & !SETFL_MASK) | (arg as u32 & SETFL_MASK));
                    Ok(0)
                }
            }
        }
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW => {
            let f = ctx.file(a[0])?;
            let mut lock = [0u8; 32];
            ctx.user().read(arg, &mut lock)?;
            let fd = f.host_fd().map_err(|_| Errno::EBADF)?;
            if matches!(cmd, F_SETLKW | F_OFD_SETLKW) {
                // Waits for the lock until a signal ends the wait.
                ctx.block(Errno::ERESTARTSYS, |_| {
                    Ok(host::fcntl_lock(fd, cmd, &mut lock, host::Wait::Interruptible)?)
                })?;
            } else {
                host::fcntl_lock(fd, cmd, &mut lock, host::Wait::Uninterruptible)?;
            }
            if matches!(cmd, F_GETLK | F_OFD_GETLK) {
                ctx.user().write(arg, &lock)?;
            }
            Ok(0)
        }
        F_GETPIPE_SZ | F_SETPIPE_SZ => {
            let f = ctx.file(a[0])?;
            Ok(host::fcntl_int(f.host_fd().map_err(|_| Errno::EBADF)?, cmd, arg as u32 as i64)? as u64)
        }
        _ => {
            process.files().get(fd)?;
            log::debug!("fcntl command {cmd} not supported");
            Err(Errno::EINVAL)
        }
    }
}

// ioctl requests (asm-generic/ioctls.h).
const TCGETS: u64 = 0x5401;
const TCSETS: u64 = 0x5402;
const TCSETSW: u64 = 0x5403;
const TCSETSF: u64 = 0x5404;
const TCSBRK: u64 = 0x5409;
const TCXONC: u64 = 0x540A;
const TCFLSH: u64 = 0x540B;
const TIOCSCTTY: u64 = 0x540E;
const TIOCGPGRP: u64 = 0x540F;
const TIOCSPGRP: u64 = 0x5410;
const TIOCOUTQ: u64 = 0x5411;
const TIOCGWINSZ: u64 = 0x5413;
const TIOCSWINSZ: u64 = 0x5414;
const FIONREAD: u64 = 0x541B;
const FIONBIO: u64 = 0x5421;
const TIOCNOTTY: u64 = 0x5422;
const TIOCGSID: u64 = 0x5429;
const FIONCLEX: u64 = 0x5450;
const FIOCLEX: u64 = 0x5451;
/// sizeof(struct termios) as the kernel's TCGETS writes it.
const KERNEL_TERMIOS_SIZE: usize = 36;
const WINSIZE_SIZE: usize = 8;

fn is_tty(fd: i32) -> bool {
    host::ioctl_buf(fd, TCGETS, &mut [0u8; 64]).is_ok()
}

pub fn sys_ioctl(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = ctx.file(a[0])?;
    let (req, arg) = (a[1] & 0xffff_ffff, a[2]);
    match req {
        FIOCLEX | FIONCLEX => {
            ctx.task.process.files().set_cloexec(arg_i32(a[0]), req == FIOCLEX)?;
            return Ok(0);
        }
        FIONBIO => {
            let on: i32 = ctx.user().read_val(arg)?;
            let fd = f.host_fd().map_err(|_| Errno::ENOTTY)?;
            let fl = host::fcntl_int(fd, F_GETFL, 0)?;
            let fl = if on != 0 { fl | O_NONBLOCK as i32 } else { fl & !(O_NONBLOCK as i32) };
            host::fcntl_int(fd, F_SETFL, fl as i64)?;
            return Ok(0);
        }
        _ => {}
    }
    let fd = f.host_fd().map_err(|_| Errno::ENOTTY)?;
    let out = |ctx: &SyscallCtx<'_>, size: usize| -> SysResult {
        let mut buf = [0u8; 64];
        host::ioctl_buf(fd, req, &mut buf)?;
        ctx.user().write(arg, &buf[..size])?;
        Ok(0)
    };
    let inp = |ctx: &SyscallCtx<'_>, size: usize| -> SysResult {
        let mut buf = [0u8; 64];
        ctx.user().read(arg, &mut buf[..size])?;
        host::ioctl_buf(fd, req, &mut buf)?;
        Ok(0)
    };
    match req {
        TCGETS => out(ctx, KERNEL_TERMIOS_SIZE),
        TIOCGWINSZ => out(ctx, WINSIZE_SIZE),
        FIONREAD | TIOCOUTQ => out(ctx, 4),
        TCSETS | TCSETSW | TCSETSF => inp(ctx, KERNEL_TERMIOS_SIZE),
        TIOCSWINSZ => inp(ctx, WINSIZE_SIZE),
        TCSBRK | TCXONC | TCFLSH => Ok(host::ioctl_int(fd, req, arg)? as u64),
        // Process groups and sessions are the guest's own: keep the
        // terminal's view of them virtual.
        TIOCGPGRP | TIOCGSID if is_tty(fd) => {
            let v = if req == TIOCGPGRP { ctx.m.foreground_pgrp() } else { ctx.task.process.sid() };
            ctx.user().write_val(arg, v)?;
            Ok(0)
        }
        TIOCSPGRP if is_tty(fd) => {
            let pgrp: i32 = ctx.user().read_val(arg)?;
            if pgrp < 0 {
                return Err(Errno::EINVAL);
            }
            ctx.m.set_foreground_pgrp(pgrp);
            Ok(0)
        }
        // The console is the only terminal: a session leader that takes it
        // as its controlling terminal becomes its foreground group.
        TIOCSCTTY if is_tty(fd) => {
            ctx.m.set_foreground_pgrp(ctx.task.process.pgid());
            Ok(0)
        }
        TIOCNOTTY if is_tty(fd) => Ok(0),
        _ => Err(Errno::ENOTTY),
    }
}

pub fn sys_pipe2(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let flags = a[1];
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    ctx.check_free_fds(2)?;
    let (r, w) = host::pipe2((flags & (O_NONBLOCK | O_DIRECT)) as i32)
        .map_err(|e| super::host_table_full_is_enfile(e.into()))?;
    let cloexec = flags & O_CLOEXEC != 0;
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
        let reclen = (19 + e.name.len() + 1).next_multiple_of(8);
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

pub fn sys_getdents64(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = ctx.file(a[0])?;
    let len = (a[2] as u32 as usize).min(1 << 20);
    match &f.kind {
        FileKind::Dir(entries) => {
            // Like procfs, a directory read from the start sees the state
            // of now (e.g. /proc/self/fd including the listing's own fd).
            if *f.lock_pos() == 0 {
                let fresh = crate::fs::vfs::relist(ctx.m, &ctx.task.process, &f.path);
                if let Some(fresh) = fresh {
                    *entries.lock().unwrap_or_else(|e| e.into_inner()) = fresh;
                }
            }
            let entries = entries.lock().unwrap_or_else(|e| e.into_inner()).clone();
            getdents_generated(ctx, &f, &entries, a[1], len)
        }
        FileKind::Generated(_) => Err(Errno::ENOTDIR),
        FileKind::Host(_) => {
            let fd = f.host_fd()?;
            let mut buf = vec![0u8; len];
            // Entries the guest cannot receive must not be used up: Linux
            // leaves the position at the first one it could not copy.
            let before = host::lseek(fd, 0, libc::SEEK_CUR);
            let n = host::getdents64(fd, &mut buf)?;
            if let Err(e) = ctx.user().write(a[1], &buf[..n]) {
                if let Ok(pos) = before {
                    let _ = host::lseek(fd, pos, libc::SEEK_SET);
                }
                return Err(e);
            }
            Ok(n as u64)
        }
    }
}

pub fn sys_fstat(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = ctx.file(a[0])?;
    let st = crate::fs::vfs::fstat(&f)?;
    ctx.user().write(a[1], &st)?;
    Ok(0)
}

fn host_file(ctx: &SyscallCtx<'_>, fd: u64, not_host: Errno) -> SysResult<(Arc<OpenFile>, i32)> {
    let f = ctx.file(fd)?;
    let h = f.host_fd().map_err(|_| not_host)?;
    Ok((f, h))
}

pub fn sys_fsync(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (_f, fd) = host_file(ctx, a[0], Errno::EINVAL)?;
    host::fsync(fd, false)?;
    Ok(0)
}

pub fn sys_fdatasync(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (_f, fd) = host_file(ctx, a[0], Errno::EINVAL)?;
    host::fsync(fd, true)?;
    Ok(0)
}

pub fn sys_ftruncate(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (_f, fd) = host_file(ctx, a[0], Errno::EINVAL)?;
    host::ftruncate(fd, a[1] as i64)?;
    Ok(0)
}

pub fn sys_fallocate(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (_f, fd) = host_file(ctx, a[0], Errno::ENODEV)?;
    host::fallocate(fd, arg_i32(a[1]), a[2] as i64, a[3] as i64)?;
    Ok(0)
}

pub fn sys_flock(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (_f, fd) = host_file(ctx, a[0], Errno::EINVAL)?;
    let op = arg_i32(a[1]);
    if op & libc::LOCK_NB == 0 {
        // Waits for the lock until a signal ends the wait.
        ctx.block(Errno::ERESTARTSYS, |_| Ok(host::flock(fd, op, host::Wait::Interruptible)?))?;
    } else {
        host::flock(fd, op, host::Wait::Uninterruptible)?;
    }
    Ok(0)
}

pub fn sys_fstatfs(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = ctx.file(a[0])?;
    let st = match f.host_fd() {
        Ok(fd) => host::statfs_raw(fd)?,
        Err(_) => crate::fs::vfs::proc_statfs(),
    };
    ctx.user().write(a[1], &st)?;
    Ok(0)
}

/// Reads an optional guest `loff_t *`.
fn read_off(ctx: &SyscallCtx<'_>, ptr: u64) -> SysResult<Option<i64>> {
    if ptr == 0 {
        return Ok(None);
    }
    Ok(Some(ctx.user().read_val::<i64>(ptr)?))
}

pub fn sys_sendfile(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (o, out) = host_file(ctx, a[0], Errno::EINVAL)?;
    let (i, inp) = host_file(ctx, a[1], Errno::EINVAL)?;
    let mut off = read_off(ctx, a[2])?;
    let r = if o.may_block() || i.may_block() {
        // A pipe at either end can wait, until a signal ends the wait.
        ctx.block(Errno::ERESTARTSYS, |_| {
            Ok(host::sendfile(out, inp, off.as_mut(), count(a[3]), host::Wait::Interruptible)?)
        })
    } else {
        host::sendfile(out, inp, off.as_mut(), count(a[3]), host::Wait::Uninterruptible).map_err(Errno::from)
    };
    if let (Some(o), Ok(_)) = (off, &r) {
        ctx.user().write_val(a[2], o)?;
    }
    epipe(ctx, r)
}

pub fn sys_copy_file_range(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (_i, inp) = host_file(ctx, a[0], Errno::EINVAL)?;
    let (_o, out) = host_file(ctx, a[2], Errno::EINVAL)?;
    let mut off_in = read_off(ctx, a[1])?;
    let mut off_out = read_off(ctx, a[3])?;
    let n = host::copy_file_range(inp, off_in.as_mut(), out, off_out.as_mut(), count(a[4]), a[5] as u32)?;
    if let Some(o) = off_in {
        ctx.user().write_val(a[1], o)?;
    }
    if let Some(o) = off_out {
        ctx.user().write_val(a[3], o)?;
    }
    Ok(n as u64)
}

pub fn sys_fchmod(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (_f, fd) = host_file(ctx, a[0], Errno::EPERM)?;
    let link = std::ffi::CString::new(format!("/proc/self/fd/{fd}")).map_err(|_| Errno::EINVAL)?;
    host::fchmodat(libc::AT_FDCWD, &link, a[1] as u32 & 0o7777)?;
    Ok(0)
}

pub fn sys_fchown(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (_f, fd) = host_file(ctx, a[0], Errno::EPERM)?;
    host::fchownat(fd, c"", a[1] as u32, a[2] as u32, libc::AT_EMPTY_PATH)?;
    Ok(0)
}

pub fn sys_fchdir(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let base = ctx.at(a[0], b".")?;
    let (path, fd) = crate::fs::vfs::directory(ctx.m, &ctx.task.process, base)?;
    let mut fs = ctx.task.process.fs();
    fs.cwd = path;
    fs.cwd_fd = fd.map(Arc::new);
    Ok(0)
}
