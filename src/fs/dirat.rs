//! Lookups relative to an open host directory (`fstatat(dirfd, "name")`,
//! `openat(dirfd, "name")`, what `find`, `ls -l` and `du` do per entry)
//! made by the host from the directory's own handle, as Linux walks from
//! the directory object a dirfd holds wherever it has moved since.
//!
//! Whether that is allowed depends on where the directory is in the
//! machine's tree: not the root (its `proc` and `dev` are the kernel's),
//! not under /proc or /dev, no mount beneath it (a name there may be in
//! another file system), and whether its mount is read-only. Working that
//! out needs the directory's current path, a readlink of
//! /proc/self/fd/N (~2 µs): it is asked once and kept in the open file
//! description, valid while the directory cache's generation is the one
//! read before the readlink. Every guest rename, unlink, rmdir, mount,
//! umount, chroot and chmod bumps that generation (`dcache`), so a kept
//! answer never outlives a change to where the directory is.
//!
//! `NOMMU_DIRFD_HANDLE=0` switches this off: every lookup from a
//! directory descriptor works out the directory's path and walks it in
//! full from the root, as before.

use super::file::{FileKind, OpenFile};
use super::path::{self, Fs};
use super::root::HostRoot;
use crate::abi::fcntl::AT_EMPTY_PATH;
use crate::abi::mount::MS_RDONLY;
use crate::abi::stat::{S_IFDIR, S_IFMT};
use crate::arch::host;
use std::os::fd::AsRawFd;

/// Lookups from a directory's handle, unless `NOMMU_DIRFD_HANDLE=0`.
fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| crate::arch::switches::var_os("NOMMU_DIRFD_HANDLE").is_none_or(|v| v != "0"))
}

/// What an open host directory's lookups need, as of one generation.
#[derive(Debug, Default)]
pub(crate) struct DirAt {
    /// The directory cache's generation this was worked out at, plus one
    /// (0: not yet).
    generation: u64,
    /// Names beneath it may be looked up from its handle.
    usable: bool,
    /// It is in a read-only mount.
    read_only: bool,
    /// Its machine path.
    path: Vec<u8>,
}

/// A host directory whose lookups the host may make from its handle.
pub(crate) struct Usable {
    /// In a read-only mount (EROFS for opens that write or create).
    pub read_only: bool,
}

impl HostRoot {
    /// Whether names beneath the open file `f` may be looked up from its
    /// host handle (`None`: take the full walk, which also gives the
    /// errors of a descriptor that is not a directory). Never for a
    /// jailed machine (the jail decides what a path names).
    pub(crate) fn dir_at(&self, f: &OpenFile) -> Option<Usable> {
        let FileKind::Host(fd) = &f.kind else { return None };
        if self.any_jail() || !enabled() {
            return None;
        }
        let generation = self.dirs.generation() + 1;
        let mut at = f.dir_at.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        if at.generation != generation {
            *at = self.work_out(fd.as_raw_fd(), generation);
        }
        at.usable.then_some(Usable { read_only: at.read_only })
    }

    /// The machine path of `rel` beneath the directory `f`, by the path
    /// `dir_at` last worked out (call after it said `f` is usable).
    pub(crate) fn dir_at_join(&self, f: &OpenFile, rel: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.dir_at_join_into(&mut out, f, rel);
        out
    }

    /// `dir_at_join`, appended to `out`.
    pub(crate) fn dir_at_join_into(&self, out: &mut Vec<u8>, f: &OpenFile, rel: &[u8]) {
        match f.dir_at.get() {
            Some(at) => path::join_into(out, &at.lock().unwrap_or_else(|e| e.into_inner()).path, rel),
            None => out.extend_from_slice(rel),
        }
    }

    /// `DirAt` of the host descriptor `fd`, now.
    fn work_out(&self, fd: i32, generation: u64) -> DirAt {
        let no = DirAt { generation, ..DirAt::default() };
        match host::fstatat(fd, c"", AT_EMPTY_PATH) {
            Ok(st) if st.st_mode & S_IFMT == S_IFDIR => {}
            _ => return no,
        }
        let Some(path) = self.machine_path_of(fd) else { return no };
        if path.as_slice() == b"/" || path::classify(&path) != Fs::Host || self.mounts.any_below(&path) {
            return no;
        }
        let read_only = self.mounts.has_dirs() && self.mounts.mount_of(&path).flags() & MS_RDONLY != 0;
        DirAt { generation, usable: true, read_only, path }
    }
}
