//! /proc, generated from the kernel's own state. In a no-MMU machine every
//! process's `maps` lists regions of the one shared arena: this is where a
//! student sees it. The VFS (`fs::vfs`) walks it through `fs::ProcFs`,
//! which `ProcView` implements.

use super::{Machine, Process};
use crate::abi::dirent::{DT_DIR, DT_LNK, DT_REG};
use crate::abi::fcntl::AT_FDCWD;
use crate::errno::{Errno, SysResult};
use crate::fs::file::{DirEntry, OpenFile};
use crate::fs::node::{LinkTarget, Node, ProcFs, Step};
use crate::fs::stat::synthetic_ino;
use std::fmt::Write as _;
use std::sync::Arc;

/// /proc as process `me` sees it (`/proc/self` is `me`).
pub struct ProcView<'a> {
    m: &'a Machine,
    me: &'a Arc<Process>,
}

impl<'a> ProcView<'a> {
    pub(crate) fn new(m: &'a Machine, me: &'a Arc<Process>) -> ProcView<'a> {
        ProcView { m, me }
    }
}

impl ProcFs for ProcView<'_> {
    fn lookup(&self, comps: &[&[u8]]) -> SysResult<Step> {
        lookup(self.m, self.me, comps)
    }

    fn ptys(&self) -> Vec<u32> {
        self.m.terminals.numbers()
    }

    fn ctty(&self) -> Option<crate::fs::node::Ctty> {
        self.m.terminals.ctty(self.m, self.me.sid())
    }

    fn open_kmsg(&self, flags: i32, path: Vec<u8>) -> SysResult<OpenFile> {
        let (fd, file) = super::kmsg::open(&self.m.klog, flags).map_err(Errno::from)?;
        Ok(OpenFile::host_waiting(fd, path, Some(file)))
    }
}

const GLOBAL_FILES: [&str; 10] =
    ["meminfo", "uptime", "loadavg", "mounts", "cpuinfo", "version", "stat", "filesystems", "cmdline", "diskstats"];
const PID_FILES: [&str; 10] =
    ["cmdline", "comm", "environ", "maps", "mountinfo", "mounts", "smaps", "stat", "statm", "status"];
const PID_LINKS: [&str; 3] = ["exe", "cwd", "root"];

fn entry(name: &str, kind: u8) -> DirEntry {
    DirEntry { ino: synthetic_ino(name.as_bytes()), kind, name: name.as_bytes().to_vec() }
}

fn rest_after(target: &[u8], rest: &[&[u8]]) -> Step {
    if rest.is_empty() {
        return Step::Redirect(target.to_vec());
    }
    Step::Redirect(crate::fs::path::join(target, &rest.join(&b'/')))
}

fn lookup(m: &Machine, me: &Arc<Process>, comps: &[&[u8]]) -> SysResult<Step> {
    let Some(first) = comps.first() else {
        let mut entries: Vec<DirEntry> = GLOBAL_FILES.iter().map(|n| entry(n, DT_REG)).collect();
        entries.push(entry("self", DT_LNK));
        entries.push(entry("thread-self", DT_LNK));
        entries.push(entry("net", DT_DIR));
        entries.push(entry("sysvipc", DT_DIR));
        entries.push(entry("sys", DT_DIR));
        entries.extend(m.processes().iter().map(|p| entry(&p.pid.to_string(), DT_DIR)));
        return Ok(Step::Node(Node::Dir(entries)));
    };
    let name = std::str::from_utf8(first).map_err(|_| Errno::ENOENT)?;
    if name == "self" || name == "thread-self" {
        let pid = me.pid.to_string().into_bytes();
        if comps.len() == 1 {
            let abs = [b"/proc/".as_slice(), &pid].concat();
            return Ok(Step::Node(Node::Link(pid, LinkTarget::Path(abs))));
        }
        return Ok(rest_after(&[b"/proc/".as_slice(), &pid].concat(), &comps[1..]));
    }
    if let Ok(pid) = name.parse::<i32>() {
        // /proc/<tid> of a thread shows its process (not listed, as on Linux).
        let p = m.process(pid).or_else(|| m.process_of_task(pid)).ok_or(Errno::ENOENT)?;
        return pid_lookup(m, me, &p, &comps[1..]);
    }
    if name == "net" {
        return net_lookup(m, &comps[1..]);
    }
    if name == "sysvipc" {
        return sysvipc_lookup(m, &comps[1..]);
    }
    if name == "sys" {
        return super::procsys::lookup(m, &comps[1..]);
    }
    if !GLOBAL_FILES.contains(&name) {
        return Err(Errno::ENOENT);
    }
    if comps.len() > 1 {
        return Err(Errno::ENOTDIR);
    }
    Ok(Step::Node(Node::File(global_file(m, name))))
}

