//! stat, lstat, newfstatat and statx: the path's file, or the descriptor's
//! with an empty path, as `struct stat` or `struct statx`.

use super::*;

fn stat_common(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    statbuf: UserPtr<StatBuf>,
    flags: i32,
) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT) != 0 {
        return Err(Errno::EINVAL);
    }
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    let mut arg = path::PathArg::default();
    ctx.read_path(pathname.addr(), &mut arg)?;
    // The host's answers land here and are copied out once (a move of
    // the 144 bytes is a `memcpy` call each time).
    let mut st = crate::abi::types::Stat::default();
    let out = |ctx: &SyscallCtx<'_>, st: &crate::abi::types::Stat| ctx.user().write_obj(statbuf.addr(), st);
    if let Some(dev) = crate::fs::devfs::plain_host_device(arg.as_bytes()) {
        let (dir, name) = crate::fs::devfs::host_device_at(dev);
        host::fstatat_into(dir, name, 0, &mut st)?;
        out(ctx, &st)?;
        return Ok(0);
    }
    // (Both walks beneath the working directory are for relative paths.)
    let relative = arg.as_bytes().first() != Some(&b'/');
    if !relative {
        if let Some(r) = ctx.m.root.stat_peeked(arg.as_cstr(), follow, &mut st) {
            r?;
            out(ctx, &st)?;
            return Ok(0);
        }
    }
    let cached = if relative { beneath_cwd_cached(ctx, dirfd, arg.as_cstr()) } else { None };
    if let Some((d, name, at)) = cached.as_ref().and_then(|(d, name)| Some((d, name, d.fd()?))) {
        let path = || Some(d.machine_path(ctx, arg.as_bytes()));
        if let Some(r) = crate::fs::fastwalk::lookup_stat(&ctx.m.root, at, name, follow, path, &mut st) {
            r?;
            out(ctx, &st)?;
            return Ok(0);
        }
    }
    if let Some(fd) = if relative { beneath_cwd(ctx, dirfd, arg.as_cstr(), follow)? } else { None } {
        let mut st = host::fstatat(fd.as_raw_fd(), c"", AT_EMPTY_PATH)?;
        ctx.m.root.fix_stat(fd.as_raw_fd(), &mut st);
        ctx.user().write_val(statbuf.addr(), st)?;
        return Ok(0);
    }
    let st = match target_of(ctx, dirfd, flags, &mut arg)? {
        Target::Host(p) => {
            vfs::stat_host_into(&ctx.m.root, p, follow, &mut st)?;
            out(ctx, &st)?;
            return Ok(0);
        }
        Target::Empty if dirfd == CWD => {
            // Copied out first: the walk must not run under the `fs` lock.
            let cwd = ctx.task.process.fs().cwd.clone();
            vfs::stat(&ctx.m.root, &ctx.procfs(), cwd, true)?
        }
        Target::Empty => {
            let f = ctx.file(reg(dirfd))?;
            let mut st = vfs::fstat(&f)?;
            if let Ok(host_fd) = f.host_fd() {
                ctx.m.root.fix_stat(host_fd, &mut st);
            }
            st
        }
        Target::Abs(abs) => vfs::stat(&ctx.m.root, &ctx.procfs(), abs, follow)?,
    };
    ctx.user().write_val(statbuf.addr(), st)?;
    Ok(0)
}

pub(crate) fn sys_stat(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, statbuf: UserPtr<StatBuf>) -> SysResult {
    stat_common(ctx, CWD, pathname, statbuf, 0)
}

pub(crate) fn sys_lstat(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, statbuf: UserPtr<StatBuf>) -> SysResult {
    stat_common(ctx, CWD, pathname, statbuf, AT_SYMLINK_NOFOLLOW)
}

pub(crate) fn sys_newfstatat(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    statbuf: UserPtr<StatBuf>,
    flags: AtFlags,
) -> SysResult {
    stat_common(ctx, dirfd, pathname, statbuf, flags.0 as i32)
}

pub(crate) fn sys_statx(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    flags: IntFlags,
    mask: u64,
    statxbuf: UserPtr<Opaque>,
) -> SysResult {
    // The mask is an unsigned int: only the low 32 bits count.
    let (mask, buf) = (mask as u32, statxbuf.addr());
    let flags = known_flags(flags.0, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)?;
    if mask & STATX__RESERVED != 0 {
        return Err(Errno::EINVAL);
    }
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    let sync = flags & AT_STATX_SYNC_TYPE;
    let mut arg = path::PathArg::default();
    ctx.read_path(pathname.addr(), &mut arg)?;
    // A name beneath the working directory or a directory descriptor, from
    // that directory's handle.
    if let Some((d, name)) = beneath_cwd_cached(ctx, dirfd, arg.as_cstr()) {
        let path = || Some(d.machine_path(ctx, arg.as_bytes()));
        let r =
            d.fd().and_then(|at| crate::fs::fastwalk::lookup_statx(&ctx.m.root, at, name, follow, sync, mask, path));
        if let Some(r) = r {
            ctx.user().write_val(buf, r?)?;
            return Ok(0);
        }
    }
    let target = match target_of(ctx, dirfd, flags, &mut arg)? {
        Target::Empty if dirfd == CWD => {
            Resolved::Host(CString::new(ctx.task.process.fs().cwd.clone()).map_err(|_| Errno::EINVAL)?)
        }
        Target::Empty => Resolved::OpenFile(ctx.file(reg(dirfd))?),
        Target::Host(p) => {
            if let Some(r) = ctx.m.root.statx_cached(p, follow, sync, mask) {
                ctx.user().write_val(buf, r?)?;
                return Ok(0);
            }
            let fd = ctx.m.root.path_fd(p.abs, follow)?;
            let mut out = host::statx(fd.as_raw_fd(), c"", AT_EMPTY_PATH | sync, mask)?;
            ctx.m.root.fix_statx(fd.as_raw_fd(), &mut out);
            ctx.user().write_val(buf, out)?;
            return Ok(0);
        }
        Target::Abs(abs) => vfs::resolve(&ctx.procfs(), abs, follow)?,
    };
    let out = match target {
        Resolved::Host(c) => {
            let fd = ctx.m.root.path_fd(&c, follow)?;
            let mut out = host::statx(fd.as_raw_fd(), c"", AT_EMPTY_PATH | sync, mask)?;
            ctx.m.root.fix_statx(fd.as_raw_fd(), &mut out);
            out
        }
        // A device the kernel emulates (/dev/kmsg) is not its host descriptor.
        Resolved::OpenFile(f) if f.is_host() && f.emulated().and_then(|e| e.stat()).is_none() => {
            let mut out = host::statx(f.host_fd()?, c"", AT_EMPTY_PATH | sync, mask)?;
            crate::fs::console::fix_statx(&f.path, &mut out);
            ctx.m.root.fix_statx(f.host_fd()?, &mut out);
            out
        }
        other => {
            let st = match other {
                Resolved::OpenFile(f) => vfs::fstat(&f)?,
                Resolved::Virtual(..) => {
                    let abs = ctx.at_vec(reg(dirfd), ctx.path(pathname.addr())?)?;
                    vfs::stat(&ctx.m.root, &ctx.procfs(), abs, follow)?
                }
                Resolved::Host(_) => unreachable!(),
            };
            crate::fs::stat::Stat::from_abi(&st).to_statx()
        }
    };
    ctx.user().write_val(buf, out)?;
    Ok(0)
}
