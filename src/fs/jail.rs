//! chroot(2): a process's own root directory (a "jail").
//!
//! A process's paths are relative to its root. The kernel keeps a jailed
//! process's paths in the process's own terms (as the guest sees them) and
//! `HostRoot` translates at the host walk: an absolute path is walked by
//! the host from the jail's `O_PATH` handle with `RESOLVE_IN_ROOT`, so
//! `..` stops at the jail and absolute symlinks resolve inside it; a mount
//! inside the jail is found by the jail's machine path plus the path
//! (`Jail::machine_path`). Host paths shown back (getcwd, /proc links) are
//! cut to the jail (`Jail::inside`).
//!
//! Which jail applies is the calling thread's: the dispatcher sets it
//! (`set_current`) before each syscall once any process has chrooted
//! (`HostRoot::any_jail`), so walks cost nothing more before then.

use std::cell::RefCell;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A process's root directory other than the machine's.
#[derive(Debug)]
pub struct Jail {
    /// Its normalised machine path (as an unjailed process names it).
    pub path: Vec<u8>,
    /// Its host path (host paths map back through it).
    pub host_path: PathBuf,
    /// An `O_PATH` handle on it: the anchor of absolute walks.
    pub fd: OwnedFd,
    /// A proc mount on its `/proc`, a devtmpfs on its `/dev` (else those
    /// names are the jail's own directories, as on Linux).
    pub proc: AtomicBool,
    pub dev: AtomicBool,
}

impl Jail {
    /// The normalised machine path of the process path `abs` (clamped to
    /// the jail, as `..` at the root stays there).
    pub(crate) fn machine_path(&self, abs: &[u8]) -> Vec<u8> {
        let norm = super::path::normalize(abs);
        if self.path == b"/" {
            return norm;
        }
        if norm == b"/" {
            return self.path.clone();
        }
        [self.path.as_slice(), &norm].concat()
    }

    /// The process path of the normalised machine path `machine`, if it
    /// lies in the jail.
    pub(crate) fn inside(&self, machine: &[u8]) -> Option<Vec<u8>> {
        if self.path == b"/" {
            return Some(machine.to_vec());
        }
        if !super::mounts::is_under(machine, &self.path) {
            return None;
        }
        let rest = &machine[self.path.len()..];
        Some(if rest.is_empty() { b"/".to_vec() } else { rest.to_vec() })
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Jail>>> = const { RefCell::new(None) };
}

/// Makes `jail` the calling thread's root (None: the machine's).
pub(crate) fn set_current(jail: Option<Arc<Jail>>) {
    CURRENT.with(|c| *c.borrow_mut() = jail);
}

/// The calling thread's jail, if it has one.
pub(crate) fn current() -> Option<Arc<Jail>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Is `fs` (/proc or /dev) hidden from the calling thread (a jail without
/// that mount)?
pub(crate) fn hides(fs: super::path::Fs) -> bool {
    CURRENT.with(|c| match &*c.borrow() {
        None => false,
        Some(j) => match fs {
            super::path::Fs::Proc => !j.proc.load(Ordering::Relaxed),
            super::path::Fs::Dev => !j.dev.load(Ordering::Relaxed),
            super::path::Fs::Host => false,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_and_out_of_a_jail() {
        let fd = crate::arch::host::open(c"/", libc::O_PATH, 0).unwrap();
        let j = Jail { path: b"/j".to_vec(), host_path: "/".into(), fd, proc: false.into(), dev: false.into() };
        assert_eq!(j.machine_path(b"/a/../../b"), b"/j/b");
        assert_eq!(j.machine_path(b"/.."), b"/j");
        assert_eq!(j.inside(b"/j/x"), Some(b"/x".to_vec()));
        assert_eq!(j.inside(b"/j"), Some(b"/".to_vec()));
        assert_eq!(j.inside(b"/jx"), None);
        assert_eq!(j.inside(b"/"), None);
    }
}
