//! nommu's own command line (src/cli.rs): the help of the tool and of
//! each command, the version, every option in each of its forms, the
//! usage errors (exit status 2, `error: ...` on stderr), and what
//! `run --argv0` gives the program.

mod common;

use common::{guest, nommu, stderr_text, text, TempDir};
use std::process::{Command, Output};

fn nommu_with(args: &[&str]) -> Output {
    Command::new(nommu()).args(args).current_dir(common::repo()).output().expect("nommu starts")
}

/// What an option takes.
#[derive(Clone, Copy)]
enum Takes {
    Nothing,
    /// A value, as `--opt VALUE` or `--opt=VALUE`; here a sample one.
    Value(&'static str),
    /// A value only as `--opt=VALUE`.
    EqualsOnly(&'static str),
}

/// The options every command takes, as the help shows them, and what
/// each takes. `{dir}` is a test directory.
const OBSERVE: &[(&str, Takes)] = &[
    ("--trace[=<SYSCALLS>]", Takes::EqualsOnly("write,exit_group")),
    ("--trace-file <FILE>", Takes::Value("{dir}/trace")),
    ("--summary", Takes::Nothing),
    ("--timeline <FILE.json>", Takes::Value("{dir}/timeline.json")),
    ("--report <FILE.json>", Takes::Value("{dir}/report.json")),
    ("--memmap <FILE.svg>", Takes::Value("{dir}/memmap.svg")),
    ("--trap-only", Takes::Nothing),
    ("--null-guard", Takes::Nothing),
    ("--net <host|none>", Takes::Value("none")),
    ("--reserve <on|off|SIZE>", Takes::Value("16G")),
    ("--no-cache", Takes::Nothing),
    ("--strict", Takes::Nothing),
    ("--isolate", Takes::Nothing),
];

const RUN: &[(&str, Takes)] = &[
    ("--root <ROOT>", Takes::Value("/")),
    ("--mem <MEM>", Takes::Value("64M")),
    ("--argv0 <NAME>", Takes::Value("hello")),
];

const BOOT: &[(&str, Takes)] = &[
    ("--root <ROOT>", Takes::Value("rootfs")),
    ("--initrd <FILE>", Takes::Value("{dir}/initrd")),
    ("--mem <MEM>", Takes::Value("64M")),
    ("--init <INIT>", Takes::Value("/bin/true")),
];

const CAPS: &[(&str, Takes)] = &[("--machine", Takes::Nothing)];

fn options_of(command: &str) -> Vec<(&'static str, Takes)> {
    let own = match command {
        "run" => RUN,
        "boot" => BOOT,
        _ => CAPS,
    };
    own.iter().chain(OBSERVE).copied().collect()
}

/// `--mem <MEM>` → `--mem`.
fn name(shown: &str) -> &str {
    shown.split([' ', '[']).next().unwrap_or(shown)
}

/// The arguments that give `options` (`--isolate` only where PKU is in
/// force), each as `--opt VALUE` or, with `equals`, as `--opt=VALUE`.
fn given(options: &[(&str, Takes)], dir: &str, equals: bool) -> Vec<String> {
    let pku = common::caps(&[]).pku == "yes";
    let mut args = Vec::new();
    for &(shown, takes) in options {
        let opt = name(shown);
        if opt == "--isolate" && !pku {
            continue;
        }
        match takes {
            Takes::Nothing => args.push(opt.to_string()),
            Takes::Value(v) if !equals => args.extend([opt.to_string(), v.replace("{dir}", dir)]),
            Takes::Value(v) | Takes::EqualsOnly(v) => args.push(format!("{opt}={}", v.replace("{dir}", dir))),
        }
    }
    args
}

fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn the_tools_help_lists_its_commands_and_options() {
    for form in [&["--help"][..], &["-h"], &["help"], &["-v", "--help"]] {
        let out = nommu_with(form);
        assert!(out.status.success(), "{form:?}: {}", stderr_text(&out));
        assert!(out.stderr.is_empty(), "{form:?}: {}", stderr_text(&out));
        let help = text(&out);
        assert!(help.contains("Usage: nommu [OPTIONS] <COMMAND>"), "{form:?}: {help}");
        for line in ["  run ", "  boot ", "  caps ", "  help ", "-v, --verbose", "-h, --help", "-V, --version"] {
            assert!(help.contains(line), "{form:?}: no {line:?} in {help}");
        }
    }
    // Without a command: the help, as an error.
    let out = nommu_with(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr_text(&out).contains("Usage: nommu [OPTIONS] <COMMAND>"), "{}", stderr_text(&out));
}

#[test]
fn the_version() {
    let version = format!("nommu {}\n", env!("CARGO_PKG_VERSION"));
    for form in [&["--version"][..], &["-V"], &["-vV"]] {
        let out = nommu_with(form);
        assert!(out.status.success(), "{form:?}: {}", stderr_text(&out));
        assert_eq!(text(&out), version, "{form:?}");
    }
}

#[test]
fn each_commands_help_lists_every_option() {
    for command in ["run", "boot", "caps"] {
        for form in [[command, "--help"], [command, "-h"], ["help", command]] {
            let out = nommu_with(&form);
            assert!(out.status.success(), "{form:?}: {}", stderr_text(&out));
            let help = text(&out);
            assert!(help.contains(&format!("Usage: nommu {command} [OPTIONS]")), "{form:?}: {help}");
            assert!(help.contains("-h, --help"), "{form:?}: {help}");
            for (shown, _) in options_of(command) {
                assert!(help.contains(&format!("      {shown}\n")), "{form:?}: no {shown} in {help}");
            }
        }
    }
    // An option that wants a value, then -h: the value is missing.
    assert_usage_error(
        &["run", "--root", "-h", "x"],
        "error: a value is required for '--root <ROOT>' but none was supplied",
    );
}

/// `args` is refused as clap refused it: `expected` first on stderr,
/// nothing on stdout, exit status 2.
fn assert_usage_error(args: &[&str], expected: &str) {
    let out = nommu_with(args);
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out));
    assert!(err.starts_with(expected), "{args:?}: {err}");
    assert!(err.ends_with("For more information, try '--help'.\n"), "{args:?}: {err}");
}

