//! Path syscalls: open, stat, create, remove, rename, link, metadata.
//!
//! Each resolves the guest path to an absolute one (cwd or dirfd), then
//! lets `fs::vfs` pick the file system. Host operations that create or
//! remove a name work on an O_PATH handle of the parent directory, opened
//! inside the root; the ones that follow a final symlink work on an O_PATH
//! handle of the file itself. The host kernel therefore does every walk.

use super::args::{self, AtFlags, Fd, IntFlags, Mode, Opaque, OpenFlags, OutBytes, OutCStr, StatBuf, UserPtr};
use super::{arg_i32, host_table_full_is_enfile, SyscallCtx};
use crate::abi::fcntl::{
    AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_REMOVEDIR, AT_STATX_SYNC_TYPE, AT_SYMLINK_FOLLOW,
    AT_SYMLINK_NOFOLLOW, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY,
    O_TMPFILE, O_TRUNC, O_WRONLY, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, RESOLVE_BENEATH,
    RESOLVE_NO_MAGICLINKS, R_OK, W_OK, X_OK,
};
use crate::abi::stat::{
    STATX__RESERVED, S_IALLUGO, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_IRWXUGO,
    UTIME_NOW, UTIME_OMIT,
};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::fs::hostpath::HostPath;
use crate::fs::path::{self, is_dot_or_dotdot, Fs};
use crate::fs::vfs::{self, Resolved};
use std::ffi::{CStr, CString};
use std::os::fd::AsRawFd;

mod access;
mod beneath;
mod stat;
#[cfg(test)]
use access::access_args;
pub(crate) use access::{sys_access, sys_faccessat, sys_faccessat2};
use beneath::{beneath_cwd, beneath_cwd_cached};
pub(crate) use stat::{sys_lstat, sys_newfstatat, sys_stat, sys_statx};

/// A guest pointer to a path (or another NUL-terminated string).
type PathPtr = UserPtr<args::CStr>;

/// The working directory, for the calls without a dirfd.
const CWD: Fd = Fd(AT_FDCWD);

/// `fd` as the register value `SyscallCtx`'s descriptor lookups take.
fn reg(fd: Fd) -> u64 {
    fd.0 as u64
}

/// `flags` as the `int` they are, if no bit outside `known` is set: like
/// Linux, only the low 32 bits of the register count.
fn known_flags(flags: u32, known: i32) -> SysResult<i32> {
    if flags & !(known as u32) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(flags as i32)
}

fn umask(ctx: &SyscallCtx<'_>) -> u32 {
    ctx.task.process.fs().umask
}

/// Absolute path of a path argument, with AT_EMPTY_PATH meaning "dirfd
/// itself" (returned as None).
fn at_path(ctx: &SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, flags: i32) -> SysResult<Option<Vec<u8>>> {
    let p = ctx.user().read_cstr(pathname.addr(), path::PATH_MAX - 1)?;
    if p.is_empty() {
        if flags & AT_EMPTY_PATH != 0 {
            return Ok(None);
        }
        return Err(Errno::ENOENT);
    }
    Ok(Some(ctx.at_vec(reg(dirfd), p)?))
}

/// A path argument made absolute. An absolute path in the host root (most
/// path arguments) stays as the guest wrote it, on the stack.
enum Target<'a> {
    /// An empty path with AT_EMPTY_PATH: dirfd itself.
    Empty,
    /// An absolute path in the host root.
    Host(HostPath<'a>),
    /// Any other path, made absolute against the cwd or dirfd.
    Abs(Vec<u8>),
}

