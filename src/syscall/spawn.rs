//! Process creation without an MMU: vfork (and clone with CLONE_VM |
//! CLONE_VFORK), execve. fork is impossible, as on a no-MMU kernel.

use super::args::{Argv, AtFlags, CStr, Envp, Fd, Flags, Opaque, UserPtr};
use super::{SyscallCtx, SyscallReturn};
use crate::abi::binfmts::MAX_ARG_STRINGS;
use crate::abi::consts::PAGE_SIZE;
use crate::abi::fcntl::{AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW};
use crate::abi::sched::*;
use crate::abi::signal::{NSIG, SIGCHLD, SIGKILL, SIG_DFL, SIG_IGN};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::kernel::exec::{load_program, ProgramSpec};
use crate::kernel::fixedturn;
use crate::kernel::lifecycle::finish_vfork;
use crate::kernel::machine::child_regs;
use crate::kernel::process::{FsContext, Process};
use crate::kernel::signal::SigAction;
use crate::kernel::task::TaskShared;
use crate::kernel::vforkrun;
use crate::loader::ArgList;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use vm_memory::ByteValued;

/// clone arguments, from clone(2) or clone3(2).
struct SpawnArgs {
    flags: u64,
    exit_signal: i32,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
}

/// A process that would need its memory copied. A no-MMU kernel's fork
/// is EINVAL (kernel/fork.c, `SYSCALL_DEFINE0(fork)`: "can not support in
/// nommu mode"), which `--strict` answers; nommu's permissive profile
/// answers ENOSYS, as it always has (a libc may fall back to vfork).
/// Either way the report records it, with the strict answer `strict`.
fn no_mmu_refusal(ctx: &SyscallCtx<'_>, what: &str, strict: Errno) -> Errno {
    crate::syscall::mem::strict::record(ctx, what, strict);
    static LOGGED: std::sync::Once = std::sync::Once::new();
    LOGGED.call_once(|| {
        log::warn!(
            "pid {}: {what}: a no-MMU system cannot copy an address space; use vfork or posix_spawn",
            ctx.task.process.pid
        )
    });
    if ctx.m.config.strict {
        strict
    } else {
        Errno::ENOSYS
    }
}