fn net_lookup(m: &Machine, comps: &[&[u8]]) -> SysResult<Step> {
    use super::procnet::{file, NET_FILES};
    let Some(first) = comps.first() else {
        return Ok(Step::Node(Node::Dir(NET_FILES.iter().map(|n| entry(n, DT_REG)).collect())));
    };
    let name = NET_FILES.iter().find(|n| n.as_bytes() == *first).ok_or(Errno::ENOENT)?;
    if comps.len() > 1 {
        return Err(Errno::ENOTDIR);
    }
    Ok(Step::Node(Node::File(file(m, name))))
}

/// /proc/sysvipc: the machine's SysV IPC objects.
fn sysvipc_lookup(m: &Machine, comps: &[&[u8]]) -> SysResult<Step> {
    let Some(first) = comps.first() else {
        return Ok(Step::Node(Node::Dir(super::ipc::PROC_FILES.iter().map(|n| entry(n, DT_REG)).collect())));
    };
    let text = m.ipc.proc_file(first).ok_or(Errno::ENOENT)?;
    if comps.len() > 1 {
        return Err(Errno::ENOTDIR);
    }
    Ok(Step::Node(Node::File(text)))
}

fn pid_lookup(m: &Machine, me: &Arc<Process>, p: &Arc<Process>, comps: &[&[u8]]) -> SysResult<Step> {
    pid_lookup_as(m, me, p, comps, None)
}

/// /proc/<pid>/... or, with `tid`, /proc/<pid>/task/<tid>/...
fn pid_lookup_as(
    m: &Machine,
    me: &Arc<Process>,
    p: &Arc<Process>,
    comps: &[&[u8]],
    tid: Option<i32>,
) -> SysResult<Step> {
    let Some(first) = comps.first() else {
        let mut entries: Vec<DirEntry> = PID_FILES.iter().map(|n| entry(n, DT_REG)).collect();
        entries.extend(PID_LINKS.iter().map(|n| entry(n, DT_LNK)));
        entries.push(entry("fd", DT_DIR));
        entries.push(entry("task", DT_DIR));
        return Ok(Step::Node(Node::Dir(entries)));
    };
    let name = std::str::from_utf8(first).map_err(|_| Errno::ENOENT)?;
    let rest = &comps[1..];
    match name {
        "cwd" if rest.is_empty() => {
            let fs = p.fs();
            let (shown, fd) = match fs.cwd_path(&m.root) {
                Ok(path) => (path, fs.cwd_fd.clone()),
                Err(_) => ([fs.cwd.as_slice(), b" (deleted)"].concat(), fs.cwd_fd.clone()),
            };
            let target = match fd.and_then(|fd| fd.try_clone().ok()) {
                Some(dup) => LinkTarget::File(Arc::new(OpenFile::host(dup, fs.cwd.clone()))),
                None => LinkTarget::Path(fs.cwd.clone()),
            };
            Ok(Step::Node(Node::Link(shown, target)))
        }
        "exe" | "cwd" | "root" => {
            let target = match name {
                "exe" => p.image().exe.clone(),
                "cwd" => {
                    let fs = p.fs();
                    fs.cwd_path(&m.root).unwrap_or_else(|_| fs.cwd.clone())
                }
                _ => {
                    let machine = p.fs().root.as_ref().map_or_else(|| b"/".to_vec(), |j| j.path.clone());
                    m.root.to_caller(machine.clone()).unwrap_or(machine)
                }
            };
            if rest.is_empty() {
                return Ok(Step::Node(Node::Link(target.clone(), LinkTarget::Path(target))));
            }
            Ok(rest_after(&target, rest))
        }
        "fd" => fd_lookup(m, p, rest),
        // Threads: task/<tid> shows the process's files (per-thread stat
        // and status are the process's too).
        "task" => match rest.first() {
            None => {
                let tids: Vec<DirEntry> = p.tasks().iter().map(|t| entry(&t.tid.to_string(), DT_DIR)).collect();
                Ok(Step::Node(Node::Dir(tids)))
            }
            Some(tid) => {
                let tid: i32 = std::str::from_utf8(tid).ok().and_then(|s| s.parse().ok()).ok_or(Errno::ENOENT)?;
                if !p.tasks().iter().any(|t| t.tid == tid) {
                    return Err(Errno::ENOENT);
                }
                pid_lookup_as(m, me, p, &rest[1..], Some(tid))
            }
        },
        _ if PID_FILES.contains(&name) => {
            if !rest.is_empty() {
                return Err(Errno::ENOTDIR);
            }
            Ok(Step::Node(Node::File(pid_file(m, me, p, name, tid))))
        }
        _ => Err(Errno::ENOENT),
    }
}

