//! The sink of today: a private host directory that becomes the machine's
//! root, preferably on a host tmpfs (`/dev/shm`), so the root is in memory
//! as an initramfs is; else in `$TMPDIR`. It is removed when the value is
//! dropped (when `nommu boot` ends; not if nommu is killed with SIGKILL).
//!
//! Every call resolves the parent directory inside the root (openat2 with
//! RESOLVE_IN_ROOT), so a symlink in the archive can never make a later
//! entry land outside it; the last component is never followed.
//!
//! Owners: as host root the archive's uid/gid are set; as any other user
//! the host refuses, so files belong to that user and the guest sees its
//! uid (logged once). Device nodes need host root too; FIFOs and sockets
//! do not.

use super::sink::{Meta, Sink};
use crate::abi::fcntl::{
    AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_TRUNC, O_WRONLY, RESOLVE_BENEATH,
    RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS,
};
use crate::abi::magic::{RAMFS_MAGIC, TMPFS_MAGIC};
use crate::abi::stat::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use crate::arch::host;
use std::ffi::{CStr, CString};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// The host tmpfs tried first.
pub const SHM: &str = "/dev/shm";

/// A private temporary directory holding the root (`<dir>/root`; the outer
/// directory is mode 0700, so other host users cannot look in).
pub struct TempRoot {
    outer: PathBuf,
    root: PathBuf,
    fd: OwnedFd,
    /// None until the first chown; false once the host refused one.
    chown_works: Option<bool>,
    /// A write failed for want of space (the caller may try elsewhere).
    pub full: bool,
}

impl TempRoot {
    /// A new empty root under `base`.
    pub fn create_in(base: &Path) -> io::Result<TempRoot> {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let mut tries = 0;
        let outer = loop {
            let n = SEQ.fetch_add(1, Ordering::Relaxed);
            let dir = base.join(format!("nommu-initrd-{}-{n}", std::process::id()));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < 100 => tries += 1,
                Err(e) => return Err(e),
            }
        };
        let root = outer.join("root");
        let made = std::fs::create_dir(&root)
            .and_then(|()| std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)))
            .and_then(|()| {
                let c = CString::new(root.as_os_str().as_encoded_bytes()).map_err(io::Error::other)?;
                host::open(&c, O_PATH | O_DIRECTORY, 0)
            });
        match made {
            Ok(fd) => Ok(TempRoot { outer, root, fd, chown_works: None, full: false }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&outer);
                Err(e)
            }
        }
    }

    /// Removes the roots that earlier nommu processes left in `base` when
    /// they were killed before they could (SIGKILL): those of this user
    /// whose process is gone.
    pub fn sweep_stale(&self, base: &Path) {
        use std::os::unix::fs::MetadataExt;
        let Ok(me) = std::fs::metadata(&self.outer).map(|m| m.uid()) else { return };
        let Ok(entries) = std::fs::read_dir(base) else { return };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("nommu-initrd-")) else { continue };
            let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
            let ours = std::fs::symlink_metadata(e.path()).is_ok_and(|m| m.is_dir() && m.uid() == me);
            if ours && pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                log::info!("initrd: removing {}, left by a nommu that is gone", e.path().display());
                make_writable(&e.path());
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }

    /// The directories tried in order: the host tmpfs when it is a
    /// writable directory, then `$TMPDIR` (or /tmp).
    pub fn bases() -> Vec<PathBuf> {
        let mut v = Vec::new();
        let shm = Path::new(SHM);
        if shm.is_dir() {
            v.push(shm.to_path_buf());
        }
        let tmp = std::env::temp_dir();
        if !v.contains(&tmp) {
            v.push(tmp);
        }
        v
    }

    /// The host path of the root.
    pub fn path(&self) -> &Path {
        &self.root
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
        host::statfs_raw(self.fd.as_raw_fd()).is_ok_and(|b| {
            let f_type = i64::from_ne_bytes(b[..8].try_into().unwrap_or_default());
            f_type == TMPFS_MAGIC || f_type == RAMFS_MAGIC
        })
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

    fn note_space(&mut self, r: io::Result<()>) -> io::Result<()> {
        if r.as_ref().is_err_and(|e| e.kind() == io::ErrorKind::StorageFull) {
            self.full = true;
        }
        r
    }

    fn open_file(dir: &OwnedFd, name: &CStr, flags: i32) -> io::Result<std::fs::File> {
        let flags = O_WRONLY | O_NOFOLLOW | flags;
        let mode = if flags & O_CREAT != 0 { 0o600 } else { 0 };
        let fd = host::openat2(dir.as_fd(), name, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)?;
        Ok(std::fs::File::from(fd))
    }
}

