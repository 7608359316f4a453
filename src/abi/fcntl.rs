//! Open flags, fcntl commands and the flags of the `*at` calls, as
//! <asm-generic/fcntl.h> and <linux/fcntl.h> define them for x86-64, with
//! the neighbours that go with them: `RENAME_*` and `SEEK_*`
//! (<linux/fs.h>), `LOCK_*` (flock), `POSIX_FADV_*` (<linux/fadvise.h>),
//! `RESOLVE_*` (<linux/openat2.h>), access(2)'s modes, and the limits of
//! file I/O and path walks.
//!
//! Flags and commands are `int`s in C and `i32` here, which fits both the
//! guest's `int` arguments and the host calls nommu passes them on to;
//! handlers that check a whole register widen the mask they check with.
//! The few of another C type say so.

/// `open` flags. The access mode is the low two bits, not a flag.
pub const O_ACCMODE: i32 = 0o3;
pub const O_RDONLY: i32 = 0o0;
pub const O_WRONLY: i32 = 0o1;
pub const O_RDWR: i32 = 0o2;
pub const O_CREAT: i32 = 0o100;
pub const O_EXCL: i32 = 0o200;
pub const O_NOCTTY: i32 = 0o400;
pub const O_TRUNC: i32 = 0o1000;
pub const O_APPEND: i32 = 0o2000;
pub const O_NONBLOCK: i32 = 0o4000;
pub const O_DSYNC: i32 = 0o10000;
/// `O_ASYNC` in libcs.
pub const FASYNC: i32 = 0o20000;
pub const O_DIRECT: i32 = 0o40000;
pub const O_LARGEFILE: i32 = 0o100000;
pub const O_DIRECTORY: i32 = 0o200000;
pub const O_NOFOLLOW: i32 = 0o400000;
pub const O_NOATIME: i32 = 0o1000000;
pub const O_CLOEXEC: i32 = 0o2000000;
pub const O_PATH: i32 = 0o10000000;
/// Includes O_DIRECTORY, so that kernels without O_TMPFILE refuse it.
pub const O_TMPFILE: i32 = 0o20000000 | O_DIRECTORY;

/// `fcntl` commands.
pub const F_DUPFD: i32 = 0;
pub const F_GETFD: i32 = 1;
pub const F_SETFD: i32 = 2;
pub const F_GETFL: i32 = 3;
pub const F_SETFL: i32 = 4;
pub const F_GETLK: i32 = 5;
pub const F_SETLK: i32 = 6;
pub const F_SETLKW: i32 = 7;
pub const F_OFD_GETLK: i32 = 36;
pub const F_OFD_SETLK: i32 = 37;
pub const F_OFD_SETLKW: i32 = 38;
/// The Linux-only commands start at F_LINUX_SPECIFIC_BASE (1024).
pub const F_DUPFD_CLOEXEC: i32 = 1030;
pub const F_SETPIPE_SZ: i32 = 1031;
pub const F_GETPIPE_SZ: i32 = 1032;
/// memfd seals (<linux/fcntl.h>): add some, or read them.
pub const F_ADD_SEALS: i32 = 1033;
pub const F_GET_SEALS: i32 = 1034;

/// The descriptor flag of F_GETFD and F_SETFD.
pub const FD_CLOEXEC: i32 = 1;

/// The working directory, where a `*at` call takes a directory descriptor.
pub const AT_FDCWD: i32 = -100;
/// Flags of the `*at` calls. AT_EACCESS (faccessat) and AT_REMOVEDIR
/// (unlinkat) share a bit: no call takes both.
pub const AT_SYMLINK_NOFOLLOW: i32 = 0x100;
pub const AT_EACCESS: i32 = 0x200;
pub const AT_REMOVEDIR: i32 = 0x200;
pub const AT_SYMLINK_FOLLOW: i32 = 0x400;
pub const AT_NO_AUTOMOUNT: i32 = 0x800;
pub const AT_EMPTY_PATH: i32 = 0x1000;
/// statx: how fresh the answer must be (passed on to the host as it is).
pub const AT_STATX_SYNC_TYPE: i32 = 0x6000;

/// access(2)'s modes (<unistd.h>; F_OK is 0, no bit).
pub const F_OK: i32 = 0;
pub const X_OK: i32 = 1;
pub const W_OK: i32 = 2;
pub const R_OK: i32 = 4;

/// renameat2's flags (an `unsigned int`).
pub const RENAME_NOREPLACE: u32 = 1 << 0;
pub const RENAME_EXCHANGE: u32 = 1 << 1;
pub const RENAME_WHITEOUT: u32 = 1 << 2;

/// lseek's `whence`.
pub const SEEK_SET: i32 = 0;
pub const SEEK_CUR: i32 = 1;
pub const SEEK_END: i32 = 2;
pub const SEEK_DATA: i32 = 3;
pub const SEEK_HOLE: i32 = 4;

/// flock's operations.
pub const LOCK_SH: i32 = 1;
pub const LOCK_EX: i32 = 2;
pub const LOCK_NB: i32 = 4;
pub const LOCK_UN: i32 = 8;

/// fadvise64's advice (x86-64 numbering).
pub const POSIX_FADV_NORMAL: i32 = 0;
pub const POSIX_FADV_RANDOM: i32 = 1;
pub const POSIX_FADV_SEQUENTIAL: i32 = 2;
pub const POSIX_FADV_WILLNEED: i32 = 3;
pub const POSIX_FADV_DONTNEED: i32 = 4;
pub const POSIX_FADV_NOREUSE: i32 = 5;

/// `struct open_how`'s `resolve` bits (openat2, a `__u64`).
pub const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
pub const RESOLVE_NO_SYMLINKS: u64 = 0x04;
pub const RESOLVE_BENEATH: u64 = 0x08;
pub const RESOLVE_IN_ROOT: u64 = 0x10;

/// The most iovecs one readv or writev takes (<linux/uio.h>).
pub const UIO_MAXIOV: i32 = 1024;
/// The most bytes one read or write moves: INT_MAX rounded down to a page
/// (<linux/fs.h>).
pub const MAX_RW_COUNT: usize = 0x7fff_f000;
/// The largest offset of a regular file on 64-bit (<linux/fs.h>).
pub const MAX_LFS_FILESIZE: u64 = i64::MAX as u64;
/// The most symlinks one path walk follows (<linux/namei.h>).
pub const MAXSYMLINKS: usize = 40;
