//! The on-disk image cache: rewritten images kept in files under
//! `$XDG_CACHE_HOME/nommu` (else `$HOME/.cache/nommu`), so that a new
//! nommu process running a program some nommu already ran copies its
//! image instead of decoding and rewriting it — it never builds a
//! decoder. The in-memory caches (`cache` for programs, `codecache` for
//! the shared libraries a dynamic linker maps) ask here on a miss and
//! hand what they build here.
//!
//! An entry is named by a hash of its key (the program file's device,
//! inode, size and mtime, the rewrite mode, and the nommu build), holds
//! the key in its header, and is checked whole before use
//! (`diskformat`): a stale, torn, truncated or corrupted entry is a miss.
//! Writers write a temporary file in the same directory and rename it
//! into place, so concurrent nommu processes never see half an entry.
//! The directory is kept under a size limit by deleting the entries
//! least recently used (by mtime: a hit refreshes an entry's mtime when
//! it is more than an hour old).

use super::cache::FileId;
use super::diskformat::{self, DiskImage, DiskKey, Fixed, MAX_IMAGE};
use super::elf::{ExecImage, SegmentKind};
use crate::mm::filemap::FileMap;
use crate::mm::sitemap::SitePolicy;
use crate::mm::PAGE_SIZE;
use crate::rewrite::verdicts;
use std::fs::{self, File};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

const POLICY_SKIP_RED_ZONE: u32 = 1;

/// Bytes of entries the directory may hold by default.
pub const DEFAULT_LIMIT: u64 = 256 << 20;
/// How stale a temporary file must be before another writer removes it
/// (its writer died).
const STALE_TEMP: Duration = Duration::from_secs(600);
/// A hit refreshes the entry's mtime (its place in the eviction order)
/// when the mtime is older than this.
const REFRESH: Duration = Duration::from_secs(3600);
/// A file modified less than this long ago is not kept: a second change
/// within the file system's timestamp granularity (a few ms on ext4, 2 s
/// on FAT) could leave the same size and mtime, and the entry would then
/// be taken for the new content. Racy git's rule, the same reason.
const SETTLED: Duration = Duration::from_secs(2);

/// Where the cache lives and how large it may grow.
#[derive(Clone, Debug)]
pub struct DiskCacheConfig {
    pub dir: PathBuf,
    pub limit: u64,
}

impl DiskCacheConfig {
    /// `$XDG_CACHE_HOME/nommu`, else `$HOME/.cache/nommu` (absolute paths
    /// only, as the XDG spec says); `NOMMU_CACHE_SIZE` (like `64M`) sets
    /// the limit. `None` when neither variable names a directory.
    pub fn from_env() -> Option<DiskCacheConfig> {
        let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
        let dir = std::env::var_os("XDG_CACHE_HOME")
            .and_then(absolute)
            .or_else(|| std::env::var_os("HOME").and_then(absolute).map(|h| h.join(".cache")))
            .map(|d| d.join("nommu"));
        let Some(dir) = dir else {
            log::debug!("no XDG_CACHE_HOME or HOME: no on-disk image cache");
            return None;
        };
        let limit = crate::arch::switches::var("NOMMU_CACHE_SIZE").and_then(crate::parse_size).unwrap_or(DEFAULT_LIMIT);
        Some(DiskCacheConfig { dir, limit })
    }
}

/// The disk cache of one machine (`None` inside: switched off).
#[derive(Default)]
pub(crate) struct DiskCache {
    config: Option<DiskCacheConfig>,
    policy: u32,
    /// Which nommu build this is (`None`: unknown, no cache).
    build: OnceLock<Option<u64>>,
    /// Bytes of entries in the directory, as far as this process knows
    /// (read once at its first store).
    bytes: Mutex<Option<u64>>,
}

impl DiskCache {
    pub(crate) fn new(config: Option<DiskCacheConfig>, policy: SitePolicy) -> DiskCache {
        let policy = match policy {
            SitePolicy::RewriteAll => 0,
            SitePolicy::SkipRedZone => POLICY_SKIP_RED_ZONE,
            SitePolicy::TrapOnly => 2,
        };
        DiskCache { config, policy, ..Default::default() }
    }

    fn key(&self, id: &FileId, code: Option<(u64, u64)>) -> Option<(DiskKey, &Path)> {
        let config = self.config.as_ref()?;
        let build = (*self.build.get_or_init(build_id))?;
        let (dev, ino, size, mtime, policy) = (id.dev, id.ino, id.size, id.mtime, self.policy);
        Some((DiskKey { dev, ino, size, mtime, policy, build, code }, &config.dir))
    }

