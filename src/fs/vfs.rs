//! Path walks across the three file systems (host root, /proc, /dev) and
//! the operations that need one: open, stat, readlink. A walk is given the
//! host root and /proc as the calling process sees it (`ProcFs`).

use super::devfs;
use super::file::{FileKind, OpenFile};
use super::filepath::FilePath;
use super::hostpath::HostPath;
use super::node::{Ctty, LinkTarget, Node, ProcFs, PtyNode, Step};
use super::path::{self, Fs};
use super::root::HostRoot;
use super::stat::{synthetic_ino, Stat, PROC_DEV};
use crate::abi::consts::{NAME_MAX, PAGE_SIZE};
use crate::abi::dirent::DT_DIR;
use crate::abi::fcntl::{
    AT_EMPTY_PATH, AT_FDCWD, F_GETFL, MAXSYMLINKS, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOCTTY,
    O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_WRONLY,
};
use crate::abi::magic::PROC_SUPER_MAGIC;
use crate::abi::mount::Statfs;
use crate::abi::stat::{
    S_IALLUGO, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_IRUGO, S_IRUSR, S_IRWXU, S_IRWXUGO, S_IWGRP, S_IWUSR,
    S_IXUGO, S_IXUSR,
};
use crate::abi::types::Stat as AbiStat;
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use std::os::unix::fs::DirEntryExt;
use std::sync::Arc;

/// Where a walk ended.
pub(crate) enum Resolved {
    /// A path in the host root (absolute guest path).
    Host(CString),
    /// A generated node, with the absolute guest path it was reached by
    /// (not normalised yet: `path::normalize` when it is needed).
    Virtual(Node, Vec<u8>),
    /// A link to an open file that is to be followed (reopened).
    OpenFile(Arc<OpenFile>),
}

/// Walks `abs` (an absolute guest path) through /proc and /dev links.
/// With `follow`, a symlink in last position is followed too.
pub(crate) fn resolve(proc: &dyn ProcFs, abs: Vec<u8>, follow: bool) -> SysResult<Resolved> {
    resolve_from(proc, abs, follow).map(|(r, _)| r)
}

/// `resolve`, also returning the path walked from when the walk left it
/// for another (a link under /proc or /dev).
fn resolve_from(proc: &dyn ProcFs, abs: Vec<u8>, follow: bool) -> SysResult<(Resolved, Option<Vec<u8>>)> {
    let mut abs = abs;
    let mut first: Option<Vec<u8>> = None;
    let mut moved_to = |abs: &mut Vec<u8>, next: Vec<u8>| {
        let old = std::mem::replace(abs, next);
        first.get_or_insert(old);
    };
    for _ in 0..MAXSYMLINKS {
        let step = match path::classify(&abs) {
            // `abs` usually has room for the NUL: no copy.
            Fs::Host => return Ok((Resolved::Host(CString::new(abs).map_err(|_| Errno::EINVAL)?), first)),
            Fs::Proc => path::with_components(&abs, |c| proc.lookup(&c[1..]))?,
            Fs::Dev => path::with_components(&abs, |c| devfs::lookup(&c[1..], proc))?,
        };
        match step {
            Step::Redirect(next) => moved_to(&mut abs, next),
            Step::Node(Node::Link(_, LinkTarget::Path(target))) if follow => {
                moved_to(&mut abs, path::join(b"/", &target))
            }
            Step::Node(Node::Link(_, LinkTarget::File(f))) if follow => return Ok((Resolved::OpenFile(f), first)),
            Step::Node(node) => return Ok((Resolved::Virtual(node, abs), first)),
        }
    }
    Err(Errno::ELOOP)
}

/// The file and how the open may wait (a FIFO waits for its other end).
pub(crate) struct OpenRequest {
    pub flags: i32,
    pub mode: u32,
    /// The caller's umask (used only when creating).
    pub umask: u32,
    pub wait: host::Wait,
}