/// vfork(2) and clone(CLONE_VM|CLONE_VFORK): the child runs on its own host
/// thread in the same memory, from the parent's registers; the parent is
/// suspended until the child execs or exits.
fn spawn(ctx: &mut SyscallCtx<'_>, args: SpawnArgs) -> SysResult {
    let flags = args.flags;
    if flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0 || flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_VM == 0 {
        // A no-MMU kernel lets this through with an empty mm
        // (kernel/fork.c's `dup_mmap` copies nothing) and a child running
        // on its parent's memory; nommu does not model that child, in
        // either profile.
        return Err(no_mmu_refusal(ctx, "clone without CLONE_VM", Errno::ENOSYS));
    }
    if flags & CLONE_THREAD != 0 {
        return spawn_thread(ctx, args);
    }
    if flags & CLONE_VFORK == 0 {
        // A process sharing memory but running concurrently with its parent
        // is what no-MMU clone means; it works the same way, the parent
        // just does not wait.
        log::debug!("pid {}: clone(CLONE_VM) without CLONE_VFORK", ctx.task.process.pid);
    }
    if flags & (CLONE_SIGHAND | CLONE_PIDFD) != 0 || flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0 {
        return Err(Errno::EINVAL);
    }
    let m = ctx.m;
    let parent = ctx.task.process.clone();
    let pid = m.alloc_pid();
    // Without threads, a separate process gets copies of the descriptor
    // table and fs context even when asked to share them.
    if flags & (CLONE_FILES | CLONE_FS) != 0 {
        log::debug!("pid {}: CLONE_FILES/CLONE_FS for a process: the child gets copies", parent.pid);
    }
    let files = parent.files().clone();
    let fs = {
        let f = parent.fs();
        FsContext { cwd: f.cwd.clone(), cwd_fd: f.cwd_fd.clone(), umask: f.umask, root: f.root.clone() }
    };
    let ppid = if flags & CLONE_PARENT != 0 { parent.ppid() } else { parent.pid };
    let child = Arc::new(Process::new(pid, ppid, args.exit_signal, files, fs, *parent.rlimits()));
    child.pgid.store(parent.pgid(), Ordering::Relaxed);
    child.sid.store(parent.sid(), Ordering::Relaxed);
    // Copied out first: no parent's lock is held while the child's is taken.
    let actions = parent.sigactions().clone();
    *child.sigactions() = actions;
    child.set_comm(&parent.comm_bytes());
    // CLONE_VM: one memory context for both until the child execs.
    child.set_mm(parent.mm());
    let image = parent.image().clone();
    *child.image() = image;
    m.register(&child);

    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = ctx.user().write_val(args.parent_tid, pid);
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        let _ = ctx.user().write_val(args.child_tid, pid);
    }
    let regs = child_regs(ctx.task.vcpu.regs(), args.stack);
    let fs_base = if flags & CLONE_SETTLS != 0 { args.tls } else { ctx.task.vcpu.fs_base() };
    let (xmm, mxcsr) = ctx.task.vcpu.fast_vector_state();
    let clear_tid = if flags & CLONE_CHILD_CLEARTID != 0 { args.child_tid } else { 0 };
    // A vfork child keeps the alternate signal stack (it runs on the
    // parent's memory anyway); a CLONE_VM child without CLONE_VFORK does not.
    let altstack =
        if flags & CLONE_VFORK != 0 { ctx.task.altstack } else { crate::kernel::signal::AltStack::disabled() };
    let shared = Arc::new(TaskShared::new(pid, ctx.task.sigmask()));
    // On the parent's thread the child's vCPU starts with all of the
    // parent's vector state; on a thread of its own, with xmm0-15 and MXCSR.
    let setup = move |task: &mut crate::kernel::Task| {
        *task.vcpu.regs_mut() = regs;
        task.vcpu.set_fs_base(fs_base);
        task.clear_child_tid = clear_tid;
        task.altstack = altstack;
    };
    let on_this_thread = flags & CLONE_VFORK != 0 && vforkrun::possible(ctx.task);
    if !on_this_thread {
        let setup = move |task: &mut crate::kernel::Task| {
            setup(task);
            task.vcpu.copy_fast_vector_state(xmm, mxcsr);
        };
        if let Err(e) = m.arc().spawn_task(child.clone(), shared.clone(), setup) {
            m.unregister(pid);
            log::warn!("cannot start a host thread for pid {pid}: {e}");
            return Err(Errno::EAGAIN);
        }
    }
    log::info!("pid {} vfork -> pid {pid}", parent.pid);
    if flags & CLONE_VFORK != 0 {
        // The child may need the range of a fixed image the parent runs
        // on (it execs another one linked there): the parent touches no
        // guest memory until it returns to its code.
        ctx.park_fixed();
        if on_this_thread {
            // Until it execs or exits (or this task must die).
            vforkrun::run_child(&m.arc(), ctx.task, child.clone(), shared, setup);
        }
        // Like Linux's wait_for_vfork_done: ordinary signals wait until the
        // child has let go of the parent's memory; a fatal one does not.
        while child.vfork_done.load(Ordering::Acquire) == 0 {
            ctx.task.vcpu.clear_kick();
            // A host signal to nommu this thread took is routed here too.
            crate::kernel::hostsignals::take(m);
            if fixedturn::fatal_signal(ctx.task).is_some() || parent.group_exit_for(ctx.task.tid).is_some() {
                break;
            }
            child.vfork_waiter.store(true, Ordering::SeqCst);
            let _ = host::futex_wait_interruptible(&child.vfork_done, 0);
        }
        // The parent's host timer may have kicked this thread while the
        // child ran on it, or while the parent waited.
        crate::kernel::hostsignals::after_kick(m, &parent);
    }
    Ok(pid as u64)
}

