//! The host terminal as the guest console: the same program on a
//! pseudo-terminal (util-linux `script`) and on pipes, natively and under
//! nommu.

mod common;
use common::*;
use std::process::Command;

fn on_pty(cmd: &str) -> String {
    let out = Command::new("script")
        .args(["-qec", cmd, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script(1) from util-linux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn terminal_on_a_pty() {
    for libc in ["musl", "glibc"] {
        let bin = guest(&format!("tty-{libc}"));
        let native = on_pty(&bin.display().to_string());
        let emulated = on_pty(&format!("{} run {}", nommu().display(), bin.display()));
        assert!(native.contains("isatty(0) = 1"), "{native}");
        assert!(native.contains("size now 33x101"), "{native}");
        assert_eq!(native, emulated, "{libc}");
    }
}

#[test]
fn no_terminal_on_pipes() {
    for libc in ["musl", "glibc"] {
        let out = assert_same(&guest(&format!("tty-{libc}")), &[], &[]);
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.contains("isatty(0) = 0") && s.contains("tcgetattr(0) = -1 ENOTTY"), "{s}");
    }
}
