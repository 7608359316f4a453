//! /proc/sys: the tunables programs read (busybox `sysctl`, libraries
//! asking for limits). The values the machine owns are its own (host and
//! domain names, pid limits, SysV IPC limits, memory accounting, the boot
//! id); the ones the host enforces for it (open files, pipes,
//! capabilities) are the host's. Everything reads; the host and domain
//! names may be written too, as `sethostname`/`setdomainname` set them.

use super::Machine;
use crate::abi::dirent::{DT_DIR, DT_REG};
use crate::abi::ipc::{MSGMAX, MSGMNB, MSGMNI, SEMMNI, SEMMNS, SEMMSL, SEMOPM, SHMALL, SHMMAX, SHMMNI};
use crate::errno::{Errno, SysResult};
use crate::fs::file::DirEntry;
use crate::fs::node::{Node, Step};
use crate::fs::stat::synthetic_ino;
use std::sync::OnceLock;

/// Linux's largest pid_max on 64-bit machines (PID_MAX_LIMIT). The
/// machine's pids only grow (they are never reused), as if pid_max were
/// never reached.
const PID_MAX: u32 = 4 * 1024 * 1024;

/// One directory of the tree: its name and what is in it.
enum Entry {
    Dir(&'static str, &'static [Entry]),
    File(&'static str, fn(&Machine) -> String),
}

const KERNEL_RANDOM: &[Entry] = &[
    Entry::File("boot_id", |_| boot_id().to_string()),
    Entry::File("entropy_avail", |_| "256".into()),
    Entry::File("poolsize", |_| "256".into()),
    Entry::File("uuid", |_| uuid(&random_bytes())),
];

const KERNEL: &[Entry] = &[
    Entry::File("cap_last_cap", |_| host_value("kernel/cap_last_cap", "40")),
    Entry::File("domainname", |m| uts_name(m, true)),
    Entry::File("hostname", |m| uts_name(m, false)),
    Entry::File("msgmax", |_| MSGMAX.to_string()),
    Entry::File("msgmnb", |_| MSGMNB.to_string()),
    Entry::File("msgmni", |_| MSGMNI.to_string()),
    Entry::File("ngroups_max", |_| "65536".into()),
    Entry::File("osrelease", |_| host_uname(|u| &u.release)),
    Entry::File("ostype", |_| "Linux".into()),
    Entry::File("overflowgid", |_| "65534".into()),
    Entry::File("overflowuid", |_| "65534".into()),
    Entry::File("pid_max", |_| PID_MAX.to_string()),
    Entry::Dir("random", KERNEL_RANDOM),
    Entry::File("sem", |_| format!("{SEMMSL}\t{SEMMNS}\t{SEMOPM}\t{SEMMNI}")),
    Entry::File("shmall", |_| SHMALL.to_string()),
    Entry::File("shmmax", |_| SHMMAX.to_string()),
    Entry::File("shmmni", |_| SHMMNI.to_string()),
    // Tasks are host threads: the host's limit is the machine's.
    Entry::File("threads-max", |_| host_value("kernel/threads-max", "4096")),
    Entry::File("version", |_| host_uname(|u| &u.version)),
];

const VM: &[Entry] = &[
    Entry::File("max_map_count", |_| "65530".into()),
    // Strict accounting: what is committed cannot pass --mem (mode 2,
    // "never overcommit"), with all of it committable.
    Entry::File("overcommit_memory", |_| "2".into()),
    Entry::File("overcommit_ratio", |_| "100".into()),
];

const FS: &[Entry] = &[
    Entry::File("file-max", |_| host_value("fs/file-max", "9223372036854775807")),
    Entry::File("nr_open", |_| host_value("fs/nr_open", "1048576")),
    Entry::File("pipe-max-size", |_| host_value("fs/pipe-max-size", "1048576")),
];

const TOP: &[Entry] = &[Entry::Dir("fs", FS), Entry::Dir("kernel", KERNEL), Entry::Dir("vm", VM)];

fn name_of(e: &Entry) -> &'static str {
    match e {
        Entry::Dir(n, _) | Entry::File(n, _) => n,
    }
}

/// The node at `comps`, the components below /proc/sys.
pub(crate) fn lookup(m: &Machine, comps: &[&[u8]]) -> SysResult<Step> {
    let mut dir = TOP;
    for (i, comp) in comps.iter().enumerate() {
        let found = dir.iter().find(|e| name_of(e).as_bytes() == *comp).ok_or(Errno::ENOENT)?;
        match found {
            Entry::Dir(_, inner) => dir = inner,
            Entry::File(name, value) if comps.len().checked_sub(1) == Some(i) => {
                let mut text = value(m);
                text.push('\n');
                let text = text.into_bytes();
                let writable = std::ptr::eq(dir, KERNEL) && WRITABLE.contains(name);
                return Ok(Step::Node(if writable { Node::Tunable(text) } else { Node::File(text) }));
            }
            Entry::File(..) => return Err(Errno::ENOTDIR),
        }
    }
    let entries = dir
        .iter()
        .map(|e| {
            let (name, kind) = match e {
                Entry::Dir(n, _) => (n, DT_DIR),
                Entry::File(n, _) => (n, DT_REG),
            };
            DirEntry { ino: synthetic_ino(name.as_bytes()), kind, name: name.as_bytes().to_vec() }
        })
        .collect();
    Ok(Step::Node(Node::Dir(entries)))
}

