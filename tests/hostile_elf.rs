//! The ELF loader against hostile files: a deterministic, proptest-style
//! corpus of mutated real binaries (hello-musl, hello-glibc and nommu
//! itself, all static-pie, and hello as a classic ET_EXEC). Every mutant
//! goes through the library loader against a real arena, the way exec
//! does; the loader must never panic, never hang, never write outside the
//! image it allocated, give back what it took, and answer every refusal
//! with one clear line. A few mutants also go through `nommu run`.
//!
//! `NOMMU_FUZZ_ITERS=N` sets the number of random mutants (default 3000);
//! `NOMMU_FUZZ_SEED=S` picks another corpus; `NOMMU_FUZZ_VERBOSE=1` prints
//! each mutant before it is loaded (to find one that kills the process).
// Harness arithmetic is on sizes and counts the test itself chose, not on
// guest input: the crate's overflow lint is for the kernel.
#![allow(clippy::arithmetic_side_effects)]

mod common;
use common::*;
use nommu::loader::{load_elf, ExecImage};
use nommu::mm::Memory;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEFAULT_ITERS: usize = 3000;
const DEFAULT_SEED: u64 = 0x6e6f_6d6d_7546_757a; // "nommFuz"
/// The default `--mem`: mutants see the arena `nommu run` gives them.
const ARENA: u64 = 256 << 20;
/// Bytes at the start of the arena that no load may touch.
const CANARY_LEN: u64 = 64 << 10;
const CANARY: u8 = 0xa5;
/// A single load taking this long is a hang.
const HANG: Duration = Duration::from_secs(30);

// ---- a tiny deterministic PRNG (xorshift64*) ----

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

// ---- ELF64 layout ----

const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
const PT_LOAD: u64 = 1;

/// (name, offset, width) of every ELF header field, ident bytes included.
const EH_FIELDS: &[(&str, usize, usize)] = &[
    ("EI_MAG0", 0, 1),
    ("EI_MAG3", 3, 1),
    ("EI_CLASS", 4, 1),
    ("EI_DATA", 5, 1),
    ("EI_VERSION", 6, 1),
    ("EI_OSABI", 7, 1),
    ("EI_ABIVERSION", 8, 1),
    ("EI_PAD", 9, 1),
    ("e_type", 16, 2),
    ("e_machine", 18, 2),
    ("e_version", 20, 4),
    ("e_entry", 24, 8),
    ("e_phoff", 32, 8),
    ("e_shoff", 40, 8),
    ("e_flags", 48, 4),
    ("e_ehsize", 52, 2),
    ("e_phentsize", 54, 2),
    ("e_phnum", 56, 2),
    ("e_shentsize", 58, 2),
    ("e_shnum", 60, 2),
    ("e_shstrndx", 62, 2),
];

/// The fields worth most attention, picked more often.
const EH_HOT: &[usize] = &[2, 3, 8, 9, 11, 12, 16, 17];

const PH_FIELDS: &[(&str, usize, usize)] = &[
    ("p_type", 0, 4),
    ("p_flags", 4, 4),
    ("p_offset", 8, 8),
    ("p_vaddr", 16, 8),
    ("p_paddr", 24, 8),
    ("p_filesz", 32, 8),
    ("p_memsz", 40, 8),
    ("p_align", 48, 8),
];

const PT_TYPES: &[u64] =
    &[0, 1, 2, 3, 4, 5, 6, 7, 0x6474_e550, 0x6474_e551, 0x6474_e552, 0x6474_e553, 0x7000_0000, 0xffff_ffff];

fn get(b: &[u8], off: usize, width: usize) -> u64 {
    let mut v = [0u8; 8];
    if off + width <= b.len() {
        v[..width].copy_from_slice(&b[off..off + width]);
    }
    u64::from_le_bytes(v)
}

fn put(b: &mut [u8], off: usize, width: usize, v: u64) {
    if off + width <= b.len() {
        b[off..off + width].copy_from_slice(&v.to_le_bytes()[..width]);
    }
}

fn mask(width: usize) -> u64 {
    if width == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    }
}

