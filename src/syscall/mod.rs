//! Syscalls: one table from number to handler, name and arguments; the
//! handlers grouped by area. Every handler is `Result<u64, Errno>`.

pub mod args;
pub mod chroot;
pub mod decode;
pub mod event;
mod fastrw;
pub mod file;
pub mod futex;
mod futex_pi;
pub mod info;
mod iovecs;
pub mod ipc;
pub mod mem;
pub mod mount;
pub mod net;
pub mod path;
pub mod poll;
pub mod process;
pub mod signal;
pub mod spawn;
pub mod syslog;
pub mod table;
pub mod testkit;
pub mod time;
pub mod trace;
pub mod tty;
pub mod wait;
pub mod xattr;

use crate::abi::fcntl::{AT_FDCWD, O_DIRECTORY, O_PATH};
use crate::abi::stat::{S_IFDIR, S_IFMT};
use crate::errno::{Errno, SysResult};
use crate::fs::file::FileKind;
use crate::fs::path::{self as fspath, PATH_MAX};
use crate::fs::OpenFile;
use crate::kernel::fixedturn;
use crate::kernel::procfs::ProcView;
use crate::kernel::{Machine, Task};
use crate::mm::UserMemory;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;

pub use crate::abi::names;
pub(crate) use crate::kernel::task::TaskExit;
pub(crate) use args::Args;

/// What a syscall did, besides failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallReturn {
    /// The value for rax; rcx and r11 are set as the `syscall`
    /// instruction leaves them.
    Return(u64),
    /// execve replaced the image: the registers are the new program's.
    Exec,
    /// rt_sigreturn put back the registers of the interrupted code.
    SigReturn,
    /// The calling task is over (exit, exit_group, reboot, a bad frame).
    Exit(TaskExit),
}

impl From<u64> for SyscallReturn {
    fn from(v: u64) -> Self {
        SyscallReturn::Return(v)
    }
}

/// What a handler sees: the machine and the calling task.
pub struct SyscallCtx<'a> {
    pub m: &'a Machine,
    pub task: &'a mut Task,
}

impl<'a> SyscallCtx<'a> {
    pub fn new(m: &'a Machine, task: &'a mut Task) -> SyscallCtx<'a> {
        SyscallCtx { m, task }
    }
}

