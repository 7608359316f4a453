//! The file format of the on-disk image cache (`diskcache`): one file per
//! rewritten image, or per rewritten code mapping (a shared library's text
//! mapped by the dynamic linker: the same layout without the image's
//! metadata). Nothing read from such a file is trusted: a file that
//! is short, long, from another nommu build, for another file or mode,
//! fails its checksum or describes an image nommu would not have made
//! (sites outside the image or not rewritten, segments past its end) is a
//! miss, never an error.
//!
//! Layout (little-endian u64 fields unless said otherwise):
//!
//! ```text
//!   0  magic "NOMMUIMG"
//!   8  checksum of bytes 16..image_offset and of the image data
//!  16  format (u32), site policy (u32)
//!  24  build: which nommu made it
//!  32  the program file: dev, ino, size, mtime seconds, mtime nanoseconds
//!  72  image_offset (page-aligned), data_len
//!  88  alloc_len, align, entry, phdr, phent, phnum, brk, stack_size (or !0)
//! 152  segment count, interpreter length (or !0), site count
//! 176  a code mapping: 1, its file offset and length; an image: 0, 0, 0
//! 200  verdict count
//! 208  segments (start, len, flags: 1 text, 2 writable), the interpreter path, the sites, the
//!      trap path's verdicts on the `syscall`s left (site, from, safe:
//!      `rewrite::verdicts`)
//!      (offsets into the image), zeros up to image_offset
//! image_offset: the first data_len bytes of the image; the rest of its
//!      alloc_len bytes are zeros (bss, and trailing zero pages)
//! ```
//!
//! The image starts on a page boundary so that the file could be mapped
//! as the image's backing store as it is.

use super::elf::{ExecImage, Segment, SegmentKind};
use crate::mm::{page_up, PAGE_SIZE};
use crate::rewrite::verdicts::Verdict;
use crate::rewrite::CALL_RAX;

const MAGIC: [u8; 8] = *b"NOMMUIMG";
/// Bumped whenever the layout or the meaning of a field changes.
const FORMAT: u32 = 3;
/// Bytes of the fixed part of the header.
const FIXED: usize = 208;
/// Where the checksummed part starts (after the magic and the checksum).
const SUMMED_FROM: usize = 16;
/// Largest image (alloc_len) kept on disk; larger ones are not worth it.
pub(crate) const MAX_IMAGE: u64 = 128 << 20;
/// Largest header (metadata and sites) accepted.
const MAX_HEADER: u64 = 16 << 20;
const MAX_ALIGN: u64 = 1 << 21;
const MAX_PATH: u64 = 4096;
const MAX_PHNUM: u64 = PAGE_SIZE / 56;

/// What an entry is for: the program file, the rewrite mode, and the
/// nommu build that rewrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DiskKey {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
    pub policy: u32,
    pub build: u64,
    /// A code mapping's (file offset, length); `None` for an image.
    pub code: Option<(u64, u64)>,
}

impl DiskKey {
    /// The file name of the entry (a hash of the whole key; the header
    /// holds the key itself, compared on every lookup).
    pub(crate) fn file_name(&self) -> String {
        let h = checksum(&[&self.fields()]);
        format!("{h:016x}.img")
    }

    fn fields(&self) -> [u8; 80] {
        let mut b = [0u8; 80];
        let (is_code, offset, len) = self.code_words();
        let words = [
            self.build,
            self.dev,
            self.ino,
            self.size,
            self.mtime.0 as u64,
            self.mtime.1 as u64,
            self.policy as u64,
            is_code,
            offset,
            len,
        ];
        for (i, w) in words.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        b
    }

    fn code_words(&self) -> (u64, u64, u64) {
        self.code.map_or((0, 0, 0), |(offset, len)| (1, offset, len))
    }
}

/// A rewritten image as the cache keeps it: everything relative to base 0.
pub(crate) struct DiskImage<B = Vec<u8>> {
    /// The image as loaded at address 0 (`alloc_start`, `load_bias` 0).
    pub template: ExecImage,
    /// Offsets of its rewritten syscall sites.
    pub sites: Vec<u64>,
    /// All `template.alloc_len` bytes of the image, or only the stored
    /// data (the rest are zeros).
    pub bytes: B,
    /// The trap path's verdicts on its unrewritten `syscall`s.
    pub verdicts: Vec<Verdict>,
}

