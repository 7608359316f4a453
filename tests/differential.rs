//! The guest tests, each run natively and under `nommu run`, for musl and
//! glibc static-pie builds: stdout and exit status must match.

mod common;
use common::*;

#[test]
fn hello_argv_env_auxv() {
    each_libc("hello", |bin| {
        let out = assert_same(bin, &["a", "b c", ""], &[("NOMMU_TEST_ONE", "1"), ("NOMMU_TEST_TWO", "x=y")]);
        assert_eq!(shell_status(&out), 4);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("NOMMU_TEST_TWO=x=y"), "{stdout}");
    });
}

#[test]
fn hello_non_pie_at_link_address() {
    each_libc("hello-exec", |bin| {
        assert_same(bin, &["x"], &[]);
    });
}

#[test]
fn tls_and_errno() {
    each_libc("tls_errno", |bin| {
        assert_same(bin, &[], &[]);
    });
}

#[test]
fn malloc_small_and_large() {
    each_libc("malloc", |bin| {
        assert_same(bin, &[], &[]);
    });
}

#[test]
fn registers_survive_syscalls() {
    each_libc("regs", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("regs ok"));
    });
}

#[test]
fn first_syscalls() {
    each_libc("syscalls", |bin| {
        assert_same(bin, &[], &[]);
    });
}

#[test]
fn unknown_syscall_numbers_are_enosys() {
    each_libc("enosys", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert_eq!(shell_status(&out), 0);
    });
}

#[test]
fn bad_pointers_are_efault() {
    each_libc("efault", |bin| {
        assert_same(bin, &[], &[]);
    });
}

#[test]
fn null_function_call_is_sigsegv() {
    each_libc("nullcall", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert_eq!(shell_status(&out), 139);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("killed by SIGSEGV at rip=0x0"), "{err}");
    });
}

/// A NULL read does what page 0 promises on this host: SIGSEGV where it is
/// execute-only (PKU) or unmapped (trap path), the sled's bytes where it is
/// readable (no PKU), which `nommu caps` must then say. `--null-guard`
/// makes it SIGSEGV everywhere, as natively.
#[test]
fn null_read_follows_page_0() {
    let page0 = caps(&[]).page0;
    eprintln!("page 0 here: {page0}");
    each_libc("nullread", |bin| {
        if page0 == "readable" {
            let out = run_nommu(bin, &[], &[]);
            assert_eq!(shell_status(&out), 1, "{}", bin.display());
            let text = String::from_utf8_lossy(&out.stdout);
            // 0x66666666: four of the sled's operand-size prefixes.
            assert!(text.contains("survived the NULL read?! (read 1717997670)"), "{text}");
        } else {
            let out = assert_same(bin, &[], &[]);
            assert_eq!(shell_status(&out), 139);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("killed by SIGSEGV") && err.contains("addr=0x0"), "{err}");
        }
        let out = assert_same(bin, &[], &[("NOMMU_NULL_GUARD", "1")]);
        assert_eq!(shell_status(&out), 139);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("killed by SIGSEGV") && err.contains("addr=0x0"), "{err}");
    });
}

/// Whatever protects page 0, a NULL write or call faults as on an unmapped
/// page (SEGV_MAPERR, "not present"), and --null-guard leaves no readable
/// page 0 behind on any host.
#[test]
fn null_guard_means_no_readable_page_0() {
    let guarded = caps(&["--null-guard"]);
    assert_ne!(guarded.page0, "readable");
    if guarded.page0 == "unmapped" {
        assert!(!guarded.trampoline);
        assert_ne!(guarded.trap, "none");
    }
    // Without the trampoline (trap path only, or no page 0 to be had)
    // nothing is at address 0; with it, PKU decides what a read sees.
    let plain = caps(&[]);
    match (plain.trampoline, plain.pku.as_str()) {
        (false, _) => assert_eq!(plain.page0, "unmapped"),
        (true, "yes") => assert_eq!(plain.page0, "execute-only"),
        (true, _) => assert_eq!(plain.page0, "readable"),
    }
}

/// Without FSGSBASE the entry path switches FS with arch_prctl instead;
/// guests are told (AT_HWCAP2), so that one line differs by design.
#[test]
fn fsgsbase_fallback_path() {
    let hide = |s: &str| s.lines().filter(|l| !l.contains("FSGSBASE")).collect::<Vec<_>>().join("\n");
    for name in ["hello", "regs", "tls_errno", "malloc", "enosys", "nullcall"] {
        each_libc(name, |bin| {
            let native = run_native_reference(bin, &["q"], &[]);
            let mut cmd = std::process::Command::new(nommu());
            let emulated = cmd.env("NOMMU_NO_FSGSBASE", "1").arg("run").arg(bin).arg("q").output().unwrap();
            assert_eq!(
                hide(&String::from_utf8_lossy(&native.stdout)),
                hide(&String::from_utf8_lossy(&emulated.stdout)),
                "{}",
                bin.display()
            );
            assert_eq!(shell_status(&native), shell_status(&emulated), "{}", bin.display());
        });
    }
}

/// Everything after PROGRAM is the program's, options included.
#[test]
fn program_options_are_not_nommus() {
    each_libc("hello", |bin| {
        let out = assert_same(bin, &["--help", "-v", "--trace"], &[]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("argv[1]=--help"));
    });
}

/// Code written at run time (RWX memory, mprotect'ed memory, sites at every
/// alignment) reaches the kernel through the trap path and gets the
/// emulated pid, not the host's.
#[test]
fn jit_code_reaches_the_kernel() {
    each_libc("jit", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert_eq!(shell_status(&out), 0);
    });
}

