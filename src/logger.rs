//! nommu's logger: its records go into the machine's kernel log
//! (`kernel::klog`, read by the guest's `dmesg`), and to nommu's stderr as
//! env_logger prints them when they reach the console (the log's answer:
//! its console level on `boot`, errors only on `run`, everything with -v)
//! or when RUST_LOG asks for them (its filter decides, as before).
//!
//! Kept in the log: nommu's errors and warnings, and with -v its `info`
//! lines too (execs, vforks, signals, exits, rewrite counts: kept as debug
//! messages, as a kernel keeps pr_debug lines only when asked). Without
//! -v they are not even formatted: they would cost every exec, and fill
//! `dmesg` with the `dmesg` command's own vfork and exec.
//!
//! env_logger itself is built at the first record it prints (a run that
//! prints nothing has no use for its filter parsing and writer set-up), or
//! at once when RUST_LOG is set.

use nommu::kernel::klog::{self, Klog};
use std::sync::{Arc, OnceLock};

fn builder() -> env_logger::Builder {
    // Without RUST_LOG only what this logger passes on is printed, and it
    // passes nothing past `info`.
    let mut b = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("nommu=info"));
    b.format_timestamp(None);
    b
}

fn nommus(target: &str) -> bool {
    target == "nommu" || target.starts_with("nommu::")
}

struct KernelLogger {
    klog: Arc<Klog>,
    /// nommu's records kept in the kernel log: up to this level.
    keep: log::LevelFilter,
    /// RUST_LOG is set: its filter decides what is printed.
    rust_log: bool,
    printer: OnceLock<env_logger::Logger>,
}

impl KernelLogger {
    fn printer(&self) -> &env_logger::Logger {
        self.printer.get_or_init(|| builder().build())
    }

    fn kept(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= self.keep && nommus(m.target())
    }
}

impl log::Log for KernelLogger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        self.kept(m) || (self.rust_log && self.printer().enabled(m))
    }

    fn log(&self, r: &log::Record<'_>) {
        let mut shown = false;
        if self.kept(r.metadata()) {
            shown = self.klog.printk(klog::level_of(r.level()), &r.args().to_string());
        }
        if self.rust_log || shown {
            self.printer().log(r);
        }
    }

    fn flush(&self) {
        if let Some(l) = self.printer.get() {
            log::Log::flush(l);
        }
    }
}

/// Installs the logger, whose records go into `klog`: `info` ones too
/// with `verbose`.
pub fn init(klog: Arc<Klog>, verbose: bool) {
    let keep = if verbose { log::LevelFilter::Info } else { log::LevelFilter::Warn };
    let rust_log = std::env::var_os("RUST_LOG").is_some();
    static LOGGER: OnceLock<KernelLogger> = OnceLock::new();
    let logger = LOGGER.get_or_init(|| KernelLogger { klog, keep, rust_log, printer: OnceLock::new() });
    let max = if rust_log { keep.max(logger.printer().filter()) } else { keep };
    if log::set_logger(logger).is_ok() {
        log::set_max_level(max);
    }
}