/// One real binary and where its headers are.
struct Base {
    name: &'static str,
    bytes: Vec<u8>,
    phoff: usize,
    phnum: usize,
    /// Indices of the PT_LOAD headers.
    loads: Vec<usize>,
}

impl Base {
    fn new(name: &'static str, path: &Path) -> Base {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(&bytes[..4], b"\x7fELF", "{name} is not an ELF file");
        let phoff = get(&bytes, 32, 8) as usize;
        let phnum = get(&bytes, 56, 2) as usize;
        assert_eq!(get(&bytes, 54, 2) as usize, PHDR_SIZE);
        let loads = (0..phnum).filter(|&i| get(&bytes, phoff + i * PHDR_SIZE, 4) == PT_LOAD).collect();
        Base { name, bytes, phoff, phnum, loads }
    }

    fn ph(&self, i: usize, field: usize) -> u64 {
        let (_, off, width) = PH_FIELDS[field];
        get(&self.bytes, self.phoff + i * PHDR_SIZE + off, width)
    }
}

fn bases() -> Vec<Base> {
    vec![
        Base::new("hello-musl", &guest("hello-musl")),
        Base::new("hello-glibc", &guest("hello-glibc")),
        Base::new("nommu", Path::new(env!("CARGO_BIN_EXE_nommu"))),
        // ET_EXEC at 0x400000: mapped outside the arena at its link address.
        Base::new("hello-exec-musl", &guest("hello-exec-musl")),
        Base::new("hello-exec-glibc", &guest("hello-exec-glibc")),
    ]
}

/// One mutated binary and how it was made.
struct Mutant {
    base: usize,
    bytes: Vec<u8>,
    what: String,
}

/// A value for a field of `width` bytes currently holding `cur`: edge
/// values, sizes around the file's end and the arena's, the same field
/// of another header (overlaps), nearby values, random bits.
fn interesting(rng: &mut Rng, base: &Base, cur: u64, width: usize, ph_field: Option<usize>) -> u64 {
    let len = base.bytes.len() as u64;
    let v = match rng.below(12) {
        0 => *rng.pick(&[0, 1, 2, 7, 8, 0x38, 0x40, 0xfff, 0x1000, 0x1001, 0x20_0000, 0x20_0001]),
        1 => *rng.pick(&[
            u64::MAX,
            u64::MAX - 1,
            u64::MAX - 0x37,
            u64::MAX - 0xfff,
            u64::MAX - 0x1000,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1_0000_0000,
            0x1_0000_0001,
            1 << 40,
            1 << 47,
            (1 << 47) - 0x1000,
            1 << 63,
            (1 << 63) - 1,
        ]),
        2 => *rng.pick(&[len, len + 1, len - 1, len + 0x1000, len - PHDR_SIZE as u64, len / 2]),
        3 => *rng.pick(&[ARENA, ARENA - 0x1000, ARENA + 0x1000, ARENA / 2, 0x1000_0000_0000]),
        4 => cur.wrapping_add(1 + rng.below(16)),
        5 => cur.wrapping_sub(1 + rng.below(16)),
        6 => cur.wrapping_add(*rng.pick(&[0x1000, 0x10_0000, 0x1_0000_0000])),
        7 => cur ^ (1 << rng.below(8 * width as u64)),
        8 => match ph_field {
            // Overlaps: what another header says.
            Some(f) => base.ph(rng.below(base.phnum as u64) as usize, f),
            None => base.ph(*rng.pick(&base.loads), rng.below(PH_FIELDS.len() as u64) as usize),
        },
        9 => rng.below(0x10000),
        10 => rng.next(),
        _ => cur.wrapping_mul(2 + rng.below(3)),
    };
    v & mask(width)
}

