//! Guest memory: the one arena, its page allocator, and user-pointer access.

pub mod alloc;
pub mod arena;
pub mod guard;
pub mod memory;
pub mod resident;
pub mod sitemap;
pub mod uaccess;

pub use alloc::{AllocStats, PageAllocator};
pub use arena::Arena;
pub use memory::Memory;
pub use uaccess::UserMemory;

pub const PAGE_SIZE: u64 = 4096;

pub fn page_up(x: u64) -> u64 {
    (x + PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

pub fn page_down(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}
