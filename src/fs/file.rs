//! Open file descriptions: shared by every descriptor dup'ed from one.
//!
//! Most are host descriptors (files and directories of the root, pipes,
//! the terminal, host devices): the host keeps their offset and status
//! flags. The kernel's own /proc and /dev files are generated in memory.

use crate::errno::{Errno, SysResult};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// One entry of a generated directory.
#[derive(Clone, Debug)]
pub struct DirEntry {
    pub ino: u64,
    /// DT_DIR, DT_REG, DT_LNK, ...
    pub kind: u8,
    pub name: Vec<u8>,
}

pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;

#[derive(Debug)]
pub enum FileKind {
    /// A host descriptor.
    Host(OwnedFd),
    /// A generated file: its content as of open (like seq_file).
    Generated(Vec<u8>),
    /// A generated directory listing (refreshed when read from the start).
    Dir(Mutex<Vec<DirEntry>>),
}

#[derive(Debug)]
pub struct OpenFile {
    pub kind: FileKind,
    /// The guest path it was opened by (for dirfd-relative lookups and
    /// /proc/<pid>/fd).
    pub path: Vec<u8>,
    /// Access mode and status flags of generated files (host files keep
    /// theirs in the host).
    flags: AtomicU32,
    /// Offset of generated files.
    pos: Mutex<u64>,
}

impl OpenFile {
    pub fn host(fd: OwnedFd, path: Vec<u8>) -> OpenFile {
        OpenFile { kind: FileKind::Host(fd), path, flags: AtomicU32::new(0), pos: Mutex::new(0) }
    }

    pub fn generated(data: Vec<u8>, path: Vec<u8>, flags: u32) -> OpenFile {
        OpenFile { kind: FileKind::Generated(data), path, flags: AtomicU32::new(flags), pos: Mutex::new(0) }
    }

    pub fn dir(entries: Vec<DirEntry>, path: Vec<u8>, flags: u32) -> OpenFile {
        OpenFile { kind: FileKind::Dir(Mutex::new(entries)), path, flags: AtomicU32::new(flags), pos: Mutex::new(0) }
    }

    /// The host descriptor, or EINVAL for generated files (which callers
    /// handle before asking).
    pub fn host_fd(&self) -> SysResult<RawFd> {
        match &self.kind {
            FileKind::Host(fd) => Ok(fd.as_raw_fd()),
            _ => Err(Errno::EINVAL),
        }
    }

    pub fn is_host(&self) -> bool {
        matches!(self.kind, FileKind::Host(_))
    }

    pub fn is_dir(&self) -> bool {
        matches!(self.kind, FileKind::Dir(_))
    }

    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    pub fn set_flags(&self, f: u32) {
        self.flags.store(f, Ordering::Relaxed)
    }

    pub fn lock_pos(&self) -> std::sync::MutexGuard<'_, u64> {
        self.pos.lock().unwrap_or_else(|e| e.into_inner())
    }
}
