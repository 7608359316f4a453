//! Everything that is asm or CPU-specific: the page-0 trampoline, the entry
//! stubs, the vCPU run loop primitive and the host signal stubs.

pub mod x86_64;
pub use self::x86_64::*;
