//! initramfs boot: `nommu boot initrd=FILE` unpacks a newc cpio archive
//! (gzip'd or not, several concatenated) into an in-memory root and runs
//! init from it; a bad archive is one line naming the file and the offset.
// Harness arithmetic is on sizes and counts the test itself chose, not on
// guest input: the crate's overflow lint is for the kernel.
#![allow(clippy::arithmetic_side_effects)]

mod common;
use common::*;
use nommu::initrd::newc::{write_entry, write_trailer, Entry};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const DIR: u32 = 0o040755;
const FILE: u32 = 0o100644;
const EXE: u32 = 0o100755;
const LINK: u32 = 0o120777;

fn busybox() -> Vec<u8> {
    let p = repo().join("rootfs/bin/busybox");
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}: run `make rootfs` (or `make test`)", p.display()))
}

/// A newc archive being built; inode numbers are handed out in order.
struct Archive {
    bytes: Vec<u8>,
    ino: u32,
}

impl Archive {
    fn new() -> Archive {
        Archive { bytes: Vec::new(), ino: 100 }
    }
    fn add(&mut self, name: &str, mode: u32, data: &[u8]) -> &mut Self {
        self.ino += 1;
        self.add_entry(Entry { ino: self.ino, ..entry(name, mode, data) })
    }
    fn add_entry(&mut self, e: Entry<'_>) -> &mut Self {
        write_entry(&mut self.bytes, &e, false);
        self
    }
    /// busybox as /bin/busybox, with links for the applets the tests use.
    fn with_busybox(&mut self, bb: &[u8]) -> &mut Self {
        self.add(".", DIR, b"").add("bin", DIR, b"").add("bin/busybox", EXE, bb);
        for applet in ["sh", "cat", "stat", "ls"] {
            self.add(&format!("bin/{applet}"), LINK, b"busybox");
        }
        self
    }
    fn finish(&mut self) -> Vec<u8> {
        write_trailer(&mut self.bytes);
        std::mem::take(&mut self.bytes)
    }
}

fn entry<'a>(name: &'a str, mode: u32, data: &'a [u8]) -> Entry<'a> {
    Entry { mtime: 1_600_000_000, ..Entry::new(name.as_bytes(), mode, data) }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    g.write_all(data).unwrap();
    g.finish().unwrap()
}

/// Boots `initrd=FILE` with `params`, the shell script on stdin.
fn boot(file: &Path, params: &[&str], script: &str) -> Output {
    let mut args = vec!["boot".to_string(), format!("initrd={}", file.display())];
    args.extend(params.iter().map(|p| p.to_string()));
    boot_script(&args, script)
}

fn write_file(dir: &TempDir, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, data).unwrap();
    p
}

fn assert_has(text: &str, wants: &[&str]) {
    for want in wants {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

/// The temporary root named in the banner.
fn unpacked_into(out: &str) -> PathBuf {
    let line = out.lines().find(|l| l.starts_with("Root: initramfs")).unwrap_or_else(|| panic!("no banner:\n{out}"));
    let at = "unpacked into rootfs at ";
    let rest = &line[line.find(at).unwrap_or_else(|| panic!("{line}")) + at.len()..];
    PathBuf::from(&rest[..rest.find(" (").unwrap()])
}

/// The archive `make rootfs.cpio.gz` builds (once: tests run in parallel).
fn built_archive() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let make = Command::new("make").arg("-s").arg("rootfs.cpio.gz").current_dir(repo()).output().unwrap();
            assert!(make.status.success(), "make rootfs.cpio.gz:\n{}{}", text(&make), stderr_text(&make));
            repo().join("rootfs.cpio.gz")
        })
        .clone()
}

