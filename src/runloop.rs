//! The per-task run loop: deliver signals, enter the guest, handle the
//! exit, repeat. It sits on top of everything: the kernel below it starts
//! tasks through the `TaskLoop` it is given (`new_machine`), and syscalls
//! go to the table of `syscall`.

use crate::abi::signal::{SEGV_ACCERR, SEGV_MAPERR, SEGV_PKUERR, SIGKILL, SIGSEGV};
use crate::abi::x86::{X86_PF_INSTR, X86_PF_PK, X86_PF_PROT, X86_PF_USER, X86_TRAP_PF};
use crate::arch::{host, trampoline, VcpuExit};
use crate::errno::Errno;
use crate::kernel::delivery::{deliver, force_fault};
use crate::kernel::fixedturn;
use crate::kernel::lifecycle::exit_process;
use crate::kernel::machine::{Machine, MachineConfig, MachineError};
use crate::kernel::process::{ExitStatus, GroupExit};
use crate::kernel::signal::{default_action, signal_name, DefaultAction, SigInfo};
use crate::kernel::task::{PendingRestart, Task, TaskExit};
use crate::kernel::timers;
use crate::syscall::{self, SyscallCtx, SyscallReturn};

/// A machine whose tasks run this run loop.
pub fn new_machine(config: MachineConfig) -> Result<std::sync::Arc<Machine>, MachineError> {
    Machine::new(config, run_task)
}

/// Runs `task` until it ends; the last task of a process ends the process.
pub(crate) fn run_task(m: &Machine, task: &mut Task) {
    // --isolate: the user buffers of this task's syscalls must be its
    // process's memory or shared; whoever ran on this thread before (a
    // vfork parent whose child runs nested here) gets its key back after.
    let isolate = m.config.isolate;
    let _caller = isolate.then(|| crate::mm::isolation::CallerKey::enter(task.process.mem_key()));
    let end = loop {
        if isolate {
            // The process's key (and PKRU), which its exec changes.
            crate::mm::isolation::set_caller_key(task.process.mem_key());
            task.vcpu.set_guest_pkru(task.process.guest_pkru());
        }
        if task.vcpu.take_kick() {
            crate::kernel::hostsignals::after_kick(m, &task.process);
        }
        // A vfork child on its parent's thread that exec'd (or whose
        // parent must run) goes on elsewhere.
        if task.loan.is_some() && crate::kernel::vforkrun::must_leave(m, task) {
            timers::task_leaves(m, task);
            return;
        }
        // Signal frames and guest code need the task's fixed range, if any.
        if let Err(stop) = fixedturn::resume(m, task) {
            stop.end_group(task);
            let status = task.process.group_exit_for(task.tid).map_or(ExitStatus::Signaled(SIGKILL), |g| g.status);
            break TaskExit::Group(status);
        }
        if let Some(status) = deliver(m, task) {
            break TaskExit::Group(status);
        }
        if task.loan.is_some() && crate::kernel::vforkrun::leaving(task) {
            continue;
        }
        match task.vcpu.run() {
            VcpuExit::Syscall { trapped } => {
                if trapped {
                    rewrite_trapped_site(m, task);
                }
                if let Some(end) = handle_syscall(m, task, trapped) {
                    break end;
                }
            }
            VcpuExit::Fault { signo, code, addr } => {
                if signo == SIGSEGV && code == SEGV_ACCERR && m.mem.grow_stack(addr) {
                    // A main stack grown that far: the access runs again.
                    continue;
                }
                if complete_out_of_range_syscall(m, task) {
                    continue;
                }
                if call_could_not_push(m, task, signo, addr) {
                    if let Some(end) = handle_syscall(m, task, true) {
                        break end;
                    }
                    continue;
                }
                log::debug!("pid {} fault {} code {code} addr {addr:#x}", task.process.pid, signal_name(signo));
                let (trapno, mut err) = task.vcpu.fault_details();
                // The trampoline pages are the kernel's, not the guest's:
                // whatever protects them (a protection key, or no write
                // permission where they are readable), to the guest a
                // fault there is a plain unmapped page: not "present,
                // key violation" or "present, read-only" but "not present".
                let on_trampoline = signo == SIGSEGV
                    && code == SEGV_ACCERR
                    && trapno == X86_TRAP_PF
                    && m.caps.trampoline()
                    && trampoline::contains(addr);
                // --isolate: another process's memory (page 0's key is
                // the host's execute-only one, not an isolation key).
                let stray = m.config.isolate && code == SEGV_PKUERR && !trampoline::contains(addr);
                // Linux names the key of the page hit (si_pkey).
                let pkey = if stray { crate::kernel::isolate::report_stray(m, task, addr, err) } else { 0 };
                let code = if (code == SEGV_PKUERR && !stray) || on_trampoline {
                    err &= !(X86_PF_PROT | X86_PF_PK);
                    SEGV_MAPERR
                } else {
                    code
                };
                task.fault = Some((trapno, err, addr));
                force_fault(task, SigInfo { pkey, ..SigInfo::fault(signo, code, addr) });
            }
            VcpuExit::Kick => crate::kernel::hostsignals::after_kick(m, &task.process),
        }
    };
    timers::task_leaves(m, task);
    end_task(m, task, end);
}

