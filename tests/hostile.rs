//! Hostile guests: a syscall fuzzer and programs that exhaust memory,
//! descriptors and processes or overflow their stack. Whatever a guest
//! does, the emulator must neither crash nor hang: `nommu run` ends by
//! itself, with the guest's status, and never panics.
//!
//! `guest-tests/src/fuzz_syscalls.c` makes random syscalls (random and
//! boundary arguments, bad pointers, huge lengths, negative fds) for a fixed
//! count with fixed seeds: in one process, in four threads of one process,
//! and in spawned children (a child that dies is counted, the parent goes
//! on). Its results are not comparable with Linux's, so it runs natively
//! only to show that the program itself is sane; the checks are that it
//! finishes, that no call returned an errno Linux never returns, and that
//! its memory stays its own (no mmap/mremap hands out memory it had, its
//! buffers stay mapped: else "LOST MEMORY" and status 4). With
//! `edges` it draws mostly values near 2^64 and 2^47, pointer + length
//! pairs that wrap past 2^64, the ends of the process's own memory (from
//! /proc/self/maps) and memory calls whose length wraps (see the top of
//! fuzz_syscalls.c). `NOMMU_FUZZ_CALLS=N` sets
//! the number of calls per run (default 4000; `make fuzz` runs 200000),
//! `NOMMU_FUZZ_SEED=S` other seeds. A failing seed reproduces with
//! `nommu run guest-tests/bin/fuzz_syscalls-musl SEED COUNT [edges] trace`,
//! which prints every call before making it (and the ends of memory it
//! found).
//!
//! `guest-tests/src/exhaust.c` runs natively and under nommu (with a small
//! arena where memory runs out); stdout and status must match.
// Harness arithmetic is on sizes and counts the test itself chose, not on
// guest input: the crate's overflow lint is for the kernel.
#![allow(clippy::arithmetic_side_effects)]

mod common;
use common::*;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const LIBCS: [&str; 2] = ["musl", "glibc"];

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn fuzz_calls() -> u64 {
    env_u64("NOMMU_FUZZ_CALLS").unwrap_or(4000)
}

fn fuzz_seeds() -> [u64; 2] {
    let s = env_u64("NOMMU_FUZZ_SEED").unwrap_or(1);
    [s, s + 1]
}

/// Fuzzing takes about 50 µs a call under nommu on a loaded machine; allow
/// ten times that.
fn fuzz_timeout(calls: u64) -> Duration {
    Duration::from_secs(60) + Duration::from_micros(calls * 500)
}

/// Runs `cmd` (stdin /dev/null, in a process group of its own) and kills
/// the group after `timeout`: a hang is a failure that names the command.
fn run(mut cmd: Command, timeout: Duration) -> Output {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::sync::mpsc;
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let reader = |mut pipe: Box<dyn Read + Send>| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = pipe.read_to_end(&mut v);
            let _ = tx.send(v);
        });
        rx
    };
    let out = reader(Box::new(child.stdout.take().unwrap()));
    let err = reader(Box::new(child.stderr.take().unwrap()));
    // Children that outlive a killed parent may keep the pipes open.
    let collect = |rx: mpsc::Receiver<Vec<u8>>| rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
    let start = Instant::now();
    let mut pause = Duration::from_micros(100);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > timeout {
            // SAFETY: kill(2) of the process group the child leads.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            let err = text(&collect(err));
            panic!("HANG: {cmd:?} did not finish within {timeout:?}\n--- stderr (tail):\n{}", tail(&err, 40));
        }
        std::thread::sleep(pause);
        pause = pause.saturating_mul(2).min(Duration::from_millis(5));
    };
    Output { status, stdout: collect(out), stderr: collect(err) }
}

fn tail(s: &str, lines: usize) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

fn native(dir: &Path, bin: &Path, args: &[&str], timeout: Duration) -> Output {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir).args(args);
    run(cmd, timeout)
}

fn emulated(dir: &Path, nommu_args: &[&str], bin: &Path, args: &[&str], timeout: Duration) -> Output {
    let mut cmd = Command::new(nommu());
    cmd.current_dir(dir).arg("run").args(nommu_args).arg(bin).args(args);
    run(cmd, timeout)
}

/// The fuzzer under nommu with `dir` as its root (`--root`), the program
/// copied in: whatever a bug in nommu let the fuzzer's calls reach, it
/// could only be files inside `dir`, never the host's (nommu runs as root
/// in CI).
fn fuzz_in_own_root(dir: &Path, bin: &Path, args: &[&str], timeout: Duration) -> Output {
    let inside = dir.join("fuzz_syscalls");
    std::fs::copy(bin, &inside).unwrap_or_else(|e| panic!("copying {} into {}: {e}", bin.display(), dir.display()));
    let root = format!("--root={}", dir.display());
    emulated(dir, &[&root], Path::new("/fuzz_syscalls"), args, timeout)
}

