//! mremap: an MMU kernel's answers under the permissive profile, mm/nommu.c's
//! (`strict::mremap`) under `--strict`.

#![deny(clippy::arithmetic_side_effects)]

use super::strict::{self, under_rules};
use super::{munmap_range, overlap, page_aligned, SyscallCtx};
use crate::abi::mman::{MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE};
use crate::errno::{Errno, SysResult};
use crate::kernel::regions::MapInfo;
use crate::mm::{page_align_wrapping, PAGE_SIZE, TASK_SIZE};
use crate::syscall::args::{Flags, Opaque, UserPtr};

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
///
/// Under `--strict`, nommu.c's `do_mremap` decides (`strict::mremap`):
/// a mapping only changes size, in place, within its block; nothing
/// moves, and the block stays whole when the mapping shrinks.
pub(crate) fn sys_mremap(
    ctx: &mut SyscallCtx<'_>,
    old_address: UserPtr<Opaque>,
    old_size: usize,
    new_size: usize,
    flags: Flags,
    new_address: UserPtr<Opaque>,
) -> SysResult {
    let (old, flags, new_addr) = (old_address.addr(), flags.0, new_address.addr());
    let (old_size, new_size) = (old_size as u64, new_size as u64);
    under_rules(ctx, |ctx, rules| {
        let mm = ctx.task.process.mm();
        let nommu = {
            let regions = mm.regions();
            let vmas = strict::vmas(&regions, old, old.saturating_add(1));
            strict::mremap(&vmas, old, old_size, new_size, flags, new_addr)
        };
        rules.check(nommu.err(), || strict::mremap_call(nommu.err(), flags))?;
        let mut regions = mm.regions();
        if let (Ok((vma, new_len)), true) = (nommu, rules.strict()) {
            // The VMA changes, its block does not (nommu.c: "vma->vm_end =
            // vma->vm_start + new_len").
            let info = strict::vma_resized(vma, new_len);
            regions.mappings.insert(vma.start, info);
            return Ok(vma.start);
        }
        drop(regions);
        let new = mremap(ctx, old, old_size, new_size, flags, new_addr)?;
        if new != old {
            let mut regions = mm.regions();
            let moved = regions.mappings.remove(&old);
            let len = page_align_wrapping(new_size);
            if let Some(info) = moved {
                regions.mappings.insert(new, MapInfo { region_len: len, vma_len: len, ..info });
            }
        }
        Ok(new)
    })
}

fn mremap(ctx: &mut SyscallCtx<'_>, old: u64, old_size: u64, new_size: u64, flags: u64, new_addr: u64) -> SysResult {
    let (old_len, new_len) = (page_align_wrapping(old_size), page_align_wrapping(new_size));
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
