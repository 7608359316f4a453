//! The booted machine: an interactive console on a pseudo-terminal (line
//! editing, history, completion, Ctrl-C), a scripted session through
//! pipes, and the ways a machine ends.

mod common;
use common::*;
use std::process::{Command, Stdio};

fn rootfs() -> std::path::PathBuf {
    let r = repo().join("rootfs");
    assert!(r.join("bin/busybox").exists(), "run `make rootfs` first");
    r
}

/// Runs `cmd` on a pty driven by `steps` (tests/console/drive.py).
fn drive(steps: &str, cmd: &[&str]) -> (i32, String) {
    let out = Command::new("python3")
        .arg(repo().join("tests/console/drive.py"))
        .arg(repo().join("tests/console").join(steps))
        .arg("--")
        .args(cmd)
        .output()
        .expect("python3");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn interactive_console_on_a_pty() {
    let nommu = nommu().display().to_string();
    let root = rootfs().display().to_string();
    // stty before and after: the terminal must be left as it was found.
    // The wrapper shell ignores Ctrl-C (it would die of it: `sh -c` has no
    // job control); nommu takes SIGINT for the guest whatever it inherits.
    let script = format!("trap '' INT; stty -g; {nommu} boot --root {root}; echo status=$?; stty -g");
    let (code, out) = drive("interactive.steps", &["sh", "-c", &script]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Run /sbin/init as init process"), "{out}");
    assert!(out.contains("[nommu:~]#"), "the prompt shows the machine: {out}");
    assert!(out.contains("status=0"), "poweroff ends the machine with 0: {out}");
    let stty: Vec<&str> = out.lines().filter(|l| l.trim_end().matches(':').count() > 10).collect();
    assert_eq!(stty.len(), 2, "{out}");
    assert_eq!(stty[0].trim_end(), stty[1].trim_end(), "terminal modes restored");
}

/// A scripted session through pipes: what a CI job does with the machine.
#[test]
fn scripted_boot_session() {
    let script = "\
ls /proc | grep -c -E '^(self|meminfo|1)$'
ps | grep -c init
free | grep -c Mem:
echo one two three | tr ' ' '\\n' | sort -r | head -1
(cd /tmp; echo subshell-in-$(pwd)); echo parent-in-$(pwd)
sleep 0.2 & echo started; wait; echo waited
sleep 10 & kill $!; wait $!; echo killed-status=$?
trap 'echo caught-usr1' USR1; kill -USR1 $$
x=$(echo nested $(echo deep)); echo $x
poweroff
";
    let out = boot_script(&["boot".into(), "--root".into(), rootfs().into_os_string()], script);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    for want in [
        "Welcome to nommu",
        "\n3\n",
        "\n1\n",
        "two\n",
        "subshell-in-/tmp\nparent-in-/root",
        "started\nwaited",
        "killed-status=143",
        "caught-usr1",
        "nested deep",
        "Power down",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

/// With init=/bin/sh the shell is pid 1: when it exits (Ctrl-D, or end of
/// input) the machine ends with its status.
#[test]
fn shell_as_init_ends_the_machine() {
    let mut child = Command::new(nommu())
        .args(["boot", "--root"])
        .arg(rootfs())
        .arg("init=/bin/sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"echo I am pid $$\nexit 5\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("I am pid 1"), "{text}");
    assert_eq!(out.status.code(), Some(5), "{text}");
}

/// UML-style parameters: mem= sizes the arena, unknown key=value goes to
/// init's environment, plain words to its arguments.
#[test]
fn uml_style_parameters() {
    let out = Command::new(nommu())
        .args(["boot", "--root"])
        .arg(rootfs())
        .args(["mem=64M", "init=/bin/sh", "GREETING=hello", "-c", "echo $GREETING $0; grep MemTotal /proc/meminfo"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Memory: 64 MiB in a "), "{text}");
    assert!(text.contains("hello /bin/sh"), "{text}");
    assert!(text.contains("65536 kB"), "{text}");
    assert_eq!(out.status.code(), Some(0));
}

/// On a terminal, the terminal is the machine's console: `tty` names it,
/// /proc/PID/fd names init's descriptors by it, /dev/console and /dev/tty
/// are the 5,1 and 5,0 nodes (modes as Linux's devtmpfs makes them),
/// `stty` reaches the terminal, /dev/pts is there, /dev/tty opens (the
/// console is the login shell's controlling terminal), and /dev/ttyS0
/// (4,64) is the same terminal under its own name.
#[test]
fn console_names_on_a_terminal() {
    let nommu = nommu().display().to_string();
    let root = rootfs().display().to_string();
    let (code, out) = drive("names.steps", &[&nommu, "boot", "--root", &root]);
    assert_eq!(code, 0, "{out}");
    for want in [
        "T=/dev/console status=0",
        "L=/dev/console /dev/console",
        "/dev/console=character special file:5,1:crw-------",
        "/dev/tty=character special file:5,0:crw-rw-rw-",
        "S=30 100",
        "P=/dev/pts",
        "to-the-tty\r\nW=0",
        "N=/dev/ttyS0 /dev/ttyS0",
        "/dev/ttyS0=4,40:crw-------",
        "Power down",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(!out.contains("/dev/pts/"), "the host terminal's name never shows: {out}");
}

/// Through pipes there is no terminal: `tty` says so and fails, as on
/// Linux with the same descriptors.
#[test]
fn tty_through_pipes_is_not_a_tty() {
    let out = boot_script(
        &["boot".into(), "--root".into(), rootfs().into_os_string(), "init=/bin/sh".into()],
        "tty; echo status=$?\nreadlink /proc/self/fd/0 | grep -c pipe\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not a tty\nstatus=1\n"), "{text}");
    assert!(text.contains("\n1\n"), "init's stdin stays the pipe it is: {text}");
}

/// ttyname, isatty, fstat and /proc/self/fd agree on the console and on
/// /dev/tty, with a C library's own ttyname (musl's readlink and stat
/// compare, glibc's); after setsid /dev/tty is ENXIO.
#[test]
fn ttyname_and_isatty_on_the_console() {
    let nommu = nommu().display().to_string();
    each_libc("tty_console", |bin| {
        let (code, out) = drive("program.steps", &[&nommu, "run", &bin.display().to_string(), "console"]);
        assert_eq!(code, 0, "{}: {out}", bin.display());
        assert!(out.contains("tty_console: 0 failures"), "{out}");
    });
}

/// The same program without a terminal, against Linux: a pipe and
/// /dev/null are ENOTTY to isatty and ttyname, /dev/tty is ENXIO after
/// setsid.
#[test]
fn ttyname_and_isatty_without_a_terminal() {
    each_libc("tty_console", |bin| {
        let out = assert_same(bin, &[], &[]);
        assert!(text(&out).contains("tty_console: 0 failures"), "{}", text(&out));
    });
}

/// An inittab getty line for /dev/ttyS0 (the console's terminal under the
/// serial port's name, as on a no-MMU board): busybox getty prompts on it,
/// and the login shell's `tty` and /proc/PID/fd name /dev/ttyS0.
#[test]
fn getty_on_ttys0() {
    let root = TempDir::new("getty-root");
    let copied = Command::new("cp").arg("-a").arg(rootfs().join(".")).arg(root.path()).status().expect("cp");
    assert!(copied.success());
    std::fs::write(
        root.path().join("etc/inittab"),
        "::sysinit:/etc/init.d/rcS\nttyS0::respawn:/sbin/getty -l /bin/shlogin -L 0 ttyS0 vt100\n",
    )
    .unwrap();
    // getty runs its login program with the name typed: a shell instead.
    let login = root.path().join("bin/shlogin");
    std::fs::write(&login, "#!/bin/sh\nexec /bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&login, std::fs::Permissions::from_mode(0o755)).unwrap();
    let nommu = nommu().display().to_string();
    let root_arg = root.path().display().to_string();
    let (code, out) = drive("getty.steps", &[&nommu, "boot", "--root", &root_arg]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("G=/dev/ttyS0"), "{out}");
    assert!(out.contains("F=/dev/ttyS0"), "{out}");
}

/// The kernel log inside a booted machine: `dmesg` shows the boot log,
/// `dmesg -c` empties it.
#[test]
fn dmesg_shows_the_boot_log() {
    let script = "\
echo banner-in-dmesg:$(dmesg | grep -c 'Run /sbin/init as init process')
dmesg -c >/dev/null; echo after-clear:$(dmesg | wc -l)
poweroff
";
    let out = boot_script(&["boot".into(), "--root".into(), rootfs().into_os_string()], script);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("banner-in-dmesg:1\n"), "{text}");
    assert!(text.contains("after-clear:0\n"), "{text}");
}

/// `quiet` and `loglevel=1`, as on Linux: the boot messages (KERN_INFO)
/// stay off the console and in the log.
#[test]
fn quiet_boot_keeps_the_banner_in_the_log() {
    let script = "echo banner-in-dmesg:$(dmesg | grep -c 'Run /sbin/init as init process')\npoweroff\n";
    for param in ["quiet", "loglevel=1"] {
        let out = boot_script(&["boot".into(), "--root".into(), rootfs().into_os_string(), param.into()], script);
        let console = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{param}: {console}");
        assert!(console.contains("banner-in-dmesg:1\n"), "{param}: {console}");
        for banner in ["a no-MMU Linux machine in user space", "Memory: ", "Syscalls: ", "Run /sbin/init as init"] {
            assert!(!console.contains(banner), "{param}: {banner:?} on the console:\n{console}");
        }
        // The kernel's last words are KERN_EMERG: always on the console.
        assert!(console.contains("Power down"), "{param}: {console}");
    }
}

/// /proc and the busybox tools that read it (issue 18): every fd link of
/// the shell reads (a directory, a /proc file, a file, pipes), `df /`
/// shows the root, mountinfo's devices are stat's, /proc/sys reads (and
/// its hostname sets the machine's name), and `lsof`, `pmap`, `top`, `dmesg`,
/// `iostat`, `fuser`, `pstree`, `free`, `uptime`, `sysctl` print what
/// they print natively, without an error line. (`ls -l /proc/self/fd/`
/// lists the directory `ls` itself had open, whose link is gone by the
/// time `ls` reads it: natively too "cannot read link", so the shell's
/// own descriptors are listed instead.)
#[test]
fn proc_reads_for_busybox_tools() {
    let script = "\
exec 5</ 6>/tmp/f 7</proc/self/status
ls -l /proc/$$/fd/
echo fd-listing-done
ls -l /proc/self/fd/ 2>/dev/null | grep -c ' -> '
df /
echo root-dev $(mountpoint -d /) $(awk '$5 == \"/\" { print $3 }' /proc/self/mountinfo)
echo proc-dev $(mountpoint -d /proc) $(awk '$5 == \"/proc\" { print $3 }' /proc/self/mountinfo)
cat /proc/sys/kernel/osrelease
sysctl kernel.hostname kernel.pid_max vm.overcommit_memory
cat /proc/sys/kernel/random/boot_id /proc/sys/kernel/random/boot_id | uniq | wc -l
printf 'renamed\\nignored' > /proc/sys/kernel/hostname; echo host $(hostname) $(uname -n)
cat /proc/cmdline
lsof
pmap 1
pmap -x 1
top -b -n 1
top -b -n 1 -m
dmesg
iostat
fuser -m /
pstree
free
uptime
poweroff
";
    let out = boot_script(&["boot".into(), "--root".into(), rootfs().into_os_string(), "quiet".into()], script);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let listing = &text[..text.find("fd-listing-done").expect("the fd listing")];
    for want in ["5 -> /\n", "6 -> /tmp/f\n", "/status\n", "0 -> pipe:[", "lr-x------", "l-wx------"] {
        assert!(listing.contains(want), "missing {want:?} in the fd listing:\n{listing}");
    }
    for want in [
        "Filesystem",
        "% /\n",
        &format!("\n{release}"),
        "kernel.hostname = nommu\nkernel.pid_max = 4194304\nvm.overcommit_memory = 2\n",
        "\n1\n",
        "host renamed renamed\n",
        "--root ",
        "1\t/bin/busybox\t0\tpipe:[",
        "1: /sbin/init",
        "\nmapped: ",
        "Address\t\t  Kbytes     PSS   Dirty    Swap  Mode  Mapping",
        "Load average: ",
        "  PID  PPID USER     STAT   VSZ %VSZ CPU %CPU COMMAND",
        "Mem total:",
        "] Linux version ",
        "Device:",
        "init---sh---pstree",
        "Mem:",
        "load average:",
        "Power down",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    // mountinfo's major:minor is the device stat shows.
    for which in ["root-dev ", "proc-dev "] {
        let line = text.lines().find(|l| l.starts_with(which)).expect(which);
        let devs: Vec<&str> = line.split(' ').skip(1).collect();
        assert!(devs.len() == 2 && devs[0] == devs[1], "{line}");
    }
    for error in ["cannot read link", "No such file", "not implemented", "can't", "unknown", "error"] {
        assert!(!text.contains(error), "{error:?} in:\n{text}");
    }
}