#[test]
fn a_bad_option_or_command_is_a_usage_error() {
    let unexpected = "error: unexpected argument";
    assert_usage_error(&["--bogus"], &format!("{unexpected} '--bogus' found\n\nUsage: nommu [OPTIONS] <COMMAND>"));
    assert_usage_error(&["-x", "caps"], &format!("{unexpected} '-x' found"));
    assert_usage_error(&["caps", "--bogus"], &format!("{unexpected} '--bogus' found\n\nUsage: nommu caps [OPTIONS]"));
    assert_usage_error(&["caps", "-x"], &format!("{unexpected} '-x' found"));
    assert_usage_error(&["caps", "extra"], &format!("{unexpected} 'extra' found"));
    assert_usage_error(&["caps", "--version"], &format!("{unexpected} '--version' found"));
    assert_usage_error(&["caps", "-v"], &format!("{unexpected} '-v' found"));
    assert_usage_error(&["caps", "--", "--machine"], &format!("{unexpected} '--machine' found"));
    assert_usage_error(&["frob"], "error: unrecognized subcommand 'frob'");
    assert_usage_error(&["help", "frob"], "error: unrecognized subcommand 'frob'");
    assert_usage_error(&["-v"], "error: 'nommu' requires a subcommand but one was not provided");
    assert_usage_error(&["run"], "error: the following required arguments were not provided:\n  <PROGRAM [ARGS]>...");
    assert_usage_error(&["run", "--mem", "64M"], "error: the following required arguments were not provided");
    // A flag takes no value; no option is given twice.
    assert_usage_error(
        &["caps", "--machine=yes"],
        "error: unexpected value 'yes' for '--machine' found; no more were expected",
    );
    assert_usage_error(&["--verbose=1", "caps"], "error: unexpected value '1' for '--verbose' found");
    assert_usage_error(&["-v", "-v", "caps"], "error: the argument '--verbose' cannot be used multiple times");
    for command in ["run", "boot", "caps"] {
        for (shown, takes) in options_of(command) {
            let opt = name(shown);
            let twice = match takes {
                Takes::Nothing => vec![opt.to_string(), opt.to_string()],
                Takes::Value(_) | Takes::EqualsOnly(_) => vec![format!("{opt}=x"), format!("{opt}=y")],
            };
            let mut args = vec![command.to_string()];
            args.extend(twice);
            args.push("prog".into());
            if command == "caps" {
                args.pop();
            }
            let expected = format!("error: the argument '{shown}' cannot be used multiple times");
            // The first of two bad values is refused before the repetition.
            if !matches!(opt, "--mem" | "--net" | "--reserve") {
                assert_usage_error(&as_strs(&args), &expected);
            }
        }
    }
}

