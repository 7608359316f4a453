//! /dev/kmsg (char 1,11): the kernel log as a file, as Linux's
//! Documentation/ABI/testing/dev-kmsg describes it.
//!
//! Each open file reads the log from its own position, which starts at
//! the oldest record: every read returns one record
//! (`prio,seq,usec,-;text\n`, `Record::kmsg_text`) and moves past it even
//! when it fails (EINVAL when the buffer is too small, EFAULT), as
//! Linux's does; a file whose next record was pushed out of the buffer
//! reads EPIPE once and goes on from the oldest. Each write is one record:
//! a leading `<N>` gives its level (N & 7) and facility (N >> 3 & 0xff,
//! kept only when not 0), else user at level 4.
//!
//! The file's host descriptor is the read end of a pipe used as a
//! doorbell: it holds a byte exactly while the file has a record to read,
//! so poll, select and epoll — host calls on host descriptors — see it
//! readable when Linux would, and never writable (Linux's /dev/kmsg polls
//! for input only). The doorbell is brought up to date by each read and
//! each new record (`Klog::append`).

use super::klog::{Klog, LOG_USER, MESSAGE_LOGLEVEL_DEFAULT, RECORD_MAX};
use crate::abi::fcntl::{O_ACCMODE, O_NONBLOCK, O_RDONLY, O_WRONLY, SEEK_DATA, SEEK_END, SEEK_SET};
use crate::arch::hostevent;
use crate::errno::{Errno, SysResult};
use crate::fs::file::Emulated;
use crate::fs::stat::Stat;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard};

/// A read position in the log, and whether the doorbell holds its byte.
#[derive(Debug)]
struct Position {
    seq: u64,
    rung: bool,
}

#[derive(Debug)]
pub(crate) struct KmsgFile {
    klog: Arc<Klog>,
    /// The guest's O_RDONLY, O_WRONLY or O_RDWR (the pipe's read end the
    /// host has is O_RDONLY whatever it is).
    access_mode: i32,
    pos: Mutex<Position>,
    /// The doorbell: a second descriptor of the guest's (the pipe's read
    /// end), and the write end.
    bell_rx: OwnedFd,
    bell_tx: OwnedFd,
}

