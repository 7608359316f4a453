//! initramfs: the root file system from a cpio archive, as Linux boots it.
//!
//! `nommu boot initrd=FILE` reads FILE whole, as the boot loader hands it
//! to the kernel: `newc` cpio archives (`070701`, or `070702` with data
//! checksums, which are verified), NUL padding between them, and gzip
//! members holding more of them, in any order — an uncompressed early
//! microcode archive followed by the gzip'd main one boots as on Linux.
//! Every entry kind is unpacked: directories, regular files, symlinks,
//! hard links (entries with the same inode and nlink > 1; the data comes
//! with the last name), device nodes, FIFOs and sockets, with mode, owner
//! and mtime. Names are made relative to the root (`/x` and `../x` are
//! `x`). Any error names the file and the byte offset, inside the data
//! uncompressed from a gzip member when it is there; no input panics.
//!
//! Layers: `newc` reads one entry, `stream` the archives and gzip members
//! around them, `unpack` turns entries into calls on a [`Sink`]. The sink
//! `nommu boot` uses is the machine's memory file system (`fs::ramfs`, a
//! layer above: `RamTree::from_initrd`), which becomes the root
//! (/proc/mounts: `rootfs / rootfs rw,size=…,nr_inodes=… 0 0`).

pub mod newc;
mod sink;
mod stream;
mod unpack;

pub use sink::{Meta, Sink};
pub use stream::{Layers, MAX_UNCOMPRESSED};
pub use unpack::{clean, Counts};

/// Why an archive could not be unpacked. Displays as one line:
/// `initrd FILE: WHAT at offset N` (`... of the data uncompressed from
/// the gzip stream at offset M` when N lies inside a gzip member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The archive's name as given.
    pub file: String,
    /// Byte offset of the problem: in the file, or in the uncompressed data.
    pub offset: Option<u64>,
    /// File offset of the gzip member whose uncompressed data `offset` is in.
    pub within_gzip_at: Option<u64>,
    pub what: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "initrd {}: {}", self.file, self.what)?;
        if let Some(o) = self.offset {
            write!(f, " at offset {o}")?;
        }
        if let Some(g) = self.within_gzip_at {
            write!(f, " of the data uncompressed from the gzip stream at offset {g}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// What an archive held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Size of the archive file.
    pub file_bytes: u64,
    pub layers: Layers,
    pub counts: Counts,
}

/// Unpacks `data`, the whole archive file named `file`, into `sink`.
pub fn unpack(file: &str, data: &[u8], sink: &mut dyn Sink) -> Result<Summary, Error> {
    let mut unpacker = unpack::Unpacker::new(sink);
    let layers = stream::read_all(file, data, &mut unpacker)?;
    unpacker.finish().map_err(|what| Error { file: file.to_string(), offset: None, within_gzip_at: None, what })?;
    Ok(Summary { file_bytes: data.len() as u64, layers, counts: unpacker.counts.clone() })
}

#[cfg(test)]
pub(crate) mod tests;
