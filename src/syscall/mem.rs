//! Memory syscalls under no-MMU rules: every mapping is a run of arena
//! memory owned by the process; nothing is ever remapped behind its back.
//!
//! Each call first checks its arguments as Linux (with an MMU, x86-64,
//! 4-level paging) does, in Linux's order, so that huge, wrapping or odd
//! values get exactly Linux's answer; only then does it act on the
//! process's regions. The Linux function each rule comes from is named
//! where it is applied. Arguments are guest values: arithmetic on them is
//! checked (clippy's `arithmetic_side_effects` is denied here, as in `mm`).

#![deny(clippy::arithmetic_side_effects)]

use super::args::{Fd, MapFlags, Opaque, Prot, ProtLong, UserPtr};
use super::SyscallCtx;
use crate::abi::fcntl::{AT_EMPTY_PATH, F_GETFL, MAX_LFS_FILESIZE, O_ACCMODE, O_PATH, O_RDONLY, O_WRONLY};
use crate::abi::mman::{
    MAP_ANONYMOUS, MAP_DROPPABLE, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_LOCKED, MAP_PRIVATE, MAP_SHARED,
    MAP_SHARED_VALIDATE, MAP_TYPE, MAX_ERRNO, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_SEM, PROT_WRITE,
};
use crate::abi::stat::{S_IFBLK, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK};
use crate::errno::{Errno, SysResult};
use crate::fs::OpenFile;
use crate::kernel::regions::{RegionKind, Regions};
use crate::mm::{checked_page_up, page_align_wrapping, PAGE_SIZE, TASK_SIZE};
use strict::{under_rules, Rules};

mod advice;
mod remap;
pub(crate) mod strict;

pub(crate) use advice::{sys_madvise, sys_mlock, sys_mlock2, sys_msync, sys_munlock};
pub(crate) use remap::sys_mremap;

/// Any of these makes memory accessible (anything but PROT_NONE).
const PROT_ACCESS: u64 = PROT_READ | PROT_WRITE | PROT_EXEC;
/// The first of the values that read as -errno (IS_ERR_VALUE).
const FIRST_ERR_VALUE: u64 = MAX_ERRNO.wrapping_neg();

fn page_aligned(addr: u64) -> bool {
    addr.is_multiple_of(PAGE_SIZE)
}

/// Does [a, a+a_len) overlap [b, b+b_len)? (Ends past 2^64 count as 2^64.)
fn overlap(a: u64, a_len: u64, b: u64, b_len: u64) -> bool {
    a.saturating_add(a_len) > b && b.saturating_add(b_len) > a
}

/// mmap(2), in the order of Linux's checks: the offset's alignment
/// (arch/x86/kernel/sys_x86_64.c, `sys_mmap`); the descriptor
/// (mm/mmap.c, `ksys_mmap_pgoff`); then `do_mmap`: a zero length is
/// EINVAL, one that wraps when rounded up to a page is ENOMEM;
/// `__get_unmapped_area`: longer than TASK_SIZE is ENOMEM, a fixed range
/// that ends past TASK_SIZE is ENOMEM and an unaligned fixed address
/// EINVAL (but a fixed address in the last 4095 bytes below 2^64 comes
/// back as it is, which reads as -errno); MAP_FIXED_NOREPLACE over
/// memory is EEXIST; a file range ending past the file's largest offset
/// is EOVERFLOW (`file_mmap_ok`); an unknown mapping type is EINVAL.
/// (Linux's `prot` and `flags` are `unsigned long`s; every bit looked at
/// here is in their low 32.)
///
/// Under `--strict`, nommu.c's rules come after the descriptor
/// (`strict::mmap_flags`, `strict::mmap_shared_file`); a non-fixed address
/// is a hint, and MAP_FIXED_NOREPLACE, which lacks MAP_FIXED's bit, is
/// one too; PROT_NONE memory is memory like any other (no MMU to make it
/// inaccessible), and the memory is one block as the buddy allocator gives
/// it (`Memory::alloc_block`).
pub(crate) fn sys_mmap(
    ctx: &mut SyscallCtx<'_>,
    addr: UserPtr<Opaque>,
    length: usize,
    prot: Prot,
    flags: MapFlags,
    fd: Fd,
    offset: u64,
) -> SysResult {
    let (prot, flags) = (u64::from(prot.0), u64::from(flags.0));
    under_rules(ctx, |ctx, rules| mmap(ctx, rules, addr.addr(), length as u64, prot, flags, fd, offset))
}

