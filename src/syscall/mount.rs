//! mount(2), umount2(2) and the statfs answers of mounted file systems.
//! The table itself is `fs::mounts`.

use super::args::{CStr, MountFlags, UmountFlags, UserPtr};
use super::SyscallCtx;
use crate::abi::consts::{NAME_MAX, PAGE_SIZE};
use crate::abi::fcntl::AT_FDCWD;
use crate::abi::magic::{RAMFS_MAGIC, TMPFS_MAGIC};
use crate::abi::mount::*;
use crate::abi::stat::{S_IFDIR, S_IFMT};
use crate::errno::{Errno, SysResult};
use crate::fs::mounts::{FsType, MemOpts, Mount};
use crate::fs::vfs;
use std::os::fd::AsRawFd;

/// A string argument of mount(2) (type, source, options): NULL is none;
/// longer than a page is EINVAL... as strndup_user's limit.
fn opt_string(ctx: &SyscallCtx<'_>, p: UserPtr<CStr>) -> SysResult<Option<Vec<u8>>> {
    if p.is_null() {
        return Ok(None);
    }
    match ctx.user().read_cstr(p.addr(), PAGE_SIZE as usize - 1) {
        Ok(s) => Ok(Some(s)),
        Err(Errno::ENAMETOOLONG) => Err(Errno::EINVAL),
        Err(e) => Err(e),
    }
}

/// The normalised guest path of an existing directory, ENOTDIR for
/// anything else.
/// The directory `abs` names: its machine path (the mount table's terms,
/// also for a caller in a chroot) and its host handle.
fn directory(ctx: &SyscallCtx<'_>, abs: Vec<u8>) -> SysResult<(Vec<u8>, Option<std::os::fd::OwnedFd>)> {
    let (path, fd) = vfs::directory(&ctx.m.root, &ctx.procfs(), abs)?;
    if ctx.m.root.jail().is_none() {
        return Ok((path, fd));
    }
    let machine = fd.as_ref().and_then(|fd| ctx.m.root.machine_path_of(fd.as_raw_fd()));
    Ok((machine.unwrap_or_else(|| ctx.m.root.machine_path(&path)), fd))
}

/// In a chroot, the kernel's /proc and /dev show at the jail's `/proc` and
/// `/dev` once mounted there (`on`) and go with the mount.
fn show_in_jail(ctx: &SyscallCtx<'_>, norm: &[u8], on: bool) {
    let Some(j) = ctx.m.root.jail() else { return };
    match j.inside(norm).as_deref() {
        Some(b"/proc") => j.proc.store(on, std::sync::atomic::Ordering::Relaxed),
        Some(b"/dev") => j.dev.store(on, std::sync::atomic::Ordering::Relaxed),
        _ => {}
    }
}

pub(crate) fn sys_mount(
    ctx: &mut SyscallCtx<'_>,
    source: UserPtr<CStr>,
    target: UserPtr<CStr>,
    fstype: UserPtr<CStr>,
    flags: MountFlags,
    data: UserPtr<CStr>,
) -> SysResult {
    let r = mount(ctx, source, target, fstype, flags, data);
    // A path may name another file system now (`fs::dcache`).
    ctx.m.root.dirs.invalidate();
    r
}

