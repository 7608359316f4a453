//! Building a memory file system before the machine starts: the tree an
//! initramfs unpacks into, which then becomes the machine's root
//! (`MachineConfig::root = tree.path()`).
//!
//! A `RamTree` is a fresh private directory in a host memory file system
//! (the same place a mounted tmpfs keeps its files, `staging`), so its
//! files' pages are memory and every later file operation on it is the
//! host's. Every name is walked inside the tree (`HostRoot`: RESOLVE_IN_ROOT),
//! so an archive's "../x" or absolute symlinks can never reach outside it.
//! The directory goes away with the `RamTree` unless `keep` was called.

use super::root::HostRoot;
use crate::abi::fcntl::{AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, O_CREAT, O_EXCL, O_WRONLY};
use crate::abi::stat::{S_IFBLK, S_IFCHR, S_IFMT};
use crate::arch::host;
use std::ffi::CString;
use std::io::{Error, ErrorKind, Result, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// The attributes an archive gives each entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Permission bits (07777).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
}

pub struct RamTree {
    root: HostRoot,
    dir: PathBuf,
    keep: bool,
}

fn errno(e: crate::errno::Errno) -> Error {
    Error::from_raw_os_error(e.0)
}

fn cstring(b: &[u8]) -> Result<CString> {
    CString::new(b).map_err(|_| Error::new(ErrorKind::InvalidInput, "a path with a NUL byte"))
}

/// An archive's name ("bin/sh", "./bin/sh", "/bin/sh") as an absolute path
/// in the tree.
fn in_tree(name: &[u8]) -> Vec<u8> {
    super::path::join(b"/", name)
}

impl RamTree {
    /// A new empty tree (its root directory mode 0755, owned by root).
    pub fn new() -> Result<RamTree> {
        let dir = super::staging::new_private_dir("root")?;
        let root = HostRoot::open(&dir)?;
        Ok(RamTree { root, dir, keep: false })
    }

    /// The host directory the tree is (a machine's `--root`).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Leaves the directory in place when the `RamTree` is dropped.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// The parent directory of `name` in the tree, and the last component.
    fn parent(&self, name: &[u8]) -> Result<(OwnedFd, CString)> {
        let abs = in_tree(name);
        if super::path::is_dot_or_dotdot(&super::path::split_last(&abs).1) {
            return Err(Error::from_raw_os_error(libc::EEXIST));
        }
        self.root.parent_fd(&abs).map_err(errno)
    }

    /// An O_PATH handle on `name` (not following a final symlink).
    fn handle(&self, name: &[u8]) -> Result<OwnedFd> {
        self.root.path_fd(&cstring(&in_tree(name))?, false).map_err(errno)
    }

    /// mkdir; an existing directory only gets `attrs` (archives often
    /// name a directory after files in it).
    pub fn mkdir(&self, name: &[u8], attrs: &Attrs) -> Result<()> {
        if in_tree(name).iter().all(|&b| b == b'/') {
            return self.set_attrs(name, attrs);
        }
        let (dir, last) = self.parent(name)?;
        match host::mkdirat(dir.as_raw_fd(), &last, attrs.mode & 0o7777) {
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
            r => r?,
        }
        self.set_attrs(name, attrs)
    }

    /// A regular file with `content` (an existing one is replaced).
    pub fn create_file(&self, name: &[u8], content: &[u8], attrs: &Attrs) -> Result<()> {
        let (dir, last) = self.parent(name)?;
        let _ = host::unlinkat(dir.as_raw_fd(), &last, 0);
        let fd = host::openat2(
            std::os::fd::AsFd::as_fd(&dir),
            &last,
            O_WRONLY | O_CREAT | O_EXCL | libc::O_NOFOLLOW,
            attrs.mode & 0o7777,
            0,
        )?;
        std::fs::File::from(fd).write_all(content)?;
        self.set_attrs(name, attrs)
    }

    /// A symbolic link to `target` (kept as given).
    pub fn symlink(&self, name: &[u8], target: &[u8], attrs: &Attrs) -> Result<()> {
        let (dir, last) = self.parent(name)?;
        let _ = host::unlinkat(dir.as_raw_fd(), &last, 0);
        host::symlinkat(&cstring(target)?, dir.as_raw_fd(), &last)?;
        self.set_attrs(name, attrs)
    }

    /// A hard link `name` to the existing `existing`.
    pub fn hard_link(&self, name: &[u8], existing: &[u8]) -> Result<()> {
        let src = self.handle(existing)?;
        let (dir, last) = self.parent(name)?;
        host::linkat(src.as_raw_fd(), c"", dir.as_raw_fd(), &last, AT_EMPTY_PATH)
    }

