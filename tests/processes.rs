//! The process guest tests (`guest-tests/src/proc_*.c`) and busybox hush
//! scripts: vfork/clone/exec/wait, signals and their frames, process
//! groups, timers, posix_spawn/popen/system.
//!
//! Each program runs natively and under `nommu run`, for musl and glibc
//! builds, in a fresh empty working directory; the native run must pass
//! (status 0) on its own, so a broken test program or host shows up as
//! such; then stdout and status must match. Programs that need a shell
//! (`proc_spawn`, the hush scripts) run in a small root directory with the
//! rootfs busybox: natively under `chroot` (with /proc and /dev mounted in
//! a private mount namespace: busybox NOMMU hush re-executes itself
//! through /proc/self/exe), under nommu with `--root`. That side needs
//! root and unshare(1); without them those tests say so and pass.
//! `proc_nommu` only runs under nommu (natively fork works), against a
//! fixed expected output.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The native run must pass (status 0); then nommu (with `nommu_args`)
/// must produce the same stdout and status.
fn differential(bin: &Path, args: &[&str], nommu_args: &[&str]) -> (Output, Output) {
    differential_in_dirs(bin, args, &[], nommu_args, 0)
}

#[test]
fn vfork_clone_exec_wait_statuses() {
    each_libc("proc_vfork", |bin| {
        let (_, e) = differential(bin, &[], &[]);
        let out = text(&e);
        assert!(out.contains("chain level 0: ppid is my parent: yes"), "{out}");
        assert!(out.ends_with("all ok\n"), "{out}");
    });
}

/// A vfork child before it execs: nested vforks, crashes, signals and
/// SIGKILL for its suspended parent, a multithreaded parent, CPU times
/// (nommu runs the child on its parent's host thread; NOMMU_VFORK_THREAD=1
/// gives it a thread of its own, and the outputs must not differ).
#[test]
fn vfork_child_before_exec_and_its_suspended_parent() {
    each_libc("proc_vfork_run", |bin| {
        let (_, e) = differential(bin, &[], &[]);
        assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
    });
}

/// A vfork child after its exec, and its parent: a child that spins, blocks
/// on its parent, burns CPU, or ends at once; signals, a timer, a group
/// exit and SIGKILL for the parent meanwhile (nommu lets the exec'd child
/// go on on its parent's host thread for a slice; with a slice of 100 s
/// the parent gets its thread back only through those events; with
/// NOMMU_CHILD_FIRST=0 at the exec, as before).
#[test]
fn vfork_child_after_exec_and_its_parent() {
    each_libc("proc_vfork_first", |bin| {
        for env in [&[][..], &[("NOMMU_CHILD_FIRST_MS", "100000")], &[("NOMMU_CHILD_FIRST", "0")]] {
            let (_, e) = differential_in_dirs(bin, &[], env, &[], 0);
            assert!(text(&e).ends_with("all ok\n"), "{}", text(&e));
        }
    });
}

/// Memory a vfork child maps is the parent's too (shared address space):
/// it must survive the child's exec and _exit.
#[test]
fn vfork_child_mappings_belong_to_the_parent() {
    each_libc("proc_vfork_mem", |bin| {
        differential(bin, &[], &[]);
    });
}

/// A process's text is its own: patched after mprotect, the patch runs
/// and a child of the same program does not see it. With the text mapped
/// from the image cache's memfd (the default; forced here in case the
/// environment says NOMMU_EXEC_MAP=0) MADV_DONTNEED on a text page gives
/// back the program's code, as natively.
#[test]
fn text_is_private_to_its_process() {
    each_libc("exec_text", |bin| {
        differential(bin, &["plain"], &[]);
        differential_in_dirs(bin, &["dontneed"], &[("NOMMU_EXEC_MAP", "1")], &[], 0);
    });
}

/// An exec'd program's text and read-only data are read-only, as
/// natively: stores fault (SEGV_ACCERR), syscalls writing there are
/// EFAULT, mprotect(PROT_WRITE) opens them. (With NOMMU_EXEC_MAP=0 nommu
/// copies the image into plain read-write memory, where stores go through:
/// not checked that way.)
#[test]
fn text_and_rodata_are_read_only() {
    if std::env::var("NOMMU_EXEC_MAP").is_ok_and(|v| v == "0") {
        return;
    }
    each_libc("exec_rotext", |bin| {
        differential(bin, &[], &[]);
    });
}

/// The main stack is there to its full size, however it is first
/// reached (nommu commits it as it grows): deep recursion, a large frame,
/// a syscall writing deep down (nommu's copy and the host kernel's), a
/// signal frame.
#[test]
fn main_stack_grows_as_reached() {
    each_libc("stack_grow", |bin| {
        differential(bin, &[], &[]);
    });
}

