//! The arena: one read-write-execute reservation that is all guest memory.
//! No MMU: guest address == host address (DESIGN.md invariant 7).

use memmap2::{MmapMut, MmapOptions};

pub struct Arena {
    map: MmapMut,
}

impl Arena {
    pub fn reserve(size: u64) -> std::io::Result<Arena> {
        let size = super::page_up(size);
        let map = MmapOptions::new().len(size as usize).map_anon()?;
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

    pub fn contains(&self, addr: u64, len: u64) -> bool {
        addr >= self.base() && addr.checked_add(len).is_some_and(|end| end <= self.base() + self.size())
    }

    /// Gives pages back to the host; they read as zero afterwards.
    pub fn discard(&self, addr: u64, len: u64) {
        if len == 0 || !self.contains(addr, len) {
            return;
        }
        // SAFETY: the range lies inside our private anonymous mapping;
        // MADV_DONTNEED there only zero-fills those pages.
        unsafe { libc::madvise(addr as *mut libc::c_void, len as usize, libc::MADV_DONTNEED) };
    }

    /// Makes [addr, addr+len) inaccessible to everyone (a guard page), or
    /// read-write-execute again.
    pub fn protect(&self, addr: u64, len: u64, guard: bool) -> std::io::Result<()> {
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
}