/// A `syscall` that was not rewritten trapped (code written at run time, a
/// red-zone site, trap-only mode). With a trampoline, patch it now so the
/// next call takes the fast path, if that is safe (lazypoline-style).
fn rewrite_trapped_site(m: &Machine, task: &Task) {
    if m.mem.site_policy() != crate::rewrite::SitePolicy::SkipRedZone {
        return;
    }
    let site = task.vcpu.regs().rip.wrapping_sub(2);
    let lowest = task.process.mm().regions().containing(site, 2).map_or(site, |r| r.start);
    if crate::rewrite::rewrite_trapped_site(&m.mem.user, &m.mem.sites, site, lowest) {
        log::debug!("pid {}: rewrote the trapped syscall site {site:#x}", task.process.pid);
    }
}

/// Handles one syscall exit; `Some` when the task is over.
fn handle_syscall(m: &Machine, task: &mut Task, trapped: bool) -> Option<TaskExit> {
    let regs = task.vcpu.regs();
    let nr = regs.rax;
    // Only a rewritten site may enter (invariant 2). Anything else that
    // reached page 0 was a call through a NULL (or tiny) function pointer:
    // the CPU would have pushed the return address and faulted at 0.
    if !trapped && !m.mem.sites.contains(regs.rip.wrapping_sub(2)) {
        let r = task.vcpu.regs_mut();
        r.rsp -= 8;
        r.rip = 0;
        task.fault = Some((X86_TRAP_PF, X86_PF_USER | X86_PF_INSTR, 0));
        force_fault(task, SigInfo::fault(SIGSEGV, SEGV_MAPERR, 0));
        return None;
    }
    let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
    // An exec'd vfork child still on its parent's thread makes a syscall
    // that may block on a thread of its own: again, there.
    if task.loan.is_some() && crate::kernel::vforkrun::syscall_leaves(task, nr, args[0]) {
        let r = task.vcpu.regs_mut();
        r.rip -= 2;
        r.rax = nr;
        return None;
    }
    let ret = syscall::dispatch(&mut SyscallCtx::new(m, task), nr, args);
    let rax = match ret {
        Ok(SyscallReturn::Exit(end)) => return Some(end),
        Ok(SyscallReturn::Exec | SyscallReturn::SigReturn) => return None,
        Ok(SyscallReturn::Return(v)) => v,
        Err(code) if code.is_restart() => {
            task.restart = Some(PendingRestart { nr, code });
            Errno::EINTR.as_return()
        }
        Err(e) => e.as_return(),
    };
    let r = task.vcpu.regs_mut();
    // What the `syscall` instruction leaves behind on Linux.
    r.rcx = r.rip;
    r.r11 = r.rflags;
    r.rax = rax;
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
    let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
    syscall::unimplemented(m, task.tid, nr, &args);
    let r = task.vcpu.regs_mut();
    r.rip = ret;
    r.rsp = regs.rsp + 8;
    r.rax = Errno::ENOSYS.as_return();
    r.rcx = ret;
    r.r11 = r.rflags;
    true
}

