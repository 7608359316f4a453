//! A read-only private mapping of a host file in nommu's own memory (not
//! the arena): an on-disk image cache entry read without copying it.

use std::os::fd::{AsRawFd, BorrowedFd};

/// The first `len` bytes of a file, mapped read-only. The caller promises
/// the file is not truncated while the mapping lives (a page past a
/// truncated end is SIGBUS): it checked the length with fstat after
/// opening it, and nobody writes the file in place.
pub(crate) struct FileMap {
    addr: *const u8,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value alone; reading
// it from several threads is reading immutable memory.
unsafe impl Send for FileMap {}
// SAFETY: as above: `&FileMap` only gives `&[u8]` of read-only pages.
unsafe impl Sync for FileMap {}

impl FileMap {
    pub(crate) fn new(fd: BorrowedFd<'_>, len: u64) -> std::io::Result<FileMap> {
        let len = usize::try_from(len).ok().filter(|&l| l > 0).ok_or(std::io::ErrorKind::InvalidInput)?;
        // SAFETY: a fresh mapping at an address the host chooses: no
        // existing memory is touched.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, fd.as_raw_fd(), 0) };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(FileMap { addr: p as *const u8, len })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `addr` maps `len` readable bytes until `drop`.
        unsafe { std::slice::from_raw_parts(self.addr, self.len) }
    }
}

impl Drop for FileMap {
    fn drop(&mut self) {
        // SAFETY: our own mapping, not used after this.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, self.len) };
    }
}
