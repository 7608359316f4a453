//! Linux x86-64 constants nommu uses in more than one place, defined once.
//! (Constants only one handler needs stay next to it.)

/// The page size of x86-64.
pub const PAGE_SIZE: u64 = 4096;
/// The top of user space with 4-level paging: the highest address a
/// mapping may end at.
pub const TASK_SIZE: u64 = (1 << 47) - PAGE_SIZE;
/// The longest path, with its NUL.
pub const PATH_MAX: usize = 4096;
/// The longest file name (one path component).
pub const NAME_MAX: usize = 255;

/// The most supplementary groups a process may have.
pub const NGROUPS_MAX: u64 = 65536;
