//! The machine's mount table: which file system each guest path is in.
//!
//! The root is the host directory (`HostRoot`): a host directory
//! ("/dev/root", hostfs), or the initramfs's memory file system
//! (`ramfs::RamTree`, "rootfs", counted as memory like a tmpfs); the
//! kernel's /proc and /dev are always there (`path::classify`). On top of that, mount(2) adds
//! entries here, and the longest mount point that is a prefix of a
//! (lexically normalised) path decides where the host walks it:
//!
//! - tmpfs / ramfs: a fresh directory of the machine's own in a host
//!   memory file system (`staging`), walked with RESOLVE_IN_ROOT from its
//!   handle, so every file operation is the host's on memory-backed files
//!   (a file's pages are the host tmpfs's pages: an open file is a host
//!   descriptor and MAP_SHARED maps the same pages in every process);
//! - bind: a directory of the root (or of another mount), walked the same
//!   way from a handle on it;
//! - proc, devtmpfs, devpts: entries only (the kernel's own are always at
//!   /proc and /dev), so that /proc/mounts shows what was mounted.

use crate::abi::fcntl::{O_DIRECTORY, O_PATH};
use crate::abi::mount::*;
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

/// The kinds of file system mount(2) knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FsType {
    Tmpfs,
    Ramfs,
    Proc,
    Devtmpfs,
    Devpts,
    /// The host directory that is the root ("hostfs").
    Host,
    /// The root an initramfs was unpacked into (a `RamTree`).
    Rootfs,
}

impl FsType {
    pub(crate) fn by_name(name: &[u8]) -> Option<FsType> {
        Some(match name {
            b"tmpfs" | b"shm" => FsType::Tmpfs,
            b"ramfs" => FsType::Ramfs,
            b"proc" => FsType::Proc,
            b"devtmpfs" => FsType::Devtmpfs,
            b"devpts" => FsType::Devpts,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            FsType::Tmpfs => "tmpfs",
            FsType::Ramfs => "ramfs",
            FsType::Proc => "proc",
            FsType::Devtmpfs => "devtmpfs",
            FsType::Devpts => "devpts",
            FsType::Host => "hostfs",
            FsType::Rootfs => "rootfs",
        }
    }

    /// A memory file system of the machine's own.
    pub(crate) fn is_memory(self) -> bool {
        matches!(self, FsType::Tmpfs | FsType::Ramfs | FsType::Rootfs)
    }
}

/// The options of a tmpfs (ramfs takes `mode` only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MemOpts {
    /// Bytes (tmpfs `size=`), or None: half of the machine's memory.
    pub size: Option<u64>,
    pub nr_inodes: Option<u64>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

impl MemOpts {
    /// Parses tmpfs/ramfs data options ("size=1m,mode=1777"); an unknown
    /// or malformed option is EINVAL, as tmpfs answers. `mem` is the
    /// machine's memory (for `size=N%`).
    pub(crate) fn parse(kind: FsType, data: &[u8], mem: u64, into: &mut MemOpts) -> SysResult<()> {
        for opt in data.split(|&b| b == b',').filter(|o| !o.is_empty()) {
            let (key, value) = match opt.iter().position(|&b| b == b'=') {
                Some(i) => (&opt[..i], std::str::from_utf8(&opt[i + 1..]).map_err(|_| Errno::EINVAL)?),
                None => (opt, ""),
            };
            match (kind, key) {
                (_, b"mode") => into.mode = Some(u32::from_str_radix(value, 8).map_err(|_| Errno::EINVAL)? & 0o7777),
                // ramfs ignores what it does not know (as Linux's does).
                (FsType::Ramfs, _) => {}
                (_, b"size") => into.size = Some(parse_size(value, mem)?),
                (_, b"nr_inodes") => into.nr_inodes = Some(parse_size(value, 0)?),
                (_, b"uid") => into.uid = Some(value.parse().map_err(|_| Errno::EINVAL)?),
                (_, b"gid") => into.gid = Some(value.parse().map_err(|_| Errno::EINVAL)?),
                // Options tmpfs accepts that change nothing here.
                (_, b"huge" | b"mpol" | b"inode32" | b"inode64" | b"noswap" | b"nr_blocks") => {}
                _ => return Err(Errno::EINVAL),
            }
        }
        Ok(())
    }
}

/// The options a host tmpfs (ramfs) is mounted with: the guest's size and
/// inode limit (default half of the machine's memory and half of its
/// pages, as Linux's defaults are half of RAM), and mode.
fn host_options(kind: FsType, o: &MemOpts, mem: u64) -> CString {
    let mode = o.mode.unwrap_or(if kind == FsType::Tmpfs { 0o1777 } else { 0o755 });
    let s = match kind {
        FsType::Ramfs => format!("mode={mode:o}"),
        _ => {
            let size = o.size.unwrap_or(default_size(mem));
            let inodes = o.nr_inodes.unwrap_or(default_inodes(mem));
            format!("size={size},nr_inodes={inodes},mode={mode:o}")
        }
    };
    CString::new(s).unwrap_or_default()
}

/// A tmpfs's size without `size=`: half of the machine's memory (Linux:
/// half of RAM), in whole pages.
pub(crate) fn default_size(mem: u64) -> u64 {
    mem / 2 / crate::abi::consts::PAGE_SIZE * crate::abi::consts::PAGE_SIZE
}

/// A tmpfs's inode limit without `nr_inodes=`: half of the machine's pages.
pub(crate) fn default_inodes(mem: u64) -> u64 {
    mem / crate::abi::consts::PAGE_SIZE / 2
}

/// "1024", "64k", "16m", "1g", "50%" (of `mem`).
fn parse_size(s: &str, mem: u64) -> SysResult<u64> {
    let (num, mult) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 1u64 << 10),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 1 << 20),
        Some(b'g' | b'G') => (&s[..s.len() - 1], 1 << 30),
        Some(b'%') => {
            let pct: u64 = s[..s.len() - 1].parse().map_err(|_| Errno::EINVAL)?;
            return Ok((mem as u128 * pct as u128 / 100) as u64);
        }
        _ => (s, 1),
    };
    num.parse::<u64>().map_err(|_| Errno::EINVAL)?.checked_mul(mult).ok_or(Errno::EINVAL)
}

