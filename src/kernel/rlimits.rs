//! A process's resource limits (getrlimit, setrlimit, prlimit64).
//!
//! The first process gets the host's limits (nommu's own), except the
//! stack's soft limit. They are read from the host when first asked, not
//! all at start: 16 `prlimit64` calls at every start-up, of which a
//! program like `hello` needs one (RLIMIT_NOFILE, for its descriptor
//! table). nommu never changes its own limits after `Machine::new`
//! raised RLIMIT_NOFILE's soft limit to the hard one, before any
//! process exists, so a limit read late is the one it would have read at
//! start (unless something outside changes nommu's limits with
//! prlimit(1) meanwhile, which it then sees).

use crate::abi::resource::{RLIM64_INFINITY, RLIMIT_STACK, RLIM_NLIMITS};
use std::sync::OnceLock;

const N: usize = RLIM_NLIMITS as usize;

/// One resource's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Limit {
    /// The host's (soft, hard).
    Host,
    /// This soft limit, the host's hard limit.
    HostHard(u64),
    /// Set by a guest: (soft, hard).
    Set(u64, u64),
}

/// A process's resource limits: (soft, hard) for each resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimits([Limit; N]);

/// nommu's own limit of `resource`, read once.
fn host(resource: usize) -> (u64, u64) {
    static HOST: [OnceLock<(u64, u64)>; N] = [const { OnceLock::new() }; N];
    *HOST[resource]
        .get_or_init(|| crate::arch::host::getrlimit(resource as u32).unwrap_or((RLIM64_INFINITY, RLIM64_INFINITY)))
}

impl Rlimits {
    /// The limits of the first process: the host's, except the stack's
    /// soft limit. A no-MMU stack is a fixed allocation: say so (glibc
    /// also sizes its thread stacks by this, and they are real arena
    /// memory).
    pub fn initial() -> Rlimits {
        let mut limits = [Limit::Host; N];
        limits[RLIMIT_STACK as usize] = Limit::HostHard(super::exec::DEFAULT_STACK_SIZE);
        Rlimits(limits)
    }

    /// (soft, hard) of `resource` (below `RLIM_NLIMITS`).
    pub fn get(&self, resource: u32) -> (u64, u64) {
        let i = resource as usize;
        match self.0[i] {
            Limit::Host => host(i),
            Limit::HostHard(soft) => (soft, host(i).1),
            Limit::Set(soft, hard) => (soft, hard),
        }
    }

    /// Sets `resource`'s (soft, hard).
    pub fn set(&mut self, resource: u32, (soft, hard): (u64, u64)) {
        self.0[resource as usize] = Limit::Set(soft, hard);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::resource::{RLIMIT_CORE, RLIMIT_NOFILE};

    #[test]
    fn the_hosts_limits_but_the_stacks_soft_one() {
        let r = Rlimits::initial();
        for i in 0..RLIM_NLIMITS {
            let host = crate::arch::host::getrlimit(i).unwrap();
            if i == RLIMIT_STACK {
                assert_eq!(r.get(i), (super::super::exec::DEFAULT_STACK_SIZE, host.1));
            } else {
                assert_eq!(r.get(i), host, "resource {i}");
            }
        }
    }

    #[test]
    fn set_is_kept_and_copied() {
        let mut r = Rlimits::initial();
        r.set(RLIMIT_NOFILE, (10, 20));
        let copy = r;
        assert_eq!(copy.get(RLIMIT_NOFILE), (10, 20));
        assert_eq!(copy.get(RLIMIT_CORE), Rlimits::initial().get(RLIMIT_CORE));
    }
}
