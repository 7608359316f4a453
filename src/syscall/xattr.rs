//! Extended attributes and file advice. The guest's file system keeps no
//! extended attributes (like a file system mounted without xattr support):
//! after the usual path and descriptor checks, getting or setting one is
//! `EOPNOTSUPP` and the list is empty. `ls -l` and `cp -a` ask and cope.

use super::{arg_i32, Args, SyscallCtx};
use crate::errno::{Errno, SysResult};
use crate::fs::vfs;

const AT_FDCWD: u64 = -100i64 as u64;
/// XATTR_NAME_MAX: longer names are ERANGE.
const XATTR_NAME_MAX: usize = 255;
const XATTR_SIZE_MAX: u64 = 65536;
const XATTR_CREATE: u64 = 1;
const XATTR_REPLACE: u64 = 2;

/// The path must name something (ENOENT, ENOTDIR, ELOOP, EFAULT as for stat).
fn check_path(ctx: &SyscallCtx<'_>, ptr: u64, follow: bool) -> SysResult<()> {
    let p = ctx.path(ptr)?;
    let abs = ctx.at(AT_FDCWD, &p)?;
    vfs::stat(ctx.m, &ctx.task.process, abs, follow)?;
    Ok(())
}

fn check_name(ctx: &SyscallCtx<'_>, ptr: u64) -> SysResult<()> {
    let name = ctx.user().read_cstr(ptr, XATTR_NAME_MAX + 1).map_err(|e| match e {
        Errno::ENAMETOOLONG => Errno::ERANGE,
        e => e,
    })?;
    if name.is_empty() || name.len() > XATTR_NAME_MAX {
        return Err(Errno::ERANGE);
    }
    Ok(())
}

fn get(ctx: &SyscallCtx<'_>, name: u64) -> SysResult {
    check_name(ctx, name)?;
    Err(Errno::EOPNOTSUPP)
}

fn set(ctx: &SyscallCtx<'_>, name: u64, size: u64, flags: u64) -> SysResult {
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    check_name(ctx, name)?;
    if size > XATTR_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    Err(Errno::EOPNOTSUPP)
}

pub fn sys_getxattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    check_path(ctx, a[0], true)?;
    get(ctx, a[1])
}

pub fn sys_lgetxattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    check_path(ctx, a[0], false)?;
    get(ctx, a[1])
}

pub fn sys_fgetxattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    ctx.file(a[0])?;
    get(ctx, a[1])
}

pub fn sys_setxattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    check_path(ctx, a[0], true)?;
    set(ctx, a[1], a[3], a[4])
}

pub fn sys_lsetxattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    check_path(ctx, a[0], false)?;
    set(ctx, a[1], a[3], a[4])
}

pub fn sys_fsetxattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    ctx.file(a[0])?;
    set(ctx, a[1], a[3], a[4])
}

pub fn sys_listxattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    check_path(ctx, a[0], true)?;
    Ok(0)
}

pub fn sys_llistxattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    check_path(ctx, a[0], false)?;
    Ok(0)
}

pub fn sys_flistxattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    ctx.file(a[0])?;
    Ok(0)
}

pub fn sys_removexattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    check_path(ctx, a[0], true)?;
    get(ctx, a[1])
}

pub fn sys_lremovexattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    check_path(ctx, a[0], false)?;
    get(ctx, a[1])
}

pub fn sys_fremovexattr(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    ctx.file(a[0])?;
    get(ctx, a[1])
}

/// fadvise64(fd, offset, len, advice): advice only. Passed to the host for
/// host files (it may read ahead or drop caches); ESPIPE for pipes.
pub fn sys_fadvise64(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    const POSIX_FADV_NOREUSE: i32 = 5;
    let f = ctx.file(a[0])?;
    let (off, len, advice) = (a[1] as i64, a[2] as i64, arg_i32(a[3]));
    if !(0..=POSIX_FADV_NOREUSE).contains(&advice) || len < 0 {
        return Err(Errno::EINVAL);
    }
    match f.host_fd() {
        Ok(fd) => crate::arch::host::fadvise(fd, off, len, advice).map(|()| 0).map_err(Errno::from),
        // Generated files and directories: nothing to advise about.
        Err(_) => Ok(0),
    }
}