#[allow(clippy::too_many_arguments)]
fn mmap(
    ctx: &mut SyscallCtx<'_>,
    rules: &mut Rules,
    hint: u64,
    len: u64,
    prot: u64,
    flags: u64,
    fd: Fd,
    off: u64,
) -> SysResult {
    if !page_aligned(off) {
        return Err(Errno::EINVAL);
    }
    let open_file = if flags & MAP_ANONYMOUS == 0 { Some(ctx.task.process.files().get(fd.0)?) } else { None };
    rules.check(strict::mmap_flags(flags), || format!("mmap({})", strict::map_flags_name(flags)))?;
    // No-MMU: an address is only a hint (nommu.c `do_mmap`: "we ignore
    // the address hint"); only the permissive profile places memory.
    let flags = if rules.strict() { flags & !MAP_FIXED_NOREPLACE } else { flags };
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = checked_page_up(len).ok_or(Errno::ENOMEM)?;
    if len > TASK_SIZE {
        return Err(Errno::ENOMEM);
    }
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    if fixed {
        if hint >= FIRST_ERR_VALUE {
            return Ok(hint);
        }
        if TASK_SIZE.checked_sub(len).is_none_or(|highest| hint > highest) {
            return Err(Errno::ENOMEM);
        }
        if !page_aligned(hint) {
            return Err(Errno::EINVAL);
        }
    }
    let host_fd = open_file.as_ref().map(|f| f.host_fd().ok());
    let kind = flags & MAP_TYPE;
    let known_type = match host_fd {
        Some(_) => matches!(kind, MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE),
        // MAP_DROPPABLE memory may be dropped under pressure: keeping it
        // is one of its valid behaviours. It cannot be locked or a stack.
        None => {
            matches!(kind, MAP_SHARED | MAP_PRIVATE)
                || (kind == MAP_DROPPABLE && flags & (MAP_LOCKED | MAP_GROWSDOWN) == 0)
        }
    };
    let m = ctx.m;
    let mm = ctx.task.process.mm();
    let mut regions = mm.regions();
    if fixed {
        // No MMU: a fixed address must lie in the process's own memory.
        if flags & MAP_FIXED_NOREPLACE != 0 && !regions.pieces(hint, len).is_empty() {
            return Err(Errno::EEXIST);
        }
        if flags & MAP_FIXED_NOREPLACE != 0 || regions.containing(hint, len).is_none() {
            log::warn!(
                "pid {}: mmap MAP_FIXED at {hint:#x} outside the process's own memory: not possible without an MMU",
                ctx.task.process.pid
            );
            return Err(Errno::EINVAL);
        }
    }
    // The host file's type (S_IFMT), when it has one.
    let host_type = host_fd.flatten().and_then(file_type);
    if host_fd.is_some() {
        // Regular files, block devices and sockets end at MAX_LFS_FILESIZE
        // (generated /proc files are regular files), other files at 2^64.
        let max = match host_type {
            Some(t) if ![S_IFREG, S_IFBLK, S_IFSOCK].contains(&t) => u64::MAX,
            _ => MAX_LFS_FILESIZE,
        };
        let room_in_pages = max.checked_sub(len).map(|room| room / PAGE_SIZE);
        if room_in_pages.is_none_or(|room| off / PAGE_SIZE > room) {
            return Err(Errno::EOVERFLOW);
        }
    }
    if !known_type {
        return Err(Errno::EINVAL);
    }
    // Generated /proc files, directories and pipes cannot be mapped (as on
    // Linux: they have no mmap), unless the descriptor is refused first.
    if let Some(f) =
        open_file.as_ref().filter(|_| host_fd == Some(None) || matches!(host_type, Some(S_IFDIR | S_IFIFO)))
    {
        return Err(refused(f, kind, prot).unwrap_or(Errno::ENODEV));
    }
    let file = host_fd.flatten();
    // Under --strict, a memory file system's file is shared directly, as
    // nommu.c maps its pages (NOMMU_MAP_DIRECT), read-only or not.
    let mut direct = false;
    if let Some(host_fd) = file.filter(|_| kind != MAP_PRIVATE) {
        // A no-MMU kernel shares only what it can map directly; nommu
        // shares any file, with the host's MMU.
        let backing = strict::backing(ctx, host_fd, host_type);
        // nommu.c checks the descriptor's modes first (EACCES).
        let answer = strict::mmap_shared_file(backing, off, len)
            .map(|e| open_file.as_ref().and_then(|f| refused(f, kind, prot)).unwrap_or(e));
        rules.check(answer, || {
            let path = ctx.m.root.machine_path_of(host_fd).unwrap_or_default();
            format!("mmap(MAP_SHARED, {}, {})", strict::prot_name(prot), String::from_utf8_lossy(&path))
        })?;
        direct = rules.strict() && matches!(backing, strict::Backing::Memory { .. });
    }
    let shared_file = file.is_some() && kind != MAP_PRIVATE && (prot & PROT_WRITE != 0 || direct);

    // Anonymous PROT_NONE memory is address space only: it costs no
    // memory until made accessible (reservations, guard areas). Without
    // an MMU (strict) it is memory like any other, and accessible.
    let inaccessible = prot & PROT_ACCESS == 0 && !rules.strict();
    let reservation = file.is_none() && inaccessible;
    if fixed && m.mem.end_file_mappings(hint, len)? > 0 {
        // A file mapping there (MAP_SHARED, or an image's read-only text)
        // is replaced, as Linux replaces the old mapping: zeroing it below
        // must not write into the file. Its pages are fresh ones now, of
        // no process's key until given this one's again.
        m.mem.set_key(hint, len, mm.key());
    }
    if fixed {
        // The code that was there goes with its syscall sites: a `call
        // *%rax` that new code makes where one was is the call it is.
        m.mem.sites.clear_range(hint, len);
    }
    let addr = if fixed && reservation {
        m.mem.set_inaccessible(hint, len, true)?;
        m.mem.arena.discard(hint, len);
        return Ok(hint);
    } else if fixed {
        m.mem.set_inaccessible(hint, len, false)?;
        m.mem.make_writable(hint, len)?;
        if len >= DISCARD_AT_LEAST {
            // Zero without touching the pages: a dynamic linker maps a
            // library's segments over its first mapping of it, and a file
            // mapped next replaces them anyway.
            m.mem.arena.discard(hint, len);
        } else {
            ctx.user().zero(hint, usize::try_from(len).map_err(|_| Errno::ENOMEM)?)?;
        }
        hint
    } else if reservation {
        let addr = m.mem.alloc_inaccessible(len, PAGE_SIZE)?;
        regions.insert(addr, len, RegionKind::Mmap);
        strict::note_mapping(&mut regions, addr, len, false, kind, prot);
        return Ok(addr);
    } else {
        let addr = if rules.strict() { m.mem.alloc_block(len)? } else { m.mem.alloc(len, PAGE_SIZE)? };
        regions.insert(addr, len, RegionKind::Mmap);
        strict::note_mapping(&mut regions, addr, len, file.is_some(), kind, prot);
        addr
    };
    // The regions stay locked until the mapping is filled in: another
    // thread's munmap of this range must not free it under the copy (the
    // kernel's mmap holds mmap_lock the same way).
    let undo = |regions: &mut Regions| {
        if !fixed {
            regions.unmap(&m.mem, addr, len);
            strict::forget_mappings(regions, addr, addr.saturating_add(len));
        }
    };

    if let (Some(host_fd), true) = (file, shared_file) {
        match share_file(ctx, addr, len, host_fd, off, prot) {
            Ok(()) => return Ok(addr),
            // A read-only mapping of a descriptor the host will not map
            // writable (open read-only): a copy, as before.
            Err(_) if prot & PROT_WRITE == 0 => {}
            Err(e) => {
                undo(&mut regions);
                return Err(e);
            }
        }
    }
    if let Some(host_fd) = file {
        let code_key = (prot & PROT_EXEC != 0).then(|| code_key(host_fd, off, len)).flatten();
        if let Some(hit) = code_key.as_ref().and_then(|k| m.code.get(k)) {
            if hit.place(&m.mem, addr).is_ok() {
                if fixed {
                    // A host mapping of the code has no process's key.
                    m.mem.set_key(addr, len, mm.key());
                }
                return Ok(addr);
            }
        }
        // Data of a regular file (not code, which is rewritten): the
        // file's pages, mapped privately by the host (`map_private_file`).
        let mapped = prot & PROT_EXEC == 0
            && kind == MAP_PRIVATE
            && !rules.strict()
            && host_type == Some(S_IFREG)
            && map_private_file(ctx, addr, len, host_fd, off).is_ok();
        if mapped {
            if fixed {
                // The host's new mapping has no process's key.
                m.mem.set_key(addr, len, mm.key());
            }
            if inaccessible {
                if let Err(e) = m.mem.set_inaccessible(addr, len, true) {
                    undo(&mut regions);
                    return Err(e);
                }
            }
            return Ok(addr);
        }
        // Else a private file mapping is a copy; bytes past EOF stay zero.
        let done = match read_file(ctx, host_fd, addr, len, off) {
            Ok(done) => done,
            Err(e) => {
                undo(&mut regions);
                let refusal = open_file.as_ref().filter(|_| e == Errno::EBADF).and_then(|f| refused(f, kind, prot));
                return Err(refusal.unwrap_or(e));
            }
        };
        if prot & PROT_EXEC != 0 {
            rewrite_new_code(ctx, &regions, addr, done);
            if let Some(key) = code_key {
                m.code.insert(&m.mem, key, addr, len);
            }
        }
    }
    if inaccessible {
        if let Err(e) = m.mem.set_inaccessible(addr, len, true) {
            undo(&mut regions);
            return Err(e);
        }
    }
    Ok(addr)
}

