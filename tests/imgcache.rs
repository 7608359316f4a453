//! The on-disk image cache: a hit runs the same as a miss and as the
//! program natively; a changed program, a corrupted or truncated entry are
//! misses; --no-cache and NOMMU_NO_CACHE=1 write nothing; concurrent
//! writers leave one good entry; the directory stays under its limit.
//! Every test has a cache directory of its own (XDG_CACHE_HOME).
// Harness arithmetic is on sizes and counts the test itself chose, not on
// guest input: the crate's overflow lint is for the kernel.
#![allow(clippy::arithmetic_side_effects)]

mod common;

use common::{guest, nommu, run_native_reference, shell_status, text, TempDir};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// hello prints its arguments; the other programs take none.
fn args_for(bin: &Path) -> &'static [&'static str] {
    let hello = bin.file_name().is_some_and(|n| n.to_string_lossy().starts_with("hello"));
    if hello {
        &["a", "b"]
    } else {
        &[]
    }
}

/// What one `nommu -v run` did with its program's image.
#[derive(Debug, PartialEq, Eq)]
enum Image {
    /// Decoded and rewritten (a cache miss).
    Rewritten,
    /// Copied from the cache (here: the disk cache, a fresh process).
    Cached,
}

fn nommu_run(cache: &Path, nommu_args: &[&str], env: &[(&str, &str)], bin: &Path) -> (Output, Image) {
    let out = Command::new(nommu())
        .env("XDG_CACHE_HOME", cache)
        .envs(env.iter().copied())
        .arg("-v")
        .arg("run")
        .args(nommu_args)
        .arg(bin)
        .args(args_for(bin))
        .output()
        .expect("nommu runs");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let exec_line = log.lines().find(|l| l.contains("exec ") && l.contains("syscall sites")).unwrap_or_else(|| {
        panic!("no exec line in nommu's log:\n{log}");
    });
    let how = if exec_line.contains("copied from the image cache") { Image::Cached } else { Image::Rewritten };
    (out, how)
}

/// The run matches the program's native run (stdout and status).
/// Runs `bin` with the default options: it must be a hit or miss as
/// `expected` says and behave as natively.
fn run_expecting(cache: &Path, bin: &Path, expected: Image, what: &str) {
    let (out, how) = nommu_run(cache, &[], &[], bin);
    assert_eq!(how, expected, "{what}");
    assert_native(bin, &out);
}

fn assert_native(bin: &Path, out: &Output) {
    let native = run_native_reference(bin, args_for(bin), &[]);
    assert_eq!(text(&native), text(out), "stdout differs for {}: {}", bin.display(), common::stderr_text(out));
    assert_eq!(shell_status(&native), shell_status(out), "status differs for {}", bin.display());
}

/// The entries (`*.img`) and other files in the cache directory.
fn entries(cache: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let dir = cache.join("nommu");
    let all: Vec<PathBuf> =
        std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|e| e.path()).collect::<Vec<_>>();
    all.into_iter().partition(|p| p.extension().is_some_and(|e| e == "img"))
}

fn one_entry(cache: &Path) -> PathBuf {
    let (imgs, other) = entries(cache);
    assert_eq!(imgs.len(), 1, "one entry expected: {imgs:?}");
    assert!(other.is_empty(), "only entries expected: {other:?}");
    imgs.into_iter().next().unwrap_or_default()
}

/// A copy of a guest program in `dir`, which the test may change.
fn copy_of(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(guest(name), &to).expect("copy the program");
    age(&to, 60);
    to
}

/// Sets the file's mtime `secs` seconds into the past: nommu keeps no
/// entry for a file changed in the last 2 seconds (README).
fn age(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).expect("open");
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
    f.set_modified(t).expect("set mtime");
}

#[test]
fn a_hit_runs_the_same_as_a_miss_and_as_natively() {
    for name in ["hello-musl", "hello-glibc", "thr_basic-musl", "proc_sig-glibc", "redzone-musl", "redzone-glibc"] {
        let cache = TempDir::new("imgcache-hit");
        let bin = guest(name);
        run_expecting(cache.path(), &bin, Image::Rewritten, &format!("{name}: an empty cache is a miss"));
        one_entry(cache.path());
        for _ in 0..2 {
            run_expecting(cache.path(), &bin, Image::Cached, &format!("{name}: the second run is a hit"));
        }
    }
}

