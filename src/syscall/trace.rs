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
