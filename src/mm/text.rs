//! A program's read-only pages (text, rodata) mapped from the image cache
//! (docs/architecture.md, "Exec without copying", step 2). They are a
//! private read-execute host mapping of the cache's sealed memfd, shared
//! by every process running the program, and they are not committed:
//! as Linux does not account a private read-only file mapping, a process
//! is charged only for what it can write. The `readonly` map
//! (`UserMemory::readonly`) marks them:
//! - the guest writing them faults (SIGSEGV, SEGV_ACCERR), as natively;
//! - syscalls writing them answer EFAULT (`UserMemory::writable`);
//! - nommu's own code patches (rewriting a syscall site) are Linux's
//!   FOLL_FORCE: the page is opened for the store (`forced`), which gives
//!   the process its own copy of it, still uncommitted;
//! - `mprotect(PROT_WRITE)` (a JIT, a debugger-like patcher) commits them
//!   and makes them plain memory (`make_writable`), ENOMEM past `--mem`;
//! - made inaccessible (`set_inaccessible`) or freed they are plain
//!   memory too.

use super::{arena, checked_page_up, Memory, UserMemory, PAGE_SIZE};
use crate::errno::{Errno, SysResult};
use vm_memory::{Bytes, GuestAddress};

impl UserMemory {
    /// Runs `f`, nommu's own write into [addr, addr+len), with the
    /// read-only pages there writable for it (each becomes this mapping's
    /// own copy): Linux's FOLL_FORCE. One such write at a time, so that no
    /// page is closed under another.
    pub(crate) fn forced<R>(&self, addr: u64, len: u64, f: impl FnOnce() -> R) -> SysResult<R> {
        if !self.readonly.overlaps(addr, len) {
            return Ok(f());
        }
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let first = addr & !(PAGE_SIZE - 1);
        let end = addr.checked_add(len).and_then(checked_page_up).ok_or(Errno::EFAULT)?;
        let runs = self.readonly.runs(first, end.saturating_sub(first), true);
        for (i, &(s, l)) in runs.iter().enumerate() {
            if arena::set_protection(s, l, arena::RWX).is_err() {
                for &(s, l) in &runs[..i] {
                    let _ = arena::set_protection(s, l, arena::RX);
                }
                return Err(Errno::EFAULT);
            }
        }
        let r = f();
        for &(s, l) in &runs {
            if let Err(e) = arena::set_protection(s, l, arena::RX) {
                log::error!("cannot make {s:#x}+{l:#x} read-only again: {e}");
            }
        }
        Ok(r)
    }

    /// Writes code (a rewritten syscall site) into guest memory, read-only
    /// text included (`forced`); guard pages are EFAULT.
    pub(crate) fn write_code(&self, addr: u64, buf: &[u8]) -> SysResult<()> {
        self.unguarded(addr, buf.len())?;
        self.forced(addr, buf.len() as u64, || {
            self.with_mem(addr, buf.len(), |m| m.write_slice(buf, GuestAddress(addr))).map_err(|_| Errno::EFAULT)
        })?
    }
}

impl Memory {
    /// Makes [addr, addr+len) (arena memory the caller owns, allocated
    /// with `alloc_overwritten`, which did not commit it) a private
    /// read-execute mapping of `len` bytes of host file `fd` at `off`: an
    /// image's read-only pages from the image cache's memfd.
    pub(crate) fn map_readonly_file(&self, addr: u64, len: u64, fd: i32, off: u64) -> SysResult<()> {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let len = checked_page_up(len).filter(|&l| self.arena.contains(addr, l)).ok_or(Errno::EINVAL)?;
        self.arena.map_readonly_file(addr, len, fd, off).map_err(Errno::from)?;
        self.user.readonly.set(addr, len, true);
        shared.insert(addr, len);
        Ok(())
    }

    /// Makes the read-only text in [addr, addr+len) plain writable memory,
    /// committing it (ENOMEM past `--mem`, nothing changed): an
    /// `mprotect(PROT_WRITE)` of it, as Linux's `mprotect_fixup` accounts
    /// a private file mapping that becomes writable.
    pub(crate) fn make_writable(&self, addr: u64, len: u64) -> SysResult<()> {
        if !self.user.readonly.overlaps(addr, len) {
            return Ok(());
        }
        let mut commit = self.commit();
        let runs = self.user.readonly.runs(addr, len, true);
        let bytes = if self.lazy { runs.iter().map(|&(_, l)| l).sum::<u64>() } else { 0 };
        if !commit.charge(bytes) {
            return Err(Errno::ENOMEM);
        }
        for (s, l) in runs {
            if let Err(e) = arena::set_protection(s, l, arena::RWX) {
                log::error!("cannot make {s:#x}+{l:#x} writable: {e}");
                // What is still marked stays read-only and uncommitted.
                let left = if self.lazy { self.user.readonly.count(addr, len).saturating_mul(PAGE_SIZE) } else { 0 };
                commit.uncharge(left);
                return Err(Errno::ENOMEM);
            }
            self.user.readonly.set(s, l, false);
        }
        Ok(())
    }
}