impl Emulated for KmsgFile {
    fn stat(&self) -> Option<Stat> {
        Some(crate::fs::devfs::kmsg_stat())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens /dev/kmsg with the guest's `flags`: the host descriptor the
/// guest's stands on, and the file's state.
pub(crate) fn open(klog: &Arc<Klog>, flags: i32) -> std::io::Result<(OwnedFd, Arc<KmsgFile>)> {
    let (rx, tx) = crate::arch::host::pipe2(flags & O_NONBLOCK)?;
    crate::arch::host::fcntl_int(tx.as_raw_fd(), libc::F_SETFL, i64::from(O_NONBLOCK))?;
    let mode = flags & O_ACCMODE;
    let file = Arc::new(KmsgFile {
        klog: klog.clone(),
        access_mode: mode,
        pos: Mutex::new(Position { seq: klog.first_seq(), rung: false }),
        bell_rx: hostevent::dup(rx.as_raw_fd())?,
        bell_tx: tx,
    });
    klog.add_kmsg_file(Arc::downgrade(&file));
    file.sync_doorbell();
    Ok((rx, file))
}

/// The /dev/kmsg state behind an emulated file, if it is one.
pub(crate) fn of(e: &Arc<dyn Emulated>) -> Option<&KmsgFile> {
    let any: &dyn std::any::Any = &**e;
    any.downcast_ref::<KmsgFile>()
}

impl KmsgFile {
    pub(crate) fn klog(&self) -> &Klog {
        &self.klog
    }

    pub(crate) fn access_mode(&self) -> i32 {
        self.access_mode
    }

    pub(crate) fn readable(&self) -> bool {
        self.access_mode != O_WRONLY
    }

    pub(crate) fn writable(&self) -> bool {
        self.access_mode != O_RDONLY
    }

    /// Makes the doorbell readable iff a record waits at the position.
    pub(crate) fn sync_doorbell(&self) {
        let mut pos = lock(&self.pos);
        self.sync_locked(&mut pos);
    }

    fn sync_locked(&self, pos: &mut Position) {
        let want = pos.seq < self.klog.next_seq();
        if want == pos.rung {
            return;
        }
        let r = if want {
            hostevent::doorbell_ring(self.bell_tx.as_raw_fd())
        } else {
            hostevent::doorbell_hush(self.bell_rx.as_raw_fd())
        };
        if r.is_ok() {
            pos.rung = want;
        }
    }

    /// The next record for a read of `count` bytes: EAGAIN when there is
    /// none yet (the caller waits, or not), EPIPE when the records at the
    /// position are gone, EINVAL when it does not fit. The position moves
    /// past it in every case but the first.
    pub(crate) fn next_record(&self, count: usize) -> SysResult<Vec<u8>> {
        let mut pos = lock(&self.pos);
        let Some(record) = self.klog.record_at_or_after(pos.seq) else {
            self.sync_locked(&mut pos);
            return Err(Errno::EAGAIN);
        };
        if record.seq != pos.seq {
            pos.seq = record.seq;
            return Err(Errno::EPIPE);
        }
        pos.seq = record.seq + 1;
        self.sync_locked(&mut pos);
        let text = record.kmsg_text();
        if text.len() > count {
            return Err(Errno::EINVAL);
        }
        Ok(text)
    }

    /// lseek: only to offset 0 of the oldest record (SEEK_SET), the first
    /// after the last SYSLOG_ACTION_CLEAR (SEEK_DATA) or the end (SEEK_END).
    pub(crate) fn seek(&self, offset: i64, whence: i32) -> SysResult<u64> {
        if offset != 0 {
            return Err(Errno::ESPIPE);
        }
        let seq = match whence {
            SEEK_SET => self.klog.first_seq(),
            SEEK_DATA => self.klog.clear_seq(),
            SEEK_END => self.klog.next_seq(),
            _ => return Err(Errno::EINVAL),
        };
        let mut pos = lock(&self.pos);
        pos.seq = seq;
        self.sync_locked(&mut pos);
        Ok(0)
    }

    /// A write: one record. Whether it reaches the console, and its text.
    pub(crate) fn write(&self, bytes: &[u8]) -> (bool, Vec<u8>) {
        let (facility, level, text) = parse(bytes);
        (self.klog.append(facility, level, text), text.to_vec())
    }
}

/// The longest write (longer is EINVAL).
pub(crate) const WRITE_MAX: usize = RECORD_MAX;

/// A /dev/kmsg write as printk takes it: the text ends at a NUL (it is a
/// C string there), one trailing newline goes, and a leading `<N>` (N in
/// decimal, kept as the low 32 bits) sets the level and, unless its
/// facility part is 0, the facility.
fn parse(bytes: &[u8]) -> (u8, u8, &[u8]) {
    let mut text = bytes.split(|&b| b == 0).next().unwrap_or_default();
    let (mut facility, mut level) = (LOG_USER, MESSAGE_LOGLEVEL_DEFAULT);
    if let Some(rest) = text.strip_prefix(b"<") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if rest.get(digits) == Some(&b'>') {
            let n = rest[..digits].iter().fold(0u64, |n, &d| n.wrapping_mul(10).wrapping_add(u64::from(d - b'0')));
            let n = n as u32;
            level = (n & 7) as u8;
            let f = ((n >> 3) & 0xff) as u8;
            if f != 0 {
                facility = f;
            }
            text = &rest[digits + 1..];
        }
    }
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    (facility, level, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_parse_as_linux_parses_them() {
        assert_eq!(parse(b"<3>hello\n"), (1, 3, &b"hello"[..]));
        assert_eq!(parse(b"plain\nline2\n\n"), (1, 4, &b"plain\nline2\n"[..]));
        assert_eq!(parse(b"<0>zero"), (1, 0, &b"zero"[..]));
        assert_eq!(parse(b"<165>fac20\n"), (20, 5, &b"fac20"[..]));
        assert_eq!(parse(b"<x>bad\n"), (1, 4, &b"<x>bad"[..]));
        assert_eq!(parse(b"<>empty\n"), (1, 0, &b"empty"[..]));
        assert_eq!(parse(b"<2048>big\n"), (1, 0, &b"big"[..]));
        assert_eq!(parse(b"<4294967299>wrap\n"), (1, 3, &b"wrap"[..]));
        assert_eq!(parse(b"< 3>sp\n"), (1, 4, &b"< 3>sp"[..]));
        assert_eq!(parse(b"ab\0cd"), (1, 4, &b"ab"[..]));
        assert_eq!(parse(b""), (1, 4, &b""[..]));
    }

    #[test]
    fn a_file_reads_each_record_once_and_seeks_as_linux() {
        let klog = Arc::new(Klog::default());
        klog.printk(super::super::klog::KERN_INFO, "boot");
        let (rx, f) = open(&klog, O_NONBLOCK).unwrap();
        assert!(hostevent::readable_now(rx.as_raw_fd()).unwrap());
        assert_eq!(f.next_record(4), Err(Errno::EINVAL), "too small: and the record is gone");
        assert_eq!(f.next_record(100), Err(Errno::EAGAIN));
        assert!(!hostevent::readable_now(rx.as_raw_fd()).unwrap());
        let (echo, text) = f.write(b"<11>x\n");
        assert!(!echo && text == b"x");
        assert!(hostevent::readable_now(rx.as_raw_fd()).unwrap());
        let line = f.next_record(100).unwrap();
        assert!(line.starts_with(b"11,1,") && line.ends_with(b",-;x\n"), "{line:?}");
        assert_eq!(f.seek(1, SEEK_SET), Err(Errno::ESPIPE));
        assert_eq!(f.seek(0, 1), Err(Errno::EINVAL));
        assert_eq!(f.seek(0, SEEK_SET), Ok(0));
        assert!(f.next_record(100).unwrap().ends_with(b";boot\n"));
        klog.clear();
        assert_eq!(f.seek(0, SEEK_DATA), Ok(0));
        assert_eq!(f.next_record(100), Err(Errno::EAGAIN));
    }
}