/// Why `f`'s descriptor cannot be mapped at all, if it cannot: an O_PATH
/// one is no file to map (EBADF); a mapping reads the file, so it must be
/// open for reading, and a shared writable one writes it too (EACCES), as
/// Linux checks before it asks the file for a mapping. Asked only when a
/// mapping failed (a host file's flags cost a host call). `kind` is the
/// mapping type.
fn refused(f: &OpenFile, kind: u64, prot: u64) -> Option<Errno> {
    let flags = match f.host_fd() {
        Ok(fd) => crate::arch::host::fcntl_int(fd, F_GETFL, 0).ok()?,
        Err(_) => f.flags() as i32,
    };
    let access = flags & O_ACCMODE;
    if flags & O_PATH != 0 {
        Some(Errno::EBADF)
    } else if access == O_WRONLY || (kind != MAP_PRIVATE && prot & PROT_WRITE != 0 && access == O_RDONLY) {
        Some(Errno::EACCES)
    } else {
        None
    }
}

/// The file type bits (S_IFMT) of host descriptor `fd`.
fn file_type(fd: i32) -> Option<u32> {
    let st = crate::arch::host::fstatat(fd, c"", AT_EMPTY_PATH).ok()?;
    Some(st.st_mode & S_IFMT)
}

/// Copies `len` bytes of the file at `off` to guest memory at `addr`, up
/// to the end of the file: how many bytes were copied.
fn read_file(ctx: &SyscallCtx<'_>, host_fd: i32, addr: u64, len: u64, off: u64) -> SysResult<u64> {
    let mut done = 0u64;
    while let Some(left) = len.checked_sub(done).filter(|&n| n > 0) {
        // Offsets past i64::MAX (only files without a size limit have
        // them) read as the end of the file.
        let (Some(at), Some(pos)) =
            (addr.checked_add(done), off.checked_add(done).and_then(|pos| i64::try_from(pos).ok()))
        else {
            break;
        };
        let n = ctx.user().host_pread(host_fd, at, usize::try_from(left).unwrap_or(usize::MAX), pos)?;
        if n == 0 {
            break;
        }
        done = done.saturating_add(n as u64); // at most len
    }
    Ok(done)
}

