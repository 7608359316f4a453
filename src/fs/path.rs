//! Guest path strings: joining, lexical classification, splitting.
//!
//! The host kernel does the real walk (openat2 with RESOLVE_IN_ROOT), so
//! symlinks and `..` behave exactly as on Linux. Lexical normalisation is
//! only used to decide which file system a path belongs to: the host
//! directory, or the kernel's own /proc and /dev.

use std::ffi::{CStr, CString};

/// PATH_MAX, including the terminating NUL.
pub(crate) use crate::abi::consts::PATH_MAX;
pub(crate) use crate::pathname::components;

/// Path arguments up to this length (NUL included) stay on the stack.
/// (Small enough that the compiler zeroes a `PathArg` with a few stores:
/// at 256 it calls `memset`, musl's `rep stosq`, slow to start.)
pub(crate) const INLINE_PATH: usize = 240;

/// A path argument as the guest passed it: on the stack when short (nearly
/// always), so that an absolute path in the host root reaches the host
/// without touching the heap. Filled in place (`SyscallCtx::read_path`):
/// it is too big to move around cheaply.
#[derive(Default)]
pub struct PathArg {
    /// The path, when it fits (`SyscallCtx::read_path`).
    pub(crate) inline: crate::mm::cstrbuf::CStrBuf<INLINE_PATH>,
    /// A path too long for `inline`.
    pub heap: Option<CString>,
}

impl PathArg {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match &self.heap {
            Some(c) => c.as_bytes(),
            None => self.inline.as_bytes(),
        }
    }

    pub(crate) fn as_cstr(&self) -> &CStr {
        match &self.heap {
            Some(c) => c.as_c_str(),
            None => self.inline.as_cstr(),
        }
    }

    /// The path as an owned vector (with room for a NUL).
    pub(crate) fn take_vec(&mut self) -> Vec<u8> {
        match self.heap.take() {
            Some(c) => c.into_bytes(),
            None => {
                let bytes = self.inline.as_bytes();
                let mut v = Vec::with_capacity(bytes.len() + 1);
                v.extend_from_slice(bytes);
                v
            }
        }
    }
}

/// Which file system a path lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fs {
    /// The host root directory.
    Host,
    /// The kernel's /proc.
    Proc,
    /// The kernel's /dev.
    Dev,
}

/// `path` made absolute against `base` (an absolute guest directory path).
/// The result has room for a terminating NUL (a `CString` without copying).
pub(crate) fn join(base: &[u8], path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(base.len() + path.len() + 2);
    join_into(&mut out, base, path);
    out
}

/// `join`, appended to `out` (a buffer kept for reuse).
pub(crate) fn join_into(out: &mut Vec<u8>, base: &[u8], path: &[u8]) {
    if path.first() == Some(&b'/') {
        out.extend_from_slice(path);
        return;
    }
    out.extend_from_slice(base);
    if out.last() != Some(&b'/') {
        out.push(b'/');
    }
    out.extend_from_slice(path);
}

/// `components` into `stack` when they fit (nearly always: /proc and /dev
/// paths are short), else on the heap; `f` gets them either way.
pub(crate) fn with_components<R>(abs: &[u8], f: impl FnOnce(&[&[u8]]) -> R) -> R {
    let mut stack: [&[u8]; 16] = [&[]; 16];
    let mut n = 0usize;
    for c in abs.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => n = n.saturating_sub(1),
            c if n < stack.len() => {
                stack[n] = c;
                n += 1;
            }
            _ => return f(&components(abs)),
        }
    }
    f(&stack[..n])
}

/// Is `abs` already normalised: "/" or "/name/name..." with no empty,
/// "." or ".." component and no trailing slash?
fn is_normal(abs: &[u8]) -> bool {
    if abs == b"/" {
        return true;
    }
    abs.first() == Some(&b'/') && abs[1..].split(|&b| b == b'/').all(|c| !matches!(c, b"" | b"." | b".."))
}

