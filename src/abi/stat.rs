//! File types and permission bits of `st_mode` (<linux/stat.h>, and the
//! kernel's own groupings of them from include/linux/stat.h), statx's mask
//! bits and utimensat's special times.
//!
//! Modes are `u32`, as `st_mode` is.

/// The file type bits, and the types.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;

/// Permission bits.
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;
pub const S_IRWXU: u32 = 0o700;
pub const S_IRUSR: u32 = 0o400;
pub const S_IWUSR: u32 = 0o200;
pub const S_IXUSR: u32 = 0o100;
pub const S_IRWXG: u32 = 0o070;
pub const S_IRGRP: u32 = 0o040;
pub const S_IWGRP: u32 = 0o020;
pub const S_IXGRP: u32 = 0o010;
pub const S_IRWXO: u32 = 0o007;
pub const S_IROTH: u32 = 0o004;
pub const S_IWOTH: u32 = 0o002;
pub const S_IXOTH: u32 = 0o001;

/// The kernel's groupings: what a umask keeps (S_IRWXUGO), what chmod
/// sets (S_IALLUGO), and read/execute for everyone (generated files).
pub const S_IRWXUGO: u32 = S_IRWXU | S_IRWXG | S_IRWXO;
pub const S_IALLUGO: u32 = S_ISUID | S_ISGID | S_ISVTX | S_IRWXUGO;
pub const S_IRUGO: u32 = S_IRUSR | S_IRGRP | S_IROTH;
pub const S_IXUGO: u32 = S_IXUSR | S_IXGRP | S_IXOTH;

/// statx: the fields of `struct stat`, and the mask bit reserved for an
/// extension of the structure (asking for it is EINVAL).
pub const STATX_BASIC_STATS: u32 = 0x7ff;
pub const STATX__RESERVED: u32 = 0x8000_0000;

/// utimensat: a `tv_nsec` that means "now" or "leave as it is".
pub const UTIME_NOW: i64 = (1 << 30) - 1;
pub const UTIME_OMIT: i64 = (1 << 30) - 2;