/// One mounted file system.
pub(crate) struct Mount {
    pub id: u32,
    pub parent: u32,
    pub kind: FsType,
    /// What mount(2) was given as the source ("none", "tmpfs", a path).
    pub source: Vec<u8>,
    /// The normalised guest path it is mounted on.
    pub target: Vec<u8>,
    /// For a bind mount: the guest path of its root in its file system.
    pub bind_root: Vec<u8>,
    /// The directory walks start from (tmpfs, ramfs, bind).
    pub dir: Option<OwnedFd>,
    /// The host path of `dir` (to map host paths back to guest paths).
    pub host_path: PathBuf,
    /// MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, atime flags.
    pub flags: RwLock<u64>,
    pub opts: RwLock<MemOpts>,
    /// The staging directory this mount owns (removed on umount).
    owned: Option<PathBuf>,
    /// A host tmpfs/ramfs of its own (`hostmount`): the host enforces its
    /// size and counts its blocks.
    pub real: bool,
    /// The device its files show.
    pub dev: u64,
}

impl Mount {
    /// The device number files in a memory file system show: the host
    /// mount's own, or 0:(0x40 + id) (an anonymous device as Linux gives
    /// tmpfs; /proc is 0:0x16).
    pub(crate) fn dev(&self) -> u64 {
        self.dev
    }

