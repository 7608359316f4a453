//! /proc/<pid>/maps and /proc/<pid>/smaps: a process's share of the one
//! arena, as Linux lists a process's mappings.

use super::regions::RegionKind;
use super::{Machine, Process};
use std::fmt::Write as _;
use std::sync::Arc;

/// One line of `maps`: start, end, permissions and what is mapped.
struct Mapping {
    start: u64,
    end: u64,
    perm: &'static str,
    label: String,
}

fn mappings(m: &Machine, p: &Arc<Process>) -> Vec<Mapping> {
    let exe = String::from_utf8_lossy(&p.image().exe).into_owned();
    let mm = p.mm();
    let regions = mm.regions();
    let mut lines: Vec<Mapping> = Vec::new();
    let mut push = |start, end, perm, label: &str| lines.push(Mapping { start, end, perm, label: label.to_string() });
    for r in regions.iter() {
        let (perm, label) = match r.kind {
            RegionKind::Text => ("r-xp", exe.as_str()),
            RegionKind::Data => ("rw-p", exe.as_str()),
            RegionKind::Stack => ("rw-p", "[stack]"),
            RegionKind::Mmap => ("rw-p", ""),
        };
        // Inaccessible (PROT_NONE) parts are mappings of their own.
        let mut at = r.start;
        for (start, len) in m.mem.runs_as_mapped(r.start, r.len) {
            if start > at {
                push(at, start, "---p", "");
            }
            push(start, start + len, perm, label);
            at = start + len;
        }
        if at < r.start + r.len {
            push(at, r.start + r.len, "---p", "");
        }
    }
    let shm: Vec<(u64, u64)> = regions.shm.iter().map(|(&at, a)| (at, a.len)).collect();
    drop(regions);
    // SysV shared memory, shown as Linux shows it.
    for (at, len) in shm {
        lines.push(Mapping { start: at, end: at + len, perm: "rw-s", label: m.ipc.shm_map_label(at) });
    }
    lines.sort_by_key(|l| l.start);
    lines
}

fn header(s: &mut String, l: &Mapping) {
    let _ = writeln!(s, "{:08x}-{:08x} {} 00000000 00:00 0 {:>20}{}", l.start, l.end, l.perm, "", l.label);
}

pub(crate) fn maps(m: &Machine, p: &Arc<Process>) -> String {
    let mut s = String::new();
    for l in mappings(m, p) {
        header(&mut s, &l);
    }
    s
}

/// `maps` with each mapping's sizes (busybox `pmap`, `top`'s memory
/// view). Without an MMU, what is accessible is committed memory: all of
/// it resident and private, none swapped.
pub(crate) fn smaps(m: &Machine, p: &Arc<Process>) -> String {
    let mut s = String::new();
    for l in mappings(m, p) {
        header(&mut s, &l);
        let size = (l.end - l.start) >> 10;
        let resident = if l.perm == "---p" { 0 } else { size };
        // Text is the image's, never written: clean. The rest is the
        // process's own memory (or SysV shared memory), written to.
        let text = l.perm == "r-xp";
        let shared = if l.perm.ends_with('s') { resident } else { 0 };
        let private = if text || shared > 0 { 0 } else { resident };
        let clean = if text { resident } else { 0 };
        for (key, kb) in [
            ("Size", size),
            ("KernelPageSize", 4),
            ("MMUPageSize", 4),
            ("Rss", resident),
            ("Pss", resident),
            ("Shared_Clean", 0),
            ("Shared_Dirty", shared),
            ("Private_Clean", clean),
            ("Private_Dirty", private),
            ("Referenced", resident),
            ("Anonymous", private),
            ("Swap", 0),
            ("SwapPss", 0),
            ("Locked", 0),
        ] {
            let _ = writeln!(s, "{:<16}{kb:>8} kB", format!("{key}:"));
        }
        let flags = match l.perm {
            "r-xp" => "rd ex mr mw me",
            "rw-p" => "rd wr mr mw me ac",
            "rw-s" => "rd wr sh mr mw me ms",
            _ => "mr mw me",
        };
        let _ = writeln!(s, "VmFlags: {flags} ");
    }
    s
}
