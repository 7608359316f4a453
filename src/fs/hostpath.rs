//! An absolute path argument looked at once: one pass over its bytes
//! tells which file system it belongs to (`path::classify`) and, when it
//! is normal (no `.`, `..` or empty component, no trailing slash), where
//! its last component starts (`dcache::split`). The directory cache, the
//! open's known-as path and the fast walks then use that answer instead
//! of scanning the path again each (three scans were ~300 instructions of
//! every stat or open of a host path, BENCHMARKS.md round 5).

use super::path::{self, Fs};
use std::ffi::CStr;

/// An absolute guest path in the host root, with what its scan found.
#[derive(Clone, Copy)]
pub(crate) struct HostPath<'a> {
    pub abs: &'a CStr,
    /// Where the last component starts, when the path is normal and has
    /// one (not "/").
    name_at: Option<usize>,
}

impl<'a> HostPath<'a> {
    /// `abs` (absolute, classified as the host root's by the caller),
    /// scanned.
    pub(crate) fn new(abs: &'a CStr) -> HostPath<'a> {
        HostPath { abs, name_at: scan(abs.to_bytes()).1 }
    }

    /// `abs` with `scan`'s answer about it (`name_at`; its file system the
    /// host root's).
    pub(crate) fn scanned(abs: &'a CStr, name_at: Option<usize>) -> HostPath<'a> {
        HostPath { abs, name_at }
    }

    pub(crate) fn as_bytes(&self) -> &'a [u8] {
        self.abs.to_bytes()
    }

    /// Is the path normalised ("/" aside)? Then it is its own
    /// normal form.
    pub(crate) fn is_normal(&self) -> bool {
        self.name_at.is_some()
    }

    /// `dcache::split` of the path: its directory part (the leading slash
    /// kept, "/" for a name in the root) and its last component.
    pub(crate) fn split(&self) -> Option<(&'a [u8], &'a CStr)> {
        let at = self.name_at?;
        let bytes = self.as_bytes();
        let dir = if at == 1 { &bytes[..1] } else { &bytes[..at.saturating_sub(1)] };
        // `CStr`'s own suffix indexing: no scan for the NUL.
        Some((dir, &self.abs[at..]))
    }
}

/// The file system of `abs` (an absolute path), and where its last
/// component starts when it is normal and not "/". `classify`'s answer,
/// from one pass when the path is normal; others take its walk.
pub(crate) fn scan(abs: &[u8]) -> (Fs, Option<usize>) {
    match scan_words(abs) {
        Some(answer) => answer,
        None => scan_bytes(abs),
    }
}

/// Bytes of `w` equal to `c`: 0x80 in each such byte, 0 elsewhere (exact:
/// no carry crosses a byte).
fn bytes_equal(w: u64, c: u8) -> u64 {
    const LOWS: u64 = u64::from_ne_bytes([0x7f; 8]);
    let t = w ^ u64::from_ne_bytes([c; 8]);
    !(((t & LOWS).wrapping_add(LOWS)) | t | LOWS)
}

/// Where the last `/` of `p` is, 8 bytes at a time from the end (a
/// byte loop was ~4 instructions a byte of every cached open).
pub(crate) fn rfind_slash(p: &[u8]) -> Option<usize> {
    let mut end = p.len();
    while let Some(word) = p.get(..end).and_then(|head| head.last_chunk::<8>()) {
        let slashes = bytes_equal(u64::from_le_bytes(*word), b'/');
        if slashes != 0 {
            // The highest flagged byte is the last '/' (little-endian).
            return Some(end - 8 + (63 - slashes.leading_zeros() as usize) / 8);
        }
        end -= 8;
    }
    p[..end].iter().rposition(|&b| b == b'/')
}

/// `scan` of a path with no component that starts with a `.` (so none is
/// `.` or `..`), no empty one and no trailing slash — nearly every path
/// a program passes — eight bytes at a time; `None` for any other path.
fn scan_words(abs: &[u8]) -> Option<(Fs, Option<usize>)> {
    let n = abs.len();
    if n < 2 || abs[0] != b'/' || abs[n - 1] == b'/' {
        return None;
    }
    // Whole words first, then the short last one (if any) as if padded
    // with NULs (neither '/' nor '.'), from the path's last eight bytes
    // when it has eight. Little-endian: byte i of a word is bits 8i..8i+8.
    let tail_word = |at: usize| match abs.last_chunk::<8>() {
        Some(last) => u64::from_le_bytes(*last) >> (8 * (at + 8 - n)),
        None => super::dcache::key_word(&abs[at..]),
    };
    // The flag of a byte that follows a '/', carried from the previous word.
    let mut carry = 0u64;
    let mut last_slash = 0;
    let mut at = 0;
    let mut first = None;
    while at < n {
        let w = match abs.get(at..at + 8).and_then(|c| c.first_chunk::<8>()) {
            Some(full) => u64::from_le_bytes(*full),
            None => tail_word(at),
        };
        first.get_or_insert(w);
        let slashes = bytes_equal(w, b'/');
        let follows_slash = slashes << 8 | carry;
        if follows_slash & (slashes | bytes_equal(w, b'.')) != 0 {
            return None;
        }
        if slashes != 0 {
            last_slash = at + (63 - slashes.leading_zeros() as usize) / 8;
        }
        carry = slashes >> 56;
        at += 8;
    }
    // The first word says whether the path is /proc, /proc/..., /dev or
    // /dev/... (a byte past the end reads as 0: paths hold no NUL).
    let first = first.unwrap_or_default();
    const PROC: u64 = u64::from_le_bytes(*b"/proc\0\0\0");
    const DEV: u64 = u64::from_le_bytes(*b"/dev\0\0\0\0");
    let byte = |i: u32| (first >> (8 * i)) as u8;
    let fs = if first & 0xff_ffff_ffff == PROC && matches!(byte(5), 0 | b'/') {
        Fs::Proc
    } else if first & 0xffff_ffff == DEV && byte(4) == 0 {
        Fs::Dev
    } else if first & 0xffff_ffff == DEV && byte(4) == b'/' {
        dev_or_host(&abs[5..])
    } else {
        return Some((Fs::Host, Some(last_slash + 1)));
    };
    // In a jail, /proc and /dev are the kernel's only where mounted.
    let fs = if super::jail::hides(fs) { Fs::Host } else { fs };
    Some((fs, Some(last_slash + 1)))
}

/// The file system of "/dev/`rest`": the kernel's devices, or the root's
/// files under its /dev.
#[inline(never)]
fn dev_or_host(rest: &[u8]) -> Fs {
    let second = rest.split(|&b| b == b'/').next().unwrap_or_default();
    if super::devfs::generates(second) {
        Fs::Dev
    } else {
        Fs::Host
    }
}

/// `scan` a byte at a time, for any path.
#[inline(never)]
fn scan_bytes(abs: &[u8]) -> (Fs, Option<usize>) {
    if abs.first() != Some(&b'/') {
        return (path::classify(abs), None);
    }
    let n = abs.len();
    let (mut first, mut second, mut count) = (0..0, 0..0, 0usize);
    // The components, each checked as the '/' after it (or the end) is
    // reached; the first two kept for the file system.
    let mut i = 1;
    // Ends with where the last component starts.
    let last = loop {
        let start = i;
        while i < n && abs[i] != b'/' {
            i += 1;
        }
        // Empty, "." or "..": not normal.
        let odd = match i - start {
            0 => true,
            1 => abs[start] == b'.',
            2 => abs[start] == b'.' && abs[start + 1] == b'.',
            _ => false,
        };
        if odd {
            return (path::classify(abs), None);
        }
        match count {
            0 => first = start..i,
            1 => second = start..i,
            _ => {}
        }
        count += 1;
        if i >= n {
            break start;
        }
        i += 1;
    };
    let fs = match &abs[first] {
        b"proc" => Fs::Proc,
        b"dev" if count == 1 || super::devfs::generates(&abs[second]) => Fs::Dev,
        _ => Fs::Host,
    };
    // In a jail, /proc and /dev are the kernel's only where mounted.
    let fs = if fs != Fs::Host && super::jail::hides(fs) { Fs::Host } else { fs };
    (fs, Some(last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::dcache;

    #[test]
    fn one_pass_answers_as_classify_and_split() {
        let deep = [b"/a".as_slice(); 40].concat();
        for p in [
            &b"/etc/passwd"[..],
            b"/",
            b"//",
            b"/x",
            b"/dev",
            b"/dev/",
            b"//dev//null",
            b"/dev/null",
            b"/dev/null/x",
            b"/dev/shm",
            b"/dev/shm/x",
            b"/dev/pts/0",
            b"/dev/../proc",
            b"/proc",
            b"/proc/",
            b"/proc/self/fd",
            b"/procx",
            b"/de",
            b"/x/dev/null",
            b"/a/.b/..c",
            b"/a/./b",
            b"/a/..",
            b"/a/b/",
            b"/..",
            b"/.",
            b"/...",
            b"/etc/../proc/1",
            b"/usr/lib/x86_64-linux-gnu/libc.so.6",
            b"/abcdef/..",
            b"/abcdefg/x",
            b"/abcdef//x",
            b"/abcdefg/",
            b"/1234567/./8",
            b"/123456/proc/../dev/null",
            b"/dev/1234567890/abcdefgh/.",
            b"/proc/self/fd/12345678/..",
            b"/1234567/8",
            b"/1234567/.8",
            b"/123456/.78",
            b"/1234567//8",
            b"/123456789abcde/",
            b"/123456789abcdef/x",
            b"/.bashrc",
            b"/home/user/.profile",
            b"/dev/pts",
            b"/dev/pts/",
            b"/dev/ptsx",
            b"/devx/null",
            b"/proc/1/status",
            b"/procfs/x",
            &deep,
        ] {
            let what = String::from_utf8_lossy(p);
            let (fs, name_at) = scan(p);
            assert_eq!(fs, path::classify(p), "{what}");
            let c = std::ffi::CString::new(p).expect("no NUL");
            let hp = HostPath::new(&c);
            assert_eq!(name_at.is_some(), hp.is_normal(), "{what}");
            let split = hp.split().map(|(d, n)| (d, n.to_bytes()));
            assert_eq!(split, dcache::split(p), "{what}");
        }
    }

    #[test]
    fn words_answer_as_bytes() {
        // Paths over a small alphabet, from a fixed LCG: every mix of
        // slashes, dots and the names /proc and /dev, at every offset
        // within a word.
        let alphabet = b"//..procdevnull/x";
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        let (mut fast_ones, mut tried) = (0, 0);
        while tried < 200_000 {
            tried += 1;
            let len = 1 + next() % 30;
            let mut p = vec![b'/'];
            for _ in 0..len {
                p.push(alphabet[next() % alphabet.len()]);
            }
            if let Some(fast) = scan_words(&p) {
                fast_ones += 1;
                assert_eq!(fast, scan_bytes(&p), "{}", String::from_utf8_lossy(&p));
            }
        }
        assert!(fast_ones > 1000, "only {fast_ones} paths took the word scan");
        for p in
            [&b"/etc/passwd"[..], b"/proc/self/fd", b"/dev/null", b"/dev/shm/x", b"/usr/lib/x86_64-linux-gnu/libc.so.6"]
        {
            assert!(scan_words(p).is_some(), "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn the_last_slash_found_by_words_is_the_last_byte_one() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        for _ in 0..50_000 {
            // 0 to 40 bytes, '/' (and a NUL or 0xff now and then) anywhere.
            let p: Vec<u8> = (0..next() % 41).map(|_| b"/ab.\0\xff/c"[next() % 8]).collect();
            assert_eq!(rfind_slash(&p), p.iter().rposition(|&b| b == b'/'), "{p:?}");
        }
        assert_eq!(rfind_slash(b"/etc/passwd"), Some(4));
        assert_eq!(rfind_slash(b"/usr/lib/x86_64-linux-gnu/libc.so.6"), Some(25));
        assert_eq!(rfind_slash(b"noslash-longer-than-eight"), None);
        assert_eq!(rfind_slash(b""), None);
    }
}