#[test]
fn execve_scripts_errors_and_execveat() {
    each_libc("proc_exec", |bin| {
        differential(bin, &[], &[]);
    });
}

#[test]
fn signal_handlers_masks_queues_altstack_suspend() {
    each_libc("proc_sig", |bin| {
        differential(bin, &[], &[]);
    });
}

#[test]
fn signal_frames_fault_fixups_and_registers() {
    // Its handlers repair NULL reads: they must fault, as natively.
    let null_faults = null_faults_args();
    each_libc("proc_ucontext", |bin| {
        differential(bin, &[], &null_faults);
    });
}

/// sigaltstack takes any size from MINSIGSTKSZ up; an 8 KiB stack carries
/// a handler whatever the CPU's xsave size (AMX state is left out of
/// frames, as Linux does); a frame that does not fit is SIGSEGV.
#[test]
fn sigaltstack_sizes_and_small_stacks() {
    each_libc("proc_altstack", |bin| {
        differential(bin, &[], &[]);
    });
}

/// setuid/setgid(-1) are EINVAL, -1 keeps an id in setre*id/setres*id,
/// setfs*id return the old id, setgroups checks its size and its ids.
#[test]
fn set_ids_at_their_edges() {
    each_libc("proc_ids", |bin| {
        differential(bin, &[], &[]);
    });
}

#[test]
fn asynchronous_signals_spin_eintr_restart() {
    each_libc("proc_async", |bin| {
        differential(bin, &[], &[]);
    });
}

#[test]
fn wait_zombies_stop_continue_sigchld_reparenting() {
    each_libc("proc_wait", |bin| {
        differential(bin, &[], &[]);
    });
}

#[test]
fn process_groups_and_sessions() {
    each_libc("proc_pgrp", |bin| {
        differential(bin, &[], &[]);
    });
}

/// 200 processes alive at once. Every exec copies the whole image into
/// the arena (no shared text), and a glibc static-pie process takes about
/// 2.7 MiB (image, 1 MiB stack, malloc's first 1 MiB mmap), so the default
/// 256 MiB arena holds fewer than 100 of them: this test asks for 1 GiB.
#[test]
fn two_hundred_processes_at_once() {
    each_libc("proc_many", |bin| {
        let (_, e) = differential(bin, &[], &["--mem", "1G"]);
        assert!(text(&e).contains("200 children ready at once"), "{}", text(&e));
    });
}

#[test]
fn sleeping_alarms_itimers_cpu_accounting() {
    each_libc("proc_time", |bin| {
        differential(bin, &[], &[]);
    });
}

/// What only a no-MMU machine does: fork is ENOSYS, and crashing
/// processes do not take the machine (or a spinning sibling) down.
#[test]
fn nommu_only_fork_enosys_and_crash_survival() {
    const EXPECTED: &str = "\
fork() returns -1 ENOSYS: ok
raw fork syscall: ENOSYS: ok
clone(SIGCHLD) without CLONE_VM: ENOSYS: ok
clone3 without CLONE_VM: ENOSYS: ok
spinning sibling started: ok
vfork child crashes (NULL write): killed by signal 11: ok
vfork child crashes (ud2): killed by signal 4: ok
vfork child crashes (divide by zero): killed by signal 8: ok
vfork child crashes (NULL function call): killed by signal 11: ok
the parent goes on after 12 crashed children: ok
the spinning sibling survived and answered SIGUSR1: ok
kill(-1, SIGTERM) == 0: ok
kill(-1) reached all three children, not the caller: ok
kill(-1) with no other process: ESRCH: ok
the first process is pid 1: ok
all ok
";
    each_libc("proc_nommu", |bin| {
        let out = run_nommu(bin, &[], &[]);
        assert_eq!(text(&out), EXPECTED, "--- nommu stderr:\n{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(shell_status(&out), 0);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("killed by SIGSEGV"), "nommu should report the crashed children: {err}");
        assert!(err.contains("killed by SIGILL at rip=0x"), "the report names the signal and rip: {err}");
        assert!(err.contains(" in main+0x"), "the report names the function from the symbol table: {err}");
    });
}

// ---- programs that need a shell: a root directory with busybox ----

fn busybox() -> PathBuf {
    let p = repo().join("rootfs/bin/busybox");
    assert!(p.exists(), "{} is missing: run `make rootfs` (or `make test`)", p.display());
    p
}

/// Applets linked into the test root's /bin (hush runs them by PATH).
const APPLETS: [&str; 22] = [
    "sh", "cat", "echo", "tr", "wc", "sleep", "kill", "printf", "true", "false", "ls", "sort", "head", "tail", "xargs",
    "seq", "grep", "env", "find", "expr", "pwd", "yes",
];

/// A root directory: /bin/busybox with applet links, empty /tmp, /proc
/// and /dev (mount points for the native side), and optionally /prog.
fn make_root(tag: &str, prog: Option<&Path>) -> TempDir {
    let top = TempDir::new(tag);
    let root = top.path();
    for d in ["bin", "tmp", "proc", "dev"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::copy(busybox(), root.join("bin/busybox")).unwrap();
    for a in APPLETS {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(a)).unwrap();
    }
    if let Some(p) = prog {
        std::fs::copy(p, root.join("prog")).unwrap();
        if p.to_string_lossy().ends_with("-dyn") {
            install_dynamic_loaders(root);
        }
    }
    top
}

/// What a dynamically linked guest program needs in its root: the musl
/// loader (which is musl's libc too) and glibc's loader and libc.
fn install_dynamic_loaders(root: &Path) {
    for lib in ["/lib/ld-musl-x86_64.so.1", "/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"] {
        let dst = root.join(&lib[1..]);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(lib, &dst).unwrap_or_else(|e| panic!("{lib}: {e}"));
    }
}

/// Whether the native side can run: root, and a private mount namespace
/// in which /proc can be mounted.
fn can_chroot_with_proc() -> bool {
    if !is_root() {
        eprintln!("skipped: the native side needs root (chroot, mount)");
        return false;
    }
    let ok = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount -t proc proc /proc"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("skipped: `unshare -m` with a proc mount does not work here");
    }
    ok
}