/// A path argument already read into `arg`, made absolute (no heap copy
/// for an absolute path in the host root).
fn target_of<'a>(ctx: &SyscallCtx<'_>, dirfd: Fd, flags: i32, arg: &'a mut path::PathArg) -> SysResult<Target<'a>> {
    match arg.as_bytes() {
        [] if flags & AT_EMPTY_PATH != 0 => return Ok(Target::Empty),
        [] => return Err(Errno::ENOENT),
        b @ [b'/', ..] => {
            // Scanned once: its file system, and its split for the walk.
            let (fs, name_at) = crate::fs::hostpath::scan(b);
            if fs == Fs::Host {
                return Ok(Target::Host(HostPath::scanned(arg.as_cstr(), name_at)));
            }
        }
        _ => {}
    }
    Ok(Target::Abs(ctx.at_vec(reg(dirfd), arg.take_vec())?))
}

fn do_open(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, flags: i32, mode: u32) -> SysResult {
    // Like Linux, a full table fails before the path is even looked at.
    let limit = ctx.check_free_fds(1)?;
    let mut arg = path::PathArg::default();
    ctx.read_path(pathname.addr(), &mut arg)?;
    if let Some(dev) = crate::fs::devfs::plain_host_device(arg.as_bytes()) {
        if flags & O_TMPFILE == O_TMPFILE && flags & O_ACCMODE == O_RDONLY {
            return Err(Errno::EINVAL);
        }
        // These devices never make an open wait: no signal checks either.
        let req = vfs::OpenRequest { flags, mode, umask: 0, wait: host::Wait::Uninterruptible };
        let f = vfs::open_device(&ctx.m.root, dev, arg.as_bytes(), &req).map_err(host_table_full_is_enfile)?;
        return Ok(ctx.task.process.files().install(limit, std::sync::Arc::new(f), flags & O_CLOEXEC != 0)? as u64);
    }
    let relative = arg.as_bytes().first() != Some(&b'/');
    if relative && flags & O_PATH == 0 && flags & O_TMPFILE != O_TMPFILE {
        if let Some(at) = beneath_cwd_cached(ctx, dirfd, arg.as_cstr()) {
            return beneath::open_beneath(ctx, limit, dirfd, at, arg.as_bytes(), flags, mode);
        }
    }
    if !relative && flags & O_PATH == 0 && flags & O_TMPFILE != O_TMPFILE {
        if let Some(fd) = open_from_cached_dir(ctx, limit, &arg, flags, mode) {
            return fd;
        }
    }
    let target = target_of(ctx, dirfd, 0, &mut arg)?;
    if flags & O_TMPFILE == O_TMPFILE && flags & O_ACCMODE == O_RDONLY {
        return Err(Errno::EINVAL);
    }
    let req = open_request(ctx, flags, mode);
    let open = |ctx: &SyscallCtx<'_>| match &target {
        Target::Host(p) => vfs::open_host_or_node(&ctx.m.root, &ctx.procfs(), *p, p.as_bytes(), &req),
        Target::Abs(abs) => vfs::open(&ctx.m.root, &ctx.procfs(), abs.clone(), &req),
        Target::Empty => Err(Errno::ENOENT),
    };
    let f = if req.wait == host::Wait::Interruptible { ctx.block(Errno::ERESTARTSYS, open) } else { open(ctx) };
    install_opened(ctx, limit, std::sync::Arc::new(f.map_err(host_table_full_is_enfile)?), flags)
}

/// What an open of `flags` asks: the umask only when it creates, and a
/// wait a signal can end unless it never waits.
fn open_request(ctx: &SyscallCtx<'_>, flags: i32, mode: u32) -> vfs::OpenRequest {
    // Only a file being created looks at the umask.
    let creates = flags & O_CREAT != 0 || flags & O_TMPFILE == O_TMPFILE;
    let umask = if creates { umask(ctx) } else { 0 };
    // A FIFO's open waits for the other end (a terminal's may too) until a
    // signal ends it; O_PATH and O_NONBLOCK opens never wait.
    let may_wait = flags & (O_PATH | O_NONBLOCK) == 0;
    let wait = if may_wait { host::Wait::Interruptible } else { host::Wait::Uninterruptible };
    vfs::OpenRequest { flags, mode, umask, wait }
}