/// The archive `make rootfs.cpio.gz` builds, booted with init=/bin/sh.
#[test]
fn boots_the_built_rootfs_archive() {
    let archive = built_archive();
    let script = "\
ls /
readlink /init
echo written-in-ram > /root/note; cat /root/note
ls -ln /bin/busybox | awk '{print \"owner\", $3, $4}'
head -1 /proc/mounts
echo I am pid $$
exit 7
";
    let out = boot(&archive, &["init=/bin/sh"], script);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(7), "{t}\n{}", stderr_text(&out));
    let size = std::fs::metadata(&archive).unwrap().len();
    assert_has(
        &t,
        &[
            &format!("Root: initramfs {} ({size} bytes, gzip, ", archive.display()),
            "Run /bin/sh as init process",
            "\nbin\ndev\netc\ninit\nlinuxrc\nproc\nroot\nsbin\ntmp\nusr\n",
            "\nsbin/init\n",
            "written-in-ram\n",
            "I am pid 1\n",
            "rootfs / ",
        ],
    );
    if is_root() {
        assert_has(&t, &["owner 0 0\n"]);
    }
    let root = unpacked_into(&t);
    assert!(!root.exists(), "{} is left behind", root.display());
    assert!(!root.parent().unwrap().exists(), "{} is left behind", root.parent().unwrap().display());
    // The note was written in the temporary root, not in rootfs/.
    assert!(!repo().join("rootfs/root/note").exists());
}

/// The root is the machine's memory file system, as Linux's rootfs: half
/// of mem= (/proc/mounts says so), a tmpfs to statfs, its files Shmem;
/// busybox's df skips "rootfs" entries as it does on Linux. With host
/// mounts (`nommu caps`), the size is enforced: ENOSPC past it.
#[test]
fn the_root_is_machine_memory() {
    let archive = built_archive();
    let script = "\
head -1 /proc/mounts
stat -f -c 'type %T' /
df / 2>&1 | tail -1
m() { awk -v k=\"$1:\" '$1 == k { print $2 }' /proc/meminfo; }
s0=$(m Shmem); f0=$(m MemFree)
dd if=/dev/zero of=/big bs=1048576 count=20 2>/dev/null; echo dd=$?
s1=$(m Shmem); f1=$(m MemFree)
echo grown $((s1 - s0)) $((f0 - f1))
echo shmem $s0
exit 0
";
    let out = boot(&archive, &["init=/bin/sh", "mem=32M"], script);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}\n{}", stderr_text(&out));
    assert_has(
        &t,
        &["\nrootfs / rootfs rw,size=16384k,nr_inodes=4096 0 0\n", "\ntype tmpfs\n", "df: /: can't find mount point\n"],
    );
    let field = |key: &str, i: usize| -> i64 {
        let line = t.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("no {key} in:\n{t}"));
        line.split_whitespace().nth(i).unwrap().parse().unwrap_or_else(|_| panic!("{line}"))
    };
    // busybox alone is more than 1 MiB.
    assert!(field("shmem", 1) > 1024, "{t}");
    let enforced = caps(&[]).host_mounts == "yes";
    let (dd, grown) = if enforced { ("dd=1\n", 16384 - field("shmem", 1)) } else { ("dd=0\n", 20 * 1024) };
    assert_has(&t, &[dd]);
    for i in [1, 2] {
        let v = field("grown", i);
        assert!((grown - 1024..=grown + 1024).contains(&v), "grown field {i}: {v}, not about {grown} kB:\n{t}");
    }
}

/// Without init= the machine runs /init: here busybox init from the archive.
#[test]
fn runs_slash_init_by_default() {
    let dir = TempDir::new("initrd-init");
    let bb = busybox();
    let mut a = Archive::new();
    a.with_busybox(&bb).add("init", EXE, b"#!/bin/sh\necho init-script-ran-as-$$ \"$@\"\nexit 4\n");
    let file = write_file(&dir, "init.cpio", &a.finish());
    let out = boot(&file, &["one", "two"], "");
    assert_eq!(out.status.code(), Some(4), "{}{}", text(&out), stderr_text(&out));
    assert_has(&text(&out), &["Run /init as init process", "init-script-ran-as-1 one two\n"]);
    // rdinit= names it too, as on Linux.
    let out = boot(&file, &["rdinit=/bin/sh", "-c", "echo rdinit-shell"], "");
    assert_has(&text(&out), &["Run /bin/sh as init process", "rdinit-shell\n"]);
}

