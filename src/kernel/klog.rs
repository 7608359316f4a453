//! The kernel log: printk's ring buffer, one per machine.
//!
//! Every message nommu has about the guest machine is a record here: the
//! boot banner, nommu's own `log` records (the logger in `main.rs` appends
//! them: errors, warnings, and with `-v` the `-v` lines as debug
//! messages), crash reports, the last words of `reboot`, and what guests
//! write to /dev/kmsg. Guests read it as on Linux, with syslog(2) (`dmesg`,
//! `syscall/syslog.rs`) and /dev/kmsg (`kernel::kmsg`).
//!
//! A record is Linux's: a sequence number (0 for the first), a facility
//! (0, kern, for nommu's own; 1, user, by default for /dev/kmsg writes), a
//! level 0-7 (KERN_EMERG to KERN_DEBUG), microseconds since the machine
//! started, and its text. The ring holds what Linux's default buffer holds
//! (`CONFIG_LOG_BUF_SHIFT=17`: 128 KiB of text, and a record for every 32
//! bytes of it); the oldest records go first.
//!
//! What also reaches the console: on `nommu boot` (`Console::Boot`) a
//! record whose level is below the console log level (7 unless `loglevel=N`
//! or `quiet`, or syslog's console actions change it), as Linux prints
//! it; on `nommu run` (`Console::Run`) there is no console but the guest's
//! stderr, which stays the guest's: only nommu's errors (below level 4)
//! reach it, never what the guest logged itself. `-v` echoes every record.
//! The caller prints what reaches the console, in its own form (the boot
//! banner on stdout as before, `log` records as env_logger shows them).
//!
//! Lock order: a /dev/kmsg file's position (`kmsg`) before `ring`; the
//! list of /dev/kmsg files after `ring` is let go. All are leaves
//! otherwise.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Weak};
use std::time::Instant;

pub const KERN_EMERG: u8 = 0;
pub const KERN_ALERT: u8 = 1;
pub const KERN_CRIT: u8 = 2;
pub const KERN_ERR: u8 = 3;
pub const KERN_WARNING: u8 = 4;
pub const KERN_NOTICE: u8 = 5;
pub const KERN_INFO: u8 = 6;
pub const KERN_DEBUG: u8 = 7;

/// Facilities: the kernel's own records, and what user space writes.
pub const LOG_KERN: u8 = 0;
pub const LOG_USER: u8 = 1;

/// The buffer's size (syslog's SIZE_BUFFER): Linux's default.
pub const LOG_BUF_LEN: usize = 1 << 17;
/// At most one record per 32 bytes of the buffer, as Linux's descriptor
/// ring has.
const MAX_RECORDS: usize = LOG_BUF_LEN >> 5;
/// What a record costs of the buffer besides its text (Linux keeps an id
/// and alignment with each).
const RECORD_OVERHEAD: usize = 16;
/// The longest record text (`PRINTKRB_RECORD_MAX`): a longer /dev/kmsg
/// write is EINVAL, a longer kernel message is cut.
pub const RECORD_MAX: usize = 1024;

/// Console log levels: Linux's defaults (`CONSOLE_LOGLEVEL_DEFAULT`,
/// `_QUIET`, `_DEBUG`, the minimum syslog's CONSOLE_OFF sets).
pub const CONSOLE_LOGLEVEL_DEFAULT: i32 = 7;
pub const CONSOLE_LOGLEVEL_QUIET: i32 = 4;
pub const CONSOLE_LOGLEVEL_DEBUG: i32 = 10;
pub const CONSOLE_LOGLEVEL_MIN: i32 = 1;
/// What /dev/kmsg writes without a `<N>` prefix get
/// (`CONFIG_MESSAGE_LOGLEVEL_DEFAULT`).
pub const MESSAGE_LOGLEVEL_DEFAULT: u8 = KERN_WARNING;
/// No console level saved by CONSOLE_OFF (Linux's `LOGLEVEL_DEFAULT`).
const NOTHING_SAVED: i32 = -1;

/// The level a `log` record is kept at: errors and warnings as such;
/// `info` is what `-v` shows (execs, vforks, exits, rewrite counts), which
/// a kernel would print with pr_debug, so it stays off the console at the
/// default console level.
pub fn level_of(level: log::Level) -> u8 {
    match level {
        log::Level::Error => KERN_ERR,
        log::Level::Warn => KERN_WARNING,
        _ => KERN_DEBUG,
    }
}

