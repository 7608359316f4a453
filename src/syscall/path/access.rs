//! access, faccessat, faccessat2.

use super::*;
use crate::fs::node::Node;

/// access(2)'s checks: a mode other than F_OK or R_OK|W_OK|X_OK bits, or
/// an unknown flag, is EINVAL. Both are `int`s: the upper half of their
/// registers is not looked at. The mode and the flags.
pub(super) fn access_args(mode: u32, flags: u32) -> SysResult<(i32, i32)> {
    let mode = known_flags(mode, R_OK | W_OK | X_OK)?;
    Ok((mode, known_flags(flags, AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)?))
}

fn access_common(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, mode: u32, flags: u32) -> SysResult {
    let (mode, flags) = access_args(mode, flags)?;
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    let host_flags = AT_EMPTY_PATH | (flags & AT_EACCESS);
    let access_host = |c: HostPath<'_>| -> SysResult {
        if let Some(r) = ctx.m.root.access_cached(c, mode, flags & AT_EACCESS, follow) {
            return r;
        }
        let fd = ctx.m.root.path_fd(c.abs, follow)?;
        host::faccessat2(fd.as_raw_fd(), c"", mode, host_flags)?;
        Ok(0)
    };
    let mut arg = path::PathArg::default();
    ctx.read_path(pathname.addr(), &mut arg)?;
    if let Some((d, name)) = beneath_cwd_cached(ctx, dirfd, arg.as_cstr()) {
        let r = d.fd().and_then(|at| crate::fs::fastwalk::lookup_access(at, name, mode, flags & AT_EACCESS, follow));
        if let Some(r) = r {
            return r;
        }
    }
    let target = match target_of(ctx, dirfd, flags, &mut arg)? {
        Target::Host(p) => return access_host(p),
        Target::Abs(abs) => vfs::resolve(&ctx.procfs(), abs, follow)?,
        Target::Empty => empty_path(ctx, dirfd)?,
    };
    match target {
        Resolved::OpenFile(f) if f.is_host() => {
            let fd = f.host_fd()?;
            host::faccessat2(fd, c"", mode, host_flags)?;
            Ok(0)
        }
        Resolved::Host(c) => access_host(HostPath::new(&c)),
        // The kernel's device nodes, for root: readable and writable,
        // executable by no one (no x bit), as Linux answers.
        Resolved::Virtual(Node::HostDevice(_) | Node::Console | Node::Pty(_) | Node::Tty(_) | Node::Kmsg, _) => {
            if mode & X_OK != 0 {
                Err(Errno::EACCES)
            } else {
                Ok(0)
            }
        }
        // Everyone is root inside; generated files are read-only.
        Resolved::Virtual(..) | Resolved::OpenFile(_) if mode & W_OK != 0 => Err(Errno::EACCES),
        _ => Ok(0),
    }
}

pub(crate) fn sys_access(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, mode: IntFlags) -> SysResult {
    access_common(ctx, CWD, pathname, mode.0, 0)
}

/// The mode is an int, as for access and faccessat2.
pub(crate) fn sys_faccessat(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, mode: i32) -> SysResult {
    access_common(ctx, dirfd, pathname, mode as u32, 0)
}

pub(crate) fn sys_faccessat2(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    mode: IntFlags,
    flags: IntFlags,
) -> SysResult {
    access_common(ctx, dirfd, pathname, mode.0, flags.0)
}
