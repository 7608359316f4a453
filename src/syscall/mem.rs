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

use super::args::{Fd, Flags, MapFlags, Opaque, Prot, ProtLong, UserPtr};
use super::{arg_i32, SyscallCtx};
use crate::abi::capability::CAP_IPC_LOCK;
use crate::abi::fcntl::{AT_EMPTY_PATH, F_GETFL, MAX_LFS_FILESIZE, O_ACCMODE, O_PATH, O_RDONLY, O_WRONLY};
use crate::abi::mman::{
    MADV_COLLAPSE, MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_FREE, MADV_GUARD_INSTALL, MADV_GUARD_REMOVE, MADV_NORMAL,
    MAP_ANONYMOUS, MAP_DROPPABLE, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_LOCKED, MAP_PRIVATE, MAP_SHARED,
    MAP_SHARED_VALIDATE, MAP_TYPE, MAX_ERRNO, MLOCK_ONFAULT, MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, MS_ASYNC,
    MS_INVALIDATE, MS_SYNC, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_SEM, PROT_WRITE,
};
use crate::abi::stat::{S_IFBLK, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK};
use crate::errno::{Errno, SysResult};
use crate::fs::OpenFile;
use crate::kernel::regions::{RegionKind, Regions};
use crate::mm::{checked_page_up, page_align_wrapping, page_down, page_offset, PAGE_SIZE, TASK_SIZE};

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
pub(crate) fn sys_mmap(
    ctx: &mut SyscallCtx<'_>,
    addr: UserPtr<Opaque>,
    length: usize,
    prot: Prot,
    flags: MapFlags,
    fd: Fd,
    offset: u64,
) -> SysResult {
    let (hint, len, prot, flags, off) = (addr.addr(), length as u64, u64::from(prot.0), u64::from(flags.0), offset);
    if !page_aligned(off) {
        return Err(Errno::EINVAL);
    }
    let open_file = if flags & MAP_ANONYMOUS == 0 { Some(ctx.task.process.files().get(fd.0)?) } else { None };
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
    let shared_file = file.is_some() && kind != MAP_PRIVATE && prot & PROT_WRITE != 0;
    if shared_file {
        // A no-MMU kernel cannot share a writable file mapping (only
        // ramfs-like ones); nommu can, with the host's MMU.
        m.note_incompatibility("shared writable file mapping (MAP_SHARED|PROT_WRITE)");
    }

    // Anonymous PROT_NONE memory is address space only: it costs no
    // memory until made accessible (reservations, guard areas).
    let reservation = file.is_none() && prot & PROT_ACCESS == 0;
    let addr = if fixed && reservation {
        m.mem.set_inaccessible(hint, len, true)?;
        m.mem.arena.discard(hint, len);
        return Ok(hint);
    } else if fixed {
        m.mem.set_inaccessible(hint, len, false)?;
        m.mem.make_writable(hint, len)?;
        ctx.user().zero(hint, usize::try_from(len).map_err(|_| Errno::ENOMEM)?)?;
        hint
    } else if reservation {
        let addr = m.mem.alloc_inaccessible(len, PAGE_SIZE)?;
        regions.insert(addr, len, RegionKind::Mmap);
        return Ok(addr);
    } else {
        let addr = m.mem.alloc(len, PAGE_SIZE)?;
        regions.insert(addr, len, RegionKind::Mmap);
        addr
    };
    // The regions stay locked until the mapping is filled in: another
    // thread's munmap of this range must not free it under the copy (the
    // kernel's mmap holds mmap_lock the same way).
    let undo = |regions: &mut Regions| {
        if !fixed {
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
    if prot & PROT_ACCESS == 0 {
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
    let st = crate::arch::host::fstatat(host_fd, c"", AT_EMPTY_PATH)?;
    // A size is never negative; a nonsense one maps nothing of the file.
    let size = u64::try_from(st.st_size).unwrap_or(0);
    let in_file = size.saturating_sub(off);
    let backed = checked_page_up(in_file).map_or(len, |n| n.min(len));
    if backed == 0 {
        return Ok(());
    }
    ctx.m.mem.map_shared_file(addr, backed, host_fd, off, prot & PROT_EXEC != 0)
}

/// msync's flags: MS_ASYNC, MS_INVALIDATE and MS_SYNC, not MS_ASYNC with
/// MS_SYNC.
fn msync_flags_valid(flags: i32) -> bool {
    flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) == 0 && !(flags & MS_ASYNC != 0 && flags & MS_SYNC != 0)
}

/// msync(2), as mm/msync.c checks it: unknown flags, an unaligned
/// address, or MS_ASYNC with MS_SYNC are EINVAL; the length is rounded up
/// to a page the way Linux does it, so one that wraps to 0 is no length
/// at all (0), while a range that then ends past 2^64 is ENOMEM; memory
/// not mapped in the range is ENOMEM, after syncing what is (at once for
/// MS_ASYNC alone). Shared file mappings are written back; everything
/// else is memory with no file behind it.
/// The flags are an int: only their low 32 bits count.
pub(crate) fn sys_msync(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, length: usize, flags: Flags) -> SysResult {
    let (addr, flags) = (addr.addr(), arg_i32(flags.0));
    if !msync_flags_valid(flags) || !page_aligned(addr) {
        return Err(Errno::EINVAL);
    }
    let len = page_align_wrapping(length as u64);
    if addr.checked_add(len).is_none() {
        return Err(Errno::ENOMEM);
    }
    if len == 0 {
        return Ok(0);
    }
    let mm = ctx.task.process.mm();
    let regions = mm.regions();
    let mapped = regions.covers(addr, len);
    if !mapped && flags == MS_ASYNC {
        return Err(Errno::ENOMEM);
    }
    for (start, len) in regions.pieces(addr, len) {
        ctx.m.mem.msync(start, len, flags)?;
    }
    if mapped {
        Ok(0)
    } else {
        Err(Errno::ENOMEM)
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
/// unmapped parts.
pub(crate) fn sys_munmap(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, length: usize) -> SysResult {
    let addr = addr.addr();
    let end = munmap_range(addr, length as u64)?;
    let len = end.saturating_sub(addr);
    let mm = ctx.task.process.mm();
    let rsp = ctx.task.vcpu.regs().rsp;
    if (addr..end).contains(&rsp.wrapping_sub(8)) {
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
pub(crate) fn sys_mprotect(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, len: usize, prot: ProtLong) -> SysResult {
    let (addr, len) = (addr.addr(), len as u64);
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

/// The advice values Linux knows (`madvise_behavior_valid`, mm/madvise.c,
/// for a kernel with KSM and transparent huge pages, without
/// CONFIG_MEMORY_FAILURE: nommu cannot inject memory errors).
fn madvise_behavior_valid(advice: i32) -> bool {
    matches!(
        advice,
        MADV_NORMAL..=MADV_DONTNEED | MADV_FREE..=MADV_COLLAPSE | MADV_GUARD_INSTALL | MADV_GUARD_REMOVE
    )
}

/// madvise(2), as `madvise_should_skip` and `madvise_walk_vmas`
/// (mm/madvise.c) check it: an unknown advice, an unaligned address, a
/// length that wraps to 0 when rounded up to a page, or a range ending
/// past 2^64 are EINVAL; an empty range does nothing; memory not mapped
/// in the range is ENOMEM, after advising what is. MADV_DONTNEED gives
/// the pages back to the host (they read back as zero), MADV_FREE lets
/// the host take them when it likes; neither changes what is committed
/// (as on Linux). Other advice changes nothing.
pub(crate) fn sys_madvise(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, length: usize, advice: i32) -> SysResult {
    let (addr, len_in) = (addr.addr(), length as u64);
    if !madvise_behavior_valid(advice) || !page_aligned(addr) {
        return Err(Errno::EINVAL);
    }
    let len = page_align_wrapping(len_in);
    if (len_in != 0 && len == 0) || addr.checked_add(len).is_none() {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let mm = ctx.task.process.mm();
    let regions = mm.regions();
    if matches!(advice, MADV_DONTNEED | MADV_DONTNEED_LOCKED) {
        for (start, len) in regions.pieces(addr, len) {
            ctx.m.mem.arena.discard(start, len);
        }
    }
    if advice == MADV_FREE {
        // The host may take the pages back, as it would natively.
        for (start, len) in regions.pieces(addr, len) {
            ctx.m.mem.arena.free_lazily(start, len);
        }
    }
    if regions.covers(addr, len) {
        Ok(0)
    } else {
        Err(Errno::ENOMEM)
    }
}

/// mremap(2). The checks are Linux's (mm/mremap.c): `do_mremap` rounds
/// both lengths up to pages (wrapping to 0); `check_mremap_params`: unknown
/// flags, an unaligned address, a new length of 0 or past TASK_SIZE are
/// EINVAL, and so are a bad target for MREMAP_FIXED/MREMAP_DONTUNMAP;
/// `check_prep_vma`: an address in no mapping is EFAULT. Then: the same
/// length changes nothing; a shorter one unmaps the tail as munmap would
/// (its checks included: an old length reaching past TASK_SIZE is EINVAL,
/// and nothing is unmapped); a longer one needs a non-zero old length
/// (EINVAL) inside one mapping (EFAULT), and grows in place when the old
/// range ends where the mapping does and the pages after it are free,
/// else moves (with MREMAP_MAYMOVE) or fails (ENOMEM).
pub(crate) fn sys_mremap(
    ctx: &mut SyscallCtx<'_>,
    old_address: UserPtr<Opaque>,
    old_size: usize,
    new_size: usize,
    flags: Flags,
    new_address: UserPtr<Opaque>,
) -> SysResult {
    let (old, flags, new_addr) = (old_address.addr(), flags.0, new_address.addr());
    let (old_len, new_len) = (page_align_wrapping(old_size as u64), page_align_wrapping(new_size as u64));
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
        || !page_aligned(old)
        || new_len == 0
        || new_len > TASK_SIZE
    {
        return Err(Errno::EINVAL);
    }
    let m = ctx.m;
    let mm = ctx.task.process.mm();
    let mut regions = mm.regions();
    if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
        // new_len ≤ TASK_SIZE (checked above).
        if new_addr > TASK_SIZE.saturating_sub(new_len)
            || !page_aligned(new_addr)
            || flags & MREMAP_MAYMOVE == 0
            || (flags & MREMAP_DONTUNMAP != 0 && old_len != new_len)
            || overlap(old, old_len, new_addr, new_len)
        {
            return Err(Errno::EINVAL);
        }
        regions.at(old).ok_or(Errno::EFAULT)?;
        log::warn!("pid {}: mremap with MREMAP_FIXED/DONTUNMAP is not supported", ctx.task.process.pid);
        return Err(Errno::EINVAL);
    }
    let region = regions.at(old).ok_or(Errno::EFAULT)?;
    if new_len == old_len {
        return Ok(old);
    }
    if let Some(shrink) = old_len.checked_sub(new_len) {
        // old lies in a region, below 2^64 - TASK_SIZE: cannot wrap.
        let tail = old.saturating_add(new_len);
        let end = munmap_range(tail, shrink)?;
        regions.unmap(&m.mem, tail, end.saturating_sub(tail));
        return Ok(old);
    }
    if old_len == 0 {
        // Linux refuses to "duplicate" a private mapping.
        return Err(Errno::EINVAL);
    }
    let old_end = old.checked_add(old_len).filter(|&end| end <= region.end()).ok_or(Errno::EFAULT)?;
    if m.mem.mixed_access(old, old_len) {
        // Accessible and PROT_NONE pages are two mappings to Linux, and
        // what grows must lie in one.
        return Err(Errno::EFAULT);
    }
    let grow = new_len.saturating_sub(old_len); // new_len > old_len here
                                                // Like a VMA's protection, an inaccessible end carries over to the
                                                // part the mapping grows by (old_len ≥ a page).
    let tail_inaccessible = m.mem.is_inaccessible(old_end.saturating_sub(PAGE_SIZE), PAGE_SIZE);
    if old_end == region.end() {
        let grown = region.len.checked_add(grow).ok_or(Errno::ENOMEM)?;
        if regions.resize(&m.mem, region.start, grown, !tail_inaccessible).is_ok() {
            return Ok(old);
        }
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    // The new mapping starts inaccessible, and becomes accessible (memory)
    // where the old one is; its contents move, then the old one goes.
    let new = m.mem.alloc_inaccessible(new_len, PAGE_SIZE)?;
    // Both inside the arena: nothing here wraps.
    let new_old_end = new.saturating_add(old_len);
    let mut accessible = m.mem.accessible_runs(old, old_len);
    for r in &mut accessible {
        r.0 = new.saturating_add(r.0.saturating_sub(old));
    }
    if !tail_inaccessible {
        accessible.push((new_old_end, grow));
    }
    let moved = accessible
        .iter()
        .try_for_each(|&(at, len)| m.mem.set_inaccessible(at, len, false))
        .and_then(|()| m.mem.move_contents(old, new, old_len));
    if let Err(e) = moved {
        m.mem.free(new, new_len);
        return Err(e);
    }
    // Rewritten syscall sites move with the code (the old ones are
    // forgotten when the old pages are freed).
    for site in m.mem.sites.collect_range(old, old_len) {
        m.mem.sites.insert(new.saturating_add(site.saturating_sub(old)));
    }
    regions.insert(new, new_len, region.kind);
    regions.unmap(&m.mem, old, old_len);
    Ok(new)
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

/// mlock(2). A no-MMU machine's memory never pages out, so locking
/// changes nothing; the answers are those of `do_mlock` and
/// `apply_vma_lock_flags` (mm/mlock.c).
pub(crate) fn sys_mlock(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, len: usize) -> SysResult {
    lock_range(ctx, addr.addr(), len as u64, true)
}

/// mlock2(2): mlock with flags; only MLOCK_ONFAULT exists (else EINVAL).
/// The flags are an int: only their low 32 bits count.
pub(crate) fn sys_mlock2(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, len: usize, flags: Flags) -> SysResult {
    if arg_i32(flags.0) & !MLOCK_ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    lock_range(ctx, addr.addr(), len as u64, true)
}

/// munlock(2): as mlock, without the privilege checks.
pub(crate) fn sys_munlock(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, len: usize) -> SysResult {
    lock_range(ctx, addr.addr(), len as u64, false)
}

/// Linux's checks for m(un)lock, in order: locking needs RLIMIT_MEMLOCK
/// above 0 or CAP_IPC_LOCK (EPERM); the range is widened to whole pages
/// with Linux's own wrapping arithmetic (so a length that wraps to 0 is
/// no length); more pages than RLIMIT_MEMLOCK allows is ENOMEM without
/// CAP_IPC_LOCK; a range ending past 2^64 is EINVAL; a hole in it ENOMEM.
/// No page is ever locked here, so the limit counts this call's only.
fn lock_range(ctx: &mut SyscallCtx<'_>, start: u64, len: u64, lock: bool) -> SysResult {
    let limit = ctx.task.process.rlimits().get(crate::abi::resource::RLIMIT_MEMLOCK).0;
    if lock && limit == 0 && !can_lock_any_amount() {
        return Err(Errno::EPERM);
    }
    // PAGE_ALIGN(len + offset_in_page(start)): Linux's wrap included.
    let len = page_align_wrapping(len.wrapping_add(page_offset(start)));
    let start = page_down(start);
    if lock && len / PAGE_SIZE > limit / PAGE_SIZE && !can_lock_any_amount() {
        return Err(Errno::ENOMEM);
    }
    if start.checked_add(len).is_none() {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    if !ctx.task.process.mm().regions().covers(start, len) {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}

/// CAP_IPC_LOCK: whether the host would let this process lock memory
/// past RLIMIT_MEMLOCK (what a native run of the guest would get).
fn can_lock_any_amount() -> bool {
    static CAN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CAN.get_or_init(|| {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .and_then(|caps| u64::from_str_radix(caps.trim(), 16).ok())
            .is_some_and(|caps| caps & (1 << CAP_IPC_LOCK) != 0)
    })
}

#[cfg(test)]
mod tests;
