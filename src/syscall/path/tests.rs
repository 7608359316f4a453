//! Unit tests of `syscall::path`: argument checks through the table
//! (`syscall::testkit`) and the pure helpers.

use super::*;
use crate::syscall::args::SyscallArg;

#[test]
fn access_checks() {
    let (all_modes, all_flags) = (R_OK | W_OK | X_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
    assert_eq!(access_args(0, 0), Ok((0, 0)));
    assert_eq!(access_args(all_modes as u32, all_flags as u32), Ok((all_modes, all_flags)));
    assert!(access_args(8, 0).is_err());
    assert!(access_args(0, 0x1).is_err());
    // Ints: the upper half of their registers is not looked at.
    let int = |reg: u64| IntFlags::from_reg(reg).0;
    assert_eq!(access_args(int(1 << 32 | R_OK as u64), int(1 << 32)), Ok((R_OK, 0)));
    assert!(access_args(int(1 << 32 | 8), 0).is_err());
}

#[test]
fn rename_flags() {
    let (noreplace, exchange, whiteout) = (RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT);
    assert!(rename_flags_valid(0));
    assert!(rename_flags_valid(noreplace));
    assert!(rename_flags_valid(exchange));
    assert!(rename_flags_valid(whiteout | noreplace));
    assert!(!rename_flags_valid(noreplace | exchange));
    assert!(!rename_flags_valid(8));
    // An unsigned int: the upper half of the register is not looked at.
    let int = |reg: u64| IntFlags::from_reg(reg).0;
    assert!(rename_flags_valid(int(1 << 32 | u64::from(noreplace))));
    assert!(!rename_flags_valid(int(1 << 32 | 8)));
}

#[test]
fn mknod_kinds() {
    assert_eq!(mknod_kind(0o644), Ok(S_IFREG));
    assert_eq!(mknod_kind(S_IFREG | 0o644), Ok(S_IFREG));
    assert_eq!(mknod_kind(S_IFIFO | 0o600), Ok(S_IFIFO));
    assert_eq!(mknod_kind(S_IFSOCK | 0o600), Ok(S_IFSOCK));
    assert_eq!(mknod_kind(S_IFCHR | 0o600), Ok(S_IFCHR));
    assert_eq!(mknod_kind(S_IFBLK | 0o600), Ok(S_IFBLK));
    assert_eq!(mknod_kind(S_IFDIR | 0o755), Err(Errno::EPERM));
    assert_eq!(mknod_kind(S_IFLNK | 0o777), Err(Errno::EINVAL));
}

#[test]
fn the_working_directory_is_at_fdcwd() {
    assert_eq!(CWD, Fd(AT_FDCWD));
    assert_eq!(arg_i32(reg(CWD)), AT_FDCWD);
    assert_eq!(arg_i32(reg(Fd(3))), 3);
}

// Argument errors through the table, as a guest meets them (what Linux
// answers was checked natively). Each test has a scratch root:
// /f (a file), /d (an empty directory), /full (holding x), /l -> f.
mod args {
    use crate::abi::fcntl::{
        AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_STATX_SYNC_TYPE, AT_SYMLINK_NOFOLLOW, O_CREAT, O_DIRECTORY, O_EXCL,
        O_RDONLY, O_TMPFILE, O_WRONLY, RENAME_EXCHANGE, RENAME_NOREPLACE,
    };
    use crate::abi::names::number as nr;
    use crate::abi::stat::{STATX__RESERVED, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG};
    use crate::errno::Errno;
    use crate::syscall::testkit::{Strings, TempRoot, TestMachine, NEG, NO_FD};

    /// The working directory as a dirfd register holds it.
    const AT: u64 = AT_FDCWD as u64;
    /// A regular file's mode, as mknod's register holds it.
    const REGULAR: u64 = (S_IFREG | 0o644) as u64;

    /// The files these tests work on, in a fresh root.
    fn temp_root() -> TempRoot {
        let root = TempRoot::new("path");
        let dir = &root.0;
        std::fs::create_dir_all(dir.join("d")).unwrap();
        std::fs::create_dir_all(dir.join("full")).unwrap();
        std::fs::write(dir.join("full/x"), b"").unwrap();
        std::fs::write(dir.join("f"), b"hello").unwrap();
        std::os::unix::fs::symlink("f", dir.join("l")).unwrap();
        root
    }

    /// Paths every path argument refuses, with Linux's answer: an
    /// unreadable one, an empty one, a missing directory, a file used
    /// as a directory, one of PATH_MAX bytes, a name of NAME_MAX + 1.
    fn bad_paths(t: &TestMachine, s: &mut Strings) -> Vec<(u64, Errno)> {
        vec![
            (t.bad_ptr(), Errno::EFAULT),
            (s.s(t, ""), Errno::ENOENT),
            (s.s(t, "/nope/x"), Errno::ENOENT),
            (s.s(t, "/f/x"), Errno::ENOTDIR),
            (s.s(t, &"/a".repeat(2048)), Errno::ENAMETOOLONG),
            (s.s(t, &format!("/{}", "b".repeat(256))), Errno::ENAMETOOLONG),
        ]
    }

    #[test]
    fn every_path_argument_refuses_bad_paths() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (f, buf) = (s.s(&t, "/f"), t.scratch + 0x8000);
        let newp = s.s(&t, "/new");
        let bad = bad_paths(&t, &mut s);
        // Syscall number and arguments, with the path argument at `at`.
        let calls: &[(u64, usize, [u64; 6])] = &[
            (2, 0, [0, O_RDONLY as u64, 0, 0, 0, 0]),
            (4, 0, [0, buf, 0, 0, 0, 0]),
            (6, 0, [0, buf, 0, 0, 0, 0]),
            (21, 0, [0, 0, 0, 0, 0, 0]),
            (76, 0, [0, 0, 0, 0, 0, 0]),
            (80, 0, [0; 6]),
            (82, 0, [0, newp, 0, 0, 0, 0]),
            (82, 1, [f, 0, 0, 0, 0, 0]),
            (83, 0, [0, 0o755, 0, 0, 0, 0]),
            (84, 0, [0; 6]),
            (85, 0, [0, 0o644, 0, 0, 0, 0]),
            (86, 0, [0, newp, 0, 0, 0, 0]),
            (86, 1, [f, 0, 0, 0, 0, 0]),
            (87, 0, [0; 6]),
            (88, 1, [f, 0, 0, 0, 0, 0]),
            (89, 0, [0, buf, 64, 0, 0, 0]),
            (90, 0, [0, 0o644, 0, 0, 0, 0]),
            (92, 0, [0, 0, 0, 0, 0, 0]),
            (94, 0, [0, 0, 0, 0, 0, 0]),
            (133, 0, [0, REGULAR, 0, 0, 0, 0]),
            (137, 0, [0, buf, 0, 0, 0, 0]),
            (257, 1, [AT, 0, O_RDONLY as u64, 0, 0, 0]),
            (258, 1, [AT, 0, 0o755, 0, 0, 0]),
            (259, 1, [AT, 0, REGULAR, 0, 0, 0]),
            (260, 1, [AT, 0, 0, 0, 0, 0]),
            (262, 1, [AT, 0, buf, 0, 0, 0]),
            (263, 1, [AT, 0, 0, 0, 0, 0]),
            (264, 1, [AT, 0, AT, newp, 0, 0]),
            (264, 3, [AT, f, AT, 0, 0, 0]),
            (265, 1, [AT, 0, AT, newp, 0, 0]),
            (265, 3, [AT, f, AT, 0, 0, 0]),
            (266, 2, [f, AT, 0, 0, 0, 0]),
            (267, 1, [AT, 0, buf, 64, 0, 0]),
            (268, 1, [AT, 0, 0o644, 0, 0, 0]),
            (269, 1, [AT, 0, 0, 0, 0, 0]),
            (280, 1, [AT, 0, 0, 0, 0, 0]),
            (316, 1, [AT, 0, AT, newp, 0, 0]),
            (316, 3, [AT, f, AT, 0, 0, 0]),
            (332, 1, [AT, 0, 0, 0xfff, buf, 0]),
            (439, 1, [AT, 0, 0, 0, 0, 0]),
            (452, 1, [AT, 0, 0o644, 0, 0, 0]),
        ];
        for &(nr, at, args) in calls {
            for &(path, errno) in &bad {
                let mut args = args;
                args[at] = path;
                assert_eq!(t.errno(nr, &args), errno, "syscall {nr}, argument {at}: {path:#x}");
            }
        }
        // symlink's target is only a string: it must be readable and
        // not empty.
        assert_eq!(t.errno(nr("symlink"), &[t.bad_ptr(), newp]), Errno::EFAULT);
        assert_eq!(t.errno(nr("symlinkat"), &[s.s(&t, ""), AT, newp]), Errno::ENOENT);
        assert!(!root.exists("new"));
    }

    #[test]
    fn directory_descriptors() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (rel, abs, buf) = (s.s(&t, "f"), s.s(&t, "/f"), t.scratch + 0x8000);
        let file = t.value(nr("open"), &[abs, O_RDONLY as u64]).unwrap();
        let calls: &[(u64, [u64; 6])] = &[
            (257, [0, rel, O_RDONLY as u64, 0, 0, 0]),
            (258, [0, rel, 0o755, 0, 0, 0]),
            (259, [0, rel, REGULAR, 0, 0, 0]),
            (260, [0, rel, 0, 0, 0, 0]),
            (262, [0, rel, buf, 0, 0, 0]),
            (263, [0, rel, 0, 0, 0, 0]),
            (267, [0, rel, buf, 64, 0, 0]),
            (268, [0, rel, 0o644, 0, 0, 0]),
            (269, [0, rel, 0, 0, 0, 0]),
            (280, [0, rel, 0, 0, 0, 0]),
            (332, [0, rel, 0, 0xfff, buf, 0]),
            (439, [0, rel, 0, 0, 0, 0]),
            (452, [0, rel, 0o644, 0, 0, 0]),
        ];
        for &(nr, args) in calls {
            for (dirfd, errno) in [(NO_FD, Errno::EBADF), (NEG, Errno::EBADF), (file, Errno::ENOTDIR)] {
                let mut args = args;
                args[0] = dirfd;
                assert_eq!(t.errno(nr, &args), errno, "syscall {nr}, dirfd {dirfd}");
            }
        }
        // Two directory descriptors.
        for (nr, flags) in [(264, 0), (265, 0), (316, 0)] {
            assert_eq!(t.errno(nr, &[NO_FD, rel, AT, rel, flags]), Errno::EBADF, "{nr}");
            assert_eq!(t.errno(nr, &[AT, rel, NO_FD, rel, flags]), Errno::EBADF, "{nr}");
        }
        assert_eq!(t.errno(nr("symlinkat"), &[abs, NO_FD, rel]), Errno::EBADF);
        // An absolute path does not look at dirfd.
        assert_eq!(t.value(nr("newfstatat"), &[NO_FD, abs, buf, 0]), Ok(0));
        assert_eq!(t.value(nr("faccessat"), &[NO_FD, abs, 0]), Ok(0));
        // An empty path names dirfd itself only with AT_EMPTY_PATH.
        let empty = s.s(&t, "");
        assert_eq!(t.errno(nr("newfstatat"), &[NO_FD, empty, buf, AT_EMPTY_PATH as u64]), Errno::EBADF);
        assert_eq!(t.errno(nr("newfstatat"), &[file, empty, buf, 0]), Errno::ENOENT);
        assert_eq!(t.value(nr("newfstatat"), &[file, empty, buf, AT_EMPTY_PATH as u64]), Ok(0));
        assert_eq!(t.errno(nr("fchownat"), &[file, empty, 0, 0, 0]), Errno::ENOENT);
        assert_eq!(t.errno(nr("linkat"), &[file, empty, AT, s.s(&t, "new"), 0]), Errno::ENOENT);
        assert_eq!(t.errno(nr("readlinkat"), &[file, empty, buf, 64]), Errno::ENOENT);
    }

    #[test]
    fn flags() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (f, d, l, newp, buf) = (s.s(&t, "/f"), s.s(&t, "/d"), s.s(&t, "/l"), s.s(&t, "/new"), t.scratch + 0x8000);
        let high = 1u64 << 32;
        // open: O_TMPFILE needs write access; O_CREAT with O_DIRECTORY
        // is EINVAL; a directory cannot be opened for writing.
        assert_eq!(t.errno(nr("open"), &[d, O_TMPFILE as u64, 0o600]), Errno::EINVAL);
        assert_eq!(t.errno(nr("open"), &[newp, (O_CREAT | O_DIRECTORY) as u64, 0o600]), Errno::EINVAL);
        assert_eq!(t.errno(nr("open"), &[f, O_DIRECTORY as u64, 0]), Errno::ENOTDIR);
        assert_eq!(t.errno(nr("open"), &[f, (O_CREAT | O_EXCL) as u64, 0o600]), Errno::EEXIST);
        assert_eq!(t.errno(nr("open"), &[d, O_WRONLY as u64, 0]), Errno::EISDIR);
        // The flags are an int: the upper half is ignored.
        assert!(t.value(nr("open"), &[f, high | O_RDONLY as u64, 0]).is_ok());
        // newfstatat, statx.
        assert_eq!(t.errno(nr("newfstatat"), &[AT, f, buf, 1]), Errno::EINVAL);
        assert_eq!(t.value(nr("newfstatat"), &[AT, f, buf, high]), Ok(0));
        assert_eq!(t.errno(nr("newfstatat"), &[AT, f, t.bad_ptr(), 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("stat"), &[f, t.bad_ptr()]), Errno::EFAULT);
        assert_eq!(t.errno(nr("statx"), &[AT, f, 1, 0xfff, buf]), Errno::EINVAL);
        assert_eq!(t.errno(nr("statx"), &[AT, f, AT_STATX_SYNC_TYPE as u64, 0xfff, buf]), Errno::EINVAL);
        assert_eq!(t.errno(nr("statx"), &[AT, f, 0, u64::from(STATX__RESERVED), buf]), Errno::EINVAL);
        assert_eq!(t.errno(nr("statx"), &[AT, f, 0, 0xfff, t.bad_ptr()]), Errno::EFAULT);
        // The mask is an unsigned int: STATX__RESERVED above it is not.
        assert_eq!(t.value(nr("statx"), &[AT, f, 0, u64::from(STATX__RESERVED) << 32 | 0xfff, buf]), Ok(0));
        // access and friends: a mode beyond R_OK|W_OK|X_OK, unknown flags.
        assert_eq!(t.errno(nr("access"), &[f, 8]), Errno::EINVAL);
        assert_eq!(t.errno(nr("faccessat"), &[AT, f, 8]), Errno::EINVAL);
        assert_eq!(t.errno(nr("faccessat2"), &[AT, f, 8, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("faccessat2"), &[AT, f, 0, 1]), Errno::EINVAL);
        // unlinkat: only AT_REMOVEDIR (an int: the upper half ignored).
        assert_eq!(t.errno(nr("unlinkat"), &[AT, f, 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("unlinkat"), &[AT, s.s(&t, "/gone"), high]), Errno::ENOENT);
        assert_eq!(t.errno(nr("unlinkat"), &[AT, f, AT_REMOVEDIR as u64]), Errno::ENOTDIR);
        // renameat2: known flags, not RENAME_NOREPLACE|RENAME_EXCHANGE.
        let (noreplace, exchange) = (u64::from(RENAME_NOREPLACE), u64::from(RENAME_EXCHANGE));
        assert_eq!(t.errno(nr("renameat2"), &[AT, f, AT, newp, 8]), Errno::EINVAL);
        assert_eq!(t.errno(nr("renameat2"), &[AT, f, AT, newp, noreplace | exchange]), Errno::EINVAL);
        assert_eq!(t.errno(nr("renameat2"), &[AT, f, AT, l, noreplace]), Errno::EEXIST);
        assert_eq!(t.errno(nr("renameat2"), &[AT, f, AT, newp, exchange]), Errno::ENOENT);
        // linkat, fchownat, utimensat, fchmodat2.
        assert_eq!(t.errno(nr("linkat"), &[AT, f, AT, newp, 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("fchownat"), &[AT, f, 0, 0, 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("utimensat"), &[AT, f, 0, 1]), Errno::EINVAL);
        assert_eq!(t.value(nr("utimensat"), &[AT, f, 0, high]), Ok(0));
        assert_eq!(t.errno(nr("fchmodat2"), &[AT, f, 0o644, 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("fchmodat2"), &[AT, l, 0o644, AT_SYMLINK_NOFOLLOW as u64]), Errno::EOPNOTSUPP);
        assert!(!root.exists("new"));
    }

    #[test]
    fn int_arguments_ignore_the_upper_half() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (f, newp, linkp, buf) = (s.s(&t, "/f"), s.s(&t, "/new"), s.s(&t, "/link"), t.scratch + 0x8000);
        let high = 1u64 << 32;
        // Modes and flags that are an int or an unsigned int in Linux.
        assert_eq!(t.value(nr("access"), &[f, high]), Ok(0));
        assert_eq!(t.errno(nr("access"), &[f, high | 8]), Errno::EINVAL);
        assert_eq!(t.value(nr("faccessat"), &[AT, f, high]), Ok(0));
        assert_eq!(t.value(nr("faccessat2"), &[AT, f, high, 0]), Ok(0));
        assert_eq!(t.value(nr("faccessat2"), &[AT, f, 0, high]), Ok(0));
        assert_eq!(t.errno(nr("faccessat2"), &[AT, f, 0, high | 1]), Errno::EINVAL);
        assert_eq!(t.value(nr("statx"), &[AT, f, high, 0xfff, buf]), Ok(0));
        assert_eq!(t.value(nr("fchmodat2"), &[AT, f, 0o644, high]), Ok(0));
        let keep = u64::from(u32::MAX);
        assert_eq!(t.value(nr("fchownat"), &[AT, f, keep, keep, high]), Ok(0));
        assert_eq!(t.value(nr("linkat"), &[AT, f, AT, linkp, high]), Ok(0));
        assert!(root.exists("link"));
        assert_eq!(t.errno(nr("renameat2"), &[AT, f, AT, linkp, high | u64::from(RENAME_NOREPLACE)]), Errno::EEXIST);
        assert_eq!(t.value(nr("renameat2"), &[AT, f, AT, newp, high]), Ok(0));
        assert!(root.exists("new") && !root.exists("f"));
    }

    #[test]
    fn names_that_exist_or_cannot() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (f, d, l, full) = (s.s(&t, "/f"), s.s(&t, "/d"), s.s(&t, "/l"), s.s(&t, "/full"));
        let (dot, dotdot, newp) = (s.s(&t, "."), s.s(&t, ".."), s.s(&t, "/new"));
        let (d_sub, nope) = (s.s(&t, "/d/sub"), s.s(&t, "/nope"));
        // mkdir
        assert_eq!(t.errno(nr("mkdir"), &[d, 0o755]), Errno::EEXIST);
        assert_eq!(t.errno(nr("mkdir"), &[dot, 0o755]), Errno::EEXIST);
        assert_eq!(t.errno(nr("mkdir"), &[dotdot, 0o755]), Errno::EEXIST);
        // rmdir, unlink
        assert_eq!(t.errno(nr("rmdir"), &[f]), Errno::ENOTDIR);
        assert_eq!(t.errno(nr("rmdir"), &[dot]), Errno::EINVAL);
        assert_eq!(t.errno(nr("rmdir"), &[dotdot]), Errno::ENOTEMPTY);
        assert_eq!(t.errno(nr("rmdir"), &[full]), Errno::ENOTEMPTY);
        assert_eq!(t.errno(nr("unlink"), &[d]), Errno::EISDIR);
        assert_eq!(t.errno(nr("unlink"), &[dot]), Errno::EISDIR);
        // rename
        assert_eq!(t.errno(nr("rename"), &[dot, newp]), Errno::EBUSY);
        assert_eq!(t.errno(nr("rename"), &[f, dot]), Errno::EBUSY);
        assert_eq!(t.errno(nr("rename"), &[dotdot, newp]), Errno::EBUSY);
        assert_eq!(t.errno(nr("rename"), &[nope, newp]), Errno::ENOENT);
        assert_eq!(t.errno(nr("rename"), &[d, d_sub]), Errno::EINVAL);
        assert_eq!(t.errno(nr("rename"), &[d, f]), Errno::ENOTDIR);
        assert_eq!(t.errno(nr("rename"), &[f, d]), Errno::EISDIR);
        assert_eq!(t.errno(nr("rename"), &[d, full]), Errno::ENOTEMPTY);
        // link, symlink
        assert_eq!(t.errno(nr("link"), &[f, l]), Errno::EEXIST);
        assert_eq!(t.errno(nr("link"), &[nope, newp]), Errno::ENOENT);
        assert_eq!(t.errno(nr("link"), &[d, newp]), Errno::EPERM);
        assert_eq!(t.errno(nr("link"), &[f, dot]), Errno::EEXIST);
        assert_eq!(t.errno(nr("symlink"), &[f, l]), Errno::EEXIST);
        assert_eq!(t.errno(nr("symlink"), &[f, dot]), Errno::EEXIST);
        // mknod: no directories or symlinks; an existing name.
        assert_eq!(t.errno(nr("mknod"), &[newp, u64::from(S_IFLNK | 0o777), 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mknod"), &[newp, 0o070000, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mknod"), &[f, REGULAR, 0]), Errno::EEXIST);
        assert!(!root.exists("new") && !root.exists("d/sub"));
        // The mode is a umode_t: bits above the 16th are not looked at.
        assert_eq!(t.value(nr("mknod"), &[newp, 1 << 32 | 1 << 16 | REGULAR, 0]), Ok(0));
        assert!(root.0.join("new").is_file());
    }

    #[test]
    fn links_cwd_truncate_times() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (f, d, l, buf, bad) = (s.s(&t, "/f"), s.s(&t, "/d"), s.s(&t, "/l"), t.scratch + 0x8000, t.bad_ptr());
        // readlink: a size of at most 0 (an int), not a link, bad buffer.
        assert_eq!(t.errno(nr("readlink"), &[f, buf, 64]), Errno::EINVAL);
        assert_eq!(t.errno(nr("readlink"), &[l, buf, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("readlink"), &[l, buf, -1i64 as u64]), Errno::EINVAL);
        assert_eq!(t.errno(nr("readlink"), &[l, buf, 1 << 32]), Errno::EINVAL);
        assert_eq!(t.value(nr("readlink"), &[l, buf, 1 << 32 | 64]), Ok(1));
        assert_eq!(t.errno(nr("readlink"), &[l, bad, 64]), Errno::EFAULT);
        // getcwd: too small a buffer, a bad one.
        assert_eq!(t.errno(nr("getcwd"), &[buf, 0]), Errno::ERANGE);
        assert_eq!(t.errno(nr("getcwd"), &[buf, 1]), Errno::ERANGE);
        assert_eq!(t.errno(nr("getcwd"), &[bad, 4096]), Errno::EFAULT);
        assert_eq!(t.value(nr("getcwd"), &[buf, 1 << 32]), Ok(2));
        // chdir to a file.
        assert_eq!(t.errno(nr("chdir"), &[f]), Errno::ENOTDIR);
        // truncate
        assert_eq!(t.errno(nr("truncate"), &[f, -1i64 as u64]), Errno::EINVAL);
        assert_eq!(t.errno(nr("truncate"), &[d, 0]), Errno::EISDIR);
        // statfs
        assert_eq!(t.errno(nr("statfs"), &[f, bad]), Errno::EFAULT);
        // utimensat: nanoseconds out of range, unreadable times, NULL
        // path (futimens) with AT_FDCWD or a bad descriptor.
        let mut times = [0u8; 32];
        times[8..16].copy_from_slice(&1_000_000_000i64.to_le_bytes());
        let late = t.put(0x7000, &times);
        times[8..16].copy_from_slice(&(-1i64).to_le_bytes());
        let negative = t.put(0x7100, &times);
        assert_eq!(t.errno(nr("utimensat"), &[AT, f, late, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("utimensat"), &[AT, f, negative, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("utimensat"), &[AT, f, bad, 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("utimensat"), &[AT, 0, 0, 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("utimensat"), &[NO_FD, 0, 0, 0]), Errno::EBADF);
    }

    /// The permission bits and file type of `name` in `root`, symlinks
    /// not followed.
    fn mode_of(root: &TempRoot, name: &str) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        root.0.join(name).symlink_metadata().expect("a file").permissions().mode()
    }

    #[test]
    fn lstat_and_creat() {
        let root = temp_root();
        std::os::unix::fs::symlink("nowhere", root.0.join("dangling")).unwrap();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (d, l, buf) = (s.s(&t, "/d"), s.s(&t, "/l"), t.scratch + 0x8000);
        let dangling = s.s(&t, "/dangling");
        // lstat: an unwritable buffer; a dangling symlink is itself; a
        // trailing slash asks for a directory.
        assert_eq!(t.errno(nr("lstat"), &[l, t.bad_ptr()]), Errno::EFAULT);
        assert_eq!(t.value(nr("lstat"), &[dangling, buf]), Ok(0));
        assert_eq!(t.errno(nr("lstat"), &[s.s(&t, "/l/"), buf]), Errno::ENOTDIR);
        assert_eq!(t.errno(nr("lstat"), &[s.s(&t, "/f/"), buf]), Errno::ENOTDIR);
        // creat: not a directory, nor a name with a trailing slash.
        assert_eq!(t.errno(nr("creat"), &[d, 0o644]), Errno::EISDIR);
        assert_eq!(t.errno(nr("creat"), &[s.s(&t, "/new/"), 0o644]), Errno::EISDIR);
        assert!(!root.exists("new"));
        // A dangling symlink's target is created.
        assert!(t.value(nr("creat"), &[dangling, 0o644]).is_ok());
        assert!(root.0.join("nowhere").is_file());
        // The mode is a umode_t and only its permission bits count: a
        // regular file, whatever the type bits or the upper half say.
        let c = s.s(&t, "/c");
        assert!(t.value(nr("creat"), &[c, 1 << 32 | u64::from(S_IFDIR) | 0o640]).is_ok());
        assert_eq!(mode_of(&root, "c"), S_IFREG | 0o640);
    }

    #[test]
    fn chmod_and_chown() {
        let root = temp_root();
        std::os::unix::fs::symlink("nowhere", root.0.join("dangling")).unwrap();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (f, l, dangling) = (s.s(&t, "/f"), s.s(&t, "/l"), s.s(&t, "/dangling"));
        // chmod and fchmodat follow symlinks; only the permission bits of
        // the mode count.
        assert_eq!(t.errno(nr("chmod"), &[dangling, 0o644]), Errno::ENOENT);
        assert_eq!(t.value(nr("chmod"), &[l, 1 << 32 | u64::from(S_IFDIR) | 0o600]), Ok(0));
        assert_eq!(mode_of(&root, "f"), S_IFREG | 0o600);
        assert_eq!(t.errno(nr("fchmodat"), &[AT, dangling, 0o644]), Errno::ENOENT);
        assert_eq!(t.errno(nr("fchmodat"), &[AT, s.s(&t, ""), 0o644]), Errno::ENOENT);
        assert_eq!(t.value(nr("fchmodat"), &[AT, f, 1 << 32 | 0o640]), Ok(0));
        assert_eq!(mode_of(&root, "f"), S_IFREG | 0o640);
        // fchmodat has no flags argument: a fourth register is not read.
        assert_eq!(t.value(nr("fchmodat"), &[AT, f, 0o644, AT_SYMLINK_NOFOLLOW as u64]), Ok(0));
        assert_eq!(t.value(nr("fchmodat"), &[AT, f, 0o644, 0xffff]), Ok(0));
        assert_eq!(mode_of(&root, "f"), S_IFREG | 0o644);
        // chown follows symlinks, lchown does not; -1 changes nothing and
        // uid_t and gid_t are 32 bits (no privilege needed for these).
        let keep = u32::MAX as u64;
        assert_eq!(t.errno(nr("chown"), &[dangling, keep, keep]), Errno::ENOENT);
        assert_eq!(t.value(nr("lchown"), &[dangling, keep, keep]), Ok(0));
        assert_eq!(t.value(nr("chown"), &[f, keep, keep]), Ok(0));
        assert_eq!(t.value(nr("chown"), &[f, 1 << 32 | keep, 1 << 32 | keep]), Ok(0));
        assert_eq!(t.value(nr("lchown"), &[l, 1 << 32 | keep, keep]), Ok(0));
        assert_eq!(t.errno(nr("lchown"), &[s.s(&t, "/l/"), keep, keep]), Errno::ENOTDIR);
    }

    #[test]
    fn mkdirat_and_mknodat() {
        let root = temp_root();
        std::os::unix::fs::symlink("nowhere", root.0.join("dangling")).unwrap();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (f, dangling, newp) = (s.s(&t, "/f"), s.s(&t, "/dangling"), s.s(&t, "/new"));
        // mkdirat: any existing name (a dangling symlink too), and a
        // symlink to a file is no directory to make a name in.
        assert_eq!(t.errno(nr("mkdirat"), &[AT, f, 0o755]), Errno::EEXIST);
        assert_eq!(t.errno(nr("mkdirat"), &[AT, dangling, 0o755]), Errno::EEXIST);
        assert_eq!(t.errno(nr("mkdirat"), &[AT, s.s(&t, "/d/"), 0o755]), Errno::EEXIST);
        assert_eq!(t.errno(nr("mkdirat"), &[AT, s.s(&t, "/l/x"), 0o755]), Errno::ENOTDIR);
        assert!(!root.exists("nowhere"));
        // Only the permission bits of the mode count.
        assert_eq!(t.value(nr("mkdirat"), &[AT, newp, 1 << 32 | u64::from(S_IFREG) | 0o750]), Ok(0));
        assert_eq!(mode_of(&root, "new"), S_IFDIR | 0o750);
        // mknodat: no directories (EPERM) nor symlinks (EINVAL), which is
        // decided before the path or the descriptor is looked at.
        let (dir, link) = (u64::from(S_IFDIR | 0o755), u64::from(S_IFLNK | 0o777));
        let m = s.s(&t, "/m");
        assert_eq!(t.errno(nr("mknodat"), &[AT, m, dir, 0]), Errno::EPERM);
        assert_eq!(t.errno(nr("mknodat"), &[AT, f, dir, 0]), Errno::EPERM);
        assert_eq!(t.errno(nr("mknodat"), &[NO_FD, m, dir, 0]), Errno::EPERM);
        assert_eq!(t.errno(nr("mknodat"), &[AT, t.bad_ptr(), dir, 0]), Errno::EPERM);
        assert_eq!(t.errno(nr("mknod"), &[t.bad_ptr(), dir, 0]), Errno::EPERM);
        assert_eq!(t.errno(nr("mknodat"), &[NO_FD, m, link, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mknod"), &[t.bad_ptr(), link, 0]), Errno::EINVAL);
        assert!(!root.exists("m"));
        // The device number is an unsigned int: the upper half of its
        // register is not looked at (1:3 here). A host file system without
        // user xattrs holds no device nodes (EPERM).
        let (node, buf) = (s.s(&t, "/node"), t.scratch + 0x8000);
        match t.value(nr("mknodat"), &[AT, node, u64::from(S_IFCHR | 0o600), 1 << 32 | 0x103]) {
            Err(Errno::EPERM) => {}
            r => {
                assert_eq!(r, Ok(0));
                assert_eq!(t.value(nr("stat"), &[node, buf]), Ok(0));
                let st: crate::abi::types::Stat = t.m.mem.user.read_val(buf).unwrap();
                assert_eq!(st.st_rdev, 0x103);
            }
        }
        // Existing names, a dangling symlink too.
        assert_eq!(t.errno(nr("mknodat"), &[AT, f, REGULAR, 0]), Errno::EEXIST);
        assert_eq!(t.errno(nr("mknodat"), &[AT, dangling, u64::from(S_IFIFO | 0o644), 0]), Errno::EEXIST);
    }

    #[test]
    fn renameat() {
        let root = temp_root();
        let mut t = root.machine();
        let mut s = Strings::from(0x100);
        let (f, d, full, newp) = (s.s(&t, "/f"), s.s(&t, "/d"), s.s(&t, "/full"), s.s(&t, "/new"));
        assert_eq!(t.errno(nr("renameat"), &[AT, d, AT, s.s(&t, "/d/sub")]), Errno::EINVAL);
        assert_eq!(t.errno(nr("renameat"), &[AT, f, AT, d]), Errno::EISDIR);
        assert_eq!(t.errno(nr("renameat"), &[AT, d, AT, f]), Errno::ENOTDIR);
        assert_eq!(t.errno(nr("renameat"), &[AT, d, AT, full]), Errno::ENOTEMPTY);
        assert_eq!(t.errno(nr("renameat"), &[AT, s.s(&t, "."), AT, newp]), Errno::EBUSY);
        assert_eq!(t.errno(nr("renameat"), &[AT, f, AT, s.s(&t, "/new/")]), Errno::ENOTDIR);
        assert!(!root.exists("new"));
        // renameat has no flags: a fifth register is not read.
        assert_eq!(t.value(nr("renameat"), &[AT, f, AT, newp, 8]), Ok(0));
        assert!(root.exists("new") && !root.exists("f"));
    }

    #[test]
    fn umask_keeps_permission_bits() {
        let mut t = TestMachine::new();
        assert_eq!(t.value(nr("umask"), &[1 << 32 | 0o7777]), Ok(0o22));
        assert_eq!(t.value(nr("umask"), &[0o22]), Ok(0o777));
    }
}
