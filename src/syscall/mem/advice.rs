//! The calls that advise about memory, sync it or lock it: msync,
//! madvise, mlock, mlock2, munlock. A no-MMU kernel has none of them
//! (`strict::NOT_BUILT`); the permissive profile answers as an MMU
//! kernel does, and the report lists the calls that succeeded.

#![deny(clippy::arithmetic_side_effects)]

use super::strict::{self, under_rules};
use super::{page_aligned, SyscallCtx};
use crate::abi::capability::CAP_IPC_LOCK;
use crate::abi::mman::{
    MADV_COLLAPSE, MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_FREE, MADV_GUARD_INSTALL, MADV_GUARD_REMOVE, MADV_NORMAL,
    MLOCK_ONFAULT, MS_ASYNC, MS_INVALIDATE, MS_SYNC,
};
use crate::errno::{Errno, SysResult};
use crate::mm::{page_align_wrapping, page_down, page_offset, PAGE_SIZE};
use crate::syscall::arg_i32;
use crate::syscall::args::{Flags, Opaque, UserPtr};

/// msync's flags: MS_ASYNC, MS_INVALIDATE and MS_SYNC, not MS_ASYNC with
/// MS_SYNC.
pub(super) fn msync_flags_valid(flags: i32) -> bool {
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
    under_rules(ctx, |ctx, rules| {
        rules.check(strict::NOT_BUILT, || format!("msync({})", msync_flags_name(flags)))?;
        msync(ctx, addr, length, flags)
    })
}

/// How the report names msync's flags.
fn msync_flags_name(flags: i32) -> String {
    let names: Vec<&str> = [(MS_ASYNC, "MS_ASYNC"), (MS_INVALIDATE, "MS_INVALIDATE"), (MS_SYNC, "MS_SYNC")]
        .iter()
        .filter(|&&(bit, _)| flags & bit != 0)
        .map(|&(_, name)| name)
        .collect();
    if names.is_empty() {
        "0".to_string()
    } else {
        names.join("|")
    }
}

fn msync(ctx: &mut SyscallCtx<'_>, addr: u64, length: usize, flags: i32) -> SysResult {
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

/// The advice values Linux knows (`madvise_behavior_valid`, mm/madvise.c,
/// for a kernel with KSM and transparent huge pages, without
/// CONFIG_MEMORY_FAILURE: nommu cannot inject memory errors).
pub(super) fn madvise_behavior_valid(advice: i32) -> bool {
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
    under_rules(ctx, |ctx, rules| {
        rules.check(strict::NOT_BUILT, || format!("madvise({})", advice_name(advice)))?;
        madvise(ctx, addr.addr(), length as u64, advice)
    })
}

/// How the report names an advice.
fn advice_name(advice: i32) -> String {
    let name = match advice {
        0 => "MADV_NORMAL",
        1 => "MADV_RANDOM",
        2 => "MADV_SEQUENTIAL",
        3 => "MADV_WILLNEED",
        4 => "MADV_DONTNEED",
        8 => "MADV_FREE",
        9 => "MADV_REMOVE",
        10 => "MADV_DONTFORK",
        11 => "MADV_DOFORK",
        14 => "MADV_HUGEPAGE",
        15 => "MADV_NOHUGEPAGE",
        16 => "MADV_DONTDUMP",
        17 => "MADV_DODUMP",
        18 => "MADV_WIPEONFORK",
        _ => return format!("advice {advice}"),
    };
    name.to_string()
}

fn madvise(ctx: &mut SyscallCtx<'_>, addr: u64, len_in: u64, advice: i32) -> SysResult {
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
            ctx.m.mem.forget_discarded_sites(start, len);
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

/// mlock(2). A no-MMU machine's memory never pages out, so locking
/// changes nothing; the answers are those of `do_mlock` and
/// `apply_vma_lock_flags` (mm/mlock.c).
pub(crate) fn sys_mlock(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, len: usize) -> SysResult {
    under_rules(ctx, |ctx, rules| {
        rules.check(strict::NOT_BUILT, || "mlock".to_string())?;
        lock_range(ctx, addr.addr(), len as u64, true)
    })
}

/// mlock2(2): mlock with flags; only MLOCK_ONFAULT exists (else EINVAL).
/// The flags are an int: only their low 32 bits count.
pub(crate) fn sys_mlock2(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, len: usize, flags: Flags) -> SysResult {
    under_rules(ctx, |ctx, rules| {
        rules.check(strict::NOT_BUILT, || "mlock2".to_string())?;
        if arg_i32(flags.0) & !MLOCK_ONFAULT != 0 {
            return Err(Errno::EINVAL);
        }
        lock_range(ctx, addr.addr(), len as u64, true)
    })
}

/// munlock(2): as mlock, without the privilege checks.
pub(crate) fn sys_munlock(ctx: &mut SyscallCtx<'_>, addr: UserPtr<Opaque>, len: usize) -> SysResult {
    under_rules(ctx, |ctx, rules| {
        rules.check(strict::NOT_BUILT, || "munlock".to_string())?;
        lock_range(ctx, addr.addr(), len as u64, false)
    })
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
