//! The tracer: strace-format lines (`--trace`: syscalls, signals, exits),
//! the per-syscall summary (`--summary`, `--report`) and the timeline
//! (`--timeline`, `kernel::timeline`). Which syscalls it prints is decided
//! above it (`syscall::trace::TraceSpec`), and so is each syscall line's
//! text (`syscall::decode`).

use super::signal::SigInfo;
use crate::abi::names::{signal_strace_name, syscall_name};
use crate::abi::signal::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The name strace gives syscall `nr`: `syscall_0x1f4` for numbers Linux
/// has no syscall for.
pub(crate) fn display_name(nr: u64) -> String {
    syscall_name(nr).map_or_else(|| format!("syscall_{nr:#x}"), str::to_string)
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CallStats {
    pub calls: u64,
    pub errors: u64,
    pub time: Duration,
}

pub struct Tracer {
    /// Which syscall numbers are printed (`--trace`); `None`: none.
    spec: Option<Vec<bool>>,
    out: Mutex<Box<dyn Write + Send>>,
    summary: Option<Mutex<BTreeMap<u64, CallStats>>>,
    /// The summary's time column is shown (`--summary`); a report alone
    /// wants counts only (`counts_only`).
    timed: bool,
    timeline: Option<super::timeline::Timeline>,
    /// Calls and errors of syscall numbers below `COUNTED` when nothing
    /// but counts is wanted: an atomic add, not the summary's lock.
    counters: Box<[[AtomicU64; 2]]>,
}

/// Syscall numbers with a counter of their own (the sled's length): the
/// rest, which are ENOSYS, go to the summary's map.
const COUNTED: usize = 512;

impl Tracer {
    /// `spec`: for each syscall number, whether it is printed (numbers
    /// beyond it are); `None` prints nothing (`--summary` alone).
    /// `summary`: count calls and errors per syscall (`--report`);
    /// `timed`: and their time (`--summary`'s table).
    pub fn new(spec: Option<Vec<bool>>, out: Box<dyn Write + Send>, summary: bool, timed: bool) -> Tracer {
        let counters: Box<[[AtomicU64; 2]]> =
            if summary && !timed { (0..COUNTED).map(|_| Default::default()).collect() } else { Box::new([]) };
        Tracer {
            spec,
            out: Mutex::new(out),
            summary: summary.then(|| Mutex::new(BTreeMap::new())),
            timed,
            timeline: None,
            counters,
        }
    }

    /// Nothing is printed, timed or drawn: `dispatch` only counts
    /// (`count_untimed`), without reading the clock.
    #[inline]
    pub(crate) fn counts_only(&self) -> bool {
        self.spec.is_none() && self.timeline.is_none() && !self.timed
    }

    /// `count` without a time, for `counts_only` tracers.
    #[inline]
    pub(crate) fn count_untimed(&self, nr: u64, failed: bool) {
        match self.counters.get(nr as usize) {
            Some([calls, errors]) => {
                calls.fetch_add(1, Ordering::Relaxed);
                if failed {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            None => self.count(nr, failed, Duration::ZERO),
        }
    }

    /// Also records the run as a timeline (`--timeline`).
    pub fn with_timeline(mut self, timeline: super::timeline::Timeline) -> Tracer {
        self.timeline = Some(timeline);
        self
    }

    #[inline]
    pub(crate) fn timeline(&self) -> Option<&super::timeline::Timeline> {
        self.timeline.as_ref()
    }

    /// The machine is over: the timeline's last arena sample, and its
    /// file closed (whole JSON from here on).
    pub fn finish(&self, m: &super::Machine) {
        if let Some(t) = &self.timeline {
            let st = m.mem.stats();
            t.arena(t.now(), st.committed, st.reserved);
            t.finish();
        }
    }

    /// Whether syscall `nr` is printed. As strace does, a number Linux has
    /// no syscall for is printed whatever the filter.
    pub(crate) fn wants(&self, nr: u64) -> bool {
        self.spec.as_ref().is_some_and(|s| s.get(nr as usize).copied().unwrap_or(true) || syscall_name(nr).is_none())
    }

    pub(crate) fn emit(&self, tid: i32, text: &str) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "[pid {tid}] {text}");
        let _ = out.flush();
    }

    pub(crate) fn count(&self, nr: u64, failed: bool, time: Duration) {
        if let Some(s) = &self.summary {
            let mut s = s.lock().unwrap_or_else(|e| e.into_inner());
            let e = s.entry(nr).or_default();
            e.calls += 1;
            e.errors += failed as u64;
            e.time += time;
        }
    }

    /// `--- SIGCHLD {...} ---` when a signal reaches a task (`tid` of
    /// process `pid`).
    pub(crate) fn signal(&self, pid: i32, tid: i32, info: &SigInfo) {
        if self.spec.is_none() && self.timeline.is_none() {
            return;
        }
        let code = match (info.signo, info.code) {
            (_, SI_USER) => "SI_USER".to_string(),
            (_, SI_KERNEL) => "SI_KERNEL".to_string(),
            (_, SI_QUEUE) => "SI_QUEUE".to_string(),
            (_, SI_TKILL) => "SI_TKILL".to_string(),
            (SIGCHLD, CLD_EXITED) => "CLD_EXITED".to_string(),
            (SIGCHLD, CLD_KILLED) => "CLD_KILLED".to_string(),
            (SIGCHLD, CLD_DUMPED) => "CLD_DUMPED".to_string(),
            (SIGCHLD, CLD_STOPPED) => "CLD_STOPPED".to_string(),
            (SIGCHLD, CLD_CONTINUED) => "CLD_CONTINUED".to_string(),
            (SIGSEGV, SEGV_MAPERR) => "SEGV_MAPERR".to_string(),
            (SIGSEGV, SEGV_ACCERR) => "SEGV_ACCERR".to_string(),
            (_, c) => c.to_string(),
        };
        let name = signal_strace_name(info.signo);
        let detail = if info.is_fault() {
            let addr = if info.addr == 0 { "NULL".to_string() } else { format!("{:#x}", info.addr) };
            format!("si_signo={name}, si_code={code}, si_addr={addr}")
        } else if info.signo == SIGCHLD {
            let status = if matches!(info.code, CLD_KILLED | CLD_DUMPED | CLD_STOPPED) {
                signal_strace_name(info.status)
            } else {
                info.status.to_string()
            };
            format!(
                "si_signo={name}, si_code={code}, si_pid={}, si_uid=0, si_status={status}, si_utime={}, si_stime={}",
                info.pid, info.utime, info.stime
            )
        } else {
            format!("si_signo={name}, si_code={code}, si_pid={}, si_uid=0", info.pid)
        };
        if let Some(t) = &self.timeline {
            t.instant(pid, tid, None, &name, t.now(), &[("siginfo", detail.clone())]);
        }
        if self.spec.is_some() {
            self.emit(tid, &format!("--- {name} {{{detail}}} ---"));
        }
    }

    /// `+++ exited with 0 +++` / `+++ killed by SIGSEGV +++`.
    pub(crate) fn exit(&self, pid: i32, status: crate::kernel::ExitStatus) {
        let how = match status {
            crate::kernel::ExitStatus::Exited(c) => format!("exited with {c}"),
            crate::kernel::ExitStatus::Signaled(s) => format!("killed by {}", signal_strace_name(s)),
        };
        if let Some(t) = &self.timeline {
            t.instant(pid, pid, None, "exit", t.now(), &[("status", how.clone())]);
        }
        if self.spec.is_some() {
            self.emit(pid, &format!("+++ {how} +++"));
        }
    }

    /// Per-syscall counts so far: (name, calls, errors).
    pub(crate) fn counts(&self) -> Vec<(String, u64, u64)> {
        let Some(s) = &self.summary else { return Vec::new() };
        let mut all = s.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for (nr, [calls, errors]) in self.counters.iter().enumerate() {
            let calls = calls.load(Ordering::Relaxed);
            if calls != 0 {
                let e = all.entry(nr as u64).or_default();
                e.calls += calls;
                e.errors += errors.load(Ordering::Relaxed);
            }
        }
        all.iter().map(|(nr, c)| (display_name(*nr), c.calls, c.errors)).collect()
    }

    /// The `strace -c` table.
    pub fn summary_table(&self) -> Option<String> {
        let s = self.summary.as_ref()?.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let total: Duration = s.values().map(|c| c.time).sum();
        let mut rows: Vec<(u64, CallStats)> = s.into_iter().collect();
        rows.sort_by(|a, b| b.1.time.cmp(&a.1.time).then(b.1.calls.cmp(&a.1.calls)));
        let mut out = String::new();
        out.push_str("% time     seconds  usecs/call     calls    errors syscall\n");
        out.push_str("------ ----------- ----------- --------- --------- ----------------\n");
        let (mut calls, mut errors) = (0, 0);
        for (nr, c) in &rows {
            let pct = if total.is_zero() { 0.0 } else { 100.0 * c.time.as_secs_f64() / total.as_secs_f64() };
            let per = c.time.as_micros() as u64 / c.calls.max(1);
            let name = display_name(*nr);
            let err = if c.errors > 0 { c.errors.to_string() } else { String::new() };
            out.push_str(&format!("{pct:6.2} {:11.6} {per:11} {:9} {err:>9} {name}\n", c.time.as_secs_f64(), c.calls));
            calls += c.calls;
            errors += c.errors;
        }
        out.push_str("------ ----------- ----------- --------- --------- ----------------\n");
        let per = total.as_micros() as u64 / calls.max(1);
        out.push_str(&format!("100.00 {:11.6} {per:11} {calls:9} {errors:9} total\n", total.as_secs_f64()));
        Some(out)
    }
}