/// Gives the process the file just opened: its lowest free descriptor.
fn install_opened(
    ctx: &mut SyscallCtx<'_>,
    limit: usize,
    f: std::sync::Arc<crate::fs::OpenFile>,
    flags: i32,
) -> SysResult {
    crate::kernel::pty::opened(ctx.m, &ctx.task.process, &f, flags);
    Ok(ctx.task.process.files().install(limit, f, flags & O_CLOEXEC != 0)? as u64)
}

/// open(2) of an absolute path whose directory, as written, is in the
/// directory cache: no scan of the path, one host call (`None`: not
/// cached, or the full walk decides). Neither O_PATH (it would open a
/// final symlink itself) nor O_TMPFILE (it names a directory).
fn open_from_cached_dir(
    ctx: &mut SyscallCtx<'_>,
    limit: usize,
    arg: &path::PathArg,
    flags: i32,
    mode: u32,
) -> Option<SysResult> {
    let req = open_request(ctx, flags, mode);
    let open =
        |ctx: &SyscallCtx<'_>| vfs::open_cached_as_written(&ctx.m.root, &ctx.procfs(), arg.as_cstr(), &req).transpose();
    let f = if req.wait == host::Wait::Interruptible { ctx.block(Errno::ERESTARTSYS, open) } else { open(ctx) };
    match f {
        Ok(Some(f)) => Some(install_opened(ctx, limit, f, flags)),
        Ok(None) => None,
        Err(e) => Some(Err(host_table_full_is_enfile(e))),
    }
}

pub(crate) fn sys_open(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, flags: OpenFlags, mode: Mode) -> SysResult {
    do_open(ctx, CWD, pathname, flags.0 as i32, mode.0)
}

pub(crate) fn sys_openat(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    flags: OpenFlags,
    mode: Mode,
) -> SysResult {
    do_open(ctx, dirfd, pathname, flags.0 as i32, mode.0)
}

pub(crate) fn sys_creat(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, mode: Mode) -> SysResult {
    do_open(ctx, CWD, pathname, O_CREAT | O_WRONLY | O_TRUNC, mode.0)
}

/// The parent directory handle and last name of a host path that is about
/// to be created, removed or renamed; EACCES in /proc and /dev.
pub(crate) fn host_parent(abs: &[u8], ctx: &SyscallCtx<'_>) -> SysResult<(std::os::fd::OwnedFd, CString)> {
    if path::classify(abs) == Fs::Host {
        return ctx.m.root.parent_fd(abs);
    }
    // Under /proc or /dev: only a link back to a host directory (such as
    // /proc/self/cwd) leads anywhere that can hold new names.
    let (parent, last) = path::split_last(abs);
    let name = CString::new(last).map_err(|_| Errno::EINVAL)?;
    match vfs::resolve(&ctx.procfs(), parent, true)? {
        Resolved::Host(c) => Ok((ctx.m.root.openat(&c, O_PATH | O_DIRECTORY, 0)?, name)),
        Resolved::OpenFile(f) if f.is_host() => {
            let c = CString::new(format!("/proc/self/fd/{}", f.host_fd()?)).map_err(|_| Errno::EINVAL)?;
            Ok((host::open(&c, O_PATH | O_DIRECTORY, 0)?, name))
        }
        _ => Err(Errno::EACCES),
    }
}

fn mkdir_common(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, mode: Mode) -> SysResult {
    let abs = ctx.at_vec(reg(dirfd), ctx.path(pathname.addr())?)?;
    if is_dot_or_dotdot(&path::split_last(&abs).1) {
        return Err(Errno::EEXIST);
    }
    let (dir, name) = host_parent(&abs, ctx)?;
    host::mkdirat(dir.as_raw_fd(), &name, mode.0 & S_IALLUGO & !umask(ctx))?;
    Ok(0)
}

pub(crate) fn sys_mkdir(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, mode: Mode) -> SysResult {
    mkdir_common(ctx, CWD, pathname, mode)
}

