//! Memory mapping constants: `PROT_*`, `MAP_*`, `MADV_*`, `MS_*`
//! (<asm-generic/mman-common.h>, <asm/mman.h>, <linux/mman.h>), mremap's
//! `MREMAP_*` and mlock2's `MLOCK_*`.
//!
//! mmap, mprotect and mremap take their flags as `unsigned long`: those
//! are `u64`. madvise, msync and mlock2 take an `int`: `i32`.

/// `PROT_*`: what a mapping allows.
pub const PROT_NONE: u64 = 0x0;
pub const PROT_READ: u64 = 0x1;
pub const PROT_WRITE: u64 = 0x2;
pub const PROT_EXEC: u64 = 0x4;
pub const PROT_SEM: u64 = 0x8;
/// mprotect only: extend the change to the start (end) of a mapping that
/// grows down (up).
pub const PROT_GROWSDOWN: u64 = 0x0100_0000;
pub const PROT_GROWSUP: u64 = 0x0200_0000;

/// `MAP_*`: the mapping type (the MAP_TYPE bits), then flags.
pub const MAP_SHARED: u64 = 0x01;
pub const MAP_PRIVATE: u64 = 0x02;
pub const MAP_SHARED_VALIDATE: u64 = 0x03;
pub const MAP_DROPPABLE: u64 = 0x08;
pub const MAP_TYPE: u64 = 0x0f;
pub const MAP_FIXED: u64 = 0x10;
pub const MAP_ANONYMOUS: u64 = 0x20;
pub const MAP_GROWSDOWN: u64 = 0x0100;
/// Ignored by Linux, kept for compatibility.
pub const MAP_DENYWRITE: u64 = 0x0800;
/// Ignored by Linux, kept for compatibility.
pub const MAP_EXECUTABLE: u64 = 0x1000;
pub const MAP_LOCKED: u64 = 0x2000;
pub const MAP_NORESERVE: u64 = 0x4000;
pub const MAP_POPULATE: u64 = 0x8000;
pub const MAP_STACK: u64 = 0x2_0000;
pub const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;

/// mremap's flags.
pub const MREMAP_MAYMOVE: u64 = 1;
pub const MREMAP_FIXED: u64 = 2;
pub const MREMAP_DONTUNMAP: u64 = 4;

/// madvise's advice. The numbering has gaps (5 to 7 are unused); 100 and
/// 101 exist only in kernels with CONFIG_MEMORY_FAILURE.
pub const MADV_NORMAL: i32 = 0;
pub const MADV_RANDOM: i32 = 1;
pub const MADV_SEQUENTIAL: i32 = 2;
pub const MADV_WILLNEED: i32 = 3;
pub const MADV_DONTNEED: i32 = 4;
pub const MADV_FREE: i32 = 8;
pub const MADV_REMOVE: i32 = 9;
pub const MADV_DONTFORK: i32 = 10;
pub const MADV_DOFORK: i32 = 11;
pub const MADV_MERGEABLE: i32 = 12;
pub const MADV_UNMERGEABLE: i32 = 13;
pub const MADV_HUGEPAGE: i32 = 14;
pub const MADV_NOHUGEPAGE: i32 = 15;
pub const MADV_DONTDUMP: i32 = 16;
pub const MADV_DODUMP: i32 = 17;
pub const MADV_WIPEONFORK: i32 = 18;
pub const MADV_KEEPONFORK: i32 = 19;
pub const MADV_COLD: i32 = 20;
pub const MADV_PAGEOUT: i32 = 21;
pub const MADV_POPULATE_READ: i32 = 22;
pub const MADV_POPULATE_WRITE: i32 = 23;
pub const MADV_DONTNEED_LOCKED: i32 = 24;
pub const MADV_COLLAPSE: i32 = 25;
pub const MADV_HWPOISON: i32 = 100;
pub const MADV_SOFT_OFFLINE: i32 = 101;
pub const MADV_GUARD_INSTALL: i32 = 102;
pub const MADV_GUARD_REMOVE: i32 = 103;

/// msync's flags.
pub const MS_ASYNC: i32 = 1;
pub const MS_INVALIDATE: i32 = 2;
pub const MS_SYNC: i32 = 4;

/// mlock2's only flag.
pub const MLOCK_ONFAULT: i32 = 1;

/// The largest errno (<linux/err.h>): a result in the last MAX_ERRNO
/// values below 2^64 reads as -errno, whatever the call meant by it.
pub const MAX_ERRNO: u64 = 4095;