/// A leaf function with live data below rsp across a syscall: its site is
/// left to the trap path, so the data survives.
#[test]
fn red_zone_survives_a_syscall() {
    each_libc("redzone", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert_eq!(shell_status(&out), 0);
    });
}

/// A syscall that protects or unmaps the page below its own rsp, where
/// the rewritten `call *%rax` writes its return address (and the way back
/// into the guest writes it again): it completes and the program goes on,
/// as natively (docs/architecture.md, "The entry path").
#[test]
fn syscall_takes_the_page_below_rsp_away() {
    each_libc("entry_stack", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert_eq!(shell_status(&out), 0);
    });
}

/// The seccomp fallback of the trap path, with nothing rewritten: every
/// syscall of these programs goes through SECCOMP_RET_TRAP.
#[test]
fn seccomp_trap_path() {
    let env = [("NOMMU_SYSCALL_TRAP", "seccomp"), ("NOMMU_TRAP_ONLY", "1")];
    for name in ["hello", "regs", "jit", "redzone", "tls_errno", "entry_stack"] {
        each_libc(name, |bin| {
            assert_same(bin, &[], &env);
        });
    }
}

/// Unbounded recursion reaches the guard below the main stack: SIGSEGV, for
/// an exec'd vfork child (the parent sees it) and for the process itself.
#[test]
fn stack_overflow_hits_the_guard() {
    each_libc("stack_guard", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert_eq!(shell_status(&out), 139);
        assert!(String::from_utf8_lossy(&out.stdout).contains("killed by SIGSEGV"));
    });
}

/// PROT_NONE pages are inaccessible to guest code (SIGSEGV, SEGV_ACCERR)
/// and to syscalls (EFAULT, or a short count up to them), keep their
/// contents, move with mremap; a thread's stack overflow hits its guard.
#[test]
fn mprotect_prot_none_and_thread_stack_guards() {
    each_libc("mprotect", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert_eq!(shell_status(&out), 0);
    });
}

/// dlopen of a library, calls into it (its own syscall instruction too),
/// dlclose, again; then a child process with the same library open at the
/// same time, each with its own copy of the library's data.
#[test]
fn dlopen_call_close_and_two_processes() {
    for libc in LIBCS {
        let bin = guest(&format!("dlopen-{libc}"));
        let lib = guest(&format!("libdltest-{}.so", libc.trim_end_matches("-dyn")));
        let out = assert_same(&bin, &[lib.to_str().unwrap()], &[]);
        assert_eq!(shell_status(&out), 0);
        let text = String::from_utf8_lossy(&out.stdout);
        if libc.ends_with("-dyn") {
            assert!(text.contains("dlopen: all ok"), "{text}");
        }
    }
}

/// The memory syscalls with lengths and addresses at the edges: 0, near
/// 2^64, 2^63, past TASK_SIZE, wrapping when rounded up to a page or added
/// to the address, unaligned, file offsets past the largest a file has.
/// Linux's exact answers, and no mapping lost or changed by a call that
/// fails (mremap or munmap with such a length once dropped whole regions).
#[test]
fn mm_huge_and_wrapping_lengths() {
    each_libc("mm_edges", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert_eq!(shell_status(&out), 0);
    });
}

/// Address space reserved with PROT_NONE (12 GiB: 8 x 1 GiB with
/// MAP_NORESERVE, 4 without) costs no memory until made accessible: 1 MiB
/// of each committed, written and read back in the default --mem, its
/// neighbours still faulting; PROT_NONE and back, MADV_DONTNEED, mremap
/// of a reservation and of a committed part, mprotect up to a hole
/// (ENOMEM after changing what lies before it), munmap.
#[test]
fn reservations_cost_nothing_until_used() {
    each_libc("mm_reserve", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert_eq!(shell_status(&out), 0);
    });
}

/// nommu only (natively the host's memory is the limit): with --mem 32M,
/// committing more than that in a reservation is ENOMEM from mprotect,
/// mmap and mremap and changes nothing; PROT_NONE uncommits; /proc/meminfo
/// says MemTotal = --mem and counts Committed_AS. With --reserve off (a
/// strict no-MMU machine) reservations are memory: 1 GiB of them is ENOMEM.
#[test]
fn committing_past_mem_is_enomem() {
    each_libc("mm_reserve", |bin| {
        let dir = TempDir::new("mm_reserve-limit");
        let out = run_nommu_in(dir.path(), bin, &["limit", "32"], &["--mem", "32M"]);
        let stdout = text(&out);
        assert!(
            shell_status(&out) == 0 && !stdout.contains("FAILED") && stdout.contains("committing all of --mem more"),
            "{} limit 32 under --mem 32M:\n{stdout}\n--- stderr:\n{}",
            bin.display(),
            stderr_text(&out)
        );
        let out = run_nommu_in(dir.path(), bin, &[], &["--reserve", "off"]);
        assert_eq!(
            (shell_status(&out), text(&out).as_str()),
            (1, "reserve 0: ENOMEM\n"),
            "{} under --reserve off: {}",
            bin.display(),
            stderr_text(&out)
        );
    });
}

/// syslog(2) (busybox `dmesg`): Linux's argument errors.
#[test]
fn syslog_argument_errors() {
    each_libc("syslog_errs", |bin| {
        assert_same(bin, &[], &[]);
    });
}
