//! A seam for calling syscall handlers directly (unit tests, and
//! `examples/syscall_cost` under callgrind): a machine without page 0 or
//! a trap path (`MachineConfig::handlers_only`), one process with one task
//! on the test's own thread, and scratch guest memory. Tests call syscalls
//! by number through the one table, as the run loop does, so argument
//! conversion and validation are what a guest gets.

use super::{dispatch, Args, SyscallCtx, SyscallReturn};
use crate::errno::{Errno, SysResult};
use crate::fs::FdTable;
use crate::kernel::process::FsContext;
use crate::kernel::task::TaskShared;
use crate::kernel::{Machine, MachineConfig, Process, Task};
use std::sync::Arc;

/// Bytes of guest memory a test may use, at `TestMachine::scratch`.
pub const SCRATCH_LEN: u64 = 64 << 10;

/// A descriptor no test machine has open (EBADF).
#[cfg(test)]
pub(crate) const NO_FD: u64 = 999;
/// A pid no test machine has (ESRCH).
#[cfg(test)]
pub(crate) const NO_PID: u64 = 99_999;
/// -1 in a whole register: a negative descriptor, pid or count.
#[cfg(test)]
pub(crate) const NEG: u64 = -1i64 as u64;

pub struct TestMachine {
    pub m: Arc<Machine>,
    pub task: Task,
    /// The start of `SCRATCH_LEN` bytes of guest memory.
    pub scratch: u64,
}

fn no_task_loop(_: &Machine, _: &mut Task) {
    unreachable!("a handlers-only machine runs no guest tasks");
}

impl Default for TestMachine {
    fn default() -> Self {
        TestMachine::new()
    }
}

impl TestMachine {
    /// A machine whose root is the host's `/`.
    pub fn new() -> TestMachine {
        TestMachine::with_root("/")
    }

    pub fn with_root(root: &str) -> TestMachine {
        let config = MachineConfig { handlers_only: true, root: root.into(), mem_size: 16 << 20, ..Default::default() };
        let m = Machine::new(config, no_task_loop).expect("a handlers-only machine");
        let files = FdTable::with_host_stdio().expect("stdio");
        let fs = FsContext { cwd: b"/".to_vec(), cwd_fd: None, umask: 0o22, root: None };
        let p = Arc::new(Process::new(
            m.alloc_pid(),
            0,
            crate::abi::signal::SIGCHLD,
            files,
            fs,
            Process::initial_rlimits(),
        ));
        m.register(&p);
        let shared = Arc::new(TaskShared::new(p.pid, 0));
        p.tasks().push(shared.clone());
        m.register_task(&shared);
        let vcpu = crate::arch::Vcpu::new_on_current_thread().expect("vcpu");
        let task = Task::new(shared, p, vcpu);
        let scratch = m.mem.alloc(SCRATCH_LEN, 4096).expect("scratch memory");
        TestMachine { m, task, scratch }
    }

    /// Syscall `nr` with up to six arguments (the rest are 0).
    pub fn call(&mut self, nr: u64, args: &[u64]) -> SysResult<SyscallReturn> {
        let mut a: Args = [0; 6];
        a[..args.len()].copy_from_slice(args);
        dispatch(&mut SyscallCtx::new(&self.m, &mut self.task), nr, a)
    }

    /// `call` for a syscall that returns a value.
    pub fn value(&mut self, nr: u64, args: &[u64]) -> SysResult<u64> {
        match self.call(nr, args)? {
            SyscallReturn::Return(v) => Ok(v),
            other => panic!("syscall {nr} did not return a value: {other:?}"),
        }
    }

    /// The errno of a call that must fail.
    pub fn errno(&mut self, nr: u64, args: &[u64]) -> Errno {
        match self.call(nr, args) {
            Err(e) => e,
            Ok(r) => panic!("syscall {nr}({args:x?}) succeeded ({r:?}); an error was expected"),
        }
    }

    /// Writes `bytes` into scratch memory at `offset`; returns the address.
    pub fn put(&self, offset: u64, bytes: &[u8]) -> u64 {
        let addr = self.scratch + offset;
        self.m.mem.user.write(addr, bytes).expect("scratch write");
        addr
    }

    /// A NUL-terminated string in scratch memory at `offset`.
    pub fn cstr(&self, offset: u64, s: &str) -> u64 {
        self.put(offset, &[s.as_bytes(), b"\0"].concat())
    }

    /// An address no guest memory is at (EFAULT for any access).
    pub fn bad_ptr(&self) -> u64 {
        8
    }

    /// A new pipe: (read end, write end). Its two descriptors are written
    /// at `offset` in scratch memory.
    #[cfg(test)]
    pub(crate) fn pipe(&mut self, offset: u64) -> (u64, u64) {
        let at = self.scratch + offset;
        assert_eq!(self.value(crate::abi::names::number("pipe"), &[at]), Ok(0));
        let fds: [i32; 2] = self.m.mem.user.read_val(at).expect("the pipe's descriptors");
        (fds[0] as u64, fds[1] as u64)
    }
}

/// NUL-terminated strings in scratch memory, one after another from an
/// offset on, each 16-byte aligned.
#[cfg(test)]
pub(crate) struct Strings {
    next: u64,
}

#[cfg(test)]
impl Strings {
    pub(crate) fn from(offset: u64) -> Strings {
        Strings { next: offset }
    }

    /// `s` as the next string; its guest address.
    pub(crate) fn s(&mut self, t: &TestMachine, s: &str) -> u64 {
        let at = t.cstr(self.next, s);
        self.next += (s.len() as u64 + 1).next_multiple_of(16);
        at
    }
}

/// A fresh directory under the system's temp dir, to be a test machine's
/// root; removed with everything in it when dropped.
#[cfg(test)]
pub(crate) struct TempRoot(pub std::path::PathBuf);

#[cfg(test)]
impl TempRoot {
    pub(crate) fn new(tag: &str) -> TempRoot {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("nommu-unit-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary root");
        TempRoot(dir)
    }

    /// A machine whose `/` is this directory.
    pub(crate) fn machine(&self) -> TestMachine {
        TestMachine::with_root(self.0.to_str().expect("a UTF-8 temp path"))
    }

    /// Whether `name` exists (as anything, symlinks not followed).
    pub(crate) fn exists(&self, name: &str) -> bool {
        self.0.join(name).symlink_metadata().is_ok()
    }
}

#[cfg(test)]
impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::names::number;

    #[test]
    fn the_seam_reaches_handlers_through_the_table() {
        let mut t = TestMachine::new();
        assert!(!t.m.caps.trampoline() && t.m.caps.trap.is_none());
        assert_eq!(t.value(number("getpid"), &[]), Ok(1)); // the first pid
        assert_eq!(t.errno(500, &[]), Errno::ENOSYS);
        let bad = t.bad_ptr();
        assert_eq!(t.errno(number("stat"), &[bad, t.scratch]), Errno::EFAULT);
    }
}
