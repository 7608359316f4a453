//! Guest path strings: joining, lexical classification, splitting.
//!
//! The host kernel does the real walk (openat2 with RESOLVE_IN_ROOT), so
//! symlinks and `..` behave exactly as on Linux. Lexical normalisation is
//! only used to decide which file system a path belongs to: the host
//! directory, or the kernel's own /proc and /dev.

use crate::errno::{Errno, SysResult};
use std::ffi::CString;

/// PATH_MAX, including the terminating NUL.
pub const PATH_MAX: usize = 4096;

/// Where a path lives.
#[derive(Debug, PartialEq, Eq)]
pub enum Fs {
    /// In the host root directory; the absolute guest path, as given.
    Host(CString),
    /// Under /proc: the normalised components after "proc".
    Proc(Vec<Vec<u8>>),
    /// Under /dev: the normalised components after "dev".
    Dev(Vec<Vec<u8>>),
}

/// `path` made absolute against `base` (an absolute guest directory path).
pub fn join(base: &[u8], path: &[u8]) -> Vec<u8> {
    if path.first() == Some(&b'/') {
        return path.to_vec();
    }
    let mut out = base.to_vec();
    if out.last() != Some(&b'/') {
        out.push(b'/');
    }
    out.extend_from_slice(path);
    out
}

/// Lexically normalised components of an absolute path.
pub fn components(abs: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for c in abs.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            c => out.push(c.to_vec()),
        }
    }
    out
}

/// The normalised absolute path ("/" for the root).
pub fn normalize(abs: &[u8]) -> Vec<u8> {
    let comps = components(abs);
    if comps.is_empty() {
        return b"/".to_vec();
    }
    let mut out = Vec::new();
    for c in comps {
        out.push(b'/');
        out.extend_from_slice(&c);
    }
    out
}

pub fn classify(abs: &[u8]) -> SysResult<Fs> {
    let mut comps = components(abs);
    match comps.first().map(|c| c.as_slice()) {
        Some(b"proc") => {
            comps.remove(0);
            Ok(Fs::Proc(comps))
        }
        Some(b"dev") => {
            comps.remove(0);
            Ok(Fs::Dev(comps))
        }
        _ => Ok(Fs::Host(CString::new(abs.to_vec()).map_err(|_| Errno::EINVAL)?)),
    }
}

/// Splits an absolute path into its parent directory and last component.
/// Trailing slashes stay on the last component ("a/b/" -> "a", "b/") so
/// the host applies their meaning (the name must be a directory).
pub fn split_last(abs: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let trimmed_len = abs.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    if trimmed_len == 0 {
        return (b"/".to_vec(), b".".to_vec());
    }
    let start = abs[..trimmed_len].iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let parent = if start == 0 { b".".to_vec() } else { abs[..start].to_vec() };
    (parent, abs[start..].to_vec())
}

/// True for "." and ".." (with any trailing slashes).
pub fn is_dot_or_dotdot(name: &[u8]) -> bool {
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
        assert_eq!(classify(b"/proc/self/../1/stat").unwrap(), Fs::Proc(vec![b"1".to_vec(), b"stat".to_vec()]));
        assert_eq!(classify(b"/dev").unwrap(), Fs::Dev(vec![]));
        assert!(matches!(classify(b"/etc/../proc2").unwrap(), Fs::Host(_)));
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
