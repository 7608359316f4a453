//! Unit tests of `syscall::file`: argument checks through the table
//! (`syscall::testkit`) and the pure helpers.

use super::*;
use crate::syscall::args::SyscallArg;

#[test]
fn reads_and_writes_are_capped_at_max_rw_count() {
    assert_eq!(rw_count(0), 0);
    assert_eq!(rw_count(4096), 4096);
    assert_eq!(rw_count(MAX_RW_COUNT + 1), MAX_RW_COUNT);
    // size_t: the whole register.
    assert_eq!(rw_count(usize::from_reg(u64::MAX)), MAX_RW_COUNT);
}

#[test]
fn negative_offsets_are_einval() {
    assert_eq!(valid_offset(0), Ok(0));
    assert_eq!(valid_offset(i64::MAX), Ok(i64::MAX));
    assert_eq!(valid_offset(-1), Err(Errno::EINVAL));
    // loff_t: the whole register.
    assert_eq!(valid_offset(i64::from_reg(0xffff_ffff_0000_0000)), Err(Errno::EINVAL));
    assert_eq!(valid_offset(i64::from_reg(0x1_0000_0000)), Ok(0x1_0000_0000));
}

#[test]
fn iovec_counts_are_0_to_uio_maxiov() {
    assert_eq!(iovec_count(0), Ok(0));
    assert_eq!(iovec_count(UIO_MAXIOV), Ok(1024));
    assert_eq!(iovec_count(UIO_MAXIOV + 1), Err(Errno::EINVAL));
    assert_eq!(iovec_count(-1), Err(Errno::EINVAL));
    // An int: the upper half of its register is ignored.
    assert_eq!(iovec_count(i32::from_reg(0xffff_ffff_0000_0002)), Ok(2));
    assert_eq!(iovec_count(i32::from_reg(0xffff_ffff)), Err(Errno::EINVAL));
}

#[test]
fn dup3_takes_only_cloexec() {
    assert_eq!(dup3_cloexec(IntFlags(0)), Ok(false));
    assert_eq!(dup3_cloexec(IntFlags(O_CLOEXEC as u32)), Ok(true));
    assert_eq!(dup3_cloexec(IntFlags(O_NONBLOCK as u32)), Err(Errno::EINVAL));
    assert_eq!(dup3_cloexec(IntFlags(0x40)), Err(Errno::EINVAL));
    // An int: the upper half of the register is not looked at.
    assert_eq!(dup3_cloexec(IntFlags::from_reg(1 << 32)), Ok(false));
    assert_eq!(dup3_cloexec(IntFlags::from_reg(1 << 32 | O_CLOEXEC as u64)), Ok(true));
}

#[test]
fn pipe2_takes_cloexec_nonblock_direct() {
    assert_eq!(pipe2_flags(OpenFlags(0)), Ok((0, false)));
    assert_eq!(pipe2_flags(OpenFlags(O_CLOEXEC as u32)), Ok((0, true)));
    let both = O_NONBLOCK | O_DIRECT;
    assert_eq!(pipe2_flags(OpenFlags((O_NONBLOCK | O_DIRECT | O_CLOEXEC) as u32)), Ok((both, true)));
    assert_eq!(pipe2_flags(OpenFlags(O_APPEND as u32)), Err(Errno::EINVAL));
    // flags is an int: the upper half of its register is ignored, as on
    // Linux.
    assert_eq!(pipe2_flags(OpenFlags::from_reg((1 << 32) | O_CLOEXEC as u64)), Ok((0, true)));
}

// Argument errors through the table, as a guest meets them (what Linux
// answers was checked natively).
mod args {
    use crate::abi::fcntl::{
        FD_CLOEXEC, F_DUPFD, F_GETFD, F_GETLK, F_SETLK, LOCK_SH, O_APPEND, O_CLOEXEC, O_DIRECTORY, O_NONBLOCK, O_PATH,
        O_RDONLY, O_RDWR, SEEK_SET,
    };
    use crate::abi::ioctl::{FIONBIO, FIONREAD, TCGETS};
    use crate::abi::names::number as nr;
    use crate::errno::Errno;
    use crate::syscall::testkit::{TempRoot, TestMachine, NEG, NO_FD};

