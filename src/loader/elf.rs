//! ELF loading (goblin): static-PIE anywhere in the arena, `ET_EXEC` at its
//! link address when that is free. Dynamically linked programs are refused
//! until the interpreter is supported.

use crate::errno::Errno;
use crate::mm::{page_down, page_up, Memory, PAGE_SIZE};
use crate::rewrite::{rewrite_region, RewriteStats};
use goblin::elf::{header, program_header as ph, Elf};

/// Why a program could not be loaded; `Display` is the one-line reason.
#[derive(Debug)]
pub struct LoadError {
    pub errno: Errno,
    pub reason: String,
}

impl LoadError {
    fn new(errno: Errno, reason: impl Into<String>) -> LoadError {
        LoadError { errno, reason: reason.into() }
    }
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
}

#[derive(Clone, Debug)]
pub struct ExecImage {
    /// The whole allocation holding the image (what is freed at the end).
    pub alloc_start: u64,
    pub alloc_len: u64,
    /// True when the image lives outside the arena at its link address.
    pub fixed_outside_arena: bool,
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
}

/// Largest image span we accept (a sanity bound against corrupt headers).
const MAX_SPAN: u64 = 1 << 32;

pub fn load_elf(mem: &Memory, bytes: &[u8]) -> Result<ExecImage, LoadError> {
    if bytes.len() < 4 || &bytes[..4] != b"\x7fELF" {
        return Err(LoadError::new(Errno::ENOEXEC, "not an ELF file"));
    }
    let elf = Elf::parse(bytes).map_err(|e| LoadError::new(Errno::ENOEXEC, format!("corrupt ELF: {e}")))?;
    if !elf.is_64 {
        return Err(LoadError::new(Errno::ENOEXEC, "a 32-bit ELF program; only x86-64 programs run"));
    }
    if elf.header.e_machine != header::EM_X86_64 {
        let machine = header::machine_to_str(elf.header.e_machine);
        return Err(LoadError::new(Errno::ENOEXEC, format!("not an x86-64 program (machine {machine})")));
    }
    if !elf.little_endian {
        return Err(LoadError::new(Errno::ENOEXEC, "big-endian ELF"));
    }
    let is_pie = match elf.header.e_type {
        header::ET_DYN => true,
        header::ET_EXEC => false,
        t => {
            return Err(LoadError::new(
                Errno::ENOEXEC,
                format!("not an executable (ELF type {})", header::et_to_str(t)),
            ))
        }
    };
    if let Some(interp) = elf.interpreter {
        return Err(LoadError::new(
            Errno::ENOEXEC,
            format!("dynamically linked (interpreter {interp}); only static and static-pie programs run so far"),
        ));
    }
    let loads: Vec<&ph::ProgramHeader> = elf.program_headers.iter().filter(|p| p.p_type == ph::PT_LOAD).collect();
    if loads.is_empty() {
        return Err(LoadError::new(Errno::ENOEXEC, "no loadable segments"));
    }
    let mut lo = u64::MAX;
    let mut hi = 0u64;
    let mut align = PAGE_SIZE;
    for p in &loads {
        let end_file = p.p_offset.checked_add(p.p_filesz);
        let end_mem = p.p_vaddr.checked_add(p.p_memsz);
        if end_file.is_none_or(|e| e > bytes.len() as u64) || end_mem.is_none() || p.p_filesz > p.p_memsz {
            return Err(LoadError::new(Errno::ENOEXEC, "corrupt ELF: segment outside the file"));
        }
        if p.p_align > 1 && (p.p_vaddr % p.p_align) != (p.p_offset % p.p_align) {
            return Err(LoadError::new(Errno::ENOEXEC, "corrupt ELF: misaligned segment"));
        }
        lo = lo.min(page_down(p.p_vaddr));
        hi = hi.max(page_up(end_mem.unwrap()));
        if p.p_align.is_power_of_two() {
            align = align.max(p.p_align.min(1 << 21));
        }
    }
    let span = hi - lo;
    if span == 0 || span > MAX_SPAN {
        return Err(LoadError::new(Errno::ENOEXEC, format!("corrupt ELF: image span {span:#x}")));
    }

    let (alloc_start, fixed_outside_arena) = if is_pie {
        let base = mem
            .alloc(span, align)
            .map_err(|e| LoadError::new(e, format!("out of arena memory for a {} KiB image", span / 1024)))?;
        (base, false)
    } else if mem.arena.contains(lo, span) {
        mem.alloc_at(lo, span).map_err(|e| {
            LoadError::new(e, format!("link address {lo:#x}..{hi:#x} is already in use (not position-independent)"))
        })?;
        (lo, false)
    } else {
        mem.map_outside(lo, span).map_err(|e| {
            LoadError::new(
                Errno::ENOMEM,
                format!("cannot map at link address {lo:#x}..{hi:#x}: {e} (not position-independent)"),
            )
        })?;
        (lo, true)
    };
    let bias = alloc_start - lo;

    let mut image = ExecImage {
        alloc_start,
        alloc_len: span,
        fixed_outside_arena,
        segments: Vec::new(),
        load_bias: bias,
        entry: elf.header.e_entry.wrapping_add(bias),
        phdr: 0,
        phent: elf.header.e_phentsize as u64,
        phnum: elf.header.e_phnum as u64,
        brk: hi + bias,
        stack_size: None,
        rewrite: RewriteStats::default(),
        align,
    };
    let release = |image: &ExecImage| {
        if !image.fixed_outside_arena {
            mem.free(image.alloc_start, image.alloc_len);
        }
    };

    for p in &loads {
        let dst = p.p_vaddr + bias;
        let src = &bytes[p.p_offset as usize..(p.p_offset + p.p_filesz) as usize];
        if let Err(e) = mem.user.write(dst, src) {
            release(&image);
            return Err(LoadError::new(e, "cannot copy segment into guest memory"));
        }
        let kind = if p.p_flags & ph::PF_X != 0 { SegmentKind::Text } else { SegmentKind::Data };
        let start = page_down(dst);
        image.segments.push(Segment { start, len: page_up(dst + p.p_memsz) - start, kind });
        if kind == SegmentKind::Text {
            match rewrite_region(&mem.user, &mem.sites, mem.site_policy(), dst, p.p_filesz) {
                Ok(stats) => image.rewrite.add(&stats),
                Err(e) => {
                    release(&image);
                    return Err(LoadError::new(e, "cannot rewrite syscall sites"));
                }
            }
        }
    }

    image.phdr = match elf.program_headers.iter().find(|p| p.p_type == ph::PT_PHDR) {
        Some(p) => p.p_vaddr + bias,
        None => loads
            .iter()
            .find(|p| elf.header.e_phoff >= p.p_offset && elf.header.e_phoff < p.p_offset + p.p_filesz)
            .map(|p| p.p_vaddr + (elf.header.e_phoff - p.p_offset) + bias)
            .unwrap_or(0),
    };
    image.stack_size =
        elf.program_headers.iter().find(|p| p.p_type == ph::PT_GNU_STACK).map(|p| p.p_memsz).filter(|&s| s > 0);
    if !(alloc_start..alloc_start + span).contains(&image.entry) {
        release(&image);
        return Err(LoadError::new(Errno::ENOEXEC, "corrupt ELF: entry point outside the image"));
    }
    Ok(image)
}
