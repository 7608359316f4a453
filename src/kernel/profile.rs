//! The machine's memory profile: what a no-MMU process may get away with.
//!
//! - **permissive** (the default): where the host MMU makes it cheap,
//!   nommu gives what an MMU kernel gives (PROT_NONE guards, shared
//!   writable file mappings, MAP_FIXED inside a process's own memory), so
//!   software runs; `--report` lists each call that succeeded only so.
//! - **strict** (`--strict`, `nommu.strict`): memory calls answer as
//!   Linux's no-MMU memory manager does (mm/nommu.c,
//!   fs/binfmt_elf_fdpic.c), to learn what would break on a board.
//! - **isolate** (`--isolate`, `nommu.isolate`): each process's memory
//!   carries a protection key, as an MPU would give; stray accesses into
//!   another process's memory fault. Combines with either of the others.

/// Which profile is in force (`MachineConfig::profile`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub strict: bool,
    pub isolate: bool,
}

impl Profile {
    /// For the boot banner and `nommu -v`.
    pub fn describe(&self) -> String {
        let memory = if self.strict {
            "strict (memory calls answer as mm/nommu.c; every allocated page counts)"
        } else {
            "permissive (an MMU's answers where the host gives them cheaply; --strict for mm/nommu.c's)"
        };
        if self.isolate {
            format!("{memory}, isolated (each process's memory under its own protection key)")
        } else {
            memory.to_string()
        }
    }

    /// For `--report`: `{"strict": B, "isolate": B}`.
    pub fn json(&self) -> String {
        format!("{{\"strict\": {}, \"isolate\": {}}}", self.strict, self.isolate)
    }
}