    /// The image cached for `id`, if a valid entry is there, and the
    /// entry's file (kept open: see `DiskFile`).
    pub(crate) fn lookup(&self, id: &FileId) -> Option<(DiskImage<MappedData>, DiskFile)> {
        let (key, dir) = self.key(id, None)?;
        let (d, file) = lookup_mapped(dir, &key, diskformat::decode)?;
        verdicts::learn(d.bytes.as_ref(), &d.verdicts);
        Some((d, file))
    }

    /// The rewritten code of the `len` bytes at `offset` of file `id`, if
    /// a valid entry is there: its sites, its stored bytes (read where the
    /// entry is mapped) and the entry's file, which the text can be
    /// mapped from (`CachedCode::place`).
    pub(crate) fn lookup_code(&self, id: &FileId, offset: u64, len: u64) -> Option<(Vec<u64>, MappedData, DiskFile)> {
        let (key, dir) = self.key(id, Some((offset, len)))?;
        let (d, file) = lookup_mapped(dir, &key, diskformat::decode_code)?;
        verdicts::learn(d.bytes.as_ref(), &d.verdicts);
        Some((d.sites, d.bytes, file))
    }

    /// Keeps the image of `id` on disk (what `lookup` gives back); any
    /// failure only means no entry.
    pub(crate) fn store(&self, id: &FileId, template: &ExecImage, sites: &[u64], bytes: &[u8]) {
        let Some((key, _)) = self.key(id, None).filter(|_| settled(id)) else { return };
        let texts: Vec<(u64, u64)> =
            template.segments.iter().filter(|s| s.kind == SegmentKind::Text).map(|s| (s.start, s.len)).collect();
        let verdicts = self.judge(bytes, &texts, sites);
        self.store_with(&key, bytes, |key| diskformat::encode(key, template, sites, &verdicts, bytes));
    }

    /// The trap path's verdicts on what the rewrite left to it: only where
    /// there is a trap path and something is rewritten (`SkipRedZone`).
    fn judge(&self, bytes: &[u8], texts: &[(u64, u64)], sites: &[u64]) -> Vec<verdicts::Verdict> {
        if self.policy != POLICY_SKIP_RED_ZONE {
            return Vec::new();
        }
        let mut sorted = sites.to_vec();
        sorted.sort_unstable();
        verdicts::judge_unrewritten(bytes, texts, &sorted)
    }

    /// Keeps a code mapping's rewritten bytes and sites on disk.
    pub(crate) fn store_code(&self, id: &FileId, offset: u64, sites: &[u64], bytes: &[u8]) {
        let Some((key, _)) = self.key(id, Some((offset, bytes.len() as u64))).filter(|_| settled(id)) else {
            return;
        };
        let verdicts = self.judge(bytes, &[(0, bytes.len() as u64)], sites);
        self.store_with(&key, bytes, |key| diskformat::encode_code(key, sites, &verdicts, bytes));
    }

    fn store_with(&self, key: &DiskKey, bytes: &[u8], encode: impl FnOnce(&DiskKey) -> (Vec<u8>, usize)) {
        let Some(dir) = self.config.as_ref().map(|c| c.dir.as_path()) else { return };
        if bytes.len() as u64 > MAX_IMAGE {
            return;
        }
        let (header, data_len) = encode(key);
        let size = (header.len() + data_len) as u64;
        let limit = self.config.as_ref().map_or(0, |c| c.limit);
        if size > limit {
            return;
        }
        match write_entry(dir, &key.file_name(), &header, &bytes[..data_len]) {
            Ok(()) => self.account(dir, size, limit),
            Err(e) => log::debug!("image cache: cannot write into {}: {e}", dir.display()),
        }
    }

    /// Counts a new entry of `size` bytes, evicting when over the limit.
    fn account(&self, dir: &Path, size: u64, limit: u64) {
        let mut known = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        let total = match *known {
            Some(t) => t.saturating_add(size),
            None => scan(dir).iter().map(|e| e.size).sum(),
        };
        *known = Some(if total > limit { evict(dir, limit) } else { total });
    }
}

/// The program file's mtime is at least SETTLED in the past (see there).
fn settled(id: &FileId) -> bool {
    let settled = settled_mtime(id.mtime);
    if !settled {
        log::debug!("image cache: the file changed less than {SETTLED:?} ago: not kept");
    }
    settled
}

