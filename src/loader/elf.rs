//! ELF loading: PIE anywhere in the arena, `ET_EXEC` at its link address
//! when that is free. A dynamically linked program's interpreter
//! (PT_INTERP) is named in the image; exec loads it next. Only the ELF and program headers
//! are read, and checked as Linux's `binfmt_elf` checks them; a file that
//! fails is refused with one line saying why (tests/hostile_elf.rs).

use crate::abi::consts::{PATH_MAX, TASK_SIZE};
use crate::abi::elf::{
    EI_CLASS, EI_DATA, ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, ELFMAG,
    EM_X86_64, ET_DYN, ET_EXEC, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD,
};
use crate::errno::Errno;
use crate::mm::{page_down, page_up, Memory, PAGE_SIZE};
use crate::rewrite::{rewrite_region, RewriteStats};
use goblin::elf::{header, program_header as ph};

/// Why a program could not be loaded; `Display` is the one-line reason.
#[derive(Debug)]
pub struct LoadError {
    pub errno: Errno,
    pub reason: String,
    /// The image must sit at this link address range outside the arena,
    /// where another program's copy is in use now (`mm::fixed`).
    pub fixed_busy: Option<(u64, u64)>,
}

impl LoadError {
    fn new(errno: Errno, reason: impl Into<String>) -> LoadError {
        LoadError { errno, reason: reason.into(), fixed_busy: None }
    }
}

impl ExecImage {
    /// Gives the image's memory back (its copy, for a fixed image).
    pub fn release(&self, mem: &Memory) {
        match self.fixed {
            Some(id) => mem.fixed_release(id),
            None => mem.free(self.alloc_start, self.alloc_len),
        }
    }
}

/// Who an image at its link address is loaded for: the task that will
/// run on the range, and "pid N (program)" for messages.
pub struct FixedOwner<'a> {
    pub tid: i32,
    pub label: &'a str,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    Text,
    Data,
}

/// One loaded PT_LOAD span, page-aligned, as it sits in guest memory.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    pub start: u64,
    pub len: u64,
    pub kind: SegmentKind,
    /// PF_W: the program may write it (relocations, data, bss).
    pub writable: bool,
}

#[derive(Clone, Debug)]
pub struct ExecImage {
    /// The whole allocation holding the image (what is freed at the end).
    pub alloc_start: u64,
    pub alloc_len: u64,
    /// The image lives outside the arena at its link address: its copy
    /// there (`mm::fixed`).
    pub fixed: Option<u64>,
    pub segments: Vec<Segment>,
    pub load_bias: u64,
    pub entry: u64,
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    /// First byte after the highest segment: where brk starts.
    pub brk: u64,
    /// PT_GNU_STACK's size if the linker set one.
    pub stack_size: Option<u64>,
    pub rewrite: RewriteStats,
    /// The alignment the image was placed with.
    pub align: u64,
    /// PT_INTERP: the dynamic linker this program needs, if any.
    pub interp: Option<Vec<u8>>,
}

/// Largest image span we accept (a sanity bound against corrupt headers).
const MAX_SPAN: u64 = 1 << 32;
/// Largest stack a program may ask for with PT_GNU_STACK.
const MAX_STACK: u64 = 1 << 32;
/// Linux reads at most one page of program headers (`load_elf_phdrs`).
const MAX_PHDRS: usize = PAGE_SIZE as usize / ELF64_PHDR_SIZE;