    pub(crate) fn flags(&self) -> u64 {
        *self.flags.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn opts(&self) -> MemOpts {
        self.opts.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Bytes and inodes in use (memory file systems; walks the tree).
    pub(crate) fn usage(&self) -> (u64, u64) {
        let Some(dir) = &self.dir else { return (0, 0) };
        if self.real && self.kind != FsType::Ramfs {
            let Ok(st) = host::fstatfs(dir.as_raw_fd()) else { return (0, 0) };
            let used_blocks = st.f_blocks.saturating_sub(st.f_bfree);
            return (used_blocks.saturating_mul(st.f_bsize as u64), st.f_files.saturating_sub(st.f_ffree));
        }
        let mut bytes = 0;
        let mut inodes = 1;
        let top = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
        let mut stack = vec![top];
        let mut seen = std::collections::HashSet::new();
        while let Some(d) = stack.pop() {
            let Ok(list) = std::fs::read_dir(&d) else { continue };
            for e in list.flatten() {
                let Ok(md) = e.metadata() else { continue };
                use std::os::unix::fs::MetadataExt;
                if md.nlink() > 1 && !md.is_dir() && !seen.insert(md.ino()) {
                    continue;
                }
                inodes += 1;
                bytes += md.blocks() * 512;
                if md.is_dir() {
                    stack.push(e.path());
                }
            }
        }
        (bytes, inodes)
    }
}

/// Where a guest path is walked: a directory handle and the path from it.
pub(crate) struct Located<'a> {
    pub mount: Option<Arc<Mount>>,
    pub path: std::borrow::Cow<'a, CStr>,
}

/// The machine's mount table.
pub(crate) struct Mounts {
    list: RwLock<Vec<Arc<Mount>>>,
    /// Any mount that walks differ for (tmpfs, ramfs, bind)?
    any_dirs: AtomicBool,
    next_id: AtomicU32,
    staging: super::staging::Staging,
    /// The host device the staging directories are on (0: none yet).
    staging_dev: std::sync::atomic::AtomicU64,
}

/// The mount ids of the implicit entries.
const ROOT_ID: u32 = 1;

/// The root is the memory file system an initramfs was unpacked into
/// (`RamTree::rootfs`): what /proc/mounts and statfs say of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRoot {
    /// Its size limit, bytes (half of the machine's memory, as Linux's
    /// rootfs is half of RAM).
    pub size: u64,
    pub nr_inodes: u64,
    /// A host tmpfs of its own (the host enforces the size).
    pub real: bool,
}

