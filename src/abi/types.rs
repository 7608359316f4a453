//! The `#[repr(C)]` structures of the x86-64 Linux ABI that nommu reads
//! from and writes to guest memory, with Linux's field names. Every field
//! is an integer and there is no padding the compiler could leave
//! uninitialised (the sizes are checked below), which is what lets
//! `mm::abi_bytes` implement vm-memory's `ByteValued` for them.

/// `struct timespec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

/// `struct timeval`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}

impl Timeval {
    pub(crate) fn from_duration(d: std::time::Duration) -> Timeval {
        Timeval { tv_sec: d.as_secs() as i64, tv_usec: i64::from(d.subsec_micros()) }
    }
}

/// `struct itimerval`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Itimerval {
    pub it_interval: Timeval,
    pub it_value: Timeval,
}

/// `struct rusage`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rusage {
    pub ru_utime: Timeval,
    pub ru_stime: Timeval,
    pub ru_maxrss: i64,
    pub ru_ixrss: i64,
    pub ru_idrss: i64,
    pub ru_isrss: i64,
    pub ru_minflt: i64,
    pub ru_majflt: i64,
    pub ru_nswap: i64,
    pub ru_inblock: i64,
    pub ru_oublock: i64,
    pub ru_msgsnd: i64,
    pub ru_msgrcv: i64,
    pub ru_nsignals: i64,
    pub ru_nvcsw: i64,
    pub ru_nivcsw: i64,
}

/// x86-64 `struct stat` (what `stat`, `fstat`, `newfstatat` fill in).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub __pad0: u32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_atime: Timespec,
    pub st_mtime: Timespec,
    pub st_ctime: Timespec,
    pub __unused: [i64; 3],
}

/// `struct statx_timestamp`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatxTimestamp {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub __reserved: i32,
}

/// `struct statx` (what `statx` fills in; the fields after `stx_dev_minor`
/// are kept as spare words, zero for the files nommu makes up).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pub __spare0: u16,
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    pub stx_atime: StatxTimestamp,
    pub stx_btime: StatxTimestamp,
    pub stx_ctime: StatxTimestamp,
    pub stx_mtime: StatxTimestamp,
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    pub __spare: [u64; 14],
}

/// `struct iovec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Iovec {
    pub iov_base: u64,
    pub iov_len: u64,
}

/// The kernel's `struct sigaction` (what `rt_sigaction` takes: handler,
/// flags, restorer, then a 64-bit mask — not libc's layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelSigaction {
    pub sa_handler: u64,
    pub sa_flags: u64,
    pub sa_restorer: u64,
    pub sa_mask: u64,
}

const _: () = {
    assert!(std::mem::size_of::<Timespec>() == 16);
    assert!(std::mem::size_of::<Timeval>() == 16);
    assert!(std::mem::size_of::<Itimerval>() == 32);
    assert!(std::mem::size_of::<Rusage>() == 144);
    assert!(std::mem::size_of::<Stat>() == 144);
    assert!(std::mem::offset_of!(Stat, st_rdev) == 40);
    assert!(std::mem::offset_of!(Stat, st_atime) == 72);
    assert!(std::mem::size_of::<Iovec>() == 16);
    assert!(std::mem::size_of::<StatxTimestamp>() == 16);
    assert!(std::mem::size_of::<Statx>() == 256);
    assert!(std::mem::offset_of!(Statx, stx_ino) == 32);
    assert!(std::mem::offset_of!(Statx, stx_atime) == 64);
    assert!(std::mem::offset_of!(Statx, stx_rdev_major) == 128);
    assert!(std::mem::size_of::<KernelSigaction>() == 32);
};
