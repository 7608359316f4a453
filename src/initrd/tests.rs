//! The unpacker against an in-memory sink: every entry kind, the layers,
//! the errors, and mutated archives (which must give errors, not panics).

use super::newc::{write_entry, write_trailer, Entry};
use super::*;
use crate::abi::stat::{S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG};
use std::collections::BTreeMap;
use std::io::{self, Write};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Dir,
    File(Vec<u8>),
    Link(Vec<u8>),
    Node(u32, (u32, u32)),
}

#[derive(Debug, Clone)]
struct Inode {
    kind: Kind,
    meta: Option<Meta>,
}

/// A file system in memory: names -> inode numbers -> inodes.
#[derive(Default)]
struct MemSink {
    names: BTreeMap<Vec<u8>, usize>,
    inodes: Vec<Inode>,
    refuse_devices: bool,
}

impl MemSink {
    fn parent_ok(&self, path: &[u8]) -> io::Result<()> {
        match path.iter().rposition(|&b| b == b'/') {
            None => Ok(()),
            Some(i) => match self.names.get(&path[..i]).map(|&n| &self.inodes[n].kind) {
                Some(Kind::Dir) => Ok(()),
                _ => Err(io::ErrorKind::NotFound.into()),
            },
        }
    }
    fn put(&mut self, path: &[u8], kind: Kind) -> io::Result<()> {
        self.parent_ok(path)?;
        self.inodes.push(Inode { kind, meta: None });
        self.names.insert(path.to_vec(), self.inodes.len() - 1);
        Ok(())
    }
    fn get(&self, path: &str) -> Option<&Inode> {
        self.names.get(path.as_bytes()).map(|&n| &self.inodes[n])
    }
    fn ino(&self, path: &str) -> usize {
        self.names[path.as_bytes()]
    }
}

impl Sink for MemSink {
    fn mkdir(&mut self, path: &[u8]) -> io::Result<()> {
        if let Some(i) = self.names.get(path).map(|&n| &self.inodes[n]) {
            return if i.kind == Kind::Dir { Ok(()) } else { Err(io::ErrorKind::AlreadyExists.into()) };
        }
        self.put(path, Kind::Dir)
    }
    fn file(&mut self, path: &[u8], data: &[u8]) -> io::Result<()> {
        self.put(path, Kind::File(data.to_vec()))
    }
    fn symlink(&mut self, path: &[u8], target: &[u8]) -> io::Result<()> {
        self.put(path, Kind::Link(target.to_vec()))
    }
    fn hard_link(&mut self, existing: &[u8], path: &[u8]) -> io::Result<()> {
        self.parent_ok(path)?;
        let n = *self.names.get(existing).ok_or(io::ErrorKind::NotFound)?;
        self.names.insert(path.to_vec(), n);
        Ok(())
    }
    fn write_data(&mut self, path: &[u8], data: &[u8]) -> io::Result<()> {
        let n = *self.names.get(path).ok_or(io::ErrorKind::NotFound)?;
        match &mut self.inodes[n].kind {
            Kind::File(d) => {
                if d.len() < data.len() {
                    d.resize(data.len(), 0);
                }
                d[..data.len()].copy_from_slice(data);
                Ok(())
            }
            _ => Err(io::ErrorKind::InvalidInput.into()),
        }
    }
    fn mknod(&mut self, path: &[u8], mode: u32, rdev: (u32, u32)) -> io::Result<()> {
        if self.refuse_devices && mode & S_IFMT != S_IFIFO {
            return Err(io::ErrorKind::PermissionDenied.into());
        }
        self.put(path, Kind::Node(mode & S_IFMT, rdev))
    }
    fn set_meta(&mut self, path: &[u8], meta: &Meta) -> io::Result<()> {
        if path.is_empty() {
            return Ok(());
        }
        let n = *self.names.get(path).ok_or(io::ErrorKind::NotFound)?;
        self.inodes[n].meta = Some(*meta);
        Ok(())
    }
}