/// nommu ended by itself (it was not killed by a signal) and printed no
/// Rust panic.
fn assert_emulator_survived(out: &Output, what: &str) {
    let err = text(&out.stderr);
    assert!(
        out.status.signal().is_none(),
        "{what}: the EMULATOR was killed by signal {:?}\n--- stderr (tail):\n{}",
        out.status.signal(),
        tail(&err, 40)
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{what}: the emulator panicked\n--- stderr (tail):\n{}",
        tail(&err, 60)
    );
}

/// The fuzzer finished: status 0 and its closing line.
fn assert_fuzz_done(out: &Output, calls: u64, what: &str) {
    let stdout = text(&out.stdout);
    let done = format!("fuzz_syscalls: done {calls} calls, 0 anomalies");
    assert!(
        shell_status(out) == 0 && stdout.contains(&done),
        "{what}: status {} (want 0 and \"{done}\")\n--- stdout (tail):\n{}\n--- stderr (tail):\n{}",
        shell_status(out),
        tail(&stdout, 30),
        tail(&text(&out.stderr), 30)
    );
}

#[test]
fn fuzz_syscalls_in_one_process() {
    let calls = fuzz_calls();
    let n = calls.to_string();
    for libc in LIBCS {
        for seed in fuzz_seeds() {
            fuzz_natively_and_under_nommu(libc, &[&seed.to_string(), &n], calls);
        }
    }
}

/// `fuzz_syscalls-LIBC ARGS` natively (the program must be sane), then
/// under nommu: nommu survives, the fuzzer finishes `calls` calls.
fn fuzz_natively_and_under_nommu(libc: &str, args: &[&str], calls: u64) {
    let bin = guest(&format!("fuzz_syscalls-{libc}"));
    let what = format!("fuzz_syscalls-{libc} {}", args.join(" "));
    let dir = TempDir::new("fuzz-native");
    let out = native(dir.path(), &bin, args, fuzz_timeout(calls));
    assert_fuzz_done(&out, calls, &format!("NATIVE {what} (the program, or this host, is wrong)"));

    let dir = TempDir::new("fuzz-nommu");
    let start = Instant::now();
    let out = fuzz_in_own_root(dir.path(), &bin, args, fuzz_timeout(calls));
    assert_emulator_survived(&out, &what);
    assert_fuzz_done(&out, calls, &format!("nommu run {what}"));
    eprintln!("{what}: {:.1?} under nommu", start.elapsed());
}

/// The edge kinds, mostly (`edges`): lengths and addresses near 2^64 and
/// 2^47, pointer + length pairs that wrap, the ends of the process's own
/// memory, and munmap/mremap/mprotect/madvise/mlock... with lengths that
/// wrap past 2^64 (natively all rejected before anything changes; nommu
/// must reject them too, not unmap what lies above). In one process, and
/// in four threads, whose stacks and buffers lie above each other's in the
/// arena.
#[test]
fn fuzz_syscalls_at_the_edges() {
    let calls = fuzz_calls();
    let n = calls.to_string();
    let one = (fuzz_seeds()[0] + 300).to_string();
    let four = (fuzz_seeds()[0] + 400).to_string();
    for libc in LIBCS {
        fuzz_natively_and_under_nommu(libc, &[&one, &n, "edges"], calls);
        fuzz_natively_and_under_nommu(libc, &[&four, &n, "threads", "4", "edges"], calls / 4 * 4);
    }
}

/// Four threads of one process fuzz at once (each with its own buffers;
/// the descriptors, the working directory and the signal handlers are
/// shared), which is where the emulator's locking is tested.
#[test]
fn fuzz_syscalls_in_four_threads() {
    let calls = fuzz_calls();
    let n = calls.to_string();
    let seed = (fuzz_seeds()[0] + 200).to_string();
    for libc in LIBCS {
        fuzz_natively_and_under_nommu(libc, &[&seed, &n, "threads", "4"], calls / 4 * 4);
    }
}

/// The parent posix_spawns children that fuzz (8 of them, 4 at a time,
/// seeds derived from its own) and counts how they end (a child killed by
/// a signal would be contained); every child must end normally, the parent
/// must finish.
#[test]
fn fuzz_syscalls_in_spawned_children() {
    let calls = fuzz_calls();
    let n = calls.to_string();
    let seed = (fuzz_seeds()[0] + 100).to_string();
    let all_fine =
        "fuzz_syscalls: spawn: 8 children: 8 exited 0, 0 exited non-zero, 0 hung, 0 not started, 0 killed in all";
    for libc in LIBCS {
        let bin = guest(&format!("fuzz_syscalls-{libc}"));
        let args = [seed.as_str(), n.as_str(), "spawn", "8", "parallel", "4"];
        let what = format!("fuzz_syscalls-{libc} {}", args.join(" "));
        let dir = TempDir::new("fuzz-spawn-native");
        let out = native(dir.path(), &bin, &args, fuzz_timeout(calls));
        assert_fuzz_done(&out, calls / 8 * 8, &format!("NATIVE {what}"));
        assert!(text(&out.stdout).contains(all_fine), "NATIVE {what}:\n{}", text(&out.stdout));

        let dir = TempDir::new("fuzz-spawn-nommu");
        let out = fuzz_in_own_root(dir.path(), &bin, &args, fuzz_timeout(calls));
        assert_emulator_survived(&out, &what);
        assert_fuzz_done(&out, calls / 8 * 8, &format!("nommu run {what}"));
        assert!(
            text(&out.stdout).contains(all_fine),
            "nommu run {what}: not every child ended normally\n{}\n--- stderr (tail):\n{}",
            text(&out.stdout),
            tail(&text(&out.stderr), 30)
        );
    }
}