/// Where records that reach the console go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Console {
    /// `nommu boot`: the terminal is the machine's console.
    Boot,
    /// `nommu run`: the terminal is the guest's; only nommu's errors.
    Run,
}

#[derive(Clone, Debug)]
pub struct Record {
    pub seq: u64,
    pub facility: u8,
    pub level: u8,
    /// Microseconds since the machine started.
    pub usec: u64,
    pub text: Box<[u8]>,
}

impl Record {
    /// syslog's priority: facility and level in one number.
    pub fn prio(&self) -> u32 {
        (u32::from(self.facility) << 3) | u32::from(self.level)
    }

    /// The record as syslog(2) reads it: each line of its text as
    /// `<prio>[sssss.uuuuuu] line` and a newline.
    pub fn syslog_text(&self) -> Vec<u8> {
        let prefix = format!("<{}>[{:5}.{:06}] ", self.prio(), self.usec / 1_000_000, self.usec % 1_000_000);
        let mut out = Vec::with_capacity(self.text.len() + prefix.len() + 1);
        for line in self.text.split(|&b| b == b'\n') {
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out
    }

    /// The record as a read of /dev/kmsg returns it: `prio,seq,usec,-;`,
    /// the text with control characters, bytes from DEL up and backslash
    /// escaped as `\xNN`, and a newline.
    pub fn kmsg_text(&self) -> Vec<u8> {
        let mut out = format!("{},{},{},-;", self.prio(), self.seq, self.usec).into_bytes();
        for &b in self.text.iter() {
            if !(b' '..127).contains(&b) || b == b'\\' {
                out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
            } else {
                out.push(b);
            }
        }
        out.push(b'\n');
        out
    }
}

/// The records, and where each reader of the whole log is.
#[derive(Debug, Default)]
struct Ring {
    records: VecDeque<Record>,
    /// What the records cost of `LOG_BUF_LEN`.
    bytes: usize,
    next_seq: u64,
    /// The first record READ_ALL returns (CLEAR moves it to the end).
    clear_seq: u64,
    /// The next record syslog's READ returns, and how much of it an
    /// earlier READ already took (a record longer than its buffer).
    syslog_seq: u64,
    syslog_partial: usize,
}

fn cost(r: &Record) -> usize {
    r.text.len() + RECORD_OVERHEAD
}

impl Ring {
    fn first_seq(&self) -> u64 {
        self.next_seq - self.records.len() as u64
    }

    /// The oldest record still here whose sequence number is `seq` or later.
    fn at_or_after(&self, seq: u64) -> Option<&Record> {
        let skip = seq.saturating_sub(self.first_seq());
        self.records.get(usize::try_from(skip).ok()?)
    }

    fn from(&self, seq: u64) -> impl Iterator<Item = &Record> {
        let skip = seq.saturating_sub(self.first_seq()).min(self.records.len() as u64) as usize;
        self.records.range(skip..)
    }

    fn push(&mut self, r: Record) {
        self.bytes += cost(&r);
        self.records.push_back(r);
        self.next_seq += 1;
        while self.bytes > LOG_BUF_LEN || self.records.len() > MAX_RECORDS {
            let Some(old) = self.records.pop_front() else { break };
            self.bytes -= cost(&old);
        }
    }

    /// A reader of `syslog_seq` that fell behind the oldest record starts
    /// at it.
    fn catch_up_syslog(&mut self) {
        let first = self.first_seq();
        if self.syslog_seq < first {
            self.syslog_seq = first;
            self.syslog_partial = 0;
        }
    }
}

#[derive(Debug)]
pub struct Klog {
    start: Instant,
    ring: Mutex<Ring>,
    /// `ring.next_seq`, readable without the lock (a /dev/kmsg file's
    /// readiness).
    published: AtomicU64,
    /// Records appended so far (wrapping): the futex word blocking readers
    /// sleep on, and how many sleep there.
    arrivals: AtomicU32,
    sleepers: AtomicU32,
    console: Console,
    verbose: bool,
    console_loglevel: AtomicI32,
    /// The level CONSOLE_OFF put aside for CONSOLE_ON (changed under
    /// `ring`, with the console level).
    saved_console_loglevel: AtomicI32,
    /// The open /dev/kmsg files, whose doorbells follow the records.
    kmsg_files: Mutex<Vec<Weak<super::kmsg::KmsgFile>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Default for Klog {
    fn default() -> Self {
        Klog::new(Console::Run, false)
    }
}

impl Klog {
    /// An empty log whose clock starts now; `verbose` (`-v`) echoes every
    /// record.
    pub fn new(console: Console, verbose: bool) -> Klog {
        let level = match console {
            Console::Boot => CONSOLE_LOGLEVEL_DEFAULT,
            Console::Run => CONSOLE_LOGLEVEL_QUIET,
        };
        Klog {
            start: Instant::now(),
            ring: Mutex::new(Ring::default()),
            published: AtomicU64::new(0),
            arrivals: AtomicU32::new(0),
            sleepers: AtomicU32::new(0),
            console,
            verbose,
            console_loglevel: AtomicI32::new(level),
            saved_console_loglevel: AtomicI32::new(NOTHING_SAVED),
            kmsg_files: Mutex::new(Vec::new()),
        }
    }

