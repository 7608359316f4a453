//! Extended attributes and file advice. The guest's file system keeps no
//! extended attributes (like a file system mounted without xattr support):
//! after the usual path and descriptor checks, getting or setting one is
//! `EOPNOTSUPP` and the list is empty. `ls -l` and `cp -a` ask and cope.
//! Like Linux, a call checks its own arguments (flags, name, size, value)
//! before it looks the path or the descriptor up.

use super::args::{CStr, Fd, IntFlags, Opaque, UserPtr};
use super::SyscallCtx;
use crate::abi::fcntl::{AT_EMPTY_PATH, AT_FDCWD, F_GETFL, O_PATH, POSIX_FADV_NOREUSE, POSIX_FADV_NORMAL};
use crate::abi::stat::{S_IFIFO, S_IFMT};
use crate::abi::xattr::{XATTR_CREATE, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SIZE_MAX};
use crate::errno::{Errno, SysResult};
use crate::fs::vfs;

/// The path must name something (ENOENT, ENOTDIR, ELOOP, EFAULT as for stat).
fn check_path(ctx: &SyscallCtx<'_>, path: UserPtr<CStr>, follow: bool) -> SysResult<()> {
    let p = ctx.path(path.addr())?;
    let abs = ctx.at(AT_FDCWD as u64, &p)?;
    vfs::stat(&ctx.m.root, &ctx.procfs(), abs, follow)?;
    Ok(())
}

/// What an attribute call names: a path (symlinks followed or not) or a
/// descriptor.
#[derive(Clone, Copy)]
enum Target {
    Path(UserPtr<CStr>, bool),
    Fd(Fd),
}

/// The file `target` names must exist (or be open).
fn check_target(ctx: &SyscallCtx<'_>, target: Target) -> SysResult<()> {
    match target {
        Target::Path(path, follow) => check_path(ctx, path, follow),
        Target::Fd(fd) => ctx.file(fd.0 as u64).map(drop),
    }
}

fn check_name(ctx: &SyscallCtx<'_>, name: UserPtr<CStr>) -> SysResult<()> {
    let name = ctx.user().read_cstr(name.addr(), XATTR_NAME_MAX + 1).map_err(|e| match e {
        Errno::ENAMETOOLONG => Errno::ERANGE,
        e => e,
    })?;
    if name.is_empty() || name.len() > XATTR_NAME_MAX {
        return Err(Errno::ERANGE);
    }
    Ok(())
}

/// getxattr and removexattr: the name, then the file.
fn get(ctx: &SyscallCtx<'_>, target: Target, name: UserPtr<CStr>) -> SysResult {
    check_name(ctx, name)?;
    check_target(ctx, target)?;
    Err(Errno::EOPNOTSUPP)
}