fn fd_lookup(m: &Machine, p: &Arc<Process>, comps: &[&[u8]]) -> SysResult<Step> {
    let files = p.files();
    let Some(first) = comps.first() else {
        let entries = files.iter().map(|(fd, _)| entry(&fd.to_string(), DT_LNK)).collect();
        return Ok(Step::Node(Node::Dir(entries)));
    };
    let fd: i32 = std::str::from_utf8(first).ok().and_then(|s| s.parse().ok()).ok_or(Errno::ENOENT)?;
    let file = files.get(fd).map_err(|_| Errno::ENOENT)?;
    drop(files);
    let shown = link_text(m, &file);
    if comps.len() > 1 {
        return Ok(rest_after(&shown, &comps[1..]));
    }
    Ok(Step::Node(Node::Link(shown, LinkTarget::File(file))))
}

/// What readlink of /proc/<pid>/fd/N shows: the guest path, or the host's
/// description of a pipe or socket ("pipe:[1234]"); the console's terminal
/// is /dev/console, never the host's name for it.
fn link_text(m: &Machine, file: &OpenFile) -> Vec<u8> {
    // A file the kernel emulates on a host descriptor (a signalfd on an
    // eventfd) is known by the name Linux gives it, not the host's.
    let Some(fd) = file.host_fd().ok().filter(|_| file.emulated().is_none()) else {
        return file.path.to_vec();
    };
    if let Some(name) = crate::fs::console::link_name(fd, &file.path) {
        return name.to_vec();
    }
    if let Some(p) = m.root.guest_path_of(fd) {
        return p;
    }
    let link = std::ffi::CString::new(format!("/proc/self/fd/{fd}")).unwrap_or_default();
    crate::arch::host::readlinkat(AT_FDCWD, &link).unwrap_or_else(|_| file.path.to_vec())
}

fn global_file(m: &Machine, name: &str) -> Vec<u8> {
    let mut s = String::new();
    match name {
        "meminfo" => {
            let st = m.mem.stats();
            let kb = |b: u64| b >> 10;
            // tmpfs and SysV shared memory are page cache, as on Linux,
            // and not free.
            let (free, shmem) = m.ram_use();
            for (k, v) in [
                ("MemTotal", kb(st.mem_total)),
                ("MemFree", kb(free)),
                ("MemAvailable", kb(free)),
                ("Buffers", 0),
                ("Cached", kb(shmem)),
                ("SwapCached", 0),
                ("Active", kb(st.committed)),
                ("Inactive", 0),
                ("SwapTotal", 0),
                ("SwapFree", 0),
                // Nothing is written back: there is no page cache of files.
                ("Dirty", 0),
                ("Writeback", 0),
                // Processes' memory is all anonymous (arena memory).
                ("AnonPages", kb(st.committed)),
                ("Mapped", 0),
                ("Shmem", kb(shmem)),
                ("Slab", 0),
                ("SReclaimable", 0),
                // Strict accounting: what is committed cannot pass --mem.
                ("CommitLimit", kb(st.mem_total)),
                ("Committed_AS", kb(st.committed)),
                // The arena's address range: what reservations come from.
                ("VmallocTotal", kb(st.space_total)),
                ("VmallocUsed", kb(st.reserved)),
                // No MMU: this is the one contiguous run of address space
                // the next allocation can use.
                ("LargestFreeBlock", kb(st.largest_free)),
                ("ArenaPeakUsed", kb(st.peak_committed)),
                ("ArenaPeakReserved", kb(st.peak_reserved)),
            ] {
                // A label as long as the column still gets a space.
                let _ = writeln!(s, "{:<16}{:>8} kB", format!("{k}:{}", if k.len() >= 15 { " " } else { "" }), v);
            }
        }
        "uptime" => {
            let up = m.boot_time.elapsed().as_secs_f64();
            let _ = writeln!(s, "{up:.2} {:.2}", up * cpus() as f64);
        }
        "loadavg" => {
            let n = m.processes().len();
            let last = m.processes().last().map_or(0, |p| p.pid);
            let _ = writeln!(s, "0.00 0.00 0.00 1/{n} {last}");
        }
        "mounts" => s.push_str(&super::procmounts::mounts(&m.root.mounts.list(), |t| m.root.to_caller(t.to_vec()))),
        "filesystems" => {
            s.push_str("nodev\tproc\nnodev\ttmpfs\nnodev\tramfs\nnodev\tdevtmpfs\nnodev\tdevpts\n\thostfs\n")
        }
        "version" => s.push_str(&version_line()),
        "cmdline" => s.push_str(&boot_command_line()),
        // No block devices: the header-less empty table.
        "diskstats" => {}
        // The machine's CPUs are the host's.
        "cpuinfo" | "stat" => return std::fs::read(format!("/proc/{name}")).unwrap_or_default(),
        _ => {}
    }
    s.into_bytes()
}

