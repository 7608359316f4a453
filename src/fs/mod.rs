//! Files: a VFS over a host root directory (like UML's hostfs), plus /dev
//! and the walk through /proc, which the kernel generates (`node::ProcFs`).

pub mod console;
pub mod dcache;
pub mod devfs;
pub mod devnode;
pub mod dirat;
pub mod fastwalk;
pub mod fdtable;
pub mod file;
pub mod filepath;
pub mod hostpath;
pub mod jail;
pub mod mounts;
pub mod node;
pub mod path;
pub(crate) mod pins;
pub mod ramfs;
pub mod root;
pub mod staging;
pub mod stat;
pub mod vfs;

pub use fdtable::FdTable;
pub(crate) use file::OpenFile;
pub use node::ProcFs;
pub(crate) use root::HostRoot;
