//! The thread guest tests (`guest-tests/src/thr_*.c`): pthreads on musl
//! and glibc over clone(CLONE_THREAD), futex, robust lists, group exit,
//! execve from a thread, per-thread signals and the sched_* calls.
//!
//! Each program runs natively and under `nommu run`, for musl and glibc
//! builds; the native run must pass (status 0, or the status the mode
//! expects) on its own, so a broken test program or host shows up as
//! such; then stdout and status must match. The programs print relations
//! (yes/no, counts), never tids or addresses. `thr_parallel` only runs
//! under nommu (wall-clock speedup is a property of the machine, and the
//! native side is checked by hand), alone: every other test here holds a
//! shared lock that it takes exclusively.
// Harness arithmetic is on sizes and counts the test itself chose, not on
// guest input: the crate's overflow lint is for the kernel.
#![allow(clippy::arithmetic_side_effects)]

mod common;
use common::*;
use std::path::Path;
use std::process::Output;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Tests take it shared; the CPU-speedup test takes it alone.
static CPU: RwLock<()> = RwLock::new(());

/// `common::each_libc`, holding the CPU lock shared.
fn each_libc(name: &str, f: impl Fn(&Path)) {
    let _shared = CPU.read().unwrap_or_else(|e| e.into_inner());
    common::each_libc(name, f)
}

fn stderr(out: &Output) -> String {
    stderr_text(out)
}

/// Runs `bin args` natively (which must end with `native_status`), then
/// under nommu: same stdout (every differing line is listed) and status.
/// `nommu_args` go to nommu only (a program may take a shorter run
/// natively when its output does not depend on it). Returns both runs
/// and nommu's wall time.
fn differential_with(bin: &Path, args: &[&str], nommu_args: &[&str], native_status: i32) -> (Output, Output, Duration) {
    let native = run_native_reference(bin, args, &[]);
    assert_eq!(
        shell_status(&native),
        native_status,
        "the NATIVE run of {} {args:?} ended with {} (expected {native_status}), so the test program (or this host) is \
         wrong, not nommu:\n{}\n--- stderr:\n{}",
        bin.display(),
        shell_status(&native),
        text(&native),
        stderr(&native)
    );
    let start = Instant::now();
    let emulated = run_nommu(bin, if nommu_args.is_empty() { args } else { nommu_args }, &[]);
    let took = start.elapsed();
    let (n, e) = (text(&native), text(&emulated));
    assert!(
        n == e,
        "stdout differs for {} {args:?} (native vs nommu):\n{}--- nommu stdout:\n{e}--- nommu stderr:\n{}",
        bin.display(),
        differing_lines(&n, &e),
        stderr(&emulated)
    );
    assert_eq!(
        shell_status(&native),
        shell_status(&emulated),
        "exit status differs for {} {args:?}\n--- nommu stdout:\n{e}--- nommu stderr:\n{}",
        bin.display(),
        stderr(&emulated)
    );
    (native, emulated, took)
}

fn differential(bin: &Path, args: &[&str]) -> Output {
    differential_with(bin, args, &[], 0).1
}

/// Like `differential`, but lines containing one of `known` may differ:
/// documented nommu limits (README, "What does not work yet"). Every other
/// line must match, and the known lines must be the only failures.
fn differential_with_known_limits(bin: &Path, args: &[&str], known: &[&str]) -> Output {
    let native = run_native_reference(bin, args, &[]);
    assert_eq!(shell_status(&native), 0, "native run failed:\n{}", text(&native));
    let emulated = run_nommu(bin, args, &[]);
    let (n, e) = (text(&native), text(&emulated));
    let summary = |l: &str| l == "all ok" || l.ends_with("FAILED");
    let (nl, el): (Vec<&str>, Vec<&str>) = (n.lines().collect(), e.lines().collect());
    assert_eq!(nl.len(), el.len(), "{}", differing_lines(&n, &e));
    let mut tolerated = 0;
    for (a, b) in nl.iter().zip(&el) {
        if a == b || summary(a) {
            continue;
        }
        assert!(known.iter().any(|k| a.contains(k)), "unexpected difference:\n{}", differing_lines(&n, &e));
        tolerated += 1;
    }
    if let Some(l) = el.iter().find(|l| l.ends_with("FAILED")) {
        let failed = l.split_whitespace().next().and_then(|x| x.parse::<usize>().ok()).unwrap_or(usize::MAX);
        assert_eq!(failed, tolerated, "only the known limits may fail:\n{e}");
    }
    emulated
}