fn mount(
    ctx: &mut SyscallCtx<'_>,
    source: UserPtr<CStr>,
    target: UserPtr<CStr>,
    fstype: UserPtr<CStr>,
    flags: MountFlags,
    data: UserPtr<CStr>,
) -> SysResult {
    // Linux copies the strings first, then looks the target up.
    let fstype = opt_string(ctx, fstype)?;
    let source = opt_string(ctx, source)?;
    let data = opt_string(ctx, data)?.unwrap_or_default();
    let abs = ctx.at_vec(AT_FDCWD as u64, ctx.path(target.addr())?)?;
    let st = vfs::stat(&ctx.m.root, &ctx.procfs(), abs.clone(), true)?;
    let mut flags = flags.0;
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    if flags & MS_NOUSER != 0 {
        return Err(Errno::EINVAL);
    }
    // The caller's own flags (a propagation change takes nothing else).
    let given = flags;
    // Relatime unless the caller says otherwise, as Linux defaults.
    if flags & MS_NOATIME == 0 {
        flags |= MS_RELATIME;
    }
    if flags & MS_STRICTATIME != 0 {
        flags &= !(MS_RELATIME | MS_NOATIME);
    }
    // Guests are root: CAP_SYS_ADMIN holds (no EPERM).
    let is_dir = st.st_mode & S_IFMT == S_IFDIR;
    let mounts = &ctx.m.root.mounts;
    if flags & MS_REMOUNT != 0 {
        let (norm, _) = directory(ctx, abs)?;
        let m = mounts.mounted_on(&norm).ok_or(Errno::EINVAL)?;
        if flags & MS_BIND == 0 && m.kind.is_memory() {
            let mut opts = m.opts();
            MemOpts::parse(m.kind, &data, ctx.m.config.mem_size, &mut opts)?;
            mounts.set_options(&m, opts, ctx.m.config.mem_size, flags & MS_RDONLY != 0)?;
        }
        *m.flags.write().unwrap_or_else(|e| e.into_inner()) = flags & MS_PER_MOUNT;
        return Ok(0);
    }
    if flags & MS_BIND != 0 {
        // A source must be named; a directory goes on a directory and a
        // file on a file (which nommu cannot do).
        let src = ctx.at_vec(AT_FDCWD as u64, source.filter(|s| !s.is_empty()).ok_or(Errno::EINVAL)?)?;
        let src_is_dir = vfs::stat(&ctx.m.root, &ctx.procfs(), src.clone(), true)?.st_mode & S_IFMT == S_IFDIR;
        if src_is_dir != is_dir {
            return Err(Errno::ENOTDIR);
        }
        if !src_is_dir {
            log::warn!("mount --bind of a file: only directories can be bound");
            return Err(Errno::EINVAL);
        }
        let (src_norm, src_fd) = directory(ctx, src)?;
        let (norm, _) = directory(ctx, abs)?;
        // Only directories of the root and of memory file systems (the
        // kernel's /proc and /dev cannot be bound elsewhere).
        let Some(fd) = src_fd else {
            log::warn!("mount --bind of {}: only host and tmpfs directories can be bound", show(&src_norm));
            return Err(Errno::EINVAL);
        };
        let of = mounts.mount_of(&src_norm);
        mounts.mount_bind(&of, src_norm, fd, norm, flags);
        return Ok(0);
    }
    if flags & MS_PROPAGATION != 0 {
        // One mount's propagation type: there is nothing to propagate to.
        let (norm, _) = directory(ctx, abs)?;
        let kinds = given & MS_PROPAGATION;
        if kinds & (kinds - 1) != 0 || given & !(MS_PROPAGATION | MS_REC | MS_SILENT) != 0 {
            return Err(Errno::EINVAL);
        }
        mounts.mounted_on(&norm).ok_or(Errno::EINVAL)?;
        return Ok(0);
    }
    if flags & MS_MOVE != 0 {
        log::warn!("mount --move is not supported");
        return Err(Errno::EINVAL);
    }
    let kind = FsType::by_name(&fstype.ok_or(Errno::EINVAL)?).ok_or(Errno::ENODEV)?;
    if !is_dir {
        return Err(Errno::ENOTDIR);
    }
    let (norm, _) = directory(ctx, abs)?;
    let source = source.unwrap_or_else(|| b"none".to_vec());
    match kind {
        FsType::Tmpfs | FsType::Ramfs => {
            let mut opts = MemOpts::default();
            MemOpts::parse(kind, &data, ctx.m.config.mem_size, &mut opts)?;
            mounts.mount_memory(kind, &source, norm, flags, opts, ctx.m.config.mem_size)?;
        }
        // The kernel's own: always at /proc and /dev (and /dev/pts), of the
        // machine or of the caller's chroot.
        FsType::Proc if caller_path(ctx, &norm) == b"/proc" => {
            show_in_jail(ctx, &norm, true);
            mounts.mount_entry(kind, &source, norm, flags)
        }
        FsType::Devtmpfs if caller_path(ctx, &norm) == b"/dev" => {
            show_in_jail(ctx, &norm, true);
            mounts.mount_entry(kind, &source, norm, flags)
        }
        FsType::Devpts if caller_path(ctx, &norm) == b"/dev/pts" => mounts.mount_entry(kind, &source, norm, flags),
        _ => {
            log::warn!("{} can only be mounted where the kernel has it, not on {}", kind.name(), show(&norm));
            return Err(Errno::EINVAL);
        }
    }
    Ok(0)
}