    /// A FIFO, socket or device node (`kind` is the S_IFMT bits). Device
    /// nodes are the host's and need CAP_MKNOD there: without it, EPERM
    /// (the machine's devices are the kernel's /dev anyway).
    pub fn mknod(&self, name: &[u8], kind: u32, rdev: u64, attrs: &Attrs) -> Result<()> {
        let (dir, last) = self.parent(name)?;
        let _ = host::unlinkat(dir.as_raw_fd(), &last, 0);
        let dev = if matches!(kind & S_IFMT, S_IFCHR | S_IFBLK) { rdev } else { 0 };
        host::mknodat(dir.as_raw_fd(), &last, (kind & S_IFMT) | (attrs.mode & 0o7777), dev)?;
        self.set_attrs(name, attrs)
    }

    /// Sets mode (not on symlinks), owner and mtime. Owners other than
    /// nommu's own need root on the host: that failure is ignored (the
    /// machine's processes are all root anyway).
    pub fn set_attrs(&self, name: &[u8], attrs: &Attrs) -> Result<()> {
        let fd = self.handle(name)?;
        let raw = fd.as_raw_fd();
        let st = host::fstatat(raw, c"", AT_EMPTY_PATH)?;
        if let Err(e) = host::fchownat(raw, c"", attrs.uid, attrs.gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) {
            log::debug!("ramfs: cannot chown {} to {}:{}: {e}", String::from_utf8_lossy(name), attrs.uid, attrs.gid);
        }
        if st.st_mode & S_IFMT != crate::abi::stat::S_IFLNK {
            let link = cstring(format!("/proc/self/fd/{raw}").as_bytes())?;
            host::fchmodat(libc::AT_FDCWD, &link, attrs.mode & 0o7777)?;
        }
        let t = (attrs.mtime, 0);
        host::utimensat(raw, c"", Some([t, t]), AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)?;
        Ok(())
    }

    /// Reads a regular file of the tree (checks, tests).
    pub fn read_file(&self, name: &[u8]) -> Result<Vec<u8>> {
        let fd = self.root.openat(&cstring(&in_tree(name))?, libc::O_RDONLY, 0).map_err(errno)?;
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut std::fs::File::from(fd), &mut out)?;
        Ok(out)
    }

    /// `stat` of a name in the tree (not following a final symlink).
    pub fn stat(&self, name: &[u8]) -> Result<crate::abi::types::Stat> {
        let fd = self.handle(name)?;
        host::fstatat(fd.as_raw_fd(), c"", AT_EMPTY_PATH)
    }
}

impl Drop for RamTree {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_built_from_an_archive() {
        let t = RamTree::new().unwrap();
        let a = |mode| Attrs { mode, uid: 0, gid: 0, mtime: 1_700_000_000 };
        t.mkdir(b"bin", &a(0o755)).unwrap();
        t.mkdir(b"./etc/", &a(0o700)).unwrap();
        t.create_file(b"bin/busybox", b"\x7fELF...", &a(0o755)).unwrap();
        t.symlink(b"/bin/sh", b"busybox", &a(0o777)).unwrap();
        t.hard_link(b"bin/bb", b"bin/busybox").unwrap();
        t.mknod(b"etc/fifo", libc::S_IFIFO, 0, &a(0o600)).unwrap();
        t.mkdir(b"/", &a(0o755)).unwrap();
        assert_eq!(t.read_file(b"bin/sh").unwrap(), b"\x7fELF...");
        let st = t.stat(b"bin/busybox").unwrap();
        assert_eq!((st.st_mode & 0o7777, st.st_nlink, st.st_mtime.tv_sec), (0o755, 2, 1_700_000_000));
        assert_eq!(t.stat(b"etc").unwrap().st_mode & 0o7777, 0o700);
        assert_eq!(t.stat(b"etc/fifo").unwrap().st_mode & S_IFMT, libc::S_IFIFO);
        assert_eq!(t.stat(b"bin/sh").unwrap().st_mtime.tv_sec, 1_700_000_000);
        // Nothing leaves the tree: ".." stops at its root, and a symlink
        // to "/" is the tree's own root.
        t.create_file(b"../../escaped", b"x", &a(0o644)).unwrap();
        assert!(t.path().join("escaped").exists());
        t.symlink(b"up", b"/", &a(0o777)).unwrap();
        t.create_file(b"up/through-link", b"y", &a(0o644)).unwrap();
        assert!(t.path().join("through-link").exists());
        assert!(crate::arch::host::is_tmpfs(t.path()) || !crate::arch::host::is_tmpfs(Path::new("/dev/shm")));
        let dir = t.path().to_path_buf();
        drop(t);
        assert!(!dir.exists());
    }
}