/// What identifies `len` bytes at `offset` of the file behind `host_fd`.
fn code_key(host_fd: i32, offset: u64, len: u64) -> Option<crate::loader::codecache::CodeKey> {
    let st = crate::arch::host::fstatat(host_fd, c"", AT_EMPTY_PATH).ok()?;
    let file = crate::loader::cache::FileId::from_stat(&st);
    // Only regular files: their (device, inode, size, mtime) says whether
    // the content changed.
    (st.st_mode & S_IFMT == S_IFREG).then_some(crate::loader::codecache::CodeKey { file, offset, len })
}

/// A writable MAP_SHARED file mapping: the file's pages themselves, mapped
/// by the host over the arena range, so that writes reach the file and
/// other processes (in the machine or not) see them. Pages past the end of
/// the file stay plain zeroed memory: nommu's own accesses to guest memory
/// must never fault, and beyond EOF a host mapping would (SIGBUS).
fn share_file(ctx: &SyscallCtx<'_>, addr: u64, len: u64, host_fd: i32, off: u64, prot: u64) -> SysResult<()> {
    match in_file(host_fd, off, len)? {
        0 => Ok(()),
        backed => ctx.m.mem.map_shared_file(addr, backed, host_fd, off, prot & PROT_EXEC != 0),
    }
}

