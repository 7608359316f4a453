//! Capability numbers (<linux/capability.h>) nommu asks the host about.

/// Lock memory past RLIMIT_MEMLOCK.
pub const CAP_IPC_LOCK: u32 = 14;
