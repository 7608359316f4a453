//! The rootfs busybox (NOMMU, static-pie, musl) on a small root directory:
//! each command runs natively under `chroot ROOT` and under
//! `nommu run --root ROOT`; stdout and status must match.
//! chroot needs root; CI runs as root.
// Harness arithmetic is on sizes and counts the test itself chose, not on
// guest input: the crate's overflow lint is for the kernel.
#![allow(clippy::arithmetic_side_effects)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn busybox() -> PathBuf {
    let p = repo().join("rootfs/bin/busybox");
    assert!(p.exists(), "{} is missing: run `make rootfs` (or `make test`)", p.display());
    p
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// A root directory with busybox and a data tree whose times are fixed.
fn make_root(tag: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("nommu-bb-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for d in ["bin", "data/sub/deeper", "data/empty", "tmp"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::copy(busybox(), root.join("bin/busybox")).unwrap();
    let files: [(&str, &str); 5] = [
        ("data/words", "pear\napple\nfig\nbanana\napple\ncherry\n"),
        ("data/sub/notes.txt", "the root of the matter\nnothing here\nroot again\n"),
        ("data/sub/deeper/x.c", "int main(void) { return 0; }\n"),
        ("data/big.bin", ""),
        ("data/.hidden", "shh\n"),
    ];
    for (name, content) in files {
        std::fs::write(root.join(name), content).unwrap();
    }
    std::fs::write(root.join("data/big.bin"), (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect::<Vec<u8>>())
        .unwrap();
    std::os::unix::fs::symlink("sub/notes.txt", root.join("data/link")).unwrap();
    std::os::unix::fs::symlink("/data/words", root.join("data/abslink")).unwrap();
    // Fixed times, so listings are the same whenever they run.
    let mut all = vec![];
    collect(&root.join("data"), &mut all);
    for p in all {
        let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
        let t = [libc::timespec { tv_sec: 1_700_000_000, tv_nsec: 0 }; 2];
        // SAFETY: c is a NUL-terminated path and t two valid timespecs.
        unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), t.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
    }
    root
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() && !p.is_symlink() {
            collect(&p, out);
        }
        out.push(p);
    }
    out.push(dir.to_path_buf());
}

fn native(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new("chroot").arg(root).arg("/bin/busybox").args(args).current_dir("/").output().unwrap()
}

fn emulated(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(nommu())
        .arg("run")
        .arg("--root")
        .arg(root)
        .arg("/bin/busybox")
        .args(args)
        .current_dir("/")
        .output()
        .unwrap()
}

/// Runs `args` both ways (undoing `cleanup` in between) and compares.
fn same(root: &Path, args: &[&str], cleanup: &[&str]) -> String {
    let n = native(root, args);
    for c in cleanup {
        let _ = std::fs::remove_dir_all(root.join(c));
        let _ = std::fs::remove_file(root.join(c));
    }
    let e = emulated(root, args);
    let (ns, es) = (String::from_utf8_lossy(&n.stdout), String::from_utf8_lossy(&e.stdout));
    assert_eq!(ns, es, "busybox {args:?}: stdout differs\n--- nommu stderr:\n{}", String::from_utf8_lossy(&e.stderr));
    assert_eq!(
        shell_status(&n),
        shell_status(&e),
        "busybox {args:?}: status differs\n{}",
        String::from_utf8_lossy(&e.stderr)
    );
    es.into_owned()
}

macro_rules! needs_root {
    () => {
        if !is_root() {
            eprintln!("skipped: chroot (the native side of this comparison) needs root");
            return;
        }
    };
}

#[test]
fn ls_la() {
    needs_root!();
    let root = make_root("ls");
    let out = same(&root, &["ls", "-la", "/data", "/data/sub"], &[]);
    assert!(out.contains("link -> sub/notes.txt"), "{out}");
    same(&root, &["ls", "-laR", "/"], &[]);
    same(&root, &["ls", "-l", "/nonexistent"], &[]);
}

#[test]
fn find_and_grep() {
    needs_root!();
    let root = make_root("find");
    same(&root, &["find", "/data"], &[]);
    same(&root, &["find", "/data", "-name", "*.txt", "-type", "f"], &[]);
    same(&root, &["find", "/", "-follow", "-name", "notes.txt"], &[]);
    let out = same(&root, &["grep", "-rn", "root", "/data"], &[]);
    assert!(out.contains("notes.txt:1:the root of the matter"), "{out}");
    same(&root, &["grep", "-c", "apple", "/data/words"], &[]);
}

#[test]
fn sort_and_md5sum() {
    needs_root!();
    let root = make_root("sort");
    same(&root, &["sort", "-u", "/data/words"], &[]);
    same(&root, &["sort", "-r", "/data/words"], &[]);
    same(&root, &["md5sum", "/data/words", "/data/big.bin", "/data/sub/notes.txt"], &[]);
    same(&root, &["wc", "/data/big.bin"], &[]);
}

#[test]
fn cp_a_preserves_everything() {
    needs_root!();
    let root = make_root("cp");
    same(&root, &["cp", "-a", "/data", "/copy"], &["copy"]);
    same(&root, &["ls", "-laR", "/copy"], &[]);
    same(&root, &["diff", "-r", "/data", "/copy"], &[]);
}

