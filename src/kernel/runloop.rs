//! The per-task run loop: enter the guest, handle the exit, repeat.

use super::machine::Machine;
use super::process::ExitStatus;
use super::signal::signal_name;
use super::task::Task;
use crate::arch::{trampoline, VcpuExit};
use crate::errno::Errno;
use crate::syscall::{self, SyscallCtx};

/// Runs `task` until its process ends.
pub fn run_task(m: &Machine, task: &mut Task) -> ExitStatus {
    let status = loop {
        task.vcpu.clear_kick();
        match task.vcpu.run() {
            VcpuExit::Syscall => {
                if let Some(status) = handle_syscall(m, task) {
                    break status;
                }
            }
            VcpuExit::Fault { signo, code, addr } => {
                if complete_out_of_range_syscall(m, task) {
                    continue;
                }
                log::debug!("pid {} fault {} code {code} addr {addr:#x}", task.process.pid, signal_name(signo));
                break kill_with_signal(task, signo, task.vcpu.regs().rip, addr);
            }
            VcpuExit::Kick => {}
        }
    };
    task.process.regions().release_all(&m.mem);
    status
}

/// Handles one syscall exit; `Some` when the process is over.
fn handle_syscall(m: &Machine, task: &mut Task) -> Option<ExitStatus> {
    let regs = *task.vcpu.regs();
    // Only a rewritten site may enter (invariant 2). Anything else that
    // reached page 0 was a call through a NULL (or tiny) function pointer:
    // the CPU would have pushed the return address and faulted at 0.
    if !m.mem.sites.contains(regs.rip.wrapping_sub(2)) {
        let r = task.vcpu.regs_mut();
        r.rsp = regs.rsp - 8;
        r.rip = 0;
        return Some(kill_with_signal(task, libc::SIGSEGV, 0, 0));
    }
    let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
    let mut ctx = SyscallCtx { m, task, exit: None };
    let ret = syscall::dispatch(&mut ctx, regs.rax, args);
    if let Some(status) = ctx.exit {
        return Some(status);
    }
    let r = task.vcpu.regs_mut();
    r.rax = ret;
    // What the `syscall` instruction leaves behind on Linux.
    r.rcx = r.rip;
    r.r11 = r.rflags;
    None
}

/// A syscall number ≥ the sled length runs into a trap in the trampoline
/// (or, ≥ 4096, faults on the call itself). If the return address on the
/// stack is a rewritten site, that was a syscall: finish it with ENOSYS.
fn complete_out_of_range_syscall(m: &Machine, task: &mut Task) -> bool {
    let regs = *task.vcpu.regs();
    if !(trampoline::contains(regs.rip) || regs.rip == regs.rax) {
        return false;
    }
    let Ok(ret) = m.mem.user.read_u64(regs.rsp) else {
        return false;
    };
    if !m.mem.sites.contains(ret.wrapping_sub(2)) {
        return false;
    }
    let nr = if regs.rip == regs.rax { regs.rax } else { regs.rip.saturating_sub(1) };
    m.note_enosys(nr);
    let r = task.vcpu.regs_mut();
    r.rip = ret;
    r.rsp = regs.rsp + 8;
    r.rax = Errno::ENOSYS.as_return();
    r.rcx = ret;
    r.r11 = r.rflags;
    true
}

/// A fatal signal with no handler: the process dies with it.
fn kill_with_signal(task: &Task, signo: i32, rip: u64, addr: u64) -> ExitStatus {
    eprintln!(
        "nommu: pid {} ({}) killed by {} at rip={rip:#x} addr={addr:#x}",
        task.process.pid,
        task.process.comm(),
        signal_name(signo)
    );
    ExitStatus::Signaled(signo)
}