fn noexec(reason: impl Into<String>) -> LoadError {
    LoadError::new(Errno::ENOEXEC, reason)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

/// The ELF header fields loading uses.
struct Header {
    e_type: u16,
    e_entry: u64,
    e_phoff: u64,
    e_phnum: u16,
}

/// Checks the ELF header the way Linux's `binfmt_elf` does and reads the
/// program header table. Like Linux, only these headers count: section
/// headers, symbols and the dynamic section are never looked at, so a
/// stripped, `sstrip`ped or otherwise odd but loadable file still runs.
fn parse_headers(bytes: &[u8]) -> Result<(Header, Vec<ph::ProgramHeader>), LoadError> {
    if !bytes.starts_with(ELFMAG) {
        return Err(noexec("not an ELF file"));
    }
    match bytes.get(EI_CLASS) {
        Some(&ELFCLASS64) => {}
        Some(&ELFCLASS32) => return Err(noexec("a 32-bit ELF program; only x86-64 programs run")),
        Some(&c) if bytes.len() >= ELF64_EHDR_SIZE => {
            return Err(noexec(format!("corrupt ELF: unknown ELF class {c}")))
        }
        _ => {}
    }
    if bytes.len() < ELF64_EHDR_SIZE {
        let n = bytes.len();
        return Err(noexec(format!("corrupt ELF: the ELF header is cut short ({n} of {ELF64_EHDR_SIZE} bytes)")));
    }
    let data = bytes[EI_DATA];
    let e_machine = match data {
        ELFDATA2MSB => u16::from_be_bytes([bytes[18], bytes[19]]),
        _ => u16_at(bytes, 18),
    };
    if e_machine != EM_X86_64 {
        let name = match header::machine_to_str(e_machine) {
            "EM_UNKNOWN" => e_machine.to_string(),
            name => name.to_string(),
        };
        return Err(noexec(format!("not an x86-64 program (machine {name})")));
    }
    match data {
        ELFDATA2LSB => {}
        ELFDATA2MSB => return Err(noexec("big-endian ELF")),
        d => return Err(noexec(format!("corrupt ELF: unknown data encoding {d}"))),
    }
    let e_type = u16_at(bytes, 16);
    if e_type != ET_DYN && e_type != ET_EXEC {
        let name = match header::et_to_str(e_type) {
            "UNKNOWN_ET" => e_type.to_string(),
            name => name.to_string(),
        };
        return Err(noexec(format!("not an executable (ELF type {name})")));
    }
    let eh = Header { e_type, e_entry: u64_at(bytes, 24), e_phoff: u64_at(bytes, 32), e_phnum: u16_at(bytes, 56) };
    let phentsize = u16_at(bytes, 54);
    if phentsize as usize != ELF64_PHDR_SIZE {
        return Err(noexec(format!("corrupt ELF: program header size {phentsize}, not {ELF64_PHDR_SIZE}")));
    }
    let phnum = eh.e_phnum as usize;
    if phnum == 0 || phnum > MAX_PHDRS {
        return Err(noexec(format!("corrupt ELF: {phnum} program headers (1 to {MAX_PHDRS} allowed)")));
    }
    let table = (phnum * ELF64_PHDR_SIZE) as u64;
    let start = match eh.e_phoff.checked_add(table) {
        Some(end) if end <= bytes.len() as u64 => eh.e_phoff as usize,
        _ => {
            let off = eh.e_phoff;
            return Err(noexec(format!("corrupt ELF: program headers at {off:#x}+{table:#x} are outside the file")));
        }
    };
    let phdrs = (0..phnum)
        .map(|i| {
            let at = start + i * ELF64_PHDR_SIZE;
            ph::ProgramHeader {
                p_type: u32_at(bytes, at),
                p_flags: u32_at(bytes, at + 4),
                p_offset: u64_at(bytes, at + 8),
                p_vaddr: u64_at(bytes, at + 16),
                p_paddr: u64_at(bytes, at + 24),
                p_filesz: u64_at(bytes, at + 32),
                p_memsz: u64_at(bytes, at + 40),
                p_align: u64_at(bytes, at + 48),
            }
        })
        .collect();
    Ok((eh, phdrs))
}

/// The PT_INTERP path if it is one Linux would read (2 to PATH_MAX bytes
/// inside the file, NUL-terminated).
fn interpreter(bytes: &[u8], p: &ph::ProgramHeader) -> Option<Vec<u8>> {
    if p.p_filesz < 2 || p.p_filesz > PATH_MAX as u64 {
        return None;
    }
    let end = p.p_offset.checked_add(p.p_filesz)?;
    let raw = bytes.get(usize::try_from(p.p_offset).ok()?..usize::try_from(end).ok()?)?;
    let (&last, path) = raw.split_last()?;
    if last != 0 {
        return None;
    }
    let path = &path[..path.iter().position(|&b| b == 0).unwrap_or(path.len())];
    (!path.is_empty()).then(|| path.to_vec())
}

pub fn load_elf(mem: &Memory, bytes: &[u8]) -> Result<ExecImage, LoadError> {
    load_elf_for(mem, bytes, &FixedOwner { tid: 0, label: "" })
}

/// Where a loaded image's text may come from already rewritten: the code
/// cache, by the program file's identity and each text segment's place in
/// it. Only for images at their link address (`ET_EXEC`), which the image
/// cache does not keep: without it every exec of such a program (Debian's
/// python3, 6.8 MB) sweeps all its text again (~25 ms).
pub(crate) struct TextCache<'a> {
    pub code: &'a super::codecache::CodeCache,
    pub file: super::cache::FileId,
}