/// An mtime (seconds, nanoseconds) at least SETTLED in the past.
fn settled_mtime((sec, nsec): (i64, i64)) -> bool {
    let Ok(now) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) else { return false };
    let (Ok(sec), Ok(nsec)) = (u64::try_from(sec), u32::try_from(nsec)) else {
        return sec < 0; // before 1970: long settled
    };
    now.checked_sub(Duration::new(sec, nsec.min(999_999_999))).is_some_and(|age| age >= SETTLED)
}

/// The nommu build: its version and the GNU build ID the linker put in
/// its image (read from memory), else the identity of its executable
/// file (a stat of /proc/self/exe), so that a rebuilt nommu (whose
/// rewriting may differ) never uses entries of another.
fn build_id() -> Option<u64> {
    if let Some(id) = crate::arch::selfimage::build_id() {
        return Some(diskformat::checksum(&[env!("CARGO_PKG_VERSION").as_bytes(), b"build-id", id]));
    }
    let exe = fs::metadata("/proc/self/exe").ok()?;
    let words = [exe.dev(), exe.ino(), exe.size(), exe.mtime() as u64, exe.mtime_nsec() as u64];
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    Some(diskformat::checksum(&[env!("CARGO_PKG_VERSION").as_bytes(), &bytes]))
}

/// A hit entry's open file: its image data, checked, are the `len`
/// bytes from `offset` (page-aligned) on, and the file was exactly that
/// long when it was opened (fstat). nommu only ever replaces an entry by
/// rename and removes it by unlink, so what this fd reads never changes:
/// an exec may map the image's pages from it (`cache::Backing`). Someone
/// who edits or truncates cache files in place is not guarded against
/// (a mapped page past a truncated end would be SIGBUS).
pub(crate) struct DiskFile {
    pub fd: OwnedFd,
    pub offset: u64,
    pub len: u64,
}

/// Maps and checks the entry for `key` (its data is read only where it
/// is mapped: nothing is copied); `decode` makes it what the caller
/// keeps.
fn lookup_mapped<T>(
    dir: &Path,
    key: &DiskKey,
    decode: impl FnOnce(&Fixed, &[u8], MappedData, bool) -> Option<T>,
) -> Option<(T, DiskFile)> {
    let path = dir.join(key.file_name());
    let file = open_entry(&path)?;
    let hit = map_entry(&file, key).and_then(|(fixed, map, meta)| {
        let (offset, len) = (fixed.image_offset as usize, fixed.data_len as usize);
        let (sum, put) = Stamp::on_hit(&file, &fixed, &meta);
        // The header is read where it is mapped (a copy of its 16 KiB
        // cost an mmap, 4 page faults and a munmap in musl's allocator).
        let map = std::sync::Arc::new(map);
        let header = map.clone();
        let d = decode(&fixed, &header.bytes()[..offset], MappedData { map, offset, len }, sum)?;
        Some((d, fixed.image_offset, fixed.data_len, meta, sum, put))
    });
    let Some((d, offset, len, meta, sum, put)) = hit else {
        log::debug!("image cache: {} is stale or malformed: a miss", path.display());
        return None;
    };
    let how = match (sum, put.is_some()) {
        (false, _) => "stamped: sum not checked",
        (true, true) => "sum checked, now stamped",
        (true, false) => "sum checked; too fresh to stamp",
    };
    log::debug!("image cache: {} is a hit (mapped, {how})", path.display());
    if let Some(stamp) = put {
        stamp.put(&file);
    }
    refresh(&file, &meta);
    Some((d, DiskFile { fd: OwnedFd::from(file), offset, len }))
}

/// An entry's mark that a reader found its checksum right: the checksum
/// and the entry's modification time then, as the extended attribute
/// `user.nommu.checked`. Readers after it skip the checksum (which reads
/// the whole entry) while the entry's modification time is the stamped
/// one: nommu never writes an entry in place (a new one is renamed over
/// it, with no stamp), and any write to it moves its modification time
/// — to a different one if the entry was SETTLED when stamped (racy
/// git's rule again: a write within the timestamp granularity of the
/// entry's own could leave the mtime as it was), so a fresher entry is
/// not stamped yet. Where the cache's file system has no user attributes,
/// every reader checks the sum, as without the stamp.
struct Stamp([u8; 24]);

const STAMP: &std::ffi::CStr = c"user.nommu.checked";

