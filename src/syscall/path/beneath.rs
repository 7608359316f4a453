//! Relative paths looked up beneath the working directory's handle
//! (`RESOLVE_BENEATH`, or the directory cache keyed by that handle).

use super::*;

/// A relative path looked up by the host beneath the working directory's
/// handle, without working out the directory's current guest path (a
/// readlink of /proc/self/fd/N, then a walk from the root): an O_PATH
/// handle on the file. `Ok(None)` leaves the path to the general walk: a
/// cwd of "/" (its `proc` and `dev` are nommu's own) or outside the host
/// root, and paths that leave the cwd (`..` above it, absolute symlinks:
/// EXDEV). ENOENT and ENOTDIR are final, as the general walk would find.
pub(super) fn beneath_cwd(
    ctx: &SyscallCtx<'_>,
    dirfd: Fd,
    rel: &CStr,
    follow: bool,
) -> SysResult<Option<std::os::fd::OwnedFd>> {
    use std::os::fd::AsFd;
    if dirfd != CWD || matches!(rel.to_bytes(), [] | [b'/', ..]) {
        return Ok(None);
    }
    let cwd = {
        let fs = ctx.task.process.fs();
        // With a mount below the working directory, a name there may be in
        // another file system: the full walk decides.
        if fs.cwd.as_slice() == b"/" || path::classify(&fs.cwd) != Fs::Host || ctx.m.root.mounts.any_below(&fs.cwd) {
            return Ok(None);
        }
        match &fs.cwd_fd {
            Some(fd) => fd.clone(),
            None => return Ok(None),
        }
    };
    let flags = O_PATH | if follow { 0 } else { O_NOFOLLOW };
    match host::openat2(cwd.as_fd(), rel, flags, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => Err(Errno::from(e)),
        Err(_) => Ok(None),
    }
}

/// The cached directory (`fs::dcache`) that holds the last component of
/// `rel`, a relative path beneath the working directory, and that
/// component, under the same conditions as `beneath_cwd`.
pub(super) fn beneath_cwd_cached<'p>(
    ctx: &SyscallCtx<'_>,
    dirfd: Fd,
    rel: &'p CStr,
) -> Option<(crate::fs::dcache::Dir, &'p CStr)> {
    if dirfd != CWD || matches!(rel.to_bytes(), [] | [b'/', ..]) {
        return None;
    }
    let root = &ctx.m.root;
    let (cwd, read_only) = {
        let fs = ctx.task.process.fs();
        if fs.cwd.as_slice() == b"/" || path::classify(&fs.cwd) != Fs::Host || root.mounts.any_below(&fs.cwd) {
            return None;
        }
        let read_only = root.mounts.has_dirs()
            && root.mounts.mount_of(&root.machine_path(&fs.cwd)).flags() & crate::abi::mount::MS_RDONLY != 0;
        (fs.cwd_fd.clone()?, read_only)
    };
    root.cached_beneath(&cwd, read_only, rel)
}

/// The machine path of `rel` beneath the working directory.
pub(super) fn cwd_join(ctx: &SyscallCtx<'_>, rel: &[u8]) -> Vec<u8> {
    let fs = ctx.task.process.fs();
    ctx.m.root.machine_path(&path::join(&fs.cwd, rel))
}