    /// A message of the kernel's own at `level`. Whether it reaches the
    /// console (the caller prints it there).
    pub fn printk(&self, level: u8, text: &str) -> bool {
        let text = text.strip_suffix('\n').unwrap_or(text).as_bytes();
        self.append(LOG_KERN, level, &text[..text.len().min(RECORD_MAX)])
    }

    /// Appends a record; whether it reaches the console.
    pub fn append(&self, facility: u8, level: u8, text: &[u8]) -> bool {
        let usec = self.start.elapsed().as_micros() as u64;
        {
            let mut ring = lock(&self.ring);
            let seq = ring.next_seq;
            ring.push(Record { seq, facility, level: level & 7, usec, text: text.into() });
            self.published.store(ring.next_seq, Ordering::SeqCst);
        }
        self.arrivals.fetch_add(1, Ordering::SeqCst);
        if self.sleepers.load(Ordering::SeqCst) > 0 {
            crate::arch::host::futex_wake(&self.arrivals, i32::MAX);
        }
        self.ring_kmsg_doorbells();
        self.reaches_console(facility, level)
    }

    /// Whether a record of `facility` and `level` is shown on the console.
    pub fn reaches_console(&self, facility: u8, level: u8) -> bool {
        if self.verbose {
            return true;
        }
        let below = i32::from(level) < self.console_loglevel.load(Ordering::Relaxed);
        match self.console {
            Console::Boot => below,
            Console::Run => below && facility == LOG_KERN,
        }
    }

    pub fn console_loglevel(&self) -> i32 {
        self.console_loglevel.load(Ordering::Relaxed)
    }

    /// The console level the boot parameters chose (`loglevel=N`,
    /// `quiet`, `debug`).
    pub fn set_console_loglevel(&self, level: i32) {
        self.console_loglevel.store(level, Ordering::Relaxed);
    }

    /// The next sequence number: how many records were ever appended.
    pub fn next_seq(&self) -> u64 {
        self.published.load(Ordering::SeqCst)
    }

    // ---- syslog(2) -----------------------------------------------------

    /// SYSLOG_ACTION_READ: what a read of at most `size` bytes takes from
    /// where the last one stopped, one piece per record (the first may be
    /// part of one: a record longer than the buffer is read in parts).
    /// The records are taken whether or not the caller can copy them out,
    /// as on Linux.
    pub fn syslog_read(&self, size: usize) -> Vec<Vec<u8>> {
        let mut ring = lock(&self.ring);
        let mut pieces = Vec::new();
        let mut left = size;
        while left > 0 {
            ring.catch_up_syslog();
            let Some(text) = ring.at_or_after(ring.syslog_seq).map(Record::syslog_text) else { break };
            let skip = ring.syslog_partial;
            let n = if text.len() - skip <= left {
                ring.syslog_seq += 1;
                ring.syslog_partial = 0;
                text.len() - skip
            } else if pieces.is_empty() {
                ring.syslog_partial += left;
                left
            } else {
                break;
            };
            pieces.push(text[skip..skip + n].to_vec());
            left -= n;
        }
        pieces
    }

    /// Whether syslog's READ has something to return.
    pub fn syslog_unread(&self) -> bool {
        let mut ring = lock(&self.ring);
        ring.catch_up_syslog();
        ring.syslog_seq < ring.next_seq
    }

    /// SYSLOG_ACTION_SIZE_UNREAD: the bytes READ would return with a
    /// buffer large enough.
    pub fn size_unread(&self) -> usize {
        let mut ring = lock(&self.ring);
        ring.catch_up_syslog();
        let total: usize = ring.from(ring.syslog_seq).map(|r| r.syslog_text().len()).sum();
        total - ring.syslog_partial
    }