/// The normalised absolute path ("/" for the root).
pub(crate) fn normalize(abs: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(abs.len() + 1);
    if is_normal(abs) {
        out.extend_from_slice(abs);
        return out;
    }
    for c in abs.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                let cut = out.iter().rposition(|&b| b == b'/').unwrap_or(0);
                out.truncate(cut);
            }
            c => {
                out.push(b'/');
                out.extend_from_slice(c);
            }
        }
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// The file system an absolute path belongs to, decided by the first
/// components of its normalised form (without building it). Under /dev,
/// the names the kernel generates are its own; any other name is the
/// root's (`/dev/shm`, `/dev/log`, …), as if the generated devices were
/// mounted over the root's /dev.
pub(crate) fn classify(abs: &[u8]) -> Fs {
    if !abs.contains(&b'.') {
        // No `.` or `..` component (the common case, found by one memchr):
        // the first components are the ones written.
        let mut names = abs.split(|&b| b == b'/').filter(|c| !c.is_empty());
        let fs = match names.next() {
            Some(b"proc") => Fs::Proc,
            Some(b"dev") => match names.next() {
                None => Fs::Dev,
                Some(name) if super::devfs::generates(name) => Fs::Dev,
                Some(_) => Fs::Host,
            },
            _ => Fs::Host,
        };
        return if fs != Fs::Host && super::jail::hides(fs) { Fs::Host } else { fs };
    }
    classify_walk(abs)
}

/// `classify` for any path: its components walked, `.` and `..` applied.
fn classify_walk(abs: &[u8]) -> Fs {
    let (mut depth, mut first, mut second) = (0usize, 0..0, 0..0);
    let mut i = 0;
    while i < abs.len() {
        if abs[i] == b'/' {
            i += 1;
            continue;
        }
        let start = i;
        while i < abs.len() && abs[i] != b'/' {
            i += 1;
        }
        match &abs[start..i] {
            b"." => {}
            b".." => depth = depth.saturating_sub(1),
            _ => {
                match depth {
                    0 => first = start..i,
                    1 => second = start..i,
                    _ => {}
                }
                depth += 1;
            }
        }
    }
    let fs = match &abs[first] {
        _ if depth == 0 => Fs::Host,
        b"proc" => Fs::Proc,
        b"dev" if depth == 1 || super::devfs::generates(&abs[second]) => Fs::Dev,
        _ => Fs::Host,
    };
    // In a jail, /proc and /dev are the kernel's only where mounted.
    if fs != Fs::Host && super::jail::hides(fs) {
        return Fs::Host;
    }
    fs
}

/// Splits an absolute path into its parent directory and last component.
/// Trailing slashes stay on the last component ("a/b/" -> "a", "b/") so
/// the host applies their meaning (the name must be a directory).
pub(crate) fn split_last(abs: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let trimmed_len = abs.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    if trimmed_len == 0 {
        return (b"/".to_vec(), b".".to_vec());
    }
    let start = abs[..trimmed_len].iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let parent = if start == 0 { b".".to_vec() } else { abs[..start].to_vec() };
    (parent, abs[start..].to_vec())
}

