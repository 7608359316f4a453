//! Directory entries as getdents64 returns them: the `d_type` values
//! (include/linux/fs_types.h, the same as a libc's <dirent.h>) and the
//! layout of `struct linux_dirent64`.

pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;
pub const DT_SOCK: u8 = 12;

/// offsetof(struct linux_dirent64, d_name): d_ino, d_off, d_reclen and
/// d_type come first.
pub const DIRENT64_NAME_OFFSET: usize = 8 + 8 + 2 + 1;
/// Each record is padded to this alignment.
pub const DIRENT64_ALIGN: usize = 8;
