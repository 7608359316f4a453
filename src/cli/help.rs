//! The help texts: static, so that a run that does not ask for them
//! costs nothing. Each option of the parser (`super::OBSERVE`, `RUN`,
//! `BOOT`, `CAPS`) has its paragraph here; tests/cli.rs checks that
//! every one is listed.

/// The options every subcommand takes (`super::Observe`).
macro_rules! observe_options {
    () => {
        "      --trace[=<SYSCALLS>]
          Print syscalls, signals and exits like strace: `--trace`, or
          `--trace=open,read,%file,%process,%signal,%memory`.

      --trace-file <FILE>
          Write the trace (and the summary) to FILE instead of stderr.

      --summary
          At exit, a table like `strace -c` plus the no-MMU facts: execs and
          their rewrite cost, peak arena use, largest free block.

      --timeline <FILE.json>
          A Chrome/Perfetto trace of the run (ui.perfetto.dev,
          chrome://tracing): a track per task, every syscall a slice with its
          decoded arguments, vfork/exec/exit/signals, arena use.

      --report <FILE.json>
          At exit, a JSON report for CI (schema in the README).

      --memmap <FILE.svg>
          Draw the arena (regions by process and kind, free space) at its
          busiest, and whenever nommu gets SIGUSR1.

      --trap-only
          Rewrite no syscall sites and map no page 0: every syscall takes the
          trap path (Syscall User Dispatch or seccomp). Slower; what nommu
          does by itself when page 0 cannot be mapped. Also NOMMU_TRAP_ONLY=1.

      --null-guard
          Make NULL reads fault on every host. With PKU page 0 is
          execute-only anyway; without it page 0 would be readable, so nommu
          maps none and every syscall takes the trap path. Also
          NOMMU_NULL_GUARD=1.

      --net <host|none>
          What guests' internet sockets reach: `host` (the host's network, as
          qemu-user gives it) or `none` (unix sockets only; internet sockets
          get ENETUNREACH). [default: host]

      --reserve <on|off|SIZE>
          Address space reserved without access (PROT_NONE: thread arenas,
          guard areas, JIT heaps) costs no memory until made accessible:
          `on` (an address range of 64 GiB, or 4 times --mem), a range size
          (e.g. 16G), or `off` (every allocated page counts against --mem,
          as on a no-MMU kernel). [default: on]

      --no-cache
          Neither read nor write the on-disk cache of rewritten images
          ($XDG_CACHE_HOME/nommu, else ~/.cache/nommu). Also NOMMU_NO_CACHE=1.

      --strict
          The strict no-MMU profile: memory calls answer as Linux's no-MMU
          memory manager does (mm/nommu.c), and every allocated page counts
          (implies --reserve off). Boot parameter: nommu.strict.

      --isolate
          An MPU for no-MMU processes: each process's memory carries a
          protection key, so a stray access into another process's memory is
          SIGSEGV (SEGV_PKUERR). Needs PKU. Boot parameter: nommu.isolate.
"
    };
}

pub const TOP: &str = "\
A user-space no-MMU Linux machine for x86-64 programs

Usage: nommu [OPTIONS] <COMMAND>

Commands:
  run   Run one program; exit with its status (128+signal if killed)
  boot  Boot the machine like User-Mode Linux: init as pid 1 on the console
  caps  Say what this host gives nommu and what is in force
  help  Print this message or the help of the given subcommand

Options:
  -v, --verbose  One line per exec, vfork, rewrite, signal delivery, process
                 birth and death on stderr (RUST_LOG=nommu=info; RUST_LOG
                 overrides)
  -h, --help     Print help (of a command: nommu COMMAND --help)
  -V, --version  Print version
";

pub const RUN: &str = concat!(
    "\
Run one program; exit with its status (128+signal if killed).

Usage: nommu run [OPTIONS] <PROGRAM [ARGS]>...

Arguments:
  <PROGRAM [ARGS]>...
          The program (a static or static-pie x86-64 ELF) and its arguments;
          everything after it is the program's, `--help` too.

Options:
      --root <ROOT>
          Host directory that is the guest's root file system. [default: /]

      --mem <MEM>
          Memory (what guests may have in use at once), e.g. 64M, 1G.
          [default: 256M]

      --argv0 <NAME>
          The program's argv[0] (default: PROGRAM as given), as bash's `exec
          -a NAME` or qemu-user's `-0 NAME`; its comm and /proc/PID/exe still
          come from PROGRAM, as after an execve.

",
    observe_options!(),
    "
  -h, --help
          Print help.
"
);

pub const BOOT: &str = concat!(
    "\
Boot the machine like User-Mode Linux: init as pid 1 on the console.

UML-style parameters work too: mem=64M root=DIR init=/bin/sh initrd=FILE
rdinit=/init. Other key=value parameters go to init's environment, other
words to its arguments (as the Linux kernel does).

Usage: nommu boot [OPTIONS] [PARAMS]...

Arguments:
  [PARAMS]...
          key=value parameters and init arguments.

Options:
      --root <ROOT>
          Host directory that is the guest's root file system (default
          rootfs).

      --initrd <FILE>
          A newc cpio archive (gzip'd or not), unpacked into an in-memory root
          that init (default /init) runs from, as Linux boots an initramfs.
          Not with --root.

      --mem <MEM>
          Memory (what guests may have in use at once), e.g. 64M, 1G.
          [default: 256M]

      --init <INIT>
          The init program (default /sbin/init, else /bin/sh; /init with
          --initrd).

",
    observe_options!(),
    "
  -h, --help
          Print help.
"
);

pub const CAPS: &str = concat!(
    "\
Say what this host gives nommu and what is in force (page 0, PKU, FSGSBASE,
the trap path, host mounts, where tmpfs files live), honouring the same
options and NOMMU_* switches as `run`; `key=value` lines with --machine.

Usage: nommu caps [OPTIONS]

Options:
",
    observe_options!(),
    "
      --machine
          One `key=value` line each, for scripts and tests.

  -h, --help
          Print help.
"
);

pub const HELP: &str = "\
Print this message or the help of the given subcommand

Usage: nommu help [COMMAND]

Arguments:
  [COMMAND]  Print help for the subcommand (run, boot or caps)
";