    /// SYSLOG_ACTION_READ_ALL and READ_CLEAR: the newest records since the
    /// last CLEAR that fit in `size` bytes, whole, oldest first; `clear`
    /// then starts the next READ_ALL after them.
    pub fn read_all(&self, size: usize, clear: bool) -> Vec<u8> {
        let mut ring = lock(&self.ring);
        let texts: Vec<Vec<u8>> = ring.from(ring.clear_seq).map(Record::syslog_text).collect();
        let mut total: usize = texts.iter().map(Vec::len).sum();
        let mut skip = 0;
        while total > size {
            total -= texts[skip].len();
            skip += 1;
        }
        if clear {
            ring.clear_seq = ring.next_seq;
        }
        texts[skip..].concat()
    }

    /// SYSLOG_ACTION_CLEAR.
    pub fn clear(&self) {
        let mut ring = lock(&self.ring);
        ring.clear_seq = ring.next_seq;
    }

    /// SYSLOG_ACTION_CONSOLE_OFF: only emergencies reach the console until
    /// CONSOLE_ON.
    pub fn console_off(&self) {
        let _serial = lock(&self.ring);
        if self.saved_console_loglevel.load(Ordering::Relaxed) == NOTHING_SAVED {
            self.saved_console_loglevel.store(self.console_loglevel(), Ordering::Relaxed);
        }
        self.console_loglevel.store(CONSOLE_LOGLEVEL_MIN, Ordering::Relaxed);
    }

    /// SYSLOG_ACTION_CONSOLE_ON: the level CONSOLE_OFF put aside, if any.
    pub fn console_on(&self) {
        let _serial = lock(&self.ring);
        let saved = self.saved_console_loglevel.swap(NOTHING_SAVED, Ordering::Relaxed);
        if saved != NOTHING_SAVED {
            self.console_loglevel.store(saved, Ordering::Relaxed);
        }
    }

    /// SYSLOG_ACTION_CONSOLE_LEVEL (`dmesg -n`): 1 to 8, else None
    /// (EINVAL); what CONSOLE_OFF put aside is forgotten.
    pub fn console_level(&self, level: i32) -> Option<()> {
        if !(1..=8).contains(&level) {
            return None;
        }
        let _serial = lock(&self.ring);
        self.console_loglevel.store(level.max(CONSOLE_LOGLEVEL_MIN), Ordering::Relaxed);
        self.saved_console_loglevel.store(NOTHING_SAVED, Ordering::Relaxed);
        Some(())
    }

    // ---- waiting, and /dev/kmsg ---------------------------------------

    /// The count of records appended so far, to wait on with
    /// `wait_for_more` after finding nothing to read.
    pub fn arrivals(&self) -> u32 {
        self.arrivals.load(Ordering::SeqCst)
    }

    /// Sleeps until a record arrives after `seen` (`arrivals`) or the vCPU
    /// thread is kicked (EINTR: the caller looks at its signals).
    pub fn wait_for_more(&self, seen: u32) -> std::io::Result<()> {
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        let r = crate::arch::host::futex_wait_interruptible(&self.arrivals, seen);
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
        r
    }

    /// The record at `seq`, or the oldest one after it when `seq` is gone;
    /// None when there is none yet.
    pub fn record_at_or_after(&self, seq: u64) -> Option<Record> {
        lock(&self.ring).at_or_after(seq).cloned()
    }

    /// Where /dev/kmsg's SEEK_SET, SEEK_DATA and SEEK_END lead: the oldest
    /// record, the first after the last CLEAR, the end.
    pub fn first_seq(&self) -> u64 {
        lock(&self.ring).first_seq()
    }

    pub fn clear_seq(&self) -> u64 {
        let ring = lock(&self.ring);
        ring.clear_seq.max(ring.first_seq())
    }

    pub(crate) fn add_kmsg_file(&self, f: Weak<super::kmsg::KmsgFile>) {
        let mut files = lock(&self.kmsg_files);
        files.retain(|w| w.strong_count() > 0);
        files.push(f);
    }