/// open(2) of an absolute guest path.
pub(crate) fn open(root: &HostRoot, proc: &dyn ProcFs, abs: Vec<u8>, req: &OpenRequest) -> SysResult<OpenFile> {
    let flags = req.flags;
    let follow = flags & O_NOFOLLOW == 0;
    let host_flags = flags & !O_CLOEXEC;
    // The path a host file is known by is the one it was opened by (a path
    // in the host root resolves to itself; /proc and /dev links may lead
    // there from elsewhere).
    match resolve_from(proc, abs, follow)? {
        (Resolved::Host(c), original) => {
            open_host_or_node(root, proc, HostPath::new(&c), original.as_deref().unwrap_or(c.as_bytes()), req)
        }
        (Resolved::OpenFile(f), _) => reopen(&f, host_flags, req.wait),
        (Resolved::Virtual(node, reached), _) => {
            if flags & (O_CREAT | O_EXCL) == (O_CREAT | O_EXCL) {
                return Err(Errno::EEXIST);
            }
            open_node(root, proc, node, path::normalize(&reached), req)
        }
    }
}

/// `open_host`, where a guest's device node opens the machine's device.
pub(crate) fn open_host_or_node(
    root: &HostRoot,
    proc: &dyn ProcFs,
    abs: HostPath<'_>,
    opened_as: &[u8],
    req: &OpenRequest,
) -> SysResult<OpenFile> {
    let f = open_host(root, abs, opened_as, req)?;
    with_node_device(root, proc, f, opened_as, req)
}

/// open(2) of the absolute host-root path `abs` as written from its
/// directory's cache entry, read pinned (`HostRoot::open_pinned`) or with
/// a reference (`HostRoot::cached_parent_as_written`): `abs` is then
/// normal (the cache's keys are, and its last component is one plain
/// name), so it is the file's path as it is. `None` when the entry is
/// not cached or the full walk must decide (a symlink to follow, ...).
pub(crate) fn open_cached_as_written(
    root: &HostRoot,
    proc: &dyn ProcFs,
    abs: &CStr,
    req: &OpenRequest,
) -> Option<SysResult<Arc<OpenFile>>> {
    let mode = req.mode & S_IALLUGO & !req.umask;
    let flags = req.flags & !O_CLOEXEC;
    // With pins, their `None` (not cached, or the walk decides) is the
    // answer: asking again under the lock made a second host `openat` of
    // every final symlink.
    let opened = if super::pins::enabled() {
        root.open_pinned(abs, flags, mode, req.wait)?
    } else {
        let (dir, name) = root.cached_parent_as_written(abs)?;
        super::fastwalk::lookup_open(dir.fd.as_raw_fd(), dir.read_only, name, flags, mode, req.wait)?
    };
    let abs = abs.to_bytes();
    // Made in its `Arc` once: a 128-byte `OpenFile` moved through each
    // `Result` and `Option` on the way out was stores, then loads of the
    // same bytes a different width (stalls), ~10 ns an open (round 12).
    Some(opened.and_then(|fd| match node_device(fd.as_raw_fd(), req.flags)? {
        Some(name) => open_node_device(root, proc, name, abs, req).map(Arc::new),
        None => Ok(Arc::new(OpenFile::looked_up(fd, abs, super::fastwalk::hidden_flags(flags)))),
    }))
}

/// A host file opened by `fastwalk::lookup_open`, known by `opened_as`.
pub(crate) fn host_looked_up(
    root: &HostRoot,
    proc: &dyn ProcFs,
    fd: OwnedFd,
    opened_as: &[u8],
    req: &OpenRequest,
) -> SysResult<OpenFile> {
    let norm = path::normalize(opened_as);
    let f = OpenFile::looked_up(fd, norm, super::fastwalk::hidden_flags(req.flags));
    with_node_device(root, proc, f, opened_as, req)
}

/// `f`, or the machine's device when `f` is a guest's device node.
fn with_node_device(
    root: &HostRoot,
    proc: &dyn ProcFs,
    f: OpenFile,
    opened_as: &[u8],
    req: &OpenRequest,
) -> SysResult<OpenFile> {
    let FileKind::Host(fd) = &f.kind else { return Ok(f) };
    match node_device(fd.as_raw_fd(), req.flags)? {
        Some(name) => open_node_device(root, proc, name, opened_as, req),
        None => Ok(f),
    }
}