/// `load_elf` for a task: a non-PIE image outside the arena becomes a
/// copy `owner.tid` runs on.
pub fn load_elf_for(mem: &Memory, bytes: &[u8], owner: &FixedOwner<'_>) -> Result<ExecImage, LoadError> {
    load_elf_cached(mem, bytes, owner, None)
}

/// `load_elf_for`, with the text of a non-PIE image from `text` when it
/// has it, and given to it when it had to be rewritten.
pub(crate) fn load_elf_cached(
    mem: &Memory,
    bytes: &[u8],
    owner: &FixedOwner<'_>,
    text: Option<&TextCache<'_>>,
) -> Result<ExecImage, LoadError> {
    let (eh, phdrs) = parse_headers(bytes)?;
    let is_pie = eh.e_type == ET_DYN;
    let interp = match phdrs.iter().find(|p| p.p_type == PT_INTERP) {
        Some(p) => Some(interpreter(bytes, p).ok_or_else(|| noexec("corrupt ELF: bad interpreter path (PT_INTERP)"))?),
        None => None,
    };
    let loads: Vec<&ph::ProgramHeader> = phdrs.iter().filter(|p| p.p_type == PT_LOAD).collect();
    if loads.is_empty() {
        return Err(noexec("no loadable segments"));
    }
    // Linux's checks of each PT_LOAD (EINVAL, as its mmap of the segment
    // would fail), plus the file must hold what is copied from it.
    let mut lo = u64::MAX;
    let mut hi = 0u64;
    let mut align = PAGE_SIZE;
    for p in &loads {
        let (off, filesz, vaddr, memsz) = (p.p_offset, p.p_filesz, p.p_vaddr, p.p_memsz);
        if off.checked_add(filesz).is_none_or(|e| e > bytes.len() as u64) {
            return Err(noexec(format!("corrupt ELF: segment outside the file (offset {off:#x}, size {filesz:#x})")));
        }
        if filesz > memsz {
            let why = format!("corrupt ELF: segment file size {filesz:#x} exceeds its memory size {memsz:#x}");
            return Err(LoadError::new(Errno::EINVAL, why));
        }
        let Some(end) = vaddr.checked_add(memsz).filter(|&e| e <= TASK_SIZE) else {
            let why = format!("corrupt ELF: segment {vaddr:#x}+{memsz:#x} reaches past the end of user space");
            return Err(LoadError::new(Errno::EINVAL, why));
        };
        if filesz > 0 && vaddr % PAGE_SIZE != off % PAGE_SIZE {
            let why = format!("corrupt ELF: misaligned segment (address {vaddr:#x}, file offset {off:#x})");
            return Err(LoadError::new(Errno::EINVAL, why));
        }
        lo = lo.min(page_down(vaddr));
        hi = hi.max(page_up(end));
        if p.p_align.is_power_of_two() {
            align = align.max(p.p_align.min(1 << 21));
        }
    }
    let span = hi - lo;
    if span == 0 {
        return Err(LoadError::new(Errno::EINVAL, "corrupt ELF: the loadable segments are all empty"));
    }
    if span > MAX_SPAN {
        let why = format!("image too large: its segments span {} MiB (at most {} MiB)", span >> 20, MAX_SPAN >> 20);
        return Err(LoadError::new(Errno::ENOMEM, why));
    }
    // Where the entry point and the program headers sit in the image.
    // AT_PHDR is computed as Linux does (since 5.18): from the (last)
    // PT_LOAD holding e_phoff, whatever PT_PHDR says.
    let entry_off = eh.e_entry.wrapping_sub(lo);
    if entry_off >= span {
        return Err(noexec(format!("corrupt ELF: entry point {:#x} outside the image {lo:#x}..{hi:#x}", eh.e_entry)));
    }
    let phdr_vaddr = loads
        .iter()
        .rev()
        .find(|p| eh.e_phoff >= p.p_offset && eh.e_phoff < p.p_offset + p.p_filesz)
        .map_or(0, |p| p.p_vaddr + (eh.e_phoff - p.p_offset));
    let stack_size = phdrs.iter().find(|p| p.p_type == PT_GNU_STACK).map(|p| p.p_memsz).filter(|&s| s > 0);
    if let Some(s) = stack_size.filter(|&s| s > MAX_STACK) {
        let why = format!("the program asks for a {} MiB stack (at most {} MiB)", s >> 20, MAX_STACK >> 20);
        return Err(LoadError::new(Errno::ENOMEM, why));
    }

    let (alloc_start, fixed) = if is_pie {
        let base = mem
            .alloc(span, align)
            .map_err(|e| LoadError::new(e, format!("out of arena memory for a {} KiB image", span / 1024)))?;
        (base, None)
    } else if mem.arena.contains(lo, span) {
        mem.alloc_at(lo, span).map_err(|e| {
            LoadError::new(e, format!("link address {lo:#x}..{hi:#x} is already in use (not position-independent)"))
        })?;
        (lo, None)
    } else {
        let id = mem.fixed_claim(lo, span, owner.tid, owner.label).map_err(|e| {
            let mut err = LoadError::new(
                Errno::ENOMEM,
                format!("cannot map at link address {lo:#x}..{hi:#x}: {e} (not position-independent)"),
            );
            if e == Errno::EBUSY {
                err.fixed_busy = Some((lo, span));
            }
            err
        })?;
        (lo, Some(id))
    };
    // Every segment lies in [lo, hi), so `alloc_start + (vaddr - lo)` stays
    // inside the allocation; the bias itself may wrap (a link address
    // above the arena), which only the AT_PHDR arithmetic sees.
    let bias = alloc_start.wrapping_sub(lo);

    let mut image = ExecImage {
        alloc_start,
        alloc_len: span,
        fixed,
        segments: Vec::new(),
        load_bias: bias,
        entry: alloc_start + entry_off,
        phdr: phdr_vaddr.wrapping_add(bias),
        phent: ELF64_PHDR_SIZE as u64,
        phnum: eh.e_phnum as u64,
        brk: alloc_start + span,
        stack_size,
        rewrite: RewriteStats::default(),
        align,
        interp,
    };
    let release = |image: &ExecImage| image.release(mem);

    for p in &loads {
        let dst = alloc_start + (p.p_vaddr - lo);
        let src = &bytes[p.p_offset as usize..(p.p_offset + p.p_filesz) as usize];
        let kind = if p.p_flags & PF_X != 0 { SegmentKind::Text } else { SegmentKind::Data };
        // A non-PIE image's text, rewritten before (in memory or on disk).
        // Kept in whole pages (as the cache keeps every entry): past the
        // segment's bytes, the zeros of the fresh image.
        let cached_text = text.filter(|_| kind == SegmentKind::Text && !is_pie && p.p_filesz > 0).map(|t| {
            let key = super::codecache::CodeKey { file: t.file, offset: p.p_offset, len: page_up(p.p_filesz) };
            (t, key, t.code.get(&key))
        });
        let placed = match &cached_text {
            Some((_, _, Some(hit))) => hit.place(mem, dst).is_ok().then(|| hit.sites.len() as u64),
            _ => None,
        };
        if placed.is_none() {
            if let Err(e) = mem.user.write(dst, src) {
                release(&image);
                return Err(LoadError::new(e, "cannot copy segment into guest memory"));
            }
        }
        let start = page_down(dst);
        let writable = p.p_flags & PF_W != 0;
        image.segments.push(Segment { start, len: page_up(dst + p.p_memsz) - start, kind, writable });
        if let Some(sites) = placed {
            image.rewrite.sites += sites;
        } else if kind == SegmentKind::Text {
            match rewrite_region(&mem.user, &mem.sites, mem.site_policy(), dst, p.p_filesz) {
                Ok(stats) => image.rewrite.add(&stats),
                Err(e) => {
                    release(&image);
                    return Err(LoadError::new(e, "cannot rewrite syscall sites"));
                }
            }
            if let Some((t, key, None)) = cached_text {
                t.code.insert(mem, key, dst, key.len);
            }
        }
    }
    Ok(image)
}
