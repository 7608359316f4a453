//! What the host gives nommu, found out at start and never assumed, and
//! the switches that take each capability away so that every path can be
//! tested on every host.
//!
//! | capability | what it changes | switch that forces its absence |
//! |---|---|---|
//! | page 0 mappable (`vm.mmap_min_addr=0`) | the fast path: rewritten sites call into a sled at address 0 | `NOMMU_TRAP_ONLY=1` / `--trap-only` |
//! | PKU (protection keys) | page 0 is execute-only: NULL reads fault | `NOMMU_NO_PKU=1` |
//! | Syscall User Dispatch | trap path for code not rewritten | `NOMMU_SYSCALL_TRAP=seccomp` (or `none`) |
//! | seccomp `RET_TRAP` | the trap path's fallback | `NOMMU_SYSCALL_TRAP=sud` (or `none`) |
//! | FSGSBASE | FS switched with `wrfsbase` instead of `arch_prctl` | `NOMMU_NO_FSGSBASE=1` |
//! | host mounts (CAP_SYS_ADMIN) | each tmpfs/ramfs (and an initramfs root) is a host tmpfs of its own in a private mount namespace: `size=` enforced | `NOMMU_NO_HOST_MOUNTS=1` |
//! | membarrier(2) `PRIVATE_EXPEDITED` | cached opens read the directory cache without locked instructions (`fs::pins`) | `NOMMU_NO_MEMBARRIER=1` |
//! | a writable host tmpfs (/dev/shm) | without host mounts, where their files live: memory, else the temporary directory on disk | `NOMMU_NO_HOST_TMPFS=1` |

use super::systrap::TrapKind;

/// A capability a switch can take away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    NoPku,
    NoFsgsbase,
    NoHostMounts,
    NoHostTmpfs,
    NoMembarrier,
}

impl Switch {
    pub(crate) fn var(self) -> &'static str {
        match self {
            Switch::NoPku => "NOMMU_NO_PKU",
            Switch::NoFsgsbase => "NOMMU_NO_FSGSBASE",
            Switch::NoHostMounts => "NOMMU_NO_HOST_MOUNTS",
            Switch::NoHostTmpfs => "NOMMU_NO_HOST_TMPFS",
            Switch::NoMembarrier => "NOMMU_NO_MEMBARRIER",
        }
    }
}

/// True when the switch's variable is set to anything but "" or "0".
pub(crate) fn forced_off(switch: Switch) -> bool {
    super::switches::var_os(switch.var()).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Whether a CPU or kernel feature is in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    InForce,
    /// The host has it; a switch took it away.
    ForcedOff(Switch),
    /// The host does not have it.
    Absent,
}

impl Feature {
    pub(crate) fn detect(host_has: bool, switch: Switch) -> Feature {
        match (host_has, forced_off(switch)) {
            (false, _) => Feature::Absent,
            (true, true) => Feature::ForcedOff(switch),
            (true, false) => Feature::InForce,
        }
    }

    pub fn in_force(self) -> bool {
        self == Feature::InForce
    }

    /// `short`, with why a feature the host lacks is missing.
    fn describe(self, absent: &str) -> String {
        match self {
            Feature::Absent => format!("no ({absent})"),
            f => f.short(),
        }
    }

    /// `yes`, `forced_off` or `no` (`nommu caps --machine`, `--report`).
    pub fn name(self) -> &'static str {
        match self {
            Feature::InForce => "yes",
            Feature::ForcedOff(_) => "forced_off",
            Feature::Absent => "no",
        }
    }

    /// For the boot banner: `yes`, `no`, `off (NOMMU_NO_PKU=1)`.
    pub fn short(self) -> String {
        match self {
            Feature::ForcedOff(s) => format!("off ({}=1)", s.var()),
            f => f.name().to_string(),
        }
    }
}

/// What lies at virtual address 0, as measured after setting it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page0 {
    /// The trampoline, execute-only (PKU): NULL reads and writes fault.
    ExecuteOnly,
    /// The trampoline, readable: NULL reads return the sled's bytes; NULL
    /// writes and calls still fault.
    Readable,
    /// Nothing: every syscall takes the trap path; NULL accesses fault.
    Unmapped,
}

impl Page0 {
    pub fn name(self) -> &'static str {
        match self {
            Page0::ExecuteOnly => "execute-only",
            Page0::Readable => "readable",
            Page0::Unmapped => "unmapped",
        }
    }
}

