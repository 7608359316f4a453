//! The socket guest tests (`guest-tests/src/net_*.c`): each program runs
//! natively and under `nommu run` in a fresh directory, for musl and
//! glibc builds, static and dynamic; stdout and exit status must match.
//! Internet sockets stay on loopback.

mod common;
use common::*;

guest_program_tests! {
    unix_sockets_pairs_paths_abstract_rights_and_errors: "net_unix";
    internet_sockets_on_loopback_tcp_udp_v4_v6: "net_inet";
    /// POSIX shared memory and named semaphores in /dev/shm, between a
    /// process and its vfork+exec'd child.
    posix_shm_and_semaphores_in_dev_shm: "posix_shm";
}

/// `--net none`: internet sockets are made but reach nothing; unix
/// sockets work. Not differential: natively there is a network.
#[test]
fn net_none_reaches_nothing() {
    each_static_libc("net_inet", |bin| {
        let out = run_nommu_in_env(&std::env::temp_dir(), bin, &["none"], &[], &["--net", "none"]);
        assert_eq!(shell_status(&out), 0, "{}{}", text(&out), stderr_text(&out));
        assert!(text(&out).ends_with("all ok\n"), "{}", text(&out));
    });
}

/// A root holding the rootfs busybox and links for `applets`, with /dev
/// and /tmp directories.
fn busybox_root(tag: &str, applets: &[&str]) -> TempDir {
    let dir = TempDir::new(tag);
    let busybox = repo().join("rootfs/bin/busybox");
    assert!(busybox.exists(), "{} is missing: run `make rootfs` (or `make test`)", busybox.display());
    for d in ["bin", "dev", "tmp"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    std::fs::copy(&busybox, dir.path().join("bin/busybox")).unwrap();
    for a in applets {
        std::os::unix::fs::symlink("busybox", dir.path().join("bin").join(a)).unwrap();
    }
    dir
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs `script` with the rootfs busybox sh under nommu in a fresh root;
/// its stdout must be `want`. Not differential: the NOMMU busybox's
/// daemons re-exec /proc/self/exe, which a native chroot does not have.
fn busybox_in_machine(tag: &str, applets: &[&str], script: &str, want: &str) {
    let root = busybox_root(tag, applets);
    let script = script.replace("PORT", &free_port().to_string());
    let root_arg = root.path().to_str().unwrap().to_string();
    let out = Command::new(nommu())
        .args(["run", "--root", &root_arg, "/bin/sh", "-c", &script])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(shell_status(&out), 0, "{tag}: {}{}", text(&out), stderr_text(&out));
    assert_eq!(text(&out), want, "{tag}: {}", stderr_text(&out));
}

use std::process::Command;

const DAEMON_APPLETS: [&str; 13] =
    ["sh", "echo", "httpd", "wget", "nc", "syslogd", "logger", "cat", "sleep", "usleep", "kill", "mkdir", "grep"];

/// syslogd on /dev/log and logger inside the machine.
#[test]
fn busybox_syslogd_and_logger_over_dev_log() {
    busybox_in_machine(
        "syslog",
        &DAEMON_APPLETS,
        "syslogd -n -O /tmp/messages >/tmp/d.log 2>&1 & pid=$!
         i=0; while [ ! -S /dev/log ]; do i=$((i+1)); [ $i -gt 100 ] && exit 9; usleep 20000; done
         logger -t nommu-test 'hello, log'
         i=0; while ! grep -q 'hello, log' /tmp/messages 2>/dev/null; do i=$((i+1)); [ $i -gt 100 ] && exit 8; usleep 20000; done
         kill $pid; grep -o 'nommu-test: hello, log' /tmp/messages",
        "nommu-test: hello, log\n",
    );
}

/// httpd serving a file to wget, and nc -l receiving from nc, on 127.0.0.1.
#[test]
fn busybox_httpd_wget_and_nc_on_loopback() {
    busybox_in_machine(
        "httpd",
        &DAEMON_APPLETS,
        "mkdir -p /tmp/www; echo 'served by httpd' > /tmp/www/index.html
         httpd -f -p 127.0.0.1:PORT -h /tmp/www >/tmp/d.log 2>&1 & pid=$!
         i=0; while ! wget -q -O - http://127.0.0.1:PORT/index.html; do i=$((i+1)); [ $i -gt 100 ] && exit 9; usleep 20000; done
         kill $pid; wait $pid
         nc -l -p PORT > /tmp/got 2>/dev/null & pid=$!
         i=0; while ! echo 'over nc' | nc 127.0.0.1 PORT 2>/dev/null; do i=$((i+1)); [ $i -gt 100 ] && exit 8; usleep 20000; done
         wait $pid; cat /tmp/got",
        "served by httpd\nover nc\n",
    );
}