/// An uncompressed archive with a hard-link pair (data with the last name,
/// as GNU cpio writes it), a FIFO, a symlink, modes and times.
#[test]
fn uncompressed_archive_with_hard_links() {
    let dir = TempDir::new("initrd-plain");
    let bb = busybox();
    let mut a = Archive::new();
    a.with_busybox(&bb)
        .add("etc", DIR, b"")
        .add_entry(Entry { ino: 7, nlink: 2, ..entry("etc/first", FILE, b"") })
        .add_entry(Entry { ino: 7, nlink: 2, ..entry("etc/second", FILE, b"linked data\n") })
        .add("etc/secret", 0o100600, b"s")
        .add("etc/link", LINK, b"/etc/second")
        .add("run.fifo", 0o010644, b"")
        .add("/../../escaped", FILE, b"stays inside\n")
        .add("nodes", DIR, b"")
        .add_entry(Entry { ino: 50, rdev: (1, 3), ..entry("nodes/null", 0o020666, b"") })
        .add_entry(Entry { ino: 51, uid: 1000, gid: 100, ..entry("etc/owned", FILE, b"") });
    let file = write_file(&dir, "plain.cpio", &a.finish());
    let script = "\
cat /etc/first /etc/link
[ $(stat -c %i /etc/first) = $(stat -c %i /etc/second) ] && echo same-inode
stat -c '%h %a %Y %n' /etc/first /etc/secret
[ -p /run.fifo ] && echo fifo
cat /escaped
[ -c /nodes/null ] && echo chardev-$(stat -c %t,%T /nodes/null)
stat -c 'owner %u %g' /etc/owned
";
    let out = boot(&file, &["init=/bin/sh"], script);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}\n{}", stderr_text(&out));
    assert!(!t.contains("gzip, "), "{t}");
    assert_has(
        &t,
        &[
            "linked data\nlinked data\n",
            "same-inode\n",
            "2 644 1600000000 /etc/first\n1 600 1600000000 /etc/secret\n",
            "fifo\n",
            "stays inside\n",
        ],
    );
    // The host lets only its root make device nodes and give files away;
    // otherwise they are skipped (and the banner says so).
    if is_root() {
        assert_has(&t, &["chardev-1,3\n", "owner 1000 100\n"]);
    } else {
        assert_has(&t, &["1 skipped", "owners not kept"]);
    }
}

/// An uncompressed archive followed by NUL padding and a gzip'd one (the
/// early-microcode layout), then another gzip member: all three unpack,
/// later files replacing earlier ones.
#[test]
fn concatenated_archives() {
    let dir = TempDir::new("initrd-concat");
    let bb = busybox();
    let mut first = Archive::new();
    first.add("kernel", DIR, b"").add("kernel/ucode.bin", FILE, b"early\n").add("replaced", FILE, b"old\n");
    let mut data = first.finish();
    data.resize(data.len() + 512, 0);
    let mut main = Archive::new();
    main.with_busybox(&bb).add("replaced", FILE, b"new\n");
    data.extend(gzip(&main.finish()));
    let mut last = Archive::new();
    last.add("etc", DIR, b"").add("etc/late", FILE, b"late\n");
    data.extend(gzip(&last.finish()));
    let file = write_file(&dir, "multi.cpio.gz", &data);
    let out = boot(&file, &["init=/bin/sh"], "cat /kernel/ucode.bin /replaced /etc/late\n");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}\n{}", stderr_text(&out));
    assert_has(&t, &["early\nnew\nlate\n"]);
}

/// Boots a bad archive: a non-zero exit and one line on stderr.
fn bad(name: &str, data: &[u8]) -> (String, String) {
    bad_with(name, data, &["init=/bin/sh"])
}