/// Why page 0 is not mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page0Absence {
    /// `--trap-only` / `NOMMU_TRAP_ONLY=1`.
    TrapOnly,
    /// `--null-guard` on a host where page 0 could only be readable.
    NullGuard,
    /// `vm.mmap_min_addr` is not 0.
    MmapMinAddr,
    /// A machine for calling syscall handlers directly: no guest code.
    HandlersOnly,
}

/// Everything nommu found out about its host, and what is in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostCaps {
    pub page0: Page0,
    /// Why page 0 is unmapped (with `Page0::Unmapped`).
    pub page0_absence: Option<Page0Absence>,
    pub pku: Feature,
    pub fsgsbase: Feature,
    /// Expedited memory barriers (`fs::pins`).
    pub membarrier: Feature,
    /// What catches the syscalls that were not rewritten.
    pub trap: Option<TrapKind>,
    /// Memory file systems are host mounts of their own (`hostmount`);
    /// `None`: as this process finds when first asked (`host_mounts`).
    pub host_mounts: Option<Feature>,
    /// Where they live when they are not (looked for when first asked).
    pub memory_dir: super::hostmount::LazyMemoryDir,
}

impl HostCaps {
    /// Are memory file systems host mounts of their own? Asking settles
    /// it: a `run` takes its private mount namespace only when first
    /// needed (`hostmount::settle`).
    pub fn host_mounts(&self) -> Feature {
        self.host_mounts.unwrap_or_else(super::hostmount::feature)
    }

    /// The page-0 trampoline is mapped and sites are rewritten.
    pub fn trampoline(&self) -> bool {
        self.page0 != Page0::Unmapped
    }

    /// One line on page 0, saying what a NULL read does.
    pub fn describe_page0(&self) -> String {
        match self.page0 {
            Page0::ExecuteOnly => "execute-only (PKU): NULL reads, writes and calls fault".to_string(),
            Page0::Readable => {
                let why = match self.pku {
                    Feature::ForcedOff(s) => format!("{}=1", s.var()),
                    Feature::Absent => "this CPU has no PKU".to_string(),
                    Feature::InForce => "the kernel did not make it execute-only".to_string(),
                };
                format!(
                    "readable ({why}): NULL reads return data, as on most no-MMU hardware; NULL writes and \
                     calls fault; --null-guard makes NULL reads fault too (on the trap path)"
                )
            }
            Page0::Unmapped => {
                let why = match self.page0_absence {
                    Some(Page0Absence::NullGuard) => "--null-guard without PKU",
                    Some(Page0Absence::MmapMinAddr) => "vm.mmap_min_addr is not 0",
                    Some(Page0Absence::HandlersOnly) => "no guest code runs in this machine",
                    Some(Page0Absence::TrapOnly) | None => "trap-only",
                };
                format!("not mapped ({why}): NULL reads, writes and calls fault")
            }
        }
    }

    /// How guest syscalls reach the kernel.
    pub fn describe_syscalls(&self) -> String {
        match (self.trampoline(), self.trap) {
            (true, Some(t)) => format!("page-0 trampoline (512-byte sled), trap path: {}", t.describe()),
            (true, None) => "page-0 trampoline (512-byte sled), no trap path: code that appears at run time and \
                             red-zone sites cannot be caught"
                .to_string(),
            (false, Some(t)) => format!("trap path only ({}): every syscall is a host signal, slower", t.describe()),
            (false, None) => "none".to_string(),
        }
    }

