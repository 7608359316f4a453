//! Unit tests of `syscall::mem`: argument checks through the table
//! (`syscall::testkit`) and the pure helpers.

use super::advice::{madvise_behavior_valid, msync_flags_valid};
use super::*;
use crate::abi::mman::{
    MADV_DONTNEED, MLOCK_ONFAULT, MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, MS_ASYNC, MS_INVALIDATE, MS_SYNC,
};
use crate::syscall::arg_i32;
use crate::syscall::args::SyscallArg;

#[test]
fn mprotect_sees_all_64_bits_of_prot() {
    assert_eq!(ProtLong::from_reg(0x1_0000_0003), ProtLong(0x1_0000_0003));
    assert_eq!(Prot::from_reg(0x1_0000_0003), Prot(3));
}

#[test]
fn msync_flags() {
    assert!(msync_flags_valid(0));
    assert!(msync_flags_valid(MS_SYNC | MS_INVALIDATE));
    assert!(msync_flags_valid(MS_ASYNC | MS_INVALIDATE));
    assert!(!msync_flags_valid(MS_ASYNC | MS_SYNC));
    assert!(!msync_flags_valid(8));
    assert!(!msync_flags_valid(-1));
    // An int: the upper half of the register is not looked at.
    assert!(msync_flags_valid(arg_i32(0x1_0000_0000 | 4)));
}

#[test]
fn madvise_advice() {
    for ok in [0, 4, 8, 25, 102, 103] {
        assert!(madvise_behavior_valid(ok), "{ok}");
    }
    for bad in [-1, 5, 7, 26, 100, 101, 104, 1000] {
        assert!(!madvise_behavior_valid(bad), "{bad}");
    }
}

#[test]
fn munmap_checks() {
    assert_eq!(munmap_range(0x1000, 1), Ok(0x2000));
    assert_eq!(munmap_range(0x1000, 0x2000), Ok(0x3000));
    assert_eq!(munmap_range(0x1000, 0), Err(Errno::EINVAL));
    assert_eq!(munmap_range(0x1001, 0x1000), Err(Errno::EINVAL));
    assert_eq!(munmap_range(TASK_SIZE, 0x1000), Err(Errno::EINVAL));
    assert_eq!(munmap_range(TASK_SIZE - 0x1000, 0x1000), Ok(TASK_SIZE));
    assert_eq!(munmap_range(TASK_SIZE - 0x1000, 0x1001), Err(Errno::EINVAL));
    assert_eq!(munmap_range(0x1000, u64::MAX), Err(Errno::EINVAL));
}

#[test]
fn overlaps() {
    assert!(overlap(0x1000, 0x2000, 0x2000, 0x1000));
    assert!(!overlap(0x1000, 0x1000, 0x2000, 0x1000));
    assert!(overlap(0xffff_ffff_ffff_f000, u64::MAX, 0x1000, u64::MAX));
}

// Argument errors through the table, as a guest meets them (what Linux
// answers was checked natively).
#[allow(clippy::arithmetic_side_effects)]
mod args {
    use super::super::*;
    use super::*;
    use crate::abi::fcntl::{O_DIRECTORY, O_PATH, O_RDONLY, O_WRONLY};
    use crate::abi::mman::PROT_NONE;
    use crate::abi::names::number as nr;
    use crate::mm::TASK_SIZE;
    use crate::syscall::testkit::{TempRoot, TestMachine, NEG};

    const PROT_RW: u64 = PROT_READ | PROT_WRITE;
    /// An address no mapping is at.
    const UNMAPPED: u64 = 0x10000;

    /// A fresh private anonymous mapping of two pages.
    fn map(t: &mut TestMachine) -> u64 {
        t.value(nr("mmap"), &[0, 8192, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS, NEG, 0]).expect("mmap")
    }

    /// The files these tests work on, in a fresh root.
    fn temp_root() -> TempRoot {
        let root = TempRoot::new("mem");
        let dir = &root.0;
        std::fs::write(dir.join("f"), [b'x'; 100]).unwrap();
        root
    }