/// A rewritten code mapping as the cache keeps it.
pub(crate) struct DiskCode<B = Vec<u8>> {
    pub sites: Vec<u64>,
    pub bytes: B,
    pub verdicts: Vec<Verdict>,
}

/// The header (everything before the image data) of an entry for `image`,
/// with its checksum, and how many bytes of the image data follow it.
pub(crate) fn encode(
    key: &DiskKey,
    template: &ExecImage,
    sites: &[u64],
    verdicts: &[Verdict],
    bytes: &[u8],
) -> (Vec<u8>, usize) {
    encode_any(key, Some(template), sites, verdicts, bytes)
}

/// `encode` for a code mapping: its bytes, sites and verdicts only.
pub(crate) fn encode_code(key: &DiskKey, sites: &[u64], verdicts: &[Verdict], bytes: &[u8]) -> (Vec<u8>, usize) {
    encode_any(key, None, sites, verdicts, bytes)
}

fn encode_any(
    key: &DiskKey,
    template: Option<&ExecImage>,
    sites: &[u64],
    verdicts: &[Verdict],
    bytes: &[u8],
) -> (Vec<u8>, usize) {
    // Trailing zero pages are not stored: they are bss, or as good as.
    let used = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let data_len = (page_up(used as u64) as usize).min(bytes.len());
    let code_template;
    let t = match template {
        Some(t) => t,
        None => {
            // A code mapping: alloc_len is its length, the rest is unused.
            code_template = ExecImage {
                alloc_start: 0,
                alloc_len: bytes.len() as u64,
                fixed: None,
                segments: Vec::new(),
                load_bias: 0,
                entry: 0,
                phdr: 0,
                phent: 0,
                phnum: 0,
                brk: 0,
                stack_size: Some(0),
                rewrite: Default::default(),
                align: 0,
                interp: None,
            };
            &code_template
        }
    };
    let mut h = Vec::with_capacity(PAGE_SIZE as usize);
    h.extend_from_slice(&MAGIC);
    h.extend_from_slice(&[0; 8]); // the checksum, filled in below
    h.extend_from_slice(&FORMAT.to_le_bytes());
    h.extend_from_slice(&key.policy.to_le_bytes());
    let put = |h: &mut Vec<u8>, v: u64| h.extend_from_slice(&v.to_le_bytes());
    put(&mut h, key.build);
    for v in [key.dev, key.ino, key.size, key.mtime.0 as u64, key.mtime.1 as u64] {
        put(&mut h, v);
    }
    let meta_len =
        t.segments.len() * 24 + t.interp.as_ref().map_or(0, Vec::len) + sites.len() * 8 + verdicts.len() * 24;
    let image_offset = page_up((FIXED + meta_len) as u64);
    put(&mut h, image_offset);
    put(&mut h, data_len as u64);
    for v in [t.alloc_len, t.align, t.entry, t.phdr, t.phent, t.phnum, t.brk, t.stack_size.unwrap_or(u64::MAX)] {
        put(&mut h, v);
    }
    put(&mut h, t.segments.len() as u64);
    put(&mut h, t.interp.as_ref().map_or(u64::MAX, |i| i.len() as u64));
    put(&mut h, sites.len() as u64);
    let (is_code, offset, len) = key.code_words();
    for v in [is_code, offset, len, verdicts.len() as u64] {
        put(&mut h, v);
    }
    debug_assert_eq!(h.len(), FIXED);
    for s in &t.segments {
        put(&mut h, s.start);
        put(&mut h, s.len);
        put(&mut h, matches!(s.kind, SegmentKind::Text) as u64 | (s.writable as u64) << 1);
    }
    if let Some(i) = &t.interp {
        h.extend_from_slice(i);
    }
    for &s in sites {
        put(&mut h, s);
    }
    for v in verdicts {
        put(&mut h, v.site);
        put(&mut h, v.from);
        put(&mut h, v.safe as u64);
    }
    h.resize(image_offset as usize, 0);
    let sum = checksum(&[&h[SUMMED_FROM..], &bytes[..data_len]]);
    h[8..16].copy_from_slice(&sum.to_le_bytes());
    (h, data_len)
}