/// True for "." and ".." (with any trailing slashes).
pub(crate) fn is_dot_or_dotdot(name: &[u8]) -> bool {
    let n = name.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    matches!(&name[..n], b"." | b"..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joining_and_classifying() {
        assert_eq!(join(b"/a/b", b"c"), b"/a/b/c");
        assert_eq!(join(b"/", b"c"), b"/c");
        assert_eq!(join(b"/a", b"/x"), b"/x");
        assert_eq!(normalize(b"/a/../../b/./c//"), b"/b/c");
        assert_eq!(normalize(b"/a/.."), b"/");
        assert_eq!(normalize(b"//"), b"/");
        assert_eq!(normalize(b"/proc/self/../1/stat"), b"/proc/1/stat");
        assert_eq!(normalize(b"/a/b"), b"/a/b");
        assert_eq!(normalize(b"/a/b/"), b"/a/b");
        assert_eq!(normalize(b"/a/.b/..c"), b"/a/.b/..c");
        assert_eq!(normalize(b"/a/./b"), b"/a/b");
        assert_eq!(normalize(b"/"), b"/");
        assert!(!is_normal(b"/a/") && !is_normal(b"/.") && !is_normal(b"//a") && is_normal(b"/..a"));
        for p in [&b"/a/.."[..], b"/..", b"/a/./b", b"/a//b", b"", b"a", b"a/b", b"/a/b/.", b"/a/../b"] {
            assert!(!is_normal(p), "{}", String::from_utf8_lossy(p));
        }
        for p in [&b"/"[..], b"/a", b"/a/...", b"/.a", b"/a./b..", b"/etc/passwd", b"/a/.b/..c"] {
            assert!(is_normal(p), "{}", String::from_utf8_lossy(p));
        }
        assert_eq!(components(b"/proc/self/../1/stat"), [b"proc".as_slice(), b"1", b"stat"]);
        let deep = [b"/a".as_slice(); 40].concat();
        for p in [&b"/proc/self/../1/stat"[..], b"/", b"/a/../..", &deep, b"/x/y/z/../w/."] {
            with_components(p, |c| assert_eq!(c, components(p).as_slice()));
        }
        assert_eq!(classify(b"/proc/self/../1/stat"), Fs::Proc);
        assert_eq!(classify(b"/dev"), Fs::Dev);
        assert_eq!(classify(b"/dev/../dev/./null"), Fs::Dev);
        assert_eq!(classify(b"/x/../dev/null"), Fs::Dev);
        assert_eq!(classify(b"/dev/../x"), Fs::Host);
        assert_eq!(classify(b"/../../proc"), Fs::Proc);
        assert_eq!(classify(b"/"), Fs::Host);
        assert_eq!(classify(b"/devx/null"), Fs::Host);
        // The dot-free shortcut answers as the walk does.
        for p in [
            &b"/etc/passwd"[..],
            b"/",
            b"//",
            b"/dev",
            b"/dev/",
            b"//dev//null",
            b"/dev/null/x",
            b"/dev/shm",
            b"/dev/shm/x",
            b"/proc",
            b"/proc/",
            b"/proc/self/fd",
            b"/procx",
            b"/de",
            b"/dev/pts/0",
            b"/x/dev/null",
        ] {
            assert_eq!(classify(p), classify_walk(p), "{}", String::from_utf8_lossy(p));
        }
        assert_eq!(classify(b"/etc/../proc2"), Fs::Host);
        // /dev names the kernel does not generate are the root's.
        assert_eq!(classify(b"/dev/shm/sem.x"), Fs::Host);
        assert_eq!(classify(b"/dev/log"), Fs::Host);
        assert_eq!(classify(b"/dev/pts/3"), Fs::Dev);
        assert_eq!(classify(b"/dev/ptmx"), Fs::Dev);
        assert_eq!(classify(b"/dev/shm/../null"), Fs::Dev);
        assert_eq!(classify(b"/dev/shm/../../dev/fd/1"), Fs::Dev);
        // Same answer as the first normalised component, whatever the path.
        for p in [&b"/a/b/../../proc/x"[..], b"/a/../b/../dev", b"/proc/..", b"/./proc/./", b"/a/b/c/../../.."] {
            let want = match components(p).first().copied() {
                Some(b"proc") => Fs::Proc,
                Some(b"dev") => Fs::Dev,
                _ => Fs::Host,
            };
            assert_eq!(classify(p), want, "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn splitting() {
        assert_eq!(split_last(b"/a/b"), (b"/a/".to_vec(), b"b".to_vec()));
        assert_eq!(split_last(b"/a/b//"), (b"/a/".to_vec(), b"b//".to_vec()));
        assert_eq!(split_last(b"/"), (b"/".to_vec(), b".".to_vec()));
        assert_eq!(split_last(b"/x"), (b"/".to_vec(), b"x".to_vec()));
        assert!(is_dot_or_dotdot(b"../"));
        assert!(!is_dot_or_dotdot(b"..a"));
    }
}