    fn ring_kmsg_doorbells(&self) {
        let files: Vec<_> = {
            let files = lock(&self.kmsg_files);
            if files.is_empty() {
                return;
            }
            files.iter().filter_map(Weak::upgrade).collect()
        };
        for f in files {
            f.sync_doorbell();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64, facility: u8, level: u8, usec: u64, text: &[u8]) -> Record {
        Record { seq, facility, level, usec, text: text.into() }
    }

    #[test]
    fn records_print_as_linux_prints_them() {
        let r = rec(5, LOG_USER, 3, 12_044_115_017, b"hello\\ kmsg\x01");
        assert_eq!(r.kmsg_text(), b"11,5,12044115017,-;hello\\x5c kmsg\\x01\n");
        assert_eq!(r.syslog_text(), b"<11>[12044.115017] hello\\ kmsg\x01\n");
        let lines = rec(0, LOG_USER, 4, 1, b"plain\nline2\n");
        assert_eq!(lines.syslog_text(), b"<12>[    0.000001] plain\n<12>[    0.000001] line2\n<12>[    0.000001] \n");
        assert_eq!(lines.kmsg_text(), b"12,0,1,-;plain\\x0aline2\\x0a\n");
    }

    #[test]
    fn syslog_read_takes_records_and_parts_of_them() {
        let k = Klog::default();
        k.printk(KERN_INFO, "first");
        k.printk(KERN_INFO, "second");
        let one = rec(0, 0, 6, 0, b"first").syslog_text().len();
        assert_eq!(k.size_unread(), 2 * one + 1);
        let part = k.syslog_read(4);
        assert_eq!(part, vec![b"<6>[".to_vec()]);
        assert_eq!(k.size_unread(), 2 * one + 1 - 4);
        // The rest of the first; the second does not fit beside it.
        let rest = k.syslog_read(one);
        assert_eq!(rest.len(), 1);
        assert!(rest[0].ends_with(b"] first\n"), "{rest:?}");
        let second = k.syslog_read(1000);
        assert!(second[0].ends_with(b"] second\n"));
        assert!(!k.syslog_unread());
        assert_eq!(k.size_unread(), 0);
    }

    #[test]
    fn read_all_keeps_the_newest_that_fit_and_clear_starts_after() {
        let k = Klog::default();
        for t in ["a", "b", "c"] {
            k.printk(KERN_WARNING, t);
        }
        let one = rec(0, 0, 4, 0, b"a").syslog_text().len();
        let two = k.read_all(2 * one + 3, false);
        assert_eq!(two.len(), 2 * one);
        assert!(two.ends_with(b"] c\n") && !two.windows(3).any(|w| w == b"] a"));
        assert_eq!(k.read_all(one - 1, false), b"");
        assert_eq!(k.read_all(1000, true).len(), 3 * one);
        assert_eq!(k.read_all(1000, false), b"");
        k.printk(KERN_WARNING, "d");
        assert!(k.read_all(1000, false).ends_with(b"] d\n"));
        k.clear();
        assert_eq!(k.read_all(1000, false), b"");
        // CLEAR leaves syslog's READ alone.
        assert_eq!(k.syslog_read(10_000).len(), 4);
    }

    #[test]
    fn the_oldest_records_go_when_the_buffer_is_full() {
        let k = Klog::default();
        let line = "x".repeat(1000);
        for _ in 0..200 {
            k.printk(KERN_INFO, &line);
        }
        let ring = lock(&k.ring);
        assert_eq!(ring.next_seq, 200);
        assert!(ring.bytes <= LOG_BUF_LEN);
        assert_eq!(ring.first_seq(), 200 - ring.records.len() as u64);
        assert!(ring.records.len() < 200);
        drop(ring);
        // A reader that fell behind starts at the oldest record.
        assert!(k.record_at_or_after(0).is_some_and(|r| r.seq == k.first_seq()));
    }

    #[test]
    fn console_levels_follow_syslogs_actions() {
        let k = Klog::new(Console::Boot, false);
        assert!(k.reaches_console(LOG_KERN, KERN_INFO) && !k.reaches_console(LOG_KERN, KERN_DEBUG));
        k.console_off();
        assert_eq!(k.console_loglevel(), CONSOLE_LOGLEVEL_MIN);
        k.console_off();
        k.console_on();
        assert_eq!(k.console_loglevel(), CONSOLE_LOGLEVEL_DEFAULT);
        assert_eq!(k.console_level(0), None);
        assert_eq!(k.console_level(9), None);
        k.console_off();
        assert_eq!(k.console_level(3), Some(()));
        k.console_on();
        assert_eq!(k.console_loglevel(), 3, "CONSOLE_LEVEL forgets what CONSOLE_OFF saved");
        let run = Klog::new(Console::Run, false);
        assert!(run.reaches_console(LOG_KERN, KERN_ERR));
        assert!(!run.reaches_console(LOG_KERN, KERN_WARNING) && !run.reaches_console(LOG_USER, KERN_EMERG));
        assert!(Klog::new(Console::Run, true).reaches_console(LOG_USER, KERN_DEBUG));
    }
}
