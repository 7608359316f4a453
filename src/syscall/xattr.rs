//! Extended attributes and file advice. The guest's file system keeps no
//! extended attributes (like a file system mounted without xattr support):
//! after the usual path and descriptor checks, getting or setting one is
//! `EOPNOTSUPP` and the list is empty. `ls -l` and `cp -a` ask and cope.

use super::args::{CStr, Fd, Flags, Opaque, UserPtr};
use super::SyscallCtx;
use crate::abi::fcntl::{AT_FDCWD, POSIX_FADV_NOREUSE, POSIX_FADV_NORMAL};
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

fn get(ctx: &SyscallCtx<'_>, name: UserPtr<CStr>) -> SysResult {
    check_name(ctx, name)?;
    Err(Errno::EOPNOTSUPP)
}

/// setxattr's flags: XATTR_CREATE, XATTR_REPLACE (an int: the upper half
/// of the register is not looked at).
fn check_set_flags(flags: Flags) -> SysResult<()> {
    if flags.0 as u32 & !((XATTR_CREATE | XATTR_REPLACE) as u32) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

fn set(ctx: &SyscallCtx<'_>, name: UserPtr<CStr>, size: usize, flags: Flags) -> SysResult {
    check_set_flags(flags)?;
    check_name(ctx, name)?;
    if size > XATTR_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    Err(Errno::EOPNOTSUPP)
}

pub(crate) fn sys_getxattr(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    name: UserPtr<CStr>,
    _value: UserPtr<Opaque>,
    _size: usize,
) -> SysResult {
    check_path(ctx, path, true)?;
    get(ctx, name)
}

pub(crate) fn sys_lgetxattr(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    name: UserPtr<CStr>,
    _value: UserPtr<Opaque>,
    _size: usize,
) -> SysResult {
    check_path(ctx, path, false)?;
    get(ctx, name)
}

pub(crate) fn sys_fgetxattr(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    name: UserPtr<CStr>,
    _value: UserPtr<Opaque>,
    _size: usize,
) -> SysResult {
    ctx.file(fd.0 as u64)?;
    get(ctx, name)
}

pub(crate) fn sys_setxattr(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    name: UserPtr<CStr>,
    _value: UserPtr<Opaque>,
    size: usize,
    flags: Flags,
) -> SysResult {
    check_path(ctx, path, true)?;
    set(ctx, name, size, flags)
}

pub(crate) fn sys_lsetxattr(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    name: UserPtr<CStr>,
    _value: UserPtr<Opaque>,
    size: usize,
    flags: Flags,
) -> SysResult {
    check_path(ctx, path, false)?;
    set(ctx, name, size, flags)
}

pub(crate) fn sys_fsetxattr(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    name: UserPtr<CStr>,
    _value: UserPtr<Opaque>,
    size: usize,
    flags: Flags,
) -> SysResult {
    ctx.file(fd.0 as u64)?;
    set(ctx, name, size, flags)
}

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
    check_path(ctx, path, true)?;
    get(ctx, name)
}

pub(crate) fn sys_lremovexattr(ctx: &mut SyscallCtx<'_>, path: UserPtr<CStr>, name: UserPtr<CStr>) -> SysResult {
    check_path(ctx, path, false)?;
    get(ctx, name)
}

pub(crate) fn sys_fremovexattr(ctx: &mut SyscallCtx<'_>, fd: Fd, name: UserPtr<CStr>) -> SysResult {
    ctx.file(fd.0 as u64)?;
    get(ctx, name)
}