impl Mounts {
    pub(crate) fn new() -> Mounts {
        let implicit = |id, kind: FsType, source: &str, target: &str, flags| {
            Arc::new(Mount {
                id,
                parent: ROOT_ID,
                kind,
                source: source.as_bytes().to_vec(),
                target: target.as_bytes().to_vec(),
                bind_root: b"/".to_vec(),
                dir: None,
                host_path: PathBuf::new(),
                flags: RwLock::new(flags),
                opts: RwLock::new(MemOpts::default()),
                owned: None,
                real: false,
                dev: 0,
            })
        };
        let list = vec![
            // "/dev/root", as Linux names a root it mounted itself (busybox skips
            // "rootfs" entries: `df /` would find no mount point).
            implicit(ROOT_ID, FsType::Host, "/dev/root", "/", MS_RELATIME),
            implicit(2, FsType::Proc, "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME),
            implicit(3, FsType::Devtmpfs, "devtmpfs", "/dev", MS_NOSUID | MS_RELATIME),
        ];
        Mounts {
            list: RwLock::new(list),
            any_dirs: AtomicBool::new(false),
            next_id: AtomicU32::new(10),
            staging: super::staging::Staging::default(),
            staging_dev: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Makes the root entry the initramfs's memory file system at
    /// `host_path` ("rootfs / rootfs rw,size=…,nr_inodes=… 0 0", as Linux
    /// shows an initramfs root). Walks from it stay the root's own
    /// (`HostRoot`); the entry gives statfs, /proc/mounts and Shmem.
    pub(crate) fn set_memory_root(&self, host_path: &Path, r: &MemoryRoot) -> std::io::Result<()> {
        let c = CString::new(host_path.as_os_str().as_encoded_bytes()).map_err(std::io::Error::other)?;
        let dir = host::open(&c, O_PATH | O_DIRECTORY, 0)?;
        let dev = host::fstatat(dir.as_raw_fd(), c"", libc::AT_EMPTY_PATH)?.st_dev;
        let opts = MemOpts { size: Some(r.size), nr_inodes: Some(r.nr_inodes), ..MemOpts::default() };
        let root = Mount {
            id: ROOT_ID,
            parent: ROOT_ID,
            kind: FsType::Rootfs,
            source: b"rootfs".to_vec(),
            target: b"/".to_vec(),
            bind_root: b"/".to_vec(),
            dir: Some(dir),
            host_path: host_path.to_path_buf(),
            flags: RwLock::new(0),
            opts: RwLock::new(opts),
            owned: None,
            real: r.real,
            dev,
        };
        self.list.write().unwrap_or_else(|e| e.into_inner())[0] = Arc::new(root);
        Ok(())
    }

    /// The device a file shows in stat: its memory file system's own when
    /// the host says it is on the staging device (`fd` tells which one).
    pub(crate) fn dev_of(&self, host_dev: u64, guest_path: impl FnOnce() -> Option<Vec<u8>>) -> Option<u64> {
        let staging = self.staging_dev.load(Ordering::Acquire);
        if staging == 0 || host_dev != staging || !self.has_dirs() {
            return None;
        }
        let m = self.mount_of(&guest_path()?);
        (m.kind.is_memory() && !m.real && m.id != ROOT_ID).then(|| m.dev())
    }

    /// Is the normalised guest path `norm` in a mount with MS_NOEXEC?
    pub(crate) fn noexec(&self, norm: &[u8]) -> bool {
        self.has_dirs() && self.mount_of(norm).flags() & MS_NOEXEC != 0
    }

    /// Is a tmpfs, ramfs or bind mount on a directory strictly below the
    /// normalised `dir` (so a walk beneath `dir` could cross into it)?
    pub(crate) fn any_below(&self, dir: &[u8]) -> bool {
        if !self.has_dirs() {
            return false;
        }
        let list = self.list.read().unwrap_or_else(|e| e.into_inner());
        list.iter().any(|m| m.dir.is_some() && m.id != ROOT_ID && m.target != dir && is_under(&m.target, dir))
    }

    /// Is some mount point a name in the normalised directory `dir`?
    pub(crate) fn any_in(&self, dir: &[u8]) -> bool {
        let list = self.list.read().unwrap_or_else(|e| e.into_inner());
        list.iter().any(|m| {
            let cut = m.target.iter().rposition(|&b| b == b'/').unwrap_or(0);
            m.id != ROOT_ID && (&m.target[..cut.max(1)] == dir)
        })
    }

    /// Is any tmpfs, ramfs or bind mount in the table?
    pub(crate) fn has_dirs(&self) -> bool {
        self.any_dirs.load(Ordering::Acquire)
    }

    pub(crate) fn list(&self) -> Vec<Arc<Mount>> {
        self.list.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The mount whose point is the longest prefix of the normalised `norm`.
    pub(crate) fn mount_of(&self, norm: &[u8]) -> Arc<Mount> {
        let list = self.list.read().unwrap_or_else(|e| e.into_inner());
        let mut best = list[0].clone();
        for m in list.iter() {
            if is_under(norm, &m.target) && m.target.len() >= best.target.len() {
                best = m.clone();
            }
        }
        best
    }

    /// Where the host walks `abs`: the root (the path as given) unless a
    /// tmpfs, ramfs or bind mount holds it.
    pub(crate) fn locate<'a>(&self, abs: &'a CStr) -> SysResult<Located<'a>> {
        let root = || Located { mount: None, path: std::borrow::Cow::Borrowed(abs) };
        if !self.any_dirs.load(Ordering::Acquire) {
            return Ok(root());
        }
        let bytes = abs.to_bytes();
        let norm = super::path::normalize(bytes);
        let m = self.mount_of(&norm);
        if m.dir.is_none() || m.id == ROOT_ID {
            return Ok(root());
        }
        // The path as given below the mount point when it stays there (the
        // host then applies "missing/.." exactly); else the lexical rest.
        let rel = match literal_rest(bytes, &m.target) {
            Some(rest) if !rest.is_empty() => rest.to_vec(),
            Some(_) => b".".to_vec(),
            None => {
                let rest = norm[m.target.len()..].strip_prefix(b"/").unwrap_or(&norm[m.target.len()..]);
                let mut rel = if rest.is_empty() { b".".to_vec() } else { rest.to_vec() };
                if bytes.ends_with(b"/") && rel != b"." {
                    rel.push(b'/');
                }
                rel
            }
        };
        let path = CString::new(rel).map_err(|_| Errno::EINVAL)?;
        Ok(Located { mount: Some(m), path: std::borrow::Cow::Owned(path) })
    }

    /// A host path's guest path, if a tmpfs, ramfs or bind mount holds it.
    pub(crate) fn guest_path_of_host(&self, host_path: &Path) -> Option<Vec<u8>> {
        if !self.any_dirs.load(Ordering::Acquire) {
            return None;
        }
        let list = self.list.read().unwrap_or_else(|e| e.into_inner());
        let m = list
            .iter()
            .filter(|m| m.dir.is_some() && m.id != ROOT_ID && host_path.starts_with(&m.host_path))
            .max_by_key(|m| m.host_path.as_os_str().len())?;
        let rest = host_path.strip_prefix(&m.host_path).ok()?.as_os_str().as_encoded_bytes();
        let mut out = m.target.clone();
        if !rest.is_empty() {
            if out != b"/" {
                out.push(b'/');
            }
            out.extend_from_slice(rest);
        }
        Some(out)
    }

    /// Mounts a new tmpfs or ramfs on `target` (normalised, checked).
    pub(crate) fn mount_memory(
        &self,
        kind: FsType,
        source: &[u8],
        target: Vec<u8>,
        flags: u64,
        opts: MemOpts,
        mem: u64,
    ) -> SysResult<()> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let host_path = self.staging.new_dir(id).map_err(|e| {
            log::warn!("cannot make a directory for a {}: {e}", kind.name());
            Errno::ENOMEM
        })?;
        let c = CString::new(host_path.as_os_str().as_encoded_bytes()).map_err(|_| Errno::EINVAL)?;
        if let Ok(st) = host::fstatat(libc::AT_FDCWD, &c, 0) {
            self.staging_dev.store(st.st_dev, Ordering::Release);
        }
        let real = crate::arch::hostmount::can_mount() && {
            let data = host_options(kind, &opts, mem);
            let fstype = if kind == FsType::Ramfs { c"ramfs" } else { c"tmpfs" };
            match crate::arch::hostmount::mount_fs(&c, fstype, &data) {
                Ok(()) => true,
                Err(e) => {
                    log::info!("no host {} for a guest one ({e}): its size is not enforced", kind.name());
                    false
                }
            }
        };
        let dir = host::open(&c, O_PATH | O_DIRECTORY, 0)?;
        let default_mode = if kind == FsType::Tmpfs { 0o1777 } else { 0o755 };
        let _ = host::fchmodat(libc::AT_FDCWD, &c, opts.mode.unwrap_or(default_mode));
        if opts.uid.is_some() || opts.gid.is_some() {
            let (u, g) = (opts.uid.unwrap_or(u32::MAX), opts.gid.unwrap_or(u32::MAX));
            let _ = host::fchownat(libc::AT_FDCWD, &c, u, g, 0);
        }
        let dev = match host::fstatat(dir.as_raw_fd(), c"", libc::AT_EMPTY_PATH) {
            Ok(st) if real => st.st_dev,
            _ => host::makedev(0, 0x40 + id),
        };
        self.add(Mount {
            id,
            parent: 0,
            kind,
            source: source.to_vec(),
            target,
            bind_root: b"/".to_vec(),
            dir: Some(dir),
            host_path: host_path.clone(),
            flags: RwLock::new(flags & MS_PER_MOUNT),
            opts: RwLock::new(opts),
            owned: Some(host_path),
            real,
            dev,
        });
        Ok(())
    }

    /// New options for a memory file system (`MS_REMOUNT`).
    /// On a host mount of its own, read-only is the host's too: it then
    /// refuses every change (chmod, utimes, truncate…), and refuses to go
    /// read-only while a file is open for writing (EBUSY), as Linux does.
    pub(crate) fn set_options(&self, m: &Mount, opts: MemOpts, mem: u64, rdonly: bool) -> SysResult<()> {
        if m.real && m.owned.is_some() {
            let c = CString::new(m.host_path.as_os_str().as_encoded_bytes()).map_err(|_| Errno::EINVAL)?;
            // The host refuses a size below what is in use (EINVAL).
            crate::arch::hostmount::remount(&c, &host_options(m.kind, &opts, mem), rdonly)?;
        }
        *m.opts.write().unwrap_or_else(|e| e.into_inner()) = opts;
        Ok(())
    }

    /// Bind-mounts the directory `dir` (known to the host as `host_path`,
    /// to the guest as `source`) on `target`.
    pub(crate) fn mount_bind(&self, of: &Mount, source: Vec<u8>, dir: OwnedFd, target: Vec<u8>, flags: u64) {
        let host_path = host::readlinkat(libc::AT_FDCWD, &fd_link(&dir))
            .map(|p| PathBuf::from(<std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(p)))
            .unwrap_or_default();
        let rel = source.strip_prefix(of.target.as_slice()).unwrap_or(&source);
        let bind_root = super::path::join(&of.bind_root, rel.strip_prefix(b"/").unwrap_or(rel));
        self.add(Mount {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            parent: 0,
            kind: of.kind,
            source: of.source.clone(),
            target,
            bind_root: super::path::normalize(&bind_root),
            dir: Some(dir),
            host_path,
            flags: RwLock::new((flags & MS_PER_MOUNT) | (of.flags() & !MS_PER_MOUNT)),
            opts: RwLock::new(of.opts()),
            owned: None,
            real: of.real,
            dev: of.dev,
        });
    }

    /// A kernel file system (proc, devtmpfs, devpts): an entry only.
    pub(crate) fn mount_entry(&self, kind: FsType, source: &[u8], target: Vec<u8>, flags: u64) {
        self.add(Mount {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            parent: 0,
            kind,
            source: source.to_vec(),
            target,
            bind_root: b"/".to_vec(),
            dir: None,
            host_path: PathBuf::new(),
            flags: RwLock::new(flags & MS_PER_MOUNT),
            opts: RwLock::new(MemOpts::default()),
            owned: None,
            real: false,
            dev: 0,
        });
    }

    fn add(&self, mut m: Mount) {
        let mut list = self.list.write().unwrap_or_else(|e| e.into_inner());
        m.parent = list
            .iter()
            .filter(|p| is_under(&m.target, &p.target))
            .max_by_key(|p| p.target.len())
            .map_or(ROOT_ID, |p| p.id);
        if m.dir.is_some() {
            self.any_dirs.store(true, Ordering::Release);
        }
        list.push(Arc::new(m));
    }

    /// The mount whose point is exactly `target`, topmost first.
    pub(crate) fn mounted_on(&self, target: &[u8]) -> Option<Arc<Mount>> {
        let list = self.list.read().unwrap_or_else(|e| e.into_inner());
        list.iter().rev().find(|m| m.target == target).cloned()
    }

    /// umount2 of the topmost mount on `target`: EINVAL when none (or the
    /// root), EBUSY while something is in use in it (unless `detach`,
    /// which takes it and everything under it away now).
    pub(crate) fn unmount(&self, target: &[u8], detach: bool) -> SysResult<()> {
        let m = self.mounted_on(target).ok_or(Errno::EINVAL)?;
        if m.id == ROOT_ID {
            return Err(if detach { Errno::EINVAL } else { Errno::EBUSY });
        }
        let mut list = self.list.write().unwrap_or_else(|e| e.into_inner());
        let pos = list.iter().position(|x| Arc::ptr_eq(x, &m)).ok_or(Errno::EINVAL)?;
        let over = list[pos + 1..].iter().any(|x| is_under(&x.target, &m.target));
        if !detach && (over || (m.dir.is_some() && in_use(&m))) {
            return Err(Errno::EBUSY);
        }
        let gone: Vec<Arc<Mount>> = list.iter().skip(pos).filter(|x| is_under(&x.target, &m.target)).cloned().collect();
        list.retain(|x| !gone.iter().any(|g| Arc::ptr_eq(g, x)));
        self.any_dirs.store(list.iter().any(|x| x.dir.is_some() && x.id != ROOT_ID), Ordering::Release);
        drop(list);
        for g in gone {
            if let Some(p) = &g.owned {
                if g.real {
                    if let Ok(c) = CString::new(p.as_os_str().as_encoded_bytes()) {
                        let _ = crate::arch::hostmount::unmount(&c);
                    }
                }
                // Files still open stay usable (they are unlinked, as a
                // lazily unmounted tmpfs's files are).
                let _ = std::fs::remove_dir_all(p);
            }
        }
        Ok(())
    }

    /// Bytes in use by every memory file system, an initramfs root too
    /// (/proc/meminfo Shmem; bind mounts are not counted again).
    pub(crate) fn memory_bytes(&self) -> u64 {
        let counted = |m: &&Arc<Mount>| m.kind.is_memory() && (m.owned.is_some() || m.id == ROOT_ID);
        self.list().iter().filter(counted).map(|m| m.usage().0).sum()
    }

    /// Removes the machine's staging directories (the machine is over).
    pub(crate) fn clean_up(&self) {
        for m in self.list().iter().filter(|m| m.real && m.owned.is_some()) {
            if let Ok(c) = CString::new(m.host_path.as_os_str().as_encoded_bytes()) {
                let _ = crate::arch::hostmount::unmount(&c);
            }
        }
        self.staging.remove();
    }
}

/// What follows the mount point `target` in `abs` when `abs` names it
/// component by component ("." and repeated slashes aside) and nothing
/// after it climbs above it with "..".
fn literal_rest<'a>(abs: &'a [u8], target: &[u8]) -> Option<&'a [u8]> {
    let mut i = 0;
    for want in target.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
        loop {
            while abs.get(i) == Some(&b'/') {
                i += 1;
            }
            let end = abs[i..].iter().position(|&b| b == b'/').map_or(abs.len(), |n| i + n);
            let comp = &abs[i..end];
            i = end;
            match comp {
                b"." => continue,
                c if c == want => break,
                _ => return None,
            }
        }
    }
    let rest = &abs[i..];
    let rest = &rest[rest.iter().position(|&b| b != b'/').unwrap_or(rest.len())..];
    let mut depth = 0usize;
    for c in rest.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => depth = depth.checked_sub(1)?,
            _ => depth += 1,
        }
    }
    Some(rest)
}

