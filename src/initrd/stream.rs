//! The layers around the cpio entries, as the kernel reads an initramfs:
//! cpio archives one after another, NUL padding between them, and gzip
//! members whose uncompressed data holds more archives (an uncompressed
//! early-microcode archive followed by the gzip'd main one is common).

use super::newc::{self, read_entry};
use super::unpack::Unpacker;
use super::Error;
use std::io::Read;

/// The most one gzip member may uncompress to: the root lives in memory.
pub const MAX_UNCOMPRESSED: u64 = 4 << 30;

/// What the layers held, for the banner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layers {
    /// cpio archives read (each ends with a trailer or at the end of its stream).
    pub archives: usize,
    /// gzip members uncompressed.
    pub gzip_members: usize,
    /// Bytes of cpio data read, after uncompressing.
    pub cpio_bytes: u64,
}

/// Where a stream of cpio data lies: the file itself, or the data
/// uncompressed from the gzip member at a file offset.
#[derive(Clone, Copy)]
enum Place {
    File,
    Gzip(usize),
}

struct Ctx<'f, 'u, 's> {
    file: &'f str,
    unpacker: &'u mut Unpacker<'s>,
    layers: Layers,
}

impl Ctx<'_, '_, '_> {
    fn error(&self, place: Place, offset: usize, what: String) -> Error {
        let within = match place {
            Place::File => None,
            Place::Gzip(member) => Some(member as u64),
        };
        Error { file: self.file.to_string(), offset: Some(offset as u64), within_gzip_at: within, what }
    }
}

/// Reads `data`, the whole archive file named `file`, into the unpacker.
pub fn read_all(file: &str, data: &[u8], unpacker: &mut Unpacker<'_>) -> Result<Layers, Error> {
    let mut ctx = Ctx { file, unpacker, layers: Layers::default() };
    if data.is_empty() {
        return Err(Error { file: file.to_string(), offset: Some(0), within_gzip_at: None, what: "empty file".into() });
    }
    let mut pos = 0;
    while let Some(&b) = data.get(pos) {
        if b == 0 {
            pos += 1;
        } else if b == b'0' && pos.is_multiple_of(4) {
            pos = cpio_run(&mut ctx, data, pos, Place::File)?;
        } else if data[pos..].starts_with(&[0x1f, 0x8b]) {
            pos = gzip_member(&mut ctx, data, pos)?;
        } else {
            let what = match other_compression(&data[pos..]) {
                Some(name) => format!(
                    "{name}-compressed data: nommu reads gzip'd or uncompressed newc cpio archives (recompress with gzip)"
                ),
                None => format!(
                    "bad magic {} (neither a newc cpio header \"070701\" nor gzip)",
                    newc::describe_magic(&data[pos..])
                ),
            };
            return Err(ctx.error(Place::File, pos, what));
        }
    }
    Ok(ctx.layers)
}

/// Archives back to back from `pos` (4-aligned, at a '0'), until the end of
/// the data or, between archives, something that is no cpio header;
/// returns where that is. Inside an archive, and anywhere in uncompressed
/// gzip data, anything but NUL padding and headers is an error.
fn cpio_run(ctx: &mut Ctx<'_, '_, '_>, data: &[u8], mut pos: usize, place: Place) -> Result<usize, Error> {
    let start = pos;
    let mut in_archive = false;
    while pos < data.len() {
        // The kernel skips NULs between entries as well as between archives.
        if data[pos] == 0 {
            pos += 1;
            continue;
        }
        if !in_archive && (data[pos] != b'0' || !pos.is_multiple_of(4)) {
            if let Place::File = place {
                break;
            }
            let what = format!(
                "bad magic {} in the uncompressed data (expected a newc cpio header \"070701\" or NUL padding)",
                newc::describe_magic(&data[pos..])
            );
            return Err(ctx.error(place, pos, what));
        }
        let (entry, next) = read_entry(data, pos).map_err(|e| ctx.error(place, e.at, e.what))?;
        if !in_archive {
            ctx.layers.archives += 1;
        }
        in_archive = ctx.unpacker.entry(&entry).map_err(|what| ctx.error(place, pos, what))?;
        pos = next;
    }
    ctx.layers.cpio_bytes += (pos - start) as u64;
    Ok(pos)
}

/// Uncompresses the gzip member at `pos` and reads the archives in it;
/// returns the offset just past the member.
fn gzip_member(ctx: &mut Ctx<'_, '_, '_>, data: &[u8], pos: usize) -> Result<usize, Error> {
    let mut decoder = flate2::bufread::GzDecoder::new(&data[pos..]);
    let mut out = Vec::new();
    let read = (&mut decoder).take(MAX_UNCOMPRESSED + 1).read_to_end(&mut out);
    if let Err(e) = read {
        let what = if e.kind() == std::io::ErrorKind::UnexpectedEof {
            "truncated gzip stream".to_string()
        } else {
            format!("bad gzip stream: {e}")
        };
        return Err(ctx.error(Place::File, pos, what));
    }
    if out.len() as u64 > MAX_UNCOMPRESSED {
        let what = format!("gzip stream uncompresses to more than {} GiB", MAX_UNCOMPRESSED >> 30);
        return Err(ctx.error(Place::File, pos, what));
    }
    let end = data.len() - decoder.into_inner().len();
    ctx.layers.gzip_members += 1;
    let mut inner = 0;
    while inner < out.len() {
        inner = cpio_run(ctx, &out, inner, Place::Gzip(pos))?;
    }
    Ok(end)
}

/// Compression formats the kernel may be built for, which nommu does not
/// read: named in the error instead of "bad magic".
fn other_compression(data: &[u8]) -> Option<&'static str> {
    const MAGICS: [(&[u8], &str); 6] = [
        (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz"),
        (b"BZh", "bzip2"),
        (&[0x5d, 0, 0], "lzma"),
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd"),
        (&[0x02, 0x21, 0x4c, 0x18], "lz4"),
        (&[0x89, b'L', b'Z', b'O'], "lzo"),
    ];
    MAGICS.iter().find(|(m, _)| data.starts_with(m)).map(|&(_, name)| name)
}