/// The machine's device `name` (a guest's device node's), opened as
/// `opened_as`.
fn open_node_device(
    root: &HostRoot,
    proc: &dyn ProcFs,
    name: &str,
    opened_as: &[u8],
    req: &OpenRequest,
) -> SysResult<OpenFile> {
    match devfs::lookup(&[name.as_bytes()], proc)? {
        Step::Node(node) => open_node(root, proc, node, path::normalize(opened_as), req),
        _ => Err(Errno::ENXIO),
    }
}

/// A guest's device node (host descriptor `fd`) opens the machine's
/// device of its numbers (`devnode`): its /dev name, or ENXIO. None for
/// any other file.
#[inline]
fn node_device(fd: RawFd, flags: i32) -> SysResult<Option<&'static str>> {
    if !super::devnode::seen() || flags & (O_PATH | O_DIRECTORY) != 0 {
        return Ok(None);
    }
    let st = host::fstatat(fd, c"", AT_EMPTY_PATH)?;
    match super::devnode::of(fd, st.st_mode, st.st_size) {
        Some((kind, rdev)) => super::devnode::device_name(kind, rdev).map(Some),
        None => Ok(None),
    }
}

/// open(2) of a host device the kernel's /dev has (`devfs::plain_host_device`),
/// known by `norm`, as `open` would find it.
pub(crate) fn open_device(_root: &HostRoot, dev: &'static CStr, norm: &[u8], req: &OpenRequest) -> SysResult<OpenFile> {
    if req.flags & (O_CREAT | O_EXCL) == (O_CREAT | O_EXCL) {
        return Err(Errno::EEXIST);
    }
    let (dir, name) = devfs::host_device_at(dev);
    let flags = req.flags & !O_CLOEXEC;
    Ok(OpenFile::host(host::openat_waiting(dir, name, flags, 0, req.wait)?, norm.to_vec()))
}

/// Opens a generated node, known by `norm`.
fn open_node(root: &HostRoot, proc: &dyn ProcFs, node: Node, norm: Vec<u8>, req: &OpenRequest) -> SysResult<OpenFile> {
    let flags = req.flags;
    let host_flags = flags & !O_CLOEXEC;
    let write = flags & O_ACCMODE != O_RDONLY;
    match node {
        Node::File(_) if write => Err(Errno::EACCES),
        Node::File(_) if flags & O_DIRECTORY != 0 => Err(Errno::ENOTDIR),
        Node::File(data) => Ok(OpenFile::generated(data, norm, flags as u32)),
        Node::Tunable(_) if flags & O_DIRECTORY != 0 => Err(Errno::ENOTDIR),
        Node::Tunable(data) => Ok(OpenFile::generated(data, norm, flags as u32)),
        Node::Dir(_) if write => Err(Errno::EISDIR),
        Node::Dir(entries) => {
            let entries = with_roots_dev(root, &norm, entries);
            Ok(OpenFile::dir(entries, norm, flags as u32))
        }
        Node::Link(..) => Err(Errno::ELOOP),
        Node::HostDevice(dev) => {
            let (dir, name) = devfs::host_device_at(dev);
            Ok(OpenFile::host(host::openat_waiting(dir, name, host_flags, 0, req.wait)?, norm))
        }
        Node::Console => Ok(OpenFile::host(super::console::open(host_flags)?, norm)),
        Node::Kmsg => proc.open_kmsg(host_flags, norm),
        Node::Pty(pty) => open_pty(pty, host_flags, req.wait, norm),
        Node::Tty(ctty) => open_tty(ctty, host_flags, req.wait, norm),
    }
}

/// open(2) of `abs`, an absolute path in the host root; the file is known
/// by `opened_as` (normalised here).
pub(crate) fn open_host(
    root: &HostRoot,
    abs: HostPath<'_>,
    opened_as: &[u8],
    req: &OpenRequest,
) -> SysResult<OpenFile> {
    let mode = req.mode & S_IALLUGO & !req.umask;
    let (fd, hidden) = match root.open_cached(abs, req.flags & !O_CLOEXEC, mode, req.wait) {
        Some(r) => (r?, super::fastwalk::hidden_flags(req.flags)),
        None => (root.openat_waiting(abs.abs, req.flags & !O_CLOEXEC, mode, req.wait)?, 0),
    };
    // Opened by its own path (the same slice: no byte compare, musl's is
    // a byte loop), already normal (the scan saw it): a copy.
    let known_as = if abs.is_normal() && std::ptr::eq(opened_as, abs.as_bytes()) {
        FilePath::new(opened_as)
    } else {
        path::normalize(opened_as).into()
    };
    Ok(OpenFile::looked_up(fd, known_as, hidden))
}

