//! The Rust side of one syscall, for valgrind's callgrind: the run loop's
//! work between two guest entries (signal delivery check, dispatch, the
//! handler, the return registers) N times for one syscall, without guest
//! code (callgrind cannot run the page-0 trampoline or FS switching).
//! Instructions per syscall are the difference of two runs:
//!
//! ```sh
//! cargo build --release --example syscall_cost
//! E=target/x86_64-unknown-linux-musl/release/examples/syscall_cost
//! for n in 1000 3000; do valgrind --tool=callgrind --callgrind-out-file=/dev/null $E stat $n; done
//! # (I(3000) - I(1000)) / 2000; NODELIVER=1 leaves out the delivery check.
//! ```
//!
//! Modes: getpid read1 write1 (1 byte, /dev/null), stat (/dev/null),
//! openclose (/dev/null; two syscalls), stat-host and openclose-host
//! (/etc/hostname in the host root: the openat2 walk; build with
//! `--features profile-openat` for valgrind, which does not know openat2);
//! stat-dirfd and openclose-dirfd: `newfstatat(dirfd of /etc, "hostname",
//! AT_SYMLINK_NOFOLLOW)` and `openat(dirfd, "hostname")` + close (the
//! lookup from the directory's handle, `fs::dirat`).
// Harness arithmetic is on sizes and counts the test itself chose, not on
// guest input: the crate's overflow lint is for the kernel.
#![allow(clippy::arithmetic_side_effects)]

use nommu::kernel::Task;
use nommu::syscall::testkit::TestMachine;
use nommu::syscall::{dispatch, SyscallCtx, SyscallReturn};

/// nommu's allocator, so the counts are those of the real binary.
#[global_allocator]
static ALLOCATOR: nommu::mm::startheap::StartHeap = nommu::mm::startheap::StartHeap;

const MODES: [&str; 9] =
    ["getpid", "read1", "write1", "stat", "openclose", "stat-host", "openclose-host", "stat-dirfd", "openclose-dirfd"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("getpid", |s| s.as_str());
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let Some(k) = MODES.iter().position(|m| *m == mode) else {
        eprintln!("usage: syscall_cost {{{}}} [N]", MODES.join("|"));
        std::process::exit(2);
    };
    // No page 0 (valgrind could not map it) and no trap path: nothing runs
    // in the guest here.
    let machine = TestMachine::new();
    let (dev_null, host_file) = (machine.cstr(1024, "/dev/null"), machine.cstr(2048, "/etc/hostname"));
    let (etc, name) = (machine.cstr(3072, "/etc"), machine.cstr(3200, "hostname"));
    let TestMachine { m, mut task, scratch: buf } = machine;
    let stat_buf = buf + 4096;

    let deliver = std::env::var_os("NODELIVER").is_none();
    // What run_task and handle_syscall do around the handler.
    let call = |task: &mut Task, nr: u64, a: [u64; 6]| -> u64 {
        if deliver {
            let _ = nommu::kernel::delivery::deliver(&m, task);
        }
        let mut ctx = SyscallCtx::new(&m, task);
        let r = dispatch(&mut ctx, nr, a);
        let regs = task.vcpu.regs_mut();
        regs.rcx = regs.rip;
        regs.r11 = regs.rflags;
        regs.rax = match r {
            Ok(SyscallReturn::Return(v)) => v,
            Ok(other) => panic!("syscall {nr} did not return: {other:?}"),
            Err(e) => e.as_return(),
        };
        regs.rax
    };
    const AT_FDCWD: u64 = -100i64 as u64;
    let fd = call(&mut task, 2, [dev_null, libc::O_RDWR as u64, 0, 0, 0, 0]);
    let dir = call(&mut task, 2, [etc, (libc::O_RDONLY | libc::O_DIRECTORY) as u64, 0, 0, 0, 0]);
    // As once pid 1 runs.
    nommu::mm::startheap::close();
    let mut sink = 0u64;
    for _ in 0..n {
        sink = sink.wrapping_add(match k {
            0 => call(&mut task, 39, [0; 6]),
            1 => call(&mut task, 0, [fd, buf, 1, 0, 0, 0]),
            2 => call(&mut task, 1, [fd, buf, 1, 0, 0, 0]),
            3 => call(&mut task, 4, [dev_null, stat_buf, 0, 0, 0, 0]),
            4 => {
                let f = call(&mut task, 2, [dev_null, 0, 0, 0, 0, 0]);
                call(&mut task, 3, [f, 0, 0, 0, 0, 0])
            }
            5 => call(&mut task, 4, [host_file, stat_buf, 0, 0, 0, 0]),
            7 => call(&mut task, 262, [dir, name, stat_buf, libc::AT_SYMLINK_NOFOLLOW as u64, 0, 0]),
            8 => {
                let f = call(&mut task, 257, [dir, name, 0, 0, 0, 0]);
                call(&mut task, 3, [f, 0, 0, 0, 0, 0])
            }
            _ => {
                let f = call(&mut task, 257, [AT_FDCWD, host_file, 0, 0, 0, 0]);
                call(&mut task, 3, [f, 0, 0, 0, 0, 0])
            }
        });
    }
    println!("{mode} x{n}: {sink}");
}
