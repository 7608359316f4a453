//! --timeline FILE.json: a Chrome/Perfetto trace of the run. The file is
//! parsed as any JSON reader would, and its schema checked: the events a
//! trace viewer needs, a track per task, the syscalls, vfork/exec/exit,
//! flows from parent to child, the arena counter.
// Harness arithmetic on text offsets and times the test itself reads.
#![allow(clippy::arithmetic_side_effects)]

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

fn load(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"));
    assert!(json["displayTimeUnit"].is_string(), "no displayTimeUnit");
    json["traceEvents"].as_array().expect("traceEvents is an array").clone()
}

fn str_of<'a>(e: &'a Value, key: &str) -> &'a str {
    e[key].as_str().unwrap_or_else(|| panic!("{key} is not a string in {e}"))
}

/// What every viewer relies on: each event has ph, ts, pid and tid; slices
/// have a duration; every task has a thread_name; each flow start has
/// its end.
fn check_schema(events: &[Value]) {
    let mut named = BTreeSet::new();
    let mut tracks = BTreeSet::new();
    let mut flows: HashMap<u64, (usize, usize)> = HashMap::new();
    for e in events {
        let ph = str_of(e, "ph");
        assert!(e["ts"].is_number(), "no ts in {e}");
        let (pid, tid) = (e["pid"].as_i64(), e["tid"].as_i64());
        assert!(pid.is_some() && tid.is_some(), "no pid/tid in {e}");
        tracks.insert(tid.unwrap());
        match ph {
            "M" => {
                assert!(["process_name", "thread_name"].contains(&str_of(e, "name")), "{e}");
                assert!(e["args"]["name"].is_string(), "{e}");
                if str_of(e, "name") == "thread_name" {
                    named.insert(tid.unwrap());
                }
            }
            "X" => {
                assert!(e["dur"].as_f64().is_some_and(|d| d >= 0.0), "no dur in {e}");
                assert!(e["args"]["result"].is_string(), "no result in {e}");
            }
            "i" | "C" => assert!(e["args"].is_object(), "{e}"),
            "s" => flows.entry(e["id"].as_u64().unwrap()).or_default().0 += 1,
            "f" => flows.entry(e["id"].as_u64().unwrap()).or_default().1 += 1,
            other => panic!("unexpected phase {other} in {e}"),
        }
    }
    assert_eq!(named, tracks, "every track is named");
    assert!(flows.values().all(|&(s, f)| s == 1 && f == 1), "{flows:?}");
}

