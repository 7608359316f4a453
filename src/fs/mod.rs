//! Files: a VFS over a host root directory (like UML's hostfs), plus the
//! kernel's own /proc and /dev.

pub mod devfs;
pub mod fdtable;
pub mod file;
pub mod path;
pub mod procfs;
pub mod root;
pub mod stat;
pub mod vfs;

pub use fdtable::FdTable;
pub use file::OpenFile;
pub use root::HostRoot;