fn bad_with(name: &str, data: &[u8], params: &[&str]) -> (String, String) {
    let dir = TempDir::new("initrd-bad");
    let file = write_file(&dir, name, data);
    let out = boot(&file, params, "echo should-not-run\n");
    let err = stderr_text(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(out.status.code().is_some(), "killed by a signal: {err}");
    assert!(!text(&out).contains("should-not-run"));
    assert_eq!(err.lines().count(), 1, "one line wanted:\n{err}");
    (err.trim_end().to_string(), file.display().to_string())
}

#[test]
fn bad_archives_name_file_and_offset() {
    let bb = b"not really busybox".to_vec();
    let mut a = Archive::new();
    a.with_busybox(&bb);
    let good = a.finish();

    let mut junk = good.clone();
    junk.extend(b"garbage!");
    let (err, file) = bad("junk.cpio", &junk);
    assert_eq!(
        err,
        format!(
            "nommu: initrd {file}: bad magic \"garbag\" (neither a newc cpio header \"070701\" nor gzip) at offset {}",
            good.len()
        )
    );

    let (err, file) = bad("header.cpio", &good[..50]);
    assert_eq!(err, format!("nommu: initrd {file}: truncated cpio header (50 of 110 bytes) at offset 0"));

    // Cut inside a file's data: the entry is named, and where it starts.
    let mut a = Archive::new();
    let big = vec![b'x'; 1000];
    let data = a.add(".", DIR, b"").add("bin/busybox", EXE, &big).finish();
    // "." ends at 112; bin/busybox's header and name end at 112 + 124.
    let (err, file) = bad("data.cpio", &data[..236 + 800]);
    assert_eq!(
        err,
        format!(
            "nommu: initrd {file}: truncated data of \"bin/busybox\" (800 of 1000 bytes; entry at offset 112) at offset 236"
        )
    );

    let mut gz = gzip(&good);
    let n = gz.len();
    gz[n / 2] ^= 0x55;
    gz[n - 5] ^= 0x55;
    let (err, file) = bad("corrupt.cpio.gz", &gz);
    assert!(err.starts_with(&format!("nommu: initrd {file}: bad gzip stream: ")), "{err}");
    assert!(err.ends_with(" at offset 0"), "{err}");

    let mut two = good.clone();
    two.extend(gzip(&good)[..40].to_vec());
    let (err, file) = bad("cut.cpio.gz", &two);
    assert_eq!(err, format!("nommu: initrd {file}: truncated gzip stream at offset {}", good.len()));

    // Inside the gzip'd data, the offset counts uncompressed bytes.
    let (err, file) = bad("inner.cpio.gz", &gzip(&junk));
    assert!(err.starts_with(&format!("nommu: initrd {file}: bad magic \"garbag\" in the uncompressed data")), "{err}");
    assert!(
        err.ends_with(&format!(" at offset {} of the data uncompressed from the gzip stream at offset 0", good.len())),
        "{err}"
    );

    let (err, file) =
        bad("odc.cpio", b"070707000000000000000000000000000000000000000000000000000000000000000000000000");
    assert!(err.starts_with(&format!("nommu: initrd {file}: old portable (odc) cpio header")), "{err}");

    let long = "d/".repeat(2500);
    let mut a = Archive::new();
    let data = a.add(".", DIR, b"").add(&long, DIR, b"").finish();
    let (err, file) = bad("long.cpio", &data);
    assert_eq!(err, format!("nommu: initrd {file}: name too long (5001 bytes, at most 4096) at offset 112"));

    let (err, file) = bad("empty.cpio", b"");
    assert_eq!(err, format!("nommu: initrd {file}: empty file at offset 0"));
}

#[test]
fn boot_errors() {
    let dir = TempDir::new("initrd-errors");
    let mut a = Archive::new();
    a.add("etc", DIR, b"");
    let file = write_file(&dir, "noinit.cpio", &a.finish());
    let (err, path) = bad_with("noinit.cpio", &std::fs::read(&file).unwrap(), &[]);
    assert_eq!(
        err,
        format!("nommu: initrd {path}: no /init in the archive to run as init (name another with init=/PATH)")
    );
    let out = Command::new(nommu())
        .args(["boot", "--root", "rootfs", "--initrd"])
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_has(&stderr_text(&out), &["--initrd (initrd=) and --root (root=) both name the root file system"]);
    let missing = dir.path().join("missing.cpio");
    let out = Command::new(nommu()).arg("boot").arg("--initrd").arg(&missing).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_has(&stderr_text(&out), &[&format!("nommu: initrd {}: No such file or directory", missing.display())]);
}
