//! Unit tests of `syscall::mount`: tmpfs options, and argument errors
//! through the table (`syscall::testkit`).

use super::*;

#[test]
fn options() {
    let mut o = MemOpts::default();
    MemOpts::parse(FsType::Tmpfs, b"size=1m,mode=1777,uid=5", 1 << 30, &mut o).unwrap();
    assert_eq!((o.size, o.mode, o.uid), (Some(1 << 20), Some(0o1777), Some(5)));
    MemOpts::parse(FsType::Tmpfs, b"size=50%", 1 << 30, &mut o).unwrap();
    assert_eq!(o.size, Some(1 << 29));
    assert_eq!(MemOpts::parse(FsType::Tmpfs, b"bogus=1", 0, &mut o), Err(Errno::EINVAL));
    assert_eq!(MemOpts::parse(FsType::Tmpfs, b"size=x", 0, &mut o), Err(Errno::EINVAL));
    // ramfs ignores what it does not know.
    assert_eq!(MemOpts::parse(FsType::Ramfs, b"size=1m", 0, &mut o), Ok(()));
}

// Argument errors through the table, as a guest meets them (what Linux
// answers was checked natively, as root in a mount namespace of its own).
// Each test has a scratch root: /f (a file), /d (a directory), /l -> f,
// /ld -> d, /dangling -> nowhere.
mod args {
    use crate::abi::mount::*;
    use crate::abi::names::number as nr;
    use crate::errno::Errno;
    use crate::syscall::testkit::{Strings, TempRoot};

    fn temp_root() -> TempRoot {
        let root = TempRoot::new("mount");
        let dir = &root.0;
        std::fs::write(dir.join("f"), b"x").unwrap();
        std::fs::create_dir(dir.join("d")).unwrap();
        std::os::unix::fs::symlink("f", dir.join("l")).unwrap();
        std::os::unix::fs::symlink("d", dir.join("ld")).unwrap();
        std::os::unix::fs::symlink("nowhere", dir.join("dangling")).unwrap();
        root
    }

