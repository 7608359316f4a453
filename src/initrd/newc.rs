//! The `newc` cpio format, as the Linux kernel's initramfs reads it
//! (Documentation/driver-api/early-userspace/buffer-format.rst).
//!
//! An entry is a 110-byte header of ASCII: the magic `070701` (or
//! `070702`: the same with a checksum of the data), then thirteen 8-digit
//! hexadecimal fields; then the name (`namesize` bytes including its NUL),
//! padded so that header and name end on a multiple of 4; then the data
//! (`filesize` bytes), padded to a multiple of 4. Offsets are counted from
//! the start of the stream the archive is in. The entry named
//! `TRAILER!!!` ends an archive; another may follow.

/// Length of a header.
pub const HEADER_LEN: usize = 110;
/// The longest name the kernel accepts (PATH_MAX, with its NUL).
pub const NAME_MAX_LEN: usize = 4096;
/// The name of the entry that ends an archive.
pub const TRAILER: &[u8] = b"TRAILER!!!";

const FIELDS: [&str; 13] = [
    "ino",
    "mode",
    "uid",
    "gid",
    "nlink",
    "mtime",
    "filesize",
    "devmajor",
    "devminor",
    "rdevmajor",
    "rdevminor",
    "namesize",
    "check",
];

/// One entry, borrowing its name and data from the archive.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// The name as stored, without its NUL.
    pub name: &'a [u8],
    pub ino: u32,
    /// File type and permission bits, as in `st_mode`.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub mtime: u32,
    pub dev: (u32, u32),
    pub rdev: (u32, u32),
    pub data: &'a [u8],
}

impl<'a> Entry<'a> {
    /// An entry of one name (nlink 1), owned by root, with no inode, time
    /// or device numbers: what the other fields are set on.
    pub fn new(name: &'a [u8], mode: u32, data: &'a [u8]) -> Entry<'a> {
        Entry { name, ino: 0, mode, uid: 0, gid: 0, nlink: 1, mtime: 0, dev: (0, 0), rdev: (0, 0), data }
    }
}

/// Why an entry could not be read; `at` is the offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub at: usize,
    pub what: String,
}

fn fail<T>(at: usize, what: String) -> Result<T, ParseError> {
    Err(ParseError { at, what })
}

/// `n` rounded up to a multiple of 4, or None past `usize::MAX`.
pub fn align4(n: usize) -> Option<usize> {
    n.checked_add(3).map(|m| m & !3)
}

/// What a magic number that is not newc's is, for the error message.
pub fn describe_magic(bytes: &[u8]) -> String {
    let shown: String = bytes.iter().take(6).flat_map(|&b| std::ascii::escape_default(b)).map(char::from).collect();
    format!("\"{shown}\"")
}

/// Reads the entry whose header starts at `at` in `stream`. Returns it and
/// the offset just past its (padded) data.
pub fn read_entry(stream: &[u8], at: usize) -> Result<(Entry<'_>, usize), ParseError> {
    let rest = stream.get(at..).unwrap_or_default();
    if rest.len() < 6 {
        return fail(at, format!("truncated cpio header ({} of {HEADER_LEN} bytes)", rest.len()));
    }
    let checked = match &rest[..6] {
        b"070701" => false,
        b"070702" => true,
        b"070707" => {
            return fail(at, "old portable (odc) cpio header \"070707\": the kernel reads newc (cpio -H newc)".into())
        }
        m => {
            return fail(at, format!("bad magic {} (a newc cpio header starts with \"070701\")", describe_magic(m)));
        }
    };
    if rest.len() < HEADER_LEN {
        return fail(at, format!("truncated cpio header ({} of {HEADER_LEN} bytes)", rest.len()));
    }
    let mut fields = [0u32; 13];
    for (i, (field, name)) in fields.iter_mut().zip(FIELDS).enumerate() {
        let start = 6 + 8 * i;
        let digits = &rest[start..start + 8];
        *field = parse_hex(digits).ok_or_else(|| ParseError {
            at: at + start,
            what: format!("bad cpio header field {name}: {} is not 8 hex digits", describe_magic_full(digits)),
        })?;
    }
    let [ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check] =
        fields;
    let namesize = namesize as usize;
    let name_at = at + HEADER_LEN;
    if namesize == 0 {
        return fail(at, "empty name (namesize 0)".into());
    }
    if namesize > NAME_MAX_LEN {
        return fail(at, format!("name too long ({namesize} bytes, at most {NAME_MAX_LEN})"));
    }
    let Some(name_bytes) = rest.get(HEADER_LEN..HEADER_LEN + namesize) else {
        return fail(name_at, format!("truncated name ({} of {namesize} bytes)", rest.len() - HEADER_LEN));
    };
    let name = match name_bytes.iter().position(|&b| b == 0) {
        Some(n) => &name_bytes[..n],
        None => return fail(name_at, "name is not NUL-terminated".into()),
    };
    // Header and name are padded together, data on its own; padding may be
    // cut off only at the very end of the stream.
    let data_at = align4(HEADER_LEN + namesize).and_then(|n| at.checked_add(n)).unwrap_or(usize::MAX);
    let filesize = filesize as usize;
    let data = if filesize == 0 {
        &[][..]
    } else {
        match data_at.checked_add(filesize).and_then(|end| stream.get(data_at..end)) {
            Some(d) => d,
            None => {
                let have = stream.len().saturating_sub(data_at);
                return fail(
                    data_at.min(stream.len()),
                    format!("truncated data of \"{}\" ({have} of {filesize} bytes; entry at offset {at})", show(name)),
                );
            }
        }
    };
    let data_end = data_at.saturating_add(filesize);
    if checked {
        let sum = data.iter().fold(0u32, |s, &b| s.wrapping_add(u32::from(b)));
        if sum != check {
            return fail(
                at,
                format!(
                    "checksum mismatch for \"{}\" (header says {check:#010x}, data sums to {sum:#010x})",
                    show(name)
                ),
            );
        }
    }
    let next = align4(data_end).unwrap_or(usize::MAX).min(stream.len());
    let entry = Entry {
        name,
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        dev: (devmajor, devminor),
        rdev: (rdevmajor, rdevminor),
        data,
    };
    Ok((entry, next))
}

