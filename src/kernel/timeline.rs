//! `--timeline FILE.json`: the machine's run as a Chrome/Perfetto trace
//! (the Trace Event Format, a JSON object with `traceEvents`), for
//! opening in ui.perfetto.dev or chrome://tracing.
//!
//! - one track per guest task: `M` metadata `process_name` and
//!   `thread_name` ("pid N (comm)"), written when a task is first seen and
//!   again when its name changes (at exec);
//! - every syscall an `X` slice (ts/dur in µs) named after it, its
//!   decoded arguments and result in `args`, as `--trace` shows them;
//! - `i` instants for vfork/clone (on the parent), execve, exit and signal
//!   delivery; `s`/`f` flow arrows from a vfork or clone to the child's
//!   first slice (the flow id is the child's tid);
//! - a `C` counter track "arena" (bytes in use and reserved) on the
//!   machine's own track (pid 0, "nommu"), sampled after the calls that
//!   change memory (mmap, brk, exec, exit, wait).
//!
//! Events are written as they happen (one line each, under one lock);
//! `finish` closes the array when the machine ends, so the file is valid
//! JSON then, whether pid 1 exited or was killed. Events after it (other
//! tasks still winding down) are dropped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::sync::Mutex;
use std::time::Instant;

/// The machine's own track: the arena counter.
const MACHINE_PID: i32 = 0;

pub struct Timeline {
    origin: Instant,
    state: Mutex<State>,
}

struct State {
    /// None once the array is closed.
    out: Option<BufWriter<Box<dyn Write + Send>>>,
    first: bool,
    /// The name each track was last given.
    thread_names: HashMap<i32, String>,
    process_names: HashMap<i32, String>,
    /// The pid each task belongs to (for events that name only a tid).
    pids: HashMap<i32, i32>,
}

/// A JSON string literal.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `{"k": "v", ...}` from string pairs.
fn json_args(args: &[(&str, String)]) -> String {
    let fields: Vec<String> = args.iter().map(|(k, v)| format!("{}: {}", json_string(k), json_string(v))).collect();
    format!("{{{}}}", fields.join(", "))
}

impl Timeline {
    /// Starts the file: the header, and the machine's own track.
    pub fn new(out: Box<dyn Write + Send>) -> std::io::Result<Timeline> {
        let mut out = BufWriter::new(out);
        out.write_all(
            b"{\"displayTimeUnit\": \"ns\", \"otherData\": {\"generator\": \"nommu --timeline\"}, \"traceEvents\": [\n",
        )?;
        let t = Timeline {
            origin: Instant::now(),
            state: Mutex::new(State {
                out: Some(out),
                first: true,
                thread_names: HashMap::new(),
                process_names: HashMap::new(),
                pids: HashMap::new(),
            }),
        };
        {
            let mut s = t.lock();
            let name = "nommu (the machine: arena use)".to_string();
            s.name_track(MACHINE_PID, MACHINE_PID, &name, &name);
        }
        Ok(t)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Microseconds since the machine started, at `t`.
    pub(crate) fn ts(&self, t: Instant) -> f64 {
        t.saturating_duration_since(self.origin).as_secs_f64() * 1e6
    }

    pub(crate) fn now(&self) -> f64 {
        self.ts(Instant::now())
    }

    /// A syscall slice on task `tid` of process `pid` (named `comm` now).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn syscall(
        &self,
        pid: i32,
        tid: i32,
        comm: &str,
        name: &str,
        start: Instant,
        end: Instant,
        args: &[(&str, String)],
    ) {
        let (ts, dur) = (self.ts(start), end.saturating_duration_since(start).as_secs_f64() * 1e6);
        let event = format!(
            "{{\"ph\": \"X\", \"cat\": \"syscall\", \"name\": {}, \"pid\": {pid}, \"tid\": {tid}, \"ts\": {ts:.3}, \"dur\": {dur:.3}, \"args\": {}}}",
            json_string(name),
            json_args(args)
        );
        let mut s = self.lock();
        s.know(pid, tid, comm);
        s.write(&event);
    }

    /// An instant on a task's track: `execve`, `exit`, a signal.
    pub(crate) fn instant(&self, pid: i32, tid: i32, comm: Option<&str>, name: &str, ts: f64, args: &[(&str, String)]) {
        let event = format!(
            "{{\"ph\": \"i\", \"s\": \"t\", \"cat\": \"task\", \"name\": {}, \"pid\": {pid}, \"tid\": {tid}, \"ts\": {ts:.3}, \"args\": {}}}",
            json_string(name),
            json_args(args)
        );
        let mut s = self.lock();
        let pid = if pid == 0 { s.pids.get(&tid).copied().unwrap_or(tid) } else { pid };
        match comm {
            Some(c) => s.know(pid, tid, c),
            None if !s.thread_names.contains_key(&tid) => s.know(pid, tid, ""),
            None => {}
        }
        s.write(&event);
    }