    /// A valid descriptor `fd` with junk in the upper half of its
    /// register (an `unsigned int` in Linux: ignored).
    fn high(fd: u64) -> u64 {
        0xdead_0000_0000_0000 | fd
    }

    /// A scratch directory for the machine's root, removed at the end.
    /// The files these tests work on, in a fresh root.
    fn temp_root() -> TempRoot {
        let root = TempRoot::new("file");
        let dir = &root.0;
        std::fs::write(dir.join("f"), b"hello").unwrap();
        std::fs::write(dir.join("g"), b"").unwrap();
        root
    }

    fn open(t: &mut TestMachine, path: &str, flags: i32) -> u64 {
        let p = t.cstr(0x8000, path);
        t.value(nr("open"), &[p, flags as u64, 0o644]).expect("open")
    }

    /// A pipe holding one byte: (read end, write end).
    fn pipe(t: &mut TestMachine) -> (u64, u64) {
        let (r, w) = t.pipe(0x9000);
        let byte = t.put(0x9010, b"x");
        assert_eq!(t.value(nr("write"), &[w, byte, 1]), Ok(1));
        (r, w)
    }

    #[test]
    fn read_and_write() {
        let root = temp_root();
        let mut t = root.machine();
        let (bad, buf) = (t.bad_ptr(), t.scratch);
        let (r, w) = pipe(&mut t);
        let dir = open(&mut t, "/", O_RDONLY | O_DIRECTORY);
        for fd in [NEG, NO_FD] {
            assert_eq!(t.errno(nr("read"), &[fd, buf, 1]), Errno::EBADF);
            assert_eq!(t.errno(nr("write"), &[fd, buf, 1]), Errno::EBADF);
        }
        assert_eq!(t.errno(nr("read"), &[w, buf, 1]), Errno::EBADF);
        assert_eq!(t.errno(nr("write"), &[r, buf, 1]), Errno::EBADF);
        assert_eq!(t.errno(nr("read"), &[dir, buf, 1]), Errno::EISDIR);
        assert_eq!(t.errno(nr("write"), &[w, bad, 1]), Errno::EFAULT);
        assert_eq!(t.errno(nr("read"), &[r, bad, 1]), Errno::EFAULT);
        // What the file is decides before the buffer is looked at.
        assert_eq!(t.errno(nr("read"), &[dir, bad, 1]), Errno::EISDIR);
        assert_eq!(t.errno(nr("read"), &[dir, buf, 0]), Errno::EISDIR);
        assert_eq!(t.errno(nr("read"), &[w, bad, 1]), Errno::EBADF);
        assert_eq!(t.errno(nr("write"), &[r, bad, 1]), Errno::EBADF);
    }