fn entry<'a>(name: &'a str, mode: u32, data: &'a [u8]) -> Entry<'a> {
    Entry { mtime: 1_700_000_000, ..Entry::new(name.as_bytes(), mode, data) }
}

/// A small archive with one entry of each kind.
pub(crate) fn sample(checksum: bool) -> Vec<u8> {
    let mut a = Vec::new();
    let mut ino = 0;
    let mut put = |a: &mut Vec<u8>, mut e: Entry<'_>| {
        ino += 1;
        if e.ino == 0 {
            e.ino = ino;
        }
        write_entry(a, &e, checksum);
    };
    put(&mut a, entry(".", S_IFDIR | 0o755, b""));
    put(&mut a, entry("bin", S_IFDIR | 0o755, b""));
    put(&mut a, Entry { uid: 1000, gid: 100, ..entry("bin/hello", S_IFREG | 0o4755, b"#!/bin/sh\necho hi\n") });
    put(&mut a, entry("init", S_IFLNK | 0o777, b"bin/hello"));
    put(&mut a, entry("dev", S_IFDIR | 0o755, b""));
    put(&mut a, Entry { rdev: (5, 1), ..entry("dev/console", S_IFCHR | 0o600, b"") });
    put(&mut a, entry("dev/fifo", S_IFIFO | 0o644, b""));
    // A hard-link pair as GNU cpio writes it: the data with the last name.
    put(&mut a, Entry { ino: 99, nlink: 2, ..entry("bin/a", S_IFREG | 0o644, b"") });
    put(&mut a, Entry { ino: 99, nlink: 2, ..entry("bin/b", S_IFREG | 0o644, b"shared") });
    put(&mut a, entry("/etc/../../etc/motd", S_IFREG | 0o644, b"hello"));
    write_trailer(&mut a);
    a
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(data).unwrap();
    g.finish().unwrap()
}

fn check_sample(s: &MemSink) {
    assert_eq!(s.get("bin/hello").unwrap().kind, Kind::File(b"#!/bin/sh\necho hi\n".to_vec()));
    let meta = s.get("bin/hello").unwrap().meta.unwrap();
    assert_eq!((meta.mode, meta.uid, meta.gid, meta.mtime), (S_IFREG | 0o4755, 1000, 100, 1_700_000_000));
    assert_eq!(s.get("init").unwrap().kind, Kind::Link(b"bin/hello".to_vec()));
    assert_eq!(s.get("dev/console").unwrap().kind, Kind::Node(S_IFCHR, (5, 1)));
    assert_eq!(s.get("dev/fifo").unwrap().kind, Kind::Node(S_IFIFO, (0, 0)));
    assert_eq!(s.ino("bin/a"), s.ino("bin/b"));
    assert_eq!(s.get("bin/a").unwrap().kind, Kind::File(b"shared".to_vec()));
    assert_eq!(s.get("etc/motd").unwrap().kind, Kind::File(b"hello".to_vec()), "parents made, name cleaned");
    assert_eq!(s.get("bin").unwrap().meta.unwrap().mode, S_IFDIR | 0o755);
}

#[test]
fn every_kind_of_entry() {
    for checksum in [false, true] {
        let mut s = MemSink::default();
        let sum = unpack("t.cpio", &sample(checksum), &mut s).unwrap();
        check_sample(&s);
        assert_eq!(sum.counts.entries, 10);
        assert_eq!(sum.counts.hard_links, 1);
        assert_eq!(sum.layers.archives, 1);
    }
}

#[test]
fn devices_the_sink_refuses_are_skipped() {
    let mut s = MemSink { refuse_devices: true, ..MemSink::default() };
    let sum = unpack("t.cpio", &sample(false), &mut s).unwrap();
    assert_eq!(sum.counts.skipped, 1);
    assert!(s.get("dev/console").is_none());
    assert!(s.get("dev/fifo").is_some());
}

