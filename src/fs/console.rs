//! The machine's console, /dev/console (5,1): the host terminal nommu runs
//! on, when one of its standard descriptors is a terminal.
//!
//! Guest descriptors on that terminal (init's 0, 1 and 2, opens of
//! /dev/console, their dups and reopens) are host descriptors of the host
//! terminal, so reads, writes, termios and window sizes are the host's.
//! What a guest sees of the file is the machine's device: `fstat` and
//! `statx` give the console node (`crw------- root root 5,1`, as Linux's
//! devtmpfs makes it) and /proc/PID/fd names it /dev/console, so that
//! `ttyname` (readlink of /proc/self/fd/N, then `stat` of the name against
//! `fstat` of the descriptor) and `tty` answer /dev/console. The host
//! terminal's own name (/dev/pts/0 on the host) never shows.
//!
//! /dev/ttyS0 (4,64) is the same terminal under the first serial port's
//! name, for an inittab getty line: a file opened by that name shows as
//! that node and is named by it (the open file's path tells the two apart,
//! as the host descriptors cannot).
//!
//! Without a terminal (nommu's standard descriptors are pipes or files),
//! the console has none: opening it reads end-of-file and writes to
//! nommu's standard output, and init's descriptors stay the pipes and
//! files they are.

use super::stat::{synthetic_ino, PROC_DEV};
use crate::abi::fcntl::{O_ACCMODE, O_NOCTTY, O_WRONLY};
use crate::abi::ioctl::{TCGETS, TIOCGSID};
use crate::abi::stat::{S_IFCHR, S_IFMT, S_IRUSR, S_IWUSR};
use crate::abi::types::{Stat, Statx};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use std::ffi::CString;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::OnceLock;

/// A name of the console's terminal in /dev: its path and device number.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Name {
    pub path: &'static [u8],
    pub major_minor: (u32, u32),
}

/// /dev/console, 5,1.
pub(crate) const CONSOLE: Name = Name { path: b"/dev/console", major_minor: (5, 1) };

/// /dev/ttyS0, 4,64: the first serial port, which a no-MMU board's console
/// usually is (`console=ttyS0`), so that an inittab line for it (a getty)
/// finds its terminal. It is the same terminal as the console.
pub(crate) const SERIAL: Name = Name { path: b"/dev/ttyS0", major_minor: (4, 64) };

/// The name a file on the console's terminal shows, from the path it was
/// opened by: /dev/ttyS0's own opens are it, everything else (init's
/// descriptors, /dev/console) is the console.
pub(crate) fn name_of(opened_as: &[u8]) -> &'static Name {
    if opened_as == SERIAL.path {
        &SERIAL
    } else {
        &CONSOLE
    }
}

/// The host terminal that is the console.
#[derive(Debug)]
struct Terminal {
    /// nommu's standard descriptor on it (0, else 1, else 2).
    fd: RawFd,
    /// Its host device number: a host descriptor with this number is the
    /// console (the guest reaches no other way to the host terminal).
    rdev: u64,
    /// Whether it is nommu's controlling terminal, so that the host's
    /// /dev/tty is the console too.
    host_ctty: bool,
}

/// The console's terminal, found at the first ask: nommu's standard
/// descriptors do not change while it runs.
fn terminal() -> Option<&'static Terminal> {
    static TERMINAL: OnceLock<Option<Terminal>> = OnceLock::new();
    TERMINAL
        .get_or_init(|| {
            (0..3).find_map(|fd| {
                host::ioctl_buf(fd, TCGETS, &mut [0u8; 64]).ok()?;
                let st = host::fstatat(fd, c"", crate::abi::fcntl::AT_EMPTY_PATH).ok()?;
                if st.st_mode & S_IFMT != S_IFCHR {
                    return None;
                }
                // TIOCGSID answers only for the caller's controlling terminal.
                let host_ctty = host::ioctl_buf(fd, TIOCGSID, &mut [0u8; 4]).is_ok();
                Some(Terminal { fd, rdev: st.st_rdev, host_ctty })
            })
        })
        .as_ref()
}

/// Whether host `st` (of a guest's descriptor) is the console's terminal.
fn is_terminal(mode: u32, rdev: u64) -> bool {
    mode & S_IFMT == S_IFCHR && terminal().is_some_and(|t| t.rdev == rdev)
}