/// `PROGRAM-LIBC ARGS` natively and under nommu (`nommu_args`), in fresh
/// directories: the native run has `native_status`, nommu survives, stdout
/// and status match.
fn differential(program: &str, args: &[&str], nommu_args: &[&str], native_status: i32) {
    for libc in LIBCS {
        let bin = guest(&format!("{program}-{libc}"));
        let name = format!("{program}-{libc} {}", args.join(" "));
        let dir = TempDir::new("hostile-native");
        let n = native(dir.path(), &bin, args, Duration::from_secs(120));
        assert_eq!(
            shell_status(&n),
            native_status,
            "NATIVE {name}: the program (or this host) is wrong\n{}\n--- stderr:\n{}",
            text(&n.stdout),
            text(&n.stderr)
        );
        let dir = TempDir::new("hostile-nommu");
        let e = emulated(dir.path(), nommu_args, &bin, args, Duration::from_secs(120));
        assert_emulator_survived(&e, &name);
        assert_eq!(
            text(&n.stdout),
            text(&e.stdout),
            "nommu run {} {name}: stdout differs\n--- stderr:\n{}",
            nommu_args.join(" "),
            tail(&text(&e.stderr), 30)
        );
        assert_eq!(shell_status(&n), shell_status(&e), "nommu run {name}: status\n{}", text(&e.stderr));
    }
}

fn exhaust(what: &str, nommu_args: &[&str], native_status: i32) {
    differential("exhaust", &[what], nommu_args, native_status);
}

/// Bugs found while fuzzing, one case each (`guest-tests/src/fuzz_regress.c`).
/// Regressions: getdents64 into a bad buffer used up the directory's
/// entries; readv of a /proc file with a bad second buffer returned EFAULT
/// and lost what the first one received.
#[test]
fn fuzz_regressions() {
    differential("fuzz_regress", &[], &[], 0);
}

/// malloc and mmap until ENOMEM in a 32 MiB arena (natively: a 512 MiB
/// RLIMIT_AS), free, allocate again; spawning with no memory left fails
/// cleanly.
#[test]
fn exhaust_memory() {
    exhaust("mem", &["--mem", "32M"], 0);
}

/// open until EMFILE at RLIMIT_NOFILE 256 and 1024, the rest of the ways to
/// make a descriptor at the limit, and at the default limit.
#[test]
fn exhaust_descriptors() {
    exhaust("fds", &[], 0);
}

/// Every guest descriptor of a host file is a host descriptor: when the
/// host's table fills before the guest's own (its default limit is the
/// host's), the guest gets ENFILE, never EMFILE, and nommu carries on.
/// Regression: open and pipe returned the host's EMFILE.
#[test]
fn host_descriptor_table_full_is_enfile() {
    let limit = libc::rlimit { rlim_cur: 2048, rlim_max: 2048 };
    for libc in LIBCS {
        let bin = guest(&format!("exhaust-{libc}"));
        let dir = TempDir::new("exhaust-enfile");
        let mut cmd = Command::new(nommu());
        cmd.current_dir(dir.path()).arg("run").arg(&bin).arg("fds");
        // SAFETY: setrlimit is async-signal-safe and touches no memory of
        // the parent.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(move || {
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = run(cmd, Duration::from_secs(60));
        assert_emulator_survived(&out, "exhaust fds with a host limit of 2048");
        let err = text(&out.stderr);
        assert!(
            shell_status(&out) == 0 && err.contains("open at the default limit 2048:") && err.contains("then ENFILE"),
            "exhaust-{libc} fds under a host RLIMIT_NOFILE of 2048: status {}\n{}\n--- stderr:\n{err}",
            shell_status(&out),
            text(&out.stdout)
        );
    }
}

/// 2000 vforks in a row, then children that stay until no more can start
/// (32 MiB arena; natively a cap of 300); all reaped; spawning works again.
#[test]
fn exhaust_processes() {
    exhaust("pids", &["--mem", "32M"], 0);
}

/// Unbounded recursion runs into the guard below the main stack: SIGSEGV
/// (status 139), as natively, whatever the arena size.
#[test]
fn stack_overflow_is_sigsegv() {
    exhaust("stack", &[], 139);
    exhaust("stack", &["--mem", "32M"], 139);
}