pub(crate) fn sys_mkdirat(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, mode: Mode) -> SysResult {
    mkdir_common(ctx, dirfd, pathname, mode)
}

fn unlink_common(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, flags: i32) -> SysResult {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let abs = ctx.at_vec(reg(dirfd), ctx.path(pathname.addr())?)?;
    let last = path::split_last(&abs).1;
    if is_dot_or_dotdot(&last) {
        return Err(match (flags & AT_REMOVEDIR != 0, last.starts_with(b"..")) {
            (true, false) => Errno::EINVAL,
            (true, true) => Errno::ENOTEMPTY,
            (false, _) => Errno::EISDIR,
        });
    }
    let (dir, name) = host_parent(&abs, ctx)?;
    host::unlinkat(dir.as_raw_fd(), &name, flags & AT_REMOVEDIR)?;
    // The name may have been a directory or a symlink a cached walk took.
    ctx.m.root.dirs.invalidate();
    Ok(0)
}

pub(crate) fn sys_unlink(ctx: &mut SyscallCtx<'_>, pathname: PathPtr) -> SysResult {
    unlink_common(ctx, CWD, pathname, 0)
}

pub(crate) fn sys_rmdir(ctx: &mut SyscallCtx<'_>, pathname: PathPtr) -> SysResult {
    unlink_common(ctx, CWD, pathname, AT_REMOVEDIR)
}

pub(crate) fn sys_unlinkat(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, flags: AtFlags) -> SysResult {
    unlink_common(ctx, dirfd, pathname, flags.0 as i32)
}

/// renameat2's flags: only RENAME_NOREPLACE, RENAME_EXCHANGE (not both)
/// and RENAME_WHITEOUT (an unsigned int: the upper half of the register
/// is not looked at).
fn rename_flags_valid(flags: u32) -> bool {
    let both = RENAME_NOREPLACE | RENAME_EXCHANGE;
    flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) == 0 && flags & both != both
}

fn rename_common(
    ctx: &mut SyscallCtx<'_>,
    olddirfd: Fd,
    oldpath: PathPtr,
    newdirfd: Fd,
    newpath: PathPtr,
    flags: u32,
) -> SysResult {
    if !rename_flags_valid(flags) {
        return Err(Errno::EINVAL);
    }
    let old = ctx.at_vec(reg(olddirfd), ctx.path(oldpath.addr())?)?;
    let new = ctx.at_vec(reg(newdirfd), ctx.path(newpath.addr())?)?;
    if is_dot_or_dotdot(&path::split_last(&old).1) || is_dot_or_dotdot(&path::split_last(&new).1) {
        return Err(Errno::EBUSY);
    }
    let (od, on) = host_parent(&old, ctx)?;
    let (nd, nn) = host_parent(&new, ctx)?;
    ctx.m.root.same_mount(od.as_raw_fd(), nd.as_raw_fd())?;
    host::renameat2(od.as_raw_fd(), &on, nd.as_raw_fd(), &nn, flags)?;
    ctx.m.root.dirs.invalidate();
    Ok(0)
}

pub(crate) fn sys_rename(ctx: &mut SyscallCtx<'_>, oldpath: PathPtr, newpath: PathPtr) -> SysResult {
    rename_common(ctx, CWD, oldpath, CWD, newpath, 0)
}

pub(crate) fn sys_renameat(
    ctx: &mut SyscallCtx<'_>,
    olddirfd: Fd,
    oldpath: PathPtr,
    newdirfd: Fd,
    newpath: PathPtr,
) -> SysResult {
    rename_common(ctx, olddirfd, oldpath, newdirfd, newpath, 0)
}

pub(crate) fn sys_renameat2(
    ctx: &mut SyscallCtx<'_>,
    olddirfd: Fd,
    oldpath: PathPtr,
    newdirfd: Fd,
    newpath: PathPtr,
    flags: IntFlags,
) -> SysResult {
    rename_common(ctx, olddirfd, oldpath, newdirfd, newpath, flags.0)
}