fn mutate_field(rng: &mut Rng, base: &Base, b: &mut [u8], what: &mut Vec<String>) {
    if rng.below(3) == 0 {
        let i = if rng.below(2) == 0 { *rng.pick(EH_HOT) } else { rng.below(EH_FIELDS.len() as u64) as usize };
        let (name, off, width) = EH_FIELDS[i];
        let cur = get(b, off, width);
        let v =
            if name == "e_type" && rng.below(2) == 0 { rng.below(6) } else { interesting(rng, base, cur, width, None) };
        put(b, off, width, v);
        what.push(format!("{name}={v:#x}"));
    } else {
        let i = if rng.below(10) < 7 { *rng.pick(&base.loads) } else { rng.below(base.phnum as u64) as usize };
        let f = rng.below(PH_FIELDS.len() as u64) as usize;
        let (name, off, width) = PH_FIELDS[f];
        let at = base.phoff + i * PHDR_SIZE + off;
        let cur = get(b, at, width);
        let v = if name == "p_type" && rng.below(2) == 0 {
            *rng.pick(PT_TYPES)
        } else {
            interesting(rng, base, cur, width, Some(f))
        };
        put(b, at, width, v);
        what.push(format!("phdr[{i}].{name}={v:#x}"));
    }
}

fn random_mutant(rng: &mut Rng, bases: &[Base]) -> Mutant {
    // Mostly the small binaries: a successful load rewrites the whole text.
    let base = match rng.below(20) {
        0..=9 => 0,
        10..=13 => 1,
        14..=15 => 2,
        16..=18 => 3,
        _ => 4,
    }
    .min(bases.len() - 1);
    let src = &bases[base];
    let mut b = src.bytes.clone();
    let mut what = Vec::new();
    let headers_end = src.phoff + src.phnum * PHDR_SIZE;
    match rng.below(100) {
        0..=44 => mutate_field(rng, src, &mut b, &mut what),
        45..=59 => {
            for _ in 0..2 + rng.below(3) {
                mutate_field(rng, src, &mut b, &mut what);
            }
        }
        60..=71 => {
            // Random bytes in the ELF and program headers.
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(headers_end as u64) as usize;
                if rng.below(2) == 0 {
                    b[at] ^= 1 << rng.below(8);
                } else {
                    b[at] = rng.next() as u8;
                }
                what.push(format!("byte[{at:#x}]={:#04x}", b[at]));
            }
        }
        72..=75 => {
            // A loadable segment moved or grown, keeping its offset and
            // address congruent so the alignment checks let it through.
            let i = *rng.pick(&src.loads);
            let at = src.phoff + i * PHDR_SIZE;
            let (off, filesz) = (get(&b, at + 8, 8), get(&b, at + 32, 8));
            if rng.below(2) == 0 {
                let page = if rng.below(2) == 0 {
                    interesting(rng, src, get(&b, at + 16, 8), 8, Some(3))
                } else {
                    // The top of the address space, of user space, of the arena.
                    *rng.pick(&[u64::MAX, u64::MAX - 0x1000, 1 << 47, (1 << 47) - 0x1000, 1 << 63, ARENA, 0x40_0000])
                };
                let v = (page & !0xfff) | (off & 0xfff);
                put(&mut b, at + 16, 8, v);
                what.push(format!("phdr[{i}].p_vaddr={v:#x}"));
            }
            match rng.below(3) {
                0 => {
                    let m = filesz.max(interesting(rng, src, get(&b, at + 40, 8), 8, Some(6)));
                    put(&mut b, at + 40, 8, m);
                    what.push(format!("phdr[{i}].p_memsz={m:#x}"));
                }
                1 => {
                    // Small enough to fit below the top of the address space.
                    let (f, m) = (rng.below(0x800), 0x800 + rng.below(0x800));
                    put(&mut b, at + 32, 8, f);
                    put(&mut b, at + 40, 8, m);
                    what.push(format!("phdr[{i}].p_filesz={f:#x}, p_memsz={m:#x}"));
                }
                _ => {}
            }
            if rng.below(3) == 0 {
                put(&mut b, at + 48, 8, 0x1000);
                what.push(format!("phdr[{i}].p_align=0x1000"));
            }
        }
        76..=79 => {
            // One program header over another: overlapping or repeated segments.
            let (i, j) = (rng.below(src.phnum as u64) as usize, *rng.pick(&src.loads));
            let (pi, pj) = (src.phoff + i * PHDR_SIZE, src.phoff + j * PHDR_SIZE);
            if rng.below(2) == 0 {
                b.copy_within(pj..pj + PHDR_SIZE, pi);
                what.push(format!("phdr[{i}]=phdr[{j}]"));
            } else {
                let (a, c) = (b[pi..pi + PHDR_SIZE].to_vec(), b[pj..pj + PHDR_SIZE].to_vec());
                b[pi..pi + PHDR_SIZE].copy_from_slice(&c);
                b[pj..pj + PHDR_SIZE].copy_from_slice(&a);
                what.push(format!("swap phdr[{i}] phdr[{j}]"));
            }
            if rng.below(2) == 0 {
                mutate_field(rng, src, &mut b, &mut what);
            }
        }
        80..=89 => {
            // Cut somewhere (mostly early) and add a random tail.
            let cut = if rng.below(2) == 0 {
                rng.below(8192.min(b.len() as u64)) as usize
            } else {
                rng.below(b.len() as u64 + 1) as usize
            };
            let tail = rng.below(4097) as usize;
            b.truncate(cut);
            b.extend((0..tail).map(|_| rng.next() as u8));
            what.push(format!("cut at {cut:#x} + {tail} random bytes"));
        }
        90..=94 => {
            // Random bytes anywhere (code, data, section headers).
            for _ in 0..1 + rng.below(16) {
                let at = rng.below(b.len() as u64) as usize;
                b[at] = rng.next() as u8;
                what.push(format!("byte[{at:#x}]={:#04x}", b[at]));
            }
        }
        _ => {
            // A header field changed and the file cut right after the headers.
            mutate_field(rng, src, &mut b, &mut what);
            let cut = headers_end + rng.below(4096) as usize;
            b.truncate(cut);
            what.push(format!("cut at {cut:#x}"));
        }
    }
    Mutant { base, bytes: b, what: what.join(", ") }
}