#[test]
fn tar_create_and_extract() {
    needs_root!();
    let root = make_root("tar");
    same(&root, &["tar", "cf", "/tmp/t.tar", "-C", "/", "data"], &["tmp/t.tar"]);
    same(&root, &["tar", "tvf", "/tmp/t.tar"], &[]);
    std::fs::create_dir_all(root.join("x")).unwrap();
    same(&root, &["tar", "xf", "/tmp/t.tar", "-C", "/x"], &["x/data"]);
    same(&root, &["ls", "-laR", "/x"], &[]);
    // tar c | tar x across two machines, through a host pipe.
    let _ = std::fs::remove_dir_all(root.join("y"));
    std::fs::create_dir_all(root.join("y")).unwrap();
    let mut c = Command::new(nommu())
        .args(["run", "--root"])
        .arg(&root)
        .args(["/bin/busybox", "tar", "cf", "-", "-C", "/", "data"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let x = Command::new(nommu())
        .args(["run", "--root"])
        .arg(&root)
        .args(["/bin/busybox", "tar", "xf", "-", "-C", "/y"])
        .stdin(c.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(c.wait().unwrap().success() && x.status.success(), "{}", String::from_utf8_lossy(&x.stderr));
    let diff = emulated(&root, &["diff", "-r", "/data", "/y/data"]);
    assert!(diff.status.success(), "{}", String::from_utf8_lossy(&diff.stdout));
}

/// `chroot DIR CMD` inside the machine: a second busybox in a directory of
/// the root, run with that directory as its root (no /proc there).
#[test]
fn chroot_applet() {
    needs_root!();
    let root = make_root("chroot");
    std::fs::create_dir_all(root.join("data/jail/bin")).unwrap();
    std::fs::copy(busybox(), root.join("data/jail/bin/busybox")).unwrap();
    std::os::unix::fs::symlink("/bin", root.join("data/jail/abs")).unwrap();
    same(&root, &["chroot", "/data/jail", "/bin/busybox", "echo", "hi"], &[]);
    same(&root, &["chroot", "/data/jail", "/bin/busybox", "ls", "/", "/abs/", "/.."], &[]);
    same(&root, &["chroot", "/data/jail", "/bin/busybox", "ls", "/proc"], &[]);
    same(&root, &["chroot", "/data/jail", "/bin/busybox", "sh", "-c", "cd /../..; pwd; ls"], &[]);
    same(&root, &["chroot", "/data/missing", "/bin/busybox", "true"], &[]);
    let _ = std::fs::remove_dir_all(&root);
}

/// The issue's check: `nommu run busybox chroot DIR /bin/busybox echo hi`
/// on the host root (nommu only: no root needed).
#[test]
fn chroot_applet_on_the_host_root() {
    let dir = TempDir::new("bb-chroot");
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    std::fs::copy(busybox(), dir.path().join("bin/busybox")).unwrap();
    let out = run_nommu_in(dir.path(), &busybox(), &["chroot", ".", "/bin/busybox", "echo", "hi"], &[]);
    assert_eq!(text(&out), "hi\n", "{}", stderr_text(&out));
    assert_eq!(shell_status(&out), 0);
    // /proc inside is the jail's own directory until proc is mounted there
    // (the answers are Linux's; natively this would mount on the host).
    std::fs::create_dir(dir.path().join("proc")).unwrap();
    std::fs::write(dir.path().join("proc/own"), "").unwrap();
    let script = "B=/bin/busybox; $B ls /proc; $B mount -t proc proc /proc && $B readlink /proc/self/exe; \
                  $B grep -c ' /proc proc ' /proc/mounts; $B umount /proc; $B ls /proc";
    let out = run_nommu_in(dir.path(), &busybox(), &["chroot", ".", "/bin/busybox", "sh", "-c", script], &[]);
    assert_eq!(text(&out), "own\n/bin/busybox\n1\nown\n", "{}", stderr_text(&out));
}

/// Committed memory (/proc/meminfo Committed_AS) that each of `n` sleeping
/// busybox processes adds, in KiB, under nommu with `env` (the machine
/// ends, sleepers and all, when the shell does).
fn committed_per_sleeper(n: u32, env: &[(&str, &str)]) -> i64 {
    let bb = busybox();
    let b = bb.display();
    let script = format!(
        "c() {{ {b} awk '/Committed_AS/{{print $2}}' /proc/meminfo; }}; c0=$(c); i=0; \
         while [ $i -lt {n} ]; do {b} sleep 30 & i=$((i+1)); done; c1=$(c); \
         echo $(( (c1 - c0) / {n} ))"
    );
    let out = run_nommu(&bb, &["sh", "-c", &script], env);
    let stdout = text(&out);
    stdout.trim().parse().unwrap_or_else(|_| panic!("no figure: {stdout:?}\n{}", stderr_text(&out)))
}

/// A sleeping busybox commits only what it writes: its data and bss, what
/// its stack and heap reached (docs/architecture.md, "Exec without
/// copying"): its text is mapped from the image cache, shared and not
/// committed, and its 1 MiB main stack is committed as it grows. With
/// NOMMU_EXEC_MAP=0 the image is a copy and the whole stack is committed
/// at exec: over 2 MiB each.
#[test]
fn a_sleeping_busybox_commits_little() {
    let copied = committed_per_sleeper(20, &[("NOMMU_EXEC_MAP", "0")]);
    assert!(copied > 2048, "copied: {copied} KiB per process");
    if std::env::var("NOMMU_EXEC_MAP").is_ok_and(|v| v == "0") {
        return;
    }
    let mapped = committed_per_sleeper(20, &[]);
    assert!(mapped <= 400, "mapped: {mapped} KiB per process");
}