#[test]
fn a_missing_or_bad_value_is_a_usage_error() {
    for command in ["run", "boot", "caps"] {
        for (shown, takes) in options_of(command) {
            if !matches!(takes, Takes::Value(_)) {
                continue;
            }
            let expected = format!("error: a value is required for '{shown}' but none was supplied");
            assert_usage_error(&[command, name(shown)], &expected);
            // Another option is no value.
            assert_usage_error(&[command, name(shown), "--strict"], &expected);
        }
    }
    // A path is never empty.
    assert_usage_error(
        &["run", "--root=", "x"],
        "error: a value is required for '--root <ROOT>' but none was supplied",
    );
    assert_usage_error(&["caps", "--trace-file="], "error: a value is required for '--trace-file <FILE>'");
    let bad_mem =
        "error: invalid value '1k' for '--mem <MEM>': '1k' is not a memory size of at least 1M (like 64M or 1G)";
    assert_usage_error(&["run", "--mem", "1k", "x"], bad_mem);
    assert_usage_error(&["run", "--mem=1k", "x"], bad_mem);
    assert_usage_error(&["boot", "--mem", "1k"], bad_mem);
    assert_usage_error(
        &["caps", "--net", "foo"],
        "error: invalid value 'foo' for '--net <host|none>': 'foo' is not a network mode (host or none)",
    );
    assert_usage_error(
        &["caps", "--reserve=foo"],
        "error: invalid value 'foo' for '--reserve <on|off|SIZE>': 'foo' is not on, off or a size (like 16G)",
    );
    // Values are checked as they come: the first error is the one told.
    assert_usage_error(&["caps", "--net=foo", "--bogus"], "error: invalid value 'foo' for '--net <host|none>'");
    assert_usage_error(&["run", "--mem=1k"], bad_mem);
}

#[test]
fn caps_takes_every_option_in_each_form() {
    let dir = TempDir::new("cli-caps");
    let dir = dir.path().display().to_string();
    for equals in [false, true] {
        let args = given(&options_of("caps"), &dir, equals);
        let mut all = vec!["caps".to_string()];
        all.extend(args);
        let out = nommu_with(&as_strs(&all));
        assert!(out.status.success(), "{all:?}: {}", stderr_text(&out));
        assert!(text(&out).starts_with("page0="), "{all:?}: {}", text(&out));
    }
}

#[test]
fn run_takes_every_option_in_each_form() {
    let dir = TempDir::new("cli-run");
    let hello = guest("hello-musl");
    for equals in [false, true] {
        let dir = dir.path().join(if equals { "equals" } else { "spaced" });
        std::fs::create_dir_all(&dir).expect("a test directory");
        let mut all = vec!["run".to_string()];
        all.extend(given(&options_of("run"), &dir.display().to_string(), equals));
        all.extend([hello.display().to_string(), "a".into(), "b".into()]);
        let out = nommu_with(&as_strs(&all));
        // hello exits with its argc.
        assert_eq!(out.status.code(), Some(3), "{all:?}: {}", stderr_text(&out));
        for file in ["trace", "timeline.json", "report.json", "memmap.svg"] {
            assert!(dir.join(file).exists(), "{all:?}: no {file}");
        }
        let trace = std::fs::read_to_string(dir.join("trace")).unwrap_or_default();
        assert!(trace.contains("exit_group(3)"), "{all:?}: {trace}");
    }
}

