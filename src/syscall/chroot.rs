//! chroot(2): the calling process's root becomes a directory of its own
//! (`fs::jail`). Guests are root, so CAP_SYS_CHROOT holds.

use super::args::{self, UserPtr};
use super::SyscallCtx;
use crate::abi::fcntl::AT_FDCWD;
use crate::errno::{Errno, SysResult};
use crate::fs::jail::{self, Jail};
use crate::fs::mounts::FsType;
use crate::fs::vfs;
use std::os::fd::AsRawFd;
use std::sync::Arc;

pub(crate) fn sys_chroot(ctx: &mut SyscallCtx<'_>, pathname: UserPtr<args::CStr>) -> SysResult {
    let abs = ctx.at_vec(AT_FDCWD as u64, ctx.path(pathname.addr())?)?;
    // ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG as chdir finds them. A /proc or
    // /dev directory (the kernel's own) cannot be a root here.
    let (_, fd) = vfs::directory(&ctx.m.root, &ctx.procfs(), abs)?;
    let fd = fd.ok_or(Errno::EINVAL)?;
    let root = &ctx.m.root;
    let path = root.machine_path_of(fd.as_raw_fd()).ok_or(Errno::ENOENT)?;
    let link = std::ffi::CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|_| Errno::EINVAL)?;
    let host_path = crate::arch::host::readlinkat(AT_FDCWD, &link)?;
    let host_path =
        std::path::PathBuf::from(std::ffi::OsStr::new(std::str::from_utf8(&host_path).map_err(|_| Errno::EINVAL)?));
    let jail = if path == b"/" {
        None
    } else {
        let mounted = |name: &[u8], kind: FsType| {
            root.mounts.mounted_on(&[path.as_slice(), name].concat()).is_some_and(|m| m.kind == kind)
        };
        let proc = mounted(b"/proc", FsType::Proc);
        let dev = mounted(b"/dev", FsType::Devtmpfs);
        Some(Arc::new(Jail { path, host_path, fd, proc: proc.into(), dev: dev.into() }))
    };
    root.note_jail();
    jail::set_current(jail.clone());
    ctx.task.process.fs().root = jail;
    root.dirs.invalidate();
    Ok(0)
}

// Argument errors through the table, as a guest meets them (what Linux
// answers was checked natively). None of them changes the root.
#[cfg(test)]
mod tests {
    use crate::abi::names::number as nr;
    use crate::errno::Errno;
    use crate::syscall::testkit::TempRoot;

    #[test]
    fn what_cannot_be_a_root() {
        let root = TempRoot::new("chroot");
        std::fs::write(root.0.join("f"), b"x").unwrap();
        std::os::unix::fs::symlink("f", root.0.join("l")).unwrap();
        std::os::unix::fs::symlink("nowhere", root.0.join("dangling")).unwrap();
        let mut t = root.machine();
        let chroot = nr("chroot");
        let cases = [
            ("/nope", Errno::ENOENT),
            ("", Errno::ENOENT),
            ("/dangling", Errno::ENOENT),
            ("/f", Errno::ENOTDIR),
            ("/l", Errno::ENOTDIR),
            ("/f/x", Errno::ENOTDIR),
            (&"/a".repeat(2048), Errno::ENAMETOOLONG),
            (&format!("/{}", "b".repeat(256)), Errno::ENAMETOOLONG),
        ];
        for (path, errno) in cases {
            let p = t.cstr(0x100, path);
            assert_eq!(t.errno(chroot, &[p]), errno, "{path}");
        }
        assert_eq!(t.errno(chroot, &[t.bad_ptr()]), Errno::EFAULT);
        assert!(t.task.process.fs().root.is_none());
    }
}
