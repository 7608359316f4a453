//! `--isolate` (issue 19): each process's memory under its own protection
//! key. A vfork+exec child that writes into its parent's heap lands the
//! write by default (no MMU) and dies of SIGSEGV under `--isolate`; a
//! syscall given the parent's buffer is EFAULT there. Without PKU in force
//! `--isolate` is refused with one line and status 2 (tested everywhere,
//! with NOMMU_NO_PKU=1).
mod common;
use common::*;
use std::process::Command;

/// Whether PKU is in force here; prints why the test is skipped if not.
fn pku_or_skip(test: &str) -> bool {
    let pku = caps(&[]).pku;
    if pku != "yes" {
        eprintln!("{test}: skipped: PKU is not in force on this host (pku={pku}); --isolate needs it");
    }
    pku == "yes"
}

fn run(bin: &std::path::Path, nommu_args: &[&str], args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(nommu());
    cmd.arg("run").args(nommu_args).arg(bin).args(args).envs(env.iter().copied());
    run_command(cmd)
}

/// The comm a program's process gets: its name cut to 15 bytes.
fn comm(bin: &std::path::Path) -> String {
    bin.file_name().unwrap().to_string_lossy().chars().take(15).collect()
}

#[test]
fn isolate_is_refused_without_pku() {
    let bin = guest("isolate_stray-musl");
    let out = run(&bin, &["--isolate"], &["write"], &[("NOMMU_NO_PKU", "1")]);
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(text(&out), "", "nothing ran");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--isolate needs protection keys (PKU)"), "{err}");
    // Why: the switch where the host has PKU, the CPU or kernel where not.
    let why = if caps(&[]).pku == "no" { "this CPU has none" } else { "NOMMU_NO_PKU=1" };
    assert!(err.contains(why), "{err}");
    // The environment switch forces it on as well, and is refused alike.
    let out = run(&bin, &[], &["write"], &[("NOMMU_NO_PKU", "1"), ("NOMMU_ISOLATE", "1")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_text(&out));
}

#[test]
fn a_childs_write_into_its_parents_heap_lands_by_default() {
    each_static_libc("isolate_stray", |bin| {
        let out = run(bin, &[], &["write"], &[]);
        let o = text(&out);
        assert!(out.status.success(), "{o}{}", stderr_text(&out));
        assert!(o.contains("parent: child exited 0\nparent: byte B\n"), "{o}");
    });
}

#[test]
fn a_childs_write_into_its_parents_heap_is_sigsegv_under_isolate() {
    if !pku_or_skip("a_childs_write_into_its_parents_heap_is_sigsegv_under_isolate") {
        return;
    }
    each_static_libc("isolate_stray", |bin| {
        for (args, env) in [(&["--isolate"][..], &[][..]), (&[][..], &[("NOMMU_ISOLATE", "1")][..])] {
            let out = run(bin, args, &["write"], env);
            let (o, e) = (text(&out), stderr_text(&out));
            assert!(out.status.success(), "{o}{e}");
            assert!(o.contains("parent: child killed by signal 11\nparent: byte A\n"), "{o}{e}");
            assert!(!o.contains("child: wrote"), "{o}");
            // "pid 2 (isolate_stray-m) wrote into pid 1 (isolate_stray-m)'s mmap at 0x..."
            let name = comm(bin);
            let line = e.lines().find(|l| l.contains(" wrote into ")).unwrap_or_else(|| panic!("no crash line: {e}"));
            assert!(line.starts_with(&format!("nommu: pid 2 ({name}) wrote into pid 1 ({name})'s ")), "{line}");
            assert!(line.contains(" at 0x"), "{line}");
        }
    });
}

#[test]
fn a_stray_write_gives_the_guests_handler_segv_pkuerr_and_the_key() {
    let pku = pku_or_skip("a_stray_write_gives_the_guests_handler_segv_pkuerr_and_the_key");
    each_static_libc("isolate_stray", |bin| {
        let out = run(bin, &[], &["handled"], &[]);
        assert!(text(&out).contains("child: wrote\nparent: child exited 0\nparent: byte B\n"), "{}", text(&out));
        if !pku {
            return;
        }
        let out = run(bin, &["--isolate"], &["handled"], &[]);
        let (o, e) = (text(&out), stderr_text(&out));
        // SEGV_PKUERR is 4; Linux sets si_pkey to the key of the page hit.
        assert!(o.contains("child: SIGSEGV code=4 pkey_set=1\nparent: child exited 0\nparent: byte A\n"), "{o}{e}");
    });
}

#[test]
fn a_childs_read_of_its_parents_heap_is_sigsegv_under_isolate() {
    let pku = pku_or_skip("a_childs_read_of_its_parents_heap_is_sigsegv_under_isolate");
    each_static_libc("isolate_stray", |bin| {
        let out = run(bin, &[], &["read"], &[]);
        assert!(text(&out).contains("child: read A\n"), "{}", text(&out));
        if !pku {
            return;
        }
        let out = run(bin, &["--isolate"], &["read"], &[]);
        let (o, e) = (text(&out), stderr_text(&out));
        assert!(o.contains("parent: child killed by signal 11\nparent: byte A\n"), "{o}{e}");
        let name = comm(bin);
        assert!(e.contains(&format!("nommu: pid 2 ({name}) read from pid 1 ({name})'s ")), "{e}");
    });
}

#[test]
fn a_read_of_free_arena_memory_is_sigsegv_under_isolate() {
    let pku = pku_or_skip("a_read_of_free_arena_memory_is_sigsegv_under_isolate");
    each_static_libc("isolate_stray", |bin| {
        let out = run(bin, &[], &["free"], &[]);
        assert!(text(&out).contains("parent: child exited 0\n"), "{}", text(&out));
        if !pku {
            return;
        }
        let out = run(bin, &["--isolate"], &["free"], &[]);
        let (o, e) = (text(&out), stderr_text(&out));
        assert!(o.contains("parent: child killed by signal 11\n"), "{o}{e}");
        let name = comm(bin);
        assert!(e.contains(&format!("nommu: pid 2 ({name}) read from free arena memory at 0x")), "{e}");
    });
}

#[test]
fn a_syscall_given_the_parents_buffer_is_efault_under_isolate() {
    let pku = pku_or_skip("a_syscall_given_the_parents_buffer_is_efault_under_isolate");
    each_static_libc("isolate_stray", |bin| {
        let out = run(bin, &[], &["syscall"], &[]);
        let o = text(&out);
        assert!(o.contains("A\nchild: write=1 errno=0\n"), "{o}");
        if !pku {
            return;
        }
        let out = run(bin, &["--isolate"], &["syscall"], &[]);
        let o = text(&out);
        assert!(o.contains("child: write=-1 errno=Bad address\n"), "{o}{}", stderr_text(&out));
        assert!(o.contains("parent: child exited 0\nparent: byte A\n"), "{o}");
    });
}

#[test]
fn a_vfork_child_before_exec_writes_its_parents_memory_under_isolate() {
    if !pku_or_skip("a_vfork_child_before_exec_writes_its_parents_memory_under_isolate") {
        return;
    }
    each_static_libc("isolate_stray", |bin| {
        let out = run(bin, &["--isolate"], &["vfork"], &[]);
        let (o, e) = (text(&out), stderr_text(&out));
        assert!(o.contains("parent: child exited 0\nparent: byte C\n"), "{o}{e}");
        assert!(!e.contains("nommu:"), "{e}");
    });
}

fn rootfs() -> std::path::PathBuf {
    let r = repo().join("rootfs");
    assert!(r.join("bin/busybox").exists(), "run `make rootfs` first");
    r
}

/// Every legitimate shared access has the right key: a shell pipeline
/// and a booted machine's applets run under --isolate with no fault.
#[test]
fn busybox_runs_under_isolate() {
    if !pku_or_skip("busybox_runs_under_isolate") {
        return;
    }
    let busybox = rootfs().join("bin/busybox");
    let out = run(&busybox, &["--isolate"], &["sh", "-c", "ls / | wc -l; echo ok"], &[]);
    let (o, e) = (text(&out), stderr_text(&out));
    assert!(out.status.success(), "{o}{e}");
    assert!(o.ends_with("\nok\n") && o.lines().next().unwrap().trim().parse::<u32>().is_ok(), "{o}{e}");
    assert!(!e.contains("nommu:"), "{e}");
    let script = "\
ls /proc | grep -c -E '^(self|meminfo|1)$'
echo one two three | tr ' ' '\\n' | sort -r | head -1
x=$(echo nested $(echo deep)); echo $x
trap 'echo caught-usr1' USR1; kill -USR1 $$
sleep 0.1 & wait; echo waited
cat /proc/1/cmdline | tr '\\0' ' '; echo
poweroff
";
    let out = boot_script(&["boot".into(), "--root".into(), rootfs().into_os_string(), "nommu.isolate".into()], script);
    let (o, e) = (text(&out), stderr_text(&out));
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    for want in
        ["isolated (each process's memory", "\n3\n", "two\n", "nested deep", "caught-usr1", "waited", "/sbin/init"]
    {
        assert!(o.contains(want), "missing {want:?} in:\n{o}{e}");
    }
    assert!(!o.contains(" wrote into ") && !o.contains(" read from ") && !o.contains("killed by"), "{o}");
}
