//! The arena: one read-write-execute reservation that is all guest memory.
//! No MMU: guest address == host address (docs/architecture.md, invariant 7).

use memmap2::{MmapMut, MmapOptions};

pub struct Arena {
    map: MmapMut,
}

impl Arena {
    pub(crate) fn reserve(size: u64) -> std::io::Result<Arena> {
        let size = super::checked_page_up(size)
            .and_then(|s| usize::try_from(s).ok())
            .ok_or_else(|| std::io::Error::from_raw_os_error(libc::ENOMEM))?;
        let map = MmapOptions::new().len(size).map_anon()?;
        // SAFETY: changing the protection of our own fresh mapping; nothing
        // holds references into it yet.
        let rc = unsafe {
            libc::mprotect(
                map.as_ptr() as *mut libc::c_void,
                map.len(),
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Arena { map })
    }

    pub fn base(&self) -> u64 {
        self.map.as_ptr() as u64
    }

    pub fn size(&self) -> u64 {
        self.map.len() as u64
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
        // SAFETY: the range lies inside our private anonymous mapping;
        // MADV_DONTNEED there only zero-fills those pages.
        unsafe { libc::madvise(addr as *mut libc::c_void, len as usize, libc::MADV_DONTNEED) };
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
        if len == 0 || !self.contains(addr, len) {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        }
        let prot = libc::PROT_READ | libc::PROT_WRITE | if exec { libc::PROT_EXEC } else { 0 };
        // SAFETY: MAP_FIXED over pages of our own arena that the caller
        // owns (freshly allocated for this mapping); nothing else uses them.
        let p = unsafe {
            libc::mmap(
                addr as *mut libc::c_void,
                len as usize,
                prot,
                libc::MAP_SHARED | libc::MAP_FIXED,
                fd,
                off as i64,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Puts fresh private anonymous read-write-execute pages back over
    /// [addr, addr+len) (after a shared file mapping there ends).
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
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
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