/// A rewritten site's `call *%rax` faulted pushing its return address: the
/// page below the guest's rsp is inaccessible (a guard page, PROT_NONE).
/// The `syscall` it replaces pushes nothing, so it is done as a trapped
/// syscall: rip past the 2-byte site.
fn call_could_not_push(m: &Machine, task: &mut Task, signo: i32, addr: u64) -> bool {
    let regs = task.vcpu.regs();
    if signo != SIGSEGV || addr != regs.rsp.wrapping_sub(8) || !m.mem.sites.contains(regs.rip) {
        return false;
    }
    let r = task.vcpu.regs_mut();
    r.rip += 2;
    true
}

/// The task is over: clear_child_tid, leave the process; the last one out
/// ends the process.
fn end_task(m: &Machine, task: &mut Task, end: TaskExit) {
    let status = match end {
        TaskExit::Group(status) => {
            task.process.start_group_exit(GroupExit { status, survivor: None });
            status
        }
        TaskExit::Thread(code) => ExitStatus::Exited(code),
    };

    if let (ExitStatus::Signaled(signo), Some(_)) = (status, task.last_fatal) {
        report_fatal(m, task, signo);
    }
    // A task that died waiting for its fixed range must not write there.
    let owns_memory = task.process.fixed_image() == task.fixed_held;
    // Robust futexes get FUTEX_OWNER_DIED; PI locks go to their waiters.
    if owns_memory {
        m.pi_futexes.release(m, &task.shared, true);
    }
    let p = task.process.clone();
    let (user, system, clock_ns) = task.shared.end_cpu_accounting();
    let last = {
        let mut tasks = p.tasks();
        tasks.retain(|t| t.tid != task.tid);
        p.add_dead_thread_times(user, system, clock_ns);
        tasks.is_empty()
    };
    // A joiner wakes once the thread has left its process (/proc/self/task
    // no longer lists it), before its stack may be freed below.
    if task.clear_child_tid != 0 && owns_memory && m.mem.user.write_val(task.clear_child_tid, 0u32).is_ok() {
        host::futex_wake_addr(task.clear_child_tid, 1);
    }
    fixedturn::park(m, task);
    m.unregister_task(task.tid);
    for (start, len) in task.deferred_free.drain(..) {
        m.mem.free(start, len);
    }
    if last {
        // Whoever leaves last, a group exit (started before the others
        // left) decides the process's status.
        let status = p.group_exit_status().unwrap_or(status);
        exit_process(m, &p, status);
    }
}

/// One line for a process killed by a signal that would dump core (the
/// kernel's "segfault at" line, with the function when the executable has
/// symbols); plain terminations stay quiet, as in a shell.
fn report_fatal(m: &Machine, task: &Task, signo: i32) {
    if default_action(signo) != DefaultAction::Core {
        return;
    }
    let addr = task.last_fatal.map_or(0, |i| i.addr);
    let rip = task.vcpu.regs().rip;
    let (exe, bias) = {
        let image = task.process.image();
        (image.exe.clone(), image.load_bias)
    };
    let symbol =
        crate::kernel::symbolize::symbolize(m, &exe, bias, rip).map(|s| format!(" in {s}")).unwrap_or_default();
    let line = format!(
        "pid {} ({}) killed by {} at rip={rip:#x}{symbol} addr={addr:#x}",
        task.process.pid,
        task.process.comm(),
        signal_name(signo),
    );
    // In the kernel log; on the terminal as before (an error: `nommu run`
    // shows it too).
    if m.klog.printk(crate::kernel::klog::KERN_ERR, &line) {
        eprintln!("nommu: {line}");
    }
}
