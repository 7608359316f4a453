//! linux/magic.h: file system types as `statfs(2)` reports them.

pub const TMPFS_MAGIC: i64 = 0x0102_1994;
pub const RAMFS_MAGIC: i64 = 0x8584_58f6;
pub const PROC_SUPER_MAGIC: i64 = 0x9fa0;
pub const DEVPTS_SUPER_MAGIC: i64 = 0x1cd1;
