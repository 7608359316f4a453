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

/// A file nommu does not control (a program being exec'd) mapped to be
/// read in place: a page past the file's end, should someone truncate it
/// meanwhile, reads as zeros instead of ending nommu with SIGBUS, and
/// `torn` says so (`arch::fileread`). Unguarded before it is unmapped.
pub(crate) struct GuardedFileMap {
    guard: crate::arch::fileread::FileReadGuard,
    map: FileMap,
}

impl GuardedFileMap {
    /// The first `len` bytes of the file (the length fstat gave), or an
    /// error when it cannot be mapped or guarded (the caller reads it).
    pub(crate) fn new(fd: BorrowedFd<'_>, len: u64) -> std::io::Result<GuardedFileMap> {
        let map = FileMap::new(fd, len)?;
        let guard = crate::arch::fileread::FileReadGuard::new(map.addr as u64, map.len as u64)
            .ok_or(std::io::ErrorKind::ResourceBusy)?;
        Ok(GuardedFileMap { guard, map })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        self.map.bytes()
    }

    /// Did a read find a page past the file's end (the file was truncated
    /// while mapped)? What was read is then not the file's.
    pub(crate) fn torn(&self) -> bool {
        self.guard.torn()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;

    const PAGE: usize = crate::abi::consts::PAGE_SIZE as usize;

    fn read(map: &GuardedFileMap, at: usize) -> u8 {
        // SAFETY: `at` lies inside the mapping; a volatile read, as the page
        // may change under it (that is what is tested).
        unsafe { core::ptr::read_volatile(map.bytes().as_ptr().add(at)) }
    }

    #[test]
    fn a_guarded_map_truncated_under_it_reads_zeros_and_says_so() {
        crate::arch::hostsig::install_handlers().expect("handlers");
        let path = std::env::temp_dir().join(format!("nommu-filemap-{}", std::process::id()));
        std::fs::File::create(&path).and_then(|mut f| f.write_all(&[0xaa; 3 * PAGE])).expect("file");
        let file = std::fs::File::open(&path).expect("open");
        let map = GuardedFileMap::new(file.as_fd(), 3 * PAGE as u64).expect("map");
        assert_eq!(read(&map, 2 * PAGE + 5), 0xaa);
        assert!(!map.torn());
        std::fs::OpenOptions::new().write(true).open(&path).and_then(|f| f.set_len(PAGE as u64)).expect("truncate");
        // Past the new end: SIGBUS, survived as a zero page.
        assert_eq!(read(&map, 2 * PAGE + 7), 0);
        assert!(map.torn());
        assert_eq!(read(&map, 10), 0xaa, "the pages still in the file read as before");
        drop(map);
        // The guard is gone with the map: a new one starts untorn.
        let again = GuardedFileMap::new(file.as_fd(), PAGE as u64).expect("map");
        assert!(!again.torn());
        let _ = std::fs::remove_file(&path);
    }
}
