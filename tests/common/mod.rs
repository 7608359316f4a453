//! Helpers for running the same binary natively and under nommu.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn nommu() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nommu"))
}

/// A built guest test binary; the Makefile builds them before cargo test.
pub fn guest(name: &str) -> PathBuf {
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

fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Output {
    use std::io::Read;
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
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output { status, stdout: out_t.join().unwrap(), stderr: err_t.join().unwrap() }
}

pub fn run_native(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args).envs(env.iter().copied());
    run_with_timeout(cmd, Duration::from_secs(60))
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
    let native = run_native(bin, args, env);
    let emulated = run_nommu(bin, args, env);
    let (n, e) = (String::from_utf8_lossy(&native.stdout), String::from_utf8_lossy(&emulated.stdout));
    assert_eq!(
        filter(&n),
        filter(&e),
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
