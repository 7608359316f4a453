//! Helpers for running the same binary natively and under nommu.
// Harness arithmetic is on sizes and counts the test itself chose, not on
// guest input: the crate's overflow lint is for the kernel.
#![allow(clippy::arithmetic_side_effects)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn nommu() -> PathBuf {
    keep_inherited_fds_out_of_children();
    private_image_cache();
    PathBuf::from(env!("CARGO_BIN_EXE_nommu"))
}

/// The on-disk image cache the nommu runs of this test binary share: a
/// fresh directory per run of the binary (never the user's cache), so
/// that the first run of each program is a miss (a cold start, the image
/// rewritten and stored) and the later ones hits (a warm start, the image
/// read back); both paths are exercised by every suite. Directories of
/// earlier runs whose process is gone are removed.
pub fn image_cache_home() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("xdg-cache-{}", std::process::id()))
}

fn private_image_cache() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        for e in std::fs::read_dir(&base).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("xdg-cache-") {
                if !Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = image_cache_home();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        // Every nommu (and every native run: harmless) inherits it. std's
        // own environment lock orders this against concurrent spawns.
        std::env::set_var("XDG_CACHE_HOME", &dir);
    });
}

/// Whatever launched the tests (a CI runner's lock file, a make jobserver)
/// may have left fds above 2 open; a native guest would inherit them while
/// under nommu it starts with 0, 1 and 2 only, and the two runs would
/// differ. Marking them close-on-exec once makes both start alike.
fn keep_inherited_fds_out_of_children() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets a flag on
        // this process's fds; it touches no memory.
        let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC) };
        assert_eq!(r, 0, "close_range(CLOSE_RANGE_CLOEXEC): {}", std::io::Error::last_os_error());
    });
}

/// Static-pie builds, then the same programs dynamically linked (loaded by
/// the host root's /lib/ld-musl-x86_64.so.1 and /lib64/ld-linux-x86-64.so.2).
pub const LIBCS: [&str; 4] = ["musl", "glibc", "musl-dyn", "glibc-dyn"];

/// Runs `f` on each build of guest program `name`.
pub fn each_libc(name: &str, f: impl Fn(&Path)) {
    for libc in LIBCS {
        f(&guest(&format!("{name}-{libc}")));
    }
}

/// Only the static builds: for roots that hold nothing but the program.
pub fn each_static_libc(name: &str, f: impl Fn(&Path)) {
    for libc in &LIBCS[..2] {
        f(&guest(&format!("{name}-{libc}")));
    }
}

/// A run's stdout as text.
pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A run's stderr as text.
pub fn stderr_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `bin` natively, each run in a fresh empty working directory: the
/// native run must end with `want_status` (else the test program or the
/// host is wrong, not nommu); then under nommu (with `nommu_args`) stdout
/// and status must be the same. Returns (native, nommu).
pub fn differential_in_dirs(
    bin: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    nommu_args: &[&str],
    want_status: i32,
) -> (Output, Output) {
    let name = bin.file_name().unwrap().to_string_lossy().into_owned();
    let native = native_reference("in a fresh directory", &[bin], args, env, || {
        let dir = TempDir::new(&format!("{name}-native"));
        run_native_in_env(dir.path(), bin, args, env)
    });
    assert_eq!(
        shell_status(&native),
        want_status,
        "the NATIVE run of {} did not pass, so the test program (or this host) is wrong, not nommu:\n{}\n--- stderr:\n{}",
        bin.display(),
        text(&native),
        stderr_text(&native)
    );
    let emulated = {
        let dir = TempDir::new(&format!("{name}-nommu"));
        run_nommu_in_env(dir.path(), bin, args, env, nommu_args)
    };
    assert_outputs_match(&bin.display().to_string(), &native, &emulated);
    (native, emulated)
}

