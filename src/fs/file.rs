//! Open file descriptions: shared by every descriptor dup'ed from one.
//!
//! Most are host descriptors (files and directories of the root, pipes,
//! the terminal, host devices): the host keeps their offset and status
//! flags. The kernel's own /proc and /dev files are generated in memory.

use crate::abi::fcntl::AT_EMPTY_PATH;
use crate::abi::ioctl::TCGETS;
use crate::abi::stat::{S_IFCHR, S_IFIFO, S_IFMT, S_IFSOCK};
use crate::errno::{Errno, SysResult};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// One entry of a generated directory.
#[derive(Clone, Debug)]
pub struct DirEntry {
    pub ino: u64,
    /// DT_DIR, DT_REG, DT_LNK, ...
    pub kind: u8,
    pub name: Vec<u8>,
}

#[derive(Debug)]
pub enum FileKind {
    /// A host descriptor.
    Host(crate::arch::hostfd::HostFd),
    /// A generated file: its content as of open (like seq_file).
    Generated(Vec<u8>),
    /// A generated directory listing (refreshed when read from the start).
    /// (Boxed: `OpenFile` small, see `HostIds`.)
    Dir(Box<Mutex<Vec<DirEntry>>>),
}

/// The kernel's own side of a file it builds on a host descriptor (a
/// signalfd over a host eventfd, /dev/kmsg over a pipe): reads and writes
/// go to it, and the host descriptor only carries readiness for poll and
/// epoll.
pub(crate) trait Emulated: std::any::Any + Send + Sync + std::fmt::Debug {
    /// What fstat shows, when it is not the host descriptor's (a device's
    /// type and numbers).
    fn stat(&self) -> Option<super::stat::Stat> {
        None
    }
}

#[derive(Debug)]
pub struct OpenFile {
    pub kind: FileKind,
    /// The guest path it was opened by (for dirfd-relative lookups and
    /// /proc/<pid>/fd).
    pub path: super::filepath::FilePath,
    /// Access mode and status flags of generated files. Host files keep
    /// theirs in the host: for them, the flags nommu added to the guest's
    /// (`looked_up`), which F_GETFL leaves out.
    flags: AtomicU32,
    /// Offset of generated files.
    pos: Mutex<u64>,
    /// Whether I/O on it can block indefinitely: `BLOCKING_UNKNOWN` until
    /// the first I/O asks (`may_block`), so that an open that is never read
    /// or written costs the host no extra calls.
    blocking: AtomicU8,
    /// The kernel's side of an emulated file, if this is one.
    emulated: Option<Arc<dyn Emulated>>,
    /// What is asked of the host about it once (`HostIds`), allocated at
    /// the first ask.
    ids: std::sync::OnceLock<Box<HostIds>>,
    /// A host directory's place in the machine's tree, for lookups
    /// relative to it (`dirat`; set at the first such lookup, so that an
    /// open of anything else costs one word's store for it).
    pub(crate) dir_at: std::sync::OnceLock<Box<Mutex<super::dirat::DirAt>>>,
}

/// What is asked of the host about a file once, kept out of `OpenFile`
/// (which then is 128 bytes: moved with a few stores instead of musl's
/// `memcpy` call, `rep movsq`, slow to start; an open moves it ~5 times,
/// BENCHMARKS.md round 6, paths).
#[derive(Debug, Default)]
struct HostIds {
    /// A socket's family and inode: they never change.
    socket: std::sync::OnceLock<(u16, u64)>,
    /// The file's (st_dev, st_ino) if it is open for writing (exec's
    /// ETXTBSY check): neither the access mode nor the file changes while
    /// it is open.
    write_id: std::sync::OnceLock<Option<(u64, u64)>>,
}

const BLOCKING_UNKNOWN: u8 = 0;
const BLOCKING_NO: u8 = 1;
const BLOCKING_YES: u8 = 2;

impl OpenFile {
    pub(crate) fn host(fd: OwnedFd, path: impl Into<super::filepath::FilePath>) -> OpenFile {
        let blocking = AtomicU8::new(BLOCKING_UNKNOWN);
        OpenFile {
            kind: FileKind::Host(fd.into()),
            path: path.into(),
            flags: AtomicU32::new(0),
            pos: Mutex::new(0),
            blocking,
            emulated: None,
            ids: std::sync::OnceLock::new(),
            dir_at: std::sync::OnceLock::new(),
        }
    }

    /// A host descriptor whose reads wait for an event (eventfd, timerfd, a
    /// signalfd's doorbell): its I/O is interruptible by guest signals.
    /// `emulated`: the kernel's side of it, if it has one.
    pub(crate) fn host_waiting(
        fd: OwnedFd,
        path: impl Into<super::filepath::FilePath>,
        emulated: Option<Arc<dyn Emulated>>,
    ) -> OpenFile {
        OpenFile { emulated, blocking: AtomicU8::new(BLOCKING_YES), ..OpenFile::host(fd, path) }
    }

    pub(crate) fn emulated(&self) -> Option<&Arc<dyn Emulated>> {
        self.emulated.as_ref()
    }

    pub(crate) fn generated(data: Vec<u8>, path: impl Into<super::filepath::FilePath>, flags: u32) -> OpenFile {
        OpenFile::in_memory(FileKind::Generated(data), path, flags)
    }

    pub(crate) fn dir(entries: Vec<DirEntry>, path: impl Into<super::filepath::FilePath>, flags: u32) -> OpenFile {
        OpenFile::in_memory(FileKind::Dir(Box::new(Mutex::new(entries))), path, flags)
    }

