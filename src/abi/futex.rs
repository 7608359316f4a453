//! futex(2) operations and flags, the bits of a robust futex word, and
//! the robust list a thread registers (<linux/futex.h>).

/// Operations: the low bits of futex's `op`.
pub const FUTEX_WAIT: u32 = 0;
pub const FUTEX_WAKE: u32 = 1;
pub const FUTEX_FD: u32 = 2;
pub const FUTEX_REQUEUE: u32 = 3;
pub const FUTEX_CMP_REQUEUE: u32 = 4;
pub const FUTEX_WAKE_OP: u32 = 5;
pub const FUTEX_LOCK_PI: u32 = 6;
pub const FUTEX_UNLOCK_PI: u32 = 7;
pub const FUTEX_TRYLOCK_PI: u32 = 8;
pub const FUTEX_WAIT_BITSET: u32 = 9;
pub const FUTEX_WAKE_BITSET: u32 = 10;
pub const FUTEX_WAIT_REQUEUE_PI: u32 = 11;
pub const FUTEX_CMP_REQUEUE_PI: u32 = 12;
pub const FUTEX_LOCK_PI2: u32 = 13;

/// Flags or'ed into `op`.
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
pub const FUTEX_CMD_MASK: u32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
pub const FUTEX_WAIT_PRIVATE: u32 = FUTEX_WAIT | FUTEX_PRIVATE_FLAG;
pub const FUTEX_WAKE_PRIVATE: u32 = FUTEX_WAKE | FUTEX_PRIVATE_FLAG;

/// The bitset that matches every waiter (what FUTEX_WAIT and FUTEX_WAKE
/// use).
pub const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;

/// A robust (or PI) futex word: the owner's tid, and two flags.
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
pub const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

/// The most entries of a robust list the kernel walks when a thread dies.
pub const ROBUST_LIST_LIMIT: usize = 2048;

/// `struct robust_list_head` (set_robust_list): the list of futexes a
/// thread holds, where the futex word is in each entry, and the entry
/// being taken or released right now.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RobustListHead {
    /// `list.next`: the first entry, or the head itself when empty.
    pub list: u64,
    pub futex_offset: i64,
    pub list_op_pending: u64,
}

const _: () = assert!(std::mem::size_of::<RobustListHead>() == 24);