/// `#[test]`s that each run one guest program, no arguments, natively and
/// under `nommu run`, each run in a fresh directory, for every libc build:
/// it passes natively and nommu's stdout and status are the same
/// (`differential_in_dirs`). One row a test, `test_name: "program";`,
/// attributes (doc comments) before it. Not every test file has such tests.
#[allow(unused_macros)]
macro_rules! guest_program_tests {
    ($($(#[$attr:meta])* $test:ident: $program:literal;)+) => {
        $(
            $(#[$attr])*
            #[test]
            fn $test() {
                each_libc($program, |bin| {
                    differential_in_dirs(bin, &[], &[], &[], 0);
                });
            }
        )+
    };
}
#[allow(unused_imports)]
pub(crate) use guest_program_tests;

/// A built guest test binary; the Makefile builds them before cargo test.
pub fn guest(name: &str) -> PathBuf {
    keep_inherited_fds_out_of_children();
    let p = repo().join("guest-tests/bin").join(name);
    assert!(p.exists(), "{} is missing: run `make -C guest-tests` (or `make test`)", p.display());
    p
}

/// Exit status the way a shell reports it: code, or 128 + signal.
pub fn shell_status(out: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (out.status.code(), out.status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => -1,
    }
}

/// Runs a prepared command (stdin empty) with the usual 60 s limit.
pub fn run_command(cmd: Command) -> Output {
    run_with_timeout(cmd, Duration::from_secs(60))
}

fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Output {
    use std::io::Read;
    keep_inherited_fds_out_of_children();
    cmd.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let start = std::time::Instant::now();
    // Most runs take a few milliseconds: look again soon at first, then
    // every 5 ms, rather than 5 ms after each of thousands of short runs.
    let mut pause = Duration::from_micros(100);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(pause);
        pause = pause.saturating_mul(2).min(Duration::from_millis(5));
    };
    Output { status, stdout: out_t.join().unwrap(), stderr: err_t.join().unwrap() }
}

pub fn run_native(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args).envs(env.iter().copied());
    run_with_timeout(cmd, Duration::from_secs(60))
}

/// `run_native` for a run that is only the reference a nommu run is
/// compared with (its side effects are not looked at).
pub fn run_native_reference(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    native_reference("in the current directory", &[bin], args, env, || run_native(bin, args, env))
}

/// The native reference run of a program (`files`: it and whatever else it
/// runs from; run `how`, with `args` and `env`): `run` runs it. The native
/// side of a program does not depend on how nommu runs (the NOMMU_*
/// switches, trap-only, a debug build), so `make test` runs it once: its
/// passes after the first take it from NOMMU_NATIVE_RUNS, a directory the
/// Makefile makes fresh for each `make test`, keyed by `how`, the identity
/// of the `files` (path, inode, size, mtime), the arguments, `env` and the
/// test's own environment but for what differs between the passes. Every
/// check on it (status, output) is still made on each use; every nommu run
/// still runs. Without NOMMU_NATIVE_RUNS (plain `cargo test`) it just runs.
pub fn native_reference(
    how: &str,
    files: &[&Path],
    args: &[&str],
    env: &[(&str, &str)],
    run: impl FnOnce() -> Output,
) -> Output {
    let Some(dir) = std::env::var_os("NOMMU_NATIVE_RUNS").filter(|d| !d.is_empty()).map(PathBuf::from) else {
        return run();
    };
    use std::hash::{Hash, Hasher};
    use std::os::unix::fs::MetadataExt;
    let ids: Vec<String> = files
        .iter()
        .map(|f| {
            let m = std::fs::metadata(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            format!("{} {}:{}:{}:{}.{}", f.display(), m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec())
        })
        .collect();
    let mut inherited: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned()))
        .filter(|(k, _)| !varies_between_passes(k))
        .collect();
    inherited.sort();
    let key = format!("{how} files={ids:?} args={args:?} env={env:?} inherited={inherited:?}");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    let file = dir.join(format!("{:016x}", h.finish()));
    forget_if_the_test_fails(&file);
    if let Some((out, ms)) = std::fs::read(&file).ok().and_then(|b| decode_native_run(&key, &b)) {
        // What it saved, for the Makefile's summary (one short append).
        use std::io::Write;
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("reused"));
        let _ = log.and_then(|mut f| f.write_all(format!("{ms}\n").as_bytes()));
        return out;
    }
    let start = std::time::Instant::now();
    let out = run();
    let ms = start.elapsed().as_millis();
    let raw = std::os::unix::process::ExitStatusExt::into_raw(out.status);
    let mut rec = format!("{key}\n{raw}\n{}\n{ms}\n", out.stdout.len()).into_bytes();
    rec.extend_from_slice(&out.stdout);
    rec.extend_from_slice(&out.stderr);
    let _ = std::fs::create_dir_all(&dir);
    let tmp = dir.join(format!("{:016x}.{}.tmp", h.finish(), std::process::id()));
    if std::fs::write(&tmp, rec).is_ok() {
        let _ = std::fs::rename(&tmp, &file);
    }
    out
}