fn link_common(
    ctx: &mut SyscallCtx<'_>,
    olddirfd: Fd,
    oldpath: PathPtr,
    newdirfd: Fd,
    newpath: PathPtr,
    flags: u32,
) -> SysResult {
    let flags = known_flags(flags, AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)?;
    let new = ctx.at_vec(reg(newdirfd), ctx.path(newpath.addr())?)?;
    if is_dot_or_dotdot(&path::split_last(&new).1) {
        return Err(Errno::EEXIST);
    }
    // The source: an O_PATH handle (following a final symlink only with
    // AT_SYMLINK_FOLLOW), linked with AT_EMPTY_PATH.
    let src = match at_path(ctx, olddirfd, oldpath, flags)? {
        Some(old) => match vfs::resolve(&ctx.procfs(), old, flags & AT_SYMLINK_FOLLOW != 0)? {
            Resolved::Host(c) => ctx.m.root.path_fd(&c, flags & AT_SYMLINK_FOLLOW != 0)?,
            _ => return Err(Errno::EXDEV),
        },
        None => {
            let f = ctx.file(reg(olddirfd))?;
            let fd = f.host_fd().map_err(|_| Errno::EXDEV)?;
            let c = CString::new(format!("/proc/self/fd/{fd}")).map_err(|_| Errno::EINVAL)?;
            host::open(&c, O_PATH, 0)?
        }
    };
    let (nd, nn) = host_parent(&new, ctx)?;
    ctx.m.root.same_mount(src.as_raw_fd(), nd.as_raw_fd())?;
    host::linkat(src.as_raw_fd(), c"", nd.as_raw_fd(), &nn, AT_EMPTY_PATH)?;
    Ok(0)
}

pub(crate) fn sys_link(ctx: &mut SyscallCtx<'_>, oldpath: PathPtr, newpath: PathPtr) -> SysResult {
    link_common(ctx, CWD, oldpath, CWD, newpath, 0)
}

pub(crate) fn sys_linkat(
    ctx: &mut SyscallCtx<'_>,
    olddirfd: Fd,
    oldpath: PathPtr,
    newdirfd: Fd,
    newpath: PathPtr,
    flags: IntFlags,
) -> SysResult {
    link_common(ctx, olddirfd, oldpath, newdirfd, newpath, flags.0)
}

fn symlink_common(ctx: &mut SyscallCtx<'_>, target: PathPtr, newdirfd: Fd, linkpath: PathPtr) -> SysResult {
    let target = CString::new(ctx.path(target.addr())?).map_err(|_| Errno::EINVAL)?;
    let abs = ctx.at_vec(reg(newdirfd), ctx.path(linkpath.addr())?)?;
    if is_dot_or_dotdot(&path::split_last(&abs).1) {
        return Err(Errno::EEXIST);
    }
    let (dir, name) = host_parent(&abs, ctx)?;
    host::symlinkat(&target, dir.as_raw_fd(), &name)?;
    Ok(0)
}

pub(crate) fn sys_symlink(ctx: &mut SyscallCtx<'_>, target: PathPtr, linkpath: PathPtr) -> SysResult {
    symlink_common(ctx, target, CWD, linkpath)
}

pub(crate) fn sys_symlinkat(ctx: &mut SyscallCtx<'_>, target: PathPtr, newdirfd: Fd, linkpath: PathPtr) -> SysResult {
    symlink_common(ctx, target, newdirfd, linkpath)
}

fn readlink_common(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    buf: UserPtr<OutBytes>,
    bufsiz: usize,
) -> SysResult {
    // The size is an int: the low 32 bits, and not above 0 is EINVAL.
    let size = arg_i32(bufsiz as u64);
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let abs = match at_path(ctx, dirfd, pathname, AT_EMPTY_PATH)? {
        Some(abs) => abs,
        None => return Err(Errno::ENOENT),
    };
    let target = vfs::readlink(&ctx.m.root, &ctx.procfs(), abs)?;
    let n = target.len().min(size as usize);
    ctx.user().write(buf.addr(), &target[..n])?;
    Ok(n as u64)
}

