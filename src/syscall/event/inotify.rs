//! inotify on host inotify descriptors. A watch names a path of the
//! machine: it is walked inside the root like any other, and the host
//! watches what the walk found (through the walk's descriptor), so a
//! guest cannot watch anything outside its root. Events, their names and
//! watch descriptors are the host's, which is what the guest would see.

use super::super::args::{Fd, IntFlags, UserPtr};
use super::super::SyscallCtx;
use super::fds::install_new;
use crate::abi::event::{
    IN_ALL_EVENTS, IN_CLOEXEC, IN_DONT_FOLLOW, IN_EXCL_UNLINK, IN_MASK_ADD, IN_MASK_CREATE, IN_NONBLOCK, IN_ONESHOT,
    IN_ONLYDIR,
};
use crate::abi::fcntl::{AT_FDCWD, O_PATH};
use crate::arch::hostevent;
use crate::errno::{Errno, SysResult};
use crate::fs::vfs::{self, Resolved};
use std::ffi::CString;
use std::os::fd::AsRawFd;

/// What /proc/<pid>/fd shows for one, and how a watch call knows one.
const INOTIFY_PATH: &[u8] = b"anon_inode:inotify";

pub(crate) fn sys_inotify_init1(ctx: &mut SyscallCtx<'_>, flags: IntFlags) -> SysResult {
    let flags = flags.0 as i32;
    if flags & !(IN_NONBLOCK | IN_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    install_new(ctx, INOTIFY_PATH, flags & IN_CLOEXEC != 0, || hostevent::inotify_init(flags & IN_NONBLOCK))
}

pub(crate) fn sys_inotify_init(ctx: &mut SyscallCtx<'_>) -> SysResult {
    sys_inotify_init1(ctx, IntFlags(0))
}

pub(crate) fn sys_inotify_add_watch(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    pathname: UserPtr<crate::syscall::args::CStr>,
    mask: IntFlags,
) -> SysResult {
    let mask = mask.0;
    // Linux's order: the mask, the descriptor, then the path (the host
    // checks the rest of the mask).
    const ALL_BITS: u32 =
        IN_ALL_EVENTS | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ONESHOT;
    if mask & ALL_BITS == 0 || mask & (IN_MASK_ADD | IN_MASK_CREATE) == (IN_MASK_ADD | IN_MASK_CREATE) {
        return Err(Errno::EINVAL);
    }
    let f = ctx.file(fd.0 as u64)?;
    if f.path != *INOTIFY_PATH {
        return Err(Errno::EINVAL);
    }
    let path = ctx.path(pathname.addr())?;
    let abs = ctx.at_vec(AT_FDCWD as u64, path)?;
    let follow = mask & IN_DONT_FOLLOW == 0;
    let target = match vfs::resolve(&ctx.procfs(), abs, follow)? {
        Resolved::Host(c) => ctx.m.root.path_fd(&c, follow)?,
        Resolved::OpenFile(of) if of.is_host() => crate::arch::host::open(
            &CString::new(format!("/proc/self/fd/{}", of.host_fd()?)).map_err(|_| Errno::EINVAL)?,
            O_PATH,
            0,
        )?,
        // /proc and the kernel's /dev are generated: nothing there changes
        // the way a watch could see.
        _ => return Err(Errno::EACCES),
    };
    let host_path = CString::new(format!("/proc/self/fd/{}", target.as_raw_fd())).map_err(|_| Errno::EINVAL)?;
    let wd = hostevent::inotify_add_watch(f.host_fd()?, &host_path, mask & !IN_DONT_FOLLOW)?;
    Ok(wd as u64)
}

pub(crate) fn sys_inotify_rm_watch(ctx: &mut SyscallCtx<'_>, fd: Fd, wd: i32) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    if f.path != *INOTIFY_PATH {
        return Err(Errno::EINVAL);
    }
    hostevent::inotify_rm_watch(f.host_fd()?, wd)?;
    Ok(0)
}
