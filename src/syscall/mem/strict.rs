//! The rules of Linux's no-MMU memory manager (mm/nommu.c, 6.x) that
//! nommu's permissive profile relaxes, each decided in one place.
//!
//! Every rule is a function answering "what does a no-MMU kernel say to
//! this call?": `None` when it does what nommu does, else its error. The
//! handlers ask the rule through `Rules::check`, which under `--strict`
//! fails the call with that error and under the permissive profile lets
//! the call go on and, if it succeeds, records it for `--report`
//! (`nommu_incompatibilities`): the strict answer and the record come
//! from the same function and cannot drift apart.

#![deny(clippy::arithmetic_side_effects)]

use super::super::SyscallCtx;
use crate::abi::fcntl::{AT_EMPTY_PATH, AT_FDCWD};
use crate::abi::mman::{
    MAP_ANONYMOUS, MAP_DROPPABLE, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE, MREMAP_FIXED,
    MREMAP_MAYMOVE, PROT_EXEC, PROT_READ, PROT_WRITE,
};
use crate::abi::stat::{S_IFCHR, S_IFREG};
use crate::errno::{Errno, SysResult};
use crate::fs::mounts::FsType;
use crate::kernel::regions::{MapInfo, Region, RegionKind, Regions};
use crate::mm::{checked_page_up, page_align_wrapping, PAGE_SIZE};
use std::borrow::Cow;