/// The name /proc/PID/fd shows for host descriptor `fd` of a guest file
/// opened as `opened_as`, if the file is on the console's terminal.
pub(crate) fn link_name(fd: RawFd, opened_as: &[u8]) -> Option<&'static [u8]> {
    let st = host::fstatat(fd, c"", crate::abi::fcntl::AT_EMPTY_PATH).ok()?;
    is_terminal(st.st_mode, st.st_rdev).then(|| name_of(opened_as).path)
}

/// The `stat` of node `name` (`stat("/dev/console")`): the device of the
/// machine's /dev with the host terminal's times, if there is one.
pub(crate) fn node_stat(name: &Name) -> Stat {
    let mut st = Stat::default();
    if let Some(t) = terminal() {
        if let Ok(host) = host::fstatat(t.fd, c"", crate::abi::fcntl::AT_EMPTY_PATH) {
            st = host;
        }
    }
    as_node(name, &mut st);
    st
}

/// Makes host `st` the node `name`'s: everything but the times.
fn as_node(name: &Name, st: &mut Stat) {
    let (major, minor) = name.major_minor;
    st.st_dev = PROC_DEV;
    st.st_ino = synthetic_ino(name.path);
    st.st_mode = S_IFCHR | S_IRUSR | S_IWUSR;
    st.st_nlink = 1;
    st.st_uid = 0;
    st.st_gid = 0;
    st.st_rdev = host::makedev(major, minor);
    st.st_size = 0;
    st.st_blksize = 4096;
    st.st_blocks = 0;
}

/// A guest's `fstat` of a host file opened as `opened_as`: the console's
/// terminal shows as its node (the same answer as `stat` of its name).
pub(crate) fn fix_stat(opened_as: &[u8], st: &mut Stat) {
    if is_terminal(st.st_mode, st.st_rdev) {
        as_node(name_of(opened_as), st);
    }
}

/// `fix_stat` for a `struct statx`.
pub(crate) fn fix_statx(opened_as: &[u8], stx: &mut Statx) {
    let rdev = host::makedev(stx.stx_rdev_major, stx.stx_rdev_minor);
    if !is_terminal(u32::from(stx.stx_mode), rdev) {
        return;
    }
    let name = name_of(opened_as);
    let mut st = Stat::default();
    as_node(name, &mut st);
    (stx.stx_dev_major, stx.stx_dev_minor) = host::major_minor(st.st_dev);
    (stx.stx_rdev_major, stx.stx_rdev_minor) = name.major_minor;
    stx.stx_ino = st.st_ino;
    stx.stx_mode = st.st_mode as u16;
    stx.stx_nlink = 1;
    stx.stx_uid = 0;
    stx.stx_gid = 0;
    stx.stx_size = 0;
    stx.stx_blocks = 0;
    stx.stx_blksize = 4096;
}

/// Opens the console: the host terminal anew (its own open file, as a
/// second open of /dev/console is on Linux); without one, reads see
/// end-of-file and writes go to nommu's standard output.
pub(crate) fn open(flags: i32) -> SysResult<OwnedFd> {
    let path = match terminal() {
        Some(t) => format!("/proc/self/fd/{}", t.fd),
        None if flags & O_ACCMODE == O_WRONLY => "/proc/self/fd/1".into(),
        None => "/dev/null".into(),
    };
    let c = CString::new(path).map_err(|_| Errno::EINVAL)?;
    // Never nommu's own controlling terminal.
    Ok(host::open(&c, flags | O_NOCTTY, 0)?)
}

/// Opens /dev/tty for a process whose controlling terminal is the console.
/// Through the host's /dev/tty when that is the console, so the file is
/// /dev/tty's (5,0) as on Linux, else the console itself. A console without
/// a terminal leaves it to the host's /dev/tty: the terminal nommu was
/// started from, if it has one (`nommu run PROG </dev/null >log` from a
/// shell behaves as PROG does natively), ENXIO if not.
pub(crate) fn open_tty(flags: i32, wait: host::Wait) -> SysResult<OwnedFd> {
    match terminal() {
        Some(t) if !t.host_ctty => open(flags),
        _ => Ok(host::open_waiting(c"/dev/tty", flags | O_NOCTTY, 0, wait)?),
    }
}