/// clone(CLONE_THREAD ...): a new task of the same process, on its own host
/// thread, running in parallel. It shares everything the process holds
/// (memory, descriptors, fs context, signal handlers).
fn spawn_thread(ctx: &mut SyscallCtx<'_>, args: SpawnArgs) -> SysResult {
    let flags = args.flags;
    // Linux: CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM.
    if flags & CLONE_SIGHAND == 0 || flags & CLONE_VFORK != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & (CLONE_FS | CLONE_FILES) != (CLONE_FS | CLONE_FILES) {
        log::debug!("thread without CLONE_FS|CLONE_FILES: shares them anyway");
    }
    let m = ctx.m;
    let process = ctx.task.process.clone();
    if process.group_exit_for(ctx.task.tid).is_some() {
        return Err(Errno::EAGAIN);
    }
    let tid = m.alloc_pid();
    if flags & CLONE_PARENT_SETTID != 0 {
        ctx.user().write_val(args.parent_tid, tid)?;
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        ctx.user().write_val(args.child_tid, tid)?;
    }
    let regs = child_regs(ctx.task.vcpu.regs(), args.stack);
    let fs_base = if flags & CLONE_SETTLS != 0 { args.tls } else { ctx.task.vcpu.fs_base() };
    let (xmm, mxcsr) = ctx.task.vcpu.fast_vector_state();
    let clear_tid = if flags & CLONE_CHILD_CLEARTID != 0 { args.child_tid } else { 0 };
    let shared = Arc::new(TaskShared::new(tid, ctx.task.sigmask()));
    m.arc()
        .spawn_task(process, shared, move |task| {
            *task.vcpu.regs_mut() = regs;
            task.vcpu.set_fs_base(fs_base);
            task.vcpu.copy_fast_vector_state(xmm, mxcsr);
            task.clear_child_tid = clear_tid;
        })
        .map_err(|e| {
            log::warn!("cannot start a host thread for thread {tid}: {e}");
            Errno::EAGAIN
        })?;
    log::debug!("pid {} new thread {tid}", ctx.task.process.pid);
    Ok(tid as u64)
}

pub(crate) fn sys_vfork(ctx: &mut SyscallCtx<'_>) -> SysResult {
    spawn(
        ctx,
        SpawnArgs {
            flags: CLONE_VM | CLONE_VFORK,
            exit_signal: SIGCHLD,
            stack: 0,
            parent_tid: 0,
            child_tid: 0,
            tls: 0,
        },
    )
}

pub(crate) fn sys_fork(ctx: &mut SyscallCtx<'_>) -> SysResult {
    Err(no_mmu_refusal(ctx, "fork", crate::syscall::mem::strict::FORK))
}

/// clone(flags, stack, parent_tid, child_tid, tls) (x86-64 argument order).
pub(crate) fn sys_clone(
    ctx: &mut SyscallCtx<'_>,
    flags: Flags,
    stack: UserPtr<Opaque>,
    parent_tid: UserPtr<Opaque>,
    child_tid: UserPtr<Opaque>,
    tls: u64,
) -> SysResult {
    let flags = flags.0;
    spawn(
        ctx,
        SpawnArgs {
            flags: flags & !CSIGNAL,
            exit_signal: (flags & CSIGNAL) as i32,
            stack: stack.addr(),
            parent_tid: parent_tid.addr(),
            child_tid: child_tid.addr(),
            tls,
        },
    )
}

