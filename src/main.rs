//! The `nommu` command line.

// The command line computes with sizes it parsed itself (checked there).
#![allow(clippy::arithmetic_side_effects)]

mod cli;
mod logger;

use cli::{Command, Observe};
use nommu::kernel::exec::ProgramSpec;
use nommu::kernel::klog::{self, Klog};
use nommu::kernel::machine::MachineError;
use nommu::{ExitStatus, Machine, MachineConfig, Reserve};
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::sync::Arc;

/// Until pid 1 runs, nommu's allocations come from one static area.
#[global_allocator]
static ALLOCATOR: nommu::mm::startheap::StartHeap = nommu::mm::startheap::StartHeap;

/// Runs before `main` (and so before std's runtime start): nommu's fault
/// handlers first, so std installs no stack-overflow handler and
/// alternate stack that nommu's would replace (`install_handlers`). A
/// failure is reported when a machine starts (the same call again).
#[used]
#[link_section = ".init_array"]
static EARLY_HANDLERS: extern "C" fn() = early_handlers;

extern "C" fn early_handlers() {
    let _ = nommu::arch::hostsig::install_handlers();
}

fn env_flag(name: &str) -> bool {
    nommu::arch::switches::var_os(name).is_some_and(|v| v == "1")
}

impl Observe {
    fn config(&self, mem_size: u64, root: PathBuf, protect_init: bool) -> MachineConfig {
        MachineConfig {
            mem_size,
            reserve: if self.strict { Reserve::Off } else { self.reserve },
            root,
            memory_root: None,
            protect_init,
            trap_only: self.trap_only || env_flag("NOMMU_TRAP_ONLY"),
            null_guard: self.null_guard || env_flag("NOMMU_NULL_GUARD"),
            handlers_only: false,
            net: self.net,
            exec_map: nommu::arch::switches::var_os("NOMMU_EXEC_MAP").is_none_or(|v| v != "0"),
            image_cache: if self.no_cache || env_flag("NOMMU_NO_CACHE") {
                None
            } else {
                nommu::loader::diskcache::DiskCacheConfig::from_env()
            },
            klog: None,
            strict: self.strict,
            isolate: self.isolate,
            fast_rw: nommu::arch::switches::var_os("NOMMU_FAST_RW").is_none_or(|v| v != "0"),
        }
    }
}

impl Observe {
    fn install(&self, m: &Machine) -> Result<(), String> {
        if let Some(p) = &self.memmap {
            m.diagnostics().enable_memmap(p.clone());
        }
        if self.trace.is_none() && !self.summary && self.report.is_none() && self.timeline.is_none() {
            return Ok(());
        }
        let spec = match &self.trace {
            Some(s) => Some(nommu::syscall::trace::TraceSpec::parse(s)?.into_wanted()),
            None => None,
        };
        let out: Box<dyn std::io::Write + Send> = match &self.trace_file {
            Some(p) => Box::new(std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?),
            None => Box::new(std::io::stderr()),
        };
        let mut tracer =
            nommu::kernel::trace::Tracer::new(spec, out, self.summary || self.report.is_some(), self.summary);
        if let Some(p) = &self.timeline {
            let file = std::fs::File::create(p).and_then(|f| nommu::kernel::timeline::Timeline::new(Box::new(f)));
            tracer = tracer.with_timeline(file.map_err(|e| format!("{}: {e}", p.display()))?);
        }
        m.diagnostics().set_tracer(tracer);
        Ok(())
    }

    fn finish(&self, m: &Machine, status: Option<ExitStatus>, started: std::time::Instant) {
        if let Some(t) = m.tracer() {
            t.finish(m);
        }
        if let Some(p) = &self.memmap {
            let snap = m.diagnostics().busiest_memmap();
            let snap = snap.unwrap_or_else(|| nommu::kernel::memmap::snapshot(m));
            if let Err(e) = std::fs::write(p, nommu::kernel::memmap::svg(&snap)) {
                eprintln!("nommu: {}: {e}", p.display());
            }
        }
        if let Some(p) = &self.report {
            let json = nommu::kernel::report::json(m, status, started.elapsed());
            if let Err(e) = std::fs::write(p, json) {
                eprintln!("nommu: {}: {e}", p.display());
            }
        }
        if !self.summary {
            return;
        }
        let Some(t) = m.tracer() else { return };
        let Some(table) = t.summary_table() else { return };
        let text = format!("{table}{}", m.memory_summary());
        match &self.trace_file {
            Some(p) => {
                use std::io::Write;
                if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(p) {
                    let _ = f.write_all(text.as_bytes());
                }
            }
            None => eprint!("{text}"),
        }
    }
}

