//! Memory syscalls under no-MMU rules: every mapping is a run of arena
//! memory owned by the process; nothing is ever remapped behind its back.

use super::{arg_i32, Args, SyscallCtx};
use crate::errno::{Errno, SysResult};
use crate::kernel::regions::RegionKind;
use crate::mm::{page_up, PAGE_SIZE};

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_TYPE: u64 = 0x0f;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;
const MREMAP_DONTUNMAP: u64 = 4;
const MADV_DONTNEED: u64 = 4;
/// Highest advice value Linux knows (MADV_GUARD_REMOVE).
const MADV_MAX: u64 = 103;

fn page_aligned(addr: u64) -> bool {
    addr.is_multiple_of(PAGE_SIZE)
}

fn checked_len(len: u64) -> SysResult<u64> {
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    len.checked_add(PAGE_SIZE - 1).map(|_| page_up(len)).filter(|&l| l < 1 << 47).ok_or(Errno::ENOMEM)
}

pub fn sys_mmap(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (hint, flags, fd, off) = (a[0], a[3], arg_i32(a[4]), a[5]);
    let len = checked_len(a[1])?;
    if !page_aligned(off) {
        return Err(Errno::EINVAL);
    }
    if !matches!(flags & MAP_TYPE, MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE) {
        return Err(Errno::EINVAL);
    }
    let prot = a[2];
    let shared_file = flags & MAP_TYPE != MAP_PRIVATE && flags & MAP_ANONYMOUS == 0 && prot & PROT_WRITE != 0;
    if shared_file {
        // A no-MMU kernel cannot share a writable file mapping (only
        // ramfs-like ones); nommu can, with the host's MMU.
        ctx.m.note_incompatibility("shared writable file mapping (MAP_SHARED|PROT_WRITE)");
    }
    let file = if flags & MAP_ANONYMOUS == 0 {
        let f = ctx.task.process.files().get(fd)?;
        // Generated /proc files cannot be mapped (as on Linux).
        Some(f.host_fd().map_err(|_| Errno::ENODEV)?)
    } else {
        None
    };
    let m = ctx.m;
    let mm = ctx.task.process.mm();
    let mut regions = mm.regions();

    let addr = if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
        if !page_aligned(hint) {
            return Err(Errno::EINVAL);
        }
        if regions.containing(hint, len).is_none() {
            log::warn!(
                "pid {}: mmap MAP_FIXED at {hint:#x} outside the process's own memory: not possible without an MMU",
                ctx.task.process.pid
            );
            return Err(Errno::EINVAL);
        }
        if flags & MAP_FIXED_NOREPLACE != 0 {
            return Err(Errno::EEXIST);
        }
        m.mem.set_inaccessible(hint, len, false)?;
        ctx.user().zero(hint, len as usize)?;
        hint
    } else {
        let addr = m.mem.alloc(len, PAGE_SIZE)?;
        regions.insert(addr, len, RegionKind::Mmap);
        addr
    };
    // The regions stay locked until the mapping is filled in: another
    // thread's munmap of this range must not free it under the copy (the
    // kernel's mmap holds mmap_lock the same way).
    let fresh = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) == 0;
    let undo = |regions: &mut crate::kernel::regions::Regions| {
        if fresh {
            regions.unmap(&m.mem, addr, len);
        }
    };

    if let (Some(host_fd), true) = (file, shared_file) {
        if let Err(e) = share_file(ctx, addr, len, host_fd, off, prot) {
            undo(&mut regions);
            return Err(e);
        }
        return Ok(addr);
    }
    if let Some(host_fd) = file {
        let code_key = (prot & PROT_EXEC != 0).then(|| code_key(host_fd, off, len)).flatten();
        if let Some(hit) = code_key.as_ref().and_then(|k| m.code.get(k)) {
            if hit.place(&m.mem, addr).is_ok() {
                return Ok(addr);
            }
        }
        // A private file mapping is a copy; bytes past EOF stay zero.
        let mut done = 0u64;
        while done < len {
            let n = match ctx.user().host_pread(host_fd, addr + done, (len - done) as usize, (off + done) as i64) {
                Ok(n) => n,
                Err(e) => {
                    undo(&mut regions);
                    return Err(e);
                }
            };
            if n == 0 {
                break;
            }
            done += n as u64;
        }
        if prot & PROT_EXEC != 0 {
            rewrite_new_code(ctx, &regions, addr, done);
            if let Some(key) = code_key {
                m.code.insert(&m.mem, key, addr, len);
            }
        }
    }
    if prot & PROT_ACCESS == 0 {
        if let Err(e) = m.mem.set_inaccessible(addr, len, true) {
            undo(&mut regions);
            return Err(e);
        }
    }
    Ok(addr)
}

