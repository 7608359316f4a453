//! nommu's logger: env_logger, built when first needed.
//!
//! With `RUST_LOG` unset, only nommu's own records at the default level
//! (`error`, `info` with `-v`) are shown, and a run that logs nothing —
//! nearly every run — has no use for env_logger's filter parsing and
//! writer set-up at start. The same env_logger, configured the same way,
//! is built at the first record that passes the level check, so what is
//! printed does not change. With `RUST_LOG` set, env_logger is built at
//! once, as before.

use std::sync::OnceLock;

fn builder(default: &str) -> env_logger::Builder {
    let mut b = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default));
    b.format_timestamp(None);
    b
}

struct Lazy {
    /// The default filter: `nommu=<level>`.
    spec: &'static str,
    level: log::LevelFilter,
    inner: OnceLock<env_logger::Logger>,
}

impl Lazy {
    fn inner(&self) -> &env_logger::Logger {
        self.inner.get_or_init(|| builder(self.spec).build())
    }
}

impl log::Log for Lazy {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        let t = m.target();
        m.level() <= self.level && (t == "nommu" || t.starts_with("nommu::"))
    }

    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            self.inner().log(r);
        }
    }

    fn flush(&self) {
        if let Some(l) = self.inner.get() {
            log::Log::flush(l);
        }
    }
}

/// Installs the logger: nommu's records at `info` with `verbose`, else
/// at `error`; `RUST_LOG` overrides.
pub fn init(verbose: bool) {
    let (spec, level) =
        if verbose { ("nommu=info", log::LevelFilter::Info) } else { ("nommu=error", log::LevelFilter::Error) };
    if std::env::var_os("RUST_LOG").is_some() {
        builder(spec).init();
        return;
    }
    static LOGGER: OnceLock<Lazy> = OnceLock::new();
    let logger = LOGGER.get_or_init(|| Lazy { spec, level, inner: OnceLock::new() });
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}
