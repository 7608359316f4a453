//! `--report FILE.json`: what a CI job wants to know about a run.
//!
//! Schema (all keys always present):
//! ```json
//! { "status": {"exited": 0} | {"signaled": "SIGSEGV"} | {"failed_to_start": true},
//!   "syscalls": {"write": {"calls": 3, "errors": 0}, ...},
//!   "enosys": ["socket", ...],
//!   "nommu_incompatibilities": [{"pid": 3, "program": "/bin/app",
//!       "call": "mmap(MAP_SHARED, PROT_READ|PROT_WRITE, /data/f)",
//!       "strict": "ENODEV", "count": 2}, ...],
//!   "memory": {"mem_bytes": N, "used_bytes": N, "peak_used_bytes": N,
//!              "arena_bytes": N, "reserved_bytes": N, "peak_reserved_bytes": N,
//!              "largest_free_block_bytes": N, "free_blocks": N},
//!   "execs": N, "syscall_sites_rewritten": N, "rewrite_seconds": F,
//!   "wall_seconds": F, "cpu_seconds": F,
//!   "host": {"page0": "execute-only" | "readable" | "unmapped", "trampoline": B,
//!            "pku": "yes" | "no" | "forced_off", "fsgsbase": "yes" | "no" | "forced_off",
//!            "trap": "sud" | "seccomp" | null,
//!            "host_mounts": "yes" | "no" | "forced_off",
//!            "tmpfs_dir": "/dev/shm", "tmpfs_in_memory": B},
//!   "net": "host" | "none",
//!   "profile": {"strict": B, "isolate": B} }
//! ```

use super::diag::Incompatibility;
use super::machine::Machine;
use super::process::ExitStatus;
use super::signal::signal_name;
use super::timeline::json_string;
use std::time::Duration;

/// `nommu_incompatibilities`: what a no-MMU kernel would refuse, one
/// object per distinct (program, call, answer), with the first pid.
fn incompatibilities(items: &[Incompatibility]) -> String {
    let objects: Vec<String> = items
        .iter()
        .map(|i| {
            format!(
                "{{\"pid\": {}, \"program\": {}, \"call\": {}, \"strict\": {}, \"count\": {}}}",
                i.pid,
                json_string(&i.program),
                json_string(&i.call),
                json_string(&i.strict),
                i.count
            )
        })
        .collect();
    if objects.is_empty() {
        "[]".to_string()
    } else {
        format!("[\n    {}\n  ]", objects.join(",\n    "))
    }
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| json_string(s)).collect::<Vec<_>>().join(", "))
}

pub fn json(m: &Machine, status: Option<ExitStatus>, wall: Duration) -> String {
    let status = match status {
        Some(ExitStatus::Exited(c)) => format!("{{\"exited\": {c}}}"),
        Some(ExitStatus::Signaled(s)) => format!("{{\"signaled\": {}}}", json_string(&signal_name(s))),
        None => "{\"failed_to_start\": true}".to_string(),
    };
    let calls = m
        .tracer()
        .map(|t| t.counts())
        .unwrap_or_default()
        .into_iter()
        .map(|(name, c, e)| format!("{}: {{\"calls\": {c}, \"errors\": {e}}}", json_string(&name)))
        .collect::<Vec<_>>()
        .join(", ");
    let st = m.mem.stats();
    let r = m.diag.exec_stats();
    let cpu = crate::arch::host::process_cpu_seconds();
    format!(
        "{{\n  \"status\": {status},\n  \"syscalls\": {{{calls}}},\n  \"enosys\": {},\n  \"nommu_incompatibilities\": {},\n  \
         \"memory\": {{\"mem_bytes\": {}, \"used_bytes\": {}, \"peak_used_bytes\": {}, \
         \"arena_bytes\": {}, \"reserved_bytes\": {}, \"peak_reserved_bytes\": {}, \
         \"largest_free_block_bytes\": {}, \"free_blocks\": {}}},\n  \
         \"execs\": {}, \"syscall_sites_rewritten\": {}, \"rewrite_seconds\": {:.6},\n  \
         \"wall_seconds\": {:.6}, \"cpu_seconds\": {cpu:.6},\n  \"host\": {},\n  \"net\": {},\n  \"profile\": {}\n}}\n",
        list(&m.diag.enosys().into_iter().map(super::trace::display_name).collect::<Vec<_>>()),
        incompatibilities(&m.diag.incompatibilities()),
        st.mem_total,
        st.committed,
        st.peak_committed,
        st.space_total,
        st.reserved,
        st.peak_reserved,
        st.largest_free,
        st.free_blocks,
        m.diag.execs(),
        r.sites,
        r.elapsed.as_secs_f64(),
        wall.as_secs_f64(),
        m.caps.json(),
        json_string(m.net.mode().name()),
        m.profile().json(),
    )
}