pub(crate) fn sys_umount2(ctx: &mut SyscallCtx<'_>, target: UserPtr<CStr>, flags: UmountFlags) -> SysResult {
    let flags = flags.0;
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MNT_EXPIRE != 0 && flags & (MNT_FORCE | MNT_DETACH) != 0 {
        return Err(Errno::EINVAL);
    }
    let abs = ctx.at_vec(AT_FDCWD as u64, ctx.path(target.addr())?)?;
    let st = vfs::stat(&ctx.m.root, &ctx.procfs(), abs.clone(), flags & UMOUNT_NOFOLLOW == 0)?;
    if st.st_mode & S_IFMT != S_IFDIR {
        return Err(Errno::EINVAL);
    }
    let (norm, handle) = directory(ctx, abs)?;
    // The handle on the mount point itself is not a user of it.
    drop(handle);
    // Cached directory handles are not users of the mount either.
    ctx.m.root.dirs.clear();
    ctx.m.root.mounts.unmount(&norm, flags & MNT_DETACH != 0)?;
    ctx.m.root.dirs.invalidate();
    if ctx.m.root.mounts.mounted_on(&norm).is_none() {
        show_in_jail(ctx, &norm, false);
    }
    Ok(0)
}

/// statfs of a memory file system.
pub(crate) fn memory_statfs(m: &Mount, mem_size: u64) -> Statfs {
    let fsid = [m.id as i32, 0];
    // A host tmpfs of its own: the host's numbers, the mount's flags.
    if let Some(Ok(st)) = m.dir.as_ref().filter(|_| m.real).map(|d| crate::arch::host::fstatfs(d.as_raw_fd())) {
        return Statfs { f_fsid: fsid, f_flags: st_flags(m) as i64, ..st };
    }
    let opts = m.opts();
    let page = PAGE_SIZE;
    let (used, inodes) = m.usage();
    let magic = if m.kind == FsType::Ramfs { RAMFS_MAGIC } else { TMPFS_MAGIC };
    // ramfs has no limit and reports none.
    let (blocks, files) = match m.kind {
        FsType::Ramfs => (0, 0),
        _ => {
            let blocks = opts.size.unwrap_or(crate::fs::mounts::default_size(mem_size)).div_ceil(page);
            (blocks, opts.nr_inodes.unwrap_or(crate::fs::mounts::default_inodes(mem_size)))
        }
    };
    let bfree = blocks.saturating_sub(used.div_ceil(page));
    let ffree = files.saturating_sub(inodes);
    Statfs {
        f_type: magic,
        f_bsize: page as i64,
        f_blocks: blocks,
        f_bfree: bfree,
        f_bavail: bfree,
        f_files: files,
        f_ffree: ffree,
        f_fsid: fsid,
        f_namelen: NAME_MAX as i64,
        f_frsize: page as i64,
        f_flags: st_flags(m) as i64,
        f_spare: [0; 4],
    }
}

/// statfs `f_flags` of a mount.
fn st_flags(m: &Mount) -> u64 {
    let f = m.flags();
    let pairs = [
        (MS_RDONLY, ST_RDONLY),
        (MS_NOSUID, ST_NOSUID),
        (MS_NODEV, ST_NODEV),
        (MS_NOEXEC, ST_NOEXEC),
        (MS_NOATIME, ST_NOATIME),
        (MS_NODIRATIME, ST_NODIRATIME),
        (MS_RELATIME, ST_RELATIME),
    ];
    pairs.iter().filter(|(ms, _)| f & ms != 0).fold(ST_VALID, |acc, (_, st)| acc | st)
}

/// statfs of the host directory `fd` is in: the memory file system's
/// own answer when a tmpfs or ramfs holds it (`guest` is its guest path).
pub(crate) fn statfs_at(ctx: &SyscallCtx<'_>, guest: Option<&[u8]>, fd: i32) -> SysResult<Statfs> {
    let machine = match ctx.m.root.jail() {
        Some(_) => ctx.m.root.machine_path_of(fd).or_else(|| guest.map(|g| ctx.m.root.machine_path(g))),
        None => guest.map(crate::fs::path::normalize),
    };
    if let Some(path) = machine {
        let m = ctx.m.root.mounts.mount_of(&path);
        if m.kind.is_memory() {
            return Ok(memory_statfs(&m, ctx.m.config.mem_size));
        }
    }
    Ok(crate::arch::host::fstatfs(fd)?)
}

/// A machine path as the caller sees it (in a chroot: from its root).
fn caller_path(ctx: &SyscallCtx<'_>, machine: &[u8]) -> Vec<u8> {
    ctx.m.root.to_caller(machine.to_vec()).unwrap_or_default()
}

fn show(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

#[cfg(test)]
mod tests;
