//! A program's argument or environment strings as exec carries them: one
//! buffer with each string followed by its NUL — the bytes the new stack
//! holds and `/proc/<pid>/cmdline` and `environ` show — and where each
//! string starts. An execve reads its ~40 strings into two allocations
//! instead of one each (BENCHMARKS.md, issue 17 round 6).

/// Strings, each followed by a NUL, in one buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArgList {
    bytes: Vec<u8>,
    starts: Vec<usize>,
}

impl ArgList {
    pub fn new() -> ArgList {
        ArgList::default()
    }

    /// An empty list with room for `count` strings of `bytes` bytes in all
    /// (their NULs included).
    pub fn with_capacity(count: usize, bytes: usize) -> ArgList {
        ArgList { bytes: Vec::with_capacity(bytes), starts: Vec::with_capacity(count) }
    }

    /// Appends `s` (which holds no NUL: it would end the string early on
    /// the stack).
    pub fn push(&mut self, s: &[u8]) {
        self.starts.push(self.bytes.len());
        self.bytes.extend_from_slice(s);
        self.bytes.push(0);
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// String `i` without its NUL.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i.wrapping_add(1)).copied().unwrap_or(self.bytes.len());
        // Every string is followed by its NUL: end > start.
        self.bytes.get(start..end.saturating_sub(1))
    }

    /// The strings, without their NULs.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Every string followed by its NUL, in order.
    pub fn nul_joined(&self) -> &[u8] {
        &self.bytes
    }

    /// Where string `i` starts in `nul_joined`.
    pub fn offset(&self, i: usize) -> Option<usize> {
        self.starts.get(i).copied()
    }
}

impl<S: AsRef<[u8]>> FromIterator<S> for ArgList {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> ArgList {
        let mut list = ArgList::new();
        for s in iter {
            list.push(s.as_ref());
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_come_back_as_pushed_and_joined_with_nuls() {
        let list: ArgList = ["sh", "", "-c", "echo hi"].into_iter().collect();
        assert_eq!(list.len(), 4);
        assert_eq!(list.iter().collect::<Vec<_>>(), [b"sh".as_slice(), b"", b"-c", b"echo hi"]);
        assert_eq!(list.nul_joined(), b"sh\0\0-c\0echo hi\0");
        assert_eq!((list.offset(2), list.offset(4)), (Some(4), None));
        assert_eq!(list.get(1), Some(b"".as_slice()));
        assert_eq!(list.get(4), None);
        assert!(ArgList::new().is_empty() && ArgList::new().nul_joined().is_empty());
    }
}