pub(crate) fn sys_readlink(
    ctx: &mut SyscallCtx<'_>,
    pathname: PathPtr,
    buf: UserPtr<OutBytes>,
    bufsiz: usize,
) -> SysResult {
    readlink_common(ctx, CWD, pathname, buf, bufsiz)
}

pub(crate) fn sys_readlinkat(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    buf: UserPtr<OutBytes>,
    bufsiz: usize,
) -> SysResult {
    readlink_common(ctx, dirfd, pathname, buf, bufsiz)
}

pub(crate) fn sys_chdir(ctx: &mut SyscallCtx<'_>, pathname: PathPtr) -> SysResult {
    let abs = ctx.at_vec(reg(CWD), ctx.path(pathname.addr())?)?;
    let (path, fd) = vfs::directory(&ctx.m.root, &ctx.procfs(), abs)?;
    let mut fs = ctx.task.process.fs();
    fs.cwd = path;
    fs.cwd_fd = fd.map(std::sync::Arc::new);
    drop(fs);
    // Relative entries of the cache are keyed by the working directory.
    ctx.m.root.dirs.invalidate();
    Ok(0)
}

pub(crate) fn sys_getcwd(ctx: &mut SyscallCtx<'_>, buf: UserPtr<OutCStr>, size: usize) -> SysResult {
    let mut cwd = ctx.cwd()?;
    cwd.push(0);
    if size < cwd.len() {
        return Err(Errno::ERANGE);
    }
    ctx.user().write(buf.addr(), &cwd)?;
    Ok(cwd.len() as u64)
}

/// What an empty path with AT_EMPTY_PATH names: dirfd's file itself, or
/// the working directory for AT_FDCWD.
fn empty_path(ctx: &SyscallCtx<'_>, dirfd: Fd) -> SysResult<Resolved> {
    if dirfd == CWD {
        return vfs::resolve(&ctx.procfs(), ctx.cwd()?, true);
    }
    Ok(Resolved::OpenFile(ctx.file(reg(dirfd))?))
}

/// An O_PATH handle on the host file a metadata call applies to.
fn host_target(ctx: &SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, flags: i32) -> SysResult<std::os::fd::OwnedFd> {
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    let target = match at_path(ctx, dirfd, pathname, flags)? {
        Some(abs) => vfs::resolve(&ctx.procfs(), abs, follow)?,
        None => empty_path(ctx, dirfd)?,
    };
    match target {
        Resolved::Host(c) => ctx.m.root.path_fd(&c, follow),
        Resolved::OpenFile(f) if f.is_host() => {
            let c = CString::new(format!("/proc/self/fd/{}", f.host_fd()?)).map_err(|_| Errno::EINVAL)?;
            Ok(host::open(&c, O_PATH, 0)?)
        }
        _ => Err(Errno::EPERM),
    }
}

/// chmod through /proc/self/fd/N: the host's fchmodat cannot take an
/// O_PATH descriptor directly.
fn chmod_fd(ctx: &SyscallCtx<'_>, fd: &std::os::fd::OwnedFd, mode: u32) -> SysResult {
    let c = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|_| Errno::EINVAL)?;
    host::fchmodat(AT_FDCWD, &c, mode & S_IALLUGO)?;
    // A directory may no longer be searchable (EACCES beneath it).
    ctx.m.root.dirs.invalidate();
    Ok(0)
}

pub(crate) fn sys_chmod(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, mode: Mode) -> SysResult {
    let fd = host_target(ctx, CWD, pathname, 0)?;
    chmod_fd(ctx, &fd, mode.0)
}