/// Truncations at every header boundary and every segment's edges.
fn truncations(bases: &[Base]) -> Vec<Mutant> {
    let mut out = Vec::new();
    for (bi, base) in bases.iter().enumerate() {
        let mut cuts: Vec<usize> = vec![0, 1, 3, 4, 5, 6, 7, 16, 17, 18, 20, 24, 32, 40, 52, 56, 58, 63, EHDR_SIZE];
        for k in 0..=base.phnum {
            let at = base.phoff + k * PHDR_SIZE;
            cuts.extend([at - 1, at, at + 1, at + 8, at + 16, at + 40]);
        }
        for i in 0..base.phnum {
            let (off, filesz) = (base.ph(i, 2) as usize, base.ph(i, 5) as usize);
            cuts.extend([off, off + 1, (off + filesz).saturating_sub(1), off + filesz, off + filesz + 1]);
        }
        cuts.push(base.bytes.len() - 1);
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts.into_iter().filter(|&c| c < base.bytes.len()) {
            out.push(Mutant { base: bi, bytes: base.bytes[..cut].to_vec(), what: format!("truncated to {cut:#x}") });
        }
    }
    out
}

// ---- running the loader ----

/// A fresh arena with a canary at its start that every load must leave alone.
struct Arena {
    mem: Memory,
    canary: u64,
    baseline_used: u64,
}

impl Arena {
    fn new() -> Arena {
        let mem = Memory::new(ARENA).expect("arena");
        let canary = mem.alloc(CANARY_LEN, 4096).expect("canary");
        assert_eq!(canary, mem.arena.base(), "first-fit puts the canary first");
        mem.user.write(canary, &vec![CANARY; CANARY_LEN as usize]).unwrap();
        let baseline_used = mem.stats().reserved;
        Arena { mem, canary, baseline_used }
    }

    fn canary_intact(&self) -> bool {
        let mut buf = vec![0u8; CANARY_LEN as usize];
        self.mem.user.read(self.canary, &mut buf).is_ok() && buf.iter().all(|&b| b == CANARY)
    }
}

/// What one mutant did.
enum Outcome {
    /// Loaded; true when at a link address outside the arena.
    Loaded(bool),
    Refused(String),
    /// A broken rule: a panic, a bad message, a write outside the image...
    Bug(String),
}

