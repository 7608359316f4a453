//! `--trace=SPEC`: which syscalls the tracer (`kernel::trace`) prints,
//! by name and by class, from the one syscall table.

use super::table::{Arg, SYSCALLS, TABLE_LEN};

/// What `--trace=SPEC` selected.
pub struct TraceSpec {
    wanted: Vec<bool>,
}

impl TraceSpec {
    /// Whether each syscall number below the table's length is printed.
    pub fn into_wanted(self) -> Vec<bool> {
        self.wanted
    }
}

const PROCESS: &[&str] = &[
    "clone",
    "clone3",
    "fork",
    "vfork",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "wait4",
    "waitid",
    "kill",
    "tkill",
    "tgkill",
];
const SIGNAL: &[&str] = &[
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_sigsuspend",
    "rt_tgsigqueueinfo",
    "sigaltstack",
    "kill",
    "tkill",
    "tgkill",
    "pause",
];
const NETWORK: &[&str] = &[
    "socket",
    "socketpair",
    "bind",
    "listen",
    "connect",
    "accept",
    "accept4",
    "getsockname",
    "getpeername",
    "shutdown",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "getsockopt",
    "setsockopt",
];
const MEMORY: &[&str] = &["mmap", "munmap", "mprotect", "brk", "mremap", "madvise"];

impl TraceSpec {
    /// `all`, or a comma-separated list of syscall names and classes
    /// (`%file %process %signal %memory %network`), as strace's `-e trace=`.
    pub fn parse(spec: &str) -> Result<TraceSpec, String> {
        let mut wanted = vec![false; TABLE_LEN];
        if spec.is_empty() || spec == "all" {
            wanted.iter_mut().for_each(|w| *w = true);
            return Ok(TraceSpec { wanted });
        }
        for item in spec.split(',') {
            let matches: Vec<u64> = match item {
                "%file" => SYSCALLS.iter().filter(|d| d.args.contains(&Arg::Str)).map(|d| d.nr).collect(),
                "%process" => by_names(PROCESS),
                "%signal" => by_names(SIGNAL),
                "%memory" => by_names(MEMORY),
                "%network" | "%net" => by_names(NETWORK),
                name => {
                    let nr = (0..TABLE_LEN as u64)
                        .find(|&n| super::names::syscall_name(n) == Some(name))
                        .ok_or_else(|| format!("unknown syscall or class in --trace: {name}"))?;
                    vec![nr]
                }
            };
            for nr in matches {
                wanted[nr as usize] = true;
            }
        }
        Ok(TraceSpec { wanted })
    }
}

fn by_names(names: &[&str]) -> Vec<u64> {
    SYSCALLS.iter().filter(|d| names.contains(&d.name)).map(|d| d.nr).collect()
}

/// One syscall on the timeline (`--timeline`, `kernel::timeline`): its
/// slice, and for the calls that make a task, run a program or change
/// memory, the instants, arrows and arena sample that go with them.
pub(crate) fn record_in_timeline(
    ctx: &super::SyscallCtx<'_>,
    t: &crate::kernel::timeline::Timeline,
    a: &[u64; 6],
    shown: &super::decode::Rendered,
    start: std::time::Instant,
    ok: Option<u64>,
) {
    let end = std::time::Instant::now();
    let (pid, tid) = (ctx.task.process.pid, ctx.task.tid);
    let comm = ctx.task.process.comm();
    let mut args: Vec<(&str, String)> = shown.args.iter().map(|s| (s.name, s.text.clone())).collect();
    args.push(("result", shown.result.clone()));
    t.syscall(pid, tid, &comm, shown.name, start, end, &args);
    let spawned = ok.filter(|&c| c > 0 && c <= i32::MAX as u64).map(|c| c as i32);
    if let (Some(child), true) = (spawned, matches!(shown.name, "vfork" | "clone" | "clone3")) {
        let flags = match shown.name {
            "clone3" => ctx.user().read_val::<crate::abi::sched::CloneArgs>(a[0]).map_or(0, |c| c.flags),
            "clone" => a[0],
            _ => 0,
        };
        let thread = flags & crate::abi::sched::CLONE_THREAD != 0;
        let kind = if thread { "clone (thread)" } else { shown.name };
        // Just inside the parent's slice, so that the arrow starts from it.
        let at = t.ts(start) + 0.001;
        t.spawn(kind, (pid, tid), &comm, (if thread { pid } else { child }, child), at);
    }
    let exec = matches!(shown.name, "execve" | "execveat");
    if exec && shown.result == "0" {
        let program = shown.args.iter().find(|s| s.name == "path").map_or(String::new(), |s| s.text.clone());
        t.instant(pid, tid, Some(&comm), "execve", t.ts(end), &[("program", program), ("comm", comm.clone())]);
    }
    const MEMORY: [&str; 14] = [
        "mmap",
        "munmap",
        "mremap",
        "brk",
        "execve",
        "execveat",
        "exit",
        "exit_group",
        "wait4",
        "waitid",
        "shmat",
        "shmdt",
        "vfork",
        "clone",
    ];
    if exec || MEMORY.contains(&shown.name) {
        let st = ctx.m.mem.stats();
        t.arena(t.ts(end), st.committed, st.reserved);
    }
}
