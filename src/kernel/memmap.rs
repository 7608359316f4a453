//! A picture of the one shared arena: every region coloured by its owning
//! process and kind, free space, fragmentation (`--memmap FILE.svg`).

use super::machine::Machine;
use super::regions::RegionKind;
use std::fmt::Write as _;

/// One owned region at the moment of the snapshot.
#[derive(Clone, Debug)]
pub struct Owned {
    pub start: u64,
    pub len: u64,
    pub kind: RegionKind,
    pub pids: Vec<i32>,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub base: u64,
    pub size: u64,
    pub used: u64,
    pub regions: Vec<Owned>,
    pub free: Vec<(u64, u64)>,
    pub processes: Vec<(i32, String)>,
}

/// The arena as it is now. Regions shared by a vfork parent and child are
/// listed once, with both pids.
pub fn snapshot(m: &Machine) -> Snapshot {
    let mut regions: Vec<Owned> = Vec::new();
    let mut processes = Vec::new();
    for p in m.live_processes() {
        processes.push((p.pid, p.comm()));
        let mm = p.mm();
        for r in mm.regions().iter() {
            match regions.iter_mut().find(|o| o.start == r.start && o.len == r.len) {
                Some(o) => o.pids.push(p.pid),
                None => regions.push(Owned { start: r.start, len: r.len, kind: r.kind, pids: vec![p.pid] }),
            }
        }
    }
    let st = m.mem.stats();
    Snapshot {
        base: m.mem.arena.base(),
        size: m.mem.arena.size(),
        used: st.reserved,
        regions,
        free: m.mem.free_runs(),
        processes,
    }
}

/// Keeps the snapshot with the most arena in use (called after execs).
pub fn maybe_record(m: &Machine) {
    if m.diag.memmap_enabled() {
        m.diag.offer_memmap(snapshot(m));
    }
}

fn colour(pid: i32, kind: RegionKind) -> String {
    let hue = (pid as u32 * 137) % 360;
    let light = match kind {
        RegionKind::Text => 35,
        RegionKind::Data => 50,
        RegionKind::Stack => 65,
        RegionKind::Mmap => 78,
    };
    format!("hsl({hue},65%,{light}%)")
}

/// The SVG: one bar per MiB row, so small regions stay visible.
pub fn svg(s: &Snapshot) -> String {
    const WIDTH: f64 = 1024.0;
    const ROW: f64 = 14.0;
    const ROW_BYTES: u64 = 1 << 20;
    // Only the part of the arena that was ever touched, plus a little.
    let top = s.regions.iter().map(|r| r.start + r.len).max().unwrap_or(s.base).max(s.base + ROW_BYTES);
    let rows = (top - s.base).div_ceil(ROW_BYTES);
    let legend_h = 20.0 * (s.processes.len() as f64 + 4.0);
    let height = 60.0 + rows as f64 * ROW + legend_h;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="monospace" font-size="12">"#,
        WIDTH + 120.0
    );
    let free: u64 = s.free.iter().map(|f| f.1).sum();
    let largest = s.free.iter().map(|f| f.1).max().unwrap_or(0);
    let frag = if free == 0 { 0.0 } else { 100.0 * (1.0 - largest as f64 / free as f64) };
    let _ = writeln!(
        out,
        r#"<text x="4" y="16">nommu arena {:#x}: {} MiB, {:.1} MiB used, largest free block {:.1} MiB ({} free blocks, fragmentation {frag:.1}%)</text>"#,
        s.base,
        s.size >> 20,
        s.used as f64 / (1 << 20) as f64,
        largest as f64 / (1 << 20) as f64,
        s.free.len()
    );
    let _ = writeln!(
        out,
        r#"<text x="4" y="34">one row per MiB; every process's regions live in this one address space</text>"#
    );
    let x_of = |addr: u64| (addr - s.base) % ROW_BYTES;
    let rect = |out: &mut String, start: u64, len: u64, fill: &str, title: &str| {
        let mut at = start;
        let end = (start + len).min(s.base + rows * ROW_BYTES);
        while at < end {
            let row = (at - s.base) / ROW_BYTES;
            let row_end = s.base + (row + 1) * ROW_BYTES;
            let piece = end.min(row_end) - at;
            let x = 100.0 + x_of(at) as f64 * WIDTH / ROW_BYTES as f64;
            let w = (piece as f64 * WIDTH / ROW_BYTES as f64).max(0.5);
            let y = 48.0 + row as f64 * ROW;
            let _ = writeln!(
                out,
                r#"<rect x="{x:.2}" y="{y}" width="{w:.2}" height="{}" fill="{fill}"><title>{title}</title></rect>"#,
                ROW - 2.0
            );
            at += piece;
        }
    };
    for row in 0..rows {
        let _ = writeln!(out, r#"<text x="4" y="{}">+{:4} MiB</text>"#, 58.0 + row as f64 * ROW, row);
    }
    for &(start, len) in &s.free {
        rect(&mut out, start, len, "#e8e8e8", &format!("free {start:#x} +{} KiB", len >> 10));
    }
    for r in &s.regions {
        let pids: Vec<String> = r.pids.iter().map(|p| p.to_string()).collect();
        let title = format!("pid {} {} {:#x} +{} KiB", pids.join(","), r.kind.name(), r.start, r.len >> 10);
        rect(&mut out, r.start, r.len, &colour(r.pids[0], r.kind), &title);
    }
    let mut y = 60.0 + rows as f64 * ROW;
    let _ = writeln!(out, r#"<text x="4" y="{y}">darker to lighter: text, data, stack, mmap; grey: free</text>"#);
    for (pid, comm) in &s.processes {
        y += 20.0;
        let _ = writeln!(
            out,
            r#"<rect x="4" y="{}" width="30" height="14" fill="{}"/>"#,
            y - 11.0,
            colour(*pid, RegionKind::Text)
        );
        let _ = writeln!(out, r#"<text x="40" y="{y}">pid {pid} ({})</text>"#, xml_escape(comm));
    }
    out.push_str("</svg>\n");
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