/// What exec needs of a loaded image: it lies where it says, in memory it owns.
fn image_problem(img: &ExecImage, arena: &Arena) -> Option<String> {
    let start = img.alloc_start;
    let Some(end) = start.checked_add(img.alloc_len) else {
        return Some(format!("image {start:#x}+{:#x} wraps", img.alloc_len));
    };
    if img.alloc_len == 0 || !start.is_multiple_of(4096) {
        return Some(format!("image {start:#x}+{:#x} is empty or unaligned", img.alloc_len));
    }
    if img.fixed.is_none() && !arena.mem.arena.contains(start, img.alloc_len) {
        return Some(format!("image {start:#x}..{end:#x} is not in the arena"));
    }
    if !(start..end).contains(&img.entry) {
        return Some(format!("entry {:#x} outside the image {start:#x}..{end:#x}", img.entry));
    }
    if !(start..=end).contains(&img.brk) {
        return Some(format!("brk {:#x} outside the image {start:#x}..{end:#x}", img.brk));
    }
    if let Some(s) = img.stack_size.filter(|&s| s > 1 << 32) {
        return Some(format!("stack size {s:#x} is beyond what exec can allocate"));
    }
    for s in &img.segments {
        if s.start < start || s.start.checked_add(s.len).is_none_or(|e| e > end) {
            return Some(format!("segment {:#x}+{:#x} outside the image {start:#x}..{end:#x}", s.start, s.len));
        }
    }
    None
}

/// Loads one mutant the way exec does, then gives the image back.
fn try_load(arena: &mut Arena, bytes: &[u8]) -> Outcome {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load_elf(&arena.mem, bytes)));
    let outcome = match result {
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            *arena = Arena::new();
            return Outcome::Bug(format!("panicked: {msg} ({})", last_panic_location()));
        }
        Ok(Err(e)) => {
            let msg = e.to_string();
            if msg.trim().is_empty() {
                Outcome::Bug(format!("empty error message (errno {:?})", e.errno))
            } else if msg.chars().any(char::is_control) || msg.len() > 300 || msg.trim() != msg {
                Outcome::Bug(format!("not one clear line: {msg:?}"))
            } else if e.errno.0 <= 0 {
                Outcome::Bug(format!("no errno for {msg:?}"))
            } else {
                Outcome::Refused(msg)
            }
        }
        Ok(Ok(img)) => {
            let problem = image_problem(&img, arena);
            // An ET_EXEC at its link address drops its copy there (the
            // range stays nommu's, vacant, for the next one).
            img.release(&arena.mem);
            match problem {
                Some(p) => Outcome::Bug(p),
                None => Outcome::Loaded(img.fixed.is_some()),
            }
        }
    };
    if !arena.canary_intact() {
        *arena = Arena::new();
        return Outcome::Bug("wrote outside its image (the arena's canary changed)".into());
    }
    let used = arena.mem.stats().reserved;
    if used != arena.baseline_used {
        let leaked = used as i64 - arena.baseline_used as i64;
        *arena = Arena::new();
        return Outcome::Bug(format!("arena usage off by {leaked} bytes afterwards (a leak)"));
    }
    outcome
}

static PANIC_LOCATION: Mutex<String> = Mutex::new(String::new());

fn last_panic_location() -> String {
    PANIC_LOCATION.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Panics inside the loader are findings, not noise: remember where they
/// happened instead of printing each.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let loc = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        *PANIC_LOCATION.lock().unwrap_or_else(|e| e.into_inner()) = loc;
    }));
}

/// Aborts the whole test, naming the mutant, if one load never returns.
struct Watchdog {
    current: Arc<Mutex<(Instant, String)>>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    fn start() -> Watchdog {
        let current = Arc::new(Mutex::new((Instant::now(), String::new())));
        let done = Arc::new(AtomicBool::new(false));
        let (c, d) = (current.clone(), done.clone());
        let thread = std::thread::spawn(move || {
            while !d.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let (since, what) = c.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if since.elapsed() > HANG {
                    eprintln!("hostile_elf: the loader hangs on {what} (over {HANG:?})");
                    std::process::abort();
                }
            }
        });
        Watchdog { current, done, thread: Some(thread) }
    }

    fn enter(&self, what: String) {
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = (Instant::now(), what);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v:?} is not a number")))
}