#[test]
fn boot_takes_every_option_in_each_form() {
    let dir = TempDir::new("cli-boot");
    let dir = dir.path().display().to_string();
    // --initrd and --root name the root both: with --root, no --initrd.
    let options: Vec<_> = options_of("boot").into_iter().filter(|(shown, _)| !shown.starts_with("--initrd")).collect();
    for equals in [false, true] {
        let mut all = vec!["boot".to_string()];
        all.extend(given(&options, &dir, equals));
        let out = nommu_with(&as_strs(&all));
        assert!(out.status.success(), "{all:?}: {}", stderr_text(&out));
        assert!(text(&out).contains("Run /bin/true as init process"), "{all:?}: {}", text(&out));
    }
    // --initrd is taken: what refuses it is the boot, not the parser.
    let out = nommu_with(&["boot", "--initrd", "/nonexistent/initrd.cpio"]);
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("nommu: ") && err.contains("/nonexistent/initrd.cpio"), "{err}");
}

#[test]
fn the_words_after_the_program_or_the_options_are_the_guests() {
    let hello = guest("hello-musl");
    let hello = hello.to_str().expect("a UTF-8 path");
    // Everything after the program is its own, options included.
    let out = nommu_with(&["run", "--mem", "64M", hello, "--mem", "1k", "-v", "--help"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr_text(&out));
    // `--` ends nommu's options; --trace takes a value only with `=`.
    for args in [&["run", "--", hello, "a"][..], &["run", "--trace", "--trace-file=/dev/null", hello, "a"]] {
        let out = nommu_with(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_text(&out));
    }
    // An unknown option of `run` is the program's name, as it was.
    let out = nommu_with(&["run", "--bogus", "x"]);
    assert_eq!(out.status.code(), Some(127), "{}", stderr_text(&out));
    assert!(stderr_text(&out).starts_with("nommu: --bogus: "), "{}", stderr_text(&out));
    // Init's arguments and parameters, options among them.
    let out = nommu_with(&["boot", "--root", "rootfs", "--init=/bin/echo", "quiet", "one", "--mem", "1k", "-h"]);
    assert!(out.status.success(), "{}", stderr_text(&out));
    assert!(text(&out).contains("one --mem 1k -h\n"), "{}", text(&out));
}

#[test]
fn argv0_is_the_programs_argv0_as_after_exec_a() {
    // `nommu run --argv0 NAME PROGRAM` is execve(PROGRAM, [NAME, ...]):
    // busybox picks its applet from argv[0]; comm and /proc/self/exe stay
    // PROGRAM's. Natively: the same exec with that argv[0].
    use std::os::unix::process::CommandExt;
    let busybox = common::repo().join("rootfs/bin/busybox");
    let script = "echo \"[$0]\"; cat /proc/$$/comm; readlink /proc/$$/exe; tr '\\0' ' ' < /proc/$$/cmdline; echo";
    for name in ["sh", "/some/dir/sh", "hush"] {
        let native = Command::new(&busybox).arg0(name).args(["-c", script]).output().expect("busybox runs");
        assert!(native.status.success(), "{name}: {}", stderr_text(&native));
        // Spaced, with =, among other options before and after.
        for opts in [
            &["--argv0", name][..],
            &[&format!("--argv0={name}")],
            &["--mem", "64M", "--argv0", name],
            &["--argv0", name, "--net", "host"],
        ] {
            let out = Command::new(nommu()).arg("run").args(opts).arg(&busybox).args(["-c", script]).output();
            let out = out.expect("nommu runs");
            assert!(out.status.success(), "{opts:?}: {}", stderr_text(&out));
            assert_eq!(text(&out), text(&native), "{opts:?}");
        }
    }
    // Without it argv[0] is PROGRAM as given (here a link named sh).
    let dir = TempDir::new("cli-argv0");
    let link = dir.path().join("sh");
    std::os::unix::fs::symlink(&busybox, &link).expect("a link");
    let native = Command::new(&link).args(["-c", script]).output().expect("busybox runs");
    let out = Command::new(nommu()).arg("run").arg(&link).args(["-c", script]).output().expect("nommu runs");
    assert_eq!(text(&out), text(&native));
    assert!(text(&out).starts_with(&format!("[{}]\n", link.display())), "{}", text(&out));
}