#[test]
fn concatenated_plain_and_gzip_archives() {
    let mut early = Vec::new();
    write_entry(&mut early, &entry("kernel", S_IFDIR | 0o755, b""), false);
    write_entry(&mut early, &entry("kernel/ucode.bin", S_IFREG | 0o644, b"UCODE"), false);
    write_trailer(&mut early);
    early.resize(early.len() + 512, 0);
    let mut file = early.clone();
    file.extend(gzip(&sample(false)));
    file.extend([0u8; 7]);
    let mut both = sample(true);
    both.extend(&early);
    file.extend(gzip(&both));
    let mut s = MemSink::default();
    let sum = unpack("t.cpio.gz", &file, &mut s).unwrap();
    check_sample(&s);
    assert_eq!(s.get("kernel/ucode.bin").unwrap().kind, Kind::File(b"UCODE".to_vec()));
    assert_eq!((sum.layers.archives, sum.layers.gzip_members), (4, 2));
}

fn error_of(data: &[u8]) -> String {
    unpack("x.img", data, &mut MemSink::default()).unwrap_err().to_string()
}

#[test]
fn errors_name_file_and_offset() {
    let plain = sample(false);
    let mut bad = plain.clone();
    bad.extend(b"JUNKJUNK");
    let at = plain.len();
    assert_eq!(
        error_of(&bad),
        format!("initrd x.img: bad magic \"JUNKJU\" (neither a newc cpio header \"070701\" nor gzip) at offset {at}")
    );
    let gz = gzip(&bad);
    assert_eq!(
        error_of(&gz),
        format!(
            "initrd x.img: bad magic \"JUNKJU\" in the uncompressed data (expected a newc cpio header \"070701\" or NUL padding) at offset {at} of the data uncompressed from the gzip stream at offset 0"
        )
    );
    assert!(
        error_of(&gz[..gz.len() - 20]).starts_with("initrd x.img: truncated gzip stream at offset 0"),
        "{}",
        error_of(&gz[..gz.len() - 20])
    );
    let mut corrupt = gzip(&plain);
    let n = corrupt.len();
    corrupt[n - 6] ^= 0xff; // the CRC
    assert!(error_of(&corrupt).starts_with("initrd x.img: bad gzip stream: "), "{}", error_of(&corrupt));
    assert!(error_of(&plain[..plain.len() - 200]).contains("truncated"));
    assert!(error_of(b"\xfd7zXZ\0rest").contains("xz-compressed data"));
    assert_eq!(error_of(b""), "initrd x.img: empty file at offset 0");
}

/// A tiny xorshift generator: the mutations are the same on every run.
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

pub(crate) fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut m = base.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 => {
                let i = rng.below(m.len());
                m[i] = rng.next() as u8;
            }
            1 => {
                // A hex digit of some header field, to reach the sizes.
                let i = rng.below(m.len());
                m[i] = b"0123456789abcdefF"[rng.below(17)];
            }
            2 => m.truncate(rng.below(m.len() + 1)),
            3 => {
                let i = rng.below(m.len());
                let n = rng.below(16);
                m.splice(i..i, std::iter::repeat_n(rng.next() as u8, n));
            }
            _ => {
                let i = rng.below(m.len());
                let j = (i + rng.below(64)).min(m.len());
                m.drain(i..j);
            }
        }
        if m.is_empty() {
            break;
        }
    }
    m
}

/// Mutated archives, plain and gzip'd: each unpacks or fails, never panics.
#[test]
fn mutated_archives_never_panic() {
    let iters: usize = std::env::var("NOMMU_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let plain = sample(true);
    let mut two = sample(false);
    two.extend(gzip(&sample(true)));
    let mut errors = 0;
    for i in 0..iters {
        let m = match i % 3 {
            0 => mutate(&mut rng, &plain),
            1 => mutate(&mut rng, &two),
            _ => gzip(&mutate(&mut rng, &plain)),
        };
        match unpack("fuzz", &m, &mut MemSink::default()) {
            Ok(_) => {}
            Err(e) => {
                errors += 1;
                assert!(e.to_string().starts_with("initrd fuzz: ") && !e.to_string().contains('\n'), "{e}");
            }
        }
    }
    assert!(errors > iters / 4, "the mutations should break most archives ({errors} of {iters})");
}
