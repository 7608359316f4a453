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
    /// (what the opened file is known as), appended to `out`.
    pub(super) fn guest_path_into(&self, ctx: &SyscallCtx<'_>, rel: &[u8], out: &mut Vec<u8>) {
        match self {
            Base::Cwd(..) => path::join_into(out, &ctx.task.process.fs().cwd, rel),
            // Never in a jail (`dir_at`): machine and guest paths agree.
            Base::File(f, _) => ctx.m.root.dir_at_join_into(out, f, rel),
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

thread_local! {
    /// The path an open beneath a directory's handle is known as, kept
    /// between opens for its allocation.
    static KNOWN_AS: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// open(2) of `rel`, a relative path whose last component `at` holds
/// (`beneath_cwd_cached`; not O_PATH, not O_TMPFILE), in descriptor
/// table room `limit`. A relative path served here is known by its
/// directory's path joined with it (the full walk asks the host for that
/// path); whatever the lookup cannot answer takes the full walk.
pub(super) fn open_beneath(
    ctx: &mut SyscallCtx<'_>,
    limit: usize,
    dirfd: Fd,
    at: (Base, &CStr),
    rel: &[u8],
    flags: i32,
    mode: u32,
) -> SysResult {
    let (d, name) = at;
    // Only a file being created looks at the umask.
    let umask = if flags & O_CREAT != 0 { umask(ctx) } else { 0 };
    // A FIFO's open waits for the other end (a terminal's may too) until a
    // signal ends it; O_NONBLOCK opens never wait.
    let may_wait = flags & O_NONBLOCK == 0;
    let wait = if may_wait { host::Wait::Interruptible } else { host::Wait::Uninterruptible };
    let req = vfs::OpenRequest { flags, mode, umask, wait };
    let open = |ctx: &SyscallCtx<'_>| {
        let host_mode = mode & S_IALLUGO & !umask;
        let fd = d.fd().ok_or(Errno::EINVAL)?;
        match crate::fs::fastwalk::lookup_open(fd.as_raw_fd(), d.read_only(), name, flags & !O_CLOEXEC, host_mode, wait)
        {
            Some(fd) => {
                // The joined path in the thread's buffer (no `malloc`).
                let mut known_as = KNOWN_AS.take();
                known_as.clear();
                d.guest_path_into(ctx, rel, &mut known_as);
                let r = vfs::host_looked_up(&ctx.m.root, &ctx.procfs(), fd?, &known_as, &req);
                KNOWN_AS.set(known_as);
                r
            }
            None => vfs::open(&ctx.m.root, &ctx.procfs(), ctx.at_vec(reg(dirfd), rel.to_vec())?, &req),
        }
    };
    let f = if may_wait { ctx.block(Errno::ERESTARTSYS, open) } else { open(ctx) };
    let f = Arc::new(f.map_err(host_table_full_is_enfile)?);
    crate::kernel::pty::opened(ctx.m, &ctx.task.process, &f, flags);
    Ok(ctx.task.process.files().install(limit, f, flags & O_CLOEXEC != 0)? as u64)
}

/// The machine path of `rel` beneath the working directory.
pub(super) fn cwd_join(ctx: &SyscallCtx<'_>, rel: &[u8]) -> Vec<u8> {
    let fs = ctx.task.process.fs();
    ctx.m.root.machine_path(&path::join(&fs.cwd, rel))
}