impl SyscallCtx<'_> {
    /// A signal the task does not block is pending (or the whole process
    /// is ending).
    pub fn signal_pending(&self) -> bool {
        // A kick that ended the wait may have been the process's host
        // timer or a host signal sent to nommu: making its signal pending
        // bumps the epoch.
        crate::kernel::hostsignals::after_kick(self.m, &self.task.process);
        // Nothing changed since the run loop's last look found nothing to
        // deliver (`delivery::deliver`: every signal queued, group exit or
        // stop bumps the epoch, a change of the task's own mask forgets
        // what it saw): no locks (an open that may wait checks first).
        if self.task.loan.is_none() && crate::kernel::signal::signal_epoch() == self.task.seen_signal_epoch {
            return false;
        }
        if self.task.process.group_exit_for(self.task.tid).is_some() {
            return true;
        }
        // A vfork child on its parent's thread that the parent needs back
        // leaves the call (it restarts on a thread of its own).
        if self.task.loan.as_ref().is_some_and(|l| l.host_needs_thread()) {
            return true;
        }
        let mask = self.task.sigmask();
        let pending = self.task.shared.pending().set() | self.task.process.shared_pending().set();
        pending & !mask != 0
    }

    /// The blocking operation of a wait that only a signal (or
    /// `deadline`: absolute, CLOCK_REALTIME when `realtime`, else
    /// CLOCK_MONOTONIC) ends, for `block`: the task sleeps on its kick
    /// word, so a signal sent to it costs a futex wake, not a host signal
    /// (`TaskShared::sleep_until_kicked`). `Ok` at the deadline.
    ///
    /// When the process's ITIMER_REAL expires before `deadline`, the task
    /// sleeps until the timer's deadline and plays the timer itself
    /// (`timers::fire_if_due`), then reports a spurious wake-up (callers
    /// loop and find the signal): the SIGALRM it waits for costs no
    /// wake-up of the timer thread and then of this task on the way.
    pub fn sleep_until_kicked(&self, deadline: Option<(i64, i64)>, realtime: bool) -> SysResult<()> {
        if let Some(alarm) = self.itimer_first(deadline, realtime) {
            // Linux's itimers expire on time (hrtimers, no slack), unlike
            // the task's own timed waits (the default 50 µs).
            crate::arch::host::set_timer_slack(1);
            let r = self.task.shared.sleep_until_kicked(Some(alarm), realtime, || self.signal_pending());
            crate::arch::host::set_timer_slack(crate::abi::prctl::DEFAULT_TIMER_SLACK_NS);
            r?;
            crate::kernel::timers::fire_if_due(self.m, &self.task.process, std::time::Instant::now());
            return Err(Errno::EINTR);
        }
        self.task.shared.sleep_until_kicked(deadline, realtime, || self.signal_pending())
    }

    /// The process's ITIMER_REAL deadline, on the clock of `deadline`
    /// (CLOCK_REALTIME when `realtime`), if it comes before `deadline`.
    /// Only when the SIGALRM would come to this task: another thread that
    /// is asleep is not woken by it on Linux.
    fn itimer_first(&self, deadline: Option<(i64, i64)>, realtime: bool) -> Option<(i64, i64)> {
        // A host timer plays it: its kick ends the sleep on time.
        if self.task.process.host_alarm.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        let at = self.task.process.real_timer().deadline?;
        if !crate::kernel::lifecycle::would_pick(&self.task.process, crate::abi::signal::SIGALRM, &self.task.shared) {
            return None;
        }
        let left = at.saturating_duration_since(std::time::Instant::now());
        // Read after `Instant::now()`: the time computed is never before
        // `at` on CLOCK_MONOTONIC (an early wake-up would only loop).
        let clock = if realtime { crate::abi::time::CLOCK_REALTIME } else { crate::abi::time::CLOCK_MONOTONIC };
        let (s, ns) = crate::arch::host::clock_gettime(clock).ok()?;
        let total = ns + i64::from(left.subsec_nanos());
        let alarm =
            (s.saturating_add(left.as_secs() as i64).saturating_add(total / 1_000_000_000), total % 1_000_000_000);
        deadline.is_none_or(|d| alarm < d).then_some(alarm)
    }

    /// Runs a blocking operation so that a guest signal interrupts it:
    /// `restart` (an -ERESTART* code) is returned once a signal is pending;
    /// EINTR from the operation (this thread was kicked) is retried when
    /// nothing is pending after all.
    pub fn block<T>(&mut self, restart: Errno, mut op: impl FnMut(&Self) -> SysResult<T>) -> SysResult<T> {
        loop {
            self.task.vcpu.clear_kick();
            if self.signal_pending() {
                return Err(restart);
            }
            match op(self) {
                Err(Errno::EINTR) => continue,
                r => return r,
            }
        }
    }

    /// `block` for a task that may run on a fixed image's copy
    /// (`kernel::fixedturn`): while it waits it lets others have the
    /// range, and takes it back before it returns, unless the operation
    /// touches memory in the range (`touches`: the guest buffers `op` reads
    /// or writes while it blocks); then it keeps the range and says so
    /// (waiters give up rather than wait for ever).
    pub fn block_parked<T>(
        &mut self,
        restart: Errno,
        touches: &[(u64, u64)],
        op: impl FnMut(&Self) -> SysResult<T>,
    ) -> SysResult<T> {
        let Some((start, len)) = fixedturn::held_range(self.m, self.task) else {
            return self.block(restart, op);
        };
        let end = start.saturating_add(len);
        if touches.iter().any(|&(s, n)| n > 0 && s < end && start < s.saturating_add(n)) {
            fixedturn::set_blocked(self.m, self.task, true);
            let r = self.block(restart, op);
            fixedturn::set_blocked(self.m, self.task, false);
            return r;
        }
        self.park_fixed();
        let r = self.block(restart, op);
        self.resume_fixed(restart)?;
        r
    }

    /// `block_parked` for a read or write of host descriptor `fd` (`events`:
    /// POLLIN or POLLOUT): with a buffer in the task's fixed range, it first
    /// waits for the descriptor to be ready with the range let go, then
    /// takes it back and does the I/O (which keeps the range only if it
    /// must block again).
    pub fn block_io<T>(
        &mut self,
        restart: Errno,
        fd: i32,
        events: i16,
        touches: &[(u64, u64)],
        op: impl FnMut(&Self) -> SysResult<T>,
    ) -> SysResult<T> {
        if let Some((start, len)) = fixedturn::held_range(self.m, self.task) {
            let end = start.saturating_add(len);
            if touches.iter().any(|&(s, n)| n > 0 && s < end && start < s.saturating_add(n)) {
                self.park_fixed();
                let ready = self.block(restart, |_| {
                    let mut p = [libc::pollfd { fd, events, revents: 0 }];
                    crate::arch::host::ppoll(&mut p, None).map(drop).map_err(Errno::from)
                });
                self.resume_fixed(restart)?;
                ready?;
            }
        }
        self.block_parked(restart, touches, op)
    }

    /// The task waits without touching guest memory: others may have its
    /// fixed range meanwhile (`resume_fixed` before touching memory).
    pub fn park_fixed(&mut self) {
        fixedturn::park(self.m, self.task);
    }

    /// Takes the task's fixed range back after `park_fixed`; `restart`
    /// when the process is to die first (nothing may touch its memory).
    pub fn resume_fixed(&mut self, restart: Errno) -> SysResult<()> {
        fixedturn::resume(self.m, self.task).map_err(|stop| {
            stop.end_group(self.task);
            restart
        })
    }

    /// Sends `signo` to the calling thread (SIGPIPE after EPIPE, ...).
    pub fn raise(&mut self, signo: i32) {
        let info = crate::kernel::signal::SigInfo::user(signo, crate::abi::signal::SI_USER, self.task.process.pid);
        crate::kernel::lifecycle::send_to_task(self.m, &self.task.process, &self.task.shared, info);
    }

    pub fn user(&self) -> &UserMemory {
        &self.m.mem.user
    }

    /// /proc as the calling process sees it, for path walks (`fs::vfs`).
    pub fn procfs(&self) -> ProcView<'_> {
        ProcView::new(self.m, &self.task.process)
    }

    pub fn file(&self, fd: u64) -> SysResult<Arc<OpenFile>> {
        let fd = arg_i32(fd);
        let p = &self.task.process;
        if let Some(f) = self.task.fd_cache.get(fd, Arc::as_ptr(p) as usize, p.files_generation()) {
            return Ok(f.clone());
        }
        p.files().get(fd)
    }

    /// Runs `op` on descriptor `fd`'s file, from the task's descriptor
    /// cache when it can (`fs::fdtable::FdCache`: no lock, no reference
    /// count), else from the table, caching it for the next call.
    #[inline]
    pub fn with_file<R>(
        &mut self,
        fd: u64,
        op: impl FnOnce(&mut Self, &Arc<OpenFile>) -> SysResult<R>,
    ) -> SysResult<R> {
        let fd = arg_i32(fd);
        let p = &self.task.process;
        let (owner, generation) = (Arc::as_ptr(p) as usize, p.files_generation());
        let file = match self.task.fd_cache.take(fd, owner, generation) {
            Some(f) => f,
            None => self.file_uncached(fd)?,
        };
        let r = op(self, &file);
        // Cached only if the table is as it was (and only this task can
        // change it): `fd` is still `file`.
        let p = &self.task.process;
        if !p.threaded() && p.files_generation() == generation {
            self.task.fd_cache.put(fd, file, owner, generation);
        }
        r
    }

    #[cold]
    fn file_uncached(&self, fd: i32) -> SysResult<Arc<OpenFile>> {
        self.task.process.files().get(fd)
    }

    /// Drops the task's cached descriptors once they may be stale (the
    /// table changed, or the process has more than one task): after every
    /// syscall, so a closed file is closed on the host before the guest
    /// runs again.
    #[inline]
    fn revalidate_fd_cache(&mut self) {
        if self.task.fd_cache.is_filled() {
            let p = &self.task.process;
            let (owner, generation, shared) = (Arc::as_ptr(p) as usize, p.files_generation(), p.threaded());
            self.task.fd_cache.revalidate(owner, generation, shared);
        }
    }

    /// Installs a new descriptor, honouring RLIMIT_NOFILE.
    pub fn install(&self, file: OpenFile, cloexec: bool) -> SysResult {
        self.install_below(self.task.process.fd_limit(), file, cloexec)
    }

    /// `install` with RLIMIT_NOFILE already looked up.
    pub fn install_below(&self, limit: usize, file: OpenFile, cloexec: bool) -> SysResult {
        let file = Arc::new(file);
        Ok(self.task.process.files().install(limit, file, cloexec)? as u64)
    }

    /// A `struct timespec` argument: (seconds, nanoseconds), validated.
    pub fn read_timespec(&self, ptr: u64) -> SysResult<(i64, i64)> {
        let sec: i64 = self.user().read_val(ptr)?;
        let nsec: i64 = self.user().read_val(ptr + 8)?;
        if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
            return Err(Errno::EINVAL);
        }
        Ok((sec, nsec))
    }

    /// EMFILE unless `n` descriptors could be installed now; the limit
    /// (RLIMIT_NOFILE) it checked against.
    pub fn check_free_fds(&self, n: usize) -> SysResult<usize> {
        let limit = self.task.process.fd_limit();
        // Room above the table's last slot is known without its lock.
        if self.task.process.files_room(limit) >= n {
            return Ok(limit);
        }
        if self.task.process.files().free_below(limit) < n {
            return Err(Errno::EMFILE);
        }
        Ok(limit)
    }

    /// A path argument: at most PATH_MAX - 1 bytes; empty is ENOENT.
    pub fn path(&self, ptr: u64) -> SysResult<Vec<u8>> {
        let p = self.user().read_cstr(ptr, PATH_MAX - 1)?;
        if p.is_empty() {
            return Err(Errno::ENOENT);
        }
        Ok(p)
    }

    /// Reads a path argument of at most PATH_MAX - 1 bytes into `arg`, on
    /// the stack when short; empty is allowed (callers decide what it means).
    pub fn read_path(&self, ptr: u64, arg: &mut fspath::PathArg) -> SysResult<()> {
        if arg.inline.read(self.user(), ptr)? {
            return Ok(());
        }
        let long = self.user().read_cstr(ptr, PATH_MAX - 1)?;
        arg.heap = Some(std::ffi::CString::new(long).map_err(|_| Errno::EINVAL)?);
        Ok(())
    }

    /// `path` made absolute against `dirfd` (AT_FDCWD: the cwd).
    pub fn at(&self, dirfd: u64, path: &[u8]) -> SysResult<Vec<u8>> {
        if path.first() == Some(&b'/') {
            return Ok(fspath::join(b"/", path));
        }
        self.at_relative(dirfd, path)
    }

    /// `at` for a path the caller owns (an absolute one is used as is).
    pub fn at_vec(&self, dirfd: u64, path: Vec<u8>) -> SysResult<Vec<u8>> {
        if path.first() == Some(&b'/') {
            return Ok(path);
        }
        self.at_relative(dirfd, &path)
    }

    fn at_relative(&self, dirfd: u64, path: &[u8]) -> SysResult<Vec<u8>> {
        let dirfd = arg_i32(dirfd);
        let base = if dirfd == AT_FDCWD {
            match self.cwd() {
                Ok(cwd) => match cwd.strip_prefix(b"(unreachable)") {
                    Some(machine) => Self::outside_the_jail(machine.to_vec()),
                    None => cwd,
                },
                Err(Errno::ENOENT) => return self.at_removed_cwd(path),
                Err(e) => return Err(e),
            }
        } else {
            self.dir_path(dirfd)?
        };
        Ok(fspath::join(&base, path))
    }

    /// A walk from a directory outside the caller's jail (its cwd or a
    /// descriptor it kept): as on Linux it is in the machine's tree, so this
    /// syscall walks as an unjailed process would (the dispatcher sets the
    /// jail again for the next one). `machine` is the directory's path.
    fn outside_the_jail(machine: Vec<u8>) -> Vec<u8> {
        crate::fs::jail::set_current(None);
        machine
    }

    /// A removed working directory has no path any more: ".." still leads
    /// to where it was, anything else goes through the handle that
    /// /proc/self/cwd holds (and finds nothing, as on Linux).
    fn at_removed_cwd(&self, path: &[u8]) -> SysResult<Vec<u8>> {
        let rest = match path.strip_prefix(b"..") {
            Some(r) if r.is_empty() || r[0] == b'/' => r,
            _ => return Ok(fspath::join(b"/proc/self/cwd", path)),
        };
        let fs = self.task.process.fs();
        let fd = fs.cwd_fd.as_ref().ok_or(Errno::ENOENT)?;
        let parent = crate::arch::host::openat2(fd.as_fd(), c"..", O_PATH | O_DIRECTORY, 0, 0)?;
        let base = self.m.root.guest_path_of(parent.as_raw_fd()).unwrap_or_else(|| b"/".to_vec());
        Ok(fspath::join(&base, rest.strip_prefix(b"/").unwrap_or(rest)))
    }

    /// The absolute guest path of the working directory.
    pub fn cwd(&self) -> SysResult<Vec<u8>> {
        self.task.process.fs().cwd_path(&self.m.root)
    }

    /// The absolute guest path of an open directory.
    fn dir_path(&self, fd: i32) -> SysResult<Vec<u8>> {
        let f = self.task.process.files().get(fd)?;
        match &f.kind {
            FileKind::Dir(_) => Ok(f.path.to_vec()),
            FileKind::Generated(_) => Err(Errno::ENOTDIR),
            FileKind::Host(_) => {
                let st = crate::fs::vfs::fstat(&f)?;
                if st.st_mode & S_IFMT != S_IFDIR {
                    return Err(Errno::ENOTDIR);
                }
                let host_fd = f.host_fd()?;
                if let Some(p) = self.m.root.guest_path_of(host_fd) {
                    return Ok(p);
                }
                match self.m.root.machine_path_of(host_fd) {
                    Some(machine) if self.m.root.jail().is_some() => Ok(Self::outside_the_jail(machine)),
                    _ => Ok(f.path.to_vec()),
                }
            }
        }
    }
}