/// What a call met on its way: the rules it broke, to be recorded if it
/// succeeds under the permissive profile.
pub(crate) struct Rules {
    strict: bool,
    /// A call breaks two rules at most (mmap: its type, and a shared file
    /// mapping); kept without an allocation.
    broken: [Option<(Errno, Cow<'static, str>)>; 2],
}

impl Rules {
    /// Applies one rule's answer: under `--strict` the call fails with it;
    /// otherwise it is kept (with `call`, the call and its key arguments)
    /// until the call is known to succeed.
    pub(crate) fn check<C: Into<Cow<'static, str>>>(
        &mut self,
        answer: Option<Errno>,
        call: impl FnOnce() -> C,
    ) -> SysResult<()> {
        match answer {
            Some(e) if self.strict => Err(e),
            Some(e) => {
                if let Some(slot) = self.broken.iter_mut().find(|b| b.is_none()) {
                    *slot = Some((e, call().into()));
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    pub(crate) fn strict(&self) -> bool {
        self.strict
    }
}

/// Runs a memory syscall `f` under the rules: a success that broke any of
/// them (possible only under the permissive profile) goes to the report.
pub(crate) fn under_rules(
    ctx: &mut SyscallCtx<'_>,
    f: impl FnOnce(&mut SyscallCtx<'_>, &mut Rules) -> SysResult,
) -> SysResult {
    let mut rules = Rules { strict: ctx.m.config.strict, broken: [None, None] };
    let result = f(ctx, &mut rules);
    if result.is_ok() {
        for (answer, call) in rules.broken.into_iter().flatten() {
            record(ctx, &call, answer);
        }
    }
    result
}

/// Records `call`, which a no-MMU kernel answers with `answer`, for the
/// report.
pub(crate) fn record(ctx: &SyscallCtx<'_>, call: &str, answer: Errno) {
    let image = ctx.task.process.image();
    let program = String::from_utf8_lossy(&image.exe);
    ctx.m.note_incompatibility(ctx.task.process.pid, &program, call, answer.name().unwrap_or("an error"));
}

/// mmap's flags (nommu.c `validate_mmap_request`, its first checks):
/// MAP_FIXED is EINVAL (there is no MMU to put memory at an address; a
/// non-fixed address is only a hint, which `do_mmap` ignores), and so is
/// any mapping type but MAP_PRIVATE and MAP_SHARED (MAP_SHARED_VALIDATE,
/// MAP_DROPPABLE).
pub(crate) fn mmap_flags(flags: u64) -> Option<Errno> {
    let kind = flags & MAP_TYPE;
    (flags & MAP_FIXED != 0 || (kind != MAP_PRIVATE && kind != MAP_SHARED)).then_some(Errno::EINVAL)
}

/// What is behind a mapped file, as nommu.c's capabilities see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backing {
    /// A file of a memory file system (ramfs; tmpfs is ramfs without an
    /// MMU): it can be mapped directly (`ramfs_mmap_capabilities`:
    /// NOMMU_MAP_DIRECT), within its size (`ramfs_nommu_get_unmapped_area`).
    Memory { size: u64 },
    /// A regular file (or block device) on a disk file system: only a
    /// private copy (NOMMU_MAP_COPY, the default for S_IFREG/S_IFBLK).
    Disk,
    /// A character device: nommu leaves these as they are.
    Device,
}

/// A MAP_SHARED file mapping (nommu.c `validate_mmap_request`): without
/// NOMMU_MAP_DIRECT it is ENODEV, even read-only; a memory file system's
/// file maps directly only where the range lies within the file
/// (`ramfs_nommu_get_unmapped_area` says -ENOSYS past its end, which
/// `do_mmap` turns into ENODEV for a shared mapping, which cannot be
/// copied).
pub(crate) fn mmap_shared_file(backing: Backing, offset: u64, len: u64) -> Option<Errno> {
    match backing {
        Backing::Disk => Some(Errno::ENODEV),
        Backing::Memory { size } => {
            let in_file = checked_page_up(size).unwrap_or(u64::MAX);
            (offset.checked_add(len).is_none_or(|end| end > in_file)).then_some(Errno::ENODEV)
        }
        Backing::Device => None,
    }
}

/// mprotect, msync, madvise, mlock, mlock2 and munlock: mm/Makefile
/// builds mprotect.c, msync.c, mlock.c and madvise.c only with CONFIG_MMU,
/// so a no-MMU kernel has none of them and kernel/sys_ni.c answers ENOSYS
/// (`COND_SYSCALL`, "mm/, CONFIG_MMU only").
pub(crate) const NOT_BUILT: Option<Errno> = Some(Errno::ENOSYS);

/// fork (kernel/fork.c, `SYSCALL_DEFINE0(fork)`): "can not support in
/// nommu mode", EINVAL.
pub(crate) const FORK: Errno = Errno::EINVAL;

/// A mapping as nommu.c sees it: its VMA [start, end) and the size of
/// the region (the block of memory) behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Vma {
    pub start: u64,
    pub end: u64,
    pub region_len: u64,
    pub info: MapInfo,
}

/// The process's mappings that overlap [start, end), as VMAs, in order:
/// each region with what mmap recorded of it; an exec'd image's segments
/// are file mappings (the loader maps them from the file), its stack
/// anonymous. (Only these matter to `munmap` and `mremap`: a VMA after
/// the range cannot end where it does.)
pub(crate) fn vmas(regions: &Regions, start: u64, end: u64) -> Vec<Vma> {
    regions
        .pieces(start, end.saturating_sub(start).max(1))
        .into_iter()
        .filter_map(|(at, _)| regions.at(at))
        .map(|r| vma_of(regions, r))
        .filter(|v| v.end > start)
        .collect()
}

/// Region `r` as a VMA.
fn vma_of(regions: &Regions, r: Region) -> Vma {
    let image = matches!(r.kind, RegionKind::Text | RegionKind::Data);
    let info = regions.mappings.get(&r.start).copied().unwrap_or(MapInfo {
        region_len: r.len,
        vma_len: r.len,
        file: image,
        // fdpic maps text read-only and private: an overlay.
        shared: r.kind == RegionKind::Text,
    });
    let vma_len = info.vma_len.min(r.len);
    Vma { start: r.start, end: r.start.saturating_add(vma_len), region_len: info.region_len, info }
}

/// Records what a new file mapping is (for munmap's and mremap's rules;
/// an anonymous one is what `vma_of` takes a region without a record
/// for). `shared`: nommu.c's `is_nommu_shared_mapping` (VM_MAYSHARE for a
/// MAP_SHARED file mapping, VM_MAYOVERLAY for a read-only private one).
pub(crate) fn note_mapping(regions: &mut Regions, start: u64, len: u64, file: bool, kind: u64, prot: u64) {
    if file {
        let shared = kind != MAP_PRIVATE || prot & PROT_WRITE == 0;
        regions.mappings.insert(start, MapInfo { region_len: len, vma_len: len, file, shared });
    }
}

/// Forgets what was recorded of mappings starting in [start, end).
pub(crate) fn forget_mappings(regions: &mut Regions, start: u64, end: u64) {
    while let Some((&s, _)) = regions.mappings.range(start..end).next() {
        regions.mappings.remove(&s);
    }
}

/// `munmap` on the process's regions. The common case, a whole mapping
/// unmapped as it was made, is answered without listing the VMAs.
pub(crate) fn munmap_in(regions: &Regions, start: u64, len: u64) -> Result<Unmap, Errno> {
    let paged = page_align_wrapping(len);
    if let Some(r) = regions.at(start).filter(|r| r.start == start && r.len == paged) {
        let vma = vma_of(regions, r);
        if vma.end == r.end() {
            return Ok(Unmap::Whole(vma));
        }
    }
    munmap(&vmas(regions, start, start.saturating_add(paged)), start, len)
}

/// How the report names an munmap a no-MMU kernel refuses.
pub(crate) fn munmap_call(regions: &Regions, start: u64, len: u64) -> String {
    let end = start.saturating_add(page_align_wrapping(len));
    let vmas = vmas(regions, start, end);
    let touched: Vec<&Vma> = vmas.iter().filter(|v| v.end > start && v.start < end).collect();
    let what = match touched.first() {
        None => "nothing mapped there",
        Some(v) if v.info.file => "part of a file mapping",
        Some(_) if touched.len() > 1 => "more than one mapping",
        Some(_) => "a range not within one mapping",
    };
    format!("munmap({what})")
}

/// After [start, end) was unmapped: what was recorded of the mappings it
/// touched goes, and what is left of a cut anonymous one is a mapping of
/// its own (nommu.c `split_vma` / `shrink_vma` give it its own region).
pub(crate) fn forget_unmapped(regions: &mut Regions, start: u64, end: u64) {
    let before = regions.mappings.range(..start).next_back().map(|(&s, i)| (s, *i));
    forget_mappings(regions, start, end);
    if let Some((s, info)) = before.filter(|&(s, i)| s.saturating_add(i.region_len) > start) {
        regions.mappings.remove(&s);
        let cut = start.saturating_sub(s);
        let info = MapInfo { region_len: cut, vma_len: info.vma_len.min(cut), ..info };
        regions.mappings.insert(s, info);
    }
}

/// How a no-MMU kernel unmaps [start, start+len) (nommu.c `do_munmap`):
/// the VMA to erase whole, or the anonymous VMA to cut the range out of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unmap {
    Whole(Vma),
    Cut(Vma),
}

/// nommu.c `do_munmap`: a length of 0 (rounded up to pages) is EINVAL;
/// so is a range with no VMA at or after it. A file mapping goes whole
/// only: from the first VMA ending after `start`, the first whose end is
/// the range's end is erased, unless `start` lies inside one of them on
/// the way (EINVAL), and none ending there is EINVAL. An anonymous VMA may
/// lose a part, which must lie inside it (EINVAL else, as for a range
/// across mappings).
pub(crate) fn munmap(vmas: &[Vma], start: u64, len: u64) -> Result<Unmap, Errno> {
    let len = page_align_wrapping(len);
    let end = start.checked_add(len).filter(|_| len != 0).ok_or(Errno::EINVAL)?;
    let first = vmas.iter().position(|v| v.end > start).ok_or(Errno::EINVAL)?;
    let vma = vmas[first];
    if vma.info.file {
        for v in &vmas[first..] {
            if start > v.start {
                return Err(Errno::EINVAL);
            }
            if end == v.end {
                return Ok(Unmap::Whole(*v));
            }
        }
        return Err(Errno::EINVAL);
    }
    if start == vma.start && end == vma.end {
        return Ok(Unmap::Whole(vma));
    }
    if start < vma.start || end > vma.end || !start.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    Ok(Unmap::Cut(vma))
}

/// nommu.c `do_mremap`: a mapping only changes size, in place, within the
/// region allocated for it. Both lengths are rounded up to pages; either
/// 0, or an unaligned address, is EINVAL; MREMAP_FIXED to another address
/// is EINVAL; the range must be exactly one VMA (EINVAL); a shared or
/// overlaid file mapping is EPERM; a new length past the region's is
/// ENOMEM (MREMAP_MAYMOVE changes nothing: nothing ever moves). Other
/// flags are not looked at. The VMA and its new length.
pub(crate) fn mremap(
    vmas: &[Vma],
    addr: u64,
    old_len: u64,
    new_len: u64,
    flags: u64,
    new_addr: u64,
) -> Result<(Vma, u64), Errno> {
    let (old_len, new_len) = (page_align_wrapping(old_len), page_align_wrapping(new_len));
    if old_len == 0 || new_len == 0 || !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    if flags & MREMAP_FIXED != 0 && new_addr != addr {
        return Err(Errno::EINVAL);
    }
    // find_vma_exact: the VMA that starts at addr and ends at addr+old_len.
    let vma = vmas
        .iter()
        .find(|v| v.start == addr && addr.checked_add(old_len) == Some(v.end))
        .copied()
        .ok_or(Errno::EINVAL)?;
    if vma.info.shared {
        return Err(Errno::EPERM);
    }
    if new_len > vma.region_len {
        return Err(Errno::ENOMEM);
    }
    Ok((vma, new_len))
}

/// What is behind host descriptor `host_fd` (of file type `host_type`)
/// as nommu.c's capabilities see it. A file of a memory file system maps
/// directly: its guest path lies in a tmpfs or ramfs mount, a memory root
/// or /dev (devtmpfs: POSIX shared memory and semaphores in /dev/shm), or
/// it is a memfd (shmem, which is ramfs without an MMU). A character device is left as it is; anything
/// else is a disk's.
pub(crate) fn backing(ctx: &SyscallCtx<'_>, host_fd: i32, host_type: Option<u32>) -> Backing {
    if host_type == Some(S_IFCHR) {
        return Backing::Device;
    }
    let in_memory = host_type == Some(S_IFREG)
        && (is_memfd(host_fd)
            || ctx.m.root.machine_path_of(host_fd).is_some_and(|path| {
                let kind = ctx.m.root.mounts.mount_of(&path).kind;
                kind.is_memory() || kind == FsType::Devtmpfs
            }));
    if !in_memory {
        return Backing::Disk;
    }
    let size =
        crate::arch::host::fstatat(host_fd, c"", AT_EMPTY_PATH).map_or(0, |st| u64::try_from(st.st_size).unwrap_or(0));
    Backing::Memory { size }
}

/// Is host descriptor `fd` a memfd (its link reads "/memfd:NAME")?
fn is_memfd(fd: i32) -> bool {
    let Ok(link) = std::ffi::CString::new(format!("/proc/self/fd/{fd}")) else { return false };
    crate::arch::host::readlinkat(AT_FDCWD, &link).is_ok_and(|target| target.starts_with(b"/memfd:"))
}

/// How a call names mmap's flags: the mapping type, and MAP_FIXED.
pub(crate) fn map_flags_name(flags: u64) -> String {
    let kind = match flags & MAP_TYPE {
        MAP_SHARED => "MAP_SHARED".to_string(),
        MAP_PRIVATE => "MAP_PRIVATE".to_string(),
        MAP_SHARED_VALIDATE => "MAP_SHARED_VALIDATE".to_string(),
        MAP_DROPPABLE => "MAP_DROPPABLE".to_string(),
        other => format!("type {other:#x}"),
    };
    let anon = if flags & MAP_ANONYMOUS != 0 { "|MAP_ANONYMOUS" } else { "" };
    let fixed = if flags & MAP_FIXED != 0 { "|MAP_FIXED" } else { "" };
    format!("{kind}{anon}{fixed}")
}

/// What a VMA becomes when mremap (under `--strict`) gives it `new_len`.
pub(crate) fn vma_resized(vma: Vma, new_len: u64) -> MapInfo {
    MapInfo { vma_len: new_len, ..vma.info }
}

/// How the report names an mremap a no-MMU kernel answers with `error`.
pub(crate) fn mremap_call(error: Option<Errno>, flags: u64) -> String {
    let maymove = if flags & MREMAP_MAYMOVE != 0 { "MREMAP_MAYMOVE, " } else { "" };
    let what = match error {
        Some(Errno::ENOMEM) => "grow past the mapping's size",
        Some(Errno::EPERM) => "a shared or read-only file mapping",
        _ if flags & MREMAP_FIXED != 0 => "MREMAP_FIXED to another address",
        _ => "a range that is not one whole mapping",
    };
    format!("mremap({maymove}{what})")
}

/// How a call names protections: "PROT_READ|PROT_WRITE", "PROT_NONE".
pub(crate) fn prot_name(prot: u64) -> &'static str {
    const NAMES: [&str; 8] = [
        "PROT_NONE",
        "PROT_READ",
        "PROT_WRITE",
        "PROT_READ|PROT_WRITE",
        "PROT_EXEC",
        "PROT_READ|PROT_EXEC",
        "PROT_WRITE|PROT_EXEC",
        "PROT_READ|PROT_WRITE|PROT_EXEC",
    ];
    // Three bits: an index below 8.
    NAMES[(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) as usize]
}

/// How the report names an mprotect (without an allocation: programs
/// that call it often are counted, not slowed).
pub(crate) fn mprotect_call(prot: u64) -> &'static str {
    const CALLS: [&str; 8] = [
        "mprotect(PROT_NONE)",
        "mprotect(PROT_READ)",
        "mprotect(PROT_WRITE)",
        "mprotect(PROT_READ|PROT_WRITE)",
        "mprotect(PROT_EXEC)",
        "mprotect(PROT_READ|PROT_EXEC)",
        "mprotect(PROT_WRITE|PROT_EXEC)",
        "mprotect(PROT_READ|PROT_WRITE|PROT_EXEC)",
    ];
    CALLS[(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) as usize]
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::abi::mman::MAP_FIXED_NOREPLACE;

    const P: u64 = PAGE_SIZE;

    fn anon(start: u64, pages: u64) -> Vma {
        let len = pages * P;
        Vma {
            start,
            end: start + len,
            region_len: len,
            info: MapInfo { region_len: len, vma_len: len, file: false, shared: false },
        }
    }

    fn file(start: u64, pages: u64, shared: bool) -> Vma {
        let mut v = anon(start, pages);
        v.info.file = true;
        v.info.shared = shared;
        v
    }

    #[test]
    fn mmap_refuses_fixed_and_unknown_types_only() {
        assert_eq!(mmap_flags(MAP_PRIVATE | MAP_FIXED), Some(Errno::EINVAL));
        assert_eq!(mmap_flags(MAP_SHARED_VALIDATE), Some(Errno::EINVAL));
        assert_eq!(mmap_flags(MAP_DROPPABLE), Some(Errno::EINVAL));
        assert_eq!(mmap_flags(MAP_SHARED), None);
        // MAP_FIXED_NOREPLACE lacks the MAP_FIXED bit: a hint, as any address.
        assert_eq!(mmap_flags(MAP_PRIVATE | MAP_FIXED_NOREPLACE), None);
    }

    #[test]
    fn shared_file_mappings_need_memory_backing_within_the_file() {
        assert_eq!(mmap_shared_file(Backing::Disk, 0, P), Some(Errno::ENODEV));
        assert_eq!(mmap_shared_file(Backing::Memory { size: 100 }, 0, P), None);
        assert_eq!(mmap_shared_file(Backing::Memory { size: 100 }, 0, 2 * P), Some(Errno::ENODEV));
        assert_eq!(mmap_shared_file(Backing::Memory { size: 3 * P }, P, 2 * P), None);
        assert_eq!(mmap_shared_file(Backing::Memory { size: 3 * P }, 3 * P, P), Some(Errno::ENODEV));
        assert_eq!(mmap_shared_file(Backing::Device, 0, P), None);
    }

    #[test]
    fn munmap_follows_do_munmap() {
        let v = [anon(0x10000, 4), file(0x20000, 2, false)];
        assert_eq!(munmap(&v, 0x10000, 4 * P), Ok(Unmap::Whole(v[0])));
        assert_eq!(munmap(&v, 0x11000, P), Ok(Unmap::Cut(v[0])));
        assert_eq!(munmap(&v, 0x11000, 8 * P), Err(Errno::EINVAL), "past the VMA");
        assert_eq!(munmap(&v, 0x20000, P), Err(Errno::EINVAL), "part of a file mapping");
        assert_eq!(munmap(&v, 0x21000, P), Err(Errno::EINVAL), "part of a file mapping");
        assert_eq!(munmap(&v, 0x20000, 2 * P), Ok(Unmap::Whole(v[1])));
        assert_eq!(munmap(&v, 0x1f000, 3 * P), Ok(Unmap::Whole(v[1])), "from a hole before it");
        assert_eq!(munmap(&v, 0x30000, P), Err(Errno::EINVAL), "nothing mapped");
        assert_eq!(munmap(&v, 0x10000, 0), Err(Errno::EINVAL));
    }

    #[test]
    fn mremap_changes_size_in_place_within_the_region() {
        let mut grown = anon(0x10000, 2);
        grown.end = 0x11000; // shrunk to one page, its region still two
        let v = [anon(0x10000 - 0x8000, 4), grown, file(0x20000, 2, true), file(0x30000, 1, false)];
        assert_eq!(mremap(&v, 0x10000, P, 2 * P, 0, 0), Ok((v[1], 2 * P)), "back within the region");
        assert_eq!(mremap(&v, 0x10000, P, 3 * P, MREMAP_MAYMOVE, 0), Err(Errno::ENOMEM));
        assert_eq!(mremap(&v, 0x8000, 2 * P, P, 0, 0), Err(Errno::EINVAL), "not one whole VMA");
        assert_eq!(mremap(&v, 0x8000, 4 * P, P, 0, 0), Ok((v[0], P)));
        assert_eq!(mremap(&v, 0x20000, 2 * P, P, 0, 0), Err(Errno::EPERM), "shared");
        assert_eq!(mremap(&v, 0x30000, P, P, 0, 0), Ok((v[3], P)), "a private writable copy");
        assert_eq!(mremap(&v, 0x8000, 4 * P, P, MREMAP_FIXED | MREMAP_MAYMOVE, 0x40000), Err(Errno::EINVAL));
        assert_eq!(mremap(&v, 0x8000, 0, P, 0, 0), Err(Errno::EINVAL));
    }

    /// `Memory::alloc_block`: a naturally aligned block of 2^order pages,
    /// its tail given back; two free pages that are not an aligned pair do
    /// not make a two-page block.
    #[test]
    fn allocations_are_aligned_buddy_blocks() {
        let m = crate::mm::Memory::new(1 << 20).unwrap();
        let three = m.alloc_block(3 * P).unwrap();
        assert_eq!(three % (4 * P), 0, "aligned to its 4-page block");
        assert_eq!(m.stats().committed, 3 * P, "the tail page given back");
        m.free(three, 3 * P);
        // Fill memory with pages, then free pages 1 and 2 of every 4.
        let mut pages = Vec::new();
        while let Ok(p) = m.alloc_block(P) {
            pages.push(p);
        }
        for &p in pages.iter().filter(|&&p| matches!((p / P) % 4, 1 | 2)) {
            m.free(p, P);
        }
        assert_eq!(m.alloc_block(2 * P), Err(Errno::ENOMEM), "no aligned pair is free");
        assert!(m.alloc(2 * P, P).is_ok(), "first fit finds two contiguous pages");
    }

    #[test]
    fn prot_names() {
        assert_eq!(prot_name(0), "PROT_NONE");
        assert_eq!(prot_name(PROT_READ | PROT_WRITE), "PROT_READ|PROT_WRITE");
        assert_eq!(prot_name(PROT_EXEC | PROT_READ), "PROT_READ|PROT_EXEC");
        assert_eq!(mprotect_call(PROT_WRITE | 0x100), "mprotect(PROT_WRITE)");
    }
}