fn fchmodat_common(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, mode: u32, flags: u32) -> SysResult {
    let flags = known_flags(flags, AT_SYMLINK_NOFOLLOW)?;
    let fd = host_target(ctx, dirfd, pathname, flags)?;
    if flags & AT_SYMLINK_NOFOLLOW != 0 {
        // Linux cannot change a symlink's mode.
        let st = host::fstatat(fd.as_raw_fd(), c"", AT_EMPTY_PATH)?;
        if st.st_mode & S_IFMT == S_IFLNK {
            return Err(Errno::EOPNOTSUPP);
        }
    }
    chmod_fd(ctx, &fd, mode)
}

/// The original fchmodat has no flags argument.
pub(crate) fn sys_fchmodat(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, mode: Mode) -> SysResult {
    fchmodat_common(ctx, dirfd, pathname, mode.0, 0)
}

/// fchmodat2; the mode keeps its low 32 bits (of which chmod uses 12).
pub(crate) fn sys_fchmodat2(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    mode: u64,
    flags: IntFlags,
) -> SysResult {
    fchmodat_common(ctx, dirfd, pathname, mode as u32, flags.0)
}

fn chown_common(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    owner: u32,
    group: u32,
    flags: u32,
) -> SysResult {
    let flags = known_flags(flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)?;
    let fd = host_target(ctx, dirfd, pathname, flags)?;
    host::fchownat(fd.as_raw_fd(), c"", owner, group, AT_EMPTY_PATH)?;
    ctx.m.root.dirs.invalidate();
    Ok(0)
}

pub(crate) fn sys_chown(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, owner: u32, group: u32) -> SysResult {
    chown_common(ctx, CWD, pathname, owner, group, 0)
}

pub(crate) fn sys_lchown(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, owner: u32, group: u32) -> SysResult {
    chown_common(ctx, CWD, pathname, owner, group, AT_SYMLINK_NOFOLLOW as u32)
}

pub(crate) fn sys_fchownat(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    owner: u32,
    group: u32,
    flags: IntFlags,
) -> SysResult {
    chown_common(ctx, dirfd, pathname, owner, group, flags.0)
}

pub(crate) fn sys_utimensat(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    pathname: PathPtr,
    times: UserPtr<Opaque>,
    flags: AtFlags,
) -> SysResult {
    let flags = flags.0 as i32;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let times = if !times.is_null() {
        let mut t = [(0i64, 0i64); 2];
        for (i, slot) in t.iter_mut().enumerate() {
            let sec: i64 = ctx.user().read_val(times.addr() + 16 * i as u64)?;
            let nsec: i64 = ctx.user().read_val(times.addr() + 16 * i as u64 + 8)?;
            let special = nsec == UTIME_NOW || nsec == UTIME_OMIT;
            if !special && !(0..1_000_000_000).contains(&nsec) {
                return Err(Errno::EINVAL);
            }
            *slot = (sec, nsec);
        }
        Some(t)
    } else {
        None
    };
    // utimensat(fd, NULL, ...) is futimens.
    if pathname.is_null() && dirfd == CWD {
        return Err(Errno::EFAULT);
    }
    let fd = if pathname.is_null() {
        let f = ctx.file(reg(dirfd))?;
        let c = CString::new(format!("/proc/self/fd/{}", f.host_fd().map_err(|_| Errno::EPERM)?))
            .map_err(|_| Errno::EINVAL)?;
        host::open(&c, O_PATH, 0)?
    } else {
        host_target(ctx, dirfd, pathname, flags)?
    };
    let c = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|_| Errno::EINVAL)?;
    // A symlink itself: its own O_PATH handle is the only way to name it.
    let r = host::utimensat(AT_FDCWD, &c, times, 0);
    if r.is_err() && flags & AT_SYMLINK_NOFOLLOW != 0 {
        host::utimensat(fd.as_raw_fd(), c"", times, AT_EMPTY_PATH)?;
        return Ok(0);
    }
    r?;
    Ok(0)
}

