//! What counts against `--mem`: committed memory, as opposed to address
//! space. With reservations on (the default), a page is committed while
//! it is allocated and accessible; PROT_NONE pages take address space
//! only, as under Linux's strict overcommit accounting (Committed_AS).
//! With reservations off (a strict no-MMU machine), every allocated page
//! is committed.

#[derive(Debug)]
pub(crate) struct Commit {
    limit: u64,
    committed: u64,
    peak: u64,
}

impl Commit {
    pub(crate) fn new(limit: u64) -> Commit {
        Commit { limit, committed: 0, peak: 0 }
    }

    /// Commits `bytes` more if that stays within the limit.
    pub(crate) fn charge(&mut self, bytes: u64) -> bool {
        match self.committed.checked_add(bytes).filter(|&n| n <= self.limit) {
            Some(n) => {
                self.committed = n;
                self.peak = self.peak.max(n);
                true
            }
            None => false,
        }
    }

    /// Would `bytes` more stay within the limit?
    pub(crate) fn fits(&self, bytes: u64) -> bool {
        self.committed.checked_add(bytes).is_some_and(|n| n <= self.limit)
    }

    /// `bytes` fewer committed.
    pub(crate) fn uncharge(&mut self, bytes: u64) {
        debug_assert!(bytes <= self.committed, "uncommitting {bytes:#x} of {:#x}", self.committed);
        self.committed = self.committed.saturating_sub(bytes);
    }

    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    pub(crate) fn committed(&self) -> u64 {
        self.committed
    }

    pub(crate) fn peak(&self) -> u64 {
        self.peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_up_to_the_limit() {
        let mut c = Commit::new(10 << 20);
        assert!(c.fits(10 << 20) && !c.fits((10 << 20) + 1));
        assert!(c.charge(6 << 20));
        assert!(!c.charge(5 << 20), "past the limit");
        assert!(c.charge(4 << 20), "exactly to the limit");
        assert!(!c.charge(4096));
        c.uncharge(8 << 20);
        assert_eq!((c.committed(), c.peak(), c.limit()), (2 << 20, 10 << 20, 10 << 20));
        assert!(!c.charge(u64::MAX), "wraps");
        assert!(c.charge(0));
    }
}