/// stat/lstat of `abs`, an absolute path in the host root.
pub(crate) fn stat_host(root: &HostRoot, abs: HostPath<'_>, follow: bool) -> SysResult<AbiStat> {
    let mut st = AbiStat::default();
    stat_host_into(root, abs, follow, &mut st)?;
    Ok(st)
}

/// `stat_host` into `st` (no copies of the 144 bytes on the way).
pub(crate) fn stat_host_into(root: &HostRoot, abs: HostPath<'_>, follow: bool, st: &mut AbiStat) -> SysResult<()> {
    if let Some(r) = root.stat_cached(abs, follow, st) {
        return r;
    }
    root.stat_walk(abs.abs, follow, st)
}

/// Opening /proc/<pid>/fd/N opens the same file anew (its own offset), as
/// Linux does; pipes and terminals included.
fn reopen(f: &OpenFile, flags: i32, wait: host::Wait) -> SysResult<OpenFile> {
    match &f.kind {
        FileKind::Host(fd) => {
            let c = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|_| Errno::EINVAL)?;
            Ok(OpenFile::host(host::open_waiting(&c, flags, 0, wait)?, f.path.clone()))
        }
        FileKind::Generated(data) => Ok(OpenFile::generated(data.clone(), f.path.clone(), flags as u32)),
        FileKind::Dir(entries) => {
            Ok(OpenFile::dir(entries.lock().unwrap_or_else(|e| e.into_inner()).clone(), f.path.clone(), flags as u32))
        }
    }
}

/// The host path of a pty node.
fn pty_host_path(pty: PtyNode) -> SysResult<CString> {
    match pty {
        PtyNode::Master(path) => Ok(path.to_owned()),
        PtyNode::Slave(n) => CString::new(format!("/dev/pts/{n}")).map_err(|_| Errno::EINVAL),
    }
}

/// Opens a pty on the host, never as nommu's own controlling terminal
/// (the machine keeps job control itself). A slave is known by its
/// /dev/pts path however it was reached (/dev/tty included), which is how
/// the kernel tells the machine's terminals apart (`kernel::pty`).
fn open_pty(pty: PtyNode, flags: i32, wait: host::Wait, norm: Vec<u8>) -> SysResult<OpenFile> {
    let path = pty_host_path(pty)?;
    let fd = host::open_waiting(&path, flags | O_NOCTTY, 0, wait)?;
    let known_by = match pty {
        PtyNode::Master(_) => norm,
        PtyNode::Slave(_) => path.into_bytes(),
    };
    Ok(OpenFile::host(fd, known_by))
}

/// Opens /dev/tty: the caller's controlling terminal (Linux's tty_open of
/// 5,0), ENXIO without one; an O_PATH handle is the node's, whatever the
/// caller's terminal.
fn open_tty(ctty: Option<Ctty>, flags: i32, wait: host::Wait, norm: Vec<u8>) -> SysResult<OpenFile> {
    if flags & O_PATH != 0 {
        return Ok(OpenFile::host(host::open(c"/dev/tty", flags, 0)?, norm));
    }
    match ctty {
        Some(Ctty::Console) => Ok(OpenFile::host(super::console::open_tty(flags, wait)?, norm)),
        Some(Ctty::Pty(n)) => open_pty(PtyNode::Slave(n), flags, wait, norm),
        None => Err(Errno::ENXIO),
    }
}