/// The fixed environment both sides run with.
const ENV: [(&str, &str); 2] = [("PATH", "/bin"), ("HOME", "/")];

/// `chroot ROOT argv...` in a private mount namespace with /proc and /dev.
fn native_in_root(root: &Path, argv: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("unshare");
    let mut script = String::from(
        r#"c=$(command -v chroot) && mount -t proc proc "$0/proc" && mount --bind /dev "$0/dev" && exec env -i"#,
    );
    for (k, v) in ENV.iter().chain(env) {
        script.push_str(&format!(" '{k}={v}'"));
    }
    script.push_str(r#" "$c" "$0" "$@""#);
    cmd.current_dir("/").args(["-m", "sh", "-c", &script]).arg(root).args(argv);
    run_command(cmd)
}

fn nommu_in_root(root: &Path, argv: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(nommu());
    // The guest's environment is ENV only: no XDG_CACHE_HOME, so no image
    // cache (HOME=/ would put it in the host's /.cache).
    cmd.current_dir("/").env_clear().envs(ENV.iter().chain(env).copied()).arg("run").arg("--no-cache");
    cmd.arg("--root").arg(root);
    cmd.args(argv);
    run_command(cmd)
}

/// Runs `argv` in a fresh root both ways; returns (native, nommu).
fn same_in_root(tag: &str, prog: Option<&Path>, argv: &[&str], env: &[(&str, &str)]) -> (Output, Output) {
    let bb = busybox();
    let files: Vec<&Path> = std::iter::once(bb.as_path()).chain(prog).collect();
    let native = native_reference("in a fresh busybox root (chroot)", &files, argv, env, || {
        let root = make_root(&format!("{tag}-native"), prog);
        native_in_root(root.path(), argv, env)
    });
    let emulated = {
        let root = make_root(&format!("{tag}-nommu"), prog);
        nommu_in_root(root.path(), argv, env)
    };
    let what = format!("{argv:?} in a busybox root, {} more environment variables", env.len());
    assert_outputs_match(&what, &native, &emulated);
    (native, emulated)
}

#[test]
fn posix_spawn_popen_system_with_busybox_sh() {
    if !can_chroot_with_proc() {
        return;
    }
    each_libc("proc_spawn", |bin| {
        let (native, _) = same_in_root("proc_spawn", Some(bin), &["/prog"], &[]);
        assert_eq!(shell_status(&native), 0, "the native run failed:\n{}", text(&native));
        assert!(text(&native).ends_with("all ok\n"));
    });
}

/// Runs `sh -c script` both ways and returns the (common) stdout.
fn hush(script: &str) -> String {
    hush_env(script, &[])
}

fn hush_env(script: &str, env: &[(&str, &str)]) -> String {
    let (_, e) = same_in_root("hush", None, &["/bin/sh", "-c", script], env);
    text(&e)
}

#[test]
fn hush_subshells_pipelines_jobs() {
    if !can_chroot_with_proc() {
        return;
    }
    assert_eq!(hush("a=$(echo hi); echo $a | cat; (exit 3); echo $?; sleep 0.1 & wait"), "hi\n3\n");
    assert_eq!(hush("echo one two three | tr ' ' '\\n' | wc -l"), "3\n");
    hush("printf 'b\\na\\nc\\n' | sort | head -n 2");
    assert_eq!(hush("for i in 1 2 3; do echo $i; done | wc -l"), "3\n");
    assert_eq!(hush("(exit 7) & wait $!; echo $?"), "7\n");
    assert_eq!(hush("sleep 5 & kill $!; wait $!; echo $?"), "143\n");
    hush("sleep 5 & kill %1; wait; echo $?");
    assert_eq!(hush("echo $(echo a $(echo b $(echo c)))"), "a b c\n");
    assert_eq!(hush("(exec echo from-exec); echo after $?"), "from-exec\nafter 0\n");
    assert_eq!(hush("x=1; (x=2; echo $x); echo $x"), "2\n1\n");
    assert_eq!(hush("v=$(for i in 1 2 3; do echo $i; done | tr '\\n' +); echo $v"), "1+2+3+\n");
    assert_eq!(hush("echo $(( $(echo 6) * $(echo 7) ))"), "42\n");
    hush("sleep 0.1 | sleep 0.1 | echo fast");
    hush("echo x | cat & wait; echo waited");
    hush("sleep 0.2 & sleep 0.1 & wait; echo both");
    hush("for i in $(seq 1 30); do (true); done; echo done");
    hush("sh -c 'sh -c \"echo deep; exit 3\"; echo $?'");
    hush("env -i A=1 sh -c 'echo $A'");
    hush("echo a b c | xargs -n1 echo");
    hush("find / -maxdepth 1 -name bin -exec echo found {} \\;");
    hush("ls /nonexistent 2>&1 | wc -l");
    hush("yes | head -n 3");
}

#[test]
fn hush_traps_signals_and_statuses() {
    if !can_chroot_with_proc() {
        return;
    }
    assert_eq!(hush("trap 'echo trapped' USR1; kill -USR1 $$; echo after"), "trapped\nafter\n");
    assert_eq!(hush("trap 'echo exiting' EXIT; exit 4"), "exiting\n");
    hush("(trap 'echo got TERM' TERM; sleep 2 & wait) & p=$!; sleep 0.2; kill $p; wait $p; echo $?");
    hush("echo start; sleep 10 & p=$!; kill -STOP $p; kill -CONT $p; kill $p; wait $p; echo $?");
    hush("sh -c 'kill -TERM $$'; echo $?");
    hush("kill -9 $$");
    hush("exit 300");
    hush("kill -0 $$; echo $?");
    hush("set -e; false; echo notreached");
    hush("wait; echo $?");
    hush("f() { echo f:$1; return 5; }; f x; echo $?");
}

#[test]
fn hush_here_documents_and_redirections() {
    if !can_chroot_with_proc() {
        return;
    }
    assert_eq!(hush("cat <<EOF\nline $((1+2))\n$HOME\nEOF"), "line 3\n/\n");
    assert_eq!(hush("cat <<'EOF'\n$HOME $((1+2))\nEOF"), "$HOME $((1+2))\n");
    assert_eq!(hush("read a b <<EOF\n1 2\nEOF\necho $b$a"), "21\n");
    assert_eq!(hush("printf '1\\n2\\n3\\n' | while read n; do echo $((n*n)); done"), "1\n4\n9\n");
    hush("exec 3>&1; exec > /tmp/out; echo redirected; exec >&3; cat /tmp/out");
    hush("echo abc > /tmp/f; while read l; do echo got $l; done < /tmp/f");
    hush("cd /tmp && pwd; cd /; pwd");
    hush("case abc in a*) echo A;; *) echo other;; esac");
}

/// hush's NOMMU pipelines malloc in vfork children (musl's malloc mmaps
/// when the heap grows, which depends on how many variables there are);
/// the parent frees that memory later. With 34 environment variables (as
/// set here) this crashed under nommu, in musl's free (see proc_vfork_mem);
/// the sweep covers where the heap layout makes the child mmap.
#[test]
fn hush_pipelines_with_many_environment_variables() {
    if !can_chroot_with_proc() {
        return;
    }
    for n in 24..=44 {
        let vars: Vec<(String, String)> = (0..n).map(|i| (format!("V{i}"), "x".to_string())).collect();
        let env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(hush_env("true | true; echo hi | cat; echo ok", &env), "hi\nok\n", "with {n} variables");
    }
}

/// A non-PIE program sits at its link address outside the arena; once it
/// exits the next exec of it must get that place again (it was refused
/// with "Out of memory" before).
#[test]
fn non_pie_program_runs_again_after_it_exits() {
    let root = make_root("nonpie-again", Some(&guest("hello-exec-musl")));
    let script = "for i in 1 2 3; do /prog x | head -n 1; done";
    let out = nommu_in_root(root.path(), &["/bin/sh", "-c", script], &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello, world\n".repeat(3),
        "--- nommu stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(shell_status(&out), 0);
}