fn main() {
    let cli = cli::parse_or_exit();
    // The kernel log, from the start: on `boot` the terminal is the
    // machine's console. On `run` the guest's stderr is the guest's: by
    // default only nommu's own failures reach it; what the kernel notices
    // (ENOSYS, refusals) needs -v or RUST_LOG.
    let booting = matches!(cli.command, Command::Boot { .. });
    let console = if booting { klog::Console::Boot } else { klog::Console::Run };
    let kernel_log = Arc::new(Klog::new(console, cli.verbose));
    logger::init(kernel_log.clone(), cli.verbose);
    // Before any thread exists: every thread inherits the mask.
    nommu::kernel::hostsignals::block_routed();
    // Before any thread exists too: a private mount namespace, where the
    // machine's tmpfs mounts can be real host ones (when nommu may mount
    // and NOMMU_NO_HOST_MOUNTS does not forbid it); `run` takes it when
    // first needed (a mount, nommu's first host thread); `caps` only asks.
    match cli.command {
        Command::Run { .. } => nommu::arch::hostmount::take_private_namespace(true),
        Command::Boot { .. } => nommu::arch::hostmount::take_private_namespace(false),
        Command::Caps { .. } => {
            nommu::arch::hostmount::detect();
        }
    }
    let terminal = nommu::arch::host::save_terminal();
    // `run` prints nothing on stdout (the guest's); the others may.
    let prints = !matches!(cli.command, Command::Run { .. });
    let code = match cli.command {
        Command::Run { root, mem, observe, argv0, mut command } => {
            let program = command.remove(0);
            let argv0 = argv0.unwrap_or_else(|| program.clone());
            command.insert(0, argv0);
            run(root, mem, observe, program, command, kernel_log)
        }
        Command::Boot { root, initrd, mem, init, observe, params } => {
            boot(BootArgs { root, initrd, mem, init, rdinit: None }, observe, params, kernel_log)
        }
        Command::Caps { observe, machine } => caps(observe, machine),
    };
    // Whatever the guest did to the terminal, the user gets it back.
    if let Some(t) = terminal {
        nommu::arch::host::restore_terminal(&t);
    }
    // What nommu printed itself (`caps`, the boot banner) goes out; then
    // the process ends at once. std's exit would also free the stdout
    // buffer and the main thread's signal stack (3 host calls): the
    // kernel takes them with the process, as it does the machine
    // (`power_off`).
    // (Asking for stdout makes its 1 KiB buffer: not when nothing was
    // printed.)
    if prints {
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
    nommu::arch::host::exit_now(code)
}

/// The machine is over and nommu exits next: its memory, mappings and
/// tables go with the process, as a powered-off computer does not free
/// its RAM. Tearing them down one by one (unmapping the arena, the site
/// map, each image) cost more than the whole guest run of a small
/// program. What must be undone on the host (the machine's tmpfs mounts
/// and their directories) was undone when it stopped
/// (`Machine::wait_for_shutdown`).
fn power_off(machine: std::sync::Arc<Machine>) {
    std::mem::forget(machine);
}

fn host_env() -> Vec<Vec<u8>> {
    nommu::arch::host::environment()
}

fn exec_failure(e: MachineError) -> i32 {
    eprintln!("nommu: {e}");
    match e {
        MachineError::Exec(e) => e.shell_code(),
        MachineError::NoIsolation(_) => 2,
        _ => 1,
    }
}

/// A machine with its observers installed, or the exit code to leave with.
fn new_machine(config: MachineConfig, observe: &Observe) -> Result<std::sync::Arc<Machine>, i32> {
    let machine = nommu::runloop::new_machine(config).map_err(exec_failure)?;
    observe.install(&machine).map_err(|e| {
        eprintln!("nommu: {e}");
        2
    })?;
    // nommu exits when the machine stops (`power_off`).
    machine.set_powers_off_host();
    Ok(machine)
}

/// Runs `program` with `argv` (argv[0] included) as pid 1.
fn run(root: PathBuf, mem: u64, observe: Observe, program: OsString, argv: Vec<OsString>, klog: Arc<Klog>) -> i32 {
    let mut config = observe.config(mem, root, false);
    config.klog = Some(klog);
    let machine = match new_machine(config, &observe) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let argv: Vec<Vec<u8>> = argv.into_iter().map(OsString::into_vec).collect();
    let guest_path = search_path(machine.root_path(), program.as_bytes());
    let spec = ProgramSpec::new(guest_path, argv.iter().collect(), host_env().iter().collect());
    let started = std::time::Instant::now();
    let (code, status) = match machine.run_program(spec) {
        Ok(status) => (status.shell_code(), Some(status)),
        Err(e) => (exec_failure(e), None),
    };
    observe.finish(&machine, status, started);
    power_off(machine);
    code
}

/// A program named without a `/` is looked up in `$PATH` inside the root,
/// as a shell would (`nommu run ls`); failing that, it is a file in the
/// current directory.
fn search_path(root: &std::path::Path, program: &[u8]) -> Vec<u8> {
    use std::os::unix::fs::PermissionsExt;
    if program.contains(&b'/') || program.is_empty() {
        return program.to_vec();
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"));
    for dir in path.as_bytes().split(|&b| b == b':').filter(|d| d.starts_with(b"/")) {
        let guest = [dir, b"/", program].concat();
        let host = root.join(std::ffi::OsStr::from_bytes(&guest[1..]));
        // Only a quick look: exec resolves the path inside the root itself.
        if std::fs::metadata(&host).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0) {
            return guest;
        }
    }
    program.to_vec()
}

/// `nommu caps`: what a machine started here with these options would
/// have in force.
fn caps(observe: Observe, machine_readable: bool) -> i32 {
    let config = observe.config(16 << 20, PathBuf::from("/"), false);
    let machine = match nommu::runloop::new_machine(config.clone()) {
        Ok(m) => m,
        Err(e) => return exec_failure(e),
    };
    let c = machine.caps();
    let cache = config.image_cache.as_ref().map_or("none".into(), |c| c.dir.display().to_string());
    let text = if machine_readable {
        [
            format!("page0={}", c.page0.name()),
            format!("trampoline={}", c.trampoline()),
            format!("pku={}", c.pku.name()),
            format!("fsgsbase={}", c.fsgsbase.name()),
            format!("membarrier={}", c.membarrier.name()),
            format!("trap={}", c.trap.map_or("none", |t| t.name())),
            format!("host_mounts={}", c.host_mounts().name()),
            format!("tmpfs_dir={}", c.memory_dir.get().path.display()),
            format!("tmpfs_in_memory={}", c.tmpfs_in_memory()),
            format!("image_cache={cache}"),
        ]
        .join("\n")
    } else {
        let mut lines: Vec<String> = c.lines().into_iter().map(|(key, value)| format!("{key}: {value}")).collect();
        lines.push(format!("image cache: {cache}"));
        lines.join("\n")
    };
    // A reader that stops early (`| head`) is no failure of nommu's.
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => 1,
        _ => 0,
    }
}