impl Stamp {
    /// What a hit of the entry in `file` does about its sum: whether to
    /// check it (no stamp of this sum and mtime on the entry), and the
    /// stamp to put once it is found right (None when unchecked, or when
    /// the entry is too fresh to be stamped).
    fn on_hit(file: &File, fixed: &Fixed, meta: &fs::Metadata) -> (bool, Option<Stamp>) {
        let mut b = [0u8; 24];
        b[..8].copy_from_slice(&fixed.checksum.to_le_bytes());
        b[8..16].copy_from_slice(&meta.mtime().to_le_bytes());
        b[16..].copy_from_slice(&meta.mtime_nsec().to_le_bytes());
        let mut on = [0u8; 24];
        let stamped = crate::arch::host::fgetxattr(file.as_raw_fd(), STAMP, &mut on).is_ok_and(|n| n == on.len());
        let sum = !(stamped && on == b);
        let put = sum && settled_mtime((meta.mtime(), meta.mtime_nsec()));
        (sum, put.then_some(Stamp(b)))
    }

    fn put(&self, file: &File) {
        if let Err(e) = crate::arch::host::fsetxattr(file.as_raw_fd(), STAMP, &self.0, 0) {
            log::debug!("image cache: no stamp on the entry ({e}): the next reader checks its sum again");
        }
    }
}

/// An entry's image data, read where it lies in the entry's file mapped
/// whole (`FileMap`): nothing is copied, the pages are the host's page
/// cache. The mapping's length was the file's (fstat after open), and
/// nommu's writers never write into or truncate an entry in place.
pub(crate) struct MappedData {
    map: std::sync::Arc<FileMap>,
    offset: usize,
    len: usize,
}

impl AsRef<[u8]> for MappedData {
    fn as_ref(&self) -> &[u8] {
        &self.map.bytes()[self.offset..self.offset + self.len]
    }
}

/// The fixed header of the entry in `file`, if it is one for `key`, and
/// the whole file mapped.
fn map_entry(file: &File, key: &DiskKey) -> Option<(Fixed, FileMap, fs::Metadata)> {
    let meta = file.metadata().ok()?;
    let len = meta.len();
    let map = FileMap::new(file.as_fd(), len).ok()?;
    let head = &map.bytes()[..len.min(PAGE_SIZE) as usize];
    let fixed = diskformat::check_fixed(head, key, len)?;
    Some((fixed, map, meta))
}

/// An entry's file, opened for reading with one host call (std's
/// `File::open` is musl's `open`, which follows an `O_CLOEXEC` open with
/// a redundant `fcntl(F_SETFD)`).
fn open_entry(path: &Path) -> Option<File> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    crate::arch::host::open(&c, libc::O_RDONLY, 0).ok().map(File::from)
}

/// Moves a hit entry to the young end of the eviction order (cheaply:
/// only when it was not used for a while; `meta` is the file's, from
/// when it was opened).
fn refresh(file: &File, meta: &fs::Metadata) {
    let old = meta.modified().ok().and_then(|t| t.elapsed().ok());
    if old.is_some_and(|age| age > REFRESH) {
        let _ = file.set_modified(SystemTime::now());
    }
}

fn write_entry(dir: &Path, name: &str, header: &[u8], data: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".tmp-{}-{n}", std::process::id()));
    let written = (|| {
        let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(header)?;
        f.write_all(data)?;
        drop(f);
        fs::rename(&tmp, dir.join(name))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

struct Entry {
    path: PathBuf,
    size: u64,
    mtime: SystemTime,
}

/// The entries in `dir`; temporary files whose writers are long gone are
/// removed on the way.
fn scan(dir: &Path) -> Vec<Entry> {
    let Ok(list) = fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for e in list.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Ok(meta) = e.metadata() else { continue };
        let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if name.starts_with(".tmp-") {
            if mtime.elapsed().is_ok_and(|age| age > STALE_TEMP) {
                let _ = fs::remove_file(e.path());
            }
        } else if name.ends_with(".img") && meta.is_file() {
            out.push(Entry { path: e.path(), size: meta.len(), mtime });
        }
    }
    out
}

/// Deletes the least recently used entries until what stays fits in
/// three quarters of `limit` (so that eviction is not needed at every
/// store); returns the bytes that stay.
fn evict(dir: &Path, limit: u64) -> u64 {
    let mut entries = scan(dir);
    entries.sort_by_key(|e| e.mtime);
    let mut total: u64 = entries.iter().map(|e| e.size).sum();
    let goal = limit / 4 * 3;
    for e in &entries {
        if total <= goal {
            break;
        }
        if fs::remove_file(&e.path).is_ok() {
            log::debug!("image cache: evicted {}", e.path.display());
            total = total.saturating_sub(e.size);
        }
    }
    total
}
