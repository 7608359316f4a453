//! What a walk through a generated file system (/proc, /dev) finds, and
//! the interface through which the VFS walks /proc.
//!
//! /proc is generated from kernel objects (processes, tasks, memory), which
//! live in a layer above this one: the kernel implements `ProcFs`
//! (`kernel::procfs`) and hands it to the walk, so `fs` needs nothing from
//! the kernel.

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
    /// Shown target (readlink) and where following it leads.
    Link(Vec<u8>, LinkTarget),
    /// A host device node, opened on the host (/dev/null, ...).
    HostDevice(&'static std::ffi::CStr),
    /// The machine console.
    Console,
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
}