/// What identifies `len` bytes at `offset` of the file behind `host_fd`.
fn code_key(host_fd: i32, offset: u64, len: u64) -> Option<crate::loader::codecache::CodeKey> {
    let st = crate::arch::host::fstatat_raw(host_fd, c"", libc::AT_EMPTY_PATH).ok()?;
    let file = crate::loader::cache::FileId::from_stat(&st);
    // Only regular files: their (device, inode, size, mtime) says whether
    // the content changed.
    let mode = u32::from_le_bytes(st[24..28].try_into().ok()?);
    (mode & libc::S_IFMT == libc::S_IFREG).then_some(crate::loader::codecache::CodeKey { file, offset, len })
}

const PROT_WRITE: u64 = 2;
const PROT_EXEC: u64 = 4;
/// PROT_READ | PROT_WRITE | PROT_EXEC: none of them is PROT_NONE.
const PROT_ACCESS: u64 = 7;

/// A writable MAP_SHARED file mapping: the file's pages themselves, mapped
/// by the host over the arena range, so that writes reach the file and
/// other processes (in the machine or not) see them. Pages past the end of
/// the file stay plain zeroed memory: nommu's own accesses to guest memory
/// must never fault, and beyond EOF a host mapping would (SIGBUS).
fn share_file(ctx: &SyscallCtx<'_>, addr: u64, len: u64, host_fd: i32, off: u64, prot: u64) -> SysResult<()> {
    let st = crate::arch::host::fstatat_raw(host_fd, c"", libc::AT_EMPTY_PATH)?;
    let size = u64::from_le_bytes(st[48..56].try_into().unwrap_or_default());
    let backed = if off < size { len.min(page_up(size - off)) } else { 0 };
    if backed == 0 {
        return Ok(());
    }
    ctx.m.mem.map_shared_file(addr, backed, host_fd, off, prot & PROT_EXEC != 0)
}

/// msync: shared file mappings are written back; everything else is
/// memory with no file behind it.
pub fn sys_msync(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    const MS_ASYNC: u64 = 1;
    const MS_INVALIDATE: u64 = 2;
    const MS_SYNC: u64 = 4;
    let (addr, len, flags) = (a[0], a[1], a[2]);
    if !page_aligned(addr) || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0 || flags & MS_ASYNC & (flags >> 2) != 0
    {
        return Err(Errno::EINVAL);
    }
    let len = page_up(len.min(1 << 47));
    if len == 0 {
        return Ok(0);
    }
    if ctx.task.process.mm().regions().containing(addr, len).is_none() {
        return Err(Errno::ENOMEM);
    }
    ctx.m.mem.msync(addr, len, flags as i32)?;
    Ok(0)
}

