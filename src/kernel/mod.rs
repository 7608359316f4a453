//! The kernel objects: the machine, processes, tasks, signals and their
//! delivery, exec, timers, and /proc generated from them. The per-task run
//! loop that drives them is above (`src/runloop.rs`).
//!
//! `regions` (a process's share of the arena) keeps clippy's
//! `arithmetic_side_effects` lint; the rest works on host values.

#[allow(clippy::arithmetic_side_effects)]
pub mod delivery;
pub mod diag;
#[allow(clippy::arithmetic_side_effects)]
pub mod exec;
pub mod fixedturn;
#[allow(clippy::arithmetic_side_effects)]
pub mod hostsignals;
pub(crate) mod hostthread;
pub mod ipc;
pub mod isolate;
#[allow(clippy::arithmetic_side_effects)]
pub mod klog;
#[allow(clippy::arithmetic_side_effects)]
pub mod kmsg;
#[allow(clippy::arithmetic_side_effects)]
pub mod lifecycle;
#[allow(clippy::arithmetic_side_effects)]
pub mod machine;
#[allow(clippy::arithmetic_side_effects)]
pub mod memmap;
pub mod net;
pub mod pifutex;
#[allow(clippy::arithmetic_side_effects)]
pub mod process;
#[allow(clippy::arithmetic_side_effects)]
pub mod procfs;
#[allow(clippy::arithmetic_side_effects)]
pub mod procmaps;
pub mod procmounts;
#[allow(clippy::arithmetic_side_effects)]
pub mod procnet;
pub mod procsys;
pub mod profile;
pub mod pty;
pub mod regions;
#[allow(clippy::arithmetic_side_effects)]
pub mod report;
pub mod rlimits;
pub mod robust;
pub mod runfirst;
#[allow(clippy::arithmetic_side_effects)]
pub mod signal;
pub mod signalfd;
#[allow(clippy::arithmetic_side_effects)]
pub mod symbolize;
#[allow(clippy::arithmetic_side_effects)]
pub mod task;
#[allow(clippy::arithmetic_side_effects)]
pub mod threadpool;
#[allow(clippy::arithmetic_side_effects)]
pub mod timeline;
#[allow(clippy::arithmetic_side_effects)]
pub mod timers;
#[allow(clippy::arithmetic_side_effects)]
pub mod trace;
pub mod vforkrun;

pub use machine::{Machine, MachineConfig, Reserve};
pub use process::{ExitStatus, Process};
pub use task::Task;
