//! Linux x86-64 constants nommu uses in more than one place, defined once.
//! (Constants only one handler needs stay next to it.)

/// The page size of x86-64.
pub const PAGE_SIZE: u64 = 4096;
/// The top of user space with 4-level paging: the highest address a
/// mapping may end at.
pub const TASK_SIZE: u64 = (1 << 47) - PAGE_SIZE;
/// The longest path, with its NUL.
pub const PATH_MAX: usize = 4096;
/// The most supplementary groups a process may have.
pub const NGROUPS_MAX: u64 = 65536;

/// `open` flags.
pub const O_CREAT: i32 = 0o100;
pub const O_CLOEXEC: i32 = 0o2000000;
pub const O_PATH: i32 = 0o10000000;
pub const O_TMPFILE: i32 = 0o20200000;

/// `*at` calls: the working directory as dirfd, and their flags.
pub const AT_FDCWD: i32 = -100;
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_EMPTY_PATH: u32 = 0x1000;
