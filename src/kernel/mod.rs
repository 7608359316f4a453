//! The kernel: machine, processes, tasks and the per-task run loop.

pub mod delivery;
pub mod exec;
pub mod hostsignals;
pub mod lifecycle;
pub mod machine;
pub mod memmap;
pub mod process;
pub mod regions;
pub mod report;
pub mod runloop;
pub mod signal;
pub mod symbolize;
pub mod task;
pub mod threadpool;
pub mod timers;

pub use machine::{Machine, MachineConfig};
pub use process::{ExitStatus, Process};
pub use task::Task;
