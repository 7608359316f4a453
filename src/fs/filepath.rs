//! The path an open file is known by (`OpenFile::path`), kept in the file
//! itself when short: most opens name a short path ("/etc/passwd",
//! "/dev/null"), and a heap block for it was an allocation, a copy and a
//! free of every open + close (~10 ns, BENCHMARKS.md round 12). It takes
//! the 24 bytes a `Vec` took, so `OpenFile` stays 128 bytes (moved with a
//! few stores, see `HostIds`).

use std::ops::Deref;

/// Paths up to this long are kept inline.
const INLINE: usize = 22;

#[derive(Clone)]
pub enum FilePath {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl FilePath {
    pub fn new(path: &[u8]) -> FilePath {
        match u8::try_from(path.len()) {
            Ok(len) if path.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..path.len()].copy_from_slice(path);
                FilePath::Inline { len, bytes }
            }
            _ => FilePath::Heap(path.into()),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            FilePath::Inline { len, bytes } => &bytes[..usize::from(*len).min(INLINE)],
            FilePath::Heap(b) => b,
        }
    }
}

impl Deref for FilePath {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl From<Vec<u8>> for FilePath {
    fn from(v: Vec<u8>) -> FilePath {
        if v.len() <= INLINE {
            FilePath::new(&v)
        } else {
            FilePath::Heap(v.into_boxed_slice())
        }
    }
}

impl From<&[u8]> for FilePath {
    fn from(b: &[u8]) -> FilePath {
        FilePath::new(b)
    }
}

impl PartialEq<[u8]> for FilePath {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl std::fmt::Debug for FilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paths_inline_long_ones_on_the_heap_both_whole() {
        assert_eq!(std::mem::size_of::<FilePath>(), 24);
        let long = b"/usr/lib/x86_64-linux-gnu/libc.so.6".to_vec();
        for n in 0..=long.len() {
            let p = &long[..n];
            for f in [FilePath::new(p), FilePath::from(p.to_vec())] {
                assert_eq!(f.as_bytes(), p, "{n}");
                assert_eq!(matches!(f, FilePath::Inline { .. }), n <= INLINE, "{n}");
            }
        }
    }
}