    #[test]
    fn mmap() {
        let root = temp_root();
        let mut t = TestMachine::with_root(root.0.to_str().unwrap());
        let f = t.cstr(0, "/f");
        let fd = t.value(nr("open"), &[f, 0, 0]).unwrap();
        let anon = MAP_PRIVATE | MAP_ANONYMOUS;
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, MAP_PRIVATE, fd, 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, MAP_PRIVATE, 999, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("mmap"), &[0, 0, PROT_RW, anon, NEG, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mmap"), &[0, u64::MAX, PROT_RW, anon, NEG, 0]), Errno::ENOMEM);
        assert_eq!(t.errno(nr("mmap"), &[0, 1 << 47, PROT_RW, anon, NEG, 0]), Errno::ENOMEM);
        assert_eq!(t.errno(nr("mmap"), &[UNMAPPED + 1, 4096, PROT_RW, anon | MAP_FIXED, NEG, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mmap"), &[TASK_SIZE - 4096, 8192, PROT_RW, anon | MAP_FIXED, NEG, 0]), Errno::ENOMEM);
        // A mapping type is needed.
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_RW, MAP_ANONYMOUS, NEG, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_RW, MAP_ANONYMOUS | MAP_TYPE, NEG, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, 0, fd, 0]), Errno::EINVAL);
        // A file range past the largest offset.
        assert_eq!(t.errno(nr("mmap"), &[0, 8192, PROT_READ, MAP_PRIVATE, fd, (1 << 63) - 4096]), Errno::EOVERFLOW);
        // An anonymous mapping does not look at fd; fd is an int.
        assert!(t.value(nr("mmap"), &[0, 4096, PROT_READ, anon, 999, 0]).is_ok());
        assert!(t.value(nr("mmap"), &[0, 4096, PROT_READ, MAP_PRIVATE, 1 << 32 | fd, 0]).is_ok());
    }

    #[test]
    fn mmap_of_what_cannot_be_mapped() {
        let root = temp_root();
        let mut t = TestMachine::with_root(root.0.to_str().unwrap());
        let (f, slash, stat) = (t.cstr(0, "/f"), t.cstr(0x10, "/"), t.cstr(0x20, "/proc/self/stat"));
        let dir = t.value(nr("open"), &[slash, O_RDONLY as u64 | O_DIRECTORY as u64, 0]).unwrap();
        let write_only = t.value(nr("open"), &[f, O_WRONLY as u64, 0]).unwrap();
        let read_only = t.value(nr("open"), &[f, O_RDONLY as u64, 0]).unwrap();
        let path_only = t.value(nr("open"), &[f, O_PATH as u64, 0]).unwrap();
        let generated = t.value(nr("open"), &[stat, O_RDONLY as u64, 0]).unwrap();
        let fds = t.scratch + 0x100;
        assert_eq!(t.value(nr("pipe"), &[fds]), Ok(0));
        let pipe = u64::from(t.m.mem.user.read_val::<u32>(fds).unwrap());
        let pipe_in = u64::from(t.m.mem.user.read_val::<u32>(fds + 4).unwrap());
        let (shared, private) = (MAP_SHARED, MAP_PRIVATE);
        // Directories, pipes and generated files have nothing to map.
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, private, dir, 0]), Errno::ENODEV);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_NONE, private, dir, 0]), Errno::ENODEV);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, private, pipe, 0]), Errno::ENODEV);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, private, generated, 0]), Errno::ENODEV);
        // A mapping reads the file: not through a write-only descriptor,
        // whatever the protection; a shared writable one needs write access.
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, private, write_only, 0]), Errno::EACCES);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, shared, write_only, 0]), Errno::EACCES);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_NONE, private, write_only, 0]), Errno::EACCES);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_WRITE, shared, write_only, 0]), Errno::EACCES);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_RW, shared, read_only, 0]), Errno::EACCES);
        assert!(t.value(nr("mmap"), &[0, 4096, PROT_RW, private, read_only, 0]).is_ok());
        // Those checks come before the file's kind is.
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, private, pipe_in, 0]), Errno::EACCES);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_RW, shared, pipe, 0]), Errno::EACCES);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_RW, shared, dir, 0]), Errno::EACCES);
        // An O_PATH descriptor is no file to map.
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, private, path_only, 0]), Errno::EBADF);
        // A length of 0 and an unaligned offset are refused first.
        assert_eq!(t.errno(nr("mmap"), &[0, 0, PROT_READ, private, dir, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mmap"), &[0, 0, PROT_READ, private, write_only, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mmap"), &[0, 4096, PROT_READ, private, pipe, 1]), Errno::EINVAL);
    }

    #[test]
    fn mprotect_munmap_brk() {
        let mut t = TestMachine::new();
        let a = map(&mut t);
        assert_eq!(t.errno(nr("mprotect"), &[a + 1, 4096, PROT_READ]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mprotect"), &[a + 1, 0, PROT_READ]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mprotect"), &[a, 4096, 0x10]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mprotect"), &[a, 4096, 1 << 32 | PROT_READ]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mprotect"), &[a, 4096, PROT_GROWSDOWN | PROT_GROWSUP | PROT_READ]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mprotect"), &[a, 4096, PROT_GROWSUP | PROT_READ]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mprotect"), &[a, 4096, PROT_GROWSDOWN | PROT_READ]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mprotect"), &[UNMAPPED, 4096, PROT_READ]), Errno::ENOMEM);
        assert_eq!(t.errno(nr("mprotect"), &[a, u64::MAX - 4095, PROT_READ]), Errno::ENOMEM);
        assert_eq!(t.value(nr("mprotect"), &[a, 0, PROT_READ]), Ok(0));
        assert_eq!(t.errno(nr("munmap"), &[a + 1, 4096]), Errno::EINVAL);
        assert_eq!(t.errno(nr("munmap"), &[a, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("munmap"), &[1 << 47, 4096]), Errno::EINVAL);
        assert_eq!(t.errno(nr("munmap"), &[TASK_SIZE - 4096, 8192]), Errno::EINVAL);
        assert_eq!(t.errno(nr("munmap"), &[a, u64::MAX]), Errno::EINVAL);
        // brk never fails: it answers where the break is.
        let now = t.value(nr("brk"), &[0]).unwrap();
        assert_eq!(t.value(nr("brk"), &[u64::MAX]), Ok(now));
    }

    #[test]
    fn mremap() {
        let mut t = TestMachine::new();
        let a = map(&mut t);
        let (maymove, fixed, dontunmap) = (MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP);
        assert_eq!(t.errno(nr("mremap"), &[a, 4096, 4096, 8, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mremap"), &[a + 1, 4096, 4096, 0, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mremap"), &[a, 4096, 0, 0, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mremap"), &[a, 4096, 1 << 47, maymove, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mremap"), &[UNMAPPED, 4096, 8192, 0, 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("mremap"), &[a, 4096, 4096, fixed, UNMAPPED]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mremap"), &[a, 4096, 8192, maymove | dontunmap, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mremap"), &[a, 8192, 8192, maymove | fixed, a + 4096]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mremap"), &[a, 4096, 4096, maymove | fixed, UNMAPPED + 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mremap"), &[a, 0, 8192, maymove, 0]), Errno::EINVAL);
    }

    #[test]
    fn msync_madvise() {
        let mut t = TestMachine::new();
        let a = map(&mut t);
        let sync = MS_SYNC as u64;
        assert_eq!(t.errno(nr("msync"), &[a + 1, 4096, sync]), Errno::EINVAL);
        assert_eq!(t.errno(nr("msync"), &[a, 4096, 8]), Errno::EINVAL);
        assert_eq!(t.errno(nr("msync"), &[a, 4096, (MS_ASYNC | MS_SYNC) as u64]), Errno::EINVAL);
        assert_eq!(t.errno(nr("msync"), &[UNMAPPED, 4096, sync]), Errno::ENOMEM);
        assert_eq!(t.errno(nr("msync"), &[UNMAPPED, 4096, MS_ASYNC as u64]), Errno::ENOMEM);
        assert_eq!(t.errno(nr("msync"), &[a, u64::MAX - 4095, sync]), Errno::ENOMEM);
        assert_eq!(t.value(nr("msync"), &[a, 0, sync]), Ok(0));
        // The flags are an int: the upper half is ignored.
        assert_eq!(t.value(nr("msync"), &[a, 4096, 1 << 32 | sync]), Ok(0));
        assert_eq!(t.errno(nr("madvise"), &[a, 4096, 5]), Errno::EINVAL);
        assert_eq!(t.errno(nr("madvise"), &[a, 4096, NEG]), Errno::EINVAL);
        assert_eq!(t.errno(nr("madvise"), &[a + 1, 4096, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("madvise"), &[UNMAPPED, 4096, 0]), Errno::ENOMEM);
        assert_eq!(t.errno(nr("madvise"), &[a, u64::MAX, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("madvise"), &[a, u64::MAX - a + 1, 0]), Errno::EINVAL);
        assert_eq!(t.value(nr("madvise"), &[a, 0, 0]), Ok(0));
        // The advice is an int.
        assert_eq!(t.value(nr("madvise"), &[a, 4096, 1 << 32 | MADV_DONTNEED as u64]), Ok(0));
    }

    #[test]
    fn memory_locks() {
        let mut t = TestMachine::new();
        let a = map(&mut t);
        // A RLIMIT_MEMLOCK of 1 MiB (the machine's own), so that the
        // answers do not depend on the host's limit or privileges.
        let limit = t.put(0x100, &[(1u64 << 20).to_le_bytes(), (1u64 << 20).to_le_bytes()].concat());
        assert_eq!(t.value(nr("prlimit64"), &[0, u64::from(crate::abi::resource::RLIMIT_MEMLOCK), limit, 0]), Ok(0));
        assert_eq!(t.errno(nr("mlock"), &[UNMAPPED, 4096]), Errno::ENOMEM);
        assert_eq!(t.value(nr("mlock"), &[UNMAPPED, 0]), Ok(0));
        assert_eq!(t.errno(nr("munlock"), &[UNMAPPED, 4096]), Errno::ENOMEM);
        assert_eq!(t.errno(nr("munlock"), &[a, u64::MAX - 4095]), Errno::EINVAL);
        assert_eq!(t.value(nr("munlock"), &[UNMAPPED, 0]), Ok(0));
        assert_eq!(t.errno(nr("mlock2"), &[a, 4096, 2]), Errno::EINVAL);
        assert_eq!(t.errno(nr("mlock2"), &[UNMAPPED, 4096, MLOCK_ONFAULT as u64]), Errno::ENOMEM);
        // The flags are an int: the upper half is ignored.
        assert_eq!(t.errno(nr("mlock2"), &[UNMAPPED, 4096, 1 << 32]), Errno::ENOMEM);
    }
}
