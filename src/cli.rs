//! nommu's command line, parsed by hand.
//!
//! Every `nommu run` starts here, so the parser is part of every guest
//! program's start-up cost: it allocates only the values it keeps, and
//! the help texts are static strings, written out only when asked for.
//! (A derive-built parser copied every help string into the start heap
//! and built its whole command tree first: about half of nommu's own
//! start.) What it accepts, and its errors (exit status 2), are those of
//! the clap definition it replaced: `tests/cli.rs` holds it to them.

use nommu::kernel::net::NetMode;
use nommu::Reserve;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

mod help;

pub struct Cli {
    /// `-v`: nommu's info lines into the kernel log and onto stderr.
    pub verbose: bool,
    pub command: Command,
}

/// A command and its options (each explained in `help`).
pub enum Command {
    Run {
        root: PathBuf,
        mem: u64,
        observe: Observe,
        /// `--argv0`: the program's argv[0], when not the program itself.
        argv0: Option<OsString>,
        command: Vec<OsString>,
    },
    Boot {
        root: Option<PathBuf>,
        initrd: Option<PathBuf>,
        mem: u64,
        init: Option<OsString>,
        observe: Observe,
        params: Vec<OsString>,
    },
    Caps {
        observe: Observe,
        machine: bool,
    },
}

/// What the machine shows about itself, and the profile it runs: the
/// options every subcommand takes (each explained in `help`).
#[derive(Clone, Default)]
pub struct Observe {
    pub trace: Option<String>,
    pub trace_file: Option<PathBuf>,
    pub summary: bool,
    pub timeline: Option<PathBuf>,
    pub report: Option<PathBuf>,
    pub memmap: Option<PathBuf>,
    pub trap_only: bool,
    pub null_guard: bool,
    pub net: NetMode,
    pub reserve: Reserve,
    pub no_cache: bool,
    pub strict: bool,
    pub isolate: bool,
}

pub const DEFAULT_MEM: &str = "256M";

pub fn parse_mem(s: &str) -> Result<u64, String> {
    match nommu::parse_size(s) {
        Some(n) if n >= 1 << 20 => Ok(n),
        _ => Err(format!("'{s}' is not a memory size of at least 1M (like 64M or 1G)")),
    }
}

fn parse_reserve(s: &str) -> Result<Reserve, String> {
    match s {
        "on" => Ok(Reserve::Auto),
        "off" => Ok(Reserve::Off),
        _ => parse_mem(s).map(Reserve::Size).map_err(|_| format!("'{s}' is not on, off or a size (like 16G)")),
    }
}

fn parse_net(s: &str) -> Result<NetMode, String> {
    NetMode::parse(s).ok_or_else(|| format!("'{s}' is not a network mode (host or none)"))
}