/// The fixed header's fields, read from the first `FIXED` bytes.
pub(crate) struct Fixed {
    /// Where the image data starts (the header's total length).
    pub image_offset: u64,
    pub data_len: u64,
    pub alloc_len: u64,
    words: [u64; 8],
    counts: [u64; 4],
    /// Of the header after it and the image data. Computing it reads the
    /// whole entry (15% of a busybox start-up's CPU time, BENCHMARKS.md,
    /// issue 17 round 6), so a reader checks it once per entry and says so
    /// on the entry (`diskcache`'s stamp); readers after it trust the
    /// stamp as long as the entry's modification time is the one stamped.
    pub checksum: u64,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Checks the fixed header against `key` and the file's length; `None`
/// for anything that is not an entry for exactly this key.
pub(crate) fn check_fixed(head: &[u8], key: &DiskKey, file_len: u64) -> Option<Fixed> {
    if head.len() < FIXED || head[..8] != MAGIC {
        return None;
    }
    let format = u32::from_le_bytes([head[16], head[17], head[18], head[19]]);
    let policy = u32::from_le_bytes([head[20], head[21], head[22], head[23]]);
    let stored = DiskKey {
        build: u64_at(head, 24),
        dev: u64_at(head, 32),
        ino: u64_at(head, 40),
        size: u64_at(head, 48),
        mtime: (u64_at(head, 56) as i64, u64_at(head, 64) as i64),
        policy,
        code: (u64_at(head, 176) == 1).then(|| (u64_at(head, 184), u64_at(head, 192))),
    };
    let kind_ok = match stored.code {
        None => u64_at(head, 176) == 0 && u64_at(head, 184) == 0 && u64_at(head, 192) == 0,
        Some((_, len)) => u64_at(head, 88) == len,
    };
    if format != FORMAT || stored != *key || !kind_ok {
        return None;
    }
    let words: [u64; 8] = std::array::from_fn(|i| u64_at(head, 88 + i * 8));
    let f = Fixed {
        image_offset: u64_at(head, 72),
        data_len: u64_at(head, 80),
        alloc_len: words[0],
        words,
        counts: [u64_at(head, 152), u64_at(head, 160), u64_at(head, 168), u64_at(head, 200)],
        checksum: u64_at(head, 8),
    };
    let sane = f.image_offset >= FIXED as u64
        && f.image_offset <= MAX_HEADER
        && f.image_offset.is_multiple_of(PAGE_SIZE)
        && f.alloc_len <= MAX_IMAGE
        && f.alloc_len.is_multiple_of(PAGE_SIZE)
        && f.data_len <= f.alloc_len
        && f.image_offset.checked_add(f.data_len) == Some(file_len);
    sane.then_some(f)
}

/// The image described by a header whose fixed part `check_fixed`
/// accepted, given the whole header and the image's bytes (`alloc_len`
/// of them, the data followed by zeros, or only the `data_len` of data);
/// `None` unless the checksum matches (checked only with `sum`: see
/// `Fixed::checksum`) and the metadata describes an image nommu could
/// have made.
pub(crate) fn decode<B: AsRef<[u8]>>(f: &Fixed, header: &[u8], owned: B, sum: bool) -> Option<DiskImage<B>> {
    let bytes = owned.as_ref();
    summed_and_sized(f, header, bytes, sum)?;
    let [alloc_len, align, entry, phdr, phent, phnum, brk, stack] = f.words;
    let [nseg, interp_len, nsites, nverdicts] = f.counts;
    let plausible = align.is_power_of_two()
        && (PAGE_SIZE..=MAX_ALIGN).contains(&align)
        && alloc_len > 0
        && entry < alloc_len
        && phdr <= alloc_len
        && brk <= alloc_len
        && phent == 56
        && phnum <= MAX_PHNUM
        && (stack == u64::MAX || stack <= 1 << 32)
        && (interp_len == u64::MAX || (2..MAX_PATH).contains(&interp_len))
        && nseg > 0
        && nseg <= MAX_PHNUM;
    if !plausible {
        return None;
    }
    let mut at = FIXED;
    let mut segments = Vec::with_capacity(nseg as usize);
    for _ in 0..nseg {
        let (start, len, flags) = (u64_at(header, at), u64_at(header, at + 8), u64_at(header, at + 16));
        at += 24;
        if !start.is_multiple_of(PAGE_SIZE) || start.checked_add(len).is_none_or(|end| end > alloc_len) || flags > 3 {
            return None;
        }
        let kind = if flags & 1 == 1 { SegmentKind::Text } else { SegmentKind::Data };
        segments.push(Segment { start, len, kind, writable: flags & 2 != 0 });
    }
    let interp = (interp_len != u64::MAX).then(|| {
        let i = header[at..at + interp_len as usize].to_vec();
        at += interp_len as usize;
        i
    });
    if interp.as_ref().is_some_and(|i| i.contains(&0)) {
        return None;
    }
    let sites = rewritten_sites(header, at, nsites, bytes)?;
    let verdicts = read_verdicts(header, at + nsites as usize * 8, nverdicts, bytes)?;
    let template = ExecImage {
        alloc_start: 0,
        alloc_len,
        fixed: None,
        segments,
        load_bias: 0,
        entry,
        phdr,
        phent,
        phnum,
        brk,
        stack_size: (stack != u64::MAX).then_some(stack),
        rewrite: Default::default(),
        align,
        interp,
    };
    Some(DiskImage { template, sites, bytes: owned, verdicts })
}

/// A code mapping's sites and bytes (`alloc_len` of them, the data
/// followed by zeros), from a header whose fixed part `check_fixed`
/// accepted; `None` unless the checksum matches and every site is a
/// rewritten one.
pub(crate) fn decode_code<B: AsRef<[u8]>>(f: &Fixed, header: &[u8], owned: B, sum: bool) -> Option<DiskCode<B>> {
    let bytes = owned.as_ref();
    summed_and_sized(f, header, bytes, sum)?;
    let [nseg, interp_len, nsites, nverdicts] = f.counts;
    if f.words[1..] != [0, 0, 0, 0, 0, 0, 0] || nseg != 0 || interp_len != u64::MAX {
        return None;
    }
    let sites = rewritten_sites(header, FIXED, nsites, bytes)?;
    let verdicts = read_verdicts(header, FIXED + nsites as usize * 8, nverdicts, bytes)?;
    Some(DiskCode { sites, bytes: owned, verdicts })
}

/// The `n` verdicts at `header[at..]`, each on a `syscall` in `bytes`
/// with its whole window there.
fn read_verdicts(header: &[u8], mut at: usize, n: u64, bytes: &[u8]) -> Option<Vec<Verdict>> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let (site, from, safe) = (u64_at(header, at), u64_at(header, at + 8), u64_at(header, at + 16));
        at += 24;
        let v = Verdict { site, from, safe: safe == 1 };
        if safe > 1 || !v.fits(bytes) {
            return None;
        }
        out.push(v);
    }
    Some(out)
}