/// How much of a `len`-byte mapping of host file `host_fd` at `off` the
/// file backs: whole pages up to its end (the rest is left zeroed memory).
fn in_file(host_fd: i32, off: u64, len: u64) -> SysResult<u64> {
    let st = crate::arch::host::fstatat(host_fd, c"", AT_EMPTY_PATH)?;
    // A size is never negative; a nonsense one maps nothing of the file.
    let size = u64::try_from(st.st_size).unwrap_or(0);
    Ok(checked_page_up(size.saturating_sub(off)).map_or(len, |n| n.min(len)))
}

/// A MAP_PRIVATE mapping of a regular file's data without a copy: the
/// host maps the file's pages over the arena range, shared with the page
/// cache until the guest writes one (which the host then copies for this
/// mapping alone), as an MMU kernel maps it; a change to the file shows
/// in the pages not written, as natively. Pages past the end of the file
/// stay plain zeroed memory (as `share_file`'s). `--strict` copies, as
/// nommu.c does for a file it cannot map directly.
fn map_private_file(ctx: &SyscallCtx<'_>, addr: u64, len: u64, host_fd: i32, off: u64) -> SysResult<()> {
    match in_file(host_fd, off, len)? {
        0 => Ok(()),
        backed => ctx.m.mem.map_private_file(addr, backed, host_fd, off),
    }
}

/// Code that becomes executable at run time (a file mapped or memory
/// mprotect'ed with PROT_EXEC) gets its syscall sites rewritten like an
/// exec'd image; whatever this misses (code written later into RWX memory)
/// the trap path catches and rewrites site by site.
/// `regions` (the process's, locked by the caller) must own the range for
/// as long as the sweep writes into it.
fn rewrite_new_code(ctx: &SyscallCtx<'_>, regions: &Regions, addr: u64, len: u64) {
    if len == 0 || regions.containing(addr, len).is_none() {
        return;
    }
    let mem = &ctx.m.mem;
    match crate::rewrite::rewrite_region(&mem.user, &mem.sites, mem.site_policy(), addr, len) {
        Ok(stats) => log::debug!(
            "pid {}: new code at {addr:#x}+{len:#x}: {} syscall sites rewritten, {} left to the trap path",
            ctx.task.process.pid,
            stats.sites,
            stats.trap_sites
        ),
        Err(e) => log::debug!("pid {}: cannot rewrite new code at {addr:#x}: {e:?}", ctx.task.process.pid),
    }
}

