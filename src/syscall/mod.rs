//! Syscalls: one table from number to handler, name and arguments; the
//! handlers grouped by area. Every handler is `Result<u64, Errno>`.

pub mod fs;
pub mod info;
pub mod mem;
pub mod names;
pub mod process;
pub mod signal;
pub mod table;
pub mod time;

use crate::errno::{Errno, SysResult};
use crate::kernel::{ExitStatus, Machine, Task};
use crate::mm::UserMemory;

/// What a handler sees: the machine, the calling task, and a slot for
/// "this process is over".
pub struct SyscallCtx<'a> {
    pub m: &'a Machine,
    pub task: &'a mut Task,
    pub exit: Option<ExitStatus>,
}

impl SyscallCtx<'_> {
    pub fn user(&self) -> &UserMemory {
        &self.m.mem.user
    }
}

pub type Args = [u64; 6];
pub type Handler = fn(&mut SyscallCtx<'_>, &Args) -> SysResult;

/// Runs syscall `nr`; returns the value for rax (negative errno on error).
pub fn dispatch(ctx: &mut SyscallCtx<'_>, nr: u64, args: Args) -> u64 {
    let Some(def) = table::lookup(nr) else {
        ctx.m.note_enosys(nr);
        return Errno::ENOSYS.as_return();
    };
    let result = (def.handler)(ctx, &args);
    if log::log_enabled!(target: "nommu::syscall", log::Level::Trace) {
        let shown = &args[..def.args.len()];
        log::trace!(target: "nommu::syscall", "[pid {}] {}({:x?}) = {:?}", ctx.task.tid, def.name, shown, result);
    }
    match result {
        Ok(v) => v,
        Err(e) => e.as_return(),
    }
}

/// Guest `int` arguments arrive in 64-bit registers; the kernel looks only
/// at the low 32 bits.
pub fn arg_i32(v: u64) -> i32 {
    v as u32 as i32
}
