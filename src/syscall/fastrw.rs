//! When a read or write may be made by the entry stub the next time
//! (`arch::x86_64::fastrw` says what the stub does and what it hands back
//! to the slow path).

use super::SyscallCtx;

/// How far beyond the buffer an armed window reaches on each side: a
/// program that reads into different places of one buffer stays armed.
const WINDOW_REACH: u64 = 1 << 20;

/// After a read (`write` false) or write of plain host descriptor
/// `host_fd`, guest `fd`, with the buffer [buf, buf+len), that succeeded:
/// arms the fast path for the same call from the same site, when the stub
/// would miss nothing the slow path does around it:
/// - the process has one task: nobody else can close `fd` (and so the
///   host descriptor) while the stub uses it, and every change to the
///   table is a syscall of this task, which disarms (`dispatch`);
/// - the call came through the sled (its site was checked);
/// - nothing observes syscalls (`--trace`, `--summary`, trace logging);
/// - not `--isolate` (buffers are checked against the caller's key);
/// - the buffer lies in arena memory with no guard page near it (the
///   slow path grows a main stack over one).
#[inline]
pub(super) fn offer(ctx: &mut SyscallCtx<'_>, write: bool, fd: i32, host_fd: i32, buf: u64, len: usize) {
    if !ctx.m.fast_rw() || ctx.task.process.threaded() || !ctx.task.vcpu.entered_by_sled() {
        return;
    }
    offer_slow(ctx, write, fd, host_fd, buf, len);
}

#[inline(never)]
fn offer_slow(ctx: &mut SyscallCtx<'_>, write: bool, fd: i32, host_fd: i32, buf: u64, len: usize) {
    if ctx.m.tracer().is_some() || log::log_enabled!(target: "nommu::syscall", log::Level::Trace) {
        return;
    }
    let Some(window) = ctx.user().guards.clear_span(buf, (len as u64).max(1), WINDOW_REACH) else { return };
    ctx.task.vcpu.arm_fast_rw(write, fd, host_fd, window);
}
