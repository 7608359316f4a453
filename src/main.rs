//! The `nommu` command line.

use clap::{Parser, Subcommand};
use nommu::kernel::exec::ProgramSpec;
use nommu::kernel::machine::MachineError;
use nommu::{Machine, MachineConfig};
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "nommu", version, about = "A user-space no-MMU Linux machine for x86-64 programs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one program; exit with its status (128+signal if killed).
    Run {
        /// Host directory that is the guest's root file system.
        #[arg(long, default_value = "/")]
        root: PathBuf,
        /// Arena size (all guest memory), e.g. 64M, 1G.
        #[arg(long, default_value = "256M", value_parser = parse_mem)]
        mem: u64,
        /// The program (a static or static-pie x86-64 ELF).
        program: OsString,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
}

fn parse_mem(s: &str) -> Result<u64, String> {
    match nommu::parse_size(s) {
        Some(n) if n >= 1 << 20 => Ok(n),
        _ => Err(format!("'{s}' is not a memory size of at least 1M (like 64M or 1G)")),
    }
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("nommu=warn"))
        .format_timestamp(None)
        .init();
    let cli = Cli::parse();
    // Before any thread exists: every thread inherits the mask.
    nommu::kernel::hostsignals::block_routed();
    let code = match cli.command {
        Command::Run { root, mem, program, args } => run(root, mem, program, args),
    };
    std::process::exit(code);
}

fn run(root: PathBuf, mem: u64, program: OsString, args: Vec<OsString>) -> i32 {
    let config = MachineConfig { mem_size: mem, root, protect_init: false };
    let machine = match Machine::new(config) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("nommu: {e}");
            return 1;
        }
    };
    let guest_path = program.as_bytes().to_vec();
    let mut argv = vec![guest_path.clone()];
    argv.extend(args.into_iter().map(OsString::into_vec));
    let envp = std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k.into_vec();
            kv.push(b'=');
            kv.extend(v.into_vec());
            kv
        })
        .collect();
    let spec = ProgramSpec { guest_path, argv, envp };
    match machine.run_program(spec) {
        Ok(status) => status.shell_code(),
        Err(MachineError::Exec(e)) => {
            eprintln!("nommu: {e}");
            e.shell_code()
        }
        Err(e) => {
            eprintln!("nommu: {e}");
            1
        }
    }
}