#[test]
fn every_rewrite_mode_has_entries_of_its_own() {
    let cache = TempDir::new("imgcache-modes");
    let bin = guest("hello-musl");
    // The default mode, whatever `make test`'s second pass says...
    let plain = |args: &[&str]| {
        let mut cmd = Command::new(nommu());
        cmd.env("XDG_CACHE_HOME", cache.path()).env_remove("NOMMU_TRAP_ONLY").arg("-v").args(args);
        cmd.arg(&bin).args(args_for(&bin)).output().expect("nommu runs")
    };
    let out = plain(&["run"]);
    assert!(common::stderr_text(&out).contains("syscall sites rewritten"), "{}", common::stderr_text(&out));
    // ...and trap-only, which rewrites nothing: not the same image, unless
    // this host has no page 0 and the default is trap-only too.
    let caps = Command::new(nommu()).env_remove("NOMMU_TRAP_ONLY").args(["caps", "--machine"]).output();
    let rewrites = text(&caps.expect("caps")).contains("trampoline=true");
    let (out, how) = nommu_run(cache.path(), &["--trap-only"], &[], &bin);
    let want = if rewrites { Image::Rewritten } else { Image::Cached };
    assert_eq!(how, want, "another mode is another entry (page 0 here: {rewrites})");
    assert_native(&bin, &out);
    let (out, how) = nommu_run(cache.path(), &["--trap-only"], &[], &bin);
    assert_eq!(how, Image::Cached);
    assert_native(&bin, &out);
    assert_eq!(entries(cache.path()).0.len(), if rewrites { 2 } else { 1 });
}

#[test]
fn a_changed_program_is_a_miss() {
    let cache = TempDir::new("imgcache-changed");
    let dir = TempDir::new("imgcache-changed-bin");
    let bin = copy_of(dir.path(), "hello-musl");
    let (_, how) = nommu_run(cache.path(), &[], &[], &bin);
    assert_eq!(how, Image::Rewritten);
    let (_, how) = nommu_run(cache.path(), &[], &[], &bin);
    assert_eq!(how, Image::Cached);
    // Same content, new mtime.
    age(&bin, 30);
    run_expecting(cache.path(), &bin, Image::Rewritten, "a new mtime is a miss");
    // Another program written over the same file (same inode, new size
    // and mtime): its own code runs, not the cached image of the old one.
    std::fs::write(&bin, std::fs::read(guest("hello-glibc")).expect("read")).expect("overwrite");
    run_expecting(cache.path(), &bin, Image::Rewritten, "new content is a miss");
    // Changed a moment ago: not kept (a change in the same timestamp tick
    // could follow), so the next run rewrites again...
    run_expecting(cache.path(), &bin, Image::Rewritten, "a file changed just now is not kept");
    // ...until it has settled.
    age(&bin, 10);
    let _ = nommu_run(cache.path(), &[], &[], &bin);
    run_expecting(cache.path(), &bin, Image::Cached, "a hit");
}

/// Ways an entry can be damaged: (what, damage).
type Damage = (&'static str, fn(&mut Vec<u8>));

#[test]
fn a_corrupted_or_truncated_entry_is_a_miss() {
    let damages: [Damage; 8] = [
        ("empty", |f| f.clear()),
        ("cut in the header", |f| f.truncate(100)),
        ("cut after the header", |f| f.truncate(4096)),
        ("cut in the image", |f| f.truncate(f.len() - 100)),
        ("one more byte", |f| f.push(0)),
        ("a bit of the header flipped", |f| f[40] ^= 1),
        ("a bit of the code flipped", |f| f[4096 + 0x1000] ^= 0x10),
        ("garbage", |f| f.iter_mut().enumerate().for_each(|(i, b)| *b = (i * 7 + 3) as u8)),
    ];
    let cache = TempDir::new("imgcache-corrupt");
    let bin = guest("hello-musl");
    let (_, how) = nommu_run(cache.path(), &[], &[], &bin);
    assert_eq!(how, Image::Rewritten);
    let entry = one_entry(cache.path());
    let good = std::fs::read(&entry).expect("read the entry");
    for (what, damage) in damages {
        let mut bad = good.clone();
        damage(&mut bad);
        std::fs::write(&entry, &bad).expect("damage the entry");
        run_expecting(cache.path(), &bin, Image::Rewritten, &format!("{what}: a miss"));
        // The miss wrote a good entry in its place.
        assert_eq!(std::fs::read(&entry).expect("read the entry"), good, "{what}: the entry is rewritten");
        run_expecting(cache.path(), &bin, Image::Cached, &format!("{what}: a hit again"));
    }
}

/// A hit checks the sum of an entry that has settled and stamps it; the
/// hits after it trust the stamp; a write into the entry moves its mtime,
/// so the damage is still found: a miss.
/// The entry's `user.nommu.checked` attribute, if it has one.
fn stamp_of(entry: &Path) -> Option<usize> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(entry.as_os_str().as_bytes()).ok()?;
    // SAFETY: both strings are NUL-terminated; a null buffer of length 0
    // asks for the value's size only.
    let n = unsafe { libc::getxattr(path.as_ptr(), c"user.nommu.checked".as_ptr(), std::ptr::null_mut(), 0) };
    usize::try_from(n).ok()
}

