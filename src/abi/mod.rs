//! The Linux x86-64 ABI as guests see it: syscall names and numbers, and
//! (as they move here) the `#[repr(C)]` structures and constants, each
//! defined once.

pub mod capability;
pub mod consts;
pub mod dirent;
pub mod elf;
pub mod fcntl;
pub mod ioctl;
pub mod ipc;
pub mod mman;
pub mod names;
pub mod poll;
pub mod random;
pub mod socket;
pub mod stat;
pub mod types;
pub mod xattr;