/// What chooses the root and init, from options and from parameters.
struct BootArgs {
    root: Option<PathBuf>,
    initrd: Option<PathBuf>,
    mem: u64,
    init: Option<OsString>,
    rdinit: Option<OsString>,
}

/// The root file system a boot runs on: a host directory, or an initramfs
/// unpacked into the machine's memory file system (gone when this is
/// dropped).
enum BootRoot {
    Dir(PathBuf),
    Initramfs { file: PathBuf, root: nommu::fs::ramfs::RamTree, summary: nommu::initrd::Summary },
}

impl BootRoot {
    fn path(&self) -> PathBuf {
        match self {
            BootRoot::Dir(p) => p.clone(),
            BootRoot::Initramfs { root, .. } => root.path().to_path_buf(),
        }
    }

    /// The init to run when none is named: Linux runs rdinit (default
    /// /init) from an initramfs.
    fn default_init(&self) -> Vec<u8> {
        match self {
            BootRoot::Initramfs { .. } => b"/init".to_vec(),
            BootRoot::Dir(root) if root.join("sbin/init").exists() => b"/sbin/init".to_vec(),
            BootRoot::Dir(_) => b"/bin/sh".to_vec(),
        }
    }

    fn describe(&self, machine_root: &std::path::Path) -> String {
        match self {
            BootRoot::Dir(_) => format!("{} (hostfs)", machine_root.display()),
            BootRoot::Initramfs { file, root, summary } => {
                let c = &summary.counts;
                let gz = if summary.layers.gzip_members > 0 { ", gzip" } else { "" };
                let rootfs = root.rootfs();
                let place = if rootfs.real {
                    format!("a host tmpfs of its own, size={}k nr_inodes={}", rootfs.size >> 10, rootfs.nr_inodes)
                } else if root.in_memory() {
                    "a directory in a host tmpfs: memory, size not enforced".to_string()
                } else {
                    "a host directory ON DISK, not memory: no writable host tmpfs".to_string()
                };
                let owners = if root.owners_kept() { "" } else { "; owners not kept (not host root)" };
                let skipped = if c.skipped > 0 { format!(", {} skipped (see -v)", c.skipped) } else { String::new() };
                format!(
                    "initramfs {} ({} bytes{gz}, {} entries{skipped}) unpacked into rootfs at {} ({place}; removed at the end{owners})",
                    file.display(),
                    summary.file_bytes,
                    c.entries,
                    machine_root.display()
                )
            }
        }
    }
}

