//! The Linux x86-64 ABI as guests see it: syscall names and numbers, and
//! (as they move here) the `#[repr(C)]` structures and constants, each
//! defined once.

pub mod auxv;
pub mod binfmts;
pub mod capability;
pub mod consts;
pub mod dirent;
pub mod elf;
pub mod event;
pub mod fcntl;
pub mod futex;
pub mod ioctl;
pub mod ipc;
pub mod magic;
pub mod mman;
pub mod mount;
pub mod names;
pub mod poll;
pub mod prctl;
pub mod random;
pub mod reboot;
pub mod resource;
pub mod sched;
pub mod seccomp;
pub mod signal;
pub mod socket;
pub mod stat;
pub mod sysinfo;
pub mod syslog;
pub mod time;
pub mod types;
pub mod utsname;
pub mod wait;
pub mod x86;
pub mod xattr;
