//! Program loading: ELF images into the arena, and the initial stack.

pub mod arglist;
pub mod cache;
pub mod codecache;
pub mod diskcache;
pub(crate) mod diskformat;
pub mod elf;
pub mod lru;
pub mod stack;

pub use arglist::ArgList;
pub use elf::{load_elf, load_elf_for, ExecImage, FixedOwner, Segment, SegmentKind};
pub(crate) use stack::{build_initial_stack, StackSpec};