/// A boot message: into the kernel log, and onto the console (stdout, as
/// the boot log always went) when the console level lets it through.
fn say(klog: &Klog, line: String) {
    if klog.printk(klog::KERN_INFO, &line) {
        println!("{line}");
    }
}

/// Linux's boot parameters for the console level: `quiet` (4), `debug`
/// (10) and `loglevel=N`. Whether `param` was one (the kernel takes them:
/// init does not see them).
fn console_param(klog: &Klog, param: &[u8]) -> bool {
    let level = match param {
        b"quiet" => klog::CONSOLE_LOGLEVEL_QUIET,
        b"debug" => klog::CONSOLE_LOGLEVEL_DEBUG,
        _ => match param.strip_prefix(b"loglevel=") {
            Some(n) => match std::str::from_utf8(n).ok().and_then(|n| n.parse::<i32>().ok()) {
                Some(n) => n,
                None => {
                    // As Linux: said, and the level stays.
                    let line = "Malformed early option 'loglevel'";
                    if klog.printk(klog::KERN_WARNING, line) {
                        eprintln!("nommu: {line}");
                    }
                    return true;
                }
            },
            None => return false,
        },
    };
    klog.set_console_loglevel(level);
    true
}

fn boot(mut args: BootArgs, mut observe: Observe, params: Vec<OsString>, klog: Arc<Klog>) -> i32 {
    let mut init_args = Vec::new();
    let mut init_env = vec![b"HOME=/".to_vec()];
    if let Some(term) = std::env::var_os("TERM") {
        init_env.push([b"TERM=".as_slice(), term.as_bytes()].concat());
    }
    for p in params {
        let bytes = p.as_bytes();
        if console_param(&klog, bytes) {
            continue;
        }
        // Dotted parameters are the kernel's (module parameters): init
        // does not see them.
        match bytes {
            b"nommu.strict" => {
                observe.strict = true;
                continue;
            }
            b"nommu.isolate" => {
                observe.isolate = true;
                continue;
            }
            _ => {}
        }
        match bytes.iter().position(|&b| b == b'=') {
            Some(i) => {
                let (key, value) = (&bytes[..i], &bytes[i + 1..]);
                let text = String::from_utf8_lossy(value).into_owned();
                let os = || OsString::from_vec(value.to_vec());
                match key {
                    b"mem" => match cli::parse_mem(&text) {
                        Ok(m) => args.mem = m,
                        Err(e) => {
                            eprintln!("nommu: {e}");
                            return 2;
                        }
                    },
                    b"root" => args.root = Some(PathBuf::from(os())),
                    b"initrd" => args.initrd = Some(PathBuf::from(os())),
                    b"init" => args.init = Some(os()),
                    b"rdinit" => args.rdinit = Some(os()),
                    _ => init_env.push(bytes.to_vec()),
                }
            }
            None => init_args.push(bytes.to_vec()),
        }
    }
    if args.root.is_some() && args.initrd.is_some() {
        eprintln!("nommu: --initrd (initrd=) and --root (root=) both name the root file system: give one");
        return 2;
    }
    // Linux's first boot message (KERN_NOTICE), as dmesg shows it first.
    let version = nommu::kernel::procfs::version_line();
    if klog.printk(klog::KERN_NOTICE, version.trim_end()) {
        print!("{version}");
    }
    say(&klog, format!("nommu {}: a no-MMU Linux machine in user space (x86-64, zpoline)", env!("CARGO_PKG_VERSION")));
    let boot_root = match (args.root, args.initrd) {
        (root, None) => BootRoot::Dir(root.unwrap_or_else(|| PathBuf::from("rootfs"))),
        (_, Some(file)) => match nommu::fs::ramfs::RamTree::from_initrd(&file, args.mem) {
            Ok((root, summary)) => BootRoot::Initramfs { file, root, summary },
            Err(e) => {
                eprintln!("nommu: {e}");
                return 1;
            }
        },
    };
    // From an initramfs Linux runs rdinit= (default /init); init= names the
    // program on the real root mounted after it. nommu has no root after
    // the initramfs, so init= names the initramfs's program too.
    let init = args.rdinit.or(args.init).map(OsString::into_vec).unwrap_or_else(|| boot_root.default_init());
    if let BootRoot::Initramfs { file, root, .. } = &boot_root {
        if !root.contains(&init) {
            eprintln!(
                "nommu: initrd {}: no {} in the archive to run as init (name another with init=/PATH)",
                file.display(),
                String::from_utf8_lossy(&init)
            );
            return 1;
        }
    }
    let mut config = observe.config(args.mem, boot_root.path(), true);
    config.klog = Some(klog.clone());
    if let BootRoot::Initramfs { root, .. } = &boot_root {
        config.memory_root = Some(root.rootfs());
    }
    let machine = match new_machine(config, &observe) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let (base, size) = machine.arena_range();
    say(
        &klog,
        format!(
            "Memory: {} MiB in a {} MiB arena at {base:#x}-{:#x}, one address space for every process",
            args.mem >> 20,
            size >> 20,
            base + size
        ),
    );
    let caps = machine.caps();
    say(&klog, format!("Syscalls: {}", caps.describe_syscalls()));
    say(&klog, format!("Page 0: {}", caps.describe_page0()));
    say(
        &klog,
        format!(
            "CPU: PKU {}, FSGSBASE {} (FS switched with {})",
            caps.pku.short(),
            caps.fsgsbase.short(),
            if caps.fsgsbase.in_force() { "wrfsbase" } else { "arch_prctl" }
        ),
    );
    say(&klog, format!("Tmpfs: {}", caps.describe_tmpfs()));
    say(
        &klog,
        format!("Root: {}; /proc and the devices in /dev are the kernel's", boot_root.describe(machine.root_path())),
    );
    say(&klog, format!("Network: {}", machine.describe_net()));
    say(&klog, format!("Profile: {}", machine.profile().describe()));
    let mut argv = vec![init.clone()];
    argv.extend(init_args);
    let spec = ProgramSpec::new(init.clone(), argv.iter().collect(), init_env.iter().collect());
    let pid1 = match machine.start_init(spec) {
        Ok(pid1) => pid1,
        Err(e) => return exec_failure(e),
    };
    let rewrite = &pid1.rewrite;
    say(
        &klog,
        format!(
            "Run {} as init process: {} syscall sites rewritten, {} left to the trap path, in {:.1} ms",
            String::from_utf8_lossy(&init),
            rewrite.sites,
            rewrite.trap_sites,
            rewrite.elapsed.as_secs_f64() * 1000.0
        ),
    );
    let started = std::time::Instant::now();
    let status = match machine.run_init(pid1) {
        Ok(status) => status,
        Err(e) => return exec_failure(e),
    };
    observe.finish(&machine, Some(status), started);
    power_off(machine);
    match status {
        ExitStatus::Exited(0) => 0,
        status => {
            eprintln!("nommu: init ended ({status:?}): the machine stops");
            status.shell_code()
        }
    }
}
