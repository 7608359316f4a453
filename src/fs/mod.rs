//! Files: open file descriptions and the per-process descriptor table.
//! So far every file is a host file descriptor (the guest's stdio).

pub mod fdtable;
pub mod file;

pub use fdtable::FdTable;
pub use file::OpenFile;
