//! The memory file system an initramfs unpacks into, which then becomes
//! the root of the machine (its config's `root = tree.path()`, with
//! `memory_root = Some(tree.rootfs())`).
//!
//! It is made the way a guest tmpfs is (`mounts::mount_memory`): with host
//! mounts in force (`hostmount`), a host tmpfs of its own, mounted in the
//! private mount namespace, sized half of the machine's memory as Linux's
//! rootfs is half of RAM; else a directory in the host memory directory
//! (`hostmount::memory_dir`: /dev/shm, or on disk when there is no
//! writable host tmpfs, as `nommu caps` says). Either way its files count
//! as the machine's memory (Shmem) and every file operation on it is the
//! host's.
//!
//! The tree is `<outer>/root`, the outer directory private (0700) to
//! nommu's host user. Every call resolves the parent directory inside the
//! root (openat2 with RESOLVE_IN_ROOT), so a symlink in the archive can
//! never make a later entry land outside it; the last component is never
//! followed. Dropping the tree unmounts and removes it (not if nommu is
//! killed with SIGKILL: the next nommu removes what is left, `staging`).
//!
//! Owners: as host root the archive's uid/gid are set; as any other user
//! the host refuses, so files belong to that user and the guest sees its
//! uid (logged once). Device nodes need host root too (and, like every
//! memory file system of the machine, the host mount is `nodev`: a node
//! is made, stat shows it, opening it is the host's EACCES); FIFOs and
//! sockets do not.

use super::mounts::{default_inodes, default_size, MemoryRoot};
use crate::abi::fcntl::{
    AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_TRUNC, O_WRONLY, RESOLVE_BENEATH,
    RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS,
};
use crate::abi::magic::{RAMFS_MAGIC, TMPFS_MAGIC};
use crate::abi::stat::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use crate::arch::{host, hostmount};
use crate::initrd::{self, Meta, Sink};
use std::ffi::{CStr, CString};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub struct RamTree {
    outer: PathBuf,
    root: PathBuf,
    fd: OwnedFd,
    /// What the machine's mount table says of it.
    rootfs: MemoryRoot,
    /// None until the first chown; false once the host refused one.
    chown_works: Option<bool>,
}

fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_encoded_bytes()).map_err(io::Error::other)
}

impl RamTree {
    /// A new empty tree for a machine of `mem` bytes of memory.
    pub fn new(mem: u64) -> io::Result<RamTree> {
        Self::create_in(&hostmount::memory_dir().path, mem)
    }

    /// Reads the initramfs archive at `path` and unpacks it into a new
    /// tree for a machine of `mem` bytes (a host tmpfs of its own of half
    /// of `mem` with host mounts, else a directory in the host memory
    /// directory).
    pub fn from_initrd(path: &Path, mem: u64) -> Result<(RamTree, initrd::Summary), initrd::Error> {
        let file = path.display().to_string();
        let io_error = |what: String| initrd::Error { file: file.clone(), offset: None, within_gzip_at: None, what };
        let data = std::fs::read(path).map_err(|e| io_error(e.to_string()))?;
        let mut root = RamTree::new(mem).map_err(|e| io_error(format!("cannot make the root file system: {e}")))?;
        let summary = initrd::unpack(&file, &data, &mut root)?;
        Ok((root, summary))
    }

