//! Linux x86-64 constants that belong to no one header: the page size,
//! the top of user space, and the limits of paths and groups.

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
