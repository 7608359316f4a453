//! Fixed-address programs (non-PIE `ET_EXEC`, linked at 0x400000) taking
//! turns on their link address: a parent and the children it execs at the
//! same address, each with its own copy of the range (README, "Fixed-address
//! programs"). Differential where the program can run: same stdout and
//! status as natively.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Output};

/// The non-PIE static builds of fixed_turns, with musl and glibc.
fn each_fixed(f: impl Fn(&Path)) {
    for libc in ["musl", "glibc"] {
        f(&guest(&format!("fixed_turns-exec-{libc}")));
    }
}

/// A vfork child execs another image at its parent's link address, writes
/// its .data and .bss and exits; the parent's are intact after waitpid.
#[test]
fn vfork_child_at_the_parents_link_address() {
    each_fixed(|bin| {
        let out = assert_same(bin, &["vfork"], &[]);
        assert!(text(&out).contains("parent: child status 0, data 0x1234 parent-data, bss ok"), "{}", text(&out));
    });
}

/// Parent and child at one address ping-pong over two pipes: they take
/// turns on the range at every blocking read.
#[test]
fn parent_and_child_alternate_over_pipes() {
    each_fixed(|bin| {
        let out = assert_same(bin, &["pingpong", "300"], &[]);
        assert!(text(&out).contains("ping: 300 rounds"), "{}", text(&out));
    });
}

/// The same with the buffers of every read and write in .bss, i.e. in the
/// range itself: each waits for its pipe to be ready with the range let
/// go, then takes it back for the I/O.
#[test]
fn reads_and_writes_into_the_image_take_turns_too() {
    each_fixed(|bin| {
        let out = assert_same(bin, &["pingpong-bss", "300"], &[]);
        assert!(text(&out).contains("ping: 300 rounds"), "{}", text(&out));
        let out = assert_same(bin, &["bssread"], &[]);
        assert_eq!(text(&out), "reader: 5 bytes\nwriter: child status 0\n");
    });
}

/// Three generations at 0x400000, each waiting for the next.
#[test]
fn three_generations_at_one_address() {
    each_fixed(|bin| {
        let out = assert_same(bin, &["gen", "3"], &[]);
        assert!(text(&out).contains("gen 3: generation-3, bss ok"), "{}", text(&out));
    });
}

/// The child waits on a futex inside its image (it keeps the range while
/// it waits: the host compares the word it sees) and only the parent, at
/// the same address, can end its wait (it kills it): both would have to
/// run at once. The parent is killed with one line naming both programs
/// and the address, and --report lists it.
#[test]
fn both_must_run_at_once_is_one_clear_error() {
    each_fixed(|bin| {
        let native = run_native(bin, &["conflict"], &[]);
        assert_eq!(text(&native), "killer: child status 137\n");
        let dir = TempDir::new("fixed-conflict");
        let report = dir.path().join("report.json");
        let report_arg = report.to_str().unwrap();
        let out = run_nommu_in(dir.path(), bin, &["conflict"], &["--report", report_arg]);
        let err = stderr_text(&out);
        let name = bin.to_str().unwrap();
        let line = err.lines().find(|l| l.contains("cannot run")).unwrap_or_else(|| panic!("no error line in {err}"));
        assert!(line.contains(&format!("pid 1 ({name})")) && line.contains(&format!("pid 2 ({name})")), "{line}");
        assert!(line.contains("0x400000.."), "{line}");
        assert_eq!(shell_status(&out), 128 + 9, "{err}");
        assert_eq!(text(&out), "", "the parent never ran again");
        let json = std::fs::read_to_string(&report).unwrap();
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        let call = format!("run at 0x400000 while {name} must run there too");
        let listed =
            report["nommu_incompatibilities"].as_array().unwrap().iter().any(|r| {
                r["pid"] == 1 && r["program"] == name && r["call"] == call.as_str() && r["strict"] == "SIGKILL"
            });
        assert!(listed, "{call} missing in {json}");
    });
}

/// The host's gcc, if it is installed (CI installs it): Debian's gcc, cc1,
/// as, collect2 and ld are all `ET_EXEC` at 0x400000.
fn host_gcc() -> Option<&'static str> {
    let gcc = "/usr/bin/gcc";
    if Path::new(gcc).exists() {
        Some(gcc)
    } else {
        eprintln!("skipped: /usr/bin/gcc is not installed");
        None
    }
}

fn nommu_in(dir: &Path, argv: &[&str]) -> Output {
    let mut cmd = Command::new(nommu());
    cmd.current_dir(dir).arg("run").args(argv);
    run_command(cmd)
}

fn native_output(dir: &Path, program: &str) -> String {
    let mut cmd = Command::new(dir.join(program));
    cmd.current_dir(dir);
    text(&run_command(cmd))
}

/// `gcc -O2 -o hello hello.c` inside the machine: gcc waits for cc1, as,
/// collect2 and ld in turn; the binary runs natively.
#[test]
fn gcc_compiles_hello_inside_the_machine() {
    let Some(gcc) = host_gcc() else { return };
    let dir = TempDir::new("fixed-gcc");
    std::fs::write(dir.path().join("hello.c"), "#include <stdio.h>\nint main(void) { puts(\"hello, gcc\"); }\n")
        .unwrap();
    let out = nommu_in(dir.path(), &[gcc, "-O2", "-o", "hello", "hello.c"]);
    assert_eq!(shell_status(&out), 0, "{}", stderr_text(&out));
    assert_eq!(native_output(dir.path(), "hello"), "hello, gcc\n");
}

/// make (PIE) running gcc on a two-file project.
#[test]
fn make_builds_a_two_file_project_with_gcc() {
    let Some(_) = host_gcc() else { return };
    let dir = TempDir::new("fixed-make");
    let d = dir.path();
    std::fs::write(d.join("util.h"), "int add(int a, int b);\n").unwrap();
    std::fs::write(d.join("util.c"), "#include \"util.h\"\nint add(int a, int b) { return a + b; }\n").unwrap();
    let main = "#include <stdio.h>\n#include \"util.h\"\nint main(void) { printf(\"%d\\n\", add(40, 2)); }\n";
    std::fs::write(d.join("main.c"), main).unwrap();
    let makefile = "prog: main.o util.o\n\tgcc -o prog main.o util.o\n%.o: %.c util.h\n\tgcc -O2 -c -o $@ $<\n";
    std::fs::write(d.join("Makefile"), makefile).unwrap();
    let out = nommu_in(d, &["/usr/bin/make"]);
    assert_eq!(shell_status(&out), 0, "{}", stderr_text(&out));
    assert!(text(&out).contains("gcc -o prog main.o util.o"), "{}", text(&out));
    assert_eq!(native_output(d, "prog"), "42\n");
}
