//! The arena: one read-write-execute reservation that is all guest memory.
//! No MMU: guest address == host address (docs/architecture.md, invariant 7).

pub struct Arena {
    base: u64,
    len: usize,
}

impl Arena {
    /// Reserves `size` bytes (rounded up to pages) of read-write-execute
    /// address space with MAP_NORESERVE: the host charges nothing for it
    /// (under its default overcommit policies), and a page costs host
    /// memory only once touched. What the guest may have committed is
    /// counted by `Memory`, not by the host.
    pub(crate) fn reserve(size: u64) -> std::io::Result<Arena> {
        let size = super::checked_page_up(size)
            .and_then(|s| usize::try_from(s).ok())
            .ok_or_else(|| std::io::Error::from_raw_os_error(libc::ENOMEM))?;
        // Read-write-execute from the start: one host call (a read-write
        // mapping made executable by mprotect was two).
        // SAFETY: a fresh anonymous mapping where the kernel chooses;
        // nothing else refers to it.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                size,
                RWX,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Arena { base: p as u64, len: size })
    }

    /// Reserves `want` bytes of address space, or less down to `at_least`
    /// (halving) when the host refuses (RLIMIT_AS, a small address space).
    /// Under strict overcommit (vm.overcommit_memory = 2) MAP_NORESERVE is
    /// ignored and every reserved byte would be charged to the host's
    /// commit limit, so only `at_least` is asked for there.
    pub(crate) fn reserve_up_to(want: u64, at_least: u64) -> std::io::Result<Arena> {
        let mut size = if host_overcommit_is_strict() { at_least } else { want.max(at_least) };
        loop {
            match Arena::reserve(size) {
                Ok(a) => return Ok(a),
                Err(e) if size <= at_least => return Err(e),
                Err(e) => {
                    log::info!("cannot reserve {} MiB of address space ({e}): trying half", size >> 20);
                    size = (size / 2).max(at_least);
                }
            }
        }
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn size(&self) -> u64 {
        self.len as u64
    }

    /// The first address past the arena (a host mapping: below 2^64).
    pub(crate) fn end(&self) -> u64 {
        self.base().saturating_add(self.size())
    }

    pub fn contains(&self, addr: u64, len: u64) -> bool {
        addr >= self.base() && addr.checked_add(len).is_some_and(|end| end <= self.end())
    }

    /// Zeroes [addr, addr+len) in place (pages that stay populated).
    pub(crate) fn zero(&self, addr: u64, len: u64) {
        if len == 0 || !self.contains(addr, len) {
            return;
        }
        // SAFETY: the range lies inside our read-write mapping and belongs
        // to the caller, who just allocated it.
        unsafe { core::ptr::write_bytes(addr as *mut u8, 0, len as usize) };
    }

    /// Gives pages back to the host; they read as zero afterwards.
    pub(crate) fn discard(&self, addr: u64, len: u64) {
        if len == 0 || !self.contains(addr, len) {
            return;
        }
        // SAFETY: the range lies inside our own arena; MADV_DONTNEED there
        // only drops pages: anonymous ones read as zero again, a private
        // file mapping's as the file (Linux's answer to the guest's own
        // MADV_DONTNEED; nommu's callers end file mappings first).
        unsafe { libc::madvise(addr as *mut libc::c_void, len as usize, libc::MADV_DONTNEED) };
    }

    /// MADV_FREE: the host may take the pages back whenever it likes (they
    /// then read as zero) until they are written again, as natively.
    pub(crate) fn free_lazily(&self, addr: u64, len: u64) {
        if len == 0 || !self.contains(addr, len) {
            return;
        }
        // SAFETY: the range lies inside our private anonymous mapping;
        // MADV_FREE there only lets the host zero-fill those pages.
        unsafe { libc::madvise(addr as *mut libc::c_void, len as usize, libc::MADV_FREE) };
    }

    /// Copies `len` bytes from `from` to `to`, two ranges of the arena that
    /// do not overlap and that the host has accessible.
    pub(crate) fn copy(&self, from: u64, to: u64, len: u64) {
        let apart = from.checked_add(len).is_some_and(|e| e <= to) || to.checked_add(len).is_some_and(|e| e <= from);
        if len == 0 || !self.contains(from, len) || !self.contains(to, len) || !apart {
            return;
        }
        // SAFETY: both ranges lie inside our read-write mapping, do not
        // overlap, and belong to the caller (a mapping being moved).
        unsafe { core::ptr::copy_nonoverlapping(from as *const u8, to as *mut u8, len as usize) };
    }

    /// The runs of [addr, addr+len) (whole pages) the host has memory
    /// for (mincore), in order: what an inaccessible range may hold.
    pub(crate) fn resident_runs(&self, addr: u64, len: u64) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        let Ok(pages) = usize::try_from(len / super::PAGE_SIZE) else { return out };
        if pages == 0 || !self.contains(addr, len) || !addr.is_multiple_of(super::PAGE_SIZE) {
            return out;
        }
        let mut vec = vec![0u8; pages];
        // SAFETY: the range lies inside our own mapping; mincore writes one
        // byte per page into `vec`, which has that many.
        let rc = unsafe { libc::mincore(addr as *mut libc::c_void, len as usize, vec.as_mut_ptr()) };
        if rc != 0 {
            // Cannot tell: all of it may hold something.
            return vec![(addr, len)];
        }
        for (i, v) in vec.iter().enumerate() {
            if v & 1 == 0 {
                continue;
            }
            // A page of the range: below addr + len.
            let at = addr.saturating_add((i as u64).saturating_mul(super::PAGE_SIZE));
            match out.last_mut() {
                Some((s, l)) if s.saturating_add(*l) == at => *l = l.saturating_add(super::PAGE_SIZE),
                _ => out.push((at, super::PAGE_SIZE)),
            }
        }
        out
    }

    /// Makes [addr, addr+len) inaccessible to everyone (a guard page), or
    /// read-write-execute again.
    pub(crate) fn protect(&self, addr: u64, len: u64, guard: bool) -> std::io::Result<()> {
        if len == 0 || !self.contains(addr, len) {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        }
        let prot = if guard { libc::PROT_NONE } else { libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC };
        // SAFETY: the range lies inside our own mapping; nommu never
        // accesses guard pages (uaccess checks the guard map first).
        let rc = unsafe { libc::mprotect(addr as *mut libc::c_void, len as usize, prot) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Maps `len` bytes of host file `fd` at `off` over [addr, addr+len),
    /// shared: writes reach the file and every other mapping of it. The
    /// host MMU does what the guest's machine has none for.
    pub(crate) fn map_shared_file(&self, addr: u64, len: u64, fd: i32, off: u64, exec: bool) -> std::io::Result<()> {
        let prot = libc::PROT_READ | libc::PROT_WRITE | if exec { libc::PROT_EXEC } else { 0 };
        self.map_file(addr, len, fd, off, prot, libc::MAP_SHARED)
    }

    /// Maps `len` bytes of host file `fd` at `off` over [addr, addr+len),
    /// private and read-write-execute like the rest of the arena (a
    /// guest's MAP_PRIVATE file mapping, a library's rewritten text from
    /// the code cache): the host shares the file's pages until one is
    /// written, which copies it for this mapping alone. MAP_NORESERVE as
    /// the arena itself.
    pub(crate) fn map_private_file(&self, addr: u64, len: u64, fd: i32, off: u64) -> std::io::Result<()> {
        let prot = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
        self.map_file(addr, len, fd, off, prot, libc::MAP_PRIVATE | libc::MAP_NORESERVE)
    }

    /// Maps `len` bytes of host file `fd` at `off` over [addr, addr+len),
    /// private and read-execute only (a program's text from the image
    /// cache): the host shares the file's pages among all such mappings.
    /// nommu's forced writes (`UserMemory::forced`) open a page for a
    /// moment, which copies it for this mapping alone; the file never
    /// changes. MAP_NORESERVE as the arena itself.
    pub(crate) fn map_readonly_file(&self, addr: u64, len: u64, fd: i32, off: u64) -> std::io::Result<()> {
        self.map_file(addr, len, fd, off, RX, libc::MAP_PRIVATE | libc::MAP_NORESERVE)
    }

    /// `mmap(addr, len, prot, flags | MAP_FIXED, fd, off)` over arena
    /// pages the caller owns.
    fn map_file(&self, addr: u64, len: u64, fd: i32, off: u64, prot: i32, flags: i32) -> std::io::Result<()> {
        if len == 0 || !self.contains(addr, len) {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        }
        let off = i64::try_from(off).map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: MAP_FIXED over pages of our own arena that the caller
        // owns (this mapping's); nothing else uses them.
        let p = unsafe { libc::mmap(addr as *mut libc::c_void, len as usize, prot, flags | libc::MAP_FIXED, fd, off) };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Puts fresh private anonymous read-write-execute pages back over
    /// [addr, addr+len) (after a shared file mapping there ends).
    /// MAP_NORESERVE as the arena itself, so the host can merge the
    /// mapping back into it.
    pub(crate) fn map_anonymous(&self, addr: u64, len: u64) -> std::io::Result<()> {
        if len == 0 || !self.contains(addr, len) {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        }
        // SAFETY: MAP_FIXED over pages of our own arena being released.
        let p = unsafe {
            libc::mmap(
                addr as *mut libc::c_void,
                len as usize,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// msync(2) of part of a shared file mapping.
    pub(crate) fn msync(&self, addr: u64, len: u64, flags: i32) -> std::io::Result<()> {
        if len == 0 || !self.contains(addr, len) {
            return Ok(());
        }
        // SAFETY: msync only writes back pages of our own mapping.
        if unsafe { libc::msync(addr as *mut libc::c_void, len as usize, flags) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Read-write-execute: every accessible arena page but read-only text.
impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: unmaps the arena's own reservation; the machine that
        // owned it is gone, and with it every user of its addresses.
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.len) };
    }
}

pub(crate) const RWX: i32 = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
/// Read-execute: read-only text (`Memory::map_readonly_file`).
pub(crate) const RX: i32 = libc::PROT_READ | libc::PROT_EXEC;

/// Sets the host protection of [addr, addr+len), whole pages of the arena
/// whose owner asks (`mm` checks the range is arena memory it may change).
pub(super) fn set_protection(addr: u64, len: u64, prot: i32) -> std::io::Result<()> {
    // SAFETY: mprotect of arena pages (the caller checked); nommu touches
    // them only through uaccess, which checks the guard and read-only maps.
    if unsafe { libc::mprotect(addr as *mut libc::c_void, len as usize, prot) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Is the host's overcommit policy strict (vm.overcommit_memory = 2)?
/// One read of the file's first bytes (openat, read, close), at every
/// start: `fs::read_to_string` also asked for its size and read again to
/// its end (six host calls with musl's O_CLOEXEC `fcntl`).
fn host_overcommit_is_strict() -> bool {
    use std::io::Read;
    let Ok(fd) = crate::arch::host::open(c"/proc/sys/vm/overcommit_memory", libc::O_RDONLY, 0) else {
        return false;
    };
    let mut buf = [0u8; 8];
    let n = std::fs::File::from(fd).read(&mut buf).unwrap_or(0);
    buf[..n].trim_ascii() == b"2"
}