/// From this length on, a MAP_FIXED mapping's old pages are zeroed by
/// dropping them (one host call, nothing touched) rather than written.
const DISCARD_AT_LEAST: u64 = 16 * PAGE_SIZE;

/// The checks of Linux's `do_vmi_munmap` (mm/vma.c): an unaligned
/// address, one past TASK_SIZE, a length reaching past TASK_SIZE or one
/// that is 0 once rounded up to a page are EINVAL. The end of the range.
fn munmap_range(addr: u64, len: u64) -> SysResult<u64> {
    let room = TASK_SIZE.checked_sub(addr).filter(|_| page_aligned(addr)).ok_or(Errno::EINVAL)?;
    if len > room {
        return Err(Errno::EINVAL);
    }
    // len ≤ room = TASK_SIZE - addr, both page-aligned: neither the rounding
    // nor the end can wrap.
    let end = checked_page_up(len).and_then(|len| addr.checked_add(len)).ok_or(Errno::EINVAL)?;
    if end == addr {
        return Err(Errno::EINVAL);
    }
    Ok(end)
}

/// munmap(2): Linux's checks (`munmap_range`), then every owned page of
/// the range goes back to the arena; the rest is ignored, as Linux ignores
/// unmapped parts. Under `--strict`, nommu.c's `do_munmap` decides
/// instead (`strict::munmap`): one mapping at a time, a file mapping
/// whole, nothing mapped EINVAL; an erased mapping frees its whole block.
pub(crate) fn sys_munmap(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, length: usize) -> SysResult {
    under_rules(ctx, |ctx, rules| munmap(ctx, rules, addr.addr(), length as u64))
}

fn munmap(ctx: &mut SyscallCtx<'_>, rules: &mut Rules, addr: u64, length: u64) -> SysResult {
    let mm = ctx.task.process.mm();
    let mut regions = mm.regions();
    let nommu = strict::munmap_in(&regions, addr, length);
    rules.check(nommu.err(), || strict::munmap_call(&regions, addr, length))?;
    let (addr, end) = match nommu {
        // Under --strict (an error has returned already): an erased
        // mapping takes its whole region with it.
        Ok(strict::Unmap::Whole(v)) if rules.strict() => {
            let len = regions.at(v.start).map_or(v.end.saturating_sub(v.start), |r| r.len);
            (v.start, v.start.saturating_add(len))
        }
        Ok(strict::Unmap::Cut(_)) if rules.strict() => (addr, addr.saturating_add(page_align_wrapping(length))),
        _ => (addr, munmap_range(addr, length)?),
    };
    let len = end.saturating_sub(addr);
    let rsp = ctx.task.vcpu.regs().rsp;
    if (addr..end).contains(&rsp.wrapping_sub(8)) {
        // A thread unmapping its own stack (musl's __unmapself) still makes
        // one syscall on it: `exit`, whose `call *%rax` pushes a return
        // address there. The pages go back to the arena when it exits.
        let pieces = regions.detach(addr, len);
        strict::forget_unmapped(&mut regions, addr, end);
        ctx.task.deferred_free.extend(pieces);
        return Ok(0);
    }
    regions.unmap(&ctx.m.mem, addr, len);
    strict::forget_unmapped(&mut regions, addr, end);
    Ok(0)
}