std::thread_local! {
    /// The saved native runs the current test used.
    static USED: std::cell::RefCell<Vec<PathBuf>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A test that fails (panics) forgets the saved native runs it used, so a
/// native run that went wrong (a race in the program, a busy host) is not
/// carried into the later passes: they run it again, as before.
fn forget_if_the_test_fails(file: &Path) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = USED.try_with(|used| {
                if let Ok(mut used) = used.try_borrow_mut() {
                    used.drain(..).for_each(|f| {
                        let _ = std::fs::remove_file(f);
                    });
                }
            });
            previous(info);
        }));
    });
    USED.with(|used| used.borrow_mut().push(file.to_path_buf()));
}

/// What the passes of `make test` set differently (the nommu switches, the
/// make level, cargo's own variables, what a shell script in between sets,
/// this process's image cache), none of which a native run looks at.
fn varies_between_passes(var: &str) -> bool {
    ["NOMMU_", "CARGO", "__CARGO", "MAKE", "MFLAGS"].iter().any(|p| var.starts_with(p))
        || ["XDG_CACHE_HOME", "LD_LIBRARY_PATH", "SHLVL", "PWD", "OLDPWD", "_"].contains(&var)
}

/// A saved native run and how long it took (ms).
fn decode_native_run(key: &str, rec: &[u8]) -> Option<(Output, u64)> {
    use std::os::unix::process::ExitStatusExt;
    let rest = rec.strip_prefix(key.as_bytes())?.strip_prefix(b"\n")?;
    let mut fields = rest.splitn(4, |&b| b == b'\n');
    let mut number = || std::str::from_utf8(fields.next()?).ok()?.parse::<i64>().ok();
    let (raw, len, ms) = (number()?, number()?, number()?);
    let data = fields.next()?;
    let len = usize::try_from(len).ok().filter(|&l| l <= data.len())?;
    let out = Output {
        status: std::process::ExitStatus::from_raw(i32::try_from(raw).ok()?),
        stdout: data[..len].to_vec(),
        stderr: data[len..].to_vec(),
    };
    Some((out, u64::try_from(ms).ok()?))
}

pub fn run_nommu(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(nommu());
    cmd.arg("run").arg(bin).args(args).envs(env.iter().copied());
    run_with_timeout(cmd, Duration::from_secs(60))
}

/// Runs `bin` both ways; stdout and status must match. Returns nommu's output.
pub fn assert_same(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    assert_same_filtered(bin, args, env, |s| s.to_string())
}

