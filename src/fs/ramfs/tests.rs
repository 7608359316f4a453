//! The tree an initramfs unpacks into: every entry kind, and nothing it
//! holds can make a later entry land outside it.

use super::*;
use crate::initrd::newc::{write_entry, write_trailer, Entry};
use crate::initrd::tests::{mutate, sample, Rng};

fn base(tag: &str) -> PathBuf {
    let b = std::env::temp_dir().join(format!("nommu-ramfs-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&b);
    std::fs::create_dir_all(&b).unwrap();
    b
}

fn add(a: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]) {
    let e = Entry { ino: a.len() as u32, mtime: 1_000_000, ..Entry::new(name.as_bytes(), mode, data) };
    write_entry(a, &e, false);
}

fn meta(mode: u32) -> Meta {
    Meta { mode, uid: 0, gid: 0, mtime: 1_700_000_000 }
}

#[test]
fn a_tree_built_through_the_sink() {
    let mut t = RamTree::new(64 << 20).unwrap();
    t.mkdir(b"bin").unwrap();
    t.mkdir(b"etc").unwrap();
    t.file(b"bin/busybox", b"\x7fELF...").unwrap();
    t.set_meta(b"bin/busybox", &meta(0o100755)).unwrap();
    t.symlink(b"bin/sh", b"busybox").unwrap();
    t.hard_link(b"bin/busybox", b"bin/bb").unwrap();
    t.mknod(b"etc/fifo", libc::S_IFIFO | 0o600, (0, 0)).unwrap();
    t.set_meta(b"etc", &meta(0o040700)).unwrap();
    t.set_meta(b"", &meta(0o040755)).unwrap();
    let p = t.path().to_path_buf();
    assert_eq!(std::fs::read(p.join("bin/sh")).unwrap(), b"\x7fELF...");
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(p.join("bin/busybox")).unwrap();
    assert_eq!((md.mode() & 0o7777, md.nlink(), md.mtime()), (0o755, 2, 1_700_000_000));
    assert_eq!(std::fs::metadata(p.join("etc")).unwrap().mode() & 0o7777, 0o700);
    assert_eq!(std::fs::symlink_metadata(p.join("etc/fifo")).unwrap().mode() & S_IFMT, libc::S_IFIFO);
    assert!(t.contains(b"/bin/sh") && t.contains(b"/") && !t.contains(b"/nope"));
    // Nothing leaves the tree: a symlink to "/" is the tree's own root.
    t.symlink(b"up", b"/").unwrap();
    t.file(b"up/through-link", b"y").unwrap();
    assert!(p.join("through-link").exists());
    // Where the host has a writable tmpfs, the tree is memory.
    assert_eq!(t.in_memory(), hostmount::memory_dir().tmpfs.in_force());
    let (size, inodes) = (t.rootfs().size, t.rootfs().nr_inodes);
    assert_eq!((size, inodes), (32 << 20, (64 << 20) / 4096 / 2), "half of the machine's memory, as Linux");
    let outer = p.parent().unwrap().to_path_buf();
    drop(t);
    assert!(!outer.exists());
}

/// Symlinks in the archive cannot make a later entry land outside the
/// root; everything stays under `<outer>/root`, which drop removes.
#[test]
fn nothing_leaves_the_root() {
    let b = base("escape");
    let outside = b.join("outside");
    std::fs::create_dir(&outside).unwrap();
    let mut a = Vec::new();
    let target = outside.to_str().unwrap();
    add(&mut a, "abs", 0o120777, target.as_bytes());
    add(&mut a, "abs/file", 0o100644, b"1");
    add(&mut a, "up", 0o120777, b"../../..");
    add(&mut a, "up/file2", 0o100644, b"2");
    add(&mut a, "../../file3", 0o100644, b"3");
    add(&mut a, "dir", 0o040555, b"");
    add(&mut a, "dir/inside", 0o100444, b"4");
    add(&mut a, "fifo", 0o010600, b"");
    write_trailer(&mut a);
    let mut root = RamTree::create_in(&b, 64 << 20).unwrap();
    let outer = root.outer.clone();
    let summary = crate::initrd::unpack("t", &a, &mut root).unwrap();
    assert_eq!(summary.counts.entries, 8);
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "wrote outside the root");
    let r = root.path().to_path_buf();
    assert_eq!(std::fs::read(r.join("file2")).unwrap(), b"2", "up/ resolves to the root itself");
    assert_eq!(std::fs::read(r.join("file3")).unwrap(), b"3");
    assert_eq!(std::fs::read(r.join("dir/inside")).unwrap(), b"4");
    assert!(root.contains(b"/dir/inside") && !root.contains(b"/nope"));
    let names: Vec<_> = std::fs::read_dir(&outer).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["root"]);
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&outer).unwrap().mode() & 0o777, 0o700, "private to nommu's host user");
    drop(root);
    assert!(!outer.exists(), "a read-only directory inside kept the root from going");
    std::fs::remove_dir_all(&b).unwrap();
}

/// Trees of nommu processes that are gone are removed by the next one.
#[test]
fn stale_trees_are_swept() {
    let b = base("sweep");
    // A pid that cannot exist (above pid_max's limit of 2^22).
    let stale = b.join("nommu-mem-99999999-root0");
    std::fs::create_dir_all(stale.join("root/x")).unwrap();
    let live = b.join(format!("nommu-mem-{}-root77", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    let root = RamTree::create_in(&b, 64 << 20).unwrap();
    assert!(!stale.exists() && live.exists() && root.path().exists());
    drop(root);
    std::fs::remove_dir_all(&b).unwrap();
}

/// Mutated archives into a real host directory: errors or not, nothing
/// appears beside the root, and each root is removed.
#[test]
fn mutated_archives_stay_in_a_host_root() {
    let base = std::env::temp_dir().join(format!("nommu-initrd-test-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let plain = sample(false);
    for _ in 0..300 {
        let m = mutate(&mut rng, &plain);
        let mut root = RamTree::create_in(&base, 64 << 20).unwrap();
        let _ = crate::initrd::unpack("fuzz", &m, &mut root);
        let outer = root.path().parent().unwrap().to_path_buf();
        let names: Vec<_> = std::fs::read_dir(&outer).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["root"]);
        drop(root);
        assert!(!outer.exists());
    }
    assert_eq!(std::fs::read_dir(&base).unwrap().count(), 0);
    std::fs::remove_dir_all(&base).unwrap();
}