/// mprotect(2). Without an MMU there is nothing to protect memory with,
/// and every mapping stays readable, writable and executable; nommu
/// borrows the host's MMU for one case: PROT_NONE pages really are
/// inaccessible, so guard pages (thread stacks, allocators' reservations)
/// catch what they are there to catch.
///
/// The checks are those of `do_mprotect_pkey` (mm/mprotect.c), in order:
/// PROT_GROWSDOWN with PROT_GROWSUP, or an unaligned address, is EINVAL;
/// a zero length does nothing; a range that (rounded up to pages) ends
/// past 2^64 or wraps to nothing is ENOMEM; unknown protection bits are
/// EINVAL; unmapped memory in the range is ENOMEM; PROT_GROWSUP (no
/// mapping grows up on x86) or PROT_GROWSDOWN on anything but the main
/// stack is EINVAL. A hole in the range is ENOMEM, after the mappings
/// before it changed (as on Linux). Making memory accessible commits it:
/// ENOMEM past `--mem` (as under Linux's strict overcommit).
///
/// A no-MMU kernel has no mprotect (`strict::NOT_BUILT`).
pub(crate) fn sys_mprotect(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, len: usize, prot: ProtLong) -> SysResult {
    under_rules(ctx, |ctx, rules| {
        rules.check(strict::NOT_BUILT, || strict::mprotect_call(prot.0))?;
        mprotect(ctx, addr.addr(), len as u64, prot)
    })
}

fn mprotect(ctx: &mut SyscallCtx<'_>, addr: u64, len: u64, prot: ProtLong) -> SysResult {
    let grows = prot.0 & (PROT_GROWSDOWN | PROT_GROWSUP);
    let prot = prot.0 & !grows;
    if grows == PROT_GROWSDOWN | PROT_GROWSUP || !page_aligned(addr) {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let len = page_align_wrapping(len);
    let end = addr.checked_add(len).filter(|&end| end > addr).ok_or(Errno::ENOMEM)?;
    if prot & !(PROT_ACCESS | PROT_SEM) != 0 {
        return Err(Errno::EINVAL);
    }
    let mm = ctx.task.process.mm();
    let regions = mm.regions();
    if grows == PROT_GROWSUP {
        return Err(if regions.covers(addr, PAGE_SIZE) { Errno::EINVAL } else { Errno::ENOMEM });
    }
    let start = if grows == PROT_GROWSDOWN {
        // The first mapping in the range must grow down: only the main
        // stack does. Linux then starts at its bottom; nommu starts at
        // `addr` when that lies in it, so that the stack's guard pages
        // (part of its region here) stay inaccessible.
        let first = regions.pieces(addr, len).first().and_then(|&(at, _)| regions.at(at)).ok_or(Errno::ENOMEM)?;
        if first.kind != RegionKind::Stack {
            return Err(Errno::EINVAL);
        }
        first.start.max(addr)
    } else {
        addr
    };
    let len = end.saturating_sub(start); // start ≤ addr < end
                                         // Up to the first hole the change applies, then ENOMEM (as Linux).
    let mapped = regions.covered_from(start, len);
    if mapped == 0 {
        return Err(Errno::ENOMEM);
    }
    ctx.m.mem.set_inaccessible(start, mapped, prot & PROT_ACCESS == 0)?;
    if prot & PROT_WRITE != 0 {
        // Read-only text made writable is committed from now on.
        ctx.m.mem.make_writable(start, mapped)?;
    }
    if prot & PROT_EXEC != 0 {
        rewrite_new_code(ctx, &regions, start, mapped);
    }
    if mapped < len {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}

/// brk on no-MMU Linux: the break may move within [start_brk, end_brk],
/// and binfmt_elf_fdpic sets end_brk = start_brk, so it never grows.
/// Allocators fall back to mmap, as they do on real no-MMU systems. Any
/// other value (huge, wrapping, below the start) leaves the break where
/// it is, which is what brk returns, as on Linux.
pub(crate) fn sys_brk(ctx: &mut SyscallCtx<'_>, brk: UserPtr<Opaque>) -> SysResult {
    let brk = brk.addr();
    let mm = ctx.task.process.mm();
    let mut regions = mm.regions();
    if brk >= regions.start_brk && brk <= regions.brk {
        regions.brk = brk;
    }
    Ok(regions.brk)
}

#[cfg(test)]
mod tests;