    #[test]
    fn mount_targets_and_types() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (none, tmpfs, d, f) = (s.s(&t, "none"), s.s(&t, "tmpfs"), s.s(&t, "/d"), s.s(&t, "/f"));
        let mount = nr("mount");
        // The target: an existing directory (symlinks followed).
        assert_eq!(t.errno(mount, &[none, f, tmpfs, 0, 0]), Errno::ENOTDIR);
        assert_eq!(t.errno(mount, &[none, s.s(&t, "/l"), tmpfs, 0, 0]), Errno::ENOTDIR);
        assert_eq!(t.errno(mount, &[none, s.s(&t, "/f/x"), tmpfs, 0, 0]), Errno::ENOTDIR);
        assert_eq!(t.errno(mount, &[none, s.s(&t, "/nope/x"), tmpfs, 0, 0]), Errno::ENOENT);
        assert_eq!(t.errno(mount, &[none, s.s(&t, "/dangling"), tmpfs, 0, 0]), Errno::ENOENT);
        assert_eq!(t.errno(mount, &[none, s.s(&t, ""), tmpfs, 0, 0]), Errno::ENOENT);
        assert_eq!(t.errno(mount, &[none, s.s(&t, &"/a".repeat(2048)), tmpfs, 0, 0]), Errno::ENAMETOOLONG);
        // The type: none is EINVAL, an unknown one ENODEV, both before the
        // target's kind is looked at.
        let (unknown, empty) = (s.s(&t, "nosuchfs"), s.s(&t, ""));
        assert_eq!(t.errno(mount, &[none, d, 0, 0, 0]), Errno::EINVAL);
        assert_eq!(t.errno(mount, &[none, f, 0, 0, 0]), Errno::EINVAL);
        assert_eq!(t.errno(mount, &[none, d, unknown, 0, 0]), Errno::ENODEV);
        assert_eq!(t.errno(mount, &[none, f, unknown, 0, 0]), Errno::ENODEV);
        assert_eq!(t.errno(mount, &[none, d, empty, 0, 0]), Errno::ENODEV);
        // Strings are at most a page, NUL included.
        let (page, almost) = (s.s(&t, &"x".repeat(4096)), s.s(&t, &"x".repeat(4095)));
        assert_eq!(t.errno(mount, &[none, d, page, 0, 0]), Errno::EINVAL);
        assert_eq!(t.errno(mount, &[none, d, almost, 0, 0]), Errno::ENODEV);
        assert_eq!(t.errno(mount, &[page, d, tmpfs, 0, 0]), Errno::EINVAL);
        // tmpfs options.
        assert_eq!(t.errno(mount, &[none, d, tmpfs, 0, s.s(&t, "bogus=1")]), Errno::EINVAL);
        assert_eq!(t.errno(mount, &[none, d, tmpfs, 0, s.s(&t, "size=x")]), Errno::EINVAL);
    }

    #[test]
    fn mount_pointers_and_flags() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (none, tmpfs, d, missing) = (s.s(&t, "none"), s.s(&t, "tmpfs"), s.s(&t, "/d"), s.s(&t, "/nope/x"));
        let (bad, mount) = (t.bad_ptr(), nr("mount"));
        // Every string is copied before the target is looked up.
        assert_eq!(t.errno(mount, &[none, d, bad, 0, 0]), Errno::EFAULT);
        assert_eq!(t.errno(mount, &[bad, d, tmpfs, 0, 0]), Errno::EFAULT);
        assert_eq!(t.errno(mount, &[none, bad, tmpfs, 0, 0]), Errno::EFAULT);
        assert_eq!(t.errno(mount, &[none, d, tmpfs, 0, bad]), Errno::EFAULT);
        assert_eq!(t.errno(mount, &[none, missing, bad, 0, 0]), Errno::EFAULT);
        assert_eq!(t.errno(mount, &[bad, missing, tmpfs, 0, 0]), Errno::EFAULT);
        assert_eq!(t.errno(mount, &[none, missing, tmpfs, 0, bad]), Errno::EFAULT);
        // MS_NOUSER is never the caller's, once the target exists.
        assert_eq!(t.errno(mount, &[none, d, tmpfs, MS_NOUSER, 0]), Errno::EINVAL);
        assert_eq!(t.errno(mount, &[none, missing, tmpfs, MS_NOUSER, 0]), Errno::ENOENT);
        // A remount or a propagation change needs a mount point, and one
        // propagation type.
        assert_eq!(t.errno(mount, &[none, d, tmpfs, MS_REMOUNT, 0]), Errno::EINVAL);
        assert_eq!(t.errno(mount, &[0, d, 0, MS_PRIVATE, 0]), Errno::EINVAL);
        let slash = s.s(&t, "/");
        assert_eq!(t.errno(mount, &[0, slash, 0, MS_PRIVATE | MS_SHARED, 0]), Errno::EINVAL);
        assert_eq!(t.errno(mount, &[0, slash, 0, MS_PRIVATE | MS_RDONLY, 0]), Errno::EINVAL);
        assert_eq!(t.value(mount, &[0, slash, 0, MS_PRIVATE | MS_REC, 0]), Ok(0));
    }

    #[test]
    fn bind_mounts() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (d, f, bind, mount) = (s.s(&t, "/d"), s.s(&t, "/f"), MS_BIND, nr("mount"));
        // The source must be named and exist.
        assert_eq!(t.errno(mount, &[0, d, 0, bind, 0]), Errno::EINVAL);
        assert_eq!(t.errno(mount, &[s.s(&t, ""), d, 0, bind, 0]), Errno::EINVAL);
        assert_eq!(t.errno(mount, &[t.bad_ptr(), d, 0, bind, 0]), Errno::EFAULT);
        assert_eq!(t.errno(mount, &[s.s(&t, "/nope"), d, 0, bind, 0]), Errno::ENOENT);
        // A directory goes on a directory only, a file on a file only.
        assert_eq!(t.errno(mount, &[d, f, 0, bind, 0]), Errno::ENOTDIR);
        assert_eq!(t.errno(mount, &[f, d, 0, bind, 0]), Errno::ENOTDIR);
        assert_eq!(t.errno(mount, &[s.s(&t, "/f/x"), d, 0, bind, 0]), Errno::ENOTDIR);
        assert_eq!(t.errno(mount, &[s.s(&t, "/dangling"), d, 0, bind, 0]), Errno::ENOENT);
    }

    #[test]
    fn umount2() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (d, f, bad, umount2) = (s.s(&t, "/d"), s.s(&t, "/f"), t.bad_ptr(), nr("umount2"));
        let (missing, nofollow) = (s.s(&t, "/nope"), u64::from(UMOUNT_NOFOLLOW));
        // Unknown flags, and MNT_EXPIRE with another way, before the path.
        for target in [d, missing, bad] {
            assert_eq!(t.errno(umount2, &[target, 0x10]), Errno::EINVAL);
        }
        assert_eq!(t.errno(umount2, &[d, u64::from(MNT_EXPIRE | MNT_DETACH)]), Errno::EINVAL);
        assert_eq!(t.errno(umount2, &[missing, u64::from(MNT_EXPIRE | MNT_FORCE)]), Errno::EINVAL);
        // The path.
        assert_eq!(t.errno(umount2, &[missing, 0]), Errno::ENOENT);
        assert_eq!(t.errno(umount2, &[bad, 0]), Errno::EFAULT);
        assert_eq!(t.errno(umount2, &[s.s(&t, ""), 0]), Errno::ENOENT);
        assert_eq!(t.errno(umount2, &[s.s(&t, "/f/x"), 0]), Errno::ENOTDIR);
        assert_eq!(t.errno(umount2, &[s.s(&t, &"/a".repeat(2048)), 0]), Errno::ENAMETOOLONG);
        let (dangling, ld) = (s.s(&t, "/dangling"), s.s(&t, "/ld"));
        assert_eq!(t.errno(umount2, &[dangling, 0]), Errno::ENOENT);
        // What is not a mount point: a directory, a file, a symlink.
        assert_eq!(t.errno(umount2, &[d, 0]), Errno::EINVAL);
        assert_eq!(t.errno(umount2, &[f, 0]), Errno::EINVAL);
        assert_eq!(t.errno(umount2, &[dangling, nofollow]), Errno::EINVAL);
        assert_eq!(t.errno(umount2, &[ld, nofollow]), Errno::EINVAL);
        // The flags are an int: the upper half is ignored.
        let (none, tmpfs) = (s.s(&t, "none"), s.s(&t, "tmpfs"));
        assert_eq!(t.value(nr("mount"), &[none, d, tmpfs, 0, 0]), Ok(0));
        assert_eq!(t.errno(umount2, &[d, 1 << 32 | 0x10]), Errno::EINVAL);
        assert_eq!(t.value(umount2, &[d, 1 << 32]), Ok(0));
        assert_eq!(t.errno(umount2, &[d, 0]), Errno::EINVAL);
    }
}