pub(crate) fn sys_truncate(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, length: i64) -> SysResult {
    let abs = ctx.at_vec(reg(CWD), ctx.path(pathname.addr())?)?;
    if length < 0 {
        return Err(Errno::EINVAL);
    }
    // The file itself is never opened (a FIFO's open would wait): the host
    // truncates what an O_PATH handle names, with Linux's checks (EISDIR,
    // EINVAL for what is not a regular file, EACCES, ETXTBSY).
    let handle = match vfs::resolve(&ctx.procfs(), abs, true)? {
        Resolved::Host(c) => ctx.m.root.path_fd(&c, true)?,
        Resolved::Virtual(crate::fs::node::Node::HostDevice(dev), _) => host::open(dev, O_PATH, 0)?,
        _ => return Err(Errno::EACCES),
    };
    let c = CString::new(format!("/proc/self/fd/{}", handle.as_raw_fd())).map_err(|_| Errno::EINVAL)?;
    host::truncate(&c, length)?;
    Ok(0)
}

pub(crate) fn sys_statfs(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, buf: UserPtr<Opaque>) -> SysResult {
    let abs = ctx.at_vec(reg(CWD), ctx.path(pathname.addr())?)?;
    let st = match vfs::resolve(&ctx.procfs(), abs, true)? {
        Resolved::Host(c) => {
            let fd = ctx.m.root.path_fd(&c, true)?;
            super::mount::statfs_at(ctx, Some(c.as_bytes()), fd.as_raw_fd())?
        }
        _ => vfs::proc_statfs(),
    };
    ctx.user().write_obj(buf.addr(), &st)?;
    Ok(0)
}

pub(crate) fn sys_umask(ctx: &mut SyscallCtx<'_>, mask: Mode) -> SysResult {
    let mut fs = ctx.task.process.fs();
    let old = fs.umask;
    fs.umask = mask.0 & S_IRWXUGO;
    Ok(old as u64)
}

/// The file type mknod makes of `mode` (a regular file when it names
/// none), or why it may not: a directory is EPERM, any other kind EINVAL.
fn mknod_kind(mode: u32) -> SysResult<u32> {
    match mode & S_IFMT {
        0 => Ok(S_IFREG),
        kind @ (S_IFIFO | S_IFREG | S_IFSOCK) => Ok(kind),
        kind @ (S_IFCHR | S_IFBLK) => Ok(kind),
        S_IFDIR => Err(Errno::EPERM),
        _ => Err(Errno::EINVAL),
    }
}

/// `mode` and `dev` keep their low 32 bits (an unsigned int in Linux).
fn mknod_common(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, mode: u32, dev: u32) -> SysResult {
    // Linux refuses the file type before it looks at the path.
    let dev = u64::from(dev);
    let kind = mknod_kind(mode)?;
    let abs = ctx.at_vec(reg(dirfd), ctx.path(pathname.addr())?)?;
    if is_dot_or_dotdot(&path::split_last(&abs).1) {
        return Err(Errno::EEXIST);
    }
    let (dir, name) = host_parent(&abs, ctx)?;
    let perm = mode & S_IALLUGO & !umask(ctx);
    if kind == S_IFCHR || kind == S_IFBLK {
        crate::fs::devnode::make(&dir, &name, kind, perm, dev)?;
        return Ok(0);
    }
    host::mknodat(dir.as_raw_fd(), &name, kind | perm, dev)?;
    Ok(0)
}

pub(crate) fn sys_mknod(ctx: &mut SyscallCtx<'_>, pathname: PathPtr, mode: u32, dev: u32) -> SysResult {
    mknod_common(ctx, CWD, pathname, mode, dev)
}

pub(crate) fn sys_mknodat(ctx: &mut SyscallCtx<'_>, dirfd: Fd, pathname: PathPtr, mode: u32, dev: u32) -> SysResult {
    mknod_common(ctx, dirfd, pathname, mode, dev)
}

#[cfg(test)]
mod tests;
