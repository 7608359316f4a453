//! A task: one guest thread of control, bound to one host thread and vCPU.

use super::process::Process;
use super::signal::SigSet;
use crate::arch::Vcpu;
use std::sync::Arc;

pub struct Task {
    pub tid: i32,
    pub process: Arc<Process>,
    pub vcpu: Vcpu,
    pub sigmask: SigSet,
    /// set_tid_address: cleared and futex-woken when the task exits.
    pub clear_child_tid: u64,
    pub robust_list: (u64, u64),
}

impl Task {
    pub fn new(tid: i32, process: Arc<Process>, vcpu: Vcpu) -> Task {
        Task { tid, process, vcpu, sigmask: 0, clear_child_tid: 0, robust_list: (0, 0) }
    }
}
