//! The Linux x86-64 ABI as guests see it: syscall names and numbers, and
//! (as they move here) the `#[repr(C)]` structures and constants, each
//! defined once.

pub mod auxv;
pub mod binfmts;
pub mod consts;
pub mod futex;
pub mod names;
pub mod prctl;
pub mod reboot;
pub mod resource;
pub mod sched;
pub mod seccomp;
pub mod signal;
pub mod sysinfo;
pub mod time;
pub mod types;
pub mod utsname;
pub mod wait;
pub mod x86;