    /// A file the kernel generates: it keeps its own flags and offset, and
    /// its I/O never blocks.
    fn in_memory(kind: FileKind, path: impl Into<super::filepath::FilePath>, flags: u32) -> OpenFile {
        let path = path.into();
        OpenFile {
            kind,
            path,
            flags: AtomicU32::new(flags),
            pos: Mutex::new(0),
            blocking: AtomicU8::new(BLOCKING_NO),
            emulated: None,
            ids: std::sync::OnceLock::new(),
            dir_at: std::sync::OnceLock::new(),
        }
    }

    /// I/O on it can block indefinitely (pipe, FIFO, terminal, socket), so
    /// it must be interruptible by guest signals. Asked of the host once,
    /// at the first I/O: an open file's type never changes.
    #[inline]
    pub(crate) fn may_block(&self) -> bool {
        match self.blocking.load(Ordering::Relaxed) {
            BLOCKING_NO => false,
            BLOCKING_YES => true,
            _ => {
                let yes = match &self.kind {
                    FileKind::Host(fd) => host_may_block(fd.as_raw_fd()),
                    _ => false,
                };
                self.blocking.store(if yes { BLOCKING_YES } else { BLOCKING_NO }, Ordering::Relaxed);
                yes
            }
        }
    }

    /// The host descriptor, or EINVAL for generated files (which callers
    /// handle before asking).
    pub(crate) fn host_fd(&self) -> SysResult<RawFd> {
        match &self.kind {
            FileKind::Host(fd) => Ok(fd.as_raw_fd()),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The host descriptor of a plain host file: not emulated, and its I/O
    /// never waits (a regular file, /dev/null, ...), so a read or write is
    /// the host call and nothing else.
    #[inline]
    pub(crate) fn plain_host_fd(&self) -> Option<RawFd> {
        match &self.kind {
            FileKind::Host(fd) if self.emulated.is_none() && self.blocking.load(Ordering::Relaxed) == BLOCKING_NO => {
                Some(fd.as_raw_fd())
            }
            _ => None,
        }
    }

    pub(crate) fn is_host(&self) -> bool {
        matches!(self.kind, FileKind::Host(_))
    }

    pub(crate) fn is_dir(&self) -> bool {
        matches!(self.kind, FileKind::Dir(_))
    }

    /// A socket's family and inode, from `query` the first time.
    pub(crate) fn socket_id<E>(&self, query: impl FnOnce() -> Result<(u16, u64), E>) -> Result<(u16, u64), E> {
        let ids = self.ids.get_or_init(Box::default);
        if let Some(id) = ids.socket.get() {
            return Ok(*id);
        }
        let id = query()?;
        Ok(*ids.socket.get_or_init(|| id))
    }

    /// The (st_dev, st_ino) of a host file open for writing, from `query`
    /// the first time (None: not open for writing, or not a host file).
    pub(crate) fn write_id(&self, query: impl FnOnce(RawFd) -> Option<(u64, u64)>) -> Option<(u64, u64)> {
        let FileKind::Host(fd) = &self.kind else { return None };
        *self.ids.get_or_init(Box::default).write_id.get_or_init(|| query(fd.as_raw_fd()))
    }

    /// `write_id` if it is known already (`None`: not asked yet).
    pub(crate) fn known_write_id(&self) -> Option<Option<(u64, u64)>> {
        if !matches!(self.kind, FileKind::Host(_)) {
            return Some(None);
        }
        self.ids.get().and_then(|ids| ids.write_id.get().copied())
    }

    pub(crate) fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    pub(crate) fn set_flags(&self, f: u32) {
        self.flags.store(f, Ordering::Relaxed)
    }

    /// A host file opened by `fastwalk::lookup_open` (or by a full walk:
    /// `hidden` 0), with the status flags nommu added to the guest's
    /// (`hidden`: `O_NOFOLLOW`), which F_GETFL leaves out, as Linux would
    /// never have set them.
    pub(crate) fn looked_up(fd: OwnedFd, path: impl Into<super::filepath::FilePath>, hidden: u32) -> OpenFile {
        OpenFile { flags: AtomicU32::new(hidden), ..OpenFile::host(fd, path) }
    }

    /// The host status flags F_GETFL leaves out (`looked_up`).
    pub(crate) fn hidden_host_flags(&self) -> u32 {
        match self.kind {
            FileKind::Host(_) => self.flags(),
            _ => 0,
        }
    }

    pub(crate) fn lock_pos(&self) -> std::sync::MutexGuard<'_, u64> {
        self.pos.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// FIFOs and sockets can block; of character devices, terminals (not
/// /dev/null, /dev/zero, /dev/urandom).
fn host_may_block(fd: RawFd) -> bool {
    let mode = crate::arch::host::fstatat(fd, c"", AT_EMPTY_PATH).map_or(0, |st| st.st_mode);
    match mode & S_IFMT {
        S_IFIFO | S_IFSOCK => true,
        S_IFCHR => crate::arch::host::ioctl_buf(fd, TCGETS, &mut [0u8; 64]).is_ok(),
        _ => false,
    }
}

/// The `d_type` of a host directory entry's file type.
pub(crate) fn dirent_type(t: &std::fs::FileType) -> u8 {
    use crate::abi::dirent::{DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN};
    use std::os::unix::fs::FileTypeExt;
    match () {
        _ if t.is_dir() => DT_DIR,
        _ if t.is_file() => DT_REG,
        _ if t.is_symlink() => DT_LNK,
        _ if t.is_char_device() => DT_CHR,
        _ if t.is_block_device() => DT_BLK,
        _ if t.is_fifo() => DT_FIFO,
        _ if t.is_socket() => DT_SOCK,
        _ => DT_UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_enough_to_move_without_memcpy() {
        assert!(std::mem::size_of::<OpenFile>() <= 128, "{}", std::mem::size_of::<OpenFile>());
    }
}
