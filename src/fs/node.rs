//! What a walk through a generated file system (/proc, /dev) finds, and
//! the interface through which the VFS walks /proc and /dev/pts.
//!
//! /proc is generated from kernel objects (processes, tasks, memory), which
//! live in a layer above this one: the kernel implements `ProcFs`
//! (`kernel::procfs`) and hands it to the walk, so `fs` needs nothing from
//! the kernel. The same view says which ptys are the machine's (/dev/pts)
//! and which terminal is the caller's controlling terminal (/dev/tty).

use super::file::{DirEntry, OpenFile};
use crate::errno::SysResult;
use std::sync::Arc;

/// What a symlink leads to when followed.
#[derive(Debug)]
pub enum LinkTarget {
    /// Another guest path.
    Path(Vec<u8>),
    /// An open file (/proc/<pid>/fd/N): reopened, as Linux does.
    File(Arc<OpenFile>),
}

/// A generated entry.
#[derive(Debug)]
pub enum Node {
    Dir(Vec<DirEntry>),
    File(Vec<u8>),
    /// A generated file that may also be written (/proc/sys tunables):
    /// what it reads now. Writes go to the kernel (`kernel::procsys`).
    Tunable(Vec<u8>),
    /// Shown target (readlink) and where following it leads.
    Link(Vec<u8>, LinkTarget),
    /// A host device node, opened on the host (/dev/null, ...).
    HostDevice(&'static std::ffi::CStr),
    /// The machine console (`fs::console`).
    Console,
    /// /dev/tty: the caller's controlling terminal to open (none: ENXIO),
    /// the host's /dev/tty node (5,0) to `stat`.
    Tty(Option<Ctty>),
    /// The kernel log (`ProcFs::open_kmsg`).
    Kmsg,
    /// A pseudo-terminal: the host's, opened on the host.
    Pty(PtyNode),
}

/// The pty nodes of /dev.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtyNode {
    /// /dev/ptmx or /dev/pts/ptmx (the host path): a new pty master.
    Master(&'static std::ffi::CStr),
    /// /dev/pts/N, a slave of one of the machine's ptys.
    Slave(u32),
}

/// One step of a walk through a generated file system.
#[derive(Debug)]
pub enum Step {
    Node(Node),
    /// The walk continues at another absolute guest path (a symlink in the
    /// middle of the path).
    Redirect(Vec<u8>),
}

/// /proc as one process sees it (`self`, and which process is running).
pub trait ProcFs {
    /// The node at `comps`, the path's components below /proc (none for
    /// /proc itself).
    fn lookup(&self, comps: &[&[u8]]) -> SysResult<Step>;

    /// The numbers of the machine's ptys (/dev/pts/N).
    fn ptys(&self) -> Vec<u32>;

    /// The caller's controlling terminal, if it has one.
    fn ctty(&self) -> Option<Ctty>;

    /// Opens /dev/kmsg, the machine's kernel log, known by `path`.
    fn open_kmsg(&self, flags: i32, path: Vec<u8>) -> SysResult<OpenFile>;
}

/// A controlling terminal: what /dev/tty opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctty {
    /// The console (`fs::console`).
    Console,
    /// The slave of the machine's pty N.
    Pty(u32),
}