    #[test]
    fn positional_reads_and_writes() {
        let root = temp_root();
        let mut t = root.machine();
        let (bad, buf) = (t.bad_ptr(), t.scratch);
        let (r, w) = pipe(&mut t);
        let f = open(&mut t, "/f", O_RDONLY);
        let dir = open(&mut t, "/", O_RDONLY | O_DIRECTORY);
        let neg = -1i64 as u64;
        assert_eq!(t.errno(nr("pread64"), &[NO_FD, buf, 1, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("pwrite64"), &[NEG, buf, 1, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("pread64"), &[f, buf, 1, neg]), Errno::EINVAL);
        assert_eq!(t.errno(nr("pwrite64"), &[w, buf, 1, neg]), Errno::EINVAL);
        assert_eq!(t.errno(nr("pread64"), &[r, buf, 1, 0]), Errno::ESPIPE);
        assert_eq!(t.errno(nr("pwrite64"), &[w, buf, 1, 0]), Errno::ESPIPE);
        assert_eq!(t.errno(nr("pread64"), &[f, bad, 1, 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("pread64"), &[dir, buf, 1, 0]), Errno::EISDIR);
        assert_eq!(t.errno(nr("pwrite64"), &[f, buf, 1, 0]), Errno::EBADF);
        // A pipe cannot seek, a directory cannot be read and a read-only
        // file cannot be written, whatever the buffer; a negative offset
        // is refused first.
        assert_eq!(t.errno(nr("pread64"), &[r, bad, 1, 0]), Errno::ESPIPE);
        assert_eq!(t.errno(nr("pwrite64"), &[w, bad, 1, 0]), Errno::ESPIPE);
        assert_eq!(t.errno(nr("pread64"), &[r, bad, 1, neg]), Errno::EINVAL);
        assert_eq!(t.errno(nr("pread64"), &[dir, bad, 1, 0]), Errno::EISDIR);
        assert_eq!(t.errno(nr("pread64"), &[w, bad, 1, 0]), Errno::ESPIPE);
        assert_eq!(t.errno(nr("pwrite64"), &[f, bad, 1, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("pread64"), &[f, bad, 1, neg]), Errno::EINVAL);
    }

    #[test]
    fn vectored_io() {
        let root = temp_root();
        let mut t = root.machine();
        let bad = t.bad_ptr();
        let (r, w) = pipe(&mut t);
        let f = open(&mut t, "/f", O_RDONLY);
        let data = t.scratch;
        let mut iov = [0u8; 16];
        iov[..8].copy_from_slice(&data.to_le_bytes());
        iov[8..].copy_from_slice(&u64::MAX.to_le_bytes());
        let negative_len = t.put(0x100, &iov);
        iov[..8].copy_from_slice(&bad.to_le_bytes());
        iov[8..].copy_from_slice(&4u64.to_le_bytes());
        let bad_base = t.put(0x200, &iov);
        for nr in [19, 20, 295, 296] {
            assert_eq!(t.errno(nr, &[NO_FD, bad_base, 1, 0]), Errno::EBADF, "{nr}");
            assert_eq!(t.errno(nr, &[f, bad_base, -1i64 as u64, 0]), Errno::EINVAL, "{nr}");
            assert_eq!(t.errno(nr, &[f, bad_base, 1025, 0]), Errno::EINVAL, "{nr}");
            assert_eq!(t.errno(nr, &[f, bad, 1, 0]), Errno::EFAULT, "{nr}");
            assert_eq!(t.errno(nr, &[f, negative_len, 1, 0]), Errno::EINVAL, "{nr}");
        }
        // The count is truncated to 32 bits, as by Linux: 0 here.
        assert_eq!(t.value(nr("readv"), &[f, bad, 1 << 32]), Ok(0));
        assert_eq!(t.errno(nr("readv"), &[r, bad_base, 1]), Errno::EFAULT);
        assert_eq!(t.errno(nr("writev"), &[w, bad_base, 1]), Errno::EFAULT);
        // p*v: a negative offset, and pipes cannot seek.
        assert_eq!(t.errno(nr("preadv"), &[f, bad_base, 1, -1i64 as u64]), Errno::EINVAL);
        assert_eq!(t.errno(nr("pwritev"), &[w, bad_base, 1, -1i64 as u64]), Errno::EINVAL);
        iov[..8].copy_from_slice(&data.to_le_bytes());
        let good = t.put(0x300, &iov);
        assert_eq!(t.errno(nr("preadv"), &[r, good, 1, 0]), Errno::ESPIPE);
        assert_eq!(t.errno(nr("pwritev"), &[w, good, 1, 0]), Errno::ESPIPE);
    }

    #[test]
    fn close_fstat_lseek() {
        let root = temp_root();
        let mut t = root.machine();
        let (bad, buf) = (t.bad_ptr(), t.scratch);
        let (r, _w) = pipe(&mut t);
        let f = open(&mut t, "/f", O_RDONLY);
        let seek_set = SEEK_SET as u64;
        for fd in [NEG, NO_FD] {
            assert_eq!(t.errno(nr("close"), &[fd]), Errno::EBADF);
            assert_eq!(t.errno(nr("fstat"), &[fd, buf]), Errno::EBADF);
            assert_eq!(t.errno(nr("lseek"), &[fd, 0, seek_set]), Errno::EBADF);
        }
        assert_eq!(t.errno(nr("fstat"), &[f, bad]), Errno::EFAULT);
        assert_eq!(t.value(nr("fstat"), &[high(f), buf]), Ok(0));
        assert_eq!(t.errno(nr("lseek"), &[r, 0, seek_set]), Errno::ESPIPE);
        assert_eq!(t.errno(nr("lseek"), &[f, 0, 5]), Errno::EINVAL);
        assert_eq!(t.errno(nr("lseek"), &[f, -1i64 as u64, seek_set]), Errno::EINVAL);
        // whence is an unsigned int: the upper half is ignored.
        assert_eq!(t.value(nr("lseek"), &[f, 2, high(seek_set)]), Ok(2));
        // A generated file: the same answers.
        let stat = open(&mut t, "/proc/self/stat", O_RDONLY);
        assert_eq!(t.errno(nr("lseek"), &[stat, 0, 5]), Errno::EINVAL);
        assert_eq!(t.errno(nr("lseek"), &[stat, -1i64 as u64, seek_set]), Errno::EINVAL);
        assert_eq!(t.value(nr("close"), &[high(f)]), Ok(0));
        assert_eq!(t.errno(nr("close"), &[f]), Errno::EBADF);
    }

    #[test]
    fn ioctl() {
        let (tcgets, fionread, fionbio) = (u64::from(TCGETS), u64::from(FIONREAD), u64::from(FIONBIO));
        let root = temp_root();
        let mut t = root.machine();
        let (bad, buf) = (t.bad_ptr(), t.scratch);
        let (r, _w) = pipe(&mut t);
        let f = open(&mut t, "/f", O_RDONLY);
        assert_eq!(t.errno(nr("ioctl"), &[NEG, tcgets, buf]), Errno::EBADF);
        assert_eq!(t.errno(nr("ioctl"), &[f, tcgets, buf]), Errno::ENOTTY);
        assert_eq!(t.errno(nr("ioctl"), &[r, tcgets, buf]), Errno::ENOTTY);
        assert_eq!(t.errno(nr("ioctl"), &[r, fionbio, bad]), Errno::EFAULT);
        assert_eq!(t.errno(nr("ioctl"), &[r, fionread, bad]), Errno::EFAULT);
        // The request is an unsigned int.
        assert_eq!(t.errno(nr("ioctl"), &[r, high(fionread), bad]), Errno::EFAULT);
    }

    #[test]
    fn pipes() {
        let mut t = TestMachine::new();
        let bad = t.bad_ptr();
        assert_eq!(t.errno(nr("pipe"), &[bad]), Errno::EFAULT);
        assert_eq!(t.errno(nr("pipe2"), &[bad, 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("pipe2"), &[t.scratch, O_APPEND as u64]), Errno::EINVAL);
        // The descriptors of a pipe that could not be returned are gone.
        assert_eq!(t.errno(nr("fstat"), &[3, t.scratch]), Errno::EBADF);
    }

    #[test]
    fn dup_family() {
        let root = temp_root();
        let mut t = root.machine();
        let f = open(&mut t, "/f", O_RDONLY);
        assert_eq!(t.errno(nr("dup"), &[NEG]), Errno::EBADF);
        assert_eq!(t.errno(nr("dup"), &[NO_FD]), Errno::EBADF);
        assert_eq!(t.errno(nr("dup2"), &[NO_FD, 10]), Errno::EBADF);
        assert_eq!(t.errno(nr("dup2"), &[NO_FD, NO_FD]), Errno::EBADF);
        assert_eq!(t.errno(nr("dup2"), &[f, NEG]), Errno::EBADF);
        assert_eq!(t.errno(nr("dup3"), &[NO_FD, 10, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("dup3"), &[f, NEG, 0]), Errno::EBADF);
        // The same descriptor twice is EINVAL before it is looked at.
        assert_eq!(t.errno(nr("dup3"), &[f, f, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("dup3"), &[NO_FD, NO_FD, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("dup3"), &[f, 10, O_NONBLOCK as u64]), Errno::EINVAL);
        assert_eq!(t.value(nr("dup"), &[high(f)]), Ok(f + 1));
        // dup3's flags are an int: the upper half is ignored.
        assert_eq!(t.value(nr("dup3"), &[f, 20, 1 << 32]), Ok(20));
        assert_eq!(t.value(nr("dup3"), &[f, 21, high(O_CLOEXEC as u64)]), Ok(21));
        assert_eq!(t.value(nr("fcntl"), &[21, F_GETFD as u64]), Ok(FD_CLOEXEC as u64));
        assert_eq!(t.value(nr("fcntl"), &[20, F_GETFD as u64]), Ok(0));
    }

    #[test]
    fn fcntl() {
        let (f_dupfd, f_getfd, f_getlk, f_setlk) = (F_DUPFD as u64, F_GETFD as u64, F_GETLK as u64, F_SETLK as u64);
        let root = temp_root();
        let mut t = root.machine();
        let bad = t.bad_ptr();
        let f = open(&mut t, "/f", O_RDONLY);
        assert_eq!(t.errno(nr("fcntl"), &[NEG, f_getfd, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("fcntl"), &[NO_FD, f_getfd, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("fcntl"), &[NO_FD, 9999, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("fcntl"), &[f, 9999, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("fcntl"), &[f, f_dupfd, -1i64 as u64]), Errno::EINVAL);
        assert_eq!(t.errno(nr("fcntl"), &[f, f_dupfd, 1 << 30]), Errno::EINVAL);
        assert_eq!(t.errno(nr("fcntl"), &[f, f_setlk, bad]), Errno::EFAULT);
        assert_eq!(t.errno(nr("fcntl"), &[f, f_getlk, bad]), Errno::EFAULT);
        // cmd is an unsigned int: the upper half is ignored.
        assert_eq!(t.value(nr("fcntl"), &[f, high(f_getfd), 0]), Ok(0));
    }

    #[test]
    fn sync_truncate_allocate_lock() {
        let root = temp_root();
        let mut t = root.machine();
        let (r, w) = pipe(&mut t);
        let f = open(&mut t, "/f", O_RDONLY);
        let g = open(&mut t, "/g", O_RDWR);
        for nr in [74, 75] {
            assert_eq!(t.errno(nr, &[NEG]), Errno::EBADF);
            assert_eq!(t.errno(nr, &[r]), Errno::EINVAL);
        }
        assert_eq!(t.errno(nr("ftruncate"), &[NO_FD, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("ftruncate"), &[g, -1i64 as u64]), Errno::EINVAL);
        assert_eq!(t.errno(nr("ftruncate"), &[f, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("ftruncate"), &[w, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("fallocate"), &[NO_FD, 0, 0, 1]), Errno::EBADF);
        assert_eq!(t.errno(nr("fallocate"), &[g, 0, 0, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("fallocate"), &[g, 0, -1i64 as u64, 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("fallocate"), &[f, 0, 0, 1]), Errno::EBADF);
        assert_eq!(t.errno(nr("fallocate"), &[w, 0, 0, 1]), Errno::ESPIPE);
        assert_eq!(t.errno(nr("flock"), &[NO_FD, LOCK_SH as u64]), Errno::EBADF);
        assert_eq!(t.errno(nr("flock"), &[f, 0]), Errno::EINVAL);
    }

    #[test]
    fn fsync_fdatasync_sync() {
        let root = temp_root();
        std::fs::create_dir(root.0.join("d")).unwrap();
        let mut t = root.machine();
        let (r, _w) = pipe(&mut t);
        let f = open(&mut t, "/f", O_RDONLY);
        let dir = open(&mut t, "/d", O_RDONLY | O_DIRECTORY);
        let path_only = open(&mut t, "/f", O_PATH);
        let null = open(&mut t, "/dev/null", O_RDONLY);
        let stat = open(&mut t, "/proc/self/stat", O_RDONLY);
        for nr in [nr("fsync"), nr("fdatasync")] {
            assert_eq!(t.errno(nr, &[NEG]), Errno::EBADF, "{nr}");
            assert_eq!(t.errno(nr, &[NO_FD]), Errno::EBADF, "{nr}");
            assert_eq!(t.errno(nr, &[path_only]), Errno::EBADF, "{nr}");
            // What has nothing to write back: pipes, devices, generated files.
            assert_eq!(t.errno(nr, &[r]), Errno::EINVAL, "{nr}");
            assert_eq!(t.errno(nr, &[null]), Errno::EINVAL, "{nr}");
            assert_eq!(t.errno(nr, &[stat]), Errno::EINVAL, "{nr}");
            // Files opened read-only and directories can be synced; the
            // descriptor is an unsigned int.
            assert_eq!(t.value(nr, &[f]), Ok(0), "{nr}");
            assert_eq!(t.value(nr, &[high(f)]), Ok(0), "{nr}");
            assert_eq!(t.value(nr, &[dir]), Ok(0), "{nr}");
        }
        // sync takes no arguments and cannot fail.
        assert_eq!(t.value(nr("sync"), &[]), Ok(0));
        assert_eq!(t.value(nr("sync"), &[NEG, NEG, NEG]), Ok(0));
    }

    #[test]
    fn sendfile_and_copy_file_range() {
        let root = temp_root();
        let mut t = root.machine();
        let bad = t.bad_ptr();
        let (_r, w) = pipe(&mut t);
        let f = open(&mut t, "/f", O_RDONLY);
        let g = open(&mut t, "/g", O_RDWR);
        assert_eq!(t.errno(nr("sendfile"), &[NO_FD, f, 0, 1]), Errno::EBADF);
        assert_eq!(t.errno(nr("sendfile"), &[w, NEG, 0, 1]), Errno::EBADF);
        assert_eq!(t.errno(nr("sendfile"), &[w, f, bad, 1]), Errno::EFAULT);
        assert_eq!(t.errno(nr("sendfile"), &[f, f, 0, 1]), Errno::EBADF);
        assert_eq!(t.errno(nr("copy_file_range"), &[NO_FD, 0, g, 0, 1, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("copy_file_range"), &[f, 0, NEG, 0, 1, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("copy_file_range"), &[f, 0, g, 0, 1, 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("copy_file_range"), &[f, bad, g, 0, 1, 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("copy_file_range"), &[f, 0, g, bad, 1, 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("copy_file_range"), &[f, 0, f, 0, 1, 0]), Errno::EBADF);
        // flags is an unsigned int: the upper half is ignored.
        assert_eq!(t.value(nr("copy_file_range"), &[f, 0, g, 0, 1, 1 << 32]), Ok(1));
    }

    #[test]
    fn directories_and_metadata() {
        let root = temp_root();
        let mut t = root.machine();
        let (bad, buf) = (t.bad_ptr(), t.scratch);
        let f = open(&mut t, "/f", O_RDONLY);
        let dir = open(&mut t, "/", O_RDONLY | O_DIRECTORY);
        assert_eq!(t.errno(nr("fchdir"), &[NO_FD]), Errno::EBADF);
        assert_eq!(t.errno(nr("fchdir"), &[f]), Errno::ENOTDIR);
        assert_eq!(t.errno(nr("fchmod"), &[NO_FD, 0o644]), Errno::EBADF);
        assert_eq!(t.errno(nr("fchown"), &[NEG, 0, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("fstatfs"), &[NO_FD, buf]), Errno::EBADF);
        assert_eq!(t.errno(nr("fstatfs"), &[f, bad]), Errno::EFAULT);
        assert_eq!(t.errno(nr("getdents64"), &[NO_FD, buf, 4096]), Errno::EBADF);
        assert_eq!(t.errno(nr("getdents64"), &[f, buf, 4096]), Errno::ENOTDIR);
        assert_eq!(t.errno(nr("getdents64"), &[dir, buf, 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("getdents64"), &[dir, bad, 4096]), Errno::EFAULT);
        // The count is an unsigned int: the upper half is ignored.
        assert!(t.value(nr("getdents64"), &[dir, buf, high(4096)]).unwrap() > 0);
        // A generated directory: too small a buffer is EINVAL too.
        let proc_dir = open(&mut t, "/proc", O_RDONLY | O_DIRECTORY);
        assert_eq!(t.errno(nr("getdents64"), &[proc_dir, buf, 1]), Errno::EINVAL);
    }
}
