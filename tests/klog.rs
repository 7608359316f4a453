//! The kernel log from the guest's side: syslog(2) and /dev/kmsg against
//! Linux (guest-tests/src/klog.c, natively as root and under nommu), a
//! fresh machine's log read exactly, and `nommu run` keeping the guest's
//! stderr clean of it. The boot console's side is in tests/console.rs.

mod common;
use common::*;

/// syslog's errors and sizes, /dev/kmsg's record format, errors, seeks,
/// polls and waits: as Linux answers them. Reading the host's log needs
/// root (CAP_SYSLOG); without it nommu's answers are checked alone.
#[test]
fn syslog_and_kmsg_answer_as_linux() {
    each_static_libc("klog", |bin| {
        if is_root() {
            differential_in_dirs(bin, &[], &[], &[], 0);
        } else {
            let out = run_nommu(bin, &[], &[]);
            assert_eq!(shell_status(&out), 0, "{}", text(&out));
        }
    });
}

/// A machine's own log holds exactly what was written: syslog's READ,
/// READ_ALL, READ_CLEAR, CLEAR and SIZE_UNREAD, /dev/kmsg's SEEK_DATA and
/// SEEK_SET, and a reader left behind when the buffer is full (EPIPE).
#[test]
fn a_fresh_log_reads_exactly() {
    each_static_libc("klog", |bin| {
        let out = run_nommu(bin, &["fresh"], &[]);
        let out_text = text(&out);
        assert_eq!(shell_status(&out), 0, "{out_text}");
        assert!(out_text.contains("READ_ALL:\n<14>[T] one\n<12>[T] two\n<12>[T] lines\n"), "{out_text}");
        assert!(out_text.contains("READ 3: <14\n"), "{out_text}");
        assert!(out_text.contains("after CLEAR: three\n"), "{out_text}");
    });
}

/// On `nommu run` the guest's stderr is its own: what it logs, even at
/// KERN_EMERG, stays in the log (`dmesg` shows it); -v echoes it.
#[test]
fn run_keeps_the_guests_stderr_clean() {
    let root = repo().join("rootfs");
    assert!(root.join("bin/busybox").exists(), "run `make rootfs` first");
    let script = "echo '<0>klog-emergency' > /dev/kmsg && dmesg";
    let out = run_command({
        let mut c = std::process::Command::new(nommu());
        c.args(["run", "--root"]).arg(&root).args(["/bin/sh", "-c", script]);
        c
    });
    assert_eq!(shell_status(&out), 0, "{}", stderr_text(&out));
    assert!(text(&out).contains("] klog-emergency\n"), "dmesg shows it: {}", text(&out));
    assert_eq!(stderr_text(&out), "", "nothing on the guest's stderr");
    let verbose = run_command({
        let mut c = std::process::Command::new(nommu());
        c.args(["-v", "run", "--root"]).arg(&root).args(["/bin/sh", "-c", script]);
        c
    });
    assert!(stderr_text(&verbose).contains("klog-emergency\n"), "-v echoes the log: {}", stderr_text(&verbose));
}
