//! `--isolate` in the kernel: whose memory a stray access hit (issue 19).
//!
//! Keys and PKRU are `arch::x86_64::pkeys`, the keys of pages
//! `mm::isolation`, and which process's memory carries which key
//! `regions::Mm`. A process's tasks run guest code with only its key and
//! key 0 granted: an access to another process's memory (or to free arena
//! memory) is a SIGSEGV with SEGV_PKUERR, which kills the process as any
//! guest fault does, after the line this module writes.

use super::machine::Machine;
use super::regions::RegionKind;
use super::task::Task;
use crate::abi::x86::X86_PF_WRITE;

/// What lies at `addr` for a stray access: "pid 3 (init)'s heap", "free
/// arena memory", "nobody's memory".
fn owner_of(m: &Machine, addr: u64, key: Option<u32>) -> String {
    if key.is_some() && key == crate::arch::pkeys::keys().map(|k| k.free) {
        return "free arena memory".to_string();
    }
    let mut owners = Vec::new();
    for p in m.live_processes() {
        let mm = p.mm();
        let regions = mm.regions();
        let Some(r) = regions.at(addr) else { continue };
        let kind = if r.kind == RegionKind::Data && (regions.start_brk..regions.brk).contains(&addr) {
            "heap"
        } else {
            r.kind.name()
        };
        owners.push(format!("pid {} ({})'s {kind}", p.pid, p.comm()));
    }
    match owners.len() {
        0 => "nobody's memory".to_string(),
        // A vfork parent and its child share one memory context.
        _ => owners.join(" and "),
    }
}

/// The crash line for a protection-key fault at `addr` in `task`'s guest
/// code (`err`: the page fault's error code): "pid 7 (sh) wrote into pid
/// 3 (init)'s heap at 0x...", in the kernel log and on nommu's stderr.
/// The key of the page hit (the guest's si_pkey; 0 if unknown).
pub(crate) fn report_stray(m: &Machine, task: &Task, addr: u64, err: u64) -> u32 {
    let verb = if err & X86_PF_WRITE != 0 { "wrote into" } else { "read from" };
    let key = m.mem.key_at(addr);
    let line = format!(
        "pid {} ({}) {verb} {} at {addr:#x} (protection key {})",
        task.process.pid,
        task.process.comm(),
        owner_of(m, addr, key),
        key.map_or_else(|| "?".to_string(), |k| k.to_string()),
    );
    if m.klog.printk(crate::kernel::klog::KERN_ERR, &line) {
        eprintln!("nommu: {line}");
    }
    key.unwrap_or(0)
}
