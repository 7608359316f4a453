//! The kernel: machine, processes, tasks and the per-task run loop.

pub mod exec;
pub mod machine;
pub mod process;
pub mod regions;
pub mod runloop;
pub mod signal;
pub mod task;

pub use machine::{Machine, MachineConfig};
pub use process::{ExitStatus, Process};
pub use task::Task;