/// /proc/version, also the first record of the boot log (`dmesg`).
pub fn version_line() -> String {
    let u = crate::arch::host::uname().ok();
    let rel = u.as_ref().map(|u| String::from_utf8_lossy(&u.release).into_owned()).unwrap_or_default();
    format!("Linux version {rel} (nommu {}) #1 no-MMU\n", env!("CARGO_PKG_VERSION"))
}

/// The machine's "kernel command line": what nommu was given after its
/// subcommand (`nommu boot --root rootfs init=/bin/sh quiet` shows
/// "--root rootfs init=/bin/sh quiet"), as User-Mode Linux shows its own
/// arguments.
fn boot_command_line() -> String {
    let words: Vec<String> = std::env::args_os().skip(2).map(|a| a.to_string_lossy().into_owned()).collect();
    format!("{}\n", words.join(" "))
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn pid_file(m: &Machine, me: &Arc<Process>, p: &Arc<Process>, name: &str, tid: Option<i32>) -> Vec<u8> {
    let id = tid.unwrap_or(p.pid);
    let thread_name =
        tid.and_then(|t| m.task(t)).and_then(|t| t.name.lock().unwrap_or_else(|e| e.into_inner()).clone());
    let mut s = String::new();
    let mm = p.mm();
    let vsize = mm.regions().total();
    let state = if Arc::ptr_eq(me, p) { "R (running)" } else { "S (sleeping)" };
    match name {
        "cmdline" => return p.image().cmdline.clone(),
        "environ" => return p.image().environ.clone(),
        "mounts" => {
            return super::procmounts::mounts(&m.root.mounts.list(), |t| m.root.to_caller(t.to_vec())).into_bytes()
        }
        "mountinfo" => {
            let root_dev = crate::arch::host::fstatat(m.root.raw_fd(), c"", crate::abi::fcntl::AT_EMPTY_PATH)
                .map_or(0, |st| st.st_dev);
            let shown = |t: &[u8]| m.root.to_caller(t.to_vec());
            return super::procmounts::mountinfo(&m.root.mounts.list(), root_dev, shown).into_bytes();
        }
        "comm" => {
            let mut c = thread_name.clone().unwrap_or_else(|| p.comm_bytes());
            c.push(b'\n');
            return c;
        }
        "maps" => return super::procmaps::maps(m, p).into_bytes(),
        "smaps" => return super::procmaps::smaps(m, p).into_bytes(),
        "stat" => {
            let t = p.cpu_times();
            let (utime, stime) = (t.user, t.system);
            let threads = p.tasks().len().max(1);
            let start = p.start_time.duration_since(m.boot_time).as_millis() as u64 / 10;
            let comm = thread_name.as_deref().map_or_else(|| p.comm(), |n| String::from_utf8_lossy(n).into_owned());
            let _ = writeln!(
                s,
                "{} ({comm}) {} {} {} {} 0 -1 4194304 0 0 0 0 {utime} {stime} 0 0 20 0 {threads} 0 {start} {vsize} {} \
                 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
                id,
                &state[..1],
                p.ppid(),
                p.pgid(),
                p.sid(),
                vsize / 4096,
            );
        }
        "statm" => {
            let pages = vsize / 4096;
            let _ = writeln!(s, "{pages} {pages} 0 0 0 {pages} 0");
        }
        "status" => {
            let comm = thread_name.as_deref().map_or_else(|| p.comm(), |n| String::from_utf8_lossy(n).into_owned());
            let umask = p.fs().umask;
            let fds = p.files().iter().count();
            let actions = p.sigactions();
            let (mut ign, mut cgt) = (0u64, 0u64);
            for sig in 1..=64 {
                match actions.get(sig).sa_handler {
                    0 => {}
                    1 => ign |= 1 << (sig - 1),
                    _ => cgt |= 1 << (sig - 1),
                }
            }
            drop(actions);
            let kb = vsize >> 10;
            let _ = write!(
                s,
                "Name:\t{comm}\nUmask:\t{umask:04o}\nState:\t{state}\nTgid:\t{pid}\nNgid:\t0\nPid:\t{id}\n\
                 PPid:\t{ppid}\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t{fdsize}\nGroups:\t\n\
                 VmPeak:\t{kb:8} kB\nVmSize:\t{kb:8} kB\nVmRSS:\t{kb:8} kB\nThreads:\t{threads}\nSigQ:\t0/0\n\
                 SigPnd:\t{z:016x}\nShdPnd:\t{z:016x}\nSigBlk:\t{z:016x}\nSigIgn:\t{ign:016x}\nSigCgt:\t{cgt:016x}\n",
                pid = p.pid,
                ppid = p.ppid(),
                fdsize = fds.next_power_of_two().max(64),
                threads = p.tasks().len().max(1),
                z = 0,
            );
        }
        _ => {}
    }
    s.into_bytes()
}