/// fadvise64's advice (POSIX_FADV_NORMAL to POSIX_FADV_NOREUSE) and length
/// (not negative).
fn check_advice(len: i64, advice: i32) -> SysResult<()> {
    if !(POSIX_FADV_NORMAL..=POSIX_FADV_NOREUSE).contains(&advice) || len < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// fadvise64(fd, offset, len, advice): advice only. Passed to the host for
/// host files (it may read ahead or drop caches); ESPIPE for pipes.
pub(crate) fn sys_fadvise64(ctx: &mut SyscallCtx<'_>, fd: Fd, offset: i64, len: i64, advice: i32) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    check_advice(len, advice)?;
    match f.host_fd() {
        Ok(host_fd) => crate::arch::host::fadvise(host_fd, offset, len, advice).map(|()| 0).map_err(Errno::from),
        // Generated files and directories: nothing to advise about.
        Err(_) => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::args::SyscallArg;

    #[test]
    fn set_flags_are_create_or_replace() {
        assert_eq!(check_set_flags(Flags(0)), Ok(()));
        assert_eq!(check_set_flags(Flags(XATTR_CREATE as u64)), Ok(()));
        assert_eq!(check_set_flags(Flags(XATTR_REPLACE as u64)), Ok(()));
        assert_eq!(check_set_flags(Flags((XATTR_CREATE | XATTR_REPLACE) as u64)), Ok(()));
        assert_eq!(check_set_flags(Flags(4)), Err(Errno::EINVAL));
        // An int: the upper half of the register is not looked at.
        assert_eq!(check_set_flags(Flags::from_reg(1 << 32)), Ok(()));
        assert_eq!(check_set_flags(Flags::from_reg(1 << 32 | 4)), Err(Errno::EINVAL));
    }

    #[test]
    fn advice_and_length_are_checked() {
        for advice in POSIX_FADV_NORMAL..=POSIX_FADV_NOREUSE {
            assert_eq!(check_advice(0, advice), Ok(()));
        }
        assert_eq!(check_advice(i64::MAX, 0), Ok(()));
        assert_eq!(check_advice(0, -1), Err(Errno::EINVAL));
        assert_eq!(check_advice(0, 6), Err(Errno::EINVAL));
        assert_eq!(check_advice(-1, 0), Err(Errno::EINVAL));
        // The advice is an int: the upper half of its register is ignored.
        assert_eq!(check_advice(0, i32::from_reg(0x1_0000_0004)), Ok(()));
        // The length is a loff_t: the whole register.
        assert_eq!(check_advice(i64::from_reg(1 << 63), 0), Err(Errno::EINVAL));
    }

    // Argument errors through the table, as a guest meets them (what Linux
    // answers was checked natively). A scratch root holds /f.
    mod args {
        use crate::abi::names::number as nr;
        use crate::errno::Errno;
        use crate::syscall::testkit::{TempRoot, TestMachine, NEG, NO_FD};

        /// The files these tests work on, in a fresh root.
        fn temp_root() -> TempRoot {
            let root = TempRoot::new("xattr");
            let dir = &root.0;
            std::fs::write(dir.join("f"), b"x").unwrap();
            root
        }

        /// Scratch strings: /f, an open descriptor of it, a good name.
        struct Setup {
            t: TestMachine,
            f: u64,
            fd: u64,
            name: u64,
            buf: u64,
        }

        fn setup(root: &TempRoot) -> Setup {
            let mut t = root.machine();
            let f = t.cstr(0, "/f");
            let fd = t.value(nr("open"), &[f, 0, 0]).unwrap();
            let name = t.cstr(0x10, "user.x");
            let buf = t.scratch + 0x1000;
            Setup { t, f, fd, name, buf }
        }

        #[test]
        fn paths_and_descriptors() {
            let root = temp_root();
            let Setup { mut t, name, buf, .. } = setup(&root);
            let bad_paths = [
                (t.bad_ptr(), Errno::EFAULT),
                (t.cstr(0x100, ""), Errno::ENOENT),
                (t.cstr(0x110, "/nope"), Errno::ENOENT),
                (t.cstr(0x120, "/f/x"), Errno::ENOTDIR),
            ];
            for (path, errno) in bad_paths {
                for nr in [191, 192] {
                    assert_eq!(t.errno(nr, &[path, name, buf, 4]), errno, "{nr}");
                }
                for nr in [188, 189] {
                    assert_eq!(t.errno(nr, &[path, name, buf, 4, 0]), errno, "{nr}");
                }
                for nr in [194, 195] {
                    assert_eq!(t.errno(nr, &[path, buf, 64]), errno, "{nr}");
                }
                for nr in [197, 198] {
                    assert_eq!(t.errno(nr, &[path, name]), errno, "{nr}");
                }
            }
            for fd in [NO_FD, NEG] {
                assert_eq!(t.errno(nr("fgetxattr"), &[fd, name, buf, 4]), Errno::EBADF);
                assert_eq!(t.errno(nr("fsetxattr"), &[fd, name, buf, 4, 0]), Errno::EBADF);
                assert_eq!(t.errno(nr("flistxattr"), &[fd, buf, 64]), Errno::EBADF);
                assert_eq!(t.errno(nr("fremovexattr"), &[fd, name]), Errno::EBADF);
            }
        }

        #[test]
        fn names_flags_sizes() {
            let root = temp_root();
            let Setup { mut t, f, fd, name, buf } = setup(&root);
            // A name must be readable, not empty, at most XATTR_NAME_MAX.
            let bad_names = [
                (t.bad_ptr(), Errno::EFAULT),
                (t.cstr(0x100, ""), Errno::ERANGE),
                (t.cstr(0x200, &format!("user.{}", "a".repeat(251))), Errno::ERANGE),
            ];
            for (n, errno) in bad_names {
                assert_eq!(t.errno(nr("getxattr"), &[f, n, buf, 4]), errno);
                assert_eq!(t.errno(nr("lgetxattr"), &[f, n, buf, 4]), errno);
                assert_eq!(t.errno(nr("fgetxattr"), &[fd, n, buf, 4]), errno);
                assert_eq!(t.errno(nr("setxattr"), &[f, n, buf, 4, 0]), errno);
                assert_eq!(t.errno(nr("lsetxattr"), &[f, n, buf, 4, 0]), errno);
                assert_eq!(t.errno(nr("fsetxattr"), &[fd, n, buf, 4, 0]), errno);
                assert_eq!(t.errno(nr("removexattr"), &[f, n]), errno);
                assert_eq!(t.errno(nr("lremovexattr"), &[f, n]), errno);
                assert_eq!(t.errno(nr("fremovexattr"), &[fd, n]), errno);
            }
            for (nr, target) in [(188, f), (189, f), (190, fd)] {
                assert_eq!(t.errno(nr, &[target, name, buf, 4, 4]), Errno::EINVAL, "{nr}");
                assert_eq!(t.errno(nr, &[target, name, buf, 65537, 0]), Errno::E2BIG, "{nr}");
            }
        }

        #[test]
        fn fadvise64() {
            let root = temp_root();
            let Setup { mut t, fd, .. } = setup(&root);
            let fds = t.scratch + 0x2000;
            assert_eq!(t.value(nr("pipe"), &[fds]), Ok(0));
            let pipe: i32 = t.m.mem.user.read_val(fds).unwrap();
            assert_eq!(t.errno(nr("fadvise64"), &[NO_FD, 0, 0, 0]), Errno::EBADF);
            assert_eq!(t.errno(nr("fadvise64"), &[NEG, 0, 0, 6]), Errno::EBADF);
            assert_eq!(t.errno(nr("fadvise64"), &[fd, 0, 0, 6]), Errno::EINVAL);
            assert_eq!(t.errno(nr("fadvise64"), &[fd, 0, 0, -1i64 as u64]), Errno::EINVAL);
            assert_eq!(t.errno(nr("fadvise64"), &[fd, 0, -1i64 as u64, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("fadvise64"), &[pipe as u64, 0, 0, 0]), Errno::ESPIPE);
            // The advice is an int: the upper half is ignored.
            assert_eq!(t.value(nr("fadvise64"), &[fd, 0, 0, 1 << 32 | 4]), Ok(0));
        }
    }
}