    /// `key: value` lines for the boot log, `nommu -v` and `nommu caps`.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        vec![
            ("syscalls", self.describe_syscalls()),
            ("page 0", self.describe_page0()),
            ("PKU", self.pku.describe("this CPU has none, or the kernel did not enable it")),
            ("FSGSBASE", self.fsgsbase.describe("FS is switched with arch_prctl, a syscall per entry and exit")),
            (
                "trap path",
                match self.trap {
                    Some(t) => t.describe().to_string(),
                    None => "none (NOMMU_SYSCALL_TRAP=none, or neither SUD nor seccomp works here)".to_string(),
                },
            ),
            (
                "membarrier",
                self.membarrier
                    .describe("cached opens take the directory cache's lock: the host has no expedited barrier"),
            ),
            ("host mounts", self.host_mounts().describe("nommu may not mount here: it needs CAP_SYS_ADMIN")),
            ("tmpfs", self.describe_tmpfs()),
        ]
    }

    /// Where a guest tmpfs (ramfs, initramfs root) keeps its files.
    pub fn describe_tmpfs(&self) -> String {
        super::hostmount::describe(self.host_mounts(), self.memory_dir.get())
    }

    /// Are the files of a guest tmpfs memory (a host tmpfs)?
    pub fn tmpfs_in_memory(&self) -> bool {
        self.host_mounts().in_force() || self.memory_dir.get().tmpfs.in_force()
    }

    /// The `"host"` object of `--report`.
    pub(crate) fn json(&self) -> String {
        let trap = self.trap.map_or("null".to_string(), |t| format!("\"{}\"", t.name()));
        let dir = self.memory_dir.get().path.display().to_string().replace('\\', "\\\\").replace('"', "\\\"");
        format!(
            "{{\"page0\": \"{}\", \"trampoline\": {}, \"pku\": \"{}\", \"fsgsbase\": \"{}\", \"membarrier\": \"{}\", \"trap\": {trap}, \
             \"host_mounts\": \"{}\", \"tmpfs_dir\": \"{dir}\", \"tmpfs_in_memory\": {}}}",
            self.page0.name(),
            self.trampoline(),
            self.pku.name(),
            self.fsgsbase.name(),
            self.membarrier.name(),
            self.host_mounts().name(),
            self.tmpfs_in_memory(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(page0: Page0, pku: Feature) -> HostCaps {
        let memory_dir = super::super::hostmount::MemoryDir { path: "/dev/shm".into(), tmpfs: Feature::InForce };
        HostCaps {
            page0,
            page0_absence: None,
            pku,
            fsgsbase: Feature::InForce,
            membarrier: Feature::InForce,
            trap: Some(TrapKind::UserDispatch),
            host_mounts: Some(Feature::Absent),
            memory_dir: memory_dir.into(),
        }
    }

    #[test]
    fn a_readable_page_0_is_never_called_execute_only() {
        let c = caps(Page0::Readable, Feature::Absent);
        let text = c.describe_page0();
        assert!(text.starts_with("readable (this CPU has no PKU)"), "{text}");
        assert!(!c.describe_syscalls().contains("execute-only"));
        assert!(c.json().contains("\"page0\": \"readable\""));
        let forced = caps(Page0::Readable, Feature::ForcedOff(Switch::NoPku)).describe_page0();
        assert!(forced.contains("NOMMU_NO_PKU=1"), "{forced}");
    }

    #[test]
    fn execute_only_and_unmapped_say_nulls_fault() {
        assert!(caps(Page0::ExecuteOnly, Feature::InForce).describe_page0().contains("NULL reads, writes"));
        let mut c = caps(Page0::Unmapped, Feature::Absent);
        c.page0_absence = Some(Page0Absence::NullGuard);
        assert!(c.describe_page0().contains("--null-guard"));
        assert!(!c.trampoline());
        assert!(c.json().contains("\"trampoline\": false"));
    }

    #[test]
    fn where_tmpfs_files_are_is_said() {
        use super::super::hostmount::MemoryDir;
        let mut c = caps(Page0::Readable, Feature::InForce);
        assert!(c.describe_tmpfs().contains("/dev/shm (a host tmpfs: memory)"), "{}", c.describe_tmpfs());
        assert!(c.describe_tmpfs().contains("not enforced") && c.tmpfs_in_memory());
        c.memory_dir = MemoryDir { path: "/var/tmp".into(), tmpfs: Feature::Absent }.into();
        assert!(c.describe_tmpfs().contains("/var/tmp (ON DISK, not memory"), "{}", c.describe_tmpfs());
        assert!(!c.tmpfs_in_memory() && c.json().contains("\"tmpfs_in_memory\": false"));
        c.host_mounts = Some(Feature::ForcedOff(Switch::NoHostMounts));
        assert!(c.describe_tmpfs().contains("NOMMU_NO_HOST_MOUNTS=1"));
        c.host_mounts = Some(Feature::InForce);
        assert!(c.describe_tmpfs().contains("enforced (ENOSPC)") && c.tmpfs_in_memory());
        assert!(c.json().contains("\"host_mounts\": \"yes\""));
    }
}