/// Linux keeps kernel times in signed 64-bit nanoseconds (ktime_t) and
/// saturates longer ones there (about 292 years: forever, in practice).
/// Timeouts and timers here do the same, which also keeps `Instant +
/// Duration` from overflowing when a guest asks for i64::MAX seconds.
pub const KTIME_MAX: std::time::Duration = std::time::Duration::from_nanos(i64::MAX as u64);

/// The instant `t` from now, saturated as Linux saturates it.
pub fn deadline_in(t: std::time::Duration) -> std::time::Instant {
    std::time::Instant::now() + t.min(KTIME_MAX)
}

/// Every guest descriptor that is a host file is a host descriptor, and all
/// guest processes share the host's table: when it is full, the machine is
/// out of files. A guest whose own table has room (the caller checked) gets
/// ENFILE, as from a Linux system at fs.file-max, never EMFILE.
pub fn host_table_full_is_enfile(e: Errno) -> Errno {
    if e == Errno::EMFILE {
        Errno::ENFILE
    } else {
        e
    }
}

/// A table entry's entry point: converts the registers into the handler's
/// typed parameters and calls it (generated by the table's macro).
pub type Handler = fn(&mut SyscallCtx<'_>, &Args) -> SysResult<SyscallReturn>;

/// Runs syscall `nr`.
#[inline]
pub fn dispatch(ctx: &mut SyscallCtx<'_>, nr: u64, args: Args) -> SysResult<SyscallReturn> {
    // Any call but a read or write may change what the armed fast ones
    // rely on (the descriptor table, the memory map, the program).
    if nr > libc::SYS_write as u64 {
        ctx.task.vcpu.disarm_fast_rw();
    }
    if ctx.m.root.any_jail() {
        crate::fs::jail::set_current(ctx.task.process.fs().root.clone());
    }
    let Some(def) = table::lookup(nr) else {
        unimplemented(ctx.m, ctx.task.tid, nr, &args);
        return Err(Errno::ENOSYS);
    };
    let r = match ctx.m.tracer() {
        None if !log::log_enabled!(target: "nommu::syscall", log::Level::Trace) => (def.handler)(ctx, &args),
        _ => dispatch_observed(ctx, def, &args),
    };
    ctx.revalidate_fd_cache();
    r
}

/// A syscall nommu does not implement (or a number Linux has no syscall
/// for): logged once by name, and seen by `--trace`, `--summary` and
/// `--report` like any other, with its raw arguments (strace's form for
/// calls it cannot decode: `syscall_0x1f4(0x1, ...)` for unknown numbers).
#[cold]
pub fn unimplemented(m: &Machine, tid: i32, nr: u64, args: &Args) {
    if m.diag.note_enosys(nr) {
        let name = names::syscall_name(nr).unwrap_or("unknown");
        match table::deliberately_unsupported(nr) {
            Some(why) => log::debug!("syscall {name} ({nr}) returns ENOSYS: {why}"),
            None => log::warn!("unimplemented syscall {name} ({nr}) returns ENOSYS"),
        }
    }
    let Some(tracer) = m.tracer() else { return };
    tracer.count(nr, true, std::time::Duration::ZERO);
    if tracer.wants(nr) {
        let name = crate::kernel::trace::display_name(nr);
        let shown: Vec<String> =
            args.iter().map(|&a| if a == 0 { "0".to_string() } else { format!("{a:#x}") }).collect();
        tracer.emit(tid, &format!("{name}({}) = -1 {}", shown.join(", "), decode::errno_text(Errno::ENOSYS)));
    }
}

/// `dispatch` with `--trace`/`--summary` or trace logging on: kept out of
/// line so that the common path carries none of its weight.
#[cold]
#[inline(never)]
fn dispatch_observed(ctx: &mut SyscallCtx<'_>, def: &table::SyscallDef, args: &Args) -> SysResult<SyscallReturn> {
    let nr = def.nr;
    let Some(tracer) = ctx.m.tracer() else {
        let result = (def.handler)(ctx, args);
        let shown: Vec<String> = def.params.iter().zip(args).map(|(p, v)| format!("{p}={v:#x}")).collect();
        log::trace!(target: "nommu::syscall", "[pid {}] {}({}) = {:?}", ctx.task.tid, def.name, shown.join(", "), result);
        return result;
    };
    // `--report` alone: counts, no clock read, no lock.
    if tracer.counts_only() {
        let result = (def.handler)(ctx, args);
        tracer.count_untimed(nr, result.is_err());
        return result;
    }
    let printing = tracer.wants(nr);
    let timeline = tracer.timeline();
    let pre = if printing || timeline.is_some() { decode::entry(ctx, def, args) } else { Vec::new() };
    let start = std::time::Instant::now();
    let result = (def.handler)(ctx, args);
    tracer.count(nr, result.is_err(), start.elapsed());
    if printing || timeline.is_some() {
        let shown = match result {
            Ok(SyscallReturn::Exit(_)) => decode::render_no_return(def, args, pre, false),
            Ok(SyscallReturn::Exec) => decode::render_no_return(def, args, pre, true),
            // What the interrupted code gets back in rax.
            Ok(SyscallReturn::SigReturn) => decode::render(ctx, def, args, pre, &Ok(ctx.task.vcpu.regs().rax)),
            Ok(SyscallReturn::Return(v)) => decode::render(ctx, def, args, pre, &Ok(v)),
            Err(e) => decode::render(ctx, def, args, pre, &Err(e)),
        };
        if printing {
            tracer.emit(ctx.task.tid, &shown.line());
        }
        if let Some(t) = timeline {
            let ok = result.as_ref().ok().and_then(|r| match r {
                SyscallReturn::Return(v) => Some(*v),
                _ => None,
            });
            trace::record_in_timeline(ctx, t, args, &shown, start, ok);
        }
    }
    result
}

/// Guest `int` arguments arrive in 64-bit registers; the kernel looks only
/// at the low 32 bits.
pub fn arg_i32(v: u64) -> i32 {
    v as u32 as i32
}