/// A name for a one-line message: invalid UTF-8 replaced, control
/// characters and quotes escaped.
pub fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name).escape_debug().to_string()
}

fn describe_magic_full(bytes: &[u8]) -> String {
    let shown: String = bytes.iter().flat_map(|&b| std::ascii::escape_default(b)).map(char::from).collect();
    format!("\"{shown}\"")
}

fn parse_hex(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, &b| Some((n << 4) | char::from(b).to_digit(16)?))
}

/// Appends one newc entry (magic `070701`, or `070702` with the checksum
/// when `checksum` is set) to `out`, padded: for building archives in tests
/// and tools. `out` must start at an archive's start (its length is the
/// offset the padding is counted from).
pub fn write_entry(out: &mut Vec<u8>, e: &Entry<'_>, checksum: bool) {
    let sum = if checksum { e.data.iter().fold(0u32, |s, &b| s.wrapping_add(u32::from(b))) } else { 0 };
    let magic = if checksum { "070702" } else { "070701" };
    let fields = [
        e.ino,
        e.mode,
        e.uid,
        e.gid,
        e.nlink,
        e.mtime,
        e.data.len() as u32,
        e.dev.0,
        e.dev.1,
        e.rdev.0,
        e.rdev.1,
        (e.name.len() + 1) as u32,
        sum,
    ];
    out.extend_from_slice(magic.as_bytes());
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(e.name);
    out.push(0);
    out.resize(align4(out.len()).unwrap_or(out.len()), 0);
    out.extend_from_slice(e.data);
    out.resize(align4(out.len()).unwrap_or(out.len()), 0);
}

/// Appends the `TRAILER!!!` entry that ends an archive.
pub fn write_trailer(out: &mut Vec<u8>) {
    let e = Entry::new(TRAILER, 0, &[]);
    write_entry(out, &e, false);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file<'a>(name: &'a [u8], data: &'a [u8]) -> Entry<'a> {
        Entry { name, ino: 7, mode: 0o100644, uid: 1, gid: 2, nlink: 1, mtime: 1000, dev: (0, 0), rdev: (0, 0), data }
    }

    #[test]
    fn round_trip_and_padding() {
        for checksum in [false, true] {
            let mut a = Vec::new();
            write_entry(&mut a, &file(b"hello", b"world!"), checksum);
            assert_eq!(a.len() % 4, 0);
            let (e, next) = read_entry(&a, 0).unwrap();
            assert_eq!(
                (e.name, e.data, e.mode, e.uid, e.gid, e.mtime),
                (&b"hello"[..], &b"world!"[..], 0o100644, 1, 2, 1000)
            );
            assert_eq!(next, a.len());
        }
    }

    #[test]
    fn checksum_is_verified() {
        let mut a = Vec::new();
        write_entry(&mut a, &file(b"f", b"abc"), true);
        let data_at = a.len() - 4;
        a[data_at] = b'x';
        let err = read_entry(&a, 0).unwrap_err();
        assert!(err.what.contains("checksum mismatch for \"f\""), "{err:?}");
    }

    #[test]
    fn errors_name_the_offset() {
        let mut a = vec![0u8; 8];
        write_entry(&mut a, &file(b"name", b"0123456789"), false);
        assert_eq!(read_entry(&a, 4).unwrap_err().at, 4);
        assert!(read_entry(&a, 4).unwrap_err().what.contains("bad magic \"\\x00\\x00\\x00\\x000"));
        let cut = &a[..8 + 50];
        assert!(read_entry(cut, 8).unwrap_err().what.contains("truncated cpio header (50 of 110"));
        let cut = &a[..a.len() - 8];
        let err = read_entry(cut, 8).unwrap_err();
        assert!(err.what.contains("truncated data of \"name\" (4 of 10 bytes; entry at offset 8)"), "{err:?}");
        let mut bad = a.clone();
        bad[8 + 6 + 8 * 6] = b'g';
        let err = read_entry(&bad, 8).unwrap_err();
        assert_eq!(err.at, 8 + 6 + 8 * 6);
        assert!(err.what.contains("field filesize"), "{err:?}");
    }
}