    /// A new empty tree under `base` (the host memory directory; tests
    /// give their own).
    pub fn create_in(base: &Path, mem: u64) -> io::Result<RamTree> {
        super::staging::remove_stale(base);
        let outer = super::staging::unique_dir(base, "root", |d| std::fs::DirBuilder::new().mode(0o700).create(d))?;
        let root = outer.join("root");
        let rootfs = MemoryRoot { size: default_size(mem), nr_inodes: default_inodes(mem), real: false };
        let made = std::fs::create_dir(&root)
            .and_then(|()| std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)))
            .and_then(|()| cpath(&root))
            .and_then(|c| {
                let real = hostmount::can_mount() && {
                    let data = CString::new(format!("size={},nr_inodes={},mode=755", rootfs.size, rootfs.nr_inodes))
                        .map_err(io::Error::other)?;
                    match hostmount::mount_fs(&c, c"tmpfs", &data) {
                        Ok(()) => true,
                        Err(e) => {
                            log::info!("initramfs: no host tmpfs for the root ({e}): its size is not enforced");
                            false
                        }
                    }
                };
                Ok((host::open(&c, O_PATH | O_DIRECTORY, 0)?, real))
            });
        match made {
            Ok((fd, real)) => Ok(RamTree { outer, root, fd, rootfs: MemoryRoot { real, ..rootfs }, chown_works: None }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&outer);
                Err(e)
            }
        }
    }

    /// The host path of the root.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// What the machine's mount table says of the root.
    pub fn rootfs(&self) -> MemoryRoot {
        self.rootfs
    }

    /// Whether an absolute guest path names something in the root
    /// (following symlinks inside the root, as exec would).
    pub fn contains(&self, guest_path: &[u8]) -> bool {
        let rel = guest_path.strip_prefix(b"/").unwrap_or(guest_path);
        let rel = if rel.is_empty() { &b"."[..] } else { rel };
        let Ok(c) = CString::new(rel) else { return false };
        host::openat2(self.fd.as_fd(), &c, O_PATH, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).is_ok()
    }

    /// Whether the root is in memory (a host tmpfs or ramfs).
    pub fn in_memory(&self) -> bool {
        host::fstatfs(self.fd.as_raw_fd()).is_ok_and(|st| st.f_type == TMPFS_MAGIC || st.f_type == RAMFS_MAGIC)
    }

    /// Whether the archive's owners were kept (false: the host refused).
    pub fn owners_kept(&self) -> bool {
        self.chown_works != Some(false)
    }

    /// The directory holding `path`'s last component, and that component.
    fn parent(&self, path: &[u8]) -> io::Result<(OwnedFd, CString)> {
        let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (&b"."[..], path),
        };
        let (dir, name) = if path.is_empty() { (&b"."[..], &b"."[..]) } else { (dir, name) };
        let dir = CString::new(dir).map_err(io::Error::other)?;
        let name = CString::new(name).map_err(io::Error::other)?;
        let fd =
            host::openat2(self.fd.as_fd(), &dir, O_PATH | O_DIRECTORY, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)?;
        Ok((fd, name))
    }

    /// Removes what is at `name` unless it is of type `keep` (0: keep
    /// nothing); a directory only when empty, as the kernel does.
    fn clear(dir: &OwnedFd, name: &CStr, keep: u32) -> io::Result<()> {
        match host::fstatat(dir.as_raw_fd(), name, AT_SYMLINK_NOFOLLOW) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
            Ok(st) if st.st_mode & S_IFMT == keep => Ok(()),
            Ok(st) => {
                let flags = if st.st_mode & S_IFMT == S_IFDIR { AT_REMOVEDIR } else { 0 };
                host::unlinkat(dir.as_raw_fd(), name, flags)
            }
        }
    }

    fn open_file(dir: &OwnedFd, name: &CStr, flags: i32) -> io::Result<std::fs::File> {
        let flags = O_WRONLY | O_NOFOLLOW | flags;
        let mode = if flags & O_CREAT != 0 { 0o600 } else { 0 };
        let fd = host::openat2(dir.as_fd(), name, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)?;
        Ok(std::fs::File::from(fd))
    }
}

impl Sink for RamTree {
    fn mkdir(&mut self, path: &[u8]) -> io::Result<()> {
        let (dir, name) = self.parent(path)?;
        Self::clear(&dir, &name, S_IFDIR)?;
        match host::mkdirat(dir.as_raw_fd(), &name, 0o755) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            r => r,
        }
    }

    fn file(&mut self, path: &[u8], data: &[u8]) -> io::Result<()> {
        let (dir, name) = self.parent(path)?;
        Self::clear(&dir, &name, S_IFREG)?;
        Self::open_file(&dir, &name, O_CREAT | O_TRUNC)?.write_all(data)
    }

    fn symlink(&mut self, path: &[u8], target: &[u8]) -> io::Result<()> {
        let (dir, name) = self.parent(path)?;
        Self::clear(&dir, &name, 0)?;
        let target = CString::new(target).map_err(io::Error::other)?;
        host::symlinkat(&target, dir.as_raw_fd(), &name)
    }

    fn hard_link(&mut self, existing: &[u8], path: &[u8]) -> io::Result<()> {
        let (old_dir, old_name) = self.parent(existing)?;
        let (dir, name) = self.parent(path)?;
        Self::clear(&dir, &name, 0)?;
        host::linkat(old_dir.as_raw_fd(), &old_name, dir.as_raw_fd(), &name, 0)
    }

    fn write_data(&mut self, path: &[u8], data: &[u8]) -> io::Result<()> {
        let (dir, name) = self.parent(path)?;
        Self::open_file(&dir, &name, 0)?.write_all(data)
    }

    fn mknod(&mut self, path: &[u8], mode: u32, rdev: (u32, u32)) -> io::Result<()> {
        let (dir, name) = self.parent(path)?;
        Self::clear(&dir, &name, 0)?;
        host::mknodat(dir.as_raw_fd(), &name, mode & (S_IFMT | 0o7777), host::makedev(rdev.0, rdev.1))
    }

    fn set_meta(&mut self, path: &[u8], meta: &Meta) -> io::Result<()> {
        let (dir, name) = self.parent(path)?;
        // Owner first: chown clears set-user-ID bits.
        if self.chown_works != Some(false) {
            match host::fchownat(dir.as_raw_fd(), &name, meta.uid, meta.gid, AT_SYMLINK_NOFOLLOW) {
                Ok(()) => self.chown_works = Some(true),
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                    log::info!("initramfs: the host does not let this user set owners: files belong to it ({e})");
                    self.chown_works = Some(false);
                }
                Err(e) => return Err(e),
            }
        }
        if meta.mode & S_IFMT != S_IFLNK {
            host::fchmodat(dir.as_raw_fd(), &name, meta.mode & 0o7777)?;
        }
        let t = (i64::from(meta.mtime), 0);
        host::utimensat(dir.as_raw_fd(), &name, Some([t, t]), AT_SYMLINK_NOFOLLOW)
    }
}

impl Drop for RamTree {
    fn drop(&mut self) {
        if self.rootfs.real {
            if let Ok(c) = cpath(&self.root) {
                let _ = hostmount::unmount(&c);
            }
        }
        super::staging::remove_tree(&self.outer);
    }
}

#[cfg(test)]
mod tests;