#[test]
fn a_settled_entry_is_summed_once_and_a_write_into_it_is_still_a_miss() {
    let cache = TempDir::new("imgcache-stamp");
    let bin = guest("hello-musl");
    let debug = [("RUST_LOG", "nommu=debug")];
    let hit_line = |out: &Output| {
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        log.lines().find(|l| l.contains("is a hit")).map(str::to_string).unwrap_or_else(|| panic!("no hit:\n{log}"))
    };
    let (_, how) = nommu_run(cache.path(), &[], &debug, &bin);
    assert_eq!(how, Image::Rewritten);
    let entry = one_entry(cache.path());
    let (out, how) = nommu_run(cache.path(), &[], &debug, &bin);
    assert_eq!(how, Image::Cached);
    assert!(hit_line(&out).contains("too fresh to stamp"), "{}", hit_line(&out));
    age(&entry, 60);
    let (out, _) = nommu_run(cache.path(), &[], &debug, &bin);
    assert!(hit_line(&out).contains("sum checked, now stamped"), "{}", hit_line(&out));
    if stamp_of(&entry).is_some() {
        let (out, how) = nommu_run(cache.path(), &[], &debug, &bin);
        assert_eq!(how, Image::Cached);
        assert!(hit_line(&out).contains("stamped: sum not checked"), "{}", hit_line(&out));
        assert_native(&bin, &out);
    } else {
        eprintln!("skipped: the stamp's hits (the file system of {} has no user attributes)", entry.display());
    }
    // One bit of the code flipped in place, as a disk or a stray write would.
    {
        use std::io::{Read, Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().read(true).write(true).open(&entry).expect("open the entry");
        let at = SeekFrom::Start(4096 + 0x1000);
        let mut b = [0u8];
        f.seek(at).and_then(|_| f.read_exact(&mut b)).expect("read a byte");
        b[0] ^= 0x10;
        f.seek(at).and_then(|_| f.write_all(&b)).expect("write it back flipped");
    }
    run_expecting(cache.path(), &bin, Image::Rewritten, "a stamped entry written into: a miss");
    run_expecting(cache.path(), &bin, Image::Cached, "the entry rewritten: a hit again");
}

#[test]
fn no_cache_reads_and_writes_nothing() {
    let cache = TempDir::new("imgcache-off");
    let bin = guest("hello-musl");
    let (out, how) = nommu_run(cache.path(), &["--no-cache"], &[], &bin);
    assert_eq!(how, Image::Rewritten);
    assert_native(&bin, &out);
    let (_, how) = nommu_run(cache.path(), &[], &[("NOMMU_NO_CACHE", "1")], &bin);
    assert_eq!(how, Image::Rewritten);
    assert!(!cache.path().join("nommu").exists(), "--no-cache and NOMMU_NO_CACHE=1 create nothing");
    // With an entry there, --no-cache does not read it either.
    let _ = nommu_run(cache.path(), &[], &[], &bin);
    one_entry(cache.path());
    let (_, how) = nommu_run(cache.path(), &["--no-cache"], &[], &bin);
    assert_eq!(how, Image::Rewritten);
    let (_, how) = nommu_run(cache.path(), &[], &[("NOMMU_NO_CACHE", "1")], &bin);
    assert_eq!(how, Image::Rewritten);
    // `caps` says where the cache is, or that there is none.
    let caps = |args: &[&str]| {
        let out = Command::new(nommu())
            .env("XDG_CACHE_HOME", cache.path())
            .args(["caps", "--machine"])
            .args(args)
            .output()
            .expect("caps");
        text(&out).lines().find_map(|l| l.strip_prefix("image_cache=").map(str::to_string)).unwrap_or_default()
    };
    assert_eq!(caps(&[]), cache.path().join("nommu").display().to_string());
    assert_eq!(caps(&["--no-cache"]), "none");
}

#[test]
fn the_cache_falls_back_to_home_and_does_without_a_usable_directory() {
    let home = TempDir::new("imgcache-home");
    let bin = guest("hello-musl");
    let run = |env: &[(&str, &str)]| {
        let mut cmd = Command::new(nommu());
        cmd.env_remove("XDG_CACHE_HOME").envs(env.iter().copied()).arg("run").arg(&bin).args(args_for(&bin));
        let out = cmd.output().expect("nommu runs");
        assert_native(&bin, &out);
    };
    // No XDG_CACHE_HOME (or a relative one, which the XDG spec ignores):
    // $HOME/.cache/nommu.
    let h = home.path().to_str().unwrap_or_default();
    run(&[("HOME", h)]);
    run(&[("HOME", h), ("XDG_CACHE_HOME", "relative/dir")]);
    assert_eq!(entries(&home.path().join(".cache")).0.len(), 1);
    // A plain run (no -v) with the cache environment `cmd` was given.
    let run_plain = |cmd: &mut Command| cmd.arg("run").arg(&bin).args(args_for(&bin)).output().expect("nommu runs");
    // Neither: no cache, silently.
    let out = run_plain(Command::new(nommu()).env_remove("XDG_CACHE_HOME").env_remove("HOME"));
    assert_native(&bin, &out);
    assert!(out.stderr.is_empty(), "no cache is not an error: {}", common::stderr_text(&out));
    // A cache directory that cannot be made (a file is in the way).
    let file = home.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let out = run_plain(Command::new(nommu()).env("XDG_CACHE_HOME", &file));
    assert_native(&bin, &out);
    assert!(out.stderr.is_empty(), "an unusable cache is not an error: {}", common::stderr_text(&out));
}

#[test]
fn concurrent_runs_leave_one_good_entry() {
    let cache = TempDir::new("imgcache-race");
    let bin = guest("hello-glibc");
    for _round in 0..3 {
        let _ = std::fs::remove_dir_all(cache.path().join("nommu"));
        let runs: Vec<_> = (0..6)
            .map(|_| {
                let (c, b) = (cache.path().to_path_buf(), bin.clone());
                std::thread::spawn(move || nommu_run(&c, &[], &[], &b).0)
            })
            .collect();
        for r in runs {
            let out = r.join().expect("a run");
            assert_native(&bin, &out);
        }
        one_entry(cache.path());
        run_expecting(cache.path(), &bin, Image::Cached, "a hit");
    }
}

#[test]
fn the_cache_stays_under_its_limit() {
    let cache = TempDir::new("imgcache-limit");
    let limit: u64 = 2 << 20;
    let env = [("NOMMU_CACHE_SIZE", "2M")];
    let mut names = Vec::new();
    for name in ["hello", "thr_basic", "proc_sig", "regs", "malloc"] {
        for libc in ["musl", "glibc"] {
            names.push(format!("{name}-{libc}"));
        }
    }
    for name in &names {
        let bin = guest(name);
        let (out, _) = nommu_run(cache.path(), &[], &env, &bin);
        assert_eq!(shell_status(&out), shell_status(&run_native_reference(&bin, args_for(&bin), &[])), "{name}");
        let (imgs, _) = entries(cache.path());
        let total: u64 = imgs.iter().map(|p| std::fs::metadata(p).map_or(0, |m| m.len())).sum();
        assert!(total <= limit, "{total} bytes of entries after {name}, over the {limit}-byte limit");
    }
    let kept = entries(cache.path()).0.len();
    assert!(kept < names.len(), "{kept} entries for {} programs: nothing was evicted", names.len());
    // The most recent entry survived the evictions.
    let (_, how) = nommu_run(cache.path(), &[], &env, &guest(names.last().map_or("", String::as_str)));
    assert_eq!(how, Image::Cached);
}

#[test]
fn a_plain_run_has_the_defaults_of_the_options() {
    // `nommu run PROGRAM` (no option given) must be the same machine as
    // one with every default spelled out.
    let busybox = common::repo().join("rootfs/bin/busybox");
    let show = |opts: &[&str]| {
        let out = Command::new(nommu())
            .arg("run")
            .args(opts)
            .arg(&busybox)
            .args(["sh", "-c", "head -2 /proc/meminfo; echo root $(ls -d /proc/1/root/.)"])
            .output()
            .expect("nommu runs");
        assert!(out.status.success(), "{opts:?}: {}", common::stderr_text(&out));
        text(&out)
    };
    let plain = show(&[]);
    assert!(plain.contains("MemTotal:") && plain.contains("root "), "{plain}");
    assert_eq!(plain, show(&["--mem", "256M", "--reserve", "on", "--net", "host", "--root", "/"]));
    assert_ne!(plain, show(&["--mem", "64M"]), "the memory size shows");
    // `--mem` and `--report` (busybox's test suite starts every applet
    // so), alone or with other options.
    let small = show(&["--mem", "64M"]);
    assert_eq!(small, show(&["--mem=64M"]));
    assert_eq!(small, show(&["--mem", "64M", "--net", "host"]));
    let dir = TempDir::new("imgcache-report");
    let report = |name: &str, opts: &[&str]| {
        let path = dir.path().join(name);
        let mut all = vec![format!("--report={}", path.display())];
        all.extend(opts.iter().map(|o| o.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        assert_eq!(show(&all), plain);
        let json = std::fs::read_to_string(&path).expect("a report");
        // What does not depend on timing: each line's first key, how it
        // ended, what the host gave.
        let keys: Vec<String> = json.lines().filter_map(|l| l.split('"').nth(1)).map(String::from).collect();
        let line = |key: &str| json.lines().find(|l| l.contains(&format!("\"{key}\":"))).map(String::from);
        (keys, line("status"), line("host"))
    };
    let fast = report("fast.json", &[]);
    assert!(fast.1.as_deref().is_some_and(|s| s.contains("\"exited\": 0")), "{fast:?}");
    assert_eq!(fast, report("more.json", &["--net", "host"]));
}

#[test]
fn a_shared_library_mapped_by_the_dynamic_linker_is_cached_too() {
    let cache = TempDir::new("imgcache-dyn");
    let debug = [("RUST_LOG", "nommu=debug")];
    for name in ["hello-glibc-dyn", "hello-musl-dyn"] {
        let bin = guest(name);
        let (cold, how) = nommu_run(cache.path(), &[], &debug, &bin);
        assert_eq!(how, Image::Rewritten, "{name}");
        assert_native(&bin, &cold);
        let (warm, how) = nommu_run(cache.path(), &[], &debug, &bin);
        assert_eq!(how, Image::Cached, "{name}");
        assert_native(&bin, &warm);
        // Code mapped at run time (glibc's libc.so.6) is rewritten on a
        // miss, placed from the cache on a hit.
        let log = common::stderr_text(&warm);
        assert!(!log.contains("new code at"), "{name}: the warm run rewrote code:\n{log}");
        if name.contains("glibc") {
            assert!(common::stderr_text(&cold).contains("new code at"), "{name}: the cold run maps libc.so.6");
        }
    }
}

#[test]
fn an_entry_removed_or_replaced_after_its_hit_still_runs() {
    // A disk hit maps the image's pages from the entry's file, kept open:
    // the entry unlinked, or replaced (by rename, as nommu's writers do)
    // with a short garbage file, later execs in the same nommu process
    // still get the image (no SIGBUS), and they match the native run.
    let cache = TempDir::new("imgcache-held");
    let bin = guest("hello-musl");
    let (_, how) = nommu_run(cache.path(), &[], &[], &bin);
    assert_eq!(how, Image::Rewritten);
    let entry = one_entry(cache.path());
    let native = run_native_reference(&bin, &["a", "b"], &[]);
    let native = format!("{}status {}\n", text(&native), shell_status(&native));
    let (e, tmp) = (entry.display(), cache.path().join("short").display().to_string());
    let b = format!("{} a b; echo status $?", bin.display());
    let script = format!("{b}; rm {e}; {b}; echo junk > {tmp}; mv {tmp} {e}; {b}; {b}");
    for env in [&[][..], &[("NOMMU_EXEC_MAP", "0")][..]] {
        std::fs::copy(&entry, cache.path().join("saved")).expect("save the entry");
        let out = Command::new(nommu())
            .env("XDG_CACHE_HOME", cache.path())
            .envs(env.iter().copied())
            .arg("run")
            .arg(common::repo().join("rootfs/bin/busybox"))
            .args(["sh", "-c", &script])
            .output()
            .expect("nommu runs");
        assert!(out.status.success(), "{env:?}: {}", common::stderr_text(&out));
        assert_eq!(text(&out), native.repeat(4), "{env:?}");
        std::fs::rename(cache.path().join("saved"), &entry).expect("restore the entry");
    }
}
