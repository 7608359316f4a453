//! Host signals sent to `nommu run` reach the guest as they reach the same
//! program run natively (docs/architecture.md, invariant 6): the test sends
//! the same signal to the child's pid (the program natively, nommu
//! otherwise) and compares what it printed and how it ended. Each case runs
//! under nommu twice: with routed signals taken by the vCPU threads (the
//! default) and with the routing thread (NOMMU_HOST_SIGNAL_THREAD=1).

// Harness arithmetic is on values the test chose.
#![allow(clippy::arithmetic_side_effects)]

mod common;
use common::*;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Only against hangs.
const HANG: Duration = Duration::from_secs(30);

/// How a run is made: natively, or under nommu with or without the
/// routing thread.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Way {
    Native,
    Nommu { thread: bool },
}

const NOMMU_WAYS: [Way; 2] = [Way::Nommu { thread: false }, Way::Nommu { thread: true }];

struct Run {
    way: Way,
    child: Child,
    lines: mpsc::Receiver<String>,
    out: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// How a run ended, the way a shell reports it; `host_signal` is set when
/// the host process itself died of a signal.
#[derive(Debug, PartialEq)]
struct End {
    status: i32,
    host_signal: bool,
    stopped: bool,
}

impl Run {
    fn start(way: Way, bin: &Path, args: &[&str], extra: &[&str], stdin: Stdio) -> Run {
        let mut cmd = match way {
            Way::Native => Command::new(bin),
            Way::Nommu { thread } => {
                let mut c = Command::new(nommu());
                c.env("NOMMU_HOST_SIGNAL_THREAD", if thread { "1" } else { "0" });
                c.arg("run").args(extra).arg(bin);
                c
            }
        };
        cmd.args(args).stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::null());
        // A process group of its own whose parent (this test) is in the same
        // session: not orphaned, so the host stops it at SIGTSTP however the
        // test itself was started (a group orphaned by a background `make`
        // or a CI script ignores SIGTSTP natively).
        cmd.process_group(0);
        let mut child = cmd.spawn().expect("spawn");
        let mut stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let out2 = out.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            let mut line = String::new();
            loop {
                let n = match stdout.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let s = String::from_utf8_lossy(&buf[..n]).into_owned();
                out2.lock().unwrap().push_str(&s);
                for c in s.chars() {
                    if c == '\n' {
                        let _ = tx.send(std::mem::take(&mut line));
                    } else {
                        line.push(c);
                    }
                }
            }
        });
        Run { way, child, lines, out, reader: Some(reader) }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn wait_ready(&mut self) {
        match self.lines.recv_timeout(HANG) {
            Ok(l) if l == "ready" => {}
            other => {
                let _ = self.child.kill();
                panic!("{:?}: expected ready, got {other:?}", self.way);
            }
        }
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill to our own child, which we have not reaped yet.
        assert_eq!(unsafe { libc::kill(self.pid(), sig) }, 0);
    }

    /// Waits for the child to end (or, with `stop`, to stop); kills it
    /// after `HANG`.
    fn wait(&mut self, stop: bool) -> End {
        let start = Instant::now();
        loop {
            let mut st = 0;
            let flags = libc::WNOHANG | if stop { libc::WUNTRACED } else { 0 };
            // SAFETY: waitpid on our own child with a valid status pointer.
            let r = unsafe { libc::waitpid(self.pid(), &mut st, flags) };
            assert!(r >= 0, "waitpid: {}", std::io::Error::last_os_error());
            if r == self.pid() {
                if libc::WIFSTOPPED(st) {
                    return End { status: 0, host_signal: false, stopped: true };
                }
                if libc::WIFEXITED(st) {
                    return End { status: libc::WEXITSTATUS(st), host_signal: false, stopped: false };
                }
                return End { status: 128 + libc::WTERMSIG(st), host_signal: true, stopped: false };
            }
            if start.elapsed() > HANG {
                // SAFETY: as in `signal`.
                unsafe { libc::kill(self.pid(), libc::SIGKILL) };
                panic!("{:?}: hangs (output so far: {:?})", self.way, self.output());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Everything it printed (after it ended).
    fn finish(&mut self) -> String {
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        self.output()
    }

    fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }
}

/// The end of a nommu run: the guest's status, which nommu reports as its
/// exit code (128 + signal when the guest was killed). A nommu that died
/// of the host signal itself did not route it.
fn check_nommu_end(way: Way, end: &End, out: &str) {
    assert!(!end.host_signal, "{way:?}: nommu itself died of signal {} (output {out:?})", end.status - 128);
}

/// Starts `mode`, waits for "ready", sends `sig`; the run ends.
fn signalled(way: Way, bin: &Path, mode: &str, sig: i32, stdin: Stdio) -> (String, End) {
    let mut run = Run::start(way, bin, &[mode], &[], stdin);
    run.wait_ready();
    run.signal(sig);
    let end = run.wait(false);
    let out = run.finish();
    (out, end)
}

fn differential(mode: &str, sig: i32, stdin: impl Fn() -> Stdio) {
    for libc in &LIBCS[..2] {
        let bin = guest(&format!("hostsig-{libc}"));
        let (native_out, native_end) = signalled(Way::Native, &bin, mode, sig, stdin());
        for way in NOMMU_WAYS {
            let (out, end) = signalled(way, &bin, mode, sig, stdin());
            check_nommu_end(way, &end, &out);
            assert_eq!(out, native_out, "{libc} {mode} {way:?}: output");
            assert_eq!(end.status, native_end.status, "{libc} {mode} {way:?}: status");
        }
    }
}

#[test]
fn sigint_kills_a_cpu_bound_program() {
    differential("spin", libc::SIGINT, Stdio::null);
}

#[test]
fn sigquit_kills_a_cpu_bound_program() {
    differential("spin", libc::SIGQUIT, Stdio::null);
}

#[test]
fn sigterm_runs_the_programs_handler() {
    differential("term", libc::SIGTERM, Stdio::null);
}

#[test]
fn sighup_ends_a_blocked_read() {
    // stdin is a pipe whose writer stays open: read(0) blocks.
    differential("read", libc::SIGHUP, Stdio::piped);
}

#[test]
fn sigint_when_the_main_thread_has_exited() {
    // The main thread (pid 1's first task runs on nommu's) is gone: the
    // signal goes to the thread that spins.
    differential("thread-exit", libc::SIGINT, Stdio::null);
}

#[test]
fn sigtstp_stops_and_sigcont_continues() {
    for libc in &LIBCS[..2] {
        let bin = guest(&format!("hostsig-{libc}"));
        let mut ends = Vec::new();
        for way in [Way::Native, NOMMU_WAYS[0], NOMMU_WAYS[1]] {
            let mut run = Run::start(way, &bin, &["cont"], &[], Stdio::null());
            run.wait_ready();
            run.signal(libc::SIGTSTP);
            // Natively the program stops (SIGTSTP); under nommu the guest
            // stops and nommu stops itself (SIGSTOP): the parent sees a
            // stop either way.
            let stopped = run.wait(true);
            assert!(stopped.stopped, "{libc} {way:?}: not stopped: {stopped:?}");
            run.signal(libc::SIGCONT);
            let end = run.wait(false);
            let out = run.finish();
            if way != Way::Native {
                check_nommu_end(way, &end, &out);
            }
            ends.push((way, out, end.status));
        }
        let (_, native_out, native_status) = &ends[0];
        assert_eq!(native_out, "ready\nhandler: SIGCONT\n");
        for (way, out, status) in &ends[1..] {
            assert_eq!(out, native_out, "{libc} {way:?}: output");
            assert_eq!(status, native_status, "{libc} {way:?}: status");
        }
    }
}

/// The signal mask bits /proc/PID/status shows in `field` (SigBlk, SigCgt).
fn proc_mask(pid: i32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    u64::from_str_radix(line.split(':').nth(1)?.trim(), 16).ok()
}

/// A signal that comes while nommu boots (before the guest runs, or before
/// it installed its handler) ends the guest by its default action or runs
/// its handler, as a signal sent to a native program that early does; it
/// never kills nommu or hangs it.
#[test]
fn a_signal_during_start_up() {
    let term = 1u64 << (libc::SIGTERM - 1);
    for libc in &LIBCS[..2] {
        let bin = guest(&format!("hostsig-{libc}"));
        let allowed = ["ready\nhandler: SIGTERM\n", "handler: SIGTERM\n", "ready\n", ""];
        for way in [Way::Native, NOMMU_WAYS[0], NOMMU_WAYS[1]] {
            for round in 0..6 {
                let mut run = Run::start(way, &bin, &["early"], &[], Stdio::null());
                // As soon as the signal cannot kill the process: natively
                // once the program has its handler, under nommu once it
                // blocks or catches the routed signals (early in main;
                // before that the host's default action would apply, as
                // for any process that did not get so far). Then at once,
                // or a little later, into the boot.
                let fields: &[&str] = if way == Way::Native { &["SigCgt"] } else { &["SigBlk", "SigCgt"] };
                let start = Instant::now();
                while !fields.iter().any(|f| proc_mask(run.pid(), f).is_some_and(|m| m & term != 0)) {
                    assert!(start.elapsed() < HANG, "{way:?}: {fields:?} never show SIGTERM");
                    std::thread::yield_now();
                }
                std::thread::sleep(Duration::from_micros(200 * round));
                run.signal(libc::SIGTERM);
                let end = run.wait(false);
                let out = run.finish();
                if way != Way::Native {
                    check_nommu_end(way, &end, &out);
                }
                // The handler's exit, or death by SIGTERM: both are a
                // native program's outcomes, depending on when it comes.
                let ok = match end.status {
                    3 => out.ends_with("handler: SIGTERM\n"),
                    143 => !out.contains("handler"),
                    _ => false,
                };
                assert!(ok && allowed.contains(&out.as_str()), "{libc} {way:?} round {round}: {end:?} {out:?}");
            }
        }
    }
}

/// SIGUSR1 to nommu draws the arena picture (--memmap) at once, while the
/// guest goes on running; the guest never sees it.
#[test]
fn sigusr1_draws_the_memory_map_while_the_guest_runs() {
    let dir = TempDir::new("hostsig-memmap");
    let bin = guest("hostsig-musl");
    for way in NOMMU_WAYS {
        let svg = dir.path().join(format!("map-{way:?}.svg").replace(['{', '}', ' ', ':'], ""));
        let svg_arg = svg.display().to_string();
        let mut run = Run::start(way, &bin, &["spin"], &["--memmap", &svg_arg], Stdio::null());
        run.wait_ready();
        assert!(!svg.exists(), "{way:?}: drawn before SIGUSR1");
        run.signal(libc::SIGUSR1);
        let start = Instant::now();
        while !svg.exists() {
            assert!(start.elapsed() < HANG, "{way:?}: no picture after SIGUSR1");
            std::thread::sleep(Duration::from_millis(2));
        }
        // SAFETY: waitpid on our own child with a valid status pointer.
        let r = unsafe { libc::waitpid(run.pid(), &mut 0, libc::WNOHANG) };
        assert_eq!(r, 0, "{way:?}: the guest still runs after the picture");
        run.signal(libc::SIGINT);
        let end = run.wait(false);
        let out = run.finish();
        check_nommu_end(way, &end, &out);
        assert_eq!((end.status, out.as_str()), (130, "ready\n"), "{way:?}");
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"), "{way:?}");
    }
}
