//! What a walk through a generated file system (/proc, /dev) finds, and
//! the interface through which the VFS walks /proc and /dev/pts.
//!
//! /proc is generated from kernel objects (processes, tasks, memory), which
//! live in a layer above this one: the kernel implements `ProcFs`
//! (`kernel::procfs`) and hands it to the walk, so `fs` needs nothing from
//! the kernel. The same view says which ptys are the machine's (/dev/pts)
//! and which one is the caller's controlling terminal (/dev/tty).

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
    /// The machine console.
    Console,
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
    /// /dev/tty of a process whose controlling terminal is /dev/pts/N.
    Tty(u32),
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

    /// The pty that is the caller's controlling terminal, if one is.
    fn ctty_pty(&self) -> Option<u32>;
}