/// Is `path` `dir` or under it (both normalised)?
pub(crate) fn is_under(path: &[u8], dir: &[u8]) -> bool {
    dir == b"/" || path == dir || (path.starts_with(dir) && path.get(dir.len()) == Some(&b'/'))
}

fn fd_link(fd: &OwnedFd) -> CString {
    CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap_or_default()
}

/// Does any open descriptor, working directory or mapping of the machine
/// (they are all nommu's own host ones) lie in `m`?
fn in_use(m: &Mount) -> bool {
    let own = m.dir.as_ref().map(|d| d.as_raw_fd());
    let under = |p: &[u8]| Path::new(std::ffi::OsStr::from_bytes(p)).starts_with(&m.host_path);
    use std::os::unix::ffi::OsStrExt;
    if let Ok(list) = std::fs::read_dir("/proc/self/fd") {
        for e in list.flatten() {
            let fd: Option<i32> = e.file_name().to_str().and_then(|s| s.parse().ok());
            if fd.is_none() || fd == own {
                continue;
            }
            if let Ok(target) = std::fs::read_link(e.path()) {
                if under(target.as_os_str().as_bytes()) {
                    return true;
                }
            }
        }
    }
    let maps = std::fs::read("/proc/self/maps").unwrap_or_default();
    maps.split(|&b| b == b'\n').filter_map(|l| l.iter().position(|&b| b == b'/').map(|i| &l[i..])).any(under)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rest_below_a_mount_point() {
        assert_eq!(literal_rest(b"/tmp/m/d/../x/..", b"/tmp/m"), Some(b"d/../x/..".as_slice()));
        assert_eq!(literal_rest(b"//tmp/./m/", b"/tmp/m"), Some(b"".as_slice()));
        assert_eq!(literal_rest(b"/tmp/m/a/", b"/tmp/m"), Some(b"a/".as_slice()));
        assert_eq!(literal_rest(b"/tmp/m/..", b"/tmp/m"), None);
        assert_eq!(literal_rest(b"/tmp/x/../m/a", b"/tmp/m"), None);
        assert_eq!(literal_rest(b"/a", b"/"), Some(b"a".as_slice()));
        assert!(is_under(b"/tmp/m/x", b"/tmp/m") && !is_under(b"/tmp/mx", b"/tmp/m") && is_under(b"/x", b"/"));
    }

    #[test]
    fn a_table_of_memory_and_bind_mounts() {
        let t = Mounts::new();
        assert!(!t.has_dirs());
        assert!(t.locate(c"/tmp/x").unwrap().mount.is_none());
        t.mount_memory(FsType::Tmpfs, b"none", b"/tmp".to_vec(), MS_NOSUID, MemOpts::default(), 1 << 30).unwrap();
        t.mount_memory(FsType::Ramfs, b"r", b"/tmp/r".to_vec(), 0, MemOpts::default(), 1 << 30).unwrap();
        assert!(t.has_dirs() && t.any_below(b"/") && !t.any_below(b"/tmp/r"));
        let at = t.locate(c"/tmp/a/../b/").unwrap();
        assert_eq!((at.mount.unwrap().kind, at.path.to_bytes()), (FsType::Tmpfs, b"a/../b/".as_slice()));
        let at = t.locate(c"/tmp/r").unwrap();
        assert_eq!((at.mount.unwrap().kind, at.path.to_bytes()), (FsType::Ramfs, b".".as_slice()));
        assert!(t.locate(c"/tmp/..//etc").unwrap().mount.is_none());
        assert!(t.locate(c"/tmpx").unwrap().mount.is_none());
        // Host paths map back through the mounts.
        let tmp = t.mounted_on(b"/tmp").unwrap();
        assert_eq!(t.guest_path_of_host(&tmp.host_path.join("d/f")), Some(b"/tmp/d/f".to_vec()));
        assert_eq!(t.guest_path_of_host(&tmp.host_path), Some(b"/tmp".to_vec()));
        assert_eq!(tmp.parent, ROOT_ID);
        assert_eq!(t.mounted_on(b"/tmp/r").unwrap().parent, tmp.id);
        // Busy while another mount is on it, or a descriptor is in it.
        assert_eq!(t.unmount(b"/tmp", false), Err(Errno::EBUSY));
        let r = t.mounted_on(b"/tmp/r").unwrap();
        let f = std::fs::File::create(r.host_path.join("x")).unwrap();
        assert_eq!(t.unmount(b"/tmp/r", false), Err(Errno::EBUSY));
        drop(f);
        drop(r);
        assert_eq!(t.unmount(b"/tmp/r", false), Ok(()));
        assert_eq!(t.unmount(b"/tmp/r", false), Err(Errno::EINVAL));
        assert_eq!(t.unmount(b"/", false), Err(Errno::EBUSY));
        // A lazy unmount takes what is under it too.
        t.mount_memory(FsType::Tmpfs, b"none", b"/tmp/s".to_vec(), 0, MemOpts::default(), 1 << 30).unwrap();
        let host = tmp.host_path.clone();
        drop(tmp);
        assert_eq!(t.unmount(b"/tmp", true), Ok(()));
        assert!(t.mounted_on(b"/tmp/s").is_none() && !t.has_dirs() && !host.exists());
        assert_eq!(t.list().len(), 3);
        t.clean_up();
    }
}
