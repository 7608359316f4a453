//! Relative paths looked up beneath the handle of the directory they start
//! at — the working directory, or a directory descriptor (`fs::dirat`) —
//! with `RESOLVE_BENEATH`, or the directory cache keyed by the working
//! directory's handle, without working out the directory's current guest
//! path (a readlink of /proc/self/fd/N, then a walk from the root).

use super::*;
use crate::fs::OpenFile;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

/// The directory a relative path is looked up in by the host, from its
/// handle.
pub(super) enum Base {
    /// A path relative to the working directory; the handle of the
    /// directory it is looked up in (the working directory's, or a cached
    /// one beneath it) and whether that is in a read-only mount.
    Cwd(Arc<OwnedFd>, bool),
    /// A path relative to this directory descriptor's file (`dir_at`
    /// found it usable), and whether it is in a read-only mount.
    File(Arc<OpenFile>, bool),
}

impl Base {
    /// The handle the host looks the path up from (always there: a
    /// `File` base is a host directory).
    pub(super) fn fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            Base::Cwd(fd, _) => Some(fd.as_fd()),
            Base::File(f, _) => match &f.kind {
                crate::fs::file::FileKind::Host(fd) => Some(fd.as_fd()),
                _ => None,
            },
        }
    }

    /// Is it in a read-only mount?
    pub(super) fn read_only(&self) -> bool {
        match self {
            Base::Cwd(_, ro) | Base::File(_, ro) => *ro,
        }
    }

    /// The machine path of `rel` beneath the directory the path started at.
    pub(super) fn machine_path(&self, ctx: &SyscallCtx<'_>, rel: &[u8]) -> Vec<u8> {
        match self {
            Base::Cwd(..) => cwd_join(ctx, rel),
            Base::File(f, _) => ctx.m.root.dir_at_join(f, rel),
        }
    }

    /// The guest path of `rel` beneath the directory the path started at
    /// (what the opened file is known as).
    pub(super) fn guest_path(&self, ctx: &SyscallCtx<'_>, rel: &[u8]) -> Vec<u8> {
        match self {
            Base::Cwd(..) => path::join(&ctx.task.process.fs().cwd, rel),
            // Never in a jail (`dir_at`): machine and guest paths agree.
            Base::File(f, _) => ctx.m.root.dir_at_join(f, rel),
        }
    }
}

/// The directory `rel` (a relative path) starts at when the host may look
/// it up from that directory's handle: the working directory unless it is
/// "/" (its `proc` and `dev` are nommu's own), outside the host root or
/// has a mount beneath it; a directory descriptor under the same
/// conditions (`HostRoot::dir_at`).
fn origin(ctx: &SyscallCtx<'_>, dirfd: Fd, rel: &[u8]) -> Option<Base> {
    if matches!(rel, [] | [b'/', ..]) {
        return None;
    }
    let root = &ctx.m.root;
    if dirfd != CWD {
        let f = ctx.file(reg(dirfd)).ok()?;
        let usable = root.dir_at(&f)?;
        return Some(Base::File(f, usable.read_only));
    }
    let fs = ctx.task.process.fs();
    // With a mount below the working directory, a name there may be in
    // another file system: the full walk decides.
    if fs.cwd.as_slice() == b"/" || path::classify(&fs.cwd) != Fs::Host || root.mounts.any_below(&fs.cwd) {
        return None;
    }
    let read_only = root.mounts.has_dirs()
        && root.mounts.mount_of(&root.machine_path(&fs.cwd)).flags() & crate::abi::mount::MS_RDONLY != 0;
    Some(Base::Cwd(fs.cwd_fd.clone()?, read_only))
}

/// A relative path looked up by the host beneath the handle of the
/// directory it starts at (`origin`): an O_PATH handle on the file.
/// `Ok(None)` leaves the path to the general walk, as do paths that leave
/// the directory (`..` above it, absolute symlinks: EXDEV). ENOENT and
/// ENOTDIR are final, as the general walk would find.
pub(super) fn beneath_cwd(ctx: &SyscallCtx<'_>, dirfd: Fd, rel: &CStr, follow: bool) -> SysResult<Option<OwnedFd>> {
    let Some(base) = origin(ctx, dirfd, rel.to_bytes()) else { return Ok(None) };
    let flags = O_PATH | if follow { 0 } else { O_NOFOLLOW };
    let Some(at) = base.fd() else { return Ok(None) };
    match host::openat2(at, rel, flags, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => Err(Errno::from(e)),
        Err(_) => Ok(None),
    }
}

/// The directory that holds the last component of `rel`, a relative path
/// beneath the directory it starts at (`origin`), and that component. A
/// directory part beneath the working directory comes from the directory
/// cache (walked by the host with `RESOLVE_BENEATH`, keyed by the working
/// directory's handle); beneath a directory descriptor only a single
/// component is taken (`None` for the rest: the descriptor's handle is
/// not a stable cache key).
pub(super) fn beneath_cwd_cached<'p>(ctx: &SyscallCtx<'_>, dirfd: Fd, rel: &'p CStr) -> Option<(Base, &'p CStr)> {
    let base = origin(ctx, dirfd, rel.to_bytes())?;
    let (dir, _) = crate::fs::dcache::split(rel.to_bytes())?;
    if dir.is_empty() {
        return Some((base, rel));
    }
    let Base::Cwd(cwd, read_only) = &base else { return None };
    let (d, name) = ctx.m.root.cached_beneath(cwd, *read_only, rel)?;
    Some((Base::Cwd(d.fd, d.read_only), name))
}

/// The machine path of `rel` beneath the working directory.
pub(super) fn cwd_join(ctx: &SyscallCtx<'_>, rel: &[u8]) -> Vec<u8> {
    let fs = ctx.task.process.fs();
    ctx.m.root.machine_path(&path::join(&fs.cwd, rel))
}
