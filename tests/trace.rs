//! --trace and --summary: strace's format, filters, signals and exits.
// Harness arithmetic on text offsets and times the test itself reads.
#![allow(clippy::arithmetic_side_effects)]

mod common;
use common::*;
use std::process::Command;

fn traced(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(nommu()).arg("run").args(args).output().unwrap();
    (
        shell_status(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn trace_lines_look_like_strace() {
    let hello = guest("hello-musl").display().to_string();
    let (code, stdout, err) = traced(&["--trace", &hello, "a"]);
    assert_eq!(code, 2);
    assert!(stdout.contains("hello, world"), "{stdout}");
    // musl's stdio writes with writev; the iovec is decoded as strace does.
    assert!(
        err.contains(
            r#"[pid 1] writev(1, [{iov_base="hello, world", iov_len=12}, {iov_base="\n", iov_len=1}], 2) = 13"#
        ),
        "{err}"
    );
    assert!(err.contains("[pid 1] exit_group(2) = ?"), "{err}");
    assert!(err.contains("[pid 1] +++ exited with 2 +++"), "{err}");
}

#[test]
fn trace_filters_errors_and_signals() {
    let bin = guest("nullread-musl").display().to_string();
    // The NULL read must fault: --null-guard where page 0 is readable.
    let mut args = null_faults_args();
    args.extend(["--trace=%memory", &bin]);
    let (code, _, err) = traced(&args);
    assert_eq!(code, 139);
    assert!(err.contains("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---"), "{err}");
    assert!(err.contains("+++ killed by SIGSEGV +++"), "{err}");
    assert!(
        err.lines().filter(|l| l.contains(") = ")).all(|l| [
            "mmap(",
            "munmap(",
            "brk(",
            "mprotect(",
            "mremap(",
            "madvise("
        ]
        .iter()
        .any(|n| l.contains(n))),
        "{err}"
    );
    let (_, _, err) = traced(&["--trace=openat,open", "/nonexistent-dir/x"]);
    assert!(err.contains("nommu:") || err.is_empty(), "{err}");
    let (code, _, err) = traced(&["--trace=bogus", "/bin/true"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown syscall or class in --trace: bogus"), "{err}");
}

#[test]
fn trace_of_a_failing_syscall_and_vfork() {
    let root = repo().join("rootfs");
    assert!(root.join("bin/busybox").exists(), "run `make rootfs` first");
    let out = Command::new(nommu())
        .args(["run", "--trace=%process,open,openat,stat", "--root"])
        .arg(&root)
        .args(["/bin/sh", "-c", "cat /nonexistent; ls / | wc -l"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("open(\"/nonexistent\", O_RDONLY|O_LARGEFILE, 0o0) = -1 ENOENT (No such file or directory)"),
        "{err}"
    );
    assert!(err.contains("] vfork() = "), "{err}");
    assert!(err.contains("] execve(\"/bin/ls\", [\"ls\", \"/\"], 0x"), "{err}");
    assert!(err.contains("--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED"), "{err}");
}

#[test]
fn summary_table_and_no_mmu_facts() {
    let hello = guest("hello-glibc").display().to_string();
    let dir = std::env::temp_dir().join(format!("nommu-summary-{}", std::process::id()));
    let (code, _, err) = traced(&["--summary", "--trace-file", dir.to_str().unwrap(), &hello]);
    assert_eq!(code, 1, "{err}");
    let text = std::fs::read_to_string(&dir).unwrap();
    let _ = std::fs::remove_file(&dir);
    assert!(text.contains("% time     seconds  usecs/call     calls    errors syscall"), "{text}");
    assert!(text.lines().any(|l| l.ends_with(" write") || l.ends_with(" writev")), "{text}");
    // What this run's environment gives (NOMMU_TRAP_ONLY, or a null guard
    // without PKU, leave no trampoline).
    if !caps(&[]).trampoline {
        assert!(text.contains("syscalls: trap path only"), "{text}");
        assert!(text.contains("execs: 1 (0 from the image cache), 0 syscall sites rewritten"), "{text}");
    } else {
        assert!(text.contains("syscalls: page-0 trampoline"), "{text}");
        assert!(text.contains("execs: 1 (0 from the image cache), 105 syscall sites rewritten"), "{text}");
    }
    assert!(text.contains("peak use"), "{text}");
}

#[test]
fn report_json_and_memory_map() {
    let root = repo().join("rootfs");
    assert!(root.join("bin/busybox").exists(), "run `make rootfs` first");
    let dir = std::env::temp_dir().join(format!("nommu-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (json, svg) = (dir.join("r.json"), dir.join("m.svg"));
    let out = Command::new(nommu())
        .args(["run", "--root"])
        .arg(&root)
        .arg("--report")
        .arg(&json)
        .arg("--memmap")
        .arg(&svg)
        .args(["/bin/sh", "-c", "ls / | wc -l; exit 4"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let j = std::fs::read_to_string(&json).unwrap();
    for key in [
        "\"status\": {\"exited\": 4}",
        "\"vfork\": {\"calls\": 2, \"errors\": 0}",
        "\"enosys\": [",
        "\"nommu_incompatibilities\": [",
        "\"peak_used_bytes\": ",
        "\"execs\": 3",
        "\"wall_seconds\": ",
        "\"cpu_seconds\": ",
    ] {
        assert!(j.contains(key), "{key} missing in {j}");
    }
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.starts_with("<svg") && s.contains("pid 1 (sh)") && s.contains("largest free block"), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The decoder against real strace output for the same static binary run
/// natively: the deterministic lines must be the same (modulo strace's
/// column padding before "= ?").
#[test]
fn trace_matches_real_strace() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("skipped: strace is not installed (make deps / .ci/run install it)");
        return;
    }
    for name in ["hello-musl", "hello-glibc", "efault-musl"] {
        if name.starts_with("hello") && fsgsbase_forced_off() {
            // Its output (and so the writev lengths) differs by design.
            continue;
        }
        let bin = guest(name);
        let filter = "trace=write,writev,uname,exit_group";
        let log = std::env::temp_dir().join(format!("nommu-strace-{}-{name}", std::process::id()));
        let native = Command::new("strace").args(["-e", filter, "-o"]).arg(&log).arg(&bin).arg("x").output().unwrap();
        assert!(native.status.code().is_some());
        let strace = std::fs::read_to_string(&log).unwrap();
        let _ = std::fs::remove_file(&log);
        let ours = Command::new(nommu())
            .arg("run")
            .arg(format!("--trace={}", &filter[6..]))
            .arg(&bin)
            .arg("x")
            .output()
            .unwrap();
        let ours = String::from_utf8_lossy(&ours.stderr);
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let theirs: Vec<String> = strace.lines().map(norm).collect();
        let mine: Vec<String> = ours
            .lines()
            .filter_map(|l| l.strip_prefix("[pid 1] "))
            .map(norm)
            .filter(|l| !l.starts_with("uname("))
            .collect();
        let theirs: Vec<String> = theirs.into_iter().filter(|l| !l.starts_with("uname(")).collect();
        assert_eq!(theirs, mine, "{name}: strace vs nommu --trace");
    }
}

/// Calls nommu does not implement and numbers Linux has no syscall for are
/// traced, counted and reported like any other, by name.
#[test]
fn enosys_and_unknown_numbers_are_seen() {
    let bin = guest("trace_enosys-musl").display().to_string();
    let (code, out, err) = traced(&["--trace=socket", "--summary", &bin]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "done\n");
    assert!(err.contains("[pid 1] socket("), "{err}");
    assert!(err.contains("[pid 1] syscall_0x1f4(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS"), "{err}");
    assert!(err.contains("[pid 1] syscall_0x3e8(0x7"), "{err}");
    assert!(!err.contains("writev(") && !err.contains("write("), "the filter lets only socket through: {err}");
    let summary_row = |name: &str| err.lines().any(|l| l.split_whitespace().last() == Some(name));
    for name in ["socket", "syscall_0x1f4", "syscall_0x3e8", "write"] {
        assert!(summary_row(name), "no --summary row for {name}: {err}");
    }
    let dir = TempDir::new("trace-enosys");
    let report = dir.path().join("r.json");
    let (code, _, _) = traced(&["--report", report.to_str().unwrap(), &bin]);
    assert_eq!(code, 0);
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(json.contains("\"syscall_0x1f4\": {\"calls\": 1, \"errors\": 1}"), "{json}");
    assert!(json.contains("\"socket\": {\"calls\": 1"), "{json}");
    assert!(json.contains("\"host\": {\"page0\": "), "{json}");
}

/// The guest's stderr is the guest's: what the kernel notices (ENOSYS)
/// appears only with -v or RUST_LOG.
#[test]
fn nothing_of_nommus_own_on_the_guests_stderr() {
    let bin = guest("trace_enosys-musl").display().to_string();
    let out = Command::new(nommu()).env_remove("RUST_LOG").args(["run", &bin]).output().unwrap();
    assert_eq!(shell_status(&out), 0);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "nommu wrote on the guest's stderr");
    let out = Command::new(nommu()).env_remove("RUST_LOG").args(["-v", "run", &bin]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("(500) returns ENOSYS"), "{err}");
    assert!(err.contains("page 0: "), "-v states what page 0 is: {err}");
}

/// What the decoder must make of the calls in trace_decode.c (the text
/// strace 6.1 writes for them natively, addresses and pids left out):
/// arch_prctl codes, ioctl requests and what their argument is, futex
/// arguments by operation, signal masks (`~[...]` when most are set),
/// protocols, addresses, msghdr with a control message, clone's flags.
const DECODED: &[&str] = &[
    "arch_prctl(ARCH_GET_FS, [0xADDR]) = 0",
    "ioctl(3, TCGETS, 0xADDR) = -1 ENOTTY (Inappropriate ioctl for device)",
    "ioctl(3, TIOCGWINSZ, 0xADDR) = -1 ENOTTY (Inappropriate ioctl for device)",
    "ioctl(4, FIONBIO, [1]) = 0",
    "ioctl(3, FIONREAD, [5]) = 0",
    "ioctl(3, FIOCLEX) = 0",
    "ioctl(3, FIONCLEX) = 0",
    "futex(0xADDR, FUTEX_WAKE_PRIVATE, 1) = 0",
    "futex(0xADDR, FUTEX_WAIT_PRIVATE, 1, NULL) = -1 EAGAIN (Resource temporarily unavailable)",
    "futex(0xADDR, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=0}, FUTEX_BITSET_MATCH_ANY) = -1 ETIMEDOUT (Connection timed out)",
    "rt_sigprocmask(SIG_BLOCK, [INT TERM], [], 8) = 0",
    "rt_sigprocmask(SIG_UNBLOCK, [INT TERM], NULL, 8) = 0",
    "rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], [], 8) = 0",
    "rt_sigaction(SIGUSR1, {sa_handler=0xADDR, sa_mask=[TERM], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0xADDR}, NULL, 8) = 0",
    "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_UDP) = 3",
    "connect(3, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0",
    "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3",
    "bind(3, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0",
    "socketpair(AF_UNIX, SOCK_STREAM, 0, [3, 4]) = 0",
    "sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"abc\", iov_len=3}, {iov_base=\"de\", iov_len=2}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, MSG_NOSIGNAL) = 5",
    "recvmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"abcde\", iov_len=16}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 5",
    "sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"abc\", iov_len=3}], msg_iovlen=1, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[3]}], msg_controllen=24, msg_flags=0}, 0) = 3",
    "rt_sigprocmask(SIG_BLOCK, ~[], [], 8) = 0",
];

/// A trace line with what differs from run to run left out: addresses
/// (`0xADDR`), column padding, the pid a clone returns or stores.
fn normalized(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line.split_whitespace().collect::<Vec<_>>().join(" ");
    while let Some(i) = rest.find("0x") {
        out.push_str(&rest[..i]);
        let digits = rest[i + 2..].bytes().take_while(u8::is_ascii_hexdigit).count();
        if digits >= 6 {
            out.push_str("0xADDR");
        } else {
            out.push_str(&rest[i..i + 2 + digits]);
        }
        rest = rest[i + 2 + digits..].to_string();
    }
    out.push_str(&rest);
    if out.starts_with("clone") {
        if let Some(i) = out.rfind(" = ") {
            out.truncate(i);
            out.push_str(" = PID");
        }
        if let Some(i) = out.find("parent_tid=[") {
            let digits = out[i + 12..].bytes().take_while(u8::is_ascii_digit).count();
            out.replace_range(i + 12..i + 12 + digits, "PID");
        }
    }
    out
}

/// Threads: musl's pthread_create is a clone with every sharing flag,
/// glibc's a clone3; both decoded as strace decodes them.
#[test]
fn thread_creation_decoded_as_strace_does() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("skipped: strace is not installed");
        return;
    }
    for libc in ["musl", "glibc"] {
        let bin = guest(&format!("thr_basic-{libc}"));
        let first_clone = |stderr: &str| {
            stderr
                .lines()
                .map(|l| l.strip_prefix("[pid 1] ").unwrap_or(l))
                .find(|l| l.starts_with("clone"))
                .map(normalized)
        };
        let native = Command::new("strace").args(["-e", "trace=clone,clone3"]).arg(&bin).output().unwrap();
        let ours = Command::new(nommu()).args(["run", "--trace=clone,clone3"]).arg(&bin).output().unwrap();
        let theirs = first_clone(&stderr_text(&native)).expect("strace shows a clone");
        assert_eq!(first_clone(&stderr_text(&ours)), Some(theirs), "{libc}");
    }
}

#[test]
fn decoding_to_straces_level() {
    let filter = "arch_prctl,ioctl,futex,socket,connect,bind,sendmsg,recvmsg,rt_sigprocmask,rt_sigaction,clone,clone3,vfork,socketpair";
    let strace = Command::new("strace").arg("-V").output().is_ok();
    if !strace {
        eprintln!("strace is not installed: only the fixed expectations (make deps / .ci/run install it)");
    }
    for libc in ["musl", "glibc"] {
        let bin = guest(&format!("trace_decode-{libc}"));
        let out = Command::new(nommu()).arg("run").arg(format!("--trace={filter}")).arg(&bin).output().unwrap();
        assert_eq!(shell_status(&out), 0, "{}", stderr_text(&out));
        assert_eq!(text(&out), "done\n");
        // pid 1's own lines (the spawned child's are traced too, as with -f).
        let ours: Vec<String> =
            stderr_text(&out).lines().filter_map(|l| l.strip_prefix("[pid 1] ")).map(normalized).collect();
        for want in DECODED {
            assert!(ours.iter().any(|l| l == want), "{libc}: no `{want}` in\n{}", ours.join("\n"));
        }
        let spawn = if libc == "musl" {
            "clone(child_stack=0xADDR, flags=CLONE_VM|CLONE_VFORK|SIGCHLD) = PID"
        } else {
            "clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0xADDR, stack_size=0x9000}, 88) = PID"
        };
        assert!(ours.iter().any(|l| l == spawn), "{libc}: no `{spawn}` in\n{}", ours.join("\n"));
        if !strace {
            continue;
        }
        let log = std::env::temp_dir().join(format!("nommu-strace-decode-{}-{libc}", std::process::id()));
        let native =
            Command::new("strace").args(["-e", &format!("trace={filter}"), "-o"]).arg(&log).arg(&bin).output().unwrap();
        assert_eq!(native.status.code(), Some(0));
        let theirs = std::fs::read_to_string(&log).unwrap();
        let _ = std::fs::remove_file(&log);
        // Signals and exits aside: under ptrace Linux delivers a SIGCHLD
        // it would otherwise discard, so strace sees one nommu does not.
        let calls = |lines: Vec<String>| -> Vec<String> {
            lines.into_iter().filter(|l| !l.starts_with("---") && !l.starts_with("+++")).collect()
        };
        let theirs = calls(theirs.lines().map(normalized).collect());
        assert_eq!(theirs, calls(ours), "{libc}: strace vs nommu --trace");
    }
}

/// The interface requests busybox's ifconfig makes (`struct ifreq`, each
/// with the field its request fills in), against strace natively.
#[test]
fn interface_requests_decoded_as_strace_does() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("skipped: strace is not installed");
        return;
    }
    let root = repo().join("rootfs");
    assert!(root.join("bin/busybox").exists(), "run `make rootfs` first");
    let sioc = |stderr: &str| -> Vec<String> {
        stderr
            .lines()
            .map(|l| l.strip_prefix("[pid 1] ").unwrap_or(l))
            .filter(|l| l.contains(", SIOC"))
            .map(normalized)
            .collect()
    };
    let native = Command::new("strace")
        .args(["-e", "trace=ioctl"])
        .arg(root.join("bin/busybox"))
        .args(["ifconfig", "lo"])
        .output();
    let native = sioc(&stderr_text(&native.unwrap()));
    let ours = Command::new(nommu())
        .args(["run", "--trace=ioctl", "--root"])
        .arg(&root)
        .args(["/bin/busybox", "ifconfig", "lo"])
        .output()
        .unwrap();
    assert!(
        native.iter().any(|l| l.contains("SIOCGIFFLAGS, {ifr_name=\"lo\", ifr_flags=IFF_UP|IFF_LOOPBACK")),
        "{native:?}"
    );
    assert_eq!(sioc(&stderr_text(&ours)), native);
}
