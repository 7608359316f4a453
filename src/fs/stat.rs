//! `struct stat` and `struct statx` images, for files the kernel makes up.

use crate::abi::stat::STATX_BASIC_STATS;
use crate::abi::types::{Stat as AbiStat, Statx, StatxTimestamp, Timespec};

/// Device number reported for /proc and /dev's generated entries.
pub(crate) const PROC_DEV: u64 = 0x16;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
    /// atime, mtime, ctime: (seconds, nanoseconds).
    pub time: (i64, i64),
}

impl Stat {
    /// The guest's `struct stat`.
    pub(crate) fn to_abi(self) -> AbiStat {
        let time = Timespec { tv_sec: self.time.0, tv_nsec: self.time.1 };
        AbiStat {
            st_dev: self.dev,
            st_ino: self.ino,
            st_nlink: self.nlink,
            st_mode: self.mode,
            st_uid: self.uid,
            st_gid: self.gid,
            st_rdev: self.rdev,
            st_size: self.size,
            st_blksize: self.blksize,
            st_blocks: self.blocks,
            st_atime: time,
            st_mtime: time,
            st_ctime: time,
            ..Default::default()
        }
    }

    /// The fields statx reports, from a `struct stat` (its mtime).
    pub(crate) fn from_abi(st: &AbiStat) -> Stat {
        Stat {
            dev: st.st_dev,
            ino: st.st_ino,
            nlink: st.st_nlink,
            mode: st.st_mode,
            uid: st.st_uid,
            gid: st.st_gid,
            rdev: st.st_rdev,
            size: st.st_size,
            blksize: st.st_blksize,
            blocks: st.st_blocks,
            time: (st.st_mtime.tv_sec, st.st_mtime.tv_nsec),
        }
    }

    /// `struct statx` with the basic fields.
    pub(crate) fn to_statx(self) -> Statx {
        let time = StatxTimestamp { tv_sec: self.time.0, tv_nsec: self.time.1 as u32, __reserved: 0 };
        Statx {
            stx_mask: STATX_BASIC_STATS,
            stx_blksize: self.blksize as u32,
            stx_nlink: self.nlink as u32,
            stx_uid: self.uid,
            stx_gid: self.gid,
            stx_mode: self.mode as u16,
            stx_ino: self.ino,
            stx_size: self.size as u64,
            stx_blocks: self.blocks as u64,
            stx_atime: time,
            stx_ctime: time,
            stx_mtime: time,
            stx_rdev_major: (self.rdev >> 8) as u32 & 0xfff,
            stx_rdev_minor: self.rdev as u32 & 0xff,
            stx_dev_major: (self.dev >> 8) as u32 & 0xfff,
            stx_dev_minor: self.dev as u32 & 0xff,
            ..Default::default()
        }
    }
}

/// A stable made-up inode number for a generated path.
pub(crate) fn synthetic_ino(path: &[u8]) -> u64 {
    // FNV-1a: stable across runs, good enough to tell entries apart.
    path.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3)) | 1
}
