//! Linux x86-64 constants nommu uses in more than one place, defined once.
//! (Constants only one handler needs stay next to it.)

/// The page size of x86-64.
pub const PAGE_SIZE: u64 = 4096;
/// The top of user space with 4-level paging: the highest address a
/// mapping may end at.
pub const TASK_SIZE: u64 = (1 << 47) - PAGE_SIZE;
/// The longest path, with its NUL.
pub const PATH_MAX: usize = 4096;
/// The longest file name (one path component).
pub const NAME_MAX: usize = 255;

/// `arch_prctl` codes.
pub const ARCH_SET_GS: u32 = 0x1001;
pub const ARCH_SET_FS: u32 = 0x1002;
pub const ARCH_GET_FS: u32 = 0x1003;
pub const ARCH_GET_GS: u32 = 0x1004;

/// `si_code`s of SIGSEGV.
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const SEGV_PKUERR: i32 = 4;

/// rflags bits.
pub const EFLAGS_TF: u64 = 1 << 8;
pub const EFLAGS_DF: u64 = 1 << 10;

/// The magic numbers that mark an extended xsave image in a signal frame.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