/// clone3(struct clone_args *, size).
pub(crate) fn sys_clone3(ctx: &mut SyscallCtx<'_>, uargs: UserPtr<Opaque>, size: usize) -> SysResult {
    // Linux's copy_struct_from_user: a structure larger than a page is
    // E2BIG, as is one with anything but zeros past the fields it knows.
    if size > PAGE_SIZE as usize {
        return Err(Errno::E2BIG);
    }
    if size < CLONE_ARGS_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; size];
    ctx.user().read(uargs.addr(), &mut raw)?;
    let mut args = CloneArgs::default();
    let known = size.min(std::mem::size_of::<CloneArgs>());
    args.as_mut_slice()[..known].copy_from_slice(&raw[..known]);
    if raw[known..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    // set_tid cannot be offered; cgroup counts only with CLONE_INTO_CGROUP,
    // which cannot either.
    let cgroup = args.flags & CLONE_INTO_CGROUP != 0 && args.cgroup != 0;
    if args.exit_signal > NSIG as u64 || args.set_tid != 0 || args.set_tid_size != 0 || cgroup {
        return Err(Errno::EINVAL);
    }
    let (stack, stack_size) = (args.stack, args.stack_size);
    if (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    // Linux's access_ok on the stack: a range that wraps is EINVAL.
    let stack_top = stack.checked_add(stack_size).ok_or(Errno::EINVAL)?;
    spawn(
        ctx,
        SpawnArgs {
            flags: args.flags,
            exit_signal: args.exit_signal as i32,
            stack: if stack != 0 { stack_top } else { 0 },
            parent_tid: args.parent_tid,
            child_tid: args.child_tid,
            tls: args.tls,
        },
    )
}

/// Linux's limit on argv + envp strings (32 pages × 4 KiB × 16).
const ARG_MAX: usize = 2 << 20;
/// Linux's limit on one argument or variable, its NUL included (32 pages).
const MAX_ARG_STRLEN: usize = 32 * PAGE_SIZE as usize;

/// The pointers of argv or envp (none for NULL).
fn read_pointers(ctx: &SyscallCtx<'_>, ptr: u64) -> SysResult<Vec<u64>> {
    if ptr == 0 {
        return Ok(Vec::new());
    }
    ctx.user().read_ptr_array(ptr, MAX_ARG_STRINGS)
}

/// The strings of argv or envp.
type Strings = ArgList;

/// argv and envp, in Linux's order (which decides the error when both
/// have one): both arrays of pointers, then the environment's strings,
/// then the arguments'.
fn read_args(ctx: &SyscallCtx<'_>, argv: u64, envp: u64) -> SysResult<(Strings, Strings)> {
    let argv = read_pointers(ctx, argv)?;
    let envp = read_pointers(ctx, envp)?;
    let mut total = 0;
    let envp = read_strings(ctx, &envp, &mut total)?;
    let argv = read_strings(ctx, &argv, &mut total)?;
    Ok((argv, envp))
}

fn read_strings(ctx: &SyscallCtx<'_>, ptrs: &[u64], total: &mut usize) -> SysResult<Strings> {
    let mut out = ArgList::with_capacity(ptrs.len(), 32 * ptrs.len());
    // Most strings fit here: scanned a word at a time, then appended.
    let mut buf = [0u8; 512];
    for &p in ptrs {
        let long;
        let s = match ctx.user().read_cstr_into(p, &mut buf)? {
            Some(n) => &buf[..n],
            None => {
                long = ctx.user().read_cstr(p, MAX_ARG_STRLEN - 1).map_err(|e| {
                    if e == Errno::ENAMETOOLONG {
                        Errno::E2BIG
                    } else {
                        e
                    }
                })?;
                &long[..]
            }
        };
        *total += s.len() + 1;
        if *total > ARG_MAX {
            return Err(Errno::E2BIG);
        }
        out.push(s);
    }
    Ok(out)
}

fn do_execve(
    ctx: &mut SyscallCtx<'_>,
    mut spec: ProgramSpec,
    argv: UserPtr<Argv>,
    envp: UserPtr<Envp>,
) -> SysResult<SyscallReturn> {
    (spec.argv, spec.envp) = match read_args(ctx, argv.addr(), envp.addr()) {
        Ok(args) => args,
        Err(e) => return Err(program_error(ctx, &spec.guest_path).unwrap_or(e)),
    };
    // Linux (5.18+) never starts a program with argc 0.
    if spec.argv.is_empty() {
        spec.argv.push(b"");
    }
    let m = ctx.m;
    let process = ctx.task.process.clone();
    // The argument strings are read: the old image's range may go to the
    // new image now, and comes back (`fixedturn::resume`) if exec fails.
    ctx.park_fixed();
    spec.tid = ctx.task.tid;
    let loaded = loop {
        match load_program(m, &process, &spec) {
            Ok(l) => break l,
            Err(e) => match e.fixed_busy {
                Some((addr, len)) => fixedturn::wait_for_range(m, ctx.task, &spec.guest_path, addr, len)?,
                None => {
                    if e.errno == Errno::ENOMEM {
                        // What a no-MMU machine could not do: said without -v.
                        log::error!("pid {}: execve: {e}", process.pid);
                    } else {
                        log::debug!("pid {}: execve: {e}", process.pid);
                    }
                    return Err(e.errno);
                }
            },
        }
    };
    ctx.task.fixed_held = loaded.fixed().unwrap_or(0);
    // The point of no return. Other threads of the process die first.
    kill_other_threads(ctx);
    log::info!("pid {} execve {}", process.pid, String::from_utf8_lossy(&spec.guest_path));
    // As Linux's exec_mm_release: the old image's robust futexes get
    // FUTEX_OWNER_DIED and its PI locks go to their waiters, while that
    // memory is still there.
    m.pi_futexes.release(m, &ctx.task.shared, false);
    let start = loaded.commit(m, &process);
    process.files().close_on_exec();
    {
        let mut actions = process.sigactions();
        for signo in 1..=NSIG as i32 {
            let act = actions.get(signo);
            if act.sa_handler != SIG_IGN && act.sa_handler != SIG_DFL {
                let _ = actions.set(signo, SigAction::default());
            }
        }
    }
    process.did_exec.store(true, Ordering::Relaxed);
    ctx.task.altstack = crate::kernel::signal::AltStack::disabled();
    ctx.task.clear_child_tid = 0;
    *ctx.task.shared.robust_list.lock().unwrap_or_else(|e| e.into_inner()) = (0, 0);
    *ctx.task.shared.name.lock().unwrap_or_else(|e| e.into_inner()) = None;
    finish_vfork(&process);
    start.apply(&mut ctx.task.vcpu);
    crate::kernel::memmap::maybe_record(m);
    Ok(SyscallReturn::Exec)
}

/// Why the program cannot be opened, if it cannot: Linux opens it before
/// it reads argv and envp, so this error comes before theirs. (Asked only
/// when they fail; the load finds it otherwise.)
fn program_error(ctx: &SyscallCtx<'_>, guest_path: &[u8]) -> Option<Errno> {
    let abs = match ctx.at(AT_FDCWD as u64, guest_path) {
        Ok(abs) => abs,
        Err(e) => return Some(e),
    };
    match crate::fs::vfs::stat(&ctx.m.root, &ctx.procfs(), abs, true) {
        Err(e) => Some(e),
        Ok(st) if crate::kernel::exec::exec_mode_refusal(st.st_mode).is_some() => Some(Errno::EACCES),
        Ok(_) => None,
    }
}

/// execve from one thread ends the others (Linux's de_thread) and waits
/// until they are gone.
fn kill_other_threads(ctx: &mut SyscallCtx<'_>) {
    let p = ctx.task.process.clone();
    if p.tasks().len() <= 1 {
        return;
    }
    let me = ctx.task.tid;
    p.start_group_exit(crate::kernel::process::GroupExit {
        status: crate::kernel::ExitStatus::Signaled(SIGKILL),
        survivor: Some(me),
    });
    while p.tasks().iter().any(|t| t.tid != me) {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    p.clear_group_exit();
}

pub(crate) fn sys_execve(
    ctx: &mut SyscallCtx<'_>,
    path: UserPtr<CStr>,
    argv: UserPtr<Argv>,
    envp: UserPtr<Envp>,
) -> SysResult<SyscallReturn> {
    let path = ctx.path(path.addr())?;
    do_execve(ctx, ProgramSpec::new(path, ArgList::new(), ArgList::new()), argv, envp)
}

pub(crate) fn sys_execveat(
    ctx: &mut SyscallCtx<'_>,
    dirfd: Fd,
    path: UserPtr<CStr>,
    argv: UserPtr<Argv>,
    envp: UserPtr<Envp>,
    flags: AtFlags,
) -> SysResult<SyscallReturn> {
    let (dirfd, flags) = (dirfd.0, flags.0 as i32);
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let p = ctx.user().read_cstr(path.addr(), crate::fs::path::PATH_MAX - 1)?;
    let absolute = p.first() == Some(&b'/');
    let fd_cloexec = dirfd != AT_FDCWD && !absolute && ctx.task.process.files().entry(dirfd).is_ok_and(|e| e.cloexec);
    let (lookup, name) = if p.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        ctx.file(dirfd as u64)?;
        (format!("/proc/self/fd/{dirfd}").into_bytes(), format!("/dev/fd/{dirfd}").into_bytes())
    } else if absolute || dirfd == AT_FDCWD {
        (ctx.at(dirfd as u64, &p)?, p.clone())
    } else {
        (ctx.at(dirfd as u64, &p)?, [format!("/dev/fd/{dirfd}/").into_bytes(), p.clone()].concat())
    };
    if flags & AT_SYMLINK_NOFOLLOW != 0 && !p.is_empty() {
        let st = crate::fs::vfs::stat(&ctx.m.root, &ctx.procfs(), lookup.clone(), false)?;
        if st.st_mode & 0o170000 == 0o120000 {
            return Err(Errno::ELOOP);
        }
    }
    let spec = ProgramSpec {
        guest_path: lookup,
        name,
        argv: ArgList::new(),
        envp: ArgList::new(),
        inaccessible_after_exec: fd_cloexec,
        tid: 0,
        cwd: None,
    };
    do_execve(ctx, spec, argv, envp)
}

// Argument errors through the table, as a guest meets them (what Linux
// answers was checked natively). Nothing here starts a task or execs: every
// call fails before.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::names::number as nr;
    use crate::syscall::testkit::{TempRoot, TestMachine};

    /// SIGCHLD as clone's exit signal.
    const CHLD: u64 = SIGCHLD as u64;

    /// A scratch root: /f (not executable), /x (an executable script
    /// whose interpreter does not exist in it), /l -> x.
    /// The files these tests work on, in a fresh root.
    fn temp_root() -> TempRoot {
        let root = TempRoot::new("spawn");
        let dir = &root.0;
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(dir.join("f"), b"x").unwrap();
        std::fs::write(dir.join("x"), b"#!/no/such/interpreter\n").unwrap();
        std::fs::set_permissions(dir.join("x"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("x", dir.join("l")).unwrap();
        root
    }

    /// A NULL-terminated array of pointers in scratch memory.
    fn array(t: &TestMachine, offset: u64, ptrs: &[u64]) -> u64 {
        let bytes: Vec<u8> = ptrs.iter().chain(&[0]).flat_map(|p| p.to_le_bytes()).collect();
        t.put(offset, &bytes)
    }

    #[test]
    fn fork_is_impossible() {
        let mut t = TestMachine::new();
        assert_eq!(t.errno(nr("fork"), &[]), Errno::ENOSYS);
        // clone without CLONE_VM is a fork.
        assert_eq!(t.errno(nr("clone"), &[CHLD, 0, 0, 0, 0]), Errno::ENOSYS);
        // clone3 too (exit_signal SIGCHLD, no flags).
        let args = t.put(0, &CloneArgs { exit_signal: CHLD, ..Default::default() }.as_slice()[..CLONE_ARGS_SIZE_VER0]);
        assert_eq!(t.errno(nr("clone3"), &[args, CLONE_ARGS_SIZE_VER0 as u64]), Errno::ENOSYS);
    }

    #[test]
    fn clone_flags() {
        let mut t = TestMachine::new();
        // CLONE_SIGHAND needs CLONE_VM; CLONE_THREAD needs CLONE_SIGHAND.
        assert_eq!(t.errno(nr("clone"), &[CLONE_SIGHAND | CHLD, 0, 0, 0, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("clone"), &[CLONE_THREAD | CLONE_VM | CHLD, 0, 0, 0, 0]), Errno::EINVAL);
    }

    #[test]
    fn clone3_arguments() {
        let mut t = TestMachine::new();
        let bad = t.bad_ptr();
        let v0 = CLONE_ARGS_SIZE_VER0 as u64;
        // The first version of the structure.
        let put =
            |t: &TestMachine, offset: u64, args: CloneArgs| t.put(offset, &args.as_slice()[..CLONE_ARGS_SIZE_VER0]);
        let plain = CloneArgs { exit_signal: CHLD, ..Default::default() };
        let at = put(&t, 0, plain);
        assert_eq!(t.errno(nr("clone3"), &[at, v0 - 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("clone3"), &[at, 0]), Errno::EINVAL);
        assert_eq!(t.errno(nr("clone3"), &[bad, v0]), Errno::EFAULT);
        let bad_signal = put(&t, 0x100, CloneArgs { exit_signal: NSIG as u64 + 1, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[bad_signal, v0]), Errno::EINVAL);
        let stack_only = put(&t, 0x200, CloneArgs { stack: 0x1000, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[stack_only, v0]), Errno::EINVAL);
        let size_only = put(&t, 0x300, CloneArgs { stack_size: 0x1000, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[size_only, v0]), Errno::EINVAL);
        let wrapping = put(&t, 0x400, CloneArgs { stack: u64::MAX - 4095, stack_size: 0x2000, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[wrapping, v0]), Errno::EINVAL);
        let sighand = put(&t, 0x500, CloneArgs { flags: CLONE_SIGHAND, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[sighand, v0]), Errno::EINVAL);
        let thread = put(&t, 0x600, CloneArgs { flags: CLONE_THREAD | CLONE_VM, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[thread, v0]), Errno::EINVAL);
        let wide_signal = put(&t, 0x700, CloneArgs { exit_signal: 1 << 32 | CHLD, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[wide_signal, v0]), Errno::EINVAL);
    }

    /// Later versions of the structure: a larger one is read up to a page;
    /// what nommu does not know must be zero (E2BIG), set_tid cannot be
    /// given (EINVAL), cgroup counts only with CLONE_INTO_CGROUP.
    #[test]
    fn clone3_sizes() {
        let mut t = TestMachine::new();
        let bad = t.bad_ptr();
        let page = PAGE_SIZE;
        let full = |t: &TestMachine, offset: u64, args: CloneArgs| t.put(offset, args.as_slice());
        let plain = CloneArgs { exit_signal: CHLD, ..Default::default() };
        let v2 = CLONE_ARGS_SIZE_VER2 as u64;
        // Too large: E2BIG before the structure is read.
        assert_eq!(t.errno(nr("clone3"), &[t.scratch, page + 1]), Errno::E2BIG);
        assert_eq!(t.errno(nr("clone3"), &[bad, page + 1]), Errno::E2BIG);
        assert_eq!(t.errno(nr("clone3"), &[bad, page]), Errno::EFAULT);
        // Zeros past the known fields are fine: the call gets as far as the
        // fork it asks for.
        let at = full(&t, 0, plain);
        t.put(v2, &[0; 8]);
        assert_eq!(t.errno(nr("clone3"), &[at, v2 + 8]), Errno::ENOSYS);
        assert_eq!(t.errno(nr("clone3"), &[at, page]), Errno::ENOSYS);
        t.put(v2 + 7, &[1]);
        assert_eq!(t.errno(nr("clone3"), &[at, v2 + 8]), Errno::E2BIG);
        // set_tid (with or without its size); cgroup without its flag.
        let set_tid = full(&t, 0x1000, CloneArgs { set_tid: t.scratch, set_tid_size: 1, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[set_tid, v2]), Errno::EINVAL);
        let tid_only = full(&t, 0x1100, CloneArgs { set_tid: t.scratch, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[tid_only, v2]), Errno::EINVAL);
        let size_only = full(&t, 0x1200, CloneArgs { set_tid_size: 1, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[size_only, v2]), Errno::EINVAL);
        let cgroup = full(&t, 0x1300, CloneArgs { cgroup: 3, ..plain });
        assert_eq!(t.errno(nr("clone3"), &[cgroup, v2]), Errno::ENOSYS);
    }

    #[test]
    fn execve_paths() {
        let root = temp_root();
        let mut t = root.machine();
        let x = t.cstr(0, "/x");
        let argv = array(&t, 0x100, &[x]);
        let paths = [
            (t.bad_ptr(), Errno::EFAULT),
            (t.cstr(0x200, ""), Errno::ENOENT),
            (t.cstr(0x210, "/nope"), Errno::ENOENT),
            (t.cstr(0x220, "/f/x"), Errno::ENOTDIR),
            (t.cstr(0x230, "/"), Errno::EACCES),
            (t.cstr(0x240, "/f"), Errno::EACCES),
            (t.cstr(0x250, &"/a".repeat(2048)), Errno::ENAMETOOLONG),
        ];
        for (path, errno) in paths {
            assert_eq!(t.errno(nr("execve"), &[path, argv, 0]), errno, "{path:#x}");
        }
    }

    #[test]
    fn execve_arguments() {
        let root = temp_root();
        let mut t = root.machine();
        let bad = t.bad_ptr();
        let x = t.cstr(0, "/x");
        // Too much in all: 200 pointers to one string of 60000 bytes is
        // past any limit Linux sets (at most 6 MiB).
        let long = t.cstr(0x1000, &"a".repeat(60_000));
        let many = array(&t, 0x100, &[long; 200]);
        assert_eq!(t.errno(nr("execve"), &[x, many, 0]), Errno::E2BIG);
        assert_eq!(t.errno(nr("execve"), &[x, 0, many]), Errno::E2BIG);
        // Unreadable arrays or strings.
        let bad_string = array(&t, 0x800, &[x, bad]);
        assert_eq!(t.errno(nr("execve"), &[x, bad, 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("execve"), &[x, bad_string, 0]), Errno::EFAULT);
        assert_eq!(t.errno(nr("execve"), &[x, 0, bad]), Errno::EFAULT);
        assert_eq!(t.errno(nr("execve"), &[x, 0, bad_string]), Errno::EFAULT);
    }

    /// The program is opened before argv and envp are read: its error
    /// comes first.
    #[test]
    fn execve_path_errors_come_first() {
        let root = temp_root();
        let mut t = root.machine();
        let bad = t.bad_ptr();
        let x = t.cstr(0, "/x");
        let bad_string = array(&t, 0x100, &[x, bad]);
        let paths = [
            (t.cstr(0x200, "/nope"), Errno::ENOENT),
            (t.cstr(0x210, "/f/x"), Errno::ENOTDIR),
            (t.cstr(0x220, "/"), Errno::EACCES),
            (t.cstr(0x230, "/f"), Errno::EACCES),
            (t.cstr(0x240, "nope"), Errno::ENOENT),
            (x, Errno::EFAULT),
        ];
        for (path, errno) in paths {
            assert_eq!(t.errno(nr("execve"), &[path, bad, 0]), errno, "{path:#x}");
            assert_eq!(t.errno(nr("execve"), &[path, bad_string, 0]), errno, "{path:#x}");
            assert_eq!(t.errno(nr("execve"), &[path, 0, bad]), errno, "{path:#x}");
        }
        let at = AT_FDCWD as u64;
        let nope = t.cstr(0x300, "/nope");
        assert_eq!(t.errno(nr("execveat"), &[at, nope, bad, 0, 0]), Errno::ENOENT);
        assert_eq!(t.errno(nr("execveat"), &[at, x, bad, 0, 0]), Errno::EFAULT);
    }

    /// One string may have MAX_ARG_STRLEN bytes with its NUL, no more;
    /// the environment's strings are read before the arguments'.
    #[test]
    fn execve_string_limits() {
        let root = temp_root();
        let mut t = root.machine();
        let (bad, x) = (t.bad_ptr(), t.cstr(0, "/x"));
        // Strings of MAX_ARG_STRLEN and MAX_ARG_STRLEN + 1 bytes with their
        // NULs, past the scratch area.
        let long = t.m.mem.alloc(2 * MAX_ARG_STRLEN as u64, 4096).unwrap();
        let longest = t.m.mem.alloc(2 * MAX_ARG_STRLEN as u64, 4096).unwrap();
        let mut bytes = vec![b'a'; MAX_ARG_STRLEN + 1];
        bytes[MAX_ARG_STRLEN] = 0;
        t.m.mem.user.write(longest, &bytes).unwrap();
        bytes[MAX_ARG_STRLEN - 1] = 0;
        t.m.mem.user.write(long, &bytes).unwrap();
        let fits = array(&t, 0x100, &[x, long]);
        let too_long = array(&t, 0x200, &[x, longest]);
        let bad_string = array(&t, 0x300, &[x, bad]);
        // /x then fails for its missing interpreter.
        assert_eq!(t.errno(nr("execve"), &[x, fits, fits]), Errno::ENOENT);
        assert_eq!(t.errno(nr("execve"), &[x, too_long, 0]), Errno::E2BIG);
        assert_eq!(t.errno(nr("execve"), &[x, fits, too_long]), Errno::E2BIG);
        assert_eq!(t.errno(nr("execve"), &[x, too_long, bad_string]), Errno::EFAULT);
        assert_eq!(t.errno(nr("execve"), &[x, bad_string, too_long]), Errno::E2BIG);
        // Both arrays are read before any string.
        assert_eq!(t.errno(nr("execve"), &[x, bad_string, bad]), Errno::EFAULT);
        assert_eq!(t.errno(nr("execve"), &[x, too_long, bad]), Errno::EFAULT);
    }

    #[test]
    fn execveat_arguments() {
        let root = temp_root();
        let mut t = root.machine();
        let (x, rel, l, empty) = (t.cstr(0, "/x"), t.cstr(0x10, "x"), t.cstr(0x20, "/l"), t.cstr(0x30, ""));
        let argv = array(&t, 0x100, &[x]);
        let at = AT_FDCWD as u64;
        assert_eq!(t.errno(nr("execveat"), &[at, x, argv, 0, 1]), Errno::EINVAL);
        assert_eq!(t.errno(nr("execveat"), &[999, rel, argv, 0, 0]), Errno::EBADF);
        assert_eq!(t.errno(nr("execveat"), &[at, empty, argv, 0, 0]), Errno::ENOENT);
        assert_eq!(t.errno(nr("execveat"), &[999, empty, argv, 0, AT_EMPTY_PATH as u64]), Errno::EBADF);
        assert_eq!(t.errno(nr("execveat"), &[at, l, argv, 0, AT_SYMLINK_NOFOLLOW as u64]), Errno::ELOOP);
        assert_eq!(t.errno(nr("execveat"), &[at, t.bad_ptr(), argv, 0, 0]), Errno::EFAULT);
        let f = t.cstr(0x40, "/f");
        let fd = t.value(nr("open"), &[f, 0, 0]).unwrap();
        assert_eq!(t.errno(nr("execveat"), &[fd, rel, argv, 0, 0]), Errno::ENOTDIR);
    }
}