/// setxattr's flags: XATTR_CREATE, XATTR_REPLACE.
fn check_set_flags(flags: IntFlags) -> SysResult<()> {
    if flags.0 & !((XATTR_CREATE | XATTR_REPLACE) as u32) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// setxattr: the flags, the name, the value's size and bytes, then the
/// file.
fn set(
    ctx: &SyscallCtx<'_>,
    target: Target,
    name: UserPtr<CStr>,
    value: UserPtr<Opaque>,
    size: usize,
    flags: IntFlags,
) -> SysResult {
    check_set_flags(flags)?;
    check_name(ctx, name)?;
    if size > XATTR_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    if size > 0 {
        ctx.user().read(value.addr(), &mut vec![0; size])?;
    }
    check_target(ctx, target)?;
    Err(Errno::EOPNOTSUPP)
}

pub(crate) fn sys_getxattr(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    name: UserPtr<CStr>,
    _value: UserPtr<Opaque>,
    _size: usize,
) -> SysResult {
    get(ctx, Target::Path(path, true), name)
}

pub(crate) fn sys_lgetxattr(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    name: UserPtr<CStr>,
    _value: UserPtr<Opaque>,
    _size: usize,
) -> SysResult {
    get(ctx, Target::Path(path, false), name)
}

pub(crate) fn sys_fgetxattr(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    name: UserPtr<CStr>,
    _value: UserPtr<Opaque>,
    _size: usize,
) -> SysResult {
    get(ctx, Target::Fd(fd), name)
}

pub(crate) fn sys_setxattr(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    name: UserPtr<CStr>,
    value: UserPtr<Opaque>,
    size: usize,
    flags: IntFlags,
) -> SysResult {
    set(ctx, Target::Path(path, true), name, value, size, flags)
}

pub(crate) fn sys_lsetxattr(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    name: UserPtr<CStr>,
    value: UserPtr<Opaque>,
    size: usize,
    flags: IntFlags,
) -> SysResult {
    set(ctx, Target::Path(path, false), name, value, size, flags)
}

pub(crate) fn sys_fsetxattr(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    name: UserPtr<CStr>,
    value: UserPtr<Opaque>,
    size: usize,
    flags: IntFlags,
) -> SysResult {
    set(ctx, Target::Fd(fd), name, value, size, flags)
}

/// The list is empty: nothing is written to the buffer, whatever its size.
pub(crate) fn sys_listxattr(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    _list: UserPtr<Opaque>,
    _size: usize,
) -> SysResult {
    check_path(ctx, path, true)?;
    Ok(0)
}

pub(crate) fn sys_llistxattr(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    _list: UserPtr<Opaque>,
    _size: usize,
) -> SysResult {
    check_path(ctx, path, false)?;
    Ok(0)
}

pub(crate) fn sys_flistxattr(ctx: &mut SyscallCtx<'_>, fd: Fd, _list: UserPtr<Opaque>, _size: usize) -> SysResult {
    ctx.file(fd.0 as u64)?;
    Ok(0)
}

pub(crate) fn sys_removexattr(ctx: &mut SyscallCtx<'_>, path: UserPtr<CStr>, name: UserPtr<CStr>) -> SysResult {
    get(ctx, Target::Path(path, true), name)
}

pub(crate) fn sys_lremovexattr(ctx: &mut SyscallCtx<'_>, path: UserPtr<CStr>, name: UserPtr<CStr>) -> SysResult {
    get(ctx, Target::Path(path, false), name)
}

pub(crate) fn sys_fremovexattr(ctx: &mut SyscallCtx<'_>, fd: Fd, name: UserPtr<CStr>) -> SysResult {
    get(ctx, Target::Fd(fd), name)
}

/// fadvise64's advice (POSIX_FADV_NORMAL to POSIX_FADV_NOREUSE) and length
/// (not negative).
fn check_advice(len: i64, advice: i32) -> SysResult<()> {
    if !(POSIX_FADV_NORMAL..=POSIX_FADV_NOREUSE).contains(&advice) || len < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Why host descriptor `fd` takes no advice at all, if it does not: an
/// O_PATH one is no open file (EBADF), a pipe cannot seek (ESPIPE).
fn unadvisable(fd: i32) -> Option<Errno> {
    let flags = crate::arch::host::fcntl_int(fd, F_GETFL, 0).ok()?;
    if flags & O_PATH != 0 {
        return Some(Errno::EBADF);
    }
    let st = crate::arch::host::fstatat(fd, c"", AT_EMPTY_PATH).ok()?;
    (st.st_mode & S_IFMT == S_IFIFO).then_some(Errno::ESPIPE)
}

/// fadvise64(fd, offset, len, advice): advice only. Passed to the host for
/// host files (it may read ahead or drop caches); ESPIPE for pipes.
pub(crate) fn sys_fadvise64(ctx: &mut SyscallCtx<'_>, fd: Fd, offset: i64, len: i64, advice: i32) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    if let Err(e) = check_advice(len, advice) {
        // What the descriptor is decides first, as on Linux.
        return Err(f.host_fd().ok().and_then(unadvisable).unwrap_or(e));
    }
    match f.host_fd() {
        Ok(host_fd) => crate::arch::host::fadvise(host_fd, offset, len, advice).map(|()| 0).map_err(Errno::from),
        // Generated files and directories: nothing to advise about.
        Err(_) => Ok(0),
    }
}

#[cfg(test)]
mod tests;