/// The error kind without the numbers in it, for the summary.
fn kind(msg: &str) -> String {
    let mut out = String::new();
    for w in msg.split_whitespace() {
        let numeric = w.starts_with("0x") || w.trim_matches(|c: char| !c.is_alphanumeric()).parse::<u64>().is_ok();
        out.push_str(if numeric { "N" } else { w });
        out.push(' ');
    }
    out.trim_end().chars().take(70).collect()
}

#[test]
fn mutated_binaries_never_panic_and_always_explain() {
    let iters = env_u64("NOMMU_FUZZ_ITERS").map_or(DEFAULT_ITERS, |n| n as usize);
    let seed = env_u64("NOMMU_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let verbose = std::env::var_os("NOMMU_FUZZ_VERBOSE").is_some();
    let bases = bases();
    let started = Instant::now();
    let mut arena = Arena::new();
    quiet_panics();
    let watchdog = Watchdog::start();

    // The originals load, or the harness is broken.
    for b in &bases {
        assert!(matches!(try_load(&mut arena, &b.bytes), Outcome::Loaded(_)), "{} does not load", b.name);
    }

    let fixed = truncations(&bases);
    let nfixed = fixed.len();
    let mut rng = Rng::new(seed);
    let random = (0..iters).map(|_| random_mutant(&mut rng, &bases));
    let (mut loaded, mut outside, mut refused) = (0usize, 0usize, 0usize);
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    let mut bugs: Vec<String> = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for (n, m) in fixed.into_iter().chain(random).enumerate() {
        let label = format!("#{n} {}: {}", bases[m.base].name, m.what);
        if verbose {
            eprintln!("{label}");
        }
        watchdog.enter(label.clone());
        let t = Instant::now();
        let outcome = try_load(&mut arena, &m.bytes);
        let took = t.elapsed();
        if took > slowest.0 {
            slowest = (took, label.clone());
        }
        match outcome {
            Outcome::Loaded(out) => {
                loaded += 1;
                outside += out as usize;
            }
            Outcome::Refused(msg) => {
                refused += 1;
                *kinds.entry(kind(&msg)).or_default() += 1;
            }
            Outcome::Bug(why) => bugs.push(format!("{label}: {why}")),
        }
    }
    drop(watchdog);
    let _ = std::panic::take_hook();

    let total = nfixed + iters;
    eprintln!(
        "hostile_elf: {total} mutants ({nfixed} truncations, {iters} random, seed {seed:#x}): \
         {loaded} loaded ({outside} outside the arena), {refused} refused, {} bugs, in {:.1?} (slowest {:.1?}: {})",
        bugs.len(),
        started.elapsed(),
        slowest.0,
        slowest.1
    );
    let mut by_count: Vec<_> = kinds.into_iter().collect();
    by_count.sort_by_key(|k| std::cmp::Reverse(k.1));
    for (k, c) in by_count.iter().take(25) {
        eprintln!("  {c:6}  {k}");
    }
    assert!(
        bugs.is_empty(),
        "{} loader bugs:\n{}",
        bugs.len(),
        bugs.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(refused > total / 4 && loaded > total / 20, "the corpus is not exercising both paths");
    assert!(slowest.0 < Duration::from_secs(5), "a load took {:?}: {}", slowest.0, slowest.1);
}

// ---- regressions: the minimal cases the corpus found ----

fn hello() -> Base {
    Base::new("hello-musl", &guest("hello-musl"))
}

/// hello-musl with one field of program header `i` changed.
fn with_ph(base: &Base, i: usize, field: &str, v: u64) -> Vec<u8> {
    let &(_, off, width) = PH_FIELDS.iter().find(|f| f.0 == field).unwrap();
    let mut b = base.bytes.clone();
    put(&mut b, base.phoff + i * PHDR_SIZE + off, width, v);
    b
}

fn with_eh(base: &Base, field: &str, v: u64) -> Vec<u8> {
    let &(_, off, width) = EH_FIELDS.iter().find(|f| f.0 == field).unwrap();
    let mut b = base.bytes.clone();
    put(&mut b, off, width, v);
    b
}

fn index_of(base: &Base, p_type: u64) -> usize {
    (0..base.phnum).find(|&i| base.ph(i, 0) == p_type).unwrap()
}

/// Small data segment moved to the last page of the address space.
fn top_of_memory(base: &Base) -> Vec<u8> {
    let i = base.loads[2];
    let mut b = with_ph(base, i, "p_vaddr", !0xfff | (base.ph(i, 2) & 0xfff));
    put(&mut b, base.phoff + i * PHDR_SIZE + 32, 8, 0x100);
    put(&mut b, base.phoff + i * PHDR_SIZE + 40, 8, 0x100);
    b
}

/// The file cut right after its last loadable segment (what `sstrip`
/// leaves): no section headers at all.
fn stripped_to_segments(base: &Base) -> Vec<u8> {
    let end = base.loads.iter().map(|&i| base.ph(i, 2) + base.ph(i, 5)).max().unwrap();
    base.bytes[..end as usize].to_vec()
}

fn load_outcome(bytes: &[u8]) -> Outcome {
    let mut arena = Arena::new();
    try_load(&mut arena, bytes)
}

#[test]
fn regressions_in_process() {
    let b = hello();
    // A segment whose end wrapped around the address space was copied
    // below the image, over whatever the arena held there.
    match load_outcome(&top_of_memory(&b)) {
        Outcome::Refused(msg) => assert!(msg.contains("past the end of user space"), "{msg}"),
        Outcome::Loaded(_) => panic!("loaded a segment at the top of the address space"),
        Outcome::Bug(why) => panic!("{why}"),
    }
    // PT_GNU_STACK asking for 16 EiB overflowed exec's stack allocation.
    match load_outcome(&with_ph(&b, index_of(&b, 0x6474_e551), "p_memsz", u64::MAX)) {
        Outcome::Refused(msg) => assert!(msg.contains("stack"), "{msg}"),
        Outcome::Loaded(_) => panic!("accepted a 16 EiB stack"),
        Outcome::Bug(why) => panic!("{why}"),
    }
    // Linux never reads section headers: bad ones, or none, do not matter.
    for (what, bytes) in [
        ("e_shoff=0xdeadbeef", with_eh(&b, "e_shoff", 0xdead_beef)),
        ("e_shnum=0xffff", with_eh(&b, "e_shnum", 0xffff)),
        ("stripped to its segments", stripped_to_segments(&b)),
    ] {
        assert!(matches!(load_outcome(&bytes), Outcome::Loaded(_)), "{what}: refused");
    }
}

// ---- end to end: `nommu run` on mutants ----

fn write_exe(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// `nommu run` refuses the file the shell way: status 126 or 127, and one
/// line on stderr naming the file and saying why; no panic, no signal.
fn assert_refused(path: &Path, what: &str, reason: &str) {
    let out = run_nommu(path, &[], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert!(out.status.signal().is_none(), "{what}: nommu died of signal {:?}: {err}", out.status.signal());
    assert!(matches!(shell_status(&out), 126 | 127), "{what}: status {}: {err}", shell_status(&out));
    let prefix = format!("nommu: {}: ", path.display());
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines.len() == 1 && lines[0].starts_with(&prefix), "{what}: not one error line: {err}");
    assert!(lines[0].contains(reason), "{what}: {:?} does not say {reason:?}", lines[0]);
}

#[test]
fn refused_end_to_end() {
    let dir = TempDir::new("hostile-elf");
    let b = hello();
    let len = b.bytes.len() as u64;
    let (text, stack) = (b.loads[1], index_of(&b, 0x6474_e551));
    let mut no_loads = b.bytes.clone();
    for &i in &b.loads {
        put(&mut no_loads, b.phoff + i * PHDR_SIZE, 4, 0);
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("phentsize", with_eh(&b, "e_phentsize", 0x20), "program header size 32"),
        ("phnum-0", with_eh(&b, "e_phnum", 0), "0 program headers"),
        ("phnum-max", with_eh(&b, "e_phnum", 0xffff), "65535 program headers"),
        ("phoff-max", with_eh(&b, "e_phoff", u64::MAX), "outside the file"),
        ("cut-in-phdrs", b.bytes[..b.phoff + 3 * PHDR_SIZE + 10].to_vec(), "outside the file"),
        ("cut-in-ehdr", b.bytes[..40].to_vec(), "ELF header is cut short"),
        ("filesz-past-end", with_ph(&b, text, "p_filesz", len), "segment outside the file"),
        ("offset-wraps", with_ph(&b, text, "p_offset", u64::MAX - 0xfff), "segment outside the file"),
        ("filesz-over-memsz", with_ph(&b, text, "p_memsz", 1), "exceeds its memory size"),
        ("top-of-memory", top_of_memory(&b), "past the end of user space"),
        ("huge-span", with_ph(&b, b.loads[3], "p_memsz", 1 << 40), "image too large"),
        ("bigger-than-arena", with_ph(&b, b.loads[3], "p_memsz", 1 << 30), "out of arena memory"),
        ("huge-stack", with_ph(&b, stack, "p_memsz", u64::MAX), "stack"),
        ("entry-outside", with_eh(&b, "e_entry", 0x7fff_0000), "entry point"),
        ("no-loads", no_loads, "no loadable segments"),
        ("bad-interp", with_ph(&b, stack, "p_type", 3), "bad interpreter path"),
        ("relocatable", with_eh(&b, "e_type", 1), "not an executable (ELF type REL)"),
        ("big-endian", with_eh(&b, "EI_DATA", 2), "big-endian"),
        ("class-9", with_eh(&b, "EI_CLASS", 9), "unknown ELF class 9"),
        ("exec-at-0", with_eh(&b, "e_type", 2), "cannot map at link address 0x0.."),
    ];
    for (name, bytes, reason) in &cases {
        assert_refused(&write_exe(&dir, name, bytes), name, reason);
    }
}

/// Files Linux runs although they look damaged; nommu must run them too,
/// with the same output.
#[test]
fn odd_but_valid_files_run_like_on_linux() {
    let dir = TempDir::new("hostile-elf-ok");
    let b = hello();
    let mut rng = Rng::new(DEFAULT_SEED);
    let mut tail = b.bytes.clone();
    tail.extend((0..4096).map(|_| rng.next() as u8));
    let mut ident = with_eh(&b, "EI_OSABI", 0x61);
    put(&mut ident, 9, 7, 0x0001_0203_0405_0607);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("bad-shoff", with_eh(&b, "e_shoff", 0xdead_beef)),
        ("bad-shnum", with_eh(&b, "e_shnum", 0xffff)),
        ("bad-shstrndx", with_eh(&b, "e_shstrndx", 0xfff0)),
        ("sstripped", stripped_to_segments(&b)),
        ("random-tail", tail),
        ("ident-padding", ident),
        ("e_version-0", with_eh(&b, "e_version", 0)),
        ("e_flags", with_eh(&b, "e_flags", 0xffff_ffff)),
        ("p_paddr", with_ph(&b, b.loads[1], "p_paddr", 0xdead_beef_0000)),
        ("p_align-3", with_ph(&b, b.loads[3], "p_align", 3)),
        ("exec-bad-shoff", with_eh(&Base::new("hello-exec-musl", &guest("hello-exec-musl")), "e_shoff", u64::MAX)),
    ];
    for (name, bytes) in &cases {
        let path = write_exe(&dir, name, bytes);
        let out = assert_same(&path, &[], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked") && err.trim().is_empty(), "{name}: {err}");
    }
}

/// Random mutants the loader refuses, through the binary.
#[test]
fn random_refusals_end_to_end() {
    let dir = TempDir::new("hostile-elf-random");
    let bases = vec![hello()];
    let mut arena = Arena::new();
    let mut rng = Rng::new(DEFAULT_SEED ^ 0xe2e);
    let mut tried = 0;
    let mut ran = 0;
    while ran < 16 {
        tried += 1;
        assert!(tried < 1000, "the generator stopped producing refused mutants");
        let m = random_mutant(&mut rng, &bases);
        let Outcome::Refused(reason) = try_load(&mut arena, &m.bytes) else { continue };
        let path = write_exe(&dir, &format!("m{ran}"), &m.bytes);
        // The test arena holds a canary; nommu's has room for one more page
        // of image, then runs out for the stack instead.
        let reason = if reason.starts_with("out of arena memory") { "arena memory" } else { &reason };
        assert_refused(&path, &m.what, reason);
        ran += 1;
    }
}