impl Sink for TempRoot {
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
        let r = Self::open_file(&dir, &name, O_CREAT | O_TRUNC)?.write_all(data);
        self.note_space(r)
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
        let r = Self::open_file(&dir, &name, 0)?.write_all(data);
        self.note_space(r)
    }

    fn mknod(&mut self, path: &[u8], mode: u32, rdev: (u32, u32)) -> io::Result<()> {
        let (dir, name) = self.parent(path)?;
        Self::clear(&dir, &name, 0)?;
        host::mknodat(dir.as_raw_fd(), &name, mode & (S_IFMT | 0o7777), makedev(rdev.0, rdev.1))
    }

    fn set_meta(&mut self, path: &[u8], meta: &Meta) -> io::Result<()> {
        let (dir, name) = self.parent(path)?;
        // Owner first: chown clears set-user-ID bits.
        if self.chown_works != Some(false) {
            match host::fchownat(dir.as_raw_fd(), &name, meta.uid, meta.gid, AT_SYMLINK_NOFOLLOW) {
                Ok(()) => self.chown_works = Some(true),
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                    log::info!("initrd: the host does not let this user set owners: files belong to it ({e})");
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

impl Drop for TempRoot {
    fn drop(&mut self) {
        if std::fs::remove_dir_all(&self.outer).is_ok() {
            return;
        }
        // Directories the guest (or the archive) left without write
        // permission: an unprivileged owner may still chmod them.
        make_writable(&self.outer);
        if let Err(e) = std::fs::remove_dir_all(&self.outer) {
            log::warn!("initrd: cannot remove {}: {e}", self.outer.display());
        }
    }
}

fn make_writable(dir: &Path) {
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            make_writable(&e.path());
        }
    }
}

/// The kernel's `new_encode_dev` layout of a dev_t.
fn makedev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (u64::from(major), u64::from(minor));
    ((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff)
}

#[cfg(test)]
mod tests {
    use super::super::newc::{write_entry, write_trailer, Entry};
    use super::*;

    fn base(tag: &str) -> PathBuf {
        let b = std::env::temp_dir().join(format!("nommu-initrd-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&b);
        std::fs::create_dir_all(&b).unwrap();
        b
    }

    fn add(a: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]) {
        let e = Entry {
            name: name.as_bytes(),
            ino: a.len() as u32,
            mode,
            uid: 0,
            gid: 0,
            nlink: 1,
            mtime: 1_000_000,
            dev: (0, 0),
            rdev: (0, 0),
            data,
        };
        write_entry(a, &e, false);
    }

    /// Symlinks in the archive cannot make a later entry land outside the
    /// root; everything stays under `<outer>/root`, which drop removes.
    #[test]
    fn nothing_leaves_the_root() {
        let b = base("escape");
        let outside = b.join("outside");
        std::fs::create_dir(&outside).unwrap();
        let mut a = Vec::new();
        let target = outside.to_str().unwrap();
        add(&mut a, "abs", 0o120777, target.as_bytes());
        add(&mut a, "abs/file", 0o100644, b"1");
        add(&mut a, "up", 0o120777, b"../../..");
        add(&mut a, "up/file2", 0o100644, b"2");
        add(&mut a, "../../file3", 0o100644, b"3");
        add(&mut a, "dir", 0o040555, b"");
        add(&mut a, "dir/inside", 0o100444, b"4");
        add(&mut a, "fifo", 0o010600, b"");
        write_trailer(&mut a);
        let mut root = TempRoot::create_in(&b).unwrap();
        let outer = root.outer.clone();
        let summary = super::super::unpack("t", &a, &mut root).unwrap();
        assert_eq!(summary.counts.entries, 8);
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "wrote outside the root");
        let r = root.path().to_path_buf();
        assert_eq!(std::fs::read(r.join("file2")).unwrap(), b"2", "up/ resolves to the root itself");
        assert_eq!(std::fs::read(r.join("file3")).unwrap(), b"3");
        assert_eq!(std::fs::read(r.join("dir/inside")).unwrap(), b"4");
        assert!(root.contains(b"/dir/inside") && !root.contains(b"/nope"));
        let names: Vec<_> = std::fs::read_dir(&outer).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["root"]);
        drop(root);
        assert!(!outer.exists(), "a read-only directory inside kept the root from going");
        std::fs::remove_dir_all(&b).unwrap();
    }

    #[test]
    fn stale_roots_are_swept() {
        let b = base("sweep");
        // A pid that cannot exist (above pid_max's limit of 2^22).
        let stale = b.join("nommu-initrd-99999999-0");
        std::fs::create_dir_all(stale.join("root/x")).unwrap();
        let live = b.join(format!("nommu-initrd-{}-77", std::process::id()));
        std::fs::create_dir(&live).unwrap();
        let root = TempRoot::create_in(&b).unwrap();
        root.sweep_stale(&b);
        assert!(!stale.exists() && live.exists() && root.path().exists());
        drop(root);
        std::fs::remove_dir_all(&b).unwrap();
    }
}