/// The header and the bytes have the lengths the fixed header says, the
/// checksum matches (with `sum`), and the metadata it counts fits in the
/// header.
fn summed_and_sized(f: &Fixed, header: &[u8], bytes: &[u8], sum: bool) -> Option<()> {
    let len = bytes.len() as u64;
    if header.len() as u64 != f.image_offset || (len != f.alloc_len && len != f.data_len) {
        return None;
    }
    let data = &bytes[..f.data_len as usize];
    if sum && checksum(&[&header[SUMMED_FROM..], data]) != f.checksum {
        return None;
    }
    let [nseg, interp_len, nsites, nverdicts] = f.counts;
    let meta_len = nseg
        .checked_mul(24)?
        .checked_add(if interp_len == u64::MAX { 0 } else { interp_len })?
        .checked_add(nsites.checked_mul(8)?)?
        .checked_add(nverdicts.checked_mul(24)?)?;
    ((FIXED as u64).checked_add(meta_len)? <= f.image_offset).then_some(())
}

/// The `n` sites listed at `header[at..]`: each inside `bytes` and
/// rewritten there, since only a rewritten site may enter the kernel
/// (invariant 2).
fn rewritten_sites(header: &[u8], mut at: usize, n: u64, bytes: &[u8]) -> Option<Vec<u64>> {
    let mut sites = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let s = u64_at(header, at);
        at += 8;
        let end = s.checked_add(2).filter(|&e| e <= bytes.len() as u64)?;
        if bytes[s as usize..end as usize] != CALL_RAX {
            return None;
        }
        sites.push(s);
    }
    Some(sites)
}

