//! Pseudo-terminals inside the machine (`guest-tests/src/pty.c`): /dev/ptmx
//! and /dev/pts, data both ways, modes, the lock, TIOCGPTPEER, and job
//! control (a controlling terminal, Ctrl-C, TIOCSIG and SIGWINCH for its
//! foreground group), natively and under nommu for every libc build; then
//! what only the machine does: /dev/pts shows its own ptys and nothing of
//! the host's.

mod common;
use common::*;
use std::os::fd::{FromRawFd, OwnedFd};

#[test]
fn ptys_natively_and_in_the_machine() {
    each_libc("pty", |bin| {
        differential_in_dirs(bin, &[], &[], &[], 0);
    });
}

/// A host pty of the test process, unlocked (natively, anyone could open
/// its slave): its master and number.
fn host_pty() -> (OwnedFd, u32) {
    // SAFETY: plain libc calls on a descriptor this function owns; the
    // number is written to a local.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(fd >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
        let master = OwnedFd::from_raw_fd(fd);
        assert_eq!(libc::unlockpt(fd), 0);
        let mut n: libc::c_uint = 0;
        assert_eq!(libc::ioctl(fd, libc::TIOCGPTN, &mut n), 0);
        (master, n)
    }
}

#[test]
fn dev_pts_shows_only_the_machines_ptys() {
    let (_master, n) = host_pty();
    let n = n.to_string();
    for libc in ["musl", "glibc"] {
        let out = run_nommu(&guest(&format!("pty-{libc}")), &["machine", &n], &[]);
        let text = text(&out);
        assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr_text(&out));
        assert!(text.ends_with("pty machine: all ok\n"), "{text}");
    }
}
