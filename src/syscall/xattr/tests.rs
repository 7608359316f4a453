//! Unit tests of `syscall::xattr`: argument checks through the table
//! (`syscall::testkit`) and the pure helpers.

use super::*;
use crate::syscall::args::SyscallArg;

#[test]
fn set_flags_are_create_or_replace() {
    assert_eq!(check_set_flags(IntFlags(0)), Ok(()));
    assert_eq!(check_set_flags(IntFlags(XATTR_CREATE as u32)), Ok(()));
    assert_eq!(check_set_flags(IntFlags(XATTR_REPLACE as u32)), Ok(()));
    assert_eq!(check_set_flags(IntFlags((XATTR_CREATE | XATTR_REPLACE) as u32)), Ok(()));
    assert_eq!(check_set_flags(IntFlags(4)), Err(Errno::EINVAL));
    // An int: the upper half of the register is not looked at.
    assert_eq!(check_set_flags(IntFlags::from_reg(1 << 32)), Ok(()));
    assert_eq!(check_set_flags(IntFlags::from_reg(1 << 32 | 4)), Err(Errno::EINVAL));
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
    use crate::abi::fcntl::{O_DIRECTORY, O_PATH, O_RDONLY};
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
        // What the descriptor is decides before the advice or the length:
        // a pipe cannot seek, an O_PATH descriptor is no open file.
        let (slash, stat) = (t.cstr(0x100, "/"), t.cstr(0x110, "/proc/self/stat"));
        let path_only = t.value(nr("open"), &[t.cstr(0x130, "/f"), O_PATH as u64, 0]).unwrap();
        assert_eq!(t.errno(nr("fadvise64"), &[pipe as u64, 0, 0, 6]), Errno::ESPIPE);
        assert_eq!(t.errno(nr("fadvise64"), &[pipe as u64, 0, -1i64 as u64, 0]), Errno::ESPIPE);
        assert_eq!(t.errno(nr("fadvise64"), &[path_only, 0, 0, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("fadvise64"), &[path_only, 0, 0, 6]), Errno::EBADF);
        // Directories and generated files take advice, and check it.
        let dir = t.value(nr("open"), &[slash, (O_RDONLY | O_DIRECTORY) as u64, 0]).unwrap();
        let generated = t.value(nr("open"), &[stat, O_RDONLY as u64, 0]).unwrap();
        for fd in [dir, generated] {
            assert_eq!(t.value(nr("fadvise64"), &[fd, 0, 0, 0]), Ok(0));
            assert_eq!(t.errno(nr("fadvise64"), &[fd, 0, 0, 6]), Errno::EINVAL);
        }
    }

    #[test]
    fn lists() {
        let root = temp_root();
        std::os::unix::fs::symlink("f", root.0.join("l")).unwrap();
        std::os::unix::fs::symlink("nowhere", root.0.join("dangling")).unwrap();
        let Setup { mut t, f, fd, buf, .. } = setup(&root);
        let (l, dangling, bad) = (t.cstr(0x100, "/l"), t.cstr(0x110, "/dangling"), t.bad_ptr());
        // The list is empty: nothing is written, whatever the buffer.
        assert_eq!(t.value(nr("listxattr"), &[f, 0, 0]), Ok(0));
        assert_eq!(t.value(nr("listxattr"), &[f, bad, 64]), Ok(0));
        assert_eq!(t.value(nr("listxattr"), &[l, buf, 1 << 40]), Ok(0));
        assert_eq!(t.value(nr("llistxattr"), &[l, bad, 64]), Ok(0));
        assert_eq!(t.value(nr("flistxattr"), &[fd, bad, 64]), Ok(0));
        // listxattr follows a symlink, llistxattr lists the link's own.
        assert_eq!(t.errno(nr("listxattr"), &[dangling, buf, 64]), Errno::ENOENT);
        assert_eq!(t.value(nr("llistxattr"), &[dangling, buf, 64]), Ok(0));
        assert_eq!(t.errno(nr("llistxattr"), &[t.cstr(0x130, "/f/"), buf, 64]), Errno::ENOTDIR);
    }

    #[test]
    fn own_arguments_before_the_file() {
        let root = temp_root();
        let Setup { mut t, f, fd, name, buf } = setup(&root);
        let (bad, missing, empty) = (t.bad_ptr(), t.cstr(0x100, "/nope"), t.cstr(0x110, ""));
        let long = t.cstr(0x200, &format!("user.{}", "a".repeat(300)));
        // get and remove: the name, then the path or descriptor.
        for (nr, at) in [(191, missing), (192, missing), (193, NO_FD), (197, missing), (198, missing), (199, NO_FD)] {
            assert_eq!(t.errno(nr, &[at, bad, buf, 4]), Errno::EFAULT, "{nr}");
            assert_eq!(t.errno(nr, &[at, empty, buf, 4]), Errno::ERANGE, "{nr}");
            assert_eq!(t.errno(nr, &[at, long, buf, 4]), Errno::ERANGE, "{nr}");
        }
        assert_eq!(t.errno(nr("getxattr"), &[bad, empty, buf, 4]), Errno::ERANGE);
        // set: the flags, the name, the size, the value, then the file.
        for (nr, at) in [(188, missing), (189, missing), (190, NO_FD)] {
            assert_eq!(t.errno(nr, &[at, name, buf, 1, 4]), Errno::EINVAL, "{nr}");
            assert_eq!(t.errno(nr, &[at, bad, buf, 1, 0]), Errno::EFAULT, "{nr}");
            assert_eq!(t.errno(nr, &[at, empty, buf, 1, 0]), Errno::ERANGE, "{nr}");
            assert_eq!(t.errno(nr, &[at, name, buf, 65537, 0]), Errno::E2BIG, "{nr}");
            assert_eq!(t.errno(nr, &[at, name, bad, 1, 0]), Errno::EFAULT, "{nr}");
            assert_eq!(t.errno(nr, &[at, bad, buf, 1, 4]), Errno::EINVAL, "{nr}");
            assert_eq!(t.errno(nr, &[at, bad, buf, 65537, 0]), Errno::EFAULT, "{nr}");
            assert_eq!(t.errno(nr, &[at, name, buf, 65537, 4]), Errno::EINVAL, "{nr}");
        }
        assert_eq!(t.errno(nr("setxattr"), &[bad, name, buf, 1, 4]), Errno::EINVAL);
        // The value is read when there is one.
        assert_eq!(t.errno(nr("setxattr"), &[f, name, bad, 1, 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("fsetxattr"), &[fd, name, bad, 1, 0]), Errno::EFAULT);
        // The flags are an int: the upper half is ignored (and the file
        // system keeps no attributes).
        assert_eq!(t.errno(nr("setxattr"), &[f, name, buf, 1, 1 << 32]), Errno::EOPNOTSUPP);
        assert_eq!(t.errno(nr("fsetxattr"), &[fd, name, buf, 1, 1 << 32]), Errno::EOPNOTSUPP);
        assert_eq!(t.errno(nr("lsetxattr"), &[f, name, buf, 1, 1 << 32 | 4]), Errno::EINVAL);
    }
}