    /// A vfork or clone at `ts` (during the parent's call): an instant on
    /// the parent and a flow arrow to the child's first slice. The child
    /// is named after the parent until its own first event says more.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn spawn(&self, kind: &str, parent: (i32, i32), comm: &str, child: (i32, i32), ts: f64) {
        let ((ppid, ptid), (cpid, ctid)) = (parent, child);
        let what = if cpid == ppid { "thread" } else { "pid" };
        let args = [("child", format!("{what} {ctid}"))];
        self.instant(ppid, ptid, Some(comm), kind, ts, &args);
        let start = format!(
            "{{\"ph\": \"s\", \"cat\": \"spawn\", \"name\": {}, \"id\": {ctid}, \"pid\": {ppid}, \"tid\": {ptid}, \"ts\": {ts:.3}}}",
            json_string(kind)
        );
        // No "bp": the arrow ends at the next slice that begins on the
        // child's track, its first syscall.
        let end = format!(
            "{{\"ph\": \"f\", \"cat\": \"spawn\", \"name\": {}, \"id\": {ctid}, \"pid\": {cpid}, \"tid\": {ctid}, \"ts\": {ts:.3}}}",
            json_string(kind)
        );
        let mut s = self.lock();
        if !s.thread_names.contains_key(&ctid) {
            s.know(cpid, ctid, comm);
        }
        s.write(&start);
        s.write(&end);
    }

    /// The arena counter: bytes in use (committed) and reserved.
    pub(crate) fn arena(&self, ts: f64, in_use: u64, reserved: u64) {
        let event = format!(
            "{{\"ph\": \"C\", \"name\": \"arena\", \"pid\": {MACHINE_PID}, \"tid\": {MACHINE_PID}, \"ts\": {ts:.3}, \
             \"args\": {{\"in use\": {in_use}, \"reserved\": {reserved}}}}}"
        );
        self.lock().write(&event);
    }

    /// Closes the array: the file is whole JSON from here on.
    pub fn finish(&self) {
        let mut s = self.lock();
        if let Some(mut out) = s.out.take() {
            let _ = out.write_all(b"\n]}\n");
            let _ = out.flush();
        }
    }
}

impl State {
    fn write(&mut self, event: &str) {
        let first = std::mem::replace(&mut self.first, false);
        if let Some(out) = &mut self.out {
            if !first {
                let _ = out.write_all(b",\n");
            }
            let _ = out.write_all(event.as_bytes());
        }
    }

    /// Names task `tid`'s track (and its process's) when it is new or
    /// its program's name changed.
    fn know(&mut self, pid: i32, tid: i32, comm: &str) {
        self.pids.insert(tid, pid);
        let label =
            |n: i32, kind: &str| if comm.is_empty() { format!("{kind} {n}") } else { format!("{kind} {n} ({comm})") };
        let thread = label(tid, if tid == pid { "pid" } else { "tid" });
        if self.thread_names.get(&tid) == Some(&thread) {
            return;
        }
        let process = label(pid, "pid");
        self.name_track(pid, tid, &process, &thread);
    }

    fn name_track(&mut self, pid: i32, tid: i32, process: &str, thread: &str) {
        if self.process_names.get(&pid).map(String::as_str) != Some(process)
            && (tid == pid || !self.process_names.contains_key(&pid))
        {
            let e = format!(
                "{{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": {pid}, \"tid\": {tid}, \"ts\": 0, \"args\": {{\"name\": {}}}}}",
                json_string(process)
            );
            self.write(&e);
            self.process_names.insert(pid, process.to_string());
        }
        let e = format!(
            "{{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": {pid}, \"tid\": {tid}, \"ts\": 0, \"args\": {{\"name\": {}}}}}",
            json_string(thread)
        );
        self.write(&e);
        self.thread_names.insert(tid, thread.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex as StdMutex};

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<StdMutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn events_form_one_json_object_and_tracks_are_renamed_at_exec() {
        let buf = Shared::default();
        let t = Timeline::new(Box::new(buf.clone())).unwrap();
        let now = Instant::now();
        t.syscall(1, 1, "sh", "vfork", now, now, &[("result", "2".into())]);
        t.spawn("vfork", (1, 1), "sh", (2, 2), 1.0);
        t.syscall(2, 2, "ls", "execve", now, now, &[("path", "\"/bin/ls\"".into())]);
        t.arena(2.0, 4096, 8192);
        t.finish();
        t.instant(1, 1, None, "dropped after finish", 3.0, &[]);
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(text.starts_with("{\"displayTimeUnit\""), "{text}");
        assert!(text.ends_with("\n]}\n"), "{text}");
        assert!(text.contains("\"args\": {\"name\": \"pid 2 (sh)\"}"), "{text}");
        assert!(text.contains("\"args\": {\"name\": \"pid 2 (ls)\"}"), "{text}");
        assert!(text.contains("\"path\": \"\\\"/bin/ls\\\"\""), "{text}");
        assert!(!text.contains("dropped"), "{text}");
        assert_eq!(text.matches("\"ph\": \"s\"").count(), 1);
        assert!(!text.contains(",\n\n]"), "{text}");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