#[test]
fn a_pipeline_of_the_shell_as_a_timeline() {
    let root = repo().join("rootfs");
    assert!(root.join("bin/busybox").exists(), "run `make rootfs` first");
    let dir = TempDir::new("timeline");
    let file = dir.path().join("t.json");
    let mut cmd = Command::new(nommu());
    cmd.env("PATH", "/bin:/usr/bin").args(["run", "--root"]).arg(&root).arg("--timeline").arg(&file).args([
        "/bin/sh",
        "-c",
        "ls / | wc -l",
    ]);
    let out = run_command(cmd);
    assert_eq!(shell_status(&out), 0, "{}", stderr_text(&out));
    assert!(text(&out).trim().parse::<u32>().is_ok_and(|n| n > 3), "{}", text(&out));
    // --timeline alone prints no trace.
    assert_eq!(stderr_text(&out), "");
    let events = load(&file);
    check_schema(&events);

    let of = |ph: &'static str| events.iter().filter(move |e| e["ph"] == ph);
    // The tasks: sh and its two children, renamed at their exec.
    let names: BTreeSet<&str> =
        of("M").filter(|e| e["name"] == "thread_name").map(|e| e["args"]["name"].as_str().unwrap()).collect();
    for want in ["pid 1 (sh)", "pid 2 (sh)", "pid 2 (ls)", "pid 3 (sh)", "pid 3 (wc)"] {
        assert!(names.contains(want), "no track {want}: {names:?}");
    }
    // The syscalls, with their arguments decoded.
    let call = |pid: i64, name: &str| of("X").find(|e| e["pid"] == pid && e["name"] == name).cloned();
    let vfork = call(1, "vfork").expect("sh's vfork");
    assert!(vfork["args"]["result"] == "2" || vfork["args"]["result"] == "3", "{vfork}");
    let exec =
        of("X").find(|e| e["pid"] == 2 && e["name"] == "execve" && e["args"]["result"] == "0").expect("ls's execve");
    assert_eq!(exec["args"]["path"], "\"/bin/ls\"");
    assert_eq!(exec["args"]["argv"], "[\"ls\", \"/\"]");
    assert!(call(1, "wait4").is_some(), "sh waits for its children");
    assert!(of("X").any(|e| (e["name"] == "write" || e["name"] == "writev") && e["pid"] == 3), "wc writes its count");
    // Instants: the vforks, the execs of ls and wc, the exits, a SIGCHLD.
    let instants: Vec<(i64, &str)> = of("i").map(|e| (e["pid"].as_i64().unwrap(), str_of(e, "name"))).collect();
    for want in [(1, "vfork"), (2, "execve"), (3, "execve"), (2, "exit"), (3, "exit"), (1, "exit"), (1, "SIGCHLD")] {
        assert!(instants.contains(&want), "no instant {want:?}: {instants:?}");
    }
    let programs: BTreeSet<&str> =
        of("i").filter(|e| e["name"] == "execve").map(|e| e["args"]["program"].as_str().unwrap()).collect();
    assert!(programs.contains("\"/bin/ls\"") && programs.iter().any(|p| p.ends_with("/wc\"")), "{programs:?}");
    // Flows from sh to each child: start on sh's track, end on the child's.
    for child in [2, 3] {
        let s = of("s").find(|e| e["id"] == child).unwrap_or_else(|| panic!("no flow to {child}"));
        let f = of("f").find(|e| e["id"] == child).unwrap();
        assert_eq!((s["pid"].as_i64(), f["pid"].as_i64(), f["tid"].as_i64()), (Some(1), Some(child), Some(child)));
        // The arrow leaves from inside sh's vfork slice.
        let ts = s["ts"].as_f64().unwrap();
        assert!(
            of("X").any(|e| e["pid"] == 1
                && e["name"] == "vfork"
                && e["ts"].as_f64().unwrap() <= ts
                && ts <= e["ts"].as_f64().unwrap() + e["dur"].as_f64().unwrap()),
            "flow {s} outside sh's vfork"
        );
    }
    // The arena counter, in bytes, rising with the execs.
    let samples: Vec<u64> = of("C").map(|e| e["args"]["in use"].as_u64().expect("in use")).collect();
    assert!(samples.len() >= 4, "{samples:?}");
    assert!(samples.iter().any(|&b| b > 0), "{samples:?}");
}

/// When pid 1 dies of a signal (`boot`, init faulting), the machine ends
/// and the file is whole JSON all the same, with the death in it.
#[test]
fn a_killed_init_leaves_a_whole_file() {
    let dir = TempDir::new("timeline-boot");
    let root = dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(guest("nullread-musl"), root.join("init")).unwrap();
    let file = dir.path().join("t.json");
    let mut cmd = Command::new(nommu());
    cmd.arg("boot").args(null_faults_args()).arg("--root").arg(&root).arg("--timeline").arg(&file).arg("init=/init");
    let out = run_command(cmd);
    assert_eq!(shell_status(&out), 139, "{}", stderr_text(&out));
    let events = load(&file);
    check_schema(&events);
    let instant = |name: &str| events.iter().find(|e| e["ph"] == "i" && e["name"] == name).cloned();
    let segv = instant("SIGSEGV").expect("the fault");
    assert!(str_of(&segv["args"], "siginfo").contains("si_addr=NULL"), "{segv}");
    let exit = instant("exit").expect("pid 1's end");
    assert_eq!((exit["pid"].as_i64(), str_of(&exit["args"], "status")), (Some(1), "killed by SIGSEGV"));
}

/// --timeline with --trace: both, the trace unchanged.
#[test]
fn timeline_and_trace_together() {
    let dir = TempDir::new("timeline-trace");
    let file = dir.path().join("t.json");
    let hello = guest("hello-musl");
    let out = Command::new(nommu())
        .args(["run", "--trace=writev,exit_group", "--timeline"])
        .arg(&file)
        .arg(&hello)
        .output()
        .unwrap();
    assert_eq!(shell_status(&out), 1);
    let err = stderr_text(&out);
    assert!(err.contains("[pid 1] writev(1, [{iov_base=\"hello, world\", iov_len=12}"), "{err}");
    let events = load(&file);
    check_schema(&events);
    // The timeline has every call, not only those --trace prints.
    let calls: BTreeSet<&str> = events.iter().filter(|e| e["ph"] == "X").map(|e| str_of(e, "name")).collect();
    assert!(calls.contains("writev") && calls.contains("arch_prctl") && calls.contains("exit_group"), "{calls:?}");
    let set_fs = events.iter().find(|e| e["name"] == "arch_prctl").unwrap();
    assert_eq!(set_fs["args"]["code"], "ARCH_SET_FS", "{set_fs}");
}