/// What may be written, in kernel/: the machine's UTS names.
const WRITABLE: [&str; 2] = ["hostname", "domainname"];

/// A write to /proc/sys file `path` (as opened) at offset `pos`: as
/// Linux's string tunables take it, up to the first newline, cut to the
/// field's size; a write past the end of the current value changes
/// nothing. All of `data` counts as written.
pub(crate) fn write(m: &Machine, path: &[u8], pos: u64, data: &[u8]) -> SysResult<u64> {
    let name = path.strip_prefix(b"/proc/sys/kernel/").ok_or(Errno::EACCES)?;
    let domain = match name {
        b"hostname" => false,
        b"domainname" => true,
        _ => return Err(Errno::EACCES),
    };
    let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut uts = m.uts.lock().unwrap_or_else(|e| e.into_inner());
    let field = if domain { &mut uts.1 } else { &mut uts.0 };
    let Some(kept) = usize::try_from(pos).ok().and_then(|p| field.get(..p)) else {
        return Ok(data.len() as u64);
    };
    let mut value = [kept, line].concat();
    value.truncate(crate::abi::utsname::NEW_UTS_LEN);
    *field = value;
    Ok(data.len() as u64)
}

fn uts_name(m: &Machine, domain: bool) -> String {
    let uts = m.uts.lock().unwrap_or_else(|e| e.into_inner());
    String::from_utf8_lossy(if domain { &uts.1 } else { &uts.0 }).into_owned()
}

fn host_uname(field: fn(&crate::arch::host::Uname) -> &Vec<u8>) -> String {
    crate::arch::host::uname().map(|u| String::from_utf8_lossy(field(&u)).into_owned()).unwrap_or_default()
}

/// The host's value of a limit it enforces, or Linux's default.
fn host_value(name: &str, default: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/{name}"))
        .map(|s| s.trim_end().to_string())
        .unwrap_or_else(|_| default.to_string())
}

fn random_bytes() -> [u8; 16] {
    use std::io::Read;
    let mut b = [0u8; 16];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).is_err() {
        // No host randomness: still a different value every time.
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        b = (t.as_nanos() ^ ((std::process::id() as u128) << 64)).to_le_bytes();
    }
    b
}

/// The machine's boot id: one random UUID per nommu machine.
fn boot_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| uuid(&random_bytes()))
}

/// A version 4 (random) UUID, as Linux prints it.
fn uuid(bytes: &[u8; 16]) -> String {
    let mut b = *bytes;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_in_linux_format() {
        let u = uuid(&[0xff; 16]);
        assert_eq!(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let u = uuid(&[0; 16]);
        assert_eq!(u, "00000000-0000-4000-8000-000000000000");
    }

    /// As Linux takes writes to kernel/hostname (checked natively in a
    /// UTS namespace of its own).
    #[test]
    fn hostname_writes_stop_at_a_newline_and_are_cut_to_64_bytes() {
        let t = crate::syscall::testkit::TestMachine::new();
        let name = |t: &crate::syscall::testkit::TestMachine| t.m.uts.lock().unwrap().0.clone();
        let path = b"/proc/sys/kernel/hostname";
        assert_eq!(write(&t.m, path, 0, b"foo\nbar"), Ok(7));
        assert_eq!(name(&t), b"foo");
        assert_eq!(write(&t.m, path, 0, &[b'x'; 70]), Ok(70));
        assert_eq!(name(&t), [b'x'; 64]);
        // Past the end of the value: nothing changes, all of it counts.
        assert_eq!(write(&t.m, path, 65, b"yy"), Ok(2));
        assert_eq!(name(&t), [b'x'; 64]);
        // At the end: appended.
        assert_eq!(write(&t.m, path, 0, b"ab"), Ok(2));
        assert_eq!(write(&t.m, path, 2, b"cd\n"), Ok(3));
        assert_eq!(name(&t), b"abcd");
        assert_eq!(write(&t.m, b"/proc/sys/kernel/domainname", 0, b"dom\n"), Ok(4));
        assert_eq!(t.m.uts.lock().unwrap().1, b"dom");
        assert_eq!(write(&t.m, b"/proc/sys/kernel/osrelease", 0, b"1"), Err(Errno::EACCES));
    }

    #[test]
    fn the_boot_id_is_stable_and_uuids_are_not() {
        assert_eq!(boot_id(), boot_id());
        assert_ne!(uuid(&random_bytes()), uuid(&random_bytes()));
    }
}
