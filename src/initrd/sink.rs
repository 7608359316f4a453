//! Where an unpacked archive goes.
//!
//! The unpacker (`unpack.rs`) turns entries into these calls; a sink
//! creates the things in some file system: the machine's memory file
//! system (`fs::ramfs::RamTree`), or a file system in memory (the tests).
//!
//! Paths are relative to the root of the sink, already cleaned by the
//! unpacker: components joined by `/`, no empty, `.` or `..` component,
//! no leading `/`, no NUL. The root itself is the empty path; it is only
//! ever given to `set_meta`. The parent of a path may be missing: the
//! sink then fails with `NotFound` and the unpacker creates the parents.

use std::io;

/// Metadata of an entry, applied by `set_meta` once the entry exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// File type and permission bits, as in `st_mode`.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Seconds since the epoch; the access time is set to it too.
    pub mtime: u32,
}

/// The operations an archive needs. Each `create`-like call replaces a
/// non-directory (or empty directory) of another kind found at the path,
/// as the kernel's initramfs unpacker does.
pub trait Sink {
    /// A directory; an existing directory is kept.
    fn mkdir(&mut self, path: &[u8]) -> io::Result<()>;
    /// A regular file holding `data`, replacing what is at `path`.
    fn file(&mut self, path: &[u8], data: &[u8]) -> io::Result<()>;
    /// A symbolic link to `target`.
    fn symlink(&mut self, path: &[u8], target: &[u8]) -> io::Result<()>;
    /// `path` becomes another name of the file at `existing`.
    fn hard_link(&mut self, existing: &[u8], path: &[u8]) -> io::Result<()>;
    /// Writes `data` at the start of the existing file `path` without
    /// truncating it: the data of a hard-linked file comes with the last
    /// of its names.
    fn write_data(&mut self, path: &[u8], data: &[u8]) -> io::Result<()>;
    /// A device node, FIFO or socket (`mode` has the type); `rdev` is
    /// (major, minor). A sink that cannot make this kind fails with
    /// `PermissionDenied` or `Unsupported`, and the unpacker records it
    /// and goes on.
    fn mknod(&mut self, path: &[u8], mode: u32, rdev: (u32, u32)) -> io::Result<()>;
    /// Permissions (not the type bits), owner and times of `path`, not
    /// following a symlink. A sink that cannot keep an owner (a host
    /// directory as an unprivileged user) ignores it.
    fn set_meta(&mut self, path: &[u8], meta: &Meta) -> io::Result<()>;
}