/// Code that becomes executable at run time (a file mapped or memory
/// mprotect'ed with PROT_EXEC) gets its syscall sites rewritten like an
/// exec'd image; whatever this misses (code written later into RWX memory)
/// the trap path catches and rewrites site by site.
/// `regions` (the process's, locked by the caller) must own the range for
/// as long as the sweep writes into it.
fn rewrite_new_code(ctx: &SyscallCtx<'_>, regions: &crate::kernel::regions::Regions, addr: u64, len: u64) {
    if len == 0 || addr.checked_add(len).is_none() || regions.containing(addr, len).is_none() {
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

pub fn sys_munmap(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let addr = a[0];
    if !page_aligned(addr) {
        return Err(Errno::EINVAL);
    }
    let len = checked_len(a[1]).map_err(|_| Errno::EINVAL)?;
    let mm = ctx.task.process.mm();
    let rsp = ctx.task.vcpu.regs().rsp;
    if (addr..addr + len).contains(&rsp.wrapping_sub(8)) {
        // A thread unmapping its own stack (musl's __unmapself) still makes
        // one syscall on it: `exit`, whose `call *%rax` pushes a return
        // address there. The pages go back to the arena when it exits.
        let pieces = mm.regions().detach(addr, len);
        ctx.task.deferred_free.extend(pieces);
        return Ok(0);
    }
    mm.regions().unmap(&ctx.m.mem, addr, len);
    Ok(0)
}

/// Without an MMU there is nothing to protect memory with, and every
/// mapping stays readable, writable and executable; nommu borrows the
/// host's MMU for one case: PROT_NONE pages really are inaccessible, so
/// guard pages (thread stacks, allocators' reservations) catch what they
/// are there to catch.
pub fn sys_mprotect(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (addr, prot) = (a[0], a[2]);
    if !page_aligned(addr) || prot & !0x0f00_000f != 0 {
        return Err(Errno::EINVAL);
    }
    let len = match checked_len(a[1]) {
        Ok(len) => len,
        Err(Errno::EINVAL) => return Ok(0),
        Err(e) => return Err(e),
    };
    let mm = ctx.task.process.mm();
    let regions = mm.regions();
    if !regions.covers(addr, len) {
        return Err(Errno::ENOMEM);
    }
    ctx.m.mem.set_inaccessible(addr, len, prot & PROT_ACCESS == 0)?;
    if prot & PROT_EXEC != 0 {
        rewrite_new_code(ctx, &regions, addr, len);
    }
    Ok(0)
}

pub fn sys_madvise(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (addr, len, advice) = (a[0], a[1], a[2]);
    if !page_aligned(addr) || advice > MADV_MAX {
        return Err(Errno::EINVAL);
    }
    if advice == MADV_DONTNEED && len > 0 {
        // Private anonymous pages read back as zero afterwards.
        let len = page_up(len);
        if ctx.task.process.mm().regions().containing(addr, len).is_none() {
            return Err(Errno::ENOMEM);
        }
        ctx.m.mem.arena.discard(addr, len);
    }
    Ok(0)
}

pub fn sys_mremap(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (old, old_len, new_len, flags) = (a[0], page_up(a[1]), a[2], a[3]);
    if !page_aligned(old) || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::EINVAL);
        }
        log::warn!("pid {}: mremap with MREMAP_FIXED/DONTUNMAP is not supported", ctx.task.process.pid);
        return Err(Errno::EINVAL);
    }
    let new_len = checked_len(new_len).map_err(|_| Errno::EINVAL)?;
    if old_len == 0 {
        return Err(Errno::EINVAL);
    }
    let m = ctx.m;
    let mm = ctx.task.process.mm();
    let mut regions = mm.regions();
    let region = regions.containing(old, old_len).ok_or(Errno::EFAULT)?;
    if new_len <= old_len {
        regions.unmap(&m.mem, old + new_len, old_len - new_len);
        return Ok(old);
    }
    // Like a VMA's protection, an inaccessible end carries over to the
    // part the mapping grows by.
    let tail_inaccessible = m.mem.is_inaccessible(old + old_len - PAGE_SIZE, PAGE_SIZE);
    let whole = region.start == old && region.len == old_len;
    if whole && regions.resize(&m.mem, old, new_len).is_ok() {
        if tail_inaccessible {
            m.mem.set_inaccessible(old + old_len, new_len - old_len, true)?;
        }
        return Ok(old);
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    let new = m.mem.alloc(new_len, PAGE_SIZE)?;
    let inaccessible = m.mem.inaccessible_pages(old, old_len);
    if !inaccessible.is_empty() {
        // The old pages are freed below; their contents move first.
        m.mem.set_inaccessible(old, old_len, false)?;
    }
    if let Err(e) = m.mem.user.copy_within(old, new, old_len as usize) {
        m.mem.free(new, new_len);
        return Err(e);
    }
    for (off, len) in page_runs(&inaccessible) {
        m.mem.set_inaccessible(new + off, len, true)?;
    }
    if tail_inaccessible {
        m.mem.set_inaccessible(new + old_len, new_len - old_len, true)?;
    }
    // Rewritten syscall sites move with the code (the old ones are
    // forgotten when the old pages are freed).
    for site in m.mem.sites.collect_range(old, old_len) {
        m.mem.sites.insert(new + (site - old));
    }
    regions.insert(new, new_len, region.kind);
    regions.unmap(&m.mem, old, old_len);
    Ok(new)
}

/// Runs of consecutive page offsets, as (offset, length).
fn page_runs(offsets: &[u64]) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &off in offsets {
        match runs.last_mut() {
            Some((start, len)) if *start + *len == off => *len += PAGE_SIZE,
            _ => runs.push((off, PAGE_SIZE)),
        }
    }
    runs
}

/// brk on no-MMU Linux: the break may move within [start_brk, end_brk],
/// and binfmt_elf_fdpic sets end_brk = start_brk, so it never grows.
/// Allocators fall back to mmap, as they do on real no-MMU systems.
pub fn sys_brk(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let mm = ctx.task.process.mm();
    let mut regions = mm.regions();
    if a[0] >= regions.start_brk && a[0] <= regions.brk {
        regions.brk = a[0];
    }
    Ok(regions.brk)
}