/// A fast 64-bit checksum of the concatenation of `parts` (not a
/// cryptographic hash: it finds torn, truncated and bit-flipped files).
pub(crate) fn checksum(parts: &[&[u8]]) -> u64 {
    const K: [u64; 4] = [0x9e37_79b9_7f4a_7c15, 0xc2b2_ae3d_27d4_eb4f, 0x1656_67b1_9e37_79f9, 0xd6e8_feb8_6659_fd93];
    let mut lanes = K;
    let mut total = 0u64;
    let mix = |lane: u64, w: u64, k: u64| (lane ^ w).wrapping_mul(k).rotate_left(31);
    for part in parts {
        total = total.wrapping_add(part.len() as u64);
        let mut chunks = part.chunks_exact(32);
        for c in &mut chunks {
            for (i, lane) in lanes.iter_mut().enumerate() {
                *lane = mix(*lane, u64_at(c, i * 8), K[i]);
            }
        }
        let rest = chunks.remainder();
        for (i, w) in rest.chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b[..w.len()].copy_from_slice(w);
            lanes[i] = mix(lanes[i], u64::from_le_bytes(b) ^ (w.len() as u64) << 56, K[i]);
        }
        // Parts end where they end: "ab"+"c" and "a"+"bc" differ.
        lanes[0] = mix(lanes[0], total, K[3]);
    }
    let mut h = total;
    for (i, lane) in lanes.iter().enumerate() {
        h = mix(h, *lane, K[i]);
    }
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DiskKey {
        DiskKey { dev: 1, ino: 2, size: 3, mtime: (4, 5), policy: 0, build: 6, code: None }
    }

    /// A one-page text image with a site at 0x10, a zero page after it.
    fn image() -> (ExecImage, Vec<u64>, Vec<u8>) {
        let mut bytes = vec![0u8; 2 * PAGE_SIZE as usize];
        bytes[0x10..0x12].copy_from_slice(&CALL_RAX);
        bytes[0] = 0x90;
        let template = ExecImage {
            alloc_start: 0,
            alloc_len: bytes.len() as u64,
            fixed: None,
            segments: vec![Segment { start: 0, len: PAGE_SIZE, kind: SegmentKind::Text, writable: false }],
            load_bias: 0,
            entry: 0,
            phdr: 0x40,
            phent: 56,
            phnum: 1,
            brk: bytes.len() as u64,
            stack_size: None,
            rewrite: Default::default(),
            align: PAGE_SIZE,
            interp: Some(b"/lib/ld.so".to_vec()),
        };
        (template, vec![0x10], bytes)
    }

    /// Encodes, then reads back the way `diskcache` does.
    fn roundtrip(file: &[u8], key: &DiskKey) -> Option<DiskImage> {
        roundtrip_summed(file, key, true)
    }

    /// As `roundtrip`, the checksum checked only with `sum`.
    fn roundtrip_summed(file: &[u8], key: &DiskKey, sum: bool) -> Option<DiskImage> {
        let f = check_fixed(&file[..FIXED.min(file.len())], key, file.len() as u64)?;
        let (header, data) = file.split_at(f.image_offset as usize);
        let mut bytes = data.to_vec();
        bytes.resize(f.alloc_len as usize, 0);
        decode(&f, header, bytes, sum)
    }

    fn file() -> Vec<u8> {
        let (t, sites, bytes) = image();
        let (mut h, data_len) = encode(&key(), &t, &sites, &[], &bytes);
        h.extend_from_slice(&bytes[..data_len]);
        h
    }

    #[test]
    fn an_entry_reads_back() {
        let f = file();
        assert_eq!(f.len() as u64, 2 * PAGE_SIZE, "one header page, one data page, no zero page");
        let d = roundtrip(&f, &key()).expect("a hit");
        assert_eq!(d.sites, vec![0x10]);
        assert_eq!(d.bytes, image().2);
        assert_eq!(d.template.interp.as_deref(), Some(&b"/lib/ld.so"[..]));
        assert_eq!(d.template.segments.len(), 1);
    }

    #[test]
    fn another_key_is_a_miss() {
        let f = file();
        for k in [
            DiskKey { build: 7, ..key() },
            DiskKey { policy: 1, ..key() },
            DiskKey { mtime: (4, 6), ..key() },
            DiskKey { size: 4, ..key() },
            DiskKey { code: Some((0, 2 * PAGE_SIZE)), ..key() },
        ] {
            assert!(roundtrip(&f, &k).is_none());
        }
    }

    #[test]
    fn every_flipped_byte_and_every_truncation_is_a_miss() {
        let f = file();
        for i in 0..f.len() {
            let mut bad = f.clone();
            bad[i] ^= 0x40;
            assert!(roundtrip(&bad, &key()).is_none(), "byte {i} flipped");
        }
        for len in (0..f.len()).step_by(7) {
            assert!(roundtrip(&f[..len], &key()).is_none(), "cut at {len}");
        }
        let mut long = f.clone();
        long.push(0);
        assert!(roundtrip(&long, &key()).is_none());
    }

    #[test]
    fn a_code_entry_reads_back_and_is_no_image() {
        let (_, sites, bytes) = image();
        let key = DiskKey { code: Some((0x3000, bytes.len() as u64)), ..key() };
        let (mut h, n) = encode_code(&key, &sites, &[], &bytes);
        h.extend_from_slice(&bytes[..n]);
        let f = check_fixed(&h[..FIXED], &key, h.len() as u64).expect("a code entry");
        let (header, data) = h.split_at(f.image_offset as usize);
        let mut back = data.to_vec();
        back.resize(f.alloc_len as usize, 0);
        let c = decode_code(&f, header, back, true).expect("decodes");
        assert_eq!((c.sites, c.bytes), (sites, bytes));
        // Not the entry of another mapping of the file, nor an image.
        assert!(check_fixed(&h[..FIXED], &DiskKey { code: Some((0, 2 * PAGE_SIZE)), ..key }, h.len() as u64).is_none());
        assert!(roundtrip(&h, &DiskKey { code: None, ..key }).is_none());
        for i in 0..h.len() {
            let mut bad = h.clone();
            bad[i] ^= 0x40;
            let Some(f) = check_fixed(&bad[..FIXED], &key, bad.len() as u64) else { continue };
            let (header, data) = bad.split_at(f.image_offset as usize);
            let mut back = data.to_vec();
            back.resize(f.alloc_len as usize, 0);
            assert!(decode_code(&f, header, back, true).is_none(), "byte {i} flipped");
        }
    }

    /// Without the checksum (an entry stamped as checked), the checks of
    /// what the entry describes still apply: a site that is not rewritten
    /// or a length that is not the file's is a miss; a flipped data byte
    /// elsewhere is what the stamp vouches for.
    #[test]
    fn without_the_sum_the_entry_is_still_checked_for_sense() {
        let good = file();
        assert!(roundtrip_summed(&good, &key(), false).is_some());
        let f = check_fixed(&good[..FIXED], &key(), good.len() as u64).expect("an entry");
        let image_offset = f.image_offset as usize;
        let mut flipped = good.clone();
        flipped[image_offset + 0x30] ^= 1;
        assert!(roundtrip_summed(&flipped, &key(), true).is_none());
        assert!(roundtrip_summed(&flipped, &key(), false).is_some());
        let mut unrewritten = good.clone();
        unrewritten[image_offset + 0x10] ^= 1;
        assert!(roundtrip_summed(&unrewritten, &key(), false).is_none(), "the site is no longer call *%rax");
        let mut longer = good;
        longer.push(0);
        assert!(roundtrip_summed(&longer, &key(), false).is_none());
    }

    #[test]
    fn a_site_that_is_not_rewritten_is_a_miss_even_with_a_good_checksum() {
        let (t, _, bytes) = image();
        let (mut h, n) = encode(&key(), &t, &[0x20], &[], &bytes);
        h.extend_from_slice(&bytes[..n]);
        assert!(roundtrip(&h, &key()).is_none());
    }
}