fn virtual_stat(node: &Node, norm: &[u8]) -> Stat {
    let (mode, nlink, size) = match node {
        Node::Dir(e) => {
            // A process's fd/ is its owner's only (dr-x------), as on Linux.
            let perms = if is_fd_dir(norm) { S_IRUSR | S_IXUSR } else { S_IRUGO | S_IXUGO };
            (S_IFDIR | perms, 2 + e.iter().filter(|e| e.kind == DT_DIR).count() as u64, 0)
        }
        Node::File(_) => (S_IFREG | S_IRUGO, 1, 0),
        Node::Tunable(_) => (S_IFREG | S_IRUGO | S_IWUSR, 1, 0),
        Node::Link(_, LinkTarget::File(f)) if is_fd_link(norm) => (S_IFLNK | fd_link_permissions(f), 1, 64),
        // /proc's links report size 0 (readlink says how long they are);
        // /dev's are symlinks of a file system, as long as their target.
        Node::Link(_, _) if norm.starts_with(b"/proc/") => (S_IFLNK | S_IRWXUGO, 1, 0),
        Node::Link(t, _) => (S_IFLNK | S_IRWXUGO, 1, t.len() as i64),
        Node::HostDevice(_) | Node::Console | Node::Pty(_) | Node::Tty(_) => {
            (S_IFCHR | S_IRUSR | S_IWUSR | S_IWGRP, 1, 0)
        }
        Node::Kmsg => return devfs::kmsg_stat(),
    };
    Stat { dev: PROC_DEV, ino: synthetic_ino(norm), nlink, mode, blksize: 1024, size, ..Stat::default() }
}

/// /proc/<pid>/fd/N (or .../task/<tid>/fd/N).
fn is_fd_link(norm: &[u8]) -> bool {
    let mut parts = norm.rsplit(|&b| b == b'/');
    let _fd = parts.next();
    norm.starts_with(b"/proc/") && parts.next() == Some(b"fd".as_slice())
}

/// /proc/<pid>/fd (or .../task/<tid>/fd).
fn is_fd_dir(norm: &[u8]) -> bool {
    norm.starts_with(b"/proc/") && norm.ends_with(b"/fd")
}

/// The permissions of an fd link say how the file was opened, as on
/// Linux: r-x for reading, -wx for writing, rwx for both, none for an
/// O_PATH handle.
fn fd_link_permissions(f: &OpenFile) -> u32 {
    let flags = match &f.kind {
        FileKind::Host(fd) => host::fcntl_int(fd.as_raw_fd(), F_GETFL, 0).unwrap_or(O_RDWR),
        _ => f.flags() as i32,
    };
    if flags & O_PATH != 0 {
        return 0;
    }
    match flags & O_ACCMODE {
        O_RDONLY => S_IRUSR | S_IXUSR,
        O_WRONLY => S_IWUSR | S_IXUSR,
        _ => S_IRWXU,
    }
}

/// stat/lstat of an absolute guest path, as a raw `struct stat`.
pub(crate) fn stat(root: &HostRoot, proc: &dyn ProcFs, abs: Vec<u8>, follow: bool) -> SysResult<AbiStat> {
    match resolve(proc, abs, follow)? {
        Resolved::Host(c) => stat_host(root, HostPath::new(&c), follow),
        Resolved::OpenFile(f) => fstat(&f),
        Resolved::Virtual(Node::HostDevice(dev), _) => {
            let (dir, name) = devfs::host_device_at(dev);
            Ok(host::fstatat(dir, name, 0)?)
        }
        Resolved::Virtual(Node::Pty(pty), _) => Ok(host::fstatat(AT_FDCWD, &pty_host_path(pty)?, 0)?),
        Resolved::Virtual(Node::Tty(_), _) => Ok(host::fstatat(AT_FDCWD, c"/dev/tty", 0)?),
        Resolved::Virtual(Node::Console, reached) => {
            Ok(super::console::node_stat(super::console::name_of(&path::normalize(&reached))))
        }
        Resolved::Virtual(node, reached) => Ok(virtual_stat(&node, &path::normalize(&reached)).to_abi()),
    }
}