/// 1000 threads created and joined (in batches of 100), a mutex counter
/// (8 x 1,000,000), condvar ping-pong (100,000 round trips), barriers,
/// rwlocks, semaphores, __thread per thread, /proc/self/task.
#[test]
fn create_join_mutex_condvar_barrier_rwlock_semaphore_tls() {
    each_libc("thr_basic", |bin| {
        let e = differential(bin, &[]);
        let out = text(&e);
        assert!(out.contains("joined 1000 threads"), "{out}");
        assert!(out.contains("counter = 8000000"), "{out}");
        assert!(out.ends_with("all ok\n"), "{out}");
    });
}

/// pthread_cancel of threads blocked in read, in pthread_cond_wait, looping
/// on pthread_testcancel or usleep, spinning with asynchronous
/// cancellation; joins return PTHREAD_CANCELED.
#[test]
fn cancellation() {
    each_libc("thr_cancel", |bin| {
        let e = differential(bin, &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// Cancellation of threads blocked in the calls that talk: sockets,
/// pipes, poll, epoll, SysV messages, named semaphores, pause, sleep.
#[test]
fn cancellation_points_that_talk() {
    each_libc("thr_cancel_points", |bin| {
        let e = differential(bin, &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// A non-main thread ends the process (exit(7), a raw exit_group(9), a
/// fatal SIGTERM, a NULL-page write) while others block in a futex, read, nanosleep, poll,
/// sigwaitinfo and one spins in guest code: the status is right and it
/// happens at once.
#[test]
fn exit_group_from_a_thread_ends_every_thread() {
    each_libc("thr_exitgroup", |bin| {
        for (mode, status) in [("exit", 7), ("raw", 9), ("signal", 128 + 15), ("segv", 128 + 11)] {
            let (_, e, took) = differential_with(bin, &[mode], &[], status);
            if mode == "exit" {
                assert!(text(&e).contains("atexit handler ran"), "{}", text(&e));
            }
            assert!(
                took < Duration::from_secs(3),
                "{} {mode}: nommu took {took:?} to end the process (the program needs ~0.1 s)",
                bin.display()
            );
        }
    });
}

/// main calls pthread_exit first; the others go on (getpid unchanged, a
/// process-directed signal still delivered) and the last one's exit(5),
/// return (status 0) or raw exit(5) ends the process with that status.
#[test]
fn main_thread_exits_first() {
    each_libc("thr_mainexit", |bin| {
        for (mode, status) in [("exit", 5), ("return", 0), ("raw", 5)] {
            differential_with(bin, &[mode], &[], status);
        }
    });
}

/// pthread_kill to chosen threads, process-directed signals to the one
/// thread not blocking them, sigwait in a dedicated thread, per-thread
/// pending sets, inherited masks, FUTEX_WAIT interrupted (EINTR) or
/// restarted (SA_RESTART).
#[test]
fn signals_to_threads() {
    each_libc("thr_signal", |bin| {
        let e = differential(bin, &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// Many signals between threads: pthread_kill ping-pong through
/// sigsuspend, sleeps in the host interrupted again and again, and an
/// itimer + pthread_kill storm that must leave xmm8-15, ymm8 and MXCSR as
/// they were (signal frames, sigreturn, kicks of a thread in guest code).
#[test]
fn signal_storms_between_threads() {
    each_libc("thr_sigstress", |bin| {
        let e = differential(bin, &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// Robust mutexes whose owner dies (return, pthread_exit, raw exit):
/// EOWNERDEAD, pthread_mutex_consistent, ENOTRECOVERABLE, blocked waiters.
#[test]
fn robust_mutexes() {
    each_libc("thr_robust", |bin| {
        let e = differential(bin, &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// futex(2) by raw syscall: errors, timeouts on both clocks, wake counts,
/// bitsets, requeue, wake-op, and 8000 hand-offs without a lost wake-up.
#[test]
fn futex_operations_and_errors() {
    each_libc("thr_futex", |bin| {
        let e = differential(bin, &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// Priority-inheritance futexes: PTHREAD_PRIO_INHERIT mutexes (contended,
/// trylock, timedlock, error-checking, robust with a dying owner), a
/// condvar over one, and raw FUTEX_*_PI calls: errors, timeouts on both
/// clocks, hand-over, owner death, ABBA deadlock, requeue-PI.
#[test]
fn priority_inheritance_futexes() {
    each_libc("thr_pi", |bin| {
        let e = differential(bin, &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// execve from a non-main thread (and from main) while other threads spin
/// and block: the new image runs as the same process, single-threaded,
/// with the execing thread as the leader (tid == pid).
#[test]
fn execve_while_other_threads_run() {
    // Known limit: after execve from a non-main thread, that thread keeps its
    // own tid (Linux gives it the pid).
    let known = ["gettid() == getpid()", "/proc/self/task/<pid> exists", "tgkill(pid, pid, 0)"];
    each_libc("thr_exec", |bin| {
        let start = Instant::now();
        let e = differential_with_known_limits(bin, &["from-thread"], &known);
        assert!(text(&e).contains("new image runs"), "{}", text(&e));
        assert!(start.elapsed() < Duration::from_secs(5), "{}: took {:?}", bin.display(), start.elapsed());
        let (_, e, _) = differential_with(bin, &["from-main"], &[], 0);
        assert!(text(&e).contains("new image runs"), "{}", text(&e));
    });
}

/// sched_{get,set}affinity on the caller and on another thread, getcpu,
/// sched_yield, sched_getparam/getscheduler, get_robust_list, per-thread
/// names and CPU clocks, /proc views of a thread, kill(tid).
#[test]
fn sched_affinity_getcpu_and_thread_identity() {
    each_libc("thr_sched", |bin| {
        let e = differential(bin, &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// Mutex/condvar hand-offs for two seconds under nommu (one natively; the
/// output does not depend on the duration): no lost wake-up (a watchdog
/// in the program exits 3 after 5 s without progress), checksums match.
#[test]
fn stress_mutex_condvar_handoffs() {
    each_libc("thr_stress", |bin| {
        let (_, e, _) = differential_with(bin, &["1"], &["2"], 0);
        assert!(text(&e).ends_with("all ok\n"), "{}\n{}", text(&e), stderr(&e));
    });
}

/// Two CPU-bound threads under nommu: process CPU time over wall time is
/// at least 1.5 (this machine has 2 CPUs), so guest threads really run in
/// parallel. Runs alone (no other test of this file at the same time) and
/// tries three times, since other work on the machine steals CPUs; when
/// all three fail it runs the binary natively, and if that cannot show
/// parallelism either, the machine is busy: inconclusive, not a failure.
#[test]
fn cpu_bound_threads_run_in_parallel() {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if cpus < 2 {
        eprintln!("only {cpus} CPU: nothing to measure");
        return;
    }
    let _alone = CPU.write().unwrap_or_else(|e| e.into_inner());
    for libc in LIBCS {
        let bin = guest(&format!("thr_parallel-{libc}"));
        let mut tries = Vec::new();
        let passed = (0..3).any(|_| {
            let out = run_nommu(&bin, &[], &[]);
            tries.push(format!("{}{}", text(&out), stderr(&out)));
            shell_status(&out) == 0 && text(&out) == "parallel: yes\nthread CPU clocks: yes\n"
        });
        if passed {
            continue;
        }
        // Inconclusive rather than failed when the machine itself cannot
        // show it now (other work holds a CPU): the same binary natively.
        let native = run_native(&bin, &[], &[]);
        if !text(&native).starts_with("parallel: yes") {
            eprintln!(
                "{}: inconclusive, the machine is busy: natively too: {}{}",
                bin.display(),
                text(&native),
                stderr(&native)
            );
            continue;
        }
        panic!(
            "{}: no run showed cpu/wall >= 1.5 under nommu, while natively:\n{}{}\nnommu runs:\n{}",
            bin.display(),
            text(&native),
            stderr(&native),
            tries.join("---\n")
        );
    }
}

/// Threads and the rest of the process: /proc thread counts, setuid with
/// threads around (glibc's SIGSETXID broadcast), a timer's SIGALRM to the one
/// thread not blocking it, a fault handled in the faulting thread, vfork
/// from a thread with another thread reaping the child.
#[test]
fn threads_with_proc_setuid_alarm_faults_vfork() {
    each_libc("thr_misc", |bin| {
        let e = differential(bin, &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// main joins a thread and returns 3 at once: the joined thread may still
/// be on its way out, and the status must be 3 whichever task leaves
/// last. A race, so 30 runs per libc.
#[test]
fn exit_status_survives_a_thread_still_leaving() {
    each_libc("thr_joinexit", |bin| {
        let native = run_native(bin, &[], &[]);
        assert_eq!(shell_status(&native), 3, "native run: {}", stderr(&native));
        let mut wrong = Vec::new();
        for i in 0..30 {
            let out = run_nommu(bin, &[], &[]);
            if shell_status(&out) != 3 || text(&out) != text(&native) {
                wrong.push(format!("run {i}: status {} stdout {:?}", shell_status(&out), text(&out)));
            }
        }
        assert!(
            wrong.is_empty(),
            "{}: {} of 30 runs under nommu went wrong:\n{}",
            bin.display(),
            wrong.len(),
            wrong.join("\n")
        );
    });
}

/// vfork in a multi-threaded process: only the calling thread waits for
/// the child; exit_group from another thread does not wait for the child.
#[test]
fn vfork_from_a_thread() {
    each_libc("thr_vfork", |bin| {
        let e = differential(bin, &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// Raw clone(CLONE_THREAD) through the libc wrapper: tid words, CLEARTID
/// wake, EINVAL flag combinations, private descriptor table and fs
/// context without CLONE_FILES/CLONE_FS, CLONE_SETTLS.
#[test]
fn raw_clone_threads() {
    // Known limit: a thread always shares its process's descriptor table
    // and fs context, even without CLONE_FILES/CLONE_FS.
    let known = ["own copy of the table", "own fs context"];
    each_libc("thr_clone", |bin| {
        differential_with_known_limits(bin, &[], &known);
    });
}

/// A thread that unmaps its own stack and then makes the exit system call
/// (musl's __unmapself, used by every detached musl thread) must not write
/// into that memory: natively a syscall never touches the user stack.
/// Deterministic part first, then detached threads against fresh mappings
/// for a while.
#[test]
fn exiting_thread_leaves_its_unmapped_stack_alone() {
    each_libc("thr_unmapself", |bin| {
        let (_, e, _) = differential_with(bin, &["0.5"], &["1.5"], 0);
        assert!(text(&e).contains("never wrote into fresh mappings: yes"), "{}", text(&e));
    });
}

/// 50 threads alive at once, each allocating with malloc: glibc's
/// per-thread arenas reserve 64 MiB each (PROT_NONE, committed as used),
/// which in the default --mem costs what it costs natively.
#[test]
fn fifty_threads_with_their_own_malloc_arenas() {
    each_libc("thr_arenas", |bin| {
        differential(bin, &[]);
    });
}