/// Why parsing ended without a command to carry out.
pub enum Exit {
    /// `--help`: the text goes to stdout, exit status 0.
    Help(&'static str),
    /// `--version`.
    Version,
    /// A usage error: `error: ...` on stderr, exit status 2.
    Error(String),
    /// `nommu` alone: the tool's help, on stderr, exit status 2.
    Nothing,
}

/// The parsed command line, or nommu's exit with the help, the version or
/// the usage error it asked for.
pub fn parse_or_exit() -> Cli {
    let exit = match parse(std::env::args_os().skip(1)) {
        Ok(cli) => return cli,
        Err(exit) => exit,
    };
    use std::io::Write;
    let (text, code) = match exit {
        Exit::Help(text) => (text.to_string(), 0),
        Exit::Version => (format!("nommu {}\n", env!("CARGO_PKG_VERSION")), 0),
        Exit::Error(text) => (text, 2),
        Exit::Nothing => (help::TOP.to_string(), 2),
    };
    // A reader that stops early (`| head`) is no failure of nommu's.
    let _ = if code == 0 {
        std::io::stdout().write_all(text.as_bytes())
    } else {
        std::io::stderr().write_all(text.as_bytes())
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

#[derive(Clone, Copy, PartialEq)]
enum Sub {
    Top,
    Run,
    Boot,
    Caps,
}

impl Sub {
    fn usage(self) -> &'static str {
        match self {
            Sub::Top => "nommu [OPTIONS] <COMMAND>",
            Sub::Run => "nommu run [OPTIONS] <PROGRAM [ARGS]>...",
            Sub::Boot => "nommu boot [OPTIONS] [PARAMS]...",
            Sub::Caps => "nommu caps [OPTIONS]",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Sub::Top => help::TOP,
            Sub::Run => help::RUN,
            Sub::Boot => help::BOOT,
            Sub::Caps => help::CAPS,
        }
    }

    /// Its options.
    fn options(self) -> [&'static [Opt]; 2] {
        match self {
            Sub::Top => [&[], &[]],
            Sub::Run => [RUN, OBSERVE],
            Sub::Boot => [BOOT, OBSERVE],
            Sub::Caps => [OBSERVE, CAPS],
        }
    }

    /// `run` and `boot` end in a list of words that may start with `-`
    /// (the program's arguments, init's): an unknown option there is
    /// the list's first word, and so is an unknown short option after
    /// an option that wants a value, its value. `caps` takes no words.
    fn hyphen_words(self) -> bool {
        matches!(self, Sub::Run | Sub::Boot)
    }
}

fn error(text: &str) -> Exit {
    Exit::Error(format!("error: {text}\n\nFor more information, try '--help'.\n"))
}

fn error_with_usage(sub: Sub, text: &str) -> Exit {
    Exit::Error(format!("error: {text}\n\nUsage: {}\n\nFor more information, try '--help'.\n", sub.usage()))
}

fn unexpected(sub: Sub, arg: &[u8]) -> Exit {
    error_with_usage(sub, &format!("unexpected argument '{}' found", String::from_utf8_lossy(arg)))
}

#[derive(Clone, Copy, PartialEq)]
enum Takes {
    Nothing,
    Value,
    /// Only as `--opt=VALUE`; `--opt` alone means this.
    EqualsOr(&'static str),
}

/// A long option: its name without `--`, what it takes, and how an error
/// names it.
struct Opt {
    name: &'static str,
    takes: Takes,
    shown: &'static str,
}

const fn flag(name: &'static str, shown: &'static str) -> Opt {
    Opt { name, takes: Takes::Nothing, shown }
}

const fn valued(name: &'static str, shown: &'static str) -> Opt {
    Opt { name, takes: Takes::Value, shown }
}

const OBSERVE: &[Opt] = &[
    Opt { name: "trace", takes: Takes::EqualsOr("all"), shown: "--trace[=<SYSCALLS>]" },
    valued("trace-file", "--trace-file <FILE>"),
    flag("summary", "--summary"),
    valued("timeline", "--timeline <FILE.json>"),
    valued("report", "--report <FILE.json>"),
    valued("memmap", "--memmap <FILE.svg>"),
    flag("trap-only", "--trap-only"),
    flag("null-guard", "--null-guard"),
    valued("net", "--net <host|none>"),
    valued("reserve", "--reserve <on|off|SIZE>"),
    flag("no-cache", "--no-cache"),
    flag("strict", "--strict"),
    flag("isolate", "--isolate"),
];
const RUN: &[Opt] = &[valued("root", "--root <ROOT>"), valued("mem", "--mem <MEM>"), valued("argv0", "--argv0 <NAME>")];
const BOOT: &[Opt] = &[
    valued("root", "--root <ROOT>"),
    valued("initrd", "--initrd <FILE>"),
    valued("mem", "--mem <MEM>"),
    valued("init", "--init <INIT>"),
];
const CAPS: &[Opt] = &[flag("machine", "--machine")];

/// Parses nommu's arguments (without its own name).
pub fn parse(args: impl Iterator<Item = OsString>) -> Result<Cli, Exit> {
    let mut args = args.peekable();
    if args.peek().is_none() {
        return Err(Exit::Nothing);
    }
    let mut verbose = false;
    let mut set_verbose = || {
        if std::mem::replace(&mut verbose, true) {
            return Err(error_with_usage(Sub::Top, "the argument '--verbose' cannot be used multiple times"));
        }
        Ok(())
    };
    let sub = loop {
        let Some(arg) = args.next() else {
            if !verbose {
                return Err(Exit::Nothing);
            }
            return Err(error_with_usage(
                Sub::Top,
                "'nommu' requires a subcommand but one was not provided\n  [subcommands: run, boot, caps, help]",
            ));
        };
        let bytes = arg.as_bytes();
        if bytes == b"--" {
            // Only words may follow, and nommu takes none before its
            // command.
            match args.next() {
                Some(word) if SUBCOMMANDS.contains(&word.as_bytes()) => {
                    return Err(unexpected(Sub::Top, word.as_bytes()))
                }
                Some(word) => return Err(unrecognized(word.as_bytes())),
                None => continue,
            }
        } else if let Some(long) = bytes.strip_prefix(b"--") {
            let (name, value) = split_value(long);
            let shown = match name {
                b"verbose" => "--verbose",
                b"help" => "--help",
                b"version" => "--version",
                _ => return Err(unexpected(Sub::Top, bytes)),
            };
            if let Some(value) = value {
                return Err(unexpected_value(Sub::Top, value, shown));
            }
            match name {
                b"help" => return Err(Exit::Help(help::TOP)),
                b"version" => return Err(Exit::Version),
                _ => set_verbose()?,
            }
        } else if let Some(shorts) = bytes.strip_prefix(b"-").filter(|s| !s.is_empty() && !s.starts_with(b"-")) {
            // Clustered as `-vh`: each letter in turn.
            for &c in shorts {
                match c {
                    b'v' => set_verbose()?,
                    b'h' => return Err(Exit::Help(help::TOP)),
                    b'V' => return Err(Exit::Version),
                    _ => return Err(unexpected(Sub::Top, &[b'-', c])),
                }
            }
        } else {
            match bytes {
                b"run" => break Sub::Run,
                b"boot" => break Sub::Boot,
                b"caps" => break Sub::Caps,
                b"help" => return Err(help_command(args)),
                _ => return Err(unrecognized(bytes)),
            }
        }
    };
    let (given, words) = parse_sub(sub, args)?;
    let command = build(sub, given, words)?;
    Ok(Cli { verbose, command })
}

const SUBCOMMANDS: [&[u8]; 4] = [b"run", b"boot", b"caps", b"help"];

fn unrecognized(name: &[u8]) -> Exit {
    error_with_usage(Sub::Top, &format!("unrecognized subcommand '{}'", String::from_utf8_lossy(name)))
}

/// `nommu help [COMMAND]`.
fn help_command(mut args: impl Iterator<Item = OsString>) -> Exit {
    let Some(name) = args.next() else { return Exit::Help(help::TOP) };
    let sub = match name.as_bytes() {
        b"run" => Sub::Run,
        b"boot" => Sub::Boot,
        b"caps" => Sub::Caps,
        b"help" => return Exit::Help(help::HELP),
        other => return unrecognized(other),
    };
    match args.next() {
        None => Exit::Help(sub.help()),
        Some(more) => error_with_usage(sub, &format!("unrecognized subcommand '{}'", more.to_string_lossy())),
    }
}

/// `name=value` into its two halves.
fn split_value(long: &[u8]) -> (&[u8], Option<&[u8]>) {
    match long.iter().position(|&b| b == b'=') {
        Some(i) => (&long[..i], Some(&long[i + 1..])),
        None => (long, None),
    }
}

fn unexpected_value(sub: Sub, value: &[u8], shown: &str) -> Exit {
    let text =
        format!("unexpected value '{}' for '{shown}' found; no more were expected", String::from_utf8_lossy(value));
    error_with_usage(sub, &text)
}

fn missing_value(opt: &Opt) -> Exit {
    error(&format!("a value is required for '{}' but none was supplied", opt.shown))
}

/// The options given to a subcommand so far, each once, their values
/// checked as they come (the first bad one is the error, as with clap).
#[derive(Default)]
struct Given {
    seen: Vec<&'static Opt>,
    observe: Observe,
    root: Option<PathBuf>,
    initrd: Option<PathBuf>,
    mem: Option<u64>,
    init: Option<OsString>,
    argv0: Option<OsString>,
    machine: bool,
}

impl Given {
    /// One option, with its value (`None` for a flag).
    fn take(&mut self, sub: Sub, opt: &'static Opt, value: Option<OsString>) -> Result<(), Exit> {
        if self.seen.iter().any(|o| std::ptr::eq(*o, opt)) {
            return Err(error_with_usage(sub, &format!("the argument '{}' cannot be used multiple times", opt.shown)));
        }
        self.seen.push(opt);
        let value = value.unwrap_or_default();
        let observe = &mut self.observe;
        match opt.name {
            "trace" => observe.trace = Some(text(opt, &value)?.to_string()),
            "trace-file" => observe.trace_file = Some(path(opt, value)?),
            "summary" => observe.summary = true,
            "timeline" => observe.timeline = Some(path(opt, value)?),
            "report" => observe.report = Some(path(opt, value)?),
            "memmap" => observe.memmap = Some(path(opt, value)?),
            "trap-only" => observe.trap_only = true,
            "null-guard" => observe.null_guard = true,
            "net" => observe.net = parsed(opt, &value, parse_net)?,
            "reserve" => observe.reserve = parsed(opt, &value, parse_reserve)?,
            "no-cache" => observe.no_cache = true,
            "strict" => observe.strict = true,
            "isolate" => observe.isolate = true,
            "root" => self.root = Some(path(opt, value)?),
            "initrd" => self.initrd = Some(path(opt, value)?),
            "mem" => self.mem = Some(parsed(opt, &value, parse_mem)?),
            "init" => self.init = Some(value),
            "argv0" => self.argv0 = Some(value),
            "machine" => self.machine = true,
            other => unreachable!("option --{other} has no field"),
        }
        Ok(())
    }
}

fn parse_sub(sub: Sub, mut args: impl Iterator<Item = OsString>) -> Result<(Given, Vec<OsString>), Exit> {
    let lookup = |name: &[u8]| sub.options().into_iter().flatten().find(|o| o.name.as_bytes() == name);
    let mut given = Given::default();
    let mut record = |opt: &'static Opt, value: Option<OsString>| given.take(sub, opt, value);
    // An option still waiting for its value (the next argument).
    let mut pending: Option<&'static Opt> = None;
    let mut words = Vec::new();
    while let Some(arg) = args.next() {
        let bytes = arg.as_bytes();
        if bytes == b"--" {
            if let Some(opt) = pending {
                return Err(missing_value(opt));
            }
            // Everything after `--` is words.
            if let Some(first) = args.next() {
                if !sub.hyphen_words() {
                    return Err(unexpected(sub, first.as_bytes()));
                }
                words.push(first);
                words.extend(args);
            }
            break;
        } else if let Some(long) = bytes.strip_prefix(b"--") {
            let (name, value) = split_value(long);
            match (name, lookup(name)) {
                (b"help", _) => {
                    if let Some(opt) = pending {
                        return Err(missing_value(opt));
                    }
                    if let Some(value) = value {
                        return Err(unexpected_value(sub, value, "--help"));
                    }
                    return Err(Exit::Help(sub.help()));
                }
                (_, Some(opt)) => {
                    if let Some(opt) = pending.take() {
                        return Err(missing_value(opt));
                    }
                    match (opt.takes, value) {
                        (Takes::Nothing, Some(value)) => return Err(unexpected_value(sub, value, opt.shown)),
                        (Takes::Nothing, None) => record(opt, None)?,
                        (Takes::Value, None) => pending = Some(opt),
                        (Takes::EqualsOr(alone), None) => record(opt, Some(OsString::from(alone)))?,
                        (_, Some(value)) => record(opt, Some(std::ffi::OsStr::from_bytes(value).to_os_string()))?,
                    }
                    continue;
                }
                // An unknown option: a value or word, where those may
                // start with `-`.
                (_, None) if sub.hyphen_words() => {}
                (_, None) => return Err(unexpected(sub, bytes)),
            }
        } else if let Some(shorts) = bytes.strip_prefix(b"-").filter(|s| !s.is_empty()) {
            // The only short option of a subcommand is -h. Where words
            // may start with `-`, anything else makes this one a word (or
            // a value); elsewhere its letters are taken in turn.
            let unknown = shorts.iter().find(|&&c| c != b'h');
            if unknown.is_none() || !sub.hyphen_words() {
                match (shorts[0], pending) {
                    (b'h', Some(opt)) => return Err(missing_value(opt)),
                    (b'h', None) => return Err(Exit::Help(sub.help())),
                    (c, _) => return Err(unexpected(sub, &[b'-', c])),
                }
            }
        }
        // A value, or a word.
        if let Some(opt) = pending.take() {
            record(opt, Some(arg))?;
        } else if sub.hyphen_words() {
            // The first word starts the list: the rest are its too.
            words.push(arg);
            words.extend(args);
            break;
        } else {
            return Err(unexpected(sub, arg.as_bytes()));
        }
    }
    if let Some(opt) = pending {
        return Err(missing_value(opt));
    }
    Ok((given, words))
}

/// A value as UTF-8 text.
fn text<'a>(opt: &Opt, value: &'a OsString) -> Result<&'a str, Exit> {
    value.to_str().ok_or_else(|| error(&format!("invalid UTF-8 was detected in the value of '{}'", opt.shown)))
}

/// A value through its parser.
fn parsed<T>(opt: &Opt, value: &OsString, parser: fn(&str) -> Result<T, String>) -> Result<T, Exit> {
    let s = text(opt, value)?;
    parser(s).map_err(|e| error(&format!("invalid value '{s}' for '{}': {e}", opt.shown)))
}

/// A path: never empty.
fn path(opt: &Opt, value: OsString) -> Result<PathBuf, Exit> {
    if value.is_empty() {
        return Err(missing_value(opt));
    }
    Ok(PathBuf::from(value))
}

fn build(sub: Sub, given: Given, words: Vec<OsString>) -> Result<Command, Exit> {
    let default_mem = || parse_mem(DEFAULT_MEM).unwrap_or(256 << 20);
    let Given { seen, observe, root, initrd, mem, init, argv0, machine } = given;
    Ok(match sub {
        Sub::Run if words.is_empty() => {
            // Its usage shows the options given, as clap's did.
            let options: String = seen.iter().map(|opt| format!("{} ", opt.shown)).collect();
            return Err(Exit::Error(format!(
                "error: the following required arguments were not provided:\n  <PROGRAM [ARGS]>...\n\n\
                 Usage: nommu run {options}<PROGRAM [ARGS]>...\n\nFor more information, try '--help'.\n"
            )));
        }
        Sub::Run => {
            let root = root.unwrap_or_else(|| PathBuf::from("/"));
            Command::Run { root, mem: mem.unwrap_or_else(default_mem), observe, argv0, command: words }
        }
        Sub::Boot => Command::Boot { root, initrd, mem: mem.unwrap_or_else(default_mem), init, observe, params: words },
        Sub::Caps | Sub::Top => Command::Caps { observe, machine },
    })
}