/// fstat of an open file.
pub(crate) fn fstat(f: &OpenFile) -> SysResult<AbiStat> {
    if let Some(st) = f.emulated().and_then(|e| e.stat()) {
        return Ok(st.to_abi());
    }
    match &f.kind {
        FileKind::Host(fd) => {
            let mut st = host::fstatat(fd.as_raw_fd(), c"", AT_EMPTY_PATH)?;
            super::console::fix_stat(&f.path, &mut st);
            Ok(st)
        }
        // Like procfs, generated files report size 0.
        FileKind::Generated(_) => Ok(virtual_stat(&Node::File(Vec::new()), &f.path).to_abi()),
        FileKind::Dir(entries) => {
            let entries = entries.lock().unwrap_or_else(|e| e.into_inner()).clone();
            Ok(virtual_stat(&Node::Dir(entries), &f.path).to_abi())
        }
    }
}

/// readlink of an absolute guest path.
pub(crate) fn readlink(root: &HostRoot, proc: &dyn ProcFs, abs: Vec<u8>) -> SysResult<Vec<u8>> {
    match resolve(proc, abs, false)? {
        Resolved::Host(c) => {
            let fd = root.path_fd(&c, false)?;
            let st = host::fstatat(fd.as_raw_fd(), c"", AT_EMPTY_PATH)?;
            if st.st_mode & S_IFMT != S_IFLNK {
                return Err(Errno::EINVAL);
            }
            Ok(host::readlinkat(fd.as_raw_fd(), c"")?)
        }
        Resolved::Virtual(Node::Link(shown, _), _) => Ok(shown),
        _ => Err(Errno::EINVAL),
    }
}

/// The directory chdir(abs) would make current: its absolute guest path,
/// and for host directories an O_PATH handle on it.
pub(crate) fn directory(root: &HostRoot, proc: &dyn ProcFs, abs: Vec<u8>) -> SysResult<(Vec<u8>, Option<OwnedFd>)> {
    let fd = match resolve(proc, abs, true)? {
        Resolved::Host(c) => root.openat(&c, O_PATH | O_DIRECTORY, 0)?,
        Resolved::Virtual(Node::Dir(_), reached) => return Ok((path::normalize(&reached), None)),
        Resolved::OpenFile(f) if f.is_dir() => return Ok((f.path.to_vec(), None)),
        Resolved::OpenFile(f) => match &f.kind {
            FileKind::Host(fd) => {
                let c = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|_| Errno::EINVAL)?;
                host::open(&c, O_PATH | O_DIRECTORY, 0)?
            }
            _ => return Err(Errno::ENOTDIR),
        },
        Resolved::Virtual(..) => return Err(Errno::ENOTDIR),
    };
    let path = root.guest_path_of(fd.as_raw_fd()).unwrap_or_else(|| b"/".to_vec());
    Ok((path, Some(fd)))
}

/// statfs of /proc and /dev.
pub(crate) fn proc_statfs() -> Statfs {
    Statfs { f_type: PROC_SUPER_MAGIC, f_bsize: PAGE_SIZE as i64, f_namelen: NAME_MAX as i64, ..Default::default() }
}

/// The current listing of a generated directory, if it still exists.
pub(crate) fn relist(root: &HostRoot, proc: &dyn ProcFs, path: &[u8]) -> Option<Vec<super::file::DirEntry>> {
    match resolve(proc, path.to_vec(), true).ok()? {
        Resolved::Virtual(Node::Dir(entries), _) => Some(with_roots_dev(root, path, entries)),
        _ => None,
    }
}

/// /dev lists the kernel's devices and the root's own /dev entries that
/// they do not hide (`shm`, `log`, …).
fn with_roots_dev(root: &HostRoot, dir: &[u8], mut entries: Vec<super::file::DirEntry>) -> Vec<super::file::DirEntry> {
    if dir != b"/dev" {
        return entries;
    }
    let Ok(fd) = root.openat(c"/dev", O_RDONLY | O_DIRECTORY, 0) else { return entries };
    let Ok(list) = std::fs::read_dir(format!("/proc/self/fd/{}", fd.as_raw_fd())) else { return entries };
    for e in list.flatten() {
        let name = e.file_name().into_encoded_bytes();
        if devfs::generates(&name) {
            continue;
        }
        let kind = e.file_type().map_or(crate::abi::dirent::DT_UNKNOWN, |t| super::file::dirent_type(&t));
        entries.push(super::file::DirEntry { ino: e.ino(), kind, name });
    }
    entries
}
