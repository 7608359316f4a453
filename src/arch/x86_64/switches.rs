//! nommu's own `NOMMU_*` variables, read from the environment once. A run
//! asks about twenty of them as it starts, and each `getenv` walks the
//! whole environment comparing names (~700 instructions with 35
//! variables, more in a bigger environment; BENCHMARKS.md, issue 17 round
//! 10); one pass keeps the few `NOMMU_*` entries and every later question
//! looks only at those. nommu never changes its own environment.
//! (`mm::startheap` asks `getenv` itself: it answers before any
//! allocation can be made.)

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::sync::OnceLock;

const PREFIX: &[u8] = b"NOMMU_";

/// The `NOMMU_*` entries of the environment, as `NAME=value`.
fn entries() -> &'static [&'static [u8]] {
    static ENTRIES: OnceLock<Vec<&'static [u8]>> = OnceLock::new();
    ENTRIES.get_or_init(|| super::host::environ_entries().filter(|e| e.starts_with(PREFIX)).collect())
}

/// The value of the `NOMMU_*` variable `name`, as `std::env::var_os`
/// would give it (the first entry of that name).
pub fn var_os(name: &str) -> Option<&'static OsStr> {
    debug_assert!(name.as_bytes().starts_with(PREFIX), "{name} is not one of nommu's switches");
    find(entries(), name.as_bytes()).map(OsStr::from_bytes)
}

fn find<'e>(entries: &[&'e [u8]], name: &[u8]) -> Option<&'e [u8]> {
    entries.iter().find_map(|e| e.strip_prefix(name)?.strip_prefix(b"="))
}

/// `var_os` as UTF-8 (`std::env::var`), `None` when unset or not UTF-8.
pub fn var(name: &str) -> Option<&'static str> {
    var_os(name).and_then(|v| v.to_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_the_environment() {
        // The test process's own environment: every NOMMU_* variable it
        // has reads the same both ways, and an unset one is unset.
        for (k, v) in std::env::vars_os() {
            if let Some(name) = k.to_str().filter(|n| n.starts_with("NOMMU_")) {
                assert_eq!(var_os(name), Some(v.as_os_str()), "{name}");
            }
        }
        assert_eq!(var_os("NOMMU_SURELY_NEVER_SET_BY_ANYONE"), None);
    }

    #[test]
    fn a_name_matches_whole_and_the_first_entry_wins() {
        let env: [&[u8]; 4] = [b"NOMMU_NO_PKU_X=1", b"NOMMU_NO_PKU=", b"NOMMU_NO_PKU=1", b"NOMMU_FAST_RW=0"];
        assert_eq!(find(&env, b"NOMMU_NO_PKU"), Some(&b""[..]));
        assert_eq!(find(&env, b"NOMMU_FAST_RW"), Some(&b"0"[..]));
        assert_eq!(find(&env, b"NOMMU_NO"), None);
        assert_eq!(find(&env, b"NOMMU_NO_FSGSBASE"), None);
    }
}