pub fn assert_same_filtered(
    bin: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    filter: impl Fn(&str) -> String,
) -> Output {
    let native = run_native_reference(bin, args, env);
    let emulated = run_nommu(bin, args, env);
    let (n, e) = (String::from_utf8_lossy(&native.stdout), String::from_utf8_lossy(&emulated.stdout));
    assert_eq!(
        filter(&by_design(&n)),
        filter(&by_design(&e)),
        "stdout differs for {}\n--- nommu stderr:\n{}",
        bin.display(),
        String::from_utf8_lossy(&emulated.stderr)
    );
    assert_eq!(
        shell_status(&native),
        shell_status(&emulated),
        "exit status differs for {}\n--- nommu stderr:\n{}",
        bin.display(),
        String::from_utf8_lossy(&emulated.stderr)
    );
    emulated
}

// ---- running in a fresh directory (file system tests) ----

/// A fresh, empty directory under the system temp dir (canonical path),
/// removed with everything in it when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let base = std::env::temp_dir().canonicalize().unwrap_or_else(|_| std::env::temp_dir());
        let path = base.join(format!("nommu-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// True when the tests run as root (chroot, chown and friends need it).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `bin` natively with `dir` as its working directory.
pub fn run_native_in(dir: &Path, bin: &Path, args: &[&str]) -> Output {
    run_native_in_env(dir, bin, args, &[])
}

pub fn run_native_in_env(dir: &Path, bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir).args(args).envs(env.iter().copied());
    run_with_timeout(cmd, Duration::from_secs(60))
}

/// Runs `nommu run [extra_nommu_args] bin args` with `dir` as the host
/// working directory (inside the root, so the guest starts there).
pub fn run_nommu_in(dir: &Path, bin: &Path, args: &[&str], extra_nommu_args: &[&str]) -> Output {
    run_nommu_in_env(dir, bin, args, &[], extra_nommu_args)
}

pub fn run_nommu_in_env(
    dir: &Path,
    bin: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    extra_nommu_args: &[&str],
) -> Output {
    let mut cmd = Command::new(nommu());
    cmd.current_dir(dir).arg("run").args(extra_nommu_args).arg(bin).args(args).envs(env.iter().copied());
    run_with_timeout(cmd, Duration::from_secs(60))
}

/// The first line where two outputs differ, with a little context, for
/// readable failure messages on long outputs.
pub fn first_difference(native: &str, emulated: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (native.lines().collect(), emulated.lines().collect());
    let i = a.iter().zip(b.iter()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let from = i.saturating_sub(3);
    let show = |v: &[&str]| {
        v.iter()
            .enumerate()
            .skip(from)
            .take(i - from + 4)
            .map(|(k, l)| format!("  {:4} {l}\n", k + 1))
            .collect::<String>()
    };
    format!(
        "first difference at line {} (native has {} lines, nommu {}):\n--- native:\n{}--- nommu:\n{}",
        i + 1,
        a.len(),
        b.len(),
        show(&a),
        show(&b)
    )
}

/// Compares a native and an emulated run: stdout and status must match.
/// The tests run with `NOMMU_NO_FSGSBASE=1` (the capability matrix).
pub fn fsgsbase_forced_off() -> bool {
    std::env::var_os("NOMMU_NO_FSGSBASE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Output that differs from a native run by design of the capability
/// combination the tests run under: with `NOMMU_NO_FSGSBASE=1` guests are
/// told (AT_HWCAP2) that FSGSBASE is missing, and say so.
pub fn by_design(text: &str) -> String {
    if fsgsbase_forced_off() {
        text.lines().filter(|l| !l.contains("FSGSBASE")).map(|l| format!("{l}\n")).collect()
    } else {
        text.to_string()
    }
}

pub fn assert_outputs_match(what: &str, native: &Output, emulated: &Output) {
    let (n, e) = (String::from_utf8_lossy(&native.stdout), String::from_utf8_lossy(&emulated.stdout));
    let (n, e) = (by_design(&n), by_design(&e));
    assert!(
        n == e,
        "stdout differs for {what}\n{}\n--- nommu stderr:\n{}",
        first_difference(&n, &e),
        String::from_utf8_lossy(&emulated.stderr)
    );
    assert_eq!(
        shell_status(native),
        shell_status(emulated),
        "exit status differs for {what}\n--- nommu stderr:\n{}",
        String::from_utf8_lossy(&emulated.stderr)
    );
}

/// Runs `bin` natively and under nommu, each in its own fresh empty
/// directory (its cwd); stdout and status must match. Returns nommu's
/// output.
pub fn assert_same_in(bin: &Path, args: &[&str], env: &[(&str, &str)], extra_nommu_args: &[&str]) -> Output {
    let name = bin.file_name().unwrap().to_string_lossy().into_owned();
    let native = native_reference("in a fresh directory", &[bin], args, env, || {
        let dir = TempDir::new(&format!("{name}-native"));
        run_native_in_env(dir.path(), bin, args, env)
    });
    let emulated = {
        let dir = TempDir::new(&format!("{name}-nommu"));
        run_nommu_in_env(dir.path(), bin, args, env, extra_nommu_args)
    };
    assert_outputs_match(&bin.display().to_string(), &native, &emulated);
    emulated
}

/// Every line where two outputs differ (native first, nommu second), for
/// programs that print one check per line: a failure shows all broken
/// checks at once, not only the first.
pub fn differing_lines(native: &str, emulated: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (native.lines().collect(), emulated.lines().collect());
    let mut out = String::new();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).copied(), b.get(i).copied());
        if x != y {
            out += &format!(
                "  line {:3}  native: {}\n            nommu:  {}\n",
                i + 1,
                x.unwrap_or("<none>"),
                y.unwrap_or("<none>")
            );
        }
    }
    out
}

// ---- what the host gives (nommu caps) ----

/// What `nommu run` has in force on this host with the test's environment
/// (`NOMMU_NO_PKU`, `NOMMU_TRAP_ONLY`, ...): `nommu caps --machine`.
pub struct Caps {
    /// `execute-only`, `readable` or `unmapped`.
    pub page0: String,
    pub trampoline: bool,
    /// `yes`, `no` or `forced_off`.
    pub pku: String,
    pub fsgsbase: String,
    /// `sud`, `seccomp` or `none`.
    pub trap: String,
    /// Each tmpfs a host tmpfs of its own (`yes`, `no`, `forced_off`):
    /// `size=` is enforced (ENOSPC) only with `yes`.
    pub host_mounts: String,
    /// The files of a tmpfs are memory (a host tmpfs), not on disk.
    pub tmpfs_in_memory: bool,
}

pub fn caps(nommu_args: &[&str]) -> Caps {
    let out = Command::new(nommu()).arg("caps").arg("--machine").args(nommu_args).output().expect("nommu caps");
    assert!(out.status.success(), "nommu caps failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
            .unwrap_or_else(|| panic!("nommu caps says nothing of {key}: {text}"))
            .to_string()
    };
    Caps {
        page0: get("page0"),
        trampoline: get("trampoline") == "true",
        pku: get("pku"),
        fsgsbase: get("fsgsbase"),
        trap: get("trap"),
        host_mounts: get("host_mounts"),
        tmpfs_in_memory: get("tmpfs_in_memory") == "true",
    }
}

/// The `nommu run` options a test needs for NULL reads to fault as they do
/// natively: none where page 0 is execute-only or unmapped, `--null-guard`
/// where it is readable (no PKU).
pub fn null_faults_args() -> Vec<&'static str> {
    if caps(&[]).page0 == "readable" {
        vec!["--null-guard"]
    } else {
        Vec::new()
    }
}

/// Boots a machine (`nommu` with `args`) with `script` on its console's
/// stdin; its output. A machine that fails to start reads none of it.
pub fn boot_script<S: AsRef<std::ffi::OsStr>>(args: &[S], script: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(nommu())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", nommu().display()));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script.as_bytes());
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("waiting for nommu: {e}"))
}
